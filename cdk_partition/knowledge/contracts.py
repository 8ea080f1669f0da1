"""Service contracts: the KMS requests AWS makes for each store and integration, as data.

A domain key denies ``kms:*`` to every principal it does not name, so the key policy must still let
AWS do what a store needs: CloudFormation's role creating the store (grants, data keys through the
service), the role the CDK creates for a store (a Firehose delivery role, an S3 replication role),
a service principal delivering into an encrypted queue or topic, a service-linked role launching
instances, and the EC2 infrastructure role that decrypts a volume when an instance starts.

Each :class:`ContractRow` says, for one store method or integration, in one phase (``create``:
CloudFormation creating it; ``attach``: a resource starting to use it; ``run``: data flowing), who
calls KMS, which actions, in which request context, and the AWS page that says so. The store
methods write their key-policy statements from these rows (:data:`CREATE_VIA_SERVICES`,
:data:`STORE_ROLE_VIA`, :data:`SERVICE_PUBLISHERS`, :data:`INFRASTRUCTURE_ROLE_PATTERN`), the audit
checks service-principal statements against them, the report reads :data:`GATES`, and the tests
evaluate every row against the synthesized key policies (must be allowed) next to outsiders (must be
denied).

Two facts every row depends on:

* ``aws:PrincipalIsAWSService`` is true only for a service principal acting as itself: "The
  context key is set to false if the service uses the credentials of an IAM principal to make a
  request on the principal's behalf. It is also set to false if the service uses a service role or
  service-linked role" (IAM User Guide, "AWS global condition context keys",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice).
  So every caller through a service, every service-linked role and every store role must be named
  in the key policy, or ``DenyEveryoneElse`` stops it.
* A key-policy Deny beats grants: it "takes precedence over any key policy or IAM policy with an
  Allow effect, and it takes precedence over all grants for this KMS key and its principals" (AWS
  KMS Developer Guide, "AWS KMS condition keys",
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html). A principal that
  uses the key through a grant (the EC2 infrastructure role) must be exempt from the deny.

The rows are data: ``data/contracts.json`` (JSON Schema ``data/contracts.schema.json``, checked
by ``tests/test_knowledge_data.py``) holds the AWS pages (``pages``: an id -> title and URL), the
rows (:data:`CONTRACTS`, each naming its page by id, with the AWS words it rests on in ``note``)
and :data:`CROSS_ACCOUNT_KEYS`. What is derived from them (:data:`STORE_TYPES`,
:data:`CREATE_VIA_SERVICES`, :data:`SERVICE_PUBLISHERS`, :data:`GATES` ...) stays here.

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "CONTRACTS",
    "CONTRACT_KEY_PROPERTIES",
    "CREATE_VIA_SERVICES",
    "CROSS_ACCOUNT_KEYS",
    "GATES",
    "INFRASTRUCTURE_ROLE_PATTERN",
    "LOOKED_UP",
    "PASSED_BY",
    "RUN_TYPES",
    "SERVICE_PUBLISHERS",
    "STORE_ROLE_VIA",
    "STORE_TYPES",
    "WITH_STORES",
    "ContractRow",
    "CrossAccountKeys",
    "Gate",
    "LookedUp",
    "Publisher",
    "cross_account_verdict",
    "rows_for",
    "rows_for_type",
    "sets_path",
    "stores_on_key",
    "types_on_key",
]

Phase = Literal["create", "attach", "run"]
Caller = Literal[
    "deployment_role",  # the principal CloudFormation deploys with, calling through the service
    "capability",  # the domain's readers / writers, calling through the service
    "store_role",  # a role the CDK creates for the store (delivery role, replication role)
    "passed_role",  # a role the app passes to the service (an execution or job role): named by the app
    "service_principal",  # an AWS service principal acting as itself
    "service_linked_role",  # a service-linked role (Auto Scaling)
    "infrastructure_role",  # the EC2 identity-only role, through a grant
]


@dataclass(frozen=True)
class ContractRow:
    """One KMS request AWS makes for a store or an integration."""

    store: str
    """The store method (``table``, ``volume``) or integration (``bucket_notification_queue``)."""
    phase: Phase
    caller: Caller
    principal: str
    """Who calls: a service principal (``events.amazonaws.com``, ``logs.{region}.amazonaws.com``),
    a role ARN pattern (``{partition}``/``{account}`` placeholders), or the caller's kind."""
    actions: tuple[str, ...]
    context: Mapping[str, str] = field(default_factory=dict)
    """Request context keys and values AWS documents (``{region}`` placeholder)."""
    via_grant: bool = False
    """The call is authorized by a grant, not by the key policy: the key policy must only not
    deny it."""
    source: str = ""
    """AWS page title and URL the row comes from."""
    note: str = ""
    """AWS's words the row rests on (a note of the table applies to its row and the rows after
    it, of the same page, up to the next note)."""
    statement_only: tuple[str, ...] = ()
    """Actions AWS's documented statement lists that no request of the row makes (the Logs
    statement's ``kms:Describe*`` under an encryption-context condition DescribeKey cannot
    carry): a statement may keep them (CDKP106 accepts them); the request checks leave them."""
    role_property: str = ""
    """For a ``passed_role`` row: the property of the store's type that names the role (a path:
    ``InstanceGroups[].ExecutionRole``); empty when another resource passes it."""


@dataclass(frozen=True)
class CrossAccountKeys:
    """Whether a store's service accepts a customer managed key of another AWS account, as the
    AWS documentation says (``accepted`` None: the page on the service's encryption says nothing
    about keys of another account, so the library cannot decide and only warns)."""

    service: str
    accepted: bool | None
    quote: str
    """The AWS text the verdict rests on, verbatim."""
    source: str
    """AWS page title and URL."""
    instead: str = ""
    """What to do instead when the service refuses (empty: the generic advice)."""


@dataclass(frozen=True)
class LookedUp:
    """A catalogued type whose AWS page was read and that has no contract row: ``nothing`` (the
    page describes no KMS request beyond the caller's own: the narrow default applies) or
    ``incomplete`` (it describes requests, but not the caller, actions and request context a
    row needs, so a row would be a guess)."""

    found: Literal["nothing", "incomplete"]
    source: str
    """AWS page title and URL."""
    quote: str
    """The AWS text read, verbatim."""
    why: str


# -- reading the data file -------------------------------------------------------------------


def _read() -> dict[str, Any]:
    """The contracts table (``data/contracts.json``), parsed."""
    path = resources.files(__package__).joinpath("data").joinpath("contracts.json")
    table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return table


_TABLE = _read()
_PAGES: Mapping[str, str] = MappingProxyType(
    {page: f"{p['title']} ({p['url']})" for page, p in _TABLE["pages"].items()}
)
"""Page id -> ``Title (URL)``, the form :attr:`ContractRow.source` takes."""


def _row(raw: Mapping[str, Any], note: str = "") -> ContractRow:
    return ContractRow(
        raw["store"],
        raw["phase"],
        raw["caller"],
        raw["principal"],
        tuple(raw["actions"]),
        dict(raw["context"]),
        raw.get("via_grant", False),
        _PAGES[raw["source"]],
        note,
        tuple(raw.get("statement_only", ())),
        raw.get("role_property", ""),
    )


def _rows(raws: Sequence[Mapping[str, Any]]) -> tuple[ContractRow, ...]:
    """The rows, each with the note it rests on (its own, or the last note of its page)."""
    out: list[ContractRow] = []
    note, page = "", None
    for raw in raws:
        if raw.get("note"):
            note, page = raw["note"], raw["source"]
        out.append(_row(raw, note if raw["source"] == page else ""))
    return tuple(out)


def _cross(raw: Mapping[str, Any]) -> CrossAccountKeys:
    return CrossAccountKeys(
        raw["service"], raw["accepted"], raw["quote"], _PAGES[raw["source"]], raw.get("instead", "")
    )


CONTRACTS: tuple[ContractRow, ...] = _rows(_TABLE["contracts"])
"""Every contract row, in the order of the store methods."""

#: Store method -> whether its service accepts a key of another account (AWS's words). One row
#: per store method of :class:`cdk_partition.constructs.stores.StoreFactories`; a test keeps it complete.
#: Read by the store methods of a :class:`cdk_partition.DomainReference` (refuse at construct
#: time when AWS says no, warn when AWS does not say) and by the README table.
CROSS_ACCOUNT_KEYS: Mapping[str, CrossAccountKeys] = MappingProxyType(
    {store: _cross(raw) for store, raw in _TABLE["cross_account_keys"].items()}
)

#: CloudFormation type -> the AWS page read for it and why it has no row (types neither in a row
#: nor here are not researched; :func:`render_key_allows_markdown` names them so).
LOOKED_UP: Mapping[str, LookedUp] = MappingProxyType(
    {
        cfn_type: LookedUp(raw["found"], _PAGES[raw["source"]], raw["quote"], raw["why"])
        for cfn_type, raw in _TABLE["looked_up"].items()
    }
)

_TYPES: Mapping[str, Mapping[str, Any]] = MappingProxyType(_TABLE["types"])
#: CloudFormation type -> the store of its run-time rows (display only: these types have no create
#: rows, so they are not in :data:`STORE_TYPES`).
RUN_TYPES: Mapping[str, str] = MappingProxyType(dict(_TABLE["run_types"]))
del _TABLE


def rows_for(store: str, phase: Phase | None = None) -> tuple[ContractRow, ...]:
    """The rows of one store method or integration (optionally of one phase)."""
    return tuple(r for r in CONTRACTS if r.store == store and (phase is None or r.phase == phase))


def _services(store: str) -> tuple[str, ...]:
    services = []
    for row in rows_for(store):
        if row.caller == "deployment_role":
            service = row.context.get("kms:ViaService", "").split(".", 1)[0]
            if service and service not in services:
                services.append(service)
    return tuple(services)


#: CloudFormation type -> the store or integration whose contract rows apply to it (``types`` of
#: the data file): at synth its create and attach rows become key-policy statements, and the audit
#: checks them against its domain's key policy (CDKP107).
STORE_TYPES: Mapping[str, str] = MappingProxyType(
    {cfn_type: entry["store"] for cfn_type, entry in _TYPES.items()}
)
#: CloudFormation type of a store -> the resources that pass the role of its ``passed_role`` rows
#: without a ``role_property``: (their type, the property naming the store, the role property)
#: (``passed_by`` of the data file: a Glue job naming a security configuration).
PASSED_BY: Mapping[str, tuple[tuple[str, str, str], ...]] = MappingProxyType(
    {
        t: tuple((p["type"], p["link"], p["role"]) for p in e["passed_by"])
        for t, e in _TYPES.items()
        if "passed_by" in e
    }
)
#: CloudFormation type -> property path -> a store whose rows apply too when the property is set
#: (``with`` of the data file: a state machine's ``LoggingConfiguration``, its log delivery).
WITH_STORES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {t: MappingProxyType(dict(e["with"])) for t, e in _TYPES.items() if "with" in e}
)


def stores_of_type(cfn_type: str, properties: Any = None) -> tuple[str, ...]:
    """The stores whose rows apply to a resource of ``cfn_type`` with ``properties`` (a
    mapping, or a list of them: any of the resources of the type): its own, and each store of
    its ``with`` entry whose property is set."""
    store = STORE_TYPES.get(cfn_type)
    if store is None:
        return ()
    many = properties if isinstance(properties, list) else [properties]
    extra = [
        also
        for path, also in WITH_STORES.get(cfn_type, {}).items()
        if any(sets_path(p, path) for p in many if isinstance(p, Mapping))
    ]
    return (store, *extra)


def sets_path(properties: Any, path: str) -> bool:
    """Whether ``properties`` set ``path`` (dots: ``LoggingConfiguration.Destinations``)."""
    node: Any = properties
    for part in path.split("."):
        if not isinstance(node, Mapping) or node.get(part) is None:
            return False
        node = node[part]
    return True


def rows_for_type(
    cfn_type: str, phase: Phase | None = None, properties: Any = None
) -> tuple[ContractRow, ...]:
    """The contract rows of a resource of CloudFormation type ``cfn_type`` whose key slot holds a
    domain key, whatever made it (a store method, an L2 given ``domain.key``, an L1 given its
    ARN, a construct of another library); empty for a type without rows. ``properties`` (its
    properties, or a list of the properties of several): the rows of the integrations they
    turn on too (:data:`WITH_STORES`)."""
    return tuple(r for s in stores_of_type(cfn_type, properties) for r in rows_for(s, phase))


def via_services_for_type(cfn_type: str, properties: Any = None) -> tuple[str, ...]:
    """The services (``dynamodb``, ``rds``...) through which the deployment role must reach the
    key to create a resource of ``cfn_type`` on it (its create and attach rows)."""
    stores = stores_of_type(cfn_type, properties)
    return tuple(dict.fromkeys(v for s in stores for v in CREATE_VIA_SERVICES.get(s, ())))


def types_on_key(
    found: Sequence[Mapping[str, Any]], sentinel: str
) -> dict[str, list[Mapping[str, Any]]]:
    """CloudFormation type -> the properties of each resource of ``found`` whose key slot (as
    :func:`cdk_partition.knowledge.catalogue.classify` reads it) names the key.

    ``found`` holds ``{"type", "path", "properties"}`` items whose properties write every
    reference to the key as ``sentinel`` (``KeyUsers.find`` of the native half); items with an
    ``"error"`` (a resource that could not be resolved) are left out: the audit's CDKP107 holds
    the key policy against the synthesized template, so such a resource is still checked. A
    reference to the key outside a key slot (an Aurora member instance's ``KmsKeyId`` while its
    storage belongs to the cluster, an environment variable) is not a use of the key, except in
    a property of :data:`CONTRACT_KEY_PROPERTIES` (a Lambda function's ``KmsKeyArn``), which
    AWS documents KMS requests for.
    """
    out: dict[str, list[Mapping[str, Any]]] = {}
    for _, cfn_type, properties in stores_on_key(found, sentinel):
        out.setdefault(cfn_type, []).append(properties)
    return out


def stores_on_key(
    found: Sequence[Mapping[str, Any]], sentinel: str
) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(construct path, CloudFormation type, properties) of each resource of ``found`` whose key
    slot names the key, as :func:`types_on_key` reads them."""
    from . import catalogue

    out: list[tuple[str, str, Mapping[str, Any]]] = []
    for item in found:
        properties = item.get("properties")
        if "error" in item or not isinstance(properties, Mapping):
            continue
        cfn_type = str(item.get("type", ""))
        uses = catalogue.classify(cfn_type, properties) or []
        named = [properties.get(p) for p in CONTRACT_KEY_PROPERTIES.get(cfn_type, ())]
        in_slot = any(u.state == "customer_key" and sentinel in json.dumps(u.key) for u in uses)
        if in_slot or any(sentinel in json.dumps(v) for v in named if v is not None):
            out.append((str(item.get("path", "")), cfn_type, properties))
    return out


#: CloudFormation type -> top-level key properties whose contract rows apply although the
#: catalogue does not hold them as a slot (a store of the domain's data): a Lambda function's
#: ``KmsKeyArn`` encrypts its environment variables, which the catalogue leaves out on purpose,
#: yet when it names the domain key Lambda still calls KMS with the deployment role's
#: permissions ("Lambda uses your permissions to create a grant on the key", the
#: ``lambda_function`` rows), so the key must let it.
CONTRACT_KEY_PROPERTIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"AWS::Lambda::Function": ("KmsKeyArn",)}
)


#: Store method -> the services through which the deployment role must reach the key at create
#: time (``AllowGrantsForAWSResources`` + ``AllowDeploymentViaServices``).
CREATE_VIA_SERVICES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {store: _services(store) for store in dict.fromkeys(r.store for r in CONTRACTS)}
)

#: Integration -> (actions, service) for the roles the CDK creates for a store.
STORE_ROLE_VIA: Mapping[str, tuple[tuple[str, ...], str]] = MappingProxyType(
    {
        row.store: (row.actions, row.context["kms:ViaService"].split(".", 1)[0])
        for row in CONTRACTS
        if row.caller == "store_role"
    }
)

#: The EC2 identity-only role (``aws:PrincipalArn`` pattern) that ``DenyEveryoneElse`` exempts in a
#: domain with EBS volumes: it decrypts through a grant when an instance starts. IAM role names
#: cannot contain ``:`` (IAM User Guide, "IAM and AWS STS quotas": role names use
#: alphanumerics and ``+=,.@_-``), so no customer role matches ``role/aws:ec2-infrastructure/*``.
INFRASTRUCTURE_ROLE_PATTERN = (
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws:ec2-infrastructure/*"
)


@dataclass(frozen=True)
class Publisher:
    """What a service principal may do on a domain key, and the conditions it must carry."""

    service: str
    actions: tuple[str, ...]
    conditions_required: bool
    """True when every row of the service scopes it (``aws:SourceAccount``); False when AWS
    documents that the source keys are not supported for one of its deliveries (EventBridge to
    an encrypted SNS topic), so the statement must stay unconditioned."""


#: The integrations in which an AWS service delivers into (or encrypts events of) the domain's
#: queues, topics and event buses: its statements are publisher statements.
_DELIVERIES = (
    "bucket_notification",
    "topic_subscription",
    "rule_target",
    "event_bus",
    "alarm_action",
    "bucket_access_logs",
    "notification_topic",
)


def _publishers() -> Mapping[str, Publisher]:
    out: dict[str, Publisher] = {}
    for row in CONTRACTS:
        if row.caller != "service_principal" or not row.store.startswith(_DELIVERIES):
            continue
        known = out.get(row.principal)
        actions = tuple(dict.fromkeys((*(known.actions if known else ()), *row.actions)))
        required = bool(row.context) and (known.conditions_required if known else True)
        out[row.principal] = Publisher(row.principal, actions, required)
    return MappingProxyType(out)


#: Service principal -> what it may be allowed on a domain key (from the rows above).
SERVICE_PUBLISHERS: Mapping[str, Publisher] = _publishers()


@dataclass(frozen=True)
class Gate:
    """Who the domain key gates for a store kind: each ``reader`` (their own KMS calls through
    the service need the domain's capability), or only the ``service`` (its service principal
    decrypts for whoever its own API lets read, decided by ``iam_permission``)."""

    gates: Literal["reader", "service"]
    iam_permission: str = ""
    source: str = ""
    actions: tuple[str, ...] = ()
    """The IAM actions of :attr:`iam_permission` (a policy allowing one of them on the store
    lets its principal read through the service)."""


#: CloudFormation type -> whom the key gates (types not listed: each reader).
GATES: Mapping[str, Gate] = MappingProxyType(
    {
        # "CloudWatch Logs decrypts this data whenever it is requested": the logs service
        # principal decrypts for whoever may call logs:GetLogEvents / FilterLogEvents /
        # StartQuery on the group. (AWS's newer text adds kms:ViaService calls for the roles
        # that call CloudWatch Logs; where a region applies them, the key gates those roles too.)
        "AWS::Logs::LogGroup": Gate(
            "service",
            "logs:GetLogEvents, logs:FilterLogEvents, logs:StartQuery",
            _PAGES["logs"],
            ("logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery"),
        ),
        # "EventBridge uses this [kms:Decrypt] for event pattern matching; users never have
        # access to the data": the service decrypts, and its targets receive events in plaintext
        "AWS::Events::EventBus": Gate(
            "service",
            "events:PutRule and events:PutTargets on the bus (a rule forwards events to a target)",
            _PAGES["events_key"],
            ("events:PutRule", "events:PutTargets"),
        ),
        # "SSE encrypts messages as soon as Amazon SNS receives them. The messages are stored
        # in encrypted form, and only decrypted when they are sent": a subscriber receives every
        # message decrypted and never calls KMS (the page asks the key's permissions of
        # publishers only), so who reads is whoever IAM lets subscribe
        "AWS::SNS::Topic": Gate(
            "service",
            "sns:Subscribe (a subscription receives every message decrypted)",
            _PAGES["sns_sse"],
            ("sns:Subscribe",),
        ),
    }
)


# -- keys of another account -----------------------------------------------------------------

_CROSS_ACCOUNT_INSTEAD = (
    "create the store in a stack of the key's account (the account that owns the domain), or ask "
    "the domain's owner for a domain key in this account"
)


Verdict = Literal["pass", "warn", "refuse"]


def cross_account_verdict(
    store: str,
    key_account: str | None,
    stack_account: str | None,
    table: Mapping[str, CrossAccountKeys] | None = None,
) -> tuple[Verdict, str]:
    """Decide a store of kind ``store`` on a key of ``key_account`` in a stack of
    ``stack_account`` (None: not known at synth, e.g. an env-agnostic stack or a token ARN).

    ``refuse`` only when both accounts are known, differ, and AWS says the service does not
    accept a key of another account; ``warn`` when they differ and AWS does not say, or when an
    account is unknown and the service refuses keys of other accounts (undecidable); otherwise
    ``pass``. The text says why, with AWS's words and page.
    """
    row = (CROSS_ACCOUNT_KEYS if table is None else table).get(store)
    if row is None:  # fail closed: a store kind nobody classified
        return (
            "warn",
            f"no row for {store!r} in CROSS_ACCOUNT_KEYS; keys of other accounts unchecked",
        )
    title, _, url = row.source.rpartition(" (")
    cite = f'AWS: "{row.quote}" ({title.strip()}, {url.rstrip(")")})'
    if key_account is None or stack_account is None:
        if row.accepted is False:
            return "warn", (
                f"{row.service} does not accept a KMS key of another account ({cite}), and the "
                "key's or the stack's account is not known at synth; give the stack an env "
                "account and the reference a literal key ARN so this can be decided"
            )
        return "pass", ""
    if key_account == stack_account or row.accepted is True:
        return "pass", ""
    if row.accepted is False:
        return "refuse", (
            f"{row.service} does not accept a KMS key of another account ({cite}); the domain "
            f"key is in account {key_account}, the store's stack in {stack_account}. Instead, "
            f"{row.instead or _CROSS_ACCOUNT_INSTEAD}."
        )
    return "warn", (
        f"AWS does not document whether {row.service} accepts a KMS key of another account "
        f"(the key is in account {key_account}, the store's stack in {stack_account}; {cite}). "
        "Verify with a test deployment before relying on it"
    )

"""How each contract row is let through a domain key: its *shape*, decided from the row alone.

A row (:class:`~cdk_partition.knowledge.contracts.ContractRow`) records a request AWS makes; the
key policy lets it through in one of a few ways, and this module says which, so the key-policy
writer, the audit, the docs and the tests read one answer:

* ``via_service``: the deployment role through the service (``kms:ViaService``): the domain
  writes ``AllowDeploymentViaServices`` / ``AllowGrantsForAWSResources`` for the service.
* ``service``: a service principal as itself, under conditions that hold every key of the row's
  request context (:func:`service_conditions`): for a type on the key the domain writes
  ``AllowContract<Store><Service>`` (:func:`auto_written`: not a request a grant authorizes, and
  never unconditioned at run time, when any account's resource of the service could ask).
* ``infrastructure``: the EC2 infrastructure role, through a grant (the deny exempts it).
* ``named_by_app``: readers and writers, roles the app passes to the service, roles the CDK
  creates for a store: the key names them when the app does (``grant_read``/``grant_write``,
  the store methods); never behind the app's back.
* ``not_written``: a shape the domain does not write on its own (the deployment role outside any
  service, a service-linked role the wiring does not use, a condition a statement for the
  app's resources cannot repeat): the audit reports the create-time request the key refuses
  (``CDKP107``) and says what to write.

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any, Literal

from .capabilities import ADMINISTER_ACTIONS, KMS_KEY_ACTIONS, READ_ACTIONS, WRITE_ACTIONS
from .contracts import STORE_TYPES, WITH_STORES, ContractRow, rows_for

__all__ = [
    "DEPLOYMENT_ACTIONS",
    "DOORS_WRITTEN",
    "DOOR_ACTIONS",
    "ENCRYPTION_CONTEXT_ACTIONS",
    "NAMED_BY_CONDITION",
    "WIRED_DEPLOYMENT",
    "WIRED_LINKED_ROLES",
    "WRITTEN_APART",
    "Shape",
    "auto_written",
    "carries_context",
    "counts_for_service",
    "door_conditions",
    "door_refusal",
    "door_row_for_sid",
    "door_rows",
    "door_sid",
    "door_statement_actions",
    "fill",
    "is_linked_role_of",
    "not_written_reason",
    "request_context",
    "requested",
    "service_conditions",
    "shape",
    "unrepresented",
]

Shape = Literal["via_service", "service", "infrastructure", "named_by_app", "not_written"]

#: What the deployment role's statements hold: data-key use through a service
#: (``AllowDeploymentViaServices``) and grants for AWS resources (``AllowGrantsForAWSResources``,
#: which also needs ``kms:GrantIsForAWSResource``).
DEPLOYMENT_ACTIONS = frozenset(
    {
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKey*",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
        "kms:ReEncrypt*",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:DescribeKey",
    }
)
_GRANT_ACTIONS = frozenset({"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"})
#: The service-linked roles' rows the wiring writes (an Auto Scaling group launching a template
#: on the key; a table streaming into a stream on the key): contract -> the service whose role
#: it is (the role ARN's path, ``aws-service-role/<service>/``).
WIRED_LINKED_ROLES: Mapping[str, str] = {
    contract: rows_for(contract)[0].principal.split("/aws-service-role/")[1].split("/")[0]
    for contract in (
        "launch_template_auto_scaling",
        "auto_scaling_notification_topic",
        "table_kinesis_stream",
    )
}
_WIRED_LINKED_ROLES = tuple(WIRED_LINKED_ROLES)


def is_linked_role_of(contract: str, arn: str, account: str | None = None) -> bool:
    """Whether ``arn`` (text; pseudo parameters as ``${AWS::Partition}``/``${AWS::AccountId}``)
    names the service-linked role of ``contract``'s service (:data:`WIRED_LINKED_ROLES`): the
    name its contract rows give it, or that name with a custom suffix ("A service-linked role
    with a custom suffix that you specify when you create the role, for example,
    AWSServiceRoleForAutoScaling_mysuffix", Amazon EC2 Auto Scaling User Guide, "Service-linked
    roles for Amazon EC2 Auto Scaling",
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html),
    under ``aws-service-role/<service>/``, in ``account`` (the stack's own pseudo parameter only
    when None: a literal account of an environment-agnostic app may be another's). Any other principal
    (another account's root, an ordinary role) is not one: "only the linked service can assume a
    service-linked role" (the same page)."""
    service = WIRED_LINKED_ROLES.get(contract)
    if service is None:
        return False
    name = rows_for(contract)[0].principal.rsplit("/", 1)[1]
    # the account: the key's own, as a literal or as the stack's pseudo parameter; when the key's
    # account is not known (an environment-agnostic stack), the pseudo parameter only (a literal
    # account may be another's). The partitions: AWS's (aws, aws-cn, aws-us-gov, aws-iso...).
    owner = rf"{re.escape(account)}|" if account else ""
    pattern = (
        rf"arn:(aws|aws-cn|aws-us-gov|aws-iso(-[a-z])?|\$\{{AWS::Partition\}}):iam::"
        rf"({owner}\$\{{AWS::AccountId\}}):role/"
        rf"aws-service-role/{re.escape(service)}/{re.escape(name)}(_[\w+=,.@-]+)?"
    )
    return re.fullmatch(pattern, arn) is not None


#: The service-linked roles a key policy names by ``aws:PrincipalArn`` under the account's root
#: principal, not as the statement's ``Principal``: "The principals in the key policy must exist
#: and be visible to KMS" (AWS KMS API Reference, "CreateKey", Policy,
#: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html), and DynamoDB creates
#: its Kinesis replication role only when a table first streams into Kinesis, after the key. A
#: condition value need not exist; the role's AWS managed policy
#: (DynamoDBKinesisReplicationServiceRolePolicy) allows the row's request, which the account
#: principal then lets through. EC2 Auto Scaling's role stays the ``Principal``, as its page
#: writes it.
NAMED_BY_CONDITION = frozenset({"table_kinesis_stream"})
#: The deployment role's rows the wiring writes (a table importing a bucket on the key), each in
#: a statement of its own (``WIRED_DEPLOYMENT_SIDS``), not through the domain's services.
WIRED_DEPLOYMENT = ("table_import_source",)
#: Stores whose service-principal rows get statements of their own, written by the domain for
#: every resource of the type on the key (``AllowLogsService`` per log group,
#: ``AllowEventBridgeEventBuses`` per bus), not ``AllowContract...``.
WRITTEN_APART = frozenset({"log_group", "event_bus"})
#: Types whose door rows (:func:`door_rows`) the domain writes for every resource of the type on
#: the key, as if the app had called ``domain.allow_deployment_requests``: an event bus, whose
#: creator's requests AWS documents with no ``kms:ViaService`` ("To create or update an event bus
#: encrypted using a customer managed key, you must have the following permissions...") and
#: whose every cryptographic operation carries the bus's ARN as encryption context, which scopes
#: the statement to the account's event buses ("Encrypting EventBridge event buses with AWS KMS
#: keys", Amazon EventBridge User Guide,
#: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-cmkey.html).
DOORS_WRITTEN = frozenset({"AWS::Events::EventBus"})
#: the stores whose rows follow a type on the key (its own and its ``with`` integrations)
_TYPED_STORES = frozenset(STORE_TYPES.values()) | {
    s for extra in WITH_STORES.values() for s in extra.values()
}

#: The actions whose requests carry an encryption context: the cryptographic operations of the
#: read and write capabilities ("All AWS KMS cryptographic operations with symmetric encryption
#: KMS keys accept an encryption context", AWS KMS Developer Guide, "Encryption context",
#: https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html) and CreateGrant,
#: whose grant constraints name one. A DescribeKey carries none, so a row's
#: ``kms:EncryptionContext:...`` keys are not in its request (and cannot scope it).
ENCRYPTION_CONTEXT_ACTIONS = (frozenset(READ_ACTIONS + WRITE_ACTIONS) - {"kms:DescribeKey"}) | {
    "kms:CreateGrant"
}


def shape(row: ContractRow) -> Shape:
    """How ``row``'s requests get through a domain key (see the module)."""
    if row.caller == "deployment_role":
        if row.store in WIRED_DEPLOYMENT:
            return "named_by_app"  # written for the wiring the app makes (tests/test_wired_roles)
        return "via_service" if not not_written_reason(row) else "not_written"
    if row.caller == "service_principal":
        return "service" if not not_written_reason(row) else "not_written"
    if row.caller == "infrastructure_role":
        return "infrastructure"
    if row.caller == "service_linked_role":
        return "named_by_app" if row.store in _WIRED_LINKED_ROLES else "not_written"
    return "named_by_app"  # capability, store_role, passed_role


def auto_written(row: ContractRow) -> bool:
    """Whether the domain writes ``row``'s statement on its own for a resource of its type on
    the key: a service principal's row of shape ``service`` that no grant authorizes (AWS's own
    key policy does not name it: a statement would be wider than AWS's), and that is scoped by
    a condition, or asked at create or attach time for data keys only (an unconditioned
    run-time statement, or unconditioned grants, would let the service use the key for any
    account's resources: the app declares such a statement with ``domain.allow_service`` from
    the row's page, its own decision)."""
    return (
        shape(row) == "service"
        and not row.via_grant
        and (
            bool(service_conditions(row))
            or (
                row.phase != "run" and not set(row.actions) & (_GRANT_ACTIONS | {"kms:RetireGrant"})
            )
        )
    )


def counts_for_service(row: ContractRow) -> bool:
    """Whether ``row`` decides what a statement for its service principal may hold (the audit's
    CDKP106, the prover): the rows of the integrations the library writes (publishers,
    deliveries) and the rows it writes for a type on the key; not a row of a type it leaves to
    the app (it would let an unscoped statement of the service through on every key)."""
    return row.store not in _TYPED_STORES or row.store in WRITTEN_APART or auto_written(row)


def not_written_reason(row: ContractRow) -> str:
    """Why the domain does not write ``row`` on its own (empty: it does, or the app names its
    caller)."""
    if row.caller == "service_linked_role" and row.store not in _WIRED_LINKED_ROLES:
        role = row.principal.rsplit("/", 1)[-1]
        return (
            f"a service-linked role ({role}) must be named in the key policy, and the domain "
            "names no service-linked role but those the app's wiring uses (EC2 Auto Scaling's, "
            "DynamoDB's Kinesis replication role)"
        )
    if row.caller == "service_principal":
        dropped = [k for k in row.context if k not in _represented(row)]
        if dropped:
            return (
                f"its request context names {', '.join(dropped)} with an example value a "
                "statement for the app's resources cannot repeat, so the statement would be "
                "wider than AWS's"
            )
        return ""
    if row.caller != "deployment_role":
        return ""
    if "kms:ViaService" not in row.context:
        return (
            "AWS documents the request with no kms:ViaService (the deployment role calls KMS "
            "outside any service), and the domain lets its deployment role use the key only "
            "through the services of its stores"
        )
    beyond = [
        a
        for a in row.actions
        if a in KMS_KEY_ACTIONS and a not in DEPLOYMENT_ACTIONS and a not in _GRANT_ACTIONS
    ]
    if beyond:
        return f"{', '.join(beyond)} is beyond the deployment role's statements"
    if set(row.actions) & _GRANT_ACTIONS and row.context.get("kms:GrantIsForAWSResource") != "true":
        return "a grant not for an AWS resource (no kms:GrantIsForAWSResource)"
    return ""


def _arn_pattern(value: str) -> str | None:
    """``arn:{partition}:svc:{region}:{account}:*`` for an ARN-valued example (the resource part
    generalized: the row's value names an example resource; the account always the key's), or
    None for another value, or an ARN without a region or an account (an S3 bucket's: a pattern
    would match every account's)."""
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
        return None
    return ":".join([*parts[:4], "{account}"]) + ":*"


def _conditions(row: ContractRow) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(the conditions, the context keys they hold) of :func:`service_conditions`."""
    out: dict[str, dict[str, Any]] = {}
    held: list[str] = []
    for key, value in row.context.items():
        if key in ("aws:SourceAccount", "kms:CallerAccount"):
            out.setdefault("StringEquals", {})[key] = "{account}"
        elif key == "kms:ViaService":
            out.setdefault("StringEquals", {})[key] = value
        elif value in ("true", "false"):
            out.setdefault("Bool", {})[key] = value
        elif key == "kms:GrantConstraintType":  # a constraint AWS fixes, not an example value
            out.setdefault("StringEquals", {})[key] = value
        elif key == "kms:GrantOperations":  # multivalued: every operation of the grant
            out.setdefault("ForAllValues:StringEquals", {})[key] = [value]
        elif (pattern := _arn_pattern(value)) is not None:
            out.setdefault("ArnLike", {})[key] = pattern
        else:
            continue
        held.append(key)
    return out, held


def _represented(row: ContractRow) -> list[str]:
    return _conditions(row)[1]


def unrepresented(row: ContractRow) -> list[str]:
    """The keys of ``row``'s request context no condition of :func:`service_conditions` holds
    (an example value a statement for the app's resources cannot repeat)."""
    return [k for k in row.context if k not in _represented(row)]


def service_conditions(row: ContractRow) -> dict[str, dict[str, Any]]:
    """The conditions of the statement that lets ``row`` through, from the keys of its request
    context (``{partition}``, ``{region}``, ``{account}`` placeholders kept for the writer):

    * ``aws:SourceAccount`` and ``kms:CallerAccount``: ``StringEquals`` the account;
    * ``kms:ViaService``, ``kms:GrantConstraintType``: ``StringEquals`` the value AWS writes;
      ``kms:GrantOperations``: ``ForAllValues:StringEquals`` it (a multivalued key);
    * an ARN-valued key (``aws:SourceArn``, ``kms:EncryptionContext:...``): ``ArnLike`` the ARN
      of the same service and region in the key's account, any resource (the row's value is
      AWS's example resource, the app's resources have other names);
    * ``"true"``/``"false"`` values: ``Bool``.

    A key none of these holds makes the row ``not_written`` (:func:`not_written_reason`):
    dropping it would make the statement wider than AWS's. Empty for a row with no request
    context: AWS writes the statement without a condition."""
    return _conditions(row)[0]


def fill(conditions: Mapping[str, Mapping[str, Any]], values: Mapping[str, str]) -> dict[str, Any]:
    """``conditions`` with the ``{partition}``/``{region}``/``{account}`` placeholders replaced."""

    def sub(text: Any) -> Any:
        if isinstance(text, list):
            return [sub(t) for t in text]
        if not isinstance(text, str):
            return text
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    return {op: {k: sub(v) for k, v in block.items()} for op, block in conditions.items()}


#: What ``domain.allow_deployment_requests(cfn_type)`` may give the deployment role: using the
#: key's data keys, describing it, and grants. Administration (a key-policy change) the
#: deployment role holds already as an administrator of the key (``AllowAdminister``); nothing
#: else is ever given.
DOOR_ACTIONS = DEPLOYMENT_ACTIONS | _GRANT_ACTIONS | {"kms:RetireGrant"}


def door_rows(cfn_type: str) -> list[ContractRow]:
    """The create and attach rows of ``cfn_type`` whose requests by the deployment role the
    domain does not write on its own (:func:`not_written_reason`)."""
    store = STORE_TYPES.get(cfn_type)
    if store is None:
        return []
    return [
        r
        for r in rows_for(store)
        if r.phase != "run" and r.caller == "deployment_role" and not_written_reason(r)
    ]


def door_sid(store: str, index: int) -> str:
    """The Sid of the door statement of ``store``'s ``index``-th door row."""
    from .capabilities import DEPLOYMENT_DIRECT_SID_PREFIX

    name = "".join(p.capitalize() for p in store.replace("-", "_").split("_") if p)
    return DEPLOYMENT_DIRECT_SID_PREFIX + name + (str(index) if index else "")


def door_row_for_sid(sid: str) -> ContractRow | None:
    """The door row whose statement has Sid ``sid`` (None: no such row)."""
    for cfn_type in STORE_TYPES:
        for index, row in enumerate(door_rows(cfn_type)):
            if door_sid(row.store, index) == sid:
                return row
    return None


def door_conditions(row: ContractRow) -> dict[str, dict[str, Any]]:
    """The conditions of the door statement for ``row`` (placeholders kept): every key of its
    request context the statement can hold (:func:`service_conditions`)."""
    return service_conditions(row)


def door_refusal(cfn_type: str) -> str:
    """Why ``domain.allow_deployment_requests(cfn_type)`` is refused (empty: it is not): the
    type has no such request, AWS documents one beyond :data:`DOOR_ACTIONS` and the key's
    administration, or a request context the statement cannot repeat. Actions KMS authorizes by
    IAM policy only (``kms:ListAliases``) are not the key policy's to give."""
    rows = door_rows(cfn_type)
    if not rows:
        return f"{cfn_type} has no request of the deployment role the domain does not write"
    beyond = sorted(
        {
            a
            for r in rows
            for a in r.actions
            if a in KMS_KEY_ACTIONS and a not in DOOR_ACTIONS and a not in ADMINISTER_ACTIONS
        }
    )
    if beyond:
        return (
            f"AWS documents {', '.join(beyond)} by the deploying principal for {cfn_type} "
            f"({rows[0].source}), which the deployment role of a domain key never gets"
        )
    for row in rows:
        dropped = [k for k in row.context if k not in _represented(row)]
        if dropped:
            return (
                f"the request context of {cfn_type}'s request ({', '.join(dropped)}) names an "
                "example value a statement for the app's resources cannot repeat"
            )
    return ""


def door_statement_actions(row: ContractRow) -> list[str]:
    """The actions of the door statement for ``row``: its key-policy data and grant actions
    (administration is the deployment role's already; IAM-only actions are not the key's)."""
    return [a for a in row.actions if a in DOOR_ACTIONS]


def carries_context(action: str) -> bool:
    """Whether a request for ``action`` (a name or a ``kms:X*`` pattern) carries an encryption
    context: true when every action the pattern stands for does."""
    matched = [a for a in KMS_KEY_ACTIONS if fnmatchcase(a, action)] or [action]
    return all(a in ENCRYPTION_CONTEXT_ACTIONS for a in matched)


def request_context(row: ContractRow, action: str) -> dict[str, str]:
    """The request context of ``row``'s request for ``action``: the row's, without the
    ``kms:EncryptionContext...`` keys when ``action`` carries no encryption context, and each
    value AWS wrote as a pattern (``arn:aws:logs:us-east-1:*:*``) as one request of the key's
    account would carry (:func:`_as_sent`)."""
    sent = {k: _as_sent(v) for k, v in row.context.items()}
    if carries_context(action):
        return sent
    return {k: v for k, v in sent.items() if not k.startswith("kms:EncryptionContext")}


def _as_sent(value: str) -> str:
    """A request's value for a context value AWS wrote as a pattern: an ARN's ``*`` account as
    the key's (``{account}``), any other ``*`` as ``example``."""
    if "*" not in value:
        return value
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4] == "*":
        parts[4] = "{account}"
    return ":".join(parts).replace("*", "example")


def requested(row: ContractRow) -> tuple[str, ...]:
    """The actions of ``row`` AWS requests: all of them, except, in a row scoped by an
    encryption context, those whose requests carry none (a DescribeKey): AWS's own statement,
    which names them under that condition, could never allow them, so no request of the row
    needs them (they stay in a statement written as AWS writes it, as ``statement_only`` does
    for the Logs row)."""
    if not any(k.startswith("kms:EncryptionContext") for k in row.context):
        return row.actions
    return tuple(a for a in row.actions if carries_context(a))

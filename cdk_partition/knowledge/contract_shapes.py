"""How each contract row is let through a domain key: its *shape*, decided from the row alone.

A row (:class:`~cdk_partition.knowledge.contracts.ContractRow`) records a request AWS makes; the
key policy lets it through in one of a few ways, and this module says which, so the key-policy
writer, the audit, the docs and the tests read one answer:

* ``via_service``: the deployment role through the service (``kms:ViaService``): the domain
  writes ``AllowDeploymentViaServices`` / ``AllowGrantsForAWSResources`` for the service.
* ``service``: a service principal as itself: the domain writes ``AllowContract<Store><Service>``
  with the row's actions, under the conditions :func:`service_conditions` derives from the row's
  request context (the row documents none: no condition, as AWS writes it).
* ``infrastructure``: the EC2 infrastructure role, through a grant (the deny exempts it).
* ``named_by_app``: readers and writers, roles the app passes to the service, roles the CDK
  creates for a store: the key names them when the app does (``grant_read``/``grant_write``,
  the store methods); never behind the app's back.
* ``not_written``: a shape the domain does not write on its own (the deployment role outside any
  service, a service-linked role other than EC2 Auto Scaling's, an action its statements do not
  hold): the audit reports the request the key refuses (``CDKP107``) and says what to write.

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .capabilities import KMS_KEY_ACTIONS, READ_ACTIONS, WRITE_ACTIONS
from .contracts import STORE_TYPES, ContractRow, rows_for

__all__ = [
    "DEPLOYMENT_ACTIONS",
    "DOOR_ACTIONS",
    "Shape",
    "carries_context",
    "door_actions_for_sid",
    "door_refusal",
    "door_rows",
    "not_written_reason",
    "request_context",
    "requested",
    "service_conditions",
    "shape",
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
#: the Auto Scaling service-linked role's rows are written by the wiring (launch templates)
_WIRED_LINKED_ROLES = ("launch_template_auto_scaling",)


def shape(row: ContractRow) -> Shape:
    """How ``row``'s requests get through a domain key (see the module)."""
    if row.caller == "deployment_role":
        return "via_service" if not not_written_reason(row) else "not_written"
    if row.caller == "service_principal":
        return "service" if not not_written_reason(row) else "not_written"
    if row.caller == "infrastructure_role":
        return "infrastructure"
    if row.caller == "service_linked_role":
        return "named_by_app" if row.store in _WIRED_LINKED_ROLES else "not_written"
    return "named_by_app"  # capability, store_role, passed_role


def not_written_reason(row: ContractRow) -> str:
    """Why the domain does not write ``row`` on its own (empty: it does)."""
    if row.caller == "service_linked_role" and row.store not in _WIRED_LINKED_ROLES:
        return (
            f"the service-linked role {row.principal} must be named in the key policy, and KMS "
            "refuses a key policy naming a role that does not exist yet: the domain names it "
            "only when the app does"
        )
    if row.caller == "service_principal":
        if row.context and not service_conditions(row):
            return (
                "its request context names only an example resource "
                f"({', '.join(row.context)}), which a statement for the app's resources cannot "
                "repeat, and AWS supports scoping it, so an unconditioned statement would be "
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
    generalized: the row's value names an example resource), or None for another value."""
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return ":".join(parts[:5]) + ":*"


def service_conditions(row: ContractRow) -> dict[str, dict[str, Any]]:
    """The conditions of the statement that lets ``row`` (a service principal's request)
    through, from the keys of its request context (``{partition}``, ``{region}``,
    ``{account}`` placeholders kept for the writer to fill):

    * ``aws:SourceAccount`` and ``kms:CallerAccount``: ``StringEquals`` the account;
    * an ARN-valued key (``aws:SourceArn``, ``kms:EncryptionContext:...``): ``ArnLike`` the ARN
      of the same service, region and account with any resource (the row's value is AWS's
      example resource, the app's resources have other names);
    * ``"true"``/``"false"`` values: ``Bool``;
    * ``kms:GrantConstraintType``: ``StringEquals`` the value AWS writes;
    * any other key is left out (its value is an example the app's resources do not share):
      the statement is then as narrow as the keys above make it, never narrower than a request
      AWS makes for another resource of the account.

    Empty for a row with no request context: AWS writes the statement without a condition."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in row.context.items():
        if key in ("aws:SourceAccount", "kms:CallerAccount"):
            out.setdefault("StringEquals", {})[key] = "{account}"
        elif value in ("true", "false"):
            out.setdefault("Bool", {})[key] = value
        elif key == "kms:GrantConstraintType":  # a constraint AWS fixes, not an example value
            out.setdefault("StringEquals", {})[key] = value
        elif (pattern := _arn_pattern(value)) is not None:
            out.setdefault("ArnLike", {})[key] = pattern
    return out


def fill(conditions: Mapping[str, Mapping[str, Any]], values: Mapping[str, str]) -> dict[str, Any]:
    """``conditions`` with the ``{partition}``/``{region}``/``{account}`` placeholders replaced."""

    def sub(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    return {op: {k: sub(v) for k, v in block.items()} for op, block in conditions.items()}


#: What ``domain.allow_deployment_requests(cfn_type)`` may give the deployment role: using the
#: key's data keys, describing it, and grants (never administering the key, nor reading or
#: changing its policy).
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


def door_refusal(cfn_type: str) -> str:
    """Why ``domain.allow_deployment_requests(cfn_type)`` is refused (empty: it is not): the
    type has no such request, or AWS documents one beyond :data:`DOOR_ACTIONS` (a key policy
    change, say), which the deployment role of a domain key must never get. Actions KMS
    authorizes by IAM policy only (``kms:ListAliases``) are not the key policy's to give."""
    rows = door_rows(cfn_type)
    if not rows:
        return f"{cfn_type} has no request of the deployment role the domain does not write"
    beyond = sorted(
        {a for r in rows for a in r.actions if a in KMS_KEY_ACTIONS and a not in DOOR_ACTIONS}
    )
    if beyond:
        return (
            f"AWS documents {', '.join(beyond)} by the deploying principal for {cfn_type} "
            f"({rows[0].source}): the deployment role of a domain key never gets them (it "
            "could then change who may use the key)"
        )
    return ""


def door_actions_for_sid(sid: str) -> frozenset[str]:
    """The actions an ``AllowDeploymentDirect<Store>[<n>]`` statement may hold: those of the
    door rows of the store its Sid names (empty: no such store)."""
    from .capabilities import DEPLOYMENT_DIRECT_SID_PREFIX

    name = sid.removeprefix(DEPLOYMENT_DIRECT_SID_PREFIX).rstrip("0123456789")
    for cfn_type, store in STORE_TYPES.items():
        if "".join(p.capitalize() for p in store.split("_")) == name:
            rows = door_rows(cfn_type)
            return frozenset(a for r in rows for a in r.actions if a in DOOR_ACTIONS)
    return frozenset()


#: The actions whose requests carry an encryption context: the cryptographic operations of the
#: read and write capabilities ("All AWS
#: KMS cryptographic operations with symmetric encryption KMS keys accept an encryption
#: context", AWS KMS Developer Guide, "Encryption context",
#: https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html) and CreateGrant,
#: whose grant constraints name one. A DescribeKey carries none, so a row's
#: ``kms:EncryptionContext:...`` keys are not in its request (and cannot scope it).
ENCRYPTION_CONTEXT_ACTIONS = (
    frozenset(READ_ACTIONS + WRITE_ACTIONS) - {"kms:DescribeKey"}
) | {"kms:CreateGrant"}


def carries_context(action: str) -> bool:
    """Whether a request for ``action`` (a name or a ``kms:X*`` pattern) carries an encryption
    context: true when every action the pattern stands for does."""
    from fnmatch import fnmatchcase

    matched = [a for a in KMS_KEY_ACTIONS if fnmatchcase(a, action)] or [action]
    return all(a in ENCRYPTION_CONTEXT_ACTIONS for a in matched)


def request_context(row: ContractRow, action: str) -> dict[str, str]:
    """The request context of ``row``'s request for ``action``: the row's, without the
    ``kms:EncryptionContext...`` keys when ``action`` carries no encryption context."""
    if carries_context(action):
        return dict(row.context)
    return {k: v for k, v in row.context.items() if not k.startswith("kms:EncryptionContext")}


def requested(row: ContractRow) -> tuple[str, ...]:
    """The actions of ``row`` AWS requests: all of them, except, in a row scoped by an
    encryption context, those whose requests carry none (a DescribeKey): AWS's own statement,
    which names them under that condition, could never allow them, so no request of the row
    needs them (they stay in a statement written as AWS writes it, as ``statement_only`` does
    for the Logs row)."""
    if not any(k.startswith("kms:EncryptionContext") for k in row.context):
        return row.actions
    return tuple(a for a in row.actions if carries_context(a))

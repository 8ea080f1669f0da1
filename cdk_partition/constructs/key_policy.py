"""Key-policy building blocks: small functions from principals to ``iam.PolicyStatement``.

The policy a :class:`~cdk_partition.DataDomain` writes has exactly these statements:

* ``AllowAdminister`` / ``AllowRead`` / ``AllowWrite``: one Allow per capability, naming its
  principals directly (no delegation to the account root, so IAM identity policies alone never open
  the key).
* ``DenyEveryoneElse``: ``kms:*`` denied to every principal whose ``aws:PrincipalArn`` is not one of
  the domain's named principals, unless the caller is an AWS service principal calling as itself.
  ``ArnNotEquals`` evaluates *true* when ``aws:PrincipalArn`` is absent, and ``BoolIfExists`` on
  ``aws:PrincipalIsAWSService`` evaluates true when that key is absent, so the deny applies to
  every request that is not provably an AWS service principal's. Service principals are still
  refused by KMS unless an Allow names them (service statements are scoped per store).

The functions never read the construct tree; ``principal_arn`` is the only one that talks to jsii
(to read a principal's policy fragment).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from aws_cdk import aws_iam as iam

from ..knowledge.capabilities import (
    ATTACH_GRANTS_SID,
    DENY_EVERYONE_ELSE_SID,
    KMS_KEY_ACTIONS,
    LOGS_SERVICE_SID,
    VIA_SERVICES_SID,
    Capability,
)
from ..marks import Environment
from ._messages import readable, render_principal

_TOKEN = re.compile(r"\$\{Token\[[^\]]+\]\}")
_PRINCIPAL_PAGE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
)


def _is_token(value: str) -> bool:
    return bool(_TOKEN.search(value))


def principal_arn(
    principal: iam.IPrincipal, *, capability: str = "a capability", scope: Any = None
) -> str:
    """Return the IAM ARN a key policy can name for ``principal``, or raise ``ValueError``.

    Accepted: IAM roles and users (created here or imported by ARN/name), and ``ArnPrincipal`` of a
    role or user ARN. Refused: an ARN with a wildcard (``role/analytics-*``: KMS refuses such a
    key policy at deployment), with what to do instead: account roots and account principals
    (they delegate to every principal of an account), ``AnyPrincipal``, service, federated and
    organization principals, groups (KMS rejects them), STS session ARNs, and composite principals.
    ``scope`` (the domain) resolves tokens in the messages (an ARN pattern, not ``${Token[...]}``).
    """
    label = f"{capability}: {render_principal(principal, scope)}"
    if isinstance(principal, iam.AccountRootPrincipal | iam.AccountPrincipal):
        raise ValueError(
            f"{label} delegates the key to every IAM principal of the account, which is what a "
            "domain key must not do. Name the roles and users themselves."
        )
    if isinstance(principal, iam.Group):
        raise ValueError(f"{label}: KMS key policies cannot name IAM groups. Name roles or users.")
    if isinstance(principal, iam.ServicePrincipal):
        raise ValueError(
            f"{label} is an AWS service, not an IAM role or user. Pass the role the service runs "
            "as (a Lambda function's `fn.role`, a task's role); services that use the key "
            "themselves get their contract's access from the store methods, "
            "allow_service_publisher (deliveries with a contract) or allow_service (a statement "
            "AWS documents)."
        )
    fragment = principal.policy_fragment
    principal_json = fragment.principal_json
    values = principal_json.get("AWS")
    if set(principal_json) != {"AWS"} or not isinstance(values, list) or len(values) != 1:
        shown = readable(json.dumps(principal_json, sort_keys=True), scope)
        raise ValueError(
            f"{label} is not a single IAM ARN (principal {shown}). Pass IAM roles or "
            "users, one principal per entry; services are given access by the store methods."
        )
    if isinstance(principal, iam.OrganizationPrincipal):
        raise ValueError(
            f"{label} delegates the key to every IAM principal of every account of the "
            "organization, which is what a domain key must not do. Name the roles and users "
            "themselves (iam.Role.from_role_arn(scope, id, 'arn:aws:iam::<account>:role/<name>'))."
        )
    if fragment.conditions:
        raise ValueError(f"{label} carries conditions; pass the plain role or user instead.")
    arn = values[0]
    if arn == "*":
        raise ValueError(f"{label} is everyone ('*'). Name the roles and users of the domain.")
    literal = _TOKEN.sub("", arn)
    if "*" in literal or "?" in literal:
        raise ValueError(
            f"{label} has ARN {readable(arn, scope)!r}, with a wildcard. KMS refuses the key "
            'policy at deployment: "You cannot use a wildcard to match part of a principal name '
            'or ARN" (IAM User Guide, "AWS JSON policy elements: Principal", '
            f"{_PRINCIPAL_PAGE}). Name each role or user (iam.Role.from_role_arn(scope, id, "
            "'arn:aws:iam::<account>:role/<name>')), one grant per principal."
        )
    if not _is_token(arn):
        if re.fullmatch(r"\d{12}", arn) or arn.endswith(":root"):
            raise ValueError(f"{label} is an account ({arn}); name its roles and users instead.")
        if not re.match(r"^arn:[^:]+:iam::[^:]*:(role|user)/", arn):
            raise ValueError(
                f"{label} has ARN {arn!r}, which is not an IAM role or user ARN (STS session, group "
                "and other ARNs cannot be matched by aws:PrincipalArn). Pass the role or user ARN."
            )
    return arn


def capability_statement(
    capability: Capability, principals: Sequence[iam.IPrincipal]
) -> iam.PolicyStatement:
    """The Allow statement that gives ``principals`` exactly ``capability`` on the key."""
    return iam.PolicyStatement(
        sid=capability.sid,
        effect=iam.Effect.ALLOW,
        principals=list(principals),
        actions=list(capability.actions),
        resources=["*"],
    )


def deny_everyone_else_condition(allowed_arns: Sequence[str]) -> dict[str, dict[str, object]]:
    """The condition block of ``DenyEveryoneElse`` for the given named principal ARNs."""
    return {
        "ArnNotEquals": {"aws:PrincipalArn": list(allowed_arns)},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
    }


def deny_everyone_else_statement(allowed_arns: Sequence[str]) -> iam.PolicyStatement:
    """Deny ``kms:*`` to every principal not in ``allowed_arns`` (AWS service principals aside)."""
    return iam.PolicyStatement(
        sid=DENY_EVERYONE_ELSE_SID,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["kms:*"],
        resources=["*"],
        conditions=deny_everyone_else_condition(allowed_arns),
    )


# -- statements the store methods add for the services they use --------------------------------
def logs_service_statement(
    service_principal: str, log_group_arns: Sequence[str]
) -> iam.PolicyStatement:
    """CloudWatch Logs may use the key, only for the given log groups (by encryption context)."""
    return iam.PolicyStatement(
        sid=LOGS_SERVICE_SID,
        effect=iam.Effect.ALLOW,
        principals=[iam.ServicePrincipal(service_principal)],
        actions=[
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ],
        resources=["*"],
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": list(log_group_arns)}},
    )


def attach_grant_statement(
    principal_arns: Sequence[str], via_services: Sequence[str]
) -> iam.PolicyStatement:
    """Grants for AWS resources only, through the named services only: what DynamoDB, Firehose,
    EBS, RDS and EFS need to create encrypted stores (their service contracts)."""
    return iam.PolicyStatement(
        sid=ATTACH_GRANTS_SID,
        effect=iam.Effect.ALLOW,
        principals=[iam.ArnPrincipal(a) for a in principal_arns],
        actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        resources=["*"],
        conditions={
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"kms:ViaService": list(via_services)},
        },
    )


def account_delegation_via_service(statement: Mapping[str, Any]) -> str | None:
    """The service (``secretsmanager``, ``ec2``...) when ``statement`` (resolved JSON) allows the
    account root only through ``kms:ViaService``, as CDK L2s write for
    ``ViaServicePrincipal(service, AccountRootPrincipal())``; else None.

    AWS KMS Developer Guide, "kms:ViaService"
    (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service):
    the key limits use to requests that come through the named AWS service on the principal's
    behalf; the principal is still every principal of the account.
    """
    if statement.get("Effect") != "Allow":
        return None
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, Mapping) else None
    values = aws if isinstance(aws, list) else [aws]
    if len(values) != 1 or not _is_account_root(values[0]):
        return None
    condition = statement.get("Condition")
    equals = condition.get("StringEquals") if isinstance(condition, Mapping) else None
    if not isinstance(equals, Mapping) or set(condition or ()) != {"StringEquals"}:
        return None
    # only kms:ViaService, and optionally kms:CallerAccount (ec2.Volume adds it)
    if "kms:ViaService" not in equals or set(equals) - {"kms:ViaService", "kms:CallerAccount"}:
        return None
    via = equals["kms:ViaService"]
    if isinstance(via, Mapping) and isinstance(via.get("Fn::Join"), list):
        parts = via["Fn::Join"][1] if len(via["Fn::Join"]) == 2 else []
        via = "".join(p if isinstance(p, str) else "*" for p in parts)
    match = re.match(r"^([a-z0-9-]+)\.", via) if isinstance(via, str) else None
    return match.group(1) if match else None


def service_principals_of(statement: Mapping[str, Any]) -> list[str]:
    """The service principals an Allow statement (resolved JSON) names, when it names only
    services; else an empty list."""
    principal = statement.get("Principal")
    if statement.get("Effect") != "Allow" or not isinstance(principal, Mapping):
        return []
    if set(principal) != {"Service"}:
        return []
    services = principal["Service"]
    return [str(s) for s in (services if isinstance(services, list) else [services])]


def contract_publisher_of(statement: Mapping[str, Any]) -> str | None:
    """The service principal when ``statement`` (resolved JSON) is an Allow whose only principal
    is an AWS service with a publisher contract (:data:`cdk_partition.knowledge.contracts
    .SERVICE_PUBLISHERS`: S3, SNS, EventBridge delivering into queues and topics), and that is
    unconditioned or conditioned on a resource's token (a dependency cycle); else None."""
    from ..knowledge.contracts import SERVICE_PUBLISHERS

    if statement.get("Effect") != "Allow":
        return None
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping) or set(principal) != {"Service"}:
        return None
    services = (
        principal["Service"] if isinstance(principal["Service"], list) else [principal["Service"]]
    )
    if len(services) != 1 or services[0] not in SERVICE_PUBLISHERS:
        return None
    condition = statement.get("Condition")
    if condition and not references_resource(condition):
        return None  # scoped by names known at synth (an event bus's own statement): keep it
    return str(services[0])


def literal_sources_of(
    statement: Mapping[str, Any], unresolved: Mapping[str, Any]
) -> tuple[str, list[Any]] | None:
    """``(service principal, source ARNs)`` when ``statement`` (resolved JSON) is an Allow whose
    only principal is an AWS service with a publisher contract that supports the source keys, and
    whose condition is only ``aws:SourceArn`` (``ArnLike`` / ``ArnEquals``) and
    ``aws:SourceAccount``, each known at synth (no resource's token: pseudo parameters at most).
    What the CDK writes for a source imported by name
    (``s3.Bucket.from_bucket_name(...).add_event_notification(...)``). The ARNs are taken from
    ``unresolved`` (the same statement before resolution: strings or tokens). Else None."""
    from ..knowledge.contracts import SERVICE_PUBLISHERS

    principal = statement.get("Principal")
    if statement.get("Effect") != "Allow" or not isinstance(principal, Mapping):
        return None
    services = principal.get("Service")
    services = services if isinstance(services, list) else [services]
    if set(principal) != {"Service"} or len(services) != 1:
        return None
    publisher = SERVICE_PUBLISHERS.get(str(services[0]))
    condition, raw = statement.get("Condition"), unresolved.get("Condition")
    if publisher is None or not publisher.conditions_required or not isinstance(condition, Mapping):
        return None
    if not isinstance(raw, Mapping) or references_resource(condition):
        return None
    arns: list[Any] = []
    for operator, block in condition.items():
        if not isinstance(block, Mapping) or not isinstance(raw.get(operator), Mapping):
            return None
        for key in block:
            if operator in ("ArnLike", "ArnEquals") and key.lower() == "aws:sourcearn":
                values = raw[operator].get(key)
                arns += values if isinstance(values, list) else [values]
            elif not (operator == "StringEquals" and key.lower() == "aws:sourceaccount"):
                return None
    return (str(services[0]), arns) if arns else None


def covered(
    statement: Mapping[str, Any], declared: Sequence[Mapping[str, Any]], env: Environment
) -> bool:
    """Whether ``declared`` (resolved Allow statements for the same service principal) allow
    every request ``statement`` (resolved, for that service) allows: no request is allowed by
    ``statement`` and refused by all of ``declared``, decided by the prover over every context
    (the pseudo parameters the environment decides written as their values on both sides)."""
    from ..policy import evaluator
    from ..policy.prover import prover_for

    def concrete(value: Any) -> Any:
        text = json.dumps(evaluator.canonicalize(value))
        for pseudo, known in (("${AWS::Partition}", env.partition_text if env.region else None),
                              ("${AWS::AccountId}", env.account), ("${AWS::Region}", env.region)):  # fmt: skip
            if known:
                text = text.replace(pseudo, known)
        return json.loads(text)

    services = service_principals_of(statement)
    denies = [{**concrete(d), "Effect": "Deny"} for d in declared]
    question = {"Version": "2012-10-17", "Statement": [concrete(statement), *denies]}
    try:
        prover = prover_for(question)
        actions = [a for a in KMS_KEY_ACTIONS
                   if any(fnmatchcase(a.lower(), str(p).lower())
                          for p in _as_list(statement.get("Action")))]  # fmt: skip
        return all(prover.service_may(s, a).status == "denied" for s in services for a in actions)
    except Exception:
        return False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def references_resource(value: Any) -> bool:
    """True when ``value`` holds a ``Ref``/``Fn::GetAtt`` of a resource (not a pseudo parameter):
    a condition on it makes the key depend on that resource."""
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str) and not arg.startswith("AWS::"):
                return True
            if fn == "Fn::GetAtt":
                return True
        return any(references_resource(v) for v in value.values())
    if isinstance(value, list):
        return any(references_resource(v) for v in value)
    return False


def _is_account_root(value: Any) -> bool:
    if isinstance(value, str):
        return value.endswith(":root") or re.fullmatch(r"\d{12}", value) is not None
    if isinstance(value, Mapping) and "Fn::Join" in value:
        parts = value["Fn::Join"][1] if isinstance(value["Fn::Join"], list) else []
        return bool(parts) and isinstance(parts[-1], str) and parts[-1].endswith(":root")
    return False


def via_service_statement(
    principal_arns: Sequence[str], via_services: Sequence[str]
) -> iam.PolicyStatement:
    """Data-key use through the named services only (``kms:ViaService``), for the principal
    that creates the domain's encrypted volumes, databases, file systems and secrets."""
    return iam.PolicyStatement(
        sid=VIA_SERVICES_SID,
        effect=iam.Effect.ALLOW,
        principals=[iam.ArnPrincipal(a) for a in principal_arns],
        actions=[
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
            "kms:DescribeKey",
        ],
        resources=["*"],
        conditions={"StringEquals": {"kms:ViaService": list(via_services)}},
    )


def publisher_statement(
    sid: str, service: str, actions: Sequence[str], conditions: Mapping[str, Any]
) -> iam.PolicyStatement:
    """An AWS service may produce and read encrypted messages of the domain (its contract's
    actions), under ``conditions`` (the contract says which it supports)."""
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.ALLOW,
        principals=[iam.ServicePrincipal(service)],
        actions=list(actions),
        resources=["*"],
        conditions=dict(conditions) or None,
    )

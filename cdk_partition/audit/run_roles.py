"""Roles a domain store runs with must be named by the domain key (CDKP024).

A store on the domain key whose service calls KMS with a role the store itself names (a Step
Functions state machine's execution role, ``RoleArn``: the table
:mod:`cdk_partition.knowledge.run_roles`, each row with its AWS page) works only when the key
policy allows that role the row's KMS requests. The store methods cannot name it for you (the
role is the app's, and naming a principal in the key policy stays explicit), and a state machine
put on the key by the mixin or an L1 gets no IAM statement from the CDK either. For each such
store of a domain whose key slot is a customer managed key, the role's requests are evaluated
against the domain key policy with the policy evaluator; a role that cannot be resolved, or a
request the evaluator cannot decide, is ``CDKP020`` (fail closed).

The encryption context (``aws:states:stateMachineArn``) is not part of the evaluated request: a
key policy statement that names the role under an encryption-context condition is reported as
refusing it (state the role without the condition, as ``domain.grant_read`` does).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.principals import PrincipalResolver
from ..knowledge import catalogue
from ..knowledge.run_roles import ROLES_BY_TYPE, RUN_ROLES
from ..policy import evaluator
from .backups import role_arn
from .identities import RULES as IDENTITY_RULES
from .key_requests import prepared_key_policy, refused_requests
from .rules import Finding, Rule, Source, make_finding, resource_fields

__all__ = ["RULES", "audit_run_roles"]

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP024",
        "error",
        "Domain key refuses the role a domain store runs with",
        "name the role in the key policy: `domain.grant_read(role)` and `domain.grant_write(role)`",
        source=Source(RUN_ROLES[0].title, RUN_ROLES[0].url),
    ),
)
_RULE = {rule.id: rule for rule in RULES}
_RULE_CDKP020 = next(r for r in IDENTITY_RULES if r.id == "CDKP020")
#: KMS request -> the domain capability that holds it (every other request is write)
_CAPABILITY = {"kms:decrypt": "read", "kms:reencryptfrom": "read"}


def audit_run_roles(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP024 per store whose run role the domain key refuses; CDKP020 when it cannot tell."""
    resolver = PrincipalResolver(assembly)
    for stack, logical_id, resource in assembly.resources_in_scope():
        row = ROLES_BY_TYPE.get(str(resource.get("Type")))
        if row is None:
            continue
        props = resource.get("Properties")
        if not isinstance(props, dict):
            continue
        uses = catalogue.classify(row.store_type, props) or []
        if not any(u.state == "customer_key" for u in uses):
            continue  # not on a customer managed key: the store rules speak for it
        domain = assembly.domain_of(stack, logical_id, resource).domain
        if domain is None:
            continue
        yield from _audit_store(assembly, resolver, stack, logical_id, resource, domain, row)


def _audit_store(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    domain: str,
    row: Any,
) -> Iterator[Finding]:
    base = resource_fields(stack, logical_id, resource, domain)
    store_path = base["path"].removesuffix("/Resource")
    value = resource["Properties"].get(row.role_property)
    if value is None:
        return  # a required property (CloudFormation refuses the template; cfn-lint says so)
    role = role_arn(resolver, stack, value)
    key = assembly.nearest_domain_key(domain, stack)
    if role is None or key is None or not isinstance(key.policy, dict):
        why = f"its {row.role_property} cannot be resolved" if role is None else "no readable key"
        yield make_finding(
            _RULE_CDKP020,
            f"{store_path} of domain {domain!r} runs with a role the audit cannot check against "
            f"the domain key: {why}.",
            fix=f"give {row.role_property} a role of the app (`Fn::GetAtt` of it, or its export) "
            "or a literal role ARN, so the audit can check it against the domain key",
            location=row.role_property,
            value=evaluator.canonicalize(value) if role is None else None,
            **base,
        )
        return
    account = stack.environment.account_text
    # the role calls KMS itself, not through the service: no kms:ViaService (the row's page)
    context = {"kms:CallerAccount": account}
    prepared = prepared_key_policy(assembly, resolver, key)
    refused = refused_requests(prepared, role[0], account, row.kms_requests, context)
    if not refused:
        return
    capabilities = sorted({_CAPABILITY.get(r.split(" ")[0].lower(), "write") for r in refused})
    fix = " and ".join(f"`domain.grant_{c}({role[1]})`" for c in capabilities)
    yield make_finding(
        _RULE["CDKP024"],
        f"{store_path} of domain {domain!r} is on the domain key and {row.service} calls KMS "
        f"with its role {role[1]} ({role[0]}), but the domain key refuses "
        f"{', '.join(refused)} ({row.source}: {row.note}): it fails at run time.",
        fix=f"name the role in the key policy of domain {domain!r}: {fix} on the domain, with the "
        "construct of that path (the state machine's `.role`)",
        location=row.role_property,
        value=role[0],
        **base,
    )

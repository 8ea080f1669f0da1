"""Identity policies that allow KMS actions on a domain key itself, which the key refuses (CDKP019).

``domain.key.grant_decrypt(role)``, ``key.grant_encrypt_decrypt(...)`` or a hand-written
statement with ``Resource`` naming the domain key puts ``kms:Decrypt`` (...) in the principal's
identity policy. With this pattern the key policy decides: unless it names the principal,
``DenyEveryoneElse`` refuses the request and the call fails at run time, however the IAM policy
reads. Each such grant is decided by the prover over every request the principal may make
(:meth:`~cdk_partition.policy.prover.Prover.principal_may`), and reported when the key refuses
the principal every action the grant gives, in every context (directly, through every service,
with every encryption context): the principal can do nothing with the key. A principal the key
lets through somewhere (a store's role through its service, under ``kms:ViaService``) may use the
grant that way, and the CDK's store grants give more actions than the service uses: not
reported. Neither is a role given to a resource on the key (a delivery stream's role: the
contract tables judge it), a service role nothing runs with, nor a principal the same policy's
store grant already reports (the CDK's store grants carry the key's actions too:
:mod:`.identities` names the store).

Only a ``Resource`` that names a domain key (``Ref`` / ``Fn::GetAtt`` of it, an import of its
export) counts: ``kms:*`` on ``*`` is an administrator's, whom the pattern keeps out on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, DomainKey, StackTemplate
from ..assembly.principals import PrincipalResolver, placeholders
from ..assembly.references import references
from ..knowledge import catalogue
from ..knowledge.capabilities import KMS_KEY_ACTIONS, expand_kms_actions, least_capabilities
from ..policy import evaluator
from ..policy.prover import prover_for
from .boundaries import boundaries, outside_boundary
from .identities import RULES, verdicts
from .identity_policies import (
    POLICY_TYPES,
    Holder,
    as_list,
    holders,
    later_stack_fix,
    naming_fix,
    props_of,
    statements_of,
)
from .key_requests import prepared_key_policy
from .rules import Finding, make_finding, resource_fields

__all__ = ["audit_key_grants"]

_RULE = {rule.id: rule for rule in RULES}


def _named_key(assembly: CloudAssembly, stack: StackTemplate, value: Any) -> DomainKey | None:
    """The domain key a ``Resource`` value names (``${Key.Arn}``, ``${Key}``, an import of its
    export), else None."""
    for where, logical_id in references(assembly.exports, stack, value, whole=True):
        for key in assembly.domain_keys:
            if key.stack is where and key.logical_id == logical_id:
                return key
    return None


def _statement_keys(
    assembly: CloudAssembly, holder: Holder, statement: Mapping[str, Any]
) -> list[tuple[DomainKey, tuple[str, ...]]]:
    if statement.get("Effect") != "Allow" or "NotAction" in statement:
        return []
    actions = [a for a in expand_kms_actions(as_list(statement.get("Action") or []))
               if a in KMS_KEY_ACTIONS]  # fmt: skip
    if not actions:
        return []
    keys = [_named_key(assembly, holder.stack, v) for v in as_list(statement.get("Resource") or [])]
    return [(k, tuple(actions)) for k in dict.fromkeys(k for k in keys if k is not None)]


def _store_roles(
    assembly: CloudAssembly, resolver: PrincipalResolver, key: DomainKey
) -> frozenset[str]:
    """The ARNs of the roles that resources on ``key`` are given (a delivery stream's role, a
    bucket's replication role): the CDK's grant on the key comes with the resource, and whether
    the role calls KMS is the contract tables' question (CDKP024, CDKP107), not a grant's. Only
    resources whose own data is on the key: a bucket replicating *into* a domain bucket (its
    replica key, a ``delivers`` slot) is no store of the domain, so its role's grant is judged
    here."""
    mark = ("store-roles", id(key.stack), key.logical_id)
    cached = assembly.memo.get(mark)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    roles: set[str] = set()
    for stack in assembly.stacks:
        for resource in stack.resources.values():
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                continue
            props = resource.get("Properties")
            if not isinstance(props, dict) or not any(
                _named_key(assembly, stack, v) is key
                for _, v in catalogue.own_key_values(resource["Type"], props)
            ):
                continue
            text = json.dumps(evaluator.canonicalize(props))
            for start, end in placeholders(text):
                token = text[start:end]
                target = stack.resources.get(token[2:-1].split(".", 1)[0])
                if (
                    token.endswith(".Arn}")
                    and isinstance(target, dict)
                    and (target.get("Type") == "AWS::IAM::Role")
                ):
                    found = resolver.token(token, stack)
                    if found is not None:
                        roles.add(found[0])
    result = frozenset(roles)
    assembly.memo[mark] = result
    return result


#: The policy resources (not the principals) of :data:`POLICY_TYPES`.
_POLICIES = frozenset(POLICY_TYPES) - {"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"}


def _idle_roles(assembly: CloudAssembly, resolver: PrincipalResolver) -> frozenset[str]:
    """The ARNs of the app's roles nobody can use: trusted by AWS services only, and named by no
    resource but the IAM policies on them (no function, task, instance profile or stream runs
    with them; the CDK's Firehose L2 leaves one when the stream needs none). Their grants make
    no call."""
    cached = assembly.memo.get(("idle-roles",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    used: set[tuple[int, str]] = set()  # resources another resource points to, imports followed
    texts: list[str] = []
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") in _POLICIES:
                continue  # the IAM policies on a role make no call with it
            text = json.dumps(evaluator.canonicalize(resource))
            texts.append(text)
            used.update(
                (id(where), target)
                for where, target in references(assembly.exports, stack, text)
                if (where, target) != (stack, logical_id)
            )
    idle: set[str] = set()
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::IAM::Role":
                continue
            trust = props_of(resource).get("AssumeRolePolicyDocument")
            principals = [
                kind
                for statement in statements_of(trust)
                for kind in (statement.get("Principal") or {"*": None})
                if statement.get("Effect") == "Allow"
            ]
            if not principals or any(kind != "Service" for kind in principals):
                continue
            if (id(stack), logical_id) in used:
                continue
            name = props_of(resource).get("RoleName")
            if isinstance(name, str) and any(  # named by its literal name (a Glue job's Role)
                f'"{name}"' in text or f'/{name}"' in text or f":role/{name}" in text
                for text in texts
            ):
                continue
            found = resolver.token(f"${{{logical_id}.Arn}}", stack)
            if found is not None:
                idle.add(found[0])
    result = frozenset(idle)
    assembly.memo[("idle-roles",)] = result
    return result


def audit_key_grants(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP019 for each principal an identity policy allows KMS actions on a domain key that the
    key policy refuses (one finding per policy, principal and key)."""
    if not assembly.domain_keys:
        return
    resolver = PrincipalResolver(assembly)
    reported = {
        (id(v.grant.policy_stack), v.grant.policy_id, v.grant.principal_arn, v.grant.store.domain)
        for v in verdicts(assembly)
        if v.refused or v.undecidable
    }
    found, _ = holders(assembly)
    for holder in found:
        wanted: dict[int, tuple[DomainKey, list[str]]] = {}
        for document in holder.documents:
            for statement in statements_of(document):
                for key, given in _statement_keys(assembly, holder, statement):
                    entry = wanted.setdefault(id(key), (key, []))
                    entry[1].extend(a for a in given if a not in entry[1])
        for key, actions in wanted.values():
            prepared = prepared_key_policy(assembly, resolver, key)
            account = holder.stack.environment.account_text
            for arn, path in holder.principals:
                mark = (id(holder.stack), holder.logical_id, arn, key.name)
                if mark in reported:
                    continue
                if arn in _store_roles(assembly, resolver, key) or arn in _idle_roles(
                    assembly, resolver
                ):
                    continue
                prover = prover_for(prepared)
                # actions its permissions boundary allows nowhere make no call (IAM User Guide,
                # "Permissions boundaries for IAM entities")
                limit = boundaries(assembly).get(arn)
                live = [a for a in actions if not outside_boundary(limit, a.split(" ", 1)[0])]
                refused = [
                    a for a in live if prover.principal_may(arn, account, a).status == "denied"
                ]
                if live and refused == live:
                    yield _finding(assembly, holder, key, (arn, path), live, refused)


def _finding(
    assembly: CloudAssembly,
    holder: Holder,
    key: DomainKey,
    principal: tuple[str, str],
    actions: list[str],
    refused: list[str],
) -> Finding:
    arn, path = principal
    resource = holder.stack.resources[holder.logical_id]
    base = resource_fields(holder.stack, holder.logical_id, resource, key.name)
    plain = [r.split(" ", 1)[0] for r in refused]
    least, outside = least_capabilities(plain)
    capabilities = [str(c) for c in least]
    who = path if path == arn else f"{path} ({arn})"
    calls = " and ".join(f"`domain.grant_{c}(role)`" for c in capabilities)
    fix = None
    if capabilities and path != arn:
        fix = later_stack_fix(assembly, principal, key.stack, calls, key.logical_id)
    if fix is None and capabilities:
        fix = naming_fix(principal, capabilities, key.name, "the IAM grant")
    if outside:
        rest = (
            f"remove {', '.join(outside)} from the IAM grant: no capability of the domain holds it"
        )
        fix = f"{fix}; {rest}" if fix else rest
    return make_finding(
        _RULE["CDKP019"],
        f"IAM allows {who} {', '.join(actions)} on the key of domain {key.name!r} ({key.path}), "
        f"but the key policy refuses "
        f"{'all of it' if refused == actions else ', '.join(refused)}: the call fails at run "
        "time (the key policy, not IAM, decides who uses a domain key).",
        fix=fix,
        location="PolicyDocument",
        value=arn,
        **base,
    )

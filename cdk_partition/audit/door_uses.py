"""The doors' statements are for the stores on the key, and only for them (CDKP104).

The key-policy audit accepts an ``AllowPassedRole<Store>`` statement (``domain.allow_passed_role``)
and an ``AllowDeploymentDirect<Store>`` statement (``domain.allow_deployment_requests``) in their
exact shape: they may give a role grants not for an AWS resource, or the deployment role data-key
use outside any service, as AWS documents for that type. What justifies such a statement is a
store of that type on the key that needs it. This pass, which sees the whole assembly, reports a
door statement of a domain key that no store of its type on that key needs:

* an ``AllowPassedRole`` statement naming a role that no resource of the row's type on the key
  runs with (its role property, or the resource that passes it);
* an ``AllowDeploymentDirect`` statement when no resource of the row's type is on the key.

Either is ``CDKP104``: the statement gives a principal more than its capability for nothing. The
fix: remove the door call (or the hand-written statement), or put the store on the key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, DomainKey
from ..assembly.principals import PrincipalResolver
from ..knowledge import contract_shapes
from ..knowledge.capabilities import DEPLOYMENT_DIRECT_SID_PREFIX, PASSED_ROLE_SID_PREFIX
from ..knowledge.contracts import STORE_TYPES
from ..knowledge.run_roles import LINKED_BY_TYPE, ROLES_BY_TYPE, roles_at, row_for_sid
from ..policy import evaluator
from ..policy.canonical import as_text
from .identity_policies import role_arn
from .key_policy import RULES as KEY_RULES
from .rules import Finding, make_finding, resource_fields
from .run_roles import named_store, on_customer_key

__all__ = ["audit_door_uses"]

_RULE_CDKP104 = next(r for r in KEY_RULES if r.id == "CDKP104")


def audit_door_uses(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP104 per door statement of a domain key that no store of its type on the key needs."""
    resolver = PrincipalResolver(assembly)
    on_key = _stores_on_keys(assembly)
    for key in assembly.domain_keys:
        statements = key.policy.get("Statement") if isinstance(key.policy, dict) else None
        if not isinstance(statements, list):
            continue
        stores = on_key.get(key.name, [])
        for index, statement in enumerate(statements):
            sid = str(statement.get("Sid", "")) if isinstance(statement, Mapping) else ""
            if sid.startswith(PASSED_ROLE_SID_PREFIX):
                yield from _passed_role(assembly, resolver, key, index, statement, stores)
            elif sid.startswith(DEPLOYMENT_DIRECT_SID_PREFIX):
                yield from _deployment_direct(key, index, statement, stores)


Store = tuple[Any, str, Mapping[str, Any]]
"""(stack, logical id, resource) of a resource whose key slot holds a customer managed key."""


def _stores_on_keys(assembly: CloudAssembly) -> dict[str, list[Store]]:
    """Domain name -> the resources of the types the doors know that are on a customer key in
    the domain (the stores, and the resources that pass a store's role)."""
    out: dict[str, list[Store]] = {}
    for stack, logical_id, resource in assembly.resources_in_scope():
        cfn_type = str(resource.get("Type"))
        props = resource.get("Properties")
        if not isinstance(props, dict):
            continue
        if cfn_type in LINKED_BY_TYPE:  # counts for the domain of the store it names
            for via in {r.via for r in LINKED_BY_TYPE[cfn_type] if r.via is not None}:
                store_type = next(r.store_type for r in LINKED_BY_TYPE[cfn_type] if r.via == via)
                found = named_store(assembly, stack, props.get(via[1]), store_type)
                if found is None or not _on_customer_key(store_type, found[2]):
                    continue
                domain = assembly.domain_of(*found).domain
                if domain is not None:
                    out.setdefault(domain, []).append((stack, logical_id, resource))
            continue
        if cfn_type not in STORE_TYPES or not _on_customer_key(cfn_type, resource):
            continue
        domain = assembly.domain_of(stack, logical_id, resource).domain
        if domain is not None:
            out.setdefault(domain, []).append((stack, logical_id, resource))
    return out


def _on_customer_key(cfn_type: str, resource: Mapping[str, Any]) -> bool:
    props = resource.get("Properties")
    return on_customer_key(cfn_type, props if isinstance(props, dict) else {})


def _finding(key: DomainKey, index: int, statement: Mapping[str, Any], why: str) -> Finding:
    base = resource_fields(key.stack, key.logical_id, key.resource, key.name)
    return make_finding(
        _RULE_CDKP104,
        f"Key of domain {key.name!r} ({key.path}): statement {statement.get('Sid')} {why}: it "
        "gives a principal more than its capability for no store of the key.",
        fix="remove the door call (`allow_passed_role` / `allow_deployment_requests`) or the "
        "statement, or put the store it is for on the domain key",
        location=f"KeyPolicy.Statement[{index}]",
        value=statement.get("Sid"),
        **base,
    )


def _passed_role(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    key: DomainKey,
    index: int,
    statement: Mapping[str, Any],
    stores: list[Store],
) -> Iterator[Finding]:
    row = row_for_sid(str(statement.get("Sid")))
    if row is None:
        return  # not a door's Sid: the key-policy audit judges it like any statement
    types = {t for t, roles in ROLES_BY_TYPE.items() for r in roles if r.row is row}
    passed: set[str] = set()
    for stack, _, resource in stores:
        cfn_type = str(resource.get("Type"))
        props = resource.get("Properties") or {}
        candidates = [
            r
            for r in (*ROLES_BY_TYPE.get(cfn_type, ()), *LINKED_BY_TYPE.get(cfn_type, ()))
            if r.row is row
            # the door writes the rows of the type's integrations too (a state machine's log
            # delivery): any resource of the type running with the role justifies them
        ]
        for role in candidates:
            for value in roles_at(props, role.role_property):
                found = role_arn(resolver, stack, value)
                if found is not None:
                    passed.add(found[0])
    principal = statement.get("Principal")
    values = principal.get("AWS") if isinstance(principal, Mapping) else None
    for value in values if isinstance(values, list) else [values]:
        arn = resolver.resolve(as_text(evaluator.canonicalize(value)), key.stack)
        if arn not in passed:
            yield _finding(
                key, index, statement,
                f"names {arn}, which no {' or '.join(sorted(types))} on the key runs with",
            )  # fmt: skip


def _deployment_direct(
    key: DomainKey, index: int, statement: Mapping[str, Any], stores: list[Store]
) -> Iterator[Finding]:
    row = contract_shapes.door_row_for_sid(str(statement.get("Sid")))
    if row is None:
        return
    types = {t for t, store in STORE_TYPES.items() if store == row.store}
    if not any(str(r.get("Type")) in types for _, _, r in stores):
        yield _finding(
            key, index, statement, f"is for {' or '.join(sorted(types))}, none on the key"
        )

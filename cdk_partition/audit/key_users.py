"""Resources that name the domain key but keep no domain data (CDKP028).

A type of :data:`cdk_partition.knowledge.catalogue.NOT_STORES` (an EventBridge pipe, a Lambda
event source mapping's filter criteria, an Image Builder component...) may still be given the
domain key. The key policy then decides whether its service, its role and the deployment may use
the key, and no service contract of this library says what they request: ``DenyEveryoneElse``
refuses them and creating or running the resource fails, with every other check silent (an attack
found an EventBridge pipe and ``SqsEventSource(filter_encryption=domain.key)`` so). The resource
keeps no domain data (the catalogue's reason), so the fix takes the domain key away from it:
leave the key property unset (AWS then uses a key it owns) or give it a key of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.keys import KeyResolver
from ..knowledge import catalogue
from .rules import Finding, Rule, make_finding, no_aws_page, resource_fields, short

__all__ = ["RULES", "audit_key_users", "audit_key_users_of_no_domain"]

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP028",
        "error",
        "Resource that keeps no domain data names the domain key",
        "leave its key property unset (AWS then encrypts with a key it owns) or give it a key of "
        "its own (`kms.Key(scope, id, enable_key_rotation=True)`): it keeps no data of the "
        "domain, and no service contract says what its service and role request of the key",
        source=no_aws_page(
            "the types are the catalogue's not_stores, each with its reason and AWS page"
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def audit_key_users(
    resolver: KeyResolver,
    stack: StackTemplate,
    resource: Mapping[str, Any],
    domain: str | None,
    base: Mapping[str, Any],
) -> Iterator[Finding]:
    """CDKP028 for each key property of a :data:`~cdk_partition.knowledge.catalogue.NOT_STORES`
    resource of ``domain`` that names the domain key; for a resource of no domain (a consumer
    stack's pipe given ``domain.key``), each that names any domain's key."""
    cfn_type = str(resource.get("Type", ""))
    reason = catalogue.NOT_STORES.get(cfn_type)
    props = resource.get("Properties")
    if reason is None or not isinstance(props, dict):
        return
    for path, value in catalogue.key_values(cfn_type, props, not_stores=True):
        ref = resolver.key_of_slot(value, stack)
        if domain is not None and not resolver.on_domain_key(ref, domain, stack):
            continue
        if domain is None and ref.kind != "domain_key":
            continue
        named = domain if domain is not None else ref.domain
        yield make_finding(
            _RULE["CDKP028"],
            f"{base['path']} ({cfn_type}) names the key of domain {named!r} in {path}, but it "
            f"keeps no domain data ({reason}), and no service contract says what its service, "
            "its role and the deployment request of the key: DenyEveryoneElse refuses them, so "
            "creating or running it fails.",
            location=path,
            value=short(value),
            **{**base, "domain": named},
        )


def audit_key_users_of_no_domain(
    assembly: CloudAssembly, resolver: KeyResolver
) -> Iterator[Finding]:
    """CDKP028 for the :data:`~cdk_partition.knowledge.catalogue.NOT_STORES` resources of every
    stack that belong to no domain (a consumer stack's pipe given ``domain.key``), each key
    property naming any domain's key; a domain's own are :func:`audit_key_users`'."""
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") not in catalogue.NOT_STORES:
                continue
            if assembly.domain_of(stack, logical_id, resource).domain is not None:
                continue
            base = resource_fields(stack, logical_id, resource, None)
            yield from audit_key_users(resolver, stack, resource, None, base)

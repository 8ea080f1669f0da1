"""Stores on a domain key in a stack no check covers (issue #19: stores on the key however made).

A consumer stack (no ``DomainStack``, no ``apply_to``) may still put a store on a domain key: a
state machine given ``domain.key``, an L1 given the key's ARN through the CDK's cross-stack export.
The key policy is that store's access control, so the store is held to its domain like a store of
the domain's own stack: the assembly gives each such store a scope of its own (only the stores
found, never the rest of the stack, whose other stores belong to nobody's domain).

Found from the template: a key property of the resource's own data the catalogue names
(:func:`catalogue.own_key_values`, without the keys of data it delivers elsewhere) whose
value imports the export of a domain key or of its alias (a ``Ref`` or ``Fn::GetAtt`` of it: how
the CDK writes a cross-stack reference), bare or inside ``Fn::Join`` / ``Fn::Sub``, or names the
alias by its literal name. Pure Python over JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..knowledge import catalogue
from .references import references
from .stacks import StackTemplate, walk

__all__ = ["stores_on_domain_keys"]


def _aliases(
    stacks: Iterable[StackTemplate], keys: Mapping[tuple[int, str], str]
) -> tuple[dict[tuple[int, str], str], dict[str, str]]:
    """The ``AWS::KMS::Alias`` resources of the domain keys: (id of its stack, logical id) ->
    domain, and literal alias name -> domain."""
    by_id: dict[tuple[int, str], str] = {}
    by_name: dict[str, str] = {}
    for stack in stacks:
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::KMS::Alias":
                continue
            props = resource.get("Properties")
            props = props if isinstance(props, dict) else {}
            target = next(references({}, stack, props.get("TargetKeyId"), whole=True), None)
            domain = keys.get((id(stack), target[1])) if target else None
            if domain is not None:
                by_id[(id(stack), logical_id)] = domain
                if isinstance(props.get("AliasName"), str):
                    by_name[props["AliasName"]] = domain
    return by_id, by_name


def _domain_of_value(
    stack: StackTemplate,
    value: Any,
    exports: Mapping[str, tuple[StackTemplate, Any]],
    keys: Mapping[tuple[int, str], str],
    aliases: tuple[dict[tuple[int, str], str], dict[str, str]],
) -> str | None:
    """The domain whose key (or alias) a key property's value names: an import of the key's or
    its alias's export anywhere in the value (bare, or inside ``Fn::Join`` / ``Fn::Sub``), in a
    nested stack also a parameter its parent gives one (the CDK passes a nested stack's imports
    that way), or the alias's literal name (``alias/orders``, its ARN)."""
    for part in walk(value):
        if isinstance(part, dict) and (
            isinstance(part.get("Fn::ImportValue"), str)
            or (stack.parent is not None and isinstance(part.get("Ref"), str))
        ):
            for where, logical_id in references(exports, stack, part, whole=True):
                mark = (id(where), logical_id)
                domain = keys.get(mark) or aliases[0].get(mark)
                if domain is not None:
                    return domain
        elif isinstance(part, str):
            for name, domain in aliases[1].items():
                if part == name or part.endswith(":" + name):
                    return domain
    return None


def stores_on_domain_keys(
    stacks: Iterable[StackTemplate],
    exports: Mapping[str, tuple[StackTemplate, Any]],
    keys: Mapping[tuple[int, str], str],
    every: Iterable[StackTemplate] = (),
) -> Iterator[tuple[StackTemplate, str, frozenset[str]]]:
    """``(stack, domain, logical ids)`` of the stores of ``stacks`` whose key property names a
    domain key (``keys``: (id of the key's stack, its logical id) -> domain name) through an
    import or an alias of it (the aliases are looked for in ``every`` stack)."""
    aliases = _aliases(every, keys)
    for stack in stacks:
        found: dict[str, set[str]] = {}
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                continue
            properties = resource.get("Properties")
            if not isinstance(properties, dict):
                continue
            # the keys of the resource's own data: a key of data it delivers into another
            # store (a bucket's replicas, a delivery stream's output) leaves that store to be
            # checked on its own (the catalogue's ``delivers``)
            for _, value in catalogue.own_key_values(resource["Type"], properties):
                domain = _domain_of_value(stack, value, exports, keys, aliases)
                if domain is not None:
                    found.setdefault(domain, set()).add(logical_id)
        for domain, ids in sorted(found.items()):
            yield stack, domain, frozenset(ids)

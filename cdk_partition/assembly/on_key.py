"""Stores on a domain key in a stack no check covers (issue #19: stores on the key however made).

A consumer stack (no ``DomainStack``, no ``apply_to``) may still put a store on a domain key: a
state machine given ``domain.key``, an L1 given the key's ARN through the CDK's cross-stack export.
The key policy is that store's access control, so the store is held to its domain like a store of
the domain's own stack: the assembly gives each such store a scope of its own (only the stores
found, never the rest of the stack, whose other stores belong to nobody's domain).

Found from the template: a key property the catalogue names (:func:`catalogue.key_values`) whose
value is an ``Fn::ImportValue`` of an export whose value is a ``Ref`` or ``Fn::GetAtt`` of a
domain key (how the CDK writes a cross-stack reference). Pure Python over JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..knowledge import catalogue
from .stacks import StackTemplate

__all__ = ["stores_on_domain_keys"]


def _key_target(value: Any) -> str | None:
    """The logical id a ``Ref`` / ``Fn::GetAtt`` value names, else None."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((fn, arg),) = value.items()
    if fn == "Ref" and isinstance(arg, str):
        return arg
    if fn == "Fn::GetAtt":
        target = arg.split(".")[0] if isinstance(arg, str) else (arg or [None])[0]
        return target if isinstance(target, str) else None
    return None


def stores_on_domain_keys(
    stacks: Iterable[StackTemplate],
    exports: Mapping[str, tuple[StackTemplate, Any]],
    keys: Mapping[tuple[int, str], str],
) -> Iterator[tuple[StackTemplate, str, frozenset[str]]]:
    """``(stack, domain, logical ids)`` of the stores of ``stacks`` whose key property imports a
    domain key (``keys``: (id of the key's stack, its logical id) -> domain name)."""
    for stack in stacks:
        found: dict[str, set[str]] = {}
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                continue
            properties = resource.get("Properties")
            if not isinstance(properties, dict):
                continue
            for _, value in catalogue.key_values(resource["Type"], properties):
                name = value.get("Fn::ImportValue") if isinstance(value, dict) else None
                exported = exports.get(name) if isinstance(name, str) else None
                if exported is None:
                    continue
                target = _key_target(exported[1])
                domain = keys.get((id(exported[0]), target or ""))
                if domain is not None:
                    found.setdefault(domain, set()).add(logical_id)
        for domain, ids in sorted(found.items()):
            yield stack, domain, frozenset(ids)

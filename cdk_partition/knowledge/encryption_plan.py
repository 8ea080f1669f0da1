"""What the domain's encryption mixin does to one resource, as a pure function of its template
properties and the catalogue.

:func:`plan_encryption` reads a resource's CloudFormation ``Properties`` (resolved: strings,
numbers, booleans, lists, dicts and intrinsics) and returns a copy with every key slot the
catalogue knows set to the domain key and every switch of the slot's ``set.with`` turned, plus
what it could not do (:class:`Note`). It decides nothing per type: the facts are the catalogue's
(``data/catalogue.json``, each slot's ``set``). The slot evaluation is
:func:`~._classify.classify_slot`, the same one the checks use, so the mixin puts on the key
exactly what the checks would otherwise report.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._classify import _MISSING, _bind, _get, _is_intrinsic, _present_value, classify_slot
from .catalogue import CATALOGUE, KEYLESS_STORES, keyless_reason

__all__ = ["Note", "Plan", "plan_encryption", "render_markdown"]

_SEGMENT = re.compile(r"([A-Za-z0-9_]+)(?:\[(\d+)\])?")


@dataclass(frozen=True)
class Note:
    """Something the mixin could not do on one resource.

    ``level`` is ``error`` (the slot names another customer managed key and replacing was not
    asked for) or ``warning`` (a keyless store, a key inherited from a source resource, a slot or
    switch behind an intrinsic): both are reported on the construct, never skipped silently."""

    level: Literal["error", "warning"]
    path: str
    """The concrete property path (``SSESpecification.KMSMasterKeyId``); ``""`` for the resource."""
    text: str


@dataclass(frozen=True)
class Plan:
    """The result of :func:`plan_encryption`."""

    properties: dict[str, Any]
    """A deep copy of the given properties with the key slots and switches set."""
    changed: tuple[str, ...]
    """The top-level properties whose value differs from the given one, in first-change order."""
    notes: tuple[Note, ...]


class _Blocked(Exception):
    """A path runs through a value that is not a dict or list (an intrinsic, a literal)."""


def _put(properties: dict[str, Any], path: str, value: Any) -> None:
    """Set (or, for None, remove) the value at a concrete path, creating dicts and lists on the
    way; raise :class:`_Blocked` when an intrinsic (at any depth) or a scalar is in the way."""
    segments = _SEGMENT.findall(path)
    node: Any = properties
    for i, (name, index) in enumerate(segments):
        last = i == len(segments) - 1
        if not isinstance(node, dict) or _is_intrinsic(node):
            # an intrinsic (Fn::If, Fn::ImportValue...) is a dict too: writing into it would
            # corrupt it, and what it resolves to is decided at deploy time
            raise _Blocked(path)
        if last and not index:
            if value is None:
                node.pop(name, None)
            else:
                node[name] = value
            return
        child = node.get(name)
        if not _present_value(child):
            child = [] if index else {}
            node[name] = child
        if index:
            if not isinstance(child, list):
                raise _Blocked(path)
            position = int(index)
            while len(child) <= position:
                child.append({})
            if last:
                child[position] = value
                return
            node = child[position]
        else:
            node = child
    raise _Blocked(path)  # pragma: no cover - an empty path


def _indexes(pattern: str, concrete: str) -> tuple[int, ...]:
    """The list indexes ``concrete`` gives the ``[]`` of ``pattern``."""
    del pattern
    return tuple(int(i) for i in re.findall(r"\[(\d+)\]", concrete))


def plan_encryption(
    cfn_type: str,
    properties: Mapping[str, Any] | None,
    key_arn: Any,
    *,
    is_domain_key: Callable[[Any], bool],
    replace_keys: bool = False,
    key_in_region: Callable[[Any], Any] | None = None,
) -> Plan | None:
    """Put one resource on the domain key, from the catalogue.

    :param cfn_type: the CloudFormation type (``AWS::S3::Bucket``).
    :param properties: its resolved ``Properties`` (None: none).
    :param key_arn: the value written to every key slot (the domain key's ARN token).
    :param is_domain_key: tells whether a resolved key value already names the domain key.
    :param replace_keys: a slot naming another key is overwritten instead of an ``error`` note.
    :param key_in_region: for a slot whose key must be in the region another property names (the
        catalogue's ``set.region``: a global table's replicas), maps that property's value (None
        when absent) to the domain's key there: ``key_arn`` itself for the resource's own region
        (then ``is_domain_key`` decides), another value (compared by equality) for another
        region, None where the domain has no key (a ``warning`` note; the slot is left). Default:
        every region is the resource's own (``key_arn`` everywhere).
    :returns: None when the type is neither a catalogued store nor a keyless store; else the
        :class:`Plan`. A keyless store gets an unchanged copy and a ``warning`` note when it
        holds data (the catalogue's ``when``).

    A slot whose ``only_if`` does not hold is left alone (Performance Insights off); a slot whose
    state is ``inherited`` (a read replica, a restore from a snapshot) or ``undecided`` (a
    switch behind an intrinsic) is noted, not set; a key that is an intrinsic other than ``Ref``
    and ``Fn::GetAtt`` (``Fn::If``, ``Fn::ImportValue``...) is noted, not replaced."""
    props: dict[str, Any] = copy.deepcopy(dict(properties or {}))
    notes: list[Note] = []
    if cfn_type in KEYLESS_STORES:
        reason = keyless_reason(cfn_type, props)
        if reason is not None:
            notes.append(
                Note(
                    "warning",
                    "",
                    f"{cfn_type} cannot use a customer managed key ({reason}); it stays off "
                    "the domain key",
                )
            )
        return Plan(props, (), tuple(notes))
    store = CATALOGUE.get(cfn_type)
    if store is None:
        return None
    before = copy.deepcopy(props)
    for slot in store.slots:
        for use in list(classify_slot(slot, before)):
            indexes = _indexes(slot.key, use.path)
            target, own = key_arn, is_domain_key
            if slot.set_region is not None and key_in_region is not None:
                region = _get(before, _bind(slot.set_region, indexes))
                target = key_in_region(None if region is _MISSING else region)
                if target is None:
                    notes.append(
                        Note(
                            "warning",
                            use.path,
                            f"{use.path} needs a key of region {_shown(region)} "
                            f"({_bind(slot.set_region, indexes)}), where the domain has no key: "
                            "the mixin leaves it; make the domain multi-Region "
                            "(DataDomain(replica_regions=[...])) or drop the replica",
                        )
                    )
                    continue
                if target is not key_arn:
                    own = _equal_to(target)
            if use.state == "customer_key":
                if own(use.key):
                    continue
                if not replace_keys:
                    plain = not _is_intrinsic(use.key) or next(iter(use.key)) in (
                        "Ref",
                        "Fn::GetAtt",
                    )
                    notes.append(
                        Note(
                            "error" if plain else "warning",
                            use.path,
                            f"{use.path} names another key than the domain key "
                            f"({use.detail}); "
                            + (
                                "remove it, or apply the mixin with replace_keys=True"
                                if plain
                                else "it is decided at deploy time, so the mixin leaves it; "
                                "set it to the domain key"
                            ),
                        )
                    )
                    continue
            elif use.state in ("inherited", "undecided"):
                notes.append(
                    Note(
                        "warning",
                        use.where,
                        f"{use.path} is not set by the mixin: {use.detail}"
                        + (
                            f" (the key is the one of {use.source})"
                            if use.state == "inherited"
                            else ""
                        ),
                    )
                )
                continue
            try:
                _put(props, use.path, target)
                for pattern, value in slot.set_with:
                    _put(props, _bind(pattern, indexes), value)
            except _Blocked as blocked:
                props = _restore(props, before, use.path)
                notes.append(
                    Note(
                        "warning",
                        use.path,
                        f"{blocked} runs through a value decided at deploy time "
                        f"({_get(before, use.path.split('.')[0].split('[')[0])!r:.80}); "
                        "the mixin leaves it: set the key there by hand",
                    )
                )
    changed = tuple(
        name for name in props.keys() | before.keys() if props.get(name) != before.get(name)
    )
    order = {name: i for i, name in enumerate([*before, *props])}
    return Plan(props, tuple(sorted(changed, key=order.__getitem__)), tuple(notes))


def _equal_to(target: Any) -> Callable[[Any], bool]:
    return lambda value: bool(value == target)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)[:80]


def _restore(props: dict[str, Any], before: dict[str, Any], path: str) -> dict[str, Any]:
    """``props`` with the top-level property of ``path`` as it was (a half-made edit undone)."""
    top = path.split(".")[0].split("[")[0]
    if top in before:
        props[top] = copy.deepcopy(before[top])
    else:
        props.pop(top, None)
    return props


def _when(tests: tuple[Any, ...]) -> str:
    return ", ".join(
        f"`{t.path}` {t.op.replace('_', ' ')}"
        + ("" if t.value is None else f" {json.dumps(t.value)}")
        for t in tests
    )


def render_markdown() -> str:
    """What :func:`plan_encryption` does to each kind of store, from the catalogue: one row per
    catalogued store type and key slot (the key property set to the domain key's ARN, the
    switches of its ``set.with`` and their values, when the slot is in use, what is reported
    instead of set), then one row per keyless store (reported). The docs' ``mixin`` table."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| store type | key property (set to the domain key ARN) | switches turned | only when "
        "| reported instead (a warning) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for cfn_type, store in CATALOGUE.items():
        for slot in store.slots:
            switches = ", ".join(
                f"`{p}` = {'removed' if v is None else json.dumps(v)}" for p, v in slot.set_with
            )
            inherited = [
                f"inherited when {_when(o.when)}" if o.when else "inherited"
                for o in (*slot.first, *slot.no_key)
                if o.state == "inherited"
            ]
            lines.append(
                f"| `{cfn_type}` | `{slot.key}` | {switches or '-'} | "
                f"{_when(slot.only_if) or 'always'} | {cell('; '.join(inherited)) or '-'} |"
            )
    for cfn_type, keyless in KEYLESS_STORES.items():
        holds = f" (when {_when(keyless.when)})" if keyless.when else ""
        lines.append(f"| `{cfn_type}` | none | - | - | keyless{holds}: {cell(keyless.reason)} |")
    return "\n".join(lines) + "\n"

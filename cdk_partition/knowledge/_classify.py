"""The catalogue's evaluation: how one :class:`~._model.Slot` reads a resource's properties.

:func:`classify_slot` is the one generic classifier that the module docstring of
:mod:`~cdk_partition.knowledge.catalogue` describes (``only_if``, then ``first``, then the key,
then ``no_key``); :func:`is_aws_managed_key_reference` recognises ``alias/aws/*`` however a
template spells it. The path helpers (``_get``, ``_bind``, ``_expand``, ``_holds``) read dotted
property paths with ``[]`` for "every list element"; :mod:`~.catalogue` uses them too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from ._model import KeyUse, Outcome, Slot, When

__all__ = ["classify_slot", "is_aws_managed_key_reference"]

# -- AWS managed key references --------------------------------------------------------------

_MANAGED_RE = re.compile(r"(arn:[^:]*:kms:[^:]*:[^:]*:)?alias/aws/[A-Za-z0-9/_.+=@*-]+")
_SUB_VAR = re.compile(r"\$\{(?!!)[^}]*\}")
_HOLE = "*"  # stands for a value only known at deploy time (Ref, pseudo parameter ...)


def _render(value: Any) -> str | None:
    """Flatten a string, ``Fn::Join`` or ``Fn::Sub`` to text, non-literal parts as ``*``."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((fn, arg),) = value.items()
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        sep, parts = arg
        if not isinstance(sep, str) or not isinstance(parts, list):
            return None
        rendered = (_render(p) for p in parts)
        return sep.join(_HOLE if r is None else r for r in rendered)
    if fn == "Fn::Sub":
        text = arg[0] if isinstance(arg, list) and arg else arg
        if isinstance(text, str):
            return _SUB_VAR.sub(_HOLE, text).replace("${!", "${")
    return None


def is_aws_managed_key_reference(value: Any) -> bool:
    """True when ``value`` names an AWS managed key: ``alias/aws/<x>`` or its alias ARN.

    Accepts strings and the same text built by ``Fn::Join`` / ``Fn::Sub`` whose
    ``alias/aws/<x>`` part is literal (CDK's ``kms.Alias.from_alias_name(...).key_arn`` renders
    ``{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:", {"Ref": "AWS::Region"},
    ":", {"Ref": "AWS::AccountId"}, ":alias/aws/s3"]]}``).
    """
    text = _render(value)
    return text is not None and _MANAGED_RE.fullmatch(text) is not None


# -- the classifier --------------------------------------------------------------------------

_MISSING: Any = object()
_SEGMENT = re.compile(r"([A-Za-z0-9_]+)(?:\[(\d*)\])?")


def _present_value(value: Any) -> bool:
    return (
        value is not _MISSING
        and value is not None
        and value != ""
        and value != {"Ref": "AWS::NoValue"}
    )


@lru_cache(maxsize=8192)
def _segments(path: str) -> tuple[tuple[str, str], ...]:
    return tuple(_SEGMENT.findall(path))


def _get(properties: Mapping[str, Any], path: str) -> Any:
    """The value at a concrete path (``A.B[2].C``), or ``_MISSING``."""
    node: Any = properties
    for name, index in _segments(path):
        if not isinstance(node, Mapping) or not _present_value(node.get(name, _MISSING)):
            return _MISSING
        node = node[name]
        if index:
            if not isinstance(node, list) or int(index) >= len(node):
                return _MISSING
            node = node[int(index)]
    return node


@lru_cache(maxsize=8192)
def _bind(pattern: str, indexes: tuple[int, ...]) -> str:
    """Fill the ``[]`` of ``pattern`` left to right with ``indexes`` (0 once they run out)."""
    parts = pattern.split("[]")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += f"[{indexes[i] if i < len(indexes) else 0}]{part}"
    return out


def _expand(properties: Mapping[str, Any], pattern: str) -> Iterator[tuple[int, ...]]:
    """Every index tuple of the lists in ``pattern``; an absent or empty list gives index 0."""

    def walk(prefix: tuple[int, ...], depth: int) -> Iterator[tuple[int, ...]]:
        parts = pattern.split("[]")
        if depth == len(parts) - 1:
            yield prefix
            return
        head = _bind("[]".join(parts[: depth + 1]), prefix)
        found = _get(properties, head)
        count = len(found) if isinstance(found, list) and found else 1
        for i in range(count):
            yield from walk((*prefix, i), depth + 1)

    yield from walk((), 0)


def _normal(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _holds(test: When, properties: Mapping[str, Any], indexes: tuple[int, ...]) -> bool:
    value = _get(properties, _bind(test.path, indexes))
    found = _present_value(value)
    if test.op == "absent":
        return not found
    if test.op == "present":
        return found
    same = found and _normal(value) == test.value and type(_normal(value)) is type(test.value)
    if test.op == "is":
        return same
    if test.op == "is_not":
        return not same
    return not found or _normal(value) not in test.value  # not_in


def _short(value: Any) -> str:
    text = _render(value)
    if text is None:
        text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _is_intrinsic(value: Any) -> bool:
    return (
        isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("Ref", "Condition")
    ) or (
        isinstance(value, Mapping) and len(value) == 1 and str(next(iter(value))).startswith("Fn::")
    )


def _switch_decided_at_deploy(
    slot: Slot, properties: Mapping[str, Any], indexes: tuple[int, ...]
) -> str | None:
    """The path of a switch the slot compares with a literal (``is``, ``is_not``, ``not_in``)
    whose value is an intrinsic (``Fn::If``, ``Ref`` of a parameter ...), or None."""
    tests = [*slot.only_if, *(t for o in (*slot.first, *slot.no_key) for t in o.when)]
    for test in tests:
        if test.op in ("is", "is_not", "not_in") and test.path != slot.key:  # not the key itself
            path = _bind(test.path, indexes)
            if _is_intrinsic(_get(properties, path)):
                return path
    return None


def _found(value: Any) -> Any:
    """A template value as a :class:`KeyUse` reports it: None when absent."""
    return value if _present_value(value) else None


def _deciding_test(outcome: Outcome) -> When | None:
    """The test of a ``first`` outcome that names its switch: the first comparison with a
    literal (``SSEAlgorithm is AES256``), else its first test (``no SSESpecification``).

    The switch, not the key beside it, is what the service reads: S3 allows ``KMSMasterKeyID``
    "if and only if SSEAlgorithm is set to aws:kms or aws:kms:dsse" ("ServerSideEncryptionByDefault
    - Amazon Simple Storage Service",
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html)."""
    compared = (t for t in outcome.when if t.op in ("is", "is_not", "not_in"))
    return next(compared, outcome.when[0] if outcome.when else None)


def classify_slot(slot: Slot, properties: Mapping[str, Any]) -> Iterator[KeyUse]:
    for indexes in _expand(properties, slot.key):
        if not all(_holds(t, properties, indexes) for t in slot.only_if):
            continue
        path = _bind(slot.key, indexes)
        hidden = _switch_decided_at_deploy(slot, properties, indexes)
        if hidden is not None:  # fail closed: the template cannot say which way it goes
            switch = _get(properties, hidden)
            yield KeyUse(
                path, "undecided", None,
                f"{hidden} is decided at deploy time ({_short(switch)}), so "
                "the encryption this store gets cannot be told from the template",
                at=hidden, found=_found(switch),
            )  # fmt: skip
            continue
        decided = next(
            (o for o in slot.first if all(_holds(t, properties, indexes) for t in o.when)), None
        )
        at: str | None = None
        if decided is None:
            key = _get(properties, path)
            leaf = slot.key.rsplit(".", 1)[-1]
            if is_aws_managed_key_reference(key):
                yield KeyUse(
                    path, "aws_managed", None, f"{leaf} {_short(key)} (AWS managed key)",
                    found=key,
                )  # fmt: skip
                continue
            if _present_value(key):
                yield KeyUse(path, "customer_key", key, f"{leaf} {_short(key)}", found=key)
                continue
            decided = next(
                o for o in slot.no_key if all(_holds(t, properties, indexes) for t in o.when)
            )
            # with no key, a switch compared with a literal (EncryptionType is KMS, SSEEnabled
            # is false) decided the outcome: the finding names that switch and its value
            compared = next((t for t in decided.when if t.op in ("is", "is_not", "not_in")), None)
            at = _bind(compared.path, indexes) if compared is not None else None
        else:  # a switch decided it: the finding names the switch, not the key it overrides
            test = _deciding_test(decided)
            at = _bind(test.path, indexes) if test is not None else None
        if decided.source is not None:
            source = _bind(decided.source, indexes)
            value = _get(properties, source)
            yield KeyUse(
                path, decided.state, value, decided.detail, source, at=source, found=_found(value)
            )
            continue
        found = _found(_get(properties, at or path))
        yield KeyUse(path, decided.state, None, decided.detail, at=at, found=found)

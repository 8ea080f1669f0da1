"""The catalogue: where each CloudFormation data store keeps its KMS key, as data.

The pattern "partition data with encryption" needs one fact per data-store type: which
properties hold the key that encrypts the data at rest, and what the type does when no key is
given. This module is the single source of truth for those facts. It is pure Python (no
``aws_cdk``, no ``jsii``) so that a template audit, CDK aspects and a report can all read it.

The model
---------
* :data:`CATALOGUE` maps a CloudFormation type to a :class:`StoreType`; each has one or more
  :class:`Slot` s, one per key property (RDS: storage, Performance Insights, managed secret).
* A slot's ``key`` is a property path pattern, dotted, with ``[]`` for "every list element"
  (``Replicas[].SSESpecification.KMSMasterKeyId``). Every other path in the slot (its tests)
  uses the same notation; a ``[]`` in a test path is bound to the same element as in ``key``.
  A list that is absent binds index 0, the place where the key would go.
* A slot is evaluated by the one generic :func:`classify`, in this order:

  1. ``only_if``: tests that must all hold or the slot does not apply (Performance Insights off,
     an Aurora member instance whose storage belongs to its cluster ...): no :class:`KeyUse`.
  2. ``first``: outcomes decided by a mode switch whatever the key says (``SSEAlgorithm
     AES256``, ``SSEEnabled`` false, ``KeyType AWS_OWNED_CMK``). The first matching one wins.
  3. The key: a value that names an AWS managed key (``alias/aws/*``, see
     :func:`is_aws_managed_key_reference`) is ``aws_managed``; any other value is
     ``customer_key`` and is handed to the caller raw (string or intrinsic) to resolve.
  4. ``no_key``: outcomes when the key is absent; the first matching one wins, the last one
     has no tests (the default).

A property whose value is absent, ``null``, ``""`` or ``{"Ref": "AWS::NoValue"}`` counts as
absent; ``"true"``/``"false"`` strings count as booleans. A switch the slot compares with a
literal whose value is an intrinsic (``Fn::If``, a parameter) is decided at deploy time: the slot
is ``undecided`` (the audit's CDKP005), never assumed either way. An intrinsic in place of a
whole object (``{"Fn::If": ...}``) hides what is inside it.

Types not in the catalogue that still look like they hold data are recognised by
:func:`looks_like_data_store`, so that callers can warn about them.

The data
--------
The facts are data, not code: ``data/catalogue.json`` (its JSON Schema is
``data/catalogue.schema.json``; ``tests/test_knowledge_data.py`` validates it, and checks every
path against the CloudFormation schemas cfn-lint ships). It is one table rather than one file per
service: the whole catalogue is read once at import (one read, one parse: the CLI starts fast),
its order is the order every report and test sees, and one schema covers it. It holds

* ``stores``: one entry per :class:`StoreType` (``service`` and ``key_property`` are derived:
  the type's namespace, lower case, and the first slot's key), its slots written out in full;
* ``keyless_stores`` (:data:`KEYLESS_STORES`), ``not_stores`` (:data:`NOT_STORES`),
  ``data_services`` and ``data_types`` (:func:`looks_like_data_store`), ``store_create_actions``
  and ``sdk_prefixes`` (:func:`store_created_by_call`).

Each entry lists the AWS pages it rests on in ``sources``: ``[{"url", "note"}]`` (the note says
what the page says for the entry), loaded into :attr:`StoreType.sources`; an empty list is an
entry nobody has cited yet (a test counts them, so the number only goes down). Reasoning that
cites no page is kept in ``notes``; ``section`` heads a group of entries. The evaluation lives in
:mod:`._classify`, the dataclasses in :mod:`._model`; this module is the front door and
re-exports them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from ._classify import (
    _bind,
    _expand,
    _get,
    _holds,
    _present_value,
    classify_slot,
    is_aws_managed_key_reference,
)
from ._model import KeylessStore, KeyState, KeyUse, Outcome, Slot, Source, StoreType, When

__all__ = [
    "CATALOGUE",
    "KEYLESS_STORES",
    "NOT_STORES",
    "KeyState",
    "KeyUse",
    "KeylessStore",
    "Outcome",
    "Slot",
    "Source",
    "StoreType",
    "When",
    "classify",
    "is_aws_managed_key_reference",
    "looks_like_data_store",
    "lookup",
]

# -- reading the data file -------------------------------------------------------------------

_DATA = ("data", "catalogue.json")


def _read() -> dict[str, Any]:
    """The catalogue table (``data/catalogue.json``), parsed."""
    path = resources.files(__package__)
    for part in _DATA:
        path = path.joinpath(part)
    table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return table


def _when(raw: Mapping[str, Any]) -> When:
    value = raw.get("value")
    return When(raw["path"], raw["op"], tuple(value) if isinstance(value, list) else value)


def _whens(raw: list[Mapping[str, Any]]) -> tuple[When, ...]:
    return tuple(_when(w) for w in raw)


def _outcome(raw: Mapping[str, Any]) -> Outcome:
    return Outcome(raw["state"], raw["detail"], _whens(raw.get("when", [])), raw.get("source"))


def _slot(raw: Mapping[str, Any]) -> Slot:
    return Slot(
        raw["key"],
        tuple(_outcome(o) for o in raw["no_key"]),
        tuple(_outcome(o) for o in raw.get("first", [])),
        _whens(raw.get("only_if", [])),
        tuple((w["path"], w["value"]) for w in raw["set"]["with"]),
        raw["set"].get("region"),
        raw.get("delivers"),
    )


def _sources(raw: Mapping[str, Any]) -> tuple[Source, ...]:
    return tuple(Source(s["url"], s.get("note", "")) for s in raw["sources"])


def _store(raw: Mapping[str, Any]) -> StoreType:
    cfn_type: str = raw["cfn_type"]
    slots = tuple(_slot(s) for s in raw["slots"])
    return StoreType(
        cfn_type,
        cfn_type.split("::")[1].lower(),
        raw["description"],
        slots[0].key,
        raw["managed_alias"],
        raw["cdk_fix"],
        slots,
        _sources(raw),
    )


_TABLE = _read()

CATALOGUE: Mapping[str, StoreType] = MappingProxyType(
    {store.cfn_type: store for store in map(_store, _TABLE["stores"])}
)
"""Every known data-store type, keyed by CloudFormation type."""

KEYLESS_STORES: Mapping[str, KeylessStore] = MappingProxyType(
    {
        raw["cfn_type"]: KeylessStore(
            raw["reason"],
            _whens(raw.get("when", [])),
            _sources(raw),
            configuration=raw.get("configuration", False),
        )
        for raw in _TABLE["keyless_stores"]
    }
)
"""Data stores whose template offers no customer managed key (only a switch): they can never
use the domain key, so every one in a domain that holds data (``when``) is a finding (CDKP011;
CDKP032, a warning, for a type that usually holds configuration). cfn_type -> what protects the
data, and when the resource holds any."""

NOT_STORES: Mapping[str, str] = MappingProxyType(
    {raw["cfn_type"]: raw["reason"] for raw in _TABLE["not_stores"]}
)
"""KMS-capable types that keep no customer data at rest: cfn_type -> one-line reason."""

_DATA_SERVICES: tuple[str, ...] = tuple(_TABLE["data_services"])
"""Service prefixes whose resources are (nearly) all data stores."""

_DATA_TYPES: frozenset[str] = frozenset(raw["cfn_type"] for raw in _TABLE["data_types"])
"""Single types that hold data but whose key, if any, the catalogue does not describe."""

STORE_CREATE_ACTIONS: Mapping[str, str] = MappingProxyType(
    _TABLE["store_create_actions"]["actions"]
)
"""IAM action -> the store type it creates (calls that create stores outside a template: custom
resources). Action names from the Service Authorization Reference (the table's ``sources``)."""

_SDK_PREFIXES: Mapping[str, str] = MappingProxyType(_TABLE["sdk_prefixes"])
"""AWS SDK client names (``AwsCustomResource`` ``service``: v2 ``SQS`` or v3
``@aws-sdk/client-sqs``) whose IAM prefix differs from the normalised name."""

del _TABLE


def lookup(cfn_type: str) -> StoreType | None:
    """The catalogue entry of a CloudFormation type, or None if it is not a known store."""
    return CATALOGUE.get(cfn_type)


def looks_like_data_store(cfn_type: str) -> bool:
    """True for a type NOT in the catalogue that plausibly stores customer data at rest.

    Catalogued types are known, so False; so is infrastructure (IAM, Lambda permissions, KMS
    keys, networking, CDK metadata ...), which is in neither list.
    """
    if cfn_type in CATALOGUE:
        return False
    return cfn_type in _DATA_TYPES or cfn_type.startswith(_DATA_SERVICES)


# -- the classifier --------------------------------------------------------------------------


def classify(cfn_type: str, properties: Mapping[str, Any] | None) -> list[KeyUse] | None:
    """One :class:`KeyUse` per applicable key slot of a resource; None if the type is unknown.

    ``properties`` is the resource's ``Properties`` (None when it has none). Slots that do not
    apply (Performance Insights off ...) give nothing, so the list may be empty.
    """
    store = CATALOGUE.get(cfn_type)
    if store is None:
        return None
    props: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
    # the stores of one app repeat a few property shapes (every domain bucket alike): classify
    # each shape once
    try:
        shape = json.dumps(props, separators=(",", ":"))
    except (TypeError, ValueError):
        return [use for slot in store.slots for use in classify_slot(slot, props)]
    return list(_classify_shape(cfn_type, shape))


@lru_cache(maxsize=4096)
def _classify_shape(cfn_type: str, shape: str) -> tuple[KeyUse, ...]:
    props = json.loads(shape)
    return tuple(use for slot in CATALOGUE[cfn_type].slots for use in classify_slot(slot, props))


# -- every property that names a KMS key (generated from the CloudFormation schemas) -----------

_KMS_PROPERTIES_FILE = "kms_properties.json"


@lru_cache(maxsize=1)
def _kms_properties() -> Mapping[str, tuple[str, ...]]:
    """``{cfn_type: (path pattern, ...)}`` of every property of every CloudFormation type that
    names a KMS key, as the schemas cfn-lint ships describe them (``kms_properties.json``, kept
    equal to the schemas by ``tests/test_schema_coverage.py``)."""
    try:
        text = resources.files(__package__).joinpath(_KMS_PROPERTIES_FILE).read_text()
    except (FileNotFoundError, OSError):
        return MappingProxyType({})
    data = json.loads(text)
    return MappingProxyType({t: tuple(paths) for t, paths in data.items()})


@lru_cache(maxsize=4096)
def kms_key_paths(cfn_type: str) -> tuple[str, ...]:
    """The path patterns (``A.B[].C``) of every property of ``cfn_type`` that names a KMS key."""
    found = _kms_properties().get(cfn_type, ())
    store = CATALOGUE.get(cfn_type)
    slots = tuple(s.key for s in store.slots) if store else ()
    return tuple(dict.fromkeys((*slots, *found)))


def keyless_reason(cfn_type: str, properties: Mapping[str, Any]) -> str | None:
    """Why a resource of a :data:`KEYLESS_STORES` type cannot be on the domain key, when it holds
    data; None otherwise."""
    keyless = KEYLESS_STORES.get(cfn_type)
    if keyless is None or not all(_holds(t, properties, ()) for t in keyless.when):
        return None
    return keyless.reason


def key_values(
    cfn_type: str, properties: Mapping[str, Any], *, not_stores: bool = False
) -> Iterator[tuple[str, Any]]:
    """``(concrete path, value)`` of every KMS key property present in ``properties`` (none for a
    :data:`NOT_STORES` type: its keys protect no customer data, e.g. a DNSSEC signing key, unless
    ``not_stores``: which key such a resource names)."""
    if cfn_type in NOT_STORES and not not_stores:
        return
    for pattern in kms_key_paths(cfn_type):
        for indexes in _expand(properties, pattern):
            path = _bind(pattern, indexes)
            value = _get(properties, path)
            if _present_value(value):
                yield path, value


@lru_cache(maxsize=4096)
def delivered_key_paths(cfn_type: str) -> frozenset[str]:
    """The path patterns of ``cfn_type``'s keys that encrypt data it writes into another store
    (:attr:`Slot.delivers`): a bucket's replica key, a delivery stream's S3 destination key."""
    store = CATALOGUE.get(cfn_type)
    return frozenset(s.key for s in store.slots if s.delivers) if store else frozenset()


def own_key_values(cfn_type: str, properties: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """:func:`key_values` without the keys of data delivered into another store: the keys that
    protect the resource's own data."""
    delivered = delivered_key_paths(cfn_type)
    for path, value in key_values(cfn_type, properties):
        if not delivered or re.sub(r"\[\d+\]", "[]", path) not in delivered:
            yield path, value


# -- calls that create stores outside a template (custom resources) ----------------------------


def store_created_by_action(action: str) -> str | None:
    """The store type an IAM action (``sqs:CreateQueue``, any case) creates, or None."""
    lowered = action.lower()
    return next((t for a, t in STORE_CREATE_ACTIONS.items() if a.lower() == lowered), None)


def store_create_actions_matching(pattern: str) -> Iterator[str]:
    """The store-creating actions an IAM action pattern (``sqs:*``, ``*``) allows."""
    lowered = pattern.lower()
    for action in STORE_CREATE_ACTIONS:
        if fnmatchcase(action.lower(), lowered):
            yield action


def store_created_by_call(service: str, action: str) -> str | None:
    """The store type an AWS SDK call (``AwsCustomResource`` ``service``/``action``) creates."""
    name = service.lower().removeprefix("@aws-sdk/client-").replace("-", "").replace(" ", "")
    prefix = _SDK_PREFIXES.get(name, name)
    verb = action.removesuffix("Command")
    return store_created_by_action(f"{prefix}:{verb}")

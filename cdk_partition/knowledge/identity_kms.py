"""The identity -> KMS request table: what KMS sees when an identity uses a domain store.

A principal that an identity policy allows ``sqs:SendMessage`` on a queue encrypted with a domain
key still needs the key: the queue's service calls KMS with the principal's credentials
(``kms:ViaService`` set to the service). Each :class:`IdentityRow` says, for a group of data
actions on one CloudFormation type, which KMS requests the service makes, with the AWS page that
says so. The rows are data: ``data/identity_kms.json`` (JSON Schema
``data/identity_kms.schema.json``); the audit (:mod:`cdk_partition.audit.identities`) evaluates
the requests against the domain key policy and ``docs/identities.md`` shows the table
(:func:`render_markdown`).

Some stores' AWS pages say that their readers and writers need the key (the ``reader`` /
``writer`` capability rows of their contracts, :mod:`cdk_partition.knowledge.contracts`) without
saying which data actions make which request. Those types are :data:`CALLERS_BY_TYPE` (the data
file's ``callers``, each naming the service's IAM prefix from the Service Authorization
Reference): :func:`callers_row` gives the audit a row for any action of that prefix, decided by
whether the key allows the principal the requests of one capability row (fail closed: a principal
the key allows none of them is a finding, not silence). The types the audit cannot follow that
way are :data:`UNFOLLOWED`, each with why.

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from ._model import Cited
from .contracts import rows_for_type

__all__ = [
    "CALLERS_ACTIONS",
    "CALLERS_BY_TYPE",
    "IDENTITY_ROWS",
    "ROWS_BY_TYPE",
    "UNFOLLOWED",
    "Callers",
    "IdentityRow",
    "callers_actions",
    "callers_row",
    "render_markdown",
]


@dataclass(frozen=True)
class IdentityRow(Cited):
    """The KMS requests ``service`` makes with the caller's credentials for ``actions`` on a
    store of ``store_type``."""

    store_type: str
    service: str
    actions: tuple[str, ...]
    kms_requests: tuple[str, ...]
    title: str
    url: str
    note: str
    any_of: tuple[tuple[str, ...], ...] = ()
    """For a row of :func:`callers_row`: the request sets of the store's capability rows; the key
    must allow the principal every request of one of them (``kms_requests`` is their union)."""
    key_slot: str = ""
    """The property path (dots) of the key slot the actions' data is under: the row applies only
    to a store that sets it (a feature group's online store key); empty: always."""


@dataclass(frozen=True)
class Callers(Cited):
    """A store type whose readers and writers AWS says need the key, by capability rows only."""

    store_type: str
    service: str
    """The IAM prefix of the store's actions (``omics``)."""
    via_service: str
    """The first label of the ``kms:ViaService`` host of the service's requests."""
    title: str
    url: str
    note: str


def _read() -> dict[str, Any]:
    path = resources.files(__package__).joinpath("data").joinpath("identity_kms.json")
    table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return table


def _rows(table: Mapping[str, Any]) -> tuple[IdentityRow, ...]:
    pages = table["pages"]
    return tuple(
        IdentityRow(
            raw["store_type"],
            raw["service"],
            tuple(raw["actions"]),
            tuple(raw["kms_requests"]),
            pages[raw["source"]]["title"],
            pages[raw["source"]]["url"],
            raw["note"],
            key_slot=raw.get("key_slot", ""),
        )
        for raw in table["rows"]
    )


_TABLE = _read()

#: Every row, in the order of the data file.
IDENTITY_ROWS: tuple[IdentityRow, ...] = _rows(_TABLE)

#: CloudFormation type -> its rows.
ROWS_BY_TYPE: Mapping[str, tuple[IdentityRow, ...]] = MappingProxyType(
    {
        cfn_type: tuple(r for r in IDENTITY_ROWS if r.store_type == cfn_type)
        for cfn_type in dict.fromkeys(r.store_type for r in IDENTITY_ROWS)
    }
)


#: CloudFormation type -> its :class:`Callers` entry.
CALLERS_BY_TYPE: Mapping[str, Callers] = MappingProxyType(
    {
        raw["store_type"]: Callers(
            raw["store_type"],
            raw["service"],
            raw["via_service"],
            _TABLE["pages"][raw["source"]]["title"],
            _TABLE["pages"][raw["source"]]["url"],
            raw["note"],
        )
        for raw in _TABLE.get("callers", ())
    }
)

#: CloudFormation type -> why the identity audit does not follow its readers and writers.
UNFOLLOWED: Mapping[str, str] = MappingProxyType(
    {raw["store_type"]: raw["why"] for raw in _TABLE.get("unfollowed", ())}
)
del _TABLE


def _read_actions() -> dict[str, dict[str, list[str]]]:
    path = resources.files(__package__).joinpath("data").joinpath("callers_actions.json")
    services: dict[str, dict[str, list[str]]] = json.loads(path.read_text("utf-8"))["services"]
    return services


#: service prefix -> ``read`` / ``write`` / ``none`` -> its actions (``data/callers_actions.json``,
#: generated by ``tools/gen_callers_actions.py`` from the Service Authorization Reference's access
#: levels: Write writes; Read and List read; Tagging and Permissions management touch no data).
CALLERS_ACTIONS: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        service: MappingProxyType({level: tuple(names) for level, names in levels.items()})
        for service, levels in _read_actions().items()
    }
)


def callers_actions(service: str, pattern: str) -> tuple[tuple[str, str], ...]:
    """``(action, level)`` for each action of ``service`` that the IAM action ``pattern`` (its
    part after ``:``, ``*`` and ``?`` wildcards, any case; ``"*"`` alone) allows, ``level`` one
    of ``read``, ``write``, ``none``; a pattern naming no action the table knows is itself, level
    ``unknown`` (an action newer than the table)."""
    name = "*" if pattern == "*" else pattern.partition(":")[2]
    regex = re.compile(
        "^" + re.escape(name).replace(r"\*", ".*").replace(r"\?", ".") + "$", re.IGNORECASE
    )
    found = tuple(
        (f"{service}:{action}", level)
        for level, names in CALLERS_ACTIONS.get(service, {}).items()
        for action in names
        if regex.match(action)
    )
    return found or ((pattern, "unknown"),)


def callers_row(cfn_type: str, properties: Any = None, level: str = "") -> IdentityRow | None:
    """The row for the actions of the service of a :data:`CALLERS_BY_TYPE` store (its IAM
    prefix and ``:*``), its :attr:`IdentityRow.any_of` the request sets of the type's ``reader``
    contract rows for a ``read`` action (either kind when the type has no reader row), and of
    its ``reader`` and ``writer`` rows for any other action: the reference's ``Write`` level
    holds starting an export or a job that only reads the data, so a write is not taken to need
    the writer's requests. Its ``note`` is their pages. None for other types, when the rows do
    not apply, and for a ``none`` action (tagging, permissions)."""
    entry = CALLERS_BY_TYPE.get(cfn_type)
    if entry is None or level == "none":
        return None
    rows = [
        r
        for r in rows_for_type(cfn_type, "run", properties)
        if r.caller == "capability" and r.principal in ("reader", "writer")
    ]
    if level == "read":
        rows = [r for r in rows if r.principal == "reader"] or rows
    if not rows:
        return None
    sets = tuple(dict.fromkeys(tuple(r.actions) for r in rows))
    pages = "; ".join(dict.fromkeys(r.source for r in rows))
    return IdentityRow(
        cfn_type, entry.via_service, (f"{entry.service}:*",),
        tuple(dict.fromkeys(a for s in sets for a in s)), entry.title, entry.url,
        pages, any_of=sets,
    )  # fmt: skip


def render_markdown() -> str:
    """The table as markdown (``docs/identities.md`` holds this text between its markers)."""
    lines = [
        "| store type | data actions | KMS requests (through the service) | AWS says | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in IDENTITY_ROWS:
        lines.append(
            f"| `{row.store_type}` | {', '.join(f'`{a}`' for a in row.actions)} | "
            f"{', '.join(f'`{k}`' for k in row.kms_requests)} | {row.note} | "
            f"[{row.title}]({row.url}) |"
        )
    lines += [
        "",
        "Stores whose AWS page names the KMS requests of their readers and writers (the `reader` "
        "and `writer` rows of their contracts) but not which actions make them: any action of the "
        "service on such a store needs the key to allow the principal one of those request sets "
        "(else `CDKP027`).",
        "",
        "| store type | actions | kms:ViaService | service prefix from |",
        "| --- | --- | --- | --- |",
    ]
    for entry in CALLERS_BY_TYPE.values():
        lines.append(
            f"| `{entry.store_type}` | `{entry.service}:*` | `{entry.via_service}.<region>"
            f".amazonaws.com` | [{entry.title}]({entry.url}) |"
        )
    lines += [
        "",
        "Stores with reader or writer rows the identity audit does not follow:",
        "",
        "| store type | why |",
        "| --- | --- |",
    ]
    lines += [f"| `{kind}` | {why} |" for kind, why in UNFOLLOWED.items()]
    return "\n".join(lines) + "\n"

"""The identity -> KMS request table: what KMS sees when an identity uses a domain store.

A principal that an identity policy allows ``sqs:SendMessage`` on a queue encrypted with a domain
key still needs the key: the queue's service calls KMS with the principal's credentials
(``kms:ViaService`` set to the service). Each :class:`IdentityRow` says, for a group of data
actions on one CloudFormation type, which KMS requests the service makes, with the AWS page that
says so. The rows are data: ``data/identity_kms.json`` (JSON Schema
``data/identity_kms.schema.json``); the audit (:mod:`cdk_partition.audit.identities`) evaluates
the requests against the domain key policy and ``docs/identities.md`` shows the table
(:func:`render_markdown`).

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from ._model import Cited

__all__ = ["IDENTITY_ROWS", "ROWS_BY_TYPE", "IdentityRow", "render_markdown"]


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
        )
        for raw in table["rows"]
    )


#: Every row, in the order of the data file.
IDENTITY_ROWS: tuple[IdentityRow, ...] = _rows(_read())

#: CloudFormation type -> its rows.
ROWS_BY_TYPE: Mapping[str, tuple[IdentityRow, ...]] = MappingProxyType(
    {
        cfn_type: tuple(r for r in IDENTITY_ROWS if r.store_type == cfn_type)
        for cfn_type in dict.fromkeys(r.store_type for r in IDENTITY_ROWS)
    }
)


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
    return "\n".join(lines) + "\n"

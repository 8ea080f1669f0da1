"""What the identity audit collects: one data action a principal is allowed on a domain store
(:class:`Grant`), its verdict against the key (:class:`IdentityVerdict`), what cannot be followed
(:class:`Unreadable`), and which identity rows and actions a statement reaches on a store
(:func:`rows_of`, :func:`matching`). Shared by :mod:`.identities` and
:mod:`.resource_policy_grants`; pure Python over the assembly's JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..assembly import StackTemplate
from ..knowledge.contracts import sets_path
from ..knowledge.identity_kms import ROWS_BY_TYPE, IdentityRow, callers_actions, callers_row
from .identity_policies import glob
from .store_texts import Store

__all__ = ["Grant", "IdentityVerdict", "Unreadable", "matching", "of_service", "rows_of"]


@dataclass(frozen=True)
class Grant:
    """One identity policy statement's data action on one store, for one principal."""

    policy_stack: StackTemplate
    policy_id: str
    """The resource holding the statement (the role for inline policies, else the policy)."""
    principal_arn: str
    principal_path: str
    store: Store
    action: str
    row: IdentityRow
    identity_kms: tuple[str, ...]
    """KMS action patterns the principal's own identity policies allow (on any resource)."""
    by_resource_policy: bool = False
    """The store's resource policy allows it (``policy_id`` is that policy), not an identity
    policy."""
    by_star: bool = False
    """The statement's ``Resource`` names no store: ``"*"``, or a text admitting any name of
    the store's type (``star_text``); the store is reached by being one of every resource."""
    star_text: str = "*"
    by_consumer: str = ""
    """The row (:attr:`~cdk_partition.knowledge.consumers.Consumer.key`) of a resource that makes
    the principal use the store (a Lambda event source mapping, a function's dead-letter queue,
    :mod:`.consumer_grants`; ``policy_id`` is that resource), not a policy."""


@dataclass(frozen=True)
class IdentityVerdict:
    """A grant decided against the key: the KMS requests refused (empty: allowed by both)."""

    grant: Grant
    refused: tuple[str, ...]
    undecidable: str | None = None


@dataclass
class Unreadable:
    """An identity policy that may reach a domain store and that the audit cannot follow."""

    stack: StackTemplate
    logical_id: str
    why: str
    fix: str | None = None
    """What to write instead, where the rule's general fix does not apply to what the app wrote."""


def of_service(action: str, service: str) -> bool:
    """Whether the IAM action pattern ``action`` can name an action of ``service`` (its prefix
    part matches: ``omics:Get*``, ``om*:*``, ``*``)."""
    prefix, _, _ = action.partition(":")
    return action == "*" or (bool(prefix) and glob(prefix).match(service) is not None)


def rows_of(store: Store) -> tuple[IdentityRow, ...]:
    """The identity rows of a store: its type's rows, or the row of its documented callers."""
    kind = str(store.resource.get("Type"))
    rows = ROWS_BY_TYPE.get(kind)
    if rows is not None:
        return tuple(
            r
            for r in rows
            if not r.key_slot or sets_path(store.resource.get("Properties"), r.key_slot)
        )
    row = callers_row(kind, store.resource.get("Properties"))
    return (row,) if row is not None else ()


def matching(
    row: IdentityRow, actions: list[str], store: Store
) -> Iterator[tuple[str, IdentityRow]]:
    """``(action, its row)`` for the actions of ``row`` the statement's ``actions`` allow: the
    row's own (a pattern of the statement matching each), or for a callers row
    (:attr:`IdentityRow.any_of`) each action of its service a pattern allows
    (:func:`~cdk_partition.knowledge.identity_kms.callers_actions`), with the row of its level
    (a reader's requests for a read, a reader's or a writer's for a write; none for tagging)."""
    if row.any_of:
        service = row.actions[0].split(":", 1)[0]
        kind = str(store.resource.get("Type"))
        seen: set[str] = set()
        by_level: dict[str, IdentityRow | None] = {}
        for pattern in (a for a in actions if of_service(a, service)):
            for action, level in callers_actions(service, pattern):
                if level not in by_level:
                    by_level[level] = callers_row(kind, store.resource.get("Properties"), level)
                narrowed = by_level[level]
                if narrowed is not None and action not in seen:
                    seen.add(action)
                    yield action, narrowed
        return
    patterns = [glob(a) for a in actions]
    yield from ((a, row) for a in row.actions if any(p.match(a) for p in patterns))

"""Who reads a domain's service-gated stores because a policy names them, for the access report.

For a store whose service decrypts for whoever its own API lets read (topics, log groups, event
buses: :data:`cdk_partition.knowledge.contracts.GATES`), the key policy decides nothing for the
reader: a subscriber "never calls KMS" (SNS: messages are "only decrypted when they are sent",
Amazon SNS Developer Guide, "Encryption at rest",
https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html). The report's generic
row ("anyone AWS lets call sns:Subscribe on the domain's topics") says so; this names who the
app's policies let do it: a principal a topic policy names (another account sharing the topic,
which the audit leaves alone as a deliberate share), or a role or user whose identity policy
allows the gate's action on the store. Each becomes a matrix row read "via the service" (or adds
it to the principal's row), so the access diff shows a new share. A policy letting every
principal in is the audit's CDKP036; the store's own account as principal is left to the
identity policies, as the identity audit does. Pure Python over the assembly's JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.principals import PrincipalResolver
from ..audit.identity_policies import (
    RESOURCE_POLICIES,
    as_list,
    holders,
    props_of,
    statements_of,
    type_of,
)
from ..audit.resource_policy_grants import store_policies
from ..audit.statement_shapes import names_action, to_everyone
from ..audit.store_texts import Store, domain_stores, stores_named
from ..knowledge.contracts import GATES
from ..policy import evaluator

__all__ = ["GatedReader", "gated_readers"]


@dataclass(frozen=True)
class GatedReader:
    """A principal a policy lets read a service-gated store through its service."""

    domain: str
    arn: str
    """The principal as evaluated (a role, a user, an account's root)."""
    path: str | None
    """Its construct path when the app defines it."""
    store: str
    """The store's construct path."""
    actions: tuple[str, ...]
    """The gate's actions the policy allows (``sns:Subscribe``)."""
    by: str
    """The policy that allows it: ``the resource policy <path>`` / ``an identity policy <path>``
    (``, under its conditions`` when the statement has any)."""


def gated_readers(assembly: CloudAssembly) -> list[GatedReader]:
    """Every principal the app's resource and identity policies let read a domain's
    service-gated store through its service (:data:`GATES`' ``actions``)."""
    stores = {k: s for k, s in domain_stores(assembly).items() if _gate(s)}
    if not stores:
        return []
    resolver = PrincipalResolver(assembly)
    found = [*_by_resource_policies(assembly, resolver, stores),
             *_by_identity_policies(assembly, stores)]  # fmt: skip
    return list(dict.fromkeys(found))


def _gate(store: Store) -> tuple[str, ...]:
    gate = GATES.get(str(store.resource.get("Type")))
    return gate.actions if gate is not None and gate.gates == "service" else ()


def _allowed(
    statement: Mapping[str, Any], actions: tuple[str, ...], explicit: bool
) -> tuple[str, ...]:
    """The gate ``actions`` an Allow statement names (:func:`names_action`); ``explicit``: only
    actions its ``Action`` names without a wildcard (a grant on ``"*"``)."""
    if statement.get("Effect") != "Allow":
        return ()
    if explicit:
        named = {str(a).lower() for a in as_list(statement.get("Action") or [])}
        return tuple(a for a in actions if a.lower() in named)
    return tuple(a for a in actions if names_action(statement, a))


def _by(kind: str, stack: StackTemplate, logical_id: str, statement: Mapping[str, Any]) -> str:
    resource = stack.resources.get(logical_id, {})
    text = f"{kind} {resource_path(stack, logical_id, resource)}"
    return text + (", under its conditions" if statement.get("Condition") else "")


def _by_resource_policies(
    assembly: CloudAssembly, resolver: PrincipalResolver, stores: Mapping[tuple[int, str], Store]
) -> Iterator[GatedReader]:
    for stack, logical_id, resource, targets in store_policies(assembly, stores):
        document = props_of(resource).get(RESOURCE_POLICIES[str(type_of(resource))][1])
        statements = [s for s in statements_of(document) if isinstance(s, Mapping)]
        for statement in statements:
            for store in dict.fromkeys(t for t in targets if t in stores.values()):
                allowed = _allowed(statement, _gate(store), explicit=False)
                for value in _named_by(statement) if allowed else []:
                    arn = _as_principal(resolver.resolve(str(evaluator.canonicalize(value)), stack),
                                        stack)  # fmt: skip
                    if arn == "*" or _own_account(arn, store.stack):
                        continue  # everyone: CDKP036; the own account: its identity policies
                    covers = partial(_names, assembly, stack, stores=stores, store=store)
                    if _denied(statements, value, allowed, covers):
                        continue  # an explicit Deny of the same principal wins
                    origin = resolver.origins.get(arn)
                    yield GatedReader(
                        store.domain, arn, origin.path if origin else None, store.path, allowed,
                        _by("the resource policy", stack, logical_id, statement),
                    )  # fmt: skip


#: Condition keys that name who a statement for every principal (``"*"``) lets in: "Use this key
#: to compare the account to which the requesting principal belongs" (aws:PrincipalAccount),
#: aws:PrincipalArn, aws:PrincipalOrgID (IAM User Guide, "AWS global condition context keys",
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html): a
#: share written as ``"*"`` narrowed to another account is a share with that account (an
#: attack hid one from the report so).
_WHO_KEYS = {
    "aws:principalaccount": "{}",
    "aws:principalarn": "{}",
    "aws:principalorgid": "organization {}",
    "aws:principalorgpaths": "organization path {}",
}
_NAMING_OPERATORS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
)


def _named_by(statement: Mapping[str, Any]) -> list[Any]:
    """The principals an Allow names: its ``Principal.AWS``, and for ``"*"`` the accounts,
    principals and organizations its conditions narrow it to (``"*"`` itself when none)."""
    principal = statement.get("Principal")
    named = as_list(principal.get("AWS") or []) if isinstance(principal, Mapping) else []
    if not to_everyone(statement):
        return named
    narrowed: list[Any] = []
    conditions = statement.get("Condition")
    for operator, block in conditions.items() if isinstance(conditions, Mapping) else []:
        bare = (
            str(operator).lower().removeprefix("foranyvalue:").removeprefix("forallvalues:")
            .removesuffix("ifexists")
        )  # fmt: skip
        if bare not in _NAMING_OPERATORS or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            label = _WHO_KEYS.get(str(key).lower())
            if label is not None:
                narrowed += [label.format(v) if label != "{}" else v for v in as_list(values)]
    return [v for v in named if v != "*"] + (narrowed or ["*"])


def _as_principal(text: str, stack: StackTemplate) -> str:
    """An account given by its id (``"444455556666"``) as its root ARN: "The account ARN and the
    shortened account ID behave the same way" (IAM User Guide, "AWS JSON policy elements:
    Principal",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)."""
    if text.isdigit() and len(text) == 12:
        return f"arn:{stack.environment.partition_text}:iam::{text}:root"
    return text


def _names(
    assembly: CloudAssembly,
    stack: StackTemplate,
    value: Any,
    stores: Mapping[tuple[int, str], Store],
    store: Store,
) -> bool:
    """Whether a statement's ``Resource`` value covers ``store``."""
    found = stores_named(assembly, stack, value, stores)
    return found.star or store in found.stores or store in found.any_name


def _denied(
    statements: list[Mapping[str, Any]],
    value: Any,
    actions: tuple[str, ...],
    covers: Callable[[Any], bool],
) -> bool:
    """Whether a Deny of the same policy names ``value`` for every one of ``actions`` on a
    resource ``covers`` says is the store (a Deny of another topic of the policy, or one whose
    ``NotResource`` leaves this one out, leaves the share as it is: an attack hid a share so)."""
    for statement in statements:
        principal = statement.get("Principal")
        named = as_list(principal.get("AWS") or []) if isinstance(principal, Mapping) else []
        if statement.get("Effect") != "Deny" or statement.get("Condition"):
            continue
        if "NotResource" in statement:
            if any(covers(r) for r in as_list(statement["NotResource"])):
                continue  # every resource but this store
        elif not any(covers(r) for r in as_list(statement.get("Resource") or [])):
            continue
        if (to_everyone(statement) or value in named) and all(
            names_action(statement, a) for a in actions
        ):
            return True
    return False


def _own_account(arn: str, stack: StackTemplate) -> bool:
    account = stack.environment.account_text
    return arn in (account, "${AWS::AccountId}") or arn.endswith(
        (f":iam::{account}:root", ":iam::${AWS::AccountId}:root")
    )


def _by_identity_policies(
    assembly: CloudAssembly, stores: Mapping[tuple[int, str], Store]
) -> Iterator[GatedReader]:
    for holder in holders(assembly)[0]:
        if not holder.principals:
            continue
        for document in holder.documents:
            for statement in statements_of(document):
                for value in as_list(statement.get("Resource") or []):
                    found = stores_named(assembly, holder.stack, value, stores)
                    reached = [(s, False) for s in found.stores]
                    # "*", or a text admitting any name of the type (``...:*``): only the
                    # actions the statement names exactly
                    reached += [(s, True) for s in stores.values()] if found.star else []
                    reached += [(s, True) for s in found.any_name]
                    for store, star in reached:
                        allowed = _allowed(statement, _gate(store), explicit=star)
                        for arn, path in holder.principals if allowed else ():
                            yield GatedReader(
                                store.domain, arn, path, store.path, allowed,
                                _by("an identity policy", holder.stack, holder.logical_id,
                                    statement),
                            )  # fmt: skip


#: The matrix's row order by kind.
_ORDER = {"named": 0, "service_gated": 1, "gated_reader": 2, "probe": 3}


def add_gated_readers(report: Any, readers: list[GatedReader], account: str) -> None:
    """Add each reader of ``report``'s domain to its access matrix, read "via the service": on
    the principal's own row when the key policy names it, else on a row of its own (kind
    ``gated_reader``, labelled as the matrix labels principals of ``account``), with the stores
    and the policies that let it read; a principal of another account also gets a
    ``REPORT-SHARED-READER`` warning (the key policy does not decide it)."""
    from ..assembly.principals import arn_parts, principal_label

    by_arn = {row.get("arn"): row for row in report.principals.values() if row["kind"] == "named"}
    for reader in readers:
        if reader.domain != report.name:
            continue
        row = by_arn.get(reader.arn)
        if row is None:
            row = report.principals.setdefault(principal_label(reader.arn, account), {
                "kind": "gated_reader", "arn": reader.arn, "path": reader.path,
                "capabilities": [], "via_services": {},
            })  # fmt: skip
            by_arn[reader.arn] = row
        row["via_the_service"] = sorted({*row.get("via_the_service", []), "read"})
        row.setdefault("read_through", [])
        entry = {"store": reader.store, "actions": list(reader.actions), "by": reader.by}
        if entry in row["read_through"]:
            continue
        row["read_through"].append(entry)
        parts = arn_parts(reader.arn)
        if reader.arn.startswith("organization ") or (
            parts is not None and parts[4] and parts[4] != account
        ):
            report.findings.append({
                "severity": "warning", "rule": "REPORT-SHARED-READER",
                "message": f"{reader.arn}"
                f"{'' if reader.arn.startswith('organization ') else ', of another account,'}"
                f" may read {reader.store} through "
                f"its service ({', '.join(reader.actions)}: {reader.by}); the domain key does "
                "not decide it.",
            })  # fmt: skip
    report.principals = dict(
        sorted(report.principals.items(), key=lambda item: _ORDER.get(item[1]["kind"], 9))
    )

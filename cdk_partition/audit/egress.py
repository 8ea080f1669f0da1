"""A domain's data moved by a service into a store outside the domain (CDKP034).

A topic on the domain key delivers its messages, decrypted, to every subscribed queue and
delivery stream, and to a subscription's dead-letter queue; a queue on the key moves the messages
it could not deliver to its dead-letter queue (:data:`cdk_partition.knowledge.egress.EGRESS`,
each row with its AWS page). A destination that is neither on the source's domain key nor placed
in that domain holds the domain's data where the key policy decides nothing: whoever its own
key (or SSE-SQS) lets read it reads the domain's data. The store methods refuse it where they can
see it (``domain.queue(..., dead_letter_queue=)`` of a queue off the key); a plain L2 on the key,
a subscription the app adds, or a queue of another stack were silent (found by an attack).

A destination the template names only by a literal ARN of no store of the app (another
account's queue), or by an intrinsic the checks cannot follow, is CDKP035, a warning: what it is
cannot be read from the assembly. A destination of another domain is CDKP034 too, and sharing
with that domain is exempted with its reason. Pure Python over the assembly's JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.keys import KeyResolver, key_account
from ..knowledge import catalogue
from ..knowledge.egress import (
    BY_TYPE,
    RELAYS,
    Egress,
    destinations,
    excluded_names,
    keeps,
    kept_by,
    origins,
)
from ..knowledge.run_roles import roles_at
from ..policy import evaluator
from .identity_policies import props_of, type_of
from .integrations import stores_at
from .rules import Finding, Rule, make_finding, no_aws_page, resource_fields, short

__all__ = ["RULES", "audit_egress"]

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP034",
        "error",
        "A service moves a domain's data into a store outside the domain",
        "put the destination on the source's domain key (create it with the domain's store "
        "method, `domain.queue(...)`, or pass it `domain.key`), so the key policy decides who "
        "reads it there too; or remove the move",
        source=no_aws_page(
            "each move's row (cdk_partition.knowledge.egress.EGRESS) cites the AWS page that "
            "says the service moves the data"
        ),
    ),
    Rule(
        "CDKP035",
        "warning",
        "A service moves a domain's data into a destination the assembly does not show",
        "make the destination a store of the domain in this app (its store method, or the "
        "domain key on it); when it is meant to receive the domain's data (a consumer "
        "account's queue on a key its owner controls), exempt the move with the reason: "
        "`exempt(<the subscription or queue>, 'CDKP035', reason)`",
        source=no_aws_page(
            "each move's row (cdk_partition.knowledge.egress.EGRESS) cites the AWS page that "
            "says the service moves the data; what the destination is, the assembly cannot say"
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def audit_egress(assembly: CloudAssembly, resolver: KeyResolver) -> Iterator[Finding]:
    """CDKP034 for each move of :data:`~cdk_partition.knowledge.egress.EGRESS` from a store on a
    domain key into a store that is neither on that key nor placed in that domain."""
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            for row in BY_TYPE.get(str(type_of(resource)), ()):
                yield from _moves(assembly, resolver, row, stack, logical_id, resource)


def _moves(
    assembly: CloudAssembly,
    resolver: KeyResolver,
    row: Egress,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
) -> Iterator[Finding]:
    props = props_of(resource)
    sources = (
        _every_in_account(assembly, stack, row.origin_all, excluded_names(props))
        if row.origin_all
        else [(stack, logical_id)]
        if not row.origin
        else [s for value in origins(row, props) for s in stores_at(assembly, stack, value)]
    )
    keys = {k for s, i in sources for k in resolver.domain_keys_of_store(s.resources.get(i), s)}
    keeper = kept_by(row, props)
    if keeper is not None:  # what moves stays on the key it names, whatever the destination's
        kept = resolver.key_of_slot(keeper, stack)
        keys = {k for k in keys if not _same(k, (kept.domain, key_account(kept)))}
    domains = {d for d, _ in keys}
    if not keys:
        return
    for value in destinations(row, props) if row.destination else [None]:
        targets = stores_at(assembly, stack, value) if row.destination else [(stack, logical_id)]
        if not targets and (named := _destination_named(assembly, stack, value)) is not None:
            targets = [named]  # a CloudWatch Logs destination of the app by its literal ARN
        targets, value = _through_relays(assembly, targets, value)
        if not targets and _may_be_a_store(value):  # a literal ARN of no store of the app, an
            for domain in sorted(domains):  # intrinsic the checks cannot follow
                yield _unseen(row, stack, logical_id, resource, domain, value)
        for target_stack, target_id in targets:
            target = target_stack.resources.get(target_id)
            kind = str(type_of(target))
            if not isinstance(target, dict) or catalogue.lookup(kind) is None:
                continue
            if row.into and (kind not in row.into or not keeps(kind, props_of(target))):
                continue  # a reader (a function), not a store that keeps what it receives
            held = set(resolver.domain_keys_of_store(target, target_stack))
            placed = assembly.domain_of(target_stack, target_id, target).domain
            if placed:
                home = assembly.nearest_domain_key(placed, target_stack)
                held.add((placed, home.stack.environment.account if home else None))
            for domain, account in sorted(keys, key=str):
                if any(_same((domain, account), k) for k in held):
                    continue
                others = sorted({f"{d} ({a})" if d == domain else d for d, a in held}, key=str)
                yield _finding(row, stack, logical_id, resource, domain, target_stack,
                               target_id, target, value, others)  # fmt: skip


#: The services of an ARN that may name a store (a target that is a function or an API
#: destination is a reader, as a topic's Lambda subscriber is, not a store; a state machine
#: keeps its executions' input: :data:`cdk_partition.knowledge.egress.EGRESS`).
_STORE_SERVICES = frozenset({"sqs", "sns", "kinesis", "firehose", "s3", "logs", "events",
                             "states"})  # fmt: skip


def _same(one: tuple[str | None, str | None], other: tuple[str | None, str | None]) -> bool:
    """Whether two ``(domain, key account)`` name the same domain key: the same domain, in the
    same account where both are known (a domain of one name in two environments is two)."""
    return one[0] == other[0] and (one[1] is None or other[1] is None or one[1] == other[1])


def _every_in_account(
    assembly: CloudAssembly, stack: StackTemplate, kind: str, excluded: frozenset[str]
) -> list[tuple[StackTemplate, str]]:
    """Every resource of ``kind`` in the account and region of ``stack`` (as the templates name
    them) but those whose literal name ``excluded`` holds: what an account-level policy
    applies to."""
    env = stack.environment
    return [
        (other, logical_id)
        for other in assembly.stacks
        if _may_be_same(other.environment.account_text, env.account_text)
        and _may_be_same(other.environment.region_text, env.region_text)
        for logical_id, resource in other.resources.items()
        if type_of(resource) == kind
        and props_of(resource).get(_NAMES.get(kind, "")) not in excluded
    ]


def _may_be_same(one: str, other: str) -> bool:
    """Whether two accounts (or regions) as templates name them may be the same: equal, or one
    chosen at deploy (an environment-agnostic stack's ``${AWS::AccountId}``: fail closed)."""
    return one == other or "${" in one or "${" in other


#: The property holding a store's literal name, by type (what a selection criteria names).
_NAMES = {"AWS::Logs::LogGroup": "LogGroupName"}


def _through_relays(
    assembly: CloudAssembly, targets: list[tuple[StackTemplate, str]], value: Any
) -> tuple[list[tuple[StackTemplate, str]], Any]:
    """``targets`` with each relay (:data:`~cdk_partition.knowledge.egress.RELAYS`: a CloudWatch
    Logs destination, a state machine's alias or version) replaced by what it passes on to, hop
    by hop; and the value to report when a relay's own target is not in the assembly."""
    for _ in range(_MAX_HOPS):
        out: list[tuple[StackTemplate, str]] = []
        relayed = False
        for target_stack, target_id in targets:
            resource = target_stack.resources.get(target_id)
            paths = RELAYS.get(str(type_of(resource)))
            if paths is None:
                out.append((target_stack, target_id))
                continue
            relayed = True
            for inner in (v for path in paths for v in roles_at(props_of(resource), path)):
                found = stores_at(assembly, target_stack, inner)
                out += found
                value = value if found else inner
        seen = {(id(t[0]), t[1]): t for t in out}
        targets = list(seen.values())
        if not relayed:
            break
    return targets, value


_MAX_HOPS = 4
#: A CloudWatch Logs destination's ARN ("arn:aws:logs:region:account:destination:name").
_LOGS_DESTINATION = re.compile(
    r"^arn:(?:\$\{AWS::Partition\}|[^:$]+):logs:(\$\{AWS::Region\}|[^:$]*):"
    r"(\$\{AWS::AccountId\}|[^:$]*):destination:([^:*?$]+)$"
)


def _destination_named(
    assembly: CloudAssembly, stack: StackTemplate, value: Any
) -> tuple[StackTemplate, str] | None:
    """The app's one ``AWS::Logs::Destination`` whose literal ``DestinationName`` a destination
    ARN written as text (or ``Fn::Sub`` of pseudo parameters, read in ``stack``) names, in the
    account and region the ARN names (an attack: only a reference was followed; then another
    account's destination of the same name was taken for the app's); None when none or more
    than one is."""
    text = evaluator.canonicalize(value)
    found = _LOGS_DESTINATION.match(text) if isinstance(text, str) else None
    if found is None:
        return None
    env = stack.environment
    region = env.region_text if found.group(1) == "${AWS::Region}" else found.group(1)
    account = env.account_text if found.group(2) == "${AWS::AccountId}" else found.group(2)
    named = [
        (other, logical_id)
        for other in assembly.stacks
        if other.environment.region_text == region and other.environment.account_text == account
        for logical_id, resource in other.resources.items()
        if type_of(resource) == "AWS::Logs::Destination"
        and props_of(resource).get("DestinationName") == found.group(3)
    ]
    return named[0] if len(named) == 1 else None


def _may_be_a_store(value: Any) -> bool:
    """Whether a destination the assembly does not show may be a store: any value but a literal
    ARN of a service that keeps no data (``arn:aws:lambda:...``)."""
    if not isinstance(value, str) or not value.startswith("arn:"):
        return True
    parts = value.split(":")
    if len(parts) > 5 and parts[2] == "events":  # an API destination is a reader, a bus a store
        return parts[5].startswith("event-bus/")
    return len(parts) < 3 or parts[2] in _STORE_SERVICES


def _store_fix(target: Mapping[str, Any]) -> str:
    """How the catalogue says to put a store of ``target``'s type on the domain key."""
    spec = catalogue.lookup(str(type_of(target)))
    return spec.cdk_fix if spec is not None else "pass the domain key (`domain.key`) to it"


def _finding(
    row: Egress,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    domain: str,
    target_stack: StackTemplate,
    target_id: str,
    target: Mapping[str, Any],
    value: Any,
    others: list[str],
) -> Finding:
    base = resource_fields(stack, logical_id, resource, domain)
    target_path = resource_path(target_stack, target_id, target).removesuffix("/Resource")
    itself = target_stack is stack and target_id == logical_id  # a bus's archive
    where = (
        f" and define it in stack {stack.name!r}, where its {row.what} is (a store of stack "
        f"{target_stack.name!r} that {stack.name!r} references cannot take the key of a stack "
        "that deploys before it without a dependency cycle)"
        if target_stack is not stack
        else ""
    )
    fix = (
        f"put {target_path} on the key of domain {domain!r}: {_store_fix(target)} (`domain` "
        f"being {domain!r}'s){where}, or remove the {row.what}"
    )
    if others:  # another domain's store: sharing with that domain is a decision, not a slip
        fix = (
            f"if domain {others[0]!r} is meant to receive data of domain {domain!r}, say so "
            f"with the reason: `exempt(<this {row.what}'s resource>, 'CDKP034', reason)`; "
            f"else deliver into a store of domain {domain!r} or remove the {row.what}"
        )
    return make_finding(
        _RULE["CDKP034"],
        f"{base['path']} moves data of domain {domain!r} into "
        f"{'itself' if itself else target_path} (its {row.what}), "
        f'which is not on the domain key: "{row.quote}" ({row.page}). There the domain\'s '
        "data is read by whoever that store lets read it, not by whom the key policy names.",
        fix=fix,
        location=row.destination or row.origin,
        value=short(value),
        **base,
    )


def _unseen(
    row: Egress,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    domain: str,
    value: Any,
) -> Finding:
    """CDKP035: the move's destination is no store of the assembly (fail closed: a warning)."""
    base = resource_fields(stack, logical_id, resource, domain)
    return make_finding(
        _RULE["CDKP035"],
        f"{base['path']} moves data of domain {domain!r} into {short(value)} (its {row.what}), "
        f'a destination the assembly does not show: "{row.quote}" ({row.page}). Whether it is '
        "on the domain key, and who reads it there, cannot be decided.",
        location=row.destination,
        value=short(value),
        **base,
    )

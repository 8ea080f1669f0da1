"""Deliveries into a domain store that AWS says need the store's key policy, where the library
has no contract row (vended logs into a bucket: VPC flow logs, Route 53 Resolver query logs,
Network Firewall logs, CloudWatch Logs delivery destinations; :data:`cdk_partition.knowledge
.wiring.DELIVERIES`, each with its AWS page): CDKP021 when the domain key refuses the service the
request in every context (decided by the prover), with the ``allow_service`` statement to
declare. Fail closed: before, such a delivery was silent and failed at run time. Where AWS
supports no customer managed key for the delivery (Application and Classic Load Balancer access
logs, SSE-S3 only; ElastiCache and AWS Config notifications, no encrypted topic), a destination
in a domain is CDKP026, whatever the key policy says; where AWS documents no principal for the
delivery (DocumentDB and Neptune event subscriptions), CDKP033, a warning to verify.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.principals import PrincipalResolver
from ..knowledge.wiring import DELIVERIES, Delivery, destinations
from ..policy.prover import prover_for
from .exemptions import exempted_rules
from .identity_policies import props_of, type_of
from .integrations import RULES, stores_at
from .key_policy import RULES as KEY_RULES
from .key_policy import declared_service_statements
from .key_requests import prepared_key_policy
from .rules import Finding, make_finding, resource_fields
from .service_statements import unscoped_by_aws
from .store_texts import off_every_key

__all__ = [
    "allow_service_call",
    "audit_deliveries",
    "delivered_stores",
    "delivery_accounts",
    "service_account_targets",
    "unwired_unscoped",
    "wired_delivery_rows",
    "with_delivery_fix",
]

_RULE = {rule.id: rule for rule in RULES}
_KEY_RULES = {rule.id: rule for rule in KEY_RULES}

#: Source type -> its rows of :data:`DELIVERIES`.
_BY_TYPE: dict[str, list[Delivery]] = {}
for _row in DELIVERIES:
    _BY_TYPE.setdefault(_row.source_type, []).append(_row)


def audit_deliveries(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP021 for each delivery of :data:`DELIVERIES` into a domain store whose key refuses the
    service its request in every context."""
    resolver = PrincipalResolver(assembly)
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            for row in _BY_TYPE.get(str(type_of(resource)), []):
                for store_stack, store_id in _stores(assembly, stack, row, resource):
                    yield from _delivery(assembly, resolver, row, stack, logical_id, resource,
                                         store_stack, store_id)  # fmt: skip


def _stores(
    assembly: CloudAssembly, stack: StackTemplate, row: Delivery, resource: Mapping[str, Any]
) -> Iterator[tuple[StackTemplate, str]]:
    """The stores ``row``'s destination property of ``resource`` names."""
    for value in destinations(row, props_of(resource)):
        yield from stores_at(assembly, stack, value)


def _delivery(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    row: Delivery,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    store_stack: StackTemplate,
    store_id: str,
) -> Iterator[Finding]:
    """CDKP021 for one delivery into the store when its key refuses the service in every
    request that carries the delivering resource's account as ``aws:SourceAccount`` (where AWS's
    statement scopes by it; the stack's account, when the template names one)."""
    store = store_stack.resources[store_id]
    if type_of(store) != row.store_type:
        return
    domain = assembly.domain_of(store_stack, store_id, store).domain
    if not row.customer_key or not row.documented:
        if domain and not _kept_off_the_key(assembly, store_stack, store_id, store):
            path = resource_path(store_stack, store_id, store).removesuffix("/Resource")
            base = resource_fields(stack, logical_id, resource, domain)
            yield (_no_customer_key if row.documented else _undocumented)(row, base, path)
        return
    key = assembly.nearest_domain_key(domain, store_stack) if domain else None
    if key is None or not isinstance(key.policy, dict):
        return
    prover = prover_for(prepared_key_policy(assembly, resolver, key))
    # the service calls KMS for the delivering resource: its account is the request's
    # aws:SourceAccount (a flow log of another account's stack into the central bucket)
    env = stack.environment
    context: dict[str, str] = {}
    if row.scoped and env.account:
        context["aws:SourceAccount"] = env.account
    if row.source_arn and env.account and env.region:  # a prefix: its own resource follows
        context["aws:SourceArn"] = (
            row.source_arn.replace("{partition}", env.partition_text)
            .replace("{region}", env.region)
            .replace("{account}", env.account)
            + "*"
        )
    refused = [
        a for a in row.actions if prover.service_may(row.service, a, context).status == "denied"
    ]
    if not refused:
        return
    base = resource_fields(stack, logical_id, resource, domain)
    path = resource_path(store_stack, store_id, store).removesuffix("/Resource")
    yield make_finding(
        _RULE["CDKP021"],
        f"{base['path']} delivers into {path} of domain {domain!r} through "
        f"{row.service}, and the domain key refuses it {', '.join(refused)} in every request: "
        f'"{row.quote}" ({row.page}). Every delivery fails at run time.',
        fix=(
            "declare the statement AWS documents for it: "
            f"{allow_service_call(row, stack.environment.account_text)}, or deliver to a store "
            "outside the domain"
        ),
        location=row.destination,
        **base,
    )


#: Store type -> the store outside the domain that the delivery AWS supports can reach.
_OUTSIDE: Mapping[str, str] = {
    "AWS::S3::Bucket": "a bucket with S3-managed encryption "
    "(`s3.Bucket(scope, id, encryption=s3.BucketEncryption.S3_MANAGED)`",
    "AWS::SNS::Topic": "a topic without a customer managed key (`sns.Topic(scope, id)`",
}


#: The rules of a store kept off every customer managed key (no key, SSE-S3, SSE-SQS, an AWS
#: managed key): exempting one says the store holds no domain data by design.
_OFF_THE_KEY = frozenset({"CDKP001", "CDKP002", "CDKP003"})


def _kept_off_the_key(
    assembly: CloudAssembly, stack: StackTemplate, logical_id: str, store: Mapping[str, Any]
) -> bool:
    """Whether the domain store is off every customer managed key, its finding for that exempted
    with a reason (a topic kept unencrypted for ElastiCache's notifications by design): a
    delivery AWS supports only into such a store is then where it belongs (was a false CDKP026,
    found by an attack)."""
    return off_every_key(store) and bool(
        exempted_rules(assembly, stack.file, logical_id) & _OFF_THE_KEY
    )


def _no_customer_key(row: Delivery, base: Mapping[str, Any], path: str) -> Finding:
    """CDKP026: the delivering resource (``base``: its finding fields) delivers into the domain
    store at ``path`` where AWS supports no customer managed key (whatever the key policy says,
    and whether the store is on the key yet or not: a domain store must be)."""
    outside = _OUTSIDE.get(row.store_type)
    return make_finding(
        _RULE["CDKP026"],
        f"{base['path']} delivers into {path} of domain {base['domain']!r}, and AWS supports no "
        f'customer managed key there: "{row.quote}" ({row.page}). A domain store is on the '
        "domain key: every delivery fails at run time.",
        fix=f"deliver to {outside} in a stack that is not a domain's and that "
        "`encryption_at_rest()` does not cover): what the service delivers is not the domain's "
        "data"
        if outside
        else None,
        location=row.destination,
        **base,
    )


def _undocumented(row: Delivery, base: Mapping[str, Any], path: str) -> Finding:
    """CDKP033: the delivering resource (``base``: its finding fields) delivers into the domain
    store at ``path``, and AWS documents no principal or request for it: the checks cannot
    decide whether the key lets it in (fail closed, a warning to verify)."""
    return make_finding(
        _RULE["CDKP033"],
        f"{base['path']} delivers into {path} of domain {base['domain']!r}, and AWS documents no "
        f"principal or request of the key for it: {row.page} lists the services that publish "
        f'into encrypted topics ("{row.quote}") without this one. The domain key may refuse '
        "every delivery at run time.",
        location=row.destination,
        **base,
    )


def service_account_targets(assembly: CloudAssembly) -> frozenset[tuple[str, str]]:
    """(stack name, logical id) of every store a delivery of :data:`DELIVERIES` whose writer is
    an AWS account of the service (``service_account``: a load balancer's access logs) reaches:
    such an account in the store's policy is the delivery's, which its own finding covers
    (CDKP026, CDKP021), not a principal of the app (CDKP019). Read once per assembly."""
    mark = ("service-account-targets",)
    found: frozenset[tuple[str, str]] | None = assembly.memo.get(mark)
    if found is None:
        out: set[tuple[str, str]] = set()
        for stack in assembly.stacks:
            for resource in stack.resources.values():
                for row in _BY_TYPE.get(str(type_of(resource)), []):
                    if row.service_account:
                        out |= {(s.name, i) for s, i in _stores(assembly, stack, row, resource)}
        found = assembly.memo[mark] = frozenset(out)
    return found


def delivery_accounts(assembly: CloudAssembly, key: Any) -> frozenset[str]:
    """The accounts (of the delivering resources' stacks, named by the template) other than the
    key's from which a delivery of :data:`DELIVERIES` reaches a store on ``key``: a statement
    scoped by such an account (``aws:SourceAccount``, as the delivery's fix writes it) is that
    delivery's, not a scope reaching other accounts (CDKP106)."""
    home = key.stack.environment.account
    return frozenset(
        account for _, account in _wired(assembly).get(id(key), ()) if account and account != home
    )


def wired_delivery_rows(assembly: CloudAssembly, key: Any) -> tuple[Delivery, ...]:
    """The rows of :data:`DELIVERIES` the app wires into a store on ``key`` (AWS documents the
    statement; a customer managed key supported)."""
    return tuple(dict.fromkeys(row for row, _ in _wired(assembly).get(id(key), ())))


def _wired(assembly: CloudAssembly) -> dict[int, list[tuple[Delivery, str | None]]]:
    """id of a domain key -> (row, the delivering stack's account) of each delivery of
    :data:`DELIVERIES` into a store on it. Read once per assembly."""
    mark = ("wired-deliveries",)
    by_key: dict[int, list[tuple[Delivery, str | None]]] | None = assembly.memo.get(mark)
    if by_key is None:
        by_key = {}
        delivered: set[tuple[str, int, str]] = set()
        for stack in assembly.stacks:
            for resource in stack.resources.values():
                for row in _BY_TYPE.get(str(type_of(resource)), []):
                    for store_stack, store_id in _stores(assembly, stack, row, resource):
                        store = store_stack.resources.get(store_id)
                        if store is None or type_of(store) != row.store_type:
                            continue
                        if not row.customer_key or not row.documented:
                            # a store AWS supports no customer managed key for: its own finding
                            # (CDKP026, an error) says what to do with every service let in;
                            # an undocumented delivery (CDKP033, a warning) judges no other
                            # service (an attack silenced a backup vault's CDKP021 so)
                            if not row.customer_key:
                                delivered.add(("*", id(store_stack), store_id))
                            continue
                        domain = assembly.domain_of(store_stack, store_id, store).domain
                        found = assembly.nearest_domain_key(domain, store_stack) if domain else None
                        if found is not None:
                            pair = (row, stack.environment.account)
                            by_key.setdefault(id(found), []).append(pair)
                            delivered.add((row.service, id(store_stack), store_id))
        assembly.memo[mark] = by_key
        assembly.memo[("delivered-stores",)] = frozenset(delivered)
    return by_key


def delivered_stores(assembly: CloudAssembly) -> frozenset[tuple[str, int, str]]:
    """``(service, id of the store's stack, its logical id)`` of each store on a domain key a
    resource of the app delivers into by a row of :data:`DELIVERIES`: that delivery's own check
    judges the service there (CDKP021), no other; service ``"*"`` for a delivery AWS supports
    no customer managed key for (CDKP026 judges the store)."""
    _wired(assembly)
    found: frozenset[tuple[str, int, str]] = assembly.memo[("delivered-stores",)]
    return found


def allow_service_call(row: Delivery, account: str) -> str:
    """The ``domain.allow_service(...)`` call that declares the statement AWS documents for
    ``row`` (scoped by ``aws:SourceAccount`` ``account`` where AWS's statement is)."""
    conditions = (
        f", conditions={{'StringEquals': {{'aws:SourceAccount': {account!r}}}}}"
        if row.scoped
        else ""
    )
    return (
        f"`domain.allow_service({row.service!r}, actions={list(row.actions)!r}{conditions}, "
        f"source={row.page!r})`"
    )


def with_delivery_fix(
    finding: Finding, rows: tuple[Delivery, ...], account: str, key: Any
) -> Finding:
    """A CDKP106 finding on a statement an L2 wrote for a service the app wires into a store on
    the key by a row of :data:`DELIVERIES` (a trail notifying a domain topic), with the fix that
    declares the statement AWS documents for that delivery in place of the L2's
    (``replace_cdk_statements=True``), instead of the rule's generic doors. A finding on the
    app's own ``allow_service`` declaration keeps its fix (an attack: the replacement could not
    clear it)."""
    statement = _statement_of(finding, key)
    if finding.rule != "CDKP106" or statement is None:
        return finding
    if str(statement.get("Sid")) in declared_service_statements(key.resource):
        return finding
    services = [str(s) for s in _services_of(statement)]
    row = next((r for r in rows if r.service in services), None)
    if row is None:
        return finding
    call = allow_service_call(row, account).removesuffix(")`") + ", replace_cdk_statements=True)`"
    fix = (
        f"the app wires {row.service} into a store on this key ({row.source_type} "
        f"{row.destination}), whose statement AWS documents: declare it with {call}, which "
        "replaces the statement the L2 wrote; or, when the statement must stay as it is, "
        f'`exempt(domain.key, "CDKP106", <reason>)`'
    )
    message = finding.message.removesuffix(f" Fix: {finding.fix}.")
    return replace(finding, message=f"{message} Fix: {fix}.", fix=fix)


_STATEMENT_AT = re.compile(r"^KeyPolicy\.Statement\[(\d+)\]")


def _statement_of(finding: Finding, key: Any) -> Mapping[str, Any] | None:
    """The key policy statement a key finding's location points at."""
    found = _STATEMENT_AT.match(finding.location or "")
    statements = key.statements
    index = int(found.group(1)) if found else -1
    return statements[index] if 0 <= index < len(statements) else None


def _services_of(statement: Mapping[str, Any]) -> list[Any]:
    principal = statement.get("Principal")
    services = principal.get("Service") if isinstance(principal, Mapping) else None
    return services if isinstance(services, list) else [services] if services else []


def unwired_unscoped(assembly: CloudAssembly, key: Any) -> Iterator[Finding]:
    """CDKP106 for each statement the app declared without conditions from the page of a
    delivery AWS prints so (:func:`~.service_statements.unscoped_by_aws`) while the app wires
    no such delivery into a store on ``key``: the unconditioned statement would let the service
    use the key for any account's resources (an attack cited the page alone)."""
    wired = {r.service for r in wired_delivery_rows(assembly, key) if not r.scoped}
    declared = declared_service_statements(key.resource)
    for index, statement in enumerate(key.statements):
        mark = declared.get(str(statement.get("Sid")))
        service = mark.get("service") if mark else None
        if not mark or statement.get("Condition") or service in wired:
            continue
        if not unscoped_by_aws(str(service), mark.get("source")):
            continue
        yield make_finding(
            _KEY_RULES["CDKP106"],
            f"Key of domain {key.name!r} ({key.path}): statement {statement.get('Sid')} allows "
            f"{service} without conditions as AWS writes it for a delivery ({mark.get('source')}),"
            f" but the app wires no such delivery of {service} into a store on this key: the "
            "service may use the key for any account's resources.",
            fix=f"remove the statement, or wire the delivery it is for; scoped by this account "
            f"(`conditions={{'StringEquals': {{'aws:SourceAccount': "
            f"{key.stack.environment.account_text!r}}}}}`) where AWS supports it",
            location=f"KeyPolicy.Statement[{index}]",
            **resource_fields(key.stack, key.logical_id, key.resource, key.name),
        )

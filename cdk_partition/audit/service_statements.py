"""What an Allow to an AWS service principal may give on a domain key (CDKP106), decided in one
place for the audit (:mod:`.key_policy`) and for ``DataDomain.allow_service`` at construct time.

A service statement passes when it stays within what the service needs:

* for a service with a service contract (:data:`cdk_partition.knowledge.contracts.CONTRACTS`):
  the contract rows' actions only, and a condition wherever every row of the service is scoped
  (each row cites its AWS page);
* for a service without one, declared by the app with ``domain.allow_service(...)`` and the AWS
  page it follows (``cdk_partition:service_statements`` metadata on the key): data actions only
  (no administration, no grants), scoped by ``aws:SourceArn`` / ``aws:SourceAccount`` /
  ``aws:SourceOrgID`` (or an encryption-context key) unless the app passed
  AWS's words that the source keys are not supported for it;
* a service with no contract that the app did not declare does not pass: nobody says what it
  needs (fail closed).

"AWS global condition context keys" (IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn):
``aws:SourceArn`` and ``aws:SourceAccount`` are present "only when a call to your resource is
being made directly by an AWS service principal on behalf of another resource", which is how a
key policy keeps a service from using the key for another account's resources (the confused
deputy).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from ..knowledge import contract_shapes, contracts
from ..knowledge.capabilities import (
    KMS_KEY_ACTIONS,
    READ_ACTIONS,
    WRITE_ACTIONS,
    expand_kms_actions,
)
from ..knowledge.wiring import DELIVERIES

__all__ = [
    "DATA_ACTIONS",
    "SCOPING_KEYS",
    "cites_a_row",
    "contract_actions",
    "expand_actions",
    "foreign_scopes",
    "literal_scopes",
    "rows_of_service",
    "scopable_actions",
    "service_statement_problems",
    "unscoped_by_aws",
]

#: The actions a service that carries the domain's data may be given: reading and writing it
#: (never administration, never grants).
DATA_ACTIONS: frozenset[str] = frozenset(READ_ACTIONS + WRITE_ACTIONS)

#: Condition keys that scope a service principal to this account's resources.
SCOPING_KEYS: tuple[str, ...] = (
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
)
_SCOPING_PREFIXES = ("kms:encryptioncontext:",)


def expand_actions(actions: Iterable[Any]) -> set[str]:
    """The KMS key actions ``actions`` (wildcards such as ``kms:Get*`` allowed) stand for;
    an action that matches none is kept as written
    (:func:`~cdk_partition.knowledge.capabilities.expand_kms_actions`)."""
    return set(expand_kms_actions(actions))


def rows_of_service(service: str, *, everything: bool = False) -> list[contracts.ContractRow]:
    """The service-principal contract rows of ``service`` (``logs.<region>.amazonaws.com``
    matches the row of ``logs.{region}.amazonaws.com``) that decide what a statement for it may
    hold (:func:`~cdk_partition.knowledge.contract_shapes.counts_for_service`: the integrations
    the library writes and the rows it writes for a type on the key; a row of a type it leaves
    to the app would let an unscoped statement of the service through on every key).
    ``everything``: every row of the service (what the app may declare from their pages)."""
    return [
        r
        for r in contracts.CONTRACTS
        if r.caller == "service_principal"
        and fnmatchcase(service, r.principal.replace("{region}", "*"))
        and (everything or contract_shapes.counts_for_service(r))
    ]


def _condition_keys(conditions: Any) -> set[str]:
    if not isinstance(conditions, Mapping):
        return set()
    return {
        str(key).lower()
        for block in conditions.values()
        if isinstance(block, Mapping)
        for key in block
    }


def _scoped(conditions: Any) -> bool:
    keys = _condition_keys(conditions)
    return any(k in SCOPING_KEYS or k.startswith(_SCOPING_PREFIXES) for k in keys)


def contract_actions(rows: Iterable[Any]) -> set[str]:
    """The KMS key actions a service statement may give for contract ``rows``: the actions of
    their requests and those AWS's documented statement lists beyond them
    (:attr:`~cdk_partition.knowledge.contracts.ContractRow.statement_only`)."""
    return expand_actions(a for r in rows for a in (*r.actions, *r.statement_only))


def scopable_actions(rows: Iterable[contracts.ContractRow]) -> set[str]:
    """The KMS key actions a statement for the service of ``rows`` must scope: those every row
    that requests them sends with a request context AWS documents (an action of one row sent
    with none, or a DescribeKey of a row scoped only by an encryption context, which its
    request cannot carry, leaves nothing to scope by)."""
    rows = list(rows)
    out = set()
    for action in KMS_KEY_ACTIONS:
        asking = [
            r
            for r in rows
            if action in expand_actions((*contract_shapes.requested(r), *r.statement_only))
        ]
        if asking and all(contract_shapes.request_context(r, action) for r in asking):
            out.add(action)
    return out


def cites_a_row(source: Any, rows: Iterable[contracts.ContractRow]) -> bool:
    """Whether the declared ``source`` names the AWS page of one of ``rows``."""
    text = str(source or "")
    return any(r.source.rpartition(" (")[2].rstrip(")") in text for r in rows)


#: Condition keys whose value is an account id, and those whose value is an ARN: a positive
#: condition on them (``StringEquals``, ``ArnLike``...) scopes a service to the accounts it names.
_ACCOUNT_KEYS = ("aws:sourceaccount", "kms:calleraccount")
_ARN_KEYS = ("aws:sourcearn",)
#: The account of a template whose stack names none.
_ACCOUNT_PLACEHOLDER = "${AWS::AccountId}"


def foreign_scopes(
    conditions: Any, account: str | None, wired: frozenset[str] = frozenset()
) -> list[str]:
    """The values of ``conditions`` that scope a service to an account other than ``account``
    (the key's; its ``${AWS::AccountId}`` placeholder counts as it), or to any:

    * an ``aws:SourceAccount`` or ``kms:CallerAccount`` naming another account or a wildcard;
    * an ``aws:SourceOrgID`` / ``aws:SourceOrgPaths`` with a wildcard (any organization; a
      literal organization is the app's to vouch for);
    * an ``aws:SourceArn`` (or an ARN-valued encryption-context key) whose account is another
      or a wildcard, or that names no account and holds a wildcard (``arn:aws:s3:::*``: any
      bucket of any account), unless the statement also pins ``aws:SourceAccount`` (or
      ``kms:CallerAccount``) to the key's account: both must hold, so the pin keeps other
      accounts out.

    A key policy statement scoped so lets the service use the key for another account's
    resources (the confused deputy the scoping keys exist to stop). In a stack whose account is
    unknown (the placeholder) only a wildcard account is reported: a literal may be the stack's.
    Negated operators (``StringNotEquals``...) and ``Null`` are left to the other checks.

    ``wired``: literal ARNs of other accounts' sources the app wires to deliver into the key's
    stores (:func:`cdk_partition.audit.integrations.wired_sources`), and the accounts of the
    resources that deliver into them (:func:`cdk_partition.audit.deliveries.delivery_accounts`:
    a flow log of another account's stack into the central bucket). A statement whose every
    ``aws:SourceArn`` is exactly one of them is that wiring: those ARNs and their accounts are
    not reported (a partner's topic subscribed by a domain queue); a wired account is not
    another account's either."""
    if not isinstance(conditions, Mapping) or account is None:
        return []
    mine = {account, _ACCOUNT_PLACEHOLDER}
    known = account != _ACCOUNT_PLACEHOLDER  # an environment-agnostic stack: any literal may be it
    positive = [
        (str(key), values if isinstance(values, list) else [values])
        for operator, block in conditions.items()
        if isinstance(block, Mapping)
        and "not" not in str(operator).lower()
        and str(operator).lower() != "null"
        for key, values in block.items()
    ]
    mine |= {w for w in wired if w.isdigit()}  # accounts the app wires deliveries from
    sources = [str(v) for key, vs in positive if key.lower() in _ARN_KEYS for v in vs]
    if sources and all(a in wired for a in sources):
        mine |= {a.split(":")[4] for a in sources}  # the wiring's own source accounts
        positive = [(k, vs) for k, vs in positive if k.lower() not in _ARN_KEYS]
    accounts = [str(v) for key, vs in positive if key.lower() in _ACCOUNT_KEYS for v in vs]
    pinned = bool(accounts) and all(a in mine for a in accounts)
    out: list[str] = []
    for key, values in positive:
        name = key.lower()
        for value in values:
            text = str(value)
            if name in _ACCOUNT_KEYS and text not in mine and (known or _wild(text)):
                out.append(f"{key} = {text!r}")
            elif name in ("aws:sourceorgid", "aws:sourceorgpaths") and _wild(text):
                out.append(f"{key} = {text!r}")
            elif not pinned and (
                name in _ARN_KEYS
                or (name.startswith(_SCOPING_PREFIXES) and text.startswith("arn:"))
            ):
                # the pseudo parameters hold '::': read the ARN's parts without them
                parts = (
                    text.replace("${AWS::Partition}", "partition")
                    .replace("${AWS::Region}", "region")
                    .replace(_ACCOUNT_PLACEHOLDER, "account")
                    .split(":", 5)
                )
                if len(parts) != 6:
                    continue
                foreign = parts[4] not in (*mine, "account") and (known or _wild(parts[4]))
                anyone = not parts[4] and _wild(parts[5])
                if (parts[4] and foreign) or anyone:
                    out.append(f"{key} = {text!r}")
    return out


def literal_scopes(conditions: Any) -> frozenset[str]:
    """The literal accounts (``aws:SourceAccount``, ``kms:CallerAccount``) and the ARNs without a
    wildcard (``aws:SourceArn``) of ``conditions``: what only the app's wiring can vouch for,
    which a check that cannot see the wiring (the construct-time door) passes as ``wired`` to
    :func:`foreign_scopes`, leaving them to the audit (CDKP106); a wildcard is refused at once."""
    out: set[str] = set()
    for block in conditions.values() if isinstance(conditions, Mapping) else []:
        for key, values in block.items() if isinstance(block, Mapping) else []:
            for value in values if isinstance(values, list) else [values]:
                text = str(value)
                if _wild(text) or "${" in text.replace("${AWS::Partition}", ""):
                    continue
                if str(key).lower() in _ACCOUNT_KEYS and text.isdigit():
                    out.add(text)
                elif str(key).lower() in _ARN_KEYS and text.startswith("arn:"):
                    out.add(text)
    return frozenset(out)


def unscoped_by_aws(service: str, source: Any, actions: Iterable[Any] | None = None) -> bool:
    """Whether ``source`` (the AWS page a declared statement follows, as the delivery's fix
    prints it) is exactly that of a delivery of ``service`` whose statement AWS prints with no
    condition (:attr:`cdk_partition.knowledge.wiring.Delivery.scoped` False: CloudTrail's and
    SES's notifications into an encrypted topic), and ``actions`` (when given) stay within that
    statement's: the statement as AWS writes it then passes unscoped. Whether the app wires
    such a delivery is the audit's to say (:func:`cdk_partition.audit.deliveries
    .unwired_unscoped`)."""
    rows = [r for r in DELIVERIES if r.service == service and not r.scoped and r.page == source]
    if not rows:
        return False
    allowed = {a for r in rows for a in r.actions}
    return actions is None or expand_actions(actions) <= allowed


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def service_statement_problems(
    service: str,
    actions: Iterable[Any],
    conditions: Any,
    *,
    declared: Mapping[str, Any] | None = None,
    account: str | None = None,
    wired: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """What an Allow of ``actions`` (already expanded or not) to ``service`` under ``conditions``
    gives beyond the service's needs, as phrases ("gives X kms:Y, beyond ..."); none when it
    passes. ``declared``: the app's declaration of the statement (``source``: the AWS page;
    ``source_keys_unsupported``: AWS's words that the source keys are not supported). A
    statement of a service with contract rows is held to their actions when the library wrote
    it or the app declares it from one of their pages; declared from another AWS page, it is
    held to data actions, scoped, like a service without a contract. ``account``: the key's
    account, when known: a condition scoping the service to another account
    (:func:`foreign_scopes`, ``wired`` its sources of other accounts the app wires) is a problem
    whatever the service."""
    expanded = expand_actions(actions)
    foreign = foreign_scopes(conditions, account, wired)
    if foreign:
        yield (
            f"scopes {service} to another account or to any ({'; '.join(foreign)}): the service "
            "may then use the key for resources that are not this account's. Scope it by this "
            "account (aws:SourceAccount, or aws:SourceArn of this account's resources)."
        )
    rows = rows_of_service(service)
    # a contract documents one integration of the service; a statement the app declares from
    # another AWS page (vended logs into a bucket, where the contract is Step Functions' log
    # delivery) is held to the declared rules below, not to the other integration's actions
    if declared is not None:  # held to the rows of the page the app declares it from
        cited = [
            r
            for r in rows_of_service(service, everything=True)
            if cites_a_row(declared.get("source"), [r])
        ]
        rows = cited or []
    if rows:
        allowed = contract_actions(rows)
        beyond = sorted(expanded - allowed)
        if beyond:
            yield f"gives {service} {', '.join(beyond)}, beyond its contract ({rows[0].source})."
        if not conditions and expanded & scopable_actions(rows):
            keys = ", ".join(sorted({k for r in rows for k in r.context}))
            yield (
                f"allows {service} without conditions, although AWS supports scoping it ({keys})."
            )
        return
    if declared is None:
        yield (
            f"allows {service}, which has no service contract with a domain key, and the app did "
            "not declare the statement with domain.allow_service(...) and the AWS page it follows."
        )
        return
    beyond = sorted(expanded - DATA_ACTIONS)
    if beyond:
        yield (
            f"gives {service} {', '.join(beyond)}: not data actions (a service that carries the "
            f"domain's data needs none of them; declared from {declared.get('source')})."
        )
    if (
        not _scoped(conditions)
        and not declared.get("source_keys_unsupported")
        and not unscoped_by_aws(service, declared.get("source"), expanded)
    ):
        yield (
            f"allows {service} without aws:SourceArn or aws:SourceAccount (or an encryption "
            "context), so it may use the key for any account's resources; scope it, or declare "
            "AWS's words that the source keys are not supported for it."
        )

"""Key-policy properties decided over every request by the prover (CDKP102, CDKP103, CDKP104,
CDKP106), not by sample requests.

Each question goes to :mod:`cdk_partition.policy.prover` (z3), over every KMS key action of the
Service Authorization Reference and every request the policy can tell apart (principal, account,
service, each condition key it reads). An answer "allowed" comes with its witness request, which
the prover has already decided again with the concrete evaluator; the finding shows it in words
and names the statements that allow it. A policy the prover cannot encode, a question it does not
answer in its time budget, or a witness the evaluator does not confirm is CDKP105, never a pass.

The questions:

* **CDKP103**: is any principal the policy names nowhere (no ARN, account or service of any
  ``Principal``) allowed any action?
* **CDKP102**: with the account delegating to IAM (the statement of the default key policy, "Allows
  access to the AWS account and enables IAM policies", AWS KMS Developer Guide, "Default key
  policy",
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam,
  which any later statement may add back), is any IAM principal the policy does not name allowed
  any action? Only a ``Deny`` refusing everyone else keeps the answer "no".
* **CDKP104**: is any IAM principal allowed an action outside every capability
  (:mod:`cdk_partition.knowledge.capabilities`), the grant operations for AWS resources
  (``kms:GrantIsForAWSResource`` true) aside?
* **CDKP106**: is an AWS service the policy names allowed an action beyond its service contract
  (or beyond data actions, for a statement the app declared with ``domain.allow_service``), or
  allowed at all without the scoping condition keys its contract rows use, when every row is
  scoped?
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from ..knowledge.capabilities import ALL_CAPABILITY_ACTIONS, KMS_KEY_ACTIONS
from ..knowledge.contracts import INFRASTRUCTURE_ROLE_PATTERN
from ..knowledge.wiring import DELIVERIES
from ..policy import evaluator
from ..policy.canonical import as_text, condition_values, literal_accounts
from ..policy.prover import Prover, Verdict, describe, prover_for
from ..policy.prover_regex import ANY, NOT_COLON_DOLLAR
from ..policy.prover_symbols import _OWNER, Symbols
from .service_statements import (
    DATA_ACTIONS,
    SCOPING_KEYS,
    cites_a_row,
    contract_actions,
    rows_of_service,
    scopable_actions,
    unscoped_by_aws,
)

__all__ = ["DELEGATION_SID", "Proof", "prove_key_policy"]

#: The Sid of the account delegation the CDKP102 question adds to the policy.
DELEGATION_SID = "cdk-partition:account-delegation"
_GRANT_OPERATIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
_MAX_WITNESSES = 6
#: ``aws:PrincipalArn`` patterns a Deny may exempt because AWS documents the principals they
#: stand for (each cited where it is defined): they name a family of AWS's own roles, not
#: "everyone else".
_DOCUMENTED_PATTERNS = (INFRASTRUCTURE_ROLE_PATTERN,)


@dataclass(frozen=True)
class Proof:
    """One finding the prover decided: its rule, message, the statement index it points at
    (``None``: the policy as a whole) and the element of that statement the finding shows
    (``Principal``, ``Action``; ``None``: the statement)."""

    rule: str
    message: str
    index: int | None = None
    element: str | None = None


def prove_key_policy(
    statements: Sequence[Mapping[str, Any]],
    declared: Mapping[str, Mapping[str, Any]],
    accounts: Sequence[str] = (),
    accepted: Sequence[int] = (),
    wired_accounts: Sequence[str] = (),
) -> Iterator[Proof]:
    """The prover's findings for a key policy's ``statements`` (raw: CloudFormation intrinsics
    allowed); ``declared``: Sid -> the app's ``domain.allow_service`` declaration; ``accounts``:
    the key's account when the stack names one (the CDKP102 question lets it, the stack's
    ``${AWS::AccountId}`` and the accounts of the principals the policy names delegate to
    IAM); ``accepted``: the indexes of the door statements the audit accepted in their exact
    shape (``allow_deployment_requests``, ``allow_passed_role``): their principals are not
    asked the CDKP104 question (what else a statement gives them is reported by its shape);
    ``wired_accounts``: other accounts the app wires deliveries from into the key's stores, whose
    resources a service statement may name (the CDKP106 question of another account's scope)."""
    policy = evaluator.prepare({"Version": "2012-10-17", "Statement": list(statements)})
    canonical_statements = list(policy.get("Statement") or [])
    index_of = _indexer(canonical_statements)
    prover = prover_for(policy)
    if prover.problem is not None:
        yield Proof(
            "CDKP105",
            f"statement {prover.problem.statement} cannot be decided over every request "
            f"({prover.problem.part}), so the checks cannot vouch for who the key lets in.",
            index_of(prover.problem.statement),
        )
        return
    undecided: list[tuple[str, Verdict]] = []

    def settle(question: str, verdict: Verdict) -> Verdict | None:
        if verdict.status in ("undecided", "disagree"):
            undecided.append((question, verdict))
            return None
        return verdict if verdict.status == "allowed" else None

    # CDKP103: a principal nobody names
    open_verdict = settle("who the policy names", prover.open_to_unnamed())
    if open_verdict is not None:
        yield Proof(
            "CDKP103",
            f"{_words(open_verdict)}, a principal no Principal element names: {_by(open_verdict)}.",
            index_of(_first(open_verdict)),
            "Principal",
        )

    # CDKP102: everyone else, with the account delegating to IAM
    named = _named_principals(canonical_statements)
    delegated = prover_for(
        {
            "Version": "2012-10-17",
            "Statement": [
                *canonical_statements,
                *[
                    {
                        "Sid": f"{DELEGATION_SID}:{account}",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:${{AWS::Partition}}:iam::{account}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                    for account in _delegating_accounts(named, accounts)
                ],
            ],
        }
    )
    patterns = [
        pattern.replace("${AWS::AccountId}", account)
        for pattern in _DOCUMENTED_PATTERNS
        for account in _delegating_accounts(named, accounts)
    ]
    outsider = settle("everyone else", delegated.outsider_allowed(named, patterns))
    if outsider is not None:
        own = [s for s in outsider.statements if not s.startswith(repr(DELEGATION_SID)[:-1])]
        through = (
            f"{_by(outsider, own)}"
            if own
            else "the account's delegation to IAM (the default key policy's statement, which "
            "any later statement may add) would allow it"
        )
        yield Proof(
            "CDKP102",
            f"no Deny statement refuses everyone else: {_words(outsider)}, a principal the key "
            f"policy does not name; {through}.",
            index_of(own[0]) if own else None,
        )

    # a statement already reported open to everyone is not reported again for what it gives
    # each principal: only findings with another statement responsible follow
    reported = set(open_verdict.statements) if open_verdict is not None else set()

    # CDKP104: actions outside every capability, by any IAM principal
    # CDKP106: services beyond their contract, or unscoped
    doors = [canonical_statements[i] for i in accepted if i < len(canonical_statements)]
    for proof, responsible in [
        *_beyond_capabilities(prover, settle, index_of, _principals(doors)),
        *_service_proofs(
            prover,
            canonical_statements,
            declared,
            settle,
            index_of,
            [*(accounts or _literal_accounts(canonical_statements)), *wired_accounts],
        ),
    ]:
        if not set(responsible) <= reported:
            yield proof

    for question, verdict in undecided:
        where = f" (statements {', '.join(verdict.statements)})" if verdict.statements else ""
        witness = f"; its witness: {verdict.describe()}" if verdict.request else ""
        yield Proof(
            "CDKP105",
            f"the question '{question}' is not decided{where}: {verdict.detail}{witness}; the "
            "checks cannot vouch for the key.",
            index_of(verdict.statements[0]) if verdict.statements else None,
        )


def _principals(statements: Sequence[Any]) -> list[str]:
    """The IAM principal ARNs (canonical) the ``Principal`` elements of ``statements`` name."""
    out: list[str] = []
    for statement in statements:
        principal = statement.get("Principal") if isinstance(statement, Mapping) else None
        values = principal.get("AWS") if isinstance(principal, Mapping) else None
        out += [as_text(v) for v in (values if isinstance(values, list) else [values]) if v]
    return out


def _beyond_capabilities(
    prover: Prover,
    settle: Callable[[str, Verdict], Verdict | None],
    index_of: Any,
    accepted: Sequence[str] = (),
) -> Iterator[tuple[Proof, tuple[str, ...]]]:
    """Per IAM principal (at most :data:`_MAX_WITNESSES`), the actions outside every capability
    it may call: the prover finds a principal, the evaluator lists every such action under the
    witness's own context. ``accepted``: principals of accepted door statements, not asked."""
    seen: list[str] = list(dict.fromkeys(accepted))
    for _ in range(_MAX_WITNESSES):

        def question(s: Symbols, seen: tuple[str, ...] = tuple(seen)) -> z3.BoolRef:
            grant_key = s.keys.get("kms:grantisforawsresource")
            for_resource = (
                z3.And(grant_key.present, grant_key.values[0] == z3.BoolVal(True))
                if grant_key is not None and grant_key.values[0].sort() == z3.BoolSort()
                else z3.BoolVal(False)
            )
            return z3.And(
                z3.Not(s.is_service),
                *[s.principal_arn != z3.StringVal(p) for p in seen],
                *[s.action != z3.StringVal(a) for a in sorted(ALL_CAPABILITY_ACTIONS)],
                z3.Not(
                    z3.And(
                        z3.Or(*[s.action == z3.StringVal(a) for a in _GRANT_OPERATIONS]),
                        for_resource,
                    )
                ),
            )

        verdict = settle("actions outside every capability", prover.ask(question, "beyond"))
        if verdict is None or verdict.request is None:
            return
        request = verdict.request
        seen.append(request.principal_arn or "")
        granting = request.context.get("kms:grantisforawsresource") in ("true", True)
        extra = sorted(
            evaluator.allowed_actions(prover.policy, request, KMS_KEY_ACTIONS)
            - ALL_CAPABILITY_ACTIONS
            - (set(_GRANT_OPERATIONS) if granting else set())
        ) or [request.action]
        yield (
            Proof(
                "CDKP104",
                f"{_words(verdict)} ({len(extra)} action{'s' * (len(extra) > 1)} outside every "
                f"capability: {', '.join(extra)}): {_by(verdict)}.",
                index_of(_first(verdict)),
                "Action",
            ),
            verdict.statements,
        )


def _service_proofs(
    prover: Prover,
    statements: Sequence[Any],
    declared: Mapping[str, Mapping[str, Any]],
    settle: Callable[[str, Verdict], Verdict | None],
    index_of: Any,
    accounts: Sequence[str] = (),
) -> Iterator[tuple[Proof, tuple[str, ...]]]:
    services: dict[str, bool] = {}  # service -> declared by the app
    orgs = condition_values(list(statements), "aws:sourceorgid") | condition_values(
        list(statements), "aws:sourceorgpaths"
    )
    for statement in statements:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        values = principal.get("Service") if isinstance(principal, Mapping) else None
        for value in map(as_text, values if isinstance(values, list) else [values] * bool(values)):
            mark = declared.get(str(statement.get("Sid")))
            services[value] = services.get(value, False) or (
                mark is not None and mark.get("service") == value
            )
    for service, is_declared in sorted(services.items()):
        marks = [m for m in declared.values() if m.get("service") == service] if is_declared else []
        everything = rows_of_service(service, everything=True)
        cited = [r for r in everything if any(cites_a_row(m.get("source"), [r]) for m in marks)]
        other_pages = any(not cites_a_row(m.get("source"), everything) for m in marks)
        rows = list({id(r): r for r in [*rows_of_service(service), *cited]}.values())
        if rows and not other_pages:
            allowed = contract_actions(rows)
            scoped_keys = {k.lower() for r in rows for k in r.context}
            must_scope_actions = scopable_actions(rows)
            must_scope = bool(must_scope_actions)
            whose = f"its contract ({rows[0].source})"
        elif is_declared:
            allowed = set(DATA_ACTIONS) | contract_actions(rows)
            scoped_keys = set()
            cited_unscoped = [m for m in marks if unscoped_by_aws(service, m.get("source"))]
            must_scope = (
                not any(m.get("source_keys_unsupported") for m in marks) and not cited_unscoped
            )
            if cited_unscoped and len(cited_unscoped) == len(marks):
                # AWS's statement as it prints it: its actions only
                allowed = {a for r in DELIVERIES for a in r.actions if r.service == service
                           and not r.scoped and any(r.page == m.get("source") for m in marks)}  # fmt: skip
            must_scope_actions = set(KMS_KEY_ACTIONS)
            whose = "data actions (declared with domain.allow_service)"
        else:
            continue  # an undeclared service without a contract: the statement pass says so
        lowered = service.lower()

        def beyond(s: Symbols, allowed: set[str] = allowed, lowered: str = lowered) -> z3.BoolRef:
            return z3.And(
                s.is_service,
                s.service == z3.StringVal(lowered),
                *[s.action != z3.StringVal(a) for a in sorted(allowed)],
            )

        verdict = settle(f"what {service} may do", prover.ask(beyond, "service actions"))
        if verdict is not None:
            yield (
                Proof(
                    "CDKP106",
                    f"{_words(verdict)}, beyond {whose}: {_by(verdict)}.",
                    index_of(_first(verdict)),
                    verdict.request.action if verdict.request else None,
                ),
                verdict.statements,
            )
        if not must_scope:
            continue

        def unscoped(
            s: Symbols,
            lowered: str = lowered,
            keys: set[str] = scoped_keys,
            actions: set[str] = must_scope_actions,
        ) -> z3.BoolRef:
            absent = [
                z3.Not(k.present)
                for name, k in s.keys.items()
                if name in SCOPING_KEYS or name in keys or name.startswith("kms:encryptioncontext:")
            ]
            asked = z3.Or(*[s.action == z3.StringVal(a) for a in sorted(actions)])
            return z3.And(s.is_service, s.service == z3.StringVal(lowered), asked, *absent)

        verdict = settle(f"whether {service} is scoped", prover.ask(unscoped, "service scope"))
        if verdict is not None:
            yield (
                Proof(
                    "CDKP106",
                    f"{_words(verdict)} with no aws:SourceArn, aws:SourceAccount or encryption "
                    f"context in the request, although AWS supports scoping it: {_by(verdict)}.",
                    index_of(_first(verdict)),
                    service,
                ),
                verdict.statements,
            )
            continue

        if not _scope_needs_proof(statements, lowered):
            continue  # positive literal scopes only: the statement check reads them exactly

        def foreign(
            s: Symbols,
            lowered: str = lowered,
            actions: set[str] = must_scope_actions,
        ) -> z3.BoolRef:
            return z3.And(
                s.is_service,
                s.service == z3.StringVal(lowered),
                z3.Or(*[s.action == z3.StringVal(a) for a in sorted(actions)]),
                *_for_another_account(s, [*accounts, "${AWS::AccountId}"], orgs),
            )

        verdict = settle(f"whether {service} is scoped to this account",
                         prover.ask(foreign, "service scope"))  # fmt: skip
        if verdict is not None:
            yield (
                Proof(
                    "CDKP106",
                    f"{_words(verdict)}: its scope names another account's resources (a negated "
                    "operator, a wildcard or a policy variable lets them through), so it can be "
                    f"used on their behalf (the confused deputy): {_by(verdict)}.",
                    index_of(_first(verdict)),
                    service,
                ),
                verdict.statements,
            )


_PSEUDO = {"${AWS::Partition}": "P", "${AWS::Region}": "R", "${AWS::AccountId}": "A"}
_TRICKY = ("not", "null", "ifexists", "forallvalues", "foranyvalue")


def _scope_needs_proof(statements: Sequence[Any], service: str) -> bool:
    """Whether an Allow for ``service`` scopes it in a way only the prover can read: a negated
    operator, ``Null``, ``...IfExists``, a set operator, a policy variable, or a wildcard in a
    scoping value before an ARN's resource field. Positive operators on literal values are read
    exactly by the statement check (:func:`~.service_statements.foreign_scopes`), and asking the
    solver about every domain's scoped statements costs seconds on two cores."""
    for statement in statements:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        named = principal.get("Service") if isinstance(principal, Mapping) else None
        if service not in [str(v).lower() for v in (named if isinstance(named, list) else [named])]:
            continue
        condition = statement.get("Condition")
        for operator, block in condition.items() if isinstance(condition, Mapping) else ():
            if any(t in str(operator).lower() for t in _TRICKY):
                return True
            for key, values in block.items() if isinstance(block, Mapping) else ():
                name = str(key).lower()
                if name not in SCOPING_KEYS and not name.startswith("kms:encryptioncontext:"):
                    continue
                for value in values if isinstance(values, list) else [values]:
                    text = str(value)
                    for pseudo, plain in _PSEUDO.items():
                        text = text.replace(pseudo, plain)
                    if "${" in text:
                        return True
                    fields = text.split(":", 5) if text.startswith("arn:") else [text]
                    if any("*" in f or "?" in f for f in fields[:5]):
                        return True
    return False


def _literal_accounts(statements: Sequence[Any]) -> list[str]:
    """The 12-digit account ids ``statements`` write: with the key's account unknown (an
    environment-agnostic stack), any of them may be its own, so only a scope admitting an
    account the policy never writes (a negated operator, a wildcard, a variable) is another's."""
    return sorted(literal_accounts(list(statements)))


#: An AWS account id: twelve digits (a witness with another shape is no real request).
_ACCOUNT_ID = z3.Loop(z3.Range("0", "9"), 12, 12)


def _another_accounts_arn(owns: Sequence[str]) -> z3.ReRef:
    """ARNs whose account field (the fifth) is not empty (an S3 bucket's ARN holds none) and is
    none of ``owns`` (the key's account is also written ``${AWS::AccountId}``, which holds colons
    and so is never such a field; the partition and the region may be written as their
    placeholders too): one regular expression, which the solver decides faster than a search of
    the text."""
    field = _ACCOUNT_ID
    for own in owns:
        field = z3.Intersect(field, z3.Complement(z3.Re(own)))
    plain = z3.Star(NOT_COLON_DOLLAR)  # a placeholder's own colons never end a field
    return z3.Concat(
        z3.Re("arn:"), z3.Union(plain, z3.Re("${AWS::Partition}")), z3.Re(":"),
        plain, z3.Re(":"), z3.Union(plain, z3.Re("${AWS::Region}")), z3.Re(":"),
        field, z3.Re(":"), z3.Star(ANY),
    )  # fmt: skip


def _for_another_account(s: Symbols, owns: Sequence[str], orgs: set[str]) -> list[z3.BoolRef]:
    """A request for a resource of another account: at least one scoping key present, and each
    one present naming no resource of this account (``owns``: its account id and its
    placeholder). ``aws:SourceAccount`` another id; ``aws:SourceArn`` and an encryption-context
    key holding an ARN (its name ends in ``arn``) without ``:<own account>:`` (an S3 bucket's ARN,
    which holds no account, never counts as another's); ``aws:SourceOrgID`` none of the values
    the policy writes for it. Any other encryption-context key (a name, an id) cannot tell whose
    the resource is: absent. "Use the aws:SourceArn and aws:SourceAccount global condition
    context keys in resource policies to limit the permissions that the service gives another
    service to the resource" (IAM User Guide, "The confused deputy problem",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)."""
    present: list[z3.BoolRef] = []
    parts: list[z3.BoolRef] = []
    for name, key in s.keys.items():
        value = key.values[0] if key.values else None
        if value is None or not z3.is_string(value):
            continue
        if name == "aws:sourceaccount":
            other = z3.And(z3.InRe(value, _ACCOUNT_ID), *[value != z3.StringVal(o) for o in owns])
        elif name == "aws:sourcearn" or (
            name.startswith("kms:encryptioncontext:") and name.endswith("arn")
        ):
            other = z3.InRe(value, _another_accounts_arn(owns))
        elif name == "aws:sourceorgid":
            other = z3.And(*[value != z3.StringVal(o) for o in sorted(orgs)])
        elif name == "aws:resourceaccount":
            # the resource is the key, in its own account
            parts.append(z3.Implies(key.present, z3.Or(*[value == z3.StringVal(o) for o in owns])))
            continue
        elif name == "aws:sourceorgpaths":
            # another organization's path: none of the literal ones the policy writes
            paths = [value != z3.StringVal(o) for o in sorted(orgs) if "/" in o]
            other = z3.And(*paths) if paths else z3.BoolVal(True)
        elif name.startswith("kms:encryptioncontext:"):
            parts.append(z3.Not(key.present))
            continue
        else:
            continue
        present.append(key.present)
        parts.append(z3.Implies(key.present, other))
    return [z3.Or(*present) if present else z3.BoolVal(False), *parts]


def _named_principals(statements: Sequence[Any]) -> list[str]:
    """ARNs the policy names: ``Principal`` values of its Allow statements and the literal
    ``aws:PrincipalArn`` values its Deny statements exempt."""
    named: set[str] = set()
    for statement in statements:
        if not isinstance(statement, Mapping):
            continue
        principal = statement.get("Principal")
        if statement.get("Effect") == "Allow" and isinstance(principal, Mapping):
            values = principal.get("AWS", [])
            named |= {as_text(v) for v in (values if isinstance(values, list) else [values])}
        condition = statement.get("Condition")
        if statement.get("Effect") == "Deny" and isinstance(condition, Mapping):
            for block in condition.values():
                for key, wanted in block.items() if isinstance(block, Mapping) else ():
                    if str(key).lower() == "aws:principalarn":
                        values = wanted if isinstance(wanted, list) else [wanted]
                        named |= {as_text(v) for v in values if "*" not in as_text(v)}
    named.discard("*")
    return sorted(named)


def _delegating_accounts(named: Sequence[str], accounts: Sequence[str]) -> list[str]:
    """The accounts whose delegation to IAM the CDKP102 question assumes."""
    out = {"${AWS::AccountId}", *accounts}
    for arn in named:
        owner = _OWNER.match(arn)
        if owner:
            out.add(owner.group(1))
    return sorted(out)


def _indexer(statements: Sequence[Any]) -> Callable[[str | None], int | None]:
    names: dict[str, int] = {}
    for index, statement in enumerate(statements):
        sid = statement.get("Sid") if isinstance(statement, Mapping) else None
        names[repr(sid) if isinstance(sid, str) and sid else f"#{index}"] = index

    def index_of(name: str | None) -> int | None:
        return names.get(name) if name is not None else None

    return index_of


def _first(verdict: Verdict) -> str | None:
    return verdict.statements[0] if verdict.statements else None


def _words(verdict: Verdict) -> str:
    return describe(verdict.request) if verdict.request else "a request"


def _by(verdict: Verdict, statements: Sequence[str] | None = None) -> str:
    names = list(verdict.statements if statements is None else statements)
    if not names:
        return "no Allow statement is named"
    return f"statement{'s' if len(names) > 1 else ''} {', '.join(names)} allow{'' if len(names) > 1 else 's'} it"

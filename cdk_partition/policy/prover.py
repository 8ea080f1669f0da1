"""Questions over every request, answered by an SMT solver (z3) and checked by the evaluator.

:func:`prover_for` encodes a key policy once (:mod:`.prover_encoding`) per canonical policy (the
same document gives the same answers, from a cache); each question is asked of a fresh z3 solver
holding the encoding (z3's incremental core, after ``push``, skips the preprocessing that
decides these string formulas fast):

* :meth:`Prover.outsider_allowed`: is any request by an IAM principal outside a named set of
  principal ARNs allowed any KMS key action (the domain's "deny everyone else", CDKP102)?
* :meth:`Prover.open_to_unnamed`: is any request allowed to a principal the policy does not
  name at all -- no ARN, account or service of any ``Principal`` element (CDKP103)?
* :meth:`Prover.capabilities`: which KMS key actions may one principal perform, each
  ``unconditional`` or under conditions (a witness request shows which)?
* :meth:`Prover.ask`: any other question, as a z3 formula over the request's symbols.

Every :class:`Verdict` ``allowed`` carries a concrete :class:`~.evaluator.Request` (the
counterexample), and that request is decided again by the concrete evaluator before the verdict
is returned: when the evaluator does not allow it, the verdict is ``disagree`` (the callers turn
it into a CDKP105 finding; it is never trusted). A policy the prover cannot encode, or a question
the solver does not answer within the time budget (:data:`TIMEOUT_MS` per kind of principal), is
``undecided`` with the reason and the statement concerned: never a pass.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import z3

from ..knowledge.capabilities import KMS_KEY_ACTIONS
from .canonical import as_text
from .evaluator import CanonicalPolicy, Request, evaluate, prepare
from .prover_encoding import Encoding, NotEncodable, Symbols, encode
from .prover_symbols import cases

__all__ = ["TIMEOUT_MS", "Prover", "Verdict", "prover_for", "solver_seconds", "unrefused"]

#: The solver's time budget per kind of principal, in milliseconds; a question not answered in
#: time is ``undecided``.
TIMEOUT_MS = 20000

#: The budget of a question asked whole (milliseconds); past it, the question is asked again one
#: kind of principal at a time, each case with :data:`TIMEOUT_MS`.
FIRST_MS = 1000

Status = Literal["allowed", "denied", "undecided", "disagree"]

_SOLVER_SECONDS = [0.0]


def solver_seconds() -> float:
    """Seconds spent in z3 (encoding and checks) since the process started."""
    return _SOLVER_SECONDS[0]


@dataclass(frozen=True)
class Verdict:
    """One answer. ``request``: the witness of ``allowed`` / ``disagree``; ``statements``: the
    Allow statements that allow it (Sid or ``#index``), or the statement that could not be
    encoded; ``detail``: why ``undecided`` / ``disagree``."""

    status: Status
    request: Request | None = None
    statements: tuple[str, ...] = ()
    detail: str = ""

    def describe(self) -> str:
        """The witness in words: who, which action, which context."""
        return describe(self.request) if self.request else ""


def describe(request: Request) -> str:
    """A request in words, e.g. "an AWS service principal (x.amazonaws.com) may call
    kms:Decrypt with aws:SourceAccount = '1'"."""
    if request.service:
        who = f"an AWS service principal ({request.service}) of any account"
    else:
        who = f"the principal {request.principal_arn} (account {request.account})"
        if request.identity_allows:
            who += " whose own IAM policy allows it"
    context = {k: v for k, v in request.context.items() if k.lower() != "kms:calleraccount"}
    when = (
        " when " + ", ".join(f"{k} = {v!r}" for k, v in sorted(context.items())) if context else ""
    )
    return f"{who} may call {request.action}{when}"


@dataclass
class Prover:
    """A policy encoded once, and the answers given so far (see the module docstring)."""

    policy: CanonicalPolicy
    encoding: Encoding | None
    problem: NotEncodable | None
    cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def symbols(self) -> Symbols:
        assert self.encoding is not None
        return self.encoding.symbols

    def _undecided(self) -> Verdict:
        assert self.problem is not None
        return Verdict("undecided", None, (self.problem.statement,), self.problem.part)

    def ask(self, question: Callable[[Symbols], z3.BoolRef], label: str = "") -> Verdict:
        """Is some well-formed request that satisfies ``question`` allowed?"""
        if self.encoding is None:
            return self._undecided()
        started = time.perf_counter()
        # a fresh solver per question, not push/pop on one: after a push z3 answers with its
        # incremental core, without the preprocessing that decides these string formulas fast
        # (on the violating golden, one question took 0.1-0.9 s incremental, 0.01 s fresh)
        facts = (self.encoding.well_formed, self.encoding.allowed, _resolved(self.encoding))
        asked = question(self.encoding.symbols)
        solver = _solver(*facts, asked, timeout=FIRST_MS)
        result = solver.check()
        if result == z3.unknown:
            # the whole question ran long: one kind of principal at a time, each with the full
            # budget (a CDKP102 question took 5-10 s whole, under 1 s by kind)
            result, solver = _by_case(facts, asked, self.encoding.symbols)
        model = solver.model() if result == z3.sat else None
        reason = solver.reason_unknown() if result == z3.unknown else ""
        _SOLVER_SECONDS[0] += time.perf_counter() - started
        if result == z3.unsat:
            unresolved = _unresolved(
                self.encoding,
                _solver(self.encoding.well_formed, self.encoding.allowed),
                question(self.encoding.symbols),
            )
            return unresolved or Verdict("denied")
        if model is None:
            return Verdict(
                "undecided",
                None,
                tuple(self.encoding.names),
                f"the solver gave no answer ({reason}; budget {TIMEOUT_MS} ms, "
                f"{label or 'question'})",
            )
        request = self.encoding.request(model)
        responsible = tuple(
            name
            for name, effect, term in zip(
                self.encoding.names, self.encoding.effects, self.encoding.applies, strict=True
            )
            if effect == "Allow" and z3.is_true(model.eval(term, model_completion=True))
        )
        decision: str
        try:
            decision = evaluate(self.policy, request)
        except ValueError as error:
            decision = f"undecidable ({error})"
        if decision != "allow":
            return Verdict(
                "disagree",
                request,
                responsible,
                f"the prover allows it, the evaluator says {decision}",
            )
        return Verdict("allowed", request, responsible)

    def outsider_allowed(self, named: Iterable[str], patterns: Iterable[str] = ()) -> Verdict:
        """An IAM principal whose ARN is none of ``named`` and matches none of the ``*`` / ``?``
        ``patterns`` allowed some KMS key action?"""
        names = [as_text(n) for n in named]
        globs = [as_text(p) for p in patterns]

        def question(s: Symbols) -> z3.BoolRef:
            return z3.And(
                z3.Not(s.is_service),
                *[s.principal_arn != z3.StringVal(n) for n in names],
                *[z3.Not(s.principal_arn_like(p)) for p in globs],
            )

        return self._cached(("outsider", tuple(sorted(names)), tuple(sorted(globs))), question)

    def open_to_unnamed(self) -> Verdict:
        """A principal the policy names nowhere (no ARN, account or service) allowed?"""
        arns, accounts, services = _named(self.policy)

        def question(s: Symbols) -> z3.BoolRef:
            # sorted: the solver's time depends on the order of the constraints, and a set's
            # order on the process's hash seed (one seed in six took 10x longer)
            return z3.And(
                *[s.principal_arn != z3.StringVal(a) for a in sorted(arns)],
                *[s.account != z3.StringVal(a) for a in sorted(accounts)],
                *[s.service != z3.StringVal(v.lower()) for v in sorted(services)],
            )

        def caller(s: Symbols) -> z3.BoolRef:
            return z3.And(question(s), z3.Not(s.is_service))

        def readable(s: Symbols) -> z3.BoolRef:
            # a service principal's witness that reads like one, when there is one
            suffix = z3.SuffixOf(z3.StringVal(".amazonaws.com"), s.service)
            return z3.And(question(s), s.is_service, suffix)

        def service(s: Symbols) -> z3.BoolRef:
            return z3.And(question(s), s.is_service)

        # one question per kind of principal, not their disjunction: z3 decides each in well
        # under a second on the violating golden, the disjunction in 0.4-24 s (by random seed)
        verdicts = []
        for label, part in (("caller", caller), ("readable", readable), ("service", service)):
            verdict = self._cached(("unnamed", label), part)
            if verdict.status == "allowed":
                return verdict
            verdicts.append(verdict)
        undecided = [v for v in verdicts if v.status != "denied"]
        # the readable service principals are among the service principals: when the wider
        # question is denied, an undecided narrower one is too
        if verdicts[2].status == "denied":
            undecided = [v for v in undecided if v is not verdicts[1]]
        return undecided[0] if undecided else verdicts[-1]

    def principal_may(self, principal_arn: str, account: str, action: str) -> Verdict:
        """May the IAM principal ``principal_arn`` of ``account`` (its own IAM policy allowing
        it) call ``action`` in some request, whatever the other context keys (``kms:ViaService``,
        encryption context...)? ``denied``: in none."""
        template = Request(action, principal_arn, account, identity_allows=True)
        return self._cached(("principal", principal_arn, account, action),
                            _fixed_principal(template, action))  # fmt: skip

    def service_may(
        self, service: str, action: str, context: Mapping[str, str] | None = None
    ) -> Verdict:
        """May the AWS service principal ``service`` call ``action`` in some request, whatever
        the context keys (``aws:SourceArn``, encryption context...)? ``denied``: in none.
        ``context``: single-valued string keys the request carries with these values (the
        source's ``aws:SourceAccount``; a value ending in ``*`` is a prefix the value starts
        with, the source's ARN); the other keys stay free."""
        template = Request(action, service=service)
        fixed = _fixed_principal(template, action)
        pinned = {k.lower(): v for k, v in (context or {}).items()}

        def question(s: Symbols) -> z3.BoolRef:
            parts = [fixed(s)]
            for name, value in sorted(pinned.items()):
                key = s.keys.get(name)
                if key is not None and key.values and key.values[0].sort() == z3.StringSort():
                    parts.append(key.present)
                    if value.endswith("*"):
                        parts.append(z3.PrefixOf(z3.StringVal(value[:-1]), key.values[0]))
                    else:
                        parts.append(key.values[0] == z3.StringVal(value))
            return z3.And(*parts)

        mark = ("service", service, action, tuple(sorted(pinned.items())))
        return self._cached(mark, question)

    def capabilities(self, template: Request) -> dict[str, tuple[Verdict, bool]]:
        """For ``template``'s principal, each KMS key action it may perform: the witness and
        whether it is unconditional (allowed whatever the other context keys say)."""
        out: dict[str, tuple[Verdict, bool]] = {}
        for action in KMS_KEY_ACTIONS:
            fixed = _fixed_principal(template, action)
            verdict = self.ask(fixed, f"capability {action}")
            if verdict.status == "denied":
                continue
            unconditional = False
            if verdict.status == "allowed":
                unconditional = self._always(fixed)
            out[action] = (verdict, unconditional)
        return out

    def _always(self, fixed: Callable[[Symbols], z3.BoolRef]) -> bool:
        assert self.encoding is not None
        started = time.perf_counter()
        solver = _solver(self.encoding.well_formed, fixed(self.encoding.symbols))
        solver.add(z3.Not(self.encoding.allowed))
        result = solver.check()
        _SOLVER_SECONDS[0] += time.perf_counter() - started
        return result == z3.unsat

    def _cached(self, key: Any, question: Callable[[Symbols], z3.BoolRef]) -> Verdict:
        if key not in self.cache:
            self.cache[key] = self.ask(question, str(key[0]))
        verdict: Verdict = self.cache[key]
        return verdict


def _fixed_principal(template: Request, action: str) -> Callable[[Symbols], z3.BoolRef]:
    """The question "``template``'s principal (service, or IAM principal and account) calls
    ``action``, its own IAM policy allowing it or not as ``template`` says", the other context
    keys free: what :meth:`Prover.capabilities` and :meth:`Prover.principal_may` ask."""

    def fixed(s: Symbols) -> z3.BoolRef:
        parts = [s.action == z3.StringVal(action)]
        parts.append(s.identity_allows == z3.BoolVal(template.identity_allows))
        if template.service:
            parts += [s.is_service, s.service == z3.StringVal(template.service.lower())]
        else:
            parts.append(z3.Not(s.is_service))
            parts.append(s.principal_arn == z3.StringVal(template.principal_arn or ""))
            if template.account:
                parts.append(s.account == z3.StringVal(template.account))
        return z3.And(*parts)

    return fixed


def _named(policy: Mapping[str, Any]) -> tuple[set[str], set[str], set[str]]:
    """ARNs, accounts and services any Principal / NotPrincipal element names."""
    arns: set[str] = set()
    accounts: set[str] = set()
    services: set[str] = set()
    from .prover_encoding import _ROOT_ARN

    for statement in policy.get("Statement", []) or []:
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element) if isinstance(statement, Mapping) else None
            if not isinstance(principal, Mapping):
                continue
            for kind, values in principal.items():
                for value in map(as_text, values if isinstance(values, list) else [values]):
                    if value == "*":
                        continue
                    if kind == "Service":
                        services.add(value)
                        continue
                    root = _ROOT_ARN.match(value)
                    if root:
                        accounts.add(root.group(1))
                    elif kind == "AWS" and not value.startswith("arn:"):
                        accounts.add(value)  # an account id, or a placeholder: either
                        if "${" in value:
                            arns.add(value)
                    else:
                        arns.add(value)
    return arns, accounts, services


@lru_cache(maxsize=256)
def _prover_for_text(text: str) -> Prover:
    policy = prepare(json.loads(text))
    started = time.perf_counter()
    try:
        encoding = encode(policy)
    except NotEncodable as problem:
        _SOLVER_SECONDS[0] += time.perf_counter() - started
        return Prover(policy, None, problem)
    _SOLVER_SECONDS[0] += time.perf_counter() - started
    return Prover(policy, encoding, None)


def resource_prover(
    policy: Mapping[str, Any], actions: tuple[str, ...], keys: tuple[str, ...] = ()
) -> Prover:
    """A :class:`Prover` of a resource policy (a role's trust policy) whose statements all cover
    the resource in question, over ``actions``; ``keys``: condition keys a question reads
    although the policy may not. Not cached."""
    canonical = prepare(policy)
    started = time.perf_counter()
    try:
        encoding = encode(canonical, actions=actions, extra_keys=keys, key_policy=False)
    except NotEncodable as problem:
        return Prover(canonical, None, problem)
    finally:
        _SOLVER_SECONDS[0] += time.perf_counter() - started
    return Prover(canonical, encoding, None)


def prover_for(policy: Mapping[str, Any]) -> Prover:
    """The :class:`Prover` of ``policy`` (raw or canonical), from a cache keyed by the canonical
    document: the same policy is encoded once per process."""
    canonical = prepare(policy)
    return _prover_for_text(json.dumps(canonical, sort_keys=True, default=str))


def unrefused(
    policy: Mapping[str, Any],
    question: Callable[[Symbols], z3.BoolRef],
    *,
    actions: tuple[str, ...],
    keys: tuple[str, ...],
    label: str = "",
) -> Verdict:
    """Is some request among ``actions`` that satisfies ``question`` refused by no ``Deny`` of
    ``policy`` (a resource policy whose statements already cover the resource in question; the
    caller's own IAM policy is assumed to allow the request)? ``keys``: condition keys the
    question reads (free when the policy does not). The witness is decided again by the
    evaluator: ``disagree`` when the evaluator denies it."""
    canonical = prepare(policy)
    started = time.perf_counter()
    try:
        encoding = encode(canonical, actions=actions, extra_keys=keys, key_policy=False)
    except NotEncodable as problem:
        _SOLVER_SECONDS[0] += time.perf_counter() - started
        return Verdict("undecided", None, (problem.statement,), problem.part)
    asked = question(encoding.symbols)
    solver = _solver(encoding.well_formed, z3.Not(encoding.denied), asked, _resolved(encoding))
    result = solver.check()
    model = solver.model() if result == z3.sat else None
    if result == z3.unsat:
        unresolved = _unresolved(
            encoding, _solver(encoding.well_formed, z3.Not(encoding.denied)), asked
        )
        _SOLVER_SECONDS[0] += time.perf_counter() - started
        return unresolved or Verdict("denied")
    _SOLVER_SECONDS[0] += time.perf_counter() - started
    if model is None:
        return Verdict(
            "undecided", None, tuple(encoding.names), f"no answer within {TIMEOUT_MS} ms ({label})"
        )
    request = encoding.request(model)
    request = Request(
        request.action,
        request.principal_arn,
        request.account,
        request.service,
        {k: v for k, v in request.context.items() if k != "kms:calleraccount"},
        identity_allows=True,
    )
    decision: str
    try:
        decision = evaluate(canonical, request)
    except ValueError as error:
        decision = f"undecidable ({error})"
    if decision == "explicit_deny" or decision.startswith("undecidable"):
        return Verdict(
            "disagree", request, (), f"the prover finds it unrefused, the evaluator: {decision}"
        )
    return Verdict("allowed", request)


def _solver(*facts: z3.BoolRef, timeout: int = TIMEOUT_MS) -> z3.Solver:
    """A fresh solver holding ``facts``, with the time budget (milliseconds)."""
    solver = z3.Solver()
    solver.set("timeout", timeout)
    solver.add(*facts)
    return solver


def _by_case(
    facts: tuple[z3.BoolRef, ...], asked: z3.BoolRef, s: Symbols
) -> tuple[z3.CheckSatResult, z3.Solver]:
    """``asked`` decided one kind of principal at a time (:func:`cases`: disjoint, together every
    request): sat at the first case that is, unsat when every case is, else unknown (the first
    case the solver did not answer)."""
    unknown: z3.Solver | None = None
    last: z3.Solver | None = None
    for case in cases(s):
        last = _solver(*facts, asked, case)
        result = last.check()
        if result == z3.sat:
            return result, last
        if result == z3.unknown and unknown is None:
            unknown = last
    if unknown is not None:
        return z3.unknown, unknown
    assert last is not None
    return z3.unsat, last


def _resolved(encoding: Encoding) -> z3.BoolRef:
    """Every policy variable of the policy has its value in the request."""
    return z3.And(*[z3.Not(absent) for _, absent in encoding.unresolved])


def _unresolved(encoding: Encoding, solver: z3.Solver, asked: z3.BoolRef) -> Verdict | None:
    """``undecided`` when a request the question asks about may leave a policy variable of the
    policy without a value (IAM policy elements: Variables and tags,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html: "If AWS
    cannot resolve a variable this might cause the entire statement to be invalid"); else None.
    Asked only once the requests where every variable has its value gave no witness."""
    if not encoding.unresolved:
        return None
    solver.add(asked, z3.Or(*[absent for _, absent in encoding.unresolved]))
    result = solver.check()
    if result == z3.unsat:
        return None
    names = ", ".join(sorted({f"${{{v}}}" for v, _ in encoding.unresolved}))
    return Verdict(
        "undecided",
        None,
        tuple(encoding.names),
        f"a request may leave the IAM policy variable {names} without a value, and AWS says "
        "only that this 'might cause the entire statement to be invalid'",
    )

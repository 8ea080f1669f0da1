"""Counterexamples checked twice (issue #18 item 2): every witness of the symbolic prover
(:mod:`cdk_partition.policy.prover`) decided again by the public IAM simulator.

The prover already re-decides each ``allowed`` witness with our own evaluator (a difference is a
``disagree`` verdict, which fails here too); this module also puts each witness to
``@cloud-copilot/iam-simulate``, through the machinery of ``tests/test_oracle_iam_simulate.py``
(its :func:`~test_oracle_iam_simulate.run_oracle`, one Node process for the whole module, its
callers, its substitutions of CloudFormation placeholders and its documented differences,
:data:`~test_oracle_iam_simulate.KNOWN_DISAGREEMENTS` with ``emulate`` and
:data:`~test_oracle_iam_simulate.EXCLUDED`). A witness the simulator does not allow, with no entry
explaining it, fails the test: that is how a bug of the encoding shows.

The key policies: the examples of issue #18, the sample app's domain key policies (concrete, as
the oracle module makes them) and hypothesis-generated policies (derandomized; the oracle
module's broad and focused generators and the property test's generator of
``tests/test_prover.py``). For each, the prover is asked :meth:`~.Prover.outsider_allowed` (the
named principals), :meth:`~.Prover.open_to_unnamed` and :meth:`~.Prover.capabilities` of one
named principal.

Witnesses AWS could send. The prover's request space is larger than AWS's: any partition,
account and principal name (``arn:\\x00:iam::\\x00:B``), any service name (``\\x00``), any text
in a context value. The simulator takes only principals of AWS's shapes, so each policy is asked
twice: by its prover (:func:`~cdk_partition.policy.prover.prover_for`), whose verdicts must not
be ``disagree`` or ``undecided``, and by a prover on the same encoding whose solver also requires
a request AWS could send (:func:`as_aws_sends`: a role, user or account root of a 12-digit
account in partition ``aws``, or a service ``*.amazonaws.com``; printable ASCII context text).
Both must give the same status (allowed or denied) for every question, and each ``allowed``
witness of the second goes to the simulator. A caller of another account than the key's with no
identity policy is refused by AWS whatever the key policy says (the oracle module's
``cross_account_without_identity_policy``); such a witness is also sent with its own account's
IAM policy allowing the action, and that variant must be allowed outright.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import z3
from hypothesis import strategies as st
from test_oracle_iam_simulate import (
    ACCOUNT,
    KNOWN_DISAGREEMENTS,
    Case,
    _allow,
    _collect,
    _policy,
    as_decided,
    broad_examples,
    caller_for_arn,
    check_oracle_installed,
    decide_ours,
    domain_key_policies,
    focused_examples,
    notprincipal_is_unverifiable,
    run_oracle,
    service,
    simulator_decision,
)
from test_prover import _statements

from cdk_partition.policy.evaluator import Request
from cdk_partition.policy.prover import Prover, Verdict, prover_for
from cdk_partition.policy.prover_encoding import Symbols

pytestmark = pytest.mark.slow

ADMIN = f"arn:aws:iam::{ACCOUNT}:role/admin"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"

#: Hypothesis examples per generator (derandomized): the oracle module's broad and focused
#: generators, and the property test's of tests/test_prover.py.
BROAD, FOCUSED, PROPERTY = 6, 6, 6


# ----------------------------------------------------------------------------- the policies


@dataclass(frozen=True)
class Subject:
    """One key policy, the principals it names and the principal whose capabilities are asked."""

    label: str
    policy: Mapping[str, Any]
    named: tuple[str, ...]
    template: Request
    capabilities: bool = True  # ask every KMS key action (47 questions, seconds per policy)


def _deny(sid: str, condition: Mapping[str, Any], action: Any = "kms:*") -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": "*",
        "Condition": condition,
    }


DENY_EVERYONE_ELSE = _deny("DenyEveryoneElse", {"ArnNotEquals": {"aws:PrincipalArn": [ADMIN]}})
PERIMETER = _deny("Perimeter", {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}})
SERVICES = _allow(
    "*",
    ["kms:Decrypt", "kms:GenerateDataKey"],
    Sid="Services",
    Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}},
)
ABSENT_SET_KEY = {"ForAllValues:StringEquals": {"aws:TagKeys": ["x"]}}

#: The examples of issue #18, each a key policy.
ISSUE_EXAMPLES: dict[str, dict[str, Any]] = {
    "star with PrincipalIsAWSService": _policy(_allow({"AWS": ADMIN}, "kms:*"), SERVICES),
    "ForAllValues on an absent key": _policy(
        _allow({"AWS": ADMIN}, "kms:*"),
        _allow("*", ["kms:Decrypt", "kms:GenerateDataKey"], Sid="Open", Condition=ABSENT_SET_KEY),
    ),
    "ForAllValues on an absent key, deny everyone else": _policy(
        _allow({"AWS": ADMIN}, "kms:*"),
        _allow("*", Condition=ABSENT_SET_KEY),
        DENY_EVERYONE_ELSE,
    ),
    "admin under PrincipalTag": _policy(
        _allow(
            {"AWS": ADMIN},
            "kms:Decrypt",
            Condition={"StringEquals": {"aws:PrincipalTag/team": "orders"}},
        ),
        _allow({"AWS": ADMIN}, "kms:DescribeKey"),
    ),
    "perimeter and deny everyone else": _policy(
        _allow({"AWS": ROOT}, "kms:*"),
        _allow({"AWS": ADMIN}, "kms:*"),
        PERIMETER,
        DENY_EVERYONE_ELSE,
    ),
    "perimeter and a deny narrowed to a few actions": _policy(
        _allow({"AWS": ROOT}, "kms:*"),
        _allow({"AWS": ADMIN}, "kms:*"),
        PERIMETER,
        {**DENY_EVERYONE_ELSE, "Action": ["kms:Decrypt", "kms:Encrypt"]},
    ),
}


def _aws_principals(policy: Mapping[str, Any]) -> list[str]:
    """Role and user ARNs (not roots, not accounts) of the policy's Principal elements."""
    found = []
    for statement in policy["Statement"]:
        principal = statement.get("Principal") or statement.get("NotPrincipal")
        if not isinstance(principal, Mapping):
            continue
        values = principal.get("AWS", [])
        for value in values if isinstance(values, list) else [values]:
            if re.fullmatch(r"arn:aws:iam::\d{12}:(role|user)/.+", value):
                found.append(value)
    return sorted(set(found))


def _subject(
    label: str,
    policy: Mapping[str, Any],
    template: Request | None = None,
    capabilities: bool = True,
) -> Subject:
    named = tuple(_aws_principals(policy))
    if template is None:
        arn = named[0] if named else ADMIN
        template = Request("kms:Decrypt", arn, arn.split(":")[4])
    return Subject(label, policy, named, template, capabilities)


def issue_subjects() -> list[Subject]:
    # capabilities (47 questions each) of the examples about one principal's capabilities
    return [
        _subject(f"issue:{name}", policy, capabilities="admin" in name or "narrowed" in name)
        for name, policy in ISSUE_EXAMPLES.items()
    ]


def sample_subjects(templates: Mapping[str, Mapping[str, Any]]) -> list[Subject]:
    """Each domain key policy, once per principal it names (the capabilities asked differ)."""
    subjects = []
    for domain, policy in sorted(domain_key_policies(templates).items()):
        for index, arn in enumerate(_aws_principals(policy)):
            request = Request("kms:Decrypt", arn, arn.split(":")[4])
            subjects.append(_subject(f"sample:{domain}", policy, request, index == 0))
    return subjects


def generated_subjects() -> list[Subject]:
    subjects = []
    for case in _collect(broad_examples(), BROAD) + _collect(focused_examples(), FOCUSED):
        request = case.request()
        template = replace(request, action="kms:Decrypt", context={})  # the caller
        subjects.append(_subject(case.label, case.policy, template, capabilities=False))
    for statements in _collect(
        st.lists(_statements(), min_size=1, max_size=3).map(lambda s: [s]), PROPERTY
    ):
        subjects.append(_subject("generated:property", _policy(*statements), capabilities=False))
    unique = {repr((s.policy, s.template)): s for s in subjects}
    return list(unique.values())


# ----------------------------------------------------------------------------- the two provers


_NAME = z3.Plus(
    z3.Union(
        z3.Range("a", "z"),
        z3.Range("A", "Z"),
        z3.Range("0", "9"),
        *[z3.Re(c) for c in "+=,.@_-"],
    )
)
_ACCOUNT = z3.Loop(z3.Range("0", "9"), 12, 12)
_SERVICE = z3.Concat(
    z3.Range("a", "z"),
    z3.Star(z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("-"), z3.Re("."))),
    z3.Re(".amazonaws.com"),
)
_PRINTABLE = z3.Star(z3.Range(" ", "~"))


def as_aws_sends(s: Symbols) -> z3.BoolRef:
    """The request is one AWS could send and the simulator reads: see the module docstring."""
    account_re = z3.InRe(s.account, _ACCOUNT)
    principal = z3.Concat(
        z3.StringVal("arn:aws:iam::"),
        s.account,
        z3.StringVal(":"),
    )
    rest = z3.String("realistic_rest")
    texts = [
        z3.InRe(v, _PRINTABLE)
        for key in s.keys.values()
        if z3.is_string(key.values[0])
        for v in key.values
    ]
    return z3.And(
        z3.Implies(s.is_service, z3.InRe(s.service, _SERVICE)),
        z3.Implies(
            z3.Not(s.is_service),
            z3.And(
                account_re,
                s.principal_arn == z3.Concat(principal, rest),
                z3.InRe(
                    rest,
                    z3.Union(
                        z3.Re("root"),
                        z3.Concat(z3.Re("role/"), _NAME),
                        z3.Concat(z3.Re("user/"), _NAME),
                    ),
                ),
            ),
        ),
        *texts,
    )


def realistic(prover: Prover) -> Prover:
    """A prover on the same encoding whose witnesses AWS could send (:func:`as_aws_sends`)."""
    assert prover.encoding is not None, prover.problem
    encoding = prover.encoding
    sends = z3.And(encoding.well_formed, as_aws_sends(encoding.symbols))
    return Prover(prover.policy, replace(encoding, well_formed=sends), None)


def questions(prover: Prover, subject: Subject, capabilities: bool) -> dict[str, Verdict]:
    """The questions of the module docstring, by name."""
    asked = {
        "outsider_allowed": prover.outsider_allowed(subject.named),
        "open_to_unnamed": prover.open_to_unnamed(),
    }
    if capabilities:
        for action, (verdict, _) in prover.capabilities(subject.template).items():
            asked[f"capability {action}"] = verdict
    return asked


# ----------------------------------------------------------------------------- witnesses as cases


def witness_case(label: str, policy: Mapping[str, Any], request: Request) -> Case:
    """The oracle module's case of a witness; its request is exactly the witness."""
    caller = (
        service(request.service) if request.service else caller_for_arn(request.principal_arn or "")
    )
    case = Case(
        label, policy, caller, request.action, dict(request.context), request.identity_allows
    )
    assert case.request() == request, (case.request(), request)
    return case


@dataclass
class Asked:
    """What the prover was asked (counts) and the witnesses to put to the simulator."""

    questions: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # disagree, status mismatch
    undecided: list[str] = field(default_factory=list)
    witnesses: list[Case] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)


def ask_everything(subjects: Iterable[Subject]) -> Asked:
    asked = Asked()
    for subject in subjects:
        prover = prover_for(subject.policy)
        if prover.encoding is None:
            asked.problems.append(f"{subject.label}: not encodable: {prover.problem}")
            continue
        plain = questions(prover, subject, subject.capabilities)
        # the capabilities' principal is fixed (a named role or user, or a service): only their
        # context may hold text AWS would not send, which the simulator reads as it is
        aws = {**plain, **questions(realistic(prover), subject, False)}
        for name in sorted(plain):
            first, second = plain[name], aws[name]
            asked.questions += 1
            asked.statuses[second.status] += 1
            where = f"{subject.label} {name} (template {subject.template.principal_arn})"
            for verdict in (first, second):
                if verdict.status == "undecided":  # a solver timeout: counted, shown, not a pass
                    asked.undecided.append(f"{where}: {verdict.detail}")
                elif verdict.status == "disagree":
                    asked.problems.append(f"{where}: {verdict.detail}: {verdict.request}")
            if "undecided" not in (first.status, second.status) and first.status != second.status:
                asked.problems.append(
                    f"{where}: {first.status} ({first.request}) but {second.status} for requests AWS could send"
                )
            if second.status not in ("allowed", "disagree") or second.request is None:
                continue  # a disagree witness fails above, and goes to the simulator too
            case = witness_case(f"{subject.label} {name}", subject.policy, second.request)
            if case.action == "kms:GenerateRandom":
                asked.excluded["not_a_key_resource_action"] += 1
                continue
            if notprincipal_is_unverifiable(case):
                asked.excluded["notprincipal_exempts_by_role_or_account"] += 1
                continue
            asked.witnesses.append(case)
            if case.caller.account not in (None, ACCOUNT) and not case.identity_allows:
                asked.witnesses.append(
                    replace(case, label=case.label + " +identity", identity_allows=True)
                )
    return asked


# ----------------------------------------------------------------------------- the simulator's word


@dataclass
class Checked:
    allowed: int = 0
    explained: Counter[str] = field(default_factory=Counter)
    unexplained: list[str] = field(default_factory=list)


def check_witnesses(
    cases: list[Case], results: list[Mapping[str, Any]], decide: Callable[..., str] = decide_ours
) -> Checked:
    """Each witness allowed by the simulator, or the simulator's answer explained by a
    KNOWN_DISAGREEMENTS entry (it applies, and its emulation gives exactly that answer)."""
    checked = Checked()
    for raw, result in zip(cases, results, strict=True):
        theirs = simulator_decision(result)
        if theirs == "allow":
            checked.allowed += 1
            continue
        case = as_decided(raw, result)
        kinds = [
            known.kind
            for known in KNOWN_DISAGREEMENTS
            if known.applies(case) and known.emulate(case, decide) == theirs
        ]
        if kinds:
            checked.explained[kinds[0]] += 1
        else:
            checked.unexplained.append(f"prover allowed, simulator={theirs}: {raw.describe()}")
    return checked


@dataclass
class Run:
    subjects: dict[str, list[Subject]]
    asked: Asked
    results: Sequence[Mapping[str, Any]]
    seconds: float

    def of(self, prefix: str) -> tuple[list[Case], list[Mapping[str, Any]]]:
        pairs = [
            (c, r)
            for c, r in zip(self.asked.witnesses, self.results, strict=True)
            if c.label.startswith(prefix)
        ]
        return [c for c, _ in pairs], [r for _, r in pairs]


@pytest.fixture(scope="module")
def run(sample_templates: dict[str, dict]) -> Run:
    check_oracle_installed()
    start = time.monotonic()
    subjects = {
        "issue:": issue_subjects(),
        "sample:": sample_subjects(sample_templates),
        "generated:": generated_subjects(),
    }
    asked = ask_everything(s for group in subjects.values() for s in group)
    results = run_oracle(asked.witnesses)
    return Run(subjects, asked, results, time.monotonic() - start)


# ----------------------------------------------------------------------------- tests


def test_the_prover_answers_every_question(run: Run) -> None:
    """No ``disagree`` (prover against our evaluator), nothing undecided, and the same status
    with and without the restriction to requests AWS could send. An ``undecided`` verdict (the
    solver's time budget ran out; seen on the sample app's credit-applications policy under
    load) is no answer: it is shown and bounded, and its question compared with nothing."""
    assert not run.asked.problems, "\n".join(run.asked.problems[:10])
    print("\nundecided (solver timeouts):\n" + "\n".join(run.asked.undecided))
    assert len(run.asked.undecided) < 0.1 * run.asked.questions


@pytest.mark.parametrize("group", ["issue:", "sample:", "generated:"])
def test_every_witness_is_allowed_by_the_simulator(run: Run, group: str) -> None:
    cases, results = run.of(group)
    checked = check_witnesses(cases, results)
    shown = "\n".join(checked.unexplained[:10])
    assert not checked.unexplained, (
        f"{len(checked.unexplained)} witnesses the simulator does not allow (first 10):\n{shown}"
    )
    assert checked.allowed > 0.5 * len(cases), checked
    print(f"\n{group} {len(run.subjects[group])} policies, {len(cases)} witnesses: {checked}")


def test_the_issue_examples_have_their_witnesses(run: Run) -> None:
    """Not vacuous: the issue's openings are found (and checked above)."""
    cases = run.of("issue:")[0]
    services = [c for c in cases if "PrincipalIsAWSService open_to_unnamed" in c.label]
    assert services and all(c.caller.kind == "service" for c in services)
    opened = [c for c in cases if "absent key open_to_unnamed" in c.label]
    assert opened and all(c.action in ("kms:Decrypt", "kms:GenerateDataKey") for c in opened)
    tagged = [c for c in cases if "PrincipalTag capability kms:Decrypt" in c.label]
    assert [c.context.get("aws:principaltag/team") for c in tagged] == ["orders"]


def test_a_wrong_witness_is_caught(run: Run) -> None:
    """The check can fail: a witness decided as if the simulator had said implicit_deny, with no
    documented difference, is reported."""
    cases, results = run.of("sample:")
    flipped = [{**r, "decision": "ImplicitlyDenied"} if "decision" in r else r for r in results]
    checked = check_witnesses(cases, flipped)
    assert len(checked.unexplained) >= len(cases) // 2


def test_the_run_is_broad(run: Run) -> None:
    counts = {group: len(run.of(group)[0]) for group in run.subjects}
    print(
        f"\n{sum(len(s) for s in run.subjects.values())} policies, {run.asked.questions} questions "
        f"({dict(run.asked.statuses)}), witnesses {counts}, excluded {dict(run.asked.excluded)}; "
        f"{run.seconds:.1f} s (synthesis excluded)"
    )
    assert all(counts.values()), counts

"""The symbolic key-policy analyser (cdk_partition.policy.prover): the examples of issue #18,
each verdict's witness decided again by the concrete evaluator, and a hypothesis property test
comparing the prover with the evaluator on generated policies."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdk_partition.policy.evaluator import Request, evaluate
from cdk_partition.policy.prover import prover_for

ACCOUNT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/admin"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: Any, action: Any = "kms:Decrypt", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


DENY_EVERYONE_ELSE = {
    "Sid": "DenyEveryoneElse",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "kms:*",
    "Resource": "*",
    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [ADMIN]}},
}


def test_star_with_principal_is_aws_service_is_open() -> None:
    """Issue #18: Principal "*" conditioned only on Bool aws:PrincipalIsAWSService true opens
    the key to every service principal of any account."""
    policy = _policy(
        _allow({"AWS": ADMIN}, "kms:*"),
        _allow(
            "*",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            Sid="Services",
            Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}},
        ),
    )
    verdict = prover_for(policy).open_to_unnamed()
    assert verdict.status == "allowed"
    assert verdict.statements == ("'Services'",)
    assert verdict.request is not None and verdict.request.service
    assert evaluate(policy, verdict.request) == "allow"
    assert "AWS service principal" in verdict.describe()


def test_for_all_values_on_absent_key_is_open() -> None:
    """Issue #18: ForAllValues on a key the request never carries holds (IAM: true when the
    key is absent), so Principal "*" with it is open to anyone."""
    policy = _policy(
        _allow("*", Sid="Open", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["x"]}})
    )
    verdict = prover_for(policy).open_to_unnamed()
    assert verdict.status == "allowed"
    assert verdict.request is not None
    assert evaluate(policy, verdict.request) == "allow"


def test_deny_everyone_else_closes_it() -> None:
    policy = _policy(
        _allow({"AWS": ADMIN}, "kms:*"),
        _allow("*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["x"]}}),
        DENY_EVERYONE_ELSE,
    )
    prover = prover_for(policy)
    assert prover.outsider_allowed([ADMIN]).status == "denied"


def test_outsider_through_root_delegation_and_partial_deny() -> None:
    """A deny narrowed to a few actions leaves the others to any role of the account whose
    own policy allows them (root delegation): found over every KMS action."""
    policy = _policy(
        _allow({"AWS": ROOT}, "kms:*"),
        _allow({"AWS": ADMIN}, "kms:*"),
        {**DENY_EVERYONE_ELSE, "Action": ["kms:Decrypt", "kms:Encrypt"]},
    )
    verdict = prover_for(policy).outsider_allowed([ADMIN])
    assert verdict.status == "allowed"
    assert verdict.request is not None
    assert verdict.request.action not in ("kms:Decrypt", "kms:Encrypt")
    assert evaluate(policy, verdict.request) == "allow"


def test_conditional_capability_under_principal_tag() -> None:
    """Issue #18: an administrator given kms:Decrypt only under aws:PrincipalTag/team = orders
    has it, conditionally."""
    policy = _policy(
        _allow(
            {"AWS": ADMIN},
            "kms:Decrypt",
            Condition={"StringEquals": {"aws:PrincipalTag/team": "orders"}},
        ),
        _allow({"AWS": ADMIN}, "kms:DescribeKey"),
    )
    caps = prover_for(policy).capabilities(Request("kms:Decrypt", ADMIN, ACCOUNT))
    decrypt, unconditional = caps["kms:Decrypt"]
    assert decrypt.status == "allowed" and not unconditional
    assert decrypt.request is not None
    assert decrypt.request.context == {
        "aws:principaltag/team": "orders",
        "kms:calleraccount": ACCOUNT,
    }
    assert caps["kms:DescribeKey"][1] is True


def test_data_perimeter_deny_lets_the_organisation_in() -> None:
    """Issue #18: a Deny unless aws:PrincipalOrgID equals the organisation
    (StringNotEqualsIfExists) still lets a member of the organisation in."""
    policy = _policy(
        _allow({"AWS": ADMIN}, "kms:Decrypt"),
        {
            "Sid": "Perimeter",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
        },
    )
    caps = prover_for(policy).capabilities(Request("kms:Decrypt", ADMIN, ACCOUNT))
    verdict, unconditional = caps["kms:Decrypt"]
    assert verdict.status == "allowed" and not unconditional
    assert verdict.request is not None
    assert verdict.request.context.get("aws:principalorgid") in ("o-abc", None)


def test_policy_variable_takes_the_request_value() -> None:
    """IAM substitutes ``${aws:PrincipalAccount}``: an IAM principal whose request carries its own
    account as aws:SourceAccount is allowed (a witness, confirmed by the evaluator)."""
    policy = _policy(
        _allow("*", Condition={"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}})
    )
    verdict = prover_for(policy).open_to_unnamed()
    assert verdict.status == "allowed" and verdict.request is not None
    assert verdict.request.context["aws:sourceaccount"] == verdict.request.account


def test_policy_variable_without_a_value_is_undecided_not_a_pass() -> None:
    """Allowed only when the variable's key is absent: AWS says only that the statement "might"
    be invalid then, so the answer is undecided."""
    policy = _policy(
        _allow(
            "*",
            Condition={
                "Null": {"aws:RequestTag/svc": "true"},
                "StringEquals": {"aws:PrincipalServiceName": "${aws:RequestTag/svc}"},
            },
        )
    )
    verdict = prover_for(policy).open_to_unnamed()
    assert verdict.status == "undecided"
    assert "policy variable ${aws:requesttag/svc}" in verdict.detail


def test_a_key_read_by_string_and_arn_operators_is_decided() -> None:
    """A key policy reading one ARN-valued key with ``StringEquals`` in one statement and
    ``ArnLike`` in another (the domain's EventBridge statement and the event bus creator's door,
    both on ``kms:EncryptionContext:aws:events:event-bus:arn``) was CDKP105, "read by operators
    of different kinds". Decided now: the ARN pattern lets an outsider in only with an
    ARN-shaped value it matches, and the evaluator agrees with the witness."""
    key = "kms:EncryptionContext:aws:events:event-bus:arn"
    bus = f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/orders"
    policy = _policy(
        _allow({"AWS": ADMIN}, "kms:*"),
        _allow({"Service": "events.amazonaws.com"}, Condition={"StringEquals": {key: bus}}),
        _allow("*", Sid="AnyBus", Condition={"ArnLike": {key: f"arn:aws:events:*:{ACCOUNT}:*"}}),
    )
    verdict = prover_for(policy).outsider_allowed([ADMIN])
    assert verdict.status == "allowed", verdict
    assert verdict.request is not None and evaluate(policy, verdict.request) == "allow"
    value = verdict.request.context[key.lower()]
    assert value.startswith("arn:aws:events:") and f":{ACCOUNT}:" in value
    closed = _policy(*policy["Statement"][:2], DENY_EVERYONE_ELSE)
    assert prover_for(closed).outsider_allowed([ADMIN]).status == "denied"


_CONDITIONS = {
    "StringLike": {"aws:PrincipalTag/team": "ord?r*"},
    "ForAllValues:StringLike": {"aws:TagKeys": ["a*"]},
    "ForAnyValue:StringEqualsIgnoreCase": {"aws:CalledVia": ["Athena.amazonaws.com"]},
    "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
    "NumericLessThan": {"kms:x": "1.5"},
    "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
    "DateLessThan": {"aws:EpochTime": "2024-01-01T00:00:01Z"},
    "ArnLike": {"aws:SourceArn": "arn:aws:s3:::b*"},
    "Null": {"aws:SourceVpc": "false"},
    "BoolIfExists": {"aws:SecureTransport": "true"},
}


@pytest.mark.parametrize("operator", sorted(_CONDITIONS))
def test_every_operator_family_has_agreeing_witnesses(operator: str) -> None:
    policy = _policy(_allow({"AWS": ADMIN}, Condition={operator: _CONDITIONS[operator]}))
    caps = prover_for(policy).capabilities(Request("kms:Decrypt", ADMIN, ACCOUNT))
    verdict, unconditional = caps["kms:Decrypt"]
    assert verdict.status == "allowed", verdict
    assert not unconditional  # each holds for some requests only
    assert verdict.request is not None and evaluate(policy, verdict.request) == "allow"
    assert set(caps) == {"kms:Decrypt"}


# ----------------------------------------------------------------------------- property

_KEYS = ["aws:PrincipalTag/team", "aws:SourceAccount", "kms:ViaService"]
_VALUES = ["orders", "o*", "1111", ""]
_OPS = ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIfExists"]


@st.composite
def _statements(draw: st.DrawFn) -> dict[str, Any]:
    principal = draw(
        st.sampled_from(["*", {"AWS": ADMIN}, {"AWS": ROOT}, {"Service": "logs.amazonaws.com"}])
    )
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        "Principal": principal,
        "Action": draw(st.sampled_from(["kms:*", "kms:Decrypt", ["kms:Encrypt", "kms:Get*"]])),
        "Resource": "*",
    }
    condition: dict[str, Any] = {}
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from([*_OPS, "Bool", "Null", "ForAllValues:StringLike"]))
        if op == "Bool":
            condition.setdefault(op, {})["aws:PrincipalIsAWSService"] = draw(
                st.sampled_from(["true", "false"])
            )
        elif op == "Null":
            condition.setdefault(op, {})[draw(st.sampled_from(_KEYS))] = "true"
        elif op.startswith("ForAll"):
            condition.setdefault(op, {})["aws:TagKeys"] = draw(st.sampled_from(_VALUES))
        else:
            condition.setdefault(op, {})[draw(st.sampled_from(_KEYS))] = draw(
                st.sampled_from(_VALUES)
            )
    if condition:
        statement["Condition"] = condition
    return statement


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(_statements(), min_size=1, max_size=3))
def test_prover_agrees_with_evaluator(statements: list[dict[str, Any]]) -> None:
    """Every witness the prover gives is allowed by the evaluator; a "denied" verdict is
    checked against requests the evaluator allows (the admin, root, an outsider, a service)."""
    policy = _policy(*statements)
    prover = prover_for(policy)
    for verdict in (prover.open_to_unnamed(), prover.outsider_allowed([ADMIN])):
        assert verdict.status in ("allowed", "denied"), verdict
        if verdict.status == "allowed":
            assert verdict.request is not None
            assert evaluate(policy, verdict.request) == "allow"
    if prover.open_to_unnamed().status == "denied":
        for context in ({}, {"aws:PrincipalTag/team": "orders"}, {"kms:ViaService": "o"}):
            outsider = Request(
                "kms:Decrypt", "arn:aws:iam::999999999999:role/x", "999999999999", context=context
            )
            assert evaluate(policy, outsider) != "allow"

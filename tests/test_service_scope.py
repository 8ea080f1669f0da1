"""A service statement scoped so that it names another account's resources is CDKP106, decided
by the prover over every request (not by reading the values a condition writes): a negated
operator with ``Null``, a wildcard encryption context, a policy variable standing for itself.
Each was silent (two attacks found them: the statement-shape check read only positive literal
values, and the prover asked only whether a scoping key was present). The request the finding
speaks of, a service acting for another account's resource, is allowed by the concrete key
policy according to our evaluator and to the independent simulator, so each finding is real;
the same statement scoped to the key's own account draws none.

IAM User Guide, "The confused deputy problem"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html); "IAM JSON policy
elements: Condition operators"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
a negated operator matches every other value, and ``Null`` false only says the key is there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from test_integrations import _concrete_key_policy, _decisions, _synth
from test_oracle_iam_simulate import ACCOUNT, REGION, Case, service

from cdk_partition import DomainStack

OTHER = "999999999999"
OTHER_LOGS = f"arn:aws:logs:{REGION}:{OTHER}:log-group:stolen"
OTHER_ALARM = f"arn:aws:cloudwatch:{REGION}:{OTHER}:alarm:x"

#: name -> (service principal, condition, the request context of another account's resource)
SHAPES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "null_and_not_equals": (
        "s3.amazonaws.com",
        {"Null": {"aws:SourceAccount": "false"},
         "StringNotEquals": {"aws:SourceAccount": "123456789012"}},
        {"aws:SourceAccount": OTHER},
    ),
    "null_alone": ("s3.amazonaws.com", {"Null": {"aws:SourceAccount": "false"}},
                   {"aws:SourceAccount": OTHER}),
    "arn_not_equals": (
        "cloudwatch.amazonaws.com",
        {"Null": {"aws:SourceArn": "false"},
         "ArnNotEquals": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:x"}},
        {"aws:SourceArn": OTHER_ALARM},
    ),
    "context_star": (
        f"logs.{REGION}.amazonaws.com",
        {"StringLike": {"kms:EncryptionContext:aws:logs:arn": "*"}},
        {"kms:EncryptionContext:aws:logs:arn": OTHER_LOGS},
    ),
    "variable_for_itself": (
        "cloudwatch.amazonaws.com",
        {"ArnEquals": {"aws:SourceArn": "${aws:SourceArn}"}},
        {"aws:SourceArn": OTHER_ALARM},
    ),
}  # fmt: skip

#: Policy variables: "Global condition context keys can be used as variables in requests across
#: AWS services" (IAM User Guide, "IAM policy elements: Variables and tags",
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html), so
#: ``${aws:SourceArn}`` compared with aws:SourceArn holds for every source; the simulator does not
#: resolve a variable there (it refuses the request), so only our evaluator is asked.
VARIABLES = {"variable_for_itself"}

#: the same services scoped to the key's own account: no finding
OWN: dict[str, tuple[str, dict[str, Any]]] = {
    "own_account": ("s3.amazonaws.com", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
    "own_alarms": ("cloudwatch.amazonaws.com",
                   {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"}}),
    "own_log_groups": (f"logs.{REGION}.amazonaws.com", {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"}}),
}  # fmt: skip


def _with(principal: str, condition: dict[str, Any]) -> Any:
    def build(orders: DomainStack) -> None:
        orders.domain.add_to_key_policy(iam.PolicyStatement(
            sid="Scoped", principals=[iam.ServicePrincipal(principal)],
            actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=["*"], conditions=condition))  # fmt: skip

    return build


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_scope_admitting_another_account_is_cdkp106(tmp_path: Path, shape: str) -> None:
    principal, condition, context = SHAPES[shape]
    errors = [f for f in _synth(tmp_path, _with(principal, condition)) if f.severity == "error"]
    assert [f.rule for f in errors] == ["CDKP106"], [f.message for f in errors]
    assert "another account" in errors[0].message, errors[0].message
    policy = _concrete_key_policy(tmp_path)
    cases = [Case(f"scope:{shape}", policy, service(principal), action, context)
             for action in ("kms:GenerateDataKey", "kms:Decrypt")]  # fmt: skip
    ours, theirs = _decisions(cases)
    assert ours == ["allow", "allow"], ours
    if shape not in VARIABLES:
        assert theirs == ours, (ours, theirs)


def test_an_arn_pattern_of_two_fields_is_undecided_not_silent(tmp_path: Path) -> None:
    """``ArnLike "arn:*"`` is no ARN of six fields: the simulator matches nothing with it, the
    prover does not encode it; the audit says it cannot vouch for the key (CDKP105), never
    nothing."""
    build = _with(f"logs.{REGION}.amazonaws.com",
                  {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:*"}})  # fmt: skip
    errors = [f for f in _synth(tmp_path, build) if f.severity == "error"]
    assert [f.rule for f in errors] == ["CDKP105"], [f.message for f in errors]


@pytest.mark.parametrize("shape", sorted(OWN))
def test_a_scope_to_the_own_account_is_not(tmp_path: Path, shape: str) -> None:
    principal, condition = OWN[shape]
    errors = [f for f in _synth(tmp_path, _with(principal, condition))
              if f.severity == "error" and "another account" in f.message]  # fmt: skip
    assert errors == [], [f.message for f in errors]


@pytest.mark.parametrize("shape", ["beside_a_role", "organization_paths"])
def test_other_accounts_scopes_the_attack_found_next(tmp_path: Path, shape: str) -> None:
    """A service named beside a role in one statement is judged as a service (its scope was
    never read), and ``aws:SourceOrgPaths`` under a negated set operator admits every other
    organization (the prover kept the key absent): both were silent (a second attack)."""

    def build(orders: DomainStack) -> None:
        if shape == "beside_a_role":
            principals = [iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/admin"),
                          iam.ServicePrincipal("s3.amazonaws.com")]  # fmt: skip
            condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": OTHER}}
        else:
            principals = [iam.ServicePrincipal("s3.amazonaws.com")]
            condition = {"ForAnyValue:StringNotLike": {"aws:SourceOrgPaths": "o-mine12345/*"},
                         "Null": {"aws:SourceOrgPaths": "false"}}  # fmt: skip
        orders.domain.add_to_key_policy(iam.PolicyStatement(
            sid="Scoped", principals=principals, actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=["*"], conditions=condition))  # fmt: skip

    errors = [f for f in _synth(tmp_path, build) if f.severity == "error"]
    assert {f.rule for f in errors} == {"CDKP106"}, [f.message for f in errors]

"""The key policy under IAM evaluation: cases, not only snapshots.

The synthesized ``orders`` key policy of the sample app is put through the policy evaluator
(:mod:`cdk_partition.policy.evaluator`) as IAM would decide each request.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from cdk_partition.constructs import key_policy
from cdk_partition.knowledge.capabilities import ADMINISTER_ACTIONS, DATA_ACTIONS, Capability
from cdk_partition.policy.evaluator import Request, canonicalize, evaluate

ACCOUNT = "${AWS::AccountId}"


def _orders_policy(templates: dict[str, dict]) -> dict[str, Any]:
    (key,) = [r for r in templates["Orders"]["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    return canonicalize(key["Properties"]["KeyPolicy"])


def _principal(templates: dict[str, dict], name: str) -> str:
    """The canonical form the policy uses for a principal of the Principals stack."""
    for statement in _orders_policy(templates)["Statement"]:
        values = statement.get("Principal", {}).get("AWS", [])
        for value in values if isinstance(values, list) else [values]:
            if f"FnGetAtt{name}" in value:
                return value
    raise AssertionError(f"{name} is not named by the orders key policy")


def _decide(policy: dict[str, Any], arn: str, action: str, **kw: Any) -> str:
    return evaluate(policy, Request(action=action, principal_arn=arn, account=ACCOUNT, **kw))


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:Encrypt", "kms:PutKeyPolicy"])
def test_unnamed_role_with_kms_star_identity_policy_gets_nothing(
    sample_templates: dict[str, dict], action: str
) -> None:
    policy = _orders_policy(sample_templates)
    unnamed = "arn:aws:iam::${AWS::AccountId}:role/intruder"
    assert _decide(policy, unnamed, action, identity_allows=True) == "explicit_deny"


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy"])
def test_other_account_gets_nothing(sample_templates: dict[str, dict], action: str) -> None:
    policy = _orders_policy(sample_templates)
    decision = evaluate(
        policy,
        Request(
            action=action,
            principal_arn="arn:aws:iam::999999999999:role/x",
            account="999999999999",
            identity_allows=True,
        ),
    )
    assert decision == "explicit_deny"


@pytest.mark.parametrize(
    ("name", "allowed", "refused"),
    [
        ("appA", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], ["kms:PutKeyPolicy"]),
        ("ci", ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"], ["kms:Decrypt", "kms:Encrypt"]),
        ("person1", ["kms:Decrypt", "kms:Encrypt", "kms:PutKeyPolicy"], ["kms:CreateGrant"]),
    ],
)
def test_named_principals_get_exactly_their_capabilities(
    sample_templates: dict[str, dict], name: str, allowed: list[str], refused: list[str]
) -> None:
    policy = _orders_policy(sample_templates)
    arn = _principal(sample_templates, name)
    for action in allowed:
        assert _decide(policy, arn, action) == "allow", action
    for action in refused:
        assert _decide(policy, arn, action) != "allow", action


def test_deny_does_not_block_a_service_principal_but_no_allow_names_it(
    sample_templates: dict[str, dict],
) -> None:
    policy = _orders_policy(sample_templates)
    request = Request(action="kms:Decrypt", service="s3.amazonaws.com")
    # not denied (services are exempt from DenyEveryoneElse) yet not allowed either
    assert evaluate(policy, request) == "implicit_deny"


# -- the pure builders --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "S")


def test_capability_statement_shape(stack: cdk.Stack) -> None:
    role = iam.Role.from_role_arn(stack, "R", "arn:aws:iam::111122223333:role/r")
    statement = stack.resolve(key_policy.capability_statement(Capability.READ, [role]).to_json())
    assert statement == {
        "Sid": "AllowRead",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/r"},
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"],
        "Resource": "*",
    }


def test_deny_statement_shape(stack: cdk.Stack) -> None:
    statement = stack.resolve(
        key_policy.deny_everyone_else_statement(["arn:aws:iam::1:role/a"]).to_json()
    )
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == "kms:*"
    assert statement["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::1:role/a"]},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
    }


def test_built_policy_refuses_everyone_else_for_every_data_and_admin_action(
    stack: cdk.Stack,
) -> None:
    reader = iam.Role.from_role_arn(stack, "Reader", "arn:aws:iam::111122223333:role/reader")
    statements = [
        key_policy.capability_statement(Capability.READ, [reader]),
        key_policy.deny_everyone_else_statement(["arn:aws:iam::111122223333:role/reader"]),
    ]
    policy = stack.resolve(iam.PolicyDocument(statements=statements).to_json())
    for action in DATA_ACTIONS + ADMINISTER_ACTIONS:
        decision = _decide(
            policy, "arn:aws:iam::111122223333:role/other", action, identity_allows=True
        )
        assert decision == "explicit_deny", action
    assert _decide(policy, "arn:aws:iam::111122223333:role/reader", "kms:Decrypt") == "allow"


def test_domain_key_has_no_cdk_default_statement() -> None:
    stack = cdk.Stack(cdk.App(), "K")
    from cdk_partition import DataDomain

    domain = DataDomain(
        stack,
        "D",
        domain_name="k",
        administrators=[iam.Role.from_role_arn(stack, "A", "arn:aws:iam::111122223333:role/a")],
    )
    assert isinstance(domain.key, kms.Key)
    keys = Template.from_stack(stack).find_resources("AWS::KMS::Key")
    (key,) = keys.values()
    sids = [s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert sids == ["AllowAdminister", "DenyEveryoneElse"]

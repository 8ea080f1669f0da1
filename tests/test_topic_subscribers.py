"""A domain topic any principal may subscribe to (issue #19, found by an attack): a subscriber never
calls KMS ("only decrypted when they are sent", Amazon SNS Developer Guide, "Encryption at
rest"), so a topic policy letting every principal call ``sns:Subscribe`` hands every message,
decrypted, to any account. Audit and report were silent. Now it is CDKP036, decided by the
prover over every principal of no account or organization the statement names; a statement
scoped to the app's organization or account, or to named principals, is not.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from test_integrations import ENV, _synth

from cdk_partition import DomainStack
from cdk_partition.audit import Finding

ORG = "o-abcdefghij"

#: statement name -> (principal, conditions, actions, open to a stranger)
STATEMENTS: dict[str, tuple[iam.IPrincipal, dict[str, Any] | None, list[str], bool]] = {
    "Everyone": (iam.AnyPrincipal(), None, ["sns:Subscribe"], True),
    "EveryAction": (iam.AnyPrincipal(), None, ["sns:*"], True),
    "OwnOrganization": (
        iam.AnyPrincipal(), {"StringEquals": {"aws:PrincipalOrgID": ORG}}, ["sns:Subscribe"], False
    ),
    "OwnAccount": (
        iam.AnyPrincipal(), {"StringEquals": {"aws:PrincipalAccount": ENV.account}},
        ["sns:Subscribe"], False,
    ),
    "NamedReader": (
        iam.ArnPrincipal(f"arn:aws:iam::{ENV.account}:role/reader"), None, ["sns:Subscribe"],
        False,
    ),
    "PublishOnly": (iam.AnyPrincipal(), {"StringEquals": {"aws:PrincipalOrgID": ORG}},
                    ["sns:Publish"], False),
}  # fmt: skip


def _topics(orders: DomainStack) -> None:
    for name, (principal, conditions, actions, _) in STATEMENTS.items():
        topic = orders.domain.topic(name)
        topic.add_to_resource_policy(iam.PolicyStatement(
            sid=name, actions=actions, resources=[topic.topic_arn], principals=[principal],
            conditions=conditions))  # fmt: skip


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return _synth(tmp_path_factory.mktemp("topics"), _topics)


def test_a_topic_any_principal_may_subscribe_to_is_cdkp036(findings: list[Finding]) -> None:
    found = {f.value: f for f in findings if f.rule == "CDKP036"}
    assert set(found) == {n for n, (*_, open_) in STATEMENTS.items() if open_}, sorted(found)
    everyone = found["Everyone"]
    assert everyone.severity == "error" and everyone.domain == "orders"
    assert "the prover finds one" in everyone.message and "sns:Subscribe" in everyone.message


def test_no_other_error(findings: list[Finding]) -> None:
    assert [f.message for f in findings if f.severity == "error" and f.rule != "CDKP036"] == []


_TOPIC_ARN = f"arn:aws:sns:{ENV.region}:{ENV.account}:orders-placed"


@pytest.mark.parametrize("name", sorted(n for n, (_, c, a, _o) in STATEMENTS.items()
                                        if n != "NamedReader"))  # fmt: skip
def test_the_simulator_agrees_on_a_strangers_subscription(name: str) -> None:
    """The independent simulator (``@cloud-copilot/iam-simulate``) decides a stranger's
    ``sns:Subscribe`` (another account, another organization) on each statement as CDKP036 does:
    allowed exactly where the finding is."""
    from test_oracle_iam_simulate import Case, role, run_oracle, simulator_decision

    from cdk_partition.audit.trust import stranger_verdict

    _, conditions, actions, open_ = STATEMENTS[name]
    statement = {"Sid": name, "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": actions,
                 "Resource": _TOPIC_ARN, **({"Condition": conditions} if conditions else {})}  # fmt: skip
    verdict = stranger_verdict(statement, "sns:Subscribe")
    assert verdict is not None
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    case = Case("topic", policy, role("444455556666", "stranger"), "sns:Subscribe",
                {"aws:PrincipalOrgID": "o-zz99zz99zz"}, identity_allows=True)  # fmt: skip
    theirs = simulator_decision(run_oracle([case], _TOPIC_ARN)[0])
    assert (verdict.status == "allowed") == open_ == (theirs == "allow"), (verdict, theirs)


def test_a_not_action_statement_that_leaves_subscribe_in_is_cdkp036(tmp_path: Any) -> None:
    def build(orders: DomainStack) -> None:
        for name, left_out in (("AllButPublish", ["sns:Publish"]), ("AllButSubscribe",
                                                                    ["sns:Subscribe"])):  # fmt: skip
            topic = orders.domain.topic(name)
            topic.add_to_resource_policy(iam.PolicyStatement(
                sid=name, not_actions=left_out, resources=[topic.topic_arn],
                principals=[iam.AnyPrincipal()]))  # fmt: skip

    found = {f.value for f in _synth(tmp_path, build) if f.rule == "CDKP036"}
    assert found == {"AllButPublish"}, found


def test_inline_policies_count_and_named_endpoints_do_not(tmp_path: Any) -> None:
    """A topic's own ``AWS::SNS::TopicInlinePolicy`` is read (it was not); a statement naming the
    endpoints (``sns:Endpoint``, AWS's example ``*@my-company.com``) is not CDKP036; and the
    finding may be exempted on the policy with its reason."""
    from aws_cdk import aws_sns as sns

    from cdk_partition import exempt

    def build(orders: DomainStack) -> None:
        for name, conditions in (
            ("Inline", None),
            ("Pinned", {"StringLike": {"sns:Endpoint": "*@my-company.com"}}),
            ("Exempted", None),
        ):
            topic = orders.domain.topic(name)
            statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Subscribe",
                         "Resource": topic.topic_arn, **({"Condition": conditions} if conditions
                                                         else {})}  # fmt: skip
            policy = sns.CfnTopicInlinePolicy(
                orders,
                f"{name}Policy",
                topic_arn=topic.topic_arn,
                policy_document={"Version": "2012-10-17", "Statement": [statement]},
            )
            if name == "Exempted":
                exempt(policy, "CDKP036", "The topic carries public release notes, no data.")

    found = {f.path: f for f in _synth(tmp_path, build) if f.rule == "CDKP036"}
    assert set(found) == {"Orders/InlinePolicy", "Orders/ExemptedPolicy"}, sorted(found)
    assert not found["Orders/InlinePolicy"].exempted and found["Orders/ExemptedPolicy"].exempted

"""A source of another account delivering into a domain store (issue #19, integrations the CDK
wires): a domain queue subscribed to a partner's topic
(``sns.Topic.from_topic_arn(..., "arn:aws:sns:<region>:999988887777:events")
.add_subscription(SqsSubscription(queue))``).

SNS calls KMS for the delivery with the topic's ARN as ``aws:SourceArn`` and the partner's
account as ``aws:SourceAccount``. Before: with the CDK's default flags the key policy kept only
the account-scoped ``AllowPublisherSns``, which refuses that request, and every check was silent
(the audit asked with the stack's account); with ``restrictSqsDescryption`` on, the CDK's own
statement scoped by the topic's ARN was a fatal CDKP106 whose message said to scope by this
account, which cannot be done for a partner's topic. Now the key policy follows the wiring with a
statement scoped by exactly that ARN, the audit asks with the source's ARN and account, and
CDKP106 accepts an exact ARN the app wires, never a wildcard or an ARN nothing wires.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from conftest import cdk_context, synth_errors
from test_integrations import _concrete_key_policy, _decisions
from test_oracle_iam_simulate import ACCOUNT, REGION, Case, service

from cdk_partition import DomainStack
from cdk_partition.audit import Finding

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
PARTNER = "999988887777"
TOPIC = f"arn:aws:sns:{REGION}:{PARTNER}:events"
FLAG = "@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption"


def _app(out: Path, *, flag: bool) -> tuple[cdk.App, DomainStack]:
    app = cdk.App(context={**cdk_context(), FLAG: flag}, outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    return app, orders


def _errors(app: cdk.App, out: Path) -> list[Finding]:
    return synth_errors(app, out)  # type: ignore[no-any-return]


def _sns_cases(policy: Any, topic: str, account: str) -> list[Case]:
    return [
        Case("sns", policy, service("sns.amazonaws.com"), action,
             {"aws:SourceArn": topic, "aws:SourceAccount": account})
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]  # fmt: skip


def _literal(stack: cdk.Stack) -> str:
    return TOPIC


def _formatted(stack: cdk.Stack) -> str:
    """The CDK idiom: the partition as a pseudo parameter token (``arn:${AWS::Partition}:...``
    once synthesized). It was written into the key policy as ``arn:[object Object]:...``, and
    the audit could not read the account from it (silent)."""
    return cdk.Stack.of(stack).format_arn(service="sns", account=PARTNER, resource="events")


@pytest.fixture(
    scope="module",
    params=[(False, _literal), (True, _literal), (False, _formatted), (True, _formatted)],
    ids=["cdk-default", "restrict-flag", "format-arn", "format-arn-restrict-flag"],
)
def partner_subscription(request: Any, tmp_path_factory: Any) -> tuple[Path, list[Finding]]:
    out = tmp_path_factory.mktemp("partner")
    flag, arn = request.param
    app, orders = _app(out, flag=flag)
    queue = orders.domain.queue("Jobs")
    topic = sns.Topic.from_topic_arn(orders, "Partner", arn(orders))
    topic.add_subscription(subs.SqsSubscription(queue))
    return out, _errors(app, out)


def test_a_partner_topic_delivers_into_a_domain_queue(
    partner_subscription: tuple[Path, list[Finding]],
) -> None:
    out, errors = partner_subscription
    assert errors == [], [f.message for f in errors]
    policy = _concrete_key_policy(out)
    scoped = [
        s for s in policy["Statement"]
        if s.get("Principal") == {"Service": "sns.amazonaws.com"}
        and s.get("Condition") == {"ArnEquals": {"aws:SourceArn": TOPIC}}
    ]  # fmt: skip
    assert len(scoped) == 1, policy["Statement"]
    ours, theirs = _decisions(_sns_cases(policy, TOPIC, PARTNER))
    assert ours == theirs == ["allow", "allow"], (ours, theirs)


def test_the_partner_statement_admits_no_other_topic(
    partner_subscription: tuple[Path, list[Finding]],
) -> None:
    """Exactly the wired topic: another topic of the partner's, or of any account, is refused."""
    out, _ = partner_subscription
    policy = _concrete_key_policy(out)
    others = [
        *_sns_cases(policy, f"arn:aws:sns:{REGION}:{PARTNER}:other", PARTNER),
        *_sns_cases(policy, f"arn:aws:sns:{REGION}:444455556666:events", "444455556666"),
    ]
    ours, theirs = _decisions(others)
    assert ours == theirs and "allow" not in ours, (ours, theirs)


def test_a_foreign_scope_nothing_wires_is_still_cdkp106(tmp_path: Path) -> None:
    """The door is no wider than the wiring: the partner's ARN declared without a subscription
    scopes the service to another account (CDKP106); a pattern over the partner's topics is
    pinned to this account by ``allow_service_publisher`` (so it admits none of them)."""
    app, orders = _app(tmp_path, flag=False)
    orders.domain.queue("Jobs")
    orders.domain.allow_service_publisher("sns.amazonaws.com", source_arn=TOPIC)
    orders.domain.allow_service_publisher(
        "sns.amazonaws.com", source_arn=f"arn:aws:sns:{REGION}:{PARTNER}:*"
    )
    found = [f.message for f in _errors(app, tmp_path) if f.rule == "CDKP106"]
    assert len(found) == 1 and TOPIC in found[0] and "another account" in found[0], found
    policy = _concrete_key_policy(tmp_path)
    pattern = [
        s for s in policy["Statement"]
        if s.get("Condition", {}).get("ArnLike", {}).get("aws:SourceArn")
    ]  # fmt: skip
    assert pattern[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, pattern


def test_a_delivery_the_key_cannot_see_is_cdkp021_and_its_fix_passes(tmp_path: Path) -> None:
    """A subscription of another stack naming the domain queue by its literal ARN: the key
    policy cannot follow it, the audit can (CDKP021, asked with the partner's account), and the
    fix it prints, applied as written, clears it."""

    def build(fixed: bool, out: Path) -> list[Finding]:
        app, orders = _app(out, flag=False)
        orders.domain.queue("Jobs", queue_name="orders-jobs")
        if fixed:
            orders.domain.allow_service_publisher("sns.amazonaws.com", source_arn=TOPIC)
        consumers = cdk.Stack(app, "Consumers", env=ENV)
        queue = sqs.Queue.from_queue_arn(
            consumers, "Jobs", f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-jobs"
        )
        sns.Topic.from_topic_arn(consumers, "Partner", TOPIC).add_subscription(
            subs.SqsSubscription(queue)
        )
        return _errors(app, out)

    before = [f for f in build(False, tmp_path / "before") if f.rule == "CDKP021"]
    assert len(before) == 1, [f.message for f in before]
    door = f'domain.allow_service_publisher("sns.amazonaws.com", source_arn="{TOPIC}")'
    assert door in before[0].fix, before[0].fix
    after = build(True, tmp_path / "after")
    assert after == [], [f.message for f in after]


def test_the_partners_own_stack_subscribing_the_domain_queue(tmp_path: Path) -> None:
    """The subscription in a stack of the partner's account (the queue named by its literal
    ARN): foreign is judged against the key's account, not the subscribing stack's. Before, the
    fix printed was the account-scoped door (which changed nothing) and the door that works was
    a fatal CDKP106; now the fix names the topic, and applied as written it passes."""

    def build(fixed: bool, out: Path) -> list[Finding]:
        app, orders = _app(out, flag=False)
        orders.domain.queue("Jobs", queue_name="orders-jobs")
        if fixed:
            orders.domain.allow_service_publisher("sns.amazonaws.com", source_arn=TOPIC)
        partner = cdk.Stack(app, "Partner", env=cdk.Environment(account=PARTNER, region=REGION))
        queue = sqs.Queue.from_queue_arn(
            partner, "Jobs", f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-jobs"
        )
        sns.Topic.from_topic_arn(partner, "Events", TOPIC).add_subscription(
            subs.SqsSubscription(queue)
        )
        return _errors(app, out)

    before = build(False, tmp_path / "before")
    assert [f.rule for f in before] == ["CDKP021"], [f.message for f in before]
    assert f'source_arn="{TOPIC}"' in (before[0].fix or ""), before[0].fix
    after = build(True, tmp_path / "after")
    assert after == [], [f.message for f in after]
    ours, theirs = _decisions(_sns_cases(_concrete_key_policy(tmp_path / "after"), TOPIC, PARTNER))
    assert ours == theirs == ["allow", "allow"], (ours, theirs)


def test_a_partner_arn_with_a_pseudo_parameter_placeholder_is_substituted(tmp_path: Path) -> None:
    """CDKP021 prints the source ARN canonical (``arn:${AWS::Partition}:sns:...`` where the
    stack's partition is unknown); given to ``allow_service_publisher`` as written, it must be
    ``Fn::Sub`` of it, not a literal CloudFormation keeps as text (no request would match)."""
    app, orders = _app(tmp_path, flag=False)
    orders.domain.queue("Jobs")
    arn = "arn:${AWS::Partition}:sns:" + REGION + ":" + PARTNER + ":events"
    orders.domain.allow_service_publisher("sns.amazonaws.com", source_arn=arn)
    errors = _errors(app, tmp_path)  # nothing wires the topic here: CDKP106 judges the scope
    assert [f.rule for f in errors] == ["CDKP106"], [f.message for f in errors]
    template = json.loads((tmp_path / "Orders.template.json").read_text())
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    scoped = [s for s in key["Properties"]["KeyPolicy"]["Statement"]
              if str(s.get("Sid", "")).startswith("AllowPublisherSnsScoped")]  # fmt: skip
    assert scoped[0]["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::Sub": arn}}}, scoped

"""The key policy follows the app's wiring (issues #19 "Every integration works", #21 "One
switch"): a service the template wires to a store on the domain key (an alarm action, a
subscription, a rule target or dead-letter queue, a bucket notification, server access logs, an
Auto Scaling group launching a template) gets the statement its service contract documents,
however the store got on the key (a store method, the mixin) and wherever the wiring resource is
(another construct subtree, another stack). Without the wiring, no statement (no widening).

Each delivery's requests are decided by our evaluator against the synthesized key policy, and one
app's by the independent simulator too; the audit reports no CDKP021 for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_codecommit as codecommit
from aws_cdk import aws_dax as dax
from aws_cdk import aws_dms as dms
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_redshift as redshift
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from conftest import cdk_context, volume_template
from constructs import Construct
from test_integrations import _concrete_key_policy, _decisions, _function, _service_cases
from test_oracle_iam_simulate import ACCOUNT, decide_ours

from cdk_partition import DomainStack, audit_path
from cdk_partition.audit import Finding
from cdk_partition.knowledge import contracts
from cdk_partition.knowledge.capabilities import AUTO_SCALING_SID
from cdk_partition.policy import evaluator

ENV = cdk.Environment(account=ACCOUNT, region="eu-west-1")

Build = Callable[[cdk.App, DomainStack, bool], None]


def _synth(out: Path, build: Build, wired: bool) -> tuple[dict[str, Any], list[Finding]]:
    """(the Orders key policy, concrete; the audit's findings) of the app ``build`` makes."""
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    build(app, orders, wired)
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth on an error finding
        assert "alidation" in str(error), error
    return _concrete_key_policy(out), audit_path(out)


def _alarm(app: cdk.App, orders: DomainStack, wired: bool) -> None:
    """Example 1: an alarm publishing to a domain topic, the ordinary CDK way."""
    topic = orders.domain.topic("Alerts")
    metric = cw.Metric(namespace="Orders", metric_name="Errors")
    alarm = cw.Alarm(orders, "Errors", metric=metric, threshold=1, evaluation_periods=1)
    if wired:
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
    else:  # an alarm action to a topic that is not on the key: no statement for it
        elsewhere = cdk.Stack(app, "Elsewhere", env=ENV)
        alarm.add_alarm_action(cw_actions.SnsAction(sns.Topic(elsewhere, "Pager")))


def _mixed(app: cdk.App, orders: DomainStack, wired: bool) -> None:
    """Example 2: plain L2 stores the mixin puts on the key, wired by the CDK's L2 methods."""
    del app
    scope = Construct(orders, "Mixed")
    queue = sqs.Queue(scope, "Queue")
    dlq = sqs.Queue(scope, "Dlq")
    topic = sns.Topic(scope, "Topic")
    logs_bucket = s3.Bucket(scope, "AccessLogs")
    bucket = s3.Bucket(scope, "Uploads", server_access_logs_bucket=logs_bucket if wired else None)
    cdk.Mixins.of(scope).apply(orders.domain.encryption_at_rest())
    if not wired:
        return
    topic.add_subscription(subs.SqsSubscription(queue))
    bucket.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.SqsDestination(queue))
    rule = events.Rule(orders, "Nightly", schedule=events.Schedule.rate(cdk.Duration.hours(1)))
    rule.add_target(targets.SqsQueue(queue))
    rule.add_target(targets.LambdaFunction(_function(orders, "Job"), dead_letter_queue=dlq))


def _fleet(app: cdk.App, orders: DomainStack, wired: bool) -> None:
    """Example 3: a launch template the mixin puts on the key, launched by an Auto Scaling group
    of another stack (outside the mixed scope)."""
    scope = Construct(orders, "Templates")
    template = volume_template(scope, "Template")
    cdk.Mixins.of(scope).apply(orders.domain.encryption_at_rest())
    fleet = cdk.Stack(app, "Fleet", env=ENV)
    vpc = ec2.Vpc(fleet, "Vpc", max_azs=1, nat_gateways=0)
    if not wired:  # a group launching a template that is not on the key: no statement for it
        template = ec2.LaunchTemplate(
            fleet, "Plain", machine_image=ec2.MachineImage.latest_amazon_linux2023(),
            instance_type=ec2.InstanceType("t3.micro"),
        )  # fmt: skip
    autoscaling.AutoScalingGroup(
        fleet, "Group", vpc=vpc, launch_template=template,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
    )  # fmt: skip


def _notified(app: cdk.App, orders: DomainStack, wired: bool) -> None:
    """Services publishing their events into a domain topic (found silent by a fourth attack:
    each failed at run time): an RDS event subscription (an L1, the CDK has no L2), DMS and
    Redshift event subscriptions, a DAX cluster's notifications, a CodeCommit trigger, and an
    Auto Scaling group's notifications, which EC2 Auto Scaling publishes as its service-linked
    role; all in another stack. Not wired: the same resources naming a topic off the key."""
    ops = cdk.Stack(app, "Ops", env=ENV)
    topic = orders.domain.topic("Events") if wired else sns.Topic(ops, "Plain")
    arn = topic.topic_arn
    rds.CfnEventSubscription(ops, "Db", sns_topic_arn=arn, source_type="db-instance")
    dms.CfnEventSubscription(ops, "Migration", sns_topic_arn=arn)
    redshift.CfnEventSubscription(ops, "Warehouse", subscription_name="w", sns_topic_arn=arn)
    dax.CfnCluster(
        ops,
        "Cache",
        iam_role_arn=f"arn:aws:iam::{ACCOUNT}:role/dax",
        node_type="dax.t3.small",
        replication_factor=1,
        notification_topic_arn=arn,
    )
    codecommit.CfnRepository(
        ops,
        "Repo",
        repository_name="orders",
        triggers=[
            codecommit.CfnRepository.RepositoryTriggerProperty(
                destination_arn=arn, events=["all"], name="all"
            )
        ],
    )
    vpc = ec2.Vpc(ops, "Vpc", max_azs=1, nat_gateways=0)
    autoscaling.AutoScalingGroup(
        ops,
        "Fleet",
        vpc=vpc,
        instance_type=ec2.InstanceType("t3.micro"),
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        notifications=[autoscaling.NotificationConfiguration(topic=topic)],
    )


_APPS: dict[str, Build] = {"alarm": _alarm, "mixed": _mixed, "fleet": _fleet, "notified": _notified}


@pytest.fixture(scope="module")
def synthesized(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, bool], tuple[Path, dict[str, Any], list[Finding]]]:
    out: dict[tuple[str, bool], tuple[Path, dict[str, Any], list[Finding]]] = {}
    for name, build in _APPS.items():
        for wired in (True, False):
            path = tmp_path_factory.mktemp(f"{name}-{'wired' if wired else 'bare'}")
            out[name, wired] = (path, *_synth(path, build, wired))
    return out


def _service_decisions(policy: dict[str, Any], contract: str) -> list[str]:
    """Our evaluator's decision on each run request of ``contract``'s service principals."""
    return [
        decide_ours(policy, evaluator.Request(action, service=row.principal, context={
            k: v.replace("{account}", ACCOUNT) for k, v in row.context.items()}))
        for row in contracts.rows_for(contract, "run")
        if row.caller == "service_principal"
        for action in row.actions
    ]  # fmt: skip


_DELIVERIES = [
    ("alarm", "alarm_action_topic"),
    ("mixed", "topic_subscription_queue"),
    ("mixed", "rule_target_queue"),
    ("mixed", "bucket_notification_queue"),
    ("mixed", "bucket_access_logs"),
    ("notified", "notification_topic_rds"),
    ("notified", "notification_topic_dms"),
    ("notified", "notification_topic_redshift"),
    ("notified", "notification_topic_dax"),
    ("notified", "notification_topic_codecommit"),
]


@pytest.mark.parametrize(("app", "contract"), _DELIVERIES, ids=[c for _, c in _DELIVERIES])
def test_a_wired_delivery_is_allowed_its_contract(
    synthesized: dict[tuple[str, bool], tuple[Path, dict[str, Any], list[Finding]]],
    app: str,
    contract: str,
) -> None:
    _, policy, findings = synthesized[app, True]
    decisions = _service_decisions(policy, contract)
    assert decisions and set(decisions) == {"allow"}, decisions
    refused = [f for f in findings if f.rule == "CDKP021"]
    assert not refused, [f.message for f in refused]


@pytest.mark.parametrize(("app", "contract"), _DELIVERIES, ids=[c for _, c in _DELIVERIES])
def test_no_wiring_no_statement(
    synthesized: dict[tuple[str, bool], tuple[Path, dict[str, Any], list[Finding]]],
    app: str,
    contract: str,
) -> None:
    _, policy, _ = synthesized[app, False]
    decisions = _service_decisions(policy, contract)
    assert "allow" not in decisions, decisions
    sids = {s.get("Sid", "") for s in policy["Statement"]}
    assert not [s for s in sids if s.startswith("AllowPublisher")], sids


def _auto_scaling_decisions(
    policy: dict[str, Any], contract: str = "launch_template_auto_scaling"
) -> list[str]:
    out = []
    for row in contracts.rows_for(contract):
        arn = row.principal.format(partition="aws", account=ACCOUNT)
        for action in row.actions:
            context = {k: v.format(region=ENV.region) for k, v in row.context.items()}
            request = evaluator.Request(action, arn, ACCOUNT, context=context)
            out.append(decide_ours(policy, request))
    return out


def test_an_auto_scaling_groups_notifications_name_its_service_linked_role(
    synthesized: dict[tuple[str, bool], tuple[Path, dict[str, Any], list[Finding]]],
) -> None:
    """EC2 Auto Scaling publishes a group's notifications as its service-linked role (a role,
    not a service principal, the SNS page says): the key names it for its requests through SNS,
    decided by our evaluator and by the independent simulator; without the wiring, never."""
    from test_oracle_iam_simulate import Case, caller_for_arn

    path, policy, findings = synthesized["notified", True]
    contract = "auto_scaling_notification_topic"
    assert set(_auto_scaling_decisions(policy, contract)) == {"allow"}
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]
    cases = [
        Case("wired", policy, caller_for_arn(row.principal.format(partition="aws",
             account=ACCOUNT)), action, {"kms:ViaService": f"sns.{ENV.region}.amazonaws.com"})
        for row in contracts.rows_for(contract) for action in row.actions
    ]  # fmt: skip
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * len(cases), (ours, theirs)
    # the same role outside SNS is refused, and nothing without the wiring
    outside = [Case("outside", policy, c.caller, c.action, {}) for c in cases]
    ours, theirs = _decisions(outside)
    assert "allow" not in ours and "allow" not in theirs, (ours, theirs)
    del path
    _, bare, _ = synthesized["notified", False]
    assert "allow" not in _auto_scaling_decisions(bare, contract)


def test_an_auto_scaling_group_of_another_stack_names_the_service_linked_role(
    synthesized: dict[tuple[str, bool], tuple[Path, dict[str, Any], list[Finding]]],
) -> None:
    _, policy, findings = synthesized["fleet", True]
    sids = {s.get("Sid") for s in policy["Statement"]}
    assert {AUTO_SCALING_SID, AUTO_SCALING_SID + "Grants"} <= sids
    assert set(_auto_scaling_decisions(policy)) == {"allow"}
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]
    _, bare, _ = synthesized["fleet", False]
    assert "AWSServiceRoleForAutoScaling" not in str(bare)
    assert "allow" not in _auto_scaling_decisions(bare)


def test_the_simulator_agrees_on_a_followed_delivery(
    synthesized: dict[tuple[str, bool], tuple[Path, dict[str, Any], list[Finding]]],
) -> None:
    """The alarm's requests, decided by the independent simulator (``@cloud-copilot/iam-simulate``)
    against the synthesized key policy: allowed with the wiring, refused without it."""
    for wired, expected in ((True, "allow"), (False, None)):
        cases = _service_cases(synthesized["alarm", wired][0], "alarm_action_topic")
        ours, theirs = _decisions(cases)
        assert ours == theirs, (ours, theirs)
        if expected:
            assert set(ours) == {expected}, ours
        else:
            assert "allow" not in ours, ours


#: One example resource per row of the wiring table: (source type, its properties, what).
_EXAMPLES: list[tuple[str, dict[str, Any], str]] = [
    ("AWS::Events::Rule", {"Targets": [{"Arn": "x", "DeadLetterConfig": {"Arn": "x"}}]},
     "dead-letter queue of a target"),
    ("AWS::Events::Rule", {"Targets": [{"Arn": "x"}]}, "target"),
    ("AWS::Events::EventBus", {"DeadLetterConfig": {"Arn": "x"}}, "dead-letter queue"),
    ("AWS::SNS::Subscription", {"RedrivePolicy": {"deadLetterTargetArn": "x"}},
     "dead-letter queue"),
    ("AWS::SNS::Subscription", {"Protocol": "sqs", "Endpoint": "x"}, "endpoint"),
    ("AWS::CloudWatch::Alarm", {"OKActions": ["x"]}, "alarm action"),
    ("AWS::CloudWatch::CompositeAlarm", {"AlarmActions": ["x"]}, "alarm action"),
    ("AWS::S3::Bucket", {"LoggingConfiguration": {"DestinationBucketName": "x"}},
     "server access log destination"),
    ("AWS::S3::Bucket", {"NotificationConfiguration": {"QueueConfigurations": [{"Queue": "x"}]}},
     "event notification"),
    ("Custom::S3BucketNotifications",
     {"NotificationConfiguration": {"TopicConfigurations": [{"TopicArn": "x"}]}},
     "event notification"),
    ("AWS::AutoScaling::AutoScalingGroup", {"LaunchTemplate": {"LaunchTemplateName": "x"}},
     "launch template"),
    ("AWS::AutoScaling::AutoScalingGroup", {"MixedInstancesPolicy": {"LaunchTemplate": {
        "LaunchTemplateSpecification": {"LaunchTemplateId": "y"},
        "Overrides": [{"LaunchTemplateSpecification": {"LaunchTemplateId": "x"}}]}}},
     "launch template"),
    ("AWS::AutoScaling::AutoScalingGroup", {"LaunchConfigurationName": "x"},
     "launch configuration"),
    ("AWS::DynamoDB::Table", {"KinesisStreamSpecification": {"StreamArn": "x"}},
     "Kinesis streaming destination"),
    ("AWS::DynamoDB::GlobalTable", {"Replicas": [{"Region": "eu-west-1"},
     {"KinesisStreamSpecification": {"StreamArn": "x"}}]},
     "Kinesis streaming destination of a replica"),
    ("AWS::DynamoDB::Table", {"ImportSourceSpecification": {"S3BucketSource": {"S3Bucket": "x"}}},
     "import source"),
    ("AWS::RDS::EventSubscription", {"SnsTopicArn": "x"}, "notification topic"),
    ("AWS::DMS::EventSubscription", {"SnsTopicArn": "x"}, "notification topic"),
    ("AWS::Redshift::EventSubscription", {"SnsTopicArn": "x"}, "notification topic"),
    ("AWS::DAX::Cluster", {"NotificationTopicARN": "x"}, "notification topic"),
    ("AWS::CodeCommit::Repository", {"Triggers": [{"DestinationArn": "x"}]},
     "notification topic"),
    ("AWS::AutoScaling::AutoScalingGroup", {"NotificationConfigurations": [
        {"TopicARN": ["y", "x"]}]}, "notification topic"),
]  # fmt: skip


@pytest.mark.parametrize(("source_type", "properties", "what"), _EXAMPLES)
def test_the_wiring_table_reads_each_row_from_properties_the_native_walk_resolves(
    source_type: str, properties: dict[str, Any], what: str
) -> None:
    """Each row's property is found by ``named`` (the last value named is ``"x"``), every
    top-level property it reads is one the native walk resolves (``SOURCE_PROPERTIES``: a
    resource setting none of them is skipped), and every row has an example here."""
    from cdk_partition.knowledge import wiring

    found = list(wiring.named({"Type": source_type, "Properties": properties}))
    assert (what, "x") in found, found
    assert set(properties) <= set(wiring.SOURCE_PROPERTIES)
    rows = {(w.source_type, w.what) for w in wiring.WIRING}
    assert rows == {(t, w) for t, _, w in _EXAMPLES}


def _notified_by_export(fix: str | None) -> Build:
    """An RDS event subscription and an Auto Scaling group notifying a domain topic the consumer
    stack imports by a hand-written export name: the key policy cannot follow it (no reference
    to the store), the audit can; ``fix``: the calls CDKP021 printed, evaluated as written."""

    def build(app: cdk.App, orders: DomainStack, wired: bool) -> None:
        del app, wired
        from test_integrations import imported_by_export

        topic = orders.domain.topic("Events")
        consumers, arn = imported_by_export(orders, topic.topic_arn, "events")
        rds.CfnEventSubscription(consumers, "Db", sns_topic_arn=arn, source_type="db-instance")
        vpc = ec2.Vpc(consumers, "Vpc", max_azs=1, nat_gateways=0)
        autoscaling.AutoScalingGroup(
            consumers, "Fleet", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"),
            machine_image=ec2.MachineImage.latest_amazon_linux2023(),
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            notifications=[autoscaling.NotificationConfiguration(
                topic=sns.Topic.from_topic_arn(consumers, "Imported", arn))],
        )  # fmt: skip
        for call in re.findall(r"`(domain\.\w+\([^`]*\))`", fix or ""):
            eval(call, {"domain": orders.domain})  # the library's own fix text, as written

    return build


def test_a_notification_the_key_cannot_follow_is_cdkp021_and_its_fixes_pass(
    tmp_path: Path,
) -> None:
    _, findings = _synth(tmp_path / "before", _notified_by_export(None), True)
    found = {f.path: f for f in findings if f.rule == "CDKP021"}
    assert set(found) == {"Consumers/Db", "Consumers/Fleet/ASG"}, [f.message for f in findings]
    assert "events.rds.amazonaws.com" in found["Consumers/Db"].message
    assert 'allow_integration("auto_scaling_notification_topic")' in (
        found["Consumers/Fleet/ASG"].fix or ""
    ), found["Consumers/Fleet/ASG"].fix
    fixes = " ".join(f.fix or "" for f in found.values())
    policy, after = _synth(tmp_path / "after", _notified_by_export(fixes), True)
    assert not [f for f in after if f.severity == "error"], [f.message for f in after]
    assert set(_service_decisions(policy, "notification_topic_rds")) == {"allow"}
    assert set(_auto_scaling_decisions(policy, "auto_scaling_notification_topic")) == {"allow"}

"""A domain's data moved by a service into a store outside the domain (issue #19, found by an
attack): a topic on the domain key delivers its messages decrypted to a subscribed queue ("SSE
encrypts messages as soon as Amazon SNS receives them. The messages are stored in encrypted form,
and only decrypted when they are sent", Amazon SNS Developer Guide, "Encryption at rest"); a
queue on the key moves what it could not deliver to its dead-letter queue. Into a queue of
SSE-SQS (or of another domain), the domain's data is read by whoever that queue lets read it.
``domain.queue(..., dead_letter_queue=)`` refused it at construct time; the same with a plain L2
on the key, or a subscription the app adds, was silent in synth, audit and report.

Now each such move is CDKP034 on the resource that makes it; moves into stores on the key are
not, and the fix the finding prints (the destination made with the domain's store method)
passes as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from test_integrations import ENV, _synth

from cdk_partition import DomainStack
from cdk_partition.audit import Finding
from cdk_partition.knowledge.egress import EGRESS


def parking_of(orders: DomainStack) -> cdk.Stack:
    """A stack that is no domain's and depends on the domain's (an archive of its bus)."""
    return cdk.Stack(orders.node.root, "Archives", env=ENV)


def _shared(orders: DomainStack) -> cdk.Stack:
    return cdk.Stack(orders.node.root, "Shared", env=ENV)


def _outside(orders: DomainStack) -> None:
    """Every move of the table, each into a queue of SSE-SQS in a stack that is no domain's (the
    dead-letter queues in one the domain's stack depends on, the subscribed queue in one that
    depends on it)."""
    parking = cdk.Stack(orders.node.root, "Parking", env=ENV)
    dlq = sqs.Queue(parking, "Parked")
    sqs.Queue(
        orders, "Jobs", encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=orders.domain.key,
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=3, queue=dlq),
    )  # fmt: skip
    placed = orders.domain.topic("Placed")
    shared = _shared(orders)
    placed.add_subscription(subs.SqsSubscription(sqs.Queue(shared, "Analytics")))
    billing = sqs.Queue(
        shared, "Billing", encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=orders.domain.key,
    )  # fmt: skip
    placed.add_subscription(
        subs.SqsSubscription(billing, dead_letter_queue=sqs.Queue(shared, "Lost"))
    )
    _more_moves(orders, parking)


def _more_moves(orders: DomainStack, parking: cdk.Stack) -> None:
    """A rule on a domain bus, a subscription filter on a domain log group, a domain table
    streaming into Kinesis and a pipe from a domain queue, each into a store of ``parking`` off
    the key (L1s: the L2s would write policies back into ``parking``); and a rule whose target is
    a function (a reader, not a store that keeps the events)."""
    key = orders.domain.key.key_arn
    bus = orders.domain.event_bus("Bus")
    out = sqs.Queue(parking, "BusOut")
    stream = kinesis.Stream(parking, "Feed", encryption=kinesis.StreamEncryption.MANAGED)
    fn = lambda_.Function(
        orders, "Reader", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c): pass"),
    )  # fmt: skip
    events.CfnRule(orders, "Forward", event_bus_name=bus.event_bus_name,
                   event_pattern={"source": ["orders"]},
                   targets=[events.CfnRule.TargetProperty(id="q", arn=out.queue_arn),
                            events.CfnRule.TargetProperty(  # a reader: no CDKP035
                                id="api", arn=f"arn:aws:events:eu-west-1:{ENV.account}:"
                                "api-destination/partner/0123"),
                            events.CfnRule.TargetProperty(id="f", arn=fn.function_arn,
                                dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                                    arn=sqs.Queue(parking, "RuleDlq").queue_arn))])  # fmt: skip
    events.CfnArchive(parking_of(orders), "Archive", source_arn=bus.event_bus_arn)
    events.CfnArchive(orders, "KeptArchive", source_arn=bus.event_bus_arn, kms_key_identifier=key)
    events.CfnEventBus(orders, "Bus2", name="orders-bus-2",
                       kms_key_identifier=key,
                       dead_letter_config=events.CfnEventBus.DeadLetterConfigProperty(
                           arn=sqs.Queue(parking, "BusDlq").queue_arn))  # fmt: skip
    group = orders.domain.log_group("Audit")
    logs.CfnSubscriptionFilter(orders, "Ship", log_group_name=group.log_group_name,
                               filter_pattern="", destination_arn=stream.stream_arn,
                               role_arn=f"arn:aws:iam::{ENV.account}:role/cwl")  # fmt: skip
    dynamodb.CfnTable(
        orders, "Orders2", billing_mode="PAY_PER_REQUEST",
        key_schema=[dynamodb.CfnTable.KeySchemaProperty(attribute_name="pk", key_type="HASH")],
        attribute_definitions=[dynamodb.CfnTable.AttributeDefinitionProperty(
            attribute_name="pk", attribute_type="S")],
        sse_specification=dynamodb.CfnTable.SSESpecificationProperty(
            sse_enabled=True, sse_type="KMS", kms_master_key_id=key),
        kinesis_stream_specification=dynamodb.CfnTable.KinesisStreamSpecificationProperty(
            stream_arn=stream.stream_arn),
    )  # fmt: skip
    pipes.CfnPipe(orders, "Pipe", role_arn=f"arn:aws:iam::{ENV.account}:role/piper",
                  source=orders.domain.queue("Jobs2").queue_arn, target=out.queue_arn)  # fmt: skip
    bucket = s3.Bucket(parking, "Landing", encryption=s3.BucketEncryption.S3_MANAGED)
    firehose.CfnDeliveryStream(
        orders, "Backed", delivery_stream_encryption_configuration_input=(
            firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="CUSTOMER_MANAGED_CMK", key_arn=key)),
        extended_s3_destination_configuration=(
            firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=orders.domain.bucket("Kept").bucket_arn,
                role_arn=f"arn:aws:iam::{ENV.account}:role/fh", s3_backup_mode="Enabled",
                s3_backup_configuration=firehose.CfnDeliveryStream.S3DestinationConfigurationProperty(
                    bucket_arn=bucket.bucket_arn, role_arn=f"arn:aws:iam::{ENV.account}:role/fh"))),
    )  # fmt: skip
    for name, objects_key in (("Firehose", None), ("KeptFirehose", key)):
        encryption = (
            firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                    awskms_key_arn=objects_key))
            if objects_key else None
        )  # fmt: skip
        firehose.CfnDeliveryStream(
            orders, name, delivery_stream_encryption_configuration_input=(
                firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                    key_type="CUSTOMER_MANAGED_CMK", key_arn=key)),
            extended_s3_destination_configuration=(
                firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                    bucket_arn=bucket.bucket_arn, role_arn=f"arn:aws:iam::{ENV.account}:role/fh",
                    encryption_configuration=encryption)),
        )  # fmt: skip


def _inside(orders: DomainStack) -> None:
    """The same moves into stores on the key (the fix as written: ``domain.queue(...)``), and a
    topic of no domain into a plain queue (not the domain's data)."""
    dlq = orders.domain.queue("Parked")
    sqs.Queue(
        orders, "Jobs", encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=orders.domain.key,
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=3, queue=dlq),
    )  # fmt: skip
    placed = orders.domain.topic("Placed")
    placed.add_subscription(subs.SqsSubscription(orders.domain.queue("Analytics")))
    placed.add_subscription(
        subs.SqsSubscription(
            orders.domain.queue("Billing"), dead_letter_queue=orders.domain.queue("Lost")
        )
    )
    shared = _shared(orders)
    sns.Topic(shared, "Public").add_subscription(subs.SqsSubscription(sqs.Queue(shared, "Feed")))


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    return {
        name: _synth(tmp_path_factory.mktemp(name), build)
        for name, build in (("outside", _outside), ("inside", _inside))
    }


def _moves(findings: list[Finding]) -> dict[str, Finding]:
    return {f.path: f for f in findings if f.rule == "CDKP034"}


def test_each_move_off_the_key_is_cdkp034(audited: dict[str, Any]) -> None:
    found = _moves(audited["outside"])
    assert [f.value for f in audited["outside"] if f.rule == "CDKP035"] == []  # the API destination
    every = [f for f in audited["outside"] if f.rule == "CDKP034"]
    assert {(f.path.removesuffix("/Resource"), f.location) for f in every} == {
        ("Orders/Jobs", "RedrivePolicy.deadLetterTargetArn"),
        ("Shared/Analytics/OrdersDomainPlaced9BC5DB8B", "Endpoint"),
        ("Shared/Billing/OrdersDomainPlaced9BC5DB8B", "RedrivePolicy.deadLetterTargetArn"),
        ("Orders/Forward", "Targets[].Arn"),  # the queue, not the function
        ("Orders/Ship", "DestinationArn"),
        ("Orders/Orders2", "KinesisStreamSpecification.StreamArn"),
        ("Orders/Pipe", "Target"),
        ("Orders/Firehose", "ExtendedS3DestinationConfiguration.BucketARN"),  # not KeptFirehose
        ("Orders/Forward", "Targets[].DeadLetterConfig.Arn"),
        ("Orders/Bus2", "DeadLetterConfig.Arn"),
        ("Archives/Archive", "SourceArn"),  # not KeptArchive, on the key
        ("Orders/Backed", "ExtendedS3DestinationConfiguration.S3BackupConfiguration.BucketARN"),
    }, sorted(found)
    assert all(f.severity == "error" and f.domain == "orders" for f in found.values())
    queue = found["Orders/Jobs/Resource"]
    assert "Parking/Parked" in queue.message and "sqs-dead-letter-queues" in queue.message
    assert "create it with `domain.queue(...)`" in (queue.fix or "")


def test_moves_onto_the_key_and_data_of_no_domain_are_not(audited: dict[str, Any]) -> None:
    assert _moves(audited["inside"]) == {}
    assert [f.message for f in audited["inside"] if f.severity == "error"] == []


def test_every_row_is_exercised() -> None:
    """Each row of the table has a move above (a row added without a case would be untested)."""
    assert {(r.source_type, r.what) for r in EGRESS} == {
        ("AWS::SQS::Queue", "dead-letter queue"),
        ("AWS::SNS::Subscription", "subscription endpoint"),
        ("AWS::SNS::Subscription", "dead-letter queue of a subscription"),
        ("AWS::SNS::Topic", "subscription endpoint"),  # test_inline_subscriptions_...
        ("AWS::Events::Rule", "rule target"),
        ("AWS::Logs::SubscriptionFilter", "subscription filter"),
        ("AWS::DynamoDB::Table", "Kinesis streaming destination"),
        ("AWS::Pipes::Pipe", "pipe target"),
        ("AWS::KinesisFirehose::DeliveryStream", "S3 destination"),
        ("AWS::Events::Rule", "dead-letter queue of a rule target"),
        ("AWS::Events::EventBus", "dead-letter queue of the bus"),
        ("AWS::Events::Archive", "archive"),
        ("AWS::StepFunctions::StateMachine", "execution log"),  # test_a_state_machines_log...
        ("AWS::Logs::AccountPolicy", "account-level subscription filter"),  # test_an_account...
    }


def _edges(orders: DomainStack) -> None:
    """The moves a first version missed or misjudged (found by an attack): into another
    domain's queue (a share, exempted with its reason on one subscription, not on the other),
    into another account's queue by ARN, through the topic's own ``Subscription``, and a
    ``RedrivePolicy`` written with ``Fn::Sub``."""
    from cdk_partition import exempt

    billing = DomainStack(orders.node.root, "Billing", domain_name="billing",
                          administrators=[iam.ArnPrincipal(BILLING_ADMIN)], env=ENV)  # fmt: skip
    placed = orders.domain.topic("Placed")
    inbox = billing.domain.queue("Inbox")
    placed.add_subscription(subs.SqsSubscription(inbox))
    placed.add_subscription(subs.SqsSubscription(billing.domain.queue("Audit")))
    exempt(_subscription_of(billing, "Inbox"), "CDKP034",
           "Billing invoices every placed order; its key policy names its readers.")  # fmt: skip
    partner = sqs.Queue.from_queue_arn(orders, "Partner", PARTNER_QUEUE)
    placed.add_subscription(subs.SqsSubscription(partner))
    parked = sqs.Queue(_shared(orders), "Parked")
    protocol = cdk.CfnParameter(orders, "Protocol", default="sqs")
    sns.CfnSubscription(orders, "ByParameter", topic_arn=placed.topic_arn,
                        protocol=protocol.value_as_string, endpoint=parked.queue_arn)  # fmt: skip
    sns.CfnTopic(
        orders, "Inline", kms_master_key_id=orders.domain.key.key_arn,
        subscription=[sns.CfnTopic.SubscriptionProperty(endpoint=parked.queue_arn, protocol="sqs")],
    )  # fmt: skip
    sqs.CfnQueue(
        orders, "Subbed", kms_master_key_id=orders.domain.key.key_arn,
        redrive_policy=cdk.Fn.sub('{"deadLetterTargetArn": "${Arn}", "maxReceiveCount": 3}',
                                  {"Arn": parked.queue_arn}),
    )  # fmt: skip


def _subscription_of(stack: DomainStack, queue: str) -> Any:
    """The subscription the CDK puts under the subscribed queue."""
    (child,) = [c for c in stack.domain.node.find_child(queue).node.children
                if isinstance(c, sns.Subscription)]  # fmt: skip
    return child


PARTNER_QUEUE = "arn:aws:sqs:eu-west-1:999999999999:partner-inbox"
BILLING_ADMIN = f"arn:aws:iam::{ENV.account}:role/billing-admin"


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return _synth(tmp_path_factory.mktemp("edges"), _edges)


def test_a_share_with_another_domain_is_cdkp034_and_may_be_exempted(edges: list[Finding]) -> None:
    found = {f.path.removesuffix("/Resource"): f for f in edges if f.rule == "CDKP034"}
    inbox = [f for p, f in found.items() if p.startswith("Billing/Domain/Inbox/")]
    audit_ = [f for p, f in found.items() if p.startswith("Billing/Domain/Audit/")]
    assert len(inbox) == 1 and inbox[0].exempted, sorted(found)
    assert len(audit_) == 1 and not audit_[0].exempted
    assert "if domain 'billing' is meant to receive data of domain 'orders'" in (
        audit_[0].fix or ""
    )
    assert "'CDKP034'" in (audit_[0].fix or "")


def test_a_destination_the_assembly_does_not_show_is_cdkp035(edges: list[Finding]) -> None:
    unseen = [f for f in edges if f.rule == "CDKP035"]
    assert [f.severity for f in unseen] == ["warning"], [f.message for f in unseen]
    assert PARTNER_QUEUE in unseen[0].message


def test_inline_subscriptions_and_a_substituted_redrive_policy_are_read(
    edges: list[Finding],
) -> None:
    found = {(f.path, f.location) for f in edges if f.rule in ("CDKP034", "CDKP035")}
    assert ("Orders/Inline", "Subscription[].Endpoint") in found, sorted(found)
    assert ("Orders/Subbed", "RedrivePolicy.deadLetterTargetArn") in found, sorted(found)
    # a protocol chosen at deploy may be "sqs": the move is judged (fail closed)
    assert ("Orders/ByParameter", "Endpoint") in found, sorted(found)


def test_two_environments_of_one_domain_are_two_keys(tmp_path: Path) -> None:
    """Prod's domain topic delivering into Dev's queue of the same domain name (a Stage per
    account): another key, another account: CDKP034 (an attack: it was silent, the name
    matched)."""
    from conftest import cdk_context

    from cdk_partition import audit_path

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    for stage_name, account in (("Dev", "111122223333"), ("Prod", "444455556666")):
        stage = cdk.Stage(app, stage_name, env=cdk.Environment(account=account, region="eu-west-1"))
        admin = iam.ArnPrincipal(f"arn:aws:iam::{account}:role/admin")
        orders = DomainStack(stage, "Orders", domain_name="orders", administrators=[admin])
        if stage_name == "Dev":
            orders.domain.queue("Inbox", queue_name="orders-inbox")
        else:
            topic = orders.domain.topic("Placed")
            sns.CfnSubscription(orders, "ToDev", topic_arn=topic.topic_arn, protocol="sqs",
                                endpoint="arn:aws:sqs:eu-west-1:111122223333:orders-inbox")  # fmt: skip
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth on the error
        assert "alidation" in str(error), error
    found = [f for f in audit_path(tmp_path) if f.rule in ("CDKP034", "CDKP035")]
    assert [(f.rule, f.path) for f in found] == [("CDKP034", "Prod/Orders/ToDev")], found


def _state_machines(fixed: bool) -> Any:
    """A domain bus's rule starting state machines (the ordinary L2 target): a Standard one off
    the key (its execution history keeps each event), an Express one (no history: a reader), and
    another account's by a literal ARN; ``fixed``: the Standard one on the domain key as
    CDKP034's fix says (in the domain's stack), its role granted as CDKP024's fix says."""
    from aws_cdk import aws_events_targets as targets
    from aws_cdk import aws_stepfunctions as sfn

    def build(orders: DomainStack) -> None:
        bus = orders.domain.event_bus("Bus")
        rule = events.Rule(orders, "Route", event_bus=bus,
                           event_pattern=events.EventPattern(source=["orders"]))  # fmt: skip
        parking = parking_of(orders)
        for name, kind in (("Standard", sfn.StateMachineType.STANDARD),
                           ("Express", sfn.StateMachineType.EXPRESS)):  # fmt: skip
            on_key = fixed and name == "Standard"  # in the domain's stack, on its key
            scope = orders if on_key else parking
            machine = sfn.StateMachine(
                scope, name, state_machine_type=kind,
                definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(scope, f"{name}P")),
                encryption_configuration=(
                    sfn.CustomerManagedEncryptionConfiguration(orders.domain.key)
                    if on_key else None),
            )  # fmt: skip
            if on_key:
                orders.domain.grant_read(machine.role)
                orders.domain.grant_write(machine.role)
            rule.add_target(targets.SfnStateMachine(machine))
        events.CfnRule(orders, "ToPartner", event_bus_name=bus.event_bus_name,
                       event_pattern={"source": ["orders"]},
                       targets=[events.CfnRule.TargetProperty(
                           id="p", role_arn=f"arn:aws:iam::{ENV.account}:role/events",
                           arn="arn:aws:states:eu-west-1:999999999999:stateMachine:intake")])  # fmt: skip

    return build


def test_a_state_machine_target_keeps_the_events_unless_express(tmp_path: Path) -> None:
    """ "The execution history and state machine definition will be encrypted with the key
    applied to the State Machine" (AWS Step Functions API Reference, "EncryptionConfiguration"):
    a Standard state machine keeps each event it is started with. Before, a rule target that is
    a state machine was taken for a reader: silent."""
    before = _synth(tmp_path / "before", _state_machines(False))
    moved = [(f.rule, f.path, f.value) for f in before if f.rule in ("CDKP034", "CDKP035")]
    assert {(r, p) for r, p, _ in moved} == {
        ("CDKP034", "Orders/Route/Resource"), ("CDKP035", "Orders/ToPartner"),
    }, moved  # fmt: skip
    (standard,) = [f for f in before if f.rule == "CDKP034"]
    assert "Archives/Standard" in standard.message and "Express" not in standard.message
    after = _synth(tmp_path / "after", _state_machines(True))
    assert [f.message for f in after if f.rule == "CDKP034" or f.severity == "error"] == []


def _through_a_destination(on_key: bool) -> Any:
    """A domain log group's subscription filter into a CloudWatch Logs destination that
    delivers into a stream (of another stack off the key, or the domain's own)."""

    def build(orders: DomainStack) -> None:
        parking = parking_of(orders)
        stream = (orders.domain.stream("Kept") if on_key
                  else kinesis.Stream(parking, "Feed", encryption=kinesis.StreamEncryption.MANAGED))  # fmt: skip
        scope = orders if on_key else parking
        destination = logs.CfnDestination(
            scope, "Relay", destination_name="relay", target_arn=stream.stream_arn,
            role_arn=f"arn:aws:iam::{ENV.account}:role/cwl",
        )  # fmt: skip
        logs.CfnSubscriptionFilter(
            orders, "Ship", log_group_name=orders.domain.log_group("Audit").log_group_name,
            filter_pattern="", destination_arn=destination.attr_arn,
        )  # fmt: skip

    return build


def test_a_subscription_filter_through_a_logs_destination_is_followed(tmp_path: Path) -> None:
    """A CloudWatch Logs destination "encapsulates a physical resource (such as an Amazon
    Kinesis data stream)": the log events move into its TargetArn. Before, the destination was
    no store and the move was silent."""
    off = _synth(tmp_path / "off", _through_a_destination(False))
    (found,) = [f for f in off if f.rule == "CDKP034"]
    assert found.path == "Orders/Ship" and "Archives/Feed" in found.message, found.message
    on = _synth(tmp_path / "on", _through_a_destination(True))
    assert [f.message for f in on if f.rule in ("CDKP034", "CDKP035")] == []


def _qualified_and_logged(orders: DomainStack) -> None:
    """A domain bus's rule starting a Standard state machine off the key through its alias (and
    its version), and an Express one whose logs keep the execution data in a log group off the
    key; a domain log group's subscription filter naming a Logs destination by its literal ARN."""
    from aws_cdk import aws_stepfunctions as sfn

    parking = parking_of(orders)
    bus = orders.domain.event_bus("Bus")

    def machine(name: str, **props: Any) -> sfn.StateMachine:
        return sfn.StateMachine(
            parking, name, definition_body=sfn.DefinitionBody.from_chainable(
                sfn.Pass(parking, f"{name}P")), **props)  # fmt: skip

    standard = machine("Standard")
    version = sfn.CfnStateMachineVersion(
        parking, "V1", state_machine_arn=standard.state_machine_arn
    )
    alias = sfn.CfnStateMachineAlias(parking, "Live", name="live", routing_configuration=[
        sfn.CfnStateMachineAlias.RoutingConfigurationVersionProperty(
            state_machine_version_arn=version.attr_arn, weight=100)])  # fmt: skip
    express = machine(
        "Express", state_machine_type=sfn.StateMachineType.EXPRESS,
        logs=sfn.LogOptions(destination=logs.LogGroup(parking, "ExpressLogs"),
                            level=sfn.LogLevel.ALL, include_execution_data=True),
    )  # fmt: skip
    events.CfnRule(orders, "Start", event_bus_name=bus.event_bus_name,
                   event_pattern={"source": ["orders"]}, targets=[
                       events.CfnRule.TargetProperty(id=name, arn=arn,
                           role_arn=f"arn:aws:iam::{ENV.account}:role/events")
                       for name, arn in (("alias", alias.ref), ("version", version.attr_arn),
                                         ("express", express.state_machine_arn))])  # fmt: skip
    stream = kinesis.Stream(parking, "Feed", encryption=kinesis.StreamEncryption.MANAGED)
    logs.CfnDestination(parking, "Relay", destination_name="relay", target_arn=stream.stream_arn,
                        role_arn=f"arn:aws:iam::{ENV.account}:role/cwl")  # fmt: skip
    logs.CfnSubscriptionFilter(
        orders, "Ship", log_group_name=orders.domain.log_group("Audit").log_group_name,
        filter_pattern="", destination_arn=cdk.Fn.sub(
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:destination:relay"),
    )  # fmt: skip


def test_aliases_versions_logs_and_literal_destinations_are_followed(tmp_path: Path) -> None:
    """Found by an attack: a state machine's alias or version as the target, an Express state
    machine logging its execution data, and a Logs destination by its literal ARN were silent
    (or a warning only)."""
    findings = _synth(tmp_path, _qualified_and_logged)
    moved = {(f.path.removesuffix("/Resource"), f.location, f.value) for f in findings
             if f.rule == "CDKP034"}  # fmt: skip
    assert {p for p, _, _ in moved} == {"Orders/Start", "Orders/Ship"}, moved
    start = [f.message for f in findings if f.rule == "CDKP034" and "Orders/Start" in f.path]
    assert len(start) == 3, start  # the alias, the version (each the Standard machine), Express
    assert sum("Archives/Standard" in m for m in start) == 2
    assert sum("Archives/Express" in m for m in start) == 1
    assert not [f for f in findings if f.rule == "CDKP035"], [f.message for f in findings]


def test_a_state_machines_log_of_execution_data_off_the_key_is_cdkp034(tmp_path: Path) -> None:
    """A state machine on the domain key logging its execution data into a log group off it:
    the events it ran on leave the key (an attack)."""
    from aws_cdk import aws_stepfunctions as sfn

    def build(orders: DomainStack) -> None:
        parking = parking_of(orders)
        for name, data in (("Logged", True), ("Quiet", False)):
            sfn.StateMachine(
                orders, name, definition_body=sfn.DefinitionBody.from_chainable(
                    sfn.Pass(orders, f"{name}P")),
                encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(
                    orders.domain.key),
                logs=sfn.LogOptions(destination=logs.LogGroup(parking, f"{name}Logs"),
                                    level=sfn.LogLevel.ALL, include_execution_data=data),
            )  # fmt: skip

    findings = _synth(tmp_path, build)
    moved = [f for f in findings if f.rule == "CDKP034"]
    assert [f.path for f in moved] == ["Orders/Logged/Resource"], [f.message for f in moved]
    assert "Archives/LoggedLogs" in moved[0].message


def _account_policy(excluded: bool, agnostic: bool = False) -> Any:
    """An account-level subscription filter policy sending every log group's events into a
    stream off the key; ``excluded``: the domain's log group left out by name; ``agnostic``: in
    a stack of no environment (it may deploy into the domain's account)."""

    def build(orders: DomainStack) -> None:
        parking = cdk.Stack(orders.node.root, "Archives") if agnostic else parking_of(orders)
        orders.domain.log_group("Audit", log_group_name="orders-audit")
        stream = kinesis.Stream(parking, "Feed", encryption=kinesis.StreamEncryption.MANAGED)
        logs.CfnAccountPolicy(
            parking, "Everything", policy_name="everything",
            policy_type="SUBSCRIPTION_FILTER_POLICY", scope="ALL",
            policy_document=parking.to_json_string({
                "DestinationArn": stream.stream_arn, "FilterPattern": "",
                "RoleArn": f"arn:aws:iam::{ENV.account}:role/cwl"}),
            selection_criteria='LogGroupName NOT IN ["orders-audit"]' if excluded else None,
        )  # fmt: skip

    return build


def test_an_account_level_subscription_filter_policy_moves_every_log_group(
    tmp_path: Path,
) -> None:
    """ "the filter causes every log event containing the string ERROR in all but two log groups
    to be delivered to the destination" (CloudWatch Logs User Guide): every domain log group of
    the account and region is a source, but those its selection criteria leave out (an attack:
    silent)."""
    findings = _synth(tmp_path / "all", _account_policy(False))
    (found,) = [f for f in findings if f.rule == "CDKP034"]
    assert found.path == "Archives/Everything" and "Archives/Feed" in found.message
    left_out = _synth(tmp_path / "left-out", _account_policy(True))
    assert [f.message for f in left_out if f.rule in ("CDKP034", "CDKP035")] == []
    # a stack of no environment may deploy into the domain's account (an attack: silent)
    agnostic = _synth(tmp_path / "agnostic", _account_policy(False, agnostic=True))
    assert [f.path for f in agnostic if f.rule == "CDKP034"] == ["Archives/Everything"]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:logs:eu-west-1:999988887777:destination:relay",  # another account's
        "arn:aws:logs:us-east-1:111122223333:destination:relay",  # another region's
    ],
)
def test_a_destination_of_the_same_name_elsewhere_is_not_the_apps(tmp_path: Path, arn: str) -> None:
    """An attack: a literal destination ARN was matched by name only, so another account's
    destination named like the app's (whose stream is on the key) was silent."""

    def build(orders: DomainStack) -> None:
        logs.CfnDestination(orders, "Relay", destination_name="relay",
                            target_arn=orders.domain.stream("Kept").stream_arn,
                            role_arn=f"arn:aws:iam::{ENV.account}:role/cwl")  # fmt: skip
        logs.CfnSubscriptionFilter(
            orders, "Ship", log_group_name=orders.domain.log_group("Audit").log_group_name,
            filter_pattern="", destination_arn=arn,
        )  # fmt: skip

    findings = _synth(tmp_path, build)
    assert [f.value for f in findings if f.rule == "CDKP035"] == [arn], [
        (f.rule, f.message) for f in findings
    ]

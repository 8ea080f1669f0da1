"""Integrations an attack review found silent or mis-fixed, each a kind (issue #19):

* a store reached through a resource that stands for it: ``db.secret`` of an RDS L2 is the
  ``SecretTargetAttachment``, whose ``Ref`` is the secret's ARN, so ``db.secret.grant_read(fn)``
  is a grant on the domain secret (was silent; now CDKP019, and ``grant_read`` clears it);
* a rotation function whose role the app does not declare, however it is wired: a hosted rotation
  of ``db.secret`` and the Serverless Application Repository rotator
  ``db.add_rotation_single_user()`` adds (were silent / the generic CDKP016 only; now CDKP022);
* a delivery the key policy follows for one resource type and not its twin: a composite alarm's
  action to a domain topic (``AWS::CloudWatch::CompositeAlarm``; was silent);
* a CDK key statement for a source imported by name (``s3.Bucket.from_bucket_name(...)
  .add_event_notification(...)``): absorbed into the contract's actions with the source's literal
  ARN as its scope, as written (was CDKP106, and ``allow_service_publisher`` did not clear it);
* a fix that names more than the grant needs: a stream reader's IAM ``kms:DescribeKey`` made the
  CDKP019 fix call ``grant_administer`` (a consumer made key administrator); now ``grant_read``.

Each delivery AWS makes into the key is decided by our evaluator and the independent simulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cwa
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_secretsmanager as sm
from aws_cdk import aws_sqs as sqs
from conftest import cdk_context
from test_integrations import _concrete_key_policy, _decisions, _function
from test_oracle_iam_simulate import ACCOUNT, REGION, Case, service

from cdk_partition import DomainStack, audit_path
from cdk_partition.audit import Finding

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
DROP = "orders-partner-drop"


class _Orders(DomainStack):
    people: cdk.Stack


def _app(out: Path) -> tuple[cdk.App, _Orders]:
    """An app with a principals stack (its user ``ci`` administers) and domain ``orders``."""
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = _Orders(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    orders.people = people
    return app, orders


def _synth_errors(app: cdk.App, out: Path) -> list[Finding]:
    """Synthesize ``app`` (a validation failure is the error findings) and audit its assembly."""
    try:
        app.synth()
    except Exception as error:
        assert "alidation" in str(error), error
    return [f for f in audit_path(out) if f.severity == "error"]


def _synth(out: Path, *, fixed: bool) -> list[Finding]:
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    vpc = ec2.Vpc(orders, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])  # fmt: skip
    engine = rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16)
    reader = _function(orders, "Reader")
    rotated = orders.domain.database_instance("Db", engine=engine, vpc=vpc, vpc_subnets=isolated)
    rotated.secret.grant_read(reader)  # type: ignore[union-attr]
    hosted = orders.domain.database_instance("Hosted", engine=engine, vpc=vpc,
                                             vpc_subnets=isolated)  # fmt: skip
    topic = orders.domain.topic("Alerts")
    child = cw.Alarm(orders, "Errors", metric=cw.Metric(namespace="App", metric_name="Errors"),
                     threshold=1, evaluation_periods=1)  # fmt: skip
    composite = cw.CompositeAlarm(
        orders, "Health", alarm_rule=cw.AlarmRule.from_alarm(child, cw.AlarmState.ALARM)
    )
    composite.add_alarm_action(cwa.SnsAction(topic))
    drop = s3.Bucket.from_bucket_name(orders, "Drop", DROP)
    drop.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.SqsDestination(
        orders.domain.queue("Inbox")))  # fmt: skip
    table = orders.domain.table(
        "Events", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_IMAGE,
    )  # fmt: skip
    consumer = _function(orders, "Consumer")
    consumer.add_event_source(sources.DynamoEventSource(
        table, starting_position=lambda_.StartingPosition.LATEST))  # fmt: skip
    if fixed:  # the findings' fixes, as written
        orders.domain.grant_read(reader.role)  # type: ignore[arg-type]
        orders.domain.grant_read(consumer.role)  # type: ignore[arg-type]
        rotator = _function(orders, "Rotator")
        rotated.secret.add_rotation_schedule("Rotation", rotation_lambda=rotator)  # type: ignore[union-attr]
        hosted.secret.add_rotation_schedule("Rotation", rotation_lambda=rotator)  # type: ignore[union-attr]
        orders.domain.grant_read(rotator.role)  # type: ignore[arg-type]
        orders.domain.grant_write(rotator.role)  # type: ignore[arg-type]
    else:
        rotated.add_rotation_single_user()
        hosted.secret.add_rotation_schedule(  # type: ignore[union-attr]
            "Rotation",
            hosted_rotation=sm.HostedRotation.postgre_sql_single_user(vpc=vpc,
                                                                      vpc_subnets=isolated),
        )  # fmt: skip
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth on the errors
        assert "alidation" in str(error), error
    return audit_path(out)


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Finding]]:
    out = tmp_path_factory.mktemp("before")
    return out, _synth(out, fixed=False)


def _errors(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule and f.severity == "error"]


def test_a_grant_on_the_database_secret_attachment_is_a_grant_on_the_secret(
    before: tuple[Path, list[Finding]],
) -> None:
    found = [f for f in _errors(before[1], "CDKP019") if "Orders/Reader" in f.message]
    assert len(found) == 1, [f.message for f in before[1]]
    assert "secretsmanager:GetSecretValue on Orders/Domain/Db/Secret" in found[0].message
    assert "`domain.grant_read(Orders/Reader/ServiceRole)`" in (found[0].fix or "")


def test_rotations_whose_role_the_app_does_not_declare_are_refused(
    before: tuple[Path, list[Finding]],
) -> None:
    found = sorted((f.path, f.location) for f in _errors(before[1], "CDKP022"))
    assert found == [
        ("Orders/Domain/Db/Secret/Attachment/RotationSchedule/Resource", "RotationLambdaARN"),
        ("Orders/Domain/Hosted/Secret/Attachment/Rotation/Resource", "HostedRotationLambda"),
    ], [f.message for f in before[1]]
    sar = next(f for f in _errors(before[1], "CDKP022") if f.location == "RotationLambdaARN")
    assert "Orders/Domain/Db/RotationSingleUser (AWS::Serverless::Application)" in sar.message


def test_a_composite_alarm_action_and_an_imported_bucket_deliver(
    before: tuple[Path, list[Finding]],
) -> None:
    """No finding on either delivery, and the key lets each service make the requests its
    contract lists (the bucket by its literal ARN), as the evaluator and the simulator decide."""
    out, findings = before
    assert not [f for f in findings if f.rule in ("CDKP021", "CDKP106")], [
        f.message for f in findings
    ]
    policy = _concrete_key_policy(out)
    sids = {s.get("Sid") for s in policy["Statement"]}
    assert {"AllowPublisherCloudwatch", "AllowPublisherS3Scoped1"} <= sids
    bucket_arn = f"arn:aws:s3:::{DROP}"
    cases = [
        Case("cloudwatch", policy, service("cloudwatch.amazonaws.com"), action,
             {"aws:SourceAccount": ACCOUNT})
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ] + [
        Case("s3", policy, service("s3.amazonaws.com"), action,
             {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": bucket_arn})
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]  # fmt: skip
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * 4
    # beyond the contract, still refused: the CDK's kms:Encrypt for S3 was not kept
    extra = [Case("s3", policy, service("s3.amazonaws.com"), "kms:Encrypt",
                  {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": bucket_arn})]  # fmt: skip
    ours, theirs = _decisions(extra)
    assert ours == theirs and ours[0] != "allow"


def test_a_stream_readers_fix_is_read_not_administer(before: tuple[Path, list[Finding]]) -> None:
    found = [f for f in _errors(before[1], "CDKP019") if "Orders/Consumer" in f.message]
    assert found, [f.message for f in before[1]]
    fixes = " ".join(f.fix or "" for f in found)
    assert "grant_read(Orders/Consumer/ServiceRole)" in fixes
    assert "grant_administer" not in fixes and "grant_write" not in fixes


def test_the_fixes_as_written_clear_them(tmp_path: Path) -> None:
    findings = _synth(tmp_path, fixed=True)
    assert [f.message for f in findings if f.severity == "error"] == []


def test_a_store_naming_the_key_by_its_alias_is_followed(tmp_path: Path) -> None:
    """A log group given the domain key by its alias (``kms.Alias.from_alias_name(...,
    "alias/orders")``), in the domain's stack and in a consumer stack, is on the key: the key
    policy gets the CloudWatch Logs statement, and Logs' requests for each group pass (was: no
    statement, every write refused at run time, no finding)."""
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_logs as logs

    app, orders = _app(tmp_path)
    consumer = cdk.Stack(app, "Consumer", env=ENV)
    for stack, name in ((orders, "/orders/audit"), (consumer, "/orders/consumer")):
        alias = kms.Alias.from_alias_name(stack, "DomainAlias", "alias/orders")
        logs.LogGroup(stack, "Logs", log_group_name=name, encryption_key=alias)
    app.synth()
    findings = audit_path(tmp_path)
    assert [f.message for f in findings if f.severity == "error"] == []
    policy = _concrete_key_policy(tmp_path)
    assert "AllowLogsService" in {s.get("Sid") for s in policy["Statement"]}
    cases = [
        Case("logs", policy, service(f"logs.{REGION}.amazonaws.com"), action,
             {"kms:EncryptionContext:aws:logs:arn":
              f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"})
        for name in ("/orders/audit", "/orders/consumer")
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]  # fmt: skip
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * 4


def test_a_key_policy_without_the_logs_statement_is_refused_by_the_audit(tmp_path: Path) -> None:
    """The audit holds CloudWatch Logs' run-time requests for a log group on the key, whatever
    wrote the key policy: the same template with the statement removed (a key policy that did not
    follow the store) is CDKP107, decided over every request by the prover."""
    import json

    from aws_cdk import aws_logs as logs

    app, orders = _app(tmp_path)
    logs.LogGroup(orders, "Audit", log_group_name="/orders/audit", encryption_key=orders.domain.key)
    app.synth()
    assert not [f for f in audit_path(tmp_path) if f.severity == "error"]
    template = tmp_path / "Orders.template.json"
    data = json.loads(template.read_text())
    for resource in data["Resources"].values():
        if resource["Type"] == "AWS::KMS::Key":
            statements = resource["Properties"]["KeyPolicy"]["Statement"]
            kept = [s for s in statements if s.get("Sid") != "AllowLogsService"]
            assert len(kept) == len(statements) - 1
            resource["Properties"]["KeyPolicy"]["Statement"] = kept
    template.write_text(json.dumps(data))
    found = [f for f in audit_path(tmp_path) if f.rule == "CDKP107"]
    assert [f.path for f in found] == ["Orders/Audit/Resource"], [f.message for f in found]
    assert f"by the service principal logs.{REGION}.amazonaws.com at run" in found[0].message


@pytest.mark.parametrize("fixed", [False, True])
def test_a_schedule_on_the_key_names_its_execution_role(tmp_path: Path, fixed: bool) -> None:
    """An EventBridge Scheduler schedule on the domain key: its execution role decrypts the
    payload ("Encryption at rest in EventBridge Scheduler"), which the CDK grants in IAM only.
    Before: silent; now CDKP024, and its fix as written (``allow_passed_role``) passes."""
    from aws_cdk import aws_scheduler as scheduler
    from aws_cdk import aws_scheduler_targets as scheduler_targets

    app, orders = _app(tmp_path)
    role = iam.Role(orders, "Runner", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
    target = scheduler_targets.LambdaInvoke(
        _function(orders, "Job"), role=role,
        input=scheduler.ScheduleTargetInput.from_object({"order": "x"}),
    )  # fmt: skip
    scheduler.Schedule(orders, "Nightly", key=orders.domain.key, target=target,
                       schedule=scheduler.ScheduleExpression.rate(cdk.Duration.hours(1)))  # fmt: skip
    if fixed:
        orders.domain.allow_passed_role(role, "AWS::Scheduler::Schedule")
    errors = _synth_errors(app, tmp_path)
    if fixed:
        assert errors == [], [f.message for f in errors]
    else:
        assert [(f.rule, f.path) for f in errors] == [("CDKP024", "Orders/Nightly/Resource")], [
            f.message for f in errors
        ]
        assert "`domain.allow_passed_role(Orders/Runner, 'AWS::Scheduler::Schedule')`" in (
            errors[0].fix or ""
        )


def test_an_alias_name_resolves_in_its_own_stage(tmp_path: Path) -> None:
    """Two environment-agnostic Stages built from the same code, each with domain ``orders`` and
    a consumer queue on ``alias/orders``: each queue is on its own Stage's key (before, the
    second Stage's queue was matched to the first Stage's alias and drew CDKP004)."""
    from aws_cdk import aws_kms as kms

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    for name in ("Dev", "Prod"):
        stage = cdk.Stage(app, name)
        people = cdk.Stack(stage, "Principals")
        admin = iam.User(people, "admin", user_name=f"admin-{name.lower()}")
        DomainStack(stage, "Orders", domain_name="orders", administrators=[admin])
        consumer = cdk.Stack(stage, "Consumer")
        sqs.Queue(consumer, "Local", encryption=sqs.QueueEncryption.KMS,
                  encryption_master_key=kms.Alias.from_alias_name(consumer, "Key", "alias/orders"))  # fmt: skip
    app.synth()
    findings = audit_path(tmp_path)
    assert [f.message for f in findings if f.severity == "error"] == []


_OAC_PAGE = (
    'Amazon CloudFront Developer Guide, "Restrict access to an Amazon S3 origin" '
    "(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
    "private-content-restricting-access-to-s3.html)"
)
_SFN_PAGE = (
    'AWS Step Functions Developer Guide, "Data at rest encryption in Step Functions" '
    "(https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html)"
)


def _with_l2_service_statements(out: Path) -> tuple[cdk.App, Any]:
    """An app whose domain has a CloudFront origin access control on a domain bucket and a state
    machine on the key logging to a domain log group: both L2s write service statements on the
    key (cloudfront.amazonaws.com, delivery.logs.amazonaws.com)."""
    from aws_cdk import aws_cloudfront as cloudfront
    from aws_cdk import aws_cloudfront_origins as origins
    from aws_cdk import aws_stepfunctions as sfn

    app, orders = _app(out)
    domain = orders.domain
    cloudfront.Distribution(orders, "Site", default_behavior=cloudfront.BehaviorOptions(
        origin=origins.S3BucketOrigin.with_origin_access_control(domain.bucket("Assets"))))  # fmt: skip
    logs = domain.log_group("Flows", log_group_name="/aws/vendedlogs/states/orders")
    machine = sfn.StateMachine(
        orders, "Flow", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(orders, "P")),
        logs=sfn.LogOptions(destination=logs, level=sfn.LogLevel.ALL),
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(domain.key),
    )  # fmt: skip
    domain.allow_passed_role(machine.role, "AWS::StepFunctions::StateMachine")
    return app, domain


def _declare_flow_logs(domain: Any) -> None:
    """CDKP021's fix for VPC flow logs into a domain bucket, as the finding writes it."""
    from cdk_partition.knowledge.wiring import DELIVERIES

    row = next(d for d in DELIVERIES if d.source_type == "AWS::EC2::FlowLog")
    domain.allow_service(row.service, actions=list(row.actions),
                         conditions={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                         source=row.page)  # fmt: skip


@pytest.mark.parametrize("declared", [False, True])
def test_a_service_statement_an_l2_writes_is_replaced_by_the_declared_one(
    tmp_path: Path, declared: bool
) -> None:
    """CloudFront's origin access control and Step Functions' log delivery write their own
    service statements on the domain key (the log delivery's wider than the library accepts:
    CDKP106; the origin access control's is now its contract's). CDKP106's
    fix, ``allow_service`` with the AWS page, replaces them; before, the CDK's statement stayed
    beside the declared one and so did the finding (only ``exempt`` cleared it)."""
    app, domain = _with_l2_service_statements(tmp_path)
    if declared:  # CDKP106's fix, as written
        domain.allow_service("cloudfront.amazonaws.com", actions=["kms:Decrypt"], conditions={
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/*"}},
            source=_OAC_PAGE)  # fmt: skip
        # AWS's statement for Step Functions log delivery has no condition (its contract row)
        domain.allow_service("delivery.logs.amazonaws.com", actions=["kms:Decrypt"],
                             source=_SFN_PAGE)  # fmt: skip
    errors = _synth_errors(app, tmp_path)
    if declared:
        assert errors == [], [f.message for f in errors]
    else:
        # the origin access control's statement is its contract's (distribution_origin_bucket:
        # the account's distributions), no longer CDKP106 (a fourth attack: the AWS-recommended
        # app failed); the log delivery's unconditioned one still is
        found = " ".join(f.message for f in errors if f.rule == "CDKP106")
        assert "cloudfront.amazonaws.com" not in found and "delivery.logs.amazonaws.com" in found


@pytest.mark.parametrize("fixed", [False, True])
def test_a_bucket_replicating_into_the_domain_has_its_role_checked(
    tmp_path: Path, fixed: bool
) -> None:
    """A bucket of another stack replicating into a domain bucket, replicas on the domain key:
    its replication role encrypts with the key (the CDK grants it in IAM only). It is no store of
    the domain (its replica key protects the destination's data), so its role's key grant is
    judged: CDKP019 (was silent), and the fix as written passes."""
    app, orders = _app(tmp_path)
    people = orders.people
    replica = orders.domain.bucket("Replica", versioned=True)
    source = cdk.Stack(app, "Source", env=ENV)
    role: iam.IRole | None = None
    if fixed:  # the finding's fix: a role of a stack deploying first, imported, then named
        made = iam.Role(people, "Replication", assumed_by=iam.ServicePrincipal("s3.amazonaws.com"))
        role = iam.Role.from_role_arn(source, "ReplicationRef", made.role_arn)
        orders.domain.grant_read(made)
        orders.domain.grant_write(made)
    s3.Bucket(source, "Source", versioned=True, replication_role=role, replication_rules=[
        s3.ReplicationRule(destination=replica, kms_key=orders.domain.key, priority=1)])  # fmt: skip
    errors = _synth_errors(app, tmp_path)
    if fixed:
        assert errors == [], [f.message for f in errors]
    else:
        assert [f.rule for f in errors] == ["CDKP019"], [f.message for f in errors]
        assert "Source/Source/ReplicationRole" in errors[0].message
        assert "grant_write(role)" in (errors[0].fix or "")


@pytest.mark.parametrize("fixed", [False, True])
def test_flow_logs_into_a_domain_bucket_need_the_declared_statement(
    tmp_path: Path, fixed: bool
) -> None:
    """VPC flow logs delivered into a domain bucket: AWS says the bucket's customer managed key
    needs a key policy statement for the log delivery service. Before: silent (every delivery
    refused at run time); now CDKP021, whose ``allow_service`` fix passes as written."""
    from cdk_partition.knowledge.wiring import DELIVERIES

    row = next(d for d in DELIVERIES if d.source_type == "AWS::EC2::FlowLog")
    app, orders = _app(tmp_path)
    vpc = ec2.Vpc(orders, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="a", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])  # fmt: skip
    vpc.add_flow_log("Flow", destination=ec2.FlowLogDestination.to_s3(
        orders.domain.bucket("FlowLogs")))  # fmt: skip
    if fixed:  # the finding's fix, as written
        _declare_flow_logs(orders.domain)
    errors = _synth_errors(app, tmp_path)
    if fixed:
        assert errors == [], [f.message for f in errors]
    else:
        assert [(f.rule, f.path) for f in errors] == [("CDKP021", "Orders/Vpc/Flow/FlowLog")]
        assert f"domain.allow_service({row.service!r}, actions={list(row.actions)!r}" in (
            errors[0].fix or ""
        )


def test_a_declaration_for_another_need_leaves_the_l2_statement(tmp_path: Path) -> None:
    """Declaring a service's statement replaces an L2's only where it allows every request the
    L2's allows (the prover decides): the flow-log statement for delivery.logs.amazonaws.com
    (``kms:GenerateDataKey``) must not drop the state machine's log delivery statement
    (``kms:Decrypt``), nor a statement for one distribution the origin access control's for every
    distribution of the account. Before, any declaration for the service dropped them: no finding,
    and the deliveries failed at run time."""
    app, domain = _with_l2_service_statements(tmp_path)
    from cdk_partition.knowledge.wiring import DELIVERIES

    flow = next(d for d in DELIVERIES if d.source_type == "AWS::EC2::FlowLog")
    domain.allow_service(flow.service, actions=list(flow.actions),
                         conditions={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                         source=flow.page)  # fmt: skip
    domain.allow_service("cloudfront.amazonaws.com", actions=["kms:Decrypt"], conditions={
        "StringEquals": {"aws:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"}},
        source=_OAC_PAGE)  # fmt: skip
    found = " ".join(f.message for f in _synth_errors(app, tmp_path) if f.rule == "CDKP106")
    assert "delivery.logs.amazonaws.com" in found  # the origin access control's is its contract's
    policy = _concrete_key_policy(tmp_path)
    unnamed = [s for s in policy["Statement"] if "Sid" not in s]
    assert {str(s["Principal"]["Service"]) for s in unnamed} >= {
        "cloudfront.amazonaws.com", "delivery.logs.amazonaws.com"}  # fmt: skip


@pytest.mark.parametrize("fixed", [False, True])
def test_a_delivery_naming_the_store_by_literal_arn_is_followed(
    tmp_path: Path, fixed: bool
) -> None:
    """An alarm of another stack whose action is a domain topic's literal ARN, and flow logs into
    a domain bucket's literal ARN: the key policy cannot follow them (no reference), so the audit
    does (the store's literal name, as identity policies are read). Before: silent; now CDKP021,
    and the fixes as written pass."""
    app, orders = _app(tmp_path)
    orders.domain.topic("Alerts", topic_name="orders-alerts")
    orders.domain.bucket("Flows", bucket_name="orders-flow-logs")
    watch = cdk.Stack(app, "Watch", env=ENV)
    cw.CfnAlarm(watch, "Errors", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                metric_name="Errors", namespace="App", period=60, statistic="Sum", threshold=1,
                alarm_actions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:orders-alerts"])  # fmt: skip
    ec2.CfnFlowLog(watch, "Flow", resource_id="vpc-0123456789abcdef0", resource_type="VPC",
                   traffic_type="ALL", log_destination_type="s3",
                   log_destination="arn:aws:s3:::orders-flow-logs/vpc/")  # fmt: skip
    if fixed:  # the findings' fixes, as written
        orders.domain.allow_service_publisher("cloudwatch.amazonaws.com")
        _declare_flow_logs(orders.domain)
    errors = _synth_errors(app, tmp_path)
    if fixed:
        assert errors == [], [f.message for f in errors]
    else:
        assert sorted((f.rule, f.path) for f in errors) == [
            ("CDKP021", "Watch/Errors"), ("CDKP021", "Watch/Flow")], [f.message for f in errors]  # fmt: skip

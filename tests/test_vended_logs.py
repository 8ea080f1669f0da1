"""Deliveries into a domain store that AWS documents as needing the store's key policy, where the
library has no contract row (issue #19, integrations the CDK wires;
:data:`cdk_partition.knowledge.wiring.DELIVERIES`, each row with its AWS page): every log source AWS
lists as delivering to Amazon S3 through ``delivery.logs.amazonaws.com`` (not only VPC flow logs),
CloudFront standard logging, S3 Inventory, AWS Config's delivery channel and SES receipt rules.

Before, only ``AWS::EC2::FlowLog`` was read: the others into a domain store were silent, and every
delivery failed at run time (``DenyEveryoneElse`` refuses the service). Now each is CDKP021, and the
fix it prints, evaluated as written, clears it. A destination that is not a domain bucket (a Network
Firewall log into CloudWatch Logs) stays silent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_config as config
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancing as elb
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_msk as msk
from aws_cdk import aws_networkfirewall as nfw
from aws_cdk import aws_route53resolver as resolver
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from aws_cdk import aws_wafv2 as wafv2
from conftest import cdk_context, synth_errors
from test_foreign_sources import _app as partner_app
from test_integrations import _decisions
from test_oracle_iam_simulate import ACCOUNT, REGION

from cdk_partition import DomainStack
from cdk_partition.audit import Finding
from cdk_partition.knowledge.wiring import DELIVERIES

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
FIREWALL = f"arn:aws:network-firewall:{REGION}:{ACCOUNT}:firewall/edge"


def _flow_log(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="a", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])  # fmt: skip
    vpc.add_flow_log("Flow", destination=ec2.FlowLogDestination.to_s3(bucket))
    return "Orders/Vpc/Flow/FlowLog"


def _query_logs(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    resolver.CfnResolverQueryLoggingConfig(stack, "QueryLogs", destination_arn=bucket.bucket_arn)
    return "Orders/QueryLogs"


def _firewall_logs(stack: cdk.Stack, bucket: s3.IBucket, kind: str = "S3") -> str:
    config = nfw.CfnLoggingConfiguration.LogDestinationConfigProperty(
        log_destination={"bucketName": bucket.bucket_name}, log_destination_type=kind,
        log_type="FLOW",
    )  # fmt: skip
    nfw.CfnLoggingConfiguration(
        stack, "FirewallLogs", firewall_arn=FIREWALL,
        logging_configuration=nfw.CfnLoggingConfiguration.LoggingConfigurationProperty(
            log_destination_configs=[config]),
    )  # fmt: skip
    return "Orders/FirewallLogs"


def _delivery_destination(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    logs.CfnDeliveryDestination(
        stack, "Destination", name="orders-logs", destination_resource_arn=bucket.bucket_arn
    )
    return "Orders/Destination"


def _cloudfront_logs(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    cloudfront.Distribution(
        stack, "Site", enable_logging=True, log_bucket=bucket,
        default_behavior=cloudfront.BehaviorOptions(origin=origins.HttpOrigin("example.com")),
    )  # fmt: skip
    return "Orders/Site/Resource"


def _cloudfront_literal(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """The log bucket written as its domain name, as CloudFormation's page shows it."""
    del bucket
    stack.domain.bucket("Named", bucket_name="orders-logs")  # type: ignore[attr-defined]
    cloudfront.CfnDistribution(stack, "Literal", distribution_config={
        "enabled": True, "logging": {"bucket": "orders-logs.s3.amazonaws.com"},
        "defaultCacheBehavior": {"targetOriginId": "o", "viewerProtocolPolicy": "allow-all"},
        "origins": [{"id": "o", "domainName": "example.com",
                     "customOriginConfig": {"originProtocolPolicy": "https-only"}}],
    })  # fmt: skip
    return "Orders/Literal"


def _inventory(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """A bucket of another stack (no store of the domain) inventoried into the domain bucket,
    named by its literal name (a reference both ways would be a CDK dependency cycle)."""
    del bucket
    stack.domain.bucket("Inventory", bucket_name="orders-inventory")  # type: ignore[attr-defined]
    source = cdk.Stack(stack.node.root, "Source", env=ENV)
    destination = s3.Bucket.from_bucket_name(source, "Destination", "orders-inventory")
    s3.Bucket(source, "Docs", inventories=[
        s3.Inventory(destination=s3.InventoryDestination(bucket=destination))])  # fmt: skip
    return "Source/Docs/Resource"


def _config_channel(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    config.CfnDeliveryChannel(stack, "Channel", s3_bucket_name=bucket.bucket_name)
    return "Orders/Channel"


def _vpc(stack: cdk.Stack) -> ec2.Vpc:
    return ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)


def _nlb_logs(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """A Network Load Balancer's access logs (``log_access_logs``; the CDK's bucket policy
    names Elastic Load Balancing's account besides delivery.logs.amazonaws.com)."""
    elbv2.NetworkLoadBalancer(stack, "Lb", vpc=_vpc(stack)).log_access_logs(bucket)
    return "Orders/Lb/Resource"


def _trail(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """A trail of another stack writing into the domain bucket (the trail itself on no key)."""
    audit = cdk.Stack(stack.node.root, "Audit", env=ENV)
    cloudtrail.Trail(audit, "Trail", bucket=bucket)
    return "Audit/Trail/Resource"


def _trail_notifications(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """A trail notifying a domain topic of its log deliveries (its logs into a bucket outside
    the domain): silent before (an attack; the CloudTrail row covered its bucket only)."""
    del bucket
    audit = cdk.Stack(stack.node.root, "Audit", env=ENV)
    cloudtrail.CfnTrail(audit, "Notified", is_logging=True, s3_bucket_name="audit-trail-logs",
                        sns_topic_name=stack.domain.topic("Trails").topic_name)  # type: ignore[attr-defined]  # fmt: skip
    return "Audit/Notified"


def _ses_sending_events(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """An SES configuration set publishing its sending events to a domain topic (silent before:
    an attack)."""
    del bucket
    ses.ConfigurationSet(stack, "Sending").add_event_destination(
        "ToTopic",
        destination=ses.EventDestination.sns_topic(stack.domain.topic("Sent")),  # type: ignore[attr-defined]
    )
    return "Orders/Sending/ToTopic/Resource"


def _trail_on_the_key(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """A trail of the domain encrypting with the domain key into a domain bucket: the contract
    statements of the trail leave out CloudTrail's unconditioned kms:Decrypt, which a bucket with
    an S3 Bucket Key needs (AWS's page): silent before this row."""
    cloudtrail.Trail(stack, "Trail", bucket=bucket, encryption_key=stack.domain.key)  # type: ignore[attr-defined]
    return "Orders/Trail/Resource"


def _msk_broker_logs(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    """An MSK cluster of another stack writing its broker logs into the domain bucket (an attack
    found it silent: the delivery failed at run time)."""
    kafka = cdk.Stack(stack.node.root, "Kafka", env=ENV)
    msk.CfnCluster(
        kafka, "Cluster", cluster_name="events", kafka_version="3.6.0", number_of_broker_nodes=2,
        broker_node_group_info=msk.CfnCluster.BrokerNodeGroupInfoProperty(
            client_subnets=["subnet-0a", "subnet-0b"], instance_type="kafka.m5.large"),
        logging_info=msk.CfnCluster.LoggingInfoProperty(
            broker_logs=msk.CfnCluster.BrokerLogsProperty(
                s3=msk.CfnCluster.S3Property(enabled=True, bucket=bucket.bucket_name))),
    )  # fmt: skip
    return "Kafka/Cluster"


def _waf_logs(stack: cdk.Stack, bucket: s3.IBucket) -> str:
    wafv2.CfnLoggingConfiguration(stack, "WafLogs", log_destination_configs=[bucket.bucket_arn],
        resource_arn=f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/edge/abc")  # fmt: skip
    return "Orders/WafLogs"


def _ses_rule(action: Callable[[DomainStack], Any]) -> Callable[[cdk.Stack, s3.IBucket], str]:
    def build(stack: cdk.Stack, bucket: s3.IBucket) -> str:
        del bucket
        ses.ReceiptRuleSet(stack, "Inbound", rules=[
            ses.ReceiptRuleOptions(actions=[action(stack)])])  # type: ignore[arg-type]  # fmt: skip
        return "Orders/Inbound/Rule0/Resource"

    return build


_SES_S3 = _ses_rule(lambda orders: ses_actions.S3(bucket=orders.domain.bucket("Mail")))
_SES_SNS = _ses_rule(lambda orders: ses_actions.Sns(topic=orders.domain.topic("Mail")))

#: (case, the source type of its DELIVERIES row, the builder: its resource's construct path).
SOURCES: list[tuple[str, str, Callable[[cdk.Stack, s3.IBucket], str]]] = [
    ("flow-log", "AWS::EC2::FlowLog", _flow_log),
    ("query-logs", "AWS::Route53Resolver::ResolverQueryLoggingConfig", _query_logs),
    ("firewall", "AWS::NetworkFirewall::LoggingConfiguration", _firewall_logs),
    ("delivery-destination", "AWS::Logs::DeliveryDestination", _delivery_destination),
    ("cloudfront", "AWS::CloudFront::Distribution", _cloudfront_logs),
    ("cloudfront-literal", "AWS::CloudFront::Distribution", _cloudfront_literal),
    ("inventory", "AWS::S3::Bucket", _inventory),
    ("config", "AWS::Config::DeliveryChannel", _config_channel),
    ("nlb", "AWS::ElasticLoadBalancingV2::LoadBalancer", _nlb_logs),
    ("trail", "AWS::CloudTrail::Trail", _trail),
    ("trail-on-the-key", "AWS::CloudTrail::Trail", _trail_on_the_key),
    ("trail-notifications", "AWS::CloudTrail::Trail", _trail_notifications),
    ("ses-sending-events", "AWS::SES::ConfigurationSetEventDestination", _ses_sending_events),
    ("waf", "AWS::WAFv2::LoggingConfiguration", _waf_logs),
    ("msk", "AWS::MSK::Cluster", _msk_broker_logs),
    ("ses-s3", "AWS::SES::ReceiptRule", _SES_S3),
    ("ses-sns", "AWS::SES::ReceiptRule", _SES_SNS),
]


def _app(out: Path) -> tuple[cdk.App, DomainStack]:
    """An app with a principals stack and domain ``orders`` (the CDK's default flags)."""
    return partner_app(out, flag=False)


def _errors(app: cdk.App, out: Path) -> list[Finding]:
    return synth_errors(app, out)  # type: ignore[no-any-return]


def _apply(fix: str, domain: Any) -> None:
    """Evaluate the ``domain.allow_service(...)`` call a finding's fix prints, as written."""
    call = re.search(r"`(domain\.allow_service\(.*?\))`", fix)
    assert call is not None, fix
    eval(call.group(1), {"domain": domain})  # the library's own fix text, as written


def test_every_delivery_row_has_a_source_here() -> None:
    """A source type added to the table without a case here would be untested."""
    documented = {d.source_type for d in DELIVERIES if d.customer_key and d.documented}
    assert documented == {t for _, t, _ in SOURCES}
    # the rows AWS documents no principal for: tests/test_unencrypted_topics.py
    assert {d.source_type for d in DELIVERIES if not d.documented} == {
        "AWS::DocDB::EventSubscription", "AWS::Neptune::EventSubscription"}  # fmt: skip
    # the rows AWS supports no customer managed key for: the CDKP026 tests at the end of this
    # module (buckets) and in tests/test_unencrypted_topics.py (topics)
    assert {d.source_type for d in DELIVERIES if not d.customer_key} == {
        "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancing::LoadBalancer",
        "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ReplicationGroup",
        "AWS::Config::DeliveryChannel"}  # fmt: skip


@pytest.mark.parametrize(("case", "source_type", "build"), SOURCES, ids=[c for c, _, _ in SOURCES])
def test_a_delivery_into_a_domain_store_is_cdkp021_and_the_fix_passes(
    tmp_path: Path, case: str, source_type: str, build: Callable[[cdk.Stack, s3.IBucket], str]
) -> None:
    del case
    app, orders = _app(tmp_path / "before")
    path = build(orders, orders.domain.bucket("Logs"))
    before = _errors(app, tmp_path / "before")
    assert [(f.rule, f.path) for f in before] == [("CDKP021", path)], [f.message for f in before]
    services = {d.service for d in DELIVERIES if d.source_type == source_type}
    assert any(service in before[0].message for service in services), before[0].message

    app, orders = _app(tmp_path / "after")
    build(orders, orders.domain.bucket("Logs"))
    _apply(before[0].fix or "", orders.domain)
    after = _errors(app, tmp_path / "after")
    assert after == [], [f.message for f in after]
    # the independent simulator on the key policy as deployed: the requests AWS makes for the
    # delivery (the delivering stack's account, and the source ARN AWS documents) are allowed
    row = next(d for d in DELIVERIES if d.source_type == source_type and d.page in before[0].fix)
    ours, theirs = _decisions(_delivery_cases(tmp_path / "after", row))
    assert ours == theirs == ["allow"] * len(row.actions), (ours, theirs)


def _delivery_cases(out: Path, row: Any) -> list[Any]:
    """The KMS requests of ``row``'s delivery from this module's account and region, against the
    Orders key policy as deployed."""
    from test_integrations import _concrete_key_policy
    from test_oracle_iam_simulate import Case, service

    context = {"aws:SourceAccount": ACCOUNT}
    if row.source_arn:
        arn = row.source_arn.format(partition="aws", region=REGION, account=ACCOUNT)
        context["aws:SourceArn"] = arn + "source"
    policy = _concrete_key_policy(out)
    return [Case("delivery", policy, service(row.service), a, context) for a in row.actions]


def test_a_firewall_log_into_cloudwatch_logs_is_no_bucket_delivery(tmp_path: Path) -> None:
    """The row holds only where ``LogDestinationType`` is ``S3`` (read in the list item)."""
    app, orders = _app(tmp_path)
    _firewall_logs(orders, orders.domain.bucket("Logs"), kind="CloudWatchLogs")
    assert _errors(app, tmp_path) == []


PARTNER = "999988887777"


def _partner_flow_log(out: Path, fix: str | None) -> tuple[list[Finding], Any]:
    """A flow log of a stack in another account delivering into the central domain bucket,
    named by its literal ARN; ``fix``: an ``allow_service`` call to evaluate first."""
    app, orders = _app(out)
    orders.domain.bucket("Central", bucket_name="orders-central-logs")
    if fix:
        _apply(fix, orders.domain)
    partner = cdk.Stack(app, "Partner", env=cdk.Environment(account=PARTNER, region=REGION))
    vpc = ec2.Vpc(partner, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="a", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])  # fmt: skip
    vpc.add_flow_log("Flow", destination=ec2.FlowLogDestination.to_s3(
        s3.Bucket.from_bucket_arn(partner, "Central", "arn:aws:s3:::orders-central-logs")))  # fmt: skip
    return _errors(app, out), orders


def test_a_delivery_from_another_account_names_that_account_and_passes(tmp_path: Path) -> None:
    """The request carries the delivering resource's account as aws:SourceAccount: the fix
    names the partner's account (it named the key's, which the audit then accepted while AWS
    refused), the allow_service door takes it, and CDKP106 accepts the account the app wires a
    delivery from. The evaluator and the simulator allow the request AWS makes."""
    from test_integrations import _concrete_key_policy, _decisions
    from test_oracle_iam_simulate import Case, service

    before, _ = _partner_flow_log(tmp_path / "before", None)
    assert [f.rule for f in before] == ["CDKP021"], [f.message for f in before]
    assert f"'aws:SourceAccount': '{PARTNER}'" in (before[0].fix or ""), before[0].fix
    after, _ = _partner_flow_log(tmp_path / "after", before[0].fix)
    assert after == [], [f.message for f in after]
    policy = _concrete_key_policy(tmp_path / "after")
    context = {"aws:SourceAccount": PARTNER,
               "aws:SourceArn": f"arn:aws:logs:{REGION}:{PARTNER}:delivery-source/flow"}  # fmt: skip
    cases = [Case("logs", policy, service("delivery.logs.amazonaws.com"), a, context)
             for a in ("kms:GenerateDataKey", "kms:Decrypt")]  # fmt: skip
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow", "allow"], (ours, theirs)


def test_a_statement_for_other_sources_does_not_clear_the_delivery(tmp_path: Path) -> None:
    """The question is the request AWS makes (this source's account and its logs ARN), not any
    request: a statement for another region's logs left the audit silent."""
    fix = (
        "`domain.allow_service('delivery.logs.amazonaws.com', actions=['kms:GenerateDataKey', "
        f"'kms:Decrypt'], conditions={{'StringEquals': {{'aws:SourceAccount': '{PARTNER}'}}, "
        f"'ArnLike': {{'aws:SourceArn': 'arn:aws:logs:us-east-1:{PARTNER}:*'}}}}, "
        f"source={DELIVERIES[0].page!r})`"
    )
    errors, _ = _partner_flow_log(tmp_path, fix)
    assert [f.rule for f in errors] == ["CDKP021"], [f.message for f in errors]


def test_a_pseudo_parameter_in_a_declared_condition_is_substituted(tmp_path: Path) -> None:
    """An environment-agnostic stack's fix names ``${AWS::AccountId}``: written as a plain string
    CloudFormation keeps it literal (no request carries it); allow_service makes it Fn::Sub."""
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    people = cdk.Stack(app, "Principals")
    orders = DomainStack(app, "Orders", domain_name="orders",
                         administrators=[iam.User(people, "ci", user_name="ci")])  # fmt: skip
    statement = orders.domain.allow_service(
        "delivery.logs.amazonaws.com", actions=["kms:GenerateDataKey"],
        conditions={"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"}},
        source=DELIVERIES[0].page,
    )  # fmt: skip
    resolved = orders.resolve(statement.to_statement_json())
    assert resolved["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Fn::Sub": "${AWS::AccountId}"}}
    }, resolved


def _alb_logs(out: Path, *, fixed: bool) -> list[Finding]:
    """An Application Load Balancer logging into a bucket of the domain stack that the one switch
    (``encryption_at_rest()``) puts on the domain key; ``fixed``: CDKP026's fix as written (an
    SSE-S3 bucket in a stack that is no domain's)."""
    app, orders = _app(out)
    if fixed:
        edge = cdk.Stack(app, "Edge", env=ENV)
        bucket = s3.Bucket(edge, "Logs", encryption=s3.BucketEncryption.S3_MANAGED)
    else:
        bucket = s3.Bucket(orders, "Logs")
    elbv2.ApplicationLoadBalancer(orders, "Lb", vpc=_vpc(orders)).log_access_logs(bucket)
    cdk.Mixins.of(orders).apply(orders.domain.encryption_at_rest())
    return _errors(app, out)


def test_alb_access_logs_into_a_domain_bucket_are_cdkp026_and_the_fix_passes(
    tmp_path: Path,
) -> None:
    """AWS supports only SSE-S3 for ALB access logs: no key policy lets them into a domain bucket.
    Before: CDKP019 on Elastic Load Balancing's account with a fix that cannot work (name roles in
    the key policy). Now CDKP026 on the load balancer, and its fix, applied as written, passes.
    The account the CDK names in the bucket policy is no principal of the app (no CDKP019)."""
    before = _alb_logs(tmp_path / "before", fixed=False)
    assert [(f.rule, f.path) for f in before] == [("CDKP026", "Orders/Lb/Resource")], [
        f.message for f in before
    ]
    assert "Amazon S3-managed keys (SSE-S3)" in before[0].message, before[0].message
    assert "S3_MANAGED" in (before[0].fix or ""), before[0].fix
    after = _alb_logs(tmp_path / "after", fixed=True)
    assert after == [], [f.message for f in after]


def test_an_alb_on_an_l2_domain_bucket_is_refused_by_the_cdk(tmp_path: Path) -> None:
    """The store method's bucket carries the key on the L2: the CDK itself refuses it at
    construct time (the refusal comes before synth, with its reason)."""
    app, orders = _app(tmp_path)
    lb = elbv2.ApplicationLoadBalancer(orders, "Lb", vpc=_vpc(orders))
    with pytest.raises(RuntimeError, match="KMS keys is unsupported"):
        lb.log_access_logs(orders.domain.bucket("Logs"))
    del app


def test_an_nlb_bucket_policy_account_is_not_an_app_principal(tmp_path: Path) -> None:
    """The account of Elastic Load Balancing the CDK names in an access-log bucket's policy (to
    put objects) is no principal of the app; an account of the app named the same way still is
    (CDKP019), and so is an outside account allowed to read the bucket."""
    app, orders = _app(tmp_path)
    bucket = orders.domain.bucket("Logs")
    _nlb_logs(orders, bucket)
    row = next(
        d for d in DELIVERIES if d.source_type.endswith("V2::LoadBalancer") and d.customer_key
    )
    orders.domain.allow_service(row.service, actions=list(row.actions), conditions={
        "StringEquals": {"aws:SourceAccount": ACCOUNT}}, source=row.page)  # CDKP021's fix  # fmt: skip
    bucket.add_to_resource_policy(iam.PolicyStatement(
        actions=["s3:PutObject"], resources=[bucket.arn_for_objects("*")],
        principals=[iam.AccountPrincipal("444455556666")]))  # fmt: skip
    cdk.Stack(app, "Partner", env=cdk.Environment(account="444455556666", region=REGION))
    # an account of no stack, allowed to read the logs bucket: a principal, not the delivery
    bucket.add_to_resource_policy(iam.PolicyStatement(
        actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")],
        principals=[iam.AccountPrincipal("777788889999")]))  # fmt: skip
    errors = _errors(app, tmp_path)
    named = sorted(a for f in errors for a in ("444455556666", "777788889999") if a in f.message)
    assert [f.rule for f in errors] == ["CDKP019", "CDKP019"], [f.message for f in errors]
    assert named == ["444455556666", "777788889999"], [f.message for f in errors]


def test_classic_load_balancer_access_logs_into_a_domain_bucket_are_cdkp026(tmp_path: Path) -> None:
    """A Classic Load Balancer encrypts each access log file with SSE-S3 (AWS's page): a domain
    bucket is CDKP026 too, read from ``AccessLoggingPolicy.S3BucketName``."""
    app, orders = _app(tmp_path)
    bucket = orders.domain.bucket("Logs")
    elb.CfnLoadBalancer(orders, "Classic", availability_zones=["us-east-1a"], listeners=[
        elb.CfnLoadBalancer.ListenersProperty(
            instance_port="80", load_balancer_port="80", protocol="HTTP")],
        access_logging_policy=elb.CfnLoadBalancer.AccessLoggingPolicyProperty(
            enabled=True, s3_bucket_name=bucket.bucket_name))  # fmt: skip
    errors = _errors(app, tmp_path)
    assert [(f.rule, f.path) for f in errors] == [("CDKP026", "Orders/Classic")], [
        f.message for f in errors
    ]
    assert "encrypted using SSE-S3" in errors[0].message, errors[0].message


def test_a_trails_own_statement_for_its_topic_gets_the_delivery_fix(tmp_path: Path) -> None:
    """``cloudtrail.Trail(sns_topic=<domain topic>)``: the L2 writes CloudTrail's statement on
    the topic's key itself, which the contract of CloudTrail's log files (another page) refuses
    (CDKP106). The fix was the rule's generic doors, the first of which refuses CloudTrail (an
    attack); now it is the statement AWS documents for the notifications, in place of the L2's,
    and it passes as written."""

    def build(orders: DomainStack) -> None:
        audit = cdk.Stack(orders.node.root, "Audit", env=ENV)
        logs_bucket = s3.Bucket(audit, "TrailLogs", encryption=s3.BucketEncryption.S3_MANAGED)
        cloudtrail.Trail(audit, "Trail", bucket=logs_bucket, sns_topic=orders.domain.topic("T"))

    app, orders = _app(tmp_path / "before")
    build(orders)
    before = _errors(app, tmp_path / "before")
    assert before and {f.rule for f in before} == {"CDKP106"}, [f.message for f in before]
    fixes = {f.fix for f in before}
    assert all("replace_cdk_statements=True" in (f or "") for f in fixes), fixes
    assert all("cloudtrail-permissions-for-sns-notifications" in (f or "") for f in fixes)
    app, orders = _app(tmp_path / "after")
    build(orders)
    _apply(next(iter(fixes)) or "", orders.domain)
    assert _errors(app, tmp_path / "after") == []


def test_a_finding_on_the_apps_own_statement_keeps_its_fix(tmp_path: Path) -> None:
    """The delivery's fix replaces the rule's only for the statement the L2 wrote: a statement
    the app declared itself, scoped to another account, keeps "scope it by this account" (an
    attack: the replacement, applied as written, left the finding in place)."""
    app, orders = _app(tmp_path)
    audit = cdk.Stack(orders.node.root, "Audit", env=ENV)
    logs_bucket = s3.Bucket(audit, "TrailLogs", encryption=s3.BucketEncryption.S3_MANAGED)
    cloudtrail.Trail(audit, "Trail", bucket=logs_bucket, sns_topic=orders.domain.topic("T"))
    orders.domain.allow_service(
        "cloudtrail.amazonaws.com", actions=["kms:GenerateDataKey", "kms:Decrypt"],
        conditions={"StringEquals": {"aws:SourceAccount": "999988887777"}},
        source=next(d.page for d in DELIVERIES if d.destination == "SnsTopicName"),
    )  # fmt: skip
    found = [f for f in _errors(app, tmp_path) if "another account" in f.message]
    assert found and all("the app wires" not in (f.fix or "") for f in found), [
        (f.message, f.fix) for f in found
    ]

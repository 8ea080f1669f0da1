"""Store methods are the L2 plus the encryption mixin (issue #21 item 4): one path, so what a
store method puts on the key cannot drift from what ``domain.encryption_at_rest()`` does."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from test_stores import PK, _domain, _make_all

from cdk_partition import DataDomain
from cdk_partition.constructs.mixin import DomainEncryptionAtRest

ENV = cdk.Environment(account="111122223333", region="us-east-1")


def _stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "S", env=ENV)


def _isolated_vpc(stack: cdk.Stack) -> ec2.Vpc:
    return ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        max_azs=2,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )


@pytest.fixture(scope="module")
def visited() -> tuple[dict[str, Any], set[str]]:
    """Every store method's store, and the construct paths the mixin was applied to."""
    seen: set[str] = set()
    original = DomainEncryptionAtRest.apply_to

    def recording(self: DomainEncryptionAtRest, construct: Any) -> None:
        seen.add(construct.node.path)
        original(self, construct)

    patch = pytest.MonkeyPatch()
    patch.setattr(DomainEncryptionAtRest, "apply_to", recording)
    try:
        stack = _stack()
        stores = _make_all(_domain(stack), _isolated_vpc(stack))
    finally:
        patch.undo()
    return stores, seen


_THROUGH_THE_MIXIN = [
    "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::DynamoDB::Table",
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::Kinesis::Stream", "AWS::Logs::LogGroup", "AWS::EC2::Volume", "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster", "AWS::EFS::FileSystem", "AWS::SecretsManager::Secret",
    "AWS::Backup::BackupVault", "AWS::ECR::Repository", "AWS::Events::EventBus",
    "AWS::OpenSearchService::Domain", "AWS::DocDB::DBCluster",
]  # fmt: skip


@pytest.mark.parametrize("cfn_type", _THROUGH_THE_MIXIN)
def test_store_method_goes_through_the_mixin(
    visited: tuple[dict[str, Any], set[str]], cfn_type: str
) -> None:
    stores, seen = visited
    l1s = [
        n.node.path
        for n in stores[cfn_type].node.find_all()
        if isinstance(n, cdk.CfnResource) and n.cfn_resource_type == cfn_type
    ]
    assert l1s and set(l1s) <= seen, f"{cfn_type}: {l1s} not applied ({sorted(seen)[:5]}...)"


@pytest.mark.parametrize("multi_region", [False, True], ids=["declared-keys", "multi-region"])
def test_table_v2_goes_through_the_mixin(multi_region: bool) -> None:
    """``table_v2`` with a replica in another region: the L2 plus the mixin, which finds each
    replica on the domain's key of its region (no conflict) and leaves it there."""
    seen: set[str] = set()
    original = DomainEncryptionAtRest.apply_to

    def recording(self: DomainEncryptionAtRest, construct: Any) -> None:
        seen.add(construct.node.path)
        original(self, construct)

    stack = _stack()
    domain = DataDomain(
        stack,
        "Domain",
        domain_name="orders",
        administrators=[iam.ArnPrincipal("arn:aws:iam::111122223333:role/admin")],
        replica_regions=["eu-west-1"] if multi_region else (),
    )
    keys = None if multi_region else {"eu-west-1": "arn:aws:kms:eu-west-1:111122223333:key/k"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DomainEncryptionAtRest, "apply_to", recording)
        table = domain.table_v2(
            "Global",
            partition_key=PK,
            replicas=[dynamodb.ReplicaTableProps(region="eu-west-1")],
            replica_key_arns=keys,
        )
    cfn = table.node.default_child
    assert isinstance(cfn, cdk.CfnResource) and cfn.node.path in seen
    replicas = Template.from_stack(stack).find_resources("AWS::DynamoDB::GlobalTable")
    (props,) = [r["Properties"] for r in replicas.values()]
    west = next(r for r in props["Replicas"] if r["Region"] == "eu-west-1")
    text = str(west["SSESpecification"]["KMSMasterKeyId"])
    assert (":kms:eu-west-1:" in text) if multi_region else text == keys["eu-west-1"], west  # type: ignore[index]


def test_generated_database_secrets_go_through_the_mixin(
    visited: tuple[dict[str, Any], set[str]],
) -> None:
    stores, seen = visited
    for cfn_type in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::DocDB::DBCluster"):
        secrets = [
            n.node.path
            for n in stores[cfn_type].node.find_all()
            if isinstance(n, cdk.CfnResource)
            and n.cfn_resource_type == "AWS::SecretsManager::Secret"
        ]
        assert secrets and set(secrets) <= seen, cfn_type


def _key_ref(stack: cdk.Stack) -> dict[str, Any]:
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key")
    return {"Fn::GetAtt": [key, "Arn"]}


@pytest.mark.parametrize(
    ("make", "cfn_type"),
    [
        # an encryption mode without a key made the L2 create a key of its own, which the mixin
        # then met as another key
        (
            lambda d: d.table(
                "T", partition_key=PK, encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED
            ),
            "AWS::DynamoDB::Table",
        ),
        (lambda d: d.bucket("B", encryption=s3.BucketEncryption.KMS), "AWS::S3::Bucket"),
        (lambda d: d.stream("K", encryption=kinesis.StreamEncryption.KMS), "AWS::Kinesis::Stream"),
    ],
    ids=["table", "bucket", "stream"],
)
def test_the_domain_keys_own_mode_makes_no_second_key(make: Any, cfn_type: str) -> None:
    stack = _stack()
    make(_domain(stack))
    template = Template.from_stack(stack)
    assert len(template.find_resources("AWS::KMS::Key")) == 1
    (props,) = [r["Properties"] for r in template.find_resources(cfn_type).values()]
    assert str(_key_ref(stack)) in str(props)


def test_cluster_instances_performance_insights_on_the_domain_key() -> None:
    # the store method now does what the mixin does: the Performance Insights of a cluster's
    # instances too (before, only database_instance set it)
    stack = _stack()
    _domain(stack).database_cluster(
        "C",
        engine=rds.DatabaseClusterEngine.aurora_postgres(
            version=rds.AuroraPostgresEngineVersion.VER_16_4
        ),
        writer=rds.ClusterInstance.provisioned(
            "W", instance_type=ec2.InstanceType("r6g.large"), enable_performance_insights=True
        ),
        vpc=_isolated_vpc(stack),
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
    )
    (instance,) = Template.from_stack(stack).find_resources("AWS::RDS::DBInstance").values()
    assert instance["Properties"]["PerformanceInsightsKMSKeyId"] == _key_ref(stack)


def _event_bus_statement(stack: cdk.Stack) -> dict[str, Any]:
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    (statement,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowEventBridgeEventBuses"
    ]
    return statement


def test_an_event_bus_the_mixin_puts_on_the_key_gets_eventbridge_contract() -> None:
    # the contract follows the bus by CloudFormation type: a plain L2 plus the mixin gets the
    # same statement as domain.event_bus (before, only the L2 given the key added CDK's own)
    stack = _stack()
    domain = _domain(stack)
    events.EventBus(stack, "Bus", event_bus_name="orders").with_(domain.encryption_at_rest())
    statement = _event_bus_statement(stack)
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    condition = statement["Condition"]["StringEquals"]
    assert condition["aws:SourceAccount"] == "111122223333"
    assert "event-bus/orders" in str(condition["aws:SourceArn"])
    assert condition["kms:EncryptionContext:aws:events:event-bus:arn"] == condition["aws:SourceArn"]
    assert set(statement["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    # DescribeKey carries no encryption context: its own statement, as AWS writes it
    policy = Template.from_stack(stack).find_resources("AWS::KMS::Key")
    (key,) = policy.values()
    (describe,) = [
        s for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowEventBridgeDescribeKey"
    ]  # fmt: skip
    assert describe["Action"] == "kms:DescribeKey" and "Condition" not in describe


def test_delivery_streams_own_log_group_is_on_the_domain_key() -> None:
    """``delivery_stream`` is the L2 plus the mixin: the error log group its S3 destination
    creates by default is on the domain key too (before: a finding the user had to fix with a
    log group of the domain)."""
    from aws_cdk import aws_kinesisfirehose as firehose

    stack = _stack()
    domain = _domain(stack)
    domain.delivery_stream("Archive", destination=firehose.S3Bucket(domain.bucket("Docs")))
    groups = Template.from_stack(stack).find_resources("AWS::Logs::LogGroup")
    assert groups and all(
        g["Properties"].get("KmsKeyId") == _key_ref(stack) for g in groups.values()
    ), groups

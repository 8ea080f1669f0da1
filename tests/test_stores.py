"""Store methods: every kind lands on the domain key, refuses conflicting encryption, and adds
only the scoped key-policy statements its service needs."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_docdb as docdb
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from cdk_partition import ConflictingEncryptionError, DataDomain, DomainStack
from cdk_partition.knowledge.catalogue import classify

ADMIN = "arn:aws:iam::111122223333:role/admin"
PK = {"name": "pk", "type": dynamodb.AttributeType.STRING}


def _domain(stack: cdk.Stack, name: str = "orders") -> DataDomain:
    admin = iam.Role.from_role_arn(stack, f"Admin{name}", ADMIN)
    return DataDomain(stack, "Domain", domain_name=name, administrators=[admin])


def _make_all(d: DataDomain, vpc: ec2.IVpc) -> dict[str, Any]:
    bucket = d.bucket("Bucket")
    return {
        "AWS::S3::Bucket": bucket,
        "AWS::SQS::Queue": d.queue("Queue", dead_letter_max_receive_count=3),
        "AWS::SNS::Topic": d.topic("Topic"),
        "AWS::DynamoDB::Table": d.table("Table", partition_key=PK),
        "AWS::Kinesis::Stream": d.stream("Stream", shard_count=1),
        "AWS::KinesisFirehose::DeliveryStream": d.delivery_stream(
            "Firehose",
            destination=firehose.S3Bucket(
                bucket, logging_config=firehose.EnableLogging(d.log_group("FirehoseErrors"))
            ),
        ),
        "AWS::Logs::LogGroup": d.log_group("Logs", log_group_name="/orders/app"),
        "AWS::EC2::Volume": d.volume(
            "Volume", availability_zone="us-east-1a", size=cdk.Size.gibibytes(1)
        ),
        "AWS::RDS::DBInstance": d.database_instance(
            "Db",
            engine=rds.DatabaseInstanceEngine.POSTGRES,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            enable_performance_insights=True,
        ),
        "AWS::RDS::DBCluster": d.database_cluster(
            "Cluster",
            engine=rds.DatabaseClusterEngine.aurora_postgres(
                version=rds.AuroraPostgresEngineVersion.VER_16_4
            ),
            writer=rds.ClusterInstance.serverless_v2("Writer"),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ),
        "AWS::EFS::FileSystem": d.file_system(
            "Files",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ),
        "AWS::SecretsManager::Secret": d.secret("Secret"),
        "AWS::Backup::BackupVault": d.backup_vault("Vault"),
        "AWS::ECR::Repository": d.repository("Repo"),
        "AWS::Events::EventBus": d.event_bus("Bus"),
        "AWS::OpenSearchService::Domain": d.opensearch_domain(
            "Search", version=opensearch.EngineVersion.OPENSEARCH_2_17
        ),
        "AWS::DocDB::DBCluster": d.docdb_cluster(
            "DocDb",
            master_user=docdb.Login(username="docadmin"),
            instance_type=ec2.InstanceType("t4g.medium"),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ),
    }


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(
        app, "Stores", env=cdk.Environment(account="111122223333", region="us-east-1")
    )
    d = _domain(stack)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        max_azs=2,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )
    stores = _make_all(d, vpc)
    stores["AWS::DynamoDB::GlobalTable"] = d.table_v2("TableV2", partition_key=PK)
    template = Template.from_stack(stack).to_json()
    key_id = stack.resolve((d.key.node.default_child).logical_id)
    return {"template": template, "key_id": key_id, "stores": stores}


def _refers_to(value: Any, logical_id: str) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        if value.get("Fn::GetAtt", [None])[0] == logical_id:
            return True
        return any(_refers_to(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(_refers_to(v, logical_id) for v in value)
    return False


KINDS = [
    "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable", "AWS::Kinesis::Stream", "AWS::KinesisFirehose::DeliveryStream",
    "AWS::Logs::LogGroup", "AWS::EC2::Volume", "AWS::RDS::DBInstance", "AWS::RDS::DBCluster",
    "AWS::EFS::FileSystem", "AWS::SecretsManager::Secret", "AWS::Backup::BackupVault",
    "AWS::ECR::Repository", "AWS::Events::EventBus", "AWS::OpenSearchService::Domain",
    "AWS::DocDB::DBCluster",
]  # fmt: skip


@pytest.mark.parametrize("cfn_type", KINDS)
def test_every_key_slot_points_at_the_domain_key(built: dict[str, Any], cfn_type: str) -> None:
    resources = [r for r in built["template"]["Resources"].values() if r["Type"] == cfn_type]
    uses = [u for r in resources for u in classify(cfn_type, r.get("Properties")) or []]
    assert uses, f"no key slot of {cfn_type} synthesized"
    for use in uses:
        assert use.state == "customer_key", (cfn_type, use)
        assert _refers_to(use.key, built["key_id"]), (cfn_type, use)


def test_every_store_of_the_stack_is_on_the_domain_key(built: dict[str, Any]) -> None:
    """Including the ones the L2s create on their own (DLQ, generated secrets, log groups)."""
    for logical_id, resource in built["template"]["Resources"].items():
        for use in classify(resource["Type"], resource.get("Properties")) or []:
            assert use.state == "customer_key", (logical_id, use)
            assert _refers_to(use.key, built["key_id"]), (logical_id, use)


def _statements(built: dict[str, Any]) -> dict[str, dict[str, Any]]:
    key = built["template"]["Resources"][built["key_id"]]
    return {
        s.get("Sid", f"#{i}"): s for i, s in enumerate(key["Properties"]["KeyPolicy"]["Statement"])
    }


def test_logs_statement_is_scoped_to_the_log_groups(built: dict[str, Any]) -> None:
    statement = _statements(built)["AllowLogsService"]
    assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    arns = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert len(arns) == 2  # this log group, and the firehose error group (no name: any group)
    assert "log-group:/orders/app" in str(arns) and "log-group:*" in str(arns)


def test_attach_grants_only_for_aws_resources(built: dict[str, Any]) -> None:
    statement = _statements(built)["AllowGrantsForAWSResources"]
    assert statement["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    # issue #12: and through the services the domain's stores use only
    via = _statements(built)["AllowDeploymentViaServices"]["Condition"]["StringEquals"]
    assert statement["Condition"]["StringEquals"] == via
    assert set(statement["Action"]) == {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
    assert "cfn-exec-role" in str(statement["Principal"])


def test_deployment_data_access_only_via_the_services_used(built: dict[str, Any]) -> None:
    statement = _statements(built)["AllowDeploymentViaServices"]
    via = statement["Condition"]["StringEquals"]["kms:ViaService"]
    # the services of the contract rows of the store methods used (issue #12: DynamoDB's
    # CreateGrant at create time, Firehose's too)
    assert sorted(via) == sorted(
        f"{s}.us-east-1.amazonaws.com"
        for s in (
            "ec2",
            "rds",
            "secretsmanager",
            "elasticfilesystem",
            "es",
            "dynamodb",
            "firehose",
            "ecr",
            "backup",
        )
    )


def test_event_bus_statement_is_scoped_to_the_bus(built: dict[str, Any]) -> None:
    """CDK's own statement for a bus on a customer key: EventBridge as itself, for this bus."""
    statements = _statements(built)
    statement = statements["AllowEventBridgeEventBuses"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    describe = statements["AllowEventBridgeDescribeKey"]  # no encryption context to scope by
    assert describe["Action"] == "kms:DescribeKey" and "Condition" not in describe
    condition = statement["Condition"]["StringEquals"]
    assert condition["aws:SourceAccount"] == "111122223333"
    assert "event-bus/" in str(condition["aws:SourceArn"])
    assert "kms:EncryptionContext:aws:events:event-bus:arn" in condition
    assert "kms:Decrypt" in statement["Action"] and "kms:CreateGrant" not in statement["Action"]


def test_opensearch_defaults(built: dict[str, Any]) -> None:
    (domain,) = [
        r["Properties"]
        for r in built["template"]["Resources"].values()
        if r["Type"] == "AWS::OpenSearchService::Domain"
    ]
    assert domain["EncryptionAtRestOptions"]["Enabled"] is True
    assert domain["NodeToNodeEncryptionOptions"] == {"Enabled": True}
    assert domain["DomainEndpointOptions"]["EnforceHTTPS"] is True


def test_no_statement_delegates_to_the_account(built: dict[str, Any]) -> None:
    for sid, statement in _statements(built).items():
        assert ":root" not in str(statement.get("Principal")), sid


@pytest.mark.parametrize(
    ("headers", "denied"),
    [
        ({}, False),  # default encryption: the domain key
        ({"s3:x-amz-server-side-encryption": "aws:kms", "key": "DOMAIN"}, False),
        ({"s3:x-amz-server-side-encryption": "AES256"}, True),
        ({"s3:x-amz-server-side-encryption": "aws:kms:dsse", "key": "DOMAIN"}, True),
        ({"s3:x-amz-server-side-encryption": "aws:kms"}, True),  # would be aws/s3
        (
            {"s3:x-amz-server-side-encryption": "aws:kms", "key": "arn:aws:kms:us-east-1:1:key/x"},
            True,
        ),
    ],
)
def test_bucket_policy_denies_puts_under_anything_but_the_domain_key(
    built: dict[str, Any], headers: dict[str, str], denied: bool
) -> None:
    """The bucket policy under IAM evaluation (cdk_partition.policy.evaluator), header by header."""
    from cdk_partition.policy.evaluator import Request, canonicalize, evaluate

    policies = [
        r for r in built["template"]["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy"
    ]
    (policy,) = [p["Properties"]["PolicyDocument"] for p in policies if "DenyOtherKeys" in str(p)]
    domain_key_arn = canonicalize({"Fn::GetAtt": [built["key_id"], "Arn"]})
    context = {k: v for k, v in headers.items() if k != "key"}
    if "key" in headers:
        key = domain_key_arn if headers["key"] == "DOMAIN" else headers["key"]
        context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = key
    request = Request(action="s3:PutObject", principal_arn="arn:aws:iam::111122223333:role/w",
                      account="111122223333", context=context)  # fmt: skip
    assert (evaluate(policy, request) == "explicit_deny") is denied


def test_bucket_defaults(built: dict[str, Any]) -> None:
    (bucket,) = [
        r for r in built["template"]["Resources"].values() if r["Type"] == "AWS::S3::Bucket"
    ]
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["BucketKeyEnabled"]
    assert props["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True


def test_queue_dead_letter_queue_on_the_same_key(built: dict[str, Any]) -> None:
    queues = [r for r in built["template"]["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    assert len(queues) == 2
    assert any("RedrivePolicy" in q["Properties"] for q in queues)


# -- conflicting encryption settings raise, never override ---------------------------------------
def _other_key(stack: cdk.Stack) -> kms.IKey:
    return kms.Key.from_key_arn(stack, "Other", "arn:aws:kms:us-east-1:111122223333:key/other")


CONFLICTS: list[tuple[str, Callable[[DataDomain, kms.IKey], Any]]] = [
    ("bucket encryption", lambda d, k: d.bucket("B", encryption=s3.BucketEncryption.S3_MANAGED)),
    ("bucket key", lambda d, k: d.bucket("B", encryption_key=k)),
    ("queue encryption", lambda d, k: d.queue("Q", encryption=sqs.QueueEncryption.SQS_MANAGED)),
    ("queue key", lambda d, k: d.queue("Q", encryption_master_key=k)),
    ("foreign dlq", lambda d, k: d.queue("Q", dead_letter_queue=sqs.DeadLetterQueue(
        queue=sqs.Queue(d, "Plain"), max_receive_count=1))),
    ("topic", lambda d, k: d.topic("T", master_key=k)),
    ("table", lambda d, k: d.table("T", partition_key=PK, encryption=dynamodb.TableEncryption.AWS_MANAGED)),
    ("table_v2", lambda d, k: d.table_v2("T", partition_key=PK, encryption=dynamodb.TableEncryptionV2.aws_managed_key())),
    ("stream", lambda d, k: d.stream("S", encryption=kinesis.StreamEncryption.MANAGED)),
    ("delivery_stream", lambda d, k: d.delivery_stream("F", destination=firehose.S3Bucket(d.bucket("B")), encryption=firehose.StreamEncryption.aws_owned_key())),
    ("log_group", lambda d, k: d.log_group("L", encryption_key=k)),
    ("volume", lambda d, k: d.volume("V", availability_zone="us-east-1a", size=cdk.Size.gibibytes(1), encrypted=False)),
    ("file_system", lambda d, k: d.file_system("F", vpc=ec2.Vpc(d, "V"), kms_key=k)),
    ("database_instance", lambda d, k: d.database_instance("D", engine=rds.DatabaseInstanceEngine.POSTGRES, vpc=ec2.Vpc(d, "V"), storage_encrypted=False)),
    ("database_cluster", lambda d, k: d.database_cluster("C", engine=rds.DatabaseClusterEngine.aurora_postgres(version=rds.AuroraPostgresEngineVersion.VER_16_4), vpc=ec2.Vpc(d, "V"), storage_encryption_key=k)),
    ("secret", lambda d, k: d.secret("S", encryption_key=k)),
    ("backup_vault", lambda d, k: d.backup_vault("B", encryption_key=k)),
    ("repository", lambda d, k: d.repository("R", encryption=ecr.RepositoryEncryption.AES_256)),
    ("event_bus", lambda d, k: d.event_bus("E", kms_key=k)),
    ("opensearch key", lambda d, k: d.opensearch_domain("O", version=opensearch.EngineVersion.OPENSEARCH_2_17, encryption_at_rest=opensearch.EncryptionAtRestOptions(kms_key=k))),
    ("opensearch disabled", lambda d, k: d.opensearch_domain("O", version=opensearch.EngineVersion.OPENSEARCH_2_17, encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=False))),
    ("docdb storage", lambda d, k: d.docdb_cluster("C", master_user=docdb.Login(username="u"), instance_type=ec2.InstanceType("t4g.medium"), vpc=ec2.Vpc(d, "V"), storage_encrypted=False)),
    ("docdb secret key", lambda d, k: d.docdb_cluster("C", master_user=docdb.Login(username="u", kms_key=k), instance_type=ec2.InstanceType("t4g.medium"), vpc=ec2.Vpc(d, "V"))),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "make"), CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_conflicting_encryption_raises(
    kind: str, make: Callable[[DataDomain, kms.IKey], Any]
) -> None:
    stack = cdk.Stack(
        cdk.App(), "S", env=cdk.Environment(account="111122223333", region="us-east-1")
    )
    domain = _domain(stack)
    with pytest.raises(ConflictingEncryptionError, match="domain"):
        make(domain, _other_key(stack))


# -- store-level access in one call, and service publishers --------------------------------------
@pytest.fixture(scope="module")
def granted() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "G", env=cdk.Environment(account="111122223333", region="us-east-1"))
    d = _domain(stack)
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    producer = iam.Role(stack, "Producer", assumed_by=iam.AccountRootPrincipal())
    partner = iam.Role.from_role_arn(stack, "Partner", "arn:aws:iam::111122223333:role/partner")
    bucket, queue = d.bucket("B"), d.queue("Q")
    grants = [
        d.grant_store_read(bucket, reader),
        d.grant_store_write(queue, producer),
        d.grant_store_read(bucket, partner),
    ]
    d.allow_service_publisher("s3.amazonaws.com", source_arn="arn:aws:s3:::orders-uploads-*")
    d.allow_service_publisher("s3.amazonaws.com", source_arn="arn:aws:s3:::other-bucket")
    return {
        "template": Template.from_stack(stack).to_json(),
        "grants": grants,
        "ids": {n: stack.resolve(r.node.default_child.logical_id) for n, r in
                [("reader", reader), ("producer", producer)]},
        "key_id": stack.resolve(d.key.node.default_child.logical_id),
    }  # fmt: skip


def _key_statements(template: dict[str, Any], key_id: str) -> dict[str, dict[str, Any]]:
    statements = template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    return {s.get("Sid", f"#{i}"): s for i, s in enumerate(statements)}


def test_store_grants_add_the_domain_capability(granted: dict[str, Any]) -> None:
    statements = _key_statements(granted["template"], granted["key_id"])
    readers = str(statements["AllowRead"]["Principal"])
    writers = str(statements["AllowWrite"]["Principal"])
    assert granted["ids"]["reader"] in readers and "role/partner" in readers
    assert granted["ids"]["producer"] in writers
    assert granted["ids"]["producer"] in readers  # queue producers need kms:Decrypt too
    assert granted["ids"]["reader"] not in writers
    assert all(isinstance(g, iam.Grant) for g in granted["grants"])


def test_store_grant_for_an_imported_principal_stays_in_the_store_stack(
    granted: dict[str, Any],
) -> None:
    policies = [
        r for r in granted["template"]["Resources"].values() if r["Type"] == "AWS::IAM::Policy"
    ]
    partner = [p for p in policies if p["Properties"].get("Roles") == ["partner"]]
    assert partner, "the imported role's store grant is a policy of this stack"
    actions = str(partner[0]["Properties"]["PolicyDocument"])
    assert "s3:GetObject" in actions


def test_publisher_statement_is_scoped_to_its_sources(granted: dict[str, Any]) -> None:
    statements = _key_statements(granted["template"], granted["key_id"])
    statement = statements["AllowPublisherS3Sources"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert set(statement["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}  # the contract
    sources = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    assert len(sources) == 2 and "arn:aws:s3:::other-bucket" in sources
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}


def test_cross_stack_store_grants_synthesize_without_a_cycle() -> None:
    """The sample app's principals live in their own stack: store grants to them must not make
    the principals stack depend on the domain stack (which already depends on it)."""
    spec = importlib.util.spec_from_file_location(
        "sample_app_for_grants", Path(__file__).parent.parent / "sample_app" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    app = cdk.App()
    people = sample.PrincipalsStack(app, "Principals")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[people.ci])
    d = orders.domain
    bucket, queue, topic = d.bucket("B"), d.queue("Q"), d.topic("T")
    d.grant_store_read(bucket, people.app_a)  # a role
    d.grant_store_write(queue, people.app_a)
    d.grant_store_write(topic, people.person1)  # a user
    assembly = app.synth()  # a cyclic reference raises here
    principals = assembly.get_stack_by_name("Principals").template
    assert "Fn::ImportValue" not in str(principals)  # nothing points back at the domain stack
    assert not [r for r in principals["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    resources = assembly.get_stack_by_name("Orders").template["Resources"]
    policies = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::IAM::Policy"]
    assert len(policies) == 2  # one per imported grantee, in the store's stack
    role_policy = next(p for p in policies if "Roles" in p)
    actions = str(role_policy["PolicyDocument"])
    assert "s3:GetObject*" in actions and "sqs:SendMessage" in actions
    assert "Fn::ImportValue" in str(role_policy["Roles"])  # attached by name, imported
    key = next(r for r in resources.values() if r["Type"] == "AWS::KMS::Key")
    sids = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    assert "appA" in str(sids["AllowWrite"]["Principal"])
    assert "person1" in str(sids["AllowRead"]["Principal"])  # SNS producers need kms:Decrypt


def test_cross_stack_grantee_is_imported_once_or_refused_with_the_fix() -> None:
    app = cdk.App()
    people = cdk.Stack(app, "People")
    role = iam.Role(people, "R", assumed_by=iam.AccountRootPrincipal())
    imported = iam.Role.from_role_arn(people, "I", "arn:aws:iam::111122223333:role/imported")
    group = iam.Group(people, "G")
    stack = cdk.Stack(app, "Data")
    d = _domain(stack)
    bucket, queue = d.bucket("B"), d.queue("Q")
    d.grant_store_read(bucket, role)
    d.grant_store_write(queue, role)
    d.grant_store_read(bucket, imported)  # an import living in another stack: imported again
    grantees = [c.node.id for c in stack.node.children if c.node.id.startswith("Grantee")]
    assert len(grantees) == 2  # one per principal, reused across grants
    with pytest.raises(ValueError, match="cyclic cross-stack reference"):
        d.grant_store_read(bucket, group)

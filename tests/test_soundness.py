"""Issue #11: no store escapes, and correct code is not refused.

Each case is one of the issue's replayed reports (it passed ``cdk synth`` and ``cdk-partition
audit`` on 3a6fd2e, or was refused there) and stands for its kind. The apps are synthesized once
per module; synthesis fails through the plugin where a store escapes, and the audit of the same
cloud assembly (the CLI's verdict) is what the assertions read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dms as dms
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from conftest import cdk_context, isolated_vpc
from constructs import Construct

from cdk_partition import DataDomain, DomainEncryptionChecks, DomainStack, Finding, audit_path
from cdk_partition.audit import failing
from cdk_partition.cli import main

ADMIN = "arn:aws:iam::111122223333:role/admin"
ACCOUNT, REGION = "111122223333", "eu-west-1"
FOREIGN = "999999999999"


def _admins(scope: Construct, id: str = "Ids") -> list[iam.IRole]:
    return [iam.Role.from_role_arn(cdk.Stack(scope, id), "Admin", ADMIN)]


def _synth(app: cdk.App, outdir: Path, *, fails: bool) -> list[Finding]:
    if fails:
        with pytest.raises(Exception, match="ValidationFailed"):
            app.synth()
    else:
        app.synth()
    return audit_path(outdir)


def _at(findings: list[Finding], path_part: str) -> list[Finding]:
    return [f for f in findings if path_part in f.path]


def _rules(findings: list[Finding], path_part: str) -> set[str]:
    return {f.rule for f in _at(findings, path_part) if not f.exempted}


# -- stores that escaped -----------------------------------------------------------------------
def _escapes(outdir: Path) -> cdk.App:
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    esc = DomainStack(app, "Esc", domain_name="esc", administrators=_admins(app), env=env)
    d = esc.domain

    # the key identity is compared by ARN parts, not by alias name: another account's alias
    sqs.CfnQueue(
        esc, "ForeignAliasQueue", kms_master_key_id=f"arn:aws:kms:{REGION}:{FOREIGN}:alias/esc"
    )
    sqs.CfnQueue(  # ... and another region's
        esc, "OtherRegionAliasQueue", kms_master_key_id=f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/esc"
    )

    # a read replica inherits its key from its source: one outside the template ...
    rds.CfnDBInstance(
        esc,
        "ReplicaOfOutsider",
        db_instance_class="db.t4g.micro",
        source_db_instance_identifier=f"arn:aws:rds:{REGION}:{ACCOUNT}:db:outsider",
    )
    # ... and one of the template on another key
    other_key = kms.Key(esc, "OtherKey")
    source = rds.CfnDBInstance(
        esc,
        "SourceOnOtherKey",
        db_instance_class="db.t4g.micro",
        engine="postgres",
        allocated_storage="20",
        storage_encrypted=True,
        kms_key_id=other_key.key_arn,
    )
    rds.CfnDBInstance(
        esc,
        "ReplicaOfOtherKey",
        db_instance_class="db.t4g.micro",
        source_db_instance_identifier=source.ref,
    )
    exempt_other = source  # the source itself is reported too (CDKP004)
    assert exempt_other is not None

    # EBS volumes launched from block device mappings: an instance, a launch template
    vpc = isolated_vpc(esc)
    aws_ebs = kms.Alias.from_alias_name(esc, "AwsEbs", "alias/aws/ebs")
    for name, volume in (
        ("PlainDiskInstance", ec2.BlockDeviceVolume.ebs(8, encrypted=False)),
        ("ManagedKeyInstance", ec2.BlockDeviceVolume.ebs(8, encrypted=True, kms_key=aws_ebs)),
    ):
        ec2.Instance(
            esc,
            name,
            vpc=vpc,
            instance_type=ec2.InstanceType("t3.micro"),
            machine_image=ec2.MachineImage.latest_amazon_linux2023(),
            block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=volume)],
        )
    ec2.LaunchTemplate(
        esc,
        "PlainDiskTemplate",
        block_devices=[
            ec2.BlockDevice(
                device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(8, encrypted=False)
            )
        ],
    )
    # a DMS replication instance on its AWS managed key
    dms.CfnReplicationInstance(esc, "Dms", replication_instance_class="dms.t3.micro")
    # a domain bucket replicating onto aws/s3 and onto another account's key
    replicating = d.bucket("Replicating", versioned=True)
    cfn_replicating = replicating.node.default_child
    assert isinstance(cfn_replicating, s3.CfnBucket)
    cfn_replicating.add_property_override(
        "ReplicationConfiguration",
        {
            "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
            "Rules": [
                {
                    "Status": "Enabled",
                    "Destination": {
                        "Bucket": "arn:aws:s3:::replica-managed",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": "alias/aws/s3"},
                    },
                    "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                },
                {
                    "Status": "Enabled",
                    "Destination": {
                        "Bucket": "arn:aws:s3:::replica-foreign",
                        "EncryptionConfiguration": {
                            "ReplicaKmsKeyID": f"arn:aws:kms:{REGION}:{FOREIGN}:key/abcd"
                        },
                    },
                    "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                },
            ],
        },
    )

    # a bucket on the domain key whose writers may still choose another key
    s3.Bucket(esc, "NoPutPolicy", encryption=s3.BucketEncryption.KMS, encryption_key=d.key)

    # a store made by an SDK call at deploy time
    cr.AwsCustomResource(
        esc,
        "MakesQueue",
        on_create=cr.AwsSdkCall(
            service="SQS",
            action="createQueue",
            parameters={"QueueName": "made-outside"},
            physical_resource_id=cr.PhysicalResourceId.of("made-outside"),
        ),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
            resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE
        ),
        install_latest_aws_sdk=False,
    )

    # ... or by a custom resource provider whose handler may create one
    handler = lambda_.Function(
        esc,
        "TableMaker",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
    )
    handler.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:Create*"], resources=["*"]))
    provider = cr.Provider(esc, "TableProvider", on_event_handler=handler)
    cdk.CustomResource(esc, "MakesTable", service_token=provider.service_token)

    # an acknowledgement does not silence an error (one verdict for synth and the CLI)
    acked = s3.Bucket(esc, "AcknowledgedSseS3", encryption=s3.BucketEncryption.S3_MANAGED)
    cdk.Validations.of(acked).acknowledge(
        cdk.Acknowledgment(id="cdk-partition::CDKP002", reason="Trying to silence an error here.")
    )

    # checks on the App reach the stacks of Stages nested two deep
    outer = cdk.Stage(app, "Outer")
    inner = cdk.Stage(outer, "Inner")
    staged = cdk.Stack(inner, "Staged")
    staged_domain = DataDomain(
        staged, "Domain", domain_name="staged", administrators=_admins(inner, "StagedIds")
    )
    s3.Bucket(staged, "StagedSseS3", encryption=s3.BucketEncryption.S3_MANAGED)
    cdk.Aspects.of(app).add(DomainEncryptionChecks(staged_domain))
    return app


@pytest.fixture(scope="module")
def escapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("escapes") / "cdk.out"
    findings = _synth(_escapes(outdir), outdir, fails=True)
    return {"findings": findings, "outdir": outdir}


@pytest.mark.parametrize(
    ("path_part", "rule"),
    [
        ("Esc/PlainDiskInstance", "CDKP001"),
        ("Esc/ManagedKeyInstance", "CDKP003"),
        ("Esc/PlainDiskTemplate", "CDKP001"),
        ("Esc/Dms", "CDKP003"),
        ("Esc/ForeignAliasQueue", "CDKP004"),
        ("Esc/OtherRegionAliasQueue", "CDKP004"),
        ("Esc/ReplicaOfOutsider", "CDKP005"),
        ("Esc/ReplicaOfOtherKey", "CDKP004"),
        ("Esc/SourceOnOtherKey", "CDKP004"),
        ("Esc/NoPutPolicy", "CDKP008"),
        ("Esc/MakesQueue", "CDKP009"),
        ("Esc/MakesTable", "CDKP009"),
        ("Esc/AcknowledgedSseS3", "CDKP002"),
        ("Outer/Inner/Staged/StagedSseS3", "CDKP002"),
    ],
)
def test_store_that_escaped_is_found(escapes: dict[str, Any], path_part: str, rule: str) -> None:
    assert rule in _rules(escapes["findings"], path_part), _at(escapes["findings"], path_part)


def test_replication_rules_are_key_slots(escapes: dict[str, Any]) -> None:
    findings = _at(escapes["findings"], "Esc/Domain/Replicating")
    by_location = {f.location: f.rule for f in findings}
    prefix = "ReplicationConfiguration.Rules"
    suffix = "Destination.EncryptionConfiguration.ReplicaKmsKeyID"
    assert by_location == {f"{prefix}[0].{suffix}": "CDKP003", f"{prefix}[1].{suffix}": "CDKP004"}


def test_messages_say_what_the_key_is(escapes: dict[str, Any]) -> None:
    (foreign,) = _at(escapes["findings"], "Esc/ForeignAliasQueue")
    assert f"account {FOREIGN}" in foreign.message and "alias/esc" in foreign.message
    assert foreign.location == "KmsMasterKeyId" and foreign.value and FOREIGN in foreign.value
    (replica,) = _at(escapes["findings"], "Esc/ReplicaOfOtherKey")
    assert "inherited from SourceOnOtherKey" in replica.message
    (sdk,) = _at(escapes["findings"], "Esc/MakesQueue")
    assert sdk.severity == "warning" and "SQS.createQueue" in sdk.message
    (provider,) = [f for f in _at(escapes["findings"], "Esc/MakesTable") if f.rule == "CDKP009"]
    assert "dynamodb:CreateTable" in provider.message


def test_an_acknowledged_error_still_fails_synth_and_cli(escapes: dict[str, Any]) -> None:
    (acked,) = [f for f in _at(escapes["findings"], "Esc/AcknowledgedSseS3") if f.rule == "CDKP002"]
    assert acked in failing(escapes["findings"])
    report = json.loads((escapes["outdir"] / "validation-report.json").read_text())
    (plugin,) = [r for r in report["pluginReports"] if r["pluginName"] == "cdk-partition"]
    rules = {v["ruleName"] for v in plugin["violations"] if v["severity"] == "fatal"}
    assert "CDKP002" in rules  # fatal: CDK does not let an acknowledgement suppress it
    assert not any(v["ruleName"] == "CDKP002" for v in plugin.get("suppressedViolations", []))
    assert main(["audit", str(escapes["outdir"])]) == 1


# -- checks on a construct scope, without path metadata ----------------------------------------
@pytest.fixture(scope="module")
def no_paths(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    outdir = tmp_path_factory.mktemp("nopaths") / "cdk.out"
    context = {**cdk_context(), "aws:cdk:enable-path-metadata": False}
    app = cdk.App(outdir=str(outdir), context=context)
    stack = cdk.Stack(app, "Plain")
    domain = DataDomain(stack, "Domain", domain_name="scoped", administrators=_admins(app))
    checked = Construct(stack, "Checked")
    s3.Bucket(checked, "InScope", encryption=s3.BucketEncryption.S3_MANAGED)
    s3.Bucket(stack, "OutOfScope", encryption=s3.BucketEncryption.S3_MANAGED)
    DomainEncryptionChecks(domain).apply_to(checked)
    return _synth(app, outdir, fails=True)


def test_construct_scope_is_placed_without_path_metadata(no_paths: list[Finding]) -> None:
    in_scope = [f for f in no_paths if f.logical_id.startswith("CheckedInScope")]
    assert {f.rule for f in in_scope} == {"CDKP002"}
    assert not [f for f in no_paths if f.logical_id.startswith("OutOfScope")]


def test_undecidable_placement_is_a_finding() -> None:
    from cdk_partition.assembly import CloudAssembly, StackTemplate
    from cdk_partition.audit import audit

    template = {
        "Metadata": {"cdk_partition:checks": [{"domain": "orders", "scope": "S/Checked"}]},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}},
    }
    findings = audit(CloudAssembly([StackTemplate("S", template, "S.template.json")]))
    assert [f.rule for f in findings] == ["CDKP007"]
    assert "S/Checked" in findings[0].message


# -- correct code that was refused ------------------------------------------------------------
@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    outdir = tmp_path_factory.mktemp("refusals") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    ok = DomainStack(app, "Ok", domain_name="ok", administrators=_admins(app), env=env)
    d = ok.domain
    # the domain's alias by name, in the domain's own account and region
    alias = kms.Alias.from_alias_name(ok, "ByName", "alias/ok")
    sqs.Queue(ok, "AliasQueue", encryption=sqs.QueueEncryption.KMS, encryption_master_key=alias)
    # L2s that delegate the key to the account through their service
    secretsmanager.Secret(ok, "L2Secret", encryption_key=d.key)
    ec2.Volume(
        ok,
        "L2Volume",
        availability_zone=f"{REGION}a",
        size=cdk.Size.gibibytes(1),
        encrypted=True,
        encryption_key=d.key,
    )
    # a key-policy statement with an IP condition
    d.add_to_key_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:Decrypt"],
            resources=["*"],
            conditions={
                "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24"]},
                "Bool": {"aws:ViaAWSService": "false"},
            },
        )
    )
    # handler functions the CDK creates for itself (environment variables are configuration)
    site = d.bucket("Site", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)
    deploy = s3_deployment.BucketDeployment(
        ok,
        "Deploy",
        sources=[s3_deployment.Source.data("index.html", "<p>orders</p>")],
        destination_bucket=site,
    )
    # its handler copies objects into the domain bucket with its own credentials: the key policy
    # names it (without this, CDKP019: IAM allows the copy, the key refuses it at deployment)
    d.grant_read(deploy.handler_role)
    d.grant_write(deploy.handler_role)
    # the README's global table: replicas on keys declared for their regions (CDKP010 warnings)
    d.table_v2(
        "Global",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        replicas=[dynamodb.ReplicaTableProps(region="us-east-1")],
        replica_key_arns={"us-east-1": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-0123"},
    )
    # env-agnostic stacks: the alias ARN CDK renders with pseudo parameters
    agnostic = DomainStack(
        app, "Agnostic", domain_name="agnostic", administrators=_admins(app, "I2")
    )
    by_name = kms.Alias.from_alias_name(agnostic, "ByName", "alias/agnostic")
    sqs.Queue(
        agnostic, "AliasQueue", encryption=sqs.QueueEncryption.KMS, encryption_master_key=by_name
    )
    return _synth(app, outdir, fails=False)


def test_correct_code_passes(refusals: list[Finding]) -> None:
    assert failing(refusals) == []
    assert [f for f in refusals if f.severity == "error"] == []


def test_declared_replica_keys_are_warnings_to_verify(refusals: list[Finding]) -> None:
    (declared,) = [f for f in refusals if f.rule == "CDKP010"]
    assert "us-east-1" in declared.message and "mrk-0123" in (declared.value or "")
    assert declared.location == "Replicas[0].SSESpecification.KMSMasterKeyId"


def test_an_undeclared_replica_key_is_another_key() -> None:
    from templates import domain_key

    from cdk_partition.assembly import CloudAssembly, StackTemplate
    from cdk_partition.audit import audit

    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-0123"
    table = {
        "Type": "AWS::DynamoDB::GlobalTable",
        "Metadata": {"cdk_partition:replica_keys": {"us-east-1": "arn:aws:kms:other"}},
        "Properties": {
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
            "Replicas": [{"Region": "us-east-1", "SSESpecification": {"KMSMasterKeyId": arn}}],
        },
    }
    template = {
        "Metadata": {"cdk_partition:checks": [{"domain": "orders", "scope": ""}]},
        "Resources": {"Key": domain_key("orders"), "Table": table},
    }
    findings = audit(CloudAssembly([StackTemplate("S", template, "S.template.json")]))
    assert [f.rule for f in findings] == ["CDKP004"]


def test_l2_account_delegation_is_absorbed_into_the_deployment_role(
    refusals: list[Finding], tmp_path_factory: pytest.TempPathFactory
) -> None:
    del refusals  # the same app: the key policy has no statement to the account root
    app = cdk.App(context=cdk_context())
    stack = DomainStack(app, "K", domain_name="k", administrators=_admins(app))
    secretsmanager.Secret(stack, "S", encryption_key=stack.domain.key)
    policy = json.dumps(cdk.assertions.Template.from_stack(stack).find_resources("AWS::KMS::Key"))
    assert ":root" not in policy
    assert "secretsmanager." in policy and "AllowDeploymentViaServices" in policy


@pytest.mark.parametrize(
    ("properties", "rules"),
    [({"CacheClusterEnabled": True}, ["CDKP011"]), ({"CacheClusterEnabled": False}, []), ({}, [])],
    ids=["cache", "no-cache", "default"],
)
def test_a_store_that_cannot_name_a_key_is_a_finding_when_it_holds_data(
    properties: dict[str, Any], rules: list[str]
) -> None:
    from templates import domain_key

    from cdk_partition.assembly import CloudAssembly, StackTemplate
    from cdk_partition.audit import audit

    template = {
        "Metadata": {"cdk_partition:checks": [{"domain": "orders", "scope": ""}]},
        "Resources": {
            "Key": domain_key("orders"),
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": properties},
        },
    }
    findings = audit(CloudAssembly([StackTemplate("S", template, "S.template.json")]))
    assert [f.rule for f in findings] == rules


# -- a fresh user's attack (replayed): each failed before its fix ------------------------------
@pytest.fixture(scope="module")
def attacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("attacks") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context=cdk_context())

    def stage(name: str, account: str) -> DomainStack:
        env = cdk.Environment(account=account, region=REGION)
        st = cdk.Stage(app, name, env=env)
        return DomainStack(st, "Orders", domain_name="orders", administrators=_admins(st))

    prod, dev = stage("Prod", ACCOUNT), stage("Dev", FOREIGN)
    # the same domain name in two Stages: prod data on the dev account's key
    dev_alias = kms.Key.from_key_arn(prod, "DevKey", f"arn:aws:kms:{REGION}:{FOREIGN}:alias/orders")
    sqs.Queue(prod, "OnDevKey", encryption=sqs.QueueEncryption.KMS, encryption_master_key=dev_alias)
    sqs.Queue(
        prod, "OnProdKey", encryption=sqs.QueueEncryption.KMS, encryption_master_key=prod.domain.key
    )
    del dev
    # a stack created under a DomainStack (not a nested stack) is in its scope
    child = cdk.Stack(prod, "Child")
    sqs.Queue(child, "ChildPlain", encryption=sqs.QueueEncryption.UNENCRYPTED)
    # a CDK read replica of a domain instance inherits the domain key: it passes
    vpc = isolated_vpc(prod, azs=2)
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    source = prod.domain.database_instance(
        "Db",
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_9),
        vpc=vpc,
        vpc_subnets=isolated,
    )
    rds.DatabaseInstanceReadReplica(
        prod, "Replica", source_database_instance=source,
        instance_type=ec2.InstanceType("t3.micro"), vpc=vpc, vpc_subnets=isolated,
    )  # fmt: skip
    # an exemption written as raw metadata without a reason is ignored
    raw = sqs.Queue(prod, "RawExempt", encryption=sqs.QueueEncryption.UNENCRYPTED)
    cfn_raw = raw.node.default_child
    assert isinstance(cfn_raw, cdk.CfnResource)
    cfn_raw.add_metadata("cdk_partition:exemptions", [{"rule": "CDKP001"}])
    # checks on the App reach a stack under a plain construct inside a nested Stage
    inner = cdk.Stage(cdk.Stage(app, "Outer"), "Inner")
    grouped = cdk.Stack(Construct(inner, "Group"), "Data")
    staged = DataDomain(
        grouped, "Domain", domain_name="grouped", administrators=_admins(inner, "G")
    )
    sqs.Queue(grouped, "GroupedPlain", encryption=sqs.QueueEncryption.UNENCRYPTED)
    cdk.Aspects.of(app).add(DomainEncryptionChecks(staged))
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    return {"findings": audit_path(outdir), "outdir": outdir}


@pytest.mark.parametrize(
    ("path_part", "rule"),
    [
        ("Prod/Orders/OnDevKey", "CDKP004"),
        ("Prod/Orders/Child/ChildPlain", "CDKP001"),
        ("Prod/Orders/RawExempt", "CDKP001"),
        ("Outer/Inner/Group/Data/GroupedPlain", "CDKP001"),
    ],
)
def test_attack_is_found(attacks: dict[str, Any], path_part: str, rule: str) -> None:
    assert rule in _rules(attacks["findings"], path_part), _at(attacks["findings"], path_part)


@pytest.mark.parametrize("path_part", ["Prod/Orders/OnProdKey", "Prod/Orders/Replica"])
def test_attack_correct_code_passes(attacks: dict[str, Any], path_part: str) -> None:
    assert not failing(_at(attacks["findings"], path_part))


def test_the_domain_key_cannot_be_exempted() -> None:
    from cdk_partition import exempt

    stack = DomainStack(cdk.App(), "K", domain_name="k", administrators=_admins(cdk.App(), "X"))
    with pytest.raises(ValueError, match="cannot be exempted"):
        exempt(stack.domain.key, "CDKP102", "Legacy key policy kept for migration purposes.")
    with pytest.raises(ValueError, match="can be exempted from CDKP106 only"):
        exempt(stack.domain.key, "CDKP004", "Legacy key policy kept for migration purposes.")


def test_a_single_template_is_audited_in_its_environment(attacks: dict[str, Any]) -> None:
    outdir = attacks["outdir"] / "assembly-Prod"
    (template,) = [p for p in outdir.glob("ProdOrders*.template.json") if "Child" not in p.name]
    whole = {(f.logical_id, f.rule) for f in audit_path(outdir) if f.template_path == str(template)}
    alone = {(f.logical_id, f.rule) for f in audit_path(template)}
    assert alone == whole


def test_malformed_declarations_are_findings_not_crashes(tmp_path: Path) -> None:
    template = {
        "Metadata": {"cdk_partition:checks": [{"domain": "orders", "scope": ""}]},
        "Resources": {
            "Odd": {"Type": {"Fn::Sub": "AWS::SQS::Queue"}, "Properties": {}},
            "NotADict": "text",
        },
    }
    path = tmp_path / "t.template.json"
    path.write_text(json.dumps(template))
    assert main(["audit", str(path)]) == 1
    assert {f.rule for f in audit_path(path)} == {"CDKP000"}
    assert main(["report", str(path)]) in (0, 1)


def test_an_ecs_cluster_on_the_domain_key_passes(tmp_path: Path) -> None:
    """Fargate ephemeral storage on the domain key: the CDK's statements for fargate.amazonaws.com
    are within its service contract (issue #11 attack: CDKP106 refused them)."""
    from aws_cdk import aws_ecs as ecs

    app = cdk.App(outdir=str(tmp_path), context=cdk_context())
    stack = DomainStack(app, "E", domain_name="e", administrators=_admins(app))
    vpc = isolated_vpc(stack)
    storage = ecs.ManagedStorageConfiguration(fargate_ephemeral_storage_kms_key=stack.domain.key)
    ecs.Cluster(stack, "Cluster", vpc=vpc, managed_storage_configuration=storage)
    app.synth()
    assert failing(audit_path(tmp_path)) == []


@pytest.mark.parametrize(
    ("arn", "why"),
    [
        (f"arn:aws:kms:ap-south-1:{ACCOUNT}:key/mrk-0123", "is a key of ap-south-1"),
        ("arn:aws:kms:us-east-1:999999999999:key/mrk-0123", "is a key of account 999999999999"),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/orders", "is not a KMS key ARN"),
    ],
)
def test_declared_replica_keys_of_another_region_account_or_an_alias_are_refused(
    arn: str, why: str
) -> None:
    """A replica key declared for us-east-1 must be a key ARN of us-east-1 in the domain's
    account: anything else is refused before the table exists (it passed as a warning before)."""
    app = cdk.App(context=cdk_context())
    stack = DomainStack(
        app, "Orders", domain_name="orders", administrators=_admins(app),
        env=cdk.Environment(account=ACCOUNT, region=REGION),
    )  # fmt: skip
    with pytest.raises(ValueError, match=rf"Orders/Domain/Global: .*\['us-east-1'\] .* {why}"):
        stack.domain.table_v2(
            "Global",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            replicas=[dynamodb.ReplicaTableProps(region="us-east-1")],
            replica_key_arns={"us-east-1": arn},
        )


def test_a_declared_replica_key_of_another_region_is_not_a_warning(tmp_path: Path) -> None:
    """The audit holds declared keys to their region too (templates written by hand, or the
    declaration edited): a key of another region is CDKP004, not a CDKP010 to verify."""
    app = cdk.App(outdir=str(tmp_path / "cdk.out"), context=cdk_context())
    stack = DomainStack(
        app, "Orders", domain_name="orders", administrators=_admins(app),
        env=cdk.Environment(account=ACCOUNT, region=REGION),
    )  # fmt: skip
    table = stack.domain.table_v2(
        "Global",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        replicas=[dynamodb.ReplicaTableProps(region="us-east-1")],
        replica_key_arns={"us-east-1": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-0123"},
    )
    other = f"arn:aws:kms:ap-south-1:{ACCOUNT}:key/mrk-0123"
    cfn = table.node.default_child
    assert isinstance(cfn, cdk.CfnResource)
    cfn.add_property_override("Replicas.0.SSESpecification.KMSMasterKeyId", other)
    cfn.add_metadata("cdk_partition:replica_keys", {"us-east-1": other})
    findings = _synth(app, tmp_path / "cdk.out", fails=True)
    (finding,) = failing(findings)
    assert finding.rule == "CDKP004" and "declared for us-east-1" in finding.message
    assert "the key is in ap-south-1" in finding.message

"""Contracts follow the stores, however made (issue #19, item 1): a plain L2 given
``domain.key``, an L1 given ``domain.key.key_arn``, a store method: at synth the domain finds
every resource whose key slot names its key and writes the contract rows of its CloudFormation
type into the key policy. Each create-time request must then be allowed by the synthesized key
policy (the library's evaluator), and the checks find nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk.assertions import Template

from cdk_partition import DataDomain, DomainEncryptionChecks
from cdk_partition.knowledge import contracts
from cdk_partition.policy import evaluator

ACCOUNT, REGION = "111122223333", "eu-west-1"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"


def _pk() -> dynamodb.Attribute:
    return dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)


def _table(stack: cdk.Stack, domain: DataDomain) -> None:
    dynamodb.Table(
        stack,
        "Table",
        partition_key=_pk(),
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=domain.key,
    )


def _table_v2(stack: cdk.Stack, domain: DataDomain) -> None:
    dynamodb.TableV2(
        stack,
        "TableV2",
        partition_key=_pk(),
        encryption=dynamodb.TableEncryptionV2.customer_managed_key(domain.key),
    )


def _vault(stack: cdk.Stack, domain: DataDomain) -> None:
    backup.BackupVault(stack, "Vault", encryption_key=domain.key)


def _cfn_instance(stack: cdk.Stack, domain: DataDomain) -> None:
    rds.CfnDBInstance(
        stack,
        "Instance",
        kms_key_id=domain.key.key_arn,
        storage_encrypted=True,
        db_instance_class="db.t3.micro",
        engine="postgres",
        allocated_storage="20",
    )


#: (builder, CloudFormation type whose contract rows must be allowed)
CASES: dict[str, tuple[Callable[[cdk.Stack, DataDomain], None], str]] = {
    "dynamodb.Table": (_table, "AWS::DynamoDB::Table"),
    "dynamodb.TableV2": (_table_v2, "AWS::DynamoDB::GlobalTable"),
    "backup.BackupVault": (_vault, "AWS::Backup::BackupVault"),
    "rds.CfnDBInstance": (_cfn_instance, "AWS::RDS::DBInstance"),
}


def _app(build: Callable[[cdk.Stack, DataDomain], None]) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App()
    stack = cdk.Stack(app, "Orders", env=cdk.Environment(account=ACCOUNT, region=REGION))
    admin = iam.Role.from_role_arn(stack, "Admin", f"arn:aws:iam::{ACCOUNT}:role/admin")
    domain = DataDomain(stack, "Domain", domain_name="orders", administrators=[admin])
    build(stack, domain)
    DomainEncryptionChecks(domain).apply_to(stack)
    return app, stack


def _key_policy(template: dict[str, Any]) -> dict[str, Any]:
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    return key["Properties"]["KeyPolicy"]  # type: ignore[no-any-return]


def _concrete(policy: dict[str, Any]) -> dict[str, Any]:
    """The key policy with the pseudo parameters of the stack's environment as their values."""
    text = json.dumps(evaluator.canonicalize(policy))
    for pseudo, value in (
        ("${AWS::Partition}", "aws"),
        ("${AWS::AccountId}", ACCOUNT),
        ("${AWS::Region}", REGION),
    ):
        text = text.replace(pseudo, value)
    return json.loads(text)  # type: ignore[no-any-return]


def _create_requests(cfn_type: str) -> list[evaluator.Request]:
    fill = {"{region}": REGION, "{account}": ACCOUNT, "{partition}": "aws"}
    requests = []
    for row in contracts.rows_for_type(cfn_type):
        if row.caller != "deployment_role":
            continue
        context = dict(row.context)
        for k, v in context.items():
            for placeholder, value in fill.items():
                v = v.replace(placeholder, value)
            context[k] = v
        for action in row.actions:
            requests.append(evaluator.Request(action, DEPLOYER, ACCOUNT, context=context))
    return requests


@pytest.mark.parametrize("name", sorted(CASES))
def test_store_on_domain_key_synthesizes_without_finding(name: str) -> None:
    build, cfn_type = CASES[name]
    app, stack = _app(build)
    app.synth()  # the checks fail the synthesis on any error finding (CDKP107 before #19)
    template = Template.from_stack(stack).to_json()
    policy = evaluator.prepare(_concrete(_key_policy(template)))
    requests = _create_requests(cfn_type)
    assert requests, f"no create-time contract rows for {cfn_type}"
    for request in requests:
        assert evaluator.evaluate(policy, request) == "allow", (name, request)


def test_key_policy_without_stores_has_no_service_statements() -> None:
    _, stack = _app(lambda s, d: None)
    sids = [s.get("Sid") for s in _key_policy(Template.from_stack(stack).to_json())["Statement"]]
    assert "AllowDeploymentViaServices" not in sids
    assert "AllowGrantsForAWSResources" not in sids


def test_plain_log_group_on_domain_key_gets_logs_statement() -> None:
    def build(stack: cdk.Stack, domain: DataDomain) -> None:
        logs.LogGroup(stack, "Logs", log_group_name="/orders/audit", encryption_key=domain.key)

    app, stack = _app(build)
    app.synth()
    policy = _key_policy(Template.from_stack(stack).to_json())
    (statement,) = [s for s in policy["Statement"] if s.get("Sid") == "AllowLogsService"]
    assert "/orders/audit" in json.dumps(statement["Condition"])


def test_aurora_member_instance_uses_no_key_of_its_own() -> None:
    """An Aurora member instance (``DBClusterIdentifier``) keeps its storage in the cluster: no
    CDKP107 although the key policy has nothing for a standalone instance."""

    def build(stack: cdk.Stack, domain: DataDomain) -> None:
        cluster = rds.CfnDBCluster(
            stack,
            "Cluster",
            engine="aurora-postgresql",
            kms_key_id=domain.key.key_arn,
            storage_encrypted=True,
            master_username="dbadmin",
            manage_master_user_password=True,
            master_user_secret=rds.CfnDBCluster.MasterUserSecretProperty(
                kms_key_id=domain.key.key_arn
            ),
        )
        rds.CfnDBInstance(
            stack,
            "Member",
            db_cluster_identifier=cluster.ref,
            db_instance_class="db.r6g.large",
            engine="aurora-postgresql",
        )

    app, _ = _app(build)
    app.synth()


def test_ecs_managed_ebs_volumes_on_the_key_are_not_silent(tmp_path: Any) -> None:
    """An ECS service's managed EBS volume put on the domain key (CDKP001's own fix, the mixin,
    applied as written): ECS's infrastructure role must use the key, which AWS documents on a
    page no row could be written from (``LOOKED_UP``). It synthesized with no finding (an
    attack); now CDKP030 says so, naming the page."""
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_ecs as ecs
    from conftest import cdk_context

    from cdk_partition import DomainStack, audit_path

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    orders = DomainStack(app, "Orders", domain_name="orders",
                         administrators=[iam.ArnPrincipal("arn:aws:iam::111111111111:role/admin")],
                         env=cdk.Environment(account="111111111111", region="eu-west-1"))  # fmt: skip
    vpc = ec2.Vpc(orders, "Vpc", max_azs=2, nat_gateways=0)
    cluster = ecs.Cluster(orders, "Cluster", vpc=vpc, managed_storage_configuration=ecs
                          .ManagedStorageConfiguration(fargate_ephemeral_storage_kms_key=orders.domain.key))  # fmt: skip
    task = ecs.FargateTaskDefinition(orders, "Task")
    container = task.add_container("c", image=ecs.ContainerImage.from_registry("nginx"))
    volume = ecs.ServiceManagedVolume(orders, "Volume", name="ebs",
        managed_ebs_volume=ecs.ServiceManagedEBSVolumeConfiguration(size=cdk.Size.gibibytes(15)))  # fmt: skip
    volume.mount_in(container, container_path="/data", read_only=False)
    task.add_volume(name="ebs", configured_at_launch=True)
    service = ecs.FargateService(orders, "Service", cluster=cluster, task_definition=task)
    service.add_volume(volume)
    cdk.Mixins.of(service).apply(orders.domain.encryption_at_rest(replace_keys=True))
    app.synth()
    found = [f for f in audit_path(tmp_path) if f.rule == "CDKP030"]
    assert [f.resource_type for f in found] == ["AWS::ECS::Service"], found
    assert "ebs-kms-encryption" in found[0].message or "infrastructure" in found[0].message

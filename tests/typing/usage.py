"""Correct use of the typed API: must type-check clean (``tests/test_typing.py`` runs mypy and
pyright on it). Never executed."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm

from cdk_partition import (
    DataDomain,
    DomainEncryptionChecks,
    DomainOptions,
    DomainReference,
    DomainReplica,
    DomainStack,
)


def build(app: cdk.App, admin: iam.IPrincipal) -> None:
    options: DomainOptions = {"removal_policy": cdk.RemovalPolicy.DESTROY}
    stack = DomainStack(
        app,
        "Orders",
        domain_name="orders",
        administrators=[admin],
        domain_props=options,
        env=cdk.Environment(account="111111111111", region="eu-west-1"),
        description="Data domain 'orders'",
        termination_protection=True,
        tags={"domain": "orders"},
    )
    domain: DataDomain = stack.domain
    key: kms.Key = domain.key
    alias: kms.Alias = domain.alias
    role: iam.IPrincipal = domain.deployment_role
    assert key.key_arn and alias.alias_name and role.principal_account is None
    stack.checks.apply_to(stack)

    bucket: s3.Bucket = domain.bucket("Documents", versioned=True)
    queue: sqs.Queue = domain.queue(
        "Events", dead_letter_max_receive_count=5, retention_period=cdk.Duration.days(4)
    )
    domain.topic("Placed", display_name="placed")
    domain.table(
        "Orders",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
    )
    domain.table_v2(
        "Global",
        partition_key={"name": "pk", "type": dynamodb.AttributeType.STRING},
        replica_key_arns={"eu-central-1": "arn:aws:kms:eu-central-1:111111111111:key/x"},
    )
    domain.stream("Clicks", shard_count=1)
    domain.log_group("Audit", log_group_name="/orders/audit")
    domain.secret("ApiKey", description="payment API key")
    domain.event_bus("Bus", event_bus_name="orders")
    domain.repository("Images", image_scan_on_push=True)
    domain.backup_vault("Vault")
    volume: ec2.BlockDeviceVolume = domain.ebs_volume(8, volume_type=ec2.EbsDeviceVolumeType.GP3)
    domain.launch_template(
        "Workers",
        auto_scaling=True,
        block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=volume)],
    )
    domain.grant_store_read(bucket, admin)
    domain.grant_store_write(queue, admin)

    reference: DomainReference = DataDomain.from_domain_attributes(
        stack, "Ref", domain_name="shared", key_arn="arn:aws:kms:eu-west-1:222222222222:key/k"
    )
    reference.bucket("Shared", enforce_ssl=True)
    requirements: list[str] = reference.key_policy_requirements
    assert requirements is not None


def multi_region(app: cdk.App, admin: iam.IPrincipal) -> None:
    home = cdk.Environment(account="111111111111", region="eu-west-1")
    west = cdk.Environment(account="111111111111", region="eu-central-1")
    stack = DomainStack(
        app,
        "Orders",
        domain_name="orders",
        administrators=[admin],
        domain_props={"replica_regions": ["eu-central-1"]},
        env=home,
    )
    regions: tuple[str, ...] = stack.domain.replica_regions
    parameter: ssm.StringParameter = stack.domain.publish(share_with=["222222222222"])
    assert regions and parameter.parameter_arn

    there = cdk.Stack(app, "OrdersWest", env=west)
    replica: DomainReplica = stack.domain.replica(
        there,
        "Orders",
        pending_window=cdk.Duration.days(7),
        removal_policy=cdk.RemovalPolicy.DESTROY,
        deployment_role=admin,
    )
    key: kms.IKey = replica.key
    cfn_key: kms.CfnReplicaKey = replica.cfn_key
    region: str = replica.region
    assert key.key_arn and cfn_key.attr_arn and region
    DomainEncryptionChecks(replica).apply_to(there)
    replica.queue("Jobs", retention_period=cdk.Duration.days(4))
    replica.grant_read(admin)
    direct = DomainReplica(there, "Direct", domain=stack.domain, description="orders replica")
    assert direct.domain is stack.domain

    consumer = cdk.Stack(app, "Checkout", env=home)
    found: DomainReference = DataDomain.from_lookup(
        consumer, "Orders", domain_name="orders", parameter_name=parameter.parameter_arn
    )
    pending: bool = found.lookup_pending
    name: str | None = found.parameter_name
    assert name is not None or pending
    DomainEncryptionChecks(found).apply_to(consumer)
    found.bucket("Receipts", versioned=True)

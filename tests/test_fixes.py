"""Fixes that work (issue #24 item 3): every rule's suggested fix, applied as written, passes.

For each rule of :data:`cdk_partition.audit.registry.ORDER` and of the organisation
(:data:`cdk_partition.audit.organization.ORG_RULES`) one or more cases: a small app
that triggers exactly that rule, and the same app with the fix the finding prints applied as
written (the case names the words of the fix it applies; the test checks the finding says
them). Each case is a ``cdk.Stage`` of one app (the broken side) and of a second app (the fixed
side): both apps are synthesized once per module and audited as the CLI audits ``cdk.out``.
Rules that only hand-edited or foreign templates reach are cases over templates. A rule without
a case fails :func:`test_every_rule_has_a_case` unless :data:`NO_CASE` says why no app can
trigger it. The store rules' fixes of every catalogue type are checked to name API that exists
(:func:`test_each_catalogue_fix_names_api_that_exists`).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_docdb as docdb
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_elasticloadbalancing as elb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_omics as omics
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sam as sam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from conftest import cdk_context
from constructs import Construct
from templates import domain_key

from cdk_partition import (
    DataDomain,
    DomainEncryptionChecks,
    DomainStack,
    Finding,
    exempt,
)
from cdk_partition.assembly import CloudAssembly, StackTemplate
from cdk_partition.audit import audit, organization
from cdk_partition.audit.registry import ORDER, RULES
from cdk_partition.knowledge.catalogue import CATALOGUE

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/admin"
READER = f"arn:aws:iam::{ACCOUNT}:role/reader"
PARAMETER = "/cdk-partition/domains/lookups/key-arn"
LOOKUP_ACCOUNT = "444455556666"
PUBLISHED_KEY = f"arn:aws:kms:{REGION}:100000000013:key/0123abcd-0000-0000-0000-000000000000"
#: The account of each case whose domain has an explicit env: one domain per account and region
#: (two would be CDKP202, the organisation's rule, across cases).
OWN_ACCOUNT = {"CDKP010": "100000000010", "CDKP107": "100000000107", "CDKP108": "100000000108"}
LOOKUP_CONTEXT = f"ssm:account={LOOKUP_ACCOUNT}:parameterName={PARAMETER}:region={REGION}"

#: Rules no app or template can trigger on purpose, and why.
NO_CASE: dict[str, str] = {
    "CDKP000": "a crash of cdk_partition's own checks: a bug, not a property of an app; its "
    "'fix' is to report the traceback",
}


@dataclass(frozen=True)
class Case:
    """A rule, the words of its finding's fix that the fixed side applies, and how to build
    both sides (``fixed`` False: the fault; True: the fault with that fix applied)."""

    rule: str
    name: str
    says: str
    build: Callable[[Construct, bool], None]

    @property
    def stage(self) -> str:
        return f"{self.rule}{self.name}"


CASES: list[Case] = []


def case(rule: str, name: str, says: str) -> Callable[[Callable[[Construct, bool], None]], Any]:
    def register(build: Callable[[Construct, bool], None]) -> Callable[[Construct, bool], None]:
        CASES.append(Case(rule, name, says, build))
        return build

    return register


def _domain(scope: Construct, **kwargs: Any) -> DomainStack:
    return DomainStack(
        scope,
        "Orders",
        domain_name="orders",
        administrators=[iam.ArnPrincipal(ADMIN)],
        **kwargs,
    )


def _function(scope: Construct, name: str) -> lambda_.Function:
    return lambda_.Function(
        scope,
        name,
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )


# -- stores off the domain key ----------------------------------------------------------------
@case("CDKP001", "Method", "create it with `domain.topic(...)`")
def _plain_topic_method(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.topic("Notices")
    else:
        sns.Topic(orders, "Notices")


@case("CDKP001", "Props", "pass `master_key=domain.key`")
def _plain_topic_props(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    sns.Topic(orders, "Notices", master_key=orders.domain.key if fixed else None)


@case("CDKP002", "Method", "create it with `domain.bucket(...)`")
def _sse_s3_bucket(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.bucket("Raw")
    else:
        s3.Bucket(orders, "Raw", encryption=s3.BucketEncryption.S3_MANAGED)


@case(
    "CDKP002",
    "Props",
    "pass `encryption=sqs.QueueEncryption.KMS, encryption_master_key=domain.key`",
)
def _sqs_managed_queue(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        sqs.Queue(
            orders,
            "Jobs",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=orders.domain.key,
        )
    else:
        sqs.Queue(orders, "Jobs", encryption=sqs.QueueEncryption.SQS_MANAGED)


@case("CDKP003", "Method", "create it with `domain.queue(...)`")
def _aws_managed_queue(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.queue("Jobs")
    else:
        sqs.Queue(orders, "Jobs", encryption=sqs.QueueEncryption.KMS_MANAGED)


@case(
    "CDKP003",
    "Props",
    "pass `encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED, encryption_key=domain.key`",
)
def _aws_managed_table(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    key = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    if fixed:
        dynamodb.Table(
            orders,
            "Items",
            partition_key=key,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=orders.domain.key,
        )
    else:
        dynamodb.Table(
            orders, "Items", partition_key=key, encryption=dynamodb.TableEncryption.AWS_MANAGED
        )


@case(
    "CDKP004",
    "Props",
    "pass `encryption=sqs.QueueEncryption.KMS, encryption_master_key=domain.key`",
)
def _own_key_queue(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    sqs.Queue(
        orders,
        "Jobs",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=orders.domain.key if fixed else None,
    )


@case(
    "CDKP005",
    "Props",
    "pass `encryption=sqs.QueueEncryption.KMS, encryption_master_key=domain.key`",
)
def _parameter_key_queue(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        sqs.Queue(
            orders,
            "Jobs",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=orders.domain.key,
        )
    else:
        key = cdk.CfnParameter(orders, "KeyArn")
        sqs.CfnQueue(orders, "Jobs", kms_master_key_id=key.value_as_string)


@case("CDKP006", "Exempt", "`exempt(construct, 'CDKP006', reason)`")
def _unknown_store(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    ledger = cdk.CfnResource(orders, "Ledger", type="AWS::Glue::Table", properties={})
    if fixed:
        exempt(ledger, "CDKP006", "The table holds no domain data, checked by hand.")


@case("CDKP008", "Method", "create it with `domain.bucket(...)`")
def _bucket_without_put_policy(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.bucket("Raw")
    else:
        s3.Bucket(
            orders, "Raw", encryption=s3.BucketEncryption.KMS, encryption_key=orders.domain.key
        )


@case("CDKP009", "Method", "create the store in the template with a domain store method")
def _sdk_call_makes_a_queue(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.queue("MadeOutside")
        return
    cr.AwsCustomResource(
        orders,
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


@case("CDKP011", "Exempt", "or exempt it with the reason it holds none")
def _cached_api_stage(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    api = apigw.RestApi(
        orders, "Api", deploy_options=apigw.StageOptions(cache_cluster_enabled=True)
    )
    api.root.add_method("GET", apigw.MockIntegration())
    if fixed:
        exempt(api.deployment_stage, "CDKP011", "The cache holds public catalogue pages only.")


@case("CDKP032", "Exempt", "`exempt(construct, 'CDKP032', reason)`")
def _configuration_parameter(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    endpoint = ssm.StringParameter(orders, "Endpoint", string_value="https://orders.example.com")
    if fixed:
        exempt(endpoint, "CDKP032", "The parameter holds the service's public URL, no data.")


@case("CDKP014", "Nested", "define the nested stack as a cdk.NestedStack")
def _nested_stack_from_s3(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        inner = cdk.NestedStack(orders, "Inner")
        sns.Topic(inner, "Notices", master_key=orders.domain.key)
    else:
        cdk.CfnStack(orders, "Inner", template_url="https://s3.amazonaws.com/b/inner.json")


@case("CDKP015", "Stage", "deploy the stacks of the stack set as stacks of this app")
def _stack_set(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:  # one Stage per account and region (here one)
        region = cdk.Stage(scope, "EuWest1", env=cdk.Environment(account=ACCOUNT, region=REGION))
        cdk.Stack(region, "Baseline").template_options.description = "the stack set's template"
    else:
        cdk.CfnStackSet(
            orders,
            "Baseline",
            stack_set_name="baseline",
            permission_model="SELF_MANAGED",
            template_body="{}",
        )


@case("CDKP016", "Method", "a domain store method such as domain.table(...) for a SimpleTable")
def _sam_table(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.table(
            "Items", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
        )
    else:
        sam.CfnSimpleTable(orders, "Items")


@case("CDKP018", "Unique", "give each Export a name unique within its account and region")
def _export_declared_twice(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    other = cdk.Stack(scope, "Other")
    cdk.CfnOutput(orders, "KeyArn", value=orders.domain.key.key_arn, export_name="OrdersKey")
    cdk.CfnOutput(
        other, "KeyArn", value="alias/aws/sqs", export_name="OtherKey" if fixed else "OrdersKey"
    )


@case("CDKP004", "Lambda", "`environment_encryption=domain.key` of `lambda_.Function` for its "
      'environment, with `domain.allow_passed_role(role, "AWS::Lambda::Function")`')  # fmt: skip
def _function_environment_on_another_key(scope: Construct, fixed: bool) -> None:
    """The fix has two halves: the key, and the execution role that decrypts the variables at
    run time (an attack applied the first alone: CDKP024 was silent and every start failed)."""
    orders = _domain(scope)
    key = orders.domain.key if fixed else kms.Key(orders, "Other", enable_key_rotation=True)
    function = lambda_.Function(
        orders,
        "Worker",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        environment={"STAGE": "prod"},
        environment_encryption=key,
    )
    if fixed:
        orders.domain.allow_passed_role(function.role, "AWS::Lambda::Function")  # type: ignore[arg-type]


# the other half of the fixes above: "if it must stay, ... exempt it with the reason"
@case("CDKP009", "Exempt", "`exempt(construct, 'CDKP009', reason)`")
def _sdk_call_exempted(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    call = cr.AwsCustomResource(
        orders,
        "MakesQueue",
        on_create=cr.AwsSdkCall(
            service="SQS",
            action="createQueue",
            parameters={
                "QueueName": "made-outside",
                "Attributes": {"KmsMasterKeyId": "alias/orders"},
            },
            physical_resource_id=cr.PhysicalResourceId.of("made-outside"),
        ),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
            resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE
        ),
        install_latest_aws_sdk=False,
    )
    if fixed:  # the fix as written: the construct itself (its CloudFormation resource is found
        # down its default children: AwsCustomResource -> CustomResource -> CfnResource)
        exempt(call, "CDKP009", "The queue it makes names the domain key, checked by hand.")


@case("CDKP014", "Exempt", "exempt it with the reason")
def _nested_stack_exempted(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    inner = cdk.CfnStack(orders, "Inner", template_url="https://s3.amazonaws.com/b/inner.json")
    if fixed:
        exempt(inner, "CDKP014", "The nested template holds no stores, checked by hand.")


@case("CDKP015", "Exempt", "exempt it with the reason")
def _stack_set_exempted(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    stack_set = cdk.CfnStackSet(
        orders,
        "Baseline",
        stack_set_name="baseline",
        permission_model="SELF_MANAGED",
        template_body="{}",
    )
    if fixed:
        exempt(stack_set, "CDKP015", "The stack set deploys only IAM roles, checked by hand.")


@case("CDKP016", "Exempt", "exempt it with the reason")
def _sam_table_exempted(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    table = sam.CfnSimpleTable(orders, "Items")
    if fixed:
        exempt(table, "CDKP016", "The table holds public reference data, checked by hand.")


# the other store types whose fix names a store method or the L2's props: each form applied
def _store_pair(
    rule: str,
    name: str,
    method: str,
    props: str,
    make: Callable[[DomainStack, str], None],
    accounts: dict[str, str] | None = None,
) -> None:
    """Two cases of ``rule`` for one store type: its fault, fixed by ``domain.<method>(...)``
    and by the L2 with the props of the fix (``make(orders, "fault" | "method" | "props")``);
    with ``accounts`` (form -> account), the domain's stack has that account and REGION."""
    for form, says in (("method", f"create it with `domain.{method}(...)`"), ("props", props)):

        def build(scope: Construct, fixed: bool, form: str = form) -> None:
            env = cdk.Environment(account=accounts[form], region=REGION) if accounts else None
            make(_domain(scope, env=env), form if fixed else "fault")

        CASES.append(Case(rule, f"{name}{form.title()}", says, build))


def _stream(orders: DomainStack, form: str) -> None:
    from aws_cdk import aws_kinesis as kinesis

    if form == "method":
        orders.domain.stream("Events")
    elif form == "props":
        kinesis.Stream(
            orders,
            "Events",
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=orders.domain.key,
        )
    else:
        kinesis.Stream(orders, "Events", encryption=kinesis.StreamEncryption.MANAGED)


def _log_group(orders: DomainStack, form: str) -> None:
    from aws_cdk import aws_logs as logs

    if form == "method":
        orders.domain.log_group("Audit")
    else:
        key = orders.domain.key if form == "props" else None
        logs.LogGroup(orders, "Audit", encryption_key=key)


def _secret(orders: DomainStack, form: str) -> None:
    from aws_cdk import aws_secretsmanager as secretsmanager

    if form == "method":
        orders.domain.secret("Db")
    else:
        key = orders.domain.key if form == "props" else None
        secretsmanager.Secret(orders, "Db", encryption_key=key)


def _backup_vault(orders: DomainStack, form: str) -> None:
    from aws_cdk import aws_backup as backup

    if form == "method":
        orders.domain.backup_vault("Vault")
    else:
        key = orders.domain.key if form == "props" else None
        backup.BackupVault(orders, "Vault", encryption_key=key)


def _event_bus(orders: DomainStack, form: str) -> None:
    if form == "method":
        orders.domain.event_bus("Bus")
    else:
        key = orders.domain.key if form == "props" else None
        events.EventBus(orders, "Bus", kms_key=key)


def _repository(orders: DomainStack, form: str) -> None:
    from aws_cdk import aws_ecr as ecr

    if form == "method":
        orders.domain.repository("Images")
    elif form == "props":
        ecr.Repository(
            orders,
            "Images",
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=orders.domain.key,
        )
    else:
        ecr.Repository(orders, "Images")


def _volume(orders: DomainStack, form: str) -> None:
    from aws_cdk import aws_ec2 as ec2

    size, zone = cdk.Size.gibibytes(8), "eu-west-1a"
    if form == "method":
        orders.domain.volume("Disk", availability_zone=zone, size=size)
    elif form == "props":
        ec2.Volume(
            orders,
            "Disk",
            availability_zone=zone,
            size=size,
            encrypted=True,
            encryption_key=orders.domain.key,
        )
    else:
        ec2.Volume(orders, "Disk", availability_zone=zone, size=size)


def _table_v2(orders: DomainStack, form: str) -> None:
    pk = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    if form == "method":
        orders.domain.table_v2("Items", partition_key=pk)
    elif form == "props":
        dynamodb.TableV2(
            orders,
            "Items",
            partition_key=pk,
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(orders.domain.key),
        )
    else:
        dynamodb.TableV2(orders, "Items", partition_key=pk)


_store_pair(
    "CDKP003",
    "Stream",
    "stream",
    "pass `encryption=kinesis.StreamEncryption.KMS, encryption_key=domain.key`",
    _stream,
)
_store_pair("CDKP002", "Logs", "log_group", "pass `encryption_key=domain.key`", _log_group)
_store_pair("CDKP003", "Secret", "secret", "pass `encryption_key=domain.key`", _secret)
_store_pair("CDKP003", "Vault", "backup_vault", "pass `encryption_key=domain.key`", _backup_vault)
_store_pair("CDKP002", "Bus", "event_bus", "pass `kms_key=domain.key`", _event_bus)
_store_pair(
    "CDKP002",
    "Ecr",
    "repository",
    "pass `encryption=ecr.RepositoryEncryption.KMS, encryption_key=domain.key`",
    _repository,
)
_store_pair(
    "CDKP001", "Volume", "volume", "pass `encrypted=True, encryption_key=domain.key`", _volume
)
_store_pair(
    "CDKP002",
    "TableV2",
    "table_v2",
    "pass `encryption=dynamodb.TableEncryptionV2.customer_managed_key(domain.key, ...)`",
    _table_v2,
    # replica key ARNs need a region; an account each, so that alias/orders stays one key
    {"method": "100000000021", "props": "100000000022"},
)


# -- the domain key's policy -------------------------------------------------------------------
@case("CDKP101", "Rotation", "do not override EnableKeyRotation")
def _rotation_off(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if not fixed:
        key = orders.domain.key.node.default_child
        assert isinstance(key, kms.CfnKey)
        key.add_property_override("EnableKeyRotation", False)


@case("CDKP102", "Deny", "keep the DenyEveryoneElse statement DataDomain writes")
def _deny_removed(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if not fixed:
        key = orders.domain.key.node.default_child
        assert isinstance(key, kms.CfnKey)
        key.add_property_deletion_override("KeyPolicy.Statement.1")


@case("CDKP103", "Named", "name principals through domain.grant_read/grant_write/grant_administer")
def _open_to_everyone(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.grant_read(iam.ArnPrincipal(READER))
    else:
        orders.domain.add_to_key_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()], actions=["kms:Decrypt"], resources=["*"]
            )
        )


@case("CDKP109", "Whole", "name each role or user by its whole ARN")
def _wildcard_inside_a_principal(scope: Construct, fixed: bool) -> None:
    """A statement written past ``add_to_key_policy`` (which refuses it at construct time)."""
    orders = _domain(scope)
    if fixed:
        role = iam.Role.from_role_arn(orders, "Analytics", READER)
        orders.domain.grant_read(role)
    else:
        orders.domain.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/analytics-*")],
                actions=["kms:Decrypt"],
                resources=["*"],
            )
        )


@case("CDKP028", "Unset", "leave its key property unset")
def _no_store_on_the_key(scope: Construct, fixed: bool) -> None:
    """An Image Builder component (its document, not domain data) given the domain key."""
    from aws_cdk import aws_imagebuilder as imagebuilder

    orders = _domain(scope)
    imagebuilder.CfnComponent(
        orders, "Build", name="build", platform="Linux", version="1.0.0",
        data="name: build\nschemaVersion: 1.0\nphases: []\n",
        kms_key_id=None if fixed else orders.domain.key.key_arn,
    )  # fmt: skip


@case("CDKP029", "Trust", "trust only the principals that run as the role")
def _reader_anyone_may_assume(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    anyone = iam.ServicePrincipal("lambda.amazonaws.com") if fixed else iam.AnyPrincipal()
    orders.domain.grant_read(iam.Role(orders, "Reader", assumed_by=anyone))


@case("CDKP030", "Verified", 'exempt(<store>, "CDKP030", <what you checked>)')
def _type_whose_key_needs_are_not_stated(scope: Construct, fixed: bool) -> None:
    """A Timestream database on the domain key: AWS documents requests of the key for it that
    no contract row states (``LOOKED_UP``: incomplete). Silent before; the warning's fix is to
    check the page and mark it verified."""
    from aws_cdk import aws_timestream as timestream

    orders = _domain(scope)
    database = timestream.CfnDatabase(orders, "Metrics", kms_key_id=orders.domain.key.key_arn)
    if fixed:
        exempt(
            database, "CDKP030", "Read the Timestream page; the deployment role's requests pass."
        )


@case("CDKP031", "Origin", "`origins.S3BucketOrigin.with_origin_access_control(bucket)`")
def _site_through_an_origin_access_identity(scope: Construct, fixed: bool) -> None:
    """A distribution serving a domain bucket through an origin access identity, which cannot
    read SSE-KMS objects (silent before: a fourth attack); the fix, origin access control."""
    from aws_cdk import aws_cloudfront as cloudfront
    from aws_cdk import aws_cloudfront_origins as origins

    orders = _domain(scope)
    bucket = orders.domain.bucket("Site")
    origin = (origins.S3BucketOrigin.with_origin_access_control(bucket) if fixed
              else origins.S3BucketOrigin.with_origin_access_identity(bucket))  # fmt: skip
    cloudfront.Distribution(
        orders, "Cdn", default_behavior=cloudfront.BehaviorOptions(origin=origin)
    )


@case("CDKP104", "Capability", "grant capabilities through the domain")
def _kms_star(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.grant_read(iam.ArnPrincipal(READER))
    else:
        orders.domain.add_to_key_policy(
            iam.PolicyStatement(
                principals=[iam.ArnPrincipal(READER)], actions=["kms:*"], resources=["*"]
            )
        )


@case("CDKP106", "Publisher", "allow_service_publisher")
def _service_with_kms_star(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.allow_service_publisher("events.amazonaws.com")
    else:
        orders.domain.add_to_key_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:*"],
                resources=["*"],
            )
        )


@case("CDKP019", "Grant", "`domain.grant_read(")
def _iam_grant_the_key_refuses(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    queue = orders.domain.queue("Jobs")
    fn = _function(orders, "Worker")
    queue.grant_consume_messages(fn)
    if fixed:
        assert fn.role is not None
        orders.domain.grant_read(fn.role)


@case("CDKP025", "Scope", "scope the grant to the resources it is for")
def _grant_on_every_resource(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    orders.domain.queue("Jobs")
    role = iam.Role(orders, "Poller", assumed_by=iam.AccountRootPrincipal())
    # the grant meant for another queue, written on every resource; scoped to it when fixed
    other = "arn:aws:sqs:eu-west-1:111122223333:elsewhere"
    role.add_to_policy(
        iam.PolicyStatement(actions=["sqs:ReceiveMessage"], resources=[other if fixed else "*"])
    )


def _omics_reader(scope: Construct, role_id: str, action: str) -> tuple[DomainStack, iam.Role]:
    """A domain with a HealthOmics sequence store on its key, and a role allowed ``action`` on
    it."""
    orders = _domain(scope)
    store = omics.CfnSequenceStore(orders, "Reads", name="orders-reads",
        sse_config=omics.CfnSequenceStore.SseConfigProperty(
            type="KMS", key_arn=orders.domain.key.key_arn))  # fmt: skip
    role = iam.Role(orders, role_id, assumed_by=iam.AccountRootPrincipal())
    role.add_to_policy(iam.PolicyStatement(actions=[action], resources=[store.attr_arn]))
    return orders, role


@case("CDKP027", "Callers", "`domain.grant_read(")
def _grant_on_a_store_of_documented_callers(scope: Construct, fixed: bool) -> None:
    orders, role = _omics_reader(scope, "Importer", "omics:GetReadSet")
    if fixed:
        orders.domain.grant_read(role)


@case("CDKP027", "Exempt", "`exempt(<construct at ")
def _grant_on_a_store_of_documented_callers_that_touches_no_data(
    scope: Construct, fixed: bool
) -> None:
    _, role = _omics_reader(scope, "Watcher", "omics:GetSequenceStore")
    if fixed:
        policy = role.node.find_child("DefaultPolicy")
        exempt(policy, "CDKP027", "The role only describes the store and never reads its data.")


@case("CDKP020", "Refs", "write the principal and the store as references the template shows")
def _grant_to_an_outside_role(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    queue = orders.domain.queue("Jobs")
    if fixed:
        # a role of the app that the domain names (SQS decrypts on SendMessage as well)
        role = iam.Role(orders, "Sender", assumed_by=iam.AccountRootPrincipal())
        orders.domain.grant_read(role)
        orders.domain.grant_write(role)
    else:
        role = iam.Role.from_role_arn(orders, "Sender", cdk.Fn.import_value("SomeoneElsesRole"))
    policy = iam.Policy(orders, "Send", roles=[role])
    policy.add_statements(
        iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn])
    )


@case("CDKP021", "Publisher", '`domain.allow_service_publisher("events.amazonaws.com")`')
def _rule_target_dead_letter_queue(scope: Construct, fixed: bool) -> None:
    # the rule's stack imports the queue by a hand-written export name, a wiring the key policy
    # cannot follow (the one it follows: tests/test_wiring_follows.py)
    orders = _domain(scope)
    queue = orders.domain.queue("RuleDlq")
    cdk.CfnOutput(orders, "RuleDlqArn", value=queue.queue_arn, export_name="orders-rule-dlq")
    consumers = cdk.Stack(scope, "Consumers")
    dlq = sqs.Queue.from_queue_arn(consumers, "RuleDlq", cdk.Fn.import_value("orders-rule-dlq"))
    rule = events.Rule(consumers, "Nightly", schedule=events.Schedule.rate(cdk.Duration.hours(1)))
    rule.add_target(targets.LambdaFunction(_function(consumers, "Job"), dead_letter_queue=dlq))
    if fixed:
        orders.domain.allow_service_publisher("events.amazonaws.com")


@case("CDKP026", "SseS3Only", "encryption=s3.BucketEncryption.S3_MANAGED")
def _classic_load_balancer_logs_into_a_domain_bucket(scope: Construct, fixed: bool) -> None:
    # AWS encrypts Classic Load Balancer access logs with SSE-S3: no domain bucket receives them;
    # the fix keeps them out of the domain, in a stack that is no domain's
    orders = _domain(scope)
    if fixed:
        edge = cdk.Stack(scope, "Edge")
        bucket = s3.Bucket(edge, "Logs", encryption=s3.BucketEncryption.S3_MANAGED)
    else:
        bucket = orders.domain.bucket("Logs")
    elb.CfnLoadBalancer(
        orders, "Classic", availability_zones=["us-east-1a"],
        listeners=[elb.CfnLoadBalancer.ListenersProperty(
            instance_port="80", load_balancer_port="80", protocol="HTTP")],
        access_logging_policy=elb.CfnLoadBalancer.AccessLoggingPolicyProperty(
            enabled=True, s3_bucket_name=bucket.bucket_name),
    )  # fmt: skip


@case("CDKP033", "Verified", 'exempt(<delivering resource>, "CDKP033", <what you checked>)')
def _document_db_events_into_a_domain_topic(scope: Construct, fixed: bool) -> None:
    # AWS names no principal for DocumentDB publishing into an encrypted topic: a warning; the
    # app that verified the delivery marks it so on the subscription
    orders = _domain(scope)
    topic = orders.domain.topic("Events")
    events_ = docdb.CfnEventSubscription(orders, "DbEvents", sns_topic_arn=topic.topic_arn)
    if fixed:
        exempt(events_, "CDKP033", "A test deployment delivered every event category here.")


@case("CDKP034", "Onto", "create it with `domain.queue(...)`")
def _dead_letters_off_the_key(scope: Construct, fixed: bool) -> None:
    # a plain queue on the domain key moving what it could not deliver into a queue of SSE-SQS
    orders = _domain(scope)
    if fixed:
        parked = orders.domain.queue("Parked")
    else:
        parked = sqs.Queue(cdk.Stack(scope, "Parking"), "Parked")
    sqs.Queue(
        orders, "Jobs", encryption=sqs.QueueEncryption.KMS, encryption_master_key=orders.domain.key,
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=3, queue=parked),
    )  # fmt: skip


@case("CDKP035", "Partner", "`exempt(<the subscription or queue>, 'CDKP035', reason)`")
def _messages_to_a_partner_queue(scope: Construct, fixed: bool) -> None:
    # a domain topic delivering, decrypted, into another account's queue the app names by ARN
    orders = _domain(scope)
    partner = sqs.Queue.from_queue_arn(
        orders, "Partner", "arn:aws:sqs:us-east-1:999999999999:partner-inbox"
    )
    orders.domain.topic("Placed").add_subscription(subs.SqsSubscription(partner))
    if fixed:
        (subscription,) = [c for c in partner.node.children if isinstance(c, sns.Subscription)]
        exempt(subscription, "CDKP035", "The partner's queue is on a key its owner controls.")


@case("CDKP036", "Subscribers", "name in the statement the principals that may subscribe")
def _a_topic_anyone_may_subscribe_to(scope: Construct, fixed: bool) -> None:
    # every principal may subscribe its own endpoint: each message leaves decrypted
    orders = _domain(scope)
    topic = orders.domain.topic("Placed")
    principal = iam.ArnPrincipal(READER) if fixed else iam.AnyPrincipal()
    topic.add_to_resource_policy(iam.PolicyStatement(
        sid="Subscribers", actions=["sns:Subscribe"], resources=[topic.topic_arn],
        principals=[principal]))  # fmt: skip


_VENDED_LOGS = (
    'Amazon CloudWatch Logs User Guide, "Logs sent to Amazon S3" '
    "(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html)"
)


@case("CDKP106", "Door", "`domain.allow_service(<service>, actions=[...]")
def _service_without_contract(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    if fixed:
        orders.domain.allow_service(
            "delivery.logs.amazonaws.com",
            actions=["kms:GenerateDataKey"],
            conditions={"StringEquals": {"aws:SourceAccount": orders.account}},
            source=_VENDED_LOGS,
        )
    else:
        orders.domain.add_to_key_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                actions=["kms:GenerateDataKey"],
                resources=["*"],
            )
        )


#: Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs", section "Enable
#: compatibility between event sources from AWS services and encrypted topics": "To allow the AWS
#: service to have the kms:GenerateDataKey* and kms:Decrypt permissions, add the following
#: statement to the KMS policy" (a statement for the event source's service principal).
_SNS_EVENT_SOURCES = (
    'Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs" '
    "(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)"
)


@case("CDKP106", "L2Door", "`replace_cdk_statements=True`")
def _unscoped_statement_an_l2_writes(scope: Construct, fixed: bool) -> None:
    """``project.notify_on_build_failed(id, domain_topic)``: the CDK's ``topic.grant_publish``
    gives ``codestar-notifications.amazonaws.com`` the key unscoped. Before, no declaration the
    fix named could replace that statement (a scoped one allows fewer requests), so the fix
    applied as written was CDKP106 still."""
    from aws_cdk import aws_codebuild as codebuild

    orders = _domain(scope)
    builds = cdk.Stack(scope, "Builds")
    project = codebuild.PipelineProject(builds, "Build")
    project.notify_on_build_failed("Failed", orders.domain.topic("BuildEvents"))
    if fixed:
        orders.domain.allow_service(
            "codestar-notifications.amazonaws.com",
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            conditions={"StringEquals": {"aws:SourceAccount": orders.account}},
            source=_SNS_EVENT_SOURCES,
            replace_cdk_statements=True,
        )


@case("CDKP106", "Exempt", 'exempt(domain.key, "CDKP106"')
def _documented_statement_kept_as_written(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    orders.domain.add_to_key_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
        )
    )
    if fixed:
        exempt(orders.domain.key, "CDKP106", "Kept exactly as the CloudWatch Logs page shows it.")


@case("CDKP022", "OwnRotation", "`secret.add_rotation_schedule(id, rotation_lambda=fn)`")
def _hosted_rotation_of_a_domain_secret(scope: Construct, fixed: bool) -> None:
    from aws_cdk import aws_secretsmanager as secretsmanager

    orders = _domain(scope)
    secret = orders.domain.secret("ApiKey")
    if not fixed:
        secret.add_rotation_schedule(
            "Rotation", hosted_rotation=secretsmanager.HostedRotation.mysql_single_user()
        )
        return
    fn = _function(orders, "Rotator")
    secret.add_rotation_schedule("Rotation", rotation_lambda=fn)
    assert fn.role is not None
    orders.domain.grant_read(fn.role)
    orders.domain.grant_write(fn.role)


@case("CDKP023", "NameRole", "`domain.grant_read(selection)`")
def _backup_selection_of_a_domain_table(scope: Construct, fixed: bool) -> None:
    from aws_cdk import aws_backup as backup

    orders = _domain(scope)
    table = orders.domain.table(
        "Items", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    )
    plan = backup.BackupPlan.daily35_day_retention(
        orders, "Plan", backup_vault=orders.domain.backup_vault("Vault")
    )
    selection = plan.add_selection(
        "Selection", resources=[backup.BackupResource.from_dynamo_db_table(table)]
    )
    if fixed:
        orders.domain.grant_read(selection)


@case("CDKP024", "NameRole", "`domain.allow_passed_role(")
def _state_machine_on_the_domain_key(scope: Construct, fixed: bool) -> None:
    from aws_cdk import aws_stepfunctions as sfn

    orders = _domain(scope)
    machine = sfn.StateMachine(
        orders,
        "Flow",
        definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(orders, "Step")),
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(orders.domain.key),
    )
    if fixed:
        orders.domain.allow_passed_role(machine.role, "AWS::StepFunctions::StateMachine")


@case("CDKP020", "SelectByArn", "`backup.BackupResource.from_arn(bucket.bucket_arn)`")
def _backup_selection_by_tag(scope: Construct, fixed: bool) -> None:
    from aws_cdk import aws_backup as backup

    orders = _domain(scope)
    bucket = orders.domain.bucket("Files", versioned=True)
    plan = backup.BackupPlan.daily35_day_retention(
        orders, "Plan", backup_vault=orders.domain.backup_vault("Vault")
    )
    if fixed:
        selection = plan.add_selection(
            "Selection", resources=[backup.BackupResource.from_arn(bucket.bucket_arn)]
        )
        orders.domain.grant_read(selection)
    else:
        plan.add_selection("Selection", resources=[backup.BackupResource.from_tag("b", "daily")])


@case("CDKP013", "Context", "put the parameter's value in the app's context")
def _pending_lookup(scope: Construct, fixed: bool) -> None:
    del fixed  # the fixed app carries the looked-up value in its context (see _synth)
    stage = cdk.Stage(scope, "Workload", env=cdk.Environment(account=LOOKUP_ACCOUNT, region=REGION))
    stack = cdk.Stack(stage, "Workload")
    # a domain no case owns: the organisation's rules have no owner to hold the reference to
    ref = DataDomain.from_lookup(stack, "Lookups", domain_name="lookups")
    DomainEncryptionChecks(ref).apply_to(stack)
    ref.queue("Jobs")


@case("CDKP010", "Exempt", "`exempt(construct, 'CDKP010', reason)`")
def _replica_without_its_key(scope: Construct, fixed: bool) -> None:
    orders = _domain(
        scope,
        domain_props={"replica_regions": ["eu-west-1", "us-east-1"]},
        env=cdk.Environment(account=OWN_ACCOUNT["CDKP010"], region="eu-central-1"),
    )
    table = orders.domain.table_v2(
        "Items",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        replicas=[dynamodb.ReplicaTableProps(region="us-east-1")],
    )
    if fixed:  # the replica key of us-east-1 is deployed by the app of that region
        exempt(table, "CDKP010", "The us-east-1 replica key is the domain's, from its own app.")


@case("CDKP012", "Names", "scope key-policy statements by names or patterns known at synth")
def _statement_on_a_store_token(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    queue = orders.domain.queue("Jobs", queue_name="orders-jobs")
    arn = (
        cdk.Stack.of(orders).format_arn(service="sqs", resource="orders-jobs")
        if fixed
        else queue.queue_arn
    )
    orders.domain.add_to_key_policy(
        iam.PolicyStatement(
            principals=[iam.ArnPrincipal(READER)],
            actions=["kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": {"kms:EncryptionContext:aws:sqs:arn": arn}},
        )
    )


@case("CDKP017", "Mark", "re-synthesize the app with cdk_partition's checks applied")
def _hand_edited_mark(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    orders.domain.queue("Jobs")
    if not fixed:
        orders.add_metadata("cdk_partition:checks", "orders")


@case("CDKP105", "Literal", "write the statement with values known at synth time")
def _deny_on_a_parameter(scope: Construct, fixed: bool) -> None:
    orders = _domain(scope)
    expiry = "2030-01-01T00:00:00Z"
    if not fixed:
        expiry = cdk.CfnParameter(orders, "Expiry", default=expiry).value_as_string
    orders.domain.add_to_key_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:Decrypt"],
            resources=["*"],
            conditions={"DateGreaterThan": {"aws:CurrentTime": expiry}},
        )
    )


@case("CDKP107", "Reference", "pass `encryption_key=domain.key` to the L2")
def _volume_by_export_name(scope: Construct, fixed: bool) -> None:
    from aws_cdk import aws_ec2 as ec2

    orders = _domain(scope, env=cdk.Environment(account=OWN_ACCOUNT["CDKP107"], region=REGION))
    if fixed:
        ec2.Volume(
            orders,
            "Disk",
            availability_zone=f"{REGION}a",
            size=cdk.Size.gibibytes(8),
            encrypted=True,
            encryption_key=orders.domain.key,
        )
    else:
        # the key through an export name written by hand: no reference the domain can follow
        # (a store naming the key or its alias, even by literal alias ARN, is followed)
        cdk.CfnOutput(orders, "KeyArn", value=orders.domain.key.key_arn, export_name="orders-key")
        consumer = cdk.Stack(
            scope, "Consumer", env=cdk.Environment(account=OWN_ACCOUNT["CDKP107"], region=REGION)
        )
        consumer.add_dependency(orders)
        ec2.CfnVolume(
            consumer,
            "Disk",
            availability_zone=f"{REGION}a",
            size=8,
            encrypted=True,
            kms_key_id=cdk.Fn.import_value("orders-key"),
        )


@case("CDKP108", "Replica", "create it with `domain.replica(scope, id)`")
def _replica_of_another_key(scope: Construct, fixed: bool) -> None:
    orders = _domain(
        scope,
        domain_props={"replica_regions": [REGION]},
        env=cdk.Environment(account=OWN_ACCOUNT["CDKP108"], region="eu-central-1"),
    )
    west = cdk.Stack(
        scope, "West", env=cdk.Environment(account=OWN_ACCOUNT["CDKP108"], region=REGION)
    )
    replica = orders.domain.replica(west, "Orders")
    if not fixed:
        replica.cfn_key.add_property_override(
            "PrimaryKeyArn",
            f"arn:aws:kms:eu-central-1:{OWN_ACCOUNT['CDKP108']}:key/mrk-0123456789abcdef",
        )


# -- the organisation's rules (cdk_partition.audit.organization.ORG_RULES), in one app -----------
OWNER, WORKLOAD = "100000000201", "100000000299"
SHARED_KEY = "arn:aws:kms:{region}:{account}:key/0123abcd-0000-0000-0000-00000000abcd"


def _shared_owner(scope: Construct, id: str, account: str) -> None:
    stage = cdk.Stage(scope, id, env=cdk.Environment(account=account, region=REGION))
    owner = DomainStack(
        stage, "Data", domain_name="shared", administrators=[iam.ArnPrincipal(ADMIN)]
    )
    owner.domain.queue("Events")


def _shared_workload(scope: Construct, id: str, key_arn: str, region: str = REGION) -> None:
    stage = cdk.Stage(scope, id, env=cdk.Environment(account=WORKLOAD, region=region))
    stack = cdk.Stack(stage, "Service")
    ref = DataDomain.from_domain_attributes(stack, "Shared", domain_name="shared", key_arn=key_arn)
    DomainEncryptionChecks(ref).apply_to(stack)
    ref.queue("Jobs")


@case("CDKP201", "Arn", "name the key ARN of the owning app's domain key")
def _reference_to_another_region(scope: Construct, fixed: bool) -> None:
    _shared_owner(scope, "Owner", OWNER)
    # the owner's key is in REGION; a store uses a key of its own region (refused otherwise)
    region = REGION if fixed else "us-east-1"
    _shared_workload(scope, "Workload", SHARED_KEY.format(region=region, account=OWNER), region)


@case("CDKP202", "Reference", "other apps reference it (DataDomain.from_domain_attributes")
def _domain_created_twice(scope: Construct, fixed: bool) -> None:
    _shared_owner(scope, "First", "100000000202")
    if fixed:
        key = SHARED_KEY.format(region=REGION, account="100000000202")
        _shared_workload(scope, "Second", key)
    else:
        _shared_owner(scope, "Second", "100000000202")


# -- rules that only a template this version did not write reaches ---------------------------
@dataclass(frozen=True)
class TemplateCase:
    """A rule no app of this version triggers (the marks it reads are written by an older
    version or by hand): the template before and after the fix, audited as the CLI does."""

    rule: str
    says: str
    build: Callable[[bool], list[StackTemplate]]


def _no_path_metadata(fixed: bool) -> list[StackTemplate]:
    """A construct scope's mark without the path metadata that places its resources (a
    template synthesized without ``aws:cdk:enable-path-metadata`` by a version whose marks did
    not list the scope's resources); fixed: synthesized with path metadata."""
    queue: dict[str, Any] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["DomainKey", "Arn"]}},
    }
    if fixed:
        queue["Metadata"] = {"aws:cdk:path": "S/Checked/Jobs/Resource"}
    template = {
        "Metadata": {"cdk_partition:checks": [{"domain": "orders", "scope": "S/Checked"}]},
        "Resources": {
            "DomainKey": domain_key("orders", path="S/Domain/Key/Resource"),
            "Jobs": queue,
        },
    }
    return [StackTemplate("S", template, "S.template.json")]


TEMPLATE_CASES = [
    TemplateCase("CDKP007", "synthesize with path metadata", _no_path_metadata),
]


@pytest.mark.parametrize("c", TEMPLATE_CASES, ids=lambda c: c.rule)
def test_template_fault_and_its_fix(c: TemplateCase) -> None:
    found = audit(CloudAssembly(c.build(False)))
    assert {f.rule for f in found} == {c.rule}, [(f.rule, f.message) for f in found]
    assert all(c.says in f.fix for f in found)
    assert audit(CloudAssembly(c.build(True))) == []


# -- the two apps ------------------------------------------------------------------------------
def _synth(outdir: Path, fixed: bool) -> list[Finding]:
    context: dict[str, Any] = cdk_context()
    if fixed:
        context[LOOKUP_CONTEXT] = PUBLISHED_KEY
    app = cdk.App(outdir=str(outdir), context=context)
    for c in CASES:
        c.build(cdk.Stage(app, c.stage), fixed)
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth; the audit reads cdk.out
        if "ValidationFailed" not in str(error):
            raise
    # as `cdk-partition audit cdk.out` does: the assembly's audit and the organisation's rules
    (findings,) = organization.audit_members(organization.load_members([outdir])).values()
    return findings


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, list[Finding]]:
    tmp = tmp_path_factory.mktemp("fixes")
    return {fixed: _synth(tmp / f"fixed-{fixed}", fixed) for fixed in (False, True)}


def _of(findings: list[Finding], c: Case) -> list[Finding]:
    return [
        f for f in findings if f.path.split("/")[0] == c.stage or f.stack.startswith(f"{c.stage}-")
    ]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.stage)
def test_the_fault_triggers_exactly_its_rule(apps: dict[bool, list[Finding]], c: Case) -> None:
    found = _of(apps[False], c)
    assert found and {f.rule for f in found} == {c.rule}, [
        (f.rule, f.path, f.message) for f in found
    ]
    for f in found:
        assert c.says in f.fix, f.fix


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.stage)
def test_the_fix_as_written_passes(apps: dict[bool, list[Finding]], c: Case) -> None:
    found = _of(apps[True], c)
    failing = [f for f in found if not f.exempted]
    assert failing == [], [(f.rule, f.path, f.message) for f in failing]
    # an exemption is the fix only where the fix says so, and only of this rule
    assert all(f.rule == c.rule and "exempt" in c.says for f in found if f.exempted)


def test_every_rule_has_a_case() -> None:
    covered = {c.rule for c in [*CASES, *TEMPLATE_CASES]} | set(NO_CASE)
    assert [r for r in [*ORDER, *organization.ORG_RULES] if r not in covered] == []
    assert set(NO_CASE) <= set(RULES)


# -- the store rules' fixes of every catalogue type: they name the API that exists ------------
#: A fix's ``mod.CfnX``: the module of aws-cdk-lib it is imported from (``lambda_`` is
#: ``aws_lambda``, imported under that name because ``lambda`` is a keyword).
def _cdk_class(module: str, name: str) -> Any:
    imported = importlib.import_module(f"aws_cdk.aws_{module.rstrip('_')}")
    return getattr(imported, name, None)


def _keywords(cls: Any) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"self", "scope", "id"}


_CLASS = re.compile(r"`(\w+)\.(Cfn\w+)`")
_OF = re.compile(
    r"as `(\w+)`(?: \(with `[^`]*`\))?(?: in (?:every )?`\w+`)*?(?: in (?:every )?`(\w+)`)? "
    r"of `(\w+)\.(Cfn\w+)`"
)
_METHOD = re.compile(r"`domain\.(\w+)\(")
_ENUM = re.compile(r"\b([a-z0-9]+_?)\.([A-Z]\w+)\.([A-Z][A-Z_0-9]+)\b")


@pytest.mark.parametrize("cfn_type", sorted(CATALOGUE))
def test_each_catalogue_fix_names_api_that_exists(cfn_type: str) -> None:
    """The fix a store finding prints for ``cfn_type`` (CDKP001-CDKP005) names a store method of
    the domain, an L1 class of the installed aws-cdk-lib, and that class's own keyword (the
    property of the key slot, or the property it is nested in), so that it can be written as
    it reads; the cases above apply a fix of each form."""
    fix = CATALOGUE[cfn_type].cdk_fix
    for method in _METHOD.findall(fix):
        assert callable(getattr(DataDomain, method, None)), f"{cfn_type}: domain.{method}"
    for module, name in _CLASS.findall(fix):
        assert _cdk_class(module, name) is not None, f"{cfn_type}: no aws_cdk {module}.{name}"
    for prop, outer, module, name in _OF.findall(fix):
        keywords = _keywords(_cdk_class(module, name))
        assert (outer or prop) in keywords, f"{cfn_type}: {module}.{name} takes no {outer or prop}"
    for module, enum, member in _ENUM.findall(fix):
        assert hasattr(
            getattr(importlib.import_module(f"aws_cdk.aws_{module.rstrip('_')}"), enum), member
        ), fix

"""Principals IAM lets reach a domain store that the key refuses, beyond the six types the identity
table began with (issue #19, "principals follow the grants"): Step Functions state machines and
activities, SageMaker feature groups, Keyspaces tables, Kinesis video streams, S3 directory
buckets and Athena workgroups on the domain key, by reference or by literal ARN (each row of
``identity_kms.json`` cites the service's page), and grants written on an ARN that reaches a
store's data through another resource: a Kinesis stream's enhanced fan-out consumer, an S3 access
point (each naming its store by reference or by literal name or ARN), a state machine's
executions (the CDK writes them as a part of the state machine's ARN). Each was silent (an attack
review found them); now each is CDKP019, and the fix it prints, applied as written, clears it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_athena as athena
from aws_cdk import aws_cassandra as cassandra
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisvideo as kinesisvideo
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3express as s3express
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_stepfunctions as sfn
from test_integrations import ENV, _synth
from test_oracle_iam_simulate import ACCOUNT, REGION

from cdk_partition import DomainStack


def _role(orders: DomainStack) -> iam.Role:
    return iam.Role(orders, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))


def _state_machine(orders: DomainStack) -> None:
    machine = sfn.StateMachine(
        orders, "Machine",
        definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(orders, "Step")),
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(orders.domain.key),
    )  # fmt: skip
    orders.domain.allow_passed_role(machine.role, "AWS::StepFunctions::StateMachine")
    machine.grant_read(_role(orders))  # executions too, as a part of the machine's ARN


def _activity(orders: DomainStack) -> None:
    activity = sfn.Activity(orders, "Work", encryption_configuration=(
        sfn.CustomerManagedEncryptionConfiguration(orders.domain.key)))  # fmt: skip
    activity.grant(_role(orders), "states:GetActivityTask")


def _video(orders: DomainStack) -> None:
    stream = kinesisvideo.CfnStream(orders, "Video", kms_key_id=orders.domain.key.key_arn)
    _role(orders).add_to_policy(
        iam.PolicyStatement(actions=["kinesisvideo:PutMedia"], resources=[stream.attr_arn])
    )


def _directory_bucket(orders: DomainStack) -> None:
    bucket = s3express.CfnDirectoryBucket(
        orders, "Express", data_redundancy="SingleAvailabilityZone", location_name="use1-az4",
        bucket_encryption=s3express.CfnDirectoryBucket.BucketEncryptionProperty(
            server_side_encryption_configuration=[
                s3express.CfnDirectoryBucket.ServerSideEncryptionRuleProperty(
                    bucket_key_enabled=True,
                    server_side_encryption_by_default=(
                        s3express.CfnDirectoryBucket.ServerSideEncryptionByDefaultProperty(
                            sse_algorithm="aws:kms",
                            kms_master_key_id=orders.domain.key.key_arn)))]),
    )  # fmt: skip
    _role(orders).add_to_policy(
        iam.PolicyStatement(actions=["s3express:CreateSession"], resources=[bucket.attr_arn])
    )


def _workgroup(orders: DomainStack) -> None:
    results = orders.domain.bucket("Results")
    workgroup = athena.CfnWorkGroup(orders, "Queries", name="orders-queries",
        work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
            result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                output_location=f"s3://{results.bucket_name}/results/",
                encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                    encryption_option="SSE_KMS", kms_key=orders.domain.key.key_arn))))  # fmt: skip
    arn = orders.format_arn(service="athena", resource="workgroup", resource_name=workgroup.ref)
    _role(orders).add_to_policy(
        iam.PolicyStatement(actions=["athena:GetQueryResults"], resources=[arn])
    )


def _stream_consumer(orders: DomainStack) -> None:
    stream = orders.domain.stream("Events")
    consumer = kinesis.CfnStreamConsumer(
        orders, "FanOut", consumer_name="fan-out", stream_arn=stream.stream_arn
    )
    _role(orders).add_to_policy(iam.PolicyStatement(
        actions=["kinesis:SubscribeToShard"], resources=[consumer.attr_consumer_arn]))  # fmt: skip


def _access_point(orders: DomainStack) -> None:
    bucket = orders.domain.bucket("Docs")
    point = s3.CfnAccessPoint(orders, "Point", bucket=bucket.bucket_name, name="orders-docs")
    _role(orders).add_to_policy(iam.PolicyStatement(
        actions=["s3:GetObject"], resources=[f"{point.attr_arn}/object/*"]))  # fmt: skip


def _access_point_by_name(orders: DomainStack) -> None:
    """The access point names the bucket by its literal name, as AWS's own examples write it."""
    orders.domain.bucket("Docs", bucket_name="orders-docs")
    point = s3.CfnAccessPoint(orders, "Point", bucket="orders-docs", name="orders-docs")
    _role(orders).add_to_policy(iam.PolicyStatement(
        actions=["s3:GetObject"], resources=[f"{point.attr_arn}/object/*"]))  # fmt: skip


def _stream_consumer_by_arn(orders: DomainStack) -> None:
    """The consumer names the stream by its literal ARN."""
    orders.domain.stream("Events", stream_name="orders-events")
    consumer = kinesis.CfnStreamConsumer(orders, "FanOut", consumer_name="fan-out",
        stream_arn=f"arn:aws:kinesis:{orders.region}:{orders.account}:stream/orders-events")  # fmt: skip
    _role(orders).add_to_policy(iam.PolicyStatement(
        actions=["kinesis:SubscribeToShard"], resources=[consumer.attr_consumer_arn]))  # fmt: skip


def _keyspaces_by_name(orders: DomainStack) -> None:
    """A Keyspaces table on the key, granted by its literal ARN (``/keyspace/ks/table/t``)."""
    cassandra.CfnTable(orders, "Table", keyspace_name="ks", table_name="t",
        partition_key_columns=[cassandra.CfnTable.ColumnProperty(
            column_name="id", column_type="text")],
        encryption_specification=cassandra.CfnTable.EncryptionSpecificationProperty(
            encryption_type="CUSTOMER_MANAGED_KMS_KEY",
            kms_key_identifier=orders.domain.key.key_arn))  # fmt: skip
    _role(orders).add_to_policy(iam.PolicyStatement(actions=["cassandra:Select"], resources=[
        f"arn:aws:cassandra:{orders.region}:{orders.account}:/keyspace/ks/table/t"]))  # fmt: skip


def _workgroup_by_name(orders: DomainStack) -> None:
    """The workgroup granted by its literal ARN, as Athena's guide writes it."""
    athena.CfnWorkGroup(orders, "Queries", name="orders-queries",
        work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
            result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                output_location="s3://orders-results/",
                encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                    encryption_option="SSE_KMS", kms_key=orders.domain.key.key_arn))))  # fmt: skip
    _role(orders).add_to_policy(iam.PolicyStatement(actions=["athena:StartQueryExecution"],
        resources=[f"arn:aws:athena:{orders.region}:{orders.account}:workgroup/orders-queries"]))  # fmt: skip


def _feature_group(orders: DomainStack, by_name: bool = False) -> None:
    """A Feature Store feature group whose online store is on the key, its records put by a role
    (by the ARN the CDK formats, or by its literal ARN)."""
    group = sagemaker.CfnFeatureGroup(orders, "Features", feature_group_name="orders-features",
        record_identifier_feature_name="id", event_time_feature_name="at",
        feature_definitions=[sagemaker.CfnFeatureGroup.FeatureDefinitionProperty(
            feature_name=n, feature_type="String") for n in ("id", "at")],
        # a JSON object (the L1 types it Any: a property class would be written in camelCase)
        online_store_config={"EnableOnlineStore": True,
                             "SecurityConfig": {"KmsKeyId": orders.domain.key.key_arn}})  # fmt: skip
    arn = (f"arn:aws:sagemaker:{orders.region}:{orders.account}:feature-group/orders-features"
           if by_name else orders.format_arn(service="sagemaker", resource="feature-group",
                                             resource_name=group.ref))  # fmt: skip
    _role(orders).add_to_policy(iam.PolicyStatement(actions=["sagemaker:PutRecord"],
                                                    resources=[arn]))  # fmt: skip


CASES: dict[str, Callable[[DomainStack], None]] = {
    "feature-group": _feature_group,
    "feature-group-by-name": lambda orders: _feature_group(orders, by_name=True),
    "keyspaces-by-name": _keyspaces_by_name,
    "athena-workgroup-by-name": _workgroup_by_name,
    "state-machine": _state_machine,
    "activity": _activity,
    "video-stream": _video,
    "directory-bucket": _directory_bucket,
    "athena-workgroup": _workgroup,
    "stream-consumer": _stream_consumer,
    "access-point": _access_point,
    "access-point-by-name": _access_point_by_name,
    "stream-consumer-by-arn": _stream_consumer_by_arn,
}


def _fixed(build: Callable[[DomainStack], None], fix: str) -> Callable[[DomainStack], None]:
    """``build`` with the grants the fix names (``domain.grant_read(Orders/R)``...), as written."""

    def inner(orders: DomainStack) -> None:
        build(orders)
        role = orders.node.find_child("R")
        for method in re.findall(r"`domain\.(grant_read|grant_write)\(Orders/R\)`", fix):
            getattr(orders.domain, method)(role)

    return inner


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_grant_the_key_refuses_is_cdkp019_and_its_fix_passes(tmp_path: Path, case: str) -> None:
    build = CASES[case]
    before = [f for f in _synth(tmp_path / "before", build) if f.rule == "CDKP019"]
    assert [f.path for f in before] == ["Orders/R/DefaultPolicy/Resource"], [
        f.message for f in before
    ]
    fix = before[0].fix or ""
    assert "`domain.grant_" in fix, fix
    after = _synth(tmp_path / "after", _fixed(build, fix))
    assert not [f for f in after if f.rule in ("CDKP019", "CDKP020")], [f.message for f in after]


def test_a_part_of_a_store_arn_is_followed_only_inside_a_text() -> None:
    """``Fn::Select``/``Fn::Split`` of a store's ARN inside a resource text reaches the store; as a
    whole value (a key slot) it names nothing: a part is not the resource."""
    from cdk_partition.assembly.references import references
    from cdk_partition.assembly.stacks import StackTemplate

    template = {"Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine"}}}
    stack = StackTemplate(name="S", template=template, file="S.template.json")
    part = {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Machine"}]}]}
    inside = {"Fn::Join": ["", ["arn:aws:states:r:1:execution:", part, ":*"]]}
    assert [i for _, i in references({}, stack, inside)] == ["Machine"]
    assert list(references({}, stack, part, whole=True)) == []


@pytest.mark.parametrize("apart", ["stage", "account", "path", "agnostic-stage"])
def test_a_principal_the_domain_cannot_reference_gets_a_fix_by_its_arn(
    tmp_path: Path, apart: str
) -> None:
    """A role of another Stage or account: the fix named its construct
    (`domain.grant_read(Prod/Consumers/R)`), which the CDK refuses there (NoCrossStageDependency,
    CannotUseCrossEnvironment). Now it names the role by a physical name and its ARN (its IAM
    path kept; a Stage that leaves its account to deploy time is given one first), and that
    passes as written."""
    account = ACCOUNT if apart in ("stage", "agnostic-stage") else "444455556666"

    def build(fix: str | None) -> Callable[[DomainStack], None]:
        def inner(orders: DomainStack) -> None:
            orders.domain.queue("Jobs", queue_name="orders-jobs")
            env = cdk.Environment(account=account, region=REGION)
            if apart == "agnostic-stage" and not (fix and "env=cdk.Environment(" in fix):
                env = None  # the fix gives the Stage an environment
            staged = apart.endswith("stage")
            scope = cdk.Stage(orders.node.root, "Prod", env=env) if staged else orders.node.root
            consumers = cdk.Stack(scope, "Consumers", env=env)
            role = iam.Role(consumers, "R", assumed_by=iam.AccountRootPrincipal(),
                            path="/svc/" if apart == "path" else None,
                            role_name="orders-sender" if fix else None)  # fmt: skip
            role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[
                f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-jobs"]))  # fmt: skip
            if fix:  # the fix as written, its placeholders filled as the user would
                made = re.search(r"`role = (iam\.Role\.from_role_arn\(.*?\))`", fix)
                assert made is not None, fix
                arn = re.search(r"'(arn:[^']*)'", made.group(1)).group(1)  # type: ignore[union-attr]
                for placeholder, value in (("<name>", "orders-sender"), ("<account>", account),
                                           ("<partition>", "aws")):  # fmt: skip
                    arn = arn.replace(placeholder, value)
                imported = iam.Role.from_role_arn(orders, "Sender", arn)
                for method in re.findall(r"`domain\.(grant_read|grant_write)\(role\)`", fix):
                    getattr(orders.domain, method)(imported)

        return inner

    before = [f for f in _synth(tmp_path / "before", build(None)) if f.rule == "CDKP019"]
    assert len(before) == 1, [f.message for f in before]
    fix = before[0].fix or ""
    folder = "/svc/" if apart == "path" else "/"
    where = "<partition>:iam::<account>" if apart == "agnostic-stage" else f"aws:iam::{account}"
    assert "physical name" in fix and f"arn:{where}:role{folder}<name>" in fix, fix
    after = _synth(tmp_path / "after", build(fix))
    assert not [f for f in after if f.severity == "error"], [f.message for f in after]


def test_a_feature_group_whose_online_store_is_not_on_the_key_needs_no_reader(
    tmp_path: Path,
) -> None:
    """Only the online store's key serves PutRecord / GetRecord (the row's ``key_slot``); a
    feature group with the domain key on its offline store alone drew CDKP019, whose fix widened
    the key for nothing (an attack review found it)."""

    def build(orders: DomainStack) -> None:
        sagemaker.CfnFeatureGroup(orders, "Features", feature_group_name="orders-features",
            record_identifier_feature_name="id", event_time_feature_name="at",
            feature_definitions=[sagemaker.CfnFeatureGroup.FeatureDefinitionProperty(
                feature_name=n, feature_type="String") for n in ("id", "at")],
            online_store_config={"EnableOnlineStore": True},
            offline_store_config={"S3StorageConfig": {"S3Uri": "s3://orders-offline/features",
                                                      "KmsKeyId": orders.domain.key.key_arn}},
            role_arn=f"arn:aws:iam::{orders.account}:role/feature-store")  # fmt: skip
        _role(orders).add_to_policy(iam.PolicyStatement(
            actions=["sagemaker:GetRecord", "sagemaker:PutRecord"],
            resources=[f"arn:aws:sagemaker:{orders.region}:{orders.account}:feature-group/"
                       "orders-features"]))  # fmt: skip

    found = [f for f in _synth(tmp_path, build) if f.rule in ("CDKP019", "CDKP020", "CDKP027")]
    assert found == [], [f.message for f in found]


def _nested_store(orders: DomainStack) -> None:
    """A queue on the key in a nested stack, read by a role of the parent through the output
    the CDK wires (``Fn::GetAtt [<nested stack>, Outputs.<name>]``)."""
    from aws_cdk import aws_sqs as sqs

    data = cdk.NestedStack(orders, "Data")
    queue = sqs.CfnQueue(data, "Q", kms_master_key_id=orders.domain.key.key_arn)
    _role(orders).add_to_policy(iam.PolicyStatement(actions=["sqs:ReceiveMessage"],
                                                    resources=[queue.attr_arn]))  # fmt: skip


def test_a_store_in_a_nested_stack_is_reached_through_its_output(tmp_path: Path) -> None:
    """The output was not followed: silent for every store type (an attack review found it)."""
    before = [f for f in _synth(tmp_path / "before", _nested_store) if f.rule == "CDKP019"]
    assert [f.path for f in before] == ["Orders/R/DefaultPolicy/Resource"], before
    fix = before[0].fix or ""
    after = _synth(tmp_path / "after", _fixed(_nested_store, fix))
    assert not [f for f in after if f.rule in ("CDKP019", "CDKP020")], [f.message for f in after]


def test_a_principal_in_a_nested_stack_is_followed_through_its_parameter(tmp_path: Path) -> None:
    """A role of a nested stack names the parent's domain queue through the parameter the CDK
    passes it (was CDKP020, "cannot be followed"). Naming the role in the key policy would close
    a cycle (the nested stack waits for the queue, the queue for the key), so the fix is the
    later-stack one: the role made in a stack that deploys first; applied as written, it passes."""

    def build(fixed: bool) -> Callable[[DomainStack], None]:
        def inner(orders: DomainStack) -> None:
            queue = orders.domain.queue("Jobs")
            app = cdk.NestedStack(orders, "App")
            if fixed:  # as the fix says: the role in a principals stack, imported where used
                consumers = cdk.Stack(orders.node.root, "Consumers", env=ENV)
                made = iam.Role(consumers, "R",
                                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))  # fmt: skip
                role = iam.Role.from_role_arn(app, "R", made.role_arn)
                orders.domain.grant_read(made)
            else:
                role = iam.Role(app, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
            role.add_to_principal_policy(iam.PolicyStatement(
                actions=["sqs:ReceiveMessage"], resources=[queue.queue_arn]))  # fmt: skip

        return inner

    before = [f for f in _synth(tmp_path / "before", build(False)) if f.rule.startswith("CDKP0")]
    assert [(f.rule, f.path) for f in before] == [
        ("CDKP019", "Orders/App/R/DefaultPolicy/Resource")
    ], [f.message for f in before]
    assert "a stack that deploys before the domain's" in (before[0].fix or ""), before[0].fix
    after = _synth(tmp_path / "after", build(True))
    assert [f for f in after if f.severity == "error"] == [], [f.message for f in after]

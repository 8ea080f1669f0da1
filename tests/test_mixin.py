"""The domain as a CDK Mixin (``domain.encryption_at_rest()``, issue #21): every catalogued store
of a scope on the domain key, on the L1 under any L2, from the catalogue's ``set`` facts; what it
cannot do is an error (another key) or a warning annotation, never silence."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from conftest import cdk_context, volume_template
from test_schema_coverage import _load, _resolve

from cdk_partition import ConflictingEncryptionError, DataDomain, exempt
from cdk_partition.knowledge._classify import _SEGMENT
from cdk_partition.knowledge.catalogue import CATALOGUE


def _arn(stack: cdk.Stack) -> dict[str, Any]:
    """The domain key's ARN as the stack's template names it."""
    (key,) = (
        k
        for k, r in _resources(stack).items()
        if r["Type"] == "AWS::KMS::Key"
        and r["Metadata"]["aws:cdk:path"].startswith(f"{stack.stack_name}/Domain/")
    )
    return {"Fn::GetAtt": [key, "Arn"]}


def _domain(app: cdk.App, name: str = "S") -> tuple[cdk.Stack, DataDomain]:
    people = cdk.Stack(app, f"{name}People")
    ci = iam.User(people, "ci", user_name=f"ci-{name.lower()}")
    stack = cdk.Stack(app, name)
    return stack, DataDomain(stack, "Domain", domain_name=f"d-{name.lower()}", administrators=[ci])


def _resources(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    template: dict[str, Any] = stack.resolve(
        cdk.Stage.of(stack)
        .synth(validate_on_synthesis=False)
        .get_stack_by_name(stack.stack_name)
        .template
    )
    return template["Resources"]


def _by_path(stack: cdk.Stack, path: str) -> dict[str, Any]:
    for resource in _resources(stack).values():
        if resource.get("Metadata", {}).get("aws:cdk:path") == f"{stack.stack_name}/{path}":
            return resource.get("Properties", {})
    raise AssertionError(f"no resource at {path}")


@pytest.fixture(scope="module")
def mixed() -> cdk.Stack:
    """One stack of L2s and L1s that name no key, then the mixin over the whole stack."""
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    s3.Bucket(stack, "Bucket")
    s3.CfnBucket(stack, "Raw")
    dynamodb.Table(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
    )
    sqs.Queue(stack, "Queue")
    logs.LogGroup(stack, "Logs")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    rds.DatabaseInstance(
        stack,
        "Db",
        engine=rds.DatabaseInstanceEngine.POSTGRES,
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        enable_performance_insights=True,
    )
    cdk.Mixins.of(stack).apply(domain.encryption_at_rest())
    return stack


def test_l2_bucket_gets_aws_kms_and_the_domain_key(mixed: cdk.Stack) -> None:
    key = _arn(mixed)
    rule = _by_path(mixed, "Bucket/Resource")["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert rule == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}
    ]


def test_l1_bucket_gets_the_same(mixed: cdk.Stack) -> None:
    key = _arn(mixed)
    sse = _by_path(mixed, "Raw")["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key,
    }


@pytest.mark.parametrize("path", ["Bucket/Policy/Resource", "Raw/@FromCfnBucket/Policy/Resource"])
def test_buckets_deny_puts_with_other_encryption(mixed: cdk.Stack, path: str) -> None:
    sids = {s.get("Sid") for s in _by_path(mixed, path)["PolicyDocument"]["Statement"]}
    assert {"DenyOtherEncryption", "DenyOtherKeys", "DenyManagedKeyFallback"} <= sids


def test_table_gets_sse_specification(mixed: cdk.Stack) -> None:
    key = _arn(mixed)
    assert _by_path(mixed, "Table/Resource")["SSESpecification"] == {
        "KMSMasterKeyId": key,
        "SSEEnabled": True,
        "SSEType": "KMS",
    }


def test_queue_drops_sqs_managed_sse(mixed: cdk.Stack) -> None:
    key = _arn(mixed)
    props = _by_path(mixed, "Queue/Resource")
    assert props["KmsMasterKeyId"] == key
    assert "SqsManagedSseEnabled" not in props


def test_log_group_gets_the_key(mixed: cdk.Stack) -> None:
    key = _arn(mixed)
    assert _by_path(mixed, "Logs/Resource")["KmsKeyId"] == key


def test_database_storage_performance_insights_and_generated_secret(mixed: cdk.Stack) -> None:
    key = _arn(mixed)
    props = _by_path(mixed, "Db/Resource")
    assert props["StorageEncrypted"] is True
    assert props["KmsKeyId"] == key
    assert props["PerformanceInsightsKMSKeyId"] == key
    assert _by_path(mixed, "Db/Secret/Resource")["KmsKeyId"] == key


def test_another_key_is_an_error_at_apply_time() -> None:
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    other = s3.Bucket(stack, "Other", encryption=s3.BucketEncryption.KMS)
    mixin = domain.encryption_at_rest()
    message = r"S/Other/Resource \(AWS::S3::Bucket\): .*KMSMasterKeyID names another key .*replace_keys=True"
    with pytest.raises(ConflictingEncryptionError, match=message) as err:
        mixin.apply_to(other.node.default_child)  # what CDK calls, without the jsii hop
    assert err.value.path == "S/Other/Resource"
    assert err.value.prop.endswith("KMSMasterKeyID")
    # through CDK (a jsii callback) the error reaches the caller as jsii relays it: same text
    with pytest.raises(RuntimeError, match=message):
        other.with_(mixin)


def test_replace_keys_moves_the_store() -> None:
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    s3.Bucket(stack, "Other", encryption=s3.BucketEncryption.KMS)
    cdk.Mixins.of(stack).apply(domain.encryption_at_rest(replace_keys=True))
    sse = _by_path(stack, "Other/Resource")["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse[0]["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == _arn(stack)


def test_domain_key_already_there_is_left_alone() -> None:
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    queue = sqs.Queue(stack, "Q", encryption_master_key=domain.key)
    queue.with_(domain.encryption_at_rest())
    assert _by_path(stack, "Q/Resource")["KmsMasterKeyId"] == _arn(stack)


def _warnings(stack: cdk.Stack, path: str) -> None:
    """The mixin annotated the construct at ``path`` (or its default child) with a warning.

    Read from the construct tree, not from a synth: the domain registers its checks, which fail
    the synth of these deliberately unfixed stores (the audit's verdict, tested elsewhere)."""
    construct = stack.node.find_child(path)
    nodes = [construct, *(c for c in construct.node.children)]
    texts = [
        str(entry.data)
        for node in nodes
        for entry in node.node.metadata
        if entry.type == "aws:cdk:warning"
    ]
    assert any("domain d-s: " in text for text in texts), texts


def _mixin_notes(construct: Any) -> list[str]:
    """The mixin's warning annotations on ``construct`` (read off the node, no synth)."""
    return [
        str(entry.data)
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:warning" and "domain d-s: " in str(entry.data)
    ]


# The cases below are also findings of the domain checks (the mixin reports, the checks fail the
# synth): each test first asserts the mixin's annotation on the node, then exempts the store
# from the check's rule (with a reason, as a user would) to read the synthesized template.
_REASON = "test fixture: the mixin's annotation is what is under test here"


def test_key_behind_an_intrinsic_is_reported_not_replaced() -> None:
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    cond = cdk.CfnCondition(stack, "Prod", expression=cdk.Fn.condition_equals("a", "b"))
    queue = sqs.CfnQueue(
        stack, "Q", kms_master_key_id=cdk.Fn.condition_if(cond.logical_id, "k1", "k2").to_string()
    )
    queue.with_(domain.encryption_at_rest())
    (note,) = _mixin_notes(queue)
    assert "KmsMasterKeyId names another key" in note and "decided at deploy time" in note
    exempt(queue, "CDKP005", _REASON)
    assert "Fn::If" in _by_path(stack, "Q")["KmsMasterKeyId"]
    _warnings(stack, "Q")


def test_switch_behind_an_intrinsic_is_reported_not_set() -> None:
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    cond = cdk.CfnCondition(stack, "Prod", expression=cdk.Fn.condition_equals("a", "b"))
    table = dynamodb.CfnTable(
        stack,
        "T",
        key_schema=[dynamodb.CfnTable.KeySchemaProperty(attribute_name="pk", key_type="HASH")],
        attribute_definitions=[
            dynamodb.CfnTable.AttributeDefinitionProperty(attribute_name="pk", attribute_type="S")
        ],
        billing_mode="PAY_PER_REQUEST",
        sse_specification=dynamodb.CfnTable.SSESpecificationProperty(
            sse_enabled=cdk.Token.as_any(cdk.Fn.condition_if(cond.logical_id, True, False))
        ),
    )
    table.with_(domain.encryption_at_rest())
    (note,) = _mixin_notes(table)
    assert "SSEEnabled" in note and "not set by the mixin" in note
    exempt(table, "CDKP005", _REASON)
    assert "KMSMasterKeyId" not in _by_path(stack, "T")["SSESpecification"]
    _warnings(stack, "T")


def test_slot_under_an_intrinsic_parent_is_reported_not_written_into() -> None:
    # BucketEncryption is an Fn::If as a whole: writing the key into it would corrupt the
    # intrinsic (before: {"Fn::If": [...], "ServerSideEncryptionConfiguration": [...]})
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    cond = cdk.CfnCondition(stack, "Prod", expression=cdk.Fn.condition_equals("a", "b"))
    sse = s3.CfnBucket.BucketEncryptionProperty(
        server_side_encryption_configuration=[
            s3.CfnBucket.ServerSideEncryptionRuleProperty(
                server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                    sse_algorithm="AES256"
                )
            )
        ]
    )
    bucket = s3.CfnBucket(
        stack,
        "B",
        bucket_encryption=cdk.Token.as_any(
            cdk.Fn.condition_if(cond.logical_id, sse, cdk.Aws.NO_VALUE)
        ),
    )
    bucket.with_(domain.encryption_at_rest())
    (note,) = _mixin_notes(bucket)
    assert "decided at deploy time" in note
    assert bucket.node.try_find_child("@FromCfnBucket") is None  # no PUT-deny policy either
    exempt(bucket, "CDKP002", _REASON)  # the checks read the whole Fn::If as no encryption
    encryption = _by_path(stack, "B")["BucketEncryption"]
    assert list(encryption) == ["Fn::If"]


def test_inherited_key_is_reported_not_set() -> None:
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    replica = rds.CfnDBInstance(
        stack, "Replica", db_instance_class="db.t3.micro", source_db_instance_identifier="src"
    )
    replica.with_(domain.encryption_at_rest())
    (note,) = _mixin_notes(replica)
    assert "KmsKeyId is not set by the mixin" in note and "SourceDBInstanceIdentifier" in note
    exempt(replica, "CDKP005", _REASON)
    assert "KmsKeyId" not in _by_path(stack, "Replica")
    _warnings(stack, "Replica")


def test_keyless_store_is_reported() -> None:
    from aws_cdk import aws_dax as dax

    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    cluster = dax.CfnCluster(
        stack,
        "Dax",
        iam_role_arn="arn:aws:iam::123456789012:role/r",
        node_type="dax.t3.small",
        replication_factor=1,
    )
    cluster.with_(domain.encryption_at_rest())
    (note,) = _mixin_notes(cluster)
    assert "cannot use a customer managed key" in note
    exempt(cluster, "CDKP011", _REASON)
    _warnings(stack, "Dax")


def test_keyless_store_holding_no_data_is_left_quiet() -> None:
    # an API Gateway stage without a cache cluster holds no data at rest: nothing to report
    from aws_cdk import aws_apigateway as apigateway

    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    stage = apigateway.CfnStage(stack, "Stage", rest_api_id="abc123")
    stage.with_(domain.encryption_at_rest())
    assert _mixin_notes(stage) == []


def test_another_key_by_ref_is_an_error_and_by_import_a_warning() -> None:
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app)
    other = kms.CfnKey(stack, "Other", key_policy={})
    by_ref = sqs.CfnQueue(stack, "ByRef", kms_master_key_id=other.ref)
    with pytest.raises(
        ConflictingEncryptionError,
        match=r"S/ByRef \(AWS::SQS::Queue\): KmsMasterKeyId names another key",
    ):
        domain.encryption_at_rest().apply_to(by_ref)
    imported = sqs.CfnQueue(stack, "Imported", kms_master_key_id=cdk.Fn.import_value("k"))
    imported.with_(domain.encryption_at_rest())
    (note,) = _mixin_notes(imported)
    assert "decided at deploy time" in note


# -- the catalogue's set facts against the CloudFormation schemas cfn-lint ships -------------


def _schema_node(cfn_type: str, path: str) -> dict[str, Any] | None:
    """The schema node of a property path pattern (``A.B[].C``), or None if it does not exist."""
    schema = _load(cfn_type)
    node: Any = {"properties": schema["properties"]}
    for name, index in _SEGMENT.findall(path.replace("[]", "[0]")):
        node, _ = _resolve(schema, node, frozenset())
        candidates = [node, *(node.get(c, []) for c in ("allOf", "anyOf", "oneOf"))]
        found = None
        for candidate in [node, *[s for group in candidates[1:] for s in group]]:
            candidate, _ = _resolve(schema, candidate, frozenset())
            if isinstance(candidate, dict) and name in candidate.get("properties", {}):
                found = candidate["properties"][name]
                break
        if found is None:
            return None
        node, _ = _resolve(schema, found, frozenset())
        if index:
            if not isinstance(node, dict) or "items" not in node:
                return None
            node, _ = _resolve(schema, node["items"], frozenset())
    return node if isinstance(node, dict) else None


_SETS = [
    (cfn_type, slot.key, path, value)
    for cfn_type, store in CATALOGUE.items()
    for slot in store.slots
    for path, value in [(slot.key, None), *slot.set_with]
]


@pytest.mark.parametrize(("cfn_type", "key", "path", "value"), _SETS, ids=lambda v: str(v))
def test_set_facts_match_the_cloudformation_schema(
    cfn_type: str, key: str, path: str, value: Any
) -> None:
    node = _schema_node(cfn_type, path)
    assert node is not None, f"{cfn_type}: {path} (set by the mixin for {key}) is not in the schema"
    if value is None:
        return
    if "enum" in node:
        assert value in node["enum"], f"{cfn_type}.{path}: {value!r} not in {node['enum']}"
    types = node.get("type")
    types = set(types) if isinstance(types, list) else {types} if types else set()
    kind = {bool: "boolean", str: "string", int: "integer"}[type(value)]
    assert not types or kind in types or (kind == "integer" and "number" in types), (
        f"{cfn_type}.{path}: {value!r} is not a {types}"
    )


def test_every_slot_says_how_it_is_set() -> None:
    # the schema requires "set"; a slot whose switch it does not know would leave the store off
    # the key: the test above checks each switch, this one that the table is not empty
    assert sum(len(slot.set_with) for store in CATALOGUE.values() for slot in store.slots) > 50


def _auto_scaling_app(with_group: bool) -> dict[str, Any]:
    from aws_cdk import aws_autoscaling as autoscaling

    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app, "Asg")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    template = volume_template(stack, "Template")
    if with_group:
        autoscaling.AutoScalingGroup(
            stack, "Group", vpc=vpc, launch_template=template,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        )  # fmt: skip
    cdk.Mixins.of(stack).apply(domain.encryption_at_rest())
    (key,) = (r for r in _resources(stack).values() if r["Type"] == "AWS::KMS::Key")
    return key["Properties"]["KeyPolicy"]


def test_an_auto_scaling_group_in_the_scope_names_the_service_linked_role() -> None:
    """A plain launch template put on the key by the mixin and launched by an Auto Scaling group:
    the group's service-linked role must be allowed the volumes (as the store method's
    ``auto_scaling=True`` does); without a group it is not named."""
    from cdk_partition.knowledge.capabilities import AUTO_SCALING_SID

    with_group = _auto_scaling_app(True)
    sids = {s.get("Sid") for s in with_group["Statement"]}
    assert {AUTO_SCALING_SID, AUTO_SCALING_SID + "Grants"} <= sids
    assert "AWSServiceRoleForAutoScaling" in str(with_group)
    without = _auto_scaling_app(False)
    assert "AWSServiceRoleForAutoScaling" not in str(without)

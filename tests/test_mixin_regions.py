"""The one switch on a global table (issue #21): a replica needs a key of its own region ("The key
must be created in the same region as the replica", AWS CloudFormation Template Reference,
"AWS::DynamoDB::GlobalTable ReplicaSSESpecification"), so the mixin writes the domain's key of
each replica's region (a multi-Region domain's replica key, or a key declared for that region),
and reports a replica in a region where the domain has none instead of writing the key of the
stack's region there (which CloudFormation refuses at deploy time)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from conftest import cdk_context

from cdk_partition import ConflictingEncryptionError, DataDomain, exempt
from cdk_partition.knowledge.encryption_plan import plan_encryption

ACCOUNT = "111111111111"
HOME, WEST = "eu-central-1", "eu-west-1"
PK = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
GLOBAL = "AWS::DynamoDB::GlobalTable"


def _stack(multi_region: bool) -> tuple[cdk.Stack, DataDomain]:
    app = cdk.App(context=cdk_context())
    env = cdk.Environment(account=ACCOUNT, region=HOME)
    stack = cdk.Stack(app, "Orders", env=env)
    domain = DataDomain(
        stack,
        "Domain",
        domain_name="orders",
        administrators=[iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/admin")],
        replica_regions=[WEST] if multi_region else (),
    )
    return stack, domain


def _replicas(table: dynamodb.TableV2) -> dict[str, Any]:
    """Region -> the replica's ``KMSMasterKeyId`` (None: none), as the template will have it."""
    stack = cdk.Stack.of(table)
    cfn = table.node.default_child
    assert isinstance(cfn, cdk.CfnResource)
    # overrides included; the checks are not run (a replica left off the key is their finding)
    assembly = cdk.Stage.of(stack).synth(validate_on_synthesis=False, force=True)
    template = assembly.get_stack_by_name(stack.stack_name).template
    body = template["Resources"][stack.resolve(cfn.logical_id)]["Properties"]
    return {
        r["Region"] if isinstance(r["Region"], str) else "home": (
            r.get("SSESpecification") or {}
        ).get("KMSMasterKeyId")
        for r in body["Replicas"]
    }


def _key_id(stack: cdk.Stack, domain: DataDomain) -> Any:
    return stack.resolve(domain.key.key_id)


def test_each_replica_gets_the_domain_key_of_its_region() -> None:
    stack, domain = _stack(multi_region=True)
    table = dynamodb.TableV2(
        stack, "Plain", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=WEST)]
    )
    cdk.Mixins.of(table).apply(domain.encryption_at_rest())
    keys = _replicas(table)
    assert keys[HOME] == stack.resolve(domain.key.key_arn)
    west = stack.resolve(keys[WEST]) if keys[WEST] is not None else None
    assert west is not None, keys
    text = str(west)
    # arn:<partition>:kms:eu-west-1:<account>:key/<the primary's key id> (a replica key shares it)
    assert f":kms:{WEST}:" in text and str(_key_id(stack, domain)) in text, west
    assert west != keys[HOME]


def test_a_replica_where_the_domain_has_no_key_is_reported_not_given_another_regions_key() -> None:
    stack, domain = _stack(multi_region=False)
    table = dynamodb.TableV2(
        stack, "Plain", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=WEST)]
    )
    cdk.Mixins.of(table).apply(domain.encryption_at_rest())
    # the checks report the replica off the key, and do not offer the mixin as its fix (applied,
    # it leaves the replica as it is): a fix must pass when applied as written
    with pytest.raises(RuntimeError, match="CDKP003") as failed:
        cdk.Stage.of(stack).synth(force=True)
    assert "KMSMasterKeyId is not set" in str(failed.value), failed.value
    assert "encryption_at_rest" not in str(failed.value), failed.value
    exempt(table, "CDKP003", "test fixture: the replica's key is what is under test here")
    keys = _replicas(table)
    assert keys[HOME] == stack.resolve(domain.key.key_arn)
    assert keys[WEST] is None, keys  # before: the eu-central-1 key, which DynamoDB refuses there
    cfn = table.node.default_child
    assert isinstance(cfn, cdk.CfnResource)
    warnings = [str(e.data) for e in cfn.node.metadata if e.type == "aws:cdk:warning"]
    assert any(f"needs a key of region {WEST}" in w and "multi-Region" in w for w in warnings), (
        warnings
    )


def test_a_replica_on_another_key_of_its_region_is_an_error() -> None:
    stack, domain = _stack(multi_region=True)
    other = kms.Key(stack, "Other")
    table = dynamodb.TableV2(
        stack,
        "Other Table",
        partition_key=PK,
        replicas=[dynamodb.ReplicaTableProps(region=WEST)],
        encryption=dynamodb.TableEncryptionV2.customer_managed_key(
            other, replica_key_arns={WEST: f"arn:aws:kms:{WEST}:{ACCOUNT}:key/other"}
        ),
    )
    with pytest.raises((ConflictingEncryptionError, RuntimeError), match="Replicas"):
        cdk.Mixins.of(table).apply(domain.encryption_at_rest())


def test_the_store_method_is_the_l2_plus_the_mixin_on_a_multi_region_domain() -> None:
    stack, domain = _stack(multi_region=True)
    plain = dynamodb.TableV2(
        stack, "Plain", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=WEST)]
    )
    cdk.Mixins.of(plain).apply(domain.encryption_at_rest())
    method = domain.table_v2(
        "Method", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=WEST)]
    )
    assert _replicas(method) == _replicas(plain)


@pytest.mark.parametrize(
    ("region", "expected"),
    [(None, "<home>"), ({"Ref": "AWS::Region"}, "<home>"), (WEST, "<west>"), ("ap-south-1", None)],
)
def test_the_plan_asks_for_the_key_of_each_replicas_region(region: Any, expected: Any) -> None:
    """The pure plan: the catalogue's ``set.region`` names where the key must be."""
    home = "<home>"

    def key_in(value: Any) -> Any:
        return {None: home, WEST: "<west>"}.get(value) if value != {"Ref": "AWS::Region"} else home

    replica: dict[str, Any] = {} if region is None else {"Region": region}
    plan = plan_encryption(
        GLOBAL,
        {"Replicas": [replica]},
        home,
        is_domain_key=lambda v: v == home,
        key_in_region=key_in,
    )
    assert plan is not None
    written = (plan.properties["Replicas"][0].get("SSESpecification") or {}).get("KMSMasterKeyId")
    assert written == expected
    assert bool(plan.notes) == (expected is None)

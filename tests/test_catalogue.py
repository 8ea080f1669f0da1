"""The catalogue: its paths exist in the real CloudFormation schemas, and its one classifier
gives the documented state for compliant and violating examples of every type."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cdk_partition.knowledge import catalogue
from cdk_partition.knowledge.catalogue import (
    CATALOGUE,
    KeyUse,
    classify,
    is_aws_managed_key_reference,
)

ARN = {"Fn::GetAtt": ["DomainKey", "Arn"]}
REF = {"Ref": "DomainKey"}
S3_KEY = "BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault"
CDK_MANAGED_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":kms:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":alias/aws/s3",
        ],
    ]
}


def _s3(default: dict[str, Any]) -> dict[str, Any]:
    return {"BucketEncryption": {"ServerSideEncryptionConfiguration": [{_BY_DEFAULT: default}]}}


_BY_DEFAULT = "ServerSideEncryptionByDefault"
_KMS = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": ARN}
_ATHENA = "WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration.KmsKey"
_ATHENA_MANAGED = "WorkGroupConfiguration.ManagedQueryResultsConfiguration"

# type -> (properties on the domain key, [(slot path, key value)]).
COMPLIANT: dict[str, tuple[dict[str, Any], list[tuple[str, Any]]]] = {
    "AWS::S3::Bucket": (_s3(_KMS), [(f"{S3_KEY}.KMSMasterKeyID", ARN)]),
    "AWS::S3Express::DirectoryBucket": (_s3(_KMS), [(f"{S3_KEY}.KMSMasterKeyID", ARN)]),
    "AWS::SQS::Queue": ({"KmsMasterKeyId": ARN}, [("KmsMasterKeyId", ARN)]),
    "AWS::SNS::Topic": ({"KmsMasterKeyId": REF}, [("KmsMasterKeyId", REF)]),
    "AWS::DynamoDB::Table": (
        {"SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": ARN}},
        [("SSESpecification.KMSMasterKeyId", ARN)],
    ),
    "AWS::DynamoDB::GlobalTable": (
        {
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
            "Replicas": [{"Region": "eu-west-1", "SSESpecification": {"KMSMasterKeyId": ARN}}],
        },
        [("Replicas[0].SSESpecification.KMSMasterKeyId", ARN)],
    ),
    "AWS::Kinesis::Stream": (
        {"StreamEncryption": {"EncryptionType": "KMS", "KeyId": ARN}},
        [("StreamEncryption.KeyId", ARN)],
    ),
    "AWS::KinesisFirehose::DeliveryStream": (
        {
            "DeliveryStreamType": "DirectPut",
            "DeliveryStreamEncryptionConfigurationInput": {
                "KeyType": "CUSTOMER_MANAGED_CMK",
                "KeyARN": ARN,
            },
        },
        [("DeliveryStreamEncryptionConfigurationInput.KeyARN", ARN)],
    ),
    "AWS::Logs::LogGroup": ({"KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
    "AWS::EC2::Volume": ({"Encrypted": True, "KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
    "AWS::RDS::DBInstance": (
        {
            "StorageEncrypted": True,
            "KmsKeyId": ARN,
            "EnablePerformanceInsights": True,
            "PerformanceInsightsKMSKeyId": ARN,
            "ManageMasterUserPassword": True,
            "MasterUserSecret": {"KmsKeyId": REF},
        },
        [
            ("KmsKeyId", ARN),
            ("PerformanceInsightsKMSKeyId", ARN),
            ("MasterUserSecret.KmsKeyId", REF),
        ],
    ),
    "AWS::RDS::DBCluster": (
        {
            "StorageEncrypted": True,
            "KmsKeyId": ARN,
            "PerformanceInsightsEnabled": True,
            "PerformanceInsightsKmsKeyId": ARN,
            "ManageMasterUserPassword": True,
            "MasterUserSecret": {"KmsKeyId": ARN},
        },
        [
            ("KmsKeyId", ARN),
            ("PerformanceInsightsKmsKeyId", ARN),
            ("MasterUserSecret.KmsKeyId", ARN),
        ],
    ),
    "AWS::EFS::FileSystem": (
        {
            "Encrypted": True,
            "KmsKeyId": ARN,
            "ReplicationConfiguration": {
                "Destinations": [{"Region": "us-west-2", "KmsKeyId": REF}]
            },
        },
        [("KmsKeyId", ARN), ("ReplicationConfiguration.Destinations[0].KmsKeyId", REF)],
    ),
    "AWS::SecretsManager::Secret": (
        {"KmsKeyId": ARN, "ReplicaRegions": [{"Region": "us-west-2", "KmsKeyId": REF}]},
        [("KmsKeyId", ARN), ("ReplicaRegions[0].KmsKeyId", REF)],
    ),
    "AWS::Backup::BackupVault": ({"EncryptionKeyArn": ARN}, [("EncryptionKeyArn", ARN)]),
    "AWS::ECR::Repository": (
        {"EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": ARN}},
        [("EncryptionConfiguration.KmsKey", ARN)],
    ),
    "AWS::Events::EventBus": ({"KmsKeyIdentifier": ARN}, [("KmsKeyIdentifier", ARN)]),
    "AWS::OpenSearchService::Domain": (
        {"EncryptionAtRestOptions": {"Enabled": True, "KmsKeyId": REF}},
        [("EncryptionAtRestOptions.KmsKeyId", REF)],
    ),
    "AWS::Elasticsearch::Domain": (
        {"EncryptionAtRestOptions": {"Enabled": "true", "KmsKeyId": REF}},
        [("EncryptionAtRestOptions.KmsKeyId", REF)],
    ),
    "AWS::ElastiCache::ReplicationGroup": (
        {"AtRestEncryptionEnabled": True, "KmsKeyId": ARN},
        [("KmsKeyId", ARN)],
    ),
    "AWS::ElastiCache::ServerlessCache": ({"KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
    "AWS::Redshift::Cluster": (
        {
            "Encrypted": True,
            "KmsKeyId": ARN,
            "ManageMasterPassword": True,
            "MasterPasswordSecretKmsKeyId": ARN,
        },
        [("KmsKeyId", ARN), ("MasterPasswordSecretKmsKeyId", ARN)],
    ),
    "AWS::RedshiftServerless::Namespace": (
        {"KmsKeyId": ARN, "ManageAdminPassword": True, "AdminPasswordSecretKmsKeyId": REF},
        [("KmsKeyId", ARN), ("AdminPasswordSecretKmsKeyId", REF)],
    ),
    "AWS::DocDB::DBCluster": (
        {
            "StorageEncrypted": True,
            "KmsKeyId": ARN,
            "ManageMasterUserPassword": True,
            "MasterUserSecretKmsKeyId": ARN,
        },
        [("KmsKeyId", ARN), ("MasterUserSecretKmsKeyId", ARN)],
    ),
    "AWS::Neptune::DBCluster": ({"StorageEncrypted": True, "KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
    "AWS::Timestream::Database": ({"KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
    "AWS::StepFunctions::StateMachine": (
        {"EncryptionConfiguration": {"Type": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": ARN}},
        [("EncryptionConfiguration.KmsKeyId", ARN)],
    ),
    "AWS::MSK::Cluster": (
        {"EncryptionInfo": {"EncryptionAtRest": {"DataVolumeKMSKeyId": ARN}}},
        [("EncryptionInfo.EncryptionAtRest.DataVolumeKMSKeyId", ARN)],
    ),
    "AWS::MemoryDB::Cluster": ({"KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
    "AWS::FSx::FileSystem": ({"KmsKeyId": REF}, [("KmsKeyId", REF)]),
    "AWS::SageMaker::NotebookInstance": ({"KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
    "AWS::SageMaker::Domain": ({"KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
    "AWS::CodeBuild::Project": ({"EncryptionKey": ARN}, [("EncryptionKey", ARN)]),
    "AWS::CodeArtifact::Domain": ({"EncryptionKey": ARN}, [("EncryptionKey", ARN)]),
    "AWS::Cassandra::Table": (
        {
            "EncryptionSpecification": {
                "EncryptionType": "CUSTOMER_MANAGED_KMS_KEY",
                "KmsKeyIdentifier": ARN,
            }
        },
        [("EncryptionSpecification.KmsKeyIdentifier", ARN)],
    ),
    "AWS::Athena::WorkGroup": (
        {
            "WorkGroupConfiguration": {
                "ResultConfiguration": {
                    "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": ARN}
                }
            }
        },
        [(_ATHENA, ARN)],
    ),
    "AWS::Kendra::Index": (
        {"ServerSideEncryptionConfiguration": {"KmsKeyId": ARN}},
        [("ServerSideEncryptionConfiguration.KmsKeyId", ARN)],
    ),
    "AWS::Lambda::Function": (
        {"DurableConfig": {"ExecutionTimeout": 60, "KMSKeyArn": ARN}},
        [("DurableConfig.KMSKeyArn", ARN)],
    ),
    "AWS::CloudTrail::Trail": ({"KMSKeyId": ARN}, [("KMSKeyId", ARN)]),
    "AWS::EKS::Cluster": (
        {"EncryptionConfig": [{"Provider": {"KeyArn": ARN}, "Resources": ["secrets"]}]},
        [("EncryptionConfig[0].Provider.KeyArn", ARN)],
    ),
    "AWS::AmazonMQ::Broker": (
        {"EncryptionOptions": {"UseAwsOwnedKey": False, "KmsKeyId": ARN}},
        [("EncryptionOptions.KmsKeyId", ARN)],
    ),
    "AWS::KinesisVideo::Stream": ({"KmsKeyId": ARN}, [("KmsKeyId", ARN)]),
}

# (type, properties, [(slot path, expected state)]): what each violation looks like.
VIOLATIONS: list[tuple[str, dict[str, Any] | None, list[tuple[str, str]]]] = [
    ("AWS::S3::Bucket", None, [(f"{S3_KEY}.KMSMasterKeyID", "aws_owned")]),
    (
        "AWS::S3::Bucket",
        _s3({"SSEAlgorithm": "AES256"}),
        [(f"{S3_KEY}.KMSMasterKeyID", "aws_owned")],
    ),
    (
        "AWS::S3::Bucket",
        _s3({"SSEAlgorithm": "aws:kms"}),
        [(f"{S3_KEY}.KMSMasterKeyID", "aws_managed")],
    ),
    (
        "AWS::S3::Bucket",
        _s3({"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": CDK_MANAGED_ARN}),
        [(f"{S3_KEY}.KMSMasterKeyID", "aws_managed")],
    ),
    ("AWS::S3Express::DirectoryBucket", {}, [(f"{S3_KEY}.KMSMasterKeyID", "aws_owned")]),
    (
        "AWS::S3Express::DirectoryBucket",
        _s3({"SSEAlgorithm": "AES256"}),
        [(f"{S3_KEY}.KMSMasterKeyID", "aws_owned")],
    ),
    ("AWS::SQS::Queue", {}, [("KmsMasterKeyId", "aws_owned")]),
    ("AWS::SQS::Queue", {"SqsManagedSseEnabled": True}, [("KmsMasterKeyId", "aws_owned")]),
    ("AWS::SQS::Queue", {"SqsManagedSseEnabled": False}, [("KmsMasterKeyId", "unencrypted")]),
    ("AWS::SQS::Queue", {"SqsManagedSseEnabled": "false"}, [("KmsMasterKeyId", "unencrypted")]),
    ("AWS::SQS::Queue", {"KmsMasterKeyId": "alias/aws/sqs"}, [("KmsMasterKeyId", "aws_managed")]),
    ("AWS::SNS::Topic", {}, [("KmsMasterKeyId", "unencrypted")]),
    (
        "AWS::SNS::Topic",
        {"KmsMasterKeyId": "arn:aws:kms:eu-west-1:111122223333:alias/aws/sns"},
        [("KmsMasterKeyId", "aws_managed")],
    ),
    ("AWS::DynamoDB::Table", {}, [("SSESpecification.KMSMasterKeyId", "aws_owned")]),
    (
        "AWS::DynamoDB::Table",
        {"SSESpecification": {"SSEEnabled": False, "KMSMasterKeyId": ARN}},
        [("SSESpecification.KMSMasterKeyId", "aws_owned")],
    ),
    (
        "AWS::DynamoDB::Table",
        {"SSESpecification": {"SSEEnabled": True}},
        [("SSESpecification.KMSMasterKeyId", "aws_managed")],
    ),
    (
        "AWS::DynamoDB::GlobalTable",
        {"Replicas": [{"Region": "eu-west-1"}]},
        [("Replicas[0].SSESpecification.KMSMasterKeyId", "aws_owned")],
    ),
    ("AWS::Kinesis::Stream", {}, [("StreamEncryption.KeyId", "unencrypted")]),
    (
        "AWS::Kinesis::Stream",
        {"StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}},
        [("StreamEncryption.KeyId", "aws_managed")],
    ),
    (
        "AWS::KinesisFirehose::DeliveryStream",
        {},
        [("DeliveryStreamEncryptionConfigurationInput.KeyARN", "unencrypted")],
    ),
    (
        "AWS::KinesisFirehose::DeliveryStream",
        {"DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK"}},
        [("DeliveryStreamEncryptionConfigurationInput.KeyARN", "aws_owned")],
    ),
    ("AWS::Logs::LogGroup", {}, [("KmsKeyId", "aws_owned")]),
    ("AWS::EC2::Volume", {}, [("KmsKeyId", "unencrypted")]),
    ("AWS::EC2::Volume", {"Encrypted": False}, [("KmsKeyId", "unencrypted")]),
    ("AWS::EC2::Volume", {"Encrypted": True}, [("KmsKeyId", "aws_managed")]),
    ("AWS::RDS::DBInstance", {}, [("KmsKeyId", "unencrypted")]),
    ("AWS::RDS::DBInstance", {"StorageEncrypted": True}, [("KmsKeyId", "aws_managed")]),
    ("AWS::RDS::DBCluster", None, [("KmsKeyId", "unencrypted")]),
    ("AWS::RDS::DBCluster", {"StorageEncrypted": "true"}, [("KmsKeyId", "aws_managed")]),
    ("AWS::EFS::FileSystem", {}, [("KmsKeyId", "unencrypted")]),
    ("AWS::EFS::FileSystem", {"Encrypted": True}, [("KmsKeyId", "aws_managed")]),
    (
        "AWS::EFS::FileSystem",
        {"Encrypted": True, "KmsKeyId": ARN, "ReplicationConfiguration": {"Destinations": [{}]}},
        [
            ("KmsKeyId", "customer_key"),
            ("ReplicationConfiguration.Destinations[0].KmsKeyId", "aws_managed"),
        ],
    ),
    ("AWS::SecretsManager::Secret", {}, [("KmsKeyId", "aws_managed")]),
    (
        "AWS::SecretsManager::Secret",
        {"KmsKeyId": ARN, "ReplicaRegions": [{"Region": "us-west-2"}]},
        [("KmsKeyId", "customer_key"), ("ReplicaRegions[0].KmsKeyId", "aws_managed")],
    ),
    ("AWS::Backup::BackupVault", {}, [("EncryptionKeyArn", "aws_managed")]),
    ("AWS::ECR::Repository", {}, [("EncryptionConfiguration.KmsKey", "aws_owned")]),
    (
        "AWS::ECR::Repository",
        {"EncryptionConfiguration": {"EncryptionType": "AES256"}},
        [("EncryptionConfiguration.KmsKey", "aws_owned")],
    ),
    (
        "AWS::ECR::Repository",
        {"EncryptionConfiguration": {"EncryptionType": "KMS"}},
        [("EncryptionConfiguration.KmsKey", "aws_managed")],
    ),
    ("AWS::Events::EventBus", {}, [("KmsKeyIdentifier", "aws_owned")]),
    ("AWS::OpenSearchService::Domain", {}, [("EncryptionAtRestOptions.KmsKeyId", "unencrypted")]),
    (
        "AWS::OpenSearchService::Domain",
        {"EncryptionAtRestOptions": {"Enabled": True}},
        [("EncryptionAtRestOptions.KmsKeyId", "aws_managed")],
    ),
    (
        "AWS::Elasticsearch::Domain",
        {"EncryptionAtRestOptions": {"Enabled": False}},
        [("EncryptionAtRestOptions.KmsKeyId", "unencrypted")],
    ),
    ("AWS::ElastiCache::ReplicationGroup", {}, [("KmsKeyId", "unencrypted")]),
    (
        "AWS::ElastiCache::ReplicationGroup",
        {"AtRestEncryptionEnabled": True},
        [("KmsKeyId", "aws_owned")],
    ),
    ("AWS::ElastiCache::ServerlessCache", {}, [("KmsKeyId", "aws_owned")]),
    ("AWS::Redshift::Cluster", {}, [("KmsKeyId", "aws_owned")]),
    ("AWS::Redshift::Cluster", {"Encrypted": False}, [("KmsKeyId", "unencrypted")]),
    (
        "AWS::Redshift::Cluster",
        {"KmsKeyId": ARN, "ManageMasterPassword": True},
        [("KmsKeyId", "customer_key"), ("MasterPasswordSecretKmsKeyId", "aws_managed")],
    ),
    ("AWS::RedshiftServerless::Namespace", {}, [("KmsKeyId", "aws_owned")]),
    ("AWS::DocDB::DBCluster", {}, [("KmsKeyId", "unencrypted")]),
    ("AWS::DocDB::DBCluster", {"StorageEncrypted": True}, [("KmsKeyId", "aws_managed")]),
    ("AWS::Neptune::DBCluster", {}, [("KmsKeyId", "unencrypted")]),
    ("AWS::Timestream::Database", {}, [("KmsKeyId", "aws_managed")]),
    ("AWS::StepFunctions::StateMachine", {}, [("EncryptionConfiguration.KmsKeyId", "aws_owned")]),
    (
        "AWS::StepFunctions::StateMachine",
        {"EncryptionConfiguration": {"Type": "AWS_OWNED_KEY"}},
        [("EncryptionConfiguration.KmsKeyId", "aws_owned")],
    ),
    (
        "AWS::MSK::Cluster",
        {},
        [("EncryptionInfo.EncryptionAtRest.DataVolumeKMSKeyId", "aws_managed")],
    ),
    ("AWS::MemoryDB::Cluster", {}, [("KmsKeyId", "aws_owned")]),
    ("AWS::FSx::FileSystem", {}, [("KmsKeyId", "aws_managed")]),
    ("AWS::SageMaker::NotebookInstance", {}, [("KmsKeyId", "aws_owned")]),
    ("AWS::SageMaker::Domain", {}, [("KmsKeyId", "aws_managed")]),
    ("AWS::CodeBuild::Project", {}, [("EncryptionKey", "aws_managed")]),
    ("AWS::CodeArtifact::Domain", {}, [("EncryptionKey", "aws_managed")]),
    ("AWS::Cassandra::Table", {}, [("EncryptionSpecification.KmsKeyIdentifier", "aws_owned")]),
    (
        "AWS::Cassandra::Table",
        {"EncryptionSpecification": {"EncryptionType": "AWS_OWNED_KMS_KEY"}},
        [("EncryptionSpecification.KmsKeyIdentifier", "aws_owned")],
    ),
    ("AWS::Athena::WorkGroup", {}, [(_ATHENA, "aws_owned")]),
    (
        "AWS::Athena::WorkGroup",
        {
            "WorkGroupConfiguration": {
                "ResultConfiguration": {
                    "EncryptionConfiguration": {"EncryptionOption": "SSE_S3", "KmsKey": ARN}
                }
            }
        },
        [(_ATHENA, "aws_owned")],
    ),
    (
        "AWS::Athena::WorkGroup",
        {"WorkGroupConfiguration": {"ManagedQueryResultsConfiguration": {"Enabled": True}}},
        [(f"{_ATHENA_MANAGED}.EncryptionConfiguration.KmsKey", "aws_owned")],
    ),
    ("AWS::Kendra::Index", {}, [("ServerSideEncryptionConfiguration.KmsKeyId", "aws_owned")]),
    (
        "AWS::Lambda::Function",
        {"DurableConfig": {"ExecutionTimeout": 60}},
        [("DurableConfig.KMSKeyArn", "aws_owned")],
    ),
    ("AWS::CloudTrail::Trail", {}, [("KMSKeyId", "aws_owned")]),
    ("AWS::EKS::Cluster", {}, [("EncryptionConfig[0].Provider.KeyArn", "aws_owned")]),
    ("AWS::AmazonMQ::Broker", {}, [("EncryptionOptions.KmsKeyId", "aws_owned")]),
    (
        "AWS::AmazonMQ::Broker",
        {"EncryptionOptions": {"UseAwsOwnedKey": True, "KmsKeyId": ARN}},
        [("EncryptionOptions.KmsKeyId", "aws_owned")],
    ),
    (
        "AWS::AmazonMQ::Broker",
        {"EncryptionOptions": {"UseAwsOwnedKey": False}},
        [("EncryptionOptions.KmsKeyId", "aws_managed")],
    ),
    ("AWS::KinesisVideo::Stream", {}, [("KmsKeyId", "aws_managed")]),
]


# -- the table itself --------------------------------------------------------------------------


def test_catalogue_covers_at_least_thirty_types() -> None:
    assert len(CATALOGUE) >= 30


def test_every_type_has_a_compliant_and_a_violating_example() -> None:
    # The hand-written examples cover the original types; every slot of every type also gets a
    # generated compliant and violating example in tests/test_schema_coverage.py.
    assert set(COMPLIANT) <= set(CATALOGUE)
    assert {t for t, _, _ in VIOLATIONS} == set(COMPLIANT)


@pytest.mark.parametrize("cfn_type", sorted(CATALOGUE))
def test_store_type_entry_is_consistent(cfn_type: str) -> None:
    store = catalogue.lookup(cfn_type)
    assert store is not None and store.cfn_type == cfn_type
    assert store.service == cfn_type.split("::")[1].lower()
    assert store.description and store.slots
    assert store.key_property == store.slots[0].key
    assert "domain" in store.cdk_fix
    assert store.managed_alias is None or is_aws_managed_key_reference(store.managed_alias)
    for slot in store.slots:
        assert slot.no_key and slot.no_key[-1].when == (), "the last no_key outcome is the default"
        assert all(o.detail for o in (*slot.first, *slot.no_key))
        prefix = slot.key.rsplit("[]", 1)[0] + "[]" if "[]" in slot.key else ""
        for test in _tests(slot):
            if "[]" in test.path:
                assert test.path.startswith(prefix), f"{test.path} binds a list {slot.key} lacks"


def _tests(slot: catalogue.Slot) -> list[catalogue.When]:
    return [*slot.only_if, *(t for o in (*slot.first, *slot.no_key) for t in o.when)]


# -- every path exists in the CloudFormation resource schemas cfn-lint ships -------------------


@cache
def _schema(cfn_type: str) -> dict[str, Any]:
    cfnlint = pytest.importorskip("cfnlint")
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas" / "providers"
    flat = schemas / "us-east-1.json"
    if flat.exists():  # cfn-lint >= 1.x: a type -> hash index and a shared resources/ folder
        index = json.loads(flat.read_text())
        return json.loads((schemas.parent / "resources" / f"{index[cfn_type]}.json").read_text())
    name = cfn_type.lower().replace("::", "-") + ".json"
    return json.loads((schemas / "us_east_1" / name).read_text())


def _node(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _child(schema: dict[str, Any], node: dict[str, Any], name: str) -> dict[str, Any] | None:
    node = _node(schema, node)
    candidates = [node, *node.get("allOf", []), *node.get("anyOf", []), *node.get("oneOf", [])]
    for candidate in candidates:
        found = _node(schema, candidate).get("properties", {}).get(name)
        if found is not None:
            return found
    return None


def _walk(schema: dict[str, Any], path: str) -> dict[str, Any]:
    node: dict[str, Any] = schema
    for segment in path.split("."):
        name, is_list = segment.removesuffix("[]"), segment.endswith("[]")
        child = _child(schema, node, name)
        assert child is not None, f"{path}: no property {name!r}"
        node = _node(schema, child)
        if is_list:
            assert "items" in node, f"{path}: {name!r} is not a list"
            node = _node(schema, node["items"])
    return node


_SLOTS = [(t, slot) for t, store in sorted(CATALOGUE.items()) for slot in store.slots]


@pytest.mark.parametrize(("cfn_type", "slot"), _SLOTS, ids=[f"{t}:{s.key}" for t, s in _SLOTS])
def test_slot_paths_exist_in_the_resource_schema(cfn_type: str, slot: catalogue.Slot) -> None:
    schema = _schema(cfn_type)
    key = _walk(schema, slot.key)
    assert key.get("type", "string") == "string", f"{slot.key} is not a string property"
    for test in _tests(slot):
        _walk(schema, test.path)


# Read-only in the schema although CloudFormation docs and the API accept it at create time.
_READ_ONLY_BUT_SETTABLE = {("AWS::CodeArtifact::Domain", "EncryptionKey")}


@pytest.mark.parametrize(("cfn_type", "slot"), _SLOTS, ids=[f"{t}:{s.key}" for t, s in _SLOTS])
def test_slot_keys_are_not_read_only(cfn_type: str, slot: catalogue.Slot) -> None:
    read_only = set(_schema(cfn_type).get("readOnlyProperties", []))
    pointer = "/properties/" + slot.key.replace("[]", "/*").replace(".", "/")
    assert (pointer not in read_only) or (cfn_type, slot.key) in _READ_ONLY_BUT_SETTABLE


def test_schema_walk_rejects_a_wrong_path() -> None:
    with pytest.raises(AssertionError, match="no property"):
        _walk(_schema("AWS::RDS::DBCluster"), "PerformanceInsightsKMSKeyId")  # DBInstance casing
    with pytest.raises(AssertionError, match="not a list"):
        _walk(_schema("AWS::DynamoDB::GlobalTable"), "SSESpecification[].SSEEnabled")


# -- the classifier ----------------------------------------------------------------------------


@pytest.mark.parametrize("cfn_type", sorted(COMPLIANT))
def test_domain_key_is_customer_key(cfn_type: str) -> None:
    properties, expected = COMPLIANT[cfn_type]
    uses = classify(cfn_type, properties)
    assert uses is not None
    assert [(u.path, u.state, u.key) for u in uses] == [(p, "customer_key", k) for p, k in expected]
    assert all("Fn::GetAtt" in u.detail or "Ref" in u.detail for u in uses)


@pytest.mark.parametrize(
    ("cfn_type", "properties", "expected"),
    VIOLATIONS,
    ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(VIOLATIONS)],
)
def test_violations_are_classified(
    cfn_type: str, properties: dict[str, Any] | None, expected: list[tuple[str, str]]
) -> None:
    uses = classify(cfn_type, properties)
    assert uses is not None
    assert [(u.path, u.state) for u in uses] == expected
    for use in uses:
        assert use.detail
        assert (use.key is not None) == (use.state == "customer_key")


def _replace(value: Any, old: Any, new: Any) -> Any:
    if value == old:
        return new
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    return value


@pytest.mark.parametrize("cfn_type", sorted(COMPLIANT))
@pytest.mark.parametrize(
    "managed",
    [
        "alias/aws/kms-x",
        "arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/aws/x",
        CDK_MANAGED_ARN,
    ],
)
def test_aws_managed_alias_in_any_slot_is_aws_managed(cfn_type: str, managed: Any) -> None:
    properties, expected = COMPLIANT[cfn_type]
    swapped = _replace(_replace(properties, ARN, managed), REF, managed)
    uses = classify(cfn_type, swapped)
    assert uses is not None
    assert [(u.path, u.state) for u in uses] == [(p, "aws_managed") for p, _ in expected]
    assert all("(AWS managed key)" in u.detail for u in uses)


@pytest.mark.parametrize("cfn_type", sorted(CATALOGUE))
@pytest.mark.parametrize("properties", [None, {}])
def test_no_properties_never_passes(cfn_type: str, properties: dict[str, Any] | None) -> None:
    uses = classify(cfn_type, properties)
    assert uses is not None
    assert all(u.state != "customer_key" for u in uses)


def test_details_say_what_was_found() -> None:
    def detail(cfn_type: str, properties: dict[str, Any]) -> str:
        (use,) = classify(cfn_type, properties) or []
        return use.detail

    assert detail("AWS::S3::Bucket", _s3({"SSEAlgorithm": "AES256"})) == (
        "SSEAlgorithm AES256 (SSE-S3: AWS owned key)"
    )
    assert (
        detail("AWS::DynamoDB::Table", {}) == "no SSESpecification: DynamoDB default AWS owned key"
    )
    assert detail("AWS::SQS::Queue", {"KmsMasterKeyId": "alias/aws/sqs"}) == (
        "KmsMasterKeyId alias/aws/sqs (AWS managed key)"
    )


def test_rds_instance_has_storage_performance_insights_and_secret_slots() -> None:
    uses = classify(
        "AWS::RDS::DBInstance",
        {
            "StorageEncrypted": True,
            "KmsKeyId": ARN,
            "EnablePerformanceInsights": True,
            "ManageMasterUserPassword": True,
        },
    )
    assert uses == [
        KeyUse("KmsKeyId", "customer_key", ARN, 'KmsKeyId {"Fn::GetAtt":["DomainKey","Arn"]}'),
        KeyUse(
            "PerformanceInsightsKMSKeyId",
            "aws_managed",
            None,
            "Performance Insights without PerformanceInsightsKMSKeyId: aws/rds",
        ),
        KeyUse(
            "MasterUserSecret.KmsKeyId",
            "aws_managed",
            None,
            "ManageMasterUserPassword true without MasterUserSecret.KmsKeyId: "
            "AWS managed key aws/secretsmanager",
        ),
    ]


def test_switched_off_slots_give_no_key_use() -> None:
    uses = classify(
        "AWS::RDS::DBInstance",
        {"StorageEncrypted": True, "KmsKeyId": ARN, "EnablePerformanceInsights": False},
    )
    assert [u.path for u in uses or []] == ["KmsKeyId"]


def test_aurora_member_instance_has_no_storage_slot() -> None:
    uses = classify(
        "AWS::RDS::DBInstance",
        {"DBClusterIdentifier": {"Ref": "Cluster"}, "EnablePerformanceInsights": True},
    )
    assert [(u.path, u.state) for u in uses or []] == [
        ("PerformanceInsightsKMSKeyId", "aws_managed")
    ]


def test_global_table_replicas_get_concrete_paths() -> None:
    uses = classify(
        "AWS::DynamoDB::GlobalTable",
        {
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
            "Replicas": [
                {"Region": "eu-west-1", "SSESpecification": {"KMSMasterKeyId": ARN}},
                {"Region": "eu-west-2"},
                {
                    "Region": "eu-west-3",
                    "SSESpecification": {"KMSMasterKeyId": "alias/aws/dynamodb"},
                },
                {"Region": "us-east-1", "SSESpecification": {"KMSMasterKeyId": REF}},
            ],
        },
    )
    assert [(u.path, u.state, u.key) for u in uses or []] == [
        ("Replicas[0].SSESpecification.KMSMasterKeyId", "customer_key", ARN),
        ("Replicas[1].SSESpecification.KMSMasterKeyId", "aws_managed", None),
        ("Replicas[2].SSESpecification.KMSMasterKeyId", "aws_managed", None),
        ("Replicas[3].SSESpecification.KMSMasterKeyId", "customer_key", REF),
    ]


def test_global_table_without_sse_is_aws_owned_for_every_replica() -> None:
    uses = classify(
        "AWS::DynamoDB::GlobalTable",
        {
            "Replicas": [
                {"Region": "a", "SSESpecification": {"KMSMasterKeyId": ARN}},
                {"Region": "b"},
            ]
        },
    )
    assert [u.state for u in uses or []] == ["aws_owned", "aws_owned"]


@pytest.mark.parametrize(
    ("cfn_type", "properties", "paths"),
    [
        (
            "AWS::KinesisFirehose::DeliveryStream",
            {"DeliveryStreamType": "KinesisStreamAsSource"},
            [],
        ),
        ("AWS::Lambda::Function", {"Runtime": "python3.12"}, []),
        # environment variables are configuration, not a domain store (issue #11: CDK handlers)
        ("AWS::Lambda::Function", {"Environment": {"Variables": {"A": "b"}}}, []),
        ("AWS::RDS::DBCluster", {"StorageEncrypted": True, "KmsKeyId": ARN}, ["KmsKeyId"]),
        ("AWS::Redshift::Cluster", {"ManageMasterPassword": False}, ["KmsKeyId"]),
        ("AWS::EFS::FileSystem", {"Encrypted": True, "KmsKeyId": ARN}, ["KmsKeyId"]),
        (
            "AWS::EFS::FileSystem",  # replicating into an existing file system: its own key
            {
                "Encrypted": True,
                "KmsKeyId": ARN,
                "ReplicationConfiguration": {"Destinations": [{"FileSystemId": "fs-1"}]},
            },
            ["KmsKeyId"],
        ),
    ],
)
def test_slots_that_do_not_apply(
    cfn_type: str, properties: dict[str, Any], paths: list[str]
) -> None:
    uses = classify(cfn_type, properties)
    assert uses is not None
    assert [u.path for u in uses] == paths


@pytest.mark.parametrize(
    "key",
    [
        {"Fn::ImportValue": "Domain-KeyArn"},
        {"Fn::If": ["UseKey", ARN, {"Ref": "AWS::NoValue"}]},
        {"Fn::Join": ["", ["arn:aws:kms:eu-west-1:111122223333:key/", {"Ref": "KeyId"}]]},
        "arn:aws:kms:eu-west-1:111122223333:alias/domain-orders",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
    ],
)
def test_other_key_values_are_handed_over_raw(key: Any) -> None:
    (use,) = classify("AWS::Logs::LogGroup", {"KmsKeyId": key}) or []
    assert (use.path, use.state) == ("KmsKeyId", "customer_key")
    assert use.key == key and use.detail.startswith("KmsKeyId ")  # equal (shapes are memoized)


@pytest.mark.parametrize("absent", [None, "", {"Ref": "AWS::NoValue"}])
def test_absent_values_count_as_absent(absent: Any) -> None:
    uses = classify("AWS::SQS::Queue", {"KmsMasterKeyId": absent})
    assert [(u.path, u.state) for u in uses or []] == [("KmsMasterKeyId", "aws_owned")]


def test_non_literal_switch_is_undecided() -> None:
    # a switch decided at deploy time: the checks cannot tell (CDKP005), in either direction
    uses = classify("AWS::EC2::Volume", {"Encrypted": {"Ref": "Encrypt"}, "KmsKeyId": ARN})
    assert [u.state for u in uses or []] == ["undecided"]
    bucket = {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": {"Fn::If": ["UseKms", "aws:kms", "AES256"]},
                        "KMSMasterKeyID": ARN,
                    }
                }
            ]
        }
    }  # issue #11 attack: an intrinsic choosing AES256 passed as the domain key
    assert [u.state for u in classify("AWS::S3::Bucket", bucket) or []] == ["undecided"]


def test_unknown_type_is_none() -> None:
    assert classify("AWS::IAM::Role", {"KmsKeyId": ARN}) is None
    assert classify("AWS::Glue::Database", None) is None
    assert catalogue.lookup("AWS::IAM::Role") is None


def test_key_use_is_frozen() -> None:
    use = KeyUse("KmsKeyId", "aws_owned")
    with pytest.raises(FrozenInstanceError):
        use.state = "customer_key"  # type: ignore[misc]
    assert use.key is None and use.detail == ""


# -- AWS managed key references --------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "alias/aws/s3",
        "alias/aws/secretsmanager",
        "arn:aws:kms:eu-west-1:111122223333:alias/aws/sqs",
        "arn:aws-cn:kms:cn-north-1:111122223333:alias/aws/ebs",
        CDK_MANAGED_ARN,
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:eu-west-1:1111:alias/aws/s3"]]},
        {
            "Fn::Join": [
                ":",
                ["arn", {"Ref": "AWS::Partition"}, "kms", "eu-west-1", "1", "alias/aws/s3"],
            ]
        },
        {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/rds"},
        {"Fn::Sub": ["arn:${P}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/rds", {"P": "aws"}]},
        {"Fn::Sub": "alias/aws/dynamodb"},
        {"Fn::Join": ["", ["alias/aws/", {"Ref": "Service"}]]},
    ],
)
def test_aws_managed_key_references(value: Any) -> None:
    assert is_aws_managed_key_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "",
        "alias/domain-orders",
        "alias/awsome/s3",
        "alias/aws",
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:111122223333:alias/orders-aws/s3",
        "prefix-alias/aws/s3",
        {"Ref": "DomainKey"},
        ARN,
        {"Fn::ImportValue": "alias/aws/s3"},
        {"Fn::Join": ["", ["alias/", {"Ref": "Name"}]]},
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:x:1:", {"Ref": "Alias"}]]},
        {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/${Name}"},
        {"Fn::Sub": "alias/${Aws}/s3"},
    ],
)
def test_not_aws_managed_key_references(value: Any) -> None:
    assert not is_aws_managed_key_reference(value)


# -- types outside the catalogue -------------------------------------------------------------


@pytest.mark.parametrize(
    "cfn_type",
    [
        "AWS::Glue::Database",
        "AWS::Glue::Table",
        "AWS::CodeArtifact::Repository",
        "AWS::DAX::Cluster",
        "AWS::ElastiCache::CacheCluster",
        "AWS::Cassandra::Keyspace",
    ],
)
def test_looks_like_data_store(cfn_type: str) -> None:
    assert catalogue.lookup(cfn_type) is None
    assert catalogue.looks_like_data_store(cfn_type)


@pytest.mark.parametrize(
    "cfn_type",
    [
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::Lambda::Permission",
        "AWS::CDK::Metadata",
        "AWS::KMS::Key",
        "AWS::KMS::Alias",
        "AWS::EC2::VPC",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::Subnet",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "Custom::AWS",
        *sorted(CATALOGUE),
    ],
)
def test_does_not_look_like_unknown_data_store(cfn_type: str) -> None:
    assert not catalogue.looks_like_data_store(cfn_type)


def test_keys_of_delivered_data_are_not_the_resources_own() -> None:
    """A slot marked ``delivers`` (a bucket's replica key, a delivery stream's S3 destination key)
    protects another store's data: :func:`catalogue.own_key_values` leaves it out, keeps the rest,
    and every such slot says what receives the data."""
    bucket = {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": ARN}}
        ]},
        "ReplicationConfiguration": {"Role": "r", "Rules": [
            {"Status": "Enabled", "Destination": {
                "Bucket": "arn:aws:s3:::replicas",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": "other-key"}}},
            {"Status": "Enabled", "Destination": {
                "Bucket": "arn:aws:s3:::replicas-2",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": "third-key"}}},
        ]},
    }  # fmt: skip
    every = [v for _, v in catalogue.key_values("AWS::S3::Bucket", bucket)]
    own = [v for _, v in catalogue.own_key_values("AWS::S3::Bucket", bucket)]
    assert every == [ARN, "other-key", "third-key"]
    assert own == [ARN]
    stream = {
        "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "CUSTOMER_MANAGED_CMK",
                                                       "KeyARN": ARN},
        "ExtendedS3DestinationConfiguration": {"EncryptionConfiguration": {
            "KMSEncryptionConfig": {"AWSKMSKeyARN": "bucket-key"}}},
    }  # fmt: skip
    assert [v for _, v in catalogue.own_key_values("AWS::KinesisFirehose::DeliveryStream",
                                                   stream)] == [ARN]  # fmt: skip
    delivered = [(t, s) for t, row in CATALOGUE.items() for s in row.slots if s.delivers]
    assert delivered and all(s.delivers.strip() for _, s in delivered)  # type: ignore[union-attr]

"""The catalogue: where each CloudFormation data store keeps its KMS key, as data.

The pattern "partition data with encryption" needs one fact per data-store type: which
properties hold the key that encrypts the data at rest, and what the type does when no key is
given. This module is the single source of truth for those facts. It is pure Python (no
``aws_cdk``, no ``jsii``) so that a template audit, CDK aspects and a report can all read it.

The model
---------
* :data:`CATALOGUE` maps a CloudFormation type to a :class:`StoreType`; each has one or more
  :class:`Slot` s, one per key property (RDS: storage, Performance Insights, managed secret).
* A slot's ``key`` is a property path pattern, dotted, with ``[]`` for "every list element"
  (``Replicas[].SSESpecification.KMSMasterKeyId``). Every other path in the slot (its tests)
  uses the same notation; a ``[]`` in a test path is bound to the same element as in ``key``.
  A list that is absent binds index 0, the place where the key would go.
* A slot is evaluated by the one generic :func:`classify`, in this order:

  1. ``only_if``: tests that must all hold or the slot does not apply (Performance Insights off,
     an Aurora member instance whose storage belongs to its cluster ...): no :class:`KeyUse`.
  2. ``first``: outcomes decided by a mode switch whatever the key says (``SSEAlgorithm
     AES256``, ``SSEEnabled`` false, ``KeyType AWS_OWNED_CMK``). The first matching one wins.
  3. The key: a value that names an AWS managed key (``alias/aws/*``, see
     :func:`is_aws_managed_key_reference`) is ``aws_managed``; any other value is
     ``customer_key`` and is handed to the caller raw (string or intrinsic) to resolve.
  4. ``no_key``: outcomes when the key is absent; the first matching one wins, the last one
     has no tests (the default).

A property whose value is absent, ``null``, ``""`` or ``{"Ref": "AWS::NoValue"}`` counts as
absent; ``"true"``/``"false"`` strings count as booleans. Intrinsics in switch properties are
not evaluated (a switch that is not literally ``true`` is "not true"), and an intrinsic in
place of a whole object (``{"Fn::If": ...}``) hides what is inside it.

Types not in the catalogue that still look like they hold data are recognised by
:func:`looks_like_data_store`, so that callers can warn about them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "CATALOGUE",
    "KeyState",
    "KeyUse",
    "Outcome",
    "Slot",
    "StoreType",
    "When",
    "classify",
    "is_aws_managed_key_reference",
    "looks_like_data_store",
    "lookup",
]

KeyState = Literal["customer_key", "unencrypted", "aws_owned", "aws_managed", "inherited"]
"""What protects one key slot of a store: the customer key found there, a violation kind, or
``inherited``: the key is the one of another resource (a read replica's source, a snapshot), named
by the outcome's ``source`` property, which the caller resolves."""


@dataclass(frozen=True)
class KeyUse:
    """The state of one key slot of one resource, as :func:`classify` found it."""

    path: str
    """Concrete property path of the slot in this resource, e.g. ``Replicas[1].SSESpecification
    .KMSMasterKeyId``: where the key is, or where it would go."""
    state: KeyState
    key: Any = None
    """When ``state == "customer_key"``: the raw template value (string or intrinsic); when
    ``state == "inherited"``: the raw value of the property naming the source resource."""
    detail: str = ""
    """Short human text of what was found."""
    source: str | None = None
    """When ``state == "inherited"``: the concrete path of the property naming the source."""


@dataclass(frozen=True)
class When:
    """A test on one property: ``op`` is ``absent``, ``present``, ``is``, ``is_not`` or
    ``not_in`` (absent counts as "is not" and "not in")."""

    path: str
    op: Literal["absent", "present", "is", "is_not", "not_in"]
    value: Any = None


@dataclass(frozen=True)
class Outcome:
    """A state (with its detail text) that applies when all ``when`` tests hold."""

    state: KeyState
    detail: str
    when: tuple[When, ...] = ()
    source: str | None = None
    """For ``inherited``: the property (path) naming the resource the key is inherited from."""


@dataclass(frozen=True)
class Slot:
    """One key property of a store type; see the module docstring for how it is evaluated."""

    key: str
    no_key: tuple[Outcome, ...]
    first: tuple[Outcome, ...] = ()
    only_if: tuple[When, ...] = ()


@dataclass(frozen=True)
class StoreType:
    """A CloudFormation data-store type: where its key lives and how to fix it in CDK."""

    cfn_type: str
    service: str
    description: str
    key_property: str
    """Documented primary key path pattern (the first slot's ``key``)."""
    managed_alias: str | None
    """The service's AWS managed key alias (``alias/aws/s3``); None if it has none."""
    cdk_fix: str
    """One-line fix hint for CDK users."""
    slots: tuple[Slot, ...]


# -- rule vocabulary -----------------------------------------------------------------------


def _absent(path: str) -> When:
    return When(path, "absent")


def _present(path: str) -> When:
    return When(path, "present")


def _is(path: str, value: Any) -> When:
    return When(path, "is", value)


def _not(path: str, value: Any) -> When:
    return When(path, "is_not", value)


def _not_in(path: str, values: tuple[Any, ...]) -> When:
    return When(path, "not_in", values)


def _owned(detail: str, *when: When) -> Outcome:
    return Outcome("aws_owned", detail, when)


def _managed(detail: str, *when: When) -> Outcome:
    return Outcome("aws_managed", detail, when)


def _plain(detail: str, *when: When) -> Outcome:
    return Outcome("unencrypted", detail, when)


def _inherited(source: str, detail: str) -> Outcome:
    """The key is the one of the resource ``source`` names (applies when ``source`` is set)."""
    return Outcome("inherited", detail, (_present(source),), source)


def _store(
    cfn_type: str,
    description: str,
    managed_alias: str | None,
    cdk_fix: str,
    *slots: Slot,
) -> StoreType:
    service = cfn_type.split("::")[1].lower()
    return StoreType(cfn_type, service, description, slots[0].key, managed_alias, cdk_fix, slots)


def _key_only(key: str, default: Outcome, *, only_if: tuple[When, ...] = ()) -> Slot:
    """The common slot: a key property, and one state when it is absent."""
    return Slot(key, (default,), only_if=only_if)


def _switched(key: str, switch: str, unencrypted: str, default: Outcome) -> Slot:
    """A key that only counts when a boolean ``switch`` is true (``Encrypted``...)."""
    return Slot(key, (default,), first=(_plain(unencrypted, _not(switch, True)),))


def _secret(key: str, switch: str) -> Slot:
    """A service-managed master password secret, encrypted with aws/secretsmanager by default."""
    return _key_only(
        key,
        _managed(f"{switch} true without {key}: AWS managed key aws/secretsmanager"),
        only_if=(_is(switch, True),),
    )


def _storage_rds(
    key: str = "KmsKeyId", *, only_if: tuple[When, ...] = (), sources: tuple[Outcome, ...] = ()
) -> Slot:
    """RDS-family storage. ``StorageEncrypted`` is read only when no key is given: replicas and
    restores may name a key and inherit the flag; without a key they inherit the source's key
    (``sources``)."""
    return Slot(
        key,
        (
            *sources,
            _plain(
                "StorageEncrypted not true: storage unencrypted (or inherited from a source or "
                "snapshot the template does not show)",
                _not("StorageEncrypted", True),
            ),
            _managed(f"StorageEncrypted true without {key}: AWS managed key aws/rds"),
        ),
        only_if=only_if,
    )


_S3_DEFAULT = "BucketEncryption.ServerSideEncryptionConfiguration[].ServerSideEncryptionByDefault"


def _s3_slot() -> Slot:
    algorithm = f"{_S3_DEFAULT}.SSEAlgorithm"
    return Slot(
        f"{_S3_DEFAULT}.KMSMasterKeyID",
        (_managed("SSEAlgorithm aws:kms without KMSMasterKeyID: AWS managed key aws/s3"),),
        first=(
            _owned("no default encryption: S3 applies SSE-S3 (AWS owned key)", _absent(algorithm)),
            _owned("SSEAlgorithm AES256 (SSE-S3: AWS owned key)", _is(algorithm, "AES256")),
        ),
    )


def _pass(prop: str) -> str:
    return f"pass the domain key (`domain.key`) as {prop}"


def _method(method: str, props: str) -> str:
    return f"create it with `domain.{method}(...)` or pass {props}"


# -- the table -----------------------------------------------------------------------------

_SSE = "SSESpecification"
_REPLICA_SSE = "Replicas[].SSESpecification.KMSMasterKeyId"
_FIREHOSE_SSE = "DeliveryStreamEncryptionConfigurationInput"
# OpenSearch Service and its predecessor Elasticsearch share encryption at rest
_SEARCH_AT_REST = _switched(
    "EncryptionAtRestOptions.KmsKeyId",
    "EncryptionAtRestOptions.Enabled",
    "EncryptionAtRestOptions.Enabled not true: domain unencrypted",
    _managed("encryption at rest without KmsKeyId: AWS managed key aws/es"),
)
# DynamoDB tables and global tables without SSE on a key: the service's AWS owned key
_DYNAMODB_DEFAULT_OWNED = (
    _owned("no SSESpecification: DynamoDB default AWS owned key", _absent(_SSE)),
    _owned("SSEEnabled not true: DynamoDB default AWS owned key", _not(f"{_SSE}.SSEEnabled", True)),
)
_ATHENA_RESULTS = "WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration"
_ATHENA_MANAGED = "WorkGroupConfiguration.ManagedQueryResultsConfiguration"

_STORES: tuple[StoreType, ...] = (
    _store(
        "AWS::S3::Bucket",
        "S3 bucket",
        "alias/aws/s3",
        _method("bucket", "`encryption=s3.BucketEncryption.KMS, encryption_key=domain.key`"),
        _s3_slot(),
    ),
    _store(
        "AWS::S3Express::DirectoryBucket",
        "S3 directory bucket",
        None,
        _pass('`kms_master_key_id` (with `sse_algorithm="aws:kms"`) of `CfnDirectoryBucket`'),
        _s3_slot(),
    ),
    _store(
        "AWS::SQS::Queue",
        "SQS queue",
        "alias/aws/sqs",
        _method("queue", "`encryption=sqs.QueueEncryption.KMS, encryption_master_key=domain.key`"),
        Slot(
            "KmsMasterKeyId",
            (
                _plain(
                    "SqsManagedSseEnabled false and no KmsMasterKeyId: queue unencrypted",
                    _is("SqsManagedSseEnabled", False),
                ),
                _owned("no KmsMasterKeyId: SSE-SQS (AWS owned key)"),
            ),
        ),
    ),
    _store(
        "AWS::SNS::Topic",
        "SNS topic",
        "alias/aws/sns",
        _method("topic", "`master_key=domain.key`"),
        _key_only("KmsMasterKeyId", _plain("no KmsMasterKeyId: topic unencrypted")),
    ),
    _store(
        "AWS::DynamoDB::Table",
        "DynamoDB table",
        "alias/aws/dynamodb",
        _method(
            "table",
            "`encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED, encryption_key=domain.key`",
        ),
        Slot(
            f"{_SSE}.KMSMasterKeyId",
            (_managed("SSEEnabled true without KMSMasterKeyId: AWS managed key aws/dynamodb"),),
            first=_DYNAMODB_DEFAULT_OWNED,
        ),
    ),
    _store(
        "AWS::DynamoDB::GlobalTable",
        "DynamoDB global table",
        "alias/aws/dynamodb",
        _method(
            "table_v2",
            "`encryption=dynamodb.TableEncryptionV2.customer_managed_key(domain.key, ...)`",
        ),
        Slot(
            _REPLICA_SSE,
            (_managed("replica without KMSMasterKeyId: AWS managed key aws/dynamodb"),),
            first=_DYNAMODB_DEFAULT_OWNED,
        ),
    ),
    _store(
        "AWS::Kinesis::Stream",
        "Kinesis data stream",
        "alias/aws/kinesis",
        _method("stream", "`encryption=kinesis.StreamEncryption.KMS, encryption_key=domain.key`"),
        _key_only("StreamEncryption.KeyId", _plain("no StreamEncryption: stream unencrypted")),
    ),
    _store(
        "AWS::KinesisFirehose::DeliveryStream",
        "Firehose delivery stream",
        None,
        _method(
            "delivery_stream",
            "`encryption=firehose.StreamEncryption.customer_managed_key(domain.key)`",
        ),
        Slot(
            f"{_FIREHOSE_SSE}.KeyARN",
            (_owned("KeyType without KeyARN: Firehose default AWS owned key"),),
            first=(
                _plain(f"no {_FIREHOSE_SSE}: buffered data unencrypted", _absent(_FIREHOSE_SSE)),
                _owned(
                    "KeyType AWS_OWNED_CMK (AWS owned key)",
                    _is(f"{_FIREHOSE_SSE}.KeyType", "AWS_OWNED_CMK"),
                ),
            ),
            # A Kinesis or MSK source keeps the data; that source is the store to check.
            only_if=(_not_in("DeliveryStreamType", ("KinesisStreamAsSource", "MSKAsSource")),),
        ),
    ),
    _store(
        "AWS::Logs::LogGroup",
        "CloudWatch Logs log group",
        None,
        _method("log_group", "`encryption_key=domain.key`"),
        _key_only("KmsKeyId", _owned("no KmsKeyId: CloudWatch Logs AWS owned key")),
    ),
    _store(
        "AWS::EC2::Volume",
        "EBS volume",
        "alias/aws/ebs",
        _method("volume", "`encrypted=True, encryption_key=domain.key`"),
        _switched(
            "KmsKeyId",
            "Encrypted",
            "Encrypted not true: volume unencrypted (account default encryption is not visible "
            "in the template)",
            _managed("Encrypted true without KmsKeyId: AWS managed key aws/ebs"),
        ),
    ),
    _store(
        "AWS::RDS::DBInstance",
        "RDS DB instance",
        "alias/aws/rds",
        _method(
            "database_instance",
            "`storage_encryption_key=domain.key, performance_insight_encryption_key=domain.key`",
        ),
        # An Aurora member's storage belongs to its DBCluster.
        # AWS::RDS::DBInstance, KmsKeyId - AWS CloudFormation Template Reference
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html):
        # "If you specify the SourceDBInstanceIdentifier or SourceDbiResourceId property, don't
        # specify this property. The value is inherited from the source DB instance"; the same for
        # SourceDBInstanceAutomatedBackupsArn; a restore from DBSnapshotIdentifier takes the
        # snapshot's encryption.
        _storage_rds(
            only_if=(_absent("DBClusterIdentifier"),),
            sources=(
                _inherited(
                    "SourceDBInstanceIdentifier",
                    "read replica without KmsKeyId: the source DB instance's key",
                ),
                _inherited(
                    "SourceDbiResourceId",
                    "read replica without KmsKeyId: the source DB instance's key",
                ),
                _inherited(
                    "SourceDBClusterIdentifier",
                    "read replica of a Multi-AZ DB cluster "
                    "without KmsKeyId: the source cluster's key",
                ),
                _inherited(
                    "SourceDBInstanceAutomatedBackupsArn",
                    "restore from automated backups without KmsKeyId: the backups' key",
                ),
                _inherited(
                    "DBSnapshotIdentifier",
                    "restore from a snapshot without KmsKeyId: the snapshot's key",
                ),
            ),
        ),
        _key_only(
            "PerformanceInsightsKMSKeyId",
            _managed("Performance Insights without PerformanceInsightsKMSKeyId: aws/rds"),
            only_if=(_is("EnablePerformanceInsights", True),),
        ),
        _secret("MasterUserSecret.KmsKeyId", "ManageMasterUserPassword"),
    ),
    _store(
        "AWS::RDS::DBCluster",
        "RDS DB cluster",
        "alias/aws/rds",
        _method(
            "database_cluster",
            "`storage_encryption_key=domain.key, performance_insight_encryption_key=domain.key`",
        ),
        # AWS::RDS::DBCluster - AWS CloudFormation Template Reference
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbcluster.html):
        # with SnapshotIdentifier "the StorageEncrypted property value is inherited from the
        # snapshot"; SourceDBClusterIdentifier restores a cluster to a point in time;
        # ReplicationSourceIdentifier makes a read replica; GlobalClusterIdentifier joins a global
        # database whose encryption the primary decides.
        _storage_rds(
            sources=(
                _inherited(
                    "SnapshotIdentifier",
                    "restore from a snapshot without KmsKeyId: the snapshot's key",
                ),
                _inherited(
                    "SourceDBClusterIdentifier",
                    "point-in-time restore without KmsKeyId: the source cluster's key",
                ),
                _inherited(
                    "ReplicationSourceIdentifier", "read replica without KmsKeyId: the source's key"
                ),
                _inherited(
                    "GlobalClusterIdentifier",
                    "secondary cluster of a global database "
                    "without KmsKeyId: the global cluster's encryption",
                ),
            )
        ),
        _key_only(
            "PerformanceInsightsKmsKeyId",
            _managed("Performance Insights without PerformanceInsightsKmsKeyId: aws/rds"),
            only_if=(_is("PerformanceInsightsEnabled", True),),
        ),
        _secret("MasterUserSecret.KmsKeyId", "ManageMasterUserPassword"),
    ),
    _store(
        "AWS::EFS::FileSystem",
        "EFS file system",
        "alias/aws/elasticfilesystem",
        _method("file_system", "`encrypted=True, kms_key=domain.key`"),
        _switched(
            "KmsKeyId",
            "Encrypted",
            "Encrypted not true: file system unencrypted",
            _managed("Encrypted true without KmsKeyId: AWS managed key aws/elasticfilesystem"),
        ),
        _key_only(
            "ReplicationConfiguration.Destinations[].KmsKeyId",
            _managed("new replica without KmsKeyId: AWS managed key aws/elasticfilesystem"),
            only_if=(
                _present("ReplicationConfiguration"),
                _absent("ReplicationConfiguration.Destinations[].FileSystemId"),
            ),
        ),
    ),
    _store(
        "AWS::SecretsManager::Secret",
        "Secrets Manager secret",
        "alias/aws/secretsmanager",
        _method("secret", "`encryption_key=domain.key`"),
        _key_only("KmsKeyId", _managed("no KmsKeyId: AWS managed key aws/secretsmanager")),
        _key_only(
            "ReplicaRegions[].KmsKeyId",
            _managed("replica without KmsKeyId: AWS managed key aws/secretsmanager"),
            only_if=(_present("ReplicaRegions"),),
        ),
    ),
    _store(
        "AWS::Backup::BackupVault",
        "AWS Backup vault",
        "alias/aws/backup",
        _method("backup_vault", "`encryption_key=domain.key`"),
        _key_only("EncryptionKeyArn", _managed("no EncryptionKeyArn: AWS managed key aws/backup")),
    ),
    _store(
        "AWS::ECR::Repository",
        "ECR repository",
        "alias/aws/ecr",
        _method(
            "repository", "`encryption=ecr.RepositoryEncryption.KMS, encryption_key=domain.key`"
        ),
        Slot(
            "EncryptionConfiguration.KmsKey",
            (_managed("EncryptionType KMS without KmsKey: AWS managed key aws/ecr"),),
            first=(
                _owned(
                    "no EncryptionConfiguration: AES-256 with an AWS owned key",
                    _absent("EncryptionConfiguration"),
                ),
                _owned(
                    "EncryptionType AES256 (AWS owned key)",
                    _not_in("EncryptionConfiguration.EncryptionType", ("KMS", "KMS_DSSE")),
                ),
            ),
        ),
    ),
    _store(
        "AWS::Events::EventBus",
        "EventBridge event bus",
        None,
        _method("event_bus", "`kms_key=domain.key`"),
        _key_only("KmsKeyIdentifier", _owned("no KmsKeyIdentifier: EventBridge AWS owned key")),
    ),
    _store(
        "AWS::OpenSearchService::Domain",
        "OpenSearch Service domain",
        "alias/aws/es",
        _pass("`encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True, kms_key=...)`"),
        _SEARCH_AT_REST,
    ),
    _store(
        "AWS::Elasticsearch::Domain",
        "Elasticsearch domain",
        "alias/aws/es",
        _pass("`kms_key_id` in `encryption_at_rest_options` (`enabled=True`) of `CfnDomain`"),
        _SEARCH_AT_REST,
    ),
    _store(
        "AWS::ElastiCache::ReplicationGroup",
        "ElastiCache replication group",
        None,
        _pass("`kms_key_id` (with `at_rest_encryption_enabled=True`) of `CfnReplicationGroup`"),
        _switched(
            "KmsKeyId",
            "AtRestEncryptionEnabled",
            "AtRestEncryptionEnabled not true: cache unencrypted at rest",
            _owned("no KmsKeyId: ElastiCache default (service owned) key"),
        ),
    ),
    _store(
        "AWS::ElastiCache::ServerlessCache",
        "ElastiCache serverless cache",
        None,
        _pass("`kms_key_id` of `CfnServerlessCache`"),
        _key_only("KmsKeyId", _owned("no KmsKeyId: ElastiCache default (service owned) key")),
    ),
    _store(
        "AWS::Redshift::Cluster",
        "Redshift cluster",
        None,
        _pass("`kms_key_id` (with `encrypted=True`) of `redshift.CfnCluster`"),
        Slot(
            "KmsKeyId",
            (_owned("no KmsKeyId: Redshift default AWS owned key"),),
            first=(_plain("Encrypted false: cluster unencrypted", _is("Encrypted", False)),),
        ),
        _secret("MasterPasswordSecretKmsKeyId", "ManageMasterPassword"),
    ),
    _store(
        "AWS::RedshiftServerless::Namespace",
        "Redshift Serverless namespace",
        None,
        _pass("`kms_key_id` of `redshiftserverless.CfnNamespace`"),
        _key_only("KmsKeyId", _owned("no KmsKeyId: Redshift default AWS owned key")),
        _secret("AdminPasswordSecretKmsKeyId", "ManageAdminPassword"),
    ),
    _store(
        "AWS::DocDB::DBCluster",
        "DocumentDB cluster",
        "alias/aws/rds",
        _pass("`kms_key=domain.key` (with `storage_encrypted=True`) of `docdb.DatabaseCluster`"),
        _storage_rds(),
        _secret("MasterUserSecretKmsKeyId", "ManageMasterUserPassword"),
    ),
    _store(
        "AWS::Neptune::DBCluster",
        "Neptune cluster",
        "alias/aws/rds",
        _pass("`kms_key_id` (with `storage_encrypted=True`) of `neptune.CfnDBCluster`"),
        _storage_rds(),
    ),
    _store(
        "AWS::Timestream::Database",
        "Timestream database",
        "alias/aws/timestream",
        _pass("`kms_key_id` of `timestream.CfnDatabase`"),
        _key_only("KmsKeyId", _managed("no KmsKeyId: AWS managed key aws/timestream")),
    ),
    _store(
        "AWS::StepFunctions::StateMachine",
        "Step Functions state machine",
        None,
        _pass("`encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(...)`"),
        Slot(
            "EncryptionConfiguration.KmsKeyId",
            (_owned("no KmsKeyId: Step Functions AWS owned key"),),
            first=(
                _owned(
                    "no EncryptionConfiguration: Step Functions AWS owned key",
                    _absent("EncryptionConfiguration"),
                ),
                _owned(
                    "Type AWS_OWNED_KEY (AWS owned key)",
                    _is("EncryptionConfiguration.Type", "AWS_OWNED_KEY"),
                ),
            ),
        ),
    ),
    _store(
        "AWS::MSK::Cluster",
        "MSK cluster",
        "alias/aws/kafka",
        _pass("`data_volume_kms_key_id` in `encryption_info.encryption_at_rest` of `CfnCluster`"),
        _key_only(
            "EncryptionInfo.EncryptionAtRest.DataVolumeKMSKeyId",
            _managed("no DataVolumeKMSKeyId: AWS managed key aws/kafka"),
        ),
    ),
    _store(
        "AWS::MemoryDB::Cluster",
        "MemoryDB cluster",
        None,
        _pass("`kms_key_id` of `memorydb.CfnCluster`"),
        _key_only("KmsKeyId", _owned("no KmsKeyId: MemoryDB default (service owned) key")),
    ),
    _store(
        "AWS::FSx::FileSystem",
        "FSx file system",
        "alias/aws/fsx",
        _pass("`kms_key=domain.key` (`fsx.LustreFileSystem`) or `kms_key_id` of `CfnFileSystem`"),
        _key_only("KmsKeyId", _managed("no KmsKeyId: AWS managed key aws/fsx")),
    ),
    _store(
        "AWS::SageMaker::NotebookInstance",
        "SageMaker notebook instance",
        None,
        _pass("`kms_key_id` of `sagemaker.CfnNotebookInstance`"),
        _key_only("KmsKeyId", _owned("no KmsKeyId: SageMaker default (service owned) key")),
    ),
    _store(
        "AWS::SageMaker::Domain",
        "SageMaker domain",
        None,
        _pass("`kms_key_id` of `sagemaker.CfnDomain`"),
        _key_only("KmsKeyId", _managed("no KmsKeyId: AWS managed keys for the EFS/EBS volumes")),
    ),
    _store(
        "AWS::CodeBuild::Project",
        "CodeBuild project",
        "alias/aws/s3",
        _pass("`encryption_key=domain.key` of `codebuild.Project`"),
        _key_only("EncryptionKey", _managed("no EncryptionKey: artifacts use AWS managed aws/s3")),
    ),
    _store(
        "AWS::CodeArtifact::Domain",
        "CodeArtifact domain",
        "alias/aws/codeartifact",
        _pass("`encryption_key` of `codeartifact.CfnDomain`"),
        _key_only("EncryptionKey", _managed("no EncryptionKey: AWS managed key aws/codeartifact")),
    ),
    _store(
        "AWS::Cassandra::Table",
        "Keyspaces table",
        None,
        _pass("`kms_key_identifier` (`CUSTOMER_MANAGED_KMS_KEY`) in `encryption_specification`"),
        Slot(
            "EncryptionSpecification.KmsKeyIdentifier",
            (_owned("no KmsKeyIdentifier: Keyspaces AWS owned key"),),
            first=(
                _owned(
                    "no EncryptionSpecification: Keyspaces AWS owned key",
                    _absent("EncryptionSpecification"),
                ),
                _owned(
                    "EncryptionType AWS_OWNED_KMS_KEY (AWS owned key)",
                    _is("EncryptionSpecification.EncryptionType", "AWS_OWNED_KMS_KEY"),
                ),
            ),
        ),
    ),
    _store(
        "AWS::Athena::WorkGroup",
        "Athena workgroup",
        "alias/aws/s3",
        _pass('`kms_key` (`encryption_option="SSE_KMS"`) in the result configuration'),
        Slot(
            f"{_ATHENA_RESULTS}.KmsKey",
            (_managed("SSE_KMS without KmsKey: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "no result EncryptionConfiguration: results get the output bucket default "
                    "(SSE-S3, AWS owned key)",
                    _absent(_ATHENA_RESULTS),
                ),
                _owned(
                    "EncryptionOption SSE_S3 (AWS owned key)",
                    _is(f"{_ATHENA_RESULTS}.EncryptionOption", "SSE_S3"),
                ),
            ),
            only_if=(_not(f"{_ATHENA_MANAGED}.Enabled", True),),
        ),
        _key_only(
            f"{_ATHENA_MANAGED}.EncryptionConfiguration.KmsKey",
            _owned("managed query results without KmsKey: AWS owned key"),
            only_if=(_is(f"{_ATHENA_MANAGED}.Enabled", True),),
        ),
    ),
    _store(
        "AWS::Kendra::Index",
        "Kendra index",
        None,
        _pass("`kms_key_id` in `server_side_encryption_configuration` of `kendra.CfnIndex`"),
        _key_only(
            "ServerSideEncryptionConfiguration.KmsKeyId",
            _owned("no KmsKeyId: Kendra AWS owned key"),
        ),
    ),
    _store(
        "AWS::Lambda::Function",
        "Lambda function environment",
        "alias/aws/lambda",
        _pass("`environment_encryption=domain.key` of `lambda_.Function`"),
        _key_only(
            "KmsKeyArn",
            _managed("environment variables without KmsKeyArn: AWS managed key aws/lambda"),
            only_if=(_present("Environment.Variables"),),
        ),
    ),
    _store(
        "AWS::CloudTrail::Trail",
        "CloudTrail trail",
        None,
        _pass("`encryption_key=domain.key` of `cloudtrail.Trail`"),
        _key_only("KMSKeyId", _owned("no KMSKeyId: log files use SSE-S3 (AWS owned key)")),
    ),
    _store(
        "AWS::EKS::Cluster",
        "EKS cluster secrets",
        None,
        _pass("`secrets_encryption_key=domain.key` of `eks.Cluster`"),
        _key_only(
            "EncryptionConfig[].Provider.KeyArn",
            _owned("no EncryptionConfig: Kubernetes secrets use EKS default AWS owned key"),
        ),
    ),
    _store(
        "AWS::AmazonMQ::Broker",
        "Amazon MQ broker",
        "alias/aws/mq",
        _pass("`kms_key_id` (with `use_aws_owned_key=False`) in `encryption_options`"),
        Slot(
            "EncryptionOptions.KmsKeyId",
            (_managed("UseAwsOwnedKey false without KmsKeyId: AWS managed key aws/mq"),),
            first=(
                _owned(
                    "UseAwsOwnedKey not false: Amazon MQ AWS owned key",
                    _not("EncryptionOptions.UseAwsOwnedKey", False),
                ),
            ),
        ),
    ),
    _store(
        "AWS::KinesisVideo::Stream",
        "Kinesis video stream",
        "alias/aws/kinesisvideo",
        _pass("`kms_key_id` of `kinesisvideo.CfnStream`"),
        _key_only("KmsKeyId", _managed("no KmsKeyId: AWS managed key aws/kinesisvideo")),
    ),
)

CATALOGUE: Mapping[str, StoreType] = MappingProxyType({s.cfn_type: s for s in _STORES})
"""Every known data-store type, keyed by CloudFormation type."""


# -- types outside the catalogue that hold data ---------------------------------------------

_DATA_SERVICES = (
    "AWS::Glue::",
    "AWS::CodeArtifact::",
    "AWS::QLDB::",
    "AWS::HealthLake::",
    "AWS::Omics::",
    "AWS::S3Tables::",
    "AWS::NeptuneGraph::",
    "AWS::DocDBElastic::",
    "AWS::Timestream::",
    "AWS::Cassandra::",
    "AWS::IoTAnalytics::",
)
"""Service prefixes whose resources are (nearly) all data stores."""

_DATA_TYPES = frozenset(
    {
        "AWS::Athena::DataCatalog",
        "AWS::Bedrock::KnowledgeBase",
        "AWS::Cognito::UserPool",
        "AWS::DAX::Cluster",
        "AWS::ElastiCache::CacheCluster",
        "AWS::EMR::Cluster",
        "AWS::Lightsail::Bucket",
        "AWS::Lightsail::Database",
        "AWS::MSK::ServerlessCluster",
        "AWS::OpenSearchServerless::Collection",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::FeatureGroup",
        "AWS::SSM::Parameter",
        "AWS::SES::MailManagerArchive",
        "AWS::Transfer::Server",
    }
)
"""Single types that hold data but whose key, if any, the catalogue does not describe."""


def lookup(cfn_type: str) -> StoreType | None:
    """The catalogue entry of a CloudFormation type, or None if it is not a known store."""
    return CATALOGUE.get(cfn_type)


def looks_like_data_store(cfn_type: str) -> bool:
    """True for a type NOT in the catalogue that plausibly stores customer data at rest.

    Catalogued types are known, so False; so is infrastructure (IAM, Lambda permissions, KMS
    keys, networking, CDK metadata ...), which is in neither list.
    """
    if cfn_type in CATALOGUE:
        return False
    return cfn_type in _DATA_TYPES or cfn_type.startswith(_DATA_SERVICES)


# -- AWS managed key references --------------------------------------------------------------

_MANAGED_RE = re.compile(r"(arn:[^:]*:kms:[^:]*:[^:]*:)?alias/aws/[A-Za-z0-9/_.+=@*-]+")
_SUB_VAR = re.compile(r"\$\{(?!!)[^}]*\}")
_HOLE = "*"  # stands for a value only known at deploy time (Ref, pseudo parameter ...)


def _render(value: Any) -> str | None:
    """Flatten a string, ``Fn::Join`` or ``Fn::Sub`` to text, non-literal parts as ``*``."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((fn, arg),) = value.items()
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        sep, parts = arg
        if not isinstance(sep, str) or not isinstance(parts, list):
            return None
        rendered = (_render(p) for p in parts)
        return sep.join(_HOLE if r is None else r for r in rendered)
    if fn == "Fn::Sub":
        text = arg[0] if isinstance(arg, list) and arg else arg
        if isinstance(text, str):
            return _SUB_VAR.sub(_HOLE, text).replace("${!", "${")
    return None


def is_aws_managed_key_reference(value: Any) -> bool:
    """True when ``value`` names an AWS managed key: ``alias/aws/<x>`` or its alias ARN.

    Accepts strings and the same text built by ``Fn::Join`` / ``Fn::Sub`` whose
    ``alias/aws/<x>`` part is literal (CDK's ``kms.Alias.from_alias_name(...).key_arn`` renders
    ``{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:", {"Ref": "AWS::Region"},
    ":", {"Ref": "AWS::AccountId"}, ":alias/aws/s3"]]}``).
    """
    text = _render(value)
    return text is not None and _MANAGED_RE.fullmatch(text) is not None


# -- the classifier --------------------------------------------------------------------------

_MISSING: Any = object()
_SEGMENT = re.compile(r"([A-Za-z0-9_]+)(?:\[(\d*)\])?")


def _present_value(value: Any) -> bool:
    return (
        value is not _MISSING
        and value is not None
        and value != ""
        and value != {"Ref": "AWS::NoValue"}
    )


def _get(properties: Mapping[str, Any], path: str) -> Any:
    """The value at a concrete path (``A.B[2].C``), or ``_MISSING``."""
    node: Any = properties
    for name, index in _SEGMENT.findall(path):
        if not isinstance(node, Mapping) or not _present_value(node.get(name, _MISSING)):
            return _MISSING
        node = node[name]
        if index:
            if not isinstance(node, list) or int(index) >= len(node):
                return _MISSING
            node = node[int(index)]
    return node


def _bind(pattern: str, indexes: tuple[int, ...]) -> str:
    """Fill the ``[]`` of ``pattern`` left to right with ``indexes`` (0 once they run out)."""
    parts = pattern.split("[]")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += f"[{indexes[i] if i < len(indexes) else 0}]{part}"
    return out


def _expand(properties: Mapping[str, Any], pattern: str) -> Iterator[tuple[int, ...]]:
    """Every index tuple of the lists in ``pattern``; an absent or empty list gives index 0."""

    def walk(prefix: tuple[int, ...], depth: int) -> Iterator[tuple[int, ...]]:
        parts = pattern.split("[]")
        if depth == len(parts) - 1:
            yield prefix
            return
        head = _bind("[]".join(parts[: depth + 1]), prefix)
        found = _get(properties, head)
        count = len(found) if isinstance(found, list) and found else 1
        for i in range(count):
            yield from walk((*prefix, i), depth + 1)

    yield from walk((), 0)


def _normal(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _holds(test: When, properties: Mapping[str, Any], indexes: tuple[int, ...]) -> bool:
    value = _get(properties, _bind(test.path, indexes))
    found = _present_value(value)
    if test.op == "absent":
        return not found
    if test.op == "present":
        return found
    same = found and _normal(value) == test.value and type(_normal(value)) is type(test.value)
    if test.op == "is":
        return same
    if test.op == "is_not":
        return not same
    return not found or _normal(value) not in test.value  # not_in


def _short(value: Any) -> str:
    text = _render(value)
    if text is None:
        text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _classify_slot(slot: Slot, properties: Mapping[str, Any]) -> Iterator[KeyUse]:
    for indexes in _expand(properties, slot.key):
        if not all(_holds(t, properties, indexes) for t in slot.only_if):
            continue
        path = _bind(slot.key, indexes)
        decided = next(
            (o for o in slot.first if all(_holds(t, properties, indexes) for t in o.when)), None
        )
        if decided is None:
            key = _get(properties, path)
            leaf = slot.key.rsplit(".", 1)[-1]
            if is_aws_managed_key_reference(key):
                yield KeyUse(path, "aws_managed", None, f"{leaf} {_short(key)} (AWS managed key)")
                continue
            if _present_value(key):
                yield KeyUse(path, "customer_key", key, f"{leaf} {_short(key)}")
                continue
            decided = next(
                o for o in slot.no_key if all(_holds(t, properties, indexes) for t in o.when)
            )
        if decided.source is not None:
            source = _bind(decided.source, indexes)
            yield KeyUse(path, decided.state, _get(properties, source), decided.detail, source)
            continue
        yield KeyUse(path, decided.state, None, decided.detail)


def classify(cfn_type: str, properties: Mapping[str, Any] | None) -> list[KeyUse] | None:
    """One :class:`KeyUse` per applicable key slot of a resource; None if the type is unknown.

    ``properties`` is the resource's ``Properties`` (None when it has none). Slots that do not
    apply (Performance Insights off ...) give nothing, so the list may be empty.
    """
    store = CATALOGUE.get(cfn_type)
    if store is None:
        return None
    props: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
    return [use for slot in store.slots for use in _classify_slot(slot, props)]


# -- every property that names a KMS key (generated from the CloudFormation schemas) -----------

_KMS_PROPERTIES_FILE = "kms_properties.json"


@lru_cache(maxsize=1)
def _kms_properties() -> Mapping[str, tuple[str, ...]]:
    """``{cfn_type: (path pattern, ...)}`` of every property of every CloudFormation type that
    names a KMS key, as the schemas cfn-lint ships describe them (``kms_properties.json``, kept
    equal to the schemas by ``tests/test_schema_coverage.py``)."""
    try:
        text = resources.files(__package__).joinpath(_KMS_PROPERTIES_FILE).read_text()
    except (FileNotFoundError, OSError):
        return MappingProxyType({})
    data = json.loads(text)
    return MappingProxyType({t: tuple(paths) for t, paths in data.items()})


def kms_key_paths(cfn_type: str) -> tuple[str, ...]:
    """The path patterns (``A.B[].C``) of every property of ``cfn_type`` that names a KMS key."""
    found = _kms_properties().get(cfn_type, ())
    store = CATALOGUE.get(cfn_type)
    slots = tuple(s.key for s in store.slots) if store else ()
    return tuple(dict.fromkeys((*slots, *found)))


def key_values(cfn_type: str, properties: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """``(concrete path, value)`` of every KMS key property present in ``properties``."""
    for pattern in kms_key_paths(cfn_type):
        for indexes in _expand(properties, pattern):
            path = _bind(pattern, indexes)
            value = _get(properties, path)
            if _present_value(value):
                yield path, value


# -- calls that create stores outside a template (custom resources) ----------------------------
# IAM action -> the store type it creates. Action names from the Service Authorization Reference,
# "Actions, resources, and condition keys for AWS services"
# (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
# one page per service prefix below (e.g. ".../list_amazonsqs.html" for sqs).
STORE_CREATE_ACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "sqs:CreateQueue": "AWS::SQS::Queue",
        "sns:CreateTopic": "AWS::SNS::Topic",
        "dynamodb:CreateTable": "AWS::DynamoDB::Table",
        "dynamodb:RestoreTableFromBackup": "AWS::DynamoDB::Table",
        "dynamodb:RestoreTableToPointInTime": "AWS::DynamoDB::Table",
        "dynamodb:ImportTable": "AWS::DynamoDB::Table",
        "s3:CreateBucket": "AWS::S3::Bucket",
        "kinesis:CreateStream": "AWS::Kinesis::Stream",
        "firehose:CreateDeliveryStream": "AWS::KinesisFirehose::DeliveryStream",
        "logs:CreateLogGroup": "AWS::Logs::LogGroup",
        "secretsmanager:CreateSecret": "AWS::SecretsManager::Secret",
        "ec2:CreateVolume": "AWS::EC2::Volume",
        "ec2:RunInstances": "AWS::EC2::Instance",
        "ec2:CopySnapshot": "AWS::EC2::Volume",
        "rds:CreateDBInstance": "AWS::RDS::DBInstance",
        "rds:CreateDBInstanceReadReplica": "AWS::RDS::DBInstance",
        "rds:RestoreDBInstanceFromDBSnapshot": "AWS::RDS::DBInstance",
        "rds:CreateDBCluster": "AWS::RDS::DBCluster",
        "rds:RestoreDBClusterFromSnapshot": "AWS::RDS::DBCluster",
        "elasticfilesystem:CreateFileSystem": "AWS::EFS::FileSystem",
        "ecr:CreateRepository": "AWS::ECR::Repository",
        "backup:CreateBackupVault": "AWS::Backup::BackupVault",
        "events:CreateEventBus": "AWS::Events::EventBus",
        "es:CreateDomain": "AWS::OpenSearchService::Domain",
        "kinesisvideo:CreateStream": "AWS::KinesisVideo::Stream",
        "timestream:CreateDatabase": "AWS::Timestream::Database",
        "elasticache:CreateReplicationGroup": "AWS::ElastiCache::ReplicationGroup",
        "redshift:CreateCluster": "AWS::Redshift::Cluster",
    }
)

# AWS SDK client names (``AwsCustomResource`` ``service``: v2 ``SQS`` or v3 ``@aws-sdk/client-sqs``)
# whose IAM prefix differs from the normalised name.
_SDK_PREFIXES = {
    "cloudwatchlogs": "logs",
    "efs": "elasticfilesystem",
    "eventbridge": "events",
    "opensearch": "es",
    "elasticsearch": "es",
    "opensearchservice": "es",
    "docdb": "rds",
    "neptune": "rds",
}


def store_created_by_action(action: str) -> str | None:
    """The store type an IAM action (``sqs:CreateQueue``, any case) creates, or None."""
    lowered = action.lower()
    return next((t for a, t in STORE_CREATE_ACTIONS.items() if a.lower() == lowered), None)


def store_create_actions_matching(pattern: str) -> Iterator[str]:
    """The store-creating actions an IAM action pattern (``sqs:*``, ``*``) allows."""
    lowered = pattern.lower()
    for action in STORE_CREATE_ACTIONS:
        if fnmatchcase(action.lower(), lowered):
            yield action


def store_created_by_call(service: str, action: str) -> str | None:
    """The store type an AWS SDK call (``AwsCustomResource`` ``service``/``action``) creates."""
    name = service.lower().removeprefix("@aws-sdk/client-").replace("-", "").replace(" ", "")
    prefix = _SDK_PREFIXES.get(name, name)
    verb = action.removesuffix("Command")
    return store_created_by_action(f"{prefix}:{verb}")

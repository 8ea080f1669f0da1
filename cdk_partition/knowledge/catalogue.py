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
absent; ``"true"``/``"false"`` strings count as booleans. A switch the slot compares with a
literal whose value is an intrinsic (``Fn::If``, a parameter) is decided at deploy time: the slot
is ``undecided`` (the audit's CDKP005), never assumed either way. An intrinsic in place of a
whole object (``{"Fn::If": ...}``) hides what is inside it.

Types not in the catalogue that still look like they hold data are recognised by
:func:`looks_like_data_store`, so that callers can warn about them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "CATALOGUE",
    "KEYLESS_STORES",
    "NOT_STORES",
    "KeyState",
    "KeyUse",
    "KeylessStore",
    "Outcome",
    "Slot",
    "StoreType",
    "When",
    "classify",
    "is_aws_managed_key_reference",
    "looks_like_data_store",
    "lookup",
]

KeyState = Literal[
    "customer_key", "unencrypted", "aws_owned", "aws_managed", "inherited", "undecided"
]
"""What protects one key slot of a store: the customer key found there, a violation kind, or
``inherited``: the key is the one of another resource (a read replica's source, a snapshot), named
by the outcome's ``source`` property, which the caller resolves; or ``undecided``: a switch the
slot reads is an intrinsic decided at deploy time (fail closed)."""


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
    at: str | None = field(default=None, compare=False)
    """The concrete path of the property the state was read from, when it is not :attr:`path`:
    the switch that decided it (``...ServerSideEncryptionByDefault.SSEAlgorithm``), the source
    property of an inherited key, a switch decided at deploy time. A finding names this
    property with :attr:`found`, its own value."""
    found: Any = field(default=None, compare=False)
    """The template's value of the property at :attr:`at` (else :attr:`path`); None when absent."""

    @property
    def where(self) -> str:
        """The property the state was read from: :attr:`at`, else the slot's key :attr:`path`."""
        return self.at or self.path


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
class KeylessStore:
    """A data store that cannot name a customer managed key at all (only an encryption switch)."""

    reason: str
    """What protects the data instead."""
    when: tuple[When, ...] = ()
    """Tests that must all hold for the resource to hold data (cache enabled ...)."""


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
_S3_RULES = "ReplicationConfiguration.Rules[]"
_S3_REPLICA = f"{_S3_RULES}.Destination.EncryptionConfiguration.ReplicaKmsKeyID"
# Firehose destinations that write to S3 (the destination itself or its backup/error bucket)
_FIREHOSE_S3 = (
    "S3DestinationConfiguration",
    "ExtendedS3DestinationConfiguration",
    "ExtendedS3DestinationConfiguration.S3BackupConfiguration",
    "RedshiftDestinationConfiguration.S3Configuration",
    "RedshiftDestinationConfiguration.S3BackupConfiguration",
    "ElasticsearchDestinationConfiguration.S3Configuration",
    "AmazonopensearchserviceDestinationConfiguration.S3Configuration",
    "AmazonOpenSearchServerlessDestinationConfiguration.S3Configuration",
    "SplunkDestinationConfiguration.S3Configuration",
    "HttpEndpointDestinationConfiguration.S3Configuration",
    "SnowflakeDestinationConfiguration.S3Configuration",
    "IcebergDestinationConfiguration.S3Configuration",
)
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
# Step Functions state machines and activities share one encryption slot
_SFN_AT_REST = Slot(
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
)
# ECR repositories and the repositories a creation template makes share one encryption slot
_ECR_AT_REST = Slot(
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
)
_ATHENA_RESULTS = "WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration"
_ATHENA_MANAGED = "WorkGroupConfiguration.ManagedQueryResultsConfiguration"

# -- table helpers for the schema-coverage entries (see tests/test_schema_coverage.py) -------

_EBS_DEFAULT = _managed("Encrypted true without KmsKeyId: the account's default EBS key (aws/ebs)")
_AMI_ROOT = (
    "no BlockDeviceMappings: the root volume comes from the AMI (or a launch template), whose "
    "encryption the template cannot show"
)


def _block_devices(
    mappings: str, *, absent: str | None = _AMI_ROOT, no_device: bool = True
) -> Slot:
    """EBS volumes of a block device mapping list: ``Ebs.KmsKeyId`` counts only with
    ``Ebs.Encrypted`` true; an entry with ``VirtualName`` (instance store) or ``NoDevice`` has no
    EBS volume. ``absent``: the outcome text when the list itself is absent (None: no slot)."""
    ebs = f"{mappings}[].Ebs"
    first = (_plain(absent, _absent(mappings)),) if absent else ()
    return Slot(
        f"{ebs}.KmsKeyId",
        (_EBS_DEFAULT,),
        first=(
            *first,
            _plain(
                "Ebs.Encrypted not true: volume unencrypted unless its snapshot or the account's "
                "EBS encryption by default encrypts it (not visible in the template)",
                _not(f"{ebs}.Encrypted", True),
            ),
        ),
        only_if=(
            *(() if absent else (_present(ebs),)),
            _absent(f"{mappings}[].VirtualName"),
            *((_absent(f"{mappings}[].NoDevice"),) if no_device else ()),
        ),
    )


def _owned_default(key: str, service: str, *, only_if: tuple[When, ...] = ()) -> Slot:
    """A key whose absence means the service's own default key (AWS owned)."""
    leaf = key.rsplit(".", 1)[-1]
    return _key_only(key, _owned(f"no {leaf}: {service} default AWS owned key"), only_if=only_if)


def _managed_default(
    key: str, alias: str, *, only_if: tuple[When, ...] = (), what: str = ""
) -> Slot:
    """A key whose absence means the AWS managed key ``alias``."""
    leaf = key.rsplit(".", 1)[-1]
    return _key_only(key, _managed(f"no {leaf}{what}: AWS managed key {alias}"), only_if=only_if)


def _s3_output(key: str, *, only_if: tuple[When, ...] = ()) -> Slot:
    """A key for objects a service writes to a customer's S3 bucket. Without it the objects get
    the destination bucket's default encryption: inherited from the bucket, which is a store of
    its own, so the slot only applies when a key is named (and then it must be the domain key)."""
    leaf = key.rsplit(".", 1)[-1]
    return _key_only(
        key,
        _owned(f"no {leaf}: objects get the destination bucket's default encryption"),
        only_if=(*only_if, _present(key)),
    )


def _required(key: str, *, only_if: tuple[When, ...] = ()) -> Slot:
    """A key the schema requires: absent, the template does not deploy."""
    leaf = key.rsplit(".", 1)[-1]
    return _key_only(key, _plain(f"no {leaf}: required, the template is invalid"), only_if=only_if)


def _inherited_slot(key: str, source: str, *, only_if: tuple[When, ...] = ()) -> Slot:
    """A key that, absent, is taken from another resource the template does not show; fails
    closed until the audit has an "inherited" outcome."""
    leaf = key.rsplit(".", 1)[-1]
    return _key_only(
        key,
        _owned(f"no {leaf}: inherits the key of {source} (not visible here)"),
        only_if=only_if,
    )


_STORES: tuple[StoreType, ...] = (
    _store(
        "AWS::S3::Bucket",
        "S3 bucket",
        "alias/aws/s3",
        _method("bucket", "`encryption=s3.BucketEncryption.KMS, encryption_key=domain.key`"),
        _s3_slot(),
        # Replicas of SSE-KMS objects: S3 requires ReplicaKmsKeyID once SseKmsEncryptedObjects
        # is enabled (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html);
        # other replicas take the destination bucket's default, checked on that bucket.
        _key_only(
            _S3_REPLICA,
            _managed("SSE-KMS objects replicated without ReplicaKmsKeyID"),
            only_if=(
                _present("ReplicationConfiguration.Rules[].Destination"),
                _is(
                    f"{_S3_RULES}.SourceSelectionCriteria.SseKmsEncryptedObjects.Status", "Enabled"
                ),
            ),
        ),
        # S3 Metadata journal/inventory/annotation tables: SSE-S3 unless aws:kms
        # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/metadata-tables-encryption.html).
        *(
            Slot(
                f"MetadataConfiguration.{table}.EncryptionConfiguration.KmsKeyArn",
                (_managed("aws:kms without KmsKeyArn: AWS managed key aws/s3"),),
                first=(
                    _owned(
                        "metadata table SseAlgorithm not aws:kms: SSE-S3 (AWS owned key)",
                        _not(
                            f"MetadataConfiguration.{table}.EncryptionConfiguration.SseAlgorithm",
                            "aws:kms",
                        ),
                    ),
                ),
                only_if=(_present(f"MetadataConfiguration.{table}"),),
            )
            for table in (
                "JournalTableConfiguration",
                "InventoryTableConfiguration",
                "AnnotationTableConfiguration",
            )
        ),
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
        # Objects Firehose writes to S3: NoEncryption (or nothing) leaves them to the bucket
        # default, inherited from the destination bucket; a key named must be the domain key
        # (https://docs.aws.amazon.com/firehose/latest/APIReference/API_EncryptionConfiguration.html).
        *(
            _s3_output(f"{s3}.EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN")
            for s3 in _FIREHOSE_S3
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
        # AWS::EC2::Volume - AWS CloudFormation Template Reference
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-volume.html):
        # "If you are creating a volume copy, omit this parameter. The volume is automatically
        # encrypted with the same KMS key as the source volume" (SourceVolumeId); a volume from
        # an encrypted snapshot takes the snapshot's key unless KmsKeyId names one.
        Slot(
            "KmsKeyId",
            (
                _inherited("SourceVolumeId", "volume copy: the source volume's key"),
                _inherited(
                    "SnapshotId", "volume from a snapshot without KmsKeyId: the snapshot's key"
                ),
                _managed("Encrypted true without KmsKeyId: AWS managed key aws/ebs"),
            ),
            first=(
                _plain(
                    "Encrypted not true: volume unencrypted (account default encryption is not "
                    "visible in the template)",
                    _not("Encrypted", True),
                    _absent("SourceVolumeId"),
                ),
            ),
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
        # Replicated automated backups need a key of the destination Region
        # (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html).
        _key_only(
            "AutomaticBackupReplicationKmsKeyId",
            _plain(
                "no AutomaticBackupReplicationKmsKeyId: replicated backups of unencrypted storage"
            ),
            only_if=(_present("AutomaticBackupReplicationRegion"),),
        ),
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
        _ECR_AT_REST,
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
        _key_only(
            "SnapshotCopyConfigurations[].DestinationKmsKeyId",
            _owned("snapshot copy without DestinationKmsKeyId: Redshift default AWS owned key"),
            only_if=(_present("SnapshotCopyConfigurations[].DestinationRegion"),),
        ),
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
        _SFN_AT_REST,
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
        _key_only(
            "DefaultUserSettings.SharingSettings.S3KmsKeyId",
            _managed("shared notebook output without S3KmsKeyId: AWS managed key aws/s3"),
            only_if=(_is("DefaultUserSettings.SharingSettings.NotebookOutputOption", "Allowed"),),
        ),
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
        # Spark calculation results and logs (https://docs.aws.amazon.com/athena/latest/ug/notebooks-spark-encryption.html)
        _key_only(
            "WorkGroupConfiguration.CustomerContentEncryptionConfiguration.KmsKey",
            _owned("customer content encryption without KmsKey: AWS owned key"),
            only_if=(_present("WorkGroupConfiguration.CustomerContentEncryptionConfiguration"),),
        ),
        *(
            _key_only(
                f"WorkGroupConfiguration.MonitoringConfiguration.{logging}.KmsKey",
                _owned(f"{logging} without KmsKey: {default}"),
                only_if=(
                    _is(f"WorkGroupConfiguration.MonitoringConfiguration.{logging}.Enabled", True),
                ),
            )
            for logging, default in (
                ("ManagedLoggingConfiguration", "Athena AWS owned key"),
                ("S3LoggingConfiguration", "the bucket default (SSE-S3, AWS owned key)"),
            )
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
        "Lambda function durable execution data",
        "alias/aws/lambda",
        _pass("`environment_encryption=domain.key` of `lambda_.Function`"),
        # Environment variables are function configuration, not a store of the domain's data:
        # the handlers the CDK creates for itself (BucketDeployment, auto-delete-objects, custom
        # resource providers) carry some, and refusing them refused correct code. Keep domain
        # data in domain stores (a domain secret for credentials). A KmsKeyArn that is set must
        # still be the domain key (the generic key-property rule). "Data encryption at rest for
        # AWS Lambda" (https://docs.aws.amazon.com/lambda/latest/dg/security-encryption-at-rest.html)
        # lists environment variables, deployment packages, filter criteria and durable execution
        # data as what Lambda encrypts at rest.
        # durable execution payloads (input, output, errors)
        _key_only(
            "DurableConfig.KMSKeyArn",
            _owned("durable execution without KMSKeyArn: Lambda AWS owned key"),
            only_if=(_present("DurableConfig"),),
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
    # -- schema coverage: every other KMS-capable type cfn-lint 1.58 knows (2026) ----------------
    # default: "If the encrypted state is true but you do not specify KmsKeyId, your KMS key for
    # EBS is used" (BlockDeviceMappings Ebs KmsKeyId on that page); account default key:
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html
    # AWS::EC2::Instance - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-instance.html
    _store(
        "AWS::EC2::Instance",
        "EC2 instance EBS volumes",
        "alias/aws/ebs",
        _pass("`kms_key` (with `encrypted=True`) of every `ec2.BlockDeviceVolume.ebs(...)`"),
        _block_devices("BlockDeviceMappings"),
    ),
    # AWS::EC2::LaunchTemplate - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-launchtemplate.html
    _store(
        "AWS::EC2::LaunchTemplate",
        "EC2 launch template EBS volumes",
        "alias/aws/ebs",
        _pass("`kms_key` (with `encrypted=True`) of every `ec2.BlockDeviceVolume.ebs(...)`"),
        _block_devices("LaunchTemplateData.BlockDeviceMappings"),
    ),
    # Overrides only: the fleet's launch templates are checked as AWS::EC2::LaunchTemplate.
    # AWS::EC2::EC2Fleet - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-ec2fleet.html
    _store(
        "AWS::EC2::EC2Fleet",
        "EC2 Fleet override EBS volumes",
        "alias/aws/ebs",
        _pass("`kms_key_id` (with `encrypted=True`) in each override's block device mappings"),
        _block_devices("LaunchTemplateConfigs[].Overrides[].BlockDeviceMappings", absent=None),
    ),
    # default: "If you don't specify a value for the KmsKeyId parameter, then DMS uses your
    # default encryption key" (DMS API, ReplicationInstance/Endpoint/ComputeConfig KmsKeyId):
    # https://docs.aws.amazon.com/dms/latest/APIReference/API_CreateReplicationInstance.html
    # AWS::DMS::ReplicationInstance - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dms-replicationinstance.html
    _store(
        "AWS::DMS::ReplicationInstance",
        "DMS replication instance",
        "alias/aws/dms",
        _pass("`kms_key_id` of `dms.CfnReplicationInstance`"),
        _managed_default("KmsKeyId", "aws/dms"),
    ),
    # default: same DMS page (Endpoint KmsKeyId); S3/Redshift targets default to SSE_S3:
    # https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html
    # AWS::DMS::Endpoint - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dms-endpoint.html
    _store(
        "AWS::DMS::Endpoint",
        "DMS endpoint (connection parameters, S3/Redshift target data)",
        "alias/aws/dms",
        _pass("`kms_key_id` and `server_side_encryption_kms_key_id` of `dms.CfnEndpoint`"),
        _managed_default("KmsKeyId", "aws/dms"),
        *(
            Slot(
                f"{settings}.ServerSideEncryptionKmsKeyId",
                (_managed("SSE_KMS without ServerSideEncryptionKmsKeyId: AWS managed key aws/s3"),),
                first=(
                    _owned(
                        "EncryptionMode not SSE_KMS: SSE-S3 (AWS owned key)",
                        _not(f"{settings}.EncryptionMode", "SSE_KMS"),
                    ),
                ),
                only_if=(_is("EngineName", engine), _is("EndpointType", "target")),
            )
            for settings, engine in (("S3Settings", "s3"), ("RedshiftSettings", "redshift"))
        ),
    ),
    # AWS::DMS::ReplicationConfig - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dms-replicationconfig.html
    _store(
        "AWS::DMS::ReplicationConfig",
        "DMS Serverless replication",
        "alias/aws/dms",
        _pass("`kms_key_id` in `compute_config` of `dms.CfnReplicationConfig`"),
        _managed_default("ComputeConfig.KmsKeyId", "aws/dms"),
    ),
    # default: https://docs.aws.amazon.com/dms/latest/APIReference/API_InstanceProfile.html
    # AWS::DMS::InstanceProfile - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dms-instanceprofile.html
    _store(
        "AWS::DMS::InstanceProfile",
        "DMS instance profile",
        "alias/aws/dms",
        _pass("`kms_key_arn` of `dms.CfnInstanceProfile`"),
        _managed_default("KmsKeyArn", "aws/dms"),
    ),
    # AWS::AIOps::InvestigationGroup - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-aiops-investigationgroup.html
    _store(
        "AWS::AIOps::InvestigationGroup",
        "CloudWatch investigation group",
        None,
        _pass("`kms_key_id` in `encryption_config` of `aiops.CfnInvestigationGroup`"),
        _owned_default("EncryptionConfig.KmsKeyId", "CloudWatch investigations"),
    ),
    # AWS::APS::Workspace - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-aps-workspace.html
    _store(
        "AWS::APS::Workspace",
        "Managed Prometheus workspace",
        None,
        _pass("`kms_key_arn` of `aps.CfnWorkspace`"),
        _owned_default("KmsKeyArn", "Amazon Managed Service for Prometheus"),
    ),
    # AWS::AgentRegistry::Registry - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-agentregistry-registry.html
    _store(
        "AWS::AgentRegistry::Registry",
        "agent registry",
        None,
        _pass("`kms_key_arn` in `encryption_configuration` of `CfnRegistry`"),
        _owned_default("EncryptionConfiguration.KmsKeyArn", "agent registry"),
    ),
    # AWS::AppConfig::ConfigurationProfile - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appconfig-configurationprofile.html
    _store(
        "AWS::AppConfig::ConfigurationProfile",
        "AppConfig hosted configuration",
        None,
        _pass("`kms_key_identifier` of `appconfig.CfnConfigurationProfile`"),
        _owned_default("KmsKeyIdentifier", "AppConfig"),
    ),
    # AWS::AppConfig::Deployment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appconfig-deployment.html
    _store(
        "AWS::AppConfig::Deployment",
        "AppConfig deployment",
        None,
        _pass("`kms_key_identifier` of `appconfig.CfnDeployment`"),
        _owned_default("KmsKeyIdentifier", "AppConfig"),
    ),
    # default: "If you don't provide anything here, Amazon AppFlow uses the Amazon
    # AppFlow-managed KMS key": https://docs.aws.amazon.com/appflow/1.0/APIReference/API_CreateConnectorProfile.html
    # AWS::AppFlow::ConnectorProfile - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appflow-connectorprofile.html
    _store(
        "AWS::AppFlow::ConnectorProfile",
        "AppFlow connector profile (credentials)",
        None,
        _pass("`kms_arn` of `appflow.CfnConnectorProfile`"),
        _key_only("KMSArn", _managed("no KMSArn: the AppFlow-managed (AWS managed) key")),
    ),
    # default: https://docs.aws.amazon.com/appflow/1.0/APIReference/API_CreateFlow.html
    # AWS::AppFlow::Flow - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appflow-flow.html
    _store(
        "AWS::AppFlow::Flow",
        "AppFlow flow",
        None,
        _pass("`kms_arn` of `appflow.CfnFlow`"),
        _key_only("KMSArn", _managed("no KMSArn: the AppFlow-managed (AWS managed) key")),
    ),
    # AWS::AppIntegrations::DataIntegration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appintegrations-dataintegration.html
    _store(
        "AWS::AppIntegrations::DataIntegration",
        "AppIntegrations data integration",
        None,
        _pass("`kms_key` of `appintegrations.CfnDataIntegration`"),
        _required("KmsKey"),
    ),
    # AWS::AppRunner::Service - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apprunner-service.html
    _store(
        "AWS::AppRunner::Service",
        "App Runner service (source copy and logs)",
        None,
        _pass("`kms_key` in `encryption_configuration` of `apprunner.CfnService`"),
        _owned_default("EncryptionConfiguration.KmsKey", "App Runner"),
    ),
    # AWS::Backup::LogicallyAirGappedBackupVault - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-logicallyairgappedbackupvault.html
    _store(
        "AWS::Backup::LogicallyAirGappedBackupVault",
        "logically air-gapped backup vault",
        None,
        _pass("`encryption_key_arn` of `backup.CfnLogicallyAirGappedBackupVault`"),
        _owned_default("EncryptionKeyArn", "AWS Backup"),
    ),
    # AWS::BackupGateway::Hypervisor - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backupgateway-hypervisor.html
    _store(
        "AWS::BackupGateway::Hypervisor",
        "Backup gateway hypervisor (credentials)",
        None,
        _pass("`kms_key_arn` of `backupgateway.CfnHypervisor`"),
        _owned_default("KmsKeyArn", "Backup gateway"),
    ),
    # default: Bedrock encrypts agents, flows, prompts, guardrails ... with an AWS owned key
    # unless given a customer managed key: https://docs.aws.amazon.com/bedrock/latest/userguide/data-encryption.html
    *(
        _store(
            cfn_type,
            f"Bedrock {what}",
            None,
            _pass(f"`{prop}` of `bedrock.Cfn{cfn_type.rsplit(':', 1)[-1]}`"),
            _owned_default(key, "Amazon Bedrock"),
        )
        for cfn_type, what, key, prop in (
            (
                # AWS::Bedrock::Agent - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-agent.html
                "AWS::Bedrock::Agent",
                "agent",
                "CustomerEncryptionKeyArn",
                "customer_encryption_key_arn",
            ),
            (
                # AWS::Bedrock::AutomatedReasoningPolicy - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-automatedreasoningpolicy.html
                "AWS::Bedrock::AutomatedReasoningPolicy",
                "automated reasoning policy",
                "KmsKeyId",
                "kms_key_id",
            ),
            # AWS::Bedrock::Blueprint - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-blueprint.html
            ("AWS::Bedrock::Blueprint", "data automation blueprint", "KmsKeyId", "kms_key_id"),
            (
                # AWS::Bedrock::DataAutomationLibrary - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-dataautomationlibrary.html
                "AWS::Bedrock::DataAutomationLibrary",
                "data automation library",
                "EncryptionConfiguration.KmsKeyId",
                "kms_key_id",
            ),
            (
                # AWS::Bedrock::DataAutomationProject - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-dataautomationproject.html
                "AWS::Bedrock::DataAutomationProject",
                "data automation project",
                "KmsKeyId",
                "kms_key_id",
            ),
            (
                # AWS::Bedrock::DataSource - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-datasource.html
                "AWS::Bedrock::DataSource",
                "knowledge base data source (transient ingestion data)",
                "ServerSideEncryptionConfiguration.KmsKeyArn",
                "kms_key_arn",
            ),
            (
                # AWS::Bedrock::Flow - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-flow.html
                "AWS::Bedrock::Flow",
                "flow",
                "CustomerEncryptionKeyArn",
                "customer_encryption_key_arn",
            ),
            # AWS::Bedrock::Guardrail - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-guardrail.html
            ("AWS::Bedrock::Guardrail", "guardrail", "KmsKeyArn", "kms_key_arn"),
            (
                # AWS::Bedrock::Prompt - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-prompt.html
                "AWS::Bedrock::Prompt",
                "prompt",
                "CustomerEncryptionKeyArn",
                "customer_encryption_key_arn",
            ),
            (
                # AWS::Bedrock::RetrievalInstruction - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-retrievalinstruction.html
                "AWS::Bedrock::RetrievalInstruction",
                "retrieval instruction",
                "CustomerEncryptionKeyArn",
                "customer_encryption_key_arn",
            ),
            # AWS::Bedrock::Session - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-session.html
            ("AWS::Bedrock::Session", "agent session", "EncryptionKeyArn", "encryption_key_arn"),
            (
                # AWS::BedrockAgentCore::ConfigurationBundle - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-configurationbundle.html
                "AWS::BedrockAgentCore::ConfigurationBundle",
                "AgentCore configuration bundle",
                "KmsKeyArn",
                "kms_key_arn",
            ),
            # AWS::BedrockAgentCore::Dataset - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-dataset.html
            ("AWS::BedrockAgentCore::Dataset", "AgentCore dataset", "KmsKeyArn", "kms_key_arn"),
            # AWS::BedrockAgentCore::Evaluator - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-evaluator.html
            ("AWS::BedrockAgentCore::Evaluator", "AgentCore evaluator", "KmsKeyArn", "kms_key_arn"),
            # AWS::BedrockAgentCore::Gateway - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-gateway.html
            ("AWS::BedrockAgentCore::Gateway", "AgentCore gateway", "KmsKeyArn", "kms_key_arn"),
            (
                # AWS::BedrockAgentCore::Harness - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-harness.html
                "AWS::BedrockAgentCore::Harness",
                "AgentCore harness memory",
                "Memory.ManagedMemoryConfiguration.EncryptionKeyArn",
                "encryption_key_arn",
            ),
            (
                # AWS::BedrockAgentCore::Memory - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-memory.html
                "AWS::BedrockAgentCore::Memory",
                "AgentCore memory",
                "EncryptionKeyArn",
                "encryption_key_arn",
            ),
            (
                # AWS::BedrockAgentCore::PolicyEngine - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-policyengine.html
                "AWS::BedrockAgentCore::PolicyEngine",
                "AgentCore policy engine",
                "EncryptionKeyArn",
                "encryption_key_arn",
            ),
        )
    ),
    # AWS::Bedrock::KnowledgeBase - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-knowledgebase.html
    _store(
        "AWS::Bedrock::KnowledgeBase",
        "Bedrock managed knowledge base",
        None,
        _pass("`kms_key_arn` in the managed knowledge base configuration"),
        _owned_default(
            "KnowledgeBaseConfiguration.ManagedKnowledgeBaseConfiguration"
            ".ServerSideEncryptionConfiguration.KmsKeyArn",
            "Amazon Bedrock",
            only_if=(_present("KnowledgeBaseConfiguration.ManagedKnowledgeBaseConfiguration"),),
        ),
    ),
    # AWS::BedrockAgentCore::CapacityProvider - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-capacityprovider.html
    _store(
        "AWS::BedrockAgentCore::CapacityProvider",
        "AgentCore capacity provider EBS volumes",
        "alias/aws/ebs",
        _pass("`kms_key_id` (with `encrypted=True`) of the root, data and ephemeral volumes"),
        _switched(
            "ComputeConfiguration.Ec2Configuration.RootVolume.KmsKeyId",
            "ComputeConfiguration.Ec2Configuration.RootVolume.Encrypted",
            "RootVolume.Encrypted not true: root volume unencrypted unless the account encrypts "
            "EBS by default (not visible)",
            _EBS_DEFAULT,
        ),
        Slot(
            "ComputeConfiguration.Ec2Configuration.Volumes[].EbsConfiguration.KmsKeyId",
            (_EBS_DEFAULT,),
            first=(
                _plain(
                    "EbsConfiguration.Encrypted false: volume unencrypted",
                    _is(
                        "ComputeConfiguration.Ec2Configuration.Volumes[].EbsConfiguration.Encrypted",
                        False,
                    ),
                ),
            ),  # "Defaults to true."
            only_if=(_present("ComputeConfiguration.Ec2Configuration.Volumes[].EbsConfiguration"),),
        ),
        _block_devices(
            "ComputeConfiguration.Ec2Configuration.LaunchTemplateSource.LaunchParameters"
            ".EphemeralVolumes",
            absent=None,
            no_device=False,
        ),
    ),
    # AWS::Chime::MediaInsightsPipelineConfiguration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-chime-mediainsightspipelineconfiguration.html
    _store(
        "AWS::Chime::MediaInsightsPipelineConfiguration",
        "Chime SDK call analytics output",
        None,
        _pass("`output_encryption_kms_key_id` of the post-call analytics settings"),
        _s3_output(
            "Elements[].AmazonTranscribeCallAnalyticsProcessorConfiguration"
            ".PostCallAnalyticsSettings.OutputEncryptionKMSKeyId",
            only_if=(
                _present(
                    "Elements[].AmazonTranscribeCallAnalyticsProcessorConfiguration"
                    ".PostCallAnalyticsSettings"
                ),
            ),
        ),
    ),
    *(
        _store(
            cfn_type,
            what,
            None,
            _pass(f"`kms_key_arn` of `Cfn{cfn_type.rsplit(':', 1)[-1]}`"),
            _owned_default("KmsKeyArn", "Clean Rooms"),
        )
        for cfn_type, what in (
            # AWS::CleanRooms::IdMappingTable - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cleanrooms-idmappingtable.html
            ("AWS::CleanRooms::IdMappingTable", "Clean Rooms ID mapping table"),
            (
                # AWS::CleanRooms::IntermediateTable - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cleanrooms-intermediatetable.html
                "AWS::CleanRooms::IntermediateTable",
                "Clean Rooms intermediate table (cached query results)",
            ),
            (
                # AWS::CleanRoomsML::ConfiguredModelAlgorithm - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cleanroomsml-configuredmodelalgorithm.html
                "AWS::CleanRoomsML::ConfiguredModelAlgorithm",
                "Clean Rooms ML configured model algorithm",
            ),
        )
    ),
    # default: "By default, the event data store is encrypted by CloudTrail":
    # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-event-data-store-cloudtrail.html
    # AWS::CloudTrail::EventDataStore - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudtrail-eventdatastore.html
    _store(
        "AWS::CloudTrail::EventDataStore",
        "CloudTrail Lake event data store",
        None,
        _pass("`kms_key_id` of `cloudtrail.CfnEventDataStore`"),
        _owned_default("KmsKeyId", "CloudTrail"),
    ),
    # default: "If you don't specify a value, CodeBuild uses the AWS managed key for Amazon S3":
    # https://docs.aws.amazon.com/codebuild/latest/APIReference/API_S3ReportExportConfig.html
    # AWS::CodeBuild::ReportGroup - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codebuild-reportgroup.html
    _store(
        "AWS::CodeBuild::ReportGroup",
        "CodeBuild report export",
        "alias/aws/s3",
        _pass("`encryption_key` of the report group's S3 export"),
        Slot(
            "ExportConfig.S3Destination.EncryptionKey",
            (_managed("no EncryptionKey: AWS managed key aws/s3"),),
            first=(
                _plain(
                    "EncryptionDisabled true: exported reports unencrypted",
                    _is("ExportConfig.S3Destination.EncryptionDisabled", True),
                ),
            ),
            only_if=(_is("ExportConfig.ExportConfigType", "S3"),),
        ),
    ),
    # default: "CodeCommit uses the AWS managed key aws/codecommit" unless a customer managed
    # key is given: https://docs.aws.amazon.com/codecommit/latest/userguide/encryption.html
    # AWS::CodeCommit::Repository - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codecommit-repository.html
    _store(
        "AWS::CodeCommit::Repository",
        "CodeCommit repository",
        "alias/aws/codecommit",
        _pass("`kms_key_id` of `codecommit.CfnRepository`"),
        _managed_default("KmsKeyId", "aws/codecommit"),
    ),
    # default: "If no key is specified, CodePipeline uses the default key for Amazon S3":
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/S3-artifact-encryption.html
    # AWS::CodePipeline::Pipeline - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codepipeline-pipeline.html
    _store(
        "AWS::CodePipeline::Pipeline",
        "CodePipeline artifact store",
        "alias/aws/s3",
        _pass("`encryption_key=domain.key` of `codepipeline.Pipeline` (cross-region stores too)"),
        _managed_default(
            "ArtifactStore.EncryptionKey.Id", "aws/s3", only_if=(_present("ArtifactStore"),)
        ),
        _managed_default(
            "ArtifactStores[].ArtifactStore.EncryptionKey.Id",
            "aws/s3",
            only_if=(_present("ArtifactStores[].ArtifactStore"),),
        ),
    ),
    # default: KeyConfiguration KeyType AWS_OWNED_KEY, the user pool default:
    # https://docs.aws.amazon.com/cognito/latest/developerguide/data-protection.html
    # AWS::Cognito::UserPool - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cognito-userpool.html
    _store(
        "AWS::Cognito::UserPool",
        "Cognito user pool",
        None,
        _pass("`kms_key_arn` (`key_type=CUSTOMER_MANAGED_KEY`) in `key_configuration`"),
        Slot(
            "KeyConfiguration.KmsKeyArn",
            (_owned("no KmsKeyArn: Cognito AWS owned key"),),
            first=(
                _owned(
                    "KeyType not CUSTOMER_MANAGED_KEY: Cognito AWS owned key",
                    _not("KeyConfiguration.KeyType", "CUSTOMER_MANAGED_KEY"),
                ),
            ),
        ),
    ),
    *(
        _store(
            cfn_type,
            f"Comprehend {what}",
            None,
            _pass("`model_kms_key_id` and `volume_kms_key_id` of the Comprehend resource"),
            *(_owned_default(f"{prefix}{key}", "Amazon Comprehend") for key in keys),
        )
        for cfn_type, what, prefix, keys in (
            (
                # AWS::Comprehend::DocumentClassifier - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-comprehend-documentclassifier.html
                "AWS::Comprehend::DocumentClassifier",
                "document classifier",
                "",
                ("ModelKmsKeyId", "VolumeKmsKeyId", "OutputDataConfig.KmsKeyId"),
            ),
            (
                # AWS::Comprehend::EntityRecognizer - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-comprehend-entityrecognizer.html
                "AWS::Comprehend::EntityRecognizer",
                "entity recognizer",
                "",
                ("ModelKmsKeyId", "VolumeKmsKeyId"),
            ),
            (
                # AWS::Comprehend::Flywheel - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-comprehend-flywheel.html
                "AWS::Comprehend::Flywheel",
                "flywheel",
                "DataSecurityConfig.",
                ("ModelKmsKeyId", "VolumeKmsKeyId", "DataLakeKmsKeyId"),
            ),
        )
    ),
    # AWS::Config::DeliveryChannel - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-config-deliverychannel.html
    _store(
        "AWS::Config::DeliveryChannel",
        "AWS Config delivery channel (configuration history)",
        None,
        _pass("`s3_kms_key_arn` of `config.CfnDeliveryChannel`"),
        _s3_output("S3KmsKeyArn"),
    ),
    # Amazon Connect recordings, transcripts, reports and media streams.
    # AWS::Connect::InstanceStorageConfig - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-connect-instancestorageconfig.html
    _store(
        "AWS::Connect::InstanceStorageConfig",
        "Amazon Connect instance storage",
        "alias/aws/kinesisvideo",
        _pass("`key_id` in the storage config's `encryption_config`"),
        _s3_output("S3Config.EncryptionConfig.KeyId", only_if=(_is("StorageType", "S3"),)),
        _managed_default(
            "KinesisVideoStreamConfig.EncryptionConfig.KeyId",
            "aws/kinesisvideo",
            only_if=(_is("StorageType", "KINESIS_VIDEO_STREAM"),),
        ),
    ),
    # default: "The default encryption key, which is an AWS managed key, is used when no specific
    # type of encryption key is specified": https://docs.aws.amazon.com/customerprofiles/latest/APIReference/API_CreateDomain.html
    # AWS::CustomerProfiles::Domain - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-customerprofiles-domain.html
    _store(
        "AWS::CustomerProfiles::Domain",
        "Customer Profiles domain",
        None,
        _pass("`default_encryption_key` of `customerprofiles.CfnDomain`"),
        _key_only("DefaultEncryptionKey", _managed("no DefaultEncryptionKey: AWS managed key")),
    ),
    *(
        _store(
            cfn_type,
            f"Customer Profiles {what}",
            None,
            _pass("`encryption_key` of the object type"),
            _inherited_slot("EncryptionKey", "the Customer Profiles domain"),
        )
        for cfn_type, what in (
            # AWS::CustomerProfiles::ObjectType - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-customerprofiles-objecttype.html
            ("AWS::CustomerProfiles::ObjectType", "object type"),
            # AWS::CustomerProfiles::DomainObjectType - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-customerprofiles-domainobjecttype.html
            ("AWS::CustomerProfiles::DomainObjectType", "domain object type"),
        )
    ),
    # AWS::CustomerProfiles::Integration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-customerprofiles-integration.html
    _store(
        "AWS::CustomerProfiles::Integration",
        "Customer Profiles integration flow",
        None,
        _pass("`kms_arn` in `flow_definition`"),
        _required("FlowDefinition.KmsArn", only_if=(_present("FlowDefinition"),)),
    ),
    # default: CmkArn "If this parameter is not specified, the default KMS key for the account is
    # used" (that page); copies of encrypted snapshots stay encrypted (inherited).
    # AWS::DLM::LifecyclePolicy - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dlm-lifecyclepolicy.html
    _store(
        "AWS::DLM::LifecyclePolicy",
        "DLM cross-Region snapshot copies",
        "alias/aws/ebs",
        _pass("`cmk_arn` (with `encrypted=True`) of every cross-Region copy rule"),
        *(
            Slot(
                f"{rules}.{key}",
                (_managed("Encrypted true without CmkArn: the account's default EBS key"),),
                first=(
                    _plain(
                        "Encrypted not true: copy unencrypted, or encrypted like its source "
                        "snapshot (not visible here)",
                        _not(f"{rules}.{switch}", True),
                    ),
                ),
                only_if=(_present(f"{rules}.Target"),),
            )
            for rules, key, switch in (
                ("PolicyDetails.Schedules[].CrossRegionCopyRules[]", "CmkArn", "Encrypted"),
                (
                    "PolicyDetails.Actions[].CrossRegionCopy[]",
                    "EncryptionConfiguration.CmkArn",
                    "EncryptionConfiguration.Encrypted",
                ),
            )
        ),
    ),
    # AWS::DRS::ReplicationConfigurationTemplate - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-drs-replicationconfigurationtemplate.html
    _store(
        "AWS::DRS::ReplicationConfigurationTemplate",
        "Elastic Disaster Recovery staging volumes",
        "alias/aws/ebs",
        _pass('`ebs_encryption_key_arn` (with `ebs_encryption="CUSTOM"`)'),
        Slot(
            "EbsEncryptionKeyArn",
            (_managed("EbsEncryption DEFAULT: the account's default EBS key (aws/ebs)"),),
            first=(
                _plain(
                    "EbsEncryption NONE: replicated volumes unencrypted",
                    _is("EbsEncryption", "NONE"),
                ),
            ),
        ),
    ),
    # default: "AWS_OWNED_KMS_KEY" is accepted as the key and is the default:
    # https://docs.aws.amazon.com/aurora-dsql/latest/userguide/data-encryption.html
    # AWS::DSQL::Cluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dsql-cluster.html
    _store(
        "AWS::DSQL::Cluster",
        "Aurora DSQL cluster",
        None,
        _pass("`kms_encryption_key` of `dsql.CfnCluster`"),
        Slot(
            "KmsEncryptionKey",
            (_owned("no KmsEncryptionKey: Aurora DSQL AWS owned key"),),
            first=(
                _owned(
                    "KmsEncryptionKey AWS_OWNED_KMS_KEY (AWS owned key)",
                    _is("KmsEncryptionKey", "AWS_OWNED_KMS_KEY"),
                ),
            ),
        ),
    ),
    # AWS::DataBrew::Job - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-databrew-job.html
    _store(
        "AWS::DataBrew::Job",
        "DataBrew job output",
        "alias/aws/s3",
        _pass('`encryption_key_arn` (with `encryption_mode="SSE-KMS"`) of `databrew.CfnJob`'),
        Slot(
            "EncryptionKeyArn",
            (_managed("SSE-KMS without EncryptionKeyArn: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "EncryptionMode not SSE-KMS: outputs get SSE-S3 (AWS owned key)",
                    _not("EncryptionMode", "SSE-KMS"),
                ),
            ),
        ),
    ),
    # AWS::DataExchange::EventAction - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dataexchange-eventaction.html
    _store(
        "AWS::DataExchange::EventAction",
        "Data Exchange revision export",
        "alias/aws/s3",
        _pass('`kms_key_arn` (with `type="aws:kms"`) in the export encryption'),
        Slot(
            "Action.ExportRevisionToS3.Encryption.KmsKeyArn",
            (_managed("aws:kms without KmsKeyArn: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "Encryption Type not aws:kms: SSE-S3 or the bucket default (AWS owned key)",
                    _not("Action.ExportRevisionToS3.Encryption.Type", "aws:kms"),
                ),
            ),
            only_if=(_present("Action.ExportRevisionToS3"),),
        ),
    ),
    # Location credentials: a DataSync-managed secret unless CustomSecretConfig names your own
    # (that secret is checked as AWS::SecretsManager::Secret):
    # https://docs.aws.amazon.com/datasync/latest/userguide/location-credentials.html
    *(
        _store(
            cfn_type,
            f"DataSync {what} location credentials",
            "alias/aws/secretsmanager",
            _pass("`kms_key_arn` in `cmk_secret_config`"),
            _key_only(
                f"{prefix}CmkSecretConfig.KmsKeyArn",
                _managed(
                    "no CmkSecretConfig: DataSync-managed secret, AWS managed key aws/secretsmanager"
                ),
                only_if=(_present(credential), _absent(f"{prefix}CustomSecretConfig")),
            ),
        )
        for cfn_type, what, prefix, credential in (
            # AWS::DataSync::LocationAzureBlob - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-datasync-locationazureblob.html
            ("AWS::DataSync::LocationAzureBlob", "Azure Blob", "", "AzureBlobSasConfiguration"),
            (
                # AWS::DataSync::LocationFSxONTAP - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-datasync-locationfsxontap.html
                "AWS::DataSync::LocationFSxONTAP",
                "FSx for ONTAP SMB",
                "Protocol.SMB.",
                "Protocol.SMB.Password",
            ),
            # AWS::DataSync::LocationFSxWindows - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-datasync-locationfsxwindows.html
            ("AWS::DataSync::LocationFSxWindows", "FSx for Windows", "", "Password"),
            # AWS::DataSync::LocationHDFS - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-datasync-locationhdfs.html
            ("AWS::DataSync::LocationHDFS", "HDFS", "", "KerberosKeytab"),
            # AWS::DataSync::LocationObjectStorage - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-datasync-locationobjectstorage.html
            ("AWS::DataSync::LocationObjectStorage", "object storage", "", "SecretKey"),
            # AWS::DataSync::LocationSMB - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-datasync-locationsmb.html
            ("AWS::DataSync::LocationSMB", "SMB", "", "Password"),
        )
    ),
    # AWS::DataZone::Connection - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-datazone-connection.html
    _store(
        "AWS::DataZone::Connection",
        "DataZone connection (Glue connection credentials)",
        None,
        _pass("`kms_key_arn` in the Glue connection's authentication configuration"),
        _owned_default(
            "Props.GlueProperties.GlueConnectionInput.AuthenticationConfiguration.KmsKeyArn",
            "AWS Glue",
            only_if=(
                _present("Props.GlueProperties.GlueConnectionInput.AuthenticationConfiguration"),
            ),
        ),
    ),
    # default: "encrypted with an AWS owned key by default":
    # https://docs.aws.amazon.com/datazone/latest/userguide/encryption-rest-datazone.html
    # AWS::DataZone::Domain - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-datazone-domain.html
    _store(
        "AWS::DataZone::Domain",
        "DataZone domain",
        None,
        _pass("`kms_key_identifier` of `datazone.CfnDomain`"),
        _owned_default("KmsKeyIdentifier", "DataZone"),
    ),
    # AWS::Deadline::Farm - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-deadline-farm.html
    _store(
        "AWS::Deadline::Farm",
        "Deadline Cloud farm",
        None,
        _pass("`kms_key_arn` of `deadline.CfnFarm`"),
        _owned_default("KmsKeyArn", "Deadline Cloud"),
    ),
    *(
        _store(
            cfn_type,
            f"DevOps Agent {what}",
            None,
            _pass("`kms_key_arn` of the DevOps Agent resource"),
            _owned_default("KmsKeyArn", "DevOps Agent"),
        )
        for cfn_type, what in (
            # AWS::DevOpsAgent::AgentSpace - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-devopsagent-agentspace.html
            ("AWS::DevOpsAgent::AgentSpace", "agent space"),
            # AWS::DevOpsAgent::Service - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-devopsagent-service.html
            ("AWS::DevOpsAgent::Service", "service integration"),
        )
    ),
    # AWS::DocDBElastic::Cluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-docdbelastic-cluster.html
    _store(
        "AWS::DocDBElastic::Cluster",
        "DocumentDB elastic cluster",
        None,
        _pass("`kms_key_id` of `docdbelastic.CfnCluster`"),
        _owned_default("KmsKeyId", "DocumentDB elastic clusters"),
    ),
    # AWS::ECR::RepositoryCreationTemplate - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecr-repositorycreationtemplate.html
    _store(
        "AWS::ECR::RepositoryCreationTemplate",
        "ECR repository creation template (repositories it creates)",
        "alias/aws/ecr",
        _pass('`kms_key` (with `encryption_type="KMS"`) in `encryption_configuration`'),
        _ECR_AT_REST,
    ),
    # default: Fargate ephemeral storage is encrypted with an AWS owned key unless a key is set:
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-storage-encryption.html
    # AWS::ECS::Cluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-cluster.html
    _store(
        "AWS::ECS::Cluster",
        "ECS cluster Fargate ephemeral storage",
        None,
        _pass("`fargate_ephemeral_storage_kms_key_id` in `managed_storage_configuration`"),
        _owned_default(
            "Configuration.ManagedStorageConfiguration.FargateEphemeralStorageKmsKeyId", "Fargate"
        ),
    ),
    # default: ManagedEBSVolume Encrypted/KmsKeyId on that page (EBS default encryption applies).
    # AWS::ECS::Service - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html
    _store(
        "AWS::ECS::Service",
        "ECS service-managed EBS volumes",
        "alias/aws/ebs",
        _pass("`kms_key_id` (with `encrypted=True`) of the service's managed EBS volume"),
        Slot(
            "VolumeConfigurations[].ManagedEBSVolume.KmsKeyId",
            (
                _plain(
                    "Encrypted not true: volume unencrypted unless the account encrypts EBS by "
                    "default (not visible in the template)",
                    _not("VolumeConfigurations[].ManagedEBSVolume.Encrypted", True),
                ),
                _EBS_DEFAULT,
            ),
            only_if=(_present("VolumeConfigurations[].ManagedEBSVolume"),),
        ),
    ),
    # AWS::EMR::Cluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-emr-cluster.html
    _store(
        "AWS::EMR::Cluster",
        "EMR cluster logs",
        None,
        _pass("`log_encryption_kms_key_id` of `emr.CfnCluster`"),
        _s3_output("LogEncryptionKmsKeyId", only_if=(_present("LogUri"),)),
    ),
    # AWS::EMR::Step - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-emr-step.html
    _store(
        "AWS::EMR::Step",
        "EMR step logs",
        None,
        _pass("`encryption_key_arn` of `emr.CfnStep`"),
        _inherited_slot("EncryptionKeyArn", "the cluster's logging", only_if=(_present("LogUri"),)),
    ),
    # AWS::EMR::Studio - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-emr-studio.html
    _store(
        "AWS::EMR::Studio",
        "EMR Studio workspace backups",
        None,
        _pass("`encryption_key_arn` of `emr.CfnStudio`"),
        _s3_output("EncryptionKeyArn"),
    ),
    # AWS::EMRContainers::SecurityConfiguration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-emrcontainers-securityconfiguration.html
    _store(
        "AWS::EMRContainers::SecurityConfiguration",
        "EMR on EKS at-rest encryption",
        None,
        _pass("`aws_kms_key_id` / `kms_key_id` of the at-rest encryption configuration"),
        _required(
            "SecurityConfigurationData.EncryptionConfiguration.AtRestEncryptionConfiguration"
            ".LocalDiskEncryptionConfiguration.AwsKmsKeyId",
            only_if=(
                _present(
                    "SecurityConfigurationData.EncryptionConfiguration"
                    ".AtRestEncryptionConfiguration.LocalDiskEncryptionConfiguration"
                ),
            ),
        ),
        Slot(
            "SecurityConfigurationData.EncryptionConfiguration.AtRestEncryptionConfiguration"
            ".S3EncryptionConfiguration.KMSKeyId",
            (_managed("SSE-KMS without KMSKeyId: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "EncryptionOption SSE-S3 (AWS owned key)",
                    _is(
                        "SecurityConfigurationData.EncryptionConfiguration"
                        ".AtRestEncryptionConfiguration.S3EncryptionConfiguration"
                        ".EncryptionOption",
                        "SSE-S3",
                    ),
                ),
            ),
            only_if=(
                _present(
                    "SecurityConfigurationData.EncryptionConfiguration"
                    ".AtRestEncryptionConfiguration.S3EncryptionConfiguration"
                ),
            ),
        ),
    ),
    # AWS::EMRServerless::Application - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-emrserverless-application.html
    _store(
        "AWS::EMRServerless::Application",
        "EMR Serverless application logs",
        None,
        _pass("`encryption_key_arn` of each monitoring configuration"),
        _owned_default(
            "MonitoringConfiguration.CloudWatchLoggingConfiguration.EncryptionKeyArn",
            "CloudWatch Logs",
            only_if=(_is("MonitoringConfiguration.CloudWatchLoggingConfiguration.Enabled", True),),
        ),
        _owned_default(
            "MonitoringConfiguration.ManagedPersistenceMonitoringConfiguration.EncryptionKeyArn",
            "EMR Serverless",
            only_if=(
                _not(
                    "MonitoringConfiguration.ManagedPersistenceMonitoringConfiguration.Enabled",
                    False,
                ),
            ),
        ),
        _s3_output(
            "MonitoringConfiguration.S3MonitoringConfiguration.EncryptionKeyArn",
            only_if=(_present("MonitoringConfiguration.S3MonitoringConfiguration.LogUri"),),
        ),
    ),
    # AWS::EVS::Environment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-evs-environment.html
    _store(
        "AWS::EVS::Environment",
        "Elastic VMware Service environment",
        None,
        _pass("`kms_key_id` of `evs.CfnEnvironment`"),
        _owned_default("KmsKeyId", "Amazon EVS"),
    ),
    *(
        _store(
            cfn_type,
            what,
            None,
            _pass("`kms_key_id` of the snapshot"),
            _inherited_slot("KmsKeyId", "the source cache or cluster"),
        )
        for cfn_type, what in (
            # AWS::ElastiCache::ServerlessCacheSnapshot - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-serverlesscachesnapshot.html
            ("AWS::ElastiCache::ServerlessCacheSnapshot", "ElastiCache serverless cache snapshot"),
            # AWS::ElastiCache::Snapshot - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-snapshot.html
            ("AWS::ElastiCache::Snapshot", "ElastiCache snapshot"),
            # AWS::MemoryDB::Snapshot - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-memorydb-snapshot.html
            ("AWS::MemoryDB::Snapshot", "MemoryDB snapshot"),
        )
    ),
    *(
        _store(
            cfn_type,
            f"Entity Resolution {what} output",
            None,
            _pass("`kms_arn` of every output source configuration"),
            _s3_output(
                "OutputSourceConfig[].KMSArn",
                only_if=(_present("OutputSourceConfig[].OutputS3Path"),),
            ),
        )
        for cfn_type, what in (
            # AWS::EntityResolution::IdMappingWorkflow - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-entityresolution-idmappingworkflow.html
            ("AWS::EntityResolution::IdMappingWorkflow", "ID mapping workflow"),
            # AWS::EntityResolution::MatchingWorkflow - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-entityresolution-matchingworkflow.html
            ("AWS::EntityResolution::MatchingWorkflow", "matching workflow"),
        )
    ),
    # default: EventBridge encrypts events, archives and connection secrets with an AWS owned key
    # unless given a customer managed key: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-at-rest.html
    # AWS::Events::Archive - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-archive.html
    _store(
        "AWS::Events::Archive",
        "EventBridge archive",
        None,
        _pass("`kms_key_identifier` of `events.CfnArchive`"),
        _owned_default("KmsKeyIdentifier", "EventBridge"),
    ),
    # AWS::Events::Connection - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-connection.html
    _store(
        "AWS::Events::Connection",
        "EventBridge connection (authorization secret)",
        None,
        _pass("`kms_key_identifier` of `events.CfnConnection`"),
        _owned_default("KmsKeyIdentifier", "EventBridge"),
    ),
    # AWS::EventsV2::EventBus - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-eventsv2-eventbus.html
    _store(
        "AWS::EventsV2::EventBus",
        "EventBridge event bus",
        None,
        _pass("`kms_key_identifier` in `encryption_configuration`"),
        _owned_default("EncryptionConfiguration.KmsKeyIdentifier", "EventBridge"),
    ),
    # AWS::EventsV2::EventSource - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-eventsv2-eventsource.html
    _store(
        "AWS::EventsV2::EventSource",
        "EventBridge managed partner event bus",
        None,
        _pass("`partner_bus_kms_key_identifier` of the partner events configuration"),
        _owned_default(
            "Configuration.PartnerEventsConfiguration.PartnerBusKmsKeyIdentifier",
            "EventBridge",
            only_if=(_present("Configuration.PartnerEventsConfiguration"),),
        ),
    ),
    # AWS::FSx::FileCache - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-fsx-filecache.html
    _store(
        "AWS::FSx::FileCache",
        "FSx file cache",
        "alias/aws/fsx",
        _pass("`kms_key_id` of `fsx.CfnFileCache`"),
        _managed_default("KmsKeyId", "aws/fsx"),
    ),
    # AWS::FinSpace::Environment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-finspace-environment.html
    _store(
        "AWS::FinSpace::Environment",
        "FinSpace environment",
        None,
        _pass("`kms_key_id` of `finspace.CfnEnvironment`"),
        _owned_default("KmsKeyId", "FinSpace"),
    ),
    # AWS::Forecast::Dataset - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-forecast-dataset.html
    _store(
        "AWS::Forecast::Dataset",
        "Forecast dataset",
        None,
        _pass("`kms_key_arn` in `encryption_config`"),
        _owned_default("EncryptionConfig.KmsKeyArn", "Amazon Forecast"),
    ),
    # AWS::Glue::Catalog - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-catalog.html
    _store(
        "AWS::Glue::Catalog",
        "Glue catalog staging bucket",
        None,
        _pass("`kms_key` in `data_lake_access_properties`"),
        _s3_output(
            "CatalogProperties.DataLakeAccessProperties.KmsKey",
            only_if=(_present("CatalogProperties.DataLakeAccessProperties"),),
        ),
    ),
    # AWS::Glue::Connection - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-connection.html
    _store(
        "AWS::Glue::Connection",
        "Glue connection credentials",
        None,
        _pass("`kms_key_arn` in the authentication configuration"),
        _owned_default(
            "ConnectionInput.AuthenticationConfiguration.KmsKeyArn",
            "AWS Glue",
            only_if=(_present("ConnectionInput.AuthenticationConfiguration"),),
        ),
    ),
    # default: CatalogEncryptionMode DISABLED is the default; SSE-KMS without a key uses aws/glue:
    # https://docs.aws.amazon.com/glue/latest/dg/encrypt-glue-data-catalog.html
    # AWS::Glue::DataCatalogEncryptionSettings - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-datacatalogencryptionsettings.html
    _store(
        "AWS::Glue::DataCatalogEncryptionSettings",
        "Glue Data Catalog",
        "alias/aws/glue",
        _pass("`sse_aws_kms_key_id` (SSE-KMS) and the connection password `kms_key_id`"),
        Slot(
            "DataCatalogEncryptionSettings.EncryptionAtRest.SseAwsKmsKeyId",
            (_managed("SSE-KMS without SseAwsKmsKeyId: AWS managed key aws/glue"),),
            first=(
                _plain(
                    "CatalogEncryptionMode not SSE-KMS: Data Catalog not encrypted with a KMS key",
                    _not_in(
                        "DataCatalogEncryptionSettings.EncryptionAtRest.CatalogEncryptionMode",
                        ("SSE-KMS", "SSE-KMS-WITH-SERVICE-ROLE"),
                    ),
                ),
            ),
        ),
        _key_only(
            "DataCatalogEncryptionSettings.ConnectionPasswordEncryption.KmsKeyId",
            _plain("no KmsKeyId: connection passwords not encrypted with a KMS key"),
        ),
    ),
    # AWS::Glue::Integration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-integration.html
    _store(
        "AWS::Glue::Integration",
        "Glue zero-ETL integration",
        None,
        _pass("`kms_key_id` of `glue.CfnIntegration`"),
        _owned_default("KmsKeyId", "AWS Glue"),
    ),
    # AWS::Glue::IntegrationResourceProperty - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-integrationresourceproperty.html
    _store(
        "AWS::Glue::IntegrationResourceProperty",
        "Glue integration target processing",
        None,
        _pass("`kms_arn` in `target_processing_properties`"),
        _owned_default(
            "TargetProcessingProperties.KmsArn",
            "AWS Glue",
            only_if=(_present("TargetProcessingProperties"),),
        ),
    ),
    # AWS::Glue::MLTransform - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-mltransform.html
    _store(
        "AWS::Glue::MLTransform",
        "Glue ML transform user data",
        None,
        _pass('`kms_key_id` (with `ml_user_data_encryption_mode="SSE-KMS"`)'),
        Slot(
            "TransformEncryption.MLUserDataEncryption.KmsKeyId",
            (_plain("SSE-KMS without KmsKeyId: not encrypted with a KMS key"),),
            first=(
                _plain(
                    "MLUserDataEncryptionMode not SSE-KMS: user data not encrypted with a KMS key",
                    _not(
                        "TransformEncryption.MLUserDataEncryption.MLUserDataEncryptionMode",
                        "SSE-KMS",
                    ),
                ),
            ),
        ),
    ),
    # default: modes DISABLED / SSE-S3 / SSE-KMS / CSE-KMS:
    # https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html
    # AWS::Glue::SecurityConfiguration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-securityconfiguration.html
    _store(
        "AWS::Glue::SecurityConfiguration",
        "Glue security configuration (job S3 data, logs, bookmarks)",
        None,
        _pass("`kms_key_arn` of every encryption of the security configuration"),
        Slot(
            "EncryptionConfiguration.S3Encryptions[].KmsKeyArn",
            (_plain("SSE-KMS without KmsKeyArn: not encrypted with a KMS key"),),
            first=(
                _owned(
                    "S3EncryptionMode not SSE-KMS: SSE-S3 or the bucket default (AWS owned key)",
                    _not("EncryptionConfiguration.S3Encryptions[].S3EncryptionMode", "SSE-KMS"),
                ),
            ),
        ),
        *(
            Slot(
                f"EncryptionConfiguration.{part}.KmsKeyArn",
                (_plain(f"{mode} without KmsKeyArn: not encrypted with a KMS key"),),
                first=(
                    _plain(
                        f"{part}Mode not {mode}: not encrypted with a KMS key",
                        _not(f"EncryptionConfiguration.{part}.{part}Mode", mode),
                    ),
                ),
            )
            for part, mode in (
                ("CloudWatchEncryption", "SSE-KMS"),
                ("JobBookmarksEncryption", "CSE-KMS"),
            )
        ),
    ),
    # StreamsKmsKey is one of a key ARN, an alias ARN or an alias name.
    # AWS::GroundStation::MissionProfile - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-groundstation-missionprofile.html
    _store(
        "AWS::GroundStation::MissionProfile",
        "Ground Station data delivery streams",
        None,
        _pass("`kms_key_arn` in `streams_kms_key`"),
        _owned_default(
            "StreamsKmsKey.KmsKeyArn",
            "Ground Station",
            only_if=(_absent("StreamsKmsKey.KmsAliasArn"), _absent("StreamsKmsKey.KmsAliasName")),
        ),
        _owned_default(
            "StreamsKmsKey.KmsAliasArn",
            "Ground Station",
            only_if=(_present("StreamsKmsKey.KmsAliasArn"),),
        ),
        _owned_default(
            "StreamsKmsKey.KmsAliasName",
            "Ground Station",
            only_if=(_present("StreamsKmsKey.KmsAliasName"),),
        ),
    ),
    # AWS::GuardDuty::PublishingDestination - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-guardduty-publishingdestination.html
    _store(
        "AWS::GuardDuty::PublishingDestination",
        "GuardDuty findings export",
        None,
        _pass("`kms_key_arn` in `destination_properties`"),
        _required("DestinationProperties.KmsKeyArn"),
    ),
    # AWS::HealthImaging::Datastore - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-healthimaging-datastore.html
    _store(
        "AWS::HealthImaging::Datastore",
        "HealthImaging data store",
        None,
        _pass("`kms_key_arn` of `healthimaging.CfnDatastore`"),
        _owned_default("KmsKeyArn", "HealthImaging"),
    ),
    # AWS::HealthLake::DataTransformationProfile - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-healthlake-datatransformationprofile.html
    _store(
        "AWS::HealthLake::DataTransformationProfile",
        "HealthLake data transformation profile",
        None,
        _pass("`kms_key_id` of the profile"),
        _owned_default("KmsKeyId", "HealthLake"),
    ),
    # AWS::HealthLake::FHIRDatastore - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-healthlake-fhirdatastore.html
    _store(
        "AWS::HealthLake::FHIRDatastore",
        "HealthLake FHIR data store",
        None,
        _pass('`kms_key_id` (with `cmk_type="CUSTOMER_MANAGED_KMS_KEY"`) in `sse_configuration`'),
        Slot(
            "SseConfiguration.KmsEncryptionConfig.KmsKeyId",
            (_owned("no KmsKeyId: HealthLake AWS owned key"),),
            first=(
                _owned(
                    "CmkType not CUSTOMER_MANAGED_KMS_KEY: HealthLake AWS owned key",
                    _not(
                        "SseConfiguration.KmsEncryptionConfig.CmkType", "CUSTOMER_MANAGED_KMS_KEY"
                    ),
                ),
            ),
        ),
    ),
    # AWS::ImageBuilder::ContainerRecipe - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-imagebuilder-containerrecipe.html
    _store(
        "AWS::ImageBuilder::ContainerRecipe",
        "Image Builder container image and build volumes",
        "alias/aws/ebs",
        _pass("`kms_key_id` of the recipe and of its block device mappings"),
        _owned_default("KmsKeyId", "Image Builder"),
        _block_devices("InstanceConfiguration.BlockDeviceMappings", absent=None),
    ),
    # AWS::ImageBuilder::ImageRecipe - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-imagebuilder-imagerecipe.html
    _store(
        "AWS::ImageBuilder::ImageRecipe",
        "Image Builder image volumes",
        "alias/aws/ebs",
        _pass("`kms_key_id` (with `encrypted=True`) of the recipe's block device mappings"),
        _block_devices(
            "BlockDeviceMappings",
            absent="no BlockDeviceMappings: volumes keep the parent image's encryption (not "
            "visible in the template)",
        ),
    ),
    # AWS::ImageBuilder::DistributionConfiguration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-imagebuilder-distributionconfiguration.html
    _store(
        "AWS::ImageBuilder::DistributionConfiguration",
        "Image Builder distributed AMIs",
        None,
        _pass("`kms_key_id` in every `ami_distribution_configuration`"),
        _inherited_slot(
            "Distributions[].AmiDistributionConfiguration.KmsKeyId",
            "the built image",
            only_if=(_present("Distributions[].AmiDistributionConfiguration"),),
        ),
    ),
    # AWS::IoT::EncryptionConfiguration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iot-encryptionconfiguration.html
    _store(
        "AWS::IoT::EncryptionConfiguration",
        "AWS IoT Core data",
        None,
        _pass('`kms_key_arn` (with `encryption_type="CUSTOMER_MANAGED_KMS_KEY"`)'),
        Slot(
            "KmsKeyArn",
            (_owned("no KmsKeyArn: AWS IoT AWS owned key"),),
            first=(
                _owned(
                    "EncryptionType not CUSTOMER_MANAGED_KMS_KEY: AWS IoT AWS owned key",
                    _not("EncryptionType", "CUSTOMER_MANAGED_KMS_KEY"),
                ),
            ),
        ),
    ),
    # AWS::IoTSiteWise::Workspace - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iotsitewise-workspace.html
    _store(
        "AWS::IoTSiteWise::Workspace",
        "IoT SiteWise workspace",
        None,
        _pass('`kms_key_id` (with `encryption_type="KMS_BASED_ENCRYPTION"`)'),
        Slot(
            "KmsKeyId",
            (_owned("no KmsKeyId: SiteWise default encryption"),),
            first=(
                _owned(
                    "EncryptionType not KMS_BASED_ENCRYPTION: SiteWise default (AWS owned key)",
                    _not("EncryptionConfiguration.EncryptionType", "KMS_BASED_ENCRYPTION"),
                ),
            ),
        ),
    ),
    # AWS::Kinesis::Channel - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kinesis-channel.html
    _store(
        "AWS::Kinesis::Channel",
        "Kinesis channel",
        None,
        _pass("`key_id` in `encryption_configuration`"),
        _key_only(
            "EncryptionConfiguration.KeyId",
            _plain("no EncryptionConfiguration: channel data not encrypted with a KMS key"),
        ),
    ),
    # AWS::KinesisAnalyticsV2::Application - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kinesisanalyticsv2-application.html
    _store(
        "AWS::KinesisAnalyticsV2::Application",
        "Managed Service for Apache Flink application",
        None,
        _pass('`key_id` (with `key_type="CUSTOMER_MANAGED_KEY"`)'),
        Slot(
            "ApplicationConfiguration.ApplicationEncryptionConfiguration.KeyId",
            (_owned("no KeyId: AWS owned key"),),
            first=(
                _owned(
                    "KeyType not CUSTOMER_MANAGED_KEY: AWS owned key",
                    _not(
                        "ApplicationConfiguration.ApplicationEncryptionConfiguration.KeyType",
                        "CUSTOMER_MANAGED_KEY",
                    ),
                ),
            ),
        ),
    ),
    # AWS::Lambda::CapacityProvider - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-capacityprovider.html
    _store(
        "AWS::Lambda::CapacityProvider",
        "Lambda capacity provider",
        None,
        _pass("`kms_key_arn` of `lambda_.CfnCapacityProvider`"),
        _owned_default("KmsKeyArn", "Lambda"),
    ),
    # AWS::Lambda::WebFunctionRevision - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-webfunctionrevision.html
    _store(
        "AWS::Lambda::WebFunctionRevision",
        "Lambda web function revision",
        "alias/aws/lambda",
        _pass("`kms_key_arn` of the revision"),
        _managed_default("KmsKeyArn", "aws/lambda"),
    ),
    *(
        _store(
            cfn_type,
            "Lex conversation audio logs",
            None,
            _pass("`kms_key_arn` of every audio log S3 destination"),
            _s3_output(
                f"{settings}.AudioLogSettings[].Destination.S3Bucket.KmsKeyArn",
                only_if=(_present(f"{settings}.AudioLogSettings[].Destination.S3Bucket"),),
            ),
        )
        for cfn_type, settings in (
            # AWS::Lex::Bot - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lex-bot.html
            ("AWS::Lex::Bot", "TestBotAliasSettings.ConversationLogSettings"),
            # AWS::Lex::BotAlias - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lex-botalias.html
            ("AWS::Lex::BotAlias", "ConversationLogSettings"),
        )
    ),
    *(
        _store(
            cfn_type,
            f"Location Service {what}",
            None,
            _pass("`kms_key_id` of the Location resource"),
            _owned_default("KmsKeyId", "Amazon Location Service"),
        )
        for cfn_type, what in (
            # AWS::Location::GeofenceCollection - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-location-geofencecollection.html
            ("AWS::Location::GeofenceCollection", "geofence collection"),
            # AWS::Location::Tracker - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-location-tracker.html
            ("AWS::Location::Tracker", "tracker"),
        )
    ),
    # AWS::Logs::Integration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-integration.html
    _store(
        "AWS::Logs::Integration",
        "CloudWatch Logs OpenSearch integration",
        None,
        _pass("`kms_key_arn` of the OpenSearch resource configuration"),
        _owned_default(
            "ResourceConfig.OpenSearchResourceConfig.KmsKeyArn",
            "OpenSearch Service",
            only_if=(_present("ResourceConfig.OpenSearchResourceConfig"),),
        ),
    ),
    # AWS::Logs::LogAnomalyDetector - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loganomalydetector.html
    _store(
        "AWS::Logs::LogAnomalyDetector",
        "CloudWatch Logs anomaly detector",
        None,
        _pass("`kms_key_id` of `logs.CfnLogAnomalyDetector`"),
        _owned_default("KmsKeyId", "CloudWatch Logs"),
    ),
    # AWS::LookoutEquipment::InferenceScheduler - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lookoutequipment-inferencescheduler.html
    _store(
        "AWS::LookoutEquipment::InferenceScheduler",
        "Lookout for Equipment inference scheduler",
        None,
        _pass("`server_side_kms_key_id` and the output `kms_key_id`"),
        _owned_default("ServerSideKmsKeyId", "Lookout for Equipment"),
        _s3_output("DataOutputConfiguration.KmsKeyId"),
    ),
    *(
        _store(
            cfn_type,
            f"Mainframe Modernization {what}",
            None,
            _pass("`kms_key_id` of the M2 resource"),
            _owned_default("KmsKeyId", "Mainframe Modernization"),
        )
        for cfn_type, what in (
            # AWS::M2::Application - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-m2-application.html
            ("AWS::M2::Application", "application"),
            # AWS::M2::Environment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-m2-environment.html
            ("AWS::M2::Environment", "environment"),
        )
    ),
    # AWS::MGN::LaunchConfigurationTemplate - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-mgn-launchconfigurationtemplate.html
    _store(
        "AWS::MGN::LaunchConfigurationTemplate",
        "Application Migration Service post-launch parameters",
        "alias/aws/ssm",
        _pass("`parameters_encryption_key` (with `enable_parameters_encryption=True`)"),
        _managed_default(
            "ParametersEncryptionKey", "aws/ssm", only_if=(_is("EnableParametersEncryption", True),)
        ),
    ),
    # AWS::MSK::Channel - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-msk-channel.html
    _store(
        "AWS::MSK::Channel",
        "MSK channel",
        None,
        _pass("`kms_key_arn` in `encryption_configuration`"),
        _owned_default("EncryptionConfiguration.KmsKeyArn", "Amazon MSK"),
    ),
    # default: "By default, Amazon MWAA uses an AWS owned key":
    # https://docs.aws.amazon.com/mwaa/latest/userguide/encryption-at-rest.html
    # AWS::MWAA::Environment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-mwaa-environment.html
    _store(
        "AWS::MWAA::Environment",
        "MWAA environment",
        None,
        _pass("`kms_key` of `mwaa.CfnEnvironment`"),
        _owned_default("KmsKey", "Amazon MWAA"),
    ),
    # AWS::MWAAServerless::Workflow - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-mwaaserverless-workflow.html
    _store(
        "AWS::MWAAServerless::Workflow",
        "MWAA Serverless workflow",
        None,
        _pass('`kms_key_id` (with `type="CUSTOMER_MANAGED_KEY"`)'),
        Slot(
            "EncryptionConfiguration.KmsKeyId",
            (_managed("no KmsKeyId: AWS managed key"),),
            first=(
                _managed(
                    "Type AWS_MANAGED_KEY (AWS managed key)",
                    _is("EncryptionConfiguration.Type", "AWS_MANAGED_KEY"),
                ),
            ),
        ),
    ),
    # default: "If not specified, the graph is encrypted with an AWS managed key" (that page).
    # AWS::NeptuneGraph::Graph - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-neptunegraph-graph.html
    _store(
        "AWS::NeptuneGraph::Graph",
        "Neptune Analytics graph",
        None,
        _pass("`kms_key_identifier` of `neptunegraph.CfnGraph`"),
        _key_only("KmsKeyIdentifier", _managed("no KmsKeyIdentifier: AWS managed key")),
        _s3_output(
            "ImportTask.ImportOptions.Neptune.S3ExportKmsKeyId",
            only_if=(_present("ImportTask.ImportOptions.Neptune"),),
        ),
    ),
    # AWS::OSIS::Pipeline - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-osis-pipeline.html
    _store(
        "AWS::OSIS::Pipeline",
        "OpenSearch Ingestion pipeline buffer",
        None,
        _pass("`kms_key_arn` in `encryption_at_rest_options`"),
        _owned_default("EncryptionAtRestOptions.KmsKeyArn", "OpenSearch Ingestion"),
    ),
    # AWS::ObservabilityAdmin::OrganizationCentralizationRule - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-observabilityadmin-organizationcentralizationrule.html
    _store(
        "AWS::ObservabilityAdmin::OrganizationCentralizationRule",
        "centralized CloudWatch Logs copies",
        None,
        _pass("`kms_key_arn` of the destination logs encryption and backup configuration"),
        Slot(
            "Rule.Destination.DestinationLogsConfiguration.LogsEncryptionConfiguration.KmsKeyArn",
            (_owned("no KmsKeyArn: CloudWatch Logs AWS owned key"),),
            first=(
                _owned(
                    "EncryptionStrategy not CUSTOMER_MANAGED: CloudWatch Logs AWS owned key",
                    _not(
                        "Rule.Destination.DestinationLogsConfiguration.LogsEncryptionConfiguration.EncryptionStrategy",
                        "CUSTOMER_MANAGED",
                    ),
                ),
            ),
            only_if=(_present("Rule.Destination.DestinationLogsConfiguration"),),
        ),
        _owned_default(
            "Rule.Destination.DestinationLogsConfiguration.BackupConfiguration.KmsKeyArn",
            "CloudWatch Logs",
            only_if=(
                _present("Rule.Destination.DestinationLogsConfiguration.BackupConfiguration"),
            ),
        ),
    ),
    *(
        _store(
            cfn_type,
            f"CloudWatch {what} destination log groups",
            None,
            _pass("`kms_key_arn` in the rule's destination configuration"),
            _owned_default(
                "Rule.DestinationConfiguration.KmsKeyArn",
                "CloudWatch Logs",
                only_if=(_present("Rule.DestinationConfiguration"),),
            ),
        )
        for cfn_type, what in (
            # AWS::ObservabilityAdmin::OrganizationTelemetryRule - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-observabilityadmin-organizationtelemetryrule.html
            ("AWS::ObservabilityAdmin::OrganizationTelemetryRule", "organization telemetry rule"),
            # AWS::ObservabilityAdmin::TelemetryRule - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-observabilityadmin-telemetryrule.html
            ("AWS::ObservabilityAdmin::TelemetryRule", "telemetry rule"),
        )
    ),
    # AWS::ObservabilityAdmin::S3TableIntegration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-observabilityadmin-s3tableintegration.html
    _store(
        "AWS::ObservabilityAdmin::S3TableIntegration",
        "CloudWatch S3 Tables integration",
        None,
        _pass('`kms_key_arn` (with `sse_algorithm="aws:kms"`) in `encryption`'),
        Slot(
            "Encryption.KmsKeyArn",
            (_managed("aws:kms without KmsKeyArn: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "SseAlgorithm not aws:kms: SSE-S3 (AWS owned key)",
                    _not("Encryption.SseAlgorithm", "aws:kms"),
                ),
            ),
        ),
    ),
    *(
        _store(
            cfn_type,
            f"HealthOmics {what}",
            None,
            _pass("`key_arn` in `sse_config`"),
            _owned_default("SseConfig.KeyArn", "HealthOmics"),
        )
        for cfn_type, what in (
            # AWS::Omics::AnnotationStore - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-annotationstore.html
            ("AWS::Omics::AnnotationStore", "annotation store"),
            # AWS::Omics::ReferenceStore - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-referencestore.html
            ("AWS::Omics::ReferenceStore", "reference store"),
            # AWS::Omics::SequenceStore - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-sequencestore.html
            ("AWS::Omics::SequenceStore", "sequence store"),
            # AWS::Omics::VariantStore - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-variantstore.html
            ("AWS::Omics::VariantStore", "variant store"),
        )
    ),
    # default: "AWSOwnedKey" or a key; the collection's key may also come from an encryption
    # SecurityPolicy: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html
    # AWS::OpenSearchServerless::Collection - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-opensearchserverless-collection.html
    _store(
        "AWS::OpenSearchServerless::Collection",
        "OpenSearch Serverless collection",
        None,
        _pass("`kms_key_arn` in `encryption_config` (or an encryption security policy)"),
        Slot(
            "EncryptionConfig.KmsKeyArn",
            (_owned("no EncryptionConfig: an encryption policy's key, or an AWS owned key"),),
            first=(
                _owned(
                    "AWSOwnedKey true (AWS owned key)", _is("EncryptionConfig.AWSOwnedKey", True)
                ),
            ),
        ),
    ),
    # AWS::OpenSearchService::Application - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-opensearchservice-application.html
    _store(
        "AWS::OpenSearchService::Application",
        "OpenSearch UI application",
        None,
        _pass("`kms_key_arn` of `opensearchservice.CfnApplication`"),
        _owned_default("KmsKeyArn", "OpenSearch Service"),
    ),
    # AWS::Personalize::DatasetGroup - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-personalize-datasetgroup.html
    _store(
        "AWS::Personalize::DatasetGroup",
        "Personalize dataset group",
        None,
        _pass("`kms_key_arn` of `personalize.CfnDatasetGroup`"),
        _owned_default("KmsKeyArn", "Amazon Personalize"),
    ),
    # AWS::Personalize::MetricAttribution - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-personalize-metricattribution.html
    _store(
        "AWS::Personalize::MetricAttribution",
        "Personalize metric attribution export",
        None,
        _pass("`kms_key_arn` of the S3 data destination"),
        _s3_output(
            "MetricsOutputConfig.S3DataDestination.KmsKeyArn",
            only_if=(_present("MetricsOutputConfig.S3DataDestination"),),
        ),
    ),
    # AWS::QBusiness::Application - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-qbusiness-application.html
    _store(
        "AWS::QBusiness::Application",
        "Amazon Q Business application",
        None,
        _pass("`kms_key_id` in `encryption_configuration`"),
        _owned_default("EncryptionConfiguration.KmsKeyId", "Amazon Q Business"),
    ),
    # default: "AWS_OWNED_KMS_KEY" (the default) or a customer managed key:
    # https://docs.aws.amazon.com/qldb/latest/developerguide/encryption-at-rest.html
    # AWS::QLDB::Ledger - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-qldb-ledger.html
    _store(
        "AWS::QLDB::Ledger",
        "QLDB ledger",
        None,
        _pass("`kms_key` of `qldb.CfnLedger`"),
        Slot(
            "KmsKey",
            (_owned("no KmsKey: QLDB AWS owned key"),),
            first=(
                _owned(
                    "KmsKey AWS_OWNED_KMS_KEY (AWS owned key)", _is("KmsKey", "AWS_OWNED_KMS_KEY")
                ),
            ),
        ),
    ),
    # AWS::RDS::CustomDBEngineVersion - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-customdbengineversion.html
    _store(
        "AWS::RDS::CustomDBEngineVersion",
        "RDS custom engine version media",
        "alias/aws/rds",
        _pass("`kms_key_id` of `rds.CfnCustomDBEngineVersion`"),
        _managed_default("KMSKeyId", "aws/rds"),
    ),
    *(
        _store(
            cfn_type,
            what,
            None,
            _pass("`kms_key_id` of the integration"),
            _owned_default("KMSKeyId", "zero-ETL integration"),
        )
        for cfn_type, what in (
            # AWS::RDS::Integration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-integration.html
            ("AWS::RDS::Integration", "RDS zero-ETL integration"),
            # AWS::Redshift::Integration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-redshift-integration.html
            ("AWS::Redshift::Integration", "Redshift zero-ETL integration"),
        )
    ),
    # AWS::Rekognition::StreamProcessor - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rekognition-streamprocessor.html
    _store(
        "AWS::Rekognition::StreamProcessor",
        "Rekognition stream processor results",
        None,
        _pass("`kms_key_id` of `rekognition.CfnStreamProcessor`"),
        _s3_output("KmsKeyId"),
    ),
    *(
        _store(
            cfn_type,
            f"Resilience Hub {what}",
            None,
            _pass("`kms_key_id` of the Resilience Hub resource"),
            _owned_default("KmsKeyId", "Resilience Hub"),
        )
        for cfn_type, what in (
            # AWS::ResilienceHubV2::Policy - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-resiliencehubv2-policy.html
            ("AWS::ResilienceHubV2::Policy", "policy"),
            # AWS::ResilienceHubV2::Service - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-resiliencehubv2-service.html
            ("AWS::ResilienceHubV2::Service", "service"),
            # AWS::ResilienceHubV2::System - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-resiliencehubv2-system.html
            ("AWS::ResilienceHubV2::System", "system"),
        )
    ),
    # AWS::S3::StorageLens - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-storagelens.html
    _store(
        "AWS::S3::StorageLens",
        "S3 Storage Lens metrics export",
        None,
        _pass("`key_id` in `sse_kms` of every data export destination"),
        *(
            Slot(
                f"StorageLensConfiguration.{export}.{destination}.Encryption.SSEKMS.KeyId",
                (_owned("no SSEKMS: SSE-S3 (AWS owned key)"),),
                first=(
                    _owned(
                        "no SSEKMS: SSE-S3 (AWS owned key)",
                        _absent(
                            f"StorageLensConfiguration.{export}.{destination}.Encryption.SSEKMS"
                        ),
                    ),
                ),
                only_if=(_present(f"StorageLensConfiguration.{export}.{destination}"),),
            )
            for export in ("DataExport", "ExpandedPrefixesDataExport")
            for destination in ("S3BucketDestination", "StorageLensTableDestination")
        ),
    ),
    # AWS::S3Files::FileSystem - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3files-filesystem.html
    _store(
        "AWS::S3Files::FileSystem",
        "S3 Files file system",
        None,
        _pass("`kms_key_id` of the file system"),
        _owned_default("KmsKeyId", "S3 Files"),
    ),
    # default: SSE-S3 (AES256) unless aws:kms: https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-tables-encryption.html
    # AWS::S3Tables::TableBucket - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3tables-tablebucket.html
    _store(
        "AWS::S3Tables::TableBucket",
        "S3 table bucket",
        None,
        _pass('`kms_key_arn` (with `sse_algorithm="aws:kms"`) in `encryption_configuration`'),
        Slot(
            "EncryptionConfiguration.KMSKeyArn",
            (_managed("aws:kms without KMSKeyArn: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "SSEAlgorithm not aws:kms: SSE-S3 (AWS owned key)",
                    _not("EncryptionConfiguration.SSEAlgorithm", "aws:kms"),
                ),
            ),
        ),
    ),
    # AWS::S3Vectors::VectorBucket - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3vectors-vectorbucket.html
    _store(
        "AWS::S3Vectors::VectorBucket",
        "S3 vector bucket",
        None,
        _pass('`kms_key_arn` (with `sse_type="aws:kms"`) in `encryption_configuration`'),
        Slot(
            "EncryptionConfiguration.KmsKeyArn",
            (_managed("aws:kms without KmsKeyArn: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "SseType not aws:kms: SSE-S3 (AWS owned key)",
                    _not("EncryptionConfiguration.SseType", "aws:kms"),
                ),
            ),
        ),
    ),
    # default: "Defaults to the parent vector bucket's encryption settings when unspecified".
    # AWS::S3Vectors::Index - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3vectors-index.html
    _store(
        "AWS::S3Vectors::Index",
        "S3 vector index",
        None,
        _pass('`kms_key_arn` (with `sse_type="aws:kms"`) in `encryption_configuration`'),
        Slot(
            "EncryptionConfiguration.KmsKeyArn",
            (
                _owned(
                    "no EncryptionConfiguration: inherits the vector bucket's encryption (not visible here)"
                ),
            ),
            first=(
                _owned(
                    "SseType AES256: SSE-S3 (AWS owned key)",
                    _is("EncryptionConfiguration.SseType", "AES256"),
                ),
            ),
        ),
    ),
    # AWS::SES::MailManagerArchive - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ses-mailmanagerarchive.html
    _store(
        "AWS::SES::MailManagerArchive",
        "SES Mail Manager archive",
        None,
        _pass("`kms_key_arn` of `ses.CfnMailManagerArchive`"),
        _owned_default("KmsKeyArn", "SES Mail Manager"),
    ),
    # AWS::SES::MailManagerRuleSet - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ses-mailmanagerruleset.html
    _store(
        "AWS::SES::MailManagerRuleSet",
        "SES Mail Manager messages written to S3",
        None,
        _pass("`s3_sse_kms_key_id` of every WriteToS3 action"),
        _s3_output(
            "Rules[].Actions[].WriteToS3.S3SseKmsKeyId",
            only_if=(_present("Rules[].Actions[].WriteToS3"),),
        ),
    ),
    # default: SES does not encrypt the mail it writes unless KmsKeyArn is given:
    # https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-s3.html
    # AWS::SES::ReceiptRule - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ses-receiptrule.html
    _store(
        "AWS::SES::ReceiptRule",
        "SES received mail written to S3",
        None,
        _pass("`kms_key_arn` of every S3 action"),
        _s3_output(
            "Rule.Actions[].S3Action.KmsKeyArn", only_if=(_present("Rule.Actions[].S3Action"),)
        ),
    ),
    # AWS::SSM::ResourceDataSync - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-resourcedatasync.html
    _store(
        "AWS::SSM::ResourceDataSync",
        "Systems Manager resource data sync (inventory)",
        None,
        _pass("`kms_key_arn` of the S3 destination"),
        _s3_output("KMSKeyArn", only_if=(_present("BucketName"),)),
        _s3_output("S3Destination.KMSKeyArn", only_if=(_present("S3Destination"),)),
    ),
    # AWS::SSMGuiConnect::Preferences - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssmguiconnect-preferences.html
    _store(
        "AWS::SSMGuiConnect::Preferences",
        "Fleet Manager RDP connection recordings",
        None,
        _pass("`kms_key_arn` in `connection_recording_preferences`"),
        _required(
            "ConnectionRecordingPreferences.KMSKeyArn",
            only_if=(_present("ConnectionRecordingPreferences"),),
        ),
    ),
    # AWS::SSMIncidents::ReplicationSet - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssmincidents-replicationset.html
    _store(
        "AWS::SSMIncidents::ReplicationSet",
        "Incident Manager replication set",
        None,
        _pass("`sse_kms_key_id` of every Region"),
        _owned_default("Regions[].RegionConfiguration.SseKmsKeyId", "Incident Manager"),
    ),
    # default: S3 outputs "If you don't provide a KMS key ID, SageMaker uses the default KMS key
    # for Amazon S3 for your role's account": https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MonitoringOutputConfig.html
    *(
        _store(
            cfn_type,
            f"SageMaker {what}",
            "alias/aws/s3",
            _pass("`kms_key_id` of the output and `volume_kms_key_id` of the cluster"),
            _managed_default(f"{output}.KmsKeyId", "aws/s3"),
            _owned_default(f"{resources}.ClusterConfig.VolumeKmsKeyId", "SageMaker"),
        )
        for cfn_type, what, output, resources in (
            (
                # AWS::SageMaker::DataQualityJobDefinition - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-dataqualityjobdefinition.html
                "AWS::SageMaker::DataQualityJobDefinition",
                "data quality job",
                "DataQualityJobOutputConfig",
                "JobResources",
            ),
            (
                # AWS::SageMaker::ModelBiasJobDefinition - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-modelbiasjobdefinition.html
                "AWS::SageMaker::ModelBiasJobDefinition",
                "model bias job",
                "ModelBiasJobOutputConfig",
                "JobResources",
            ),
            (
                # AWS::SageMaker::ModelExplainabilityJobDefinition - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-modelexplainabilityjobdefinition.html
                "AWS::SageMaker::ModelExplainabilityJobDefinition",
                "model explainability job",
                "ModelExplainabilityJobOutputConfig",
                "JobResources",
            ),
            (
                # AWS::SageMaker::ModelQualityJobDefinition - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-modelqualityjobdefinition.html
                "AWS::SageMaker::ModelQualityJobDefinition",
                "model quality job",
                "ModelQualityJobOutputConfig",
                "JobResources",
            ),
            (
                # AWS::SageMaker::MonitoringSchedule - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-monitoringschedule.html
                "AWS::SageMaker::MonitoringSchedule",
                "monitoring schedule",
                "MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringOutputConfig",
                "MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringResources",
            ),
        )
    ),
    # AWS::SageMaker::Cluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-cluster.html
    _store(
        "AWS::SageMaker::Cluster",
        "SageMaker HyperPod cluster volumes",
        None,
        _pass("`volume_kms_key_id` of every instance group's EBS volume"),
        *(
            _owned_default(
                f"{groups}[].InstanceStorageConfigs[].EbsVolumeConfig.VolumeKmsKeyId",
                "SageMaker",
                only_if=(_present(f"{groups}[].InstanceStorageConfigs[].EbsVolumeConfig"),),
            )
            for groups in ("InstanceGroups", "RestrictedInstanceGroups")
        ),
    ),
    # AWS::SageMaker::DeviceFleet - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-devicefleet.html
    _store(
        "AWS::SageMaker::DeviceFleet",
        "SageMaker Edge device fleet data",
        "alias/aws/s3",
        _pass("`kms_key_id` in `output_config`"),
        _managed_default("OutputConfig.KmsKeyId", "aws/s3"),
    ),
    # AWS::SageMaker::EndpointConfig - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-endpointconfig.html
    _store(
        "AWS::SageMaker::EndpointConfig",
        "SageMaker endpoint (volumes, captured data, async output, core dumps)",
        "alias/aws/s3",
        _pass(
            "`kms_key_id` of the endpoint config and of its capture, async and core dump outputs"
        ),
        _owned_default("KmsKeyId", "SageMaker"),
        _managed_default(
            "DataCaptureConfig.KmsKeyId", "aws/s3", only_if=(_present("DataCaptureConfig"),)
        ),
        _managed_default(
            "AsyncInferenceConfig.OutputConfig.KmsKeyId",
            "aws/s3",
            only_if=(_present("AsyncInferenceConfig.OutputConfig"),),
        ),
        *(
            _managed_default(
                f"{variants}[].CoreDumpConfig.KmsKeyId",
                "aws/s3",
                only_if=(_present(f"{variants}[].CoreDumpConfig"),),
            )
            for variants in ("ProductionVariants", "ShadowProductionVariants")
        ),
    ),
    # AWS::SageMaker::FeatureGroup - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-featuregroup.html
    _store(
        "AWS::SageMaker::FeatureGroup",
        "SageMaker feature group",
        "alias/aws/s3",
        _pass("`kms_key_id` of the online store security config and offline store S3 config"),
        _owned_default(
            "OnlineStoreConfig.SecurityConfig.KmsKeyId",
            "SageMaker Feature Store",
            only_if=(_present("OnlineStoreConfig"),),
        ),
        _managed_default(
            "OfflineStoreConfig.S3StorageConfig.KmsKeyId",
            "aws/s3",
            only_if=(_present("OfflineStoreConfig"),),
        ),
    ),
    # AWS::SageMaker::InferenceExperiment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-inferenceexperiment.html
    _store(
        "AWS::SageMaker::InferenceExperiment",
        "SageMaker inference experiment",
        "alias/aws/s3",
        _pass("`kms_key` and the data storage `kms_key`"),
        _owned_default("KmsKey", "SageMaker"),
        _managed_default(
            "DataStorageConfig.KmsKey", "aws/s3", only_if=(_present("DataStorageConfig"),)
        ),
    ),
    # AWS::SageMaker::ModelCard - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-modelcard.html
    _store(
        "AWS::SageMaker::ModelCard",
        "SageMaker model card",
        None,
        _pass("`kms_key_id` in `security_config`"),
        _owned_default("SecurityConfig.KmsKeyId", "SageMaker"),
    ),
    # AWS::SageMaker::ModelPackage - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-modelpackage.html
    _store(
        "AWS::SageMaker::ModelPackage",
        "SageMaker model package",
        "alias/aws/s3",
        _pass("`kms_key_id` in `security_config` and of the validation transform jobs"),
        _owned_default("SecurityConfig.KmsKeyId", "SageMaker"),
        _managed_default(
            "ValidationSpecification.ValidationProfiles[].TransformJobDefinition.TransformOutput.KmsKeyId",
            "aws/s3",
            only_if=(
                _present("ValidationSpecification.ValidationProfiles[].TransformJobDefinition"),
            ),
        ),
        _owned_default(
            "ValidationSpecification.ValidationProfiles[].TransformJobDefinition.TransformResources.VolumeKmsKeyId",
            "SageMaker",
            only_if=(
                _present("ValidationSpecification.ValidationProfiles[].TransformJobDefinition"),
            ),
        ),
    ),
    # AWS::SageMaker::PartnerApp - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-partnerapp.html
    _store(
        "AWS::SageMaker::PartnerApp",
        "SageMaker partner app",
        None,
        _pass("`kms_key_id` of `sagemaker.CfnPartnerApp`"),
        _owned_default("KmsKeyId", "SageMaker"),
    ),
    # AWS::SageMaker::ProcessingJob - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-processingjob.html
    _store(
        "AWS::SageMaker::ProcessingJob",
        "SageMaker processing job",
        "alias/aws/s3",
        _pass("`kms_key_id` of the outputs, inputs and `volume_kms_key_id`"),
        _managed_default(
            "ProcessingOutputConfig.KmsKeyId",
            "aws/s3",
            only_if=(_present("ProcessingOutputConfig"),),
        ),
        _owned_default("ProcessingResources.ClusterConfig.VolumeKmsKeyId", "SageMaker"),
        *(
            _s3_output(
                f"ProcessingInputs[].DatasetDefinition.{dataset}.KmsKeyId",
                only_if=(_present(f"ProcessingInputs[].DatasetDefinition.{dataset}"),),
            )
            for dataset in ("AthenaDatasetDefinition", "RedshiftDatasetDefinition")
        ),
    ),
    # AWS::SageMaker::UserProfile - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-userprofile.html
    _store(
        "AWS::SageMaker::UserProfile",
        "SageMaker user profile notebook sharing",
        "alias/aws/s3",
        _pass("`s3_kms_key_id` in `sharing_settings`"),
        _managed_default(
            "UserSettings.SharingSettings.S3KmsKeyId",
            "aws/s3",
            only_if=(_is("UserSettings.SharingSettings.NotebookOutputOption", "Allowed"),),
        ),
    ),
    # AWS::Scheduler::Schedule - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-scheduler-schedule.html
    _store(
        "AWS::Scheduler::Schedule",
        "EventBridge Scheduler schedule (target input)",
        None,
        _pass("`kms_key_arn` of `scheduler.CfnSchedule`"),
        _owned_default("KmsKeyArn", "EventBridge Scheduler"),
    ),
    # AWS::SecurityAgent::AgentSpace - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securityagent-agentspace.html
    _store(
        "AWS::SecurityAgent::AgentSpace",
        "Security Agent agent space",
        None,
        _pass("`kms_key_id` of the agent space"),
        _key_only("KmsKeyId", _managed("no KmsKeyId: AWS managed key")),
    ),
    *(
        _store(
            cfn_type,
            f"Security Agent {what}",
            None,
            _pass(f"`{prop}` of the Security Agent resource"),
            _owned_default(key, "Security Agent"),
        )
        for cfn_type, what, key, prop in (
            (
                # AWS::SecurityAgent::Application - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securityagent-application.html
                "AWS::SecurityAgent::Application",
                "application",
                "DefaultKmsKeyId",
                "default_kms_key_id",
            ),
            # AWS::SecurityAgent::Integration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securityagent-integration.html
            ("AWS::SecurityAgent::Integration", "integration", "KmsKeyId", "kms_key_id"),
            (
                # AWS::SecurityAgent::SecurityRequirementPack - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securityagent-securityrequirementpack.html
                "AWS::SecurityAgent::SecurityRequirementPack",
                "security requirement pack",
                "KmsKeyId",
                "kms_key_id",
            ),
        )
    ),
    # AWS::SecurityHub::ConnectorV2 - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securityhub-connectorv2.html
    _store(
        "AWS::SecurityHub::ConnectorV2",
        "Security Hub connector (third-party credentials)",
        None,
        _pass("`kms_key_arn` of `securityhub.CfnConnectorV2`"),
        _owned_default("KmsKeyArn", "Security Hub"),
    ),
    # default: "S3_MANAGED_KEY" (SSE-S3) unless a key is given:
    # https://docs.aws.amazon.com/security-lake/latest/userguide/data-protection.html
    # AWS::SecurityLake::DataLake - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securitylake-datalake.html
    _store(
        "AWS::SecurityLake::DataLake",
        "Security Lake data lake",
        None,
        _pass("`kms_key_id` in `encryption_configuration`"),
        Slot(
            "EncryptionConfiguration.KmsKeyId",
            (_owned("no KmsKeyId: SSE-S3 (AWS owned key)"),),
            first=(
                _owned(
                    "KmsKeyId S3_MANAGED_KEY (SSE-S3, AWS owned key)",
                    _is("EncryptionConfiguration.KmsKeyId", "S3_MANAGED_KEY"),
                ),
            ),
        ),
    ),
    # AWS::StepFunctions::Activity - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-activity.html
    _store(
        "AWS::StepFunctions::Activity",
        "Step Functions activity",
        None,
        _pass("`kms_key_id` (`type=CUSTOMER_MANAGED_KMS_KEY`) in `encryption_configuration`"),
        _SFN_AT_REST,
    ),
    # default: SSE-S3 unless KMS is chosen: https://docs.aws.amazon.com/filegateway/latest/files3/encrypt-objects-stored-by-file-gateway-in-s3.html
    *(
        _store(
            cfn_type,
            f"Storage Gateway {what} file share",
            "alias/aws/s3",
            _pass('`kms_key` (with `encryption_type="SseKms"`) of the file share'),
            Slot(
                "KMSKey",
                (_managed("KMS without KMSKey: AWS managed key aws/s3"),),
                first=(
                    _owned("EncryptionType SseS3 (AWS owned key)", _is("EncryptionType", "SseS3")),
                    _owned(
                        "neither EncryptionType nor KMSEncrypted selects KMS: SSE-S3 (AWS owned key)",
                        _absent("EncryptionType"),
                        _not("KMSEncrypted", True),
                    ),
                ),
            ),
        )
        for cfn_type, what in (
            # AWS::StorageGateway::NFSFileShare - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-storagegateway-nfsfileshare.html
            ("AWS::StorageGateway::NFSFileShare", "NFS"),
            # AWS::StorageGateway::SMBFileShare - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-storagegateway-smbfileshare.html
            ("AWS::StorageGateway::SMBFileShare", "SMB"),
        )
    ),
    *(
        _store(
            cfn_type,
            f"Storage Gateway {what}",
            None,
            _pass("`kms_key` (with `kms_encrypted=True`)"),
            Slot(
                "KMSKey",
                (_owned("no KMSKey: SSE-S3 (AWS owned key)"),),
                first=(
                    _owned(
                        "KMSEncrypted not true: SSE-S3 (AWS owned key)", _not("KMSEncrypted", True)
                    ),
                ),
            ),
        )
        for cfn_type, what in (
            # AWS::StorageGateway::Tape - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-storagegateway-tape.html
            ("AWS::StorageGateway::Tape", "virtual tape"),
            # AWS::StorageGateway::Volume - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-storagegateway-volume.html
            ("AWS::StorageGateway::Volume", "cached volume"),
        )
    ),
    # AWS::Synthetics::Canary - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-synthetics-canary.html
    _store(
        "AWS::Synthetics::Canary",
        "Synthetics canary artifacts and function",
        "alias/aws/lambda",
        _pass("`kms_key_arn` of the artifact S3 encryption, the canary and its replicas"),
        Slot(
            "ArtifactConfig.S3Encryption.KmsKeyArn",
            (_managed("SSE_KMS without KmsKeyArn: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "EncryptionMode not SSE_KMS: SSE-S3 (AWS owned key)",
                    _not("ArtifactConfig.S3Encryption.EncryptionMode", "SSE_KMS"),
                ),
            ),
        ),
        _managed_default("KmsKeyArn", "aws/lambda", what=" (environment variables)"),
        _managed_default("Replicas[].KmsKeyArn", "aws/lambda", only_if=(_present("Replicas"),)),
    ),
    # AWS::Timestream::ScheduledQuery - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-timestream-scheduledquery.html
    _store(
        "AWS::Timestream::ScheduledQuery",
        "Timestream scheduled query",
        None,
        _pass("`kms_key_id` of `timestream.CfnScheduledQuery`"),
        _owned_default("KmsKeyId", "Timestream"),
    ),
    # AWS::Timestream::Table - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-timestream-table.html
    _store(
        "AWS::Timestream::Table",
        "Timestream table rejected-records export",
        None,
        _pass('`kms_key_id` (with `encryption_option="SSE_KMS"`) of the rejected data location'),
        Slot(
            "MagneticStoreWriteProperties.MagneticStoreRejectedDataLocation.S3Configuration.KmsKeyId",
            (_managed("SSE_KMS without KmsKeyId: AWS managed key aws/s3"),),
            first=(
                _owned(
                    "EncryptionOption not SSE_KMS: SSE-S3 (AWS owned key)",
                    _not(
                        "MagneticStoreWriteProperties.MagneticStoreRejectedDataLocation.S3Configuration.EncryptionOption",
                        "SSE_KMS",
                    ),
                ),
            ),
            only_if=(
                _present(
                    "MagneticStoreWriteProperties.MagneticStoreRejectedDataLocation.S3Configuration"
                ),
            ),
        ),
    ),
    # AWS::Transfer::HostKey - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-transfer-hostkey.html
    _store(
        "AWS::Transfer::HostKey",
        "Transfer Family host key (Secrets Manager)",
        "alias/aws/secretsmanager",
        _pass("`kms_key` of `transfer.CfnHostKey`"),
        _managed_default(
            "KmsKey", "aws/secretsmanager", only_if=(_is("StorageType", "SECRETS_MANAGER"),)
        ),
    ),
    *(
        _store(
            cfn_type,
            f"Translate {what}",
            None,
            _pass("`id` in `encryption_key`"),
            _owned_default("EncryptionKey.Id", "Amazon Translate"),
        )
        for cfn_type, what in (
            # AWS::Translate::ParallelData - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-translate-paralleldata.html
            ("AWS::Translate::ParallelData", "parallel data"),
            # AWS::Translate::Terminology - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-translate-terminology.html
            ("AWS::Translate::Terminology", "terminology"),
        )
    ),
    # AWS::VoiceID::Domain - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-voiceid-domain.html
    _store(
        "AWS::VoiceID::Domain",
        "Voice ID domain",
        None,
        _pass("`kms_key_id` in `server_side_encryption_configuration`"),
        _required("ServerSideEncryptionConfiguration.KmsKeyId"),
    ),
    *(
        _store(
            cfn_type,
            f"Amazon Q in Connect {what}",
            None,
            _pass("`kms_key_id` in `server_side_encryption_configuration`"),
            _owned_default("ServerSideEncryptionConfiguration.KmsKeyId", "Amazon Q in Connect"),
        )
        for cfn_type, what in (
            # AWS::Wisdom::Assistant - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-wisdom-assistant.html
            ("AWS::Wisdom::Assistant", "assistant"),
            # AWS::Wisdom::KnowledgeBase - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-wisdom-knowledgebase.html
            ("AWS::Wisdom::KnowledgeBase", "knowledge base"),
        )
    ),
    # default: volumes unencrypted unless the switches are on; then aws/workspaces:
    # https://docs.aws.amazon.com/workspaces/latest/adminguide/encrypt-workspaces.html
    # AWS::WorkSpaces::Workspace - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-workspaces-workspace.html
    _store(
        "AWS::WorkSpaces::Workspace",
        "WorkSpaces root and user volumes",
        "alias/aws/workspaces",
        _pass("`volume_encryption_key` with both volume encryption switches on"),
        Slot(
            "VolumeEncryptionKey",
            (_managed("no VolumeEncryptionKey: AWS managed key aws/workspaces"),),
            first=(
                _plain(
                    "RootVolumeEncryptionEnabled not true: root volume unencrypted",
                    _not("RootVolumeEncryptionEnabled", True),
                ),
                _plain(
                    "UserVolumeEncryptionEnabled not true: user volume unencrypted",
                    _not("UserVolumeEncryptionEnabled", True),
                ),
            ),
        ),
    ),
    # AWS::WorkSpacesThinClient::Environment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-workspacesthinclient-environment.html
    _store(
        "AWS::WorkSpacesThinClient::Environment",
        "WorkSpaces Thin Client environment",
        None,
        _pass("`kms_key_arn` of the environment"),
        _owned_default("KmsKeyArn", "WorkSpaces Thin Client"),
    ),
    # AWS::WorkspacesInstances::Volume - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-workspacesinstances-volume.html
    _store(
        "AWS::WorkspacesInstances::Volume",
        "WorkSpaces Instances volume",
        "alias/aws/ebs",
        _pass("`kms_key_id` (with `encrypted=True`)"),
        _switched(
            "KmsKeyId",
            "Encrypted",
            "Encrypted not true: volume unencrypted (account default encryption is not visible "
            "in the template)",
            _EBS_DEFAULT,
        ),
    ),
    # AWS::WorkspacesInstances::WorkspaceInstance - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-workspacesinstances-workspaceinstance.html
    _store(
        "AWS::WorkspacesInstances::WorkspaceInstance",
        "WorkSpaces instance EBS volumes",
        "alias/aws/ebs",
        _pass("`kms_key_id` (with `encrypted=True`) of every block device mapping"),
        _block_devices("ManagedInstance.BlockDeviceMappings"),
    ),
)

CATALOGUE: Mapping[str, StoreType] = MappingProxyType({s.cfn_type: s for s in _STORES})
"""Every known data-store type, keyed by CloudFormation type."""


# -- the rest of the KMS-capable types (tests/test_schema_coverage.py) ------------------------
# Each row: AWS CloudFormation Template Reference page of the type (title "<type> - AWS
# CloudFormation Template Reference"), https://docs.aws.amazon.com/AWSCloudFormation/latest/
# TemplateReference/aws-resource-<service>-<resource>.html, whose property descriptions (the
# text cfn-lint's schemas carry) say what the key or switch protects.

KEYLESS_STORES: Mapping[str, KeylessStore] = MappingProxyType(
    {
        # BlockDevice has Encrypted, no key:
        # https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-data-protection.html
        # AWS::AutoScaling::LaunchConfiguration - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-launchconfiguration.html
        "AWS::AutoScaling::LaunchConfiguration": KeylessStore(
            (
                "EBS volumes take Encrypted only: the account's default EBS key (aws/ebs unless "
                "changed); use a launch template to name the domain key"
            ),
            (),
        ),
        # LaunchSpecifications' EbsBlockDevice has no key property
        # AWS::EC2::SpotFleet - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-spotfleet.html
        "AWS::EC2::SpotFleet": KeylessStore(
            (
                "launch specifications' EBS volumes take Encrypted only (account default EBS key); "
                "use LaunchTemplateConfigs, checked as AWS::EC2::LaunchTemplate"
            ),
            (_present("SpotFleetRequestConfigData.LaunchSpecifications"),),
        ),
        # AWS::AppSync::ApiCache - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-appsync-apicache.html
        "AWS::AppSync::ApiCache": KeylessStore(
            ("API cache at rest has only AtRestEncryptionEnabled: AWS chooses the key"),
            (),
        ),
        # cache encryption is a switch:
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html
        # AWS::ApiGateway::Stage - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-stage.html
        "AWS::ApiGateway::Stage": KeylessStore(
            ("response cache has only CacheDataEncrypted: AWS chooses the key"),
            (_is("CacheClusterEnabled", True),),
        ),
        # AWS::ApiGateway::Deployment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-deployment.html
        "AWS::ApiGateway::Deployment": KeylessStore(
            ("stage response cache has only CacheDataEncrypted: AWS chooses the key"),
            (_is("StageDescription.CacheClusterEnabled", True),),
        ),
        # DAX at rest uses an AWS managed key only:
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DAXEncryptionAtRest.html
        # AWS::DAX::Cluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dax-cluster.html
        "AWS::DAX::Cluster": KeylessStore(
            (
                "SSESpecification.SSEEnabled only: DAX encrypts with an AWS managed key, no "
                "customer managed key"
            ),
            (),
        ),
    }
)
"""Data stores whose template offers no customer managed key (only a switch): they can never
use the domain key, so every one in a domain that holds data (``when``) is a finding (CDKP011).
cfn_type -> what protects the data, and when the resource holds any."""

NOT_STORES: Mapping[str, str] = MappingProxyType(
    {
        # Global clusters: the member DBClusters hold the data and are checked with their own
        # KmsKeyId (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-getting-started.html).
        # AWS::RDS::GlobalCluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-globalcluster.html
        "AWS::RDS::GlobalCluster": "container of DB clusters; each member cluster keeps its data under its own key",
        # AWS::Neptune::GlobalCluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-neptune-globalcluster.html
        "AWS::Neptune::GlobalCluster": "container of Neptune clusters; each member cluster keeps its data under its own key",
        # AWS::DocDB::GlobalCluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-docdb-globalcluster.html
        "AWS::DocDB::GlobalCluster": "container of DocumentDB clusters; each member cluster keeps its data under its own key",
        # AWS::Route53::KeySigningKey - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-route53-keysigningkey.html
        "AWS::Route53::KeySigningKey": "the KMS key is an asymmetric DNSSEC signing key, it encrypts no data",
        # AWS::SupportAuthZ::SupportPermit - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-supportauthz-supportpermit.html
        "AWS::SupportAuthZ::SupportPermit": "the KMS key signs permit grants, it encrypts no data",
        # AWS::BedrockAgentCore::OAuth2CredentialProvider - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrockagentcore-oauth2credentialprovider.html
        "AWS::BedrockAgentCore::OAuth2CredentialProvider": "the KMS key signs JWT client assertions, it encrypts no data",
        # AWS::Redshift::SnapshotCopyGrant - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-redshift-snapshotcopygrant.html
        "AWS::Redshift::SnapshotCopyGrant": "a grant letting Redshift use a key for copied snapshots; the cluster is the store",
        # AWS::SecretsManager::RotationSchedule - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-secretsmanager-rotationschedule.html
        "AWS::SecretsManager::RotationSchedule": "names the rotated secrets' keys for the rotation function; the secrets are the stores",
        # AWS::Cognito::UserPoolRegionalConfigurationAttachment - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cognito-userpoolregionalconfigurationattachment.html
        "AWS::Cognito::UserPoolRegionalConfigurationAttachment": "only the custom sender trigger key, which encrypts codes handed to a Lambda function",
        # AWS::EC2::VerifiedAccessEndpoint - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-verifiedaccessendpoint.html
        "AWS::EC2::VerifiedAccessEndpoint": "the key encrypts the endpoint's access policy, not customer data",
        # AWS::EC2::VerifiedAccessGroup - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-verifiedaccessgroup.html
        "AWS::EC2::VerifiedAccessGroup": "the key encrypts the group's access policy, not customer data",
        # AWS::EC2::VerifiedAccessTrustProvider - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-verifiedaccesstrustprovider.html
        "AWS::EC2::VerifiedAccessTrustProvider": "the key encrypts trust provider settings, not customer data",
        # AWS::SES::MailManagerIngressPoint - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ses-mailmanageringresspoint.html
        "AWS::SES::MailManagerIngressPoint": "the key encrypts the mTLS trust store (CA certificates), not mail",
        # AWS::Lambda::EventSourceMapping - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-eventsourcemapping.html
        "AWS::Lambda::EventSourceMapping": "the key encrypts the mapping's filter criteria; records stay in their source",
        # AWS::Pipes::Pipe - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-pipes-pipe.html
        "AWS::Pipes::Pipe": "the key encrypts the pipe's own settings (filters, parameters); events are not kept",
        # AWS::ImageBuilder::Component - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-imagebuilder-component.html
        "AWS::ImageBuilder::Component": "the key encrypts the build component document (build steps)",
        # AWS::ImageBuilder::Workflow - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-imagebuilder-workflow.html
        "AWS::ImageBuilder::Workflow": "the key encrypts the image workflow document (build steps)",
        # AWS::Proton::EnvironmentTemplate - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-proton-environmenttemplate.html
        "AWS::Proton::EnvironmentTemplate": "the key encrypts infrastructure templates, not customer data",
        # AWS::Proton::ServiceTemplate - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-proton-servicetemplate.html
        "AWS::Proton::ServiceTemplate": "the key encrypts infrastructure templates, not customer data",
        # AWS::CodeStarConnections::RepositoryLink - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codestarconnections-repositorylink.html
        "AWS::CodeStarConnections::RepositoryLink": "the key encrypts the link's settings; the code stays with the provider",
        # AWS::VerifiedPermissions::PolicyStore - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-verifiedpermissions-policystore.html
        "AWS::VerifiedPermissions::PolicyStore": "the key encrypts authorization policies and schema, not customer data",
    }
)
"""KMS-capable types that keep no customer data at rest: cfn_type -> one-line reason."""


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
        # AWS::Athena::DataCatalog - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-athena-datacatalog.html
        "AWS::Athena::DataCatalog",
        # AWS::Bedrock::KnowledgeBase - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-knowledgebase.html
        "AWS::Bedrock::KnowledgeBase",
        # AWS::Cognito::UserPool - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cognito-userpool.html
        "AWS::Cognito::UserPool",
        # AWS::DAX::Cluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dax-cluster.html
        "AWS::DAX::Cluster",
        # AWS::ElastiCache::CacheCluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-cachecluster.html
        "AWS::ElastiCache::CacheCluster",
        # AWS::EMR::Cluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-emr-cluster.html
        "AWS::EMR::Cluster",
        # AWS::Lightsail::Bucket - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lightsail-bucket.html
        "AWS::Lightsail::Bucket",
        # AWS::Lightsail::Database - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lightsail-database.html
        "AWS::Lightsail::Database",
        # AWS::MSK::ServerlessCluster - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-msk-serverlesscluster.html
        "AWS::MSK::ServerlessCluster",
        # AWS::OpenSearchServerless::Collection - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-opensearchserverless-collection.html
        "AWS::OpenSearchServerless::Collection",
        # AWS::SageMaker::EndpointConfig - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-endpointconfig.html
        "AWS::SageMaker::EndpointConfig",
        # AWS::SageMaker::FeatureGroup - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-featuregroup.html
        "AWS::SageMaker::FeatureGroup",
        # AWS::SSM::Parameter - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-parameter.html
        "AWS::SSM::Parameter",
        # AWS::SES::MailManagerArchive - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ses-mailmanagerarchive.html
        "AWS::SES::MailManagerArchive",
        # AWS::Transfer::Server - AWS CloudFormation Template Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-transfer-server.html
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


@lru_cache(maxsize=8192)
def _segments(path: str) -> tuple[tuple[str, str], ...]:
    return tuple(_SEGMENT.findall(path))


def _get(properties: Mapping[str, Any], path: str) -> Any:
    """The value at a concrete path (``A.B[2].C``), or ``_MISSING``."""
    node: Any = properties
    for name, index in _segments(path):
        if not isinstance(node, Mapping) or not _present_value(node.get(name, _MISSING)):
            return _MISSING
        node = node[name]
        if index:
            if not isinstance(node, list) or int(index) >= len(node):
                return _MISSING
            node = node[int(index)]
    return node


@lru_cache(maxsize=8192)
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


def _is_intrinsic(value: Any) -> bool:
    return (
        isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("Ref", "Condition")
    ) or (
        isinstance(value, Mapping) and len(value) == 1 and str(next(iter(value))).startswith("Fn::")
    )


def _switch_decided_at_deploy(
    slot: Slot, properties: Mapping[str, Any], indexes: tuple[int, ...]
) -> str | None:
    """The path of a switch the slot compares with a literal (``is``, ``is_not``, ``not_in``)
    whose value is an intrinsic (``Fn::If``, ``Ref`` of a parameter ...), or None."""
    tests = [*slot.only_if, *(t for o in (*slot.first, *slot.no_key) for t in o.when)]
    for test in tests:
        if test.op in ("is", "is_not", "not_in") and test.path != slot.key:  # not the key itself
            path = _bind(test.path, indexes)
            if _is_intrinsic(_get(properties, path)):
                return path
    return None


def _found(value: Any) -> Any:
    """A template value as a :class:`KeyUse` reports it: None when absent."""
    return value if _present_value(value) else None


def _deciding_test(outcome: Outcome) -> When | None:
    """The test of a ``first`` outcome that names its switch: the first comparison with a
    literal (``SSEAlgorithm is AES256``), else its first test (``no SSESpecification``).

    The switch, not the key beside it, is what the service reads: S3 allows ``KMSMasterKeyID``
    "if and only if SSEAlgorithm is set to aws:kms or aws:kms:dsse" ("ServerSideEncryptionByDefault
    - Amazon Simple Storage Service",
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html)."""
    compared = (t for t in outcome.when if t.op in ("is", "is_not", "not_in"))
    return next(compared, outcome.when[0] if outcome.when else None)


def _classify_slot(slot: Slot, properties: Mapping[str, Any]) -> Iterator[KeyUse]:
    for indexes in _expand(properties, slot.key):
        if not all(_holds(t, properties, indexes) for t in slot.only_if):
            continue
        path = _bind(slot.key, indexes)
        hidden = _switch_decided_at_deploy(slot, properties, indexes)
        if hidden is not None:  # fail closed: the template cannot say which way it goes
            switch = _get(properties, hidden)
            yield KeyUse(
                path, "undecided", None,
                f"{hidden} is decided at deploy time ({_short(switch)}), so "
                "the encryption this store gets cannot be told from the template",
                at=hidden, found=_found(switch),
            )  # fmt: skip
            continue
        decided = next(
            (o for o in slot.first if all(_holds(t, properties, indexes) for t in o.when)), None
        )
        at: str | None = None
        if decided is None:
            key = _get(properties, path)
            leaf = slot.key.rsplit(".", 1)[-1]
            if is_aws_managed_key_reference(key):
                yield KeyUse(
                    path, "aws_managed", None, f"{leaf} {_short(key)} (AWS managed key)",
                    found=key,
                )  # fmt: skip
                continue
            if _present_value(key):
                yield KeyUse(path, "customer_key", key, f"{leaf} {_short(key)}", found=key)
                continue
            decided = next(
                o for o in slot.no_key if all(_holds(t, properties, indexes) for t in o.when)
            )
        else:  # a switch decided it: the finding names the switch, not the key it overrides
            test = _deciding_test(decided)
            at = _bind(test.path, indexes) if test is not None else None
        if decided.source is not None:
            source = _bind(decided.source, indexes)
            value = _get(properties, source)
            yield KeyUse(
                path, decided.state, value, decided.detail, source, at=source, found=_found(value)
            )
            continue
        found = _found(_get(properties, at or path))
        yield KeyUse(path, decided.state, None, decided.detail, at=at, found=found)


def classify(cfn_type: str, properties: Mapping[str, Any] | None) -> list[KeyUse] | None:
    """One :class:`KeyUse` per applicable key slot of a resource; None if the type is unknown.

    ``properties`` is the resource's ``Properties`` (None when it has none). Slots that do not
    apply (Performance Insights off ...) give nothing, so the list may be empty.
    """
    store = CATALOGUE.get(cfn_type)
    if store is None:
        return None
    props: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
    # the stores of one app repeat a few property shapes (every domain bucket alike): classify
    # each shape once
    try:
        shape = json.dumps(props, separators=(",", ":"))
    except (TypeError, ValueError):
        return [use for slot in store.slots for use in _classify_slot(slot, props)]
    return list(_classify_shape(cfn_type, shape))


@lru_cache(maxsize=4096)
def _classify_shape(cfn_type: str, shape: str) -> tuple[KeyUse, ...]:
    props = json.loads(shape)
    return tuple(use for slot in CATALOGUE[cfn_type].slots for use in _classify_slot(slot, props))


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


@lru_cache(maxsize=4096)
def kms_key_paths(cfn_type: str) -> tuple[str, ...]:
    """The path patterns (``A.B[].C``) of every property of ``cfn_type`` that names a KMS key."""
    found = _kms_properties().get(cfn_type, ())
    store = CATALOGUE.get(cfn_type)
    slots = tuple(s.key for s in store.slots) if store else ()
    return tuple(dict.fromkeys((*slots, *found)))


def keyless_reason(cfn_type: str, properties: Mapping[str, Any]) -> str | None:
    """Why a resource of a :data:`KEYLESS_STORES` type cannot be on the domain key, when it holds
    data; None otherwise."""
    keyless = KEYLESS_STORES.get(cfn_type)
    if keyless is None or not all(_holds(t, properties, ()) for t in keyless.when):
        return None
    return keyless.reason


def key_values(cfn_type: str, properties: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """``(concrete path, value)`` of every KMS key property present in ``properties`` (none for a
    :data:`NOT_STORES` type: its keys protect no customer data, e.g. a DNSSEC signing key)."""
    if cfn_type in NOT_STORES:
        return
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

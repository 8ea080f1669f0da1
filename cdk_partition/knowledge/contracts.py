"""Service contracts: the KMS requests AWS makes for each store and integration, as data.

A domain key denies ``kms:*`` to every principal it does not name, so the key policy must still let
AWS do what a store needs: CloudFormation's role creating the store (grants, data keys through the
service), the role the CDK creates for a store (a Firehose delivery role, an S3 replication role),
a service principal delivering into an encrypted queue or topic, a service-linked role launching
instances, and the EC2 infrastructure role that decrypts a volume when an instance starts.

Each :class:`ContractRow` says, for one store method or integration, in one phase (``create``:
CloudFormation creating it; ``attach``: a resource starting to use it; ``run``: data flowing), who
calls KMS, which actions, in which request context, and the AWS page that says so. The store
methods write their key-policy statements from these rows (:data:`CREATE_VIA_SERVICES`,
:data:`STORE_ROLE_VIA`, :data:`SERVICE_PUBLISHERS`, :data:`INFRASTRUCTURE_ROLE_PATTERN`), the audit
checks service-principal statements against them, the report reads :data:`GATES`, and the tests
evaluate every row against the synthesized key policies (must be allowed) next to outsiders (must be
denied).

Two facts every row depends on:

* ``aws:PrincipalIsAWSService`` is true only for a service principal acting as itself: "The
  context key is set to false if the service uses the credentials of an IAM principal to make a
  request on the principal's behalf. It is also set to false if the service uses a service role or
  service-linked role" (IAM User Guide, "AWS global condition context keys",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice).
  So every caller through a service, every service-linked role and every store role must be named
  in the key policy, or ``DenyEveryoneElse`` stops it.
* A key-policy Deny beats grants: it "takes precedence over any key policy or IAM policy with an
  Allow effect, and it takes precedence over all grants for this KMS key and its principals" (AWS
  KMS Developer Guide, "AWS KMS condition keys",
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html). A principal that
  uses the key through a grant (the EC2 infrastructure role) must be exempt from the deny.

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CONTRACTS",
    "CREATE_VIA_SERVICES",
    "CROSS_ACCOUNT_KEYS",
    "GATES",
    "INFRASTRUCTURE_ROLE_PATTERN",
    "SERVICE_PUBLISHERS",
    "STORE_ROLE_VIA",
    "STORE_TYPES",
    "ContractRow",
    "CrossAccountKeys",
    "Gate",
    "Publisher",
    "cross_account_verdict",
    "rows_for",
]

Phase = Literal["create", "attach", "run"]
Caller = Literal[
    "deployment_role",  # the principal CloudFormation deploys with, calling through the service
    "capability",  # the domain's readers / writers, calling through the service
    "store_role",  # a role the CDK creates for the store (delivery role, replication role)
    "service_principal",  # an AWS service principal acting as itself
    "service_linked_role",  # a service-linked role (Auto Scaling)
    "infrastructure_role",  # the EC2 identity-only role, through a grant
]


@dataclass(frozen=True)
class ContractRow:
    """One KMS request AWS makes for a store or an integration."""

    store: str
    """The store method (``table``, ``volume``) or integration (``bucket_notification_queue``)."""
    phase: Phase
    caller: Caller
    principal: str
    """Who calls: a service principal (``events.amazonaws.com``, ``logs.{region}.amazonaws.com``),
    a role ARN pattern (``{partition}``/``{account}`` placeholders), or the caller's kind."""
    actions: tuple[str, ...]
    context: Mapping[str, str] = field(default_factory=dict)
    """Request context keys and values AWS documents (``{region}`` placeholder)."""
    via_grant: bool = False
    """The call is authorized by a grant, not by the key policy: the key policy must only not
    deny it."""
    source: str = ""
    """AWS page title and URL the row comes from."""


_EBS = (
    'Amazon EBS User Guide, "Requirements for Amazon EBS encryption" '
    "(https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html)"
)
_ASG = (
    'Amazon EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted '
    'volumes" (https://docs.aws.amazon.com/autoscaling/ec2/userguide/'
    "key-policy-requirements-EBS-encryption.html)"
)
_DDB = (
    'Amazon DynamoDB Developer Guide, "DynamoDB encryption at rest usage notes" '
    "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html)"
)
_FIREHOSE_SSE = (
    'Amazon Data Firehose API Reference, "DeliveryStreamEncryptionConfigurationInput" '
    "(https://docs.aws.amazon.com/firehose/latest/APIReference/"
    "API_DeliveryStreamEncryptionConfigurationInput.html)"
)
_FIREHOSE_S3 = (
    'Amazon Data Firehose Developer Guide, "Controlling access with Amazon Data Firehose" '
    "(https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html)"
)
_S3_REPLICATION = (
    'Amazon S3 User Guide, "Replicating objects created with server-side encryption (SSE-C, '
    'SSE-S3, SSE-KMS, DSSE-KMS)" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/'
    "replication-config-for-kms-objects.html)"
)
_SQS_KEYS = (
    'Amazon SQS Developer Guide, "Amazon SQS Key management" '
    "(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
    "sqs-key-management.html)"
)
_SNS_KEYS = (
    'Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs" '
    "(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)"
)
_LOGS = (
    'Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS Key '
    'Management Service" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/'
    "encrypt-log-data-kms.html)"
)
_SECRETS = (
    'AWS Secrets Manager User Guide, "Secret encryption and decryption in AWS Secrets Manager" '
    "(https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html)"
)
_RDS = (
    'Amazon RDS User Guide, "AWS KMS key management" '
    "(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html)"
)
_EFS = (
    'Amazon EFS User Guide, "Encrypting data at rest" '
    "(https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html)"
)
_OPENSEARCH = (
    'Amazon OpenSearch Service Developer Guide, "Encryption of data at rest for Amazon '
    'OpenSearch Service" (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/'
    "encryption-at-rest.html)"
)

_EVENTS_KEY = (
    'Amazon EventBridge User Guide, "Authorizing EventBridge to use a customer managed key" '
    "(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html)"
)

_KINESIS = (
    'Amazon Kinesis Data Streams Developer Guide, "Permissions to use user-generated KMS keys" '
    "(https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html)"
)
_S3_KMS = (
    'Amazon S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)" '
    "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)"
)

_FARGATE = (
    'Amazon ECS Developer Guide, "Create an encryption key for Fargate ephemeral storage for '
    'Amazon ECS" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/'
    "fargate-create-storage-key.html)"
)

_ECR = (
    'Amazon ECR User Guide, "Encryption at rest" '
    "(https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html)"
)

_BACKUP = (
    'AWS Backup Developer Guide, "Backup vault creation and deletion" '
    "(https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html)"
)

_GRANT = ("kms:CreateGrant",)
_FOR_AWS_RESOURCE = {"kms:GrantIsForAWSResource": "true"}


def _via(service: str) -> dict[str, str]:
    return {"kms:ViaService": f"{service}.{{region}}.amazonaws.com"}


CONTRACTS: tuple[ContractRow, ...] = (
    # -- creating stores: CloudFormation's role calls KMS through the service -----------------
    # "The principal in the CreateGrant request is the user who created the table."; "At a
    # minimum, DynamoDB requires the following permissions on a customer managed key:
    # kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey,
    # kms:CreateGrant"
    ContractRow("table", "create", "deployment_role", "deployment", _GRANT,
                {**_via("dynamodb"), **_FOR_AWS_RESOURCE}, source=_DDB),
    ContractRow("table", "create", "deployment_role", "deployment",
                ("kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"), _via("dynamodb"),
                source=_DDB),
    ContractRow("table_v2", "create", "deployment_role", "deployment", _GRANT,
                {**_via("dynamodb"), **_FOR_AWS_RESOURCE}, source=_DDB),
    # "When you invoke CreateDeliveryStream ... with KeyType set to CUSTOMER_MANAGED_CMK, Firehose
    # invokes the Amazon KMS operation CreateGrant to create a grant that allows the Firehose
    # service to use the customer managed CMK"; the invoker is CloudFormation's role
    ContractRow("delivery_stream", "create", "deployment_role", "deployment", _GRANT,
                {**_via("firehose"), **_FOR_AWS_RESOURCE}, source=_FIREHOSE_SSE),
    # "You must grant users permission to call the following actions in order to use EBS
    # encryption: kms:CreateGrant, kms:Decrypt, kms:DescribeKey,
    # kms:GenerateDataKeyWithoutPlainText, kms:ReEncrypt"; CreateGrant only with
    # kms:GrantIsForAWSResource
    ContractRow("volume", "create", "deployment_role", "deployment", _GRANT,
                {**_via("ec2"), **_FOR_AWS_RESOURCE}, source=_EBS),
    ContractRow("volume", "create", "deployment_role", "deployment",
                ("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext",
                 "kms:ReEncryptFrom", "kms:ReEncryptTo"), _via("ec2"), source=_EBS),
    ContractRow("launch_template", "attach", "deployment_role", "deployment", _GRANT,
                {**_via("ec2"), **_FOR_AWS_RESOURCE}, source=_EBS),
    # "Identity-only role ARNs use the following format:
    # arn:{aws-partition}:iam::{account_id}:role/aws:ec2-infrastructure/{instance_id}"; "If an
    # SCP or KMS key denies the identity-only role access to a KMS key, you may fail to launch
    # EC2 instances with encrypted volumes" (same page, "Permissions for instances")
    ContractRow("volume", "attach", "infrastructure_role",
                "arn:{partition}:iam::{account}:role/aws:ec2-infrastructure/i-0123456789abcdef0",
                ("kms:Decrypt",), {"kms:EncryptionContext:aws:ebs:id": "vol-0123456789abcdef0"},
                via_grant=True, source=_EBS),
    ContractRow("launch_template", "attach", "infrastructure_role",
                "arn:{partition}:iam::{account}:role/aws:ec2-infrastructure/i-0123456789abcdef0",
                ("kms:Decrypt",), {"kms:EncryptionContext:aws:ebs:id": "vol-0123456789abcdef0"},
                via_grant=True, source=_EBS),
    # "[the first statement] includes permissions to perform the AWS KMS Encrypt, Decrypt,
    # ReEncrypt*, GenerateDataKey*, and DescribeKey operations on the key"; the second allows
    # kms:CreateGrant with kms:GrantIsForAWSResource true
    ContractRow("launch_template_auto_scaling", "attach", "service_linked_role",
                "arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
                "AWSServiceRoleForAutoScaling",
                ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                 "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"),
                source=_ASG),
    ContractRow("launch_template_auto_scaling", "attach", "service_linked_role",
                "arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
                "AWSServiceRoleForAutoScaling", _GRANT, _FOR_AWS_RESOURCE, source=_ASG),
    # "The user who is creating or changing the RDS resource" needs kms:CreateGrant and
    # kms:DescribeKey
    ContractRow("database_instance", "create", "deployment_role", "deployment",
                ("kms:CreateGrant",), {**_via("rds"), **_FOR_AWS_RESOURCE}, source=_RDS),
    ContractRow("database_instance", "create", "deployment_role", "deployment",
                ("kms:DescribeKey",), _via("rds"), source=_RDS),
    ContractRow("database_cluster", "create", "deployment_role", "deployment",
                ("kms:CreateGrant",), {**_via("rds"), **_FOR_AWS_RESOURCE}, source=_RDS),
    ContractRow("docdb_cluster", "create", "deployment_role", "deployment",
                ("kms:CreateGrant",), {**_via("rds"), **_FOR_AWS_RESOURCE}, source=_RDS),
    # EFS: "kms:Decrypt, kms:GenerateDataKeyWithoutPlaintext, kms:CreateGrant, kms:DescribeKey"
    ContractRow("file_system", "create", "deployment_role", "deployment", _GRANT,
                {**_via("elasticfilesystem"), **_FOR_AWS_RESOURCE}, source=_EFS),
    ContractRow("file_system", "create", "deployment_role", "deployment",
                ("kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"),
                _via("elasticfilesystem"), source=_EFS),
    # Secrets Manager: CreateSecret / PutSecretValue call GenerateDataKey and Decrypt through
    # secretsmanager for the caller
    ContractRow("secret", "create", "deployment_role", "deployment",
                ("kms:GenerateDataKey", "kms:Decrypt"), _via("secretsmanager"), source=_SECRETS),
    ContractRow("opensearch_domain", "create", "deployment_role", "deployment", _GRANT,
                {**_via("es"), **_FOR_AWS_RESOURCE}, source=_OPENSEARCH),
    # ECR: "When you create a repository with AWS KMS encryption enabled, a KMS key is used to
    # encrypt the contents of the repository. Moreover, Amazon ECR adds an AWS KMS grant to the
    # KMS key"; on create it calls DescribeKey and sends two CreateGrant requests (the page's
    # numbered steps)
    ContractRow("repository", "create", "deployment_role", "deployment", _GRANT,
                {**_via("ecr"), **_FOR_AWS_RESOURCE}, source=_ECR),
    ContractRow("repository", "create", "deployment_role", "deployment", ("kms:DescribeKey",),
                _via("ecr"), source=_ECR),
    # AWS Backup: "You must have the following permissions to create a backup vault using AWS
    # Backup": kms:CreateGrant, kms:DescribeKey, kms:RetireGrant, kms:Decrypt,
    # kms:GenerateDataKey. (kms:RetireGrant is not written: the key policy cannot scope it to
    # the service, and a grant names its own retiring principal; see the closing note.)
    ContractRow("backup_vault", "create", "deployment_role", "deployment", _GRANT,
                {**_via("backup"), **_FOR_AWS_RESOURCE}, source=_BACKUP),
    ContractRow("backup_vault", "create", "deployment_role", "deployment",
                ("kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"), _via("backup"),
                source=_BACKUP),
    # -- the domain's readers and writers, through the store's service --------------------------
    # SQS: "the producer must have the kms:GenerateDataKey and kms:Decrypt permissions for the
    # KMS key"; "the consumer must have the kms:Decrypt permission"
    ContractRow("queue", "run", "capability", "writer", ("kms:GenerateDataKey", "kms:Decrypt"),
                _via("sqs"), source=_SQS_KEYS),
    ContractRow("queue", "run", "capability", "reader", ("kms:Decrypt",), _via("sqs"),
                source=_SQS_KEYS),
    # SNS: "The publisher must have the kms:GenerateDataKey* and kms:Decrypt permissions"
    ContractRow("topic", "run", "capability", "writer", ("kms:GenerateDataKey", "kms:Decrypt"),
                _via("sns"), source=_SNS_KEYS),
    # Kinesis: "producers must have the kms:GenerateDataKey permission"; "consumers must have
    # the kms:Decrypt permission"
    ContractRow("stream", "run", "capability", "writer", ("kms:GenerateDataKey",),
                _via("kinesis"), source=_KINESIS),
    ContractRow("stream", "run", "capability", "reader", ("kms:Decrypt",), _via("kinesis"),
                source=_KINESIS),
    # S3: "To upload an object encrypted with an AWS KMS key to Amazon S3, you need
    # kms:GenerateDataKey permissions on the key. To download an object encrypted with an AWS
    # KMS key, you need kms:Decrypt permissions."
    ContractRow("bucket", "run", "capability", "writer", ("kms:GenerateDataKey",), _via("s3"),
                source=_S3_KMS),
    ContractRow("bucket", "run", "capability", "reader", ("kms:Decrypt",), _via("s3"),
                source=_S3_KMS),
    # DynamoDB: "The user is the principal in your AWS account who is accessing the table" (the
    # Decrypt of the table key)
    ContractRow("table", "run", "capability", "reader", ("kms:Decrypt",), _via("dynamodb"),
                source=_DDB),
    ContractRow("table", "run", "capability", "writer", ("kms:Decrypt",), _via("dynamodb"),
                source=_DDB),
    # -- roles the CDK creates for a store ------------------------------------------------------
    # "Kinesis Data Firehose assumes that IAM role and gains access to the specified bucket,
    # key"; "To upload an object encrypted with an AWS KMS key to Amazon S3, you need
    # kms:GenerateDataKey permissions on the key. To download an object encrypted with an AWS
    # KMS key, you need kms:Decrypt permissions." (through s3: kms:ViaService s3.<region>)
    ContractRow("delivery_stream_to_bucket", "run", "store_role", "delivery role",
                ("kms:GenerateDataKey", "kms:Decrypt"), _via("s3"), source=_FIREHOSE_S3),
    # the replication role: Decrypt on the source key, Encrypt (and GenerateDataKey) on the
    # destination key, each through s3 in its region
    ContractRow("bucket_replication", "run", "store_role", "replication role",
                ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"), _via("s3"),
                source=_S3_REPLICATION),
    # -- AWS services delivering into encrypted queues and topics -------------------------------
    # "When using SSE enabled Amazon SQS queues, the following services support aws:SourceArn:
    # Amazon SNS, Amazon S3, CloudWatch Events, AWS Lambda, ..."; SNS: "Add the
    # aws:SourceAccount and aws:SourceArn condition keys to the KMS resource policy to further
    # protect the KMS key from confused deputy attacks"
    ContractRow("bucket_notification_queue", "run", "service_principal", "s3.amazonaws.com",
                ("kms:GenerateDataKey", "kms:Decrypt"),
                {"aws:SourceAccount": "{account}"}, source=_SQS_KEYS),
    ContractRow("bucket_notification_topic", "run", "service_principal", "s3.amazonaws.com",
                ("kms:GenerateDataKey", "kms:Decrypt"),
                {"aws:SourceAccount": "{account}"}, source=_SNS_KEYS),
    ContractRow("topic_subscription_queue", "run", "service_principal", "sns.amazonaws.com",
                ("kms:GenerateDataKey", "kms:Decrypt"),
                {"aws:SourceAccount": "{account}"}, source=_SQS_KEYS),
    ContractRow("rule_target_queue", "run", "service_principal", "events.amazonaws.com",
                ("kms:GenerateDataKey", "kms:Decrypt"),
                {"aws:SourceAccount": "{account}"}, source=_SQS_KEYS),
    # "Adding the aws:SourceAccount, aws:SourceArn, and aws:SourceOrgID to a AWS KMS policy is
    # not supported for EventBridge-to-encrypted topics."
    ContractRow("rule_target_topic", "run", "service_principal", "events.amazonaws.com",
                ("kms:GenerateDataKey", "kms:Decrypt"), {}, source=_SNS_KEYS),
    # EventBridge event bus on a customer managed key: "EventBridge requires the following
    # permissions to use customer managed keys: kms:DescribeKey ... kms:GenerateDataKey ...
    # kms:Decrypt"; "As a security best practice, add an aws:SourceArn, aws:sourceAccount, or
    # kms:EncryptionContext:aws:events:event-bus:arn condition key"
    ContractRow("event_bus", "run", "service_principal", "events.amazonaws.com",
                ("kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"),
                {"aws:SourceAccount": "{account}",
                 "kms:EncryptionContext:aws:events:event-bus:arn":
                 "arn:{partition}:events:{region}:{account}:event-bus/orders"},
                source=_EVENTS_KEY),
    # Fargate ephemeral storage on a customer managed key: "The following API operations must be
    # permitted in the policy to use your customer managed key with your Amazon ECS cluster
    # resources. kms:GenerateDataKeyWithoutPlainText ... kms:CreateGrant ... kms:DescribeKey"
    ContractRow("ecs_cluster_fargate_storage", "run", "service_principal",
                "fargate.amazonaws.com",
                ("kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant"),
                {"kms:EncryptionContext:aws:ecs:clusterAccount": "{account}"},
                source=_FARGATE),
    # "kms:DescribeKey - Provides the customer managed key details" (same page); no encryption
    # context on DescribeKey, so it cannot carry the cluster-account condition
    ContractRow("ecs_cluster_fargate_storage", "run", "service_principal",
                "fargate.amazonaws.com", ("kms:DescribeKey",), {}, source=_FARGATE),
    # "CloudWatch Logs now supports encryption context, using kms:EncryptionContext:aws:logs:arn
    # as the key and the ARN of the log group as the value for that key."; the page's statement
    # allows kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*
    ContractRow("log_group", "run", "service_principal", "logs.{region}.amazonaws.com",
                ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                 "kms:Describe*"),
                {"kms:EncryptionContext:aws:logs:arn":
                 "arn:{partition}:logs:{region}:{account}:log-group:/orders/audit"},
                source=_LOGS),
)  # fmt: skip
"""Every contract row, in the order of the store methods."""


def rows_for(store: str, phase: Phase | None = None) -> tuple[ContractRow, ...]:
    """The rows of one store method or integration (optionally of one phase)."""
    return tuple(r for r in CONTRACTS if r.store == store and (phase is None or r.phase == phase))


def _services(store: str) -> tuple[str, ...]:
    services = []
    for row in rows_for(store):
        if row.caller == "deployment_role":
            service = row.context.get("kms:ViaService", "").split(".", 1)[0]
            if service and service not in services:
                services.append(service)
    return tuple(services)


#: CloudFormation type -> the store method whose contract rows apply to it (the audit checks a
#: store's create and attach rows against its domain's key policy: CDKP107).
STORE_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "AWS::DynamoDB::Table": "table",
        "AWS::DynamoDB::GlobalTable": "table_v2",
        "AWS::KinesisFirehose::DeliveryStream": "delivery_stream",
        "AWS::EC2::Volume": "volume",
        "AWS::EC2::LaunchTemplate": "launch_template",
        "AWS::EC2::Instance": "launch_template",  # the same requests when it starts
        "AWS::RDS::DBInstance": "database_instance",
        "AWS::RDS::DBCluster": "database_cluster",
        "AWS::DocDB::DBCluster": "docdb_cluster",
        "AWS::EFS::FileSystem": "file_system",
        "AWS::SecretsManager::Secret": "secret",
        "AWS::OpenSearchService::Domain": "opensearch_domain",
        "AWS::ECR::Repository": "repository",
        "AWS::Backup::BackupVault": "backup_vault",
    }
)

#: Store method -> the services through which the deployment role must reach the key at create
#: time (``AllowGrantsForAWSResources`` + ``AllowDeploymentViaServices``).
CREATE_VIA_SERVICES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {store: _services(store) for store in dict.fromkeys(r.store for r in CONTRACTS)}
)

#: Integration -> (actions, service) for the roles the CDK creates for a store.
STORE_ROLE_VIA: Mapping[str, tuple[tuple[str, ...], str]] = MappingProxyType(
    {
        row.store: (row.actions, row.context["kms:ViaService"].split(".", 1)[0])
        for row in CONTRACTS
        if row.caller == "store_role"
    }
)

#: The EC2 identity-only role (``aws:PrincipalArn`` pattern) that ``DenyEveryoneElse`` exempts in a
#: domain with EBS volumes: it decrypts through a grant when an instance starts. IAM role names
#: cannot contain ``:`` (IAM User Guide, "IAM and AWS STS quotas": role names use
#: alphanumerics and ``+=,.@_-``), so no customer role matches ``role/aws:ec2-infrastructure/*``.
INFRASTRUCTURE_ROLE_PATTERN = (
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws:ec2-infrastructure/*"
)


@dataclass(frozen=True)
class Publisher:
    """What a service principal may do on a domain key, and the conditions it must carry."""

    service: str
    actions: tuple[str, ...]
    conditions_required: bool
    """True when every row of the service scopes it (``aws:SourceAccount``); False when AWS
    documents that the source keys are not supported for one of its deliveries (EventBridge to
    an encrypted SNS topic), so the statement must stay unconditioned."""


#: The integrations in which an AWS service delivers into (or encrypts events of) the domain's
#: queues, topics and event buses: its statements are publisher statements.
_DELIVERIES = ("bucket_notification", "topic_subscription", "rule_target", "event_bus")


def _publishers() -> Mapping[str, Publisher]:
    out: dict[str, Publisher] = {}
    for row in CONTRACTS:
        if row.caller != "service_principal" or not row.store.startswith(_DELIVERIES):
            continue
        known = out.get(row.principal)
        actions = tuple(dict.fromkeys((*(known.actions if known else ()), *row.actions)))
        required = bool(row.context) and (known.conditions_required if known else True)
        out[row.principal] = Publisher(row.principal, actions, required)
    return MappingProxyType(out)


#: Service principal -> what it may be allowed on a domain key (from the rows above).
SERVICE_PUBLISHERS: Mapping[str, Publisher] = _publishers()


@dataclass(frozen=True)
class Gate:
    """Who the domain key gates for a store kind: each ``reader`` (their own KMS calls through
    the service need the domain's capability), or only the ``service`` (its service principal
    decrypts for whoever its own API lets read, decided by ``iam_permission``)."""

    gates: Literal["reader", "service"]
    iam_permission: str = ""
    source: str = ""


#: CloudFormation type -> whom the key gates (types not listed: each reader).
GATES: Mapping[str, Gate] = MappingProxyType(
    {
        # "CloudWatch Logs decrypts this data whenever it is requested": the logs service
        # principal decrypts for whoever may call logs:GetLogEvents / FilterLogEvents /
        # StartQuery on the group. (AWS's newer text adds kms:ViaService calls for the roles
        # that call CloudWatch Logs; where a region applies them, the key gates those roles too.)
        "AWS::Logs::LogGroup": Gate(
            "service", "logs:GetLogEvents, logs:FilterLogEvents, logs:StartQuery", _LOGS
        ),
        # "EventBridge uses this [kms:Decrypt] for event pattern matching; users never have
        # access to the data": the service decrypts, and its targets receive events in plaintext
        "AWS::Events::EventBus": Gate(
            "service",
            "events:PutRule and events:PutTargets on the bus (a rule forwards events to a target)",
            _EVENTS_KEY,
        ),
    }
)


def render_markdown() -> str:
    """The contract table as markdown (the README's *Service contracts* block is this text)."""
    lines = [
        "| store / integration | phase | caller | principal | actions | request context | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in CONTRACTS:
        context = ", ".join(f"`{k}`" for k in row.context) or "none"
        if row.via_grant:
            context += " (through a grant)"
        title, _, url = row.source.rpartition(" (")
        lines.append(
            f"| `{row.store}` | {row.phase} | {row.caller.replace('_', ' ')} | "
            f"`{row.principal}` | {', '.join(f'`{a}`' for a in row.actions)} | {context} | "
            f"[{title.strip()}]({url.rstrip(')')}) |"
        )
    return "\n".join(lines) + "\n"


# -- keys of another account -----------------------------------------------------------------
@dataclass(frozen=True)
class CrossAccountKeys:
    """Whether a store's service accepts a customer managed key of another AWS account, as the
    AWS documentation says (``accepted`` None: the page on the service's encryption says nothing
    about keys of another account, so the library cannot decide and only warns)."""

    service: str
    accepted: bool | None
    quote: str
    """The AWS text the verdict rests on, verbatim."""
    source: str
    """AWS page title and URL."""
    instead: str = ""
    """What to do instead when the service refuses (empty: the generic advice)."""


_CROSS_ACCOUNT_INSTEAD = (
    "create the store in a stack of the key's account (the account that owns the domain), or ask "
    "the domain's owner for a domain key in this account"
)
_S3_SSE_DEFAULT = (
    'Amazon S3 API Reference, "ServerSideEncryptionByDefault" '
    "(https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html)"
)
_SQS_SSE = (
    'Amazon SQS Developer Guide, "Encryption at rest in Amazon SQS" '
    "(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
    "sqs-server-side-encryption.html)"
)
_SNS_SSE = (
    'Amazon SNS Developer Guide, "Encryption at rest" '
    "(https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html)"
)
_DDB_HOW = (
    'Amazon DynamoDB Developer Guide, "Encryption at rest: How it works" '
    "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html)"
)
_KINESIS_USER_KEYS = (
    'Amazon Kinesis Data Streams Developer Guide, "Create and use user-generated KMS keys" '
    "(https://docs.aws.amazon.com/streams/latest/dev/creating-using-sse-master-keys.html)"
)
_LOGS_ASSOCIATE = (
    'Amazon CloudWatch Logs API Reference, "AssociateKmsKey" '
    "(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_AssociateKmsKey.html)"
)
_EFS_CREATE = (
    'Amazon EFS API Reference, "CreateFileSystem" '
    "(https://docs.aws.amazon.com/efs/latest/ug/API_CreateFileSystem.html)"
)
_RDS_INSTANCE = (
    'Amazon RDS API Reference, "CreateDBInstance" '
    "(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html)"
)
_RDS_CLUSTER = (
    'Amazon RDS API Reference, "CreateDBCluster" '
    "(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html)"
)
_SECRETS_CREATE = (
    'AWS Secrets Manager API Reference, "CreateSecret" '
    "(https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html)"
)
_BACKUP_CREATE = (
    'AWS Backup Developer Guide, "CreateBackupVault" '
    "(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html)"
)
_DOCDB_CREATE = (
    'Amazon DocumentDB Developer Guide, "CreateDBCluster" '
    "(https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBCluster.html)"
)
_RDS_ARN = "To use a KMS key in a different AWS account, specify the key ARN or alias ARN."
_EBS_SILENT = (
    "When you use a KMS key for EBS encryption, the KMS key policy allows any user with access "
    "to the required AWS KMS actions to use this KMS key to encrypt or decrypt EBS resources."
)

#: Store method -> whether its service accepts a key of another account (AWS's words). One row
#: per store method of :class:`cdk_partition.constructs.stores.StoreFactories`; a test keeps it complete.
#: Read by the store methods of a :class:`cdk_partition.DomainReference` (refuse at construct
#: time when AWS says no, warn when AWS does not say) and by the README table.
CROSS_ACCOUNT_KEYS: Mapping[str, CrossAccountKeys] = MappingProxyType(
    {
        "bucket": CrossAccountKeys(
            "Amazon S3", True,
            "If you are using encryption with cross-account or AWS service operations, you must "
            "use a fully qualified KMS key ARN.", _S3_SSE_DEFAULT),
        "queue": CrossAccountKeys(
            "Amazon SQS", True,
            "The alias, alias ARN, key ID, or key ARN of an AWS managed KMS key or a custom KMS "
            "key—in your account or in another account.", _SQS_SSE),
        "topic": CrossAccountKeys(
            "Amazon SNS", True,
            "The alias, alias ARN, key ID, or key ARN of an AWS KMS key, or a custom AWS KMS—in "
            "your account or in another account.", _SNS_SSE),
        "table": CrossAccountKeys(
            "Amazon DynamoDB", None,
            "Customer managed key \u2013 The key is stored in your account and is created, owned, "
            "and managed by you.", _DDB_HOW),
        "table_v2": CrossAccountKeys(
            "Amazon DynamoDB", None,
            "Customer managed key \u2013 The key is stored in your account and is created, owned, "
            "and managed by you.", _DDB_HOW),
        "stream": CrossAccountKeys(
            "Amazon Kinesis Data Streams", True,
            "you can use custom KMS keys in your own AWS account or another AWS account.",
            _KINESIS_USER_KEYS),
        "delivery_stream": CrossAccountKeys(
            "Amazon Data Firehose", None,
            "If you set KeyType to CUSTOMER_MANAGED_CMK, you must specify the Amazon Resource "
            "Name (ARN) of the CMK.", _FIREHOSE_SSE),
        "log_group": CrossAccountKeys(
            "Amazon CloudWatch Logs", None,
            "The Amazon Resource Name (ARN) of the KMS key to use when encrypting log data.",
            _LOGS_ASSOCIATE),
        "volume": CrossAccountKeys("Amazon EBS", None, _EBS_SILENT, _EBS),
        "ebs_volume": CrossAccountKeys("Amazon EBS", None, _EBS_SILENT, _EBS),
        "launch_template": CrossAccountKeys(
            "Amazon EBS (instances launched by EC2 Auto Scaling)", True,
            "Example 2: Key policy sections that allow cross-account access to the customer "
            "managed key", _ASG),
        "file_system": CrossAccountKeys(
            "Amazon EFS", None,
            "ARN - An Amazon Resource Name (ARN) for the key, for example "
            "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab.",
            _EFS_CREATE),
        "database_instance": CrossAccountKeys("Amazon RDS", True, _RDS_ARN, _RDS_INSTANCE),
        "database_cluster": CrossAccountKeys(
            "Amazon RDS and Aurora", True, _RDS_ARN, _RDS_CLUSTER),
        "secret": CrossAccountKeys(
            "AWS Secrets Manager", True,
            "To use a KMS key in a different account, use the key ARN or the alias ARN.",
            _SECRETS_CREATE),
        "backup_vault": CrossAccountKeys(
            "AWS Backup", None,
            "The server-side encryption key that is used to protect your backups; for example, "
            "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab.",
            _BACKUP_CREATE),
        "repository": CrossAccountKeys(
            "Amazon ECR", None,
            "When you use AWS KMS to encrypt your data, you can either use the default AWS "
            "managed key, which is managed by Amazon ECR, or specify your own KMS key (referred "
            "to as a customer managed key).", _ECR),
        "event_bus": CrossAccountKeys(
            "Amazon EventBridge", None,
            "If you use a customer managed key in your account to protect your EventBridge "
            "resources, the policies on that KMS key must give EventBridge permission to use it "
            "on your behalf.", _EVENTS_KEY),
        "opensearch_domain": CrossAccountKeys(
            "Amazon OpenSearch Service", None,
            "OpenSearch Service supports only symmetric encryption KMS keys, not asymmetric "
            "ones.", _OPENSEARCH),
        "docdb_cluster": CrossAccountKeys(
            "Amazon DocumentDB", True,
            "If you are creating a cluster using the same Amazon Web Services account that owns "
            "the KMS encryption key that is used to encrypt the new cluster, you can use the KMS "
            "key alias instead of the ARN for the KMS encryption key.", _DOCDB_CREATE),
    }
)  # fmt: skip

Verdict = Literal["pass", "warn", "refuse"]


def cross_account_verdict(
    store: str,
    key_account: str | None,
    stack_account: str | None,
    table: Mapping[str, CrossAccountKeys] | None = None,
) -> tuple[Verdict, str]:
    """Decide a store of kind ``store`` on a key of ``key_account`` in a stack of
    ``stack_account`` (None: not known at synth, e.g. an env-agnostic stack or a token ARN).

    ``refuse`` only when both accounts are known, differ, and AWS says the service does not
    accept a key of another account; ``warn`` when they differ and AWS does not say, or when an
    account is unknown and the service refuses keys of other accounts (undecidable); otherwise
    ``pass``. The text says why, with AWS's words and page.
    """
    row = (CROSS_ACCOUNT_KEYS if table is None else table).get(store)
    if row is None:  # fail closed: a store kind nobody classified
        return (
            "warn",
            f"no row for {store!r} in CROSS_ACCOUNT_KEYS; keys of other accounts unchecked",
        )
    title, _, url = row.source.rpartition(" (")
    cite = f'AWS: "{row.quote}" ({title.strip()}, {url.rstrip(")")})'
    if key_account is None or stack_account is None:
        if row.accepted is False:
            return "warn", (
                f"{row.service} does not accept a KMS key of another account ({cite}), and the "
                "key's or the stack's account is not known at synth; give the stack an env "
                "account and the reference a literal key ARN so this can be decided"
            )
        return "pass", ""
    if key_account == stack_account or row.accepted is True:
        return "pass", ""
    if row.accepted is False:
        return "refuse", (
            f"{row.service} does not accept a KMS key of another account ({cite}); the domain "
            f"key is in account {key_account}, the store's stack in {stack_account}. Instead, "
            f"{row.instead or _CROSS_ACCOUNT_INSTEAD}."
        )
    return "warn", (
        f"AWS does not document whether {row.service} accepts a KMS key of another account "
        f"(the key is in account {key_account}, the store's stack in {stack_account}; {cite}). "
        "Verify with a test deployment before relying on it"
    )


def render_cross_account_markdown() -> str:
    """The cross-account table as markdown (the README's block between the
    ``cross-account:start``/``end`` markers is this text)."""
    lines = [
        "| store method | service | key of another account | AWS says | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    verdicts = {True: "accepted", False: "refused", None: "not documented (warns)"}
    for store, row in CROSS_ACCOUNT_KEYS.items():
        title, _, url = row.source.rpartition(" (")
        lines.append(
            f"| `{store}` | {row.service} | {verdicts[row.accepted]} | {row.quote} | "
            f"[{title.strip()}]({url.rstrip(')')}) |"
        )
    return "\n".join(lines) + "\n"

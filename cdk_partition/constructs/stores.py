"""Store factories: ``DataDomain`` methods that create CDK L2 stores on the domain key.

Each method is the L2 plus the domain's encryption mixin (:class:`~.mixin.DomainEncryptionAtRest`,
one path, so a store method and ``domain.encryption_at_rest()`` cannot drift): it takes the L2's
own keyword props, refuses conflicting encryption settings (it never silently overrides them),
gives the L2 the domain key where the L2 takes one without delegating to the whole account (the
CDK's integration wiring reads the L2's key: ``SqsSubscription``, ``targets.SqsQueue``, server
access logs into a bucket, a Firehose source stream write or absorb their service's key-policy
statement only for a keyed store), then applies the mixin to the L2's subtree, which sets
everything else (the generated secrets of databases, Performance Insights of cluster instances,
the switches, the bucket's PUT-deny policy) and checks what the L2 set. ``secret`` and ``volume``
give the L2 no key (given one, it would delegate to the whole account through the service), nor
do ``log_group``, ``repository`` and ``event_bus`` (no CDK wiring reads their key; the event
bus's statement follows it by type): the mixin sets the L1. ``table_v2`` gives the L2 the
domain's key of each replica's region, which the mixin then finds there. ``ebs_volume`` is not a
construct (block device options for a launch template or instance, to which the mixin applies
the same). Methods whose service needs the key policy's help add a scoped statement with a
stable Sid (see :mod:`cdk_partition.constructs.key_policy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_docdb as docdb
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_efs as efs
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from ..marks import REPLICA_KEYS_METADATA_KEY
from . import _signatures
from ._messages import path_of, render
from ._typed import _args_of, _props_of, _signature
from .encryption import (
    ConflictingEncryptionError,
    _refuse,
    _take_encryption,
    _take_nested,
    _wrong_replica_key,
)
from .mixin import DomainEncryptionAtRest
from .store_access import StoreAccess


class StoreFactories(StoreAccess):
    """Mixin of :class:`~cdk_partition.DataDomain`: one method per kind of store (store grants,
    service publishers and key-policy wiring: :class:`~.store_access.StoreAccess`)."""

    def _mixed(self, store: Any) -> Any:
        """``store`` (an L2 built without a key) put on the domain key by the encryption mixin:
        the store methods and ``domain.encryption_at_rest()`` are one path.

        :raises ConflictingEncryptionError: an L1 under ``store`` names another key (through
            jsii, as a ``RuntimeError`` with the same text)."""
        cdk.Mixins.of(store).apply(DomainEncryptionAtRest(cast(Any, self)))
        return store

    @_props_of(s3.Bucket)
    def bucket(self, id: str, **props: Any) -> s3.Bucket:
        """An S3 bucket on the domain key (``s3.BucketProps`` pass through).

        Defaults: bucket key enabled, SSL enforced, public access blocked, and a bucket policy
        that denies ``s3:PutObject`` asking for another encryption, naming another key (give the
        key ARN, not its id or alias), or asking for ``aws:kms`` without a key (S3 would use
        ``aws/s3``). Puts without encryption headers get the domain key. Removal policy as CDK's
        default (RETAIN).
        """
        _take_encryption(
            self, f"bucket {id}", props, key_prop="encryption_key", mode_prop="encryption",
            mode_value=s3.BucketEncryption.KMS,
        )  # fmt: skip
        props.setdefault("bucket_key_enabled", True)
        props.setdefault("enforce_ssl", True)
        props.setdefault("block_public_access", s3.BlockPublicAccess.BLOCK_ALL)
        # the mixin adds the PUT-deny bucket policy
        bucket = self._mixed(s3.Bucket(self, id, **props))  # type: ignore[arg-type]
        if props.get("replication_rules"):
            # the replication role reads the source objects and writes the replicas through S3
            role = props.get("replication_role") or bucket.node.try_find_child("ReplicationRole")
            if role is not None and getattr(role, "role_arn", None):
                self._allow_store_role("bucket_replication", cast(iam.IRole, role))
        return bucket

    @_signature(_signatures.queue)
    def queue(
        self, id: str, *, dead_letter_max_receive_count: int | None = None, **props: Any
    ) -> sqs.Queue:
        """An SQS queue on the domain key (``sqs.QueueProps`` pass through).

        The L2 is given the key as well as the mixin (which finds it there and turns what else
        the slot needs): the CDK's own wiring of SNS subscriptions, EventBridge targets and S3
        notifications into the queue writes the service's publisher statement only for a queue
        whose ``encryption_master_key`` it can read.

        :param dead_letter_max_receive_count: when set, also create a dead-letter queue
            (``<id>DeadLetter``) on the domain key, FIFO for a FIFO queue, and redrive to it
            after that many receives. A ``dead_letter_queue=`` you pass must itself be on the
            domain key, and FIFO exactly when the queue is (else ``ConflictingEncryptionError``:
            SQS refuses the redrive).
            Default: no dead-letter queue.
        """
        _take_encryption(
            self, f"queue {id}", props, key_prop="encryption_master_key", mode_prop="encryption",
            mode_value=sqs.QueueEncryption.KMS,
        )  # fmt: skip
        props.setdefault("enforce_ssl", True)
        given = props.get("dead_letter_queue")
        if given is not None and dead_letter_max_receive_count is not None:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.queue(...) got dead_letter_queue= and "
                "dead_letter_max_receive_count=; pass one of them, not both.",
                path=path_of(self, id),
                prop="dead_letter_queue",
            )
        if given is not None and given.queue.encryption_master_key is not self.key:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.queue(..., dead_letter_queue=) names the queue "
                f"{path_of(given.queue)}, which is not on the key of {self}; create it with "
                "domain.queue(...) or use dead_letter_max_receive_count=.",
                path=path_of(self, id),
                prop="dead_letter_queue",
            )
        # "the queue type must match the source queue type—a FIFO queue can only use a FIFO DLQ,
        # and a standard queue can only use a standard DLQ" (Amazon SQS Developer Guide,
        # "Configure a dead-letter queue using the Amazon SQS console",
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html)
        fifo = bool(props.get("fifo")) or str(props.get("queue_name") or "").endswith(".fifo")
        if given is not None and bool(given.queue.fifo) != fifo:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.queue(..., dead_letter_queue=) names "
                f"{path_of(given.queue)}, a {'FIFO' if given.queue.fifo else 'standard'} queue, "
                f"for a {'FIFO' if fifo else 'standard'} queue; SQS refuses it (the dead-letter "
                "queue of a FIFO queue must be a FIFO queue, of a standard queue a standard "
                "one): use dead_letter_max_receive_count=, which creates the matching one.",
                path=path_of(self, id),
                prop="dead_letter_queue",
            )
        if dead_letter_max_receive_count is not None:
            dlq = self.queue(
                f"{id}DeadLetter", retention_period=cdk.Duration.days(14), fifo=fifo or None
            )
            props["dead_letter_queue"] = sqs.DeadLetterQueue(
                queue=dlq, max_receive_count=dead_letter_max_receive_count
            )
        return self._mixed(sqs.Queue(self, id, **props))  # type: ignore[arg-type]

    @_props_of(sns.Topic)
    def topic(self, id: str, **props: Any) -> sns.Topic:
        """An SNS topic on the domain key (``sns.TopicProps`` pass through).

        The L2 is given the key as well as the mixin (as :meth:`queue`): the CDK's own wiring of
        EventBridge targets and S3 notifications into the topic writes the service's publisher
        statement only for a topic whose ``master_key`` it can read."""
        _take_encryption(self, f"topic {id}", props, key_prop="master_key")
        props.setdefault("enforce_ssl", True)
        return self._mixed(sns.Topic(self, id, **props))  # type: ignore[arg-type]

    @_props_of(dynamodb.Table)
    def table(self, id: str, **props: Any) -> dynamodb.Table:
        """A DynamoDB table on the domain key (``dynamodb.TableProps`` pass through).

        :raises ConflictingEncryptionError: ``replication_regions=``: the L2's global table
            takes no customer managed key (aws-cdk-lib refuses
            ``TableEncryption.CUSTOMER_MANAGED`` there); use :meth:`table_v2` with ``replicas``.
        """
        if props.get("replication_regions"):
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.table(..., replication_regions=) cannot be on the "
                "domain key: aws-cdk-lib's dynamodb.Table does not support "
                "TableEncryption.CUSTOMER_MANAGED for global tables. Use "
                "domain.table_v2(id, partition_key=..., replicas=[dynamodb.ReplicaTableProps("
                "region=...)]) on a multi-Region domain (DataDomain(replica_regions=[...])).",
                path=path_of(self, id),
                prop="replication_regions",
            )
        _take_encryption(
            self, f"table {id}", props, key_prop="encryption_key", mode_prop="encryption",
            mode_value=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        )  # fmt: skip
        return self._mixed(dynamodb.Table(self, id, **props))  # type: ignore[arg-type]

    @_signature(_signatures.table_v2)
    def table_v2(
        self, id: str, *, replica_key_arns: Mapping[str, str] | None = None, **props: Any
    ) -> dynamodb.TableV2:
        """A DynamoDB TableV2 (global table) on the domain key (``TablePropsV2`` pass through).

        Replicas in other regions need a key there: pass their key ARNs as
        ``replica_key_arns={"eu-west-1": ...}``. Default: no replica keys. Those keys live outside
        this cloud assembly, so the checks cannot read their key policies: the method declares
        them in the template (``cdk_partition:replica_keys`` metadata) and the checks report each
        as a warning to verify (``CDKP010``) rather than as another key.

        On a multi-Region domain (``replica_regions``), each replica gets the domain's key of its
        region without being asked: the ARN of the primary key's id in that region (replica keys
        share the primary's key id). A replica in a region the domain does not span raises; a
        ``replica_key_arns`` entry must be that same ARN.
        """
        given: Any = props.get("encryption")
        if getattr(given, "table_key", None) is self.key and not given.replica_key_arns:
            props.pop("encryption")  # the domain's own key, as the method sets it anyway
        _refuse(
            self, f"table_v2 {id}", props, "encryption", "TableEncryptionV2.customer_managed_key"
        )
        regions = [
            r.get("region") if isinstance(r, dict) else getattr(r, "region", None)
            for r in props.get("replicas") or []
        ]
        computed = self._multi_region_key_arns(
            f"table_v2 {id!r}", [*regions, *(replica_key_arns or {})]
        )
        if computed is not None:
            stack = cdk.Stack.of(self)
            for region, arn in (replica_key_arns or {}).items():
                if stack.resolve(arn) != stack.resolve(computed[region]):
                    raise ConflictingEncryptionError(
                        f"table_v2 {id!r} of {self}: replica_key_arns[{region!r}] is not the "
                        f"domain's key in {region}; drop replica_key_arns (the method sets it)."
                    )
            replica_key_arns = computed or None
        else:
            missing = [r for r in regions if r is not None and r not in (replica_key_arns or {})]
            if missing:
                raise ValueError(
                    f"table_v2 {id!r} of {self}: replicas in {missing}, where the domain has no "
                    "key. Make the domain multi-Region (DataDomain(replica_regions=[...]) and "
                    "domain.replica(...) in each region), or pass replica_key_arns."
                )
            stack = cdk.Stack.of(self)
            for region, arn in (replica_key_arns or {}).items():
                # a reference's keys are in its owner's account
                account = getattr(self, "key_account", None) or stack.account
                wrong = _wrong_replica_key(arn, region, account)
                if wrong:
                    raise ConflictingEncryptionError(
                        f"{path_of(self, id)}: table_v2 replica_key_arns[{region!r}] = {arn!r} "
                        f"{wrong}. Give the ARN of the domain's key in {region} (a DynamoDB "
                        "replica needs a key of its own region, in the domain's account)."
                    )
        props["encryption"] = dynamodb.TableEncryptionV2.customer_managed_key(
            self.key, replica_key_arns=replica_key_arns
        )
        table = dynamodb.TableV2(self, id, **props)  # type: ignore[arg-type]
        if replica_key_arns and computed is None:
            # the replicas' keys live in other regions, outside this assembly: declare them, so
            # the checks report them as keys to verify (CDKP010) instead of another key (CDKP004)
            cfn = table.node.default_child
            assert isinstance(cfn, cdk.CfnResource)
            cfn.add_metadata(REPLICA_KEYS_METADATA_KEY, dict(replica_key_arns))
        # the L2 plus the mixin: it finds every replica on the domain's key of its region (the
        # declared keys above, or the multi-Region domain's) and sets what else the type needs
        return self._mixed(table)

    @_props_of(kinesis.Stream)
    def stream(self, id: str, **props: Any) -> kinesis.Stream:
        """A Kinesis data stream on the domain key (``kinesis.StreamProps`` pass through)."""
        _take_encryption(
            self, f"stream {id}", props, key_prop="encryption_key", mode_prop="encryption",
            mode_value=kinesis.StreamEncryption.KMS,
        )  # fmt: skip
        return self._mixed(kinesis.Stream(self, id, **props))  # type: ignore[arg-type]

    @_props_of(firehose.DeliveryStream)
    def delivery_stream(self, id: str, **props: Any) -> firehose.DeliveryStream:
        """A Firehose delivery stream whose buffered data is on the domain key
        (``firehose.DeliveryStreamProps`` pass through; give it a ``destination``).

        The L2 plus the mixin: everything the L2 creates under it is put on the domain key,
        the error log group the destination creates by default included (or give it
        ``logging_config=EnableLogging(domain.log_group(...))``).

        With a Kinesis data stream as ``source`` (``firehose.KinesisStreamSource(stream)``) the
        delivery stream takes no encryption setting: "When you configure a Kinesis data stream
        as the data source of a Firehose stream, Firehose no longer stores the data at rest.
        Instead, the data is stored in the data stream" (Amazon Data Firehose Developer Guide,
        "Data protection in Amazon Data Firehose",
        https://docs.aws.amazon.com/firehose/latest/dev/encryption.html). Give it a domain
        stream (:meth:`stream`; the checks hold the source stream to the domain key like any
        store), and the role Firehose reads it with is named in the key policy (``kms:Decrypt``
        through Kinesis only: contract row ``delivery_stream_from_stream``).

        :raises ValueError: for ``encryption=`` other than the domain key's own
            ``StreamEncryption.customer_managed_key(domain.key)`` (the domain sets it), or any
            ``encryption=`` with a Kinesis source.
        """
        source = props.get("source")
        given = props.get("encryption")
        if source is None and getattr(given, "encryption_key", None) is self.key:
            props.pop("encryption")  # the domain's own key, as the method sets it anyway
        _refuse(self, f"delivery_stream {id}", props, "encryption", "customer managed key")
        if source is None:
            props["encryption"] = firehose.StreamEncryption.customer_managed_key(self.key)
        # the L2 plus the mixin (one path): with a Kinesis source the catalogue's slot is not in
        # use (only_if), so the mixin leaves the stream's encryption alone, as AWS requires
        stream = self._mixed(firehose.DeliveryStream(self, id, **props))  # type: ignore[arg-type]
        # the S3 destination role the CDK creates writes the (domain) bucket through S3; its IAM
        # policy limits it to the destination, the key policy to S3 (kms:ViaService). The
        # stream's other roles (a Kinesis source's service role) never write S3.
        roles = [n for n in stream.node.find_all() if isinstance(n, iam.Role)]
        writers = [r for r in roles if r.node.id == "S3 Destination Role"] or roles
        for role in writers:
            self._allow_store_role("delivery_stream_to_bucket", role)
        if source is not None:
            # the delivery stream's service role reads the source stream (source.grant_read)
            reader = props.get("role") or stream.grant_principal
            if getattr(reader, "role_arn", None) is None:
                raise ValueError(
                    f"{path_of(self, id)}: delivery_stream(role={render(reader)}): the "
                    "role Firehose reads the source stream with must be an IAM role, named in "
                    "the key policy; pass an iam.Role (or leave role= out)."
                )
            self._allow_store_role("delivery_stream_from_stream", cast(iam.IRole, reader))
        return stream

    @_props_of(logs.LogGroup)
    def log_group(self, id: str, **props: Any) -> logs.LogGroup:
        """A CloudWatch Logs log group on the domain key (``logs.LogGroupProps`` pass through).

        The key policy gets ``AllowLogsService`` at synth, as for any log group on the key
        (``logs.LogGroup(encryption_key=domain.key)`` alike): the regional Logs service principal
        may use the key only for log groups named by ``kms:EncryptionContext:aws:logs:arn`` (this
        group when ``log_group_name`` is a literal name, else the account's log groups in the
        region).
        Default removal policy: RETAIN.
        """
        _take_encryption(self, f"log_group {id}", props, key_prop="encryption_key", check_only=True)
        props.setdefault("removal_policy", cdk.RemovalPolicy.RETAIN)
        return self._mixed(logs.LogGroup(self, id, **props))  # type: ignore[arg-type]

    @_props_of(ec2.Volume)
    def volume(self, id: str, **props: Any) -> ec2.Volume:
        """An EBS volume on the domain key (``ec2.VolumeProps`` pass through).

        The key is set on the L1 (``KmsKeyId``, by the mixin): given a key, the L2 adds a
        key-policy statement delegating to the whole account via EC2. The deployment role gets the grants and the
        via-EC2 data-key use that creating the volume needs (see README).
        """
        _take_encryption(
            self, f"volume {id}", props, key_prop="encryption_key", mode_prop="encrypted",
            mode_value=True, check_only=True,
        )  # fmt: skip
        volume = self._mixed(ec2.Volume(self, id, **props))  # type: ignore[arg-type]
        self._allow_ebs_infrastructure()
        return volume

    @_args_of(ec2.BlockDeviceVolume.ebs)
    def ebs_volume(self, volume_size: int, **options: Any) -> ec2.BlockDeviceVolume:
        """An EBS block device volume of ``volume_size`` GiB on the domain key, for the
        ``block_devices`` of :meth:`launch_template` or an ``ec2.Instance``
        (``ec2.EbsDeviceOptions`` pass through). The key policy gets the EBS contract rows:
        grants through EC2 for the deployment role, and the EC2 infrastructure role exempt from
        ``DenyEveryoneElse``.

        :raises ConflictingEncryptionError: when ``options`` name another key or
            ``encrypted=False``.
        """
        _take_encryption(
            self, "ebs_volume", options, key_prop="kms_key", mode_prop="encrypted",
            mode_value=True,
        )  # fmt: skip
        # whatever launches it (a launch template, an ec2.Instance) needs the EBS contract rows
        self._allow_ebs_infrastructure()
        return ec2.BlockDeviceVolume.ebs(volume_size, **options)

    @_signature(_signatures.launch_template)
    def launch_template(
        self, id: str, *, auto_scaling: bool = False, **props: Any
    ) -> ec2.LaunchTemplate:
        """An EC2 launch template whose EBS volumes are on the domain key
        (``ec2.LaunchTemplateProps`` pass through).

        Every block device must be an EBS volume from :meth:`ebs_volume` (the root volume too:
        without a mapping it comes from the AMI, whose key the template cannot show).

        Key policy, from the service contracts (:mod:`cdk_partition.knowledge.contracts`): the deployment
        role may create grants through EC2, and ``DenyEveryoneElse`` exempts the EC2
        identity-only role (``role/aws:ec2-infrastructure/*``), which decrypts the volumes
        through a grant when an instance starts; a deny would stop instances from launching.

        :param auto_scaling: the template launches instances through EC2 Auto Scaling: the key
            policy names its service-linked role
            (``aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling``) with the
            data actions and grants for AWS resources AWS requires. Default: not named (the
            service-linked role could not launch instances with the domain's volumes).
        :raises ConflictingEncryptionError: when ``block_devices`` is missing or a volume is not
            one of :meth:`ebs_volume`.
        """
        devices = props.get("block_devices")
        if not devices:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.launch_template(...) needs block_devices=; pass "
                "block_devices=[ec2.BlockDevice(device_name='/dev/xvda', "
                "volume=domain.ebs_volume(8))]: without a mapping the root volume comes from the "
                "AMI, whose encryption the template cannot show.",
                path=path_of(self, id),
                prop="block_devices",
            )
        for device in devices:
            ebs = device.volume.ebs_device
            if ebs is None or ebs.kms_key is not self.key or ebs.encrypted is not True:
                raise ConflictingEncryptionError(
                    f"{path_of(self, id)}: domain.launch_template(..., block_devices=) has "
                    f"device {device.device_name!r}, which is not on the key of {self}; create "
                    "its volume with domain.ebs_volume(...).",
                    path=path_of(self, id),
                    prop="block_devices",
                )
        template = self._mixed(ec2.LaunchTemplate(self, id, **props))  # type: ignore[arg-type]
        self._allow_ebs_infrastructure()
        if auto_scaling:
            self._allow_linked_role("launch_template_auto_scaling")
        return template

    @_props_of(efs.FileSystem)
    def file_system(self, id: str, **props: Any) -> efs.FileSystem:
        """An EFS file system on the domain key (``efs.FileSystemProps`` pass through)."""
        _take_encryption(
            self, f"file_system {id}", props, key_prop="kms_key", mode_prop="encrypted",
            mode_value=True,
        )  # fmt: skip
        return self._mixed(efs.FileSystem(self, id, **props))  # type: ignore[arg-type]

    @_props_of(rds.DatabaseInstance)
    def database_instance(self, id: str, **props: Any) -> rds.DatabaseInstance:
        """An RDS instance with storage, Performance Insights (when enabled) and the generated
        master secret on the domain key (``rds.DatabaseInstanceProps`` pass through)."""
        _take_encryption(
            self, f"database_instance {id}", props, key_prop="storage_encryption_key",
            mode_prop="storage_encrypted", mode_value=True,
        )  # fmt: skip
        if props.get("enable_performance_insights") or props.get(
            "performance_insight_encryption_key"
        ):
            _take_encryption(
                self, f"database_instance {id}", props,
                key_prop="performance_insight_encryption_key",
            )  # fmt: skip
        props.setdefault("credentials", rds.Credentials.from_generated_secret("dbadmin"))
        return self._mixed(rds.DatabaseInstance(self, id, **props))  # type: ignore[arg-type]

    @_props_of(rds.DatabaseCluster)
    def database_cluster(self, id: str, **props: Any) -> rds.DatabaseCluster:
        """An RDS/Aurora cluster with storage, the generated master secret and its instances'
        Performance Insights (when enabled) on the domain key (``rds.DatabaseClusterProps`` pass
        through)."""
        _take_encryption(
            self, f"database_cluster {id}", props, key_prop="storage_encryption_key",
            mode_prop="storage_encrypted", mode_value=True,
        )  # fmt: skip
        props.setdefault("credentials", rds.Credentials.from_generated_secret("dbadmin"))
        return self._mixed(rds.DatabaseCluster(self, id, **props))  # type: ignore[arg-type]

    @_props_of(secretsmanager.Secret)
    def secret(self, id: str, **props: Any) -> secretsmanager.Secret:
        """A Secrets Manager secret on the domain key (``secretsmanager.SecretProps`` pass
        through). The deployment role may use the key via Secrets Manager to store the value.

        The key is set on the L1 (``KmsKeyId``, by the mixin), not through the L2's
        ``encryption_key``: given
        a key, the L2 adds key-policy statements that delegate to the whole account via Secrets
        Manager, which is what a domain key must not do. So ``secret.encryption_key`` is None;
        access to the value is the domain's read capability plus the secret's own grants.
        """
        _take_encryption(self, f"secret {id}", props, key_prop="encryption_key", check_only=True)
        regions = [getattr(r, "region", None) for r in props.get("replica_regions") or []]
        if regions and self._multi_region_key_arns(f"secret {id!r}", regions) is None:
            # a replica's key is of its own Region (AWS Secrets Manager User Guide, "Replicate
            # AWS Secrets Manager secrets across Regions", the console steps: for Encryption key
            # "choose a KMS key to encrypt the secret with. The key must be in the replica
            # Region", https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html)
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.secret(..., replica_regions=) replicates into "
                f"{regions}, where the single-Region domain has no key (a KMS key is Regional). "
                "Make the domain multi-Region (DataDomain(replica_regions=[...]) and "
                "domain.replica(...) in each region), or drop replica_regions.",
                path=path_of(self, id),
                prop="replica_regions",
            )
        return self._mixed(secretsmanager.Secret(self, id, **props))  # type: ignore[arg-type]

    @_props_of(backup.BackupVault)
    def backup_vault(self, id: str, **props: Any) -> backup.BackupVault:
        """An AWS Backup vault on the domain key (``backup.BackupVaultProps`` pass through).
        Default removal policy: RETAIN."""
        _take_encryption(self, f"backup_vault {id}", props, key_prop="encryption_key")
        props.setdefault("removal_policy", cdk.RemovalPolicy.RETAIN)
        return self._mixed(backup.BackupVault(self, id, **props))  # type: ignore[arg-type]

    @_props_of(ecr.Repository)
    def repository(self, id: str, **props: Any) -> ecr.Repository:
        """An ECR repository on the domain key (``ecr.RepositoryProps`` pass through)."""
        _take_encryption(
            self, f"repository {id}", props, key_prop="encryption_key", mode_prop="encryption",
            mode_value=ecr.RepositoryEncryption.KMS, check_only=True,
        )  # fmt: skip
        return self._mixed(ecr.Repository(self, id, **props))  # type: ignore[arg-type]

    @_props_of(events.EventBus)
    def event_bus(self, id: str, **props: Any) -> events.EventBus:
        """An EventBridge event bus on the domain key (``events.EventBusProps`` pass through)."""
        _take_encryption(self, f"event_bus {id}", props, key_prop="kms_key", check_only=True)
        return self._mixed(events.EventBus(self, id, **props))  # type: ignore[arg-type]

    # -- more kinds where the CDK L2 takes a customer key ------------------------------------
    @_props_of(opensearch.Domain)
    def opensearch_domain(self, id: str, **props: Any) -> opensearch.Domain:
        """An OpenSearch Service domain encrypted at rest with the domain key
        (``opensearchservice.DomainProps`` pass through; ``encryption_at_rest`` is built by the
        method, an ``EncryptionAtRestOptions`` you pass must say ``enabled=True`` and name no
        other key). Defaults: node-to-node encryption on, HTTPS enforced.

        Key policy: OpenSearch attaches the key through grants, so the deployment role gets
        ``AllowGrantsForAWSResources`` and ``es.<region>.amazonaws.com`` in
        ``AllowDeploymentViaServices``. Removal policy as CDK's default (RETAIN).
        """
        _take_nested(
            self, f"opensearch_domain {id}", props, "encryption_at_rest",
            opensearch.EncryptionAtRestOptions, key_prop="kms_key", mode_prop="enabled",
            mode_value=True,
        )  # fmt: skip
        props.setdefault("node_to_node_encryption", True)
        props.setdefault("enforce_https", True)
        return self._mixed(opensearch.Domain(self, id, **props))  # type: ignore[arg-type]

    @_props_of(docdb.DatabaseCluster)
    def docdb_cluster(self, id: str, **props: Any) -> docdb.DatabaseCluster:
        """An Amazon DocumentDB cluster with storage and the generated master secret on the
        domain key (``docdb.DatabaseClusterProps`` pass through; ``master_user`` required).

        The secret's key is set on the L1: ``Login(kms_key=...)`` would make the L2 add
        statements delegating to the whole account via Secrets Manager, so it is refused.
        Key policy: grants and data keys via RDS (DocumentDB's ``kms:ViaService``) and Secrets
        Manager for the deployment role. Removal policy as CDK's default (RETAIN).
        """
        _take_encryption(
            self, f"docdb_cluster {id}", props, key_prop="kms_key", mode_prop="storage_encrypted",
            mode_value=True,
        )  # fmt: skip
        login = props.get("master_user")
        if login is not None and login.kms_key is not None:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.docdb_cluster(..., master_user=Login(kms_key="
                f"{render(login.kms_key)})): the method puts the generated secret on the key of "
                f"{self}; drop kms_key= from the Login.",
                path=path_of(self, id),
                prop="master_user.kms_key",
            )
        return self._mixed(docdb.DatabaseCluster(self, id, **props))  # type: ignore[arg-type]

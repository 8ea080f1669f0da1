"""Signatures of the store methods with keyword arguments of their own (generated).

Written by ``tools/gen_signatures.py`` from aws-cdk-lib 2.275.0; do not edit by hand:
``tests/test_typing.py`` fails when this file differs from what the script writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aws_cdk
    import aws_cdk.aws_dynamodb
    import aws_cdk.aws_ec2
    import aws_cdk.aws_iam
    import aws_cdk.aws_kinesis
    import aws_cdk.aws_kms
    import aws_cdk.aws_sqs
    import aws_cdk.interfaces.aws_ec2

__all__: list[str] = []


def queue(
    self: Any,
    id: str,
    /,
    *,
    dead_letter_max_receive_count: int | None = None,
    content_based_deduplication: bool | None = None,
    data_key_reuse: aws_cdk.Duration | None = None,
    dead_letter_queue: aws_cdk.aws_sqs.DeadLetterQueue | dict[str, Any] | None = None,
    deduplication_scope: aws_cdk.aws_sqs.DeduplicationScope | None = None,
    delivery_delay: aws_cdk.Duration | None = None,
    encryption: aws_cdk.aws_sqs.QueueEncryption | None = None,
    encryption_master_key: aws_cdk.aws_kms.IKey | None = None,
    enforce_ssl: bool | None = None,
    fifo: bool | None = None,
    fifo_throughput_limit: aws_cdk.aws_sqs.FifoThroughputLimit | None = None,
    max_message_size_bytes: int | float | None = None,
    queue_name: str | None = None,
    receive_message_wait_time: aws_cdk.Duration | None = None,
    redrive_allow_policy: aws_cdk.aws_sqs.RedriveAllowPolicy | dict[str, Any] | None = None,
    removal_policy: aws_cdk.RemovalPolicy | None = None,
    retention_period: aws_cdk.Duration | None = None,
    visibility_timeout: aws_cdk.Duration | None = None,
) -> aws_cdk.aws_sqs.Queue:
    """:meth:`~cdk_partition.constructs.stores.StoreFactories.queue`: its own keyword arguments, then
    ``aws_cdk.aws_sqs.Queue``'s."""
    raise NotImplementedError


def table_v2(
    self: Any,
    id: str,
    /,
    *,
    replica_key_arns: Mapping[str, str] | None = None,
    partition_key: aws_cdk.aws_dynamodb.Attribute | dict[str, Any],
    billing: aws_cdk.aws_dynamodb.Billing | None = None,
    dynamo_stream: aws_cdk.aws_dynamodb.StreamViewType | None = None,
    encryption: aws_cdk.aws_dynamodb.TableEncryptionV2 | None = None,
    global_secondary_indexes: Sequence[
        aws_cdk.aws_dynamodb.GlobalSecondaryIndexPropsV2 | dict[str, Any]
    ]
    | None = None,
    global_table_settings_replication_mode: aws_cdk.aws_dynamodb.GlobalTableSettingsReplicationMode
    | None = None,
    local_secondary_indexes: Sequence[
        aws_cdk.aws_dynamodb.LocalSecondaryIndexProps | dict[str, Any]
    ]
    | None = None,
    multi_region_consistency: aws_cdk.aws_dynamodb.MultiRegionConsistency | None = None,
    removal_policy: aws_cdk.RemovalPolicy | None = None,
    replicas: Sequence[aws_cdk.aws_dynamodb.ReplicaTableProps | dict[str, Any]] | None = None,
    sort_key: aws_cdk.aws_dynamodb.Attribute | dict[str, Any] | None = None,
    table_name: str | None = None,
    time_to_live_attribute: str | None = None,
    warm_throughput: aws_cdk.aws_dynamodb.WarmThroughput | dict[str, Any] | None = None,
    witness_region: str | None = None,
    contributor_insights: bool | None = None,
    contributor_insights_specification: aws_cdk.aws_dynamodb.ContributorInsightsSpecification
    | dict[str, Any]
    | None = None,
    deletion_protection: bool | None = None,
    kinesis_stream: aws_cdk.aws_kinesis.IStream | None = None,
    point_in_time_recovery: bool | None = None,
    point_in_time_recovery_specification: aws_cdk.aws_dynamodb.PointInTimeRecoverySpecification
    | dict[str, Any]
    | None = None,
    resource_policy: aws_cdk.aws_iam.PolicyDocument | None = None,
    stream_resource_policy: aws_cdk.aws_iam.PolicyDocument | None = None,
    table_class: aws_cdk.aws_dynamodb.TableClass | None = None,
    tags: Sequence[aws_cdk.CfnTag | dict[str, Any]] | None = None,
) -> aws_cdk.aws_dynamodb.TableV2:
    """:meth:`~cdk_partition.constructs.stores.StoreFactories.table_v2`: its own keyword arguments, then
    ``aws_cdk.aws_dynamodb.TableV2``'s."""
    raise NotImplementedError


def launch_template(
    self: Any,
    id: str,
    /,
    *,
    auto_scaling: bool = False,
    associate_public_ip_address: bool | None = None,
    block_devices: Sequence[aws_cdk.aws_ec2.BlockDevice | dict[str, Any]] | None = None,
    cpu_credits: aws_cdk.aws_ec2.CpuCredits | None = None,
    cpu_options: aws_cdk.aws_ec2.LaunchTemplateCpuOptions | dict[str, Any] | None = None,
    detailed_monitoring: bool | None = None,
    disable_api_termination: bool | None = None,
    ebs_optimized: bool | None = None,
    hibernation_configured: bool | None = None,
    http_endpoint: bool | None = None,
    http_protocol_ipv6: bool | None = None,
    http_put_response_hop_limit: int | float | None = None,
    http_tokens: aws_cdk.aws_ec2.LaunchTemplateHttpTokens | None = None,
    instance_initiated_shutdown_behavior: aws_cdk.aws_ec2.InstanceInitiatedShutdownBehavior
    | None = None,
    instance_metadata_tags: bool | None = None,
    instance_profile: aws_cdk.aws_iam.IInstanceProfile | None = None,
    instance_type: aws_cdk.aws_ec2.InstanceType | None = None,
    key_name: str | None = None,
    key_pair: aws_cdk.aws_ec2.IKeyPair | None = None,
    launch_template_name: str | None = None,
    machine_image: aws_cdk.aws_ec2.IMachineImage | None = None,
    nitro_enclave_enabled: bool | None = None,
    placement_group: aws_cdk.interfaces.aws_ec2.IPlacementGroupRef | None = None,
    require_imdsv2: bool | None = None,
    role: aws_cdk.aws_iam.IRole | None = None,
    security_group: aws_cdk.aws_ec2.ISecurityGroup | None = None,
    spot_options: aws_cdk.aws_ec2.LaunchTemplateSpotOptions | dict[str, Any] | None = None,
    user_data: aws_cdk.aws_ec2.UserData | None = None,
    version_description: str | None = None,
) -> aws_cdk.aws_ec2.LaunchTemplate:
    """:meth:`~cdk_partition.constructs.stores.StoreFactories.launch_template`: its own keyword arguments, then
    ``aws_cdk.aws_ec2.LaunchTemplate``'s."""
    raise NotImplementedError

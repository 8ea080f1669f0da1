"""The wiring of AWS services to stores, as a template shows it: which property of which resource
names a store that a service delivers into (or launches from), and which service-contract rows
(:data:`cdk_partition.knowledge.contracts.CONTRACTS`, each citing its AWS page) say what the
service then requests of the store's key.

One table, read by both halves: the key policy a domain renders at synth writes the contract's
statement for each wiring it finds in the app (``StoreAccess._follow_wiring``), and the audit
checks each wiring of a synthesized template against the key policy (CDKP021,
:mod:`cdk_partition.audit.integrations`).

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .delivery_rows import Delivery, destinations
from .run_roles import roles_at

__all__ = [
    "DELIVERIES",
    "SOURCE_ARN_PROPERTIES",
    "SOURCE_PROPERTIES",
    "SOURCE_TYPES",
    "WIRING",
    "Delivery",
    "Wiring",
    "destinations",
    "foreign_source",
    "named",
]


@dataclass(frozen=True)
class Wiring:
    """A property of ``source_type`` that names a store of ``store_type`` the service delivers
    into; ``contract`` is the service-contract row set that says what it requests."""

    source_type: str
    what: str
    store_type: str
    contract: str


#: The custom resource the CDK's ``bucket.add_event_notification`` writes: it calls S3's
#: PutBucketNotificationConfiguration with ``NotificationConfiguration`` as S3's API spells it
#: (Amazon S3 API Reference, "QueueConfiguration",
#: https://docs.aws.amazon.com/AmazonS3/latest/API/API_QueueConfiguration.html: ``QueueArn``,
#: "The Amazon Resource Name (ARN) of the Amazon SQS queue to which Amazon S3 publishes a message
#: when it detects events of the specified type"; "TopicConfiguration": ``TopicArn``).
_CDK_NOTIFICATIONS = "Custom::S3BucketNotifications"

#: Resources notifying a topic they name (AWS CloudFormation Template Reference: each type's
#: property, read by :func:`named`) -> the contract rows of their service's requests.
_NOTIFYING: Mapping[str, str] = {
    "AWS::RDS::EventSubscription": "notification_topic_rds",
    "AWS::DMS::EventSubscription": "notification_topic_dms",
    "AWS::Redshift::EventSubscription": "notification_topic_redshift",
    "AWS::DAX::Cluster": "notification_topic_dax",
    "AWS::CodeCommit::Repository": "notification_topic_codecommit",
    "AWS::AutoScaling::AutoScalingGroup": "auto_scaling_notification_topic",
}
#: The property naming the topic, by type ("SnsTopicArn": "The Amazon Resource Name (ARN) of the
#: SNS topic created for event notification", "AWS::RDS::EventSubscription"; DAX's
#: NotificationTopicARN; a CodeCommit RepositoryTrigger's DestinationArn; an Auto Scaling
#: NotificationConfiguration's TopicARN, "The Amazon Resource Name (ARN) of the Amazon SNS topic").
_TOPIC_PROPERTIES: Mapping[str, str] = {
    "AWS::DAX::Cluster": "NotificationTopicARN",
    "AWS::CodeCommit::Repository": "Triggers[].DestinationArn",
    "AWS::AutoScaling::AutoScalingGroup": "NotificationConfigurations[].TopicARN",
}

#: The deliveries followed (source type, what, store type, contract rows).
WIRING: tuple[Wiring, ...] = (
    Wiring("AWS::Events::Rule", "dead-letter queue of a target", "AWS::SQS::Queue",
           "rule_target_queue"),
    Wiring("AWS::Events::Rule", "target", "AWS::SQS::Queue", "rule_target_queue"),
    # an event bus's own dead-letter queue: "EventBridge sends custom and partner events to this
    # DLQ if it encounters a non-retriable error while processing the event on the event bus ...
    # for instructions on setting permissions, see Using dead-letter queues" (the rule targets'
    # page, whose rows these are: Amazon EventBridge User Guide, "Using dead-letter queues to
    # capture encrypted event errors in EventBridge",
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-dlq.html)
    Wiring("AWS::Events::EventBus", "dead-letter queue", "AWS::SQS::Queue", "rule_target_queue"),
    Wiring("AWS::Events::Rule", "target", "AWS::SNS::Topic", "rule_target_topic"),
    Wiring("AWS::SNS::Subscription", "dead-letter queue", "AWS::SQS::Queue",
           "topic_subscription_queue"),
    Wiring("AWS::SNS::Subscription", "endpoint", "AWS::SQS::Queue", "topic_subscription_queue"),
    Wiring("AWS::CloudWatch::Alarm", "alarm action", "AWS::SNS::Topic", "alarm_action_topic"),
    # a composite alarm notifies its topics the same way ("Currently, the only alarm actions
    # that can be taken by composite alarms are notifying SNS topics", AWS CloudFormation
    # Template Reference, "AWS::CloudWatch::CompositeAlarm",
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-compositealarm.html)
    Wiring("AWS::CloudWatch::CompositeAlarm", "alarm action", "AWS::SNS::Topic",
           "alarm_action_topic"),
    Wiring("AWS::S3::Bucket", "server access log destination", "AWS::S3::Bucket",
           "bucket_access_logs"),
    Wiring("AWS::S3::Bucket", "event notification", "AWS::SQS::Queue",
           "bucket_notification_queue"),
    Wiring("AWS::S3::Bucket", "event notification", "AWS::SNS::Topic",
           "bucket_notification_topic"),
    Wiring(_CDK_NOTIFICATIONS, "event notification", "AWS::SQS::Queue",
           "bucket_notification_queue"),
    Wiring(_CDK_NOTIFICATIONS, "event notification", "AWS::SNS::Topic",
           "bucket_notification_topic"),
    # EC2 Auto Scaling's service-linked role launches the group's instances with the volumes of
    # its launch template (or launch configuration) on the key: the rows cite "Required AWS KMS
    # key policy for use with encrypted volumes" (Amazon EC2 Auto Scaling User Guide)
    Wiring("AWS::AutoScaling::AutoScalingGroup", "launch template", "AWS::EC2::LaunchTemplate",
           "launch_template_auto_scaling"),
    Wiring("AWS::AutoScaling::AutoScalingGroup", "launch configuration",
           "AWS::AutoScaling::LaunchConfiguration", "launch_template_auto_scaling"),
    # DynamoDB's service-linked role streams a table's item-level changes into a Kinesis data
    # stream (the rows cite "DynamoDBKinesisReplicationServiceRolePolicy", AWS Managed Policy
    # Reference): on a domain key, the role must be named for its kms:GenerateDataKey
    Wiring("AWS::DynamoDB::Table", "Kinesis streaming destination", "AWS::Kinesis::Stream",
           "table_kinesis_stream"),
    Wiring("AWS::DynamoDB::GlobalTable", "Kinesis streaming destination of a replica",
           "AWS::Kinesis::Stream", "table_kinesis_stream"),
    # a table created by importing a bucket's objects: CloudFormation's role reads them (the row
    # cites "Requesting a table import in DynamoDB", Amazon DynamoDB Developer Guide)
    Wiring("AWS::DynamoDB::Table", "import source", "AWS::S3::Bucket", "table_import_source"),
    # services publishing their events into a topic: each is an event source of "Enable
    # compatibility between event sources from AWS services and encrypted topics" (the rows cite
    # "Managing Amazon SNS encryption keys and costs", Amazon SNS Developer Guide), by its service
    # principal, or by a role for EC2 Auto Scaling ("Some Amazon SNS event sources require you to
    # provide an IAM role (rather than the service principal) in the AWS KMS key policy")
    *(Wiring(source, "notification topic", "AWS::SNS::Topic", contract)
      for source, contract in _NOTIFYING.items()),
)  # fmt: skip

#: The resource types whose properties :func:`named` reads.
SOURCE_TYPES: frozenset[str] = frozenset(w.source_type for w in WIRING)

#: The top-level properties :func:`named` reads (a resource that sets none of them wires nothing;
#: the native walk resolves no other).
SOURCE_PROPERTIES: tuple[str, ...] = (
    "Targets", "RedrivePolicy", "Protocol", "Endpoint", "AlarmActions", "OKActions",
    "InsufficientDataActions", "LoggingConfiguration", "NotificationConfiguration",
    "LaunchTemplate", "MixedInstancesPolicy", "LaunchConfigurationName", "DeadLetterConfig",
    "KinesisStreamSpecification", "Replicas", "ImportSourceSpecification", "SnsTopicArn",
    "NotificationTopicARN", "Triggers", "NotificationConfigurations",
)  # fmt: skip

#: Source types whose source is another resource, named by a property: its ARN and its owner's
#: account are what the service sends as ``aws:SourceArn`` / ``aws:SourceAccount`` when it calls
#: KMS for the delivery. Every other source type in :data:`WIRING` is its own source (a rule, an
#: alarm, a bucket), in the stack's account. A subscription's topic may be another account's
#: (``sns.Topic.from_topic_arn(...)``): AWS CloudFormation Template Reference,
#: "AWS::SNS::Subscription", TopicArn, "The ARN of the topic to subscribe to"
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-subscription.html);
#: "the aws:SourceAccount condition key is only available when the call to your resource is made
#: directly by an AWS service principal", and for a delivery "Amazon S3 tells Amazon SNS the
#: account that the bucket belongs to" (IAM User Guide, "AWS global condition context keys",
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
SOURCE_ARN_PROPERTIES: Mapping[str, str] = {"AWS::SNS::Subscription": "TopicArn"}

_ACCOUNT_ID = re.compile(r"^\d{12}$")


def foreign_source(
    resource: Mapping[str, Any], account: str | None, canonical: Callable[[Any], Any]
) -> tuple[str, str] | None:
    """``(source ARN, its account)`` when ``resource`` delivers for a source of another account
    than ``account`` (the account of the store's key, or None when environment-agnostic: not
    the delivering resource's, which may be the partner's own stack) that its template names
    by a literal ARN (:data:`SOURCE_ARN_PROPERTIES`); pseudo parameters allowed, a deploy-time
    value is not literal. ``canonical``: the evaluator's canonical form of a template value (a
    string with ``${AWS::...}`` for pseudo parameters). Else None (the source is the stack's)."""
    prop = SOURCE_ARN_PROPERTIES.get(str(resource.get("Type")))
    props = resource.get("Properties")
    if prop is None or not isinstance(props, dict) or prop not in props:
        return None
    text = canonical(props[prop])
    if not isinstance(text, str):
        return None
    plain = text  # the pseudo parameters hold '::': read the ARN's parts without them
    for pseudo in ("${AWS::Partition}", "${AWS::Region}", "${AWS::URLSuffix}"):
        plain = plain.replace(pseudo, "pseudo")
    parts = plain.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not _ACCOUNT_ID.match(parts[4]):
        return None
    if "${" in parts[5] or "*" in text or "?" in text:
        return None  # not one literal source
    if parts[4] == account:
        return None
    return text, parts[4]


#: The alarm properties that name the actions CloudWatch takes (AWS CloudFormation Template
#: Reference, "AWS::CloudWatch::Alarm" and "AWS::CloudWatch::CompositeAlarm", AlarmActions /
#: OKActions / InsufficientDataActions).
_ALARM_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")
_ALARMS = ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")

#: S3 notification configurations that name a queue or a topic (AWS CloudFormation Template
#: Reference, "AWS::S3::Bucket NotificationConfiguration": QueueConfigurations[].Queue,
#: TopicConfigurations[].Topic).
_NOTIFICATIONS = (("QueueConfigurations", "Queue"), ("TopicConfigurations", "Topic"))
_API_NOTIFICATIONS = (("QueueConfigurations", "QueueArn"), ("TopicConfigurations", "TopicArn"))


def _notifications(notifications: Any, fields: tuple[tuple[str, str], ...]) -> Iterator[Any]:
    """The queues and topics a ``NotificationConfiguration`` names."""
    if isinstance(notifications, dict):
        for key, field in fields:
            configs = notifications.get(key)
            for config in configs if isinstance(configs, list) else []:
                if isinstance(config, dict) and field in config:
                    yield config[field]


def _launch_template(spec: Any) -> Iterator[tuple[str, Any]]:
    """A ``LaunchTemplateSpecification``'s ``LaunchTemplateId`` / ``LaunchTemplateName``."""
    if isinstance(spec, dict):
        for name in ("LaunchTemplateId", "LaunchTemplateName"):
            if name in spec:
                yield "launch template", spec[name]


def named(resource: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(what, value) of each property of ``resource`` (``{"Type", "Properties"}``) that names a
    store it delivers into or launches from."""
    props = resource.get("Properties") or {}
    if not isinstance(props, dict):
        return
    kind = resource.get("Type")
    if kind in _NOTIFYING:
        for topic in roles_at(props, _TOPIC_PROPERTIES.get(str(kind), "SnsTopicArn")):
            # a TopicARN may be a list of topics ("Type": ["string", "array"] in the schema)
            yield from (("notification topic", t) for t in (topic if isinstance(topic, list)
                                                           else [topic]))  # fmt: skip
    if kind == "AWS::Events::Rule":
        found = props.get("Targets")
        for target in found if isinstance(found, list) else []:
            if not isinstance(target, dict):
                continue
            dead = target.get("DeadLetterConfig")
            if isinstance(dead, dict) and "Arn" in dead:
                yield "dead-letter queue of a target", dead["Arn"]
            if "Arn" in target:
                yield "target", target["Arn"]
    elif kind == "AWS::Events::EventBus":
        dead = props.get("DeadLetterConfig")
        if isinstance(dead, dict) and "Arn" in dead:
            yield "dead-letter queue", dead["Arn"]
    elif kind == "AWS::SNS::Subscription":
        redrive = props.get("RedrivePolicy")
        if isinstance(redrive, dict) and "deadLetterTargetArn" in redrive:
            yield "dead-letter queue", redrive["deadLetterTargetArn"]
        if props.get("Protocol") == "sqs" and "Endpoint" in props:
            yield "endpoint", props["Endpoint"]
    elif kind in _ALARMS:
        for name in _ALARM_ACTIONS:
            actions = props.get(name)
            for action in actions if isinstance(actions, list) else []:
                yield "alarm action", action
    elif kind == "AWS::S3::Bucket":
        logging = props.get("LoggingConfiguration")
        if isinstance(logging, dict) and "DestinationBucketName" in logging:
            yield "server access log destination", logging["DestinationBucketName"]
        for value in _notifications(props.get("NotificationConfiguration"), _NOTIFICATIONS):
            yield "event notification", value
    elif kind == _CDK_NOTIFICATIONS:
        for value in _notifications(props.get("NotificationConfiguration"), _API_NOTIFICATIONS):
            yield "event notification", value
    elif kind == "AWS::AutoScaling::AutoScalingGroup":
        # AWS CloudFormation Template Reference, "AWS::AutoScaling::AutoScalingGroup"
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-autoscalinggroup.html):
        # LaunchTemplate, LaunchConfigurationName, and "AWS::AutoScaling::AutoScalingGroup
        # LaunchTemplate" (MixedInstancesPolicy): "Use this structure to specify the launch
        # templates and instance types (overrides) for a mixed instances policy" (its
        # LaunchTemplateSpecification, and each override's); a specification names the template
        # by LaunchTemplateId or LaunchTemplateName
        yield from _launch_template(props.get("LaunchTemplate"))
        mixed = props.get("MixedInstancesPolicy")
        template = mixed.get("LaunchTemplate") if isinstance(mixed, dict) else None
        if isinstance(template, dict):
            yield from _launch_template(template.get("LaunchTemplateSpecification"))
            overrides = template.get("Overrides")
            for override in overrides if isinstance(overrides, list) else []:
                if isinstance(override, dict):
                    yield from _launch_template(override.get("LaunchTemplateSpecification"))
        if "LaunchConfigurationName" in props:
            yield "launch configuration", props["LaunchConfigurationName"]
    elif kind == "AWS::DynamoDB::Table":
        # AWS CloudFormation Template Reference, "AWS::DynamoDB::Table
        # KinesisStreamSpecification" (StreamArn: "The ARN for a specific Kinesis data stream")
        yield from _kinesis_destination(props, "Kinesis streaming destination")
        # "AWS::DynamoDB::Table ImportSourceSpecification": S3BucketSource.S3Bucket, "The S3
        # bucket that is being imported from" (its name)
        spec = props.get("ImportSourceSpecification")
        source = spec.get("S3BucketSource") if isinstance(spec, dict) else None
        if isinstance(source, dict) and "S3Bucket" in source:
            yield "import source", source["S3Bucket"]
    elif kind == "AWS::DynamoDB::GlobalTable":
        # the same specification on each replica ("AWS::DynamoDB::GlobalTable
        # ReplicaSpecification", KinesisStreamSpecification)
        replicas = props.get("Replicas")
        for replica in replicas if isinstance(replicas, list) else []:
            if isinstance(replica, dict):
                yield from _kinesis_destination(
                    replica, "Kinesis streaming destination of a replica"
                )


def _kinesis_destination(props: Mapping[str, Any], what: str) -> Iterator[tuple[str, Any]]:
    """A ``KinesisStreamSpecification``'s ``StreamArn`` in ``props``."""
    spec = props.get("KinesisStreamSpecification")
    if isinstance(spec, dict) and "StreamArn" in spec:
        yield what, spec["StreamArn"]


#: The requests of a vended-log delivery into a bucket: a data key for each object, and the
#: bucket key's decryption (domain buckets use S3 Bucket Keys). The CloudWatch Logs statement
#: names ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (among five actions); "If the S3 bucket ...
#: uses server-side encryption with AWS KMS keys (SSE-KMS) with an S3 Bucket Key, you also need
#: to add the kms:Decrypt permission" (Amazon CloudFront Developer Guide, "Configure standard
#: logging (legacy)",
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html).
_DATA_KEY = ("kms:GenerateDataKey", "kms:Decrypt")

#: "For aws:SourceArn, specify the list of ARNs of the resource that generates the logs, in the
#: form arn:aws:logs:source-region:source-account-id:*" (the page below): the prefix of what the
#: log delivery service's requests carry.
_LOGS_SOURCE = "arn:{partition}:logs:{region}:{account}:"

#: The page of the statement every vended-log row declares (the CloudWatch Logs "V1
#: permissions" statement: principal ``delivery.logs.amazonaws.com``, scoped by
#: ``aws:SourceAccount`` and ``aws:SourceArn`` ``arn:aws:logs:<region>:<account>:*``).
_VENDED_LOGS = (
    'Amazon CloudWatch Logs User Guide, "Logs sent to Amazon S3" '
    "(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html)"
)
_VENDED_LOGS_QUOTE = (
    "If the bucket has server-side encryption using a customer managed AWS KMS key, you must "
    "also add the key policy for your customer managed key"
)

_LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"

_SES_RECEIVING = (
    'Amazon SES Developer Guide, "Giving permissions to Amazon SES for email receiving" '
    "(https://docs.aws.amazon.com/ses/latest/dg/receiving-email-permissions.html)"
)

#: Deliveries AWS documents as needing the destination key's policy, without a contract row.
#: Vended logs into a bucket: the CloudWatch Logs page lists VPC flow logs, AWS Network Firewall
#: logs and Route 53 Resolver query logs among the logs "sent to Amazon S3" this way ("Enable
#: logging from AWS services",
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html),
#: and each service's own page says so too (cited per row).
DELIVERIES: tuple[Delivery, ...] = (
    # Amazon VPC User Guide, "Required key policy for use with SSE-KMS"
    # (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html): "you must
    # update the key policy for your customer managed key so that the log delivery account can
    # write to your S3 bucket". AWS CloudFormation Template Reference, "AWS::EC2::FlowLog":
    # LogDestination, LogDestinationType (cloud-watch-logs | s3 | kinesis-data-firehose).
    Delivery(
        "AWS::EC2::FlowLog", "LogDestination", (("LogDestinationType", "s3"),),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        _VENDED_LOGS, _VENDED_LOGS_QUOTE,
        source_arn=_LOGS_SOURCE,
    ),
    # Amazon Route 53 Developer Guide, "AWS resources that you can send VPC Resolver query logs
    # to" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs-choosing-target-resource.html):
    # "If you choose Server-Side Encryption with AWS KMS Keys (SSE-KMS), you must update the key
    # policy for your customer managed key so that the log delivery account can write to your
    # Amazon S3 bucket". AWS CloudFormation Template Reference,
    # "AWS::Route53Resolver::ResolverQueryLoggingConfig": DestinationArn, "The ARN of the
    # resource that you want Resolver to send query logs: an Amazon S3 bucket, a CloudWatch Logs
    # log group, or a Kinesis Data Firehose delivery stream" (the store type tells them apart).
    Delivery(
        "AWS::Route53Resolver::ResolverQueryLoggingConfig", "DestinationArn", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        _VENDED_LOGS, _VENDED_LOGS_QUOTE,
        source_arn=_LOGS_SOURCE,
    ),
    # AWS Network Firewall Developer Guide, "Logging in AWS Network Firewall with server-side
    # encryption and customer-provided keys": "If your logging destination uses server-side
    # encryption with keys that are stored in AWS Key Management Service (SSE-KMS) and you use a
    # customer managed key (KMS key), you must give Network Firewall permission to use your KMS
    # key" (its statement: delivery.logs.amazonaws.com, kms:GenerateDataKey*). AWS
    # CloudFormation Template Reference, "AWS::NetworkFirewall::LoggingConfiguration
    # LogDestinationConfig": LogDestinationType (S3 | CloudWatchLogs | KinesisDataFirehose) and
    # LogDestination, "For an Amazon S3 bucket, provide the name of the bucket, with key
    # bucketName".
    Delivery(
        "AWS::NetworkFirewall::LoggingConfiguration",
        "LoggingConfiguration.LogDestinationConfigs[].LogDestination.bucketName",
        (("LogDestinationType", "S3"),),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        _VENDED_LOGS, _VENDED_LOGS_QUOTE,
        source_arn=_LOGS_SOURCE,
    ),
    # CloudWatch Logs delivery destinations ("V2 permissions"): Amazon CloudWatch Logs User
    # Guide, "Logs sent to Amazon S3" (V2,
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html):
    # "If you choose SSE-KMS, you must use a customer managed key"; "Add the following to the key
    # policy (not to the bucket policy for your S3 bucket)" (delivery.logs.amazonaws.com, the
    # same actions, aws:SourceArn arn:aws:logs:<region>:<account>:delivery-source:*). AWS
    # CloudFormation Template Reference, "AWS::Logs::DeliveryDestination":
    # DestinationResourceArn, "The ARN of the AWS destination that this delivery destination
    # represents. That AWS destination can be a log group in CloudWatch Logs, an Amazon S3
    # bucket, or a Firehose stream."
    Delivery(
        "AWS::Logs::DeliveryDestination", "DestinationResourceArn", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'Amazon CloudWatch Logs User Guide, "Logs sent to Amazon S3" (V2) '
        "(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html)",
        "If you choose SSE-KMS, you must use a customer managed key",
        source_arn=_LOGS_SOURCE,
    ),
    # Amazon CloudFront Developer Guide, "Configure standard logging (legacy)" (above): "If the
    # S3 bucket for your standard logs uses server-side encryption with AWS KMS keys (SSE-KMS) by
    # using a customer managed key, you must add the following statement to the key policy"
    # (delivery.logs.amazonaws.com, kms:GenerateDataKey*). AWS CloudFormation Template
    # Reference, "AWS::CloudFront::Distribution Logging": Bucket, "The Amazon S3 bucket to store
    # the access logs in" (its domain name, which knowledge.store_names reads as the bucket).
    Delivery(
        "AWS::CloudFront::Distribution", "DistributionConfig.Logging.Bucket", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'Amazon CloudFront Developer Guide, "Configure standard logging (legacy)" '
        "(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html)",
        "If the S3 bucket for your standard logs uses server-side encryption with AWS KMS keys "
        "(SSE-KMS) by using a customer managed key, you must add the following statement to the "
        "key policy",
    ),
    # Amazon Managed Streaming for Apache Kafka Developer Guide, "Amazon MSK logging": "If you
    # enabled server-side encryption for your S3 bucket using AWS KMS-managed keys (SSE-KMS) with
    # a customer managed key, add the following to the key policy for your KMS key so that Amazon
    # MSK can write broker files to the bucket" (delivery.logs.amazonaws.com, kms:Encrypt,
    # kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey; no condition written,
    # the delivery service's account scope as for the other vended logs). AWS CloudFormation
    # Template Reference, "AWS::MSK::Cluster S3": Bucket, "The name of the S3 bucket that is the
    # destination for broker logs".
    Delivery(
        "AWS::MSK::Cluster", "LoggingInfo.BrokerLogs.S3.Bucket", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'Amazon Managed Streaming for Apache Kafka Developer Guide, "Amazon MSK logging" '
        "(https://docs.aws.amazon.com/msk/latest/developerguide/msk-logging.html)",
        "If you enabled server-side encryption for your S3 bucket using AWS KMS-managed keys "
        "(SSE-KMS) with a customer managed key, add the following to the key policy for your KMS "
        "key so that Amazon MSK can write broker files to the bucket",
    ),
    # Amazon S3 User Guide, "Configuring Amazon S3 Inventory": "To grant Amazon S3 permission to
    # use your AWS Key Management Service (AWS KMS) customer managed key for server-side
    # encryption, you must use a key policy" (s3.amazonaws.com, kms:GenerateDataKey). AWS
    # CloudFormation Template Reference, "AWS::S3::Bucket InventoryConfiguration": Destination,
    # "Contains information about where to publish the inventory results" (its BucketArn).
    Delivery(
        "AWS::S3::Bucket", "InventoryConfigurations[].Destination.BucketArn", (),
        "AWS::S3::Bucket", "s3.amazonaws.com", ("kms:GenerateDataKey",),
        'Amazon S3 User Guide, "Configuring Amazon S3 Inventory" '
        "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/configure-inventory.html)",
        "To grant Amazon S3 permission to use your AWS Key Management Service (AWS KMS) customer "
        "managed key for server-side encryption, you must use a key policy",
    ),
    # AWS Config Developer Guide, "Permissions for the KMS Key for the AWS Config Delivery
    # Channel": "The AWS Config service-linked role does not have permission to access the AWS
    # KMS key. So, if you set up AWS Config using a service-linked role, AWS Config will send
    # information as the AWS Config service principal instead" (config.amazonaws.com,
    # kms:Decrypt and kms:GenerateDataKey, StringEquals AWS:SourceAccount). AWS CloudFormation
    # Template Reference, "AWS::Config::DeliveryChannel": S3BucketName, "The name of the Amazon S3
    # bucket to which AWS Config delivers configuration snapshots and configuration history
    # files".
    Delivery(
        "AWS::Config::DeliveryChannel", "S3BucketName", (),
        "AWS::S3::Bucket", "config.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
        'AWS Config Developer Guide, "Permissions for the KMS Key for the AWS Config Delivery '
        'Channel" (https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html)',
        "The AWS Config service-linked role does not have permission to access the AWS KMS key.",
    ),
    # Amazon SES Developer Guide, "Giving permissions to Amazon SES for email receiving": "If
    # you're using AWS KMS to send encrypted messages to an S3 bucket with server-side encryption
    # enabled, then you need to add the policy action, "kms:Decrypt"" (ses.amazonaws.com,
    # kms:GenerateDataKey* and kms:Decrypt, StringEquals AWS:SourceAccount; the contract rows
    # ses_receipt_rule_sse_bucket and ses_receipt_rule_topic keep the same words), and "If your
    # Amazon SNS topic uses AWS KMS for server-side encryption, you have to add permissions to the
    # AWS KMS key policy" (kms:GenerateDataKey and kms:Decrypt, no condition). AWS CloudFormation
    # Template Reference, "AWS::SES::ReceiptRule S3Action" (BucketName, TopicArn) and "SNSAction"
    # (TopicArn); every other action's TopicArn is "The Amazon Resource Name (ARN) of the Amazon
    # SNS topic to notify" as well (BounceAction, LambdaAction, StopAction, WorkmailAction).
    Delivery(
        "AWS::SES::ReceiptRule", "Rule.Actions[].S3Action.BucketName", (),
        "AWS::S3::Bucket", "ses.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
        _SES_RECEIVING, "If you're using AWS KMS to send encrypted messages to an S3 bucket with "
        'server-side encryption enabled, then you need to add the policy action, "kms:Decrypt"',
    ),
    *(
        Delivery(
            "AWS::SES::ReceiptRule", f"Rule.Actions[].{action}.TopicArn", (),
            "AWS::SNS::Topic", "ses.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
            _SES_RECEIVING, "If your Amazon SNS topic uses AWS KMS for server-side encryption, you "
            "have to add permissions to the AWS KMS key policy.", scoped=False,
        )
        for action in ("SNSAction", "S3Action", "BounceAction", "LambdaAction", "StopAction",
                       "WorkmailAction")
    ),
    # AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail"
    # (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html):
    # "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are
    # required to create or update a trail with SSE-KMS encryption enabled"; the value of
    # aws:SourceArn "is always the ARN of the trail", and "The aws:SourceAccount condition key is
    # also supported but not recommended". A trail writes into its bucket as
    # cloudtrail.amazonaws.com ("Amazon S3 bucket policy for CloudTrail"), so a domain bucket's
    # default key serves CloudTrail's PUT: the requests of _DATA_KEY. AWS CloudFormation Template
    # Reference, "AWS::CloudTrail::Trail": S3BucketName, "Specifies the name of the Amazon S3
    # bucket designated for publishing log files".
    Delivery(
        "AWS::CloudTrail::Trail", "S3BucketName", (),
        "AWS::S3::Bucket", "cloudtrail.amazonaws.com", _DATA_KEY,
        'AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail" '
        "(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html)",
        "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are "
        "required to create or update a trail with SSE-KMS encryption enabled",
        source_arn="arn:{partition}:cloudtrail:{region}:{account}:trail/",
    ),
    # AWS WAF Developer Guide, "Amazon Simple Storage Service bucket"
    # (https://docs.aws.amazon.com/waf/latest/developerguide/logging-s3.html): "AWS WAF supports
    # encryption with Amazon S3 buckets for key type Amazon S3 key (SSE-S3) and for AWS Key
    # Management Service (SSE-KMS) AWS KMS keys"; the WAF API Reference, "LoggingConfiguration":
    # "For an Amazon S3 bucket, AWS WAF creates a bucket policy". Neither page prints the
    # key-policy statement or names the delivering principal: the row states the vended-log
    # delivery's requests (delivery.logs.amazonaws.com, as the other rows) as its default.
    # AWS CloudFormation Template Reference, "AWS::WAFv2::LoggingConfiguration":
    # LogDestinationConfigs, "The Amazon Resource Names (ARNs) of the logging destinations that
    # you want to associate with the web ACL".
    Delivery(
        "AWS::WAFv2::LoggingConfiguration", "LogDestinationConfigs[]", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'AWS WAF Developer Guide, "Amazon Simple Storage Service bucket" '
        "(https://docs.aws.amazon.com/waf/latest/developerguide/logging-s3.html)",
        "AWS WAF supports encryption with Amazon S3 buckets for key type Amazon S3 key (SSE-S3) "
        "and for AWS Key Management Service (SSE-KMS) AWS KMS keys",
        source_arn=_LOGS_SOURCE,
    ),
    # Elastic Load Balancing, "Enable access logs for your Application Load Balancer"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html),
    # bucket requirements: "The only server-side encryption option that's supported is Amazon
    # S3-managed keys (SSE-S3)". AWS CloudFormation Template Reference,
    # "AWS::ElasticLoadBalancingV2::LoadBalancer LoadBalancerAttribute": the attribute
    # access_logs.s3.bucket is "The name of the S3 bucket for the access logs"; Type "The type of
    # load balancer. The default is application".
    Delivery(
        _LOAD_BALANCER, "LoadBalancerAttributes[].Value", (("Key", "access_logs.s3.bucket"),),
        "AWS::S3::Bucket", "", (),
        'Elastic Load Balancing, "Enable access logs for your Application Load Balancer" '
        "(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html)",
        "The only server-side encryption option that's supported is Amazon S3-managed keys "
        "(SSE-S3)", scoped=False, source_when=(("Type", (None, "application")),), sse_kms=False,
        service_account=True,
    ),
    # Elastic Load Balancing, "Access logs for your Classic Load Balancer"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html):
    # "Each access log file is automatically encrypted using SSE-S3 before it is stored in your S3
    # bucket" (a domain bucket's policy refuses a PUT that asks for SSE-S3). AWS CloudFormation
    # Template Reference, "AWS::ElasticLoadBalancing::LoadBalancer AccessLoggingPolicy":
    # S3BucketName, "The name of the Amazon S3 bucket where the access logs are stored".
    Delivery(
        "AWS::ElasticLoadBalancing::LoadBalancer", "AccessLoggingPolicy.S3BucketName", (),
        "AWS::S3::Bucket", "", (),
        'Elastic Load Balancing, "Access logs for your Classic Load Balancer" '
        "(https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html)",
        "Each access log file is automatically encrypted using SSE-S3 before it is stored in your "
        "S3 bucket", scoped=False, sse_kms=False, service_account=True,
    ),
    # Elastic Load Balancing, "Access logs for your Network Load Balancer"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html):
    # "You can enable server-side encryption with Amazon S3-managed encryption keys (SSE-S3), or
    # using Key Management Service with Customer Managed Keys (SSE-KMS CMK) for your S3 bucket";
    # "Enable access logs for your Network Load Balancer" (enable-access-logs.html): the bucket
    # policy names delivery.logs.amazonaws.com, aws:SourceAccount and aws:SourceArn
    # arn:aws:logs:<region>:<account>:*. Neither page prints the key-policy statement: the row's
    # requests are the vended-log delivery's (the same principal and scope, _VENDED_LOGS).
    Delivery(
        _LOAD_BALANCER, "LoadBalancerAttributes[].Value", (("Key", "access_logs.s3.bucket"),),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'Elastic Load Balancing, "Access logs for your Network Load Balancer" '
        "(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html)",
        "You can enable server-side encryption with Amazon S3-managed encryption keys (SSE-S3), "
        "or using Key Management Service with Customer Managed Keys (SSE-KMS CMK) for your S3 "
        "bucket", source_arn=_LOGS_SOURCE, source_when=(("Type", ("network",)),),
        service_account=True,
    ),
)  # fmt: skip

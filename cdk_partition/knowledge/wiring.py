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

from .delivery_rows import DELIVERIES, Delivery, destinations
from .run_roles import roles_at

__all__ = [
    "DELIVERIES",
    "LINKED_ROLE_PROPERTIES",
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

#: Source types that may name the service-linked role their service acts as, instead of its
#: default (the role the contract rows name): "The Amazon Resource Name (ARN) of the
#: service-linked role that the Auto Scaling group uses to call other AWS service on your behalf.
#: By default, Amazon EC2 Auto Scaling uses a service-linked role named AWSServiceRoleForAutoScaling"
#: (AWS CloudFormation Template Reference, "AWS::AutoScaling::AutoScalingGroup",
#: ServiceLinkedRoleARN,
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-autoscalinggroup.html).
#: Such a group's launches and notifications are that role's requests.
LINKED_ROLE_PROPERTIES: Mapping[str, str] = {
    "AWS::AutoScaling::AutoScalingGroup": "ServiceLinkedRoleARN"
}

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

"""Where a service moves a store's data on into another store: an SNS topic delivering its
messages to a subscribed queue or delivery stream, or to a subscription's dead-letter queue; an
SQS queue moving the messages it could not deliver to its dead-letter queue; an event bus's
rules delivering to their targets and its archives, a log group's subscription filters, a table
streaming into Kinesis, a pipe carrying its source's events to its target, a delivery stream into
its S3 destination. The service decrypts what it moves (a topic's messages are "only decrypted when
they are sent"), so a destination that is not on the source's domain key holds the domain's data
outside the key policy: CDKP034 (:mod:`cdk_partition.audit.egress`). Each row cites the AWS page
that says the data moves.

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .run_roles import roles_at

__all__ = [
    "EGRESS",
    "RELAYS",
    "Egress",
    "destinations",
    "excluded_names",
    "keeps",
    "kept_by",
    "origins",
]


@dataclass(frozen=True)
class Egress:
    """A resource of ``source_type`` moving the data of the store ``origin`` names (the resource
    itself when ``origin`` is empty) into the store ``destination`` names, where the
    ``source_when`` pairs (property, the values it may have) hold."""

    source_type: str
    origin: str
    """The property naming the store the data comes from ("": the resource is that store)."""
    destination: str
    """The property naming the store the data moves into (a dotted path under ``Properties``;
    a JSON string on the way is read as the object it encodes); "": the resource is that store
    (a bus's archive)."""
    what: str
    page: str
    quote: str
    source_when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    """(property, the values it may have) pairs that must hold, read in the innermost list item
    of ``destination`` (in ``Properties`` when it has none): a subscription's ``Protocol``."""
    into: tuple[str, ...] = ()
    """The store types that keep what they receive (a rule's target that is a function is a
    reader, whose own key slot protects its environment, not the events); all when empty."""
    kept_by: str = ""
    """A key property of the source that, naming the domain key, keeps what moves on that key
    whatever the destination's own default (a delivery stream's ``KMSEncryptionConfig``)."""
    origin_all: str = ""
    """A store type: the data comes from every store of it in the source's account and region
    (an account-level policy), less those :func:`excluded_names` leaves out."""
    resource_when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    """(dotted property path, the values it may have) pairs read in the source's
    ``Properties`` (an intrinsic: may be any, the row applies): a state machine's
    ``LoggingConfiguration.IncludeExecutionData``."""


#: Stores that keep what a service delivers to them. A state machine keeps each execution's
#: input in its execution history: "The execution history and state machine definition will be
#: encrypted with the key applied to the State Machine" (AWS Step Functions API Reference,
#: "EncryptionConfiguration",
#: https://docs.aws.amazon.com/step-functions/latest/apireference/API_EncryptionConfiguration.html).
_KEEPERS = (
    "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::Kinesis::Stream",
    "AWS::KinesisFirehose::DeliveryStream", "AWS::Events::EventBus", "AWS::Logs::LogGroup",
    "AWS::StepFunctions::StateMachine",
)  # fmt: skip
#: Keepers that keep nothing in some configurations: type -> (property, its values then). An
#: Express state machine: "Execution history is not captured by Step Functions" (a Standard one:
#: "Execution history data removed after 90 days"; AWS Step Functions Developer Guide,
#: "Execution guarantees",
#: https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html),
#: unless its logs keep the execution data (:data:`_LOGS_EXECUTION_DATA`).
_KEEPS_NOTHING_WHEN: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "AWS::StepFunctions::StateMachine": ("StateMachineType", ("EXPRESS",)),
}
#: A state machine logging its executions' data: "includeExecutionData - Determines whether
#: execution data is included in your log" (AWS Step Functions API Reference,
#: "LoggingConfiguration",
#: https://docs.aws.amazon.com/step-functions/latest/apireference/API_LoggingConfiguration.html),
#: at a level that logs (the default, OFF, logs nothing).
_LOGS_EXECUTION_DATA = (
    ("LoggingConfiguration.IncludeExecutionData", (True, "true")),
    ("LoggingConfiguration.Level", ("ALL", "ERROR", "FATAL")),
)
_STREAMS = ("AWS::Kinesis::Stream", "AWS::KinesisFirehose::DeliveryStream")

_FIREHOSE_S3 = (
    'AWS CloudFormation Template Reference, "AWS::KinesisFirehose::DeliveryStream '
    'KMSEncryptionConfig" (https://docs.aws.amazon.com/AWSCloudFormation/latest/'
    "TemplateReference/aws-properties-kinesisfirehose-deliverystream-kmsencryptionconfig.html)"
)
_FIREHOSE_QUOTE = (
    "The Amazon Resource Name (ARN) of the AWS KMS encryption key that Amazon S3 uses to encrypt "
    "data delivered by the Kinesis Data Firehose stream"
)

#: The S3 destination configurations of a delivery stream (each a BucketARN and its own
#: EncryptionConfiguration).
_FIREHOSE_BUCKETS = (
    "ExtendedS3DestinationConfiguration",
    "S3DestinationConfiguration",
    "ExtendedS3DestinationConfiguration.S3BackupConfiguration",
    "RedshiftDestinationConfiguration.S3Configuration",
    "RedshiftDestinationConfiguration.S3BackupConfiguration",
    *(f"{d}DestinationConfiguration.S3Configuration" for d in (
        "AmazonOpenSearchServerless", "Amazonopensearchservice", "Elasticsearch", "HttpEndpoint",
        "Iceberg", "Snowflake", "Splunk")),
)  # fmt: skip

_SNS_SSE = (
    'Amazon SNS Developer Guide, "Encryption at rest" '
    "(https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html)"
)
_SNS_SENT = (
    "SSE encrypts messages as soon as Amazon SNS receives them. The messages are stored in "
    "encrypted form, and only decrypted when they are sent"
)

#: The moves followed. Protocols that store what they receive (a queue, a delivery stream); an
#: HTTP, email, SMS or Lambda endpoint is a reader, whom the key does not gate for a topic either
#: (the report's row for topics: anyone IAM lets subscribe).
EGRESS: tuple[Egress, ...] = (
    # AWS CloudFormation Template Reference, "AWS::SNS::Subscription": Endpoint, "The
    # subscription's endpoint. The endpoint value depends on the protocol that you specify";
    # Protocol sqs ("the endpoint is the ARN of an Amazon SQS queue") and firehose ("the endpoint
    # is the ARN of an Amazon Data Firehose delivery stream"), per the SNS Subscribe API.
    Egress(
        "AWS::SNS::Subscription", "TopicArn", "Endpoint", "subscription endpoint", _SNS_SSE,
        _SNS_SENT, source_when=(("Protocol", ("sqs", "firehose")),), into=_KEEPERS,
    ),
    # a topic's own subscriptions ("AWS::SNS::Topic": Subscription, "The Amazon SNS subscriptions
    # (endpoints) for this topic"; "AWS::SNS::Topic Subscription": Endpoint and Protocol)
    Egress(
        "AWS::SNS::Topic", "", "Subscription[].Endpoint", "subscription endpoint", _SNS_SSE,
        _SNS_SENT, source_when=(("Protocol", ("sqs", "firehose")),), into=_KEEPERS,
    ),
    # "AWS::SNS::Subscription": RedrivePolicy, "When specified, sends undeliverable messages to
    # the specified Amazon SQS dead-letter queue"
    Egress(
        "AWS::SNS::Subscription", "TopicArn", "RedrivePolicy.deadLetterTargetArn",
        "dead-letter queue of a subscription", _SNS_SSE, _SNS_SENT,
    ),
    # an event bus's rules: "If an event matches a rule, EventBridge encrypts the event with the
    # KMS key configuration for that event bus until the event is sent to the rule target, unless
    # the rule target is another event bus" (and then with that bus's key). AWS CloudFormation
    # Template Reference, "AWS::Events::Rule": EventBusName, "The name or ARN of the event bus
    # associated with the rule"; Target Arn.
    Egress(
        "AWS::Events::Rule", "EventBusName", "Targets[].Arn", "rule target",
        'Amazon EventBridge User Guide, "Encryption in EventBridge when an event bus is the rule '
        'target" (https://docs.aws.amazon.com/eventbridge/latest/userguide/'
        "eb-encryption-event-bus-target.html)",
        "If an event matches a rule, EventBridge encrypts the event with the KMS key "
        "configuration for that event bus until the event is sent to the rule target, unless "
        "the rule target is another event bus", into=_KEEPERS,
    ),
    # a rule target's dead-letter queue: "EventBridge DLQs are standard Amazon SQS queues that
    # EventBridge uses to store events that couldn't successfully be delivered to a target"
    # (Amazon EventBridge User Guide, "Using dead-letter queues to process undelivered events in
    # EventBridge", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html)
    Egress(
        "AWS::Events::Rule", "EventBusName", "Targets[].DeadLetterConfig.Arn",
        "dead-letter queue of a rule target",
        'Amazon EventBridge User Guide, "Using dead-letter queues to process undelivered events in '
        'EventBridge" '
        "(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html)",
        "EventBridge DLQs are standard Amazon SQS queues that EventBridge uses to store events "
        "that couldn't successfully be delivered to a target",
    ),
    # the bus's own dead-letter queue (the wiring's "Using dead-letter queues to capture
    # encrypted event errors in EventBridge": "EventBridge sends custom and partner events to
    # this DLQ if it encounters a non-retriable error while processing the event")
    Egress(
        "AWS::Events::EventBus", "", "DeadLetterConfig.Arn", "dead-letter queue of the bus",
        'Amazon EventBridge User Guide, "Using dead-letter queues to capture encrypted event '
        'errors in EventBridge" (https://docs.aws.amazon.com/eventbridge/latest/userguide/'
        "eb-encryption-event-bus-dlq.html)",
        "EventBridge sends custom and partner events to this DLQ if it encounters a "
        "non-retriable error while processing the event on the event bus",
    ),
    # a bus's archive, itself the store the events move into: "If you do not specify a pattern
    # to filter events sent to the archive, all events are sent to the archive except replayed
    # events" and "If you have specified that EventBridge use a customer managed key for
    # encrypting the source event bus, we strongly recommend you also specify a customer managed
    # key for any archives for the event bus as well" (Amazon EventBridge API Reference,
    # "CreateArchive"); AWS CloudFormation Template Reference, "AWS::Events::Archive": SourceArn
    Egress(
        "AWS::Events::Archive", "SourceArn", "", "archive",
        'Amazon EventBridge API Reference, "CreateArchive" '
        "(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateArchive.html)",
        "If you have specified that EventBridge use a customer managed key for encrypting the "
        "source event bus, we strongly recommend you also specify a customer managed key for any "
        "archives for the event bus as well",
    ),
    # a log group's subscription filters: "All log events that are uploaded to this log group
    # are filtered and delivered to the specified AWS resource if the filter pattern matches the
    # log events" (AWS CloudFormation Template Reference, "AWS::Logs::SubscriptionFilter":
    # LogGroupName; DestinationArn, "The Amazon Resource Name (ARN) of the destination")
    Egress(
        "AWS::Logs::SubscriptionFilter", "LogGroupName", "DestinationArn", "subscription filter",
        "AWS CloudFormation Template Reference, \"AWS::Logs::SubscriptionFilter\" "
        "(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
        "aws-resource-logs-subscriptionfilter.html)",
        "All log events that are uploaded to this log group are filtered and delivered to the "
        "specified AWS resource if the filter pattern matches the log events", into=_STREAMS,
    ),
    # a table streaming its item-level changes into a Kinesis data stream ("AWS::DynamoDB::Table
    # KinesisStreamSpecification": StreamArn, "The ARN for a specific Kinesis data stream"; the
    # wiring's table_kinesis_stream rows)
    Egress(
        "AWS::DynamoDB::Table", "", "KinesisStreamSpecification.StreamArn",
        "Kinesis streaming destination",
        'AWS CloudFormation Template Reference, "AWS::DynamoDB::Table KinesisStreamSpecification" '
        "(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
        "aws-properties-dynamodb-table-kinesisstreamspecification.html)",
        "The Kinesis Data Streams configuration for the specified table",
        into=("AWS::Kinesis::Stream",),
    ),
    # a pipe carrying its source's events to its target: "Events flowing through a pipe are
    # never stored at rest" (they pass, decrypted from the source, into the target)
    Egress(
        "AWS::Pipes::Pipe", "Source", "Target", "pipe target",
        'Amazon EventBridge User Guide, "Encrypting EventBridge Pipes data with AWS KMS keys" '
        "(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-pipes-cmkey.html)",
        "Events flowing through a pipe are never stored at rest", into=_KEEPERS,
    ),
    # a delivery stream delivering into its S3 destination: "The AWS KMS encryption key that
    # Amazon S3 uses to encrypt data delivered by the Kinesis Data Firehose stream" (AWS
    # CloudFormation Template Reference, "AWS::KinesisFirehose::DeliveryStream
    # KMSEncryptionConfig"); without it, the bucket's own default key. The stream's data comes
    # from the stream itself (on the key) or from its Kinesis source.
    # Every S3 bucket a delivery stream writes into: its S3 destination, the S3 backup of that
    # destination, and the S3 configuration ("S3DestinationConfiguration": BucketARN,
    # EncryptionConfiguration) every other destination backs up into or stages through (AWS
    # CloudFormation Template Reference, "AWS::KinesisFirehose::DeliveryStream", each
    # destination's S3Configuration / S3BackupConfiguration).
    *(Egress(
        "AWS::KinesisFirehose::DeliveryStream", origin, f"{config}.BucketARN",
        "S3 destination", _FIREHOSE_S3, _FIREHOSE_QUOTE, into=("AWS::S3::Bucket",),
        kept_by=f"{config}.EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN",
    ) for config in _FIREHOSE_BUCKETS
      for origin in ("", "KinesisStreamSourceConfiguration.KinesisStreamARN")),
    # a state machine logging its executions' data into its log groups (the keys above; AWS
    # CloudFormation Template Reference, "AWS::StepFunctions::StateMachine LoggingConfiguration":
    # Destinations, CloudWatchLogsLogGroup.LogGroupArn)
    Egress(
        "AWS::StepFunctions::StateMachine", "",
        "LoggingConfiguration.Destinations[].CloudWatchLogsLogGroup.LogGroupArn",
        "execution log",
        'AWS Step Functions API Reference, "LoggingConfiguration" '
        "(https://docs.aws.amazon.com/step-functions/latest/apireference/"
        "API_LoggingConfiguration.html)",
        "includeExecutionData - Determines whether execution data is included in your log",
        into=("AWS::Logs::LogGroup",), resource_when=_LOGS_EXECUTION_DATA,
    ),
    # an account-level subscription filter policy: "the filter causes every log event containing
    # the string ERROR in all but two log groups to be delivered to the destination" (Amazon
    # CloudWatch Logs User Guide, "Step 3: Create an account-level subscription filter policy",
    # the policy document's DestinationArn, and --selection-criteria 'LogGroupName NOT IN
    # [...]'); AWS CloudFormation Template Reference, "AWS::Logs::AccountPolicy": PolicyType
    # SUBSCRIPTION_FILTER_POLICY, PolicyDocument "in JSON string format", SelectionCriteria
    Egress(
        "AWS::Logs::AccountPolicy", "", "PolicyDocument.DestinationArn",
        "account-level subscription filter",
        'Amazon CloudWatch Logs User Guide, "Step 3: Create an account-level subscription filter '
        'policy" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/'
        "CreateSubscriptionFilterFirehose-Account.html)",
        "the filter causes every log event containing the string ERROR in all but two log "
        "groups to be delivered to the destination",
        source_when=(("PolicyType", ("SUBSCRIPTION_FILTER_POLICY",)),), into=_STREAMS,
        origin_all="AWS::Logs::LogGroup",
    ),
    # Amazon SQS Developer Guide, "Using dead-letter queues in Amazon SQS"; AWS CloudFormation
    # Template Reference, "AWS::SQS::Queue": RedrivePolicy, deadLetterTargetArn, "The Amazon
    # Resource Name (ARN) of the dead-letter queue to which Amazon SQS moves messages after the
    # value of maxReceiveCount is exceeded"
    Egress(
        "AWS::SQS::Queue", "", "RedrivePolicy.deadLetterTargetArn", "dead-letter queue",
        'Amazon SQS Developer Guide, "Using dead-letter queues in Amazon SQS" '
        "(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
        "sqs-dead-letter-queues.html)",
        "Amazon SQS supports dead-letter queues (DLQs), which source queues can target for "
        "messages that are not processed successfully",
    ),
)  # fmt: skip

#: Resources that pass on what they receive to the resource a property names: a CloudWatch Logs
#: destination, "A destination encapsulates a physical resource (such as an Amazon Kinesis data
#: stream) and enables you to subscribe that resource to a stream of log events"; TargetArn,
#: "The Amazon Resource Name (ARN) of the physical target where the log events are delivered
#: (for example, a Kinesis stream)" (AWS CloudFormation Template Reference,
#: "AWS::Logs::Destination",
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-destination.html).
#: A state machine's alias or version stands for its state machine: "You can start a state
#: machine execution using a qualified or an unqualified ARN" (AWS Step Functions Developer
#: Guide, "How Step Functions associates executions with a version or alias",
#: https://docs.aws.amazon.com/step-functions/latest/dg/execution-alias-version-associate.html);
#: an alias routes to its versions, a version names its state machine (AWS CloudFormation
#: Template Reference, "AWS::StepFunctions::StateMachineAlias" RoutingConfiguration and
#: DeploymentPreference StateMachineVersionArn, "AWS::StepFunctions::StateMachineVersion"
#: StateMachineArn).
RELAYS: Mapping[str, tuple[str, ...]] = {
    "AWS::Logs::Destination": ("TargetArn",),
    "AWS::StepFunctions::StateMachineAlias": (
        "RoutingConfiguration[].StateMachineVersionArn",
        "DeploymentPreference.StateMachineVersionArn",
    ),
    "AWS::StepFunctions::StateMachineVersion": ("StateMachineArn",),
}

#: Source type -> its rows.
BY_TYPE: Mapping[str, tuple[Egress, ...]] = {
    t: tuple(r for r in EGRESS if r.source_type == t) for t in {r.source_type for r in EGRESS}
}


def _decoded(value: Any) -> Any:
    """A JSON string CloudFormation accepts for an object (an SQS ``RedrivePolicy``), decoded."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _applies(row: Egress, props: Mapping[str, Any]) -> bool:
    """Whether ``row.source_when`` holds in ``props``; a value CloudFormation chooses at deploy
    (an intrinsic: a parameter's ``Ref``) may be any, so the row applies (fail closed)."""
    return all(
        props.get(name) in values or isinstance(props.get(name), Mapping)
        for name, values in row.source_when
    )


#: "LogGroupName NOT IN ["LogGroupToExclude1", "LogGroupToExclude2"]" (the page above).
_NOT_IN = re.compile(r"^\s*LogGroupName\s+NOT\s+IN\s*\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)


def excluded_names(props: Mapping[str, Any]) -> frozenset[str]:
    """The log group names an account policy's ``SelectionCriteria`` leaves out (``LogGroupName
    NOT IN [...]``); none for any other criteria or an intrinsic (fail closed: every group)."""
    found = _NOT_IN.match(props.get("SelectionCriteria") or "") if isinstance(
        props.get("SelectionCriteria"), str) else None  # fmt: skip
    if found is None:
        return frozenset()
    try:
        names = json.loads(f"[{found.group(1)}]")
    except ValueError:
        return frozenset()
    return frozenset(n for n in names if isinstance(n, str))


def keeps(kind: str, props: Any) -> bool:
    """Whether a store of ``kind`` with ``props`` keeps what it receives
    (:data:`_KEEPS_NOTHING_WHEN`; a value chosen at deploy, an intrinsic, may keep: True)."""
    rule = _KEEPS_NOTHING_WHEN.get(kind)
    if rule is None or not isinstance(props, Mapping):
        return True
    name, values = rule
    return props.get(name) not in values or _holds(_LOGS_EXECUTION_DATA, props)


def _holds(pairs: tuple[tuple[str, tuple[Any, ...]], ...], props: Mapping[str, Any]) -> bool:
    """Whether each (dotted path, values) pair holds in ``props``; an intrinsic on the way or
    as the value may be any value (fail closed)."""
    for path, values in pairs:
        found = roles_at(props, path)
        if not found or not all(v in values or isinstance(v, Mapping) for v in found):
            return False
    return True


def origins(row: Egress, props: Mapping[str, Any]) -> Iterator[Any]:
    """The values naming the store the data comes from (none when ``row.origin`` is empty: the
    resource itself), where the row applies."""
    if row.origin and _applies(row, props):
        yield from roles_at(props, row.origin)


def destinations(row: Egress, props: Mapping[str, Any]) -> Iterator[Any]:
    """The values naming the store the data moves into, where the row applies (in each item of
    a list the path goes through, for a path with ``[]``). A value the path cannot be followed
    into (an intrinsic: a ``RedrivePolicy`` written with ``Fn::Sub``) is yielded as it is, for
    the caller to report as a destination it cannot see."""
    if row.resource_when and not _holds(row.resource_when, props):
        return
    head, marker, rest = row.destination.rpartition("[].")
    if marker:
        for item in roles_at(props, head + "[]"):
            if isinstance(item, Mapping) and _applies(row, item):
                yield from roles_at(item, rest)
            elif not isinstance(item, Mapping):
                yield item
        return
    if not _applies(row, props):
        return
    head, _, rest = row.destination.partition(".")
    value = _decoded(props.get(head))
    if value is None:
        return
    if not rest or not isinstance(value, Mapping) or _function(value):
        yield value
        return
    yield from roles_at(value, rest)


def _function(value: Mapping[str, Any]) -> bool:
    """An intrinsic function standing for an object (``{"Fn::Sub": ...}``), not the object."""
    return len(value) == 1 and str(next(iter(value))).startswith("Fn::")


def kept_by(row: Egress, props: Mapping[str, Any]) -> Any:
    """The value of ``row.kept_by`` in ``props`` (None when the row has none or it is unset)."""
    if not row.kept_by:
        return None
    found = roles_at(props, row.kept_by)
    return found[0] if len(found) == 1 else None

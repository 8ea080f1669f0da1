"""Resources that make a role use a store (issue #19, "derive from the wiring"): a Lambda event
source mapping names its source (``EventSourceArn``) and its function, and Lambda polls the
source with the function's execution role; a function's dead-letter queue and its asynchronous
destinations, a task definition's secrets, a pipe's source and a schedule's target are used
with the role the resource names. The role's permissions may come from a policy the
template does not show (an AWS managed policy such as ``AWSLambdaSQSQueueExecutionRole``), so the identity
audit cannot see the read from the role's policies; the mapping shows it. The audit
(:mod:`cdk_partition.audit.consumer_grants`) turns each row into the actions below on the store,
which the identity rows (:mod:`.identity_kms`) map to KMS requests decided against the key.

Each row cites the AWS page that lists what the role calls; pure Python (no aws_cdk import).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from . import state_machine_tasks
from .run_roles import roles_at

__all__ = [
    "CONSUMERS",
    "CONSUMERS_BY_KEY",
    "CONSUMERS_BY_TYPE",
    "Consumer",
    "universal_action",
    "universal_actions",
]


@dataclass(frozen=True)
class Consumer:
    """``cfn_type``'s ``store_property`` names a store that a role uses with ``actions`` (by
    the store's CloudFormation type); the role is the one ``role_property`` names, or, where
    ``role_of`` is ``"function"``, the execution role (``Role``) of the function it names."""

    cfn_type: str
    store_property: str
    """A dotted path under ``Properties`` (``[]`` after a name: each item of that list)."""
    role_property: str
    actions: Mapping[str, tuple[str, ...]]
    sources: Mapping[str, tuple[str, str]]
    """Store type -> (AWS page title, URL) listing the actions."""
    role_of: Literal["function", "role"] = "function"
    what: str = "this event source mapping"
    """The resource, as a finding names it."""
    uses: str = "Lambda reads"
    """The service and what it does with the store, as a finding says it."""
    role_name: str = "its function's execution role"
    consequence: str = "the mapping never delivers a record"
    tasks: Literal["", "universal_target", "definition"] = ""
    """Where the resource says which API it calls on which store (:meth:`tasks_of`): a schedule's
    universal target (``Target.Arn``, the stores its ``Input`` names) or a state machine's
    definition (each Task state's ``Resource``, the stores its parameters name). The action on
    each store is the one that ARN calls (:func:`universal_actions`), whatever the store's type;
    ``actions`` is then empty and ``sources`` keyed ``"*"``."""

    @property
    def key(self) -> str:
        """``<type>.<store property>``: the row, as a grant remembers it."""
        return f"{self.cfn_type}.{self.store_property}"

    def actions_on(self, store_type: str, target: Any = None) -> tuple[str, ...]:
        """The actions the role calls on a store of ``store_type`` (``target``: the value of
        :attr:`universal`, for a universal target's row); none for a type it does not use."""
        if self.tasks:
            return universal_actions(target)
        return self.actions.get(store_type, ())

    def tasks_of(self, props: Mapping[str, Any]) -> list[tuple[Any, list[Any], Any]] | None:
        """``(the ARN a call is made to, the values naming its stores, the role a task's
        Credentials name or None for the resource's own)`` per call the resource makes (one
        without :attr:`tasks`: no ARN, the values ``store_property`` holds); None when the
        definition cannot be read."""
        if self.tasks == "definition":
            return state_machine_tasks.tasks(props)
        arn = roles_at(props, "Target.Arn") if self.tasks else [None]
        return [(arn[0] if len(arn) == 1 else None, roles_at(props, self.store_property), None)]

    def source_of(self, store_type: str) -> tuple[str, str]:
        """(AWS page title, URL) listing what the role calls on a store of ``store_type``."""
        return self.sources.get(store_type) or self.sources["*"]


#: "arn:aws:scheduler:::aws-sdk:{service}:{apiAction}" (Amazon EventBridge Scheduler User Guide,
#: "Using universal targets in EventBridge Scheduler",
#: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html)
#: A Step Functions Task's integration, "arn:aws:states:::aws-sdk:serviceName:apiAction.
#: [serviceIntegrationPattern]" (:mod:`.state_machine_tasks`), or an optimized one
#: (``arn:aws:states:::sqs:sendMessage``, ``...:dynamodb:putItem``), is read the same way.
_UNIVERSAL = re.compile(
    r"^arn:(?:[a-z-]+|\$\{AWS::Partition\}):(scheduler|states):::(aws-sdk:)?"
    r"([a-z0-9-]+):([A-Za-z][A-Za-z0-9]*)(?:\.[A-Za-z]+)?$"
)
#: "EventBridge Scheduler does not support read-only API actions, such as common GET operations,
#: that begin with the following list of prefixes" (the page above): no such target runs.
_READ_ONLY = (
    "get", "describe", "list", "poll", "receive", "search", "scan", "query", "select", "read",
    "lookup", "discover", "validate", "batchGet", "batchDescribe", "batchRead", "transactGet",
)  # fmt: skip
_PARTIQL = ("dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete")
#: Operations whose IAM actions are named otherwise than ``service:Operation``: "sns:Publish -
#: Grants permission to both publish and publish batch" (Amazon SNS Developer Guide, "Amazon SNS
#: API permissions: Actions and resources reference",
#: https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html);
#: "Permissions for Put, Update, Delete, and Get actions are governed by the permissions used for
#: the underlying PutItem, UpdateItem, DeleteItem, and GetItem operations" (Amazon DynamoDB
#: Developer Guide, "Using IAM with DynamoDB transactions",
#: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html);
#: "To insert items using PartiQL for DynamoDB, you must have dynamodb:PartiQLInsert permission"
#: (and PartiQLUpdate, PartiQLDelete; "IAM security policies with PartiQL for DynamoDB",
#: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html). Any other
#: operation whose action names no row of a store of its service fails closed (the audit's
#: CDKP020).
_UNIVERSAL_ACTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "sns:PublishBatch": ("sns:Publish",),
    "dynamodb:TransactWriteItems": (
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
    ),
    "dynamodb:ExecuteStatement": _PARTIQL,
    "dynamodb:BatchExecuteStatement": _PARTIQL,
    "dynamodb:ExecuteTransaction": _PARTIQL,
    # a Distributed Map's item reader listing a bucket: "Returns some or all (up to 1,000) of
    # the objects in a bucket" (Amazon S3 API Reference, "ListObjectsV2"), names, not data
    "s3:ListObjectsV2": (),
})  # fmt: skip


def universal_action(target: Any) -> str | None:
    """The IAM action a universal target ARN (canonical text: ``${AWS::Partition}`` allowed)
    names (``aws-sdk:sqs:sendMessage`` -> ``sqs:SendMessage``), None for any other value and for
    a read-only operation EventBridge Scheduler does not run. The page warns "The {service}
    value in the universal target ARN must match the AWS SDK service identifier for the target
    service. This identifier can differ from the service's endpoint prefix": where it differs,
    the action names no service whose stores the audit checks and nothing is followed."""
    found = _UNIVERSAL.match(target) if isinstance(target, str) else None
    if found is None:
        return None
    caller, sdk, service, operation = found.groups()
    if caller == "scheduler" and (
        not sdk or any(operation.lower().startswith(p.lower()) for p in _READ_ONLY)
    ):
        return None  # Scheduler runs universal targets only, and no read-only operation
    return f"{service}:{operation[0].upper()}{operation[1:]}"


def universal_actions(target: Any) -> tuple[str, ...]:
    """The IAM actions the universal target ``target`` makes (:func:`universal_action`, or the
    actions :data:`_UNIVERSAL_ACTIONS` names for it); none for any other value."""
    action = universal_action(target)
    if action is None:
        return ()
    return _UNIVERSAL_ACTIONS.get(action, (action,))


_SQS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
_KINESIS = (
    "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
    "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard",
)  # fmt: skip
_DYNAMODB = (
    "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)  # fmt: skip
_DYNAMODB_PAGE = (
    'Amazon DynamoDB Developer Guide, "IAM policy to allow an AWS Lambda function to access '
    'DynamoDB stream records"',
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-example-lamda-process-dynamodb-streams.html",
)

CONSUMERS: tuple[Consumer, ...] = (
    Consumer(
        "AWS::Lambda::EventSourceMapping",
        "EventSourceArn",
        "FunctionName",
        MappingProxyType(
            {
                "AWS::SQS::Queue": _SQS,
                "AWS::Kinesis::Stream": _KINESIS,
                "AWS::DynamoDB::Table": _DYNAMODB,
                "AWS::DynamoDB::GlobalTable": _DYNAMODB,
            }
        ),
        MappingProxyType(
            {
                # "The Lambda execution role must include the following permissions:
                # sqs:DeleteMessage, sqs:GetQueueAttributes, sqs:ReceiveMessage", and "If you
                # associate an encrypted queue with a Lambda function but Lambda doesn't poll for
                # messages, add the kms:Decrypt permission to your Lambda execution role."
                "AWS::SQS::Queue": (
                    'Amazon SQS Developer Guide, "Configuring an Amazon SQS queue to trigger an AWS '
                    'Lambda function"',
                    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-lambda-function-trigger.html",
                ),
                # "Lambda needs the following permissions to manage resources related to your
                # Kinesis data stream" (DescribeStream, DescribeStreamSummary, GetRecords,
                # GetShardIterator, ListShards, SubscribeToShard)
                "AWS::Kinesis::Stream": (
                    'AWS Lambda Developer Guide, "Process Amazon Kinesis Data Streams records with '
                    'Lambda"',
                    "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html",
                ),
                "AWS::DynamoDB::Table": _DYNAMODB_PAGE,
                "AWS::DynamoDB::GlobalTable": _DYNAMODB_PAGE,
            }
        ),
    ),
)

_SEND = {"AWS::SQS::Queue": ("sqs:SendMessage",), "AWS::SNS::Topic": ("sns:Publish",)}
_LAMBDA_ASYNC = (
    'AWS Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations"',
    "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html",
)
#: "To send events to a destination, your function needs additional permissions. Add a policy
#: with the required permissions to your function's execution role. Each destination service
#: requires a different permission, as follows: Amazon SQS - sqs:SendMessage, Amazon SNS -
#: sns:Publish" (the page above, "Configuring destinations for asynchronous invocation", as AWS's
#: doc source writes it); for a dead-letter queue: "SAM will automatically add appropriate
#: permission to your Lambda function execution role to give Lambda service access to the
#: resource. sqs:SendMessage will be added for SQS queues and sns:Publish for SNS topics" (AWS
#: Serverless Application Model Developer Guide, "DeadLetterQueue",
#: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-deadletterqueue.html),
#: and "If the target queue or topic is encrypted with a customer managed key, the execution role
#: must also be a user in the key's resource-based policy" (the Lambda page's dead-letter queues).
_ASYNC_SOURCES = MappingProxyType({t: _LAMBDA_ASYNC for t in _SEND})
#: An on-failure destination may also be a bucket: "Amazon S3 - An Amazon S3 bucket (on failure
#: only)", whose "Required permission" is "s3:PutObject, s3:ListBucket", and "For Amazon S3
#: destinations, if you have enabled encryption on the bucket using a KMS key, your function also
#: needs the kms:GenerateDataKey permission" (the page above, read whole in a verbatim copy);
#: s3:ListBucket reads no object, so only s3:PutObject is a data action here.
_ON_FAILURE = MappingProxyType({**_SEND, "AWS::S3::Bucket": ("s3:PutObject",)})
_ON_FAILURE_SOURCES = MappingProxyType({t: _LAMBDA_ASYNC for t in _ON_FAILURE})
_SCHEDULER = (
    'Amazon EventBridge Scheduler User Guide, "Managing targets in EventBridge Scheduler"',
    "https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets.html",
)
_PIPES = (
    'Amazon EventBridge User Guide, "Event source permissions for Amazon EventBridge Pipes"',
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html",
)

CONSUMERS += (
    # a function's dead-letter queue: Lambda sends the events it could not process with the
    # function's execution role (AWS CloudFormation Template Reference, "AWS::Lambda::Function
    # DeadLetterConfig": TargetArn, "The Amazon Resource Name (ARN) of an Amazon SQS queue or
    # Amazon SNS topic")
    Consumer(
        "AWS::Lambda::Function", "DeadLetterConfig.TargetArn", "Role",
        MappingProxyType(_SEND), _ASYNC_SOURCES, role_of="role",
        what="this function's dead-letter queue", uses="Lambda sends the events it could not "
        "process into", role_name="the function's execution role",
        consequence="every failed event is lost",
    ),
    # an asynchronous invocation's destinations ("AWS::Lambda::EventInvokeConfig
    # DestinationConfig": OnFailure and OnSuccess, each a Destination ARN), sent with the
    # execution role of the function FunctionName names
    *(Consumer(
        "AWS::Lambda::EventInvokeConfig", f"DestinationConfig.{when}.Destination", "FunctionName",
        actions, sources, what=f"this function's {label} destination",
        uses="Lambda sends invocation records into", role_name="its function's execution role",
        consequence="every record is lost",
    ) for when, label, actions, sources in (
        ("OnFailure", "on-failure", _ON_FAILURE, _ON_FAILURE_SOURCES),
        ("OnSuccess", "on-success", MappingProxyType(_SEND), _ASYNC_SOURCES),
    )),
    # an event source mapping's on-failure destination: "To retain records of failed event
    # source mapping invocations, add a destination to your function's event source mapping
    # ... Your execution role must have permissions for the destination" (AWS Lambda Developer
    # Guide, "Capturing discarded batches for an Amazon MSK event source",
    # https://docs.aws.amazon.com/lambda/latest/dg/with-msk-on-failure.html; the permissions
    # per destination as for asynchronous invocation, above). AWS CloudFormation Template
    # Reference, "AWS::Lambda::EventSourceMapping OnFailure": "To retain records of failed
    # invocations from Kinesis, DynamoDB, self-managed Kafka or Amazon MSK, you can configure an
    # Amazon SNS topic, Amazon SQS queue, or Amazon S3 bucket as the destination".
    Consumer(
        "AWS::Lambda::EventSourceMapping", "DestinationConfig.OnFailure.Destination",
        "FunctionName", _ON_FAILURE, _ON_FAILURE_SOURCES,
        what="this event source mapping's on-failure destination",
        uses="Lambda sends the records of the batches it discards into",
        role_name="its function's execution role", consequence="every discarded batch is lost",
    ),
    # a task definition's secrets: "the task definition is referencing sensitive data using
    # Secrets Manager secrets ... For more information, see Required IAM permissions for Amazon
    # ECS secrets" (one of the task execution role's uses), whose list is
    # "secretsmanager:GetSecretValue—Required if you are referencing a Secrets Manager secret"
    # and "kms:Decrypt—Required only if your secret uses a custom KMS key and not the default
    # key" (AWS CloudFormation Template Reference, "AWS::ECS::TaskDefinition Secret": ValueFrom,
    # "The secret to expose to the container ... the full ARN of the secret")
    Consumer(
        "AWS::ECS::TaskDefinition", "ContainerDefinitions[].Secrets[].ValueFrom",
        "ExecutionRoleArn",
        MappingProxyType({"AWS::SecretsManager::Secret": ("secretsmanager:GetSecretValue",)}),
        MappingProxyType({"AWS::SecretsManager::Secret": (
            'Amazon ECS Developer Guide, "Amazon ECS task execution IAM role"',
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
        )}),
        role_of="role", what="this task definition's secrets", uses="ECS reads",
        role_name="the task execution role", consequence="the task never starts",
    ),
    # a pipe's source, read with the pipe's role: "the permissions vary based on the source
    # type" (the page above; an SQS source: sqs:ReceiveMessage, sqs:DeleteMessage,
    # sqs:GetQueueAttributes; a Kinesis stream: DescribeStream, DescribeStreamSummary,
    # GetRecords, GetShardIterator, ListShards, SubscribeToShard; a DynamoDB stream, its
    # "DynamoDB execution role permissions": the stream reads, as for Lambda).
    Consumer(
        "AWS::Pipes::Pipe", "Source", "RoleArn",
        MappingProxyType({"AWS::SQS::Queue": _SQS, "AWS::Kinesis::Stream": _KINESIS,
                          "AWS::DynamoDB::Table": _DYNAMODB}),
        MappingProxyType({t: _PIPES for t in ("AWS::SQS::Queue", "AWS::Kinesis::Stream",
                                              "AWS::DynamoDB::Table")}),
        role_of="role", what="this pipe", uses="EventBridge Pipes reads",
        role_name="the pipe's execution role", consequence="the pipe never delivers an event",
    ),
    # a pipe's dead-letter queue (a Kinesis or DynamoDB stream source's): "To send records of
    # failed batches to the pipe dead-letter queue, your pipe execution role needs the following
    # permission: sqs:SendMessage" (the page above; AWS CloudFormation Template Reference,
    # "AWS::Pipes::Pipe DeadLetterConfig": Arn, "The ARN of the specified target for the
    # dead-letter queue")
    *(Consumer(
        "AWS::Pipes::Pipe", f"SourceParameters.{parameters}.DeadLetterConfig.Arn", "RoleArn",
        MappingProxyType({"AWS::SQS::Queue": ("sqs:SendMessage",)}),
        MappingProxyType({"AWS::SQS::Queue": _PIPES}), role_of="role",
        what="this pipe's dead-letter queue",
        uses="EventBridge Pipes sends the records of failed batches into",
        role_name="the pipe's execution role", consequence="every failed batch is lost",
    ) for parameters in ("KinesisStreamParameters", "DynamoDBStreamParameters")),
    # a pipe's target: "EventBridge Pipes uses the IAM role that you specify on the pipe for
    # enrichment and target calls" (the page above, "Enrichment and target permissions"). AWS
    # names the role, not the action: the row takes the write operation of the target's service
    # that delivers an event into it (a queue's SendMessage, a topic's Publish, a stream's
    # PutRecord), whose KMS requests are the store's writers'.
    Consumer(
        "AWS::Pipes::Pipe", "Target", "RoleArn",
        MappingProxyType({"AWS::SQS::Queue": ("sqs:SendMessage",),
                          "AWS::SNS::Topic": ("sns:Publish",),
                          "AWS::Kinesis::Stream": ("kinesis:PutRecord",)}),
        MappingProxyType({t: _PIPES for t in ("AWS::SQS::Queue", "AWS::SNS::Topic",
                                              "AWS::Kinesis::Stream")}),
        role_of="role", what="this pipe's target", uses="EventBridge Pipes delivers into",
        role_name="the pipe's execution role", consequence="the pipe never delivers an event",
    ),
    # a schedule's target: "to target Amazon SQS's SendMessage operation, the execution role be
    # granted permission to perform the sqs:SendMessage action" (the page above; the templated
    # targets "Amazon SNS - Publish", "Amazon SQS - SendMessage"). AWS CloudFormation Template
    # Reference, "AWS::Scheduler::Schedule Target": Arn and RoleArn.
    Consumer(
        "AWS::Scheduler::Schedule", "Target.Arn", "Target.RoleArn", MappingProxyType(_SEND),
        MappingProxyType({t: _SCHEDULER for t in _SEND}), role_of="role",
        what="this schedule", uses="EventBridge Scheduler sends into",
        role_name="the schedule's execution role", consequence="every invocation fails",
    ),
    # a schedule's dead-letter queue: "To let EventBridge Scheduler to deliver dead-letter
    # events to Amazon SQS, your schedule execution role needs the following permission policy"
    # (sqs:SendMessage; the page's dead-letter event shows a role session as its SenderId). The
    # troubleshooting page (below) shows instead a key policy statement for the service principal
    # scheduler.amazonaws.com ("If your DLQ is encrypted with a KMS key, ensure the key policy
    # allows EventBridge Scheduler to use it"), with no condition: not written here, the DLQ
    # page's role is followed. AWS CloudFormation Template Reference, "AWS::Scheduler::Schedule
    # DeadLetterConfig": Arn, "The Amazon Resource Name (ARN) of the SQS queue specified as the
    # destination for the dead-letter queue".
    Consumer(
        "AWS::Scheduler::Schedule", "Target.DeadLetterConfig.Arn", "Target.RoleArn",
        MappingProxyType({"AWS::SQS::Queue": ("sqs:SendMessage",)}),
        MappingProxyType({"AWS::SQS::Queue": (
            'Amazon EventBridge Scheduler User Guide, "Configuring a schedule\'s dead-letter '
            'queue in EventBridge Scheduler"',
            "https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html",
        )}),
        role_of="role", what="this schedule's dead-letter queue",
        uses="EventBridge Scheduler delivers the events it could not deliver into",
        role_name="the schedule's execution role", consequence="every failed event is lost",
    ),
    # a schedule's universal target: "RoleArn - The ARN for the execution role you want to use
    # for the target. The execution role you specify must have the permissions to call the API
    # operation you want your schedule to target", the store in its Input ("A well-formed JSON
    # you specify with the request parameters that EventBridge Scheduler sends to the target
    # API", the page's SQS example: "QueueUrl"); and "If your target uses encrypted resources
    # (e.g., KMS-encrypted SQS queues), ensure your role has permissions to use the KMS key"
    # (Amazon EventBridge Scheduler User Guide, "Troubleshooting Amazon EventBridge Scheduler",
    # https://docs.aws.amazon.com/scheduler/latest/UserGuide/troubleshooting.html)
    Consumer(
        "AWS::Scheduler::Schedule", "Target.Input", "Target.RoleArn", MappingProxyType({}),
        MappingProxyType({"*": (
            'Amazon EventBridge Scheduler User Guide, "Using universal targets in EventBridge '
            'Scheduler"',
            "https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html",
        )}),
        role_of="role", what="this schedule's universal target",
        uses="EventBridge Scheduler calls the API on", role_name="the schedule's execution role",
        consequence="every invocation fails", tasks="universal_target",
    ),
    # a state machine's tasks: the API each Task state's Resource names, on the stores its
    # parameters name, called with the state machine's role (its RoleArn: "The Amazon Resource
    # Name (ARN) of the IAM role to use for this state machine", AWS CloudFormation Template
    # Reference, "AWS::StepFunctions::StateMachine"; :mod:`.state_machine_tasks`)
    Consumer(
        "AWS::StepFunctions::StateMachine", "DefinitionString", "RoleArn", MappingProxyType({}),
        MappingProxyType({"*": (
            'AWS Step Functions Developer Guide, "Learning to use AWS service SDK integrations '
            'in Step Functions"',
            "https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html",
        )}),
        role_of="role", what="this state machine's task", uses="Step Functions calls the API on",
        role_name="the state machine's role", consequence="the task fails", tasks="definition",
    ),
)  # fmt: skip

#: :data:`CONSUMERS` by the CloudFormation type of the wiring resource.
CONSUMERS_BY_TYPE: Mapping[str, tuple[Consumer, ...]] = MappingProxyType(
    {t: tuple(c for c in CONSUMERS if c.cfn_type == t) for t in {c.cfn_type for c in CONSUMERS}}
)
#: :data:`CONSUMERS` by :attr:`Consumer.key`.
CONSUMERS_BY_KEY: Mapping[str, Consumer] = MappingProxyType({c.key: c for c in CONSUMERS})

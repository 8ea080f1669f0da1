"""Resources that make a role read a store (issue #19, "derive from the wiring"): a Lambda event
source mapping names its source (``EventSourceArn``) and its function, and Lambda polls the
source with the function's execution role. The role's permissions may come from a policy the
template does not show (an AWS managed policy such as ``AWSLambdaSQSQueueExecutionRole``), so the identity
audit cannot see the read from the role's policies; the mapping shows it. The audit
(:mod:`cdk_partition.audit.consumer_grants`) turns each row into the actions below on the store,
which the identity rows (:mod:`.identity_kms`) map to KMS requests decided against the key.

Each row cites the AWS page that lists what the role calls; pure Python (no aws_cdk import).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["CONSUMERS", "CONSUMERS_BY_TYPE", "Consumer"]


@dataclass(frozen=True)
class Consumer:
    """``cfn_type``'s ``store_property`` names a store that a role reads with ``actions`` (by
    the store's CloudFormation type); the role is the one ``function_property`` names the
    function of (its ``Role``)."""

    cfn_type: str
    store_property: str
    function_property: str
    actions: Mapping[str, tuple[str, ...]]
    sources: Mapping[str, tuple[str, str]]
    """Store type -> (AWS page title, URL) listing the actions."""


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

#: :data:`CONSUMERS` by the CloudFormation type of the wiring resource.
CONSUMERS_BY_TYPE: Mapping[str, Consumer] = MappingProxyType({c.cfn_type: c for c in CONSUMERS})

"""Which resources of a store an action acts on (issue #19: no grant read as more than IAM
allows): ``s3:GetObject`` acts on objects (``<bucket ARN>/<key>``), never on the bucket's own ARN;
``dynamodb:Query`` on a table and its indexes; ``dynamodb:GetRecords`` on its streams. An identity
grant of an object action on a bucket's ARN alone lets the principal read nothing, so it needs no
request of the key (an attack found such a grant reported, and a fix widening the key for it).

:data:`SUFFIXES`: store type -> action -> what follows the store's own ARN (its
``Fn::GetAtt Arn``) in the ARN of each resource type the action acts on, ``${Var}`` standing for
a part. Generated from the Service Authorization Reference as the IAM simulator's iam-data
holds it ("Actions defined by ..." resource types, "Resource types defined by ..." ARN formats:
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html,
list_amazondynamodb.html, list_amazonkinesis.html), and checked equal to it by
``tests/test_identity_resources.py``. Store types not listed have one resource type per action:
no narrowing. Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

__all__ = ["OWN", "SUFFIXES", "acts_on"]

#: Store type -> (IAM prefix, the resource type of the store's own ``Fn::GetAtt Arn``).
OWN: Mapping[str, tuple[str, str]] = MappingProxyType({
    "AWS::S3::Bucket": ("s3", "bucket"),
    "AWS::DynamoDB::Table": ("dynamodb", "table"),
    "AWS::DynamoDB::GlobalTable": ("dynamodb", "table"),
    "AWS::Kinesis::Stream": ("kinesis", "stream"),
})  # fmt: skip

_TABLE: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "dynamodb:GetItem": ("",),
    "dynamodb:BatchGetItem": ("",),
    "dynamodb:Query": ("", "/index/${IndexName}"),
    "dynamodb:Scan": ("", "/index/${IndexName}"),
    "dynamodb:PutItem": ("",),
    "dynamodb:UpdateItem": ("",),
    "dynamodb:DeleteItem": ("",),
    "dynamodb:BatchWriteItem": ("",),
    "dynamodb:ConditionCheckItem": ("",),
    "dynamodb:PartiQLSelect": ("", "/index/${IndexName}"),
    "dynamodb:PartiQLInsert": ("",),
    "dynamodb:PartiQLUpdate": ("",),
    "dynamodb:PartiQLDelete": ("",),
    "dynamodb:GetRecords": ("/stream/${StreamLabel}",),
})  # fmt: skip

SUFFIXES: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "AWS::S3::Bucket": MappingProxyType({
        "s3:GetObject": ("/${ObjectName}",),
        "s3:GetObjectVersion": ("/${ObjectName}",),
        "s3:PutObject": ("/${ObjectName}",),
    }),
    "AWS::DynamoDB::Table": _TABLE,
    "AWS::DynamoDB::GlobalTable": _TABLE,
    "AWS::Kinesis::Stream": MappingProxyType({
        "kinesis:PutRecord": ("",),
        "kinesis:PutRecords": ("",),
        "kinesis:GetRecords": ("",),
        "kinesis:SubscribeToShard": (),  # a stream consumer's ARN, never the stream's
    }),
})  # fmt: skip

_VARIABLE = re.compile(r"\$\{[^}]*\}")


def acts_on(store_type: str, action: str, suffix: str) -> bool:
    """Whether ``action`` (as an identity row spells it) can act on a resource whose ARN is the
    store's own ARN followed by ``suffix`` (a policy's text, IAM wildcards ``*``/``?`` kept):
    True when the table does not narrow the type or the action."""
    table = SUFFIXES.get(store_type)
    formats = table.get(action) if table is not None else None
    if formats is None:
        return True
    return any(_compatible(suffix, f) for f in formats)


@lru_cache(maxsize=1024)
def _compatible(suffix: str, format_: str) -> bool:
    """A resource ``format_`` describes can be one ``suffix`` admits: the policy's pattern
    matches an instance of the format, or the format matches the policy's literal text."""
    instance = _VARIABLE.sub("v", format_)
    pattern = re.escape(suffix).replace(r"\*", ".*").replace(r"\?", ".")
    if re.fullmatch(pattern, instance, re.DOTALL):
        return True
    parts = _VARIABLE.split(format_)
    shape = "[^/]+".join(re.escape(p) for p in parts)
    if format_.endswith("${ObjectName}"):  # an object key may hold slashes
        shape = shape.removesuffix("[^/]+") + ".+"
    return re.fullmatch(shape, suffix, re.DOTALL) is not None

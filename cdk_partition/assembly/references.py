"""The resources of the app a template value points to (one reference follower for every pass).

A value points to a resource by ``Ref`` or ``Fn::GetAtt`` of it in its own stack (``${Id}``,
``${Id.Arn}`` once canonical, bare or inside ``Fn::Join`` / ``Fn::Sub``), or by ``Fn::ImportValue``
of an export of another stack whose value points to one (how the CDK writes a cross-stack
reference). The key grants, the identity policies, the integrations, the store texts and the
on-key finder all ask this question; they differ only in what they do with the answer. Pure
Python over JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..policy import evaluator
from .stacks import StackTemplate

__all__ = [
    "PARTS", "REACHES", "STANDS_FOR", "across_nesting", "placeholders", "reached_by", "references"
]  # fmt: skip

#: Resources whose ``Ref`` is another resource's identifier: type -> the property naming that
#: resource, followed in its place. A database secret's attachment: "To reference a secret also
#: created in this template, use the Ref function with the secret's logical ID" (AWS
#: CloudFormation Template Reference, "AWS::SecretsManager::SecretTargetAttachment", SecretId,
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-secretsmanager-secrettargetattachment.html);
#: what its own ``Ref`` returns is not in the page text read here: the AWS CDK API Reference says
#: the attachment's ``secretTargetAttachmentSecretArn`` (its ``Ref``) is "Same as secretArn"
#: (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_secretsmanager.ISecretTargetAttachment.html),
#: and ``db.secret`` of an RDS L2 is that attachment, so a grant on it is a grant on the secret.
STANDS_FOR: Mapping[str, str] = {"AWS::SecretsManager::SecretTargetAttachment": "SecretId"}

#: Resources whose ARN (``Ref`` or any attribute) addresses another resource's data: type -> the
#: property naming that resource, followed in its place. A Kinesis enhanced fan-out consumer:
#: SubscribeToShard reads the stream through the consumer's ARN (AWS CloudFormation Template
#: Reference, "AWS::Kinesis::StreamConsumer", StreamARN: "The Amazon resource name (ARN) of the
#: Kinesis data stream that you want to register the consumer with"). An S3 access point: "ARNs
#: for objects accessed through an access point use the format
#: arn:aws:s3:region:account-id:accesspoint/access-point-name/object/resource" (Amazon S3 User
#: Guide, "Using access points",
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-access-points.html), the objects of
#: the bucket its ``Bucket`` names ("The name of the bucket that you want to associate this Access
#: Point with", "AWS::S3::AccessPoint"). A grant through either reaches the store's data. The
#: value is the properties that may name the store, the first one set taken.
#:
#: Resources inside a store whose key is the store's: an S3 Vectors index uses its bucket's
#: encryption unless it sets its own ("You can optionally override bucket level encryption
#: settings, and set a specific encryption configuration for a vector index at the time of index
#: creation", AWS CloudFormation Template Reference, "AWS::S3Vectors::Index
#: EncryptionConfiguration",
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3vectors-index-encryptionconfiguration.html);
#: a Deadline Cloud farm's queues, fleets and the rest ("All of the content within the farm is
#: encrypted with the KMS key", AWS Deadline Cloud Developer Guide, "Key management",
#: https://docs.aws.amazon.com/deadline-cloud/latest/developerguide/key-management.html); a
#: Bedrock guardrail's versions, which have no key of their own in the CloudFormation schema
#: ("GuardrailIdentifier: Identifier (GuardrailId or GuardrailArn) for the guardrail",
#: "AWS::Bedrock::GuardrailVersion"; AWS states no key for a version: read as the guardrail's).
REACHES: Mapping[str, tuple[str, ...]] = {
    "AWS::Kinesis::StreamConsumer": ("StreamARN",),
    "AWS::S3::AccessPoint": ("Bucket",),
    "AWS::S3Vectors::Index": ("VectorBucketArn", "VectorBucketName"),
    **{
        f"AWS::Deadline::{kind}": ("FarmId",)
        for kind in ("Queue", "Fleet", "QueueEnvironment", "StorageProfile", "Budget", "Limit")
    },
    "AWS::Bedrock::GuardrailVersion": ("GuardrailIdentifier",),
}

_MAX_DEPTH = 8
"""Exports re-exported more deeply than this are not followed (a bound, not a limit of AWS)."""

_MAX_STEPS = 5000
"""The values one :func:`references` call follows at most (a bound of work, not of AWS)."""


@dataclass
class _Walk:
    """One :func:`references` call's state: the (template, value, whole) already followed and the
    steps taken."""

    seen: set[tuple[int, str, bool]] = field(default_factory=set)
    steps: int = 0
    exhausted: bool = False


#: Opaque intrinsics (canonical ``${Fn::Name:<JSON arguments>}``) whose value is a part of their
#: arguments' values: ``Fn::Select`` of a list, ``Fn::Split`` of a string.
PARTS = ("Fn::Select:", "Fn::Split:")


def placeholders(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each top-level ``${...}`` placeholder of a canonical string (braces inside
    a placeholder, as in ``${ImportValue:${AWS::StackName}-Arn}``, are balanced)."""
    index = 0
    while (start := text.find("${", index)) != -1:
        depth, end = 0, start + 1
        while end < len(text):
            if text[end] == "{":
                depth += 1
            elif text[end] == "}":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        if depth:
            return
        yield start, end + 1
        index = end + 1


def _first_set(resource: Any, properties: tuple[str, ...]) -> Any:
    """The value of the first of ``properties`` the resource sets (None: none)."""
    props = resource.get("Properties") if isinstance(resource, dict) else None
    if not isinstance(props, dict):
        return None
    return next((props[p] for p in properties if props.get(p) is not None), None)


def reached_by(resource: Any) -> Any:
    """What a :data:`REACHES` resource names its store by (the first of its properties set), or
    None for any other resource."""
    kind = resource.get("Type") if isinstance(resource, dict) else None
    return _first_set(resource, REACHES.get(kind, ())) if isinstance(kind, str) else None


def across_nesting(
    stack: StackTemplate, logical_id: str, attribute: str, kind: Any
) -> tuple[StackTemplate, Any] | None:
    """Where a reference crosses a nested stack's boundary, the template and value it stands
    for: ``Fn::GetAtt [<nested stack>, Outputs.<name>]`` is that output's ``Value`` in the nested
    template ("Outputs.NestedStackOutputName": "Returns: The output value from the nested stack
    that you specified", AWS CloudFormation Template Reference, "AWS::CloudFormation::Stack",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stack.html),
    and a ``Ref`` of a nested template's parameter is the value its parent's stack resource
    gives it (``Parameters``), as the CDK wires a nested stack's references to its parent."""
    if kind == "AWS::CloudFormation::Stack" and attribute.startswith("Outputs."):
        child = stack.nested.get(logical_id)
        outputs = child.template.get("Outputs") if child is not None else None
        output = outputs.get(attribute[len("Outputs.") :]) if isinstance(outputs, dict) else None
        if child is not None and isinstance(output, dict) and "Value" in output:
            return child, output["Value"]
        return None
    parameters = stack.template.get("Parameters")
    if (
        kind is None
        and not attribute
        and stack.parent is not None
        and isinstance(parameters, dict)
        and logical_id in parameters
    ):
        parent, resource_id = stack.parent
        props = (parent.resources.get(resource_id) or {}).get("Properties")
        given = props.get("Parameters") if isinstance(props, dict) else None
        if isinstance(given, dict) and logical_id in given:
            return parent, given[logical_id]
    return None


def _part_of(inner: str) -> str | None:
    """The one reference an opaque ``Fn::Select``/``Fn::Split`` placeholder (``inner``, without
    ``${ }``) takes a part of, when its shape is exactly ``Fn::Split(<literal separator>,
    <reference>)`` or ``Fn::Select(<index>, <that split>)``; else None."""
    prefix = next((p for p in PARTS if inner.startswith(p)), None)
    try:
        arguments = json.loads(inner.removeprefix(prefix)) if prefix else None
    except ValueError:
        return None
    if not isinstance(arguments, list) or len(arguments) != 2:
        return None
    first, second = arguments
    if not isinstance(second, str):
        return None
    spans = list(placeholders(second))
    if len(spans) != 1 or spans[0] != (0, len(second)):
        return None
    nested = second[2:-1]
    if prefix == "Fn::Select:":
        if not isinstance(first, int) or isinstance(first, bool):
            return None
        return _part_of(nested) if nested.startswith("Fn::Split:") else None
    if not isinstance(first, str) or "${" in first or nested.startswith(("Fn::", "AWS::")):
        return None
    return second


def references(
    exports: Mapping[str, tuple[StackTemplate, Any]],
    stack: StackTemplate,
    value: Any,
    *,
    whole: bool = False,
    missing: list[str] | None = None,
    depth: int = 0,
    _walk: _Walk | None = None,
) -> Iterator[tuple[StackTemplate, str]]:
    """``(stack, logical id)`` of each resource ``value`` (of ``stack``'s template) points to, in
    order, imports followed through ``exports`` (export name -> (its stack, its value)), and a
    ``Ref`` of a :data:`STANDS_FOR` resource followed to the resource it stands for, and any
    reference to a :data:`REACHES` resource to the resource whose data it addresses.

    ``whole``: only a value that is one reference as a whole (``{"Ref": ...}``, ``Fn::GetAtt``,
    ``Fn::ImportValue``), not one inside a ``Fn::Join`` / ``Fn::Sub``. ``missing``: where to say
    what cannot be followed (an import no stack exports, a name that is no resource of the stack,
    such as a parameter); pseudo parameters (``AWS::Region``) are skipped.

    Each (template, value) is followed once per call, and a call follows at most
    :data:`_MAX_STEPS` values (a template whose outputs and parameters feed each other many times
    over would take hours otherwise); past that, ``missing`` says so."""
    walk = _walk if _walk is not None else _Walk()
    walk.steps += 1
    if walk.steps > _MAX_STEPS:
        if missing is not None and not walk.exhausted:
            missing.append(f"more than {_MAX_STEPS} references to follow")
        walk.exhausted = True
        return
    text = evaluator.canonicalize(value)
    if not isinstance(text, str) or depth > _MAX_DEPTH:
        return
    visit = (id(stack), text, whole)
    if visit in walk.seen:
        return
    walk.seen.add(visit)
    spans = list(placeholders(text))
    if whole and (len(spans) != 1 or spans[0] != (0, len(text))):
        return
    for start, end in spans:
        inner = text[start + 2 : end - 1]
        if inner.startswith("AWS::"):
            continue
        if inner.startswith("ImportValue:"):
            exported = exports.get(inner.removeprefix("ImportValue:"))
            if exported is None:
                if missing is not None:
                    missing.append("an import no stack of the app exports")
                continue
            yield from references(exports, exported[0], exported[1], whole=whole,
                                  missing=missing, depth=depth + 1, _walk=walk)  # fmt: skip
            continue
        if inner.startswith(PARTS) and not whole:
            # a part of one reference, as the CDK writes a state machine's executions
            # (``execution:${Fn::Select:[6, Fn::Split(":", <its ARN>)]}:*``): that reference
            # (the text's other stores are matched by name with the part as a wildcard:
            # :mod:`cdk_partition.audit.store_texts`); any other shape cannot be read
            whole_reference = _part_of(inner)
            if whole_reference is None:
                if missing is not None:
                    missing.append("a part of a value that cannot be read")
                continue
            yield from references(exports, stack, whole_reference, whole=True, missing=missing,
                                  depth=depth + 1, _walk=walk)  # fmt: skip
            continue
        logical_id, _, attribute = inner.partition(".")
        resource = stack.resources.get(logical_id)
        kind = resource.get("Type") if isinstance(resource, dict) else None
        across = across_nesting(stack, logical_id, attribute, kind)
        if across is not None:
            # an output of a nested stack, or a parameter the parent gives it: the value there;
            # a literal text there names nothing this walk can follow (it is matched as written
            # only where it is written): said, as any parameter was before
            there = evaluator.canonicalize(across[1])
            if isinstance(there, str) and not list(placeholders(there)):
                if missing is not None:
                    missing.append("a nested stack's parameter or output given a literal text")
                continue
            yield from references(exports, across[0], across[1], whole=whole, missing=missing,
                                  depth=depth + 1, _walk=walk)  # fmt: skip
            continue
        through: tuple[str, ...] = ()
        if isinstance(kind, str):
            stands = None if attribute else STANDS_FOR.get(kind)
            through = (stands,) if stands else REACHES.get(kind, ())
        if through:
            named = _first_set(resource, through)
            # its own walk (what it finds decides the fallback), the same step budget
            sub = _Walk(steps=walk.steps)
            found = list(references(exports, stack, named, whole=whole, depth=depth + 1, _walk=sub))
            walk.steps, walk.exhausted = sub.steps, walk.exhausted or sub.exhausted
            yield from found or [(stack, logical_id)]
        elif logical_id in stack.resources:
            yield stack, logical_id
        elif missing is not None:
            missing.append("names no resource of its stack")

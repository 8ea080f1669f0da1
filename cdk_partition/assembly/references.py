"""The resources of the app a template value points to (one reference follower for every pass).

A value points to a resource by ``Ref`` or ``Fn::GetAtt`` of it in its own stack (``${Id}``,
``${Id.Arn}`` once canonical, bare or inside ``Fn::Join`` / ``Fn::Sub``), or by ``Fn::ImportValue``
of an export of another stack whose value points to one (how the CDK writes a cross-stack
reference). The key grants, the identity policies, the integrations, the store texts and the
on-key finder all ask this question; they differ only in what they do with the answer. Pure
Python over JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..policy import evaluator
from .stacks import StackTemplate

__all__ = ["placeholders", "references"]

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

_MAX_DEPTH = 8
"""Exports re-exported more deeply than this are not followed (a bound, not a limit of AWS)."""


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


def references(
    exports: Mapping[str, tuple[StackTemplate, Any]],
    stack: StackTemplate,
    value: Any,
    *,
    whole: bool = False,
    missing: list[str] | None = None,
    depth: int = 0,
) -> Iterator[tuple[StackTemplate, str]]:
    """``(stack, logical id)`` of each resource ``value`` (of ``stack``'s template) points to, in
    order, imports followed through ``exports`` (export name -> (its stack, its value)), and a
    ``Ref`` of a :data:`STANDS_FOR` resource followed to the resource it stands for.

    ``whole``: only a value that is one reference as a whole (``{"Ref": ...}``, ``Fn::GetAtt``,
    ``Fn::ImportValue``), not one inside a ``Fn::Join`` / ``Fn::Sub``. ``missing``: where to say
    what cannot be followed (an import no stack exports, a name that is no resource of the stack,
    such as a parameter); pseudo parameters (``AWS::Region``) are skipped."""
    text = evaluator.canonicalize(value)
    if not isinstance(text, str) or depth > _MAX_DEPTH:
        return
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
                                  missing=missing, depth=depth + 1)  # fmt: skip
            continue
        logical_id, _, attribute = inner.partition(".")
        resource = stack.resources.get(logical_id)
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if not attribute and isinstance(kind, str) and kind in STANDS_FOR:
            props = resource.get("Properties") if isinstance(resource, dict) else None
            named = props.get(STANDS_FOR[kind]) if isinstance(props, dict) else None
            found = list(references(exports, stack, named, whole=whole, depth=depth + 1))
            yield from found or [(stack, logical_id)]
        elif logical_id in stack.resources:
            yield stack, logical_id
        elif missing is not None:
            missing.append("names no resource of its stack")

"""Values of a domain key policy the checks cannot vouch for (issue #19, item 5, and "fail
closed"): a principal KMS refuses (a wildcard inside an ARN, CDKP109), and any element whose value
CloudFormation chooses at deploy time (``Fn::If``, ``Fn::FindInMap``, ``Fn::Select`` of a list, a
``Ref`` of a template parameter, CDKP105).

The evaluator and the prover read an intrinsic they cannot resolve as an opaque placeholder that
equals only itself (:mod:`cdk_partition.policy.canonical`). That is sound for a reference to a
resource (a role's ``Arn`` names that role), not for a value picked at deploy: ``{"Fn::If":
["Open", "*", <role ARN>]}`` as a principal deploys as ``"*"`` when the condition holds, and read
as a placeholder it allowed nobody (an attack found the key open to every service, the checks
silent). Such a value is reported where it stands, never decided.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import StackTemplate
from ..assembly.references import across_nesting
from ..policy import evaluator

__all__ = ["PRINCIPAL_PAGE", "chosen_at_deploy", "principal_problems"]

#: IAM User Guide, "AWS JSON policy elements: Principal": "You cannot use a wildcard to match
#: part of a principal name or ARN."
PRINCIPAL_PAGE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
)

#: Intrinsic functions whose value the template picks among several at deploy time (AWS
#: CloudFormation User Guide, "Intrinsic function reference",
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html):
#: a condition's branch, a map entry (its keys may be parameters or the region), an element of a
#: list, a macro's output.
_CHOOSING = ("Fn::If", "Fn::FindInMap", "Fn::Transform", "Fn::Select")

#: A dynamic reference: "CloudFormation retrieves the value of the specified reference when
#: necessary during stack and change set operations" (ssm, ssm-secure, secretsmanager: AWS
#: CloudFormation User Guide, "Using dynamic references to specify template values",
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html): the
#: value is whatever the parameter or secret holds then.
_DYNAMIC_REFERENCE = "{{resolve:"

#: Resources whose ``Ref`` and attributes are what code returns at deploy: a custom resource's
#: provider sends ``PhysicalResourceId`` and ``Data``, "The custom resource provider-defined
#: name-value pairs to send with the response. You can access the values provided here by name in
#: the template with Fn::GetAtt" (AWS CloudFormation User Guide, "Custom resource response
#: objects", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html);
#: a wait condition's ``Data`` is what its signals send.
_RETURNED_BY_CODE = ("AWS::CloudFormation::CustomResource", "AWS::CloudFormation::WaitCondition")
#: Resources whose outputs come from a template the assembly may not hold (a nested stack's
#: template in the assembly is followed instead).
_OTHER_TEMPLATES = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")
#: CDK's cross-region references: the reader returns what the producing stack's
#: ``Custom::CrossRegionExportWriter`` wrote, followed there (:class:`~cdk_partition.assembly.keys
#: .KeyResolver` reads the writers the same way).
_CROSS_REGION_READER = "Custom::CrossRegionExportReader"

#: (consuming region, parameter name) -> (the producing stack, the value its writer writes)
CrossRegion = Mapping[tuple[str | None, str], tuple[StackTemplate, Any]]
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_MAX_DEPTH = 8


Exports = Mapping[str, tuple[StackTemplate, Any]]


def chosen_at_deploy(
    value: Any,
    stack: StackTemplate,
    depth: int = 0,
    exports: Exports | None = None,
    cross_region: CrossRegion | None = None,
) -> str | None:
    """What in ``value`` (a raw template value, before canonicalization) CloudFormation chooses
    at deploy time, or None: a choosing intrinsic (:data:`_CHOOSING`; an ``Fn::Select`` of a
    part of a reference, ``Fn::Select [i, Fn::Split [sep, <reference>]]`` as ``cdk.Arn.split``
    writes it, is not a choice), or a parameter of ``stack`` (``Ref``, an ``Fn::Sub``
    variable). Followed where the value comes from: a nested stack's parameter to the value its
    parent gives it, a nested stack's output to its value, an import to the export of the
    assembly (``exports``: export name -> its stack and value; an export from outside the
    assembly is a reference, not a choice), a CDK cross-region reference to the value its writer
    writes (``cross_region``), within a few levels (past them: a choice). A dynamic reference
    (``{{resolve:...}}``) and a ``Ref`` or attribute of a custom resource or a wait condition
    (what code returns at deploy), or an output of a stack whose template the assembly does not
    hold, are choices too."""
    if depth > _MAX_DEPTH:
        return "a value followed through too many stacks, imports and parameters"

    def again(inner: Any, where: StackTemplate = stack, deeper: int = depth) -> str | None:
        return chosen_at_deploy(inner, where, deeper, exports, cross_region)

    if isinstance(value, str):
        if _DYNAMIC_REFERENCE in value:
            return f"the dynamic reference {_brief(value)}, which CloudFormation resolves at deploy"
        return None
    if isinstance(value, list):
        return next((w for v in value if (w := again(v))), None)
    if not isinstance(value, dict):
        return None
    if len(value) == 1:
        name, argument = next(iter(value.items()))
        if _part_of_reference(name, argument):
            # one part of a value: a choice when the value is one
            return again(argument[1]["Fn::Split"][1])
        if name in _CHOOSING:
            return f"{name} {_brief(argument)}"
        if name == "Ref" and isinstance(argument, str):
            return _returned_by_code(argument, stack, "its physical id") or _parameter(
                argument, stack, depth, exports
            )
        if name == "Fn::ImportValue":
            export = exports.get(argument) if exports and isinstance(argument, str) else None
            if export is not None:
                return again(export[1], export[0], depth + 1)
            return again(argument)
        if name == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else argument
            target = stack.resources.get(parts[0]) if _two_texts(parts) else None
            kind = target.get("Type") if isinstance(target, dict) else None
            if kind == _CROSS_REGION_READER:
                written = (cross_region or {}).get((stack.environment.region, parts[1]))
                if written is None:
                    return (
                        f"the cross-region import {parts[1]!r} of {parts[0]}, which no "
                        "Custom::CrossRegionExportWriter of the assembly writes"
                    )
                return again(written[1], written[0], depth + 1)
            output = across_nesting(stack, parts[0], parts[1], kind) if target else None
            if output is not None:
                return again(output[1], output[0], depth + 1)
            if target is not None:
                found = _returned_by_code(parts[0], stack, f"its attribute {parts[1]!r}")
                if found:
                    return found
                if kind in _OTHER_TEMPLATES:
                    return (
                        f"the output {parts[1]!r} of {parts[0]} ({kind}), whose template the "
                        "assembly does not hold"
                    )
        if name == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) and argument else argument
            given = argument[1] if isinstance(argument, list) and len(argument) > 1 else {}
            found = again(text) if isinstance(text, str) else None
            if found:
                return found
            if isinstance(given, dict):
                found = again(list(given.values()))
                if found:
                    return found
            for variable in _SUB_VARIABLE.findall(text if isinstance(text, str) else ""):
                if isinstance(given, dict) and variable in given:
                    continue
                logical = variable.split(".", 1)[0]
                found = (
                    _returned_by_code(logical, stack, "a value")
                    if logical != variable or logical in stack.resources
                    else None
                ) or _parameter(variable, stack, depth, exports)
                if found:
                    return found
            return None
    return next((w for v in value.values() if (w := again(v))), None)


def _returned_by_code(logical_id: str, stack: StackTemplate, what: str) -> str | None:
    """Why ``what`` of resource ``logical_id`` in ``stack`` is chosen at deploy: a custom
    resource (``Custom::*`` but CDK's cross-region reader, followed by the caller;
    ``AWS::CloudFormation::CustomResource``) or a wait condition; None for any other."""
    resource = stack.resources.get(logical_id)
    kind = resource.get("Type") if isinstance(resource, dict) else None
    if not isinstance(kind, str) or kind == _CROSS_REGION_READER:
        return None
    if kind.startswith("Custom::") or kind in _RETURNED_BY_CODE:
        return f"{what} of {logical_id} ({kind}), which its provider's code returns at deploy"
    return None


def _two_texts(parts: Any) -> bool:
    return isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts)


def _parameter(
    name: str, stack: StackTemplate, depth: int, exports: Exports | None = None
) -> str | None:
    """A ``Ref`` of ``name``: None for a pseudo parameter or a resource, the parent's value
    followed for a nested stack's parameter, else a choice made at deploy."""
    parameters = stack.template.get("Parameters")
    if name.startswith("AWS::") or not isinstance(parameters, dict) or name not in parameters:
        return None
    given = across_nesting(stack, name, "", None)  # a nested stack's: its parent's value
    if given is not None:
        return chosen_at_deploy(given[1], given[0], depth + 1, exports)
    return f"the template parameter {name!r}"


def _part_of_reference(name: str, argument: Any) -> bool:
    """``Fn::Select [<index>, Fn::Split [<literal>, <reference>]]``: a part of one value, where
    the reference is a ``Ref``, an ``Fn::GetAtt``, an ``Fn::ImportValue`` of a literal name, or
    itself such a part (``cdk.Arn.split`` and ``Arn.extract_resource_name`` write these)."""
    if name != "Fn::Select" or not isinstance(argument, list) or len(argument) != 2:
        return False
    split = argument[1]
    inner = split.get("Fn::Split") if isinstance(split, dict) and len(split) == 1 else None
    if not isinstance(inner, list) or len(inner) != 2 or not isinstance(inner[0], str):
        return False
    ref = inner[1]
    if not isinstance(ref, dict) or len(ref) != 1:
        return False
    kind, target = next(iter(ref.items()))
    if kind in ("Ref", "Fn::GetAtt"):
        return True
    if kind == "Fn::ImportValue":
        return isinstance(target, str)
    return _part_of_reference(kind, target)


def _brief(argument: Any) -> str:
    text = json.dumps(argument, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def principal_problems(principal: Any) -> Iterator[tuple[Any, str]]:
    """(value, why) for each AWS principal of a statement's ``Principal`` that KMS refuses: an
    ARN with a wildcard inside it (``role/analytics-*``); ``"*"`` alone is every principal, the
    prover's question (CDKP103), not this one."""
    aws = principal.get("AWS") if isinstance(principal, Mapping) else principal
    for value in aws if isinstance(aws, list) else [aws]:
        if value is None or value == "*":
            continue
        text = evaluator.canonicalize(value)
        if not isinstance(text, str):
            continue
        literal = re.sub(r"\$\{[^}]*\}", "", text)
        if "*" in literal or "?" in literal:
            yield (
                value,
                (
                    f"names {text!r}, a wildcard inside a principal: KMS refuses the key policy at "
                    'deployment: "You cannot use a wildcard to match part of a principal name or ARN" '
                    f'(IAM User Guide, "AWS JSON policy elements: Principal", {PRINCIPAL_PAGE})'
                ),
            )

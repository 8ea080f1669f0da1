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
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_MAX_DEPTH = 8


Exports = Mapping[str, tuple[StackTemplate, Any]]


def chosen_at_deploy(
    value: Any, stack: StackTemplate, depth: int = 0, exports: Exports | None = None
) -> str | None:
    """What in ``value`` (a raw template value, before canonicalization) CloudFormation chooses
    at deploy time, or None: a choosing intrinsic (:data:`_CHOOSING`; an ``Fn::Select`` of a
    part of a reference, ``Fn::Select [i, Fn::Split [sep, <reference>]]`` as ``cdk.Arn.split``
    writes it, is not a choice), or a parameter of ``stack`` (``Ref``, an ``Fn::Sub``
    variable). Followed where the value comes from: a nested stack's parameter to the value its
    parent gives it, a nested stack's output to its value, an import to the export of the
    assembly (``exports``: export name -> its stack and value; an export from outside the
    assembly is a reference, not a choice), within a few levels (past them: a choice)."""
    if depth > _MAX_DEPTH:
        return "a value followed through too many stacks, imports and parameters"
    if isinstance(value, list):
        return next((w for v in value if (w := chosen_at_deploy(v, stack, depth, exports))), None)
    if not isinstance(value, dict):
        return None
    if len(value) == 1:
        name, argument = next(iter(value.items()))
        if _part_of_reference(name, argument):
            return None  # one part of a value the template knows: no choice
        if name in _CHOOSING:
            return f"{name} {_brief(argument)}"
        if name == "Ref" and isinstance(argument, str):
            return _parameter(argument, stack, depth, exports)
        if name == "Fn::ImportValue":
            export = exports.get(argument) if exports and isinstance(argument, str) else None
            if export is not None:
                return chosen_at_deploy(export[1], export[0], depth + 1, exports)
            return chosen_at_deploy(argument, stack, depth, exports)
        if name == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else argument
            target = stack.resources.get(parts[0]) if _two_texts(parts) else None
            kind = target.get("Type") if isinstance(target, dict) else None
            output = across_nesting(stack, parts[0], parts[1], kind) if target else None
            if output is not None:
                return chosen_at_deploy(output[1], output[0], depth + 1, exports)
        if name == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) and argument else argument
            given = argument[1] if isinstance(argument, list) and len(argument) > 1 else {}
            if isinstance(given, dict):
                found = chosen_at_deploy(list(given.values()), stack, depth, exports)
                if found:
                    return found
            for variable in _SUB_VARIABLE.findall(text if isinstance(text, str) else ""):
                if isinstance(given, dict) and variable in given:
                    continue
                found = _parameter(variable, stack, depth, exports)
                if found:
                    return found
            return None
    return next(
        (w for v in value.values() if (w := chosen_at_deploy(v, stack, depth, exports))), None
    )


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

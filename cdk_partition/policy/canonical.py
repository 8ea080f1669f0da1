"""The canonical form of a policy: CloudFormation intrinsics as stable placeholder strings.

A key policy in a synthesized template holds intrinsics (``Ref``, ``Fn::GetAtt``, ``Fn::Join``,
``Fn::Sub``, ``Fn::ImportValue``) whose values only CloudFormation knows. :func:`canonicalize`
writes each as a placeholder (``${AWS::AccountId}``, ``${Role.Arn}``, ``${ImportValue:Name}``) so
that the evaluator (:mod:`cdk_partition.policy.evaluator`) can compare them as text and the report
can substitute what the assembly shows for them.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: A ``${Var}`` of an ``Fn::Sub`` template, and of the canonical form (a placeholder).
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _is_intrinsic(value: Any) -> bool:
    """True for a one-key dict ``{"Ref": ...}`` or ``{"Fn::...": ...}``."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (name,) = value
    return name == "Ref" or (isinstance(name, str) and name.startswith("Fn::"))


def get_att(arg: Any) -> tuple[str, Any] | None:
    """(logical id, attribute name) of an ``Fn::GetAtt`` argument, or None for any other shape.

    CloudFormation's forms are ``["logicalNameOfResource", "attributeName"]`` and the short
    ``"logicalNameOfResource.attributeName"`` (AWS CloudFormation Template Reference,
    "Fn::GetAtt",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getatt.html).
    The logical id is a non-empty string; the attribute name is returned as written (a string,
    or an intrinsic under the ``AWS::LanguageExtensions`` transform). A template from an
    untrusted pull request may hold any JSON here (``null``, a number, a one-element list): every
    reader of ``Fn::GetAtt`` asks this function, so none of them indexes a shape it did not check.
    """
    parts = arg.split(".", 1) if isinstance(arg, str) else arg
    if not isinstance(parts, list) or len(parts) != 2:
        return None
    target, attribute = parts
    if not isinstance(target, str) or not target or attribute in ("", None):
        return None
    return target, attribute


def as_text(value: Any) -> str:
    """A canonical value as a string (for Join parts and Sub variables, and wherever the
    evaluator compares a value as text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _opaque(name: str, argument: Any) -> str:
    """Deterministic placeholder for an intrinsic the evaluator cannot resolve."""
    return "${" + name + ":" + as_text(canonicalize(argument)) + "}"


def _intrinsic(name: str, arg: Any) -> str:
    """The placeholder string of one intrinsic function call."""
    if name == "Ref" and isinstance(arg, str):
        return "${" + arg + "}"
    if name == "Fn::GetAtt":
        parts = get_att(arg)
        if parts is not None and isinstance(parts[1], str):
            return "${" + ".".join(parts) + "}"
    if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        separator, parts = arg
        if isinstance(separator, str) and isinstance(parts, list):
            return separator.join(as_text(canonicalize(p)) for p in parts)
    if name == "Fn::Sub":
        if isinstance(arg, str):
            template, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2:
            template, variables = arg
        else:
            template, variables = None, None
        if isinstance(template, str) and isinstance(variables, dict):

            def substitute(match: re.Match[str]) -> str:
                var = match.group(1)
                if var.startswith("!"):  # ${!Literal} renders as ${Literal}
                    return "${" + var[1:] + "}"
                if var in variables:
                    return as_text(canonicalize(variables[var]))
                return match.group(0)

            return SUB_VARIABLE.sub(substitute, template)
    if name == "Fn::ImportValue":
        return "${ImportValue:" + as_text(canonicalize(arg)) + "}"
    return _opaque(name, arg)


def canonicalize(value: Any) -> Any:
    """Turn CloudFormation intrinsics inside ``value`` into stable placeholder strings.

    ``{"Ref": "AWS::AccountId"}`` -> ``"${AWS::AccountId}"``, ``{"Ref": "X"}`` -> ``"${X}"``,
    ``{"Fn::GetAtt": ["X", "Arn"]}`` / ``{"Fn::GetAtt": "X.Arn"}`` -> ``"${X.Arn}"``,
    ``Fn::Join`` -> the canonical parts joined, ``Fn::Sub`` -> the template with its variables
    substituted from the map or left as ``${Var}`` (so pseudo parameters and ``${X.Arn}`` agree
    with ``Ref`` / ``GetAtt``), ``{"Fn::ImportValue": X}`` -> ``"${ImportValue:X}"``, any other
    intrinsic -> ``"${Fn::Name:<canonical JSON>}"``. Lists and dicts are recursed; the function is
    idempotent (its output contains no intrinsics).
    """
    if _is_intrinsic(value):
        ((name, arg),) = value.items()
        return _intrinsic(name, arg)
    if isinstance(value, dict):
        return {k: canonicalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonicalize(v) for v in value]
    return value


#: A 12-digit AWS account id standing alone in a text.
ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


def literal_accounts(value: Any) -> set[str]:
    """The 12-digit account ids ``value`` (statements, a document, any JSON) writes."""
    return set(ACCOUNT_ID.findall(json.dumps(value, default=str)))


def condition_values(statements: Any, key: str) -> set[str]:
    """The literal values the conditions of ``statements`` (one statement or several) give the
    condition key ``key`` (lowercase), under any operator."""
    out: set[str] = set()
    for statement in statements if isinstance(statements, list | tuple) else [statements]:
        condition = statement.get("Condition") if isinstance(statement, dict) else None
        for block in condition.values() if isinstance(condition, dict) else []:
            for name, value in block.items() if isinstance(block, dict) else []:
                if str(name).lower() == key:
                    out.update(str(v) for v in (value if isinstance(value, list) else [value]))
    return out

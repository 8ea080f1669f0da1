"""Custom resources: a store created at deploy time, outside the template the checks read
(CDKP009).

An ``AwsCustomResource`` (``Custom::AWS``) whose SDK call creates a store, or a custom resource
whose handler (the Lambda function behind ``ServiceToken``, and the function a provider framework
forwards to) may call a store-creating action through its role's policies
(:meth:`~cdk_partition.assembly.CloudAssembly.role_allowed_actions`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..knowledge import catalogue
from .rules import Finding, Rule, make_finding, no_aws_page

__all__ = ["RULES", "audit_custom_resource"]

#: The custom resource rule.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP009",
        "warning",
        "Custom resource may create a store outside the template",
        "create the store in the template with a domain store method; if the call must stay, "
        "check the key it uses and acknowledge: Validations.of(construct).acknowledge("
        "Acknowledgment(id='cdk-partition::CDKP009', reason=...))",
        source=no_aws_page(
            "the rule reads the custom resource's SDK call and its handler's IAM policies; which "
            "calls and actions create a store is the catalogue's (cdk_partition.knowledge.catalogue)"
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def audit_custom_resource(
    assembly: CloudAssembly,
    stack: StackTemplate,
    resource: Mapping[str, Any],
    base: Mapping[str, Any],
) -> Iterator[Finding]:
    """CDKP009 when the custom resource's SDK call or handler can create a store."""
    props = resource.get("Properties")
    props = props if isinstance(props, dict) else {}
    calls = sorted(
        set(_sdk_calls(props)) | set(_handler_actions(assembly, stack, props.get("ServiceToken")))
    )
    if calls:
        yield make_finding(
            _RULE["CDKP009"],
            f"{base['path']} ({base['resource_type']}) of domain {base['domain']!r} can create "
            f"stores at deploy time, outside the template the checks read: "
            f"{'; '.join(calls)}.",
            location="Properties",
            **base,
        )


def _sdk_calls(props: Mapping[str, Any]) -> Iterator[str]:
    """``Create``/``Update`` calls of an ``AwsCustomResource`` (``Custom::AWS``) that create a
    store, as ``SERVICE.action (creates TYPE)``."""
    for phase in ("Create", "Update"):
        value = props.get(phase)
        text = value if isinstance(value, str) else _join_text(value)
        if not text:
            continue
        try:
            call = json.loads(text)
        except ValueError:
            continue
        if not isinstance(call, dict):
            continue
        service, action = str(call.get("service", "")), str(call.get("action", ""))
        created = catalogue.store_created_by_call(service, action)
        if created:
            yield f"{phase}: {service}.{action} (creates {created})"


def _join_text(value: Any) -> str | None:
    """An ``Fn::Join`` of strings and tokens as text, tokens as ``"0"`` (JSON-safe filler)."""
    if not isinstance(value, dict) or list(value) != ["Fn::Join"]:
        return None
    arg = value["Fn::Join"]
    if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[1], list):
        return None
    return str(arg[0]).join(p if isinstance(p, str) else "0" for p in arg[1])


def _handler_actions(
    assembly: CloudAssembly, stack: StackTemplate, token: Any, depth: int = 0
) -> Iterator[str]:
    """Store-creating IAM actions the custom resource's handler may call: the Lambda function
    behind ``ServiceToken`` (and the function a provider framework forwards to), through the
    policies of its execution role."""
    source = assembly.referenced_resource(stack, token)
    if source is None or depth > 2:
        return
    _, function = source
    if function.get("Type") != "AWS::Lambda::Function":
        return
    props = function.get("Properties") or {}
    role = assembly.referenced_resource(stack, props.get("Role"))
    if role is not None:
        for action in _role_actions(assembly, stack, role[0], role[1]):
            created = catalogue.store_created_by_action(action)
            if created:
                yield f"handler may call {action} (creates {created})"
    variables = ((props.get("Environment") or {}).get("Variables")) or {}
    for value in variables.values() if isinstance(variables, dict) else []:
        yield from _handler_actions(assembly, stack, value, depth + 1)


def _role_actions(
    assembly: CloudAssembly, stack: StackTemplate, role_id: str, role: Mapping[str, Any]
) -> Iterator[str]:
    """Store-creating actions the role ``role_id`` may be allowed (an unknown one when it has
    managed policies by ARN)."""
    if (role.get("Properties") or {}).get("ManagedPolicyArns"):
        # AWS managed or imported policies: the template cannot show what they allow
        yield "sts:UnknownManagedPolicy"
    for action in assembly.role_allowed_actions(stack, role_id):
        yield from catalogue.store_create_actions_matching(action)

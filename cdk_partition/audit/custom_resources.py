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
        "check the key it uses and exempt the resource the finding names with the reason: "
        "`exempt(construct, 'CDKP009', reason)` (written into the template, so "
        "`cdk-partition audit` honours it too; a CDK Acknowledgment quiets only the synth)",
        source=no_aws_page(
            "the rule reads the custom resource's SDK call and its handler's IAM policies; which "
            "calls and actions create a store is the catalogue's (cdk_partition.knowledge.catalogue)"
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


#: The CDK's own custom resources, by what their handler creates (the CDK documents each; its
#: handler's role is the CDK's, so its policies say less than the documented behaviour):
#: type -> (the store type it creates or None, what the CDK documents, page).
CDK_CUSTOM_RESOURCES: Mapping[str, tuple[str | None, str, str]] = {
    "Custom::LogRetention": (
        "AWS::Logs::LogGroup",
        "creates the log group named by LogGroupName if it does not exist (with no KMS key) "
        "and sets its retention",
        "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_logs.LogRetention.html",
    ),
    "Custom::S3AutoDeleteObjects": (
        None,
        "deletes the objects of BucketName when the bucket is removed",
        "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3.Bucket.html",
    ),
    "Custom::CDKBucketDeployment": (
        None,
        "copies asset objects into DestinationBucketName, a bucket the checks judge where it is "
        "declared",
        "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3_deployment.BucketDeployment.html",
    ),
    "Custom::CrossRegionExportWriter": (
        None,
        "writes the values a stack of another region imports (resource identifiers: ARNs and "
        "names, no data of the domain) as SSM parameters in that region",
        "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Stack.html",
    ),
    "Custom::CrossRegionExportReader": (
        None,
        "reads those SSM parameters in the importing stack's region",
        "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Stack.html",
    ),
    "Custom::S3BucketNotifications": (
        None,
        "sets the notification configuration of an existing bucket",
        "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3.Bucket.html",
    ),
}

#: AWS managed policies whose document is read here (by name, any partition): name -> the
#: actions it allows, and the AWS Managed Policy reference page showing the document.
AWS_MANAGED_POLICIES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "AWSLambdaBasicExecutionRole": (
        ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html",
    ),
}


def audit_custom_resource(
    assembly: CloudAssembly,
    stack: StackTemplate,
    resource: Mapping[str, Any],
    base: Mapping[str, Any],
) -> Iterator[Finding]:
    """CDKP009 when the custom resource's SDK call or handler can create a store (the CDK's own
    custom resources by what the CDK documents they create, :data:`CDK_CUSTOM_RESOURCES`)."""
    props = resource.get("Properties")
    props = props if isinstance(props, dict) else {}
    known = CDK_CUSTOM_RESOURCES.get(str(resource.get("Type")))
    if known is not None:
        created, what, _ = known
        if created is not None:
            yield make_finding(
                _RULE["CDKP009"],
                f"{base['path']} ({base['resource_type']}) of domain {base['domain']!r} "
                f"{what}: it creates {created} at deploy time, outside the template the "
                "checks read.",
                location="Properties",
                **base,
            )
        return
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
        yield from _unknown_managed_policies(assembly, stack, role[1])
    variables = ((props.get("Environment") or {}).get("Variables")) or {}
    for value in variables.values() if isinstance(variables, dict) else []:
        yield from _handler_actions(assembly, stack, value, depth + 1)


def _role_actions(
    assembly: CloudAssembly, stack: StackTemplate, role_id: str, role: Mapping[str, Any]
) -> Iterator[str]:
    """Store-creating actions the role ``role_id`` may be allowed: its inline and attached
    policies, the customer managed policies of the template its ``ManagedPolicyArns`` name, and
    the AWS managed policies whose document is known (:data:`AWS_MANAGED_POLICIES`)."""
    actions = list(assembly.role_allowed_actions(stack, role_id))
    for arn in _managed_policy_arns(role):
        policy = assembly.referenced_resource(stack, arn)
        if policy is not None and policy[1].get("Type") == "AWS::IAM::ManagedPolicy":
            actions += _allowed_actions((policy[1].get("Properties") or {}).get("PolicyDocument"))
            continue
        known = AWS_MANAGED_POLICIES.get(_aws_managed_name(arn) or "")
        if known is not None:
            actions += known[0]
    for action in actions:
        yield from catalogue.store_create_actions_matching(action)


def _unknown_managed_policies(
    assembly: CloudAssembly, stack: StackTemplate, role: Mapping[str, Any]
) -> Iterator[str]:
    """Fail closed: a managed policy of the handler's role whose document is neither in the
    template nor known here may allow creating any store."""
    for arn in _managed_policy_arns(role):
        policy = assembly.referenced_resource(stack, arn)
        if policy is not None and policy[1].get("Type") == "AWS::IAM::ManagedPolicy":
            continue
        if (_aws_managed_name(arn) or "") in AWS_MANAGED_POLICIES:
            continue
        yield (
            f"handler's role has managed policy {_arn_text(arn)}, whose permissions the "
            "template does not show (it may allow creating stores)"
        )


def _managed_policy_arns(role: Mapping[str, Any]) -> list[Any]:
    arns = (role.get("Properties") or {}).get("ManagedPolicyArns")
    return list(arns) if isinstance(arns, list) else ([arns] if arns else [])


def _arn_text(value: Any) -> str:
    """A managed policy ARN as text: ``Fn::Join``/``Fn::Sub`` of strings and pseudo parameters
    rendered with ``${...}`` for tokens; anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    if isinstance(value, dict) and list(value) == ["Fn::Join"]:
        arg = value["Fn::Join"]
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            return str(arg[0]).join(
                p if isinstance(p, str) else "${" + str(p.get("Ref", "?")) + "}"
                if isinstance(p, dict) else "?"
                for p in arg[1]
            )  # fmt: skip
    return json.dumps(value, sort_keys=True)


def _aws_managed_name(value: Any) -> str | None:
    """The name of an AWS managed policy ARN (``arn:<partition>:iam::aws:policy/<path>/<name>``),
    else None."""
    text = _arn_text(value)
    marker = ":iam::aws:policy/"
    return text.split(marker, 1)[1].rsplit("/", 1)[-1] if marker in text else None


def _allowed_actions(document: Any) -> list[str]:
    """The actions of the ``Allow`` statements of a policy document."""
    out: list[str] = []
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            actions = statement.get("Action", [])
            out += [
                a
                for a in (actions if isinstance(actions, list) else [actions])
                if isinstance(a, str)
            ]
    return out

"""Stores outside the template the checks read: nested stacks whose template is not in the cloud
assembly (CDKP014), stack sets (CDKP015) and AWS SAM resources, which the
``AWS::Serverless-2016-10-31`` transform expands at deployment (CDKP016).

The checks read templates; a stack CloudFormation creates from a template elsewhere, or a
resource a transform writes at deploy time, is data of the domain the checks cannot judge. Fail
closed: each is a finding saying what it creates and what to do (custom resources are
:mod:`~cdk_partition.audit.custom_resources`, CDKP009).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from .rules import Finding, Rule, Source, make_finding, short

__all__ = ["RULES", "SAM_GENERATES", "audit_outside"]

_STACK = Source(
    "AWS::CloudFormation::Stack - AWS CloudFormation (TemplateURL: the URL of a file that "
    "contains the template body; the nested stack is created from it)",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stack.html",
)
_STACK_SET = Source(
    "AWS::CloudFormation::StackSet - AWS CloudFormation (provision stacks across AWS accounts "
    "and Regions from a single CloudFormation template)",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stackset.html",
)
_SAM = Source(
    "Generated CloudFormation resources for AWS SAM - AWS Serverless Application Model (the "
    "resources AWS SAM generates for each AWS::Serverless type, e.g. an AWS::DynamoDB::Table "
    "for an AWS::Serverless::SimpleTable)",
    "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources.html",
)

#: The rules of resources whose stores live outside the template.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP014",
        "error",
        "Nested stack's template is not in the cloud assembly",
        "define the nested stack as a cdk.NestedStack (or CfnInclude its template with "
        "load_nested_stacks) so that its template is in the cloud assembly and checked; if it "
        "must stay outside, check its stores by hand and exempt it with the reason",
        source=_STACK,
    ),
    Rule(
        "CDKP015",
        "error",
        "Stack set deploys stacks the checks do not see",
        "deploy the stacks of the stack set as stacks of this app (one Stage per account and "
        "region) so that their templates are checked; if the stack set must stay, check its "
        "template by hand and exempt it with the reason",
        source=_STACK_SET,
    ),
    Rule(
        "CDKP016",
        "error",
        "AWS SAM resource is expanded at deployment, outside the template",
        "declare the resources it generates with CDK constructs (a domain store method such as "
        "domain.table(...) for a SimpleTable, lambda.Function(environment_encryption=domain.key) "
        "for a Function) so that the checks read them; if it must stay, exempt it with the reason",
        source=_SAM,
    ),
)
_RULE = {rule.id: rule for rule in RULES}

#: AWS SAM resource type -> the base CloudFormation resource AWS SAM generates for it (each from
#: its "CloudFormation resources generated when AWS::Serverless::X is specified" page, under
#: :data:`_SAM`'s URL); AWS SAM adds others (roles, permissions, event sources) beside it.
SAM_GENERATES: Mapping[str, str] = {
    "AWS::Serverless::SimpleTable": "AWS::DynamoDB::Table (a DynamoDB table)",
    "AWS::Serverless::Function": "AWS::Lambda::Function (with its role and event sources)",
    "AWS::Serverless::Api": "AWS::ApiGateway::RestApi",
    "AWS::Serverless::HttpApi": "AWS::ApiGatewayV2::Api",
    "AWS::Serverless::StateMachine": "AWS::StepFunctions::StateMachine",
    "AWS::Serverless::LayerVersion": "AWS::Lambda::LayerVersion",
    "AWS::Serverless::Application": (
        "AWS::CloudFormation::Stack (a nested stack from the application's template)"
    ),
    "AWS::Serverless::GraphQLApi": "AWS::AppSync::GraphQLApi",
    "AWS::Serverless::Connector": "IAM policies between the resources it connects",
}


def audit_outside(
    assembly: CloudAssembly,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    base: Mapping[str, Any],
) -> Iterator[Finding]:
    """CDKP014-CDKP016 for ``resource``, a resource of domain ``base['domain']``."""
    cfn_type = str(resource.get("Type", ""))
    props = resource.get("Properties")
    props = props if isinstance(props, dict) else {}
    where = f"{base['path']} ({cfn_type}) of domain {base['domain']!r}"
    if cfn_type == "AWS::CloudFormation::Stack":
        if not any(s.parent == (stack, logical_id) for s in assembly.stacks):
            url = props.get("TemplateURL")
            yield make_finding(
                _RULE["CDKP014"],
                f"{where} creates a nested stack from TemplateURL {short(url)}, a template that "
                "is not in the cloud assembly: the stores it creates are not checked.",
                location="TemplateURL",
                value=short(url) if url is not None else None,
                **base,
            )
    elif cfn_type == "AWS::CloudFormation::StackSet":
        body = "TemplateBody" if "TemplateBody" in props else "TemplateURL"
        yield make_finding(
            _RULE["CDKP015"],
            f"{where} deploys stack instances from its {body} in other accounts or regions, "
            "outside this cloud assembly: the stores they create are not checked.",
            location=body,
            value=short(props.get(body)) if props.get(body) is not None else None,
            **base,
        )
    elif cfn_type.startswith("AWS::Serverless::"):
        generated = SAM_GENERATES.get(cfn_type, "resources the AWS SAM transform decides")
        yield make_finding(
            _RULE["CDKP016"],
            f"{where} is expanded by the AWS SAM transform at deployment into {generated}, "
            "which the checks do not see in the template.",
            location="Type",
            value=cfn_type,
            **base,
        )

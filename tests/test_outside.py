"""Issue #20 item 2: stores outside the template are findings. Nested stacks whose template is
not in the cloud assembly (CDKP014), stack sets (CDKP015), AWS SAM resources (CDKP016), and
custom resources whose handler may create stores whatever grants it the power (CDKP009), the
CDK's own custom resources recognised by what they create."""

from __future__ import annotations

from typing import Any

import pytest
from templates import domain_key

from cdk_partition.assembly import CloudAssembly, StackTemplate
from cdk_partition.audit import RULES, Finding, audit


def _audit(resources: dict[str, Any], nested: dict[str, Any] | None = None) -> list[Finding]:
    parent = StackTemplate(
        "Orders", {"Resources": {"DomainKey": domain_key("orders"), **resources}}, "O.json"
    )
    stacks = [parent]
    for logical_id, template in (nested or {}).items():
        stacks.append(StackTemplate(f"Orders{logical_id}", template, f"{logical_id}.json",
                                    parent=(parent, logical_id)))  # fmt: skip
    return audit(CloudAssembly(stacks))


def _rules(findings: list[Finding], logical_id: str) -> set[str]:
    return {f.rule for f in findings if f.logical_id == logical_id}


def test_new_rules_are_registered() -> None:
    assert {"CDKP014", "CDKP015", "CDKP016"} <= set(RULES)


def test_a_nested_stack_from_s3_is_a_finding() -> None:
    url = "https://s3.amazonaws.com/bucket/other.template.json"
    found = _audit(
        {"Ext": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url}}}
    )
    (f,) = [f for f in found if f.logical_id == "Ext"]
    assert (f.rule, f.severity, f.location, f.value) == ("CDKP014", "error", "TemplateURL", url)


def test_a_nested_stack_in_the_assembly_is_read_not_flagged() -> None:
    inner = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}}
    stack = {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "x"}}
    found = _audit({"Inner": stack}, nested={"Inner": inner})
    assert "CDKP014" not in _rules(found, "Inner")
    assert "CDKP001" in _rules(found, "Topic")  # its stores are judged instead


def test_a_stack_set_is_a_finding() -> None:
    stack_set = {
        "Type": "AWS::CloudFormation::StackSet",
        "Properties": {
            "StackSetName": "s",
            "PermissionModel": "SELF_MANAGED",
            "TemplateBody": "{}",
        },
    }
    assert _rules(_audit({"Set": stack_set}), "Set") == {"CDKP015"}


@pytest.mark.parametrize(
    ("sam_type", "generated"),
    [
        ("AWS::Serverless::SimpleTable", "AWS::DynamoDB::Table"),
        ("AWS::Serverless::Function", "AWS::Lambda::Function"),
        ("AWS::Serverless::Application", "AWS::CloudFormation::Stack"),
    ],
)
def test_sam_resources_are_findings_naming_what_they_generate(
    sam_type: str, generated: str
) -> None:
    found = _audit({"Sam": {"Type": sam_type, "Properties": {}}})
    (f,) = [f for f in found if f.logical_id == "Sam"]
    assert f.rule == "CDKP016" and generated in f.message and f.value == sam_type


def _handler(role_props: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A custom resource whose handler's role has ``role_props``."""
    return {
        "Role": {"Type": "AWS::IAM::Role", "Properties": role_props},
        "Handler": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Runtime": "python3.12"},
        },
        "Custom": {
            "Type": "Custom::Thing",
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Handler", "Arn"]}},
        },
        **(extra or {}),
    }


def _custom(found: list[Finding]) -> Finding:
    (f,) = [f for f in found if f.logical_id == "Custom"]
    assert f.rule == "CDKP009"
    return f


def test_handler_with_an_aws_managed_policy_whose_document_is_unknown() -> None:
    arn = "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"
    f = _custom(_audit(_handler({"ManagedPolicyArns": [arn]})))
    assert arn in f.message


def test_handler_with_the_basic_execution_role_written_with_the_partition() -> None:
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                             ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]}  # fmt: skip
    f = _custom(_audit(_handler({"ManagedPolicyArns": [arn]})))
    assert "logs:CreateLogGroup" in f.message and "AWS::Logs::LogGroup" in f.message


def test_handler_with_a_customer_managed_policy_of_the_template() -> None:
    policy = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:CreateQueue", "Resource": "*"}],
            }
        },
    }
    found = _audit(_handler({"ManagedPolicyArns": [{"Ref": "Policy"}]}, {"Policy": policy}))
    assert "sqs:CreateQueue" in _custom(found).message


def test_cdk_log_retention_is_recognised_by_what_it_creates() -> None:
    retention = {
        "Type": "Custom::LogRetention",
        "Properties": {"LogGroupName": "/aws/x", "ServiceToken": "arn"},
    }
    (f,) = [f for f in _audit({"Retention": retention}) if f.logical_id == "Retention"]
    assert f.rule == "CDKP009" and "AWS::Logs::LogGroup" in f.message


def test_cdk_auto_delete_objects_creates_no_store() -> None:
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    resources = _handler({"ManagedPolicyArns": [arn]})
    resources["Custom"]["Type"] = "Custom::S3AutoDeleteObjects"
    assert _rules(_audit(resources), "Custom") == set()

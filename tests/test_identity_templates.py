"""Identity policies and resource policies as templates write them, beyond what the CDK's own
constructs emit (issue #19, an attack review of this stop): a nested stack's parameter given a
literal text, a consumer's nested store whose key comes as a parameter, outputs and parameters
that feed each other many times over, and policy documents written as JSON text
(CloudFormation's ``Json`` type takes a string). Each was silent or slow without bound before;
each is asserted on the sample's ``cdk.out`` edited as a template would be, audited as the CLI
audits it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile_support import copy_sample, edit_json

from cdk_partition import audit_path
from cdk_partition.assembly import load
from cdk_partition.assembly.references import _MAX_STEPS, _Walk, references

KEY = {"Fn::GetAtt": ["DomainKeyEFD04CB2", "Arn"]}
_ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": "lambda.amazonaws.com"}}]}},
    "Metadata": {"aws:cdk:path": "Orders/Inner/Worker/Resource"},
}  # fmt: skip


def _policy(resource: Any, action: str = "sqs:SendMessage", text: bool = False) -> dict[str, Any]:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }
    return {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": "p", "Roles": [{"Ref": "Worker"}],
        "PolicyDocument": json.dumps(document) if text else document},
        "Metadata": {"aws:cdk:path": "Orders/Inner/Worker/DefaultPolicy/Resource"}}  # fmt: skip


def _rules(out: Path, path_part: str) -> set[str]:
    return {f.rule for f in audit_path(out) if path_part in f.path and not f.exempted}


@pytest.mark.parametrize("given", ["*", "arn:aws:sqs:*:*:Orders-*"])
def test_a_nested_parameter_given_a_literal_text_is_reported(tmp_path: Path, given: str) -> None:
    """Following the parameter into the parent found a text, not a reference, and dropped it: the
    nested role's grant was silent (before this stop's following it was CDKP020, as now)."""
    out = copy_sample(tmp_path)
    nested = {
        "Parameters": {"QueueArn": {"Type": "String"}},
        "Resources": {"Worker": _ROLE, "WorkerPolicy": _policy({"Ref": "QueueArn"})},
    }
    (out / "inner.nested.template.json").write_text(json.dumps(nested))

    def change(template: dict[str, Any]) -> None:
        template["Resources"]["Inner"] = {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": "https://example.com/x.json",
                           "Parameters": {"QueueArn": given}},
            "Metadata": {"aws:asset:path": "inner.nested.template.json"},
        }  # fmt: skip

    edit_json(out / "Orders.template.json", change)
    assert "CDKP020" in _rules(out, "Orders/Inner/Worker")


def test_outputs_and_parameters_feeding_each_other_take_bounded_work(tmp_path: Path) -> None:
    """A nested output joining its parameter eight times, the parent giving the parameter the
    output joined eight times: each (template, value) is followed once, so the walk takes a few
    steps (it grew as 8^depth before: hours for a template of a few hundred bytes)."""
    out = copy_sample(tmp_path)
    k = 8
    nested = {"Parameters": {"P": {"Type": "String"}},
              "Resources": {"Q": {"Type": "AWS::SNS::Topic",
                                  "Properties": {"DisplayName": {"Ref": "P"}}}},
              "Outputs": {"O": {"Value": {"Fn::Join": ["", [{"Ref": "P"}] * k]}}}}  # fmt: skip
    (out / "n.nested.template.json").write_text(json.dumps(nested))
    loop = {"Fn::Join": ["", [{"Fn::GetAtt": ["N", "Outputs.O"]}] * k]}

    def change(template: dict[str, Any]) -> None:
        template["Resources"]["N"] = {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": "https://example.com/x.json", "Parameters": {"P": loop}},
            "Metadata": {"aws:asset:path": "n.nested.template.json"},
        }

    edit_json(out / "Orders.template.json", change)
    assembly = load(out)
    parent = next(s for s in assembly.stacks if s.name == "Orders")
    walk, missing = _Walk(), []
    assert list(references(assembly.exports, parent, loop, missing=missing, _walk=walk)) == []
    assert walk.steps < 20 < _MAX_STEPS, walk.steps
    audit_path(out)  # and the whole audit finishes


def test_a_policy_written_as_json_text_is_read(tmp_path: Path) -> None:
    """An identity policy whose ``PolicyDocument`` is JSON text: its statements were skipped
    (silent); now read like an object (CDKP019 here), and text that is no JSON but names an action
    the audit checks is CDKP020."""
    out = copy_sample(tmp_path)
    queue = next(
        logical_id
        for logical_id, r in json.loads((out / "Orders.template.json").read_text())[
            "Resources"
        ].items()
        if r["Type"] == "AWS::SQS::Queue"
    )

    def change(template: dict[str, Any]) -> None:
        role = json.loads(json.dumps(_ROLE))
        role["Metadata"]["aws:cdk:path"] = "Orders/Inner/Worker/Resource"
        template["Resources"]["Worker"] = role
        template["Resources"]["WorkerPolicy"] = _policy(
            {"Fn::GetAtt": [queue, "Arn"]}, "sqs:SendMessage", text=True
        )
        template["Resources"]["Broken"] = _policy("*", text=True)
        # cut short: it names sqs:SendMessage but cannot be read
        template["Resources"]["Broken"]["Properties"]["PolicyDocument"] = (
            '{"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"'
        )
        template["Resources"]["Broken"]["Metadata"]["aws:cdk:path"] = "Orders/Inner/Broken"

    edit_json(out / "Orders.template.json", change)
    assert "CDKP019" in _rules(out, "Orders/Inner/Worker/DefaultPolicy")
    assert "CDKP020" in _rules(out, "Orders/Inner/Broken")


@pytest.mark.parametrize("form", ["object", "text"])
def test_a_resource_policy_written_as_json_text_is_read(tmp_path: Path, form: str) -> None:
    """A CloudTrail event data store on the key, its resource policy letting an outside role
    query it: CDKP027 whether the policy is an object or JSON text (the text was silent)."""
    out = copy_sample(tmp_path)
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:role/analyst"},
        "Action": ["cloudtrail:StartQuery", "cloudtrail:GetQueryResults"], "Resource": "*"}]}  # fmt: skip

    def change(template: dict[str, Any]) -> None:
        resources = template["Resources"]
        resources["Lake"] = {"Type": "AWS::CloudTrail::EventDataStore",
                             "Properties": {"KmsKeyId": KEY},
                             "Metadata": {"aws:cdk:path": "Orders/Lake"}}  # fmt: skip
        resources["LakePolicy"] = {"Type": "AWS::CloudTrail::ResourcePolicy", "Properties": {
            "ResourceArn": {"Fn::GetAtt": ["Lake", "EventDataStoreArn"]},
            "ResourcePolicy": document if form == "object" else json.dumps(document)},
            "Metadata": {"aws:cdk:path": "Orders/LakePolicy"}}  # fmt: skip

    edit_json(out / "Orders.template.json", change)
    assert "CDKP027" in _rules(out, "Orders/LakePolicy")


@pytest.mark.parametrize("nested", [False, True])
def test_a_consumers_nested_store_keyed_by_a_parameter_is_on_the_key(
    tmp_path: Path, nested: bool
) -> None:
    """A consumer stack (no domain of its own) puts a queue on the domain key through the key's
    export; inside a nested stack the CDK passes the import as a parameter, which was not
    followed: the store went unchecked and its reader's grant silent. Now both are CDKP019."""
    out = copy_sample(tmp_path)

    def export(template: dict[str, Any]) -> None:
        template.setdefault("Outputs", {})["KeyArnOut"] = {
            "Value": KEY, "Export": {"Name": "Orders:KeyArn"}}  # fmt: skip

    edit_json(out / "Orders.template.json", export)
    imported = {"Fn::ImportValue": "Orders:KeyArn"}
    queue = {"Type": "AWS::SQS::Queue",
             "Properties": {"KmsMasterKeyId": {"Ref": "KeyArn"} if nested else imported},
             "Metadata": {"aws:cdk:path": "Consumer/Inner/Q/Resource"}}  # fmt: skip
    role = {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": _ROLE["Properties"]["AssumeRolePolicyDocument"],
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sqs:ReceiveMessage",
             "Resource": {"Fn::GetAtt": ["Q", "Arn"]}}]}}]},
        "Metadata": {"aws:cdk:path": "Consumer/Inner/R/Resource"}}  # fmt: skip
    resources: dict[str, Any] = {"Q": queue, "R": role}
    if nested:
        (out / "inner.nested.template.json").write_text(json.dumps(
            {"Parameters": {"KeyArn": {"Type": "String"}}, "Resources": resources}))  # fmt: skip
        resources = {"Inner": {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "TemplateURL": "https://example.com/x.json", "Parameters": {"KeyArn": imported}},
            "Metadata": {"aws:asset:path": "inner.nested.template.json"}}}  # fmt: skip
    (out / "Consumer.template.json").write_text(json.dumps({"Resources": resources}))

    def manifest(document: dict[str, Any]) -> None:
        document["artifacts"]["Consumer"] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": {"templateFile": "Consumer.template.json"},
            "dependencies": ["Orders"],
            "displayName": "Consumer",
        }

    edit_json(out / "manifest.json", manifest)
    assert "CDKP019" in _rules(out, "Consumer/Inner/R")

"""Issue #20 item 5: no crash, honest labels. Construct-time errors are the library's own
ValueError with the construct path and the prop; the report reads a domain alias written as an
intrinsic; a finding names the property that decided it (a switch, not the key beside it) and
that property's value."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from templates import domain_key

from cdk_partition import DataDomain
from cdk_partition.assembly import CloudAssembly, StackTemplate
from cdk_partition.audit import Finding, audit
from cdk_partition.cli import main as cli_main

ACCOUNT = "111111111111"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/admin"


def _audit(resources: dict[str, Any], name: str = "Orders") -> list[Finding]:
    template = {"Resources": {"DomainKey": domain_key("orders"), **resources}}
    return audit(CloudAssembly([StackTemplate(name, template, f"{name}.template.json")]))


# -- construct-time errors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "window", [cdk.Duration.hours(36), cdk.Duration.days(3), cdk.Duration.minutes(90)]
)
def test_replica_pending_window_is_the_librarys_value_error(window: cdk.Duration) -> None:
    app = cdk.App()
    home = cdk.Stack(app, "Home", env=cdk.Environment(account=ACCOUNT, region="eu-central-1"))
    domain = DataDomain(
        home,
        "D",
        domain_name="orders",
        administrators=[iam.ArnPrincipal(ADMIN)],
        replica_regions=["eu-west-1"],
    )
    west = cdk.Stack(app, "West", env=cdk.Environment(account=ACCOUNT, region="eu-west-1"))
    with pytest.raises(ValueError, match=r"'West/Orders'.*pending_window=Duration\.\w+\(.*7 to 30"):
        domain.replica(west, "Orders", pending_window=window)


# -- the report reads an alias written as an intrinsic ----------------------------------------------
def test_report_with_an_intrinsic_alias_name(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "DomainKey": domain_key("orders"),
            "Alias": {
                "Type": "AWS::KMS::Alias",
                "Properties": {
                    "AliasName": {"Fn::Join": ["", ["alias/", {"Ref": "AWS::StackName"}]]},
                    "TargetKeyId": {"Ref": "DomainKey"},
                },
            },
        }
    }
    path = tmp_path / "Orders.template.json"
    path.write_text(json.dumps(template))
    for fmt in ("markdown", "json"):
        out = io.StringIO()
        with redirect_stdout(out):
            code = cli_main(["report", "--format", fmt, str(path)])
        assert code == 0, out.getvalue()
        assert "AWS::StackName" in out.getvalue()


# -- labels ---------------------------------------------------------------------------------------
def _one(findings: list[Finding], logical_id: str) -> Finding:
    (found,) = [f for f in findings if f.logical_id == logical_id]
    return found


def test_kinesis_kms_without_a_key_is_labelled_as_such() -> None:
    stream = {
        "Type": "AWS::Kinesis::Stream",
        "Properties": {"StreamEncryption": {"EncryptionType": "KMS"}},
    }
    f = _one(_audit({"Stream": stream}), "Stream")
    assert f.location == "StreamEncryption.EncryptionType" and f.value == "KMS"
    assert "no StreamEncryption" not in f.message
    assert "StreamEncryption.EncryptionType is KMS" in f.message


def test_kinesis_without_stream_encryption_still_says_so() -> None:
    f = _one(_audit({"Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {}}}), "Stream")
    assert f.rule == "CDKP001" and "no StreamEncryption" in f.message


@pytest.mark.parametrize(
    ("cfn_type", "props", "switch", "value"),
    [
        ("AWS::SQS::Queue", {"SqsManagedSseEnabled": False}, "SqsManagedSseEnabled", "false"),
        ("AWS::RDS::DBCluster", {"Engine": "aurora-mysql"}, "StorageEncrypted", None),
        ("AWS::Kinesis::Stream", {"StreamEncryption": {"EncryptionType": "NONE"}},
         "StreamEncryption.EncryptionType", "NONE"),
    ],
)  # fmt: skip
def test_a_switch_that_decided_is_the_property_named(
    cfn_type: str, props: dict[str, Any], switch: str, value: str | None
) -> None:
    f = _one(_audit({"Store": {"Type": cfn_type, "Properties": props}}), "Store")
    assert (f.location, f.value) == (switch, value), f.message
    assert f.message.count(f"{switch} is") >= 1, f.message


def test_a_key_without_key_policy_says_so() -> None:
    key = domain_key("orders")
    del key["Properties"]["KeyPolicy"]
    findings = audit(
        CloudAssembly([StackTemplate("Orders", {"Resources": {"DomainKey": key}}, "O.json")])
    )
    (f,) = [f for f in findings if f.rule == "CDKP102"]
    assert "no KeyPolicy" in f.message and "not a literal document" not in f.message


def test_a_lambda_environment_on_another_key_is_not_called_durable_execution_data() -> None:
    """#24: the type's label comes from the catalogue; a function whose environment (KmsKeyArn)
    is on another key was called "Lambda function durable execution data"."""
    other = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}}}
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {"ZipFile": "x"},
            "Role": "arn:aws:iam::111111111111:role/r",
            "KmsKeyArn": {"Fn::GetAtt": ["OtherKey", "Arn"]},
        },
    }
    f = _one(_audit({"OtherKey": other, "Function": function}), "Function")
    assert f.location == "KmsKeyArn", f.message
    assert "durable execution" not in f.message.split(" must ")[0], f.message
    assert f.message.startswith("Lambda function "), f.message

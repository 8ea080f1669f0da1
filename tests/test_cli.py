"""The ``cdk-partition`` CLI: audit and report, formats and exit codes (no synthesis needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from templates import domain_key

from cdk_partition import cli

DOMAIN_KEY = domain_key("orders", path="Orders/Domain/Key/Resource")


def _template(queue_props: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "Key": DOMAIN_KEY,
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Metadata": {"aws:cdk:path": "Orders/Queue/Resource"},
                "Properties": queue_props,
            },
        }
    }


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.template.json"
    path.write_text(json.dumps(_template({"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}})))
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.template.json"
    path.write_text(json.dumps(_template({"KmsMasterKeyId": "alias/aws/sqs"})))
    return path


def test_audit_clean_template_exits_0(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", str(good)]) == 0
    assert "No findings" in capsys.readouterr().out


def test_audit_json_lists_findings_and_exits_1(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", str(bad), "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert len(findings) == 1
    finding = findings[0]
    for field in ("rule", "severity", "stack", "logical_id", "path", "resource_type", "message"):
        assert field in finding
    assert finding["rule"] == "CDKP003"
    assert finding["severity"] == "error"
    assert finding["logical_id"] == "Queue"
    assert finding["path"] == "Orders/Queue/Resource"
    assert finding["resource_type"] == "AWS::SQS::Queue"
    assert "alias/aws/sqs" in finding["message"]


def test_audit_sarif(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", str(bad), "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["CDKP003"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"CDKP001", "CDKP104"}


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda p: p / "missing", "does not exist"),
        (lambda p: (p / "x.json").write_text("{not json") and p / "x.json", "not valid JSON"),
        (lambda p: (p / "y.json").write_text('{"a": 1}') and p / "y.json", "not a CloudFormation"),
        (lambda p: p, "not a cloud assembly"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: Any, reason: str
) -> None:
    path = setup(tmp_path)
    assert cli.main(["audit", str(path)]) == 2
    err = capsys.readouterr().err
    assert reason in err and err.count("\n") == 1


def test_console_script_is_installed(bad: Path) -> None:
    exe = Path(sys.executable).parent / "cdk-partition"
    assert exe.exists(), "pip install -e . installs the cdk-partition console script"
    result = subprocess.run([str(exe), "audit", str(bad)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "CDKP003" in result.stdout


def test_cli_does_not_load_aws_cdk(bad: Path) -> None:
    code = (
        "import sys; from cdk_partition import cli; cli.main(['audit', sys.argv[1]]);"
        "print('aws_cdk' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(bad)], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_sample_assembly_audits_clean(
    sample_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", str(sample_assembly), "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert [f for f in findings if f["severity"] == "error"] == []


def _with_key_statement(statement: dict[str, Any]) -> dict[str, Any]:
    template = _template({"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}})
    key = json.loads(json.dumps(template["Resources"]["Key"]))
    key["Properties"]["KeyPolicy"]["Statement"].append(statement)
    template["Resources"]["Key"] = key
    return template


@pytest.mark.parametrize(
    ("condition", "code", "rules"),
    [
        # issue #11: an IP condition crashed the plugin and the CLI with a traceback
        ({"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}}, 0, set()),
        ({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, 0, set()),
        # a value the evaluator cannot decide is a finding, still no traceback
        (
            {"NumericLessThan": {"kms:RecipientAttestation:ImageSha384": "not-a-number"}},
            1,
            {"CDKP105"},
        ),
    ],
    ids=["ip", "date", "undecidable"],
)
def test_any_condition_operator_is_audited_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], condition: dict, code: int, rules: set
) -> None:
    statement = {
        "Sid": "DenyOutsideNetwork",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": condition,
    }
    path = tmp_path / "t.template.json"
    path.write_text(json.dumps(_with_key_statement(statement)))
    assert cli.main(["audit", str(path), "--format", "json"]) == code
    out, err = capsys.readouterr()
    assert {f["rule"] for f in json.loads(out)} == rules
    assert "Traceback" not in out + err


def test_broken_manifest_is_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": "nope"}))
    assert cli.main(["audit", str(tmp_path)]) == cli.EXIT_BAD_INPUT
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err

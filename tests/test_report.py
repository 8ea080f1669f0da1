"""The access report: computed from the synthesized key policies, in JSON and markdown."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from templates import domain_key

from cdk_partition import cli, report
from cdk_partition.audit import StackTemplate, load_templates


@pytest.fixture(scope="module")
def sample_report(sample_assembly: Path) -> report.Report:
    return report.build_report(load_templates(sample_assembly))


def _domain(result: report.Report, name: str) -> report.DomainReport:
    (domain,) = [d for d in result.domains if d.name == name]
    return domain


def _by_name(access: dict[str, list[str]]) -> dict[str, list[str]]:
    """Construct paths such as ``Principals/appA`` -> ``appA``; probes keep their label."""
    return {
        key.rsplit("/", 1)[-1] if key.startswith("Principals/") else key: v
        for key, v in access.items()
    }


def test_orders_access_matrix_matches_the_article(sample_report: report.Report) -> None:
    access = _by_name(_domain(sample_report, "orders").access)
    assert access["appA"] == ["read", "write"]
    assert access["ci"] == ["administer"]
    assert access["person1"] == ["administer", "read", "write"]
    assert access[report.ANY_OTHER_IN_ACCOUNT] == []
    assert access[report.ANY_OTHER_ACCOUNT] == []


def test_credit_applications_access(sample_report: report.Report) -> None:
    access = _by_name(_domain(sample_report, "credit-applications").access)
    assert access["intake"] == ["write"]
    assert access["underwriter"] == ["read"]
    assert access["ci"] == ["administer"]
    assert access[report.ANY_OTHER_IN_ACCOUNT] == []


def test_deployment_role_administers_only(sample_report: report.Report) -> None:
    access = _domain(sample_report, "orders").access
    (role,) = [k for k in access if "cfn-exec-role" in k]
    assert access[role] == ["administer"]


def test_key_and_stores_are_listed(sample_report: report.Report) -> None:
    orders = _domain(sample_report, "orders")
    assert orders.key["alias"] == "alias/orders"
    assert orders.key["stack"] == "Orders"
    types = {s["type"] for s in orders.stores}
    assert {"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::DynamoDB::Table"} <= types
    assert all(s["stack"] == "Orders" for s in orders.stores)


def test_sample_has_no_error_findings(sample_report: report.Report) -> None:
    assert not sample_report.has_errors
    for domain in sample_report.domains:
        assert [f for f in domain.findings if f["severity"] == "error"] == []


def test_json_format(sample_assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(sample_assembly), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(d["name"] for d in data["domains"]) == ["credit-applications", "orders"]
    for domain in data["domains"]:
        assert set(domain) >= {"name", "key", "stores", "access", "findings"}
        assert all(set(c) <= {"administer", "read", "write"} for c in domain["access"].values())


def test_markdown_has_matrix_and_mermaid(
    sample_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(sample_assembly)]) == 0
    text = capsys.readouterr().out
    assert "## Domain `orders`" in text
    assert "| principal | administer | read | write |" in text
    assert "```mermaid" in text and "flowchart LR" in text
    assert "-->|read, write| key" in text


# -- computed, not echoed: a hand-edited policy shows its real effect ----------------------------
READER = "arn:aws:iam::111122223333:role/reader"


def _template(extra: list[dict[str, Any]], drop_deny: bool = False) -> StackTemplate:
    key = domain_key("d", readers=(READER,), deny=not drop_deny, extra=tuple(copy.deepcopy(extra)))
    return StackTemplate("S", {"Resources": {"Key": key}}, "S.template.json")


def test_reader_holding_kms_star_is_reported() -> None:
    extra = [
        {
            "Sid": "Oops",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    domain = report.build_report([_template(extra)]).domains[0]
    assert domain.access["arn:aws:iam::111122223333:role/reader"] == ["administer", "read", "write"]
    rules = {f["rule"] for f in domain.findings}
    assert {"REPORT-BEYOND-CAPABILITY", "REPORT-EXTRA-STATEMENT"} <= rules


def test_account_delegation_without_deny_opens_the_key() -> None:
    extra = [
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    domain = report.build_report([_template(extra, drop_deny=True)]).domains[0]
    assert domain.access[report.ANY_OTHER_IN_ACCOUNT] == ["administer", "read", "write"]
    assert domain.access[report.ANY_OTHER_ACCOUNT] == []
    assert "REPORT-OPEN-KEY" in {f["rule"] for f in domain.findings}


def test_unheld_capability_is_reported() -> None:
    domain = report.build_report([_template([])]).domains[0]
    unheld = [f["message"] for f in domain.findings if f["rule"] == "REPORT-UNHELD-CAPABILITY"]
    assert unheld == ["nobody holds write on domain 'd'."]


def test_report_is_written_into_the_assembly_on_switch(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from conftest import cdk_context

    from cdk_partition import DomainStack
    from cdk_partition.checks import REPORT_CONTEXT_KEY

    app = cdk.App(outdir=str(tmp_path), context={**cdk_context(), REPORT_CONTEXT_KEY: "true"})
    people = cdk.Stack(app, "People")
    reader = iam.Role(people, "reader", assumed_by=iam.AccountRootPrincipal())
    admin = iam.User(people, "admin")
    stack = DomainStack(app, "D", domain_name="d", administrators=[admin], readers=[reader])
    stack.domain.queue("Q")
    app.synth()
    data = json.loads((tmp_path / "cdk-partition-report.json").read_text())
    (domain,) = data["domains"]
    assert domain["access"]["People/reader"] == ["read"]
    assert "```mermaid" in (tmp_path / "cdk-partition-report.md").read_text()

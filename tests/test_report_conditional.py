"""Capabilities held only under conditions are shown with them (#18 item 4), never as none."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from templates import CI, domain_key

from cdk_partition import report
from cdk_partition.audit import StackTemplate


def _domain(extra: list[dict[str, Any]]) -> report.DomainReport:
    key = domain_key("d", extra=tuple(copy.deepcopy(extra)))
    return report.build_report([StackTemplate("S", {"Resources": {"Key": key}}, "S.json")]).domains[
        0
    ]


def _ci_decrypt(condition: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "CiReads",
            "Effect": "Allow",
            "Principal": {"AWS": CI},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": condition,
        }
    ]


@pytest.fixture(scope="module")
def tagged() -> report.DomainReport:
    return _domain(_ci_decrypt({"StringEquals": {"aws:PrincipalTag/team": "orders"}}))


def test_principal_tag_read_is_conditional_not_none(tagged: report.DomainReport) -> None:
    row = tagged.principals[CI]
    assert row["capabilities"] == ["administer"]  # the probes: no tag, no read
    assert row["conditional"]["read"]["when"] == [["aws:PrincipalTag/team", "orders"]]
    assert row["conditional"]["read"]["statements"] == ["CiReads"]
    cell = "only when aws:PrincipalTag/team = orders"
    assert f"| `{CI}` | yes | {cell} | - |" in report.to_markdown(report.Report([tagged]))
    page = report.to_html(report.Report([tagged]))
    assert f'class="cap via conditional" data-capability="read">{cell}</td>' in page
    assert "REPORT-UNDECIDABLE" not in {f["rule"] for f in tagged.findings}


def test_unconditional_grant_stays_yes(tagged: report.DomainReport) -> None:
    reader = tagged.principals["arn:aws:iam::111122223333:role/appA"]
    assert reader["capabilities"] == ["read"]
    assert "conditional" not in reader and "conditions_undecidable" not in reader
    assert "| `arn:aws:iam::111122223333:role/appA` | - | yes | - |" in report.to_markdown(
        report.Report([tagged])
    )


def test_source_vpc_condition() -> None:
    domain = _domain(_ci_decrypt({"StringEquals": {"aws:SourceVpc": "vpc-0abc"}}))
    assert domain.principals[CI]["conditional"]["read"]["when"] == [["aws:SourceVpc", "vpc-0abc"]]


def test_current_time_condition() -> None:
    domain = _domain(_ci_decrypt({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}))
    ((key, value),) = domain.principals[CI]["conditional"]["read"]["when"]
    assert key == "aws:CurrentTime" and value < "2027-01-01T00:00:00Z"


def test_service_pattern_is_on_behalf_of_callers() -> None:
    """A ``kms:ViaService`` pattern is no service the report's requests come through."""
    domain = _domain(_ci_decrypt({"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}))
    row = domain.principals[CI]
    assert row["via_services"] == {}
    text = report.to_markdown(report.Report([domain]))
    assert "only on behalf of callers through s3" in text


def test_undecided_is_not_silent() -> None:
    """A policy variable inside a ``Like`` pattern: the prover does not encode it and the
    evaluator cannot resolve ``${aws:username}`` for the probe, so the row's cells are ``?``."""
    domain = _domain(_ci_decrypt({"StringLike": {"aws:PrincipalTag/team": "${aws:username}-*"}}))
    row = domain.principals[CI]
    assert row.get("undecidable") or row.get("conditions_undecidable")
    assert f"| `{CI}` | ? | ? | ? |" in report.to_markdown(report.Report([domain]))
    undecided = [f for f in domain.findings if f["rule"] == "REPORT-UNDECIDABLE"]
    assert undecided and all(f["severity"] == "error" for f in undecided)


def test_principal_named_through_placeholders() -> None:
    """``arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x``: placeholders hold colons, which
    the prover's ARN model does not; the report renames them before asking, and back."""
    role = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/analyst"}
    statements = [
        {
            "Sid": "AnalystReads",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
        },
        {
            "Sid": "DenyEveryoneElse",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [role]}},
        },
    ]
    key = {
        "Type": "AWS::KMS::Key",
        "Metadata": {"cdk_partition:domain": "d"},
        "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": statements}},
    }
    domain = report.build_report(
        [StackTemplate("S", {"Resources": {"Key": key}}, "S.json")]
    ).domains[0]
    row = domain.principals["role/analyst"]
    assert row["capabilities"] == []
    assert row["conditional"] == {
        "read": {
            "when": [["aws:SourceVpc", "vpc-1"]],
            "action": row["conditional"]["read"]["action"],
            "statements": ["AnalystReads"],
        }
    }
    assert row["conditional"]["read"]["action"] in ("kms:Decrypt", "kms:ReEncryptFrom")
    assert "conditional" not in domain.principals[report.ANY_OTHER_IN_ACCOUNT]

"""Issue #13: the organisation sample (``sample_app/organization.py``) synthesizes, passes its
own checks and cfn-lint, and its report shows the cross-account principals exactly; a store of a
workload account on a key of another domain, account or region fails with a clear finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cfnlint.api import ManualArgs, lint_file
from conftest import cdk_context

from cdk_partition import audit_path
from cdk_partition.assembly import load
from cdk_partition.audit import failing
from cdk_partition.report import build_org_report, build_report, to_markdown
from sample_app import organization as org

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("organization") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context={**cdk_context(), **org.lookup_context()})
    org.build_app(app)
    app.synth()  # the Stages' checks would raise on an error finding
    return outdir


@pytest.fixture(scope="module")
def violations(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """The sample with one queue per fault in the Checkout account's stack."""
    outdir = tmp_path_factory.mktemp("organization-faults") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context={**cdk_context(), **org.lookup_context()})
    org.build_app(app)
    stack = app.node.find_child("Checkout").node.find_child("Checkout")
    key = org.ORDERS_KEY_ARN
    for name, arn in (
        ("OtherRegion", key.replace(org.HOME, org.REPLICA)),
        ("OtherAccount", key.replace(org.DATA, org.CHECKOUT)),
        ("OtherKey", key.replace("mrk-0b1c", "mrk-9999")),
        ("OtherDomain", f"arn:aws:kms:{org.HOME}:{org.DATA}:alias/payments"),
    ):
        sqs.CfnQueue(stack, name, kms_master_key_id=arn)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    return audit_path(outdir)


def test_the_sample_passes_its_own_checks(synthesized: Path) -> None:
    findings = audit_path(synthesized)
    assert failing(findings) == []
    # the one finding is the published parameter's, exempted with its reason
    assert [(f.rule, f.exempted) for f in findings] == [("CDKP032", True)]


def test_stages_target_four_environments(synthesized: Path) -> None:
    environments = {(s.environment.account, s.environment.region) for s in load(synthesized).stacks}
    assert environments == {
        (org.DATA, org.HOME),
        (org.DATA, org.REPLICA),
        (org.CHECKOUT, org.HOME),
        (org.FULFILMENT, org.HOME),
    }


def test_cfn_lint_clean(synthesized: Path) -> None:
    problems = []
    for stack in load(synthesized).stacks:
        path = Path(stack.file)
        matches = lint_file(path, config=ManualArgs(regions=[stack.environment.region]))
        problems += [
            f"{path.name} {m.rule.id} {m.message}"
            for m in matches
            # the CDK's own cross-region reference provider (see test_regions.test_cfn_lint_clean)
            if not (m.rule.id == "W3005" and "CustomCrossRegionExport" in m.message)
        ]
    assert problems == []


def test_report_names_the_cross_account_principals_exactly(synthesized: Path) -> None:
    report = build_report(load(synthesized))
    (domain,) = report.domains
    access = {label: sorted(caps) for label, caps in domain.access.items() if caps}
    assert access[f"arn:aws:iam::{org.ANALYTICS}:role/analytics"] == ["read"]
    assert access[f"arn:aws:iam::{org.CHECKOUT}:role/checkout"] == ["write"]
    assert access[f"arn:aws:iam::{org.FULFILMENT}:role/fulfilment"] == ["write"]
    # every other principal of those accounts, and of any account, is denied
    assert access.get("any principal of another account") is None
    stacks = {s["stack"] for s in domain.stores}
    assert {"Checkout-Checkout", "Fulfilment-Fulfilment", "Data-OrdersEuWest1"} <= stacks
    markdown = to_markdown(report)
    assert markdown.count("## Domain `orders`") == 1
    assert f"| {org.REPLICA} | replica `" in markdown


@pytest.mark.parametrize("store", ["OtherRegion", "OtherAccount", "OtherKey", "OtherDomain"])
def test_a_workload_store_on_another_key_fails(violations: list[Any], store: str) -> None:
    (finding,) = [f for f in failing(violations) if f.path.endswith(f"/{store}")]
    assert finding.rule == "CDKP004" and finding.domain == "orders"
    assert finding.path == f"Checkout/Checkout/{store}"


def test_only_the_faults_fail(violations: list[Any]) -> None:
    assert sorted(f.path.rsplit("/", 1)[-1] for f in failing(violations)) == [
        "OtherAccount",
        "OtherDomain",
        "OtherKey",
        "OtherRegion",
    ]


@pytest.fixture(scope="module")
def org_report(synthesized: Path) -> Any:
    from cdk_partition.audit import organization

    members = organization.load_members([str(synthesized)])
    return build_org_report(members, organization.audit_members(members))


def test_the_organisation_report_keys_stores_and_principals(org_report: Any) -> None:
    (domain,) = org_report.domains
    keys = {(k["kind"], k["account"], k["region"]) for k in domain.to_json()["keys"]}
    assert {("primary", org.DATA, org.HOME), ("replica", org.DATA, org.REPLICA)} <= keys
    where = {(s["account"], s["region"], s["path"].rsplit("/", 1)[-1]) for s in domain.stores}
    assert where == {
        (org.DATA, org.HOME, "History"),
        (org.DATA, org.REPLICA, "History"),  # the global table's replica, on the replica key
        (org.DATA, org.REPLICA, "Returns"),
        (org.CHECKOUT, org.HOME, "Payments"),
        (org.CHECKOUT, org.HOME, "Receipts"),
        (org.CHECKOUT, org.HOME, "Clicks"),
        (org.FULFILMENT, org.HOME, "Shipped"),
        (org.FULFILMENT, org.HOME, "Picking"),
    }
    assert domain.access[f"arn:aws:iam::{org.ANALYTICS}:role/analytics"] == ["read"]


def test_the_replica_gives_the_primarys_access(org_report: Any) -> None:
    """Each region's own CloudFormation execution role administers its key; nothing else
    differs, so the report raises no replica-access warning."""
    (domain,) = org_report.domains
    assert domain.replica_access == {}
    assert not [f for f in domain.findings if f["rule"] == "REPORT-REPLICA-ACCESS"]


def test_a_replica_that_gives_more_is_reported(tmp_path: Path) -> None:
    from aws_cdk import aws_iam as iam

    from cdk_partition.audit import organization

    outdir = tmp_path / "cdk.out"
    app = cdk.App(outdir=str(outdir), context={**cdk_context(), **org.lookup_context()})
    org.build_app(app)
    data = app.node.find_child("Data")
    assert isinstance(data, org.DataStage)
    (replica,) = data.domain.replicas
    # the replica's own policy, changed behind the domain's back (an escape hatch)
    replica._policy.add_statements(
        iam.PolicyStatement(
            sid="Extra",
            principals=[iam.ArnPrincipal(f"arn:aws:iam::{org.DATA}:role/intruder")],
            actions=["kms:Decrypt"],
            resources=["*"],
        )
    )
    app.synth()
    members = organization.load_members([str(outdir)])
    (domain,) = build_org_report(members, organization.audit_members(members)).domains
    assert list(domain.replica_access) == [org.REPLICA]
    assert "role/intruder" in domain.replica_access[org.REPLICA]
    assert [f["rule"] for f in domain.findings].count("REPORT-REPLICA-ACCESS") == 1

"""Beside cdk-nag: its v3 rule packs are CDK validation plugins too, so both packs run in one synth
and report in one validation report (README "Beside cdk-nag").

CDK: "Validation plugins to run during synthesis" (``Validations.of(app).add_plugins``), one
report per plugin, https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/IPolicyValidationPlugin.html
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from conftest import cdk_context

from cdk_partition import DomainStack
from cdk_partition.audit.stores import _STATE_RULES
from cdk_partition.constructs.checks import PLUGIN_NAME

pytestmark = pytest.mark.slow

NAG = "AwsSolutions"


def _synth(outdir: Path, *, violating: bool, acknowledge: dict[str, set[str]]) -> dict[str, dict]:
    """The README's combination, with ``acknowledge`` (cdk-nag rule -> construct paths)
    acknowledged on those constructs; the validation report per plugin name, and whether
    synth failed."""
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci])
    orders.domain.bucket("Documents")
    orders.domain.queue("Events", dead_letter_max_receive_count=5)
    if violating:
        s3.Bucket(orders, "Loose", encryption=s3.BucketEncryption.S3_MANAGED)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    for construct in app.node.find_all():
        for rule, paths in acknowledge.items():
            if construct.node.path in paths:
                cdk.Validations.of(construct).acknowledge(
                    cdk.Acknowledgment(id=f"{NAG}::{rule}", reason="accepted for this test app")
                )
    failed = False
    try:
        app.synth()
    except RuntimeError as error:
        assert "ValidationFailed" in str(error)
        failed = True
    report = json.loads((outdir / "validation-report.json").read_text())
    reports = {r["pluginName"]: r for r in report["pluginReports"]}
    return {"failed": {"value": failed}, **reports}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return _synth(tmp_path_factory.mktemp("nag"), violating=True, acknowledge={})


def _rules(report: dict) -> dict[str, set[str]]:
    return {
        v["ruleName"]: {c["constructPath"] for c in v["violatingConstructs"]}
        for v in report.get("violations", [])
    }


def test_both_plugins_report_in_one_synth(both: dict[str, dict]) -> None:
    assert both["failed"]["value"]
    ours, nag = both[PLUGIN_NAME], both[NAG]
    assert ours["conclusion"] == "failure"
    rule = _STATE_RULES["aws_owned"]  # the SSE-S3 bucket: an AWS owned key
    assert any(p.startswith("Orders/Loose") for p in _rules(ours)[rule]), ours
    # cdk-nag reads the construct tree: its findings name the L1s of both buckets
    assert nag["conclusion"] == "failure"
    assert "Orders/Domain/Documents/Resource" in _rules(nag)[f"{NAG}-S1"], nag


def test_nag_acknowledgments_do_not_silence_the_domain_checks(
    both: dict[str, dict], tmp_path: Path
) -> None:
    """Every cdk-nag rule acknowledged: cdk-nag passes, the misplaced bucket still fails the
    synth (domain errors are ``fatal``, which CDK does not let an acknowledgment hide)."""
    reports = _synth(tmp_path / "ack", violating=True, acknowledge=_rules(both[NAG]))
    assert reports["failed"]["value"]
    assert reports[NAG]["conclusion"] == "success", reports[NAG]
    assert _STATE_RULES["aws_owned"] in _rules(reports[PLUGIN_NAME])


def test_compliant_app_passes_both_packs(both: dict[str, dict], tmp_path: Path) -> None:
    """Without the misplaced bucket, and with what cdk-nag found on the domain's stores
    acknowledged on them (the README shows how), one synth passes both."""
    reports = _synth(tmp_path / "ok", violating=False, acknowledge=_rules(both[NAG]))
    assert not reports["failed"]["value"], reports
    assert PLUGIN_NAME not in reports  # CDK lists a plugin only when it has something to say
    assert reports[NAG]["conclusion"] == "success"
    suppressed = {v["ruleName"] for v in reports[NAG]["suppressedViolations"]}
    assert suppressed == {f"{NAG}-S1"}, reports[NAG]

"""Issue #20 item 1: one pass. The validation plugin at synth and ``cdk-partition audit`` of the
same ``cdk.out`` find the same findings, over every app of this module's corpus (the sample app,
the organisation sample, the checks app of ``test_checks``, an app with nested stacks, Stages
and checked next to unchecked stacks, and an app that applies no checks at all); and which stacks are checked does not depend on what else
is in the app."""

from __future__ import annotations

import io
import json
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from conftest import cdk_context
from constructs import Construct

from cdk_partition import DataDomain, DomainStack
from cdk_partition.cli import main as cli_main

ADMIN = "arn:aws:iam::111122223333:role/admin"


def _admins(scope: Construct, id: str) -> list[iam.IRole]:
    return [iam.Role.from_role_arn(cdk.Stack(scope, id), "Admin", ADMIN)]


class AwsManagedQueue(cdk.NestedStack):
    """A nested stack whose only resource is a queue on the AWS managed key ``aws/sqs``."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        sqs.Queue(self, "ManagedQueue", encryption=sqs.QueueEncryption.KMS_MANAGED)


def build_mixed(outdir: Path) -> cdk.App:
    """Nested stacks under checked stacks (top level and in a Stage), and a plain stack holding a
    DataDomain next to a checked DomainStack."""
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    shop = DomainStack(app, "Shop", domain_name="shop", administrators=_admins(app, "ShopIds"))
    shop.domain.queue("Good")
    AwsManagedQueue(shop, "Inner")
    stage = cdk.Stage(app, "Prod")
    staged = DomainStack(
        stage, "Staged", domain_name="staged", administrators=_admins(stage, "StagedIds")
    )
    AwsManagedQueue(staged, "Inner")
    plain = cdk.Stack(app, "Plain")
    DataDomain(plain, "Domain", domain_name="plain", administrators=[
        iam.Role.from_role_arn(plain, "Admin", ADMIN)
    ])  # fmt: skip
    sqs.Queue(plain, "PlainManagedQueue", encryption=sqs.QueueEncryption.KMS_MANAGED)
    return app


def build_unchecked(outdir: Path) -> cdk.App:
    """An app that applies no checks at all (no DomainStack, no DomainEncryptionChecks): a
    DataDomain in a plain stack, one in a plain stack of a Stage, and stores on AWS managed keys
    next to them. The domains alone make the plugin run (#20: synth == audit)."""
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    plain = cdk.Stack(app, "Bare")
    DataDomain(plain, "Domain", domain_name="bare", administrators=[
        iam.Role.from_role_arn(plain, "Admin", ADMIN)
    ])  # fmt: skip
    sqs.Queue(plain, "BareManagedQueue", encryption=sqs.QueueEncryption.KMS_MANAGED)
    AwsManagedQueue(plain, "Inner")
    stage = cdk.Stage(app, "Test")
    staged = cdk.Stack(stage, "BareStaged")
    DataDomain(staged, "Domain", domain_name="bare-staged", administrators=[
        iam.Role.from_role_arn(staged, "Admin", ADMIN)
    ])  # fmt: skip
    sqs.Queue(staged, "StagedManagedQueue", encryption=sqs.QueueEncryption.KMS_MANAGED)
    return app


def _synth(app: cdk.App) -> None:
    try:
        app.synth()
    except Exception as error:  # the plugin failed the synthesis: its report is written
        assert "ValidationFailed" in str(error), error


def plugin_findings(outdir: Path) -> Counter[tuple[str, str]]:
    """(rule, construct path) of every violation the plugin reported at synth (the CDK's own
    ``validation-report.json``)."""
    report = json.loads((outdir / "validation-report.json").read_text())
    found: Counter[tuple[str, str]] = Counter()
    for plugin in report.get("pluginReports", []):
        if plugin.get("pluginName") != "cdk-partition":
            continue
        for violation in plugin.get("violations", []) + (plugin.get("suppressedViolations") or []):
            for construct in violation.get("violatingConstructs", []):
                found[(violation["ruleName"], construct["constructPath"])] += 1
    return found


def cli_findings(outdir: Path) -> Counter[tuple[str, str]]:
    """(rule, construct path) of every non-exempted finding of ``cdk-partition audit``."""
    out = io.StringIO()
    with redirect_stdout(out):
        cli_main(["audit", "--format", "json", str(outdir)])
    return Counter((f["rule"], f["path"]) for f in json.loads(out.getvalue()) if not f["exempted"])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, sample_assembly: Path) -> dict[str, Path]:
    from test_checks import build as build_checks

    from sample_app import organization as org_sample

    root = tmp_path_factory.mktemp("one-pass")
    apps: dict[str, Path] = {"sample": sample_assembly}
    include = root / "included.json"
    include.write_text(
        json.dumps({"Resources": {"IncludedTopic": {"Type": "AWS::SNS::Topic", "Properties": {}}}})
    )
    apps["checks"] = root / "checks"
    _synth(build_checks(apps["checks"], include))
    apps["organisation"] = root / "org"
    _synth(
        org_sample.build_app(
            cdk.App(
                outdir=str(apps["organisation"]),
                context={**cdk_context(), **org_sample.lookup_context()},
            )
        )
    )
    apps["mixed"] = root / "mixed"
    _synth(build_mixed(apps["mixed"]))
    apps["unchecked"] = root / "unchecked"
    _synth(build_unchecked(apps["unchecked"]))
    return apps


def test_synth_finds_exactly_what_the_cli_finds_over_the_corpus(corpus: dict[str, Path]) -> None:
    differ: dict[str, Any] = {}
    for name, outdir in corpus.items():
        synth, cli = plugin_findings(outdir), cli_findings(outdir)
        if synth != cli:
            differ[name] = {"synth only": synth - cli, "cli only": cli - synth}
    assert not differ, differ
    # the corpus is not vacuous: it has findings, nested stacks and Stages among them
    assert sum(sum(cli_findings(p).values()) for p in corpus.values()) > 10


def test_a_nested_stack_fault_fails_synth(corpus: dict[str, Path]) -> None:
    found = plugin_findings(corpus["mixed"])
    assert any(path == "Shop/Inner/ManagedQueue/Resource" for _, path in found), found
    assert any(path == "Prod/Staged/Inner/ManagedQueue/Resource" for _, path in found), found


def test_a_plain_stack_with_a_domain_is_checked_next_to_a_domain_stack(
    corpus: dict[str, Path],
) -> None:
    for found in (cli_findings(corpus["mixed"]), plugin_findings(corpus["mixed"])):
        assert any(path == "Plain/PlainManagedQueue/Resource" for _, path in found), found


def test_an_app_without_checks_runs_the_plugin_at_synth(corpus: dict[str, Path]) -> None:
    """No checks applied anywhere: the DataDomains register the plugin, which fails the synth
    with what the CLI finds (before #20's last item, no plugin ran and synth passed)."""
    found = plugin_findings(corpus["unchecked"])
    assert found == cli_findings(corpus["unchecked"])
    for path in (
        "Bare/BareManagedQueue/Resource",
        "Bare/Inner/ManagedQueue/Resource",
        "Test/BareStaged/StagedManagedQueue/Resource",
    ):
        assert ("CDKP003", path) in found, found
    report = json.loads((corpus["unchecked"] / "validation-report.json").read_text())
    names = [p["pluginName"] for p in report["pluginReports"]]
    assert names.count("cdk-partition") == 1, names  # once per app, however many domains


def test_cdk_nested_stacks_are_in_the_assembly_not_outside(corpus: dict[str, Path]) -> None:
    for outdir in corpus.values():
        assert not [path for rule, path in cli_findings(outdir) if rule == "CDKP014"]

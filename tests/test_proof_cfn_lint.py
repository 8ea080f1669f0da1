"""Proof with cfn-lint: every synthesized sample-app template (nested ones too) lints clean.

cfn-lint runs in-process (``cfnlint.api.lint_file``) with its default rules (errors ``E*`` and
warnings ``W*``; the informational ``I*`` rules are off, as on the command line), over every
region the sample app targets. Errors fail. A warning fails unless :data:`ALLOWED_WARNINGS`
names its rule with the reason it is accepted, so a new warning is never waved through.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, Match, lint_file
from proof_support import REGION, template_files

pytestmark = pytest.mark.slow

#: Rule id -> why the sample app may trigger it. Empty: the templates produce no warning.
ALLOWED_WARNINGS: dict[str, str] = {
    "W7001": "aws-cdk-lib's Firehose L2 always emits its region CIDR mapping "
    "(awscdkawskinesisfirehoseCidrBlocks), used only by destinations that need it; "
    "not the library's to remove",
    "W3005": "aws-cdk-lib's bucket notifications (add_event_notification) write a DependsOn on "
    "each destination and on the notification handler's role that their Ref/GetAtt already "
    "implies; the CDK's own wiring, not the library's",
}


@pytest.fixture(scope="module")
def findings(sample_assembly: Path) -> dict[str, list[Match]]:
    """Template file name -> cfn-lint matches."""
    config = ManualArgs(regions=[REGION])
    return {p.name: lint_file(p, config=config) for p in template_files(sample_assembly)}


def _describe(name: str, match: Match) -> str:
    return f"{name}:{match.linenumber} {match.rule.id} {match.message}"


def test_every_template_is_linted(
    findings: dict[str, list[Match]], sample_templates: dict[str, dict]
) -> None:
    assert len(findings) == len(sample_templates) >= 3


def test_no_errors(findings: dict[str, list[Match]]) -> None:
    errors = [_describe(n, m) for n, ms in findings.items() for m in ms if m.rule.id[0] == "E"]
    assert errors == [], "\n".join(errors)


def test_only_allowed_warnings(findings: dict[str, list[Match]]) -> None:
    others = [
        _describe(n, m)
        for n, ms in findings.items()
        for m in ms
        if m.rule.id[0] != "E" and m.rule.id not in ALLOWED_WARNINGS
    ]
    assert others == [], "add a fix, or the rule and a reason to ALLOWED_WARNINGS:\n" + "\n".join(
        others
    )


def test_the_linter_does_flag_a_broken_template(tmp_path: Path) -> None:
    # Guard against a silently disabled linter: a bucket with an invalid SSE algorithm is an error.
    broken = tmp_path / "Broken.template.json"
    broken.write_text(
        '{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": '
        '{"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": '
        '{"SSEAlgorithm": "rot13"}}]}}}}}'
    )
    ids = {m.rule.id for m in lint_file(broken, config=ManualArgs(regions=[REGION]))}
    assert any(i.startswith("E") for i in ids), ids

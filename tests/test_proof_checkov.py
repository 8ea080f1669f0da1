"""Proof with checkov: every encryption/KMS check that applies to a sample-app resource passes.

checkov runs once, offline (``--framework cloudformation --skip-download``, no API key), over the
whole synthesized ``cdk.out`` (nested templates included). In scope are the checks of
:data:`REQUIRED_CHECKS` and every other check whose name mentions KMS, encryption or a CMK
(:data:`ENCRYPTION_NAME`); each must pass on every resource it ran on, unless
:data:`ALLOWED_FAILURES` names it with a reason (empty: none is accepted). Each required check
must also have run on every resource of its type that the templates contain, so the test cannot
pass vacuously.

checkov pins old ``boto3``/``botocore``/``networkx``/``packaging`` that conflict with
``constraints.txt``, so it lives in its own virtualenv: the binary is ``$CHECKOV`` if set, else
``checkov`` next to this interpreter, else ``.venv-checkov/bin/checkov`` at the repository root
(what ``.ci/run`` creates). A missing checkov fails the test, it never skips.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from proof_support import resources_of

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

#: The issue's required checks -> the resource type each applies to.
REQUIRED_CHECKS: dict[str, str] = {
    "CKV_AWS_119": "AWS::DynamoDB::Table",  # DynamoDB encrypted with a KMS CMK
    "CKV_AWS_149": "AWS::SecretsManager::Secret",  # secret encrypted with a KMS CMK
    "CKV_AWS_26": "AWS::SNS::Topic",  # SNS topic encrypted
    "CKV_AWS_27": "AWS::SQS::Queue",  # SQS queue encrypted
    "CKV_AWS_158": "AWS::Logs::LogGroup",  # log group encrypted by KMS
    "CKV_AWS_166": "AWS::Backup::BackupVault",  # backup vault encrypted with a KMS CMK
    "CKV_AWS_136": "AWS::ECR::Repository",  # ECR repository encrypted with KMS
    "CKV_AWS_19": "AWS::S3::Bucket",  # bucket server-side encryption
    "CKV_AWS_3": "AWS::EC2::Volume",  # EBS encrypted
    "CKV_AWS_42": "AWS::EFS::FileSystem",  # EFS encrypted
    "CKV_AWS_43": "AWS::Kinesis::Stream",  # Kinesis stream encrypted
    "CKV_AWS_16": "AWS::RDS::DBInstance",  # RDS encrypted at rest
}

#: Any other check whose name matches this is in scope too.
ENCRYPTION_NAME = re.compile(r"\bKMS\b|encrypt|\bCMK\b", re.IGNORECASE)

#: Check id -> why the sample app may fail it. Empty: none is accepted.
ALLOWED_FAILURES: dict[str, str] = {}


def checkov_binary() -> str:
    """Where checkov is (see the module docstring); fails the test if nowhere."""
    candidates = [
        os.environ.get("CHECKOV", ""),
        str(Path(sys.executable).parent / "checkov"),
        str(ROOT / ".venv-checkov" / "bin" / "checkov"),
    ]
    for candidate in candidates:
        if candidate and (shutil.which(candidate) or Path(candidate).is_file()):
            return candidate
    pytest.fail(
        "checkov is not installed. It conflicts with constraints.txt, so give it its own venv: "
        "`python3 -m venv .venv-checkov && .venv-checkov/bin/pip install checkov==3.3.30` "
        f"(or set CHECKOV to a checkov binary). Looked at: {[c for c in candidates if c]}"
    )


#: A template checkov must flag, scanned in the same run: proves failures are seen and judged.
BROKEN_NAME = "ProofBrokenOnPurpose"
BROKEN_TEMPLATE = {
    "Resources": {
        "PlainQueue": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": False}},
        "AwsOwnedTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        },
    }
}


@pytest.fixture(scope="module")
def all_results(sample_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """checkov's passed and failed results over the cloud assembly plus :data:`BROKEN_TEMPLATE`,
    in one offline run."""
    scan = tmp_path_factory.mktemp("checkov") / "cdk.out"
    shutil.copytree(sample_assembly, scan)
    (scan / f"{BROKEN_NAME}.template.json").write_text(json.dumps(BROKEN_TEMPLATE))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BC_", "PRISMA_", "CKV_", "CHECKOV_"))
    }
    completed = subprocess.run(
        [
            checkov_binary(),
            "--directory",
            str(scan),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ],
        cwd=scan.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # 0: all passed, 1: some check failed (judged below); anything else is a crash.
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    report: Any = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    (cfn,) = [r for r in reports if r.get("check_type") == "cloudformation"]
    assert cfn["summary"]["parsing_errors"] == 0, cfn["results"].get("parsing_errors")
    return [*cfn["results"].get("passed_checks", []), *cfn["results"].get("failed_checks", [])]


def _template(result: dict) -> str:
    return Path(result["file_path"]).name.removesuffix(".template.json")


@pytest.fixture(scope="module")
def results(all_results: list[dict]) -> list[dict]:
    """The results on the sample app's own templates."""
    return [r for r in all_results if _template(r) != BROKEN_NAME]


def _failures(results: list[dict]) -> list[str]:
    """In-scope failures not allowed by :data:`ALLOWED_FAILURES`, described."""
    return [
        f"{r['check_id']} ({r['check_name']}) on {_where(r)}"
        for r in results
        if _in_scope(r)
        and r["check_result"]["result"] != "PASSED"
        and r["check_id"] not in ALLOWED_FAILURES
    ]


def _in_scope(result: dict) -> bool:
    return result["check_id"] in REQUIRED_CHECKS or bool(
        ENCRYPTION_NAME.search(result["check_name"])
    )


def _where(result: dict) -> str:
    return f"{result['file_path'].lstrip('/')} {result['resource']}"


def test_every_template_was_scanned(results: list[dict], sample_templates: dict[str, dict]) -> None:
    assert {_template(r) for r in results} == set(sample_templates)


def test_every_encryption_check_passes(results: list[dict]) -> None:
    failed = _failures(results)
    assert failed == [], "fix, or add the check and a reason to ALLOWED_FAILURES:\n" + "\n".join(
        failed
    )


def test_a_broken_template_fails_the_encryption_checks(all_results: list[dict]) -> None:
    broken = _failures([r for r in all_results if _template(r) == BROKEN_NAME])
    assert any("CKV_AWS_27" in f and "PlainQueue" in f for f in broken), broken
    assert any("CKV_AWS_119" in f and "AwsOwnedTable" in f for f in broken), broken


def test_required_checks_ran_on_every_resource_of_their_type(
    results: list[dict], sample_templates: dict[str, dict]
) -> None:
    ran: dict[str, set[str]] = defaultdict(set)
    for r in results:
        ran[r["check_id"]].add(f"{Path(r['file_path']).name} {r['resource']}")
    present = {
        f"{name}.template.json {res['Type']}.{lid}"
        for name, template in sample_templates.items()
        for lid, res in resources_of(template)
    }
    exercised = 0
    for check_id, rtype in REQUIRED_CHECKS.items():
        expected = {p for p in present if p.split(" ", 1)[1].startswith(f"{rtype}.")}
        assert expected <= ran[check_id], f"{check_id} did not run on {expected - ran[check_id]}"
        exercised += bool(expected)
    # the sample app has at least buckets, queues and tables
    assert exercised >= 3

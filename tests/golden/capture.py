"""Frozen inputs and the outputs the CLI, the audit and the plugin gave on them (issue #23).

The layout of the package changed (subpackages); its output must not. ``tests/golden/inputs``
holds cloud assemblies frozen once: the sample app and the organisation sample as ``cdk synth``
wrote them, and ``violating``, the sample app with faults planted by :func:`plant_faults` (a store
of each state rule, a key policy open to everyone, an exemption, an unknown store-like type, a
custom resource). ``tests/golden/expected`` holds what every output format gave on them, and what
the template audit gave on every example of the test corpus (the catalogue's compliant and
violating examples as ``tests/test_audit_corpus.py`` places them).

``python tests/golden/capture.py`` rewrites ``expected`` from the code as it is: run it only for a
deliberate change of output, and say so in the commit (``tests/test_golden_outputs.py`` compares).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "inputs"
EXPECTED = HERE / "expected"
PLACEHOLDER = "<ASSEMBLY>"

#: (assembly, command, format) -> the CLI's exit code and output
CLI_RUNS: tuple[tuple[str, str, str], ...] = tuple(
    (name, command, fmt)
    for name in ("sample", "organization", "violating")
    for command, formats in (("audit", ("text", "json", "sarif")), ("report", ("markdown", "json")))
    for fmt in formats
)


def plant_faults(assembly: Path) -> None:
    """Faults of every rule family, planted in a copy of the sample app's assembly."""
    orders = assembly / "Orders.template.json"
    t = json.loads(orders.read_text())
    r = t["Resources"]
    queue = r["DomainEventsF849434E"]["Properties"]
    queue.pop("KmsMasterKeyId", None)
    queue["SqsManagedSseEnabled"] = True  # CDKP002: AWS owned key
    table = r["DomainOrders7342B767"]["Properties"]
    table["SSESpecification"] = {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": "alias/aws/dynamodb",
    }
    key = r["DomainKeyEFD04CB2"]["Properties"]["KeyPolicy"]["Statement"]
    key.append(
        {
            "Sid": "Planted",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    r["PlantedUnknownStore"] = {
        "Type": "AWS::Planted::DataStore",
        "Properties": {"Name": "x"},
        "Metadata": {"aws:cdk:path": "Orders/Planted/Unknown"},
    }
    r["PlantedCustom"] = {
        "Type": "Custom::Planted",
        "Properties": {
            "ServiceToken": {
                "Fn::GetAtt": [
                    "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691",
                    "Arn",
                ]
            }
        },
        "Metadata": {"aws:cdk:path": "Orders/Planted/Custom"},
    }
    orders.write_text(json.dumps(t, indent=1))
    credit = assembly / "CreditApplications.template.json"
    t = json.loads(credit.read_text())
    r = t["Resources"]
    r["PlantedPlainQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {"SqsManagedSseEnabled": False},
        "Metadata": {
            "aws:cdk:path": "CreditApplications/Planted/Plain/Resource",
            "cdk_partition:exemptions": [
                {"rule": "CDKP001", "reason": "Planted for the golden test, holds no data."}
            ],
        },
    }
    r["PlantedLogs"] = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {
            "KmsKeyId": "arn:aws:kms:us-east-1:999999999999:key/11111111-2222-3333-4444-555555555555"
        },
        "Metadata": {"aws:cdk:path": "CreditApplications/Planted/Logs/Resource"},
    }
    credit.write_text(json.dumps(t, indent=1))


def freeze(source: Path, name: str) -> None:
    """Copy a ``cdk synth`` output into ``inputs/NAME`` (rarely: the inputs stay as they are)."""
    target = INPUTS / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(
        source, target, ignore=shutil.ignore_patterns("validation-report.json", "cdk.out")
    )


@contextlib.contextmanager
def placed(name: str, tmp: Path) -> Iterator[Path]:
    """The frozen assembly copied to ``tmp`` (outputs name the copy's path: the placeholder)."""
    target = tmp / name
    if not target.exists():
        shutil.copytree(INPUTS / name, target)
    yield target


def _scrub(text: str, root: Path) -> str:
    return text.replace(str(root), PLACEHOLDER)


def run_cli(assembly: Path, command: str, fmt: str) -> tuple[int, str, str]:
    from cdk_partition import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([command, str(assembly), "--format", fmt])
    return code, _scrub(out.getvalue(), assembly), _scrub(err.getvalue(), assembly)


def run_plugin(assembly: Path) -> dict[str, Any]:
    """The validation plugin's report over every template of the assembly."""
    from cdk_partition import DomainEncryptionPlugin

    paths = sorted(str(p) for p in assembly.rglob("*.template.json"))
    context = SimpleNamespace(
        template_paths=paths,
        app_construct=SimpleNamespace(node=SimpleNamespace(try_get_context=lambda key: None)),
    )
    report = DomainEncryptionPlugin().validate(context)  # type: ignore[arg-type]
    return json.loads(
        _scrub(
            json.dumps(
                {
                    "success": report.success,
                    "violations": [
                        {
                            "rule_name": v.rule_name,
                            "description": v.description,
                            "fix": v.fix,
                            "severity": v.severity,
                            "resources": [
                                {
                                    "logical_id": r.resource_logical_id,
                                    "template_path": r.template_path,
                                    "locations": list(r.locations),
                                    "construct_path": r.construct_path,
                                }
                                for r in v.violating_resources
                            ],
                        }
                        for v in report.violations
                    ],
                }
            ),
            assembly,
        )
    )


def corpus_findings() -> dict[str, Any]:
    """The template audit over every example of the test corpus, as JSON."""
    sys.path.insert(0, str(HERE.parent))
    import test_audit_corpus as corpus
    from test_catalogue import COMPLIANT, VIOLATIONS

    from cdk_partition.audit import audit

    out: dict[str, Any] = {}
    for cfn_type in sorted(COMPLIANT):
        properties, _ = COMPLIANT[cfn_type]
        out[f"compliant {cfn_type}"] = [
            f.to_json() for f in audit([corpus._stack(cfn_type, properties)])
        ]
        swapped = corpus._swap_key(properties)
        out[f"other key {cfn_type}"] = [
            f.to_json() for f in audit([corpus._stack(cfn_type, swapped)])
        ]
    for i, (cfn_type, properties, _) in enumerate(VIOLATIONS):
        out[f"violation {i} {cfn_type}"] = [
            f.to_json() for f in audit([corpus._stack(cfn_type, properties)])
        ]
    return out


def capture_all(tmp: Path) -> dict[str, Any]:
    """Every golden output, keyed as ``expected/`` files are named."""
    results: dict[str, Any] = {}
    for name, command, fmt in CLI_RUNS:
        with placed(name, tmp) as assembly:
            code, out, err = run_cli(assembly, command, fmt)
        results[f"cli-{name}-{command}-{fmt}.txt"] = (
            f"exit {code}\n--- stdout\n{out}--- stderr\n{err}"
        )
    for name in ("sample", "violating"):
        with placed(name, tmp) as assembly:
            results[f"plugin-{name}.json"] = json.dumps(run_plugin(assembly), indent=1) + "\n"
    results["corpus.json"] = json.dumps(corpus_findings(), indent=1, sort_keys=True) + "\n"
    return results


def main() -> None:
    import tempfile

    EXPECTED.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for file, text in capture_all(Path(tmp)).items():
            (EXPECTED / file).write_text(text)
            print("wrote", EXPECTED / file)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--freeze"]:  # --freeze SAMPLE_CDK_OUT ORG_CDK_OUT
        freeze(Path(sys.argv[2]), "sample")
        freeze(Path(sys.argv[3]), "organization")
        freeze(Path(sys.argv[2]), "violating")
        plant_faults(INPUTS / "violating")
    else:
        main()

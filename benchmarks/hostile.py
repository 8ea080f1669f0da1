"""Audit and report time on large inputs (issue #25): a key policy of many statements, an
assembly of many resources. Both should grow about linearly.

    python -m benchmarks.hostile                       # 10,000 statements, 100,000 resources
    python -m benchmarks.hostile --statements 1000 2000 4000 --resources 0   # the slope
    python -m benchmarks.hostile --statements 0 --resources 10000 100000

Each input is the frozen sample assembly (tests/golden/inputs/sample) with either

* ``N`` statements added to the ``orders`` domain key's policy: each an ``Allow`` of
  ``kms:Decrypt``/``kms:GenerateDataKey`` to its own role (a hundred accounts) through one of
  three ``kms:ViaService`` values, the shape a hand-written policy grows into; or
* ``M`` queues on the domain key added to the ``orders`` stack (one template).

Prints the wall time of ``cdk-partition audit`` and ``cdk-partition report`` (run in this
process through :func:`cdk_partition.cli.main`, output discarded), loading included.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from cdk_partition import cli

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "golden" / "inputs" / "sample"
KEY = "DomainKeyEFD04CB2"


def _with(folder: Path, change: Any) -> Path:
    out = folder / "cdk.out"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(SAMPLE, out)
    template = out / "Orders.template.json"
    document = json.loads(template.read_text())
    change(document)
    template.write_text(json.dumps(document))
    return out


def statements(n: int) -> Any:
    def change(t: dict[str, Any]) -> None:
        policy = t["Resources"][KEY]["Properties"]["KeyPolicy"]["Statement"]
        for i in range(n):
            policy.append(
                {
                    "Sid": f"Extra{i}",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::1234567890{i % 100:02d}:role/r{i}"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"sqs.us-east-{i % 3 + 1}.amazonaws.com"}
                    },
                }
            )

    return change


def resources(m: int) -> Any:
    def change(t: dict[str, Any]) -> None:
        for i in range(m):
            t["Resources"][f"Queue{i}"] = {
                "Type": "AWS::SQS::Queue",
                "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": [KEY, "Arn"]}},
                "Metadata": {"aws:cdk:path": f"Orders/Queue{i}/Resource"},
            }

    return change


def timed(command: str, path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main([command, str(path)])
    return time.perf_counter() - start, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, nargs="*", default=[10_000])
    parser.add_argument("--resources", type=int, nargs="*", default=[100_000])
    parser.add_argument("--no-report", action="store_true", help="time the audit only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cases = [
            (f"{n:,} extra key-policy statements", statements(n)) for n in args.statements if n
        ]
        cases += [(f"{m:,} extra resources", resources(m)) for m in args.resources if m]
        for label, change in cases:
            path = _with(Path(folder), change)
            size = (path / "Orders.template.json").stat().st_size
            audit_s, audit_code = timed("audit", path)
            line = (
                f"{label} ({size / 1e6:.1f} MB template): audit {audit_s:.2f} s (exit {audit_code})"
            )
            if not args.no_report:
                report_s, report_code = timed("report", path)
                line += f", report {report_s:.2f} s (exit {report_code})"
            print(line, flush=True)


if __name__ == "__main__":
    main()

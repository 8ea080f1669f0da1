"""Speed of ``cdk-partition diff`` on two 900-store assemblies (issue #22; target under 2 s).

    python -m benchmarks.diff              # 5 runs
    python -m benchmarks.diff --runs 9 --stores 900

Synthesizes the 900-store app of :mod:`benchmarks.synth` (4 stacks, one domain each, buckets,
queues and tables, checks applied) once, copies its cloud assembly and edits the copy the way a
pull request would: a reader added to one domain's key policy, a queue moved onto
``alias/aws/sqs``, a table renamed (new logical id and construct path). Then times the diff of
the two, in process (load, report and audit both sides, compare) and as a whole ``cdk-partition
diff`` process (Python start-up included), and prints the medians and what the diff found.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synth import SIZES, build


def _edit(out: Path) -> None:
    template_file = out / "Domain0.template.json"
    text = template_file.read_text()
    template = json.loads(text)
    resources = template["Resources"]
    key = next(r for r in resources.values() if r["Type"] == "AWS::KMS::Key")
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    reader = "arn:aws:iam::111122223333:role/auditor"
    statements.append(
        {
            "Sid": "AllowRead",
            "Effect": "Allow",
            "Principal": {"AWS": reader},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        }
    )
    for s in statements:
        condition = (s.get("Condition") or {}).get("ArnNotEquals") or {}
        if "aws:PrincipalArn" in condition:
            values = condition["aws:PrincipalArn"]
            condition["aws:PrincipalArn"] = [*(values if isinstance(values, list) else [values]), reader]  # fmt: skip
    queue = next(r for r in resources.values() if r["Type"] == "AWS::SQS::Queue")
    queue["Properties"]["KmsMasterKeyId"] = "alias/aws/sqs"
    template_file.write_text(json.dumps(template))
    # the table Table2 renamed: its logical id and construct path (tree.json) wherever they occur
    table = next(k for k in resources if k.startswith("DomainTable2"))
    for file in out.glob("*.json"):
        text = file.read_text().replace(table, "DomainRenamed0123ABCD")
        for end in ('"', "/"):
            text = text.replace(f'"Domain0/Domain/Table2{end}', f'"Domain0/Domain/Renamed{end}')
        file.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stores", type=int, default=900, choices=list(SIZES))
    args = parser.parse_args()
    from cdk_partition.report.diff import diff_paths

    with tempfile.TemporaryDirectory() as tmp:
        before, after = Path(tmp) / "before", Path(tmp) / "after"
        build(args.stores, SIZES[args.stores], mode="apply_to", outdir=str(before)).synth()
        shutil.copytree(before, after)
        _edit(after)
        inside = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = diff_paths([before], [after])
            inside.append(time.perf_counter() - start)
        command = [sys.executable, "-m", "cdk_partition.cli", "diff", str(before), str(after)]
        whole = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            whole.append(time.perf_counter() - start)
    print(f"{args.stores} stores, {SIZES[args.stores]} stacks, median of {args.runs} runs:")
    print(f"  diff in process:            {statistics.median(inside):.3f} s")
    print(f"  `cdk-partition diff` process: {statistics.median(whole):.3f} s")
    print(f"  {len(result.changes)} entries: {result.counts()}")
    for change in result.changes:
        print(f"    {change.effect:<8} {change.kind:<18} {change.message[:90]}")


if __name__ == "__main__":
    main()

"""Synth-time cost of the domain checks, and the speed of the offline audit.

    python -m benchmarks.synth            # 90/300/900 stores, 5 alternating runs each
    python -m benchmarks.synth --runs 3 --sizes 900

Builds apps of N stores (bucket/queue/table in turn, all ``DataDomain`` stores) over 1-3 stacks,
and synthesizes each with and without ``DomainEncryptionChecks`` (which registers the validation
plugin), alternating the two so that machine noise hits both alike. Prints the median build+synth
and synth-only times and their ratio, then times ``cdk-partition audit`` on the 900-store
assembly (and checkov on the same templates when a ``checkov`` executable is on PATH).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

from cdk_partition import DataDomain, DomainEncryptionChecks

SIZES = {90: 1, 300: 2, 900: 3}  # stores -> stacks
ADMIN = "arn:aws:iam::111122223333:role/admin"


def build(stores: int, stacks: int, *, checks: bool, outdir: str) -> cdk.App:
    app = cdk.App(outdir=outdir)
    per_stack = stores // stacks
    for s in range(stacks):
        stack = cdk.Stack(app, f"Domain{s}")
        admin = iam.Role.from_role_arn(stack, "Admin", ADMIN)
        domain = DataDomain(stack, "Domain", domain_name=f"domain-{s}", administrators=[admin])
        for i in range(per_stack):
            kind = i % 3
            if kind == 0:
                domain.bucket(f"Bucket{i}")
            elif kind == 1:
                domain.queue(f"Queue{i}")
            else:
                domain.table(
                    f"Table{i}",
                    partition_key={"name": "pk", "type": dynamodb.AttributeType.STRING},
                )
        if checks:
            cdk.Aspects.of(stack).add(DomainEncryptionChecks(domain))
    return app


def measure(stores: int, stacks: int, *, checks: bool) -> tuple[float, float, str]:
    outdir = tempfile.mkdtemp(prefix="cdkp-bench-")
    start = time.perf_counter()
    app = build(stores, stacks, checks=checks, outdir=outdir)
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    return done - start, done - built, outdir


def time_command(command: list[str], runs: int) -> float | None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            print(f"  {' '.join(command[:2])} failed: {result.stderr.strip()[:200]}")
            return None
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, runs={args.runs}")
    print(
        f"{'stores':>6} {'stacks':>6} {'total off':>10} {'total on':>9} {'ratio':>6} "
        f"{'synth off':>10} {'synth on':>9} {'ratio':>6}"
    )
    keep: str | None = None
    for stores in args.sizes:
        stacks = SIZES.get(stores, 3)
        measure(stores, stacks, checks=True)  # warm-up: jsii loads modules lazily
        results: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for _ in range(args.runs):
            for checks in (False, True):
                total, synth, outdir = measure(stores, stacks, checks=checks)
                results[checks].append((total, synth))
                if checks and stores == max(args.sizes) and keep is None:
                    keep = outdir
                else:
                    shutil.rmtree(outdir, ignore_errors=True)
        off_t = statistics.median(t for t, _ in results[False])
        on_t = statistics.median(t for t, _ in results[True])
        off_s = statistics.median(s for _, s in results[False])
        on_s = statistics.median(s for _, s in results[True])
        print(
            f"{stores:>6} {stacks:>6} {off_t:>9.2f}s {on_t:>8.2f}s {on_t / off_t:>6.3f} "
            f"{off_s:>9.2f}s {on_s:>8.2f}s {on_s / off_s:>6.3f}"
        )
    if keep:
        cli = [sys.executable, "-m", "cdk_partition.cli", "audit", keep, "--format", "json"]
        audit_time = time_command(cli, args.runs)
        print(
            f"cdk-partition audit of the {max(args.sizes)}-store assembly (process, median): "
            f"{audit_time:.3f}s"
            if audit_time is not None
            else "audit failed"
        )
        checkov = shutil.which("checkov") or os.environ.get("CHECKOV")
        if checkov:
            cmd = [
                checkov,
                "-d",
                keep,
                "--framework",
                "cloudformation",
                "--quiet",
                "--compact",
                "--skip-download",
                "-o",
                "json",
            ]
            checkov_time = time_command(cmd, max(1, min(args.runs, 3)))
            if checkov_time is not None:
                print(f"checkov on the same templates (median): {checkov_time:.3f}s")
        else:
            print("checkov: not on PATH (set CHECKOV=/path/to/checkov to compare)")
        shutil.rmtree(keep, ignore_errors=True)


if __name__ == "__main__":
    main()

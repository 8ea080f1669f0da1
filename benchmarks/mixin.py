"""Cost of the encryption mixin on the 900-store app (issue #21).

    python -m benchmarks.mixin              # 900 stores, 1 run
    python -m benchmarks.mixin --runs 3 --stores 300

Builds the app of :mod:`benchmarks.synth` (buckets, queues and tables in turn over 4 stacks, one
domain each) two ways and times each phase:

* ``methods``: the store methods (``domain.bucket``...; each is the L2 plus the mixin applied to
  that store, so its build time includes the mixin), then ``DomainEncryptionChecks`` and synth;
* ``mixin``: the plain L2s (``s3.Bucket``, ``sqs.Queue``, ``dynamodb.Table``, no key), then
  ``Mixins.of(stack).apply(domain.encryption_at_rest())`` (timed apart: the apply overhead), then
  the checks and synth (the checks after it). A mixin that does nothing is applied first and
  timed apart: CDK's traversal and the jsii callbacks alone, the floor of any Python mixin.

Both apps synthesize with no finding (the contract rows follow the stores on the key by type);
a refused synth would still be timed whole, and its first line is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from benchmarks.synth import ADMIN, SIZES
from cdk_partition import DataDomain, DomainEncryptionChecks


class _Visit(cdk.Mixin):
    """A mixin that does nothing: what CDK's traversal and the jsii callbacks cost alone."""

    def supports(self, construct: object) -> bool:
        return isinstance(construct, cdk.CfnResource)

    def apply_to(self, construct: object) -> None:
        return None


def run(stores: int, way: str) -> dict[str, float]:
    """Seconds of each phase of one build: ``build``, ``apply`` (mixin only), ``synth``."""
    stacks = SIZES[stores]
    app = cdk.App(outdir=tempfile.mkdtemp(prefix="cdkp-mixin-"))
    times = {"build": 0.0, "visit": 0.0, "apply": 0.0, "synth": 0.0}
    pk = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    domains = []
    start = time.perf_counter()
    for s in range(stacks):
        stack = cdk.Stack(app, f"Domain{s}")
        admin = iam.Role.from_role_arn(stack, "Admin", ADMIN)
        domain = DataDomain(stack, "Domain", domain_name=f"domain-{s}", administrators=[admin])
        domains.append((stack, domain))
        for i in range(stores // stacks):
            kind = i % 3
            if way == "methods":
                if kind == 0:
                    domain.bucket(f"Bucket{i}")
                elif kind == 1:
                    domain.queue(f"Queue{i}")
                else:
                    domain.table(f"Table{i}", partition_key=pk)
            elif kind == 0:
                s3.Bucket(stack, f"Bucket{i}", enforce_ssl=True)
            elif kind == 1:
                sqs.Queue(stack, f"Queue{i}", enforce_ssl=True)
            else:
                dynamodb.Table(stack, f"Table{i}", partition_key=pk)
    times["build"] = time.perf_counter() - start
    if way == "mixin":
        start = time.perf_counter()
        for stack, _ in domains:
            cdk.Mixins.of(stack).apply(_Visit())
        times["visit"] = time.perf_counter() - start
        start = time.perf_counter()
        for stack, domain in domains:
            cdk.Mixins.of(stack).apply(domain.encryption_at_rest())
        times["apply"] = time.perf_counter() - start
    for stack, domain in domains:
        DomainEncryptionChecks(domain).apply_to(stack)
    start = time.perf_counter()
    try:
        app.synth()
    except Exception as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"  ({way}: synth refused: {first[:160]})")
    times["synth"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--stores", type=int, default=900, choices=sorted(SIZES))
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"methods": [], "mixin": []}
    for _ in range(args.runs):
        for way in results:
            results[way].append(run(args.stores, way))
    for way, runs in results.items():
        medians = {phase: statistics.median(r[phase] for r in runs) for phase in runs[0]}
        print(
            f"{way:8} {args.stores} stores: build {medians['build']:.2f} s, "
            f"mixin apply {medians['apply']:.2f} s (a no-op mixin's traversal alone "
            f"{medians['visit']:.2f} s), checks + synth {medians['synth']:.2f} s"
        )


if __name__ == "__main__":
    main()

"""Synth-time cost of the domain checks, and the speed of the offline audit.

    python -m benchmarks.synth            # 90/300/900 stores, 8 alternating runs each
    python -m benchmarks.synth --runs 8 --sizes 900
    python -m benchmarks.synth --org          # 2,000 stores, 8 stacks in 3 Stages (issue #13)

Builds apps of N stores (bucket/queue/table in turn, all ``DataDomain`` stores) over 1-4 stacks
(900 stores need 4: with the bucket and queue policies the store methods add, 300 stores in one
stack make 502 resources, over CloudFormation's 500), and synthesizes each three ways, alternating
(each run starting with the next mode, the garbage of the run before collected untimed) so that
machine noise and the order hit all alike:

* ``off``: no checks and no audit: the same stores and key policies, with the validation
  plugin that every ``DataDomain`` registers left out (the benchmark replaces
  ``cdk_partition.constructs.domain.register_plugin`` by a no-op while it builds): what the app
  costs without any of the checks;
* ``domain``: what a ``DataDomain`` does on its own (it registers the plugin: the template audit
  runs at synth even when the app applies no checks);
* ``apply_to``: ``DomainEncryptionChecks(domain).apply_to(stack)``, what ``DomainStack`` does;
* ``aspect``: ``Aspects.of(stack).add(DomainEncryptionChecks(domain))``.

``--org`` builds the organisation scenario instead: 2,000 stores over 8 stacks in 3 Stages of
three accounts. A data Stage (account 111111111111) owns the ``orders`` and ``payments`` domains,
one stack each, whose readers include a role of an analytics account; two workload Stages
(accounts 222222222222 and 333333333333) hold three stacks each whose stores name the ``orders``
key by ARN through ``DataDomain.from_domain_attributes``. 250 stores per stack (about 420
resources). ``apply_to`` applies each domain's checks to its stack, ``aspect`` adds them to each
stack with ``Aspects``.

The three checked modes run the template audit at synth (the validation plugin).
Prints median build+synth and synth-only times with their ratio to ``off``, and the CPU time of
build+synth (this process and the jsii kernel's node processes, from ``/proc``; machine load
inflates it far less than wall time), then times
``cdk-partition audit`` on the largest assembly, the prover's share of an in-process audit of it
(and checkov on the same templates when a
``checkov`` executable is on PATH or in ``$CHECKOV``).
"""

from __future__ import annotations

import argparse
import gc
import json
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
from cdk_partition.constructs import domain as domain_module

SIZES = {90: 1, 300: 2, 900: 4}  # stores -> stacks
MODES = ("off", "domain", "apply_to", "aspect")
ADMIN = "arn:aws:iam::111122223333:role/admin"


def build(stores: int, stacks: int, *, mode: str, outdir: str) -> cdk.App:
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
        if mode == "apply_to":
            DomainEncryptionChecks(domain).apply_to(stack)
        elif mode == "aspect":
            cdk.Aspects.of(stack).add(DomainEncryptionChecks(domain))
    return app


ORG_STORES, ORG_PER_STACK = 2000, 250
DATA_ENV = cdk.Environment(account="111111111111", region="eu-west-1")
WORKLOAD_ACCOUNTS = ("222222222222", "333333333333")
ANALYST = "arn:aws:iam::444444444444:role/analyst"
ORDERS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _fill(domain: object, count: int) -> None:
    """``count`` stores on ``domain``: buckets, queues and (on an owned domain) tables in turn."""
    kinds = 3 if isinstance(domain, DataDomain) else 2
    for i in range(count):
        kind = i % kinds
        if kind == 0:
            domain.bucket(f"Bucket{i}")  # type: ignore[attr-defined]
        elif kind == 1:
            domain.queue(f"Queue{i}")  # type: ignore[attr-defined]
        else:
            domain.table(  # type: ignore[attr-defined]
                f"Table{i}", partition_key={"name": "pk", "type": dynamodb.AttributeType.STRING}
            )


def _check(stack: cdk.Stack, domain: object, mode: str) -> None:
    if mode == "apply_to":
        DomainEncryptionChecks(domain).apply_to(stack)  # type: ignore[arg-type]
    elif mode == "aspect":
        cdk.Aspects.of(stack).add(DomainEncryptionChecks(domain))  # type: ignore[arg-type]


def build_org(stores: int, stacks: int, *, mode: str, outdir: str) -> cdk.App:
    """The organisation scenario (``--org``): a data Stage and two workload Stages."""
    del stores, stacks  # fixed: ORG_STORES over 2 + 2 x 3 stacks
    app = cdk.App(outdir=outdir)
    data = cdk.Stage(app, "Data", env=DATA_ENV)
    for name in ("orders", "payments"):
        stack = cdk.Stack(data, name.capitalize())
        admin = iam.Role.from_role_arn(stack, "Admin", ADMIN)
        analyst = iam.Role.from_role_arn(stack, "Analyst", ANALYST)
        domain = DataDomain(
            stack, "Domain", domain_name=name, administrators=[admin], readers=[analyst]
        )
        _fill(domain, ORG_PER_STACK)
        _check(stack, domain, mode)
    for index, account in enumerate(WORKLOAD_ACCOUNTS):
        stage = cdk.Stage(
            app, f"Workload{index + 1}", env=cdk.Environment(account=account, region="eu-west-1")
        )
        for s in range(3):
            stack = cdk.Stack(stage, f"Service{s}")
            ref = DataDomain.from_domain_attributes(
                stack, "Orders", domain_name="orders", key_arn=ORDERS_KEY
            )
            _fill(ref, ORG_PER_STACK)
            _check(stack, ref, mode)
    return app


def tree_cpu() -> float | None:
    """CPU seconds used so far by this process and its live descendants (the jsii kernel's node
    processes), from ``/proc``: a figure that machine load inflates far less than wall time.
    None where ``/proc`` is not there."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, ValueError, AttributeError):
        return None
    mine, total = {os.getpid()}, time.process_time()
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                total += cpu[pid]
                changed = True
    return total


def measure(
    stores: int, stacks: int, mode: str, builder: object = None
) -> tuple[float, float, float | None, str]:
    """(build + synth, synth, CPU seconds of build + synth, outdir). The garbage of the run before
    is collected first, outside the timed part, so that no mode pays for another's app."""
    gc.collect()
    outdir = tempfile.mkdtemp(prefix="cdkp-bench-")
    cpu_start = tree_cpu()
    start = time.perf_counter()
    registering = domain_module.register_plugin
    if mode == "off":  # the one difference of "off": no plugin, so no audit at synth
        domain_module.register_plugin = lambda scope: None
    try:
        app = (builder or build)(stores, stacks, mode=mode, outdir=outdir)  # type: ignore[operator]
    finally:
        domain_module.register_plugin = registering
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    cpu_done = tree_cpu()
    cpu = None if cpu_start is None or cpu_done is None else cpu_done - cpu_start
    return done - start, done - built, cpu, outdir


def time_command(command: list[str], runs: int) -> tuple[float, float] | None:
    """Median wall time and median CPU time (user + system) of ``command``."""
    times, cpus = [], []
    for _ in range(runs):
        before = os.times()
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(
            after.children_user - before.children_user + after.children_system
            - before.children_system
        )  # fmt: skip
        if result.returncode not in (0, 1):
            print(f"  {' '.join(command[:2])} failed: {result.stderr.strip()[:200]}")
            return None
    return statistics.median(times), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument(
        "--org", action="store_true", help="the organisation scenario: 2,000 stores, 3 Stages"
    )
    args = parser.parse_args()
    builder = build_org if args.org else build
    if args.org:
        args.sizes = [ORG_STORES]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, runs={args.runs}")
    print(
        f"{'stores':>6} {'stacks':>6} {'mode':>9} {'total':>8} {'ratio':>6} {'synth':>8} "
        f"{'ratio':>6} {'cpu':>8} {'ratio':>6}"
    )
    keep: str | None = None
    for stores in args.sizes:
        stacks = 8 if args.org else SIZES.get(stores, 4)
        shutil.rmtree(measure(stores, stacks, "aspect", builder)[3])  # warm-up: jsii loads lazily
        results: dict[str, list[tuple[float, float, float]]] = {m: [] for m in MODES}
        for run in range(args.runs):
            # each run starts with the next mode (off, domain, apply_to, aspect; domain, ...):
            # over a multiple of four runs each mode takes each place equally often, so a cost
            # of the place (a run after a synth, the kernel's growing heap) hits all alike
            shift = run % len(MODES)
            for mode in MODES[shift:] + MODES[:shift]:
                total, synth, cpu, outdir = measure(stores, stacks, mode, builder)
                results[mode].append((total, synth, cpu if cpu is not None else float("nan")))
                if mode == "apply_to" and stores == max(args.sizes) and keep is None:
                    keep = outdir
                else:
                    shutil.rmtree(outdir, ignore_errors=True)
        off = [statistics.median(r[i] for r in results["off"]) for i in range(3)]
        for mode in MODES:
            total, synth, cpu = (statistics.median(r[i] for r in results[mode]) for i in range(3))
            print(
                f"{stores:>6} {stacks:>6} {mode:>9} {total:>7.2f}s {total / off[0]:>6.3f} "
                f"{synth:>7.2f}s {synth / off[1]:>6.3f} {cpu:>7.2f}s {cpu / off[2]:>6.3f}",
                flush=True,
            )
    if keep:
        cli = [sys.executable, "-m", "cdk_partition.cli", "audit", keep, "--format", "json"]
        timed = time_command(cli, args.runs)
        if timed is not None:
            audit_time, audit_cpu = timed
            result = subprocess.run(cli, capture_output=True, text=True)
            errors = [f for f in json.loads(result.stdout or "[]") if f["severity"] == "error"]
            print(f"error findings in that assembly: {len(errors)}")
            print(
                f"cdk-partition audit of the {max(args.sizes)}-store assembly "
                f"(whole process, median of {args.runs}): {audit_time:.3f}s wall, "
                f"{audit_cpu:.3f}s CPU"
            )
            # in process: the prover's share of one audit (z3 encoding and checks, issue #18)
            from cdk_partition.audit import audit_path
            from cdk_partition.policy import prover

            prover._prover_for_text.cache_clear()
            before, started = prover.solver_seconds(), time.perf_counter()
            audit_path(keep)
            spent, solver = time.perf_counter() - started, prover.solver_seconds() - before
            print(
                f"in-process audit of that assembly (cold prover cache): {spent:.3f}s, of "
                f"which the prover {solver:.3f}s ({solver / spent:.0%})"
            )
        checkov = os.environ.get("CHECKOV") or shutil.which("checkov")
        if checkov:
            command = [checkov, "-d", keep, "--framework", "cloudformation", "--quiet",
                       "--compact", "--skip-download", "-o", "json"]  # fmt: skip
            checkov_time = time_command(command, max(1, min(args.runs, 3)))
            if checkov_time is not None:
                print(f"checkov on the same templates (median): {checkov_time[0]:.3f}s")
        else:
            print("checkov: not found (set CHECKOV=/path/to/checkov to compare)")
        shutil.rmtree(keep, ignore_errors=True)


if __name__ == "__main__":
    main()

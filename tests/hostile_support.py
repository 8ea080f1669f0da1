"""Shared by the hostile-input tests and the fuzz suite: a copy of the frozen sample assembly
to mutate, the planted store, and the CLI run in-process with its exit code and output."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdk_partition import cli

SAMPLE = Path(__file__).parent / "golden" / "inputs" / "sample"

#: A queue on SQS-managed encryption (no KMS key): a store every checked stack must refuse.
SSE_SQS_QUEUE: dict[str, Any] = {
    "Type": "AWS::SQS::Queue",
    "Properties": {"SqsManagedSseEnabled": True},
    "Metadata": {"aws:cdk:path": "Orders/Planted/Resource"},
}


def copy_sample(target: Path) -> Path:
    """A fresh copy of the sample's ``cdk.out`` under ``target`` (returned)."""
    out = target / "cdk.out"
    shutil.copytree(SAMPLE, out)
    return out


def edit_json(file: Path, change: Callable[[Any], Any]) -> None:
    """Rewrite ``file`` with ``change(parsed)`` (its return value when not None)."""
    value = json.loads(file.read_text())
    result = change(value)
    file.write_text(json.dumps(value if result is None else result))


def plant_queue(assembly: Path, stack: str = "Orders") -> None:
    def change(t: dict[str, Any]) -> None:
        t["Resources"]["PlantedQueue"] = copy.deepcopy(SSE_SQS_QUEUE)

    edit_json(assembly / f"{stack}.template.json", change)


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Run:
    """``cdk-partition argv`` in-process: exit code, standard output and error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:  # argparse
            code = int(exit_.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


def assert_refused_naming(run: Run, *names: str) -> None:
    """Exit 2, one line on stderr naming each of ``names``, nothing on stdout, no traceback."""
    assert run.code == 2, (run.code, run.out[-500:], run.err)
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert "Traceback" not in run.err and "internal error" not in run.err
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert run.out == ""


def assert_fails(run: Run, rule: str | None = None) -> None:
    """Never a silent pass: exit 2 (refused) or exit 1 (with ``rule`` among the findings)."""
    assert run.code in (1, 2), (run.code, run.out[-2000:], run.err)
    assert "No findings" not in run.out
    if run.code == 1 and rule is not None:
        assert rule in run.out, run.out[-2000:]

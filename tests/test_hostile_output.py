"""Output that cannot be forged (issue #25): values from the assembly holding control characters
(C0, C1, DEL, ANSI escapes, newlines, bidirectional overrides) reach no output raw, in any
format, and cannot print a fake "No findings" line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hostile_support import SSE_SQS_QUEUE, copy_sample, edit_json, run_cli

from cdk_partition.marks import printable

FAKE = "No findings: every store uses its domain key and every domain key is sound."
#: Every hostile kind at once: ANSI clear screen and cursor home, a newline and a fake verdict,
#: carriage return, C1 CSI, DEL, NEL, bidi override and isolate, line separator, OSC title.
HOSTILE = f"\x1b[2J\x1b[H\n{FAKE}\n\r{FAKE}\x9b31m\x7f\x85\u202eevil\u2066\u2028\x1b]0;title\x07"
RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]"
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with a hostile domain name, construct paths and a logical id."""
    sample = copy_sample(tmp_path_factory.mktemp("hostile"))
    domain = "orders" + HOSTILE

    def change(t: dict[str, Any]) -> None:
        t["Metadata"]["cdk_partition:checks"][0]["domain"] = domain
        t["Resources"]["DomainKeyEFD04CB2"]["Metadata"]["cdk_partition:domain"] = domain
        t["Resources"]["DomainKeyEFD04CB2"]["Metadata"]["aws:cdk:path"] = "Orders/Key" + HOSTILE
        queue = SSE_SQS_QUEUE | {"Metadata": {"aws:cdk:path": "Orders/Planted" + HOSTILE}}
        t["Resources"]["Planted" + HOSTILE] = queue

    edit_json(sample / "Orders.template.json", change)
    return sample


@pytest.mark.parametrize(
    "argv",
    [
        ["audit"],
        ["audit", "--format", "json"],
        ["audit", "--format", "sarif"],
        ["report"],
        ["report", "--format", "json"],
        ["report", "--format", "html"],
    ],
    ids=lambda argv: "-".join(argv),
)
def test_no_raw_control_character_and_no_forged_line(hostile: Path, argv: list[str]) -> None:
    run = run_cli(*argv, str(hostile))
    assert run.code == 1, run.err
    assert not RAW_CONTROL.search(run.out), RAW_CONTROL.search(run.out)
    assert not RAW_CONTROL.search(run.err)
    assert not any(line.lstrip().startswith("No findings") for line in run.out.splitlines())
    if "json" in argv or "sarif" in argv:  # JSON stays JSON, the value intact inside it
        assert json.dumps(HOSTILE)[1:-1] in json.dumps(json.loads(run.out))
    else:  # the value is there, escaped
        assert printable("Orders/Planted" + HOSTILE) in run.out


def test_error_line_escapes_the_file_name(tmp_path: Path) -> None:
    run = run_cli("audit", str(tmp_path / f"x{HOSTILE}.json"))
    assert run.code == 2
    assert len(run.err.splitlines()) == 1 and not RAW_CONTROL.search(run.err)


def test_printable_escapes_every_kind() -> None:
    escaped = printable(HOSTILE + "\t\x00\ud800\ufeff")
    assert not RAW_CONTROL.search(escaped) and "\n" not in escaped
    assert "\\x1b[2J" in escaped and "\\u202e" in escaped and "\\ud800" in escaped
    assert printable("Orders/Domain/Key é 日本") == "Orders/Domain/Key é 日本"

"""Malformed intrinsic functions in an untrusted cloud assembly: read, never a crash (issue #25).

The fuzz suite (tests/test_fuzz_assembly.py) found ``{"Fn::GetAtt": null}`` in a key slot
crashing the report (exit 3): a reader indexed a shape it had not checked (kept as
``tests/fuzz_corpus/key-reference-getatt-null.json``). This is the kind, not the example: every
intrinsic function the sample's templates hold gets malformed argument shapes at every place it
occurs, and the CLI must end with an exit code of the contract (0, 1 or 2), one line on standard
error at most, and no internal error.

The occurrences of a function take the shapes in turn (occurrence ``i`` gets
``SHAPES[(i + offset) % len(SHAPES)]``). The normal suite runs offset 0 through ``report`` (which
runs the whole audit first); the fuzz profile of `.ci/run` (``CDKP_FUZZ_PROFILE=fuzz``) runs every
offset, so every occurrence meets every shape, through ``audit`` and ``report``.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hostile_support import SAMPLE, run_cli

TEMPLATES = sorted(p.name for p in SAMPLE.glob("*.template.json"))
_SOURCES: dict[str, Any] = {name: json.loads((SAMPLE / name).read_text()) for name in TEMPLATES}

#: Argument shapes CloudFormation never accepts for these functions: nothing, a scalar, an empty
#: list, a list one short, a list of non-strings, an object.
SHAPES: list[Any] = [None, 7, [], ["Only"], [{"Ref": "X"}, [1]], {"a": 1}]


def _functions(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            if len(value) == 1 and (key == "Ref" or key.startswith("Fn::")):
                found.add(key)
            found |= _functions(child)
    elif isinstance(value, list):
        for child in value:
            found |= _functions(child)
    return found


FUNCTIONS = sorted(set().union(*(_functions(t) for t in _SOURCES.values())))
FULL = os.environ.get("CDKP_FUZZ_PROFILE") == "fuzz"
OFFSETS = range(len(SHAPES)) if FULL else range(1)
COMMANDS = (["audit"], ["report"]) if FULL else (["report"],)


def _replace(value: Any, function: str, shapes: list[Any], counter: list[int]) -> Any:
    """``value`` with each ``{function: ...}`` argument replaced by the next of ``shapes`` in
    turn (``counter[0]`` counts the replacements)."""
    if isinstance(value, dict):
        if list(value) == [function]:
            counter[0] += 1
            return {function: copy.deepcopy(shapes[counter[0] % len(shapes)])}
        return {key: _replace(child, function, shapes, counter) for key, child in value.items()}
    if isinstance(value, list):
        return [_replace(child, function, shapes, counter) for child in value]
    return value


def test_the_sample_holds_the_functions_a_cdk_app_writes() -> None:
    """The cases below cover what the sample holds: a sample without these would test little."""
    assert {"Ref", "Fn::GetAtt", "Fn::Join", "Fn::ImportValue", "Fn::Sub"} <= set(FUNCTIONS)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_malformed_arguments_are_read_not_crashed_on(tmp_path: Path, function: str) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    for child in SAMPLE.iterdir():
        if child.name not in _SOURCES:
            (out / child.name).write_bytes(child.read_bytes())
    for offset in OFFSETS:
        counter = [offset]
        for name, template in _SOURCES.items():
            (out / name).write_text(json.dumps(_replace(template, function, SHAPES, counter)))
        assert counter[0] > offset, function
        for argv in COMMANDS:
            run = run_cli(*argv, str(out))
            case = (function, offset, argv)
            assert run.code in (0, 1, 2), (case, run.code, run.err)
            assert "internal error" not in run.err, (case, run.err)
            assert len(run.err.strip().splitlines()) <= 1, (case, run.err)


def test_a_malformed_key_reference_is_a_finding_not_silence(tmp_path: Path) -> None:
    """Fail closed: a store whose key slot is ``{"Fn::GetAtt": null}`` names no key the audit
    can resolve, so it is a failing finding on that store and slot (the fuzz suite's case)."""
    out = tmp_path / "cdk.out"
    out.mkdir()
    for child in SAMPLE.iterdir():
        (out / child.name).write_bytes(child.read_bytes())
    name = "CreditApplications.template.json"
    template = copy.deepcopy(_SOURCES[name])
    slots = [
        (logical_id, prop)
        for logical_id, resource in template["Resources"].items()
        for prop, value in (resource.get("Properties") or {}).items()
        if prop.startswith("Kms") and isinstance(value, dict) and list(value) == ["Fn::GetAtt"]
    ]
    assert slots, "the sample's credit-applications stack names its key by Fn::GetAtt"
    logical_id, prop = slots[0]
    template["Resources"][logical_id]["Properties"][prop] = {"Fn::GetAtt": None}
    (out / name).write_text(json.dumps(template))
    for argv in (["audit"], ["report"]):
        run = run_cli(*argv, str(out))
        assert run.code == 1, (argv, run.code, run.err)
    audit = run_cli("audit", "--format", "json", str(out))
    findings = json.loads(audit.out)
    assert any(
        f["severity"] == "error" and f["logical_id"] == logical_id and f["location"] == prop
        for f in findings
    ), findings

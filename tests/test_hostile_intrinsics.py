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


def _assembly_with(tmp_path: Path, edit: Any) -> Path:
    """The sample with ``edit`` applied to a copy of the Orders template."""
    out = tmp_path / "cdk.out"
    out.mkdir()
    for child in SAMPLE.iterdir():
        (out / child.name).write_bytes(child.read_bytes())
    template = copy.deepcopy(json.loads((SAMPLE / "Orders.template.json").read_text()))
    edit(template)
    (out / "Orders.template.json").write_text(json.dumps(template))
    return out


def _key_of(template: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key")


def test_a_key_policy_chosen_by_fn_if_is_cdkp102_everywhere(tmp_path: Path) -> None:
    """A ``KeyPolicy`` under ``Fn::If`` (valid CloudFormation: its value is known at deploy) is
    no document the checks can read: CDKP102 on the key, every other pass reading it as a policy
    that allows nothing, and the report and the diff read it without an internal error (the
    diff exited 3; the audit's passes crashed, CDKP000)."""

    def edit(template: dict[str, Any]) -> None:
        key = _key_of(template)
        policy = key["Properties"]["KeyPolicy"]
        key["Properties"]["KeyPolicy"] = {"Fn::If": ["IsProd", policy, policy]}

    out = _assembly_with(tmp_path, edit)
    audit = run_cli("audit", "--format", "json", str(out))
    findings = json.loads(audit.out)
    assert not [f for f in findings if f["rule"] == "CDKP000"], findings
    assert any(f["rule"] == "CDKP102" and "not a literal document" in f["message"]
               for f in findings), findings  # fmt: skip
    for argv in (["report", str(out)], ["report", "--format", "html", str(out)],
                 ["diff", str(SAMPLE), str(out)]):  # fmt: skip
        run = run_cli(*argv)
        assert run.code in (0, 1), (argv, run.code, run.err)


def test_a_type_that_is_no_string_does_not_stop_the_key_checks(tmp_path: Path) -> None:
    """One resource whose ``Type`` is an object is a finding of its own; before, every pass that
    looked a type up in a table crashed on it (CDKP000 on every domain key: no key audited)."""

    def edit(template: dict[str, Any]) -> None:
        template["Resources"]["Odd"] = {"Type": {"Fn::Sub": "AWS::SNS::Subscription"}}

    out = _assembly_with(tmp_path, edit)
    findings = json.loads(run_cli("audit", "--format", "json", str(out)).out)
    crashed = [f for f in findings if f["rule"] == "CDKP000"]
    assert [f["logical_id"] for f in crashed] == ["Odd"], crashed
    # the key checks ran: the sample's own key findings are all there
    intact = json.loads(run_cli("audit", "--format", "json", str(SAMPLE)).out)
    assert {(f["rule"], f["path"]) for f in intact} <= {(f["rule"], f["path"]) for f in findings}

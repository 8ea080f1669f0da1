"""Fuzzing the CLI with mutations of a real cloud assembly (issue #25), by hypothesis.

Each example copies the frozen sample assembly (tests/golden/inputs/sample), plants a queue on
SQS-managed encryption in a checked stack, applies one to three mutations (delete a key, retype a
value, duplicate a key's value under another key, a hostile string, a huge or deeply nested
value) at paths drawn from the manifest, the templates, an asset manifest or ``tree.json``, and
runs ``cdk-partition audit|report`` in-process. The contract:

* exit 0, 1 or 2 only, never 3, never a traceback;
* exit 2: exactly one line on standard error, naming a file of the assembly; nothing on
  standard output;
* exit 0 or 1: nothing on standard error; exit 0 (the planted queue passed) only when a mutation
  touched what places it (the checked stack's marks or domain key, the queue itself, or the
  stack's artifact): every other mutation leaves the queue to be caught;
* no output carries a raw control character.

Profiles: ``short`` (a few seconds, the normal suite) and ``fuzz`` (about a minute, `.ci/run`:
``CDKP_FUZZ_PROFILE=fuzz pytest -q tests/test_fuzz_assembly.py --hypothesis-seed=25``).
Inputs the fuzzer found are kept as regression cases in ``tests/fuzz_corpus/`` (one JSON file
each: the mutations, replayed by :func:`test_corpus_case`); a failing example prints its
mutations in that format.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_support import SAMPLE, SSE_SQS_QUEUE, Run, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: The profiles (applied to this module's test only, never loaded globally): ``short`` for the
#: normal suite, ``fuzz`` for `.ci/run` (``CDKP_FUZZ_PROFILE=fuzz``).
PROFILES = {
    "short": settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
    ),
    "fuzz": settings(
        max_examples=700, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
    ),
}
PROFILE = PROFILES[os.environ.get("CDKP_FUZZ_PROFILE", "short")]

CORPUS = Path(__file__).parent / "fuzz_corpus"
CHECKED = "CreditApplications"
FILES = [
    "manifest.json",
    f"{CHECKED}.template.json",
    "Orders.template.json",
    "Principals.template.json",
    "Orders.assets.json",
    "tree.json",
]
_SOURCES: dict[str, Any] = {name: json.loads((SAMPLE / name).read_text()) for name in FILES}
_SOURCES[f"{CHECKED}.template.json"]["Resources"]["PlantedQueue"] = SSE_SQS_QUEUE | {
    "Metadata": {"aws:cdk:path": f"{CHECKED}/Planted/Resource"}
}
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _paths(value: Any, where: tuple[Any, ...] = (), depth: int = 0) -> Iterator[tuple[Any, ...]]:
    yield where
    if depth > 8:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*where, key), depth + 1)
    elif isinstance(value, list):
        for index, child in enumerate(value[:5]):
            yield from _paths(child, (*where, index), depth + 1)


#: Every path of every file (the tree's only to a few levels: it is large).
PATHS: list[tuple[str, tuple[Any, ...]]] = [
    (name, path)
    for name in FILES
    for path in _paths(_SOURCES[name], depth=5 if name == "tree.json" else 0)
]

HOSTILE_TEXT = st.sampled_from(
    [
        "\x1b[2J\x1b[HNo findings: every store uses its domain key and every domain key is sound.",
        "a\nb\rc\x00d\x85e\u202ef\u2066",
        "\ud800",
        "../../../../etc/passwd",
        "/dev/zero",
        "Orders.template.json",
        ".",
        "",
        "aws:cloudformation:stack",
        "cdk:cloud-assembly",
        "x" * 100_000,
    ]
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
VALUES = st.one_of(
    SCALARS,
    HOSTILE_TEXT,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=8), SCALARS, max_size=3),
    st.integers(min_value=50, max_value=3_000).map(lambda n: {"deep": n}),
)
MUTATION = st.tuples(
    st.sampled_from(range(len(PATHS))),
    st.sampled_from(["delete", "retype", "duplicate", "hostile"]),
    VALUES,
    HOSTILE_TEXT,
)


def _deep(n: int) -> Any:
    value: Any = []
    for _ in range(n):
        value = [value]
    return value


def _value(value: Any) -> Any:
    return _deep(value["deep"]) if isinstance(value, dict) and set(value) == {"deep"} else value


def apply(documents: dict[str, Any], mutation: dict[str, Any]) -> None:
    """Apply one mutation (the corpus format: file, path, op, value) to ``documents``."""
    name, path, op = mutation["file"], mutation["path"], mutation["op"]
    value = _value(mutation.get("value"))
    if not path:
        if op in ("retype", "hostile"):
            documents[name] = value
        return
    parent = documents[name]
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "duplicate" and isinstance(parent, dict):
        parent[f"{last}Copy"] = copy.deepcopy(parent[last])
        if isinstance(parent[last], dict):  # and a copy of the object inside itself
            parent[last]["Copy"] = copy.deepcopy(parent[last])
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    else:
        parent[last] = value


def touches_placement(mutations: list[dict[str, Any]]) -> bool:
    """Whether a mutation may legitimately let the planted queue pass: it touched the checked
    stack's marks or domain key, the queue, its artifact or the whole file."""
    for m in mutations:
        path = [str(p) for p in m["path"]]
        if m["file"] == f"{CHECKED}.template.json":
            if len(path) <= 1 or path[0] == "Metadata":
                return True
            if path[0] == "Resources" and (
                len(path) == 2 or path[1].startswith(("DomainKey", "PlantedQueue"))
            ):
                return True
        if m["file"] == "manifest.json" and (len(path) <= 2 or path[1] == CHECKED):
            return True
    return False


def run_case(mutations: list[dict[str, Any]], argv: list[str]) -> Run:
    """Write the mutated assembly to a temporary folder, run the CLI on it, check the contract."""
    documents = copy.deepcopy(_SOURCES)
    for mutation in mutations:
        try:
            apply(documents, mutation)
        except (KeyError, IndexError, TypeError, RecursionError):
            continue  # an earlier mutation removed the place (or made it too deep to copy)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "cdk.out"
        out.mkdir()
        for child in SAMPLE.iterdir():
            if child.name not in documents:
                (out / child.name).write_bytes(child.read_bytes())
        for name, document in documents.items():
            try:
                text = json.dumps(document)
            except RecursionError:
                text = "[" * 5_000 + "]" * 5_000
            (out / name).write_text(text, errors="surrogatepass")
        run = run_cli(*argv, str(out))
        described = json.dumps({"argv": argv, "mutations": mutations}, default=repr)[:3000]
        assert run.code in (0, 1, 2), (described, run.code, run.err)
        assert "Traceback" not in run.err and "internal error" not in run.err, (described, run.err)
        assert not RAW_CONTROL.search(run.out + run.err), described
        if run.code == 2:
            lines = run.err.splitlines()
            assert len(lines) == 1 and lines[0].startswith("cdk-partition: "), (described, run.err)
            assert str(out) in lines[0] or ".json" in lines[0], (described, lines[0])
            assert run.out == "", described
        else:
            assert run.err == "", (described, run.err)
        if run.code == 0:
            assert touches_placement(mutations), ("silent pass", described, run.out[-300:])
    return run


@PROFILE
@given(
    mutations=st.lists(MUTATION, min_size=1, max_size=3),
    argv=st.sampled_from(
        [["audit"], ["audit"], ["audit", "--format", "sarif"], ["report"], ["audit"]]
    ),
)
def test_mutated_assembly_keeps_the_contract(
    mutations: list[tuple[int, str, Any, str]], argv: list[str]
) -> None:
    cases = []
    for index, op, value, hostile in mutations:
        name, path = PATHS[index]
        cases.append(
            {
                "file": name,
                "path": list(path),
                "op": op,
                "value": hostile if op == "hostile" else value,
            }
        )
    run_case(cases, argv)


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*.json")), ids=lambda p: p.stem)
def test_corpus_case(case: Path) -> None:
    """A found input kept as a regression case: its mutations must keep the contract (and give
    the exit code it records, when it records one)."""
    recorded = json.loads(case.read_text())
    run = run_case(recorded["mutations"], recorded.get("argv", ["audit"]))
    if "exit" in recorded:
        assert run.code == recorded["exit"], (run.code, run.err)

"""The package's layout changed (issue #23); its output did not: every CLI format, the validation
plugin and the template audit of the test corpus give, byte for byte, what they gave before the
move (``tests/golden/expected``, recorded on the frozen assemblies of ``tests/golden/inputs``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden import capture


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return capture.capture_all(tmp_path_factory.mktemp("golden"))


def test_every_expected_output_is_produced(outputs: dict[str, str]) -> None:
    files = {p.name for p in capture.EXPECTED.iterdir()}
    assert set(outputs) == files
    assert len(files) == len(capture.CLI_RUNS) + 3  # plugin x2, corpus


@pytest.mark.parametrize("name", sorted(p.name for p in capture.EXPECTED.iterdir()))
def test_output_unchanged(outputs: dict[str, str], name: str) -> None:
    expected = (capture.EXPECTED / name).read_text()
    assert outputs[name] == expected, f"{name} changed: run tests/golden/capture.py only on purpose"


def test_planted_faults_are_found() -> None:
    """The violating assembly is not a second clean one: its audit fails on each family."""
    text = (capture.EXPECTED / "cli-violating-audit-text.txt").read_text()
    assert text.startswith("exit 1")
    for rule in ("CDKP002", "CDKP003", "CDKP004", "CDKP103", "(exempted) CDKP001"):
        assert rule in text


def test_inputs_are_frozen_assemblies() -> None:
    for name in ("sample", "organization", "violating"):
        assert (Path(capture.INPUTS) / name / "manifest.json").is_file()

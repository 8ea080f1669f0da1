"""The package's layout is its architecture (docs/architecture.md, "How it is built"), and these rules keep it.

The import rules are import-linter contracts in ``pyproject.toml`` (``[tool.importlinter]``),
checked here with ``lint-imports``: only :mod:`cdk_partition.constructs` runs inside a CDK app
(nothing else imports ``aws_cdk``, ``constructs``, ``jsii`` or ``cdk_partition.constructs``); the
rooms are layers, each importing only the rooms below it; no import cycles between the modules of
a room (imports inside functions and under ``if TYPE_CHECKING:`` count: a circle of types is a
circle of design). Besides: no module over ~600 lines except generated ones, and the README's
package map names every room with what the layers let it import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cdk_partition"
MAX_LINES = 600
GENERATED = {"constructs/_signatures.py", "constructs/_native/_jsii/__init__.py"}
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    return subprocess.run(
        [found, "--no-cache"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") == 3


def test_import_contracts_can_fail(tmp_path: Path) -> None:
    """The same kinds of contract on a package that breaks each: a pure module that loads jsii,
    a lower layer importing a higher one, and two modules that import each other (one inside a
    function, one only for the type checker: the shape of the old domain/checks circle)."""
    pkg = tmp_path / "pkg"
    for room in ("pure", "top"):
        (pkg / room).mkdir(parents=True)
        (pkg / room / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "pure" / "a.py").write_text(
        "import jsii\n\ndef f():\n    from .b import B\n    return B\n"
    )
    (pkg / "pure" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\nB = 1\n"
    )
    (pkg / "pure" / "c.py").write_text("from ..top import x\n")
    (pkg / "top" / "x.py").write_text("")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = pkg\ninclude_external_packages = True\n\n"
        "[importlinter:contract:pure]\nname = pure\ntype = forbidden\n"
        "source_modules =\n    pkg.pure\nforbidden_modules =\n    jsii\n\n"
        "[importlinter:contract:layers]\nname = layers\ntype = layers\n"
        "layers =\n    pkg.top\n    pkg.pure\n\n"
        "[importlinter:contract:cycles]\nname = cycles\ntype = acyclic_siblings\n"
        "ancestors =\n    pkg\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert result.stdout.count("BROKEN") == 3, result.stdout


def _modules() -> dict[str, Path]:
    return {p.relative_to(PACKAGE).as_posix(): p for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("relative", sorted(_modules()))
def test_modules_stay_small(relative: str) -> None:
    if relative in GENERATED:
        pytest.skip("generated")
    lines = len(_modules()[relative].read_text().splitlines())
    assert lines <= MAX_LINES, f"{relative} has {lines} lines (more than {MAX_LINES}): split it"


def _rooms_by_layer() -> list[list[str]]:
    (layers,) = [c["layers"] for c in CONFIG["contracts"] if c["type"] == "layers"]
    return [
        [name.strip().removeprefix("cdk_partition.") for name in layer.split("|")]
        for layer in layers
    ]


def _readme_map() -> dict[str, str]:
    readme = (ROOT / "docs" / "architecture.md").read_text()
    table = readme.split("<!-- package-map:begin -->")[1].split("<!-- package-map:end -->")[0]
    rows = {}
    for row in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in row.split("|")[1:-1]]
        rows[cells[0].strip("` /").removeprefix("cdk_partition/").removesuffix(".py")] = cells[2]
    return rows


def test_layers_name_every_room() -> None:
    rooms = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if not p.name.startswith("_")}
    rooms -= {"py.typed"}
    assert {r for layer in _rooms_by_layer() for r in layer} == rooms


def test_readme_map_is_the_layers() -> None:
    """docs/architecture.md ("How it is built"): each room's "may import" is exactly the rooms below it."""
    layers = _rooms_by_layer()
    readme = _readme_map()
    assert set(readme) == {r for layer in layers for r in layer}
    pure = {r for layer in layers[1:] for r in layer}
    for i, layer in enumerate(layers):
        below = {r for lower in layers[i + 1 :] for r in lower}
        for room in layer:
            text = readme[room]
            if "every pure room" in text or "the pure rooms" in text:
                said = pure
            elif "nothing of the package" in text:
                said = set()
            else:
                said = {w.strip("`, ") for w in text.split()} & pure
            assert said == below, f"docs/architecture.md says {room} may import {sorted(said)}"


#: ``from cdk_partition import ...`` as released before the rooms existed (issue #23: unchanged).
PUBLIC_API = (
    "RULES Capability ConflictingEncryptionError DataDomain DomainChecksFailed "
    "DomainEncryptionChecks DomainEncryptionPlugin DomainOptions DomainReference DomainReplica "
    "DomainStack Finding __version__ audit_path exempt last_failure"
).split()


def test_public_api_unchanged() -> None:
    """Every name the package exported keeps resolving from ``cdk_partition``, lazily (a pure
    name does not load aws-cdk-lib; a subprocess, since this process has loaded it already)."""
    import cdk_partition

    assert sorted(cdk_partition.__all__) == sorted(PUBLIC_API)
    for name in PUBLIC_API:
        assert getattr(cdk_partition, name) is not None, name
    probe = (
        "import sys, cdk_partition; cdk_partition.RULES; cdk_partition.audit_path; "
        "cdk_partition.Finding; cdk_partition.Capability; print('aws_cdk' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "False", result.stderr

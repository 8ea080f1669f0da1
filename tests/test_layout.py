"""The package's layout is its architecture (README "How it is built"), and these rules keep it.

* Only :mod:`cdk_partition.constructs` runs inside a CDK app: nothing else imports ``aws_cdk``,
  ``constructs`` or ``jsii`` (the audit, the report and the CLI read a ``cdk.out`` as JSON and
  start in a fraction of a second).
* The pure half never imports the construct half: ``audit``, ``report``, ``assembly``,
  ``knowledge``, ``policy``, ``marks`` and ``cli`` do not import ``cdk_partition.constructs``.
* ``marks`` (the names and formats both halves share) imports nothing of the package.
* No two modules import each other, directly or through others: imports inside functions count,
  and so do those under ``if TYPE_CHECKING:`` (a circle of types is a circle of design).
* No module is over ~600 lines, except generated ones.

The package's ``__init__`` is the public facade (lazy re-exports of both halves) and is exempt
from the first two rules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cdk_partition"
JSII_WORLD = ("aws_cdk", "constructs", "jsii")
PURE = ("audit", "report", "assembly", "knowledge", "policy", "marks", "cli")
MAX_LINES = 600
GENERATED = {"constructs/_signatures.py", "constructs/_native/_jsii/__init__.py"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _nodes(tree: ast.AST, typing: bool) -> Iterator[ast.AST]:
    """Every node; ``if TYPE_CHECKING:`` bodies only when ``typing``."""
    for node in ast.iter_child_nodes(tree):
        if not typing and isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for other in node.orelse:
                yield other
                yield from _nodes(other, typing)
            continue
        yield node
        yield from _nodes(node, typing)


def imports_of(
    module: str, *, typing: bool = False, modules: dict[str, Path] = MODULES
) -> set[str]:
    """The absolute names ``module`` imports (at run time; with ``typing``, for the type checker
    too). ``from x import y`` gives ``x.y`` when that is a module, and ``x``."""
    path = modules[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _nodes(ast.parse(path.read_text()), typing):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.add(source)
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    found.add(f"{source}.{alias.name}")
    return found


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _room(m) != "constructs"))
def test_pure_half_never_loads_the_cdk(module: str) -> None:
    if module == "cdk_partition":
        pytest.skip("the public facade re-exports both halves lazily")
    loads = {i for i in imports_of(module) if i.split(".")[0] in JSII_WORLD}
    assert not loads, f"{module} imports {sorted(loads)}: only cdk_partition.constructs may"
    constructs = {i for i in imports_of(module) if i.startswith("cdk_partition.constructs")}
    assert not constructs, f"{module} imports {sorted(constructs)} of the construct half"


def test_marks_stand_alone() -> None:
    assert not {i for i in imports_of("cdk_partition.marks") if i.startswith("cdk_partition")}


def test_rooms_are_the_documented_ones() -> None:
    rooms = {_room(m) for m in MODULES if _room(m)}
    assert rooms == {"constructs", "knowledge", "policy", "assembly", "audit", "report", *PURE}


def find_cycle(modules: dict[str, Path]) -> list[str] | None:
    """One import cycle among ``modules`` (type-only imports included), or None."""
    top = min(modules, key=len)
    graph = {
        m: {i for i in imports_of(m, typing=True, modules=modules) if i in modules} - {m, top}
        for m in modules
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise _Cycle([*stack[stack.index(nxt) :], nxt])
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    try:
        for node in sorted(graph):
            if node not in state:
                visit(node)
    except _Cycle as cycle:
        return cycle.modules
    return None


class _Cycle(Exception):
    def __init__(self, modules: list[str]) -> None:
        self.modules = modules


def test_no_import_cycles() -> None:
    cycle = find_cycle(MODULES)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    path = MODULES[module]
    relative = path.relative_to(PACKAGE).as_posix()
    if relative in GENERATED:
        pytest.skip("generated")
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{relative} has {lines} lines (more than {MAX_LINES}): split it"


def test_the_cycle_test_can_fail(tmp_path: Path) -> None:
    """Two modules that import each other, one inside a function and one only for the type
    checker (the shape of the old domain/checks circle), are a cycle."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from .b import B\n    return B\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\nB = 1\n"
    )
    modules = {"pkg": package / "__init__.py", "pkg.a": package / "a.py", "pkg.b": package / "b.py"}
    assert find_cycle(modules) in (["pkg.a", "pkg.b", "pkg.a"], ["pkg.b", "pkg.a", "pkg.b"])
    (package / "b.py").write_text("B = 1\n")
    assert find_cycle(modules) is None


def test_readme_maps_every_room() -> None:
    """README "How it is built" names every room of the package, and no room that is gone."""
    readme = (PACKAGE.parent / "README.md").read_text()
    table = readme.split("<!-- package-map:begin -->")[1].split("<!-- package-map:end -->")[0]
    named = {
        cell.strip("` /").removeprefix("cdk_partition/").removesuffix(".py")
        for cell in (row.split("|")[1].strip() for row in table.strip().splitlines()[2:])
    }
    rooms = {_room(m) for m in MODULES if _room(m) and not _room(m).startswith("_")}
    assert named == rooms


def _allowed_imports() -> dict[str, set[str]]:
    """The README's "may import" column, per room."""
    readme = (PACKAGE.parent / "README.md").read_text()
    table = readme.split("<!-- package-map:begin -->")[1].split("<!-- package-map:end -->")[0]
    pure = set(PURE) - {"cli"}
    allowed: dict[str, set[str]] = {}
    for row in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in row.split("|")[1:-1]]
        room = cells[0].strip("` /").removeprefix("cdk_partition/").removesuffix(".py")
        text = cells[2]
        if "every pure room" in text or "the pure rooms" in text:
            allowed[room] = pure
        elif "nothing of the package" in text:
            allowed[room] = set()
        else:
            allowed[room] = {w.strip("`, ") for w in text.split() if w.strip("`, ") in pure}
    return allowed


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _room(m)))
def test_rooms_import_what_the_readme_allows(module: str) -> None:
    room = _room(module)
    allowed = _allowed_imports()[room] | {room}
    used = {
        _room(i)
        for i in imports_of(module, typing=True)
        if i.startswith("cdk_partition.") and _room(i)
    }
    assert used <= allowed, f"{module} imports rooms {sorted(used - allowed)}: README forbids"

"""The typed API: store methods, DomainStack's props and domain options are visible to type
checkers as the L2s' and ``cdk.Stack``'s own (issue #14).

Fast checks keep the hand-written and generated signatures equal to the installed aws-cdk-lib's;
the slow ones run mypy and pyright (both in the ``test`` extra) on the package, the sample app and
``tests/typing`` (``usage.py`` must be clean; ``misuse.py`` must fail on exactly its
``expect-error`` lines), and ``pyright --verifytypes`` must score 100%.

``tests/typing`` is checked as a user's project would be (issue #24 item 2): copied to a folder
outside the repository and checked with no PYTHONPATH of ours, so the checkers find
``cdk_partition`` only as installed (the README's ``pip install -e .``: a static path entry).
"""

from __future__ import annotations

import atexit
import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import typing
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest

from cdk_partition import DataDomain, DomainReplica, DomainStack
from cdk_partition.constructs.stack import DomainOptions
from cdk_partition.constructs.stores import StoreFactories

ROOT = Path(__file__).resolve().parent.parent
TYPING = ROOT / "tests" / "typing"
MISUSE = TYPING / "misuse.py"

# the generator is a script, not part of the package
_spec = importlib.util.spec_from_file_location(
    "gen_signatures", ROOT / "tools" / "gen_signatures.py"
)
assert _spec is not None and _spec.loader is not None
gen_signatures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_signatures)

#: Public StoreFactories methods that create no store (typed by hand).
NOT_STORES = {"grant_store_read", "grant_store_write", "allow_service_publisher"}


def _rendered(hints: dict[str, object], names: typing.Iterable[str]) -> dict[str, str]:
    modules: set[str] = set()
    return {n: gen_signatures._render(hints[n], modules) for n in names}


def _keyword_params(function: object) -> list[str]:
    return [
        p.name
        for p in inspect.signature(function).parameters.values()  # type: ignore[arg-type]
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]


def test_generated_signatures_match_installed_aws_cdk_lib() -> None:
    """``cdk_partition/constructs/_signatures.py`` is what ``tools/gen_signatures.py`` writes now: a new
    parameter on a method or an aws-cdk-lib upgrade makes this fail until it is regenerated."""
    assert gen_signatures.render() == gen_signatures.TARGET.read_text(), (
        "cdk_partition/constructs/_signatures.py is out of date: run python tools/gen_signatures.py"
    )


def test_generator_runs_as_the_message_says() -> None:
    """``python tools/gen_signatures.py --check``, run as a script from the repository root (how
    the message above tells a contributor to run it), finds the package and agrees."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_signatures.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def _store_methods() -> Iterator[tuple[str, typing.Any]]:
    for name, method in vars(StoreFactories).items():
        if callable(method) and not name.startswith("_") and name not in NOT_STORES:
            yield name, method


def test_every_store_method_is_typed_from_its_l2() -> None:
    methods = dict(_store_methods())
    assert len(methods) >= 20
    for name, method in methods.items():
        l2 = method.__dict__.get("__l2__")
        stub = method.__dict__.get("__signature_stub__")
        assert (l2 is None) != (stub is None), f"{name}: decorate with _props_of or _signature"
        own = _keyword_params(method)
        if stub is not None:
            assert name in gen_signatures.GENERATED, f"{name}: add it to GENERATED"
            continue
        # a ParamSpec cannot add keyword arguments: a method with its own needs _signature
        assert not own, f"{name} has keyword arguments of its own ({own}): type it with _signature"
        params = list(inspect.signature(method).parameters.values())
        assert params[-1].kind is inspect.Parameter.VAR_KEYWORD, name
        if name != "ebs_volume":  # typed from ec2.BlockDeviceVolume.ebs, not a constructor
            init = list(inspect.signature(l2.__init__).parameters)
            assert inspect.isclass(l2) and init[1:3] == ["scope", "id"], name


def test_domain_stack_takes_every_stack_prop() -> None:
    stack_props = _keyword_params(cdk.Stack.__init__)
    own = {"domain_name", "administrators", "readers", "writers", "domain_props"}
    ours = [n for n in _keyword_params(DomainStack.__init__) if n not in own]
    assert sorted(ours) == sorted(stack_props)
    assert _rendered(typing.get_type_hints(DomainStack.__init__), ours) == _rendered(
        typing.get_type_hints(cdk.Stack.__init__), ours
    )


def test_domain_options_are_data_domain_options() -> None:
    taken = {"domain_name", "administrators", "readers", "writers"}
    options = [n for n in _keyword_params(DataDomain.__init__) if n not in taken]
    assert sorted(DomainOptions.__annotations__) == sorted(options)
    assert _rendered(typing.get_type_hints(DomainOptions), options) == _rendered(
        typing.get_type_hints(DataDomain.__init__), options
    )


def test_replica_takes_domain_replica_keywords() -> None:
    """``DataDomain.replica`` spells out ``DomainReplica``'s keyword arguments (all but
    ``domain``, which it passes): same names, order, types and defaults."""
    ours = _keyword_params(DataDomain.replica)
    theirs = [n for n in _keyword_params(DomainReplica.__init__) if n != "domain"]
    assert ours == theirs
    assert _rendered(typing.get_type_hints(DataDomain.replica), ours) == _rendered(
        typing.get_type_hints(DomainReplica.__init__), ours
    )
    mine = inspect.signature(DataDomain.replica).parameters
    replica = inspect.signature(DomainReplica.__init__).parameters
    assert [mine[n].default for n in ours] == [replica[n].default for n in ours]


# -- the documented install -------------------------------------------------------------------
def test_editable_install_is_a_static_path_entry() -> None:
    """``pip install -e .`` (the README's command) writes ``__editable__.cdk_partition-*.pth``
    naming the checkout, which pyright and mypy follow, and no setuptools import hook (a
    ``__editable___*_finder.py``), which neither can (setuptools, "Development Mode (a.k.a.
    "Editable Installs")", https://setuptools.pypa.io/en/latest/userguide/development_mode.html)."""
    dist = importlib.metadata.distribution("cdk-partition")
    direct = dist.read_text("direct_url.json")
    if not direct or not json.loads(direct).get("dir_info", {}).get("editable"):
        pytest.skip("cdk-partition is installed from a wheel here, not in editable mode")
    site = Path(str(dist.locate_file("")))
    (pth,) = site.glob("__editable__.cdk_partition-*.pth")
    lines = [line for line in pth.read_text().splitlines() if line.strip()]
    assert lines and not [line for line in lines if line.startswith("import")], lines
    checkout = Path(lines[0])
    assert (checkout / "cdk_partition" / "py.typed").is_file()
    assert json.loads(direct)["url"] == checkout.as_uri()
    assert list(site.glob("__editable___cdk_partition*finder.py")) == []


# -- the type checkers themselves --------------------------------------------------------------
def _expected_lines() -> set[int]:
    lines = MISUSE.read_text().splitlines()
    return {i for i, line in enumerate(lines, 1) if "# expect-error" in line}


def _tool(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")


def _env() -> dict[str, str]:
    """The environment of a user's shell after the documented install: this interpreter's
    virtualenv first on PATH (pyright asks that ``python`` for its search paths, mypy is run by
    it), and no PYTHONPATH of ours. The package is found as installed; after ``pip install -e
    .`` that is the static path entry ``__editable__.cdk_partition-*.pth`` (pyproject.toml
    ``[tool.setuptools] package-dir``). A PYTHONPATH the caller set is left as it is."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


#: A user's project: ``tests/typing`` copied to a folder outside the repository, so that no
#: checker finds ``cdk_partition`` in its working directory or project root, only installed.
USER_PROJECT = Path(tempfile.mkdtemp(prefix="cdk-partition-typing-"))
for _source in sorted(TYPING.glob("*.py")):
    shutil.copy(_source, USER_PROJECT / _source.name)
atexit.register(shutil.rmtree, USER_PROJECT, True)
MYPY_CACHE = ROOT / ".mypy_cache"


def _start_checkers() -> dict[str, tuple[list[str], subprocess.Popen[str]]]:
    """Start mypy (the package and the sample app, from the checkout), pyright and pyright
    --verifytypes (from :data:`USER_PROJECT`, on the installed package) side by side, in the
    background.

    Called when pytest imports this module, i.e. at collection, before any test runs: a cold
    mypy reads all of aws-cdk-lib (a minute or more), so it runs while the rest of the suite
    does, and the tests below only wait for it. Killed at exit when no test asked for it.
    """
    commands = {
        "mypy": ([sys.executable, "-m", "mypy", "--cache-dir", str(MYPY_CACHE),
                  "cdk_partition", "sample_app"], ROOT),
        "pyright": ([sys.executable, "-m", "pyright", "usage.py", "misuse.py"], USER_PROJECT),
        "verifytypes": ([sys.executable, "-m", "pyright", "--verifytypes", "cdk_partition",
                         "--ignoreexternal"], USER_PROJECT),
    }  # fmt: skip
    started: dict[str, tuple[list[str], subprocess.Popen[str]]] = {}
    for name, (command, cwd) in commands.items():
        if importlib.util.find_spec(command[2]) is None:
            continue
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        atexit.register(lambda p=process: p.poll() is None and p.kill())
        started[name] = (command, process)
    return started


_STARTED = _start_checkers()


@pytest.fixture(scope="module")
def checkers() -> dict[str, subprocess.CompletedProcess[str]]:
    """The checkers' results (waiting for those still running). mypy on the user's project runs
    after mypy on the package, on its warm cache of aws-cdk-lib."""
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    for name, (command, process) in _STARTED.items():
        out, _ = process.communicate(timeout=900)
        done[name] = subprocess.CompletedProcess(command, process.returncode, out)
    if "mypy" in done:
        command = [sys.executable, "-m", "mypy", "--cache-dir", str(MYPY_CACHE),
                   "usage.py", "misuse.py"]  # fmt: skip
        done["mypy-user"] = subprocess.run(
            command,
            cwd=USER_PROJECT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
        )
    return done


def _error_lines(output: str, pattern: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for file, line in re.findall(pattern, output):
        found.setdefault(Path(file).name, set()).add(int(line))
    return found


@pytest.mark.slow
def test_mypy_accepts_the_package_and_rejects_each_misuse(checkers: dict) -> None:
    _tool("mypy")
    out = checkers["mypy"].stdout
    assert _error_lines(out, r"(?m)^(\S+\.py):(\d+): error:") == {}, out
    user = checkers["mypy-user"].stdout
    errors = _error_lines(user, r"(?m)^(\S+\.py):(\d+): error:")
    assert errors == {"misuse.py": _expected_lines()}, user


@pytest.mark.slow
def test_pyright_accepts_the_usage_and_rejects_each_misuse(checkers: dict) -> None:
    _tool("pyright")
    out = checkers["pyright"].stdout
    errors = _error_lines(out, r"(?m)^\s+(\S+\.py):(\d+):\d+ - error")
    assert errors == {"misuse.py": _expected_lines()}, out


@pytest.mark.slow
def test_pyright_verifytypes_scores_100(checkers: dict) -> None:
    _tool("pyright")
    out = checkers["verifytypes"].stdout
    assert "Type completeness score: 100%" in out, out

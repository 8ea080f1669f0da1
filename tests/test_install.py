"""The package as users meet it: built sdist and wheel, installed into a fresh virtualenv with the
pinned constraints, and a small app of their own synthesized in a folder outside the repository.

Marked ``install`` (about two minutes, and the build backend comes from the package index), so the
README's ``pytest`` leaves it out; ``.ci/run`` runs it with ``pytest -m install``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from cdk_partition import _QUIET_END_OF_LIFE_NODE
from cdk_partition.audit.stores import _STATE_RULES

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parent.parent
SILENCE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
# The jsii runtime's end-of-life banner (@jsii/check-node, ``veryVisibleMessage``):
# https://github.com/aws/jsii/blob/main/packages/@jsii/check-node/src/index.ts
BANNER = re.compile(r"is end-of-life and not supported anymore")


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``python -m build``: the sdist, then the wheel built *from the sdist* (so a wheel proves
    the sdist complete enough to rebuild)."""
    out = tmp_path_factory.mktemp("dist")
    result = _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def _sdist_names(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as t:
        return {m.name.split("/", 1)[1] for m in t.getmembers() if "/" in m.name and m.isfile()}


def _tracked_files() -> set[str]:
    result = _run(["git", "ls-files"], cwd=ROOT)
    if result.returncode != 0:
        pytest.fail(f"the sdist test compares with `git ls-files`: {result.stderr}")
    return {line for line in result.stdout.splitlines() if line}


def test_wheel_ships_license_package_data_and_every_module(dists: dict[str, Path]) -> None:
    names = _wheel_names(dists["wheel"])
    package = {p for p in _tracked_files() if p.startswith("cdk_partition/")}
    assert package, "no tracked package files"
    assert package <= names, sorted(package - names)
    assert any(re.fullmatch(r"cdk_partition-[^/]+\.dist-info/licenses/LICENSE", n) for n in names)
    assert not any(n.startswith(("tests/", "native/", "sample_app/")) for n in names)
    with zipfile.ZipFile(dists["wheel"]) as z:
        metadata = next(z.read(n) for n in names if n.endswith(".dist-info/METADATA")).decode()
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata


def test_sdist_holds_every_tracked_file_but_no_build_output(dists: dict[str, Path]) -> None:
    names = _sdist_names(dists["sdist"])
    missing = _tracked_files() - names
    assert not missing, f"tracked files missing from the sdist (MANIFEST.in): {sorted(missing)}"
    assert "LICENSE" in names
    assert not any(n.startswith(("native/node_modules/", "native/lib/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_license_is_the_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text()


@pytest.fixture(scope="module")
def venv(dists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel and its dependencies at the pinned versions."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    result = _run([sys.executable, "-m", "venv", str(home)])
    assert result.returncode == 0, result.stderr
    python = home / "bin" / "python"
    result = _run(
        [str(python), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"),
         str(dists["wheel"])],
        env={**_user_env(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return python


def _user_env() -> dict[str, str]:
    """The environment of a user's shell: nothing of this repository, no silencing variable."""
    env = {k: v for k, v in os.environ.items() if k not in (SILENCE, "PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "CDK_DISABLE_VERSION_CHECK": "1", "CDK_DISABLE_CLI_TELEMETRY": "1"}


def _node_major() -> int:
    result = _run(["node", "--version"])
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().lstrip("v").split(".")[0])


USER_APP = textwrap.dedent(
    """\
    import os

    {silence}

    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_s3 as s3

    from cdk_partition import DomainStack

    app = cdk.App(outdir="cdk.out")
    people = cdk.Stack(app, "People")
    ci = iam.User(people, "ci", user_name="ci")
    reader = iam.Role(people, "reader", assumed_by=iam.AccountRootPrincipal())
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], readers=[reader])
    orders.domain.bucket("Documents")
    orders.domain.queue("Events")
    {violating}
    app.synth()
    """
)


def _write_app(folder: Path, *, violating: bool, silence: bool) -> Path:
    folder.mkdir(parents=True)
    assert ROOT not in folder.parents, "the user app must live outside the repository"
    text = USER_APP.format(
        silence=(
            f'# README "Node.js versions": before aws_cdk starts jsii\nos.environ.setdefault("{SILENCE}", "20")'
            if silence
            else ""
        ),
        violating=(
            's3.Bucket(orders, "Loose", encryption=s3.BucketEncryption.S3_MANAGED)'
            if violating
            else ""
        ),
    )
    (folder / "app.py").write_text(text)
    return folder


def test_violating_store_fails_the_synth_with_its_rule_id(
    venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    app = _write_app(tmp_path_factory.mktemp("user") / "bad", violating=True, silence=False)
    result = _run([str(venv), "app.py"], cwd=app, env=_user_env())
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    rule = _STATE_RULES["aws_owned"]  # SSE-S3 is an AWS owned key
    assert re.search(rf"\b{rule}\b", output), output
    assert "Orders/Loose" in output
    # The control for the banner test below: imported in the usual order (aws_cdk first) with
    # nothing set, jsii does print its banner on Node 20, so its absence there means something.
    if str(_node_major()) in _QUIET_END_OF_LIFE_NODE.split(","):
        assert BANNER.search(output), output


def test_compliant_app_synthesizes_without_the_node_banner(
    venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    app = _write_app(tmp_path_factory.mktemp("user") / "good", violating=False, silence=True)
    result = _run([str(venv), "app.py"], cwd=app, env=_user_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not BANNER.search(output), output
    templates = sorted(p.name for p in (app / "cdk.out").glob("*.template.json"))
    assert templates == ["Orders.template.json", "People.template.json"]
    # the installed console script audits the same assembly
    audit = _run([str(venv.parent / "cdk-partition"), "audit", "cdk.out"], cwd=app)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_importing_the_library_first_keeps_jsii_quiet(venv: Path, tmp_path: Path) -> None:
    """The library sets the variable at import; that reaches jsii only before aws_cdk starts it."""
    first = _run(
        [str(venv), "-c", "import cdk_partition, aws_cdk; aws_cdk.App()"],
        cwd=tmp_path,
        env=_user_env(),
    )
    assert first.returncode == 0, first.stderr
    assert not BANNER.search(first.stdout + first.stderr), first.stderr
    user_value = _run(
        [str(venv), "-c", f"import os, cdk_partition; print(repr(os.environ['{SILENCE}']))"],
        cwd=tmp_path,
        env={**_user_env(), SILENCE: ""},
    )
    assert user_value.stdout.strip() == "''", "a value the user set (even empty) must be kept"


def _repo_cdk_cli_pin() -> str:
    return str(json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"])


def test_init_pins_the_cdk_cli_this_repository_pins() -> None:
    """The generated package.json pins the CLI the repository's own package.json pins (no
    network: the template against the pin)."""
    from cdk_partition import __version__, scaffold

    project = scaffold.files("shop")
    assert json.loads(project["package.json"])["devDependencies"] == {
        "aws-cdk": _repo_cdk_cli_pin()
    }
    assert project["requirements.txt"].split() == [f"cdk-partition=={__version__}"]
    assert json.loads(project["cdk.json"])["app"] == "python3 app.py"
    # npm ci installs exactly the package the repository's lock file holds (aws-cdk has no
    # dependencies of its own)
    repo_lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    lock = json.loads(project["package-lock.json"])["packages"]
    assert lock["node_modules/aws-cdk"] == repo_lock["node_modules/aws-cdk"]
    assert not repo_lock["node_modules/aws-cdk"].get("dependencies")
    assert set(lock) == {"", "node_modules/aws-cdk"}


def test_first_app_from_the_wheel_in_a_fresh_folder(
    dists: dict[str, Path], venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """#24 "your first app in five minutes", walked as a user walks it outside the repository:
    ``cdk-partition init`` (the installed console script), ``pip install -r
    requirements-dev.txt`` (cdk-partition found in the built wheel's folder), ``npm ci`` of the
    generated package.json (the pinned CDK CLI from the npm registry), ``npx cdk synth``, the
    generated test; then a store on an AWS managed key fails that synth with its rule id."""
    project = tmp_path_factory.mktemp("first") / "shop"
    assert ROOT not in project.parents
    bin_dir = venv.parent
    env = {**_user_env(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"  # an activated virtualenv
    env.pop("PYTEST_ADDOPTS", None)
    steps: list[tuple[str, list[str]]] = [
        ("init", [str(bin_dir / "cdk-partition"), "init", str(project)]),
        ("pip", [str(venv), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"),
                 "--find-links", str(dists["wheel"].parent), "-r", "requirements-dev.txt"]),
        ("npm ci", ["npm", "ci", "--no-audit", "--no-fund"]),
        ("cdk synth", ["npx", "--no-install", "cdk", "synth", "-q"]),
        ("pytest", [str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider"]),
    ]  # fmt: skip
    for name, command in steps:
        result = _run(command, cwd=project if name != "init" else project.parent, env=env)
        assert result.returncode == 0, f"{name}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
        if name == "cdk synth":
            synth_output = result.stdout + result.stderr
    templates = sorted(p.name for p in (project / "cdk.out").glob("*.template.json"))
    assert templates == ["Orders.template.json", "Principals.template.json"]
    # the layout's own warning is configured away (docs/quiet-synth.md)
    assert "cross-stack-reference strength" not in synth_output, synth_output
    assert not BANNER.search(synth_output), synth_output
    # the checks are on: a store on the AWS managed key fails the synth with its rule id
    app = project / "app.py"
    app.write_text(
        app.read_text().replace(
            "    return app\n",
            "    from aws_cdk import aws_sqs as sqs\n"
            '    sqs.Queue(orders, "Managed", encryption=sqs.QueueEncryption.KMS_MANAGED)\n'
            "    return app\n",
        )
    )
    failed = _run(["npx", "--no-install", "cdk", "synth", "-q"], cwd=project, env=env)
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert re.search(r"\bCDKP003\b", failed.stdout + failed.stderr), failed.stderr[-3000:]
    assert "Orders/Managed" in failed.stdout + failed.stderr

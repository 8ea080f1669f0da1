"""``examples/pr-access-review.sh`` on two commits of the sample app (issue #22): a temporary git
repository holds ``sample_app/`` and ``cdk.json``; the second commit makes ``underwriter`` a reader
of ``orders``. The script synthesizes both (the real ``cdk synth``, about 20 s each) and writes the
markdown; the synthesized assemblies are kept for the diff's own checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cdk_partition import cli

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "pr-access-review.sh"
READERS = "readers=[people.app_a, people.person1],"


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """The pull request (base: the sample app; head: underwriter reads orders), reviewed."""
    cdk = ROOT / "node_modules" / ".bin" / "cdk"
    if not cdk.exists():
        pytest.fail("the CDK CLI is not installed: run `npm ci` (the README's test command does)")
    repo = tmp_path_factory.mktemp("pr") / "app"
    repo.mkdir()
    shutil.copytree(
        ROOT / "sample_app", repo / "sample_app", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("cdk.json", "cdk.context.json"):
        shutil.copy(ROOT / name, repo / name)
    (repo / ".gitignore").write_text("cdk.out/\n__pycache__/\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "grant-underwriter")
    app = repo / "sample_app" / "app.py"
    source = app.read_text()
    assert READERS in source
    app.write_text(
        source.replace(READERS, "readers=[people.app_a, people.person1, people.underwriter],")
    )
    _git(repo, "commit", "-q", "-am", "underwriter reads orders")
    env = {
        **os.environ,
        # cdk.json runs `python3`: this interpreter, with this checkout's cdk_partition
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "CDK": str(cdk),
        "CDK_PARTITION": f"{sys.executable} -m cdk_partition.cli",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "1",
        "FAIL_ON": "widened",
        "SARIF": str(repo.parent / "review.sarif"),
    }
    done = subprocess.run(
        [str(SCRIPT), "main", str(repo.parent / "review.md")],  # head: grant-underwriter
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return repo, done


@pytest.mark.slow
def test_the_review_names_the_new_reader(review: tuple[Path, subprocess.CompletedProcess]) -> None:
    repo, done = review
    assert done.returncode == 1, done.stdout + done.stderr  # --fail-on widened
    markdown = (repo.parent / "review.md").read_text()
    assert "### Domain `orders`" in markdown
    assert "| **widened** | Capability gained | role/underwriter gained read (yes) |" in markdown
    assert "credit-applications" not in markdown  # nothing changed there
    # the docs' walkthrough (docs/access-review.md) shows this very diff
    readme = (ROOT / "docs" / "access-review.md").read_text()
    assert all(line in readme for line in markdown.splitlines() if line.startswith(("|", "**")))
    sarif = json.loads((repo.parent / "review.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    # the worktree of the base is gone, the repository untouched
    assert _git(repo, "worktree", "list").count("\n") == 0
    assert _git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_the_synthesized_sample_against_its_frozen_copy(
    sample_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sample app as ``cdk synth`` writes it now against the frozen copy in tests/golden: the
    same app, other paths and other asset hashes: no change at all."""
    frozen = ROOT / "tests" / "golden" / "inputs" / "sample"
    assert cli.main(["diff", str(frozen), str(sample_assembly), "--fail-on", "any"]) == 0
    assert "No change" in capsys.readouterr().out

"""The native aspect: it runs in the jsii kernel, and the committed assembly is built from source.

``DomainEncryptionChecks`` subclasses ``DomainChecksAspect``, a class compiled with jsii from
``native/src/index.ts`` and shipped packed in ``cdk_partition/constructs/_native/_jsii``. These tests prove
the two things that design promises: no Python callback per visited construct (counted at the
jsii runtime's callback dispatcher, not timed), and a committed assembly that is what the source
builds to (rebuilt here with the pinned jsii of ``native/package-lock.json``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
import jsii._kernel
import pytest
from aws_cdk import aws_iam as iam
from conftest import ROOT, cdk_context
from constructs import IConstruct

from cdk_partition import DataDomain, DomainEncryptionChecks, audit
from cdk_partition.constructs._native import _jsii as native_assembly

NATIVE = ROOT / "native"
TARBALL = Path(native_assembly.__file__).parent / native_assembly.ASSEMBLY_FILE
ADMIN = "arn:aws:iam::111122223333:role/admin"


@pytest.fixture
def callbacks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Count the kernel's callbacks into Python by method name (the jsii override cookie)."""
    counts: Counter[str] = Counter()
    original = jsii._kernel._handle_callback

    def counting(kernel: Any, callback: Any) -> Any:
        counts[callback.cookie] += 1
        return original(kernel, callback)

    monkeypatch.setattr(jsii._kernel, "_handle_callback", counting)
    yield counts


@jsii.implements(cdk.IAspect)
class _PythonAspect:
    """A plain Python aspect: the baseline that shows the counter sees visit callbacks."""

    def visit(self, node: IConstruct) -> None:
        pass


def _app(stores: int) -> tuple[cdk.App, cdk.Stack, DataDomain]:
    app = cdk.App(context=cdk_context())
    stack = cdk.Stack(app, "Orders")
    admin = iam.Role.from_role_arn(stack, "Admin", ADMIN)
    domain = DataDomain(stack, "Domain", domain_name="orders", administrators=[admin])
    for i in range(stores):
        domain.queue(f"Queue{i}")
    return app, stack, domain


def test_the_aspect_visits_every_construct_without_a_python_callback(
    callbacks: Counter[str],
) -> None:
    app, stack, domain = _app(10)
    cdk.Aspects.of(app).add(DomainEncryptionChecks(domain))
    cdk.Aspects.of(stack).add(_PythonAspect())
    constructs = len(stack.node.find_all())
    template = app.synth().get_stack_by_name("Orders").template

    assert callbacks["visit"] == constructs  # the Python aspect's visits, one per construct...
    assert constructs > 40  # ...of a tree big enough to mean something
    # ...and none from DomainEncryptionChecks, whose visit ran in the kernel: it marked the stack
    # and the plugin (one `validate` callback) audited the template.
    assert template["Metadata"][audit.CHECKS_METADATA_KEY] == [{"domain": "orders", "scope": ""}]
    assert callbacks["validate"] == 1


def test_the_python_class_does_not_override_the_native_visit() -> None:
    assert "visit" not in vars(DomainEncryptionChecks)
    assert "apply_to" not in vars(DomainEncryptionChecks)


def test_domain_name_is_read_from_the_native_object() -> None:
    _, _, domain = _app(0)
    assert DomainEncryptionChecks(domain).domain_name == "orders"


def test_plugin_is_registered_once_per_stage(callbacks: Counter[str]) -> None:
    app, stack, domain = _app(1)
    checks = DomainEncryptionChecks(domain)
    checks.apply_to(stack)
    checks.apply_to(stack)
    cdk.Aspects.of(app).add(checks)
    cdk.Aspects.of(stack).add(DomainEncryptionChecks(domain))
    app.synth()
    assert callbacks["validate"] == 1


def _members(tarball: Path) -> dict[str, bytes]:
    with tarfile.open(tarball) as tar:
        return {
            m.name.removeprefix("package/"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def test_committed_assembly_is_built_from_the_source(tmp_path: Path) -> None:
    jsii_bin = NATIVE / "node_modules" / ".bin" / "jsii"
    if not jsii_bin.exists():
        pytest.fail(
            "jsii is not installed: run `npm ci --prefix native` (the README's test command does)"
        )
    work = tmp_path / "native"
    work.mkdir()
    for name in ("package.json", "README.md", "src"):
        source = NATIVE / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, work / name)
    (work / "node_modules").symlink_to(NATIVE / "node_modules")
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20"}
    result = subprocess.run(
        [str(jsii_bin)], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr

    shipped = _members(TARBALL)
    assert sorted(shipped) == [
        ".jsii",
        "README.md",
        "lib/index.d.ts",
        "lib/index.js",
        "package.json",
    ]
    for name in ("lib/index.js", "lib/index.d.ts", "README.md"):
        assert shipped[name] == (work / name).read_bytes(), (
            f"{name} in {TARBALL.name} is stale: run `npm run package --prefix native`"
        )
    assert json.loads(shipped[".jsii"]) == json.loads((work / ".jsii").read_text())
    assert json.loads(shipped["package.json"]) == json.loads((work / "package.json").read_text())
    assert json.loads(shipped[".jsii"])["version"] == native_assembly.ASSEMBLY_VERSION

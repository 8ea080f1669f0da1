"""``cdk-partition init [DIR]``: a user project that synthesizes and passes its checks.

The project's files are templates shipped with the package (``template/*.tmpl``): ``app.py`` (a
``DomainStack`` with a bucket and a queue on the domain key, principals in a stack of their own),
``cdk.json`` (the app command, and the cross-stack reference strength the layout needs: see
``docs/quiet-synth.md``), ``package.json`` pinning the AWS CDK CLI this package is tested with
(:data:`CDK_CLI_VERSION`, the pin of the repository's own ``package.json``), ``requirements.txt``
pinning this version of cdk-partition, ``requirements-dev.txt`` adding pytest, a
``tests/test_app.py`` that synthesizes and asserts no findings, a ``README.md`` and a
``.gitignore``.

Pure file writing: it never loads aws-cdk-lib.
"""

from __future__ import annotations

import re
from importlib import metadata, resources
from pathlib import Path

__all__ = ["CDK_CLI_VERSION", "ProjectExistsError", "files", "init"]

#: The AWS CDK CLI (npm ``aws-cdk``) the generated ``package.json`` pins: the version this
#: repository's ``package.json`` pins (tests/test_install.py keeps the two equal).
CDK_CLI_VERSION = "2.1148.1"

#: Template file name -> name in the project (dot files cannot ship as package data reliably).
_RENAMED = {"gitignore": ".gitignore"}
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class ProjectExistsError(FileExistsError):
    """``init`` would overwrite a file that is already there (nothing was written)."""


def files(name: str) -> dict[str, str]:
    """The project's files: relative path (``/``-separated) -> text, for project ``name``."""
    values = {
        "{cdk_cli_version}": CDK_CLI_VERSION,
        # the installed distribution's version (importing cdk_partition's __init__ would count,
        # for the import contracts, as importing the constructs it re-exports)
        "{cdk_partition_version}": metadata.version("cdk-partition"),
        "{name}": _NAME.sub("-", name) or "cdk-partition-app",
    }
    root = resources.files(__name__) / "template"
    out: dict[str, str] = {}
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                stack.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".tmpl"):
                stem = entry.name.removesuffix(".tmpl")
                text = entry.read_text(encoding="utf-8")
                for key, value in values.items():
                    text = text.replace(key, value)
                out[prefix + _RENAMED.get(stem, stem)] = text
    return dict(sorted(out.items()))


def init(directory: str | Path) -> list[Path]:
    """Write the project into ``directory`` (created when missing) and return the paths written.

    :raises ProjectExistsError: when any of the project's files already exists there; nothing
        is written then (an existing project is never overwritten).
    """
    target = Path(directory).resolve()
    project = files(target.name)
    existing = [rel for rel in project if (target / rel).exists()]
    if existing:
        raise ProjectExistsError(
            f"{target}: {', '.join(existing)} already exist(s); cdk-partition init writes a new "
            "project and overwrites nothing: pick an empty or new folder"
        )
    written = []
    for rel, text in project.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written

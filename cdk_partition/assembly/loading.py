"""Loading a cloud assembly: :func:`load` reads a ``cdk.out`` directory (its manifest, the
stacks of nested assemblies (Stages), nested stacks through their asset metadata, and ``tree.json``
when it holds a checks marker) or one template into a :class:`~cdk_partition.assembly.CloudAssembly`.

Pure Python over JSON files (no aws_cdk import).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..marks import MARKER_ID, Environment
from .model import CloudAssembly
from .stacks import AssemblyInputError, StackTemplate, read_json

__all__ = ["load", "load_templates"]


def _is_template(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("Resources"), dict)


def load(path: str | Path) -> CloudAssembly:
    """Read a cloud assembly directory (nested assemblies and stacks included) or one template.

    Raises :class:`AssemblyInputError` on anything else.
    """
    path = Path(path)
    if not path.exists():
        raise AssemblyInputError(f"{path} does not exist")
    if path.is_file():
        template = read_json(path)
        if not _is_template(template):
            raise AssemblyInputError(f"{path} is not a CloudFormation template (no Resources map)")
        name = path.name.removesuffix(".json").removesuffix(".template")
        environment, construct_path = _artifact_of(path)
        single = [StackTemplate(name, template, str(path), None, environment, construct_path)]
        _add_nested(single, path.parent)
        return CloudAssembly(single)
    if not (path / "manifest.json").is_file():
        raise AssemblyInputError(f"{path} is not a cloud assembly (no manifest.json)")
    stacks: list[StackTemplate] = []
    tree_files: list[Path] = []
    nested: list[bool] = []
    _load_assembly(path, stacks, tree_files, nested)
    _add_nested(stacks, None)
    top_tree = path / "tree.json"  # the whole app's construct tree, nested Stages included
    for stack in stacks:
        stack.tree_file = str(top_tree) if top_tree.is_file() else None
    # markers sit only in stacks of nested Stages: without them the tree is not read
    tree = _read_tree(tree_files[0]) if tree_files and nested else None
    return CloudAssembly(stacks, tree if isinstance(tree, dict) else None)


def _artifact_of(template: Path) -> tuple[Environment, str | None]:
    """The environment and construct path the cloud assembly beside a template gives it (a
    template audited on its own keeps its stack's account and region); unknown without one."""
    try:
        manifest = json.loads((template.parent / "manifest.json").read_text())
    except (OSError, ValueError):
        return Environment(), None
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    for artifact in (artifacts or {}).values() if isinstance(artifacts, dict) else []:
        props = artifact.get("properties") if isinstance(artifact, dict) else None
        if isinstance(props, dict) and props.get("templateFile") == template.name:
            return Environment.parse(artifact.get("environment")), artifact.get("displayName")
    return Environment(), None


def _read_tree(path: Path) -> Any:
    """``tree.json``, parsed only when it holds a checks marker (it can be many megabytes)."""
    try:
        text = path.read_text()
    except OSError as error:
        raise AssemblyInputError(f"cannot read {path}: {error.strerror or error}") from error
    if MARKER_ID not in text:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise AssemblyInputError(f"{path} is not valid JSON: {error}") from error


def load_templates(path: str | Path) -> list[StackTemplate]:
    """The templates of :func:`load` (kept for callers that only need the stacks)."""
    return load(path).stacks


def _load_assembly(
    directory: Path, out: list[StackTemplate], trees: list[Path], nested: list[bool]
) -> None:
    manifest = read_json(directory / "manifest.json")
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise AssemblyInputError(f"{directory / 'manifest.json'} has no artifacts map")
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            continue
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == "aws:cloudformation:stack":
            file = directory / str(props.get("templateFile"))
            name = props.get("stackName") or artifact.get("displayName") or artifact_id
            template = read_json(file)
            if not isinstance(template, dict):  # a stack with no resources has none
                raise AssemblyInputError(f"{file} is not a CloudFormation template")
            out.append(
                StackTemplate(
                    name,
                    template,
                    str(file),
                    environment=Environment.parse(artifact.get("environment")),
                    construct_path=artifact.get("displayName") or artifact_id,
                )
            )
        elif kind == "cdk:cloud-assembly":
            nested.append(True)
            _load_assembly(directory / str(props.get("directoryName")), out, trees, nested)
        elif kind == "cdk:tree":
            tree = directory / str(props.get("file") or "tree.json")
            if tree.is_file():
                trees.append(tree)


def _asset_files(directory: Path) -> dict[str, str]:
    """Object key (``<hash>.json``) -> file, from the assembly's ``*.assets.json`` manifests."""
    files: dict[str, str] = {}
    for manifest in directory.glob("*.assets.json"):
        try:
            entries = (json.loads(manifest.read_text()).get("files") or {}).values()
        except (OSError, ValueError, AttributeError):
            continue
        for entry in entries:
            path = (entry.get("source") or {}).get("path")
            for destination in (entry.get("destinations") or {}).values():
                key = destination.get("objectKey")
                if isinstance(path, str) and isinstance(key, str):
                    files[key] = path
    return files


def _add_nested(stacks: list[StackTemplate], directory: Path | None) -> None:
    """Follow AWS::CloudFormation::Stack resources to their templates, through the
    ``aws:asset:path`` metadata or the asset manifests' object key in ``TemplateURL``."""
    queue = list(stacks)
    assets: dict[Path, dict[str, str]] = {}
    while queue:
        stack = queue.pop()
        folder = directory or Path(stack.file).parent
        for logical_id, resource in stack.resources.items():
            if (
                not isinstance(resource, dict)
                or resource.get("Type") != "AWS::CloudFormation::Stack"
            ):
                continue
            asset = (resource.get("Metadata") or {}).get("aws:asset:path")
            if not isinstance(asset, str):
                url = json.dumps((resource.get("Properties") or {}).get("TemplateURL"))
                known = assets.setdefault(folder, _asset_files(folder))
                asset = next((f for key, f in known.items() if key in url), None)
            file = folder / asset if isinstance(asset, str) else None
            if file is None or not file.is_file():
                continue
            nested = StackTemplate(
                f"{stack.name}/{logical_id}",
                read_json(file),
                str(file),
                (stack, logical_id),
                stack.environment,
            )
            stacks.append(nested)
            queue.append(nested)

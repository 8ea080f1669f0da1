"""Loading a cloud assembly: :func:`load` reads a ``cdk.out`` directory (its manifest, the
stacks of nested assemblies (Stages), nested stacks through their asset metadata, and ``tree.json``
when it holds a checks marker) or one template into a :class:`~cdk_partition.assembly.CloudAssembly`.

Pure Python over JSON files (no aws_cdk import).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..marks import MARKER_ID, Environment, printable
from .limits import (
    MAX_STACK_NESTING,
    MAX_STAGE_NESTING,
    MAX_TEMPLATES,
    MAX_TREE_DEPTH,
    AssemblyInputError,
    json_path,
    read_bytes,
    read_json_file,
    shown,
)
from .model import CloudAssembly
from .stacks import StackTemplate, read_json
from .validation import validate_manifest, validate_template

__all__ = ["load", "load_templates"]


def load(path: str | Path) -> CloudAssembly:
    """Read a cloud assembly directory (nested assemblies and stacks included) or one template.

    Everything the audit depends on is read or refused: the manifests are validated against the
    cloud assembly schema and the templates against the CloudFormation template shape
    (:mod:`~cdk_partition.assembly.validation`), every file within the limits of
    :mod:`~cdk_partition.assembly.limits` (regular files inside the assembly directory, size,
    JSON depth, nesting of stacks and Stages, no file nested in itself).

    Raises :class:`AssemblyInputError` (one line naming the file, and the JSON path where there
    is one) on anything else: an assembly with no stack, a stack or nested stack whose template
    is missing.
    """
    path = Path(path)
    if "\x00" in str(path):
        raise AssemblyInputError(f"{shown(path)}: a file name with a NUL character")
    if not path.exists():
        raise AssemblyInputError(f"{shown(path)} does not exist")
    if not path.is_dir():
        template = read_json_file(path)
        if not isinstance(template, dict) or "Resources" not in template:
            raise AssemblyInputError(
                f"{shown(path)} is not a CloudFormation template (no Resources map)"
            )
        validate_template(template, shown(path))
        name = path.name.removesuffix(".json").removesuffix(".template")
        environment, construct_path = _artifact_of(path)
        single = [StackTemplate(name, template, str(path), None, environment, construct_path)]
        _add_nested(single, path.parent, path.parent)
        return CloudAssembly(single)
    if not (path / "manifest.json").is_file():
        raise AssemblyInputError(f"{shown(path)} is not a cloud assembly (no manifest.json)")
    stacks: list[StackTemplate] = []
    tree_files: list[Path] = []
    nested: list[bool] = []
    _load_assembly(path, stacks, tree_files, nested, path, ())
    if not stacks:
        raise AssemblyInputError(
            f"{shown(path / 'manifest.json')}: at $.artifacts: no aws:cloudformation:stack "
            "artifact, in it or in a nested assembly: nothing to audit"
        )
    _add_nested(stacks, None, path)
    top_tree = path / "tree.json"  # the whole app's construct tree, nested Stages included
    for stack in stacks:
        stack.tree_file = str(top_tree) if top_tree.is_file() else None
    # markers sit only in stacks of nested Stages: without them the tree is not read
    tree = _read_tree(tree_files[0], path) if tree_files and nested else None
    return CloudAssembly(stacks, tree if isinstance(tree, dict) else None)


def _artifact_of(template: Path) -> tuple[Environment, str | None]:
    """The environment and construct path the cloud assembly beside a template gives it (a
    template audited on its own keeps its stack's account and region); unknown without one."""
    try:
        manifest = read_json_file(template.parent / "manifest.json", template.parent)
    except AssemblyInputError:
        return Environment(), None
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    for artifact in (artifacts or {}).values() if isinstance(artifacts, dict) else []:
        props = artifact.get("properties") if isinstance(artifact, dict) else None
        if isinstance(props, dict) and props.get("templateFile") == template.name:
            display = artifact.get("displayName")
            return (
                Environment.parse(artifact.get("environment")),
                display if isinstance(display, str) else None,
            )
    return Environment(), None


def _read_tree(path: Path, root: Path) -> Any:
    """``tree.json``, parsed only when it holds a checks marker (it can be many megabytes)."""
    if MARKER_ID.encode() not in read_bytes(path, root):
        return None
    return read_json_file(path, root, MAX_TREE_DEPTH)


def load_templates(path: str | Path) -> list[StackTemplate]:
    """The templates of :func:`load` (kept for callers that only need the stacks)."""
    return load(path).stacks


def _load_assembly(
    directory: Path,
    out: list[StackTemplate],
    trees: list[Path],
    nested: list[bool],
    root: Path,
    outer: tuple[str, ...],
) -> None:
    """The stacks of the assembly in ``directory`` and of the Stage assemblies nested in it
    (``outer``: the real paths of the assemblies around it, for cycles and the depth limit)."""
    manifest_file = directory / "manifest.json"
    name = shown(manifest_file)
    real = os.path.realpath(directory)
    if real in outer:
        raise AssemblyInputError(f"{name}: a nested cloud assembly that contains itself")
    if len(outer) >= MAX_STAGE_NESTING:
        raise AssemblyInputError(
            f"{name}: cloud assemblies nested deeper than the limit of {MAX_STAGE_NESTING}"
        )
    manifest = read_json(manifest_file, root)
    validate_manifest(manifest, name)
    sources: dict[str, set[str]] | None = None
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        where = json_path(("artifacts", artifact_id, "properties"))
        if kind == "aws:cloudformation:stack":
            if not isinstance(props.get("templateFile"), str):
                raise AssemblyInputError(f"{name}: at {where}: a stack without a templateFile")
            file = directory / props["templateFile"]
            template = read_json(file, root)
            validate_template(template, shown(file))
            url = props.get("stackTemplateAssetObjectUrl")
            if url is not None:
                if sources is None:
                    sources = _asset_sources(directory, root, _listed_manifests(manifest))
                _same_template(
                    url, directory, props["templateFile"], sources, f"{name}: at {where}", root
                )
            _count(out, file)
            display = artifact.get("displayName")
            out.append(
                StackTemplate(
                    props.get("stackName") or display or artifact_id,
                    template,
                    str(file),
                    environment=Environment.parse(artifact.get("environment")),
                    construct_path=display or artifact_id,
                    artifact_id=artifact_id,
                    dependencies=tuple(
                        d for d in artifact.get("dependencies") or () if isinstance(d, str)
                    ),
                )
            )
        elif kind == "cdk:cloud-assembly":
            nested.append(True)
            child = props.get("directoryName")
            if not isinstance(child, str):
                raise AssemblyInputError(f"{name}: at {where}: no directoryName")
            _load_assembly(directory / child, out, trees, nested, root, (*outer, real))
        elif kind == "cdk:tree":
            tree = directory / str(props.get("file") or "tree.json")
            if tree.is_file():
                trees.append(tree)


def _count(stacks: list[StackTemplate], file: Path) -> None:
    if len(stacks) >= MAX_TEMPLATES:
        raise AssemblyInputError(
            f"{shown(file)}: more than the limit of {MAX_TEMPLATES} templates in one assembly"
        )


def _same_template(
    url: Any,
    directory: Path,
    template_file: str,
    sources: dict[str, set[str]],
    where: str,
    root: Path,
) -> None:
    """Raise :class:`AssemblyInputError` unless the object ``cdk deploy`` deploys the stack from
    (``stackTemplateAssetObjectUrl``, ``s3://<bucket>/<object key>``) is published, into that
    bucket under that key, from the stack's ``templateFile`` or from files of the same bytes
    (stacks with equal templates share one object: its key is their content's hash), by the
    asset manifests ``manifest.json`` lists (the only ones cdk-assets publishes). The CDK CLI
    deploys the template from that URL (``makeBodyParameter`` and ``restUrlFromManifest`` in the
    pinned ``node_modules/aws-cdk/lib``: ``TemplateURL`` from ``stackTemplateAssetObjectUrl``,
    its bucket and key), and the asset manifest's ``source.path`` decides which file is uploaded
    there: a manifest pointing it at another file, or a URL into another bucket, would deploy a
    template the audit never read (attacks found both)."""
    text = url if isinstance(url, str) else ""
    location = text.removeprefix("s3://") if text.startswith("s3://") else None
    paths = sorted(sources.get(location, set())) if location else []
    wanted = os.path.normpath(template_file)
    others = [p for p in paths if os.path.normpath(p) != wanted]
    if others:
        listed = read_bytes(directory / template_file, root)
        others = [p for p in others if read_bytes(directory / p, root) != listed]
    if not paths or others:
        found = ", ".join(printable(p) for p in others) or "no file of its asset manifests"
        raise AssemblyInputError(
            f"{where}: cdk deploy deploys this stack from {printable(text)!r}, published from "
            f"{found}, not from its templateFile {printable(template_file)!r}: the template read "
            "here would not be the one deployed"
        )


def _listed_manifests(manifest: Any) -> list[str]:
    """The files of the ``cdk:asset-manifest`` artifacts of ``manifest`` (``properties.file``)."""
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    files: list[str] = []
    for artifact in (artifacts if isinstance(artifacts, dict) else {}).values():
        props = artifact.get("properties") if isinstance(artifact, dict) else None
        if isinstance(props, dict) and artifact.get("type") == "cdk:asset-manifest":
            if isinstance(props.get("file"), str):
                files.append(props["file"])
    return files


def _asset_sources(directory: Path, root: Path, manifests: list[str]) -> dict[str, set[str]]:
    """``<bucket>/<object key>`` -> every file the asset ``manifests`` (files of ``directory``)
    publish there."""
    sources: dict[str, set[str]] = {}
    for bucket, key, path in _asset_entries([directory / m for m in manifests], root):
        sources.setdefault(f"{bucket}/{key}", set()).add(path)
    return sources


def _asset_files(directory: Path, root: Path) -> dict[str, str]:
    """Object key (``<hash>.json``) -> file, from the asset manifests the assembly's
    ``manifest.json`` lists (what cdk-assets publishes; a file no artifact names is not), or
    every ``*.assets.json`` where there is no ``manifest.json`` (a folder of templates)."""
    manifest_file = directory / "manifest.json"
    manifests = (
        [directory / m for m in _listed_manifests(read_json(manifest_file, root))]
        if manifest_file.is_file()
        else list(directory.glob("*.assets.json"))
    )
    return {key: path for _, key, path in _asset_entries(manifests, root)}


def _asset_entries(manifests: Iterable[Path], root: Path) -> list[tuple[str, str, str]]:
    """(bucket, object key, source path) of each file asset destination of ``manifests``."""
    files: list[tuple[str, str, str]] = []
    for manifest in manifests:
        document = read_json(manifest, root)
        found = document.get("files") if isinstance(document, dict) else None
        for entry in (found if isinstance(found, dict) else {}).values():
            if not isinstance(entry, dict):
                continue
            source = entry.get("source")
            path = source.get("path") if isinstance(source, dict) else None
            destinations = entry.get("destinations")
            for destination in (destinations if isinstance(destinations, dict) else {}).values():
                if not isinstance(destination, dict):
                    continue
                key, bucket = destination.get("objectKey"), destination.get("bucketName")
                if isinstance(path, str) and isinstance(key, str):
                    files.append((bucket if isinstance(bucket, str) else "", key, path))
    return files


def _chain(stack: StackTemplate) -> list[str]:
    """The real paths of the templates from ``stack`` up to its top-level stack."""
    chain = []
    current: StackTemplate | None = stack
    while current is not None:
        chain.append(os.path.realpath(current.file))
        current = current.parent[0] if current.parent else None
    return chain


def _add_nested(stacks: list[StackTemplate], directory: Path | None, root: Path) -> None:
    """Follow AWS::CloudFormation::Stack resources to their templates, through the
    ``aws:asset:path`` metadata or the asset manifests' object key in ``TemplateURL``.

    A template the metadata names that is missing, a template nested in itself, chains deeper
    than :data:`~cdk_partition.assembly.limits.MAX_STACK_NESTING` and more than
    :data:`~cdk_partition.assembly.limits.MAX_TEMPLATES` templates raise
    :class:`AssemblyInputError`."""
    queue = list(stacks)
    assets: dict[Path, dict[str, str]] = {}
    while queue:
        stack = queue.pop()
        folder = directory or Path(stack.file).parent
        for logical_id, resource in stack.resources.items():
            if resource.get("Type") != "AWS::CloudFormation::Stack":
                continue
            asset = (resource.get("Metadata") or {}).get("aws:asset:path")
            named = isinstance(asset, str)
            if not named:
                url = json.dumps((resource.get("Properties") or {}).get("TemplateURL"))
                known = assets.get(folder)
                if known is None:
                    known = assets[folder] = _asset_files(folder, root)
                asset = next((f for key, f in known.items() if key in url), None)
            if not isinstance(asset, str):
                continue
            file = folder / asset
            where = json_path(("Resources", logical_id, "Metadata", "aws:asset:path"))
            if named and not os.path.lexists(file) and "\x00" not in asset:
                raise AssemblyInputError(
                    f"{shown(stack.file)}: at {where}: the nested stack's template "
                    f"{shown(file)} does not exist"
                )
            chain = _chain(stack)
            if "\x00" not in asset and os.path.realpath(file) in chain:
                raise AssemblyInputError(
                    f"{shown(stack.file)}: at {where}: a nested stack whose template "
                    f"{shown(file)} nests itself"
                )
            if len(chain) > MAX_STACK_NESTING:
                raise AssemblyInputError(
                    f"{shown(stack.file)}: at {where}: stacks nested deeper than the limit "
                    f"of {MAX_STACK_NESTING}"
                )
            template = read_json(file, root)
            validate_template(template, shown(file))
            _count(stacks, file)
            nested = StackTemplate(
                f"{stack.name}/{logical_id}",
                template,
                str(file),
                (stack, logical_id),
                stack.environment,
            )
            stack.nested[logical_id] = nested
            stacks.append(nested)
            queue.append(nested)

"""The templates of a cloud assembly: :class:`StackTemplate` (one template, a nested stack's
parent, its environment and construct path) and the construct paths of its resources
(``aws:cdk:path`` metadata, else the assembly's ``tree.json``).

Pure Python over JSON files (no aws_cdk import).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..marks import PATH_METADATA_KEY, Environment
from .limits import MAX_TREE_DEPTH, AssemblyInputError, read_json_file

__all__ = [
    "AssemblyInputError",
    "NotLiteral",
    "StackTemplate",
    "read_json",
    "resource_path",
    "walk",
]


@dataclass
class StackTemplate:
    """One template of the assembly (a nested stack's ``parent`` is (stack, logical id))."""

    name: str
    template: dict[str, Any]
    file: str
    parent: tuple[StackTemplate, str] | None = None
    environment: Environment = field(default_factory=Environment)
    construct_path: str | None = None
    """The stack's construct path (``Outer/Inner/Stack``; from the manifest's ``displayName``)."""
    artifact_id: str | None = None
    """The stack's artifact id in the manifest (what other artifacts' ``dependencies`` name)."""
    dependencies: tuple[str, ...] = ()
    """The artifact ids the manifest says the stack deploys after (its ``dependencies``: the
    stacks it references and those ``add_dependency`` names)."""
    nested: dict[str, StackTemplate] = field(default_factory=dict, compare=False, repr=False)
    """The nested stacks of this template: the logical id of each ``AWS::CloudFormation::Stack``
    resource -> its template (filled as the assembly is loaded)."""
    tree_file: str | None = None
    """The assembly's ``tree.json`` (the construct tree the CDK publishes into every cloud
    assembly, each CloudFormation resource with its ``aws:cdk:cloudformation:logicalId``:
    https://github.com/aws/aws-cdk/commit/3cca03d, "publish construct tree into the cloud
    assembly"): construct paths of resources whose template carries no
    ``aws:cdk:path`` (``--no-path-metadata``, ``aws:cdk:enable-path-metadata`` false)."""

    def tree_path(self, logical_id: str) -> str | None:
        """The construct path ``tree.json`` gives the resource ``logical_id`` of this stack."""
        if self.tree_file is None:
            return None
        owner = self.construct_path
        if owner is None and self.parent is not None:  # a nested stack: its NestedStack node
            parent, resource_id = self.parent
            owner = _nested_stack_path(parent.tree_path(resource_id))
        if owner is None:
            return None
        return _tree_index(self.tree_file).get((owner, logical_id))

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The resource declarations the checks read: objects with a string ``Type`` (see
        :attr:`raw_resources` for all; each other one is a finding of its own,
        :meth:`~cdk_partition.assembly.model.CloudAssembly.malformed`, so no check meets a
        ``Type`` it cannot compare)."""
        return {
            k: v
            for k, v in self.raw_resources.items()
            if isinstance(v, dict) and isinstance(v.get("Type"), str)
        }

    @property
    def raw_resources(self) -> dict[str, Any]:
        resources = self.template.get("Resources")
        return resources if isinstance(resources, dict) else {}

    @property
    def root(self) -> StackTemplate:
        """The top-level stack a nested stack belongs to (itself for a top-level stack)."""
        return self.parent[0].root if self.parent else self


def walk(value: Any) -> Iterator[Any]:
    """``value`` (a template's JSON) and every value nested in it, depth first."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def resource_path(stack: StackTemplate, logical_id: str, resource: Mapping[str, Any]) -> str:
    """The construct path of a resource (``aws:cdk:path``), else the one the assembly's
    ``tree.json`` gives it, else ``<stack name>/<logical id>``."""
    metadata = resource.get("Metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get(PATH_METADATA_KEY), str):
        return metadata[PATH_METADATA_KEY]
    try:
        found = stack.tree_path(logical_id)
    except AssemblyInputError:  # an unreadable tree only costs the nicer name
        found = None
    return found or f"{stack.name}/{logical_id}"


#: ``constructInfo.fqn`` of the constructs that own templates (a resource's logical id is unique
#: only within the nearest of them).
_TEMPLATE_OWNERS = frozenset(
    {"aws-cdk-lib.App", "aws-cdk-lib.Stage", "aws-cdk-lib.Stack", "aws-cdk-lib.NestedStack"}
)
_NESTED_RESOURCE = re.compile(r"^(.*)/([^/]+)\.NestedStack/\2\.NestedStackResource$")


def _nested_stack_path(resource_path: str | None) -> str | None:
    """``Parent/Child.NestedStack/Child.NestedStackResource`` -> ``Parent/Child``, the
    ``NestedStack`` whose template that resource deploys."""
    match = _NESTED_RESOURCE.match(resource_path or "")
    return f"{match.group(1)}/{match.group(2)}" if match else None


@lru_cache(maxsize=4)
def _tree_index_of(file: str, _mtime: float) -> dict[tuple[str, str], str]:
    tree = read_json_file(Path(file), max_depth=MAX_TREE_DEPTH)
    index: dict[tuple[str, str], str] = {}
    computed: dict[tuple[str, str], str] = {}
    root = tree.get("tree") if isinstance(tree, dict) else None
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, owner = stack.pop()
        if not isinstance(node, dict):
            continue
        path = str(node.get("path", ""))
        info = node.get("constructInfo")
        if isinstance(info, dict) and info.get("fqn") in _TEMPLATE_OWNERS:
            owner = path
        attributes = node.get("attributes")
        logical_id = (
            attributes.get("aws:cdk:cloudformation:logicalId")
            if isinstance(attributes, dict)
            else None
        )
        if isinstance(logical_id, str):
            index.setdefault((owner, logical_id), path)
        elif owner and path.startswith(owner + "/"):
            # no logicalId attribute (a CfnResource that is no generated L1 class: a custom
            # resource's): the id the CDK allocates from the path
            # (a node and its ``Default`` child share the id: the child, visited later, is the
            # CloudFormation resource)
            computed[(owner, _allocated_id(path[len(owner) + 1 :].split("/")))] = path
        children = node.get("children")
        for child in (children if isinstance(children, dict) else {}).values():
            stack.append((child, owner))
    return {**computed, **index}


def _allocated_id(components: list[str]) -> str:
    """The logical id the CDK gives a resource at ``components`` (its path under the stack) by
    default: aws-cdk-lib ``core/lib/private/uniqueid.ts`` ``makeUniqueId`` (``Default``
    components dropped; the human part without ``Resource`` and repeats, letters and digits
    only, at most 240 characters; then the first 8 hex digits of the MD5 of the path, upper
    case; a single component alone is itself)."""
    parts = [c for c in components if c != "Default"]
    if len(parts) == 1:
        alone = re.sub(r"[^A-Za-z0-9]", "", parts[0])
        if len(alone) <= 255:
            return alone
    digest = hashlib.md5("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    human: list[str] = []
    for part in parts:
        if not human or not human[-1].endswith(part):
            human.append(part)
    text = "".join(re.sub(r"[^A-Za-z0-9]", "", p) for p in human if p != "Resource")
    return text[:240] + digest


def _tree_index(file: str) -> dict[tuple[str, str], str]:
    """(owning stack's construct path, logical id) -> construct path, from ``tree.json``."""
    try:
        mtime = Path(file).stat().st_mtime
    except OSError:
        return {}
    return _tree_index_of(file, mtime)


def read_json(path: Path, root: Path | None = None) -> Any:
    """``path`` parsed as JSON within the limits of :func:`~cdk_partition.assembly.limits.read_json_file`
    (a regular file inside ``root`` when given); :class:`AssemblyInputError` when it cannot be
    read or parsed."""
    return read_json_file(path, root)


@dataclass(frozen=True)
class NotLiteral:
    """A template value an intrinsic function computes at deploy (a key policy under
    ``Fn::If``): not a document the checks can read."""

    value: Any

    def __str__(self) -> str:
        return json.dumps(self.value, default=str)[:200]

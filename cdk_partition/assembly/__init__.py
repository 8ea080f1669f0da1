"""The cloud assembly model: one reading of a ``cdk.out`` (or one template) for every pass.

The audit, the access report and the validation plugin all see the synthesized app through this
module, the way aws-cdk's ``cx-api`` gives the CLI one model of a cloud assembly: the stacks of
every nested assembly (Stages) and every nested stack, each with its environment and construct
path; the construct tree (``tree.json``); the exports; the domain keys; and where the domain
checks apply (the marks :class:`~cdk_partition.DomainEncryptionChecks` writes).

Pure Python over JSON files (no aws_cdk import).

How a resource is placed in a domain (:meth:`CloudAssembly.domain_of`):

* each domain key carries resource metadata ``cdk_partition:domain: <name>``;
* the checks mark each stack they cover with template metadata ``cdk_partition:checks:
  [{"domain": <name>, "scope": <construct path or "">, "resources": [<logical id>...]}]``:
  ``""`` is the whole stack; a construct scope lists the logical ids under it, resolved at
  synthesis, so placement needs no ``aws:cdk:path`` metadata (paths are used for marks that carry
  no list);
* the stacks of Stages nested under a checked Stage (synthesized before the checks ran) are marked
  through the construct tree: a ``CdkPartitionChecks`` node in the stack, whose ``tree.json``
  attributes carry the same marks;
* a nested stack is covered by its own marks and by its parent's (when the parent's scope holds
  the nested stack's resource);
* with no marks at all (an app that never applied the checks), every stack that holds a domain key
  is checked against the domain keys it holds;
* when a mark exists but a resource's place cannot be decided (a construct scope, no resource
  list, no path metadata), :meth:`CloudAssembly.domain_of` says so, and the audit reports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..marks import (
    CHECKS_METADATA_KEY,
    DEPLOYMENT_ROLE_METADATA_KEY,
    DOMAIN_METADATA_KEY,
    EXEMPTIONS_METADATA_KEY,
    LOOKUP_PENDING_KEY_ID,
    MARKER_ID,
    PATH_METADATA_KEY,
    REPLICA_KEYS_METADATA_KEY,
    REPLICA_REGIONS_METADATA_KEY,
    Environment,
)

__all__ = [
    "CHECKS_METADATA_KEY",
    "DEPLOYMENT_ROLE_METADATA_KEY",
    "DOMAIN_METADATA_KEY",
    "EXEMPTIONS_METADATA_KEY",
    "LOOKUP_PENDING_KEY_ID",
    "MARKER_ID",
    "PATH_METADATA_KEY",
    "REPLICA_KEYS_METADATA_KEY",
    "REPLICA_REGIONS_METADATA_KEY",
    "AssemblyInputError",
    "CloudAssembly",
    "DomainKey",
    "Environment",
    "Placement",
    "Scope",
    "StackTemplate",
    "load",
    "load_templates",
    "resource_path",
]


class AssemblyInputError(ValueError):
    """The path given is not a cloud assembly or a template (bad input, exit code 2)."""


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
        """The resource declarations that are objects (see :attr:`raw_resources` for all)."""
        return {k: v for k, v in self.raw_resources.items() if isinstance(v, dict)}

    @property
    def raw_resources(self) -> dict[str, Any]:
        resources = self.template.get("Resources")
        return resources if isinstance(resources, dict) else {}

    @property
    def root(self) -> StackTemplate:
        """The top-level stack a nested stack belongs to (itself for a top-level stack)."""
        return self.parent[0].root if self.parent else self


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
    tree = _read_json(Path(file))
    index: dict[tuple[str, str], str] = {}
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
        children = node.get("children")
        for child in (children if isinstance(children, dict) else {}).values():
            stack.append((child, owner))
    return index


def _tree_index(file: str) -> dict[tuple[str, str], str]:
    """(owning stack's construct path, logical id) -> construct path, from ``tree.json``."""
    try:
        mtime = Path(file).stat().st_mtime
    except OSError:
        return {}
    return _tree_index_of(file, mtime)


def _has_path(resource: Mapping[str, Any]) -> bool:
    metadata = resource.get("Metadata")
    return isinstance(metadata, dict) and isinstance(metadata.get(PATH_METADATA_KEY), str)


# -- loading -----------------------------------------------------------------------------------
def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as error:
        raise AssemblyInputError(f"cannot read {path}: {error.strerror or error}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise AssemblyInputError(f"{path} is not valid JSON: {error}") from error


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
        template = _read_json(path)
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
    manifest = _read_json(directory / "manifest.json")
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
            template = _read_json(file)
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
                _read_json(file),
                str(file),
                (stack, logical_id),
                stack.environment,
            )
            stacks.append(nested)
            queue.append(nested)


# -- domains and where the checks apply -----------------------------------------------------------
@dataclass(frozen=True)
class DomainKey:
    """A KMS key a :class:`~cdk_partition.DataDomain` wrote (``cdk_partition:domain`` metadata):
    its key (``AWS::KMS::Key``, the primary of a multi-Region domain) or a replica of it
    (``AWS::KMS::ReplicaKey``, :class:`~cdk_partition.DomainReplica`)."""

    name: str
    stack: StackTemplate = field(compare=False)
    logical_id: str
    path_given: str | None = field(default=None, compare=False)
    """The construct path when known; else :attr:`path` finds it (from ``tree.json`` when the
    template has no path metadata) on first use."""
    replica: bool = field(default=False, compare=False)
    """An ``AWS::KMS::ReplicaKey`` (the domain's key in another region)."""
    replica_regions: tuple[str, ...] = field(default=(), compare=False)
    """On a multi-Region primary: the regions it declares replicas in."""

    @property
    def path(self) -> str:
        """The key's construct path (``aws:cdk:path``, else ``tree.json``)."""
        if self.path_given is not None:
            return self.path_given
        resource = self.stack.resources.get(self.logical_id) or {}
        found = resource_path(self.stack, self.logical_id, resource)
        object.__setattr__(self, "path_given", found)
        return found

    @property
    def stack_name(self) -> str:
        return self.stack.name

    @property
    def region(self) -> str | None:
        """The region the key lives in (None: the stack's, resolved at deploy time)."""
        return self.stack.environment.region


@dataclass(frozen=True)
class Scope:
    """Where one domain's checks apply: a stack, or the resources under a construct path of it."""

    domain: str
    stack: StackTemplate = field(compare=False)
    path: str
    """Construct path prefix; ``""`` is the whole stack."""
    resources: frozenset[str] | None = None
    """Logical ids under ``path`` in ``stack`` (None: place by ``aws:cdk:path``)."""
    source: str = "template"
    """``template`` (stack metadata), ``tree`` (a marker in tree.json) or ``default``."""
    key_arn: str | None = None
    """For a domain defined elsewhere (``DataDomain.from_domain_attributes``): the exact key ARN
    every store of the scope must name."""


@dataclass(frozen=True)
class Placement:
    """The domain a resource belongs to (None: outside every checked scope), or why it cannot be
    decided (``undecided`` names the scope whose extent is unknown)."""

    domain: str | None
    undecided: Scope | None = None


class CloudAssembly:
    """A loaded cloud assembly: its stacks, construct tree, exports, domain keys and scopes."""

    def __init__(self, stacks: list[StackTemplate], tree: dict[str, Any] | None = None) -> None:
        self.stacks = stacks
        self.tree = tree
        self.exports: dict[str, tuple[StackTemplate, Any]] = {}
        for stack in stacks:
            outputs = stack.template.get("Outputs")
            for output in (outputs if isinstance(outputs, dict) else {}).values():
                name = (
                    (output.get("Export") or {}).get("Name") if isinstance(output, dict) else None
                )
                if isinstance(name, str):
                    self.exports[name] = (stack, output.get("Value"))
        self.domain_keys: list[DomainKey] = list(_find_domain_keys(stacks))
        self.scopes: list[Scope] = self._find_scopes()
        self._bucket_policies: dict[tuple[int, str], list[Any]] | None = None
        #: Results the passes compute once per assembly (keyed by ids of its own objects,
        #: which live as long as it does).
        self.memo: dict[Any, Any] = {}
        self._scopes_cache: dict[int, list[tuple[Scope, str | None]]] = {}
        self._by_stack: dict[int, list[Scope]] = {}
        for scope in self.scopes:
            self._by_stack.setdefault(id(scope.stack), []).append(scope)

    # -- scopes --------------------------------------------------------------------------------
    def _find_scopes(self) -> list[Scope]:
        scopes: list[Scope] = []
        for stack in self.stacks:
            metadata = stack.template.get("Metadata")
            marks = metadata.get(CHECKS_METADATA_KEY) if isinstance(metadata, dict) else None
            scopes += _scopes_from_marks(marks, stack, "template")
        by_path = {s.construct_path: s for s in self.stacks if s.parent is None}
        for stack_path, marks in _tree_marks(self.tree):
            marked = by_path.get(stack_path)
            if marked is not None:
                scopes += _scopes_from_marks(marks, marked, "tree")
        if scopes:
            return scopes + self._stacks_under(scopes)
        return [Scope(key.name, key.stack, "", None, "default") for key in self.domain_keys]

    def _stacks_under(self, scopes: list[Scope]) -> list[Scope]:
        """Top-level stacks created under a checked scope (``cdk.Stack(domain_stack, ...)``, a
        stack under a checked construct) are wholly in it: found by the construct paths of the
        manifest, so ``apply_to`` needs no traversal at synthesis."""
        out: list[Scope] = []
        top = [s for s in self.stacks if s.parent is None and s.construct_path]
        for scope in scopes:
            if scope.stack.parent is not None or not scope.stack.construct_path:
                continue
            base = scope.path or scope.stack.construct_path
            for stack in top:
                if stack is scope.stack or not str(stack.construct_path).startswith(base + "/"):
                    continue
                if any(s.stack is stack and s.domain == scope.domain for s in scopes + out):
                    continue
                out.append(Scope(scope.domain, stack, "", None, "under", scope.key_arn))
        return out

    def scopes_of(self, stack: StackTemplate) -> list[tuple[Scope, str | None]]:
        """The scopes covering ``stack``, each with the logical id of the nested-stack resource
        through which a parent's scope reaches it (None for the stack's own scopes)."""
        cached = self._scopes_cache.get(id(stack))
        if cached is not None:
            return cached
        own: list[tuple[Scope, str | None]] = [(s, None) for s in self._by_stack.get(id(stack), [])]
        if stack.parent is not None:
            parent, nested_id = stack.parent
            own += [(scope, via or nested_id) for scope, via in self.scopes_of(parent)]
        self._scopes_cache[id(stack)] = own
        return own

    def domain_of(
        self, stack: StackTemplate, logical_id: str, resource: Mapping[str, Any]
    ) -> Placement:
        """The domain whose checks cover this resource (innermost scope wins)."""
        path = resource_path(stack, logical_id, resource) if _has_path(resource) else None
        best: Scope | None = None
        best_len = -1
        undecided: Scope | None = None
        for scope, via in self.scopes_of(stack):
            inside: bool | None
            if scope.path == "":
                inside = True  # the whole stack, its nested stacks included
            elif scope.resources is not None:
                inside = (via or logical_id) in scope.resources
            elif path is not None:
                inside = path == scope.path or path.startswith(scope.path + "/")
            else:
                inside = None
            if inside is None:
                undecided = undecided or scope
                continue
            if inside and len(scope.path) > best_len:
                best, best_len = scope, len(scope.path)
        if undecided is not None and (best is None or len(undecided.path) > best_len):
            return Placement(best.domain if best else None, undecided)
        return Placement(best.domain if best else None)

    def bucket_policy_statements(self, stack: StackTemplate, bucket: str) -> list[Any]:
        """The statements of every ``AWS::S3::BucketPolicy`` naming ``bucket`` (``Ref``) in the
        same template (the way the CDK writes them), indexed once per assembly."""
        if self._bucket_policies is None:
            index: dict[tuple[int, str], list[Any]] = {}
            for policy_stack, _, policy in self.resources():
                if policy.get("Type") != "AWS::S3::BucketPolicy":
                    continue
                props = policy.get("Properties") or {}
                target = props.get("Bucket")
                if not (isinstance(target, dict) and isinstance(target.get("Ref"), str)):
                    continue
                document = props.get("PolicyDocument") or {}
                found = document.get("Statement", []) if isinstance(document, dict) else []
                index.setdefault((id(policy_stack), target["Ref"]), []).extend(
                    found if isinstance(found, list) else [found]
                )
            self._bucket_policies = index
        return list(self._bucket_policies.get((id(stack), bucket), []))

    def domain_key_for(
        self, domain: str, stack: StackTemplate, region: str | None = None
    ) -> DomainKey | None:
        """The key of ``domain`` that stores of ``stack`` must use: the one in the same Stage
        (cloud assembly folder) when several Stages hold a domain of that name (one Stage per
        environment), and of the store's region (``region``, default the stack's) when the
        domain spans regions (a multi-Region primary and its replicas); else the only one.
        None when the domain has no key here."""
        keys = [k for k in self.domain_keys if k.name == domain]
        region = region or stack.environment.region
        folder = Path(stack.root.file).parent
        if len(keys) <= 1:
            key = keys[0] if keys else None
            if key is not None and key.region and region and key.region != region:
                return None  # the only key of the domain lives in another region
            if key is not None and Path(key.stack.root.file).parent != folder:
                return None  # the key of another Stage: no Stage's stores use another's key
            return key
        same = [k for k in keys if Path(k.stack.root.file).parent == folder]
        if len(same) > 1 or any(k.replica for k in same):
            same = [k for k in same if k.region == region]
        return same[0] if len(same) == 1 else None

    def keys_of(self, key: DomainKey) -> list[DomainKey]:
        """The keys of ``key``'s domain in its Stage: the key itself, and for a multi-Region
        domain its primary and replicas (one per region)."""
        folder = Path(key.stack.root.file).parent
        return [
            k
            for k in self.domain_keys
            if k.name == key.name and Path(k.stack.root.file).parent == folder
        ]

    def has_checks(self, stack: StackTemplate) -> bool:
        return bool(self.scopes_of(stack))

    # -- look-ups -----------------------------------------------------------------------------
    def stack_of_file(self, file: str | None) -> StackTemplate | None:
        return next((s for s in self.stacks if s.file == file), None)

    def resources(self) -> Iterator[tuple[StackTemplate, str, dict[str, Any]]]:
        """Every resource declaration (a dict; one that is not, or whose ``Type`` is not a
        string, is no resource CloudFormation would create: see :meth:`malformed`)."""
        for stack in self.stacks:
            for logical_id, resource in stack.resources.items():
                if isinstance(resource, dict) and isinstance(resource.get("Type"), str):
                    yield stack, logical_id, resource

    def malformed(self) -> Iterator[tuple[StackTemplate, str, Any]]:
        """Resource declarations that are not a dict with a string ``Type``."""
        for stack in self.stacks:
            for logical_id, resource in stack.raw_resources.items():
                if not (isinstance(resource, dict) and isinstance(resource.get("Type"), str)):
                    yield stack, logical_id, resource


def _scopes_from_marks(marks: Any, stack: StackTemplate, source: str) -> list[Scope]:
    out = []
    for mark in marks if isinstance(marks, list) else []:
        if isinstance(mark, dict) and isinstance(mark.get("domain"), str):
            listed = mark.get("resources")
            resources = (
                frozenset(r for r in listed if isinstance(r, str))
                if isinstance(listed, list)
                else None
            )
            key = mark.get("key")
            out.append(
                Scope(
                    mark["domain"],
                    stack,
                    str(mark.get("scope") or ""),
                    resources,
                    source,
                    key if isinstance(key, str) else None,
                )
            )
    return out


def _tree_marks(tree: Mapping[str, Any] | None) -> Iterator[tuple[str, Any]]:
    """(stack construct path, marks) of every checks marker node in ``tree.json``."""
    if not isinstance(tree, Mapping):
        return
    stack: list[Any] = [tree.get("tree")]
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        attributes = node.get("attributes")
        if node.get("id") == MARKER_ID and isinstance(attributes, Mapping):
            path = str(node.get("path") or "")
            yield path.rpartition("/")[0], attributes.get(CHECKS_METADATA_KEY)
        children = node.get("children")
        if isinstance(children, Mapping):
            stack.extend(children.values())


def _find_domain_keys(stacks: Iterable[StackTemplate]) -> Iterator[DomainKey]:
    for stack in stacks:
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict):
                continue
            metadata = resource.get("Metadata")
            kind = resource.get("Type")
            if kind in ("AWS::KMS::Key", "AWS::KMS::ReplicaKey") and isinstance(metadata, dict):
                name = metadata.get(DOMAIN_METADATA_KEY)
                regions = metadata.get(REPLICA_REGIONS_METADATA_KEY)
                if isinstance(name, str):
                    yield DomainKey(
                        name,
                        stack,
                        logical_id,
                        None,  # the path when first asked: tree.json only if a finding needs it
                        kind == "AWS::KMS::ReplicaKey",
                        tuple(r for r in regions if isinstance(r, str))
                        if isinstance(regions, list)
                        else (),
                    )

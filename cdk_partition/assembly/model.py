"""The cloud assembly model: the stacks, the domain keys, where the checks apply, and the
questions the rules ask of them.

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
* a stack that holds a domain key and carries no marks (neither its own nor a parent's) is checked
  against the domain keys it holds, whether or not other stacks of the app carry marks;
* when a mark exists but a resource's place cannot be decided (a construct scope, no resource
  list, no path metadata), :meth:`CloudAssembly.domain_of` says so, and the audit reports it.

The rules (:mod:`cdk_partition.audit`) ask the model named questions (the resources the checks
cover, the resource a reference names, the policies of a role, the exemptions of a resource, the
cycles of a template) instead of walking templates themselves; a domain key answers its own
(:attr:`DomainKey.properties`, :attr:`DomainKey.statements`, :attr:`DomainKey.deployment_role`).

Pure Python over JSON files (no aws_cdk import).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
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
)
from ..policy.canonical import get_att
from .cycles import find_cycles
from .on_key import stores_on_domain_keys
from .stacks import NotLiteral, StackTemplate, resource_path

__all__ = ["CloudAssembly", "DomainKey", "Placement", "Scope"]


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

    # -- what a key says of itself -----------------------------------------------------------
    @property
    def resource(self) -> dict[str, Any]:
        """The key's resource declaration (``AWS::KMS::Key`` or ``AWS::KMS::ReplicaKey``)."""
        return self.stack.resources[self.logical_id]

    @property
    def properties(self) -> Any:
        """The key's ``Properties`` as written (``{}`` when it has none)."""
        return self.resource.get("Properties") or {}

    @property
    def policy(self) -> Any:
        """The key's ``KeyPolicy`` as written: a literal document, or whatever else is there.
        A document chosen by an intrinsic function (``{"Fn::If": [...]}``: its value is known
        only at deploy) is returned as :class:`NotLiteral`, never as a dict, so no check reads
        the function's arguments as a policy (CDKP102 reports it)."""
        policy = self.properties.get("KeyPolicy")
        if isinstance(policy, dict) and len(policy) == 1:
            (name,) = policy
            if name == "Ref" or str(name).startswith("Fn::"):
                return NotLiteral(policy)
        return policy

    @property
    def statements(self) -> list[dict[str, Any]]:
        """The statements of the key policy that are objects (none when the policy is not a
        literal document)."""
        policy = self.policy
        if not isinstance(policy, dict):
            return []
        found = policy.get("Statement")
        return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]

    @property
    def deployment_role(self) -> Any:
        """The deployment role the domain wrote into the key's metadata (None for a key written
        by an older version: no contract rows can be held against it)."""
        return (self.resource.get("Metadata") or {}).get(DEPLOYMENT_ROLE_METADATA_KEY)


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
    """``template`` (stack metadata), ``tree`` (a marker in tree.json), ``default`` (the stack of
    a domain key no mark covers) or ``on-key`` (stores on a domain key in a stack nothing covers:
    :mod:`.on_key`)."""
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
        scopes += self._stacks_under(scopes)
        # A stack holding a domain key and no marks (its own, a parent's, or a checked scope's it
        # is created under) is checked against the keys it holds, whatever other stacks of the
        # app carry: which stacks are checked never depends on what else is in the app.
        marked_ids = {id(s.stack) for s in scopes}

        def covered(stack: StackTemplate) -> bool:
            while True:
                if id(stack) in marked_ids:
                    return True
                if stack.parent is None:
                    return False
                stack = stack.parent[0]

        defaults: list[Scope] = []
        for key in self.domain_keys:
            if covered(key.stack) or any(
                d.stack is key.stack and d.domain == key.name for d in defaults
            ):
                continue
            defaults.append(Scope(key.name, key.stack, "", None, "default"))
        # a store on a domain key in a stack no scope covers is held to the key's domain
        marked_ids |= {id(d.stack) for d in defaults}
        keys = {(id(k.stack), k.logical_id): k.name for k in self.domain_keys}
        uncovered = [s for s in self.stacks if not covered(s)]
        on_key = [
            Scope(domain, stack, "", ids, "on-key")
            for stack, domain, ids in stores_on_domain_keys(
                uncovered, self.exports, keys, self.stacks
            )
        ]
        return scopes + defaults + on_key

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
            if scope.resources is not None:
                inside = (via or logical_id) in scope.resources
            elif scope.path == "":
                inside = True  # the whole stack, its nested stacks included
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

    def deploys_after(self, stack: StackTemplate, target: StackTemplate) -> bool:
        """Whether ``stack`` deploys after ``target``: it imports one of ``target``'s exports
        (``Fn::ImportValue``), or the manifest says it depends on it, directly or through other
        stacks. A nested stack deploys with its top-level stack."""
        stack, target = _top(stack), _top(target)
        by_artifact = {s.artifact_id: s for s in self.stacks if s.artifact_id}
        seen, todo = {id(stack)}, [stack]
        while todo:
            current = todo.pop()
            after = [by_artifact[d] for d in current.dependencies if d in by_artifact]
            text = json.dumps(current.template)
            for name in set(re.findall(r'"Fn::ImportValue": "([^"]+)"', text)):
                exported = self.exports.get(name)
                if exported is not None:
                    after.append(_top(exported[0]))
            for other in after:
                if other is target:
                    return True
                if id(other) not in seen:
                    seen.add(id(other))
                    todo.append(other)
        return False

    def stack_at(self, path: str) -> StackTemplate | None:
        """The top-level stack whose construct path holds the construct at ``path`` (the
        longest that is ``path`` or a prefix of it followed by ``/``), else None."""
        found = [
            s
            for s in self.stacks
            if s.parent is None
            and s.construct_path
            and (path == s.construct_path or path.startswith(s.construct_path + "/"))
        ]
        return max(found, key=lambda s: len(str(s.construct_path)), default=None)

    def nearest_domain_key(self, domain: str, stack: StackTemplate) -> DomainKey | None:
        """The key of ``domain`` whose policy stores of ``stack`` are held to: the one
        :meth:`domain_key_for` gives, else one in the same top-level stack, else any."""
        return self.domain_key_for(domain, stack) or next(
            (k for k in self.domain_keys if k.name == domain and k.stack.root is stack.root),
            next((k for k in self.domain_keys if k.name == domain), None),
        )

    # -- the questions the rules ask -----------------------------------------------------------
    def checked_stacks(self) -> Iterator[StackTemplate]:
        """The stacks the domain checks cover (a scope of their own or of a parent stack)."""
        return (stack for stack in self.stacks if self.has_checks(stack))

    def resources_in_scope(self) -> Iterator[tuple[StackTemplate, str, dict[str, Any]]]:
        """The resource declarations (:meth:`resources`) of the stacks the checks cover."""
        for stack, logical_id, resource in self.resources():
            if self.has_checks(stack):
                yield stack, logical_id, resource

    def malformed_in_scope(self) -> Iterator[tuple[StackTemplate, str, Any]]:
        """The declarations the checks cannot read (:meth:`malformed`) of the stacks they
        cover."""
        for stack, logical_id, resource in self.malformed():
            if self.has_checks(stack):
                yield stack, logical_id, resource

    def pending_lookups(self) -> list[Scope]:
        """The scopes of a domain reference (``DataDomain.from_lookup``) whose lookup has not
        run: their key ARN names the placeholder key id."""
        pending = f":key/{LOOKUP_PENDING_KEY_ID}"
        return [s for s in self.scopes if s.key_arn and s.key_arn.endswith(pending)]

    def referenced_resource(
        self, stack: StackTemplate, value: Any
    ) -> tuple[str, dict[str, Any]] | None:
        """The resource (logical id, declaration) a ``Ref``/``Fn::GetAtt`` in ``stack`` names,
        also inside the ARN the CDK builds with ``Fn::Join`` around one such reference (a read
        replica's source)."""
        if isinstance(value, dict) and list(value) == ["Fn::Join"]:
            arg = value["Fn::Join"]
            parts = arg[1] if isinstance(arg, list) and len(arg) == 2 else None
            refs = [
                p for p in (parts if isinstance(parts, list) else [])
                if isinstance(p, dict) and self.referenced_resource(stack, p) is not None
            ]  # fmt: skip
            return self.referenced_resource(stack, refs[0]) if len(refs) == 1 else None
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            target = None
            if fn == "Ref" and isinstance(arg, str):
                target = arg
            elif fn == "Fn::GetAtt":
                target = (get_att(arg) or (None,))[0]
            resource = stack.resources.get(target) if isinstance(target, str) else None
            if isinstance(resource, dict):
                return str(target), resource
        return None

    def launch_template_users(self, stack: StackTemplate, logical_id: str) -> list[Any]:
        """The resources of ``stack`` that launch from the launch template ``logical_id``: by
        ``Ref`` to it as ``LaunchTemplateId``, or by its ``LaunchTemplateName``."""
        name = (stack.resources[logical_id].get("Properties") or {}).get("LaunchTemplateName")
        users = []
        for other in stack.resources.values():
            props = other.get("Properties") or {}
            ref = props.get("LaunchTemplate") if isinstance(props, dict) else None
            if not isinstance(ref, dict):
                continue
            if ref.get("LaunchTemplateId") == {"Ref": logical_id} or (
                name is not None and ref.get("LaunchTemplateName") == name
            ):
                users.append(other)
        return users

    def role_allowed_actions(self, stack: StackTemplate, role_id: str) -> Iterator[str]:
        """The actions (as written, wildcards included) the ``Allow`` statements of the IAM role
        ``role_id`` name: its inline ``Policies`` and every ``AWS::IAM::Policy`` or
        ``AWS::IAM::ManagedPolicy`` of ``stack`` attached to it by ``Ref``. Managed policies
        named by ARN (``ManagedPolicyArns``) are not in the template: ask the role for them."""
        props = stack.resources[role_id].get("Properties") or {}
        documents = [
            p.get("PolicyDocument") for p in (props.get("Policies") or []) if isinstance(p, dict)
        ]
        for resource in stack.resources.values():
            if resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                attached = resource.get("Properties") or {}
                if {"Ref": role_id} in (attached.get("Roles") or []):
                    documents.append(attached.get("PolicyDocument"))
        for document in documents:
            if not isinstance(document, dict):
                continue
            statements = document.get("Statement", [])
            for statement in statements if isinstance(statements, list) else [statements]:
                if isinstance(statement, dict) and statement.get("Effect") == "Allow":
                    actions = statement.get("Action", [])
                    for action in actions if isinstance(actions, list) else [actions]:
                        if isinstance(action, str):
                            yield action

    def declared_replica_keys(self, resource: Mapping[str, Any]) -> dict[str, Any] | None:
        """Region -> the key a domain store method declared for the store's replica in that
        region (``cdk_partition:replica_keys`` metadata), or None."""
        metadata = resource.get("Metadata")
        declared = metadata.get(REPLICA_KEYS_METADATA_KEY) if isinstance(metadata, dict) else None
        return declared if isinstance(declared, dict) else None

    def exemptions_of(self, template_file: str | None, logical_id: str) -> list[Any]:
        """The exemptions (``cdk_partition:exemptions`` metadata, as written) of the resource
        ``logical_id`` of the template in ``template_file``."""
        stack = self.stack_of_file(template_file)
        if stack is None:
            return []
        resource = stack.resources.get(logical_id)
        metadata = (resource.get("Metadata") if isinstance(resource, dict) else None) or {}
        return list(metadata.get(EXEMPTIONS_METADATA_KEY) or [])

    def cycles_in(self, stack: StackTemplate) -> list[list[str]]:
        """The dependency cycles among the resources of ``stack`` (logical ids; see
        :mod:`cdk_partition.assembly.cycles`)."""
        return find_cycles(stack.template)

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


def _has_path(resource: Mapping[str, Any]) -> bool:
    metadata = resource.get("Metadata")
    return isinstance(metadata, dict) and isinstance(metadata.get(PATH_METADATA_KEY), str)


def _top(stack: StackTemplate) -> StackTemplate:
    """The top-level stack ``stack`` deploys with (itself, or a nested stack's outermost)."""
    while stack.parent is not None:
        stack = stack.parent[0]
    return stack

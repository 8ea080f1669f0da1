"""The template-level audit: every store of a domain uses the domain's key, and the key is sound.

Pure Python over synthesized templates (no aws_cdk import), so it runs in the ``cdk-partition``
CLI, in the CDK validation plugin at synth time, and in tests alike. It sees what the CDK aspect
cannot: escape-hatch overrides, ``CfnInclude``d templates, nested stacks and cross-stack imports.

How the audit knows each resource's domain (all of it written into the templates by the library):

* each domain key carries resource metadata ``cdk_partition:domain: <name>``;
* ``DomainEncryptionChecks`` marks every stack it covers with template metadata
  ``cdk_partition:checks: [{"domain": <name>, "scope": <construct path or "">}]`` (``""``: the whole
  stack); a resource is in the domain when its ``aws:cdk:path`` lies under the scope;
* with no marks at all (a cloud assembly of an app that never applied the checks), every stack
  that holds a domain key is checked against the domain keys it holds;
* ``exempt(...)`` writes ``cdk_partition:exemptions: [{"rule", "reason"}]`` on a resource.

Stores are found through the catalogue (:mod:`cdk_partition.catalogue`), the one table of where
each CloudFormation type keeps its key. Keys are resolved through ``Ref``/``Fn::GetAtt`` in the
same template, aliases, ``Fn::ImportValue`` of another stack's export, nested-stack parameters,
and ``Fn::If`` (both branches must agree).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from . import catalogue, evaluator
from .capabilities import (
    ADMINISTER_ACTIONS,
    ALL_CAPABILITY_ACTIONS,
    KMS_KEY_ACTIONS,
    READ_ACTIONS,
    WRITE_ACTIONS,
)

DOMAIN_METADATA_KEY = "cdk_partition:domain"
CHECKS_METADATA_KEY = "cdk_partition:checks"
EXEMPTIONS_METADATA_KEY = "cdk_partition:exemptions"
PATH_METADATA_KEY = "aws:cdk:path"

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """A rule of the domain checks: stable id, what it catches, how to fix it."""

    id: str
    severity: Severity
    title: str
    fix: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("CDKP001", "error", "Store is not encrypted", "encrypt it with the domain key"),
        Rule(
            "CDKP002",
            "error",
            "Store uses an AWS owned key",
            "encrypt it with the domain key instead of the service's default encryption",
        ),
        Rule(
            "CDKP003",
            "error",
            "Store uses an AWS managed key (aws/*)",
            "name the domain key; an aws/* key is usable by every principal of the account",
        ),
        Rule(
            "CDKP004",
            "error",
            "Store uses another customer managed key",
            "use this domain's key (another domain's key, a key CDK created for the store, or an "
            "imported ARN all put the data outside the domain's key policy)",
        ),
        Rule(
            "CDKP005",
            "error",
            "Store's key reference cannot be resolved",
            "reference the domain key directly (domain.key), by cross-stack reference or export",
        ),
        Rule(
            "CDKP006",
            "warning",
            "Data-store-like type is not in the catalogue",
            "check its encryption by hand, then acknowledge it: Validations.of(construct)"
            ".acknowledge(Acknowledgment(id='cdk-partition::CDKP006', reason=...))",
        ),
        Rule(
            "CDKP101",
            "error",
            "Domain key rotation is off",
            "enable rotation (DataDomain keys have it on; do not override EnableKeyRotation)",
        ),
        Rule(
            "CDKP102",
            "error",
            "Domain key policy does not deny everyone else",
            "keep the DenyEveryoneElse statement DataDomain writes (Deny kms:* unless "
            "aws:PrincipalArn is a named principal)",
        ),
        Rule(
            "CDKP103",
            "error",
            "Domain key policy allows every principal without conditions",
            "name principals through domain.grant_read/grant_write/grant_administer",
        ),
        Rule(
            "CDKP104",
            "error",
            "Domain key policy gives a principal more than one capability's actions",
            "grant capabilities through the domain; keep administration and data actions in "
            "separate statements and wildcards such as kms:* out of Allow statements",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """One result of the audit."""

    rule: str
    severity: Severity
    stack: str
    logical_id: str
    path: str
    resource_type: str
    message: str
    fix: str
    domain: str | None = None
    location: str | None = None
    template_path: str | None = None
    exempted: bool = False
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- the cloud assembly ----------------------------------------------------------------------
@dataclass
class StackTemplate:
    """One template of the assembly (a nested stack's ``parent`` is (stack, logical id))."""

    name: str
    template: dict[str, Any]
    file: str
    parent: tuple[StackTemplate, str] | None = None

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources = self.template.get("Resources")
        return resources if isinstance(resources, dict) else {}


class AuditInputError(ValueError):
    """The path given to the audit is not a cloud assembly or a template."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as error:
        raise AuditInputError(f"cannot read {path}: {error.strerror or error}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise AuditInputError(f"{path} is not valid JSON: {error}") from error


def _is_template(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("Resources"), dict)


def load_templates(path: str | Path) -> list[StackTemplate]:
    """Every template of a cloud assembly directory (nested assemblies and stacks included), or
    the one template at ``path``. Raises :class:`AuditInputError` on anything else."""
    path = Path(path)
    if not path.exists():
        raise AuditInputError(f"{path} does not exist")
    if path.is_file():
        template = _read_json(path)
        if not _is_template(template):
            raise AuditInputError(f"{path} is not a CloudFormation template (no Resources map)")
        name = path.name.removesuffix(".json").removesuffix(".template")
        stacks = [StackTemplate(name, template, str(path))]
        _add_nested(stacks, path.parent)
        return stacks
    manifest = path / "manifest.json"
    if not manifest.is_file():
        raise AuditInputError(f"{path} is not a cloud assembly (no manifest.json)")
    stacks: list[StackTemplate] = []
    _load_assembly(path, stacks)
    _add_nested(stacks, None)
    return stacks


def _load_assembly(directory: Path, out: list[StackTemplate]) -> None:
    manifest = _read_json(directory / "manifest.json")
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == "aws:cloudformation:stack":
            file = directory / props["templateFile"]
            name = props.get("stackName") or artifact.get("displayName") or artifact_id
            out.append(StackTemplate(name, _read_json(file), str(file)))
        elif kind == "cdk:cloud-assembly":
            _load_assembly(directory / props["directoryName"], out)


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
            if resource.get("Type") != "AWS::CloudFormation::Stack":
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
                f"{stack.name}/{logical_id}", _read_json(file), str(file), (stack, logical_id)
            )
            stacks.append(nested)
            queue.append(nested)


# -- domains ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DomainKey:
    name: str
    stack: StackTemplate = field(compare=False)
    logical_id: str
    path: str

    @property
    def stack_name(self) -> str:
        return self.stack.name


def _path(stack: StackTemplate, logical_id: str, resource: Mapping[str, Any]) -> str:
    metadata = resource.get("Metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get(PATH_METADATA_KEY), str):
        return metadata[PATH_METADATA_KEY]
    return f"{stack.name}/{logical_id}"


def find_domain_keys(stacks: Iterable[StackTemplate]) -> list[DomainKey]:
    """The keys DataDomain wrote (KMS keys carrying ``cdk_partition:domain`` metadata)."""
    keys = []
    for stack in stacks:
        for logical_id, resource in stack.resources.items():
            metadata = resource.get("Metadata")
            if resource.get("Type") == "AWS::KMS::Key" and isinstance(metadata, dict):
                name = metadata.get(DOMAIN_METADATA_KEY)
                if isinstance(name, str):
                    keys.append(
                        DomainKey(name, stack, logical_id, _path(stack, logical_id, resource))
                    )
    return keys


@dataclass(frozen=True)
class Scope:
    domain: str
    stack: StackTemplate = field(compare=False)
    path: str  # construct path prefix; "" = the whole stack


def find_scopes(stacks: list[StackTemplate], keys: list[DomainKey]) -> list[Scope]:
    """Where the checks apply: the marks the aspect wrote, else every stack holding a domain key."""
    scopes = []
    for stack in stacks:
        marks = (stack.template.get("Metadata") or {}).get(CHECKS_METADATA_KEY) or []
        for mark in marks if isinstance(marks, list) else []:
            if isinstance(mark, dict) and isinstance(mark.get("domain"), str):
                scopes.append(Scope(mark["domain"], stack, str(mark.get("scope") or "")))
    if scopes:
        return scopes
    return [Scope(key.name, key.stack, "") for key in keys]


# -- key resolution --------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyRef:
    """What a key value in a template resolves to."""

    kind: Literal["domain_key", "other_cmk", "aws_managed", "unresolved"]
    description: str
    domain: str | None = None


class _Resolver:
    def __init__(self, stacks: list[StackTemplate], keys: list[DomainKey]) -> None:
        self._keys = {(id(k.stack), k.logical_id): k for k in keys}
        self._aliases = {f"alias/{k.name}": k for k in keys}
        self._exports: dict[str, tuple[StackTemplate, Any]] = {}
        for stack in stacks:
            for output in (stack.template.get("Outputs") or {}).values():
                name = (output.get("Export") or {}).get("Name")
                if isinstance(name, str):
                    self._exports[name] = (stack, output.get("Value"))

    def resolve(self, value: Any, stack: StackTemplate, depth: int = 0) -> KeyRef:
        if depth > 12:
            return KeyRef("unresolved", "reference chain too deep")
        if catalogue.is_aws_managed_key_reference(value):
            return KeyRef("aws_managed", f"AWS managed key {_short(value)}")
        if isinstance(value, str):
            return self._literal(value)
        if not isinstance(value, dict) or len(value) != 1:
            return KeyRef("unresolved", f"unsupported value {_short(value)}")
        ((fn, arg),) = value.items()
        if fn == "Ref" and isinstance(arg, str):
            return self._logical(arg, stack, depth)
        if fn == "Fn::GetAtt":
            target = arg.split(".")[0] if isinstance(arg, str) else (arg or [None])[0]
            return (
                self._logical(target, stack, depth) if isinstance(target, str) else self._bad(value)
            )
        if fn == "Fn::ImportValue":
            name = arg if isinstance(arg, str) else None
            if name is None or name not in self._exports:
                return KeyRef("unresolved", f"import of unknown export {_short(arg)}")
            source, exported = self._exports[name]
            return self.resolve(exported, source, depth + 1)
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            left, right = (self.resolve(v, stack, depth + 1) for v in arg[1:])
            if left == right:
                return left
            return KeyRef(
                "unresolved", f"Fn::If between {left.description} and {right.description}"
            )
        return self._bad(value)

    def _bad(self, value: Any) -> KeyRef:
        return KeyRef("unresolved", f"expression {_short(value)}")

    def _literal(self, value: str) -> KeyRef:
        alias = value.split(":", 5)[-1] if value.startswith("arn:") else value
        if alias in self._aliases:
            return KeyRef("domain_key", f"alias {alias}", self._aliases[alias].name)
        if alias.startswith("alias/"):
            return KeyRef("other_cmk", f"alias {alias} of no domain")
        return KeyRef("other_cmk", f"key {value} (not created by a DataDomain of this app)")

    def _logical(self, logical_id: str, stack: StackTemplate, depth: int) -> KeyRef:
        key = self._keys.get((id(stack), logical_id))
        if key is not None:
            return KeyRef("domain_key", f"domain key {key.path}", key.name)
        resource = stack.resources.get(logical_id)
        if resource is not None:
            kind = resource.get("Type")
            if kind == "AWS::KMS::Key":
                path = _path(stack, logical_id, resource)
                return KeyRef("other_cmk", f"customer managed key {path} of no domain")
            if kind == "AWS::KMS::Alias":
                target = (resource.get("Properties") or {}).get("TargetKeyId")
                return self.resolve(target, stack, depth + 1)
            return KeyRef("unresolved", f"{kind} {logical_id} is not a KMS key")
        if logical_id in (stack.template.get("Parameters") or {}):
            if stack.parent is not None:
                parent, nested_id = stack.parent
                props = parent.resources[nested_id].get("Properties") or {}
                passed = (props.get("Parameters") or {}).get(logical_id)
                if passed is not None:
                    return self.resolve(passed, parent, depth + 1)
            return KeyRef("unresolved", f"template parameter {logical_id}")
        return KeyRef("unresolved", f"unknown reference {logical_id}")


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


# -- the audit -------------------------------------------------------------------------------
_STATE_RULES = {"unencrypted": "CDKP001", "aws_owned": "CDKP002", "aws_managed": "CDKP003"}
_REF_RULES = {"other_cmk": "CDKP004", "aws_managed": "CDKP003", "unresolved": "CDKP005"}


def audit(stacks: list[StackTemplate]) -> list[Finding]:
    """Audit loaded templates: stores in every domain scope, then every domain key."""
    keys = find_domain_keys(stacks)
    scopes = find_scopes(stacks, keys)
    resolver = _Resolver(stacks, keys)
    findings: list[Finding] = []
    for stack in stacks:
        stack_scopes = _scopes_of(stack, scopes)
        if not stack_scopes:
            continue
        for logical_id, resource in stack.resources.items():
            path = _path(stack, logical_id, resource)
            domain = _domain_of(path, stack_scopes)
            if domain is None:
                continue
            findings.extend(_audit_store(stack, logical_id, resource, path, domain, resolver))
    for key in keys:
        findings.extend(audit_key(key))
    return [_apply_exemptions(f, stacks) for f in findings]


def audit_path(path: str | Path) -> list[Finding]:
    """Load a cloud assembly directory or a template and audit it."""
    return audit(load_templates(path))


def _scopes_of(stack: StackTemplate, scopes: list[Scope]) -> list[Scope]:
    """The scopes covering ``stack``: its own marks, and its parents' (a nested stack's resources
    carry full construct paths, so a parent's scope path applies to them as is)."""
    own = [s for s in scopes if s.stack is stack]
    return own + (_scopes_of(stack.parent[0], scopes) if stack.parent else [])


def _domain_of(path: str, scopes: list[Scope]) -> str | None:
    best: Scope | None = None
    for scope in scopes:
        if scope.path == "" or path == scope.path or path.startswith(scope.path + "/"):
            if best is None or len(scope.path) > len(best.path):
                best = scope
    return best.domain if best else None


def _audit_store(
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    path: str,
    domain: str,
    resolver: _Resolver,
) -> Iterator[Finding]:
    cfn_type = resource.get("Type", "")
    properties = resource.get("Properties")
    uses = catalogue.classify(cfn_type, properties if isinstance(properties, dict) else None)
    base = {
        "stack": stack.name,
        "logical_id": logical_id,
        "path": path,
        "resource_type": cfn_type,
        "domain": domain,
        "template_path": stack.file,
    }
    if uses is None:
        if catalogue.looks_like_data_store(cfn_type):
            rule = RULES["CDKP006"]
            yield Finding(
                rule=rule.id,
                severity=rule.severity,
                message=f"{path} ({cfn_type}) may hold data of domain {domain!r}, but the "
                "catalogue does not know where its key lives, so it is not checked.",
                fix=rule.fix,
                **base,
            )
        return
    spec = catalogue.lookup(cfn_type)
    what = spec.description if spec else cfn_type
    fix_hint = spec.cdk_fix if spec else RULES["CDKP001"].fix
    for use in uses:
        if use.state == "customer_key":
            ref = resolver.resolve(use.key, stack)
            if ref.kind == "domain_key" and ref.domain == domain:
                continue
            if ref.kind == "domain_key":
                rule_id = "CDKP004"
                now = f"the key of domain {ref.domain!r} ({ref.description})"
            else:
                rule_id = _REF_RULES[ref.kind]
                now = ref.description
        else:
            rule_id = _STATE_RULES[use.state]
            now = use.detail or use.state.replace("_", " ")
        rule = RULES[rule_id]
        yield Finding(
            rule=rule.id,
            severity=rule.severity,
            message=f"{what} {path} of domain {domain!r} must use the domain key, but "
            f"{use.path} is: {now}. Fix: {fix_hint}.",
            fix=fix_hint,
            location=use.path,
            **base,
        )


# -- the domain key itself ---------------------------------------------------------------------
_PROBE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:PutKeyPolicy")
_UNNAMED_ROLE = "arn:aws:iam::${AWS::AccountId}:role/cdk-partition-audit-probe-unnamed-role"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _expand(actions: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for action in actions:
        if not isinstance(action, str):
            continue
        pattern = action.lower()
        out |= {a for a in KMS_KEY_ACTIONS if fnmatchcase(a.lower(), pattern)} or {action}
    return out


def audit_key(key: DomainKey) -> Iterator[Finding]:
    """Rotation on; DenyEveryoneElse present and effective; no open or over-broad Allow."""
    resource = key.stack.resources[key.logical_id]
    props = resource.get("Properties") or {}
    base = {
        "stack": key.stack_name,
        "logical_id": key.logical_id,
        "path": key.path,
        "resource_type": "AWS::KMS::Key",
        "domain": key.name,
        "template_path": key.stack.file,
    }

    def finding(rule_id: str, message: str, location: str) -> Finding:
        rule = RULES[rule_id]
        return Finding(
            rule=rule.id,
            severity=rule.severity,
            message=f"Key of domain {key.name!r} ({key.path}): {message} Fix: {rule.fix}.",
            fix=rule.fix,
            location=location,
            **base,
        )

    if props.get("EnableKeyRotation") not in (True, "true"):
        yield finding("CDKP101", "EnableKeyRotation is not true.", "EnableKeyRotation")
    policy = props.get("KeyPolicy")
    if not isinstance(policy, dict):
        yield finding("CDKP102", "the key policy is not a literal document.", "KeyPolicy")
        return
    statements = [s for s in _as_list(policy.get("Statement")) if isinstance(s, dict)]
    denies = {
        "Version": "2012-10-17",
        "Statement": [s for s in statements if s.get("Effect") == "Deny"],
    }
    probes = [
        evaluator.Request(
            action=action,
            principal_arn=_UNNAMED_ROLE,
            account="${AWS::AccountId}",
            identity_allows=True,
        )
        for action in _PROBE_ACTIONS
    ]
    open_actions = [p.action for p in probes if evaluator.evaluate(denies, p) != "explicit_deny"]
    if open_actions:
        yield finding(
            "CDKP102",
            "no Deny statement refuses an unnamed principal of the account "
            f"{', '.join(open_actions)} (an IAM role whose own policy allows kms:* would pass).",
            "KeyPolicy.Statement",
        )
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow":
            continue
        location = f"KeyPolicy.Statement[{index}]"
        sid = statement.get("Sid", f"#{index}")
        principal = statement.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        if "*" in _as_list(aws) and not statement.get("Condition"):
            yield finding("CDKP103", f"statement {sid} allows '*' without conditions.", location)
            continue
        if aws is None:
            continue  # service principals: scoped by the store methods
        actions = _expand(_as_list(statement.get("Action", [])))
        if "NotAction" in statement:
            actions = set(KMS_KEY_ACTIONS) - _expand(_as_list(statement["NotAction"]))
        if _grant_for_aws_resource(statement):
            actions -= {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
        beyond = sorted(actions - ALL_CAPABILITY_ACTIONS)
        mixed = actions & (set(ADMINISTER_ACTIONS) - {"kms:DescribeKey"}) and actions & (
            set(READ_ACTIONS + WRITE_ACTIONS) - {"kms:DescribeKey"}
        )
        if beyond or mixed:
            detail = (
                f"actions outside every capability: {', '.join(beyond)}"
                if beyond
                else "administration and data actions in one statement"
            )
            yield finding("CDKP104", f"statement {sid} gives {detail}.", location)


def _grant_for_aws_resource(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    flag = (condition.get("Bool") or {}).get("kms:GrantIsForAWSResource")
    return str(flag).lower() == "true"


# -- exemptions ------------------------------------------------------------------------------
def _apply_exemptions(finding: Finding, stacks: list[StackTemplate]) -> Finding:
    stack = next((s for s in stacks if s.file == finding.template_path), None)
    if stack is None:
        return finding
    metadata = stack.resources.get(finding.logical_id, {}).get("Metadata") or {}
    for exemption in metadata.get(EXEMPTIONS_METADATA_KEY) or []:
        if isinstance(exemption, dict) and exemption.get("rule") == finding.rule:
            return Finding(
                **{**asdict(finding), "exempted": True, "reason": exemption.get("reason")}
            )
    return finding


def failing(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that fail a synth or the CLI: errors that are not exempted."""
    return [f for f in findings if f.severity == "error" and not f.exempted]

"""The template audit: every store of a domain uses the domain's key, and the key is sound.

Pure Python over the cloud assembly model (:mod:`cdk_partition.assembly`) and key resolution
(:mod:`cdk_partition.assembly.keys`), so it runs in the ``cdk-partition`` CLI, in the CDK validation plugin
at synth time, and in tests alike. It sees what the CDK aspect cannot: escape-hatch overrides,
``CfnInclude``d templates, nested stacks, Stages and cross-stack imports.

The passes, each yielding :class:`Finding` s with a stable rule id (:data:`RULES`):

1. **placement**: every resource is placed in its domain scope (see :mod:`cdk_partition.assembly`);
   one whose scope cannot be decided is ``CDKP007``.
2. **stores** (the catalogue, :mod:`cdk_partition.knowledge.catalogue`): every key slot of a catalogued type
   must hold the domain key (``CDKP001``-``CDKP005``); a key inherited from another resource (read
   replica, snapshot restore) is resolved through that resource or reported as unresolvable.
3. **any key property** (:func:`cdk_partition.knowledge.catalogue.kms_key_paths`, generated from the
   CloudFormation schemas): a property of any resource that names a KMS key must name the domain
   key, whether or not the type is catalogued.
4. **buckets that let writers pick another key** (``CDKP008``): S3 applies default encryption only
   to a PUT that names none, so a bucket on the domain key must deny other encryption in its
   bucket policy (decided with the policy evaluator).
5. **stores outside the template** (``CDKP009``): custom resources whose SDK call or handler can
   create a store.
6. **the domain key itself** (``CDKP101``-``CDKP105``).

A rule that crashes becomes a finding (``CDKP000``), never a broken synth or silence.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from ..assembly import (
    CHECKS_METADATA_KEY,
    DEPLOYMENT_ROLE_METADATA_KEY,
    DOMAIN_METADATA_KEY,
    EXEMPTIONS_METADATA_KEY,
    LOOKUP_PENDING_KEY_ID,
    PATH_METADATA_KEY,
    REPLICA_KEYS_METADATA_KEY,
    AssemblyInputError,
    CloudAssembly,
    DomainKey,
    Environment,
    StackTemplate,
    cycles,
    load,
    load_templates,
    resource_path,
)
from ..assembly.keys import KeyRef, KeyResolver
from ..knowledge import catalogue, contracts
from ..knowledge.capabilities import (
    ADMINISTER_ACTIONS,
    ALL_CAPABILITY_ACTIONS,
    KMS_KEY_ACTIONS,
    READ_ACTIONS,
    WRITE_ACTIONS,
)
from ..marks import parse_key_text, render
from ..policy import evaluator

__all__ = [
    "CHECKS_METADATA_KEY",
    "DOMAIN_METADATA_KEY",
    "EXEMPTIONS_METADATA_KEY",
    "PATH_METADATA_KEY",
    "RULES",
    "AuditInputError",
    "Finding",
    "Rule",
    "StackTemplate",
    "audit",
    "audit_key",
    "audit_path",
    "failing",
    "load_templates",
]

#: Bad input to the audit (kept under its old name; see :class:`AssemblyInputError`).
AuditInputError = AssemblyInputError

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
        Rule(
            "CDKP000",
            "error",
            "A check could not run",
            "report the traceback in the message to cdk_partition; the resource is unchecked "
            "until then",
        ),
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
            "use this domain's key (another domain's key, a key CDK created for the store, a key "
            "of another account or region, or a literal key id all put the data outside the "
            "domain's key policy)",
        ),
        Rule(
            "CDKP005",
            "error",
            "Store's key cannot be resolved",
            "reference the domain key directly (domain.key), by cross-stack reference or export, "
            "or by its alias in an explicit env",
        ),
        Rule(
            "CDKP006",
            "warning",
            "Data-store-like type is not in the catalogue",
            "check its encryption by hand, then acknowledge it: Validations.of(construct)"
            ".acknowledge(Acknowledgment(id='cdk-partition::CDKP006', reason=...))",
        ),
        Rule(
            "CDKP007",
            "error",
            "Resource's domain cannot be decided",
            "apply the checks to a Stack or Stage, synthesize with path metadata, or re-synthesize "
            "with this version of cdk_partition (its marks list the resources of a construct scope)",
        ),
        Rule(
            "CDKP008",
            "error",
            "Bucket lets writers choose another encryption",
            "create it with `domain.bucket(...)`, which adds a bucket policy denying PutObject "
            "with other encryption, another key or aws:kms without a key",
        ),
        Rule(
            "CDKP009",
            "warning",
            "Custom resource may create a store outside the template",
            "create the store in the template with a domain store method; if the call must stay, "
            "check the key it uses and acknowledge: Validations.of(construct).acknowledge("
            "Acknowledgment(id='cdk-partition::CDKP009', reason=...))",
        ),
        Rule(
            "CDKP010",
            "warning",
            "Replica uses a key declared for another region",
            "make sure the key is the domain's key in that region (same key policy); "
            "acknowledge: Validations.of(construct).acknowledge(Acknowledgment("
            "id='cdk-partition::CDKP010', reason=...))",
        ),
        Rule(
            "CDKP011",
            "error",
            "Store type cannot use a customer managed key",
            "keep the domain's data out of it (the service offers only an encryption switch), "
            "or exempt it with the reason it holds none",
        ),
        Rule(
            "CDKP012",
            "error",
            "Dependency cycle among resources",
            "scope key-policy statements by names or patterns known at synth, not by the token "
            "of a resource that depends on the key (domain store methods and the CDK's own "
            "wiring on a domain key do this)",
        ),
        Rule(
            "CDKP013",
            "warning",
            "Domain reference still waits for its lookup",
            "synthesize with the CDK CLI (it performs the lookup, caches it in cdk.context.json "
            "and synthesizes again), or put the parameter's value in the app's context",
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
        Rule(
            "CDKP106",
            "error",
            "Domain key policy gives an AWS service more than its service contract",
            "let the domain write service statements (store methods, allow_service_publisher): "
            "the contract's actions only, scoped by the conditions AWS supports",
        ),
        Rule(
            "CDKP107",
            "error",
            "Domain key policy refuses a request AWS makes for the store",
            "keep the statements the domain's store methods write (AllowGrantsForAWSResources, "
            "AllowDeploymentViaServices, the DenyEveryoneElse exemptions); the store cannot be "
            "created or started otherwise",
        ),
        Rule(
            "CDKP108",
            "error",
            "Domain replica key is not a replica of the domain's primary key",
            "create it with `domain.replica(scope, id)` of the multi-Region DataDomain "
            "(`replica_regions=[...]`): PrimaryKeyArn is then the domain key's ARN",
        ),
        Rule(
            "CDKP105",
            "error",
            "Domain key policy cannot be evaluated",
            "write the statement with values known at synth time (the policy evaluator could not "
            "decide it, so the checks cannot vouch for the key)",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """One result of the audit: rule, where (stack, logical id, construct path, property) and
    what to change."""

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
    """The property path the finding is about (``KmsMasterKeyId``, ``KeyPolicy.Statement[2]``)."""
    value: str | None = None
    """That property's own value as the template has it (short JSON), when there is one."""
    template_path: str | None = None
    exempted: bool = False
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _is(location: str, value: Any) -> str:
    """``<property> is <its value>`` (``is not set`` when absent): a finding's message pairs a
    property path with that property's own value, never another's."""
    return f"{location} is {_short(value)}" if value is not None else f"{location} is not set"


def _detail_after(location: str, value: Any, detail: str) -> str:
    """``detail`` without its opening ``<property> <value>`` when :func:`_is` already said it
    (``SSEAlgorithm AES256 (SSE-S3: AWS owned key)`` -> ``SSE-S3: AWS owned key``)."""
    said = f"{location.rsplit('.', 1)[-1]} {_short(value)}" if value is not None else None
    if said is None or not detail.startswith(said):
        return detail
    rest = detail[len(said) :].strip(" :")
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    return rest or detail


class _Base(Mapping[str, Any]):
    """The fields every finding about one resource shares. The construct path is computed when
    first read (when a finding is made): without ``aws:cdk:path`` metadata it comes from
    ``tree.json``, which a clean audit then never has to read."""

    __slots__ = ("_fields", "_resource", "_stack")
    _KEYS = ("stack", "logical_id", "path", "resource_type", "domain", "template_path")

    def __init__(
        self,
        stack: StackTemplate,
        logical_id: str,
        resource: Mapping[str, Any],
        domain: str | None,
    ) -> None:
        self._stack, self._resource = stack, resource
        self._fields: dict[str, Any] = {
            "stack": stack.name,
            "logical_id": logical_id,
            "resource_type": str(resource.get("Type", "")),
            "domain": domain,
            "template_path": stack.file,
        }

    def __getitem__(self, key: str) -> Any:
        if key == "path" and key not in self._fields:
            logical_id = self._fields["logical_id"]
            self._fields["path"] = resource_path(self._stack, logical_id, self._resource)
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)


def _base(
    stack: StackTemplate, logical_id: str, resource: Mapping[str, Any], domain: str | None
) -> _Base:
    return _Base(stack, logical_id, resource, domain)


def _finding(rule_id: str, message: str, *, fix: str | None = None, **base: Any) -> Finding:
    rule = RULES[rule_id]
    fix = fix or rule.fix
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=f"{message} Fix: {fix}.",
        fix=fix,
        **base,
    )


#: The rules an exemption may silence: findings about one store. The domain key's own rules
#: (CDKP1xx), placement, crashes, custom resources aside, and dependency cycles hold for every
#: domain; an exemption of them is ignored (and ``exempt`` refuses it).
EXEMPTIBLE_RULES: frozenset[str] = frozenset(
    {"CDKP001", "CDKP002", "CDKP003", "CDKP004", "CDKP005", "CDKP006", "CDKP008", "CDKP009",
     "CDKP010", "CDKP011"}
)  # fmt: skip
_MIN_REASON_WORDS = 4

# -- the audit -------------------------------------------------------------------------------
_STATE_RULES = {
    "unencrypted": "CDKP001",
    "aws_owned": "CDKP002",
    "aws_managed": "CDKP003",
    "undecided": "CDKP005",
}
_REF_RULES = {"other_cmk": "CDKP004", "aws_managed": "CDKP003", "unresolved": "CDKP005"}


def audit(assembly: CloudAssembly | list[StackTemplate]) -> list[Finding]:
    """Audit a loaded cloud assembly (or a list of templates): every pass, then exemptions."""
    if not isinstance(assembly, CloudAssembly):
        assembly = CloudAssembly(list(assembly))
    resolver = KeyResolver(assembly)
    findings: list[Finding] = []
    for stack, logical_id, resource in assembly.resources():
        if not assembly.has_checks(stack):
            continue
        try:
            findings.extend(_audit_resource(assembly, resolver, stack, logical_id, resource))
        except Exception as error:  # a rule's own crash is a finding, never a broken synth
            findings.append(_crash(error, **_base(stack, logical_id, resource, None)))
    for stack, logical_id, resource in assembly.malformed():
        if assembly.has_checks(stack):  # fail closed: a declaration the checks cannot read
            base = {"stack": stack.name, "logical_id": logical_id, "path": f"{stack.name}/{logical_id}",
                    "resource_type": _short(resource.get("Type") if isinstance(resource, dict) else None),
                    "domain": None, "template_path": stack.file}  # fmt: skip
            findings.append(
                _finding(
                    "CDKP000",
                    f"{base['path']}: not a resource declaration the checks can "
                    f"read ({_short(resource)}).",
                    **base,
                )
            )
    for stack in assembly.stacks:
        if assembly.has_checks(stack):
            try:
                findings.extend(_audit_cycles(assembly, stack))
            except Exception as error:
                first = next(iter(stack.resources), "")
                findings.append(_crash(error, **_base(stack, first, {}, None)))
    for scope in assembly.scopes:
        if scope.key_arn and scope.key_arn.endswith(f":key/{LOOKUP_PENDING_KEY_ID}"):
            # fail closed: the stores name a placeholder, not the domain's key (a warning, so
            # that the CDK CLI's first synth, before the lookup, is not refused)
            where = scope.path or scope.stack.construct_path or scope.stack.name
            findings.append(
                _finding(
                    "CDKP013",
                    f"{where}: the reference to domain {scope.domain!r} (DataDomain.from_lookup) "
                    f"names the placeholder {scope.key_arn}: the lookup has not run, so no store "
                    "of this scope can be checked against the domain's key yet.",
                    stack=scope.stack.name,
                    logical_id="",
                    path=where,
                    resource_type="",
                    domain=scope.domain,
                    template_path=scope.stack.file,
                )
            )
    for key in assembly.domain_keys:
        try:
            findings.extend(audit_key(key, resolver))
        except Exception as error:
            resource = key.stack.resources[key.logical_id]
            findings.append(_crash(error, **_base(key.stack, key.logical_id, resource, key.name)))
    return [_apply_exemptions(f, assembly) for f in findings]


def audit_path(path: str | Path) -> list[Finding]:
    """Load a cloud assembly directory or a template and audit it."""
    return audit(load(path))


def _crash(error: Exception, **base: Any) -> Finding:
    where = "".join(traceback.format_exception_only(type(error), error)).strip()
    return _finding("CDKP000", f"{base['path']}: the checks crashed ({where}).", **base)


def _audit_resource(
    assembly: CloudAssembly,
    resolver: KeyResolver,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
) -> Iterator[Finding]:
    placement = assembly.domain_of(stack, logical_id, resource)
    cfn_type = str(resource.get("Type", ""))
    if placement.undecided is not None and _may_hold_data(cfn_type):
        scope = placement.undecided
        yield _finding(
            "CDKP007",
            f"{resource_path(stack, logical_id, resource)} ({cfn_type}) may belong to domain "
            f"{scope.domain!r}, whose checks cover construct {scope.path!r}, but the template "
            "carries no construct path and the mark lists no resources, so its domain cannot be "
            "decided.",
            **_base(stack, logical_id, resource, scope.domain),
        )
    domain = placement.domain
    if domain is None:
        return
    base = _base(stack, logical_id, resource, domain)
    store_findings = list(_audit_store(resolver, stack, resource, domain, base))
    if cfn_type == "AWS::EC2::LaunchTemplate" and _only_overriding_instances(stack, logical_id):
        # a template without mappings used only by instances that map every volume themselves
        # (the IMDSv2 template the CDK makes for ec2.Instance): the instances' mappings win
        store_findings = [
            f for f in store_findings if not (f.location or "").startswith(_LT_MAPPINGS)
        ]
    yield from store_findings
    if not any(f.severity == "error" for f in store_findings):
        yield from _audit_contracts(assembly, stack, domain, base)
    if cfn_type == "AWS::S3::Bucket":
        yield from _audit_bucket_puts(assembly, resolver, stack, logical_id, resource, domain, base)
    if cfn_type.startswith("Custom::") or cfn_type == "AWS::CloudFormation::CustomResource":
        yield from _audit_custom_resource(stack, resource, base)


_LT_MAPPINGS = "LaunchTemplateData.BlockDeviceMappings"


def _only_overriding_instances(stack: StackTemplate, logical_id: str) -> bool:
    """``logical_id`` (a launch template with no block device mappings) is used only by EC2
    instances of the same template that have block device mappings of their own."""
    template = stack.resources[logical_id]
    data = (template.get("Properties") or {}).get("LaunchTemplateData") or {}
    if data.get("BlockDeviceMappings"):
        return False
    name = (template.get("Properties") or {}).get("LaunchTemplateName")
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
    return bool(users) and all(
        u.get("Type") == "AWS::EC2::Instance"
        and (u.get("Properties") or {}).get("BlockDeviceMappings")
        for u in users
    )


def _may_hold_data(cfn_type: str) -> bool:
    return (
        catalogue.lookup(cfn_type) is not None
        or cfn_type in catalogue.KEYLESS_STORES
        or bool(catalogue.kms_key_paths(cfn_type))
        or catalogue.looks_like_data_store(cfn_type)
        or cfn_type.startswith("Custom::")
    )


def _audit_store(
    resolver: KeyResolver,
    stack: StackTemplate,
    resource: Mapping[str, Any],
    domain: str,
    base: Mapping[str, Any],
) -> Iterator[Finding]:
    cfn_type = base["resource_type"]
    properties = resource.get("Properties")
    props: Mapping[str, Any] = properties if isinstance(properties, dict) else {}
    uses = catalogue.classify(cfn_type, props)
    spec = catalogue.lookup(cfn_type)
    what = spec.description if spec else cfn_type
    fix_hint = spec.cdk_fix if spec else f"pass the domain key (`domain.key`) to {cfn_type}"
    if uses is None and catalogue.looks_like_data_store(cfn_type):
        yield _finding(
            "CDKP006",
            f"{base['path']} ({cfn_type}) may hold data of domain {domain!r}, but the catalogue does "
            "not know where its key lives, so it is not checked.",
            **base,
        )
    keyless = catalogue.keyless_reason(cfn_type, props)
    if keyless is not None:
        yield _finding(
            "CDKP011",
            f"{base['path']} ({cfn_type}) holds data of domain {domain!r}, but the type cannot name a "
            f"customer managed key: {keyless}.",
            **base,
        )
    checked: set[str] = set()
    declared = _declared_replica_keys(resource, props)
    for use in uses or []:
        checked.add(use.path)
        verdict = _verdict(resolver, stack, use, domain, region=_replica_region(use.path, props))
        if verdict is None:
            continue
        region = declared.get(use.path)
        wrong = _implausible_replica_key(use.key, region, stack) if region else None
        if region is not None and verdict[0] == "CDKP004" and wrong is None:
            yield _finding(
                "CDKP010",
                f"{what} {base['path']} of domain {domain!r}: its replica in {region} uses "
                f"{_short(use.key)}, declared by the domain's store method as the key of that "
                "region. Its key policy is outside this cloud assembly, so the checks cannot "
                "vouch for it.",
                location=use.path,
                value=_short(use.key),
                **base,
            )
            continue
        rule_id, now = verdict
        if wrong is not None:
            now = f"{now}; declared for {region}, but {wrong}"
        # the property the verdict was read from, with its own value (a switch such as
        # SSEAlgorithm decides a slot whatever its key property holds)
        yield _finding(
            rule_id,
            f"{what} {base['path']} of domain {domain!r} must use the domain key, but "
            f"{_is(use.where, use.found)} ({_detail_after(use.where, use.found, now)}).",
            fix=None if rule_id == "CDKP010" else fix_hint,
            location=use.where,
            value=_short(use.found) if use.found is not None else None,
            **base,
        )
    # any property that names a KMS key, catalogued or not
    for key_path, value in catalogue.key_values(cfn_type, props):
        if key_path in checked:
            continue
        if catalogue.is_aws_managed_key_reference(value):
            ref = KeyRef("aws_managed", f"AWS managed key {_short(value)}")
        else:
            ref = resolver.resolve(value, stack)
        if resolver.on_domain_key(ref, domain, stack):
            continue
        rule_id, now = _ref_verdict(ref, stack)
        yield _finding(
            rule_id,
            f"{what} {base['path']} of domain {domain!r} names a KMS key in {key_path}, which must be "
            f"the domain key, but {_is(key_path, value)} ({now}).",
            fix=fix_hint if spec else f"pass the domain key (`domain.key`) as {key_path}",
            location=key_path,
            value=_short(value),
            **base,
        )


def _declared_replica_keys(resource: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, str]:
    """Key path -> region, for replica key slots whose value is the key a store method declared
    for that replica's region (``cdk_partition:replica_keys``)."""
    metadata = resource.get("Metadata")
    declared = metadata.get(REPLICA_KEYS_METADATA_KEY) if isinstance(metadata, dict) else None
    replicas = props.get("Replicas")
    if not isinstance(declared, dict) or not isinstance(replicas, list):
        return {}
    out = {}
    for index, replica in enumerate(replicas):
        if not isinstance(replica, dict):
            continue
        region = replica.get("Region")
        key = (replica.get("SSESpecification") or {}).get("KMSMasterKeyId")
        if isinstance(region, str) and region in declared and declared[region] == key:
            out[f"Replicas[{index}].SSESpecification.KMSMasterKeyId"] = region
    return out


def _implausible_replica_key(value: Any, region: str, stack: StackTemplate) -> str | None:
    """Why a key declared for a global table replica in ``region`` cannot be that region's key
    of the domain, or None when it may be (a key ARN of that region;
    DynamoDB wants a key "created in the same region as the replica": AWS CloudFormation,
    "AWS::DynamoDB::GlobalTable ReplicaSSESpecification",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-replicassespecification.html)."""
    text = render(value)
    key = parse_key_text(text, stack.environment) if text is not None else None
    if key is None or key.kind != "key":
        return "it is not a key ARN (an alias or id does not identify one key)"
    if key.region != region:
        return f"the key is in {key.region}"
    return None  # its account and policy are what CDKP010 asks to verify


def _replica_region(path: str, props: Mapping[str, Any]) -> str | None:
    """The region of the global table replica whose key ``path`` is
    (``Replicas[2].SSESpecification.KMSMasterKeyId``), else None."""
    match = re.match(r"Replicas\[(\d+)\]\.", path)
    replicas = props.get("Replicas")
    if match is None or not isinstance(replicas, list) or int(match.group(1)) >= len(replicas):
        return None
    replica = replicas[int(match.group(1))]
    region = replica.get("Region") if isinstance(replica, dict) else None
    return region if isinstance(region, str) else None


def _ref_verdict(
    ref: KeyRef, stack: StackTemplate | None = None, region: str | None = None
) -> tuple[str, str]:
    if ref.kind == "domain_key":
        where = f" in {ref.key.stack.root.name}" if ref.key is not None else ""
        text = f"the key of domain {ref.domain!r}{where} ({ref.description})"
        store_region = region or (stack.environment.region if stack is not None else None)
        if (
            ref.key is not None
            and ref.key.region
            and store_region
            and (ref.key.region != store_region)
        ):
            text = (
                f"the key of domain {ref.domain!r} in region {ref.key.region} "
                f"({ref.description}), but the data is in {store_region}: a store uses the "
                f"domain's key of its own region (a DomainReplica in {store_region}, whose store "
                "methods put stores on it)"
            )
        if ref.referenced is not None and store_region and ref.referenced[1] != store_region:
            text = (
                f"the key of domain {ref.domain!r} in region {ref.referenced[1]} "
                f"({ref.description}), but the data is in {store_region}: a store uses a key of "
                "its own region (reference the domain's key of that region)"
            )
        return "CDKP004", text
    return _REF_RULES[ref.kind], ref.description


def _verdict(
    resolver: KeyResolver,
    stack: StackTemplate,
    use: catalogue.KeyUse,
    domain: str,
    depth: int = 0,
    region: str | None = None,
) -> tuple[str, str] | None:
    """None when ``use`` is on ``domain``'s key (of ``region``, a global table replica's, when
    given), else (rule id, what it is on now)."""
    if use.state == "customer_key":
        ref = resolver.resolve(use.key, stack)
        if resolver.on_domain_key(ref, domain, stack, region):
            return None
        if region is not None and ref.declared_region == region:
            return "CDKP010", ref.description
        return _ref_verdict(ref, stack, region)
    if use.state == "inherited":
        source = _source_resource(stack, use.key)
        if source is None or depth > 5:
            return (
                "CDKP005",
                f"inherited ({use.detail}), and {use.source} = {_short(use.key)} is not a "
                "resource of this assembly, so that key cannot be checked; name the domain key "
                "explicitly",
            )
        source_id, source_resource = source
        props = source_resource.get("Properties")
        source_uses = catalogue.classify(
            str(source_resource.get("Type", "")), props if isinstance(props, dict) else None
        )
        storage = next((u for u in source_uses or [] if u.path == use.path), None)
        if storage is None:
            return (
                "CDKP005",
                f"inherited from {source_id} ({source_resource.get('Type')}), whose key the "
                "catalogue cannot read",
            )
        verdict = _verdict(resolver, stack, storage, domain, depth + 1)
        if verdict is None:
            return None
        return verdict[0], (
            f"inherited from {source_id}, whose {_is(storage.where, storage.found)}: {verdict[1]}"
        )
    return _STATE_RULES[use.state], use.detail or use.state.replace("_", " ")


def _source_resource(stack: StackTemplate, value: Any) -> tuple[str, dict[str, Any]] | None:
    """The resource a ``Ref``/``Fn::GetAtt`` in ``stack`` names, also inside the ARN the CDK
    builds with ``Fn::Join`` around one such reference (a read replica's source)."""
    if isinstance(value, dict) and list(value) == ["Fn::Join"]:
        arg = value["Fn::Join"]
        parts = arg[1] if isinstance(arg, list) and len(arg) == 2 else None
        refs = [
            p for p in (parts if isinstance(parts, list) else [])
            if isinstance(p, dict) and _source_resource(stack, p) is not None
        ]  # fmt: skip
        return _source_resource(stack, refs[0]) if len(refs) == 1 else None
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        target = None
        if fn == "Ref" and isinstance(arg, str):
            target = arg
        elif fn == "Fn::GetAtt":
            target = arg.split(".")[0] if isinstance(arg, str) else (arg or [None])[0]
        resource = stack.resources.get(target) if isinstance(target, str) else None
        if isinstance(resource, dict):
            return str(target), resource
    return None


# -- service contracts: what AWS requests for the store must pass the key policy ---------------
def _audit_contracts(
    assembly: CloudAssembly, stack: StackTemplate, domain: str, base: Mapping[str, Any]
) -> Iterator[Finding]:
    """The create and attach rows of the store's service contract (CloudFormation's role through
    the service, the EC2 infrastructure role) evaluated against its domain's key policy."""
    store = contracts.STORE_TYPES.get(base["resource_type"])
    if store is None:
        return
    key = assembly.domain_key_for(domain, stack) or next(
        (k for k in assembly.domain_keys if k.name == domain and k.stack.root is stack.root),
        next((k for k in assembly.domain_keys if k.name == domain), None),
    )
    if key is None:
        return
    resource = key.stack.resources[key.logical_id]
    deployer = (resource.get("Metadata") or {}).get(DEPLOYMENT_ROLE_METADATA_KEY)
    policy = (resource.get("Properties") or {}).get("KeyPolicy")
    if deployer is None or not isinstance(policy, dict):
        return  # a key not written by this version: nothing to hold the rows against
    refused = _refused_rows(assembly, key, policy, deployer, store)
    if refused:
        yield _finding(
            "CDKP107",
            f"{base['path']} of domain {domain!r}: the domain key policy refuses what AWS "
            f"requests for it: {'; '.join(refused)}.",
            fix=_CONTRACT_FIXES.get(store),
            location="KeyPolicy",
            **base,
        )


#: Store -> how to get its contract statements written (CDKP107's fix for that store).
_CONTRACT_FIXES = {
    "launch_template": "create its EBS volumes with `domain.ebs_volume(...)` (or the template "
    "with `domain.launch_template(...)`): the key policy then has what EC2 requests at launch",
    "volume": "create it with `domain.volume(...)` or pass `encryption_key=domain.key` to the L2",
}


def _refused_rows(
    assembly: CloudAssembly, key: DomainKey, policy: dict[str, Any], deployer: Any, store: str
) -> tuple[str, ...]:
    """The create/attach contract requests of ``store`` the key policy refuses (the same for
    every store of the kind on one key: decided once)."""
    cache_key = ("refused", id(key.stack), key.logical_id, store)  # ids live as long as assembly
    cached = assembly.memo.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    prepared = _prepared_policy(assembly, key, policy)
    env = key.stack.environment
    fill = {
        "{partition}": env.partition_text,
        "{account}": env.account_text,
        "{region}": env.region_text,
    }
    refused: list[str] = []
    for row in contracts.rows_for(store):
        if row.phase not in ("create", "attach"):
            continue
        if row.caller not in ("deployment_role", "infrastructure_role"):
            continue
        context = {k: _fill(v, fill) for k, v in row.context.items()}
        principal = (
            _with_env(str(evaluator.canonicalize(deployer)), env)
            if row.caller == "deployment_role"
            else _fill(row.principal, fill)
        )
        who = row.caller.replace("_", " ")
        for action in row.actions:
            request = evaluator.Request(action, principal, env.account_text, context=context)
            try:
                decision = evaluator.evaluate(prepared, request)
            except ValueError as error:
                refused.append(f"{action} by the {who}: undecidable ({error})")
                continue
            if decision == "explicit_deny" or (decision != "allow" and not row.via_grant):
                refused.append(f"{action} by the {who} at {row.phase} ({row.source})")
    assembly.memo[cache_key] = tuple(refused)
    return tuple(refused)


def _fill(text: str, fill: Mapping[str, str]) -> str:
    for placeholder, value in fill.items():
        text = text.replace(placeholder, value)
    return text


def _prepared_policy(
    assembly: CloudAssembly, key: DomainKey, policy: dict[str, Any]
) -> evaluator.CanonicalPolicy:
    cache_key = ("prepared", id(key.stack), key.logical_id)
    prepared = assembly.memo.get(cache_key)
    if prepared is None:
        # pseudo parameters the stack's environment decides, written as their values (as the
        # requests are), so that ARN patterns compare part by part
        text = _with_env(json.dumps(evaluator.canonicalize(policy)), key.stack.environment)
        prepared = assembly.memo[cache_key] = evaluator.prepare(json.loads(text))
    return prepared  # type: ignore[no-any-return]


def _with_env(text: str, env: Environment) -> str:
    """``text`` with the pseudo parameters the environment decides written as their values."""
    for pseudo, value in (
        ("${AWS::Partition}", env.partition_text),
        ("${AWS::AccountId}", env.account_text),
        ("${AWS::Region}", env.region_text),
    ):
        text = text.replace(pseudo, value)
    return text


# -- buckets: writers must not pick another encryption ---------------------------------------
# Amazon S3 User Guide, "Setting default server-side encryption behavior for Amazon S3 buckets"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html): default
# encryption applies to a new object only when the PUT request names no encryption; a request may
# name SSE-S3, DSSE-KMS or another KMS key (x-amz-server-side-encryption,
# x-amz-server-side-encryption-aws-kms-key-id), and "aws:kms" without a key id uses the AWS
# managed key aws/s3 ("Specifying server-side encryption with AWS KMS (SSE-KMS)",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html).
_ENC = "s3:x-amz-server-side-encryption"
_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
_FOREIGN_KEY = "arn:aws:kms:us-east-1:999999999999:key/cdk-partition-probe"
_PUT_PROBES: tuple[tuple[str, dict[str, str]], ...] = (
    ("SSE-S3 (AES256)", {_ENC: "AES256"}),
    ("DSSE-KMS", {_ENC: "aws:kms:dsse"}),
    ("another KMS key", {_ENC: "aws:kms", _KEY_ID: _FOREIGN_KEY}),
    ("aws:kms without a key id (aws/s3)", {_ENC: "aws:kms"}),
)


def _audit_bucket_puts(
    assembly: CloudAssembly,
    resolver: KeyResolver,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    domain: str,
    base: Mapping[str, Any],
) -> Iterator[Finding]:
    props = resource.get("Properties")
    uses = catalogue.classify("AWS::S3::Bucket", props if isinstance(props, dict) else None) or []
    on_domain_key = [
        u
        for u in uses
        if u.state == "customer_key"
        and (lambda r: resolver.on_domain_key(r, domain, stack))(resolver.resolve(u.key, stack))
    ]
    if not on_domain_key:
        return  # the store pass already reports a bucket that is not on the domain key
    statements = assembly.bucket_policy_statements(stack, logical_id)
    # bucket policies of one app differ only in the bucket they name (Resource, not evaluated)
    # and the key reference (never equal to a probe's): one evaluation per shape
    shape = json.dumps(
        [{k: v for k, v in s.items() if k not in ("Resource", "Sid")} if isinstance(s, dict)
         else s for s in statements],
        sort_keys=True,
    )  # fmt: skip
    cached = _PUT_DECISIONS.get(shape)
    if cached is None:
        cached = _put_decisions(statements)
        if len(_PUT_DECISIONS) < 1024:
            _PUT_DECISIONS[shape] = cached
    if isinstance(cached, str):
        yield _finding(
            "CDKP008",
            f"S3 bucket {base['path']} of domain {domain!r}: its bucket policy cannot be "
            f"evaluated for PutObject ({cached}), so the checks cannot tell whether writers can "
            "put objects under another key.",
            location="BucketPolicy",
            **base,
        )
        return
    open_to = list(cached)
    if open_to:
        yield _finding(
            "CDKP008",
            f"S3 bucket {base['path']} of domain {domain!r} is on the domain key by default, but "
            "S3 applies default encryption only when a PUT names none, and no bucket policy "
            f"denies s3:PutObject asking for {', '.join(open_to)}: writers can store objects "
            "outside the domain key.",
            location="BucketPolicy",
            **base,
        )


_PUT_DECISIONS: dict[str, tuple[str, ...] | str] = {}


def _put_decisions(statements: list[Any]) -> tuple[str, ...] | str:
    """The PUT probes a bucket policy does not deny, or why it cannot be evaluated."""
    document = evaluator.prepare({"Version": "2012-10-17", "Statement": statements})
    open_to: list[str] = []
    for label, context in _PUT_PROBES:
        request = evaluator.Request(
            action="s3:PutObject",
            principal_arn="arn:aws:iam::${AWS::AccountId}:role/cdk-partition-writer-probe",
            account="${AWS::AccountId}",
            context=context,
            identity_allows=True,
        )
        try:
            decision = evaluator.evaluate(document, request)
        except ValueError as error:
            return f"a PutObject asking for {label}: {error}"
        if decision != "explicit_deny":
            open_to.append(label)
    return tuple(open_to)


# -- stores created by custom resources --------------------------------------------------------
def _audit_custom_resource(
    stack: StackTemplate, resource: Mapping[str, Any], base: Mapping[str, Any]
) -> Iterator[Finding]:
    props = resource.get("Properties")
    props = props if isinstance(props, dict) else {}
    calls = sorted(set(_sdk_calls(props)) | set(_handler_actions(stack, props.get("ServiceToken"))))
    if calls:
        yield _finding(
            "CDKP009",
            f"{base['path']} ({base['resource_type']}) of domain {base['domain']!r} can create "
            f"stores at deploy time, outside the template the checks read: "
            f"{'; '.join(calls)}.",
            location="Properties",
            **base,
        )


def _sdk_calls(props: Mapping[str, Any]) -> Iterator[str]:
    """``Create``/``Update`` calls of an ``AwsCustomResource`` (``Custom::AWS``) that create a
    store, as ``SERVICE.action (creates TYPE)``."""
    for phase in ("Create", "Update"):
        value = props.get(phase)
        text = value if isinstance(value, str) else _join_text(value)
        if not text:
            continue
        try:
            call = json.loads(text)
        except ValueError:
            continue
        if not isinstance(call, dict):
            continue
        service, action = str(call.get("service", "")), str(call.get("action", ""))
        created = catalogue.store_created_by_call(service, action)
        if created:
            yield f"{phase}: {service}.{action} (creates {created})"


def _join_text(value: Any) -> str | None:
    """An ``Fn::Join`` of strings and tokens as text, tokens as ``"0"`` (JSON-safe filler)."""
    if not isinstance(value, dict) or list(value) != ["Fn::Join"]:
        return None
    arg = value["Fn::Join"]
    if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[1], list):
        return None
    return str(arg[0]).join(p if isinstance(p, str) else "0" for p in arg[1])


def _handler_actions(stack: StackTemplate, token: Any, depth: int = 0) -> Iterator[str]:
    """Store-creating IAM actions the custom resource's handler may call: the Lambda function
    behind ``ServiceToken`` (and the function a provider framework forwards to), through the
    policies of its execution role."""
    source = _source_resource(stack, token)
    if source is None or depth > 2:
        return
    _, function = source
    if function.get("Type") != "AWS::Lambda::Function":
        return
    props = function.get("Properties") or {}
    role = _source_resource(stack, props.get("Role"))
    if role is not None:
        for action in _role_actions(stack, role[0], role[1]):
            created = catalogue.store_created_by_action(action)
            if created:
                yield f"handler may call {action} (creates {created})"
    variables = ((props.get("Environment") or {}).get("Variables")) or {}
    for value in variables.values() if isinstance(variables, dict) else []:
        yield from _handler_actions(stack, value, depth + 1)


def _role_actions(stack: StackTemplate, role_id: str, role: Mapping[str, Any]) -> Iterator[str]:
    props = role.get("Properties") or {}
    if props.get("ManagedPolicyArns"):
        # AWS managed or imported policies: the template cannot show what they allow
        yield "sts:UnknownManagedPolicy"
    documents = [
        p.get("PolicyDocument") for p in (props.get("Policies") or []) if isinstance(p, dict)
    ]
    for resource in stack.resources.values():
        if resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            props = resource.get("Properties") or {}
            if {"Ref": role_id} in (props.get("Roles") or []):
                documents.append(props.get("PolicyDocument"))
    for document in documents:
        if not isinstance(document, dict):
            continue
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if isinstance(statement, dict) and statement.get("Effect") == "Allow":
                actions = statement.get("Action", [])
                for action in actions if isinstance(actions, list) else [actions]:
                    if isinstance(action, str):
                        yield from catalogue.store_create_actions_matching(action)


# -- deployability: dependency cycles ----------------------------------------------------------
def _audit_cycles(assembly: CloudAssembly, stack: StackTemplate) -> Iterator[Finding]:
    """A dependency cycle among the resources of a template: CloudFormation refuses the stack
    ("Circular dependency between resources"); see :mod:`cdk_partition.assembly.cycles`."""
    for cycle in cycles.find_cycles(stack.template):
        first = cycle[0]
        resource = stack.resources.get(first) or {}
        placement = assembly.domain_of(stack, first, resource)
        names = [resource_path(stack, i, stack.resources.get(i) or {}) for i in cycle]
        yield _finding(
            "CDKP012",
            f"{' -> '.join([*names, names[0]])}: a dependency cycle, which CloudFormation refuses "
            "to deploy.",
            location="DependsOn/Ref/Fn::GetAtt",
            **_base(stack, first, resource, placement.domain),
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


def audit_key(key: DomainKey, resolver: KeyResolver | None = None) -> Iterator[Finding]:
    """Rotation on; DenyEveryoneElse present and effective; no open or over-broad Allow; a
    policy the evaluator cannot decide is a finding (CDKP105), never a crash. A replica key
    (``AWS::KMS::ReplicaKey``) is held to the same policy rules, and its ``PrimaryKeyArn`` must
    resolve (with ``resolver``) to the multi-Region key of its domain (CDKP108)."""
    resource = key.stack.resources[key.logical_id]
    props = resource.get("Properties") or {}
    base = _base(key.stack, key.logical_id, resource, key.name)

    def finding(rule_id: str, message: str, location: str, value: Any = None) -> Finding:
        return _finding(
            rule_id,
            f"Key of domain {key.name!r} ({key.path}): {message}",
            location=location,
            value=_short(value) if value is not None else None,
            **base,
        )

    if key.replica:
        # AWS KMS API Reference, "ReplicateKey"
        # (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html): a primary
        # and its replicas share "automatic key rotation status" (no rotation property of its
        # own); every other property, the key policy included, is the replica's own.
        yield from _audit_replica_link(key, props, resolver, finding)
    elif props.get("EnableKeyRotation") not in (True, "true"):
        yield finding(
            "CDKP101",
            "EnableKeyRotation is not true.",
            "EnableKeyRotation",
            props.get("EnableKeyRotation"),
        )
    policy = props.get("KeyPolicy")
    if not isinstance(policy, dict):
        yield finding("CDKP102", "the key policy is not a literal document.", "KeyPolicy", policy)
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
    try:
        open_actions = [
            p.action for p in probes if evaluator.evaluate(denies, p) != "explicit_deny"
        ]
    except ValueError as error:
        yield finding(
            "CDKP105",
            f"its Deny statements cannot be evaluated ({error}), so the checks cannot tell "
            "whether an unnamed principal is refused.",
            "KeyPolicy.Statement",
        )
        open_actions = []
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
            yield finding(
                "CDKP103",
                f"statement {sid} allows '*' without conditions.",
                f"{location}.Principal",
                principal,
            )
            continue
        if aws is None:
            for problem in _service_statement_problems(statement):
                yield finding(
                    "CDKP106",
                    f"statement {sid} {problem}",
                    f"{location}.Principal",
                    statement.get("Principal"),
                )
            continue
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
            yield finding(
                "CDKP104",
                f"statement {sid} gives {_short(aws)} {detail}.",
                f"{location}.{'Action' if 'Action' in statement else 'NotAction'}",
                statement.get("Action", statement.get("NotAction")),
            )


def _audit_replica_link(
    key: DomainKey, props: Mapping[str, Any], resolver: KeyResolver | None, finding: Any
) -> Iterator[Finding]:
    """A domain replica key's ``PrimaryKeyArn`` names its domain's multi-Region primary key, of
    the same account, in another region."""
    if resolver is None:
        return
    value = props.get("PrimaryKeyArn")
    ref = resolver.resolve(value, key.stack)
    primary = ref.key
    if ref.kind != "domain_key" or ref.domain != key.name or primary is None or primary.replica:
        yield finding(
            "CDKP108",
            f"its PrimaryKeyArn is {ref.description}, not the key of domain {key.name!r}.",
            "PrimaryKeyArn",
            value,
        )
        return
    primary_props = primary.stack.resources[primary.logical_id].get("Properties") or {}
    problems = []
    if primary_props.get("MultiRegion") not in (True, "true"):
        problems.append(f"the primary {primary.path} is not MultiRegion")
    if key.region not in primary.replica_regions:
        problems.append(f"{key.region} is not one of the domain's replica_regions")
    if primary.stack.environment.account != key.stack.environment.account:
        problems.append("the primary is in another account")
    if problems:
        yield finding("CDKP108", f"{'; '.join(problems)}.", "PrimaryKeyArn", value)


def _service_statement_problems(statement: Mapping[str, Any]) -> Iterator[str]:
    """What an Allow to AWS service principals gives beyond their service contracts
    (:data:`cdk_partition.knowledge.contracts.CONTRACTS`): actions outside the rows, or no condition where
    every row of the service is scoped."""
    principal = statement.get("Principal")
    services = principal.get("Service") if isinstance(principal, Mapping) else None
    actions = _expand(_as_list(statement.get("Action", [])))
    if "NotAction" in statement:
        actions = set(KMS_KEY_ACTIONS) - _expand(_as_list(statement["NotAction"]))
    for service in _as_list(services):
        text = str(evaluator.canonicalize(service))
        rows = [
            r
            for r in contracts.CONTRACTS
            if r.caller == "service_principal"
            and fnmatchcase(text, r.principal.replace("{region}", "*"))
        ]
        if not rows:
            yield f"allows {text}, which has no service contract with a domain key."
            continue
        allowed = _expand(a for r in rows for a in r.actions)
        beyond = sorted(actions - allowed)
        if beyond:
            yield f"gives {text} {', '.join(beyond)}, beyond its contract ({rows[0].source})."
        if not statement.get("Condition") and all(r.context for r in rows):
            yield (
                f"allows {text} without conditions, although AWS supports scoping it "
                f"({', '.join(sorted({k for r in rows for k in r.context}))})."
            )


def _grant_for_aws_resource(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    flag = (condition.get("Bool") or {}).get("kms:GrantIsForAWSResource")
    return str(flag).lower() == "true"


# -- exemptions ------------------------------------------------------------------------------
def _apply_exemptions(finding: Finding, assembly: CloudAssembly) -> Finding:
    stack = assembly.stack_of_file(finding.template_path)
    if stack is None:
        return finding
    resource = stack.resources.get(finding.logical_id)
    metadata = (resource.get("Metadata") if isinstance(resource, dict) else None) or {}
    if finding.rule not in EXEMPTIBLE_RULES or finding.resource_type in (
        "AWS::KMS::Key",
        "AWS::KMS::ReplicaKey",
    ):
        return finding
    for exemption in metadata.get(EXEMPTIONS_METADATA_KEY) or []:
        if not isinstance(exemption, dict) or exemption.get("rule") != finding.rule:
            continue
        reason = exemption.get("reason")
        # written by hand as metadata, an exemption still needs its sentence (exempt() asks too)
        if isinstance(reason, str) and len(reason.split()) >= _MIN_REASON_WORDS:
            return replace(finding, exempted=True, reason=reason)
    return finding


def failing(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that fail a synth or the CLI: errors that are not exempted."""
    return [f for f in findings if f.severity == "error" and not f.exempted]

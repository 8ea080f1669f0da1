"""Stores: every key slot of a store of a domain holds the domain's key (CDKP001-CDKP006,
CDKP010, CDKP011, CDKP032).

The catalogue (:mod:`cdk_partition.knowledge.catalogue`) says where each store type keeps its key
and what it does without one; a key inherited from another resource (read replica, snapshot
restore) is read through that resource (:meth:`~cdk_partition.assembly.CloudAssembly.referenced_resource`)
or reported as unresolvable. Any other property that names a KMS key
(:func:`cdk_partition.knowledge.catalogue.kms_key_paths`, generated from the CloudFormation
schemas) must name the domain key too, whether or not the type is catalogued. Keys are resolved
by :class:`~cdk_partition.assembly.keys.KeyResolver`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.keys import KeyRef, KeyResolver
from ..knowledge import catalogue
from ..knowledge.encryption_plan import plan_encryption
from ..marks import parse_key_text, render
from .rules import (
    Finding,
    Rule,
    Source,
    detail_after,
    make_finding,
    no_aws_page,
    property_is,
    short,
)

__all__ = ["RULES", "audit_store"]

_PER_TYPE = (
    "the rule applies the catalogue's facts store type by store type "
    "(cdk_partition.knowledge.catalogue); no one page covers every type"
)
#: Key values are compared by the ARN parts KMS reads a key identifier by (see
#: :mod:`cdk_partition.assembly.keys`).
_KEY_IDENTIFIERS = Source(
    'AWS KMS Developer Guide, "Key identifiers (KeyId)"',
    "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id",
)

#: The store rules, in the registry's order.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP001",
        "error",
        "Store is not encrypted",
        "encrypt it with the domain key",
        source=no_aws_page(_PER_TYPE),
    ),
    Rule(
        "CDKP002",
        "error",
        "Store uses an AWS owned key",
        "encrypt it with the domain key instead of the service's default encryption",
        source=no_aws_page(_PER_TYPE),
    ),
    Rule(
        "CDKP003",
        "error",
        "Store uses an AWS managed key (aws/*)",
        "name the domain key; an aws/* key is usable by every principal of the account",
        source=no_aws_page(_PER_TYPE),
    ),
    Rule(
        "CDKP004",
        "error",
        "Store uses another customer managed key",
        "use this domain's key (another domain's key, a key CDK created for the store, a key "
        "of another account or region, or a literal key id all put the data outside the "
        "domain's key policy)",
        source=_KEY_IDENTIFIERS,
    ),
    Rule(
        "CDKP005",
        "error",
        "Store's key cannot be resolved",
        "reference the domain key directly (domain.key), by cross-stack reference or export, "
        "or by its alias in an explicit env",
        source=_KEY_IDENTIFIERS,
    ),
    Rule(
        "CDKP006",
        "warning",
        "Data-store-like type is not in the catalogue",
        "check its encryption by hand, then exempt it with the reason: "
        "`exempt(construct, 'CDKP006', reason)` (written into the template, so "
        "`cdk-partition audit` honours it too; a CDK Acknowledgment quiets only the synth)",
        source=no_aws_page("the rule flags a type missing from cdk_partition's own catalogue"),
    ),
    Rule(
        "CDKP010",
        "warning",
        "Replica uses a key declared for another region",
        "make sure the key is the domain's key in that region (same key policy), then exempt "
        "the store with the reason: `exempt(construct, 'CDKP010', reason)` (written into the "
        "template, so `cdk-partition audit` honours it too; a CDK Acknowledgment quiets only "
        "the synth)",
        source=Source(
            'AWS CloudFormation User Guide, "AWS::DynamoDB::GlobalTable ReplicaSSESpecification"',
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
            "aws-properties-dynamodb-globaltable-replicassespecification.html",
        ),
    ),
    Rule(
        "CDKP011",
        "error",
        "Store type cannot use a customer managed key",
        "keep the domain's data out of it (the service offers only an encryption switch), "
        "or exempt it with the reason it holds none",
        source=no_aws_page(
            "what protects each keyless type is its catalogue entry's reason "
            "(cdk_partition.knowledge.catalogue.KEYLESS_STORES); no one page covers every type"
        ),
    ),
    Rule(
        "CDKP032",
        "warning",
        "Configuration store cannot use a customer managed key",
        "keep the domain's data out of it (a secret on the domain key: `domain.secret(...)`), "
        "then exempt it with the reason it holds none: `exempt(construct, 'CDKP032', reason)`",
        source=no_aws_page(
            "the type's catalogue entry (cdk_partition.knowledge.catalogue.KEYLESS_STORES) cites "
            "the pages that say it takes no key; whether it holds data only the app knows"
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


_STATE_RULES = {
    "unencrypted": "CDKP001",
    "aws_owned": "CDKP002",
    "aws_managed": "CDKP003",
    "undecided": "CDKP005",
}
_REF_RULES = {"other_cmk": "CDKP004", "aws_managed": "CDKP003", "unresolved": "CDKP005"}
_LT_MAPPINGS = "LaunchTemplateData.BlockDeviceMappings"


def audit_store(
    assembly: CloudAssembly,
    resolver: KeyResolver,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    domain: str,
    base: Mapping[str, Any],
) -> list[Finding]:
    """The findings about the key slots of ``resource``, a resource of ``domain``."""
    cfn_type = str(resource.get("Type", ""))
    store_findings = list(_audit_store(assembly, resolver, stack, resource, domain, base))
    if cfn_type == "AWS::EC2::LaunchTemplate" and _only_overriding_instances(
        assembly, stack, logical_id
    ):
        # a template without mappings used only by instances that map every volume themselves
        # (the IMDSv2 template the CDK makes for ec2.Instance): the instances' mappings win
        store_findings = [
            f for f in store_findings if not (f.location or "").startswith(_LT_MAPPINGS)
        ]
    return store_findings


def _only_overriding_instances(
    assembly: CloudAssembly, stack: StackTemplate, logical_id: str
) -> bool:
    """``logical_id`` (a launch template with no block device mappings) is used only by EC2
    instances of the same template that have block device mappings of their own."""
    template = stack.resources[logical_id]
    data = (template.get("Properties") or {}).get("LaunchTemplateData") or {}
    if data.get("BlockDeviceMappings"):
        return False
    users = assembly.launch_template_users(stack, logical_id)
    return bool(users) and all(
        u.get("Type") == "AWS::EC2::Instance"
        and (u.get("Properties") or {}).get("BlockDeviceMappings")
        for u in users
    )


def _audit_store(
    assembly: CloudAssembly,
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
        yield make_finding(
            _RULE["CDKP006"],
            f"{base['path']} ({cfn_type}) may hold data of domain {domain!r}, but the catalogue does "
            "not know where its key lives, so it is not checked.",
            **base,
        )
    keyless = catalogue.keyless_reason(cfn_type, props)
    if keyless is not None and catalogue.KEYLESS_STORES[cfn_type].configuration:
        yield make_finding(
            _RULE["CDKP032"],
            f"{base['path']} ({cfn_type}) is in domain {domain!r}, but the type cannot name a "
            f"customer managed key: {keyless}. Any domain data in it is outside the key policy.",
            **base,
        )
    elif keyless is not None:
        yield make_finding(
            _RULE["CDKP011"],
            f"{base['path']} ({cfn_type}) holds data of domain {domain!r}, but the type cannot name a "
            f"customer managed key: {keyless}.",
            **base,
        )
    checked: set[str] = set()
    declared = _declared_replica_keys(assembly, resource, props)
    for use in uses or []:
        checked.add(use.path)
        verdict = _verdict(
            assembly, resolver, stack, use, domain, region=_replica_region(use.path, props)
        )
        if verdict is None:
            continue
        region = declared.get(use.path)
        wrong = _implausible_replica_key(use.key, region, stack) if region else None
        if region is not None and verdict[0] == "CDKP004" and wrong is None:
            yield make_finding(
                _RULE["CDKP010"],
                f"{what} {base['path']} of domain {domain!r}: its replica in {region} uses "
                f"{short(use.key)}, declared by the domain's store method as the key of that "
                "region. Its key policy is outside this cloud assembly, so the checks cannot "
                "vouch for it.",
                location=use.path,
                value=short(use.key),
                **base,
            )
            continue
        rule_id, now = verdict
        if wrong is not None:
            now = f"{now}; declared for {region}, but {wrong}"
        # the property the verdict was read from, with its own value (a switch such as
        # SSEAlgorithm decides a slot whatever its key property holds)
        yield make_finding(
            _RULE[rule_id],
            f"{what} {base['path']} of domain {domain!r} must use the domain key, but "
            f"{property_is(use.where, use.found)} ({detail_after(use.where, use.found, now)}).",
            fix=None
            if rule_id == "CDKP010"
            else with_mixin(
                fix_hint,
                cfn_type,
                props,
                _key_regions(assembly, domain, stack, declared),
                direct=not str(base["path"]).endswith(_L2_CHILDREN),
            ),
            location=use.where,
            value=short(use.found) if use.found is not None else None,
            **base,
        )
    # any property that names a KMS key, catalogued or not
    for key_path, value in catalogue.key_values(cfn_type, props):
        if key_path in checked:
            continue
        ref = resolver.key_of_slot(value, stack)
        if resolver.on_domain_key(ref, domain, stack):
            continue
        rule_id, now = _ref_verdict(ref, stack)
        yield make_finding(
            _RULE[rule_id],
            f"{what} {base['path']} of domain {domain!r} names a KMS key in {key_path}, which must be "
            f"the domain key, but {property_is(key_path, value)} ({now}).",
            fix=fix_hint if spec else f"pass the domain key (`domain.key`) as {key_path}",
            location=key_path,
            value=short(value),
            **base,
        )


#: The domain's one switch as a store finding offers it; ``tests/test_mixin_fixes.py`` applies it
#: as written to every example of the catalogue's tables and finds no store finding left.
MIXIN_FIX = "cdk.Mixins.of(construct).apply(domain.encryption_at_rest(replace_keys=True))"


#: The ids aws-cdk-lib's L2s give the L1 they wrap (``node.default_child``): a resource whose
#: construct path ends otherwise was written as an L1 (or by another library's construct, or in a
#: hand-written template), so a fix naming an L2's props does not apply to it as written.
_L2_CHILDREN = ("/Resource", "/Default")


def with_mixin(
    fix: str,
    cfn_type: str,
    props: Mapping[str, Any],
    key_regions: Callable[[Any], bool] | None = None,
    *,
    direct: bool = False,
) -> str:
    """``fix``, and the domain's mixin (:data:`MIXIN_FIX`) when it would put this resource on the
    domain key: the pure plan the mixin applies (:func:`plan_encryption`) sets every slot with
    nothing left to note (no inherited key, no slot or switch behind an intrinsic, no global
    table replica in a region where the domain has no key: ``key_regions`` tells, for a region
    value, whether the domain has a key there; default: only in the resource's own region).
    ``direct``: the resource was written as an L1 (not an L2's default child), so the mixin, which
    applies to the L1 as it is, comes first, and the type's own fix (an L2 or a store method) is
    the alternative of rebuilding it."""
    has_key = key_regions or (lambda region: region is None)
    plan = plan_encryption(
        cfn_type,
        props,
        "<domain key>",
        is_domain_key=lambda _: False,
        replace_keys=True,
        key_in_region=lambda region: "<domain key>" if has_key(region) else None,
    )
    if plan is None or plan.notes:
        return fix
    if direct:
        return (
            "apply the domain's one switch to the construct (or a scope above it), which sets "
            f"every key property its type needs: `{MIXIN_FIX}`; or rebuild it: {fix}"
        )
    return f"{fix}; or apply the domain's one switch to the construct (or a scope above it): `{MIXIN_FIX}`"


def _key_regions(
    assembly: CloudAssembly, domain: str, stack: StackTemplate, declared: Mapping[str, str]
) -> Callable[[Any], bool]:
    """Whether ``domain`` has a key in a region (a value of a ``set.region`` property: None for
    the resource's own region): the stack's own, the regions of the domain's keys in the Stage and
    those its multi-Region primary declares, and regions a store method declared a key for."""
    home = stack.environment.region
    key = assembly.domain_key_for(domain, stack)
    regions: set[Any] = {*declared.values()}
    for k in assembly.keys_of(key) if key is not None else []:
        regions.update((k.region, *k.replica_regions))
    return lambda region: (
        region is None
        or region == {"Ref": "AWS::Region"}
        or (isinstance(region, str) and (region == home or region in regions))
    )


def _declared_replica_keys(
    assembly: CloudAssembly, resource: Mapping[str, Any], props: Mapping[str, Any]
) -> dict[str, str]:
    """Key path -> region, for replica key slots whose value is the key a store method declared
    for that replica's region (``cdk_partition:replica_keys``)."""
    declared = assembly.declared_replica_keys(resource)
    replicas = props.get("Replicas")
    if declared is None or not isinstance(replicas, list):
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
    assembly: CloudAssembly,
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
        source = assembly.referenced_resource(stack, use.key)
        if source is None or depth > 5:
            return (
                "CDKP005",
                f"inherited ({use.detail}), and {use.source} = {short(use.key)} is not a "
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
        verdict = _verdict(assembly, resolver, stack, storage, domain, depth + 1)
        if verdict is None:
            return None
        return verdict[0], (
            f"inherited from {source_id}, whose {property_is(storage.where, storage.found)}: {verdict[1]}"
        )
    return _STATE_RULES[use.state], use.detail or use.state.replace("_", " ")

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
   create a store; nested stacks whose template is not in the assembly, stack sets and AWS SAM
   resources (``CDKP014``-``CDKP016``).
6. **the domain key itself** (``CDKP101``-``CDKP108``).
7. **identities** (``CDKP019``, ``CDKP020``): every principal an identity policy allows a data
   action on a domain store must be allowed the KMS requests it makes by the domain key; so must
   the role of an AWS Backup selection of a domain store (``CDKP023``) and the role a domain
   store runs with (a state machine's execution role, ``CDKP024``).

One module per family of rules, each declaring its rules (id, severity, title, fix and the AWS
page it rests on, :class:`Rule`) and asking the model (:class:`~cdk_partition.assembly.CloudAssembly`,
:class:`~cdk_partition.assembly.keys.KeyResolver`) named questions:
:mod:`~cdk_partition.audit.placement` (CDKP007, CDKP013), :mod:`~cdk_partition.audit.stores`
(CDKP001-CDKP006, CDKP010, CDKP011, CDKP032), :mod:`~cdk_partition.audit.bucket_puts` (CDKP008),
:mod:`~cdk_partition.audit.custom_resources` (CDKP009), :mod:`~cdk_partition.audit.outside`
(CDKP014-CDKP016), :mod:`~cdk_partition.audit.identities` (CDKP019, CDKP020),
:mod:`~cdk_partition.audit.integrations` (CDKP021, CDKP022),
:mod:`~cdk_partition.audit.backups` (CDKP023), :mod:`~cdk_partition.audit.run_roles` (CDKP024),
:mod:`~cdk_partition.audit.door_uses` (CDKP104 for a door statement no store needs),
:mod:`~cdk_partition.audit.cycles`
(CDKP012), :mod:`~cdk_partition.audit.key_policy` (CDKP101-CDKP106, CDKP108),
:mod:`~cdk_partition.audit.contracts` (CDKP107) and :mod:`~cdk_partition.audit.exemptions`;
:mod:`~cdk_partition.audit.rules` holds the types, :mod:`~cdk_partition.audit.registry` collects
:data:`RULES`, :mod:`~cdk_partition.audit.organization` the rules across assemblies.

A rule that crashes becomes a finding (``CDKP000``), never a broken synth or silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..assembly import (
    CHECKS_METADATA_KEY,
    DOMAIN_METADATA_KEY,
    EXEMPTIONS_METADATA_KEY,
    PATH_METADATA_KEY,
    AssemblyInputError,
    CloudAssembly,
    StackTemplate,
    load,
    load_templates,
)
from ..assembly.keys import KeyResolver
from .backups import audit_backup_selections
from .bucket_puts import audit_bucket_puts
from .contracts import audit_contracts
from .custom_resources import audit_custom_resource
from .cycles import audit_cycles
from .deliveries import (
    audit_deliveries,
    delivery_accounts,
    unwired_unscoped,
    wired_delivery_rows,
    with_delivery_fix,
)
from .documents import audit_emr_security_configuration, collection_policy_findings
from .door_uses import audit_door_uses
from .egress import audit_egress
from .exemptions import EXEMPTIBLE_ON, EXEMPTIBLE_RULES, KEY_EXEMPTIBLE_RULES, apply_exemptions
from .identities import audit_identities
from .integrations import audit_integrations, wired_sources
from .key_grants import audit_key_grants
from .key_policy import audit_key
from .key_users import audit_key_users, audit_key_users_of_no_domain
from .origin_identities import audit_origin_identities
from .outside import audit_outside
from .placement import audit_pending_lookups, audit_placement
from .readability import audit_readability
from .registry import RULES
from .rules import (
    CRASH,
    Finding,
    Rule,
    Severity,
    Source,
    crash,
    make_finding,
    resource_fields,
    short,
)
from .run_roles import audit_run_roles
from .service_grants import audit_service_grants
from .stores import audit_store
from .topic_subscribers import audit_topic_subscribers
from .trust import audit_trust

__all__ = [
    "CHECKS_METADATA_KEY",
    "DOMAIN_METADATA_KEY",
    "EXEMPTIBLE_ON",
    "EXEMPTIBLE_RULES",
    "EXEMPTIONS_METADATA_KEY",
    "KEY_EXEMPTIBLE_RULES",
    "PATH_METADATA_KEY",
    "RULES",
    "AuditInputError",
    "Finding",
    "Rule",
    "Severity",
    "Source",
    "StackTemplate",
    "audit",
    "audit_key",
    "audit_path",
    "failing",
    "load_templates",
]

#: Bad input to the audit (kept under its old name; see :class:`AssemblyInputError`).
AuditInputError = AssemblyInputError


def audit(assembly: CloudAssembly | list[StackTemplate]) -> list[Finding]:
    """Audit a loaded cloud assembly (or a list of templates): every pass, then exemptions."""
    if not isinstance(assembly, CloudAssembly):
        assembly = CloudAssembly(list(assembly))
    resolver = KeyResolver(assembly)
    findings: list[Finding] = []
    for stack, logical_id, resource in assembly.resources_in_scope():
        try:
            findings.extend(_audit_resource(assembly, resolver, stack, logical_id, resource))
        except Exception as error:  # a rule's own crash is a finding, never a broken synth
            findings.append(crash(error, **resource_fields(stack, logical_id, resource, None)))
    for stack, logical_id, resource in assembly.malformed_in_scope():
        # fail closed: a declaration the checks cannot read
        base = {"stack": stack.name, "logical_id": logical_id, "path": f"{stack.name}/{logical_id}",
                "resource_type": short(resource.get("Type") if isinstance(resource, dict) else None),
                "domain": None, "template_path": stack.file}  # fmt: skip
        findings.append(
            make_finding(
                CRASH,
                f"{base['path']}: not a resource declaration the checks can read ({short(resource)}).",
                **base,
            )
        )
    findings.extend(audit_key_users_of_no_domain(assembly, resolver))
    for stack in assembly.checked_stacks():
        try:
            findings.extend(audit_cycles(assembly, stack))
        except Exception as error:
            first = next(iter(stack.resources), "")
            findings.append(crash(error, **resource_fields(stack, first, {}, None)))
    findings.extend(audit_pending_lookups(assembly))
    findings.extend(audit_readability(assembly))  # unreadable marks, duplicate exports
    for key in assembly.domain_keys:
        try:
            wired = wired_sources(assembly, key) | delivery_accounts(assembly, key)
            rows = wired_delivery_rows(assembly, key)
            account = key.stack.environment.account_text
            findings.extend(with_delivery_fix(f, rows, account, key)
                            for f in audit_key(key, resolver, wired))  # fmt: skip
            findings.extend(unwired_unscoped(assembly, key))
        except Exception as error:
            fields = resource_fields(key.stack, key.logical_id, key.resource, key.name)
            findings.append(crash(error, **fields))
    try:
        findings.extend(audit_identities(assembly))  # principals follow the grants
        findings.extend(audit_key_grants(assembly))  # IAM grants on the domain key itself
        findings.extend(audit_trust(assembly))  # named roles anyone may assume
        findings.extend(audit_integrations(assembly))  # services the CDK wires to stores
        findings.extend(audit_origin_identities(assembly))  # CloudFront OAIs on domain buckets
        findings.extend(audit_deliveries(assembly))  # deliveries AWS documents, no contract
        findings.extend(audit_egress(assembly, resolver))  # domain data moved off the key
        findings.extend(audit_topic_subscribers(assembly))  # domain topics anyone subscribes to
        findings.extend(audit_service_grants(assembly))  # services a store's policy lets in
        findings.extend(audit_backup_selections(assembly))  # AWS Backup roles on domain stores
        findings.extend(audit_run_roles(assembly))  # roles the domain's stores run with
        findings.extend(audit_door_uses(assembly))  # the doors' statements and their stores
    except Exception as error:
        for key in assembly.domain_keys[:1]:
            fields = resource_fields(key.stack, key.logical_id, key.resource, key.name)
            findings.append(crash(error, **fields))
    return [apply_exemptions(f, assembly) for f in findings]


def audit_path(path: str | Path) -> list[Finding]:
    """Load a cloud assembly directory or a template and audit it."""
    return audit(load(path))


def _audit_resource(
    assembly: CloudAssembly,
    resolver: KeyResolver,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
) -> Iterator[Finding]:
    """The findings about one resource: its placement, then the rules of its domain."""
    placement = assembly.domain_of(stack, logical_id, resource)
    yield from audit_placement(stack, logical_id, resource, placement)
    domain = placement.domain
    if domain is None:
        return
    cfn_type = str(resource.get("Type", ""))
    base = resource_fields(stack, logical_id, resource, domain)
    store_findings = audit_store(assembly, resolver, stack, logical_id, resource, domain, base)
    if cfn_type == "AWS::OpenSearchServerless::Collection":
        # a collection without EncryptionConfig takes the key of its encryption policy
        by_policy = collection_policy_findings(assembly, resolver, stack, resource, domain, base)
        if by_policy is not None:
            slot = "EncryptionConfig.KmsKeyArn"
            store_findings = [f for f in store_findings if f.location != slot] + by_policy
    elif cfn_type == "AWS::EMR::SecurityConfiguration":
        store_findings += audit_emr_security_configuration(resolver, stack, resource, domain, base)
    yield from store_findings
    if not any(f.severity == "error" for f in store_findings):
        yield from audit_contracts(assembly, stack, domain, base, resource)
    yield from audit_key_users(resolver, stack, resource, domain, base)
    if cfn_type == "AWS::S3::Bucket":
        yield from audit_bucket_puts(assembly, resolver, stack, logical_id, resource, domain, base)
    if cfn_type.startswith("Custom::") or cfn_type == "AWS::CloudFormation::CustomResource":
        yield from audit_custom_resource(assembly, stack, resource, base)
    yield from audit_outside(assembly, stack, logical_id, resource, base)


def failing(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that fail a synth or the CLI: errors that are not exempted."""
    return [f for f in findings if f.severity == "error" and not f.exempted]

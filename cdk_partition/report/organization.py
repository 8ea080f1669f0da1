"""The organisation report: every domain across several assemblies (or across the Stages of
one app that target several accounts or regions), joined by
:func:`cdk_partition.audit.organization.domains`: per domain its keys per account and region, its
stores in every account, and who can reach them (the owner's key policy, evaluated as for one
assembly by :func:`.access.build_domain_report`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import audit
from ..assembly import (
    DEPLOYMENT_ROLE_METADATA_KEY,
    CloudAssembly,
    DomainKey,
    StackTemplate,
    resource_path,
)
from ..assembly.keys import KeyResolver
from ..audit import organization
from ..knowledge import catalogue
from ..marks import parse_key_text, render
from ..policy.canonical import get_att
from .access import build_domain_report
from .model import OrgDomainReport, OrgReport
from .principals import PrincipalResolver
from .stores import key_gates


def spans_environments(assembly: CloudAssembly) -> bool:
    """The assembly holds domain references, or domain keys in more than one environment (the
    Stages of one app target several accounts or regions): its report is the organisation's."""
    if any(scope.key_arn for scope in assembly.scopes):
        return True
    places = {
        (k.stack.environment.account, k.stack.environment.region) for k in assembly.domain_keys
    }
    return len(places) > 1


def _finding_json(finding: audit.Finding, label: str) -> dict[str, Any]:
    return {
        "severity": finding.severity,
        "rule": finding.rule,
        "message": finding.message,
        "path": finding.path,
        "assembly": label,
    } | ({"exempted": True, "reason": finding.reason} if finding.exempted else {})


def build_org_report(
    members: list[organization.Member],
    audited: dict[str, list[audit.Finding]] | None = None,
) -> OrgReport:
    """The report of every domain of ``members`` (several assemblies, or one whose Stages target
    several environments), joined by :func:`organization.domains`. ``audited`` (label -> the
    findings of :func:`organization.audit_members`) saves auditing again."""
    org = organization.domains(members)
    audited = audited or organization.audit_members(members)
    resolvers = {m.label: KeyResolver(m.assembly) for m in members}
    principals = {m.label: PrincipalResolver(m.assembly) for m in members}
    key_of: dict[tuple[str, int, str], tuple[organization.OrgDomain, organization.OrgKey]] = {}
    refs: list[tuple[organization.OrgDomain, organization.OrgKey]] = []
    for domain in org.domains:
        for key in domain.keys:
            if key.logical_id is not None:
                key_of[(key.member.label, id(key.stack), key.logical_id)] = (domain, key)
            else:
                refs.append((domain, key))
    reports = {
        id(d): OrgDomainReport(d.name, d.where(), d.owned_here, [k.to_json() for k in d.keys])
        for d in org.domains
    }
    for member in members:
        for domain, _key, store in _org_stores(member, resolvers[member.label], key_of, refs):
            reports[id(domain)].stores.append(store)
    for domain in org.domains:
        report = reports[id(domain)]
        primary = domain.primary or next((k for k in domain.keys if k.kind == "replica"), None)
        created = [k for k in domain.keys if k.kind != "reference"]
        for key in created:
            member = key.member
            domain_key = DomainKey(key.domain, key.stack, key.logical_id or "", key.path)
            own_stores = [s for s in report.stores if s["assembly"] == member.label]
            try:
                built = build_domain_report(
                    domain_key,
                    member.assembly,
                    [],
                    resolvers[member.label],
                    principals[member.label],
                    own_stores,
                )
            except Exception as error:  # one unreadable key policy: a finding, never a crash
                report.findings.append(
                    {
                        "severity": "error",
                        "rule": "REPORT-UNDECIDABLE",
                        "message": f"the access of key {key.path} could not be computed: {error!r}",
                        "assembly": member.label,
                    }
                )
                continue
            if key is primary:
                report.access, report.principals = built.access, built.principals
                report.services = built.services
                report.findings += [f | {"assembly": member.label} for f in built.findings]
            elif primary is not None and _beside_deployment(
                built.access, built.principals, key
            ) != _beside_deployment(report.access, report.principals, primary):
                report.replica_access[key.region or key.path] = built.access
                report.findings.append(
                    {
                        "severity": "warning",
                        "rule": "REPORT-REPLICA-ACCESS",
                        "message": f"the replica key {key.path} ({key.region}) gives other access "
                        "than the primary key: a replica's key policy is its own (AWS KMS API "
                        'Reference, "ReplicateKey").',
                        "assembly": member.label,
                    }
                )
    unplaced: list[dict[str, Any]] = []
    for member in members:
        for finding in audited.get(member.label, []):
            target = _domain_of_finding(finding, member, org.domains)
            (reports[id(target)].findings if target else unplaced).append(
                _finding_json(finding, member.label)
            )
    return OrgReport([m.label for m in members], [reports[id(d)] for d in org.domains], unplaced)


def _beside_deployment(
    access: Mapping[str, list[str]],
    principals: Mapping[str, Mapping[str, Any]],
    key: organization.OrgKey,
) -> dict[str, list[str]]:
    """``access`` without the row of ``key``'s own deployment role: the CloudFormation execution
    role of each region's stack administers its key (the bootstrap roles are per region), so a
    replica differs from its primary there by design, not by policy."""
    resource = key.stack.resources.get(key.logical_id or "")
    metadata = (resource or {}).get("Metadata") if isinstance(resource, dict) else None
    value = metadata.get(DEPLOYMENT_ROLE_METADATA_KEY) if isinstance(metadata, dict) else None
    text = render(value) if value is not None else None
    name = text.rsplit(":", 1)[-1] if text else None  # role/<path><name>
    return {
        label: caps
        for label, caps in access.items()
        if not (name and str((principals.get(label) or {}).get("arn", "")).endswith(":" + name))
    }


def _org_stores(
    member: organization.Member,
    resolver: KeyResolver,
    key_of: Mapping[tuple[str, int, str], tuple[organization.OrgDomain, organization.OrgKey]],
    refs: list[tuple[organization.OrgDomain, organization.OrgKey]],
) -> Iterator[tuple[organization.OrgDomain, organization.OrgKey, dict[str, Any]]]:
    """(domain, key, store row) for every store of ``member`` on a key of a domain."""
    for stack, logical_id, resource in member.assembly.resources():
        properties = resource.get("Properties")
        uses = catalogue.classify(
            resource.get("Type", ""), properties if isinstance(properties, dict) else None
        )
        found: dict[int, tuple[organization.OrgDomain, organization.OrgKey]] = {}
        for use in uses or []:
            if use.state != "customer_key":
                continue
            hit = _org_key(member, resolver, stack, use.key, key_of, refs)
            if hit is not None:
                found.setdefault(id(hit[1]), hit)
        for domain, key in found.values():
            env = stack.environment
            yield (
                domain,
                key,
                {
                    "type": resource.get("Type"),
                    "account": env.account,
                    # where the data lives: a global table's replica in its key's region
                    "region": key.region or env.region,
                    "assembly": member.label,
                    "stack": stack.name,
                    "logical_id": logical_id,
                    "path": resource_path(stack, logical_id, resource).removesuffix("/Resource"),
                    "key": key.kind,
                    "key_region": key.region,
                }
                | key_gates(resource.get("Type")),
            )


def _org_key(
    member: organization.Member,
    resolver: KeyResolver,
    stack: StackTemplate,
    value: Any,
    key_of: Mapping[tuple[str, int, str], tuple[organization.OrgDomain, organization.OrgKey]],
    refs: list[tuple[organization.OrgDomain, organization.OrgKey]],
) -> tuple[organization.OrgDomain, organization.OrgKey] | None:
    """The domain key (created or referenced) a key value of ``stack`` names, if any."""
    target = None
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref" and isinstance(arg, str):
            target = arg
        elif fn == "Fn::GetAtt":
            target = (get_att(arg) or (None,))[0]
    if isinstance(target, str) and (member.label, id(stack), target) in key_of:
        return key_of[(member.label, id(stack), target)]  # a replica key too
    ref = resolver.resolve(value, stack)
    if ref.kind != "domain_key":
        return None
    if ref.key is not None:
        return key_of.get((member.label, id(ref.key.stack), ref.key.logical_id))
    text = render(value)
    parsed = parse_key_text(text, stack.environment) if text is not None else None
    if parsed is None:
        return None
    for domain, key in refs:
        if (
            key.member is member
            and key.domain == ref.domain
            and (key.partition, key.account, key.region, key.key_id)
            == (parsed.partition, parsed.account, parsed.region, parsed.name)
        ):
            return domain, key
    return None


def _domain_of_finding(
    finding: audit.Finding, member: organization.Member, domains: list[organization.OrgDomain]
) -> organization.OrgDomain | None:
    """The domain an audit finding belongs to: by its domain name among the domains with a key
    (or reference) in the same assembly, the one of the finding's own Stage when several."""
    if finding.domain is None:
        return None
    if finding.rule in organization.ORG_RULES:  # about a reference: the domain that holds it
        for domain in domains:
            for key in domain.keys:
                if key.member is member and key.arn == finding.value and key.path == finding.path:
                    return domain
    named = [
        d for d in domains if d.name == finding.domain and any(k.member is member for k in d.keys)
    ]
    if len(named) <= 1:
        return named[0] if named else None
    stack = member.assembly.stack_of_file(finding.template_path)
    folder = Path(stack.root.file).parent if stack is not None else None
    same = [
        d
        for d in named
        if any(k.member is member and Path(k.stack.root.file).parent == folder for k in d.keys)
    ]
    return (same or named)[0]

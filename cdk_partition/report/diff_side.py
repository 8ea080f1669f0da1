"""One side of :mod:`.diff`: the report's domains, the key policies as the report resolves them,
the audit's findings and the exemptions of a set of cloud assemblies."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..assembly import EXEMPTIONS_METADATA_KEY, resource_path
from ..audit import Finding, organization
from . import build_org_report, build_report
from .reference import key_policy

NO_DOMAIN = "(no domain)"


@dataclass
class Side:
    """One side of the diff: the report's domains (by id) and everything else compared."""

    labels: list[str]
    domains: dict[str, dict[str, Any]]
    statements: dict[str, dict[str, dict[str, Any]]]
    """Domain id -> statement id (Sid, else a digest) -> the statement as the report resolves it."""
    findings: dict[tuple[str, ...], tuple[str, Finding]]
    """(assembly, rule, construct path, property) -> (domain id, finding)."""
    report_findings: dict[tuple[str, ...], dict[str, Any]]
    """(domain id, rule, message) -> the report's own findings (``REPORT-*``)."""
    exemptions: dict[tuple[str, str, str], str]
    """(assembly, construct path, rule) -> reason."""
    files: dict[tuple[str, str], str]
    """(assembly, stack name) -> template file."""


def norm(path: str) -> str:
    """A resource's construct path as a store row shows it (no trailing ``/Resource``)."""
    return path.removesuffix("/Resource")


def _domain_id(domain: Mapping[str, Any]) -> str:
    where = domain.get("where")
    return f"{domain['name']} ({where})" if where else str(domain["name"])


def _statement_ids(policy: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    statements = policy.get("Statement", [])
    out: dict[str, dict[str, Any]] = {}
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            continue
        sid = statement.get("Sid")
        if not sid:
            digest = hashlib.sha256(json.dumps(statement, sort_keys=True).encode()).hexdigest()
            sid = f"(no Sid) {digest[:8]}"
        out[str(sid)] = statement
    return out


def load_side(members: list[organization.Member], org: bool) -> Side:
    """Report, audit and read the exemptions of ``members``; ``org`` reports them as an
    organisation (as ``report`` does for several assemblies or environments)."""
    audited = organization.audit_members(members)
    by_label = {(m.label if org else ""): m.assembly for m in members}
    side = Side([m.label for m in members], {}, {}, {}, {}, {}, {})
    if org:
        org_report = build_org_report(members, audited).to_json()
        domains = org_report["domains"]
        for domain in domains:
            primary = next((k for k in domain["keys"] if k["kind"] == "primary"), None)
            primary = primary or next((k for k in domain["keys"] if k["logical_id"]), None)
            domain["_key"] = primary and (
                primary["assembly"],
                primary["stack"],
                primary["logical_id"],
            )
    else:
        domains = build_report(members[0].assembly).to_json()["domains"]
        for domain in domains:
            domain["_key"] = ("", domain["key"]["stack"], domain["key"]["logical_id"])
    for domain in domains:
        ident = _domain_id(domain)
        side.domains[ident] = domain
        policy: dict[str, Any] = {}
        if domain.get("_key"):
            label, stack, logical_id = domain["_key"]
            policy = key_policy(by_label[label], stack, logical_id, domain.get("resolved") or {})
        side.statements[ident] = _statement_ids(policy)
        for f in domain["findings"]:
            if "path" not in f:
                side.report_findings[(ident, f["rule"], f["message"])] = f
    ids_by_name: dict[str, list[str]] = {}
    for ident, domain in side.domains.items():
        ids_by_name.setdefault(domain["name"], []).append(ident)
    for label, found in audited.items():
        for f in found:
            key = (label if org else "", f.rule, norm(f.path), f.location or "")
            side.findings[key] = (_finding_domain(f, label, side, ids_by_name), f)
    for member in members:
        label = member.label if org else ""
        files = [stack.file for stack in member.assembly.stacks]
        root = (
            os.path.dirname(os.path.commonpath(files))
            if len(files) == 1
            else os.path.commonpath(files)
        )
        for stack in member.assembly.stacks:
            side.files[(label, stack.name)] = os.path.relpath(stack.file, root)
        for stack, logical_id, resource in member.assembly.resources():
            metadata = resource.get("Metadata")
            exemptions = (
                metadata.get(EXEMPTIONS_METADATA_KEY) if isinstance(metadata, dict) else None
            )
            for exemption in exemptions if isinstance(exemptions, list) else []:
                if isinstance(exemption, dict) and isinstance(exemption.get("rule"), str):
                    path = norm(resource_path(stack, logical_id, resource))
                    reason = exemption.get("reason")
                    side.exemptions[(label, path, exemption["rule"])] = str(reason or "")
    return side


def _finding_domain(
    f: Finding, label: str, side: Side, ids_by_name: Mapping[str, list[str]]
) -> str:
    candidates = ids_by_name.get(f.domain or "", [])
    if len(candidates) > 1:  # one name in several environments: the one that lists the finding
        for ident in candidates:
            if any(
                g.get("path") == f.path and g.get("assembly", label) == label
                for g in side.domains[ident]["findings"]
            ):
                return ident
    return candidates[0] if candidates else (f.domain or NO_DOMAIN)

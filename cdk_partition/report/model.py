"""The report model: what the access report and the organisation report hold.

Plain data (``to_json`` gives the CLI's JSON output); the renderers (:mod:`.markdown`) read it and
never compute, so that other formats can be added beside markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DomainReport:
    """One domain: its key, stores, access matrix and findings."""

    name: str
    key: dict[str, Any]
    stores: list[dict[str, Any]] = field(default_factory=list)
    access: dict[str, list[str]] = field(default_factory=dict)
    """Row label -> the capabilities the key policy gives it directly (no service in between)."""
    principals: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The access matrix, row label -> its details: ``kind`` (``named``, ``service_gated``,
    ``gated_reader``, ``probe``), ``arn`` as evaluated, ``path`` (construct path of a role or user of the app, else
    None), ``capabilities`` (as in :attr:`access`), ``via_services``; see the README."""
    resolved: dict[str, str] = field(default_factory=dict)
    """Placeholder of the canonical key policy -> the value the assembly shows for it."""
    services: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    identities: list[dict[str, Any]] = field(default_factory=list)
    """Principals that reach a store of the domain through IAM grants, each labelled ``IAM
    allows, key refuses`` or ``allowed by both`` (:mod:`cdk_partition.report.identities`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "stores": self.stores,
            "access": self.access,
            "principals": self.principals,
            "resolved": self.resolved,
            "services": self.services,
            "findings": self.findings,
            "identities": self.identities,
        }


@dataclass
class Report:
    domains: list[DomainReport]

    @property
    def has_errors(self) -> bool:
        return any(
            f["severity"] == "error" and not f.get("exempted")
            for d in self.domains
            for f in d.findings
        )

    def to_json(self) -> dict[str, Any]:
        return {"domains": [d.to_json() for d in self.domains]}


@dataclass
class OrgDomainReport:
    """One domain across the assemblies (:mod:`cdk_partition.audit.organization`): its keys per
    account and region, its stores in every account, and who can reach them (the owner's key
    policy, evaluated as for one assembly)."""

    name: str
    where: str
    owned_here: bool
    keys: list[dict[str, Any]] = field(default_factory=list)
    stores: list[dict[str, Any]] = field(default_factory=list)
    access: dict[str, list[str]] = field(default_factory=dict)
    principals: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    replica_access: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Region -> access of a replica key whose policy gives other access than the primary's."""
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "where": self.where,
            "owned_here": self.owned_here,
            "keys": self.keys,
            "stores": self.stores,
            "access": self.access,
            "principals": self.principals,
            "services": self.services,
            "replica_access": self.replica_access,
            "findings": self.findings,
        }


@dataclass
class OrgReport:
    assemblies: list[str]
    domains: list[OrgDomainReport]
    findings: list[dict[str, Any]] = field(default_factory=list)
    """Findings of no domain (a resource outside every domain's scope, a crash)."""

    @property
    def has_errors(self) -> bool:
        return any(
            f["severity"] == "error" and not f.get("exempted")
            for f in [*self.findings, *(f for d in self.domains for f in d.findings)]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "assemblies": self.assemblies,
            "domains": [d.to_json() for d in self.domains],
            "findings": self.findings,
        }

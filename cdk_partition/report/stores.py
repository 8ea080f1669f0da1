"""The stores on a domain's key, and whom the key gates for each.

Stores whose service principal decrypts for whoever the service's own API lets read (log groups,
event buses, topics: :data:`contracts.GATES`) get a matrix row of their own (read "via the service") and a
``REPORT-SERVICE-GATED`` warning: an IAM permission, not the key policy, decides who reads them.
"""

from __future__ import annotations

from typing import Any

from ..assembly import CloudAssembly, resource_path
from ..assembly.keys import KeyResolver
from ..knowledge.contracts import GATES
from .model import DomainReport


def domain_stores(
    assembly: CloudAssembly, resolver: KeyResolver
) -> dict[str, list[dict[str, Any]]]:
    """Domain -> stores whose key resolves to that domain's key (wherever they live)."""
    out: dict[str, list[dict[str, Any]]] = {k.name: [] for k in assembly.domain_keys}
    for stack, logical_id, resource in assembly.resources():
        for domain in sorted(resolver.domains_of_store(resource, stack)):
            out.setdefault(domain, []).append(
                {
                    "type": resource.get("Type"),
                    "stack": stack.name,
                    "logical_id": logical_id,
                    "path": resource_path(stack, logical_id, resource).removesuffix("/Resource"),
                }
                | key_gates(resource.get("Type"))
            )
    return out


def key_gates(resource_type: Any) -> dict[str, Any]:
    """Whom the key gates for a store (:data:`contracts.GATES`; types not listed: each reader)."""
    gate = GATES.get(resource_type) if isinstance(resource_type, str) else None
    if gate is None or gate.gates == "reader":
        return {"key_gates": "reader"}
    return {"key_gates": "service", "iam_permission": gate.iam_permission}


#: Store type -> (plural noun, the service that decrypts for its readers).
_GATED_NOUNS = {
    "AWS::Logs::LogGroup": ("log groups", "CloudWatch Logs"),
    "AWS::Events::EventBus": ("event buses", "EventBridge"),
    "AWS::SNS::Topic": ("topics", "Amazon SNS"),
}


def service_gated_rows(report: DomainReport) -> dict[str, dict[str, Any]]:
    """A row, and a ``REPORT-SERVICE-GATED`` warning, per kind of store whose data the key does
    not gate per reader: its service principal decrypts for whoever the service's own API lets
    read, so an IAM permission (:attr:`contracts.Gate.iam_permission`), not the key policy,
    decides who reads them."""
    rows: dict[str, dict[str, Any]] = {}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for store in report.stores:
        if store.get("key_gates") == "service":
            by_type.setdefault(store["type"], []).append(store)
    for store_type, stores in by_type.items():
        gate = GATES[store_type]
        noun, service = _GATED_NOUNS.get(store_type, (store_type, "the service"))
        permission = gate.iam_permission.split(" (", 1)[0].removesuffix(" on the bus")
        label = f"anyone AWS lets call {permission} on the domain's {noun}"
        paths = [s["path"] for s in stores]
        rows[label] = {
            "kind": "service_gated",
            "arn": None,
            "path": None,
            "capabilities": [],
            "via_services": {},
            "via_the_service": ["read"],
            "store_type": store_type,
            "stores": paths,
            "iam_permission": gate.iam_permission,
            "source": gate.source,
        }
        report.findings.append(
            {
                "severity": "warning",
                "rule": "REPORT-SERVICE-GATED",
                "message": f"the key does not gate each reader of {', '.join(paths)}: {service} "
                f"decrypts for whoever IAM lets call {gate.iam_permission}; that permission, "
                "not the key policy, decides who reads them.",
            }
        )
    return rows

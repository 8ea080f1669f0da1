"""The access report: who can administer, read and write each domain's data.

Computed, not echoed: every principal the key policy names is put through the policy evaluator
(:mod:`cdk_partition.evaluator`) for every KMS action, as IAM would decide it, so a statement added
by hand or by an escape hatch shows its real effect. Two probes stand for everyone else: an unnamed
role of the key's account whose own IAM policy allows ``kms:*``, and a role of another account.

Pure Python over templates (no aws_cdk import); the CLI's ``report`` command and the optional
synth-time report of the validation plugin both use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import audit, catalogue, evaluator
from .assembly import CloudAssembly, DomainKey, StackTemplate, resource_path
from .capabilities import (
    CAPABILITY_ACTIONS,
    DEFINING_ACTIONS,
    KMS_KEY_ACTIONS,
    LIBRARY_SIDS,
    PUBLISHER_SID_PREFIX,
    Capability,
)
from .keys import KeyResolver

ANY_OTHER_IN_ACCOUNT = "any other principal of the account"
ANY_OTHER_ACCOUNT = "any principal of another account"
_SAME_ACCOUNT = "${AWS::AccountId}"
_PROBES = {
    ANY_OTHER_IN_ACCOUNT: evaluator.Request(
        action="kms:Decrypt",
        principal_arn="arn:aws:iam::${AWS::AccountId}:role/cdk-partition-report-unnamed",
        account=_SAME_ACCOUNT,
        identity_allows=True,
    ),
    ANY_OTHER_ACCOUNT: evaluator.Request(
        action="kms:Decrypt",
        principal_arn="arn:aws:iam::999999999999:role/cdk-partition-report-foreign",
        account="999999999999",
        identity_allows=True,
    ),
}


@dataclass
class DomainReport:
    """One domain: its key, stores, access matrix and findings."""

    name: str
    key: dict[str, Any]
    stores: list[dict[str, Any]] = field(default_factory=list)
    access: dict[str, list[str]] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "stores": self.stores,
            "access": self.access,
            "services": self.services,
            "findings": self.findings,
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


def capabilities_of(allowed: Iterable[str]) -> list[str]:
    """The capabilities a set of allowed actions amounts to (by their defining actions)."""
    allowed = set(allowed)
    return [c.value for c in Capability if set(DEFINING_ACTIONS[c]) & allowed]


def _label(value: Any, exports: dict[str, Any]) -> str:
    """A readable name for a principal value: the construct path of a role/user made in the app
    (followed through exports), else its canonical ARN string."""
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::ImportValue" and isinstance(arg, str) and arg in exports:
            stack, exported = exports[arg]
            return _label_in(exported, stack) or str(evaluator.canonicalize(value))
    return str(evaluator.canonicalize(value))


def _label_in(value: Any, stack: StackTemplate) -> str | None:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        logical_id = target.split(".")[0] if isinstance(target, str) else target[0]
        resource = stack.resources.get(logical_id)
        if resource is not None:
            path = resource_path(stack, logical_id, resource)
            return path.removesuffix("/Resource")
    return None


def _allowed(
    policy: dict[str, Any], request: evaluator.Request, label: str, report: DomainReport
) -> frozenset[str]:
    """The KMS actions ``policy`` allows ``request``'s caller; an undecidable policy is a
    finding (and counts as nothing allowed), never a crash."""
    try:
        return evaluator.allowed_actions(policy, request, KMS_KEY_ACTIONS)
    except ValueError as error:
        report.findings.append(
            {
                "severity": "error",
                "rule": "REPORT-UNDECIDABLE",
                "message": f"what {label} may do cannot be decided: {error}",
            }
        )
        return frozenset()


def _principal_values(statement: dict[str, Any]) -> tuple[list[Any], list[str]]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"], []
    if not isinstance(principal, dict):
        return [], []
    aws = principal.get("AWS", [])
    service = principal.get("Service", [])
    return (
        aws if isinstance(aws, list) else [aws],
        [
            str(evaluator.canonicalize(s))
            for s in (service if isinstance(service, list) else [service])
        ],
    )


def build_domain_report(
    key: DomainKey,
    assembly: CloudAssembly,
    findings: list[audit.Finding],
    resolver: KeyResolver,
) -> DomainReport:
    resource = key.stack.resources[key.logical_id]
    props = resource.get("Properties") or {}
    policy = props.get("KeyPolicy") if isinstance(props.get("KeyPolicy"), dict) else {}
    canonical_policy = evaluator.canonicalize(policy)
    alias = next(
        (
            r["Properties"].get("AliasName")
            for r in key.stack.resources.values()
            if r.get("Type") == "AWS::KMS::Alias"
            and resolver.resolve((r.get("Properties") or {}).get("TargetKeyId"), key.stack).domain
            == key.name
        ),
        None,
    )
    report = DomainReport(
        name=key.name,
        key={
            "logical_id": key.logical_id,
            "stack": key.stack_name,
            "alias": alias,
            "path": key.path,
        },
    )

    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    named: dict[str, str] = {}  # canonical principal -> label
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        aws, services = _principal_values(statement)
        for value in aws:
            if value != "*":
                named.setdefault(
                    str(evaluator.canonicalize(value)), _label(value, assembly.exports)
                )
        for service in services:
            report.services.append(
                {
                    "service": service,
                    "sid": statement.get("Sid"),
                    "actions": statement.get("Action"),
                    "conditions": statement.get("Condition", {}),
                }
            )
        sid = statement.get("Sid")
        if sid not in LIBRARY_SIDS and not str(sid).startswith(PUBLISHER_SID_PREFIX):
            report.findings.append(
                {
                    "severity": "warning",
                    "rule": "REPORT-EXTRA-STATEMENT",
                    "message": f"statement {sid or '(no Sid)'} was not generated by cdk_partition; "
                    "its effect is included in the access matrix.",
                }
            )

    held: dict[Capability, list[str]] = {c: [] for c in Capability}
    for canonical, label in named.items():
        request = evaluator.Request(
            action="kms:Decrypt",
            principal_arn=canonical,
            account=_SAME_ACCOUNT,
            identity_allows=True,
        )
        allowed = _allowed(canonical_policy, request, label, report)
        capabilities = capabilities_of(allowed)
        report.access[label] = capabilities
        for capability in capabilities:
            held[Capability(capability)].append(label)
        granted = {a for c in capabilities for a in CAPABILITY_ACTIONS[Capability(c)]}
        extra = sorted(set(allowed) - granted)
        if extra:
            report.findings.append(
                {
                    "severity": "error",
                    "rule": "REPORT-BEYOND-CAPABILITY",
                    "message": f"{label} may call {', '.join(extra)}, beyond its capabilities "
                    f"({', '.join(capabilities) or 'none'}).",
                }
            )
    for probe_label, probe in _PROBES.items():
        allowed = _allowed(canonical_policy, probe, probe_label, report)
        report.access[probe_label] = capabilities_of(allowed)
        if allowed:
            report.findings.append(
                {
                    "severity": "error",
                    "rule": "REPORT-OPEN-KEY",
                    "message": f"{probe_label} may call {', '.join(sorted(allowed))}.",
                }
            )
    for capability, holders in held.items():
        if not holders:
            report.findings.append(
                {
                    "severity": "warning",
                    "rule": "REPORT-UNHELD-CAPABILITY",
                    "message": f"nobody holds {capability.value} on domain {key.name!r}.",
                }
            )

    for f in findings:
        if f.domain == key.name:
            report.findings.append(
                {"severity": f.severity, "rule": f.rule, "message": f.message, "path": f.path}
                | ({"exempted": True, "reason": f.reason} if f.exempted else {})
            )
    return report


def _stores(assembly: CloudAssembly, resolver: KeyResolver) -> dict[str, list]:
    """Domain -> stores whose key resolves to that domain's key (wherever they live)."""
    out: dict[str, list[dict[str, Any]]] = {k.name: [] for k in assembly.domain_keys}
    for stack, logical_id, resource in assembly.resources():
        properties = resource.get("Properties")
        uses = catalogue.classify(
            resource.get("Type", ""), properties if isinstance(properties, dict) else None
        )
        domains = {
            ref.domain
            for use in uses or []
            if use.state == "customer_key"
            for ref in [resolver.resolve(use.key, stack)]
            if ref.kind == "domain_key"
        }
        for domain in sorted(d for d in domains if d):
            out.setdefault(domain, []).append(
                {
                    "type": resource.get("Type"),
                    "stack": stack.name,
                    "logical_id": logical_id,
                    "path": resource_path(stack, logical_id, resource).removesuffix("/Resource"),
                }
            )
    return out


def build_report(assembly: CloudAssembly | list[StackTemplate]) -> Report:
    """The report of every domain key found in the assembly (or list of templates)."""
    if not isinstance(assembly, CloudAssembly):
        assembly = CloudAssembly(list(assembly))
    resolver = KeyResolver(assembly)
    findings = audit.audit(assembly)
    stores = _stores(assembly, resolver)
    domains = []
    for key in sorted(assembly.domain_keys, key=lambda k: k.name):
        domain = build_domain_report(key, assembly, findings, resolver)
        domain.stores = stores.get(key.name, [])
        domains.append(domain)
    return Report(domains)


# -- markdown --------------------------------------------------------------------------------
def _node_id(prefix: str, index: int) -> str:
    return f"{prefix}{index}"


def _quote(text: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_markdown(report: Report) -> str:
    """The report as GitHub markdown with one Mermaid diagram per domain."""
    lines = ["# Data domain access report", ""]
    if not report.domains:
        lines.append("No data domain keys (KMS keys with `cdk_partition:domain` metadata) found.")
    for domain in report.domains:
        key = domain.key
        lines += [
            f"## Domain `{domain.name}`",
            "",
            f"Key `{key['logical_id']}` in stack `{key['stack']}`"
            + (f", alias `{key['alias']}`" if key.get("alias") else "")
            + f" ({key['path']}).",
            "",
            "### Who can reach the data",
            "",
            "| principal | administer | read | write |",
            "| --- | :---: | :---: | :---: |",
        ]
        for principal, capabilities in domain.access.items():
            marks = ["yes" if c.value in capabilities else "-" for c in Capability]
            lines.append(f"| `{principal}` | " + " | ".join(marks) + " |")
        if domain.services:
            lines += ["", "AWS services allowed by their own, conditioned statements:", ""]
            for service in domain.services:
                lines.append(f"- `{service['service']}` ({service['sid'] or 'no Sid'})")
        lines += ["", "### Stores", ""]
        if domain.stores:
            lines += ["| type | stack | construct path |", "| --- | --- | --- |"]
            lines += [f"| {s['type']} | {s['stack']} | `{s['path']}` |" for s in domain.stores]
        else:
            lines.append("No store uses this key.")
        lines += ["", "### Findings", ""]
        if domain.findings:
            for f in domain.findings:
                exempt = " (exempted: " + f["reason"] + ")" if f.get("exempted") else ""
                lines.append(f"- **{f['severity']}** `{f['rule']}` {f['message']}{exempt}")
        else:
            lines.append("None.")
        lines += ["", "```mermaid", "flowchart LR"]
        lines.append(f'  key(["{_quote(domain.name)} key<br/>{_quote(key.get("alias") or "")}"])')
        for index, (principal, capabilities) in enumerate(domain.access.items()):
            if capabilities:
                node = _node_id("p", index)
                lines.append(f'  {node}["{_quote(principal)}"] -->|{", ".join(capabilities)}| key')
        for index, store in enumerate(domain.stores):
            node = _node_id("s", index)
            lines.append(
                f'  key --> {node}[("{_quote(store["type"])}<br/>{_quote(store["path"])}")]'
            )
        lines += ["```", ""]
    return "\n".join(lines).rstrip() + "\n"

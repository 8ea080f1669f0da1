"""The reports as GitHub markdown: :func:`to_markdown` (one assembly, a Mermaid diagram per
domain) and :func:`org_to_markdown` (the organisation), with the cell and row renderers both use.

Renderers only read the model (:mod:`.model`); another format goes beside this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..knowledge.capabilities import Capability
from ..marks import printable
from .access import conditional_text, service_name
from .model import DomainReport, OrgDomainReport, OrgReport, Report


def _node_id(prefix: str, index: int) -> str:
    return f"{prefix}{index}"


def _quote(text: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _rows(domain: DomainReport | OrgDomainReport) -> dict[str, dict[str, Any]]:
    """The matrix rows: :attr:`DomainReport.principals`, or the bare access map."""
    rows = dict(domain.principals)
    for label, capabilities in domain.access.items():
        rows.setdefault(label, {"capabilities": capabilities})
    return rows


def _services_text(vias: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(service_name(v) for v in vias))


def _cell(capability: str, row: Mapping[str, Any]) -> str:
    """``yes``, ``via s3, ec2``, ``via the service``, ``only when ...`` (held only under
    conditions: :func:`.access.conditional_text`), ``?`` (undecidable) or ``-``."""
    if capability in (row.get("capabilities") or []):
        return "yes"
    vias = (row.get("via_services") or {}).get(capability)
    if vias:
        return "via " + _services_text(vias)
    if capability in (row.get("via_the_service") or []):
        return "via the service"
    conditional = (row.get("conditional") or {}).get(capability)
    if conditional:
        return conditional_text(conditional)
    undecided = capability in (row.get("conditions_undecidable") or {})
    return "?" if row.get("undecidable") or undecided else "-"


def _md_cell(capability: str, row: Mapping[str, Any]) -> str:
    """:func:`_cell` inside a markdown table (a ``|`` of a condition value escaped)."""
    return _cell(capability, row).replace("|", "\\|")


def _principal_cell(label: str, row: Mapping[str, Any]) -> str:
    if row.get("generated_name") and row.get("path"):
        return f"`{label}` (`{row['path']}`)"
    return f"`{label}`"


def _gates_cell(store: Mapping[str, Any]) -> str:
    if store.get("key_gates") == "service":
        return f"the service: {store.get('iam_permission')}"
    return "each reader"


def _via_text(row: Mapping[str, Any]) -> str:
    """``read, write via s3`` (capabilities grouped by the services they come through)."""
    groups: dict[str, list[str]] = {}
    for capability, vias in (row.get("via_services") or {}).items():
        groups.setdefault(_services_text(vias), []).append(capability)
    text = "; ".join(f"{', '.join(caps)} via {services}" for services, caps in groups.items())
    through = row.get("via_the_service") or []
    conditional = [
        f"{capability} {conditional_text(entry)}"
        for capability, entry in (row.get("conditional") or {}).items()
    ]
    return "; ".join(
        filter(
            None, [text, f"{', '.join(through)} via the service" if through else "", *conditional]
        )
    )


def _regions_lines(key: Mapping[str, Any]) -> list[str]:
    """The keys of a multi-Region domain per region (primary and replicas); none otherwise."""
    regions = key.get("regions") or []
    if not regions:
        return []
    lines = [
        "Keys per region (a multi-Region key: the replicas share the primary's key id and "
        "material; each key policy is audited):",
        "",
        "| region | key | stack | construct path |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['region'] or '(deploy time)'} | {r['kind']} `{r['logical_id']}` | {r['stack']} "
        f"| `{r['path']}` |"
        for r in regions
    ]
    return [*lines, ""]


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
            *_regions_lines(key),
            "### Who can reach the data",
            "",
            "| principal | administer | read | write |",
            "| --- | :---: | :---: | :---: |",
        ]
        rows = _rows(domain)
        for label, row in rows.items():
            marks = [_md_cell(c.value, row) for c in Capability]
            lines.append(f"| {_principal_cell(label, row)} | " + " | ".join(marks) + " |")
        notes = []
        if any(row.get("via_services") for row in rows.values()):
            notes.append(
                "`via <service>`: only in requests that come through that AWS service "
                "(`kms:ViaService`)."
            )
        if any(row.get("conditional") for row in rows.values()):
            notes.append(
                "`only when <key> = <value>`: refused to the report's requests, allowed to one "
                "that carries these condition values (found by the prover; other values may be "
                "allowed too); `only on behalf of callers through <service>`: in requests that "
                "come through that AWS service (`kms:ViaService`)."
            )
        if any(row.get("conditions_undecidable") for row in rows.values()):
            notes.append(
                "`?`: whether the capability is held under some condition could not be decided "
                "(`REPORT-UNDECIDABLE`)."
            )
        if any(row.get("generated_name") for row in rows.values()):
            notes.append(
                "A role or user created without a name gets one from CloudFormation "
                "(`<stack>-<logical id>-<random suffix>`); `<stack>-<logical id>` stands in for it."
            )
        for note in notes:
            lines += ["", note]
        if domain.services:
            lines += [
                "",
                "AWS services allowed by their own statements (as service principals):",
                "",
                "| service | Sid | actions | conditions | AWS page (allow_service) |",
                "| --- | --- | --- | --- | --- |",
            ]
            for service in domain.services:
                actions = ", ".join(f"`{a}`" for a in service["actions"])
                if service.get("not_action"):
                    actions = f"all but {actions}"
                keys = ", ".join(f"`{k}`" for k in service.get("condition_keys", [])) or "none"
                page = str(service.get("source") or "-").replace("|", "\\|")
                lines.append(
                    f"| `{service['service']}` | {service['sid'] or '(no Sid)'} | {actions} "
                    f"| {keys} | {page} |"
                )
        if domain.identities:
            lines += [
                "",
                "Principals that reach a store through IAM grants (identity policies):",
                "",
                "| principal | store | actions | KMS requests | key policy |",
                "| --- | --- | --- | --- | --- |",
            ]
            for row in domain.identities:
                refused = f" (refuses {', '.join(row['refused'])})" if row["refused"] else ""
                lines.append(
                    f"| `{row['principal']}` | `{row['store']}` | "
                    f"{', '.join(f'`{a}`' for a in row['actions'])} | "
                    f"{', '.join(f'`{k}`' for k in row['kms_requests'])} | "
                    f"{row['label']}{refused} |"
                )
        lines += ["", "### Stores", ""]
        if domain.stores:
            lines += [
                "| type | stack | construct path | key gates |",
                "| --- | --- | --- | --- |",
            ]
            lines += [
                f"| {s['type']} | {s['stack']} | `{s['path']}` | {_gates_cell(s)} |"
                for s in domain.stores
            ]
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
        for index, (label, row) in enumerate(rows.items()):
            node = _node_id("p", index)
            capabilities = row.get("capabilities") or []
            via = _via_text(row)
            if capabilities or via:
                lines.append(f'  {node}["{_quote(label)}"]')
            if capabilities:
                lines.append(f"  {node} -->|{', '.join(capabilities)}| key")
            if via:
                lines.append(f"  {node} -.->|{_quote(via)}| key")
        for index, store in enumerate(domain.stores):
            node = _node_id("s", index)
            lines.append(
                f'  key --> {node}[("{_quote(store["type"])}<br/>{_quote(store["path"])}")]'
            )
        lines += ["```", ""]
    return _join(lines)


def _account_cell(value: str | None) -> str:
    return value or "(deploy time)"


def org_to_markdown(report: OrgReport) -> str:
    """The organisation report as GitHub markdown: per domain its keys per account and region,
    its stores in every account, and the access matrix of the owner's key."""
    lines = ["# Data domain access report (organisation)", ""]
    lines.append("Assemblies: " + ", ".join(f"`{a}`" for a in report.assemblies) + ".")
    if not report.domains:
        lines += ["", "No data domain keys or domain references found."]
    unverified = False
    for domain in report.domains:
        lines += ["", f"## Domain `{domain.name}` ({domain.where})", ""]
        if not domain.owned_here:
            lines += [
                "Owned elsewhere: no assembly given creates its key; the stores below name it by "
                "ARN.",
                "",
            ]
        lines += [
            "### Keys",
            "",
            "| key | account | region | ARN | assembly | construct path |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        key_rows: dict[tuple[Any, ...], list[str]] = {}  # one row per key; references by ARN
        for key in domain.keys:
            kind = key["kind"] + ("" if key["verified"] else " (**unverified**)")
            unverified = unverified or not key["verified"]
            arn = f"`{key['arn']}`" if key["arn"] else "assigned at deployment"
            place = (kind, key["account"], key["region"], arn, key["assembly"])
            key_rows.setdefault(place if key["arn"] else (*place, key["path"]), []).append(
                key["path"]
            )
        for (kind, account, region, arn, assembly, *_), paths in key_rows.items():
            lines.append(
                f"| {kind} | {_account_cell(account)} | {_account_cell(region)} | {arn} "
                f"| `{assembly}` | {', '.join(f'`{p}`' for p in paths)} |"
            )
        lines += ["", "### Stores", ""]
        if domain.stores:
            lines += [
                "| account | region | assembly | stack | type | construct path | key gates |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for s in sorted(
                domain.stores, key=lambda s: (str(s["account"]), str(s["region"]), s["stack"])
            ):
                lines.append(
                    f"| {_account_cell(s['account'])} | {_account_cell(s['region'])} "
                    f"| `{s['assembly']}` | {s['stack']} | {s['type']} | `{s['path']}` "
                    f"| {_gates_cell(s)} |"
                )
        else:
            lines.append("No store uses this domain's keys.")
        lines += ["", "### Who can reach the data", ""]
        if domain.access:
            lines += [
                "| principal | administer | read | write |",
                "| --- | :---: | :---: | :---: |",
            ]
            rows = _rows(domain)
            for label, row in rows.items():
                marks = [_md_cell(c.value, row) for c in Capability]
                lines.append(f"| {_principal_cell(label, row)} | " + " | ".join(marks) + " |")
            lines += [
                "",
                "Principals of the key's own account by IAM name; of any other account by their "
                "whole ARN.",
            ]
            for region, access in domain.replica_access.items():
                lines += ["", f"The replica in {region} differs:", ""]
                lines += [
                    f"- `{label}`: {', '.join(caps) or 'none'}" for label, caps in access.items()
                ]
        else:
            lines.append(
                "The key policy is written by the domain's owner, whose assembly was not given."
            )
        lines += ["", "### Findings", ""]
        if domain.findings:
            lines += [_finding_line(f) for f in domain.findings]
        else:
            lines.append("None.")
    if report.findings:
        lines += ["", "## Findings of no domain", ""]
        lines += [_finding_line(f) for f in report.findings]
    if unverified:
        lines += [
            "",
            "**unverified**: a reference names the key by ARN, and AWS KMS assigns a key's id "
            "when it creates the key, so before the owner deploys only its partition, account "
            "and region are compared with the owning key's stack.",
        ]
    return _join(lines)


def _finding_line(f: Mapping[str, Any]) -> str:
    exempt = " (exempted: " + f["reason"] + ")" if f.get("exempted") else ""
    where = f" [`{f['assembly']}`]" if f.get("assembly") else ""
    return f"- **{f['severity']}** `{f['rule']}`{where} {f['message']}{exempt}"


def _join(lines: list[str]) -> str:
    """The document: each element of ``lines`` one line, escaped (:func:`printable`), so a value
    from the assembly holding a newline, an ANSI escape or a bidirectional override cannot start
    a line, a table row or a heading of its own, nor reach the reader's terminal raw."""
    return "\n".join(printable(line) for line in lines).rstrip() + "\n"

"""Renderers of :class:`~cdk_partition.report.diff.Diff`: text, markdown (a pull-request
comment), JSON and SARIF 2.1.0 (code scanning; each entry a result whose ``partialFingerprints``
are its domain, kind and subject, so a reviewer can dismiss one entry and it stays dismissed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from .diff import Change, Diff

_TITLES = {
    "access-gained": "Capability gained",
    "access-lost": "Capability lost",
    "access-widened": "Capability widened",
    "access-narrowed": "Capability narrowed",
    "store-added": "Store added on the domain key",
    "store-removed": "Store removed from the domain key",
    "store-renamed": "Store renamed (same key and gates)",
    "store-left-key": "Store left the domain key",
    "store-joined-key": "Store moved onto the domain key",
    "statement-added": "Key-policy statement added",
    "statement-removed": "Key-policy statement removed",
    "statement-changed": "Key-policy statement changed",
    "service-added": "AWS service statement added",
    "service-removed": "AWS service statement removed",
    "service-changed": "AWS service statement changed",
    "finding-new": "New finding",
    "finding-fixed": "Finding fixed",
    "finding-moved": "Finding moved with its resource (renamed)",
    "finding-exempted": "Finding now exempted",
    "finding-unexempted": "Finding no longer exempted",
    "exemption-added": "Exemption added",
    "exemption-removed": "Exemption removed",
    "exemption-changed": "Exemption changed",
    "domain-added": "Domain added",
    "domain-removed": "Domain removed",
}
_ORDER = {"widened": 0, "narrowed": 1, "changed": 2, "renamed": 3}


def _by_domain(diff: Diff) -> Iterator[tuple[str, list[Change]]]:
    domains: dict[str, list[Change]] = {}
    for change in diff.changes:
        domains.setdefault(change.domain, []).append(change)
    for domain, changes in domains.items():
        yield domain, sorted(changes, key=lambda c: _ORDER[c.effect])


def _summary(diff: Diff) -> str:
    counts = diff.counts()
    return (
        f"{counts['widened']} widened, {counts['narrowed']} narrowed, {counts['changed']} "
        f"other change(s), {counts['renamed']} rename(s)"
    )


def to_text(diff: Diff) -> str:
    """One line per entry, grouped by domain."""
    if not diff.changes:
        return "No change in who can reach any domain's data, its stores, key policy or findings."
    lines = []
    for domain, changes in _by_domain(diff):
        lines.append(f"Domain {domain}:")
        lines += [f"  {c.effect.upper():<9} {c.kind:<19} {c.message}" for c in changes]
    lines.append(_summary(diff) + ".")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diff: Diff) -> str:
    """A pull-request comment: a summary line, then a table per domain (widenings first)."""
    lines = ["## Access review (`cdk-partition diff`)", ""]
    if not diff.changes:
        lines.append(
            "No change in who can reach any domain's data, its stores, key policy or findings."
        )
        return "\n".join(lines) + "\n"
    lines += [f"**{_summary(diff)}.**", ""]
    for domain, changes in _by_domain(diff):
        lines += [f"### Domain `{domain}`", "", "| effect | change | what |", "| --- | --- | --- |"]
        for c in changes:
            effect = f"**{c.effect}**" if c.effect == "widened" else c.effect
            lines.append(f"| {effect} | {_TITLES.get(c.kind, c.kind)} | {_md(c.message)} |")
        lines.append("")
    lines.append(
        "`via <service>`: only in requests that come through that AWS service "
        "(`kms:ViaService`). *widened*: a principal may do more, a store left its key, a new "
        "error finding or exemption."
    )
    return "\n".join(lines) + "\n"


def _uri(file: str | None) -> str:
    if not file:
        return "cdk.out"
    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive
        return file
    return file if relative.startswith("..") else relative


def to_sarif(diff: Diff) -> dict[str, Any]:
    """SARIF 2.1.0: a rule per kind of entry, a result per entry (``error`` when it widens)."""
    kinds = sorted({c.kind for c in diff.changes} | set(_TITLES))
    rules = [
        {
            "id": f"CDKP-DIFF-{kind}",
            "shortDescription": {"text": _TITLES.get(kind, kind)},
        }
        for kind in kinds
    ]
    level = {"widened": "error", "narrowed": "note", "changed": "warning", "renamed": "note"}
    results = []
    for c in diff.changes:
        results.append(
            {
                "ruleId": f"CDKP-DIFF-{c.kind}",
                "level": level[c.effect],
                "message": {"text": f"[{c.domain}] {c.message}"},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": _uri(c.file)}},
                        "logicalLocations": [{"name": c.subject, "kind": "resource"}],
                    }
                ],
                "partialFingerprints": {"cdkPartitionDiff/v1": c.fingerprint},
                "properties": {
                    "domain": c.domain,
                    "effect": c.effect,
                    "subject": c.subject,
                    **({"capability": c.capability} if c.capability else {}),
                },
            }
        )
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {"tool": {"driver": {"name": "cdk-partition", "rules": rules}}, "results": results}
        ],
    }

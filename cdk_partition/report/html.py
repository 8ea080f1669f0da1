"""The reports as one self-contained HTML page: :func:`to_html`.

The page holds, per domain, the access matrix, the stores, the findings and the domain diagram as
inline SVG drawn here from the model (principals on the left, the key in the middle, the stores
on the right; a solid edge for a capability the key policy gives directly, a dashed one for what
comes only through an AWS service). No script, no stylesheet or font from elsewhere: a Content
Security Policy (``default-src 'none'``) keeps the page from loading anything when it is viewed.

Every value from the assembly is escaped twice over: :func:`cdk_partition.marks.printable` (no
control character, bidirectional override or newline survives) and then :func:`html.escape` (no
markup), in text and in attributes alike. Renderers only read the model (:mod:`.model`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from ..knowledge.capabilities import Capability
from ..marks import printable
from .markdown import _cell, _gates_cell, _rows, _via_text
from .model import DomainReport, OrgDomainReport, OrgReport, Report

#: Diagram geometry, in SVG user units (pixels at 100% zoom).
_BOX_W, _BOX_H, _GAP, _LABEL_CHARS = 250, 38, 12, 36
_COL_PRINCIPALS, _COL_KEY, _COL_STORES = 10, 420, 750
_WIDTH = _COL_STORES + _BOX_W + 10

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d2330}
h1{font-size:1.6rem}h2{font-size:1.3rem;border-bottom:1px solid #ccd;padding-bottom:.2rem;
margin-top:2.2rem}h3{font-size:1.05rem;margin-top:1.4rem}
table{border-collapse:collapse;margin:.4rem 0}th,td{border:1px solid #ccd;padding:.25rem .6rem;
text-align:left;vertical-align:top}th{background:#eef1f6}code{font-size:.92em}
td.cap{text-align:center;font-weight:600}td.yes{background:#d9f2dd;color:#135c22}
td.via{background:#fff3cd;color:#6a4b00}td.conditional{font-weight:400;font-style:italic}td.none{color:#8a8f99}td.undecidable{background:#f8d7da}
li.error{color:#8b1a1a}li.warning{color:#6a4b00}.rule{font-family:monospace;font-weight:700}
svg{max-width:100%;height:auto;border:1px solid #e3e6ec;background:#fbfcfe}
svg text{font:12px system-ui,sans-serif;fill:#1d2330}svg .edge{stroke:#4a5a78;fill:none;stroke-width:1.4}
svg .via{stroke-dasharray:5 4}svg .box{fill:#fff;stroke:#4a5a78}
svg rect.key{fill:#fde9c8;stroke:#b36b00}svg rect.store{fill:#e4efff}
"""


def _e(value: object) -> str:
    """``value`` as HTML text or attribute: printable, then markup-escaped."""
    return html.escape(printable(str(value)), quote=True)


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "\u2026"


def _box(x: int, y: int, label: str, css: str, detail: str = "") -> str:
    title = label + (f"\n{detail}" if detail else "")
    lines = [_short(label)] + ([_short(detail)] if detail else [])
    text_y = y + (_BOX_H // 2 + 4 if len(lines) == 1 else 14)
    texts = "".join(
        f'<text x="{x + 8}" y="{text_y + 14 * i}">{_e(line)}</text>' for i, line in enumerate(lines)
    )
    return (
        f'<g class="node {css}"><title>{_e(title)}</title>'
        f'<rect class="box {css}" x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6"/>'
        f"{texts}</g>"
    )


def diagram_svg(name: str, key_label: str, rows: Mapping[str, Mapping[str, Any]],
                stores: Sequence[Mapping[str, Any]]) -> str:  # fmt: skip
    """The domain diagram as an ``<svg>`` element: who reaches the key, and the stores on it.

    ``rows`` is the access matrix (label -> row as in :attr:`DomainReport.principals`); only rows
    that hold a capability, directly or through a service, are drawn. ``stores`` are the report's
    stores (``type``, ``path``)."""
    reaching = [
        (label, ", ".join(row.get("capabilities") or []), _via_text(row))
        for label, row in rows.items()
        if row.get("capabilities") or _via_text(row)
    ]
    step = _BOX_H + _GAP
    height = max(len(reaching), len(stores), 1) * step + _GAP + 10
    key_y = (height - _BOX_H) // 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" role="img" '
        f'viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" height="{height}">',
        f"<title>{_e(f'Domain {name}: who reaches its key, and its stores')}</title>",
    ]
    key_mid = key_y + _BOX_H // 2
    for index, (label, direct, via) in enumerate(reaching):
        y = _GAP + index * step
        mid = y + _BOX_H // 2
        start, end = _COL_PRINCIPALS + _BOX_W, _COL_KEY
        for text, css, offset in ((direct, "edge", -3), (via, "edge via", 3)):
            if not text:
                continue
            parts.append(
                f'<path class="{css}" d="M{start} {mid + offset} C{start + 80} {mid + offset} '
                f'{end - 80} {key_mid + offset} {end} {key_mid + offset}"><title>{_e(text)}'
                "</title></path>"
            )
        label_text = direct if direct else f"via: {via}"
        parts.append(
            f'<text class="edge-label" x="{start + 8}" y="{mid - 6}">{_e(_short(label_text))}</text>'
        )
        parts.append(_box(_COL_PRINCIPALS, y, label, "principal"))
    for index, store in enumerate(stores):
        y = _GAP + index * step
        mid = y + _BOX_H // 2
        parts.append(
            f'<path class="edge" d="M{_COL_KEY + _BOX_W} {key_mid} C{_COL_KEY + _BOX_W + 40} '
            f'{key_mid} {_COL_STORES - 40} {mid} {_COL_STORES} {mid}"/>'
        )
        parts.append(_box(_COL_STORES, y, str(store.get("type")), "store", str(store.get("path"))))
    parts.append(_box(_COL_KEY, key_y, f"{name} key", "key", key_label))
    parts.append("</svg>")
    return "".join(parts)


def _matrix(rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out = ['<table class="matrix"><thead><tr><th>principal</th>']
    out += [f"<th>{c.value}</th>" for c in Capability]
    out.append("</tr></thead><tbody>")
    for label, row in rows.items():
        cells = []
        for capability in Capability:
            mark = _cell(capability.value, row)
            css = {"yes": "yes", "-": "none", "?": "undecidable"}.get(mark, "via")
            if mark.startswith("only "):
                css = "via conditional"
            cells.append(
                f'<td class="cap {css}" data-capability="{capability.value}">{_e(mark)}</td>'
            )
        path = f" <small>({_e(row['path'])})</small>" if row.get("generated_name") else ""
        out.append(
            f'<tr data-principal="{_e(label)}"><th><code>{_e(label)}</code>{path}</th>'
            + "".join(cells)
            + "</tr>"
        )
    out.append("</tbody></table>")
    return out


def _table(head: Sequence[str], body: Sequence[Sequence[object]], css: str) -> list[str]:
    out = [f'<table class="{css}"><thead><tr>']
    out += [f"<th>{_e(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in body:
        out.append("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>")
    out.append("</tbody></table>")
    return out


def _findings(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    if not findings:
        return ['<p class="findings none">None.</p>']
    out = ['<ul class="findings">']
    for f in findings:
        exempt = f" (exempted: {_e(f.get('reason'))})" if f.get("exempted") else ""
        where = f" [{_e(f['assembly'])}]" if f.get("assembly") else ""
        out.append(
            f'<li class="finding {_e(f["severity"])}" data-rule="{_e(f["rule"])}">'
            f'<strong>{_e(f["severity"])}</strong> <span class="rule">{_e(f["rule"])}</span>'
            f"{where} {_e(f['message'])}{exempt}</li>"
        )
    out.append("</ul>")
    return out


def _domain(domain: DomainReport | OrgDomainReport) -> list[str]:
    rows = _rows(domain)
    out = [f'<section class="domain" data-domain="{_e(domain.name)}">']
    if isinstance(domain, DomainReport):
        key = domain.key
        out.append(f"<h2>Domain <code>{_e(domain.name)}</code></h2>")
        alias = f", alias <code>{_e(key['alias'])}</code>" if key.get("alias") else ""
        out.append(
            f"<p>Key <code>{_e(key['logical_id'])}</code> in stack <code>{_e(key['stack'])}"
            f"</code>{alias} ({_e(key['path'])}).</p>"
        )
        key_label = str(key.get("alias") or key.get("logical_id") or "")
        stores: list[tuple[object, ...]] = [
            (s["type"], s["stack"], s["path"], _gates_cell(s)) for s in domain.stores
        ]
        store_head: Sequence[str] = ("type", "stack", "construct path", "key gates")
    else:
        out.append(f"<h2>Domain <code>{_e(domain.name)}</code> ({_e(domain.where)})</h2>")
        out.append("<h3>Keys</h3>")
        out += _table(
            ("key", "account", "region", "ARN", "assembly", "construct path"),
            [
                (
                    k["kind"],
                    k["account"] or "(deploy time)",
                    k["region"] or "(deploy time)",
                    k["arn"] or "assigned at deployment",
                    k["assembly"],
                    k["path"],
                )
                for k in domain.keys
            ],
            "keys",
        )
        key_label = domain.where
        stores = [
            (
                s["account"] or "(deploy time)",
                s["region"] or "(deploy time)",
                s["assembly"],
                s["stack"],
                s["type"],
                s["path"],
                _gates_cell(s),
            )
            for s in domain.stores
        ]
        store_head = (
            "account",
            "region",
            "assembly",
            "stack",
            "type",
            "construct path",
            "key gates",
        )
    out.append("<h3>Who can reach the data</h3>")
    out += _matrix(rows) if rows else ["<p>The key policy is not in the assemblies given.</p>"]
    out.append("<h3>Diagram</h3>")
    out.append(diagram_svg(domain.name, key_label, rows, domain.stores))
    out.append("<h3>Stores</h3>")
    out += _table(store_head, stores, "stores") if stores else ["<p>No store uses this key.</p>"]
    out.append("<h3>Findings</h3>")
    out += _findings(domain.findings)
    out.append("</section>")
    return out


def to_html(report: Report | OrgReport) -> str:
    """The report (one assembly or the organisation) as one self-contained HTML page."""
    title = "Data domain access report"
    body: list[str] = []
    if isinstance(report, OrgReport):
        title += " (organisation)"
        body.append(
            "<p>Assemblies: "
            + ", ".join(f"<code>{_e(a)}</code>" for a in report.assemblies)
            + ".</p>"
        )
    if not report.domains:
        body.append("<p>No data domain keys found.</p>")
    for domain in report.domains:
        body += _domain(domain)
    if isinstance(report, OrgReport) and report.findings:
        body.append("<h2>Findings of no domain</h2>")
        body += _findings(report.findings)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{title}</h1>",
            *body,
            "</body></html>",
            "",
        ]
    )

"""Issue #20 item 6: the README's rule table and coverage figures come from the code.

The rule table (between ``<!-- rules:start -->`` and ``<!-- rules:end -->``) is rendered from
:data:`cdk_partition.audit.RULES` and :data:`cdk_partition.audit.organization.ORG_RULES`: every rule
id that can fire, with its severity, title and fix. The coverage figures (between
``<!-- coverage:start -->`` and ``<!-- coverage:end -->``) are the schema walk's
(``tests/test_schema_coverage.py``) and the catalogue's. Rewrite both with::

    python tests/test_readme_tables.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
RULES_START, RULES_END = "<!-- rules:start -->\n", "<!-- rules:end -->"


def render_rule_table() -> str:
    """The README's rule table: one row per rule id that can fire, in the registry's order."""
    from cdk_partition.audit import RULES
    from cdk_partition.audit.organization import ORG_RULES

    lines = ["| ID | severity | catches | fix |", "| --- | --- | --- | --- |"]
    for rule in [*RULES.values(), *ORG_RULES.values()]:
        fix = rule.fix.replace("|", "\\|")
        lines.append(f"| {rule.id} | {rule.severity} | {rule.title} | {fix} |")
    return "\n".join(lines) + "\n"


def coverage_figures() -> dict[str, int]:
    """The figures the README's coverage section states, computed from the schema walk and the
    catalogue."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import test_schema_coverage as walk

    from cdk_partition.knowledge.catalogue import CATALOGUE, KEYLESS_STORES, NOT_STORES

    types = walk.found()
    return {
        "schema types": len(walk._index()),
        "kms-capable types": len(types),
        "classified": len(
            [t for t in types if t in CATALOGUE or t in NOT_STORES or t in KEYLESS_STORES]
        ),
        "stores": len([t for t in types if t in CATALOGUE]),
        "slots": sum(len(CATALOGUE[t].slots) for t in types if t in CATALOGUE),
        "keyless": len([t for t in types if t in KEYLESS_STORES]),
        "not stores": len([t for t in types if t in NOT_STORES]),
        "kms_properties types": len(walk.kms_properties()),
    }


_FIGURES = {
    "schema types": r"walks every resource schema\s+\(([\d,]+) types\)",
    "kms-capable types": r"encryption\s+switch: \*\*([\d,]+) types\*\*",
    "classified": r"\*\*([\d,]+) of [\d,]+ \(\d+%\)\*\*",
    "stores": r"\*\*([\d,]+) stores\*\*",
    "slots": r"\(([\d,]+) slots,",
    "keyless": r"\*\*([\d,]+) keyless stores\*\*",
    "not stores": r"\*\*([\d,]+) types with no customer data at rest\*\*",
    "kms_properties types": r"kms_properties\.json`\s+\(([\d,]+) types,",
}


def readme_figures(text: str) -> dict[str, int]:
    block = text.split("<!-- coverage:start -->", 1)[1].split("<!-- coverage:end -->", 1)[0]
    out = {}
    for name, pattern in _FIGURES.items():
        match = re.search(pattern, block)
        assert match is not None, f"README's coverage section lost its {name} figure"
        out[name] = int(match.group(1).replace(",", ""))
    return out


def test_readme_rule_table_is_generated_from_the_rules() -> None:
    readme = README.read_text()
    assert RULES_START in readme, "README has no rule table markers"
    block = readme.split(RULES_START, 1)[1].split(RULES_END, 1)[0]
    assert block == render_rule_table(), (
        "README's rule table is stale: run `python tests/test_readme_tables.py`"
    )
    assert "| CDKP107 |" in block


def test_readme_coverage_figures_are_the_schema_walks() -> None:
    import pytest

    pytest.importorskip("cfnlint")
    assert readme_figures(README.read_text()) == coverage_figures(), (
        "README's coverage figures are stale: run `python tests/test_readme_tables.py`"
    )


def _rewrite() -> None:
    text = README.read_text()
    head, rest = text.split(RULES_START, 1)
    text = head + RULES_START + render_rule_table() + RULES_END + rest.split(RULES_END, 1)[1]
    figures = coverage_figures()
    start, end = "<!-- coverage:start -->", "<!-- coverage:end -->"
    before, block = text.split(start, 1)
    block, after = block.split(end, 1)
    for name, pattern in _FIGURES.items():
        value = figures[name]
        if name == "classified":
            total = figures["kms-capable types"]
            block = re.sub(r"\*\*[\d,]+ of [\d,]+ \(\d+%\)\*\*",
                           f"**{value:,} of {total:,} ({100 * value // total}%)**", block)  # fmt: skip
            continue
        match = re.search(pattern, block)
        if match is not None:
            block = block[: match.start(1)] + f"{value:,}" + block[match.end(1) :]
    README.write_text(before + start + block + end + after)


if __name__ == "__main__":
    _rewrite()

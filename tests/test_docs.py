"""The documentation site (``mkdocs.yml``, ``docs/``) and the README that leads into it.

What the pages show from the code is generated when the site is built (``docs/gen/tables.py``,
run by the MkDocs hook ``docs/gen/hook.py``): these tests hold that each page still asks for its
generated piece, that every marker names a generator, and that the generated pieces are complete
(every rule id, the coverage figures the schema walk finds). ``.ci/run`` builds the site with
``mkdocs build --strict`` (broken links and missing pages fail).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from docs.gen import tables

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def _page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("page", "marker"),
    [
        ("enforcement.md", "rules"),
        ("enforcement.md", "coverage.classified"),
        ("service-contracts.md", "contracts"),
        ("cross-account.md", "cross-account"),
        ("cli.md", "cli"),
        ("cli.md", "finding-fields"),
        ("index.md", "readme"),
    ],
)
def test_each_page_shows_its_generated_piece(page: str, marker: str) -> None:
    assert f"<!-- gen:{marker} -->" in _page(page)


def test_every_marker_names_a_generator() -> None:
    for page in DOCS.glob("*.md"):
        for name in tables.MARKER.findall(page.read_text(encoding="utf-8")):
            assert name in tables.GENERATORS, f"{page.name}: no generator {name!r}"


def test_an_unknown_marker_fails_the_build() -> None:
    with pytest.raises(KeyError):
        tables.expand("<!-- gen:no-such-table -->")


def test_the_rule_table_lists_every_rule_in_the_registry_order() -> None:
    from cdk_partition.audit import RULES
    from cdk_partition.audit.organization import ORG_RULES

    table = tables.expand(_page("enforcement.md"))
    ids = re.findall(r"^\| (CDKP\d{3}) \|", table, re.MULTILINE)
    assert ids == [*RULES, *ORG_RULES]
    assert "CDKP107" in ids and len(ids) == len(set(ids))


def test_the_coverage_figures_are_the_schema_walks() -> None:
    pytest.importorskip("cfnlint")
    text = tables.expand(_page("enforcement.md"))
    figures = tables.coverage_figures()
    assert f"**{figures['stores']:,} stores**" in text
    assert (
        f"**{figures['classified']:,} of {figures['kms-capable-types']:,} "
        f"({figures['classified-percent']}%)**" in text
    )
    assert f"({figures['schema-types']:,} types)" in text


def test_the_cli_reference_names_every_subcommand_and_option() -> None:
    from cdk_partition.cli import build_parser

    text = tables.expand(_page("cli.md"))
    for name, sub in tables._subparsers(build_parser()).items():
        assert f"### `cdk-partition {name}`" in text
        for action in sub._actions:
            for option in action.option_strings:
                assert option in text


def test_the_json_field_list_is_the_findings_fields() -> None:
    """docs/cli.md lists every field ``audit --format json`` prints (issue #24: the hand-written
    list had lost ``template_path``), each with its meaning, from the dataclass itself."""
    import dataclasses

    from cdk_partition.audit import Finding

    text = tables.expand(_page("cli.md"))
    names = [f.name for f in dataclasses.fields(Finding)]
    assert "template_path" in names
    rows = re.findall(r"(?m)^\| `(\w+)` \| `[^`]+` \| (.+) \|$", text)
    assert [name for name, _ in rows] == names
    assert all(meaning.strip() for _, meaning in rows), rows
    finding = Finding("CDKP001", "error", "S", "L", "S/L", "AWS::SNS::Topic", "m", "f")
    assert list(finding.to_json()) == names  # what the JSON output prints, in this order


def test_the_contract_tables_are_the_codes() -> None:
    from cdk_partition.knowledge import contracts_render

    assert contracts_render.render_markdown().strip() in tables.expand(
        _page("service-contracts.md")
    )
    assert contracts_render.render_cross_account_markdown().strip() in tables.expand(
        _page("cross-account.md")
    )


def test_the_nav_names_pages_that_exist() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    pages = re.findall(r":\s+([\w-]+\.md)\s*$", nav, re.MULTILINE)
    assert {"prover.md", "contracts.md", "identities.md", "mixin.md", "quiet-synth.md"} <= set(
        pages
    )
    for page in pages:
        assert (DOCS / page).is_file(), page


def test_the_readme_leads() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings[:4] == [
        "Install",
        "The two commands",
        "Your first app",
        "What the checks catch",
    ]
    for link in re.findall(r"\]\((docs/[\w-]+\.md)", text):
        assert (ROOT / link).is_file(), link


def test_the_readme_holds_the_ci_test_command_verbatim() -> None:
    """``.ci/run`` runs the README's test command (section "The two commands") as written."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (command,) = [line for line in ci.splitlines() if line.startswith("python3 -m venv .venv &&")]
    readme = README.read_text(encoding="utf-8")
    assert f"```bash\n{command}\n```" in readme
    assert '"The two commands"' in ci and "## The two commands" in readme

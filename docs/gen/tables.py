"""What the documentation shows from the code, rendered when the site is built.

A page asks for a piece with an HTML comment ``<!-- gen:NAME -->`` (a block on a line of its own
or a figure inside a sentence); :func:`expand` replaces each with :data:`GENERATORS` ``[NAME]()``.
An unknown name raises :class:`KeyError`, so a misspelt marker fails the (strict) build. Nothing
is pasted into the pages by hand: the rule table, the coverage figures, the service contract and
cross-account tables and the CLI reference are the code's own.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!-- gen:([\w.-]+) -->")


def rule_table() -> str:
    """One row per rule id that can fire (the audit's and the organisation's), in the registry's
    order, with severity, title and fix."""
    from cdk_partition.audit import RULES
    from cdk_partition.audit.organization import ORG_RULES

    lines = ["| ID | severity | catches | fix |", "| --- | --- | --- | --- |"]
    for rule in [*RULES.values(), *ORG_RULES.values()]:
        fix = rule.fix.replace("|", "\\|")
        lines.append(f"| {rule.id} | {rule.severity} | {rule.title} | {fix} |")
    return "\n".join(lines) + "\n"


@functools.cache
def coverage_figures() -> dict[str, int]:
    """The schema walk's figures (``tests/test_schema_coverage.py``, over the CloudFormation
    schemas cfn-lint ships) and the catalogue's. Needs cfn-lint (the ``proof`` extra)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import test_schema_coverage as walk

    from cdk_partition.knowledge.catalogue import CATALOGUE, KEYLESS_STORES, NOT_STORES

    types = walk.found()
    classified = [t for t in types if t in CATALOGUE or t in NOT_STORES or t in KEYLESS_STORES]
    return {
        "schema-types": len(walk._index()),
        "kms-capable-types": len(types),
        "classified": len(classified),
        "classified-percent": 100 * len(classified) // len(types),
        "stores": len([t for t in types if t in CATALOGUE]),
        "slots": sum(len(CATALOGUE[t].slots) for t in types if t in CATALOGUE),
        "keyless": len([t for t in types if t in KEYLESS_STORES]),
        "not-stores": len([t for t in types if t in NOT_STORES]),
        "kms-properties-types": len(walk.kms_properties()),
    }


def contract_table() -> str:
    from cdk_partition.knowledge import contracts_render

    return contracts_render.render_markdown()


def mixin_table() -> str:
    """What ``domain.encryption_at_rest()`` does to each kind of store (the catalogue's slots,
    switches and the cases it reports)."""
    from cdk_partition.knowledge import encryption_plan

    return encryption_plan.render_markdown()


def key_allows_table() -> str:
    from cdk_partition.knowledge import contracts_render

    return contracts_render.render_key_allows_markdown()


def cross_account_table() -> str:
    from cdk_partition.knowledge import contracts_render

    return contracts_render.render_cross_account_markdown()


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subcommands here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_reference() -> str:
    """``cdk-partition --help`` and each subcommand's ``--help``, as the installed CLI prints them
    (a fixed width, so that the page does not depend on the terminal)."""
    import os

    from cdk_partition.cli import build_parser

    os.environ["COLUMNS"] = "100"
    parser = build_parser()
    parts = [f"```text\n{parser.format_help()}```\n"]
    for name, sub in _subparsers(parser).items():
        parts.append(f"### `cdk-partition {name}`\n\n```text\n{sub.format_help()}```\n")
    return "\n".join(parts)


def finding_fields() -> str:
    """The fields of a finding in ``audit --format json``, from the dataclass
    (:class:`cdk_partition.audit.Finding`): name, type and the field's own docstring."""
    import ast
    import dataclasses
    import inspect
    import itertools

    from cdk_partition.audit import Finding

    tree = ast.parse(inspect.getsource(Finding))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {
        node.target.id: " ".join(nxt.value.value.split())
        for node, nxt in itertools.pairwise(body)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(nxt, ast.Expr)
        and isinstance(nxt.value, ast.Constant)
        and isinstance(nxt.value.value, str)
    }
    lines = ["| field | type | meaning |", "| --- | --- | --- |"]
    for field in dataclasses.fields(Finding):
        kind = "str" if field.type == "Severity" else str(field.type).replace(" | ", " or ")
        meaning = docs.get(field.name, "").replace("``", "`").replace("|", "\\|")
        lines.append(f"| `{field.name}` | `{kind}` | {meaning} |")
    return "\n".join(lines) + "\n"


def readme() -> str:
    """The repository's README as the site's home page: its links into ``docs/`` made relative."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.replace("](docs/", "](")


def backup_table() -> str:
    """What an AWS Backup selection's role asks of a domain key (``knowledge/backup_kms.py``)."""
    from cdk_partition.knowledge import backup_kms

    return backup_kms.render_markdown()


def run_role_table() -> str:
    """Roles a store runs with (``knowledge/run_roles.py``)."""
    from cdk_partition.knowledge import run_roles

    return run_roles.render_markdown()


GENERATORS: dict[str, Callable[[], str]] = {
    "readme": readme,
    "backup-roles": backup_table,
    "run-roles": run_role_table,
    "rules": rule_table,
    "contracts": contract_table,
    "key-allows": key_allows_table,
    "cross-account": cross_account_table,
    "mixin": mixin_table,
    "cli": cli_reference,
    "finding-fields": finding_fields,
    **{
        f"coverage.{name}": (lambda name=name: f"{coverage_figures()[name]:,}")
        for name in (
            "schema-types",
            "kms-capable-types",
            "classified",
            "classified-percent",
            "stores",
            "slots",
            "keyless",
            "not-stores",
            "kms-properties-types",
        )
    },
}


def expand(markdown: str) -> str:
    """``markdown`` with every ``<!-- gen:NAME -->`` replaced by its generator's output.

    Raises:
        KeyError: a marker names no generator.
    """
    return MARKER.sub(lambda m: GENERATORS[m.group(1)]().rstrip("\n"), markdown)

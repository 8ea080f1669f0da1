"""``cdk-partition``: audit and report on a cloud assembly (``cdk.out``) or a template.

Pure Python over JSON files: it never loads aws-cdk-lib, so it starts in a fraction of a second.

Exit codes: 0 no error findings, 1 error findings, 2 bad input (missing path, not a template,
unreadable JSON) with a one-line reason on stderr, 3 an internal error (one line, no traceback; a
check that crashes on one resource is a CDKP000 finding instead).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import audit
from .assembly import AssemblyInputError, load

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _text(findings: list[audit.Finding]) -> str:
    if not findings:
        return "No findings: every store uses its domain key and every domain key is sound."
    lines = []
    for f in findings:
        tag = f"{f.severity.upper()}{' (exempted)' if f.exempted else ''}"
        lines.append(f"{tag} {f.rule} {f.path} [{f.resource_type}] {f.message}")
        if f.exempted:
            lines.append(f"    exempted: {f.reason}")
    errors = len(audit.failing(findings))
    lines.append(f"{len(findings)} finding(s), {errors} failing.")
    return "\n".join(lines)


def _sarif(findings: list[audit.Finding]) -> dict[str, Any]:
    rules = [
        {
            "id": rule.id,
            "shortDescription": {"text": rule.title},
            "help": {"text": rule.fix},
            "defaultConfiguration": {"level": rule.severity},
        }
        for rule in audit.RULES.values()
    ]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": f.severity,
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": f.template_path or f.stack}},
                    "logicalLocations": [{"name": f.logical_id, "fullyQualifiedName": f.path}],
                }
            ],
        }
        if f.exempted:
            result["suppressions"] = [{"kind": "inSource", "justification": f.reason or ""}]
        results.append(result)
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {"tool": {"driver": {"name": "cdk-partition", "rules": rules}}, "results": results}
        ],
    }


def _cmd_audit(args: argparse.Namespace) -> int:
    findings = audit.audit_path(args.path)
    if args.format == "json":
        print(json.dumps([f.to_json() for f in findings], indent=2))
    elif args.format == "sarif":
        print(json.dumps(_sarif(findings), indent=2))
    else:
        print(_text(findings))
    return EXIT_FINDINGS if audit.failing(findings) else EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from . import report

    result = report.build_report(load(args.path))
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(report.to_markdown(result))
    return EXIT_FINDINGS if result.has_errors else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdk-partition",
        description="Check that every store of a data domain uses the domain's KMS key, and "
        "report who can reach each domain's data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    audit_cmd = commands.add_parser("audit", help="audit a cdk.out directory or a template")
    audit_cmd.add_argument("path", help="a cloud assembly directory (cdk.out) or a template file")
    audit_cmd.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    audit_cmd.set_defaults(run=_cmd_audit)
    report_cmd = commands.add_parser("report", help="who can administer/read/write each domain")
    report_cmd.add_argument("path", help="a cloud assembly directory (cdk.out) or a template file")
    report_cmd.add_argument("--format", choices=["markdown", "json"], default="markdown")
    report_cmd.set_defaults(run=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except AssemblyInputError as error:
        print(f"cdk-partition: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # never a traceback: one line, and an exit code of its own
        print(f"cdk-partition: internal error ({type(error).__name__}: {error})", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

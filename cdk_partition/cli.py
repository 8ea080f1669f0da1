"""``cdk-partition``: audit and report on cloud assemblies (``cdk.out``) or templates.

Several paths (the apps of an organisation, each a cloud assembly) are audited each on its own,
then together (:mod:`cdk_partition.audit.organization`: references to a domain owned by another app);
with more than one path every finding names its assembly (the path as given).

Pure Python over JSON files: it never loads aws-cdk-lib, so it starts in a fraction of a second.

Exit codes: 0 no error findings (everything read), 1 error findings, 2 bad input with a one-line
reason naming the file (and the JSON path) on stderr: a missing path, a file that is not a regular
file inside the assembly, over a limit or not JSON, a manifest the cloud assembly schema refuses, a
template without the CloudFormation shape (:mod:`cdk_partition.assembly.limits`,
:mod:`cdk_partition.assembly.validation`); 3 an internal error (one line, no traceback; a check
that crashes on one resource is a CDKP000 finding instead). A closed standard output (``| head``)
ends the output quietly with the exit code the run would have had.

Every line printed is escaped (:func:`cdk_partition.marks.printable`): a value read from the
assembly (a construct path, an id, a message) cannot print a control character, an ANSI escape,
a bidirectional override or a line of its own; JSON and SARIF escape them as JSON does.

``diff`` compares two assemblies (or two sets) as the report models them
(:mod:`cdk_partition.report.diff`); it exits 1 only when ``--fail-on`` names what it found.
``reference-policy`` writes a domain key's policy for IAM Access Analyzer's CheckNoNewAccess.
``init [DIR]`` writes a new app project (:mod:`cdk_partition.scaffold`); exit 2 if it would
overwrite a file.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from . import audit
from .assembly import AssemblyInputError
from .audit import organization
from .marks import printable

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


Labelled = list[tuple[str | None, audit.Finding]]
"""Findings, each with the label of its assembly (None when only one was given)."""


def _text(labelled: Labelled) -> str:
    findings = [f for _, f in labelled]
    if not findings:
        return "No findings: every store uses its domain key and every domain key is sound."
    lines = []
    for label, f in labelled:
        tag = f"{f.severity.upper()}{' (exempted)' if f.exempted else ''}"
        where = f"[{label}] " if label else ""
        lines.append(f"{tag} {f.rule} {where}{f.path} [{f.resource_type}] {f.message}")
        if f.exempted:
            lines.append(f"    exempted: {f.reason}")
    errors = len(audit.failing(findings))
    lines.append(f"{len(findings)} finding(s), {errors} failing.")
    return "\n".join(printable(line) for line in lines)  # a value cannot start a line of its own


def _sarif(labelled: Labelled) -> dict[str, Any]:
    rules = [
        {
            "id": rule.id,
            "shortDescription": {"text": rule.title},
            "help": {"text": rule.fix},
            "defaultConfiguration": {"level": rule.severity},
        }
        for rule in [*audit.RULES.values(), *organization.ORG_RULES.values()]
    ]
    results = []
    for label, f in labelled:
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
        if label:
            result["properties"] = {"assembly": label}
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
    members = organization.load_members(args.path)
    several = len(members) > 1
    labelled: Labelled = [
        (label if several else None, f) for label, found in organization.audit_members(members).items()
        for f in found
    ]  # fmt: skip
    if args.format == "json":
        print(
            json.dumps(
                [f.to_json() | ({"assembly": label} if label else {}) for label, f in labelled],
                indent=2,
            )
        )
    elif args.format == "sarif":
        print(json.dumps(_sarif(labelled), indent=2))
    else:
        print(_text(labelled))
    return EXIT_FINDINGS if audit.failing(f for _, f in labelled) else EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from . import report

    members = organization.load_members(args.path)
    result: report.Report | report.OrgReport
    if len(members) > 1 or report.spans_environments(members[0].assembly):
        result = report.build_org_report(members, organization.audit_members(members))
    else:
        result = report.build_report(members[0].assembly)
    if args.format == "json":
        text = json.dumps(result.to_json(), indent=2)
    elif args.format == "html":
        text = report.to_html(result)
    elif isinstance(result, report.OrgReport):
        text = report.org_to_markdown(result)
    else:
        text = report.to_markdown(result)
    print(text)
    return EXIT_FINDINGS if result.has_errors else EXIT_OK


def _write(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text if text.endswith("\n") else text + "\n")
    else:
        print(text)


def _cmd_diff(args: argparse.Namespace) -> int:
    from .report import diff, diff_render

    before = [*([args.base] if args.base else []), *(args.before or [])]
    after = [*([args.head] if args.head else []), *(args.after or [])]
    if not before or not after:
        raise AssemblyInputError("give BEFORE AFTER, or --before PATH... --after PATH...")
    result = diff.diff_paths(before, after)
    if args.format == "json":
        text = json.dumps(result.to_json(), indent=2)
    elif args.format == "sarif":
        text = json.dumps(diff_render.to_sarif(result), indent=2)
    elif args.format == "markdown":
        text = diff_render.to_markdown(result)
    else:
        text = diff_render.to_text(result)
    _write(text, args.output)
    return EXIT_FINDINGS if result.fails(args.fail_on) else EXIT_OK


def _cmd_reference_policy(args: argparse.Namespace) -> int:
    from .assembly import load
    from .report import reference

    try:
        policy = reference.reference_policy(
            load(args.path),
            args.domain,
            stack=args.stack,
            account=args.account,
            region=args.region,
            partition=args.partition,
        )
    except LookupError as error:
        raise AssemblyInputError(f"{args.path}: {error.args[0]}") from error
    _write(json.dumps(policy, indent=2), args.output)
    return EXIT_OK


_DIFF_HELP = """exit codes: 0 nothing --fail-on names changed (always with the default `none`), 1 the
diff has what --fail-on names, 2 bad input, 3 internal error. --fail-on: `errors` a new error
finding (not exempted); `widened` a principal gained a capability or a wider form of one (`via s3`
-> `yes`, a new service), a store left its domain key, a new error finding, a new AWS service
statement, a new or wider exemption; `any` any entry but a rename (a store removed and added
again with the same type, key and gates)."""


def _add_diff(commands: Any) -> None:
    cmd = commands.add_parser(
        "diff",
        help="what changed in who can reach each domain's data between two assemblies",
        description="Compare two cloud assemblies (or two sets: an organisation's apps, paired in "
        "the order given) as the access report models them: capabilities gained and lost per "
        "principal, stores added, removed, renamed or moved on/off the domain key, key-policy "
        "statements, findings new and fixed, exemptions.",
        epilog=_DIFF_HELP,
    )
    cmd.add_argument("base", nargs="?", metavar="BEFORE", help="the assembly before the change")
    cmd.add_argument("head", nargs="?", metavar="AFTER", help="the assembly after the change")
    cmd.add_argument("--before", nargs="+", metavar="PATH", help="assemblies before (several)")
    cmd.add_argument("--after", nargs="+", metavar="PATH", help="assemblies after (several)")
    cmd.add_argument("--format", choices=["text", "markdown", "json", "sarif"], default="text")
    cmd.add_argument("--fail-on", choices=["none", "errors", "widened", "any"], default="none")
    cmd.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    cmd.set_defaults(run=_cmd_diff)
    ref = commands.add_parser(
        "reference-policy",
        help="a domain key's policy as the reference for Access Analyzer CheckNoNewAccess",
        description="Write the domain key's key policy (intrinsics rendered as the report "
        "renders them) as the existing-policy document of IAM Access Analyzer's "
        "CheckNoNewAccess with --policy-type RESOURCE_POLICY.",
    )
    ref.add_argument("path", help="cloud assembly directory (cdk.out) or template")
    ref.add_argument("--domain", required=True, help="the domain's name")
    ref.add_argument("--stack", help="the stack of the key, when the domain has several")
    ref.add_argument("--account", help="fill ${AWS::AccountId} (default: the stack's account)")
    ref.add_argument("--region", help="fill ${AWS::Region} (default: the stack's region)")
    ref.add_argument("--partition", help="fill ${AWS::Partition} (default: aws when known)")
    ref.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    ref.set_defaults(run=_cmd_reference_policy)


def _cmd_init(args: argparse.Namespace) -> int:
    from . import scaffold

    try:
        written = scaffold.init(args.directory)
    except scaffold.ProjectExistsError as error:
        print(f"cdk-partition: {printable(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    root = os.path.abspath(args.directory)
    for path in written:
        print(f"wrote {os.path.relpath(path, root)}")
    print(
        f"\nNext, in {root}:\n"
        "  python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements-dev.txt\n"
        "  npm ci && npx cdk synth && pytest"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdk-partition",
        description="Check that every store of a data domain uses the domain's KMS key, and "
        "report who can reach each domain's data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    paths = "cloud assembly directories (cdk.out) or template files; several: the apps of an "
    paths += "organisation, audited each on its own and together"
    audit_cmd = commands.add_parser("audit", help="audit cdk.out directories or templates")
    audit_cmd.add_argument("path", nargs="+", help=paths)
    audit_cmd.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    audit_cmd.set_defaults(run=_cmd_audit)
    report_cmd = commands.add_parser("report", help="who can administer/read/write each domain")
    report_cmd.add_argument("path", nargs="+", help=paths)
    report_cmd.add_argument(
        "--format",
        choices=["markdown", "json", "html"],
        default="markdown",
        help="html: one self-contained page (matrix, findings, the domain diagram as SVG)",
    )
    report_cmd.set_defaults(run=_cmd_report)
    _add_diff(commands)
    init_cmd = commands.add_parser(
        "init",
        help="write a new CDK app project: app.py (a DomainStack, checks on), cdk.json, the CDK "
        "CLI pin (package.json), requirements, a test",
    )
    init_cmd.add_argument("directory", nargs="?", default=".", help="created when missing")
    init_cmd.set_defaults(run=_cmd_init)
    return parser


class _Output(io.TextIOBase):
    """Standard output as the commands see it: every character written that is not a newline
    passes through :func:`printable` (a renderer that forgot to escape a value still cannot
    print a control character), and once the reader has gone (``BrokenPipeError``: ``| head``)
    the rest is dropped so the command ends with its own exit code."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target
        self.closed_pipe = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            safe = "\n".join(printable(part) for part in text.split("\n"))
            try:
                self.target.write(safe)
            except BrokenPipeError:
                self.closed_pipe = True
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self.target.flush()
            except BrokenPipeError:
                self.closed_pipe = True


def _quiet_closed_stdout() -> None:
    """The reader of standard output has gone: point it at /dev/null, so that the interpreter's
    own flush at exit prints nothing either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the exit code (see the module docstring)."""
    args = build_parser().parse_args(argv)
    stdout = sys.stdout
    output = _Output(stdout)
    sys.stdout = output  # type: ignore[assignment]
    try:
        code = _run(args)
        output.flush()
    finally:
        sys.stdout = stdout
    if output.closed_pipe:
        _quiet_closed_stdout()
    return code


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.run(args))
    except AssemblyInputError as error:
        print(f"cdk-partition: {printable(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # never a traceback: one line, and an exit code of its own
        message = printable(f"{type(error).__name__}: {error}")
        print(f"cdk-partition: internal error ({message[:300]})", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

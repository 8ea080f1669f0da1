"""What the audit cannot read, and what CloudFormation itself would refuse: never silence.

* ``CDKP017`` (error): a ``cdk_partition:checks`` mark the checks cannot read (the metadata not
  a list, an entry not an object with a string ``domain``), or a domain key in a stack that no
  mark of its domain covers while other stacks of the assembly carry marks (a mark deleted or
  mangled: the stores beside that key would otherwise be checked by nobody).
* ``CDKP018`` (error): two stacks of one deployment target (account and region, the same or
  unknown for both) export the same name; CloudFormation refuses the second ("For each AWS
  account, Export names must be unique within a region", AWS CloudFormation User Guide,
  "CloudFormation template Outputs syntax",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html),
  and an ``Fn::ImportValue`` of that name could resolve to either.

Pure Python over the cloud assembly model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..assembly import CHECKS_METADATA_KEY, CloudAssembly, StackTemplate
from .rules import Finding, Rule, Source, make_finding, no_aws_page, short

__all__ = ["RULES", "audit_readability"]

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP017",
        "error",
        "Domain checks mark cannot be read",
        "re-synthesize the app with cdk_partition's checks applied (DomainEncryptionChecks or a "
        "DomainStack) so that every stack holding a domain key carries a readable "
        f"{CHECKS_METADATA_KEY} mark; never edit the marks by hand",
        source=no_aws_page("the marks are cdk_partition's own template metadata"),
    ),
    Rule(
        "CDKP018",
        "error",
        "Export name declared by two stacks",
        "give each Export a name unique within its account and region (the CDK's own "
        "cross-stack exports are named after their stack)",
        source=Source(
            'AWS CloudFormation User Guide, "CloudFormation template Outputs syntax"',
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
            "outputs-section-structure.html",
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def _stack_fields(stack: StackTemplate, where: str) -> dict[str, Any]:
    path = stack.construct_path or stack.name
    return {
        "stack": stack.name,
        "logical_id": "",
        "path": path,
        "resource_type": "",
        "domain": None,
        "template_path": stack.file,
        "location": where,
    }


def _bad_marks(marks: Any) -> str | None:
    """Why the ``cdk_partition:checks`` metadata cannot be read (None: it can)."""
    if not isinstance(marks, list):
        return f"is {short(marks)}, not a list of marks"
    for index, mark in enumerate(marks):
        if not (isinstance(mark, dict) and isinstance(mark.get("domain"), str)):
            return f"entry {index} is {short(mark)}, not a mark with a string domain"
    return None


def audit_readability(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP017 and CDKP018 over the whole assembly."""
    marked = any(scope.source not in ("default", "on-key") for scope in assembly.scopes)
    for stack in assembly.stacks:
        metadata = stack.template.get("Metadata")
        if isinstance(metadata, dict) and CHECKS_METADATA_KEY in metadata:
            why = _bad_marks(metadata[CHECKS_METADATA_KEY])
            if why is not None:
                yield make_finding(
                    _RULE["CDKP017"],
                    f"{stack.construct_path or stack.name}: the template's "
                    f"{CHECKS_METADATA_KEY} metadata {why}: the checks cannot tell which "
                    "resources they cover.",
                    **_stack_fields(stack, f"Metadata.{CHECKS_METADATA_KEY}"),
                )
    for key in assembly.domain_keys if marked else ():
        if any(scope.domain == key.name for scope, _ in assembly.scopes_of(key.stack)):
            continue
        yield make_finding(
            _RULE["CDKP017"],
            f"{key.path}: the key of domain {key.name!r} is in stack "
            f"{key.stack.construct_path or key.stack.name}, which carries no "
            f"{CHECKS_METADATA_KEY} mark of its domain while other stacks carry marks: the "
            "stores beside it are checked by nobody.",
            stack=key.stack.name,
            logical_id=key.logical_id,
            path=key.path,
            resource_type=short(key.resource.get("Type")),
            domain=key.name,
            template_path=key.stack.file,
        )
    yield from _duplicate_exports(assembly)


def _duplicate_exports(assembly: CloudAssembly) -> Iterator[Finding]:
    seen: dict[tuple[str | None, str | None, str], StackTemplate] = {}
    for stack in assembly.stacks:
        outputs = stack.template.get("Outputs")
        for output_id, output in (outputs if isinstance(outputs, dict) else {}).items():
            export = output.get("Export") if isinstance(output, dict) else None
            name = export.get("Name") if isinstance(export, dict) else None
            if not isinstance(name, str):
                continue
            environment = stack.environment
            target = (environment.account, environment.region, name)
            first = seen.setdefault(target, stack)
            if first is stack:
                continue
            yield make_finding(
                _RULE["CDKP018"],
                f"{stack.construct_path or stack.name}: output {output_id} exports "
                f"{short(name)}, which stack {first.construct_path or first.name} exports "
                "too: CloudFormation refuses a second export of one name in an account and "
                "region, and the audit cannot tell which value an import of it receives.",
                **_stack_fields(stack, f"Outputs.{output_id}.Export.Name"),
            )

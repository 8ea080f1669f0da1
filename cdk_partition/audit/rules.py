"""The registry's types: a :class:`Rule` (id, severity, title, fix and the AWS page it rests
on), a :class:`Finding`, and the helpers every rule module writes its findings with.

Each family of rules (:mod:`~cdk_partition.audit.stores`, :mod:`~cdk_partition.audit.key_policy`,
...) declares its own :class:`Rule` s next to the code that decides them;
:mod:`~cdk_partition.audit.registry` collects them into :data:`~cdk_partition.audit.RULES`.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ..assembly import StackTemplate, resource_path

__all__ = [
    "CRASH",
    "Finding",
    "Rule",
    "Severity",
    "Source",
    "crash",
    "detail_after",
    "make_finding",
    "no_aws_page",
    "property_is",
    "resource_fields",
    "short",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Source:
    """The AWS documentation page a rule rests on: its title and address. A rule that rests on
    no AWS behaviour (cdk_partition's own marks, tables or limits) has no ``url``, and its
    ``title`` says why (:func:`no_aws_page`)."""

    title: str
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.title}: {self.url}" if self.url else self.title


def no_aws_page(why: str) -> Source:
    """The :class:`Source` of a rule that rests on no AWS page, saying why."""
    return Source(f"no AWS page: {why}")


@dataclass(frozen=True)
class Rule:
    """A rule of the domain checks: stable id, what it catches, how to fix it, and the AWS page
    it rests on."""

    id: str
    severity: Severity
    title: str
    fix: str
    source: Source


@dataclass(frozen=True)
class Finding:
    """One result of the audit: rule, where (stack, logical id, construct path, property) and
    what to change."""

    rule: str
    """The rule id (``CDKP002``)."""
    severity: Severity
    """``error`` (fails the synth and the CLI) or ``warning``."""
    stack: str
    """The stack's artifact id in the cloud assembly."""
    logical_id: str
    """The resource's logical id in its template."""
    path: str
    """The construct path (``Orders/Raw/Resource``)."""
    resource_type: str
    """The CloudFormation type (``AWS::S3::Bucket``)."""
    message: str
    """What is wrong, ending with ``Fix: <fix>.``"""
    fix: str
    """What to change: a fix that passes when applied as written."""
    domain: str | None = None
    """The domain whose data the resource holds, when known."""
    location: str | None = None
    """The property path the finding is about (``KmsMasterKeyId``, ``KeyPolicy.Statement[2]``)."""
    value: str | None = None
    """That property's own value as the template has it (short JSON), when there is one."""
    template_path: str | None = None
    """The template file the resource is in, as read."""
    exempted: bool = False
    """True when ``exempt(...)`` exempted the resource from this rule (the finding fails nothing)."""
    reason: str | None = None
    """The exemption's reason."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def short(value: Any) -> str:
    """``value`` as text for a message: itself when a string, else JSON; at most 120
    characters."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def property_is(location: str, value: Any) -> str:
    """``<property> is <its value>`` (``is not set`` when absent): a finding's message pairs a
    property path with that property's own value, never another's."""
    return f"{location} is {short(value)}" if value is not None else f"{location} is not set"


def detail_after(location: str, value: Any, detail: str) -> str:
    """``detail`` without its opening ``<property> <value>`` when :func:`property_is` already
    said it (``SSEAlgorithm AES256 (SSE-S3: AWS owned key)`` -> ``SSE-S3: AWS owned key``)."""
    said = f"{location.rsplit('.', 1)[-1]} {short(value)}" if value is not None else None
    if said is None or not detail.startswith(said):
        return detail
    rest = detail[len(said) :].strip(" :")
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    return rest or detail


class _Base(Mapping[str, Any]):
    """The fields every finding about one resource shares. The construct path is computed when
    first read (when a finding is made): without ``aws:cdk:path`` metadata it comes from
    ``tree.json``, which a clean audit then never has to read."""

    __slots__ = ("_fields", "_resource", "_stack")
    _KEYS = ("stack", "logical_id", "path", "resource_type", "domain", "template_path")

    def __init__(
        self,
        stack: StackTemplate,
        logical_id: str,
        resource: Mapping[str, Any],
        domain: str | None,
    ) -> None:
        self._stack, self._resource = stack, resource
        self._fields: dict[str, Any] = {
            "stack": stack.name,
            "logical_id": logical_id,
            "resource_type": str(resource.get("Type", "")),
            "domain": domain,
            "template_path": stack.file,
        }

    def __getitem__(self, key: str) -> Any:
        if key == "path" and key not in self._fields:
            logical_id = self._fields["logical_id"]
            self._fields["path"] = resource_path(self._stack, logical_id, self._resource)
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)


def resource_fields(
    stack: StackTemplate, logical_id: str, resource: Mapping[str, Any], domain: str | None
) -> _Base:
    """The fields every finding about the resource ``logical_id`` of ``stack`` shares."""
    return _Base(stack, logical_id, resource, domain)


def make_finding(rule: Rule, message: str, *, fix: str | None = None, **base: Any) -> Finding:
    """A finding of ``rule`` (its severity; ``fix`` instead of the rule's own, when given)."""
    fix = fix or rule.fix
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=f"{message} Fix: {fix}.",
        fix=fix,
        **base,
    )


#: A rule that crashed, or a declaration the checks cannot read: never a broken synth or silence.
CRASH = Rule(
    "CDKP000",
    "error",
    "A check could not run",
    "report the traceback in the message to cdk_partition; the resource is unchecked until then",
    source=no_aws_page("a crash of cdk_partition's own checks, not a fact about AWS"),
)


def crash(error: Exception, **base: Any) -> Finding:
    """The :data:`CRASH` finding of a rule that raised ``error`` on the resource of ``base``."""
    where = "".join(traceback.format_exception_only(type(error), error)).strip()
    return make_finding(CRASH, f"{base['path']}: the checks crashed ({where}).", **base)

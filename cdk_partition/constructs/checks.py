"""Synth-time enforcement: the ``DomainEncryptionChecks`` aspect and the validation plugin.

Python aspects run across the jsii process boundary: every ``visit`` is a callback and every
property read another round trip, and an aspect cannot see escape-hatch overrides at all
(``CfnResource._toCloudFormation`` is not exposed through jsii). So the work is split:

* the **aspect** does only cheap things: it marks each stack it covers with the domain (template
  metadata the audit reads) and registers the validation plugin on the enclosing Stage once. It
  runs inside the jsii kernel (a small jsii assembly built from ``native/``), so visiting every
  construct costs no callback into Python; :meth:`DomainEncryptionChecks.apply_to` applies the
  same checks to one scope without a traversal (``DomainStack`` uses it);
* the **validation plugin** runs the template audit (:mod:`cdk_partition.audit`) over the
  synthesized templates, after every override and ``CfnInclude`` has been applied, and fails
  ``cdk synth`` with one violation per error finding (rule id, construct path, fix). Warnings
  (``CDKP006``: a data-store-like type the catalogue does not know) are reported without failing;
  :func:`~cdk_partition.exempt` settles them for the synth and the CLI alike (a CDK
  acknowledgement of ``cdk-partition::CDKP006`` quiets the synth only).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from .. import audit
from ..assembly import CloudAssembly, load
from ..audit import organization
from ._native import DomainChecksAspect

PLUGIN_NAME = "cdk-partition"


@jsii.implements(cdk.IPolicyValidationPlugin)
class DomainEncryptionPlugin:
    """CDK validation plugin: the template audit at synth time.

    ``DomainEncryptionChecks`` registers it for you; add it yourself to check an app whose stacks
    do not use the aspect (then every stack holding a domain key is checked)::

        Validations.of(app).add_plugins(DomainEncryptionPlugin())
    """

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        from .. import __version__

        return __version__

    @property
    def rule_ids(self) -> list[str]:
        return sorted([*audit.RULES, *organization.ORG_RULES])

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        paths = [os.path.abspath(p) for p in context.template_paths]
        if not paths:
            return cdk.PolicyValidationPluginReport(success=True, violations=[])
        root = _assembly_root(paths)
        assembly = load(root)
        if _wants_report(context):
            try:
                _write_report(assembly, root)
            except Exception as error:  # the report is optional: never a broken synth
                with open(os.path.join(root, REPORT_FILES[0]), "w") as out:
                    out.write(f"# Data domain access report\n\nNot written: {error!r}\n")
        findings = [f for f in plugin_findings(assembly, root, paths) if not f.exempted]
        failed = [f for f in findings if f.severity == "error"]
        _remember_failure(root, failed)
        violations = [
            cdk.PolicyViolation(
                rule_name=f.rule,
                # the fix has its own line in the CDK's report ("Suggested fix")
                description=_without_fix(f),
                fix=f.fix,
                # Errors are "fatal" so that CDK does not let Validations.acknowledge() silence
                # them (acknowledgements are not in the cloud assembly, so `cdk-partition audit`
                # could not honour them: one verdict for both). exempt(...) is the one way.
                severity="fatal" if f.severity == "error" else f.severity,
                violating_resources=[
                    cdk.PolicyViolatingResource(
                        resource_logical_id=f.logical_id,
                        template_path=f.template_path or "",
                        locations=[f.location or "Properties"],
                        construct_path=f.path,
                    )
                ],
            )
            for f in sorted(findings, key=lambda f: (f.rule, f.path))
        ]
        return cdk.PolicyValidationPluginReport(success=not failed, violations=violations)


def plugin_findings(
    assembly: CloudAssembly, root: str, template_paths: Sequence[str]
) -> list[audit.Finding]:
    """The findings the plugin reports for the top-level templates it was given: exactly those
    ``cdk-partition audit <root>`` finds (the same call, :func:`organization.audit_members`, over
    the same loaded assembly) whose stack is one of ``template_paths`` or nested in one (a
    ``NestedStack``'s template is an asset of its parent, never given to a plugin by the CDK).
    Exempted findings included (the caller drops them)."""
    wanted = {os.path.abspath(p) for p in template_paths}
    # CDKP201: references to a domain that a Stage of this same app owns (organization.py)
    (found,) = organization.audit_members([organization.Member(root, assembly)]).values()
    roots: dict[str, str] = {}
    for stack in assembly.stacks:
        roots[os.path.abspath(stack.file)] = os.path.abspath(stack.root.file)
    kept = []
    for f in found:
        file = os.path.abspath(f.template_path or "")
        if roots.get(file, file) in wanted:
            kept.append(f)
    return kept


def _without_fix(finding: audit.Finding) -> str:
    suffix = f" Fix: {finding.fix}."
    return finding.message.removesuffix(suffix)


class DomainChecksFailed(RuntimeError):
    """The domain checks failed a synthesis: the findings, one readable block.

    On a violation the CDK fails the synthesis and prints its report ("AWS CDK policy validation
    at synthesis time", https://docs.aws.amazon.com/cdk/v2/guide/policy-validation-synthesis.html);
    run outside the CDK CLI, the failure then reaches Python as a jsii ``RuntimeError``
    (``ValidationFailed``) with a JavaScript and Python traceback.

    ``python app.py`` (or any run outside the CDK CLI) that fails the checks ends with this
    block instead of the jsii traceback of ``ValidationFailed`` (see :func:`_excepthook`);
    ``str()`` is the block.

    :ivar findings: the error findings that failed the synthesis.
    :ivar assembly: the cloud assembly directory they were found in.
    """

    def __init__(self, findings: Sequence[audit.Finding], assembly: str) -> None:
        self.findings: list[audit.Finding] = list(findings)
        self.assembly: str = assembly
        super().__init__(self.block())

    def block(self) -> str:
        """The findings, each with rule, construct path, property and its value, and fix."""
        count = len(self.findings)
        lines = [
            f"cdk-partition: synthesis failed, {count} finding{'s' if count != 1 else ''} of "
            f"the domain checks (full report: {os.path.join(self.assembly, 'validation-report.json')})"
        ]
        for f in sorted(self.findings, key=lambda f: (f.path, f.rule)):
            lines.append("")
            lines.append(f"  {f.rule} {audit.RULES[f.rule].title}: {f.path} ({f.resource_type})")
            lines.append(f"    {_without_fix(f)}")
            lines.append(f"    Fix: {f.fix}.")
        return "\n".join(lines)


#: The assembly directory of the last synthesis checked -> its failing findings (every Stage's).
_FAILURES: dict[str, list[audit.Finding]] = {}


def _remember_failure(root: str, failed: list[audit.Finding]) -> None:
    """Keep the findings of this synthesis for :func:`_excepthook` (install it once)."""
    if root not in _FAILURES:  # another synthesis: what an earlier one found is not this one's
        _FAILURES.clear()
    _FAILURES.setdefault(root, []).extend(failed)
    if failed and not getattr(sys.excepthook, "_cdk_partition", False):
        previous = sys.excepthook

        def hook(
            kind: type[BaseException], error: BaseException, trace: TracebackType | None
        ) -> None:
            if not _excepthook(error):
                previous(kind, error, trace)

        hook._cdk_partition = True  # type: ignore[attr-defined]
        sys.excepthook = hook


def _excepthook(error: BaseException) -> bool:
    """Print the readable block of the checks for the ``ValidationFailed`` error they caused
    (True), instead of a jsii traceback through the kernel; anything else is not ours (False)."""
    failure = last_failure()
    if failure is None or not str(error).startswith("ValidationFailed"):
        return False
    if not isinstance(error, RuntimeError) or isinstance(error, DomainChecksFailed):
        return False
    _drain_kernel_stderr()  # the CDK's report (Node's stderr) comes first, the block last
    print(f"{str(error).splitlines()[0]}\n", file=sys.stderr)  # the CDK's own line, short
    print(failure.block(), file=sys.stderr)
    return True


def _drain_kernel_stderr(timeout: float = 2.0) -> None:
    """Wait (briefly) until jsii's thread has copied what Node wrote to stderr (the CDK's report),
    so the block printed next is the last thing on the screen."""
    import threading
    import time

    sink = next((t for t in threading.enumerate() if t.name == "process.stderr_sink"), None)
    reader = (getattr(sink, "_args", None) or (None,))[0]
    deadline = time.monotonic() + timeout
    try:
        import fcntl
        import termios

        fd = reader.fileno()  # type: ignore[union-attr]
        while time.monotonic() < deadline:
            pending = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
            if int.from_bytes(pending, sys.byteorder) == 0:
                break
            time.sleep(0.01)
        time.sleep(0.05)  # the line read last: written out by the thread
    except Exception:  # no such thread, another platform: a short grace period instead
        time.sleep(0.2)
    sys.stderr.flush()


def last_failure() -> DomainChecksFailed | None:
    """The findings that failed the last synthesis the checks ran in (None if it passed): for
    tests that synthesize in process, ``raise checks.last_failure() from None`` after catching
    the CDK's ``ValidationFailed`` gives the short block instead of the CDK's report."""
    for root, findings in _FAILURES.items():
        if findings:
            return DomainChecksFailed(findings, root)
    return None


def _assembly_root(template_paths: list[str]) -> str:
    """The top cloud assembly directory holding ``template_paths`` (nested Stage assemblies are
    folders below it): the highest ancestor of the first template with a ``manifest.json``."""
    root = os.path.dirname(template_paths[0])
    parent = os.path.dirname(root)
    while parent != root and os.path.isfile(os.path.join(parent, "manifest.json")):
        root, parent = parent, os.path.dirname(parent)
    return root


#: Context key of the synth-time report switch (``cdk synth -c cdk-partition:report=true``).
REPORT_CONTEXT_KEY = "cdk-partition:report"
REPORT_FILES = ("cdk-partition-report.md", "cdk-partition-report.json")


def _wants_report(context: cdk.IPolicyValidationContext) -> bool:
    value = context.app_construct.node.try_get_context(REPORT_CONTEXT_KEY)
    return str(value).lower() in ("true", "1", "yes")


def _write_report(assembly: CloudAssembly, directory: str) -> None:
    """Write the access report into the cloud assembly (the documented switch's effect)."""
    from .. import report

    result = report.build_report(assembly)
    markdown, data = REPORT_FILES
    with open(os.path.join(directory, markdown), "w") as out:
        out.write(report.to_markdown(result))
    with open(os.path.join(directory, data), "w") as out:
        json.dump(result.to_json(), out, indent=2)


def register_plugin(scope: IConstruct) -> None:
    """Make sure :class:`DomainEncryptionPlugin` runs at synth for the app holding ``scope``,
    once per app (the native registry is shared with :class:`DomainEncryptionChecks`).

    Every :class:`~cdk_partition.DataDomain` calls it, so an app that applies no checks is still
    audited at synth exactly as ``cdk-partition audit`` audits its ``cdk.out`` (a stack holding a
    domain key is checked for that domain). A construct outside any Stage: nothing to register.
    """
    DomainChecksAspect.register_plugin(scope, DomainEncryptionPlugin())


class CheckedDomain(Protocol):
    """What the checks need of a domain: its name, and for a reference the exact key ARN its
    stores must name (``referenced_key_arn``, read when present). A
    :class:`~cdk_partition.DataDomain`, :class:`~cdk_partition.DomainReference` or
    :class:`~cdk_partition.DomainReplica`; this module imports none of them (they import it)."""

    @property
    def domain_name(self) -> str: ...


class DomainEncryptionChecks(DomainChecksAspect):
    """Check that every store under the scope uses ``domain``'s key; fail synthesis if not.

    Add it to any scope (a Stack, a Stage, the App, or any construct), one instance per scope::

        Aspects.of(stack).add(DomainEncryptionChecks(domain))

    or apply it to one Stack or construct without a traversal::

        DomainEncryptionChecks(domain).apply_to(stack)      # what DomainStack does

    Either way the checks mark the scope for the template audit (stack template metadata
    ``cdk_partition:checks``) and make sure :class:`DomainEncryptionPlugin` runs at synth for the
    enclosing Stage (once per Stage); the plugin fails ``cdk synth`` on any finding.

    The aspect itself is compiled JavaScript (``native/src/index.ts``, shipped as a jsii assembly
    inside this package): this class does not override ``visit``, so the CDK calls it inside the
    jsii kernel and a traversal of thousands of constructs makes no Python callback.

    :param domain: the domain whose key every store in the scope must use: a
        :class:`~cdk_partition.DataDomain` of this app, or a
        :class:`~cdk_partition.DomainReference` (``DataDomain.from_domain_attributes``) of a
        domain defined in another app or account, whose exact key ARN (partition, account,
        region, key id) every store must then name, or a :class:`~cdk_partition.DomainReplica`
        (``domain.replica(...)``) for the stacks of its region.
    """

    def __init__(self, domain: CheckedDomain) -> None:
        key_arn = getattr(domain, "referenced_key_arn", None)
        super().__init__(domain.domain_name, DomainEncryptionPlugin(), key_arn)

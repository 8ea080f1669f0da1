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
  (``CDKP006``: a data-store-like type the catalogue does not know) are reported without failing
  and are acknowledged like any plugin rule: ``cdk-partition::CDKP006``.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import aws_cdk as cdk
import jsii
from constructs import Construct

from . import audit, organization
from ._native import DomainChecksAspect
from .assembly import EXEMPTIONS_METADATA_KEY, CloudAssembly, load

if TYPE_CHECKING:
    from .domain import DataDomain, DomainReference

PLUGIN_NAME = "cdk-partition"
_MIN_REASON_WORDS = 4


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
        from . import __version__

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
        wanted = set(paths)
        # CDKP201: references to a domain that a Stage of this same app owns (organization.py)
        (found,) = organization.audit_members([organization.Member(root, assembly)]).values()
        findings = [
            f for f in found if not f.exempted and os.path.abspath(f.template_path or "") in wanted
        ]
        violations = [
            cdk.PolicyViolation(
                rule_name=f.rule,
                description=f.message,
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
        failed = any(f.severity == "error" for f in findings)
        return cdk.PolicyValidationPluginReport(success=not failed, violations=violations)


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
    from . import report

    result = report.build_report(assembly)
    markdown, data = REPORT_FILES
    with open(os.path.join(directory, markdown), "w") as out:
        out.write(report.to_markdown(result))
    with open(os.path.join(directory, data), "w") as out:
        json.dump(result.to_json(), out, indent=2)


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
        region, key id) every store must then name.
    """

    def __init__(self, domain: DataDomain | DomainReference) -> None:
        key_arn = getattr(domain, "referenced_key_arn", None)
        super().__init__(domain.domain_name, DomainEncryptionPlugin(), key_arn)


def exempt(scope: Construct, rule: str, reason: str) -> None:
    """Exempt the resource of ``scope`` (an L1, or an L2 via its default child) from ``rule``.

    The exemption is written into the template (``cdk_partition:exemptions`` metadata), so the
    plugin and the ``cdk-partition audit`` CLI both see it: the finding stays in the audit
    output, marked exempted with ``reason``, and no longer fails synthesis.

    :param rule: a rule id, e.g. ``"CDKP002"``.
    :param reason: why, in at least one full sentence (four words or more).
    """
    if rule not in audit.RULES:
        raise ValueError(f"Unknown rule {rule!r}; rules are {', '.join(sorted(audit.RULES))}.")
    if rule not in audit.EXEMPTIBLE_RULES:
        raise ValueError(
            f"{rule} cannot be exempted: exemptions are per store (CDKP001-CDKP011); the domain "
            "key's own rules and the deployability rules hold for every domain."
        )
    if not isinstance(reason, str) or len(reason.split()) < _MIN_REASON_WORDS:
        raise ValueError(
            f"Exempting {rule} needs a reason of at least one sentence ({_MIN_REASON_WORDS}+ "
            f"words) saying why this store may break the rule; got {reason!r}."
        )
    resource = scope if isinstance(scope, cdk.CfnResource) else scope.node.default_child
    if isinstance(resource, cdk.CfnResource) and resource.cfn_resource_type == "AWS::KMS::Key":
        raise ValueError(f"{scope.node.path} is a KMS key: a domain key cannot be exempted.")
    if not isinstance(resource, cdk.CfnResource):
        raise ValueError(
            f"{scope.node.path} has no CloudFormation resource to exempt; pass the L1 or an L2 "
            "whose node.default_child is one."
        )
    existing = resource.get_metadata(EXEMPTIONS_METADATA_KEY) or []
    resource.add_metadata(EXEMPTIONS_METADATA_KEY, [*existing, {"rule": rule, "reason": reason}])

"""Synth-time enforcement: the ``DomainEncryptionChecks`` aspect and the validation plugin.

Python aspects run across the jsii process boundary: every ``visit`` is a callback and every
property read another round trip, and an aspect cannot see escape-hatch overrides at all
(``CfnResource._toCloudFormation`` is not exposed through jsii). So the work is split:

* the **aspect** does only cheap things: it marks each stack it covers with the domain (template
  metadata the audit reads), registers the validation plugin on the enclosing Stage once, and
  warns (acknowledgeably) about data-store-like resource types the catalogue does not know;
* the **validation plugin** runs the template audit (:mod:`cdk_partition.audit`) over the
  synthesized templates, after every override and ``CfnInclude`` has been applied, and fails
  ``cdk synth`` with one violation per finding (rule id, construct path, fix).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from constructs import Construct, IConstruct

from . import audit, catalogue

if TYPE_CHECKING:
    from .domain import DataDomain

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
        return sorted(audit.RULES)

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        paths = list(context.template_paths)
        stacks: list[audit.StackTemplate] = []
        for directory in sorted({os.path.dirname(p) for p in paths}):
            stacks.extend(audit.load_templates(directory))
        wanted = set(paths)
        findings = [
            f for f in audit.failing(audit.audit(stacks)) if f.template_path in wanted or not wanted
        ]
        violations = [
            cdk.PolicyViolation(
                rule_name=f.rule,
                description=f.message,
                fix=f.fix,
                severity="error",
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
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)


_PLUGINS_BY_STAGE: dict[str, bool] = {}
_CFN_TYPE_BY_CLASS: dict[type, str | None] = {}


@jsii.implements(cdk.IAspect)
class DomainEncryptionChecks:
    """Check that every store under the scope uses ``domain``'s key; fail synthesis if not.

    Add it to any scope: ``Aspects.of(stack).add(DomainEncryptionChecks(domain))``.
    ``DomainStack`` adds it to itself. Add one instance per scope.

    What it does: marks the stacks it covers for the template audit, makes sure the
    :class:`DomainEncryptionPlugin` runs at synth for the enclosing Stage, and adds an
    acknowledgeable warning ``CDKP006`` on data-store-like resources the catalogue does not know.
    """

    def __init__(self, domain: DataDomain) -> None:
        self.domain_name = domain.domain_name
        self._first = True
        self._stages: set[str] = set()

    def visit(self, node: IConstruct) -> None:
        if self._first:
            self._first = False
            self._start(node)
        if isinstance(node, cdk.CfnResource):
            self._visit_resource(node)
        elif isinstance(node, cdk.Stack):
            _mark(node, self.domain_name, "")
        elif isinstance(node, cdk.Stage):
            _register_plugin(node)

    def _start(self, scope: IConstruct) -> None:
        stage = cdk.Stage.of(scope)
        if stage is not None:
            _register_plugin(stage)
        if not isinstance(scope, cdk.Stack | cdk.Stage):
            _mark(cdk.Stack.of(scope), self.domain_name, scope.node.path)

    def _visit_resource(self, node: cdk.CfnResource) -> None:
        cls = type(node)
        if cls not in _CFN_TYPE_BY_CLASS:
            _CFN_TYPE_BY_CLASS[cls] = getattr(cls, "CFN_RESOURCE_TYPE_NAME", None)
        cfn_type = _CFN_TYPE_BY_CLASS[cls] or node.cfn_resource_type
        if catalogue.lookup(cfn_type) is None and catalogue.looks_like_data_store(cfn_type):
            rule = audit.RULES["CDKP006"]
            cdk.Validations.of(node).add_warning(
                rule.id,
                f"{cfn_type} may hold data of domain {self.domain_name!r}, but the catalogue "
                f"does not know where its key lives, so it is not checked. {rule.fix}.",
            )


def _register_plugin(stage: cdk.Stage) -> None:
    from .domain import id_of_root

    key = f"{id_of_root(stage)}:{stage.node.path}"
    if key not in _PLUGINS_BY_STAGE:
        _PLUGINS_BY_STAGE[key] = True
        cdk.Validations.of(stage).add_plugins(DomainEncryptionPlugin())


def _mark(stack: cdk.Stack, domain_name: str, scope_path: str) -> None:
    """Record in the stack's template that ``domain_name``'s checks cover ``scope_path``."""
    options = stack.template_options
    metadata: dict[str, Any] = dict(options.metadata or {})
    marks = list(metadata.get(audit.CHECKS_METADATA_KEY) or [])
    mark = {"domain": domain_name, "scope": scope_path}
    if mark not in marks:
        marks.append(mark)
        metadata[audit.CHECKS_METADATA_KEY] = marks
        options.metadata = metadata


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
    if not isinstance(reason, str) or len(reason.split()) < _MIN_REASON_WORDS:
        raise ValueError(
            f"Exempting {rule} needs a reason of at least one sentence ({_MIN_REASON_WORDS}+ "
            f"words) saying why this store may break the rule; got {reason!r}."
        )
    resource = scope if isinstance(scope, cdk.CfnResource) else scope.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise ValueError(
            f"{scope.node.path} has no CloudFormation resource to exempt; pass the L1 or an L2 "
            "whose node.default_child is one."
        )
    existing = resource.get_metadata(audit.EXEMPTIONS_METADATA_KEY) or []
    resource.add_metadata(
        audit.EXEMPTIONS_METADATA_KEY, [*existing, {"rule": rule, "reason": reason}]
    )

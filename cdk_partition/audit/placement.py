"""Placement: a resource that may hold data but whose domain cannot be decided (CDKP007), and a
domain reference whose lookup has not run (CDKP013).

Where a resource belongs is the model's answer (:meth:`~cdk_partition.assembly.CloudAssembly.domain_of`);
these rules report what it cannot decide, failing closed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, Placement, StackTemplate, resource_path
from ..knowledge import catalogue
from .rules import Finding, Rule, Source, make_finding, no_aws_page, resource_fields

__all__ = ["RULES", "audit_pending_lookups", "audit_placement"]

#: The placement rules, in the registry's order.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP007",
        "error",
        "Resource's domain cannot be decided",
        "apply the checks to a Stack or Stage, synthesize with path metadata, or re-synthesize "
        "with this version of cdk_partition (its marks list the resources of a construct scope)",
        source=no_aws_page("placement reads the marks cdk_partition writes, not an AWS behaviour"),
    ),
    Rule(
        "CDKP013",
        "warning",
        "Domain reference still waits for its lookup",
        "synthesize with the CDK CLI (it performs the lookup, caches it in cdk.context.json "
        "and synthesizes again), or put the parameter's value in the app's context",
        source=Source(
            'AWS CDK v2 Developer Guide, "Context values and the AWS CDK"',
            "https://docs.aws.amazon.com/cdk/v2/guide/context.html",
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def audit_placement(
    stack: StackTemplate, logical_id: str, resource: Mapping[str, Any], placement: Placement
) -> Iterator[Finding]:
    """CDKP007 when ``resource`` may hold data and its placement is undecided."""
    cfn_type = str(resource.get("Type", ""))
    if placement.undecided is not None and _may_hold_data(cfn_type):
        scope = placement.undecided
        yield make_finding(
            _RULE["CDKP007"],
            f"{resource_path(stack, logical_id, resource)} ({cfn_type}) may belong to domain "
            f"{scope.domain!r}, whose checks cover construct {scope.path!r}, but the template "
            "carries no construct path and the mark lists no resources, so its domain cannot be "
            "decided.",
            **resource_fields(stack, logical_id, resource, scope.domain),
        )


def _may_hold_data(cfn_type: str) -> bool:
    return (
        catalogue.lookup(cfn_type) is not None
        or cfn_type in catalogue.KEYLESS_STORES
        or bool(catalogue.kms_key_paths(cfn_type))
        or catalogue.looks_like_data_store(cfn_type)
        or cfn_type.startswith("Custom::")
    )


def audit_pending_lookups(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP013 for every scope whose domain reference still names the lookup's placeholder: fail
    closed, the stores name a placeholder, not the domain's key (a warning, so that the CDK
    CLI's first synth, before the lookup, is not refused)."""
    for scope in assembly.pending_lookups():
        where = scope.path or scope.stack.construct_path or scope.stack.name
        yield make_finding(
            _RULE["CDKP013"],
            f"{where}: the reference to domain {scope.domain!r} (DataDomain.from_lookup) "
            f"names the placeholder {scope.key_arn}: the lookup has not run, so no store "
            "of this scope can be checked against the domain's key yet.",
            stack=scope.stack.name,
            logical_id="",
            path=where,
            resource_type="",
            domain=scope.domain,
            template_path=scope.stack.file,
        )

"""Deployability: a dependency cycle among the resources of a template (CDKP012).

CloudFormation refuses such a stack ("Circular dependency between resources"); the graph is the
model's (:meth:`~cdk_partition.assembly.CloudAssembly.cycles_in`, :mod:`cdk_partition.assembly.cycles`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..assembly import CloudAssembly, StackTemplate, resource_path
from .rules import Finding, Rule, Source, make_finding, resource_fields

__all__ = ["RULES", "audit_cycles"]

#: The cycle rule.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP012",
        "error",
        "Dependency cycle among resources",
        "scope key-policy statements by names or patterns known at synth, not by the token "
        "of a resource that depends on the key (domain store methods and the CDK's own "
        "wiring on a domain key do this)",
        source=Source(
            'AWS CloudFormation User Guide, "DependsOn attribute"',
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html",
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def audit_cycles(assembly: CloudAssembly, stack: StackTemplate) -> Iterator[Finding]:
    """A dependency cycle among the resources of a template: CloudFormation refuses the stack
    ("Circular dependency between resources"); see :mod:`cdk_partition.assembly.cycles`."""
    for cycle in assembly.cycles_in(stack):
        first = cycle[0]
        resource = stack.resources.get(first) or {}
        placement = assembly.domain_of(stack, first, resource)
        names = [resource_path(stack, i, stack.resources.get(i) or {}) for i in cycle]
        yield make_finding(
            _RULE["CDKP012"],
            f"{' -> '.join([*names, names[0]])}: a dependency cycle, which CloudFormation refuses "
            "to deploy.",
            location="DependsOn/Ref/Fn::GetAtt",
            **resource_fields(stack, first, resource, placement.domain),
        )

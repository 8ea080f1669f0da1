"""A principal the domain key names that anyone may become (CDKP029).

The key policy names roles; whoever can assume a role acts as it, and a session's
``aws:PrincipalArn`` is the role's ARN, so the key cannot tell them apart ("AWS global condition
context keys": aws:PrincipalArn of a role session is the role's ARN). A role of the app whose
trust policy allows ``sts:AssumeRole`` to every principal (``"*"``, ``{"AWS": "*"}``,
``iam.AnyPrincipal()``) without a condition hands the domain's data to every AWS account (IAM
User Guide, "AWS JSON policy elements: Principal": "Do not leave your role accessible to
everyone!"); the checks were silent and the report showed nobody (found by an attack). Pure
Python over the assembly's JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly
from ..assembly.principals import PrincipalResolver
from ..policy import evaluator
from .identity_policies import as_list, props_of, statements_of
from .rules import Finding, Rule, Source, make_finding, resource_fields, short

__all__ = ["RULES", "audit_trust"]

_PRINCIPAL_PAGE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
)

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP029",
        "error",
        "A principal the domain key names can be assumed by anyone",
        "trust only the principals that run as the role (`assumed_by=iam.ServicePrincipal(...)`, "
        "a role or account you name), or keep the condition that narrows who may assume it",
        source=Source('IAM User Guide, "AWS JSON policy elements: Principal"', _PRINCIPAL_PAGE),
    ),
)
_RULE = {rule.id: rule for rule in RULES}
_ASSUME = ("sts:assumerole", "sts:*", "*")


def audit_trust(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP029 for each role of the app a domain key policy names in an Allow statement whose
    trust policy allows every principal to assume it without a condition."""
    resolver = PrincipalResolver(assembly)
    seen: set[tuple[int, str]] = set()
    for key in assembly.domain_keys:
        for statement in key.statements:
            if statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal")
            aws = principal.get("AWS") if isinstance(principal, dict) else None
            for value in as_list(aws):
                text = evaluator.canonicalize(value)
                if not isinstance(text, str):
                    continue
                origin = resolver.origins.get(resolver.resolve(text, key.stack))
                if origin is None or origin.resource.get("Type") != "AWS::IAM::Role":
                    continue
                mark = (id(origin.stack), origin.logical_id)
                if mark in seen:
                    continue
                seen.add(mark)
                trust = props_of(origin.resource).get("AssumeRolePolicyDocument")
                for opened in _open_statements(trust):
                    base = resource_fields(origin.stack, origin.logical_id, origin.resource,
                                           key.name)  # fmt: skip
                    yield make_finding(
                        _RULE["CDKP029"],
                        f"{base['path'].removesuffix('/Resource')} is named by the key of domain "
                        f"{key.name!r} "
                        f"(statement {statement.get('Sid', '?')}), and its trust policy lets "
                        "every AWS principal assume it with no condition: anyone who assumes it "
                        "acts as the role, and the key cannot tell them apart.",
                        location="AssumeRolePolicyDocument",
                        value=short(opened.get("Principal")),
                        **base,
                    )
                    break


def _open_statements(trust: Any) -> Iterator[Mapping[str, Any]]:
    """The trust statements that allow assuming the role to every principal, unconditionally."""
    for statement in statements_of(trust):
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        actions = [str(a).lower() for a in as_list(statement.get("Action"))]
        if not any(a in _ASSUME for a in actions):
            continue
        principal = statement.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        if "*" in as_list(aws):
            yield statement

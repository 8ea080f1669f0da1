"""Permissions boundaries as limits of what an identity policy grants (read by
:mod:`cdk_partition.audit.identities`).

"An entity's permissions boundary allows it to perform only the actions that are allowed by both
its identity-based policies and its permissions boundaries" (IAM User Guide, "Permissions
boundaries for IAM entities",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). A boundary
does not limit what a resource-based policy grants ("Permissions boundaries do not define the
maximum permissions that a resource-based policy can grant to an entity", IAM API Reference,
"PutUserPermissionsBoundary",
https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPermissionsBoundary.html), so only
identity-policy grants are narrowed here.

A boundary is read when it is a managed policy of the app (``AWS::IAM::ManagedPolicy``, by
reference, import or its literal ARN in the same account). Any other boundary (an AWS managed
policy, a policy outside the app) cannot be read: the grant is kept and checked, as if there were
no boundary (the audit then may name a grant that makes no call; the exemption is the answer).
Pure Python over the template dictionaries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..assembly import CloudAssembly
from ..assembly.principals import PrincipalResolver
from .identity_policies import (
    as_list,
    documents_of,
    managed_policy_of,
    own_principals,
    props_of,
    readable,
    statements_of,
    type_of,
)
from .statement_shapes import names_action

__all__ = ["boundaries", "denied_everywhere", "outside_boundary"]


def boundaries(assembly: CloudAssembly) -> dict[str, list[Any]]:
    """Principal ARN (as the identity audit names roles and users) -> the documents of its
    permissions boundary, for each role and user of the app whose ``PermissionsBoundary`` is a
    managed policy of the app with documents that can be read. Once per assembly."""
    cached = assembly.memo.get(("permissions-boundaries",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    resolver = PrincipalResolver(assembly)
    out: dict[str, list[Any]] = {}
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if type_of(resource) not in ("AWS::IAM::Role", "AWS::IAM::User"):
                continue
            value = props_of(resource).get("PermissionsBoundary")
            found = managed_policy_of(assembly, stack, value) if value is not None else None
            if found is None:
                continue
            where, policy_id = found
            documents = documents_of(where.resources[policy_id])
            if not all(d is not None and readable(d) for d in documents):
                continue  # a boundary that cannot be read limits nothing the audit can show
            for arn, _ in own_principals(resolver, [(stack, logical_id)]):
                out[arn] = documents
    assembly.memo[("permissions-boundaries",)] = out
    return out


def outside_boundary(documents: list[Any] | None, action: str) -> bool:
    """Whether a boundary (``documents``; None: none read) allows ``action`` nowhere: no Allow
    statement names it (``Action`` matching it, or ``NotAction`` not matching it), whatever its
    resources and conditions, or it is denied everywhere (:func:`denied_everywhere`). A boundary
    that allows it somewhere, under any condition, or by an action CloudFormation computes
    (``Fn::Join``: it may be this one), leaves the grant checked."""
    if documents is None:
        return False
    if denied_everywhere(documents, action):
        return True
    for document in documents:
        for statement in statements_of(document):
            named = as_list(statement.get("Action") or statement.get("NotAction") or [])
            if any(not isinstance(a, str) for a in named):
                return False
            if statement.get("Effect") == "Allow" and names_action(statement, action):
                return False
    return True


def denied_everywhere(documents: Iterable[Any], action: str) -> bool:
    """Whether one of ``documents`` (a principal's identity policies, or its boundary) denies
    ``action`` on every resource, with no condition: an explicit deny overrides any allow
    ("Policy evaluation logic", IAM User Guide,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html),
    so a grant of it makes no call."""
    return any(
        statement.get("Effect") == "Deny"
        and not statement.get("Condition")
        and "NotResource" not in statement
        and "*" in as_list(statement.get("Resource"))
        and names_action(statement, action)
        for document in documents
        for statement in statements_of(document)
    )

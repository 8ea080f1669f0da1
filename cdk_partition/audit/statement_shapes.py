"""Two readings of one IAM policy statement the audit and the report share: whether it names an
action (its ``Action`` or ``NotAction``), and whether its principal is everyone. Pure Python over
the template's JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..policy import evaluator
from .identity_policies import as_list, glob

__all__ = ["names_action", "to_everyone"]


def names_action(statement: Mapping[str, Any], action: str) -> bool:
    """Whether ``statement`` names ``action``: its ``Action`` matches it, or its ``NotAction``
    does not (an action CloudFormation computes matches nothing here)."""
    if "NotAction" in statement:
        patterns = [a for a in as_list(statement["NotAction"]) if isinstance(a, str)]
        return not any(glob(p).match(action) for p in patterns)
    patterns = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
    return any(glob(p).match(action) for p in patterns)


def to_everyone(statement: Mapping[str, Any]) -> bool:
    """Whether the statement's principal is every principal (``"*"``, ``{"AWS": "*"}``)."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in [
        evaluator.canonicalize(p) for p in as_list(principal.get("AWS") or [])
    ]

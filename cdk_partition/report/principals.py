"""Principal values the templates can show (kept here under its old name: the resolver lives in
:mod:`cdk_partition.assembly.principals`, where the audit of identities reads it too)."""

from __future__ import annotations

from ..assembly.principals import (
    Origin,
    PrincipalResolver,
    Substitutions,
    arn_parts,
    placeholders,
    principal_label,
)

__all__ = [
    "Origin",
    "PrincipalResolver",
    "Substitutions",
    "arn_parts",
    "placeholders",
    "principal_label",
]

"""Which statements of a key policy can apply to a principal, and which ``kms:ViaService``
values can change its answer: what keeps the access report near linear in the policy's size.

The report evaluates every named principal (one row each) against the policy, directly and
through every service the policy names. Evaluated whole, that is rows x services x statements:
cubic in a policy that names a principal and a service per statement. Two facts of the evaluator
(:mod:`cdk_partition.policy.evaluator`, after IAM's rules) cut it down without changing an answer:

* a statement whose ``Principal`` is only ``AWS`` ARNs, none an account root (``...:root``) nor
  ``*``, applies to a caller exactly when the caller's ARN is one of them (IAM JSON policy
  elements: Principal, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
  every other statement (a ``Deny``, ``NotPrincipal``, an account, a service, ``*``, a value that
  is not a literal ARN) is kept for every caller. A row is evaluated against its own statements
  and the kept ones (:meth:`StatementIndex.policy_for`); a malformed statement still makes
  undecidable every row it can apply to;
* two services that none of those statements names in a ``kms:ViaService`` condition (literal
  values, compared case-insensitively) give the same answer: one of them stands for all
  (:meth:`StatementIndex.vias_for`). A pattern, a policy variable or a value that is not a string
  in such a condition keeps every service.

Pure Python over the canonical policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..policy import evaluator

__all__ = ["StatementIndex"]


def _literal_arns(statement: Mapping[str, Any]) -> list[str] | None:
    """The ARNs an Allow statement is only for, or None when it may apply to anyone."""
    if statement.get("Effect") != "Allow" or "NotPrincipal" in statement:
        return None
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping) or list(principal) != ["AWS"]:
        return None
    values = principal["AWS"]
    values = values if isinstance(values, list) else [values]
    if not values or not all(
        isinstance(v, str) and v.startswith("arn:") and not v.endswith(":root") and "*" not in v
        for v in values
    ):
        return None
    return list(dict.fromkeys(values))


def _via_values(statements: Iterable[Any]) -> set[str] | None:
    """The literal ``kms:ViaService`` values (lower case) the statements name; None when one
    of them names a pattern, a variable or a non-string (then every service may differ)."""
    found: set[str] = set()
    for statement in statements:
        condition = statement.get("Condition") if isinstance(statement, Mapping) else None
        if not isinstance(condition, Mapping):
            continue
        for block in condition.values():
            if not isinstance(block, Mapping):
                return None
            for key, values in block.items():
                if str(key).lower() != "kms:viaservice":
                    continue
                for value in values if isinstance(values, list) else [values]:
                    if not isinstance(value, str) or any(c in value for c in "*?$"):
                        return None
                    found.add(value.lower())
    return found


class StatementIndex:
    """The statements of a canonical key policy, indexed by the literal ARNs they are for."""

    def __init__(self, policy: Mapping[str, Any]) -> None:
        self.policy = policy
        statements = policy.get("Statement", [])
        self.statements: list[Any] = statements if isinstance(statements, list) else [statements]
        self.kept: list[Any] = []
        self.by_arn: dict[str, list[Any]] = {}
        for statement in self.statements:
            arns = _literal_arns(statement) if isinstance(statement, Mapping) else None
            if arns is None:
                self.kept.append(statement)
            else:
                for arn in arns:
                    self.by_arn.setdefault(arn, []).append(statement)
        self._kept_vias = _via_values(self.kept)

    def own(self, arn: Any) -> list[Any]:
        return self.by_arn.get(arn, []) if isinstance(arn, str) else []

    def policy_for(self, arn: Any) -> evaluator.CanonicalPolicy:
        """The policy as it can apply to the caller ``arn`` (the statements that may)."""
        return evaluator.CanonicalPolicy({**self.policy, "Statement": [*self.kept, *self.own(arn)]})

    def vias_for(self, arn: Any, vias: list[str]) -> tuple[list[str], list[str]]:
        """``vias`` split for the caller ``arn``: those to evaluate one by one, and the rest,
        which all answer as the first of them does."""
        own = _via_values(self.own(arn))
        if own is None or self._kept_vias is None:
            return list(vias), []
        named = own | self._kept_vias
        each = [v for v in vias if v.lower() in named]
        rest = [v for v in vias if v.lower() not in named]
        return each, rest

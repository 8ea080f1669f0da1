"""Capabilities held only under conditions: what the report's fixed probe requests cannot see.

The access matrix (:mod:`.access`) puts each row through the evaluator with a few fixed requests:
no condition key beyond the principal's own, and ``kms:ViaService`` set to each service the policy
names. A capability the key policy gives only when some other key has a value (a principal tag,
a source VPC, a time, a service named by a pattern) is refused to all of them. For those cells
the row is asked to the prover (:mod:`cdk_partition.policy.prover`): is some request of this
principal, calling a defining action of the capability (:data:`DEFINING_ACTIONS`), allowed? An
``allowed`` verdict carries a witness request, decided again by the evaluator; its context,
reduced to the keys the decision needs (each key dropped in turn while the evaluator still
allows), is what the cell shows: ``only when aws:PrincipalTag/team = orders``, or ``only on
behalf of callers through s3`` when ``kms:ViaService`` is among them. The witness is one request
that is allowed, not every one: other values may be allowed too.

An ``undecided`` verdict (a policy variable in a condition value, the solver's time budget) or a
``disagree`` (prover and evaluator differ) is never taken for "no": the cell is undecidable
(``?``) with a ``REPORT-UNDECIDABLE`` finding.

The prover is asked only when the probes can miss something: when a statement that can apply to
the row (any but those whose ``Principal`` is only ``Service``) reads a condition key other than those the principal fixes (``aws:PrincipalArn``,
``aws:PrincipalAccount``, ``aws:PrincipalIsAWSService``, ``aws:PrincipalServiceName``,
``kms:CallerAccount``), ``kms:GrantIsForAWSResource`` (in no request of a defining action), and
``kms:ViaService`` compared by ``StringEquals`` / ``StringNotEquals`` with literal values (the
probes try each such value, and absent; any other value answers as absent does). Answers are
cached per (policy, principal, capability), so rows that share their statements are solved once.

The prover reads an ARN as six components without colons in the partition and account; the
canonical policy writes CloudFormation values as placeholders that hold colons
(``${AWS::Partition}``), so before asking, every such placeholder is renamed, in the policy and
in the request alike, to one without (``${cdkp-0}``; an IAM policy variable is left as it is); both sides compare placeholders as literal
text, so the answer does not change, and the witness is renamed back.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from ..knowledge.capabilities import DEFINING_ACTIONS, Capability
from ..policy import evaluator
from .principals import arn_parts, placeholders

__all__ = ["Conditional", "conditional_capability", "needs_prover"]

#: Keys the principal of the request fixes (the evaluator sets them from the principal).
_PRINCIPAL_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "kms:calleraccount",
    }
)
#: An IAM policy variable (``${aws:username}``): not a CloudFormation placeholder, never renamed
#: (the prover refuses it: the cell is undecided), as :mod:`cdk_partition.policy.prover_encoding`.
_POLICY_VARIABLE = re.compile(r"\$\{(?:[a-z][a-z0-9-]*:[^:}][^}]*|[*?$])\}")
_VIA = "kms:viaservice"
_GRANT = "kms:grantisforawsresource"
_VIA_OPERATORS = frozenset({"StringEquals", "StringNotEquals"})


@dataclass(frozen=True)
class Conditional:
    """The prover's answer for one cell: ``status`` ``allowed`` (with the ``conditions`` of the
    witness, the ``action`` it calls and the ``statements`` that allow it), ``denied``, or
    ``undecided`` (with ``detail``; a prover/evaluator disagreement included)."""

    status: str
    conditions: tuple[tuple[str, Any], ...] = ()
    action: str = ""
    statements: tuple[str, ...] = ()
    detail: str = ""


def _conditions(statement: Any) -> list[tuple[str, str, list[Any]]]:
    condition = statement.get("Condition") if isinstance(statement, Mapping) else None
    out: list[tuple[str, str, list[Any]]] = []
    for operator, block in (condition or {}).items() if isinstance(condition, Mapping) else ():
        for key, values in (block or {}).items() if isinstance(block, Mapping) else ():
            out.append((str(operator), str(key), values if isinstance(values, list) else [values]))
    return out


def _literal(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text, index = [], 0
    for start, end in placeholders(value):
        text.append(value[index:start])
        index = end
    text.append(value[index:])
    bare = "".join(text)
    return "*" not in bare and "?" not in bare and "${" not in bare


def needs_prover(policy: Mapping[str, Any]) -> bool:
    """Whether some statement reads a condition key the report's probes do not cover (see the
    module docstring)."""
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, Mapping) else None
        if isinstance(principal, Mapping) and list(principal) == ["Service"]:
            continue  # applies to an AWS service principal only, never to a row's caller
        for operator, key, values in _conditions(statement):
            lowered = key.lower()
            if lowered in _PRINCIPAL_KEYS or lowered == _GRANT:
                continue
            if lowered == _VIA and operator in _VIA_OPERATORS and all(map(_literal, values)):
                continue
            return True
    return False


class _Renaming:
    """Placeholders holding a colon -> placeholders without (and back)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def text(self, value: str) -> str:
        out, index = [], 0
        for start, end in placeholders(value):
            out.append(value[index:start])
            found = value[start:end]
            if ":" in found and not _POLICY_VARIABLE.fullmatch(found):
                found = self.names.setdefault(found, f"${{cdkp-{len(self.names)}}}")
            out.append(found)
            index = end
        out.append(value[index:])
        return "".join(out)

    def walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.walk(v) for v in value]
        if isinstance(value, Mapping):
            return {k: self.walk(v) for k, v in value.items()}
        return value

    def back(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.back(v) for v in value]
        if not isinstance(value, str):
            return value
        for original, renamed in self.names.items():
            value = value.replace(renamed, original)
        return value


def conditional_capability(
    policy: Mapping[str, Any], request: evaluator.Request, capability: Capability
) -> Conditional:
    """May ``request``'s principal hold ``capability`` under some conditions? (Cached.)"""
    text = json.dumps(policy, sort_keys=True, default=str)
    return _ask(text, request.principal_arn or "", request.account or "", capability.value)


@lru_cache(maxsize=4096)
def _ask(policy_text: str, arn: str, account: str, capability: str) -> Conditional:
    import z3

    from ..policy import prover

    renaming = _Renaming()
    policy = renaming.walk(json.loads(policy_text))
    arn_renamed, account_renamed = renaming.text(arn), renaming.text(account)
    parts = arn_parts(arn_renamed)
    if not parts:
        return Conditional("undecided", detail=f"the principal {arn!r} is not an ARN")
    checker = prover.prover_for(policy)
    actions = DEFINING_ACTIONS[Capability(capability)]

    def question(s: Any) -> Any:
        terms = [
            z3.Or(*[s.action == z3.StringVal(a) for a in actions]),
            s.identity_allows == z3.BoolVal(True),
            z3.Not(s.is_service),
            s.principal_arn == z3.StringVal(arn_renamed),
            s.account == z3.StringVal(account_renamed),
        ]
        grant = s.keys.get(_GRANT)
        if grant is not None:  # in the request context of grant operations only
            terms.append(z3.Not(grant.present))
        return z3.And(*terms)

    verdict = checker.ask(question, f"capability {capability}")
    if verdict.status == "denied":
        return Conditional("denied")
    if verdict.status != "allowed" or verdict.request is None:
        where = f" (statement {', '.join(verdict.statements)})" if verdict.statements else ""
        return Conditional("undecided", detail=f"{verdict.status}: {verdict.detail}{where}")
    witness = verdict.request
    prepared = evaluator.prepare(policy)
    context = {k: v for k, v in witness.context.items() if k.lower() not in _PRINCIPAL_KEYS}
    if not _allows(prepared, replace(witness, context=context)):
        context = dict(witness.context)
    for key in sorted(context):  # the keys the decision needs, in a stable order
        fewer = {k: v for k, v in context.items() if k != key}
        if _allows(prepared, replace(witness, context=fewer)):
            context = fewer
    spelled = _spellings(policy)
    return Conditional(
        "allowed",
        conditions=tuple(
            (spelled.get(k.lower(), k), renaming.back(v)) for k, v in sorted(context.items())
        ),
        action=witness.action,
        statements=tuple(_sid(name) for name in verdict.statements),
    )


def _sid(name: str) -> str:
    """The prover names a statement by its Sid's repr, or ``#index``: the Sid itself."""
    if len(name) > 1 and name[0] == name[-1] and name[0] in "'\"":
        try:
            value = ast.literal_eval(name)
        except (ValueError, SyntaxError):
            return name
        return str(value)
    return name


def _allows(policy: evaluator.CanonicalPolicy, request: evaluator.Request) -> bool:
    try:
        return evaluator.evaluate(policy, request) == "allow"
    except ValueError:
        return False


def _spellings(policy: Mapping[str, Any]) -> dict[str, str]:
    """Lowercased condition key -> as the policy first writes it."""
    out: dict[str, str] = {}
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        for _, key, _ in _conditions(statement):
            out.setdefault(key.lower(), key)
    return out

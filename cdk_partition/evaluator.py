"""Evaluate a KMS key policy the way IAM does, offline, over synthesized CloudFormation.

The report (who may administer, read and write each domain) and the template audit (does the
``DenyEveryoneElse`` statement really refuse everyone else) both need to answer "is this request
allowed by this key policy?". :func:`evaluate` answers it for a single key policy:

* Every statement whose action, principal and condition all match the request applies. An
  applicable ``Deny`` wins (``"explicit_deny"``); otherwise an applicable ``Allow`` is needed
  (``"allow"``); otherwise the request is refused (``"implicit_deny"``). Statement order is
  irrelevant.
* Actions: case-insensitive, ``*`` and ``?`` wildcards; ``NotAction`` supported.
* Principals: ``"*"`` and ``{"AWS": "*"}`` match anyone, AWS services included. An ``AWS`` ARN
  matches ``Request.principal_arn`` exactly (case-sensitive). An account (``"123456789012"``, a
  placeholder such as ``"${AWS::AccountId}"``, or ``arn:...:iam::ACCT:root``) matches every caller
  of that account; an ``Allow`` through such *account delegation* only takes effect for the root
  itself or when ``Request.identity_allows`` is true (the caller's own IAM policy must allow too),
  while a ``Deny`` applies to all of the account's callers. ``Service`` matches
  ``Request.service``; ``Federated`` / ``CanonicalUser`` match only an equal principal ARN.
  ``NotPrincipal`` is the complement (account matches count regardless of ``identity_allows``).
* Conditions: operators are ANDed, keys within an operator are ANDed, values for a key are ORed
  (for negated operators: the request value must match *none* of them). Condition keys are
  case-insensitive. Supported: ``String[Not]Equals[IgnoreCase]``, ``String[Not]Like``,
  ``Arn[Not]Equals``, ``Arn[Not]Like`` (both are case-sensitive globs on the whole string, as IAM
  treats ``ArnEquals`` like ``ArnLike``), ``Bool`` (compared as lowercase strings), ``Null``, the
  ``IfExists`` suffix on all of them and the ``ForAnyValue:`` / ``ForAllValues:`` prefixes on the
  string and ARN operators. Anything else raises :class:`ValueError`, never a silent decision.

Missing-key semantics, when a condition key is ABSENT from the request context:

========================================================  =========
operator                                                  result
========================================================  =========
positive (``StringEquals``, ``StringLike``, ``ArnLike``,  false
``ArnEquals``, ``Bool``, ...)
negated (``StringNotEquals``, ``StringNotLike``,          true
``ArnNotEquals``, ``ArnNotLike``, ``...IgnoreCase``)
any ``...IfExists`` operator                              true
``Null: true`` / ``Null: false``                          true / false
``ForAllValues:...``                                      true
``ForAnyValue:...``                                       false
========================================================  =========

Hence a ``Deny`` guarded by ``Bool: {"kms:GrantIsForAWSResource": "false"}`` does not apply to
``kms:Decrypt`` (the key is only present on grant operations), and ``DenyEveryoneElse`` with
``ArnNotEquals aws:PrincipalArn`` applies to AWS services (no principal ARN) unless it also tests
``aws:PrincipalIsAWSService``.

NOT modelled: service control and resource control policies, KMS grants, session policies,
permissions boundaries, VPC endpoint policies, the identity policy of a principal named directly
(including the cross-account case, where IAM requires the caller's account to allow it too), IAM
policy variables (``${aws:username}`` is a literal), ``Resource`` / ``NotResource`` (a key policy
applies to its key), per-segment ARN matching, numeric/date/IP operators, and the values that
CloudFormation intrinsics resolve to: :func:`canonicalize` turns them into opaque placeholders.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

Decision = Literal["allow", "explicit_deny", "implicit_deny"]

__all__ = [
    "Decision",
    "Request",
    "allowed_actions",
    "canonicalize",
    "effective_context",
    "evaluate",
]

# ----------------------------------------------------------------------------- canonicalize

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _is_intrinsic(value: Any) -> bool:
    """True for a one-key dict ``{"Ref": ...}`` or ``{"Fn::...": ...}``."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (name,) = value
    return name == "Ref" or (isinstance(name, str) and name.startswith("Fn::"))


def _text(value: Any) -> str:
    """A canonical value as a string (for Join parts and Sub variables)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _opaque(name: str, argument: Any) -> str:
    """Deterministic placeholder for an intrinsic the evaluator cannot resolve."""
    return "${" + name + ":" + _text(canonicalize(argument)) + "}"


def _intrinsic(name: str, arg: Any) -> str:
    """The placeholder string of one intrinsic function call."""
    if name == "Ref" and isinstance(arg, str):
        return "${" + arg + "}"
    if name == "Fn::GetAtt":
        parts = arg.split(".", 1) if isinstance(arg, str) else arg
        if isinstance(parts, list) and len(parts) >= 2 and all(isinstance(p, str) for p in parts):
            return "${" + ".".join(parts) + "}"
    if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        separator, parts = arg
        if isinstance(separator, str) and isinstance(parts, list):
            return separator.join(_text(canonicalize(p)) for p in parts)
    if name == "Fn::Sub":
        if isinstance(arg, str):
            template, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2:
            template, variables = arg
        else:
            template, variables = None, None
        if isinstance(template, str) and isinstance(variables, dict):

            def substitute(match: re.Match[str]) -> str:
                var = match.group(1)
                if var.startswith("!"):  # ${!Literal} renders as ${Literal}
                    return "${" + var[1:] + "}"
                if var in variables:
                    return _text(canonicalize(variables[var]))
                return match.group(0)

            return _SUB_VARIABLE.sub(substitute, template)
    if name == "Fn::ImportValue":
        return "${ImportValue:" + _text(canonicalize(arg)) + "}"
    return _opaque(name, arg)


def canonicalize(value: Any) -> Any:
    """Turn CloudFormation intrinsics inside ``value`` into stable placeholder strings.

    ``{"Ref": "AWS::AccountId"}`` -> ``"${AWS::AccountId}"``, ``{"Ref": "X"}`` -> ``"${X}"``,
    ``{"Fn::GetAtt": ["X", "Arn"]}`` / ``{"Fn::GetAtt": "X.Arn"}`` -> ``"${X.Arn}"``,
    ``Fn::Join`` -> the canonical parts joined, ``Fn::Sub`` -> the template with its variables
    substituted from the map or left as ``${Var}`` (so pseudo parameters and ``${X.Arn}`` agree
    with ``Ref`` / ``GetAtt``), ``{"Fn::ImportValue": X}`` -> ``"${ImportValue:X}"``, any other
    intrinsic -> ``"${Fn::Name:<canonical JSON>}"``. Lists and dicts are recursed; the function is
    idempotent (its output contains no intrinsics).
    """
    if _is_intrinsic(value):
        ((name, arg),) = value.items()
        return _intrinsic(name, arg)
    if isinstance(value, dict):
        return {k: canonicalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonicalize(v) for v in value]
    return value


# ----------------------------------------------------------------------------- request


@dataclass(frozen=True)
class Request:
    """One request against the key, as IAM sees it.

    ``principal_arn`` is what ``aws:PrincipalArn`` carries (role, user or account root ARN; None
    for an AWS service calling as itself, then ``service`` names it). ``account`` is
    ``aws:PrincipalAccount``. ``context`` holds further condition keys (case-insensitive).
    ``identity_allows`` says whether the caller's own IAM policy allows the action: it matters
    only where the key policy delegates to the caller's account.
    """

    action: str
    principal_arn: str | None = None
    account: str | None = None
    service: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    identity_allows: bool = False


def effective_context(request: Request) -> dict[str, Any]:
    """The request context as IAM builds it: the principal keys plus ``request.context``.

    ``aws:PrincipalArn`` and ``aws:PrincipalAccount`` are present only when known,
    ``aws:PrincipalIsAWSService`` is always ``"true"`` or ``"false"`` and
    ``aws:PrincipalServicePrincipal`` is present only for a service. Explicit ``request.context``
    entries override them.
    """
    ctx: dict[str, Any] = {}
    if request.principal_arn is not None:
        ctx["aws:PrincipalArn"] = request.principal_arn
    if request.account is not None:
        ctx["aws:PrincipalAccount"] = request.account
    ctx["aws:PrincipalIsAWSService"] = "true" if request.service else "false"
    if request.service:
        ctx["aws:PrincipalServicePrincipal"] = request.service
    ctx.update(request.context)
    return ctx


# ----------------------------------------------------------------------------- matching


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """``*`` / ``?`` wildcard pattern as a whole-string regex."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    """Action / NotAction of a statement against one action, case-insensitively."""
    if ("Action" in statement) == ("NotAction" in statement):
        raise ValueError("a statement needs exactly one of Action or NotAction")
    key = "Action" if "Action" in statement else "NotAction"
    hit = any(_glob(_text(p), True).fullmatch(action) for p in _as_list(statement[key]))
    return hit if key == "Action" else not hit


# an ARN segment: placeholders such as ${AWS::Partition} may contain colons
_SEGMENT = r"(?:\$\{[^}]*\}|[^:])+"
_ROOT_ARN = re.compile(rf"^arn:{_SEGMENT}:iam::({_SEGMENT}):root$")
_Match = Literal["none", "direct", "account"]


def _aws_match(value: str, request: Request) -> _Match:
    """One ``AWS`` principal value against the caller."""
    if value == "*":
        return "direct"
    root = _ROOT_ARN.match(value)
    account = root.group(1) if root else None if value.startswith("arn:") else value
    if account is not None and request.account is not None and account == request.account:
        caller = _ROOT_ARN.match(request.principal_arn or "")
        caller_root = caller is not None and caller.group(1) == account
        return "direct" if caller_root else "account"
    return (
        "direct" if request.principal_arn is not None and value == request.principal_arn else "none"
    )


def _principal_match(principal: Any, request: Request) -> _Match:
    """Best match of a Principal element: ``direct`` beats ``account`` beats ``none``."""
    if principal == "*":
        return "direct"
    if not isinstance(principal, Mapping):
        raise ValueError(f"unsupported Principal element: {principal!r}")
    best: _Match = "none"
    for kind, values in principal.items():
        for value in map(_text, _as_list(values)):
            if kind == "AWS":
                found = _aws_match(value, request)
            elif kind == "Service":
                found = (
                    "direct"
                    if request.service and value.lower() == request.service.lower()
                    else "none"
                )
            elif kind in ("Federated", "CanonicalUser"):
                found = "direct" if value == request.principal_arn else "none"
            else:
                raise ValueError(f"unsupported principal type {kind!r}")
            if found == "direct":
                return found
            if found == "account":
                best = found
    return best


# ----------------------------------------------------------------------------- conditions

_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
}
_STRING_OPS = {
    "StringEquals": lambda r, p: r == p,
    "StringEqualsIgnoreCase": lambda r, p: r.casefold() == p.casefold(),
    "StringLike": lambda r, p: bool(_glob(p, False).fullmatch(r)),
    "ArnEquals": lambda r, p: bool(_glob(p, False).fullmatch(r)),
    "ArnLike": lambda r, p: bool(_glob(p, False).fullmatch(r)),
}
_STRING_OPS.update(
    {
        "StringNotEquals": _STRING_OPS["StringEquals"],
        "StringNotEqualsIgnoreCase": _STRING_OPS["StringEqualsIgnoreCase"],
        "StringNotLike": _STRING_OPS["StringLike"],
        "ArnNotEquals": _STRING_OPS["ArnEquals"],
        "ArnNotLike": _STRING_OPS["ArnLike"],
    }
)
_BASE_OPS = {*_STRING_OPS, "Bool", "Null"}


def _parse_operator(operator: str) -> tuple[str | None, str, bool]:
    """Split ``ForAnyValue:StringLikeIfExists`` into (set prefix, base operator, if-exists)."""
    prefix, _, rest = operator.rpartition(":")
    if prefix not in ("", "ForAnyValue", "ForAllValues"):
        raise ValueError(f"unsupported condition operator {operator!r}")
    if_exists = rest.endswith("IfExists")
    base = rest.removesuffix("IfExists") if if_exists else rest
    if base not in _BASE_OPS or (prefix and base not in _STRING_OPS):
        raise ValueError(f"unsupported condition operator {operator!r}")
    return prefix or None, base, if_exists


def _test(base: str, present: list[str], wanted: list[str]) -> bool:
    """A present request value (or values, any of which counts) against the policy values."""
    if base == "Null":
        return any(w.lower() == "false" for w in wanted)
    if base == "Bool":
        return any(r.lower() == w.lower() for r in present for w in wanted)
    hit = any(_STRING_OPS[base](r, w) for r in present for w in wanted)
    return not hit if base in _NEGATED else hit


def _condition_holds(operator: str, key: str, wanted: Any, ctx: Mapping[str, Any]) -> bool:
    """One (operator, key, values) triple against the lowercased request context."""
    prefix, base, if_exists = _parse_operator(operator)
    wanted_values = [_text(w) for w in _as_list(wanted)]
    if key.lower() not in ctx:
        if if_exists:
            return True
        if base == "Null":
            return any(w.lower() == "true" for w in wanted_values)
        if prefix is not None:
            return prefix == "ForAllValues"
        return base in _NEGATED
    present = [_text(v) for v in _as_list(ctx[key.lower()])]
    if prefix == "ForAnyValue":
        return any(_test(base, [r], wanted_values) for r in present)
    if prefix == "ForAllValues":
        return all(_test(base, [r], wanted_values) for r in present)
    return _test(base, present, wanted_values)


def _conditions_hold(condition: Any, ctx: Mapping[str, Any]) -> bool:
    """Every operator and every key of a Condition block holds."""
    if condition is None:
        return True
    if not isinstance(condition, Mapping):
        raise ValueError(f"unsupported Condition element: {condition!r}")
    results = []
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            raise ValueError(f"condition operator {operator!r} needs a key -> values map")
        results += [_condition_holds(operator, k, v, ctx) for k, v in block.items()]
    return all(results)  # all evaluated first, so an unknown operator always raises


# ----------------------------------------------------------------------------- evaluation


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = _as_list(policy.get("Statement", []))
    for statement in statements:
        if not isinstance(statement, Mapping):
            raise ValueError(f"cannot evaluate statement {statement!r} (unresolved intrinsic?)")
    return statements


def evaluate(policy: Mapping[str, Any], request: Request) -> Decision:
    """Decide ``request`` against the key policy ``policy`` (raw or canonical).

    Explicit deny in any applicable statement wins, then any effective allow, else implicit deny.
    Raises :class:`ValueError` on elements the evaluator does not model (unknown condition
    operators, principal types or effects), rather than guessing.
    """
    policy = canonicalize(dict(policy))
    ctx = {k.lower(): v for k, v in canonicalize(effective_context(request)).items()}
    allowed = denied = False
    for statement in _statements(policy):
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise ValueError(f"unsupported Effect {effect!r}")
        if ("Principal" in statement) == ("NotPrincipal" in statement):
            raise ValueError(
                "a key policy statement needs exactly one of Principal or NotPrincipal"
            )
        if "Principal" in statement:
            match = _principal_match(statement["Principal"], request)
        else:
            excluded = _principal_match(statement["NotPrincipal"], request) != "none"
            match = "none" if excluded else "direct"
        # action and conditions are checked even when the principal does not match, so that a
        # malformed statement always raises instead of being skipped silently
        action_hit = _action_matches(statement, request.action)
        conditions_hold = _conditions_hold(statement.get("Condition"), ctx)
        if match == "none" or not action_hit or not conditions_hold:
            continue
        if effect == "Deny":
            denied = True
        elif match == "direct" or request.identity_allows:
            allowed = True
    if denied:
        return "explicit_deny"
    return "allow" if allowed else "implicit_deny"


def allowed_actions(
    policy: Mapping[str, Any], request_template: Request, actions: Iterable[str]
) -> frozenset[str]:
    """The subset of ``actions`` that ``policy`` allows for ``request_template``'s caller."""
    canonical = canonicalize(dict(policy))
    return frozenset(
        a for a in actions if evaluate(canonical, replace(request_template, action=a)) == "allow"
    )

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
  (for a negated operator they are NORed: the request value must match *none* of them). Condition
  keys are case-insensitive; operator names are case-sensitive. Every IAM condition operator is
  supported, each with the ``IfExists`` suffix and the ``ForAnyValue:`` / ``ForAllValues:`` set
  qualifiers (``Null`` takes neither, as AWS defines it):

  - ``StringEquals``, ``StringNotEquals``, ``StringEqualsIgnoreCase``,
    ``StringNotEqualsIgnoreCase``, ``StringLike``, ``StringNotLike`` (``*`` / ``?`` globs);
  - ``NumericEquals``, ``NumericNotEquals``, ``NumericLessThan``, ``NumericLessThanEquals``,
    ``NumericGreaterThan``, ``NumericGreaterThanEquals`` (integers and decimals, compared exactly);
  - ``DateEquals``, ``DateNotEquals``, ``DateLessThan``, ``DateLessThanEquals``,
    ``DateGreaterThan``, ``DateGreaterThanEquals`` (W3C ISO 8601 dates and date-times with a zone,
    or epoch seconds; a date without a time is 00:00 UTC of that day);
  - ``Bool`` (``true`` / ``false``, any case) and ``BinaryEquals`` (canonical base64, compared as
    decoded bytes);
  - ``IpAddress``, ``NotIpAddress`` (IPv4 / IPv6 CIDR; a bare address is ``/32`` or ``/128``);
  - ``ArnEquals``, ``ArnLike``, ``ArnNotEquals``, ``ArnNotLike`` (identical pairs; each of the six
    colon-delimited components matched separately, case-sensitively, with ``*`` / ``?``; the
    resource component runs to the end of the ARN);
  - ``Null`` (``true``: the key is absent or its value empty).

  A condition that cannot be decided raises :class:`UndecidableError` (a :class:`ValueError`)
  naming the operator, the key and the offending value, never a silent decision: an unknown
  operator, a policy or request value that does not parse for its operator (policy values are
  checked even when the key is absent), an unresolved CloudFormation placeholder where a number,
  date, IP address, boolean or base64 value is needed, an ARN that is not one, a wildcard ARN
  pattern against an ARN hidden in a placeholder, a bare four-digit date (year or epoch seconds?).

Missing-key semantics, when a condition key is ABSENT from the request context (each rule is
quoted from AWS's documentation next to the code that applies it):

========================================================  =========
operator                                                  result
========================================================  =========
positive (``StringEquals``, ``NumericLessThan``,          false
``DateEquals``, ``Bool``, ``BinaryEquals``,
``IpAddress``, ``ArnLike``, ...)
negated (``StringNotEquals``, ``StringNotLike``,          true
``NumericNotEquals``, ``DateNotEquals``,
``NotIpAddress``, ``ArnNotEquals``, ``ArnNotLike``, ...)
any ``...IfExists`` operator                              true
``Null: true`` / ``Null: false``                          true / false
``ForAllValues:...``                                      true
``ForAnyValue:...``                                       false
========================================================  =========

A key whose value is None is absent. A key present with an empty value (``[]`` or ``""``) is
null for ``Null`` and an empty set for the set qualifiers (``ForAllValues`` true,
``ForAnyValue`` false); other operators compare it like any value.

Hence a ``Deny`` guarded by ``Bool: {"kms:GrantIsForAWSResource": "false"}`` does not apply to
``kms:Decrypt`` (the key is only present on grant operations), and ``DenyEveryoneElse`` with
``ArnNotEquals aws:PrincipalArn`` applies to AWS services (no principal ARN) unless it also tests
``aws:PrincipalIsAWSService``.

NOT modelled: service control and resource control policies, KMS grants, session policies,
permissions boundaries, VPC endpoint policies, the identity policy of a principal named directly
(including the cross-account case, where IAM requires the caller's account to allow it too), IAM
policy variables beyond substitution (in string and ARN conditions ``${aws:PrincipalAccount}``
takes the request's value, or its default; a variable the request has no value for, and any
variable in numeric, date, IP, boolean and binary conditions, is undecidable), ``Resource`` /
``NotResource`` (a key policy applies to its key; only ``NotResource: "*"``, which excludes every
resource, is read: the statement applies to nothing, "IAM JSON policy elements: NotResource",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html),
and the values that CloudFormation intrinsics
resolve to: :func:`canonicalize` turns them into opaque placeholders, which string and ARN
operators compare as literal text (a placeholder equals only itself) and the other operators
refuse as undecidable.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .canonical import as_text, canonicalize
from .condition_values import (
    ARN,
    BINARY,
    BOOL,
    DATE,
    IP,
    NUMERIC,
    STRING,
    Family,
    Unparsable,
    arn_like,
    boolean,
    glob,
    glob_match,
    in_network,
)

Decision = Literal["allow", "explicit_deny", "implicit_deny"]

__all__ = [
    "CanonicalPolicy",
    "Decision",
    "Request",
    "UndecidableError",
    "allowed_actions",
    "canonicalize",
    "effective_context",
    "evaluate",
    "prepare",
]


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
    ``aws:PrincipalServiceName`` is present only for a service (IAM User Guide, "AWS global condition context keys": the key AWS sets for a service principal). Explicit ``request.context``
    entries override them.
    """
    ctx: dict[str, Any] = {}
    if request.principal_arn is not None:
        ctx["aws:PrincipalArn"] = request.principal_arn
    if request.account is not None:
        ctx["aws:PrincipalAccount"] = request.account
    ctx["aws:PrincipalIsAWSService"] = "true" if request.service else "false"
    if request.service:
        ctx["aws:PrincipalServiceName"] = request.service
    ctx.update(request.context)
    return ctx


# ----------------------------------------------------------------------------- matching


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    """Action / NotAction of a statement against one action, case-insensitively."""
    if ("Action" in statement) == ("NotAction" in statement):
        raise ValueError("a statement needs exactly one of Action or NotAction")
    key = "Action" if "Action" in statement else "NotAction"
    hit = any(glob(as_text(p), True).fullmatch(action) for p in _as_list(statement[key]))
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
        for value in map(as_text, _as_list(values)):
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
#
# Sources (quoted in the comments below; all read from AWS's current IAM User Guide):
#   [OPS]   "IAM JSON policy elements: Condition operators"
#           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
#   [MULTI] "Single-valued vs. multivalued context keys"
#           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
#   [LOGIC] "Conditions with multiple context keys or values"
#           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html


class UndecidableError(ValueError):
    """A condition the evaluator cannot decide, raised instead of a guess.

    Raised for an unknown condition operator, and for a value that does not parse for its
    operator: a non-number under ``NumericLessThan``, a malformed date or CIDR, an unresolved
    CloudFormation placeholder such as ``${Foo.Arn}`` where a number, date, IP address, boolean or
    base64 value is required, a wildcard ARN pattern against a value whose ARN structure is hidden
    in a placeholder, and so on. ``operator``, ``key`` and ``value`` name the offending condition
    (``key`` is None when the operator has no key map); ``reason`` says what is wrong. A subclass
    of :class:`ValueError`, so callers that catch ``ValueError`` keep working.
    """

    def __init__(self, operator: str, key: str | None, value: Any, reason: str) -> None:
        self.operator = operator
        self.key = key
        self.value = value
        self.reason = reason
        on_key = "" if key is None else f" on key {key!r}"
        super().__init__(
            f"cannot decide condition operator {operator!r}{on_key}: {reason} (value {value!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:  # picklable despite the four-argument constructor
        return type(self), (self.operator, self.key, self.value, self.reason)


def _values(value: Any) -> list[Any]:
    """A policy or request value as a list of single values."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _is_empty(value: Any) -> bool:
    """A present request value that is a null data set: None, ``[]`` or ``""``."""
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


# Base operator -> (family, test(request value, policy value), negated). A negated operator is the
# complement of its positive twin on a present value; [LOGIC] "If a single negated matching
# condition operator includes multiple values for a context key, those values are evaluated using
# a logical NOR", i.e. it holds only if the request value matches none of the policy values.
_BASES: dict[str, tuple[Family, Callable[[Any, Any], bool], bool]] = {
    "StringEquals": (STRING, operator.eq, False),
    "StringNotEquals": (STRING, operator.eq, True),
    "StringEqualsIgnoreCase": (STRING, lambda r, p: r.casefold() == p.casefold(), False),
    "StringNotEqualsIgnoreCase": (STRING, lambda r, p: r.casefold() == p.casefold(), True),
    "StringLike": (STRING, glob_match, False),
    "StringNotLike": (STRING, glob_match, True),
    "NumericEquals": (NUMERIC, operator.eq, False),
    "NumericNotEquals": (NUMERIC, operator.eq, True),
    "NumericLessThan": (NUMERIC, operator.lt, False),
    "NumericLessThanEquals": (NUMERIC, operator.le, False),
    "NumericGreaterThan": (NUMERIC, operator.gt, False),
    "NumericGreaterThanEquals": (NUMERIC, operator.ge, False),
    "DateEquals": (DATE, operator.eq, False),
    "DateNotEquals": (DATE, operator.eq, True),
    "DateLessThan": (DATE, operator.lt, False),
    "DateLessThanEquals": (DATE, operator.le, False),
    "DateGreaterThan": (DATE, operator.gt, False),
    "DateGreaterThanEquals": (DATE, operator.ge, False),
    "Bool": (BOOL, operator.eq, False),
    "BinaryEquals": (BINARY, operator.eq, False),
    "IpAddress": (IP, in_network, False),
    "NotIpAddress": (IP, in_network, True),
    "ArnEquals": (ARN, arn_like, False),
    "ArnLike": (ARN, arn_like, False),
    "ArnNotEquals": (ARN, arn_like, True),
    "ArnNotLike": (ARN, arn_like, True),
}
_SET_QUALIFIERS = ("ForAnyValue", "ForAllValues")


@dataclass(frozen=True)
class _Operator:
    qualifier: str | None  # "ForAnyValue", "ForAllValues" or None
    base: str  # e.g. "NumericLessThan", "Null"
    if_exists: bool


def _parse_operator(name: str, key: str | None, values: Any) -> _Operator:
    """Split ``ForAnyValue:StringLikeIfExists`` into its qualifier, base operator and suffix."""
    qualifier, colon, rest = name.partition(":")
    if not colon:
        qualifier, rest = "", name
    if_exists = rest.endswith("IfExists")
    base = rest.removesuffix("IfExists")
    if qualifier and qualifier not in _SET_QUALIFIERS:
        raise UndecidableError(name, key, values, f"unknown set qualifier {qualifier!r}")
    if base == "Null":
        # [OPS] "You can add IfExists to the end of any condition operator name except the Null
        # condition"; AWS defines no set-qualified Null either.
        if if_exists or qualifier:
            raise UndecidableError(name, key, values, "Null takes no IfExists or set qualifier")
    elif base not in _BASES:
        raise UndecidableError(name, key, values, "unknown condition operator")
    return _Operator(qualifier or None, base, if_exists)


def _parse_each(
    parse: Callable[[Any], Any], values: list[Any], name: str, key: str, what: str
) -> list[Any]:
    parsed = []
    for value in values:
        try:
            parsed.append(parse(value))
        except Unparsable as error:
            raise UndecidableError(name, key, value, f"{what}: {error.reason}") from None
    return parsed


_ABSENT = object()

# An IAM policy variable ("IAM policy elements: Variables and tags", IAM User Guide,
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html): "When the
# policy is evaluated, the policy variables are replaced with values that come from the
# conditional context keys passed in the request"; a default may follow the key
# (${aws:PrincipalTag/team, 'company-wide'}); "If AWS cannot resolve a variable this might cause
# the entire statement to be invalid", so a variable without a value (and no default) is
# undecidable here. ${*} ${?} ${$} stand for the literal characters, which a Like pattern would
# then read as wildcards: undecidable as well. Not a CloudFormation placeholder of
# :mod:`.canonical` (${AWS::Region}, ${Fn::...}, ${ImportValue:...}, ${Role.Arn}).
POLICY_VARIABLE = re.compile(r"\$\{(?:[a-z][a-z0-9-]*:[^:}][^}]*|[*?$])\}")


def _resolve_variables(value: Any, ctx: Mapping[str, Any], name: str, key: str) -> Any:
    """``value`` with each policy variable replaced by the request's value (see above)."""
    if not isinstance(value, str) or "${" not in value:
        return value

    def one(match: re.Match[str]) -> str:
        inner = match.group(0)[2:-1]
        if inner in ("*", "?", "$"):
            raise UndecidableError(name, key, value, f"the policy variable ${{{inner}}}")
        variable, _, default = (part.strip() for part in inner.partition(","))
        found = ctx.get(variable.lower())
        if isinstance(found, str) and found:
            return found
        if default.startswith("'") and default.endswith("'") and len(default) >= 2:
            return default[1:-1]
        raise UndecidableError(
            name, key, value, f"the policy variable ${{{variable}}} has no single value in the "
            "request (AWS: an unresolved variable 'might cause the entire statement to be "
            "invalid')",
        )  # fmt: skip

    return POLICY_VARIABLE.sub(one, value)


def _condition_holds(name: str, key: str, wanted: Any, ctx: Mapping[str, Any]) -> bool:
    """One (operator, key, policy values) triple against the lowercased request context.

    The policy values are parsed first, whether or not the key is present, so that a value the
    operator cannot read always raises :class:`UndecidableError`.
    """
    op = _parse_operator(name, key, wanted)
    policy_values = _values(wanted)
    if not policy_values:
        raise UndecidableError(name, key, wanted, "no policy values")
    raw = ctx.get(key.lower(), _ABSENT)
    absent = raw is _ABSENT or raw is None

    if op.base == "Null":
        # [OPS] "Use a Null condition operator to check if a condition key is absent at the time
        # of authorization. In the policy statement, use either true (the key doesn't exist - it
        # is null) or false (the key exists and its value is not null)." [OPS] (ARN section): "To
        # prevent missing context keys or context keys with empty values from evaluating to true,
        # you can include the Null condition operator in your policy with a false value to check
        # if the context key exists and its value is not null": an empty value is null too.
        must_be_null = _parse_each(boolean, policy_values, name, key, "Null value")
        is_null = absent or _is_empty(raw)
        return any(flag == is_null for flag in must_be_null)

    family, test, negated = _BASES[op.base]
    if family is STRING or family is ARN:
        policy_values = [_resolve_variables(v, ctx, name, key) for v in policy_values]
    parsed_policy = _parse_each(family.policy, policy_values, name, key, "policy value")

    if absent:
        if op.if_exists:
            # [OPS] "...IfExists condition operators": "If the key is not present, evaluate the
            # condition element as true."
            return True
        if op.qualifier == "ForAllValues":
            # [MULTI] "ForAllValues": "The condition returns true if every context key value in
            # the request matches a context key value in the policy. It also returns true if
            # there are no context keys in the request."
            return True
        if op.qualifier == "ForAnyValue":
            # [MULTI] "ForAnyValue": "For no matching context key or if the key does not exist,
            # the condition returns false."
            return False
        # [OPS] "If the key that you specify in a policy condition is not present in the request
        # context, the values do not match and the condition is false. If the policy condition
        # requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right
        # key is not present, the condition is true. This logic applies to all condition
        # operators except ...IfExists and Null check."
        return negated

    if op.qualifier is not None and _is_empty(raw):
        # [OPS] (ARN section): "The ForAllValues qualifier returns true if there are no context
        # keys in the request or if the context key value resolves to a null dataset, such as an
        # empty string." ForAnyValue finds no value that matches: false.
        return op.qualifier == "ForAllValues"

    present = _parse_each(family.request, _values(raw), name, key, "request value")

    def hit(value: Any) -> bool:
        # values are ORed: one that matches decides, even when another cannot be compared (a
        # wildcard pattern against an ARN hidden in a placeholder); otherwise the first such
        # value makes the condition undecidable
        unknown: Unparsable | None = None
        for p in parsed_policy:
            try:
                if test(value, p):
                    return True
            except Unparsable as error:
                unknown = unknown or error
        if unknown is not None:
            raise unknown
        return False

    try:
        if op.qualifier == "ForAllValues":
            # [MULTI] "The ForAllValues qualifier tests whether the value of every member of the
            # request context matches the condition operator that follows the qualifier."
            # [OPS] "ForAllValues:StringNotEquals ... Negated matching. None of the values of the
            # context key in the request can match any of the context key values in your policy."
            return all(hit(v) != negated for v in present)
        if op.qualifier == "ForAnyValue":
            # [MULTI] "The ForAnyValue qualifier tests whether at least one member of the set of
            # request context key values matches at least one member of the set of context key
            # values in your policy condition." [OPS] "ForAnyValue:StringNotEquals ... Negated
            # matching. At least one context key value in the request must NOT match any of
            # values in the context key in your policy."
            return any(hit(v) != negated for v in present)
        # No set qualifier: values are ORed, [LOGIC] "If a single condition operator includes
        # multiple values for a context key, those values are evaluated using a logical OR", and
        # NORed for a negated operator. A multivalued request value without a qualifier (which
        # [MULTI] says not to write) counts as a hit if any of its values hits.
        return any(hit(v) for v in present) != negated
    except Unparsable as error:
        raise UndecidableError(name, key, error.value, error.reason) from None


def _conditions_hold(condition: Any, ctx: Mapping[str, Any]) -> bool:
    """Every operator and every key of a Condition block holds.

    [LOGIC] "If your policy statement has multiple condition operators, the condition operators are
    evaluated using a logical AND. If your policy statement has multiple context keys attached to a
    single condition operator, the context keys are evaluated using a logical AND."
    """
    if condition is None:
        return True
    if not isinstance(condition, Mapping):
        raise ValueError(f"unsupported Condition element: {condition!r}")
    results = []
    for name, block in condition.items():
        if not isinstance(block, Mapping):
            raise UndecidableError(name, None, block, "needs a map of condition keys to values")
        results += [_condition_holds(name, k, v, ctx) for k, v in block.items()]
    return all(results)  # all evaluated first, so an undecidable condition always raises


# ----------------------------------------------------------------------------- evaluation


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = _as_list(policy.get("Statement", []))
    for statement in statements:
        if not isinstance(statement, Mapping):
            raise ValueError(f"cannot evaluate statement {statement!r} (unresolved intrinsic?)")
    return statements


class CanonicalPolicy(dict[str, Any]):
    """A policy already put through :func:`canonicalize` (see :func:`prepare`): evaluating it
    again skips the canonical pass, which dominates the cost of one evaluation."""


def prepare(policy: Mapping[str, Any]) -> CanonicalPolicy:
    """``policy`` canonicalized once, for many :func:`evaluate` calls."""
    if isinstance(policy, CanonicalPolicy):
        return policy
    return CanonicalPolicy(canonicalize(dict(policy)))


def evaluate(policy: Mapping[str, Any], request: Request) -> Decision:
    """Decide ``request`` against the key policy ``policy`` (raw or canonical).

    Explicit deny in any applicable statement wins, then any effective allow, else implicit deny.
    Raises :class:`UndecidableError` on a condition it cannot decide (unknown operator, value that
    does not parse for its operator) and :class:`ValueError` on other elements it does not model
    (principal types, effects), rather than guessing.
    """
    return _decide(_applicable(prepare(policy), request), request.action, request.identity_allows)


def _applicable(policy: CanonicalPolicy, request: Request) -> list[tuple[str, str, Any]]:
    """(effect, principal match, statement) of every statement whose principal and conditions
    hold for ``request``'s caller and context, whatever the action (neither depends on it).
    Every statement is checked, so that a malformed one always raises."""
    ctx = {k.lower(): v for k, v in canonicalize(effective_context(request)).items()}
    applicable: list[tuple[str, str, Any]] = []
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
        _action_matches(statement, request.action)
        conditions_hold = _conditions_hold(statement.get("Condition"), ctx)
        if "*" in map(as_text, _as_list(statement.get("NotResource", []))):
            continue  # excludes every resource ("IAM JSON policy elements: NotResource")
        if match != "none" and conditions_hold:
            applicable.append((str(effect), match, statement))
    return applicable


def _decide(applicable: list[tuple[str, str, Any]], action: str, identity_allows: bool) -> Decision:
    """Explicit deny wins, then any effective allow, else implicit deny."""
    allowed = denied = False
    for effect, match, statement in applicable:
        if not _action_matches(statement, action):
            continue
        if effect == "Deny":
            denied = True
        elif match == "direct" or identity_allows:
            allowed = True
    if denied:
        return "explicit_deny"
    return "allow" if allowed else "implicit_deny"


def allowed_actions(
    policy: Mapping[str, Any], request_template: Request, actions: Iterable[str]
) -> frozenset[str]:
    """The subset of ``actions`` that ``policy`` allows for ``request_template``'s caller."""
    # the statements that apply to the caller are found once, then matched against each action
    applicable = _applicable(prepare(policy), request_template)
    allow = request_template.identity_allows
    return frozenset(a for a in actions if _decide(applicable, a, allow) == "allow")

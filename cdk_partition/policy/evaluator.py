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
policy variables (``${aws:username}`` is a literal in string and ARN conditions; in numeric, date,
IP, boolean and binary conditions, where AWS allows none, it is undecidable), ``Resource`` /
``NotResource`` (a key policy applies to its key), and the values that CloudFormation intrinsics
resolve to: :func:`canonicalize` turns them into opaque placeholders, which string and ARN
operators compare as literal text (a placeholder equals only itself) and the other operators
refuse as undecidable.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import ipaddress
import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

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


class _Unparsable(Exception):
    """Internal: a value does not parse for an operator family (wrapped in UndecidableError)."""

    def __init__(self, reason: str, value: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


def _values(value: Any) -> list[Any]:
    """A policy or request value as a list of single values."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _is_empty(value: Any) -> bool:
    """A present request value that is a null data set: None, ``[]`` or ``""``."""
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


# String: [OPS] "String condition operators": StringEquals "Exact matching, case sensitive",
# StringEqualsIgnoreCase "Exact matching, ignoring case", StringLike "Case-sensitive matching. The
# values can include multi-character match wildcards (*) and single-character match wildcards (?)
# anywhere in the string". Policy variables are "Supported" by AWS; this evaluator does not
# resolve them (see the module docstring), nor the CloudFormation placeholders: both compare as
# literal text, so a placeholder only equals itself.
def _string(value: Any) -> str:
    return _text(value)


# Numeric: [OPS] "Numeric condition operators let you construct Condition elements that restrict
# access based on comparing a key to an integer or decimal value." ... "Policy variables - Not
# supported", "Wildcards - Not supported". Accepted: JSON numbers and strings of the form
# [+-]digits[.digits]; anything else (exponents, "NaN", placeholders) is undecidable.
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _Unparsable("a boolean is not an integer or decimal value")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return Decimal(value)
    raise _Unparsable("not an integer or decimal value")


# Date: [OPS] "Date condition operators": "You must specify date/time values with one of the W3C
# implementations of the ISO 8601 date formats or in epoch (UNIX) time." ... "Policy variables -
# Not supported", "Wildcards - Not supported". The W3C profile (http://www.w3.org/TR/NOTE-datetime)
# is YYYY, YYYY-MM, YYYY-MM-DD, and YYYY-MM-DDThh:mm[:ss[.s]]TZD with TZD = Z, +hh:mm or -hh:mm.
# Interpretation (AWS does not spell it out): a value without a time is the instant at 00:00 UTC
# of its first day; epoch time is whole seconds. A bare four-digit value is both a W3C year and
# an epoch second count, and a time without TZD has no defined zone: both are undecidable.
_EPOCH = re.compile(r"-?[0-9]+")
_W3C = re.compile(
    r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:[0-9]{2}))?)?)?"
)


def _instant(value: Any) -> Decimal:
    """Seconds since the epoch, exactly (fractions of a second kept as decimals)."""
    if isinstance(value, bool):
        raise _Unparsable("a boolean is not a date")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _Unparsable("a datetime without a time zone")
        seconds = calendar.timegm(value.utctimetuple())
        return Decimal(seconds) + Decimal(value.microsecond) / 1_000_000
    if isinstance(value, str) and _EPOCH.fullmatch(value):
        if re.fullmatch(r"[0-9]{4}", value):
            raise _Unparsable("four digits: a W3C year or epoch seconds, ambiguous")
        return Decimal(int(value))
    match = _W3C.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _Unparsable("not a W3C ISO 8601 date/time or epoch (UNIX) seconds")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=UTC,
        )
    except ValueError as error:
        raise _Unparsable(f"not a valid date/time ({error})") from None
    offset = 0
    if zone not in (None, "Z"):
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 23 or zone_minutes > 59:
            raise _Unparsable("not a valid time zone offset")
        offset = (1 if zone[0] == "+" else -1) * (zone_hours * 3600 + zone_minutes * 60)
    epoch = Decimal(calendar.timegm(moment.timetuple()) - offset)
    return epoch + (Decimal("0." + fraction) if fraction else 0)


# Bool: [OPS] "Boolean conditions let you construct Condition elements that restrict access based
# on comparing a key to true or false." Compared case-insensitively, as JSON booleans or strings;
# any other value (a placeholder or policy variable included) is undecidable.
def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _Unparsable("not true or false")


# Binary: [OPS] "The BinaryEquals condition operator lets you construct Condition elements that
# test key values that are in binary format. It compares the value of the specified key byte for
# byte against a base-64 encoded representation of the binary value in the policy." Policy
# values are decoded; a request value is raw bytes or, as in AWS's own evaluation table, its
# base64 text. Only canonical base64 is accepted, so comparing the decoded bytes and comparing
# the base64 strings always agree.
def _base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _Unparsable("not a base-64 string")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Unparsable("not valid base-64") from None
    if base64.b64encode(decoded).decode("ascii") != value:
        raise _Unparsable("not canonical base-64")
    return decoded


def _binary_request(value: Any) -> bytes:
    return bytes(value) if isinstance(value, bytes | bytearray) else _base64(value)


# IP address: [OPS] "The value must be in the standard CIDR format (for example, 203.0.113.0/24 or
# 2001:DB8:1234:5678::/64). If you specify an IP address without the associated routing prefix,
# IAM uses the default prefix value of /32." (/128 for an IPv6 address: its full length.)
# "Policy variables - Not supported", "Wildcards - Not supported". Host bits below the prefix
# are ignored (203.0.113.5/24 is 203.0.113.0/24); netmask spellings are not CIDR and undecidable.
# An address matches only a range of its own family.
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddressValue = ipaddress.IPv4Address | ipaddress.IPv6Address


def _network(value: Any) -> IpNetwork:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f.:]+(?:/[0-9]{1,3})?", value):
        raise _Unparsable("not an IPv4 or IPv6 address or CIDR range")
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise _Unparsable("not an IPv4 or IPv6 address or CIDR range") from None


def _address(value: Any) -> IpAddressValue:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f.:]+", value):
        raise _Unparsable("not an IPv4 or IPv6 address")
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise _Unparsable("not an IPv4 or IPv6 address") from None


# ARN: [OPS] "ArnEquals, ArnLike: Case-sensitive matching of the ARN. Each of the six
# colon-delimited components of the ARN is checked separately and each can include
# multi-character match wildcards (*) or single-character match wildcards (?). The ArnEquals and
# ArnLike condition operators behave identically." (and likewise ArnNotEquals / ArnNotLike). Its
# example: pattern arn:aws:someservice:*:111122223333:finance/* fails against
# arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt, "The
# first asterisk matches only us-east-2". The sixth component, the resource, is the rest of the
# ARN, colons included. Colons inside ${...} placeholders do not split. A value whose six
# components are hidden in a placeholder (``${Role.Arn}``) equals only the same text; a wildcard
# pattern against such a value is undecidable; a value that is neither an ARN nor hides one in a
# placeholder is undecidable.
_Arn = tuple[str, list[str] | None]


def _arn_segments(text: str) -> list[str] | None:
    """The six components of ``text``, or None when it does not have six."""
    parts: list[str] = []
    start = index = 0
    while index < len(text) and len(parts) < 5:
        if text.startswith("${", index) and (close := text.find("}", index)) != -1:
            index = close + 1
            continue
        if text[index] == ":":
            parts.append(text[start:index])
            start = index + 1
        index += 1
    parts.append(text[start:])
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def _arn(value: Any) -> _Arn:
    text = _text(value)
    segments = _arn_segments(text)
    if segments is None and "${" not in text:
        raise _Unparsable("not an ARN (arn:partition:service:region:account:resource)")
    return text, segments


def _arn_like(request: _Arn, pattern: _Arn) -> bool:
    (text, segments), (pattern_text, pattern_segments) = request, pattern
    if segments is not None and pattern_segments is not None:
        return all(
            _glob(p, False).fullmatch(s) for p, s in zip(pattern_segments, segments, strict=True)
        )
    if text == pattern_text:
        return True
    if not re.search(r"[*?]", _SUB_VARIABLE.sub("", pattern_text)):
        return False  # no wildcard: distinct texts, as distinct placeholders are distinct values
    hidden = text if segments is None else pattern_text
    raise _Unparsable("a wildcard ARN pattern against an ARN hidden in a placeholder", hidden)


@dataclass(frozen=True)
class _Family:
    """How one family of operators parses policy values and request values."""

    policy: Callable[[Any], Any]
    request: Callable[[Any], Any]


_STRING = _Family(_string, _string)
_NUMERIC = _Family(_number, _number)
_DATE = _Family(_instant, _instant)
_BOOL = _Family(_boolean, _boolean)
_BINARY = _Family(_base64, _binary_request)
_IP = _Family(_network, _address)
_ARN = _Family(_arn, _arn)


def _glob_match(request: str, pattern: str) -> bool:
    return bool(_glob(pattern, False).fullmatch(request))


def _in_network(request: IpAddressValue, network: IpNetwork) -> bool:
    return request in network


# Base operator -> (family, test(request value, policy value), negated). A negated operator is the
# complement of its positive twin on a present value; [LOGIC] "If a single negated matching
# condition operator includes multiple values for a context key, those values are evaluated using
# a logical NOR", i.e. it holds only if the request value matches none of the policy values.
_BASES: dict[str, tuple[_Family, Callable[[Any, Any], bool], bool]] = {
    "StringEquals": (_STRING, operator.eq, False),
    "StringNotEquals": (_STRING, operator.eq, True),
    "StringEqualsIgnoreCase": (_STRING, lambda r, p: r.casefold() == p.casefold(), False),
    "StringNotEqualsIgnoreCase": (_STRING, lambda r, p: r.casefold() == p.casefold(), True),
    "StringLike": (_STRING, _glob_match, False),
    "StringNotLike": (_STRING, _glob_match, True),
    "NumericEquals": (_NUMERIC, operator.eq, False),
    "NumericNotEquals": (_NUMERIC, operator.eq, True),
    "NumericLessThan": (_NUMERIC, operator.lt, False),
    "NumericLessThanEquals": (_NUMERIC, operator.le, False),
    "NumericGreaterThan": (_NUMERIC, operator.gt, False),
    "NumericGreaterThanEquals": (_NUMERIC, operator.ge, False),
    "DateEquals": (_DATE, operator.eq, False),
    "DateNotEquals": (_DATE, operator.eq, True),
    "DateLessThan": (_DATE, operator.lt, False),
    "DateLessThanEquals": (_DATE, operator.le, False),
    "DateGreaterThan": (_DATE, operator.gt, False),
    "DateGreaterThanEquals": (_DATE, operator.ge, False),
    "Bool": (_BOOL, operator.eq, False),
    "BinaryEquals": (_BINARY, operator.eq, False),
    "IpAddress": (_IP, _in_network, False),
    "NotIpAddress": (_IP, _in_network, True),
    "ArnEquals": (_ARN, _arn_like, False),
    "ArnLike": (_ARN, _arn_like, False),
    "ArnNotEquals": (_ARN, _arn_like, True),
    "ArnNotLike": (_ARN, _arn_like, True),
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
        except _Unparsable as error:
            raise UndecidableError(name, key, value, f"{what}: {error.reason}") from None
    return parsed


_ABSENT = object()


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
        must_be_null = _parse_each(_boolean, policy_values, name, key, "Null value")
        is_null = absent or _is_empty(raw)
        return any(flag == is_null for flag in must_be_null)

    family, test, negated = _BASES[op.base]
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
        return any(test(value, p) for p in parsed_policy)

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
    except _Unparsable as error:
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
    policy = prepare(policy)
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
    canonical = prepare(policy)
    return frozenset(
        a for a in actions if evaluate(canonical, replace(request_template, action=a)) == "allow"
    )

"""The values of IAM condition operators, family by family.

How each family of condition operators (string, numeric, date, boolean, binary, IP address, ARN)
reads a policy value and a request value, and the tests the evaluator's operator table
(:data:`cdk_partition.policy.evaluator._BASES`) applies to them. A value that does not parse
raises :class:`Unparsable`, which the evaluator turns into an
:class:`~cdk_partition.policy.evaluator.UndecidableError` naming the condition.

Sources (quoted in the comments below; read from AWS's current IAM User Guide):
  [OPS]   "IAM JSON policy elements: Condition operators"
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

import base64
import binascii
import calendar
import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .canonical import SUB_VARIABLE, as_text


class Unparsable(Exception):
    """A value does not parse for its operator family (the evaluator wraps it in
    :class:`~cdk_partition.policy.evaluator.UndecidableError`, naming the condition)."""

    def __init__(self, reason: str, value: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


@lru_cache(maxsize=4096)
def glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """``*`` / ``?`` wildcard pattern as a whole-string regex (string and ARN conditions; the
    evaluator matches actions with it too)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


# String: [OPS] "String condition operators": StringEquals "Exact matching, case sensitive",
# StringEqualsIgnoreCase "Exact matching, ignoring case", StringLike "Case-sensitive matching. The
# values can include multi-character match wildcards (*) and single-character match wildcards (?)
# anywhere in the string". Policy variables are "Supported" by AWS; this evaluator does not
# resolve them (see :mod:`cdk_partition.policy.evaluator`), nor the CloudFormation
# placeholders: both compare as literal text, so a placeholder only equals itself.
def _string(value: Any) -> str:
    return as_text(value)


# Numeric: [OPS] "Numeric condition operators let you construct Condition elements that restrict
# access based on comparing a key to an integer or decimal value." ... "Policy variables - Not
# supported", "Wildcards - Not supported". Accepted: JSON numbers and strings of the form
# [+-]digits[.digits]; anything else (exponents, "NaN", placeholders) is undecidable.
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Unparsable("a boolean is not an integer or decimal value")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return Decimal(value)
    raise Unparsable("not an integer or decimal value")


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
        raise Unparsable("a boolean is not a date")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise Unparsable("a datetime without a time zone")
        seconds = calendar.timegm(value.utctimetuple())
        return Decimal(seconds) + Decimal(value.microsecond) / 1_000_000
    if isinstance(value, str) and _EPOCH.fullmatch(value):
        if re.fullmatch(r"[0-9]{4}", value):
            raise Unparsable("four digits: a W3C year or epoch seconds, ambiguous")
        return Decimal(int(value))
    match = _W3C.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise Unparsable("not a W3C ISO 8601 date/time or epoch (UNIX) seconds")
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
        raise Unparsable(f"not a valid date/time ({error})") from None
    offset = 0
    if zone not in (None, "Z"):
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 23 or zone_minutes > 59:
            raise Unparsable("not a valid time zone offset")
        offset = (1 if zone[0] == "+" else -1) * (zone_hours * 3600 + zone_minutes * 60)
    epoch = Decimal(calendar.timegm(moment.timetuple()) - offset)
    return epoch + (Decimal("0." + fraction) if fraction else 0)


# Bool: [OPS] "Boolean conditions let you construct Condition elements that restrict access based
# on comparing a key to true or false." Compared case-insensitively, as JSON booleans or strings;
# any other value (a placeholder or policy variable included) is undecidable.
def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise Unparsable("not true or false")


# Binary: [OPS] "The BinaryEquals condition operator lets you construct Condition elements that
# test key values that are in binary format. It compares the value of the specified key byte for
# byte against a base-64 encoded representation of the binary value in the policy." Policy
# values are decoded; a request value is raw bytes or, as in AWS's own evaluation table, its
# base64 text. Only canonical base64 is accepted, so comparing the decoded bytes and comparing
# the base64 strings always agree.
def _base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise Unparsable("not a base-64 string")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Unparsable("not valid base-64") from None
    if base64.b64encode(decoded).decode("ascii") != value:
        raise Unparsable("not canonical base-64")
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
        raise Unparsable("not an IPv4 or IPv6 address or CIDR range")
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise Unparsable("not an IPv4 or IPv6 address or CIDR range") from None


def _address(value: Any) -> IpAddressValue:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f.:]+", value):
        raise Unparsable("not an IPv4 or IPv6 address")
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise Unparsable("not an IPv4 or IPv6 address") from None


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
_Arn = tuple[str, tuple[str, ...] | None]


@lru_cache(maxsize=8192)  # the same ARNs and patterns come back for every request of a report
def _arn_segments(text: str) -> tuple[str, ...] | None:
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
    return tuple(parts) if len(parts) == 6 and parts[0] == "arn" else None


def _arn(value: Any) -> _Arn:
    text = as_text(value)
    segments = _arn_segments(text)
    if segments is None and "${" not in text:
        raise Unparsable("not an ARN (arn:partition:service:region:account:resource)")
    return text, segments


def arn_like(request: _Arn, pattern: _Arn) -> bool:
    """``ArnLike`` (and ``ArnEquals``): component by component, or as text when hidden."""
    (text, segments), (pattern_text, pattern_segments) = request, pattern
    if segments is not None and pattern_segments is not None:
        return all(
            glob(p, False).fullmatch(s) for p, s in zip(pattern_segments, segments, strict=True)
        )
    if text == pattern_text:
        return True
    if not re.search(r"[*?]", SUB_VARIABLE.sub("", pattern_text)):
        return False  # no wildcard: distinct texts, as distinct placeholders are distinct values
    hidden = text if segments is None else pattern_text
    raise Unparsable("a wildcard ARN pattern against an ARN hidden in a placeholder", hidden)


@dataclass(frozen=True)
class Family:
    """How one family of operators parses policy values and request values."""

    policy: Callable[[Any], Any]
    request: Callable[[Any], Any]


STRING = Family(_string, _string)
NUMERIC = Family(_number, _number)
DATE = Family(_instant, _instant)
BOOL = Family(boolean, boolean)
BINARY = Family(_base64, _binary_request)
IP = Family(_network, _address)
ARN = Family(_arn, _arn)


def glob_match(request: str, pattern: str) -> bool:
    """``StringLike``: the request value matches the policy pattern, case-sensitively."""
    return bool(glob(pattern, False).fullmatch(request))


def in_network(request: IpAddressValue, network: IpNetwork) -> bool:
    """``IpAddress``: the request address lies in the policy range (of its own family)."""
    return request in network

"""Every IAM condition operator of the evaluator, with its ``IfExists`` and set-qualified forms.

Expectations come from AWS's IAM User Guide ("IAM JSON policy elements: Condition operators",
"Single-valued vs. multivalued context keys", "Conditions with multiple context keys or values"),
quoted in ``cdk_partition/policy/evaluator.py``; rows taken from AWS's own evaluation tables say so.
"""

from __future__ import annotations

import base64
import fnmatch
import ipaddress
import pickle
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cdk_partition.policy import evaluator
from cdk_partition.policy.evaluator import Request, UndecidableError, evaluate

ACCOUNT = "${AWS::AccountId}"
APP = f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/app"
K = "test:Key"
ABSENT = object()


def holds(operator: str, values: Any, present: Any = ABSENT, key: str = K) -> bool:
    """Whether ``{operator: {key: values}}`` holds for a request whose ``key`` is ``present``."""
    context = {} if present is ABSENT else {key: present}
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": APP},
        "Action": "kms:Decrypt",
        "Condition": {operator: {key: values}},
    }
    request = Request("kms:Decrypt", APP, ACCOUNT, context=context)
    return evaluate({"Statement": [statement]}, request) == "allow"


# The negated operators, as AWS's operator tables list them ("Negated matching").
NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}

SNS = "arn:aws:sns:us-west-2:123456789012:TOPIC-ID"
SNS_OTHER = "arn:aws:sns:us-west-2:777788889999:TOPIC-ID"
BINARY = "QmluYXJ5VmFsdWVJbkJhc2U2NA=="  # AWS's BinaryEquals example, b"BinaryValueInBase64"

# (operator, policy value, a request value its positive form matches, one it does not)
EXAMPLES: list[tuple[str, Any, Any, Any]] = [
    ("StringEquals", "abc", "abc", "ABC"),
    ("StringNotEquals", "abc", "abc", "ABC"),
    ("StringEqualsIgnoreCase", "abc", "AbC", "abd"),
    ("StringNotEqualsIgnoreCase", "abc", "AbC", "abd"),
    ("StringLike", "a*c?", "abbcd", "abbc"),
    ("StringNotLike", "a*c?", "abbcd", "abbc"),
    ("NumericEquals", "10", "10.0", "11"),
    ("NumericNotEquals", "10", "10", "9"),
    ("NumericLessThan", "10", "9.99", "10"),
    ("NumericLessThanEquals", "10", "10", "10.01"),
    ("NumericGreaterThan", "10", "10.01", "10"),
    ("NumericGreaterThanEquals", "10", "10", "9"),
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00+01:00", "2020-01-01T00:00:01Z"),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "1577836800", "2020-01-01T00:00:01Z"),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", "1577836800"),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "1577836800", "2020-01-01T00:00:00.001Z"),
    ("DateGreaterThan", "2020-01-01", "2020-01-01T00:00:00.5Z", "2020-01-01T00:00:00Z"),
    ("DateGreaterThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00Z", "1577836799"),
    ("Bool", "true", "TRUE", "false"),
    ("BinaryEquals", BINARY, BINARY, "ASIAIOSFODNN7EXAMPLE"),
    ("IpAddress", "203.0.113.0/24", "203.0.113.1", "198.51.100.1"),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", "198.51.100.1"),
    ("ArnEquals", SNS, SNS, SNS_OTHER),
    ("ArnLike", "arn:aws:sns:*:123456789012:*", SNS, SNS_OTHER),
    ("ArnNotEquals", SNS, SNS, SNS_OTHER),
    ("ArnNotLike", "arn:aws:sns:*:123456789012:*", SNS, SNS_OTHER),
]


def _generated_cases() -> list[tuple[str, Any, Any, bool]]:
    """Match, non-match, key absent, IfExists and both set qualifiers for every operator."""
    cases: list[tuple[str, Any, Any, bool]] = []
    for op, value, hit, miss in EXAMPLES:
        negated = op in NEGATED
        cases += [
            (op, value, hit, not negated),
            (op, value, miss, negated),
            (op, [miss, value], hit, not negated),  # policy values are ORed (NORed if negated)
            (op, value, ABSENT, negated),
            (f"{op}IfExists", value, ABSENT, True),
            (f"{op}IfExists", value, hit, not negated),
            (f"{op}IfExists", value, miss, negated),
            (f"ForAnyValue:{op}", value, [hit], not negated),
            (f"ForAnyValue:{op}", value, [miss], negated),
            (f"ForAnyValue:{op}", value, [hit, miss], True),
            (f"ForAnyValue:{op}", value, ABSENT, False),
            (f"ForAnyValue:{op}", value, [], False),
            (f"ForAnyValue:{op}IfExists", value, ABSENT, True),
            (f"ForAllValues:{op}", value, [hit], not negated),
            (f"ForAllValues:{op}", value, [miss], negated),
            (f"ForAllValues:{op}", value, [hit, miss], False),
            (f"ForAllValues:{op}", value, ABSENT, True),
            (f"ForAllValues:{op}", value, [], True),
            (f"ForAllValues:{op}IfExists", value, [miss], negated),
        ]
    return cases


@pytest.mark.parametrize(("operator", "values", "present", "expected"), _generated_cases())
def test_every_operator_in_every_form(
    operator: str, values: Any, present: Any, expected: bool
) -> None:
    assert holds(operator, values, present) is expected


def test_examples_cover_every_operator() -> None:
    assert {op for op, *_ in EXAMPLES} == set(evaluator._BASES)
    assert NEGATED <= set(evaluator._BASES)


# ----------------------------------------------------------------------------- per family


@pytest.mark.parametrize(
    ("operator", "values", "present", "expected"),
    [
        # string: case, wildcards, several policy values
        ("StringEquals", "a*", "abc", False),  # no wildcards in StringEquals
        ("StringLike", "a*", "abc", True),
        ("StringLike", "a?c", "abbc", False),
        ("StringLike", "", "", True),
        ("StringNotEquals", ["a", "b"], "c", True),  # NOR over the policy values
        ("StringNotEquals", ["a", "b"], "b", False),
        # numeric: exact decimals, signs, JSON numbers
        ("NumericEquals", "1.5", "1.50", True),
        ("NumericEquals", 10, 10, True),
        ("NumericEquals", "0.1", 0.1, True),
        ("NumericLessThan", "-1", "-1.5", True),
        ("NumericLessThanEquals", "10", 11, False),  # AWS's s3:max-keys example
        ("NumericGreaterThan", "10", "100000000000000000000001", True),
        ("NumericNotEquals", ["1", "2"], "3", True),
        ("NumericNotEquals", ["1", "2"], "2", False),
        # date: W3C ISO 8601 precisions, offsets, epoch seconds
        ("DateEquals", "2020-01-01", "2020-01-01T00:00:00Z", True),
        ("DateEquals", "2020-01", "2020-01-01T00:00:00Z", True),
        ("DateEquals", "2020-01-01T00:00Z", "1577836800", True),
        ("DateEquals", "2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00Z", True),
        ("DateEquals", "2019-12-31T19:00:00-05:00", "2020-01-01T00:00:00Z", True),
        ("DateEquals", "1577836800", 1577836800, True),
        ("DateEquals", "2020-01-01T00:00:00Z", datetime(2020, 1, 1, tzinfo=UTC), True),
        ("DateGreaterThan", "2020-01-01T00:00:01Z", "2020-01-01T00:00:01.0000001Z", True),
        ("DateGreaterThan", "2020-01-01T00:00:01Z", "2020-01-01T00:00:01.0000000Z", False),
        ("DateLessThan", "2020-06-30T23:59:59Z", "2020-04-01T00:00:00Z", True),
        # bool
        ("Bool", True, "true", True),
        ("Bool", "False", False, True),
        ("Bool", ["true", "false"], "false", True),
        # binary: base64 text or raw bytes in the request
        ("BinaryEquals", BINARY, b"BinaryValueInBase64", True),
        ("BinaryEquals", BINARY, bytearray(b"BinaryValueInBase64"), True),
        ("BinaryEquals", BINARY, b"other", False),
        ("BinaryEquals", "", "", True),
        # IP: AWS's examples, bare addresses, IPv6, families
        ("IpAddress", "203.0.113.5", "203.0.113.5", True),  # no prefix: /32
        ("IpAddress", "203.0.113.5", "203.0.113.6", False),
        ("IpAddress", "203.0.113.5/24", "203.0.113.200", True),  # host bits below the prefix
        ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678:abcd::1", True),
        ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", False),
        ("IpAddress", "2001:db8::1", "2001:db8::1", True),  # no prefix: /128
        ("IpAddress", "2001:db8::1", "2001:db8::2", False),
        ("IpAddress", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::9", True),
        ("IpAddress", "0.0.0.0/0", "2001:db8::1", False),  # another family never matches
        ("IpAddress", "::/0", "203.0.113.1", False),
        ("NotIpAddress", "0.0.0.0/0", "2001:db8::1", True),
        ("NotIpAddress", ["10.0.0.0/8", "192.168.0.0/16"], "192.168.1.1", False),  # NOR
        ("NotIpAddress", ["10.0.0.0/8", "192.168.0.0/16"], "172.16.0.1", True),
        ("IpAddress", "203.0.113.0/24", ipaddress.ip_address("203.0.113.9"), True),
    ],
)
def test_family_examples(operator: str, values: Any, present: Any, expected: bool) -> None:
    assert holds(operator, values, present) is expected


# AWS's own ARN example: "With a StringLike condition, the match succeeds. [...] With an ArnLike
# condition, which matches elements between colons, the match fails."
AWS_PATTERN = "arn:aws:someservice:*:111122223333:finance/*"
AWS_VALUE = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
LOG_GROUP = f"arn:${{AWS::Partition}}:logs:eu-west-1:{ACCOUNT}:log-group:/app/a"


@pytest.mark.parametrize(
    ("operator", "values", "present", "expected"),
    [
        ("StringLike", AWS_PATTERN, AWS_VALUE, True),
        ("ArnLike", AWS_PATTERN, AWS_VALUE, False),
        ("ArnEquals", AWS_PATTERN, AWS_VALUE, False),
        ("ArnNotLike", AWS_PATTERN, AWS_VALUE, True),
        ("ArnLike", AWS_PATTERN, "arn:aws:someservice:us-east-2:111122223333:finance/x", True),
        # the resource component runs to the end, colons included
        (
            "ArnLike",
            "arn:aws:logs:*:*:log-group:*",
            "arn:aws:logs:r:1:log-group:/a:log-stream:x",
            True,
        ),
        ("ArnLike", "arn:aws:logs:*:*:*", "arn:aws:logs:r:1:log-group:/a", True),
        # "?" is one character of one component; matching is case-sensitive
        ("ArnLike", "arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-1", True),
        ("ArnLike", "arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-12", False),
        ("ArnEquals", "arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", False),
        # ArnEquals takes wildcards exactly like ArnLike ("behave identically")
        ("ArnEquals", "arn:aws:s3:::*", "arn:aws:s3:::bucket/key", True),
        # an empty component is matched only by an empty or a * component
        ("ArnLike", "arn:aws:s3:?::*", "arn:aws:s3:::b", False),
        ("ArnLike", "arn:aws:s3:*::*", "arn:aws:s3:::b", True),
        # placeholders with colons inside stay within their component
        ("ArnLike", f"arn:${{AWS::Partition}}:logs:*:{ACCOUNT}:*", LOG_GROUP, True),
        ("ArnLike", "arn:*:logs:*:111111111111:*", LOG_GROUP, False),
        # a placeholder hiding a whole ARN equals only itself
        ("ArnEquals", "${Role.Arn}", "${Role.Arn}", True),
        ("ArnEquals", "${Role.Arn}", "${Other.Arn}", False),
        ("ArnNotEquals", ["${Role.Arn}", APP], "${Role.Arn}", False),
        ("ArnNotEquals", ["${Role.Arn}"], APP, True),
        ("ArnEquals", APP, "${Role.Arn}", False),
    ],
)
def test_arn_components_are_matched_separately(
    operator: str, values: Any, present: Any, expected: bool
) -> None:
    assert holds(operator, values, present) is expected


@pytest.mark.parametrize(
    ("values", "present", "expected"),
    [
        ("true", ABSENT, True),
        ("false", ABSENT, False),
        ("true", "x", False),
        ("false", "x", True),
        ("true", "", True),  # an empty value is null
        ("false", "", False),
        ("true", [], True),
        ("false", [], False),
        ("false", ["a"], True),
        ("true", None, True),
        ("TRUE", ABSENT, True),
        (True, ABSENT, True),
        (["true", "false"], "x", True),
    ],
)
def test_null(values: Any, present: Any, expected: bool) -> None:
    assert holds("Null", values, present) is expected


@pytest.mark.parametrize(
    ("operator", "present", "expected"),
    [
        # a present empty string is a null data set for the set qualifiers
        ("ForAllValues:StringEquals", "", True),
        ("ForAnyValue:StringEquals", "", False),
        ("ForAnyValue:StringNotEquals", "", False),
        ("ForAllValues:StringNotEquals", [], True),
        # None is the key absent
        ("StringEquals", None, False),
        ("StringNotEquals", None, True),
        ("StringEqualsIfExists", None, True),
        # a present empty value is compared like any other without a set qualifier
        ("StringEquals", "", False),
        ("StringNotEquals", "", True),
        ("StringEquals", [], False),
        ("StringNotEquals", [], True),
        ("StringEqualsIfExists", [], False),
    ],
)
def test_empty_values(operator: str, present: Any, expected: bool) -> None:
    assert holds(operator, "a", present) is expected


def test_forallvalues_with_null_guard_follows_awss_table() -> None:
    # [MULTI] "ForAllValues set operator" example and its evaluation table
    condition = {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]},
        "Null": {"aws:TagKeys": "false"},
    }
    statement = {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": condition}
    rows = [
        (["environment"], True),
        (["cost-center"], True),
        (["environment", "cost-center"], True),
        (["environment", "dept"], False),
        (ABSENT, False),
    ]
    for tags, match in rows:
        context = {} if tags is ABSENT else {"aws:TagKeys": tags}
        decision = evaluate(
            {"Statement": [statement]}, Request("kms:Decrypt", APP, context=context)
        )
        assert (decision == "allow") is match, tags


def test_a_not_ip_address_deny_no_longer_crashes_and_applies_without_a_source_ip() -> None:
    statements = [
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:*"},
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}},
        },
    ]
    request = Request("kms:Decrypt", APP, ACCOUNT)
    assert evaluate({"Statement": statements}, request) == "explicit_deny"  # key absent: true
    inside = Request("kms:Decrypt", APP, ACCOUNT, context={"aws:SourceIp": "10.1.2.3"})
    assert evaluate({"Statement": statements}, inside) == "allow"
    outside = Request("kms:Decrypt", APP, ACCOUNT, context={"aws:SourceIp": "192.0.2.1"})
    assert evaluate({"Statement": statements}, outside) == "explicit_deny"


# ----------------------------------------------------------------------------- undecidable


@pytest.mark.parametrize(
    ("operator", "values", "present", "offending"),
    [
        # unknown operators and forms
        ("NumericEqualz", "1", "1", "1"),
        ("numericequals", "1", "1", "1"),
        ("ForSome:NumericEquals", "1", "1", "1"),
        ("NullIfExists", "true", ABSENT, "true"),
        ("ForAnyValue:Null", "true", ABSENT, "true"),
        ("ForAllValues:Null", "true", ABSENT, "true"),
        ("IfExists", "1", "1", "1"),
        # policy values that do not parse: raised even when the key is absent
        ("NumericLessThan", "ten", ABSENT, "ten"),
        ("NumericLessThan", "${Limit}", ABSENT, "${Limit}"),
        ("NumericLessThan", "1e3", ABSENT, "1e3"),
        ("NumericLessThan", " 1", ABSENT, " 1"),
        ("NumericLessThan", "NaN", ABSENT, "NaN"),
        ("NumericLessThan", "\u0661", ABSENT, "\u0661"),  # ARABIC-INDIC DIGIT ONE
        ("NumericLessThan", True, ABSENT, True),
        ("NumericEqualsIfExists", ["1", "x"], ABSENT, "x"),
        ("DateLessThan", "${Expiry}", ABSENT, "${Expiry}"),
        ("DateLessThan", "2020", ABSENT, "2020"),  # a year or epoch seconds?
        ("DateLessThan", "2020-01-01T00:00:00", ABSENT, "2020-01-01T00:00:00"),  # no zone
        ("DateLessThan", "2020-13-01", ABSENT, "2020-13-01"),
        ("DateLessThan", "2020-02-30T00:00:00Z", ABSENT, "2020-02-30T00:00:00Z"),
        ("DateLessThan", "2020-01-01T00:00:00+24:00", ABSENT, "2020-01-01T00:00:00+24:00"),
        ("DateLessThan", "01/02/2020", ABSENT, "01/02/2020"),
        ("DateLessThan", "2020-01-01t00:00:00z", ABSENT, "2020-01-01t00:00:00z"),
        ("IpAddress", "203.0.113.0/33", ABSENT, "203.0.113.0/33"),
        ("IpAddress", "10.0.0.0/255.0.0.0", ABSENT, "10.0.0.0/255.0.0.0"),
        ("NotIpAddress", "not-an-ip", ABSENT, "not-an-ip"),
        ("NotIpAddress", "${Cidr}", ABSENT, "${Cidr}"),
        ("IpAddress", "", ABSENT, ""),
        ("Bool", "yes", ABSENT, "yes"),
        ("Bool", "${Flag}", ABSENT, "${Flag}"),
        ("Null", "maybe", ABSENT, "maybe"),
        ("BinaryEquals", "not base64!", ABSENT, "not base64!"),
        ("BinaryEquals", "QQ", ABSENT, "QQ"),  # padding missing
        ("BinaryEquals", "QR==", ABSENT, "QR=="),  # not canonical
        ("ArnLike", "arn:*", ABSENT, "arn:*"),
        ("ArnNotEquals", "*", ABSENT, "*"),
        ("ArnEquals", "aws:s3:::b:c:d", ABSENT, "aws:s3:::b:c:d"),
        ("StringEquals", [], ABSENT, []),
        # request values that do not parse
        ("NumericLessThan", "10", "ten", "ten"),
        ("NumericNotEquals", "10", "${Count}", "${Count}"),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", datetime(2020, 1, 1), datetime(2020, 1, 1)),
        ("IpAddress", "10.0.0.0/8", "10.0.0.0/8", "10.0.0.0/8"),  # a range is not an address
        ("IpAddress", "10.0.0.0/8", "${SourceIp}", "${SourceIp}"),
        ("ForAnyValue:IpAddress", "10.0.0.0/8", ["10.0.0.1", "x"], "x"),
        ("Bool", "true", "maybe", "maybe"),
        ("BinaryEquals", BINARY, "%%%", "%%%"),
        ("ArnEquals", SNS, "abc", "abc"),
        # a wildcard ARN pattern against an ARN hidden in a placeholder
        ("ArnLike", "arn:aws:iam::*:role/*", "${Role.Arn}", "${Role.Arn}"),
        ("ArnNotLike", "${Bucket.Arn}/*", "arn:aws:s3:::b/k", "${Bucket.Arn}/*"),
    ],
)
def test_undecidable_raises_naming_operator_key_and_value(
    operator: str, values: Any, present: Any, offending: Any
) -> None:
    with pytest.raises(UndecidableError) as raised:
        holds(operator, values, present)
    error = raised.value
    assert isinstance(error, ValueError)
    assert (error.operator, error.key, error.value) == (operator, K, offending)
    assert operator in str(error) and K in str(error) and repr(offending) in str(error)


def test_undecidable_raises_even_when_the_principal_does_not_match() -> None:
    statement = {
        "Effect": "Deny",
        "Principal": {"AWS": "arn:aws:iam::111111111111:role/other"},
        "Action": "kms:*",
        "Condition": {"NumericLessThan": {"kms:Foo": "${Foo.Arn}"}},
    }
    with pytest.raises(UndecidableError, match=r"NumericLessThan.*kms:Foo.*\$\{Foo\.Arn\}"):
        evaluate({"Statement": [statement]}, Request("kms:Decrypt", APP, ACCOUNT))


def test_an_operator_without_a_key_map_is_undecidable() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"Bool": "x"}}
    with pytest.raises(UndecidableError, match="Bool") as raised:
        evaluate({"Statement": [statement]}, Request("kms:Decrypt", APP, ACCOUNT))
    assert raised.value.key is None


def test_undecidable_error_is_exported_and_picklable() -> None:
    assert "UndecidableError" in evaluator.__all__
    error = UndecidableError("NumericLessThan", "kms:Foo", "${Foo.Arn}", "not a number")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.operator, copy.key, copy.value, copy.reason, str(copy)) == (
        error.operator,
        error.key,
        error.value,
        error.reason,
        str(error),
    )


# ----------------------------------------------------------------------------- properties

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

words = st.text(alphabet="abcXYZ019-_/.*?", max_size=6)
plain = st.text(alphabet="abcXYZ019-_/.", max_size=6)
decimals = st.decimals(
    allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000
)
numbers = st.one_of(st.integers(-(10**20), 10**20).map(str), decimals.map(lambda d: format(d, "f")))
zones = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
)


def w3c(moment: datetime) -> str:
    """``moment`` in the W3C profile of ISO 8601, with its own offset."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return text + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


ipv4 = st.ip_addresses(v=4)
ipv6 = st.ip_addresses(v=6)
networks = st.one_of(
    st.tuples(ipv4, st.integers(0, 32)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.tuples(ipv6, st.integers(0, 128)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.one_of(ipv4, ipv6).map(str),
)
segment = st.text(alphabet="abc019-_/.", max_size=4)
arns = st.builds(
    lambda p, s, r, a, res: f"arn:{p}:{s}:{r}:{a}:{res}",
    segment,
    segment,
    segment,
    segment,
    st.text(alphabet="abc019-_/.:", max_size=8),
)


def arn_pattern(draw: st.DrawFn, value: str) -> str:
    """An ARN pattern: ``value`` with some components replaced by wildcards or other text."""
    parts = value.split(":", 5)
    for index in range(1, 6):
        parts[index] = draw(st.sampled_from([parts[index], "*", "?", f"{parts[index]}*", "a*c"]))
    return ":".join(parts)


@st.composite
def operator_cases(draw: st.DrawFn) -> tuple[str, str, list[Any], list[Any]]:
    """(positive operator, negated twin, policy values, request values of the same family)."""
    family = draw(st.sampled_from(["string", "numeric", "date", "ip", "arn"]))
    if family == "string":
        positive, negated = draw(
            st.sampled_from(
                [
                    ("StringEquals", "StringNotEquals"),
                    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
                    ("StringLike", "StringNotLike"),
                ]
            )
        )
        values = draw(st.lists(words, min_size=1, max_size=3))
        requests = st.sampled_from(values) | plain
    elif family == "numeric":
        positive, negated = "NumericEquals", "NumericNotEquals"
        values = draw(st.lists(numbers, min_size=1, max_size=3))
        requests = st.sampled_from(values) | numbers
    elif family == "date":
        positive, negated = "DateEquals", "DateNotEquals"
        values = [w3c(m) for m in draw(st.lists(moments, min_size=1, max_size=3))]
        requests = st.sampled_from(values) | moments.map(w3c)
    elif family == "ip":
        positive, negated = "IpAddress", "NotIpAddress"
        values = draw(st.lists(networks, min_size=1, max_size=3))
        inside = st.sampled_from(values).map(
            lambda n: str(ipaddress.ip_network(n, strict=False).network_address)
        )
        requests = inside | st.one_of(ipv4, ipv6).map(str)
    else:
        positive, negated = draw(
            st.sampled_from([("ArnLike", "ArnNotLike"), ("ArnEquals", "ArnNotEquals")])
        )
        value = draw(arns)
        values = [arn_pattern(draw, value) for _ in range(draw(st.integers(1, 3)))]
        requests = st.sampled_from([value, *values]) | arns
    return positive, negated, values, draw(st.lists(requests, min_size=1, max_size=4))


@PROPS
@given(operator_cases())
def test_property_negated_operator_is_the_complement_on_a_present_value(
    case: tuple[str, str, list[Any], list[Any]],
) -> None:
    positive, negated, values, (present, *_) = case
    assert holds(positive, values, present) is not holds(negated, values, present)


@PROPS
@given(operator_cases(), st.booleans())
def test_property_if_exists_is_the_base_operator_on_a_present_value_and_true_on_an_absent_one(
    case: tuple[str, str, list[Any], list[Any]], use_negated: bool
) -> None:
    positive, negated, values, (present, *_) = case
    op = negated if use_negated else positive
    assert holds(f"{op}IfExists", values, present) is holds(op, values, present)
    assert holds(f"{op}IfExists", values) is True
    assert holds(op, values) is use_negated  # absent: negated true, positive false


@PROPS
@given(operator_cases(), st.booleans())
def test_property_set_qualifiers_quantify_over_the_request_values(
    case: tuple[str, str, list[Any], list[Any]], use_negated: bool
) -> None:
    positive, negated, values, presents = case
    op = negated if use_negated else positive
    each = [holds(op, values, v) for v in presents]
    assert holds(f"ForAllValues:{op}", values, presents) is all(each)
    assert holds(f"ForAnyValue:{op}", values, presents) is any(each)
    assert holds(f"ForAllValues:{op}", values) is True
    assert holds(f"ForAnyValue:{op}", values) is False


COMPARISONS = {
    "NumericEquals": lambda r, p: r == p,
    "NumericNotEquals": lambda r, p: r != p,
    "NumericLessThan": lambda r, p: r < p,
    "NumericLessThanEquals": lambda r, p: r <= p,
    "NumericGreaterThan": lambda r, p: r > p,
    "NumericGreaterThanEquals": lambda r, p: r >= p,
}


@PROPS
@given(numbers, numbers)
def test_property_numeric_operators_are_decimal_comparisons(
    request_value: str, policy: str
) -> None:
    for op, compare in COMPARISONS.items():
        expected = compare(Decimal(request_value), Decimal(policy))
        assert holds(op, policy, request_value) is expected, op


@PROPS
@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12))
def test_property_date_operators_on_epoch_seconds_are_integer_comparisons(
    request_value: int, policy: int
) -> None:
    assume(not re.fullmatch(r"[0-9]{4}", str(policy)))
    for op, compare in COMPARISONS.items():
        date_op = op.replace("Numeric", "Date")
        assert holds(date_op, str(policy), request_value) is compare(request_value, policy), op


@PROPS
@given(moments, moments)
def test_property_date_operators_compare_instants_whatever_the_offset(
    request_moment: datetime, policy_moment: datetime
) -> None:
    r, p = request_moment.astimezone(UTC), policy_moment.astimezone(UTC)
    assert holds("DateLessThan", w3c(policy_moment), w3c(request_moment)) is (r < p)
    assert holds("DateEquals", w3c(policy_moment), w3c(request_moment)) is (r == p)
    assert holds("DateGreaterThanEquals", w3c(policy_moment), request_moment) is (r >= p)
    epoch = int(policy_moment.timestamp())
    assume(len(str(epoch)) != 4)
    whole_second = datetime.fromtimestamp(epoch, UTC)
    assert holds("DateLessThanEquals", str(epoch), w3c(request_moment)) is (r <= whole_second)


@PROPS
@given(networks, st.one_of(ipv4, ipv6), st.data())
def test_property_ip_address_agrees_with_ipaddress(
    network: str, address: Any, data: st.DataObject
) -> None:
    net = ipaddress.ip_network(network, strict=False)
    if data.draw(st.booleans()) and net.num_addresses > 1:  # often pick an address inside
        address = net.network_address + data.draw(st.integers(0, net.num_addresses - 1))
    assert holds("IpAddress", network, str(address)) is (address in net)
    assert holds("NotIpAddress", network, str(address)) is (address not in net)


@PROPS
@given(arns, st.data())
def test_property_arn_like_matches_component_by_component(value: str, data: st.DataObject) -> None:
    pattern = arn_pattern(data.draw, data.draw(st.sampled_from([value]) | arns))
    expected = all(
        fnmatch.fnmatchcase(v, p)
        for p, v in zip(pattern.split(":", 5), value.split(":", 5), strict=True)
    )
    assert holds("ArnLike", pattern, value) is expected
    assert holds("ArnEquals", pattern, value) is expected  # "behave identically"
    assert holds("ArnNotLike", pattern, value) is not expected
    if expected:  # a per-component match is a whole-string match, never the reverse
        assert holds("StringLike", pattern, value)


@PROPS
@given(st.binary(max_size=24), st.binary(max_size=24))
def test_property_binary_equals_compares_the_decoded_bytes(policy: bytes, request: bytes) -> None:
    encoded = base64.b64encode(policy).decode()
    assert holds("BinaryEquals", encoded, request) is (policy == request)
    assert holds("BinaryEquals", encoded, base64.b64encode(request).decode()) is (policy == request)


@PROPS
@given(st.text(max_size=8))
def test_property_non_numbers_are_undecidable(text: str) -> None:
    assume(not re.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]+)?", text))
    with pytest.raises(UndecidableError, match="NumericLessThan"):
        holds("NumericLessThan", text)
    with pytest.raises(UndecidableError, match="NumericLessThan"):
        holds("NumericLessThan", "1", text)

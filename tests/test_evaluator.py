"""Tests of the offline KMS key policy evaluator: operators, principals, a realistic
least-privilege key policy, canonicalize, and properties checked with hypothesis."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdk_partition.policy.evaluator import (
    Request,
    UndecidableError,
    allowed_actions,
    canonicalize,
    effective_context,
    evaluate,
)

ACCOUNT = "${AWS::AccountId}"
FOREIGN = "999999999999"
ROOT = f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:root"


def role(name: str, account: str = ACCOUNT) -> str:
    return f"arn:${{AWS::Partition}}:iam::{account}:role/{name}"


CI = f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:user/ci"
APP_A = role("appA")
PERSON1 = role("person1")
DEPLOY = role("cdk-hnb659fds-deploy-role")
UNNAMED = role("unnamed")
LOGS = "logs.eu-west-1.amazonaws.com"
LOG_GROUP_ARN = f"arn:${{AWS::Partition}}:logs:eu-west-1:{ACCOUNT}:log-group:/app/a"

READ = ["kms:Decrypt", "kms:DescribeKey"]
WRITE = ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"]
ADMIN = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*"]
PROBES = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:DescribeKey",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:CreateGrant",
]


def allow(principal: Any, actions: Any, condition: dict | None = None, **extra: Any) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*"}
    return {**statement, **({"Condition": condition} if condition else {}), **extra}


def deny(principal: Any, actions: Any, condition: dict | None = None, **extra: Any) -> dict:
    return {**allow(principal, actions, condition, **extra), "Effect": "Deny"}


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def deny_everyone_else(named: list[str]) -> dict:
    return deny(
        {"AWS": "*"},
        "kms:*",
        {
            "ArnNotEquals": {"aws:PrincipalArn": named},
            "Bool": {"aws:PrincipalIsAWSService": "false"},
        },
        Sid="DenyEveryoneElse",
    )


def as_ref_join(arn: str) -> dict:
    """A raw CloudFormation Fn::Join that canonicalizes to ``arn`` (placeholders to Refs)."""
    parts: list[Any] = []
    for chunk in arn.replace("${", "\0${").split("\0"):
        if chunk.startswith("${"):
            ref, _, rest = chunk[2:].partition("}")
            parts += [{"Ref": ref}, rest]
        else:
            parts.append(chunk)
    return {"Fn::Join": ["", [p for p in parts if p != ""]]}


# The realistic least-privilege key policy, raw as a synthesized template carries it.
KEY_POLICY = policy(
    allow({"AWS": as_ref_join(CI)}, ADMIN, Sid="Administer"),
    allow({"AWS": [as_ref_join(APP_A)]}, READ, Sid="Read"),
    allow({"AWS": as_ref_join(APP_A)}, WRITE, Sid="Write"),
    deny_everyone_else([as_ref_join(a) for a in (CI, APP_A, PERSON1, DEPLOY)]),
    allow(
        {"Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}},
        ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": {
                    "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"
                }
            }
        },
        Sid="CloudWatchLogs",
    ),
)
LOGS_REGION = "logs.${AWS::Region}.amazonaws.com"
LOG_CONTEXT = {
    "kms:EncryptionContext:aws:logs:arn": (
        f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:{ACCOUNT}:log-group:/app/a"
    )
}


def caller(arn: str, account: str = ACCOUNT, **kw: Any) -> Request:
    return Request(action="kms:Decrypt", principal_arn=arn, account=account, **kw)


# ----------------------------------------------------------------------------- key policy


def test_app_role_reads_and_writes_but_does_not_administer() -> None:
    granted = allowed_actions(KEY_POLICY, caller(APP_A), PROBES)
    assert {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"} <= granted
    assert "kms:PutKeyPolicy" not in granted
    assert "kms:ScheduleKeyDeletion" not in granted
    assert evaluate(KEY_POLICY, replace(caller(APP_A), action="kms:PutKeyPolicy")) == (
        "implicit_deny"
    )


def test_ci_administers_but_cannot_read() -> None:
    granted = allowed_actions(KEY_POLICY, caller(CI), PROBES)
    assert "kms:PutKeyPolicy" in granted
    assert "kms:Decrypt" not in granted
    assert "kms:Encrypt" not in granted


def test_unnamed_role_of_the_account_gets_nothing_even_with_identity_policy() -> None:
    request = caller(UNNAMED, identity_allows=True)
    assert allowed_actions(KEY_POLICY, request, PROBES) == frozenset()
    assert evaluate(KEY_POLICY, request) == "explicit_deny"


def test_named_but_unallowed_person_is_not_denied_but_not_allowed_either() -> None:
    assert evaluate(KEY_POLICY, caller(PERSON1, identity_allows=True)) == "implicit_deny"


def test_foreign_account_principal_gets_nothing() -> None:
    request = caller(role("appA", FOREIGN), FOREIGN, identity_allows=True)
    assert allowed_actions(KEY_POLICY, request, PROBES) == frozenset()
    assert evaluate(KEY_POLICY, request) == "explicit_deny"


def test_logs_service_needs_its_encryption_context() -> None:
    with_context = Request(action="kms:Encrypt", service=LOGS_REGION, context=LOG_CONTEXT)
    assert evaluate(KEY_POLICY, with_context) == "allow"
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"} <= allowed_actions(
        KEY_POLICY, with_context, PROBES
    )
    assert "kms:PutKeyPolicy" not in allowed_actions(KEY_POLICY, with_context, PROBES)
    without = replace(with_context, context={})
    assert allowed_actions(KEY_POLICY, without, PROBES) == frozenset()
    other_account = replace(
        with_context,
        context={"kms:EncryptionContext:aws:logs:arn": LOG_GROUP_ARN.replace(ACCOUNT, FOREIGN)},
    )
    assert evaluate(KEY_POLICY, other_account) == "implicit_deny"


def test_deny_everyone_else_without_service_exemption_blocks_services() -> None:
    statements = [s for s in KEY_POLICY["Statement"] if s.get("Sid") != "DenyEveryoneElse"]
    strict = deny({"AWS": "*"}, "kms:*", {"ArnNotEquals": {"aws:PrincipalArn": [CI, APP_A]}})
    request = Request(action="kms:Encrypt", service=LOGS_REGION, context=LOG_CONTEXT)
    # ArnNotEquals on the absent aws:PrincipalArn is TRUE: the deny catches the service
    assert evaluate(policy(*statements, strict), request) == "explicit_deny"
    assert evaluate(policy(*statements), request) == "allow"


def test_grant_deny_with_plain_bool_does_not_apply_to_decrypt() -> None:
    grant_guard = deny("*", "kms:*", {"Bool": {"kms:GrantIsForAWSResource": "false"}})
    base = policy(allow({"AWS": APP_A}, "kms:*"), grant_guard)
    assert evaluate(base, caller(APP_A)) == "allow"  # key absent: plain Bool is false
    grant = replace(caller(APP_A), action="kms:CreateGrant")
    assert evaluate(base, replace(grant, context={"kms:GrantIsForAWSResource": False})) == (
        "explicit_deny"
    )
    assert evaluate(base, replace(grant, context={"kms:GrantIsForAWSResource": True})) == "allow"
    if_exists = policy(
        allow({"AWS": APP_A}, "kms:*"),
        deny("*", "kms:*", {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}}),
    )
    assert evaluate(if_exists, caller(APP_A)) == "explicit_deny"


def test_cdk_default_policy_delegates_to_the_account() -> None:
    default = policy(
        allow(
            {
                "AWS": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":iam::",
                            {"Ref": "AWS::AccountId"},
                            ":root",
                        ],
                    ]
                }
            },
            "kms:*",
        )
    )
    assert evaluate(default, caller(UNNAMED, identity_allows=True)) == "allow"
    assert evaluate(default, caller(UNNAMED, identity_allows=False)) == "implicit_deny"
    assert evaluate(default, caller(ROOT)) == "allow"  # the root itself needs no IAM policy
    assert evaluate(default, caller(role("x", FOREIGN), FOREIGN, identity_allows=True)) == (
        "implicit_deny"
    )
    by_id = policy(allow({"AWS": ACCOUNT}, "kms:*"))
    assert evaluate(by_id, caller(UNNAMED, identity_allows=True)) == "allow"
    assert evaluate(by_id, caller(UNNAMED)) == "implicit_deny"


def test_account_deny_applies_without_identity_policy() -> None:
    doc = policy(allow({"AWS": APP_A}, "kms:*"), deny({"AWS": ROOT}, "kms:Decrypt"))
    assert evaluate(doc, caller(APP_A)) == "explicit_deny"
    assert evaluate(doc, replace(caller(APP_A), action="kms:Encrypt")) == "allow"


# ----------------------------------------------------------------------------- principals


@pytest.mark.parametrize(
    ("principal", "request_", "expected"),
    [
        ("*", caller(UNNAMED), "allow"),
        ({"AWS": "*"}, Request("kms:Decrypt", service=LOGS), "allow"),
        ({"AWS": APP_A}, caller(APP_A), "allow"),
        ({"AWS": APP_A}, caller(APP_A.replace("appA", "appa")), "implicit_deny"),
        ({"AWS": [CI, APP_A]}, caller(APP_A), "allow"),
        ({"AWS": APP_A}, Request("kms:Decrypt", service=LOGS), "implicit_deny"),
        ({"Service": LOGS}, Request("kms:Decrypt", service=LOGS), "allow"),
        ({"Service": [LOGS]}, caller(APP_A), "implicit_deny"),
        ({"Federated": "cognito-identity.amazonaws.com"}, caller(APP_A), "implicit_deny"),
        ({"CanonicalUser": "abc"}, caller("abc"), "allow"),
        (
            {"AWS": "111111111111"},
            caller(role("r", "111111111111"), "111111111111"),
            "implicit_deny",
        ),
    ],
)
def test_principal_forms(principal: Any, request_: Request, expected: str) -> None:
    assert evaluate(policy(allow(principal, "kms:Decrypt")), request_) == expected


def test_not_principal_deny_spares_only_the_listed() -> None:
    doc = policy(
        allow("*", "kms:Decrypt"),
        {"Effect": "Deny", "NotPrincipal": {"AWS": [APP_A]}, "Action": "kms:*"},
    )
    assert evaluate(doc, caller(APP_A)) == "allow"
    assert evaluate(doc, caller(CI)) == "explicit_deny"
    assert evaluate(doc, Request("kms:Decrypt", service=LOGS)) == "explicit_deny"


# ----------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("pattern", "action", "hit"),
    [
        ("kms:*", "kms:Decrypt", True),
        ("*", "kms:Decrypt", True),
        ("KMS:decrypt", "kms:Decrypt", True),
        ("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", True),
        ("kms:GenerateDataKey*", "kms:Decrypt", False),
        ("kms:ReEncrypt?rom", "kms:ReEncryptFrom", True),
        ("kms:Decrypt", "kms:DecryptX", False),
        ("s3:*", "kms:Decrypt", False),
    ],
)
def test_action_patterns(pattern: str, action: str, hit: bool) -> None:
    doc = policy(allow({"AWS": APP_A}, [pattern]))
    assert (evaluate(doc, replace(caller(APP_A), action=action)) == "allow") is hit
    not_doc = policy({"Effect": "Allow", "Principal": {"AWS": APP_A}, "NotAction": pattern})
    assert (evaluate(not_doc, replace(caller(APP_A), action=action)) == "allow") is not hit


# ----------------------------------------------------------------------------- conditions

# (operator, policy values, request value or ABSENT, expected)
ABSENT = object()
K = "kms:ViaService"
S3 = "s3.eu-west-1.amazonaws.com"
CASES: list[tuple[str, Any, Any, bool]] = [
    ("StringEquals", S3, S3, True),
    ("StringEquals", S3, S3.upper(), False),
    ("StringEquals", ["sqs.x", S3], S3, True),
    ("StringEquals", S3, ABSENT, False),
    ("StringNotEquals", S3, S3, False),
    ("StringNotEquals", ["sqs.x", "sns.x"], S3, True),
    ("StringNotEquals", S3, ABSENT, True),
    ("StringEqualsIgnoreCase", S3, S3.upper(), True),
    ("StringEqualsIgnoreCase", S3, ABSENT, False),
    ("StringNotEqualsIgnoreCase", S3, S3.upper(), False),
    ("StringNotEqualsIgnoreCase", S3, ABSENT, True),
    ("StringLike", "s3.*.amazonaws.com", S3, True),
    ("StringLike", "s3.??-west-1.amazonaws.com", S3, True),
    ("StringLike", "S3.*", S3, False),
    ("StringLike", "s3.*", ABSENT, False),
    ("StringNotLike", "sqs.*", S3, True),
    ("StringNotLike", "s3.*", S3, False),
    ("StringNotLike", "s3.*", ABSENT, True),
    ("ArnEquals", LOG_GROUP_ARN, LOG_GROUP_ARN, True),
    ("ArnEquals", LOG_GROUP_ARN.upper(), LOG_GROUP_ARN, False),
    ("ArnEquals", LOG_GROUP_ARN, ABSENT, False),
    ("ArnNotEquals", LOG_GROUP_ARN, LOG_GROUP_ARN, False),
    ("ArnNotEquals", LOG_GROUP_ARN, ABSENT, True),
    ("ArnLike", "arn:*:logs:eu-west-1:*:log-group:*", LOG_GROUP_ARN, True),
    ("ArnLike", "arn:*:logs:us-east-1:*:*", LOG_GROUP_ARN, False),
    ("ArnLike", "arn:*:*:*:*:*", ABSENT, False),
    ("ArnNotLike", "arn:*:logs:*:*:*", LOG_GROUP_ARN, False),
    ("ArnNotLike", "arn:*:s3:*:*:*", LOG_GROUP_ARN, True),
    ("ArnNotLike", "arn:*:*:*:*:*", ABSENT, True),
    ("Bool", "true", True, True),
    ("Bool", True, "TRUE", True),
    ("Bool", "false", True, False),
    ("Bool", "true", ABSENT, False),
    ("Bool", "false", ABSENT, False),
    ("Null", "true", ABSENT, True),
    ("Null", "true", S3, False),
    ("Null", "false", S3, True),
    ("Null", "false", ABSENT, False),
    ("StringEqualsIfExists", S3, ABSENT, True),
    ("StringEqualsIfExists", S3, "sqs.x", False),
    ("StringEqualsIfExists", S3, S3, True),
    ("StringNotEqualsIfExists", S3, S3, False),
    ("StringLikeIfExists", "s3.*", ABSENT, True),
    ("ArnLikeIfExists", "arn:*:*:*:*:*", ABSENT, True),
    ("ArnLikeIfExists", "arn:*:s3:*:*:*", LOG_GROUP_ARN, False),
    ("ArnEqualsIfExists", LOG_GROUP_ARN, ABSENT, True),
    ("BoolIfExists", "false", ABSENT, True),
    ("BoolIfExists", "false", "true", False),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "d"], False),
    ("ForAnyValue:StringEquals", ["a"], ABSENT, False),
    ("ForAnyValue:StringLike", ["a*"], ["xa", "ab"], True),
    ("ForAnyValue:StringNotEquals", ["a"], ["a", "b"], True),
    ("ForAnyValue:StringEqualsIfExists", ["a"], ABSENT, True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", ["a"], ABSENT, True),
    ("ForAllValues:StringEquals", ["a"], [], True),
    ("ForAllValues:StringNotEquals", ["a"], ["b", "c"], True),
    ("ForAllValues:StringNotEquals", ["a"], ["b", "a"], False),
    ("ForAllValues:ArnLike", ["arn:*:logs:*:*:*"], [LOG_GROUP_ARN], True),
    ("ForAnyValue:ArnNotLike", ["arn:*:logs:*:*:*"], [LOG_GROUP_ARN], False),
]


@pytest.mark.parametrize(("operator", "values", "present", "expected"), CASES)
def test_condition_operator(operator: str, values: Any, present: Any, expected: bool) -> None:
    context = {} if present is ABSENT else {K: present}
    doc = policy(allow({"AWS": APP_A}, "kms:Decrypt", {operator: {K: values}}))
    decision = evaluate(doc, replace(caller(APP_A), context=context))
    assert decision == ("allow" if expected else "implicit_deny")


def test_condition_keys_are_case_insensitive() -> None:
    doc = policy(allow({"AWS": APP_A}, "kms:Decrypt", {"StringEquals": {"KMS:VIASERVICE": S3}}))
    assert evaluate(doc, replace(caller(APP_A), context={"kms:viaservice": S3})) == "allow"
    principal = policy(allow("*", "kms:Decrypt", {"ArnEquals": {"AWS:principalarn": APP_A}}))
    assert evaluate(principal, caller(APP_A)) == "allow"
    assert evaluate(principal, caller(CI)) == "implicit_deny"


def test_conditions_are_anded_across_operators_and_keys() -> None:
    doc = policy(
        allow(
            {"AWS": APP_A},
            "kms:Decrypt",
            {"StringEquals": {K: S3, "aws:PrincipalAccount": ACCOUNT}, "Bool": {"x:b": "true"}},
        )
    )
    full = replace(caller(APP_A), context={K: S3, "x:b": True})
    assert evaluate(doc, full) == "allow"
    assert evaluate(doc, replace(full, context={K: S3})) == "implicit_deny"
    assert evaluate(doc, replace(full, context={"x:b": True})) == "implicit_deny"
    assert evaluate(doc, replace(full, account=FOREIGN, context={K: S3, "x:b": True})) == (
        "implicit_deny"
    )


@pytest.mark.parametrize(
    "operator",
    ["StringEqualz", "stringequals", "ForSome:StringEquals", "IfExists", "NullIfExists"],
)
def test_unknown_operator_raises_naming_it(operator: str) -> None:
    doc = policy(allow({"AWS": CI}, "kms:Decrypt", {operator: {K: "x"}}))
    with pytest.raises(UndecidableError, match=operator):
        evaluate(doc, caller(APP_A))  # raises even though the principal does not match


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Permit", "Principal": "*", "Action": "*"},
        {"Effect": "Allow", "Action": "*"},
        {"Effect": "Allow", "Principal": "*"},
        {"Effect": "Allow", "Principal": {"Bogus": "x"}, "Action": "*"},
        {"Fn::If": ["C", {"Effect": "Allow"}, {"Ref": "AWS::NoValue"}]},
    ],
)
def test_malformed_statements_raise(statement: dict) -> None:
    with pytest.raises(ValueError):
        evaluate(policy(statement), caller(APP_A))


def test_effective_context() -> None:
    ctx = effective_context(caller(APP_A, context={K: S3}))
    assert ctx == {
        "aws:PrincipalArn": APP_A,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalIsAWSService": "false",
        K: S3,
    }
    service = effective_context(Request("kms:Encrypt", service=LOGS))
    assert service == {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": LOGS}


def test_single_statement_dict_is_accepted() -> None:
    doc = {"Statement": allow({"AWS": APP_A}, "kms:Decrypt")}
    assert evaluate(doc, caller(APP_A)) == "allow"
    assert evaluate({"Statement": []}, caller(APP_A)) == "implicit_deny"


# ----------------------------------------------------------------------------- canonicalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"Ref": "AWS::AccountId"}, "${AWS::AccountId}"),
        ({"Ref": "AWS::URLSuffix"}, "${AWS::URLSuffix}"),
        ({"Ref": "MyParam"}, "${MyParam}"),
        ({"Fn::GetAtt": ["AppRole", "Arn"]}, "${AppRole.Arn}"),
        ({"Fn::GetAtt": "AppRole.Arn"}, "${AppRole.Arn}"),
        (
            {"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}, "kms"]]},
            "arn:${AWS::Partition}:kms",
        ),
        ({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}, ROOT),
        ({"Fn::Sub": ["${A}/${B}/${C.Arn}", {"A": "x", "B": {"Ref": "P"}}]}, "x/${P}/${C.Arn}"),
        ({"Fn::Sub": "${!aws:username}"}, "${aws:username}"),
        ({"Fn::ImportValue": "Shared-KeyArn"}, "${ImportValue:Shared-KeyArn}"),
        ({"Fn::ImportValue": {"Fn::Sub": "${Env}-Arn"}}, "${ImportValue:${Env}-Arn}"),
        ({"Fn::Select": [0, ["a", {"Ref": "B"}]]}, '${Fn::Select:[0,["a","${B}"]]}'),
        ([{"Ref": "A"}, {"k": {"Ref": "B"}}], ["${A}", {"k": "${B}"}]),
        ({"Ref": "A", "Other": 1}, {"Ref": "A", "Other": 1}),  # two keys: not an intrinsic
    ],
)
def test_canonicalize(raw: Any, expected: Any) -> None:
    assert canonicalize(raw) == expected
    assert canonicalize(canonicalize(raw)) == canonicalize(raw)


def test_join_sub_and_getatt_spellings_agree() -> None:
    joined = as_ref_join(ROOT)
    subbed = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    assert canonicalize(joined) == canonicalize(subbed) == ROOT
    assert canonicalize({"Fn::GetAtt": ["R", "Arn"]}) == canonicalize({"Fn::Sub": "${R.Arn}"})


def test_raw_and_canonical_policy_decide_alike() -> None:
    canonical = canonicalize(KEY_POLICY)
    for request in (caller(APP_A), caller(CI), caller(UNNAMED, identity_allows=True)):
        for action in PROBES:
            r = replace(request, action=action)
            assert evaluate(KEY_POLICY, r) == evaluate(canonical, r)


# ----------------------------------------------------------------------------- properties

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMED = [CI, APP_A, PERSON1, DEPLOY]
ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:*"]

principals = st.sampled_from(
    [
        "*",
        {"AWS": "*"},
        {"AWS": APP_A},
        {"AWS": [CI, PERSON1]},
        {"AWS": ROOT},
        {"AWS": ACCOUNT},
        {"AWS": FOREIGN},
        {"Service": LOGS},
    ]
)
conditions = st.sampled_from(
    [
        None,
        {"StringEquals": {K: S3}},
        {"StringNotEquals": {K: S3}},
        {"StringLikeIfExists": {K: "s3.*"}},
        {"Bool": {"aws:PrincipalIsAWSService": "false"}},
        {"Null": {K: "true"}},
        {"ArnNotEquals": {"aws:PrincipalArn": NAMED}},
        {"ForAnyValue:StringEquals": {"x:tags": ["a"]}},
    ]
)
statements = st.builds(
    lambda effect, principal, actions, condition: {
        "Effect": effect,
        "Principal": principal,
        "Action": actions,
        **({"Condition": condition} if condition else {}),
    },
    st.sampled_from(["Allow", "Deny"]),
    principals,
    st.lists(st.sampled_from([*ACTIONS, "kms:Gen*", "kms:Describe*", "*"]), min_size=1),
    conditions,
)
requests = st.builds(
    lambda who, action, context, identity: replace(
        who, action=action, context=context, identity_allows=identity
    ),
    st.sampled_from(
        [
            caller(APP_A),
            caller(CI),
            caller(UNNAMED),
            caller(ROOT),
            caller(role("x", FOREIGN), FOREIGN),
            Request("", service=LOGS),
        ]
    ),
    st.sampled_from(ACTIONS[:-1]),
    st.sampled_from([{}, {K: S3}, {K: "sqs.x"}, {"x:tags": ["a", "b"]}]),
    st.booleans(),
)


@FAST
@given(st.lists(statements, max_size=6), requests, conditions)
def test_property_matching_deny_always_wins(
    body: list[dict], request: Request, condition: dict | None
) -> None:
    denying = deny("*", [request.action], condition)
    before = evaluate(policy(*body), request)
    after = evaluate(policy(*body, denying), request)
    assert after != "allow" or before == "allow"  # adding a Deny never creates an allow
    if evaluate(policy(denying), request) == "explicit_deny":  # the Deny matches this request
        assert after == "explicit_deny"
    assert evaluate(policy(*body, deny("*", "*")), request) == "explicit_deny"


arn_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)


@FAST
@given(
    allows=st.lists(
        st.tuples(
            st.lists(st.sampled_from(NAMED), min_size=1, max_size=3),
            st.lists(st.sampled_from(["kms:*", "kms:Decrypt", "kms:Encrypt", "*", "kms:Gen*"])),
            conditions,
        ),
        max_size=5,
    ),
    name=arn_names,
    account=st.sampled_from([ACCOUNT, FOREIGN]),
    kind=st.sampled_from(["role", "user"]),
    identity=st.booleans(),
    context=st.sampled_from([{}, {K: S3}]),
)
def test_property_outsiders_never_read_or_write(
    allows: list[tuple[list[str], list[str], dict | None]],
    name: str,
    account: str,
    kind: str,
    identity: bool,
    context: dict,
) -> None:
    arn = f"arn:${{AWS::Partition}}:iam::{account}:{kind}/outsider-{name}"
    body = [allow({"AWS": who}, acts or ["kms:Decrypt"], cond) for who, acts, cond in allows]
    doc = policy(*body, deny_everyone_else(NAMED))
    request = Request("kms:Decrypt", arn, account, context=context, identity_allows=identity)
    assert allowed_actions(doc, request, ["kms:Decrypt", "kms:Encrypt"]) == frozenset()
    # sanity: a named principal can be allowed by the same kind of policy
    insider = replace(request, principal_arn=APP_A, account=ACCOUNT, context={})
    granted = policy(allow({"AWS": APP_A}, "kms:Decrypt"), deny_everyone_else(NAMED))
    assert evaluate(granted, insider) == "allow"


json_leaf = st.one_of(
    st.text(max_size=8), st.integers(-5, 5), st.booleans(), st.none(), st.sampled_from(["${X}"])
)
json_values = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "Ref", "Fn::If", "b"]), inner, max_size=2),
        st.builds(lambda n: {"Ref": n}, st.text(max_size=6)),
        st.builds(lambda a, b: {"Fn::GetAtt": [a, b]}, st.text(max_size=4), st.text(max_size=4)),
        st.builds(lambda s, ps: {"Fn::Join": [s, ps]}, st.sampled_from(["", ":"]), st.lists(inner)),
        st.builds(
            lambda s, v: {"Fn::Sub": [s, {"V": v}]}, st.sampled_from(["${V}", "x${Y}"]), inner
        ),
        st.builds(lambda v: {"Fn::ImportValue": v}, inner),
        st.builds(lambda v: {"Fn::Select": [0, v]}, inner),
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_property_canonicalize_is_idempotent(value: Any) -> None:
    once = canonicalize(value)
    assert canonicalize(once) == once


@FAST
@given(st.lists(statements, min_size=2, max_size=6), requests, st.randoms(use_true_random=False))
def test_property_statement_order_is_irrelevant(
    body: list[dict], request: Request, rnd: random.Random
) -> None:
    shuffled = list(body)
    rnd.shuffle(shuffled)
    assert evaluate(policy(*body), request) == evaluate(policy(*shuffled), request)
    assert evaluate(policy(*body), request) == evaluate(policy(*reversed(body)), request)

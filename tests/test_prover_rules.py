"""Issue #18: the key rules (CDKP102, CDKP103, CDKP104, CDKP106) and the bucket PUT rule (CDKP008)
are decided over every request by the prover, not by a few sample requests.

Each case is a shape that passed the sampled checks on 5737c8e (three probe actions for the
Deny, one foreign key for PUT, a per-statement look at ``*`` without conditions) and that IAM, as
the independent simulator decides it, lets through; ``tests/test_prover_simulator.py`` puts the
witnesses to the simulator. Pure: hand-written templates, no synthesis.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from templates import APP_A, CI, bucket_put_policy, domain_key

from cdk_partition.audit import Finding, StackTemplate, audit

ROOT = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::",
                          {"Ref": "AWS::AccountId"}, ":root"]]}  # fmt: skip


def _audit(*extra: dict[str, Any], deny: bool = True, resources: Any = None) -> list[Finding]:
    key = copy.deepcopy(domain_key("orders", extra=extra, deny=deny))
    template = {
        "Metadata": {"cdk_partition:checks": [{"domain": "orders", "scope": ""}]},
        "Resources": {"DomainKey": key, **(resources or {})},
    }
    return audit([StackTemplate("Orders", template, "Orders.template.json")])


def _rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


def _allow(principal: Any, actions: Any, **rest: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*", **rest}


def test_the_domain_policy_is_clean() -> None:
    """The guard: the least-privilege policy draws no key finding."""
    assert not {r for r in _rules(_audit()) if r.startswith("CDKP10")}


# -- CDKP103: a principal nobody names ------------------------------------------------------
@pytest.mark.parametrize(
    "condition",
    [
        {"Bool": {"aws:PrincipalIsAWSService": "true"}},
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["never-sent"]}},
        {"StringLike": {"aws:PrincipalServiceName": "*"}},
        {"Null": {"aws:SourceVpc": "true"}},
    ],
    ids=["principal-is-aws-service", "for-all-values-absent", "service-name-like", "null"],
)
def test_star_with_a_condition_every_service_meets_is_open(condition: dict[str, Any]) -> None:
    """Issue #18: ``Principal: "*"`` with a condition that holds for every AWS service principal
    lets any service of any account decrypt; the same grant written as ``Principal.Service``
    was caught, so the verdict depended on spelling."""
    statement = _allow("*", ["kms:Decrypt", "kms:GenerateDataKey"], Sid="Slip",
                       Condition=condition)  # fmt: skip
    (finding,) = [f for f in _audit(statement) if f.rule == "CDKP103"]
    assert "'Slip'" in finding.message and "may call kms:" in finding.message
    assert finding.location == "KeyPolicy.Statement[3].Principal"


@pytest.mark.parametrize("count", [2, 3])
def test_a_set_needing_as_many_values_as_its_conditions_is_still_found(count: int) -> None:
    """An attack: three ``ForAnyValue`` conditions on ``kms:EncryptionContextKeys``, each met
    only by a value of its own, need a request carrying three keys; a set bound fixed at two
    read the statement as closed (the simulator allows ``sqs.amazonaws.com`` with the three)."""
    conditions = [
        ("ForAnyValue:StringEquals", "alpha"),
        ("ForAnyValue:StringLike", "beta*"),
        ("ForAnyValue:StringEqualsIgnoreCase", "GAMMA"),
    ]
    condition = {op: {"kms:EncryptionContextKeys": value} for op, value in conditions[:count]}
    statement = _allow("*", ["kms:Encrypt", "kms:GenerateDataKey"], Sid="Gated",
                       Condition=condition)  # fmt: skip
    (finding,) = [f for f in _audit(statement) if f.rule == "CDKP103"]
    assert "'Gated'" in finding.message


def test_a_condition_no_service_meets_is_not_open() -> None:
    """The other side: ``Principal: "*"`` conditioned on a named principal ARN is no opening."""
    statement = _allow("*", "kms:Decrypt", Sid="Pinned",
                       Condition={"ArnEquals": {"aws:PrincipalArn": APP_A}})  # fmt: skip
    assert "CDKP103" not in _rules(_audit(statement))


# -- CDKP102: everyone else ----------------------------------------------------------------
def test_a_deny_narrowed_to_a_few_actions_does_not_deny_everyone_else() -> None:
    """Issue #18: the sampled probe tried kms:Decrypt, kms:Encrypt and kms:PutKeyPolicy; a deny of
    just those leaves GenerateDataKey (and every other action) to any role of the account that
    the account's delegation to IAM lets in."""
    findings = _audit(*[
        {"Sid": "DenyFew", "Effect": "Deny", "Principal": {"AWS": "*"},
         "Action": ["kms:Decrypt", "kms:Encrypt", "kms:PutKeyPolicy"], "Resource": "*",
         "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [CI, APP_A]}}},
    ], deny=False)  # fmt: skip
    (finding,) = [f for f in findings if f.rule == "CDKP102"]
    assert "may call kms:" in finding.message
    for probed in ("kms:Decrypt ", "kms:Encrypt ", "kms:PutKeyPolicy "):
        assert f"may call {probed}" not in finding.message


def test_a_deny_with_not_resource_star_denies_nothing() -> None:
    """A ``Deny`` with ``NotResource: "*"`` applies to no resource: no deny at all."""
    findings = _audit(*[
        {"Sid": "DenyNothing", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:*",
         "NotResource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [CI, APP_A]}}},
    ], deny=False)  # fmt: skip
    assert "CDKP102" in _rules(findings)


def test_a_deny_on_another_resource_is_undecided_not_a_pass() -> None:
    findings = _audit(*[
        {"Sid": "DenyElsewhere", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:*",
         "Resource": "arn:aws:kms:us-east-1:111122223333:key/other",
         "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [CI, APP_A]}}},
    ], deny=False)  # fmt: skip
    (finding,) = [f for f in findings if f.rule == "CDKP105"]
    assert "'DenyElsewhere'" in finding.message and "Resource" in finding.message


def test_a_deny_exempting_a_wildcard_of_roles_does_not_deny_everyone_else() -> None:
    findings = _audit(*[
        {"Sid": "DenyMost", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:*",
         "Resource": "*", "Condition": {
             "ArnNotEquals": {"aws:PrincipalArn": [CI, APP_A]},
             "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/team-*"},
             "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
    ], deny=False)  # fmt: skip
    (finding,) = [f for f in findings if f.rule == "CDKP102"]
    assert "role/team-" in finding.message


def test_a_data_perimeter_deny_raises_no_false_finding() -> None:
    """Issue #18: a Deny unless aws:PrincipalOrgID is the organisation (IfExists), as AWS
    recommends for data perimeters, next to DenyEveryoneElse: no finding."""
    perimeter = {"Sid": "Perimeter", "Effect": "Deny", "Principal": "*", "Action": "kms:*",
                 "Resource": "*",
                 "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"},
                               "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}  # fmt: skip
    assert not {r for r in _rules(_audit(perimeter)) if r.startswith("CDKP10")}


def test_a_policy_variable_is_read_as_the_request_value_not_a_literal() -> None:
    """Issue #18: ``${aws:PrincipalAccount}`` was decided as the literal text. IAM substitutes the
    request's value, so ``Principal "*"`` allowed when the caller's tag equals its own account
    is open to any principal of any account that tags itself so."""
    statement = _allow("*", "kms:Decrypt", Sid="Var", Condition={
        "StringEquals": {"aws:PrincipalTag/account": "${aws:PrincipalAccount}"}})  # fmt: skip
    (finding,) = [f for f in _audit(statement, deny=False) if f.rule == "CDKP103"]
    assert "'Var'" in finding.message and "aws:principaltag/account" in finding.message


def test_a_policy_variable_that_may_have_no_value_is_undecided_not_a_pass() -> None:
    """A statement that lets a request in only when its variable's key is absent: AWS says only
    that the statement "might" be invalid then, so the question is not decided (CDKP105)."""
    statement = _allow("*", "kms:Decrypt", Sid="Unresolved", Condition={
        "Null": {"aws:RequestTag/svc": "true"},
        "StringEquals": {"aws:PrincipalServiceName": "${aws:RequestTag/svc}"}})  # fmt: skip
    (finding, *_) = [f for f in _audit(statement) if f.rule == "CDKP105"]
    assert "policy variable ${aws:requesttag/svc}" in finding.message


# -- CDKP104: actions outside every capability, however the principal is spelt ---------------
def test_star_pinned_to_a_named_principal_with_kms_star_is_beyond_capabilities() -> None:
    """A guard (this one was caught before): ``Principal: "*"`` narrowed by ``aws:PrincipalArn``
    to a named reader, with kms:*."""
    statement = _allow("*", "kms:*", Sid="Pinned",
                       Condition={"ArnEquals": {"aws:PrincipalArn": APP_A}})  # fmt: skip
    (finding,) = [f for f in _audit(statement) if f.rule == "CDKP104"]
    assert "kms:Sign" in finding.message and "Pinned" in finding.message


def test_root_delegation_lets_named_principals_beyond_their_capability() -> None:
    """The account's delegation to IAM (kms:* to the root) lets the principals DenyEveryoneElse
    exempts call anything their own IAM policy allows: kms:ScheduleKeyDeletion for a reader. The
    statement is the default key policy's (administration and data in one statement, CDKP104
    by its shape); the prover names the principal it lets through."""
    statement = _allow({"AWS": ROOT}, "kms:*", Sid="Delegate")
    findings = [f for f in _audit(statement) if f.rule == "CDKP104"]
    assert findings and all("Delegate" in f.message for f in findings)


# -- CDKP106: a service beyond its contract or unscoped, however it is spelt -----------------
def test_a_service_unscoped_by_a_condition_that_holds_when_absent() -> None:
    """``ForAllValues:`` on aws:SourceArn holds when the key is absent: the statement has a
    condition (so the per-statement check passed) but does not scope the service."""
    statement = _allow({"Service": "sns.amazonaws.com"}, ["kms:Decrypt", "kms:GenerateDataKey"],
                       Sid="AllowPublisherSns", Condition={
                           "ForAllValues:ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}})  # fmt: skip
    (finding,) = [f for f in _audit(statement) if f.rule == "CDKP106"]
    assert "sns.amazonaws.com" in finding.message and "without" not in finding.fix.split(";")[0]


def test_a_scoped_service_within_its_contract_passes() -> None:
    statement = _allow({"Service": "sns.amazonaws.com"}, ["kms:Decrypt", "kms:GenerateDataKey"],
                       Sid="AllowPublisherSns",
                       Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}})  # fmt: skip
    assert "CDKP106" not in _rules(_audit(statement))


# -- CDKP008: bucket PUTs --------------------------------------------------------------------
def _bucket(policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "Store": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": {"Fn::GetAtt": ["DomainKey", "Arn"]}}}]}},
        },
        "StorePolicy": policy,
    }  # fmt: skip


def test_the_domain_bucket_policy_refuses_every_other_put() -> None:
    assert "CDKP008" not in _rules(_audit(resources=_bucket(bucket_put_policy())))


def test_a_deny_of_only_some_other_keys_lets_the_rest_through() -> None:
    """Issue #18: a bucket policy that denies only named other keys (the probe's one foreign key
    among them) lets any other key through."""
    policy = bucket_put_policy()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    statements[1]["Condition"] = {"StringEquals": {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": [
            "arn:aws:kms:us-east-1:999999999999:key/cdk-partition-probe"]}}  # fmt: skip
    (finding,) = [f for f in _audit(resources=_bucket(policy)) if f.rule == "CDKP008"]
    assert "another KMS key" in finding.message


def test_a_deny_on_a_prefix_only_does_not_cover_the_bucket() -> None:
    policy = bucket_put_policy()
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        statement["Resource"] = {"Fn::Join": ["", [{"Fn::GetAtt": ["Store", "Arn"]},
                                                   "/reports/*"]]}  # fmt: skip
    (finding,) = [f for f in _audit(resources=_bucket(policy)) if f.rule == "CDKP008"]
    assert "covering every object" in finding.message
    assert "SSE-S3" in finding.message


def test_a_deny_keyed_to_another_keys_arn_is_not_the_domain_key() -> None:
    policy = bucket_put_policy(key="OtherKey")
    (finding,) = [f for f in _audit(resources=_bucket(policy)) if f.rule == "CDKP008"]
    assert "another KMS key" in finding.message

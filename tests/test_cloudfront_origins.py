"""CloudFront serving a domain bucket (issue #19, integrations the CDK wires): through origin
access control, the CDK writes the key statement AWS documents (``cloudfront.amazonaws.com``,
``kms:Decrypt``, scoped to the account's distributions), which the audit refused as a service
with no contract (CDKP106 failed the AWS-recommended app: a fourth attack); the contract row
``distribution_origin_bucket`` now states it, and the requests are decided by our evaluator and
by ``@cloud-copilot/iam-simulate``. Through an origin access identity, which cannot read SSE-KMS
objects, it is CDKP031 (silent before; the fix is in ``tests/test_fixes.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from test_integrations import _concrete_key_policy, _decisions, _synth
from test_oracle_iam_simulate import ACCOUNT, Case, service

from cdk_partition import DomainStack
from cdk_partition.audit import Finding
from cdk_partition.knowledge import contracts


def _site(identity: bool) -> Any:
    def build(orders: DomainStack) -> None:
        bucket = orders.domain.bucket("Site")
        origin = (origins.S3BucketOrigin.with_origin_access_identity(bucket) if identity
                  else origins.S3BucketOrigin.with_origin_access_control(bucket))  # fmt: skip
        cloudfront.Distribution(orders, "Cdn",
                                default_behavior=cloudfront.BehaviorOptions(origin=origin))  # fmt: skip

    return build


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, tuple[Path, list[Finding]]]:
    out = {}
    for identity in (False, True):
        path = tmp_path_factory.mktemp("oai" if identity else "oac")
        out[identity] = (path, _synth(path, _site(identity)))
    return out


def _cases(policy: dict[str, Any], account: str) -> list[Case]:
    arn = f"arn:aws:cloudfront::{account}:distribution/EDFDVBD6EXAMPLE"
    return [
        Case("oac", policy, service(row.principal), action, {"aws:SourceArn": arn})
        for row in contracts.rows_for("distribution_origin_bucket")
        for action in row.actions
    ]


def test_origin_access_control_is_the_contract_and_lets_cloudfront_decrypt(
    synthesized: dict[bool, tuple[Path, list[Finding]]],
) -> None:
    path, findings = synthesized[False]
    assert [f.message for f in findings if f.severity == "error"] == []
    ours, theirs = _decisions(_cases(_concrete_key_policy(path), ACCOUNT))
    assert ours == theirs == ["allow"], (ours, theirs)


def test_another_accounts_distribution_is_refused(
    synthesized: dict[bool, tuple[Path, list[Finding]]],
) -> None:
    ours, theirs = _decisions(_cases(_concrete_key_policy(synthesized[False][0]), "999999999999"))
    assert "allow" not in ours and "allow" not in theirs, (ours, theirs)


def test_an_origin_access_identity_is_cdkp031(
    synthesized: dict[bool, tuple[Path, list[Finding]]],
) -> None:
    found = [f for f in synthesized[True][1] if f.rule == "CDKP031"]
    assert [f.path for f in found] == ["Orders/Domain/Site/Policy/Resource"], [
        f.message for f in synthesized[True][1]
    ]


def test_an_identity_named_by_its_arn_is_cdkp031_alone(tmp_path: Path) -> None:
    """The OAI named by its IAM-style ARN in the bucket policy: CDKP031 only, not also CDKP019
    with a fix naming the OAI in the key (which cannot let it read SSE-KMS objects; a fifth
    attack)."""
    from aws_cdk import aws_iam as iam

    def build(orders: DomainStack) -> None:
        bucket = orders.domain.bucket("Site")
        oai = cloudfront.CfnCloudFrontOriginAccessIdentity(orders, "Oai",
            cloud_front_origin_access_identity_config={"comment": "site"})  # fmt: skip
        bucket.add_to_resource_policy(iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")],
            principals=[iam.ArnPrincipal(cdk.Fn.sub(
                "arn:${AWS::Partition}:iam::cloudfront:user/CloudFront Origin Access Identity "
                "${Oai}", {"Oai": oai.ref}))]))  # fmt: skip

    rules = sorted({f.rule for f in _synth(tmp_path, build) if f.severity == "error"})
    assert rules == ["CDKP031"], rules


def test_origin_access_control_that_writes_is_its_contract_too(tmp_path: Path) -> None:
    """With WRITE the CDK's statement adds kms:Encrypt and kms:GenerateDataKey* (uploads through
    the distribution): the write row states them (a false CDKP106: a fifth attack), and the
    simulator allows the upload's requests."""

    def build(orders: DomainStack) -> None:
        origin = origins.S3BucketOrigin.with_origin_access_control(
            orders.domain.bucket("Site"),
            origin_access_levels=[cloudfront.AccessLevel.READ, cloudfront.AccessLevel.WRITE],
        )
        cloudfront.Distribution(orders, "Cdn",
                                default_behavior=cloudfront.BehaviorOptions(origin=origin))  # fmt: skip

    findings = _synth(tmp_path, build)
    assert [f.message for f in findings if f.severity == "error"] == []
    arn = f"arn:aws:cloudfront::{ACCOUNT}:distribution/EDFDVBD6EXAMPLE"
    cases = [
        Case("oac-write", _concrete_key_policy(tmp_path), service(row.principal), action,
             {"aws:SourceArn": arn})
        for row in contracts.rows_for("distribution_origin_bucket_write")
        for action in row.actions
    ]  # fmt: skip
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * len(cases), (ours, theirs)

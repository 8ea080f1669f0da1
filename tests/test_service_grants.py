"""AWS services a domain store's resource policy lets in, whose KMS requests the domain key
refuses (CDKP021): CloudFront's origin access control on a bucket the mixin put on the domain
key (the key policy names no CloudFront), AWS Budgets allowed to publish to a domain topic by its
topic policy. Both synthesized with no finding (two attacks). The fix, applied as written, clears
it; the service's request is then allowed by our evaluator and by the independent simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from test_integrations import _concrete_key_policy, _decisions, _synth
from test_oracle_iam_simulate import ACCOUNT, Case, service
from test_vended_logs import _apply

from cdk_partition import DomainStack


def _origin_access_control(orders: DomainStack) -> None:
    from aws_cdk import aws_cloudfront as cloudfront
    from aws_cdk import aws_cloudfront_origins as origins

    bucket = s3.Bucket(orders, "Site")
    cdk.Mixins.of(orders).apply(orders.domain.encryption_at_rest())
    cloudfront.Distribution(orders, "Cdn", default_behavior=cloudfront.BehaviorOptions(
        origin=origins.S3BucketOrigin.with_origin_access_control(bucket)))  # fmt: skip


def _budget_publishing(orders: DomainStack) -> None:
    topic = orders.domain.topic("Alerts")
    # Cost Management User Guide, "Creating an Amazon SNS topic for budget notifications": the
    # topic policy lets budgets.amazonaws.com publish, scoped by aws:SourceAccount
    topic.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal("budgets.amazonaws.com")], actions=["SNS:Publish"],
        resources=[topic.topic_arn], conditions={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))  # fmt: skip


def _budget_by_not_action(orders: DomainStack) -> None:
    topic = orders.domain.topic("Alerts")
    # every action but Subscribe: Publish among them (a second attack: NotAction was not read)
    topic.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal("budgets.amazonaws.com")], not_actions=["sns:Subscribe"],
        resources=[topic.topic_arn], conditions={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))  # fmt: skip


def _known_service_elsewhere(orders: DomainStack) -> None:
    """A service the deliveries table knows for buckets (vended logs), let into a domain topic
    by its policy: judged here (an attack: SES's configuration sets into a topic were skipped
    because its receipt rules into a bucket have a row)."""
    topic = orders.domain.topic("Feed")
    topic.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")], actions=["SNS:Publish"],
        resources=[topic.topic_arn], conditions={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))  # fmt: skip


def _ses_by_topic_policy_alone(orders: DomainStack) -> None:
    """SES let in by a domain topic's policy, its configuration set outside the app: no
    delivery of the app judges it (an attack: skipped because SES has delivery rows)."""
    topic = orders.domain.topic("Bounces")
    topic.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal("ses.amazonaws.com")], actions=["SNS:Publish"],
        resources=[topic.topic_arn], conditions={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))  # fmt: skip


def _backup_beside_an_undocumented_delivery(orders: DomainStack) -> None:
    """AWS Backup let in by a domain topic's policy, beside a DocumentDB event subscription
    into the same topic (CDKP033, a warning): the warning judges no other service (an attack:
    it silenced Backup's CDKP021)."""
    from aws_cdk import aws_docdb as docdb

    topic = orders.domain.topic("Events")
    docdb.CfnEventSubscription(orders, "Docdb", sns_topic_arn=topic.topic_arn)
    topic.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal("backup.amazonaws.com")], actions=["SNS:Publish"],
        resources=[topic.topic_arn], conditions={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))  # fmt: skip


CASES: dict[str, tuple[Callable[[DomainStack], None], str, tuple[str, ...]]] = {
    "cloudfront-origin-access-control": (
        _origin_access_control, "cloudfront.amazonaws.com", ("kms:Decrypt",)),
    "budgets-not-action": (
        _budget_by_not_action, "budgets.amazonaws.com", ("kms:Decrypt", "kms:GenerateDataKey")),
    "budgets-topic-policy": (
        _budget_publishing, "budgets.amazonaws.com", ("kms:Decrypt", "kms:GenerateDataKey")),
    "backup-beside-an-undocumented-delivery": (
        _backup_beside_an_undocumented_delivery, "backup.amazonaws.com",
        ("kms:Decrypt", "kms:GenerateDataKey")),
    "ses-by-its-topic-policy-alone": (
        _ses_by_topic_policy_alone, "ses.amazonaws.com", ("kms:Decrypt", "kms:GenerateDataKey")),
    "a-bucket-delivery-service-on-a-topic": (
        _known_service_elsewhere, "delivery.logs.amazonaws.com",
        ("kms:Decrypt", "kms:GenerateDataKey")),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_service_the_stores_policy_lets_in_is_cdkp021_and_the_fix_passes(
    tmp_path: Path, case: str
) -> None:
    build, principal, requests = CASES[case]
    before = [f for f in _synth(tmp_path / "before", build) if f.severity == "error"]
    assert [f.rule for f in before] == ["CDKP021"], [f.message for f in before]
    assert principal in before[0].message

    def fixed(orders: DomainStack) -> None:
        build(orders)
        _apply(before[0].fix or "", orders.domain)

    after = [f for f in _synth(tmp_path / "after", fixed) if f.severity == "error"]
    assert after == [], [f.message for f in after]
    policy = _concrete_key_policy(tmp_path / "after")
    cases = [Case(f"service-grant:{case}", policy, service(principal), r,
                  {"aws:SourceAccount": ACCOUNT}) for r in requests]  # fmt: skip
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * len(requests), (ours, theirs)


def test_an_unconditioned_statement_needs_the_delivery_it_is_for(tmp_path: Path) -> None:
    """AWS prints SES's and CloudTrail's statements for an encrypted topic with no condition; the
    app may declare them so only for what it wires (an attack cited the page alone, with
    actions the page does not name too)."""
    from cdk_partition.knowledge.wiring import DELIVERIES

    page = next(d.page for d in DELIVERIES if d.service == "ses.amazonaws.com" and not d.scoped
                and d.source_type.endswith("ConfigurationSetEventDestination"))  # fmt: skip

    def build(orders: DomainStack) -> None:
        orders.domain.bucket("Files")
        with pytest.raises(ValueError, match="without aws:SourceArn or aws:SourceAccount"):
            orders.domain.allow_service("ses.amazonaws.com", actions=[
                "kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"], source=page)  # fmt: skip
        orders.domain.allow_service(
            "ses.amazonaws.com", actions=["kms:GenerateDataKey", "kms:Decrypt"], source=page
        )

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP106"]
    assert len(found) == 1 and "wires no such delivery" in found[0].message, [
        f.message for f in found
    ]

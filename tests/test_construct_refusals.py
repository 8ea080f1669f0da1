"""Construct-time answers for what KMS or CloudFormation would refuse later (issue #19, item 5):
wildcard principals in the key policy are refused naming the construct path, the prop and what
to write instead; ``delivery_stream`` with a Kinesis stream source works (no encryption setting
on the delivery stream, the role Firehose reads the stream with named in the key policy).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from conftest import cdk_context
from test_integrations import _synth
from test_oracle_iam_simulate import ACCOUNT, REGION

from cdk_partition import Capability, DomainStack, audit_path

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
WILDCARD = f"arn:aws:iam::{ACCOUNT}:role/analytics-*"


def _stack() -> tuple[cdk.App, DomainStack]:
    app = cdk.App(context=cdk_context())
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    return app, DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)


@pytest.mark.parametrize(
    ("grant", "prop"),
    [
        (lambda s, p: s.domain.grant_read(p), "grant_read()"),
        (lambda s, p: s.domain.grant_write(p), "grant_write()"),
        (lambda s, p: s.domain.grant(p, Capability.READ), "grant_read()"),
        (lambda s, p: s.domain.grant_administer(p), "grant_administer()"),
    ],
    ids=["grant_read", "grant_write", "grant", "grant_administer"],
)
@pytest.mark.parametrize(
    "make",
    [
        lambda s: iam.ArnPrincipal(WILDCARD),
        lambda s: iam.Role.from_role_arn(s, "Analytics", WILDCARD),
        lambda s: iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:user/etl-?"),
    ],
    ids=["arn-principal", "imported-role", "user-single-char"],
)
def test_wildcard_principals_are_refused(grant: Any, prop: str, make: Any) -> None:
    _, stack = _stack()
    with pytest.raises(ValueError) as raised:
        grant(stack, make(stack))
    message = str(raised.value)
    assert "Orders/Domain" in message and prop in message  # construct path and prop
    assert "wildcard" in message and "reference_policies_elements_principal.html" in message
    assert "iam.Role.from_role_arn" in message  # what to write instead


def test_wildcard_principal_in_the_constructor_is_refused() -> None:
    app = cdk.App(context=cdk_context())
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    with pytest.raises(ValueError, match=r"readers= / grant_read\(\).*wildcard"):
        DomainStack(
            app, "Orders", domain_name="orders", administrators=[ci],
            readers=[iam.ArnPrincipal(WILDCARD)], env=ENV,
        )  # fmt: skip


def test_named_roles_still_pass() -> None:
    _, stack = _stack()
    stack.domain.grant_read(iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/analytics-etl"))


def test_delivery_stream_with_a_kinesis_source(tmp_path: Path) -> None:
    """It raised inside aws-cdk-lib ("Requested server-side encryption but delivery stream source
    is a Kinesis data stream"); now it synthesizes with no error finding, no encryption on the
    delivery stream, and the role that reads the stream named with kms:Decrypt via Kinesis."""

    def build(orders: DomainStack) -> None:
        d = orders.domain
        errors = d.log_group("DeliveryErrors", log_group_name="/orders/delivery")
        d.delivery_stream(
            "Delivery",
            source=firehose.KinesisStreamSource(d.stream("Events", shard_count=1)),
            destination=firehose.S3Bucket(
                d.bucket("Archive"), logging_config=firehose.EnableLogging(errors)
            ),
        )

    findings = _synth(tmp_path, build)
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]
    template = json.loads((tmp_path / "Orders.template.json").read_text())
    (delivery,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::KinesisFirehose::DeliveryStream"
    ]
    assert "DeliveryStreamEncryptionConfigurationInput" not in delivery["Properties"]
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    (reader,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowStoreRolesDeliveryStreamFromStream"
    ]
    assert reader["Action"] == "kms:Decrypt"
    assert reader["Condition"] == {
        "StringEquals": {"kms:ViaService": f"kinesis.{REGION}.amazonaws.com"}
    }
    role = delivery["Properties"]["KinesisStreamSourceConfiguration"]["RoleARN"]
    assert reader["Principal"]["AWS"] == role


def test_delivery_stream_refuses_an_encryption_setting_with_a_kinesis_source() -> None:
    _, stack = _stack()
    d = stack.domain
    with pytest.raises(ValueError, match="encryption= is set by the method"):
        d.delivery_stream(
            "Delivery",
            source=firehose.KinesisStreamSource(d.stream("Events", shard_count=1)),
            destination=firehose.S3Bucket(d.bucket("Archive")),
            encryption=firehose.StreamEncryption.aws_owned_key(),
        )


def _orders_app(outdir: Path) -> tuple[cdk.App, DomainStack]:
    """An app with a principals stack (user ``ci``, the administrator) and the orders domain."""
    app = cdk.App(context=cdk_context(), outdir=str(outdir))
    ci = iam.User(cdk.Stack(app, "Principals", env=ENV), "ci", user_name="ci")
    return app, DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)


def _consumer_app(outdir: Path, *, role_in_principals: bool) -> cdk.App:
    from aws_cdk import aws_lambda as lambda_

    app, orders = _orders_app(outdir)
    people = app.node.find_child("Principals")
    bucket = orders.domain.bucket("Data")
    consumer = cdk.Stack(app, "Consumer", env=ENV)
    role = (
        iam.Role(people, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        if role_in_principals
        else None
    )
    fn = lambda_.Function(
        consumer, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        environment={"BUCKET": bucket.bucket_name}, role=role,
    )  # fmt: skip
    assert fn.role is not None
    orders.domain.grant_store_read(bucket, fn.role)
    return app


def test_a_cross_stack_grant_that_would_cycle_is_refused_with_the_pattern(tmp_path: Path) -> None:
    """The consumer's role is named in the key policy while its stack reads the bucket's name:
    the CDK raised a bare DependencyCycle. Now the message names the grant, both stacks and the
    pattern that does not cycle; the pattern, applied as written, synthesizes with no error."""
    with pytest.raises(Exception) as raised:
        _consumer_app(tmp_path / "cycle", role_in_principals=False).synth()
    message = str(raised.value)
    assert "grant_store_read(Orders/Domain/Data, Consumer/Fn/ServiceRole)" in message
    assert "'Consumer'" in message and "'Orders'" in message and "DependencyCycle" not in message
    assert "iam.Role.from_role_arn(self, id, role.role_arn)" in message

    _consumer_app(tmp_path / "pattern", role_in_principals=True).synth()
    findings = audit_path(tmp_path / "pattern")
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]


def _consumer_function(app: cdk.App, environment: dict[str, str]) -> Any:
    """A function in a stack ``Consumer`` whose environment references ``environment``."""
    from aws_cdk import aws_lambda as lambda_

    return lambda_.Function(
        cdk.Stack(app, "Consumer", env=ENV), "Fn", runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler", environment=environment,
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )  # fmt: skip


def test_a_capability_grant_that_would_cycle_is_refused(tmp_path: Path) -> None:
    """The same cycle through ``domain.grant_read(role)`` of a consumer stack's role."""

    app, orders = _orders_app(tmp_path)
    queue = orders.domain.queue("Work")
    fn = _consumer_function(app, {"QUEUE": queue.queue_url})
    assert fn.role is not None
    orders.domain.grant_read(fn.role)
    with pytest.raises(Exception, match=r"grant_read\(Consumer/Fn/ServiceRole\)"):
        app.synth()


@pytest.mark.parametrize("through", ["reference", "add_dependency"])
def test_an_indirect_cross_stack_grant_cycle_is_refused(tmp_path: Path, through: str) -> None:
    """The consumer's stack does not reference the domain's stack itself, but a middle stack it
    depends on does (a token of a middle resource, or ``add_dependency``): the key policy names
    the consumer's role, so the domain deploys after the consumer, which deploys after the
    middle, which deploys after the domain. The CDK raised a bare ``DependencyCycle``; now the
    message names the grant and the path of stacks that closes the cycle."""
    from aws_cdk import aws_sqs as sqs

    app, orders = _orders_app(tmp_path)
    queue = orders.domain.queue("Work")
    middle = cdk.Stack(app, "Middle", env=ENV)
    relay = sqs.Queue(middle, "Relay")
    if through == "reference":
        cdk.CfnOutput(middle, "Work", value=queue.queue_url)
    else:
        middle.add_dependency(orders)
    fn = _consumer_function(app, {"RELAY": relay.queue_url})
    assert fn.role is not None
    orders.domain.grant_read(fn.role)
    with pytest.raises(Exception) as raised:
        app.synth()
    message = str(raised.value)
    assert "grant_read(Consumer/Fn/ServiceRole)" in message, message
    assert "'Consumer' -> 'Middle' -> 'Orders'" in message and "DependencyCycle" not in message

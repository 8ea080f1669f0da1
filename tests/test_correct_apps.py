"""Correct apps the checks must pass (issue #19, second attack review of the open-world checks).

Each part is an ordinary app that works on AWS and drew an error before:

* a domain queue whose resource policy names the account itself (``AccountRootPrincipal``, as the
  AWS Solutions Constructs' "owner only" statements do) in an environment-agnostic stack: the
  account root hands the decision back to IAM, it lets nobody in (was CDKP019: the account ARN
  written with ``${AWS::Partition}`` was not read as the account);
* a bucket of another stack replicating into a domain bucket, its replicas on the domain key (the
  replication destination's key): the source's own data is not the domain's (was CDKP004 and
  CDKP008: the bucket was held to the domain by its destination's key);
* a group of the principals stack given a domain bucket through an import of its name, its only
  member a named reader (was CDKP020: a group imported by export was not followed).
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from conftest import cdk_context, synth_and_audit

from cdk_partition import DomainStack
from cdk_partition.audit import Finding


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    out = tmp_path_factory.mktemp("correct")
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    replication = iam.Role(
        people, "Replication", assumed_by=iam.ServicePrincipal("s3.amazonaws.com")
    )
    analysts = iam.Group(people, "Analysts")
    alice = iam.User(people, "alice", user_name="alice", groups=[analysts])
    orders = DomainStack(
        app, "Orders", domain_name="orders", administrators=[ci], readers=[alice],
        writers=[replication],
    )  # fmt: skip
    domain = orders.domain
    jobs = domain.queue("Jobs")
    jobs.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.AccountRootPrincipal()], actions=["sqs:SendMessage", "sqs:ReceiveMessage"],
        resources=[jobs.queue_arn],
    ))  # fmt: skip
    docs = domain.bucket("Docs")
    docs.grant_read(iam.Group.from_group_name(orders, "AnalystsRef", analysts.group_name))
    landing = domain.bucket("Landing", versioned=True)
    ingest = cdk.Stack(app, "Ingest")
    s3.Bucket(
        ingest, "Raw", versioned=True,
        encryption_key=kms.Key(ingest, "IngestKey", enable_key_rotation=True),
        replication_role=iam.Role.from_role_arn(ingest, "ReplicationRef", replication.role_arn),
        replication_rules=[s3.ReplicationRule(
            destination=landing, priority=1, kms_key=domain.ikey, sse_kms_encrypted_objects=True
        )],
    )  # fmt: skip
    return synth_and_audit(app, out)


def test_a_correct_app_draws_no_error(findings: list[Finding]) -> None:
    assert [(f.rule, f.path) for f in findings if f.severity == "error"] == []


def test_a_grant_on_every_resource_is_a_warning_not_an_error(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """A Cognito user pool sending SMS: the CDK gives its role ``sns:Publish`` on ``"*"`` (SMS to
    phone numbers needs it), and the domain has a topic. ``"*"`` names no store: the role may
    never publish to the domain topic, so "the call fails at run time" was an overclaim (it was
    CDKP019, an error). Now CDKP025, a warning that says both readings; the same role with the
    topic named in its policy is still CDKP019."""
    from aws_cdk import aws_cognito as cognito

    out = tmp_path_factory.mktemp("star")
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci])
    notes = orders.domain.topic("Notes")
    auth = cdk.Stack(app, "Auth")
    cognito.UserPool(
        auth,
        "Users",
        mfa=cognito.Mfa.OPTIONAL,
        mfa_second_factor=cognito.MfaSecondFactor(sms=True, otp=False),
    )
    named = iam.Role(orders, "Publisher", assumed_by=iam.AccountRootPrincipal())
    notes.grant_publish(named)
    findings = synth_and_audit(app, out)
    star = [f for f in findings if f.path.startswith("Auth/Users/smsRole")]
    assert [(f.rule, f.severity) for f in star] == [("CDKP025", "warning")], star
    assert "if the principal is meant to use the store" in star[0].message
    assert "scope the grant to the resources it is for" in (star[0].fix or "")
    assert [f.rule for f in findings if f.path.startswith("Orders/Publisher")] == ["CDKP019"]

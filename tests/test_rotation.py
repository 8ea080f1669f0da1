"""Secret rotation on a domain secret (issue #19, item 3): a hosted rotation is a finding
(CDKP022: its role cannot be named in the key policy), and the fix as written (a function of the
app, its role named) synthesizes with no error finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from test_integrations import _function, _synth

from cdk_partition import DomainStack


def _rotated(fixed: bool) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        secret = orders.domain.secret("ApiKey")
        if not fixed:
            secret.add_rotation_schedule(
                "Rotation", hosted_rotation=secretsmanager.HostedRotation.mysql_single_user()
            )
            return
        fn = _function(orders, "Rotator")
        secret.add_rotation_schedule(
            "Rotation", rotation_lambda=fn, automatically_after=cdk.Duration.days(30)
        )
        assert fn.role is not None
        orders.domain.grant_read(fn.role)
        orders.domain.grant_write(fn.role)

    return build


def test_a_hosted_rotation_of_a_domain_secret_is_a_finding_and_its_fix_passes(
    tmp_path: Path,
) -> None:
    findings = _synth(tmp_path / "hosted", _rotated(False))
    (found,) = [f for f in findings if f.rule == "CDKP022"]
    assert found.resource_type == "AWS::SecretsManager::RotationSchedule"
    assert "Orders/Domain/ApiKey" in found.message and found.location == "HostedRotationLambda"
    assert "rotation_lambda=fn" in found.fix and "domain.grant_read(fn.role)" in found.fix

    findings = _synth(tmp_path / "own", _rotated(True))  # the fix, as written
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]


def test_without_naming_the_rotation_role_the_identity_check_says_so(tmp_path: Path) -> None:
    def build(orders: DomainStack) -> None:
        fn = _function(orders, "Rotator")
        orders.domain.secret("ApiKey").add_rotation_schedule("Rotation", rotation_lambda=fn)

    findings = _synth(tmp_path, build)
    found = [f for f in findings if f.rule == "CDKP019"]
    assert found and "Orders/Rotator/ServiceRole" in found[0].message, [
        (f.rule, f.message) for f in findings
    ]


def _attached_by_arn(fixed: bool) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        from aws_cdk import aws_iam as iam

        queue = orders.domain.queue("Work")
        policy = iam.ManagedPolicy(
            orders, "ReadWork",
            statements=[iam.PolicyStatement(actions=["sqs:ReceiveMessage"],
                                            resources=[queue.queue_arn])],
        )  # fmt: skip
        if not fixed:
            iam.Role(
                orders, "Worker", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                managed_policies=[policy],
            )  # fmt: skip
            return
        # the fix as written: the role waits on the key (its policy names the queue), so it is
        # created in a stack that deploys first, imported here, then named in the key policy
        # (naming it where it was closed a cycle, CDKP012)
        people = orders.node.root.node.find_child("Principals")
        made = iam.Role(
            people, "Worker", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        )
        policy.attach_to_role(iam.Role.from_role_arn(orders, "WorkerRef", made.role_arn))
        orders.domain.grant_read(made)

    return build


def test_a_managed_policy_attached_by_arn_is_followed(tmp_path: Path) -> None:
    """The role attaches the app's managed policy through ManagedPolicyArns (a Ref): the audit
    follows it to the role (CDKP019 naming it); the fix as written clears it."""
    findings = _synth(tmp_path / "before", _attached_by_arn(False))
    found = [f for f in findings if f.rule == "CDKP019"]
    assert len(found) == 1 and "Orders/Worker" in found[0].message, [
        (f.rule, f.message) for f in findings
    ]
    assert "depends on the domain key within stack 'Orders'" in (found[0].fix or "")
    assert "then `domain.grant_read(role)`" in (found[0].fix or "")
    findings = _synth(tmp_path / "after", _attached_by_arn(True))
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]

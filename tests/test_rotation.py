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

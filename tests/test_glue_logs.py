"""A Glue security configuration on the domain key encrypts its jobs' and crawlers' CloudWatch
Logs with it (issue #19, a run-time service statement AWS documents for a type on the key): the
logs service principal must be allowed in the key policy ("Any ETL job or crawler that writes
encrypted Amazon CloudWatch Logs requires the following permissions in the key and IAM policies",
AWS Glue Developer Guide, "Setting up encryption in AWS Glue"). Before, the domain wrote nothing,
synth and audit were silent, and every job's logging failed at run time (found by an attack).

Now the domain writes the statement for every security configuration on the key (whatever put it
there), scoped by the CloudWatch Logs encryption context to the log groups of the key's account
and region; the requests are decided by our evaluator and by ``@cloud-copilot/iam-simulate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_glue as glue
from test_integrations import _concrete_key_policy, _decisions, _synth
from test_oracle_iam_simulate import ACCOUNT, REGION, Case, service

from cdk_partition import DomainStack
from cdk_partition.audit import Finding
from cdk_partition.knowledge import contracts

LOGS = f"logs.{REGION}.amazonaws.com"


def _configuration(on_key: bool) -> Any:
    """A security configuration the mixin puts on the domain key; or none (the bare app)."""

    def build(orders: DomainStack) -> None:
        if not on_key:
            return
        sec = glue.CfnSecurityConfiguration(
            orders, "Jobs", name="orders-jobs",
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(),
        )  # fmt: skip
        cdk.Mixins.of(sec).apply(orders.domain.encryption_at_rest())

    return build


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, tuple[Path, list[Finding]]]:
    out = {}
    for on_key in (True, False):
        path = tmp_path_factory.mktemp("on-key" if on_key else "bare")
        out[on_key] = (path, _synth(path, _configuration(on_key)))
    return out


def _cases(policy: dict[str, Any], log_group: str) -> list[Case]:
    rows = contracts.rows_for("glue_cloudwatch_logs")
    context = {"kms:EncryptionContext:aws:logs:arn": log_group}
    return [
        Case("glue-logs", policy, service(LOGS), action, context)
        for row in rows
        for action in ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
        if row.caller == "service_principal"
    ]


_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/jobs/orders-jobs-role/job/output"


def test_the_logs_service_may_encrypt_the_jobs_log_groups(
    synthesized: dict[bool, tuple[Path, list[Finding]]],
) -> None:
    path, findings = synthesized[True]
    assert [f.message for f in findings if f.severity == "error"] == []
    ours, theirs = _decisions(_cases(_concrete_key_policy(path), _GROUP))
    assert ours == theirs == ["allow"] * 3, (ours, theirs)


def test_only_log_groups_of_the_keys_account_and_region(
    synthesized: dict[bool, tuple[Path, list[Finding]]],
) -> None:
    policy = _concrete_key_policy(synthesized[True][0])
    for group in (
        _GROUP.replace(ACCOUNT, "999999999999"),
        _GROUP.replace(REGION, "us-east-1"),
    ):
        ours, theirs = _decisions(_cases(policy, group))
        assert "allow" not in ours and "allow" not in theirs, (group, ours, theirs)


def test_no_configuration_on_the_key_no_statement(
    synthesized: dict[bool, tuple[Path, list[Finding]]],
) -> None:
    ours, theirs = _decisions(_cases(_concrete_key_policy(synthesized[False][0]), _GROUP))
    assert "allow" not in ours and "allow" not in theirs, (ours, theirs)

"""S3 table buckets on the domain key (issue #19: contracts follow the stores however they were
made): AWS says the S3 Tables maintenance service principal needs ``kms:GenerateDataKey`` and
``kms:Decrypt`` on the key to create SSE-KMS tables and maintain them (the ``table_bucket``
contract row and its page). The domain writes that statement when a table bucket is on its key,
whether an L1 names the key or the mixin put it there; our evaluator and the independent
simulator ``@cloud-copilot/iam-simulate`` both allow the requests, and only for that service.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3tables as s3tables
from test_integrations import _concrete_key_policy, _decisions, _synth
from test_oracle_iam_simulate import Case, caller_for_arn, service

from cdk_partition import DomainStack
from cdk_partition.knowledge import contracts

(ROW,) = contracts.rows_for_type("AWS::S3Tables::TableBucket")


def _l1(orders: DomainStack) -> None:
    s3tables.CfnTableBucket(
        orders,
        "Lake",
        table_bucket_name="orders-lake",
        encryption_configuration=s3tables.CfnTableBucket.EncryptionConfigurationProperty(
            sse_algorithm="aws:kms", kms_key_arn=orders.domain.key.key_arn
        ),
    )


def _mixin(orders: DomainStack) -> None:
    bucket = s3tables.CfnTableBucket(orders, "Lake", table_bucket_name="orders-lake")
    cdk.Mixins.of(bucket).apply(orders.domain.encryption_at_rest())


@pytest.mark.parametrize("build", [_l1, _mixin], ids=["l1-names-the-key", "mixin"])
def test_a_table_bucket_on_the_key_lets_the_maintenance_principal_in(
    tmp_path: Path, build: Callable[[DomainStack], None]
) -> None:
    findings = _synth(tmp_path, build)
    assert [f.message for f in findings if f.severity == "error"] == []
    policy = _concrete_key_policy(tmp_path)
    cases = [Case("s3tables:maintenance", policy, service(ROW.principal), a) for a in ROW.actions]
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * len(ROW.actions), (ours, theirs)
    # and nobody else gets in through that statement
    other = caller_for_arn("arn:aws:iam::999999999999:role/stranger")
    others = [Case("s3tables:stranger", policy, other, a) for a in ROW.actions]
    ours, theirs = _decisions(others)
    assert ours == theirs and "allow" not in ours, (ours, theirs)


def test_no_table_bucket_no_statement(tmp_path: Path) -> None:
    _synth(tmp_path, lambda orders: orders.domain.queue("Jobs"))
    policy = _concrete_key_policy(tmp_path)
    assert ROW.principal not in str(policy)

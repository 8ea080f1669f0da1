"""AWS Backup selections of domain stores (issue #19, item 3): the selection's role must be named
by the domain key (CDKP023), or the backup job "is successful but the objects are not backed up".

Written the ordinary CDK way (``plan.add_selection(...)``), checked against the key policy by our
evaluator and by the independent simulator ``@cloud-copilot/iam-simulate``; the fix the finding
prints (``domain.grant_read(selection)``), applied as written, makes both allow the requests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from test_integrations import _concrete_key_policy, _decisions, _synth
from test_oracle_iam_simulate import ACCOUNT, PSEUDO_PARAMETERS, REGION, Case, caller_for_arn

from cdk_partition import DomainStack
from cdk_partition.audit import Finding
from cdk_partition.knowledge.backup_kms import row_for

Build = Callable[[DomainStack], None]


def _table(orders: DomainStack) -> backup.BackupResource:
    table = orders.domain.table(
        "Orders", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    )
    return backup.BackupResource.from_dynamo_db_table(table)


def _bucket(orders: DomainStack) -> backup.BackupResource:
    bucket = orders.domain.bucket("Documents", versioned=True)
    return backup.BackupResource.from_arn(bucket.bucket_arn)


def _selection(resource: Callable[[DomainStack], backup.BackupResource], fixed: bool) -> Build:
    def build(orders: DomainStack) -> None:
        plan = backup.BackupPlan.daily35_day_retention(
            orders, "Plan", backup_vault=orders.domain.backup_vault("Vault")
        )
        selection = plan.add_selection("Selection", resources=[resource(orders)])
        if fixed:
            orders.domain.grant_read(selection)

    return build


def _cases(out: Path, finding: Finding, store_type: str) -> list[Case]:
    """The role's KMS requests for ``store_type``, as the simulator sees them."""
    row = row_for(store_type)
    arn = str(finding.value)
    for pseudo, value in PSEUDO_PARAMETERS.items():
        arn = arn.replace(pseudo, value)
    context = {"kms:CallerAccount": ACCOUNT}
    if row.service:
        context["kms:ViaService"] = f"{row.service}.{REGION}.amazonaws.com"
    policy = _concrete_key_policy(out)
    return [
        Case("backup:selection", policy, caller_for_arn(arn), r, context, identity_allows=True)
        for r in row.kms_requests
    ]


@pytest.mark.parametrize(
    ("resource", "store_type"),
    [(_table, "AWS::DynamoDB::Table"), (_bucket, "AWS::S3::Bucket")],
    ids=["dynamodb-table", "s3-bucket"],
)
def test_a_backup_selection_of_a_domain_store(
    tmp_path: Path, resource: Callable[[DomainStack], backup.BackupResource], store_type: str
) -> None:
    findings = _synth(tmp_path / "before", _selection(resource, False))
    found = [f for f in findings if f.rule == "CDKP023"]
    assert len(found) == 1, [(f.rule, f.message) for f in findings]
    assert "Orders/Plan/Selection/Role" in found[0].message
    assert "`domain.grant_read(selection)`" in found[0].fix
    assert row_for(store_type).url in found[0].message
    cases = _cases(tmp_path / "before", found[0], store_type)
    ours, theirs = _decisions(cases)
    assert ours == theirs and "allow" not in ours, (ours, theirs)

    findings = _synth(tmp_path / "after", _selection(resource, True))  # the fix, as written
    assert [f.rule for f in findings if f.severity == "error"] == [], [f.message for f in findings]
    ours, theirs = _decisions(_cases(tmp_path / "after", found[0], store_type))
    assert ours == theirs == ["allow"] * len(cases), (ours, theirs)


def test_a_selection_by_tags_in_a_domain_stack_cannot_be_followed(tmp_path: Path) -> None:
    def build(orders: DomainStack) -> None:
        _table(orders)
        plan = backup.BackupPlan.daily35_day_retention(
            orders, "Plan", backup_vault=orders.domain.backup_vault("Vault")
        )
        plan.add_selection("ByTag", resources=[backup.BackupResource.from_tag("backup", "daily")])

    findings = _synth(tmp_path, build)
    found = [f for f in findings if f.rule == "CDKP020"]
    assert len(found) == 1 and "ListOfTags" in found[0].message, [f.message for f in findings]
    assert "BackupResource.from_arn" in found[0].fix


def test_the_s3_row_and_the_default_cite_aws() -> None:
    assert row_for("AWS::S3::Bucket").service == "s3"
    default = row_for("AWS::EFS::FileSystem")
    assert default.service is None and "documents no KMS request" in default.note
    assert default.url.startswith("https://docs.aws.amazon.com/aws-backup/")


def test_the_docs_show_the_table_from_the_code() -> None:
    from cdk_partition.knowledge.backup_kms import BACKUP_ROWS, DEFAULT, render_markdown

    page = (Path(__file__).parent.parent / "docs" / "identities.md").read_text()
    assert "<!-- gen:backup-roles -->" in page
    table = render_markdown()
    assert all(row.url in table for row in (*BACKUP_ROWS, DEFAULT))

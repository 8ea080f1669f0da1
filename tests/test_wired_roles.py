"""Roles the app's wiring makes use the domain key (issue #19, "Every integration works").

* A DynamoDB table streaming its item-level changes into a Kinesis data stream on the key
  (``kinesis_stream=``): DynamoDB writes the records with its service-linked role
  ``AWSServiceRoleForDynamoDBKinesisDataStreamsReplication``, which asks the key for
  ``kms:GenerateDataKey`` through Kinesis ("DynamoDBKinesisReplicationServiceRolePolicy", AWS
  Managed Policy Reference).
* A table created by importing the objects of a bucket on the key (``import_source=``):
  CloudFormation's role reads them, ``kms:Decrypt`` through S3 ("Requesting a table import in
  DynamoDB", Amazon DynamoDB Developer Guide).

``DenyEveryoneElse`` refuses a role the key policy does not name: the streaming failed at run
time and the import at deploy while synth was silent (attacks found both). The key policy names
the role when the template shows the wiring (an L2 table of any stack, a ``TableV2`` replica);
the audit holds the contract rows against the key policy when it cannot (a store imported by a
hand-written export name: CDKP021, whose fix ``domain.allow_integration(...)`` passes as
written). Every request is decided by our evaluator and the independent simulator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_s3 as s3
from conftest import cdk_context
from test_integrations import _concrete_key_policy, _decisions, imported_by_export
from test_oracle_iam_simulate import ACCOUNT, REGION, Case, caller_for_arn

from cdk_partition import DomainStack, audit_path
from cdk_partition.audit import Finding
from cdk_partition.knowledge import contracts
from cdk_partition.knowledge.capabilities import LINKED_ROLE_SIDS, WIRED_DEPLOYMENT_SIDS

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
CONTRACT = "table_kinesis_stream"
SERVICE = "kinesisreplication.dynamodb.amazonaws.com"
ROLE = "AWSServiceRoleForDynamoDBKinesisDataStreamsReplication"
_KEY = ddb.Attribute(name="pk", type=ddb.AttributeType.STRING)

Build = Callable[[cdk.App, DomainStack], None]


def _synth(out: Path, build: Build) -> tuple[dict[str, Any], list[Finding]]:
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    build(app, orders)
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth on an error finding
        assert "alidation" in str(error), error
    return _concrete_key_policy(out), audit_path(out)


def _domain_table(app: cdk.App, orders: DomainStack) -> None:
    """The domain's own table streaming into the domain's stream."""
    del app
    d = orders.domain
    d.table("Orders", partition_key=_KEY, kinesis_stream=d.stream("Changes"))


def _consumer_table_v2(app: cdk.App, orders: DomainStack) -> None:
    """A ``TableV2`` of another stack (its replica's KinesisStreamSpecification) streaming into
    the domain's stream, the ordinary CDK way."""
    stream = orders.domain.stream("Changes")
    consumers = cdk.Stack(app, "Consumers", env=ENV)
    ddb.TableV2(consumers, "Audit", partition_key=_KEY, kinesis_stream=stream)


def _elsewhere(app: cdk.App, orders: DomainStack) -> None:
    """A table streaming into a stream that is not on the key: no statement for the role."""
    orders.domain.stream("Changes")
    other = cdk.Stack(app, "Elsewhere", env=ENV)
    stream = kinesis.Stream(other, "Plain", encryption=kinesis.StreamEncryption.MANAGED)
    ddb.Table(other, "Table", partition_key=_KEY, kinesis_stream=stream)


def _imported(fixed: bool) -> Build:
    """A consumer's table streaming into the domain stream imported by a hand-written export
    name: the key policy cannot follow it, the audit can."""

    def build(app: cdk.App, orders: DomainStack) -> None:
        del app
        stream = orders.domain.stream("Changes")
        consumers, arn = imported_by_export(orders, stream.stream_arn, "changes")
        imported = kinesis.Stream.from_stream_arn(consumers, "Changes", arn)
        ddb.Table(consumers, "Table", partition_key=_KEY, kinesis_stream=imported)
        if fixed:
            orders.domain.allow_integration(CONTRACT)

    return build


_APPS: dict[str, Build] = {
    "domain": _domain_table,
    "table_v2": _consumer_table_v2,
    "elsewhere": _elsewhere,
    "imported": _imported(False),
    "fixed": _imported(True),
}


@pytest.fixture(scope="module")
def synthesized(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[dict[str, Any], list[Finding]]]:
    apps = {**_APPS, **{f"import-{name}": build for name, build in _IMPORTS.items()}}
    return {name: _synth(tmp_path_factory.mktemp(name), build) for name, build in apps.items()}


def _cases(policy: dict[str, Any]) -> list[Case]:
    """The role's requests (its contract rows) against ``policy``."""
    values = {"{account}": ACCOUNT, "{region}": REGION, "{partition}": "aws"}

    def fill(text: str) -> str:
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    rows = [r for r in contracts.rows_for(CONTRACT) if r.caller == "service_linked_role"]
    assert rows and all(ROLE in r.principal for r in rows)
    return [
        Case(f"linked-role:{CONTRACT}", policy, caller_for_arn(fill(row.principal)), action,
             {k: fill(v) for k, v in row.context.items()}, identity_allows=True)
        for row in rows
        for action in row.actions
    ]  # fmt: skip


@pytest.mark.parametrize("app", ["domain", "table_v2", "fixed"])
def test_the_role_streaming_into_a_domain_stream_is_allowed_its_requests(
    synthesized: dict[str, tuple[dict[str, Any], list[Finding]]], app: str
) -> None:
    policy, findings = synthesized[app]
    sids = {s.get("Sid") for s in policy["Statement"]}
    assert LINKED_ROLE_SIDS[CONTRACT] in sids, sids
    ours, theirs = _decisions(_cases(policy))
    assert ours == theirs and set(ours) == {"allow"}, (ours, theirs)
    errors = [f for f in findings if f.severity == "error"]
    assert not errors, [f.message for f in errors]


def test_the_role_is_named_by_a_condition_not_as_a_principal_that_must_exist(
    synthesized: dict[str, tuple[dict[str, Any], list[Finding]]],
) -> None:
    """KMS refuses a key policy whose principal does not exist yet (CreateKey: "The principals
    in the key policy must exist and be visible to KMS"), and DynamoDB creates the role only when
    a table first streams, after the key: the role is an ``aws:PrincipalArn`` value under the
    account's principal. Another role of the account is still refused, and the role itself is
    refused when its own policy does not allow the request."""
    policy, _ = synthesized["domain"]
    (statement,) = [s for s in policy["Statement"] if s.get("Sid") == LINKED_ROLE_SIDS[CONTRACT]]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, statement
    assert ROLE in statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    (case,) = _cases(policy)
    other = Case("other-role", policy, caller_for_arn(f"arn:aws:iam::{ACCOUNT}:role/someone"),
                 case.action, dict(case.context), identity_allows=True)  # fmt: skip
    bare = Case("no-identity", policy, case.caller, case.action, dict(case.context))
    ours, theirs = _decisions([other, bare])
    assert ours == theirs and "allow" not in ours, (ours, theirs)


def test_no_wiring_to_the_key_no_statement(
    synthesized: dict[str, tuple[dict[str, Any], list[Finding]]],
) -> None:
    policy, findings = synthesized["elsewhere"]
    assert ROLE not in str(policy)
    ours, theirs = _decisions(_cases(policy))
    assert ours == theirs and "allow" not in ours, (ours, theirs)
    assert not [f for f in findings if f.rule == "CDKP021"], [f.message for f in findings]


def test_a_stream_the_key_policy_cannot_follow_is_cdkp021_and_its_fix_passes(
    synthesized: dict[str, tuple[dict[str, Any], list[Finding]]],
) -> None:
    policy, findings = synthesized["imported"]
    assert ROLE not in str(policy)
    found = [f for f in findings if f.rule == "CDKP021"]
    assert len(found) == 1, [f.message for f in findings]
    assert found[0].resource_type == "AWS::DynamoDB::Table"
    assert ROLE in found[0].message and "kms:GenerateDataKey" in found[0].message
    assert f'`domain.allow_integration("{CONTRACT}")`' in (found[0].fix or "")
    _, fixed = synthesized["fixed"]  # the fix, as written
    assert not [f for f in fixed if f.rule == "CDKP021"], [f.message for f in fixed]


def test_an_unknown_integration_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    ci = iam.User(cdk.Stack(app, "Principals", env=ENV), "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    with pytest.raises(ValueError, match=r"allow_integration\('dynamodb_replication'\).*"
                       r"table_import_source.*table_kinesis_stream"):  # fmt: skip
        orders.domain.allow_integration("dynamodb_replication")


# -- a table importing a bucket on the key ---------------------------------------------------
IMPORT = "table_import_source"
_FORMAT = ddb.InputFormat.dynamo_db_json()


def _import_same_stack(app: cdk.App, orders: DomainStack) -> None:
    del app
    bucket = orders.domain.bucket("Imports")
    orders.domain.table("Loaded", partition_key=_KEY,
                        import_source=ddb.ImportSourceSpecification(bucket=bucket, input_format=_FORMAT))  # fmt: skip


def _import_other_stack(app: cdk.App, orders: DomainStack) -> None:
    bucket = orders.domain.bucket("Imports")
    consumers = cdk.Stack(app, "Consumers", env=ENV)
    ddb.Table(consumers, "Loaded", partition_key=_KEY,
              import_source=ddb.ImportSourceSpecification(bucket=bucket, input_format=_FORMAT))  # fmt: skip


def _import_elsewhere(app: cdk.App, orders: DomainStack) -> None:
    orders.domain.bucket("Imports")
    other = cdk.Stack(app, "Elsewhere", env=ENV)
    bucket = s3.Bucket(other, "Plain")
    ddb.Table(other, "Loaded", partition_key=_KEY,
              import_source=ddb.ImportSourceSpecification(bucket=bucket, input_format=_FORMAT))  # fmt: skip


def _import_by_export(fixed: bool) -> Build:
    def build(app: cdk.App, orders: DomainStack) -> None:
        del app
        bucket = orders.domain.bucket("Imports")
        consumers, name = imported_by_export(orders, bucket.bucket_name, "imports")
        imported = s3.Bucket.from_bucket_name(consumers, "Imports", name)
        ddb.Table(consumers, "Loaded", partition_key=_KEY,
                  import_source=ddb.ImportSourceSpecification(bucket=imported, input_format=_FORMAT))  # fmt: skip
        if fixed:
            orders.domain.allow_integration(IMPORT)

    return build


_IMPORTS: dict[str, Build] = {
    "same": _import_same_stack,
    "other": _import_other_stack,
    "elsewhere": _import_elsewhere,
    "exported": _import_by_export(False),
    "exported-fixed": _import_by_export(True),
}


DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"


def _import_cases(policy: dict[str, Any]) -> list[Case]:
    rows = [r for r in contracts.rows_for(IMPORT) if r.caller == "deployment_role"]
    assert rows
    return [
        Case(f"wired-deployment:{IMPORT}", policy, caller_for_arn(DEPLOYER), action,
             {k: v.replace("{region}", REGION) for k, v in row.context.items()})
        for row in rows
        for action in row.actions
    ]  # fmt: skip


@pytest.mark.parametrize("app", ["same", "other", "exported-fixed"])
def test_cloudformation_reading_a_domain_bucket_to_import_a_table_is_allowed(
    synthesized: dict[str, tuple[dict[str, Any], list[Finding]]], app: str
) -> None:
    policy, findings = synthesized[f"import-{app}"]
    assert WIRED_DEPLOYMENT_SIDS[IMPORT] in {s.get("Sid") for s in policy["Statement"]}
    ours, theirs = _decisions(_import_cases(policy))
    assert ours == theirs and set(ours) == {"allow"}, (ours, theirs)
    errors = [f for f in findings if f.severity == "error"]
    assert not errors, [f.message for f in errors]


def test_the_import_statement_reads_through_s3_only(
    synthesized: dict[str, tuple[dict[str, Any], list[Finding]]],
) -> None:
    """No wider than the row: kms:Decrypt through S3, not another service or action (the table
    of another stack puts nothing else of the deployment role's on the key)."""
    policy, _ = synthesized["import-other"]
    cases = [
        Case("through-dynamodb", policy, caller_for_arn(DEPLOYER), "kms:Decrypt",
             {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}),
        Case("data-key", policy, caller_for_arn(DEPLOYER), "kms:GenerateDataKey",
             {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}),
    ]  # fmt: skip
    ours, theirs = _decisions(cases)
    assert ours == theirs and "allow" not in ours, (ours, theirs)


def test_no_import_from_the_key_no_statement(
    synthesized: dict[str, tuple[dict[str, Any], list[Finding]]],
) -> None:
    policy, findings = synthesized["import-elsewhere"]
    assert WIRED_DEPLOYMENT_SIDS[IMPORT] not in {s.get("Sid") for s in policy["Statement"]}
    assert not [f for f in findings if f.rule == "CDKP021"], [f.message for f in findings]


def test_an_import_the_key_policy_cannot_follow_is_cdkp021_and_its_fix_passes(
    synthesized: dict[str, tuple[dict[str, Any], list[Finding]]],
) -> None:
    policy, findings = synthesized["import-exported"]
    assert WIRED_DEPLOYMENT_SIDS[IMPORT] not in {s.get("Sid") for s in policy["Statement"]}
    found = [f for f in findings if f.rule == "CDKP021"]
    assert len(found) == 1, [f.message for f in findings]
    assert found[0].resource_type == "AWS::DynamoDB::Table"
    assert "cfn-exec-role" in found[0].message and "kms:Decrypt" in found[0].message
    assert f'`domain.allow_integration("{IMPORT}")`' in (found[0].fix or "")
    _, fixed = synthesized["import-exported-fixed"]  # the fix, as written
    assert not [f for f in fixed if f.rule == "CDKP021"], [f.message for f in fixed]

"""Issue #13 (first part): a domain defined elsewhere, checked by its exact key ARN, and
principals of other accounts named in a domain key policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from conftest import cdk_context

from cdk_partition import DataDomain, DomainEncryptionChecks, DomainReference, audit_path
from cdk_partition.audit import failing
from cdk_partition.policy import evaluator

OWNER, WORKLOAD, ANALYTICS = "111111111111", "222222222222", "333333333333"
KEY = f"arn:aws:kms:eu-west-1:{OWNER}:key/0123abcd-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("reference") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    stack = cdk.Stack(app, "Workload", env=cdk.Environment(account=WORKLOAD, region="eu-west-1"))
    ref = DataDomain.from_domain_attributes(stack, "Orders", domain_name="orders", key_arn=KEY)
    DomainEncryptionChecks(ref).apply_to(stack)
    ref.queue("Jobs")
    ref.table(
        "Orders", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    )
    other_region = KEY.replace("eu-west-1", "us-east-1")
    sqs.CfnQueue(stack, "OtherRegion", kms_master_key_id=other_region)
    sqs.CfnQueue(stack, "OtherAccount", kms_master_key_id=KEY.replace(OWNER, "444444444444"))
    sqs.CfnQueue(stack, "OtherKeyId", kms_master_key_id=KEY.replace("0123abcd", "9999abcd"))
    sqs.CfnQueue(stack, "ByAlias", kms_master_key_id=f"arn:aws:kms:eu-west-1:{OWNER}:alias/orders")
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    return {"findings": audit_path(outdir), "ref": ref}


def test_stores_of_a_reference_name_the_exact_key(workload: dict[str, Any]) -> None:
    ok = [f for f in workload["findings"] if "Jobs" in f.path or "OrdersOrders" in f.path]
    assert failing(ok) == []


@pytest.mark.parametrize("store", ["OtherRegion", "OtherAccount", "OtherKeyId", "ByAlias"])
def test_any_other_key_fails_with_the_same_rules(workload: dict[str, Any], store: str) -> None:
    (finding,) = [f for f in workload["findings"] if f.path.endswith(store)]
    assert finding.rule == "CDKP004" and finding.domain == "orders"


def test_a_reference_cannot_change_the_key_policy(workload: dict[str, Any]) -> None:
    ref: DomainReference = workload["ref"]
    with pytest.raises(ValueError, match="owns the domain"):
        ref.grant_read(iam.ArnPrincipal(f"arn:aws:iam::{WORKLOAD}:role/reader"))
    with pytest.raises(ValueError, match="owns the domain"):
        ref.add_to_key_policy(iam.PolicyStatement(actions=["kms:Decrypt"], resources=["*"]))
    # the table's service contract needs grants through DynamoDB: said, not silently dropped
    assert any("dynamodb" in r for r in ref.key_policy_requirements)


def test_a_reference_needs_a_key_arn() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ValueError, match="key ARN"):
        DataDomain.from_domain_attributes(stack, "R", domain_name="orders", key_arn="alias/orders")


def test_principals_of_other_accounts_are_named_exactly() -> None:
    stack = cdk.Stack(cdk.App(), "Owner", env=cdk.Environment(account=OWNER, region="eu-west-1"))
    reader = f"arn:aws:iam::{ANALYTICS}:role/analyst"
    DataDomain(
        stack, "Orders", domain_name="orders",
        administrators=[iam.Role.from_role_arn(stack, "Admin", f"arn:aws:iam::{OWNER}:role/admin")],
        readers=[iam.Role.from_role_arn(stack, "Analyst", reader)],
    )  # fmt: skip
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    policy = evaluator.prepare(json.loads(json.dumps(key["Properties"]["KeyPolicy"])))

    def decide(arn: str, account: str) -> str:
        request = evaluator.Request("kms:Decrypt", arn, account, identity_allows=True)
        return evaluator.evaluate(policy, request)

    assert decide(reader, ANALYTICS) == "allow"  # with its own account's IAM policy allowing it
    assert decide(f"arn:aws:iam::{ANALYTICS}:role/other", ANALYTICS) == "explicit_deny"
    assert decide(f"arn:aws:iam::{ANALYTICS}:root", ANALYTICS) == "explicit_deny"


def test_reference_marks_carry_the_key(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context=cdk_context())
    stack = cdk.Stack(app, "W", env=cdk.Environment(account=WORKLOAD, region="eu-west-1"))
    ref = DataDomain.from_domain_attributes(stack, "Orders", domain_name="orders", key_arn=KEY)
    DomainEncryptionChecks(ref).apply_to(stack)
    app.synth()
    template = json.loads((tmp_path / "W.template.json").read_text())
    assert template["Metadata"]["cdk_partition:checks"] == [
        {"domain": "orders", "scope": "", "key": KEY}
    ]


def test_a_referenced_key_belongs_to_its_own_stage(tmp_path: Path) -> None:
    """Two Stages (dev and prod accounts) each reference an ``orders`` key of their own: a store
    of one Stage on the other Stage's key is another key (CDKP004), as for local domains."""
    app = cdk.App(outdir=str(tmp_path / "cdk.out"), context=cdk_context())
    keys = {}
    for name, account in (("Dev", WORKLOAD), ("Prod", ANALYTICS)):
        stage = cdk.Stage(app, name, env=cdk.Environment(account=account, region="eu-west-1"))
        stack = cdk.Stack(stage, "Workload")
        keys[name] = (
            f"arn:aws:kms:eu-west-1:{account}:key/{name.lower()}-0000-0000-0000-000000000000"
        )
        ref = DataDomain.from_domain_attributes(
            stack, "Orders", domain_name="orders", key_arn=keys[name]
        )
        DomainEncryptionChecks(ref).apply_to(stack)
        ref.queue("Jobs")
    prod = app.node.find_child("Prod").node.find_child("Workload")
    sqs.CfnQueue(prod, "OnDevKey", kms_master_key_id=keys["Dev"])
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    findings = failing(audit_path(tmp_path / "cdk.out"))
    assert [(f.rule, f.path.split("/")[-1]) for f in findings] == [("CDKP004", "OnDevKey")]


def test_a_store_of_another_region_than_the_referenced_key_is_refused(tmp_path: Path) -> None:
    """A reference's key serves its own region: a store method in a stack of another region
    raises, and a store written by hand there on that key is CDKP004 (as for a local domain)."""
    app = cdk.App(outdir=str(tmp_path / "cdk.out"), context=cdk_context())
    east = cdk.Stack(app, "East", env=cdk.Environment(account=WORKLOAD, region="us-east-1"))
    ref = DataDomain.from_domain_attributes(east, "Orders", domain_name="orders", key_arn=KEY)
    with pytest.raises(ValueError, match=r"East/Orders/Jobs: .* is in eu-west-1, but stack"):
        ref.queue("Jobs")
    DomainEncryptionChecks(ref).apply_to(east)
    sqs.CfnQueue(east, "ByHand", kms_master_key_id=KEY)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    (finding,) = failing(audit_path(tmp_path / "cdk.out"))
    assert finding.rule == "CDKP004" and finding.path.endswith("ByHand")
    assert "in region eu-west-1" in finding.message and "data is in us-east-1" in finding.message


def test_a_local_key_of_another_stage_is_another_key(tmp_path: Path) -> None:
    """Stage A owns an ``orders`` key; Stage B references the ``orders`` key of another account,
    and one of its queues imports Stage A's key by an export: that is not B's domain key."""
    app = cdk.App(outdir=str(tmp_path / "cdk.out"), context=cdk_context())
    env = cdk.Environment(account=WORKLOAD, region="eu-west-1")
    local = cdk.Stack(cdk.Stage(app, "A", env=env), "Local")
    admin = iam.Role.from_role_arn(local, "Admin", f"arn:aws:iam::{WORKLOAD}:role/admin")
    domain = DataDomain(local, "Orders", domain_name="orders", administrators=[admin])
    DomainEncryptionChecks(domain).apply_to(local)
    cdk.CfnOutput(local, "Out", value=domain.key.key_arn, export_name="LocalOrdersKeyArn")
    workload = cdk.Stack(cdk.Stage(app, "B", env=env), "Workload")
    ref = DataDomain.from_domain_attributes(workload, "Orders", domain_name="orders", key_arn=KEY)
    DomainEncryptionChecks(ref).apply_to(workload)
    ref.queue("Jobs")
    sqs.CfnQueue(
        workload, "ImportLocal", kms_master_key_id=cdk.Fn.import_value("LocalOrdersKeyArn")
    )
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    findings = failing(audit_path(tmp_path / "cdk.out"))
    assert [(f.rule, f.path.rsplit("/", 1)[-1]) for f in findings] == [("CDKP004", "ImportLocal")]

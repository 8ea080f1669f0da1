"""Enforcement at synth time: the aspect + validation plugin, over every place a store can hide.

One app holds every scenario (synthesis costs seconds through jsii); it is synthesized once per
module. The plugin makes ``app.synth()`` fail; the templates are on disk by then, so the audit
of the same cloud assembly is what the assertions read, scenario by scenario.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import cloudformation_include as cfn_inc
from conftest import cdk_context
from constructs import Construct

from cdk_partition import (
    DataDomain,
    DomainEncryptionChecks,
    DomainEncryptionPlugin,
    DomainStack,
    Finding,
    audit_path,
    exempt,
)
from cdk_partition.audit import failing

ADMIN = "arn:aws:iam::111122223333:role/admin"
READER = "arn:aws:iam::111122223333:role/reader"


def _admins(scope: Construct) -> list[iam.IRole]:
    return [iam.Role.from_role_arn(scope, "Admin", ADMIN)]


class DeepStores(Construct):
    """A custom construct two levels deep, hiding an AWS-managed-key queue."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        inner = Construct(self, "Inner")
        sqs.CfnQueue(inner, "HiddenQueue", kms_master_key_id="alias/aws/sqs")


class NestedStores(cdk.NestedStack):
    def __init__(self, scope: Construct, id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, id)
        sqs.Queue(self, "NestedGood", encryption=sqs.QueueEncryption.KMS, encryption_master_key=key)
        sns.Topic(self, "NestedBad")  # unencrypted


def build(outdir: Path, include_template: Path) -> cdk.App:
    app = cdk.App(outdir=str(outdir), context=cdk_context())

    # 1. compliant domain stack: only library-made stores
    good = DomainStack(app, "Good", domain_name="good", administrators=_admins_for(app, "GoodIds"))
    good.domain.bucket("Bucket")
    good.domain.queue("Queue")
    good.domain.table("Table", partition_key={"name": "pk", "type": dynamodb.AttributeType.STRING})

    # 2. violations of every kind in one domain stack
    bad = DomainStack(app, "Bad", domain_name="bad", administrators=_admins_for(app, "BadIds"))
    s3.Bucket(bad, "SseS3Bucket", encryption=s3.BucketEncryption.S3_MANAGED)  # AWS owned
    sqs.CfnQueue(bad, "ManagedQueue", kms_master_key_id="alias/aws/sqs")  # AWS managed
    sqs.Queue(bad, "OwnKeyQueue", encryption=sqs.QueueEncryption.KMS)  # CDK made its own key
    sns.Topic(bad, "PlainTopic")  # unencrypted
    sqs.CfnQueue(
        bad, "ForeignArnQueue", kms_master_key_id="arn:aws:kms:eu-west-1:999999999999:key/1"
    )
    param = cdk.CfnParameter(bad, "KeyParam")
    sqs.CfnQueue(bad, "ParamQueue", kms_master_key_id=param.value_as_string)  # unresolvable
    DeepStores(bad, "Deep")
    overridden = bad.domain.bucket("OverriddenBucket")  # compliant L2 ...
    cfn_bucket = overridden.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.add_property_override(  # ... broken by an escape hatch only the template shows
        "BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault",
        {"SSEAlgorithm": "AES256"},
    )
    hatched = bad.domain.queue("HatchedQueue")  # raw add_override, the other escape hatch
    hatched_cfn = hatched.node.default_child
    assert isinstance(hatched_cfn, sqs.CfnQueue)
    hatched_cfn.add_override("Properties.KmsMasterKeyId", "alias/aws/sqs")
    cfn_include = cfn_inc.CfnInclude(bad, "Included", template_file=str(include_template))
    assert cfn_include is not None
    NestedStores(bad, "Nested", key=bad.domain.key)
    exempted = s3.Bucket(bad, "ExemptBucket", encryption=s3.BucketEncryption.S3_MANAGED)
    exempt(exempted, "CDKP002", "Public website assets that anyone may read by design.")

    # 3. two domains in one app: a store of domain "bad" on domain "good"'s key
    sqs.Queue(
        bad,
        "CrossDomainQueue",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=good.domain.key,
    )

    # 4. a store in another stack that uses the domain key by cross-stack reference
    consumer = cdk.Stack(app, "Consumer")
    cdk.Aspects.of(consumer).add(DomainEncryptionChecks(good.domain))
    sqs.Queue(
        consumer,
        "RemoteGood",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=good.domain.key,
    )
    sqs.Queue(consumer, "RemoteBad", encryption=sqs.QueueEncryption.SQS_MANAGED)

    # 5. a DomainStack inside a Stage
    stage = cdk.Stage(app, "Prod")
    staged = DomainStack(
        stage, "Staged", domain_name="staged", administrators=_admins_for(stage, "StagedIds")
    )
    sns.Topic(staged, "StagedPlainTopic")

    # 6. the aspect on a sub-scope of a plain stack
    plain = cdk.Stack(app, "Plain")
    domain = DataDomain(plain, "Domain", domain_name="scoped", administrators=_admins(plain))
    checked = Construct(plain, "Checked")
    cdk.Aspects.of(checked).add(DomainEncryptionChecks(domain))
    sns.Topic(checked, "ScopedPlainTopic")
    sns.Topic(plain, "OutsideScopeTopic")  # not under the checked scope: not this domain's

    # 7. the domain key itself, edited after the fact
    keys = DomainStack(app, "Keys", domain_name="keys", administrators=_admins_for(app, "KeyIds"))
    cfn_key = keys.domain.key.node.default_child
    assert isinstance(cfn_key, kms.CfnKey)
    cfn_key.add_property_override("EnableKeyRotation", False)
    keys.domain.add_to_key_policy(
        iam.PolicyStatement(
            principals=[iam.AnyPrincipal()], actions=["kms:Decrypt"], resources=["*"]
        )
    )
    keys.domain.add_to_key_policy(
        iam.PolicyStatement(
            principals=[iam.ArnPrincipal(READER)], actions=["kms:*"], resources=["*"]
        )
    )
    nodeny = DomainStack(
        app, "NoDeny", domain_name="nodeny", administrators=_admins_for(app, "NoDenyIds")
    )
    nodeny_key = nodeny.domain.key.node.default_child
    assert isinstance(nodeny_key, kms.CfnKey)
    nodeny_key.add_property_override("KeyPolicy.Statement.1.Effect", "Allow")
    nodeny_key.add_property_deletion_override("KeyPolicy.Statement.1.Condition")
    return app


def _admins_for(scope: Construct, id: str) -> list[iam.IRole]:
    """An imported administrator role, in a stack of its own under ``scope``."""
    return [iam.Role.from_role_arn(cdk.Stack(scope, id), "Admin", ADMIN)]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("checks")
    include = tmp / "included.json"
    include.write_text(
        json.dumps({"Resources": {"IncludedTopic": {"Type": "AWS::SNS::Topic", "Properties": {}}}})
    )
    app = build(tmp / "cdk.out", include)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = (tmp / "cdk.out" / "validation-report.json").read_text()
    findings = audit_path(tmp / "cdk.out")
    return {"report": report, "findings": findings, "app": app, "outdir": tmp / "cdk.out"}


def _by(findings: list[Finding], path_end: str) -> list[Finding]:
    return [f for f in findings if f.path.endswith(path_end)]


def _rules(findings: list[Finding], path_end: str) -> set[str]:
    return {f.rule for f in _by(findings, path_end)}


def test_synth_fails_through_the_plugin_with_rule_ids(synthesized: dict[str, Any]) -> None:
    report = synthesized["report"]
    assert "cdk-partition" in report
    for rule in ("CDKP001", "CDKP002", "CDKP003", "CDKP004", "CDKP005", "CDKP101"):
        assert rule in report
    assert "Bad/PlainTopic" in report  # construct paths name the culprit


def test_compliant_domain_stack_has_no_findings(synthesized: dict[str, Any]) -> None:
    assert [f for f in synthesized["findings"] if f.stack == "Good"] == []


@pytest.mark.parametrize(
    ("path_end", "rule"),
    [
        ("Bad/SseS3Bucket/Resource", "CDKP002"),
        ("Bad/ManagedQueue", "CDKP003"),
        ("Bad/OwnKeyQueue/Resource", "CDKP004"),
        ("Bad/PlainTopic/Resource", "CDKP001"),
        ("Bad/ForeignArnQueue", "CDKP004"),
        ("Bad/ParamQueue", "CDKP005"),
        ("Bad/Deep/Inner/HiddenQueue", "CDKP003"),
        ("Bad/Domain/OverriddenBucket/Resource", "CDKP002"),
        ("Bad/Domain/HatchedQueue/Resource", "CDKP003"),
        ("Bad/Included/IncludedTopic", "CDKP001"),  # CfnInclude: path from tree.json
        ("Bad/Nested/NestedBad/Resource", "CDKP001"),
        ("Bad/CrossDomainQueue/Resource", "CDKP004"),
        ("Consumer/RemoteBad/Resource", "CDKP002"),
        ("Prod/Staged/StagedPlainTopic/Resource", "CDKP001"),
        ("Plain/Checked/ScopedPlainTopic/Resource", "CDKP001"),
    ],
)
def test_violation_is_found(synthesized: dict[str, Any], path_end: str, rule: str) -> None:
    findings = _by(synthesized["findings"], path_end)
    assert rule in {f.rule for f in findings}, findings
    finding = next(f for f in findings if f.rule == rule)
    assert finding.severity == "error" and not finding.exempted
    assert "Fix:" in finding.message and finding.fix


@pytest.mark.parametrize(
    "path_end",
    [
        "Bad/Nested/NestedGood/Resource",  # nested stack, key passed as a parameter
        "Consumer/RemoteGood/Resource",  # another stack, key imported
        "Plain/OutsideScopeTopic/Resource",  # outside the checked scope
    ],
)
def test_compliant_or_out_of_scope_stores_are_clean(
    synthesized: dict[str, Any], path_end: str
) -> None:
    assert _by(synthesized["findings"], path_end) == []


def test_cross_domain_message_names_the_other_domain(synthesized: dict[str, Any]) -> None:
    (finding,) = _by(synthesized["findings"], "Bad/CrossDomainQueue/Resource")
    assert "domain 'good'" in finding.message
    assert finding.domain == "bad"


def test_exemption_is_reported_but_does_not_fail(synthesized: dict[str, Any]) -> None:
    (finding,) = _by(synthesized["findings"], "Bad/ExemptBucket/Resource")
    assert finding.exempted and finding.rule == "CDKP002"
    assert finding.reason == "Public website assets that anyone may read by design."
    assert finding not in failing(synthesized["findings"])


def test_key_checks(synthesized: dict[str, Any]) -> None:
    keys = [f for f in synthesized["findings"] if f.stack == "Keys"]
    assert {f.rule for f in keys} == {"CDKP101", "CDKP103", "CDKP104"}
    assert any("kms:CreateGrant" in f.message for f in keys if f.rule == "CDKP104")
    nodeny = [f for f in synthesized["findings"] if f.stack == "NoDeny"]
    # the deny turned into an unconditional Allow to everyone: no deny, and an open key
    assert {f.rule for f in nodeny} == {"CDKP102", "CDKP103"}


def test_exempt_needs_a_real_reason_and_a_known_rule() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    bucket = s3.Bucket(stack, "B")
    with pytest.raises(ValueError, match="at least one sentence"):
        exempt(bucket, "CDKP002", "because")
    with pytest.raises(ValueError, match=r"(?i)unknown rule"):
        exempt(bucket, "XYZ1", "A perfectly good reason for it.")
    with pytest.raises(ValueError, match="no CloudFormation resource"):
        exempt(Construct(stack, "Empty"), "CDKP002", "A perfectly good reason for it.")


def test_plugin_can_be_added_by_hand(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context=cdk_context())
    stack = cdk.Stack(app, "Hand")
    DataDomain(stack, "Domain", domain_name="hand", administrators=_admins(stack))
    sqs.Queue(stack, "Q", encryption=sqs.QueueEncryption.SQS_MANAGED)
    cdk.Validations.of(app).add_plugins(DomainEncryptionPlugin())
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    assert "CDKP002" in (tmp_path / "validation-report.json").read_text()


def test_unknown_data_store_type_warns_and_can_be_acknowledged(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context=cdk_context())
    stack = DomainStack(app, "W", domain_name="warn", administrators=_admins_for(app, "WIds"))
    cdk.CfnResource(stack, "Ledger", type="AWS::Glue::Table", properties={})
    acknowledged = cdk.CfnResource(stack, "Ledger2", type="AWS::Glue::Table", properties={})
    cdk.Validations.of(acknowledged).acknowledge(
        cdk.Acknowledgment(id="cdk-partition::CDKP006", reason="The table holds no domain data.")
    )
    app.synth()  # a warning does not fail synthesis
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (plugin,) = [r for r in report["pluginReports"] if r["pluginName"] == "cdk-partition"]

    def flagged(key: str) -> list[str]:
        return [
            construct["cloudFormationResource"]["logicalId"]
            for violation in plugin[key]
            if violation["ruleName"] == "CDKP006"
            for construct in violation["violatingConstructs"]
        ]

    assert plugin["conclusion"] == "success"
    assert flagged("violations") == ["Ledger"]
    assert flagged("suppressedViolations") == ["Ledger2"]

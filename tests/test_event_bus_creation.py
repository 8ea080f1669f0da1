"""An event bus on the domain key can be created (issue #19, the creator's requests).

AWS, "Encrypting EventBridge event buses with AWS KMS keys" (Amazon EventBridge User Guide,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-cmkey.html):
"To create or update an event bus encrypted using a customer managed key, you must have the
following permissions to the specified customer managed key: kms:GenerateDataKeyWithoutPlaintext
kms:Decrypt kms:Encrypt kms:ReEncryptFrom kms:ReEncryptTo kms:DescribeKey", and ``kms:Decrypt``
for PutRule/PutTargets on the bus; no ``kms:ViaService``; "EventBridge uses the same encryption
context in all AWS KMS cryptographic operations", the bus's ARN. Before, the key policy named
only ``events.amazonaws.com``: CloudFormation's role creating the bus was refused and every
check was silent. Now the domain writes the creator's requests for every bus on the key however
it was made (store method, L2 given ``domain.key``, L1 given the key's ARN), scoped to the
account's event buses by the encryption context; decided by our evaluator and by
``@cloud-copilot/iam-simulate``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_events as events
from proof_support import concrete_key_policy
from test_integrations import _synth as synth_orders
from test_oracle_iam_simulate import Case, assert_both_decide, caller_for_arn

from cdk_partition import DomainStack, audit_path
from cdk_partition.knowledge import contract_shapes

ACCOUNT, REGION = "111122223333", "eu-west-1"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"
OUTSIDER = f"arn:aws:iam::{ACCOUNT}:role/not-named"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders-bus"
TYPE = "AWS::Events::EventBus"
CONTEXT_KEY = "kms:EncryptionContext:aws:events:event-bus:arn"


def _store_method(orders: DomainStack) -> None:
    orders.domain.event_bus("Bus", event_bus_name="orders-bus")


def _l2(orders: DomainStack) -> None:
    events.EventBus(orders, "Bus", event_bus_name="orders-bus", kms_key=orders.domain.key)


def _l1(orders: DomainStack) -> None:
    events.CfnEventBus(
        orders, "Bus", name="orders-bus", kms_key_identifier=orders.domain.key.key_arn
    )


@pytest.fixture(scope="module", params=[_store_method, _l2, _l1], ids=["method", "l2", "l1"])
def synthesized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("bus")
    findings = synth_orders(out, request.param)
    template = json.loads((out / "Orders.template.json").read_text())
    return findings, concrete_key_policy(template, ACCOUNT, REGION)


def test_the_creators_rows_are_what_aws_documents() -> None:
    rows = contract_shapes.door_rows(TYPE)
    assert [r.phase for r in rows] == ["create", "attach"]
    assert set(rows[0].actions) == {
        "kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom",
        "kms:ReEncryptTo", "kms:DescribeKey",
    }  # fmt: skip
    assert rows[1].actions == ("kms:Decrypt",)
    assert all("kms:ViaService" not in r.context and CONTEXT_KEY in r.context for r in rows)
    assert all(
        r.source.startswith("Amazon EventBridge") and "eb-encryption" in r.source for r in rows
    )


def test_an_event_bus_on_the_key_can_be_created_however_it_was_made(synthesized: Any) -> None:
    findings, policy = synthesized
    assert [f"{f.rule} {f.message}" for f in findings if f.severity == "error"] == []
    sids = [s.get("Sid", "") for s in policy["Statement"]]
    assert "AllowDeploymentDirectEventBus" in sids and "AllowDeploymentDirectEventBus1" in sids
    cases: list[tuple[Case, str]] = []
    other = {CONTEXT_KEY: f"arn:aws:s3:::orders-documents/{ACCOUNT}"}  # not an event bus
    for row in contract_shapes.door_rows(TYPE):
        for action in contract_shapes.requested(row):
            bus = {CONTEXT_KEY: BUS}
            cases += [
                (Case("bus", policy, caller_for_arn(DEPLOYER), action, bus), "allow"),
                (Case("bus", policy, caller_for_arn(OUTSIDER), action, bus), "deny"),
                (Case("bus", policy, caller_for_arn(DEPLOYER), action, other), "deny"),
                (Case("bus", policy, caller_for_arn(DEPLOYER), action, {}), "deny"),
            ]
    assert_both_decide(policy, cases)


def test_removing_the_creators_statement_is_cdkp107(tmp_path: Path) -> None:
    """The check can fail: the same assembly with the creator's statements taken out of the
    key policy (a hand edit, an escape hatch) is CDKP107 in the audit, naming the request, and
    the fix is to keep them."""
    assert [f for f in synth_orders(tmp_path, _l2) if f.severity == "error"] == []
    path = tmp_path / "Orders.template.json"
    template = json.loads(path.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::KMS::Key":
            document = resource["Properties"]["KeyPolicy"]
            document["Statement"] = [
                s for s in document["Statement"]
                if not s.get("Sid", "").startswith("AllowDeploymentDirectEventBus")
            ]  # fmt: skip
    path.write_text(json.dumps(template))
    found = [f for f in audit_path(tmp_path) if f.rule == "CDKP107"]
    assert len(found) == 1, found
    assert "kms:GenerateDataKeyWithoutPlaintext by the deployment role" in found[0].message
    assert "keep the AllowDeploymentDirect statements" in (found[0].fix or "")

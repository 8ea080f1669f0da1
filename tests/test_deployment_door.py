"""The deployment role's requests AWS documents outside any service (issue #19, contracts for
every catalogued type): a SageMaker domain on the domain key needs ``kms:CreateGrant``,
``kms:Decrypt``, ``kms:DescribeKey`` and ``kms:GenerateDataKeyWithoutPlaintext`` by the principal
calling CreateDomain, and AWS writes no ``kms:ViaService`` for them. The domain does not give its
deployment role the key outside a service on its own: such a store is CDKP107, whose fix
``domain.allow_deployment_requests(cfn_type)`` writes exactly the documented requests, applied
here as written. Requests decided by our evaluator and by ``@cloud-copilot/iam-simulate``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from conftest import cdk_context
from proof_support import concrete_key_policy
from test_integrations import _synth as synth_orders
from test_oracle_iam_simulate import Case, assert_both_decide, caller_for_arn

from cdk_partition import DomainStack, audit_path
from cdk_partition.knowledge import contract_shapes
from cdk_partition.policy import evaluator

ACCOUNT, REGION = "111122223333", "eu-west-1"
ENV = cdk.Environment(account=ACCOUNT, region=REGION)
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"
OUTSIDER = f"arn:aws:iam::{ACCOUNT}:role/not-named"
TYPE = "AWS::SageMaker::Domain"


def _synth(out: Path, *, accept: bool) -> list[Any]:
    def build(orders: DomainStack) -> None:
        sagemaker.CfnDomain(
            orders, "Studio", auth_mode="IAM", domain_name="orders", vpc_id="vpc-1",
            subnet_ids=["subnet-1"], kms_key_id=orders.domain.key.key_arn,
            default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
                execution_role=f"arn:aws:iam::{ACCOUNT}:role/studio"
            ),
        )  # fmt: skip
        if accept:
            orders.domain.allow_deployment_requests(TYPE)
            # the execution role's own requests (CreateGrant, DescribeKey: CDKP024 otherwise)
            studio = iam.Role.from_role_arn(
                orders, "StudioRole", f"arn:aws:iam::{ACCOUNT}:role/studio"
            )
            orders.domain.allow_passed_role(studio, TYPE)

    return synth_orders(out, build)


def _policy(out: Path) -> dict[str, Any]:
    template = json.loads((out / "Orders.template.json").read_text())
    return concrete_key_policy(template, ACCOUNT, REGION)


def _cases(policy: dict[str, Any]) -> list[tuple[Case, str]]:
    out = []
    for row in contract_shapes.door_rows(TYPE):
        context = {k: v for k, v in row.context.items()}
        for action in row.actions:
            for who, want in ((DEPLOYER, "allow"), (OUTSIDER, "deny")):
                out.append((Case("door", policy, caller_for_arn(who), action, context), want))
    return out


def test_a_store_whose_deployment_requests_aws_documents_outside_a_service(
    tmp_path: Path,
) -> None:
    found = [f for f in _synth(tmp_path / "before", accept=False) if f.rule == "CDKP107"]
    assert len(found) == 1, found
    assert "kms:GenerateDataKeyWithoutPlaintext by the deployment role" in found[0].message
    assert f"domain.allow_deployment_requests({TYPE!r})" in found[0].fix
    decisions = {
        evaluator.evaluate(evaluator.prepare(_policy(tmp_path / "before")), c.request())
        for c, want in _cases(_policy(tmp_path / "before"))
        if want == "allow"
    }
    assert decisions - {"allow"}, decisions  # refused before (DescribeKey may be allowed already)

    findings = _synth(tmp_path / "after", accept=True)  # the fix, as written
    assert [f.message for f in findings if f.severity == "error"] == []
    policy = _policy(tmp_path / "after")
    sids = [s.get("Sid", "") for s in policy["Statement"]]
    assert any(s.startswith("AllowDeploymentDirectSagemakerDomain") for s in sids), sids
    cases = _cases(policy)
    assert_both_decide(policy, cases)


def test_the_door_never_gives_key_policy_actions(tmp_path: Path) -> None:
    """Amazon Translate documents kms:PutKeyPolicy, kms:GetKeyPolicy and kms:CreateAlias for
    importing a terminology: the deployment role holds them as the key's administrator
    already; the door statements give only data and grant actions. A type without such
    requests is refused at construct time, naming the construct and the type."""
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    admin = iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/admin")
    stack = DomainStack(app, "Orders", domain_name="orders", env=ENV, administrators=[admin])
    rows = contract_shapes.door_rows("AWS::Translate::Terminology")
    assert any("kms:PutKeyPolicy" in r.actions for r in rows)
    for row in rows:
        assert set(contract_shapes.door_statement_actions(row)) <= contract_shapes.DOOR_ACTIONS
        assert "kms:PutKeyPolicy" not in contract_shapes.door_statement_actions(row)
    stack.domain.allow_deployment_requests("AWS::Translate::Terminology")
    with pytest.raises(ValueError, match=r"Orders/Domain: allow_deployment_requests.*has no"):
        stack.domain.allow_deployment_requests("AWS::MSK::Cluster")


def test_a_statement_named_like_the_door_for_another_principal_is_still_audited(
    tmp_path: Path,
) -> None:
    """Hostile input: the Sid alone accepts nothing; the door's shape is the key's deployment
    role with the documented requests only."""
    _synth(tmp_path, accept=True)
    template_file = tmp_path / "Orders.template.json"
    template = json.loads(template_file.read_text())
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    original = json.dumps(template)
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        if str(statement.get("Sid", "")).startswith("AllowDeploymentDirect"):
            statement["Principal"] = {"AWS": OUTSIDER}
    template_file.write_text(json.dumps(template))
    rules = {f.rule for f in audit_path(tmp_path) if f.severity == "error"}
    assert "CDKP107" in rules, rules  # the deployment role lost what AWS documents
    # the key's deployment role with more than the documented requests: not the door's shape
    template = json.loads(original)
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        if str(statement.get("Sid", "")).startswith("AllowDeploymentDirect"):
            statement["Action"] = [*statement["Action"], "kms:PutKeyPolicy"]
    template_file.write_text(json.dumps(template))
    rules = {f.rule for f in audit_path(tmp_path) if f.severity == "error"}
    assert "CDKP104" in rules, rules


def _statement(sid: str, principal: dict[str, Any], actions: list[str], **condition: Any) -> Any:
    out = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": actions}
    return {**out, "Resource": "*", **({"Condition": condition} if condition else {})}


_DEPLOYER = {"AWS": {"Fn::Sub": DEPLOYER.replace(":aws:", ":${AWS::Partition}:")}}


@pytest.mark.parametrize(
    ("statement", "rule"),
    [
        # a door Sid with the grant condition dropped
        (_statement("AllowDeploymentDirectSagemakerDomain", _DEPLOYER, ["kms:CreateGrant",
         "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext"]), "CDKP104"),
        # a door Sid with grant management the door never writes
        (_statement("AllowDeploymentDirectMwaaEnvironment", _DEPLOYER, ["kms:CreateGrant",
         "kms:ListGrants", "kms:RevokeGrant", "kms:Decrypt"]), "CDKP104"),
        # unscoped statements of services whose unscoped rows the domain does not write
        (_statement("AllowContractX", {"Service": "logs.eu-west-1.amazonaws.com"},
         ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"]), "CDKP106"),
        (_statement("AllowContractY", {"Service": "personalize.amazonaws.com"},
         ["kms:CreateGrant", "kms:Decrypt"]), "CDKP106"),
        (_statement("AllowContractZ", {"Service": "airflow.eu-west-1.amazonaws.com"},
         ["kms:CreateGrant", "kms:Decrypt"]), "CDKP106"),
        (_statement("AllowContractM", {"Service": "m2.eu-west-1.amazonaws.com"},
         ["kms:Decrypt", "kms:GenerateDataKey"]), "CDKP106"),
        (_statement("AllowContractB", {"Service": "bedrock.amazonaws.com"},
         ["kms:Decrypt", "kms:GenerateDataKey"]), "CDKP106"),
    ],
    ids=["door-without-condition", "door-grant-management", "logs", "personalize", "airflow",
         "m2", "bedrock"],
)  # fmt: skip
def test_a_statement_named_like_the_librarys_is_held_to_what_aws_documents(
    tmp_path: Path, statement: dict[str, Any], rule: str
) -> None:
    """Hostile input (found by an attack review): statements a Sid or another type's row would
    have let through; each is a finding of the audit of the template."""
    _synth_with(tmp_path, statement)
    rules = {f.rule for f in audit_path(tmp_path) if f.severity == "error"}
    assert rule in rules, rules


def _synth_with(out: Path, statement: dict[str, Any]) -> None:
    """The app with the door opened, ``statement`` appended to its key policy's template."""
    _synth(out, accept=True)
    template_file = out / "Orders.template.json"
    template = json.loads(template_file.read_text())
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    key["Properties"]["KeyPolicy"]["Statement"].append(statement)
    template_file.write_text(json.dumps(template))


def test_a_door_statement_for_a_type_not_on_the_key_is_reported(tmp_path: Path) -> None:
    """The exact shape of another type's door statement (an EKS cluster's), with no resource of
    that type on the key: the audit accepts the shape, and the pass that sees the stores reports
    it (CDKP104: the deployment role gets data-key use outside a service for nothing)."""
    other = "AWS::EKS::Cluster"
    (row, *_) = contract_shapes.door_rows(other)
    values = {"{partition}": "${AWS::Partition}", "{region}": REGION, "{account}": ACCOUNT}
    conditions = contract_shapes.fill(contract_shapes.door_conditions(row), values)
    statement = _statement(
        contract_shapes.door_sid(row.store, 0), _DEPLOYER,
        contract_shapes.door_statement_actions(row), **conditions,
    )  # fmt: skip
    _synth_with(tmp_path, statement)
    found = [f for f in audit_path(tmp_path) if f.rule == "CDKP104"]
    assert len(found) == 1 and other in found[0].message, [f.message for f in found]

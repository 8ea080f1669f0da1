"""Roles a domain store runs with (issue #19: stores on the key however made, and the requests AWS
makes for them): a Step Functions state machine on the domain key calls KMS with its execution
role, which the key policy must name (CDKP024).

The state machine is put on the key the two ways a user would: the CDK's own
``CustomerManagedEncryptionConfiguration(domain.key)`` and the domain's mixin. The role's
requests are decided by our evaluator and by the independent simulator
``@cloud-copilot/iam-simulate``, before and after the fix the finding prints, applied as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn
from test_integrations import _concrete_key_policy, _decisions, _synth
from test_oracle_iam_simulate import ACCOUNT, PSEUDO_PARAMETERS, REGION, Case, caller_for_arn

from cdk_partition import DomainStack
from cdk_partition.audit import Finding
from cdk_partition.knowledge.run_roles import ROLES_BY_TYPE, context_of

TYPE = "AWS::StepFunctions::StateMachine"
ROW = ROLES_BY_TYPE[TYPE][0]  # the execution role's requests for the state machine itself
VALUES = {"{partition}": "aws", "{region}": REGION, "{account}": ACCOUNT}
Build = Callable[[DomainStack], None]


def _machine(orders: DomainStack, *, by_mixin: bool) -> sfn.StateMachine:
    body = sfn.DefinitionBody.from_chainable(sfn.Pass(orders, "Step"))
    if by_mixin:
        machine = sfn.StateMachine(orders, "Flow", definition_body=body)
        cdk.Mixins.of(machine).apply(orders.domain.encryption_at_rest())
        return machine
    return sfn.StateMachine(
        orders,
        "Flow",
        definition_body=body,
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(orders.domain.key),
    )


def _build(*, by_mixin: bool, fixed: bool, capabilities: bool = False) -> Build:
    """``fixed``: the finding's fix as written (``allow_passed_role``), or, with
    ``capabilities``, the role named a reader and a writer (which covers the requests too)."""

    def build(orders: DomainStack) -> None:
        machine = _machine(orders, by_mixin=by_mixin)
        if fixed and capabilities:
            orders.domain.grant_read(machine.role)
            orders.domain.grant_write(machine.role)
        elif fixed:
            orders.domain.allow_passed_role(machine.role, TYPE)

    return build


def _cases(out: Path, finding: Finding) -> list[Case]:
    arn = str(finding.value)
    for pseudo, value in PSEUDO_PARAMETERS.items():
        arn = arn.replace(pseudo, value)
    # the role calls KMS directly (the row's page): no kms:ViaService; the state machine's
    # ARN as the encryption context (AWS's example name, in the key's account and region)
    policy = _concrete_key_policy(out)
    return [
        Case("run-role:states", policy, caller_for_arn(arn), r,
             {**context_of(ROW, r, VALUES), "kms:CallerAccount": ACCOUNT}, identity_allows=True)
        for r in ROW.kms_requests
    ]  # fmt: skip


@pytest.mark.parametrize("by_mixin", [False, True], ids=["cdk-encryption-configuration", "mixin"])
def test_a_state_machine_on_the_domain_key_needs_its_role_named(
    tmp_path: Path, by_mixin: bool
) -> None:
    findings = _synth(tmp_path / "before", _build(by_mixin=by_mixin, fixed=False))
    found = [f for f in findings if f.rule == "CDKP024"]
    assert len(found) == 1, [(f.rule, f.message) for f in findings]
    assert "Orders/Flow/Role" in found[0].message and ROW.url in found[0].message
    assert f"`domain.allow_passed_role(Orders/Flow/Role, {TYPE!r})`" in found[0].fix
    ours, theirs = _decisions(_cases(tmp_path / "before", found[0]))
    assert ours == theirs and "allow" not in ours, (ours, theirs)

    findings = _synth(tmp_path / "after", _build(by_mixin=by_mixin, fixed=True))  # the fix
    assert [f.message for f in findings if f.severity == "error"] == []
    ours, theirs = _decisions(_cases(tmp_path / "after", found[0]))
    assert ours == theirs == ["allow"] * len(ROW.kms_requests), (ours, theirs)


def test_a_state_machine_on_an_aws_owned_key_asks_nothing_of_the_domain_key(
    tmp_path: Path,
) -> None:
    def build(orders: DomainStack) -> None:
        body = sfn.DefinitionBody.from_chainable(sfn.Pass(orders, "Step"))
        sfn.StateMachine(orders, "Flow", definition_body=body)

    findings = _synth(tmp_path, build)
    assert "CDKP024" not in {f.rule for f in findings}
    assert "CDKP002" in {f.rule for f in findings}  # the store rule speaks for it


def test_a_role_the_audit_cannot_resolve_is_a_finding(tmp_path: Path) -> None:
    """Fail closed: a state machine on the domain key whose role is an import nothing exports."""

    def build(orders: DomainStack) -> None:
        raw = sfn.CfnStateMachine(
            orders,
            "Raw",
            role_arn=cdk.Fn.import_value("SomeoneElsesRole"),
            definition_string='{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
        )
        cdk.Mixins.of(raw).apply(orders.domain.encryption_at_rest())

    findings = _synth(tmp_path, build)
    found = [f for f in findings if f.rule == "CDKP020" and f.resource_type == ROW.store_type]
    assert len(found) == 1 and "RoleArn cannot be resolved" in found[0].message, [
        (f.rule, f.message) for f in findings
    ]
    assert found[0].location == "RoleArn" and "literal role ARN" in found[0].fix


def test_the_docs_show_the_table_from_the_code() -> None:
    from cdk_partition.knowledge.run_roles import RUN_ROLES, render_markdown

    page = (Path(__file__).parent.parent / "docs" / "identities.md").read_text()
    assert "<!-- gen:run-roles -->" in page
    assert all(row.url in render_markdown() for row in RUN_ROLES)


def test_a_key_that_lets_the_role_through_step_functions_only_refuses_it(tmp_path: Path) -> None:
    """The execution role calls KMS directly, not through Step Functions: "When an execution
    role calls AWS KMS directly, you must grant AWS KMS permissions on the execution role", and
    "Adding kms:ViaService condition to an execution role can prevent a new execution from
    starting or cause a running execution to fail" (the row's page). A key policy that names the
    role only under ``kms:ViaService`` = states passed before (the audit asked with that
    context); it refuses every execution, so it is CDKP024, decided with the request AWS makes
    (no ``kms:ViaService``) by our evaluator and by the simulator."""
    from cdk_partition import audit_path

    out = tmp_path / "out"
    _synth(out, _build(by_mixin=True, fixed=True, capabilities=True))
    template_file = out / "Orders.template.json"
    template = json.loads(template_file.read_text())
    via = {"StringEquals": {"kms:ViaService": f"states.{REGION}.amazonaws.com"}}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::KMS::Key":
            continue
        for statement in resource["Properties"]["KeyPolicy"]["Statement"]:
            if statement.get("Sid", "").startswith(("AllowRead", "AllowWrite")):
                statement["Condition"] = via
    template_file.write_text(json.dumps(template))
    found = [f for f in audit_path(out) if f.rule == "CDKP024"]
    assert len(found) == 1, found
    requests = [c for c in _cases(out, found[0])]
    ours, theirs = _decisions(requests)
    assert ours == theirs and "allow" not in ours, (ours, theirs)

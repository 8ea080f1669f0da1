"""Key-policy values the checks cannot vouch for (issue #19, "fail closed"; an attack found the
first one silent): a principal CloudFormation chooses at deploy time (``Fn::If`` between ``"*"``
and a role, a template parameter) is CDKP105, never read as a placeholder that allows nobody; a
wildcard inside a principal's ARN, which KMS refuses at deployment, is refused by
``add_to_key_policy`` at construct time and is CDKP109 in a template written past it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import cast

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from test_integrations import _synth

from cdk_partition import DomainStack


def _statement(principal: str, actions: list[str] | None = None) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        principals=[iam.ArnPrincipal(principal)],
        actions=actions or ["kms:Decrypt"],
        resources=["*"],
    )


def _role(orders: DomainStack) -> iam.Role:
    return iam.Role(orders, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))


def _principal_by_condition(orders: DomainStack) -> None:
    cdk.CfnCondition(orders, "Open", expression=cdk.Fn.condition_equals("a", "a"))
    chosen = cdk.Fn.condition_if("Open", "*", _role(orders).role_arn).to_string()
    orders.domain.add_to_key_policy(_statement(chosen))


def _principal_by_parameter(orders: DomainStack) -> None:
    given = cdk.CfnParameter(orders, "Reader", default="arn:aws:iam::111122223333:role/r")
    orders.domain.add_to_key_policy(_statement(given.value_as_string))


def _action_by_condition(orders: DomainStack) -> None:
    cdk.CfnCondition(orders, "Wide", expression=cdk.Fn.condition_equals("a", "a"))
    action = cdk.Fn.condition_if("Wide", "kms:*", "kms:Decrypt").to_string()
    orders.domain.add_to_key_policy(_statement(_role(orders).role_arn, [action]))


def _principal_by_map(orders: DomainStack) -> None:
    cdk.CfnMapping(orders, "Readers", mapping={"eu-west-1": {"arn": "*"}})
    chosen = cdk.Fn.find_in_map("Readers", cdk.Aws.REGION, "arn")
    orders.domain.add_to_key_policy(_statement(chosen))


def _principal_by_custom_resource(orders: DomainStack) -> None:
    """A reader looked up at deploy by a custom resource (an attack found it silent: the
    handler's answer was read as a fixed reference)."""
    lookup = cr.AwsCustomResource(
        orders, "ReaderLookup",
        on_update=cr.AwsSdkCall(
            service="SSM", action="getParameter", parameters={"Name": "/orders/reader"},
            physical_resource_id=cr.PhysicalResourceId.of("reader"),
        ),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
            resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE
        ),
    )  # fmt: skip
    reader = iam.Role.from_role_arn(orders, "Reader", lookup.get_response_field("Parameter.Value"))
    orders.domain.add_to_key_policy(_statement(reader.role_arn))


def _principal_by_dynamic_reference(orders: DomainStack) -> None:
    """``{{resolve:ssm:...}}``: whatever the parameter holds at deploy (an attack found it read
    as literal text)."""
    value = cdk.CfnDynamicReference(cdk.CfnDynamicReferenceService.SSM, "/orders/extra-reader")
    orders.domain.add_to_key_policy(_statement(value.to_string()))


def _principal_part_of_custom_resource(orders: DomainStack) -> None:
    """One part of a custom resource's answer is still its choice."""
    made = cdk.CustomResource(
        orders, "Made", service_token="arn:aws:lambda:eu-west-1:111122223333:function:f"
    )
    arn = cdk.Fn.select(0, cdk.Fn.split(",", made.get_att_string("Readers")))
    orders.domain.add_to_key_policy(_statement(arn))


CHOSEN: dict[str, tuple[Callable[[DomainStack], None], str]] = {
    "principal-custom-resource": (
        _principal_by_custom_resource,
        "which its provider's code returns at deploy",
    ),
    "principal-dynamic-reference": (
        _principal_by_dynamic_reference,
        'the dynamic reference "{{resolve:ssm:/orders/extra-reader}}"',
    ),
    "principal-part-of-custom-resource": (
        _principal_part_of_custom_resource,
        "its attribute 'Readers' of Made",
    ),
    "principal-fn-if": (_principal_by_condition, "Principal holds Fn::If"),
    "principal-parameter": (_principal_by_parameter, "the template parameter 'Reader'"),
    "action-fn-if": (_action_by_condition, "Action holds Fn::If"),
    "principal-find-in-map": (_principal_by_map, "Principal holds Fn::FindInMap"),
}


@pytest.mark.parametrize("case", sorted(CHOSEN))
def test_a_value_chosen_at_deploy_is_cdkp105(tmp_path: Path, case: str) -> None:
    build, says = CHOSEN[case]
    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP105"]
    assert len(found) == 1, [f.message for f in found]
    assert says in found[0].message and "chooses at deploy time" in found[0].message
    assert found[0].location and found[0].location.startswith("KeyPolicy.Statement[")


def test_a_part_of_a_reference_is_not_a_choice(tmp_path: Path) -> None:
    """``Fn::Select [1, Fn::Split ["/", <role ARN>]]`` is one value known from the role: not a
    choice (the key policy below names it nowhere a principal could hide)."""

    def build(orders: DomainStack) -> None:
        role = _role(orders)
        orders.domain.grant_read(role)
        name = cdk.Fn.select(1, cdk.Fn.split("/", role.role_arn))
        orders.domain.add_to_key_policy(
            iam.PolicyStatement(
                principals=[iam.ArnPrincipal(role.role_arn)], actions=["kms:Decrypt"],
                resources=["*"], conditions={"StringEquals": {"aws:PrincipalTag/name": name}},
            )
        )  # fmt: skip

    assert [f.message for f in _synth(tmp_path, build) if f.rule == "CDKP105"] == []


def test_add_to_key_policy_refuses_a_wildcard_inside_a_principal() -> None:
    app = cdk.App()
    orders = DomainStack(app, "Orders", domain_name="orders",
                         administrators=[iam.ArnPrincipal("arn:aws:iam::111122223333:role/admin")])  # fmt: skip
    with pytest.raises(ValueError, match=r"Orders/Domain: add_to_key_policy.*role/analytics-\*"):
        orders.domain.add_to_key_policy(_statement("arn:aws:iam::111122223333:role/analytics-*"))
    # the whole ARN the message asks for is accepted
    orders.domain.add_to_key_policy(_statement("arn:aws:iam::111122223333:role/analytics"))


def _people(orders: DomainStack) -> cdk.Stack:
    return cast(cdk.Stack, orders.node.root.node.find_child("Principals"))


def test_a_part_of_an_imported_arn_is_not_a_choice(tmp_path: Path) -> None:
    """``cdk.Arn.split(<role of another stack>).account`` is ``Fn::Select [4, Fn::Split [":",
    Fn::ImportValue ...]]``: one part of a known ARN (a second attack found it CDKP105)."""

    def build(orders: DomainStack) -> None:
        role = iam.Role(_people(orders), "Reader",
                        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))  # fmt: skip
        orders.domain.grant_read(iam.Role.from_role_arn(orders, "Imported", role.role_arn))
        account = cdk.Arn.split(role.role_arn, cdk.ArnFormat.SLASH_RESOURCE_NAME).account
        orders.domain.add_to_key_policy(iam.PolicyStatement(
            effect=iam.Effect.DENY, actions=["kms:Decrypt"], principals=[iam.AnyPrincipal()],
            resources=["*"], conditions={"StringNotEquals": {"kms:CallerAccount": account}}))  # fmt: skip

    assert [f.message for f in _synth(tmp_path, build) if f.rule == "CDKP105"] == []


def test_a_principal_imported_from_an_export_chosen_at_deploy_is_cdkp105(tmp_path: Path) -> None:
    """The import is followed to the export: ``Fn::If ["Open", "*", ...]`` there is a choice."""

    def build(orders: DomainStack) -> None:
        people = _people(orders)
        cdk.CfnCondition(people, "Open", expression=cdk.Fn.condition_equals("a", "a"))
        chosen = cdk.Fn.condition_if("Open", "*", "arn:aws:iam::111122223333:role/x").to_string()
        cdk.CfnOutput(people, "Reader", value=chosen, export_name="reader-arn")
        imported = iam.Role.from_role_arn(orders, "Imported", cdk.Fn.import_value("reader-arn"))
        orders.domain.grant_read(imported)

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP105"]
    assert found and all("Fn::If" in f.message for f in found), [f.message for f in found]

"""An Auto Scaling group naming its own service-linked role (issue #19, a principal the wiring
decides): "if you plan to give granular access to a specific customer managed key, you should
use a custom suffix service-linked role" (Amazon EC2 Auto Scaling User Guide, "Service-linked
roles for Amazon EC2 Auto Scaling"); the group names it by ``ServiceLinkedRoleARN``. Its launches
from a template on the domain key and its notifications into a domain topic are that role's
requests. Before, the key named the default role ``AWSServiceRoleForAutoScaling`` only: synth
and audit were silent and every launch and notification failed at run time.

Now the key policy follows the group's role (its own statements, ``AllowAutoScalingLaunchRole1``
...), the default role is not named for it (the granular access AWS recommends), the requests
are decided by our evaluator and the independent simulator, and a group the key cannot follow
(a topic imported by a hand-written export name) is CDKP021 whose fix, applied as written,
passes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from conftest import volume_template
from test_oracle_iam_simulate import ACCOUNT, Case, caller_for_arn, decide_ours
from test_wiring_follows import ENV, Build, _decisions, _synth

from cdk_partition.audit import Finding
from cdk_partition.knowledge import contracts
from cdk_partition.policy import evaluator

ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/"
    "AWSServiceRoleForAutoScaling_orders"
)
DEFAULT = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
CONTRACTS = ("launch_template_auto_scaling", "auto_scaling_notification_topic")


def _group(
    scope: cdk.Stack, template: Any, topic: sns.ITopic, role: Any, *, override: bool = False
) -> None:
    """A group launching ``template`` and notifying ``topic`` as ``role`` (None: the default
    service-linked role), set on the L1 or (``override``) by an escape-hatch override."""
    vpc = ec2.Vpc(scope, "Vpc", max_azs=1, nat_gateways=0)
    group = autoscaling.AutoScalingGroup(
        scope, "Group", vpc=vpc, launch_template=template,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        notifications=[autoscaling.NotificationConfiguration(topic=topic)],
    )  # fmt: skip
    if role is not None:
        cfn = group.node.default_child
        assert isinstance(cfn, autoscaling.CfnAutoScalingGroup)
        if override:
            cfn.add_property_override("ServiceLinkedRoleARN", role)
        else:
            cfn.service_linked_role_arn = role


def _own_role(app: cdk.App, orders: Any, wired: bool) -> None:
    """A fleet stack's group launching a domain template and notifying a domain topic, as its
    own service-linked role (``wired``) or as the default one."""
    template = volume_template(orders, "Template")
    cdk.Mixins.of(template).apply(orders.domain.encryption_at_rest())
    topic = orders.domain.topic("Scaling")
    _group(cdk.Stack(app, "Fleet", env=ENV), template, topic, ROLE if wired else None)


@pytest.fixture(scope="module")
def synthesized(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[bool, tuple[dict[str, Any], list[Finding]]]:
    return {wired: _synth(tmp_path_factory.mktemp(f"own-{wired}"), _own_role, wired)
            for wired in (True, False)}  # fmt: skip


def _cases(policy: dict[str, Any], role: str) -> list[Case]:
    return [
        Case(contract, policy, caller_for_arn(role), action,
             {k: v.format(region=ENV.region) for k, v in row.context.items()})
        for contract in CONTRACTS for row in contracts.rows_for(contract)
        if row.caller == "service_linked_role" for action in row.actions
    ]  # fmt: skip


def test_the_key_names_the_groups_own_role_for_its_launches_and_notifications(
    synthesized: dict[bool, tuple[dict[str, Any], list[Finding]]],
) -> None:
    policy, findings = synthesized[True]
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]
    sids = {s.get("Sid") for s in policy["Statement"] if ROLE in str(s.get("Principal"))}
    assert sids == {
        "AllowAutoScalingLaunchRole1", "AllowAutoScalingLaunchRole1Grants",
        "AllowAutoScalingNotificationsRole1",
    }  # fmt: skip
    ours, theirs = _decisions(_cases(policy, ROLE))
    assert ours == theirs == ["allow"] * len(ours), (ours, theirs)


def test_the_default_role_is_not_named_for_a_group_with_its_own(
    synthesized: dict[bool, tuple[dict[str, Any], list[Finding]]],
) -> None:
    policy, _ = synthesized[True]
    assert f'"{DEFAULT}"' not in json.dumps(policy)  # (the custom role's ARN extends it)
    ours, theirs = _decisions(_cases(policy, DEFAULT))
    assert "allow" not in ours and "allow" not in theirs, (ours, theirs)
    # and a group of the default role: the default role's statements, not the custom one's
    bare, findings = synthesized[False]
    assert ROLE not in json.dumps(bare) and f'"{DEFAULT}"' in json.dumps(bare)
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]


_SUFFIX = "aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_orders"
_OVERRIDES = {
    "a literal ARN": ROLE,
    "over the attribute": ROLE,  # the L1 attribute names another role: the override deploys
    "over an intrinsic attribute": {  # both intrinsics (a second attack)
        "Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{_SUFFIX}"
    },
    "pseudo parameters": {
        "Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{_SUFFIX}"
    },
}


@pytest.mark.parametrize("name", sorted(_OVERRIDES))
def test_a_role_set_by_an_escape_hatch_override_is_the_one_named(tmp_path: Path, name: str) -> None:
    """``add_property_override("ServiceLinkedRoleARN", ...)`` sets the group's role as surely
    as the L1 attribute: the key names that role, not the default one (before, the mixin read
    the attribute only, named the default role, and the audit's CDKP021 failed the synth)."""

    def build(app: cdk.App, orders: Any, wired: bool) -> None:
        del wired
        template = volume_template(orders, "Template")
        cdk.Mixins.of(template).apply(orders.domain.encryption_at_rest())
        fleet = cdk.Stack(app, "Fleet", env=ENV)
        _group(fleet, template, orders.domain.topic("Scaling"), _OVERRIDES[name], override=True)
        if name.startswith("over"):
            group = fleet.node.find_child("Group").node.default_child
            assert isinstance(group, autoscaling.CfnAutoScalingGroup)
            other = ROLE.replace("_orders", "_other")
            group.service_linked_role_arn = (
                other if name == "over the attribute"
                else cdk.Fn.sub(other.replace(ACCOUNT, "${AWS::AccountId}"))
            )  # fmt: skip

    policy, findings = _synth(tmp_path, build, True)
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]
    assert f'"{DEFAULT}"' not in json.dumps(policy) and "_other" not in json.dumps(policy)
    ours, theirs = _decisions(_cases(policy, ROLE))
    assert ours == theirs == ["allow"] * len(ours), (ours, theirs)


def _by_export(fix: str | None) -> Build:
    """The group notifying a domain topic the consumer stack imports by a hand-written export
    name, as its own role: the key cannot follow it, the audit can; ``fix``: the calls CDKP021
    printed, evaluated as written."""

    def build(app: cdk.App, orders: Any, wired: bool) -> None:
        del app, wired
        from test_integrations import imported_by_export

        topic = orders.domain.topic("Events")
        consumers, arn = imported_by_export(orders, topic.topic_arn, "events")
        template = ec2.LaunchTemplate(
            consumers, "Plain", machine_image=ec2.MachineImage.latest_amazon_linux2023(),
            instance_type=ec2.InstanceType("t3.micro"),
        )  # fmt: skip
        _group(consumers, template, sns.Topic.from_topic_arn(consumers, "Imported", arn), ROLE)
        for call in re.findall(r"`(domain\.\w+\([^`]*\))`", fix or ""):
            eval(call, {"domain": orders.domain})  # the library's own fix text, as written

    return build


def test_a_group_the_key_cannot_follow_is_cdkp021_naming_its_role(tmp_path: Path) -> None:
    _, findings = _synth(tmp_path / "before", _by_export(None), True)
    (found,) = [f for f in findings if f.rule == "CDKP021"]
    assert ROLE in found.message, found.message
    assert f'linked_role="{ROLE}"' in (found.fix or ""), found.fix
    policy, after = _synth(tmp_path / "after", _by_export(found.fix), True)
    assert not [f for f in after if f.severity == "error"], [f.message for f in after]
    request = evaluator.Request(
        "kms:GenerateDataKey", ROLE, ACCOUNT,
        context={"kms:ViaService": f"sns.{ENV.region}.amazonaws.com"},
    )  # fmt: skip
    assert decide_ours(policy, request) == "allow"


def test_linked_role_only_for_an_integration_of_a_service_linked_role(tmp_path: Path) -> None:
    def build(app: cdk.App, orders: Any, wired: bool) -> None:
        del app, wired
        with pytest.raises(ValueError, match="names no service-linked role"):
            orders.domain.allow_integration("alarm_action_topic", linked_role=ROLE)

    _synth(tmp_path, build, True)


def _created_role(literal: bool) -> Build:
    """The fleet stack creates the group's own service-linked role (``iam.CfnServiceLinkedRole``)
    and names it by a reference (the key policy cannot name it: a reference from the key's stack
    back to the fleet's, which depends on the key's, is a cycle), or, as the fix says, by its
    literal ARN."""

    def build(app: cdk.App, orders: Any, wired: bool) -> None:
        del wired
        template = volume_template(orders, "Template")
        cdk.Mixins.of(template).apply(orders.domain.encryption_at_rest())
        fleet = cdk.Stack(app, "Fleet", env=ENV)
        slr = iam.CfnServiceLinkedRole(
            fleet, "Slr", aws_service_name="autoscaling.amazonaws.com", custom_suffix="orders"
        )
        role = ROLE if literal else fleet.format_arn(
            service="iam", region="", resource="role",
            resource_name=f"aws-service-role/autoscaling.amazonaws.com/{slr.ref}",
        )  # fmt: skip
        _group(fleet, template, orders.domain.topic("Scaling"), role)

    return build


def test_a_role_another_stack_creates_is_cdkp021_and_its_literal_arn_passes(
    tmp_path: Path,
) -> None:
    policy, findings = _synth(tmp_path / "before", _created_role(False), True)
    assert '"AWSServiceRoleForAutoScaling"' not in json.dumps(policy)  # not the default's
    found = [f for f in findings if f.rule == "CDKP021"]
    assert {f.path for f in found} == {"Fleet/Group/ASG"}, [f.message for f in findings]
    assert all("literal ARN" in (f.fix or "") for f in found), [f.fix for f in found]
    policy, after = _synth(tmp_path / "after", _created_role(True), True)
    assert not [f for f in after if f.severity == "error"], [f.message for f in after]
    ours, theirs = _decisions(_cases(policy, ROLE))
    assert ours == theirs == ["allow"] * len(ours), (ours, theirs)


_NOT_LINKED = {
    "another account": "arn:aws:iam::999999999999:root",
    "an ordinary role": f"arn:aws:iam::{ACCOUNT}:role/anything",
    "another account's linked role": ROLE.replace(ACCOUNT, "999999999999"),
}


@pytest.mark.parametrize("name", sorted(_NOT_LINKED))
def test_a_principal_that_is_no_linked_role_of_the_account_is_never_named(
    tmp_path: Path, name: str
) -> None:
    """A consumer stack's group names a principal that is no service-linked role of EC2 Auto
    Scaling in the key's account (found by an attack: the key gave it the data actions, past
    DenyEveryoneElse, and every check was silent): the key names no one for it, CDKP021 says to
    name a service-linked role, and ``allow_integration`` refuses it."""
    principal = _NOT_LINKED[name]

    def build(app: cdk.App, orders: Any, wired: bool) -> None:
        del wired
        template = volume_template(orders, "Template")
        cdk.Mixins.of(template).apply(orders.domain.encryption_at_rest())
        _group(cdk.Stack(app, "Fleet", env=ENV), template, orders.domain.topic("T"), principal)
        with pytest.raises(ValueError, match="not a service-linked role"):
            orders.domain.allow_integration("launch_template_auto_scaling", linked_role=principal)

    policy, findings = _synth(tmp_path, build, True)
    assert principal not in json.dumps(policy)
    found = [f for f in findings if f.rule == "CDKP021"]
    assert {f.path for f in found} == {"Fleet/Group/ASG"}, [f.message for f in findings]
    assert all("name a service-linked role" in (f.fix or "") for f in found), found[0].fix
    ours, theirs = _decisions(_cases(policy, principal if ":role/" in principal else DEFAULT))
    assert "allow" not in ours and "allow" not in theirs


def test_the_report_knows_the_groups_statements_and_no_look_alike(tmp_path: Path) -> None:
    """The report takes ``<Sid>Role<n>[Grants]`` for the library's own, and a hand-written
    statement whose Sid merely starts the same stays an extra statement (an attack's spoof)."""
    from cdk_partition import report
    from cdk_partition.assembly import load

    def build(app: cdk.App, orders: Any, wired: bool) -> None:
        _own_role(app, orders, wired)
        orders.domain.add_to_key_policy(iam.PolicyStatement(
            sid="AllowAutoScalingLaunchRoleSpoof", actions=["kms:Decrypt"], resources=["*"],
            principals=[iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/spoof")]))  # fmt: skip

    _synth(tmp_path, build, True)
    (orders,) = [d for d in report.build_report(load(tmp_path)).domains if d.name == "orders"]
    extra = [f["message"] for f in orders.findings if f["rule"] == "REPORT-EXTRA-STATEMENT"]
    assert any("AllowAutoScalingLaunchRoleSpoof" in m for m in extra), extra
    assert not any("Role1" in m for m in extra), extra


def test_an_environment_agnostic_app_names_only_the_stacks_own_account(tmp_path: Path) -> None:
    """With no account known, only ``${AWS::AccountId}``'s role is the key's own (an attack put
    another account's service-linked role on the key of an environment-agnostic app)."""
    from conftest import cdk_context

    from cdk_partition import DomainStack, audit_path

    other = ROLE.replace(ACCOUNT, "999999999999")
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    orders = DomainStack(app, "Orders", domain_name="orders",
                         administrators=[iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/admin")])  # fmt: skip
    template = volume_template(orders, "Template")
    cdk.Mixins.of(template).apply(orders.domain.encryption_at_rest())
    _group(cdk.Stack(app, "Fleet"), template, orders.domain.topic("T"), other)
    with pytest.raises(ValueError, match="not a service-linked role"):
        orders.domain.allow_integration("launch_template_auto_scaling", linked_role=other)
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth on the error
        assert "alidation" in str(error), error
    key = json.loads((tmp_path / "Orders.template.json").read_text())
    assert "999999999999" not in json.dumps(key)
    assert {f.path for f in audit_path(tmp_path) if f.rule == "CDKP021"} == {"Fleet/Group/ASG"}

"""Integrations the CDK wires (issue #19, item 3, audit side): a domain queue as the dead-letter
queue of an EventBridge rule target or of an SNS subscription (CDKP021, a service principal's
requests), a Lambda event source mapping on a domain queue and a Step Functions execution role
sending to one (CDKP019, identities). Each request AWS makes is decided by our evaluator and by the
independent simulator ``@cloud-copilot/iam-simulate``, and each finding's fix, applied as written,
makes it disappear.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from conftest import cdk_context
from test_oracle_iam_simulate import (
    _SIMULATOR_DECISIONS,
    ACCOUNT,
    PSEUDO_PARAMETERS,
    REGION,
    Case,
    caller_for_arn,
    decide_ours,
    run_oracle,
    service,
)

from cdk_partition import DomainStack, audit_path
from cdk_partition.assembly import load
from cdk_partition.assembly.principals import PrincipalResolver
from cdk_partition.audit import Finding
from cdk_partition.knowledge import contracts
from cdk_partition.knowledge.capabilities import expand_kms_actions
from cdk_partition.policy import evaluator

ENV = cdk.Environment(account=ACCOUNT, region=REGION)


def _function(scope: Any, name: str) -> lambda_.Function:
    return lambda_.Function(
        scope,
        name,
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )


def _synth(out: Path, build: Callable[[DomainStack], None]) -> list[Finding]:
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    build(orders)
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth on the error
        assert "alidation" in str(error), error
    return audit_path(out)


def _concrete_key_policy(out: Path) -> dict[str, Any]:
    """The Orders key policy as AWS would hold it (placeholders the assembly shows resolved)."""
    assembly = load(out)
    key = next(k for k in assembly.domain_keys if k.name == "orders")
    canonical = evaluator.canonicalize(key.policy)
    text = json.dumps(
        PrincipalResolver(assembly).substitutions(canonical, key.stack).apply(canonical)
    )
    for pseudo, value in PSEUDO_PARAMETERS.items():
        text = text.replace(pseudo, value)
    # every placeholder resolved; a policy variable (``${aws:SourceArn}``) is the policy's own
    assert "${" not in text.replace("${aws:", ""), text
    return json.loads(text)


def _service_cases(out: Path, contract: str) -> list[Case]:
    """The run-time requests of ``contract``'s service-principal rows against the Orders key
    policy: each action AWS names (a wildcard as the actions it stands for), its context with
    the account, region and partition of the test's environment."""
    policy = _concrete_key_policy(out)
    values = {"{account}": ACCOUNT, "{region}": REGION, "{partition}": "aws"}

    def fill(text: str) -> str:
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    return [
        Case(f"integration:{contract}", policy, service(fill(row.principal)), action,
             {k: fill(v) for k, v in row.context.items()})
        for row in contracts.rows_for(contract, "run")
        if row.caller == "service_principal"
        for action in expand_kms_actions(row.actions)
    ]  # fmt: skip


def _decisions(cases: list[Case]) -> tuple[list[str], list[str]]:
    """(our decisions, the simulator's) for ``cases``."""
    ours = [decide_ours(c.policy, c.request()) for c in cases]
    theirs = [_SIMULATOR_DECISIONS.get(r["decision"], r["decision"]) for r in run_oracle(cases)]
    return ours, theirs


def verdicts_the_simulator_disagrees_with(out: Path) -> tuple[int, list[str]]:
    """Every KMS request the identity audit decided for a grant of the assembly at ``out``
    (:func:`~cdk_partition.audit.identities.verdicts`: CDKP019, CDKP027) decided again by the
    simulator on the concrete key policy, with the same caller, context and identity policy:
    (requests compared, the ones where the simulator's answer differs from the verdict)."""
    from cdk_partition.audit.identities import verdicts

    policy = _concrete_key_policy(out)
    cases: list[tuple[Case, bool]] = []
    for verdict in verdicts(load(out)):
        grant = verdict.grant
        context = {
            "kms:ViaService": f"{grant.row.service}.{REGION}.amazonaws.com",
            "kms:CallerAccount": grant.principal_arn.split(":")[4],
        }
        for request in grant.row.kms_requests:
            allows = any(fnmatchcase(request.lower(), p.lower()) for p in grant.identity_kms)
            case = Case(f"verdict:{grant.row.store_type}", policy,
                        caller_for_arn(grant.principal_arn), request, context, allows)  # fmt: skip
            cases.append((case, request not in verdict.refused))
    theirs = [_SIMULATOR_DECISIONS.get(r["decision"], r["decision"]) for r in
              run_oracle([c for c, _ in cases])] if cases else []  # fmt: skip
    wrong = [
        f"{c.describe()}: verdict {'allowed' if want else 'refused'}, simulator {sim}"
        for (c, want), sim in zip(cases, theirs, strict=True)
        if (sim == "allow") != want
    ]
    return len(cases), wrong


def imported_by_export(orders: DomainStack, arn: str, name: str) -> tuple[cdk.Stack, str]:
    """(a consumer stack of the app, ``arn`` as it imports it by a hand-written export name).

    The key policy follows the wiring the app's constructs show (``tests/test_wiring_follows.py``);
    a delivery wired through ``Fn::ImportValue`` of a name the app spells out is not a reference
    to the store there, while the template shows it to the audit (through the export): such a
    delivery still needs ``domain.allow_service_publisher`` (CDKP021 says so)."""
    cdk.CfnOutput(orders, f"{name}Arn", value=arn, export_name=f"orders-{name}")
    app = orders.node.root
    consumers = app.node.try_find_child("Consumers") or cdk.Stack(app, "Consumers", env=ENV)
    return consumers, cdk.Fn.import_value(f"orders-{name}")


def _dead_letter_of_rule_target(fixed: bool) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("RuleDlq")
        consumers, arn = imported_by_export(orders, queue.queue_arn, "rule-dlq")
        dlq = sqs.Queue.from_queue_arn(consumers, "RuleDlq", arn)
        rule = events.Rule(
            consumers, "Nightly", schedule=events.Schedule.rate(cdk.Duration.hours(1))
        )
        rule.add_target(targets.LambdaFunction(_function(consumers, "Job"), dead_letter_queue=dlq))
        if fixed:
            orders.domain.allow_service_publisher("events.amazonaws.com")

    return build


def _dead_letter_of_subscription(fixed: bool) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("SubscriptionDlq")
        consumers, arn = imported_by_export(orders, queue.queue_arn, "subscription-dlq")
        dlq = sqs.Queue.from_queue_arn(consumers, "SubscriptionDlq", arn)
        topic = sns.Topic(consumers, "Notices")
        topic.add_subscription(
            subs.LambdaSubscription(_function(consumers, "Reader"), dead_letter_queue=dlq)
        )
        if fixed:
            orders.domain.allow_service_publisher("sns.amazonaws.com")

    return build


def _dead_letter_of_event_bus(fixed: bool) -> Callable[[DomainStack], None]:
    """An event bus's own dead-letter queue (events it cannot process on a bus encrypted with a
    customer managed key), a domain queue: silent before (found by an attack)."""

    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("BusDlq")
        consumers, arn = imported_by_export(orders, queue.queue_arn, "bus-dlq")
        dlq = sqs.Queue.from_queue_arn(consumers, "BusDlq", arn)
        events.EventBus(consumers, "Bus", dead_letter_queue=dlq)
        if fixed:
            orders.domain.allow_service_publisher("events.amazonaws.com")

    return build


def test_an_event_bus_dead_letter_queue_in_the_domain_stack_is_allowed(tmp_path: Path) -> None:
    """The same bus in the domain's stack: the domain follows the wiring and writes the row."""

    def build(orders: DomainStack) -> None:
        events.EventBus(orders, "Bus", dead_letter_queue=orders.domain.queue("BusDlq"),
                        kms_key=orders.domain.key)  # fmt: skip

    findings = _synth(tmp_path, build)
    assert [f.message for f in findings if f.severity == "error"] == []
    ours, theirs = _decisions(_service_cases(tmp_path, "rule_target_queue"))
    assert ours == theirs and ours and set(ours) == {"allow"}, (ours, theirs)


@pytest.mark.parametrize(
    ("build", "contract", "source_type", "service_name"),
    [
        (_dead_letter_of_rule_target, "rule_target_queue", "AWS::Events::Rule",
         "events.amazonaws.com"),
        (_dead_letter_of_event_bus, "rule_target_queue", "AWS::Events::EventBus",
         "events.amazonaws.com"),
        (_dead_letter_of_subscription, "topic_subscription_queue", "AWS::SNS::Subscription",
         "sns.amazonaws.com"),
    ],
    ids=["eventbridge-target-dlq", "eventbridge-bus-dlq", "sns-subscription-dlq"],
)  # fmt: skip
def test_a_domain_queue_as_dead_letter_queue(
    tmp_path: Path,
    build: Callable[[bool], Callable[[DomainStack], None]],
    contract: str,
    source_type: str,
    service_name: str,
) -> None:
    findings = _synth(tmp_path / "before", build(False))
    found = [f for f in findings if f.rule == "CDKP021"]
    assert len(found) == 1, [f.message for f in findings]
    assert found[0].resource_type == source_type and "dead-letter queue" in found[0].message
    assert service_name in found[0].message
    assert f'`domain.allow_service_publisher("{service_name}")`' in found[0].fix
    cases = _service_cases(tmp_path / "before", contract)
    ours, theirs = _decisions(cases)
    assert ours == theirs and "allow" not in ours, (ours, theirs)

    findings = _synth(tmp_path / "after", build(True))  # the fix, as written
    assert not [f for f in findings if f.rule == "CDKP021"], [f.message for f in findings]
    cases = _service_cases(tmp_path / "after", contract)
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * len(cases), (ours, theirs)


def _identity_cases(out: Path, finding: Finding, requests: list[str]) -> list[Case]:
    """The KMS requests of the finding's principal through ``sqs``, as the simulator sees them."""
    from test_oracle_iam_simulate import caller_for_arn

    arn = str(finding.value)
    for pseudo, value in PSEUDO_PARAMETERS.items():
        arn = arn.replace(pseudo, value)
    policy = _concrete_key_policy(out)
    context = {"kms:ViaService": f"sqs.{REGION}.amazonaws.com", "kms:CallerAccount": ACCOUNT}
    return [
        Case("integration:identity", policy, caller_for_arn(arn), r, context, identity_allows=True)
        for r in requests
    ]


def _sqs_event_source(fixed: bool) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("Work")
        fn = _function(orders, "Worker")
        fn.add_event_source(sources.SqsEventSource(queue))
        if fixed:
            orders.domain.grant_read(fn.role)

    return build


def _state_machine_sender(fixed: bool) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("Outbox")
        send = tasks.SqsSendMessage(
            orders, "Send", queue=queue, message_body=sfn.TaskInput.from_text("done")
        )
        machine = sfn.StateMachine(
            orders, "Flow", definition_body=sfn.DefinitionBody.from_chainable(send)
        )
        if fixed:
            orders.domain.grant_read(machine.role)
            orders.domain.grant_write(machine.role)

    return build


@pytest.mark.parametrize(
    ("build", "path", "requests"),
    [
        (_sqs_event_source, "Orders/Worker/ServiceRole", ["kms:Decrypt"]),
        (_state_machine_sender, "Orders/Flow/Role", ["kms:GenerateDataKey", "kms:Decrypt"]),
    ],
    ids=["lambda-event-source-mapping", "step-functions-execution-role"],
)
def test_identities_the_cdk_wires(
    tmp_path: Path, build: Callable[[bool], Callable[[DomainStack], None]], path: str,
    requests: list[str],
) -> None:  # fmt: skip
    findings = _synth(tmp_path / "before", build(False))
    found = [f for f in findings if f.rule == "CDKP019"]
    assert len(found) == 1, [f.message for f in findings]
    assert path in found[0].message and path in found[0].fix
    assert all(r in found[0].message for r in requests)
    cases = _identity_cases(tmp_path / "before", found[0], requests)
    ours, theirs = _decisions(cases)
    assert ours == theirs and "allow" not in ours, (ours, theirs)

    findings = _synth(tmp_path / "after", build(True))  # the fix, as written
    assert not [f for f in findings if f.rule in ("CDKP019", "CDKP020")], [
        f.message for f in findings
    ]
    ours, theirs = _decisions(_identity_cases(tmp_path / "after", found[0], requests))
    assert ours == theirs == ["allow"] * len(requests), (ours, theirs)


def _auto_scaling_group(fixed: bool) -> Callable[[DomainStack], None]:
    """An Auto Scaling group of a consumer stack launching a domain launch template imported by
    a hand-written export name (the key policy cannot follow it; the audit can)."""

    def build(orders: DomainStack) -> None:
        template = orders.domain.launch_template(
            "Fleet",
            machine_image=ec2.MachineImage.latest_amazon_linux2023(),
            instance_type=ec2.InstanceType("t3.micro"),
            block_devices=[
                ec2.BlockDevice(device_name="/dev/xvda", volume=orders.domain.ebs_volume(8))
            ],
            auto_scaling=fixed,
        )
        consumers, template_id = imported_by_export(
            orders, template.launch_template_id or "", "fleet-template"
        )
        imported = ec2.LaunchTemplate.from_launch_template_attributes(
            consumers, "Fleet", launch_template_id=template_id, version_number="$Latest"
        )
        vpc = ec2.Vpc(consumers, "Vpc", max_azs=1, nat_gateways=0)
        autoscaling.AutoScalingGroup(
            consumers, "Group", vpc=vpc, launch_template=imported,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        )  # fmt: skip

    return build


def test_an_auto_scaling_group_the_key_refuses_is_cdkp021_and_its_fix_passes(
    tmp_path: Path,
) -> None:
    """EC2 Auto Scaling's service-linked role launching a template on the key: the audit holds
    its contract rows (attach, "Required AWS KMS key policy for use with encrypted volumes")
    against the key policy, as the synth-time wiring does; the fix offered passes as written."""
    findings = _synth(tmp_path / "before", _auto_scaling_group(False))
    found = [f for f in findings if f.rule == "CDKP021"]
    assert len(found) == 1, [f.message for f in findings]
    assert found[0].resource_type == "AWS::AutoScaling::AutoScalingGroup"
    assert "AWSServiceRoleForAutoScaling" in found[0].message
    assert "kms:CreateGrant" in found[0].message
    assert "`domain.launch_template(..., auto_scaling=True)`" in (found[0].fix or "")
    findings = _synth(tmp_path / "after", _auto_scaling_group(True))  # the fix, as written
    assert not [f for f in findings if f.rule == "CDKP021"], [f.message for f in findings]

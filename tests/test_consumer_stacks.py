"""A principal of a consumer stack that deploys after the domain's (issue #19).

A consumer stack that reads a domain store references the domain's stack, so it deploys after
it. When its role needs the key, the usual fix (``domain.grant_read(role)``,
``domain.allow_passed_role(role, type)``) names the role in the key policy: the domain's stack
would then deploy after the consumer's as well, a dependency cycle the domain refuses at construct
time, a fix that is itself a door that refuses. Before: ``CDKP019`` and ``CDKP024`` gave that fix.
Now the fix says to create the role in a stack that deploys first, give it to the consumer
imported into its stack, then name it; applied as written, the app synthesizes with no error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from conftest import cdk_context, synth_and_audit

from cdk_partition import DomainEncryptionChecks, DomainStack
from cdk_partition.audit import Finding

Build = Callable[[cdk.Stack, DomainStack, cdk.Stack], None]


def _synth(out: Path, build: Build, *, checked: bool = True) -> list[Finding]:
    """The audit's findings of an app: a principals stack, the orders domain and a consumer
    stack that the domain's checks also cover (``checked``) or not."""
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci])
    consumer = cdk.Stack(app, "Consumer")
    build(people, orders, consumer)
    if checked:
        DomainEncryptionChecks(orders.domain).apply_to(consumer)
    return synth_and_audit(app, out)


def _function(
    scope: cdk.Stack, environment: dict[str, str], role: iam.IRole | None = None
) -> lambda_.Function:
    return lambda_.Function(
        scope, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        environment=environment, role=role,
    )  # fmt: skip


def _reader(fixed: bool) -> Build:
    """A function of the consumer stack consuming a domain queue the ordinary CDK way."""

    def build(people: cdk.Stack, orders: DomainStack, consumer: cdk.Stack) -> None:
        queue = orders.domain.queue("Jobs")
        role = None
        if fixed:  # the finding's fix, as written
            role = iam.Role(
                people, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
            )
            imported = iam.Role.from_role_arn(consumer, "ReaderRef", role.role_arn)
        fn = _function(consumer, {"QUEUE": queue.queue_url}, imported if fixed else None)
        queue.grant_consume_messages(fn)  # the CDK grant stays as written
        if role is not None:
            orders.domain.grant_read(role)

    return build


def _state_machine(fixed: bool) -> Build:
    """A state machine of the consumer stack encrypted with the domain key (the L2's option)."""

    def build(people: cdk.Stack, orders: DomainStack, consumer: cdk.Stack) -> None:
        role = None
        if fixed:  # the finding's fix, as written
            role = iam.Role(people, "Flow", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        sfn.StateMachine(
            consumer, "Flow",
            definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(consumer, "Step")),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(orders.domain.key),
            role=iam.Role.from_role_arn(consumer, "FlowRef", role.role_arn) if role else None,
        )  # fmt: skip
        if role is not None:
            orders.domain.allow_passed_role(role, "AWS::StepFunctions::StateMachine")

    return build


CASES = {
    "CDKP019": (_reader, "Consumer/Fn/ServiceRole", "`domain.grant_read(role)`"),
    "CDKP024": (
        _state_machine,
        "Consumer/Flow/Role",
        "`domain.allow_passed_role(role, 'AWS::StepFunctions::StateMachine')`",
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_a_consumer_stack_role_gets_a_fix_without_a_cycle(tmp_path: Path, rule: str) -> None:
    make, role_path, call = CASES[rule]
    found = [f for f in _synth(tmp_path / "before", make(False)) if f.rule == rule]
    assert len(found) == 1, found
    fix = found[0].fix
    assert f"{role_path} lives in stack 'Consumer', which deploys after the domain's stack " in fix
    assert "'Orders'" in fix and "dependency cycle" in fix
    assert "iam.Role.from_role_arn(stack, id, role.role_arn)" in fix and call in fix, fix
    # the usual fix names the consumer's own role: it would close the cycle
    assert f"({role_path})" not in fix and f"({role_path}," not in fix

    findings = _synth(tmp_path / "after", make(True))
    assert [f.message for f in findings if f.severity == "error"] == []


def test_a_role_of_a_stack_that_deploys_first_keeps_the_usual_fix(tmp_path: Path) -> None:
    """The consumer's role made in the principals stack (which deploys first) and given to the
    function without an import, with no key policy name: the usual fix applies, naming it."""

    def build(people: cdk.Stack, orders: DomainStack, consumer: cdk.Stack) -> None:
        queue = orders.domain.queue("Jobs")
        role = iam.Role(people, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        fn = _function(consumer, {"QUEUE": queue.queue_url},
                       iam.Role.from_role_arn(consumer, "ReaderRef", role.role_arn))  # fmt: skip
        queue.grant_consume_messages(fn)

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP019"]
    assert len(found) == 1, found
    assert "deploys after" not in found[0].fix
    assert "`domain.grant_read(" in found[0].fix


def test_a_store_on_the_domain_key_in_a_stack_no_check_covers_is_held_to_the_domain(
    tmp_path: Path,
) -> None:
    """The consumer stack carries no checks (no DomainStack, no apply_to), yet its state machine
    is on the domain key through the CDK's cross-stack export: the key policy is its access
    control, so it is held to the domain (before: no finding at all, and the state machine
    failed at run time). The consumer's other stores belong to no domain: not reported."""

    def build(people: cdk.Stack, orders: DomainStack, consumer: cdk.Stack) -> None:
        _state_machine(False)(people, orders, consumer)
        sqs.Queue(consumer, "Own")  # the consumer's own queue, on SQS-managed encryption

    findings = _synth(tmp_path / "before", build, checked=False)
    errors = [f for f in findings if f.severity == "error"]
    assert [(f.rule, f.path, f.domain) for f in errors] == [
        ("CDKP024", "Consumer/Flow/Resource", "orders")
    ], [f.message for f in errors]
    assert "deploys after the domain's stack 'Orders'" in errors[0].fix

    after = _synth(tmp_path / "after", _state_machine(True), checked=False)
    assert [f.message for f in after if f.severity == "error"] == []


@pytest.mark.parametrize("how", ["alias", "alias-name", "sub"])
def test_a_store_on_the_key_through_its_alias_or_a_built_arn_is_held_to_the_domain(
    tmp_path: Path, how: str
) -> None:
    """The same unchecked consumer stack, its state machine given the domain's alias, the alias
    by its literal name, or the key's ARN built with ``Fn::Sub`` around the key id's import:
    each still names the domain key, so the store is held to the domain (before: no finding)."""
    from aws_cdk import aws_kms as kms

    def build(people: cdk.Stack, orders: DomainStack, consumer: cdk.Stack) -> None:
        domain = orders.domain
        key: kms.IKey
        if how == "alias":
            key = domain.alias
        elif how == "alias-name":
            key = kms.Alias.from_alias_name(consumer, "A", domain.alias.alias_name)
        else:
            arn = cdk.Fn.sub(
                "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Id}",
                {"Id": domain.key.key_id},
            )
            key = kms.Key.from_key_arn(consumer, "K", arn)
        sfn.StateMachine(
            consumer, "Flow",
            definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(consumer, "Step")),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key),
        )  # fmt: skip

    findings = _synth(tmp_path, build, checked=False)
    flow = [f for f in findings if f.path == "Consumer/Flow/Resource" and f.severity == "error"]
    assert flow and all(f.domain == "orders" for f in flow), [(f.rule, f.domain) for f in flow]
    assert "CDKP024" in {f.rule for f in flow}


def test_a_user_of_a_consumer_stack_gets_the_users_fix(tmp_path: Path) -> None:
    """The later-stack fix for a user says to import a user (``User.from_user_arn``), not a role;
    applied as written, the app synthesizes clean."""

    def build(fixed: bool) -> Build:
        def inner(people: cdk.Stack, orders: DomainStack, consumer: cdk.Stack) -> None:
            queue = orders.domain.queue("Jobs")
            if fixed:
                user = iam.User(people, "Bob")
                imported = iam.User.from_user_arn(consumer, "BobRef", user.user_arn)
                queue.grant_consume_messages(imported)
                orders.domain.grant_read(user)
            else:
                queue.grant_consume_messages(iam.User(consumer, "Bob"))

        return inner

    found = [f for f in _synth(tmp_path / "before", build(False)) if f.rule == "CDKP019"]
    assert len(found) == 1, found
    assert "create the user" in found[0].fix and "iam.User.from_user_arn(" in found[0].fix
    assert found[0].fix.endswith("`domain.grant_read(user)`; the CDK grant stays as written")
    after = _synth(tmp_path / "after", build(True))
    assert [f.message for f in after if f.severity == "error"] == []

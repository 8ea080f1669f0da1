"""A grant on every resource, meant for a domain store the app wires to the principal (issue
#19, principals the app grants): a function given ``sqs:*`` on ``"*"``, or an AWS managed policy
(``AmazonKinesisReadOnlyAccess``), and a domain store's name or URL in its environment uses that
store, and the key refusing its KMS requests fails it at run time. Both were silent (a fourth
attack): wildcard actions on ``"*"`` were not read, and AWS managed policies (not in the template)
not at all. Now each is CDKP025 naming the role (a grant on everything says both readings: name
it, or scope the grant); the fix, as written, passes; the verdicts are decided again by
``@cloud-copilot/iam-simulate``. Without the wiring, nothing; nor for a principal that names the
store itself, an ECS task definition's execution role, or an IAM Deny naming both (a fifth
attack: those were false errors).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from conftest import cdk_context, synth_and_audit
from test_integrations import verdicts_the_simulator_disagrees_with
from test_oracle_iam_simulate import ACCOUNT, REGION

from cdk_partition import DomainStack
from cdk_partition.audit import Finding

ENV = cdk.Environment(account=ACCOUNT, region=REGION)

#: (the store the function is given, its role's grant on every resource)
Shape = Callable[[DomainStack, iam.Role], str]


def _queue_with_inline_star(orders: DomainStack, role: iam.Role) -> str:
    role.add_to_policy(iam.PolicyStatement(actions=["sqs:*"], resources=["*"]))
    return orders.domain.queue("Jobs").queue_url


def _stream_with_aws_managed(orders: DomainStack, role: iam.Role) -> str:
    role.add_managed_policy(
        iam.ManagedPolicy.from_aws_managed_policy_name("AmazonKinesisReadOnlyAccess")
    )
    return orders.domain.stream("Events").stream_name


def _aws_managed(name: str, store: Callable[[DomainStack], str]) -> Shape:
    """The role given the AWS managed policy ``name``; the function the store ``store`` makes."""

    def shape(orders: DomainStack, role: iam.Role) -> str:
        role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name(name))
        return store(orders)

    return shape


def _table(orders: DomainStack) -> str:
    return orders.domain.table(
        "Items", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    ).table_name


def _queue_with_inline_not_action(orders: DomainStack, role: iam.Role) -> str:
    """Everything but IAM, as an inline statement (``NotAction``): read as ``Action: "*"`` for
    the services the audit checks (was CDKP020, "an Allow with NotAction")."""
    role.add_to_policy(iam.PolicyStatement(not_actions=["iam:*"], resources=["*"]))
    return orders.domain.queue("Jobs").queue_url


SHAPES: dict[str, Shape] = {
    "inline-sqs-star": _queue_with_inline_star,
    "aws-managed-kinesis-read": _stream_with_aws_managed,
    # the policies read whole later (a verbatim copy of their pages): each was not followed
    "aws-managed-sqs-full": _aws_managed(
        "AmazonSQSFullAccess", lambda o: o.domain.queue("Jobs").queue_url
    ),
    "aws-managed-s3-full": _aws_managed(
        "AmazonS3FullAccess", lambda o: o.domain.bucket("Docs").bucket_name
    ),
    "aws-managed-secrets-read-write": _aws_managed(
        "SecretsManagerReadWrite", lambda o: o.domain.secret("Token").secret_arn
    ),
    "aws-managed-dynamodb-read": _aws_managed("AmazonDynamoDBReadOnlyAccess", _table),
    # the broad ones (each not followed before: silent)
    "aws-managed-administrator": _aws_managed(
        "AdministratorAccess", lambda o: o.domain.queue("Jobs").queue_url
    ),
    "aws-managed-power-user": _aws_managed(
        "PowerUserAccess", lambda o: o.domain.bucket("Docs").bucket_name
    ),
    "aws-managed-dynamodb-full-v2": _aws_managed("AmazonDynamoDBFullAccess_v2", _table),
    "inline-not-action": _queue_with_inline_not_action,
}


def _synth(out: Path, shape: Shape, *, wired: bool, fixed: bool) -> list[Finding]:
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    role = iam.Role(people, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    store = shape(orders, role)
    apps = cdk.Stack(app, "Apps", env=ENV)
    lambda_.Function(
        apps, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c):\n    return None\n"),
        role=iam.Role.from_role_arn(apps, "WorkerRef", role.role_arn),
        environment={"STORE": store} if wired else {},
    )  # fmt: skip
    if fixed:  # the finding's fix, as written
        orders.domain.grant_read(role)
        orders.domain.grant_write(role)
    return synth_and_audit(app, out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_wired_principals_grant_on_everything_is_cdkp025_and_the_fix_passes(
    tmp_path: Path, shape: str
) -> None:
    before = _synth(tmp_path / "before", SHAPES[shape], wired=True, fixed=False)
    found = [f for f in before if f.rule == "CDKP025"]
    assert [f.path for f in found] and all("Principals/Worker" in f.path for f in found), [
        f.message for f in before
    ]
    assert "domain.grant_read(" in (found[0].fix or ""), found[0].fix
    compared, wrong = verdicts_the_simulator_disagrees_with(tmp_path / "before")
    assert compared and not wrong, wrong
    after = _synth(tmp_path / "after", SHAPES[shape], wired=True, fixed=True)
    assert [f.message for f in after if f.rule in ("CDKP019", "CDKP025")] == []
    compared, wrong = verdicts_the_simulator_disagrees_with(tmp_path / "after")
    assert compared and not wrong, wrong


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_without_the_wiring_the_grant_is_meant_for_no_store(tmp_path: Path, shape: str) -> None:
    findings = _synth(tmp_path, SHAPES[shape], wired=False, fixed=False)
    assert [f.message for f in findings if f.rule in ("CDKP019", "CDKP020", "CDKP025")] == []


@pytest.mark.parametrize("resource", ["reference", "star"])
def test_an_identity_center_permission_set_reaching_a_domain_store_is_cdkp020(
    tmp_path: Path, resource: str
) -> None:
    """A permission set's policy is provisioned to a role IAM Identity Center creates in each
    assigned account: the template shows no such role, so the key cannot name it ahead (was
    silent; a fourth attack). CDKP020 says so, with what to write once the role exists."""
    from aws_cdk import aws_sso as sso

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    bucket = orders.domain.bucket("Docs")
    where = [bucket.arn_for_objects("*")] if resource == "reference" else ["*"]
    sso.CfnPermissionSet(orders, "Analysts", name="Analysts",
                         instance_arn="arn:aws:sso:::instance/ssoins-1234567890abcdef",
                         inline_policy={"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": where}]})  # fmt: skip
    findings = synth_and_audit(app, tmp_path)
    found = [f for f in findings if f.rule == "CDKP020" and f.path == "Orders/Analysts"]
    if resource == "star":  # a set for every resource names no store (as CDKP025 reads "*")
        assert found == [], [f.message for f in found]
        return
    assert len(found) == 1 and "IAM Identity Center" in found[0].message, [
        f.message for f in findings
    ]
    assert "iam.Role.from_role_arn(" in (found[0].fix or "")


def _host(orders: DomainStack, apps: cdk.Stack, role: iam.IRole, store: str) -> None:
    """An instance whose profile holds ``role`` and whose user data names ``store``."""
    from aws_cdk import aws_ec2 as ec2

    vpc = ec2.Vpc(apps, "Vpc", max_azs=1, nat_gateways=0)
    host = ec2.Instance(apps, "Host", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"),
                        machine_image=ec2.MachineImage.latest_amazon_linux2023(), role=role,
                        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC))  # fmt: skip
    host.add_user_data(cdk.Fn.join("", ["export STORE=", store]))
    del orders


def _run(out: Path, build: Callable[[DomainStack, cdk.Stack, iam.Role], None]) -> list[Finding]:
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    role = iam.Role(people, "Worker", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
                    managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                        "AmazonKinesisReadOnlyAccess")])  # fmt: skip
    build(orders, cdk.Stack(app, "Apps", env=ENV), role)
    return synth_and_audit(app, out)  # type: ignore[no-any-return]


def test_an_instance_profiles_role_is_wired_through_the_profile(tmp_path: Path) -> None:
    """An instance names its profile, the profile the role (silent: a fifth attack)."""

    def build(orders: DomainStack, apps: cdk.Stack, role: iam.Role) -> None:
        stream = orders.domain.stream("Events")
        _host(orders, apps, iam.Role.from_role_arn(apps, "Ref", role.role_arn), stream.stream_name)

    found = [f for f in _run(tmp_path, build) if f.rule == "CDKP025"]
    assert [f.path for f in found] == ["Principals/Worker/Resource"], [f.message for f in found]


def _execution_role(orders: DomainStack, apps: cdk.Stack, role: iam.Role) -> None:
    """The role is the task definition's execution role (the agent's), the stream in a
    container's environment: the containers never run as it."""
    from aws_cdk import aws_ecs as ecs

    task = ecs.FargateTaskDefinition(apps, "Task", execution_role=iam.Role.from_role_arn(
        apps, "Exec", role.role_arn, mutable=False))  # fmt: skip
    task.add_container("App", image=ecs.ContainerImage.from_registry("public.ecr.aws/x/y"),
                       environment={"STREAM": orders.domain.stream("Events").stream_name})  # fmt: skip


def _denied(orders: DomainStack, apps: cdk.Stack, role: iam.Role) -> None:
    """An IAM Deny naming the role and the stream: a guardrail, not a workload."""
    stream = orders.domain.stream("Events")
    iam.Policy(apps, "Guard", roles=[iam.Role.from_role_arn(apps, "Ref", role.role_arn)],
               statements=[iam.PolicyStatement(effect=iam.Effect.DENY, actions=["kinesis:*"],
                                               resources=[stream.stream_arn])])  # fmt: skip


def _named_for_writing(orders: DomainStack, apps: cdk.Stack, role: iam.Role) -> None:
    """The role names the stream for writing and is given it: its read on everything is not
    read as the stream's (a role of two domains was told to read the one it writes)."""
    stream = orders.domain.stream("Events")
    ref = iam.Role.from_role_arn(apps, "Ref", role.role_arn)
    ref.add_to_principal_policy(iam.PolicyStatement(actions=["kinesis:PutRecord"],
                                                    resources=[stream.stream_arn]))  # fmt: skip
    orders.domain.grant_write(role)
    _host(orders, apps, ref, stream.stream_name)


@pytest.mark.parametrize("build", [_execution_role, _denied, _named_for_writing],
                         ids=["ecs-execution-role", "iam-deny", "named-for-writing"])  # fmt: skip
def test_no_wiring_read_into_what_is_not_a_workload(
    tmp_path: Path, build: Callable[..., None]
) -> None:
    findings = _run(tmp_path, build)
    assert [f.message for f in findings if f.rule in ("CDKP019", "CDKP025")] == []


def test_a_not_action_naming_a_checked_service_stays_unreadable(tmp_path: Path) -> None:
    """``NotAction: ["sqs:DeleteQueue"]`` allows every other SQS action: which of them the
    statement meant for a domain queue the audit cannot tell, so it stays CDKP020 (fail
    closed), unlike a ``NotAction`` of services it does not check (read as ``Action: "*"``)."""

    def shape(orders: DomainStack, role: iam.Role) -> str:
        role.add_to_policy(iam.PolicyStatement(not_actions=["sqs:DeleteQueue"], resources=["*"]))
        return orders.domain.queue("Jobs").queue_url

    findings = _synth(tmp_path, shape, wired=True, fixed=False)
    found = [f for f in findings if f.rule == "CDKP020"]
    assert found and all("NotAction" in f.message for f in found), [f.message for f in findings]

"""Principals IAM lets in that the key refuses, in forms an attack review found silent or
mis-fixed (issue #19), each a kind:

* a text naming a store CloudFormation names: ``arn:aws:sqs:...:Orders-*`` reaches the unnamed
  queues of stack ``Orders`` (generated names begin with the stack's name), so the grant is
  checked (was silent: an unnamed store was reached only by a text admitting any name); so do
  the deployed name itself (``Orders-<logical id>-<suffix>``) and its prefix (a fourth attack);
* a managed policy of the app attached by its literal name
  (``ManagedPolicy.from_managed_policy_name``) is the app's policy (was silent);
* a ``Resource`` CloudFormation fills in at deploy (``{{resolve:ssm:...}}``) is CDKP020, not
  read as naming nothing (was silent);
* an account in a store's resource policy: the fix says to replace the account with its roles
  and name those (before it said only to name the roles, which left the account, and the finding);
* a consumer's role given a store grant from a later stack: the refusal says to import the role
  into the consumer, which synthesizes (before it said to pass the role object, which cycles).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from conftest import cdk_context, synth_and_audit
from test_integrations import _function
from test_oracle_iam_simulate import ACCOUNT, REGION

from cdk_partition import DomainStack
from cdk_partition.audit import Finding

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
PARTNER = "999999999999"
SENDER = f"arn:aws:iam::{PARTNER}:role/sender"


def _synth(out: Path, *, fixed: bool) -> list[Finding]:
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    jobs = orders.domain.queue("Jobs")  # no literal name: CloudFormation names it Orders-...
    orders.domain.queue("Named", queue_name="orders-named")
    prefix = iam.Role(people, "Prefix", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    prefix.add_to_policy(iam.PolicyStatement(
        actions=["sqs:ReceiveMessage"], resources=[f"arn:aws:sqs:{REGION}:{ACCOUNT}:Orders-*"]))  # fmt: skip
    # the stack's name in another case: IAM matches ARNs case-sensitively, and a queue's
    # generated name keeps the stack's case, so this names only the literal orders-named
    lower = iam.Role(people, "Lower", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    lower.add_to_policy(iam.PolicyStatement(
        actions=["sqs:ReceiveMessage"], resources=[f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-*"]))  # fmt: skip
    # the deployed name CloudFormation generates (a lookup or the console gives it), and its
    # prefix: both name the queue (silent before, a fourth attack)
    generated = orders.resolve(jobs.node.default_child.logical_id)  # type: ignore[union-attr]
    deployed = iam.Role(
        people, "Deployed", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
    )
    deployed.add_to_policy(iam.PolicyStatement(actions=["sqs:ReceiveMessage"], resources=[
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:Orders-{generated}-AbCdEf123456",
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:Orders-{generated[:10]}*"]))  # fmt: skip
    iam.ManagedPolicy(people, "Consume", managed_policy_name="orders-named-consume",
                      statements=[iam.PolicyStatement(actions=["sqs:ReceiveMessage"],
                                                      resources=[f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-named"])])  # fmt: skip
    apps = cdk.Stack(app, "Apps", env=ENV)
    worker = iam.Role(apps, "Worker", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    worker.add_managed_policy(
        iam.ManagedPolicy.from_managed_policy_name(apps, "ConsumeRef", "orders-named-consume")
    )
    # the same by a Fn::Sub ARN, as templates brought in with CfnInclude write it
    sub = iam.Role(apps, "SubWorker", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    sub.node.default_child.add_property_override("ManagedPolicyArns", [  # type: ignore[union-attr]
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/orders-named-consume"}])  # fmt: skip
    dynamic = iam.Role(
        orders, "Dynamic", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
    )
    # CDKP020's fix: the store as a reference the template shows (then named in the key policy)
    resource = jobs.queue_arn if fixed else "{{resolve:ssm:/orders/jobs/arn}}"
    dynamic.add_to_policy(iam.PolicyStatement(actions=["sqs:ReceiveMessage"],
                                              resources=[resource]))  # fmt: skip
    if fixed:  # the findings' fixes, as written
        orders.domain.grant_read(prefix)
        orders.domain.grant_read(deployed)
        orders.domain.grant_read(lower)
        orders.domain.grant_read(worker)
        orders.domain.grant_read(sub)
        sender = iam.Role.from_role_arn(orders, "Sender", SENDER)
        jobs.grant_send_messages(iam.ArnPrincipal(SENDER))
        orders.domain.grant_read(sender)
        orders.domain.grant_write(sender)
        orders.domain.grant_read(dynamic)
    else:
        jobs.grant_send_messages(iam.AccountPrincipal(PARTNER))
    return synth_and_audit(app, out)


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return _synth(tmp_path_factory.mktemp("before"), fixed=False)


def _at(findings: list[Finding], rule: str, where: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule and where in f"{f.path} {f.message}"]


def test_a_stack_prefix_names_the_stacks_unnamed_stores(before: list[Finding]) -> None:
    found = _at(before, "CDKP019", "Principals/Prefix")
    assert [f.message.split(" on ")[1].split(" of ")[0] for f in found] == ["Orders/Domain/Jobs"]


def test_a_deployed_generated_name_and_its_prefix_name_the_store(before: list[Finding]) -> None:
    found = _at(before, "CDKP019", "Principals/Deployed")
    assert [f.message.split(" on ")[1].split(" of ")[0] for f in found] == ["Orders/Domain/Jobs"], [
        f.message for f in before
    ]


def test_a_prefix_in_another_case_names_no_generated_name(before: list[Finding]) -> None:
    found = _at(before, "CDKP019", "Principals/Lower")
    assert [f.message.split(" on ")[1].split(" of ")[0] for f in found] == ["Orders/Domain/Named"]


def test_a_managed_policy_attached_by_its_name_is_the_apps(before: list[Finding]) -> None:
    for who in ("Apps/Worker ", "Apps/SubWorker "):
        found = _at(before, "CDKP019", who)
        assert len(found) == 1 and "on Orders/Domain/Named" in found[0].message, [
            f.message for f in before
        ]


def test_a_dynamic_reference_is_not_followed_and_says_so(before: list[Finding]) -> None:
    found = _at(before, "CDKP020", "Orders/Dynamic")
    assert len(found) == 1 and "dynamic reference" in found[0].message


def test_an_accounts_fix_replaces_the_account_with_its_roles(before: list[Finding]) -> None:
    found = [f for f in before if f.rule == "CDKP019" and f.value == f"arn:aws:iam::{PARTNER}:root"]
    assert len(found) == 1, [f.message for f in before]
    fix = found[0].fix or ""
    assert "replace the account with the roles" in fix and "iam.ArnPrincipal(" in fix
    assert "grant_read(" in fix and "grant_write(" in fix  # SendMessage: kms:GenerateDataKey


def test_the_fixes_as_written_clear_them(tmp_path: Path) -> None:
    findings = _synth(tmp_path, fixed=True)
    assert [f.message for f in findings if f.severity == "error"] == []


def test_the_cycle_refusal_says_what_synthesizes(tmp_path: Path) -> None:
    """A store grant for a role of a consumer stack that uses the store: refused with the
    pattern to write instead; that pattern, applied with the consumer's event source, synthesizes
    clean."""

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path / "refused"))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    queue = orders.domain.queue("Jobs")
    consumer = cdk.Stack(app, "Consumer", env=ENV)
    fn = _function(consumer, "Worker")
    fn.add_event_source(sources.SqsEventSource(queue))
    orders.domain.grant_store_read(queue, fn.role)
    with pytest.raises(Exception, match="imported there") as refused:
        app.synth()
    assert "iam.Role.from_role_arn(self, id, role.role_arn)" in str(refused.value)
    # the pattern, as written
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path / "applied"))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    queue = orders.domain.queue("Jobs")
    role = iam.Role(people, "WorkerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    consumer = cdk.Stack(app, "Consumer", env=ENV)
    fn = lambda_.Function(
        consumer, "Worker", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        role=iam.Role.from_role_arn(consumer, "WorkerRoleRef", role.role_arn),
    )  # fmt: skip
    orders.domain.grant_store_read(queue, role)
    fn.add_event_source(sources.SqsEventSource(queue))
    findings = synth_and_audit(app, tmp_path / "applied")
    assert [f.message for f in findings if f.severity == "error"] == []


@pytest.mark.parametrize("fixed", [False, True])
def test_a_role_that_waits_on_the_key_gets_the_principals_stack_fix(
    tmp_path: Path, fixed: bool
) -> None:
    """A function of the domain's stack mounts a domain file system (its role waits on the mount
    targets, which wait on the file system, which waits on the key) and consumes a domain queue.
    Naming its role in the key policy would close a cycle (before, the CDKP019 fix said to, and
    applied as written the synth failed with CDKP012). The fix now creates the role in a stack
    that deploys first and imports it; applied as written, the app synthesizes clean."""
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_efs as efs

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    people = cdk.Stack(app, "Principals", env=ENV)
    admin = iam.User(people, "admin", user_name="admin")
    ledger = DomainStack(app, "Ledger", domain_name="ledger", administrators=[admin], env=ENV)
    domain = ledger.domain
    vpc = ec2.Vpc(ledger, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="iso", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])  # fmt: skip
    files = domain.file_system("Files", vpc=vpc)
    point = files.add_access_point("Ap", path="/data", posix_user=efs.PosixUser(uid="1001", gid="1001"),
        create_acl=efs.Acl(owner_uid="1001", owner_gid="1001", permissions="750"))  # fmt: skip
    role: iam.IRole | None = None
    if fixed:  # the finding's fix, as written
        made = iam.Role(people, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        role = iam.Role.from_role_arn(ledger, "WorkerRef", made.role_arn)
        domain.grant_read(made)
    fn = lambda_.Function(
        ledger, "Worker", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c):\n    return None\n"), vpc=vpc,
        filesystem=lambda_.FileSystem.from_efs_access_point(point, "/mnt/data"), role=role,
    )  # fmt: skip
    fn.add_event_source(sources.SqsEventSource(domain.queue("Jobs")))
    findings = synth_and_audit(app, tmp_path)
    errors = [f for f in findings if f.severity == "error"]
    if fixed:
        assert errors == [], [f.message for f in errors]
    else:
        assert [f.rule for f in errors] == ["CDKP019"], [f.message for f in errors]
        assert "depends on the domain key within stack 'Ledger'" in (errors[0].fix or "")
        assert "iam.Role.from_role_arn(stack, id, role.role_arn)" in (errors[0].fix or "")

"""IAM grants on the domain key itself that the key policy refuses (issue #19, CDKP019).

``domain.key.grant_decrypt(role)`` (any ``Key.grant*``, or a statement whose ``Resource`` names
the domain key) gives the principal the key's actions in IAM only; ``DenyEveryoneElse`` refuses
them unless the key policy names the principal. Before: synth, audit and report were silent and
the call failed at run time. Now each is CDKP019 with the capability calls to write, applied as
written in the test; a principal the CDK's store grant already reports is not reported twice.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from conftest import cdk_context, synth_and_audit

from cdk_partition import DomainStack
from cdk_partition.audit import Finding


def _synth(out: Path, *, fixed: bool) -> list[Finding]:
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    worker = iam.Role(people, "Worker", assumed_by=iam.AccountRootPrincipal())
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci])
    local = iam.Role(orders, "Local", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    lambda_.Function(
        orders, "Decrypter", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        role=local,
    )  # fmt: skip
    orders.domain.key.grant_decrypt(local)
    # a service role nothing runs with (the CDK's Firehose L2 leaves one): its grant makes no call
    idle = iam.Role(orders, "Idle", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
    orders.domain.key.grant_encrypt_decrypt(idle)
    imported = iam.Role.from_role_arn(orders, "WorkerRef", worker.role_arn)
    orders.domain.key.grant_encrypt_decrypt(imported)
    # a store grant: the CDK adds the key's actions beside the queue's; reported once, by store
    consumer = iam.Role(orders, "Consumer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    orders.domain.queue("Jobs").grant_consume_messages(consumer)
    if fixed:  # the findings' fixes, as written
        orders.domain.grant_read(local)
        orders.domain.grant_read(worker)
        orders.domain.grant_write(worker)
        orders.domain.grant_read(consumer)
    return synth_and_audit(app, out)


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return _synth(tmp_path_factory.mktemp("before"), fixed=False)


def test_key_grants_the_key_refuses_are_reported(before: list[Finding]) -> None:
    found = {f.path: f for f in before if f.rule == "CDKP019"}
    local = found["Orders/Local/DefaultPolicy/Resource"]
    assert "kms:Decrypt on the key of domain 'orders'" in local.message
    assert "`domain.grant_read(Orders/Local)`" in local.fix
    worker = found["Orders/WorkerRef/Policy/Resource"]
    assert "Principals/Worker" in worker.message and "kms:GenerateDataKey" in worker.message
    assert "`domain.grant_read(Principals/Worker)` and `domain.grant_write(Principals/Worker)`" in (
        worker.fix or ""
    )


def test_a_role_nothing_runs_with_is_not_reported(before: list[Finding]) -> None:
    assert not [f for f in before if "Orders/Idle" in f.path], [f.path for f in before]


def test_a_store_grant_is_reported_once_by_its_store(before: list[Finding]) -> None:
    found = [f for f in before if f.rule == "CDKP019" and "Orders/Consumer" in f.path]
    assert len(found) == 1, [f.message for f in found]
    assert "on Orders/Domain/Jobs" in found[0].message


def test_the_fixes_as_written_clear_them(tmp_path: Path) -> None:
    findings = _synth(tmp_path, fixed=True)
    assert [f.message for f in findings if f.severity == "error"] == []


def test_a_role_used_by_its_literal_name_is_not_idle(tmp_path: Path) -> None:
    """A service role with a literal ``RoleName`` that a Glue job names by that name (no
    ``Ref``): it runs, so its key grant the key refuses is reported."""
    from aws_cdk import aws_glue as glue

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci])
    role = iam.Role(
        orders, "GlueRole", role_name="orders-glue",
        assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
    )  # fmt: skip
    orders.domain.key.grant_decrypt(role)
    glue.CfnJob(
        orders, "Job", role="orders-glue",
        command=glue.CfnJob.JobCommandProperty(name="glueetl", script_location="s3://b/x.py"),
    )  # fmt: skip
    found = [f for f in synth_and_audit(app, tmp_path) if f.rule == "CDKP019"]
    assert [f.path for f in found] == ["Orders/GlueRole/DefaultPolicy/Resource"]


def test_a_role_named_inside_a_sub_or_from_another_stack_is_not_idle(tmp_path: Path) -> None:
    """Roles a resource names only inside a ``Fn::Sub`` text (``...:role/${GlueRole}``) or
    through an export in another stack run too: before, the text search for ``"Ref": ...`` missed
    both, called them idle and left their refused key grants unreported."""
    from aws_cdk import aws_glue as glue

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci])
    sub_role = iam.Role(orders, "SubRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    orders.domain.key.grant_decrypt(sub_role)
    sub_id = orders.resolve((sub_role.node.default_child).logical_id)  # type: ignore[union-attr]
    glue.CfnJob(
        orders, "Job", role=cdk.Fn.sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/${{{sub_id}}}"),
        command=glue.CfnJob.JobCommandProperty(name="glueetl", script_location="s3://b/x.py"),
    )  # fmt: skip
    far_role = iam.Role(orders, "FarRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    orders.domain.key.grant_decrypt(far_role)
    jobs = cdk.Stack(app, "Jobs")
    glue.CfnJob(
        jobs, "FarJob", role=far_role.role_arn,
        command=glue.CfnJob.JobCommandProperty(name="glueetl", script_location="s3://b/x.py"),
    )  # fmt: skip
    found = [f for f in synth_and_audit(app, tmp_path) if f.rule == "CDKP019"]
    assert sorted(f.path for f in found) == [
        "Orders/FarRole/DefaultPolicy/Resource",
        "Orders/SubRole/DefaultPolicy/Resource",
    ], [f.message for f in found]

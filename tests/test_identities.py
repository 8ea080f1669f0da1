"""Principals follow the grants (issue #19, item 2): a principal an identity policy allows a data
action on a domain store must be allowed the KMS requests the store's service makes by the domain
key (CDKP019), and what the audit cannot follow is a finding (CDKP020).

Each app is synthesized with the checks on (the validation plugin runs the same audit as
``cdk-partition audit``): the faulty app fails its synth naming the role, the app with the fix the
finding gives synthesizes clean.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from conftest import cdk_context
from test_integrations import _concrete_key_policy, _decisions
from test_integrations import _synth as synth_env
from test_oracle_iam_simulate import ACCOUNT, REGION, Case, caller_for_arn

from cdk_partition import DomainStack, audit_path
from cdk_partition.assembly import load
from cdk_partition.audit import Finding, failing
from cdk_partition.audit.identities import RULES
from cdk_partition.knowledge.identity_kms import IDENTITY_ROWS, render_markdown
from cdk_partition.report import build_report
from cdk_partition.report.identities import ALLOWED_BY_BOTH, KEY_REFUSES
from cdk_partition.report.markdown import to_markdown

ROOT = Path(__file__).resolve().parent.parent


def _function(scope: Any, name: str) -> lambda_.Function:
    return lambda_.Function(
        scope,
        name,
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )


def _synth(tmp: Path, build: Callable[[DomainStack], None]) -> tuple[list[Finding], bool]:
    """(the audit's findings, whether the synth's validation failed) of an app with one domain."""
    app = cdk.App(context=cdk_context(), outdir=str(tmp))
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci])
    build(orders)
    failed = False
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth
        assert "ValidationFailed" in str(error) or "Validation failed" in str(error), error
        failed = True
    return audit_path(tmp), failed


def _kinesis_consumer(fixed: bool) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        stream = orders.domain.stream("Events")
        fn = _function(orders, "Consumer")
        fn.add_event_source(
            sources.KinesisEventSource(stream, starting_position=lambda_.StartingPosition.LATEST)
        )
        if fixed:  # the finding's fix, as written
            orders.domain.grant_read(fn.role)

    return build


@pytest.fixture(scope="module")
def kinesis_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kinesis") / "cdk.out"


@pytest.fixture(scope="module")
def kinesis(kinesis_out: Path) -> tuple[list[Finding], bool]:
    return _synth(kinesis_out, _kinesis_consumer(False))


def _identities(out: Path, domain: str = "orders") -> list[dict[str, Any]]:
    report = build_report(load(out))
    return next(d for d in report.domains if d.name == domain).identities


def test_the_report_names_the_role_iam_allows_and_the_key_refuses(
    kinesis: tuple[list[Finding], bool], kinesis_out: Path
) -> None:
    rows = _identities(kinesis_out)
    assert [(r["principal"], r["store"], r["label"], r["refused"]) for r in rows] == [
        ("Orders/Consumer/ServiceRole", "Orders/Domain/Events", KEY_REFUSES, ["kms:Decrypt"])
    ]
    text = to_markdown(build_report(load(kinesis_out)))
    assert "| `Orders/Consumer/ServiceRole` | `Orders/Domain/Events` |" in text
    assert "IAM allows, key refuses (refuses kms:Decrypt)" in text


def test_lambda_kinesis_event_source_on_a_domain_stream_is_reported(
    kinesis: tuple[list[Finding], bool],
) -> None:
    findings, synth_failed = kinesis
    found = [f for f in findings if f.rule == "CDKP019"]
    assert len(found) == 1, [f.message for f in findings]
    finding = found[0]
    assert finding.severity == "error" and finding in failing(findings)
    assert finding.path.startswith("Orders/Consumer/ServiceRole")
    assert "Orders/Consumer/ServiceRole" in finding.message
    assert "kinesis:GetRecords" in finding.message and "kms:Decrypt" in finding.message
    assert "Orders/Domain/Events" in finding.message
    assert "permissions-user-key-KMS" in finding.message  # the AWS page of the row
    assert "`domain.grant_read(Orders/Consumer/ServiceRole)`" in finding.fix
    assert finding.value is not None and ":role/Orders-ConsumerServiceRole" in finding.value
    assert synth_failed, "the validation plugin runs the same audit"


def test_the_fix_as_written_makes_the_finding_disappear(tmp_path: Path) -> None:
    findings, synth_failed = _synth(tmp_path / "cdk.out", _kinesis_consumer(True))
    assert not [f for f in findings if f.rule in ("CDKP019", "CDKP020")], [
        f.message for f in findings
    ]
    assert not synth_failed


def test_secret_rotation_function_is_reported_then_fixed(tmp_path: Path) -> None:
    def build(fixed: bool) -> Callable[[DomainStack], None]:
        def inner(orders: DomainStack) -> None:
            secret = orders.domain.secret("Db")
            rotator = _function(orders, "Rotator")
            secret.add_rotation_schedule("Rotation", rotation_lambda=rotator)
            if fixed:
                orders.domain.grant_read(rotator.role)
                orders.domain.grant_write(rotator.role)

        return inner

    findings, failed = _synth(tmp_path / "a", build(False))
    found = [f for f in findings if f.rule == "CDKP019"]
    assert found and failed, [f.message for f in findings]
    message = " ".join(f.message for f in found)
    assert "Orders/Rotator/ServiceRole" in message and "secretsmanager:GetSecretValue" in message
    fix = found[0].fix
    assert "grant_read(Orders/Rotator/ServiceRole)" in fix
    assert "grant_write(Orders/Rotator/ServiceRole)" in fix
    findings, failed = _synth(tmp_path / "b", build(True))
    assert not [f for f in findings if f.rule == "CDKP019"] and not failed


def test_a_policy_attached_to_a_role_outside_the_app_is_not_silence(tmp_path: Path) -> None:
    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("Jobs")
        outside = iam.Role.from_role_arn(
            orders, "Outside", cdk.Fn.import_value("SomeoneElsesRoleArn")
        )
        policy = iam.Policy(orders, "Send", roles=[outside])
        policy.add_statements(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn])
        )

    findings, failed = _synth(tmp_path / "cdk.out", build)
    found = [f for f in findings if f.rule == "CDKP020"]
    assert found and failed, [f.message for f in findings]
    assert found[0].path.startswith("Orders/Send")


def test_a_user_of_another_stack_is_followed_by_its_imported_arn(tmp_path: Path) -> None:
    """A grant to a user of another stack attaches by the user name the CDK cuts from the
    imported ARN (``Fn::Select [1, Fn::Split [":user/", ImportValue]]``): followed to the user,
    so CDKP019 (with its fix) rather than CDKP020, and nothing once the key names the user."""
    for named in (False, True):

        def build(orders: DomainStack, named: bool = named) -> None:
            people = cdk.Stack(orders.node.scope, "People")  # type: ignore[arg-type]
            alice = iam.User(people, "alice")
            topic = orders.domain.topic("Events")
            imported = iam.User.from_user_arn(orders, "Alice", alice.user_arn)
            policy = iam.Policy(orders, "Publish", users=[imported])
            policy.add_statements(
                iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
            )
            if named:  # SNS publishes with kms:GenerateDataKey and kms:Decrypt: both capabilities
                orders.domain.grant_read(alice)
                orders.domain.grant_write(alice)

        findings, failed = _synth(tmp_path / f"cdk-{named}.out", build)
        rules = sorted({f.rule for f in findings if f.rule in ("CDKP019", "CDKP020")})
        assert rules == ([] if named else ["CDKP019"]), [(f.message, f.fix) for f in findings]
        assert failed is not named


def test_a_named_reader_is_allowed_by_both(tmp_path: Path) -> None:
    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("Jobs")
        fn = _function(orders, "Worker")
        queue.grant_consume_messages(fn)
        orders.domain.grant_read(fn.role)

    findings, failed = _synth(tmp_path / "cdk.out", build)
    assert not [f for f in findings if f.rule in ("CDKP019", "CDKP020")]
    assert not failed
    rows = _identities(tmp_path / "cdk.out")
    assert [(r["principal"], r["label"]) for r in rows] == [
        ("Orders/Worker/ServiceRole", ALLOWED_BY_BOTH)
    ]
    assert rows[0]["actions"] == ["sqs:ReceiveMessage"]


def _dynamodb_grant(case: str, fixed: bool) -> Callable[[DomainStack], None]:
    """A role granted one DynamoDB data action on a domain table (or its stream) by IAM alone:
    ``Table.grant`` and ``TableV2.grant`` add no KMS action, so only the identity table sees it."""

    def build(orders: DomainStack) -> None:
        key = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
        role = iam.Role(orders, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        if case == "stream":
            table = orders.domain.table("T", partition_key=key,
                                        stream=dynamodb.StreamViewType.NEW_IMAGE)  # fmt: skip
            role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:GetRecords"],
                                                   resources=[table.table_stream_arn]))  # fmt: skip
        elif case == "table_v2":
            orders.domain.table_v2("T", partition_key=key).grant(role, "dynamodb:GetItem")
        else:
            orders.domain.table("T", partition_key=key).grant(role, case)
        if fixed:  # the finding's fix, as written
            orders.domain.grant_read(role)

    return build


@pytest.mark.parametrize(
    "case", ["dynamodb:DeleteItem", "dynamodb:PartiQLSelect", "dynamodb:ConditionCheckItem",
             "stream", "table_v2"],
)  # fmt: skip
def test_every_dynamodb_data_action_is_checked(tmp_path: Path, case: str) -> None:
    """Deletes, condition checks, PartiQL statements, a stream's GetRecords and a TableV2 access
    the table as the rows' page says, yet were silent (only the actions the row listed, on
    ``AWS::DynamoDB::Table`` only, were read). Now CDKP019, and its fix clears it."""
    from test_integrations import _synth as synth_in_env  # TableV2 needs a region

    findings = synth_in_env(tmp_path / "before", _dynamodb_grant(case, fixed=False))
    found = [f for f in findings if f.severity == "error"]
    assert [(f.rule, f.path) for f in found] == [("CDKP019", "Orders/R/DefaultPolicy/Resource")], [
        f.message for f in findings
    ]
    assert "`domain.grant_read(Orders/R)`" in (found[0].fix or ""), found[0].fix
    findings = synth_in_env(tmp_path / "after", _dynamodb_grant(case, fixed=True))
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]


def test_rules_and_table() -> None:
    assert [r.id for r in RULES] == ["CDKP019", "CDKP025", "CDKP027", "CDKP020"]
    assert all(r.url.startswith("https://docs.aws.amazon.com/") for r in IDENTITY_ROWS)
    doc = (ROOT / "docs" / "identities.md").read_text(encoding="utf-8")
    begin, end = "<!-- identity-kms:begin -->\n", "<!-- identity-kms:end -->"
    assert doc[doc.index(begin) + len(begin) : doc.index(end)] == render_markdown()


def test_table_is_valid_json() -> None:
    data = json.loads(
        (ROOT / "cdk_partition/knowledge/data/identity_kms.json").read_text(encoding="utf-8")
    )
    cited = {r["source"] for r in data["rows"]} | {c["source"] for c in data["callers"]}
    assert cited == set(data["pages"])


@pytest.mark.parametrize("kind", ["role", "user", "group"])
def test_one_target_inline_policies_are_read(tmp_path: Path, kind: str) -> None:
    """``AWS::IAM::RolePolicy`` / ``UserPolicy`` / ``GroupPolicy`` (``iam.CfnRolePolicy``...)
    name one role, user or group by name: a grant written that way is followed like any other
    (an attack review found them silent)."""

    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("Jobs")
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queue.queue_arn}
            ],
        }
        if kind == "role":
            role = iam.Role(orders, "Sender", assumed_by=iam.AccountRootPrincipal())
            iam.CfnRolePolicy(
                orders, "Inline", role_name=role.role_name, policy_name="send",
                policy_document=document,
            )  # fmt: skip
        elif kind == "user":
            user = iam.User(orders, "Sender")
            iam.CfnUserPolicy(
                orders, "Inline", user_name=user.user_name, policy_name="send",
                policy_document=document,
            )  # fmt: skip
        else:
            group = iam.Group(orders, "Senders")
            iam.User(orders, "Sender", groups=[group])
            iam.CfnGroupPolicy(
                orders, "Inline", group_name=group.group_name, policy_name="send",
                policy_document=document,
            )  # fmt: skip

    findings, failed = _synth(tmp_path, build)
    found = [f for f in findings if f.rule == "CDKP019"]
    assert len(found) == 1, [(f.rule, f.message) for f in findings]
    assert "Orders/Sender" in found[0].message and "sqs:SendMessage" in found[0].message
    assert found[0].path.startswith("Orders/Inline") and failed


_PARTNER = "444455556666"
#: principal -> (what the resource policy names, the fix as the finding writes it)
_BY_RESOURCE_POLICY = {
    "role-of-the-account": f"arn:aws:iam::{ACCOUNT}:role/importer",
    "role-of-a-partner": f"arn:aws:iam::{_PARTNER}:role/partner",
}


@pytest.mark.parametrize("who", sorted(_BY_RESOURCE_POLICY))
def test_a_principal_the_stores_resource_policy_allows_is_checked(tmp_path: Path, who: str) -> None:
    """``queue.grant_send_messages(iam.ArnPrincipal(...))`` writes the grant into the queue's
    resource policy (no identity policy of the app to add it to): SQS still calls KMS with the
    caller's credentials, so the domain key must name it (an attack review found it silent).
    Decided by the evaluator and the simulator, before and after the fix as written."""
    arn = _BY_RESOURCE_POLICY[who]

    def build(fixed: bool) -> Callable[[DomainStack], None]:
        def inner(orders: DomainStack) -> None:
            orders.domain.queue("Jobs").grant_send_messages(iam.ArnPrincipal(arn))
            if fixed:  # the finding's fix, as written
                role = iam.Role.from_role_arn(orders, "Importer", arn)
                orders.domain.grant_read(role)
                orders.domain.grant_write(role)

        return inner

    def cases(out: Path) -> list[Case]:
        account = arn.split(":")[4]
        context = {"kms:ViaService": f"sqs.{REGION}.amazonaws.com", "kms:CallerAccount": account}
        policy = _concrete_key_policy(out)
        return [
            Case("resource-policy", policy, caller_for_arn(arn), action, context, True)
            for action in ("kms:GenerateDataKey", "kms:Decrypt")
        ]

    found = [f for f in synth_env(tmp_path / "before", build(False)) if f.rule == "CDKP019"]
    assert len(found) == 1, found
    assert "resource policy" in found[0].message and arn in found[0].message
    assert f"iam.Role.from_role_arn(scope, id, {arn!r})" in found[0].fix
    ours, theirs = _decisions(cases(tmp_path / "before"))
    assert ours == theirs and "allow" not in ours, (ours, theirs)

    findings = synth_env(tmp_path / "after", build(True))
    assert [f.message for f in findings if f.severity == "error"] == []
    ours, theirs = _decisions(cases(tmp_path / "after"))
    assert ours == theirs == ["allow", "allow"], (ours, theirs)


def test_an_account_the_stores_resource_policy_allows_is_reported_with_its_roles(
    tmp_path: Path,
) -> None:
    """A whole account allowed by the resource policy: the key never delegates to an account,
    so the fix names the account's roles (the door ``grant_write(AccountPrincipal)`` refuses)."""

    def build(orders: DomainStack) -> None:
        orders.domain.queue("Jobs").grant_send_messages(iam.AccountPrincipal(_PARTNER))

    found = [f for f in synth_env(tmp_path, build) if f.rule == "CDKP019"]
    assert len(found) == 1, found
    assert f"arn:aws:iam::{_PARTNER}:root" in found[0].message
    assert "never an account" in found[0].fix and "from_role_arn" in found[0].fix


@pytest.mark.parametrize(
    ("principal", "condition", "named"),
    [
        ({"AWS": "*"}, {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{_PARTNER}:role/q1"}},
         f"arn:aws:iam::{_PARTNER}:role/q1"),
        ("*", {"StringEquals": {"aws:PrincipalAccount": _PARTNER}},
         f"arn:aws:iam::{_PARTNER}:root"),
    ],
    ids=["principal-arn", "principal-account"],
)  # fmt: skip
def test_everyone_narrowed_by_a_condition_to_a_principal_is_checked(
    tmp_path: Path, principal: Any, condition: dict[str, Any], named: str
) -> None:
    """``Principal: "*"`` narrowed by ``aws:PrincipalArn`` / ``aws:PrincipalAccount`` names
    those principals as surely as ``Principal.AWS`` does (a second attack review found it
    silent)."""

    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("Jobs")
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()] if principal != "*" else [iam.StarPrincipal()],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions=condition,
            )
        )

    found = [f for f in synth_env(tmp_path, build) if f.rule == "CDKP019"]
    assert len(found) == 1 and named in found[0].message, found


_PATHED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/team/ingest"


@pytest.mark.parametrize("named", [False, True])
def test_an_imported_role_with_an_iam_path_is_matched_by_its_whole_arn(
    tmp_path: Path, named: bool
) -> None:
    """The CDK writes an imported ``role/team/ingest`` into a policy as ``Roles: ["ingest"]``:
    the principal was rebuilt as ``role/ingest``, which the key never names, so the app with the
    fix applied was still refused (found by an attack). Now the one pathed ARN the assembly writes
    for that name is the principal's; without one, the fix names it by ARN, not by a construct
    path that does not exist."""

    def build(orders: DomainStack) -> None:
        role = iam.Role.from_role_arn(orders, "Imported", _PATHED_ROLE)
        orders.domain.queue("Jobs").grant_send_messages(role)
        if named:
            orders.domain.grant_read(role)
            orders.domain.grant_write(role)

    found = [f for f in synth_env(tmp_path, build) if f.rule == "CDKP019"]
    if named:
        assert found == [], [f.message for f in found]
    else:
        assert len(found) == 1 and "iam.Role.from_role_arn(scope, id, " in (found[0].fix or "")
        assert "with the construct of that path" not in (found[0].fix or ""), found[0].fix


@pytest.mark.parametrize("conditioned", [False, True])
def test_an_action_the_principal_is_denied_everywhere_needs_no_key(
    tmp_path: Path, conditioned: bool
) -> None:
    """An unconditional Deny of the action on "*" in the principal's own policy beats the Allow:
    no call is made, so no request of the key is needed (it was CDKP019, found by an attack); a
    Deny under a condition may not apply, so the grant is still checked."""

    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("Jobs")
        role = iam.Role(orders, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        deny = iam.PolicyStatement(effect=iam.Effect.DENY, actions=["sqs:*"], resources=["*"])
        if conditioned:
            deny.add_condition("Bool", {"aws:SecureTransport": "false"})
        iam.Policy(orders, "P", roles=[role], statements=[
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn]), deny])  # fmt: skip

    found = [f for f in synth_env(tmp_path, build) if f.rule == "CDKP019"]
    assert bool(found) is conditioned, [f.message for f in found]


@pytest.mark.parametrize("boundary", ["without_sqs", "with_sqs", "aws_managed", "cdk_aspect"])
def test_a_permissions_boundary_limits_what_the_grant_reaches(
    tmp_path: Path, boundary: str
) -> None:
    """ "An entity's permissions boundary allows it to perform only the actions that are allowed by
    both its identity-based policies and its permissions boundaries" (IAM User Guide,
    "Permissions boundaries for IAM entities",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). A role whose
    boundary (a managed policy of the app, set on the role or by the CDK's
    ``PermissionsBoundary.of(scope).apply``) allows no SQS action sends no message, so the key
    needs nothing for it: it was CDKP019 with a fix widening the key. A boundary that allows the
    action, or one the audit cannot read (an AWS managed policy), leaves the grant checked."""

    def build(orders: DomainStack) -> None:
        queue = orders.domain.queue("Jobs")
        role = iam.Role(orders, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        queue.grant_send_messages(role)
        allowed = "sqs:*" if boundary == "with_sqs" else "s3:GetObject"
        limit: iam.IManagedPolicy = iam.ManagedPolicy(orders, "Limit", statements=[
            iam.PolicyStatement(actions=[allowed, "logs:*"], resources=["*"])])  # fmt: skip
        if boundary == "aws_managed":
            limit = iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")
        if boundary == "cdk_aspect":
            iam.PermissionsBoundary.of(orders).apply(limit)
        else:
            role.node.default_child.permissions_boundary = limit.managed_policy_arn  # type: ignore[union-attr]

    found = [f for f in synth_env(tmp_path, build) if f.rule == "CDKP019"]
    assert bool(found) is (boundary in ("with_sqs", "aws_managed")), [f.message for f in found]


@pytest.mark.parametrize("fixed", [False, True])
def test_a_role_session_in_a_resource_policy_is_its_role(tmp_path: Path, fixed: bool) -> None:
    """A bucket policy naming an assumed-role session (``arn:aws:sts::<account>:assumed-role/
    reader/sess``): the fix named the session ARN, which ``Role.from_role_arn`` refuses, and
    naming the role did not clear the finding (an attack). A key policy naming the role lets its
    sessions in (aws:PrincipalArn is the role's ARN): the finding names the role, and naming it
    clears it."""
    session = "arn:aws:sts::222222222222:assumed-role/reader/sess"
    role = "arn:aws:iam::222222222222:role/reader"

    def build(orders: DomainStack) -> None:
        bucket = orders.domain.bucket("Docs")
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ArnPrincipal(session)], actions=["s3:GetObject"],
            resources=[bucket.arn_for_objects("*")]))  # fmt: skip
        if fixed:
            orders.domain.grant_read(iam.Role.from_role_arn(orders, "Reader", role))

    found = [f for f in synth_env(tmp_path, build) if f.rule == "CDKP019"]
    if fixed:
        assert found == [], [f.message for f in found]
    else:
        assert len(found) == 1 and f"from_role_arn(scope, id, '{role}')" in (found[0].fix or "")


@pytest.mark.parametrize("case", ["computed_action", "key_grant"])
def test_a_permissions_boundary_read_with_care(tmp_path: Path, case: str) -> None:
    """A second attack: a boundary allowing an action CloudFormation computes (``Fn::Join``)
    was read as allowing nothing, which voided a real grant the key refuses (now it stays
    CDKP019); a grant on the key itself (``domain.key.grant_decrypt``) ignored the boundary
    (CDKP019 with a fix widening the key, though the boundary allows no KMS action)."""

    def build(orders: DomainStack) -> None:
        fn = _function(orders, "Worker")
        if case == "computed_action":
            orders.domain.queue("Jobs").grant_send_messages(fn)
            allowed: list[Any] = ["logs:*", cdk.Fn.sub("sqs:${Verb}", {"Verb": "SendMessage"})]
        else:
            orders.domain.key.grant_decrypt(fn)
            allowed = ["logs:*"]
        limit = iam.ManagedPolicy(orders, "Limit", statements=[
            iam.PolicyStatement(actions=allowed, resources=["*"])])  # fmt: skip
        iam.PermissionsBoundary.of(fn).apply(limit)

    found = [f for f in synth_env(tmp_path, build) if f.rule == "CDKP019"]
    assert bool(found) is (case == "computed_action"), [f.message for f in found]

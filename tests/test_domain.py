"""DataDomain and DomainStack: the key, its policy per capability, and construct-time errors."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from cdk_partition import Capability, DataDomain, DomainStack
from cdk_partition.knowledge.capabilities import ADMINISTER_ACTIONS, READ_ACTIONS, WRITE_ACTIONS

EXEC_ROLE = {
    "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"
    "cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}"
}


def _arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """One stack with a domain whose principals live in the same stack, plus later grants."""
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    app_a = iam.Role(stack, "appA", assumed_by=iam.AccountRootPrincipal())
    ci = iam.User(stack, "ci")
    person1 = iam.User(stack, "person1")
    late = iam.Role(stack, "late", assumed_by=iam.AccountRootPrincipal())
    domain = DataDomain(
        stack,
        "Orders",
        domain_name="orders",
        administrators=[ci, person1],
        readers=[app_a, person1],
        writers=[app_a, person1],
    )
    domain.grant_read(late)
    domain.grant_read(late)  # idempotent
    template = Template.from_stack(stack)
    ids = {
        name: stack.resolve(construct.node.default_child.logical_id)
        for name, construct in [("appA", app_a), ("ci", ci), ("person1", person1), ("late", late)]
    }
    return {"template": template, "ids": ids, "domain": domain, "stack": stack}


def _key_statements(template: Template) -> dict[str, dict[str, Any]]:
    keys = template.find_resources("AWS::KMS::Key")
    assert len(keys) == 1
    (key,) = keys.values()
    return {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}


def test_key_is_symmetric_rotated_retained_and_aliased(built: dict[str, Any]) -> None:
    template: Template = built["template"]
    template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like(
                {
                    "EnableKeyRotation": True,
                    "KeySpec": "SYMMETRIC_DEFAULT",
                    "KeyUsage": "ENCRYPT_DECRYPT",
                    "PendingWindowInDays": 30,
                    "Description": "Data key of the orders domain",
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Metadata": Match.object_like({"cdk_partition:domain": "orders"}),
        },
    )
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/orders"})


def test_policy_has_exactly_the_four_statements(built: dict[str, Any]) -> None:
    statements = _key_statements(built["template"])
    assert list(statements) == ["AllowAdminister", "AllowRead", "AllowWrite", "DenyEveryoneElse"]


def test_administer_names_admins_and_deployment_role_only(built: dict[str, Any]) -> None:
    ids = built["ids"]
    s = _key_statements(built["template"])["AllowAdminister"]
    assert s["Effect"] == "Allow"
    assert s["Action"] == list(ADMINISTER_ACTIONS)
    assert s["Principal"]["AWS"] == [_arn(ids["ci"]), _arn(ids["person1"]), EXEC_ROLE]


def test_read_and_write_statements(built: dict[str, Any]) -> None:
    ids = built["ids"]
    statements = _key_statements(built["template"])
    assert statements["AllowRead"]["Action"] == list(READ_ACTIONS)
    assert statements["AllowRead"]["Principal"]["AWS"] == [
        _arn(ids["appA"]),
        _arn(ids["person1"]),
        _arn(ids["late"]),
    ]
    assert statements["AllowWrite"]["Action"] == list(WRITE_ACTIONS)
    assert statements["AllowWrite"]["Principal"]["AWS"] == [_arn(ids["appA"]), _arn(ids["person1"])]


def test_deny_everyone_else_lists_every_named_principal(built: dict[str, Any]) -> None:
    ids = built["ids"]
    deny = _key_statements(built["template"])["DenyEveryoneElse"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Action"] == "kms:*"
    named = deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
    expected = [_arn(ids[n]) for n in ("ci", "person1", "appA", "late")] + [EXEC_ROLE]
    assert sorted(map(str, named)) == sorted(map(str, expected))
    assert deny["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}


def test_no_statement_delegates_to_the_account(built: dict[str, Any]) -> None:
    for sid, statement in _key_statements(built["template"]).items():
        principals = str(statement["Principal"])
        assert ":root" not in principals, sid
        if statement["Effect"] == "Allow":
            assert statement["Principal"] != {"AWS": "*"}, sid


def test_principals_accessor(built: dict[str, Any]) -> None:
    domain: DataDomain = built["domain"]
    assert len(domain.principals(Capability.READ)) == 3
    assert len(domain.principals(Capability.ADMINISTER)) == 3  # ci, person1, deployment role
    assert domain.domain_name == "orders"
    assert isinstance(domain.key, kms.Key)
    assert isinstance(domain.alias, kms.Alias)


# -- options ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def options_template() -> Template:
    app = cdk.App()
    stack = cdk.Stack(app, "Opts")
    admin = iam.Role.from_role_arn(stack, "Admin", "arn:aws:iam::111122223333:role/admin")
    deployer = iam.Role.from_role_arn(stack, "Deployer", "arn:aws:iam::111122223333:role/deploy")
    DataDomain(
        stack,
        "D",
        domain_name="credit-applications",
        administrators=[admin],
        description="Credit applications",
        pending_window=cdk.Duration.days(7),
        removal_policy=cdk.RemovalPolicy.DESTROY,
        deployment_role=deployer,
        key_policy_statements=[
            iam.PolicyStatement(
                sid="Extra",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt"],
                resources=["*"],
            )
        ],
    )
    return Template.from_stack(stack)


def test_options_are_applied(options_template: Template) -> None:
    options_template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like(
                {"Description": "Credit applications", "PendingWindowInDays": 7}
            ),
            "DeletionPolicy": "Delete",
        },
    )
    statements = _key_statements(options_template)
    assert statements["AllowAdminister"]["Principal"]["AWS"] == [
        "arn:aws:iam::111122223333:role/admin",
        "arn:aws:iam::111122223333:role/deploy",
    ]
    assert statements["Extra"]["Principal"] == {"Service": "events.amazonaws.com"}
    assert "AllowRead" not in statements and "AllowWrite" not in statements


def test_domain_stack_owns_a_domain() -> None:
    app = cdk.App()
    people = cdk.Stack(app, "People")
    ci = iam.User(people, "ci")
    stack = DomainStack(
        app, "Orders", domain_name="orders", administrators=[ci], description="orders domain"
    )
    assert isinstance(stack, cdk.Stack)
    assert stack.domain.domain_name == "orders"
    assert stack.domain.node.scope is stack
    assert stack.template_options.description == "orders domain"


# -- errors a user can cause -------------------------------------------------------------------
def _stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "S")


def _admin(stack: cdk.Stack) -> iam.IRole:
    return iam.Role.from_role_arn(stack, "Admin", "arn:aws:iam::111122223333:role/admin")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("aws/orders", "reserved"),
        ("AWS/x", "reserved"),
        ("orders!", "characters"),
        ("has space", "characters"),
        ("-orders", "characters"),
        ("", "non-empty"),
        ("x" * 251, "Shorten"),
    ],
)
def test_bad_domain_names(name: str, message: str) -> None:
    stack = _stack()
    with pytest.raises(ValueError, match=message):
        DataDomain(stack, "D", domain_name=name, administrators=[_admin(stack)])


def test_token_domain_name_is_refused() -> None:
    stack = _stack()
    with pytest.raises(ValueError, match="known at synth time"):
        DataDomain(stack, "D", domain_name=cdk.Aws.REGION, administrators=[_admin(stack)])


def test_no_administrators() -> None:
    with pytest.raises(ValueError, match="at least one administrator"):
        DataDomain(_stack(), "D", domain_name="orders", administrators=[])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: iam.AccountRootPrincipal(), "every IAM principal of the account"),
        (lambda s: iam.AccountPrincipal("111122223333"), "every IAM principal of the account"),
        (lambda s: iam.AnyPrincipal(), r"everyone \('\*'\)"),
        (lambda s: iam.ServicePrincipal("logs.amazonaws.com"), "is an AWS service"),
        (lambda s: iam.Group(s, "G"), "cannot name IAM groups"),
        (
            lambda s: iam.ArnPrincipal("arn:aws:sts::111122223333:assumed-role/r/session"),
            "not an IAM role or user ARN",
        ),
        (lambda s: iam.ArnPrincipal("arn:aws:iam::111122223333:root"), "is an account"),
        (
            lambda s: iam.CompositePrincipal(
                iam.ArnPrincipal("arn:aws:iam::1:role/a"), iam.ArnPrincipal("arn:aws:iam::1:role/b")
            ),
            "not a single IAM ARN",
        ),
        (lambda s: iam.OrganizationPrincipal("o-abc1234567"), "every account of the organization"),
    ],
)
def test_principals_without_a_knowable_arn_are_refused(make: Any, message: str) -> None:
    stack = _stack()
    with pytest.raises(ValueError, match=message):
        DataDomain(
            stack, "D", domain_name="orders", administrators=[_admin(stack)], readers=[make(stack)]
        )


def test_duplicate_domain_names_in_one_stage() -> None:
    app = cdk.App()
    first, second = cdk.Stack(app, "A"), cdk.Stack(app, "B")
    DataDomain(first, "D", domain_name="orders", administrators=[_admin(first)])
    # the message names the new domain's path and where the first one lives
    with pytest.raises(
        ValueError,
        match=re.escape("B/D: domain_name 'orders' is already the name of the data domain at A/D"),
    ):
        DataDomain(second, "D", domain_name="orders", administrators=[_admin(second)])
    # another Stage (e.g. another environment) may reuse the name
    stage = cdk.Stage(app, "Prod")
    third = cdk.Stack(stage, "A")
    DataDomain(third, "D", domain_name="orders", administrators=[_admin(third)])


@pytest.mark.parametrize("days", [6, 31])
def test_pending_window_out_of_range(days: int) -> None:
    stack = _stack()
    with pytest.raises(ValueError, match=r"pending_window=Duration\.days.*7 to 30"):
        DataDomain(
            stack,
            "D",
            domain_name="orders",
            administrators=[_admin(stack)],
            pending_window=cdk.Duration.days(days),
        )


def test_synthesizer_without_execution_role_needs_deployment_role() -> None:
    stack = cdk.Stack(cdk.App(), "S", synthesizer=cdk.CliCredentialsStackSynthesizer())
    admin = _admin(stack)
    with pytest.raises(ValueError, match="deployment_role="):
        DataDomain(stack, "D", domain_name="orders", administrators=[admin])
    DataDomain(
        stack,
        "D2",
        domain_name="orders2",
        administrators=[admin],
        deployment_role=iam.ArnPrincipal("arn:aws:iam::111122223333:role/deployer"),
    )


DEPLOYER = "arn:aws:iam::111122223333:role/deployer"


@pytest.mark.parametrize(
    ("synthesizer", "expected"),
    [
        (cdk.DefaultStackSynthesizer(qualifier="abc123xyz"), "cdk-abc123xyz-cfn-exec-role"),
        (
            cdk.DefaultStackSynthesizer(cloud_formation_execution_role=DEPLOYER),
            DEPLOYER,
        ),
        (cdk.BootstraplessSynthesizer(cloud_formation_execution_role_arn=DEPLOYER), DEPLOYER),
    ],
    ids=["qualifier", "literal-role", "bootstrapless"],
)
def test_synthesizer_instance_passed_to_the_stack_names_its_execution_role(
    synthesizer: cdk.IStackSynthesizer, expected: str
) -> None:
    # issue #11: a DefaultStackSynthesizer instance raised "cannot be read at construct time"
    # (the Stack binds a clone, which Python cannot reach); the role is now read in the kernel
    stack = cdk.Stack(cdk.App(), "S", synthesizer=synthesizer)
    DataDomain(stack, "D", domain_name="orders", administrators=[_admin(stack)])
    statements = _key_statements(Template.from_stack(stack))
    assert expected in str(statements["AllowAdminister"]["Principal"])


def test_bootstrap_qualifier_from_context_is_respected() -> None:
    app = cdk.App(context={"@aws-cdk/core:bootstrapQualifier": "abc123xyz"})
    stack = cdk.Stack(app, "S")
    DataDomain(stack, "D", domain_name="orders", administrators=[_admin(stack)])
    statements = _key_statements(Template.from_stack(stack))
    assert "cdk-abc123xyz-cfn-exec-role" in str(statements["AllowAdminister"]["Principal"])

"""A principal the domain key names that anyone may become (CDKP029, issue #19: "who can reach
each domain's data"): a role whose trust policy lets every principal assume it hands the data to
every AWS account; the key cannot tell its sessions apart. Each shape below was silent (the first
by an attack, the others by a second one); the guards stay silent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from conftest import cdk_context, synth_errors
from test_integrations import _synth
from test_oracle_iam_simulate import ACCOUNT, Case, role, run_oracle, simulator_decision

from cdk_partition import DomainStack
from cdk_partition.audit.trust import stranger_verdict


def _trusting(
    statement: dict[str, Any], *, named: bool | str = False
) -> Callable[[DomainStack], None]:
    return _trusting_all([statement], named=named)


#: The role's ARN as an environment-agnostic stack writes it (found silent by a third attack)
_BY_PSEUDO = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/orders-reader"


def _trusting_all(
    statements: list[dict[str, Any]], *, named: bool | str = False
) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        role = iam.CfnRole(orders, "Reader", role_name="orders-reader",
                           assume_role_policy_document={"Version": "2012-10-17",
                                                        "Statement": statements})  # fmt: skip
        if named == "pseudo":
            arn = cdk.Fn.sub(_BY_PSEUDO)
        elif named:
            arn = "arn:aws:iam::111122223333:role/orders-reader"
        else:
            arn = role.attr_arn
        principal = iam.Role.from_role_arn(orders, "ByArn" if named else "ByRef", arn)
        orders.domain.grant_read(principal)

    return build


_STAR = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}


def _chained(hop_statement: dict[str, Any]) -> Callable[[DomainStack], None]:
    """The named role trusts another role of the app (by reference), whose own trust policy is
    ``hop_statement``: a third attack chained a stranger through an open role, silently."""

    def build(orders: DomainStack) -> None:
        hop = iam.CfnRole(orders, "Hop", assume_role_policy_document={
            "Version": "2012-10-17", "Statement": [hop_statement]})  # fmt: skip
        _trusting(_STAR | {"Principal": {"AWS": hop.attr_arn}})(orders)

    return build


#: Trust statements (one per role) that admit a stranger: decided by the synth and, for the
#: prover's witness, by the independent simulator.
OPEN_TRUSTS: dict[str, dict[str, Any]] = {
    "aws-star": (_STAR),
    "principal-star": (_STAR | {"Principal": "*"}),
    "action-wildcard": (_STAR | {"Action": "sts:Assume*"}),
    "action-question-mark": (_STAR | {"Action": "sts:AssumeRol?"}),
    "not-action": (
        {k: v for k, v in _STAR.items() if k != "Action"} | {"NotAction": "sts:TagSession"}
    ),
    "federated-star": (
        _STAR | {"Principal": {"Federated": "*"}, "Action": "sts:AssumeRoleWithWebIdentity"}
    ),
    "condition-narrowing-nothing": (
        _STAR | {"Condition": {"StringLike": {"aws:PrincipalArn": "*"}}}
    ),
    "condition-all-but-own-account": (
        _STAR | {"Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}}
    ),
    # request metadata every caller sets as it likes (found by an attack: the one sample request
    # carried none of them, so the condition read as false)
    "secure-transport": (_STAR | {"Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
    "any-source-ip": (_STAR | {"Condition": {"Null": {"aws:SourceIp": "false"}}}),
    "any-user-agent": (_STAR | {"Condition": {"StringLike": {"aws:UserAgent": "*"}}}),
    "principal-type": (
        _STAR | {"Condition": {"StringEquals": {"aws:PrincipalType": "AssumedRole"}}}
    ),
    # found by a second attack: a source identity the caller sets, every network, any endpoint
    "source-identity": (_STAR | {"Condition": {"StringEquals": {"aws:SourceIdentity": "alice"}}}),
    "every-address": (_STAR | {"Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}),
    "every-address-in-halves": (
        _STAR | {"Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}}
    ),
    "every-ipv6-address-in-halves": (
        _STAR | {"Condition": {"IpAddress": {"aws:SourceIp": ["::/1", "8000::/1"]}}}
    ),
    "any-endpoint": (_STAR | {"Condition": {"StringLike": {"aws:SourceVpce": "vpce-*"}}}),
    "another-organization": (
        _STAR | {"Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ),
    # a third attack: a stranger in any organization has organization paths; the role named
    # by pseudo parameters (an environment-agnostic stack) is the stack's own
    "in-any-organization": (_STAR | {"Condition": {"Null": {"aws:PrincipalOrgPaths": "false"}}}),
    "any-organization-path": (
        _STAR | {"Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*"}}}
    ),
    # a third attack: an organization compared with a policy variable admits any organization
    "organization-of-itself": (
        _STAR | {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "${aws:PrincipalOrgID}"}}}
    ),
    "organization-of-the-resource-if-any": (
        _STAR
        | {"Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}}
    ),
    "all-but-own-account-by-variable": _STAR
    | {"Condition": {"StringNotEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}},
    "a-path-outside-ours": (
        _STAR
        | {"Condition": {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}}
    ),
}
OPEN: dict[str, Callable[[DomainStack], None]] = {
    **{name: _trusting(statement) for name, statement in OPEN_TRUSTS.items()},
    "named-by-literal-arn": _trusting(_STAR, named=True),
    "through-an-open-role": _chained(_STAR),
}
#: Trust statements that admit no stranger (the synth is silent; the simulator refuses a
#: stranger's request).
CLOSED_TRUSTS: dict[str, dict[str, Any]] = {
    "service": (_STAR | {"Principal": {"Service": "lambda.amazonaws.com"}}),
    "not-action-of-every-assume": (
        {k: v for k, v in _STAR.items() if k != "Action"} | {"NotAction": "sts:Assume*"}
    ),
    "other-action": (_STAR | {"Action": "sts:TagSession"}),
    "organization-condition": (
        _STAR | {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ),
    "organization-path": (
        _STAR
        | {
            "Condition": {
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}
            }
        }
    ),
    "own-account-condition": (
        _STAR | {"Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}
    ),
    "corporate-ip-range": (
        _STAR | {"Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
    ),
    "one-role": (
        _STAR
        | {
            "Condition": {
                "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/deployer"}
            }
        }
    ),
    # a fourth attack: the role's own account and organization, written as policy variables
    "own-account-by-variable": _STAR
    | {"Condition": {"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}},
    "own-organization-by-variable": _STAR
    | {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}},
}
CLOSED: dict[str, Callable[[DomainStack], None]] = {
    **{name: _trusting(statement) for name, statement in CLOSED_TRUSTS.items()},
    "one-role-of-the-app-by-reference": lambda orders: _trusting(
        _STAR
        | {
            "Condition": {
                "ArnEquals": {
                    "aws:PrincipalArn": iam.Role(
                        orders, "Deployer", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com")
                    ).role_arn
                }
            }
        }
    )(orders),
    "through-a-service-role": _chained(_STAR | {"Principal": {"Service": "ec2.amazonaws.com"}}),
    "denied-outside-the-organization": _trusting_all(
        [
            _STAR,
            _STAR
            | {
                "Effect": "Deny",
                "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            },
        ]
    ),
}


@pytest.mark.parametrize("case", sorted(OPEN))
def test_a_named_role_anyone_may_assume_is_cdkp029(tmp_path: Path, case: str) -> None:
    found = [f for f in _synth(tmp_path, OPEN[case]) if f.rule == "CDKP029"]
    assert [f.path for f in found] == ["Orders/Reader"], [f.message for f in found]


@pytest.mark.parametrize("case", sorted(CLOSED))
def test_a_trust_policy_that_admits_no_stranger_is_silent(tmp_path: Path, case: str) -> None:
    assert [f for f in _synth(tmp_path, CLOSED[case]) if f.rule == "CDKP029"] == []


def test_a_role_of_an_environment_agnostic_stack_named_by_name_is_cdkp029(tmp_path: Path) -> None:
    """A third attack: with no ``env`` the key names the role as ``arn:${AWS::Partition}:iam::
    ${AWS::AccountId}:role/orders-reader``, which was never read as the stack's own role (a
    12-digit account was required): a trust open to everyone was silent."""
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    people = cdk.Stack(app, "Principals")
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci])
    iam.Role(orders, "Reader", role_name="orders-reader", assumed_by=iam.AnyPrincipal())
    orders.domain.grant_read(iam.Role.from_role_name(orders, "ByName", "orders-reader"))
    findings = synth_errors(app, tmp_path)
    assert [f.path for f in findings if f.rule == "CDKP029"] == ["Orders/Reader/Resource"], [
        f.message for f in findings
    ]


#: The role the trust policies belong to, as the simulator sees the resource.
_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/orders-reader"
_STRANGER = role("444455556666", "stranger")
#: What a stranger's request carries where the prover's witness leaves a key free.
_STRANGER_CONTEXT = {"aws:PrincipalOrgID": "o-zz99zz99zz", "aws:SourceIp": "198.51.100.7"}


def _simulated(statement: dict[str, Any], context: dict[str, Any]) -> str:
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    action = next(a for a in ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity")
                  if stranger_verdict(statement, a) is not None)  # fmt: skip
    case = Case("trust", policy, _STRANGER, action, context, identity_allows=True)
    return simulator_decision(run_oracle([case], _ROLE_ARN)[0])


def _witness_context(statement: dict[str, Any]) -> dict[str, Any]:
    """The context of the prover's witness (a stranger's request the trust allows, or one the
    evaluator reads otherwise: counted open), its free values made a real stranger's: in an
    organization of its own where the witness has one, a source address where the witness has
    one, the role's own account where the witness names the placeholder."""
    verdicts = [stranger_verdict(statement, a) for a in ("sts:AssumeRole",
                "sts:AssumeRoleWithWebIdentity")]  # fmt: skip
    witness = next(v.request for v in verdicts
                   if v is not None and v.status in ("allowed", "disagree"))  # fmt: skip
    assert witness is not None
    context: dict[str, Any] = {"aws:ResourceAccount": ACCOUNT}
    for key, value in witness.context.items():
        if key in ("kms:calleraccount", "aws:resourceaccount"):
            continue
        if key in ("aws:principalorgpaths", "aws:principalorgid"):
            # the prover ties the two: in an organization (both) or in none
            context |= _STRANGER_ORGANIZATION if value not in ("", []) else {}
        elif key == "aws:sourceip" and not _an_address(str(value)):
            context[key] = _STRANGER_CONTEXT["aws:SourceIp"]
        else:
            context[key] = ACCOUNT if value == "${AWS::AccountId}" else value
    return context


_STRANGER_ORGANIZATION = {
    "aws:PrincipalOrgID": "o-zz99zz99zz",
    "aws:PrincipalOrgPaths": ["o-zz99zz99zz/r-zz99/ou-zz99-zz99zz99/"],
}


def _an_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("case", sorted(OPEN_TRUSTS))
def test_the_simulator_lets_the_provers_stranger_assume_an_open_role(case: str) -> None:
    """Trust verdicts judged by a tool nobody here wrote (``@cloud-copilot/iam-simulate``): the
    prover's witness, made a role of an unrelated account, is allowed to assume the role."""
    statement = OPEN_TRUSTS[case]
    if "Federated" in statement["Principal"]:
        pytest.skip("a web identity's request is not a role's: the simulator takes no issuer")
    assert _simulated(statement, _witness_context(statement)) == "allow"


@pytest.mark.parametrize("case", sorted(CLOSED_TRUSTS))
def test_the_simulator_refuses_a_stranger_a_closed_role(case: str) -> None:
    """The same simulator refuses a role of an unrelated account, in another organization and
    network, the roles the synth finds closed."""
    assert _simulated(CLOSED_TRUSTS[case], _STRANGER_CONTEXT) != "allow"


_GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
_AUD = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
_SUB = "token.actions.githubusercontent.com:sub"


def _github(condition: dict[str, Any], *extra: dict[str, Any]) -> Callable[[DomainStack], None]:
    return _trusting_all([{"Effect": "Allow", "Principal": {"Federated": _GITHUB},
                           "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition},
                          *extra])  # fmt: skip


_COGNITO = "cognito-identity.amazonaws.com"
_AMR = {"ForAnyValue:StringLike": {f"{_COGNITO}:amr": "authenticated"}}


def _cognito(condition: dict[str, Any]) -> Callable[[DomainStack], None]:
    return _trusting({"Effect": "Allow", "Principal": {"Federated": _COGNITO},
                      "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})  # fmt: skip


def _cognito_pool(orders: DomainStack) -> None:
    """A role of the app's own identity pool, named by reference (the CDK's L1)."""
    from aws_cdk import aws_cognito as cognito

    pool = cognito.CfnIdentityPool(orders, "Pool", allow_unauthenticated_identities=False)
    _cognito({"StringEquals": {f"{_COGNITO}:aud": pool.ref}, **_AMR})(orders)


#: GitHub's OIDC issuer gives every repository's workflows tokens: a trust that does not pin
#: the subject to repositories of a named owner lets anyone's workflow assume the role (found
#: silent: CDKP029 read only "*" principals).
SHARED_OPEN: dict[str, Callable[[DomainStack], None]] = {
    "audience-only": _github({"StringEquals": _AUD}),
    "any-repository": _github({"StringEquals": _AUD, "StringLike": {_SUB: "repo:*"}}),
    "any-subject": _github({"StringLike": {_SUB: "*"}}),
    "one-of-them-open": _github({"StringLike": {_SUB: ["repo:octo-org/app:*", "repo:*/app:*"]}}),
    "negated": _github({"StringNotLike": {_SUB: "repo:octo-org/*"}}),
    "a-customized-subject-of-any-owner": _github({"StringLike": {_SUB: "repository_owner:*"}}),
    # a Deny that does not apply to every token request closes nothing (a fifth attack)
    "deny-of-another-action": _github(
        {"StringEquals": _AUD},
        {
            "Effect": "Deny",
            "Principal": {"Federated": _GITHUB},
            "Action": "sts:TagSession",
            "Condition": {"StringNotLike": {_SUB: "repo:octo-org/*"}},
        },
    ),
    "deny-under-another-condition-too": _github(
        {"StringEquals": _AUD},
        {
            "Effect": "Deny",
            "Principal": {"Federated": _GITHUB},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringNotLike": {_SUB: "repo:octo-org/*"},
                "StringEquals": {"token.actions.githubusercontent.com:actor": "mallory"},
            },
        },
    ),
    # a Cognito identity pool's users: any pool's, of any account, without the aud condition
    "cognito-amr-only": _cognito(_AMR),
    "cognito-any-pool": _cognito({"StringLike": {f"{_COGNITO}:aud": "eu-west-1:*"}, **_AMR}),
}
SHARED_CLOSED: dict[str, Callable[[DomainStack], None]] = {
    "one-repository": _github({"StringEquals": _AUD, "StringLike": {_SUB: "repo:octo-org/app:*"}}),
    "one-branch": _github({"StringEquals": {**_AUD, _SUB: "repo:octo-org/app:ref:refs/heads/main"}}),
    "an-owners-repositories": _github({"StringLike": {_SUB: "repo:octo-org/*"}}),
    # an organization's customized subject whose first claim names the owner (a false CDKP029:
    # a fifth attack)
    "a-customized-owner-id": _github({"StringLike": {_SUB: "repository_owner_id:123456:*"}}),
    # StringEquals compares exactly: "repo:*" there is a literal no token carries (a false
    # CDKP029: a fifth attack)
    "exact-values-only": _github({"StringEquals": {**_AUD, _SUB: [
        "repo:octo-org/app:ref:refs/heads/main", "repo:*"]}}),
    "denied-outside-the-owner": _github(
        {"StringEquals": _AUD},
        {"Effect": "Deny", "Principal": {"Federated": _GITHUB},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringNotLike": {_SUB: "repo:octo-org/*"}}},
    ),
    "cognito-one-pool": _cognito(
        {"StringEquals": {f"{_COGNITO}:aud": "eu-west-1:12345678-aaaa-bbbb-cccc-1234567890ab"},
         **_AMR}),
    "cognito-the-apps-pool": _cognito_pool,
    "another-issuer": lambda orders: _trusting(
        {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
         "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/idp.example.com"},
         "Condition": {"StringEquals": {"idp.example.com:aud": "orders"}}})(orders),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SHARED_OPEN))
def test_a_role_any_issuers_customer_may_assume_is_cdkp029(tmp_path: Path, case: str) -> None:
    found = [f for f in _synth(tmp_path, SHARED_OPEN[case]) if f.rule == "CDKP029"]
    assert [f.path for f in found] == ["Orders/Reader"], [f.message for f in found]
    assert f"{_COGNITO}:aud" in found[0].message or _SUB in found[0].message, found[0].message


@pytest.mark.parametrize("case", sorted(SHARED_CLOSED))
def test_a_role_only_named_repositories_or_pools_may_assume_is_silent(
    tmp_path: Path, case: str
) -> None:
    assert [f for f in _synth(tmp_path, SHARED_CLOSED[case]) if f.rule == "CDKP029"] == []


def _github_app(out: Path, principal: Callable[[Any], iam.IPrincipal]) -> list[Any]:
    """The CDK's own GitHub provider L2 (``OidcProviderNative``) and a role of the domain
    stack it trusts, read by the domain: the provider named by ``Ref``."""
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals")
    orders = DomainStack(app, "Orders", domain_name="orders",
                         administrators=[iam.User(people, "ci", user_name="ci")])  # fmt: skip
    provider = iam.OidcProviderNative(orders, "GitHub", client_ids=["sts.amazonaws.com"],
                                      url="https://token.actions.githubusercontent.com")  # fmt: skip
    role = iam.Role(orders, "Deployer", assumed_by=principal(provider))
    orders.domain.grant_read(role)
    return synth_errors(app, out)  # type: ignore[no-any-return]


def test_the_cdk_provider_by_reference_and_the_fix_as_written(tmp_path: Path) -> None:
    """Before: the audience alone. After: the fix's principal, its owner and repository filled
    in, passes."""
    before = _github_app(tmp_path / "before",
                         lambda p: iam.OpenIdConnectPrincipal(p, {"StringEquals": _AUD}))  # fmt: skip
    found = [f for f in before if f.rule == "CDKP029"]
    assert [f.path for f in found] == ["Orders/Deployer/Resource"], [f.message for f in before]
    call = re.search(r"`(iam\.OpenIdConnectPrincipal\(.*?\))`", found[0].fix or "")
    assert call is not None, found[0].fix
    code = call.group(1).replace("<owner>", "octo-org").replace("<repo>", "app")
    after = _github_app(tmp_path / "after",
                        lambda p: eval(code, {"iam": iam, "provider": p}))  # fmt: skip
    assert [f for f in after if f.rule == "CDKP029"] == [], [f.message for f in after]


def test_the_cognito_fix_as_written_passes(tmp_path: Path) -> None:
    """The fix's identity-pool principal, given the app's pool, passes where the amr alone
    failed."""
    from aws_cdk import aws_cognito as cognito

    before = _synth(tmp_path / "before", _cognito(_AMR))
    found = [f for f in before if f.rule == "CDKP029"]
    call = re.search(r"`(iam\.FederatedPrincipal\(.*?\))`", found[0].fix or "")
    assert call is not None, found[0].fix

    def fixed(orders: DomainStack) -> None:
        pool = cognito.CfnIdentityPool(orders, "Pool", allow_unauthenticated_identities=False)
        principal = eval(call.group(1), {"iam": iam, "pool": pool})
        role = iam.Role(orders, "Reader", assumed_by=principal)
        orders.domain.grant_read(role)

    after = _synth(tmp_path / "after", fixed)
    assert [f for f in after if f.rule == "CDKP029"] == [], [f.message for f in after]


def test_a_provider_of_another_stack_is_followed_through_its_export(tmp_path: Path) -> None:
    """The account's one GitHub provider in a shared stack, the role trusting it by import: the
    issuer is read through the export (silent: a fifth attack)."""
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    people = cdk.Stack(app, "Principals")
    provider = iam.OidcProviderNative(people, "GitHub", client_ids=["sts.amazonaws.com"],
                                      url="https://token.actions.githubusercontent.com")  # fmt: skip
    orders = DomainStack(app, "Orders", domain_name="orders",
                         administrators=[iam.User(people, "ci", user_name="ci")])  # fmt: skip
    role = iam.Role(orders, "Deployer", assumed_by=iam.OpenIdConnectPrincipal(
        provider, {"StringEquals": _AUD}))  # fmt: skip
    orders.domain.grant_read(role)
    found = [f for f in synth_errors(app, tmp_path) if f.rule == "CDKP029"]
    assert [f.path for f in found] == ["Orders/Deployer/Resource"], [f.message for f in found]

"""A principal the domain key names that anyone may become (CDKP029, issue #19: "who can reach
each domain's data"): a role whose trust policy lets every principal assume it hands the data to
every AWS account; the key cannot tell its sessions apart. Each shape below was silent (the first
by an attack, the others by a second one); the guards stay silent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from conftest import cdk_context, synth_errors
from test_integrations import _synth

from cdk_partition import DomainStack


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


OPEN: dict[str, Callable[[DomainStack], None]] = {
    "aws-star": _trusting(_STAR),
    "principal-star": _trusting(_STAR | {"Principal": "*"}),
    "action-wildcard": _trusting(_STAR | {"Action": "sts:Assume*"}),
    "action-question-mark": _trusting(_STAR | {"Action": "sts:AssumeRol?"}),
    "not-action": _trusting(
        {k: v for k, v in _STAR.items() if k != "Action"} | {"NotAction": "sts:TagSession"}
    ),
    "federated-star": _trusting(
        _STAR | {"Principal": {"Federated": "*"}, "Action": "sts:AssumeRoleWithWebIdentity"}
    ),
    "named-by-literal-arn": _trusting(_STAR, named=True),
    "condition-narrowing-nothing": _trusting(
        _STAR | {"Condition": {"StringLike": {"aws:PrincipalArn": "*"}}}
    ),
    "condition-all-but-own-account": _trusting(
        _STAR | {"Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}}
    ),
    # request metadata every caller sets as it likes (found by an attack: the one sample request
    # carried none of them, so the condition read as false)
    "secure-transport": _trusting(_STAR | {"Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
    "any-source-ip": _trusting(_STAR | {"Condition": {"Null": {"aws:SourceIp": "false"}}}),
    "any-user-agent": _trusting(_STAR | {"Condition": {"StringLike": {"aws:UserAgent": "*"}}}),
    "principal-type": _trusting(
        _STAR | {"Condition": {"StringEquals": {"aws:PrincipalType": "AssumedRole"}}}
    ),
    # found by a second attack: a source identity the caller sets, every network, any endpoint
    "source-identity": _trusting(
        _STAR | {"Condition": {"StringEquals": {"aws:SourceIdentity": "alice"}}}
    ),
    "every-address": _trusting(_STAR | {"Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}),
    "every-address-in-halves": _trusting(
        _STAR | {"Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}}
    ),
    "every-ipv6-address-in-halves": _trusting(
        _STAR | {"Condition": {"IpAddress": {"aws:SourceIp": ["::/1", "8000::/1"]}}}
    ),
    "any-endpoint": _trusting(_STAR | {"Condition": {"StringLike": {"aws:SourceVpce": "vpce-*"}}}),
    "another-organization": _trusting(
        _STAR | {"Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ),
    # a third attack: a stranger in any organization has organization paths; the role named
    # by pseudo parameters (an environment-agnostic stack) is the stack's own
    "through-an-open-role": _chained(_STAR),
    "in-any-organization": _trusting(
        _STAR | {"Condition": {"Null": {"aws:PrincipalOrgPaths": "false"}}}
    ),
    "any-organization-path": _trusting(
        _STAR | {"Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*"}}}
    ),
    # a third attack: an organization compared with a policy variable admits any organization
    "organization-of-itself": _trusting(
        _STAR | {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "${aws:PrincipalOrgID}"}}}
    ),
    "organization-of-the-resource-if-any": _trusting(
        _STAR
        | {"Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}}
    ),
    "a-path-outside-ours": _trusting(
        _STAR
        | {"Condition": {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}}
    ),
}
CLOSED: dict[str, Callable[[DomainStack], None]] = {
    "service": _trusting(_STAR | {"Principal": {"Service": "lambda.amazonaws.com"}}),
    "not-action-of-every-assume": _trusting(
        {k: v for k, v in _STAR.items() if k != "Action"} | {"NotAction": "sts:Assume*"}
    ),
    "other-action": _trusting(_STAR | {"Action": "sts:TagSession"}),
    "organization-condition": _trusting(
        _STAR | {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ),
    "organization-path": _trusting(
        _STAR
        | {
            "Condition": {
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}
            }
        }
    ),
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
    "own-account-condition": _trusting(
        _STAR | {"Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}
    ),
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
    "corporate-ip-range": _trusting(
        _STAR | {"Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
    ),
    "one-role": _trusting(
        _STAR
        | {
            "Condition": {
                "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/deployer"}
            }
        }
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

"""Who reads a domain topic is who may subscribe, and the report names them (issue #19, report
honesty). A subscriber receives every message decrypted and never calls KMS (Amazon SNS
Developer Guide, "Encryption at rest"), so a topic policy sharing a domain topic with another
account (a deliberate share: no finding) and a role whose identity policy allows
``sns:Subscribe`` on it read the domain's messages whatever the key policy says. Before, the
report's matrix showed neither ("any principal of another account": ``-``); now each is a row
read "via the service", the share is a ``REPORT-SHARED-READER`` warning, and the access diff of
a pull request adding the share shows the new reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from test_integrations import _synth

from cdk_partition import DomainStack, report
from cdk_partition.assembly import load
from cdk_partition.report.diff import diff_paths

OTHER = "arn:aws:iam::444455556666:root"


def _app(shared: bool, *, everyone: bool = False) -> Any:
    def build(orders: DomainStack) -> None:
        topic = orders.domain.topic("Shared")
        role = iam.Role(orders, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        role.add_to_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
        )
        if shared:
            topic.add_to_resource_policy(iam.PolicyStatement(
                actions=["sns:Subscribe"], resources=[topic.topic_arn],
                principals=[iam.AccountPrincipal("444455556666")]))  # fmt: skip
            role.add_to_policy(
                iam.PolicyStatement(actions=["sns:Subscribe"], resources=[topic.topic_arn])
            )
        if everyone:
            topic.add_to_resource_policy(iam.PolicyStatement(
                actions=["sns:Subscribe"], resources=[topic.topic_arn],
                principals=[iam.AnyPrincipal()]))  # fmt: skip

    return build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, build in (("plain", _app(False)), ("shared", _app(True)),
                        ("everyone", _app(False, everyone=True))):  # fmt: skip
        out[name] = tmp_path_factory.mktemp(name)
        _synth(out[name], build)
    return out


def _orders(path: Path) -> Any:
    (orders,) = [d for d in report.build_report(load(path)).domains if d.name == "orders"]
    return orders


def test_a_share_and_a_subscribing_role_are_rows_read_via_the_service(
    built: dict[str, Path],
) -> None:
    orders = _orders(built["shared"])
    row = orders.principals[OTHER]
    assert row["kind"] == "gated_reader" and row["via_the_service"] == ["read"]
    assert row["capabilities"] == []  # the key policy gives it nothing: the topic policy does
    assert [e["store"] for e in row["read_through"]] == ["Orders/Domain/Shared"]
    assert "resource policy" in row["read_through"][0]["by"]
    (reader,) = [r for r in orders.principals.values() if r.get("path") == "Orders/Reader"]
    assert reader["via_the_service"] == ["read"]
    assert "identity policy" in reader["read_through"][0]["by"]
    shared = [f["message"] for f in orders.findings if f["rule"] == "REPORT-SHARED-READER"]
    assert len(shared) == 1 and OTHER in shared[0], shared
    text = report.to_markdown(report.build_report(load(built["shared"])))
    assert f"| `{OTHER}` | - | via the service | - |" in text


def test_no_policy_naming_a_subscriber_no_row(built: dict[str, Path]) -> None:
    """A publisher is no reader, and a statement letting everyone subscribe is CDKP036's (the
    generic row already says anyone AWS lets subscribe reads), not a principal's row."""
    for name in ("plain", "everyone"):
        orders = _orders(built[name])
        assert not [r for r in orders.principals.values() if r["kind"] == "gated_reader"], name
        assert "REPORT-SHARED-READER" not in {f["rule"] for f in orders.findings}


def test_the_access_diff_shows_the_new_reader(built: dict[str, Path]) -> None:
    result = diff_paths([built["plain"]], [built["shared"]])
    gained = [c for c in result.changes if c.kind == "access-gained"]
    assert any(OTHER in c.subject and c.after == "via the service" for c in gained), [
        (c.kind, c.subject, c.before, c.after) for c in result.changes
    ]
    assert result.fails("widened")


def _share(statements: list[dict[str, Any]], *, role_resource: str | None = None) -> Any:
    """A domain topic whose policy holds ``statements`` (``{topic}`` for its ARN); and a role
    allowed ``sns:Subscribe`` on ``role_resource`` when given."""

    def build(orders: DomainStack) -> None:
        from aws_cdk import aws_sns as sns

        topic = orders.domain.topic("Shared")
        document = [
            {k: topic.topic_arn if v == "{topic}" else v for k, v in s.items()} for s in statements
        ]
        if document:
            sns.CfnTopicPolicy(orders, "Policy", topics=[topic.topic_arn],
                               policy_document={"Version": "2012-10-17", "Statement": document})  # fmt: skip
        if role_resource is not None:
            role = iam.Role(orders, "Reader",
                            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))  # fmt: skip
            role.add_to_policy(
                iam.PolicyStatement(actions=["sns:Subscribe"], resources=[role_resource])
            )

    return build


_SUBSCRIBE = {"Effect": "Allow", "Action": "sns:Subscribe", "Resource": "{topic}"}
_SHARES = {
    # a share written as "*" narrowed by a condition to another account, or an organization
    "principal-account": ([{**_SUBSCRIBE, "Principal": {"AWS": "*"}, "Condition": {
        "StringEquals": {"aws:PrincipalAccount": "444455556666"}}}], OTHER),
    "organization": ([{**_SUBSCRIBE, "Principal": "*", "Condition": {
        "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}], "organization o-abc123"),
    # an account by its bare id: the same as its root ARN
    "bare-account-id": ([{**_SUBSCRIBE, "Principal": {"AWS": "444455556666"}}], OTHER),
    # an organization's path, and an account compared ignoring case (a second attack)
    "organization-path": ([{**_SUBSCRIBE, "Principal": "*", "Condition": {
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-11111111/*"}}}],
        "organization path o-abc123/r-ab12/ou-ab12-11111111/*"),
    "ignore-case": ([{**_SUBSCRIBE, "Principal": {"AWS": "*"}, "Condition": {
        "StringEqualsIgnoreCase": {"aws:PrincipalAccount": "444455556666"}}}], OTHER),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(_SHARES))
def test_every_spelling_of_a_share_is_a_row_and_a_warning(tmp_path: Path, name: str) -> None:
    """Found by an attack: a share written as "*" with a condition naming the account (or an
    organization) had no row, no warning and no diff entry; one to a bare account id had no
    warning."""
    statements, label = _SHARES[name]
    _synth(tmp_path, _share(statements))
    orders = _orders(tmp_path)
    assert orders.principals[label]["via_the_service"] == ["read"], list(orders.principals)
    shared = [f["message"] for f in orders.findings if f["rule"] == "REPORT-SHARED-READER"]
    assert len(shared) == 1 and label in shared[0], shared


def test_a_share_the_same_policy_denies_is_no_reader(tmp_path: Path) -> None:
    deny = {**_SUBSCRIBE, "Effect": "Deny", "Principal": {"AWS": OTHER}}
    _synth(tmp_path, _share([{**_SUBSCRIBE, "Principal": {"AWS": OTHER}}, deny]))
    orders = _orders(tmp_path)
    assert OTHER not in orders.principals
    assert "REPORT-SHARED-READER" not in {f["rule"] for f in orders.findings}


_DENIES = {
    # a Deny of another topic of the policy, and one of every topic but this one: the share holds
    "another-topic": ({"Resource": "arn:aws:sns:eu-west-1:111122223333:unrelated"}, True),
    "all-but-this-one": ({"NotResource": "{topic}"}, True),
    # a Deny of every topic but another: this one among them, the share is undone
    "all-but-another": ({"NotResource": "arn:aws:sns:eu-west-1:111122223333:unrelated"}, False),
}


@pytest.mark.parametrize("shape", sorted(_DENIES))
def test_a_deny_counts_only_on_the_resources_it_covers(tmp_path: Path, shape: str) -> None:
    """A second attack hid a share with a Deny of another topic of the same policy."""
    where, shared = _DENIES[shape]
    deny = {"Effect": "Deny", "Action": "sns:Subscribe", "Principal": {"AWS": OTHER}, **where}
    _synth(tmp_path, _share([{**_SUBSCRIBE, "Principal": {"AWS": OTHER}}, deny]))
    assert (OTHER in _orders(tmp_path).principals) is shared


def test_a_role_allowed_to_subscribe_to_every_topic_of_the_account_is_a_reader(
    tmp_path: Path,
) -> None:
    """An identity policy on ``arn:aws:sns:<region>:<account>:*`` reaches the domain topic
    (found by an attack: only ``"*"`` and references were followed)."""
    _synth(tmp_path, _share([], role_resource="arn:aws:sns:eu-west-1:111122223333:*"))
    orders = _orders(tmp_path)
    (reader,) = [r for r in orders.principals.values() if r.get("path") == "Orders/Reader"]
    assert reader["via_the_service"] == ["read"]

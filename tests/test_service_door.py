"""The door for documented service statements (issue #19, item 4): ``domain.allow_service(...)``,
deliveries the CDK wires that had no door (a CloudWatch alarm publishing to a domain topic, a
domain bucket as an S3 server-access-log target), and CDKP106 exemptable with a reason.

Each request AWS makes is decided by our evaluator and by the independent simulator
``@cloud-copilot/iam-simulate`` (as in ``tests/test_integrations.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from aws_cdk import aws_sns as sns
from conftest import cdk_context
from test_integrations import (
    _concrete_key_policy,
    _decisions,
    _service_cases,
    _synth,
    imported_by_export,
)
from test_oracle_iam_simulate import ACCOUNT, REGION, Case, service

from cdk_partition import DomainStack, audit_path, exempt
from cdk_partition.assembly import load
from cdk_partition.report import build_report

ENV = cdk.Environment(account=ACCOUNT, region=REGION)

#: Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs": CloudWatch is one of
#: the event sources of "Enable compatibility between event sources from AWS services and encrypted
#: topics".
SNS_KEYS = (
    'Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs" '
    "(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)"
)
#: Amazon CloudWatch Logs User Guide, "Logs sent to Amazon S3", section "Amazon S3 bucket
#: server-side encryption": a customer managed key of the destination bucket must allow
#: delivery.logs.amazonaws.com, scoped by aws:SourceAccount and aws:SourceArn.
VENDED_LOGS_S3 = (
    'Amazon CloudWatch Logs User Guide, "Logs sent to Amazon S3" '
    "(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html)"
)


def _alarm_on_topic(fix: Callable[[DomainStack], None] | None) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        # the alarm's stack imports the topic by a hand-written export name: the key policy
        # cannot follow that wiring (tests/test_wiring_follows.py has the one it follows)
        consumers, arn = imported_by_export(
            orders, orders.domain.topic("Alerts").topic_arn, "alerts"
        )
        topic = sns.Topic.from_topic_arn(consumers, "Alerts", arn)
        queue = orders.domain.queue("Work")
        alarm = queue.metric_approximate_age_of_oldest_message().create_alarm(
            consumers, "Stale", threshold=600, evaluation_periods=1
        )
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
        if fix is not None:
            fix(orders)

    return build


def _publisher(orders: DomainStack) -> None:
    orders.domain.allow_service_publisher("cloudwatch.amazonaws.com")


def _door(orders: DomainStack) -> None:
    orders.domain.allow_service(
        "cloudwatch.amazonaws.com",
        actions=["kms:GenerateDataKey", "kms:Decrypt"],
        conditions={"StringEquals": {"aws:SourceAccount": orders.account}},
        source=SNS_KEYS,
    )


def test_an_alarm_publishing_to_a_domain_topic(tmp_path: Path) -> None:
    """Before: CDKP021 names the alarm, the topic and the door that works; after either door, no
    finding, and both deciders allow every request of the contract."""
    findings = _synth(tmp_path / "before", _alarm_on_topic(None))
    found = [f for f in findings if f.rule == "CDKP021"]
    assert len(found) == 1, [f.message for f in findings]
    assert found[0].resource_type == "AWS::CloudWatch::Alarm"
    assert "Orders/Domain/Alerts" in found[0].message and "alarm action" in found[0].message
    assert '`domain.allow_service_publisher("cloudwatch.amazonaws.com")`' in found[0].fix
    ours, theirs = _decisions(_service_cases(tmp_path / "before", "alarm_action_topic"))
    assert ours == theirs and "allow" not in ours, (ours, theirs)

    for name, fix in (("publisher", _publisher), ("door", _door)):
        findings = _synth(tmp_path / name, _alarm_on_topic(fix))  # the fix, as written
        assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]
        cases = _service_cases(tmp_path / name, "alarm_action_topic")
        ours, theirs = _decisions(cases)
        assert ours == theirs == ["allow"] * len(cases), (name, ours, theirs)


def test_a_domain_bucket_as_server_access_log_target(tmp_path: Path) -> None:
    """The CDK adds an encrypt/decrypt statement for logging.s3.amazonaws.com on the target's key;
    the domain writes the contract's statement instead (``bucket_access_logs``): no finding, and
    the logging service's requests are allowed by both deciders."""

    def build(orders: DomainStack) -> None:
        target = orders.domain.bucket("AccessLogs")
        orders.domain.bucket("Data", server_access_logs_bucket=target)

    findings = _synth(tmp_path, build)
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]
    template = json.loads((tmp_path / "Orders.template.json").read_text())
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    logging = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]
    assert [s["Action"] for s in logging] == [["kms:GenerateDataKey", "kms:Decrypt"]], logging
    cases = _service_cases(tmp_path, "bucket_access_logs")
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * len(cases), (ours, theirs)


def test_the_statement_the_cdk_writes_for_a_receipt_rule_on_the_domain_key(tmp_path: Path) -> None:
    """``aws_ses_actions.S3(kms_key=domain.key)`` writes AWS's earlier statement for SES
    (``kms:Encrypt``, ``kms:GenerateDataKey`` under encryption-context conditions): it was CDKP106
    ("beyond its contract"), cleared only by an exemption. Now the contract row keeps AWS's earlier
    ``kms:Encrypt`` as ``statement_only``; the bucket's own delivery is CDKP021 with a fix that,
    applied as written, leaves no error, and SES's request of the row is allowed by both
    deciders."""
    from test_vended_logs import _apply

    def build(fix: str | None) -> Callable[[DomainStack], None]:
        def inner(orders: DomainStack) -> None:
            ses.ReceiptRuleSet(orders, "Inbound", rules=[ses.ReceiptRuleOptions(actions=[
                ses_actions.S3(bucket=orders.domain.bucket("Mail"), kms_key=orders.domain.key)])])  # fmt: skip
            if fix:
                _apply(fix, orders.domain)

        return inner

    before = [f for f in _synth(tmp_path / "before", build(None)) if f.severity == "error"]
    assert [f.rule for f in before] == ["CDKP021"], [f.message for f in before]
    after = _synth(tmp_path / "after", build(before[0].fix))
    assert not [f for f in after if f.severity == "error"], [f.message for f in after]
    template = json.loads((tmp_path / "after" / "Orders.template.json").read_text())
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert any(
        s.get("Principal") == {"Service": "ses.amazonaws.com"} and "kms:Encrypt" in s["Action"]
        for s in key["Properties"]["KeyPolicy"]["Statement"]
    ), "the CDK's own statement stays"
    cases = _service_cases(tmp_path / "after", "ses_receipt_rule")
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow"] * len(cases), (ours, theirs)


def test_a_declaration_replaces_the_unscoped_statement_an_l2_wrote(tmp_path: Path) -> None:
    """A CodeBuild project's ``notify_on_build_failed`` on a domain topic: the CDK's
    ``topic.grant_publish`` gives ``codestar-notifications.amazonaws.com`` the key unscoped
    (CDKP106). A scoped declaration could not replace it (it allows fewer requests), so the fix
    the finding named failed as written. With ``replace_cdk_statements=True`` the declared
    statement stands alone: no error; the service's request from the app's account is allowed and
    the same request for another account refused, by our evaluator and by the simulator."""
    from aws_cdk import aws_codebuild as codebuild

    def build(replace: bool) -> Callable[[DomainStack], None]:
        def inner(orders: DomainStack) -> None:
            builds = cdk.Stack(orders.node.scope, "Builds", env=ENV)  # type: ignore[arg-type]
            project = codebuild.PipelineProject(builds, "Build")
            project.notify_on_build_failed("Failed", orders.domain.topic("BuildEvents"))
            orders.domain.allow_service(
                "codestar-notifications.amazonaws.com",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                conditions={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                source=SNS_KEYS,
                replace_cdk_statements=replace,
            )

        return inner

    before = [f for f in _synth(tmp_path / "before", build(False)) if f.severity == "error"]
    assert [f.rule for f in before] == ["CDKP106"], [f.message for f in before]
    assert "replace_cdk_statements=True" in before[0].fix
    after = [f for f in _synth(tmp_path / "after", build(True)) if f.severity == "error"]
    assert after == [], [f.message for f in after]
    policy = _concrete_key_policy(tmp_path / "after")
    codestar = [s for s in policy["Statement"]
                if s.get("Principal") == {"Service": "codestar-notifications.amazonaws.com"}]  # fmt: skip
    assert [s["Sid"] for s in codestar] == ["AllowServiceCodestarNotifications"], codestar
    caller = service("codestar-notifications.amazonaws.com")
    cases = [
        Case("door:codestar", policy, caller, action, {"aws:SourceAccount": account})
        for account in (ACCOUNT, "999999999999")
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]
    ours, theirs = _decisions(cases)
    assert ours == theirs == ["allow", "allow", "implicit_deny", "implicit_deny"], (ours, theirs)


def test_allow_service_for_a_service_without_contract_is_audited_and_reported(
    tmp_path: Path,
) -> None:
    """A statement AWS documents for a service the library has no contract for: written, no
    finding, and the report lists it with its page."""

    def build(orders: DomainStack) -> None:
        orders.domain.bucket("VendedLogs")
        orders.domain.allow_service(
            "delivery.logs.amazonaws.com",
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            conditions={
                "StringEquals": {"aws:SourceAccount": orders.account},
                "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{orders.region}:{orders.account}:*"},
            },
            source=VENDED_LOGS_S3,
        )

    findings = _synth(tmp_path, build)
    assert not [f for f in findings if f.rule == "CDKP106" or f.severity == "error"], [
        f.message for f in findings
    ]
    report = build_report(load(tmp_path))
    (domain,) = [d for d in report.domains if d.name == "orders"]
    (entry,) = [s for s in domain.services if s["service"] == "delivery.logs.amazonaws.com"]
    assert entry["sid"] == "AllowServiceDeliveryLogs" and entry["source"] == VENDED_LOGS_S3
    assert not [f for f in domain.findings if f["rule"] == "REPORT-EXTRA-STATEMENT"]


def _domain() -> DomainStack:
    app = cdk.App(context=cdk_context())
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    return DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)


_SCOPED = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


@pytest.mark.parametrize(
    ("service", "kwargs", "expected"),
    [
        ("arn:aws:iam::111122223333:role/x", {}, "not an AWS service principal"),
        ("delivery.logs.amazonaws.com", {"actions": ["kms:*"]}, "not KMS key actions"),
        ("delivery.logs.amazonaws.com", {"actions": ["kms:PutKeyPolicy"]}, "not data actions"),
        ("delivery.logs.amazonaws.com", {"actions": ["kms:CreateGrant"]}, "not data actions"),
        ("delivery.logs.amazonaws.com", {"source": "my notes"}, "names no AWS documentation"),
        ("delivery.logs.amazonaws.com", {"conditions": None}, "without aws:SourceArn"),
        # declared from the contract's own page: held to the contract
        ("cloudwatch.amazonaws.com", {"actions": ["kms:Encrypt"], "source": SNS_KEYS},
         "beyond its contract"),
        ("cloudwatch.amazonaws.com", {"conditions": None, "source": SNS_KEYS},
         "without conditions"),
        ("delivery.logs.amazonaws.com", {"source_keys_unsupported": "no"}, "AWS's sentence"),
        # scoped, but to any account (the confused deputy); a literal other account is the
        # audit's to judge against the app's wiring (test below)
        ("delivery.logs.amazonaws.com",
         {"conditions": {"StringLike": {"aws:SourceAccount": "*"}}},
         "another account or to any"),
        ("delivery.logs.amazonaws.com",
         {"conditions": {"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:*:*"}}},
         "another account or to any"),
    ],
    ids=["not-a-service", "wildcard", "administration", "grants", "no-page", "unscoped",
         "beyond-contract", "contract-unscoped", "reason-too-short", "any-account",
         "any-account-arn"],
)  # fmt: skip
def test_allow_service_refuses_what_goes_beyond_the_service(
    service: str, kwargs: dict[str, Any], expected: str
) -> None:
    stack = _domain()
    args: dict[str, Any] = {
        "actions": ["kms:GenerateDataKey"],
        "conditions": _SCOPED,
        "source": VENDED_LOGS_S3,
        **kwargs,
    }
    with pytest.raises(ValueError, match=expected) as raised:
        stack.domain.allow_service(service, **args)
    assert "Orders/Domain" in str(raised.value)


def test_allow_service_refuses_a_condition_on_a_store_token() -> None:
    stack = _domain()
    topic = stack.domain.topic("Alerts")
    with pytest.raises(ValueError, match="cycle"):
        stack.domain.allow_service(
            "delivery.logs.amazonaws.com",
            actions=["kms:GenerateDataKey"],
            conditions={"ArnLike": {"aws:SourceArn": topic.topic_arn}},
            source=VENDED_LOGS_S3,
        )


def test_unsupported_source_keys_with_aws_words_pass() -> None:
    stack = _domain()
    statement = stack.domain.allow_service(
        "example.amazonaws.com",
        actions=["kms:Decrypt"],
        source=SNS_KEYS,
        source_keys_unsupported="Adding the aws:SourceAccount, aws:SourceArn, and "
        "aws:SourceOrgID to a AWS KMS policy is not supported for this service.",
    )
    assert statement.sid == "AllowServiceExample"


def _documented_statement(orders: DomainStack) -> None:
    """The statement the SNS page shows for an event source, added as written (wildcard
    ``kms:GenerateDataKey*``: more than the library's contract for CloudWatch)."""
    orders.domain.add_to_key_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": orders.account}},
        )
    )


def test_cdkp106_is_exempted_with_a_reason(tmp_path: Path) -> None:
    """CDKP106 names the door that works (allow_service) and the exemption; exempted on the key
    with a reason, the synth passes and the finding stays, marked, with the reason."""
    findings = _synth(tmp_path / "before", _documented_statement)
    (found,) = [f for f in findings if f.rule == "CDKP106"]
    assert "kms:GenerateDataKeyPair" in found.message and not found.exempted
    assert "domain.allow_service(" in found.fix and 'exempt(domain.key, "CDKP106"' in found.fix
    reason = "We keep the statement exactly as the SNS page documents it."

    def exempted(orders: DomainStack) -> None:
        _documented_statement(orders)
        exempt(orders.domain.key, "CDKP106", reason)

    findings = _synth(tmp_path / "after", exempted)
    (found,) = [f for f in findings if f.rule == "CDKP106"]
    assert found.exempted and found.reason == reason
    assert not [f for f in findings if f.severity == "error" and not f.exempted]


def test_exemptions_stay_where_their_rule_is() -> None:
    stack = _domain()
    bucket = stack.domain.bucket("Data")
    with pytest.raises(ValueError, match="exempt the key instead"):
        exempt(bucket, "CDKP106", "A reason of enough words here.")
    with pytest.raises(ValueError, match="can be exempted from CDKP106 only"):
        exempt(stack.domain.key, "CDKP002", "A reason of enough words here.")
    with pytest.raises(ValueError, match="CDKP101 cannot be exempted"):
        exempt(stack.domain.key, "CDKP101", "A reason of enough words here.")


def test_what_the_key_allows_lists_every_row_with_its_page() -> None:
    """docs/contracts.md, "What the key allows, and why": generated from the contract table;
    every row with its page and AWS words, every catalogued type either in a row or among those
    AWS documents nothing for."""
    from cdk_partition.knowledge import catalogue, contracts, contracts_render

    page = (Path(__file__).parents[1] / "docs" / "contracts.md").read_text()
    assert "<!-- gen:key-allows -->" in page
    text = contracts_render.render_key_allows_markdown()
    rows = text.partition("catalogued types have no row")[0]
    table = [line for line in rows.splitlines() if line.startswith("| `")]
    assert len(table) == len(contracts.CONTRACTS)
    for line, row in zip(table, contracts.CONTRACTS, strict=True):
        url = row.source.rpartition(" (")[2].rstrip(")")
        assert line.startswith(f"| `{row.store}` |") and f"]({url})" in line, line
    assert all(f"`{t}`" in text for t in catalogue.CATALOGUE)
    assert "have no row" in text


def test_types_without_a_row_are_split_into_looked_up_and_not_researched() -> None:
    """docs/contracts.md must not claim "no AWS page" for a type nobody looked up: the types
    whose page was read (contracts.json ``looked_up``) are listed with that page and AWS's words,
    apart from the types not researched, which are named as such."""
    from cdk_partition.knowledge import catalogue, contracts, contracts_render

    text = contracts_render.render_key_allows_markdown()
    assert "found no AWS page" not in text
    looked_part, _, unresearched_part = text.partition("**Not researched (")
    assert unresearched_part, "the not-researched types are not named as such"
    assert contracts.LOOKED_UP
    for cfn_type, entry in contracts.LOOKED_UP.items():
        url = entry.source.rpartition(" (")[2].rstrip(")")
        (line,) = [x for x in looked_part.splitlines() if x.startswith(f"| `{cfn_type}` |")]
        assert f"]({url})" in line and entry.quote in line, line
        assert f"`{cfn_type}`" not in unresearched_part
    covered = set(contracts.STORE_TYPES) | set(contracts.LOOKED_UP)
    for cfn_type in catalogue.CATALOGUE:
        if cfn_type not in covered and f"`{cfn_type}`" not in text.split("**Not researched")[0]:
            assert f"`{cfn_type}`" in unresearched_part, cfn_type


def test_allow_service_statements_are_declared_on_the_replica_keys_too(tmp_path: Path) -> None:
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    orders = DomainStack(
        app, "Orders", domain_name="orders", administrators=[ci], env=ENV,
        domain_props={"replica_regions": ["us-west-2"]},
    )  # fmt: skip
    scoped = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    orders.domain.allow_service(  # before the replica exists
        "delivery.logs.amazonaws.com", actions=["kms:GenerateDataKey"], conditions=scoped,
        source=VENDED_LOGS_S3,
    )  # fmt: skip
    west = cdk.Stack(app, "West", env=cdk.Environment(account=ACCOUNT, region="us-west-2"))
    orders.domain.replica(west, "Orders")
    orders.domain.allow_service(  # after
        "example.amazonaws.com", actions=["kms:Decrypt"], conditions=scoped, source=SNS_KEYS
    )
    app.synth()
    findings = audit_path(tmp_path)
    assert not [f for f in findings if f.rule == "CDKP106"], [f.message for f in findings]
    west_template = json.loads((tmp_path / "West.template.json").read_text())
    (replica,) = [
        r for r in west_template["Resources"].values() if r["Type"] == "AWS::KMS::ReplicaKey"
    ]
    sids = [m["sid"] for m in replica["Metadata"]["cdk_partition:service_statements"]]
    assert sids == ["AllowServiceDeliveryLogs", "AllowServiceExample"]


def test_allow_service_for_another_account_nothing_wires_is_cdkp106(tmp_path: Path) -> None:
    """A literal other account passes the construct-time door (only the app's wiring can vouch
    for it: a delivery from that account's stack, ``tests/test_vended_logs.py``); with no such
    wiring the audit reports it at synth."""

    def build(orders: DomainStack) -> None:
        orders.domain.bucket("Logs")
        orders.domain.allow_service(
            "delivery.logs.amazonaws.com", actions=["kms:GenerateDataKey"],
            conditions={"StringEquals": {"aws:SourceAccount": "444455556666"}},
            source=VENDED_LOGS_S3,
        )  # fmt: skip

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP106"]
    assert found and "another account or to any" in found[0].message, [f.message for f in found]


#: scoping conditions of an SNS statement added by hand -> whether CDKP106 reports it
_SCOPES = {
    "this-account": ({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, False),
    "this-account-arn": (
        {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:*"}},
        False,
    ),
    "other-account": ({"StringEquals": {"aws:SourceAccount": "444455556666"}}, True),
    "any-account-arn": ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}, True),
    "wildcard-account": ({"StringLike": {"aws:SourceAccount": "*"}}, True),
    "one-of-two-foreign": (
        {"StringEquals": {"aws:SourceAccount": [ACCOUNT, "444455556666"]}},
        True,
    ),
    # a second review: any organization, any bucket of any account
    "any-organization": ({"StringLike": {"aws:SourceOrgID": "o-*"}}, True),
    "any-bucket": ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, True),
    # an ARN pattern of any account, pinned to this account by aws:SourceAccount: both hold
    "pattern-pinned-to-this-account": (
        {
            "ArnLike": {"aws:SourceArn": f"arn:aws:sns:{REGION}:*:*"},
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
        },
        False,
    ),
}


@pytest.mark.parametrize("scope", sorted(_SCOPES))
def test_a_service_statement_scoped_to_another_account_is_reported(
    tmp_path: Path, scope: str
) -> None:
    """An attack review found a service statement scoped to another account (or to every
    account's ARNs) accepted: the service could use the key for resources of that account. The
    scoping values must name the key's own account."""
    conditions, reported = _SCOPES[scope]

    def build(orders: DomainStack) -> None:
        orders.domain.topic("Alerts")
        orders.domain.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PartnerTopics",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions=conditions,
            )
        )

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP106"]
    assert bool(found) is reported, [f.message for f in found]
    if reported:
        assert "another account or to any" in found[0].message

"""Notifications AWS delivers into no topic encrypted with a customer managed key (issue #19, an
integration the CDK wires that no key policy can let in): ElastiCache ("The Amazon SNS topic you
are publishing to cannot be encrypted", Amazon ElastiCache, "Event Notifications and Amazon SNS")
and AWS Config's delivery channel ("AWS Config does not support encrypted Amazon SNS topics", AWS
Config Developer Guide, "Permissions for the Amazon SNS Topic"). A domain topic is always on the
domain key, so every such notification fails at run time; before, synth and audit were silent.

Now a domain topic named there is CDKP026 on the notifying resource, in any stack, and the fix
(a topic without a customer managed key, in a stack that is no domain's) passes as written.

DocumentDB and Neptune event subscriptions publish into topics too, but no AWS page says as
which principal, or what they request of a topic's key (the SNS page's table of event sources
lists neither; RDS's principal is not assumed): a domain topic there is CDKP033, a warning to
verify, never silence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_config as config
from aws_cdk import aws_docdb as docdb
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_neptune as neptune
from aws_cdk import aws_sns as sns
from test_integrations import ENV, _synth

from cdk_partition import DomainStack
from cdk_partition.audit import Finding


def _notifiers(scope: cdk.Stack, topic_arn: str) -> None:
    """A cache cluster, a replication group and a Config delivery channel notifying ``topic_arn``
    (the caches of a stack that is no domain's: in a domain their own keys are checked too)."""
    config.CfnDeliveryChannel(
        scope, "Channel", s3_bucket_name="config-logs", sns_topic_arn=topic_arn
    )
    docdb.CfnEventSubscription(scope, "DocEvents", sns_topic_arn=topic_arn)
    neptune.CfnEventSubscription(scope, "GraphEvents", sns_topic_arn=topic_arn)
    if isinstance(scope, DomainStack):
        return
    elasticache.CfnCacheCluster(
        scope, "Cache", cache_node_type="cache.t4g.micro", engine="redis", num_cache_nodes=1,
        notification_topic_arn=topic_arn,
    )  # fmt: skip
    elasticache.CfnReplicationGroup(
        scope, "Group", replication_group_description="sessions", cache_node_type="cache.t4g.micro",
        engine="redis", num_cache_clusters=1, notification_topic_arn=topic_arn,
    )  # fmt: skip


def _domain_topic(orders: DomainStack) -> None:
    """The notifiers in the domain stack and in a consumer stack, on a domain topic."""
    topic = orders.domain.topic("Alerts")
    _notifiers(orders, topic.topic_arn)
    _notifiers(cdk.Stack(orders.node.root, "Ops", env=ENV), topic.topic_arn)


def _fixed(orders: DomainStack) -> None:
    """The fix as CDKP026 prints it: ``sns.Topic(scope, id)`` in a stack that is no domain's."""
    edge = cdk.Stack(orders.node.root, "Ops", env=ENV)
    topic = sns.Topic(edge, "Alerts")
    _notifiers(orders, topic.topic_arn)
    _notifiers(edge, topic.topic_arn)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    return {
        name: _synth(tmp_path_factory.mktemp(name), build)
        for name, build in (("domain", _domain_topic), ("fixed", _fixed))
    }


_NOTIFIERS = ("Cache", "Group", "Channel")


def test_each_notifier_of_a_domain_topic_is_cdkp026(audited: dict[str, Any]) -> None:
    found = {(f.path, f.rule) for f in audited["domain"] if f.severity == "error"}
    assert found == {("Orders/Channel", "CDKP026")} | {(f"Ops/{n}", "CDKP026") for n in _NOTIFIERS}
    (cache,) = [f for f in audited["domain"] if f.path == "Ops/Cache"]
    assert "cannot be encrypted" in cache.message and "ElastiCacheSNS.html" in cache.message
    assert cache.location == "NotificationTopicArn"
    (channel,) = [f for f in audited["domain"] if f.path == "Ops/Channel"]
    assert "does not support encrypted Amazon SNS topics" in channel.message


def test_the_fix_passes_as_written(audited: dict[str, Any]) -> None:
    (cache,) = [f for f in audited["domain"] if f.path == "Ops/Cache"]
    assert "`sns.Topic(scope, id)` in a stack that is not a domain's" in cache.fix
    assert [f.message for f in audited["fixed"] if f.severity == "error"] == []


def test_an_event_subscription_aws_documents_no_principal_for_is_cdkp033(
    audited: dict[str, Any],
) -> None:
    found = {(f.path, f.rule, f.severity) for f in audited["domain"] if f.rule == "CDKP033"}
    assert found == {
        (f"{stack}/{name}", "CDKP033", "warning")
        for stack in ("Orders", "Ops")
        for name in ("DocEvents", "GraphEvents")
    }
    (doc,) = [f for f in audited["domain"] if f.path == "Orders/DocEvents"]
    assert "sns-key-management.html" in doc.message and doc.location == "SnsTopicArn"
    assert not [f for f in audited["fixed"] if f.rule == "CDKP033"]


def test_a_topic_kept_off_the_key_by_design_may_take_them(tmp_path: Path) -> None:
    """A domain topic kept unencrypted on purpose, its finding exempted with the reason, is where
    ElastiCache's notifications belong (AWS requires it unencrypted): no CDKP026 (found by an
    attack: the finding said every delivery would fail)."""
    from cdk_partition import exempt

    def build(orders: DomainStack) -> None:
        topic = sns.Topic(orders, "CacheEvents")
        for rule in ("CDKP001", "CDKP002"):
            exempt(topic, rule, "ElastiCache notifies only unencrypted topics; no domain data.")
        _notifiers(cdk.Stack(orders.node.root, "Ops", env=ENV), topic.topic_arn)

    findings = _synth(tmp_path, build)
    assert [f.message for f in findings if f.rule == "CDKP026"] == []
    assert [f.message for f in findings if f.severity == "error" and not f.exempted] == []

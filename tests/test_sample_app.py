"""The sample app, synthesized by the real ``cdk synth`` through ``cdk.json``.

Snapshots catch drift (update deliberately with ``pytest tests/test_sample_app.py
--snapshot-update``); the assertions below say what must hold whatever the snapshot says.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from cdk_partition.knowledge.capabilities import Capability

STACKS = ["Principals", "Orders", "CreditApplications"]


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", STACKS)
def test_template_snapshot(
    sample_templates: dict[str, dict], stack: str, snapshot_json: SnapshotAssertion
) -> None:
    # Nothing is masked: the sample app has no assets, and cdk.json turns version reporting off.
    assert sample_templates[stack] == snapshot_json


def _domain_key(template: dict) -> dict[str, Any]:
    keys = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert len(keys) == 1
    return keys[0]


def _capabilities_by_principal(template: dict, principals: dict[str, str]) -> dict[str, set[str]]:
    """Principal name -> capabilities its Allow statements give it (read off the statements)."""
    out: dict[str, set[str]] = {name: set() for name in principals}
    for statement in _domain_key(template)["Properties"]["KeyPolicy"]["Statement"]:
        capability = {c.sid: c.value for c in Capability}.get(statement.get("Sid", ""))
        if statement["Effect"] != "Allow" or capability is None:
            continue  # service statements are scoped by the store methods, tested elsewhere
        values = statement["Principal"]["AWS"]
        for value in values if isinstance(values, list) else [values]:
            for name, export_fragment in principals.items():
                if export_fragment in str(value):
                    out[name].add(capability)
    return out


def test_orders_policy_matches_the_article(sample_templates: dict[str, dict]) -> None:
    got = _capabilities_by_principal(
        sample_templates["Orders"],
        {"appA": "FnGetAttappA", "ci": "FnGetAttci", "person1": "FnGetAttperson1"},
    )
    assert got == {
        "appA": {"read", "write"},
        "ci": {"administer"},
        "person1": {"administer", "read", "write"},
    }


def test_credit_applications_policy(sample_templates: dict[str, dict]) -> None:
    got = _capabilities_by_principal(
        sample_templates["CreditApplications"],
        {"intake": "FnGetAttintake", "underwriter": "FnGetAttunderwriter", "ci": "FnGetAttci"},
    )
    assert got == {"intake": {"write"}, "underwriter": {"read"}, "ci": {"administer"}}


@pytest.mark.parametrize(
    ("stack", "alias"), [("Orders", "orders"), ("CreditApplications", "credit-applications")]
)
def test_each_domain_has_its_rotated_key_and_alias(
    sample_templates: dict[str, dict], stack: str, alias: str
) -> None:
    template = sample_templates[stack]
    key = _domain_key(template)
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Metadata"]["cdk_partition:domain"] == alias
    aliases = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Alias"]
    assert [a["Properties"]["AliasName"] for a in aliases] == [f"alias/{alias}"]


def test_principals_are_named_as_in_the_article(sample_templates: dict[str, dict]) -> None:
    resources = sample_templates["Principals"]["Resources"].values()
    names = {
        r["Properties"].get("RoleName") or r["Properties"].get("UserName")
        for r in resources
        if r["Type"] in ("AWS::IAM::Role", "AWS::IAM::User")
    }
    assert {"appA", "ci", "person1"} <= names


def test_credit_stores_are_on_the_key_through_the_mixin(sample_templates: dict[str, dict]) -> None:
    # credit-applications builds plain L2s and applies domain.encryption_at_rest() once: every
    # store slot the catalogue knows names the domain key, and the bucket got the PUT-deny policy
    from cdk_partition.knowledge.catalogue import classify

    template = sample_templates["CreditApplications"]
    (key_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::KMS::Key"]
    kinds = set()
    for resource in template["Resources"].values():
        uses = classify(resource["Type"], resource.get("Properties", {})) or []
        for use in uses:
            assert use.state == "customer_key" and key_id in str(use.key), (resource, use)
        if uses:
            kinds.add(resource["Type"])
    assert {
        "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::EC2::Volume",
        "AWS::EFS::FileSystem", "AWS::RDS::DBInstance", "AWS::SecretsManager::Secret",
        "AWS::EC2::LaunchTemplate",
    } <= kinds  # fmt: skip
    (policy,) = [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy"
    ]
    assert {"DenyOtherEncryption", "DenyOtherKeys", "DenyManagedKeyFallback"} <= {
        s.get("Sid") for s in policy["Statement"]
    }

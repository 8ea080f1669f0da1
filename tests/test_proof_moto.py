"""Proof on moto: the sample app deployed through moto's CloudFormation (``moto.mock_aws``,
boto3), every stack in the assembly's dependency order, then read back through the service APIs.

What is proven, per store the templates contain (found by resource type, see
``tests/proof_support.py``):

* S3 buckets (GetBucketEncryption), SQS queues (GetQueueAttributes ``KmsMasterKeyId``), SNS topics
  (GetTopicAttributes), EFS file systems (DescribeFileSystems) and RDS instances
  (DescribeDBInstances) are encrypted with the ARN of the key KMS holds under
  ``alias/<domain>``, and that alias targets the key of the store's own stack;
* every key policy KMS stores (GetKeyPolicy) equals the synthesized ``KeyPolicy`` once
  ``Fn::ImportValue`` is replaced by moto's exports (ListExports) and ``Fn::Sub`` by moto's
  account ``123456789012``, region ``us-east-1`` and partition ``aws``.

What moto 5.2.5 does not model (each verified by deploying and calling the API; these stores are
still deployed and probed, and a probe that starts returning a key fails the test so the entry
gets promoted to a real check):

* ``AWS::DynamoDB::Table``: CloudFormation's ``SSESpecification`` is stored verbatim with
  ``SSEEnabled``; DescribeTable reports ``SSEDescription`` only for the API's ``Enabled``, so it is
  absent. The table key is proven by the template tests, cfn-lint and checkov CKV_AWS_119 only.
* ``AWS::DynamoDB::GlobalTable`` (TableV2), ``AWS::SecretsManager::Secret``,
  ``AWS::Backup::BackupVault``, ``AWS::KinesisFirehose::DeliveryStream``: no moto CloudFormation
  support at all (moto warns and creates nothing).
* ``AWS::Kinesis::Stream`` (StreamEncryption ignored), ``AWS::Events::EventBus``
  (KmsKeyIdentifier ignored), ``AWS::EC2::Volume`` (Encrypted/KmsKeyId ignored),
  ``AWS::Logs::LogGroup`` (KmsKeyId read under another casing), ``AWS::ECR::Repository``
  (EncryptionConfiguration stored under CloudFormation's casing, DescribeRepositories returns
  ``{}``): created without the key.
* ``AWS::S3::BucketPolicy``, ``AWS::SQS::QueuePolicy``: no moto CloudFormation support (not
  stores; they carry the TLS-only deny, proven by the template tests).
* ``GetKeyPolicy`` of a key created through moto's CloudFormation returns the policy as a JSON
  object rather than a string; the comparison accepts both.
* Key-policy *evaluation*: moto stores the policy but does not enforce it, so who may decrypt is
  proven by the library's own evaluator tests, not here.

Deploy adjustments (on a copy, see ``proof_support.deployable_copy``): the bootstrap SSM
parameter ``/cdk-bootstrap/<qualifier>/version`` is created in moto (value ``30``) so the
``BootstrapVersion`` parameter and ``CheckBootstrapVersion`` rule stay untouched; unnamed ECR
repositories get a lowercase name because moto's generated one fails its own validation.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from proof_support import (
    DOMAIN_METADATA,
    NOT_MODELLED,
    READBACKS,
    ProofResult,
    Template,
    deploy_and_check,
    is_store,
    resources_of,
)

pytestmark = [
    pytest.mark.slow,
    # moto warns about every resource type its CloudFormation skips (bucket/queue policies...)
    pytest.mark.filterwarnings("ignore:Tried to parse .* not supported by moto:UserWarning"),
]


def _deploy(assembly: Path, templates: dict[str, Template]) -> ProofResult:
    with mock_aws():
        return deploy_and_check(assembly, templates)


@pytest.fixture(scope="module")
def proof(sample_assembly: Path, sample_templates: dict[str, Template]) -> ProofResult:
    """The real sample app deployed on moto and read back (once per module)."""
    return _deploy(sample_assembly, sample_templates)


def _first(templates: dict[str, Template], rtype: str) -> tuple[str, str, dict[str, Any]]:
    for name, template in templates.items():
        for logical_id, resource in resources_of(template):
            if resource["Type"] == rtype:
                return name, logical_id, resource
    raise AssertionError(f"the sample app has no {rtype} to break")


@pytest.fixture(scope="module")
def broken(
    sample_assembly: Path, sample_templates: dict[str, Template]
) -> tuple[ProofResult, list[str]]:
    """A copy of the sample app with one bucket on SSE-S3 and one queue on ``alias/aws/sqs``."""
    templates = copy.deepcopy(sample_templates)
    _, bucket_id, bucket = _first(templates, "AWS::S3::Bucket")
    bucket["Properties"]["BucketEncryption"] = {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }
    _, queue_id, queue = _first(templates, "AWS::SQS::Queue")
    queue["Properties"]["KmsMasterKeyId"] = "alias/aws/sqs"
    return _deploy(sample_assembly, templates), [bucket_id, queue_id]


def test_every_stack_deploys(proof: ProofResult, sample_templates: dict[str, Template]) -> None:
    top_level = {n for n in sample_templates if not n.endswith(".nested")}
    assert proof.stack_status == dict.fromkeys(top_level, "CREATE_COMPLETE")


def test_every_store_reads_back_the_domain_key(proof: ProofResult) -> None:
    assert proof.mismatches == [], "\n".join(proof.mismatches)


def test_the_read_back_is_not_vacuous(
    proof: ProofResult, sample_templates: dict[str, Template]
) -> None:
    # Every store of the templates got a report, and the read-back types really were verified.
    stores = {
        (name, lid)
        for name, t in sample_templates.items()
        for lid, r in resources_of(t)
        if is_store(r)
    }
    assert {(s.stack, s.logical_id) for s in proof.stores} == stores
    verified = {s.type for s in proof.stores if s.status == "verified"}
    assert {"AWS::S3::Bucket", "AWS::SQS::Queue"} <= verified
    assert all(s.reported for s in proof.stores if s.status == "verified")
    assert all(s.type in NOT_MODELLED for s in proof.stores if s.status == "not-modelled")


def test_key_policies_equal_the_synthesized_ones(
    proof: ProofResult, sample_templates: dict[str, Template]
) -> None:
    keys = sum(
        r["Type"] == "AWS::KMS::Key" for t in sample_templates.values() for _, r in resources_of(t)
    )
    assert keys >= 2
    assert proof.key_policies_compared == keys
    domains = {
        r["Metadata"][DOMAIN_METADATA]
        for t in sample_templates.values()
        for _, r in resources_of(t)
        if r["Type"] == "AWS::KMS::Key" and DOMAIN_METADATA in r.get("Metadata", {})
    }
    assert {"orders", "credit-applications"} <= domains
    assert set(proof.domain_keys) == {f"alias/{d}" for d in domains}
    assert not [m for m in proof.mismatches if "key policy" in m]


def test_a_broken_store_fails_the_read_back(broken: tuple[ProofResult, list[str]]) -> None:
    result, broken_ids = broken
    for logical_id in broken_ids:
        hits = [m for m in result.mismatches if f"/{logical_id} (" in m]
        assert hits, f"{logical_id} was broken but the checker did not report it:\n{result}"
    assert len(result.mismatches) == len(broken_ids), "\n".join(result.mismatches)


def test_an_unknown_kind_of_store_is_not_ignored() -> None:
    # A store kind the proof does not know is still recognised as a store (by its encryption
    # property), so deploy_and_check reports it instead of skipping it.
    new_kind = {
        "Type": "AWS::Redshift::Cluster",
        "Properties": {"KmsKeyId": "k", "Encrypted": True},
    }
    assert is_store(new_kind)
    assert new_kind["Type"] not in READBACKS and new_kind["Type"] not in NOT_MODELLED
    assert not is_store({"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "kms-use"}})

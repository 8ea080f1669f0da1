"""Issue #20 item 3: keys named elsewhere are followed. An OpenSearch Serverless collection keyed
by an encryption security policy whose Policy JSON names the domain key passes (it was CDKP002);
an EMR security configuration's at-rest switches and keys inside its SecurityConfiguration
document are read and judged like slots, each finding naming the property that decided it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from templates import domain_key

from cdk_partition.assembly import CloudAssembly, StackTemplate
from cdk_partition.audit import Finding, audit
from cdk_partition.audit.documents import read_document

KEY_ARN = {"Fn::GetAtt": ["DomainKey", "Arn"]}
OTHER = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"


def _audit(resources: dict[str, Any]) -> list[Finding]:
    template = {"Resources": {"DomainKey": domain_key("orders"), **resources}}
    return audit(CloudAssembly([StackTemplate("Orders", template, "O.json")]))


def _of(findings: list[Finding], logical_id: str) -> list[Finding]:
    return [f for f in findings if f.logical_id == logical_id]


def _collection(policy: Any) -> dict[str, Any]:
    return {
        "Collection": {
            "Type": "AWS::OpenSearchServerless::Collection",
            "Properties": {"Name": "logs"},
        },
        "Policy": {
            "Type": "AWS::OpenSearchServerless::SecurityPolicy",
            "Properties": {"Name": "logs-enc", "Type": "encryption", "Policy": policy},
        },
    }


def _cdk_policy(key: Any) -> dict[str, Any]:
    """The Fn::Join the CDK writes for JSON.stringify of a policy naming a token."""
    return {"Fn::Join": ["", [
        '{"Rules":[{"ResourceType":"collection","Resource":["collection/logs*"]}],'
        '"AWSOwnedKey":false,"KmsARN":"', key, '"}'
    ]]}  # fmt: skip


def test_collection_keyed_by_a_policy_naming_the_domain_key_passes() -> None:
    assert _of(_audit(_collection(_cdk_policy(KEY_ARN))), "Collection") == []


def test_collection_keyed_by_a_policy_naming_another_key() -> None:
    policy = json.dumps({"Rules": [{"ResourceType": "collection", "Resource": ["collection/logs"]}],
                         "AWSOwnedKey": False, "KmsARN": OTHER})  # fmt: skip
    (f,) = _of(_audit(_collection(policy)), "Collection")
    assert (f.rule, f.location, f.value) == ("CDKP004", "Policy.KmsARN", OTHER)


def test_collection_keyed_by_a_policy_choosing_the_aws_owned_key() -> None:
    policy = json.dumps({"Rules": [{"ResourceType": "collection", "Resource": ["collection/*"]}],
                         "AWSOwnedKey": True})  # fmt: skip
    (f,) = _of(_audit(_collection(policy)), "Collection")
    assert (f.rule, f.location) == ("CDKP002", "Policy.AWSOwnedKey")
    assert "AWSOwnedKey false" in f.fix


def test_collection_without_a_matching_policy_keeps_its_verdict() -> None:
    policy = json.dumps({"Rules": [{"ResourceType": "collection", "Resource": ["collection/other"]}],
                         "AWSOwnedKey": False, "KmsARN": OTHER})  # fmt: skip
    assert {f.rule for f in _of(_audit(_collection(policy)), "Collection")} == {"CDKP002"}


def _emr(document: Any) -> dict[str, Any]:
    return {"Emr": {"Type": "AWS::EMR::SecurityConfiguration",
                    "Properties": {"SecurityConfiguration": document}}}  # fmt: skip


def _at_rest(s3: dict[str, Any] | None, disk: dict[str, Any] | None, on: bool = True) -> dict:
    at_rest: dict[str, Any] = {}
    if s3 is not None:
        at_rest["S3EncryptionConfiguration"] = s3
    if disk is not None:
        at_rest["LocalDiskEncryptionConfiguration"] = disk
    return {"EncryptionConfiguration": {"EnableAtRestEncryption": on,
                                        "AtRestEncryptionConfiguration": at_rest}}  # fmt: skip


def test_emr_on_the_domain_key_passes() -> None:
    document = _at_rest({"EncryptionMode": "SSE-KMS", "AwsKmsKey": KEY_ARN},
                        {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY_ARN})  # fmt: skip
    assert _of(_audit(_emr(document)), "Emr") == []


@pytest.mark.parametrize(
    ("document", "rule", "location", "value"),
    [
        (_at_rest(None, None, on=False), "CDKP001",
         "SecurityConfiguration.EncryptionConfiguration.EnableAtRestEncryption", "false"),
        (_at_rest({"EncryptionMode": "SSE-S3"}, {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY_ARN}),
         "CDKP002", "SecurityConfiguration.EncryptionConfiguration.AtRestEncryptionConfiguration."
         "S3EncryptionConfiguration.EncryptionMode", "SSE-S3"),
        (_at_rest({"EncryptionMode": "SSE-KMS", "AwsKmsKey": KEY_ARN}, {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": OTHER}),
         "CDKP004", "SecurityConfiguration.EncryptionConfiguration.AtRestEncryptionConfiguration."
         "LocalDiskEncryptionConfiguration.AwsKmsKey", OTHER),
    ],
)  # fmt: skip
def test_emr_document_judged_like_slots(
    document: dict[str, Any], rule: str, location: str, value: str
) -> None:
    for written in (document, json.dumps(document, default=str)):
        if not isinstance(written, dict) and "Fn::" in written:
            continue  # a token is not a JSON string: the object form covers it
        (f,) = _of(_audit(_emr(written)), "Emr")
        assert (f.rule, f.location, f.value) == (rule, location, value)


def test_an_unreadable_document_fails_closed() -> None:
    (f,) = _of(_audit(_emr({"Fn::If": ["C", {}, {}]})), "Emr")
    assert f.rule == "CDKP005"


def test_read_document_puts_tokens_back() -> None:
    document, readable = read_document(_cdk_policy(KEY_ARN))
    assert readable and document["KmsARN"] == KEY_ARN
    sub, ok = read_document({"Fn::Sub": '{"KmsARN": "${DomainKey.Arn}"}'})
    assert ok and sub["KmsARN"] == {"Fn::GetAtt": ["DomainKey", "Arn"]}

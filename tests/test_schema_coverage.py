"""Coverage from the schemas, not from memory.

A walker reads the CloudFormation resource schemas cfn-lint ships and lists, for every resource
type, each property path (dotted, ``[]`` for list items: the catalogue's slot notation) that names
a KMS key or an encryption switch. Every type it finds must be classified in
:mod:`cdk_partition.catalogue`: a store in ``CATALOGUE`` with all its key slots, a store that
cannot take a customer managed key in ``KEYLESS_STORES``, or a type that keeps no customer data
at rest in ``NOT_STORES``. A cfn-lint upgrade that brings new types fails here until they are
classified.

The rule (``_is_key`` / ``_is_switch``), on properties that are not read-only:

* a **KMS key** is a string property whose name says KMS/CMK and ends in a key reference
  (``KmsKeyId``, ``ReplicaKmsKeyID``, ``AWSKMSKeyARN``, ``CmkArn``, ``KmsAliasArn``), or names an
  encryption key (``EncryptionKey``, ``EncryptionKeyArn``, ``VolumeEncryptionKey``), or is a
  bare key reference (``KeyId``, ``KeyArn``, ``Id``, ``Key`` ...) whose AWS description names KMS
  or which sits in an encryption object (``StreamEncryption.KeyId``, ``EncryptionKey.Id``), or
  any other ``...Key...Arn/Id`` whose description names KMS (``KeyManagementServiceArn``).
  Roles, grants, contexts, policies, secrets and key providers are not keys.
* an **encryption switch** is a boolean whose name has the word Encrypted/Encryption/Encrypt/SSE
  (``Encrypted``, ``StorageEncrypted``, ``SSEEnabled``, ``AtRestEncryptionEnabled``,
  ``KMSEncrypted``, ``EncryptionDisabled``), or an encryption type/option/mode/algorithm string
  (``EncryptionType``, ``SSEAlgorithm``, ``SseType``, ``CmkType``, or ``Type``/``Mode`` inside an
  encryption object) whose allowed values or description name an at-rest choice (KMS, AES256,
  SSE, AWS owned, customer managed, server-side). Anything about transit, TLS, passwords or
  containers is not a switch. Names are split into words (``InitProcessEnabled`` has no "SSE").

``cdk_partition/kms_properties.json`` is the walker's table of KMS *key* paths per type (no
switches), which the runtime audit reads without cfn-lint. Regenerate it after a cfn-lint
upgrade with (from the repository root)::

    python tests/test_schema_coverage.py
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

KMS_PROPERTIES = Path(__file__).resolve().parent.parent / "cdk_partition" / "kms_properties.json"
REGENERATE = "python tests/test_schema_coverage.py"

# Read-only in the schema although CloudFormation docs and the API accept it at create time
# (the same exception as tests/test_catalogue.py).
_READ_ONLY_BUT_SETTABLE = {("AWS::CodeArtifact::Domain", "EncryptionKey")}

# -- the schema walker -------------------------------------------------------------------------


def _schemas() -> Path:
    import cfnlint

    return Path(cfnlint.__file__).parent / "data" / "schemas"


@cache
def _index() -> dict[str, str]:
    """cfn-lint >= 1.x: ``providers/us-east-1.json`` maps each type to a schema file hash."""
    return json.loads((_schemas() / "providers" / "us-east-1.json").read_text())


def _load(cfn_type: str) -> dict[str, Any]:
    return json.loads((_schemas() / "resources" / f"{_index()[cfn_type]}.json").read_text())


def _resolve(schema: dict[str, Any], node: Any, seen: frozenset[str]) -> tuple[Any, frozenset[str]]:
    """Follow ``$ref`` s; a reference already on the current path ends the walk (None)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen or not ref.startswith("#/"):
            return None, seen
        seen = seen | {ref}
        node = schema
        for part in ref[2:].split("/"):
            node = node[part]
    return node, seen


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    """Every property at any depth: (path, name, parent name, resolved node, description)."""

    def walk(node: Any, path: str, parent: str, seen: frozenset[str]) -> Iterator[Any]:
        node, seen = _resolve(schema, node, seen)
        if not isinstance(node, dict):
            return
        for combinator in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(combinator, []):
                yield from walk(sub, path, parent, seen)
        if isinstance(node.get("items"), dict):
            yield from walk(node["items"], f"{path}[]", parent, seen)
        for name, child in node.get("properties", {}).items():
            child_path = f"{path}.{name}" if path else name
            target, _ = _resolve(schema, child, seen)
            target = target if isinstance(target, dict) else {}
            description = child.get("description") or target.get("description") or ""
            yield child_path, name, parent, target, description
            yield from walk(child, child_path, name, seen)

    yield from walk(schema, "", "", frozenset())


def _words(name: str) -> list[str]:
    """``AWSKMSKeyARN`` -> aws kms key arn; ``InitProcessEnabled`` -> init process enabled."""
    spaced = re.sub(r"(KMS|SSE|CMK|AWS|ARN|EBS)", r" \1 ", name)
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", spaced)
    return [
        w.lower()
        for w in re.split(r"[^A-Za-z0-9]+", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced))
        if w
    ]


def _types(node: dict[str, Any]) -> set[str]:
    declared = node.get("type")
    if isinstance(declared, list):
        return set(declared)
    if declared is not None:
        return {declared}
    if "properties" in node or "items" in node:
        return {"object"}
    return {"string"}  # untyped scalars in these schemas are strings (ARNs, ids)


_KMS_TEXT = re.compile(
    r"\bKMS|KMSlong|Key Management Service|\bCMKs?\b|customer master key|customer[- ]managed key",
    re.IGNORECASE,
)
_KEY_TAIL = {"key", "id", "arn", "identifier"}
_BARE_KEY = {"key", "keyid", "keyarn", "keyidentifier", "id", "arn"}
_NOT_KEY = {"role", "grant", "context", "policy", "secret", "provider", "uri", "period",
            "access", "document", "enable", "type"}  # fmt: skip
_ENCRYPTION_WORDS = {"encryption", "encrypted", "encrypt", "sse", "kms", "cmk"}
_SWITCH_WORDS = {"encryption", "encrypted", "encrypt", "sse"}
_NOT_SWITCH = {"transit", "container", "password", "remove", "rotate", "tls", "hsm", "endpoint",
               "require", "node"}  # fmt: skip
_ENUM_TAIL = {"type", "option", "mode", "algorithm"}
_AT_REST_CHOICE = re.compile(
    r"KMS|AES256|\bSSE|AWS_OWNED|AWS_MANAGED|CUSTOMER_MANAGED|server-side|at rest|DEFAULT_ENCRYPTION",
    re.IGNORECASE,
)


def _is_key(name: str, parent: str, node: dict[str, Any], description: str) -> bool:
    """A string property that names a KMS key (see the module docstring)."""
    if _types(node) - {"string"}:
        return False
    words = _words(name)
    anchors = [i for i, w in enumerate(words) if w in {"kms", "cmk", "encryption"}]
    tail = words[anchors[-1] + 1 :] if anchors else words
    if _NOT_KEY & set(tail):
        return False
    if {"kms", "cmk"} & set(words) and (
        words[-1] in _KEY_TAIL or words[-2:] in (["alias", "arn"], ["alias", "name"])
    ):
        return True
    if "encryption" in words and "key" in tail:
        return words[-1] in _KEY_TAIL
    if name.lower() in _BARE_KEY:
        return bool(_KMS_TEXT.search(description) or _ENCRYPTION_WORDS & set(_words(parent)))
    return "key" in words and words[-1] in _KEY_TAIL and bool(_KMS_TEXT.search(description))


def _is_switch(name: str, parent: str, node: dict[str, Any], description: str) -> bool:
    """A boolean or enumerated property that turns encryption at rest on or picks its kind."""
    words = set(_words(name))
    if words & _NOT_SWITCH or re.search(r"transit|\bTLS\b", description, re.IGNORECASE):
        return False
    types = _types(node)
    if "boolean" in types:
        return bool(words & _SWITCH_WORDS) and name != "Encrypt"
    if types - {"string"} or not _ENUM_TAIL & words:
        return False
    if "algorithm" in words and "sse" not in words:
        return False  # cipher choices of a protocol (AS2, MediaConnect), not a key choice
    if not words & (_ENCRYPTION_WORDS | {"ebs"}):
        if len(words) > 2 or not _ENCRYPTION_WORDS & set(_words(parent)):
            return False
    choices = " ".join(str(v) for v in node.get("enum", []))
    return bool(_AT_REST_CHOICE.search(f"{choices} {description}"))


def _read_only(schema: dict[str, Any], path: str) -> bool:
    pointer = "/properties/" + path.replace("[]", "/*").replace(".", "/")
    parts = pointer.split("/")
    read_only = set(schema.get("readOnlyProperties", []))
    return any("/".join(parts[:i]) in read_only for i in range(3, len(parts) + 1))


@cache
def found() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every KMS-capable type: cfn_type -> (KMS key paths, encryption switch paths)."""
    result = {}
    for cfn_type in sorted(_index()):
        if cfn_type.startswith("AWS::KMS::"):
            continue
        schema = _load(cfn_type)
        keys, switches = set(), set()
        for path, name, parent, node, description in _properties(schema):
            if _read_only(schema, path) and (cfn_type, path) not in _READ_ONLY_BUT_SETTABLE:
                continue
            if _is_key(name, parent, node, description):
                keys.add(path)
            elif _is_switch(name, parent, node, description):
                switches.add(path)
        if keys or switches:
            result[cfn_type] = (tuple(sorted(keys)), tuple(sorted(switches)))
    return result


def kms_properties() -> dict[str, list[str]]:
    """The table ``cdk_partition/kms_properties.json`` holds: type -> KMS key paths."""
    return {t: list(keys) for t, (keys, _) in found().items() if keys}


def _dump(table: dict[str, list[str]]) -> str:
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


# -- the walker and the generated table ----------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _cfn_lint() -> None:
    pytest.importorskip("cfnlint")


def test_walker_finds_the_kms_capable_types() -> None:
    types = found()
    assert 250 <= len(types) <= 350, len(types)  # 271 in cfn-lint 1.58
    assert "AWS::KMS::Key" not in types


@pytest.mark.parametrize(
    ("cfn_type", "key"),
    [
        ("AWS::EC2::Instance", "BlockDeviceMappings[].Ebs.KmsKeyId"),
        ("AWS::EC2::LaunchTemplate", "LaunchTemplateData.BlockDeviceMappings[].Ebs.KmsKeyId"),
        ("AWS::EC2::EC2Fleet", "LaunchTemplateConfigs[].Overrides[].BlockDeviceMappings[].Ebs.KmsKeyId"),
        ("AWS::S3::Bucket", "ReplicationConfiguration.Rules[].Destination.EncryptionConfiguration.ReplicaKmsKeyID"),
        ("AWS::DMS::ReplicationInstance", "KmsKeyId"),
        ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamEncryptionConfigurationInput.KeyARN"),
        ("AWS::DynamoDB::GlobalTable", "Replicas[].SSESpecification.KMSMasterKeyId"),
        ("AWS::CodePipeline::Pipeline", "ArtifactStores[].ArtifactStore.EncryptionKey.Id"),
        ("AWS::CodeArtifact::Domain", "EncryptionKey"),  # read-only in the schema, settable
    ],
)  # fmt: skip
def test_walker_finds_nested_and_list_keys(cfn_type: str, key: str) -> None:
    assert key in found()[cfn_type][0]


@pytest.mark.parametrize(
    ("cfn_type", "switch"),
    [
        ("AWS::AutoScaling::LaunchConfiguration", "BlockDeviceMappings[].Ebs.Encrypted"),
        ("AWS::RDS::DBCluster", "StorageEncrypted"),
        ("AWS::DAX::Cluster", "SSESpecification.SSEEnabled"),
        ("AWS::ElastiCache::ReplicationGroup", "AtRestEncryptionEnabled"),
        ("AWS::SQS::Queue", "SqsManagedSseEnabled"),
        ("AWS::Cassandra::Table", "EncryptionSpecification.EncryptionType"),
        ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamEncryptionConfigurationInput.KeyType"),
        ("AWS::S3::Bucket", "BucketEncryption.ServerSideEncryptionConfiguration[].ServerSideEncryptionByDefault.SSEAlgorithm"),
    ],
)  # fmt: skip
def test_walker_finds_switches(cfn_type: str, switch: str) -> None:
    assert switch in found()[cfn_type][1]


@pytest.mark.parametrize(
    ("cfn_type", "noise"),
    [
        ("AWS::AppIntegrations::Application", "IsService"),  # "sse" inside a word
        ("AWS::ECS::TaskDefinition", "ContainerDefinitions[].LinuxParameters.InitProcessEnabled"),
        ("AWS::WorkSpaces::Directory", "WorkspaceAccessProperties.AccessEndpointConfig.AccessEndpoints"),
        ("AWS::ElastiCache::ReplicationGroup", "TransitEncryptionEnabled"),  # in transit
        ("AWS::Chime::VoiceConnector", "RequireEncryption"),  # SIP/SRTP in transit
        ("AWS::MediaConnect::FlowOutput", "Encryption.Algorithm"),  # stream cipher
        ("AWS::EC2::VPC", "VpcEncryptionControl.Mode"),  # in-transit enforcement
        ("AWS::SQS::Queue", "KmsDataKeyReusePeriodSeconds"),
        ("AWS::IoT::EncryptionConfiguration", "KmsAccessRoleArn"),  # a role, not a key
        ("AWS::Redshift::Cluster", "SnapshotCopyGrantName"),
        ("AWS::ApiGateway::UsagePlanKey", "KeyId"),  # an API key
        ("AWS::Redshift::Cluster", "ClusterIdentifier"),
    ],
)  # fmt: skip
def test_walker_ignores_noise(cfn_type: str, noise: str) -> None:
    keys, switches = found().get(cfn_type, ((), ()))
    assert noise not in keys and noise not in switches


def test_walker_skips_read_only_properties() -> None:
    # KmsKeyArn of an OpenSearch Serverless collection is an attribute (its key comes from an
    # encryption SecurityPolicy), and so is the key of an RDS DB snapshot.
    assert "KmsKeyArn" not in found().get("AWS::OpenSearchServerless::Collection", ((), ()))[0]
    assert "AWS::RDS::DBSnapshot" not in found()


def test_walker_survives_cycles() -> None:
    schema = {
        "properties": {"Node": {"$ref": "#/definitions/Node"}},
        "definitions": {
            "Node": {
                "type": "object",
                "properties": {
                    "KmsKeyId": {"type": "string"},
                    "Children": {"type": "array", "items": {"$ref": "#/definitions/Node"}},
                },
            }
        },
    }
    paths = [p for p, *_ in _properties(schema)]
    assert paths == ["Node", "Node.KmsKeyId", "Node.Children"]


def test_kms_properties_json_is_current() -> None:
    expected = _dump(kms_properties())
    actual = KMS_PROPERTIES.read_text() if KMS_PROPERTIES.exists() else ""
    assert actual == expected, (
        f"{KMS_PROPERTIES.name} differs from the cfn-lint schemas; regenerate it from the "
        f"repository root with `{REGENERATE}` and review the diff"
    )


def test_kms_properties_json_ships_in_the_package() -> None:
    from importlib.resources import files

    table = json.loads(files("cdk_partition").joinpath("kms_properties.json").read_text())
    assert table["AWS::S3::Bucket"] and all(table.values())


if __name__ == "__main__":
    KMS_PROPERTIES.write_text(_dump(kms_properties()))
    print(f"wrote {KMS_PROPERTIES} ({len(kms_properties())} types)", file=sys.stderr)
    sys.exit(0)

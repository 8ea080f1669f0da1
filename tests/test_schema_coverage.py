"""Coverage from the schemas, not from memory.

A walker reads the CloudFormation resource schemas cfn-lint ships and lists, for every resource
type, each property path (dotted, ``[]`` for list items: the catalogue's slot notation) that names
a KMS key or an encryption switch. Every type it finds must be classified in
:mod:`cdk_partition.knowledge.catalogue`: a store in ``CATALOGUE`` with all its key slots, a store that
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

``cdk_partition/knowledge/kms_properties.json`` is the walker's table of KMS *key* paths per type (no
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

from cdk_partition.knowledge import catalogue
from cdk_partition.knowledge.catalogue import CATALOGUE, KEYLESS_STORES, NOT_STORES, classify

KMS_PROPERTIES = (
    Path(__file__).resolve().parent.parent / "cdk_partition" / "knowledge" / "kms_properties.json"
)
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
_NOT_KEY = {
    "role",
    "grant",
    "context",
    "policy",
    "secret",
    "provider",
    "uri",
    "period",
    "access",
    "document",
    "enable",
    "type",
}
_ENCRYPTION_WORDS = {"encryption", "encrypted", "encrypt", "sse", "kms", "cmk"}
_SWITCH_WORDS = {"encryption", "encrypted", "encrypt", "sse"}
_NOT_SWITCH = {
    "transit",
    "container",
    "password",
    "remove",
    "rotate",
    "tls",
    "hsm",
    "endpoint",
    "require",
    "node",
}
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
    if words[-3:] == ["customer", "managed", "key"] or words[-4:-1] == [
        "customer",
        "managed",
        "key",
    ]:
        return words[-1] in _KEY_TAIL  # CustomerManagedKey (WorkSpacesWeb), ...KeyArn
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
    """The table ``cdk_partition/knowledge/kms_properties.json`` holds: type -> KMS key paths."""
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
        (
            "AWS::EC2::EC2Fleet",
            "LaunchTemplateConfigs[].Overrides[].BlockDeviceMappings[].Ebs.KmsKeyId",
        ),
        (
            "AWS::S3::Bucket",
            "ReplicationConfiguration.Rules[].Destination.EncryptionConfiguration.ReplicaKmsKeyID",
        ),
        ("AWS::DMS::ReplicationInstance", "KmsKeyId"),
        (
            "AWS::KinesisFirehose::DeliveryStream",
            "DeliveryStreamEncryptionConfigurationInput.KeyARN",
        ),
        ("AWS::DynamoDB::GlobalTable", "Replicas[].SSESpecification.KMSMasterKeyId"),
        ("AWS::CodePipeline::Pipeline", "ArtifactStores[].ArtifactStore.EncryptionKey.Id"),
        ("AWS::CodeArtifact::Domain", "EncryptionKey"),  # read-only in the schema, settable
    ],
)
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
        (
            "AWS::KinesisFirehose::DeliveryStream",
            "DeliveryStreamEncryptionConfigurationInput.KeyType",
        ),
        (
            "AWS::S3::Bucket",
            "BucketEncryption.ServerSideEncryptionConfiguration[].ServerSideEncryptionByDefault.SSEAlgorithm",
        ),
    ],
)
def test_walker_finds_switches(cfn_type: str, switch: str) -> None:
    assert switch in found()[cfn_type][1]


@pytest.mark.parametrize(
    ("cfn_type", "noise"),
    [
        ("AWS::AppIntegrations::Application", "IsService"),  # "sse" inside a word
        ("AWS::ECS::TaskDefinition", "ContainerDefinitions[].LinuxParameters.InitProcessEnabled"),
        (
            "AWS::WorkSpaces::Directory",
            "WorkspaceAccessProperties.AccessEndpointConfig.AccessEndpoints",
        ),
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
)
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

    table = json.loads(files("cdk_partition.knowledge").joinpath("kms_properties.json").read_text())
    assert table["AWS::S3::Bucket"] and all(table.values())


# -- every KMS-capable type is classified -------------------------------------------------------

# Key paths of catalogued stores that are not slots: the generic rule ("any property that names
# a KMS key must resolve to the domain key", over kms_properties.json) covers them alone.
GENERIC_RULE_ONLY: dict[tuple[str, str], str] = {
    **{
        ("AWS::Athena::WorkGroup", f"WorkGroupConfigurationUpdates.{path}.KmsKey"): (
            "WorkGroupConfigurationUpdates is the legacy update form of WorkGroupConfiguration, "
            "whose slots say what the defaults are"
        )
        for path in (
            "ResultConfigurationUpdates.EncryptionConfiguration",
            "ManagedQueryResultsConfiguration.EncryptionConfiguration",
            "CustomerContentEncryptionConfiguration",
            "MonitoringConfiguration.ManagedLoggingConfiguration",
            "MonitoringConfiguration.S3LoggingConfiguration",
        )
    },
    ("AWS::Lambda::Function", "KmsKeyArn"): (
        "environment variables are function configuration (CDK's own handlers carry some); "
        "a key that is named must still be the domain key"
    ),
    ("AWS::Lambda::Function", "Code.SourceKMSKeyArn"): (
        "the .zip deployment package is code, not domain data (an AWS owned key without it)"
    ),
    ("AWS::Cognito::UserPool", "LambdaConfig.KMSKeyID"): (
        "custom sender trigger key: encrypts codes handed to a Lambda function, not data at rest"
    ),
    ("AWS::ECS::Cluster", "Configuration.ExecuteCommandConfiguration.KmsKeyId"): (
        "ECS Exec session key: encrypts data between client and container, in transit"
    ),
    ("AWS::ECS::Cluster", "Configuration.ManagedStorageConfiguration.KmsKeyId"): (
        "cluster-wide override for task EBS volumes, which are slots of AWS::ECS::Service"
    ),
    ("AWS::ECS::Service", "ServiceConnectConfiguration.Services[].Tls.KmsKey"): (
        "Service Connect TLS key material, for traffic in transit"
    ),
    (
        "AWS::Lex::Bot",
        "BotLocales[].SlotTypes[].ExternalSourceSetting.GrammarSlotTypeSetting.Source.KmsKeyArn",
    ): (
        "the key of someone else's S3 object the bot reads a grammar from; that bucket is the store"
    ),
}

# Slot keys that the walker does not report as KMS keys of their type (none today).
SLOT_KEY_EXCEPTIONS: dict[tuple[str, str], str] = {}


def test_every_kms_capable_type_is_classified() -> None:
    classified = set(CATALOGUE) | set(NOT_STORES) | set(KEYLESS_STORES)
    unclassified = sorted(set(found()) - classified)
    assert not unclassified, (
        f"{len(unclassified)} KMS-capable types are not classified in cdk_partition/knowledge/catalogue.py "
        "(a store in CATALOGUE, KEYLESS_STORES, or NOT_STORES with a reason): "
        + ", ".join(unclassified)
    )


def test_coverage_figure(capsys: pytest.CaptureFixture[str]) -> None:
    types = found()
    classified = [t for t in types if t in CATALOGUE or t in NOT_STORES or t in KEYLESS_STORES]
    with capsys.disabled():
        print(
            f"\nschema coverage: {len(classified)}/{len(types)} KMS-capable types classified "
            f"({len([t for t in types if t in CATALOGUE])} stores, "
            f"{len([t for t in types if t in KEYLESS_STORES])} keyless stores, "
            f"{len([t for t in types if t in NOT_STORES])} not stores)"
        )
    assert len(classified) == len(types)


def test_no_type_is_classified_twice() -> None:
    assert not set(CATALOGUE) & set(NOT_STORES)
    assert not set(CATALOGUE) & set(KEYLESS_STORES)
    assert not set(NOT_STORES) & set(KEYLESS_STORES)


#: Keyless stores with neither a key nor a switch: the encrypted kind is missing from the
#: schema's enum (property, the kind that would take a key).
UNENCRYPTABLE: dict[str, tuple[str, str]] = {"AWS::SSM::Parameter": ("Type", "SecureString")}


def test_classified_types_are_kms_capable() -> None:
    """A row for a type the schemas no longer show with a key or switch is stale."""
    stale = sorted(
        (set(CATALOGUE) | set(NOT_STORES) | set(KEYLESS_STORES)) - set(found()) - set(UNENCRYPTABLE)
    )
    assert not stale


@pytest.mark.parametrize("cfn_type", sorted(UNENCRYPTABLE))
def test_an_unencryptable_store_cannot_be_created_encrypted(cfn_type: str) -> None:
    """The schema still has no key and no switch, and its enum still lacks the encrypted kind
    (a schema that gains it makes the row stale)."""
    prop, encrypted = UNENCRYPTABLE[cfn_type]
    assert cfn_type in KEYLESS_STORES and cfn_type not in found()
    enum = _load(cfn_type)["properties"][prop]["enum"]
    assert enum and encrypted not in enum


@pytest.mark.parametrize(
    "table",
    [NOT_STORES, {t: k.reason for t, k in KEYLESS_STORES.items()}],
    ids=["NOT_STORES", "KEYLESS"],
)
def test_reasons_are_one_line_sentences(table: dict[str, str]) -> None:
    for cfn_type, reason in table.items():
        assert "\n" not in reason and len(reason.split()) >= 4, cfn_type


def test_keyless_stores_have_no_key_property() -> None:
    assert all(not found()[t][0] for t in set(KEYLESS_STORES) - set(UNENCRYPTABLE))


_SLOTS = [(t, slot) for t, store in sorted(CATALOGUE.items()) for slot in store.slots]


@pytest.mark.parametrize(("cfn_type", "slot"), _SLOTS, ids=[f"{t}:{s.key}" for t, s in _SLOTS])
def test_slot_keys_are_kms_keys_of_their_type(cfn_type: str, slot: catalogue.Slot) -> None:
    keys = found()[cfn_type][0]
    assert slot.key in keys or (cfn_type, slot.key) in SLOT_KEY_EXCEPTIONS


@pytest.mark.parametrize("cfn_type", sorted(CATALOGUE))
def test_every_kms_key_of_a_store_is_a_slot(cfn_type: str) -> None:
    slots = {slot.key for slot in CATALOGUE[cfn_type].slots}
    uncovered = [
        key
        for key in found()[cfn_type][0]
        if key not in slots and (cfn_type, key) not in GENERIC_RULE_ONLY
    ]
    assert not uncovered, f"{cfn_type}: key paths without a slot: {uncovered}"


def test_generic_rule_only_rows_are_current() -> None:
    for (cfn_type, key), reason in GENERIC_RULE_ONLY.items():
        assert key in found()[cfn_type][0] and reason
        assert key not in {slot.key for slot in CATALOGUE[cfn_type].slots}


# -- a generated compliant and violating example for every slot ---------------------------------

ARN = {"Fn::GetAtt": ["DomainKey", "Arn"]}


def _set(properties: dict[str, Any], path: str, value: Any) -> None:
    """Set a concrete-or-pattern path (``[]`` is element 0), creating objects and lists."""
    node: Any = properties
    segments = path.split(".")
    for i, segment in enumerate(segments):
        name, is_list = segment.removesuffix("[]"), segment.endswith("[]")
        last = i == len(segments) - 1
        if is_list:
            items = node.setdefault(name, [{}])
            if not isinstance(items, list) or not items:
                node[name] = items = [{}]
            if last:
                items[0] = value
                return
            if not isinstance(items[0], dict):
                items[0] = {}
            node = items[0]
        elif last:
            node[name] = value
        else:
            if not isinstance(node.get(name), dict):
                node[name] = {}
            node = node[name]


def _holds(test: catalogue.When, properties: dict[str, Any]) -> bool:
    return catalogue._holds(test, properties, ())  # every [] binds element 0


def _meet(properties: dict[str, Any], tests: tuple[catalogue.When, ...]) -> None:
    for test in tests:
        if test.op == "is":
            _set(properties, test.path, test.value)
        elif test.op == "present" and not _holds(test, properties):
            _set(properties, test.path, {})


def _break(properties: dict[str, Any], outcome: catalogue.Outcome) -> None:
    """Make one test of a ``first`` outcome fail, so that the key decides."""
    for test in outcome.when:
        if test.op == "is_not":
            _set(properties, test.path, test.value)
        elif test.op == "not_in":
            _set(properties, test.path, test.value[0])
        elif test.op == "absent" and not _holds(catalogue.When(test.path, "present"), properties):
            _set(properties, test.path, {})
        elif test.op == "is":
            _set(properties, test.path, "OTHER" if isinstance(test.value, str) else not test.value)
        else:
            continue
        return


def _slot_example(slot: catalogue.Slot, key: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    _meet(properties, slot.only_if)
    if key is not None:
        _set(properties, slot.key, key)
    for outcome in slot.first:
        if all(_holds(t, properties) for t in outcome.when):
            _break(properties, outcome)
    _meet(properties, slot.only_if)
    return properties


def _use(cfn_type: str, slot: catalogue.Slot, properties: dict[str, Any]) -> catalogue.KeyUse:
    path = slot.key.replace("[]", "[0]")
    uses = [u for u in classify(cfn_type, properties) or [] if u.path == path]
    assert len(uses) >= 1, f"{cfn_type}: {slot.key} gives no key use for {properties}"
    return uses[0]


@pytest.mark.parametrize(("cfn_type", "slot"), _SLOTS, ids=[f"{t}:{s.key}" for t, s in _SLOTS])
def test_domain_key_in_a_slot_is_a_customer_key(cfn_type: str, slot: catalogue.Slot) -> None:
    use = _use(cfn_type, slot, _slot_example(slot, ARN))
    assert (use.state, use.key) == ("customer_key", ARN)


@pytest.mark.parametrize(("cfn_type", "slot"), _SLOTS, ids=[f"{t}:{s.key}" for t, s in _SLOTS])
def test_a_slot_without_its_key_is_a_violation(cfn_type: str, slot: catalogue.Slot) -> None:
    if catalogue.When(slot.key, "present") in slot.only_if:
        pytest.skip(
            "applies only when its key is given (an alternative key, or S3 output that otherwise inherits the bucket default)"
        )
    properties: dict[str, Any] = {}
    _meet(properties, slot.only_if)
    use = _use(cfn_type, slot, properties)
    assert use.state != "customer_key" and use.detail


@pytest.mark.parametrize(("cfn_type", "slot"), _SLOTS, ids=[f"{t}:{s.key}" for t, s in _SLOTS])
def test_aws_managed_alias_in_a_slot_is_aws_managed(cfn_type: str, slot: catalogue.Slot) -> None:
    use = _use(cfn_type, slot, _slot_example(slot, "alias/aws/ebs"))
    assert use.state == "aws_managed"


# -- the issue's own examples -------------------------------------------------------------------


def test_instance_without_block_devices_fails_closed() -> None:
    (use,) = classify("AWS::EC2::Instance", {"ImageId": "ami-1"}) or []
    assert use.state == "unencrypted" and "AMI" in use.detail


def test_instance_store_and_suppressed_mappings_have_no_ebs_volume() -> None:
    mappings = [
        {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
        {"DeviceName": "/dev/sdc", "NoDevice": {}},
        {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "KmsKeyId": ARN}},
        {"DeviceName": "/dev/sdd", "Ebs": {"Encrypted": False}},
    ]
    uses = classify("AWS::EC2::Instance", {"BlockDeviceMappings": mappings}) or []
    assert [(u.path, u.state) for u in uses] == [
        ("BlockDeviceMappings[2].Ebs.KmsKeyId", "customer_key"),
        ("BlockDeviceMappings[3].Ebs.KmsKeyId", "unencrypted"),
    ]


def test_launch_template_volumes() -> None:
    data = {"BlockDeviceMappings": [{"Ebs": {"Encrypted": True}}]}
    (use,) = classify("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": data}) or []
    assert (use.path, use.state) == (
        "LaunchTemplateData.BlockDeviceMappings[0].Ebs.KmsKeyId",
        "aws_managed",
    )


def test_s3_replication_of_kms_objects_needs_the_replica_key() -> None:
    rule = {
        "Status": "Enabled",
        "Destination": {"Bucket": "arn:aws:s3:::replica"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
    }
    bucket = {"ReplicationConfiguration": {"Role": "r", "Rules": [rule]}}
    uses = classify("AWS::S3::Bucket", bucket) or []
    replica = [u for u in uses if "ReplicaKmsKeyID" in u.path]
    assert [(u.path, u.state) for u in replica] == [
        (
            "ReplicationConfiguration.Rules[0].Destination.EncryptionConfiguration.ReplicaKmsKeyID",
            "aws_managed",
        )
    ]


def test_dms_replication_instance_defaults_to_the_aws_managed_key() -> None:
    (use,) = classify("AWS::DMS::ReplicationInstance", {}) or []
    assert use.state == "aws_managed"


if __name__ == "__main__":
    KMS_PROPERTIES.write_text(_dump(kms_properties()))
    print(f"wrote {KMS_PROPERTIES} ({len(kms_properties())} types)", file=sys.stderr)
    sys.exit(0)


# -- an independent list: issue #20 item 4 ---------------------------------------------------------
#: Any string property whose name says KMS, CMK, customer managed key or encryption key, or
#: whose description says KMS, key ARN or customer managed key: a cruder net than ``_is_key``,
#: written without it, to catch what its rules miss (the WorkSpacesWeb ``CustomerManagedKey``
#: had no description to match).
_INDEPENDENT_NAME = re.compile(r"kms|cmk|customermanagedkey|encryptionkey", re.IGNORECASE)
_INDEPENDENT_TEXT = re.compile(
    r"\bKMS\b|key ARN|ARN of the key|customer[- ]managed (KMS )?key|Key Management Service|"
    r"\bCMKs?\b",
    re.IGNORECASE,
)

#: Where the independent net and the walker disagree, read by hand: the net's catches that are
#: no key reference (the walker is right to leave them out), by the reason.
_NOT_KEYS_READ_BY_HAND: dict[str, str] = {
    r"\.(EncryptionOption|EncryptionType|SSEType|SseAlgorithm|SSEAlgorithm|CmkType|Type|Status)$": "an encryption switch (the walker lists it as a switch or the slot reads it), not a key",
    r"EncryptionKeyProviderType$": "the kind of key provider (a switch), not a key",
    r"(RoleArn|KmsRole|SecretsRoleArn|KmsAccessRoleArn|^RoleArn)$": "an IAM role, not a key",
    r"KmsKeyProviderUri$": "the URI of a Hadoop KMS key provider, not an AWS KMS key",
    r"TransitDecryption|TransitEncryption": "in-transit encryption of a media flow, not at rest",
    r"^KmsAccess$|^KmsPolicyDocument$": "access settings and a policy for KMS, not a key",
    r"^SnapshotCopyGrantName$": "names a snapshot copy grant, whose own KmsKeyId is the slot "
    "(AWS::Redshift::SnapshotCopyGrant)",
}
#: The walker's keys the net misses: bare names in an encryption object, read by hand.
_WALKER_ONLY_READ_BY_HAND = {
    ("AWS::CodeArtifact::Domain", "EncryptionKey"),
    ("AWS::Connect::InstanceStorageConfig", "KinesisVideoStreamConfig.EncryptionConfig.KeyId"),
    ("AWS::Connect::InstanceStorageConfig", "S3Config.EncryptionConfig.KeyId"),
    ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamEncryptionConfigurationInput.KeyARN"),
    ("AWS::Omics::AnnotationStore", "SseConfig.KeyArn"),
    ("AWS::Omics::VariantStore", "SseConfig.KeyArn"),
    ("AWS::Translate::ParallelData", "EncryptionKey.Id"),
    ("AWS::Translate::Terminology", "EncryptionKey.Id"),
    ("AWS::VerifiedPermissions::PolicyStore", "EncryptionSettings.KmsEncryptionSettings.Key"),
}


def _independent() -> set[tuple[str, str]]:
    out = set()
    for cfn_type in sorted(_index()):
        if cfn_type.startswith("AWS::KMS::"):
            continue
        schema = _load(cfn_type)
        for path, name, _parent, node, description in _properties(schema):
            if _read_only(schema, path) or _types(node) - {"string"}:
                continue
            if _INDEPENDENT_NAME.search(name) or _INDEPENDENT_TEXT.search(description or ""):
                out.add((cfn_type, path))
    return out


def test_an_independent_list_agrees_with_the_walker(_cfn_lint: None) -> None:
    walker = {(t, p) for t, (keys, _) in found().items() for p in keys}
    net = _independent()
    unexplained = sorted(
        (t, p) for t, p in net - walker
        if not any(re.search(pattern, p) for pattern in _NOT_KEYS_READ_BY_HAND)
    )  # fmt: skip
    assert not unexplained, f"properties the walker misses (a key?): {unexplained}"
    assert walker - net == _WALKER_ONLY_READ_BY_HAND
    for cfn_type in ("BrowserSettings", "DataProtectionSettings", "IpAccessSettings", "Portal",
                     "SessionLogger", "UserSettings"):  # fmt: skip
        assert (f"AWS::WorkSpacesWeb::{cfn_type}", "CustomerManagedKey") in walker


def test_a_grant_for_copied_snapshots_is_a_key_slot() -> None:
    """Snapshots Redshift copies into another region are encrypted with the grant's key
    (CreateSnapshotCopyGrant): the grant's KmsKeyId holds data's key like any slot."""
    assert "AWS::Redshift::SnapshotCopyGrant" in CATALOGUE
    assert "AWS::Redshift::SnapshotCopyGrant" not in NOT_STORES
    (use,) = classify("AWS::Redshift::SnapshotCopyGrant", {})
    assert (use.path, use.state) == ("KmsKeyId", "aws_managed")
    (use,) = classify("AWS::Redshift::SnapshotCopyGrant", {"KmsKeyId": "alias/other"})
    assert use.state == "customer_key"

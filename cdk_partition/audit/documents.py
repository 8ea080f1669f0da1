"""Keys named elsewhere: in another resource, or inside a JSON document a property holds.

* **OpenSearch Serverless**: a collection with no ``EncryptionConfig`` is encrypted with the key
  of the encryption security policy (``AWS::OpenSearchServerless::SecurityPolicy``, ``Type:
  encryption``) whose rules match its name; the policy's ``Policy`` JSON names the key
  (``KmsARN``) or the AWS owned key (``AWSOwnedKey: true``). "Encryption policies ... you can
  choose an AWS owned key or a customer managed key; a collection gets the policy whose resource
  pattern matches its name" ("Encryption in Amazon OpenSearch Serverless",
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html).
* **EMR security configurations**: ``AWS::EMR::SecurityConfiguration`` keeps its at-rest
  encryption in the ``SecurityConfiguration`` document: ``EncryptionConfiguration.
  EnableAtRestEncryption``, and under ``AtRestEncryptionConfiguration`` the EMRFS S3 encryption
  (``S3EncryptionConfiguration.EncryptionMode`` SSE-S3, SSE-KMS, CSE-KMS or CSE-Custom, with
  ``AwsKmsKey``) and local disk encryption (``LocalDiskEncryptionConfiguration.
  EncryptionKeyProviderType`` AwsKms or Custom, with ``AwsKmsKey``) ("Specify a security
  configuration using the AWS CLI" in "Create a security configuration with the Amazon EMR
  console or with the AWS CLI",
  https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-create-security-configuration.html).

A document is read whether written as an object, a JSON string, or the ``Fn::Join``/``Fn::Sub``
the CDK writes for ``JSON.stringify`` of values with tokens (each token is put back where it
stood); one that cannot be read is a finding (``CDKP005``), never silence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.keys import KeyResolver
from .rules import Finding, make_finding, short
from .stores import _RULE, _ref_verdict

__all__ = ["audit_emr_security_configuration", "collection_policy_findings", "read_document"]

_TOKEN = "__cdk_partition_token_{}__"


def read_document(value: Any) -> tuple[Any, bool]:
    """``(document, readable)``: the JSON document ``value`` holds (an object as is; a JSON
    string parsed; an ``Fn::Join`` with no separator or an ``Fn::Sub`` parsed with each
    intrinsic put back as the value of the string it stood for)."""
    if isinstance(value, dict) and not (len(value) == 1 and next(iter(value)).startswith("Fn::")):
        return value, True
    tokens: list[Any] = []
    text: str | None = None
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict) and list(value) == ["Fn::Join"]:
        arg = value["Fn::Join"]
        if isinstance(arg, list) and len(arg) == 2 and arg[0] == "" and isinstance(arg[1], list):
            parts = []
            for part in arg[1]:
                if isinstance(part, str):
                    parts.append(part)
                else:
                    tokens.append(part)
                    parts.append(_TOKEN.format(len(tokens) - 1))
            text = "".join(parts)
    elif (
        isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str)
    ):

        def token(match: re.Match[str]) -> str:
            name = match.group(1)
            ref: Any = {"Ref": name} if "." not in name else {"Fn::GetAtt": name.split(".", 1)}
            tokens.append(ref)
            return _TOKEN.format(len(tokens) - 1)

        text = re.sub(r"\$\{([^!}][^}]*)\}", token, value["Fn::Sub"])
    if text is None:
        return None, False
    try:
        document = json.loads(text)
    except ValueError:
        return None, False
    return _put_back(document, tokens), True


def _put_back(node: Any, tokens: list[Any]) -> Any:
    if isinstance(node, dict):
        return {k: _put_back(v, tokens) for k, v in node.items()}
    if isinstance(node, list):
        return [_put_back(v, tokens) for v in node]
    if isinstance(node, str):
        match = re.fullmatch(r"__cdk_partition_token_(\d+)__", node)
        if match is not None:
            return tokens[int(match.group(1))]
    return node


def _get(document: Any, path: str) -> Any:
    for part in path.split("."):
        document = document.get(part) if isinstance(document, dict) else None
    return document


# -- OpenSearch Serverless ----------------------------------------------------------------------
def _encryption_policies(
    assembly: CloudAssembly, name: str
) -> Iterator[tuple[StackTemplate, str, Any, bool]]:
    """(stack, logical id, policy document, readable) of every encryption security policy whose
    rules match the collection ``name`` (or that cannot be read)."""
    for stack, logical_id, resource in assembly.resources():
        if resource.get("Type") != "AWS::OpenSearchServerless::SecurityPolicy":
            continue
        props = resource.get("Properties") or {}
        if props.get("Type") != "encryption":
            continue
        document, readable = read_document(props.get("Policy"))
        if not readable:
            yield stack, logical_id, None, False
            continue
        rules = document.get("Rules") if isinstance(document, dict) else None
        for rule in rules if isinstance(rules, list) else []:
            patterns = rule.get("Resource") if isinstance(rule, dict) else None
            if rule.get("ResourceType") == "collection" and any(
                isinstance(p, str) and fnmatchcase(f"collection/{name}", p)
                for p in (patterns if isinstance(patterns, list) else [patterns])
            ):
                yield stack, logical_id, document, True
                break


def collection_policy_findings(
    assembly: CloudAssembly,
    resolver: KeyResolver,
    stack: StackTemplate,
    resource: Mapping[str, Any],
    domain: str,
    base: Mapping[str, Any],
) -> list[Finding] | None:
    """The findings about an OpenSearch Serverless collection with no ``EncryptionConfig`` that
    an encryption security policy of the assembly covers (None: no such policy here; the
    catalogue's verdict stands)."""
    props = resource.get("Properties") or {}
    name = props.get("Name")
    if props.get("EncryptionConfig") or not isinstance(name, str):
        return None
    policies = list(_encryption_policies(assembly, name))
    if not policies:
        return None
    what = f"OpenSearch Serverless collection {base['path']} of domain {domain!r}"
    out: list[Finding] = []
    for policy_stack, policy_id, document, readable in policies:
        policy = f"encryption policy {policy_stack.name}/{policy_id}"
        if not readable:
            out.append(make_finding(
                _RULE["CDKP005"],
                f"{what} may be keyed by {policy}, whose Policy is not a JSON document the checks "
                "can read.",
                location="Policy", **base,
            ))  # fmt: skip
            continue
        if document.get("AWSOwnedKey") is True:
            out.append(make_finding(
                _RULE["CDKP002"],
                f"{what} must use the domain key, but its {policy} says AWSOwnedKey is true "
                "(AWS owned key).",
                fix="set AWSOwnedKey false and KmsARN to the domain key's ARN (domain.key.key_arn) "
                "in the encryption policy matching the collection",
                location="Policy.AWSOwnedKey", value="true", **base,
            ))  # fmt: skip
            continue
        key = document.get("KmsARN")
        ref = resolver.key_of_slot(key, policy_stack)
        if key is not None and resolver.on_domain_key(ref, domain, stack):
            continue
        rule_id, now = _ref_verdict(ref, stack) if key is not None else ("CDKP005", "no key")
        out.append(make_finding(
            _RULE[rule_id],
            f"{what} must use the domain key, but its {policy} names KmsARN "
            f"{short(key) if key is not None else 'not set'} ({now}).",
            fix="set KmsARN to the domain key's ARN (domain.key.key_arn) in the encryption "
            "policy matching the collection",
            location="Policy.KmsARN", value=short(key) if key is not None else None, **base,
        ))  # fmt: skip
    return out


# -- EMR security configurations ------------------------------------------------------------------
_AT_REST = "SecurityConfiguration.EncryptionConfiguration"
_EMR_FIX = (
    "set EnableAtRestEncryption true, S3EncryptionConfiguration EncryptionMode SSE-KMS (or "
    "CSE-KMS) and LocalDiskEncryptionConfiguration EncryptionKeyProviderType AwsKms, each with "
    "AwsKmsKey the domain key's ARN (domain.key.key_arn)"
)


def audit_emr_security_configuration(
    resolver: KeyResolver,
    stack: StackTemplate,
    resource: Mapping[str, Any],
    domain: str,
    base: Mapping[str, Any],
) -> Iterator[Finding]:
    """The at-rest encryption of an ``AWS::EMR::SecurityConfiguration`` document, judged like
    slots: each finding names the document property that decided it and its value."""
    props = resource.get("Properties") or {}
    what = f"EMR security configuration {base['path']} of domain {domain!r}"

    def finding(rule: str, location: str, value: Any, now: str) -> Finding:
        return make_finding(
            _RULE[rule],
            f"{what} must encrypt data at rest with the domain key, but {location} is "
            f"{short(value) if value is not None else 'not set'} ({now}).",
            fix=_EMR_FIX, location=location,
            value=short(value) if value is not None else None, **base,
        )  # fmt: skip

    document, readable = read_document(props.get("SecurityConfiguration"))
    if not readable:
        yield finding("CDKP005", "SecurityConfiguration", props.get("SecurityConfiguration"),
                      "not a JSON document the checks can read")  # fmt: skip
        return
    config = _get(document, "EncryptionConfiguration")
    enabled = _get(config, "EnableAtRestEncryption")
    if enabled is not True and str(enabled).lower() != "true":
        yield finding("CDKP001", f"{_AT_REST}.EnableAtRestEncryption", enabled,
                      "at-rest encryption off: EMRFS data and local disks unencrypted")  # fmt: skip
        return
    at_rest = _get(config, "AtRestEncryptionConfiguration")
    s3_path = f"{_AT_REST}.AtRestEncryptionConfiguration.S3EncryptionConfiguration"
    s3 = _get(at_rest, "S3EncryptionConfiguration")
    mode = _get(s3, "EncryptionMode")
    if mode == "SSE-S3":
        yield finding("CDKP002", f"{s3_path}.EncryptionMode", mode, "EMRFS objects on SSE-S3")
    elif mode in ("SSE-KMS", "CSE-KMS"):
        yield from _key(
            finding, resolver, stack, domain, f"{s3_path}.AwsKmsKey", _get(s3, "AwsKmsKey")
        )
    else:
        yield finding("CDKP005", f"{s3_path}.EncryptionMode", mode,
                      "the key of EMRFS objects cannot be told from the document")  # fmt: skip
    disk_path = f"{_AT_REST}.AtRestEncryptionConfiguration.LocalDiskEncryptionConfiguration"
    disk = _get(at_rest, "LocalDiskEncryptionConfiguration")
    provider = _get(disk, "EncryptionKeyProviderType")
    if provider == "AwsKms":
        yield from _key(
            finding, resolver, stack, domain, f"{disk_path}.AwsKmsKey", _get(disk, "AwsKmsKey")
        )
    elif disk is None:
        yield finding("CDKP001", disk_path, None, "local disks unencrypted")
    else:
        yield finding("CDKP005", f"{disk_path}.EncryptionKeyProviderType", provider,
                      "a custom key provider: the key cannot be told from the document")  # fmt: skip


def _key(
    finding: Any, resolver: KeyResolver, stack: StackTemplate, domain: str, location: str, key: Any
) -> Iterator[Finding]:
    if key is None:
        yield finding("CDKP005", location, None, "KMS encryption names no key")
        return
    ref = resolver.key_of_slot(key, stack)
    if not resolver.on_domain_key(ref, domain, stack):
        rule_id, now = _ref_verdict(ref, stack)
        yield finding(rule_id, location, key, now)

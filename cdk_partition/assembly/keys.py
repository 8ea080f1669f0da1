"""Key resolution: what KMS key a value in a template names, by ARN parts, not by name alone.

Pure Python over the :mod:`cdk_partition.assembly` model (no aws_cdk import); the audit, the
report and the validation plugin all resolve keys here.

A key value may be a reference (``Ref``/``Fn::GetAtt`` of a key or alias, ``Fn::ImportValue`` of
another stack's export, a nested-stack parameter, ``Fn::If`` whose branches agree) or text, literal
or built with ``Fn::Join``/``Fn::Sub`` from pseudo parameters. Text is read as KMS reads a key
identifier (AWS KMS Developer Guide, "Key identifiers (KeyId)",
https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id):

* a key ARN ``arn:<partition>:kms:<region>:<account>:key/<key id>`` or alias ARN
  ``arn:<partition>:kms:<region>:<account>:alias/<name>`` names its own partition, account and
  region;
* a bare key id or alias name (``alias/<name>``) names a key in the caller's account and region:
  here, the account and region the store's stack deploys to.

An alias names the domain key only when an ``AWS::KMS::Alias`` of the assembly with that name lives
in the same partition, account and region (and targets the domain key). Environment-agnostic
stacks (account and region resolved at deploy time) are taken to share one environment, as the CDK
assumes for cross-stack references; a literal account or region that cannot be compared with an
unknown one is reported as undecidable, never assumed equal. A literal key id never proves to be a
domain key: the id is assigned when the key is created.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from ..knowledge import catalogue
from ..marks import _HOLE, _PSEUDO, KeyText, parse_key_text, render
from ..policy.canonical import get_att
from .model import CloudAssembly, DomainKey
from .stacks import StackTemplate, resource_path

__all__ = ["KeyRef", "KeyResolver", "KeyText", "key_account"]

KeyKind = Literal["domain_key", "other_cmk", "aws_managed", "unresolved"]


@dataclass(frozen=True)
class KeyRef:
    """What a key value in a template resolves to."""

    kind: KeyKind
    text: str
    """What it is, for messages (see :attr:`description`)."""
    domain: str | None = None
    key: DomainKey | None = field(default=None, compare=False)
    """The domain key itself (None for a domain defined elsewhere, checked by its ARN)."""
    names_key: bool = field(default=False, compare=False)
    """:attr:`description` names :attr:`key` by its construct path, found when first read
    (from ``tree.json`` without path metadata: a clean audit never reads it)."""
    referenced: tuple[str, str, str, str] | None = field(default=None, compare=False)
    """For the key of a domain defined elsewhere: its ARN parts (partition, region, account,
    key id), which the scope covering the store must name."""
    declared_region: str | None = field(default=None, compare=False)
    """For the multi-Region key id of a domain in a region it declares (``replica_regions``)
    but whose replica key is not in this assembly: that region."""

    @property
    def description(self) -> str:
        """What the value names, for messages: e.g. ``domain key Orders/Domain/Key/Resource``."""
        if self.names_key and self.key is not None:
            what = "replica key" if self.key.replica else "key"
            return f"domain {what} {self.key.path}"
        return self.text


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _comparable(left: str, right: str) -> bool | None:
    """Equal (True), different (False) or undecidable (None) environment parts."""
    if left == right:
        return True
    if left.startswith("${") or right.startswith("${"):
        return None
    return False


class KeyResolver:
    """Resolves key values of one cloud assembly to a :class:`KeyRef`."""

    def __init__(self, assembly: CloudAssembly) -> None:
        self._assembly = assembly
        self.assembly = assembly
        """The assembly whose keys this resolves (its exports, for the audit)."""
        self._keys = {(id(k.stack), k.logical_id): k for k in assembly.domain_keys}
        # keys of domains defined elsewhere, checked by their exact ARN
        self._referenced: dict[tuple[str, str, str, str], str] = {}
        #: id(scope) -> the ARN parts its stores must name (scopes of referenced domains)
        self._scope_keys: dict[int, tuple[str, str, str, str]] = {}
        for scope in assembly.scopes:
            if scope.key_arn:
                text = parse_key_text(scope.key_arn, scope.stack.environment)
                if text is not None and text.kind == "key":
                    parts = (text.partition, text.region, text.account, text.name)
                    self._referenced[parts] = scope.domain
                    self._scope_keys[id(scope)] = parts
        self._aliases: list[tuple[str, StackTemplate, Any]] = []
        # CDK's cross-region references (Stack(cross_region_references=True)): the producing
        # stack's Custom::CrossRegionExportWriter writes each value as an SSM parameter of the
        # consuming region, whose Custom::CrossRegionExportReader returns it as an attribute
        # named by the parameter: (consuming region, parameter name) -> (producer, value)
        self._cross_region: dict[tuple[str | None, str], tuple[StackTemplate, Any]] = {}
        for stack, _, resource in assembly.resources():
            if resource.get("Type") == "AWS::KMS::Alias":
                props = resource.get("Properties") or {}
                name = props.get("AliasName")
                if isinstance(name, str):
                    self._aliases.append((name, stack, props.get("TargetKeyId")))
            elif resource.get("Type") == "Custom::CrossRegionExportWriter":
                writer = (resource.get("Properties") or {}).get("WriterProps") or {}
                exports = writer.get("exports") if isinstance(writer, dict) else None
                for name, value in (exports if isinstance(exports, dict) else {}).items():
                    self._cross_region[(writer.get("region"), name)] = (stack, value)

    @property
    def cross_region(self) -> Mapping[tuple[str | None, str], tuple[StackTemplate, Any]]:
        """CDK's cross-region references of the assembly: (consuming region, parameter name) ->
        (the producing stack, the value its ``Custom::CrossRegionExportWriter`` writes)."""
        return MappingProxyType(self._cross_region)

    def on_domain_key(
        self, ref: KeyRef, domain: str, stack: StackTemplate, region: str | None = None
    ) -> bool:
        """``ref`` is the key of ``domain`` that ``stack``'s stores must use: same domain name
        and, when several Stages each hold a domain of that name (one per environment), the key
        of the store's own Stage: the dev account's ``orders`` key is not the prod account's;
        for a multi-Region domain, its key of the store's region (``region``: a global table
        replica's; default the stack's)."""
        if ref.kind != "domain_key" or ref.domain != domain:
            return False
        if ref.referenced is not None:
            # a key named by ARN: the one a scope of this domain covering ``stack`` references
            # (two Stages may each reference an ``orders`` key of their own account), in the
            # region of the data, as for a local domain: "Each AWS Region is isolated and
            # independent of the other Regions" (AWS KMS Developer Guide, "Security
            # considerations for multi-Region keys",
            # https://docs.aws.amazon.com/kms/latest/developerguide/mrk-when-to-use.html)
            data_region = region or stack.environment.region
            if data_region and ref.referenced[1] != data_region:
                return False
            return any(
                scope.domain == domain and self._scope_keys.get(id(scope)) == ref.referenced
                for scope, _ in self._assembly.scopes_of(stack)
            )
        return ref.key is None or ref.key is self._assembly.domain_key_for(domain, stack, region)

    def domains_of_store(self, resource: Any, stack: StackTemplate) -> frozenset[str]:
        """The domains whose key a key slot of ``resource`` (a template resource of ``stack``)
        names as its customer managed key (:func:`~cdk_partition.knowledge.catalogue.classify`);
        empty for a type the catalogue does not know."""
        return frozenset(domain for domain, _ in self.domain_keys_of_store(resource, stack))

    def domain_keys_of_store(
        self, resource: Any, stack: StackTemplate
    ) -> frozenset[tuple[str, str | None]]:
        """``(domain, the key's account)`` of each domain key a key slot of ``resource`` names
        (the account None where the key's account is not known): two environments of one
        domain (a Stage per account) hold keys of one name in two accounts, each its own."""
        if not isinstance(resource, Mapping):
            return frozenset()
        properties = resource.get("Properties")
        uses = catalogue.classify(
            str(resource.get("Type", "")), properties if isinstance(properties, dict) else None
        )
        return frozenset(
            (ref.domain, key_account(ref))
            for use in uses or []
            if use.state == "customer_key"
            for ref in [self.resolve(use.key, stack)]
            if ref.kind == "domain_key" and ref.domain
        )

    def key_of_slot(self, value: Any, stack: StackTemplate) -> KeyRef:
        """The key a store's key property in ``stack`` names: an AWS managed key by its name,
        ARN or join (:func:`~cdk_partition.knowledge.catalogue.is_aws_managed_key_reference`),
        else what :meth:`resolve` finds."""
        if catalogue.is_aws_managed_key_reference(value):
            return KeyRef("aws_managed", f"AWS managed key {_short(value)}")
        return self.resolve(value, stack)

    def resolve(self, value: Any, stack: StackTemplate, depth: int = 0) -> KeyRef:
        """What ``value`` (a key property's value in ``stack``) names."""
        if depth > 12:
            return KeyRef("unresolved", "reference chain too deep")
        if catalogue.is_aws_managed_key_reference(value):
            return KeyRef("aws_managed", f"AWS managed key {_short(value)}")
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str) and arg not in _PSEUDO:
                return self._logical(arg, stack, depth)
            if fn == "Fn::GetAtt":
                parts = get_att(arg)
                if parts is None:
                    return self._bad(value)
                target, attribute = parts
                reader = stack.resources.get(target)
                if (
                    isinstance(reader, dict)
                    and reader.get("Type") == "Custom::CrossRegionExportReader"
                ):
                    source = (
                        self._cross_region.get((stack.environment.region, attribute))
                        if isinstance(attribute, str)
                        else None
                    )
                    if source is None:
                        return KeyRef("unresolved", f"cross-region import {_short(attribute)}")
                    return self.resolve(source[1], source[0], depth + 1)
                return self._logical(target, stack, depth)
            if fn == "Fn::ImportValue":
                exports = self._assembly.exports
                if not isinstance(arg, str) or arg not in exports:
                    return KeyRef("unresolved", f"import of unknown export {_short(arg)}")
                exporter, exported = exports[arg]
                return self.resolve(exported, exporter, depth + 1)
            if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                left, right = (self.resolve(v, stack, depth + 1) for v in arg[1:])
                if left == right:
                    return left
                return KeyRef(
                    "unresolved", f"Fn::If between {left.description} and {right.description}"
                )
        multi_region = self._multi_region_arn(value, stack)
        if multi_region is not None:
            return multi_region
        text = render(value)
        if text is None:
            return self._bad(value)
        key = parse_key_text(text, stack.environment)
        if key is None:
            return self._bad(value)
        return self._text(key, value, depth, stack)

    def _multi_region_arn(self, value: Any, stack: StackTemplate) -> KeyRef | None:
        """A key ARN built around the key id of a domain's multi-Region key (``Ref`` of the
        primary, ``Fn::GetAtt KeyId`` of a replica) in ``Fn::Join``: the domain's key of the
        region the ARN names, since related multi-Region keys share one key id (AWS
        CloudFormation Template Reference, "AWS::KMS::ReplicaKey",
        https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-replicakey.html).
        None for any other value."""
        if not (isinstance(value, dict) and list(value) == ["Fn::Join"]):
            return None
        arg = value["Fn::Join"]
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list)):
            return None
        separator, parts = arg
        ids = []
        for part in parts:
            if not isinstance(part, dict) or len(part) != 1:
                continue
            ((fn, target),) = part.items()
            if fn == "Ref" and isinstance(target, str) and target not in _PSEUDO:
                key = self._keys.get((id(stack), target))
                ids.append(key if key is not None and not key.replica else None)
            elif fn == "Fn::GetAtt" and (parts := get_att(target)) is not None:
                key = self._keys.get((id(stack), parts[0]))
                ids.append(key if key is not None and parts[1] == "KeyId" else None)
        if len(ids) != 1 or ids[0] is None or not isinstance(separator, str):
            return None
        key = ids[0]
        marker = "mrk-cdk-partition-key-id"
        text = separator.join(
            marker if isinstance(p, dict) and self._names_key(p, stack) else (render(p) or _HOLE)
            for p in parts
        )
        parsed = parse_key_text(text, stack.environment)
        if parsed is None or parsed.kind != "key" or parsed.name != marker:
            return None
        env = key.stack.environment
        if _comparable(parsed.account, env.account_text) is not True or (
            _comparable(parsed.partition, env.partition_text) is not True
        ):
            return KeyRef(
                "other_cmk",
                f"the key id of domain {key.name!r} in account {parsed.account}, partition "
                f"{parsed.partition}, where the domain has no key",
            )
        region = parsed.region
        here = [k for k in self._assembly.keys_of(key) if k.region == region]
        if len(here) == 1:
            found = here[0]
            what = "replica key" if found.replica else "key"
            return KeyRef(
                "domain_key",
                f"the multi-Region {what} of domain {key.name!r} in {region} ({found.path})",
                key.name,
                found,
            )
        primary = next((k for k in self._assembly.keys_of(key) if not k.replica), None)
        declared = primary is not None and region in primary.replica_regions
        return KeyRef(
            "other_cmk",
            f"the multi-Region key id of domain {key.name!r} in {region}, where "
            + (
                "the domain declares a replica (replica_regions) but no replica key of it is in "
                "this cloud assembly"
                if declared
                else "the domain has no key (not one of its replica_regions)"
            ),
            declared_region=region if declared else None,
        )

    def _names_key(self, part: dict[str, Any], stack: StackTemplate) -> bool:
        ((fn, target),) = part.items()
        if fn == "Ref":
            return isinstance(target, str) and (id(stack), target) in self._keys
        parts = get_att(target) if fn == "Fn::GetAtt" else None
        return parts is not None and (id(stack), parts[0]) in self._keys

    def _bad(self, value: Any) -> KeyRef:
        return KeyRef("unresolved", f"expression {_short(value)}")

    def _text(self, key: KeyText, value: Any, depth: int, stack: StackTemplate) -> KeyRef:
        where = f"account {key.account}, region {key.region}, partition {key.partition}"
        referenced = self._referenced.get((key.partition, key.region, key.account, key.name))
        if key.kind == "key" and referenced is not None:
            parts = (key.partition, key.region, key.account, key.name)
            return KeyRef("domain_key", f"key {key.name} ({where})", referenced, referenced=parts)
        if key.kind == "key":
            return KeyRef(
                "other_cmk",
                f"key {_short(value)} ({where}): a literal key id is not a key of this app's "
                "domains (domain key ids are assigned at deployment)",
            )
        undecided: list[str] = []
        # an alias of the caller's own Stage (cloud assembly folder) first: Stages built from the
        # same code each hold an alias of that name (environment-agnostic ones match each other)
        folder = stack.root.file.rsplit("/", 1)[0]
        aliases = sorted(self._aliases, key=lambda a: a[1].root.file.rsplit("/", 1)[0] != folder)
        for name, alias_stack, target in aliases:
            if name != key.name:
                continue
            env = alias_stack.environment
            verdicts = [
                _comparable(key.partition, env.partition_text),
                _comparable(key.region, env.region_text),
                _comparable(key.account, env.account_text),
            ]
            if all(v is True for v in verdicts):
                ref = self.resolve(target, alias_stack, depth + 1)
                if ref.kind == "domain_key":
                    return KeyRef("domain_key", f"alias {key.name} ({where})", ref.domain, ref.key)
                return ref
            if None in verdicts and False not in verdicts:
                undecided.append(
                    f"{alias_stack.name} deploys to account {env.account_text}, region "
                    f"{env.region_text}"
                )
        if undecided:
            return KeyRef(
                "unresolved",
                f"alias {key.name} in {where}: cannot tell whether that is where the key of the "
                f"same name lives ({'; '.join(undecided)}); give the stacks an explicit env or "
                "reference the key itself",
            )
        owners = [k for k in self._assembly.domain_keys if f"alias/{k.name}" == key.name]
        if owners:
            homes = ", ".join(
                f"account {k.stack.environment.account_text}, region "
                f"{k.stack.environment.region_text}"
                for k in owners
            )
            return KeyRef(
                "other_cmk",
                f"alias {key.name} in {where}, which is not where the domain key of that name "
                f"lives ({homes})",
            )
        return KeyRef("other_cmk", f"alias {key.name} ({where}) of no domain")

    def _logical(self, logical_id: str, stack: StackTemplate, depth: int) -> KeyRef:
        key: DomainKey | None = self._keys.get((id(stack), logical_id))
        if key is not None:
            # text: the key's identity (compared); the message names its path when read
            identity = f"domain key {key.stack.name}/{key.logical_id}"
            return KeyRef("domain_key", identity, key.name, key, names_key=True)
        resource = stack.resources.get(logical_id)
        if resource is not None:
            kind = resource.get("Type")
            if kind == "AWS::KMS::Key":
                path = resource_path(stack, logical_id, resource)
                return KeyRef("other_cmk", f"customer managed key {path} of no domain")
            if kind == "AWS::KMS::Alias":
                target = (resource.get("Properties") or {}).get("TargetKeyId")
                return self.resolve(target, stack, depth + 1)
            if kind == "AWS::KMS::ReplicaKey":
                path = resource_path(stack, logical_id, resource)
                return KeyRef("other_cmk", f"multi-Region replica key {path} of no domain")
            return KeyRef("unresolved", f"{kind} {logical_id} is not a KMS key")
        if logical_id in (stack.template.get("Parameters") or {}):
            if stack.parent is not None:
                parent, nested_id = stack.parent
                props = parent.resources[nested_id].get("Properties") or {}
                passed = (props.get("Parameters") or {}).get(logical_id)
                if passed is not None:
                    return self.resolve(passed, parent, depth + 1)
            return KeyRef("unresolved", f"template parameter {logical_id}")
        return KeyRef("unresolved", f"unknown reference {logical_id}")


def key_account(ref: KeyRef) -> str | None:
    """The account of the domain key ``ref`` names (its stack's, or its ARN's for a key defined
    elsewhere); None when the template does not say."""
    if ref.key is not None:
        return ref.key.stack.environment.account
    if ref.referenced is not None:
        return ref.referenced[2] or None
    return None

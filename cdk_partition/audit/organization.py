"""One view of a data domain across several cloud assemblies (apps, accounts, regions).

An organisation ships a domain from several CDK apps: the data account's app owns the domain key
(``DataDomain``), workload apps put stores on it by ARN (``DataDomain.from_domain_attributes``),
and one app may hold Stages for several accounts and regions. ``cdk-partition audit`` and
``report`` take several assemblies; this module joins what each one holds into domains.

Pure Python over the :mod:`cdk_partition.assembly` model (no aws_cdk import).

**Keys of a domain.** Every ``AWS::KMS::Key`` with ``cdk_partition:domain`` metadata is the primary
key of one domain, identified by its name and the partition, account and region its stack deploys
to (two Stages holding ``orders`` for two environments are two domains, as the audit already
treats them). An ``AWS::KMS::ReplicaKey`` with the same metadata joins the multi-Region primary of
its name in its account: a replica has the primary's key id and lives in another Region of the
same partition (AWS KMS API Reference, "ReplicateKey",
https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html), in the primary's
account (AWS KMS Developer Guide, "ReplicateKey" CloudTrail example,
https://docs.aws.amazon.com/kms/latest/developerguide/ct-replicate-key.html).

**References.** A reference names the key by a literal ARN
(``arn:<partition>:kms:<region>:<account>:key/<key id>``); the owning app's template names its
key by ``Fn::GetAtt Key.Arn``, whose key id AWS KMS assigns when it creates the key (AWS KMS
Developer Guide, "Key identifiers (KeyId)",
https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id). So before deployment
the matching rule is: same domain name, and the ARN's partition, account and region are those of
the owning key's stack (or of one of its replicas). The key id cannot be verified before the
owner deploys: the report marks such a key ``unverified``. What can be decided is checked
(:func:`findings`, rule ``CDKP201``): a reference to a domain whose owner is among the
assemblies given, in the reference's account, must name the owner's partition and region, and
references to one key (same domain, partition, account, region) must agree on its key id. A
reference whose owner is not among the assemblies given (no domain of that name in its account)
is listed as owned elsewhere, without a finding: several environments may each own a domain of
the same name (dev and prod Stages), so another account's ``orders`` is not a mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .. import audit
from ..assembly import (
    DOMAIN_METADATA_KEY,
    REPLICA_REGIONS_METADATA_KEY,
    CloudAssembly,
    StackTemplate,
    load,
    resource_path,
)
from ..marks import parse_key_text

__all__ = [
    "ORG_RULES",
    "Member",
    "OrgDomain",
    "OrgKey",
    "Organisation",
    "audit_members",
    "domains",
    "findings",
    "load_members",
]

KeyKind = Literal["primary", "replica", "reference"]

#: Rules only a view over several assemblies (or Stages of several environments) can decide.
ORG_RULES: dict[str, audit.Rule] = {
    "CDKP201": audit.Rule(
        "CDKP201",
        "error",
        "Domain reference names no key of the domain's owner",
        "name the key ARN of the owning app's domain key (its partition, account and region; "
        "publish it from the owning app rather than copying it), or give the owning stack an "
        "explicit env so that its account and region can be compared",
        source=audit.Source(
            'AWS KMS Developer Guide, "Key identifiers (KeyId)"',
            "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id",
        ),
    ),
    "CDKP202": audit.Rule(
        "CDKP202",
        "error",
        "Domain created twice in one account and region",
        "create each domain's key in one app and Stage; other apps reference it "
        "(DataDomain.from_domain_attributes / from_lookup)",
        source=audit.Source(
            'AWS KMS API Reference, "CreateAlias"',
            "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
        ),
    ),
}


@dataclass(frozen=True)
class Member:
    """One cloud assembly (or template) given on the command line, with its label (the path)."""

    label: str
    assembly: CloudAssembly


def load_members(paths: Sequence[str | Path]) -> list[Member]:
    """Load each path (:func:`~cdk_partition.assembly.load`; its errors name the path), each
    once: a path given twice is one assembly, not a second owner of its domains."""
    seen: set[Path] = set()
    members = []
    for path in paths:
        resolved = Path(path).resolve()
        if resolved not in seen:
            seen.add(resolved)
            members.append(Member(str(path), load(path)))
    return members


@dataclass(eq=False)
class OrgKey:
    """A key of a domain: a primary or replica key some assembly creates, or a reference's ARN."""

    domain: str
    kind: KeyKind
    partition: str | None
    account: str | None
    region: str | None
    member: Member
    stack: StackTemplate
    logical_id: str | None
    """The key resource (None for a reference)."""
    path_given: str | None
    """The reference's scope (stack construct path); None for a key: see :attr:`path`."""
    arn: str | None = None
    """The literal ARN a reference names (None for keys created here: assigned at deployment)."""
    key_id: str | None = None
    multi_region: bool = False

    @property
    def path(self) -> str:
        """The key's construct path (found when first read: ``tree.json`` without path
        metadata), or the reference's scope."""
        if self.path_given is None:
            resource = self.stack.resources.get(self.logical_id or "") or {}
            found = resource_path(self.stack, self.logical_id or "", resource)
            self.path_given = found.removesuffix("/Resource")
        return self.path_given

    @property
    def verified(self) -> bool:
        """A key this assembly creates is known; a reference's key id is not, before deploy."""
        return self.kind != "reference"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "partition": self.partition,
            "account": self.account,
            "region": self.region,
            "arn": self.arn,
            "verified": self.verified,
            "assembly": self.member.label,
            "stack": self.stack.name,
            "logical_id": self.logical_id,
            "path": self.path,
            "multi_region": self.multi_region,
        }


@dataclass(eq=False)
class OrgDomain:
    """One domain across the assemblies: its keys, and where its owner's primary key lives."""

    name: str
    keys: list[OrgKey] = field(default_factory=list)

    @property
    def primary(self) -> OrgKey | None:
        return next((k for k in self.keys if k.kind == "primary"), None)

    @property
    def owned_here(self) -> bool:
        """The owner's key is in one of the assemblies given (else the domain is referenced
        only, and owned elsewhere)."""
        return any(k.kind != "reference" for k in self.keys)

    def where(self) -> str:
        anchor = self.primary or self.keys[0]
        return f"account {anchor.account or 'unknown'}, {anchor.region or 'region unknown'}"


def _env(stack: StackTemplate) -> tuple[str | None, str | None, str | None]:
    env = stack.environment
    return (env.partition_text if env.region else None), env.account, env.region


def _local_keys(member: Member) -> Iterable[OrgKey]:
    """Primary and replica domain keys the assembly creates (both types, read generically)."""
    for stack, logical_id, resource in member.assembly.resources():
        kind = resource.get("Type")
        if kind not in ("AWS::KMS::Key", "AWS::KMS::ReplicaKey"):
            continue
        metadata = resource.get("Metadata")
        name = metadata.get(DOMAIN_METADATA_KEY) if isinstance(metadata, dict) else None
        if not isinstance(name, str):
            continue
        props = resource.get("Properties")
        props = props if isinstance(props, dict) else {}
        partition, account, region = _env(stack)
        yield OrgKey(
            name,
            "primary" if kind == "AWS::KMS::Key" else "replica",
            partition,
            account,
            region,
            member,
            stack,
            logical_id,
            None,  # the construct path, when a report or finding reads it
            multi_region=kind == "AWS::KMS::ReplicaKey" or props.get("MultiRegion") is True,
        )


def _references(member: Member) -> Iterable[OrgKey]:
    """One key per distinct (domain, key ARN) the assembly's checks name (marks with ``key``)."""
    seen: set[tuple[str, str, int]] = set()
    for scope in member.assembly.scopes:
        if not scope.key_arn or (scope.domain, scope.key_arn, id(scope.stack)) in seen:
            continue
        seen.add((scope.domain, scope.key_arn, id(scope.stack)))
        text = parse_key_text(scope.key_arn, scope.stack.environment)
        if text is None or text.kind != "key":
            continue
        yield OrgKey(
            scope.domain,
            "reference",
            text.partition,
            text.account,
            text.region,
            member,
            scope.stack,
            None,
            scope.path or str(scope.stack.construct_path or scope.stack.name),
            arn=scope.key_arn,
            key_id=text.name,
        )


def _same(left: str | None, right: str | None) -> bool | None:
    """Equal, different, or None when either is unknown (deploy-time)."""
    if left is None or right is None or left.startswith("${") or right.startswith("${"):
        return None
    return left == right


@dataclass
class Organisation:
    """The domains of several assemblies, and the references that could not be joined."""

    members: list[Member]
    domains: list[OrgDomain]
    unmatched: list[tuple[OrgKey, str]] = field(default_factory=list)
    """References to a domain whose owner is given but none of whose keys they name (why)."""


def domains(members: Sequence[Member]) -> Organisation:
    """Join the keys and references of ``members`` into domains (see the module docstring)."""
    local = [k for m in members for k in _local_keys(m)]
    out = [OrgDomain(k.domain, [k]) for k in local if k.kind == "primary"]
    for replica in (k for k in local if k.kind == "replica"):
        owners = [
            d
            for d in out
            if d.name == replica.domain
            and d.keys[0].multi_region
            and _same(d.keys[0].account, replica.account) is not False
            and _same(d.keys[0].partition, replica.partition) is not False
        ]
        if len(owners) > 1:  # several multi-Region primaries of that name: the one of the
            # replica's assembly and Stage that declares the replica's region
            owners = [
                d
                for d in owners
                if d.keys[0].member is replica.member
                and Path(d.keys[0].stack.root.file).parent == Path(replica.stack.root.file).parent
                and replica.region in _declared_regions(d.keys[0])
            ] or owners
        if len(owners) == 1:
            owners[0].keys.append(replica)
        else:  # no primary among the assemblies (or several): a domain of its own
            out.append(OrgDomain(replica.domain, [replica]))
    unmatched: list[tuple[OrgKey, str]] = []
    for ref in (r for m in members for r in _references(m)):
        # owned here in the reference's account (or an account unknown at synth): a reference
        # to another account's domain of the same name is a domain owned elsewhere (one domain
        # per environment, e.g. dev and prod Stages, is a supported layout)
        named = [
            d
            for d in out
            if d.name == ref.domain
            and d.owned_here
            and any(
                _same(k.account, ref.account) is not False
                and _same(k.partition, ref.partition) is not False
                for k in d.keys
                if k.kind != "reference"
            )
        ]
        if not named:
            elsewhere = next(
                (d for d in out if d.name == ref.domain and not d.owned_here and _at(d, ref)),
                None,
            )
            if elsewhere is None:
                out.append(OrgDomain(ref.domain, [ref]))
            else:
                elsewhere.keys.append(ref)
            continue
        matches = [d for d in named if _at(d, ref)]
        if matches:  # several: the domain is owned twice (CDKP202 says so), the first takes it
            matches[0].keys.append(ref)
            continue
        homes = "; ".join(d.where() for d in named)
        undecided = [d for d in named if _at(d, ref) is None]
        if undecided:
            why = (
                f"the owner's key of domain {ref.domain!r} deploys to an environment unknown "
                f"at synth ({homes}), so {ref.arn} cannot be compared with it"
            )
        else:
            why = (
                f"{ref.arn} is in account {ref.account}, {ref.region}, but the key of domain "
                f"{ref.domain!r} is in {homes}"
            )
        unmatched.append((ref, why))
        same = next(
            (d for d in out if not d.owned_here and d.name == ref.domain and _at(d, ref)), None
        )
        if same is None:
            out.append(OrgDomain(ref.domain, [ref]))
        else:  # another reference naming the same ARN
            same.keys.append(ref)
    out.sort(key=lambda d: (d.name, not d.owned_here, d.where()))
    return Organisation(list(members), out, unmatched)


def _declared_regions(key: OrgKey) -> tuple[str, ...]:
    """The replica regions a primary key declares (``cdk_partition:replica_regions``)."""
    resource = key.stack.resources.get(key.logical_id or "") or {}
    metadata = resource.get("Metadata")
    regions = metadata.get(REPLICA_REGIONS_METADATA_KEY) if isinstance(metadata, dict) else None
    return tuple(r for r in regions if isinstance(r, str)) if isinstance(regions, list) else ()


def _at(domain: OrgDomain, ref: OrgKey) -> bool | None:
    """Whether ``ref``'s ARN names the partition, account and region of one of ``domain``'s
    created keys (None: an environment unknown at synth)."""
    verdicts = []
    for key in domain.keys:
        if key.kind == "reference" and domain.owned_here:
            continue
        parts = [
            _same(key.partition, ref.partition),
            _same(key.account, ref.account),
            _same(key.region, ref.region),
        ]
        if key.kind == "reference":  # a domain known only by references: same ARN
            parts.append(key.key_id == ref.key_id)
        if all(p is True for p in parts):
            return True
        verdicts.append(None if None in parts and False not in parts else False)
    return None if None in verdicts else False


def findings(organisation: Organisation) -> list[tuple[Member, audit.Finding]]:
    """``CDKP201`` findings: references naming no key of their owner, and references to one
    key that disagree on its key id (each with the member that holds the reference)."""
    rule = ORG_RULES["CDKP201"]
    out: list[tuple[Member, audit.Finding]] = []

    def finding(ref: OrgKey, message: str) -> tuple[Member, audit.Finding]:
        return ref.member, audit.Finding(
            rule=rule.id,
            severity=rule.severity,
            stack=ref.stack.name,
            logical_id="",
            path=ref.path,
            resource_type="DomainReference",
            message=f"{message} Fix: {rule.fix}.",
            fix=rule.fix,
            domain=ref.domain,
            location="key_arn",
            value=ref.arn,
            template_path=ref.stack.file,
        )

    # "The alias must be unique in the account and Region" (AWS KMS API Reference,
    # "CreateAlias", https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html):
    # two keys of one domain in one environment claim one alias/<name>, and stores of the
    # domain there could be on either
    owners: dict[tuple[str, str, str, str], list[OrgKey]] = {}
    for domain in organisation.domains:
        for key in domain.keys:
            if key.kind == "reference" or None in (key.partition, key.account, key.region):
                continue
            place = (domain.name, str(key.partition), str(key.account), str(key.region))
            owners.setdefault(place, []).append(key)
    twice = ORG_RULES["CDKP202"]
    for (name, _, account, region), keys in owners.items():
        for key in keys[1:] if len(keys) > 1 else ():
            where = ", ".join(f"{k.path} ({k.member.label})" for k in keys)
            out.append(
                (
                    key.member,
                    audit.Finding(
                        rule=twice.id,
                        severity=twice.severity,
                        stack=key.stack.name,
                        logical_id=key.logical_id or "",
                        path=key.path,
                        resource_type=str(
                            key.stack.resources.get(key.logical_id or "", {}).get("Type", "")
                        ),
                        message=f"domain {name!r} has {len(keys)} keys in account {account}, "
                        f"{region}: {where}; each would claim alias/{name}, which is unique in "
                        f"an account and region. Fix: {twice.fix}.",
                        fix=twice.fix,
                        domain=name,
                        template_path=key.stack.file,
                    ),
                )
            )
    for ref, why in organisation.unmatched:
        message = f"the domain reference {ref.path} of {ref.domain!r} names no key of its owner"
        out.append(finding(ref, f"{message}: {why}."))
    for domain in organisation.domains:
        by_place: dict[tuple[Any, ...], list[OrgKey]] = {}
        for ref in (k for k in domain.keys if k.kind == "reference"):
            by_place.setdefault((ref.partition, ref.account, ref.region), []).append(ref)
        for refs in by_place.values():
            ids = sorted({r.key_id or "" for r in refs})
            if len(ids) > 1 and domain.owned_here:
                for ref in refs:
                    out.append(
                        finding(
                            ref,
                            f"the domain reference {ref.path} names key id {ref.key_id} of "
                            f"domain {ref.domain!r}, while other references to the same key "
                            f"(account {ref.account}, {ref.region}) name {', '.join(ids)}: "
                            "one key has one id.",
                        )
                    )
    return out


def audit_members(members: Sequence[Member]) -> dict[str, list[audit.Finding]]:
    """Each assembly's own audit, plus the organisation's findings (:func:`findings`) under the
    assembly holding the reference; by label, in the order given."""
    out = {m.label: audit.audit(m.assembly) for m in members}
    for member, finding in findings(domains(members)):
        out[member.label].append(finding)
    return out

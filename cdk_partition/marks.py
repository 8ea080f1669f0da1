"""The marks both halves share: names and formats the constructs write and the audit reads.

The constructs (:mod:`cdk_partition.constructs`, inside a CDK app) write metadata into the
synthesized templates; the audit and the report (over a ``cdk.out``, without aws-cdk-lib) read it
back. Both import the names and the formats from here and from nowhere else:

* the metadata keys (``cdk_partition:domain`` on a domain key, ``cdk_partition:checks`` on the
  stacks the checks cover, ``cdk_partition:exemptions`` on an exempted resource, ...);
* :class:`Environment`, where a stack deploys (``aws://<account>/<region>``);
* the key-text format: how a key identifier written as text (an ARN, a key id, an alias) is read
  (:func:`parse_key_text`), and how text built with ``Fn::Join``/``Fn::Sub`` is flattened
  (:func:`render`). AWS KMS Developer Guide, "Key identifiers (KeyId)",
  https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id

Pure Python: no aws_cdk import.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "CHECKS_METADATA_KEY",
    "DEPLOYMENT_ROLE_METADATA_KEY",
    "DOMAIN_METADATA_KEY",
    "EXEMPTIONS_METADATA_KEY",
    "LOOKUP_PENDING_KEY_ID",
    "MARKER_ID",
    "PATH_METADATA_KEY",
    "REPLICA_KEYS_METADATA_KEY",
    "REPLICA_REGIONS_METADATA_KEY",
    "SERVICE_STATEMENTS_METADATA_KEY",
    "Environment",
    "KeyText",
    "parse_key_text",
    "printable",
    "render",
]

DOMAIN_METADATA_KEY = "cdk_partition:domain"
#: The domain's deployment role ARN on its key (what the create-time service contracts name).
DEPLOYMENT_ROLE_METADATA_KEY = "cdk_partition:deployment_role"
CHECKS_METADATA_KEY = "cdk_partition:checks"
EXEMPTIONS_METADATA_KEY = "cdk_partition:exemptions"
PATH_METADATA_KEY = "aws:cdk:path"
#: ``{region: key ARN}`` a store method declares for replicas in other regions (``table_v2``).
REPLICA_KEYS_METADATA_KEY = "cdk_partition:replica_keys"
#: The regions a multi-Region domain key replicates to (``DataDomain(replica_regions=...)``), on
#: the primary key.
REPLICA_REGIONS_METADATA_KEY = "cdk_partition:replica_regions"
#: The service statements the app declared with ``DataDomain.allow_service`` (``[{"sid",
#: "service", "actions", "source", "source_keys_unsupported"}]``), on the key: the AWS page each
#: cites, read by the audit (CDKP106) and the report.
SERVICE_STATEMENTS_METADATA_KEY = "cdk_partition:service_statements"
#: Construct id of the marker node the checks leave in stacks of nested Stages (native/src).
MARKER_ID = "CdkPartitionChecks"
_ACCOUNT = "${AWS::AccountId}"
_REGION = "${AWS::Region}"
_PARTITION = "${AWS::Partition}"


#: The key id a ``DataDomain.from_lookup`` reference names until the CDK's context holds the
#: looked-up value (a placeholder in the stack's account: no key has this id).
LOOKUP_PENDING_KEY_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Environment:
    """Where a stack deploys: an account and a region, or ``None`` for "resolved at deploy time"
    (an environment-agnostic stack; its ``AWS::AccountId``/``AWS::Region`` pseudo parameters).

    Environment-agnostic stacks of one assembly are taken to deploy to the same environment, as
    the CDK itself assumes when it lets them reference each other.
    """

    account: str | None = None
    region: str | None = None

    @classmethod
    def parse(cls, value: Any) -> Environment:
        """``aws://<account>/<region>`` from a manifest (``unknown-*`` parts are None)."""
        match = re.fullmatch(r"aws://([^/]*)/([^/]*)", value) if isinstance(value, str) else None
        if match is None:
            return cls()
        account, region = match.groups()
        return cls(
            None if account.startswith("unknown-") else account,
            None if region.startswith("unknown-") else region,
        )

    @property
    def account_text(self) -> str:
        """The account as it appears in a rendered ARN (the pseudo parameter when unknown)."""
        return self.account or _ACCOUNT

    @property
    def region_text(self) -> str:
        return self.region or _REGION

    @property
    def partition_text(self) -> str:
        """The partition of the region (AWS Regions and partitions: ``cn-*`` is ``aws-cn``,
        ``us-gov-*`` is ``aws-us-gov``, ``us-iso*`` and ``eu-isoe-*`` the isolated ones), or the
        pseudo parameter when the region is unknown."""
        region = self.region
        if region is None:
            return _PARTITION
        for prefix, partition in (
            ("cn-", "aws-cn"),
            ("us-gov-", "aws-us-gov"),
            ("us-isob-", "aws-iso-b"),
            ("us-iso-", "aws-iso"),
            ("eu-isoe-", "aws-iso-e"),
            ("us-isof-", "aws-iso-f"),
        ):
            if region.startswith(prefix):
                return partition
        return "aws"


_PSEUDO = {
    "AWS::Partition": "${AWS::Partition}",
    "AWS::Region": "${AWS::Region}",
    "AWS::AccountId": "${AWS::AccountId}",
    "AWS::URLSuffix": "${AWS::URLSuffix}",
}
_ENV_PSEUDO = ("${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}")
_HOLE = "\x00"  # a part only known at deploy time that is not a pseudo parameter
_KMS_ARN = re.compile(r"arn:([^:]+):kms:([^:]*):([^:]*):(key|alias)/(.+)")


@dataclass(frozen=True)
class KeyText:
    """A key identifier read from text: ``alias`` or ``key``, its name or id, and where."""

    kind: Literal["alias", "key"]
    name: str
    partition: str
    region: str
    account: str


def render(value: Any) -> str | None:
    """Flatten text built with ``Fn::Join``/``Fn::Sub`` to a string with pseudo parameters as
    ``${AWS::...}`` and any other deploy-time part as a hole; None when ``value`` is no text."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((fn, arg),) = value.items()
    if fn == "Ref" and isinstance(arg, str):
        return _PSEUDO.get(arg, _HOLE)
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        separator, parts = arg
        if not isinstance(separator, str) or not isinstance(parts, list):
            return None
        rendered = [render(p) for p in parts]
        return separator.join(_HOLE if r is None else r for r in rendered)
    if fn == "Fn::Sub":
        if isinstance(arg, str):
            text, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2:
            text, variables = arg
        else:
            return None
        if not isinstance(text, str):
            return None
        variables = variables if isinstance(variables, dict) else {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return render(variables[name]) or _HOLE
            return _PSEUDO.get(name, _HOLE)

        return re.sub(r"\$\{([^}]*)\}", substitute, text)
    return _HOLE


@functools.lru_cache(maxsize=4096)  # the same ARN text recurs in every store of a reference
def parse_key_text(text: str, environment: Environment) -> KeyText | None:
    """A key identifier in ``text``, placed in ``environment`` when it names none (None: not a
    key identifier, or it has deploy-time holes)."""
    if _HOLE in text:
        return None
    environment_parts = (
        environment.partition_text,
        environment.region_text,
        environment.account_text,
    )
    # pseudo parameters hold colons: take them out of the way of the ARN's own separators
    masked = text
    for i, pseudo in enumerate(_ENV_PSEUDO):
        masked = masked.replace(pseudo, f"\x01{i}\x01")
    match = _KMS_ARN.fullmatch(masked)
    if match:
        partition, region, account, kind, name = (
            re.sub(r"\x01(\d)\x01", lambda m: _ENV_PSEUDO[int(m.group(1))], g)
            for g in match.groups()
        )
        parts = [partition, region, account]
        # pseudo parameters in the ARN are the stack's own environment
        for i, pseudo in enumerate(_ENV_PSEUDO):
            if parts[i] == pseudo:
                parts[i] = environment_parts[i]
        return KeyText(
            "alias" if kind == "alias" else "key",
            f"alias/{name}" if kind == "alias" else name,
            *parts,
        )
    if text.startswith("arn:"):
        return None
    return KeyText("alias" if text.startswith("alias/") else "key", text, *environment_parts)


#: What :func:`printable` escapes: C0 controls (newline and tab included), DEL, C1 controls,
#: the Unicode line/paragraph separators, the bidirectional controls (Unicode TR #9: LRM, RLM,
#: ALM, the embeddings, overrides and isolates, Trojan Source), the byte order mark and lone
#: surrogates (which no UTF-8 output can encode).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufeff\ud800-\udfff]"
)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could move the cursor, end a line, recolour or
    reorder a terminal's output escaped as ``\\xNN``/``\\uNNNN`` (see :data:`_UNPRINTABLE`):
    a value read from a cloud assembly printed through it is one visible run of characters on
    the line it was written on, so it cannot forge other lines (a fake ``No findings``)."""
    return _UNPRINTABLE.sub(_escape_char, text)

"""The catalogue's model: the values its data file describes and :func:`~.catalogue.classify`
returns. Read :mod:`cdk_partition.knowledge.catalogue` for how a slot is evaluated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Cited",
    "KeyState",
    "KeyUse",
    "KeylessStore",
    "Outcome",
    "Slot",
    "Source",
    "StoreType",
    "When",
]

KeyState = Literal[
    "customer_key", "unencrypted", "aws_owned", "aws_managed", "inherited", "undecided"
]
"""What protects one key slot of a store: the customer key found there, a violation kind, or
``inherited``: the key is the one of another resource (a read replica's source, a snapshot), named
by the outcome's ``source`` property, which the caller resolves; or ``undecided``: a switch the
slot reads is an intrinsic decided at deploy time (fail closed)."""


@dataclass(frozen=True)
class KeyUse:
    """The state of one key slot of one resource, as :func:`classify` found it."""

    path: str
    """Concrete property path of the slot in this resource, e.g. ``Replicas[1].SSESpecification
    .KMSMasterKeyId``: where the key is, or where it would go."""
    state: KeyState
    key: Any = None
    """When ``state == "customer_key"``: the raw template value (string or intrinsic); when
    ``state == "inherited"``: the raw value of the property naming the source resource."""
    detail: str = ""
    """Short human text of what was found."""
    source: str | None = None
    """When ``state == "inherited"``: the concrete path of the property naming the source."""
    at: str | None = field(default=None, compare=False)
    """The concrete path of the property the state was read from, when it is not :attr:`path`:
    the switch that decided it (``...ServerSideEncryptionByDefault.SSEAlgorithm``), the source
    property of an inherited key, a switch decided at deploy time. A finding names this
    property with :attr:`found`, its own value."""
    found: Any = field(default=None, compare=False)
    """The template's value of the property at :attr:`at` (else :attr:`path`); None when absent."""

    @property
    def where(self) -> str:
        """The property the state was read from: :attr:`at`, else the slot's key :attr:`path`."""
        return self.at or self.path


@dataclass(frozen=True)
class When:
    """A test on one property: ``op`` is ``absent``, ``present``, ``is``, ``is_not`` or
    ``not_in`` (absent counts as "is not" and "not in")."""

    path: str
    op: Literal["absent", "present", "is", "is_not", "not_in"]
    value: Any = None


@dataclass(frozen=True)
class Outcome:
    """A state (with its detail text) that applies when all ``when`` tests hold."""

    state: KeyState
    detail: str
    when: tuple[When, ...] = ()
    source: str | None = None
    """For ``inherited``: the property (path) naming the resource the key is inherited from."""


@dataclass(frozen=True)
class Slot:
    """One key property of a store type; see :mod:`~.catalogue` for how it is evaluated."""

    key: str
    no_key: tuple[Outcome, ...]
    first: tuple[Outcome, ...] = ()
    only_if: tuple[When, ...] = ()
    set_with: tuple[tuple[str, Any], ...] = field(default=(), compare=False)
    """The switches the encryption mixin turns when it puts the slot on a customer managed key:
    (path pattern, value) pairs, a value of None removes the property (the catalogue's
    ``set.with``)."""
    set_region: str | None = field(default=None, compare=False)
    """The property naming the region the slot's key must be in (``Replicas[].Region`` of a
    global table's replica: "The key must be created in the same region as the replica", AWS
    CloudFormation Template Reference, "AWS::DynamoDB::GlobalTable ReplicaSSESpecification"), its
    ``[]`` bound as in :attr:`key`; None: the resource's own region (the catalogue's
    ``set.region``)."""
    delivers: str | None = field(default=None, compare=False)
    """What receives the data this key encrypts when that is another store, not the resource
    itself (a bucket's replica key, a delivery stream's S3 destination key: the catalogue's
    ``delivers``); None: the key protects the resource's own data."""


class Cited:
    """A table row that names its AWS page by ``title`` and ``url`` (the identity, backup and
    run-role tables)."""

    title: str
    url: str

    @property
    def source(self) -> str:
        """``Title (URL)``, the form every cited row of the package takes."""
        return f"{self.title} ({self.url})"


@dataclass(frozen=True)
class Source:
    """An AWS documentation page a catalogue entry rests on."""

    url: str
    note: str = ""
    """What the page says for the entry (the page title, a quote, the reasoning)."""


@dataclass(frozen=True)
class KeylessStore:
    """A data store that cannot name a customer managed key at all (only an encryption switch)."""

    reason: str
    """What protects the data instead."""
    when: tuple[When, ...] = ()
    """Tests that must all hold for the resource to hold data (cache enabled ...)."""
    sources: tuple[Source, ...] = field(default=(), compare=False)
    """The AWS pages that say so (provenance: not compared)."""
    configuration: bool = False
    """True when the type usually holds the app's configuration, not its data (an SSM
    parameter): a finding is a warning to check, not an error."""


@dataclass(frozen=True)
class StoreType:
    """A CloudFormation data-store type: where its key lives and how to fix it in CDK."""

    cfn_type: str
    service: str
    description: str
    key_property: str
    """Documented primary key path pattern (the first slot's ``key``)."""
    managed_alias: str | None
    """The service's AWS managed key alias (``alias/aws/s3``); None if it has none."""
    cdk_fix: str
    """One-line fix hint for CDK users."""
    slots: tuple[Slot, ...]
    sources: tuple[Source, ...] = field(default=(), compare=False)
    """The AWS pages the entry rests on (provenance: not compared, so an entry equals the same
    facts however they are cited)."""

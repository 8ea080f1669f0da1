"""Which domain stores a policy's ``Resource`` (or a resource policy's target) names.

A policy names a store by reference (``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` of its ARN, an import of
its export) or by text (a literal ARN with wildcards, a bucket's name, a queue's URL:
:mod:`cdk_partition.knowledge.store_names`). Two texts name stores without meaning any of them,
and the identity audit says so more softly (CDKP025, a warning, not CDKP019): ``"*"``, and a text
that admits any name of the store's type (``arn:aws:s3:::*/*``, ``arn:aws:sqs:*:*:*``), which
reaches a store whose name CloudFormation generates as readily as one the app wrote. Pure Python
over the assembly's JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.references import PARTS, placeholders, reached_by, references
from ..knowledge import catalogue
from ..knowledge.identity_kms import CALLERS_BY_TYPE, ROWS_BY_TYPE
from ..knowledge.store_names import GENERATED, STORE_NAMES, identifiers, names_store
from ..policy import evaluator
from .identity_policies import props_of

__all__ = ["Named", "Store", "domain_stores", "stores_named"]


@dataclass(frozen=True, eq=False)
class Store:
    """A store of a domain that the identity table knows."""

    stack: StackTemplate
    logical_id: str
    resource: Mapping[str, Any] = field(compare=False)
    domain: str

    @property
    def path(self) -> str:
        return resource_path(self.stack, self.logical_id, self.resource).removesuffix("/Resource")


@dataclass
class Named:
    """What one ``Resource`` value reaches."""

    stores: list[Store] = field(default_factory=list)
    """The stores it names: by reference, or by a text that does not admit every name."""
    any_name: list[Store] = field(default_factory=list)
    """The stores a text reaches by admitting any name of their type (``arn:aws:s3:::*/*``)."""
    star: bool = False
    """The value is ``"*"``: every resource."""
    text: str = "*"
    """The value as text (``${...}`` for intrinsics)."""
    why: str | None = None
    """What the audit cannot follow in it (fail closed: the caller reports it)."""


def domain_stores(assembly: CloudAssembly) -> dict[tuple[int, str], Store]:
    """(stack id, logical id) -> every store of a domain whose type the identity table knows (a
    row of its own, or its documented callers)."""
    cache = assembly.memo.get(("identity-stores",))
    if cache is not None:
        return cache  # type: ignore[no-any-return]
    found: dict[tuple[int, str], Store] = {}
    for stack, logical_id, resource in assembly.resources_in_scope():
        if resource.get("Type") not in ROWS_BY_TYPE and resource.get("Type") not in CALLERS_BY_TYPE:
            continue
        domain = assembly.domain_of(stack, logical_id, resource).domain
        if domain is not None and not off_every_key(resource):
            found[(id(stack), logical_id)] = Store(stack, logical_id, resource, domain)
    assembly.memo[("identity-stores",)] = found
    return found


#: Key slot states in which no customer managed key is asked (catalogue.classify).
_NO_CMK = frozenset({"unencrypted", "aws_owned", "aws_managed"})


def off_every_key(resource: Mapping[str, Any]) -> bool:
    """Whether every key slot of the store is on no customer managed key (SSE-SQS, an AWS
    managed key): its readers and writers make no request to the domain key, so none of its
    grants is checked against it. CDKP001-CDKP003 report the store itself; when they are
    exempted (a queue of public events kept on SSE-SQS by design), a grant on it was a false
    CDKP019 (found by an attack)."""
    props = resource.get("Properties")
    uses = catalogue.classify(str(resource.get("Type")), props if isinstance(props, dict) else {})
    return uses is not None and bool(uses) and all(use.state in _NO_CMK for use in uses)


def _by_name(
    assembly: CloudAssembly,
    stack: StackTemplate,
    text: str,
    stores: Mapping[tuple[int, str], Store],
    targets: bool,
) -> list[tuple[Store, bool]]:
    """``(store, whether the text admits any name of its type)`` for the stores the policy's
    ``text`` (in ``stack``) names as text (an ARN, with wildcards, or a target's name or URL:
    :mod:`cdk_partition.knowledge.store_names`); the pseudo parameters of the text are the
    stack's partition, region and account, any value where the stack leaves them open."""
    env = stack.environment
    pseudo = {
        "Partition": env.partition_text if env.region else "*",
        "Region": env.region or "*",
        "AccountId": env.account or "*",
    }
    bare = re.sub(r"\$\{AWS::(Partition|Region|AccountId)\}", lambda m: pseudo[m.group(1)], text)
    bare = _parts_as_wildcards(bare)
    if "${" in bare:
        return []
    named = assembly.memo.get(("named-stores", id(stores)))
    if named is None:
        named = []
        for store in stores.values():
            row = STORE_NAMES.get(str(store.resource.get("Type")))
            if row is None:
                continue
            name = evaluator.canonicalize(props_of(store.resource).get(row.name_property))
            if isinstance(name, str) and "${" not in name:
                named.append((store, (name,)))
            else:
                named.append((store, _generated(store)))
        assembly.memo[("named-stores", id(stores))] = named
    out: list[tuple[Store, bool]] = []
    for store, names in named:
        if any(_names(bare, store, name, targets) for name in names):
            out.append((store, _names(bare, store, GENERATED, targets)))
    return out


def own_arn_text(store: Store) -> str | None:
    """The store's own ARN as literal text (its :data:`STORE_NAMES` row's first ARN, its literal
    name, its stack's partition, region and account), None when any of them is unknown."""
    row = STORE_NAMES.get(str(store.resource.get("Type")))
    env = store.stack.environment
    name = props_of(store.resource).get(row.name_property) if row is not None else None
    if row is None or not isinstance(name, str) or not env.region or not env.account:
        return None
    return identifiers(str(store.resource.get("Type")), name, env.partition_text, env.region,
                       env.account)[0]  # fmt: skip


def _parts_as_wildcards(text: str) -> str:
    """``text`` with each ``Fn::Select``/``Fn::Split`` placeholder (a part of a value the template
    computes at deploy) as ``*``: the name it stands for is unknown, so the text names every store
    whose name fits the rest (``${Select(0, Split("-", <bucket>))}-*`` reaches every bucket named
    ``<anything>-<anything>``, not only the one it takes the part of)."""
    out, index = [], 0
    for start, end in placeholders(text):
        if text.startswith(PARTS, start + 2):
            out += [text[index:start], "*"]
            index = end
    return "".join(out) + text[index:]


def _generated(store: Store) -> tuple[str, ...]:
    """The name a store CloudFormation names has: "By default, CloudFormation generates a unique
    physical ID to name a resource. For example, CloudFormation might name an Amazon S3 bucket
    with the following physical ID MyStack-MyBucket-abcdefghijk1" (AWS CloudFormation Template
    Reference, "AWS CloudFormation resource custom naming",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html): the
    stack's name first, so ``Orders-*`` names the stack's unnamed stores; then the resource's
    logical id and a random suffix, so the deployed name (``Orders-DomainJobs7B682B9E-AbCdEf12``,
    as a lookup or the console gives it) and its prefix (``Orders-DomainJobs*``) name the store
    too (both were silent: a fourth attack). A bucket's name is in lower case (the page's other
    example, ``stack123123123123-s3bucket-abcdefghijk1``; bucket names admit no capitals), other
    names keep the stack's case (ARN matching is case-sensitive). A name CloudFormation shortens
    (a long stack name or logical id) is not modelled: only its stack's prefix names it. A nested
    stack's generated name is not in the assembly: any name."""
    stack = store.stack
    if stack.parent is not None:
        return (GENERATED,)
    own = f"{stack.name}-{store.logical_id}-*"
    if store.resource.get("Type") == "AWS::S3::Bucket":
        return (f"{stack.name.lower()}-{GENERATED}", own.lower())
    return (f"{stack.name}-{GENERATED}", own)


def _names(text: str, store: Store, name: str, targets: bool) -> bool:
    """Whether ``text`` names ``store`` were it called ``name``."""
    env = store.stack.environment
    partition = env.partition_text if env.region else None
    forms = identifiers(str(store.resource.get("Type")), name, partition, env.region,
                        env.account, targets=targets)  # fmt: skip
    return any(names_store(text, form) for form in forms)


def _through_literal(
    assembly: CloudAssembly,
    stack: StackTemplate,
    logical_id: str,
    stores: Mapping[tuple[int, str], Store],
    out: Named,
) -> None:
    """The stores a :data:`~cdk_partition.assembly.references.REACHES` resource (an S3 access
    point, a stream's consumer, a vector index) addresses when it names them by a literal text
    (a bucket's name, a stream's ARN) rather than by reference: matched by name like a resource
    policy's target."""
    value = evaluator.canonicalize(reached_by(stack.resources.get(logical_id)))
    if isinstance(value, str) and "${" not in value:
        for store, any_name in _by_name(assembly, stack, value, stores, True):
            (out.any_name if any_name else out.stores).append(store)


def stores_named(
    assembly: CloudAssembly,
    stack: StackTemplate,
    value: Any,
    stores: Mapping[tuple[int, str], Store],
    targets: bool = False,
) -> Named:
    """What ``value`` (a ``Resource`` entry of a policy in ``stack``) reaches among ``stores``.
    ``targets``: a resource policy's target property (a bucket's name, a queue's URL)."""
    text = evaluator.canonicalize(value)
    if not isinstance(text, str):
        return Named(text=repr(text), why=f"Resource {text!r}")
    if text == "*":
        return Named(star=True)
    out = Named(text=text)
    if "{{resolve:" in text:
        # a dynamic reference: CloudFormation puts the value in at deploy ("Get values stored in
        # other services using dynamic references", AWS CloudFormation User Guide,
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html)
        out.why = f"Resource {text!r} (a dynamic reference, resolved only at deploy)"
        return out
    spans = list(placeholders(text))
    if "${" in text[spans[-1][1] if spans else 0 :]:
        # a ``${`` no placeholder closes (a literal separator ``${`` inside an intrinsic): what
        # the text stands for cannot be read
        out.why = f"Resource {text!r} (a placeholder that cannot be read)"
        return out
    for by_name, any_name in _by_name(assembly, stack, text, stores, targets):
        (out.any_name if any_name else out.stores).append(by_name)
    missing: list[str] = []
    for where, logical_id in references(assembly.exports, stack, text, missing=missing):
        found = stores.get((id(where), logical_id))
        if found is not None:
            out.stores.append(found)
        else:
            _through_literal(assembly, where, logical_id, stores, out)
    if missing:
        out.why = f"Resource {text!r} ({missing[0]})"
    return out

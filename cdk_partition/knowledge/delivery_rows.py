"""The shape of a delivery row (:data:`cdk_partition.knowledge.wiring.DELIVERIES`): a service
delivering into a store that AWS says needs the store's customer managed key, and how a row
reads the destinations a resource names. Pure Python (no aws_cdk import)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .run_roles import roles_at

__all__ = ["Delivery", "destinations"]


@dataclass(frozen=True)
class Delivery:
    """A service delivering into a store of ``store_type`` that AWS says needs the store's
    customer managed key, where the library has no contract row for the statement: the audit
    holds the key to let ``service`` make ``action`` at all (CDKP021), and the fix declares the
    statement with ``allow_service`` and the page."""

    source_type: str
    destination: str
    """The property naming the store (an ARN or a name), as a dotted path under ``Properties``;
    ``[]`` after a name reads each item of that list (:func:`destinations`)."""
    when: tuple[tuple[str, str], ...]
    """(property, value) pairs that must hold, read in the innermost list item of
    ``destination`` (in ``Properties`` when it has none): ``LogDestinationType`` ``s3``."""
    store_type: str
    service: str
    actions: tuple[str, ...]
    """The requests the service makes (each must be allowed in some request context)."""
    page: str
    quote: str
    scoped: bool = True
    """Whether AWS's statement scopes the service by ``aws:SourceAccount`` (the fix then does);
    False where the page's statement carries no condition."""
    source_arn: str = ""
    """The ``aws:SourceArn`` prefix the service's requests carry, as AWS documents it, with
    ``{partition}``, ``{region}``, ``{account}`` of the delivering resource's stack ("" where
    AWS documents none)."""
    source_when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    """(property, the values it may have) pairs of the delivering resource's ``Properties``
    (None: the property absent): a load balancer's ``Type``."""
    sse_kms: bool = True
    """False where AWS supports only SSE-S3 for the delivery (no key policy lets it into a bucket
    on a customer managed key): a domain store there is CDKP026, and ``service`` and
    ``actions`` are empty."""
    service_account: bool = False
    """Whether the destination bucket's policy names an AWS account of the service as the writer
    (Elastic Load Balancing's, which the CDK's ``log_access_logs`` writes for every load
    balancer type): an account outside the app allowed only to put objects under ``AWSLogs/``
    there is the delivery's, not a principal of the app."""


def destinations(row: Delivery, props: Mapping[str, Any]) -> Iterator[Any]:
    """The values ``row.destination`` names in ``props`` (a resource's ``Properties``, read by
    :func:`cdk_partition.knowledge.run_roles.roles_at`), each where ``row.when`` holds in the
    innermost list item (in ``props`` when the path has none); none unless ``row.source_when``
    holds in ``props``."""
    if not all(props.get(name) in values for name, values in row.source_when):
        return
    head, marker, rest = row.destination.rpartition("[].")
    items = roles_at(props, head + "[]") if marker else [props]
    for item in items:
        if isinstance(item, Mapping) and all(item.get(k) == v for k, v in row.when):
            yield from roles_at(item, rest)

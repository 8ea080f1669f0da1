"""AWS services a domain store's resource policy lets in, whose KMS requests the domain key
refuses (CDKP021): a bucket policy letting CloudFront's origin access control read a domain
bucket the key does not name CloudFront in, a topic policy letting AWS Budgets publish to a
domain topic. The store's service calls KMS for the service principal's request, and
``DenyEveryoneElse`` exempts only what the key policy names; each of these was silent (two
attacks).

A service the library already follows is left to its own check: the publishers with a service
contract (S3, SNS, EventBridge, CloudWatch... :data:`cdk_partition.knowledge.contracts
.SERVICE_PUBLISHERS`, judged where the app wires them) and the deliveries of
:data:`cdk_partition.knowledge.wiring.DELIVERIES`. The question is the prover's: is the service
refused the request in every context that carries the store's account as ``aws:SourceAccount``?
Pure Python over the assembly's JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly
from ..assembly.principals import PrincipalResolver
from ..knowledge.contracts import SERVICE_PUBLISHERS
from ..policy.prover import prover_for
from .deliveries import delivered_stores
from .identity_grants import matching, rows_of
from .identity_policies import (
    RESOURCE_POLICIES,
    as_list,
    glob,
    props_of,
    statements_of,
    type_of,
)
from .integrations import RULES as INTEGRATION_RULES
from .key_requests import prepared_key_policy
from .resource_policy_grants import store_policies
from .rules import Finding, make_finding, resource_fields
from .store_texts import Store, domain_stores

__all__ = ["audit_service_grants"]

_RULE = {rule.id: rule for rule in INTEGRATION_RULES}
#: The services judged elsewhere: a publisher with a contract everywhere; a delivery of
#: :data:`DELIVERIES` only on a store a resource of the app delivers into by its row
#: (:func:`.deliveries.delivered_stores`: SES's receipt rules into a bucket say nothing of its
#: configuration sets into a topic, nor of a topic policy letting SES in with no wiring in the
#: app; attacks found both silent).
_PUBLISHERS = frozenset(SERVICE_PUBLISHERS)

#: The AWS page that documents the statement, by service principal, else by store type; a
#: service without one is named with a placeholder the user fills from the service's own page.
#: CloudFront: origin access control supports "Amazon S3 server-side encryption with AWS KMS
#: (SSE-KMS)" (Amazon CloudFront Developer Guide, "Restrict access to an Amazon S3 origin").
#: SNS: "To allow the AWS service to have the kms:GenerateDataKey* and kms:Decrypt permissions,
#: add the following statement to the KMS policy" (Amazon SNS Developer Guide, "Managing Amazon
#: SNS encryption keys and costs", "Enable compatibility between event sources from AWS services
#: and encrypted topics").
_PAGES_BY_SERVICE = {
    "cloudfront.amazonaws.com": (
        'Amazon CloudFront Developer Guide, "Restrict access to an Amazon S3 origin" '
        "(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
        "private-content-restricting-access-to-s3.html)"
    ),
}
_PAGES_BY_STORE = {
    "AWS::SNS::Topic": (
        'Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs" '
        "(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)"
    ),
}


def audit_service_grants(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP021 for each AWS service a domain store's resource policy allows a data action whose
    KMS requests the domain key refuses in every request from the store's account."""
    stores = domain_stores(assembly)
    if not stores:
        return
    resolver = PrincipalResolver(assembly)
    delivered = delivered_stores(assembly)
    for stack, logical_id, resource, targets in store_policies(assembly, stores):
        document_key = RESOURCE_POLICIES[str(type_of(resource))][1]
        for statement in statements_of(props_of(resource).get(document_key)):
            principal = statement.get("Principal")
            if statement.get("Effect") != "Allow" or not isinstance(principal, Mapping):
                continue
            services = [str(s) for s in as_list(principal.get("Service") or [])]
            actions = [a for a in as_list(statement.get("Action") or []) if isinstance(a, str)]
            excluded = [a for a in as_list(statement.get("NotAction") or [])
                        if isinstance(a, str)]  # fmt: skip
            for service in (s for s in services if s not in _PUBLISHERS):
                for store in dict.fromkeys(targets):
                    if {(service, id(store.stack), store.logical_id),
                        ("*", id(store.stack), store.logical_id)} & delivered:  # fmt: skip
                        continue  # the delivery's own check (CDKP021, :mod:`.deliveries`)
                    given = actions or _all_but(store, excluded)
                    yield from _refused(assembly, resolver, stack, logical_id, resource,
                                        service, given, store)  # fmt: skip


def _all_but(store: Store, excluded: list[str]) -> list[str]:
    """The data actions of ``store``'s rows a ``NotAction`` of ``excluded`` leaves allowed."""
    return [a for row in rows_of(store) for a in row.actions
            if not any(glob(p).match(a) for p in excluded)]  # fmt: skip


def _refused(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stack: Any,
    logical_id: str,
    resource: Mapping[str, Any],
    service: str,
    actions: list[str],
    store: Store,
) -> Iterator[Finding]:
    requests = sorted({r for row in rows_of(store) for _, applied in matching(row, actions, store)
                       for r in applied.kms_requests})  # fmt: skip
    key = assembly.nearest_domain_key(store.domain, store.stack)
    if not requests or key is None or not isinstance(key.policy, dict):
        return
    prover = prover_for(prepared_key_policy(assembly, resolver, key))
    account = store.stack.environment.account
    context = {"aws:SourceAccount": account} if account else {}
    refused = [r for r in requests if prover.service_may(service, r, context).status == "denied"]
    if not refused:
        return
    base = resource_fields(stack, logical_id, resource, store.domain)
    store_type = str(store.resource.get("Type"))
    page = _PAGES_BY_SERVICE.get(service) or _PAGES_BY_STORE.get(store_type)
    source = repr(page) if page else "<the AWS page that documents the service's key statement>"
    scope = account or "${AWS::AccountId}"
    yield make_finding(
        _RULE["CDKP021"],
        f"{base['path']} lets {service} {', '.join(sorted(set(actions)))} on {store.path} of "
        f"domain {store.domain!r}, and the domain key refuses the service "
        f"{', '.join(refused)} in every request from the account: the store's service calls KMS "
        "for it, and every such call fails at run time.",
        fix=(
            f"declare the statement AWS documents for it: `domain.allow_service({service!r}, "
            f"actions={refused!r}, conditions={{'StringEquals': {{'aws:SourceAccount': "
            f"{scope!r}}}}}, source={source})`, or remove the service from the resource policy"
        ),
        location=RESOURCE_POLICIES[str(type_of(resource))][1],
        **base,
    )

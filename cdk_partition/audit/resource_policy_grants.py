"""The data actions the resource policies of domain stores allow IAM principals, for the identity
audit (:mod:`.identities`): a queue's ``grant_send_messages(iam.ArnPrincipal(...))`` writes its
grant there, not in an identity policy, and the store's service still calls KMS with the
caller's credentials. Pure Python over the assembly's JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.principals import PrincipalResolver
from ..policy import evaluator
from .deliveries import service_account_targets
from .identity_grants import Grant, Unreadable, matching, rows_of
from .identity_policies import (
    RESOURCE_POLICIES,
    as_list,
    props_of,
    readable,
    statements_of,
    type_of,
)
from .store_texts import Store, stores_named

__all__ = ["OAI_ARN", "resource_policy_grants", "store_policies"]


_ROOT = re.compile(
    r"^(?:arn:(?:[^:$]+|\$\{AWS::Partition\}):iam::)?(\d{12}|\$\{AWS::AccountId\})(?::root)?$"
)


#: A CloudFront origin access identity named by its IAM-style ARN ("arn:aws:iam::cloudfront:user/
#: CloudFront Origin Access Identity <id>"): not a principal a key policy can let read SSE-KMS
#: objects (CDKP031 says so, :mod:`.origin_identities`), so no grant the key could hold.
OAI_ARN = re.compile(r":iam::cloudfront:user/CloudFront Origin Access Identity ")

#: An assumed-role session ARN (``arn:aws:sts::<account>:assumed-role/<role>/<session>``): "For
#: IAM roles, the request context returns the ARN of the role, not the ARN of the user that
#: assumed the role" (aws:PrincipalArn, IAM User Guide, "AWS global condition context keys",
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html), and
#: a key policy naming the role lets its sessions in: the grant is the role's.
_SESSION = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/[^/]+$")


def resource_policy_grants(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stores: Mapping[tuple[int, str], Store],
    unreadable: list[Unreadable],
) -> list[Grant]:
    """The data actions the resource policies of domain stores allow IAM principals (roles,
    users, accounts: ``Principal.AWS``; services and ``*`` are the integrations' and the store
    rules' to judge). Each such principal's own identity policy is taken to allow its KMS
    requests (it may be outside the app): only the key policy decides."""
    out: list[Grant] = []
    app_accounts = {s.environment.account for s in assembly.stacks}
    for stack, logical_id, resource, targets in store_policies(assembly, stores, any_name=True):
        props = props_of(resource)
        document_key = RESOURCE_POLICIES[str(type_of(resource))][1]
        # an access-log bucket of a load balancer: an account outside the app allowed only to
        # put objects under AWSLogs/ is Elastic Load Balancing's log delivery (the delivery's
        # own finding covers it: CDKP026, CDKP021); any other stays a principal
        service_accounts = (
            {s for s in targets if (s.stack.name, s.logical_id) in log_targets}
            if (log_targets := service_account_targets(assembly))
            else set()
        )
        if not readable(props.get(document_key)):
            unreadable.append(
                Unreadable(stack, logical_id, "a resource policy that cannot be read")
            )
        for statement in statements_of(props.get(document_key)):
            if statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal")
            aws = principal.get("AWS") if isinstance(principal, Mapping) else None
            given = as_list(aws) if aws is not None else []
            if principal == "*" or "*" in given:
                # everyone, narrowed by the condition to principals it names, if it does
                aws = [a for a in given if a != "*"] + _narrowed_to(statement)
            if not aws:
                continue
            if "NotAction" in statement:
                unreadable.append(Unreadable(stack, logical_id, "an Allow with NotAction"))
                continue
            actions = [a for a in as_list(statement.get("Action") or []) if isinstance(a, str)]
            for value in as_list(aws):
                text = resolver.resolve(str(evaluator.canonicalize(value)), stack)
                if text == "*" or OAI_ARN.search(text):
                    continue
                root = _ROOT.match(text)
                if root and root.group(1) in (
                    stack.environment.account_text,
                    "${AWS::AccountId}",
                ):
                    # the store's own account: its principals' IAM policies decide who
                    # (the identity grants above), as the AWS Solutions Constructs'
                    # "owner only" statements write it
                    continue
                session = _SESSION.match(text)
                arn = (
                    f"arn:{stack.environment.partition_text}:iam::{root.group(1)}:root"
                    if root
                    # a role session: its role is the principal a key policy names for it
                    else f"arn:{session[1]}:iam::{session[2]}:role/{session[3]}"
                    if session
                    else text
                )
                origin = resolver.origins.get(arn)
                path = origin.path if origin else arn
                outside = (
                    root is not None
                    and root.group(1) not in app_accounts
                    and bool(actions)
                    and all(a.lower() == "s3:putobject" for a in actions)
                    and _under_aws_logs(statement)
                )
                for store in dict.fromkeys(targets):
                    if outside and store in service_accounts:
                        continue
                    for row in rows_of(store):
                        for action, applied in matching(row, actions, store):
                            out.append(
                                Grant(stack, logical_id, arn, path, store, action, applied,
                                      ("kms:*",), by_resource_policy=True)
                            )  # fmt: skip
    return out


def store_policies(
    assembly: CloudAssembly, stores: Mapping[tuple[int, str], Store], *, any_name: bool = False
) -> Iterator[tuple[StackTemplate, str, Mapping[str, Any], list[Store]]]:
    """``(stack, logical id, resource, the domain stores it applies to)`` for each resource
    policy of :data:`RESOURCE_POLICIES` that names a domain store (``any_name``: also the stores
    a text admitting any name may name)."""
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            kind = type_of(resource)
            if kind not in RESOURCE_POLICIES or not isinstance(resource.get("Properties"), dict):
                continue
            props = props_of(resource)
            targets: list[Store] = []
            for value in (
                v for k in RESOURCE_POLICIES[kind][0] for v in as_list(props.get(k) or [])
            ):
                found = stores_named(assembly, stack, value, stores, targets=True)
                targets += found.stores + (found.any_name if any_name else [])
            if targets:
                yield stack, logical_id, resource, targets


def _under_aws_logs(statement: Mapping[str, Any]) -> bool:
    """Whether every resource of ``statement`` is under an ``AWSLogs/`` folder, where Elastic
    Load Balancing writes ("bucket[/prefix]/AWSLogs/aws-account-id/elasticloadbalancing/...",
    Elastic Load Balancing, "Access logs for your Application Load Balancer",
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html)."""
    resources = as_list(statement.get("Resource") or [])
    return bool(resources) and all("/AWSLogs/" in str(evaluator.canonicalize(r)) for r in resources)


def _narrowed_to(statement: Mapping[str, Any]) -> list[Any]:
    """The principals a ``"*"`` statement's condition narrows it to: the literal role and user
    ARNs of ``aws:PrincipalArn``, the accounts of ``aws:PrincipalAccount`` (positive operators
    only). Everyone else is left to the key: ``DenyEveryoneElse`` refuses the principals the
    domain does not name, which is the pattern, not a fault of the app."""
    out: list[Any] = []
    condition = statement.get("Condition")
    for operator, block in condition.items() if isinstance(condition, Mapping) else ():
        if "not" in str(operator).lower() or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            name = str(key).lower()
            for value in as_list(values):
                if not isinstance(value, str) or "*" in value or "?" in value:
                    continue
                if name == "aws:principalarn":
                    out.append(value)
                elif name == "aws:principalaccount":
                    out.append(f"arn:aws:iam::{value}:root")
    return out

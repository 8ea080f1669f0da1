"""Which roles the app wires to which domain stores: a workload resource whose properties
reference both a role of the app and a domain store (a function's ``Role`` and its environment's
queue URL, a task definition's task role and a container's bucket name, a state machine's role
and its definition's table, an instance's profile and the stream named in its user data).

The identity audit reads a grant on every resource (``"*"``, or an ARN admitting any name of the
store's type) as meant for no store in particular (CDKP025, a warning) and wildcard actions there
not at all (``sqs:*`` on ``"*"`` may be meant for other queues). A role the app wires to a domain
store may be meant to use it: its wildcard grants there are read too, still as CDKP025 (a grant on
everything does not say which store it is for; found silent by an attack: a function given
``AmazonKinesisReadOnlyAccess`` and a domain stream's name in its environment). A principal whose
policies name the store explicitly has said what it does with it: its grants on everything are
not read for that store (a role writing a second domain's stream was told to read it).

Not wiring: IAM's own resources (a policy, a Deny guardrail naming the role and the store) and the
stores' resource policies, which say who may, not who does; and an ECS task definition's
execution role, whose permissions "are made available to the agent ... but they aren't directly
accessible by the containers in the task" (Amazon ECS Developer Guide, "Amazon ECS task execution
IAM role", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html,
as an attack quoted it). Pure Python over the assembly's JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.principals import PrincipalResolver
from ..assembly.references import references
from ..assembly.stacks import walk
from .identity_policies import (
    RESOURCE_POLICIES,
    as_list,
    holders,
    own_principals,
    props_of,
    statements_of,
    type_of,
)
from .store_texts import Store, stores_named

__all__ = ["named_explicitly", "wired_to"]

#: The principals a wiring resource names (their type).
_PRINCIPALS = frozenset({"AWS::IAM::Role", "AWS::IAM::User"})
#: An instance profile stands for its roles ("An instance profile is a container for an IAM role
#: that allows Amazon EC2 to pass the IAM role to an instance when the instance is launched",
#: Amazon EC2 Auto Scaling User Guide, "IAM role for applications that run on Amazon EC2
#: instances", as an attack quoted it).
_PROFILE = "AWS::IAM::InstanceProfile"
#: Properties that name a role no workload code runs as, by type.
_NOT_RUN_AS: Mapping[str, tuple[str, ...]] = {"AWS::ECS::TaskDefinition": ("ExecutionRoleArn",)}


def _wiring(resource: Any) -> bool:
    kind = type_of(resource)
    return (
        isinstance(resource, dict)
        and isinstance(kind, str)
        and not kind.startswith(("AWS::IAM::", "AWS::KMS::"))
        and kind not in RESOURCE_POLICIES
    )


def wired_to(
    assembly: CloudAssembly, stores: Mapping[tuple[int, str], Store], resolver: PrincipalResolver
) -> frozenset[tuple[str, tuple[int, str]]]:
    """``(the principal's ARN as the key policy is evaluated with, (id of the store's stack, its
    logical id))`` for each role or user and domain store one workload resource of the app
    references both of (its properties, imports followed; an instance profile's roles), once
    per assembly."""
    cached = assembly.memo.get(("wired-principals",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    pairs: set[tuple[str, tuple[int, str]]] = set()
    for stack in assembly.stacks:
        for resource in stack.resources.values():
            if not _wiring(resource):
                continue
            props = dict(props_of(resource))
            for name in _NOT_RUN_AS.get(str(type_of(resource)), ()):
                props.pop(name, None)
            if not props:
                continue
            principals: list[tuple[StackTemplate, str]] = []
            found: list[tuple[int, str]] = []
            for where, target in _referenced(assembly, stack, props):
                kind = type_of(where.resources.get(target))
                if (id(where), target) in stores:
                    found.append((id(where), target))
                elif kind in _PRINCIPALS:
                    principals.append((where, target))
                elif kind == _PROFILE:
                    principals += _profile_roles(assembly, where, target)
            if found and principals:
                arns = [arn for arn, _ in own_principals(resolver, principals)]
                pairs.update((arn, store) for arn in arns for store in found)
    result = frozenset(pairs)
    assembly.memo[("wired-principals",)] = result
    return result


#: The intrinsics that point to a resource (``references`` follows an import to its export).
_POINTERS = frozenset({"Ref", "Fn::GetAtt", "Fn::ImportValue"})


def _referenced(
    assembly: CloudAssembly, stack: StackTemplate, value: Any
) -> Iterator[tuple[StackTemplate, str]]:
    """Every resource a ``Ref``, ``Fn::GetAtt`` or import anywhere in ``value`` points to, at
    any depth (inside ``Fn::Base64`` user data, a part a ``Fn::Select`` cuts of an ARN)."""
    for part in walk(value):
        if isinstance(part, dict) and len(part) == 1 and next(iter(part)) in _POINTERS:
            yield from references(assembly.exports, stack, part, whole=True)


def _profile_roles(
    assembly: CloudAssembly, stack: StackTemplate, logical_id: str
) -> list[tuple[StackTemplate, str]]:
    """The roles of the app an instance profile holds (its ``Roles``: a name, or a part of an
    ARN, as the CDK writes an imported role)."""
    roles = props_of(stack.resources.get(logical_id)).get("Roles") or []
    return [
        (where, target)
        for where, target in _referenced(assembly, stack, roles)
        if type_of(where.resources.get(target)) in _PRINCIPALS
    ]


def named_explicitly(
    assembly: CloudAssembly, stores: Mapping[tuple[int, str], Store]
) -> frozenset[tuple[str, tuple[int, str]]]:
    """``(principal ARN, store)`` for each domain store an Allow statement of the principal's
    identity policies names (not by ``"*"`` or a text admitting any name), once per assembly."""
    cached = assembly.memo.get(("explicit-principals",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    pairs: set[tuple[str, tuple[int, str]]] = set()
    for holder in holders(assembly)[0]:
        for document in holder.documents:
            for statement in statements_of(document):
                if statement.get("Effect") != "Allow":
                    continue
                for value in as_list(statement.get("Resource") or []):
                    for store in stores_named(assembly, holder.stack, value, stores).stores:
                        pairs.update((arn, (id(store.stack), store.logical_id))
                                     for arn, _ in holder.principals)  # fmt: skip
    result = frozenset(pairs)
    assembly.memo[("explicit-principals",)] = result
    return result

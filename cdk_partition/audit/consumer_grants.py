"""Grants the wiring shows (issue #19, "derive from the wiring"): a Lambda event source mapping
on a domain store makes Lambda read the store with the function's execution role, whatever
policies the template shows for that role (an AWS managed policy is not in the template, and a
grant on ``"*"`` names no store). Each mapping becomes the grants of the actions AWS lists for
the source (:data:`cdk_partition.knowledge.consumers.CONSUMERS`), decided against the key like
any identity grant (CDKP019); a mapping whose function's role cannot be followed is CDKP020.

A principal whose identity policy already grants it, by naming the store, actions that need the
same KMS requests is checked there; the mapping adds nothing then. Pure Python over the assembly's JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.principals import PrincipalResolver
from ..assembly.references import references
from ..knowledge.consumers import CONSUMERS_BY_TYPE, Consumer
from ..knowledge.run_roles import roles_at
from ..policy import evaluator
from .identity_grants import Grant, Unreadable, matching, rows_of
from .identity_policies import role_arn
from .rules import short
from .store_texts import Store, stores_named

__all__ = ["consumer_grants"]

#: a function reached through what stands for it (an alias or a version names its function)
_FUNCTION_OF = {"AWS::Lambda::Alias": "FunctionName", "AWS::Lambda::Version": "FunctionName"}
_MAX_HOPS = 4


def consumer_grants(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stores: Mapping[tuple[int, str], Store],
    existing: list[Grant],
    identity_kms: Callable[[str], tuple[str, ...]],
    unreadable: list[Unreadable],
) -> list[Grant]:
    """The grants of every :data:`CONSUMERS` resource of the assembly on a store of ``stores``
    that ``existing`` (the identity and resource policy grants) does not already hold by name;
    ``identity_kms``: principal ARN -> the KMS action patterns its own policies allow."""
    named = {(g.principal_arn, id(g.store.stack), g.store.logical_id, g.row.kms_requests)
             for g in existing if not g.by_star}  # fmt: skip
    out: list[Grant] = []
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            kind = resource.get("Type") if isinstance(resource, dict) else None
            rows = CONSUMERS_BY_TYPE.get(kind, ()) if isinstance(kind, str) else ()
            props = resource.get("Properties") if rows else None
            if not isinstance(props, dict):
                continue
            for consumer in rows:
                for grant in _grants(assembly, resolver, stores, stack, logical_id, consumer,
                                     props, identity_kms, unreadable):  # fmt: skip
                    mark = (grant.principal_arn, id(grant.store.stack), grant.store.logical_id,
                            grant.row.kms_requests)  # fmt: skip
                    if mark not in named:  # the same requests are checked on a grant by name
                        out.append(grant)
    return out


def _grants(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stores: Mapping[tuple[int, str], Store],
    stack: StackTemplate,
    logical_id: str,
    consumer: Consumer,
    props: Mapping[str, Any],
    identity_kms: Callable[[str], tuple[str, ...]],
    unreadable: list[Unreadable],
) -> Iterator[Grant]:
    calls = consumer.tasks_of(props)
    if calls is None:  # a definition that cannot be read: its stores, if any, fail closed
        named = [stores[(id(t[0]), t[1])] for t in references(assembly.exports, stack, props)
                 if (id(t[0]), t[1]) in stores]  # fmt: skip
        if named:
            unreadable.append(Unreadable(stack, logical_id, (
                f"{consumer.what} cannot be read (a definition in S3, or text that is not "
                f"JSON), and the resource names {named[0].path} of domain {named[0].domain!r}")))  # fmt: skip
        return
    found_calls = [
        (target, [s for value in values
                  for s in stores_named(assembly, stack, value, stores).stores
                  if consumer.actions_on(str(s.resource.get("Type")), target)], credentials)
        for target, values, credentials in (
            (evaluator.canonicalize(t) if t is not None else None, v, c) for t, v, c in calls
        )
    ]  # fmt: skip
    if not any(found for _, found, _ in found_calls):
        return
    own: tuple[str, str] | None = None
    for target, found, credentials in found_calls:
        if not found:
            continue
        if credentials is not None:  # the task's own role (Credentials), not the resource's
            principal = role_arn(resolver, stack, credentials)
            if principal is None:
                unreadable.append(Unreadable(stack, logical_id, (
                    f"{consumer.what} calls with the role its Credentials name "
                    f"({short(credentials)}), which cannot be followed")))  # fmt: skip
                continue
        else:
            own = own or _principal(assembly, resolver, stack, logical_id, consumer, props,
                                    unreadable)  # fmt: skip
            if own is None:
                return
            principal = own
        arn, path = principal
        for store in dict.fromkeys(found):
            yield from _store_grants(consumer, stack, logical_id, target, store, arn, path,
                                     identity_kms, unreadable)  # fmt: skip


def _principal(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stack: StackTemplate,
    logical_id: str,
    consumer: Consumer,
    props: Mapping[str, Any],
    unreadable: list[Unreadable],
) -> tuple[str, str] | None:
    """(ARN, construct path) of the role ``consumer``'s resource makes its calls with; None,
    noted as unreadable, when it cannot be followed."""
    role_value = roles_at(props, consumer.role_property)
    principal = (
        None if len(role_value) != 1
        else _function_role(assembly, resolver, stack, role_value[0])
        if consumer.role_of == "function"
        else role_arn(resolver, stack, role_value[0])
    )  # fmt: skip
    if principal is None:
        whose = ("the execution role of the function " if consumer.role_of == "function"
                 else "the role ")  # fmt: skip
        unreadable.append(Unreadable(stack, logical_id, (
            f"{consumer.cfn_type} uses a domain store ({consumer.store_property}) with "
            f"{whose}its {consumer.role_property} names, and that role cannot be followed"),
            fix=(f"name {whose.strip()} by a reference the template shows (a resource of the "
                 "app); for one outside the app, name its role in the key "
                 "(`domain.grant_read(iam.Role.from_role_arn(scope, id, <its ARN>))`, or "
                 "grant_write) and say so on this resource: `exempt(<this resource>, "
                 "'CDKP020', '<the role and the grant that names it>')`")))  # fmt: skip
    return principal


def _store_grants(
    consumer: Consumer,
    stack: StackTemplate,
    logical_id: str,
    target: Any,
    store: Store,
    arn: str,
    path: str,
    identity_kms: Callable[[str], tuple[str, ...]],
    unreadable: list[Unreadable],
) -> Iterator[Grant]:
    """The grants of the actions ``consumer`` makes on ``store`` (those of ``target``'s call);
    an operation of the store's own service naming none of its rows is unreadable."""
    actions = list(consumer.actions_on(str(store.resource.get("Type")), target))
    matched = False
    for row in rows_of(store):
        for action, applied in matching(row, actions, store):
            matched = True
            yield Grant(stack, logical_id, arn, path, store, action, applied,
                        identity_kms(arn), by_consumer=consumer.key)  # fmt: skip
    services = {a.split(":", 1)[0] for row in rows_of(store) for a in row.actions}
    if consumer.tasks and not matched and {a.split(":", 1)[0] for a in actions} & services:
        # an operation of the store's own service whose action names none of its rows
        # (an S3 copyObject, a multipart upload): what it asks of the key is unknown
        unreadable.append(Unreadable(stack, logical_id, (
            f"{consumer.what} calls {', '.join(actions)} on {store.path} of domain "
            f"{store.domain!r}, an operation whose KMS requests the audit cannot name"),
            fix=("name the role in the key for what the operation does with the store "
                 f"(`domain.grant_read(...)` / `grant_write(...)` of {arn}), and say so on this "
                 f"resource: `exempt(<this resource>, 'CDKP020', '<what {actions[0]} reads or "
                 "writes, and the grant>')`; an operation that reads and writes no data (a "
                 "delete, a purge) needs only the exemption")))  # fmt: skip


def _function_role(
    assembly: CloudAssembly, resolver: PrincipalResolver, stack: StackTemplate, value: Any
) -> tuple[str, str] | None:
    """(ARN, construct path) of the execution role of the function ``value`` names (a
    ``Ref``/``Fn::GetAtt`` of an ``AWS::Lambda::Function``, through an alias or a version, an
    import of one), None when it cannot be followed (a literal name, a function of no
    template)."""
    for _ in range(_MAX_HOPS):
        target = next(references(assembly.exports, stack, value), None)
        if target is None and isinstance(value, str):
            target = _function_named(assembly, stack, value)
        if target is None:
            return None
        stack, target_id = target
        resource = stack.resources.get(target_id)
        kind = resource.get("Type") if isinstance(resource, dict) else None
        props = resource.get("Properties") if isinstance(resource, dict) else None
        if not isinstance(props, dict):
            return None
        if kind == "AWS::Lambda::Function":
            return role_arn(resolver, stack, props.get("Role"))
        if kind not in _FUNCTION_OF:
            return None
        value = props.get(_FUNCTION_OF[kind])
    return None


def _function_named(
    assembly: CloudAssembly, stack: StackTemplate, name: str
) -> tuple[StackTemplate, str] | None:
    """The function of the assembly whose literal ``FunctionName`` is ``name`` (a function
    name, or the last part of its ARN), in the account and region the ARN names (``stack``'s for
    a name); None when none, or more than one, is (was an unfollowable role: a false CDKP020,
    found by an attack; a name deployed in two regions is two functions)."""
    wanted = name.rsplit(":function:", 1)[-1].split(":", 1)[0]
    # an ARN says where the function is ("arn:aws:lambda:<region>:<account>:function:<name>");
    # a bare name is the stack's own account and region
    parts = name.split(":")
    where = (
        (parts[4], parts[3]) if name.startswith("arn:") and len(parts) > 6
        else (stack.environment.account, stack.environment.region)
    )  # fmt: skip
    found = [
        (other, logical_id)
        for other in assembly.stacks
        if (other.environment.account, other.environment.region) == where
        for logical_id, resource in other.resources.items()
        if isinstance(resource, dict)
        and resource.get("Type") == "AWS::Lambda::Function"
        and (resource.get("Properties") or {}).get("FunctionName") == wanted
    ]
    return found[0] if len(found) == 1 else None

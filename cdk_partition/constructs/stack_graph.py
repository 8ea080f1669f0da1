"""Which stacks a stack deploys after, directly or through others: the references its resources
make (``Ref``, ``Fn::GetAtt``, read in the native half by ``StackReferences``) and the
dependencies added with ``add_dependency``. Read at synth, only for the stacks of a principal
granted from another stack (never per construct)."""

from __future__ import annotations

from collections import deque

import aws_cdk as cdk
from constructs import IConstruct

from ._native import StackReferences

__all__ = ["construct_at", "deploys_after", "refuse_cyclic_grants"]


def construct_at(root: IConstruct, path: str) -> IConstruct | None:
    """The construct at ``path`` (``Stack/Scope/Id``) under the app ``root``, or None."""
    node: IConstruct | None = root
    for part in path.split("/") if path else []:
        node = node.node.try_find_child(part) if node is not None else None
    return node


def _stack_at(root: IConstruct, path: str) -> cdk.Stack | None:
    node = construct_at(root, path)
    return node if isinstance(node, cdk.Stack) else None


def deploys_after(start: cdk.Stack, targets: set[str]) -> list[str] | None:
    """The shortest chain of stack paths from ``start`` to one of ``targets`` (construct paths)
    that ``start`` deploys after (``[start, ..., target]``), or None when it deploys after none
    of them. Breadth first over references and explicit dependencies; each stack read once."""
    root = start.node.root
    parents: dict[str, str | None] = {start.node.path: None}
    stacks = {start.node.path: start}
    queue = deque([start.node.path])
    while queue:
        path = queue.popleft()
        if path in targets and path != start.node.path:
            chain = [path]
            while (parent := parents[chain[-1]]) is not None:
                chain.append(parent)
            return chain[::-1]
        stack = stacks[path]
        after = list(StackReferences.referenced_stacks(stack))
        after += [s.node.path for s in stack.dependencies]
        for nxt in after:
            if nxt in parents:
                continue
            found = _stack_at(root, nxt)
            if found is None:
                continue
            parents[nxt], stacks[nxt] = path, found
            queue.append(nxt)
    return None


def refuse_cyclic_grants(
    where: str, domain: str, grants: list[tuple[cdk.Stack, str, cdk.Stack]], key_stack: cdk.Stack
) -> None:
    """Raise, before the CDK's bare ``DependencyCycle``, when a principal given a store grant
    from another stack (``grants``: its stack, how the app named it, the store's stack) lives in
    a stack that deploys after the key's or the store's stack, directly (a token of one of its
    resources) or through other stacks (references and ``add_dependency``,
    :func:`deploys_after`): the key policy names the principal (the key's stack deploys after
    it) while its stack deploys after the store: no order deploys both."""
    seen: dict[tuple[str, str], list[str] | None] = {}
    for principal_stack, call, store_stack in grants:
        path = principal_stack.node.path
        targets = {key_stack.node.path, store_stack.node.path}
        marker = (path, store_stack.node.path)
        if marker not in seen:
            seen[marker] = deploys_after(principal_stack, targets)
        chain = seen[marker]
        if chain is None:
            continue
        target = chain[-1]
        how = (
            f"references stack {target!r}" if len(chain) == 2 else
            f"deploys after stack {target!r} through " + " -> ".join(map(repr, chain))
        )  # fmt: skip
        raise ValueError(
            f"{where}: {call} of {domain}: the principal lives in stack {path!r}, "
            f"which {how} (a token of a resource of the next stack, or add_dependency). "
            f"The key policy names the principal, so {key_stack.node.path!r} deploys after "
            f"{path!r}, while {path!r} deploys after {target!r}: a dependency cycle no "
            "deployment order resolves (and KMS needs the principal to exist when the key "
            "policy is written). Create the role in a stack that deploys before the domain's (a "
            "principals stack that references no domain resource), name that role in the grant, "
            f"and use it in {path!r} imported there "
            "(lambda_.Function(..., role=iam.Role.from_role_arn(self, id, role.role_arn)): the "
            "policies the CDK adds for the consumer's event sources and grants then stay in "
            f"{path!r}; passing the role object itself would put them in the principals stack, "
            "which would then reference the store), or put the consumer in the domain's stack."
        )

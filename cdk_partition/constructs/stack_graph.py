"""Which stacks a stack deploys after, directly or through others: the references its resources
make (``Ref``, ``Fn::GetAtt``, read in the native half by ``StackReferences``) and the
dependencies added with ``add_dependency``. Read at synth, only for the stacks of a principal
granted from another stack (never per construct)."""

from __future__ import annotations

from collections import deque

import aws_cdk as cdk

from ._native import StackReferences

__all__ = ["deploys_after"]


def _stack_at(root: cdk.App | cdk.Stage | object, path: str) -> cdk.Stack | None:
    node = root
    for part in path.split("/"):
        child = node.node.try_find_child(part)  # type: ignore[attr-defined]
        if child is None:
            return None
        node = child
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

"""Which roles the app wires to which domain stores: a resource whose properties reference both a
role of the app and a domain store (a function's ``Role`` and its environment's queue URL, a task
definition's task role and a container's bucket name, a state machine's role and its
definition's table).

The identity audit reads a grant on every resource (``"*"``, or an ARN admitting any name of the
store's type) as meant for no store in particular (CDKP025, a warning, and wildcard actions not
at all: ``sqs:*`` on ``"*"`` may be meant for other queues). A role the app wires to a domain
store is meant to use it: its grant there is the store's, and the key refusing its requests
fails that resource at run time (found silent by an attack: a function given
``AmazonSQSFullAccess`` and a domain queue's URL in its environment). Pure Python over the
assembly's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.principals import PrincipalResolver
from ..assembly.references import references
from ..policy import evaluator
from .identity_policies import own_principals, props_of, type_of
from .store_texts import Store

__all__ = ["wired_to"]

#: The principals a wiring resource names (their type).
_PRINCIPALS = frozenset({"AWS::IAM::Role", "AWS::IAM::User"})


def wired_to(
    assembly: CloudAssembly, stores: Mapping[tuple[int, str], Store], resolver: PrincipalResolver
) -> frozenset[tuple[str, tuple[int, str]]]:
    """``(the principal's ARN as the key policy is evaluated with, (id of the store's stack, its
    logical id))`` for each role or user and domain store one resource of the app references
    both of (its properties, imports followed), once per assembly."""
    cached = assembly.memo.get(("wired-principals",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    pairs: set[tuple[str, tuple[int, str]]] = set()
    for stack in assembly.stacks:
        for resource in stack.resources.values():
            if type_of(resource) in _PRINCIPALS or not isinstance(resource, dict):
                continue
            props = props_of(resource)
            if not props:
                continue
            principals: list[tuple[StackTemplate, str]] = []
            found: list[tuple[int, str]] = []
            text = json.dumps(evaluator.canonicalize(props))  # its placeholders, one text
            for where, target in references(assembly.exports, stack, text):
                if (id(where), target) in stores:
                    found.append((id(where), target))
                elif type_of(where.resources.get(target)) in _PRINCIPALS:
                    principals.append((where, target))
            if found and principals:
                arns = [arn for arn, _ in own_principals(resolver, principals)]
                pairs.update((arn, store) for arn in arns for store in found)
    result = frozenset(pairs)
    assembly.memo[("wired-principals",)] = result
    return result

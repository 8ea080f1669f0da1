"""Dependency cycles among a template's resources, found before CloudFormation refuses the stack.

Pure Python over a template as JSON (no aws_cdk import), so the audit can report a cycle the way
CloudFormation would, at synth time. The cycle this project meets: a domain bucket that notifies a
domain queue makes the key policy allow S3 on a condition that names the bucket's ARN, while the
bucket's default encryption names the key: ``Bucket -> Key -> Bucket``.

What makes one resource depend on another (CloudFormation User Guide, "DependsOn attribute",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html):

    "When you add a DependsOn attribute to a resource, that resource is created only after the
    creation of the resource specified in the DependsOn attribute." ... "Dependent stacks also have
    implicit dependencies in the form of target properties !Ref, !GetAtt, and !Sub. For example,
    if the properties of resource A use a !Ref to resource B, the following rules apply: Resource
    B is created before resource A. Resource A is deleted before resource B. Resource B is updated
    before resource A."

    "The DependsOn attribute can take a single string or list of strings."

``Fn::Sub`` variables are references too (User Guide, "Fn::Sub",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html):
"If you specify template parameter names or resource logical IDs, such as
${InstanceTypeParameter}, CloudFormation returns the same values as if you used the Ref intrinsic
function. If you specify resource attributes, such as ${MyInstance.PublicIp}, CloudFormation
returns the same values as if you used the Fn::GetAtt intrinsic function." and "To write a dollar
sign and curly braces (${}) literally, add an exclamation point (!) after the open curly brace,
such as ${!Literal}. CloudFormation resolves this text as ${Literal}." A name defined in the
variable map of ``[string, {vars}]`` is that variable, not a resource; the values of the map are
read like any other value.

Where references count. Intrinsic functions may appear in a resource's properties, its
``Metadata`` and its update policy (User Guide, "Intrinsic function reference",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html:
"Currently, you can use intrinsic functions in resource properties, outputs, metadata attributes,
and update policy attributes."), and CloudFormation resolves them there (User Guide, "Metadata
attribute",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-metadata.html: "you
can use intrinsic functions (such as Fn::GetAtt and Ref), parameters, and pseudo parameters within
the Metadata attribute to add those interpreted values"). A resource cannot record the interpreted
value of another resource before that resource exists, so a ``Ref`` in ``Metadata`` is a
dependency: practitioners rely on exactly that to express a conditional ``DependsOn`` (cloudonaut,
"Optional DependsOn with CloudFormation: Metadata to the rescue",
https://cloudonaut.io/optional-dependson-with-cloudformation-metadata-to-the-rescue: "the
Metadata attribute of AutoScalingGroup includes a conditional reference to VPCEndpointForDynamoDB.
When HasDynamoDB is true, the !Ref VPCEndpointForDynamoDB effectively creates an implicit
dependency"), and cfn-lint's dependency graph (rule E3004) reads every reference under a resource.
So every attribute of a resource declaration is searched except ``Type``, ``Condition`` (the name
of a condition, and conditions may only use parameters) and ``DependsOn`` (names, read as such).
Plain strings never count, so the CDK's ``aws:cdk:path`` metadata adds nothing. ``Outputs``,
``Conditions``, ``Parameters`` and ``Rules`` are not resources and depend on nothing here.

Both branches of ``Fn::If`` count: the detector does not evaluate conditions, so it reports a cycle
that exists for some parameter values (a CDK app synthesizes concrete templates, so this is
rarely a difference).

What CloudFormation says when the graph has a cycle (AWS Knowledge Center, "How do I resolve
circular dependency errors with AWS SAM templates in CloudFormation?",
https://repost.aws/knowledge-center/cloudformation-circular-dependency-sam): "Circular dependency
between resources: [Function, Bucket, FunctionRole, FunctionUploadPermission]." and what a cycle
is (AWS Infrastructure & Automation Blog, "Handling circular dependency errors in AWS
CloudFormation",
https://aws.amazon.com/blogs/infrastructure-and-automation/handling-circular-dependency-errors-in-aws-cloudformation/):
"A circular dependency, as the name implies, means that two resources are dependent on each other
or that a resource is dependent on itself".

The algorithms: strongly connected components by Tarjan's algorithm, iterative (no recursion
limit), linear in resources plus references; :func:`circular_components` gives the resources of
each cycle-bearing component, like CloudFormation's message. :func:`find_cycles` gives concrete
cycles: for each such component, first the shortest cycle through its smallest logical id
(breadth-first, linear), then the elementary cycles enumerated by Johnson's algorithm
(D. B. Johnson, "Finding all the elementary circuits of a directed graph", SIAM J. Comput. 4(1),
1975), iterative, up to ``limit`` cycles per component. A component can hold exponentially many
elementary cycles; with the limit the work is ``O(limit * (resources + references))``, and every
component is reported with at least its shortest cycle through its smallest id. Below the limit,
every elementary cycle is reported exactly once.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

__all__ = [
    "DEFAULT_CYCLE_LIMIT",
    "circular_components",
    "components",
    "dependencies",
    "find_cycles",
]

#: Elementary cycles :func:`find_cycles` reports per strongly connected component at most.
DEFAULT_CYCLE_LIMIT = 32

#: Attributes of a resource declaration that hold no references to resources (``DependsOn`` holds
#: names, read separately).
_NOT_SEARCHED = frozenset({"Type", "Condition", "DependsOn"})

#: ``${Name}``, ``${Name.Attr}``, ``${AWS::Region}``, ``${!Literal}``; spaces inside the braces are
#: ignored, as cfn-lint reads them.
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def dependencies(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each resource's logical id -> the logical ids of the resources it depends on.

    From ``DependsOn`` (a string or a list of strings) and from ``Ref``, ``Fn::GetAtt`` (``"X.Attr"``
    and ``["X", "Attr"]``) and ``Fn::Sub`` variables (``${X}``, ``${X.Attr}``; not ``${!Literal}``
    nor a variable of the ``[string, {vars}]`` map) anywhere in the declaration but ``Type`` and
    ``Condition``, however deeply nested in other functions (see the module docstring for why
    ``Metadata`` counts). Only references to resources of ``Resources`` count: pseudo parameters
    (``AWS::Region``...), template parameters and unknown names add nothing. Every resource is a
    key, with an empty set when it depends on nothing; a resource may depend on itself.
    """
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return {}
    declared = [lid for lid, body in resources.items() if isinstance(body, Mapping)]
    parameters = template.get("Parameters")
    targets = set(declared) - set(parameters if isinstance(parameters, Mapping) else ())
    graph: dict[str, set[str]] = {}
    for logical_id in declared:
        body = resources[logical_id]
        found: set[str] = set()
        depends_on = body.get("DependsOn")
        names = [depends_on] if isinstance(depends_on, str) else depends_on
        if isinstance(names, list):
            found.update(name for name in names if isinstance(name, str) and name in targets)
        _references(
            [value for key, value in body.items() if key not in _NOT_SEARCHED], targets, found
        )
        graph[logical_id] = found
    return graph


def components(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` (node -> successors), each sorted, in
    reverse topological order (a component comes after every component it reaches).

    Tarjan's algorithm, iterative; successors that are not nodes of ``graph`` are ignored.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[str, Iterator[str]]] = [(root, iter(graph[root]))]
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in graph:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph[succ])))
                    break
                if succ in on_stack and index[succ] < low[node]:
                    low[node] = index[succ]
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    if low[node] < low[parent]:
                        low[parent] = low[node]
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(sorted(component))
    return found


def circular_components(template: Mapping[str, Any]) -> list[list[str]]:
    """The resources of each dependency cycle's strongly connected component, sorted, ordered by
    their smallest logical id: what CloudFormation lists in "Circular dependency between
    resources: [...]". A resource that depends on itself is a component of one."""
    return _circular(dependencies(template))


def find_cycles(
    template: Mapping[str, Any], *, limit: int = DEFAULT_CYCLE_LIMIT
) -> list[list[str]]:
    """Dependency cycles among the template's resources, each once, as logical ids in dependency
    order (each depends on the next, the last on the first) starting from the cycle's smallest id.

    Grouped by component (ordered by the component's smallest id), shortest first within one,
    then by ids. Per component: the shortest cycle through its smallest id, then every other
    elementary cycle up to ``limit`` cycles in all (see the module docstring). ``[]`` when the
    template can be deployed in some order.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    graph = dependencies(template)
    cycles: list[list[str]] = []
    for component in _circular(graph):
        shortest = _shortest_cycle(graph, component)
        seen = {tuple(shortest)}
        found = [shortest]
        for cycle in _elementary_cycles(graph, component):
            if len(found) >= limit:
                break
            if tuple(cycle) not in seen:
                seen.add(tuple(cycle))
                found.append(cycle)
        cycles.extend(sorted(found, key=lambda cycle: (len(cycle), cycle)))
    return cycles


# -- references --------------------------------------------------------------------------------


def _references(value: Any, targets: Collection[str], found: set[str]) -> None:
    """Add to ``found`` the resources of ``targets`` that ``value`` references (iterative walk)."""
    pending: list[Any] = [value]
    containers = (dict, list)
    while pending:
        node = pending.pop()
        kind = type(node)  # JSON data: dicts and lists (exact types: faster than the ABCs)
        if kind is list:
            pending.extend(v for v in node if type(v) in containers)
            continue
        if kind is not dict and not isinstance(node, Mapping):
            continue
        for key, arg in node.items():
            if type(arg) not in containers and key not in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                continue  # a scalar that is no reference
            if key == "Ref":
                if isinstance(arg, str):
                    if arg in targets:
                        found.add(arg)
                else:
                    pending.append(arg)
            elif key == "Fn::GetAtt":
                if isinstance(arg, str):
                    name = arg.split(".", 1)[0]
                    if name in targets:
                        found.add(name)
                elif isinstance(arg, list) and arg:
                    if isinstance(arg[0], str):
                        if arg[0] in targets:
                            found.add(arg[0])
                    else:
                        pending.append(arg[0])
                    pending.extend(arg[1:])  # the attribute name may be a Ref to a parameter
                else:
                    pending.append(arg)
            elif key == "Fn::Sub":
                text, variables = _sub_parts(arg)
                if isinstance(text, str):
                    _sub_references(text, variables, targets, found)
                else:
                    pending.append(text)
                pending.extend(variables.values())
            else:
                pending.append(arg)


def _sub_parts(arg: Any) -> tuple[Any, Mapping[str, Any]]:
    """``Fn::Sub``'s string and variable map, from ``"text"`` or ``["text", {vars}]``."""
    if isinstance(arg, list):
        text = arg[0] if arg else None
        variables = arg[1] if len(arg) > 1 and isinstance(arg[1], Mapping) else {}
        return text, variables
    return arg, {}


def _sub_references(
    text: str, variables: Mapping[str, Any], targets: Collection[str], found: set[str]
) -> None:
    for match in _SUB_VARIABLE.finditer(text):
        name = match.group(1).strip()
        if not name or name.startswith("!") or name in variables:
            continue
        name = name.split(".", 1)[0]
        if name in targets:
            found.add(name)


# -- cycles ------------------------------------------------------------------------------------


def _circular(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The components of ``graph`` that hold a cycle (two members or more, or a self-reference)."""
    circular = [
        component
        for component in components(graph)
        if len(component) > 1 or component[0] in graph[component[0]]
    ]
    return sorted(circular)


def _shortest_cycle(graph: Mapping[str, Collection[str]], component: list[str]) -> list[str]:
    """The shortest cycle through the component's smallest member (breadth-first; successors in
    sorted order, so ties go to the smallest ids)."""
    start = component[0]
    members = set(component)
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in sorted(graph[node]):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            if succ in members and succ not in parent:
                parent[succ] = node
                queue.append(succ)
    raise AssertionError(f"no cycle through {start} in its component")  # pragma: no cover


def _elementary_cycles(
    graph: Mapping[str, Collection[str]], component: list[str]
) -> Iterator[list[str]]:
    """Every elementary cycle of one strongly connected component, each once and starting from its
    smallest member (Johnson's algorithm, iterative; lazily, so a caller can stop early)."""
    for node in component:
        if node in graph[node]:
            yield [node]
    pending = [component] if len(component) > 1 else []
    while pending:
        nodes = pending.pop()
        members = set(nodes)
        start = nodes[0]  # the smallest: every cycle found below starts with it
        succ = {
            node: sorted(s for s in graph[node] if s in members and s != node) for node in nodes
        }
        yield from _cycles_through(start, succ)
        rest = {node: [s for s in succ[node] if s != start] for node in nodes[1:]}
        nested = [c for c in components(rest) if len(c) > 1]
        pending.extend(sorted(nested, reverse=True))


def _cycles_through(start: str, succ: Mapping[str, list[str]]) -> Iterator[list[str]]:
    """Johnson's circuit search from ``start`` within one strongly connected component."""
    path = [start]
    blocked = {start}
    closed: set[str] = set()
    waiting: dict[str, set[str]] = {}  # Johnson's B lists: node -> nodes to unblock with it
    stack: list[tuple[str, Iterator[str]]] = [(start, iter(succ[start]))]
    while stack:
        node, successors = stack[-1]
        for nxt in successors:
            if nxt == start:
                yield path.copy()
                closed.update(path)
            elif nxt not in blocked:
                path.append(nxt)
                stack.append((nxt, iter(succ[nxt])))
                closed.discard(nxt)
                blocked.add(nxt)
                break
        else:
            if node in closed:
                _unblock(node, blocked, waiting)
            else:
                for nxt in succ[node]:
                    waiting.setdefault(nxt, set()).add(node)
            stack.pop()
            path.pop()


def _unblock(node: str, blocked: set[str], waiting: dict[str, set[str]]) -> None:
    pending = [node]
    while pending:
        current = pending.pop()
        if current in blocked:
            blocked.discard(current)
            pending.extend(waiting.pop(current, ()))

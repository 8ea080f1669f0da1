"""Principal values the templates can show, as structurally real ARNs.

:class:`PrincipalResolver` replaces the placeholders of a canonical key policy
(:func:`cdk_partition.policy.evaluator.canonicalize`) by what the assembly shows for them, as one
:class:`Substitutions` applied alike to the policy and to the requests against it;
:func:`principal_label` names a row of the access matrix by IAM name (``role/appA``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..marks import Environment
from ..policy import evaluator
from .model import CloudAssembly
from .references import placeholders
from .stacks import StackTemplate, resource_path, walk

#: CloudFormation type -> (ARN resource type, name property) of the IAM identities a key policy
#: can name.
_IAM_IDENTITIES = {"AWS::IAM::Role": ("role", "RoleName"), "AWS::IAM::User": ("user", "UserName")}
_IMPORT = "ImportValue:"
#: An export's value may itself import another (CloudFormation forbids cycles; stop anyway).
_MAX_DEPTH = 8


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def arn_parts(text: str) -> list[str] | None:
    """The six components of an ARN (colons inside placeholders do not split), else None."""
    parts: list[str] = []
    start = depth = 0
    for index, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif char == ":" and depth == 0 and len(parts) < 5:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts if len(parts) == 6 and parts[0] == "arn" else None


@dataclass(frozen=True)
class Origin:
    """The IAM role or user of the assembly an ARN was built from."""

    stack: StackTemplate
    logical_id: str
    resource: Mapping[str, Any]
    generated_name: bool
    """No ``RoleName``/``UserName``: CloudFormation generates ``<stack>-<logical id>-<random
    suffix>``; the ARN uses ``<stack>-<logical id>`` as its stand-in."""

    @property
    def path(self) -> str:
        """The construct path (``Principals/appA``; ``<stack>/<logical id>`` without metadata)."""
        return resource_path(self.stack, self.logical_id, self.resource).removesuffix("/Resource")


class PrincipalResolver:
    """Principal values the templates can show, as structurally real ARNs.

    The canonical form of a key policy (:func:`evaluator.canonicalize`) hides a role made in the
    app behind a placeholder: ``${ImportValue:Principals:ExportsOutputFnGetAttappA...}`` or
    ``${appA742DFF03.Arn}``. The evaluator rightly refuses to compare such a value with a wildcard
    ARN pattern (``DenyEveryoneElse`` exempts ``role/aws:ec2-infrastructure/*``). This resolver
    replaces what the assembly shows:

    * ``${ImportValue:<name>}``: the value of the output exported as ``<name>``
      (:attr:`CloudAssembly.exports`), resolved in the exporting stack;
    * ``${X.Arn}`` of an ``AWS::IAM::Role`` / ``AWS::IAM::User`` ``X``:
      ``arn:<partition>:iam::<account>:role/<Path><RoleName>`` (``user/...`` for users), with the
      stack's environment (``${AWS::Partition}`` / ``${AWS::AccountId}`` when agnostic); without
      ``RoleName`` / ``UserName`` CloudFormation generates the name, and ``<stack>-<logical id>``
      stands in for it (:attr:`Origin.generated_name`);
    * ``${X}`` (``Ref``) of such a role or user: its name, only inside a longer string (an ARN
      written with ``Fn::Sub``); a whole value that is a name is not an ARN and stays as it is;
    * ``${Nested.Outputs.X}`` (a nested stack's output) and ``${P}`` (``Ref`` of a nested stack's
      parameter): the value the nested stack's template, or its parent, writes there;
    * ``${AWS::AccountId}``, ``${AWS::Region}``, ``${AWS::Partition}``, ``${AWS::StackName}``: from
      the stack's environment and name, when known.

    Anything else stays a placeholder (and may stay undecidable).
    """

    def __init__(self, assembly: CloudAssembly) -> None:
        self.assembly = assembly
        self.origins: dict[str, Origin] = {}
        """ARN built -> the role or user it was built from."""

    def resolve(self, text: str, stack: StackTemplate, depth: int = 0) -> str:
        """``text`` (canonical) with every placeholder that ``stack`` shows replaced."""
        out: list[str] = []
        index = 0
        for start, end in placeholders(text):
            token = text[start:end]
            found = self.token(token, stack, depth)
            keep = found is None or (found[1] == "name" and token == text)
            out += [text[index:start], token if keep or found is None else found[0]]
            index = end
        return "".join(out) + text[index:]

    def token(self, token: str, stack: StackTemplate, depth: int = 0) -> tuple[str, str] | None:
        """(value, kind) of one placeholder in ``stack``'s template, kind ``arn``, ``name`` (of a
        role or user) or ``text``; None when the assembly does not show it."""
        inner = token[2:-1]
        if depth > _MAX_DEPTH:
            return None
        if inner.startswith(_IMPORT):
            name = self.resolve(inner.removeprefix(_IMPORT), stack, depth + 1)
            exported = self.assembly.exports.get(name)
            return None if exported is None else self._follow(*exported, depth + 1)
        if inner.startswith("AWS::"):
            value = self._pseudo(inner, stack)
            return None if value is None else (value, "text")
        logical_id, _, attribute = inner.partition(".")
        resource = stack.resources.get(logical_id)
        if not isinstance(resource, dict):
            return self._parameter(logical_id, stack, depth) if not attribute else None
        kind = resource.get("Type")
        if kind == "AWS::CloudFormation::Stack" and attribute.startswith("Outputs."):
            return self._nested_output(stack, logical_id, attribute.removeprefix("Outputs."), depth)
        if kind not in _IAM_IDENTITIES:
            return None
        if attribute == "Arn":
            return self._arn(stack, logical_id, resource, depth), "arn"
        if attribute == "":
            return self._name(stack, logical_id, resource, depth)[0], "name"
        return None

    def _follow(self, stack: StackTemplate, value: Any, depth: int) -> tuple[str, str] | None:
        """A value written in ``stack`` (an export, a nested stack's output, a parameter passed
        to a nested stack), resolved there."""
        canonical = evaluator.canonicalize(value)
        if not isinstance(canonical, str):
            return None
        if [(0, len(canonical))] == list(placeholders(canonical)):
            return self.token(canonical, stack, depth)
        resolved = self.resolve(canonical, stack, depth)
        # a placeholder of that stack would mean something else where the value is used
        leftover = [resolved[a:b] for a, b in placeholders(resolved)]
        if any(not t.startswith("${AWS::") for t in leftover):
            return None
        return resolved, "text"

    def _nested_output(
        self, stack: StackTemplate, logical_id: str, output: str, depth: int
    ) -> tuple[str, str] | None:
        """``Fn::GetAtt [Nested, Outputs.X]``: output ``X`` of the nested stack's template."""
        for nested in self.assembly.stacks:
            if nested.parent and nested.parent[0] is stack and nested.parent[1] == logical_id:
                outputs = nested.template.get("Outputs")
                found = outputs.get(output) if isinstance(outputs, dict) else None
                if isinstance(found, dict) and "Value" in found:
                    return self._follow(nested, found["Value"], depth + 1)
        return None

    def _parameter(self, name: str, stack: StackTemplate, depth: int) -> tuple[str, str] | None:
        """``Ref`` of a nested stack's parameter: the value its parent passes."""
        if stack.parent is None or name not in (stack.template.get("Parameters") or {}):
            return None
        parent, logical_id = stack.parent
        resource = parent.resources.get(logical_id) or {}
        passed = (resource.get("Properties") or {}).get("Parameters")
        if not isinstance(passed, dict) or name not in passed:
            return None
        return self._follow(parent, passed[name], depth + 1)

    @staticmethod
    def _pseudo(name: str, stack: StackTemplate) -> str | None:
        env: Environment = stack.environment
        if name == "AWS::AccountId":
            return env.account
        if name == "AWS::Region":
            return env.region
        if name == "AWS::Partition":
            return env.partition_text if env.region else None
        if name == "AWS::StackName" and stack.parent is None:
            return stack.name
        return None

    def _name(
        self, stack: StackTemplate, logical_id: str, resource: Mapping[str, Any], depth: int
    ) -> tuple[str, bool]:
        properties = resource.get("Properties")
        properties = properties if isinstance(properties, dict) else {}
        raw = properties.get(_IAM_IDENTITIES[resource["Type"]][1])
        if raw is None:  # CloudFormation generates <stack>-<logical id>-<suffix>
            return f"{stack.name.replace('/', '-')}-{logical_id}", True
        return self.resolve(_as_text(evaluator.canonicalize(raw)), stack, depth + 1), False

    def _arn(
        self, stack: StackTemplate, logical_id: str, resource: Mapping[str, Any], depth: int
    ) -> str:
        kind = _IAM_IDENTITIES[resource["Type"]][0]
        name, generated = self._name(stack, logical_id, resource, depth)
        properties = resource.get("Properties")
        raw_path = properties.get("Path", "/") if isinstance(properties, dict) else "/"
        path = self.resolve(_as_text(evaluator.canonicalize(raw_path)), stack, depth + 1)
        env = stack.environment
        arn = f"arn:{env.partition_text}:iam::{env.account_text}:{kind}{path}{name}"
        self.origins.setdefault(arn, Origin(stack, logical_id, resource, generated))
        return arn

    def substitutions(self, value: Any, stack: StackTemplate) -> Substitutions:
        """Every placeholder of the canonical ``value`` (a policy) that ``stack`` shows -> its
        value: the one map applied to the policy and to the requests."""
        values: dict[str, str] = {}
        names: set[str] = set()
        for text in _strings(value):
            for start, end in placeholders(text):
                token = text[start:end]
                if token in values:
                    continue
                resolved = self.token(token, stack)
                if resolved is not None:
                    values[token] = resolved[0]
                    if resolved[1] == "name":
                        names.add(token)
        return Substitutions(values, frozenset(names))


def _strings(value: Any) -> Iterator[str]:
    return (item for item in walk(value) if isinstance(item, str))


@dataclass(frozen=True)
class Substitutions:
    """Placeholder -> value, applied alike to a canonical policy and to the requests against it."""

    values: Mapping[str, str] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    """Placeholders of a role's or user's name (``Ref``): replaced only inside a longer string."""

    def apply(self, value: Any) -> Any:
        """``value`` with each placeholder replaced in every string (dict keys, such as condition
        operators and keys, hold none)."""
        if isinstance(value, str):
            if not self.values or "${" not in value:
                return value
            if value in self.names:
                return value
            if value in self.values:
                return self.values[value]
            out: list[str] = []
            index = 0
            for start, end in placeholders(value):
                token = value[start:end]
                out += [value[index:start], self.values.get(token, token)]
                index = end
            return "".join(out) + value[index:]
        if isinstance(value, dict):
            return {k: self.apply(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.apply(v) for v in value]
        return value


def principal_label(arn: str, account: str) -> str:
    """The IAM name of a role or user of ``account`` (``role/appA``, ``user/ci``, path included),
    else the whole value (another account's principal, an unresolved placeholder)."""
    parts = arn_parts(arn)
    if (
        parts is not None
        and parts[2] == "iam"
        and parts[4] == account
        and parts[5].startswith(("role/", "user/"))
    ):
        return parts[5]
    return arn

"""The access report: who can administer, read and write each domain's data.

Computed, not echoed: every principal the key policy names is put through the policy evaluator
(:mod:`cdk_partition.policy.evaluator`) for every KMS action, as IAM would decide it, so a statement added
by hand or by an escape hatch shows its real effect. Two probes stand for everyone else: an unnamed
role of the key's account whose own IAM policy allows ``kms:*``, and a role of another account.

Principals are evaluated as the ARNs the assembly shows (:class:`PrincipalResolver`): a role or
user imported from another stack (``Fn::ImportValue``) or named by ``Fn::GetAtt`` becomes
``arn:${AWS::Partition}:iam::${AWS::AccountId}:role/<path><name>``, by one substitution applied to
the whole key policy and to the requests, so wildcard ARN conditions can be decided and rows are
labelled by IAM name (``role/appA``, ``user/ci``), the construct path kept aside.

Each row is evaluated again with ``kms:ViaService`` set to every service value the policy names
(grant operations with ``kms:GrantIsForAWSResource`` true): what a principal gains only through a
service (the deployment role through Secrets Manager or EC2, a Firehose delivery role through S3)
is reported as ``via_services``, and anything the probes gain that way opens the key.

Stores whose service principal decrypts for whoever the service's own API lets read (log groups,
event buses: :data:`contracts.GATES`) get a matrix row of their own (read "via the service") and a
``REPORT-SERVICE-GATED`` warning: an IAM permission, not the key policy, decides who reads them.

Pure Python over templates (no aws_cdk import); the CLI's ``report`` command and the optional
synth-time report of the validation plugin both use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import audit
from ..assembly import (
    DEPLOYMENT_ROLE_METADATA_KEY,
    CloudAssembly,
    DomainKey,
    Environment,
    StackTemplate,
    resource_path,
)
from ..assembly.keys import KeyResolver
from ..audit import organization
from ..knowledge import catalogue
from ..knowledge.capabilities import (
    CAPABILITY_ACTIONS,
    DEFINING_ACTIONS,
    KMS_KEY_ACTIONS,
    LIBRARY_SIDS,
    PUBLISHER_SID_PREFIX,
    STORE_ROLES_SID_PREFIX,
    Capability,
)
from ..knowledge.contracts import GATES
from ..marks import parse_key_text, render
from ..policy import evaluator

ANY_OTHER_IN_ACCOUNT = "any other principal of the account"
ANY_OTHER_ACCOUNT = "any principal of another account"
#: The account of the "another account" probe (another one when the key's account is this one).
_FOREIGN_ACCOUNTS = ("999999999999", "888888888888")


@dataclass
class DomainReport:
    """One domain: its key, stores, access matrix and findings."""

    name: str
    key: dict[str, Any]
    stores: list[dict[str, Any]] = field(default_factory=list)
    access: dict[str, list[str]] = field(default_factory=dict)
    """Row label -> the capabilities the key policy gives it directly (no service in between)."""
    principals: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The access matrix, row label -> its details: ``kind`` (``named``, ``service_gated``,
    ``probe``), ``arn`` as evaluated, ``path`` (construct path of a role or user of the app, else
    None), ``capabilities`` (as in :attr:`access`), ``via_services``; see the README."""
    resolved: dict[str, str] = field(default_factory=dict)
    """Placeholder of the canonical key policy -> the value the assembly shows for it."""
    services: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "stores": self.stores,
            "access": self.access,
            "principals": self.principals,
            "resolved": self.resolved,
            "services": self.services,
            "findings": self.findings,
        }


@dataclass
class Report:
    domains: list[DomainReport]

    @property
    def has_errors(self) -> bool:
        return any(
            f["severity"] == "error" and not f.get("exempted")
            for d in self.domains
            for f in d.findings
        )

    def to_json(self) -> dict[str, Any]:
        return {"domains": [d.to_json() for d in self.domains]}


def capabilities_of(allowed: Iterable[str]) -> list[str]:
    """The capabilities a set of allowed actions amounts to (by their defining actions)."""
    allowed = set(allowed)
    return [c.value for c in Capability if set(DEFINING_ACTIONS[c]) & allowed]


# -- principal values the templates can show -----------------------------------------------------
#: CloudFormation type -> (ARN resource type, name property) of the IAM identities a key policy
#: can name.
_IAM_IDENTITIES = {"AWS::IAM::Role": ("role", "RoleName"), "AWS::IAM::User": ("user", "UserName")}
_IMPORT = "ImportValue:"
#: An export's value may itself import another (CloudFormation forbids cycles; stop anyway).
_MAX_DEPTH = 8


def _tokens(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each top-level ``${...}`` placeholder of a canonical string (braces inside
    a placeholder, as in ``${ImportValue:${AWS::StackName}-Arn}``, are balanced)."""
    index = 0
    while (start := text.find("${", index)) != -1:
        depth, end = 0, start + 1
        while end < len(text):
            if text[end] == "{":
                depth += 1
            elif text[end] == "}":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        if depth:
            return
        yield start, end + 1
        index = end + 1


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _arn_parts(text: str) -> list[str] | None:
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
        for start, end in _tokens(text):
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
        if [(0, len(canonical))] == list(_tokens(canonical)):
            return self.token(canonical, stack, depth)
        resolved = self.resolve(canonical, stack, depth)
        # a placeholder of that stack would mean something else where the value is used
        leftover = [resolved[a:b] for a, b in _tokens(resolved)]
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
            for start, end in _tokens(text):
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
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


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
            for start, end in _tokens(value):
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
    parts = _arn_parts(arn)
    if (
        parts is not None
        and parts[2] == "iam"
        and parts[4] == account
        and parts[5].startswith(("role/", "user/"))
    ):
        return parts[5]
    return arn


#: Grant operations: ``kms:GrantIsForAWSResource`` is in their request context (true when an AWS
#: service integrated with KMS creates the grant for a resource it manages for the caller).
_GRANT_ACTIONS = frozenset({"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"})


def _decide(
    policy: evaluator.CanonicalPolicy, request: evaluator.Request, via: str | None = None
) -> frozenset[str]:
    """The KMS actions ``policy`` allows ``request``'s caller, calling directly or, with ``via``,
    through that service (``kms:ViaService``; grant operations with ``kms:GrantIsForAWSResource``
    true). Raises :class:`ValueError` when the policy cannot be decided."""
    if via is None:
        return evaluator.allowed_actions(policy, request, KMS_KEY_ACTIONS)
    allowed = set()
    for action in KMS_KEY_ACTIONS:
        context = {"kms:ViaService": via}
        if action in _GRANT_ACTIONS:
            context["kms:GrantIsForAWSResource"] = "true"
        if evaluator.evaluate(policy, replace(request, action=action, context=context)) == "allow":
            allowed.add(action)
    return frozenset(allowed)


def _decide_or_note(
    policy: evaluator.CanonicalPolicy,
    request: evaluator.Request,
    via: str | None,
    errors: list[str],
) -> frozenset[str] | None:
    """:func:`_decide`, or None with the reason appended to ``errors`` (never a crash)."""
    try:
        return _decide(policy, request, via)
    except ValueError as error:
        errors.append(f"{f' through {via}' if via else ''}: {error}")
        return None


def _via_services(statements: list[Any]) -> list[str]:
    """Every ``kms:ViaService`` value the policy's conditions name (any operator), in order;
    patterns (``*.amazonaws.com``) are not services a request can come through."""
    found: list[str] = []
    for statement in statements:
        condition = statement.get("Condition") if isinstance(statement, dict) else None
        for block in (condition or {}).values() if isinstance(condition, dict) else ():
            if not isinstance(block, dict):
                continue
            for key, values in block.items():
                if key.lower() != "kms:viaservice":
                    continue
                for value in values if isinstance(values, list) else [values]:
                    bare = "".join(_untokened(value)) if isinstance(value, str) else "*"
                    if "*" not in bare and "?" not in bare and value not in found:
                        found.append(value)
    return found


def _untokened(text: str) -> Iterator[str]:
    """``text`` without its placeholders (whose ``*`` are not wildcards)."""
    index = 0
    for start, end in _tokens(text):
        yield text[index:start]
        index = end
    yield text[index:]


def service_name(via: str) -> str:
    """``secretsmanager.${AWS::Region}.amazonaws.com`` -> ``secretsmanager``."""
    return via.split(".", 1)[0]


def _probes(environment: Environment) -> dict[str, evaluator.Request]:
    """Everyone else: an unnamed role of the key's account whose own IAM policy allows
    ``kms:*``, and a role of another account."""
    account, partition = environment.account_text, environment.partition_text
    foreign = next(a for a in _FOREIGN_ACCOUNTS if a != environment.account)
    return {
        ANY_OTHER_IN_ACCOUNT: evaluator.Request(
            action="kms:Decrypt",
            principal_arn=f"arn:{partition}:iam::{account}:role/cdk-partition-report-unnamed",
            account=account,
            identity_allows=True,
        ),
        ANY_OTHER_ACCOUNT: evaluator.Request(
            action="kms:Decrypt",
            principal_arn=f"arn:{partition}:iam::{foreign}:role/cdk-partition-report-foreign",
            account=foreign,
            identity_allows=True,
        ),
    }


def _principal_values(statement: dict[str, Any]) -> tuple[list[Any], list[str]]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"], []
    if not isinstance(principal, dict):
        return [], []
    aws = principal.get("AWS", [])
    service = principal.get("Service", [])
    return (
        aws if isinstance(aws, list) else [aws],
        [
            str(evaluator.canonicalize(s))
            for s in (service if isinstance(service, list) else [service])
        ],
    )


def _service_entry(service: str, statement: Mapping[str, Any]) -> dict[str, Any]:
    """An AWS service's own statement: its Sid, actions and conditions (as evaluated)."""
    actions = statement.get("Action", statement.get("NotAction", []))
    condition = statement.get("Condition")
    condition = condition if isinstance(condition, dict) else {}
    return {
        "service": service,
        "sid": statement.get("Sid"),
        "actions": actions if isinstance(actions, list) else [actions],
        "not_action": "NotAction" in statement,
        "conditions": condition,
        "condition_keys": [
            f"{operator} {key}"
            for operator, block in condition.items()
            for key in (block if isinstance(block, dict) else {})
        ],
    }


def build_domain_report(
    key: DomainKey,
    assembly: CloudAssembly,
    findings: list[audit.Finding],
    resolver: KeyResolver,
    principals: PrincipalResolver | None = None,
    stores: list[dict[str, Any]] | None = None,
) -> DomainReport:
    """One domain's report; ``stores`` (from :func:`build_report`) adds the rows of readers the
    key does not gate (:data:`contracts.GATES`)."""
    principals = principals or PrincipalResolver(assembly)
    resource = key.stack.resources[key.logical_id]
    props = resource.get("Properties") or {}
    raw_policy = props.get("KeyPolicy") if isinstance(props.get("KeyPolicy"), dict) else {}
    canonical = evaluator.canonicalize(raw_policy)
    substitutions = principals.substitutions(canonical, key.stack)
    policy = evaluator.prepare(substitutions.apply(canonical))
    environment = key.stack.environment
    account = environment.account_text
    alias = next(
        (
            r["Properties"].get("AliasName")
            for r in key.stack.resources.values()
            if r.get("Type") == "AWS::KMS::Alias"
            and resolver.resolve((r.get("Properties") or {}).get("TargetKeyId"), key.stack).domain
            == key.name
        ),
        None,
    )
    report = DomainReport(
        name=key.name,
        key={
            "logical_id": key.logical_id,
            "stack": key.stack_name,
            "alias": alias,
            "path": key.path,
        },
        resolved=dict(substitutions.values),
    )

    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    named: dict[str, str] = {}  # principal as evaluated -> row label
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        aws, services = _principal_values(statement)
        for value in aws:
            if value != "*" and value not in named:
                label = principal_label(str(value), account)
                named[value] = label if label not in named.values() else str(value)
        for service in services:
            report.services.append(_service_entry(service, statement))
        sid = statement.get("Sid")
        if sid not in LIBRARY_SIDS and not str(sid).startswith(
            (PUBLISHER_SID_PREFIX, STORE_ROLES_SID_PREFIX)
        ):
            report.findings.append(
                {
                    "severity": "warning",
                    "rule": "REPORT-EXTRA-STATEMENT",
                    "message": f"statement {sid or '(no Sid)'} was not generated by cdk_partition; "
                    "its effect is included in the access matrix.",
                }
            )

    vias = _via_services(statements)
    held: dict[Capability, list[str]] = {c: [] for c in Capability}
    rows: list[tuple[str, evaluator.Request, dict[str, Any]]] = []
    for arn, label in named.items():
        parts = _arn_parts(arn)
        request = evaluator.Request(
            action="kms:Decrypt",
            principal_arn=arn,
            account=parts[4] if parts and parts[4] else account,
            identity_allows=True,
        )
        origin = principals.origins.get(arn)
        row: dict[str, Any] = {
            "kind": "named",
            "arn": arn,
            "path": origin.path if origin else None,
        }
        if origin is not None and origin.generated_name:
            row["generated_name"] = True
        rows.append((label, request, row))
    for probe_label, probe in _probes(environment).items():
        rows.append(
            (probe_label, probe, {"kind": "probe", "arn": probe.principal_arn, "path": None})
        )

    for label, request, row in rows:
        errors: list[str] = []
        allowed = _decide_or_note(policy, request, None, errors)
        capabilities = capabilities_of(allowed or ())
        via_services: dict[str, list[str]] = {}
        via_actions: dict[str, frozenset[str]] = {}  # service -> actions gained through it
        grants_via: list[str] = []
        for via in vias:
            through = _decide_or_note(policy, request, via, errors)
            if through is None:
                continue
            if through - (allowed or frozenset()):
                via_actions[via] = through - (allowed or frozenset())
            for capability in capabilities_of(through):
                if capability not in capabilities:
                    via_services.setdefault(capability, []).append(via)
            if "kms:CreateGrant" in through:
                grants_via.append(via)
        # a grant statement may name no service at all (AllowGrantsForAWSResources)
        any_service = replace(
            request, action="kms:CreateGrant", context={"kms:GrantIsForAWSResource": "true"}
        )
        try:
            if evaluator.evaluate(policy, any_service) == "allow":
                grants_via = ["any service"]
        except ValueError:
            pass  # the per-service answers stand
        row["capabilities"] = capabilities
        row["via_services"] = {
            c.value: via_services[c.value] for c in Capability if c in via_services
        }
        if grants_via:
            row["grants_for_aws_resources_via"] = grants_via
        if errors:
            row["undecidable"] = True
            more = f" (and {len(errors) - 1} more requests)" if len(errors) > 1 else ""
            report.findings.append(
                {
                    "severity": "error",
                    "rule": "REPORT-UNDECIDABLE",
                    "message": f"what {label} may do cannot be decided{errors[0]}{more}",
                }
            )
        report.access[label] = capabilities
        report.principals[label] = row

        if row["kind"] == "probe":
            reached = [", ".join(sorted(allowed))] if allowed else []
            reached += [f"{', '.join(sorted(a))} through {v}" for v, a in via_actions.items()]
            if grants_via == ["any service"]:
                reached.append("kms:CreateGrant for AWS resources through any service")
            if reached:
                report.findings.append(
                    {
                        "severity": "error",
                        "rule": "REPORT-OPEN-KEY",
                        "message": f"{label} may call {'; '.join(reached)}.",
                    }
                )
            continue
        for capability in capabilities:
            held[Capability(capability)].append(label)
        granted = {a for c in capabilities for a in CAPABILITY_ACTIONS[Capability(c)]}
        extra = sorted(set(allowed or ()) - granted)
        if extra:
            report.findings.append(
                {
                    "severity": "error",
                    "rule": "REPORT-BEYOND-CAPABILITY",
                    "message": f"{label} may call {', '.join(extra)}, beyond its capabilities "
                    f"({', '.join(capabilities) or 'none'}).",
                }
            )
        for via, gained in via_actions.items():
            there = sorted({*capabilities, *capabilities_of(gained)})
            covered = {a for c in there for a in CAPABILITY_ACTIONS[Capability(c)]}
            beyond = sorted(gained - covered - _GRANT_ACTIONS)
            if beyond:
                report.findings.append(
                    {
                        "severity": "error",
                        "rule": "REPORT-BEYOND-CAPABILITY",
                        "message": f"{label} may call {', '.join(beyond)} through {via}, beyond "
                        f"the capabilities it holds there ({', '.join(there)}).",
                    }
                )
    report.stores = list(stores or [])
    gated = _service_gated(report)
    order = {"named": 0, "service_gated": 1, "probe": 2}
    report.principals = dict(
        sorted({**report.principals, **gated}.items(), key=lambda item: order[item[1]["kind"]])
    )
    for capability, holders in held.items():
        if not holders:
            report.findings.append(
                {
                    "severity": "warning",
                    "rule": "REPORT-UNHELD-CAPABILITY",
                    "message": f"nobody holds {capability.value} on domain {key.name!r}.",
                }
            )

    for f in findings:
        if f.domain == key.name:
            report.findings.append(
                {"severity": f.severity, "rule": f.rule, "message": f.message, "path": f.path}
                | ({"exempted": True, "reason": f.reason} if f.exempted else {})
            )
    return report


def _stores(assembly: CloudAssembly, resolver: KeyResolver) -> dict[str, list]:
    """Domain -> stores whose key resolves to that domain's key (wherever they live)."""
    out: dict[str, list[dict[str, Any]]] = {k.name: [] for k in assembly.domain_keys}
    for stack, logical_id, resource in assembly.resources():
        properties = resource.get("Properties")
        uses = catalogue.classify(
            resource.get("Type", ""), properties if isinstance(properties, dict) else None
        )
        domains = {
            ref.domain
            for use in uses or []
            if use.state == "customer_key"
            for ref in [resolver.resolve(use.key, stack)]
            if ref.kind == "domain_key"
        }
        for domain in sorted(d for d in domains if d):
            out.setdefault(domain, []).append(
                {
                    "type": resource.get("Type"),
                    "stack": stack.name,
                    "logical_id": logical_id,
                    "path": resource_path(stack, logical_id, resource).removesuffix("/Resource"),
                }
                | _gate(resource.get("Type"))
            )
    return out


def _gate(resource_type: Any) -> dict[str, Any]:
    """Whom the key gates for a store (:data:`contracts.GATES`; types not listed: each reader)."""
    gate = GATES.get(resource_type) if isinstance(resource_type, str) else None
    if gate is None or gate.gates == "reader":
        return {"key_gates": "reader"}
    return {"key_gates": "service", "iam_permission": gate.iam_permission}


#: Store type -> (plural noun, the service that decrypts for its readers).
_GATED_NOUNS = {
    "AWS::Logs::LogGroup": ("log groups", "CloudWatch Logs"),
    "AWS::Events::EventBus": ("event buses", "EventBridge"),
}


def _service_gated(report: DomainReport) -> dict[str, dict[str, Any]]:
    """A row, and a ``REPORT-SERVICE-GATED`` warning, per kind of store whose data the key does
    not gate per reader: its service principal decrypts for whoever the service's own API lets
    read, so an IAM permission (:attr:`contracts.Gate.iam_permission`), not the key policy,
    decides who reads them."""
    rows: dict[str, dict[str, Any]] = {}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for store in report.stores:
        if store.get("key_gates") == "service":
            by_type.setdefault(store["type"], []).append(store)
    for store_type, stores in by_type.items():
        gate = GATES[store_type]
        noun, service = _GATED_NOUNS.get(store_type, (store_type, "the service"))
        permission = gate.iam_permission.split(" (", 1)[0].removesuffix(" on the bus")
        label = f"anyone AWS lets call {permission} on the domain's {noun}"
        paths = [s["path"] for s in stores]
        rows[label] = {
            "kind": "service_gated",
            "arn": None,
            "path": None,
            "capabilities": [],
            "via_services": {},
            "via_the_service": ["read"],
            "store_type": store_type,
            "stores": paths,
            "iam_permission": gate.iam_permission,
            "source": gate.source,
        }
        report.findings.append(
            {
                "severity": "warning",
                "rule": "REPORT-SERVICE-GATED",
                "message": f"the key does not gate each reader of {', '.join(paths)}: {service} "
                f"decrypts for whoever IAM lets call {gate.iam_permission}; that permission, "
                "not the key policy, decides who reads them.",
            }
        )
    return rows


def build_report(assembly: CloudAssembly | list[StackTemplate]) -> Report:
    """The report of every domain key found in the assembly (or list of templates)."""
    if not isinstance(assembly, CloudAssembly):
        assembly = CloudAssembly(list(assembly))
    resolver = KeyResolver(assembly)
    principals = PrincipalResolver(assembly)
    findings = audit.audit(assembly)
    stores = _stores(assembly, resolver)
    replicas = _replicas_by_primary(assembly, resolver)
    listed = {id(r) for rs in replicas.values() for r in rs}
    domains = []
    for key in sorted(assembly.domain_keys, key=lambda k: k.name):
        if id(key) in listed:
            continue  # in its primary's report: one domain, its keys per region
        try:
            domain = build_domain_report(
                key, assembly, findings, resolver, principals, stores.get(key.name, [])
            )
            if replicas.get(id(key)):
                domain.key["regions"] = [
                    {
                        "region": k.region,
                        "kind": "replica" if k.replica else "primary",
                        "logical_id": k.logical_id,
                        "stack": k.stack_name,
                        "path": k.path,
                    }
                    for k in [key, *replicas[id(key)]]
                ]
        except Exception as error:  # one unreadable key policy: a finding, never a crash
            domain = DomainReport(
                name=key.name,
                key={"logical_id": key.logical_id, "stack": key.stack_name, "path": key.path},
            )
            domain.findings.append(
                {
                    "severity": "error",
                    "rule": "REPORT-UNDECIDABLE",
                    "message": f"the report of this domain could not be built: {error!r}",
                }
            )
        domains.append(domain)
    return Report(domains)


def _replicas_by_primary(
    assembly: CloudAssembly, resolver: KeyResolver
) -> dict[int, list[DomainKey]]:
    """id of a multi-Region primary domain key -> its replica keys in the assembly (each
    ``AWS::KMS::ReplicaKey`` whose ``PrimaryKeyArn`` resolves to it): one domain."""
    out: dict[int, list[DomainKey]] = {}
    for key in assembly.domain_keys:
        if not key.replica:
            continue
        props = key.stack.resources[key.logical_id].get("Properties") or {}
        ref = resolver.resolve(props.get("PrimaryKeyArn"), key.stack)
        primary = ref.key
        if ref.kind == "domain_key" and primary is not None and not primary.replica:
            if primary.name == key.name:
                out.setdefault(id(primary), []).append(key)
    return out


# -- markdown --------------------------------------------------------------------------------
def _node_id(prefix: str, index: int) -> str:
    return f"{prefix}{index}"


def _quote(text: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _rows(domain: DomainReport) -> dict[str, dict[str, Any]]:
    """The matrix rows: :attr:`DomainReport.principals`, or the bare access map."""
    rows = dict(domain.principals)
    for label, capabilities in domain.access.items():
        rows.setdefault(label, {"capabilities": capabilities})
    return rows


def _services_text(vias: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(service_name(v) for v in vias))


def _cell(capability: str, row: Mapping[str, Any]) -> str:
    """``yes``, ``via s3, ec2``, ``via the service``, ``?`` (undecidable) or ``-``."""
    if capability in (row.get("capabilities") or []):
        return "yes"
    vias = (row.get("via_services") or {}).get(capability)
    if vias:
        return "via " + _services_text(vias)
    if capability in (row.get("via_the_service") or []):
        return "via the service"
    return "?" if row.get("undecidable") else "-"


def _principal_cell(label: str, row: Mapping[str, Any]) -> str:
    if row.get("generated_name") and row.get("path"):
        return f"`{label}` (`{row['path']}`)"
    return f"`{label}`"


def _gates_cell(store: Mapping[str, Any]) -> str:
    if store.get("key_gates") == "service":
        return f"the service: {store.get('iam_permission')}"
    return "each reader"


def _via_text(row: Mapping[str, Any]) -> str:
    """``read, write via s3`` (capabilities grouped by the services they come through)."""
    groups: dict[str, list[str]] = {}
    for capability, vias in (row.get("via_services") or {}).items():
        groups.setdefault(_services_text(vias), []).append(capability)
    text = "; ".join(f"{', '.join(caps)} via {services}" for services, caps in groups.items())
    through = row.get("via_the_service") or []
    return "; ".join(
        filter(None, [text, f"{', '.join(through)} via the service" if through else ""])
    )


def _regions_lines(key: Mapping[str, Any]) -> list[str]:
    """The keys of a multi-Region domain per region (primary and replicas); none otherwise."""
    regions = key.get("regions") or []
    if not regions:
        return []
    lines = [
        "Keys per region (a multi-Region key: the replicas share the primary's key id and "
        "material; each key policy is audited):",
        "",
        "| region | key | stack | construct path |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['region'] or '(deploy time)'} | {r['kind']} `{r['logical_id']}` | {r['stack']} "
        f"| `{r['path']}` |"
        for r in regions
    ]
    return [*lines, ""]


def to_markdown(report: Report) -> str:
    """The report as GitHub markdown with one Mermaid diagram per domain."""
    lines = ["# Data domain access report", ""]
    if not report.domains:
        lines.append("No data domain keys (KMS keys with `cdk_partition:domain` metadata) found.")
    for domain in report.domains:
        key = domain.key
        lines += [
            f"## Domain `{domain.name}`",
            "",
            f"Key `{key['logical_id']}` in stack `{key['stack']}`"
            + (f", alias `{key['alias']}`" if key.get("alias") else "")
            + f" ({key['path']}).",
            "",
            *_regions_lines(key),
            "### Who can reach the data",
            "",
            "| principal | administer | read | write |",
            "| --- | :---: | :---: | :---: |",
        ]
        rows = _rows(domain)
        for label, row in rows.items():
            marks = [_cell(c.value, row) for c in Capability]
            lines.append(f"| {_principal_cell(label, row)} | " + " | ".join(marks) + " |")
        notes = []
        if any(row.get("via_services") for row in rows.values()):
            notes.append(
                "`via <service>`: only in requests that come through that AWS service "
                "(`kms:ViaService`)."
            )
        if any(row.get("generated_name") for row in rows.values()):
            notes.append(
                "A role or user created without a name gets one from CloudFormation "
                "(`<stack>-<logical id>-<random suffix>`); `<stack>-<logical id>` stands in for it."
            )
        for note in notes:
            lines += ["", note]
        if domain.services:
            lines += [
                "",
                "AWS services allowed by their own statements (as service principals):",
                "",
                "| service | Sid | actions | conditions |",
                "| --- | --- | --- | --- |",
            ]
            for service in domain.services:
                actions = ", ".join(f"`{a}`" for a in service["actions"])
                if service.get("not_action"):
                    actions = f"all but {actions}"
                keys = ", ".join(f"`{k}`" for k in service.get("condition_keys", [])) or "none"
                lines.append(
                    f"| `{service['service']}` | {service['sid'] or '(no Sid)'} | {actions} "
                    f"| {keys} |"
                )
        lines += ["", "### Stores", ""]
        if domain.stores:
            lines += [
                "| type | stack | construct path | key gates |",
                "| --- | --- | --- | --- |",
            ]
            lines += [
                f"| {s['type']} | {s['stack']} | `{s['path']}` | {_gates_cell(s)} |"
                for s in domain.stores
            ]
        else:
            lines.append("No store uses this key.")
        lines += ["", "### Findings", ""]
        if domain.findings:
            for f in domain.findings:
                exempt = " (exempted: " + f["reason"] + ")" if f.get("exempted") else ""
                lines.append(f"- **{f['severity']}** `{f['rule']}` {f['message']}{exempt}")
        else:
            lines.append("None.")
        lines += ["", "```mermaid", "flowchart LR"]
        lines.append(f'  key(["{_quote(domain.name)} key<br/>{_quote(key.get("alias") or "")}"])')
        for index, (label, row) in enumerate(rows.items()):
            node = _node_id("p", index)
            capabilities = row.get("capabilities") or []
            via = _via_text(row)
            if capabilities or via:
                lines.append(f'  {node}["{_quote(label)}"]')
            if capabilities:
                lines.append(f"  {node} -->|{', '.join(capabilities)}| key")
            if via:
                lines.append(f"  {node} -.->|{_quote(via)}| key")
        for index, store in enumerate(domain.stores):
            node = _node_id("s", index)
            lines.append(
                f'  key --> {node}[("{_quote(store["type"])}<br/>{_quote(store["path"])}")]'
            )
        lines += ["```", ""]
    return "\n".join(lines).rstrip() + "\n"


# -- several assemblies: one report for the organisation ----------------------------------------
@dataclass
class OrgDomainReport:
    """One domain across the assemblies (:mod:`cdk_partition.audit.organization`): its keys per
    account and region, its stores in every account, and who can reach them (the owner's key
    policy, evaluated as for one assembly)."""

    name: str
    where: str
    owned_here: bool
    keys: list[dict[str, Any]] = field(default_factory=list)
    stores: list[dict[str, Any]] = field(default_factory=list)
    access: dict[str, list[str]] = field(default_factory=dict)
    principals: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    replica_access: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Region -> access of a replica key whose policy gives other access than the primary's."""
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "where": self.where,
            "owned_here": self.owned_here,
            "keys": self.keys,
            "stores": self.stores,
            "access": self.access,
            "principals": self.principals,
            "services": self.services,
            "replica_access": self.replica_access,
            "findings": self.findings,
        }


@dataclass
class OrgReport:
    assemblies: list[str]
    domains: list[OrgDomainReport]
    findings: list[dict[str, Any]] = field(default_factory=list)
    """Findings of no domain (a resource outside every domain's scope, a crash)."""

    @property
    def has_errors(self) -> bool:
        return any(
            f["severity"] == "error" and not f.get("exempted")
            for f in [*self.findings, *(f for d in self.domains for f in d.findings)]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "assemblies": self.assemblies,
            "domains": [d.to_json() for d in self.domains],
            "findings": self.findings,
        }


def spans_environments(assembly: CloudAssembly) -> bool:
    """The assembly holds domain references, or domain keys in more than one environment (the
    Stages of one app target several accounts or regions): its report is the organisation's."""
    if any(scope.key_arn for scope in assembly.scopes):
        return True
    places = {
        (k.stack.environment.account, k.stack.environment.region) for k in assembly.domain_keys
    }
    return len(places) > 1


def _finding_json(finding: audit.Finding, label: str) -> dict[str, Any]:
    return {
        "severity": finding.severity,
        "rule": finding.rule,
        "message": finding.message,
        "path": finding.path,
        "assembly": label,
    } | ({"exempted": True, "reason": finding.reason} if finding.exempted else {})


def build_org_report(
    members: list[organization.Member],
    audited: dict[str, list[audit.Finding]] | None = None,
) -> OrgReport:
    """The report of every domain of ``members`` (several assemblies, or one whose Stages target
    several environments), joined by :func:`organization.domains`. ``audited`` (label -> the
    findings of :func:`organization.audit_members`) saves auditing again."""
    org = organization.domains(members)
    audited = audited or organization.audit_members(members)
    resolvers = {m.label: KeyResolver(m.assembly) for m in members}
    principals = {m.label: PrincipalResolver(m.assembly) for m in members}
    key_of: dict[tuple[str, int, str], tuple[organization.OrgDomain, organization.OrgKey]] = {}
    refs: list[tuple[organization.OrgDomain, organization.OrgKey]] = []
    for domain in org.domains:
        for key in domain.keys:
            if key.logical_id is not None:
                key_of[(key.member.label, id(key.stack), key.logical_id)] = (domain, key)
            else:
                refs.append((domain, key))
    reports = {
        id(d): OrgDomainReport(d.name, d.where(), d.owned_here, [k.to_json() for k in d.keys])
        for d in org.domains
    }
    for member in members:
        for domain, _key, store in _org_stores(member, resolvers[member.label], key_of, refs):
            reports[id(domain)].stores.append(store)
    for domain in org.domains:
        report = reports[id(domain)]
        primary = domain.primary or next((k for k in domain.keys if k.kind == "replica"), None)
        created = [k for k in domain.keys if k.kind != "reference"]
        for key in created:
            member = key.member
            domain_key = DomainKey(key.domain, key.stack, key.logical_id or "", key.path)
            own_stores = [s for s in report.stores if s["assembly"] == member.label]
            try:
                built = build_domain_report(
                    domain_key,
                    member.assembly,
                    [],
                    resolvers[member.label],
                    principals[member.label],
                    own_stores,
                )
            except Exception as error:  # one unreadable key policy: a finding, never a crash
                report.findings.append(
                    {
                        "severity": "error",
                        "rule": "REPORT-UNDECIDABLE",
                        "message": f"the access of key {key.path} could not be computed: {error!r}",
                        "assembly": member.label,
                    }
                )
                continue
            if key is primary:
                report.access, report.principals = built.access, built.principals
                report.services = built.services
                report.findings += [f | {"assembly": member.label} for f in built.findings]
            elif primary is not None and _beside_deployment(
                built.access, built.principals, key
            ) != _beside_deployment(report.access, report.principals, primary):
                report.replica_access[key.region or key.path] = built.access
                report.findings.append(
                    {
                        "severity": "warning",
                        "rule": "REPORT-REPLICA-ACCESS",
                        "message": f"the replica key {key.path} ({key.region}) gives other access "
                        "than the primary key: a replica's key policy is its own (AWS KMS API "
                        'Reference, "ReplicateKey").',
                        "assembly": member.label,
                    }
                )
    unplaced: list[dict[str, Any]] = []
    for member in members:
        for finding in audited.get(member.label, []):
            target = _domain_of_finding(finding, member, org.domains)
            (reports[id(target)].findings if target else unplaced).append(
                _finding_json(finding, member.label)
            )
    return OrgReport([m.label for m in members], [reports[id(d)] for d in org.domains], unplaced)


def _beside_deployment(
    access: Mapping[str, list[str]],
    principals: Mapping[str, Mapping[str, Any]],
    key: organization.OrgKey,
) -> dict[str, list[str]]:
    """``access`` without the row of ``key``'s own deployment role: the CloudFormation execution
    role of each region's stack administers its key (the bootstrap roles are per region), so a
    replica differs from its primary there by design, not by policy."""
    resource = key.stack.resources.get(key.logical_id or "")
    metadata = (resource or {}).get("Metadata") if isinstance(resource, dict) else None
    value = metadata.get(DEPLOYMENT_ROLE_METADATA_KEY) if isinstance(metadata, dict) else None
    text = render(value) if value is not None else None
    name = text.rsplit(":", 1)[-1] if text else None  # role/<path><name>
    return {
        label: caps
        for label, caps in access.items()
        if not (name and str((principals.get(label) or {}).get("arn", "")).endswith(":" + name))
    }


def _org_stores(
    member: organization.Member,
    resolver: KeyResolver,
    key_of: Mapping[tuple[str, int, str], tuple[organization.OrgDomain, organization.OrgKey]],
    refs: list[tuple[organization.OrgDomain, organization.OrgKey]],
) -> Iterator[tuple[organization.OrgDomain, organization.OrgKey, dict[str, Any]]]:
    """(domain, key, store row) for every store of ``member`` on a key of a domain."""
    for stack, logical_id, resource in member.assembly.resources():
        properties = resource.get("Properties")
        uses = catalogue.classify(
            resource.get("Type", ""), properties if isinstance(properties, dict) else None
        )
        found: dict[int, tuple[organization.OrgDomain, organization.OrgKey]] = {}
        for use in uses or []:
            if use.state != "customer_key":
                continue
            hit = _org_key(member, resolver, stack, use.key, key_of, refs)
            if hit is not None:
                found.setdefault(id(hit[1]), hit)
        for domain, key in found.values():
            env = stack.environment
            yield (
                domain,
                key,
                {
                    "type": resource.get("Type"),
                    "account": env.account,
                    # where the data lives: a global table's replica in its key's region
                    "region": key.region or env.region,
                    "assembly": member.label,
                    "stack": stack.name,
                    "logical_id": logical_id,
                    "path": resource_path(stack, logical_id, resource).removesuffix("/Resource"),
                    "key": key.kind,
                    "key_region": key.region,
                }
                | _gate(resource.get("Type")),
            )


def _org_key(
    member: organization.Member,
    resolver: KeyResolver,
    stack: StackTemplate,
    value: Any,
    key_of: Mapping[tuple[str, int, str], tuple[organization.OrgDomain, organization.OrgKey]],
    refs: list[tuple[organization.OrgDomain, organization.OrgKey]],
) -> tuple[organization.OrgDomain, organization.OrgKey] | None:
    """The domain key (created or referenced) a key value of ``stack`` names, if any."""
    target = None
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref" and isinstance(arg, str):
            target = arg
        elif fn == "Fn::GetAtt":
            target = arg.split(".")[0] if isinstance(arg, str) else (arg or [None])[0]
    if isinstance(target, str) and (member.label, id(stack), target) in key_of:
        return key_of[(member.label, id(stack), target)]  # a replica key too
    ref = resolver.resolve(value, stack)
    if ref.kind != "domain_key":
        return None
    if ref.key is not None:
        return key_of.get((member.label, id(ref.key.stack), ref.key.logical_id))
    text = render(value)
    parsed = parse_key_text(text, stack.environment) if text is not None else None
    if parsed is None:
        return None
    for domain, key in refs:
        if (
            key.member is member
            and key.domain == ref.domain
            and (key.partition, key.account, key.region, key.key_id)
            == (parsed.partition, parsed.account, parsed.region, parsed.name)
        ):
            return domain, key
    return None


def _domain_of_finding(
    finding: audit.Finding, member: organization.Member, domains: list[organization.OrgDomain]
) -> organization.OrgDomain | None:
    """The domain an audit finding belongs to: by its domain name among the domains with a key
    (or reference) in the same assembly, the one of the finding's own Stage when several."""
    if finding.domain is None:
        return None
    if finding.rule in organization.ORG_RULES:  # about a reference: the domain that holds it
        for domain in domains:
            for key in domain.keys:
                if key.member is member and key.arn == finding.value and key.path == finding.path:
                    return domain
    named = [
        d for d in domains if d.name == finding.domain and any(k.member is member for k in d.keys)
    ]
    if len(named) <= 1:
        return named[0] if named else None
    stack = member.assembly.stack_of_file(finding.template_path)
    folder = Path(stack.root.file).parent if stack is not None else None
    same = [
        d
        for d in named
        if any(k.member is member and Path(k.stack.root.file).parent == folder for k in d.keys)
    ]
    return (same or named)[0]


def _account_cell(value: str | None) -> str:
    return value or "(deploy time)"


def org_to_markdown(report: OrgReport) -> str:
    """The organisation report as GitHub markdown: per domain its keys per account and region,
    its stores in every account, and the access matrix of the owner's key."""
    lines = ["# Data domain access report (organisation)", ""]
    lines.append("Assemblies: " + ", ".join(f"`{a}`" for a in report.assemblies) + ".")
    if not report.domains:
        lines += ["", "No data domain keys or domain references found."]
    unverified = False
    for domain in report.domains:
        lines += ["", f"## Domain `{domain.name}` ({domain.where})", ""]
        if not domain.owned_here:
            lines += [
                "Owned elsewhere: no assembly given creates its key; the stores below name it by "
                "ARN.",
                "",
            ]
        lines += [
            "### Keys",
            "",
            "| key | account | region | ARN | assembly | construct path |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        key_rows: dict[tuple[Any, ...], list[str]] = {}  # one row per key; references by ARN
        for key in domain.keys:
            kind = key["kind"] + ("" if key["verified"] else " (**unverified**)")
            unverified = unverified or not key["verified"]
            arn = f"`{key['arn']}`" if key["arn"] else "assigned at deployment"
            place = (kind, key["account"], key["region"], arn, key["assembly"])
            key_rows.setdefault(place if key["arn"] else (*place, key["path"]), []).append(
                key["path"]
            )
        for (kind, account, region, arn, assembly, *_), paths in key_rows.items():
            lines.append(
                f"| {kind} | {_account_cell(account)} | {_account_cell(region)} | {arn} "
                f"| `{assembly}` | {', '.join(f'`{p}`' for p in paths)} |"
            )
        lines += ["", "### Stores", ""]
        if domain.stores:
            lines += [
                "| account | region | assembly | stack | type | construct path | key gates |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for s in sorted(
                domain.stores, key=lambda s: (str(s["account"]), str(s["region"]), s["stack"])
            ):
                lines.append(
                    f"| {_account_cell(s['account'])} | {_account_cell(s['region'])} "
                    f"| `{s['assembly']}` | {s['stack']} | {s['type']} | `{s['path']}` "
                    f"| {_gates_cell(s)} |"
                )
        else:
            lines.append("No store uses this domain's keys.")
        lines += ["", "### Who can reach the data", ""]
        if domain.access:
            lines += [
                "| principal | administer | read | write |",
                "| --- | :---: | :---: | :---: |",
            ]
            rows = _rows(domain)  # type: ignore[arg-type]
            for label, row in rows.items():
                marks = [_cell(c.value, row) for c in Capability]
                lines.append(f"| {_principal_cell(label, row)} | " + " | ".join(marks) + " |")
            lines += [
                "",
                "Principals of the key's own account by IAM name; of any other account by their "
                "whole ARN.",
            ]
            for region, access in domain.replica_access.items():
                lines += ["", f"The replica in {region} differs:", ""]
                lines += [
                    f"- `{label}`: {', '.join(caps) or 'none'}" for label, caps in access.items()
                ]
        else:
            lines.append(
                "The key policy is written by the domain's owner, whose assembly was not given."
            )
        lines += ["", "### Findings", ""]
        if domain.findings:
            lines += [_finding_line(f) for f in domain.findings]
        else:
            lines.append("None.")
    if report.findings:
        lines += ["", "## Findings of no domain", ""]
        lines += [_finding_line(f) for f in report.findings]
    if unverified:
        lines += [
            "",
            "**unverified**: a reference names the key by ARN, and AWS KMS assigns a key's id "
            "when it creates the key, so before the owner deploys only its partition, account "
            "and region are compared with the owning key's stack.",
        ]
    return "\n".join(lines).rstrip() + "\n"


def _finding_line(f: Mapping[str, Any]) -> str:
    exempt = " (exempted: " + f["reason"] + ")" if f.get("exempted") else ""
    where = f" [`{f['assembly']}`]" if f.get("assembly") else ""
    return f"- **{f['severity']}** `{f['rule']}`{where} {f['message']}{exempt}"

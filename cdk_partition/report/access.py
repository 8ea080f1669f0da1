"""The access report: who can administer, read and write each domain's data.

Computed, not echoed: every principal the key policy names is put through the policy evaluator
(:mod:`cdk_partition.policy.evaluator`) for every KMS action, as IAM would decide it, so a statement added
by hand or by an escape hatch shows its real effect. Two probes stand for everyone else: an unnamed
role of the key's account whose own IAM policy allows ``kms:*``, and a role of another account.

Principals are evaluated as the ARNs the assembly shows (:class:`.principals.PrincipalResolver`):
a role or user imported from another stack (``Fn::ImportValue``) or named by ``Fn::GetAtt`` becomes
``arn:${AWS::Partition}:iam::${AWS::AccountId}:role/<path><name>``, by one substitution applied to
the whole key policy and to the requests, so wildcard ARN conditions can be decided and rows are
labelled by IAM name (``role/appA``, ``user/ci``), the construct path kept aside.

Each row is evaluated again with ``kms:ViaService`` set to every service value the policy names
(grant operations with ``kms:GrantIsForAWSResource`` true): what a principal gains only through a
service (the deployment role through Secrets Manager or EC2, a Firehose delivery role through S3)
is reported as ``via_services``, and anything the probes gain that way opens the key.

Stores whose service principal decrypts for whoever the service's own API lets read (log groups,
event buses: :data:`contracts.GATES`; :mod:`.stores`) get a matrix row of their own (read "via
the service") and a ``REPORT-SERVICE-GATED`` warning: an IAM permission, not the key policy,
decides who reads them.

Pure Python over templates (no aws_cdk import); the CLI's ``report`` command and the optional
synth-time report of the validation plugin both use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from .. import audit
from ..assembly import CloudAssembly, DomainKey, Environment, StackTemplate
from ..assembly.keys import KeyResolver
from ..audit.key_policy import declared_service_statements
from ..knowledge.capabilities import (
    CAPABILITY_ACTIONS,
    CONTRACT_SID_PREFIX,
    DEFINING_ACTIONS,
    DEPLOYMENT_DIRECT_SID_PREFIX,
    KMS_KEY_ACTIONS,
    LIBRARY_SIDS,
    LINKED_ROLE_SIDS,
    PASSED_ROLE_SID_PREFIX,
    PUBLISHER_SID_PREFIX,
    SERVICE_SID_PREFIX,
    STORE_ROLES_SID_PREFIX,
    Capability,
)
from ..policy import evaluator
from .conditional import conditional_capability, needs_prover
from .gated_readers import add_gated_readers, gated_readers
from .identities import identity_rows
from .model import DomainReport, Report
from .principals import PrincipalResolver, arn_parts, placeholders, principal_label
from .relevance import StatementIndex
from .stores import domain_stores, service_gated_rows

ANY_OTHER_IN_ACCOUNT = "any other principal of the account"
ANY_OTHER_ACCOUNT = "any principal of another account"
#: The account of the "another account" probe (another one when the key's account is this one).
_FOREIGN_ACCOUNTS = ("999999999999", "888888888888")


def capabilities_of(allowed: Iterable[str]) -> list[str]:
    """The capabilities a set of allowed actions amounts to (by their defining actions)."""
    allowed = set(allowed)
    return [c.value for c in Capability if set(DEFINING_ACTIONS[c]) & allowed]


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
    others = [a for a in KMS_KEY_ACTIONS if a not in _GRANT_ACTIONS]
    grants = [a for a in KMS_KEY_ACTIONS if a in _GRANT_ACTIONS]
    through = {"kms:ViaService": via}
    granting = through | {"kms:GrantIsForAWSResource": "true"}
    return evaluator.allowed_actions(
        policy, replace(request, context=through), others
    ) | evaluator.allowed_actions(policy, replace(request, context=granting), grants)


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
    for start, end in placeholders(text):
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


def _service_entry(
    service: str, statement: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """An AWS service's own statement: its Sid, actions and conditions (as evaluated), and the
    AWS page the app declared it from (``domain.allow_service``; None for the library's own)."""
    declaration = declared.get(str(statement.get("Sid")))
    actions = statement.get("Action", statement.get("NotAction", []))
    condition = statement.get("Condition")
    condition = condition if isinstance(condition, dict) else {}
    return {
        "service": service,
        "sid": statement.get("Sid"),
        "actions": actions if isinstance(actions, list) else [actions],
        "not_action": "NotAction" in statement,
        "conditions": condition,
        "source": declaration.get("source") if declaration else None,
        "condition_keys": [
            f"{operator} {key}"
            for operator, block in condition.items()
            for key in (block if isinstance(block, dict) else {})
        ],
    }


def _conditional_cells(
    policy: evaluator.CanonicalPolicy,
    request: evaluator.Request,
    row: Mapping[str, Any],
    errors: list[str],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The capabilities ``row`` holds only under conditions the report's requests do not carry
    (capability -> the witness's conditions, action and statements), and those the prover could
    not decide (capability -> why): :mod:`.conditional`. Only for the capabilities the row holds
    neither directly nor through a service, and only when the policy reads such a condition."""
    if errors or not needs_prover(policy):
        return {}, {}
    held = {*row["capabilities"], *row["via_services"]}
    conditional: dict[str, dict[str, Any]] = {}
    unsure: dict[str, str] = {}
    for capability in Capability:
        if capability.value in held:
            continue
        answer = conditional_capability(policy, request, capability)
        if answer.status == "allowed":
            conditional[capability.value] = {
                "when": [[key, value] for key, value in answer.conditions],
                "action": answer.action,
                "statements": list(answer.statements),
            }
        elif answer.status == "undecided":
            unsure[capability.value] = answer.detail
    return conditional, unsure


def conditional_text(entry: Mapping[str, Any]) -> str:
    """A conditional cell in words: ``only when aws:PrincipalTag/team = orders``, ``only on
    behalf of callers through s3 when aws:SourceVpc = vpc-1``."""
    vias: list[str] = []
    others: list[str] = []
    for key, value in entry.get("when") or []:
        if str(key).lower() == "kms:viaservice":
            vias += [service_name(str(v)) for v in (value if isinstance(value, list) else [value])]
        else:
            shown = f"[{', '.join(map(str, value))}]" if isinstance(value, list) else str(value)
            others.append(f"{key} = {shown}")
    parts = ["only"]
    if vias:
        parts.append(f"on behalf of callers through {', '.join(dict.fromkeys(vias))}")
    if others:
        parts.append("when " + ", ".join(others))
    if len(parts) == 1:
        parts.append("under conditions")
    return " ".join(parts)


#: The Sids of a source's own service-linked role (``AllowAutoScalingLaunchRole1Grants``).
_LINKED_ROLE_SID = re.compile(
    "(" + "|".join(map(re.escape, LINKED_ROLE_SIDS.values())) + r")Role\d+(Grants)?"
)


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
    raw_policy = key.policy if isinstance(key.policy, dict) else {}  # NotLiteral: CDKP102
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
    if alias is not None and not isinstance(alias, str):
        # an intrinsic (Fn::Join of the stack name...): resolved at deployment, shown as written
        alias = json.dumps(alias, sort_keys=True)
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
    declared = declared_service_statements(resource)
    named: dict[str, str] = {}  # principal as evaluated -> row label
    labels: set[str] = set()
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        aws, services = _principal_values(statement)
        for value in aws:
            if value != "*" and value not in named:
                label = principal_label(str(value), account)
                named[value] = label if label not in labels else str(value)
                labels.add(named[value])
        for service in services:
            report.services.append(_service_entry(service, statement, declared))
        sid = statement.get("Sid")
        if (
            sid not in LIBRARY_SIDS
            and not _LINKED_ROLE_SID.fullmatch(str(sid))
            and not str(sid).startswith(
                (
                    PUBLISHER_SID_PREFIX,
                    STORE_ROLES_SID_PREFIX,
                    SERVICE_SID_PREFIX,
                    CONTRACT_SID_PREFIX,
                    DEPLOYMENT_DIRECT_SID_PREFIX,
                    PASSED_ROLE_SID_PREFIX,
                )
            )
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
        parts = arn_parts(arn)
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

    index = StatementIndex(policy)  # each row against the statements that can apply to it
    for label, request, row in rows:
        errors: list[str] = []
        own_policy = index.policy_for(request.principal_arn)
        allowed = _decide_or_note(own_policy, request, None, errors)
        capabilities = capabilities_of(allowed or ())
        via_services: dict[str, list[str]] = {}
        via_actions: dict[str, frozenset[str]] = {}  # service -> actions gained through it
        grants_via: list[str] = []
        each, rest = index.vias_for(request.principal_arn, vias)
        answers = {via: _decide_or_note(own_policy, request, via, errors) for via in each}
        if rest:  # the services no statement of this row names answer alike
            answers |= dict.fromkeys(rest, _decide_or_note(own_policy, request, rest[0], errors))
        for via in vias:
            through = answers[via]
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
            if evaluator.evaluate(own_policy, any_service) == "allow":
                grants_via = ["any service"]
        except ValueError:
            pass  # the per-service answers stand
        row["capabilities"] = capabilities
        row["via_services"] = {
            c.value: via_services[c.value] for c in Capability if c in via_services
        }
        if grants_via:
            row["grants_for_aws_resources_via"] = grants_via
        conditional, unsure = _conditional_cells(own_policy, request, row, errors)
        if conditional:
            row["conditional"] = conditional
        if unsure:
            row["conditions_undecidable"] = unsure
            report.findings += [
                {
                    "severity": "error",
                    "rule": "REPORT-UNDECIDABLE",
                    "message": f"whether {label} may {capability} under conditions the report's "
                    f"requests do not carry cannot be decided ({detail})",
                }
                for capability, detail in unsure.items()
            ]
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
            reached += [
                f"{entry['action']} {conditional_text(entry)}" for entry in conditional.values()
            ]
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
    gated = service_gated_rows(report)
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


def build_report(assembly: CloudAssembly | list[StackTemplate]) -> Report:
    """The report of every domain key found in the assembly (or list of templates)."""
    if not isinstance(assembly, CloudAssembly):
        assembly = CloudAssembly(list(assembly))
    resolver = KeyResolver(assembly)
    principals = PrincipalResolver(assembly)
    findings = audit.audit(assembly)
    stores = domain_stores(assembly, resolver)
    replicas = _replicas_by_primary(assembly, resolver)
    try:
        identities = identity_rows(assembly)
        readers = gated_readers(assembly)
    except Exception:  # the audit reports the crash (CDKP000); the report stays whole
        identities, readers = {}, []
    listed = {id(r) for rs in replicas.values() for r in rs}
    domains = []
    for key in sorted(assembly.domain_keys, key=lambda k: k.name):
        if id(key) in listed:
            continue  # in its primary's report: one domain, its keys per region
        try:
            domain = build_domain_report(
                key, assembly, findings, resolver, principals, stores.get(key.name, [])
            )
            domain.identities = identities.get(key.name, [])
            add_gated_readers(domain, readers, key.stack.environment.account_text)
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

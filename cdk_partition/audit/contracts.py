"""Service contracts: what AWS requests for a store must pass its domain's key policy (CDKP107).

The create and attach rows of the store's service contract
(:data:`cdk_partition.knowledge.contracts.CONTRACTS`: CloudFormation's role through the service,
the EC2 infrastructure role, an AWS service principal such as S3 Tables' maintenance), each
citing its AWS page, are evaluated against the key policy with
the policy evaluator (:mod:`cdk_partition.policy.evaluator`). The run rows of an AWS service
principal that the domain writes for the store (CloudWatch Logs for a log group on the key) are
held too, by the prover: refused in every request is a finding (a key policy that did not follow
the store, whatever made it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from ..assembly import CloudAssembly, DomainKey, Environment, StackTemplate
from ..knowledge import catalogue, contract_shapes, contracts
from ..knowledge.capabilities import KMS_KEY_ACTIONS
from ..policy import evaluator
from ..policy.prover import prover_for
from .rules import Finding, Rule, make_finding, no_aws_page

__all__ = ["RULES", "audit_contracts", "with_environment"]

_PER_ROW = "each service contract row cites its own AWS page (cdk_partition.knowledge.contracts)"

#: The contract rule.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP107",
        "error",
        "Domain key policy refuses a request AWS makes for the store",
        "name the key in the store by reference (`domain.key`, `domain.key.key_arn`), not by a "
        "literal ARN: at synth the domain finds every store that references its key and writes "
        "the statements its type needs (AllowGrantsForAWSResources, AllowDeploymentViaServices, "
        "the DenyEveryoneElse exemptions); do not replace the key policy with an escape hatch",
        source=no_aws_page(_PER_ROW),
    ),
    Rule(
        "CDKP030",
        "warning",
        "AWS documents requests of the key for the store that the library cannot state",
        "read the AWS page the finding names and let its requests through the key policy (the "
        "role it names with `domain.allow_passed_role(role, <type>)` or `domain.grant_read` / "
        "`grant_write`, a service statement with `domain.allow_service(...)`); then mark it "
        'verified with `exempt(<store>, "CDKP030", <what you checked>)`',
        source=no_aws_page(
            "each such type's entry (cdk_partition.knowledge.contracts.LOOKED_UP) names the AWS "
            "page read and why no contract row could be written from it"
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def audit_contracts(
    assembly: CloudAssembly,
    stack: StackTemplate,
    domain: str,
    base: Mapping[str, Any],
    resource: Mapping[str, Any] | None = None,
) -> Iterator[Finding]:
    """The create and attach rows of the store's service contract (CloudFormation's role through
    the service, the EC2 infrastructure role) evaluated against its domain's key policy.

    Rows are looked up by the resource's CloudFormation type, and only for a resource that uses
    a customer key in a key slot (``resource`` given: its properties as the catalogue reads them)
    or sets a property of ``contracts.CONTRACT_KEY_PROPERTIES`` (a Lambda function's KmsKeyArn);
    an Aurora member instance, whose storage belongs to its cluster, uses no key of its own."""
    looked = contracts.LOOKED_UP.get(base["resource_type"])
    if looked is not None and looked.found == "incomplete" and resource is not None:
        uses = catalogue.classify(base["resource_type"], resource.get("Properties")) or []
        if any(u.state == "customer_key" for u in uses):
            # fail closed: AWS says the key policy needs something no row states
            yield make_finding(
                _RULE["CDKP030"],
                f"{base['path']} of domain {domain!r} is on the domain key, and AWS documents "
                f"requests of the key for it that the library has no contract row for: "
                f'{looked.why} ({looked.source}: "{looked.quote}"). The key policy may '
                "refuse them at run time.",
                location="KeyPolicy",
                **base,
            )
    store = contracts.STORE_TYPES.get(base["resource_type"])
    if store is None:
        return
    if resource is not None:
        properties = resource.get("Properties")
        uses = catalogue.classify(base["resource_type"], properties) or []
        named = contracts.CONTRACT_KEY_PROPERTIES.get(base["resource_type"], ())
        by_property = isinstance(properties, Mapping) and any(
            properties.get(p) is not None for p in named
        )
        if not any(u.state == "customer_key" for u in uses) and not by_property:
            return
    key = assembly.nearest_domain_key(domain, stack)
    if key is None:
        return
    deployer, policy = key.deployment_role, key.policy
    if deployer is None or not isinstance(policy, dict):
        return  # a key not written by this version: nothing to hold the rows against
    properties = resource.get("Properties") if resource is not None else None
    stores = contracts.stores_of_type(base["resource_type"], properties)
    refused = tuple(r for s in stores for r in _refused_rows(assembly, key, policy, deployer, s))
    if refused:
        yield make_finding(
            _RULE["CDKP107"],
            f"{base['path']} of domain {domain!r}: the domain key policy refuses what AWS "
            f"requests for it: {'; '.join(refused)}.",
            fix=_fix(base["resource_type"], store),
            location="KeyPolicy",
            **base,
        )


def _fix(cfn_type: str, store: str) -> str | None:
    """CDKP107's fix for a resource of ``cfn_type``: the statement the domain writes once the
    app accepts it (``allow_deployment_requests``), what to keep when the domain writes it on
    its own, or, for a request the domain never lets through, to keep the type off the key."""
    door = contract_shapes.door_rows(cfn_type)
    if door and cfn_type in contract_shapes.DOORS_WRITTEN:
        return (
            f"keep the AllowDeploymentDirect statements the domain writes for {cfn_type} on its "
            "key (the requests AWS documents for creating it; do not remove them with an escape "
            "hatch)"
        )
    if door and not contract_shapes.door_refusal(cfn_type):
        return (
            f"accept the deployment role's requests AWS documents for {cfn_type} outside the "
            f"domain's services: `domain.allow_deployment_requests({cfn_type!r})` (the domain "
            "then writes AllowDeploymentDirect statements with exactly those requests)"
        )
    created = [r for r in contracts.rows_for(store) if r.phase != "run"]
    declare = [r for r in created if r.caller == "service_principal" and not r.via_grant
               and contract_shapes.shape(r) == "service" and not contract_shapes.auto_written(r)]  # fmt: skip
    if declare:
        row = declare[0]
        return (
            f"declare the statement AWS documents for {row.principal} (unscoped, so the domain "
            f"does not write it on its own): `domain.allow_service({row.principal!r}, "
            f"actions={list(row.actions)!r}, source={row.source!r})`"
        )
    never = [
        contract_shapes.not_written_reason(r)
        for r in created
        if contract_shapes.shape(r) == "not_written"
    ]
    if door or never:
        why = contract_shapes.door_refusal(cfn_type) if door else never[0]
        return (
            f"keep {cfn_type} off the domain key ({why}): create it in a stack that is not a "
            "DomainStack, on a key of its own"
        )
    return _CONTRACT_FIXES.get(store)


#: Store -> how to get its contract statements written (CDKP107's fix for that store).
_CONTRACT_FIXES = {
    "launch_template": "create its EBS volumes with `domain.ebs_volume(...)` (or the template "
    "with `domain.launch_template(...)`): the key policy then has what EC2 requests at launch",
    "volume": "create it with `domain.volume(...)` or pass `encryption_key=domain.key` to the L2",
    "table_bucket": "keep the AllowContractTableBucketMaintenance statement the domain writes for "
    "a table bucket on its key (S3 Tables maintenance; do not remove it with an escape hatch)",
}


def _refused_rows(
    assembly: CloudAssembly, key: DomainKey, policy: dict[str, Any], deployer: Any, store: str
) -> tuple[str, ...]:
    """The create/attach contract requests of ``store`` the key policy refuses (the same for
    every store of the kind on one key: decided once)."""
    cache_key = ("refused", id(key.stack), key.logical_id, store)  # ids live as long as assembly
    cached = assembly.memo.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    prepared = _prepared_policy(assembly, key, policy)
    env = key.stack.environment
    fill = {
        "{partition}": env.partition_text,
        "{account}": env.account_text,
        "{region}": env.region_text,
    }
    refused: list[str] = []
    for row in contracts.rows_for(store):
        if row.phase not in ("create", "attach"):
            continue
        if row.caller not in (
            "deployment_role",
            "infrastructure_role",
            "service_principal",
            "service_linked_role",
        ):
            continue
        context = {k: _fill(v, fill) for k, v in row.context.items()}
        principal = (
            with_environment(str(evaluator.canonicalize(deployer)), env)
            if row.caller == "deployment_role"
            else _fill(row.principal, fill)
        )
        who = row.caller.replace("_", " ")
        if row.caller == "service_principal":
            who = f"service principal {principal}"
        elif row.caller == "service_linked_role":
            who = f"service-linked role {principal}"
        for action in contract_shapes.requested(row):
            if not any(fnmatchcase(a, action) for a in KMS_KEY_ACTIONS):
                continue  # authorized by IAM policy only (kms:ListAliases): not the key's
            context = {
                k: _fill(v, fill) for k, v in contract_shapes.request_context(row, action).items()
            }
            request = (
                evaluator.Request(action, service=principal, context=context)
                if row.caller == "service_principal"
                else evaluator.Request(action, principal, env.account_text, context=context)
            )
            try:
                decision = evaluator.evaluate(prepared, request)
            except ValueError as error:
                refused.append(f"{action} by the {who}: undecidable ({error})")
                continue
            if decision == "explicit_deny" or (decision != "allow" and not row.via_grant):
                refused.append(f"{action} by the {who} at {row.phase} ({row.source})")
    refused += _refused_at_run(prepared, store, fill)
    assembly.memo[cache_key] = tuple(refused)
    return tuple(refused)


def _refused_at_run(
    prepared: evaluator.CanonicalPolicy, store: str, fill: Mapping[str, str]
) -> list[str]:
    """The run-time requests an AWS service principal makes for ``store`` (rows the domain
    writes itself: CloudWatch Logs for a log group on the key) that the key policy refuses in
    every request, whatever the context (decided by the prover, not for one example context:
    the statement may be scoped to the store's own ARN). A key the domain wrote has them; one
    that lacks them (a store the key policy did not follow) fails at run time."""
    out: list[str] = []
    for row in contracts.rows_for(store):
        if row.phase != "run" or row.caller != "service_principal":
            continue
        if not contract_shapes.auto_written(row):
            continue
        principal = _fill(row.principal, fill)
        prover = prover_for(prepared)
        for action in contract_shapes.requested(row):
            if not any(fnmatchcase(a, action) for a in KMS_KEY_ACTIONS):
                continue
            concrete = [a for a in KMS_KEY_ACTIONS if fnmatchcase(a, action)]
            if all(prover.service_may(principal, a).status == "denied" for a in concrete):
                out.append(f"{action} by the service principal {principal} at run, in every "
                           f"request ({row.source})")  # fmt: skip
    return out


def _fill(text: str, fill: Mapping[str, str]) -> str:
    for placeholder, value in fill.items():
        text = text.replace(placeholder, value)
    return text


def _prepared_policy(
    assembly: CloudAssembly, key: DomainKey, policy: dict[str, Any]
) -> evaluator.CanonicalPolicy:
    cache_key = ("prepared", id(key.stack), key.logical_id)
    prepared = assembly.memo.get(cache_key)
    if prepared is None:
        # pseudo parameters the stack's environment decides, written as their values (as the
        # requests are), so that ARN patterns compare part by part
        text = with_environment(json.dumps(evaluator.canonicalize(policy)), key.stack.environment)
        prepared = assembly.memo[cache_key] = evaluator.prepare(json.loads(text))
    return prepared  # type: ignore[no-any-return]


def with_environment(text: str, env: Environment) -> str:
    """``text`` with the pseudo parameters the environment decides written as their values."""
    for pseudo, value in (
        ("${AWS::Partition}", env.partition_text),
        ("${AWS::AccountId}", env.account_text),
        ("${AWS::Region}", env.region_text),
    ):
        text = text.replace(pseudo, value)
    return text

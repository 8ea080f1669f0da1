"""AWS Backup selections of domain stores: the selection's role must be named by the domain key
(CDKP023).

``BackupPlan.add_selection(id, resources=[BackupResource.from_dynamo_db_table(table)])`` writes an
``AWS::Backup::BackupSelection`` whose ``BackupSelection.IamRoleArn`` is the role AWS Backup runs
the job with and whose ``Resources`` name the stores by ARN. AWS says that role must be able to
use the source's key, or "the job is successful but the objects are not backed up"
(:mod:`cdk_partition.knowledge.backup_kms`, each row with its page); ``DenyEveryoneElse`` refuses
a role the key policy does not name. For every store of a domain a selection names, the row's
KMS requests by the role are evaluated against the domain key policy with the policy evaluator.

A selection by tags (``ListOfTags``, ``Conditions``) or by a wildcard or an ARN the audit cannot
follow, in a stack the domain checks cover, may take in domain stores the audit cannot list: that
is ``CDKP020`` (fail closed), as for an identity policy it cannot follow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.principals import PrincipalResolver
from ..knowledge.backup_kms import DEFAULT, row_for
from ..policy import evaluator
from .identities import RULES as IDENTITY_RULES
from .identity_policies import role_arn
from .integrations import store_of
from .key_requests import prepared_key_policy, refused_requests
from .rules import Finding, Rule, Source, make_finding, resource_fields

__all__ = ["RULES", "audit_backup_selections", "role_arn"]

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP023",
        "error",
        "Domain key refuses the role of an AWS Backup selection that backs up a domain store",
        "name the selection's role in the key policy: `domain.grant_read(selection)` (a "
        "`backup.BackupSelection` is grantable: its role), or leave the store out of the "
        "selection",
        source=Source(DEFAULT.title, DEFAULT.url),
    ),
)
_RULE = {rule.id: rule for rule in RULES}
#: Declared with the identities (an identity policy the audit cannot follow); a selection it
#: cannot follow is the same fault.
_RULE_CDKP020 = next(r for r in IDENTITY_RULES if r.id == "CDKP020")

_SELECTION = "AWS::Backup::BackupSelection"


def _selection(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    props = resource.get("Properties")
    inner = props.get("BackupSelection") if isinstance(props, dict) else None
    return inner if isinstance(inner, dict) else {}


def audit_backup_selections(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP023 per selection and store the domain key refuses; CDKP020 for a selection of a
    checked stack that the audit cannot follow."""
    resolver = PrincipalResolver(assembly)
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") != _SELECTION:
                continue
            yield from _audit_selection(assembly, resolver, stack, logical_id, resource)


def _audit_selection(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
) -> Iterator[Finding]:
    selection = _selection(resource)
    checked = assembly.has_checks(stack)
    domain_of_stack = assembly.domain_of(stack, logical_id, resource).domain
    base = resource_fields(stack, logical_id, resource, domain_of_stack)
    unfollowed = [name for name in ("ListOfTags", "Conditions") if selection.get(name)]
    stores: list[tuple[StackTemplate, str, dict[str, Any], str]] = []
    resources = selection.get("Resources")
    for value in resources if isinstance(resources, list) else []:
        found = store_of(assembly, stack, value)
        if found is None:
            unfollowed.append(f"Resources {evaluator.canonicalize(value)!r}")
            continue
        store_stack, store_id = found
        store = store_stack.resources.get(store_id)
        if not isinstance(store, dict):
            continue
        domain = assembly.domain_of(store_stack, store_id, store).domain
        if domain is not None:
            stores.append((store_stack, store_id, store, domain))
    if unfollowed and checked:
        yield make_finding(
            _RULE_CDKP020,
            f"{base['path']}: backup selection not checked against the domain keys: it selects "
            f"by {', '.join(unfollowed)}, which may take in domain stores whose keys refuse its "
            "role.",
            fix="select the domain's stores by ARN "
            "(`backup.BackupResource.from_arn(bucket.bucket_arn)`, "
            "`backup.BackupResource.from_dynamo_db_table(table)`), so the audit can check the "
            "role against each domain key",
            location="BackupSelection",
            **base,
        )
    if not stores:
        return
    role = role_arn(resolver, stack, selection.get("IamRoleArn"))
    for store_stack, store_id, store, domain in stores:
        store_path = resource_path(store_stack, store_id, store).removesuffix("/Resource")
        key = assembly.nearest_domain_key(domain, store_stack)
        if role is None or key is None or not isinstance(key.policy, dict):
            why = "its IamRoleArn cannot be resolved" if role is None else "no readable key"
            yield make_finding(
                _RULE_CDKP020,
                f"{base['path']}: backup selection of {store_path} (domain {domain!r}) not "
                f"checked against the domain key: {why}.",
                location="BackupSelection.IamRoleArn",
                **resource_fields(stack, logical_id, resource, domain),
            )
            continue
        prepared = prepared_key_policy(assembly, resolver, key)
        row = row_for(str(store.get("Type")))
        env = store_stack.environment
        account = stack.environment.account_text
        context = {"kms:CallerAccount": account}
        if row.service is not None:
            context["kms:ViaService"] = f"{row.service}.{env.region_text}.amazonaws.com"
        refused = refused_requests(prepared, role[0], account, row.kms_requests, context)
        if refused:
            yield make_finding(
                _RULE["CDKP023"],
                f"{base['path']} backs up {store_path} of domain {domain!r} with the role "
                f"{role[1]} ({role[0]}), but the domain key refuses its KMS request"
                f"{'s' if len(refused) > 1 else ''} {', '.join(refused)} ({row.source}: "
                f"{row.note}): the backup job succeeds without backing the store up.",
                fix=f"name the role in the key policy of domain {domain!r}: "
                f"`domain.grant_read(selection)` on the domain, with the selection at "
                f"{base['path'].removesuffix('/Resource')} (or its role {role[1]}); or leave the "
                "store out of the selection",
                location="BackupSelection.IamRoleArn",
                value=role[0],
                **resource_fields(stack, logical_id, resource, domain),
            )

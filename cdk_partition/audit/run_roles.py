"""Roles a domain store runs with must be named by the domain key (CDKP024).

A store on the domain key whose service calls KMS with a role the store itself names (a Step
Functions state machine's ``RoleArn``, a SageMaker HyperPod cluster's
``InstanceGroups[].ExecutionRole``, a CodeBuild project's ``ServiceRole``...: the table
:mod:`cdk_partition.knowledge.run_roles`, read from the contract rows of caller ``passed_role``,
each with its AWS page) works only when the key policy allows that role the row's KMS requests.
The store methods cannot name it for you (the role is the app's, and naming a principal in the
key policy stays explicit). For each such store of a domain whose key slot is a customer managed
key, each role its property names (one per list item where the property is in a list) is decided
against the domain key policy with the policy evaluator, with the request context AWS documents
for the row (``kms:ViaService`` where the role calls through a service, none where it calls KMS
directly; an encryption context as AWS's example value, in the key's account and region); a role
that cannot be resolved, or a request the evaluator cannot decide, is ``CDKP020`` (fail closed).

The fix is ``domain.allow_passed_role(role, cfn_type)``, which writes exactly the rows' requests
(``AllowPassedRole<Store>``), or, for the few types whose rows a statement cannot repeat
(:func:`~cdk_partition.knowledge.run_roles.passed_role_refusal`), moving the resource to a stack
that is not a DomainStack.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.keys import KeyResolver
from ..assembly.principals import PrincipalResolver
from ..knowledge import catalogue
from ..knowledge.contracts import CONTRACT_KEY_PROPERTIES
from ..knowledge.run_roles import (
    LINKED_BY_TYPE,
    ROLES_BY_TYPE,
    RunRole,
    context_of,
    passed_role_refusal,
    roles_at,
    rows_of_resource,
)
from ..policy import evaluator
from .identities import RULES as IDENTITY_RULES
from .identity_policies import later_stack_fix, role_arn
from .key_requests import prepared_key_policy, refused_requests
from .rules import Finding, Rule, make_finding, no_aws_page, resource_fields

__all__ = ["RULES", "audit_run_roles", "follows", "named_store"]

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP024",
        "error",
        "Domain key refuses the role a domain store runs with",
        "name the role in the key policy as AWS documents its requests: "
        "`domain.allow_passed_role(role, cfn_type)`",
        source=no_aws_page(
            "each row cites its own AWS page (cdk_partition.knowledge.run_roles, the contract "
            "rows of caller passed_role)"
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}
_RULE_CDKP020 = next(r for r in IDENTITY_RULES if r.id == "CDKP020")


def audit_run_roles(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP024 per store and role the domain key refuses; CDKP020 when it cannot tell."""
    resolver = PrincipalResolver(assembly)
    for stack, logical_id, resource in assembly.resources_in_scope():
        cfn_type = str(resource.get("Type"))
        if cfn_type not in ROLES_BY_TYPE:
            continue
        props = resource.get("Properties")
        if not isinstance(props, dict):
            continue
        if not on_customer_key(cfn_type, props):
            continue  # not on a customer managed key: the store rules speak for it
        domain = assembly.domain_of(stack, logical_id, resource).domain
        if domain is None or not _on_the_domain_key(assembly, stack, cfn_type, props, domain):
            continue
        rows = rows_of_resource(cfn_type, props)
        by_property: dict[str, list[RunRole]] = {}
        for row in rows:
            by_property.setdefault(row.role_property, []).append(row)
        for path, of_path in by_property.items():
            for value in roles_at(props, path):
                yield from _audit_role(
                    assembly, resolver, stack, logical_id, resource, domain, of_path, value
                )
    yield from _audit_linked(assembly, resolver)


def on_customer_key(cfn_type: str, props: Mapping[str, Any]) -> bool:
    """Whether a resource of ``cfn_type`` with ``props`` uses a customer managed key: in a key
    slot of the catalogue, or in a property AWS documents KMS requests for outside the
    catalogue's slots (:data:`~cdk_partition.knowledge.contracts.CONTRACT_KEY_PROPERTIES`: a
    Lambda function's ``KmsKeyArn`` for its environment variables), not an AWS managed key."""
    uses = catalogue.classify(cfn_type, props) or []
    if any(u.state == "customer_key" for u in uses):
        return True
    return any(
        props.get(name) is not None and not catalogue.is_aws_managed_key_reference(props[name])
        for name in CONTRACT_KEY_PROPERTIES.get(cfn_type, ())
    )


def _on_the_domain_key(
    assembly: CloudAssembly,
    stack: StackTemplate,
    cfn_type: str,
    props: Mapping[str, Any],
    domain: str,
) -> bool:
    """A resource on a customer key only by a contract key property (a function's
    ``KmsKeyArn``) runs its role against that key: the domain key's rows hold only when the
    property names the domain key (another key is CDKP004's, not a role's on this key)."""
    uses = catalogue.classify(cfn_type, props) or []
    if any(u.state == "customer_key" for u in uses):
        return True
    mark = ("key-resolver",)
    resolver = assembly.memo.get(mark)
    if resolver is None:
        resolver = assembly.memo[mark] = KeyResolver(assembly)
    return any(
        resolver.on_domain_key(resolver.key_of_slot(props[name], stack), domain, stack)
        for name in CONTRACT_KEY_PROPERTIES.get(cfn_type, ())
        if props.get(name) is not None
    )


def _audit_linked(assembly: CloudAssembly, resolver: PrincipalResolver) -> Iterator[Finding]:
    """The roles of resources that name a store on a domain key (a Glue job naming a security
    configuration, :data:`~cdk_partition.knowledge.run_roles.LINKED_BY_TYPE`): the finding sits
    on the resource that passes the role."""
    for stack, logical_id, resource in assembly.resources_in_scope():
        rows = LINKED_BY_TYPE.get(str(resource.get("Type")))
        props = resource.get("Properties")
        if not rows or not isinstance(props, dict):
            continue
        by_link: dict[tuple[str, str, str], list[RunRole]] = {}
        for row in rows:
            assert row.via is not None
            by_link.setdefault(row.via, []).append(row)
        for (_, link, role_property), of_link in by_link.items():
            found = named_store(assembly, stack, props.get(link), of_link[0].store_type)
            if found is None and props.get(link) is not None and not follows(props.get(link)):
                base = resource_fields(stack, logical_id, resource, None)
                yield make_finding(
                    _RULE_CDKP020,
                    f"{base['path'].removesuffix('/Resource')} names a {of_link[0].store_type} "
                    f"the audit cannot follow ({link} = "
                    f"{evaluator.canonicalize(props.get(link))!r}): whether its role must be "
                    "named by a domain key cannot be decided.",
                    fix=f"give {link} a `Ref` of the {of_link[0].store_type} of the app, its "
                    "literal name, or an import of its export",
                    location=link,
                    **base,
                )
                continue
            if found is None:
                continue  # a literal name of none of the app's (made elsewhere: not its key)
            store_stack, store_id, store = found
            store_props = store.get("Properties")
            uses = catalogue.classify(of_link[0].store_type, store_props or {}) or []
            if not any(u.state == "customer_key" for u in uses):
                continue
            domain = assembly.domain_of(store_stack, store_id, store).domain
            value = props.get(role_property)
            if domain is None or value is None:
                continue
            yield from _audit_role(
                assembly, resolver, stack, logical_id, resource, domain, of_link, value
            )


def named_store(
    assembly: CloudAssembly, stack: StackTemplate, value: Any, store_type: str, depth: int = 0
) -> tuple[StackTemplate, str, Mapping[str, Any]] | None:
    """The store of ``store_type`` a link property names: a ``Ref`` of it (which is its name),
    an import of its export, or its ``Name`` as the template writes it (a literal, or the same
    ``Fn::Sub``), in the same stack first, then any stack of the app. None: it names no store of
    the app (see :func:`follows`)."""
    text = evaluator.canonicalize(value)
    if not isinstance(text, str) or depth > 4:
        return None
    if text.startswith("${ImportValue:") and text.endswith("}"):
        exported = assembly.exports.get(text[len("${ImportValue:") : -1])
        if exported is None:
            return None
        return named_store(assembly, exported[0], exported[1], store_type, depth + 1)
    if text.startswith("${") and text.endswith("}") and "." not in text:
        target = stack.resources.get(text[2:-1])
        if isinstance(target, dict) and target.get("Type") == store_type:
            return stack, text[2:-1], target
        return None
    others = [s for s in assembly.stacks if s is not stack]
    for candidate in (stack, *(others if "${" not in text else ())):
        for store_id, store in candidate.resources.items():
            if not isinstance(store, dict) or store.get("Type") != store_type:
                continue
            name = evaluator.canonicalize((store.get("Properties") or {}).get("Name"))
            if name == text:
                return candidate, store_id, store
    return None


def follows(value: Any) -> bool:
    """Whether a link value the audit found no store for names none of the app for sure: a
    literal name (a store made elsewhere). A reference, an import or a ``Fn::Sub`` it could not
    follow may name one of the app's: the audit cannot tell (fail closed, CDKP020)."""
    text = evaluator.canonicalize(value)
    return isinstance(text, str) and "${" not in text


def _audit_role(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    domain: str,
    rows: list[RunRole],
    value: Any,
) -> Iterator[Finding]:
    base = resource_fields(stack, logical_id, resource, domain)
    store_path = base["path"].removesuffix("/Resource")
    cfn_type = rows[0].store_type
    prop = rows[0].role_property
    role = role_arn(resolver, stack, value)
    key = assembly.nearest_domain_key(domain, stack)
    if role is None or key is None or not isinstance(key.policy, dict):
        why = f"its {prop} cannot be resolved" if role is None else "no readable key"
        yield make_finding(
            _RULE_CDKP020,
            f"{store_path} of domain {domain!r} runs with a role the audit cannot check against "
            f"the domain key: {why}.",
            fix=f"give {prop} a role of the app (`Fn::GetAtt` of its Arn, or its export) or a "
            "literal role ARN, so the audit can check it against the domain key",
            location=prop,
            value=evaluator.canonicalize(value) if role is None else None,
            **base,
        )
        return
    env = stack.environment
    values = {
        "{partition}": env.partition_text,
        "{region}": env.region_text,
        "{account}": env.account_text,
    }
    prepared = prepared_key_policy(assembly, resolver, key)
    refused: list[str] = []
    sources: list[str] = []
    for row in rows:
        for action in row.kms_requests:
            context = {**context_of(row, action, values), "kms:CallerAccount": env.account_text}
            for request in refused_requests(prepared, role[0], env.account_text, [action], context):
                where = f" with {_context(context)}" if _context(context) else ""
                refused.append(f"{request}{where}")
                if row.source not in sources:
                    sources.append(row.source)
    undecidable = [r for r in refused if "(undecidable" in r]
    if undecidable:  # fail closed, and said so: not a refusal the fix would clear
        yield make_finding(
            _RULE_CDKP020,
            f"{store_path} of domain {domain!r} runs with {role[1]} ({role[0]}), and the domain "
            f"key's answer to its requests cannot be decided: {'; '.join(undecidable)}.",
            fix=f"give {prop} a role of the app (`Fn::GetAtt` of its Arn, or its export) or a "
            "literal role ARN, so the audit can check it against the domain key",
            location=prop,
            value=role[0],
            **base,
        )
        refused = [r for r in refused if r not in undecidable]
    if not refused:
        return
    refusal = passed_role_refusal(cfn_type)
    if refusal:
        fix = (
            f"the domain cannot write what AWS documents for this role ({refusal}): move "
            f"{store_path} to a stack that is not a DomainStack, with a key of its own"
        )
    else:
        fix = later_stack_fix(
            assembly,
            role,
            key.stack,
            f"`domain.allow_passed_role(role, {cfn_type!r})`",
            key.logical_id,
        ) or (
            f"name the role in the key policy of domain {domain!r} as AWS documents its requests: "
            f"`domain.allow_passed_role({role[1]}, {cfn_type!r})` on the domain, with the "
            "construct of that path"
        )
    via = rows[0].via
    what = (
        f"{store_path} names a {cfn_type} on the key of domain {domain!r} ({via[1]})"
        if via is not None
        else f"{store_path} of domain {domain!r} is on the domain key"
    )
    yield make_finding(
        _RULE["CDKP024"],
        f"{what} and its {prop} is "
        f"{role[1]} ({role[0]}), which makes KMS requests on the store's key, but the domain "
        f"key refuses {', '.join(refused)} ({'; '.join(sources)}): the store fails at "
        "creation or at run time.",
        fix=fix,
        location=prop,
        value=role[0],
        **base,
    )


def _context(context: Mapping[str, str]) -> str:
    shown = {k: v for k, v in context.items() if k != "kms:CallerAccount"}
    return ", ".join(f"{k}={v}" for k, v in shown.items())

"""Integrations the CDK wires: an AWS service that delivers into a domain store must be allowed
its KMS requests by the domain key (CDKP021).

The CDK wires some deliveries without touching the key policy: a domain queue as the dead-letter
queue of an EventBridge rule target (``targets.LambdaFunction(fn, dead_letter_queue=queue)``) or
of an SNS subscription (``LambdaSubscription(fn, dead_letter_queue=queue)``) gets a queue policy
for ``events.amazonaws.com`` / ``sns.amazonaws.com``, but the service also calls KMS as itself
(``kms:GenerateDataKey``, ``kms:Decrypt``), and ``DenyEveryoneElse`` does not exempt a service
principal the key policy does not allow. The template shows the wiring
(:data:`cdk_partition.knowledge.wiring.WIRING`, the table the key policy follows at synth too:
which property of which resource names the store); the requests are the service-contract rows
(:data:`cdk_partition.knowledge.contracts.CONTRACTS`, each citing its AWS page), evaluated
against the key policy with the policy evaluator. A request the evaluator cannot decide is a
finding too (fail closed).

Identities (a Lambda event source mapping's function role, a Step Functions execution role)
reach stores through IAM grants and are checked by :mod:`cdk_partition.audit.identities`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.principals import PrincipalResolver
from ..assembly.references import references
from ..knowledge import catalogue, contracts
from ..knowledge.contract_shapes import WIRED_DEPLOYMENT, WIRED_LINKED_ROLES, is_linked_role_of
from ..knowledge.wiring import (
    LINKED_ROLE_PROPERTIES,
    SOURCE_ARN_PROPERTIES,
    WIRING,
    Wiring,
    foreign_source,
)
from ..knowledge.wiring import SOURCE_TYPES as _SOURCE_TYPES
from ..knowledge.wiring import named as _named
from ..policy import evaluator
from .contracts import with_environment
from .identity_policies import type_of
from .key_requests import prepared_key_policy
from .rules import Finding, Rule, Source, make_finding, no_aws_page, resource_fields, short
from .store_texts import domain_stores, stores_named

__all__ = [
    "RULES",
    "WIRING",
    "Wiring",
    "audit_integrations",
    "source_of_delivery",
    "store_of",
    "wired_sources",
]

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP021",
        "error",
        "Domain key policy refuses an AWS service the app wires to deliver into a domain store",
        "let the service publish on the domain key: `domain.allow_service_publisher(<service>)` "
        "(the statement its service contract documents), or deliver to a store outside the "
        "domain",
        source=no_aws_page("each service contract row cites its own AWS page"),
    ),
    Rule(
        "CDKP022",
        "error",
        "Domain secret is rotated by a function whose role the key policy cannot name (a hosted "
        "rotation, or a function of a Serverless Application Repository application)",
        "rotate it with a function of the app, "
        "`secret.add_rotation_schedule(id, rotation_lambda=fn)`, and name its role in the key "
        "policy: `domain.grant_read(fn.role)` and `domain.grant_write(fn.role)`",
        # AWS Secrets Manager User Guide, "Lambda rotation function execution role permissions
        # for AWS Secrets Manager": "If the secret is encrypted with a KMS key other than the AWS
        # managed key aws/secretsmanager, then you need to grant the Lambda execution role
        # permission to use the key." A hosted rotation's role is created by the
        # AWS::SecretsManager-2020-07-23 transform under a generated name, which a key policy
        # that names its principals one by one cannot name.
        source=Source(
            'AWS Secrets Manager User Guide, "Lambda rotation function execution role '
            'permissions for AWS Secrets Manager"',
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/"
            "rotating-secrets-required-permissions-function.html",
        ),
    ),
    Rule(
        "CDKP026",
        "error",
        "A service delivers into a domain store where AWS supports no customer managed key "
        "(SSE-S3 only into a bucket; no encrypted topic)",
        "deliver to a store outside the domain that AWS supports (a bucket with S3-managed "
        "encryption, a topic without a customer managed key) in a stack that is not a domain's "
        "and that `encryption_at_rest()` does not cover: what the service delivers is not the "
        "domain's data",
        source=Source(
            'Elastic Load Balancing, "Enable access logs for your Application Load Balancer"',
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
            "enable-access-logging.html",
        ),
    ),
    Rule(
        "CDKP033",
        "warning",
        "A service delivers into a domain store, and AWS documents no statement for its "
        "requests of the key",
        "find what the service requests of the key (its documentation, AWS Support, a test "
        "deployment), let it through with `domain.allow_service(...)`, then mark the delivery "
        'verified: `exempt(<delivering resource>, "CDKP033", <what you checked>)`; or deliver '
        "to a store outside the domain",
        source=no_aws_page(
            "each such delivery's row (cdk_partition.knowledge.delivery_rows.DELIVERIES, "
            "documented False) names the AWS page read and what it leaves out"
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def store_of(
    assembly: CloudAssembly, stack: StackTemplate, value: Any
) -> tuple[StackTemplate, str] | None:
    """The resource (stack, logical id) an ARN value names through ``Fn::GetAtt`` / ``Ref`` in
    its stack or through an export."""
    return next(references(assembly.exports, stack, value), None)


def stores_at(
    assembly: CloudAssembly, stack: StackTemplate, value: Any
) -> list[tuple[StackTemplate, str]]:
    """The resources a wiring property names: by reference (:func:`store_of`), else the domain
    stores a literal ARN, name or URL names (an alarm action written as the topic's ARN:
    :func:`cdk_partition.audit.store_texts.stores_named`)."""
    found = store_of(assembly, stack, value)
    if found is not None:
        return [found]
    named = stores_named(assembly, stack, value, domain_stores(assembly), targets=True)
    return [(s.stack, s.logical_id) for s in named.stores]


def audit_integrations(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP021 for each delivery into a domain store the domain key refuses (or cannot decide)."""
    resolver = PrincipalResolver(assembly)
    wiring = {(w.source_type, w.what, w.store_type): w for w in WIRING}
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if isinstance(resource, dict) and resource.get("Type") == _ROTATION:
                yield from _hosted_rotation(assembly, stack, logical_id, resource)
            if not isinstance(resource, dict) or resource.get("Type") not in _SOURCE_TYPES:
                continue
            for what, value in _named(resource):
                for store_stack, store_id in stores_at(assembly, stack, value):
                    yield from _delivery(assembly, resolver, wiring, stack, logical_id, resource,
                                         what, store_stack, store_id)  # fmt: skip


def _delivery(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    wiring: Mapping[tuple[str, str, str], Wiring],
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    what: str,
    store_stack: StackTemplate,
    store_id: str,
) -> Iterator[Finding]:
    """CDKP021 for one delivery (``what`` of ``resource``) into the store when its key refuses it."""
    store = store_stack.resources[store_id]
    if not isinstance(store, dict):
        return
    row_set = wiring.get((str(resource.get("Type")), what, str(store.get("Type"))))
    if row_set is None:
        return
    domain = assembly.domain_of(store_stack, store_id, store).domain
    if domain is None:
        return
    if row_set.contract in _NEED_A_KEY and not _on_a_key(store):
        return  # a template with no volume, a stream or bucket on no customer key: no request
    key = assembly.nearest_domain_key(domain, store_stack)
    if key is None or not isinstance(key.policy, dict):
        return
    prepared = prepared_key_policy(assembly, resolver, key)
    source = source_of_delivery(stack, resource, key.stack.environment.account)
    role = linked_role_of(resource)
    refused = _refused(prepared, stack, row_set.contract, source, key.deployment_role, role)
    if refused:
        yield _finding(stack, logical_id, resource, store_stack, store_id, store, domain, what,
                       refused, row_set.contract, source, role,
                       key.stack.environment.account)  # fmt: skip


def linked_role_of(resource: Mapping[str, Any]) -> Any:
    """The service-linked role ``resource`` names instead of its service's default
    (:data:`cdk_partition.knowledge.wiring.LINKED_ROLE_PROPERTIES`: an Auto Scaling group's
    ``ServiceLinkedRoleARN``), canonical (``Fn::Join``/``Fn::Sub`` as text); None for the
    default."""
    prop = LINKED_ROLE_PROPERTIES.get(str(resource.get("Type")))
    props = resource.get("Properties")
    if prop is None or not isinstance(props, dict) or props.get(prop) is None:
        return None
    return evaluator.canonicalize(props[prop])


_ROTATION = "AWS::SecretsManager::RotationSchedule"
#: Resources whose outputs come from a template the app does not show (an application of the
#: Serverless Application Repository; a CDK nested stack's template is in the assembly).
_NESTED = ("AWS::Serverless::Application",)
#: The contract rows of an Auto Scaling group launching a template on the key (its fix differs).
_AUTO_SCALING = "launch_template_auto_scaling"
#: Wirings whose requests exist only when the store uses a customer key (a role's, not a
#: service's delivery into any store): the service-linked roles' and the deployment role's.
_NEED_A_KEY = frozenset(WIRED_LINKED_ROLES) | frozenset(WIRED_DEPLOYMENT)


def _hosted_rotation(
    assembly: CloudAssembly, stack: StackTemplate, logical_id: str, resource: Mapping[str, Any]
) -> Iterator[Finding]:
    """CDKP022 for a domain secret rotated by a function whose role the app does not declare: a
    hosted rotation (``HostedRotationLambda``), or a function of a nested application
    (``RotationLambdaARN`` from the ``AWS::Serverless::Application`` the CDK's
    ``db.add_rotation_single_user()`` adds)."""
    props = resource.get("Properties") or {}
    if not isinstance(props, dict):
        return
    if "HostedRotationLambda" in props:
        where, what = "HostedRotationLambda", "a hosted rotation function (HostedRotationLambda)"
        maker = "the Secrets Manager transform"
    else:
        nested = [
            (s, i) for s, i in references(assembly.exports, stack, props.get("RotationLambdaARN"))
            if type_of(s.resources.get(i)) in _NESTED
        ]  # fmt: skip
        if not nested:
            return
        kind = type_of(nested[0][0].resources.get(nested[0][1]))
        app_path = resource_path(nested[0][0], nested[0][1], nested[0][0].resources[nested[0][1]])
        app_path = app_path.removesuffix("/Resource")
        where, what = "RotationLambdaARN", f"the rotation function of {app_path} ({kind})"
        maker = "that application's template"
    found = store_of(assembly, stack, props.get("SecretId"))
    if found is None:
        return
    store_stack, store_id = found
    store = store_stack.resources[store_id]
    if not isinstance(store, dict) or store.get("Type") != "AWS::SecretsManager::Secret":
        return
    domain = assembly.domain_of(store_stack, store_id, store).domain
    if domain is None:
        return
    base = resource_fields(stack, logical_id, resource, domain)
    store_path = resource_path(store_stack, store_id, store).removesuffix("/Resource")
    yield make_finding(
        _RULE["CDKP022"],
        f"{base['path']} rotates {store_path} of domain {domain!r} with {what}: its role is "
        f"created by {maker} under a name the app does not declare and the domain key policy "
        "cannot name, so DenyEveryoneElse refuses its kms:Decrypt and kms:GenerateDataKey and "
        "every rotation fails at run time.",
        location=where,
        value=short(props.get(where)),
        **base,
    )


def _on_a_key(store: Mapping[str, Any]) -> bool:
    """A key slot of ``store`` (a launch template, a launch configuration) names a customer key."""
    uses = catalogue.classify(str(store.get("Type")), store.get("Properties")) or []
    return any(u.state == "customer_key" for u in uses)


def _refused(
    policy: Any,
    stack: StackTemplate,
    contract: str,
    source: tuple[str, str] | None,
    deployer: Any = None,
    linked_role: Any = None,
) -> list[tuple[str, str, str]]:
    """(service or role, request, why) of each contract request the key policy refuses: a
    service principal's run-time requests, a service-linked role's (EC2 Auto Scaling launching
    a group's instances from a template on the key), the deployment role's (``deployer``, the
    key's: CloudFormation reading a bucket on the key to create a table from it). ``source``:
    another account's source the delivery is for (:func:`source_of_delivery`), whose ARN and
    account the service's requests carry. A service-linked role's own policy is its AWS managed
    policy, which allows the request its row cites (the key's account principal lets it
    through, :data:`~cdk_partition.knowledge.contract_shapes.NAMED_BY_CONDITION`).
    ``linked_role``: the role the delivering resource names instead of the service's default
    (:func:`linked_role_of`), whose requests they are."""
    env = stack.environment
    fill = {"{account}": env.account_text, "{region}": env.region_text,
            "{partition}": env.partition_text}  # fmt: skip
    out: list[tuple[str, str, str]] = []
    for row in contracts.rows_for(contract):
        role = row.caller in ("service_linked_role", "deployment_role")
        if row.caller == "deployment_role":
            if deployer is None:
                continue  # a key not written by this version: nothing to hold the row against
            deployed = evaluator.canonicalize(deployer)
            row = replace(row, principal=str(deployed) if isinstance(deployed, str) else "")
        elif row.caller == "service_linked_role" and linked_role is not None:
            if not isinstance(linked_role, str):  # a value the template does not spell out
                out.append((str(linked_role), "every request", "undecidable: the role's ARN"))
                continue
            row = replace(row, principal=linked_role)
        elif not role and (row.caller != "service_principal" or row.phase != "run"):
            continue
        context = {}
        for name, text in row.context.items():
            for placeholder, value in fill.items():
                text = text.replace(placeholder, value)
            context[name] = text
        if source is not None and not role:
            # the service calls KMS for another account's source: its ARN and account
            context["aws:SourceArn"] = source[0]
            if "aws:SourceAccount" in context:
                context["aws:SourceAccount"] = source[1]
        principal = row.principal
        for placeholder, value in fill.items():
            principal = principal.replace(placeholder, value)
        principal = with_environment(principal, env)
        for action in row.actions:
            request = (
                evaluator.Request(
                    action,
                    principal,
                    env.account_text,
                    context=context,
                    identity_allows=row.caller == "service_linked_role",
                )
                if role
                else evaluator.Request(action, service=row.principal, context=context)
            )
            try:
                decision = evaluator.evaluate(policy, request)
            except ValueError as error:
                out.append((row.principal, action, f"undecidable: {error}"))
                continue
            if decision != "allow":
                out.append((principal, action, row.source))
    return out


def source_of_delivery(
    stack: StackTemplate, resource: Mapping[str, Any], account: str | None
) -> tuple[str, str] | None:
    """``(ARN, account)`` of the source ``resource`` (of ``stack``) delivers for when its
    template names one of another account than ``account`` (the store's key's) by a literal ARN
    (a subscription to another account's topic:
    :func:`cdk_partition.knowledge.wiring.foreign_source`), ``stack``'s pseudo parameters
    written as their values; None when the source is the key's account's."""
    env = stack.environment
    found = foreign_source(resource, account, evaluator.canonicalize)
    if found is None:
        return None
    arn = found[0].replace("${AWS::Partition}", env.partition_text)
    return arn.replace("${AWS::Region}", env.region_text), found[1]


def wired_sources(assembly: CloudAssembly, key: Any) -> frozenset[str]:
    """The literal ARNs of other accounts' sources the app wires to deliver into stores on
    ``key`` (a subscription of a domain queue to another account's topic), as the key policy
    writes them: a service statement scoped to exactly one of them is the app's wiring, not a
    scope reaching other accounts (CDKP106). Read once per assembly for every key."""
    mark = ("wired-sources",)
    by_key: dict[int, set[str]] | None = assembly.memo.get(mark)
    if by_key is None:
        by_key = {}
        for stack in assembly.stacks:
            for resource in stack.resources.values():
                if resource.get("Type") not in SOURCE_ARN_PROPERTIES:
                    continue
                found = foreign_source(resource, None, evaluator.canonicalize)
                for store_key in _keys_of_stores(assembly, stack, resource) if found else []:
                    if found and found[1] != store_key.stack.environment.account:
                        by_key.setdefault(id(store_key), set()).add(found[0])
        assembly.memo[mark] = by_key
    return frozenset(by_key.get(id(key), ()))


def _keys_of_stores(
    assembly: CloudAssembly, stack: StackTemplate, resource: Mapping[str, Any]
) -> Iterator[Any]:
    """The domain keys of the stores ``resource``'s wiring properties name."""
    for _, value in _named(resource):
        for store_stack, store_id in stores_at(assembly, stack, value):
            store = store_stack.resources.get(store_id)
            domain = assembly.domain_of(store_stack, store_id, store).domain if store else None
            key = assembly.nearest_domain_key(domain, store_stack) if domain else None
            if key is not None:
                yield key


def _finding(
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    store_stack: StackTemplate,
    store_id: str,
    store: Mapping[str, Any],
    domain: str,
    what: str,
    refused: list[tuple[str, str, str]],
    contract: str,
    source: tuple[str, str] | None,
    linked_role: Any = None,
    account: str | None = None,
) -> Finding:
    base = resource_fields(stack, logical_id, resource, domain)
    store_path = resource_path(store_stack, store_id, store).removesuffix("/Resource")
    services = list(dict.fromkeys(s for s, _, _ in refused))
    requests = "; ".join(f"{a} by {s} ({why})" for s, a, why in refused)
    if linked_role is not None and not (
        isinstance(linked_role, str)
        and (
            re.search(r"\$\{(?!AWS::)", linked_role)
            or is_linked_role_of(contract, linked_role, account)
        )
    ):
        fix = (
            "name a service-linked role of EC2 Auto Scaling of the key's account as the group's "
            "ServiceLinkedRoleARN (`arn:<partition>:iam::<account>:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling`, or that name with a custom suffix `_<suffix>`): the "
            "key names no other principal for the group's requests"
        )
    elif isinstance(linked_role, str) and re.search(r"\$\{(?!AWS::)", linked_role):
        fix = (
            "name the group's service-linked role by its literal ARN "
            "(`arn:<partition>:iam::<account>:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling_<suffix>`, created before the group, as AWS asks of "
            "a custom-suffix role): the key policy then names it; it cannot reference a role "
            "another stack creates without a dependency cycle"
        )
    elif linked_role is not None:
        fix = (
            f'on the domain of {store_path}: `domain.allow_integration("{contract}", '
            f'linked_role="{linked_role}")` (the statements its contract rows document, naming '
            "the group's own service-linked role, which must exist before the key policy names "
            "it), or use a store outside the domain"
        )
    elif contract == _AUTO_SCALING:
        fix = (
            f"on the domain of {store_path}: make the template with "
            "`domain.launch_template(..., auto_scaling=True)` (EC2 Auto Scaling's service-linked "
            "role in the key policy, as its contract rows say), or launch it outside the group"
        )
    elif contract in _NEED_A_KEY:
        fix = (
            f'on the domain of {store_path}: `domain.allow_integration("{contract}")` (the '
            "statement its contract rows document), or use a store outside the domain"
        )
    else:
        scope = f', source_arn="{source[0]}"' if source is not None else ""
        doors = " and ".join(f'`domain.allow_service_publisher("{s}"{scope})`' for s in services)
        fix = (
            f"on the domain of {store_path}: {doors} (the statement the service contract "
            "documents), or deliver to a store outside the domain"
        )
    return make_finding(
        _RULE["CDKP021"],
        f"{base['path']} delivers into {store_path} of domain {domain!r} (its {what}), but the "
        f"domain key refuses what the service requests for it: {requests}. Deliveries fail at "
        "run time.",
        fix=fix,
        location=what,
        **base,
    )

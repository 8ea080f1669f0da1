"""Principals follow the grants: what identity policies allow on a domain store, the key must too
(CDKP019, CDKP020).

A domain store's service calls KMS with the caller's credentials (``kms:ViaService`` set to the
service): a role that its identity policy allows ``kinesis:GetRecords`` on a domain stream makes
``kms:Decrypt`` on the domain key, and ``DenyEveryoneElse`` refuses it unless the key policy names
the role. The CDK's own ``grant*`` methods and event sources write such identity policies (and an
IAM ``kms:Decrypt`` on the key, which the key policy's deny overrides), so the app deploys and
fails at run time.

The pass reads every identity policy of the assembly (:func:`grants`): ``AWS::IAM::Role`` and
``AWS::IAM::User`` inline ``Policies``, ``AWS::IAM::Policy`` and ``AWS::IAM::ManagedPolicy``
attached to roles, users or groups, or attached by ARN (``ManagedPolicyArns``; a group's
policies apply to the app's users in it), and for
every principal allowed a data action on a store of a domain (the table
:mod:`cdk_partition.knowledge.identity_kms`, each row citing its AWS page) evaluates the KMS
requests the store's service makes against the domain key policy with the policy evaluator.

* ``CDKP019`` (error): IAM allows the data action, the key refuses a KMS request it needs; the
  finding names the principal, the store, the actions, the KMS requests and the fix
  (``domain.grant_read(...)`` / ``grant_write(...)``). The key policy is never widened here.
* ``CDKP020`` (error, fail closed): an identity policy whose principal or resource the audit
  cannot follow (an intrinsic it cannot resolve, ``NotAction`` / ``NotResource``), or a KMS
  request the evaluator cannot decide.

What an identity grant covers: a ``Resource`` that names a store of the app (``Ref``,
``Fn::GetAtt``, ``Fn::Sub`` of its ARN, or an export of one, or its literal name's ARN:
:mod:`cdk_partition.knowledge.store_names`), and ``"*"`` for actions the statement names without
a wildcard (``sqs:SendMessage`` on ``*`` is meant for queues; ``*`` on ``*`` is an
administrator's, whom the pattern keeps away from the data on purpose). Statement conditions are
assumed to hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.principals import PrincipalResolver
from ..knowledge.capabilities import least_capabilities
from ..knowledge.identity_kms import ROWS_BY_TYPE, IdentityRow
from ..policy import evaluator
from .deliveries import service_account_targets
from .identity_policies import (
    RESOURCE_POLICIES,
    Principal,
    as_list,
    glob,
    holders,
    later_stack_fix,
    naming_fix,
    statements_of,
)
from .key_requests import prepared_key_policy
from .rules import Finding, Rule, make_finding, no_aws_page, resource_fields
from .store_texts import Store, domain_stores, stores_named

__all__ = ["RULES", "Grant", "IdentityVerdict", "audit_identities", "grants", "verdicts"]

_PER_ROW = "each identity -> KMS row cites its own AWS page (cdk_partition.knowledge.identity_kms)"

#: The rules of identities.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP019",
        "error",
        "An identity policy allows a data action on a domain store, or a KMS action on the "
        "domain key, that the domain key refuses",
        "name the principal in the domain key policy: `domain.grant_read(principal)` for "
        "kms:Decrypt, `domain.grant_write(principal)` for kms:GenerateDataKey / kms:Encrypt "
        "(or drop the IAM grant); the key policy is the access control and is never widened "
        "behind your back",
        source=no_aws_page(_PER_ROW),
    ),
    Rule(
        "CDKP025",
        "warning",
        'An identity policy allows a data action on every resource ("*", or an ARN that admits '
        "any name of the store's type), a domain store among them, that the domain key refuses",
        "if the principal is meant to use the store, name it in the domain key policy "
        "(`domain.grant_read(principal)` / `grant_write`); if not, the key is doing its job: "
        "scope the IAM grant to the resources it is meant for",
        source=no_aws_page(_PER_ROW),
    ),
    Rule(
        "CDKP020",
        "error",
        "An identity policy that may reach a domain store cannot be checked against the key",
        "write the principal and the store as references the template shows (`Ref` / "
        "`Fn::GetAtt` of resources of the app, or their exports) and avoid `NotAction` / "
        "`NotResource` in grants on domain stores, so the audit can follow them",
        source=no_aws_page("fail closed: what the audit cannot follow is reported, not skipped"),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


@dataclass(frozen=True)
class Grant:
    """One identity policy statement's data action on one store, for one principal."""

    policy_stack: StackTemplate
    policy_id: str
    """The resource holding the statement (the role for inline policies, else the policy)."""
    principal_arn: str
    principal_path: str
    store: Store
    action: str
    row: IdentityRow
    identity_kms: tuple[str, ...]
    """KMS action patterns the principal's own identity policies allow (on any resource)."""
    by_resource_policy: bool = False
    """The store's resource policy allows it (``policy_id`` is that policy), not an identity
    policy."""
    by_star: bool = False
    """The statement's ``Resource`` names no store: ``"*"``, or a text admitting any name of
    the store's type (``star_text``); the store is reached by being one of every resource."""
    star_text: str = "*"


@dataclass(frozen=True)
class IdentityVerdict:
    """A grant decided against the key: the KMS requests refused (empty: allowed by both)."""

    grant: Grant
    refused: tuple[str, ...]
    undecidable: str | None = None


@dataclass
class _Unreadable:
    stack: StackTemplate
    logical_id: str
    why: str


def _identity_kms(documents: Iterable[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for document in documents:
        for statement in statements_of(document):
            if statement.get("Effect") != "Allow":
                continue
            for action in as_list(statement.get("Action") or []):
                if isinstance(action, str) and action.lower().startswith(("kms:", "*")):
                    out.append(action)
    return tuple(out)


def grants(assembly: CloudAssembly) -> tuple[list[Grant], list[_Unreadable]]:
    """Every data action an identity policy of the assembly allows on a domain store, and the
    policies the audit cannot follow where they may reach one."""
    cached = assembly.memo.get(("identity-grants",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    stores = domain_stores(assembly)
    resolver = PrincipalResolver(assembly)
    out: list[Grant] = []
    unreadable: list[_Unreadable] = []
    if stores:
        found, by_principal = holders(assembly)
        for holder in found:
            stack, logical_id, ids = holder.stack, holder.logical_id, list(holder.principals)
            if holder.unknown and _may_reach(holder.documents):
                unreadable.append(
                    _Unreadable(stack, logical_id, "attached to " + ", ".join(holder.unknown))
                )
            for document in holder.documents:
                for statement in statements_of(document):
                    if statement.get("Effect") != "Allow":
                        continue
                    if "NotAction" in statement or "NotResource" in statement:
                        if ids:
                            unreadable.append(_Unreadable(stack, logical_id,
                                "an Allow with NotAction or NotResource"))  # fmt: skip
                        continue
                    out += _statement_grants(
                        assembly, resolver, stack, logical_id, ids, statement, stores, by_principal,
                        unreadable,
                    )  # fmt: skip
        out += _resource_policy_grants(assembly, resolver, stores, unreadable)
    result = (out, unreadable)
    assembly.memo[("identity-grants",)] = result
    return result


def _may_reach(documents: Iterable[Any]) -> bool:
    """Whether a document allows an action of the identity table (the only ones checked)."""
    for document in documents:
        for statement in statements_of(document):
            for action in as_list(statement.get("Action") or statement.get("NotAction") or []):
                if isinstance(action, str) and any(
                    glob(action).match(a) for rows in ROWS_BY_TYPE.values() for r in rows
                    for a in r.actions
                ):  # fmt: skip
                    return True
    return False


def _statement_grants(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stack: StackTemplate,
    logical_id: str,
    ids: list[Principal],
    statement: Mapping[str, Any],
    stores: Mapping[tuple[int, str], Store],
    by_principal: Mapping[str, list[Any]],
    unreadable: list[_Unreadable],
) -> Iterator[Grant]:
    actions = [a for a in as_list(statement.get("Action") or []) if isinstance(a, str)]
    if not ids or not actions:
        return
    named: list[Store] = []
    loose: dict[Store, str] = {}  # reached by "*" or a text admitting any name -> that text
    for value in as_list(statement.get("Resource") or []):
        found = stores_named(assembly, stack, value, stores)
        named += found.stores
        for store in stores.values() if found.star else found.any_name:
            loose.setdefault(store, found.text)
        if found.why is not None and _may_reach([{"Statement": [statement]}]):
            unreadable.append(_Unreadable(stack, logical_id, found.why))
    explicit = {a.lower() for a in actions if "*" not in a and "?" not in a}
    targets: list[tuple[Store, str | None]] = [(s, None) for s in dict.fromkeys(named)]
    # the stores of the actions the statement names without a wildcard
    targets += [(s, text) for s, text in loose.items() if s not in named]
    patterns = [glob(a) for a in actions]
    for store, star_text in targets:
        for row in ROWS_BY_TYPE[str(store.resource.get("Type"))]:
            for action in row.actions:
                if star_text is not None and action.lower() not in explicit:
                    continue
                if not any(p.match(action) for p in patterns):
                    continue
                for arn, path in ids:
                    yield Grant(
                        stack, logical_id, arn, path, store, action, row,
                        _identity_kms(by_principal.get(arn, [])), by_star=star_text is not None,
                        star_text=star_text or "*",
                    )  # fmt: skip


_ROOT = re.compile(
    r"^(?:arn:(?:[^:$]+|\$\{AWS::Partition\}):iam::)?(\d{12}|\$\{AWS::AccountId\})(?::root)?$"
)


def _resource_policy_grants(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stores: Mapping[tuple[int, str], Store],
    unreadable: list[_Unreadable],
) -> list[Grant]:
    """The data actions the resource policies of domain stores allow IAM principals (roles,
    users, accounts: ``Principal.AWS``; services and ``*`` are the integrations' and the store
    rules' to judge). Each such principal's own identity policy is taken to allow its KMS
    requests (it may be outside the app): only the key policy decides."""
    out: list[Grant] = []
    app_accounts = {s.environment.account for s in assembly.stacks}
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            kind = resource.get("Type") if isinstance(resource, dict) else None
            if kind not in RESOURCE_POLICIES:
                continue
            target_key, document_key = RESOURCE_POLICIES[kind]
            props = resource.get("Properties") if isinstance(resource, dict) else None
            if not isinstance(props, dict):
                continue
            targets: list[Store] = []
            for value in as_list(props.get(target_key) or []):
                found = stores_named(assembly, stack, value, stores, targets=True)
                targets += found.stores + found.any_name
            if not targets:
                continue
            # an access-log bucket of a load balancer: an account outside the app allowed only to
            # put objects under AWSLogs/ is Elastic Load Balancing's log delivery (the delivery's
            # own finding covers it: CDKP026, CDKP021); any other stays a principal
            service_accounts = (
                {s for s in targets if (s.stack.name, s.logical_id) in log_targets}
                if (log_targets := service_account_targets(assembly))
                else set()
            )
            for statement in statements_of(props.get(document_key)):
                if statement.get("Effect") != "Allow":
                    continue
                principal = statement.get("Principal")
                aws = principal.get("AWS") if isinstance(principal, Mapping) else None
                given = as_list(aws) if aws is not None else []
                if principal == "*" or "*" in given:
                    # everyone, narrowed by the condition to principals it names, if it does
                    aws = [a for a in given if a != "*"] + _narrowed_to(statement)
                if not aws:
                    continue
                if "NotAction" in statement:
                    unreadable.append(_Unreadable(stack, logical_id, "an Allow with NotAction"))
                    continue
                actions = [a for a in as_list(statement.get("Action") or []) if isinstance(a, str)]
                patterns = [glob(a) for a in actions]
                for value in as_list(aws):
                    text = resolver.resolve(str(evaluator.canonicalize(value)), stack)
                    if text == "*":
                        continue
                    root = _ROOT.match(text)
                    if root and root.group(1) in (
                        stack.environment.account_text,
                        "${AWS::AccountId}",
                    ):
                        # the store's own account: its principals' IAM policies decide who
                        # (the identity grants above), as the AWS Solutions Constructs'
                        # "owner only" statements write it
                        continue
                    arn = (
                        f"arn:{stack.environment.partition_text}:iam::{root.group(1)}:root"
                        if root
                        else text
                    )
                    origin = resolver.origins.get(arn)
                    path = origin.path if origin else arn
                    outside = (
                        root is not None
                        and root.group(1) not in app_accounts
                        and bool(actions)
                        and all(a.lower() == "s3:putobject" for a in actions)
                        and _under_aws_logs(statement)
                    )
                    for store in dict.fromkeys(targets):
                        if outside and store in service_accounts:
                            continue
                        for row in ROWS_BY_TYPE[str(store.resource.get("Type"))]:
                            for action in row.actions:
                                if any(p.match(action) for p in patterns):
                                    out.append(
                                        Grant(stack, logical_id, arn, path, store, action, row,
                                              ("kms:*",), by_resource_policy=True)
                                    )  # fmt: skip
    return out


def _under_aws_logs(statement: Mapping[str, Any]) -> bool:
    """Whether every resource of ``statement`` is under an ``AWSLogs/`` folder, where Elastic
    Load Balancing writes ("bucket[/prefix]/AWSLogs/aws-account-id/elasticloadbalancing/...",
    Elastic Load Balancing, "Access logs for your Application Load Balancer",
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html)."""
    resources = as_list(statement.get("Resource") or [])
    return bool(resources) and all("/AWSLogs/" in str(evaluator.canonicalize(r)) for r in resources)


def _narrowed_to(statement: Mapping[str, Any]) -> list[Any]:
    """The principals a ``"*"`` statement's condition narrows it to: the literal role and user
    ARNs of ``aws:PrincipalArn``, the accounts of ``aws:PrincipalAccount`` (positive operators
    only). Everyone else is left to the key: ``DenyEveryoneElse`` refuses the principals the
    domain does not name, which is the pattern, not a fault of the app."""
    out: list[Any] = []
    condition = statement.get("Condition")
    for operator, block in condition.items() if isinstance(condition, Mapping) else ():
        if "not" in str(operator).lower() or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            name = str(key).lower()
            for value in as_list(values):
                if not isinstance(value, str) or "*" in value or "?" in value:
                    continue
                if name == "aws:principalarn":
                    out.append(value)
                elif name == "aws:principalaccount":
                    out.append(f"arn:aws:iam::{value}:root")
    return out


# -- deciding against the key ----------------------------------------------------------------


def verdicts(assembly: CloudAssembly) -> list[IdentityVerdict]:
    """Each grant with the KMS requests the domain key refuses for it."""
    cached = assembly.memo.get(("identity-verdicts",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    resolver = PrincipalResolver(assembly)
    out: list[IdentityVerdict] = []
    for grant in grants(assembly)[0]:
        store = grant.store
        key = assembly.nearest_domain_key(store.domain, store.stack)
        if key is None or not isinstance(key.policy, dict):
            out.append(IdentityVerdict(grant, (), "the domain key or its policy is not readable"))
            continue
        prepared = prepared_key_policy(assembly, resolver, key)
        env = store.stack.environment
        account = grant.policy_stack.environment.account_text
        context = {
            "kms:ViaService": f"{grant.row.service}.{env.region_text}.amazonaws.com",
            "kms:CallerAccount": account,
        }
        refused: list[str] = []
        undecidable = None
        for request in grant.row.kms_requests:
            allows = any(glob(p).match(request) for p in grant.identity_kms)
            try:
                decision = evaluator.evaluate(
                    prepared,
                    evaluator.Request(request, grant.principal_arn, account, context=context,
                                      identity_allows=allows),
                )  # fmt: skip
            except ValueError as error:
                undecidable = f"{request}: {error}"
                continue
            if decision != "allow":
                refused.append(request)
        out.append(IdentityVerdict(grant, tuple(refused), undecidable))
    assembly.memo[("identity-verdicts",)] = out
    return out


def audit_identities(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP019 for every principal whose data actions on a domain store the key refuses (one
    finding per principal and store), CDKP020 for what cannot be followed or decided."""
    _, unreadable = grants(assembly)
    seen: set[tuple[int, str, str]] = set()
    for item in unreadable:
        mark = (id(item.stack), item.logical_id, item.why)
        if mark in seen:
            continue
        seen.add(mark)
        resource = item.stack.resources[item.logical_id]
        base = resource_fields(item.stack, item.logical_id, resource, None)
        yield make_finding(
            _RULE["CDKP020"],
            f"{base['path']}: identity policy not checked against the domain keys: {item.why}.",
            location="PolicyDocument",
            **base,
        )
    grouped: dict[tuple[int, str, str, int, str], list[IdentityVerdict]] = {}
    for verdict in verdicts(assembly):
        if verdict.refused or verdict.undecidable:
            g = verdict.grant
            mark2 = (id(g.policy_stack), g.policy_id, g.principal_arn, id(g.store.stack),
                     g.store.logical_id)  # fmt: skip
            grouped.setdefault(mark2, []).append(verdict)
    for group in grouped.values():
        if all(v.grant.by_star and not v.refused for v in group):
            continue  # "*" names no store: a key the audit cannot read is its own rules' finding
        yield _finding(assembly, group)


def _finding(assembly: CloudAssembly, group: list[IdentityVerdict]) -> Finding:
    grant = group[0].grant
    store = grant.store
    resource = grant.policy_stack.resources[grant.policy_id]
    base = resource_fields(grant.policy_stack, grant.policy_id, resource, store.domain)
    actions = ", ".join(dict.fromkeys(v.grant.action for v in group))
    requests = list(dict.fromkeys(r for v in group for r in v.refused))
    sources = "; ".join(dict.fromkeys(v.grant.row.source for v in group))
    undecidable = [v.undecidable for v in group if v.undecidable]
    if not requests:
        return make_finding(
            _RULE["CDKP020"],
            f"{grant.principal_path} ({grant.principal_arn}) may call {actions} on "
            f"{store.path} of domain {store.domain!r}, and the domain key's answer to the KMS "
            f"requests that needs cannot be decided: {'; '.join(undecidable)}.",
            location="PolicyDocument",
            **base,
        )
    capabilities = [str(c) for c in least_capabilities(requests)[0]] or ["write"]
    where = "the grant" if not grant.by_resource_policy else "the statement of the resource policy"
    fix = _later_fix(assembly, grant, capabilities) or naming_fix(
        (grant.principal_arn, grant.principal_path), capabilities, store.domain, where
    )
    kind = str(resource.get("Type"))
    if all(v.grant.by_star for v in group):
        # "*" names no store: the grant may be meant for others (a Cognito user pool's SMS
        # role publishes to phone numbers with sns:Publish on "*")
        return make_finding(
            _RULE["CDKP025"],
            f"IAM allows {_who(grant)} {actions} on {_every(grant.star_text)}, {store.path} of "
            f"domain {store.domain!r} among them, and the domain key refuses the KMS "
            f"request{'s' if len(requests) > 1 else ''} {', '.join(requests)} that "
            f"{grant.row.service} makes with its credentials ({sources}): if the principal is "
            "meant to use the store, the call fails at run time.",
            fix=f"{fix}; if it is not meant to, scope the grant to the resources it is for",
            location="PolicyDocument",
            value=grant.principal_arn,
            **base,
        )
    return make_finding(
        _RULE["CDKP019"],
        f"{'The resource policy of the store' if grant.by_resource_policy else 'IAM'} allows "
        f"{_who(grant)} {actions} on "
        f"{store.path} of domain {store.domain!r}, but the domain key refuses the KMS "
        f"request{'s' if len(requests) > 1 else ''} {', '.join(requests)} that "
        f"{grant.row.service} makes with its credentials ({sources}): the call fails at run "
        "time.",
        fix=fix,
        location=RESOURCE_POLICIES[kind][1] if grant.by_resource_policy else "PolicyDocument",
        value=grant.principal_arn,
        **base,
    )


def _every(text: str) -> str:
    if text == "*":
        return 'every resource ("*")'
    return f"{text!r}, which names no store but admits any name of its type"


def _who(grant: Grant) -> str:
    if grant.principal_path == grant.principal_arn:
        return grant.principal_arn
    return f"{grant.principal_path} ({grant.principal_arn})"


def _later_fix(assembly: CloudAssembly, grant: Grant, capabilities: list[str]) -> str | None:
    """The fix when the principal is of a stack that deploys after the domain key's (a consumer
    stack reading the store): the usual one would close a dependency cycle."""
    store = grant.store
    key = assembly.nearest_domain_key(store.domain, store.stack)
    if key is None or grant.principal_path == grant.principal_arn:
        return None
    calls = " and ".join(f"`domain.grant_{c}(role)`" for c in capabilities)
    return later_stack_fix(
        assembly,
        (grant.principal_arn, grant.principal_path),
        key.stack,
        f"{calls}; the CDK grant stays as written",
        key.logical_id,
    )

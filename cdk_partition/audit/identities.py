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
* ``CDKP027`` (error, fail closed): a store whose AWS page names its readers' and writers' KMS
  requests but not the actions that make them (:data:`~cdk_partition.knowledge.identity_kms
  .CALLERS_BY_TYPE`), and a principal allowed actions of its service on it whom the key allows
  none of those requests; exempted on the identity policy when its actions touch no data.
* ``CDKP020`` (error, fail closed): an identity policy whose principal or resource the audit
  cannot follow (an intrinsic it cannot resolve, ``NotResource``, a ``NotAction`` naming an
  action of a service the audit checks), or a KMS request the evaluator cannot decide. A
  ``NotAction`` of other services only (``PowerUserAccess``'s ``iam:*``...) is read as
  ``Action: "*"``.

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
from typing import Any

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.principals import PrincipalResolver
from ..knowledge.capabilities import least_capabilities
from ..knowledge.consumers import CONSUMERS_BY_KEY, Consumer
from ..knowledge.identity_kms import CALLERS_BY_TYPE, ROWS_BY_TYPE
from ..knowledge.identity_resources import OWN, acts_on
from ..policy import evaluator
from .aws_managed import aws_managed_holders
from .boundaries import boundaries, denied_everywhere, outside_boundary
from .consumer_grants import consumer_grants
from .identity_grants import Grant, IdentityVerdict, Unreadable, matching, of_service, rows_of
from .identity_policies import (
    RESOURCE_POLICIES,
    Principal,
    as_list,
    glob,
    holders,
    later_stack_fix,
    naming_fix,
    readable,
    statements_of,
)
from .key_requests import prepared_key_policy
from .permission_sets import permission_set_gaps
from .resource_policy_grants import resource_policy_grants
from .rules import Finding, Rule, make_finding, no_aws_page, resource_fields
from .store_texts import Store, domain_stores, own_arn_text, stores_named
from .wired_principals import named_explicitly, wired_to

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
        "CDKP027",
        "error",
        "An identity policy allows actions on a domain store whose AWS page names the KMS "
        "requests of its readers and writers but not which actions make them, and the domain "
        "key allows the principal none of those requests",
        "if the principal reads or writes the store's data, name it in the domain key policy "
        "(`domain.grant_read(principal)` / `grant_write`); if its actions touch no data, "
        "`exempt(<the identity policy>, 'CDKP027', <reason>)`",
        source=no_aws_page(
            "fail closed: each store type's readers and writers are the capability rows of its "
            "contract (cdk_partition.knowledge.contracts), each citing its AWS page"
        ),
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
#: a resource's own ARN and what follows it: ``${Bucket.Arn}/*``
_OWN_ARN = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}(.*)", re.DOTALL)
_RULE = {rule.id: rule for rule in RULES}


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


def _after_literal_arn(text: str, store: Store) -> str | None:
    """What follows the store's own ARN in a literal ``text`` naming it by name
    (``arn:aws:s3:::orders-docs`` -> ``""``), None when the text is not that ARN and more."""
    if "${" in text:
        return None
    arn = own_arn_text(store) if str(store.resource.get("Type")) in OWN else None
    return text[len(arn) :] if arn is not None and text.startswith(arn) else None


def grants(assembly: CloudAssembly) -> tuple[list[Grant], list[Unreadable]]:
    """Every data action an identity policy of the assembly allows on a domain store, and the
    policies the audit cannot follow where they may reach one."""
    cached = assembly.memo.get(("identity-grants",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    stores = domain_stores(assembly)
    resolver = PrincipalResolver(assembly)
    out: list[Grant] = []
    unreadable: list[Unreadable] = []
    if stores:
        found, by_principal = holders(assembly)
        extra = aws_managed_holders(assembly, resolver)  # not the memo's lists: copies
        generic = {id(h) for h in extra}
        if extra:
            found = [*found, *extra]
            by_principal = {arn: list(docs) for arn, docs in by_principal.items()}
            for holder in extra:
                for arn, _ in holder.principals:
                    by_principal.setdefault(arn, []).extend(holder.documents)
        for holder in found:
            stack, logical_id, ids = holder.stack, holder.logical_id, list(holder.principals)
            if holder.unknown and _may_reach(holder.documents):
                unreadable.append(
                    Unreadable(stack, logical_id, "attached to " + ", ".join(holder.unknown))
                )
            for document in holder.documents:
                if ids and not readable(document) and _may_reach_text(document):
                    unreadable.append(
                        Unreadable(stack, logical_id, "a policy document that cannot be read")
                    )
                for statement in statements_of(document):
                    if statement.get("Effect") != "Allow":
                        continue
                    if "NotAction" in statement and "NotResource" not in statement:
                        statement = _not_action_as_action(statement) or statement
                    if "NotAction" in statement or "NotResource" in statement:
                        if ids:
                            unreadable.append(Unreadable(stack, logical_id,
                                "an Allow with NotAction or NotResource"))  # fmt: skip
                        continue
                    out += _statement_grants(
                        assembly, resolver, stack, logical_id, ids, statement, stores, by_principal,
                        unreadable, generic=id(holder) in generic,
                    )  # fmt: skip
        unreadable += permission_set_gaps(assembly, stores)
        out += resource_policy_grants(assembly, resolver, stores, unreadable)
        out += consumer_grants(
            assembly, resolver, stores, out,
            lambda arn: _identity_kms(by_principal.get(arn, [])), unreadable,
        )  # fmt: skip
    result = (out, unreadable)
    assembly.memo[("identity-grants",)] = result
    return result


def _may_reach(documents: Iterable[Any]) -> bool:
    """Whether a document allows an action of the identity table, or any action of a service of
    :data:`CALLERS_BY_TYPE` (the only ones checked)."""
    for document in documents:
        for statement in statements_of(document):
            for action in as_list(statement.get("Action") or statement.get("NotAction") or []):
                if isinstance(action, str) and (
                    any(glob(action).match(a) for rows in ROWS_BY_TYPE.values() for r in rows
                        for a in r.actions)
                    or any(of_service(action, c.service) for c in CALLERS_BY_TYPE.values())
                ):  # fmt: skip
                    return True
    return False


#: The services whose actions the audit checks (the identity rows' and the callers').
_SERVICES = frozenset(
    {a.split(":")[0] for rows in ROWS_BY_TYPE.values() for r in rows for a in r.actions}
    | {c.service for c in CALLERS_BY_TYPE.values()}
)


def _not_action_as_action(statement: Mapping[str, Any]) -> dict[str, Any] | None:
    """An Allow with ``NotAction`` as the ``Action: "*"`` statement it amounts to for the
    services the audit checks (:data:`_SERVICES`), when none of its patterns names an action of
    theirs: ``PowerUserAccess``'s ``NotAction: ["iam:*", "organizations:*", "account:*"]``
    "matches everything except the specified list of actions" (IAM User Guide, "IAM JSON policy
    elements: NotAction",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html).
    None when a pattern may name one (a service wildcard, ``s3:*``, an intrinsic): unreadable."""
    patterns = as_list(statement.get("NotAction") or [])
    for pattern in patterns:
        if not isinstance(pattern, str) or ":" not in pattern:
            return None
        service = pattern.split(":", 1)[0].lower()
        if service in _SERVICES or "*" in service or "?" in service:
            return None
    return {k: v for k, v in statement.items() if k != "NotAction"} | {"Action": "*"}


def _may_reach_text(document: Any) -> bool:
    """Whether an unreadable document may allow an action the audit checks: any text that names
    one of their services, or that it cannot show (fail closed)."""
    text = str(document)
    return "*" in text or "${" in text or "Fn::" in text or any(f"{s}:" in text for s in _SERVICES)


def _statement_grants(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stack: StackTemplate,
    logical_id: str,
    ids: list[Principal],
    statement: Mapping[str, Any],
    stores: Mapping[tuple[int, str], Store],
    by_principal: Mapping[str, list[Any]],
    unreadable: list[Unreadable],
    *,
    generic: bool = False,
) -> Iterator[Grant]:
    """The grants of one Allow statement of a policy ``ids`` hold. ``generic``: the statement
    is an AWS managed policy's, written for no store of the app: its grants on every resource
    count only for the stores the app wires the principal to (:mod:`.wired_principals`)."""
    actions = [a for a in as_list(statement.get("Action") or []) if isinstance(a, str)]
    if not ids or not actions:
        return
    named: list[Store] = []
    loose: dict[Store, str] = {}  # reached by "*" or a text admitting any name -> that text
    suffixes: dict[Store, list[str | None]] = {}  # what follows its own ARN in each text
    for value in as_list(statement.get("Resource") or []):
        found = stores_named(assembly, stack, value, stores)
        named += found.stores
        text = str(evaluator.canonicalize(value))
        own = _OWN_ARN.fullmatch(text)
        for store in found.stores:
            mine = own is not None and own[1] == store.logical_id and store.stack is stack
            suffixes.setdefault(store, []).append(
                own[2] if own is not None and mine else _after_literal_arn(text, store)
            )
        for store in stores.values() if found.star else found.any_name:
            loose.setdefault(store, found.text)
        if found.why is not None and _may_reach([{"Statement": [statement]}]):
            unreadable.append(Unreadable(stack, logical_id, found.why))
    explicit = {a.lower() for a in actions if "*" not in a and "?" not in a}
    targets: list[tuple[Store, str | None]] = [(s, None) for s in dict.fromkeys(named)]
    # the stores of the actions the statement names without a wildcard
    targets += [(s, text) for s, text in loose.items() if s not in named]
    for store, star_text in targets:
        # a principal the app wires to the store (a function given its URL) may mean its grant
        # on everything for it, wildcard actions too: still CDKP025 (wired_principals)
        wired = {arn for arn, _ in ids if star_text is not None and _wired(assembly, resolver,
                                                                             arn, store)}  # fmt: skip
        for row in rows_of(store):
            if star_text is not None and row.any_of:
                continue  # "*" or any name: which of the service's actions touch data is unknown
            for action, applied in matching(row, actions, store):
                loose_only = star_text is not None and (generic or action.lower() not in explicit)
                if loose_only and not wired:
                    continue
                texts = suffixes.get(store, [None]) if star_text is None else [None]
                kind = str(store.resource.get("Type"))
                if not any(t is None or acts_on(kind, action, t) for t in texts):
                    continue  # no resource the statement names is one the action acts on
                for arn, path in ids:
                    if (
                        (loose_only and arn not in wired)
                        or denied_everywhere(by_principal.get(arn, []), action)
                        or outside_boundary(boundaries(assembly).get(arn), action)
                    ):
                        continue
                    yield Grant(
                        stack, logical_id, arn, path, store, action, applied,
                        _identity_kms(by_principal.get(arn, [])),
                        by_star=star_text is not None,
                        star_text=star_text or "*",
                    )  # fmt: skip


def _wired(assembly: CloudAssembly, resolver: PrincipalResolver, arn: str, store: Store) -> bool:
    """Whether the principal ``arn`` (a role or user of the app) is wired to ``store`` and
    names it in no policy of its own (then it has said what it does with it)."""
    stores = domain_stores(assembly)
    pair = (arn, (id(store.stack), store.logical_id))
    return pair in wired_to(assembly, stores, resolver) and pair not in named_explicitly(
        assembly, stores
    )


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
        unknown: set[str] = set()
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
                unknown.add(request)
                continue
            if decision != "allow":
                refused.append(request)
        if grant.row.any_of and any(not set(s) & {*refused, *unknown} for s in grant.row.any_of):
            refused, undecidable = [], None  # the key allows one capability row's requests
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
            fix=item.fix,
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
    where = "the grant" if not grant.by_resource_policy else "the statement of the resource policy"
    consumer = _consumer_of(grant)
    where = consumer.what.replace("this ", "the ", 1) if consumer else where
    if grant.row.any_of:
        return _callers_finding(assembly, group, where, base)
    capabilities = [str(c) for c in least_capabilities(requests)[0]] or ["write"]
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
    if consumer is not None:
        return make_finding(
            _RULE["CDKP019"],
            f"For {consumer.what}, {consumer.uses} {store.path} of domain "
            f"{store.domain!r} ({actions}) with {consumer.role_name}, {_who(grant)}, "
            "whatever policies grant the role that (an AWS managed policy is not in the "
            "template), but the domain key refuses the role the KMS "
            f"request{'s' if len(requests) > 1 else ''} {', '.join(requests)} "
            f"({sources}; what the role calls: {consumer.source_of(str(store.resource.get('Type')))[1]})"
            f": {consumer.consequence}.",
            fix=fix,
            location=consumer.store_property,
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


def _callers_finding(
    assembly: CloudAssembly, group: list[IdentityVerdict], where: str, base: Mapping[str, Any]
) -> Finding:
    """CDKP027 for a store whose readers and writers AWS names (the capability rows of its
    contract) without saying which of its actions make which request: each action's requests
    are its kind's (the Service Authorization Reference's access level: a read needs the
    reader's, a write the writer's), and the key refuses the principal those of some. The fix
    names the principal with the capabilities that hold them, or says how to record that the
    actions touch no data."""
    grant = group[0].grant
    store = grant.store
    kind = str(store.resource.get("Type"))
    service = grant.row.actions[0].split(":")[0]
    actions = ", ".join(dict.fromkeys(v.grant.action for v in group))
    needs = "; ".join(
        dict.fromkeys(" or ".join(", ".join(s) for s in v.grant.row.any_of) for v in group)
    )
    refused = list(dict.fromkeys(r for v in group for r in v.refused))
    capabilities = [str(c) for c in least_capabilities(refused)[0]] or ["read"]
    fix = _later_fix(assembly, grant, capabilities) or naming_fix(
        (grant.principal_arn, grant.principal_path), capabilities, store.domain, where
    )
    policy = grant.policy_stack.resources[grant.policy_id]
    owner = resource_path(grant.policy_stack, grant.policy_id, policy).removesuffix("/Resource")
    pages = "; ".join(dict.fromkeys(v.grant.row.note for v in group))
    return make_finding(
        _RULE["CDKP027"],
        f"{'The resource policy of the store' if grant.by_resource_policy else 'IAM'} allows "
        f"{_who(grant)} {actions} on {store.path} ({kind}) of domain {store.domain!r}. AWS "
        f"says the store's readers and writers need requests on its key ({pages}) without "
        f"listing which {service} actions make them; read as the Service Authorization "
        f"Reference classes these actions (a read needs the reader's, a write the writer's), "
        f"they need {needs}, and the domain key refuses this principal "
        f"{', '.join(refused) or 'an answer it cannot decide'}: a call that reads or writes the "
        "data fails at run time.",
        fix=f"if the principal reads or writes the store's data, {fix}; if its actions touch no "
        f"data, say so: `exempt(<construct at {owner}>, 'CDKP027', <reason>)`",
        location=RESOURCE_POLICIES[str(policy.get("Type"))][1]
        if grant.by_resource_policy
        else "PolicyDocument",
        value=grant.principal_arn,
        **base,
    )


def _every(text: str) -> str:
    if text == "*":
        return 'every resource ("*")'
    return f"{text!r}, which names no store but admits any name of its type"


def _consumer_of(grant: Grant) -> Consumer | None:
    """The row of the resource that makes ``grant``'s principal use the store, if any."""
    return CONSUMERS_BY_KEY.get(grant.by_consumer) if grant.by_consumer else None


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

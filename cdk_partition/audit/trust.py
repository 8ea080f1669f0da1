"""A principal the domain key names that anyone may become (CDKP029).

The key policy names roles; whoever can assume a role acts as it, and a session's
``aws:PrincipalArn`` is the role's ARN, so the key cannot tell them apart ("AWS global condition
context keys": aws:PrincipalArn of a role session is the role's ARN). A role of the app whose
trust policy allows ``sts:AssumeRole`` to every principal (``"*"``, ``{"AWS": "*"}``,
``iam.AnyPrincipal()``) without a condition hands the domain's data to every AWS account (IAM
User Guide, "AWS JSON policy elements: Principal": "Do not leave your role accessible to
everyone!"); the checks were silent and the report showed nobody (found by an attack). Pure
Python over the assembly's JSON.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import z3

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.principals import PrincipalResolver
from ..assembly.references import references
from ..policy import evaluator
from ..policy.canonical import condition_values, literal_accounts
from ..policy.condition_values import glob
from ..policy.prover import Verdict, resource_prover
from .identity_policies import as_list, named_anywhere, props_of, statements_of
from .rules import Finding, Rule, Source, make_finding, resource_fields, short

__all__ = ["RULES", "audit_trust", "stranger_verdict"]

_PRINCIPAL_PAGE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
)

RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP029",
        "error",
        "A principal the domain key names can be assumed by anyone",
        "trust only the principals that run as the role (`assumed_by=iam.ServicePrincipal(...)`, "
        "a role or account you name), or keep the condition that narrows who may assume it",
        source=Source('IAM User Guide, "AWS JSON policy elements: Principal"', _PRINCIPAL_PAGE),
    ),
)
_RULE = {rule.id: rule for rule in RULES}
#: The actions that make a role session ("AWS STS API": AssumeRole, AssumeRoleWithSAML,
#: AssumeRoleWithWebIdentity).
_ASSUME = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
_ROLE_ARN = re.compile(r"^arn:[^:]+:iam::(\d{12}|own):role/(?:[^/]+/)*([^/]+)$")
_OWN = "own"


def audit_trust(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP029 for each role of the app a domain key policy names in an Allow statement whose
    trust policy allows every principal to assume it without a condition."""
    resolver = PrincipalResolver(assembly)
    seen: set[tuple[int, str]] = set()
    for key in assembly.domain_keys:
        for statement in key.statements:
            if statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal")
            aws = principal.get("AWS") if isinstance(principal, dict) else None
            for value in as_list(aws):
                text = evaluator.canonicalize(value)
                if not isinstance(text, str):
                    continue
                resolved = resolver.resolve(text, key.stack)
                origin = resolver.origins.get(resolved)
                found = (
                    (origin.stack, origin.logical_id, origin.resource)
                    if origin is not None
                    else _role_named(assembly, key.stack, resolved)
                )
                if found is None or found[2].get("Type") != "AWS::IAM::Role":
                    continue
                role_stack, role_id, role = found
                mark = (id(role_stack), role_id)
                if mark in seen:
                    continue
                seen.add(mark)
                trust = props_of(role).get("AssumeRolePolicyDocument")
                base = resource_fields(role_stack, role_id, role, key.name)
                named = (f"{base['path'].removesuffix('/Resource')} is named by the key of "
                         f"domain {key.name!r} (statement {statement.get('Sid', '?')})")  # fmt: skip
                opened = next(_open_statements(trust), None)
                if opened is not None:
                    yield make_finding(
                        _RULE["CDKP029"],
                        f"{named}, and its trust policy lets every AWS principal assume it with "
                        "no condition: anyone who assumes it acts as the role, and the key "
                        "cannot tell them apart.",
                        location="AssumeRolePolicyDocument",
                        value=short(opened.get("Principal")),
                        **base,
                    )
                    continue
                tenant = next(_open_to_any_tenant(assembly, trust, role_stack), None)
                if tenant is not None:
                    yield make_finding(
                        _RULE["CDKP029"],
                        f"{named}, and its trust policy lets tokens of a shared issuer assume "
                        f"it without `{tenant[1]}` pinned to what you own (a repository of an "
                        "owner you name, an identity pool): any customer of the issuer, anyone, "
                        "gets a token the role accepts.",
                        location="AssumeRolePolicyDocument",
                        value=short(tenant[0].get("Condition")),
                        fix=_TENANT_FIX,
                        **base,
                    )
                    continue
                hop = _open_hop(assembly, resolver, role_stack, trust, {mark})
                if hop is not None:
                    yield make_finding(
                        _RULE["CDKP029"],
                        f"{named}, and its trust policy lets {hop[0]} assume it, a role whose own "
                        "trust policy lets every AWS principal assume it: anyone who assumes "
                        f"{hop[0]} can go on to assume this role (a role chain).",
                        location="AssumeRolePolicyDocument",
                        value=short(hop[1]),
                        **base,
                    )


#: How many roles a chain is followed through.
_CHAIN = 3


def _open_hop(
    assembly: CloudAssembly,
    resolver: PrincipalResolver,
    stack: StackTemplate,
    trust: Any,
    seen: set[tuple[int, str]],
    depth: int = 0,
) -> tuple[str, Any] | None:
    """(path, principal) of a role of the app that ``trust`` (a role's trust policy in
    ``stack``) lets assume the role and that anyone may assume, directly or through further
    roles of the app (up to :data:`_CHAIN`): role chaining, using one assumed role to assume a
    second role (IAM User Guide, "Roles terms and concepts",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html; its words were not read
    here, only a detection rule's quoting of them). Whether the hop also needs an identity
    policy allowing ``sts:AssumeRole`` is not read: the chain counts as open either way (fail
    closed), and the attack that found it gave the hop ``sts:AssumeRole`` on ``*``."""
    if depth >= _CHAIN:
        return None
    for statement in statements_of(trust):
        principal = statement.get("Principal") if statement.get("Effect") == "Allow" else None
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        for value in as_list(aws):
            text = evaluator.canonicalize(value)
            if not isinstance(text, str) or text == "*":
                continue
            resolved = resolver.resolve(text, stack)
            origin = resolver.origins.get(resolved)
            found = ((origin.stack, origin.logical_id, origin.resource) if origin is not None
                     else _role_named(assembly, stack, resolved))  # fmt: skip
            if found is None or found[2].get("Type") != "AWS::IAM::Role":
                continue
            mark = (id(found[0]), found[1])
            if mark in seen:
                continue
            seen.add(mark)
            hop_trust = props_of(found[2]).get("AssumeRolePolicyDocument")
            path = resource_path(found[0], found[1], found[2]).removesuffix("/Resource")
            if (
                next(_open_statements(hop_trust), None) is not None
                or next(_open_to_any_tenant(assembly, hop_trust, found[0]), None) is not None
            ):
                return path, value
            further = _open_hop(assembly, resolver, found[0], hop_trust, seen, depth + 1)
            if further is not None:
                return f"{path} (through {further[0]})", value
    return None


def _role_named(
    assembly: CloudAssembly, stack: StackTemplate, arn: str
) -> tuple[StackTemplate, str, Any] | None:
    """The role of the app a literal role ARN of ``stack``'s account names by its ``RoleName``
    (the CDK's ``Role.from_role_arn`` of a role the app creates with a physical name)."""
    # an environment-agnostic stack writes its own account and partition as pseudo parameters
    # (``Fn::Join`` / ``Fn::Sub`` of ``AWS::AccountId``): the role is still the stack's
    plain = arn.replace("${AWS::Partition}", "aws").replace("${AWS::AccountId}", _OWN)
    match = _ROLE_ARN.match(plain)
    if match is None or (match[1] != _OWN and stack.environment.account not in (None, match[1])):
        return None
    found = named_anywhere(assembly, stack, "Roles", match[2])
    return (found[0], found[1], found[0].resources[found[1]]) if found is not None else None


def _open_statements(trust: Any) -> Iterator[Mapping[str, Any]]:
    """The trust statements naming every principal (``"*"``, ``{"AWS": "*"}``, a federated
    ``"*"``) that let a role of an unrelated account assume the role: its action patterns (IAM
    wildcards, ``NotAction``) and conditions decided by the evaluator for that request, one per
    assume-role action (a witness: ``StringLike aws:PrincipalArn "*"`` narrows nothing;
    ``aws:PrincipalOrgID``, ``aws:SourceAccount`` refuse it; what the evaluator cannot decide is
    not read as open)."""
    # an explicit deny overrides any allow ("Policy evaluation logic", IAM User Guide,
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
    # the trust policy's Deny statements hold for the stranger too
    denies = [s for s in statements_of(trust) if s.get("Effect") == "Deny"]
    for statement in statements_of(trust):
        principal = statement.get("Principal")
        named = [*as_list(principal.get("AWS")), *as_list(principal.get("Federated"))] if (
            isinstance(principal, dict)) else as_list(principal)  # fmt: skip
        if "*" in named and any(_admits_a_stranger(statement, a, denies) for a in _ASSUME):
            yield statement


#: Web identity issuers whose tokens any of their customers can get, each with the claim that
#: names the customer and what a value must begin with to name one the statement chooses:
#:
#: * GitHub Actions issues tokens to every repository's workflows from one issuer, the repository
#:   in the ``sub`` claim (``repo:<owner>/<repo>:...``): "AWS Identity and Access Management (IAM)
#:   recommends that users evaluate the IAM condition key, token.actions.githubusercontent.com:sub,
#:   in the trust policy of any role that trusts GitHub's OIDC identity provider (IdP). Evaluating
#:   this condition key in the role trust policy limits which GitHub actions are able to assume
#:   the role" (GitHub Docs, "Configuring OpenID Connect in Amazon Web Services",
#:   https://docs.github.com/en/actions/deployment/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services;
#:   IAM's own page, "Create a role for OpenID Connect federation (console)", was not read here
#:   beyond its opening);
#: * Amazon Cognito identity pools, the pool in the ``aud`` claim (``<region>:<id>``): trust
#:   policies "must contain the cognito-identity.amazonaws.com:aud condition key to restrict role
#:   assumption to users from your intended identity pools. A policy that trusts Amazon Cognito
#:   identity pools without this condition creates a risk that a user from an unintended identity
#:   pool can assume the role" (AWS STS API Reference, "AssumeRoleWithWebIdentity", RoleArn, read
#:   in the copy the AWS SDK for Kotlin reference carries,
#:   https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sts/aws.sdk.kotlin.services.sts.model/-assume-role-with-web-identity-request/role-arn.html).
_SHARED_ISSUERS: Mapping[str, tuple[str, re.Pattern[str]]] = {
    # the default subject (repo:<owner>/<repo>:...), or an organization's customized one whose
    # first claim names the owner, the repository or the enterprise (GitHub Docs, "OpenID Connect
    # reference": the claims repository, repository_owner, repository_owner_id, repository_id,
    # enterprise, enterprise_id; a customized subject is the chosen claims, each key:value)
    "token.actions.githubusercontent.com": (
        "sub",
        re.compile(
            r"^(?:repo:|repository:)[^*?/]+/|^(?:repository_owner|repository_owner_id|repository_id"
            r"|enterprise|enterprise_id):[^*?:]+(?::|$)"
        ),
    ),
    "cognito-identity.amazonaws.com": ("aud", re.compile(r"^[a-z0-9-]+:[0-9a-f-]+$")),
}
_PROVIDERS = ("AWS::IAM::OIDCProvider", "Custom::AWSCDKOpenIdConnectProvider")
_TENANT_FIX = (
    "pin the claim to what you own in the trust policy: for GitHub Actions, "
    '`iam.OpenIdConnectPrincipal(provider, {"StringEquals": {"token.actions.githubusercontent.com'
    ':aud": "sts.amazonaws.com"}, "StringLike": {"token.actions.githubusercontent.com:sub": '
    '"repo:<owner>/<repo>:*"}})` (an owner you name, no wildcard in it); for a Cognito identity '
    'pool, `iam.FederatedPrincipal("cognito-identity.amazonaws.com", {"StringEquals": '
    '{"cognito-identity.amazonaws.com:aud": pool.ref}, "ForAnyValue:StringLike": '
    '{"cognito-identity.amazonaws.com:amr": "authenticated"}}, "sts:AssumeRoleWithWebIdentity")`'
)


def _open_to_any_tenant(
    assembly: CloudAssembly, trust: Any, stack: StackTemplate
) -> Iterator[tuple[Mapping[str, Any], str]]:
    """(statement, the claim's condition key) of each trust statement that lets a shared web
    identity issuer's tokens (:data:`_SHARED_ISSUERS`) assume the role without pinning the claim
    that names the customer to customers it names: no condition on it, or one whose values leave
    it open (``*``, ``repo:*``, a pool id with a wildcard), and no Deny statement pinning it
    instead."""
    denies = [s for s in statements_of(trust) if s.get("Effect") == "Deny"]
    for statement in statements_of(trust):
        principal = statement.get("Principal") if statement.get("Effect") == "Allow" else None
        federated = as_list(principal.get("Federated")) if isinstance(principal, dict) else []
        for value in federated:
            issuer = _issuer(assembly, value, stack)
            if issuer is None:
                continue
            claim, owned = _SHARED_ISSUERS[issuer]
            key = f"{issuer}:{claim}"
            if not (_pins(statement, key, owned, positive=True)
                    or any(_pins(d, key, owned, positive=False) for d in denies
                           if _deny_applies(d, value, key))):  # fmt: skip
                yield statement, key


def _issuer(assembly: CloudAssembly, federated: Any, stack: StackTemplate) -> str | None:
    """The shared issuer a ``Federated`` principal names: its provider ARN's
    ``oidc-provider/<host>``, or the ``Url`` of the provider resource it references (in its
    stack, or in another through an import: a provider shared by the account's stacks)."""
    text = evaluator.canonicalize(federated)
    if not isinstance(text, str):
        return None
    for where, logical_id in references(assembly.exports, stack, text):
        resource = where.resources.get(logical_id)
        if isinstance(resource, dict) and resource.get("Type") in _PROVIDERS:
            url = props_of(resource).get("Url")
            text = f"oidc-provider/{url.removeprefix('https://')}" if isinstance(url, str) else ""
            break
    return next((i for i in _SHARED_ISSUERS if text == i or text.endswith(f"oidc-provider/{i}")),
                None)  # fmt: skip


def _pins(
    statement: Mapping[str, Any], key: str, owned: re.Pattern[str], *, positive: bool
) -> bool:
    """Whether ``statement``'s condition pins ``key`` to customers it names: a positive string
    operator (``positive``) or a negated one (a Deny's ``StringNotLike``) whose every value
    matches ``owned`` (``repo:<owner>/`` with no wildcard in the owner; one identity pool)."""
    condition = statement.get("Condition")
    for operator, block in condition.items() if isinstance(condition, Mapping) else ():
        lowered = str(operator).lower()
        if "string" not in lowered or ("not" in lowered) == positive:
            continue
        like = "like" in lowered
        for name, values in block.items() if isinstance(block, Mapping) else ():
            texts = [evaluator.canonicalize(v) for v in as_list(values)]
            if str(name).lower() == key and texts and all(_named(t, owned, like) for t in texts):
                return True
    return False


def _named(value: Any, owned: re.Pattern[str], like: bool) -> bool:
    """A claim value that names one customer: an exact value (``StringEquals`` compares "Exact
    matching, case sensitive"; a ``Like`` value without wildcards is one too: IAM User Guide,
    "IAM JSON policy elements: Condition operators"), or a pattern whose customer part has no
    wildcard (matching ``owned``: ``repo:<owner>/*``)."""
    if not isinstance(value, str):
        return False
    if not like or ("*" not in value and "?" not in value):
        return True
    return bool(owned.match(value))


#: The action a web identity's token asks for (AWS STS API Reference, AssumeRoleWithWebIdentity).
_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


def _deny_applies(deny: Mapping[str, Any], federated: Any, key: str) -> bool:
    """Whether a Deny of the trust policy applies to every web identity request of
    ``federated`` whatever else it carries: it names the action (or a pattern of it), the
    principal (``"*"`` or the same provider), and no condition but the one on ``key`` ("A
    request results in an explicit deny if an applicable policy includes a Deny statement",
    IAM User Guide, "Determining whether a request is allowed or denied within an account", as an
    attack quoted it)."""
    actions = [a for a in as_list(deny.get("Action") or []) if isinstance(a, str)]
    if not any(glob(a, True).fullmatch(_WEB_IDENTITY) for a in actions):
        return False
    principal = deny.get("Principal")
    named = [*as_list(principal.get("Federated")), *as_list(principal.get("AWS"))] if (
        isinstance(principal, Mapping)) else as_list(principal)  # fmt: skip
    if "*" not in named and evaluator.canonicalize(federated) not in [
        evaluator.canonicalize(n) for n in named
    ]:
        return False
    condition = deny.get("Condition")
    keys = [str(k).lower() for block in condition.values() if isinstance(block, Mapping)
            for k in block] if isinstance(condition, Mapping) else []  # fmt: skip
    return keys == [key]


#: A principal of no account of the app: the request a condition must refuse to narrow anything.
_STRANGER = "arn:aws:iam::999999999999:role/stranger"


def _admits_a_stranger(
    statement: Mapping[str, Any], action: str, denies: Sequence[Mapping[str, Any]] = ()
) -> bool:
    """Whether the statement, its principal read as ``"*"``, allows a role of an unrelated
    account ``action``: decided by the prover over every request such a role can make (the
    request metadata it controls: ``aws:SecureTransport``, ``aws:UserAgent``,
    ``aws:PrincipalType``, a source IP the statement names no range of; never the keys only a
    service or the app's organization sets), each witness decided again by the evaluator. A
    statement the prover cannot encode is asked with one sample request, as before."""
    policy = _as_resource_policy(statement, denies)
    verdict = stranger_verdict(statement, action, denies)
    if verdict is not None:
        if verdict.status in ("allowed", "denied"):
            return verdict.status == "allowed"
        if verdict.status == "disagree":
            # the prover found a stranger's request the evaluator does not allow (a policy
            # variable compared with a key, "${aws:PrincipalOrgID}" against aws:PrincipalOrgID,
            # which the simulator allows: a third attack): undecided fails closed, as open
            return True
    request = evaluator.Request(action, _STRANGER, "999999999999", context={},
                                identity_allows=True)  # fmt: skip
    try:
        return evaluator.evaluate(evaluator.prepare(policy), request) == "allow"
    except ValueError:
        return False


def _as_resource_policy(
    statement: Mapping[str, Any], denies: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    return {"Version": "2012-10-17",
            "Statement": [{**statement, "Principal": {"AWS": "*"}}, *denies]}  # fmt: skip


def stranger_verdict(
    statement: Mapping[str, Any], action: str, denies: Sequence[Mapping[str, Any]] = ()
) -> Verdict | None:
    """The prover's answer to whether a role of no account, organization or network the trust
    ``statement`` names (its principal read as ``"*"``) may make ``action`` (its witness the
    request, re-decided by the evaluator); None when the statement cannot be encoded."""
    policy = _as_resource_policy(statement, denies)
    prover = resource_prover(policy, (action,), _STRANGER_KEYS)
    if prover.encoding is None:
        return None
    # no account or organization the trust policy names (its Deny statements too), and not
    # the role's own account or organization
    owns = sorted({"${AWS::AccountId}", *literal_accounts(policy)})
    written = _written_keys(statement)
    orgs = (
        condition_values([statement, *denies], "aws:principalorgid")
        | _path_orgs(condition_values([statement, *denies], "aws:principalorgpaths"))
        | {_OWN_ORG}
    )
    return prover.ask(lambda s: _stranger(s, owns, written, orgs), "trust")


#: Keys a stranger's request is asked about although the statement may not read them.
_STRANGER_KEYS = ("aws:principalorgid", "aws:principalorgpaths")
#: Keys only a service's request, or the network a request comes through, carries: a stranger's
#: request has them only where the statement does not name a value of them.
_NETWORK = ("aws:sourceip", "aws:vpcsourceip", "aws:sourcevpc", "aws:sourcevpce")


#: aws:SourceIdentity is "specified by the principal that is calling the AssumeRole operation"
#: (IAM User Guide, "Monitor and control actions taken with assumed roles",
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html):
#: a stranger sets it as it likes.
_CALLERS = ("aws:sourceidentity",)
#: aws:ResourceAccount and aws:ResourceOrgID are "the resource owner's AWS account ID" and
#: "the identifier of the organization in AWS Organizations to which the resource belongs" (IAM
#: User Guide, "AWS global condition context keys",
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html): in an
#: AssumeRole request the resource is the role, so its own account and organization. The
#: organization is read as the app's: a stranger is in another one or none.
_OWN_ORG = "o-theapporganization"
_RESOURCE = {"aws:resourceaccount": "${AWS::AccountId}", "aws:resourceorgid": _OWN_ORG}
#: Network values that name no network: every IPv4 or IPv6 address.
_ANY_NETWORK = ("0.0.0.0/0", "::/0")


def _written_keys(statement: Mapping[str, Any]) -> set[str]:
    """The condition keys ``statement`` pins to values a stranger's request cannot carry: a
    positive operator (not ``Null``, no ``Not``) whose values are literal (no wildcard, not every
    address). A network key written otherwise (``StringNotEquals``, ``vpce-*``, ``0.0.0.0/0``)
    is left to the stranger."""
    condition = statement.get("Condition")
    out: set[str] = set()
    for operator, block in condition.items() if isinstance(condition, Mapping) else ():
        lowered = str(operator).lower()
        if lowered.endswith("null") or "not" in lowered or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            texts = [str(v) for v in as_list(values)]
            if _every_address(texts):
                continue
            if all("*" not in t and "?" not in t and t not in _ANY_NETWORK for t in texts):
                out.add(str(key).lower())
    return out


def _every_address(texts: list[str]) -> bool:
    """Whether the ranges ``texts`` together hold every IPv4 or every IPv6 address
    (``0.0.0.0/1`` with ``128.0.0.0/1`` is ``0.0.0.0/0`` written in halves: a third attack)."""
    try:
        networks = [ipaddress.ip_network(t, strict=False) for t in texts]
    except ValueError:
        return False
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return any(n.prefixlen == 0 for n in ipaddress.collapse_addresses(v4)) or any(
        n.prefixlen == 0 for n in ipaddress.collapse_addresses(v6)
    )


def _path_orgs(paths: set[str]) -> set[str]:
    """The organization ids that organization paths a statement writes begin with (no
    wildcard in the id): ``o-a1b2c3d4e5/r-ab12/*`` -> ``o-a1b2c3d4e5``."""
    heads = {p.split("/", 1)[0] for p in paths}
    return {h for h in heads if h.startswith("o-") and "*" not in h and "?" not in h}


def _stranger(s: Any, owns: list[str], written: set[str], orgs: set[str]) -> Any:
    """A role of no account the statement names, in no organization it names, with no key only
    a service sets, from a network it names no value of."""
    parts = [z3.Not(s.is_service), *[s.account != z3.StringVal(o) for o in owns]]
    # a principal the statement names by a reference of the template (``${Other.Arn}``, an
    # import) is a role of the app, never a stranger's (a same-account role named by its
    # reference was flagged open: a false CDKP029 that failed the synth, a third attack)
    parts += [s.principal_arn != z3.StringVal(a) for a in sorted(s.named_arns) if "${" in a]
    for name, key in s.keys.items():
        if name in _RESOURCE and not key.multi and z3.is_string(key.values[0]):
            # the role's own account and organization: the request's resource is the role, and
            # its caller sets neither ("${aws:ResourceAccount}" compared with
            # aws:PrincipalAccount names the role's own account: a false CDKP029)
            parts += [key.present, key.values[0] == z3.StringVal(_RESOURCE[name])]
        elif name.startswith("aws:source") and name not in _NETWORK and name not in _CALLERS:
            parts.append(z3.Not(key.present))  # a service's request, never a role's own
        elif name in _NETWORK and name in written:
            parts.append(z3.Not(key.present))
        elif name == "aws:principalorgpaths":
            # in no organization, or in one the statement does not name: every path of a
            # stranger's starts with its own organization's id ("o-a1b2c3d4e5/r-.../ou-.../",
            # IAM User Guide, "AWS global condition context keys", aws:PrincipalOrgPaths)
            pairs = list(zip(key.values, key.active, strict=False)) if key.multi else [
                (key.values[0], z3.BoolVal(True))]  # fmt: skip
            outside = [
                z3.Implies(active, z3.Not(z3.PrefixOf(z3.StringVal(f"{o}/"), value)))
                for value, active in pairs
                if z3.is_string(value)
                for o in sorted(orgs)
            ]
            parts.append(z3.Or(z3.Not(key.present), z3.And(*outside)))
        elif name == "aws:principalorgid" and key.values and z3.is_string(key.values[0]):
            # another organization than any the statement names, or none
            others = [key.values[0] != z3.StringVal(o) for o in sorted(orgs)]
            parts.append(z3.Or(z3.Not(key.present), z3.And(*others)))
    org, paths = s.keys.get("aws:principalorgid"), s.keys.get("aws:principalorgpaths")
    if org is not None and paths is not None and org.values and z3.is_string(org.values[0]):
        # a principal in an organization has both its id and its paths, each path beginning
        # with the id (IAM User Guide, "AWS global condition context keys"); one without has
        # neither
        parts += [org.present == paths.present, z3.Implies(org.present, org.values[0] != "")]
        pairs = list(zip(paths.values, paths.active, strict=False)) if paths.multi else [
            (paths.values[0], z3.BoolVal(True))]  # fmt: skip
        parts += [
            z3.Implies(z3.And(paths.present, active), z3.PrefixOf(org.values[0] + "/", value))
            for value, active in pairs
            if z3.is_string(value)
        ]
    return z3.And(*parts)

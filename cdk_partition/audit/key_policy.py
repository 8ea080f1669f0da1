"""The domain key itself: rotation, the key policy, service statements and a replica's link to
its primary (CDKP101-CDKP106, CDKP108, CDKP109; values chosen at deploy: :mod:`.key_values`).

The key answers what it holds (:attr:`~cdk_partition.assembly.DomainKey.properties`,
:attr:`~cdk_partition.assembly.DomainKey.statements`). Who the policy lets in is decided over every
request by the prover (:mod:`.key_proofs`, on :mod:`cdk_partition.policy.prover`): everyone else
denied, nobody unnamed, no action outside the capability table
(:mod:`cdk_partition.knowledge.capabilities`), services within their contracts
(:mod:`cdk_partition.knowledge.contracts`). Statement shapes (administration and data actions in
one statement, an undeclared service) are read from the statements themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import DomainKey
from ..assembly.keys import KeyResolver
from ..knowledge import contract_shapes, run_roles
from ..knowledge.capabilities import (
    ADMINISTER_ACTIONS,
    ALL_CAPABILITY_ACTIONS,
    DEPLOYMENT_DIRECT_SID_PREFIX,
    KMS_KEY_ACTIONS,
    READ_ACTIONS,
    WRITE_ACTIONS,
)
from ..marks import SERVICE_STATEMENTS_METADATA_KEY
from ..policy import evaluator
from .key_proofs import prove_key_policy
from .key_values import PRINCIPAL_PAGE, chosen_at_deploy, principal_problems
from .rules import Finding, Rule, Source, make_finding, no_aws_page, resource_fields, short
from .service_statements import expand_actions, service_statement_problems

__all__ = ["RULES", "audit_key"]

_PER_ROW = "each service contract row cites its own AWS page (cdk_partition.knowledge.contracts)"

#: The key rules, in the registry's order.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP101",
        "error",
        "Domain key rotation is off",
        "enable rotation (DataDomain keys have it on; do not override EnableKeyRotation)",
        # AWS KMS Developer Guide, "Enable automatic key rotation": new key material every year
        # (or a custom period), the key's id, ARN and policies unchanged.
        source=Source(
            "AWS KMS Developer Guide, Enable automatic key rotation",
            "https://docs.aws.amazon.com/kms/latest/developerguide/rotating-keys-enable.html",
        ),
    ),
    Rule(
        "CDKP102",
        "error",
        "Domain key policy does not deny everyone else",
        "keep the DenyEveryoneElse statement DataDomain writes (Deny kms:* unless "
        "aws:PrincipalArn is a named principal)",
        source=no_aws_page(
            "DenyEveryoneElse is cdk_partition's design, decided over every request by its prover"
        ),
    ),
    Rule(
        "CDKP103",
        "error",
        "Domain key policy allows every principal without conditions",
        "name principals through domain.grant_read/grant_write/grant_administer",
        source=no_aws_page(
            "naming every principal is cdk_partition's design; the code cites no page"
        ),
    ),
    Rule(
        "CDKP104",
        "error",
        "Domain key policy gives a principal more than one capability's actions",
        "grant capabilities through the domain; keep administration and data actions in "
        "separate statements and wildcards such as kms:* out of Allow statements",
        source=no_aws_page(
            "the capabilities are cdk_partition's table (cdk_partition.knowledge.capabilities)"
        ),
    ),
    Rule(
        "CDKP106",
        "error",
        "Domain key policy gives an AWS service more than its service contract",
        "let the domain write the service's statement: the store methods and "
        "`domain.allow_service_publisher(<service>)` for a service with a contract, "
        "`domain.allow_service(<service>, actions=[...], conditions={...}, source=<AWS page>)` "
        "for a statement AWS documents (data actions only, scoped by aws:SourceArn / "
        "aws:SourceAccount where AWS supports them; it replaces a statement an L2 wrote for that "
        "service when it allows every request that one allows, or with "
        "`replace_cdk_statements=True`); or, when the statement must stay as it is, "
        '`exempt(domain.key, "CDKP106", <reason>)`',
        source=no_aws_page(_PER_ROW),
    ),
    Rule(
        "CDKP108",
        "error",
        "Domain replica key is not a replica of the domain's primary key",
        "create it with `domain.replica(scope, id)` of the multi-Region DataDomain "
        "(`replica_regions=[...]`): PrimaryKeyArn is then the domain key's ARN",
        source=Source(
            'AWS KMS API Reference, "ReplicateKey"',
            "https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html",
        ),
    ),
    Rule(
        "CDKP109",
        "error",
        "Domain key policy names a principal KMS refuses",
        "name each role or user by its whole ARN, one principal per entry "
        "(`iam.Role.from_role_arn(scope, id, 'arn:aws:iam::<account>:role/<name>')` and "
        "`domain.grant_read(role)`): a wildcard cannot match part of a principal's ARN",
        source=Source('IAM User Guide, "AWS JSON policy elements: Principal"', PRINCIPAL_PAGE),
    ),
    Rule(
        "CDKP105",
        "error",
        "Domain key policy cannot be evaluated",
        "write the statement with values known at synth time and the operators the prover "
        "encodes (docs/prover.md); the prover could not decide it, so the checks cannot vouch for "
        "the key",
        source=no_aws_page("a limit of cdk_partition's prover and evaluator, not AWS behaviour"),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_expand = expand_actions


def audit_key(
    key: DomainKey, resolver: KeyResolver | None = None, wired: frozenset[str] = frozenset()
) -> Iterator[Finding]:
    """Rotation on; DenyEveryoneElse present and effective; no open or over-broad Allow; a
    policy the evaluator cannot decide is a finding (CDKP105), never a crash. A replica key
    (``AWS::KMS::ReplicaKey``) is held to the same policy rules, and its ``PrimaryKeyArn`` must
    resolve (with ``resolver``) to the multi-Region key of its domain (CDKP108). ``wired``:
    other accounts' sources the app wires into the key's stores
    (:func:`cdk_partition.audit.integrations.wired_sources`), which a service statement may
    name."""
    props = key.properties
    base = resource_fields(key.stack, key.logical_id, key.resource, key.name)

    def finding(rule_id: str, message: str, location: str, value: Any = None) -> Finding:
        return make_finding(
            _RULE[rule_id],
            f"Key of domain {key.name!r} ({key.path}): {message}",
            location=location,
            value=short(value) if value is not None else None,
            **base,
        )

    if key.replica:
        # AWS KMS API Reference, "ReplicateKey"
        # (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html): a primary
        # and its replicas share "automatic key rotation status" (no rotation property of its
        # own); every other property, the key policy included, is the replica's own.
        yield from _audit_replica_link(key, props, resolver, finding)
    elif props.get("EnableKeyRotation") not in (True, "true"):
        yield finding(
            "CDKP101",
            "EnableKeyRotation is not true.",
            "EnableKeyRotation",
            props.get("EnableKeyRotation"),
        )
    policy = key.policy
    if not isinstance(policy, dict):
        what = (
            "the key has no KeyPolicy"
            if policy is None
            else "the key policy is not a literal document"
        )
        yield finding("CDKP102", f"{what}.", "KeyPolicy", policy)
        return
    statements = key.statements
    declared = declared_service_statements(key.resource)
    exports = resolver.assembly.exports if resolver is not None else None
    cross_region = resolver.cross_region if resolver is not None else None
    shapes: list[tuple[str, int]] = []
    doors = {
        i
        for i, s in enumerate(statements)
        if _is_door_statement(s, key) or _is_passed_role_statement(s, key)
    }
    shapes += [("CDKP104", i) for i in doors]  # the shape the app accepted, as AWS documents it
    for index, statement in enumerate(statements):
        for shape in _chosen_findings(index, statement, key, finding, exports, cross_region):
            shapes.append((shape.rule, index))
            yield shape
        for value, why in principal_problems(statement.get("Principal")):
            shapes.append(("CDKP109", index))
            yield finding("CDKP109", f"statement {statement.get('Sid', f'#{index}')} {why}.",
                          f"KeyPolicy.Statement[{index}].Principal", value)  # fmt: skip
        if statement.get("Effect") != "Allow" or index in doors:
            continue
        account = key.stack.environment.account_text
        for shape in _statement_findings(index, statement, declared, finding, account, wired):
            shapes.append((shape.rule, index))
            yield shape
    # over every request: what the statements' shapes did not already show
    own_account = key.stack.environment.account
    accounts = [own_account] if own_account else []
    wired_accounts = sorted(
        {w for w in wired if w.isdigit()}
        | {m.group(1) for w in wired if (m := re.search(r":(\d{12}):", w))}
    )
    for proof in prove_key_policy(statements, declared, accounts, sorted(doors), wired_accounts):
        if proof.index is None:
            yield finding(proof.rule, proof.message, "KeyPolicy.Statement")
            continue
        if (proof.rule, proof.index) in shapes:
            continue
        statement = statements[proof.index]
        element = proof.element
        if element == "Action" and "Action" not in statement:
            element = "NotAction"
        if element == "Principal" and "Principal" not in statement:
            element = "NotPrincipal"
        location = f"KeyPolicy.Statement[{proof.index}]" + (f".{element}" if element else "")
        yield finding(
            proof.rule,
            proof.message,
            location,
            statement.get(element) if element else None,
        )


def _is_door_statement(statement: Mapping[str, Any], key: DomainKey) -> bool:
    """True for an ``AllowDeploymentDirect<Store>`` statement exactly as
    ``domain.allow_deployment_requests`` writes it: the key's deployment role, the actions and
    every condition of the door row its Sid names
    (:func:`~cdk_partition.knowledge.contract_shapes.door_row_for_sid`); anything else named so
    is audited like any statement (a Sid accepts nothing)."""
    sid = str(statement.get("Sid", ""))
    role = key.deployment_role
    if not sid.startswith(DEPLOYMENT_DIRECT_SID_PREFIX) or role is None:
        return False
    row = contract_shapes.door_row_for_sid(sid)
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, Mapping) else None
    if row is None or _as_list(aws) != [role] or "NotAction" in statement:
        return False
    return _exactly(
        statement,
        key,
        contract_shapes.door_statement_actions(row),
        contract_shapes.door_conditions(row),
    )


def _is_passed_role_statement(statement: Mapping[str, Any], key: DomainKey) -> bool:
    """True for an ``AllowPassedRole<Store>`` statement exactly as ``domain.allow_passed_role``
    writes it: IAM role or user ARNs, the actions and every condition of the row its Sid names
    (:func:`~cdk_partition.knowledge.run_roles.row_for_sid`); anything else named so is audited
    like any statement."""
    sid = str(statement.get("Sid", ""))
    if not sid.startswith(run_roles.PASSED_ROLE_SID_PREFIX) or "NotAction" in statement:
        return False
    row = run_roles.row_for_sid(sid)
    principal = statement.get("Principal")
    aws = _as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
    if row is None or not aws or set(principal) != {"AWS"}:  # type: ignore[arg-type]
        return False
    if not all(_role_or_user(a) for a in aws):
        return False
    return _exactly(
        statement, key, run_roles.statement_actions(row), run_roles.door_conditions(row)
    )


def _exactly(
    statement: Mapping[str, Any],
    key: DomainKey,
    actions: list[str],
    conditions: Mapping[str, Mapping[str, Any]],
) -> bool:
    """Whether ``statement`` holds exactly ``actions`` (patterns expanded) under exactly
    ``conditions`` (the ``{partition}``/``{region}``/``{account}`` placeholders as the key's
    stack fills them)."""
    if _expand(_as_list(statement.get("Action", []))) != _expand(actions):
        return False
    env = key.stack.environment
    values = {
        "{partition}": env.partition_text,
        "{region}": env.region_text,
        "{account}": env.account_text,
    }
    expected = contract_shapes.fill(conditions, values)
    return _conditions(statement.get("Condition") or {}, env) == _conditions(expected, env)


#: an IAM role or user ARN (a placeholder for the partition or account allowed), no wildcard
_ROLE_OR_USER = re.compile(r"^arn:[^:*?]+:iam::[^:*?]*:(role|user)/[^*?]+$")
#: a reference the template resolves at deploy time: a resource's Arn, an import
_REFERENCE = re.compile(r"^\$\{([A-Za-z0-9]+\.Arn|ImportValue:[^}*?]+)\}$")


def _role_or_user(value: Any) -> bool:
    """A single IAM role or user: a literal ARN without wildcards, or a reference to one."""
    text = str(evaluator.canonicalize(value))
    return bool(_ROLE_OR_USER.match(text) or _REFERENCE.match(text))


def _conditions(block: Any, env: Any) -> Any:
    """A condition block compared by value: canonical JSON, the environment's pseudo parameters
    as its values, each value a sorted list."""
    text = json.dumps(evaluator.canonicalize(block))
    for pseudo, value in (
        ("${AWS::Partition}", env.partition_text),
        ("${AWS::AccountId}", env.account_text),
        ("${AWS::Region}", env.region_text),
    ):
        text = text.replace(pseudo, value)
    parsed = json.loads(text)
    if not isinstance(parsed, dict):
        return parsed
    return {
        op: {k: sorted(map(str, _as_list(v))) for k, v in body.items()}
        if isinstance(body, dict)
        else body
        for op, body in parsed.items()
    }


def _statement_findings(
    index: int,
    statement: Mapping[str, Any],
    declared: Mapping[str, Mapping[str, Any]],
    finding: Any,
    account: str | None = None,
    wired: frozenset[str] = frozenset(),
) -> Iterator[Finding]:
    """What one Allow statement shows by its shape, whatever the rest of the policy says (a
    statement a Deny makes harmless today is still reported): ``*`` without conditions
    (CDKP103), actions outside every capability or administration and data actions in one
    statement (CDKP104), a service statement beyond its contract or undeclared (CDKP106)."""
    location = f"KeyPolicy.Statement[{index}]"
    sid = statement.get("Sid", f"#{index}")
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, dict) else principal
    if "*" in _as_list(aws) and not statement.get("Condition"):
        yield finding(
            "CDKP103",
            f"statement {sid} allows '*' without conditions.",
            f"{location}.Principal",
            principal,
        )
        return
    services = principal.get("Service") if isinstance(principal, dict) else None
    if services is not None:
        # a service named beside roles is judged as a service too: its scope is the same
        # statement's (an attack named a role and s3.amazonaws.com scoped to another account)
        for problem in _service_statement_problems(
            {**statement, "Principal": {"Service": services}}, declared, account, wired
        ):
            yield finding(
                "CDKP106",
                f"statement {sid} {problem}",
                f"{location}.Principal",
                statement.get("Principal"),
            )
    if aws is None:
        return
    actions = _expand(_as_list(statement.get("Action", [])))
    if "NotAction" in statement:
        actions = set(KMS_KEY_ACTIONS) - _expand(_as_list(statement["NotAction"]))
    if _grant_for_aws_resource(statement):
        actions -= {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
    beyond = sorted(actions - ALL_CAPABILITY_ACTIONS)
    mixed = actions & (set(ADMINISTER_ACTIONS) - {"kms:DescribeKey"}) and actions & (
        set(READ_ACTIONS + WRITE_ACTIONS) - {"kms:DescribeKey"}
    )
    if beyond or mixed:
        detail = (
            f"actions outside every capability: {', '.join(beyond)}"
            if beyond
            else "administration and data actions in one statement"
        )
        yield finding(
            "CDKP104",
            f"statement {sid} gives {short(aws)} {detail}.",
            f"{location}.{'Action' if 'Action' in statement else 'NotAction'}",
            statement.get("Action", statement.get("NotAction")),
        )


#: The elements of a statement the evaluator reads (Resource: NotResource "*" applies to nothing).
_ELEMENTS = ("Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
             "NotResource", "Condition")  # fmt: skip


def _chosen_findings(
    index: int,
    statement: Any,
    key: DomainKey,
    finding: Any,
    exports: Any = None,
    cross_region: Any = None,
) -> Iterator[Finding]:
    """CDKP105 for each element of the statement (or the statement itself) whose value
    CloudFormation chooses at deploy time (:func:`.key_values.chosen_at_deploy`)."""
    location = f"KeyPolicy.Statement[{index}]"
    whole = isinstance(statement, Mapping) and not any(e in statement for e in _ELEMENTS)
    for element in [None] if whole else [e for e in _ELEMENTS if e in statement]:
        value = statement if element is None else statement[element]
        why = chosen_at_deploy(value, key.stack, exports=exports, cross_region=cross_region)
        if why is None:
            continue
        sid = statement.get("Sid", f"#{index}")
        yield finding(
            "CDKP105",
            f"statement {sid}{f' {element}' if element else ''} holds {why}, a value "
            "CloudFormation chooses at deploy time: no check can know what the key will allow "
            "(a principal chosen this way may be '*').",
            f"{location}.{element}" if element else location,
            value,
        )


def _audit_replica_link(
    key: DomainKey, props: Mapping[str, Any], resolver: KeyResolver | None, finding: Any
) -> Iterator[Finding]:
    """A domain replica key's ``PrimaryKeyArn`` names its domain's multi-Region primary key, of
    the same account, in another region."""
    if resolver is None:
        return
    value = props.get("PrimaryKeyArn")
    ref = resolver.resolve(value, key.stack)
    primary = ref.key
    if ref.kind != "domain_key" or ref.domain != key.name or primary is None or primary.replica:
        yield finding(
            "CDKP108",
            f"its PrimaryKeyArn is {ref.description}, not the key of domain {key.name!r}.",
            "PrimaryKeyArn",
            value,
        )
        return
    primary_props = primary.properties
    problems = []
    if primary_props.get("MultiRegion") not in (True, "true"):
        problems.append(f"the primary {primary.path} is not MultiRegion")
    if key.region not in primary.replica_regions:
        problems.append(f"{key.region} is not one of the domain's replica_regions")
    if primary.stack.environment.account != key.stack.environment.account:
        problems.append("the primary is in another account")
    if problems:
        yield finding("CDKP108", f"{'; '.join(problems)}.", "PrimaryKeyArn", value)


def _service_statement_problems(
    statement: Mapping[str, Any],
    declared: Mapping[str, Mapping[str, Any]],
    account: str | None = None,
    wired: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """What an Allow to AWS service principals gives beyond their needs
    (:func:`.service_statements.service_statement_problems`); ``declared``: Sid -> the app's
    declaration of the statement (``domain.allow_service``), from the key's metadata."""
    principal = statement.get("Principal")
    services = principal.get("Service") if isinstance(principal, Mapping) else None
    actions = _expand(_as_list(statement.get("Action", [])))
    if "NotAction" in statement:
        actions = set(KMS_KEY_ACTIONS) - _expand(_as_list(statement["NotAction"]))
    declaration = declared.get(str(statement.get("Sid")))
    for service in _as_list(services):
        text = str(evaluator.canonicalize(service))
        if declaration is not None and declaration.get("service") != text:
            declaration = None  # the mark names another service: judge it as undeclared
        yield from service_statement_problems(
            text,
            actions,
            evaluator.canonicalize(statement.get("Condition")),
            declared=declaration,
            account=account,
            wired=wired,
        )


def declared_service_statements(resource: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Sid -> the declaration ``domain.allow_service`` wrote on the key
    (``cdk_partition:service_statements`` metadata); empty when none or malformed."""
    metadata = resource.get("Metadata")
    marks = metadata.get(SERVICE_STATEMENTS_METADATA_KEY) if isinstance(metadata, dict) else None
    out: dict[str, Mapping[str, Any]] = {}
    for mark in marks if isinstance(marks, list) else []:
        if isinstance(mark, dict) and isinstance(mark.get("sid"), str):
            out[mark["sid"]] = mark
    return out


def _grant_for_aws_resource(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    flag = (condition.get("Bool") or {}).get("kms:GrantIsForAWSResource")
    return str(flag).lower() == "true"

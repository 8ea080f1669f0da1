"""Every CloudFormation type with contract rows, proven on its own (issues #19 and #21): a bare L1
of the type (``cdk.CfnResource``, no store method, no L2) in a domain stack, put on the domain key
by the mixin, synthesized; then each create and attach request of the type's rows
(:func:`cdk_partition.knowledge.contracts.rows_for_type`) is decided against the synthesized key
policy by the library's evaluator and again by the independent simulator
(``@cloud-copilot/iam-simulate``): the documented caller is allowed, an unnamed role of the
account with the same request context is not. So a row added to ``contracts.json`` for a new
type is deployable by construction, or this test names it.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from proof_support import concrete_key_policy
from test_oracle_iam_simulate import Case, caller_for_arn, run_oracle, service, simulator_decision

from cdk_partition import DomainStack
from cdk_partition.knowledge import catalogue, contract_shapes, contracts
from cdk_partition.policy import evaluator

ACCOUNT, REGION = "111122223333", "eu-west-1"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"
OUTSIDER = f"arn:aws:iam::{ACCOUNT}:role/not-named"
MULTIVALUED = frozenset({"kms:GrantOperations", "kms:EncryptionContextKeys"})
FILL = {"{region}": REGION, "{account}": ACCOUNT, "{partition}": "aws"}
#: every action a KMS key policy can name (a row's ``kms:GenerateDataKey*`` is each of them)
KMS_KEY_ACTIONS = (
    "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext", "kms:ListGrants", "kms:ReEncryptFrom",
    "kms:ReEncryptTo", "kms:RetireGrant", "kms:RevokeGrant",
)  # fmt: skip


def _put(properties: dict[str, Any], path: str) -> None:
    """Create ``path`` (``A.B[].C``: ``[]`` a list of one element) in ``properties``, an empty
    object at its end when absent."""
    node: Any = properties
    for part in path.split("."):
        many, name = part.endswith("[]"), part.removesuffix("[]")
        if many:
            node = node.setdefault(name, [{}])[0]
        else:
            node = node.setdefault(name, {})


def _seed(cfn_type: str, key_arn: str) -> dict[str, Any]:
    """What a bare resource needs before the mixin can put it on the key, read from the
    catalogue: the element holding the first slot's key (a launch template's volume, an
    output configuration) and each property the slot is ``only_if`` present (a log bucket);
    a slot in use only when the key is named (``only_if`` its own key present) gets
    ``key_arn`` there, as its user writes it (the mixin leaves such a slot alone)."""
    properties: dict[str, Any] = {}
    store = catalogue.CATALOGUE.get(cfn_type)
    if store is None:
        return properties  # a row-only key property (a function's KmsKeyArn): set by _build
    slot = store.slots[0]
    parent = slot.key.rpartition(".")[0]
    if parent:
        _put(properties, parent)
    for test in slot.only_if:
        if test.op == "present" and test.path != slot.key:
            _put(properties, test.path)
    for path in contracts.WITH_STORES.get(cfn_type, {}):  # the integrations it turns on
        _put(properties, path)
    if any(t.op == "present" and t.path == slot.key for t in slot.only_if):
        container, _, name = slot.key.rpartition(".")
        node: Any = properties
        for part in container.split(".") if container else ():
            node = node[part.removesuffix("[]")]
            node = node[0] if part.endswith("[]") else node
        node[name.removesuffix("[]")] = key_arn
    return properties


#: the types whose create or attach rows a bare resource must satisfy
def _rows(cfn_type: str) -> tuple[contracts.ContractRow, ...]:
    """The rows of a bare resource of ``cfn_type`` as :func:`_build` seeds it."""
    return contracts.rows_for_type(cfn_type, properties=_seed(cfn_type, "arn:aws:kms:x:1:key/k"))


def _door_open(cfn_type: str) -> bool:
    return bool(contract_shapes.door_rows(cfn_type)) and not contract_shapes.door_refusal(cfn_type)


def _key_written(row: contracts.ContractRow, cfn_type: str) -> bool:
    """Whether the domain's key policy lets ``row``'s requests through for a resource of
    ``cfn_type`` on the key (the door opened where the test opens it)."""
    shape = contract_shapes.shape(row)
    if shape == "not_written":
        return row in contract_shapes.door_rows(cfn_type) and _door_open(cfn_type)
    if shape == "service":
        return contract_shapes.auto_written(row)  # scoped, or asked at create; no grant
    return shape in ("via_service", "infrastructure") and row.phase != "run"


def _refused_rows(cfn_type: str) -> list[contracts.ContractRow]:
    """The create and attach rows of ``cfn_type`` the domain does not let through even with
    the door (or leaves to the app's declaration: an unscoped service statement with grants):
    the audit must report them (CDKP107), never stay silent."""
    return [
        r
        for r in _rows(cfn_type)
        if r.phase != "run"
        and contract_shapes.shape(r) != "named_by_app"
        and not r.via_grant
        and not _key_written(r, cfn_type)
    ]


#: the types a bare resource of which the domain lets every documented create request through
TYPES = sorted(
    t
    for t in contracts.STORE_TYPES
    if any(_key_written(r, t) for r in _rows(t)) and not _refused_rows(t)
)
#: the types whose documented create requests the domain does not let through (fail closed)
REFUSED = sorted(t for t in contracts.STORE_TYPES if _refused_rows(t))


def _fill(text: str) -> str:
    for placeholder, value in FILL.items():
        text = text.replace(placeholder, value)
    return text


def _build(cfn_type: str) -> dict[str, Any]:
    app = cdk.App()
    stack = DomainStack(
        app, "Typed", domain_name="typed",
        administrators=[iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/admin")],
        env=cdk.Environment(account=ACCOUNT, region=REGION),
    )  # fmt: skip
    properties = _seed(cfn_type, stack.domain.key.key_arn)
    for name in contracts.CONTRACT_KEY_PROPERTIES.get(cfn_type, ()):
        properties[name] = stack.domain.key.key_arn  # not a catalogue slot: the mixin leaves it
    resource = cdk.CfnResource(stack, "Store", type=cfn_type, properties=properties)
    if contract_shapes.door_rows(cfn_type) and not contract_shapes.door_refusal(cfn_type):
        stack.domain.allow_deployment_requests(cfn_type)  # the fix CDKP107 gives, as written
    cdk.Mixins.of(stack).apply(stack.domain.encryption_at_rest())
    template = app.synth().get_stack_by_name("Typed").template
    logical_id = stack.get_logical_id(resource)
    properties = template["Resources"][logical_id].get("Properties", {})
    key_id = stack.get_logical_id(stack.domain.key.node.default_child)  # type: ignore[arg-type]
    policy = concrete_key_policy(template, ACCOUNT, REGION)
    return {"properties": properties, "policy": policy, "key_id": key_id}


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for cfn_type in TYPES + REFUSED:
        try:
            out[cfn_type] = _build(cfn_type)
        except Exception as error:  # the checks fail the synth on a finding (CDKP107): named below
            out[cfn_type] = {"error": error}
    return out


def _requests(cfn_type: str, properties: Any = None) -> list[tuple[str, str, dict[str, Any], str]]:
    """(caller ARN or service principal, action, request context, expected) for each request
    of the type's rows the domain writes (:func:`_key_written`), the outsider twin of each (an
    unnamed role, must not be allowed) and, for a row scoped to the account, the same service
    for another account (must not be allowed). ``properties``: the resources' own (a list),
    whose integrations decide the rows (default: a bare resource as :func:`_build` seeds it)."""
    out = []
    rows = (
        _rows(cfn_type)
        if properties is None
        else contracts.rows_for_type(cfn_type, None, properties)
    )
    for row in rows:
        if not _key_written(row, cfn_type):
            continue
        asked = contract_shapes.requested(row)
        actions = sorted({a for p in asked for a in KMS_KEY_ACTIONS if fnmatchcase(a, p)})
        if row.caller == "deployment_role":
            who = DEPLOYER
        elif row.caller == "service_principal":
            who = _fill(row.principal)
        else:  # the EC2 infrastructure role, through a grant
            who = _fill(row.principal).replace("*", "x")
        expected = "not_denied" if row.via_grant else "allow"
        for action in actions:
            # as AWS sends it: no encryption context on a DescribeKey, multivalued keys as lists
            sent = contract_shapes.request_context(row, action).items()
            context = {k: [_fill(v)] if k in MULTIVALUED else _fill(v) for k, v in sent}
            out.append((who, action, context, expected))
            out.append((OUTSIDER, action, context, "not_allowed"))
            if row.caller == "service_principal" and "aws:SourceAccount" in context:
                foreign = {**context, "aws:SourceAccount": "999999999999"}
                out.append((who, action, foreign, "not_allowed"))
    return out


def _ours(policy: dict[str, Any], who: str, action: str, context: dict[str, str]) -> str:
    if who.startswith("arn:"):
        request = evaluator.Request(action, who, ACCOUNT, context=context)
    else:
        request = evaluator.Request(action, service=who, context=context)
    return evaluator.evaluate(evaluator.prepare(policy), request)


@pytest.mark.parametrize("cfn_type", TYPES)
def test_a_bare_resource_of_the_type_is_put_on_the_key(
    built: dict[str, dict[str, Any]], cfn_type: str
) -> None:
    assert "error" not in built[cfn_type], built[cfn_type].get("error")
    properties = built[cfn_type]["properties"]
    assert built[cfn_type]["key_id"] in json.dumps(properties), (cfn_type, properties)
    if cfn_type not in contracts.CONTRACT_KEY_PROPERTIES:
        uses = catalogue.classify(cfn_type, properties) or []
        assert any(u.state == "customer_key" for u in uses), (cfn_type, properties)


@pytest.mark.parametrize("cfn_type", TYPES)
def test_the_evaluator_allows_the_types_create_requests(
    built: dict[str, dict[str, Any]], cfn_type: str
) -> None:
    requests = _requests(cfn_type)
    assert requests, f"{cfn_type}: no create or attach request to check"
    assert "error" not in built[cfn_type], built[cfn_type].get("error")
    policy = built[cfn_type]["policy"]
    for who, action, context, expected in requests:
        decision = _ours(policy, who, action, context)
        if expected == "allow":
            assert decision == "allow", (cfn_type, who, action, context, decision)
        elif expected == "not_denied":
            assert decision != "explicit_deny", (cfn_type, who, action, context, decision)
        else:
            assert decision != "allow", (cfn_type, who, action, context, decision)


def test_the_simulator_agrees(built: dict[str, dict[str, Any]]) -> None:
    """The same requests decided by ``@cloud-copilot/iam-simulate`` (one Node process)."""
    cases, expected, labels = [], [], []
    for cfn_type in TYPES:
        if "error" in built[cfn_type]:
            continue  # named by the tests above
        policy = built[cfn_type]["policy"]
        for who, action, context, want in _requests(cfn_type):
            if want == "not_denied":
                continue  # a grant authorizes it: nothing for a key-policy simulator to allow
            caller = caller_for_arn(who) if who.startswith("arn:") else service(who)
            cases.append(Case(f"contracts:{cfn_type}", policy, caller, action, context))
            expected.append(want)
            labels.append((cfn_type, who, action))
    assert cases
    got = [simulator_decision(r) for r in run_oracle(cases)]
    wrong = [
        (label, want, theirs)
        for label, want, theirs in zip(labels, expected, got, strict=True)
        if (theirs == "allow") != (want == "allow")
    ]
    assert wrong == []


@pytest.mark.parametrize("cfn_type", REFUSED)
def test_a_type_whose_requests_the_key_cannot_let_through_is_cdkp107(
    built: dict[str, dict[str, Any]], cfn_type: str
) -> None:
    """Fail closed: a request AWS documents for creating the type that the domain does not
    write (a service-linked role it cannot name, a key-policy action its deployment role never
    gets) fails the synth with CDKP107 naming the request and its AWS page."""
    error = str(built[cfn_type].get("error", ""))
    assert "CDKP107" in error, (cfn_type, error[-2000:])
    for row in _refused_rows(cfn_type):
        title = row.source.rpartition(" (")[0]
        assert title in error, (cfn_type, title)


def test_no_statement_the_domain_writes_is_wider_than_aws_documents(
    built: dict[str, dict[str, Any]],
) -> None:
    """The AllowContract statements of every type: scoped, or one AWS documents unconditioned
    for a create-time data-key request (S3 Tables maintenance); never unconditioned grants,
    never a run-time request any account's resource could make, never a request a grant
    authorizes (AWS's key policy does not name it)."""
    bare = {
        r.principal.replace("{region}", REGION)
        for r in contracts.CONTRACTS
        if contract_shapes.auto_written(r) and not contract_shapes.service_conditions(r)
    }
    grants = {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:RetireGrant"}
    for cfn_type, item in built.items():
        for statement in item.get("policy", {}).get("Statement", []):
            if not str(statement.get("Sid", "")).startswith("AllowContract"):
                continue
            if statement.get("Condition"):
                continue
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            assert not set(actions) & grants, (cfn_type, statement)
            assert statement["Principal"]["Service"] in bare, (cfn_type, statement)

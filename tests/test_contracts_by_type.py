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
from test_oracle_iam_simulate import Case, caller_for_arn, run_oracle, service, simulator_decision

from cdk_partition import DomainStack
from cdk_partition.knowledge import catalogue, contracts
from cdk_partition.policy import evaluator

ACCOUNT, REGION = "111122223333", "eu-west-1"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"
OUTSIDER = f"arn:aws:iam::{ACCOUNT}:role/not-named"
FILL = {"{region}": REGION, "{account}": ACCOUNT, "{partition}": "aws"}
#: every action a KMS key policy can name (a row's ``kms:GenerateDataKey*`` is each of them)
KMS_KEY_ACTIONS = (
    "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext", "kms:ListGrants", "kms:ReEncryptFrom",
    "kms:ReEncryptTo", "kms:RetireGrant", "kms:RevokeGrant",
)  # fmt: skip

#: Properties a bare resource needs before the mixin can put it on the key: a type whose key
#: slots all sit in an element that only exists when the store does (a launch template's
#: volume, an instance's block device).
SEEDS: dict[str, dict[str, Any]] = {
    "AWS::EC2::LaunchTemplate": {
        "LaunchTemplateData": {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {}}]}
    },
    "AWS::EC2::Instance": {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {}}]},
}

#: the types whose create or attach rows a bare resource must satisfy
TYPES = sorted(
    t for t in contracts.STORE_TYPES if contracts.rows_for_type(t, "create")
    or contracts.rows_for_type(t, "attach")
)  # fmt: skip


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
    properties = json.loads(json.dumps(SEEDS.get(cfn_type, {})))
    for name in contracts.CONTRACT_KEY_PROPERTIES.get(cfn_type, ()):
        properties[name] = stack.domain.key.key_arn  # not a catalogue slot: the mixin leaves it
    resource = cdk.CfnResource(stack, "Store", type=cfn_type, properties=properties)
    cdk.Mixins.of(stack).apply(stack.domain.encryption_at_rest())
    template = app.synth().get_stack_by_name("Typed").template
    logical_id = stack.get_logical_id(resource)
    properties = template["Resources"][logical_id].get("Properties", {})
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    text = json.dumps(evaluator.canonicalize(key["Properties"]["KeyPolicy"]))
    for pseudo, value in (("${AWS::Partition}", "aws"), ("${AWS::AccountId}", ACCOUNT),
                          ("${AWS::Region}", REGION)):  # fmt: skip
        text = text.replace(pseudo, value)
    key_id = stack.get_logical_id(stack.domain.key.node.default_child)  # type: ignore[arg-type]
    return {"properties": properties, "policy": json.loads(text), "key_id": key_id}


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for cfn_type in TYPES:
        try:
            out[cfn_type] = _build(cfn_type)
        except Exception as error:  # the checks fail the synth on a finding (CDKP107): named below
            out[cfn_type] = {"error": error}
    return out


def _requests(cfn_type: str) -> list[tuple[str, str, dict[str, str], str]]:
    """(caller ARN or service principal, action, request context, expected) for each create and
    attach request of the type's rows, and the outsider twin of each (must not be allowed)."""
    out = []
    for row in contracts.rows_for_type(cfn_type):
        if row.phase == "run":
            continue
        context = {k: _fill(v) for k, v in row.context.items()}
        actions = sorted({a for p in row.actions for a in KMS_KEY_ACTIONS if fnmatchcase(a, p)})
        if row.caller == "deployment_role":
            who = DEPLOYER
        elif row.caller == "service_principal":
            who = _fill(row.principal)
        elif row.caller in ("service_linked_role", "infrastructure_role"):
            who = _fill(row.principal).replace("*", "x")
        else:  # store roles and capabilities are named by the app, not by the type
            continue
        expected = "not_denied" if row.via_grant else "allow"
        for action in actions:
            out.append((who, action, context, expected))
            out.append((OUTSIDER, action, context, "not_allowed"))
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

"""Issue #13 item 1 (second half): the owning app publishes a domain's key ARN in SSM
(``DataDomain.publish``) and other apps look it up at synth (``DataDomain.from_lookup``), the value
cached in context as the CDK caches every lookup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match, Template
from conftest import cdk_context

from cdk_partition import DataDomain, DomainEncryptionChecks, DomainStack, audit_path
from cdk_partition.audit import failing
from cdk_partition.constructs.reference import published_parameter_name
from cdk_partition.marks import LOOKUP_PENDING_KEY_ID

OWNER, WORKLOAD = "111111111111", "222222222222"
REGION = "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{OWNER}:key/0123abcd-0000-0000-0000-000000000000"
OTHER_KEY = KEY.replace("0123abcd", "9999abcd")
PARAMETER = "/cdk-partition/domains/orders/key-arn"
# the CDK's context key: provider, then the sorted props (the stack's account and region and the
# parameter name), ':' in values quoted as '$:'
CONTEXT_KEY = f"ssm:account={WORKLOAD}:parameterName={PARAMETER}:region={REGION}"
WORKLOAD_ENV = cdk.Environment(account=WORKLOAD, region=REGION)


ADMIN = iam.ArnPrincipal(f"arn:aws:iam::{OWNER}:role/admin")


@pytest.fixture(scope="module")
def owner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("publish") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    env = cdk.Environment(account=OWNER, region=REGION)
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ADMIN], env=env)
    payments = DomainStack(app, "Payments", domain_name="payments", administrators=[ADMIN], env=env)
    return {"app": app, "outdir": outdir, "orders": orders, "payments": payments}


@pytest.fixture(scope="module")
def published(owner: dict[str, Any]) -> dict[str, Any]:
    orders: DomainStack = owner["orders"]
    payments: DomainStack = owner["payments"]
    parameter = orders.domain.publish()
    shared = payments.domain.publish(share_with=[WORKLOAD])
    owner["app"].synth()
    return {
        **owner,
        "parameter": parameter,
        "shared": shared,
        "orders_template": Template.from_stack(orders),
        "payments_template": Template.from_stack(payments),
    }


def _key_logical_id(template: Template) -> str:
    (logical_id,) = template.find_resources("AWS::KMS::Key")
    return logical_id


def test_publish_puts_the_key_arn_in_a_parameter(published: dict[str, Any]) -> None:
    template: Template = published["orders_template"]
    template.has_resource_properties(
        "AWS::SSM::Parameter",
        {
            "Name": published_parameter_name("orders"),
            "Type": "String",
            "Tier": "Standard",
            "Value": {"Fn::GetAtt": [_key_logical_id(template), "Arn"]},
        },
    )
    assert published_parameter_name("orders") == PARAMETER


def test_share_with_shares_an_advanced_parameter_through_ram(published: dict[str, Any]) -> None:
    template: Template = published["payments_template"]
    template.has_resource_properties(
        "AWS::SSM::Parameter",
        {"Name": published_parameter_name("payments"), "Tier": "Advanced"},
    )
    template.has_resource_properties(
        "AWS::RAM::ResourceShare",
        {"Principals": [WORKLOAD], "ResourceArns": [Match.any_value()]},
    )
    (share,) = template.find_resources("AWS::RAM::ResourceShare").values()
    (parameter,) = template.find_resources("AWS::SSM::Parameter")
    assert {"Ref": parameter} in share["Properties"]["ResourceArns"][0]["Fn::Join"][1]


def test_the_published_parameter_passes_the_domain_checks(published: dict[str, Any]) -> None:
    findings = audit_path(published["outdir"])
    assert failing(findings) == []
    (parameter,) = [f for f in findings if f.path.startswith("Orders/Domain/Published")]
    assert parameter.rule == "CDKP032" and parameter.exempted  # an ARN, not domain data


# one app, two workload accounts (a Stage each, as CDK Pipelines deploy them): the parameter's
# value cached in context, and not looked up yet
CACHED, PENDING = WORKLOAD, "555555555555"


def _context_key(account: str, parameter: str = PARAMETER) -> str:
    return f"ssm:account={account}:parameterName={parameter}:region={REGION}"


def _manifest(outdir: Path) -> dict[str, Any]:
    return json.loads((outdir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def workloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("lookup") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context={**cdk_context(), _context_key(CACHED): KEY})
    refs = {}
    for name, account in (("Cached", CACHED), ("Pending", PENDING)):
        stage = cdk.Stage(app, name, env=cdk.Environment(account=account, region=REGION))
        stack = cdk.Stack(stage, "Workload")
        ref = DataDomain.from_lookup(stack, "Orders", domain_name="orders")
        DomainEncryptionChecks(ref).apply_to(stack)
        ref.queue("Jobs")
        refs[name] = ref
    app.synth()  # passes: nothing fails before the lookup either
    templates = {
        n: json.loads(next((outdir / f"assembly-{n}").glob("*.template.json")).read_text())
        for n in refs
    }
    return {"outdir": outdir, "refs": refs, "templates": templates, "app": app}


def _queue_key(template: dict[str, Any]) -> Any:
    (key,) = [
        r["Properties"]["KmsMasterKeyId"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SQS::Queue" and "Jobs" in r["Metadata"]["aws:cdk:path"]
    ]
    return key


def test_the_context_key_is_the_cdks(workloads: dict[str, Any]) -> None:
    stack = cdk.Stack.of(workloads["refs"]["Cached"])
    key = cdk.ContextProvider.get_key(stack, provider="ssm", props={"parameterName": PARAMETER})
    assert key.key == CONTEXT_KEY == _context_key(CACHED)


def test_lookup_reads_the_key_arn_from_context(workloads: dict[str, Any]) -> None:
    ref = workloads["refs"]["Cached"]
    assert ref.referenced_key_arn == KEY and not ref.lookup_pending
    assert ref.parameter_name == PARAMETER
    assert _queue_key(workloads["templates"]["Cached"]) == KEY
    findings = audit_path(workloads["outdir"])
    assert [f for f in failing(findings) if f.path.startswith("Cached/Workload/")] == []


def test_the_cached_value_is_what_the_checks_hold_stores_to(tmp_path: Path) -> None:
    # a stale or wrong key ARN in cdk.context.json: the reference's stores name it, and a store
    # naming the key the owner really published is "another key" for the checks (CDKP004)
    app = cdk.App(outdir=str(tmp_path), context={**cdk_context(), CONTEXT_KEY: OTHER_KEY})
    stack = cdk.Stack(app, "Workload", env=WORKLOAD_ENV)
    ref = DataDomain.from_lookup(stack, "Orders", domain_name="orders")
    DomainEncryptionChecks(ref).apply_to(stack)
    ref.queue("Jobs")
    sqs.CfnQueue(stack, "OnThePublishedKey", kms_master_key_id=KEY)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    findings = audit_path(tmp_path)
    (stale,) = [f for f in findings if f.path.endswith("OnThePublishedKey")]
    assert stale.rule == "CDKP004"
    assert not [f for f in failing(findings) if f.path.startswith("Workload/Orders/Jobs")]


def test_before_the_lookup_the_reference_takes_the_cdks_dummy_value(
    workloads: dict[str, Any],
) -> None:
    ref = workloads["refs"]["Pending"]
    placeholder = f"arn:aws:kms:{REGION}:{PENDING}:key/{LOOKUP_PENDING_KEY_ID}"
    assert ref.lookup_pending and ref.referenced_key_arn == placeholder
    assert _queue_key(workloads["templates"]["Pending"]) == placeholder
    # what the CLI looks up before it synthesizes again
    (missing,) = _manifest(workloads["outdir"] / "assembly-Pending")["missing"]
    assert missing["key"] == _context_key(PENDING) and missing["provider"] == "ssm"
    findings = audit_path(workloads["outdir"])
    assert [f for f in failing(findings) if f.path.startswith("Pending/Workload/")] == []
    # fail closed: the placeholder is a finding (a warning, so the CLI's first synth runs)
    (pending,) = [f for f in findings if f.rule == "CDKP013"]
    assert pending.severity == "warning" and pending.domain == "orders"
    assert LOOKUP_PENDING_KEY_ID in pending.message and pending.path.startswith("Pending/")
    Annotations.from_stack(cdk.Stack.of(ref)).has_warning(
        "/Pending/Workload/Orders", Match.string_like_regexp("not in context yet")
    )


def test_a_shared_parameter_is_looked_up_by_its_arn() -> None:
    arn = f"arn:aws:ssm:{REGION}:{OWNER}:parameter{PARAMETER}"
    key = _context_key(WORKLOAD, arn.replace(":", "$:"))  # the CDK quotes ':' in values
    stack = cdk.Stack(cdk.App(context={key: KEY}), "Workload", env=WORKLOAD_ENV)
    ref = DataDomain.from_lookup(stack, "Orders", domain_name="orders", parameter_name=arn)
    assert ref.referenced_key_arn == KEY and ref.key_account == OWNER


def test_a_value_that_is_not_a_key_arn_says_how_to_refresh_it() -> None:
    alias = f"arn:aws:kms:{REGION}:{OWNER}:alias/orders"
    stack = cdk.Stack(cdk.App(context={CONTEXT_KEY: alias}), "Workload", env=WORKLOAD_ENV)
    with pytest.raises(ValueError, match=r"not a KMS key ARN.*cdk context --reset") as error:
        DataDomain.from_lookup(stack, "Orders", domain_name="orders")
    assert PARAMETER in str(error.value) and "Workload/Orders" in str(error.value)


def test_lookup_needs_a_stack_with_an_environment() -> None:
    stack = cdk.Stack(cdk.App(), "Agnostic")
    with pytest.raises(ValueError, match=r"Agnostic/Orders.*env=cdk.Environment"):
        DataDomain.from_lookup(stack, "Orders", domain_name="orders")

"""Issue #13 item 5: one audit and one report over the apps of an organisation (several cloud
assemblies, or one whose Stages target several accounts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from conftest import cdk_context
from templates import domain_key

from cdk_partition import DataDomain, DomainEncryptionChecks, cli, report
from cdk_partition.assembly import CloudAssembly, Environment, StackTemplate
from cdk_partition.audit import organization

OWNER, WORKLOAD, ANALYTICS, OTHER = "111111111111", "222222222222", "333333333333", "444444444444"
KEY_ID = "0123abcd-0000-0000-0000-000000000000"
KEY = f"arn:aws:kms:eu-west-1:{OWNER}:key/{KEY_ID}"
ANALYST = f"arn:aws:iam::{ANALYTICS}:role/analyst"


def _env(account: str, region: str = "eu-west-1") -> cdk.Environment:
    return cdk.Environment(account=account, region=region)


def _owner(app: cdk.App | cdk.Stage) -> None:
    stack = cdk.Stack(app, "Data", env=_env(OWNER))
    admin = iam.Role.from_role_arn(stack, "Admin", f"arn:aws:iam::{OWNER}:role/admin")
    analyst = iam.Role.from_role_arn(stack, "Analyst", ANALYST)
    domain = DataDomain(stack, "Orders", domain_name="orders", administrators=[admin])
    domain.grant_read(analyst)
    DomainEncryptionChecks(domain).apply_to(stack)
    domain.queue("Events")


def _workload(
    scope: cdk.App | cdk.Stage,
    account: str,
    key_arn: str,
    id: str = "Service",
    region: str = "eu-west-1",
) -> None:
    stack = cdk.Stack(scope, id, env=_env(account, region))
    ref = DataDomain.from_domain_attributes(stack, "Orders", domain_name="orders", key_arn=key_arn)
    DomainEncryptionChecks(ref).apply_to(stack)
    ref.queue("Jobs")
    ref.bucket("Documents")


FAILED_SYNTH: dict[str, str] = {}
"""Outdir -> the error of a synth the checks failed."""


def _synth(outdir: Path, build: Any, *, fails: bool = False) -> str:
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    build(app)
    if fails:  # the checks fail synth; the assembly is written all the same
        with pytest.raises(Exception, match="ValidationFailed") as failed:
            app.synth()
        FAILED_SYNTH[str(outdir)] = str(failed.value)
    else:
        app.synth()
    return str(outdir)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("org")

    def bad_workload(app: cdk.App) -> None:
        # a reference to the owner's domain in the wrong region (its stores in that region, so
        # the reference alone cannot tell), and a store on another key
        _workload(app, OTHER, KEY.replace("eu-west-1", "us-east-1"), region="us-east-1")
        stack = cdk.Stack(app, "Rogue", env=_env(OTHER))
        ref = DataDomain.from_domain_attributes(stack, "Orders", domain_name="orders", key_arn=KEY)
        DomainEncryptionChecks(ref).apply_to(stack)
        ref.queue("Fine")
        sqs.CfnQueue(stack, "OnAnotherKey", kms_master_key_id=KEY.replace(KEY_ID, "9" * 8))

    def one_app(app: cdk.App) -> None:  # one assembly, a Stage per account
        _owner(cdk.Stage(app, "DataStage"))
        _workload(cdk.Stage(app, "WorkloadStage"), WORKLOAD, KEY)

    def one_app_wrong_account(app: cdk.App) -> None:  # the owner's account, another region
        _owner(cdk.Stage(app, "DataStage"))
        wrong = KEY.replace("eu-west-1", "us-east-1")
        _workload(cdk.Stage(app, "WorkloadStage"), WORKLOAD, wrong, region="us-east-1")

    def stages_per_environment(app: cdk.App) -> None:
        # dev owns its orders (OWNER); prod references the prod orders of another app (OTHER)
        _owner(cdk.Stage(app, "Dev"))
        _workload(cdk.Stage(app, "Prod"), WORKLOAD, KEY.replace(OWNER, OTHER))

    return {
        "owner": _synth(root / "owner.out", _owner),
        "workload": _synth(root / "workload.out", lambda app: _workload(app, WORKLOAD, KEY)),
        "bad": _synth(root / "bad.out", bad_workload, fails=True),
        "other_id": _synth(
            root / "other-id.out", lambda app: _workload(app, OTHER, KEY.replace(KEY_ID, "f" * 8))
        ),
        "stages": _synth(root / "stages.out", one_app),
        "stages_bad": _synth(root / "stages-bad.out", one_app_wrong_account, fails=True),
        "per_env": _synth(root / "per-env.out", stages_per_environment),
    }


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = cli.main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if "--format" in argv and "markdown" not in argv else out


@pytest.fixture(scope="module")
def org_report(apps: dict[str, str]) -> report.OrgReport:
    members = organization.load_members([apps["owner"], apps["workload"]])
    return report.build_org_report(members)


def test_the_domain_shows_once_with_its_stores_in_both_accounts(
    org_report: report.OrgReport,
) -> None:
    (orders,) = [d for d in org_report.domains if d.name == "orders"]
    assert orders.owned_here
    assert {(k["kind"], k["account"], k["region"]) for k in orders.keys} == {
        ("primary", OWNER, "eu-west-1"),
        ("reference", OWNER, "eu-west-1"),
    }
    (reference,) = [k for k in orders.keys if k["kind"] == "reference"]
    assert reference["arn"] == KEY and reference["verified"] is False
    stores = {(s["account"], s["type"], s["path"]) for s in orders.stores}
    assert (OWNER, "AWS::SQS::Queue", "Data/Orders/Events") in stores
    assert (WORKLOAD, "AWS::SQS::Queue", "Service/Orders/Jobs") in stores
    assert (WORKLOAD, "AWS::S3::Bucket", "Service/Orders/Documents") in stores
    assert not org_report.has_errors


def test_a_reader_of_another_account_shows_as_its_exact_arn(org_report: report.OrgReport) -> None:
    (orders,) = org_report.domains
    assert orders.access[ANALYST] == ["read"]
    assert orders.principals[ANALYST]["arn"] == ANALYST
    assert orders.access[report.ANY_OTHER_ACCOUNT] == []


def test_report_cli_over_two_assemblies(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(capsys, "report", apps["owner"], apps["workload"])
    assert code == 0
    assert out.count("## Domain `orders`") == 1
    assert f"| `{ANALYST}` | - | yes | - |" in out
    assert f"| {WORKLOAD} | eu-west-1 | `{apps['workload']}` | Service | AWS::SQS::Queue |" in out
    assert "reference (**unverified**)" in out
    code, data = _run(capsys, "report", apps["owner"], apps["workload"], "--format", "json")
    assert data["assemblies"] == [apps["owner"], apps["workload"]]
    assert [d["name"] for d in data["domains"]] == ["orders"]


def test_one_assembly_whose_stages_target_several_accounts(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = _run(capsys, "report", apps["stages"], "--format", "json")
    assert code == 0
    (orders,) = data["domains"]
    assert {s["account"] for s in orders["stores"]} == {OWNER, WORKLOAD}
    assert {(k["kind"], k["account"]) for k in orders["keys"]} == {
        ("primary", OWNER),
        ("reference", OWNER),
    }
    assert orders["access"][ANALYST] == ["read"]


def test_one_app_referencing_its_own_stage_in_another_account_fails_synth(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert "CDKP201" in FAILED_SYNTH[apps["stages_bad"]]
    code, findings = _run(capsys, "audit", apps["stages_bad"], "--format", "json")
    assert code == 1
    (finding,) = [f for f in findings if f["severity"] == "error"]
    assert finding["rule"] == "CDKP201" and "assembly" not in finding
    assert "us-east-1" in finding["message"] and f"account {OWNER}" in finding["message"]
    assert FAILED_SYNTH.get(apps["stages"]) is None


def test_a_domain_of_the_same_name_in_another_account_is_owned_elsewhere(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Dev owns its ``orders``; Prod references the ``orders`` of another account, whose owner
    is not given: two domains, no finding (CDKP201 refused this correct app before)."""
    assert FAILED_SYNTH.get(apps["per_env"]) is None
    code, findings = _run(capsys, "audit", apps["per_env"], "--format", "json")
    assert code == 0 and not [f for f in findings if f["severity"] == "error"]
    code, report = _run(capsys, "report", apps["per_env"], "--format", "json")
    accounts = sorted(
        {k["account"] for d in report["domains"] if d["name"] == "orders" for k in d["keys"]}
    )
    assert accounts == sorted([OWNER, OTHER])


def test_audit_of_several_assemblies_is_the_union_naming_each_assembly(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, findings = _run(
        capsys, "audit", apps["owner"], apps["workload"], apps["bad"], "--format", "json"
    )
    assert code == 1
    assert {f["assembly"] for f in findings} <= {apps["owner"], apps["workload"], apps["bad"]}
    failing = {(f["assembly"], f["rule"], f["path"]) for f in findings if f["severity"] == "error"}
    assert (apps["bad"], "CDKP004", "Rogue/OnAnotherKey") in failing
    (wrong_region,) = [f for f in findings if f["rule"] == "CDKP201"]
    assert wrong_region["assembly"] == apps["bad"] and wrong_region["path"] == "Service"
    assert "us-east-1" in wrong_region["message"] and f"account {OWNER}" in wrong_region["message"]
    # each assembly alone: the workload's own checks pass; the wrong region needs the owner
    assert {f["assembly"] for f in findings if f["severity"] == "error"} == {apps["bad"]}
    code, alone = _run(capsys, "audit", apps["bad"], "--format", "json")
    assert "CDKP201" not in {f["rule"] for f in alone} and "assembly" not in alone[0]


def test_report_over_a_faulty_workload_shows_each_finding_once(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = _run(capsys, "report", apps["owner"], apps["bad"], "--format", "json")
    assert code == 1
    found = [
        (d["name"], d["owned_here"], f["rule"], f["assembly"])
        for d in data["domains"]
        for f in d["findings"]
        if f["rule"] in ("CDKP201", "CDKP004")
    ]
    # the wrong-region reference is a domain entry of its own, not owned by any assembly given
    assert sorted(found) == [
        ("orders", False, "CDKP201", apps["bad"]),
        ("orders", True, "CDKP004", apps["bad"]),
    ]


def test_references_to_one_key_must_agree_on_its_id(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, findings = _run(
        capsys, "audit", apps["owner"], apps["workload"], apps["other_id"], "--format", "json"
    )
    assert code == 1
    flagged = {f["assembly"] for f in findings if f["rule"] == "CDKP201"}
    assert flagged == {apps["workload"], apps["other_id"]}


def test_text_and_sarif_name_the_assembly(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _run(capsys, "audit", apps["owner"], apps["bad"])
    assert code == 1 and f"[{apps['bad']}] Rogue/OnAnotherKey" in text
    code, sarif = _run(capsys, "audit", apps["owner"], apps["bad"], "--format", "sarif")
    results = sarif["runs"][0]["results"]
    assert {r["properties"]["assembly"] for r in results} == {apps["bad"]}
    assert "CDKP201" in {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}


def test_bad_input_among_several_paths_names_that_path(
    apps: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.out"
    for command in ("audit", "report"):
        assert cli.main([command, apps["owner"], str(missing)]) == cli.EXIT_BAD_INPUT
        err = capsys.readouterr().err
        assert str(missing) in err and err.count("\n") == 1


def test_replica_keys_join_their_multi_region_primary() -> None:
    """Keys of both types are read generically: a replica (same metadata, another Region of the
    primary's account) is a key of the same domain, and a reference to it joins that domain."""
    primary = domain_key("orders", path="Data/Orders/Key/Resource")
    primary = {**primary, "Properties": {**primary["Properties"], "MultiRegion": True}}
    replica = {
        "Type": "AWS::KMS::ReplicaKey",
        "Metadata": {"cdk_partition:domain": "orders", "aws:cdk:path": "Replica/Key/Resource"},
        "Properties": {"PrimaryKeyArn": KEY, "KeyPolicy": primary["Properties"]["KeyPolicy"]},
    }
    replica_arn = KEY.replace("eu-west-1", "eu-central-1")
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": replica_arn}}
    workload = StackTemplate(
        "W",
        {
            "Resources": {"Q": queue},
            "Metadata": {
                "cdk_partition:checks": [{"domain": "orders", "scope": "", "key": replica_arn}]
            },
        },
        "w.json",
        environment=Environment(WORKLOAD, "eu-central-1"),
    )
    owner = [
        StackTemplate("Data", {"Resources": {"Key": primary}}, "d.json"),
        StackTemplate("Replica", {"Resources": {"Key": replica}}, "r.json"),
    ]
    owner[0].environment = Environment(OWNER, "eu-west-1")
    owner[1].environment = Environment(OWNER, "eu-central-1")
    members = [
        organization.Member("owner", CloudAssembly(owner)),
        organization.Member("workload", CloudAssembly([workload])),
    ]
    (orders,) = organization.domains(members).domains
    assert [(k.kind, k.region) for k in orders.keys] == [
        ("primary", "eu-west-1"),
        ("replica", "eu-central-1"),
        ("reference", "eu-central-1"),
    ]
    (domain,) = report.build_org_report(members).domains
    assert [(s["account"], s["key"]) for s in domain.stores] == [(WORKLOAD, "reference")]


def test_a_path_given_twice_is_one_assembly(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _run(capsys, "report", apps["owner"], apps["owner"], "--format", "json")
    assert [d["name"] for d in report["domains"]].count("orders") == 1
    code, findings = _run(capsys, "audit", apps["owner"], apps["owner"], "--format", "json")
    assert code == 0 and not [f for f in findings if f["rule"] == "CDKP202"]


def test_a_domain_created_twice_in_one_environment_is_a_finding(
    apps: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Two apps each create ``orders`` in the owner's account and region: both keys would claim
    alias/orders (CDKP202); the reference still joins one of them (no confused CDKP201)."""
    copy = _synth(tmp_path / "copy.out", _owner)
    code, findings = _run(
        capsys, "audit", apps["owner"], copy, apps["workload"], "--format", "json"
    )
    assert code == 1
    errors = [(f["rule"], f["assembly"]) for f in findings if f["severity"] == "error"]
    assert errors == [("CDKP202", copy)]
    (twice,) = [f for f in findings if f["rule"] == "CDKP202"]
    assert f"account {OWNER}" in twice["message"] and "alias/orders" in twice["message"]


def test_replicas_join_the_primary_of_their_own_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two Stages of one account each own a multi-Region ``orders`` (EU and US, replicas in
    eu-west-1 and us-west-2): two domains, each with its primary and its replica (before, four
    domains: a replica with two candidate primaries stood alone)."""
    from cdk_partition import DomainStack

    def two_stages(app: cdk.App) -> None:
        for name, home, there in (
            ("EU", "eu-central-1", "eu-west-1"),
            ("US", "us-east-1", "us-west-2"),
        ):
            stage = cdk.Stage(app, name)
            orders = DomainStack(
                stage, "Orders", domain_name="orders",
                administrators=[iam.ArnPrincipal(f"arn:aws:iam::{OWNER}:role/admin")],
                domain_props={"replica_regions": [there]}, env=_env(OWNER, home),
            )  # fmt: skip
            stack = cdk.Stack(stage, "Replica", env=_env(OWNER, there))
            replica = orders.domain.replica(stack, "Orders")
            DomainEncryptionChecks(replica).apply_to(stack)
            replica.queue("Jobs")

    out = _synth(tmp_path / "two.out", two_stages)
    code, result = _run(capsys, "report", out, "--format", "json")
    assert code == 0
    regions = sorted(
        sorted((k["kind"], k["region"]) for k in d["keys"])
        for d in result["domains"]
        if d["name"] == "orders"
    )
    assert regions == [
        [("primary", "eu-central-1"), ("replica", "eu-west-1")],
        [("primary", "us-east-1"), ("replica", "us-west-2")],
    ]

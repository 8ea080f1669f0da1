"""Issue #13 item 4: a domain across regions. A multi-Region primary key, its replica keys
(``AWS::KMS::ReplicaKey``) with the same key policy, stores on the key of their region, global
table replicas keyed per region, and the audit and report treating primary and replicas as one
domain."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint_file
from conftest import cdk_context

from cdk_partition import (
    Capability,
    ConflictingEncryptionError,
    DataDomain,
    DomainEncryptionChecks,
    DomainReplica,
    DomainStack,
    exempt,
)
from cdk_partition.assembly import CloudAssembly, StackTemplate, load
from cdk_partition.assembly.keys import KeyResolver
from cdk_partition.audit import audit, failing
from cdk_partition.report import build_domain_report, build_report, to_markdown

ACCOUNT = "111111111111"
HOME, WEST, EAST = "eu-central-1", "eu-west-1", "us-east-1"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/admin"
LATE = f"arn:aws:iam::{ACCOUNT}:role/late-reader"
PK = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)


def _env(region: str, account: str = ACCOUNT) -> cdk.Environment:
    return cdk.Environment(account=account, region=region)


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One app: principals and the primary in eu-central-1, the replica in eu-west-1 (declared:
    eu-west-1 and us-east-1), stores on each key, and deliberately bad stores (``Bad*``)."""
    outdir = tmp_path_factory.mktemp("regions") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    people = cdk.Stack(app, "Principals", env=_env(HOME))
    app_a = iam.Role(
        people, "AppA", role_name="appA", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
    )
    orders = DomainStack(
        app,
        "Orders",
        domain_name="orders",
        administrators=[iam.Role.from_role_arn(people, "Admin", ADMIN)],
        readers=[app_a],
        writers=[app_a],
        domain_props={"replica_regions": [WEST, EAST]},
        env=_env(HOME),
    )
    d = orders.domain
    d.table_v2("Global", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=WEST)])
    # declared in replica_regions, but no replica key of us-east-1 in this assembly
    d.table_v2("Declared", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=EAST)])
    escaped = d.table_v2("BadEscaped", partition_key=PK)
    cfn = escaped.node.default_child
    assert isinstance(cfn, cdk.CfnResource)
    cfn.add_property_override(
        "Replicas.1",
        {
            "Region": "ap-south-1",
            "SSESpecification": {
                "KMSMasterKeyId": cdk.Fn.join(
                    "", [f"arn:aws:kms:ap-south-1:{ACCOUNT}:key/", d.key.key_id]
                )
            },
        },
    )

    west = cdk.Stack(app, "OrdersWest", env=_env(WEST), cross_region_references=True)
    replica = d.replica(west, "Orders")
    DomainEncryptionChecks(replica).apply_to(west)
    replica.queue("Jobs")
    replica.table("Table", partition_key=PK)
    replica.bucket("Docs")
    replica.secret("Secret")  # its service contract's statements: in the replica's policy
    d.grant_read(iam.Role.from_role_arn(people, "Late", LATE))  # after the replica: reaches it

    misplaced = cdk.Stack(app, "Misplaced", env=_env(WEST), cross_region_references=True)
    DomainEncryptionChecks(replica).apply_to(misplaced)
    sqs.Queue(
        misplaced, "BadOnPrimary", encryption=sqs.QueueEncryption.KMS, encryption_master_key=d.key
    )
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    assembly = load(outdir)
    return {
        "outdir": outdir,
        "assembly": assembly,
        "findings": audit(assembly),
        "domain": d,
        "replica": replica,
        "templates": {
            p.name.removesuffix(".template.json"): json.loads(p.read_text())
            for p in outdir.glob("*.template.json")
        },
    }


def _resources(template: dict[str, Any], cfn_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == cfn_type]


def _at(findings: list[Any], name: str) -> list[Any]:
    return [f for f in findings if name in f.path]


# -- the keys ----------------------------------------------------------------------------------
def test_primary_is_multi_region(regions: dict[str, Any]) -> None:
    (key,) = _resources(regions["templates"]["Orders"], "AWS::KMS::Key")
    assert key["Properties"]["MultiRegion"] is True
    assert key["Metadata"]["cdk_partition:replica_regions"] == [WEST, EAST]


def test_single_region_domain_is_unchanged() -> None:
    stack = cdk.Stack(cdk.App(), "Single", env=_env(HOME))
    DataDomain(stack, "D", domain_name="single", administrators=[iam.ArnPrincipal(ADMIN)])
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    assert "MultiRegion" not in key["Properties"]
    assert "cdk_partition:replica_regions" not in key["Metadata"]


def test_replica_key_in_its_region_with_alias_and_domain(regions: dict[str, Any]) -> None:
    west = regions["templates"]["OrdersWest"]
    (replica,) = _resources(west, "AWS::KMS::ReplicaKey")
    assert replica["Metadata"]["cdk_partition:domain"] == "orders"
    # the primary's ARN crosses regions through CDK's cross-region reference reader
    (reader_id, attribute) = replica["Properties"]["PrimaryKeyArn"]["Fn::GetAtt"]
    assert west["Resources"][reader_id]["Type"] == "Custom::CrossRegionExportReader"
    assert "DomainKey" in attribute
    (alias,) = _resources(west, "AWS::KMS::Alias")
    assert alias["Properties"]["AliasName"] == "alias/orders"
    keys = [k for k in regions["assembly"].domain_keys if k.name == "orders"]
    assert sorted((k.region, k.replica) for k in keys) == [(HOME, False), (WEST, True)]


def _matrix(regions: dict[str, Any], stack: str) -> dict[str, list[str]]:
    assembly = regions["assembly"]
    (key,) = [k for k in assembly.domain_keys if k.stack_name == stack]
    report = build_domain_report(key, assembly, [], KeyResolver(assembly))
    return {
        label.replace(HOME, "<region>").replace(WEST, "<region>"): row["capabilities"]
        for label, row in report.principals.items()
    }


def test_replica_key_policy_is_the_primary_policy(regions: dict[str, Any]) -> None:
    templates = regions["templates"]
    (primary,) = _resources(templates["Orders"], "AWS::KMS::Key")
    (replica,) = _resources(templates["OrdersWest"], "AWS::KMS::ReplicaKey")

    def statements(key: dict[str, Any]) -> dict[str, Any]:
        return {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}

    mine, theirs = statements(primary), statements(replica)
    capability_sids = {"AllowAdminister", "AllowRead", "AllowWrite", "DenyEveryoneElse"}
    assert capability_sids <= set(mine) and capability_sids <= set(theirs)
    for sid in capability_sids:
        assert mine[sid]["Action"] == theirs[sid]["Action"], sid
        assert mine[sid]["Effect"] == theirs[sid]["Effect"], sid
    # the same principals hold the same capabilities (each region's deployment role administers)
    primary_matrix = _matrix(regions, "Orders")
    assert primary_matrix == _matrix(regions, "OrdersWest")
    assert primary_matrix["role/appA"] == ["read", "write"]
    assert primary_matrix["role/late-reader"] == ["read"]
    assert primary_matrix["role/cdk-hnb659fds-cfn-exec-role-111111111111-<region>"] == [
        "administer"
    ]


def test_replica_key_names_principals_of_other_regions_by_arn(regions: dict[str, Any]) -> None:
    (replica,) = _resources(regions["templates"]["OrdersWest"], "AWS::KMS::ReplicaKey")
    text = json.dumps(replica["Properties"]["KeyPolicy"])
    assert "ExportsReader" not in text and "Fn::ImportValue" not in text
    assert ":iam::111111111111:role/appA" in text


def test_service_statements_go_to_the_key_of_the_store(regions: dict[str, Any]) -> None:
    templates = regions["templates"]
    (primary,) = _resources(templates["Orders"], "AWS::KMS::Key")
    (replica,) = _resources(templates["OrdersWest"], "AWS::KMS::ReplicaKey")

    def via(key: dict[str, Any]) -> list[str]:
        (statement,) = [
            s
            for s in key["Properties"]["KeyPolicy"]["Statement"]
            if s["Sid"] == "AllowDeploymentViaServices"
        ]
        services = statement["Condition"]["StringEquals"]["kms:ViaService"]
        return services if isinstance(services, list) else [services]

    assert via(replica) == [  # the replica's table and secret, through this region's endpoints
        f"dynamodb.{WEST}.amazonaws.com",
        f"secretsmanager.{WEST}.amazonaws.com",
    ]
    assert via(primary) == [f"dynamodb.{HOME}.amazonaws.com"]  # the primary's global tables


# -- stores on the key of their region ---------------------------------------------------------
def test_stores_on_the_replica_key_pass(regions: dict[str, Any]) -> None:
    west = [f for f in regions["findings"] if f.stack == "OrdersWest"]
    assert failing(west) == [] and [f for f in west if f.severity == "warning"] == []
    (queue,) = _resources(regions["templates"]["OrdersWest"], "AWS::SQS::Queue")
    (key_id,) = [
        k for k, r in regions["templates"]["OrdersWest"]["Resources"].items()
        if r["Type"] == "AWS::KMS::ReplicaKey"
    ]  # fmt: skip
    assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_store_in_replica_region_on_the_primary_key_fails(regions: dict[str, Any]) -> None:
    (finding,) = _at(regions["findings"], "BadOnPrimary")
    assert finding.rule == "CDKP004" and finding.domain == "orders"
    assert f"in region {HOME}" in finding.message and f"the data is in {WEST}" in finding.message


def test_only_the_deliberate_faults_fail(regions: dict[str, Any]) -> None:
    assert all("Bad" in f.path for f in failing(regions["findings"]))
    assert _at(failing(regions["findings"]), "BadOnPrimary")
    assert _at(failing(regions["findings"]), "BadEscaped")


# -- global tables ------------------------------------------------------------------------------
def test_table_v2_replicas_get_the_key_of_their_region(regions: dict[str, Any]) -> None:
    orders = regions["templates"]["Orders"]
    (table,) = [r for k, r in orders["Resources"].items() if k.startswith("DomainGlobal")]
    (west,) = [r for r in table["Properties"]["Replicas"] if r["Region"] == WEST]
    (key_id,) = [k for k, r in orders["Resources"].items() if r["Type"] == "AWS::KMS::Key"]
    arn = west["SSESpecification"]["KMSMasterKeyId"]["Fn::Join"][1]
    assert arn[-1] == {"Ref": key_id}  # the primary's key id: replicas share it
    assert any(f":kms:{WEST}:{ACCOUNT}:key/" in p for p in arn if isinstance(p, str))
    assert "cdk_partition:replica_keys" not in table.get("Metadata", {})
    assert _at(regions["findings"], "Domain/Global/") == []  # no CDKP010, nothing at all


def test_declared_region_without_its_replica_key_is_a_warning(regions: dict[str, Any]) -> None:
    (finding,) = _at(regions["findings"], "Domain/Declared/")
    assert finding.rule == "CDKP010" and finding.severity == "warning"
    assert EAST in finding.message and "no replica key" in finding.message


def test_replica_in_an_undeclared_region_fails_the_audit(regions: dict[str, Any]) -> None:
    (finding,) = _at(regions["findings"], "BadEscaped")
    assert finding.rule == "CDKP004"
    assert "ap-south-1" in finding.message and "not one of its replica_regions" in finding.message


@pytest.fixture
def multi_region() -> tuple[cdk.App, DataDomain]:
    app = cdk.App()
    stack = cdk.Stack(app, "Home", env=_env(HOME))
    domain = DataDomain(
        stack,
        "D",
        domain_name="orders",
        administrators=[iam.ArnPrincipal(ADMIN)],
        replica_regions=[WEST],
    )
    return app, domain


def test_table_v2_replica_in_an_undeclared_region_is_refused(multi_region: Any) -> None:
    _, domain = multi_region
    with pytest.raises(ValueError, match=r"replica in us-east-1, where the domain has no key"):
        domain.table_v2("T", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=EAST)])


def test_table_v2_explicit_replica_key_arns_are_checked(multi_region: Any) -> None:
    _, domain = multi_region
    stack = cdk.Stack.of(domain)
    own = cdk.Arn.format(
        cdk.ArnComponents(
            service="kms", region=WEST, resource="key", resource_name=domain.key.key_id
        ),
        stack,
    )
    domain.table_v2(
        "Same", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=WEST)],
        replica_key_arns={WEST: own},
    )  # fmt: skip
    with pytest.raises(ConflictingEncryptionError, match="not the domain's key in eu-west-1"):
        domain.table_v2(
            "Other", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=WEST)],
            replica_key_arns={WEST: f"arn:aws:kms:{WEST}:{ACCOUNT}:key/mrk-0123"},
        )  # fmt: skip


def test_single_region_table_v2_replica_without_a_key_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Single", env=_env(HOME))
    domain = DataDomain(stack, "D", domain_name="one", administrators=[iam.ArnPrincipal(ADMIN)])
    with pytest.raises(ValueError, match=r"replicas in \['eu-west-1'\], where the domain has no"):
        domain.table_v2("T", partition_key=PK, replicas=[dynamodb.ReplicaTableProps(region=WEST)])


# -- construct-time refusals --------------------------------------------------------------------
def test_replica_region_must_be_declared(multi_region: Any) -> None:
    app, domain = multi_region
    east = cdk.Stack(app, "East", env=_env(EAST))
    with pytest.raises(ValueError, match="not one of the domain's replica_regions"):
        domain.replica(east, "Orders")


def test_replica_of_a_single_region_domain_is_refused() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Home", env=_env(HOME))
    domain = DataDomain(stack, "D", domain_name="one", administrators=[iam.ArnPrincipal(ADMIN)])
    with pytest.raises(ValueError, match=r"single-Region\. Pass replica_regions"):
        DomainReplica(cdk.Stack(app, "West", env=_env(WEST)), "R", domain=domain)


def test_replica_in_another_account_is_refused(multi_region: Any) -> None:
    app, domain = multi_region
    other = cdk.Stack(app, "Other", env=_env(WEST, "222222222222"))
    with pytest.raises(ValueError, match="a replica key lives in its primary's account"):
        domain.replica(other, "Orders")


def test_multi_region_needs_an_explicit_env() -> None:
    stack = cdk.Stack(cdk.App(), "Agnostic")
    with pytest.raises(ValueError, match="explicit account and region"):
        DataDomain(
            stack, "D", domain_name="x", administrators=[iam.ArnPrincipal(ADMIN)],
            replica_regions=[WEST],
        )  # fmt: skip


def test_unnamed_principal_of_another_region_is_refused(multi_region: Any) -> None:
    app, domain = multi_region
    people = cdk.Stack(app, "People", env=_env(HOME))
    unnamed = iam.Role(people, "Unnamed", assumed_by=iam.AccountRootPrincipal())
    west = cdk.Stack(app, "West", env=_env(WEST), cross_region_references=True)
    replica = domain.replica(west, "Orders")
    with pytest.raises(ValueError, match="CloudFormation references do not cross regions"):
        domain.grant_read(unnamed)
    named = iam.Role(people, "Named", role_name="named", assumed_by=iam.AccountRootPrincipal())
    domain.grant_write(named)  # by the name CDK knows
    (writer,) = replica.principals(Capability.WRITE)
    assert west.resolve(writer.policy_fragment.principal_json["AWS"][0]) == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::{ACCOUNT}:role/named"]]
    }


def test_unnamed_principal_is_refused_without_cross_region_references(multi_region: Any) -> None:
    app, domain = multi_region
    domain.replica(cdk.Stack(app, "West", env=_env(WEST)), "Orders")
    unnamed = iam.Role(cdk.Stack.of(domain), "Unnamed", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(ValueError, match="CloudFormation references do not cross regions"):
        domain.grant_write(unnamed)


def test_a_replica_key_cannot_be_exempted(regions: dict[str, Any]) -> None:
    replica: DomainReplica = regions["replica"]
    with pytest.raises(ValueError, match="is a KMS key"):
        exempt(replica.cfn_key, "CDKP004", "the replica key is the domain key itself here")


# -- the replica key audited like the primary ---------------------------------------------------
def _tampered(regions: dict[str, Any], change: Any) -> list[Any]:
    assembly: CloudAssembly = regions["assembly"]
    stacks = []
    for stack in assembly.stacks:
        template = copy.deepcopy(stack.template)
        if stack.name == "OrdersWest":
            (replica,) = _resources(template, "AWS::KMS::ReplicaKey")
            change(replica)
        stacks.append(
            StackTemplate(stack.name, template, stack.file, None, stack.environment,
                          stack.construct_path)
        )  # fmt: skip
    return [f for f in audit(CloudAssembly(stacks)) if f.resource_type == "AWS::KMS::ReplicaKey"]


def test_replica_of_another_key_is_a_finding(regions: dict[str, Any]) -> None:
    def point_elsewhere(replica: dict[str, Any]) -> None:
        replica["Properties"]["PrimaryKeyArn"] = f"arn:aws:kms:{HOME}:{ACCOUNT}:key/mrk-other"

    (finding,) = _tampered(regions, point_elsewhere)
    assert finding.rule == "CDKP108" and finding.location == "PrimaryKeyArn"


def test_replica_key_policy_rules_apply(regions: dict[str, Any]) -> None:
    def drop_deny(replica: dict[str, Any]) -> None:
        policy = replica["Properties"]["KeyPolicy"]
        policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "DenyEveryoneElse"]

    assert {f.rule for f in _tampered(regions, drop_deny)} == {"CDKP102"}
    assert _tampered(regions, lambda replica: None) == []


# -- proofs and the report ----------------------------------------------------------------------
@pytest.mark.slow
def test_cfn_lint_clean(regions: dict[str, Any]) -> None:
    outdir: Path = regions["outdir"]
    problems = []
    for name, region in (("Orders", HOME), ("OrdersWest", WEST), ("Principals", HOME)):
        matches = lint_file(outdir / f"{name}.template.json", config=ManualArgs(regions=[region]))
        problems += [
            f"{name} {m.rule.id} {m.message}"
            for m in matches
            # the CDK's own cross-region reference providers (as for its bucket notification
            # handler, see test_proof_cfn_lint.ALLOWED_WARNINGS): a DependsOn on the provider's
            # role that its GetAtt already implies
            if not (m.rule.id == "W3005" and "CustomCrossRegionExport" in m.message)
        ]
    assert problems == []


def test_report_shows_one_domain_with_its_keys_per_region(regions: dict[str, Any]) -> None:
    report = build_report(regions["assembly"])
    (domain,) = [d for d in report.domains if d.name == "orders"]
    assert [(r["region"], r["kind"]) for r in domain.key["regions"]] == [
        (HOME, "primary"),
        (WEST, "replica"),
    ]
    stacks = {s["stack"] for s in domain.stores}
    assert {"Orders", "OrdersWest"} <= stacks
    markdown = to_markdown(report)
    assert markdown.count("## Domain `orders`") == 1
    assert f"| {WEST} | replica `" in markdown


def test_kms_key_types_are_not_stores() -> None:
    from cdk_partition.knowledge import catalogue

    for cfn_type in ("AWS::KMS::Key", "AWS::KMS::ReplicaKey"):
        assert catalogue.lookup(cfn_type) is None
        assert not catalogue.looks_like_data_store(cfn_type)
        assert catalogue.kms_key_paths(cfn_type) == ()


@pytest.mark.slow
def test_the_docs_regions_example_passes_its_own_checks(tmp_path: Path) -> None:
    section = (Path(__file__).resolve().parent.parent / "docs" / "regions.md").read_text()
    code = section.split("```python", 1)[1].split("```", 1)[0]
    app = cdk.App(outdir=str(tmp_path / "cdk.out"), context=cdk_context())
    people = cdk.Stack(app, "Principals", env=_env(HOME))
    app_a = iam.Role(
        people, "appA", role_name="appA", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
    )
    ci = iam.User(people, "ci", user_name="ci")
    exec(code, {"app": app, "app_a": app_a, "ci": ci})  # the Regions page's own lines
    app.synth()  # the checks run here: a failing finding would raise
    findings = audit(load(tmp_path / "cdk.out"))
    assert findings == []  # no CDKP010 either: the replica's key is in the assembly
    (table,) = [
        r
        for r in json.loads((tmp_path / "cdk.out" / "Orders.template.json").read_text())[
            "Resources"
        ].values()
        if r["Type"] == "AWS::DynamoDB::GlobalTable"
    ]
    assert {r["Region"] for r in table["Properties"]["Replicas"]} == {HOME, WEST}


def test_a_replica_region_of_another_partition_is_refused() -> None:
    """ReplicateKey creates a replica "in a different Region of the same Amazon Web Services
    partition": cn-north-1 cannot hold a replica of an eu-central-1 key (it passed before)."""
    app = cdk.App()
    stack = cdk.Stack(app, "Home", env=_env(HOME))
    with pytest.raises(ValueError, match=r"cn-north-1 \(partition aws-cn\).*same partition"):
        DataDomain(
            stack,
            "D",
            domain_name="one",
            administrators=[iam.ArnPrincipal(ADMIN)],
            replica_regions=["cn-north-1"],
        )

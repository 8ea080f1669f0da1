"""Roles the app passes to a store on the domain key (issue #19: principals the app grants, stores
however made): for every CloudFormation type whose contract rows name a role property
(:data:`cdk_partition.knowledge.run_roles.ROLES_BY_TYPE`: a state machine's ``RoleArn``, a
SageMaker HyperPod cluster's ``InstanceGroups[].ExecutionRole``, a CodeBuild project's
``ServiceRole``...), a bare L1 of the type is put on the key by the mixin with a role of the app in
that property.

Before: each is ``CDKP024`` naming the role and the row's AWS page, with a fix that applies to
what the user wrote. After the fix, applied as written (``domain.allow_passed_role(role,
cfn_type)``): no ``CDKP024``, and every request of every row is decided by our evaluator and by
the independent simulator ``@cloud-copilot/iam-simulate``: the role is allowed with the request
context AWS documents, an unnamed role with the same context is not. Types whose rows a statement
cannot repeat are refused by the door, and their finding says what works instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from conftest import cdk_context
from proof_support import concrete_key_policy
from test_contracts_by_type import _put, _seed
from test_integrations import ENV, _synth
from test_oracle_iam_simulate import (
    ACCOUNT,
    REGION,
    Case,
    caller_for_arn,
    run_oracle,
    simulator_decision,
)

from cdk_partition import DomainEncryptionChecks, DomainStack, audit_path
from cdk_partition.audit import Finding
from cdk_partition.knowledge import contract_shapes, contracts, run_roles
from cdk_partition.policy import evaluator

#: the types whose own property names the role (a role another resource passes: below)
TYPES = sorted(t for t, rows in run_roles.ROLES_BY_TYPE.items() if any(not r.via for r in rows))
OPEN = [t for t in TYPES if not run_roles.passed_role_refusal(t)]
REFUSED = [t for t in TYPES if run_roles.passed_role_refusal(t)]
OUTSIDER = f"arn:aws:iam::{ACCOUNT}:role/not-named"
VALUES = {"{partition}": "aws", "{region}": REGION, "{account}": ACCOUNT}


def _name(cfn_type: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", cfn_type.removeprefix("AWS::"))


def _set(properties: dict[str, Any], path: str, value: Any) -> None:
    parent, _, leaf = path.rpartition(".")
    node: Any = properties
    if parent:
        _put(properties, parent)
        for part in parent.split("."):
            node = node[part.removesuffix("[]")]
            node = node[0] if part.endswith("[]") else node
    if leaf.endswith("[]"):
        node.setdefault(leaf.removesuffix("[]"), [])
        node[leaf.removesuffix("[]")].append(value)
    else:
        node[leaf] = value


#: types per domain: a key policy of a few dozen statements stays within the prover's budget
CHUNK = 6


def _domain_of(cfn_type: str) -> int:
    return TYPES.index(cfn_type) // CHUNK


def _synth_all(out: Path, fixed: bool) -> list[Finding]:
    """One app, the types spread over a few domains, each type a bare L1 with a role of the app
    in its role property, put on the key by the mixin."""
    app = cdk.App(context=cdk_context(), outdir=str(out))
    admin = iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/admin")
    for index in range(_domain_of(TYPES[-1]) + 1):
        stack = DomainStack(app, f"Passed{index}", domain_name=f"passed{index}",
                            administrators=[admin], env=ENV)  # fmt: skip
        domain = stack.domain
        for cfn_type in [t for t in TYPES if _domain_of(t) == index]:
            name = _name(cfn_type)
            role = iam.Role(stack, f"{name}Role", assumed_by=iam.AccountRootPrincipal())
            properties = _seed(cfn_type, domain.key.key_arn)
            for path in {r.role_property for r in run_roles.ROLES_BY_TYPE[cfn_type]}:
                _set(properties, path, role.role_arn)
            for key in contracts.CONTRACT_KEY_PROPERTIES.get(cfn_type, ()):
                properties[key] = domain.key.key_arn
            cdk.CfnResource(stack, name, type=cfn_type, properties=properties)
            if contract_shapes.door_rows(cfn_type) and not contract_shapes.door_refusal(cfn_type):
                domain.allow_deployment_requests(cfn_type)
            if fixed and cfn_type in OPEN:
                domain.allow_passed_role(role, cfn_type)  # the finding's fix, as written
        cdk.Mixins.of(stack).apply(domain.encryption_at_rest())
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth on an error
        assert "alidation" in str(error), error
    return audit_path(out)


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return _synth_all(tmp_path_factory.mktemp("before") / "cdk.out", fixed=False)


@pytest.fixture(scope="module")
def after(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Finding], Path]:
    out = tmp_path_factory.mktemp("after") / "cdk.out"
    return _synth_all(out, fixed=True), out


def _of_type(findings: list[Finding], cfn_type: str) -> list[Finding]:
    return [f for f in findings if f.rule == "CDKP024" and f.resource_type == cfn_type]


def test_the_table_names_roles_by_the_types_schema() -> None:
    """Each role property is a property of the type's schema (the CloudFormation schemas
    cfn-lint ships), a string (an ARN or a name)."""

    cfnlint = pytest.importorskip("cfnlint")
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    checked = []
    for role in run_roles.RUN_ROLES:
        # a role another resource passes: the role and the link are that resource's properties
        owner = role.via[0] if role.via else role.store_type
        paths = [role.role_property, *([role.via[1]] if role.via else [])]
        checked += [(owner, path) for path in paths]
    for owner, path in dict.fromkeys(checked):
        schema = json.loads((schemas / "resources" / f"{index[owner]}.json").read_text())
        node: Any = schema
        for part in path.split("."):
            node = node["properties"][part.removesuffix("[]")]
            while "$ref" in node or (part.endswith("[]") and "items" in node):
                if "$ref" in node:
                    ref = node["$ref"]
                    node = schema
                    for step in ref[2:].split("/"):
                        node = node[step]
                else:
                    node = node["items"]
        assert node.get("type") == "string", (owner, path, node)


@pytest.mark.parametrize("cfn_type", TYPES)
def test_a_role_the_key_does_not_name_is_reported(before: list[Finding], cfn_type: str) -> None:
    found = _of_type(before, cfn_type)
    assert len(found) == 1, (
        cfn_type,
        [(f.rule, f.message) for f in before if cfn_type in f.message],
    )
    finding = found[0]
    name = _name(cfn_type)
    role_path = f"Passed{_domain_of(cfn_type)}/{name}Role"
    assert role_path in finding.message and finding.severity == "error"
    assert finding.location == run_roles.ROLES_BY_TYPE[cfn_type][0].role_property
    assert any(r.url in finding.message for r in run_roles.ROLES_BY_TYPE[cfn_type])
    if cfn_type in OPEN:
        assert f"`domain.allow_passed_role({role_path}, {cfn_type!r})`" in finding.fix
    else:
        assert "not a DomainStack" in finding.fix


@pytest.mark.parametrize("cfn_type", OPEN)
def test_the_fix_as_written_clears_the_finding(
    after: tuple[list[Finding], Path], cfn_type: str
) -> None:
    findings, _ = after
    assert _of_type(findings, cfn_type) == []
    assert [f.message for f in findings if f.rule in ("CDKP104", "CDKP105", "CDKP106")] == []


def _requests(out: Path) -> list[tuple[Case, str, str]]:
    """(case, expected, type) per request of every row of the open types, and its outsider."""
    cases = []
    for cfn_type in OPEN:
        template = json.loads((out / f"Passed{_domain_of(cfn_type)}.template.json").read_text())
        policy = concrete_key_policy(template, ACCOUNT, REGION)
        (logical_id,) = [
            i for i, r in template["Resources"].items()
            if r["Type"] == "AWS::IAM::Role" and i.startswith(f"{_name(cfn_type)}Role")
        ]  # fmt: skip
        arn = f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"
        for role in run_roles.ROLES_BY_TYPE[cfn_type]:
            for action in role.kms_requests:
                context = {
                    **run_roles.context_of(role, action, VALUES),
                    "kms:CallerAccount": ACCOUNT,
                }
                for who, want in ((arn, "allow"), (OUTSIDER, "not_allowed")):
                    case = Case(f"passed-role:{cfn_type}", policy, caller_for_arn(who), action,
                                context, identity_allows=True)  # fmt: skip
                    cases.append((case, want, cfn_type))
    return cases


def test_every_request_of_every_role_is_decided_by_the_evaluator_and_the_simulator(
    after: tuple[list[Finding], Path],
) -> None:
    _, out = after
    requests = _requests(out)
    assert len({t for _, _, t in requests}) == len(OPEN)
    ours = [evaluator.evaluate(evaluator.prepare(c.policy), c.request()) for c, _, _ in requests]
    theirs = [simulator_decision(r) for r in run_oracle([c for c, _, _ in requests])]
    wrong = [
        (t, c.caller.principal_arn, c.action, want, o, s)
        for (c, want, t), o, s in zip(requests, ours, theirs, strict=True)
        if (o == "allow") != (want == "allow") or (s == "allow") != (want == "allow")
    ]
    assert wrong == []


@pytest.mark.parametrize("cfn_type", REFUSED)
def test_the_door_refuses_what_a_statement_cannot_repeat(cfn_type: str) -> None:
    app = cdk.App()
    stack = DomainStack(app, "Refused", domain_name="refused",
                        administrators=[iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/admin")])  # fmt: skip
    role = iam.Role(stack, "Role", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(ValueError, match="not a DomainStack"):
        stack.domain.allow_passed_role(role, cfn_type)


def test_the_door_refuses_a_type_without_a_role_property() -> None:
    app = cdk.App()
    stack = DomainStack(app, "NoRole", domain_name="norole",
                        administrators=[iam.ArnPrincipal(f"arn:aws:iam::{ACCOUNT}:role/admin")])  # fmt: skip
    role = iam.Role(stack, "Role", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(ValueError, match="no property naming a role"):
        stack.domain.allow_passed_role(role, "AWS::SQS::Queue")


def _door_statement(cfn_type: str) -> tuple[str, Any]:
    """(Sid, row) of the door row of ``cfn_type`` with kms:CreateGrant."""
    (found, *_) = [
        (s, r) for s, r in run_roles.door_rows(cfn_type) if "kms:CreateGrant" in r.actions
    ]
    return found


#: (type whose door row the statement copies, change) -> whether CDKP104 must report it
_SHAPES = {
    # exactly the door's shape (unscoped CreateGrant, as AWS documents for the execution role)
    "exact": ("AWS::SageMaker::Domain", {}, False),
    # the same Sid and principal, a data action added: not the door's shape
    "data-added": ("AWS::SageMaker::Domain", {"extra": ["kms:Decrypt"]}, True),
    # a grant row's statement without the kms:GrantIsForAWSResource it documents
    "condition-dropped": ("AWS::SageMaker::Cluster", {"conditions": None}, True),
}


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_only_the_doors_exact_shape_is_accepted(tmp_path: Path, shape: str) -> None:
    """The audit accepts an ``AllowPassedRole`` statement by its shape, not its Sid: written by
    hand exactly as the door writes it, it passes; anything wider is CDKP104."""
    cfn_type, change, reported = _SHAPES[shape]
    rules = {f.rule for f in _synth(tmp_path, _hand_written(cfn_type, change, store=True))}
    assert ("CDKP104" in rules) is reported, rules


@pytest.mark.parametrize("cfn_type", ["AWS::SageMaker::Domain", "AWS::SageMaker::Cluster"])
def test_a_door_statement_no_store_needs_is_reported(tmp_path: Path, cfn_type: str) -> None:
    """The exact shape of a door's statement, for a role no resource of its type on the key runs
    with (none is there): CDKP104, the statement gives the role grants for nothing."""
    findings = _synth(tmp_path, _hand_written(cfn_type, {}, store=False))
    found = [f for f in findings if f.rule == "CDKP104"]
    assert (
        len(found) == 1 and "no " in found[0].message and "on the key runs with" in found[0].message
    )


def _hand_written(
    cfn_type: str, change: dict[str, Any], *, store: bool
) -> Callable[[DomainStack], None]:
    """A role, the door statement of ``cfn_type``'s grant row written by hand (with ``change``),
    and with ``store`` a bare resource of the type on the key that runs with the role."""
    sid, row = _door_statement(cfn_type)

    def build(orders: DomainStack) -> None:
        role = iam.Role(orders, "ExecutionRole", assumed_by=iam.AccountRootPrincipal())
        if store:
            properties = _seed(cfn_type, orders.domain.key.key_arn)
            for path in {r.role_property for r in run_roles.ROLES_BY_TYPE[cfn_type]}:
                _set(properties, path, role.role_arn)
            cdk.CfnResource(orders, "Store", type=cfn_type, properties=properties)
            if contract_shapes.door_rows(cfn_type) and not contract_shapes.door_refusal(cfn_type):
                orders.domain.allow_deployment_requests(cfn_type)
            cdk.Mixins.of(orders).apply(orders.domain.encryption_at_rest())
        values = {"{partition}": orders.partition, "{region}": orders.region,
                  "{account}": orders.account}  # fmt: skip
        conditions = contract_shapes.fill(run_roles.door_conditions(row), values) or None
        actions = run_roles.statement_actions(row) + change.get("extra", [])
        orders.domain.add_to_key_policy(iam.PolicyStatement(
            sid=sid, principals=[iam.ArnPrincipal(role.role_arn)], resources=["*"],
            actions=actions, conditions=change.get("conditions", conditions),
        ))  # fmt: skip

    return build


def _glue(fixed: bool) -> Callable[[DomainStack], None]:
    """A security configuration on the domain key (the mixin), named by a job (``Ref``: its name)
    and by a crawler (its literal name), each with a role of the app."""

    def build(orders: DomainStack) -> None:
        role = iam.Role(orders, "GlueRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        cfn_type = "AWS::Glue::SecurityConfiguration"
        properties = {**_seed(cfn_type, orders.domain.key.key_arn), "Name": "secure"}
        config = cdk.CfnResource(orders, "Secure", type=cfn_type, properties=properties)
        cdk.Mixins.of(config).apply(orders.domain.encryption_at_rest())
        glue.CfnJob(
            orders, "Job", role=role.role_arn, security_configuration=config.ref,
            command=glue.CfnJob.JobCommandProperty(name="glueetl", script_location="s3://b/x.py"),
        )  # fmt: skip
        glue.CfnCrawler(
            orders, "Crawler", role=role.role_arn, crawler_security_configuration="secure",
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[glue.CfnCrawler.S3TargetProperty(path="s3://b/")]),
        )  # fmt: skip
        if fixed:  # the finding's fix, as written
            orders.domain.allow_passed_role(role, "AWS::Glue::SecurityConfiguration")

    return build


def test_a_role_another_resource_passes_is_followed(tmp_path: Path) -> None:
    """A Glue job or crawler runs with its own ``Role`` under the security configuration it
    names: the role makes the configuration's KMS requests (an attack review found it silent).
    The finding sits on the job and on the crawler; the fix as written clears both, and the
    role's requests are decided by the evaluator and the simulator."""
    cfn_type = "AWS::Glue::SecurityConfiguration"
    found = [f for f in _synth(tmp_path / "before", _glue(False)) if f.rule == "CDKP024"]
    assert sorted(f.resource_type for f in found) == ["AWS::Glue::Crawler", "AWS::Glue::Job"]
    for finding in found:
        assert "Orders/GlueRole" in finding.message and cfn_type in finding.message
        assert finding.location == "Role"
        assert f"`domain.allow_passed_role(Orders/GlueRole, {cfn_type!r})`" in finding.fix

    out = tmp_path / "after"
    findings = _synth(out, _glue(True))
    assert [f.message for f in findings if f.severity == "error"] == []
    template = json.loads((out / "Orders.template.json").read_text())
    policy = concrete_key_policy(template, ACCOUNT, REGION)
    (logical_id,) = [
        i for i, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and i.startswith("GlueRole")
    ]  # fmt: skip
    cases = []
    for role in run_roles.ROLES_BY_TYPE[cfn_type]:
        for action in role.kms_requests:
            context = {**run_roles.context_of(role, action, VALUES), "kms:CallerAccount": ACCOUNT}
            for who in (f"arn:aws:iam::{ACCOUNT}:role/{logical_id}", OUTSIDER):
                cases.append(Case("glue", policy, caller_for_arn(who), action, context, True))
    ours = [evaluator.evaluate(evaluator.prepare(c.policy), c.request()) for c in cases]
    theirs = [simulator_decision(r) for r in run_oracle(cases)]
    want = ["allow" if c.caller.principal_arn != OUTSIDER else "deny" for c in cases]
    assert [o == "allow" for o in ours] == [w == "allow" for w in want]
    assert [s == "allow" for s in theirs] == [w == "allow" for w in want]
    # the access report takes the door's statement as the library's (no REPORT-EXTRA-STATEMENT)
    from cdk_partition.assembly import load
    from cdk_partition.report import build_report

    report = build_report(load(out))
    extra = [
        f["message"]
        for d in report.domains
        for f in d.findings
        if f["rule"] == "REPORT-EXTRA-STATEMENT" and "AllowPassedRole" in f["message"]
    ]
    assert extra == []


def _cluster_with(orders: DomainStack, second_group: Any) -> None:
    cfn_type = "AWS::SageMaker::Cluster"
    role = iam.Role(orders, "First", assumed_by=iam.AccountRootPrincipal())
    properties = _seed(cfn_type, orders.domain.key.key_arn)
    _set(properties, "InstanceGroups[].ExecutionRole", role.role_arn)
    properties["InstanceGroups"].append(second_group)
    cdk.CfnResource(orders, "Cluster", type=cfn_type, properties=properties)
    orders.domain.allow_passed_role(role, cfn_type)
    cdk.Mixins.of(orders).apply(orders.domain.encryption_at_rest())


def test_a_role_in_a_list_item_the_audit_cannot_walk_is_cdkp020(tmp_path: Path) -> None:
    """A second instance group written as ``Fn::If``: its role cannot be read, which is a
    finding (fail closed), not silence (a second attack review found it silent)."""
    cond = {"Fn::If": ["Big", {"ExecutionRole": "arn:aws:iam::111122223333:role/x"},
                       {"Ref": "AWS::NoValue"}]}  # fmt: skip
    findings = _synth(tmp_path, lambda orders: _cluster_with(orders, cond))
    found = [f for f in findings if f.rule == "CDKP020" and f.resource_type.endswith("Cluster")]
    assert len(found) == 1 and "cannot be resolved" in found[0].message, findings


def test_a_role_given_by_name_is_cdkp020_not_cdkp024(tmp_path: Path) -> None:
    """A role property holding a bare name (not an ARN): the evaluator cannot decide the
    request, which is CDKP020 (the audit cannot check it), not a refusal the door would clear."""

    def build(orders: DomainStack) -> None:
        cfn_type = "AWS::CodeBuild::Project"
        properties = _seed(cfn_type, orders.domain.key.key_arn)
        properties["ServiceRole"] = "a-role-name"
        cdk.CfnResource(orders, "Build", type=cfn_type, properties=properties)
        cdk.Mixins.of(orders).apply(orders.domain.encryption_at_rest())

    rules = [
        f.rule for f in _synth(tmp_path, build) if f.resource_type == "AWS::CodeBuild::Project"
    ]
    assert "CDKP020" in rules and "CDKP024" not in rules, rules


def test_a_glue_job_naming_the_configuration_by_import_or_sub_is_followed(tmp_path: Path) -> None:
    """The configuration named by an import of its export (a job in another stack) or by the
    same ``Fn::Sub`` as its ``Name``: the job's role is checked (both were silent)."""

    def build(orders: DomainStack) -> None:
        cfn_type = "AWS::Glue::SecurityConfiguration"
        name = cdk.Fn.sub("${AWS::StackName}-secure")
        config = cdk.CfnResource(orders, "Secure", type=cfn_type, properties={
            **_seed(cfn_type, orders.domain.key.key_arn), "Name": name})  # fmt: skip
        cdk.Mixins.of(config).apply(orders.domain.encryption_at_rest())
        role = iam.Role(orders, "SubRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        glue.CfnJob(orders, "BySub", role=role.role_arn, security_configuration=name,
                    command=glue.CfnJob.JobCommandProperty(name="glueetl", script_location="s3://b/x.py"))  # fmt: skip
        jobs = cdk.Stack(orders.node.root, "Jobs", env=ENV)
        other = iam.Role(jobs, "ImportRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        glue.CfnJob(jobs, "ByImport", role=other.role_arn, security_configuration=config.ref,
                    command=glue.CfnJob.JobCommandProperty(name="glueetl", script_location="s3://b/x.py"))  # fmt: skip
        cdk.Aspects.of(jobs).add(DomainEncryptionChecks(orders.domain))  # the checks cover it

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP024"]
    assert sorted(f.path.split("/")[1] for f in found) == ["ByImport", "BySub"], found


def test_a_glue_door_with_no_job_naming_a_configuration_on_the_key_is_cdkp104(
    tmp_path: Path,
) -> None:
    """A job of the domain with no security configuration does not justify the Glue door."""

    def build(orders: DomainStack) -> None:
        role = iam.Role(orders, "GlueRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        glue.CfnJob(orders, "Plain", role=role.role_arn,
                    command=glue.CfnJob.JobCommandProperty(name="glueetl", script_location="s3://b/x.py"))  # fmt: skip
        orders.domain.allow_passed_role(role, "AWS::Glue::SecurityConfiguration")

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP104"]
    assert found and all("AllowPassedRoleGlue" in f.message for f in found), found

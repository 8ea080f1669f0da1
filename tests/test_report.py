"""The access report: computed from the synthesized key policies, in JSON and markdown."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from templates import domain_key

from cdk_partition import cli, report
from cdk_partition.audit import StackTemplate, load_templates


@pytest.fixture(scope="module")
def sample_report(sample_assembly: Path) -> report.Report:
    return report.build_report(load_templates(sample_assembly))


def _domain(result: report.Report, name: str) -> report.DomainReport:
    (domain,) = [d for d in result.domains if d.name == name]
    return domain


def _by_name(access: dict[str, Any]) -> dict[str, Any]:
    """IAM labels such as ``role/appA`` / ``user/ci`` -> ``appA`` / ``ci``; other rows keep theirs."""
    return {
        key.split("/", 1)[1] if key.startswith(("role/", "user/")) else key: v
        for key, v in access.items()
    }


def test_orders_access_matrix_matches_the_article(sample_report: report.Report) -> None:
    access = _by_name(_domain(sample_report, "orders").access)
    assert access["appA"] == ["read", "write"]
    assert access["ci"] == ["administer"]
    assert access["person1"] == ["administer", "read", "write"]
    assert access[report.ANY_OTHER_IN_ACCOUNT] == []
    assert access[report.ANY_OTHER_ACCOUNT] == []


def test_credit_applications_access(sample_report: report.Report) -> None:
    access = _by_name(_domain(sample_report, "credit-applications").access)
    assert access["intake"] == ["write"]
    assert access["underwriter"] == ["read"]
    assert access["ci"] == ["administer"]
    assert access[report.ANY_OTHER_IN_ACCOUNT] == []
    assert access[report.ANY_OTHER_ACCOUNT] == []


def test_sample_has_no_undecidable_row(sample_report: report.Report) -> None:
    """Imports and Fn::GetAtt of roles resolve to real ARNs, so the EC2 infrastructure role's
    ArnNotLike pattern in DenyEveryoneElse can be decided for every principal."""
    for domain in sample_report.domains:
        assert [f for f in domain.findings if f["rule"] == "REPORT-UNDECIDABLE"] == []
        assert not any(row.get("undecidable") for row in domain.principals.values())
        for placeholder, arn in domain.resolved.items():
            assert placeholder.startswith("${") and arn.startswith("arn:${AWS::Partition}:iam::")


def test_labels_are_iam_names_with_the_construct_path_aside(sample_report: report.Report) -> None:
    orders = _domain(sample_report, "orders")
    assert {"role/appA", "user/ci", "user/person1"} <= set(orders.access)
    row = orders.principals["role/appA"]
    assert row["arn"] == "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/appA"
    assert row["path"] == "Principals/appA"
    deployment = [k for k in orders.access if "cfn-exec-role" in k]
    assert deployment == ["role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}"]
    # a role the library makes without a name: CloudFormation generates it; <stack>-<logical id>
    # stands in for it, and the construct path says which role it is
    (delivery,) = [
        k
        for k, v in orders.principals.items()
        if v["path"] == "Orders/Domain/Archive/S3 Destination Role"
    ]
    assert delivery == "role/Orders-DomainArchiveS3DestinationRoleD59B5355"
    assert orders.principals[delivery]["generated_name"] is True


def _strip_paths(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_paths(v) for k, v in value.items() if k != "aws:cdk:path"}
    if isinstance(value, list):
        return [_strip_paths(v) for v in value]
    return value


def test_labels_without_path_metadata(sample_assembly: Path) -> None:
    stacks = load_templates(sample_assembly)
    stripped = [
        StackTemplate(s.name, _strip_paths(copy.deepcopy(s.template)), s.file) for s in stacks
    ]
    assert "aws:cdk:path" not in json.dumps([s.template for s in stripped])
    orders = _domain(report.build_report(stripped), "orders")
    access = _by_name(orders.access)
    assert access["appA"] == ["read", "write"]
    assert access["ci"] == ["administer"]
    assert access["person1"] == ["administer", "read", "write"]
    assert orders.principals["role/appA"]["path"] == "Principals/appA742DFF03"
    assert "role/Orders-DomainArchiveS3DestinationRoleD59B5355" in orders.access
    assert not [f for f in orders.findings if f["rule"] == "REPORT-UNDECIDABLE"]


REGION = "${AWS::Region}"


def test_deployment_role_administers_and_reaches_data_only_via_its_services(
    sample_report: report.Report,
) -> None:
    for name, services in {
        "orders": ["dynamodb", "secretsmanager", "ecr", "backup", "firehose"],
        # the key policy's order: the launch template (a store method, under the domain) first,
        # then the plain constructs the mixin put on the key, in tree order
        "credit-applications": ["ec2", "dynamodb", "elasticfilesystem", "secretsmanager", "rds"],
    }.items():
        domain = _domain(sample_report, name)
        (role,) = [k for k in domain.access if "cfn-exec-role" in k]
        assert domain.access[role] == ["administer"]  # directly: key management only
        vias = [f"{s}.{REGION}.amazonaws.com" for s in services]
        assert domain.principals[role]["via_services"] == {"read": vias, "write": vias}
        # AllowGrantsForAWSResources: grants for AWS resources (through any service when the
        # statement names none)
        grants = domain.principals[role]["grants_for_aws_resources_via"]
        assert grants and set(grants) <= {"any service", *vias}
        # the domain's own principals gain nothing through these services
        for label, row in domain.principals.items():
            if (row["path"] or "").startswith("Principals/"):
                assert row["via_services"] == {}, label


def test_firehose_delivery_role_writes_via_s3(sample_report: report.Report) -> None:
    orders = _domain(sample_report, "orders")
    s3 = f"s3.{REGION}.amazonaws.com"
    roles = {
        row["path"]: (label, row)
        for label, row in orders.principals.items()
        if (row["path"] or "").startswith("Orders/Domain/Archive/")
    }
    # only the role that writes S3 is named (the stream's service role never writes S3)
    assert set(roles) == {"Orders/Domain/Archive/S3 Destination Role"}
    for label, row in roles.values():
        assert orders.access[label] == []
        assert row["via_services"] == {"read": [s3], "write": [s3]}
    text = report.to_markdown(sample_report)
    assert (
        "| `role/Orders-DomainArchiveS3DestinationRoleD59B5355` "
        "(`Orders/Domain/Archive/S3 Destination Role`) | - | via s3 | via s3 |"
    ) in text


def test_markdown_shows_capabilities_via_services(sample_report: report.Report) -> None:
    text = report.to_markdown(sample_report)
    role = "`role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}`"
    via = "via ec2, dynamodb, elasticfilesystem, secretsmanager, rds"
    assert f"| {role} | yes | {via} | {via} |" in text
    assert "-.->|read, write via s3| key" in text


def test_key_and_stores_are_listed(sample_report: report.Report) -> None:
    orders = _domain(sample_report, "orders")
    assert orders.key["alias"] == "alias/orders"
    assert orders.key["stack"] == "Orders"
    types = {s["type"] for s in orders.stores}
    assert {"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::DynamoDB::Table"} <= types
    assert all(s["stack"] == "Orders" for s in orders.stores)


def test_sample_has_no_error_findings(sample_report: report.Report) -> None:
    assert not sample_report.has_errors
    for domain in sample_report.domains:
        assert [f for f in domain.findings if f["severity"] == "error"] == []


def test_json_format(sample_assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(sample_assembly), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(d["name"] for d in data["domains"]) == ["credit-applications", "orders"]
    for domain in data["domains"]:
        assert set(domain) >= {"name", "key", "stores", "access", "findings"}
        assert all(set(c) <= {"administer", "read", "write"} for c in domain["access"].values())


def test_markdown_has_matrix_and_mermaid(
    sample_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(sample_assembly)]) == 0
    text = capsys.readouterr().out
    assert "## Domain `orders`" in text
    assert "| principal | administer | read | write |" in text
    assert "```mermaid" in text and "flowchart LR" in text
    assert "-->|read, write| key" in text


# -- computed, not echoed: a hand-edited policy shows its real effect ----------------------------
READER = "arn:aws:iam::111122223333:role/reader"


def _template(extra: list[dict[str, Any]], drop_deny: bool = False) -> StackTemplate:
    key = domain_key("d", readers=(READER,), deny=not drop_deny, extra=tuple(copy.deepcopy(extra)))
    return StackTemplate("S", {"Resources": {"Key": key}}, "S.template.json")


def test_reader_holding_kms_star_is_reported() -> None:
    extra = [
        {
            "Sid": "Oops",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    domain = report.build_report([_template(extra)]).domains[0]
    assert domain.access["arn:aws:iam::111122223333:role/reader"] == ["administer", "read", "write"]
    rules = {f["rule"] for f in domain.findings}
    assert {"REPORT-BEYOND-CAPABILITY", "REPORT-EXTRA-STATEMENT"} <= rules


def test_account_delegation_without_deny_opens_the_key() -> None:
    extra = [
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    domain = report.build_report([_template(extra, drop_deny=True)]).domains[0]
    assert domain.access[report.ANY_OTHER_IN_ACCOUNT] == ["administer", "read", "write"]
    assert domain.access[report.ANY_OTHER_ACCOUNT] == []
    assert "REPORT-OPEN-KEY" in {f["rule"] for f in domain.findings}


def test_unheld_capability_is_reported() -> None:
    domain = report.build_report([_template([])]).domains[0]
    unheld = [f["message"] for f in domain.findings if f["rule"] == "REPORT-UNHELD-CAPABILITY"]
    assert unheld == ["nobody holds write on domain 'd'."]


def test_report_is_written_into_the_assembly_on_switch(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from conftest import cdk_context

    from cdk_partition import DomainStack
    from cdk_partition.constructs.checks import REPORT_CONTEXT_KEY

    app = cdk.App(outdir=str(tmp_path), context={**cdk_context(), REPORT_CONTEXT_KEY: "true"})
    people = cdk.Stack(app, "People")
    reader = iam.Role(people, "reader", assumed_by=iam.AccountRootPrincipal())
    admin = iam.User(people, "admin")
    stack = DomainStack(app, "D", domain_name="d", administrators=[admin], readers=[reader])
    stack.domain.queue("Q")
    app.synth()
    data = json.loads((tmp_path / "cdk-partition-report.json").read_text())
    (domain,) = data["domains"]
    (reader,) = [k for k, v in domain["principals"].items() if v["path"] == "People/reader"]
    assert reader.startswith("role/People-reader")  # no role_name: CloudFormation generates it
    assert domain["access"][reader] == ["read"]
    (admin,) = [k for k, v in domain["principals"].items() if v["path"] == "People/admin"]
    assert admin.startswith("user/People-admin")
    assert domain["access"][admin] == ["administer"]
    assert "```mermaid" in (tmp_path / "cdk-partition-report.md").read_text()


# -- principal values resolved from the templates -----------------------------------------------
EC2_INFRASTRUCTURE = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws:ec2-infrastructure/*"


def _deny_with_infrastructure(named: list[Any]) -> dict[str, Any]:
    return {
        "Sid": "DenyEveryoneElse",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:*",
        "Resource": "*",
        "Condition": {
            "ArnNotEquals": {"aws:PrincipalArn": named},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            "ArnNotLike": {"aws:PrincipalArn": {"Fn::Sub": EC2_INFRASTRUCTURE}},
        },
    }


def _key(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::KMS::Key",
        "Metadata": {"cdk_partition:domain": "d"},
        "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": statements}},
    }


def _allow(sid: str, actions: list[str], principals: list[Any]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": actions,
        "Resource": "*",
    }


def test_unresolvable_import_is_an_undecidable_row_not_a_crash() -> None:
    unknown = {"Fn::ImportValue": "Elsewhere:ReaderArn"}
    key = _key(
        [_allow("AllowRead", ["kms:Decrypt"], [unknown]), _deny_with_infrastructure([unknown])]
    )
    domain = report.build_report(
        [StackTemplate("S", {"Resources": {"Key": key}}, "S.json")]
    ).domains[0]
    label = "${ImportValue:Elsewhere:ReaderArn}"
    assert domain.principals[label]["undecidable"] is True
    (finding,) = [f for f in domain.findings if f["rule"] == "REPORT-UNDECIDABLE"]
    assert label in finding["message"] and "wildcard ARN pattern" in finding["message"]
    assert f"| `{label}` | ? | ? | ? |" in report.to_markdown(report.Report([domain]))


def test_getatt_ref_path_and_user_resolve_in_the_same_template() -> None:
    reader = {"Fn::GetAtt": ["Reader", "Arn"]}
    # an ARN written with Fn::Sub around a Ref (the role's name) resolves the same way
    writer = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/${Writer}"}
    resources = {
        "Reader": {
            "Type": "AWS::IAM::Role",
            "Properties": {"RoleName": "analyst", "Path": "/team/", "AssumeRolePolicyDocument": {}},
        },
        "Writer": {"Type": "AWS::IAM::User", "Properties": {"UserName": "loader"}},
        "Key": _key(
            [
                _allow("AllowRead", ["kms:Decrypt"], [reader]),
                _allow("AllowWrite", ["kms:Encrypt"], [writer]),
                _deny_with_infrastructure([reader, writer]),
            ]
        ),
    }
    domain = report.build_report([StackTemplate("S", {"Resources": resources}, "S.json")]).domains[
        0
    ]
    assert domain.access["role/team/analyst"] == ["read"]
    assert domain.access["user/loader"] == ["write"]
    assert domain.principals["role/team/analyst"]["path"] == "S/Reader"
    assert domain.access[report.ANY_OTHER_IN_ACCOUNT] == []
    assert not [f for f in domain.findings if f["rule"] == "REPORT-UNDECIDABLE"]


def test_a_known_environment_resolves_pseudo_parameters() -> None:
    from cdk_partition.assembly import Environment

    env = Environment("111122223333", "eu-west-1")
    people = StackTemplate(
        "People",
        {
            "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "app"}}},
            "Outputs": {"O": {"Value": {"Fn::GetAtt": ["R", "Arn"]}, "Export": {"Name": "RArn"}}},
        },
        "People.json",
        environment=env,
    )
    imported = {"Fn::ImportValue": "RArn"}
    key = _key(
        [_allow("AllowRead", ["kms:Decrypt"], [imported]), _deny_with_infrastructure([imported])]
    )
    stack = StackTemplate("S", {"Resources": {"Key": key}}, "S.json", environment=env)
    domain = report.build_report([people, stack]).domains[0]
    assert domain.principals["role/app"]["arn"] == "arn:aws:iam::111122223333:role/app"
    assert domain.access["role/app"] == ["read"]
    assert domain.principals[report.ANY_OTHER_IN_ACCOUNT]["arn"].startswith("arn:aws:iam::1111")
    assert domain.access[report.ANY_OTHER_IN_ACCOUNT] == []


# -- capabilities through services ----------------------------------------------------------------
def _via_statement(principal: Any, action: Any, service: str) -> dict[str, Any]:
    return {
        "Sid": "ViaSecrets",
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": action,
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": f"{service}.us-east-1.amazonaws.com"}},
    }


def test_account_delegation_through_a_service_opens_the_key_without_the_deny() -> None:
    """What CDK L2s write for ViaServicePrincipal(service, AccountRootPrincipal()): without a
    kms:ViaService in the request it looks closed; through the service it is open."""
    root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    extra = [_via_statement(root, ["kms:Decrypt", "kms:Encrypt"], "secretsmanager")]
    domain = report.build_report([_template(extra, drop_deny=True)]).domains[0]
    assert domain.access[report.ANY_OTHER_IN_ACCOUNT] == []
    row = domain.principals[report.ANY_OTHER_IN_ACCOUNT]
    via = ["secretsmanager.us-east-1.amazonaws.com"]
    assert row["via_services"] == {"read": via, "write": via}
    (opened,) = [f for f in domain.findings if f["rule"] == "REPORT-OPEN-KEY"]
    assert "through secretsmanager.us-east-1.amazonaws.com" in opened["message"]
    # the deny closes it again
    closed = report.build_report([_template(extra)]).domains[0]
    assert closed.principals[report.ANY_OTHER_IN_ACCOUNT]["via_services"] == {}
    assert "REPORT-OPEN-KEY" not in {f["rule"] for f in closed.findings}


def test_more_than_capabilities_through_a_service_is_reported() -> None:
    extra = [_via_statement(READER, "kms:*", "ec2")]
    domain = report.build_report([_template(extra)]).domains[0]
    row = domain.principals[READER]  # another account than the key's: the whole ARN
    assert row["capabilities"] == ["read"]
    assert row["via_services"] == {
        "administer": ["ec2.us-east-1.amazonaws.com"],
        "write": ["ec2.us-east-1.amazonaws.com"],
    }
    assert row["grants_for_aws_resources_via"] == ["ec2.us-east-1.amazonaws.com"]
    beyond = [f["message"] for f in domain.findings if f["rule"] == "REPORT-BEYOND-CAPABILITY"]
    assert any("through ec2.us-east-1.amazonaws.com" in m and "kms:Sign" in m for m in beyond)


# -- who the key gates -------------------------------------------------------------------------------
LOGS_ROW = (
    "anyone AWS lets call logs:GetLogEvents, logs:FilterLogEvents, logs:StartQuery "
    "on the domain's log groups"
)


def test_log_groups_are_gated_by_the_service_not_the_key(sample_report: report.Report) -> None:
    orders = _domain(sample_report, "orders")
    row = orders.principals[LOGS_ROW]
    assert row["kind"] == "service_gated"
    assert row["via_the_service"] == ["read"] and row["capabilities"] == []
    assert row["stores"] == ["Orders/Domain/AuditLog", "Orders/Domain/ArchiveErrors"]
    assert LOGS_ROW not in orders.access  # the key policy itself gives it nothing
    labels = list(orders.principals)
    assert labels.index(LOGS_ROW) < labels.index(report.ANY_OTHER_IN_ACCOUNT)
    gated = [f["message"] for f in orders.findings if f["rule"] == "REPORT-SERVICE-GATED"]
    assert len(gated) == 3  # log groups, event bus, topic
    assert any("CloudWatch Logs" in m and "logs:GetLogEvents" in m for m in gated)


TOPICS_ROW = "anyone AWS lets call sns:Subscribe on the domain's topics"


def test_topics_are_gated_by_who_may_subscribe_not_the_key(
    sample_report: report.Report,
) -> None:
    """A subscriber receives every message decrypted and never calls KMS ("only decrypted when
    they are sent", Amazon SNS Developer Guide, "Encryption at rest"): the report said the key
    gates each reader of a domain topic, and that no other principal reads (an attack
    subscribed its own queue); now its row says who does."""
    orders = _domain(sample_report, "orders")
    row = orders.principals[TOPICS_ROW]
    assert row["kind"] == "service_gated" and row["via_the_service"] == ["read"]
    assert row["stores"] == ["Orders/Domain/OrderPlaced"]
    assert "sns-server-side-encryption" in row["source"]
    stores = {s["path"]: s for s in orders.stores}
    assert stores["Orders/Domain/OrderPlaced"]["key_gates"] == "service"
    stores = {s["path"]: s for s in orders.stores}
    assert stores["Orders/Domain/AuditLog"]["key_gates"] == "service"
    assert stores["Orders/Domain/Documents"]["key_gates"] == "reader"
    assert "iam_permission" not in stores["Orders/Domain/Documents"]
    assert stores["Orders/Domain/OrderEvents"]["iam_permission"].startswith("events:PutRule")
    text = report.to_markdown(sample_report)
    assert f"| `{LOGS_ROW}` | - | via the service | - |" in text
    assert "| type | stack | construct path | key gates |" in text
    assert (
        "| AWS::Logs::LogGroup | Orders | `Orders/Domain/AuditLog` | the service: "
        "logs:GetLogEvents, logs:FilterLogEvents, logs:StartQuery |"
    ) in text
    # credit-applications has no such store: no such row
    credit = _domain(sample_report, "credit-applications")
    assert not [r for r in credit.principals.values() if r["kind"] == "service_gated"]
    assert "REPORT-SERVICE-GATED" not in {f["rule"] for f in credit.findings}


def test_a_log_group_domain_from_a_template() -> None:
    resources = {
        "Key": domain_key("d", readers=(READER,)),
        "Group": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
        },
    }
    domain = report.build_report([StackTemplate("S", {"Resources": resources}, "S.json")]).domains[
        0
    ]
    assert [s["key_gates"] for s in domain.stores] == ["service"]
    assert domain.principals[LOGS_ROW]["stores"] == ["S/Group"]
    assert "REPORT-SERVICE-GATED" in {f["rule"] for f in domain.findings}


def test_service_principals_show_sid_actions_and_conditions(sample_report: report.Report) -> None:
    services = {(s["service"], s["sid"]): s for s in _domain(sample_report, "orders").services}
    logs = services["logs.${AWS::Region}.amazonaws.com", "AllowLogsService"]
    assert logs["sid"] == "AllowLogsService"
    assert "kms:Decrypt*" in logs["actions"] and logs["not_action"] is False
    assert logs["condition_keys"] == ["ArnLike kms:EncryptionContext:aws:logs:arn"]
    arns = logs["conditions"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert (
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/orders/audit"
        in arns
    )
    # the event bus's statement, written from its contract for every bus on the key
    events = services["events.amazonaws.com", "AllowEventBridgeEventBuses"]
    assert set(events["actions"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    describe = services["events.amazonaws.com", "AllowEventBridgeDescribeKey"]
    assert describe["actions"] == ["kms:DescribeKey"] and describe["condition_keys"] == []
    assert "StringEquals aws:SourceAccount" in events["condition_keys"]
    text = report.to_markdown(sample_report)
    assert "| service | Sid | actions | conditions |" in text
    assert (
        "| `logs.${AWS::Region}.amazonaws.com` | AllowLogsService | `kms:Encrypt*`, `kms:Decrypt*`, "
        "`kms:ReEncrypt*`, `kms:GenerateDataKey*`, `kms:Describe*` | "
        "`ArnLike kms:EncryptionContext:aws:logs:arn` |"
    ) in text


def test_nested_stack_outputs_and_parameters_resolve() -> None:
    """CDK passes a parent's role into a nested stack as a parameter, and a nested stack's role
    out as an output: both resolve to the role's ARN."""
    parent_role = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "outer"}}
    nested_role = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "inner"}}
    from_parent = {"Ref": "OuterArn"}
    from_nested = {"Fn::GetAtt": ["Nested", "Outputs.InnerArn"]}
    parent = StackTemplate(
        "P",
        {
            "Resources": {
                "Outer": parent_role,
                "Nested": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {"Parameters": {"OuterArn": {"Fn::GetAtt": ["Outer", "Arn"]}}},
                },
                "Key": _key(
                    [
                        _allow("AllowRead", ["kms:Decrypt"], [from_nested]),
                        _deny_with_infrastructure([from_nested]),
                    ]
                ),
            }
        },
        "P.json",
    )
    nested = StackTemplate(
        "P/Nested",
        {
            "Parameters": {"OuterArn": {"Type": "String"}},
            "Resources": {
                "Inner": nested_role,
                "Key": {
                    **_key(
                        [
                            _allow("AllowWrite", ["kms:Encrypt"], [from_parent]),
                            _deny_with_infrastructure([from_parent]),
                        ]
                    ),
                    "Metadata": {"cdk_partition:domain": "n"},
                },
            },
            "Outputs": {"InnerArn": {"Value": {"Fn::GetAtt": ["Inner", "Arn"]}}},
        },
        "N.json",
        parent=(parent, "Nested"),
    )
    result = report.build_report([parent, nested])
    assert _domain(result, "d").access["role/inner"] == ["read"]
    assert _domain(result, "n").access["role/outer"] == ["write"]
    assert not [f for d in result.domains for f in d.findings if f["rule"] == "REPORT-UNDECIDABLE"]

"""Issue #21 item 5: the mixin on constructs nobody here wrote. Two AWS Solutions Constructs
patterns from PyPI (``aws-solutions-constructs.aws-lambda-dynamodb``, ``.aws-sqs-lambda``), a
Step Functions L2 and L1s of services without a store method (MSK, Neptune, MemoryDB, Glue,
SageMaker, OpenSearch Serverless), all in one ``DomainStack``, then
``Mixins.of(stack).apply(domain.encryption_at_rest())``. The app is synthesized once per module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_memorydb as memorydb
from aws_cdk import aws_msk as msk
from aws_cdk import aws_neptune as neptune
from aws_cdk import aws_opensearchserverless as oss
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_stepfunctions as sfn

try:
    from aws_solutions_constructs.aws_lambda_dynamodb import LambdaToDynamoDB
    from aws_solutions_constructs.aws_sqs_lambda import SqsToLambda
except ImportError:  # fail, never skip: the proof needs them
    pytest.fail(
        "AWS Solutions Constructs are not installed. aws-solutions-constructs.core 2.105.0 "
        "requires aws-cdk.cloud-assembly-schema<55 while aws-cdk-lib 2.275 requires >=55, so "
        "pip cannot resolve them: install their pins without dependencies (the README's test "
        "command does): pip install --no-deps -r requirements-solutions-constructs.txt",
        pytrace=False,
    )
from cfnlint.api import ManualArgs, lint_file
from conftest import cdk_context, isolated_vpc
from proof_support import concrete_key_policy
from test_oracle_iam_simulate import Case, caller_for_arn, run_oracle, service, simulator_decision

from cdk_partition import DomainStack, audit_path
from cdk_partition.audit import failing
from cdk_partition.knowledge import contracts
from cdk_partition.knowledge.catalogue import classify

ACCOUNT, REGION = "111122223333", "eu-west-1"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/admin"
# the stores the app must end up with on the domain key: (CloudFormation type, how many)
EXPECTED = {
    "AWS::DynamoDB::Table": 1,
    "AWS::SQS::Queue": 2,
    "AWS::StepFunctions::StateMachine": 1,
    "AWS::MSK::Cluster": 1,
    "AWS::Neptune::DBCluster": 1,
    "AWS::MemoryDB::Cluster": 1,
    "AWS::Glue::SecurityConfiguration": 1,
    "AWS::SageMaker::Domain": 1,
    "AWS::OpenSearchServerless::Collection": 1,
}


def _build(outdir: Path) -> cdk.App:
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    ids = cdk.Stack(app, "Ids")
    stack = DomainStack(
        app, "Mixed", domain_name="mixed",
        administrators=[iam.Role.from_role_arn(ids, "Admin", ADMIN)],
        env=cdk.Environment(account=ACCOUNT, region=REGION),
    )  # fmt: skip
    function = lambda_.FunctionProps(
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    orders = LambdaToDynamoDB(stack, "Orders", lambda_function_props=function)
    inbox = SqsToLambda(stack, "Inbox", lambda_function_props=function)
    # the patterns grant their functions IAM access to the table and the queue; the key policy is
    # the access control, so the domain names them too (without this: CDKP019, the fix it gives)
    stack.domain.grant_read(orders.lambda_function.role)
    stack.domain.grant_read(inbox.lambda_function.role)
    flow = sfn.StateMachine(
        stack, "Flow", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Step"))
    )
    # on the domain key (the mixin), Step Functions encrypts with the execution role: the key
    # policy names it (without this: CDKP024, the fix it gives)
    stack.domain.grant_read(flow.role)
    stack.domain.grant_write(flow.role)
    vpc = isolated_vpc(stack, azs=2)
    subnets = [s.subnet_id for s in vpc.isolated_subnets]
    msk.CfnCluster(
        stack, "Kafka", cluster_name="mixed", kafka_version="3.6.0", number_of_broker_nodes=2,
        broker_node_group_info=msk.CfnCluster.BrokerNodeGroupInfoProperty(
            client_subnets=subnets, instance_type="kafka.t3.small"
        ),
    )  # fmt: skip
    neptune.CfnDBCluster(stack, "Graph")
    memorydb.CfnCluster(
        stack, "Cache", cluster_name="mixed", node_type="db.t4g.small", acl_name="open-access"
    )
    glue.CfnSecurityConfiguration(
        stack, "GlueSecurity", name="mixed",
        encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
            s3_encryptions=[glue.CfnSecurityConfiguration.S3EncryptionProperty(s3_encryption_mode="DISABLED")],
            cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                cloud_watch_encryption_mode="DISABLED"
            ),
            job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                job_bookmarks_encryption_mode="DISABLED"
            ),
        ),
    )  # fmt: skip
    sagemaker.CfnDomain(
        stack, "Studio", auth_mode="IAM", domain_name="mixed", vpc_id=vpc.vpc_id, subnet_ids=subnets,
        default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
            execution_role=f"arn:aws:iam::{ACCOUNT}:role/studio"
        ),
    )  # fmt: skip
    oss.CfnCollection(stack, "Search", name="mixed")
    # AWS documents the SageMaker domain's create-time requests by its caller with no
    # kms:ViaService: the domain lets its deployment role make them only when the app accepts it
    # (without this: CDKP107, whose fix is this call)
    stack.domain.allow_deployment_requests("AWS::SageMaker::Domain")
    # its execution role makes KMS requests of its own (kms:CreateGrant, kms:DescribeKey, as
    # AWS documents them): the key names it only when the app says so (without this: CDKP024)
    studio = iam.Role.from_role_arn(stack, "StudioRole", f"arn:aws:iam::{ACCOUNT}:role/studio")
    stack.domain.allow_passed_role(studio, "AWS::SageMaker::Domain")
    cdk.Mixins.of(stack).apply(stack.domain.encryption_at_rest())
    return app


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:

    outdir = tmp_path_factory.mktemp("mixin") / "cdk.out"
    error: Exception | None = None
    try:
        _build(outdir).synth()
    except Exception as caught:  # the checks fail the synth on an error finding; audited below
        error = caught
    template = json.loads((outdir / "Mixed.template.json").read_text())
    return {"outdir": outdir, "template": template, "error": error}


def test_every_store_is_on_the_domain_key(synthesized: dict[str, Any]) -> None:
    resources = synthesized["template"]["Resources"]
    (key,) = [k for k, r in resources.items() if r["Type"] == "AWS::KMS::Key"]
    arn = {"Fn::GetAtt": [key, "Arn"]}
    counted: dict[str, int] = {}
    for logical_id, resource in resources.items():
        uses = classify(resource["Type"], resource.get("Properties"))
        if not uses:  # not a store, or no slot in use (a function without DurableConfig)
            continue
        counted[resource["Type"]] = counted.get(resource["Type"], 0) + 1
        for use in uses:
            assert use.state == "customer_key" and use.key == arn, (logical_id, use)
    assert counted == EXPECTED


def test_passes_cfn_lint(synthesized: dict[str, Any]) -> None:
    matches = lint_file(
        synthesized["outdir"] / "Mixed.template.json", config=ManualArgs(regions=[REGION])
    )
    errors = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id[0] == "E"]
    assert errors == []


def test_no_finding(synthesized: dict[str, Any]) -> None:
    """Every store is on the key (no CDKP001-CDKP011 finding), and the key policy lets the
    services of stores made without a store method use the key: the contract rows follow the
    stores on the key by CloudFormation type (no CDKP107)."""
    findings = audit_path(synthesized["outdir"])
    assert [(f.rule, f.path) for f in failing(findings)] == []


def test_each_stores_create_requests_are_let_through_or_aws_documents_none(
    synthesized: dict[str, Any],
) -> None:
    """Item 5's "its key policy lets the create-time requests through", for every type of the
    app: a type with contract rows has each create and attach request decided against this
    app's key policy by the evaluator and by the independent simulator (the documented caller
    allowed, an unnamed role with the same context not); a type without rows must have been
    looked up with AWS documenting no request of its own (``looked_up`` "nothing", the narrow
    default, stated). A type only "incomplete" or not researched is not proven deployable."""
    from test_contracts_by_type import _ours, _requests

    policy = concrete_key_policy(synthesized["template"], ACCOUNT, REGION)
    unproven, cases, labels = {}, [], []
    for cfn_type in sorted(EXPECTED):
        resources = synthesized["template"]["Resources"].values()
        found = [r.get("Properties", {}) for r in resources if r["Type"] == cfn_type]
        requests = _requests(cfn_type, found) if cfn_type in contracts.STORE_TYPES else []
        looked = contracts.LOOKED_UP.get(cfn_type)
        if not requests:
            created = [r for r in contracts.rows_for_type(cfn_type) if r.phase != "run"]
            if cfn_type in contracts.RUN_TYPES or (
                cfn_type in contracts.STORE_TYPES and not created
            ):  # AWS documents run-time requests only: the app names who makes them
                continue
            if looked is None or looked.found != "nothing":
                unproven[cfn_type] = looked.found if looked else "not researched"
            continue
        for who, action, context, want in requests:
            ours = _ours(policy, who, action, context)
            assert (ours == "allow") == (want == "allow"), (cfn_type, who, action, ours)
            if want == "not_denied":
                continue
            caller = caller_for_arn(who) if who.startswith("arn:") else service(who)
            cases.append(Case(f"proof:{cfn_type}", policy, caller, action, context))
            labels.append((cfn_type, who, action, want))
    assert unproven == {}
    got = [simulator_decision(r) for r in run_oracle(cases)]
    wrong = [
        (lb, g) for lb, g in zip(labels, got, strict=True) if (g == "allow") != (lb[3] == "allow")
    ]
    assert wrong == []

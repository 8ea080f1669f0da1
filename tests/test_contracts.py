"""Issue #12: every service contract row is allowed by the key policy the store methods write,
and outsiders and capability boundaries are denied.

One app holds one of each store method and integration of :mod:`cdk_partition.knowledge.contracts`; its
domain key policy is evaluated request by request (:mod:`cdk_partition.policy.evaluator`, itself checked
against the independent IAM simulator in ``test_oracle_iam_simulate.py``). Each row carries the
AWS page it comes from (asserted below), so a failure names its source.
"""

from __future__ import annotations

import json
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_docdb as docdb
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_s3tables as s3tables
from aws_cdk import aws_sns_subscriptions as subs
from conftest import cdk_context, isolated_vpc
from proof_support import concrete_key_policy
from test_oracle_iam_simulate import Case, caller_for_arn, run_oracle, simulator_decision
from test_oracle_iam_simulate import service as service_caller

from cdk_partition import DomainStack, audit_path
from cdk_partition.audit import failing
from cdk_partition.constructs.publishers import _publisher_sid
from cdk_partition.knowledge import contract_shapes, contracts, contracts_render
from cdk_partition.knowledge.capabilities import KMS_KEY_ACTIONS
from cdk_partition.knowledge.contracts import CONTRACTS, ContractRow
from cdk_partition.policy import evaluator

ADMIN = "arn:aws:iam::111122223333:role/admin"
READER = "arn:aws:iam::111122223333:role/reader"
WRITER = "arn:aws:iam::111122223333:role/writer"
ACCOUNT, REGION = "111122223333", "eu-west-1"
PLACEHOLDERS = {"{partition}": "${AWS::Partition}", "{account}": ACCOUNT, "{region}": REGION}
DEPLOYMENT = (
    f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"
)
OUTSIDER = f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/not-named"


def _fill(text: str) -> str:
    for placeholder, pseudo in PLACEHOLDERS.items():
        text = text.replace(placeholder, pseudo)
    return text


def _build(outdir: Path) -> cdk.App:
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    ids = cdk.Stack(app, "Ids")
    stack = DomainStack(
        app, "Contracts", domain_name="contracts",
        administrators=[iam.Role.from_role_arn(ids, "Admin", ADMIN)],
        env=cdk.Environment(account=ACCOUNT, region=REGION),
    )  # fmt: skip
    d = stack.domain
    pk = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    vpc = isolated_vpc(stack, azs=2)
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    # create-time contracts
    d.table("Table", partition_key=pk)
    d.table_v2("GlobalTable", partition_key=pk)
    d.volume("Volume", availability_zone=vpc.availability_zones[0], size=cdk.Size.gibibytes(1))
    d.file_system("Files", vpc=vpc, vpc_subnets=isolated)
    d.database_instance(
        "Db",
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_9),
        vpc=vpc,
        vpc_subnets=isolated,
    )
    d.secret("Secret")
    d.repository("Images")
    d.backup_vault("Vault")
    d.docdb_cluster(
        "Documents", master_user=docdb.Login(username="docadmin"),
        instance_type=ec2.InstanceType("t4g.medium"), vpc=vpc, vpc_subnets=isolated,
    )  # fmt: skip
    d.opensearch_domain("Search", version=opensearch.EngineVersion.OPENSEARCH_2_17)
    ecs.Cluster(
        stack, "Cluster", vpc=vpc,
        managed_storage_configuration=ecs.ManagedStorageConfiguration(
            fargate_ephemeral_storage_kms_key=d.key
        ),
    )  # fmt: skip
    # integrations: a bucket notifying a queue and a topic, a topic feeding a queue, rules
    # targeting a topic and a queue, Firehose into a bucket, replication between buckets,
    # Auto Scaling launching domain volumes, a log group, an event bus
    bucket, queue, topic = d.bucket("Bucket"), d.queue("Queue"), d.topic("Topic")
    # the domain's reader and writer, through each store's own grant (grant_store_*)
    reader = iam.Role.from_role_arn(ids, "Reader", READER)
    writer = iam.Role.from_role_arn(ids, "Writer", WRITER)
    stream = d.stream("Stream", shard_count=1)
    table = d.table("Data", partition_key=pk)
    for store in (bucket, queue, topic, stream, table):
        d.grant_store_write(store, writer)
        if store is not topic:  # a topic's readers are its subscriptions
            d.grant_store_read(store, reader)
    bucket.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.SqsDestination(queue))
    bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, s3n.SnsDestination(topic))
    topic.add_subscription(subs.SqsSubscription(queue))
    rule = events.Rule(stack, "Rule", schedule=events.Schedule.rate(cdk.Duration.hours(1)))
    rule.add_target(targets.SnsTopic(topic))
    rule.add_target(targets.SqsQueue(queue))
    archive = d.bucket("Archive")
    d.delivery_stream(
        "Delivery",
        destination=firehose.S3Bucket(
            archive,
            logging_config=firehose.EnableLogging(
                d.log_group("DeliveryErrors", log_group_name="/contracts/delivery")
            ),
        ),
    )
    replica = d.bucket("Replica", versioned=True)
    d.bucket(
        "Replicated",
        versioned=True,
        replication_rules=[
            s3.ReplicationRule(
                destination=replica, kms_key=d.key, sse_kms_encrypted_objects=True, priority=1
            )
        ],
    )
    template = d.launch_template(
        "Launch",
        auto_scaling=True,
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        instance_type=ec2.InstanceType("t3.micro"),
        block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=d.ebs_volume(8))],
    )
    autoscaling.AutoScalingGroup(
        stack, "Fleet", vpc=vpc, vpc_subnets=isolated, launch_template=template,
        min_capacity=0, max_capacity=1,
    )  # fmt: skip
    d.log_group("Audit", log_group_name="/orders/audit")
    d.event_bus("Bus", event_bus_name="orders")
    # a CloudWatch alarm publishing to the domain topic; a domain bucket as access-log target
    alarm = queue.metric_approximate_age_of_oldest_message().create_alarm(
        stack, "Stale", threshold=600, evaluation_periods=1
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    d.allow_service_publisher("cloudwatch.amazonaws.com")
    # services notifying a topic on the key (RDS, DMS, Redshift, DAX, CodeCommit): the door
    # writes each one's statement as the wiring does
    for publisher in contracts.SERVICE_PUBLISHERS:
        if any(r.store.startswith("notification_topic") for r in CONTRACTS
               if r.principal == publisher):  # fmt: skip
            d.allow_service_publisher(publisher)
    d.bucket("Logged", server_access_logs_bucket=d.bucket("AccessLogs"))
    # an S3 table bucket an L1 puts on the key (no store method: the contract follows the type)
    s3tables.CfnTableBucket(
        stack,
        "Lake",
        table_bucket_name="contracts-lake",
        encryption_configuration=s3tables.CfnTableBucket.EncryptionConfigurationProperty(
            sse_algorithm="aws:kms", kms_key_arn=d.key.key_arn
        ),
    )
    # a Lambda function whose environment is on the domain key (an L2 given domain.key: the
    # contract follows the type)
    handler = lambda_.Function(
        stack, "Handler", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        environment={"STAGE": "test"}, environment_encryption=d.key,
    )  # fmt: skip
    # its execution role decrypts the variables at run time (the function's passed-role row)
    d.allow_passed_role(handler.role, "AWS::Lambda::Function")  # type: ignore[arg-type]
    # Firehose reading a domain stream (its role named for kms:Decrypt through Kinesis)
    d.delivery_stream(
        "FromStream",
        source=firehose.KinesisStreamSource(stream),
        destination=firehose.S3Bucket(
            archive,
            logging_config=firehose.EnableLogging(
                d.log_group("StreamDeliveryErrors", log_group_name="/contracts/stream-delivery")
            ),
        ),
    )
    return app


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("contracts") / "cdk.out"
    _build(outdir).synth()  # the plugin fails the synth on any error finding
    template = json.loads((outdir / "Contracts.template.json").read_text())
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    return {"outdir": outdir, "template": template, "policy": _concrete(key, template)}


def _concrete(key: dict[str, Any], template: dict[str, Any]) -> evaluator.CanonicalPolicy:
    """The key policy with each role the stack creates (``${Role.Arn}``) written as the ARN it
    gets (``role/<name>``), as IAM would see it: the evaluator cannot match a wildcard ARN
    pattern (the EC2 infrastructure exemption) against a placeholder."""
    text = json.dumps(evaluator.canonicalize(key["Properties"]["KeyPolicy"]))
    # the stack's environment is known: its pseudo parameters are its account and region
    text = text.replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            arn = f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/{logical_id}"
            text = text.replace("${" + logical_id + ".Arn}", arn)
    return evaluator.prepare(json.loads(text))


def _store_roles(policy: dict[str, Any], integration: str) -> list[str]:
    sid = "AllowStoreRoles" + "".join(p.capitalize() for p in integration.split("_"))
    statements = [s for s in policy["Statement"] if s.get("Sid") == sid]
    principals = [str(p) for s in statements for p in _as_list(s["Principal"]["AWS"])]
    assert principals, "no store role is named"
    return principals


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _callers(row: ContractRow, policy: dict[str, Any]) -> list[evaluator.Request]:
    context = {k: _fill(v) for k, v in row.context.items()}
    if row.caller == "deployment_role":
        return [evaluator.Request("kms:Decrypt", DEPLOYMENT, ACCOUNT, context=context)]
    if row.caller == "store_role":
        return [
            evaluator.Request("kms:Decrypt", arn, ACCOUNT, context=context)
            for arn in _store_roles(policy, row.store)
        ]
    if row.caller == "passed_role":  # the role the app named with allow_passed_role
        sid = "AllowPassedRole" + "".join(p.capitalize() for p in row.store.split("_"))
        roles = [str(p) for s in policy["Statement"] if str(s.get("Sid", "")).startswith(sid)
                 for p in _as_list(s["Principal"]["AWS"])]  # fmt: skip
        assert roles, f"no {sid} statement"
        return [evaluator.Request("kms:Decrypt", arn, ACCOUNT, context=context) for arn in roles]
    if row.caller == "capability":
        arn = {"reader": READER, "writer": WRITER}[row.principal]
        return [evaluator.Request("kms:Decrypt", arn, ACCOUNT, context=context)]
    if row.caller == "service_principal":
        return [evaluator.Request("kms:Decrypt", service=_fill(row.principal), context=context)]
    arn = _fill(row.principal)
    return [evaluator.Request("kms:Decrypt", arn, ACCOUNT, context=context)]


def _actions(row: ContractRow) -> list[str]:
    asked = contract_shapes.requested(row)
    return sorted({a for p in asked for a in KMS_KEY_ACTIONS if fnmatchcase(a, p)})


#: The stores and integrations the app above builds: their rows are decided against its key
#: policy here; the rows of every other type are proven on a resource of the type by
#: ``tests/test_contracts_by_type.py`` (test_every_row_is_checked_somewhere keeps it so).
APP_STORES = frozenset(
    {
        "alarm_action_topic", "backup_vault", "bucket", "bucket_access_logs",
        "bucket_notification_queue", "bucket_notification_topic", "bucket_replication",
        "database_cluster", "database_instance", "delivery_stream", "delivery_stream_from_stream",
        "delivery_stream_to_bucket", "docdb_cluster", "ecs_cluster_fargate_storage", "event_bus",
        "file_system", "lambda_function", "launch_template", "launch_template_auto_scaling",
        "log_group", "opensearch_domain", "queue", "repository", "rule_target_queue",
        "rule_target_topic", "secret", "stream", "table", "table_bucket", "table_v2", "topic",
        "topic_subscription_queue", "volume",
    }
)  # fmt: skip
ROWS = [r for r in CONTRACTS if r.store in APP_STORES]


def test_every_row_is_checked_somewhere() -> None:
    """A row is decided against this app's key policy, or its type is proven (or refused, fail
    closed) on a resource of its own by test_contracts_by_type, or the key names its caller
    only when the app does (readers, writers, roles the app passes: documented, never
    written behind the app's back)."""
    from test_contracts_by_type import REFUSED, TYPES

    from cdk_partition.knowledge import contract_shapes

    typed = {s for t in (*TYPES, *REFUSED) for s in (contracts.STORE_TYPES[t],
             *contracts.WITH_STORES.get(t, {}).values())}  # fmt: skip
    unchecked = [
        r
        for r in CONTRACTS
        if r.store not in APP_STORES
        and (r.store not in typed or (r.caller == "service_principal" and not r.via_grant
                                      and not contract_shapes.auto_written(r)))
        and contract_shapes.shape(r) != "named_by_app"
        and not (r.store in typed and r.via_grant)  # a grant authorizes it, not the key policy
    ]  # fmt: skip
    # what is left are deliveries of a service into a store of another type on the key (SES
    # into a bucket, ...) and a type's service requests the domain does not write on its own
    # (unscoped at run time): the app declares them with domain.allow_service(...), and the door
    # must take the statement AWS documents, scoped as the domain scopes its own
    from cdk_partition.audit.service_statements import service_statement_problems

    fill = {"{partition}": "aws", "{region}": REGION, "{account}": ACCOUNT}
    for row in unchecked:
        assert row.caller == "service_principal", (row.store, row.caller)
        conditions = contract_shapes.fill(contract_shapes.service_conditions(row), fill)
        if not conditions:  # AWS writes none: the door holds the app to the account at least
            conditions = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
        principal = contract_shapes.fill({"": {"p": row.principal}}, fill)[""]["p"]
        declared = {"source": row.source, "source_keys_unsupported": None}
        problems = list(
            service_statement_problems(
                principal, contract_shapes.requested(row), conditions, declared=declared
            )
        )
        assert problems == [], (row.store, problems)


@pytest.mark.parametrize(
    "row", ROWS, ids=[f"{r.store}-{r.phase}-{r.caller}-{i}" for i, r in enumerate(ROWS)]
)
def test_contract_row_is_allowed(synthesized: dict[str, Any], row: ContractRow) -> None:
    assert row.source.startswith(("Amazon", "AWS")) and "https://docs.aws.amazon.com/" in row.source
    for request in _callers(row, synthesized["policy"]):
        for action in _actions(row):
            sent = {k: _fill(v) for k, v in contract_shapes.request_context(row, action).items()}
            decision = evaluator.evaluate(
                synthesized["policy"], replace(request, action=action, context=sent)
            )
            if row.via_grant:  # a grant allows it; the key policy must only not deny it
                assert decision != "explicit_deny", (row, action, row.source)
            else:
                assert decision == "allow", (row, action, row.source)


@pytest.mark.parametrize(
    "row", ROWS, ids=[f"{r.store}-{r.phase}-{r.caller}-{i}" for i, r in enumerate(ROWS)]
)
def test_outsiders_and_boundaries_are_denied(synthesized: dict[str, Any], row: ContractRow) -> None:
    policy = synthesized["policy"]
    context = {k: _fill(v) for k, v in row.context.items()}
    for action in _actions(row):
        # an unnamed role of the account, with the same request context: denied outright
        outsider = evaluator.Request(action, OUTSIDER, ACCOUNT, context=context,
                                     identity_allows=True)  # fmt: skip
        assert evaluator.evaluate(policy, outsider) == "explicit_deny", (row, action)
        data = action not in ("kms:DescribeKey", "kms:CreateGrant")  # administer / grants
        if row.caller in ("deployment_role", "store_role") and "kms:ViaService" in context:
            # the same principal outside its service: no data actions, no grants
            for request in _callers(row, policy):
                direct = replace(request, action=action)
                direct = evaluator.Request(
                    action, direct.principal_arn, direct.account,
                    context={k: v for k, v in context.items() if k != "kms:ViaService"},
                )  # fmt: skip
                if data or action == "kms:CreateGrant":
                    assert evaluator.evaluate(policy, direct) != "allow", (row, action)
        scoped_by = [k for k in context if k.startswith("kms:EncryptionContext")]
        if row.caller == "deployment_role" and "kms:ViaService" not in context and scoped_by:
            # a request AWS documents outside any service (an event bus's creator) is scoped
            # by the resource's encryption context: without it, or for another service's
            # resource, the deployment role's data actions and grants are refused
            foreign = {k: "arn:aws:s3:::other-bucket/object" for k in scoped_by}
            for outside in ({}, foreign):
                asked = evaluator.Request(action, DEPLOYMENT, ACCOUNT, context=outside)
                if data or action == "kms:CreateGrant":
                    assert evaluator.evaluate(policy, asked) != "allow", (row, action, outside)
        publisher = contracts.SERVICE_PUBLISHERS.get(row.principal)
        scoped = publisher is None or publisher.conditions_required
        # (EventBridge stays unconditioned: AWS does not support the source keys for its
        # deliveries to encrypted SNS topics, so another account's rule is not refused by KMS)
        if row.caller == "service_principal" and "aws:SourceAccount" in context and scoped:
            foreign = evaluator.Request(
                action, service=_fill(row.principal),
                context={**context, "aws:SourceAccount": "999999999999"},
            )  # fmt: skip
            assert evaluator.evaluate(policy, foreign) != "allow", (row, action)
    other_service = evaluator.Request("kms:Decrypt", service="lambda.amazonaws.com")
    assert evaluator.evaluate(policy, other_service) != "allow"


def test_the_integrations_synthesize_without_a_cycle_or_finding(
    synthesized: dict[str, Any],
) -> None:
    findings = audit_path(synthesized["outdir"])
    assert failing(findings) == []
    assert not [f for f in findings if f.rule in ("CDKP012", "CDKP106")]


def test_publisher_statements_are_the_contracts(synthesized: dict[str, Any]) -> None:
    statements = {s.get("Sid"): s for s in synthesized["policy"]["Statement"]}
    for service, publisher in contracts.SERVICE_PUBLISHERS.items():
        sid = _publisher_sid(service)
        statement = statements[sid]
        assert set(_as_list(statement["Action"])) <= set(publisher.actions)
        assert bool(statement.get("Condition")) == publisher.conditions_required
        assert "Fn::GetAtt" not in json.dumps(statement)  # no token of a store: no cycle


def test_every_store_method_with_create_rows_is_covered() -> None:
    create_rows = {r.store for r in CONTRACTS if r.phase == "create"}
    assert create_rows & APP_STORES <= {
        "table", "table_v2", "delivery_stream", "volume", "database_instance",
        "database_cluster", "docdb_cluster", "file_system", "secret", "opensearch_domain",
        "repository", "backup_vault", "table_bucket", "lambda_function", "event_bus",
    }  # fmt: skip


def test_a_lambda_function_on_the_domain_key_can_be_created(synthesized: dict[str, Any]) -> None:
    """AWS Lambda Developer Guide, "Securing environment variables": "Lambda uses your
    permissions to create a grant on the key"; "kms:CreateGrant, kms:Encrypt - To configure a
    customer managed CMK on a function". CloudFormation's role must reach the key through Lambda
    (a grant for an AWS resource, and Encrypt); an unnamed role with the same context must not,
    nor the deployment role outside Lambda. (Failed before the lambda_function rows: the key
    refused the deployment role through Lambda.)"""
    policy = synthesized["policy"]
    via = {"kms:ViaService": f"lambda.{REGION}.amazonaws.com"}
    grant = {**via, "kms:GrantIsForAWSResource": "true"}
    for action, context in (("kms:CreateGrant", grant), ("kms:Encrypt", via)):
        asked = evaluator.Request(action, DEPLOYMENT, ACCOUNT, context=context)
        assert evaluator.evaluate(policy, asked) == "allow", action
        outsider = replace(asked, principal_arn=OUTSIDER)
        assert evaluator.evaluate(policy, outsider) != "allow", action
    other = {"kms:ViaService": f"sagemaker.{REGION}.amazonaws.com"}
    asked = evaluator.Request("kms:Encrypt", DEPLOYMENT, ACCOUNT, context=other)
    assert evaluator.evaluate(policy, asked) != "allow"


def test_the_docs_render_the_contract_table() -> None:
    """docs/service-contracts.md shows the table generated from the code at build time."""
    from docs.gen import tables

    page = (Path(__file__).parent.parent / "docs" / "service-contracts.md").read_text()
    assert "<!-- gen:contracts -->" in page
    assert tables.expand(page).count(contracts_render.render_markdown().strip()) == 1


@pytest.mark.parametrize(
    ("removed", "store"),
    [
        ("AllowGrantsForAWSResources", "DomainTable"),  # DynamoDB's CreateGrant at create time
        ("AllowDeploymentViaServices", "DomainSecret"),  # Secrets Manager's data keys
        # S3 Tables' maintenance service principal at create time (a service-principal row)
        ("AllowContractTableBucketMaintenance", "Lake"),
        # Lambda's grant for a function whose environment is on the key (KmsKeyArn, no slot)
        ("AllowGrantsForAWSResources", "Handler"),
    ],
)
def test_a_store_whose_contract_the_key_refuses_is_cdkp107(
    synthesized: dict[str, Any], tmp_path: Path, removed: str, store: str
) -> None:
    """Deployability: an escape hatch that drops a contract statement is caught at synth."""
    from cdk_partition.assembly import CloudAssembly, StackTemplate
    from cdk_partition.audit import audit

    template = json.loads(json.dumps(synthesized["template"]))
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    key["Properties"]["KeyPolicy"]["Statement"] = [s for s in statements if s.get("Sid") != removed]
    from cdk_partition.assembly import Environment

    stack = StackTemplate(
        "Contracts", template, "Contracts.template.json",
        environment=Environment(ACCOUNT, REGION),
    )  # fmt: skip
    findings = [f for f in audit(CloudAssembly([stack])) if f.rule == "CDKP107"]
    assert any(f.logical_id.startswith(store) for f in findings), findings
    assert all("docs.aws.amazon.com" in f.message for f in findings)


def test_an_instance_on_domain_volumes_needs_the_ebs_contract(tmp_path: Path) -> None:
    """``ec2.Instance`` volumes on the domain key: through ``d.ebs_volume`` or a
    ``BlockDeviceVolume`` made by hand with ``kms_key=d.key``, the key policy has what EC2
    requests at launch (the domain finds the instance on its key at synth; before issue #19 the
    hand-made volume drew CDKP107)."""
    for via_domain, expected in ((True, set[str]()), (False, set[str]())):
        outdir = tmp_path / str(via_domain)
        app = cdk.App(outdir=str(outdir), context=cdk_context())
        stack = DomainStack(
            app, "Ec2", domain_name="ec2",
            administrators=[iam.Role.from_role_arn(cdk.Stack(app, "Ids"), "Admin", ADMIN)],
            env=cdk.Environment(account=ACCOUNT, region=REGION),
        )  # fmt: skip
        d = stack.domain
        vpc = isolated_vpc(stack)
        volume = (
            d.ebs_volume(8)
            if via_domain
            else ec2.BlockDeviceVolume.ebs(8, encrypted=True, kms_key=d.key)
        )
        ec2.Instance(
            stack, "Worker", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"),
            machine_image=ec2.MachineImage.latest_amazon_linux2023(),
            block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=volume)],
            # the CDK adds a launch template without mappings for IMDSv2: the instance's win
            require_imdsv2=True,
        )  # fmt: skip
        try:
            app.synth()
        except RuntimeError as error:
            assert "ValidationFailed" in str(error) and expected
        rules = {f.rule for f in failing(audit_path(outdir))}
        assert rules == expected, rules


def test_the_iam_simulator_agrees_on_the_lambda_rows(synthesized: dict[str, Any]) -> None:
    """The lambda_function rows decided again by the independent simulator
    (``@cloud-copilot/iam-simulate``, through ``tests/test_oracle_iam_simulate.py``): the
    deployment role through Lambda is allowed, an unnamed role of the account is not."""
    from test_oracle_iam_simulate import Case, caller_for_arn, run_oracle, simulator_decision

    policy = concrete_key_policy(synthesized["template"], ACCOUNT, REGION, role="x")
    deployer = caller_for_arn(DEPLOYMENT.replace("${AWS::Partition}", "aws"))
    outsider = caller_for_arn(OUTSIDER.replace("${AWS::Partition}", "aws"))
    cases, expected = [], []
    for row in contracts.rows_for("lambda_function"):
        context = {k: _fill(v).replace("${AWS::Partition}", "aws") for k, v in row.context.items()}
        for action in _actions(row):
            for caller, decision in ((deployer, "allow"), (outsider, "implicit_deny")):
                cases.append(Case("contracts:lambda_function", policy, caller, action, context))
                expected.append(decision)
    assert cases
    results = run_oracle(cases)
    got = [simulator_decision(r) for r in results]
    for case, want, theirs in zip(cases, expected, got, strict=True):
        if want == "allow":
            assert theirs == "allow", (case.action, case.caller, theirs)
        else:
            assert theirs != "allow", (case.action, case.caller, theirs)


def test_the_iam_simulator_agrees_on_every_row(synthesized: dict[str, Any]) -> None:
    """Every contract row decided again by the independent simulator
    (``@cloud-copilot/iam-simulate``, one Node process): each documented caller, with the row's
    request context, is allowed each action (rows authorized by a grant excepted: a key-policy
    simulator has no grant to allow them); an unnamed role of the account with the same context
    is not. The same requests :func:`test_contract_row_is_allowed` gives the evaluator."""

    policy = concrete_key_policy(synthesized["template"], ACCOUNT, REGION)
    outsider = caller_for_arn(OUTSIDER.replace("${AWS::Partition}", "aws"))
    cases, labels = [], []
    for i, row in enumerate(ROWS):
        if row.via_grant:
            continue
        for request in _callers(row, synthesized["policy"]):
            if request.service:
                caller = service_caller(request.service)
            else:
                caller = caller_for_arn(
                    str(request.principal_arn).replace("${AWS::Partition}", "aws")
                )
            for action in _actions(row):
                sent = contract_shapes.request_context(row, action)
                context = {k: _fill(v).replace("${AWS::Partition}", "aws") for k, v in sent.items()}
                for who, want in ((caller, True), (outsider, False)):
                    cases.append(Case(f"contracts:{row.store}", policy, who, action, context))
                    labels.append((i, row.store, who.simulator_principal, action, want))
    assert len({label[0] for label in labels}) >= len(ROWS) - sum(r.via_grant for r in ROWS)
    got = [simulator_decision(r) for r in run_oracle(cases)]
    wrong = [(lb, g) for lb, g in zip(labels, got, strict=True) if (g == "allow") != lb[4]]
    assert wrong == []

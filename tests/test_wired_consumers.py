"""Roles that AWS services use a domain store with because a resource says so (issue #19, "derive
from the wiring", found by an attack): a function's dead-letter queue and its asynchronous
destinations (sent with the function's execution role: "To send events to a destination, your
function needs additional permissions ... Amazon SQS - sqs:SendMessage, Amazon SNS -
sns:Publish", and a bucket on failure, "s3:PutObject" with "kms:GenerateDataKey", AWS Lambda
Developer Guide), a task definition's secrets (read with the task
execution role: secretsmanager:GetSecretValue, and kms:Decrypt for a customer managed key, Amazon
ECS Developer Guide), a pipe's source (the pipe's role) and a schedule's target (the schedule's
role: "the execution role be granted permission to perform the sqs:SendMessage action"; for a
universal target, the API its ARN names on the store its Input names).

Only event source mappings were followed. With a role whose policies the template does not show
(an imported role, an AWS managed policy), synth and audit were silent and each use failed at
run time. Now each is CDKP019 on the resource, naming the role, the store and the KMS requests;
the fix, applied as written, passes.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_scheduler as scheduler
from test_integrations import _synth

from cdk_partition import DomainStack
from cdk_partition.audit import Finding
from cdk_partition.knowledge.consumers import CONSUMERS

ACCOUNT = "111122223333"
WORKER, EXECUTION, PIPER, SCHEDULER, MACHINE = (
    f"arn:aws:iam::{ACCOUNT}:role/{name}"
    for name in ("worker", "ecsTaskExecutionRole", "piper", "scheduler", "machine")
)


def _app(fixes: str | None) -> Any:
    """Each use, with roles imported by ARN (their policies are not in the template); ``fixes``:
    the calls the findings printed, applied as written."""

    def build(orders: DomainStack) -> None:
        worker = iam.Role.from_role_arn(orders, "Worker", WORKER, mutable=False)
        fn = lambda_.Function(
            orders, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=lambda_.Code.from_inline("def handler(e, c): pass"), role=worker,
            dead_letter_queue=orders.domain.queue("FnDlq"),
            on_failure=destinations.SqsDestination(orders.domain.queue("Failures")),
            on_success=destinations.SnsDestination(orders.domain.topic("Done")),
        )  # fmt: skip
        lambda_.Function(
            orders, "Archiver", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=lambda_.Code.from_inline("def handler(e, c): pass"), role=worker,
            on_failure=destinations.S3Destination(orders.domain.bucket("FailedRecords")),
        )  # fmt: skip
        execution = iam.Role.from_role_arn(orders, "Exec", EXECUTION, mutable=False)
        task = ecs.FargateTaskDefinition(orders, "Task", execution_role=execution)
        secret = orders.domain.secret("DbPassword")
        task.add_container(
            "App", image=ecs.ContainerImage.from_registry("nginx"),
            secrets={"PASSWORD": ecs.Secret.from_secrets_manager(secret, "password")},
        )  # fmt: skip
        jobs = orders.domain.queue("Jobs")
        pipes.CfnPipe(orders, "Pipe", role_arn=PIPER, source=jobs.queue_arn,
                      target=orders.domain.queue("Out").queue_arn)  # fmt: skip
        pipes.CfnPipe(
            orders, "StreamPipe", role_arn=PIPER, source=orders.domain.stream("Taps").stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                kinesis_stream_parameters=pipes.CfnPipe.PipeSourceKinesisStreamParametersProperty(
                    starting_position="LATEST",
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(
                        arn=orders.domain.queue("TapFailures").queue_arn))),
            target=orders.domain.topic("Tapped").topic_arn,
        )  # fmt: skip
        table = orders.domain.table(
            "Items", stream=dynamodb.StreamViewType.NEW_IMAGE,
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        )  # fmt: skip
        pipes.CfnPipe(
            orders, "TablePipe", role_arn=PIPER, source=table.table_stream_arn or "",
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position="LATEST",
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(
                        arn=orders.domain.queue("ChangeFailures").queue_arn))),
            target=orders.domain.queue("Changes").queue_arn,
        )  # fmt: skip
        lambda_.EventSourceMapping(
            orders, "Mapping", target=fn,
            event_source_arn=orders.domain.stream("Clicks").stream_arn,
            starting_position=lambda_.StartingPosition.LATEST,
            on_failure=sources.SqsDlq(orders.domain.queue("Discarded")),
        )  # fmt: skip
        _schedule(orders, "Schedule", scheduler.CfnSchedule.TargetProperty(
            arn=orders.domain.topic("Ticks").topic_arn, role_arn=SCHEDULER,
            dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                arn=orders.domain.queue("Missed").queue_arn)))  # fmt: skip
        _schedule(orders, "Universal", scheduler.CfnSchedule.TargetProperty(
            arn="arn:aws:scheduler:::aws-sdk:sqs:sendMessage", role_arn=SCHEDULER,
            input=orders.to_json_string({
                "QueueUrl": orders.domain.queue("Reminders").queue_url, "MessageBody": "due",
            })))  # fmt: skip
        # a state machine's tasks, run with its role: an AWS SDK integration putting an
        # object into a domain bucket (granted on "*"), an optimized one sending to a queue
        from aws_cdk import aws_stepfunctions as sfn
        from aws_cdk import aws_stepfunctions_tasks as tasks

        archive = tasks.CallAwsService(
            orders, "Archive", service="s3", action="putObject", iam_resources=["*"],
            parameters={"Bucket": orders.domain.bucket("Archive").bucket_name, "Key": "k",
                        "Body": sfn.JsonPath.string_at("$.body")},
        )  # fmt: skip
        notify = tasks.SqsSendMessage(
            orders, "Notify", queue=orders.domain.queue("Notices"),
            message_body=sfn.TaskInput.from_text("done"),
        )  # fmt: skip
        sfn.StateMachine(
            orders, "Machine", definition_body=sfn.DefinitionBody.from_chainable(
                archive.next(notify)),
            role=iam.Role.from_role_arn(orders, "MachineRole", MACHINE, mutable=False),
        )  # fmt: skip
        ids = itertools.count()
        for call in re.findall(r"`(domain\.grant_\w+\([^`]*\))`", fixes or ""):
            eval(
                call,
                {
                    "domain": orders.domain,
                    "iam": iam,
                    "scope": orders,
                    "id": f"Fixed{next(ids)}",
                },
            )  # the library's own fix text, as written

    return build


def _schedule(orders: DomainStack, name: str, target: Any) -> None:
    """A schedule on the domain key (its input holds domain data) with ``target``."""
    scheduler.CfnSchedule(
        orders, name, schedule_expression="rate(5 minutes)",
        flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
        kms_key_arn=orders.domain.key.key_arn, target=target,
    )  # fmt: skip


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return _synth(tmp_path_factory.mktemp("before"), _app(None))


_EXPECTED = {
    ("Orders/Fn/Resource", "DeadLetterConfig.TargetArn", WORKER),
    ("Orders/Fn/EventInvokeConfig/Resource", "DestinationConfig.OnFailure.Destination", WORKER),
    ("Orders/Fn/EventInvokeConfig/Resource", "DestinationConfig.OnSuccess.Destination", WORKER),
    # an on-failure destination that is a bucket (s3:PutObject and kms:GenerateDataKey)
    (
        "Orders/Archiver/EventInvokeConfig/Resource",
        "DestinationConfig.OnFailure.Destination",
        WORKER,
    ),
    ("Orders/Task/Resource", "ContainerDefinitions[].Secrets[].ValueFrom", EXECUTION),
    ("Orders/Pipe", "Source", PIPER),
    ("Orders/Pipe", "Target", PIPER),  # into a domain queue: the pipe's role sends
    ("Orders/StreamPipe", "Source", PIPER),
    ("Orders/StreamPipe", "Target", PIPER),
    ("Orders/StreamPipe", "SourceParameters.KinesisStreamParameters.DeadLetterConfig.Arn", PIPER),
    ("Orders/TablePipe", "Source", PIPER),
    ("Orders/TablePipe", "Target", PIPER),
    ("Orders/TablePipe", "SourceParameters.DynamoDBStreamParameters.DeadLetterConfig.Arn", PIPER),
    ("Orders/Mapping/Resource", "DestinationConfig.OnFailure.Destination", WORKER),
    ("Orders/Mapping/Resource", "EventSourceArn", WORKER),
    ("Orders/Schedule", "Target.Arn", SCHEDULER),
    ("Orders/Schedule", "Target.DeadLetterConfig.Arn", SCHEDULER),
    # a universal target (aws-sdk:sqs:sendMessage) on the queue its Input names
    ("Orders/Universal", "Target.Input", SCHEDULER),
    # a state machine's tasks (an SDK integration and an optimized one) on domain stores
    ("Orders/Machine/Resource", "DefinitionString", MACHINE),
}


def test_each_use_is_cdkp019_naming_the_role(before: list[Finding]) -> None:
    found = {(f.path, f.location, f.value) for f in before if f.rule == "CDKP019"}
    assert found == _EXPECTED, sorted(found)
    (task,) = [f for f in before if f.path == "Orders/Task/Resource" and f.rule == "CDKP019"]
    assert "task execution role" in task.message and "kms:Decrypt" in task.message
    assert "task_execution_IAM_role.html" in task.message
    machine = " ".join(f.message for f in before if f.path == "Orders/Machine/Resource")
    assert "Orders/Domain/Archive" in machine and "s3:PutObject" in machine, machine
    assert "Orders/Domain/Notices" in machine and "sqs:SendMessage" in machine, machine


def test_the_fixes_pass_as_written(before: list[Finding], tmp_path: Path) -> None:
    fixes = " ".join(f.fix or "" for f in before if f.rule == "CDKP019")
    after = _synth(tmp_path, _app(fixes))
    assert [f.message for f in after if f.rule in ("CDKP019", "CDKP020")] == []


def test_every_row_has_a_use_here() -> None:
    assert {(c.cfn_type, c.store_property) for c in CONSUMERS} == {
        (_TYPES[p], loc) for p, loc, _ in _EXPECTED
    }


_TYPES = {
    "Orders/Fn/Resource": "AWS::Lambda::Function",
    "Orders/Fn/EventInvokeConfig/Resource": "AWS::Lambda::EventInvokeConfig",
    "Orders/Archiver/EventInvokeConfig/Resource": "AWS::Lambda::EventInvokeConfig",
    "Orders/Task/Resource": "AWS::ECS::TaskDefinition",
    "Orders/Pipe": "AWS::Pipes::Pipe",
    "Orders/TablePipe": "AWS::Pipes::Pipe",
    "Orders/StreamPipe": "AWS::Pipes::Pipe",
    "Orders/Mapping/Resource": "AWS::Lambda::EventSourceMapping",
    "Orders/Schedule": "AWS::Scheduler::Schedule",
    "Orders/Universal": "AWS::Scheduler::Schedule",
    "Orders/Machine/Resource": "AWS::StepFunctions::StateMachine",
}


@pytest.mark.parametrize("other_region", [False, True], ids=["one", "two-regions"])
def test_a_function_named_by_its_literal_name_is_followed(
    tmp_path: Path, other_region: bool
) -> None:
    """An ``EventInvokeConfig`` naming its function by the name the app gives it (an L1 written
    by hand): the function's role is followed (it was CDKP020, which cannot be exempted), also
    when the account has a function of that name in another region (an attack: the name matched
    twice): the invoke configuration's region decides."""
    import aws_cdk as cdk

    def build(orders: DomainStack) -> None:
        worker = iam.Role.from_role_arn(orders, "Worker", WORKER, mutable=False)
        scopes: list[cdk.Stack] = [orders]
        if other_region:
            scopes.append(cdk.Stack(orders.node.root, "Virginia",
                                    env=cdk.Environment(account=ACCOUNT, region="us-east-1")))  # fmt: skip
        for scope in scopes:
            lambda_.Function(
                scope, "Fn", function_name="orders-worker", runtime=lambda_.Runtime.PYTHON_3_12,
                handler="index.handler", code=lambda_.Code.from_inline("def handler(e, c): pass"),
                role=worker if scope is orders else None,
            )  # fmt: skip
        lambda_.CfnEventInvokeConfig(
            orders, "Async", function_name="orders-worker", qualifier="$LATEST",
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=orders.domain.queue("Failures").queue_arn)),
        )  # fmt: skip

    findings = _synth(tmp_path, build)
    assert [(f.rule, f.value) for f in findings if f.path == "Orders/Async"] == [
        ("CDKP019", WORKER)
    ], [(f.rule, f.message) for f in findings]


def test_the_simulator_agrees_with_every_verdict(tmp_path: Path) -> None:
    """Every KMS request the audit decided for these roles, decided again by the independent
    simulator (``@cloud-copilot/iam-simulate``) on the concrete key policy: refused before the
    fix, allowed after it, as the audit says."""
    from test_integrations import verdicts_the_simulator_disagrees_with

    before = _synth(tmp_path / "before", _app(None))
    fixes = " ".join(f.fix or "" for f in before if f.rule == "CDKP019")
    _synth(tmp_path / "after", _app(fixes))
    for name in ("before", "after"):
        compared, differ = verdicts_the_simulator_disagrees_with(tmp_path / name)
        assert compared > 0 and differ == [], (name, compared, differ)


@pytest.mark.parametrize(
    ("target", "action"),
    [
        ("arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "sqs:SendMessage"),
        ("arn:${AWS::Partition}:scheduler:::aws-sdk:dynamodb:putItem", "dynamodb:PutItem"),
        ("arn:aws-cn:scheduler:::aws-sdk:kinesis:putRecord", "kinesis:PutRecord"),
        ("arn:aws:sqs:eu-west-1:111122223333:jobs", None),  # a templated target: its own row
        ("arn:aws:scheduler:::aws-sdk:sqs", None),
        ({"Ref": "Target"}, None),
        ("arn:aws:scheduler:::aws-sdk:sqs:SendMessage", "sqs:SendMessage"),  # as IAM spells it
        ("arn:aws:scheduler:::aws-sdk:sqs:receiveMessage", None),  # read-only: not run
        ("arn:aws:scheduler:::aws-sdk:dynamodb:transactGetItems", None),
    ],
)
def test_a_universal_target_calls_the_action_its_arn_names(target: Any, action: str | None) -> None:
    from cdk_partition.knowledge.consumers import universal_action

    assert universal_action(target) == action


@pytest.mark.parametrize(
    ("operation", "actions"),
    [
        ("sns:publishBatch", ("sns:Publish",)),
        ("dynamodb:transactWriteItems",
         ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")),
        ("dynamodb:executeStatement",
         ("dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete")),
        ("kinesis:putRecords", ("kinesis:PutRecords",)),
    ],
)  # fmt: skip
def test_operations_named_otherwise_in_iam_map_to_their_actions(
    operation: str, actions: tuple[str, ...]
) -> None:
    """An attack: publishBatch, transactWriteItems and PartiQL matched no row (silent)."""
    from cdk_partition.knowledge.consumers import universal_actions

    assert universal_actions(f"arn:aws:scheduler:::aws-sdk:{operation}") == actions


def test_universal_operations_are_followed_or_fail_closed(tmp_path: Path) -> None:
    """publishBatch into a domain topic is sns:Publish (CDKP019); an S3 copyObject, whose KMS
    requests the audit cannot name, is CDKP020 (fail closed), never silence."""

    def build(orders: DomainStack) -> None:
        for name, operation, store in (
            ("Batch", "sns:publishBatch", orders.domain.topic("Batched").topic_arn),
            ("Copy", "s3:copyObject", orders.domain.bucket("Copies").bucket_name),
        ):
            _schedule(orders, name, scheduler.CfnSchedule.TargetProperty(
                arn=f"arn:aws:scheduler:::aws-sdk:{operation}", role_arn=SCHEDULER,
                input=orders.to_json_string({"Target": store})))  # fmt: skip

    findings = _synth(tmp_path, build)
    found = {(f.rule, f.path) for f in findings if f.rule in ("CDKP019", "CDKP020")}
    assert found == {("CDKP019", "Orders/Batch"), ("CDKP020", "Orders/Copy")}, found


def test_a_definition_of_text_and_references_is_read_task_by_task() -> None:
    """The CDK's ``DefinitionString`` is an ``Fn::Join`` of text and references: each Task's
    Resource and its parameters' values come back as the template wrote them."""
    from cdk_partition.knowledge.state_machine_tasks import tasks

    definition = {"Fn::Join": ["", [
        '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:',
        {"Ref": "AWS::Partition"}, ':states:::sqs:sendMessage","Parameters":{"QueueUrl":"',
        {"Ref": "Queue"}, '","MessageBody":"x"},"Next":"B"},"B":{"Type":"Parallel","Branches":'
        '[{"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:'
        's3:putObject","Parameters":{"Bucket":"', {"Ref": "Bucket"}, '-suffix"}}}}],"End":true}}}',
    ]]}  # fmt: skip
    found = tasks({"DefinitionString": definition})
    assert found == [
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":states:::sqs:sendMessage"]]},
         [{"Ref": "Queue"}], None),  # the target only: "x" is the message body
        ("arn:aws:states:::aws-sdk:s3:putObject",
         [{"Fn::Join": ["", [{"Ref": "Bucket"}, "-suffix"]]}], None),
    ]  # fmt: skip
    assert tasks({"DefinitionS3Location": {"Bucket": "b", "Key": "k"}}) is None


def test_every_form_of_a_definition_is_read(tmp_path: Path) -> None:
    """A third attack: a ``Definition`` object, ``DefinitionSubstitutions``, a number token in
    the definition text and a task's own ``Credentials`` were each silent (or charged the
    wrong role)."""
    import aws_cdk as cdk
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk import aws_stepfunctions_tasks as tasks

    task_role = f"arn:aws:iam::{ACCOUNT}:role/taskrole"

    def send(queue_url: str) -> dict[str, Any]:
        return {"StartAt": "S", "States": {"S": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
            "Parameters": {"QueueUrl": queue_url, "MessageBody": "hi"}}}}  # fmt: skip

    def build(orders: DomainStack) -> None:
        sfn.CfnStateMachine(orders, "AsObject", role_arn=MACHINE,
                            definition=send(orders.domain.queue("ObjectQ").queue_url))  # fmt: skip
        sfn.CfnStateMachine(orders, "Substituted", role_arn=MACHINE,
                            definition_string=json.dumps(send("${Q}")),
                            definition_substitutions={"Q": orders.domain.queue("SubQ").queue_url})  # fmt: skip
        delay = cdk.CfnParameter(orders, "Delay", type="Number", default=5)
        machine_role = iam.Role.from_role_arn(orders, "MachineRole2", MACHINE, mutable=False)
        wait = sfn.Wait(orders, "Wait", time=sfn.WaitTime.duration(
            cdk.Duration.seconds(delay.value_as_number)))  # fmt: skip
        wait.next(tasks.SqsSendMessage(orders, "Send", queue=orders.domain.queue("NumberQ"),
                                       message_body=sfn.TaskInput.from_text("x")))  # fmt: skip
        sfn.StateMachine(orders, "WithNumber", role=machine_role,
                         definition_body=sfn.DefinitionBody.from_chainable(wait))  # fmt: skip
        sfn.StateMachine(orders, "WithCredentials", role=machine_role,
                         definition_body=sfn.DefinitionBody.from_chainable(tasks.SqsSendMessage(
                             orders, "AsTaskRole", queue=orders.domain.queue("CredQ"),
                             message_body=sfn.TaskInput.from_text("x"),
                             credentials=sfn.Credentials(role=sfn.TaskRole.from_role(
                                 iam.Role.from_role_arn(orders, "TaskRole", task_role,
                                                        mutable=False))))))  # fmt: skip

    findings = [f for f in _synth(tmp_path, build) if f.rule in ("CDKP019", "CDKP020")]
    found = {(f.rule, f.path.removesuffix("/Resource"), f.value) for f in findings}
    assert found == {
        ("CDKP019", "Orders/AsObject", MACHINE),
        ("CDKP019", "Orders/Substituted", MACHINE),
        ("CDKP019", "Orders/WithNumber", MACHINE),
        ("CDKP019", "Orders/WithCredentials", task_role),  # the task's role, not the machine's
    }, sorted(found)


def test_a_store_in_a_message_body_is_data_not_the_target() -> None:
    """A task sending to one queue with another queue's URL in its body calls the first only
    (an attack: both were charged)."""
    from cdk_partition.knowledge.state_machine_tasks import tasks

    definition = {"StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
        "Parameters": {"QueueUrl": {"Ref": "Target"}, "MessageBody": {"Ref": "Other"}}}}}  # fmt: skip
    assert tasks({"Definition": definition}) == [
        ("arn:aws:states:::sqs:sendMessage", [{"Ref": "Target"}], None)
    ]
    dynamic = {**definition["States"]["S"], "Parameters": {  # type: ignore[dict-item]
        "QueueUrl.$": "$.queue", "MessageBody": {"Ref": "Other"}}}  # fmt: skip
    found = tasks({"Definition": {"StartAt": "S", "States": {"S": dynamic}}})
    assert found is not None and found[0][1] == ["$.queue", {"Ref": "Other"}]


def test_a_distributed_maps_reader_and_writer_are_tasks() -> None:
    """A Distributed Map reads its items from a bucket and writes its results into one itself
    (an attack: only Task states were read); listing a bucket reads no object data."""
    from cdk_partition.knowledge.consumers import universal_actions
    from cdk_partition.knowledge.state_machine_tasks import tasks

    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "Parameters": {"Bucket": {"Ref": "In"}, "Key": "items.json"}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": {"Ref": "Out"}, "Prefix": "results"}},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}  # fmt: skip
    found = tasks({"Definition": definition})
    assert found == [
        ("arn:aws:states:::s3:getObject", [{"Ref": "In"}], None),
        ("arn:aws:states:::s3:putObject", [{"Ref": "Out"}], None),
    ]
    assert universal_actions("arn:aws:states:::s3:getObject") == ("s3:GetObject",)
    assert universal_actions("arn:aws:states:::s3:listObjectsV2") == ()

"""The tasks of a Step Functions state machine's definition, as the template holds it: each Task
state's ``Resource`` (an integration ARN, ``arn:aws:states:::sqs:sendMessage`` or
``arn:aws:states:::aws-sdk:s3:putObject``) and the values its ``Parameters`` (or ``Arguments``)
hold, where the stores it calls are named. "You can call AWS SDK services directly from the
Amazon States Language in the Resource field of a task state. To do this, use the following
syntax: arn:aws:states:::aws-sdk:serviceName:apiAction.[serviceIntegrationPattern]" (AWS Step
Functions Developer Guide, "Learning to use AWS service SDK integrations in Step Functions",
https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html); the
state machine's role makes the call.

A ``DefinitionString`` the CDK writes is an ``Fn::Join`` of text and references (a store's
``Ref``): the text is read as JSON with each reference in its place, and given back as the
reference (or an ``Fn::Join`` of the pieces). Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["tasks"]

_MARK = "@@cdkp{}@@"
_MARKS = re.compile(r"@@cdkp(\d+)@@")


def tasks(props: Mapping[str, Any]) -> list[tuple[Any, list[Any], Any]] | None:
    """``(Resource, the values of its Parameters / Arguments, the role its Credentials name or
    None)`` of each Task state of the definition in ``props`` (a state machine's
    ``Properties``), nested states included, ``${name}`` placeholders replaced from
    ``DefinitionSubstitutions`` ("a map (string to string) that specifies the mappings for
    placeholder variables in the state machine definition", AWS CloudFormation Template
    Reference, "AWS::StepFunctions::StateMachine"); None when the definition cannot be read (an
    S3 location, an intrinsic other than ``Fn::Join``, text that is not JSON)."""
    parsed = _parse(props.get("Definition"), props.get("DefinitionString"))
    if parsed is None:
        return None
    document, parts = parsed
    substitutions = props.get("DefinitionSubstitutions")
    substitutions = substitutions if isinstance(substitutions, Mapping) else {}

    def value(item: Any) -> Any:
        return _substituted(_restore(item, parts), substitutions)

    return [
        (value(resource), [value(v) for v in _leaves(_target_of(params))], value(credentials))
        for resource, params, credentials in _task_states(document)
    ]


_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def _substituted(value: Any, substitutions: Mapping[str, Any]) -> Any:
    """A text with ``${name}`` placeholders of ``substitutions`` as the values they stand for
    (the one value it is, or an ``Fn::Join`` of the pieces)."""
    if not isinstance(value, str) or not substitutions or not _PLACEHOLDER.search(value):
        return value
    pieces: list[Any] = []
    for index, piece in enumerate(_PLACEHOLDER.split(value)):
        if index % 2:
            pieces.append(substitutions.get(piece, "${" + piece + "}"))
        elif piece:
            pieces.append(piece)
    return pieces[0] if len(pieces) == 1 else {"Fn::Join": ["", pieces]}


def _parse(definition: Any, text: Any) -> tuple[Any, dict[int, Any]] | None:
    if isinstance(definition, Mapping):
        return definition, {}
    if isinstance(text, str):
        return _loads(text, {})
    if isinstance(text, Mapping) and list(text) == ["Fn::Join"]:
        separator, pieces = (text["Fn::Join"] + [None, None])[:2]
        if separator != "" or not isinstance(pieces, list):
            return None
        parts = {i: p for i, p in enumerate(pieces) if not isinstance(p, str)}
        joined, quoted = "", False
        for i, piece in enumerate(pieces):
            if isinstance(piece, str):
                joined += piece
                quoted = _inside_string(piece, quoted)
            else:  # a reference: a string's text inside quotes, a JSON value outside them (a
                # number token: "Seconds": {"Ref": "Delay"})
                joined += _MARK.format(i) if quoted else f'"{_MARK.format(i)}"'
        return _loads(joined, parts)
    return None


def _inside_string(text: str, quoted: bool) -> bool:
    """Whether JSON text that starts inside a string (``quoted``) ends inside one."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
    return quoted


def _loads(text: str, parts: dict[int, Any]) -> tuple[Any, dict[int, Any]] | None:
    try:
        return json.loads(text), parts
    except ValueError:
        return None


def _task_states(document: Any) -> Iterator[tuple[Any, Any, Any]]:
    """(Resource, Parameters or Arguments, Credentials' RoleArn) of every Task state, in
    branches and maps too. "Credentials: ... The ARN of an IAM role that Step Functions assumes
    for the task" (AWS Step Functions API Reference, "TaskCredentials",
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskCredentials.html): the
    task calls with that role, not the state machine's."""
    states = document.get("States") if isinstance(document, Mapping) else None
    for state in states.values() if isinstance(states, Mapping) else []:
        if not isinstance(state, Mapping):
            continue
        if state.get("Type") == "Task":
            credentials = state.get("Credentials")
            role = (
                credentials.get("RoleArn", credentials.get("RoleArn.$", ""))
                if isinstance(credentials, Mapping)
                else None
            )
            yield state.get("Resource"), state.get("Parameters", state.get("Arguments")), role
        if state.get("Type") == "Map":  # a Distributed Map reads its items and writes its
            # results itself ("ItemReader", "ResultWriter": AWS Step Functions Developer Guide,
            # "ItemReader (Map)" and "ResultWriter (Map)", each a Resource and its Parameters)
            for key in ("ItemReader", "ResultWriter"):
                part = state.get(key)
                if isinstance(part, Mapping) and "Resource" in part:
                    yield part["Resource"], part.get("Parameters", part.get("Arguments")), None
        for branch in state.get("Branches") or []:
            yield from _task_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            yield from _task_states(state.get(key))


#: The request parameters that name the resource an API call acts on, in the APIs whose stores
#: the audit checks (each service's API Reference: SQS SendMessage "QueueUrl - The URL of the
#: Amazon SQS queue to which a message is sent", SNS Publish "TopicArn" / "TargetArn", DynamoDB
#: "TableName", S3 "Bucket", Kinesis "StreamName" / "StreamARN", Secrets Manager "SecretId",
#: Firehose "DeliveryStreamName", CloudWatch Logs "LogGroupName"). A task that names one reaches
#: only that resource; a message body naming another store is data, not a target (an attack).
_TARGETS = frozenset({
    "queueurl", "topicarn", "targetarn", "tablename", "bucket", "streamname", "streamarn",
    "secretid", "deliverystreamname", "loggroupname",
})  # fmt: skip


def _target_of(params: Any) -> Any:
    """The parameters that name the call's target, when the task names one literally (or by
    reference); all of them otherwise (a target chosen at run time, ``QueueUrl.$``: any store
    the parameters name may be it)."""
    if not isinstance(params, Mapping):
        return params
    named = {k: v for k, v in params.items() if str(k).lower() in _TARGETS}
    dynamic = any(str(k).lower().removesuffix(".$") in _TARGETS and str(k).endswith(".$")
                  for k in params)  # fmt: skip
    return named if named and not dynamic else params


def _leaves(value: Any) -> Iterator[Any]:
    """The values a parameters object holds; a reference (``{"Ref": ...}``, ``{"Fn::...": ...}``,
    in a ``Definition`` object) is one value."""
    if isinstance(value, Mapping) and len(value) == 1:
        name = str(next(iter(value)))
        if name == "Ref" or name.startswith("Fn::"):
            yield value
            return
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield value


def _restore(value: Any, parts: dict[int, Any]) -> Any:
    """A text with references in it as the template wrote them: the one reference it is, or an
    ``Fn::Join`` of its pieces."""
    if not isinstance(value, str) or not parts or not _MARKS.search(value):
        return value
    pieces: list[Any] = []
    for index, piece in enumerate(_MARKS.split(value)):
        if index % 2:
            pieces.append(parts.get(int(piece), ""))
        elif piece:
            pieces.append(piece)
    return pieces[0] if len(pieces) == 1 else {"Fn::Join": ["", pieces]}

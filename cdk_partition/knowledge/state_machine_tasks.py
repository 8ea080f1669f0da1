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


def tasks(props: Mapping[str, Any]) -> list[tuple[Any, list[Any]]] | None:
    """``(Resource, the values of its Parameters / Arguments)`` of each Task state of the
    definition in ``props`` (a state machine's ``Properties``), nested states included; None
    when the definition cannot be read (an S3 location, an intrinsic other than ``Fn::Join``)."""
    parsed = _parse(props.get("Definition"), props.get("DefinitionString"))
    if parsed is None:
        return None
    document, parts = parsed
    return [
        (_restore(resource, parts), [_restore(v, parts) for v in _leaves(params)])
        for resource, params in _task_states(document)
    ]


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
        joined = "".join(p if isinstance(p, str) else _MARK.format(i) for i, p in enumerate(pieces))
        return _loads(joined, parts)
    return None


def _loads(text: str, parts: dict[int, Any]) -> tuple[Any, dict[int, Any]] | None:
    try:
        return json.loads(text), parts
    except ValueError:
        return None


def _task_states(document: Any) -> Iterator[tuple[Any, Any]]:
    """(Resource, Parameters or Arguments) of every Task state, in branches and maps too."""
    states = document.get("States") if isinstance(document, Mapping) else None
    for state in states.values() if isinstance(states, Mapping) else []:
        if not isinstance(state, Mapping):
            continue
        if state.get("Type") == "Task":
            yield state.get("Resource"), state.get("Parameters", state.get("Arguments"))
        for branch in state.get("Branches") or []:
            yield from _task_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            yield from _task_states(state.get(key))


def _leaves(value: Any) -> Iterator[Any]:
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

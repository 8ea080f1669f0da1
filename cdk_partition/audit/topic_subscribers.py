"""A domain topic any principal may subscribe to (CDKP036).

A subscriber never calls KMS: "SSE encrypts messages as soon as Amazon SNS receives them. The
messages are stored in encrypted form, and only decrypted when they are sent" (Amazon SNS
Developer Guide, "Encryption at rest",
https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html). So the domain key
does not decide who reads a topic's messages; ``sns:Subscribe`` does
(:data:`cdk_partition.knowledge.contracts.GATES`). A topic policy statement that lets every
principal subscribe (``"*"``) hands every message, decrypted, to any account that subscribes its
own endpoint, whatever the key policy says; the audit and the report were silent (found by an
attack). Whether a principal of no account or organization the statement names may subscribe is
decided by the prover (the trust audit's stranger, :func:`~cdk_partition.audit.trust
.stranger_verdict`), its witness re-checked by the evaluator; a statement it cannot encode is
reported too (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly
from .identity_policies import (
    RESOURCE_POLICIES,
    props_of,
    statements_of,
    type_of,
)
from .resource_policy_grants import store_policies
from .rules import Finding, Rule, Source, make_finding, resource_fields, short
from .statement_shapes import names_action, to_everyone
from .store_texts import domain_stores
from .trust import stranger_verdict

__all__ = ["RULES", "audit_topic_subscribers"]

_SUBSCRIBE = "sns:Subscribe"
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP036",
        "error",
        "Any principal may subscribe to a domain topic (a subscription receives every message "
        "decrypted)",
        "name in the statement the principals that may subscribe (the domain's readers), or "
        "take sns:Subscribe out of it: the key policy decides nothing for a subscriber",
        source=Source(
            'Amazon SNS Developer Guide, "Encryption at rest"',
            "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def audit_topic_subscribers(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP036 for each topic policy statement of a domain topic that lets a principal of no
    account or organization it names call ``sns:Subscribe``."""
    stores = domain_stores(assembly)
    for stack, logical_id, resource, targets in store_policies(assembly, stores):
        kind = str(type_of(resource))
        if kind not in _TOPIC_POLICIES:
            continue
        topics = [t for t in dict.fromkeys(targets) if type_of(t.resource) == "AWS::SNS::Topic"]
        if not topics:
            continue
        document = props_of(resource).get(RESOURCE_POLICIES[kind][1])
        statements = [s for s in statements_of(document) if isinstance(s, dict)]
        denies = [s for s in statements if s.get("Effect") == "Deny"]
        for statement in statements:
            if statement.get("Effect") != "Allow" or not to_everyone(statement):
                continue
            if _names_endpoints(statement):
                continue  # where the messages go is the statement's: not a stranger's endpoint
            if not names_action(statement, _SUBSCRIBE):
                continue
            verdict = stranger_verdict(statement, _SUBSCRIBE, denies)
            if verdict is not None and verdict.status == "denied":
                continue
            for topic in topics:
                yield _finding(stack, logical_id, resource, topic, statement, verdict)


#: The topic policy types (``AWS::SNS::TopicPolicy``, one topic's ``TopicInlinePolicy``).
_TOPIC_POLICIES = ("AWS::SNS::TopicPolicy", "AWS::SNS::TopicInlinePolicy")
#: Condition operators that name the endpoints a subscription may have.
_NAMING = ("stringequals", "stringlike", "arnequals", "arnlike")


def _names_endpoints(statement: Mapping[str, Any]) -> bool:
    """Whether the statement allows only endpoints it names (``sns:Endpoint`` under an equality
    or a pattern: the owner's queue, ``*@my-company.com``): the key is "The URL, e-mail address,
    or ARN from a Subscribe request or a previously confirmed subscription", and "this condition
    can restrict subscriptions to a topic to email addresses in a certain domain" (AWS SDK for
    Java API Reference, "SNSConditionFactory",
    https://docs.aws.amazon.com/AWSJavaSDK/latest/javadoc/com/amazonaws/auth/policy/conditions/SNSConditionFactory.html).
    A stranger's subscription then delivers into an endpoint the statement chose (an attack:
    CDKP036 fired on AWS's own example)."""
    conditions = statement.get("Condition")
    if not isinstance(conditions, Mapping):
        return False
    return any(
        str(operator)
        .lower()
        .removeprefix("forallvalues:")
        .removeprefix("foranyvalue:")
        .removesuffix("ifexists")
        in _NAMING
        and isinstance(block, Mapping)
        and any(str(key).lower() == "sns:endpoint" for key in block)
        for operator, block in conditions.items()
    )


def _finding(
    stack: Any,
    logical_id: str,
    resource: Mapping[str, Any],
    topic: Any,
    statement: Mapping[str, Any],
    verdict: Any,
) -> Finding:
    base = resource_fields(stack, logical_id, resource, topic.domain)
    how = (
        f"the prover finds one: {verdict.describe()}"
        if verdict is not None and verdict.status == "allowed"
        else "the checks cannot decide that none may (fail closed)"
    )
    return make_finding(
        _RULE["CDKP036"],
        f"{base['path']} lets any principal call {_SUBSCRIBE} on {topic.path} of domain "
        f"{topic.domain!r} (statement {statement.get('Sid') or '(no Sid)'}): a principal of an "
        f"account the policy names nowhere may subscribe its own endpoint and receive every "
        f"message decrypted, whatever the key policy says; {how}.",
        location="PolicyDocument",
        value=short(statement.get("Sid") or statement.get("Principal")),
        **base,
    )

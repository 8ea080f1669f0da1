"""``allow_service_publisher``: the statements of the AWS services that deliver into the
domain's stores (S3 notifications, SNS subscriptions, EventBridge rules, CloudWatch alarms, S3
server access logs), written from their service contracts
(:data:`cdk_partition.knowledge.contracts.SERVICE_PUBLISHERS`). A mixin of
:class:`~cdk_partition.constructs.store_access.StoreAccess`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..knowledge import contract_shapes, contracts, wiring
from ..knowledge.capabilities import PUBLISHER_SID_PREFIX
from ..policy.canonical import canonicalize
from . import key_policy
from ._messages import path_of

if TYPE_CHECKING:
    _Mixin = Construct  # mixed into constructs
else:
    _Mixin = object

__all__ = ["Publishers"]


def _publisher_sid(service: str) -> str:
    return PUBLISHER_SID_PREFIX + "".join(p.capitalize() for p in service.split(".")[0].split("-"))


class Publishers(_Mixin):
    """The publisher statements of a domain's key policy."""

    if TYPE_CHECKING:  # defined by StoreAccess

        def _add_service_statement(self, statement: iam.PolicyStatement) -> None: ...

        def _allow_linked_role(self, contract: str) -> None: ...

    def allow_service_publisher(self, service: str, *, source_arn: str | None = None) -> None:
        """Let an AWS service deliver into the domain's encrypted queues, topics or buckets (S3
        event notifications, SNS subscriptions, EventBridge rules and their dead-letter queues,
        CloudWatch alarm actions, S3 server access logs), as its service contract says
        (:data:`cdk_partition.knowledge.contracts.SERVICE_PUBLISHERS`). A service without a
        contract is declared with :meth:`~cdk_partition.DataDomain.allow_service` and its AWS
        page.

        The CDK's own wiring needs no call: the key policy follows every delivery the template
        shows into a store on the key, whatever made the store (a store method, the mixin, an L2
        given the key) and wherever the wiring resource is (``alarm.add_alarm_action(SnsAction(
        topic))``, ``topic.add_subscription(SqsSubscription(queue))``, ``rule.add_target(...)``
        and its dead-letter queue, ``bucket.add_event_notification(..., SqsDestination(queue))``,
        server access logs; the table is :data:`cdk_partition.knowledge.wiring.WIRING`) and
        writes this statement. Call it for a delivery the template cannot show as a reference to
        the store (a store imported by ``Fn.import_value`` of a hand-written export name, a
        literal ARN, a source outside the app): CDKP021 names them.

        Adds ``AllowPublisher<Service>``: the contract's actions (``kms:GenerateDataKey``,
        ``kms:Decrypt``) for the service principal, with ``aws:SourceAccount`` = this account
        where the contract supports it. For EventBridge it stays unconditioned: AWS documents that
        the source keys are not supported for EventBridge delivering to an encrypted SNS topic.

        :param source_arn: narrow the service to one source (a literal ARN or pattern such as
            ``arn:aws:s3:::orders-uploads-*``) in a statement of its own
            (``AllowPublisher<Service>Sources``, pinned to this account). A literal ARN of one
            resource of another account (a partner's topic that a domain queue subscribes to)
            gets a statement scoped by exactly that ARN (``AllowPublisher<Service>Scoped<n>``):
            the service then calls KMS with that account as ``aws:SourceAccount``; the audit
            accepts it when the app wires that source to a store on the key, else CDKP106
            (``${AWS::Partition}`` in it, as a finding prints it, is written as ``Fn::Sub``). Not
            the ARN token of a domain store: the key would depend on a store that depends on the
            key (a cycle). Refused for a service whose contract does not support source
            conditions. Default: the account scope only.
        :raises ValueError: for a service with no publisher contract, or a ``source_arn`` the
            service's contract cannot carry.
        """
        publisher = contracts.SERVICE_PUBLISHERS.get(service)
        if publisher is None:
            known = ", ".join(sorted(contracts.SERVICE_PUBLISHERS))
            raise ValueError(
                f"{path_of(self)}: allow_service_publisher(service={service!r}) of {self}: no "
                "service contract for it "
                f"(known: {known}). Declare the statement AWS documents for it with "
                "domain.allow_service(service, actions=[...], conditions={...}, "
                "source=<the AWS page>)."
            )
        if source_arn is None:
            self._allow_publisher(service)
            return
        if not publisher.conditions_required:
            raise ValueError(
                f"{path_of(self)}: allow_service_publisher({service!r}, source_arn=...) of "
                f"{self}: {service} cannot be narrowed by "
                "aws:SourceArn (AWS does not support the source keys for EventBridge delivering "
                "to an encrypted SNS topic); call it without source_arn."
            )
        own = cdk.Stack.of(self).account
        foreign = wiring.foreign_source(
            {"Type": "AWS::SNS::Subscription", "Properties": {"TopicArn": source_arn}},
            None if cdk.Token.is_unresolved(own) else own,
            canonicalize,
        ) if not cdk.Token.is_unresolved(source_arn) else None  # fmt: skip
        if foreign is not None:  # one source of another account: exactly its ARN
            arn = cdk.Fn.sub(source_arn) if "${AWS::" in source_arn else source_arn
            self._allow_publisher_scoped(service, {"ArnEquals": {"aws:SourceArn": arn}})
            return
        sid = _publisher_sid(service) + "Sources"
        sources: dict[str, list[str]] = self.__dict__.setdefault("_publisher_sources", {})
        arns = sources.setdefault(sid, [])
        arns.append(source_arn)
        statements: dict[str, iam.PolicyStatement] = self.__dict__.setdefault("_publishers", {})
        if sid in statements:
            statements[sid].add_condition("ArnLike", {"aws:SourceArn": list(arns)})
            return
        conditions = {
            "ArnLike": {"aws:SourceArn": list(arns)},
            "StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account},
        }
        statement = key_policy.publisher_statement(sid, service, publisher.actions, conditions)
        statements[sid] = statement
        self._add_service_statement(statement)

    def allow_service_linked_role(self, service: str) -> None:
        """Name the service-linked role of ``service`` in the key policy, as its service
        contract says (:data:`cdk_partition.knowledge.contract_shapes.WIRED_LINKED_ROLES`):
        ``autoscaling.amazonaws.com`` (``AWSServiceRoleForAutoScaling`` launching instances with
        volumes on the key: ``AllowAutoScalingLaunch`` and ``...Grants``),
        ``kinesisreplication.dynamodb.amazonaws.com``
        (``AWSServiceRoleForDynamoDBKinesisDataStreamsReplication`` streaming a table's changes
        into a stream on the key: ``AllowDynamoDBKinesisReplication``, ``kms:GenerateDataKey``
        through Kinesis). The role is exempt from ``DenyEveryoneElse``.

        The CDK's own wiring needs no call: an Auto Scaling group launching a template on the
        key, a table given ``kinesis_stream=`` a stream on the key (``dynamodb.Table`` or
        ``TableV2``, in any stack of the app) write the statement. Call it when the template
        cannot show the wiring as a reference to the store (a stream imported by a hand-written
        export name or a literal ARN): CDKP021 names it.

        :raises ValueError: for a service whose service-linked role no contract row names.
        """
        for contract, named in contract_shapes.WIRED_LINKED_ROLES.items():
            if named == service:
                self._allow_linked_role(contract)
                return
        known = ", ".join(sorted(contract_shapes.WIRED_LINKED_ROLES.values()))
        raise ValueError(
            f"{path_of(self)}: allow_service_linked_role(service={service!r}) of {self}: no "
            f"service contract names its service-linked role; pass one of: {known}."
        )

    def _allow_publisher(self, service: str) -> None:
        """``AllowPublisher<Service>`` from the contract: account-scoped where supported."""
        publisher = contracts.SERVICE_PUBLISHERS[service]
        sid = _publisher_sid(service)
        statements: dict[str, iam.PolicyStatement] = self.__dict__.setdefault("_publishers", {})
        if sid in statements:
            return
        conditions: dict[str, Any] = (
            {"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}}
            if publisher.conditions_required
            else {}
        )
        statement = key_policy.publisher_statement(sid, service, publisher.actions, conditions)
        statements[sid] = statement
        self._add_service_statement(statement)

    def _allow_publisher_scoped(self, service: str, conditions: Mapping[str, Any]) -> None:
        """The contract's actions for ``service`` under the ``conditions`` a statement the CDK
        wrote carried (its source's literal ARN: a bucket imported by name), kept as written: the
        audit judges the scope (CDKP106 when it reaches other accounts)."""
        publisher = contracts.SERVICE_PUBLISHERS[service]
        scopes: list[str] = self.__dict__.setdefault("_publisher_scopes", [])
        mark = json.dumps(cdk.Stack.of(self).resolve(conditions), sort_keys=True)
        if mark in scopes:
            return
        scopes.append(mark)
        sid = f"{_publisher_sid(service)}Scoped{len(scopes)}"
        self._add_service_statement(
            key_policy.publisher_statement(sid, service, publisher.actions, conditions)
        )

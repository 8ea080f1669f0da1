"""``allow_service_publisher`` and ``allow_integration``: the statements of the AWS services
that deliver into the domain's stores (S3 notifications, SNS subscriptions, EventBridge rules,
CloudWatch alarms, S3 server access logs), written from their service contracts
(:data:`cdk_partition.knowledge.contracts.SERVICE_PUBLISHERS`), and of the roles the app's
wiring uses (service-linked roles, CloudFormation's role importing a table). A mixin of
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
from ..knowledge.capabilities import LINKED_ROLE_SIDS, PUBLISHER_SID_PREFIX, WIRED_DEPLOYMENT_SIDS
from ..policy.canonical import canonicalize
from . import key_policy
from ._messages import path_of

if TYPE_CHECKING:
    _Mixin = Construct  # mixed into constructs
else:
    _Mixin = object

__all__ = ["Publishers"]


def _row_conditions(row: contracts.ContractRow, stack: cdk.Stack) -> dict[str, Any]:
    """The conditions of ``row``'s statement, as every contract statement writes them
    (:func:`cdk_partition.knowledge.contract_shapes.service_conditions`), in ``stack``'s
    environment."""
    values = {"{region}": stack.region, "{partition}": stack.partition, "{account}": stack.account}
    return contract_shapes.fill(contract_shapes.service_conditions(row), values)


def _publisher_sid(service: str) -> str:
    """``AllowPublisher`` and the service principal's labels before ``amazonaws``
    (``events.rds.amazonaws.com`` -> ``AllowPublisherEventsRds``: not EventBridge's Sid)."""
    labels = service.split(".amazonaws.", 1)[0].replace("-", ".").split(".")
    return PUBLISHER_SID_PREFIX + "".join(p.capitalize() for p in labels)


class Publishers(_Mixin):
    """The publisher statements of a domain's key policy."""

    if TYPE_CHECKING:  # defined by StoreAccess

        def _add_service_statement(self, statement: iam.PolicyStatement) -> None: ...

        deployment_role: iam.IPrincipal

        def _exempt_from_deny(self, arn: str) -> None: ...

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

    def allow_integration(self, integration: str, *, linked_role: str | None = None) -> None:
        """Write the key-policy statement of an integration the app wires to a store on the key,
        as its service contract says (``integration``: the contract's name, one of
        :data:`cdk_partition.knowledge.wiring.WIRING`'s, shown in the docs' contract table):

        * ``"table_kinesis_stream"``: DynamoDB's service-linked role
          ``AWSServiceRoleForDynamoDBKinesisDataStreamsReplication`` streaming a table's changes
          into a stream on the key (``AllowDynamoDBKinesisReplication``: ``kms:GenerateDataKey``
          through Kinesis), exempt from ``DenyEveryoneElse``;
        * ``"launch_template_auto_scaling"``: EC2 Auto Scaling's service-linked role launching
          instances with volumes on the key (``AllowAutoScalingLaunch`` and ``...Grants``);
        * ``"table_import_source"``: CloudFormation's role reading the objects of a bucket on the
          key to create a table from them (``AllowDeploymentTableImport``: ``kms:Decrypt``
          through S3 only);
        * a delivery of a service principal (``"alarm_action_topic"``, ``"rule_target_queue"``,
          ...): the statement :meth:`allow_service_publisher` writes for its service.

        The CDK's own wiring needs no call: the key policy follows every wiring the template
        shows as a reference to a store on the key, in any stack of the app (a table given
        ``kinesis_stream=`` or ``import_source=``, an Auto Scaling group's launch template).
        Call it when the template cannot show it (a store imported by a hand-written export name
        or a literal ARN): CDKP021 names the call.

        :param linked_role: the ARN of the service-linked role the source names instead of its
            service's default (an Auto Scaling group's ``service_linked_role_arn``, a role with a
            custom suffix: "if you plan to give granular access to a specific customer managed
            key, you should use a custom suffix service-linked role", Amazon EC2 Auto Scaling
            User Guide, "Service-linked roles for Amazon EC2 Auto Scaling",
            https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html).
            The role must exist before the key policy names it. Default: the default role the
            contract rows name. The wiring the template shows needs no call: the key follows a
            group's own role.
        :raises ValueError: for a name that is no integration of the wiring table (the message
            lists them), or ``linked_role`` for an integration that is not a service-linked
            role's, or that is not a service-linked role of its service in this account (a
            literal ARN; another principal would get the integration's data actions).
        """
        known = sorted({w.contract for w in wiring.WIRING})
        if integration not in known:
            raise ValueError(
                f"{path_of(self)}: allow_integration({integration!r}) of {self}: no such "
                f"integration; pass one of: {', '.join(known)}."
            )
        if linked_role is not None and integration not in contract_shapes.WIRED_LINKED_ROLES:
            raise ValueError(
                f"{path_of(self)}: allow_integration({integration!r}, linked_role=...) of "
                f"{self}: that integration names no service-linked role; pass linked_role only "
                f"with one of: {', '.join(sorted(contract_shapes.WIRED_LINKED_ROLES))}."
            )
        if linked_role is not None and self._linked_role_text(integration, linked_role) is None:
            service = contract_shapes.WIRED_LINKED_ROLES[integration]
            raise ValueError(
                f"{path_of(self)}: allow_integration({integration!r}, linked_role="
                f"{linked_role!r}) of {self}: not a service-linked role of {service} in this "
                f"account (arn:<partition>:iam::<account>:role/aws-service-role/{service}/"
                f"<its name>[_<suffix>], written as a literal); the key names no other principal "
                "for the integration."
            )
        self._allow_wired(integration, linked_role)

    def _linked_role_text(self, contract: str, role: str) -> str | None:
        """``role`` as its ARN's text when it names the service-linked role of ``contract``'s
        service in this stack's account (:func:`~cdk_partition.knowledge.contract_shapes
        .is_linked_role_of`: pseudo parameters allowed, no other token); None otherwise."""
        stack = cdk.Stack.of(self)
        text = canonicalize(stack.resolve(role))
        account = None if cdk.Token.is_unresolved(stack.account) else stack.account
        if not isinstance(text, str) or not contract_shapes.is_linked_role_of(
            contract, text, account
        ):
            return None
        return text

    def _allow_wired_source(self, contract: str, arn: str) -> None:
        """``contract``'s publisher statement scoped to exactly ``arn``, a source of another
        account the app wires (a subscription to a partner's topic): the request carries that
        source's ARN and account, which the account-scoped statement refuses."""
        for row in contracts.rows_for(contract):
            if row.caller == "service_principal" and row.principal in contracts.SERVICE_PUBLISHERS:
                if contracts.SERVICE_PUBLISHERS[row.principal].conditions_required:
                    self._allow_publisher_scoped(
                        row.principal, {"ArnEquals": {"aws:SourceArn": arn}}
                    )
                else:
                    self._allow_publisher(row.principal)

    def _allow_wired(self, contract: str, linked_role: str | None = None) -> None:
        """The statement of ``contract``'s rows: its publisher or its service-linked role (the
        default, or ``linked_role``: the ARN the source names)."""
        if contract in contract_shapes.WIRED_LINKED_ROLES:
            self._allow_linked_role(contract, linked_role)
            return
        if contract in contract_shapes.WIRED_DEPLOYMENT:
            self._allow_wired_deployment(contract)
            return
        for row in contracts.rows_for(contract):
            if row.caller == "service_principal" and row.principal in contracts.SERVICE_PUBLISHERS:
                self._allow_publisher(row.principal)

    def _allow_wired_deployment(self, contract: str) -> None:
        """The deployment role's requests of ``contract`` (one of
        :data:`cdk_partition.knowledge.contract_shapes.WIRED_DEPLOYMENT`), in a statement of
        their own (``WIRED_DEPLOYMENT_SIDS``): its actions through its service only, not the
        domain's ``AllowDeploymentViaServices`` (which would let the role make every data-key
        request through that service)."""
        done: set[str] = self.__dict__.setdefault("_wired_deployment", set())
        if contract in done:
            return
        done.add(contract)
        stack = cdk.Stack.of(self)
        arn = key_policy.principal_arn(
            self.deployment_role, capability=f"{path_of(self)} ({self}), deployment_role="
        )
        for row in contracts.rows_for(contract):
            if row.caller != "deployment_role":
                continue
            conditions = _row_conditions(row, stack)
            self._add_service_statement(
                iam.PolicyStatement(
                    sid=WIRED_DEPLOYMENT_SIDS[contract],
                    effect=iam.Effect.ALLOW,
                    principals=[iam.ArnPrincipal(arn)],
                    actions=list(row.actions),
                    resources=["*"],
                    conditions=conditions,
                )
            )

    def _allow_linked_role(self, contract: str, role: str | None = None) -> None:
        """The service-linked role of ``contract`` (one of
        :data:`cdk_partition.knowledge.contract_shapes.WIRED_LINKED_ROLES`), as its contract rows
        say: a statement per row (``LINKED_ROLE_SIDS``; ``Grants`` after it for the row of
        ``kms:CreateGrant``), its request context as conditions (``Bool`` for a true/false value,
        ``StringEquals`` for the rest, ``{region}`` this stack's), exempt from the deny. A role
        of :data:`~cdk_partition.knowledge.contract_shapes.NAMED_BY_CONDITION` is named by
        ``aws:PrincipalArn`` under the account's principal (it may not exist when the key is
        created). ``role``: the ARN of the role the source names instead of the default (a
        custom suffix), in statements of its own (``Role<n>`` after the Sid), only when it is a
        service-linked role of the service in this account (else nothing: the audit's CDKP021
        reports the source)."""
        stack = cdk.Stack.of(self)
        if role is not None and self._linked_role_text(contract, role) is None:
            return  # no service-linked role of the service: the key names no one for it
        done: dict[tuple[str, str], int] = self.__dict__.setdefault("_linked_roles", {})
        mark = (contract, "" if role is None else json.dumps(stack.resolve(role), sort_keys=True))
        if mark in done:
            return
        done[mark] = (1 + sum(1 for c, r in done if c == contract and r)) if role is not None else 0
        for row in contracts.rows_for(contract):
            if row.caller != "service_linked_role":
                continue
            arn = row.principal.format(partition=stack.partition, account=stack.account)
            arn = arn if role is None else role
            sid = (
                LINKED_ROLE_SIDS[contract]
                + (f"Role{done[mark]}" if role is not None else "")
                + ("Grants" if "kms:CreateGrant" in row.actions else "")
            )
            conditions = _row_conditions(row, stack)
            principal: iam.IPrincipal = iam.ArnPrincipal(arn)
            if contract in contract_shapes.NAMED_BY_CONDITION:  # a role that may not exist yet
                principal = iam.AccountRootPrincipal()
                conditions["ArnEquals"] = {"aws:PrincipalArn": arn}
            self._add_service_statement(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.ALLOW,
                    principals=[principal],
                    actions=list(row.actions),
                    resources=["*"],
                    conditions=conditions or None,
                )
            )
            self._exempt_from_deny(arn)

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

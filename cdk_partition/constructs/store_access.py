"""``StoreAccess``: what the stores of a domain need beyond their own props: store-level grants
(:meth:`StoreAccess.grant_store_read`, :meth:`StoreAccess.grant_store_write`), AWS services
that deliver into the domain's stores (:meth:`StoreAccess.allow_service_publisher`), and the
key-policy statements the service contracts need (:mod:`cdk_partition.knowledge.contracts`).

The base of :class:`~cdk_partition.constructs.stores.StoreFactories` (one method per kind of store).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_efs as efs
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ..knowledge import catalogue, contract_shapes, contracts, wiring
from ..knowledge.capabilities import (
    EVENTS_DESCRIBE_SID,
    STORE_ROLES_SID_PREFIX,
)
from ..marks import Environment
from ..policy.canonical import canonicalize
from . import key_policy
from ._messages import path_of, render
from ._native import KEY_SENTINEL, STORE_SENTINEL, KeyReferrers, KeyUsers
from .contract_statements import contract_service_statements, deployment_direct_statements
from .publishers import Publishers
from .stack_graph import construct_at, refuse_cyclic_grants


def _snake(name: str) -> str:
    """A CloudFormation property name as the L1's Python attribute (``TopicArn`` -> ``topic_arn``)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms


#: Store type -> (its L2 method that grants reading, the one that grants writing). One table, read
#: by :meth:`StoreAccess.grant_store_read` / :meth:`StoreAccess.grant_store_write`.
STORE_GRANTS: dict[type, tuple[str, str]] = {
    s3.Bucket: ("grant_read", "grant_write"),
    sqs.Queue: ("grant_consume_messages", "grant_send_messages"),
    sns.Topic: ("grant_subscribe", "grant_publish"),
    dynamodb.Table: ("grant_read_data", "grant_write_data"),
    dynamodb.TableV2: ("grant_read_data", "grant_write_data"),
    kinesis.Stream: ("grant_read", "grant_write"),
    logs.LogGroup: ("grant_read", "grant_write"),
    secretsmanager.Secret: ("grant_read", "grant_write"),
    ecr.Repository: ("grant_pull", "grant_push"),
    efs.FileSystem: ("grant_read", "grant_read_write"),
    events.EventBus: ("grant_put_events_to", "grant_put_events_to"),
    opensearch.Domain: ("grant_read", "grant_write"),
}

#: Stores whose producers need ``kms:Decrypt`` as well as ``GenerateDataKey`` (AWS documents it
#: for SQS, SNS and Kinesis producers): writing to them also grants the domain's read capability.
PRODUCERS_NEED_DECRYPT: tuple[type, ...] = (sqs.Queue, sns.Topic, kinesis.Stream)


def _grantee_in_stack_of(store: Construct, principal: iam.IPrincipal) -> iam.IGrantable | None:
    """For a role or user defined in another stack than ``store``: the same principal imported
    into the store's stack (by ARN, mutable), or None when no import is needed.

    The store's L2 grant writes an IAM policy on the grantee. Written in the principal's own
    stack, that policy references the store (principal stack -> store stack) while the key
    policy references the principal (store stack -> principal stack): a cyclic cross-stack
    reference. Imported, the policy becomes an ``iam.Policy`` of the store's stack attached to
    the role or user by name, and every reference points one way (store stack -> principal
    stack). Principals that are neither a role nor a user raise with what to do.
    """
    if getattr(principal, "node", None) is None or cdk.Stack.of(principal) is cdk.Stack.of(store):  # type: ignore[arg-type]
        return None
    stack = cdk.Stack.of(store)
    cid = f"Grantee{cdk.Names.unique_id(principal)}"  # type: ignore[arg-type]
    existing = stack.node.try_find_child(cid)
    if existing is not None:
        return existing  # type: ignore[return-value]
    role_arn, user_arn = getattr(principal, "role_arn", None), getattr(principal, "user_arn", None)
    if role_arn:
        return iam.Role.from_role_arn(stack, cid, role_arn)
    if user_arn:
        return iam.User.from_user_arn(stack, cid, user_arn)
    raise ValueError(
        f"{store.node.path}: the grantee {principal.node.path} lives in another stack than the "  # type: ignore[attr-defined]
        "store and is not an IAM role or user: its grant would make a cyclic cross-stack reference. Grant a role or "
        "user, imported in the store's stack (iam.Role.from_role_arn / User.from_user_arn)."
    )


#: A service-linked role a wiring resource names by a token of another stack than the key's.
_UNNAMEABLE = "<a token of another stack>"

#: The CloudFormation types with a key slot (the catalogue's): the native walk looks at these only.
_KEY_SLOT_TYPES: list[str] = sorted(catalogue.CATALOGUE)
#: The CloudFormation types that wire a service to a store (the wiring table's sources).
_WIRING_SOURCE_TYPES: list[str] = sorted(wiring.SOURCE_TYPES)


def _l1_name(name: str) -> str:
    """A CloudFormation property name as the L1 holds it (the native walk reads the L1's own
    properties, first letter lowered): the CDK writes a run of capitals as one word
    (DAX's ``NotificationTopicARN`` is ``notificationTopicArn``)."""
    return re.sub(r"[A-Z]{2,}(?=[A-Z][a-z]|$)", lambda m: m[0][0] + m[0][1:].lower(), name)


#: The wiring properties the native walk looks for: the template's names and the L1's.
_WIRING_PROPERTIES: list[str] = sorted(
    {*wiring.SOURCE_PROPERTIES, *map(_l1_name, wiring.SOURCE_PROPERTIES)}
)


@jsii.implements(cdk.IStableAnyProducer)
class _KeyPolicyProducer:
    """The key policy, completed with the contract rows of the stores on the key when first
    produced (one Python callback per resolution of the key, never per construct)."""

    def __init__(self, owner: StoreAccess, cfn_key: cdk.CfnResource) -> None:
        self._owner = owner
        self._cfn_key = cfn_key

    def produce(self) -> Any:
        self._owner._write_contracts(self._cfn_key)
        return self._owner._policy


if TYPE_CHECKING:
    _Mixin = Construct  # the store methods are mixed into constructs
else:
    _Mixin = object


class StoreAccess(Publishers):
    """Base of :class:`~cdk_partition.constructs.stores.StoreFactories` (a mixin of
    :class:`~cdk_partition.DataDomain`): store grants, service publishers and the key-policy
    wiring the stores' services need."""

    #: The key every store of the domain is encrypted with.
    key: kms.IKey
    #: The principal CloudFormation uses to create the domain's stores and key.
    deployment_role: iam.IPrincipal
    _policy: iam.PolicyDocument

    if TYPE_CHECKING:  # defined by DataDomain and DomainReference

        def grant_read(self, principal: iam.IPrincipal | iam.IGrantable) -> None: ...

        def grant_write(self, principal: iam.IPrincipal | iam.IGrantable) -> None: ...

    # -- key-policy wiring the services need ----------------------------------------------
    def _add_service_statement(self, statement: iam.PolicyStatement) -> None:
        """Add a statement the library wrote from a contract row to the key policy as is."""
        sids: set[str] = self.__dict__.setdefault("_service_sids", set())
        if statement.sid not in sids:
            sids.add(statement.sid or "")
            self._policy.add_statements(statement)

    def _follow_stores(self, cfn_key: kms.CfnKey | kms.CfnReplicaKey) -> None:
        """Make the key policy of ``cfn_key`` (which holds :attr:`_policy`) a ``Lazy`` that, when
        first resolved (at synth, after aspects, once per key), finds every resource of the app
        whose key slot names this key and writes the contract rows of its CloudFormation type
        (:func:`_write_contracts`): the stores however they were made."""
        cfn_key.key_policy = cdk.Lazy.any(_KeyPolicyProducer(self, cfn_key))  # type: ignore[attr-defined]

    def _cdk_service_statement(self, services: list[str], statement: iam.PolicyStatement) -> None:
        """Keep a service statement an L2 wrote on the key until the policy is produced."""
        self.__dict__.setdefault("_cdk_service_statements", []).append((services, statement))

    def _write_cdk_service_statements(self) -> None:
        """The service statements L2s wrote, but one the app's ``allow_service`` statements for
        that service cover (every request it allows, they allow: decided by the prover): the
        declared statement, with its AWS page, replaces it. A declaration for another need of the
        service (flow logs beside a state machine's log delivery) leaves it in place, unless it
        was made with ``replace_cdk_statements=True``."""
        declared = self.__dict__.get("_door_statements", [])
        replaced = self.__dict__.get("_door_replaces", set())
        stack = cdk.Stack.of(self)
        env = Environment(*(None if cdk.Token.is_unresolved(v) else v
                            for v in (stack.account, stack.region)))  # fmt: skip
        for services, statement in self.__dict__.get("_cdk_service_statements", []):
            if replaced.issuperset(services):
                continue
            theirs = [d for d in declared if d[0] in services]
            if not theirs or not key_policy.covered(
                stack.resolve(statement.to_statement_json()),
                [stack.resolve(d[1].to_statement_json()) for d in theirs],
                env,
            ):
                self._policy.add_statements(statement)

    def _write_contracts(self, cfn_key: cdk.CfnResource) -> None:
        """Write the key-policy statements the contract rows of every CloudFormation type on
        this key need (:func:`cdk_partition.knowledge.contracts.rows_for_type`): the deployment
        role through the type's services (``AllowGrantsForAWSResources``,
        ``AllowDeploymentViaServices``), the EC2 infrastructure role past ``DenyEveryoneElse``,
        the CloudWatch Logs service principal for the log groups on the key. Once per key: the
        statements freeze when the policy is resolved."""
        if self.__dict__.get("_contracts_written"):
            return
        self.__dict__["_contracts_written"] = True
        self._write_cdk_service_statements()
        self._refuse_cyclic_grants(cfn_key)
        # the key by reference, or by its alias's literal name (`kms.Alias.from_alias_name(...,
        # "alias/orders")`: the store is on the key all the same)
        name = getattr(self, "domain_name", None)  # a DataDomain's; its alias is alias/<name>
        primary = cfn_key.cfn_resource_type == "AWS::KMS::Key"
        aliases = [f"alias/{name}"] if isinstance(name, str) and primary else []
        found = KeyUsers.find(cfn_key, _KEY_SLOT_TYPES, aliases)
        stores = contracts.stores_on_key(json.loads(found), KEY_SENTINEL)
        by_type: dict[str, list[Any]] = {}
        for _, cfn_type, properties in stores:
            by_type.setdefault(cfn_type, []).append(properties)
        for cfn_type, resources in by_type.items():
            self._apply_type(cfn_type, resources)
        self._follow_wiring(cfn_key, {path: cfn_type for path, cfn_type, _ in stores})

    def _follow_wiring(self, cfn_key: cdk.CfnResource, stores: dict[str, str]) -> None:
        """The statements of the services the app wires to the stores on the key
        (:data:`cdk_partition.knowledge.wiring.WIRING`), found in any stack of the app by the
        native :meth:`KeyReferrers.find`: an alarm whose action is a topic on the key, a rule
        or a subscription delivering into a queue on the key (or using it as dead-letter queue),
        a bucket notifying one or logging into a bucket on the key (``AllowPublisher<Service>``,
        account-scoped as :meth:`allow_service_publisher` writes it, never by the ARN token of a
        resource that depends on the key: a cycle), an Auto Scaling group launching a template
        on the key (EC2 Auto Scaling's service-linked role)."""
        found = json.loads(KeyReferrers.find(cfn_key, sorted(stores), _WIRING_SOURCE_TYPES,
                                             _WIRING_PROPERTIES))  # fmt: skip
        table = {(w.source_type, w.what, w.store_type): w.contract for w in wiring.WIRING}
        for item in found:
            if "error" in item:
                continue  # the audit's CDKP021 holds the key policy against the template
            resource = {"Type": item.get("type"), "Properties": item.get("properties")}
            for what, value in wiring.named(resource):
                text = json.dumps(value)
                for path, store_type in stores.items():
                    if STORE_SENTINEL + path not in text:
                        continue
                    contract = table.get((str(item.get("type")), what, store_type))
                    if contract is None:
                        continue
                    source = self._foreign_source_of(item)
                    if source is not None:  # another account's source: its ARN, exactly
                        self._allow_wired_source(contract, source)
                    elif (role := self._linked_role_of(item)) is not _UNNAMEABLE:
                        self._allow_wired(contract, role)

    def _account(self) -> str | None:
        """The stack's account, None when environment-agnostic."""
        account = cdk.Stack.of(self).account
        return None if cdk.Token.is_unresolved(account) else account

    def _linked_role_of(self, item: dict[str, Any]) -> str | None:
        """The service-linked role a wiring resource (``item`` of :meth:`KeyReferrers.find`)
        names instead of its service's default (an Auto Scaling group's
        ``ServiceLinkedRoleARN``: :data:`cdk_partition.knowledge.wiring.LINKED_ROLE_PROPERTIES`),
        as the construct holds it (a literal, or a token of the key's own stack); None for the
        default; :data:`_UNNAMEABLE` for a token of another stack, which the key policy cannot
        name without a dependency cycle (the audit's CDKP021 then prints the call with the
        role's ARN)."""
        prop = wiring.LINKED_ROLE_PROPERTIES.get(str(item.get("type")))
        construct = construct_at(self.node.root, str(item.get("path", "")))
        if prop is None or not isinstance(construct, cdk.CfnResource):
            return None
        value = getattr(construct, _snake(_l1_name(prop)), None)
        given = (item.get("properties") or {}).get(prop)  # as deployed: overrides win
        home = cdk.Stack.of(construct)
        overridden = given is not None and (
            value is None or json.dumps(home.resolve(value)) != json.dumps(given)
        )
        if overridden:  # an escape-hatch override sets the role (over the L1 attribute too)
            return self._overridden_role(given)
        if not isinstance(value, str):
            return None
        if cdk.Token.is_unresolved(value) and home is not cdk.Stack.of(self):
            text = json.dumps(home.resolve(value))
            if re.search(r'"(Fn::GetAtt|Fn::ImportValue)"|"Ref": "(?!AWS::)', text):
                return _UNNAMEABLE  # a resource of its own stack: a reference back to it
        return value

    @staticmethod
    def _overridden_role(given: Any) -> str | None:
        """The role an escape-hatch override (``add_property_override``) gives as the template
        holds it: a literal, or pseudo parameters only (``Fn::Sub`` of ``${AWS::AccountId}``),
        which the key's template writes the same way; :data:`_UNNAMEABLE` for any other
        reference (the audit's CDKP021 then prints the call with the role's literal ARN)."""
        if isinstance(given, str):
            return given
        text = json.dumps(given)
        if re.search(r'"(Fn::GetAtt|Fn::ImportValue)"|"Ref": "(?!AWS::)', text) or re.search(
            r"\$\{(?!AWS::)", text
        ):
            return _UNNAMEABLE
        return cdk.Token.as_string(given)

    def _foreign_source_of(self, item: dict[str, Any]) -> str | None:
        """The source ARN of another account a wiring resource (``item`` of
        :meth:`KeyReferrers.find`) delivers for (:func:`cdk_partition.knowledge.wiring
        .foreign_source`), as the construct holds it: a literal, or a token of pseudo parameters
        (``Stack.format_arn(account=...)``), which the key's template then resolves the same
        way. None when its source is this account's (or none)."""
        prop = wiring.SOURCE_ARN_PROPERTIES.get(str(item.get("type")))
        construct = construct_at(self.node.root, str(item.get("path", "")))
        if prop is None or not isinstance(construct, cdk.CfnResource):
            return None
        value = getattr(construct, _snake(prop), None)
        if not isinstance(value, str):
            return None
        resolved = cdk.Stack.of(construct).resolve(value)
        found = wiring.foreign_source(
            {"Type": item.get("type"), "Properties": {prop: resolved}}, self._account(),
            canonicalize,
        )  # fmt: skip
        return value if found is not None else None

    def _note_cross_stack_grant(self, principal: Any, call: str, store_stack: cdk.Stack) -> None:
        """Remember ``call`` (how the app named ``principal``) when ``principal`` is a construct
        of another stack than the key's: :meth:`_refuse_cyclic_grants` checks it at synth."""
        node = getattr(principal, "node", None)
        if node is None or node.scope is None:
            return  # an imported principal with no construct of its own, or a plain ARN
        principal_stack = cdk.Stack.of(principal)
        if principal_stack is cdk.Stack.of(self) or principal_stack.node.path == "":
            return
        self.__dict__.setdefault("_cross_stack_grants", []).append(
            (principal_stack, call, store_stack)
        )

    def _refuse_cyclic_grants(self, cfn_key: cdk.CfnResource) -> None:
        """Raise, before the CDK's bare ``DependencyCycle``, when a principal given a store
        grant from another stack lives in a stack that deploys after the key's or the store's
        stack, directly (a token of one of its resources) or through other stacks (references
        and ``add_dependency``, :func:`deploys_after`): the key policy names the principal (the
        key's stack deploys after it) while its stack deploys after the store: no order deploys
        both."""
        grants = self.__dict__.get("_cross_stack_grants", [])
        refuse_cyclic_grants(f"{path_of(self)}", str(self), grants, cdk.Stack.of(cfn_key))

    def _apply_type(self, cfn_type: str, resources: list[Any]) -> None:
        """The statements the contract rows of ``cfn_type`` need, for ``resources`` (their
        resolved properties) on the key."""
        for service in contracts.via_services_for_type(cfn_type, resources):
            self._allow_via(service)
        rows = contracts.rows_for_type(cfn_type, properties=resources)
        if any(r.caller == "infrastructure_role" for r in rows):
            self._allow_ebs_infrastructure()
        if cfn_type == "AWS::Logs::LogGroup":
            for properties in resources:
                name = properties.get("LogGroupName") if isinstance(properties, dict) else None
                self._allow_logs(name if isinstance(name, str) else None)
        if cfn_type == "AWS::Events::EventBus":
            names = [p.get("Name") if isinstance(p, dict) else None for p in resources]
            self._allow_event_buses([n if isinstance(n, str) else None for n in names])
        stack, seen = cdk.Stack.of(self), dict[tuple[str, str], int]()
        for row in rows:
            if row.store in contract_shapes.WRITTEN_APART or not contract_shapes.auto_written(row):
                continue
            index = seen[row.store, row.principal] = seen.get((row.store, row.principal), -1) + 1
            for statement in contract_service_statements(row, index, stack):
                self._add_service_statement(statement)
        direct = self.__dict__.get("_direct_types", set())
        if cfn_type in direct or cfn_type in contract_shapes.DOORS_WRITTEN:
            self._allow_deployment_direct(cfn_type)

    def _allow_deployment_direct(self, cfn_type: str) -> None:
        """``AllowDeploymentDirect<Store>``: the requests of ``cfn_type``'s rows the app accepted
        with :meth:`allow_deployment_requests`."""
        rows = contract_shapes.door_rows(cfn_type)
        arn = key_policy.principal_arn(
            self.deployment_role, capability=f"{path_of(self)} ({self}), deployment_role="
        )
        stack = cdk.Stack.of(self)
        for statement in deployment_direct_statements(rows[0].store, rows, arn, stack):
            self._add_service_statement(statement)
        self._exempt_from_deny(arn)

    def _allow_event_buses(self, names: list[str | None]) -> None:
        """``AllowEventBridgeEventBuses``: EventBridge may use the key for the event buses
        ``names`` (None: a name the template decides at deploy time, any bus of the account in
        the region), with the actions of the ``event_bus`` contract rows, scoped by
        ``aws:SourceAccount``, ``aws:SourceArn`` and ``kms:EncryptionContext:aws:events:
        event-bus:arn`` as AWS advises ("Authorizing EventBridge to use a customer managed key",
        Amazon EventBridge User Guide,
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html).
        The same statement whatever put the bus on the key (``domain.event_bus``, the mixin, an
        L1 given the key ARN)."""
        stack = cdk.Stack.of(self)
        arns = [
            stack.format_arn(service="events", resource="event-bus", resource_name=name or "*")
            for name in dict.fromkeys(names)
        ]
        rows = [r for r in contracts.rows_for("event_bus") if r.caller == "service_principal"]
        actions = list(dict.fromkeys(a for r in rows if r.context for a in r.actions))
        bare = list(dict.fromkeys(a for r in rows if not r.context for a in r.actions))
        if bare:  # DescribeKey: no encryption context to scope it by, as AWS writes it
            self._add_service_statement(
                key_policy.publisher_statement(
                    EVENTS_DESCRIBE_SID, "events.amazonaws.com", bare, {}
                )
            )
        operator = "StringEquals" if all(names) else "ArnLike"
        conditions: dict[str, Any] = {
            "StringEquals": {"aws:SourceAccount": stack.account},
        }
        conditions.setdefault(operator, {}).update(
            {"aws:SourceArn": arns, "kms:EncryptionContext:aws:events:event-bus:arn": arns}
        )
        statement = key_policy.publisher_statement(
            "AllowEventBridgeEventBuses", "events.amazonaws.com", actions, conditions
        )
        self._add_service_statement(statement)

    def _allow_logs(self, name: str | None) -> None:
        """``AllowLogsService``: the regional Logs service principal may use the key for the log
        group ``name`` (by ``kms:EncryptionContext:aws:logs:arn``; None: the account's log
        groups in the region)."""
        stack = cdk.Stack.of(self)
        pattern = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=name or "*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        names: set[str] = self.__dict__.setdefault("_log_group_names", set())
        if (name or "*") in names:
            return
        names.add(name or "*")
        patterns: list[str] = self.__dict__.setdefault("_log_group_patterns", [])
        patterns.append(pattern)
        statement = self.__dict__.get("_logs_statement")
        if statement is None:
            service = f"logs.{stack.region}.amazonaws.com"
            statement = key_policy.logs_service_statement(service, patterns)
            self.__dict__["_logs_statement"] = statement
            self._add_service_statement(statement)
        else:  # one statement for all the domain's log groups; the condition lists each
            statement.add_condition(
                "ArnLike", {"kms:EncryptionContext:aws:logs:arn": list(patterns)}
            )

    def _allow_store_role(self, integration: str, role: iam.IRole) -> None:
        """Name a role the CDK created for a store (a Firehose delivery role, an S3 replication
        role) in the key policy, with exactly the actions of its contract row, through the
        row's service only (``kms:ViaService``); ``DenyEveryoneElse`` then lets it through."""
        actions, service = contracts.STORE_ROLE_VIA[integration]
        region = cdk.Stack.of(self).region
        # one statement per contract row: a role gets exactly its row's actions
        sid = STORE_ROLES_SID_PREFIX + "".join(p.capitalize() for p in integration.split("_"))
        statements: dict[str, iam.PolicyStatement] = self.__dict__.setdefault("_store_roles", {})
        statement = statements.get(sid)
        if statement is None:
            statement = iam.PolicyStatement(
                sid=sid,
                effect=iam.Effect.ALLOW,
                principals=[iam.ArnPrincipal(role.role_arn)],
                actions=list(actions),
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}
                },
            )
            statements[sid] = statement
            self._add_service_statement(statement)
        else:
            statement.add_arn_principal(role.role_arn)
        self._exempt_from_deny(role.role_arn)

    def _exempt_from_deny(self, arn: str) -> None:
        raise NotImplementedError  # DataDomain

    def _multi_region_key_arns(self, what: str, regions: list[Any]) -> dict[str, str] | None:
        """Region -> the ARN of this multi-Region domain's key there, for ``regions``; None for a
        single-Region domain. Raises for a region where the domain has no key.

        AWS CloudFormation Template Reference, "AWS::KMS::ReplicaKey"
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-replicakey.html):
        a replica key "has the same key ID and key material as a multi-Region primary key", so
        the key of region R is ``arn:<partition>:kms:R:<account>:key/<the primary's key id>``.
        """
        spans: tuple[str, ...] = getattr(self, "replica_regions", ())
        if not spans:
            return None
        stack = cdk.Stack.of(self)
        primary = getattr(self, "domain", self)  # a DomainReplica's domain, or the DataDomain
        own = getattr(self, "region", stack.region)
        key_regions = {cdk.Stack.of(primary).region, *spans} - {own}
        key_id = self.cfn_key.attr_key_id if primary is not self else self.key.key_id  # type: ignore[attr-defined]
        out: dict[str, str] = {}
        for region in regions:
            if region is None or region in out:
                continue
            if region not in key_regions:
                raise ValueError(
                    f"{what} of {self}: a replica in {region}, where the domain has no key (its "
                    f"regions: {sorted(key_regions | {own})}). Add {region!r} to the DataDomain's "
                    "replica_regions and create its replica key there (domain.replica(...)), or "
                    "drop the replica."
                )
            out[region] = cdk.Arn.format(
                cdk.ArnComponents(
                    service="kms", region=region, resource="key", resource_name=key_id
                ),
                stack,
            )
        return out

    def _allow_ebs_infrastructure(self) -> None:
        raise NotImplementedError  # DataDomain

    def _allow_via(self, service: str) -> None:
        """Let the deployment role use the key through ``service`` (and attach-grants)."""
        services: list[str] = self.__dict__.setdefault("_via_services", [])
        region = cdk.Stack.of(self).region
        name = f"{service}.{region}.amazonaws.com"
        if name in services:
            return
        services.append(name)
        arn = key_policy.principal_arn(
            self.deployment_role, capability=f"{path_of(self)} ({self}), deployment_role="
        )
        if len(services) == 1:
            grants = key_policy.attach_grant_statement([arn], services)
            via = key_policy.via_service_statement([arn], services)
            self.__dict__["_via_statements"] = (grants, via)
            self._add_service_statement(grants)
            self._add_service_statement(via)
        else:
            for statement in self.__dict__["_via_statements"]:
                statement.add_condition("StringEquals", {"kms:ViaService": list(services)})

    # -- store-level access in one call ------------------------------------------------------
    def grant_store_read(self, store: Any, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read ``store``: the domain's read capability (key policy) plus the
        store's own read grant (the L2's ``grant_read``, ``grant_consume_messages``, ... from
        :data:`STORE_GRANTS`), which is returned.

        A role or user defined in another stack is imported into the store's stack first, so
        the store grant becomes an ``iam.Policy`` of that stack attached to it by name: no
        cyclic cross-stack reference (the key policy already makes the store's stack depend on
        the principal's). Other principals of another stack raise with what to do.
        """
        return self._grant_store(store, grantee, write=False)

    def grant_store_write(self, store: Any, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` write ``store``: the domain's write capability plus the store's own
        write grant (returned); cross-stack principals as in :meth:`grant_store_read`.

        For queues, topics and streams, whose producers need ``kms:Decrypt`` too (AWS documents
        it for SQS, SNS and Kinesis producers), the read capability is granted as well: the
        read/write split bends there, on purpose. A bucket writer stays write-only: single
        ``PutObject`` calls work, multipart uploads need ``kms:Decrypt`` (give it read too).
        """
        return self._grant_store(store, grantee, write=True)

    def _grant_store(self, store: Any, grantee: iam.IGrantable, *, write: bool) -> iam.Grant:
        methods = next((m for t, m in STORE_GRANTS.items() if isinstance(store, t)), None)
        if methods is None:
            known = ", ".join(sorted(t.__name__ for t in STORE_GRANTS))
            raise ValueError(
                f"{path_of(self)}: grant_store_{'write' if write else 'read'}(store=...) got "
                f"{render(store)}, a {type(store).__name__}, which has no store grant; known: "
                f"{known}. Grant the domain capability with grant_read/grant_write and the "
                "store's own grant yourself."
            )
        principal = grantee.grant_principal
        store_grantee = _grantee_in_stack_of(store, principal)
        if store_grantee is not None:
            grantee = store_grantee
            # checked at synth, once every reference is written (_refuse_cyclic_grants)
            self._note_cross_stack_grant(
                principal,
                f"grant_store_{'write' if write else 'read'}({store.node.path}, "
                f"{principal.node.path})",  # type: ignore[attr-defined]
                cdk.Stack.of(store),
            )
        if write:
            self.grant_write(principal)
            if isinstance(store, PRODUCERS_NEED_DECRYPT):
                self.grant_read(principal)
        else:
            self.grant_read(principal)
        method = getattr(store, methods[1] if write else methods[0])
        return method(grantee)

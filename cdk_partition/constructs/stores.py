"""Store factories: ``DataDomain`` methods that create CDK L2 stores on the domain key.

Each method takes the L2's own keyword props, forces the domain key, refuses conflicting
encryption settings (it never silently overrides them) and returns the normal L2 object. Methods
whose service needs the key policy's help add a scoped statement with a stable Sid (see
:mod:`cdk_partition.constructs.key_policy`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_docdb as docdb
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_efs as efs
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ..knowledge import contracts
from ..knowledge.capabilities import AUTO_SCALING_SID, PUBLISHER_SID_PREFIX, STORE_ROLES_SID_PREFIX
from ..marks import REPLICA_KEYS_METADATA_KEY, Environment, parse_key_text
from . import _signatures, key_policy
from ._messages import path_of, render

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms


class ConflictingEncryptionError(ValueError):
    """A store method was given an encryption setting other than the domain key.

    :ivar path: the construct path of the store (the one it would have had, when refused).
    :ivar prop: the keyword argument at fault (``encryption``, ``encryption_key``...).
    """

    def __init__(self, message: str, *, path: str = "", prop: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.prop = prop


def _store_at(domain: Any, kind: str) -> tuple[str, str]:
    """(construct path, method) of the store ``kind`` names: ``"bucket Raw"`` -> the path
    ``Raw`` has (or will have) under the domain, and ``domain.bucket``."""
    method, _, id = kind.partition(" ")
    return (path_of(domain, id) if id else path_of(domain)), f"domain.{method}"


_UNSET = object()

_P = ParamSpec("_P")
_S = TypeVar("_S")
_R = TypeVar("_R")


def _props_of(
    l2: Callable[Concatenate[Construct, str, _P], object],
) -> Callable[[Callable[Concatenate[_S, str, ...], _R]], Callable[Concatenate[_S, str, _P], _R]]:
    """Type a store method ``(self, id, **props)`` with the keyword props of ``l2``, the L2 class
    it creates: type checkers and IDEs see the installed aws-cdk-lib's own parameters (a
    misspelt or mistyped prop is an error). At run time the method is unchanged."""

    def typed(
        method: Callable[Concatenate[_S, str, ...], _R],
    ) -> Callable[Concatenate[_S, str, _P], _R]:
        vars(method)["__l2__"] = l2
        return method

    return typed


def _args_of(
    factory: Callable[_P, object],
) -> Callable[[Callable[Concatenate[_S, ...], _R]], Callable[Concatenate[_S, _P], _R]]:
    """Type a method ``(self, *args, **options)`` with the parameters of ``factory`` (a CDK
    static factory such as ``ec2.BlockDeviceVolume.ebs``)."""

    def typed(method: Callable[Concatenate[_S, ...], _R]) -> Callable[Concatenate[_S, _P], _R]:
        vars(method)["__l2__"] = factory
        return method

    return typed


def _signature(
    stub: Callable[Concatenate[Any, _P], _R],
) -> Callable[[Callable[Concatenate[_S, ...], _R]], Callable[Concatenate[_S, _P], _R]]:
    """Type a store method that has keyword arguments of its own with its generated signature in
    :mod:`cdk_partition.constructs._signatures` (its own keyword arguments, then its L2's props; see
    ``tools/gen_signatures.py``)."""

    def typed(method: Callable[Concatenate[_S, ...], _R]) -> Callable[Concatenate[_S, _P], _R]:
        vars(method)["__signature_stub__"] = stub
        return method

    return typed


def _take_encryption(
    domain: Any,
    kind: str,
    props: dict[str, Any],
    *,
    key_prop: str | None,
    mode_prop: str | None = None,
    mode_value: Any = _UNSET,
    within: str | None = None,
) -> None:
    """Set ``props[key_prop]`` to the domain key and ``props[mode_prop]`` to ``mode_value``,
    refusing any value the caller gave that differs (never overriding it silently).

    ``kind`` is ``"<method> <store id>"``; ``within`` the struct prop holding ``props`` (errors
    name ``encryption_at_rest.kms_key``)."""
    key: kms.IKey = domain.key
    path, method = _store_at(domain, kind)
    prefix = f"{within}." if within else ""
    if key_prop is not None:
        given_key = props.get(key_prop)
        if given_key is not None and given_key is not key:
            raise ConflictingEncryptionError(
                f"{path}: {method}(..., {prefix}{key_prop}={render(given_key)}) names another "
                f"key than the key of {domain} ({path_of(key)}). Stores of a domain are encrypted "
                f"with the domain key; drop {prefix}{key_prop}= (the method sets it).",
                path=path,
                prop=prefix + key_prop,
            )
        props[key_prop] = key
    if mode_prop is not None:
        given_mode = props.get(mode_prop)
        if given_mode is not None and given_mode != mode_value:
            raise ConflictingEncryptionError(
                f"{path}: {method}(..., {prefix}{mode_prop}={render(given_mode)}) conflicts with "
                f"the key of {domain}, which needs {prefix}{mode_prop}={render(mode_value)}. Drop "
                f"{prefix}{mode_prop}= (the method sets it).",
                path=path,
                prop=prefix + mode_prop,
            )
        props[mode_prop] = mode_value


def _refuse(domain: Any, kind: str, props: dict[str, Any], prop: str, what: str) -> None:
    """Refuse a prop the method must build itself from the domain key."""
    if props.get(prop) is not None:
        path, method = _store_at(domain, kind)
        raise ConflictingEncryptionError(
            f"{path}: {method}(..., {prop}={render(props[prop])}): {prop}= is set by the method "
            f"({what} of {domain}); drop it.",
            path=path,
            prop=prop,
        )


def _take_nested(
    domain: Any,
    kind: str,
    props: dict[str, Any],
    prop: str,
    struct: type,
    *,
    key_prop: str | None,
    mode_prop: str | None = None,
    mode_value: Any = _UNSET,
) -> None:
    """:func:`_take_encryption` for a key inside a struct prop, e.g. OpenSearch's
    ``encryption_at_rest=EncryptionAtRestOptions(enabled=..., kms_key=...)``: the struct the
    caller gave (or none) is checked field by field and rebuilt with the domain key."""
    given = props.get(prop)
    fields: dict[str, Any] = (
        dict(given if isinstance(given, dict) else given._values) if given else {}
    )
    _take_encryption(
        domain, kind, fields, key_prop=key_prop, mode_prop=mode_prop, mode_value=mode_value,
        within=prop,
    )  # fmt: skip
    props[prop] = struct(**fields)


#: Store type -> (its L2 method that grants reading, the one that grants writing). One table, read
#: by :meth:`StoreFactories.grant_store_read` / :meth:`StoreFactories.grant_store_write`.
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


if TYPE_CHECKING:
    _Mixin = Construct  # the store methods are mixed into constructs
else:
    _Mixin = object


def _wrong_replica_key(arn: Any, region: str, account: str) -> str | None:
    """Why ``arn`` cannot be a domain's key for a global table replica in ``region`` (a literal
    that is not a key ARN, of another region or of another account than ``account``), else None;
    tokens are left to the checks. DynamoDB wants a key "created in the same region as the
    replica" (AWS CloudFormation, "AWS::DynamoDB::GlobalTable ReplicaSSESpecification",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-replicassespecification.html)."""
    if not isinstance(arn, str) or cdk.Token.is_unresolved(arn):
        return None
    key = parse_key_text(arn, Environment()) if arn.startswith("arn:") else None
    if key is None or key.kind != "key":
        return "is not a KMS key ARN (an alias or key id does not identify one key)"
    if key.region != region:
        return f"is a key of {key.region}"
    if not cdk.Token.is_unresolved(account) and key.account != account:
        return f"is a key of account {key.account}, not the domain's {account}"
    return None


def _publisher_sid(service: str) -> str:
    return PUBLISHER_SID_PREFIX + "".join(p.capitalize() for p in service.split(".")[0].split("-"))


class StoreFactories(_Mixin):
    """Mixin of :class:`~cdk_partition.DataDomain`: one method per kind of store."""

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

    def _apply_contract(self, store: str) -> None:
        """Write the key-policy statements the contract rows of ``store`` need at create time
        (:data:`cdk_partition.knowledge.contracts.CREATE_VIA_SERVICES`)."""
        for service in contracts.CREATE_VIA_SERVICES.get(store, ()):
            self._allow_via(service)

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
        if write:
            self.grant_write(principal)
            if isinstance(store, PRODUCERS_NEED_DECRYPT):
                self.grant_read(principal)
        else:
            self.grant_read(principal)
        method = getattr(store, methods[1] if write else methods[0])
        return method(grantee)

    def allow_service_publisher(self, service: str, *, source_arn: str | None = None) -> None:
        """Let an AWS service deliver into the domain's encrypted queues or topics (S3 event
        notifications, SNS subscriptions, EventBridge rules), as its service contract says
        (:data:`cdk_partition.knowledge.contracts.SERVICE_PUBLISHERS`).

        The CDK's own wiring (``bucket.add_event_notification(..., SqsDestination(queue))``,
        ``topic.add_subscription(SqsSubscription(queue))``, ``rule.add_target(SnsTopic(topic))``)
        already calls this for you: the statement it would add is rewritten into the contract's.

        Adds ``AllowPublisher<Service>``: the contract's actions (``kms:GenerateDataKey``,
        ``kms:Decrypt``) for the service principal, with ``aws:SourceAccount`` = this account
        where the contract supports it. For EventBridge it stays unconditioned: AWS documents that
        the source keys are not supported for EventBridge delivering to an encrypted SNS topic.

        :param source_arn: narrow the service to one source (a literal ARN or pattern such as
            ``arn:aws:s3:::orders-uploads-*``) in a statement of its own
            (``AllowPublisher<Service>Sources``). Not the ARN token of a domain store: the key
            would depend on a store that depends on the key (a cycle). Refused for a service
            whose contract does not support source conditions. Default: the account scope only.
        :raises ValueError: for a service with no publisher contract, or a ``source_arn`` the
            service's contract cannot carry.
        """
        publisher = contracts.SERVICE_PUBLISHERS.get(service)
        if publisher is None:
            known = ", ".join(sorted(contracts.SERVICE_PUBLISHERS))
            raise ValueError(
                f"{path_of(self)}: allow_service_publisher(service={service!r}) of {self}: no "
                "service contract for it "
                f"(known: {known}). Add the statement with add_to_key_policy if AWS documents it."
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

    # -- stores ------------------------------------------------------------------------------
    @_props_of(s3.Bucket)
    def bucket(self, id: str, **props: Any) -> s3.Bucket:
        """An S3 bucket on the domain key (``s3.BucketProps`` pass through).

        Defaults: bucket key enabled, SSL enforced, public access blocked, and a bucket policy
        that denies ``s3:PutObject`` asking for another encryption, naming another key (give the
        key ARN, not its id or alias), or asking for ``aws:kms`` without a key (S3 would use
        ``aws/s3``). Puts without encryption headers get the domain key. Removal policy as CDK's
        default (RETAIN).
        """
        _take_encryption(
            self, f"bucket {id}", props, key_prop="encryption_key", mode_prop="encryption",
            mode_value=s3.BucketEncryption.KMS,
        )  # fmt: skip
        props.setdefault("bucket_key_enabled", True)
        props.setdefault("enforce_ssl", True)
        props.setdefault("block_public_access", s3.BlockPublicAccess.BLOCK_ALL)
        bucket = s3.Bucket(self, id, **props)  # type: ignore[arg-type]
        if props.get("replication_rules"):
            # the replication role reads the source objects and writes the replicas through S3
            role = props.get("replication_role") or bucket.node.try_find_child("ReplicationRole")
            if role is not None and getattr(role, "role_arn", None):
                self._allow_store_role("bucket_replication", cast(iam.IRole, role))
        # A put without encryption headers gets the bucket default (the domain key) and carries
        # no header, so each deny needs its header present (Null false): a negated operator on
        # an absent key is true and would deny every default-encrypted put.
        enc = "s3:x-amz-server-side-encryption"
        key_id = "s3:x-amz-server-side-encryption-aws-kms-key-id"
        for sid, conditions in (
            # SSE-S3 or DSSE asked for explicitly
            ("DenyOtherEncryption", {"StringNotEquals": {enc: "aws:kms"}, "Null": {enc: "false"}}),
            # another KMS key named
            ("DenyOtherKeys", {"StringNotEquals": {key_id: self.key.key_arn}, "Null": {key_id: "false"}}),
            # aws:kms without a key id: S3 would use the AWS managed key aws/s3
            ("DenyManagedKeyFallback", {"StringEquals": {enc: "aws:kms"}, "Null": {key_id: "true"}}),
        ):  # fmt: skip
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[bucket.arn_for_objects("*")],
                    conditions=conditions,
                )
            )
        return bucket

    @_signature(_signatures.queue)
    def queue(
        self, id: str, *, dead_letter_max_receive_count: int | None = None, **props: Any
    ) -> sqs.Queue:
        """An SQS queue on the domain key (``sqs.QueueProps`` pass through).

        :param dead_letter_max_receive_count: when set, also create a dead-letter queue
            (``<id>DeadLetter``) on the domain key and redrive to it after that many receives.
            A ``dead_letter_queue=`` you pass must itself be on the domain key.
            Default: no dead-letter queue.
        """
        _take_encryption(
            self, f"queue {id}", props, key_prop="encryption_master_key", mode_prop="encryption",
            mode_value=sqs.QueueEncryption.KMS,
        )  # fmt: skip
        props.setdefault("enforce_ssl", True)
        given = props.get("dead_letter_queue")
        if given is not None and dead_letter_max_receive_count is not None:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.queue(...) got dead_letter_queue= and "
                "dead_letter_max_receive_count=; pass one of them, not both.",
                path=path_of(self, id),
                prop="dead_letter_queue",
            )
        if given is not None and given.queue.encryption_master_key is not self.key:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.queue(..., dead_letter_queue=) names the queue "
                f"{path_of(given.queue)}, which is not on the key of {self}; create it with "
                "domain.queue(...) or use dead_letter_max_receive_count=.",
                path=path_of(self, id),
                prop="dead_letter_queue",
            )
        if dead_letter_max_receive_count is not None:
            dlq = self.queue(f"{id}DeadLetter", retention_period=cdk.Duration.days(14))
            props["dead_letter_queue"] = sqs.DeadLetterQueue(
                queue=dlq, max_receive_count=dead_letter_max_receive_count
            )
        return sqs.Queue(self, id, **props)  # type: ignore[arg-type]

    @_props_of(sns.Topic)
    def topic(self, id: str, **props: Any) -> sns.Topic:
        """An SNS topic on the domain key (``sns.TopicProps`` pass through)."""
        _take_encryption(self, f"topic {id}", props, key_prop="master_key")
        props.setdefault("enforce_ssl", True)
        return sns.Topic(self, id, **props)  # type: ignore[arg-type]

    @_props_of(dynamodb.Table)
    def table(self, id: str, **props: Any) -> dynamodb.Table:
        """A DynamoDB table on the domain key (``dynamodb.TableProps`` pass through)."""
        _take_encryption(
            self, f"table {id}", props, key_prop="encryption_key", mode_prop="encryption",
            mode_value=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        )  # fmt: skip
        self._apply_contract("table")
        return dynamodb.Table(self, id, **props)  # type: ignore[arg-type]

    @_signature(_signatures.table_v2)
    def table_v2(
        self, id: str, *, replica_key_arns: Mapping[str, str] | None = None, **props: Any
    ) -> dynamodb.TableV2:
        """A DynamoDB TableV2 (global table) on the domain key (``TablePropsV2`` pass through).

        Replicas in other regions need a key there: pass their key ARNs as
        ``replica_key_arns={"eu-west-1": ...}``. Default: no replica keys. Those keys live outside
        this cloud assembly, so the checks cannot read their key policies: the method declares
        them in the template (``cdk_partition:replica_keys`` metadata) and the checks report each
        as a warning to verify (``CDKP010``) rather than as another key.

        On a multi-Region domain (``replica_regions``), each replica gets the domain's key of its
        region without being asked: the ARN of the primary key's id in that region (replica keys
        share the primary's key id). A replica in a region the domain does not span raises; a
        ``replica_key_arns`` entry must be that same ARN.
        """
        _refuse(
            self, f"table_v2 {id}", props, "encryption", "TableEncryptionV2.customer_managed_key"
        )
        regions = [
            r.get("region") if isinstance(r, dict) else getattr(r, "region", None)
            for r in props.get("replicas") or []
        ]
        computed = self._multi_region_key_arns(
            f"table_v2 {id!r}", [*regions, *(replica_key_arns or {})]
        )
        if computed is not None:
            stack = cdk.Stack.of(self)
            for region, arn in (replica_key_arns or {}).items():
                if stack.resolve(arn) != stack.resolve(computed[region]):
                    raise ConflictingEncryptionError(
                        f"table_v2 {id!r} of {self}: replica_key_arns[{region!r}] is not the "
                        f"domain's key in {region}; drop replica_key_arns (the method sets it)."
                    )
            replica_key_arns = computed or None
        else:
            missing = [r for r in regions if r is not None and r not in (replica_key_arns or {})]
            if missing:
                raise ValueError(
                    f"table_v2 {id!r} of {self}: replicas in {missing}, where the domain has no "
                    "key. Make the domain multi-Region (DataDomain(replica_regions=[...]) and "
                    "domain.replica(...) in each region), or pass replica_key_arns."
                )
            stack = cdk.Stack.of(self)
            for region, arn in (replica_key_arns or {}).items():
                # a reference's keys are in its owner's account
                account = getattr(self, "key_account", None) or stack.account
                wrong = _wrong_replica_key(arn, region, account)
                if wrong:
                    raise ConflictingEncryptionError(
                        f"{path_of(self, id)}: table_v2 replica_key_arns[{region!r}] = {arn!r} "
                        f"{wrong}. Give the ARN of the domain's key in {region} (a DynamoDB "
                        "replica needs a key of its own region, in the domain's account)."
                    )
        props["encryption"] = dynamodb.TableEncryptionV2.customer_managed_key(
            self.key, replica_key_arns=replica_key_arns
        )
        self._apply_contract("table_v2")
        table = dynamodb.TableV2(self, id, **props)  # type: ignore[arg-type]
        if replica_key_arns and computed is None:
            # the replicas' keys live in other regions, outside this assembly: declare them, so
            # the checks report them as keys to verify (CDKP010) instead of another key (CDKP004)
            cfn = table.node.default_child
            assert isinstance(cfn, cdk.CfnResource)
            cfn.add_metadata(REPLICA_KEYS_METADATA_KEY, dict(replica_key_arns))
        return table

    @_props_of(kinesis.Stream)
    def stream(self, id: str, **props: Any) -> kinesis.Stream:
        """A Kinesis data stream on the domain key (``kinesis.StreamProps`` pass through)."""
        _take_encryption(
            self, f"stream {id}", props, key_prop="encryption_key", mode_prop="encryption",
            mode_value=kinesis.StreamEncryption.KMS,
        )  # fmt: skip
        return kinesis.Stream(self, id, **props)  # type: ignore[arg-type]

    @_props_of(firehose.DeliveryStream)
    def delivery_stream(self, id: str, **props: Any) -> firehose.DeliveryStream:
        """A Firehose delivery stream whose buffered data is on the domain key
        (``firehose.DeliveryStreamProps`` pass through; give it a ``destination``).

        Give the destination ``logging_config=EnableLogging(domain.log_group(...))``: the log
        group Firehose would otherwise create is not on the domain key (the checks say so).
        """
        _refuse(self, f"delivery_stream {id}", props, "encryption", "customer managed key")
        props["encryption"] = firehose.StreamEncryption.customer_managed_key(self.key)
        self._apply_contract("delivery_stream")
        stream = firehose.DeliveryStream(self, id, **props)  # type: ignore[arg-type]
        # the S3 destination role the CDK creates writes the (domain) bucket through S3; its IAM
        # policy limits it to the destination, the key policy to S3 (kms:ViaService). The
        # stream's other roles (a Kinesis source's service role) never write S3.
        roles = [n for n in stream.node.find_all() if isinstance(n, iam.Role)]
        writers = [r for r in roles if r.node.id == "S3 Destination Role"] or roles
        for role in writers:
            self._allow_store_role("delivery_stream_to_bucket", role)
        return stream

    @_props_of(logs.LogGroup)
    def log_group(self, id: str, **props: Any) -> logs.LogGroup:
        """A CloudWatch Logs log group on the domain key (``logs.LogGroupProps`` pass through).

        Adds ``AllowLogsService`` to the key policy: the regional Logs service principal may use
        the key only for log groups named by ``kms:EncryptionContext:aws:logs:arn`` (this
        group when ``log_group_name`` is given, else the account's log groups in the region).
        Default removal policy: RETAIN.
        """
        _take_encryption(self, f"log_group {id}", props, key_prop="encryption_key")
        props.setdefault("removal_policy", cdk.RemovalPolicy.RETAIN)
        stack = cdk.Stack.of(self)
        name = props.get("log_group_name")
        pattern = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=name if name else "*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
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
        return logs.LogGroup(self, id, **props)  # type: ignore[arg-type]

    @_props_of(ec2.Volume)
    def volume(self, id: str, **props: Any) -> ec2.Volume:
        """An EBS volume on the domain key (``ec2.VolumeProps`` pass through).

        The key is set on the L1 (``KmsKeyId``): given a key, the L2 adds a key-policy statement
        delegating to the whole account via EC2. The deployment role gets the grants and the
        via-EC2 data-key use that creating the volume needs (see README).
        """
        _take_encryption(
            self, f"volume {id}", props, key_prop="encryption_key", mode_prop="encrypted",
            mode_value=True,
        )  # fmt: skip
        props.pop("encryption_key")
        volume = ec2.Volume(self, id, **props)  # type: ignore[arg-type]
        cfn = volume.node.default_child
        assert isinstance(cfn, ec2.CfnVolume)
        cfn.kms_key_id = self.key.key_arn
        self._apply_contract("volume")
        self._allow_ebs_infrastructure()
        return volume

    @_args_of(ec2.BlockDeviceVolume.ebs)
    def ebs_volume(self, volume_size: int, **options: Any) -> ec2.BlockDeviceVolume:
        """An EBS block device volume of ``volume_size`` GiB on the domain key, for the
        ``block_devices`` of :meth:`launch_template` or an ``ec2.Instance``
        (``ec2.EbsDeviceOptions`` pass through). The key policy gets the EBS contract rows:
        grants through EC2 for the deployment role, and the EC2 infrastructure role exempt from
        ``DenyEveryoneElse``.

        :raises ConflictingEncryptionError: when ``options`` name another key or
            ``encrypted=False``.
        """
        _take_encryption(
            self, "ebs_volume", options, key_prop="kms_key", mode_prop="encrypted",
            mode_value=True,
        )  # fmt: skip
        # whatever launches it (a launch template, an ec2.Instance) needs the EBS contract rows
        self._apply_contract("launch_template")
        self._allow_ebs_infrastructure()
        return ec2.BlockDeviceVolume.ebs(volume_size, **options)

    @_signature(_signatures.launch_template)
    def launch_template(
        self, id: str, *, auto_scaling: bool = False, **props: Any
    ) -> ec2.LaunchTemplate:
        """An EC2 launch template whose EBS volumes are on the domain key
        (``ec2.LaunchTemplateProps`` pass through).

        Every block device must be an EBS volume from :meth:`ebs_volume` (the root volume too:
        without a mapping it comes from the AMI, whose key the template cannot show).

        Key policy, from the service contracts (:mod:`cdk_partition.knowledge.contracts`): the deployment
        role may create grants through EC2, and ``DenyEveryoneElse`` exempts the EC2
        identity-only role (``role/aws:ec2-infrastructure/*``), which decrypts the volumes
        through a grant when an instance starts; a deny would stop instances from launching.

        :param auto_scaling: the template launches instances through EC2 Auto Scaling: the key
            policy names its service-linked role
            (``aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling``) with the
            data actions and grants for AWS resources AWS requires. Default: not named (the
            service-linked role could not launch instances with the domain's volumes).
        :raises ConflictingEncryptionError: when ``block_devices`` is missing or a volume is not
            one of :meth:`ebs_volume`.
        """
        devices = props.get("block_devices")
        if not devices:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.launch_template(...) needs block_devices=; pass "
                "block_devices=[ec2.BlockDevice(device_name='/dev/xvda', "
                "volume=domain.ebs_volume(8))]: without a mapping the root volume comes from the "
                "AMI, whose encryption the template cannot show.",
                path=path_of(self, id),
                prop="block_devices",
            )
        for device in devices:
            ebs = device.volume.ebs_device
            if ebs is None or ebs.kms_key is not self.key or ebs.encrypted is not True:
                raise ConflictingEncryptionError(
                    f"{path_of(self, id)}: domain.launch_template(..., block_devices=) has "
                    f"device {device.device_name!r}, which is not on the key of {self}; create "
                    "its volume with domain.ebs_volume(...).",
                    path=path_of(self, id),
                    prop="block_devices",
                )
        template = ec2.LaunchTemplate(self, id, **props)  # type: ignore[arg-type]
        self._apply_contract("launch_template")
        self._allow_ebs_infrastructure()
        if auto_scaling:
            self._allow_auto_scaling()
        return template

    def _allow_auto_scaling(self) -> None:
        """The EC2 Auto Scaling service-linked role, as its contract rows say."""
        if self.__dict__.get("_auto_scaling"):
            return
        self.__dict__["_auto_scaling"] = True
        rows = contracts.rows_for("launch_template_auto_scaling")
        stack = cdk.Stack.of(self)
        arn = rows[0].principal.format(partition=stack.partition, account=stack.account)
        data = next(r for r in rows if "kms:CreateGrant" not in r.actions)
        grants = next(r for r in rows if "kms:CreateGrant" in r.actions)
        for sid, row in ((AUTO_SCALING_SID, data), (AUTO_SCALING_SID + "Grants", grants)):
            conditions = {"Bool": dict(row.context)} if row.context else None
            self._add_service_statement(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.ALLOW,
                    principals=[iam.ArnPrincipal(arn)],
                    actions=list(row.actions),
                    resources=["*"],
                    conditions=conditions,
                )
            )
        self._exempt_from_deny(arn)

    @_props_of(efs.FileSystem)
    def file_system(self, id: str, **props: Any) -> efs.FileSystem:
        """An EFS file system on the domain key (``efs.FileSystemProps`` pass through)."""
        _take_encryption(
            self, f"file_system {id}", props, key_prop="kms_key", mode_prop="encrypted",
            mode_value=True,
        )  # fmt: skip
        self._apply_contract("file_system")
        return efs.FileSystem(self, id, **props)  # type: ignore[arg-type]

    @_props_of(rds.DatabaseInstance)
    def database_instance(self, id: str, **props: Any) -> rds.DatabaseInstance:
        """An RDS instance with storage, Performance Insights (when enabled) and the generated
        master secret on the domain key (``rds.DatabaseInstanceProps`` pass through)."""
        _take_encryption(
            self, f"database_instance {id}", props, key_prop="storage_encryption_key",
            mode_prop="storage_encrypted", mode_value=True,
        )  # fmt: skip
        if props.get("enable_performance_insights") or props.get(
            "performance_insight_encryption_key"
        ):
            _take_encryption(
                self,
                f"database_instance {id}",
                props,
                key_prop="performance_insight_encryption_key",
            )
        props.setdefault("credentials", rds.Credentials.from_generated_secret("dbadmin"))
        self._apply_contract("database_instance")
        instance = rds.DatabaseInstance(self, id, **props)  # type: ignore[arg-type]
        self._put_secret_on_key(instance)
        return instance

    @_props_of(rds.DatabaseCluster)
    def database_cluster(self, id: str, **props: Any) -> rds.DatabaseCluster:
        """An RDS/Aurora cluster with storage and the generated master secret on the domain key
        (``rds.DatabaseClusterProps`` pass through)."""
        _take_encryption(
            self, f"database_cluster {id}", props, key_prop="storage_encryption_key",
            mode_prop="storage_encrypted", mode_value=True,
        )  # fmt: skip
        props.setdefault("credentials", rds.Credentials.from_generated_secret("dbadmin"))
        self._apply_contract("database_cluster")
        cluster = rds.DatabaseCluster(self, id, **props)  # type: ignore[arg-type]
        self._put_secret_on_key(cluster)
        return cluster

    @_props_of(secretsmanager.Secret)
    def secret(self, id: str, **props: Any) -> secretsmanager.Secret:
        """A Secrets Manager secret on the domain key (``secretsmanager.SecretProps`` pass
        through). The deployment role may use the key via Secrets Manager to store the value.

        The key is set on the L1 (``KmsKeyId``), not through the L2's ``encryption_key``: given
        a key, the L2 adds key-policy statements that delegate to the whole account via Secrets
        Manager, which is what a domain key must not do. So ``secret.encryption_key`` is None;
        access to the value is the domain's read capability plus the secret's own grants.
        """
        _take_encryption(self, f"secret {id}", props, key_prop="encryption_key")
        props.pop("encryption_key")
        secret = secretsmanager.Secret(self, id, **props)  # type: ignore[arg-type]
        self._put_secret_on_key(secret)
        return secret

    def _put_secret_on_key(self, scope: Any) -> None:
        """Put every secret under ``scope`` (a secret, or a database and its generated secret)
        on the domain key, through the L1."""
        for node in scope.node.find_all():
            if isinstance(node, secretsmanager.CfnSecret):
                node.kms_key_id = self.key.key_arn
                self._apply_contract("secret")

    @_props_of(backup.BackupVault)
    def backup_vault(self, id: str, **props: Any) -> backup.BackupVault:
        """An AWS Backup vault on the domain key (``backup.BackupVaultProps`` pass through).
        Default removal policy: RETAIN."""
        _take_encryption(self, f"backup_vault {id}", props, key_prop="encryption_key")
        props.setdefault("removal_policy", cdk.RemovalPolicy.RETAIN)
        self._apply_contract("backup_vault")
        return backup.BackupVault(self, id, **props)  # type: ignore[arg-type]

    @_props_of(ecr.Repository)
    def repository(self, id: str, **props: Any) -> ecr.Repository:
        """An ECR repository on the domain key (``ecr.RepositoryProps`` pass through)."""
        _take_encryption(
            self, f"repository {id}", props, key_prop="encryption_key", mode_prop="encryption",
            mode_value=ecr.RepositoryEncryption.KMS,
        )  # fmt: skip
        self._apply_contract("repository")
        return ecr.Repository(self, id, **props)  # type: ignore[arg-type]

    @_props_of(events.EventBus)
    def event_bus(self, id: str, **props: Any) -> events.EventBus:
        """An EventBridge event bus on the domain key (``events.EventBusProps`` pass through)."""
        _take_encryption(self, f"event_bus {id}", props, key_prop="kms_key")
        return events.EventBus(self, id, **props)  # type: ignore[arg-type]

    # -- more kinds where the CDK L2 takes a customer key ------------------------------------
    @_props_of(opensearch.Domain)
    def opensearch_domain(self, id: str, **props: Any) -> opensearch.Domain:
        """An OpenSearch Service domain encrypted at rest with the domain key
        (``opensearchservice.DomainProps`` pass through; ``encryption_at_rest`` is built by the
        method, an ``EncryptionAtRestOptions`` you pass must say ``enabled=True`` and name no
        other key). Defaults: node-to-node encryption on, HTTPS enforced.

        Key policy: OpenSearch attaches the key through grants, so the deployment role gets
        ``AllowGrantsForAWSResources`` and ``es.<region>.amazonaws.com`` in
        ``AllowDeploymentViaServices``. Removal policy as CDK's default (RETAIN).
        """
        _take_nested(
            self, f"opensearch_domain {id}", props, "encryption_at_rest",
            opensearch.EncryptionAtRestOptions, key_prop="kms_key", mode_prop="enabled",
            mode_value=True,
        )  # fmt: skip
        props.setdefault("node_to_node_encryption", True)
        props.setdefault("enforce_https", True)
        self._apply_contract("opensearch_domain")
        return opensearch.Domain(self, id, **props)  # type: ignore[arg-type]

    @_props_of(docdb.DatabaseCluster)
    def docdb_cluster(self, id: str, **props: Any) -> docdb.DatabaseCluster:
        """An Amazon DocumentDB cluster with storage and the generated master secret on the
        domain key (``docdb.DatabaseClusterProps`` pass through; ``master_user`` required).

        The secret's key is set on the L1: ``Login(kms_key=...)`` would make the L2 add
        statements delegating to the whole account via Secrets Manager, so it is refused.
        Key policy: grants and data keys via RDS (DocumentDB's ``kms:ViaService``) and Secrets
        Manager for the deployment role. Removal policy as CDK's default (RETAIN).
        """
        _take_encryption(
            self, f"docdb_cluster {id}", props, key_prop="kms_key", mode_prop="storage_encrypted",
            mode_value=True,
        )  # fmt: skip
        login = props.get("master_user")
        if login is not None and login.kms_key is not None:
            raise ConflictingEncryptionError(
                f"{path_of(self, id)}: domain.docdb_cluster(..., master_user=Login(kms_key="
                f"{render(login.kms_key)})): the method puts the generated secret on the key of "
                f"{self}; drop kms_key= from the Login.",
                path=path_of(self, id),
                prop="master_user.kms_key",
            )
        self._apply_contract("docdb_cluster")
        cluster = docdb.DatabaseCluster(self, id, **props)  # type: ignore[arg-type]
        self._put_secret_on_key(cluster)
        return cluster

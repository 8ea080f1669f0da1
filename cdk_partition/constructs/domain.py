"""``DataDomain``: one customer managed KMS key per data domain, with a least-privilege key policy.

And ``DomainStack``: a ``Stack`` that owns one ``DataDomain``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ram as ram
from aws_cdk import aws_ssm as ssm
from aws_cdk import region_info
from constructs import Construct

from ..knowledge import contracts
from ..knowledge.capabilities import Capability
from ..marks import (
    DEPLOYMENT_ROLE_METADATA_KEY,
    DOMAIN_METADATA_KEY,
    LOOKUP_PENDING_KEY_ID,
    REPLICA_REGIONS_METADATA_KEY,
)
from . import key_policy
from ._messages import path_of, render
from ._native import StackFacts
from .stores import StoreFactories

if TYPE_CHECKING:
    from .checks import DomainEncryptionChecks

_DOMAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_-]*$")
_MAX_DOMAIN_NAME = 250  # "alias/" + name must fit KMS's 256-character alias limit
#: Stage -> domain name -> construct path of the domain that claimed it first.
_DOMAINS_BY_STAGE: dict[str, dict[str, str]] = {}
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")

#: Where :meth:`DataDomain.publish` puts a domain's key ARN and :meth:`DataDomain.from_lookup`
#: looks for it by default: ``/cdk-partition/domains/<domain_name>/key-arn``.
PUBLISHED_PARAMETER_PREFIX = "/cdk-partition/domains/"
#: The key id of the placeholder key ARN a looked-up reference carries until the CDK CLI has
#: put the parameter's value in ``cdk.context.json`` (see :meth:`DataDomain.from_lookup`).


def published_parameter_name(domain_name: str) -> str:
    """The default SSM parameter name of a published domain's key ARN."""
    return f"{PUBLISHED_PARAMETER_PREFIX}{domain_name}/key-arn"


def validate_domain_name(domain_name: str, where: str = "") -> None:
    """Raise ``ValueError`` unless ``alias/<domain_name>`` is a valid, non-reserved KMS alias.

    :param where: the construct path the message names (the domain's, or its stack's).
    """
    at = f"{where}: " if where else ""
    if not isinstance(domain_name, str) or not domain_name:
        raise ValueError(
            f"{at}domain_name must be a non-empty string such as 'orders' "
            f"(got {render(domain_name)})."
        )
    if "${Token[" in domain_name:
        raise ValueError(
            f"{at}domain_name must be known at synth time (got a token, {render(domain_name)}); "
            "pass a literal such as 'orders'."
        )
    if domain_name.lower().startswith("aws/") or domain_name.lower() == "aws":
        raise ValueError(
            f"{at}domain_name {domain_name!r} would make the alias 'alias/{domain_name}', but the "
            "'alias/aws/' prefix is reserved for AWS managed keys. Choose another name."
        )
    if len(domain_name) > _MAX_DOMAIN_NAME:
        raise ValueError(
            f"{at}domain_name is {len(domain_name)} characters; at most {_MAX_DOMAIN_NAME} fit in "
            "a KMS alias ('alias/' + name <= 256). Shorten it."
        )
    if not _DOMAIN_NAME.match(domain_name):
        raise ValueError(
            f"{at}domain_name {domain_name!r} has characters a KMS alias cannot hold; use letters, "
            "digits, '/', '_' and '-', starting with a letter or digit (e.g. 'credit-applications')."
        )


def _default_deployment_role(scope: Construct) -> iam.IPrincipal:
    stack = cdk.Stack.of(scope)
    # read in the kernel: a synthesizer passed to the Stack is bound as a clone, which Python
    # cannot reach through ``stack.synthesizer``
    arn = StackFacts.cloud_formation_execution_role_arn(stack)
    if not arn:
        raise ValueError(
            f"{path_of(scope)}: deployment_role is not given and stack {stack.node.path!r} has a "
            "synthesizer without a CloudFormation execution role (it is not a DefaultStackSynthesizer or BootstraplessSynthesizer). Pass "
            "deployment_role= (the principal that deploys the stack, e.g. "
            "iam.Role.from_role_arn(...)) so the key policy lets it manage the key; KMS refuses "
            "a key policy that locks out its creator."
        )
    return iam.ArnPrincipal(cdk.Fn.sub(arn) if "${" in arn else arn)


def _pending_window_days(pending_window: cdk.Duration | None, where: str) -> int:
    """``pending_window`` in whole days, refused at ``where`` outside KMS's 7 to 30 days."""
    # KMS accepts a waiting period of 7-30 days ("ScheduleKeyDeletion - AWS Key Management
    # Service", https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html)
    if pending_window is None:
        return 30
    shown = render(pending_window)
    try:
        days = pending_window.to_days()
    except Exception:  # not a whole number of days: the CDK refuses to convert it
        days = None
    if days is None or not 7 <= days <= 30:
        raise ValueError(
            f"{where}: pending_window={shown}; KMS accepts 7 to 30 whole days. Pass e.g. "
            "cdk.Duration.days(30)."
        )
    return int(days)


class _DomainKey(kms.Key):
    """The domain's ``kms.Key``: CDK L2s that give a key to the whole account through a service
    are made safe on it.

    ``secretsmanager.Secret(encryption_key=...)``, ``ec2.Volume(encryption_key=...)`` and others
    call ``key.grant*`` for ``ViaServicePrincipal(<service>, AccountRootPrincipal())``, which lands
    in the key policy as an Allow to the account root conditioned on ``kms:ViaService``. On a
    domain key that is delegation to every principal of the account (``DenyEveryoneElse`` would
    neutralise it, and the audit would flag it). Such a statement is absorbed instead: the domain
    gives its deployment role the scoped via-service access that creating the store needs (the
    same statement the domain's own store methods use), and readers and writers keep their
    capabilities.

    Statements for an AWS service principal that delivers into the domain's queues and topics
    (S3 notifications, SNS subscriptions, EventBridge targets: the CDK's own wiring) are absorbed
    into the domain's publisher statement for that service, written from its service contract
    (:data:`cdk_partition.knowledge.contracts.SERVICE_PUBLISHERS`): the contract's actions only, scoped to
    the stack's account where AWS supports it, and never by the source's own ARN token, which
    would make the key depend on a store that depends on the key (a cycle CloudFormation
    refuses). Any other statement is added as given. (A jsii callback per call, never per
    construct.)
    """

    def __init__(self, scope: Construct, id: str, *, domain: DataDomain, **props: Any) -> None:
        self._domain = domain
        super().__init__(scope, id, **props)

    def add_to_resource_policy(
        self, statement: iam.PolicyStatement, allow_no_op: bool | None = None
    ) -> iam.AddToResourcePolicyResult:
        rendered = cdk.Stack.of(self).resolve(statement.to_statement_json())
        service = key_policy.account_delegation_via_service(rendered)
        if service is not None:
            self._domain._allow_via(service)
            if service == "ec2":  # an EBS volume: the infrastructure role decrypts at launch
                self._domain._allow_ebs_infrastructure()
            return iam.AddToResourcePolicyResult(statement_added=True, policy_dependable=self)
        publisher = key_policy.contract_publisher_of(rendered)
        if publisher is not None:
            self._domain._allow_publisher(publisher)
            return iam.AddToResourcePolicyResult(statement_added=True, policy_dependable=self)
        if key_policy.service_principals_of(rendered) == ["fargate.amazonaws.com"]:
            # the CDK's Fargate statements lack the DescribeKey AWS requires (its contract)
            self._domain._allow_fargate_describe()
        return super().add_to_resource_policy(statement, allow_no_op)


#: Capability -> the props and methods a user gives principals of it with (named in errors).
_GRANT_PROPS = {
    Capability.ADMINISTER: "administrators= / grant_administer()",
    Capability.READ: "readers= / grant_read()",
    Capability.WRITE: "writers= / grant_write()",
}


class _PolicyMembers:
    """The capability statements and ``DenyEveryoneElse`` of one key policy, shared by the
    domain's key (:class:`DataDomain`) and its replica keys (:class:`DomainReplica`)."""

    _arns: dict[Capability, list[str]]
    _members: dict[Capability, list[iam.IPrincipal]]
    _statements: dict[Capability, iam.PolicyStatement]
    _exempt_arns: list[str]
    _deny: iam.PolicyStatement
    _policy: iam.PolicyDocument

    def _name(self, capability: Capability, principal: iam.IPrincipal, arn: str) -> bool:
        """Name ``principal`` (``arn``) in ``capability``'s statement and past
        ``DenyEveryoneElse``; False when it is named there already."""
        if arn in self._arns[capability]:
            return False
        self._arns[capability].append(arn)
        self._members[capability].append(principal)
        statement = self._statements.get(capability)
        if statement is None:
            statement = key_policy.capability_statement(capability, [principal])
            self._statements[capability] = statement
            self._policy.add_statements(statement)
        else:
            statement.add_principals(principal)
        self._update_deny()
        return True

    def _named_arns(self) -> list[str]:
        capabilities = (a for arns in self._arns.values() for a in arns)
        return list(dict.fromkeys((*capabilities, *self._exempt_arns)))

    def _update_deny(self) -> None:
        self._deny.add_condition("ArnNotEquals", {"aws:PrincipalArn": self._named_arns()})

    def _exempt_from_deny(self, arn: str) -> None:
        """Let a principal a service contract names (a store role, a service-linked role) past
        ``DenyEveryoneElse``; what it may do is its contract statement's."""
        if arn not in self._exempt_arns:
            self._exempt_arns.append(arn)
            self._update_deny()


class DataDomain(_PolicyMembers, StoreFactories, Construct):
    """A data domain: a customer managed KMS key whose key policy is the domain's access control.

    The key is symmetric, rotated yearly, aliased ``alias/<domain_name>`` and retained on stack
    deletion by default. Its policy names the domain's administrators, readers and writers
    directly and denies ``kms:*`` to every other principal (see :mod:`cdk_partition.constructs.key_policy`).

    Access is granted in the key policy only: use :meth:`grant_read`, :meth:`grant_write` and
    :meth:`grant_administer` (or the constructor lists). CDK's L2 ``grant_*`` methods on stores
    write IAM identity policies; those still let the principal call the store's API, but without
    the domain capability the principal cannot use the key, so it cannot reach the data.

    :param scope: the parent construct.
    :param id: the construct id.
    :param domain_name: the domain's name, e.g. ``"orders"``; becomes the alias
        ``alias/<domain_name>``. Letters, digits, ``/``, ``_``, ``-``; not ``aws/...``; at most 250
        characters; unique within a Stage.
    :param administrators: principals that administer the key (no data access). At least one.
    :param readers: principals that may decrypt the domain's data. Default: nobody.
    :param writers: principals that may encrypt the domain's data. Default: nobody.
    :param description: the key description. Default: ``"Data key of the <name> domain"``.
    :param pending_window: waiting period before a scheduled deletion, 7 to 30 days.
        Default: 30 days.
    :param removal_policy: what happens to the key when it leaves the stack.
        Default: ``RemovalPolicy.RETAIN`` (destroying the key destroys the domain's data).
    :param deployment_role: the principal CloudFormation uses to create and update the key. It is
        given ``administer`` (no data access) so that KMS's lockout check passes and later deploys
        can update the policy. Default: the CloudFormation execution role of the stack's
        ``DefaultStackSynthesizer`` (bootstrap qualifier respected); other synthesizers must pass it.
    :param key_policy_statements: extra statements appended to the key policy as given (e.g. a
        service integration the library does not model). The domain checks audit them like the
        rest. Default: none.
    :param replica_regions: regions the domain spans besides its own: the key becomes a
        multi-Region primary key (``MultiRegion: true``) and :meth:`replica` creates its
        ``AWS::KMS::ReplicaKey`` in a stack of each region. Needs a stack with an explicit
        account and region. Changing it between empty and non-empty on a deployed domain changes
        ``MultiRegion``: "If you change the value of the MultiRegion property on an existing KMS
        key, the update request fails, regardless of the value of the UpdateReplacePolicy
        attribute" (AWS CloudFormation Template Reference, "AWS::KMS::Key",
        https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html);
        a new key would leave the domain's data on the old one. Decide it when the domain is
        first deployed. Default: none (a single-Region key, no ``MultiRegion`` property).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain_name: str,
        administrators: Sequence[iam.IPrincipal],
        readers: Sequence[iam.IPrincipal] = (),
        writers: Sequence[iam.IPrincipal] = (),
        description: str | None = None,
        pending_window: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        deployment_role: iam.IPrincipal | None = None,
        key_policy_statements: Sequence[iam.PolicyStatement] = (),
        replica_regions: Sequence[str] = (),
    ) -> None:
        where = path_of(scope, id)
        validate_domain_name(domain_name, where)
        if not administrators:
            raise ValueError(
                f"{where}: DataDomain {domain_name!r} needs at least one administrator: a key "
                "nobody can manage cannot be rotated, re-permissioned or retired. Pass "
                "administrators=[iam.Role.from_role_arn(...)] (roles or users)."
            )
        window_days = _pending_window_days(pending_window, where)
        super().__init__(scope, id)
        self.replica_regions: tuple[str, ...] = _check_replica_regions(
            self, domain_name, replica_regions
        )
        stage = cdk.Stage.of(self)
        stage_path = stage.node.path if stage else ""
        names = _DOMAINS_BY_STAGE.setdefault(f"{id_of_root(self)}:{stage_path}", {})
        if domain_name in names:
            raise ValueError(
                f"{where}: domain_name {domain_name!r} is already the name of the data domain at "
                f"{names[domain_name]} in this Stage: both keys would claim alias/{domain_name}. "
                "Give each domain its own name, or reuse that domain."
            )
        names[domain_name] = self.node.path

        #: The domain's name (the key's alias is ``alias/<domain_name>``).
        self.domain_name: str = domain_name
        self._members: dict[Capability, list[iam.IPrincipal]] = {c: [] for c in Capability}
        self._arns: dict[Capability, list[str]] = {c: [] for c in Capability}
        self._statements: dict[Capability, iam.PolicyStatement] = {}
        self._exempt_arns: list[str] = []
        self._deny = key_policy.deny_everyone_else_statement([])
        self._policy = iam.PolicyDocument()
        #: The domain's replica keys (:meth:`replica`), each kept in step with the key policy.
        self.replicas: list[DomainReplica] = []
        self._extra_statements: list[iam.PolicyStatement] = []
        #: The principal CloudFormation uses to create and update the key (given ``administer``).
        self.deployment_role: iam.IPrincipal = deployment_role or _default_deployment_role(self)

        #: The domain's customer managed KMS key.
        self.key: kms.Key = _DomainKey(
            self,
            "Key",
            domain=self,
            description=description or f"Data key of the {domain_name} domain",
            enable_key_rotation=True,
            key_spec=kms.KeySpec.SYMMETRIC_DEFAULT,
            key_usage=kms.KeyUsage.ENCRYPT_DECRYPT,
            pending_window=cdk.Duration.days(window_days),
            removal_policy=removal_policy,
            policy=self._policy,
            # AWS KMS Developer Guide, "Multi-Region keys in AWS KMS"
            # (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html):
            # single- or multi-Region is decided at creation; replicas share the key id and key
            # material. Left out for a single-Region domain, so existing templates do not change.
            multi_region=True if self.replica_regions else None,
        )
        cfn_key = self.key.node.default_child
        assert isinstance(cfn_key, kms.CfnKey)
        cfn_key.add_metadata(DOMAIN_METADATA_KEY, domain_name)
        if self.replica_regions:
            cfn_key.add_metadata(REPLICA_REGIONS_METADATA_KEY, list(self.replica_regions))
        # the principal the create-time service contracts name (the audit checks them: CDKP107)
        cfn_key.add_metadata(
            DEPLOYMENT_ROLE_METADATA_KEY,
            key_policy.principal_arn(
                self.deployment_role, capability=f"{self.node.path} ({self}), deployment_role="
            ),
        )
        #: The key's alias, ``alias/<domain_name>``.
        self.alias: kms.Alias = kms.Alias(
            self, "Alias", alias_name=f"alias/{domain_name}", target_key=self.key
        )

        for principal in administrators:
            self.grant_administer(principal)
        self.grant_administer(self.deployment_role)
        for principal in readers:
            self.grant_read(principal)
        for principal in writers:
            self.grant_write(principal)
        self._policy.add_statements(self._deny)
        for statement in key_policy_statements:
            self.add_to_key_policy(statement)

    @staticmethod
    def from_domain_attributes(
        scope: Construct, id: str, *, domain_name: str, key_arn: str
    ) -> DomainReference:
        """A domain defined in another app or account, by its name and key ARN.

        :param domain_name: the domain's name (as its owner created it), e.g. ``"orders"``.
        :param key_arn: the domain key's ARN (``arn:<partition>:kms:<region>:<account>:key/<id>``);
            stores of the reference name it, and the checks compare every part of it.
        :raises ValueError: on an invalid name or an ARN that is not a key ARN.
        """
        return DomainReference(scope, id, domain_name=domain_name, key_arn=key_arn)

    @staticmethod
    def from_lookup(
        scope: Construct, id: str, *, domain_name: str, parameter_name: str | None = None
    ) -> DomainReference:
        """A domain another app published with :meth:`publish`, by the key ARN held in an SSM
        parameter, read at synth by the CDK's context provider
        (``ssm.StringParameter.value_from_lookup``) and cached in ``cdk.context.json``.

        The lookup reads the parameter in the account and region of ``scope``'s stack (which
        must therefore have an ``env``); a parameter shared with that account through AWS RAM is
        named by its ARN. Until the value is in context (first synth), the CDK returns a dummy
        value and records the missing lookup; the CDK CLI then looks it up and synthesizes
        again. Meanwhile the reference carries a placeholder key ARN in the stack's own account
        (key id ``00000000-0000-0000-0000-000000000000``), :attr:`DomainReference.lookup_pending` is True and
        the construct warns.

        :param domain_name: the domain's name, as its owner created it.
        :param parameter_name: the parameter's name or ARN. Default:
            ``/cdk-partition/domains/<domain_name>/key-arn`` (the default of :meth:`publish`).
        :raises ValueError: when the stack has no concrete account and region, or the cached
            value is not a KMS key ARN (refresh it with ``cdk context --reset <key>``).
        """
        validate_domain_name(domain_name, path_of(scope, id))
        name = parameter_name or published_parameter_name(domain_name)
        stack = cdk.Stack.of(scope)
        if cdk.Token.is_unresolved(stack.account) or cdk.Token.is_unresolved(stack.region):
            raise ValueError(
                f"DataDomain.from_lookup {scope.node.path}/{id}: stack {stack.node.path!r} has no "
                "env account and region, and the lookup reads the parameter in the stack's "
                "account and region at synth. Give the stack "
                "env=cdk.Environment(account=..., region=...)."
            )
        # "Context values and the AWS CDK" (CDK v2 Developer Guide,
        # https://docs.aws.amazon.com/cdk/v2/guide/context.html): "The CDK Toolkit uses context
        # to cache values retrieved from your AWS account during synthesis"; the dummy value is
        # "The value to return if the lookup has not yet been performed" (GetContextValueOptions,
        # https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.GetContextValueOptions.html).
        value = ssm.StringParameter.value_from_lookup(scope, name)
        pending = value == f"dummy-value-for-{name}"
        if pending:
            partition = "aws" if cdk.Token.is_unresolved(stack.partition) else stack.partition
            value = (
                f"arn:{partition}:kms:{stack.region}:{stack.account}:key/{LOOKUP_PENDING_KEY_ID}"
            )
        return DomainReference(
            scope, id, domain_name=domain_name, key_arn=value, _lookup=(name, pending)
        )

    def publish(
        self, *, parameter_name: str | None = None, share_with: Sequence[str] = ()
    ) -> ssm.StringParameter:
        """Publish the domain's key ARN as an SSM ``String`` parameter in the domain's stack
        (its account and region), where other apps find it with :meth:`from_lookup`.

        Another app in the same account and region looks it up directly. The CDK looks a
        parameter up in the consuming stack's own account and region, so for consumers in other
        accounts pass ``share_with``: the parameter goes to the advanced tier and an AWS RAM
        resource share shares it with them ("To share a parameter, it must be in the advanced
        parameter tier": AWS Systems Manager User Guide, "Working with shared parameters in
        Parameter Store",
        https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-shared-parameters.html);
        they look it up by the parameter's ARN. Advanced parameters are charged (same page).

        :param parameter_name: the parameter's name. Default:
            ``/cdk-partition/domains/<domain_name>/key-arn``.
        :param share_with: RAM principals (account ids, organization or OU ARNs) to share the
            parameter with. Default: not shared (readable in this account only).
        :returns: the parameter (``.parameter_arn`` is what consumers of other accounts pass to
            :meth:`from_lookup`).
        """
        name = parameter_name or published_parameter_name(self.domain_name)
        parameter = ssm.StringParameter(
            self,
            "Published",
            parameter_name=name,
            string_value=self.key.key_arn,
            description=f"Key ARN of the {self.domain_name} data domain (cdk-partition)",
            tier=ssm.ParameterTier.ADVANCED if share_with else ssm.ParameterTier.STANDARD,
        )
        from .checks import exempt

        exempt(
            parameter,
            "CDKP006",
            "The parameter holds the domain key's ARN, an identifier other apps look up, not "
            "data of the domain.",
        )
        if share_with:
            ram.CfnResourceShare(
                self,
                "PublishedShare",
                name=f"cdk-partition-{self.domain_name.replace('/', '-')}",
                resource_arns=[parameter.parameter_arn],
                principals=list(share_with),
            )
        return parameter

    def replica(
        self,
        scope: Construct,
        id: str,
        *,
        description: str | None = None,
        pending_window: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        deployment_role: iam.IPrincipal | None = None,
    ) -> DomainReplica:
        """The domain's replica key in the region of ``scope``'s stack: see :class:`DomainReplica`,
        whose keyword arguments (and defaults) these are (``tests/test_typing.py`` keeps them
        equal)."""
        return DomainReplica(
            scope,
            id,
            domain=self,
            description=description,
            pending_window=pending_window,
            removal_policy=removal_policy,
            deployment_role=deployment_role,
        )

    # -- access, all of it in the key policy -----------------------------------------------
    def grant_administer(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """Let ``principal`` administer the key (policy, aliases, rotation...; no data access)."""
        self._grant(Capability.ADMINISTER, principal)

    def grant_read(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """Let ``principal`` read the domain's data (``kms:Decrypt``) in every store."""
        self._grant(Capability.READ, principal)

    def grant_write(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """Let ``principal`` write the domain's data (``kms:Encrypt``, ``GenerateDataKey*``...)."""
        self._grant(Capability.WRITE, principal)

    def grant(self, principal: iam.IPrincipal | iam.IGrantable, *capabilities: Capability) -> None:
        """Add ``principal`` to each of ``capabilities`` in the key policy."""
        for capability in capabilities:
            self._grant(Capability(capability), principal)

    def principals(self, capability: Capability) -> tuple[iam.IPrincipal, ...]:
        """The principals currently holding ``capability`` (the deployment role included)."""
        return tuple(self._members[Capability(capability)])

    def add_to_key_policy(self, statement: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        """Append ``statement`` to the key policy as is (the documented door for extras).

        The statement is added as given (the L2 wiring the domain key rewrites, see
        ``_DomainKey``, is not touched here). The domain checks audit the result: a statement that
        gives a principal more than its capability, allows everyone without conditions, or gives
        an AWS service more than its service contract (CDKP106) is reported.
        """
        self._policy.add_statements(statement)  # as given: not rewritten like L2 wiring
        self._extra_statements.append(statement)
        for replica in self.replicas:
            replica._add_extra(statement)
        return iam.AddToResourcePolicyResult(statement_added=True, policy_dependable=self.key)

    def _grant(self, capability: Capability, grantee: iam.IPrincipal | iam.IGrantable) -> None:
        principal = cast(iam.IPrincipal, getattr(grantee, "grant_principal", None) or grantee)
        arn = key_policy.principal_arn(
            principal,
            capability=f"{self.node.path} ({self}), {_GRANT_PROPS[capability]}",
            scope=self,
        )
        if not self._name(capability, principal, arn):
            return
        for replica in self.replicas:
            replica._mirror(capability, principal, arn)

    def _allow_fargate_describe(self) -> None:
        """``kms:DescribeKey`` for Fargate, the row of its contract the CDK's own statements
        miss (:mod:`cdk_partition.knowledge.contracts`, ``ecs_cluster_fargate_storage``)."""
        (row,) = [
            r
            for r in contracts.rows_for("ecs_cluster_fargate_storage")
            if r.actions == ("kms:DescribeKey",)
        ]
        self._add_service_statement(
            iam.PolicyStatement(
                sid="AllowFargateDescribeKey",
                effect=iam.Effect.ALLOW,
                principals=[iam.ServicePrincipal(row.principal)],
                actions=list(row.actions),
                resources=["*"],
            )
        )

    def _allow_ebs_infrastructure(self) -> None:
        """Exempt the EC2 identity-only role from ``DenyEveryoneElse``: it decrypts a domain
        volume through a grant when an instance starts, and a key-policy deny beats grants
        (:data:`cdk_partition.knowledge.contracts.INFRASTRUCTURE_ROLE_PATTERN`)."""
        stack = cdk.Stack.of(self)
        pattern = contracts.INFRASTRUCTURE_ROLE_PATTERN.replace(
            "${AWS::Partition}", stack.partition
        ).replace("${AWS::AccountId}", stack.account)
        self._deny.add_condition("ArnNotLike", {"aws:PrincipalArn": pattern})

    def __str__(self) -> str:
        return f"domain {getattr(self, 'domain_name', '?')!r}"


class DomainReference(StoreFactories, Construct):
    """A data domain defined elsewhere (another CDK app or account), by its key ARN.

    Made with :meth:`DataDomain.from_domain_attributes`. It has the same store methods as a
    :class:`DataDomain`: each puts its store on the referenced key (``kms.Key.from_key_arn``), and
    ``DomainEncryptionChecks(reference)`` checks that every store in its scope names exactly that
    key ARN (partition, account, region and key id).

    It cannot change the key policy, which belongs to the app that owns the domain:
    ``grant_read``/``grant_write``/``grant_administer``/``add_to_key_policy`` raise, and a store
    method whose service contract needs a key-policy statement (grants for DynamoDB, EBS, RDS...)
    records it in :attr:`key_policy_requirements` and warns on the construct, naming what the
    owner's key policy must allow.

    When the key is in another account than a store's stack, the store method first checks what
    AWS documents for its service (:data:`cdk_partition.knowledge.contracts.CROSS_ACCOUNT_KEYS`): a service
    that does not accept a key of another account is refused (``ValueError`` naming the path, the
    service, the AWS page and what to do instead), one AWS says nothing about warns. Only a
    provable difference refuses; an env-agnostic stack or a token ARN only warns.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain_name: str,
        key_arn: str,
        _lookup: tuple[str, bool] | None = None,
    ) -> None:
        where = path_of(scope, id)
        validate_domain_name(domain_name, where)
        if not isinstance(key_arn, str) or (
            "${Token[" not in key_arn
            and not re.match(r"^arn:[^:]+:kms:[^:]+:\d{12}:key/.+", key_arn)
        ):
            if _lookup is not None:
                raise ValueError(
                    f"DataDomain.from_lookup {scope.node.path}/{id}: SSM parameter "
                    f"{_lookup[0]!r} holds {key_arn!r}, not a KMS key ARN "
                    "(arn:<partition>:kms:<region>:<account>:key/<key id>). Publish the key ARN "
                    "(domain.publish() in the owning app), then refresh the cached value with "
                    "`cdk context --reset <key>` (`cdk context` lists the keys)."
                )
            raise ValueError(
                f"{where}: DataDomain.from_domain_attributes key_arn must be a KMS key ARN "
                f"(arn:<partition>:kms:<region>:<account>:key/<key id>), got {render(key_arn)}; an "
                "alias does not identify the key exactly."
            )
        super().__init__(scope, id)
        #: The referenced domain's name.
        self.domain_name: str = domain_name
        #: The referenced key's ARN, exactly as the checks compare it.
        self.referenced_key_arn: str = key_arn
        #: The account of the referenced key (None when the ARN is a token).
        self.key_account: str | None = None if "${Token[" in key_arn else key_arn.split(":")[4]
        #: The SSM parameter a :meth:`DataDomain.from_lookup` reference was read from.
        self.parameter_name: str | None = _lookup[0] if _lookup else None
        #: True while the looked-up value is not in context yet (the key ARN is a placeholder).
        self.lookup_pending: bool = bool(_lookup and _lookup[1])
        if self.lookup_pending:
            cdk.Annotations.of(self).add_warning_v2(
                "cdk-partition:lookup-pending",
                f"The key ARN of domain {domain_name!r} (SSM parameter {self.parameter_name!r}) "
                "is not in context yet: its stores name a placeholder key. The CDK CLI looks "
                "the parameter up and synthesizes again; outside the CLI, put its value in "
                "cdk.context.json.",
            )
        #: The domain's key (imported: its policy is not this app's).
        self.key: kms.IKey = kms.Key.from_key_arn(self, "Key", key_arn)
        #: Key-policy statements the store methods needed and the owner must provide (text).
        self.key_policy_requirements: list[str] = []

    # -- the key policy is the owner's ---------------------------------------------------------
    def _refuse_policy_change(self, what: str) -> None:
        raise ValueError(
            f"{self.node.path}: {what}() would change the key policy of domain "
            f"{self.domain_name!r}, which the app that owns the domain writes. Ask its owner to "
            "grant the capability there (domain.grant_read/grant_write in the owning app)."
        )

    def grant_read(self, principal: Any) -> None:
        self._refuse_policy_change("grant_read")

    def grant_write(self, principal: Any) -> None:
        self._refuse_policy_change("grant_write")

    def grant_administer(self, principal: Any) -> None:
        self._refuse_policy_change("grant_administer")

    def add_to_key_policy(self, statement: iam.PolicyStatement) -> None:
        self._refuse_policy_change("add_to_key_policy")

    def _require(self, text: str) -> None:
        if text not in self.key_policy_requirements:
            self.key_policy_requirements.append(text)
            cdk.Annotations.of(self).add_warning_v2(
                f"cdk-partition:key-policy-requirement:{len(self.key_policy_requirements)}",
                f"The key policy of domain {self.domain_name!r} (owned elsewhere) must allow "
                f"{text}, or the store cannot be created or used.",
            )

    def _allow_via(self, service: str) -> None:
        self._require(
            f"this app's deployment role to create grants for AWS resources and use data keys "
            f"through {service} (kms:ViaService {service}.<region>.amazonaws.com)"
        )

    def _add_service_statement(self, statement: iam.PolicyStatement) -> None:
        rendered = cdk.Stack.of(self).to_json_string(statement.to_statement_json())
        self._require(f"the statement {rendered}")

    def _exempt_from_deny(self, arn: str) -> None:
        self._require(f"{arn} past DenyEveryoneElse")

    def _allow_ebs_infrastructure(self) -> None:
        self._require(
            "the EC2 identity-only role (role/aws:ec2-infrastructure/*) past DenyEveryoneElse"
        )

    def _check_key_account(self, store: str, store_id: str | None) -> None:
        """Refuse a store whose service does not accept a key of another account, when the
        key's account and the stack's are known and differ; warn when it cannot be decided or
        AWS does not say (:func:`cdk_partition.knowledge.contracts.cross_account_verdict`)."""
        stack = cdk.Stack.of(self)
        account = stack.account
        verdict, text = contracts.cross_account_verdict(
            store, self.key_account, None if cdk.Token.is_unresolved(account) else account
        )
        path = f"{self.node.path}/{store_id}" if store_id else f"{self.node.path} ({store})"
        key_region = (
            None if "${Token[" in self.referenced_key_arn else self.referenced_key_arn.split(":")[3]
        )
        if key_region and not cdk.Token.is_unresolved(stack.region) and key_region != stack.region:
            # a store uses a key of its own region (the checks say CDKP004 otherwise)
            raise ValueError(
                f"{path}: key_arn of domain {self.domain_name!r} is in {key_region}, but stack "
                f"{stack.node.path!r} deploys to {stack.region}: a store uses a key of its own "
                "region. Reference the domain's key of that region (a multi-Region domain's "
                "replica key) or create the store in a stack of "
                f"{key_region}."
            )
        if verdict == "refuse":
            raise ValueError(f"{path}: {text}")
        warned: set[str] = self.__dict__.setdefault("_key_account_warned", set())
        if verdict == "warn" and store not in warned:  # once per store kind
            warned.add(store)
            cdk.Annotations.of(self).add_warning_v2(
                f"cdk-partition:cross-account-key:{store}", f"{path}: {text}."
            )

    def __str__(self) -> str:
        return f"referenced domain {self.domain_name!r}"


def _checking_key_account(store: str) -> Callable[..., Any]:
    """``store`` of :class:`StoreFactories`, checking the referenced key's account first."""
    method = getattr(StoreFactories, store)

    @functools.wraps(method)
    def store_method(self: DomainReference, *args: Any, **kwargs: Any) -> Any:
        store_id = args[0] if args and isinstance(args[0], str) else kwargs.get("id")
        self._check_key_account(store, store_id)
        return method(self, *args, **kwargs)

    return store_method


# every store method of a reference checks the key's account (one row per method: a test)
for _store in contracts.CROSS_ACCOUNT_KEYS:
    setattr(DomainReference, _store, _checking_key_account(_store))


def _check_replica_regions(
    domain: Construct, domain_name: str, replica_regions: Sequence[str]
) -> tuple[str, ...]:
    """The replica regions of a multi-Region domain, or raise with what to change."""
    where = f"DataDomain {domain_name!r} ({domain.node.path})"
    if isinstance(replica_regions, str):
        raise ValueError(
            f"{where}: replica_regions takes a list of regions, got the string "
            f"{replica_regions!r}; pass replica_regions=[{replica_regions!r}]."
        )
    regions = tuple(replica_regions)
    if not regions:
        return ()
    stack = cdk.Stack.of(domain)
    if cdk.Token.is_unresolved(stack.region) or cdk.Token.is_unresolved(stack.account):
        raise ValueError(
            f"{where}: replica_regions needs a stack with an explicit account and region (stack "
            f"{stack.node.path!r} is environment-agnostic): each replica key is created in a "
            "stack of its region in the same account, and the checks compare regions. Pass "
            "env=cdk.Environment(account=..., region=...) to the stack."
        )
    for region in regions:
        if not isinstance(region, str) or not _REGION.match(region):
            raise ValueError(f"{where}: replica_regions has {region!r}, not a region name.")
        if region == stack.region:
            raise ValueError(
                f"{where}: replica_regions names {region}, the primary key's own region; a "
                "replica must be in another region (AWS KMS ReplicateKey). Drop it."
            )
        # AWS KMS API Reference, "ReplicateKey"
        # (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html): "creates a
        # multi-Region replica key based on a multi-Region primary key in a different Region of
        # the same Amazon Web Services partition"
        home = region_info.RegionInfo.get(stack.region).partition
        there = region_info.RegionInfo.get(region).partition
        if home and there and home != there:
            raise ValueError(
                f"{where}: replica_regions names {region} (partition {there}), but the primary "
                f"key is in {stack.region} (partition {home}); a replica is in the same "
                "partition as its primary (AWS KMS ReplicateKey). Create a separate domain "
                f"in {there}."
            )
    if len(set(regions)) != len(regions):
        raise ValueError(f"{where}: replica_regions {list(regions)} names a region twice.")
    return regions


def _foreign_references(value: Any) -> bool:
    """``value`` (resolved) refers to a resource (``Ref``, ``Fn::GetAtt``, ``Fn::ImportValue``),
    not only to pseudo parameters."""
    if isinstance(value, dict):
        ref = value.get("Ref")
        if isinstance(ref, str) and not ref.startswith("AWS::"):
            return True
        if "Fn::GetAtt" in value or "Fn::ImportValue" in value:
            return True
        return any(_foreign_references(v) for v in value.values())
    if isinstance(value, list):
        return any(_foreign_references(v) for v in value)
    return False


def _arn_by_name(principal: Any, stack: cdk.Stack) -> str | None:
    """The ARN of a role or user of this app from its literal name, path and account (IAM is
    global: the same ARN in every region), or None when CDK does not know them at synth."""
    node = getattr(principal, "node", None)
    cfn = node.default_child if node is not None else None
    if isinstance(cfn, iam.CfnRole):
        kind, name = "role", cfn.role_name
    elif isinstance(cfn, iam.CfnUser):
        kind, name = "user", cfn.user_name
    else:
        return None
    path = cfn.path or "/"
    account = cdk.Stack.of(cfn).account
    if any(not isinstance(v, str) or cdk.Token.is_unresolved(v) for v in (name, path, account)):
        return None
    return f"arn:{stack.partition}:iam::{account}:{kind}{path}{name}"


class DomainReplica(_PolicyMembers, StoreFactories, Construct):
    """The replica key of a multi-Region :class:`DataDomain` in another region.

    Create it in a stack of one of the domain's ``replica_regions`` (same account, explicit
    env), with :meth:`DataDomain.replica` or directly. It is an ``AWS::KMS::ReplicaKey`` of the
    domain's primary key: the same key id and key material, so data encrypted in one region
    decrypts in another (AWS KMS Developer Guide, "Multi-Region keys in AWS KMS",
    https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html). A
    replica's key policy is its own (AWS KMS API Reference, "ReplicateKey": "All other
    properties of a replica key can differ, including its key policy"; AWS KMS Developer Guide,
    "Control access to multi-Region keys",
    https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-auth.html: "Each
    multi-Region key is an independent resource with a unique key ARN and key policy"), so the
    domain keeps it in step: the same capability statements for the same principals and the same
    ``DenyEveryoneElse``, with this stack's deployment role as administrator. Later grants on
    the domain reach every replica.

    Principals are named by ARN in the replica region. A role or user of a stack in another
    region is named by the ARN its literal name gives (IAM is global); one whose name is only
    known at deployment is refused: a CloudFormation reference does not cross regions.

    It has the domain's store methods, each putting its store on this replica key; the statements
    a store's service contract needs are written into this key's policy, for this region.
    Automatic rotation is a property the replica shares with its primary (AWS KMS, "ReplicateKey").

    The ``PrimaryKeyArn`` is the primary key's ARN, known only once the primary is deployed: the
    domain key's ARN token, which CDK carries across regions between stacks with explicit
    regions: the primary's stack writes it as an SSM parameter of this region
    (``Custom::CrossRegionExportWriter``), this stack reads it
    (``Custom::CrossRegionExportReader``), and CDK makes this stack depend on the primary's. The
    checks follow that pair to tie the replica to its primary (``CDKP108`` otherwise).

    :param domain: the multi-Region domain (``DataDomain(..., replica_regions=[...])``).
    :param description: Default: ``"Data key of the <name> domain (replica in <region>)"``.
    :param pending_window: 7 to 30 days. Default: 30 days.
    :param removal_policy: Default: ``RemovalPolicy.RETAIN``.
    :param deployment_role: the principal that deploys this stack, given ``administer``.
        Default: this stack's ``DefaultStackSynthesizer`` CloudFormation execution role (the
        bootstrap role of this region).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain: DataDomain,
        description: str | None = None,
        pending_window: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        deployment_role: iam.IPrincipal | None = None,
    ) -> None:
        if not isinstance(domain, DataDomain):
            raise TypeError(f"DomainReplica {id!r}: domain must be a DataDomain of this app.")
        stack = cdk.Stack.of(scope)
        where = f"DomainReplica {id!r} of domain {domain.domain_name!r}"
        region, account = stack.region, stack.account
        if not domain.replica_regions:
            raise ValueError(
                f"{where}: the domain's key is single-Region. Pass replica_regions=[...] (the "
                "regions it spans) to the DataDomain; its key then becomes multi-Region."
            )
        if cdk.Token.is_unresolved(region) or cdk.Token.is_unresolved(account):
            raise ValueError(
                f"{where}: stack {stack.node.path!r} is environment-agnostic; a replica key needs "
                "a stack with an explicit account and region (env=cdk.Environment(...))."
            )
        if region not in domain.replica_regions:
            raise ValueError(
                f"{where}: stack {stack.node.path!r} deploys to {region}, which is not one of the "
                f"domain's replica_regions {list(domain.replica_regions)}. Add {region!r} there, "
                "or create the replica in a stack of one of those regions."
            )
        primary_account = cdk.Stack.of(domain).account
        if account != primary_account:
            raise ValueError(
                f"{where}: stack {stack.node.path!r} is in account {account}, the primary key in "
                f"account {primary_account}; a replica key lives in its primary's account (AWS "
                "KMS ReplicateKey). Create it in a stack of that account."
            )
        if any(r.region == region for r in domain.replicas):
            raise ValueError(f"{where}: the domain already has a replica key in {region}.")
        window_days = 30 if pending_window is None else pending_window.to_days()
        if not 7 <= window_days <= 30:
            raise ValueError(
                f"{where}: pending_window is {window_days} days; KMS accepts 7 to 30 days."
            )
        super().__init__(scope, id)
        #: The multi-Region domain this key replicates.
        self.domain: DataDomain = domain
        #: The domain's name (the replica's alias is ``alias/<domain_name>`` too).
        self.domain_name: str = domain.domain_name
        #: The region of this replica key (its stack's).
        self.region: str = region
        #: The domain's replica regions.
        self.replica_regions: tuple[str, ...] = domain.replica_regions
        self._members: dict[Capability, list[iam.IPrincipal]] = {c: [] for c in Capability}
        self._arns: dict[Capability, list[str]] = {c: [] for c in Capability}
        self._statements: dict[Capability, iam.PolicyStatement] = {}
        self._exempt_arns: list[str] = []
        self._deny = key_policy.deny_everyone_else_statement([])
        self._policy = iam.PolicyDocument()
        #: The principal that deploys this stack (given ``administer`` on the replica key).
        self.deployment_role: iam.IPrincipal = deployment_role or _default_deployment_role(self)

        # AWS CloudFormation Template Reference, "AWS::KMS::ReplicaKey"
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-replicakey.html):
        # created in the region of the stack; PrimaryKeyArn (an ARN, not an alias or key id) and
        # KeyPolicy are required.
        #: The ``AWS::KMS::ReplicaKey`` resource.
        self.cfn_key: kms.CfnReplicaKey = kms.CfnReplicaKey(
            self,
            "Key",
            primary_key_arn=domain.key.key_arn,
            key_policy=self._policy,
            description=description
            or f"Data key of the {domain.domain_name} domain (replica in {region})",
            pending_window_in_days=window_days,
        )
        self.cfn_key.apply_removal_policy(removal_policy)
        self.cfn_key.add_metadata(DOMAIN_METADATA_KEY, domain.domain_name)
        self.cfn_key.add_metadata(
            DEPLOYMENT_ROLE_METADATA_KEY,
            key_policy.principal_arn(self.deployment_role, capability="deployment"),
        )
        #: The replica key, as a ``kms.IKey`` the store methods and L2s take.
        self.key: kms.IKey = kms.Key.from_key_arn(self, "ReplicaKey", self.cfn_key.attr_arn)
        #: The replica key's alias, ``alias/<domain_name>`` in this region.
        self.alias: kms.Alias = kms.Alias(
            self, "Alias", alias_name=f"alias/{domain.domain_name}", target_key=self.key
        )
        for capability in Capability:
            for principal, arn in zip(
                domain._members[capability], domain._arns[capability], strict=True
            ):
                self._mirror(capability, principal, arn)
        self._policy.add_statements(self._deny)
        for statement in domain._extra_statements:
            self._add_extra(statement)
        domain.replicas.append(self)

    # -- the key policy, kept in step with the domain's ---------------------------------------
    def _mirror(self, capability: Capability, principal: iam.IPrincipal, arn: str) -> None:
        """Give ``principal`` (already in the domain's key policy) ``capability`` here."""
        if capability is Capability.ADMINISTER and principal is self.domain.deployment_role:
            principal = self.deployment_role  # this region's deployment role instead
            arn = key_policy.principal_arn(principal, capability="deployment")
        arn = self._arn_here(principal, arn, capability)
        self._name(capability, iam.ArnPrincipal(arn), arn)

    def _arn_here(self, principal: iam.IPrincipal, arn: str, capability: Capability) -> str:
        """``arn`` as this region's stack can name it, or raise with what to do."""
        stack = cdk.Stack.of(self)
        if not cdk.Token.is_unresolved(arn):
            return arn
        node = getattr(principal, "node", None)
        if node is not None and cdk.Stack.of(principal) is stack:  # type: ignore[arg-type]
            return arn
        try:
            resolved = stack.resolve(arn)
        except RuntimeError:  # the CDK refuses an unnamed resource across environments
            resolved = {"Ref": "unnamed"}
        if not _foreign_references(resolved):
            return arn  # pseudo parameters only: this stack's own values
        by_name = _arn_by_name(principal, stack)
        if by_name is not None:
            return by_name
        what = node.path if node is not None else type(principal).__name__
        raise ValueError(
            f"{self.node.path}: {what} ({capability.value}) has an ARN known only at deployment "
            f"in another stack, which the key policy of the replica in {self.region} cannot "
            "reference (CloudFormation references do not cross regions). Give the role or user "
            "a literal name (role_name=/user_name=), or grant it by ARN "
            "(iam.Role.from_role_arn(..., 'arn:aws:iam::<account>:role/<name>'))."
        )

    def _add_extra(self, statement: iam.PolicyStatement) -> None:
        rendered = cdk.Stack.of(self).resolve(statement.to_statement_json())
        if _foreign_references(rendered):
            raise ValueError(
                f"{self.node.path}: a statement added with add_to_key_policy of domain "
                f"{self.domain_name!r} references a resource ({rendered}), which the key policy "
                f"of the replica in {self.region} cannot (references do not cross regions). "
                "Write it with literal ARNs."
            )
        self._policy.add_statements(statement)

    def _allow_ebs_infrastructure(self) -> None:
        stack = cdk.Stack.of(self)
        pattern = contracts.INFRASTRUCTURE_ROLE_PATTERN.replace(
            "${AWS::Partition}", stack.partition
        ).replace("${AWS::AccountId}", stack.account)
        self._deny.add_condition("ArnNotLike", {"aws:PrincipalArn": pattern})

    # -- access: the domain's, for every key of it ---------------------------------------------
    def grant_administer(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """The domain's :meth:`DataDomain.grant_administer` (every key of the domain)."""
        self.domain.grant_administer(principal)

    def grant_read(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """The domain's :meth:`DataDomain.grant_read` (every key of the domain)."""
        self.domain.grant_read(principal)

    def grant_write(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """The domain's :meth:`DataDomain.grant_write` (every key of the domain)."""
        self.domain.grant_write(principal)

    def grant(self, principal: iam.IPrincipal | iam.IGrantable, *capabilities: Capability) -> None:
        self.domain.grant(principal, *capabilities)

    def principals(self, capability: Capability) -> tuple[iam.IPrincipal, ...]:
        """Who holds ``capability`` on this replica (by ARN in this region)."""
        return tuple(self._members[Capability(capability)])

    def add_to_key_policy(self, statement: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        """The domain's :meth:`DataDomain.add_to_key_policy`: on every key of the domain."""
        return self.domain.add_to_key_policy(statement)

    def __str__(self) -> str:
        return f"domain {self.domain_name!r} (replica in {self.region})"


def id_of_root(scope: Construct) -> str:
    """A stable identity of the construct tree ``scope`` lives in (for per-app registries)."""
    root = scope.node.root
    ref = getattr(root, "__jsii_ref__", None)
    return getattr(ref, "ref", None) or str(id(root))


class DomainOptions(TypedDict, total=False):
    """The options of :class:`DataDomain` that :class:`DomainStack` passes through
    (``domain_props={...}``); each key is the :class:`DataDomain` parameter of the same name, with
    its default when left out. ``tests/test_typing.py`` keeps the keys and types equal to
    ``DataDomain``'s."""

    description: str | None
    pending_window: cdk.Duration | None
    removal_policy: cdk.RemovalPolicy
    deployment_role: iam.IPrincipal | None
    key_policy_statements: Sequence[iam.PolicyStatement]
    replica_regions: Sequence[str]


class DomainStack(cdk.Stack):
    """A ``Stack`` that owns one :class:`DataDomain` (``.domain``) and checks itself.

    It adds :class:`~cdk_partition.DomainEncryptionChecks` for its domain to itself, so
    ``cdk synth`` fails when any store in the stack does not use the domain key.

    :param domain_name: as :class:`DataDomain`'s.
    :param administrators: as :class:`DataDomain`'s.
    :param readers: as :class:`DataDomain`'s. Default: nobody.
    :param writers: as :class:`DataDomain`'s. Default: nobody.
    :param domain_props: the other options of :class:`DataDomain` (:class:`DomainOptions`, e.g.
        ``{"removal_policy": cdk.RemovalPolicy.DESTROY}``). Default: ``DataDomain``'s defaults.

    The other keyword arguments are ``cdk.Stack``'s own (``tests/test_typing.py`` keeps them
    equal to the installed aws-cdk-lib's), passed to it as given; each left out (None) means
    ``cdk.Stack``'s default:

    :param analytics_reporting: include runtime versioning information in the stack. Default:
        the ``aws:cdk:version-reporting`` context.
    :param cross_region_references: enable references to resources of stacks in other Regions.
        Default: off.
    :param description: the stack's description. Default: none.
    :param env: the AWS environment (account, Region). Default: environment-agnostic.
    :param notification_arns: SNS topic ARNs that receive stack events. Default: none.
    :param permissions_boundary: a permissions boundary for the stack's IAM roles and users.
        Default: none.
    :param property_injectors: property injectors for the stack's constructs. Default: none.
    :param stack_name: the CloudFormation stack name. Default: derived from the construct path.
    :param suppress_template_indentation: synthesize the template without indentation.
        Default: the ``@aws-cdk/core:suppressTemplateIndentation`` context.
    :param synthesizer: the stack synthesizer. Default: the app's default
        (``DefaultStackSynthesizer``).
    :param tags: tags applied to the stack and its resources. Default: none.
    :param termination_protection: enable termination protection. Default: off.
    """

    def __init__(
        self,
        scope: Construct | None,
        id: str | None,
        *,
        domain_name: str,
        administrators: Sequence[iam.IPrincipal],
        readers: Sequence[iam.IPrincipal] = (),
        writers: Sequence[iam.IPrincipal] = (),
        domain_props: DomainOptions | None = None,
        analytics_reporting: bool | None = None,
        cross_region_references: bool | None = None,
        description: str | None = None,
        env: cdk.Environment | dict[str, Any] | None = None,
        notification_arns: Sequence[str] | None = None,
        permissions_boundary: cdk.PermissionsBoundary | None = None,
        property_injectors: Sequence[cdk.IPropertyInjector] | None = None,
        stack_name: str | None = None,
        suppress_template_indentation: bool | None = None,
        synthesizer: cdk.IStackSynthesizer | None = None,
        tags: Mapping[str, str] | None = None,
        termination_protection: bool | None = None,
    ) -> None:
        validate_domain_name(domain_name, path_of(scope, id))
        super().__init__(
            scope,
            id,
            analytics_reporting=analytics_reporting,
            cross_region_references=cross_region_references,
            description=description,
            env=env,
            notification_arns=notification_arns,
            permissions_boundary=permissions_boundary,
            property_injectors=property_injectors,
            stack_name=stack_name,
            suppress_template_indentation=suppress_template_indentation,
            synthesizer=synthesizer,
            tags=tags,
            termination_protection=termination_protection,
        )
        #: The stack's data domain.
        self.domain: DataDomain = DataDomain(
            self,
            "Domain",
            domain_name=domain_name,
            administrators=administrators,
            readers=readers,
            writers=writers,
            **(domain_props or DomainOptions()),
        )
        from .checks import DomainEncryptionChecks

        #: The checks this stack applies to itself: the same as ``Aspects.of(self).add(...)``
        #: without the jsii callback per construct that an aspect costs (see README, Benchmarks).
        self.checks: DomainEncryptionChecks = DomainEncryptionChecks(self.domain)
        self.checks.apply_to(self)

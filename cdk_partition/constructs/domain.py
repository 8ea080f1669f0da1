"""``DataDomain``: one customer managed KMS key per data domain, with a least-privilege key policy.

Its replica keys (multi-Region domains) are in :mod:`.replica`, references to domains defined
elsewhere in :mod:`.reference`, the stack that owns one domain in :mod:`.stack`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

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
    REPLICA_REGIONS_METADATA_KEY,
)
from . import key_policy
from ._common import _default_deployment_role, _PolicyMembers, id_of_root, validate_domain_name
from ._messages import path_of
from .checks import register_plugin
from .exemptions import exempt
from .mixin import DomainEncryptionAtRest
from .reference import DomainReference, lookup_reference, published_parameter_name
from .replica import DomainReplica, _pending_window_days
from .service_door import ServiceDoor
from .stores import StoreFactories

#: Stage -> domain name -> construct path of the domain that claimed it first.
_DOMAINS_BY_STAGE: dict[str, dict[str, str]] = {}
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


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
    refuses); a statement scoped by its source's literal ARN (a bucket imported by name) keeps
    that scope as written (``AllowPublisher<Service>Scoped<n>``, the audit judging it). Any other
    statement is added as given. (A jsii callback per call, never per
    construct.)
    """

    def __init__(self, scope: Construct, id: str, *, domain: DataDomain, **props: Any) -> None:
        self._domain = domain
        super().__init__(scope, id, **props)

    def add_to_resource_policy(
        self, statement: iam.PolicyStatement, allow_no_op: bool | None = None
    ) -> iam.AddToResourcePolicyResult:
        unresolved = statement.to_statement_json()
        rendered = cdk.Stack.of(self).resolve(unresolved)
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
        sources = key_policy.literal_sources_of(rendered, unresolved)
        if sources is not None:  # a source imported by name: the contract's actions, its scope
            self._domain._allow_publisher_scoped(sources[0], unresolved["Condition"])
            return iam.AddToResourcePolicyResult(statement_added=True, policy_dependable=self)
        services = key_policy.service_principals_of(rendered)
        if services == ["fargate.amazonaws.com"]:
            # the CDK's Fargate statements lack the DescribeKey AWS requires (its contract)
            self._domain._allow_fargate_describe()
        elif services:
            # a service statement an L2 writes (CloudFront's origin access control, Step
            # Functions' log delivery): kept unless the app declares that service's statement
            # with `allow_service`, which then replaces it (written when the policy is produced)
            self._domain._cdk_service_statement(services, statement)
            return iam.AddToResourcePolicyResult(statement_added=True, policy_dependable=self)
        return super().add_to_resource_policy(statement, allow_no_op)


#: Capability -> the props and methods a user gives principals of it with (named in errors).
_GRANT_PROPS = {
    Capability.ADMINISTER: "administrators= / grant_administer()",
    Capability.READ: "readers= / grant_read()",
    Capability.WRITE: "writers= / grant_write()",
}


class DataDomain(_PolicyMembers, StoreFactories, ServiceDoor, Construct):
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
        # the audit runs at synth whether or not the app applies checks: synth == the CLI
        register_plugin(self)
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
        self.replicas: list[DomainReplica[DataDomain]] = []
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
        # the contract rows of every store on the key, however it was made, at synth
        self._follow_stores(cfn_key)
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
        return lookup_reference(scope, id, domain_name=domain_name, parameter_name=parameter_name)

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
        exempt(
            parameter,
            "CDKP032",
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
    ) -> DomainReplica[DataDomain]:
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

    def encryption_at_rest(self, *, replace_keys: bool = False) -> DomainEncryptionAtRest:
        """A CDK Mixin that puts every catalogued store of a scope on this domain's key:
        ``cdk.Mixins.of(scope).apply(domain.encryption_at_rest())``. See
        :class:`~.mixin.DomainEncryptionAtRest` (``replace_keys``: move stores already on another
        key instead of raising ``ConflictingEncryptionError``)."""
        return DomainEncryptionAtRest(self, replace_keys=replace_keys)

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

    @property
    def ikey(self) -> kms.IKey:
        """The domain's key (:attr:`key`, the same object) typed as ``aws_kms.IKey``: what store
        props such as ``s3.Bucket(encryption_key=...)`` take.

        Pyright refuses ``encryption_key=domain.key``: the jsii-generated ``kms.Key`` does not
        match the ``IKey`` protocol structurally (``Key.add_alias(alias_name)`` against
        ``IKey.add_alias(alias)``), although at run time a ``Key`` is an ``IKey``. mypy accepts
        both. Write ``encryption_key=domain.ikey`` to satisfy both checkers (docs/typing.md).
        """
        return cast(kms.IKey, self.key)

    def principals(self, capability: Capability) -> tuple[iam.IPrincipal, ...]:
        """The principals currently holding ``capability`` (the deployment role included)."""
        return tuple(self._members[Capability(capability)])

    def add_to_key_policy(self, statement: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        """Append ``statement`` to the key policy as is.

        The statement is added as given (the L2 wiring the domain key rewrites, see
        ``_DomainKey``, is not touched here). The domain checks audit the result: a statement that
        gives a principal more than its capability, allows everyone without conditions, or gives
        an AWS service more than its needs (CDKP106) is reported. For an AWS service, prefer
        :meth:`allow_service`, which checks the statement now and records the AWS page it
        follows; a statement that must stay as written is exempted with
        ``exempt(domain.key, "CDKP106", reason)``.

        :raises ValueError: a principal of the statement with a wildcard inside its ARN
            (``role/analytics-*``): KMS refuses such a key policy at deployment (IAM User Guide,
            "AWS JSON policy elements: Principal"); CDKP109 reports the same in a template.
        """
        from ..audit.key_values import principal_problems

        resolved = cdk.Stack.of(self).resolve(statement.to_statement_json())
        for _, why in principal_problems(resolved.get("Principal")):
            raise ValueError(
                f"{self.node.path}: add_to_key_policy(statement): the statement {why}. Name each "
                "role or user by its whole ARN, one principal per entry "
                "(iam.Role.from_role_arn(scope, id, 'arn:aws:iam::<account>:role/<name>')), and "
                "give it its capability with domain.grant_read / grant_write / grant_administer."
            )
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
        self._refuse_other_stage(principal, arn, capability)
        if not self._name(capability, principal, arn):
            return
        node = getattr(principal, "node", None)
        if node is not None:  # checked at synth for a cycle (_refuse_cyclic_grants)
            method = _GRANT_PROPS[capability].split(" / ")[1].removesuffix("()")
            self._note_cross_stack_grant(principal, f"{method}({node.path})", cdk.Stack.of(self))
        for replica in self.replicas:
            replica._mirror(capability, principal, arn)

    def _refuse_other_stage(self, principal: iam.IPrincipal, arn: str, capability: Any) -> None:
        """A principal of another Stage named by a token: the CDK cannot reference a construct
        across Stages (``NoCrossStageDependency`` at synth, with no word of this library), so
        the grant raises now with the pattern that works (a physical name, the ARN as text)."""
        node = getattr(principal, "node", None)
        if node is None or not cdk.Token.is_unresolved(arn):
            return
        if cdk.Stage.of(cast(Construct, principal)) is cdk.Stage.of(self):
            return
        method = _GRANT_PROPS[capability].split(" / ")[1].removesuffix("()")
        raise ValueError(
            f"{self.node.path}: {method}({node.path}): the principal lives in another Stage than "
            f"domain {self.domain_name!r}, and the CDK cannot reference a construct across "
            "Stages. Give the role a physical name where it is created (role_name='<name>'), and "
            f"here name it by that ARN: domain.{method}(iam.Role.from_role_arn(scope, id, "
            "'arn:aws:iam::<account>:role/<name>'))."
        )

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

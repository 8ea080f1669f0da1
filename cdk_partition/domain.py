"""``DataDomain``: one customer managed KMS key per data domain, with a least-privilege key policy.

And ``DomainStack``: a ``Stack`` that owns one ``DataDomain``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from . import contracts, key_policy
from ._native import StackFacts
from .assembly import DEPLOYMENT_ROLE_METADATA_KEY, DOMAIN_METADATA_KEY
from .capabilities import Capability
from .stores import StoreFactories

if TYPE_CHECKING:
    from .checks import DomainEncryptionChecks

_DOMAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_-]*$")
_MAX_DOMAIN_NAME = 250  # "alias/" + name must fit KMS's 256-character alias limit
_DOMAINS_BY_STAGE: dict[str, set[str]] = {}


def validate_domain_name(domain_name: str) -> None:
    """Raise ``ValueError`` unless ``alias/<domain_name>`` is a valid, non-reserved KMS alias."""
    if not isinstance(domain_name, str) or not domain_name:
        raise ValueError("domain_name must be a non-empty string such as 'orders'.")
    if "${Token[" in domain_name:
        raise ValueError(
            "domain_name must be known at synth time (got a token); pass a literal such as 'orders'."
        )
    if domain_name.lower().startswith("aws/") or domain_name.lower() == "aws":
        raise ValueError(
            f"domain_name {domain_name!r} would make the alias 'alias/{domain_name}', but the "
            "'alias/aws/' prefix is reserved for AWS managed keys. Choose another name."
        )
    if len(domain_name) > _MAX_DOMAIN_NAME:
        raise ValueError(
            f"domain_name is {len(domain_name)} characters; at most {_MAX_DOMAIN_NAME} fit in a KMS "
            "alias ('alias/' + name <= 256). Shorten it."
        )
    if not _DOMAIN_NAME.match(domain_name):
        raise ValueError(
            f"domain_name {domain_name!r} has characters a KMS alias cannot hold; use letters, "
            "digits, '/', '_' and '-', starting with a letter or digit (e.g. 'credit-applications')."
        )


def _default_deployment_role(scope: Construct) -> iam.IPrincipal:
    stack = cdk.Stack.of(scope)
    # read in the kernel: a synthesizer passed to the Stack is bound as a clone, which Python
    # cannot reach through ``stack.synthesizer``
    arn = StackFacts.cloud_formation_execution_role_arn(stack)
    if not arn:
        raise ValueError(
            f"Stack {stack.node.path!r} has a synthesizer without a CloudFormation execution "
            "role (it is not a DefaultStackSynthesizer or BootstraplessSynthesizer). Pass "
            "deployment_role= (the principal that deploys the stack, e.g. "
            "iam.Role.from_role_arn(...)) so the key policy lets it manage the key; KMS refuses "
            "a key policy that locks out its creator."
        )
    return iam.ArnPrincipal(cdk.Fn.sub(arn) if "${" in arn else arn)


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
    (:data:`cdk_partition.contracts.SERVICE_PUBLISHERS`): the contract's actions only, scoped to
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


class DataDomain(StoreFactories, Construct):
    """A data domain: a customer managed KMS key whose key policy is the domain's access control.

    The key is symmetric, rotated yearly, aliased ``alias/<domain_name>`` and retained on stack
    deletion by default. Its policy names the domain's administrators, readers and writers
    directly and denies ``kms:*`` to every other principal (see :mod:`cdk_partition.key_policy`).

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
    ) -> None:
        validate_domain_name(domain_name)
        if not administrators:
            raise ValueError(
                f"DataDomain {domain_name!r} needs at least one administrator: a key nobody can "
                "manage cannot be rotated, re-permissioned or retired. Pass administrators=[...]."
            )
        window_days = 30 if pending_window is None else pending_window.to_days()
        if not 7 <= window_days <= 30:
            raise ValueError(
                f"pending_window is {window_days} days; KMS accepts 7 to 30 days. "
                "Pass e.g. Duration.days(30)."
            )
        super().__init__(scope, id)
        stage_path = stage.node.path if (stage := cdk.Stage.of(self)) else ""
        names = _DOMAINS_BY_STAGE.setdefault(f"{id_of_root(self)}:{stage_path}", set())
        if domain_name in names:
            raise ValueError(
                f"A data domain named {domain_name!r} already exists in this Stage: both keys "
                f"would claim alias/{domain_name}. Give each domain its own name."
            )
        names.add(domain_name)

        #: The domain's name (the key's alias is ``alias/<domain_name>``).
        self.domain_name: str = domain_name
        self._members: dict[Capability, list[iam.IPrincipal]] = {c: [] for c in Capability}
        self._arns: dict[Capability, list[str]] = {c: [] for c in Capability}
        self._statements: dict[Capability, iam.PolicyStatement] = {}
        self._exempt_arns: list[str] = []
        self._deny = key_policy.deny_everyone_else_statement([])
        self._policy = iam.PolicyDocument()
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
        )
        cfn_key = self.key.node.default_child
        assert isinstance(cfn_key, kms.CfnKey)
        cfn_key.add_metadata(DOMAIN_METADATA_KEY, domain_name)
        # the principal the create-time service contracts name (the audit checks them: CDKP107)
        cfn_key.add_metadata(
            DEPLOYMENT_ROLE_METADATA_KEY,
            key_policy.principal_arn(self.deployment_role, capability="deployment"),
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
        return iam.AddToResourcePolicyResult(statement_added=True, policy_dependable=self.key)

    def _grant(self, capability: Capability, grantee: iam.IPrincipal | iam.IGrantable) -> None:
        principal = cast(iam.IPrincipal, getattr(grantee, "grant_principal", None) or grantee)
        arn = key_policy.principal_arn(principal, capability=f"{capability.value} on {self}")
        if arn in self._arns[capability]:
            return
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

    def _allow_fargate_describe(self) -> None:
        """``kms:DescribeKey`` for Fargate, the row of its contract the CDK's own statements
        miss (:mod:`cdk_partition.contracts`, ``ecs_cluster_fargate_storage``)."""
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
        (:data:`cdk_partition.contracts.INFRASTRUCTURE_ROLE_PATTERN`)."""
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
    """

    def __init__(self, scope: Construct, id: str, *, domain_name: str, key_arn: str) -> None:
        validate_domain_name(domain_name)
        if not isinstance(key_arn, str) or (
            "${Token[" not in key_arn
            and not re.match(r"^arn:[^:]+:kms:[^:]+:\d{12}:key/.+", key_arn)
        ):
            raise ValueError(
                f"DataDomain.from_domain_attributes {id!r}: key_arn must be a KMS key ARN "
                f"(arn:<partition>:kms:<region>:<account>:key/<key id>), got {key_arn!r}; an "
                "alias does not identify the key exactly."
            )
        super().__init__(scope, id)
        #: The referenced domain's name.
        self.domain_name: str = domain_name
        #: The referenced key's ARN, exactly as the checks compare it.
        self.referenced_key_arn = key_arn
        #: The domain's key (imported: its policy is not this app's).
        self.key: kms.IKey = kms.Key.from_key_arn(self, "Key", key_arn)
        #: Key-policy statements the store methods needed and the owner must provide (text).
        self.key_policy_requirements: list[str] = []

    # -- the key policy is the owner's ---------------------------------------------------------
    def _refuse_policy_change(self, what: str) -> None:
        raise ValueError(
            f"{self.node.path}: {what} would change the key policy of domain "
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

    def __str__(self) -> str:
        return f"referenced domain {self.domain_name!r}"


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
        validate_domain_name(domain_name)
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

"""``DomainReplica``: the replica key of a multi-Region data domain in another region, its key
policy kept in step with the domain's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ..knowledge import contracts
from ..knowledge.capabilities import Capability
from ..marks import (
    DEPLOYMENT_ROLE_METADATA_KEY,
    DOMAIN_METADATA_KEY,
    SERVICE_STATEMENTS_METADATA_KEY,
)
from . import key_policy
from ._common import _default_deployment_role, _PolicyMembers
from ._messages import render
from .stores import StoreFactories


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


@runtime_checkable
class PrimaryDomain(Protocol):
    """What a replica needs of its multi-Region domain: a :class:`~cdk_partition.DataDomain`
    (the one implementation; this module does not import it, :mod:`.domain` imports this one).
    """

    @property
    def domain_name(self) -> str:
        """The domain's name (the replica's alias is ``alias/<domain_name>`` too)."""
        ...

    @property
    def replica_regions(self) -> tuple[str, ...]:
        """The regions the domain spans besides its own."""
        ...

    @property
    def replicas(self) -> list[DomainReplica[Any]]:
        """The domain's replica keys; a new replica adds itself."""
        ...

    @property
    def key(self) -> kms.Key:
        """The primary key (``PrimaryKeyArn`` of the replica)."""
        ...

    @property
    def deployment_role(self) -> iam.IPrincipal:
        """The principal that deploys the primary's stack (replaced by this region's)."""
        ...

    @property
    def _members(self) -> dict[Capability, list[iam.IPrincipal]]:
        """The principals of each capability, mirrored into the replica's key policy."""
        ...

    @property
    def _arns(self) -> dict[Capability, list[str]]:
        """Their ARNs, in the same order."""
        ...

    @property
    def _extra_statements(self) -> Sequence[iam.PolicyStatement]:
        """The statements added with ``add_to_key_policy``, mirrored too."""
        ...

    def grant_administer(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """:meth:`DataDomain.grant_administer <cdk_partition.DataDomain.grant_administer>`."""
        ...

    def grant_read(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """:meth:`DataDomain.grant_read <cdk_partition.DataDomain.grant_read>`."""
        ...

    def grant_write(self, principal: iam.IPrincipal | iam.IGrantable) -> None:
        """:meth:`DataDomain.grant_write <cdk_partition.DataDomain.grant_write>`."""
        ...

    def grant(self, principal: iam.IPrincipal | iam.IGrantable, *capabilities: Capability) -> None:
        """:meth:`DataDomain.grant <cdk_partition.DataDomain.grant>`."""
        ...

    def add_to_key_policy(self, statement: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        """:meth:`DataDomain.add_to_key_policy <cdk_partition.DataDomain.add_to_key_policy>`."""
        ...


#: The domain of a replica: a :class:`~cdk_partition.DataDomain` (``replica.domain`` has its type).
_Domain = TypeVar("_Domain", bound=PrimaryDomain)


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


class DomainReplica(_PolicyMembers, StoreFactories, Construct, Generic[_Domain]):
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
        domain: _Domain,
        description: str | None = None,
        pending_window: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        deployment_role: iam.IPrincipal | None = None,
    ) -> None:
        if not isinstance(domain, PrimaryDomain):
            raise TypeError(f"DomainReplica {id!r}: domain must be a DataDomain of this app.")
        stack = cdk.Stack.of(scope)
        path = f"{scope.node.path}/{id}" if scope.node.path else id
        where = f"DomainReplica {path!r} of domain {domain.domain_name!r}"
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
        primary_account = domain.key.stack.account  # the account of the domain's stack
        if account != primary_account:
            raise ValueError(
                f"{where}: stack {stack.node.path!r} is in account {account}, the primary key in "
                f"account {primary_account}; a replica key lives in its primary's account (AWS "
                "KMS ReplicateKey). Create it in a stack of that account."
            )
        if any(r.region == region for r in domain.replicas):
            raise ValueError(f"{where}: the domain already has a replica key in {region}.")
        # a Duration that is no whole number of days (Duration.hours(36)) is the same ValueError
        window_days = _pending_window_days(pending_window, where)
        super().__init__(scope, id)
        #: The multi-Region domain this key replicates.
        self.domain: _Domain = domain
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
        self._follow_stores(self.cfn_key)
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
        marks = domain.__dict__.get("_door_marks")
        if marks:  # the AWS pages of the allow_service statements, as on the primary
            self.cfn_key.add_metadata(SERVICE_STATEMENTS_METADATA_KEY, list(marks))
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

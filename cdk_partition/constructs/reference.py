"""``DomainReference``: a data domain defined elsewhere (another CDK app or account), by its key
ARN given (:meth:`DataDomain.from_domain_attributes <cdk_partition.DataDomain.from_domain_attributes>`)
or looked up where :meth:`DataDomain.publish <cdk_partition.DataDomain.publish>` put it
(:func:`lookup_reference`, behind :meth:`DataDomain.from_lookup <cdk_partition.DataDomain.from_lookup>`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from ..knowledge import contracts
from ..marks import LOOKUP_PENDING_KEY_ID
from ._common import validate_domain_name
from ._messages import path_of, render
from .stores import StoreFactories

#: Where :meth:`DataDomain.publish` puts a domain's key ARN and :meth:`DataDomain.from_lookup`
#: looks for it by default: ``/cdk-partition/domains/<domain_name>/key-arn``.
PUBLISHED_PARAMETER_PREFIX = "/cdk-partition/domains/"


def published_parameter_name(domain_name: str) -> str:
    """The default SSM parameter name of a published domain's key ARN."""
    return f"{PUBLISHED_PARAMETER_PREFIX}{domain_name}/key-arn"


def lookup_reference(
    scope: Construct, id: str, *, domain_name: str, parameter_name: str | None = None
) -> DomainReference:
    """:meth:`DataDomain.from_lookup <cdk_partition.DataDomain.from_lookup>` (see there): the
    reference to a published domain, its key ARN read from the SSM parameter at synth."""
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
        value = f"arn:{partition}:kms:{stack.region}:{stack.account}:key/{LOOKUP_PENDING_KEY_ID}"
    return DomainReference(
        scope, id, domain_name=domain_name, key_arn=value, _lookup=(name, pending)
    )


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

    def _after_store(self, made: Any) -> None:
        """What the key policy (owned elsewhere) must allow for the store a store method just
        made: the contract rows of each CloudFormation type under it that names the key
        (:func:`cdk_partition.knowledge.contracts.rows_for_type`), said as requirements. A
        ``DataDomain`` writes them itself at synth; a reference cannot, so it says them."""
        node = getattr(made, "node", None)
        if node is None:  # an ebs_volume: whatever launches it needs the EBS rows
            self._apply_type("AWS::EC2::LaunchTemplate", [])
            return
        for child in node.find_all():
            if isinstance(child, cdk.CfnResource):
                cfn_type = child.cfn_resource_type
                if contracts.rows_for_type(cfn_type):
                    self._apply_type(cfn_type, [{}])

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

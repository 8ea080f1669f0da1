"""What the domain's constructs share: name validation, the deployment role's default, the
capability statements of a key policy (:class:`_PolicyMembers`, for a domain's key and its
replica keys) and the identity of a construct tree.

It imports nothing of the domain's other modules (:mod:`.domain`, :mod:`.replica`,
:mod:`.reference`, :mod:`.stack`), which all import it.
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..knowledge.capabilities import Capability
from . import key_policy
from ._messages import path_of, render
from ._native import StackFacts

_DOMAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_-]*$")
_MAX_DOMAIN_NAME = 250  # "alias/" + name must fit KMS's 256-character alias limit


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


def id_of_root(scope: Construct) -> str:
    """A stable identity of the construct tree ``scope`` lives in (for per-app registries)."""
    root = scope.node.root
    ref = getattr(root, "__jsii_ref__", None)
    return getattr(ref, "ref", None) or str(id(root))

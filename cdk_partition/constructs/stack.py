"""``DomainStack``: a ``Stack`` that owns one ``DataDomain`` and applies the domain checks to
itself; ``DomainOptions``, the domain's options it passes through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from ._common import validate_domain_name
from ._messages import path_of
from .checks import DomainEncryptionChecks
from .domain import DataDomain


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
        #: The checks this stack applies to itself: the same as ``Aspects.of(self).add(...)``
        #: without the jsii callback per construct that an aspect costs (see README, Benchmarks).
        self.checks: DomainEncryptionChecks = DomainEncryptionChecks(self.domain)
        self.checks.apply_to(self)

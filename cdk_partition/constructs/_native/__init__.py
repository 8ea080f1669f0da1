"""Python binding of the native aspect (source: ``native/src/index.ts``).

Written by hand in the shape jsii-pacmak generates, for one class: a Python subclass of
:class:`DomainChecksAspect` that does not override ``visit`` makes the CDK call the JavaScript
``visit`` directly, so an aspect over thousands of constructs costs no jsii callbacks.
"""

from __future__ import annotations

import builtins

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from . import _jsii  # noqa: F401  (loads the assembly into the kernel)


@jsii.implements(cdk.IAspect)
class DomainChecksAspect(
    metaclass=jsii.JSIIMeta, jsii_type="cdk-partition-native.DomainChecksAspect"
):
    """Marks each stack under the scope with the domain and registers the validation plugin."""

    def __init__(
        self, domain_name: str, plugin: cdk.IPolicyValidationPlugin, key_arn: str | None = None
    ) -> None:
        jsii.create(self.__class__, self, [domain_name, plugin, key_arn])

    @jsii.member(jsii_name="visit")
    def visit(self, node: IConstruct) -> None:
        """Aspect entry point (runs in the kernel)."""
        return jsii.invoke(self, "visit", [node])

    @jsii.member(jsii_name="applyTo")
    def apply_to(self, scope: IConstruct) -> None:
        """Apply the checks to ``scope`` (a Stack or a construct in one) without a traversal.

        Nested stacks under ``scope`` are covered through their parent's mark.
        """
        return jsii.invoke(self, "applyTo", [scope])

    @jsii.member(jsii_name="registerPlugin")
    @builtins.classmethod
    def register_plugin(cls, scope: IConstruct, plugin: cdk.IPolicyValidationPlugin) -> None:
        """Register ``plugin`` on the App holding ``scope`` (or its outermost Stage), once per
        app: a second call, from a domain or from the checks, adds nothing."""
        return jsii.sinvoke(cls, "registerPlugin", [scope, plugin])  # type: ignore[no-any-return]

    @builtins.property
    @jsii.member(jsii_name="domainName")
    def domain_name(self) -> str:
        """The domain whose key every store in the scope must use."""
        return jsii.get(self, "domainName")  # type: ignore[no-any-return]


class StackFacts(metaclass=jsii.JSIIMeta, jsii_type="cdk-partition-native.StackFacts"):
    """Facts about a stack read inside the kernel (see ``native/src/index.ts``)."""

    @jsii.member(jsii_name="cloudFormationExecutionRoleArn")
    @builtins.classmethod
    def cloud_formation_execution_role_arn(cls, stack: cdk.Stack) -> str | None:
        """The execution role ARN of the stack's (bound) ``DefaultStackSynthesizer``, or None."""
        return jsii.sinvoke(cls, "cloudFormationExecutionRoleArn", [stack])  # type: ignore[no-any-return]


class KeyUsers(metaclass=jsii.JSIIMeta, jsii_type="cdk-partition-native.KeyUsers"):
    """The resources of an app that name one KMS key, found inside the kernel."""

    @jsii.member(jsii_name="find")
    @builtins.classmethod
    def find(cls, key: cdk.CfnResource, types: list[str], aliases: list[str]) -> str:
        """JSON array of ``{"type", "path", "properties"}`` (or ``"error"``) for every resource
        of ``types`` under the key's root whose properties reference ``key``, or name one of its
        ``aliases`` (``alias/orders``, bare or as the end of an alias ARN), each written as
        :data:`KEY_SENTINEL`."""
        return jsii.sinvoke(cls, "find", [key, types, aliases])  # type: ignore[no-any-return]


#: What :meth:`KeyUsers.find` writes where a property references the key.
KEY_SENTINEL = "cdk-partition:this-key"


class KeyReferrers(metaclass=jsii.JSIIMeta, jsii_type="cdk-partition-native.KeyReferrers"):
    """The resources of an app that wire a service to the stores on a key, found in the kernel."""

    @jsii.member(jsii_name="find")
    @builtins.classmethod
    def find(
        cls,
        key: cdk.CfnResource,
        store_paths: list[str],
        source_types: list[str],
        properties: list[str],
    ) -> str:
        """JSON array of ``{"type", "path", "properties"}`` (or ``"error"``) for every resource
        of ``source_types`` under the key's root whose properties reference a resource at one of
        ``store_paths`` (each reference written as :data:`STORE_SENTINEL` + the store's path).
        Only resources that set one of ``properties`` (top level) or carry an escape-hatch
        override are resolved."""
        return jsii.sinvoke(cls, "find", [key, store_paths, source_types, properties])  # type: ignore[no-any-return]


#: What :meth:`KeyReferrers.find` writes (followed by the store's construct path) where a
#: property references a store on the key.
STORE_SENTINEL = "cdk-partition:store:"


class StackReferences(metaclass=jsii.JSIIMeta, jsii_type="cdk-partition-native.StackReferences"):
    """Which stacks the resources of a stack reference, read inside the kernel."""

    @jsii.member(jsii_name="referencedStacks")
    @builtins.classmethod
    def referenced_stacks(cls, stack: cdk.Stack) -> list[str]:
        """The construct paths of the other stacks whose resources ``stack``'s resources
        reference (``Ref``, ``Fn::GetAtt``), before the CDK makes exports of them."""
        return list(jsii.sinvoke(cls, "referencedStacks", [stack]))

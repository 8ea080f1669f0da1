"""The domain as a CDK Mixin: ``Mixins.of(scope).apply(domain.encryption_at_rest())`` (or
``construct.with_(domain.encryption_at_rest())``) puts every catalogued store in the scope on the
domain key, on the L1 under any L2 or L3.

What it does to one resource is :func:`cdk_partition.knowledge.encryption_plan.plan_encryption`
(pure, from the catalogue); this module only reads the L1's properties, writes the changed
top-level ones back as property overrides and reports what it could not do.

CDK's own mixins are named after what they add to the resource (``BucketVersioning``,
``BucketBlockPublicAccess``; "Mixins", AWS CDK v2 Developer Guide,
https://docs.aws.amazon.com/cdk/v2/guide/mixins.html), so this one is ``EncryptionAtRest`` on
the domain: :class:`DomainEncryptionAtRest`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from ..knowledge.catalogue import CATALOGUE, KEYLESS_STORES
from ..knowledge.encryption_plan import plan_encryption
from ..marks import REPLICA_KEYS_METADATA_KEY
from .encryption import ConflictingEncryptionError
from .s3_puts import deny_other_puts, put_deny_statements


class _Domain(Protocol):
    """What the mixin needs of a :class:`~cdk_partition.DataDomain`."""

    @property
    def key(self) -> kms.IKey: ...

    @property
    def domain_name(self) -> str: ...

    def _multi_region_key_arns(self, what: str, regions: list[Any]) -> dict[str, str] | None: ...


_WARNING_ID = "cdk-partition:encryptionAtRest"


class DomainEncryptionAtRest(cdk.Mixin):
    """Puts the stores of a scope on a domain's key (a CDK ``Mixin``).

    Apply it with ``cdk.Mixins.of(scope).apply(mixin)`` (every construct under ``scope``, now)
    or ``construct.with_(mixin)``. For each ``CfnResource`` whose type the catalogue knows as a
    store, every key slot in use is set to the domain key's ARN and the switches the slot needs
    (``SSEAlgorithm aws:kms``, ``StorageEncrypted true``, ``SSESpecification.SSEEnabled``...) are
    turned, as property overrides of the L1. Constructs added to the scope after the call are not
    touched (a mixin applies when it is applied).

    :param domain: the domain whose key the stores get.
    :param replace_keys: a store already on another key is moved to the domain key; default
        False: that store raises :class:`~.encryption.ConflictingEncryptionError` at apply
        time, naming the construct path and the property.

    EC2 Auto Scaling's service-linked role is named in the key policy when an Auto Scaling group
    anywhere in the app launches a launch template (or launch configuration) on the key: the key
    policy follows the wiring (:mod:`cdk_partition.knowledge.wiring`), not the mixed scope.

    Never silent: a keyless store (it cannot use a customer managed key), a key inherited from a
    source resource (a read replica, a restore from a snapshot) and a slot or switch behind an
    intrinsic get a warning annotation on the construct (id ``cdk-partition:encryptionAtRest``)
    and are left as they are.
    """

    def __init__(self, domain: _Domain, *, replace_keys: bool = False) -> None:
        super().__init__()
        self._domain = domain
        self._replace_keys = replace_keys
        self._key_values: dict[str, tuple[Any, Any]] = {}

    def supports(self, construct: IConstruct) -> bool:
        """True for an L1 resource (``CfnResource``); whether it is a store is decided in
        :meth:`apply_to`."""
        return isinstance(construct, cdk.CfnResource)

    def apply_to(self, construct: IConstruct) -> None:
        """Put ``construct`` (a ``CfnResource``) on the domain key; anything else is left.

        :raises ConflictingEncryptionError: a key slot names another customer managed key and
            ``replace_keys`` is False."""
        if not isinstance(construct, cdk.CfnResource):
            return
        cfn_type = construct.cfn_resource_type
        if cfn_type not in CATALOGUE and cfn_type not in KEYLESS_STORES:
            return
        stack = cdk.Stack.of(construct)
        # the L1's properties as the template will have them (property overrides already on the
        # resource are not included: jsii does not expose them)
        # (rendering resolved values adds no token: one resolve is enough)
        properties = construct._render_properties(stack.resolve(construct._cfn_properties))
        arn, key_id = self._resolved_key(stack)
        key_arn = self._domain.key.key_arn
        plan = plan_encryption(
            cfn_type,
            properties,
            key_arn,
            is_domain_key=lambda value: value in (arn, key_id),
            replace_keys=self._replace_keys,
            key_in_region=self._key_in_region(stack, construct, key_arn),
        )
        if plan is None:
            return
        path = construct.node.path
        errors = [note for note in plan.notes if note.level == "error"]
        if errors:
            raise ConflictingEncryptionError(
                f"{path} ({cfn_type}): "
                + "; ".join(note.text for note in errors)
                + f" (domain {self._domain.domain_name})",
                path=path,
                prop=errors[0].path,
            )
        for note in plan.notes:
            cdk.Annotations.of(construct).add_warning_v2(
                _WARNING_ID, f"domain {self._domain.domain_name}: {note.text}"
            )
        for name in plan.changed:
            if name in plan.properties:
                construct.add_property_override(name, plan.properties[name])
            else:
                construct.add_property_deletion_override(name)
        if cfn_type == "AWS::S3::Bucket" and not any(
            note.path.startswith("BucketEncryption") for note in plan.notes
        ):
            # the one thing a key slot cannot say: S3 honours a PUT's own encryption headers
            # (denied only when the default encryption is the domain key: a note on a replica
            # or metadata table slot leaves the objects on the domain key)
            if isinstance(construct, s3.CfnBucket):
                deny_other_puts(self._domain.key, _bucket_of(construct))
            else:
                _raw_bucket_policy(self._domain.key, construct)

    def _key_in_region(
        self, stack: cdk.Stack, construct: cdk.CfnResource, key_arn: str
    ) -> Callable[[Any], Any]:
        """The domain's key in a region, as :func:`plan_encryption` asks for a slot whose key
        must be in the region another property names (a global table's replicas): ``key_arn``
        in the stack's own region; elsewhere the key a store method declared for that region
        (``cdk_partition:replica_keys``) or the multi-Region domain's key there (resolved); None
        where the domain has no key, or the region is decided at deploy time."""
        home = stack.resolve(stack.region)
        declared = construct.get_metadata(REPLICA_KEYS_METADATA_KEY)

        def key_in(region: Any) -> Any:
            if region is None or region == home:
                return key_arn
            if not isinstance(region, str):
                return None
            if isinstance(declared, dict) and region in declared:
                return stack.resolve(declared[region])
            try:
                arns = self._domain._multi_region_key_arns("encryption_at_rest", [region])
            except ValueError:
                return None  # a region the domain does not span
            return stack.resolve(arns[region]) if arns else None

        return key_in

    def _resolved_key(self, stack: cdk.Stack) -> tuple[Any, Any]:
        """The domain key's ARN and id as ``stack`` renders them (cached per stack)."""
        cached = self._key_values.get(stack.node.path)
        if cached is None:
            key = self._domain.key
            cached = (stack.resolve(key.key_arn), stack.resolve(key.key_id))
            self._key_values[stack.node.path] = cached
        return cached


def _raw_bucket_policy(key: kms.IKey, cfn: cdk.CfnResource) -> None:
    """The put-deny statements for a bucket that is a ``CfnResource`` but not ``s3.CfnBucket``
    (``cdk.CfnResource(type="AWS::S3::Bucket")``, another library's L1), which the L2 cannot
    view: a bucket policy of its own next to it (``<id>PutPolicy``). A bucket policy already in
    the stack for that bucket cannot be extended (S3 keeps one policy per bucket; a second would
    replace it), so the statements are then left to the user with a warning, and CDKP008 stays."""
    stack = cdk.Stack.of(cfn)
    scope = cfn.node.scope
    name = f"{cfn.node.id}PutPolicy"
    if not isinstance(scope, Construct) or scope.node.try_find_child(name) is not None:
        return
    ref = stack.resolve(cfn.ref)
    for other in stack.node.find_all():
        if (
            isinstance(other, cdk.CfnResource)
            and other.cfn_resource_type == "AWS::S3::BucketPolicy"
            and stack.resolve(other._cfn_properties).get("Bucket") == ref
        ):
            cdk.Annotations.of(cfn).add_warning_v2(
                _WARNING_ID,
                f"{other.node.path} is the bucket policy of {cfn.node.path}: add the statements "
                "DenyOtherEncryption, DenyOtherKeys and DenyManagedKeyFallback "
                "(cdk_partition.constructs.s3_puts.put_deny_statements) to it yourself",
            )
            return
    s3.CfnBucketPolicy(
        scope,
        name,
        bucket=cfn.ref,
        policy_document=iam.PolicyDocument(
            statements=put_deny_statements(key, f"{cfn.get_att('Arn').to_string()}/*")
        ),
    )


def _bucket_of(cfn: cdk.CfnResource) -> s3.IBucket:
    """The L2 bucket whose L1 ``cfn`` is (its policy is the one to extend), else an L2 view of
    the L1 (``Bucket.fromCfnBucket``, which creates the bucket policy on first use)."""
    parent = cfn.node.scope
    child = parent.node.default_child if isinstance(parent, s3.Bucket) else None
    if child is not None and child.node.path == cfn.node.path:  # jsii gives a new proxy
        return parent  # type: ignore[return-value]
    return s3.Bucket.from_cfn_bucket(cfn)  # type: ignore[arg-type]

"""``exempt``: exempt one store from one rule, with a reason, in the template itself.

It writes template metadata that the validation plugin (:mod:`.checks`) and the
``cdk-partition audit`` CLI read; it imports nothing of the domain's constructs, which use it
(:meth:`DataDomain.publish <cdk_partition.DataDomain.publish>`).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from .. import audit
from ..marks import EXEMPTIONS_METADATA_KEY

_MIN_REASON_WORDS = 4


def exempt(scope: Construct, rule: str, reason: str) -> None:
    """Exempt the resource of ``scope`` (an L1, or an L2 via its default child) from ``rule``.

    Store rules are exempted on the store; CDKP106 (a service statement beyond the service's
    needs) on the domain key, ``exempt(domain.key, "CDKP106", reason)``.

    The exemption is written into the template (``cdk_partition:exemptions`` metadata), so the
    plugin and the ``cdk-partition audit`` CLI both see it: the finding stays in the audit
    output, marked exempted with ``reason``, and no longer fails synthesis.

    :param rule: a rule id, e.g. ``"CDKP002"``.
    :param reason: why, in at least one full sentence (four words or more).
    """
    where = scope.node.path
    if rule not in audit.RULES:
        raise ValueError(
            f"{where}: exempt(rule={rule!r}): unknown rule; rules are "
            f"{', '.join(sorted(audit.RULES))}."
        )
    if rule not in audit.EXEMPTIBLE_RULES:
        raise ValueError(
            f"{where}: exempt(rule={rule!r}): {rule} cannot be exempted: exemptions are per "
            f"store or identity policy ({', '.join(sorted(audit.EXEMPTIBLE_RULES - audit.KEY_EXEMPTIBLE_RULES))}) "
            f"or, on the domain key, {', '.join(sorted(audit.KEY_EXEMPTIBLE_RULES))}; the "
            "domain key's other rules and the deployability rules hold for every domain."
        )
    if not isinstance(reason, str) or len(reason.split()) < _MIN_REASON_WORDS:
        raise ValueError(
            f"{where}: exempt({rule!r}, reason=...) needs a reason of at least one sentence ({_MIN_REASON_WORDS}+ "
            f"words) saying why this store may break the rule; got {reason!r}."
        )
    resource: Any = scope
    while resource is not None and not isinstance(resource, cdk.CfnResource):
        # an L3 whose default child is an L2 (AwsCustomResource -> CustomResource -> its
        # CfnResource): the CloudFormation resource is down the default children
        resource = resource.node.default_child
    is_key = isinstance(resource, cdk.CfnResource) and resource.cfn_resource_type in (
        "AWS::KMS::Key",
        "AWS::KMS::ReplicaKey",
    )
    if is_key != (rule in audit.KEY_EXEMPTIBLE_RULES):
        raise ValueError(
            f"{where}: exempt({rule!r}): "
            + (
                f"{where} is a KMS key: a domain key can be exempted from "
                f"{', '.join(sorted(audit.KEY_EXEMPTIBLE_RULES))} only; {rule} is a store rule, "
                "exempted on the store."
                if is_key
                else f"{where} is not a KMS key: {rule} is a rule of the domain key; "
                f'exempt the key instead: exempt(domain.key, "{rule}", reason).'
            )
        )
    if not isinstance(resource, cdk.CfnResource):
        raise ValueError(
            f"{scope.node.path} has no CloudFormation resource to exempt; pass the L1 or an L2 "
            "whose node.default_child is one."
        )
    allowed = audit.EXEMPTIBLE_ON.get(rule)
    if allowed is not None and resource.cfn_resource_type not in allowed:
        raise ValueError(
            f"{where}: exempt({rule!r}): {rule} is exempted only on a resource that makes a role "
            f"use a store ({', '.join(sorted(allowed))}), not on {resource.cfn_resource_type}: "
            "write what the audit cannot follow as references the template shows instead."
        )
    existing = resource.get_metadata(EXEMPTIONS_METADATA_KEY) or []
    resource.add_metadata(EXEMPTIONS_METADATA_KEY, [*existing, {"rule": rule, "reason": reason}])

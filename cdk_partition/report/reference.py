"""A domain key's policy as a reference policy for IAM Access Analyzer's ``CheckNoNewAccess``
(issue #22), and the rendering of a key policy both it and :mod:`.diff` use: intrinsics
canonical (:func:`~cdk_partition.policy.evaluator.canonicalize`), each placeholder the report
resolved replaced by the value the assembly shows for it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..assembly import CloudAssembly
from ..policy import evaluator
from . import build_report

_TOKEN = re.compile(r"\$\{[^${}]*(?:\{[^}]*\}[^${}]*)*\}")


def substitute(value: Any, resolved: Mapping[str, str]) -> Any:
    """``value`` (a canonical policy) with each placeholder the report resolved replaced by the
    value the assembly shows for it, as the report's access matrix evaluates it."""
    if isinstance(value, str):
        if "${" not in value or not resolved:
            return value
        if value in resolved:
            return resolved[value]
        return _TOKEN.sub(lambda m: resolved.get(m.group(0), m.group(0)), value)
    if isinstance(value, dict):
        return {k: substitute(v, resolved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, resolved) for v in value]
    return value


def key_policy(
    assembly: CloudAssembly, stack: str, logical_id: str, resolved: Mapping[str, str]
) -> dict[str, Any]:
    """The key policy of ``stack``'s ``logical_id``, intrinsics canonical and resolved."""
    for candidate in assembly.stacks:
        if candidate.name == stack:
            resource = candidate.resources.get(logical_id) or {}
            policy = (resource.get("Properties") or {}).get("KeyPolicy")
            canonical = evaluator.canonicalize(policy) if isinstance(policy, dict) else None
            if isinstance(canonical, dict):  # not a policy chosen by an intrinsic (Fn::If)
                return dict(substitute(canonical, resolved))
    return {}


_PSEUDO = {
    "account": "${AWS::AccountId}",
    "region": "${AWS::Region}",
    "partition": "${AWS::Partition}",
}


def reference_policy(
    assembly: CloudAssembly,
    domain: str,
    *,
    stack: str | None = None,
    account: str | None = None,
    region: str | None = None,
    partition: str | None = None,
) -> dict[str, Any]:
    """The domain key's key policy as a reference policy for IAM Access Analyzer's
    ``CheckNoNewAccess`` (its ``existingPolicyDocument``; AWS IAM Access Analyzer API Reference,
    "CheckNoNewAccess",
    https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoNewAccess.html).

    Intrinsics are rendered as the report renders them (``${AWS::AccountId}``; a principal
    imported from another stack as the role's or user's ARN); the pseudo parameters are filled
    from ``account``/``region``/``partition``, else from the key stack's environment when the
    assembly knows it. Raises ``LookupError`` when the assembly has no such domain, or has it in
    several stacks and ``stack`` does not say which."""
    domains = [d for d in build_report(assembly).domains if d.name == domain]
    if stack is not None:
        domains = [d for d in domains if d.key.get("stack") == stack]
    if not domains:
        known = sorted({d.name for d in build_report(assembly).domains})
        raise LookupError(f"no domain {domain!r} here (domains: {', '.join(known) or 'none'})")
    if len(domains) > 1:
        stacks = ", ".join(str(d.key.get("stack")) for d in domains)
        raise LookupError(f"domain {domain!r} has keys in stacks {stacks}: give --stack")
    report = domains[0]
    policy = key_policy(assembly, report.key["stack"], report.key["logical_id"], report.resolved)
    environment = next(s.environment for s in assembly.stacks if s.name == report.key["stack"])
    values = {
        "account": account or environment.account,
        "region": region or environment.region,
        "partition": partition or ("aws" if account or region or environment.region else None),
    }
    fills = {_PSEUDO[k]: v for k, v in values.items() if v}
    if fills:
        policy = substitute(policy, fills)
    statements = policy.get("Statement", [])
    return {
        "Version": policy.get("Version", "2012-10-17"),
        "Statement": statements if isinstance(statements, list) else [statements],
    }

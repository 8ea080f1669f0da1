"""A CloudFront origin access identity reading a domain bucket (CDKP031).

A domain bucket's objects are encrypted with the domain key (SSE-KMS). CloudFront reads them
through origin access control (OAC), whose requests the key can name (``cloudfront.amazonaws.com``
scoped by the distribution's ARN: the ``distribution_origin_bucket`` contract row, the statement
the CDK's ``S3BucketOrigin.with_origin_access_control`` writes); an origin access identity (OAI)
cannot: "We recommend that you use OAC instead because it supports ... Amazon S3 server-side
encryption with AWS KMS (SSE-KMS) ... OAI doesn't support these features or it requires extra
workarounds in those scenarios" (Amazon CloudFront Developer Guide, "Restrict access to an Amazon
S3 origin"). The CDK's ``S3BucketOrigin.with_origin_access_identity(bucket)`` grants the OAI
``s3:GetObject`` in the bucket policy (``Principal.CanonicalUser``); on a domain bucket every
object it serves fails at run time, and synth and audit were silent (found by an attack). Pure
Python over the assembly's JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly
from ..policy import evaluator
from ..policy.condition_values import glob
from .identity_policies import RESOURCE_POLICIES, as_list, props_of, statements_of, type_of
from .resource_policy_grants import OAI_ARN, store_policies
from .rules import Finding, Rule, Source, make_finding, resource_fields, short
from .store_texts import domain_stores

__all__ = ["RULES", "audit_origin_identities"]

_PAGE = (
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
    "private-content-restricting-access-to-s3.html"
)
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP031",
        "error",
        "A CloudFront origin access identity reads a domain bucket (OAI cannot read SSE-KMS "
        "objects)",
        "serve the bucket through origin access control: "
        "`origins.S3BucketOrigin.with_origin_access_control(bucket)` (the key then lets "
        "CloudFront decrypt for the app's distributions only)",
        source=Source(
            'Amazon CloudFront Developer Guide, "Restrict access to an Amazon S3 origin"', _PAGE
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}


def audit_origin_identities(assembly: CloudAssembly) -> Iterator[Finding]:
    """CDKP031 for each bucket policy of a domain bucket that allows an origin access identity
    an ``s3:GetObject``-reaching action (its ``CanonicalUser``, or its IAM-style ARN)."""
    stores = domain_stores(assembly)
    for stack, logical_id, resource, targets in store_policies(assembly, stores):
        if type_of(resource) != "AWS::S3::BucketPolicy":
            continue
        document = props_of(resource).get(RESOURCE_POLICIES["AWS::S3::BucketPolicy"][1])
        buckets = [t for t in dict.fromkeys(targets) if t.resource.get("Type") == "AWS::S3::Bucket"]
        for statement in statements_of(document):
            identity = _identity(statement)
            if identity is None or not buckets or not _reads(statement):
                continue
            for bucket in buckets:
                yield make_finding(
                    _RULE["CDKP031"],
                    f"The policy of {bucket.path} (a bucket of domain {bucket.domain!r}, its "
                    "objects on the domain key) lets a CloudFront origin access identity read "
                    "its objects: an OAI cannot read SSE-KMS objects, so the distribution "
                    "serves none of them.",
                    location="PolicyDocument",
                    value=short(identity),
                    **resource_fields(stack, logical_id, resource, bucket.domain),
                )


def _identity(statement: Mapping[str, Any]) -> Any:
    """The origin access identity an Allow statement names, or None."""
    principal = statement.get("Principal") if statement.get("Effect") == "Allow" else None
    if not isinstance(principal, Mapping):
        return None
    if principal.get("CanonicalUser") is not None:
        return principal["CanonicalUser"]
    for value in as_list(principal.get("AWS")):
        text = evaluator.canonicalize(value)
        if isinstance(text, str) and OAI_ARN.search(text):
            return value
    return None


def _reads(statement: Mapping[str, Any]) -> bool:
    """Whether the statement allows an action that reaches ``s3:GetObject``."""
    actions = [a for a in as_list(statement.get("Action") or []) if isinstance(a, str)]
    return any(glob(a, True).fullmatch("s3:GetObject") for a in actions)

"""Buckets: a bucket on the domain key must not let writers choose another encryption (CDKP008).

Amazon S3 User Guide, "Setting default server-side encryption behavior for Amazon S3 buckets"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html): default
encryption applies to a new object only when the PUT request names no encryption; a request may
name SSE-S3, DSSE-KMS or another KMS key (x-amz-server-side-encryption,
x-amz-server-side-encryption-aws-kms-key-id), and "aws:kms" without a key id uses the AWS
managed key aws/s3 ("Specifying server-side encryption with AWS KMS (SSE-KMS)",

So a bucket on the domain key needs a bucket policy denying every other choice; the policy
(:meth:`~cdk_partition.assembly.CloudAssembly.bucket_policy_statements`) is decided with the
policy evaluator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.keys import KeyResolver
from ..knowledge import catalogue
from ..policy import evaluator
from .rules import Finding, Rule, Source, make_finding

__all__ = ["RULES", "audit_bucket_puts"]

#: The bucket rule.
RULES: tuple[Rule, ...] = (
    Rule(
        "CDKP008",
        "error",
        "Bucket lets writers choose another encryption",
        "create it with `domain.bucket(...)`, which adds a bucket policy denying PutObject "
        "with other encryption, another key or aws:kms without a key",
        source=Source(
            'Amazon S3 User Guide, "Setting default server-side encryption behavior for Amazon S3 '
            'buckets"',
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html",
        ),
    ),
)
_RULE = {rule.id: rule for rule in RULES}

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html).
_ENC = "s3:x-amz-server-side-encryption"
_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
_FOREIGN_KEY = "arn:aws:kms:us-east-1:999999999999:key/cdk-partition-probe"
_PUT_PROBES: tuple[tuple[str, dict[str, str]], ...] = (
    ("SSE-S3 (AES256)", {_ENC: "AES256"}),
    ("DSSE-KMS", {_ENC: "aws:kms:dsse"}),
    ("another KMS key", {_ENC: "aws:kms", _KEY_ID: _FOREIGN_KEY}),
    ("aws:kms without a key id (aws/s3)", {_ENC: "aws:kms"}),
)


def audit_bucket_puts(
    assembly: CloudAssembly,
    resolver: KeyResolver,
    stack: StackTemplate,
    logical_id: str,
    resource: Mapping[str, Any],
    domain: str,
    base: Mapping[str, Any],
) -> Iterator[Finding]:
    props = resource.get("Properties")
    uses = catalogue.classify("AWS::S3::Bucket", props if isinstance(props, dict) else None) or []
    on_domain_key = [
        u
        for u in uses
        if u.state == "customer_key"
        and (lambda r: resolver.on_domain_key(r, domain, stack))(resolver.resolve(u.key, stack))
    ]
    if not on_domain_key:
        return  # the store pass already reports a bucket that is not on the domain key
    statements = assembly.bucket_policy_statements(stack, logical_id)
    # bucket policies of one app differ only in the bucket they name (Resource, not evaluated)
    # and the key reference (never equal to a probe's): one evaluation per shape
    shape = json.dumps(
        [{k: v for k, v in s.items() if k not in ("Resource", "Sid")} if isinstance(s, dict)
         else s for s in statements],
        sort_keys=True,
    )  # fmt: skip
    cached = _PUT_DECISIONS.get(shape)
    if cached is None:
        cached = _put_decisions(statements)
        if len(_PUT_DECISIONS) < 1024:
            _PUT_DECISIONS[shape] = cached
    if isinstance(cached, str):
        yield make_finding(
            _RULE["CDKP008"],
            f"S3 bucket {base['path']} of domain {domain!r}: its bucket policy cannot be "
            f"evaluated for PutObject ({cached}), so the checks cannot tell whether writers can "
            "put objects under another key.",
            location="BucketPolicy",
            **base,
        )
        return
    open_to = list(cached)
    if open_to:
        yield make_finding(
            _RULE["CDKP008"],
            f"S3 bucket {base['path']} of domain {domain!r} is on the domain key by default, but "
            "S3 applies default encryption only when a PUT names none, and no bucket policy "
            f"denies s3:PutObject asking for {', '.join(open_to)}: writers can store objects "
            "outside the domain key.",
            location="BucketPolicy",
            **base,
        )


_PUT_DECISIONS: dict[str, tuple[str, ...] | str] = {}


def _put_decisions(statements: list[Any]) -> tuple[str, ...] | str:
    """The PUT probes a bucket policy does not deny, or why it cannot be evaluated."""
    document = evaluator.prepare({"Version": "2012-10-17", "Statement": statements})
    open_to: list[str] = []
    for label, context in _PUT_PROBES:
        request = evaluator.Request(
            action="s3:PutObject",
            principal_arn="arn:aws:iam::${AWS::AccountId}:role/cdk-partition-writer-probe",
            account="${AWS::AccountId}",
            context=context,
            identity_allows=True,
        )
        try:
            decision = evaluator.evaluate(document, request)
        except ValueError as error:
            return f"a PutObject asking for {label}: {error}"
        if decision != "explicit_deny":
            open_to.append(label)
    return tuple(open_to)

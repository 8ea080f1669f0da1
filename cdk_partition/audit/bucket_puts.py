"""Buckets: a bucket on the domain key must not let writers choose another encryption (CDKP008).

Amazon S3 User Guide, "Setting default server-side encryption behavior for Amazon S3 buckets"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html): default
encryption applies to a new object only when the PUT request names no encryption; a request may
name SSE-S3, DSSE-KMS or another KMS key (x-amz-server-side-encryption,
x-amz-server-side-encryption-aws-kms-key-id), and "aws:kms" without a key id uses the AWS
managed key aws/s3 ("Specifying server-side encryption with AWS KMS (SSE-KMS)",

So a bucket on the domain key needs a bucket policy denying every other choice; the policy
(:meth:`~cdk_partition.assembly.CloudAssembly.bucket_policy_statements`) is decided over every
PutObject request by the prover (:func:`cdk_partition.policy.prover.unrefused`): is any PUT that
names an encryption other than ``aws:kms`` with this domain's key refused by no Deny covering
every object? Each witness is decided again by the evaluator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import z3

from ..assembly import CloudAssembly, StackTemplate
from ..assembly.keys import KeyResolver
from ..knowledge import catalogue
from ..policy import evaluator, prover
from ..policy.condition_values import ARN, STRING
from ..policy.prover_encoding import NotEncodable, Symbols
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
# "Amazon S3 condition keys" (Service Authorization Reference, "Actions, resources, and condition
# keys for Amazon S3", https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html):
# a PutObject (CopyObject and CreateMultipartUpload are authorized as s3:PutObject) carries these
# two keys when the request names an encryption
_PUT = ("s3:PutObject",)
#: at most this many kinds of PUT named in one finding
_MAX_KINDS = 5


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
    covering = [s for s in statements if _covers_every_object(s)]
    # the values the policy compares the key id with that name this domain's key
    names = sorted(
        {
            str(evaluator.canonicalize(value))
            for value in _key_id_values(covering)
            if resolver.on_domain_key(resolver.resolve(value, stack), domain, stack)
        }
    )
    # which statements cover every object is decided above: the resources they name (each
    # bucket's own ARN) and their Sids change no decision, so buckets of one shape share one
    bare = [
        {k: v for k, v in s.items() if k not in ("Sid", "Resource", "NotResource")}
        if isinstance(s, dict) else s
        for s in covering
    ]  # fmt: skip
    shape = json.dumps([names, bare], sort_keys=True, default=str)
    cached = _PUT_DECISIONS.get(shape)
    if cached is None:
        cached = _put_decisions(bare, names)
        if len(_PUT_DECISIONS) < 1024:
            _PUT_DECISIONS[shape] = cached
    if isinstance(cached, str):
        yield make_finding(
            _RULE["CDKP008"],
            f"S3 bucket {base['path']} of domain {domain!r}: its bucket policy cannot be "
            f"decided for PutObject ({cached}), so the checks cannot tell whether writers can "
            "put objects under another key.",
            location="BucketPolicy",
            **base,
        )
        return
    if cached:
        partial = len(covering) < len(statements)
        yield make_finding(
            _RULE["CDKP008"],
            f"S3 bucket {base['path']} of domain {domain!r} is on the domain key by default, but "
            "S3 applies default encryption only when a PUT names none, and no bucket policy "
            f"statement{' covering every object' * partial} denies s3:PutObject asking for "
            f"{'; '.join(cached)}: writers can store objects outside the domain key.",
            location="BucketPolicy",
            **base,
        )


_PUT_DECISIONS: dict[str, tuple[str, ...] | str] = {}


def _covers_every_object(statement: Any) -> bool:
    """A ``Deny`` counts for every object of the bucket when its ``Resource`` is ``*`` or
    ``<bucket>/*`` (no narrower prefix); ``NotResource`` and narrower resources do not (they
    leave some objects out, so they are not relied on). Other statements are kept as they are."""
    if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
        return True
    if "NotResource" in statement:
        return False
    values = statement.get("Resource", [])
    for value in values if isinstance(values, list) else [values]:
        text = str(evaluator.canonicalize(value))
        bare = re.sub(r"\$\{[^}]*\}", "", text)
        if text == "*" or (bare.endswith("/*") and "/" not in bare[:-2]):
            return True
    return False


def _key_id_values(statements: list[Any]) -> Iterator[Any]:
    for statement in statements:
        condition = statement.get("Condition") if isinstance(statement, Mapping) else None
        for block in condition.values() if isinstance(condition, Mapping) else ():
            for key, wanted in block.items() if isinstance(block, Mapping) else ():
                if str(key).lower() == _KEY_ID:
                    yield from wanted if isinstance(wanted, list) else [wanted]


def _put_decisions(statements: list[Any], names: list[str]) -> tuple[str, ...] | str:
    """The kinds of PUT (another encryption, another key, no key id) that no Deny of the bucket
    policy refuses, each with its witness request, decided by the prover over every request; or
    why it cannot be decided."""
    policy = {"Version": "2012-10-17", "Statement": statements}
    found: list[str] = []
    excluded: list[Any] = []
    for _ in range(_MAX_KINDS):

        def question(s: Symbols, excluded: tuple[Any, ...] = tuple(excluded)) -> z3.BoolRef:
            enc, key_id = s.keys[_ENC], s.keys[_KEY_ID]
            if enc.family not in (STRING, ARN) or key_id.family not in (STRING, ARN):
                raise NotEncodable("(bucket policy)", "the encryption keys read as non-strings")
            e, k = enc.values[0], key_id.values[0]
            ours = z3.And(
                e == z3.StringVal("aws:kms"),
                key_id.present,
                z3.Or(*[k == z3.StringVal(n) for n in names]) if names else z3.BoolVal(False),
            )
            # a header S3 reads is not empty (S3 User Guide, "Specifying server-side encryption
            # with AWS KMS (SSE-KMS)": the header's values are AES256, aws:kms, aws:kms:dsse)
            return z3.And(
                enc.present,
                z3.Length(e) > 0,
                z3.Implies(key_id.present, z3.Length(k) > 0),
                z3.Not(ours),
                *[x(e, k, key_id.present) for x in excluded],
            )

        try:
            verdict = prover.unrefused(
                policy, question, actions=_PUT, keys=(_ENC, _KEY_ID), label="PutObject"
            )
        except NotEncodable as problem:
            return str(problem)
        if verdict.status in ("undecided", "disagree"):
            return f"{verdict.detail} {verdict.describe()}".strip()
        if verdict.status != "allowed" or verdict.request is None:
            break
        kind, exclude = _kind(verdict.request.context)
        headers = ", ".join(
            f"{name.removeprefix('s3:')}: {verdict.request.context[name]}"
            for name in (_ENC, _KEY_ID)
            if name in verdict.request.context
        )
        found.append(f"{kind} (e.g. a PUT with {headers})")
        excluded.append(exclude)
    return tuple(found)


def _kind(context: Mapping[str, Any]) -> tuple[str, Any]:
    """A PUT's kind in words, and the formula that excludes that kind from the next question."""
    enc = str(context.get(_ENC))
    if enc == "AES256":
        return "SSE-S3 (AES256)", lambda e, k, has: e != z3.StringVal("AES256")
    if enc == "aws:kms:dsse":
        return "DSSE-KMS", lambda e, k, has: e != z3.StringVal("aws:kms:dsse")
    if enc == "aws:kms" and _KEY_ID not in context:
        return "aws:kms without a key id (aws/s3)", lambda e, k, has: z3.Or(
            e != z3.StringVal("aws:kms"), has
        )
    if enc == "aws:kms":
        return "another KMS key", lambda e, k, has: z3.Or(e != z3.StringVal("aws:kms"), z3.Not(has))
    known = ("AES256", "aws:kms:dsse", "aws:kms")
    return f"encryption {enc!r}", lambda e, k, has: z3.Or(*[e == z3.StringVal(v) for v in known])

"""The bucket policy that keeps writers on a bucket's default key: S3 applies default encryption
only to a PUT that names none ("Setting default server-side encryption behavior for Amazon S3
buckets", Amazon S3 User Guide,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html), so a PUT may still
ask for SSE-S3, DSSE-KMS, another key or ``aws:kms`` without a key (``aws/s3``). Shared by
``domain.bucket`` and the encryption mixin (one path)."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3


def put_deny_statements(key: kms.IKey, objects_arn: str) -> list[iam.PolicyStatement]:
    """The three statements (Sids ``DenyOtherEncryption``, ``DenyOtherKeys``,
    ``DenyManagedKeyFallback``) that deny ``s3:PutObject`` on ``objects_arn`` (``<bucket
    ARN>/*``) asking for another encryption than ``key``; a PUT without encryption headers is
    allowed (it gets the default)."""
    # A put without encryption headers gets the bucket default (the domain key) and carries
    # no header, so each deny needs its header present (Null false): a negated operator on
    # an absent key is true and would deny every default-encrypted put.
    enc = "s3:x-amz-server-side-encryption"
    key_id = "s3:x-amz-server-side-encryption-aws-kms-key-id"
    return [
        iam.PolicyStatement(
            sid=sid,
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[objects_arn],
            conditions=conditions,
        )
        for sid, conditions in (
            # SSE-S3 or DSSE asked for explicitly
            ("DenyOtherEncryption", {"StringNotEquals": {enc: "aws:kms"}, "Null": {enc: "false"}}),
            # another KMS key named
            ("DenyOtherKeys", {"StringNotEquals": {key_id: key.key_arn}, "Null": {key_id: "false"}}),
            # aws:kms without a key id: S3 would use the AWS managed key aws/s3
            ("DenyManagedKeyFallback", {"StringEquals": {enc: "aws:kms"}, "Null": {key_id: "true"}}),
        )
    ]  # fmt: skip


def deny_other_puts(key: kms.IKey, bucket: s3.IBucket) -> None:
    """Add :func:`put_deny_statements` to ``bucket``'s policy."""
    for statement in put_deny_statements(key, bucket.arn_for_objects("*")):
        bucket.add_to_resource_policy(statement)

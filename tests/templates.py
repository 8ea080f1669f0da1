"""Hand-written template pieces shared by the pure (no-synthesis) tests."""

from __future__ import annotations

from typing import Any

CI = "arn:aws:iam::111122223333:user/ci"
APP_A = "arn:aws:iam::111122223333:role/appA"


def key_policy(
    *, readers: tuple[str, ...] = (APP_A,), deny: bool = True, extra: tuple[dict, ...] = ()
) -> dict[str, Any]:
    """A least-privilege domain key policy as DataDomain writes it: ci administers, readers read."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowAdminister",
            "Effect": "Allow",
            "Principal": {"AWS": CI},
            "Action": ["kms:PutKeyPolicy", "kms:DescribeKey"],
            "Resource": "*",
        }
    ]
    if readers:
        statements.append(
            {
                "Sid": "AllowRead",
                "Effect": "Allow",
                "Principal": {"AWS": list(readers)},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
            }
        )
    if deny:
        statements.append(
            {
                "Sid": "DenyEveryoneElse",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {
                    "ArnNotEquals": {"aws:PrincipalArn": [CI, *readers]},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements + list(extra)}


def domain_key(name: str = "orders", path: str | None = None, **policy: Any) -> dict[str, Any]:
    """A domain key resource (``cdk_partition:domain`` metadata, rotation on)."""
    metadata: dict[str, Any] = {"cdk_partition:domain": name}
    if path:
        metadata["aws:cdk:path"] = path
    return {
        "Type": "AWS::KMS::Key",
        "Metadata": metadata,
        "Properties": {"EnableKeyRotation": True, "KeyPolicy": key_policy(**policy)},
    }


def bucket_put_policy(bucket: str = "Store", key: str = "DomainKey") -> dict[str, Any]:
    """The bucket policy ``DataDomain.bucket`` writes: deny PutObject asking for another
    encryption, another key, or aws:kms without a key (each only when its header is present)."""
    enc = "s3:x-amz-server-side-encryption"
    key_id = "s3:x-amz-server-side-encryption-aws-kms-key-id"
    conditions = [
        {"StringNotEquals": {enc: "aws:kms"}, "Null": {enc: "false"}},
        {
            "StringNotEquals": {key_id: {"Fn::GetAtt": [key, "Arn"]}},
            "Null": {key_id: "false"},
        },
        {"StringEquals": {enc: "aws:kms"}, "Null": {key_id: "true"}},
    ]
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": bucket},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:PutObject",
                        "Resource": "*",
                        "Condition": condition,
                    }
                    for condition in conditions
                ],
            },
        },
    }

"""What the role of an AWS Backup selection asks of a store's key when it backs the store up.

AWS Backup runs a backup job with the IAM role the selection names (``IamRoleArn``), and AWS says
that role must be able to use the source's key: "Your IAM role must have access to the KMS key
being used to back up and restore the object. Otherwise the job is successful but the objects are
not backed up or restored. The permissions in IAM policy and KMS key policy must be consistent."
(AWS Backup Developer Guide, "Encryption for backups in AWS Backup",
https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html). In a domain the key
policy denies everyone it does not name, so the selection's role must be named.

Each row: the store type, the service whose ``kms:ViaService`` the requests carry (None: not
documented, evaluated without it), the KMS requests, and the AWS page. Where AWS names the
requests for a type (Amazon S3: the managed policy AWS publishes for S3 backups), the row says
so; for every other type AWS names none, and the row is the stated narrow default
(:data:`DEFAULT`): reading the source, ``kms:Decrypt`` and ``kms:DescribeKey``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ._model import Cited

__all__ = ["BACKUP_ROWS", "DEFAULT", "BackupRow", "render_markdown", "row_for"]

_ENCRYPTION_PAGE = (
    'AWS Backup Developer Guide, "Encryption for backups in AWS Backup"',
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html",
)


@dataclass(frozen=True)
class BackupRow(Cited):
    """The KMS requests a backup selection's role makes on the key of a ``store_type`` store."""

    store_type: str
    service: str | None
    kms_requests: tuple[str, ...]
    title: str
    url: str
    note: str


BACKUP_ROWS: tuple[BackupRow, ...] = (
    BackupRow(
        "AWS::S3::Bucket",
        "s3",
        ("kms:Decrypt", "kms:DescribeKey"),
        # AWS Managed Policy Reference, "AWSBackupServiceRolePolicyForS3Backup": statement
        # KmsPermissions allows kms:Decrypt and kms:DescribeKey with kms:ViaService
        # s3.*.amazonaws.com ("decrypt access for all KMS keys", the policy's description)
        'AWS Managed Policy Reference, "AWSBackupServiceRolePolicyForS3Backup"',
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/"
        "AWSBackupServiceRolePolicyForS3Backup.html",
        "statement KmsPermissions: kms:Decrypt and kms:DescribeKey through s3.*.amazonaws.com",
    ),
)

#: Every other store type: AWS says the role needs "access to the KMS key" and names no request.
DEFAULT = BackupRow(
    "*",
    None,
    ("kms:Decrypt", "kms:DescribeKey"),
    *_ENCRYPTION_PAGE,
    "AWS documents no KMS request per resource type; narrow default: reading the source "
    "(kms:Decrypt, kms:DescribeKey), evaluated without kms:ViaService",
)

_BY_TYPE: Mapping[str, BackupRow] = MappingProxyType({r.store_type: r for r in BACKUP_ROWS})


def row_for(store_type: str) -> BackupRow:
    """The row of ``store_type``, else :data:`DEFAULT`."""
    return _BY_TYPE.get(store_type, DEFAULT)


def render_markdown() -> str:
    """The table as markdown (``docs/identities.md`` shows it, rendered at build)."""
    lines = [
        "| store | KMS requests | `kms:ViaService` | AWS source |",
        "| --- | --- | --- | --- |",
    ]
    for row in (*BACKUP_ROWS, DEFAULT):
        store = "every other store" if row.store_type == "*" else f"`{row.store_type}`"
        via = f"`{row.service}.<region>.amazonaws.com`" if row.service else "none"
        requests = ", ".join(f"`{r}`" for r in row.kms_requests)
        lines.append(f"| {store} | {requests} | {via} | [{row.title}]({row.url}): {row.note} |")
    return "\n".join(lines) + "\n"

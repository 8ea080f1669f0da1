"""Store factories: ``DataDomain`` methods that create CDK L2 stores on the domain key.

Each method takes the L2's own keyword props, forces the domain key, refuses conflicting
encryption settings (it never silently overrides them) and returns the normal L2 object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms


class ConflictingEncryptionError(ValueError):
    """A store method was given an encryption setting other than the domain key."""


def _take_encryption(
    domain: Any,
    kind: str,
    props: dict[str, Any],
    *,
    key_prop: str,
    mode_prop: str | None = None,
    mode_value: Any = None,
) -> None:
    """Set ``props[key_prop]`` (and ``props[mode_prop]``) to the domain key, refusing conflicts."""
    key: kms.IKey = domain.key
    given_key = props.get(key_prop)
    if given_key is not None and given_key is not key:
        raise ConflictingEncryptionError(
            f"{kind} of {domain}: {key_prop}= names another key. Stores of a domain are "
            f"encrypted with the domain key; drop {key_prop}= (the method sets it)."
        )
    if mode_prop is not None:
        given_mode = props.get(mode_prop)
        if given_mode is not None and given_mode != mode_value:
            raise ConflictingEncryptionError(
                f"{kind} of {domain}: {mode_prop}={given_mode} conflicts with the domain key "
                f"({mode_value}). Drop {mode_prop}= (the method sets it)."
            )
        props[mode_prop] = mode_value
    props[key_prop] = key


class StoreFactories:
    """Mixin of :class:`~cdk_partition.DataDomain`: one method per kind of store."""

    key: kms.Key

    def bucket(self, id: str, **props: Any) -> s3.Bucket:
        """An S3 bucket on the domain key (``s3.BucketProps`` pass through).

        Bucket key enabled, SSL enforced, public access blocked. Default removal policy: RETAIN.
        """
        _take_encryption(
            self,
            "bucket",
            props,
            key_prop="encryption_key",
            mode_prop="encryption",
            mode_value=s3.BucketEncryption.KMS,
        )
        props.setdefault("bucket_key_enabled", True)
        props.setdefault("enforce_ssl", True)
        props.setdefault("block_public_access", s3.BlockPublicAccess.BLOCK_ALL)
        return s3.Bucket(self, id, **props)  # type: ignore[arg-type]

    def queue(self, id: str, **props: Any) -> sqs.Queue:
        """An SQS queue on the domain key (``sqs.QueueProps`` pass through)."""
        _take_encryption(
            self,
            "queue",
            props,
            key_prop="encryption_master_key",
            mode_prop="encryption",
            mode_value=sqs.QueueEncryption.KMS,
        )
        props.setdefault("enforce_ssl", True)
        return sqs.Queue(self, id, **props)  # type: ignore[arg-type]

    def table(self, id: str, **props: Any) -> dynamodb.Table:
        """A DynamoDB table on the domain key (``dynamodb.TableProps`` pass through)."""
        _take_encryption(
            self,
            "table",
            props,
            key_prop="encryption_key",
            mode_prop="encryption",
            mode_value=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        )
        return dynamodb.Table(self, id, **props)  # type: ignore[arg-type]

"""How a store method takes the domain key: it sets the L2's key (and encryption mode) props to
the domain key and refuses any other value given (:class:`ConflictingEncryptionError`), never
overriding it silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aws_cdk as cdk

from ..marks import Environment, parse_key_text
from ._messages import path_of, render

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms


class ConflictingEncryptionError(ValueError):
    """A store method was given an encryption setting other than the domain key.

    :ivar path: the construct path of the store (the one it would have had, when refused).
    :ivar prop: the keyword argument at fault (``encryption``, ``encryption_key``...).
    """

    def __init__(self, message: str, *, path: str = "", prop: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.prop = prop


def _store_at(domain: Any, kind: str) -> tuple[str, str]:
    """(construct path, method) of the store ``kind`` names: ``"bucket Raw"`` -> the path
    ``Raw`` has (or will have) under the domain, and ``domain.bucket``."""
    method, _, id = kind.partition(" ")
    return (path_of(domain, id) if id else path_of(domain)), f"domain.{method}"


_UNSET = object()


def _take_encryption(
    domain: Any,
    kind: str,
    props: dict[str, Any],
    *,
    key_prop: str | None,
    mode_prop: str | None = None,
    mode_value: Any = _UNSET,
    within: str | None = None,
    check_only: bool = False,
) -> None:
    """Set ``props[key_prop]`` to the domain key and ``props[mode_prop]`` to ``mode_value``,
    refusing any value the caller gave that differs (never overriding it silently).

    ``kind`` is ``"<method> <store id>"``; ``within`` the struct prop holding ``props`` (errors
    name ``encryption_at_rest.kms_key``). ``check_only``: refuse, set nothing (the store method
    leaves the key to the encryption mixin) and drop a ``mode_prop`` that names the domain key's
    mode without a key: given ``encryption=KMS`` and no key, an L2 makes a key of its own (S3,
    SQS, DynamoDB, Kinesis) or uses the AWS managed one (ECR), which the mixin would then meet
    as another key."""
    key: kms.IKey = domain.key
    path, method = _store_at(domain, kind)
    prefix = f"{within}." if within else ""
    if key_prop is not None:
        given_key = props.get(key_prop)
        if given_key is not None and given_key is not key:
            raise ConflictingEncryptionError(
                f"{path}: {method}(..., {prefix}{key_prop}={render(given_key)}) names another "
                f"key than the key of {domain} ({path_of(key)}). Stores of a domain are encrypted "
                f"with the domain key; drop {prefix}{key_prop}= (the method sets it).",
                path=path,
                prop=prefix + key_prop,
            )
        if not check_only:
            props[key_prop] = key
    if mode_prop is not None:
        given_mode = props.get(mode_prop)
        if given_mode is not None and not _same_mode(given_mode, mode_value):
            raise ConflictingEncryptionError(
                f"{path}: {method}(..., {prefix}{mode_prop}={render(given_mode)}) conflicts with "
                f"the key of {domain}, which needs {prefix}{mode_prop}={render(mode_value)}. Drop "
                f"{prefix}{mode_prop}= (the method sets it).",
                path=path,
                prop=prefix + mode_prop,
            )
        if check_only:
            props.pop(mode_prop, None)
            if key_prop is not None and props.get(key_prop) is key:
                # the domain key given as well: the mixin sets it; an L2 given a key without its
                # mode refuses (ec2.Volume: "encrypted must be true when providing an
                # encryptionKey")
                props.pop(key_prop)
        else:
            props[mode_prop] = mode_value


def _same_mode(given: Any, wanted: Any) -> bool:
    """Whether an encryption mode given equals the one the method sets: jsii enum-like classes
    (``ecr.RepositoryEncryption.KMS``) are new objects on each access, equal by ``value``."""
    if given is wanted or given == wanted:
        return True
    value = getattr(wanted, "value", _UNSET)
    return value is not _UNSET and type(given) is type(wanted) and given.value == value


def _refuse(domain: Any, kind: str, props: dict[str, Any], prop: str, what: str) -> None:
    """Refuse a prop the method must build itself from the domain key."""
    if props.get(prop) is not None:
        path, method = _store_at(domain, kind)
        raise ConflictingEncryptionError(
            f"{path}: {method}(..., {prop}={render(props[prop])}): {prop}= is set by the method "
            f"({what} of {domain}); drop it.",
            path=path,
            prop=prop,
        )


def _take_nested(
    domain: Any,
    kind: str,
    props: dict[str, Any],
    prop: str,
    struct: type,
    *,
    key_prop: str | None,
    mode_prop: str | None = None,
    mode_value: Any = _UNSET,
    check_only: bool = False,
) -> None:
    """:func:`_take_encryption` for a key inside a struct prop, e.g. OpenSearch's
    ``encryption_at_rest=EncryptionAtRestOptions(enabled=..., kms_key=...)``: the struct the
    caller gave (or none) is checked field by field and rebuilt with the domain key (with
    ``check_only``: with ``mode_prop`` set to ``mode_value`` and no key, which the encryption
    mixin sets)."""
    given = props.get(prop)
    fields: dict[str, Any] = (
        dict(given if isinstance(given, dict) else given._values) if given else {}
    )
    _take_encryption(
        domain, kind, fields, key_prop=key_prop, mode_prop=mode_prop, mode_value=mode_value,
        within=prop, check_only=check_only,
    )  # fmt: skip
    if check_only and mode_prop is not None:
        fields[mode_prop] = mode_value
    props[prop] = struct(**fields)


def _wrong_replica_key(arn: Any, region: str, account: str) -> str | None:
    """Why ``arn`` cannot be a domain's key for a global table replica in ``region`` (a literal
    that is not a key ARN, of another region or of another account than ``account``), else None;
    tokens are left to the checks. DynamoDB wants a key "created in the same region as the
    replica" (AWS CloudFormation, "AWS::DynamoDB::GlobalTable ReplicaSSESpecification",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-replicassespecification.html)."""
    if not isinstance(arn, str) or cdk.Token.is_unresolved(arn):
        return None
    key = parse_key_text(arn, Environment()) if arn.startswith("arn:") else None
    if key is None or key.kind != "key":
        return "is not a KMS key ARN (an alias or key id does not identify one key)"
    if key.region != region:
        return f"is a key of {key.region}"
    if not cdk.Token.is_unresolved(account) and key.account != account:
        return f"is a key of account {key.account}, not the domain's {account}"
    return None

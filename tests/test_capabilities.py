"""The capability -> action table (pure, no synthesis)."""

from __future__ import annotations

from cdk_partition.knowledge.capabilities import (
    ADMINISTER_ACTIONS,
    DATA_ACTIONS,
    READ_ACTIONS,
    WRITE_ACTIONS,
    Capability,
)

ARTICLE_WRITE = {
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
}


def test_read_is_decrypt_and_reencrypt_from_plus_describe() -> None:
    # issue #12: ReEncryptFrom moves ciphertext to a key the caller names, so it is reading
    assert set(READ_ACTIONS) == {"kms:Decrypt", "kms:ReEncryptFrom", "kms:DescribeKey"}


def test_write_is_the_articles_list_without_reencrypt_from_plus_describe() -> None:
    assert set(WRITE_ACTIONS) == ARTICLE_WRITE - {"kms:ReEncryptFrom"} | {"kms:DescribeKey"}
    assert "kms:ReEncryptFrom" not in WRITE_ACTIONS


def test_administer_has_no_data_actions_and_no_grants() -> None:
    assert not set(ADMINISTER_ACTIONS) & set(DATA_ACTIONS)
    assert "kms:CreateGrant" not in ADMINISTER_ACTIONS
    for needed in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"):
        assert needed in ADMINISTER_ACTIONS


def test_data_actions_are_read_and_write_without_describe() -> None:
    assert set(DATA_ACTIONS) == ARTICLE_WRITE | {"kms:Decrypt"}


def test_capability_names_and_sids() -> None:
    assert [c.value for c in Capability] == ["administer", "read", "write"]
    assert Capability.READ.sid == "AllowRead"
    assert Capability.WRITE.actions == WRITE_ACTIONS
    assert len(set(ADMINISTER_ACTIONS)) == len(ADMINISTER_ACTIONS)

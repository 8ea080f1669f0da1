"""The capability -> KMS action table: the one place that says what each capability allows.

A data domain's key policy grants three capabilities, as in the source article:

* ``administer``: manage the key (describe, enable/disable, policy, aliases, tags, rotation,
  grants bookkeeping, deletion scheduling). No data actions.
* ``read``: ``kms:Decrypt`` and ``kms:ReEncryptFrom`` (plus ``kms:DescribeKey``, which services
  such as DynamoDB and RDS call before using a key).
* ``write``: ``kms:Encrypt``, ``kms:GenerateDataKey*``, ``kms:ReEncryptTo`` (plus
  ``kms:DescribeKey``).

``kms:ReEncryptFrom`` is read, not write, going beyond the source article (which lists it with the
write actions): ReEncrypt decrypts the ciphertext inside KMS and encrypts it again under a
destination key the caller names ("ReEncrypt", AWS KMS API Reference,
https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html: "Decrypts ciphertext and
then reencrypts it entirely within AWS KMS. You can use this operation to change the KMS key under
which data is encrypted"; "Required permissions: kms:ReEncryptFrom permission on the source KMS key
(key policy); kms:ReEncryptTo permission on the destination KMS key (key policy)"; "Either or both
KMS keys can be in a different account than the caller"). A writer holding
``ReEncryptFrom`` could move the domain's ciphertext to a key of its own and decrypt it there:
that is reading.

This module is pure Python (no aws_cdk import) so that the key-policy builder, the template audit
and the access report all read the same table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any


class Capability(StrEnum):
    """What a principal may do with a domain's data key."""

    ADMINISTER = "administer"
    READ = "read"
    WRITE = "write"

    @property
    def actions(self) -> tuple[str, ...]:
        """The KMS actions this capability allows, in a stable order."""
        return CAPABILITY_ACTIONS[self]

    @property
    def sid(self) -> str:
        """The statement id the key policy uses for this capability (``AllowRead`` ...)."""
        return "Allow" + self.value.capitalize()


#: Key management, no data actions. ``kms:CreateGrant`` is deliberately absent: a grant is a way
#: to hand out Decrypt/Encrypt, so it belongs to data capabilities, not to administration.
ADMINISTER_ACTIONS: tuple[str, ...] = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)

#: Read the domain's data (ReEncryptFrom included: it lets the caller take the plaintext out under
#: a key of its choosing).
READ_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom")

#: Write the domain's data.
WRITE_ACTIONS: tuple[str, ...] = (
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptTo",
)

CAPABILITY_ACTIONS: dict[Capability, tuple[str, ...]] = {
    Capability.ADMINISTER: ADMINISTER_ACTIONS,
    Capability.READ: READ_ACTIONS,
    Capability.WRITE: WRITE_ACTIONS,
}

#: The actions that *define* holding a capability, used by the report to name what a principal
#: can really do: administer = can change the key policy; read = can decrypt; write = can produce
#: ciphertext under the key.
DEFINING_ACTIONS: dict[Capability, tuple[str, ...]] = {
    Capability.ADMINISTER: ("kms:PutKeyPolicy",),
    Capability.READ: ("kms:Decrypt", "kms:ReEncryptFrom"),
    Capability.WRITE: ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo"),
}

#: Data actions (read or write), the ones everyone outside the domain must be denied.
DATA_ACTIONS: tuple[str, ...] = tuple(
    sorted({a for a in READ_ACTIONS + WRITE_ACTIONS if a != "kms:DescribeKey"})
)

#: Every action a capability statement may carry; anything else in a domain key's Allow statement
#: to a human or application principal is "more than its capability".
ALL_CAPABILITY_ACTIONS: frozenset[str] = frozenset(
    ADMINISTER_ACTIONS + READ_ACTIONS + WRITE_ACTIONS
)

#: Every KMS action that applies to a key, used to expand wildcards (``kms:*``, ``kms:Get*``) when
#: a statement is audited or the access report computed.
KMS_KEY_ACTIONS: tuple[str, ...] = tuple(
    sorted(
        ALL_CAPABILITY_ACTIONS
        | {
            "kms:CreateGrant",
            "kms:DeriveSharedSecret",
            "kms:GenerateMac",
            "kms:GenerateRandom",
            "kms:GetParametersForImport",
            "kms:GetPublicKey",
            "kms:ImportKeyMaterial",
            "kms:DeleteImportedKeyMaterial",
            "kms:ReplicateKey",
            "kms:RetireGrant",
            "kms:Sign",
            "kms:SynchronizeMultiRegionKey",
            "kms:UpdatePrimaryRegion",
            "kms:Verify",
            "kms:VerifyMac",
        }
    )
)


def expand_kms_actions(actions: Iterable[Any]) -> tuple[str, ...]:
    """The KMS key actions ``actions`` stand for, in order: each pattern (``kms:GenerateDataKey*``,
    case-insensitive) replaced by the :data:`KMS_KEY_ACTIONS` it matches; an action that matches
    none is kept as written; non-strings are left out. The one expansion the audit, the doors and
    the run-role table share."""
    out: list[str] = []
    for action in actions:
        if not isinstance(action, str):
            continue
        pattern = action.lower()
        matched = [a for a in KMS_KEY_ACTIONS if fnmatchcase(a.lower(), pattern)] or [action]
        out += [a for a in matched if a not in out]
    return tuple(out)


#: Sid of the statement that denies every principal the domain does not name.
DENY_EVERYONE_ELSE_SID = "DenyEveryoneElse"

#: Sids of the statements the store methods add for the services they use.
LOGS_SERVICE_SID = "AllowLogsService"
ATTACH_GRANTS_SID = "AllowGrantsForAWSResources"
VIA_SERVICES_SID = "AllowDeploymentViaServices"

#: Prefix of the Sids ``DataDomain.allow_service_publisher`` writes (``AllowPublisherS3`` ...).
PUBLISHER_SID_PREFIX = "AllowPublisher"

#: Prefix of the Sids ``DataDomain.allow_service`` writes (``AllowServiceCloudwatch`` ...): a
#: statement AWS documents for a service, declared by the app with its AWS page.
SERVICE_SID_PREFIX = "AllowService"

#: Prefix of the Sids naming roles the CDK created for a store (``AllowStoreRolesS3`` ...).
STORE_ROLES_SID_PREFIX = "AllowStoreRoles"

#: Prefix of the Sids written from a contract row of a type on the key for a service principal
#: acting as itself (``AllowContractTableBucketMaintenance``, ``AllowContractCloudtrailTrail``...).
CONTRACT_SID_PREFIX = "AllowContract"

#: Prefix of the Sids ``domain.allow_deployment_requests(cfn_type)`` writes: the deployment
#: role's requests AWS documents outside any service for that type.
DEPLOYMENT_DIRECT_SID_PREFIX = "AllowDeploymentDirect"

#: Prefix of the Sids ``domain.allow_passed_role(role, cfn_type)`` writes: the requests AWS
#: documents for a role the app passes to a store of that type.
PASSED_ROLE_SID_PREFIX = "AllowPassedRole"

#: Sid of the statement letting EventBridge describe the key (no condition, as AWS writes it).
EVENTS_DESCRIBE_SID = "AllowEventBridgeDescribeKey"

#: Sid of the statement naming the EC2 Auto Scaling service-linked role.
AUTO_SCALING_SID = "AllowAutoScalingLaunch"

#: Sid of the statement naming each service-linked role the wiring uses, by its contract (a row
#: with ``kms:CreateGrant`` gets the Sid and ``Grants``).
LINKED_ROLE_SIDS: Mapping[str, str] = {
    "launch_template_auto_scaling": AUTO_SCALING_SID,
    "auto_scaling_notification_topic": "AllowAutoScalingNotifications",
    "table_kinesis_stream": "AllowDynamoDBKinesisReplication",
}

#: Sid of the statement letting the deployment role make the requests of a wiring (a table
#: importing a bucket on the key: its reads through S3), by its contract.
WIRED_DEPLOYMENT_SIDS: Mapping[str, str] = {"table_import_source": "AllowDeploymentTableImport"}

#: Sids of the statements cdk_partition writes; the report flags any other statement (the
#: publisher statements are recognised by their prefix).
LIBRARY_SIDS: frozenset[str] = frozenset(
    {c.sid for c in Capability}
    | {
        DENY_EVERYONE_ELSE_SID,
        LOGS_SERVICE_SID,
        ATTACH_GRANTS_SID,
        VIA_SERVICES_SID,
        *LINKED_ROLE_SIDS.values(),
        *WIRED_DEPLOYMENT_SIDS.values(),
        AUTO_SCALING_SID + "Grants",
        EVENTS_DESCRIBE_SID,
        "AllowFargateDescribeKey",
    }
)


def least_capabilities(actions: Iterable[str]) -> tuple[list[Capability], list[str]]:
    """The fewest, least powerful capabilities that together hold every action of ``actions``
    (exact ``kms:`` names, any case), and the actions no capability holds (as given). Data
    capabilities come before :attr:`Capability.ADMINISTER`, read before write: ``kms:DescribeKey``
    (in all three) with ``kms:Decrypt`` is ``[read]``, never a reason to make a reader an
    administrator."""
    given = list(dict.fromkeys(actions))
    held = {c: {a.lower() for a in c.actions} for c in Capability}
    outside = [a for a in given if not any(a.lower() in h for h in held.values())]
    wanted = {a.lower() for a in given if a not in outside}
    if not wanted:
        return [], outside
    order = (Capability.READ, Capability.WRITE, Capability.ADMINISTER)
    subsets = [[c for i, c in enumerate(order) if mask >> i & 1] for mask in range(1, 8)]
    subsets.sort(
        key=lambda cs: (Capability.ADMINISTER in cs, len(cs), [order.index(c) for c in cs])
    )
    chosen = next(cs for cs in subsets if wanted <= set().union(*(held[c] for c in cs)))
    return chosen, outside

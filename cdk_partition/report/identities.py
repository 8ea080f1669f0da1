"""Principals that reach a domain's stores through IAM grants, for the access report.

The access matrix shows what the key policy gives each principal; this adds what identity
policies give (:func:`cdk_partition.audit.identities.verdicts`): each principal allowed a data
action on a domain store, with the KMS requests that action makes and the key's answer, labelled
``IAM allows, key refuses`` (CDKP019: the call fails at run time) or ``allowed by both``.
"""

from __future__ import annotations

from typing import Any

from ..assembly import CloudAssembly
from ..audit.identities import verdicts

__all__ = ["ALLOWED_BY_BOTH", "KEY_REFUSES", "UNDECIDED", "identity_rows"]

ALLOWED_BY_BOTH = "allowed by both"
KEY_REFUSES = "IAM allows, key refuses"
UNDECIDED = "IAM allows, key undecidable"


def identity_rows(assembly: CloudAssembly) -> dict[str, list[dict[str, Any]]]:
    """Domain name -> one row per (principal, store): ``principal`` (construct path or IAM
    name), ``arn`` as evaluated, ``store`` (construct path), ``actions`` the identity policies
    allow, ``kms_requests`` they make, ``refused`` (those the key refuses) and ``label``."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for verdict in verdicts(assembly):
        grant = verdict.grant
        key = (grant.store.domain, grant.principal_arn, grant.store.path)
        row = rows.setdefault(
            key,
            {
                "principal": grant.principal_path,
                "arn": grant.principal_arn,
                "store": grant.store.path,
                "actions": [],
                "kms_requests": [],
                "refused": [],
                "label": ALLOWED_BY_BOTH,
            },
        )
        for name, values in (
            ("actions", [grant.action]),
            ("kms_requests", list(grant.row.kms_requests)),
            ("refused", list(verdict.refused)),
        ):
            row[name] += [v for v in values if v not in row[name]]
        if verdict.refused and not grant.row.any_of:
            row["label"] = KEY_REFUSES
        elif (verdict.undecidable or verdict.refused) and row["label"] == ALLOWED_BY_BOTH:
            # a store whose readers and writers AWS names without their actions: the key
            # allows the principal no capability row, and whether its actions need one is open
            row["label"] = UNDECIDED
    out: dict[str, list[dict[str, Any]]] = {}
    for (domain, _, _), row in sorted(rows.items(), key=lambda i: (i[0][0], i[1]["principal"],
                                                                    i[1]["store"])):  # fmt: skip
        out.setdefault(domain, []).append(row)
    return out

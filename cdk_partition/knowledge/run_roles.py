"""Roles a store runs with: a store whose own property names an IAM role that its service uses to
call KMS on the store's key.

A Step Functions state machine on a customer managed key encrypts its definition and execution
history with that key (AWS Step Functions API Reference, "EncryptionConfiguration": "The
execution history and state machine definition will be encrypted with the key applied to the
State Machine"; "When the period expires, Step Functions will call GenerateDataKey",
https://docs.aws.amazon.com/step-functions/latest/apireference/API_EncryptionConfiguration.html),
and it does so with the state machine's execution role (AWS Step Functions Developer Guide, "Data
at rest encryption in Step Functions", whose execution-role policy allows ``kms:Decrypt`` and
``kms:GenerateDataKey`` scoped by ``kms:EncryptionContext:aws:states:stateMachineArn``,
https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html). The CDK's own
``sfn.StateMachine`` with ``CustomerManagedEncryptionConfiguration`` writes exactly those two
actions into the role's IAM policy; in a domain the key policy must name the role as well, or
``DenyEveryoneElse`` refuses every execution. The role calls KMS itself, not through Step
Functions: "When an execution role calls AWS KMS directly, you must grant AWS KMS permissions on
the execution role", and "Adding kms:ViaService condition to an execution role can prevent a new
execution from starting or cause a running execution to fail" (the same page), so its requests
carry no ``kms:ViaService`` and a key statement scoped by it refuses them.

Each row: the store type, the top-level property that names the role, the service the role works
for, the KMS requests and the AWS page. The audit
(:mod:`cdk_partition.audit.run_roles`) reads this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ._model import Cited

__all__ = ["ROLES_BY_TYPE", "RUN_ROLES", "RunRole", "render_markdown"]


@dataclass(frozen=True)
class RunRole(Cited):
    """``store_type``'s property ``role_property`` names the role that calls KMS (directly, with
    no ``kms:ViaService``) for ``service``."""

    store_type: str
    role_property: str
    service: str
    kms_requests: tuple[str, ...]
    title: str
    url: str
    note: str


RUN_ROLES: tuple[RunRole, ...] = (
    RunRole(
        "AWS::StepFunctions::StateMachine",
        "RoleArn",
        "states",
        ("kms:Decrypt", "kms:GenerateDataKey"),
        'AWS Step Functions Developer Guide, "Data at rest encryption in Step Functions"',
        "https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html",
        "the execution role's policy allows kms:Decrypt and kms:GenerateDataKey with "
        "kms:EncryptionContext:aws:states:stateMachineArn = the state machine",
    ),
)

ROLES_BY_TYPE: Mapping[str, RunRole] = MappingProxyType({r.store_type: r for r in RUN_ROLES})


def render_markdown() -> str:
    """The table as markdown (``docs/identities.md`` shows it, rendered at build)."""
    lines = [
        "| store | role property | KMS requests | called | AWS source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in RUN_ROLES:
        requests = ", ".join(f"`{r}`" for r in row.kms_requests)
        lines.append(
            f"| `{row.store_type}` | `{row.role_property}` | {requests} | "
            f"by the role itself for {row.service} (no `kms:ViaService`) | "
            f"[{row.title}]({row.url}): {row.note} |"
        )
    return "\n".join(lines) + "\n"

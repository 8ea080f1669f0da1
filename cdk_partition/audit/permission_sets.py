"""IAM Identity Center permission sets that reach a domain store (CDKP020, fail closed).

A permission set's inline policy becomes the policy of a role IAM Identity Center creates in each
account the set is assigned to: "the specified permission set will automatically be provisioned
to the account in the form of an IAM policy. That policy is attached to the IAM role created in
IAM Identity Center" (AWS IAM Identity Center API Reference, "CreateAccountAssignment", in the
copy the AWS SDK for SAP ABAP reference carries, as an attack quoted it,
https://docs.amazonaws.cn/sdk-for-sap-abap/v1/api/latest/ssa/operation/CREATEACCOUNTASSIGNMENT.html).
The template shows no such role, so the key policy cannot name it ahead and the audit cannot
check its requests: a set whose policy names a domain store was silent, and its users' reads
failed at run time (found by an attack). Pure Python over the assembly's JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..assembly import CloudAssembly, StackTemplate
from .documents import read_document
from .identity_grants import Unreadable, matching, rows_of
from .identity_policies import as_list, props_of, statements_of, type_of
from .store_texts import Store, stores_named

__all__ = ["permission_set_gaps"]

_FIX = (
    "once the set is assigned, name the role IAM Identity Center created for it in the store's "
    "account by its ARN (IAM shows it: `role/aws-reserved/sso.amazonaws.com/...`): "
    "`domain.grant_read(iam.Role.from_role_arn(self, id, '<that ARN>'))` (`grant_write` for "
    "writers), then deploy again; or keep the domain's data out of the set's policy"
)


def permission_set_gaps(
    assembly: CloudAssembly, stores: Mapping[tuple[int, str], Store]
) -> list[Unreadable]:
    """One :class:`Unreadable` per ``AWS::SSO::PermissionSet`` whose ``InlinePolicy`` allows a
    data action of the identity table on a domain store it names."""
    out: list[Unreadable] = []
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if type_of(resource) != "AWS::SSO::PermissionSet":
                continue
            document, _ = read_document(props_of(resource).get("InlinePolicy"))
            reached = [
                store
                for statement in statements_of(document)
                if statement.get("Effect") == "Allow"
                for store in _reached(assembly, stack, statement, stores)
            ]
            if reached:
                names = ", ".join(dict.fromkeys(s.path for s in reached))
                out.append(Unreadable(stack, logical_id, (
                    f"an IAM Identity Center permission set whose policy reaches {names}: its "
                    "role is created by IAM Identity Center in each account it is assigned to, "
                    "which the template does not show"), fix=_FIX))  # fmt: skip
    return out


def _reached(
    assembly: CloudAssembly,
    stack: StackTemplate,
    statement: Mapping[str, Any],
    stores: Mapping[tuple[int, str], Store],
) -> list[Store]:
    """The domain stores ``statement`` allows a data action of the identity table on."""
    actions = [a for a in as_list(statement.get("Action") or []) if isinstance(a, str)]
    found: list[Store] = []
    for value in as_list(statement.get("Resource") or []):
        named = stores_named(assembly, stack, value, stores)
        # "*", or a text admitting any name, names no store (the identity audit's CDKP025 says
        # the same of a role's grant): a set for the whole account is not read as the domain's
        found += [s for s in named.stores
                  if any(list(matching(row, actions, s)) for row in rows_of(s))]  # fmt: skip
    return found

"""Roles a store runs with: a store whose own property names an IAM role that its service uses to
call KMS on the store's key (an execution role, a data access role, a service role).

The rows are the contract rows of caller ``passed_role`` that name the property
(:attr:`~cdk_partition.knowledge.contracts.ContractRow.role_property`, from the type's schema in
the CloudFormation Template Reference), each citing the AWS page that documents the role's KMS
requests: a Step Functions state machine's ``RoleArn`` ("Data at rest encryption in Step
Functions"), a SageMaker HyperPod cluster's ``InstanceGroups[].ExecutionRole``, a CodeBuild
project's ``ServiceRole``... (docs: "What the key allows, and why"). In a domain the key policy
must name the role, or ``DenyEveryoneElse`` refuses its requests and the store fails at creation
or at run time: the audit (:mod:`cdk_partition.audit.run_roles`, ``CDKP024``) decides each
request against the domain key policy, and ``domain.allow_passed_role(role, cfn_type)`` writes
exactly what the rows document (``AllowPassedRole<Store>``), the door this module shapes.

Rows of ``passed_role`` without a ``role_property`` name a role another resource passes: where the
data file says which (``passed_by``: a Glue job or crawler naming a security configuration), the
audit follows that resource to its role; the others (a Bedrock data source's knowledge base role,
a state machine running an activity) are documented, not audited.

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .capabilities import PASSED_ROLE_SID_PREFIX, expand_kms_actions
from .contract_shapes import (
    DOOR_ACTIONS,
    request_context,
    requested,
    service_conditions,
    unrepresented,
)
from .contracts import (
    PASSED_BY,
    STORE_TYPES,
    WITH_STORES,
    ContractRow,
    rows_for,
    stores_of_type,
)

__all__ = [
    "LINKED_BY_TYPE",
    "PASSED_ROLE_SID_PREFIX",
    "ROLES_BY_TYPE",
    "RUN_ROLES",
    "RunRole",
    "context_of",
    "door_conditions",
    "door_rows",
    "expand",
    "passed_role_refusal",
    "passed_role_sid",
    "render_markdown",
    "roles_at",
    "row_for_sid",
    "rows_of_resource",
    "statement_actions",
]


@dataclass(frozen=True)
class RunRole:
    """``store_type``'s property :attr:`role_property` names a role that makes ``row``'s KMS
    requests."""

    store_type: str
    row: ContractRow
    via: tuple[str, str, str] | None = None
    """(type, the property naming the store, its role property) of the resource that passes the
    role, when the store's own properties do not name it (a Glue job naming a security
    configuration)."""

    @property
    def role_property(self) -> str:
        return self.via[2] if self.via is not None else self.row.role_property

    @property
    def kms_requests(self) -> tuple[str, ...]:
        """The KMS actions the role requests (the row's patterns, ``kms:GenerateDataKey*``,
        expanded to the key actions they match)."""
        return expand(requested(self.row))

    @property
    def source(self) -> str:
        return self.row.source

    @property
    def title(self) -> str:
        return self.row.source.rpartition(" (")[0].strip()

    @property
    def url(self) -> str:
        return self.row.source.rpartition(" (")[2].rstrip(")")

    @property
    def note(self) -> str:
        return self.row.note

    @property
    def service(self) -> str:
        """The service of the type, as CloudFormation names it (``StepFunctions``)."""
        return self.store_type.split("::")[1]


def expand(actions: tuple[str, ...]) -> tuple[str, ...]:
    """``actions`` with each pattern replaced by the KMS key actions it matches
    (:func:`~cdk_partition.knowledge.capabilities.expand_kms_actions`)."""
    return expand_kms_actions(actions)


def _stores(cfn_type: str) -> tuple[str, ...]:
    return (STORE_TYPES[cfn_type], *WITH_STORES.get(cfn_type, {}).values())


RUN_ROLES: tuple[RunRole, ...] = tuple(
    RunRole(cfn_type, row)
    for cfn_type in STORE_TYPES
    for store in _stores(cfn_type)
    for row in rows_for(store)
    if row.caller == "passed_role" and row.role_property
) + tuple(
    RunRole(cfn_type, row, via)
    for cfn_type, links in PASSED_BY.items()
    for via in links
    for row in rows_for(STORE_TYPES[cfn_type])
    if row.caller == "passed_role" and not row.role_property
)
"""Every (type, row) whose role the type's own property names, or a resource naming it
(:data:`~cdk_partition.knowledge.contracts.PASSED_BY`)."""

#: The type of a resource that passes a store's role -> its rows.
LINKED_BY_TYPE: Mapping[str, tuple[RunRole, ...]] = MappingProxyType(
    {
        t: tuple(r for r in RUN_ROLES if r.via is not None and r.via[0] == t)
        for t in dict.fromkeys(r.via[0] for r in RUN_ROLES if r.via is not None)
    }
)

#: CloudFormation type -> its rows (whatever integrations its properties turn on).
ROLES_BY_TYPE: Mapping[str, tuple[RunRole, ...]] = MappingProxyType(
    {
        t: tuple(r for r in RUN_ROLES if r.store_type == t)
        for t in dict.fromkeys(r.store_type for r in RUN_ROLES)
    }
)


def rows_of_resource(cfn_type: str, properties: Mapping[str, Any]) -> tuple[RunRole, ...]:
    """The rows of a resource of ``cfn_type`` with ``properties`` (its integrations' included
    when the properties turn them on: a state machine's ``LoggingConfiguration``)."""
    stores = stores_of_type(cfn_type, properties)
    return tuple(
        r for r in ROLES_BY_TYPE.get(cfn_type, ()) if r.row.store in stores and r.via is None
    )


def roles_at(properties: Mapping[str, Any], path: str) -> list[Any]:
    """The values at ``path`` (``InstanceGroups[].ExecutionRole``) of ``properties``: one per
    list item where the path says ``[]``; absent values are left out. A step the template
    writes as an intrinsic function (a list item ``{"Fn::If": [...]}``, a list that is a
    ``Fn::If``) is returned as is, for the caller to report as what it cannot follow."""
    nodes: list[Any] = [properties]
    for part in path.split("."):
        many = part.endswith("[]")
        name = part.removesuffix("[]")
        found: list[Any] = []
        for node in nodes:
            if _intrinsic(node):
                found.append(node)  # cannot be walked: the caller cannot resolve it
                continue
            value = node.get(name) if isinstance(node, Mapping) else None
            if value is None:
                continue
            if many and isinstance(value, list):
                found += [v for v in value if v is not None]
            elif many:
                found += [value] if _intrinsic(value) else []
            else:
                found.append(value)
        nodes = found
    return nodes


def _intrinsic(node: Any) -> bool:
    """A CloudFormation intrinsic function other than a reference (``Fn::If``, ``Fn::Select``)."""
    return (
        isinstance(node, Mapping)
        and len(node) == 1
        and next(iter(node)) in ("Fn::If", "Fn::Select", "Fn::FindInMap", "Fn::Transform")
    )


def context_of(role: RunRole, action: str, values: Mapping[str, str]) -> dict[str, str]:
    """The request context of ``role``'s request for ``action``, placeholders filled with
    ``values`` (``{partition}``, ``{region}``, ``{account}``)."""
    out = {}
    for key, value in request_context(role.row, action).items():
        for placeholder, filled in values.items():
            value = value.replace(placeholder, filled)
        out[key] = value
    return out


# -- the door: domain.allow_passed_role(role, cfn_type) --------------------------------------


def statement_actions(row: ContractRow) -> list[str]:
    """The actions of the door statement for ``row``: the ones it requests (data keys, describe,
    grants; a pattern AWS writes, ``kms:Encrypt*``, as the key actions it matches), never
    administration."""
    door = set(expand(tuple(DOOR_ACTIONS)))
    return [a for a in expand(requested(row)) if a in door]


def passed_role_sid(store: str, index: int) -> str:
    """The Sid of the door statement of ``store``'s ``index``-th row."""
    name = "".join(p.capitalize() for p in store.split("_") if p)
    return PASSED_ROLE_SID_PREFIX + name + (str(index) if index else "")


def door_rows(cfn_type: str) -> list[tuple[str, ContractRow]]:
    """(Sid, row) of each door statement of ``cfn_type`` (its rows and its integrations')."""
    out: list[tuple[str, ContractRow]] = []
    for store in _stores(cfn_type) if cfn_type in STORE_TYPES else ():
        rows = [r.row for r in ROLES_BY_TYPE.get(cfn_type, ()) if r.row.store == store]
        rows = list({id(row): row for row in rows}.values())  # a row passed by two types
        out += [(passed_role_sid(store, i), row) for i, row in enumerate(rows)]
    return out


def row_for_sid(sid: str) -> ContractRow | None:
    """The row whose door statement has Sid ``sid`` (None: no such row)."""
    for cfn_type in ROLES_BY_TYPE:
        for name, row in door_rows(cfn_type):
            if name == sid:
                return row
    return None


def passed_role_refusal(cfn_type: str) -> str:
    """Why ``domain.allow_passed_role(role, cfn_type)`` is refused (empty: it is not): the type
    has no row naming a role property, a row documents an action beyond data keys and grants,
    or a request context a statement for the app's resources cannot repeat."""
    rows = [row for _, row in door_rows(cfn_type)]
    if not rows:
        return f"{cfn_type} has no property naming a role that AWS documents KMS requests for"
    for row in rows:
        door = set(expand(tuple(DOOR_ACTIONS)))
        beyond = [a for a in expand(requested(row)) if a not in door]
        if beyond:
            return (
                f"AWS documents {', '.join(beyond)} for the role ({row.source}), which a role "
                "a store runs with never gets on a domain key"
            )
        dropped = unrepresented(row)
        if dropped:
            return (
                f"the request context of the role's requests ({', '.join(dropped)}) names an "
                "example value a statement for the app's resources cannot repeat"
            )
    return ""


def door_conditions(row: ContractRow) -> dict[str, dict[str, Any]]:
    """The conditions of the door statement for ``row`` (placeholders kept): every key of its
    request context (:func:`~cdk_partition.knowledge.contract_shapes.service_conditions`)."""
    return service_conditions(row)


def render_markdown() -> str:
    """The table as markdown (``docs/identities.md`` shows it, rendered at build)."""
    lines = [
        "| store type | role property | KMS requests | under | door | AWS source |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for role in RUN_ROLES:
        requests = ", ".join(f"`{r}`" for r in role.kms_requests)
        context = ", ".join(f"`{k}`" for k in role.row.context) or "no condition AWS documents"
        refusal = passed_role_refusal(role.store_type)
        door = (
            f"refused: {refusal}" if refusal else f'`allow_passed_role(role, "{role.store_type}")`'
        )
        prop = f"`{role.role_property}`"
        if role.via is not None:
            prop = f"`{role.via[2]}` of the `{role.via[0]}` naming it (`{role.via[1]}`)"
        lines.append(
            f"| `{role.store_type}` | {prop} | {requests} | {context} | "
            f"{door} | [{role.title}]({role.url}) |"
        )
    return "\n".join(lines) + "\n"

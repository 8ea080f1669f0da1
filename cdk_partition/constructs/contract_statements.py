"""Key-policy statements written from the contract rows of a type on the key: a service
principal's own requests (``AllowContract<Store><Service>``), under the conditions
:func:`cdk_partition.knowledge.contract_shapes.service_conditions` derives from the row, and the
deployment role's requests AWS documents outside any service, which the app accepts per type
(``AllowDeploymentDirect<Store>``, ``domain.allow_deployment_requests(cfn_type)``)."""

from __future__ import annotations

from dataclasses import replace

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from ..knowledge import contract_shapes
from ..knowledge.capabilities import CONTRACT_SID_PREFIX
from ..knowledge.contracts import ContractRow
from . import key_policy

__all__ = [
    "contract_service_statements",
    "deployment_direct_statements",
]


def _values(stack: cdk.Stack) -> dict[str, str]:
    return {"{partition}": stack.partition, "{region}": stack.region, "{account}": stack.account}


def _camel(text: str) -> str:
    return "".join(p.capitalize() for p in text.replace("-", "_").split("_") if p)


def contract_service_statements(
    row: ContractRow, index: int, stack: cdk.Stack
) -> list[iam.PolicyStatement]:
    """``AllowContract<Store><Service>[<n>]``: the service principal of ``row`` (a service
    acting as itself for a store of the row's type on the key) may make the row's requests
    (:func:`~cdk_partition.knowledge.contract_shapes.requested`), under the conditions of
    :func:`~cdk_partition.knowledge.contract_shapes.service_conditions` (``index`` > 0: a
    further row of the same store and service)."""
    label = row.principal.split(".", 1)[0]
    sid = CONTRACT_SID_PREFIX + _camel(row.store) + _camel(label) + (str(index) if index else "")
    actions = contract_shapes.requested(row)
    return [_statement(replace(row, actions=actions), sid, stack)] if actions else []


def _statement(row: ContractRow, sid: str, stack: cdk.Stack) -> iam.PolicyStatement:
    values = _values(stack)
    principal = row.principal
    for placeholder, value in values.items():
        principal = principal.replace(placeholder, value)
    conditions = contract_shapes.fill(contract_shapes.service_conditions(row), values)
    return key_policy.publisher_statement(sid, principal, row.actions, conditions)


def deployment_direct_statements(
    store: str, rows: list[ContractRow], principal_arn: str, stack: cdk.Stack
) -> list[iam.PolicyStatement]:
    """``AllowDeploymentDirect<Store>[<n>]``: the deployment role may make each request AWS
    documents for ``store`` that the domain does not write on its own (``rows``), with the
    row's data and grant actions (:func:`~cdk_partition.knowledge.contract_shapes.door_statement_actions`)
    under every condition of its request context
    (:func:`~cdk_partition.knowledge.contract_shapes.door_conditions`), and nothing more."""
    values = _values(stack)
    out = []
    for index, row in enumerate(rows):
        actions = contract_shapes.door_statement_actions(row)
        if not actions:
            continue
        conditions = contract_shapes.fill(contract_shapes.door_conditions(row), values)
        out.append(
            iam.PolicyStatement(
                sid=contract_shapes.door_sid(store, index),
                effect=iam.Effect.ALLOW,
                principals=[iam.ArnPrincipal(principal_arn)],
                actions=actions,
                resources=["*"],
                conditions=conditions or None,
            )
        )
    return out

"""The audit over a corpus of templates: every catalogue type, compliant and violating.

The examples are the catalogue's own test tables (one compliant and at least one violating
properties map per type); here each is placed in a domain stack next to a domain key
(``DomainKey``) and put through the whole template audit, as the plugin and the CLI run it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from templates import bucket_put_policy, domain_key
from test_catalogue import COMPLIANT, VIOLATIONS

from cdk_partition.audit import RULES, StackTemplate, audit, failing
from cdk_partition.knowledge.catalogue import CATALOGUE

DOMAIN_KEY = domain_key("orders", readers=())
OTHER_KEY = {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}}
STATE_RULES = {"unencrypted": "CDKP001", "aws_owned": "CDKP002", "aws_managed": "CDKP003"}


def _stack(cfn_type: str, properties: dict[str, Any] | None) -> StackTemplate:
    store: dict[str, Any] = {"Type": cfn_type, "Metadata": {"aws:cdk:path": "Orders/Store"}}
    if properties is not None:
        store["Properties"] = copy.deepcopy(properties)
    template = {
        "Metadata": {"cdk_partition:checks": [{"domain": "orders", "scope": ""}]},
        "Resources": {"DomainKey": DOMAIN_KEY, "OtherKey": OTHER_KEY, "Store": store},
    }
    if cfn_type == "AWS::S3::Bucket":  # as domain.bucket writes it (else CDKP008)
        template["Resources"]["StorePolicy"] = bucket_put_policy()
    return StackTemplate("Orders", template, "Orders.template.json")


def _swap_key(value: Any) -> Any:
    """The same properties with every reference to DomainKey pointing at OtherKey instead."""
    if value == "DomainKey":
        return "OtherKey"
    if isinstance(value, dict):
        return {k: _swap_key(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap_key(v) for v in value]
    return value


def test_corpus_covers_every_catalogue_type_both_ways() -> None:
    # hand-written examples; tests/test_schema_coverage.py generates one for every other slot
    assert set(COMPLIANT) <= set(CATALOGUE)
    assert {t for t, _, _ in VIOLATIONS} <= set(CATALOGUE)


@pytest.mark.parametrize("cfn_type", sorted(COMPLIANT))
def test_compliant_store_has_no_findings(cfn_type: str) -> None:
    """None but CDKP030, the warning of a type whose AWS page describes key requests no contract
    row could state (``LOOKED_UP`` incomplete), which it draws exactly then."""
    from cdk_partition.knowledge.contracts import LOOKED_UP

    properties, _ = COMPLIANT[cfn_type]
    findings = audit([_stack(cfn_type, properties)])
    looked = LOOKED_UP.get(cfn_type)
    expected = ["CDKP030"] if looked is not None and looked.found == "incomplete" else []
    assert [f.rule for f in findings] == expected, [f.message for f in findings]


@pytest.mark.parametrize("cfn_type", sorted(COMPLIANT))
def test_store_on_another_cmk_is_cdkp004(cfn_type: str) -> None:
    properties, _ = COMPLIANT[cfn_type]
    findings = audit([_stack(cfn_type, _swap_key(properties))])
    assert {f.rule for f in findings} == {"CDKP004"}
    assert all(f.path == "Orders/Store" and f.resource_type == cfn_type for f in findings)


@pytest.mark.parametrize(
    ("cfn_type", "properties", "expected"),
    VIOLATIONS,
    ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(VIOLATIONS)],
)
def test_violating_store_fails_with_the_state_rule(
    cfn_type: str, properties: dict[str, Any] | None, expected: list[tuple[str, str]]
) -> None:
    findings = audit([_stack(cfn_type, properties)])
    rules = {f.rule for f in failing(findings)}
    wanted = {STATE_RULES[state] for _, state in expected if state in STATE_RULES}
    assert wanted and wanted <= rules, findings
    for finding in findings:
        assert finding.location and "Fix:" in finding.message
        assert RULES[finding.rule].severity == finding.severity

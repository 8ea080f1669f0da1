"""The rule registry: every rule declared once by its family, listed in the released order, and
resting on an AWS page or saying why there is none."""

from __future__ import annotations

import pytest

from cdk_partition.audit import RULES, Rule, Source
from cdk_partition.audit.organization import ORG_RULES
from cdk_partition.audit.registry import ORDER, _collect


def test_rules_are_listed_in_the_released_order() -> None:
    assert list(RULES) == list(ORDER)
    assert all(rule_id == rule.id for rule_id, rule in RULES.items())


@pytest.mark.parametrize("rule", [*RULES.values(), *ORG_RULES.values()], ids=lambda r: r.id)
def test_every_rule_names_its_aws_page_or_why_none(rule: Rule) -> None:
    assert isinstance(rule.source, Source)
    if rule.source.url is None:
        assert rule.source.title.startswith("no AWS page: ")
    else:
        assert rule.source.url.startswith("https://docs.aws.amazon.com/")
        assert rule.source.title and not rule.source.title.startswith("no AWS page")


def test_the_registry_refuses_a_rule_declared_twice_or_left_out() -> None:
    rule = RULES["CDKP001"]
    with pytest.raises(ValueError, match="declared twice"):
        _collect(["CDKP001"], [rule], [rule])
    with pytest.raises(ValueError, match="ORDER"):
        _collect(["CDKP001", "CDKP002"], [rule])

"""Issue #13 item 3 (second half): store kinds whose service does not accept a KMS key of another
account are refused at construct time on a referenced domain; the table of what AWS says is data
(``contracts.CROSS_ACCOUNT_KEYS``), complete over the store methods."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk.assertions import Annotations, Match

from cdk_partition import DataDomain, DomainReference
from cdk_partition.constructs.stores import StoreFactories
from cdk_partition.knowledge import contracts, contracts_render
from cdk_partition.knowledge.contracts import (
    CROSS_ACCOUNT_KEYS,
    CrossAccountKeys,
    cross_account_verdict,
)

OWNER, WORKLOAD = "111111111111", "222222222222"
REGION = "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{OWNER}:key/0123abcd-0000-0000-0000-000000000000"
PAGE = Path(__file__).resolve().parent.parent / "docs" / "cross-account.md"
#: StoreFactories methods that create no store
NOT_STORES = {
    "grant_store_read",
    "grant_store_write",
    "allow_service_publisher",
    "allow_integration",
}
STORE_METHODS = sorted(
    name
    for name, member in inspect.getmembers(StoreFactories, inspect.isfunction)
    if not name.startswith("_") and name not in NOT_STORES
)


def _reference(account: str | None = WORKLOAD, key_arn: str = KEY) -> DomainReference:
    env = cdk.Environment(account=account, region=REGION) if account else None
    stack = cdk.Stack(cdk.App(), "Workload", env=env)
    return DataDomain.from_domain_attributes(stack, "Orders", domain_name="orders", key_arn=key_arn)


def _refusing(store: str) -> MappingProxyType[str, CrossAccountKeys]:
    row = CROSS_ACCOUNT_KEYS[store]
    refused = CrossAccountKeys(row.service, False, row.quote, row.source)
    return MappingProxyType({**CROSS_ACCOUNT_KEYS, store: refused})


def test_every_store_method_has_a_row() -> None:
    assert sorted(CROSS_ACCOUNT_KEYS) == STORE_METHODS


@pytest.mark.parametrize("store", STORE_METHODS)
def test_each_row_quotes_an_aws_page(store: str) -> None:
    row = CROSS_ACCOUNT_KEYS[store]
    assert row.accepted in (True, False, None) and row.service and len(row.quote.split()) >= 5
    assert re.search(r'^[^"]+, "[^"]+" \(https://docs\.aws\.amazon\.com/\S+\)$', row.source)


def test_the_docs_show_the_table() -> None:
    """docs/cross-account.md shows the table generated from the code at build time."""
    from docs.gen import tables

    page = PAGE.read_text()
    assert "<!-- gen:cross-account -->" in page
    assert contracts_render.render_cross_account_markdown().strip() in tables.expand(page)


@pytest.mark.parametrize(
    ("accepted", "key_account", "stack_account", "verdict"),
    [
        (False, OWNER, WORKLOAD, "refuse"),
        (False, OWNER, OWNER, "pass"),  # the key's own account
        (False, None, WORKLOAD, "warn"),  # token ARN: undecidable
        (False, OWNER, None, "warn"),  # env-agnostic stack: undecidable
        (None, OWNER, WORKLOAD, "warn"),  # AWS does not say
        (None, OWNER, None, "pass"),
        (True, OWNER, WORKLOAD, "pass"),
    ],
)
def test_verdicts(
    accepted: bool | None, key_account: str | None, stack_account: str | None, verdict: str
) -> None:
    row = CrossAccountKeys("Amazon Example", accepted, "a quote of five words", 'T, "P" (u)')
    got, text = cross_account_verdict("kind", key_account, stack_account, {"kind": row})
    assert got == verdict
    assert (verdict == "pass") == (text == "")


def test_an_unclassified_store_kind_warns() -> None:
    assert cross_account_verdict("new_kind", OWNER, WORKLOAD)[0] == "warn"


@pytest.mark.parametrize("store", STORE_METHODS)
def test_a_refusing_service_is_refused_before_the_store_exists(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no store kind is refused by AWS's pages today (see the table); each method's hook is
    # exercised with its row turned to a refusal
    monkeypatch.setattr(contracts, "CROSS_ACCOUNT_KEYS", _refusing(store))
    ref = _reference()
    row = CROSS_ACCOUNT_KEYS[store]
    args: tuple[Any, ...] = (8,) if store == "ebs_volume" else ("Store",)
    with pytest.raises(ValueError) as error:
        getattr(ref, store)(*args)
    message = str(error.value)
    assert row.service in message and row.source.rpartition(" (")[2].rstrip(")") in message
    assert f"account {OWNER}" in message and WORKLOAD in message and "Instead" in message
    assert message.startswith("Workload/Orders")
    assert ref.node.try_find_child("Store") is None


@pytest.mark.parametrize("store", ["queue", "table"])
def test_a_refusal_needs_both_accounts_known(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contracts, "CROSS_ACCOUNT_KEYS", _refusing(store))
    ref = _reference(account=None)  # env-agnostic: the stack's account is a token
    if store == "table":
        ref.table(
            "Store", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
        )
    else:
        ref.queue("Store")
    Annotations.from_stack(cdk.Stack.of(ref)).has_warning(
        "/Workload/Orders", Match.string_like_regexp("not known at synth")
    )


def test_the_keys_own_account_is_never_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contracts, "CROSS_ACCOUNT_KEYS", _refusing("queue"))
    ref = _reference(account=OWNER)
    ref.queue("Jobs")
    Annotations.from_stack(cdk.Stack.of(ref)).has_no_warning(
        "/Workload/Orders", Match.string_like_regexp("another account")
    )


def test_an_accepting_service_passes() -> None:
    ref = _reference()
    assert CROSS_ACCOUNT_KEYS["queue"].accepted is True
    ref.queue("Jobs")
    Annotations.from_stack(cdk.Stack.of(ref)).has_no_warning(
        "/Workload/Orders", Match.string_like_regexp("another account")
    )


def test_a_service_aws_says_nothing_about_warns() -> None:
    ref = _reference()
    assert CROSS_ACCOUNT_KEYS["table"].accepted is None
    ref.table(
        "Orders", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    )
    Annotations.from_stack(cdk.Stack.of(ref)).has_warning(
        "/Workload/Orders",
        Match.string_like_regexp("AWS does not document whether Amazon DynamoDB accepts"),
    )


def test_the_warning_is_given_once_per_store_kind() -> None:
    ref = _reference()
    for name in ("A", "B"):
        ref.table(
            name, partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
        )
    warnings = Annotations.from_stack(cdk.Stack.of(ref)).find_warning(
        "/Workload/Orders", Match.string_like_regexp("Amazon DynamoDB")
    )
    assert len(warnings) == 1

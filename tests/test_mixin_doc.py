"""``docs/mixin.md`` shows what the encryption mixin does to each kind of store: a table rendered
from the catalogue when the site is built (``<!-- gen:mixin -->``, ``docs/gen/tables.py``)."""

from __future__ import annotations

from pathlib import Path

from cdk_partition.knowledge.catalogue import CATALOGUE, KEYLESS_STORES
from docs.gen import tables

DOC = Path(__file__).resolve().parent.parent / "docs" / "mixin.md"


def _page() -> str:
    return tables.expand(DOC.read_text(encoding="utf-8"))


def test_the_page_asks_for_the_generated_table() -> None:
    assert "<!-- gen:mixin -->" in DOC.read_text(encoding="utf-8")


def test_one_row_per_slot_and_keyless_store() -> None:
    page = _page()
    for cfn_type, store in CATALOGUE.items():
        for slot in store.slots:
            assert f"| `{cfn_type}` | `{slot.key}` |" in page, (cfn_type, slot.key)
    for cfn_type in KEYLESS_STORES:
        assert f"| `{cfn_type}` | none | - | - | keyless" in page, cfn_type


def test_switch_values_and_reported_cases_are_shown() -> None:
    page = _page()
    assert '`SSESpecification.SSEType` = "KMS"' in page  # a switch with its value
    assert "`SqsManagedSseEnabled` = removed" in page  # a switch the mixin removes
    # a key inherited from a source resource is reported, with when
    assert "inherited when `SourceDBInstanceIdentifier` present" in page

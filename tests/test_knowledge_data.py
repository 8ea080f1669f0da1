"""The knowledge data files: valid against their JSON Schemas, every path in the CloudFormation
schemas, every entry cited (the uncited ones counted, so that number only goes down), shipped as
package data and read whole by the loaders.

``cdk_partition/knowledge/data/*.json`` are the source of truth for the store catalogue
(:mod:`cdk_partition.knowledge.catalogue`) and the service contracts
(:mod:`cdk_partition.knowledge.contracts`); each ``<name>.json`` has a ``<name>.schema.json``.
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cdk_partition.knowledge import catalogue, contracts

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "cdk_partition" / "knowledge"
DATA = KNOWLEDGE / "data"
TABLES = sorted(p.stem for p in DATA.glob("*.json") if not p.name.endswith(".schema.json"))

# Entries with no AWS page yet (the comments of the former Python table gave none). Cite one and
# lower the number; it must never grow.
UNCITED = {"stores": 35, "keyless_stores": 0, "not_stores": 0, "data_types": 0}

# Paths the catalogue reads that the CloudFormation schema cfn-lint ships does not list, each with
# why it is still right: (type, path) -> reason. None today.
NOT_IN_SCHEMA: dict[tuple[str, str], str] = {}


@cache
def _table(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((DATA / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_table_has_a_schema_and_every_schema_a_table() -> None:
    assert TABLES == [
        "aws_managed_policies",
        "callers_actions",
        "catalogue",
        "contracts",
        "identity_kms",
    ]
    schemas = sorted(p.name.removesuffix(".schema.json") for p in DATA.glob("*.schema.json"))
    assert schemas == TABLES


@pytest.mark.parametrize("name", TABLES)
def test_table_is_valid_against_its_schema(name: str) -> None:
    errors = [
        f"{e.json_path}: {e.message[:300]}" for e in _validator(name).iter_errors(_table(name))
    ]
    assert not errors, "\n".join(errors[:20])


@pytest.mark.parametrize(
    ("name", "where", "broken"),
    [
        ("catalogue", ("stores", 0), {"unknown": 1}),  # a field the loader would not read
        ("catalogue", ("stores", 0, "slots", 0, "first", 0, "when", 0), {"op": "is"}),  # no value
        ("catalogue", ("stores", 0, "slots", 0, "no_key", 0), {"state": "inherited"}),  # no source
        ("catalogue", ("stores", 0), {"cfn_type": "S3 bucket"}),
        ("catalogue", ("stores", 0, "sources"), [{"url": "http://example.com", "note": ""}]),
        ("contracts", ("contracts", 0), {"phase": "later"}),
        ("contracts", ("contracts", 0), {"actions": ["s3:GetObject"]}),
        ("contracts", ("cross_account_keys", "bucket"), {"accepted": "yes"}),
    ],
)
def test_schema_rejects_a_broken_entry(name: str, where: tuple[Any, ...], broken: Any) -> None:
    table = copy.deepcopy(_table(name))
    node = table
    for step in where[:-1]:
        node = node[step]
    if isinstance(broken, dict) and isinstance(node[where[-1]], dict):
        node[where[-1]].update(broken)
    else:
        node[where[-1]] = broken
    assert list(_validator(name).iter_errors(table))


# -- citations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(UNCITED))
def test_uncited_entries_only_go_down(kind: str) -> None:
    uncited = [e["cfn_type"] for e in _table("catalogue")[kind] if not e["sources"]]
    assert len(uncited) <= UNCITED[kind], (
        f"{len(uncited)} {kind} entries cite no AWS page (at most {UNCITED[kind]}): {uncited}"
    )


def test_store_sources_are_loaded() -> None:
    for raw in _table("catalogue")["stores"]:
        loaded = catalogue.CATALOGUE[raw["cfn_type"]].sources
        assert [(s.url, s.note) for s in loaded] == [(s["url"], s["note"]) for s in raw["sources"]]
    for raw in _table("catalogue")["keyless_stores"]:
        assert len(catalogue.KEYLESS_STORES[raw["cfn_type"]].sources) == len(raw["sources"])


def test_contract_sources_name_a_page_and_every_page_is_used() -> None:
    table = _table("contracts")
    cited = [r["source"] for r in table["contracts"]]
    cited += [r["source"] for r in table["cross_account_keys"].values()]
    cited += [r["source"] for r in table["looked_up"].values()]
    assert set(cited) <= set(table["pages"])
    gates = {g.source for g in contracts.GATES.values()}
    pages = {f"{p['title']} ({p['url']})" for p in table["pages"].values()}
    assert gates <= pages
    unused = set(table["pages"]) - set(cited)
    assert not unused, f"pages no row cites: {sorted(unused)}"


# -- what the schema cannot say ----------------------------------------------------------------


def test_looked_up_types_are_catalogued_and_have_no_row() -> None:
    """A type whose page was read and gave no row is a catalogued type, and not one with rows
    (a type cannot be both researched-without-row and covered)."""
    looked = set(_table("contracts")["looked_up"])
    assert looked <= set(catalogue.CATALOGUE), sorted(looked - set(catalogue.CATALOGUE))
    assert not looked & set(contracts.STORE_TYPES), sorted(looked & set(contracts.STORE_TYPES))


def test_every_type_names_a_store_with_rows() -> None:
    """``types`` and ``run_types`` point at rows that exist (a type whose store has no row would
    be covered in name only), and a typed store's type is catalogued or has a row-only key
    property (:data:`contracts.CONTRACT_KEY_PROPERTIES`)."""
    table = _table("contracts")
    stores = {r["store"] for r in table["contracts"]}
    named = {t: e["store"] for t, e in table["types"].items()} | table["run_types"]
    assert {t: s for t, s in named.items() if s not in stores} == {}
    known = set(catalogue.CATALOGUE) | set(contracts.CONTRACT_KEY_PROPERTIES)
    assert sorted(set(named) - known) == []


def test_the_last_no_key_outcome_of_every_slot_is_the_default() -> None:
    """``classify`` takes the first ``no_key`` outcome whose tests hold: the last has none."""
    for store in _table("catalogue")["stores"]:
        for slot in store["slots"]:
            assert "when" not in slot["no_key"][-1], (store["cfn_type"], slot["key"])


def test_each_type_is_listed_once() -> None:
    table = _table("catalogue")
    for kind in ("stores", "keyless_stores", "not_stores", "data_types"):
        types = [e["cfn_type"] for e in table[kind]]
        assert len(types) == len(set(types)), kind
    assert len(catalogue.CATALOGUE) == len(table["stores"])


# -- every path in the CloudFormation schemas cfn-lint ships -----------------------------------


def _paths(entry: dict[str, Any]) -> Iterator[str]:
    """Every property path a catalogue entry reads: slot keys, switches, only_if tests,
    the properties naming a source of an inherited key, a keyless store's tests."""
    for test in entry.get("when", []):
        yield test["path"]
    for slot in entry.get("slots", []):
        yield slot["key"]
        for test in slot.get("only_if", []):
            yield test["path"]
        for outcome in (*slot.get("first", []), *slot["no_key"]):
            yield from (t["path"] for t in outcome.get("when", []))
            if "source" in outcome:
                yield outcome["source"]


@cache
def _schema_paths(cfn_type: str) -> frozenset[str]:
    from test_schema_coverage import _load, _properties

    return frozenset(path for path, *_ in _properties(_load(cfn_type)))


_ENTRIES = [
    (kind, entry) for kind in ("stores", "keyless_stores") for entry in _table("catalogue")[kind]
]


@pytest.mark.parametrize(
    ("kind", "entry"), _ENTRIES, ids=[f"{k}:{e['cfn_type']}" for k, e in _ENTRIES]
)
def test_every_path_exists_in_the_cloudformation_schema(kind: str, entry: dict[str, Any]) -> None:
    pytest.importorskip("cfnlint")
    known = _schema_paths(entry["cfn_type"])
    missing = [
        p
        for p in dict.fromkeys(_paths(entry))
        if p not in known and (entry["cfn_type"], p) not in NOT_IN_SCHEMA
    ]
    assert not missing, f"{entry['cfn_type']}: not in its CloudFormation schema: {missing}"


def test_every_type_exists_in_the_cloudformation_schemas() -> None:
    pytest.importorskip("cfnlint")
    from test_schema_coverage import _index

    table = _table("catalogue")
    types = {e["cfn_type"] for k in UNCITED for e in table[k]}
    types |= set(table["store_create_actions"]["actions"].values())
    assert not sorted(types - set(_index()))


def test_exceptions_are_still_needed() -> None:
    pytest.importorskip("cfnlint")
    for cfn_type, path in NOT_IN_SCHEMA:
        assert path not in _schema_paths(cfn_type), f"{cfn_type} {path} is in the schema now"


# -- shipped and read --------------------------------------------------------------------------


def test_data_files_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["cdk_partition.knowledge"]
    for path in KNOWLEDGE.rglob("*.json"):
        relative = path.relative_to(KNOWLEDGE).as_posix()
        assert any(
            fnmatch(relative, p) and relative.count("/") == p.count("/") for p in patterns
        ), f"{relative} is not package data (pyproject.toml [tool.setuptools.package-data])"


@pytest.mark.parametrize("name", TABLES)
def test_tables_read_through_importlib_resources(name: str) -> None:
    text = files("cdk_partition.knowledge").joinpath("data").joinpath(f"{name}.json").read_text()
    assert json.loads(text) == _table(name)


def test_schema_paths_reject_a_wrong_path() -> None:
    pytest.importorskip("cfnlint")
    assert "PerformanceInsightsKmsKeyId" in _schema_paths("AWS::RDS::DBCluster")
    assert "PerformanceInsightsKMSKeyId" not in _schema_paths("AWS::RDS::DBCluster")  # DBInstance's
    assert "Replicas[].SSESpecification.KMSMasterKeyId" in _schema_paths(
        "AWS::DynamoDB::GlobalTable"
    )
    assert "SSESpecification[].SSEEnabled" not in _schema_paths("AWS::DynamoDB::GlobalTable")

"""Hostile and broken cloud assemblies (issue #25): never a silent pass, bounded reading, exit 2
with one line naming the file (and the JSON path) instead of a crash.

Each case mutates a copy of the frozen sample assembly (tests/golden/inputs/sample) and, where a
store can be planted, plants a queue on SQS-managed encryption that every checked stack refuses:
the run must fail (exit 1 with the finding, or exit 2), never print "No findings".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hostile_support import (
    SSE_SQS_QUEUE,
    assert_fails,
    assert_refused_naming,
    copy_sample,
    edit_json,
    plant_queue,
    run_cli,
)

from cdk_partition.assembly import limits


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return copy_sample(tmp_path)


def test_the_planted_queue_fails_the_intact_sample(sample: Path) -> None:
    """The control: the planted store is caught when everything is readable."""
    plant_queue(sample)
    run = run_cli("audit", str(sample))
    assert run.code == 1 and "Orders/Planted/Resource" in run.out


# -- silent passes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "resources",
    [
        pytest.param(lambda r: [*r.values(), SSE_SQS_QUEUE], id="list"),
        pytest.param(lambda r: "PlantedQueue", id="string"),
        pytest.param(None, id="missing"),
    ],
)
def test_resources_not_an_object_is_refused(sample: Path, resources: Any) -> None:
    def change(t: dict[str, Any]) -> None:
        if resources is None:
            t["Resourcez"] = t.pop("Resources") | {"PlantedQueue": SSE_SQS_QUEUE}
        else:
            t["Resources"] = resources(t["Resources"])

    edit_json(sample / "Orders.template.json", change)
    run = run_cli("audit", str(sample))
    assert_refused_naming(run, "Orders.template.json", "Resources" if resources else "$")


def test_missing_nested_stack_template_is_refused(sample: Path) -> None:
    def change(t: dict[str, Any]) -> None:
        t["Resources"]["Inner"] = {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": "https://example.com/x.json"},
            "Metadata": {"aws:asset:path": "OrdersInner.nested.template.json"},
        }

    edit_json(sample / "Orders.template.json", change)
    run = run_cli("audit", str(sample))
    assert_refused_naming(run, "Orders.template.json", "OrdersInner.nested.template.json")
    assert "$.Resources.Inner.Metadata.aws:asset:path" in run.err


@pytest.mark.parametrize(
    "marks",
    [pytest.param(None, id="absent"), pytest.param("orders", id="string"),
     pytest.param([{"scope": ""}], id="entry-without-domain")],
)  # fmt: skip
def test_unreadable_or_absent_mark_while_others_carry_marks_is_a_finding(
    sample: Path, marks: Any
) -> None:
    plant_queue(sample)

    def change(t: dict[str, Any]) -> None:
        if marks is None:
            del t["Metadata"]
        else:
            t["Metadata"]["cdk_partition:checks"] = marks

    edit_json(sample / "Orders.template.json", change)
    run = run_cli("audit", str(sample))
    assert_fails(run)
    assert run.code == 1
    # an unreadable mark is CDKP017; without a mark, the domain key's stack is checked by
    # default (or CDKP017 says that nobody checks it): either way the queue cannot pass
    assert "CDKP017" in run.out or ("Orders/Planted/Resource" in run.out and marks is None)


def test_template_metadata_a_list_is_refused(sample: Path) -> None:
    plant_queue(sample)
    edit_json(sample / "Orders.template.json", lambda t: t.update(Metadata=[t["Metadata"]]))
    assert_refused_naming(run_cli("audit", str(sample)), "Orders.template.json", "$.Metadata")


def test_no_artifacts_is_refused(sample: Path) -> None:
    plant_queue(sample)
    edit_json(sample / "manifest.json", lambda m: m.update(artifacts={}))
    assert_refused_naming(run_cli("audit", str(sample)), "manifest.json", "no aws:cloudformation")


def test_misspelt_stack_artifact_type_is_refused(sample: Path) -> None:
    plant_queue(sample)
    edit_json(
        sample / "manifest.json",
        lambda m: m["artifacts"]["Orders"].update(type="aws:cloudformation:stak"),
    )
    run = run_cli("audit", str(sample))
    assert_refused_naming(run, "manifest.json", "$.artifacts.Orders.type")


def test_duplicate_export_name_is_a_finding(sample: Path) -> None:
    """Two stacks export one name; the planted queue imports it: one of the values is the
    domain key, the other an AWS managed key. CloudFormation refuses the second export."""

    def exporting(value: Any) -> Any:
        def change(t: dict[str, Any]) -> None:
            t.setdefault("Outputs", {})["Shared"] = {"Value": value, "Export": {"Name": "K"}}

        return change

    edit_json(sample / "Principals.template.json", exporting("alias/aws/sqs"))
    edit_json(
        sample / "Orders.template.json", exporting({"Fn::GetAtt": ["DomainKeyEFD04CB2", "Arn"]})
    )

    def plant(t: dict[str, Any]) -> None:
        t["Resources"]["PlantedQueue"] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {"KmsMasterKeyId": {"Fn::ImportValue": "K"}},
        }

    edit_json(sample / "Orders.template.json", plant)
    run = run_cli("audit", str(sample))
    assert_fails(run, "CDKP018")
    assert run.code == 1


# -- bounded ---------------------------------------------------------------------------------
def _nest(t: dict[str, Any], logical_id: str, file: str) -> None:
    t["Resources"][logical_id] = {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://example.com/x.json"},
        "Metadata": {"aws:asset:path": file},
    }


def test_nested_stack_referencing_itself_is_refused(sample: Path) -> None:
    edit_json(sample / "Orders.template.json", lambda t: _nest(t, "Self", "Orders.template.json"))
    assert_refused_naming(run_cli("audit", str(sample)), "Orders.template.json", "nests itself")


def test_nested_stacks_referencing_each_other_are_refused(sample: Path) -> None:
    a = {"Resources": {}}
    _nest(a, "B", "b.nested.template.json")
    b = {"Resources": {}}
    _nest(b, "A", "a.nested.template.json")
    (sample / "a.nested.template.json").write_text(json.dumps(a))
    (sample / "b.nested.template.json").write_text(json.dumps(b))
    edit_json(sample / "Orders.template.json", lambda t: _nest(t, "A", "a.nested.template.json"))
    assert_refused_naming(run_cli("audit", str(sample)), "nested.template.json", "nests itself")


def test_nested_stacks_deeper_than_the_limit_are_refused(sample: Path) -> None:
    for depth in range(limits.MAX_STACK_NESTING + 2):
        t: dict[str, Any] = {"Resources": {}}
        _nest(t, "Next", f"n{depth + 1}.nested.template.json")
        (sample / f"n{depth}.nested.template.json").write_text(json.dumps(t))
    edit_json(sample / "Orders.template.json", lambda t: _nest(t, "N", "n0.nested.template.json"))
    assert_refused_naming(run_cli("audit", str(sample)), "deeper than the limit")


def test_template_outside_the_assembly_is_refused(sample: Path) -> None:
    edit_json(
        sample / "manifest.json",
        lambda m: m["artifacts"]["Orders"]["properties"].update(templateFile="/dev/zero"),
    )
    assert_refused_naming(run_cli("audit", str(sample)), "/dev/zero", "outside the assembly")


def test_symlink_leading_outside_is_refused(sample: Path) -> None:
    (sample / "Orders.template.json").unlink()
    (sample / "Orders.template.json").symlink_to("/dev/zero")
    assert_refused_naming(run_cli("audit", str(sample)), "Orders.template.json", "outside")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_hanging(sample: Path) -> None:
    """A subprocess with a timeout: a reader that blocks on the FIFO would hang."""
    (sample / "Orders.template.json").unlink()
    os.mkfifo(sample / "Orders.template.json")
    done = subprocess.run(
        [sys.executable, "-m", "cdk_partition.cli", "audit", str(sample)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Orders.template.json: not a regular file" in done.stderr


def test_file_over_the_size_limit_is_refused(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10_000)
    assert_refused_naming(run_cli("audit", str(sample)), "manifest.json", "over the limit")


def test_stage_assembly_naming_itself_is_refused(sample: Path) -> None:
    edit_json(
        sample / "manifest.json",
        lambda m: m["artifacts"].update(
            Self={"type": "cdk:cloud-assembly", "properties": {"directoryName": "."}}
        ),
    )
    assert_refused_naming(run_cli("audit", str(sample)), "manifest.json", "contains itself")


def test_stage_assemblies_deeper_than_the_limit_are_refused(tmp_path: Path) -> None:
    stage = {"type": "cdk:cloud-assembly", "properties": {"directoryName": "inner"}}
    folder = tmp_path / "cdk.out"
    for _ in range(limits.MAX_STAGE_NESTING + 2):
        folder.mkdir()
        (folder / "manifest.json").write_text(
            json.dumps({"version": "55.0.0", "artifacts": {"Inner": stage}})
        )
        folder = folder / "inner"
    assert_refused_naming(run_cli("audit", str(tmp_path / "cdk.out")), "deeper than the limit")


@pytest.mark.parametrize("depth", [limits.MAX_JSON_DEPTH + 5, 1_200, 100_000])
def test_json_nested_too_deep_is_refused(sample: Path, depth: int) -> None:
    text = (sample / "Orders.template.json").read_text()
    deep = "[" * depth + "]" * depth
    (sample / "Orders.template.json").write_text(text[:-1] + f', "Deep": {deep}}}')
    assert_refused_naming(run_cli("audit", str(sample)), "Orders.template.json", "nested deeper")


# -- exit 2, not 3 ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "path"),
    [
        pytest.param(lambda a: a.update(properties="x"), "$.artifacts.Orders", id="properties"),
        pytest.param(lambda a: a.update(displayName={}), "$.artifacts.Orders.displayName",
                     id="displayName"),
        pytest.param(lambda a: a["properties"].update(templateFile="Orders\x00.json"), "NUL",
                     id="nul-in-file-name"),
    ],
)  # fmt: skip
def test_malformed_manifest_is_refused_naming_the_path(
    sample: Path, change: Any, path: str
) -> None:
    edit_json(sample / "manifest.json", lambda m: change(m["artifacts"]["Orders"]))
    assert_refused_naming(run_cli("audit", str(sample)), path)
    assert_refused_naming(run_cli("report", str(sample)), path)


def test_nested_template_an_array_is_refused(sample: Path) -> None:
    (sample / "inner.nested.template.json").write_text("[]")
    edit_json(
        sample / "Orders.template.json", lambda t: _nest(t, "In", "inner.nested.template.json")
    )
    run = run_cli("report", str(sample))
    assert_refused_naming(run, "inner.nested.template.json", "not an object")


def test_lone_surrogate_in_an_id_is_refused(sample: Path) -> None:
    text = (sample / "Orders.template.json").read_text()
    text = text.replace('"DomainEventsF849434E"', '"DomainEvents\\ud800"', 1)
    (sample / "Orders.template.json").write_text(text)
    for command in ("audit", "report"):
        assert_refused_naming(run_cli(command, str(sample)), "Orders.template.json", "surrogate")


@pytest.mark.parametrize(
    "section",
    ["Properties", "Metadata"],
)
def test_resource_section_not_an_object_is_refused(sample: Path, section: str) -> None:
    edit_json(
        sample / "Orders.template.json",
        lambda t: t["Resources"]["DomainKeyEFD04CB2"].update({section: "x"}),
    )
    for command in ("audit", "report"):
        run = run_cli(command, str(sample))
        assert_refused_naming(run, f"$.Resources.DomainKeyEFD04CB2.{section}")


def test_closed_stdout_pipe_exits_quietly(sample: Path) -> None:
    """``cdk-partition audit ... | head -1``: the reader goes; no "internal error"."""
    plant_queue(sample)
    edit_json(
        sample / "Orders.template.json",
        lambda t: t["Resources"].update(
            {f"Q{i}": SSE_SQS_QUEUE | {"Metadata": {"aws:cdk:path": f"Orders/Q{i}" + "x" * 200}}
             for i in range(400)}
        ),
    )  # fmt: skip
    shell = (
        f"{sys.executable} -m cdk_partition.cli audit {sample} | head -1; exit ${{PIPESTATUS[0]}}"
    )
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert done.stderr == "", done.stderr
    assert done.returncode == 1  # the run's own exit code: findings


def test_device_given_as_the_template_is_refused() -> None:
    assert_refused_naming(run_cli("audit", "/dev/zero"), "/dev/zero", "not a regular file")


def test_an_empty_stack_without_resources_is_read(sample: Path) -> None:
    """The CDK synthesizes a stack with no resources without a Resources section: nothing to
    refuse (an unknown section is, above)."""
    edit_json(sample / "Principals.template.json", lambda t: {"Parameters": {}})
    edit_json(sample / "Orders.template.json", lambda t: t.pop("Outputs", None))
    assert run_cli("audit", str(sample)).code in (0, 1)
    assert "not a CloudFormation template section" not in run_cli("audit", str(sample)).err


# -- the template cdk deploy deploys ---------------------------------------------------------
def _point_template_asset(sample: Path, path: str) -> None:
    """``Orders.assets.json`` publishing ``path`` where the stack's template object goes."""

    def change(a: dict[str, Any]) -> None:
        for entry in a["files"].values():
            if entry["source"]["path"] == "Orders.template.json":
                entry["source"]["path"] = path

    edit_json(sample / "Orders.assets.json", change)


def _planted_copy(sample: Path, name: str) -> None:
    """``name``: the Orders template with the planted queue; the listed template unchanged."""
    listed = sample / "Orders.template.json"
    intact = listed.read_bytes()
    plant_queue(sample)
    (sample / name).write_bytes(listed.read_bytes())
    listed.write_bytes(intact)


@pytest.mark.parametrize(
    "how", ["asset-path", "second-manifest", "no-asset", "other-bucket", "manifest-renamed"]
)
def test_a_deployed_template_other_than_the_listed_one_is_refused(sample: Path, how: str) -> None:
    """``cdk deploy`` deploys a stack from ``stackTemplateAssetObjectUrl`` (the pinned CLI's
    ``makeBodyParameter``, its bucket and key), which the asset manifest that ``manifest.json``
    lists fills from ``source.path``: a manifest pointing there at another file, an artifact
    naming a manifest file of its own, a URL into another bucket, or no manifest publishing it
    deploys a template the audit never read (attacks found each silent). A ``*.assets.json`` no
    artifact lists is never published, so it changes nothing."""
    _planted_copy(sample, "Evil.template.json")
    assert run_cli("audit", str(sample)).code == 0  # the listed template alone is clean
    if how == "asset-path":
        _point_template_asset(sample, "Evil.template.json")
    elif how == "second-manifest":
        extra = json.loads((sample / "Orders.assets.json").read_text())
        for entry in extra["files"].values():
            entry["source"]["path"] = "Evil.template.json"
        (sample / "Extra.assets.json").write_text(json.dumps(extra))
    elif how == "no-asset":
        edit_json(sample / "Orders.assets.json", lambda a: a | {"files": {}})
    elif how == "other-bucket":  # the CLI deploys from the URL's bucket, the key unchanged

        def elsewhere(m: dict[str, Any]) -> None:
            props = m["artifacts"]["Orders"]["properties"]
            key = props["stackTemplateAssetObjectUrl"].split("/", 3)[3]
            props["stackTemplateAssetObjectUrl"] = f"s3://attacker-bucket/{key}"

        edit_json(sample / "manifest.json", elsewhere)
    else:  # cdk-assets reads the file the asset-manifest artifact names, not *.assets.json
        real = json.loads((sample / "Orders.assets.json").read_text())
        for entry in real["files"].values():
            if entry["source"]["path"] == "Orders.template.json":
                entry["source"]["path"] = "Evil.template.json"
        (sample / "Orders.real.json").write_text(json.dumps(real))
        edit_json(sample / "manifest.json", lambda m: m["artifacts"]["Orders.assets"]["properties"]
                  .update(file="Orders.real.json"))  # fmt: skip
    run = run_cli("audit", str(sample))
    if how == "second-manifest":  # a manifest no artifact lists: cdk-assets never publishes it
        assert run.code == 0, run.err
        return
    assert_refused_naming(run, "Orders", "templateFile", "would not be the one deployed")
    named = how in ("asset-path", "manifest-renamed")
    assert ("Evil.template.json" in run.err) == named, run.err


def test_a_nested_templates_asset_is_read_from_the_listed_manifest_only(tmp_path: Path) -> None:
    """The object key of a nested stack's ``TemplateURL`` is looked up in the asset manifests
    ``manifest.json`` lists, as cdk-assets publishes them; a decoy ``*.assets.json`` no artifact
    names does not decide which template is read (it could, by the order of the glob)."""
    from cdk_partition.assembly.loading import _asset_files

    def manifest(path: str) -> dict[str, Any]:
        return {"files": {"h": {"source": {"path": path},
                                "destinations": {"d": {"bucketName": "b", "objectKey": "h.json"}}}}}  # fmt: skip

    (tmp_path / "manifest.json").write_text(json.dumps({"version": "1", "artifacts": {
        "A": {"type": "cdk:asset-manifest", "properties": {"file": "Real.assets.json"}}}}))  # fmt: skip
    (tmp_path / "Real.assets.json").write_text(json.dumps(manifest("Nested.json")))
    (tmp_path / "Decoy.assets.json").write_text(json.dumps(manifest("Clean.json")))
    assert _asset_files(tmp_path, tmp_path) == {"h.json": "Nested.json"}

"""``cdk-partition diff`` and ``reference-policy`` (issue #22) over pairs of frozen assemblies.

``tests/golden/inputs/sample`` is a frozen ``cdk synth`` of the sample app; each test copies it and
edits a template the way a change to the app would (a reader added to the key policy, one removed,
a store on ``alias/aws/sqs``, a construct renamed, an exemption added), so no synthesis is needed.
The real synthesized variants are in ``tests/test_diff_pr.py``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cdk_partition import cli
from cdk_partition.assembly import load
from cdk_partition.audit import organization
from cdk_partition.report import diff, diff_render
from cdk_partition.report.diff import Diff, diff_paths
from cdk_partition.report.reference import reference_policy

INPUTS = Path(__file__).parent / "golden" / "inputs"
SAMPLE = INPUTS / "sample"
KEY = "DomainKeyEFD04CB2"
Template = dict[str, Any]


def variant(tmp_path: Path, name: str, edit: Callable[[Template], None] | None = None) -> Path:
    """A copy of the frozen sample assembly with ``edit`` applied to its Orders template."""
    out = tmp_path / name
    shutil.copytree(SAMPLE, out)
    if edit is not None:
        file = out / "Orders.template.json"
        template = json.loads(file.read_text())
        edit(template)
        file.write_text(json.dumps(template, indent=1))
    return out


def statement(template: Template, sid: str) -> dict[str, Any]:
    statements = template["Resources"][KEY]["Properties"]["KeyPolicy"]["Statement"]
    return next(s for s in statements if s.get("Sid") == sid)


AUDITOR = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/auditor"}


def add_auditor(template: Template) -> None:
    """A new reader, named in AllowRead and excepted from DenyEveryoneElse (as grant_read does)."""
    statement(template, "AllowRead")["Principal"]["AWS"].append(AUDITOR)
    deny = statement(template, "DenyEveryoneElse")["Condition"]["ArnNotEquals"]
    deny["aws:PrincipalArn"].append(AUDITOR)


def drop_app_a_read(template: Template) -> None:
    principals = statement(template, "AllowRead")["Principal"]["AWS"]
    principals[:] = [p for p in principals if "appA" not in json.dumps(p)]


def drop_app_a_read_and_grant(template: Template) -> None:
    """appA loses read in the key policy and its IAM grants that need it (reading the bucket;
    sending to the queue, which needs kms:Decrypt per the SQS page): a narrowing only
    (``drop_app_a_read`` alone leaves IAM grants the key now refuses: CDKP019)."""
    drop_app_a_read(template)
    for logical_id, resource in template["Resources"].items():
        if (
            logical_id.startswith("GranteePrincipalsappA")
            and resource["Type"] == "AWS::IAM::Policy"
        ):
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s
                for s in document["Statement"]
                if "s3:GetObject*" not in s["Action"] and "sqs:SendMessage" not in s["Action"]
            ]


def queue_on_aws_sqs(template: Template) -> None:
    template["Resources"]["DomainEventsF849434E"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sqs"


def replication_without_via(template: Template) -> None:
    del statement(template, "AllowStoreRolesBucketReplication")["Condition"]


def exempt_events(reason: str) -> Callable[[Template], None]:
    def edit(template: Template) -> None:
        queue_on_aws_sqs(template)
        metadata = template["Resources"]["DomainEventsF849434E"]["Metadata"]
        metadata["cdk_partition:exemptions"] = [{"rule": "CDKP003", "reason": reason}]

    return edit


@pytest.fixture(autouse=True, scope="module")
def _side_cache() -> Iterator[None]:
    """Each side is reported once per content: most tests diff the same base (a report of the
    sample costs about a second)."""
    cache: dict[tuple[Any, ...], diff.Side] = {}
    original = diff.load_side

    def cached(members: list[organization.Member], org: bool) -> diff.Side:
        key = (
            org,
            *(
                (m.label, json.dumps([s.template for s in m.assembly.stacks], sort_keys=True))
                for m in members
            ),
        )
        if key not in cache:
            cache[key] = original(members, org)
        return cache[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(diff, "load_side", cached)
        yield


def kinds(result: Diff) -> set[tuple[str, str, str]]:
    return {(c.kind, c.effect, c.subject) for c in result.changes}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return variant(tmp_path_factory.mktemp("base"), "before")


@pytest.fixture(scope="module")
def widened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return variant(tmp_path_factory.mktemp("widened"), "after", add_auditor)


def test_the_same_assembly_is_no_change(base: Path, tmp_path: Path) -> None:
    result = diff_paths([base], [variant(tmp_path, "copy")])
    assert result.changes == []
    assert "No change" in diff_render.to_text(result)
    assert all(not result.fails(mode) for mode in ("none", "errors", "widened", "any"))


def test_a_new_reader_is_a_widening(base: Path, widened: Path) -> None:
    result = diff_paths([base], [widened])
    auditor = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/auditor"
    gained = [c for c in result.changes if c.kind == "access-gained"]
    assert [(c.domain, c.subject, c.capability, c.after) for c in gained] == [
        ("orders", auditor, "read", "yes")
    ]
    assert "role/auditor gained read" in gained[0].message
    changed = {c.subject for c in result.changes if c.kind == "statement-changed"}
    assert changed == {"AllowRead", "DenyEveryoneElse"}
    allow_read = next(c for c in result.changes if c.subject == "AllowRead")
    assert allow_read.capability == "read"
    assert result.fails("widened") and result.fails("any") and not result.fails("errors")


def test_a_reader_removed_is_a_narrowing(base: Path, tmp_path: Path) -> None:
    result = diff_paths([base], [variant(tmp_path, "after", drop_app_a_read_and_grant)])
    lost = [c for c in result.changes if c.kind.startswith("access")]
    assert [(c.kind, c.effect, c.capability) for c in lost] == [("access-lost", "narrowed", "read")]
    assert "role/appA lost read" in lost[0].message
    assert not result.fails("widened")
    assert result.fails("any")


def test_a_reader_removed_from_the_key_but_granted_by_iam_is_a_new_error(
    base: Path, tmp_path: Path
) -> None:
    """The key policy narrowed while appA's IAM grant stays: appA's reads fail at run time."""
    result = diff_paths([base], [variant(tmp_path, "after", drop_app_a_read)])
    new = [c for c in result.changes if c.error]
    assert new and all("CDKP019" in c.message and "appA" in c.message for c in new)
    assert result.fails("errors")


def test_via_a_service_to_yes_is_a_widening(base: Path, tmp_path: Path) -> None:
    result = diff_paths([base], [variant(tmp_path, "after", replication_without_via)])
    entries = [c for c in result.changes if c.kind == "access-widened"]
    assert {(c.capability, c.before, c.after) for c in entries} == {
        ("read", "via s3", "yes"),
        ("write", "via s3", "yes"),
    }
    assert all("CDKReplicationRole" in c.subject for c in entries)
    # and back: a narrowing
    back = diff_paths([variant(tmp_path, "b2", replication_without_via)], [base])
    assert {c.kind for c in back.changes if c.kind.startswith("access")} == {"access-narrowed"}


def test_a_store_that_leaves_its_key_is_a_widening_and_returning_narrows(
    base: Path, tmp_path: Path
) -> None:
    moved = variant(tmp_path, "after", queue_on_aws_sqs)
    result = diff_paths([base], [moved])
    assert ("store-left-key", "widened", "Orders/Domain/Events") in kinds(result)
    new = [c for c in result.changes if c.kind == "finding-new"]
    assert [c.error for c in new] == [True]
    assert "CDKP003" in new[0].subject
    assert result.fails("errors") and result.fails("widened")

    back = diff_paths([moved], [base])
    assert ("store-joined-key", "narrowed", "Orders/Domain/Events") in kinds(back)
    assert {c.kind for c in back.changes} >= {"finding-fixed"}
    assert not back.fails("widened") and not back.fails("errors") and back.fails("any")


def rename_dead_letter(out: Path) -> None:
    """The dead-letter queue's construct moved: new path and logical id, everywhere they occur."""
    for file in out.glob("*.json"):
        text = file.read_text()
        text = text.replace("DomainEventsDeadLetter5DEA3A59", "DomainFailures0A1B2C3D")
        text = text.replace("Orders/Domain/EventsDeadLetter", "Orders/Domain/Failures")
        file.write_text(text)


def test_a_renamed_construct_is_no_change(base: Path, tmp_path: Path) -> None:
    renamed = variant(tmp_path, "after")
    rename_dead_letter(renamed)
    result = diff_paths([base], [renamed])
    assert [(c.kind, c.effect, c.before, c.after) for c in result.changes] == [
        ("store-renamed", "renamed", "Orders/Domain/EventsDeadLetter", "Orders/Domain/Failures")
    ]
    assert all(not result.fails(mode) for mode in ("errors", "widened", "any"))


def test_a_renamed_store_keeps_its_findings(tmp_path: Path) -> None:
    before = variant(tmp_path, "before", queue_on_aws_sqs)
    after = variant(tmp_path, "after", queue_on_aws_sqs)
    for file in after.glob("*.json"):
        text = file.read_text().replace("Orders/Domain/Events/", "Orders/Domain/Inbox/")
        file.write_text(text.replace("DomainEventsF849434E", "DomainInbox99AA88BB"))
    result = diff_paths([before], [after])
    assert [(c.kind, c.effect) for c in result.changes] == [("finding-moved", "renamed")]
    assert not result.fails("any")


def test_exemptions_added_changed_removed(base: Path, tmp_path: Path) -> None:
    reason = "holds only synthetic test messages, never customer data"
    moved = variant(tmp_path, "moved", queue_on_aws_sqs)
    exempted = variant(tmp_path, "exempted", exempt_events(reason))
    result = diff_paths([moved], [exempted])
    assert ("exemption-added", "widened", "CDKP003 Orders/Domain/Events") in kinds(result)
    assert any(c.kind == "finding-exempted" and c.effect == "widened" for c in result.changes)
    assert result.fails("widened") and not result.fails("errors")

    other = variant(tmp_path, "other", exempt_events(reason + " at all"))
    changed = diff_paths([exempted], [other])
    assert [(c.kind, c.effect) for c in changed.changes] == [("exemption-changed", "changed")]

    removed = diff_paths([exempted], [moved])
    assert ("exemption-removed", "narrowed", "CDKP003 Orders/Domain/Events") in kinds(removed)
    assert removed.fails("errors")  # the finding counts again


def test_new_error_finding_in_a_new_key_policy_statement(base: Path) -> None:
    result = diff_paths([base], [INPUTS / "violating"])
    assert result.fails("errors")
    added = [c for c in result.changes if c.kind == "statement-added"]
    assert [c.subject for c in added] == ["Planted"]
    new_rules = {c.subject.split()[0] for c in result.changes if c.kind == "finding-new"}
    assert {"CDKP002", "CDKP003", "CDKP103", "REPORT-EXTRA-STATEMENT"} <= new_rules


def test_organisation_paths_pair_in_order(tmp_path: Path) -> None:
    org = tmp_path / "org-head"
    shutil.copytree(INPUTS / "organization", org)
    sample = variant(tmp_path, "sample-head")
    result = diff_paths([SAMPLE, INPUTS / "organization"], [sample, org])
    assert result.changes == []
    assert result.after == [str(sample), str(org)]


# -- formats and the CLI ------------------------------------------------------------------------
def test_markdown_names_the_change(base: Path, widened: Path) -> None:
    text = diff_render.to_markdown(diff_paths([base], [widened]))
    assert text.startswith("## Access review")
    assert "### Domain `orders`" in text
    assert "| **widened** | Capability gained | role/auditor gained read (yes) |" in text


def test_json_and_text(base: Path, widened: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diff", str(base), str(widened), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["widened"] == 1
    assert {"domain", "kind", "effect", "subject", "message", "fingerprint"} <= set(
        data["changes"][0]
    )
    assert cli.main(["diff", str(base), str(widened)]) == 0
    out = capsys.readouterr().out
    assert "Domain orders:" in out and "WIDENED" in out


def test_sarif_shape_and_stable_ids(base: Path, widened: Path, tmp_path: Path) -> None:
    sarif = diff_render.to_sarif(diff_paths([base], [widened]))
    assert sarif["version"] == "2.1.0"
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    results = sarif["runs"][0]["results"]
    assert results
    for result in results:
        assert result["ruleId"] in rules
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        assert result["partialFingerprints"]["cdkPartitionDiff/v1"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert len({r["partialFingerprints"]["cdkPartitionDiff/v1"] for r in results}) == len(results)
    # the same change over other checkouts (other paths): the same ids
    again = diff_render.to_sarif(
        diff_paths([variant(tmp_path, "b")], [variant(tmp_path, "a", add_auditor)])
    )
    ids = sorted(r["partialFingerprints"]["cdkPartitionDiff/v1"] for r in results)
    assert ids == sorted(
        r["partialFingerprints"]["cdkPartitionDiff/v1"] for r in again["runs"][0]["results"]
    )


@pytest.mark.parametrize(
    ("edit", "codes"),
    [
        (None, {"none": 0, "errors": 0, "widened": 0, "any": 0}),
        (drop_app_a_read_and_grant, {"none": 0, "errors": 0, "widened": 0, "any": 1}),
        (add_auditor, {"none": 0, "errors": 0, "widened": 1, "any": 1}),
        (queue_on_aws_sqs, {"none": 0, "errors": 1, "widened": 1, "any": 1}),
    ],
    ids=["same", "narrowed", "widened", "error"],
)
def test_exit_codes(
    base: Path,
    tmp_path: Path,
    edit: Callable[[Template], None] | None,
    codes: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each --fail-on through the CLI; the diff is computed once (it is the same for each)."""
    after = variant(tmp_path, "after", edit)
    computed = diff_paths([base], [after])
    monkeypatch.setattr(diff, "diff_paths", lambda before, after: computed)
    for mode, code in codes.items():
        args = ["diff", "--before", str(base), "--after", str(after), "--fail-on", mode]
        assert cli.main([*args, "--format", "sarif", "--output", str(tmp_path / "o")]) == code


def test_bad_input_exits_2(base: Path, tmp_path: Path) -> None:
    assert cli.main(["diff", str(base), str(tmp_path / "missing")]) == 2
    assert cli.main(["diff", str(base)]) == 2
    assert cli.main(["reference-policy", str(base), "--domain", "nope"]) == 2


# -- reference policy ---------------------------------------------------------------------------
def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        assert not any(k == "Ref" or k.startswith("Fn::") for k in value), value
        for v in value.values():
            _walk(v)
    elif isinstance(value, list):
        for v in value:
            _walk(v)


@pytest.mark.parametrize("domain", ["orders", "credit-applications"])
def test_reference_policy_is_a_policy_document(domain: str) -> None:
    policy = reference_policy(load(SAMPLE), domain, account="123456789012", region="eu-west-1")
    assert policy["Version"] == "2012-10-17"
    assert isinstance(policy["Statement"], list) and policy["Statement"]
    for s in policy["Statement"]:
        assert s["Effect"] in ("Allow", "Deny")
        assert "Principal" in s and ("Action" in s or "NotAction" in s) and "Resource" in s
    _walk(policy)
    text = json.dumps(policy)
    assert "${AWS::AccountId}" not in text and "${ImportValue:" not in text
    if domain == "orders":
        read = next(s for s in policy["Statement"] if s.get("Sid") == "AllowRead")
        assert "arn:aws:iam::123456789012:role/appA" in read["Principal"]["AWS"]


def test_reference_policy_cli_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "orders.json"
    args = ["reference-policy", str(SAMPLE), "--domain", "orders", "--output", str(out)]
    assert cli.main(args) == 0
    policy = json.loads(out.read_text())
    assert {s.get("Sid") for s in policy["Statement"]} >= {"AllowRead", "DenyEveryoneElse"}
    # without an account the report's rendering stays (the stack's environment is unknown)
    assert "${AWS::AccountId}" in out.read_text()


def test_organisation_reader_added_in_a_stage(tmp_path: Path) -> None:
    """An organisation (Stages of several accounts): the domain is named with its environment,
    the new cross-account reader by ARN, and the fingerprints do not hold the checkout's path."""
    heads = []
    for name in ("one", "two"):
        head = tmp_path / name
        shutil.copytree(INPUTS / "organization", head)
        file = head / "assembly-Data" / "DataOrders15F80E55.template.json"
        template = json.loads(file.read_text())
        reader = "arn:aws:iam::555555555555:role/auditor"
        statement(template, "AllowRead")["Principal"]["AWS"] = [
            "arn:aws:iam::444444444444:role/analytics",
            reader,
        ]
        deny = statement(template, "DenyEveryoneElse")["Condition"]["ArnNotEquals"]
        deny["aws:PrincipalArn"].append(reader)
        file.write_text(json.dumps(template))
        heads.append(head)
    results = [diff_paths([INPUTS / "organization"], [head]) for head in heads]
    gained = [c for c in results[0].changes if c.kind == "access-gained"]
    assert [(c.domain, c.subject, c.capability) for c in gained] == [
        (
            "orders (account 111111111111, us-east-1)",
            "arn:aws:iam::555555555555:role/auditor",
            "read",
        )
    ]
    assert results[0].fails("widened")
    prints = [sorted(c.fingerprint for c in r.changes) for r in results]
    assert prints[0] == prints[1]

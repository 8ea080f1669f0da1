"""The one switch is a fix that works for every catalogued store (issues #24 item 3 and #21).

Each store finding (CDKP001-CDKP005) offers, besides its type's own fix, the domain's mixin:
``cdk.Mixins.of(<construct>).apply(domain.encryption_at_rest(replace_keys=True))``. Here that fix
is applied as written to every violating example of the catalogue's test table
(:data:`test_catalogue.VIOLATIONS`, one or more per type, built as an L1 in a domain stack), the
app is synthesized once and audited as the CLI audits ``cdk.out``: the same examples without the
mixin (a second stack of the same app) draw their state rule, and with it no store finding is
left on them. Where the mixin would not fix the resource (a key inherited from a source, a slot
behind an intrinsic), the finding does not offer it.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from conftest import cdk_context
from constructs import Construct
from test_catalogue import VIOLATIONS

from cdk_partition import DataDomain, Finding, exempt
from cdk_partition.audit import organization
from cdk_partition.audit.stores import MIXIN_FIX, with_mixin
from cdk_partition.knowledge.catalogue import CATALOGUE

ACCOUNT = "111122223333"
REGION = "eu-west-1"
OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STORE_RULES = {"CDKP001", "CDKP002", "CDKP003", "CDKP004", "CDKP005"}


def _values(value: Any, key: Any) -> Any:
    """The example's properties with its test-table key references made real: the domain key
    (``DomainKey``) becomes ``key``'s ARN or id, any other key a literal ARN of another key."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in ("DomainKey", "OtherKey"):
            return key.key_id if value["Ref"] == "DomainKey" else OTHER_KEY
        if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][0] in ("DomainKey", "OtherKey"):
            return key.key_arn if value["Fn::GetAtt"][0] == "DomainKey" else OTHER_KEY
        return {k: _values(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_values(v, key) for v in value]
    return value


#: (type, properties) of every example: the catalogue test table's violations, then every other
#: catalogue type with no properties at all (its default encryption)
EXAMPLES: list[tuple[str, dict[str, Any] | None]] = [(t, p) for t, p, _ in VIOLATIONS] + [
    (t, None) for t in sorted(set(CATALOGUE) - {t for t, _, _ in VIOLATIONS})
]


def _stores(stack: cdk.Stack, domain: DataDomain) -> list[cdk.CfnResource]:
    stores = []
    for i, (cfn_type, properties) in enumerate(EXAMPLES):
        scope = Construct(stack, f"V{i}")
        stores.append(
            cdk.CfnResource(
                scope, "Store", type=cfn_type, properties=_values(properties or {}, domain.key)
            )
        )
    return stores


def _domain(app: cdk.App, name: str) -> tuple[cdk.Stack, DataDomain]:
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    people = cdk.Stack(app, f"{name}People", env=env)
    admin = iam.Role(
        people, "Admin", role_name=f"admin-{name.lower()}", assumed_by=iam.AccountRootPrincipal()
    )
    stack = cdk.Stack(app, name, env=env)
    domain = DataDomain(stack, "Domain", domain_name=name.lower(), administrators=[admin])
    return stack, domain


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    """Findings by the example's construct path, of the stack without (``Broken``) and with
    (``Mixed``) the mixin applied to each store as the fix writes it."""
    outdir = tmp_path_factory.mktemp("mixin-fixes")
    app = cdk.App(outdir=str(outdir), context=cdk_context())
    broken, domain = _domain(app, "Broken")
    _stores(broken, domain)
    mixed, domain = _domain(app, "Mixed")
    for store in _stores(mixed, domain):
        cdk.Mixins.of(store).apply(domain.encryption_at_rest(replace_keys=True))
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth; the audit reads cdk.out
        if "ValidationFailed" not in str(error):
            raise
    (found,) = organization.audit_members(organization.load_members([outdir])).values()
    by_path: dict[str, list[Finding]] = {}
    for finding in found:
        by_path.setdefault(finding.path, []).append(finding)
    return by_path


CASES = [
    pytest.param(i, cfn_type, id=f"{i}-{cfn_type}") for i, (cfn_type, _) in enumerate(EXAMPLES)
]


@pytest.mark.parametrize(("i", "cfn_type"), CASES)
def test_the_mixin_fix_as_written_passes(
    findings: dict[str, list[Finding]], i: int, cfn_type: str
) -> None:
    before = [f for f in findings.get(f"Broken/V{i}/Store", []) if f.rule in STORE_RULES]
    after = [f for f in findings.get(f"Mixed/V{i}/Store", []) if f.rule in STORE_RULES]
    if not before:
        assert EXAMPLES[i][1] is None, f"a violating example drew no store finding: {cfn_type}"
        pytest.skip("no properties: nothing to fix (its key slots are in objects not given)")
    assert all(MIXIN_FIX in f.fix for f in before), [f.fix for f in before]
    # each example is an L1 written directly: the switch, which applies to it as written, comes
    # first (an L2's props came first before, a fix that does not apply to an L1)
    assert all(f.fix.startswith("apply the domain's one switch") for f in before), [
        f.fix for f in before
    ]
    assert after == [], [(f.rule, f.message) for f in after]


def test_the_mixin_is_not_offered_where_it_would_not_fix() -> None:
    """A read replica's key is inherited from its source: the mixin notes it and leaves it, so
    the finding must not offer it."""
    replica = audit_store_fix("AWS::RDS::DBInstance", {"SourceDBInstanceIdentifier": "db-1"})
    plain = audit_store_fix("AWS::RDS::DBInstance", {})
    assert MIXIN_FIX in plain and MIXIN_FIX not in replica


def audit_store_fix(cfn_type: str, props: dict[str, Any]) -> str:
    return with_mixin("the type's own fix", cfn_type, props)


def test_a_raw_bucket_gets_its_put_policy_unless_it_has_one() -> None:
    """A bucket that is a ``cdk.CfnResource`` (not ``s3.CfnBucket``) cannot be viewed as an L2:
    the mixin writes its put-deny policy next to it; a bucket policy already there is not
    replaced (one per bucket) but named in a warning, and CDKP008 stays."""
    app = cdk.App(context=cdk_context())
    stack, domain = _domain(app, "Raw")
    cdk.CfnResource(stack, "Alone", type="AWS::S3::Bucket")
    held = cdk.CfnResource(stack, "Held", type="AWS::S3::Bucket")
    cdk.CfnResource(
        stack,
        "HeldPolicy",
        type="AWS::S3::BucketPolicy",
        properties={"Bucket": held.ref, "PolicyDocument": {"Statement": []}},
    )
    cdk.Mixins.of(stack).apply(domain.encryption_at_rest())
    exempt(held, "CDKP008", "its own bucket policy gets the put-deny statements by hand")
    template = stack.resolve(app.synth().get_stack_by_name(stack.stack_name).template)
    policies = {
        logical_id: r
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::S3::BucketPolicy"
    }
    assert len(policies) == 2
    (added,) = (
        r for r in policies.values() if r["Metadata"]["aws:cdk:path"] == "Raw/AlonePutPolicy"
    )
    assert [s.get("Sid") for s in added["Properties"]["PolicyDocument"]["Statement"]] == [
        "DenyOtherEncryption",
        "DenyOtherKeys",
        "DenyManagedKeyFallback",
    ]
    warnings = [str(m.data) for m in held.node.metadata if m.type == "aws:cdk:warning"]
    assert any("Raw/HeldPolicy is the bucket policy of Raw/Held" in w for w in warnings)

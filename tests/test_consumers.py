"""The wiring shows who reads a store (issue #19, "derive from the wiring"): a Lambda event source
mapping on a domain queue, stream or table stream makes Lambda read it with the function's
execution role, whatever grants the role that read. With the AWS managed
``AWSLambdaSQSQueueExecutionRole`` (not in the template) the check was silent while the key
refuses the role (found by an attack); now the mapping is CDKP019 with the fix
``domain.grant_read(role)``, which applied as written clears it, decided again by the IAM
simulator. A mapping whose function cannot be followed is CDKP020; a store exempted off the
domain key (SSE-SQS by design) no longer draws a false CDKP019 for its users.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from test_integrations import ENV, _synth, verdicts_the_simulator_disagrees_with

from cdk_partition import DomainStack, exempt

_MANAGED = ("service-role/AWSLambdaSQSQueueExecutionRole", "service-role/AWSLambdaKinesisExecutionRole",
            "service-role/AWSLambdaDynamoDBExecutionRole")  # fmt: skip


def _function(orders: DomainStack) -> lambda_.Function:
    role = iam.Role(orders, "FnRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                    managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(m)
                                      for m in _MANAGED])  # fmt: skip
    return lambda_.Function(orders, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, role=role,
                            handler="index.handler", code=lambda_.Code.from_inline("x = 1"))  # fmt: skip


def _queue(orders: DomainStack) -> None:
    lambda_.EventSourceMapping(orders, "Esm", target=_function(orders),
                               event_source_arn=orders.domain.queue("Jobs").queue_arn)  # fmt: skip


def _stream(orders: DomainStack) -> None:
    stream = orders.domain.stream("Clicks", shard_count=1)
    lambda_.EventSourceMapping(orders, "Esm", target=_function(orders),
                               event_source_arn=stream.stream_arn,
                               starting_position=lambda_.StartingPosition.LATEST)  # fmt: skip


def _table_stream(orders: DomainStack) -> None:
    table = dynamodb.Table(orders, "Items", encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=orders.domain.key, stream=dynamodb.StreamViewType.NEW_IMAGE,
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING))  # fmt: skip
    assert table.table_stream_arn is not None
    lambda_.EventSourceMapping(orders, "Esm", target=_function(orders),
                               event_source_arn=table.table_stream_arn,
                               starting_position=lambda_.StartingPosition.LATEST)  # fmt: skip


def _l1_by_alias(orders: DomainStack) -> None:
    alias = lambda_.Alias(orders, "Live", alias_name="live",
                          version=_function(orders).current_version)  # fmt: skip
    lambda_.CfnEventSourceMapping(orders, "Esm", function_name=alias.function_arn,
                                  event_source_arn=orders.domain.queue("Jobs").queue_arn)  # fmt: skip


CASES: dict[str, Callable[[DomainStack], None]] = {
    "sqs": _queue,
    "kinesis": _stream,
    "dynamodb-stream": _table_stream,
    "l1-through-an-alias": _l1_by_alias,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mapping_whose_role_the_key_refuses_is_cdkp019_and_the_fix_passes(
    tmp_path: Path, case: str
) -> None:
    build = CASES[case]
    before = [f for f in _synth(tmp_path / "before", build) if f.rule in ("CDKP019", "CDKP020")]
    assert [(f.rule, f.path, f.location) for f in before] == [
        ("CDKP019", "Orders/Esm/Resource" if case != "l1-through-an-alias" else "Orders/Esm",
         "EventSourceArn")
    ], [f.message for f in before]  # fmt: skip
    assert "Orders/FnRole" in before[0].message and "kms:Decrypt" in before[0].message
    assert "`domain.grant_read(Orders/FnRole)`" in (before[0].fix or ""), before[0].fix

    def fixed(orders: DomainStack) -> None:
        build(orders)
        orders.domain.grant_read(orders.node.find_child("FnRole"))  # the fix, as written

    after = [f for f in _synth(tmp_path / "after", fixed) if f.rule in ("CDKP019", "CDKP020")]
    assert after == [], [f.message for f in after]
    for side in ("before", "after"):
        compared, wrong = verdicts_the_simulator_disagrees_with(tmp_path / side)
        assert compared and wrong == [], (side, wrong)


def test_a_role_granted_by_name_is_reported_once(tmp_path: Path) -> None:
    """The CDK's own grant (``SqsEventSource``) names the queue in the role's policy: checked
    there, the mapping adds no second finding."""
    from aws_cdk import aws_lambda_event_sources as sources

    def build(orders: DomainStack) -> None:
        _function(orders).add_event_source(sources.SqsEventSource(orders.domain.queue("Jobs")))

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP019"]
    assert [f.path for f in found] == ["Orders/FnRole/DefaultPolicy/Resource"], found


def test_a_function_that_cannot_be_followed_is_cdkp020(tmp_path: Path) -> None:
    def build(orders: DomainStack) -> None:
        lambda_.CfnEventSourceMapping(orders, "Esm", function_name="somebody-elses-function",
                                      event_source_arn=orders.domain.queue("Jobs").queue_arn)  # fmt: skip

    found = [f for f in _synth(tmp_path, build) if f.rule in ("CDKP019", "CDKP020")]
    assert [(f.rule, f.path) for f in found] == [("CDKP020", "Orders/Esm")], found
    assert "execution role" in found[0].message
    # a function outside the app: its role named in the key and the mapping exempted, as the
    # fix says (an attack found no fix that passed: CDKP020 could not be exempted)
    assert "exempt(<this resource>, 'CDKP020'" in (found[0].fix or ""), found[0].fix

    def fixed(orders: DomainStack) -> None:
        esm = lambda_.CfnEventSourceMapping(
            orders, "Esm", function_name="somebody-elses-function",
            event_source_arn=orders.domain.queue("Jobs").queue_arn)  # fmt: skip
        orders.domain.grant_read(iam.Role.from_role_arn(
            orders, "Theirs", f"arn:aws:iam::{orders.account}:role/somebody-elses-role"))  # fmt: skip
        exempt(esm, "CDKP020", "the function's role somebody-elses-role is named by grant_read")

    after = [
        f for f in _synth(tmp_path / "after", fixed) if f.severity == "error" and not f.exempted
    ]
    assert after == [], [f.message for f in after]


def test_a_store_exempted_off_the_key_draws_no_identity_finding(tmp_path: Path) -> None:
    def build(orders: DomainStack) -> None:
        public = sqs.Queue(orders, "PublicEvents", encryption=sqs.QueueEncryption.SQS_MANAGED)
        exempt(public, "CDKP002", "public events that hold no domain data, by design")
        role = iam.Role(orders, "Sender", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        public.grant_send_messages(role)

    found = [f for f in _synth(tmp_path, build) if f.severity == "error" and not f.exempted]
    assert found == [], [f.message for f in found]


def _pipe(orders: DomainStack, key: bool) -> None:
    from aws_cdk import aws_pipes as pipes

    role = iam.Role(orders, "PipeRole", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
    source, target = orders.domain.queue("In"), orders.domain.queue("Out")
    orders.domain.grant_read(role)
    orders.domain.grant_write(role)
    source.grant_consume_messages(role)
    target.grant_send_messages(role)
    pipes.CfnPipe(orders, "Pipe", role_arn=role.role_arn, source=source.queue_arn,
                  target=target.queue_arn,
                  kms_key_identifier=orders.domain.key.key_arn if key else None)  # fmt: skip


def _filter_encryption(orders: DomainStack, key: bool) -> None:
    from aws_cdk import aws_lambda_event_sources as sources

    fn = _function(orders)
    orders.domain.grant_read(fn.role)  # type: ignore[arg-type]
    fn.add_event_source(sources.SqsEventSource(
        orders.domain.queue("Jobs"),
        filters=[lambda_.FilterCriteria.filter({"body": {"kind": lambda_.FilterRule.is_equal("a")}})],
        filter_encryption=orders.domain.key if key else None))  # fmt: skip


@pytest.mark.parametrize("case", ["pipe", "filter-encryption"])
def test_a_resource_keeping_no_domain_data_on_the_key_is_cdkp028(tmp_path: Path, case: str) -> None:
    """An EventBridge pipe or a mapping's filter criteria on the domain key: nothing says what
    its service and role request of the key, so DenyEveryoneElse refuses them (silent before,
    found by an attack). The fix, applied as written (the key property left unset), passes."""
    build = {"pipe": _pipe, "filter-encryption": _filter_encryption}[case]
    before = [f for f in _synth(tmp_path / "before", lambda o: build(o, True))
              if f.severity == "error" and not f.exempted]  # fmt: skip
    assert "CDKP028" in [f.rule for f in before], [f.message for f in before]
    after = [f for f in _synth(tmp_path / "after", lambda o: build(o, False))
             if f.severity == "error" and not f.exempted]  # fmt: skip
    assert after == [], [f.message for f in after]


def test_a_consumer_stacks_pipe_on_the_domain_key_is_cdkp028(tmp_path: Path) -> None:
    """The same pipe in a stack of no domain (the key passed across stacks): checked as well
    (silent before, found by a second attack)."""
    import aws_cdk as cdk
    from aws_cdk import aws_pipes as pipes

    def build(orders: DomainStack) -> None:
        consumers = cdk.Stack(orders.node.root, "Consumers", env=ENV)
        role = iam.Role(
            consumers, "PipeRole", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com")
        )
        target = sqs.Queue(consumers, "Out")
        pipes.CfnPipe(consumers, "Pipe", role_arn=role.role_arn,
                      source=orders.domain.queue("In").queue_arn, target=target.queue_arn,
                      kms_key_identifier=orders.domain.key.key_arn)  # fmt: skip

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP028"]
    assert [(f.path, f.domain) for f in found] == [("Consumers/Pipe", "orders")], found


def test_cdkp020_is_exempted_only_where_a_resource_makes_a_role_use_a_store(
    tmp_path: Path,
) -> None:
    """An exemption of CDKP020 on an identity policy would hide every statement added to it
    later (an attack): ``exempt`` refuses it there, and the audit ignores one written by hand."""
    import pytest

    def build(orders: DomainStack) -> None:
        role = iam.Role.from_role_name(orders, "Theirs", cdk.Fn.import_value("TheirRoleName"))
        policy = iam.Policy(orders, "P", statements=[iam.PolicyStatement(
            actions=["sqs:SendMessage"], resources=[orders.domain.queue("Jobs").queue_arn])])  # fmt: skip
        policy.attach_to_role(role)
        with pytest.raises(ValueError, match="exempted only on a resource that makes a role"):
            exempt(policy, "CDKP020", "the role is named in the key by hand")
        cfn = policy.node.default_child
        assert isinstance(cfn, cdk.CfnResource)
        cfn.add_metadata("cdk_partition:exemptions", [
            {"rule": "CDKP020", "reason": "the role is named in the key by hand"}])  # fmt: skip

    found = [f for f in _synth(tmp_path, build) if f.rule == "CDKP020"]
    assert found and not any(f.exempted for f in found), found

"""Construct paths without path metadata: ``tree.json`` gives a CloudFormation resource's path by
its ``aws:cdk:cloudformation:logicalId`` attribute, which only the generated L1 classes carry; a
custom resource's ``CfnResource`` has none, so the audit computes the id the CDK allocates from
the path (aws-cdk-lib ``makeUniqueId``). Before, such a finding named ``Stack/LogicalId``, no
construct at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from conftest import cdk_context

from cdk_partition import DomainStack, audit_path
from cdk_partition.assembly.stacks import _allocated_id


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ids")
    context = {**cdk_context(), "aws:cdk:enable-path-metadata": False}
    app = cdk.App(context=context, outdir=str(path))
    people = cdk.Stack(app, "Principals")
    ops = DomainStack(app, "Ops", domain_name="ops", administrators=[iam.User(people, "admin")])
    sqs.Queue(ops.domain, "Queue-With.Odd_Chars", encryption_master_key=ops.domain.key)
    cr.AwsCustomResource(
        ops, "MakeQueue",
        on_create=cr.AwsSdkCall(service="SQS", action="createQueue", parameters={"QueueName": "x"},
                                physical_resource_id=cr.PhysicalResourceId.of("x")),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
            resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE),
        install_latest_aws_sdk=False,
    )  # fmt: skip
    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth on the custom resource
        assert "alidation" in str(error), error
    return path


def test_the_computed_id_is_the_cdks_for_every_resource_the_tree_names(out: Path) -> None:
    tree = json.loads((out / "tree.json").read_text())
    checked = 0
    todo = [(tree["tree"], "")]
    while todo:
        node, owner = todo.pop()
        path = node.get("path", "")
        if (node.get("constructInfo") or {}).get("fqn") == "aws-cdk-lib.Stack":
            owner = path
        logical_id = (node.get("attributes") or {}).get("aws:cdk:cloudformation:logicalId")
        if logical_id and owner:
            assert _allocated_id(path[len(owner) + 1 :].split("/")) == logical_id, path
            checked += 1
        todo += [(c, owner) for c in (node.get("children") or {}).values()]
    assert checked > 5


def test_a_custom_resource_finding_names_its_construct(out: Path) -> None:
    found = [f for f in audit_path(out) if f.rule == "CDKP009"]
    assert [f.path for f in found] == ["Ops/MakeQueue/Resource/Default"]

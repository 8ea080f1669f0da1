"""Organisation sample: the ``orders`` domain across accounts, Stages and regions.

* **Data account** ``111111111111`` (Stage ``Data``, us-east-1) owns the domain: a multi-Region
  key whose policy names the workload roles of two other accounts as writers and the analytics
  role of a fourth as reader, each by its exact ARN; every other principal of those accounts is
  denied. It publishes the key ARN in SSM, shared through AWS RAM with the workload accounts.
  Its replica key lives in eu-west-1 (stack ``OrdersEuWest1``) with a queue on it, and a global
  table has its eu-west-1 replica on that replica key.
* **Workload Stage** ``Checkout`` (account ``222222222222``): its queue, bucket and stream are on
  the domain key, found with ``DataDomain.from_lookup`` (the shared parameter's value cached in
  ``cdk.context.json``, as the CDK caches every lookup).
* **Workload Stage** ``Fulfilment`` (account ``333333333333``): its topic and queue are on the
  domain key, named with ``DataDomain.from_domain_attributes`` (the ARN given to the team).
* **Analytics account** ``444444444444``: the role ``analytics`` reads.

Each Stage checks itself: the workload Stages hold their stores to the exact key ARN (partition,
account, region and key id). Synthesize with
``npx cdk synth --app "python3 -m sample_app.organization"``; report with
``cdk-partition report cdk.out``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# see sample_app/app.py: the jsii runtime's end-of-life banner for Node 18/20
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_partition import DataDomain, DomainEncryptionChecks, DomainStack

DATA, CHECKOUT, FULFILMENT, ANALYTICS = (
    "111111111111",
    "222222222222",
    "333333333333",
    "444444444444",
)
HOME, REPLICA = "us-east-1", "eu-west-1"
#: The deployed key's ARN, as the data account published it (a multi-Region key id: ``mrk-``).
ORDERS_KEY_ARN = f"arn:aws:kms:{HOME}:{DATA}:key/mrk-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
#: The published parameter, shared with the workload accounts (looked up by its ARN).
ORDERS_PARAMETER_ARN = f"arn:aws:ssm:{HOME}:{DATA}:parameter/cdk-partition/domains/orders/key-arn"


def _role(account: str, name: str) -> iam.IPrincipal:
    """A role of another account, named in the key policy by its exact ARN."""
    return iam.ArnPrincipal(f"arn:aws:iam::{account}:role/{name}")


class DataStage(cdk.Stage):
    """The data account: the domain, its replica region and the publication of its key ARN."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=DATA, region=HOME), **kwargs)
        orders = DomainStack(
            self,
            "Orders",
            domain_name="orders",
            administrators=[iam.ArnPrincipal(f"arn:aws:iam::{DATA}:role/security-admin")],
            readers=[_role(ANALYTICS, "analytics")],
            writers=[_role(CHECKOUT, "checkout"), _role(FULFILMENT, "fulfilment")],
            domain_props={"replica_regions": [REPLICA]},
        )
        self.domain = orders.domain
        self.domain.publish(share_with=[CHECKOUT, FULFILMENT])
        self.domain.table_v2(
            "History",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            replicas=[dynamodb.ReplicaTableProps(region=REPLICA)],
        )
        west = cdk.Stack(self, "OrdersEuWest1", env=cdk.Environment(account=DATA, region=REPLICA))
        replica = self.domain.replica(west, "Orders")  # AWS::KMS::ReplicaKey + alias/orders
        DomainEncryptionChecks(replica).apply_to(west)
        replica.queue("Returns")


class CheckoutStage(cdk.Stage):
    """A workload account that finds the domain key through the shared SSM parameter."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=CHECKOUT, region=HOME), **kwargs)
        stack = cdk.Stack(self, "Checkout")
        iam.Role(
            stack,
            "Role",
            role_name="checkout",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
        )
        orders = DataDomain.from_lookup(
            stack, "Orders", domain_name="orders", parameter_name=ORDERS_PARAMETER_ARN
        )
        DomainEncryptionChecks(orders).apply_to(stack)
        orders.queue("Payments")
        orders.bucket("Receipts")
        orders.stream("Clicks", shard_count=1)


class FulfilmentStage(cdk.Stage):
    """A workload account given the domain key's ARN."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=FULFILMENT, region=HOME), **kwargs)
        stack = cdk.Stack(self, "Fulfilment")
        iam.Role(
            stack,
            "Role",
            role_name="fulfilment",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        orders = DataDomain.from_domain_attributes(
            stack, "Orders", domain_name="orders", key_arn=ORDERS_KEY_ARN
        )
        DomainEncryptionChecks(orders).apply_to(stack)
        orders.topic("Shipped")
        orders.queue("Picking")


def lookup_context() -> dict[str, Any]:
    """The lookups this app needs, as ``cdk.context.json`` caches them (for in-process synths;
    the CDK CLI reads the file itself)."""
    path = Path(__file__).resolve().parent.parent / "cdk.context.json"
    return json.loads(path.read_text()) if path.exists() else {}


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Build the organisation sample into ``app`` (a new ``cdk.App`` by default)."""
    app = app or cdk.App()
    DataStage(app, "Data")
    CheckoutStage(app, "Checkout")
    FulfilmentStage(app, "Fulfilment")
    return app


if __name__ == "__main__":
    build_app().synth()

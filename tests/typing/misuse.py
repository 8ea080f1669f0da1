"""The typing faults of issue #14, one per line marked ``expect-error``: mypy and pyright must
each report an error on exactly those lines (``tests/test_typing.py``). Never executed."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from cdk_partition import DataDomain, DomainStack


def misuse(app: cdk.App, domain: DataDomain, admin: iam.IPrincipal) -> None:
    domain.bucket("X", versiond=True)  # expect-error: misspelt L2 prop
    domain.queue("Q", retention_period=5)  # expect-error: wrong type (a Duration is required)
    DomainStack(app, "A", domain_name="a", administrators=[admin], envv=None)  # expect-error
    DomainStack(
        app,
        "B",
        domain_name="b",
        administrators=[admin],
        domain_props={"removal_polcy": cdk.RemovalPolicy.DESTROY},  # expect-error: unknown key
    )
    domain.queue("Q2", dead_letter_max_receive_count="5")  # expect-error: the method's own kwarg
    domain.table_v2("T", replica_key_arn={})  # expect-error: misspelt own kwarg
    domain.ebs_volume(8, iopz=3000)  # expect-error: misspelt option
    domain.delivery_stream("D")  # expect-error: destination is required by the L2
    domain.replica(app, "R", removal_polcy=cdk.RemovalPolicy.DESTROY)  # expect-error: misspelt
    DataDomain.from_lookup(app, "L", domain_name="a", parameter="/a")  # expect-error: misspelt

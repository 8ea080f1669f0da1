"""AWS managed policies, as the AWS Managed Policy Reference publishes them (``data/
aws_managed_policies.json``, JSON Schema ``data/aws_managed_policies.schema.json``): the
statements of the services whose stores the identity audit checks, for the roles, users and
groups that attach one by ARN (``iam.ManagedPolicy.from_aws_managed_policy_name(...)``). Only the
policies whose page was read whole are here; any other AWS managed policy is not followed. Pure
Python (no aws_cdk import).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["AWS_MANAGED", "aws_managed_name"]


def _load() -> Mapping[str, Mapping[str, Any]]:
    text = (
        resources.files(__package__)
        .joinpath("data", "aws_managed_policies.json")
        .read_text(encoding="utf-8")
    )
    return MappingProxyType(json.loads(text)["policies"])


#: Policy name -> ``{"url", "version", "edited", "statements"}``.
AWS_MANAGED: Mapping[str, Mapping[str, Any]] = _load()

#: An AWS managed policy's ARN: ``arn:${Partition}:iam::aws:policy/<path><name>`` (each page of the
#: AWS Managed Policy Reference gives it, ``ARN: arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess``;
#: a service role's policy under ``service-role/``).
_ARN = re.compile(r"^arn:(?:[^:$]+|\$\{AWS::Partition\}):iam::aws:policy/(?:[^*?]*/)?([^/*?]+)$")


def aws_managed_name(text: str) -> str | None:
    """The name of the AWS managed policy a canonical ARN text names, or None."""
    found = _ARN.match(text)
    return found.group(1) if found else None

"""AWS managed policies, as the AWS Managed Policy Reference publishes them (``data/
aws_managed_policies.json``, JSON Schema ``data/aws_managed_policies.schema.json``): the
statements of the services whose stores the identity audit checks, for the roles, users and
groups that attach one by ARN (``iam.ManagedPolicy.from_aws_managed_policy_name(...)``). Only the
policies whose page was read whole are here; any other AWS managed policy is not followed. Pure
Python (no aws_cdk import).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["AWS_MANAGED"]


def _load() -> Mapping[str, Mapping[str, Any]]:
    text = (
        resources.files(__package__)
        .joinpath("data", "aws_managed_policies.json")
        .read_text(encoding="utf-8")
    )
    return MappingProxyType(json.loads(text)["policies"])


#: Policy name -> ``{"url", "version", "edited", "statements"}``.
AWS_MANAGED: Mapping[str, Mapping[str, Any]] = _load()

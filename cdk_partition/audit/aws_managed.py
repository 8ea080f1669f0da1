"""The AWS managed policies the app's roles, users and groups attach by ARN, as identity policies
for the identity audit (:mod:`.identities`): a function given ``AmazonKinesisReadOnlyAccess``
reads a domain stream with the stream's KMS requests, and the key must name it like any other
reader. The documents are the AWS Managed Policy Reference's
(:data:`cdk_partition.knowledge.aws_managed_policies.AWS_MANAGED`); an AWS managed policy not
there is not followed. A grant there is on every resource (``"*"``): the audit reads it as meant
for a store only where the app wires the principal to the store
(:mod:`.wired_principals`). Pure Python over the assembly's JSON.
"""

from __future__ import annotations

from ..assembly import CloudAssembly
from ..assembly.principals import PrincipalResolver
from ..knowledge.aws_managed_policies import AWS_MANAGED
from ..policy import evaluator
from .identity_policies import _POLICY_ARN, Holder, as_list, principals_of, props_of, type_of

__all__ = ["aws_managed_holders"]

_ATTACHING = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")


def aws_managed_holders(assembly: CloudAssembly, resolver: PrincipalResolver) -> list[Holder]:
    """One holder per role, user or group of the app and AWS managed policy of the table it
    attaches (``ManagedPolicyArns``), reported at that principal's resource."""
    out: list[Holder] = []
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if type_of(resource) not in _ATTACHING:
                continue
            for entry in as_list(props_of(resource).get("ManagedPolicyArns") or []):
                # an IAM policy ARN whose account is "aws" (each page of the AWS Managed Policy
                # Reference gives it: "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"; a
                # service role's policy under service-role/)
                text = evaluator.canonicalize(entry)
                found = _POLICY_ARN.match(text) if isinstance(text, str) else None
                name = (
                    found.group(2).rsplit("/", 1)[-1] if found and found.group(1) == "aws" else ""
                )
                policy = AWS_MANAGED.get(name)
                if policy is None:
                    continue
                ids, _ = principals_of(resolver, stack, logical_id, resource)
                document = {"Version": "2012-10-17", "Statement": list(policy["statements"])}
                out.append(Holder(stack, logical_id, tuple(ids), (document,), ()))
    return out

"""Reading the identity policies of a cloud assembly: which roles and users each policy applies
to, and its statements.

Read by the pass that asks what IAM allows a principal on a domain store
(:mod:`cdk_partition.audit.identities`, CDKP019, CDKP020). A policy is one of :data:`POLICY_TYPES`:
``AWS::IAM::Role`` and ``AWS::IAM::User`` inline ``Policies``, ``AWS::IAM::Group`` (its users),
``AWS::IAM::Policy`` and ``AWS::IAM::ManagedPolicy`` attached to roles, users or groups, or
attached by ARN (``ManagedPolicyArns``), and the one-target inline policies
``AWS::IAM::RolePolicy``, ``UserPolicy`` and ``GroupPolicy``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ..assembly import CloudAssembly, StackTemplate, resource_path
from ..assembly.cycles import dependencies
from ..assembly.principals import PrincipalResolver, placeholders
from ..assembly.references import references
from ..assembly.stacks import walk
from ..policy import evaluator
from .documents import read_document

__all__ = [
    "POLICY_TYPES",
    "RESOURCE_POLICIES",
    "Holder",
    "Principal",
    "as_list",
    "documents_of",
    "glob",
    "holders",
    "later_stack_fix",
    "managed_policy_of",
    "named_anywhere",
    "naming_fix",
    "own_principals",
    "props_of",
    "readable",
    "role_arn",
    "statements_of",
    "type_of",
]


#: Resource policies of the stores the identity table knows: type -> (the properties naming the
#: stores it applies to, the property holding the document), as the CloudFormation schemas name
#: them (an S3 Vectors bucket policy names its bucket by ARN or by name; a Bedrock resource
#: policy "The ARN of the Bedrock Guardrail or Guardrail Profile resource"; a CloudTrail one "The
#: ARN of the AWS CloudTrail resource to which the policy applies", an event data store). A
#: principal a store's resource policy allows needs no identity policy for the store in its own
#: account, and the store's service still calls KMS with its credentials.
RESOURCE_POLICIES: dict[str, tuple[tuple[str, ...], str]] = {
    "AWS::SQS::QueuePolicy": (("Queues",), "PolicyDocument"),
    "AWS::SNS::TopicPolicy": (("Topics",), "PolicyDocument"),
    # one topic's or queue's policy ("AWS::SNS::TopicInlinePolicy": TopicArn, "The Amazon
    # Resource Name (ARN) of the topic to which you want to add the policy";
    # "AWS::SQS::QueueInlinePolicy": Queue, "The URL of the SQS queue")
    "AWS::SNS::TopicInlinePolicy": (("TopicArn",), "PolicyDocument"),
    "AWS::SQS::QueueInlinePolicy": (("Queue",), "PolicyDocument"),
    "AWS::S3::BucketPolicy": (("Bucket",), "PolicyDocument"),
    "AWS::SecretsManager::ResourcePolicy": (("SecretId",), "ResourcePolicy"),
    "AWS::Kinesis::ResourcePolicy": (("ResourceArn",), "ResourcePolicy"),
    "AWS::S3Vectors::VectorBucketPolicy": (("VectorBucketArn", "VectorBucketName"), "Policy"),
    "AWS::Bedrock::ResourcePolicy": (("ResourceArn",), "PolicyDocument"),
    "AWS::CloudTrail::ResourcePolicy": (("ResourceArn",), "ResourcePolicy"),
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def props_of(resource: Any) -> dict[str, Any]:
    """A resource's ``Properties`` when it is an object (a malformed one reads as empty; the
    template shape is checked by :mod:`cdk_partition.assembly.validation`)."""
    props = resource.get("Properties") if isinstance(resource, dict) else None
    return props if isinstance(props, dict) else {}


def type_of(resource: Any) -> Any:
    return resource.get("Type") if isinstance(resource, dict) else None


def glob(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$", re.IGNORECASE
    )


Principal = tuple[str, str]
"""(ARN as the key policy is evaluated with, construct path or IAM name)."""


#: a literal role or user ARN with an IAM path: (account, kind, path, name)
_PATHED = re.compile(r"^arn:[^:]+:iam::([^:]*):(role|user)(/(?:[^/]+/)+)([^/*?]+)$")


def _with_path(assembly: CloudAssembly, account: str, kind: str, name: str) -> str | None:
    """The one ARN with an IAM path the assembly writes for the role or user ``name`` of
    ``account`` (a policy names it by name only, ``Roles: ["ingest"]``, as the CDK writes an
    imported ``role/team/ingest``): its ARN is that one ("IAM identifiers", IAM User Guide: a
    role's ARN holds its path; names are unique in an account whatever the path,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html). None when the
    assembly writes none, or several (then the name alone cannot say which)."""
    known = assembly.memo.get(("pathed-principals",))
    if known is None:
        found: dict[tuple[str, str, str], set[str]] = {}
        for stack in assembly.stacks:
            for value in walk(stack.template.get("Resources")):
                match = _PATHED.match(value) if isinstance(value, str) else None
                if match:
                    found.setdefault((match[1], match[2], match[4]), set()).add(value)
        known = assembly.memo[("pathed-principals",)] = found
    arns = known.get((account, kind, name), set())  # type: ignore[union-attr]
    return next(iter(arns)) if len(arns) == 1 else None


def principals_of(
    resolver: PrincipalResolver, stack: StackTemplate, logical_id: str, resource: Mapping[str, Any]
) -> tuple[list[Principal], list[str]]:
    """(the roles/users a policy resource applies to, what cannot be followed). Groups expand to
    the users of the stack that are members."""
    kind = resource.get("Type")
    props = props_of(resource)
    if kind in ("AWS::IAM::Role", "AWS::IAM::User"):
        return own_principals(resolver, [(stack, logical_id)]), []
    if kind == "AWS::IAM::Group":
        return own_principals(resolver, _members(resolver.assembly, stack, logical_id)), []
    ids: list[tuple[StackTemplate, str]] = []
    out: list[Principal] = []
    unknown: list[str] = []
    single = _ONE_TARGET.get(str(kind))
    for key in ("Roles", "Users", "Groups"):
        if single is not None:  # RolePolicy, UserPolicy, GroupPolicy: one name
            value = props.get(single[0])
            entries = [value] if key == single[1] and value is not None else []
        else:
            entries = as_list(props.get(key) or [])
        for entry in entries:
            local = _local(resolver.assembly, stack, entry)  # a Ref, or an import of one
            if local is not None:
                ids += _members(resolver.assembly, *local) if key == "Groups" else [local]
                continue
            if isinstance(entry, str):
                named = named_anywhere(resolver.assembly, stack, key, entry)
                if named is not None:
                    ids += _members(resolver.assembly, *named) if key == "Groups" else [named]
                    continue
                if key != "Groups":  # a role or user of the account, named by the app
                    env = stack.environment
                    kind_name = "role" if key == "Roles" else "user"
                    arn = f"arn:{env.partition_text}:iam::{env.account_text}:{kind_name}/{entry}"
                    arn = _with_path(resolver.assembly, env.account_text, kind_name, entry) or arn
                    out.append((arn, arn))  # no construct of the app: the fix names its ARN
                    continue
            arn_text = _arn_of_name(entry)
            if arn_text is not None and key != "Groups":
                resolved = resolver.resolve(arn_text, stack)
                if key == "Roles" and ":user/" in resolved:
                    # a role name cut from a user's ARN (Role.from_role_arn of a user): the
                    # policy is attached to a role of that name, not to the user
                    resolved = resolved.replace(":user/", ":role/", 1)
                leftover = [resolved[a:b] for a, b in placeholders(resolved)]
                if not any(not t.startswith("${AWS::") for t in leftover):
                    origin = resolver.origins.get(resolved)
                    out.append((resolved, origin.path if origin else resolved))
                    continue
            unknown.append(f"{key[:-1].lower()} {evaluator.canonicalize(entry)!r}")
    return out + own_principals(resolver, ids), unknown


def own_principals(
    resolver: PrincipalResolver, ids: Iterable[tuple[StackTemplate, str]]
) -> list[Principal]:
    out: list[Principal] = []
    for stack, logical_id in ids:
        resource = stack.resources.get(logical_id)
        arn = resolver.token(f"${{{logical_id}.Arn}}", stack)
        if arn is not None and isinstance(resource, dict):
            path = resource_path(stack, logical_id, resource).removesuffix("/Resource")
            out.append((arn[0], path))
    return out


def _arn_of_name(entry: Any) -> str | None:
    """The canonical ARN a role or user name is cut from, for the CDK's forms of an imported
    principal's name: a role's ``Fn::Select [1, Fn::Split ["/", Fn::Select [5, Fn::Split [":",
    <ARN>]]]]``, a user's ``Fn::Select [1, Fn::Split [":user/", <ARN>]]``."""
    try:
        outer = entry["Fn::Select"]
        inner = outer[1]["Fn::Split"]
        if outer[0] in (1, "1") and inner[0] == ":user/":
            text = evaluator.canonicalize(inner[1])
            return text if isinstance(text, str) else None
        select = inner[1]["Fn::Select"]
        split = select[1]["Fn::Split"]
    except (KeyError, IndexError, TypeError):
        return None
    if outer[0] not in (1, "1") or inner[0] != "/" or select[0] not in (5, "5") or split[0] != ":":
        return None
    text = evaluator.canonicalize(split[1])
    return text if isinstance(text, str) else None


def _by_name(stack: StackTemplate, key: str, name: str) -> str | None:
    """The logical id of the role/user/group of ``stack`` whose literal name is ``name``."""
    kind, prop = {
        "Roles": ("AWS::IAM::Role", "RoleName"),
        "Users": ("AWS::IAM::User", "UserName"),
        "Groups": ("AWS::IAM::Group", "GroupName"),
    }[key]
    for logical_id, resource in stack.resources.items():
        if type_of(resource) == kind and props_of(resource).get(prop) == name:
            return logical_id
    return None


def _same_account(a: StackTemplate, b: StackTemplate) -> bool:
    """Whether two stacks may deploy to one account (an unknown account may be any)."""
    first, second = a.environment.account, b.environment.account
    return first is None or second is None or first == second


def named_anywhere(
    assembly: CloudAssembly, stack: StackTemplate, key: str, name: str
) -> tuple[StackTemplate, str] | None:
    """The role/user/group whose literal name is ``name``: of ``stack`` first, else of another
    stack of the same account (IAM names are unique per account)."""
    for where in (stack, *[s for s in assembly.stacks if s is not stack]):
        if where is stack or _same_account(where, stack):
            found = _by_name(where, key, name)
            if found is not None:
                return where, found
    return None


def _members(
    assembly: CloudAssembly, stack: StackTemplate, group: str
) -> list[tuple[StackTemplate, str]]:
    """The users of the assembly in ``group`` (of ``stack``): a user whose ``Groups`` or an
    ``AWS::IAM::UserToGroupAddition`` whose ``GroupName`` names it by ``Ref``, by an import of
    its export (a user of another stack) or by its literal ``GroupName``; the addition's users by
    ``Ref``, import or literal ``UserName``."""
    name = props_of(stack.resources.get(group)).get("GroupName")

    def names_group(where: StackTemplate, value: Any) -> bool:
        if isinstance(value, str):
            return isinstance(name, str) and value == name and _same_account(where, stack)
        target = _local(assembly, where, value)
        return target is not None and target[0] is stack and target[1] == group

    members: list[tuple[StackTemplate, str]] = []
    for where in assembly.stacks:
        for logical_id, resource in where.resources.items():
            props = props_of(resource)
            kind = type_of(resource)
            if kind == "AWS::IAM::User" and any(
                names_group(where, g) for g in as_list(props.get("Groups") or [])
            ):
                members.append((where, logical_id))
            elif kind == "AWS::IAM::UserToGroupAddition" and names_group(
                where, props.get("GroupName")
            ):
                for user in as_list(props.get("Users") or []):
                    if isinstance(user, str):
                        target = named_anywhere(assembly, where, "Users", user)
                    else:
                        target = _local(assembly, where, user)
                    if target is not None:
                        members.append(target)
    return members


def _local(
    assembly: CloudAssembly, stack: StackTemplate, value: Any
) -> tuple[StackTemplate, str] | None:
    """The resource a ``Ref`` names (in ``stack``) or an import of a ``Ref``'s export names."""
    return next(references(assembly.exports, stack, value, whole=True), None)


def documents_of(resource: Mapping[str, Any]) -> list[Any]:
    props = props_of(resource)
    if resource.get("Type") in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
        return [p.get("PolicyDocument") for p in as_list(props.get("Policies") or [])
                if isinstance(p, dict)]  # fmt: skip
    return [props.get("PolicyDocument")]


POLICY_TYPES = (
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::UserPolicy",
    "AWS::IAM::GroupPolicy",
)

#: The inline policy types that name one role, user or group (AWS CloudFormation Template
#: Reference, "AWS::IAM::RolePolicy", ``RoleName``: "The name of the role to associate the policy
#: with", and likewise ``UserName`` and ``GroupName``; the schemas cfn-lint ships say the same):
#: type -> (property, the list of ``AWS::IAM::Policy`` it stands for).
_ONE_TARGET = {
    "AWS::IAM::RolePolicy": ("RoleName", "Roles"),
    "AWS::IAM::UserPolicy": ("UserName", "Users"),
    "AWS::IAM::GroupPolicy": ("GroupName", "Groups"),
}


def statements_of(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document: an object, or the JSON text CloudFormation also takes
    for a ``Json`` property (a string, an ``Fn::Join`` or ``Fn::Sub`` of one:
    :func:`~cdk_partition.audit.documents.read_document`); none when it cannot be read (the
    callers report that: :func:`readable`)."""
    if not isinstance(document, dict) or _intrinsic(document):
        document, _ = read_document(document)
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement") or []) if isinstance(s, dict)]


def readable(document: Any) -> bool:
    """Whether a policy document that is there can be read (absent: nothing to read)."""
    return document is None or read_document(document)[1]


def _intrinsic(value: Mapping[str, Any]) -> bool:
    return len(value) == 1 and str(next(iter(value))).startswith("Fn::")


def attached_by_arn(
    assembly: CloudAssembly, resolver: PrincipalResolver
) -> dict[tuple[int, str], list[Principal]]:
    """(id of its stack, logical id) of each ``AWS::IAM::ManagedPolicy`` of the app -> the roles
    and users that attach it by ARN (``ManagedPolicyArns`` of a role, user or group: a ``Ref`` of
    it, an import of its export, or its literal name in a policy ARN of the same account); a
    group's users stand for the group. Other literal ARNs (AWS managed policies, policies of the
    account the app does not define) name no document of the assembly: not followed."""
    out: dict[tuple[int, str], list[Principal]] = {}
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            kind = type_of(resource)
            if kind not in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
                continue
            for entry in as_list(props_of(resource).get("ManagedPolicyArns") or []):
                target = managed_policy_of(assembly, stack, entry)
                if target is None:
                    continue
                ids = (
                    _members(assembly, stack, logical_id)
                    if kind == "AWS::IAM::Group"
                    else [(stack, logical_id)]
                )
                out.setdefault((id(target[0]), target[1]), []).extend(own_principals(resolver, ids))
    return out


def managed_policy_of(
    assembly: CloudAssembly, stack: StackTemplate, value: Any
) -> tuple[StackTemplate, str] | None:
    """The ``AWS::IAM::ManagedPolicy`` of the app an ARN value names: by ``Ref`` or an import,
    or by its literal ``ManagedPolicyName`` in a policy ARN of the same account
    (``ManagedPolicy.from_managed_policy_name``: ``arn:${AWS::Partition}:iam::<account>:policy/
    <name>``; IAM policy ARNs are ``arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}``,
    Service Authorization Reference, "Actions, resources, and condition keys for AWS Identity and
    Access Management (IAM)", resource type policy,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html)."""
    for where, logical_id in references(assembly.exports, stack, value):
        if type_of(where.resources.get(logical_id)) == "AWS::IAM::ManagedPolicy":
            return where, logical_id
    text = evaluator.canonicalize(value)
    found = _POLICY_ARN.match(text) if isinstance(text, str) else None
    if found is None or found.group(1) not in ("${AWS::AccountId}", stack.environment.account_text):
        return None
    name = found.group(2).rsplit("/", 1)[-1]
    for where in (stack, *[s for s in assembly.stacks if s is not stack]):
        if where is not stack and not _same_account(where, stack):
            continue
        for logical_id, resource in where.resources.items():
            if (
                type_of(resource) == "AWS::IAM::ManagedPolicy"
                and props_of(resource).get("ManagedPolicyName") == name
            ):
                return where, logical_id
    return None


_POLICY_ARN = re.compile(
    r"^arn:(?:[^:$]+|\$\{AWS::Partition\}):iam::(\$\{AWS::AccountId\}|[^:]*):policy/([^*?]+)$"
)


@dataclass(frozen=True)
class Holder:
    """One identity policy resource of the assembly: the roles and users it applies to, its
    documents, and the targets it names that cannot be followed (``unknown``)."""

    stack: StackTemplate
    logical_id: str
    principals: tuple[Principal, ...]
    documents: tuple[Any, ...]
    unknown: tuple[str, ...]


def holders(assembly: CloudAssembly) -> tuple[list[Holder], dict[str, list[Any]]]:
    """(every identity policy of the assembly with a statement, principal ARN -> all the
    documents that apply to it), once per assembly."""
    cached = assembly.memo.get(("identity-holders",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    resolver = PrincipalResolver(assembly)
    attached = attached_by_arn(assembly, resolver)
    out: list[Holder] = []
    by_principal: dict[str, list[Any]] = {}
    for stack in assembly.stacks:
        for logical_id, resource in stack.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") not in POLICY_TYPES:
                continue
            documents = documents_of(resource)
            if not any(statements_of(d) or not readable(d) for d in documents):
                continue  # nothing allowed (an unreadable document stays: the audit says so)
            ids, unknown = principals_of(resolver, stack, logical_id, resource)
            ids = ids + attached.get((id(stack), logical_id), [])
            for principal in ids:
                by_principal.setdefault(principal[0], []).extend(documents)
            out.append(Holder(stack, logical_id, tuple(ids), tuple(documents), tuple(unknown)))
    result = (out, by_principal)
    assembly.memo[("identity-holders",)] = result
    return result


def later_stack_fix(
    assembly: CloudAssembly,
    principal: Principal,
    key_stack: StackTemplate,
    then: str,
    key_id: str | None = None,
) -> str | None:
    """The fix for a role or user of the app (``principal``: its ARN and construct path) whose
    stack deploys after the domain key's stack (``key_stack``), or which depends on the key
    (``key_id``) within that stack (a function's role waiting on the mount targets of a file
    system on the key), else None. Naming it in the key policy, as the usual fix says, makes the
    key depend on the principal while the principal depends on the key: a dependency cycle.
    ``then``: the call that names it (``role`` standing for it) once it lives in a stack that
    deploys first."""
    arn, path = principal
    stack = assembly.stack_at(path)
    if stack is None:
        return None
    apart = _apart(stack, key_stack)
    if apart is not None:
        kind, prop, made = ("role", "role_name", "iam.Role.from_role_arn")
        if ":user/" in arn:
            kind, prop, made = ("user", "user_name", "iam.User.from_user_arn")
            then = then.replace("(role)", "(user)")
        env = stack.environment
        partition = env.partition_text if env.region else "<partition>"
        path_of = re.match(rf"arn:[^:]*:iam::[^:]*:{kind}(/(?:[^/]+/)*)[^/]*$", arn)
        folder = path_of.group(1) if path_of else "/"
        named = f"arn:{partition}:iam::{env.account or '<account>'}:{kind}{folder}<name>"
        placed = (
            ""
            if env.account
            else f"Give stack {stack.construct_path!r} (or its Stage) an environment, "
            "`env=cdk.Environment(account='<account>', region='<region>')`: the key policy can "
            f"name only an ARN whose account is known, and this one is decided at deploy. "
        )
        return (
            f"{path} lives in stack {stack.construct_path!r}, {apart}: the domain's stack "
            f"{key_stack.construct_path!r} cannot reference its construct. {placed}Give the "
            f"{kind} a physical name where it is created (`{prop}='<name>'`), and in the domain's "
            f"stack name it by that ARN: `{kind} = {made}(scope, id, {named!r})`, then {then}"
        )
    if stack is key_stack:
        if key_id is None or not _depends_on(stack, path, key_id):
            return None
        why = (
            f"{path} depends on the domain key within stack {stack.construct_path!r} (through "
            "the resources it waits for), so naming it in the key policy would make a dependency "
            "cycle"
        )
    elif assembly.deploys_after(stack, key_stack):
        why = (
            f"{path} lives in stack {stack.construct_path!r}, which deploys after the domain's "
            f"stack {key_stack.construct_path!r}, so naming it in the key policy would make a "
            "dependency cycle"
        )
    else:
        return None
    kind, imported = ("role", "iam.Role.from_role_arn(stack, id, role.role_arn)")
    if ":user/" in arn:
        kind, imported = ("user", "iam.User.from_user_arn(stack, id, user.user_arn)")
        then = then.replace("(role)", "(user)")
    return (
        f"{why}: create the {kind} in a stack that deploys before the domain's (a principals "
        f"stack that references no domain resource), use it in {stack.construct_path!r} "
        f"imported there (`{imported}`, given where the {kind} was: the policies the CDK adds "
        f"to it stay in that stack), then {then}"
    )


def _apart(stack: StackTemplate, key_stack: StackTemplate) -> str | None:
    """Why a construct of ``stack`` cannot be referenced from ``key_stack`` (the CDK refuses a
    reference across Stages, and across environments to a resource without a physical name),
    or None: another cloud assembly (a Stage), another account, another region."""
    if PurePath(stack.file).parent != PurePath(key_stack.file).parent:
        return "in another Stage than the domain's"
    mine, theirs = stack.environment, key_stack.environment
    if mine.account and theirs.account and mine.account != theirs.account:
        return f"in account {mine.account}, not the domain's {theirs.account}"
    if mine.region and theirs.region and mine.region != theirs.region:
        return f"in region {mine.region}, not the domain's {theirs.region}"
    return None


def _depends_on(stack: StackTemplate, path: str, key_id: str) -> bool:
    """Whether the role or user at ``path`` in ``stack`` depends on ``key_id`` there (its
    ``DependsOn``, ``Ref`` / ``Fn::GetAtt`` / ``Fn::Sub``, followed through other resources:
    :func:`cdk_partition.assembly.cycles.dependencies`); a principal of a nested stack through
    its ``AWS::CloudFormation::Stack`` resource (the parameters the parent gives it)."""
    start = _holder(stack, path)
    if start is None:
        return False
    graph = dependencies(stack.template)
    seen, todo = {start}, [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target == key_id:
                return True
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def _holder(stack: StackTemplate, path: str) -> str | None:
    """The logical id in ``stack`` of the role or user at ``path``, or of the nested stack
    resource whose template (at any depth) holds it."""
    for logical_id, resource in stack.resources.items():
        if (
            type_of(resource) in ("AWS::IAM::Role", "AWS::IAM::User")
            and resource_path(stack, logical_id, resource).removesuffix("/Resource") == path
        ):
            return logical_id
    for logical_id, child in stack.nested.items():
        if _holder(child, path) is not None:
            return logical_id
    return None


def naming_fix(principal: Principal, capabilities: list[str], domain: str, where: str) -> str:
    """The fix of a CDKP019 finding, for what the app wrote (``where``: the grant to remove
    instead): a principal of the app by its construct, a role or user outside it by its ARN, an
    account by its roles and users (a domain key never delegates to an account)."""
    arn, path = principal
    if arn.endswith(":root"):
        role = "iam.Role.from_role_arn(scope, id, '<role ARN>')"
        calls = " and ".join(f"`domain.grant_{c}({role})`" for c in capabilities)
        return (
            f"a domain key names roles and users, never an account ({arn}): in {where}, replace "
            "the account with the roles or users of that account that use the store "
            "(`iam.ArnPrincipal('<role ARN>')`), and name each in the key policy of domain "
            f"{domain!r}: {calls}; or remove {where}. The key policy is not widened automatically"
        )
    if path == arn:  # no construct of the app
        who = f"iam.Role.from_role_arn(scope, id, {arn!r})"
        if ":user/" in arn:
            who = f"iam.User.from_user_arn(scope, id, {arn!r})"
        calls = " and ".join(f"`domain.grant_{c}({who})`" for c in capabilities)
        return (
            f"name the principal in the key policy of domain {domain!r}: {calls} on the domain "
            f"(its whole ARN, with the IAM path it has, if any; or remove {where}); the key "
            "policy is not widened automatically"
        )
    calls = " and ".join(f"`domain.grant_{c}({path})`" for c in capabilities)
    return (
        f"name the principal in the key policy of domain {domain!r}: {calls} on the domain, "
        f"with the construct of that path (or remove {where}); the key policy is not widened "
        "automatically"
    )


def role_arn(
    resolver: PrincipalResolver, stack: StackTemplate, value: Any
) -> tuple[str, str] | None:
    """(ARN, construct path or ARN) of the selection's role, None when it cannot be resolved."""
    text = evaluator.canonicalize(value)
    if not isinstance(text, str):
        return None
    resolved = resolver.resolve(text, stack)
    if any(not resolved[a:b].startswith("${AWS::") for a, b in placeholders(resolved)):
        return None
    origin = resolver.origins.get(resolved)
    return resolved, origin.path if origin else resolved

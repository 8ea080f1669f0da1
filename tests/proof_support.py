"""Shared code of the proof tests (``test_proof_*.py``): the cloud assembly as CloudFormation sees
it, and a deploy of it on moto with a read-back of every store's encryption key.

The read-back is one function, :func:`deploy_and_check`, used both on the real sample app (which
must come back clean) and on deliberately broken copies (which must not), so the checker itself is
proven able to fail.

What moto (5.2.x) does not model is declared in :data:`NOT_MODELLED`, each entry verified by trying
(see ``tests/test_proof_moto.py``'s module docstring for the list). A store type that is neither
read back nor declared there is reported as a failure, so coverage cannot silently rot when the
sample app grows a new kind of store.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"
#: Metadata key the library puts on a domain key (value: the domain name).
DOMAIN_METADATA = "cdk_partition:domain"

Template = dict[str, Any]


# --------------------------------------------------------------------------------------------
# The cloud assembly
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackArtifact:
    """One ``aws:cloudformation:stack`` artifact of ``manifest.json``."""

    artifact_id: str
    stack_name: str
    template_file: str
    dependencies: tuple[str, ...]


def stack_artifacts(assembly: Path) -> list[StackArtifact]:
    """The assembly's stacks in dependency order (a stack after every stack it depends on).

    Dependencies on non-stack artifacts (asset manifests) are dropped. Raises on a cycle.
    """
    manifest = json.loads((assembly / "manifest.json").read_text())
    stacks: dict[str, StackArtifact] = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        props = artifact.get("properties", {})
        stacks[artifact_id] = StackArtifact(
            artifact_id=artifact_id,
            stack_name=props.get("stackName", artifact_id),
            template_file=props["templateFile"],
            dependencies=tuple(artifact.get("dependencies", [])),
        )
    ordered: list[StackArtifact] = []
    state: dict[str, str] = {}

    def visit(artifact_id: str) -> None:
        if state.get(artifact_id) == "done":
            return
        if state.get(artifact_id) == "visiting":
            raise ValueError(f"dependency cycle through stack {artifact_id!r}")
        state[artifact_id] = "visiting"
        for dep in stacks[artifact_id].dependencies:
            if dep in stacks:
                visit(dep)
        state[artifact_id] = "done"
        ordered.append(stacks[artifact_id])

    for artifact_id in sorted(stacks):
        visit(artifact_id)
    return ordered


def template_files(assembly: Path) -> list[Path]:
    """Every template of the assembly, top-level and nested (``*.nested.template.json``)."""
    return sorted(assembly.glob("*.template.json"))


def resources_of(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, resource) of a template."""
    yield from template.get("Resources", {}).items()


# --------------------------------------------------------------------------------------------
# Stores and how moto reports their key
# --------------------------------------------------------------------------------------------

#: Resource types that are not data stores even when they mention a KMS key, and why.
NOT_STORES: dict[str, str] = {
    "AWS::KMS::Key": "the domain key itself (its policy is compared separately)",
    "AWS::KMS::Alias": "names the key; checked through kms:ListAliases",
    "AWS::IAM::Policy": "identity policy (e.g. an L2 grant); the key policy ignores it by design",
    "AWS::IAM::ManagedPolicy": "identity policy; the key policy ignores it by design",
    "AWS::IAM::Role": "principal, not a store",
    "AWS::IAM::User": "principal, not a store",
    "AWS::CloudFormation::Stack": "nested stack; its own template is checked",
    "AWS::S3::BucketPolicy": "resource policy naming the key it requires; the bucket is the store",
    "AWS::SQS::QueuePolicy": "resource policy; the queue is the store",
    "AWS::SNS::TopicPolicy": "resource policy; the topic is the store",
}

#: Store types moto does not let us read the key back for, and precisely why (verified by trying
#: with moto 5.2.5: the stack deploys, the service API is called, and the key is absent). If moto
#: starts returning the key, :func:`deploy_and_check` reports it so the entry gets promoted to a
#: real read-back.
NOT_MODELLED: dict[str, str] = {
    "AWS::DynamoDB::Table": (
        "moto's CloudFormation passes SSESpecification verbatim (SSEEnabled), but DescribeTable "
        "only reports SSEDescription when the API-shaped 'Enabled' is true: SSEDescription is absent"
    ),
    "AWS::DynamoDB::GlobalTable": "no moto CloudFormation support: the resource is not created",
    "AWS::Kinesis::Stream": (
        "moto's CloudFormation ignores StreamEncryption: DescribeStream reports EncryptionType NONE"
    ),
    "AWS::Logs::LogGroup": (
        "moto's CloudFormation passes 'KmsKeyId' but its LogGroup reads 'kmsKeyId': "
        "DescribeLogGroups has no kmsKeyId"
    ),
    "AWS::SecretsManager::Secret": "no moto CloudFormation support: the secret is not created",
    "AWS::Events::EventBus": (
        "moto's CloudFormation ignores KmsKeyIdentifier: DescribeEventBus has no KmsKeyIdentifier"
    ),
    "AWS::ECR::Repository": (
        "moto's CloudFormation stores EncryptionConfiguration with CloudFormation's key casing, "
        "which DescribeRepositories drops: encryptionConfiguration is {}"
    ),
    "AWS::Backup::BackupVault": "no moto CloudFormation support: the vault is not created",
    "AWS::EC2::Volume": (
        "moto's CloudFormation ignores Encrypted/KmsKeyId: DescribeVolumes reports Encrypted false"
    ),
    "AWS::KinesisFirehose::DeliveryStream": (
        "no moto CloudFormation support: the delivery stream is not created"
    ),
}

#: Property names that mark a resource as encrypted with a key (used to spot new store kinds).
_ENCRYPTION_PROPERTY = re.compile(r"kms|encrypt|sse", re.IGNORECASE)


@dataclass(frozen=True)
class Deployed:
    """A store as deployed: its template data and what CloudFormation (moto) made of it."""

    stack_name: str
    logical_id: str
    type: str
    properties: dict[str, Any]
    physical_id: str


Clients = Callable[[str], Any]  # service name -> boto3 client
#: A read-back: the key identifier the service API reports for the store, or None if it reports
#: none (unencrypted, or encrypted with something that is not a KMS key: said in the string).
ReadBack = Callable[[Clients, Deployed], str | None]


def _s3(clients: Clients, store: Deployed) -> str | None:
    s3 = clients("s3")
    try:
        rules = s3.get_bucket_encryption(Bucket=store.physical_id)[
            "ServerSideEncryptionConfiguration"
        ]["Rules"]
    except ClientError as e:
        return f"<no bucket encryption: {e.response['Error']['Code']}>"
    default = rules[0]["ApplyServerSideEncryptionByDefault"]
    if default["SSEAlgorithm"] not in ("aws:kms", "aws:kms:dsse"):
        return f"<SSEAlgorithm {default['SSEAlgorithm']}>"
    return default.get("KMSMasterKeyID")


def _sqs(clients: Clients, store: Deployed) -> str | None:
    attributes = clients("sqs").get_queue_attributes(
        QueueUrl=store.physical_id, AttributeNames=["All"]
    )["Attributes"]
    return attributes.get("KmsMasterKeyId")


def _sns(clients: Clients, store: Deployed) -> str | None:
    return (
        clients("sns")
        .get_topic_attributes(TopicArn=store.physical_id)["Attributes"]
        .get("KmsMasterKeyId")
    )


def _efs(clients: Clients, store: Deployed) -> str | None:
    (fs,) = clients("efs").describe_file_systems(FileSystemId=store.physical_id)["FileSystems"]
    return fs.get("KmsKeyId") if fs.get("Encrypted") else "<Encrypted false>"


def _rds(clients: Clients, store: Deployed) -> str | None:
    (db,) = clients("rds").describe_db_instances(DBInstanceIdentifier=store.physical_id)[
        "DBInstances"
    ]
    return db.get("KmsKeyId") if db.get("StorageEncrypted") else "<StorageEncrypted false>"


def _dynamodb(clients: Clients, store: Deployed) -> str | None:
    table = clients("dynamodb").describe_table(TableName=store.physical_id)["Table"]
    return table.get("SSEDescription", {}).get("KMSMasterKeyArn")


def _kinesis(clients: Clients, store: Deployed) -> str | None:
    stream = clients("kinesis").describe_stream(StreamName=store.physical_id)["StreamDescription"]
    return stream.get("KeyId")


def _logs(clients: Clients, store: Deployed) -> str | None:
    groups = clients("logs").describe_log_groups(logGroupNamePrefix=store.physical_id)["logGroups"]
    return next((g.get("kmsKeyId") for g in groups if g["logGroupName"] == store.physical_id), None)


def _events(clients: Clients, store: Deployed) -> str | None:
    name = store.properties.get("Name") or store.physical_id
    return clients("events").describe_event_bus(Name=name).get("KmsKeyIdentifier")


def _ecr(clients: Clients, store: Deployed) -> str | None:
    (repo,) = clients("ecr").describe_repositories(repositoryNames=[store.physical_id])[
        "repositories"
    ]
    return repo.get("encryptionConfiguration", {}).get("kmsKey")


def _ebs(clients: Clients, store: Deployed) -> str | None:
    (volume,) = clients("ec2").describe_volumes(VolumeIds=[store.physical_id])["Volumes"]
    return volume.get("KmsKeyId")


def _launch_template(clients: Clients, store: Deployed) -> str | None:
    (version,) = clients("ec2").describe_launch_template_versions(
        LaunchTemplateId=store.physical_id, Versions=["$Latest"]
    )["LaunchTemplateVersions"]
    keys = {
        (m.get("Ebs") or {}).get("KmsKeyId") if (m.get("Ebs") or {}).get("Encrypted") else None
        for m in version["LaunchTemplateData"].get("BlockDeviceMappings", [])
    }
    if len(keys) != 1:
        return f"<block devices on {sorted(map(str, keys))}>"
    return keys.pop()


#: Store type -> read-back through the service API. Types also in NOT_MODELLED are probes: they
#: are expected to return None on moto (a value means moto learnt it: promote the type).
READBACKS: dict[str, ReadBack] = {
    "AWS::S3::Bucket": _s3,
    "AWS::SQS::Queue": _sqs,
    "AWS::SNS::Topic": _sns,
    "AWS::EFS::FileSystem": _efs,
    "AWS::RDS::DBInstance": _rds,
    "AWS::EC2::LaunchTemplate": _launch_template,
    # probes of documented gaps
    "AWS::DynamoDB::Table": _dynamodb,
    "AWS::Kinesis::Stream": _kinesis,
    "AWS::Logs::LogGroup": _logs,
    "AWS::Events::EventBus": _events,
    "AWS::ECR::Repository": _ecr,
    "AWS::EC2::Volume": _ebs,
}


def _mentions_encryption(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            _ENCRYPTION_PROPERTY.search(k) or _mentions_encryption(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_mentions_encryption(v) for v in value)
    return False


def is_store(resource: dict[str, Any]) -> bool:
    """A data store: a type we read back or document, or any other non-excluded resource whose
    properties carry an encryption setting (a new kind of store the proof does not know yet)."""
    rtype = resource["Type"]
    if rtype in NOT_STORES:
        return False
    if rtype in READBACKS or rtype in NOT_MODELLED:
        return True
    return _mentions_encryption(resource.get("Properties", {}))


# --------------------------------------------------------------------------------------------
# Intrinsics of the key policy
# --------------------------------------------------------------------------------------------

_PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
}


def resolve(value: Any, exports: Mapping[str, str], arns: Mapping[str, str] | None = None) -> Any:
    """Resolve the intrinsics a key policy uses (``Fn::ImportValue``, ``Fn::Sub`` of pseudo
    parameters, ``Fn::Join``, ``Ref`` of a pseudo parameter, ``Fn::GetAtt [X, Arn]`` of a role
    the stack created: ``arns``) against moto's exports/account.

    Anything else raises, so an unresolved intrinsic never compares equal by accident.
    """
    arns = arns or {}
    if isinstance(value, list):
        return [resolve(v, exports, arns) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::ImportValue":
            return exports[resolve(arg, exports, arns)]
        if fn == "Fn::GetAtt" and isinstance(arg, list) and arg[1:] == ["Arn"] and arg[0] in arns:
            return arns[arg[0]]
        if fn == "Ref" and arg in _PSEUDO:
            return _PSEUDO[arg]
        if fn == "Fn::Join":
            sep, parts = arg
            return sep.join(resolve(parts, exports, arns))
        if fn == "Fn::Sub" and isinstance(arg, str):

            def sub(match: re.Match[str]) -> str:
                if match.group(1) not in _PSEUDO:
                    raise ValueError(f"cannot resolve ${{{match.group(1)}}} in {arg!r}")
                return _PSEUDO[match.group(1)]

            return re.sub(r"\$\{([^}!]+)\}", sub, arg)
        if fn.startswith("Fn::") or fn == "Ref":
            raise ValueError(f"unsupported intrinsic in a key policy: {value!r}")
    return {k: resolve(v, exports, arns) for k, v in value.items()}


# --------------------------------------------------------------------------------------------
# Deploy on moto and check
# --------------------------------------------------------------------------------------------


def deployable_copy(template: Template, stack_name: str) -> Template:
    """A copy of ``template`` that moto deploys like CloudFormation would. Changes (and why):

    * ``AWS::ECR::Repository`` without ``RepositoryName``: CloudFormation generates a lowercase
      name; moto generates ``<Stack>-<LogicalId>-<suffix>`` with capitals and then rejects it with
      InvalidParameterException. The copy names it ``<stack>-<logicalid>`` in lowercase.
    * ``Custom::S3BucketNotifications``: dropped (moto runs Lambda-backed custom resources in
      Docker); notification wiring is not an encryption setting.
    * IAM policy statements whose ``Resource`` names a resource moto does not create at all (a
      secret: "no moto CloudFormation support" in :data:`NOT_MODELLED`): dropped, since moto
      resolves the reference to nothing and refuses the policy ("Policy statement must contain
      resources"). Identity policies are not what this proof reads.

    The ``BootstrapVersion`` parameter and ``CheckBootstrapVersion`` rule stay: the bootstrap SSM
    parameter is created in moto instead (see :func:`deploy_and_check`).
    """
    out = copy.deepcopy(template)
    for logical_id, resource in resources_of(out):
        if resource["Type"] == "AWS::ECR::Repository":
            props = resource.setdefault("Properties", {})
            props.setdefault("RepositoryName", f"{stack_name}-{logical_id}".lower()[:200])
    # Lambda-backed custom resources (the CDK's bucket-notification handler): moto would run the
    # handler in Docker, which this machine does not have, and the stack would never leave
    # CREATE_IN_PROGRESS. They configure notifications, not encryption: dropped from the copy.
    dropped = {
        logical_id
        for logical_id, resource in resources_of(out)
        if resource["Type"] == "Custom::S3BucketNotifications"
    }
    for logical_id in dropped:
        del out["Resources"][logical_id]
    absent = {
        logical_id
        for logical_id, resource in resources_of(out)
        if NOT_MODELLED.get(resource["Type"], "").startswith("no moto CloudFormation support")
    }
    for _, resource in resources_of(out):
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        document = resource.get("Properties", {}).get("PolicyDocument", {})
        statements = document.get("Statement", [])
        document["Statement"] = [
            s for s in statements if not _names_any(s.get("Resource"), absent)
        ] or [{"Effect": "Allow", "Action": "none:null", "Resource": "*"}]
    for _, resource in resources_of(out):
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in dropped]
        elif depends in dropped:
            del resource["DependsOn"]
    return out


def _names_any(value: Any, logical_ids: set[str]) -> bool:
    """True when ``value`` holds a ``Ref`` / ``Fn::GetAtt`` of one of ``logical_ids``."""
    if isinstance(value, dict):
        ref = value.get("Ref")
        att = value.get("Fn::GetAtt")
        if ref in logical_ids or (isinstance(att, list) and att and att[0] in logical_ids):
            return True
        return any(_names_any(v, logical_ids) for v in value.values())
    if isinstance(value, list):
        return any(_names_any(v, logical_ids) for v in value)
    return False


def bootstrap_parameters(templates: Mapping[str, Template]) -> set[str]:
    """SSM parameter names the templates' ``AWS::SSM::Parameter::Value`` parameters read."""
    return {
        p["Default"]
        for t in templates.values()
        for p in t.get("Parameters", {}).values()
        if str(p.get("Type", "")).startswith("AWS::SSM::Parameter::Value") and "Default" in p
    }


@dataclass
class StoreReport:
    """The read-back of one store."""

    stack: str
    logical_id: str
    type: str
    status: str  # "verified" | "not-modelled"
    reported: str | None = None


@dataclass
class ProofResult:
    """What :func:`deploy_and_check` found. ``mismatches`` empty means the proof holds."""

    stack_status: dict[str, str] = field(default_factory=dict)
    stores: list[StoreReport] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    key_policies_compared: int = 0
    domain_keys: dict[str, str] = field(default_factory=dict)  # alias -> key ARN


def _key_arns(kms: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(key id -> key ARN, alias name -> key ARN) from ListKeys/ListAliases.

    Not DescribeKey: moto's DescribeKey applies every Deny statement of the key policy ignoring
    its conditions (so the domain's ``DenyEveryoneElse`` denies moto's caller), and fails with a
    TypeError on a key created by CloudFormation, whose policy moto stores as an object.
    """
    arns = {k["KeyId"]: k["KeyArn"] for k in kms.list_keys()["Keys"]}
    aliases = {
        a["AliasName"]: arns[a["TargetKeyId"]]
        for a in kms.list_aliases()["Aliases"]
        if a.get("TargetKeyId") in arns
    }
    return arns, aliases


def _normalise_key(key: str, arns: Mapping[str, str], aliases: Mapping[str, str]) -> str:
    """A key id, key ARN, alias name or alias ARN as the key's ARN (``key`` itself if unknown)."""
    if key in arns:
        return arns[key]
    if key in arns.values():
        return key
    alias = key.split(":", 5)[-1] if key.startswith("arn:") else key
    return aliases.get(alias, key)


def deploy_and_check(assembly: Path, templates: Mapping[str, Template]) -> ProofResult:
    """Create every stack of ``assembly`` (with ``templates``, keyed like ``sample_templates``) in
    dependency order on moto, then read back every store's key and every key policy.

    Must run inside ``moto.mock_aws()``. Returns the findings; raises only if a stack does not
    reach CREATE_COMPLETE.
    """
    import boto3

    session = boto3.session.Session(region_name=REGION)
    cache: dict[str, Any] = {}

    def clients(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service)
        return cache[service]

    result = ProofResult()
    cfn, kms = clients("cloudformation"), clients("kms")

    # CDK's bootstrap version check reads an SSM parameter; a bootstrapped account has it.
    for name in bootstrap_parameters(templates):
        if name.startswith("/aws/service/"):
            continue  # AWS's public parameters (latest AMI ids): moto serves them, reserved
        clients("ssm").put_parameter(Name=name, Value="30", Type="String")

    nested = [p for p in templates if p.endswith(".nested")]
    if nested:
        raise NotImplementedError(
            f"nested stacks {nested}: upload them to a moto bucket and point TemplateURL at it "
            "before deploying (the sample app had none when this was written)"
        )

    for artifact in stack_artifacts(assembly):
        name = artifact.template_file.removesuffix(".template.json")
        body = deployable_copy(templates[name], artifact.stack_name)
        cfn.create_stack(
            StackName=artifact.stack_name,
            TemplateBody=json.dumps(body),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        stack = cfn.describe_stacks(StackName=artifact.stack_name)["Stacks"][0]
        result.stack_status[artifact.stack_name] = stack["StackStatus"]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise AssertionError(
                f"{artifact.stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason')}"
            )

    exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
    key_arns, alias_arns = _key_arns(kms)

    for artifact in stack_artifacts(assembly):
        template = templates[artifact.template_file.removesuffix(".template.json")]
        physical = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for r in cfn.list_stack_resources(StackName=artifact.stack_name)[
                "StackResourceSummaries"
            ]
        }
        where = artifact.stack_name

        # The domain key: the key moto holds under alias/<domain>, which must be this stack's key.
        domain_keys = [
            (lid, r)
            for lid, r in resources_of(template)
            if r["Type"] == "AWS::KMS::Key" and DOMAIN_METADATA in r.get("Metadata", {})
        ]
        domain_key_arn: str | None = None
        for lid, key in domain_keys:
            alias = f"alias/{key['Metadata'][DOMAIN_METADATA]}"
            arn = alias_arns.get(alias)
            if arn is None:
                result.mismatches.append(f"{where}/{lid}: KMS has no {alias}")
                continue
            result.domain_keys[alias] = arn
            if arn != key_arns.get(physical.get(lid, "")):
                result.mismatches.append(
                    f"{where}/{lid}: {alias} targets {arn}, not the stack's key {physical.get(lid)}"
                )
            domain_key_arn = arn

        # Every key policy as stored equals the synthesized one, intrinsics resolved.
        for lid, key in resources_of(template):
            if key["Type"] != "AWS::KMS::Key":
                continue
            stored = kms.get_key_policy(KeyId=physical[lid], PolicyName="default")["Policy"]
            # KMS returns a JSON string; moto returns a key created by CloudFormation's policy as
            # the JSON object itself.
            stored = json.loads(stored) if isinstance(stored, str) else stored
            role_arns = {
                role_id: f"arn:aws:iam::{_PSEUDO['AWS::AccountId']}:role/{physical[role_id]}"
                for role_id, role in resources_of(template)
                if role["Type"] == "AWS::IAM::Role" and role_id in physical
            }
            expected = resolve(key["Properties"]["KeyPolicy"], exports, role_arns)
            result.key_policies_compared += 1
            if stored != expected:
                result.mismatches.append(
                    f"{where}/{lid}: stored key policy differs from the synthesized one:\n"
                    f"  stored   {json.dumps(stored, sort_keys=True)}\n"
                    f"  expected {json.dumps(expected, sort_keys=True)}"
                )

        # Every store: read the key back through its service API.
        for lid, resource in resources_of(template):
            if not is_store(resource):
                continue
            rtype = resource["Type"]
            store = Deployed(
                where, lid, rtype, resource.get("Properties", {}), physical.get(lid, "")
            )
            label = f"{where}/{lid} ({rtype})"
            if rtype not in READBACKS and rtype not in NOT_MODELLED:
                result.mismatches.append(
                    f"{label}: unknown kind of store. Add a read-back to READBACKS in "
                    "tests/proof_support.py, or, after checking moto really does not report its "
                    "key, a documented entry to NOT_MODELLED"
                )
                continue
            if len(domain_keys) != 1 or domain_key_arn is None:
                result.mismatches.append(
                    f"{label}: its stack has {len(domain_keys)} domain keys; expected exactly one"
                )
                continue
            reported = READBACKS[rtype](clients, store) if rtype in READBACKS else None
            if rtype in NOT_MODELLED:
                result.stores.append(StoreReport(where, lid, rtype, "not-modelled", reported))
                if reported is not None:
                    result.mismatches.append(
                        f"{label}: moto now reports its key ({reported}); move {rtype} from "
                        "NOT_MODELLED to a real read-back"
                    )
                continue
            result.stores.append(StoreReport(where, lid, rtype, "verified", reported))
            if reported is None or _normalise_key(reported, key_arns, alias_arns) != domain_key_arn:
                result.mismatches.append(
                    f"{label}: encrypted with {reported!r}, not the domain key {domain_key_arn}"
                )
    return result


def concrete_key_policy(
    template: Mapping[str, Any], account: str, region: str, *, role: str | None = None
) -> dict[str, Any]:
    """The one KMS key policy of ``template`` as AWS would hold it: pseudo parameters as the
    stack's environment decides them (partition ``aws``), and each role the template creates
    (``${Role.Arn}``) as ``role/<role or its logical id>``, so that ARN patterns compare."""
    from cdk_partition.policy import evaluator

    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    text = json.dumps(evaluator.canonicalize(key["Properties"]["KeyPolicy"]))
    for pseudo, value in (
        ("${AWS::AccountId}", account),
        ("${AWS::Region}", region),
        ("${AWS::Partition}", "aws"),
    ):
        text = text.replace(pseudo, value)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            arn = f"arn:aws:iam::{account}:role/{role or logical_id}"
            text = text.replace("${" + logical_id + ".Arn}", arn)
    return json.loads(text)  # type: ignore[no-any-return]

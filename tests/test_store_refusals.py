"""Store methods and grants that aws-cdk-lib, CloudFormation or SQS would refuse later answer at
construct time, naming the path, the prop and what to write (issue #19, item 5; each found by a
replay of the issue's kinds): a FIFO queue's dead-letter queue is FIFO; ``table`` with
``replication_regions`` (aws-cdk-lib raised its own error); a secret replicated where the domain
has no key; a grant to a principal of another Stage (the CDK's NoCrossStageDependency came
without a word of the library); an organization principal (the message spoke of conditions).
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from conftest import cdk_context
from test_integrations import ENV

from cdk_partition import DomainStack
from cdk_partition.constructs.encryption import ConflictingEncryptionError


def _orders(scope: cdk.App | cdk.Stage) -> DomainStack:
    people = cdk.Stack(scope, "Principals", env=ENV)
    ci = iam.User(people, "ci", user_name="ci")
    return DomainStack(scope, "Orders", domain_name="orders", administrators=[ci], env=ENV)


def test_a_fifo_queues_dead_letter_queue_is_fifo() -> None:
    orders = _orders(cdk.App(context=cdk_context()))
    orders.domain.queue("Jobs", fifo=True, dead_letter_max_receive_count=3)
    template = cdk.assertions.Template.from_stack(orders)
    queues = template.find_resources("AWS::SQS::Queue")
    assert len(queues) == 2
    assert all(q["Properties"].get("FifoQueue") is True for q in queues.values()), queues


def test_a_standard_dead_letter_queue_for_a_fifo_queue_is_refused() -> None:
    orders = _orders(cdk.App(context=cdk_context()))
    dlq = orders.domain.queue("Dlq")
    with pytest.raises(ConflictingEncryptionError, match=r"Orders/Domain/Jobs.*FIFO"):
        orders.domain.queue("Jobs", fifo=True,
                            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=3))  # fmt: skip


def test_table_with_replication_regions_points_to_table_v2() -> None:
    orders = _orders(cdk.App(context=cdk_context()))
    key = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
    with pytest.raises(ConflictingEncryptionError, match=r"Orders/Domain/Items.*table_v2"):
        orders.domain.table("Items", partition_key=key, replication_regions=["eu-central-1"])


def test_a_secret_replicated_where_the_domain_has_no_key_is_refused() -> None:
    orders = _orders(cdk.App(context=cdk_context()))
    with pytest.raises(ConflictingEncryptionError, match=r"Orders/Domain/Db.*eu-central-1"):
        orders.domain.secret(
            "Db", replica_regions=[secretsmanager.ReplicaRegion(region="eu-central-1")]
        )


def test_a_grant_to_a_principal_of_another_stage_names_the_pattern() -> None:
    app = cdk.App(context=cdk_context())
    orders = _orders(cdk.Stage(app, "Prod"))
    consumers = cdk.Stack(cdk.Stage(app, "Jobs"), "Consumers", env=ENV)
    fn = lambda_.Function(consumers, "Fn", runtime=lambda_.Runtime.PYTHON_3_12,
                          handler="index.handler", code=lambda_.Code.from_inline("x = 1"))  # fmt: skip
    with pytest.raises(ValueError, match=r"another Stage.*from_role_arn"):
        orders.domain.grant_read(fn)
    # the pattern the message gives works
    orders.domain.grant_read(
        iam.Role.from_role_arn(orders, "JobsRole", "arn:aws:iam::111122223333:role/jobs")
    )
    app.synth()


def test_an_organization_principal_is_refused_as_a_delegation() -> None:
    orders = _orders(cdk.App(context=cdk_context()))
    with pytest.raises(ValueError, match=r"every account of the organization"):
        orders.domain.grant_read(iam.OrganizationPrincipal("o-a1b2c3d4e5"))


def test_a_delivery_stream_given_the_domains_own_key_is_accepted() -> None:
    """``encryption=customer_managed_key(domain.key)`` is what the method writes: accepted (it
    was refused as a conflict); another key still is."""
    from aws_cdk import aws_kinesisfirehose as firehose
    from aws_cdk import aws_kms as kms

    orders = _orders(cdk.App(context=cdk_context()))
    bucket = orders.domain.bucket("Raw")
    own = firehose.StreamEncryption.customer_managed_key(orders.domain.key)
    orders.domain.delivery_stream("Ingest", destination=firehose.S3Bucket(bucket), encryption=own)
    other = firehose.StreamEncryption.customer_managed_key(kms.Key(orders, "Other"))
    with pytest.raises(ValueError, match="encryption"):
        orders.domain.delivery_stream(
            "Again", destination=firehose.S3Bucket(bucket), encryption=other
        )


def test_the_domains_own_settings_given_explicitly_are_accepted() -> None:
    """What the method writes itself, given explicitly, is accepted (found by an attack): a
    volume with ``encrypted=True, encryption_key=domain.key`` (aws-cdk-lib raised "encrypted must
    be true when providing an encryptionKey": the method dropped the mode and kept the key), a
    repository with ``encryption=RepositoryEncryption.KMS`` (refused as a conflict: jsii's enum
    objects are new on each access), a TableV2 with ``customer_managed_key(domain.key)``
    (refused). Another key, or the other mode, is still refused; the stores are on the domain
    key."""
    from aws_cdk import aws_ecr as ecr
    from aws_cdk import aws_kms as kms

    app = cdk.App(context=cdk_context())
    orders = _orders(app)
    domain = orders.domain
    domain.volume("V", availability_zone="eu-west-1a", size=cdk.Size.gibibytes(8),
                  encrypted=True, encryption_key=domain.key)  # fmt: skip
    domain.repository("R", encryption=ecr.RepositoryEncryption.KMS)
    key = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    domain.table_v2("T", partition_key=key,
                    encryption=dynamodb.TableEncryptionV2.customer_managed_key(domain.key))  # fmt: skip
    with pytest.raises(ConflictingEncryptionError, match="encryption"):
        domain.repository("R2", encryption=ecr.RepositoryEncryption.AES_256)
    with pytest.raises(ConflictingEncryptionError, match="encryption"):
        domain.table_v2("T2", partition_key=key, encryption=dynamodb.TableEncryptionV2
                        .customer_managed_key(kms.Key(orders, "Other")))  # fmt: skip
    template = app.synth().get_stack_by_name(orders.stack_name).template
    key_ref = {"Fn::GetAtt": [next(k for k, r in template["Resources"].items()
                                   if r["Type"] == "AWS::KMS::Key"), "Arn"]}  # fmt: skip
    by_type = {r["Type"]: r["Properties"] for r in template["Resources"].values()}
    assert by_type["AWS::EC2::Volume"]["KmsKeyId"] == key_ref
    assert by_type["AWS::ECR::Repository"]["EncryptionConfiguration"]["KmsKey"] == key_ref
    table = by_type["AWS::DynamoDB::GlobalTable"]
    assert table["Replicas"][0]["SSESpecification"]["KMSMasterKeyId"] == key_ref

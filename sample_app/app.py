"""Sample app: the article's two data domains, each in its own DomainStack.

* ``orders``: role ``appA`` reads and writes, user ``ci`` administers, user ``person1`` does all three.
* ``credit-applications``: role ``intake`` writes, role ``underwriter`` reads, user ``ci`` administers.

Together the two domains hold 15 kinds of store, every one on its domain's key: buckets (one
replicating to the other), queue (with its dead-letter queue), table, topic, stream, log group,
secret, event bus, repository, backup vault and delivery stream (orders); bucket, queue, table,
volume, file system, database instance and a launch template for an Auto Scaling group
(credit-applications). The integrations between them (S3 notifications, an SNS subscription,
EventBridge targets with a dead-letter queue, a CloudWatch alarm notifying the topic, a secret
rotated by a function of the app, Firehose delivery, replication, Auto Scaling) are wired the CDK's
own way. The orders domain makes its stores with the domain's store methods; credit-applications
makes plain CDK constructs and applies the domain as a CDK Mixin (``domain.encryption_at_rest()``)
once.

Run through ``cdk.json``: ``npx cdk synth``.
"""

from __future__ import annotations

import os

# The jsii runtime prints a banner on end-of-life Node versions (20 here); the value lists the
# major versions to keep quiet about. Node 22/24 are supported and print nothing.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from constructs import Construct

from cdk_partition import DomainStack


class PrincipalsStack(cdk.Stack):
    """The people and applications of both domains."""

    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        self.app_a = iam.Role(
            self,
            "appA",
            role_name="appA",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
        )
        self.ci = iam.User(self, "ci", user_name="ci")
        self.person1 = iam.User(self, "person1", user_name="person1")
        self.intake = iam.Role(
            self,
            "intake",
            role_name="intake",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        self.underwriter = iam.Role(
            self,
            "underwriter",
            role_name="underwriter",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Build the sample app into ``app`` (a new ``cdk.App`` by default) and return it."""
    app = app or cdk.App()
    people = PrincipalsStack(app, "Principals")

    orders = DomainStack(
        app,
        "Orders",
        domain_name="orders",
        administrators=[people.ci, people.person1],
        readers=[people.app_a, people.person1],
        writers=[people.app_a, people.person1],
        description="Data domain 'orders'",
    )
    d = orders.domain
    # replicated within the domain: the replication role the CDK creates is named in the key
    # policy through S3 only (its service contract)
    replica = d.bucket("DocumentsReplica", versioned=True)
    documents = d.bucket(
        "Documents",
        versioned=True,
        replication_rules=[
            cdk.aws_s3.ReplicationRule(
                destination=replica, kms_key=d.key, sse_kms_encrypted_objects=True, priority=1
            )
        ],
    )
    events_queue = d.queue("Events", dead_letter_max_receive_count=5)
    d.table(
        "Orders",
        partition_key={"name": "pk", "type": cdk.aws_dynamodb.AttributeType.STRING},
        billing_mode=cdk.aws_dynamodb.BillingMode.PAY_PER_REQUEST,
    )
    order_placed = d.topic("OrderPlaced")
    d.stream("Clicks", shard_count=1)
    d.log_group("AuditLog", log_group_name="/orders/audit")
    payment_key = d.secret("PaymentApiKey")
    d.event_bus("OrderEvents")
    d.repository("Images")
    d.backup_vault("Vault")
    d.delivery_stream(
        "Archive",
        destination=cdk.aws_kinesisfirehose.S3Bucket(
            documents,
            data_output_prefix="archive/",
            logging_config=cdk.aws_kinesisfirehose.EnableLogging(
                d.log_group("ArchiveErrors", log_group_name="/orders/archive-errors")
            ),
        ),
    )
    # Integrations inside the domain, wired the CDK's own way: the domain key turns the key
    # statements they add into their service contracts (no dependency cycle, no account-wide
    # delegation). S3 notifies the events queue and the topic; the topic feeds the queue; an
    # EventBridge rule targets the topic and the queue; the documents replicate to a second bucket.
    documents.add_event_notification(
        cdk.aws_s3.EventType.OBJECT_CREATED, cdk.aws_s3_notifications.SqsDestination(events_queue)
    )
    documents.add_event_notification(
        cdk.aws_s3.EventType.OBJECT_REMOVED, cdk.aws_s3_notifications.SnsDestination(order_placed)
    )
    order_placed.add_subscription(cdk.aws_sns_subscriptions.SqsSubscription(events_queue))
    nightly = cdk.aws_events.Rule(
        orders, "Nightly", schedule=cdk.aws_events.Schedule.cron(hour="2", minute="0")
    )
    nightly.add_target(cdk.aws_events_targets.SnsTopic(order_placed))
    # the rule's undeliverable events go to a domain dead-letter queue: EventBridge writes it as
    # itself, under the same publisher statement as the target queue (its contract row)
    nightly.add_target(
        cdk.aws_events_targets.SqsQueue(
            events_queue, dead_letter_queue=d.queue("NightlyDeadLetters")
        )
    )
    # the payment key rotates with a function of the app: its role reads and writes the secret
    # through Secrets Manager, so the key policy names it (without it, CDKP019)
    rotator = cdk.aws_lambda.Function(
        orders,
        "RotatePaymentApiKey",
        runtime=cdk.aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=cdk.aws_lambda.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    payment_key.add_rotation_schedule(
        "Rotation", rotation_lambda=rotator, automatically_after=cdk.Duration.days(30)
    )
    assert rotator.role is not None
    d.grant_read(rotator.role)
    d.grant_write(rotator.role)
    # an alarm on a domain store notifies the domain topic: CloudWatch publishes as itself under
    # its publisher statement (contract row alarm_action_topic)
    stale = events_queue.metric_approximate_age_of_oldest_message().create_alarm(
        orders, "EventsStale", threshold=3600, evaluation_periods=1
    )
    stale.add_alarm_action(cdk.aws_cloudwatch_actions.SnsAction(order_placed))
    d.allow_service_publisher("cloudwatch.amazonaws.com")
    # Store-level access in one call: the store's own permission (an IAM policy of this stack,
    # attached to the imported role) plus the domain capability in the key policy.
    d.grant_store_read(documents, people.app_a)
    d.grant_store_write(events_queue, people.app_a)

    credit = DomainStack(
        app,
        "CreditApplications",
        domain_name="credit-applications",
        administrators=[people.ci],
        readers=[people.underwriter],
        writers=[people.intake],
        description="Data domain 'credit-applications'",
    )
    c = credit.domain
    # This domain's stores are plain CDK constructs; one switch at the end of the stack puts
    # them on the domain key (cdk.Mixins.of(credit).apply(c.encryption_at_rest()) below).
    applications = cdk.aws_s3.Bucket(
        credit,
        "Applications",
        bucket_key_enabled=True,
        encryption=cdk.aws_s3.BucketEncryption.S3_MANAGED,  # the mixin turns it to aws:kms
        enforce_ssl=True,
        block_public_access=cdk.aws_s3.BlockPublicAccess.BLOCK_ALL,
    )
    cdk.aws_sqs.Queue(credit, "Submissions", enforce_ssl=True)
    cdk.aws_dynamodb.Table(
        credit,
        "Decisions",
        partition_key={"name": "applicationId", "type": cdk.aws_dynamodb.AttributeType.STRING},
        billing_mode=cdk.aws_dynamodb.BillingMode.PAY_PER_REQUEST,
    )
    ec2.Volume(
        credit,
        "Scratch",
        availability_zone=f"{credit.region}a"
        if not cdk.Token.is_unresolved(credit.region)
        else "us-east-1a",
        size=cdk.Size.gibibytes(8),
    )
    # A small VPC for the stores that live in one: isolated subnets only, no NAT gateway.
    vpc = ec2.Vpc(
        credit,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    cdk.aws_efs.FileSystem(credit, "Files", vpc=vpc, vpc_subnets=isolated)
    rds.DatabaseInstance(
        credit,
        "Ledger",
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_9),
        instance_type=ec2.InstanceType("t4g.micro"),
        vpc=vpc,
        vpc_subnets=isolated,
        allocated_storage=20,
        credentials=rds.Credentials.from_generated_secret("dbadmin"),
    )
    # (a store method: auto_scaling=True names the Auto Scaling service-linked role in the key
    # policy, which no key slot of the template shows the mixin)
    # EC2 Auto Scaling launching instances whose volumes are on the domain key: the launch
    # template maps every volume on the key, the key policy names the Auto Scaling
    # service-linked role and exempts the EC2 infrastructure role (which decrypts the volumes
    # when an instance starts) from DenyEveryoneElse.
    workers = c.launch_template(
        "Workers",
        auto_scaling=True,
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        instance_type=ec2.InstanceType("t4g.micro"),
        block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=c.ebs_volume(8))],
    )
    cdk.aws_autoscaling.AutoScalingGroup(
        credit,
        "WorkerFleet",
        vpc=vpc,
        vpc_subnets=isolated,
        launch_template=workers,
        min_capacity=0,
        max_capacity=2,
    )
    # The one switch: every store above on the domain key (storage, the database's generated
    # secret, the bucket's PUT-deny policy); the domain's checks still run after it.
    cdk.Mixins.of(credit).apply(c.encryption_at_rest())
    c.grant_store_read(applications, people.underwriter)
    c.grant_store_write(applications, people.intake)
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()

"""The delivery rows (:data:`DELIVERIES`, read through :mod:`cdk_partition.knowledge.wiring`): a
service delivering into a store that AWS says needs the store's customer managed key, or where
AWS supports none; the shape of a row and how it reads the destinations a resource names. Pure
Python (no aws_cdk import)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .run_roles import roles_at

__all__ = ["DELIVERIES", "Delivery", "destinations"]


@dataclass(frozen=True)
class Delivery:
    """A service delivering into a store of ``store_type`` that AWS says needs the store's
    customer managed key, where the library has no contract row for the statement: the audit
    holds the key to let ``service`` make ``action`` at all (CDKP021), and the fix declares the
    statement with ``allow_service`` and the page."""

    source_type: str
    destination: str
    """The property naming the store (an ARN or a name), as a dotted path under ``Properties``;
    ``[]`` after a name reads each item of that list (:func:`destinations`)."""
    when: tuple[tuple[str, str], ...]
    """(property, value) pairs that must hold, read in the innermost list item of
    ``destination`` (in ``Properties`` when it has none): ``LogDestinationType`` ``s3``."""
    store_type: str
    service: str
    actions: tuple[str, ...]
    """The requests the service makes (each must be allowed in some request context)."""
    page: str
    quote: str
    scoped: bool = True
    """Whether AWS's statement scopes the service by ``aws:SourceAccount`` (the fix then does);
    False where the page's statement carries no condition."""
    source_arn: str = ""
    """The ``aws:SourceArn`` prefix the service's requests carry, as AWS documents it, with
    ``{partition}``, ``{region}``, ``{account}`` of the delivering resource's stack ("" where
    AWS documents none)."""
    source_when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    """(property, the values it may have) pairs of the delivering resource's ``Properties``
    (None: the property absent): a load balancer's ``Type``."""
    customer_key: bool = True
    """False where AWS supports no customer managed key for the delivery (only SSE-S3 into a
    bucket; no topic encrypted with one): no key policy lets it in, a domain store there is
    CDKP026, and ``service`` and ``actions`` are empty."""
    documented: bool = True
    """False where AWS documents no principal or request for the delivery into a store on a
    customer managed key (DocumentDB's and Neptune's event subscriptions): a domain store there
    is CDKP033, a warning to verify, and ``service`` and ``actions`` are empty."""
    service_account: bool = False
    """Whether the destination bucket's policy names an AWS account of the service as the writer
    (Elastic Load Balancing's, which the CDK's ``log_access_logs`` writes for every load
    balancer type): an account outside the app allowed only to put objects under ``AWSLogs/``
    there is the delivery's, not a principal of the app."""


def destinations(row: Delivery, props: Mapping[str, Any]) -> Iterator[Any]:
    """The values ``row.destination`` names in ``props`` (a resource's ``Properties``, read by
    :func:`cdk_partition.knowledge.run_roles.roles_at`), each where ``row.when`` holds in the
    innermost list item (in ``props`` when the path has none); none unless ``row.source_when``
    holds in ``props``."""
    if not all(props.get(name) in values for name, values in row.source_when):
        return
    head, marker, rest = row.destination.rpartition("[].")
    items = roles_at(props, head + "[]") if marker else [props]
    for item in items:
        if isinstance(item, Mapping) and all(item.get(k) == v for k, v in row.when):
            yield from roles_at(item, rest)


#: Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs", "Enable
#: compatibility between event sources from AWS services and encrypted topics".
_SNS_EVENT_SOURCES = (
    'Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs" '
    "(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)"
)

#: The requests of a vended-log delivery into a bucket: a data key for each object, and the
#: bucket key's decryption (domain buckets use S3 Bucket Keys). The CloudWatch Logs statement
#: names ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (among five actions); "If the S3 bucket ...
#: uses server-side encryption with AWS KMS keys (SSE-KMS) with an S3 Bucket Key, you also need
#: to add the kms:Decrypt permission" (Amazon CloudFront Developer Guide, "Configure standard
#: logging (legacy)",
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html).
_DATA_KEY = ("kms:GenerateDataKey", "kms:Decrypt")

#: "For aws:SourceArn, specify the list of ARNs of the resource that generates the logs, in the
#: form arn:aws:logs:source-region:source-account-id:*" (the page below): the prefix of what the
#: log delivery service's requests carry.
_LOGS_SOURCE = "arn:{partition}:logs:{region}:{account}:"

#: The page of the statement every vended-log row declares (the CloudWatch Logs "V1
#: permissions" statement: principal ``delivery.logs.amazonaws.com``, scoped by
#: ``aws:SourceAccount`` and ``aws:SourceArn`` ``arn:aws:logs:<region>:<account>:*``).
_VENDED_LOGS = (
    'Amazon CloudWatch Logs User Guide, "Logs sent to Amazon S3" '
    "(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html)"
)
_VENDED_LOGS_QUOTE = (
    "If the bucket has server-side encryption using a customer managed AWS KMS key, you must "
    "also add the key policy for your customer managed key"
)

_LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"

_SES_RECEIVING = (
    'Amazon SES Developer Guide, "Giving permissions to Amazon SES for email receiving" '
    "(https://docs.aws.amazon.com/ses/latest/dg/receiving-email-permissions.html)"
)

#: Deliveries AWS documents as needing the destination key's policy, without a contract row.
#: Vended logs into a bucket: the CloudWatch Logs page lists VPC flow logs, AWS Network Firewall
#: logs and Route 53 Resolver query logs among the logs "sent to Amazon S3" this way ("Enable
#: logging from AWS services",
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html),
#: and each service's own page says so too (cited per row).
DELIVERIES: tuple[Delivery, ...] = (
    # Amazon VPC User Guide, "Required key policy for use with SSE-KMS"
    # (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html): "you must
    # update the key policy for your customer managed key so that the log delivery account can
    # write to your S3 bucket". AWS CloudFormation Template Reference, "AWS::EC2::FlowLog":
    # LogDestination, LogDestinationType (cloud-watch-logs | s3 | kinesis-data-firehose).
    Delivery(
        "AWS::EC2::FlowLog", "LogDestination", (("LogDestinationType", "s3"),),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        _VENDED_LOGS, _VENDED_LOGS_QUOTE,
        source_arn=_LOGS_SOURCE,
    ),
    # Amazon Route 53 Developer Guide, "AWS resources that you can send VPC Resolver query logs
    # to" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs-choosing-target-resource.html):
    # "If you choose Server-Side Encryption with AWS KMS Keys (SSE-KMS), you must update the key
    # policy for your customer managed key so that the log delivery account can write to your
    # Amazon S3 bucket". AWS CloudFormation Template Reference,
    # "AWS::Route53Resolver::ResolverQueryLoggingConfig": DestinationArn, "The ARN of the
    # resource that you want Resolver to send query logs: an Amazon S3 bucket, a CloudWatch Logs
    # log group, or a Kinesis Data Firehose delivery stream" (the store type tells them apart).
    Delivery(
        "AWS::Route53Resolver::ResolverQueryLoggingConfig", "DestinationArn", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        _VENDED_LOGS, _VENDED_LOGS_QUOTE,
        source_arn=_LOGS_SOURCE,
    ),
    # AWS Network Firewall Developer Guide, "Logging in AWS Network Firewall with server-side
    # encryption and customer-provided keys": "If your logging destination uses server-side
    # encryption with keys that are stored in AWS Key Management Service (SSE-KMS) and you use a
    # customer managed key (KMS key), you must give Network Firewall permission to use your KMS
    # key" (its statement: delivery.logs.amazonaws.com, kms:GenerateDataKey*). AWS
    # CloudFormation Template Reference, "AWS::NetworkFirewall::LoggingConfiguration
    # LogDestinationConfig": LogDestinationType (S3 | CloudWatchLogs | KinesisDataFirehose) and
    # LogDestination, "For an Amazon S3 bucket, provide the name of the bucket, with key
    # bucketName".
    Delivery(
        "AWS::NetworkFirewall::LoggingConfiguration",
        "LoggingConfiguration.LogDestinationConfigs[].LogDestination.bucketName",
        (("LogDestinationType", "S3"),),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        _VENDED_LOGS, _VENDED_LOGS_QUOTE,
        source_arn=_LOGS_SOURCE,
    ),
    # CloudWatch Logs delivery destinations ("V2 permissions"): Amazon CloudWatch Logs User
    # Guide, "Logs sent to Amazon S3" (V2,
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html):
    # "If you choose SSE-KMS, you must use a customer managed key"; "Add the following to the key
    # policy (not to the bucket policy for your S3 bucket)" (delivery.logs.amazonaws.com, the
    # same actions, aws:SourceArn arn:aws:logs:<region>:<account>:delivery-source:*). AWS
    # CloudFormation Template Reference, "AWS::Logs::DeliveryDestination":
    # DestinationResourceArn, "The ARN of the AWS destination that this delivery destination
    # represents. That AWS destination can be a log group in CloudWatch Logs, an Amazon S3
    # bucket, or a Firehose stream."
    Delivery(
        "AWS::Logs::DeliveryDestination", "DestinationResourceArn", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'Amazon CloudWatch Logs User Guide, "Logs sent to Amazon S3" (V2) '
        "(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html)",
        "If you choose SSE-KMS, you must use a customer managed key",
        source_arn=_LOGS_SOURCE,
    ),
    # Amazon CloudFront Developer Guide, "Configure standard logging (legacy)" (above): "If the
    # S3 bucket for your standard logs uses server-side encryption with AWS KMS keys (SSE-KMS) by
    # using a customer managed key, you must add the following statement to the key policy"
    # (delivery.logs.amazonaws.com, kms:GenerateDataKey*). AWS CloudFormation Template
    # Reference, "AWS::CloudFront::Distribution Logging": Bucket, "The Amazon S3 bucket to store
    # the access logs in" (its domain name, which knowledge.store_names reads as the bucket).
    Delivery(
        "AWS::CloudFront::Distribution", "DistributionConfig.Logging.Bucket", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'Amazon CloudFront Developer Guide, "Configure standard logging (legacy)" '
        "(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html)",
        "If the S3 bucket for your standard logs uses server-side encryption with AWS KMS keys "
        "(SSE-KMS) by using a customer managed key, you must add the following statement to the "
        "key policy",
    ),
    # Amazon Managed Streaming for Apache Kafka Developer Guide, "Amazon MSK logging": "If you
    # enabled server-side encryption for your S3 bucket using AWS KMS-managed keys (SSE-KMS) with
    # a customer managed key, add the following to the key policy for your KMS key so that Amazon
    # MSK can write broker files to the bucket" (delivery.logs.amazonaws.com, kms:Encrypt,
    # kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey; no condition written,
    # the delivery service's account scope as for the other vended logs). AWS CloudFormation
    # Template Reference, "AWS::MSK::Cluster S3": Bucket, "The name of the S3 bucket that is the
    # destination for broker logs".
    Delivery(
        "AWS::MSK::Cluster", "LoggingInfo.BrokerLogs.S3.Bucket", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'Amazon Managed Streaming for Apache Kafka Developer Guide, "Amazon MSK logging" '
        "(https://docs.aws.amazon.com/msk/latest/developerguide/msk-logging.html)",
        "If you enabled server-side encryption for your S3 bucket using AWS KMS-managed keys "
        "(SSE-KMS) with a customer managed key, add the following to the key policy for your KMS "
        "key so that Amazon MSK can write broker files to the bucket",
    ),
    # Amazon S3 User Guide, "Configuring Amazon S3 Inventory": "To grant Amazon S3 permission to
    # use your AWS Key Management Service (AWS KMS) customer managed key for server-side
    # encryption, you must use a key policy" (s3.amazonaws.com, kms:GenerateDataKey). AWS
    # CloudFormation Template Reference, "AWS::S3::Bucket InventoryConfiguration": Destination,
    # "Contains information about where to publish the inventory results" (its BucketArn).
    Delivery(
        "AWS::S3::Bucket", "InventoryConfigurations[].Destination.BucketArn", (),
        "AWS::S3::Bucket", "s3.amazonaws.com", ("kms:GenerateDataKey",),
        'Amazon S3 User Guide, "Configuring Amazon S3 Inventory" '
        "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/configure-inventory.html)",
        "To grant Amazon S3 permission to use your AWS Key Management Service (AWS KMS) customer "
        "managed key for server-side encryption, you must use a key policy",
    ),
    # AWS Config Developer Guide, "Permissions for the KMS Key for the AWS Config Delivery
    # Channel": "The AWS Config service-linked role does not have permission to access the AWS
    # KMS key. So, if you set up AWS Config using a service-linked role, AWS Config will send
    # information as the AWS Config service principal instead" (config.amazonaws.com,
    # kms:Decrypt and kms:GenerateDataKey, StringEquals AWS:SourceAccount). AWS CloudFormation
    # Template Reference, "AWS::Config::DeliveryChannel": S3BucketName, "The name of the Amazon S3
    # bucket to which AWS Config delivers configuration snapshots and configuration history
    # files".
    Delivery(
        "AWS::Config::DeliveryChannel", "S3BucketName", (),
        "AWS::S3::Bucket", "config.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
        'AWS Config Developer Guide, "Permissions for the KMS Key for the AWS Config Delivery '
        'Channel" (https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html)',
        "The AWS Config service-linked role does not have permission to access the AWS KMS key.",
    ),
    # Amazon SES Developer Guide, "Giving permissions to Amazon SES for email receiving": "If
    # you're using AWS KMS to send encrypted messages to an S3 bucket with server-side encryption
    # enabled, then you need to add the policy action, "kms:Decrypt"" (ses.amazonaws.com,
    # kms:GenerateDataKey* and kms:Decrypt, StringEquals AWS:SourceAccount; the contract rows
    # ses_receipt_rule_sse_bucket and ses_receipt_rule_topic keep the same words), and "If your
    # Amazon SNS topic uses AWS KMS for server-side encryption, you have to add permissions to the
    # AWS KMS key policy" (kms:GenerateDataKey and kms:Decrypt, no condition). AWS CloudFormation
    # Template Reference, "AWS::SES::ReceiptRule S3Action" (BucketName, TopicArn) and "SNSAction"
    # (TopicArn); every other action's TopicArn is "The Amazon Resource Name (ARN) of the Amazon
    # SNS topic to notify" as well (BounceAction, LambdaAction, StopAction, WorkmailAction).
    Delivery(
        "AWS::SES::ReceiptRule", "Rule.Actions[].S3Action.BucketName", (),
        "AWS::S3::Bucket", "ses.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
        _SES_RECEIVING, "If you're using AWS KMS to send encrypted messages to an S3 bucket with "
        'server-side encryption enabled, then you need to add the policy action, "kms:Decrypt"',
    ),
    *(
        Delivery(
            "AWS::SES::ReceiptRule", f"Rule.Actions[].{action}.TopicArn", (),
            "AWS::SNS::Topic", "ses.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
            _SES_RECEIVING, "If your Amazon SNS topic uses AWS KMS for server-side encryption, you "
            "have to add permissions to the AWS KMS key policy.", scoped=False,
        )
        for action in ("SNSAction", "S3Action", "BounceAction", "LambdaAction", "StopAction",
                       "WorkmailAction")
    ),
    # an SES configuration set's event destination into a topic: "Several AWS services publish
    # events to Amazon SNS topics. To allow these event sources to work with encrypted topics,
    # you must perform the following steps ... To allow the AWS service to have the
    # kms:GenerateDataKey* and kms:Decrypt permissions, add the following statement to the KMS
    # policy" (no condition), the page's table listing "Amazon Simple Email Service" as
    # ses.amazonaws.com. AWS CloudFormation Template Reference,
    # "AWS::SES::ConfigurationSetEventDestination SnsDestination": TopicARN, "The ARN of the
    # Amazon SNS topic for email sending events".
    Delivery(
        "AWS::SES::ConfigurationSetEventDestination", "EventDestination.SnsDestination.TopicARN",
        (), "AWS::SNS::Topic", "ses.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
        _SNS_EVENT_SOURCES, "To allow the AWS service to have the kms:GenerateDataKey* and "
        "kms:Decrypt permissions, add the following statement to the KMS policy", scoped=False,
    ),
    # a trail's notifications: "To use an AWS KMS-encrypted Amazon SNS topic to send
    # notifications, you must also enable compatibility between the event source (CloudTrail)
    # and the encrypted topic by adding the following statement to the policy of the AWS KMS
    # key" (cloudtrail.amazonaws.com, kms:GenerateDataKey* and kms:Decrypt, no condition). AWS
    # CloudFormation Template Reference, "AWS::CloudTrail::Trail": SnsTopicName, "Specifies the
    # name or ARN of the Amazon SNS topic defined for notification of log file delivery".
    Delivery(
        "AWS::CloudTrail::Trail", "SnsTopicName", (),
        "AWS::SNS::Topic", "cloudtrail.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
        'AWS CloudTrail User Guide, "Amazon SNS topic policy for CloudTrail" '
        "(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
        "cloudtrail-permissions-for-sns-notifications.html)",
        "To use an AWS KMS-encrypted Amazon SNS topic to send notifications, you must also enable "
        "compatibility between the event source (CloudTrail) and the encrypted topic by adding "
        "the following statement to the policy of the AWS KMS key", scoped=False,
    ),
    # AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail"
    # (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html):
    # "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are
    # required to create or update a trail with SSE-KMS encryption enabled"; the value of
    # aws:SourceArn "is always the ARN of the trail", and "The aws:SourceAccount condition key is
    # also supported but not recommended". A trail writes into its bucket as
    # cloudtrail.amazonaws.com ("Amazon S3 bucket policy for CloudTrail"), so a domain bucket's
    # default key serves CloudTrail's PUT: the requests of _DATA_KEY. AWS CloudFormation Template
    # Reference, "AWS::CloudTrail::Trail": S3BucketName, "Specifies the name of the Amazon S3
    # bucket designated for publishing log files".
    Delivery(
        "AWS::CloudTrail::Trail", "S3BucketName", (),
        "AWS::S3::Bucket", "cloudtrail.amazonaws.com", _DATA_KEY,
        'AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail" '
        "(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html)",
        "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are "
        "required to create or update a trail with SSE-KMS encryption enabled",
        source_arn="arn:{partition}:cloudtrail:{region}:{account}:trail/",
    ),
    # AWS WAF Developer Guide, "Amazon Simple Storage Service bucket"
    # (https://docs.aws.amazon.com/waf/latest/developerguide/logging-s3.html): "AWS WAF supports
    # encryption with Amazon S3 buckets for key type Amazon S3 key (SSE-S3) and for AWS Key
    # Management Service (SSE-KMS) AWS KMS keys"; the WAF API Reference, "LoggingConfiguration":
    # "For an Amazon S3 bucket, AWS WAF creates a bucket policy". Neither page prints the
    # key-policy statement or names the delivering principal: the row states the vended-log
    # delivery's requests (delivery.logs.amazonaws.com, as the other rows) as its default.
    # AWS CloudFormation Template Reference, "AWS::WAFv2::LoggingConfiguration":
    # LogDestinationConfigs, "The Amazon Resource Names (ARNs) of the logging destinations that
    # you want to associate with the web ACL".
    Delivery(
        "AWS::WAFv2::LoggingConfiguration", "LogDestinationConfigs[]", (),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'AWS WAF Developer Guide, "Amazon Simple Storage Service bucket" '
        "(https://docs.aws.amazon.com/waf/latest/developerguide/logging-s3.html)",
        "AWS WAF supports encryption with Amazon S3 buckets for key type Amazon S3 key (SSE-S3) "
        "and for AWS Key Management Service (SSE-KMS) AWS KMS keys",
        source_arn=_LOGS_SOURCE,
    ),
    # Elastic Load Balancing, "Enable access logs for your Application Load Balancer"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html),
    # bucket requirements: "The only server-side encryption option that's supported is Amazon
    # S3-managed keys (SSE-S3)". AWS CloudFormation Template Reference,
    # "AWS::ElasticLoadBalancingV2::LoadBalancer LoadBalancerAttribute": the attribute
    # access_logs.s3.bucket is "The name of the S3 bucket for the access logs"; Type "The type of
    # load balancer. The default is application".
    Delivery(
        _LOAD_BALANCER, "LoadBalancerAttributes[].Value", (("Key", "access_logs.s3.bucket"),),
        "AWS::S3::Bucket", "", (),
        'Elastic Load Balancing, "Enable access logs for your Application Load Balancer" '
        "(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html)",
        "The only server-side encryption option that's supported is Amazon S3-managed keys "
        "(SSE-S3)", scoped=False, source_when=(("Type", (None, "application")),), customer_key=False,
        service_account=True,
    ),
    # Elastic Load Balancing, "Access logs for your Classic Load Balancer"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html):
    # "Each access log file is automatically encrypted using SSE-S3 before it is stored in your S3
    # bucket" (a domain bucket's policy refuses a PUT that asks for SSE-S3). AWS CloudFormation
    # Template Reference, "AWS::ElasticLoadBalancing::LoadBalancer AccessLoggingPolicy":
    # S3BucketName, "The name of the Amazon S3 bucket where the access logs are stored".
    Delivery(
        "AWS::ElasticLoadBalancing::LoadBalancer", "AccessLoggingPolicy.S3BucketName", (),
        "AWS::S3::Bucket", "", (),
        'Elastic Load Balancing, "Access logs for your Classic Load Balancer" '
        "(https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html)",
        "Each access log file is automatically encrypted using SSE-S3 before it is stored in your "
        "S3 bucket", scoped=False, customer_key=False, service_account=True,
    ),
    # Elastic Load Balancing, "Access logs for your Network Load Balancer"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html):
    # "You can enable server-side encryption with Amazon S3-managed encryption keys (SSE-S3), or
    # using Key Management Service with Customer Managed Keys (SSE-KMS CMK) for your S3 bucket";
    # "Enable access logs for your Network Load Balancer" (enable-access-logs.html): the bucket
    # policy names delivery.logs.amazonaws.com, aws:SourceAccount and aws:SourceArn
    # arn:aws:logs:<region>:<account>:*. Neither page prints the key-policy statement: the row's
    # requests are the vended-log delivery's (the same principal and scope, _VENDED_LOGS).
    Delivery(
        _LOAD_BALANCER, "LoadBalancerAttributes[].Value", (("Key", "access_logs.s3.bucket"),),
        "AWS::S3::Bucket", "delivery.logs.amazonaws.com", _DATA_KEY,
        'Elastic Load Balancing, "Access logs for your Network Load Balancer" '
        "(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html)",
        "You can enable server-side encryption with Amazon S3-managed encryption keys (SSE-S3), "
        "or using Key Management Service with Customer Managed Keys (SSE-KMS CMK) for your S3 "
        "bucket", source_arn=_LOGS_SOURCE, source_when=(("Type", ("network",)),),
        service_account=True,
    ),
    # Amazon ElastiCache, "Event Notifications and Amazon SNS"
    # (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ElastiCacheSNS.html): "The Amazon
    # SNS topic you are publishing to cannot be encrypted"; "It is possible to attach an encrypted
    # (at-rest) Amazon SNS topic to the cluster. However, the status of the topic from the
    # ElastiCache console will show as inactive". AWS CloudFormation Template Reference,
    # "AWS::ElastiCache::CacheCluster" and "AWS::ElastiCache::ReplicationGroup":
    # NotificationTopicArn, "The Amazon Resource Name (ARN) of the Amazon Simple Notification
    # Service (SNS) topic to which notifications are sent".
    *(Delivery(
        source, "NotificationTopicArn", (), "AWS::SNS::Topic", "", (),
        'Amazon ElastiCache, "Event Notifications and Amazon SNS" '
        "(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ElastiCacheSNS.html)",
        "The Amazon SNS topic you are publishing to cannot be encrypted", scoped=False,
        customer_key=False,
    ) for source in ("AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ReplicationGroup")),
    # AWS Config Developer Guide, "Permissions for the Amazon SNS Topic"
    # (https://docs.aws.amazon.com/config/latest/developerguide/sns-topic-policy.html): "AWS
    # Config does not support encrypted Amazon SNS topics" (the SNS Developer Guide lists AWS
    # Config among the event sources whose IAM role a key policy names, without a statement; the
    # service's own page is the one read here). AWS CloudFormation Template Reference,
    # "AWS::Config::DeliveryChannel": SnsTopicARN, "The Amazon Resource Name (ARN) of the Amazon
    # SNS topic to which AWS Config sends notifications about configuration changes".
    Delivery(
        "AWS::Config::DeliveryChannel", "SnsTopicARN", (), "AWS::SNS::Topic", "", (),
        'AWS Config Developer Guide, "Permissions for the Amazon SNS Topic" '
        "(https://docs.aws.amazon.com/config/latest/developerguide/sns-topic-policy.html)",
        "AWS Config does not support encrypted Amazon SNS topics", scoped=False,
        customer_key=False,
    ),
    # Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs"
    # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html): "Several AWS services
    # publish events to Amazon SNS topics. To allow these event sources to work with encrypted
    # topics, you must perform the following steps", with a table of event sources and their
    # service principals (Amazon RDS, events.rds.amazonaws.com) in which neither Amazon
    # DocumentDB nor Amazon Neptune appears; neither service's event pages ("Managing Amazon
    # DocumentDB events", "Amazon Neptune events") says which principal publishes or what it
    # requests of a topic's key. Not assumed to be RDS's principal. AWS CloudFormation Template
    # Reference, "AWS::DocDB::EventSubscription" / "AWS::Neptune::EventSubscription":
    # SnsTopicArn, "The Amazon Resource Name (ARN) of the SNS topic created for event
    # notification".
    *(Delivery(
        source, "SnsTopicArn", (), "AWS::SNS::Topic", "", (),
        'Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys and costs" '
        "(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)",
        "Several AWS services publish events to Amazon SNS topics. To allow these event sources "
        "to work with encrypted topics, you must perform the following steps", scoped=False,
        documented=False,
    ) for source in ("AWS::DocDB::EventSubscription", "AWS::Neptune::EventSubscription")),
)  # fmt: skip

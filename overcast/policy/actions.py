"""Which IAM action and resource ARN AWS authorizes for each operation (the Service
Authorization Reference), as data: per service, Operation → (action, resource template), or a
list of them when AWS checks several. Templates name request members ({Bucket}, {Key}) and
{partition}, {region}, {account}; values a service derives (an SQS queue name from its URL) come
from that service's `derive` function. An operation not listed is `<prefix>:<Operation>` on "*".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

S3_BUCKET = "arn:{partition}:s3:::{Bucket}"
S3_OBJECT = "arn:{partition}:s3:::{Bucket}/{Key}"
SQS_QUEUE = "arn:{partition}:sqs:{region}:{queue_account}:{queue}"
KINESIS_STREAM = "arn:{partition}:kinesis:{region}:{account}:stream/{stream}"
CLASSIC_ELB = "arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/{LoadBalancerName}"
RDS_ARN = "arn:{partition}:rds:{region}:{account}:"
ELASTICACHE_ARN = "arn:{partition}:elasticache:{region}:{account}:"
DDB_TABLE = "arn:{partition}:dynamodb:{region}:{account}:table/{TableName}"
LAMBDA_FUNCTION = "arn:{partition}:lambda:{region}:{function_account}:function:{function}"
LOG_GROUP = "arn:{partition}:logs:{region}:{account}:log-group:{logGroupName}"
LOG_STREAM = "arn:{partition}:logs:{region}:{account}:log-group:{logGroupName}:log-stream:{logStreamName}"
IAM_USER = "arn:{partition}:iam::{account}:user/{UserName}"
IAM_GROUP = "arn:{partition}:iam::{account}:group/{GroupName}"
IAM_ROLE = "arn:{partition}:iam::{account}:role/{RoleName}"
IAM_PROFILE = "arn:{partition}:iam::{account}:instance-profile/{InstanceProfileName}"
ECR_REPOSITORY = "arn:{partition}:ecr:{region}:{account}:repository/{repositoryName}"
ROUTE53_ZONE = "arn:{{partition}}:route53:::hostedzone/{zone}"
ROUTE53_CHECK = "arn:{partition}:route53:::healthcheck/{HealthCheckId}"
ECS_CLUSTER = "arn:{partition}:ecs:{region}:{account}:cluster/{ecs_cluster}"
EKS_ARN = "arn:{partition}:eks:{region}:{account}:"
ECS_SERVICE = "arn:{partition}:ecs:{region}:{account}:service/{ecs_cluster}/{ecs_service}"
ECS_TASK = "arn:{partition}:ecs:{region}:{account}:task/{ecs_cluster}/{ecs_task}"
ECS_TASK_DEFINITION = "arn:{partition}:ecs:{region}:{account}:task-definition/{ecs_task_definition}"
ECS_CAPACITY_PROVIDER = "arn:{partition}:ecs:{region}:{account}:capacity-provider/{ecs_capacity_provider}"
CLOUDFRONT = "arn:{partition}:cloudfront::{account}:"
EC2_ARN = "arn:{partition}:ec2:{region}:{account}:"

_S3_BUCKET_OPS = {
    "CreateBucket": "s3:CreateBucket",
    "DeleteBucket": "s3:DeleteBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "GetBucketTagging": "s3:GetBucketTagging",
    "PutBucketTagging": "s3:PutBucketTagging",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketWebsite": "s3:GetBucketWebsite",
    "PutBucketWebsite": "s3:PutBucketWebsite",
    "DeleteBucketWebsite": "s3:DeleteBucketWebsite",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketAcl": "s3:GetBucketAcl",
    "PutBucketAcl": "s3:PutBucketAcl",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "GetBucketLogging": "s3:GetBucketLogging",
    "PutBucketLogging": "s3:PutBucketLogging",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "PutBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "GetBucketRequestPayment": "s3:GetBucketRequestPayment",
    "PutBucketRequestPayment": "s3:PutBucketRequestPayment",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
    "GetBucketIntelligentTieringConfiguration": "s3:GetIntelligentTieringConfiguration",
    "PutBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
}
_S3_OBJECT_OPS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "GetObjectTagging": "s3:GetObjectTagging",
    "PutObjectTagging": "s3:PutObjectTagging",
    "DeleteObjectTagging": "s3:DeleteObjectTagging",
    "GetObjectAcl": "s3:GetObjectAcl",
    "PutObjectAcl": "s3:PutObjectAcl",
    "GetObjectAttributes": "s3:GetObjectAttributes",
    "RestoreObject": "s3:RestoreObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
    "GetObjectRetention": "s3:GetObjectRetention",
    "PutObjectRetention": "s3:PutObjectRetention",
    "GetObjectLegalHold": "s3:GetObjectLegalHold",
    "PutObjectLegalHold": "s3:PutObjectLegalHold",
    "SelectObjectContent": "s3:GetObject",
    "CopyObject": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
}
#: Actions that become their "...Version" form when the request names a version.
_S3_VERSIONED = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
}

SCHEDULE = "arn:{partition}:scheduler:{region}:{account}:schedule/{group}/{Name}"
#: The group id in these ARNs is a UUID the request does not name: "*" stands for it.
ASG_GROUP = (
    "arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/{asg_group}"
)
ASG_LAUNCH_CONFIGURATION = (
    "arn:{partition}:autoscaling:{region}:{account}:launchConfiguration:*:"
    "launchConfigurationName/{LaunchConfigurationName}"
)
_ASG_GROUP_OPS = (
    "AttachInstances",
    "AttachLoadBalancerTargetGroups",
    "AttachLoadBalancers",
    "AttachTrafficSources",
    "BatchDeleteScheduledAction",
    "BatchPutScheduledUpdateGroupAction",
    "CancelInstanceRefresh",
    "CompleteLifecycleAction",
    "CreateAutoScalingGroup",
    "DeleteAutoScalingGroup",
    "DeleteLifecycleHook",
    "DeleteNotificationConfiguration",
    "DeletePolicy",
    "DeleteScheduledAction",
    "DeleteWarmPool",
    "DetachInstances",
    "DetachLoadBalancerTargetGroups",
    "DetachLoadBalancers",
    "DetachTrafficSources",
    "DisableMetricsCollection",
    "EnableMetricsCollection",
    "EnterStandby",
    "ExecutePolicy",
    "ExitStandby",
    "LaunchInstances",
    "PutLifecycleHook",
    "PutNotificationConfiguration",
    "PutScalingPolicy",
    "PutScheduledUpdateGroupAction",
    "PutWarmPool",
    "RecordLifecycleActionHeartbeat",
    "ResumeProcesses",
    "RollbackInstanceRefresh",
    "SetDesiredCapacity",
    "SetInstanceProtection",
    "StartInstanceRefresh",
    "SuspendProcesses",
    "UpdateAutoScalingGroup",
)
SCHEDULE_GROUP = "arn:{partition}:scheduler:{region}:{account}:schedule-group/{Name}"
CLOUD_MAP = "arn:{partition}:servicediscovery:{region}:{account}:"
RESOLVER = "arn:{partition}:route53resolver:{region}:{account}:"
#: Route 53 Resolver's operations that name one resource by id: (ARN resource type, id member).
_RESOLVER_OPS = {
    "resolver-endpoint/{ResolverEndpointId}": (
        "AssociateResolverEndpointIpAddress",
        "DeleteResolverEndpoint",
        "DisassociateResolverEndpointIpAddress",
        "GetResolverEndpoint",
        "ListResolverEndpointIpAddresses",
        "UpdateResolverEndpoint",
    ),
    "resolver-rule/{ResolverRuleId}": (
        "AssociateResolverRule",
        "DeleteResolverRule",
        "DisassociateResolverRule",
        "GetResolverRule",
        "UpdateResolverRule",
    ),
    "resolver-query-log-config/{ResolverQueryLogConfigId}": (
        "AssociateResolverQueryLogConfig",
        "DeleteResolverQueryLogConfig",
        "DisassociateResolverQueryLogConfig",
        "GetResolverQueryLogConfig",
    ),
    "firewall-domain-list/{FirewallDomainListId}": (
        "DeleteFirewallDomainList",
        "GetFirewallDomainList",
        "ImportFirewallDomains",
        "ListFirewallDomains",
        "UpdateFirewallDomains",
    ),
    "firewall-rule-group/{FirewallRuleGroupId}": (
        "AssociateFirewallRuleGroup",
        "CreateFirewallRule",
        "DeleteFirewallRule",
        "DeleteFirewallRuleGroup",
        "GetFirewallRuleGroup",
        "ListFirewallRules",
        "UpdateFirewallRule",
    ),
    "firewall-rule-group-association/{FirewallRuleGroupAssociationId}": (
        "DisassociateFirewallRuleGroup",
        "GetFirewallRuleGroupAssociation",
        "UpdateFirewallRuleGroupAssociation",
    ),
    "outpost-resolver/{Id}": ("DeleteOutpostResolver", "GetOutpostResolver", "UpdateOutpostResolver"),
}

TABLES: dict[str, dict[str, Any]] = {
    "route53resolver": {
        **{
            op: (f"route53resolver:{op}", RESOLVER + resource)
            for resource, ops in _RESOLVER_OPS.items()
            for op in ops
        },
        **{
            op: (f"route53resolver:{op}", "{ResourceArn}")
            for op in ("ListTagsForResource", "TagResource", "UntagResource")
        },
        **{
            op: (f"route53resolver:{op}", "{Arn}")
            for op in (
                "GetFirewallRuleGroupPolicy",
                "GetResolverQueryLogConfigPolicy",
                "GetResolverRulePolicy",
                "PutFirewallRuleGroupPolicy",
                "PutResolverQueryLogConfigPolicy",
                "PutResolverRulePolicy",
            )
        },
    },
    "servicediscovery": {
        **{
            op: (f"servicediscovery:{op}", CLOUD_MAP + "namespace/{Id}")
            for op in (
                "DeleteNamespace",
                "GetNamespace",
                "UpdateHttpNamespace",
                "UpdatePrivateDnsNamespace",
                "UpdatePublicDnsNamespace",
            )
        },
        **{
            op: (f"servicediscovery:{op}", CLOUD_MAP + "service/{Id}")
            for op in ("DeleteService", "GetService", "UpdateService")
        },
        **{
            op: (f"servicediscovery:{op}", CLOUD_MAP + "service/{ServiceId}")
            for op in (
                "DeleteServiceAttributes",
                "DeregisterInstance",
                "GetInstance",
                "GetInstancesHealthStatus",
                "GetServiceAttributes",
                "ListInstances",
                "RegisterInstance",
                "UpdateInstanceCustomHealthStatus",
                "UpdateServiceAttributes",
            )
        },
        **{
            op: (f"servicediscovery:{op}", "{ResourceARN}")
            for op in ("ListTagsForResource", "TagResource", "UntagResource")
        },
    },
    "autoscaling": {
        **{op: (f"autoscaling:{op}", ASG_GROUP) for op in _ASG_GROUP_OPS},
        **{
            op: (f"autoscaling:{op}", ASG_LAUNCH_CONFIGURATION)
            for op in ("CreateLaunchConfiguration", "DeleteLaunchConfiguration")
        },
    },
    "application-autoscaling": {
        op: (f"application-autoscaling:{op}", "{ResourceARN}")
        for op in ("TagResource", "UntagResource", "ListTagsForResource")
    },
    "s3": {
        "ListBuckets": ("s3:ListAllMyBuckets", "*"),
        **{op: (action, S3_BUCKET) for op, action in _S3_BUCKET_OPS.items()},
        **{op: (action, S3_OBJECT) for op, action in _S3_OBJECT_OPS.items()},
        # Authorized key by key (s3:DeleteObject on each object), a denied key answered in
        # the response's Errors: the S3 provider asks for each.
        "DeleteObjects": None,
    },
    "sqs": {
        **{
            op: (f"sqs:{op}", SQS_QUEUE)
            for op in (
                "CreateQueue",
                "DeleteQueue",
                "GetQueueUrl",
                "GetQueueAttributes",
                "SetQueueAttributes",
                "SendMessage",
                "ReceiveMessage",
                "DeleteMessage",
                "ChangeMessageVisibility",
                "PurgeQueue",
                "TagQueue",
                "UntagQueue",
                "ListQueueTags",
                "AddPermission",
                "RemovePermission",
                "ListDeadLetterSourceQueues",
            )
        },
        "SendMessageBatch": ("sqs:SendMessage", SQS_QUEUE),
        "DeleteMessageBatch": ("sqs:DeleteMessage", SQS_QUEUE),
        "ChangeMessageVisibilityBatch": ("sqs:ChangeMessageVisibility", SQS_QUEUE),
        "ListQueues": ("sqs:ListQueues", "*"),
        "StartMessageMoveTask": (
            "sqs:StartMessageMoveTask",
            SQS_QUEUE.replace("{queue}", "{SourceArn_queue}"),
        ),
    },
    "sns": {
        **{
            op: (f"sns:{op}", "{TopicArn}")
            for op in (
                "DeleteTopic",
                "GetTopicAttributes",
                "SetTopicAttributes",
                "Publish",
                "Subscribe",
                "ListSubscriptionsByTopic",
                "AddPermission",
                "RemovePermission",
                "PublishBatch",
                "GetDataProtectionPolicy",
                "PutDataProtectionPolicy",
            )
        },
        "CreateTopic": ("sns:CreateTopic", "arn:{partition}:sns:{region}:{account}:{Name}"),
        "ConfirmSubscription": ("sns:ConfirmSubscription", "{TopicArn}"),
        "Unsubscribe": ("sns:Unsubscribe", "{subscription_topic}"),
        "GetSubscriptionAttributes": ("sns:GetSubscriptionAttributes", "{subscription_topic}"),
        "SetSubscriptionAttributes": ("sns:SetSubscriptionAttributes", "{subscription_topic}"),
        "TagResource": ("sns:TagResource", "{ResourceArn}"),
        "UntagResource": ("sns:UntagResource", "{ResourceArn}"),
        "ListTagsForResource": ("sns:ListTagsForResource", "{ResourceArn}"),
        "ListTopics": ("sns:ListTopics", "*"),
        "ListSubscriptions": ("sns:ListSubscriptions", "*"),
    },
    "dynamodb": {
        **{
            op: (f"dynamodb:{op}", DDB_TABLE)
            for op in (
                "CreateTable",
                "DeleteTable",
                "DescribeTable",
                "UpdateTable",
                "PutItem",
                "GetItem",
                "UpdateItem",
                "DeleteItem",
                "Query",
                "Scan",
                "DescribeTimeToLive",
                "UpdateTimeToLive",
                "DescribeContinuousBackups",
                "UpdateContinuousBackups",
                "CreateBackup",
                "DescribeKinesisStreamingDestination",
            )
        },
        "BatchGetItem": [
            ("dynamodb:BatchGetItem", "arn:{partition}:dynamodb:{region}:{account}:table/{item}")
        ],
        "BatchWriteItem": [
            ("dynamodb:BatchWriteItem", "arn:{partition}:dynamodb:{region}:{account}:table/{item}")
        ],
        "TagResource": ("dynamodb:TagResource", "{ResourceArn}"),
        "UntagResource": ("dynamodb:UntagResource", "{ResourceArn}"),
        "ListTagsOfResource": ("dynamodb:ListTagsOfResource", "{ResourceArn}"),
        "PutResourcePolicy": ("dynamodb:PutResourcePolicy", "{ResourceArn}"),
        "GetResourcePolicy": ("dynamodb:GetResourcePolicy", "{ResourceArn}"),
        "DeleteResourcePolicy": ("dynamodb:DeleteResourcePolicy", "{ResourceArn}"),
        "ListTables": ("dynamodb:ListTables", "*"),
        "DescribeStream": ("dynamodb:DescribeStream", "{StreamArn}"),
        "GetShardIterator": ("dynamodb:GetShardIterator", "{StreamArn}"),
    },
    "lambda": {
        **{
            op: (f"lambda:{op}", LAMBDA_FUNCTION)
            for op in (
                "DeleteFunction",
                "GetFunction",
                "GetFunctionConfiguration",
                "UpdateFunctionCode",
                "InvokeFunction",
                "PublishVersion",
                "ListVersionsByFunction",
                "CreateAlias",
                "DeleteAlias",
                "GetAlias",
                "UpdateAlias",
                "ListAliases",
                "AddPermission",
                "RemovePermission",
                "GetPolicy",
                "PutFunctionConcurrency",
                "DeleteFunctionConcurrency",
                "GetFunctionConcurrency",
                "CreateFunctionUrlConfig",
                "GetFunctionUrlConfig",
                "DeleteFunctionUrlConfig",
                "UpdateFunctionUrlConfig",
                "PutFunctionEventInvokeConfig",
                "GetFunctionEventInvokeConfig",
            )
        },
        # Handing a role to a function is iam:PassRole on that role, as AWS checks it.
        "CreateFunction": [("lambda:CreateFunction", LAMBDA_FUNCTION), ("iam:PassRole", "{Role}")],
        "UpdateFunctionConfiguration": [
            ("lambda:UpdateFunctionConfiguration", LAMBDA_FUNCTION),
            ("iam:PassRole", "{Role}"),
        ],
        "Invoke": ("lambda:InvokeFunction", LAMBDA_FUNCTION),
        "InvokeAsync": ("lambda:InvokeFunction", LAMBDA_FUNCTION),
        "InvokeWithResponseStream": ("lambda:InvokeFunction", LAMBDA_FUNCTION),
        "ListFunctions": ("lambda:ListFunctions", "*"),
        "CreateEventSourceMapping": ("lambda:CreateEventSourceMapping", "*"),
        "ListEventSourceMappings": ("lambda:ListEventSourceMappings", "*"),
    },
    "logs": {
        **{
            op: (f"logs:{op}", LOG_GROUP)
            for op in (
                "CreateLogGroup",
                "DeleteLogGroup",
                "PutRetentionPolicy",
                "DeleteRetentionPolicy",
                "DescribeLogStreams",
                "FilterLogEvents",
                "PutSubscriptionFilter",
                "DeleteSubscriptionFilter",
                "DescribeSubscriptionFilters",
                "PutMetricFilter",
                "DeleteMetricFilter",
                "TagLogGroup",
                "UntagLogGroup",
                "ListTagsLogGroup",
            )
        },
        "CreateLogStream": ("logs:CreateLogStream", LOG_STREAM),
        "DeleteLogStream": ("logs:DeleteLogStream", LOG_STREAM),
        "PutLogEvents": ("logs:PutLogEvents", LOG_STREAM),
        "GetLogEvents": ("logs:GetLogEvents", LOG_STREAM),
        "DescribeLogGroups": (
            "logs:DescribeLogGroups",
            "arn:{partition}:logs:{region}:{account}:log-group::log-stream:",
        ),
    },
    "iam": {
        **{
            op: (f"iam:{op}", IAM_USER)
            for op in (
                "CreateUser",
                "GetUser",
                "UpdateUser",
                "DeleteUser",
                "PutUserPolicy",
                "GetUserPolicy",
                "DeleteUserPolicy",
                "ListUserPolicies",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "ListAttachedUserPolicies",
                "CreateAccessKey",
                "ListAccessKeys",
                "UpdateAccessKey",
                "DeleteAccessKey",
                "CreateLoginProfile",
                "GetLoginProfile",
                "UpdateLoginProfile",
                "DeleteLoginProfile",
                "ListGroupsForUser",
                "TagUser",
                "UntagUser",
                "ListUserTags",
                "PutUserPermissionsBoundary",
                "DeleteUserPermissionsBoundary",
                "EnableMFADevice",
                "DeactivateMFADevice",
                "ListMFADevices",
                "ChangePassword",
            )
        },
        **{
            op: (f"iam:{op}", IAM_GROUP)
            for op in (
                "CreateGroup",
                "GetGroup",
                "UpdateGroup",
                "DeleteGroup",
                "PutGroupPolicy",
                "GetGroupPolicy",
                "DeleteGroupPolicy",
                "ListGroupPolicies",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
                "ListAttachedGroupPolicies",
                "AddUserToGroup",
                "RemoveUserFromGroup",
            )
        },
        **{
            op: (f"iam:{op}", IAM_ROLE)
            for op in (
                "CreateRole",
                "GetRole",
                "UpdateRole",
                "DeleteRole",
                "PutRolePolicy",
                "GetRolePolicy",
                "DeleteRolePolicy",
                "ListRolePolicies",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "ListAttachedRolePolicies",
                "UpdateAssumeRolePolicy",
                "UpdateRoleDescription",
                "TagRole",
                "UntagRole",
                "ListRoleTags",
                "PutRolePermissionsBoundary",
                "DeleteRolePermissionsBoundary",
                "ListInstanceProfilesForRole",
                "DeleteServiceLinkedRole",
            )
        },
        **{
            op: (f"iam:{op}", IAM_PROFILE)
            for op in (
                "CreateInstanceProfile",
                "GetInstanceProfile",
                "DeleteInstanceProfile",
                "AddRoleToInstanceProfile",
                "RemoveRoleFromInstanceProfile",
                "TagInstanceProfile",
                "UntagInstanceProfile",
                "ListInstanceProfileTags",
            )
        },
        **{
            op: (f"iam:{op}", "{PolicyArn}")
            for op in (
                "GetPolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "GetPolicyVersion",
                "ListPolicyVersions",
                "DeletePolicyVersion",
                "SetDefaultPolicyVersion",
                "ListEntitiesForPolicy",
                "TagPolicy",
                "UntagPolicy",
                "ListPolicyTags",
            )
        },
        "CreatePolicy": ("iam:CreatePolicy", "arn:{partition}:iam::{account}:policy{Path}{PolicyName}"),
        "SimulatePrincipalPolicy": ("iam:SimulatePrincipalPolicy", "{PolicySourceArn}"),
        "GetContextKeysForPrincipalPolicy": ("iam:GetContextKeysForPrincipalPolicy", "{PolicySourceArn}"),
    },
    "sts": {
        # AssumeRole* decide in the handler: the trust policy, MFA and external id are theirs.
        "AssumeRole": None,
        "AssumeRoleWithWebIdentity": None,
        "AssumeRoleWithSAML": None,
        # AWS answers these for any valid credentials, whatever the policies say.
        "GetCallerIdentity": None,
        "GetSessionToken": None,
        "GetAccessKeyInfo": None,
        "GetFederationToken": (
            "sts:GetFederationToken",
            "arn:{partition}:sts::{account}:federated-user/{Name}",
        ),
        "DecodeAuthorizationMessage": ("sts:DecodeAuthorizationMessage", "*"),
    },
    "scheduler": {
        # A schedule hands its target's role over: iam:PassRole on it, as AWS checks it.
        "CreateSchedule": [("scheduler:CreateSchedule", SCHEDULE), ("iam:PassRole", "{role}")],
        "UpdateSchedule": [("scheduler:UpdateSchedule", SCHEDULE), ("iam:PassRole", "{role}")],
        **{op: (f"scheduler:{op}", SCHEDULE) for op in ("GetSchedule", "DeleteSchedule")},
        **{
            op: (f"scheduler:{op}", SCHEDULE_GROUP)
            for op in ("CreateScheduleGroup", "GetScheduleGroup", "DeleteScheduleGroup")
        },
        **{
            op: (f"scheduler:{op}", "{ResourceArn}")
            for op in ("TagResource", "UntagResource", "ListTagsForResource")
        },
    },
    "ecr": {
        **{
            op: (f"ecr:{op}", ECR_REPOSITORY)
            for op in (
                "BatchCheckLayerAvailability",
                "BatchDeleteImage",
                "BatchGetImage",
                "CompleteLayerUpload",
                "CreateRepository",
                "DeleteLifecyclePolicy",
                "DeleteRepository",
                "DeleteRepositoryPolicy",
                "DescribeImageReplicationStatus",
                "DescribeImageScanFindings",
                "DescribeImageSigningStatus",
                "DescribeImages",
                "GetDownloadUrlForLayer",
                "GetLifecyclePolicy",
                "GetLifecyclePolicyPreview",
                "GetRepositoryPolicy",
                "InitiateLayerUpload",
                "ListImageReferrers",
                "ListImages",
                "PutImage",
                "PutImageScanningConfiguration",
                "PutImageTagMutability",
                "PutLifecyclePolicy",
                "SetRepositoryPolicy",
                "StartImageScan",
                "StartLifecyclePolicyPreview",
                "UpdateImageStorageClass",
                "UploadLayerPart",
            )
        },
        **{
            op: (f"ecr:{op}", "{resourceArn}")
            for op in ("TagResource", "UntagResource", "ListTagsForResource")
        },
    },
    "ec2": {
        **{
            op: (f"ec2:{op}", EC2_ARN + "instance/{instance}")
            for op in (
                "StartInstances",
                "StopInstances",
                "RebootInstances",
                "TerminateInstances",
                "MonitorInstances",
                "UnmonitorInstances",
            )
        },
        **{
            op: (f"ec2:{op}", EC2_ARN + "instance/{InstanceId}")
            for op in (
                "ModifyInstanceAttribute",
                "DescribeInstanceAttribute",
                "ResetInstanceAttribute",
                "GetConsoleOutput",
                "ModifyInstanceMetadataOptions",
                "CreateImage",
                "GetLaunchTemplateData",
            )
        },
        **{
            op: (f"ec2:{op}", EC2_ARN + "volume/{VolumeId}")
            for op in ("AttachVolume", "DetachVolume", "DeleteVolume", "ModifyVolume", "CreateSnapshot")
        },
        **{
            op: (f"ec2:{op}", EC2_ARN + "vpc/{VpcId}")
            for op in ("DeleteVpc", "ModifyVpcAttribute", "CreateSubnet")
        },
        **{
            op: (f"ec2:{op}", EC2_ARN + "subnet/{SubnetId}")
            for op in ("DeleteSubnet", "ModifySubnetAttribute")
        },
        **{
            op: (f"ec2:{op}", EC2_ARN + "route-table/{RouteTableId}")
            for op in (
                "CreateRoute",
                "DeleteRoute",
                "ReplaceRoute",
                "DeleteRouteTable",
                "AssociateRouteTable",
            )
        },
        **{
            op: (f"ec2:{op}", EC2_ARN + "internet-gateway/{InternetGatewayId}")
            for op in ("AttachInternetGateway", "DetachInternetGateway", "DeleteInternetGateway")
        },
        "DeleteNatGateway": ("ec2:DeleteNatGateway", EC2_ARN + "natgateway/{NatGatewayId}"),
        "DeleteNetworkAcl": ("ec2:DeleteNetworkAcl", EC2_ARN + "network-acl/{NetworkAclId}"),
        "DeleteNetworkInterface": (
            "ec2:DeleteNetworkInterface",
            EC2_ARN + "network-interface/{NetworkInterfaceId}",
        ),
        "ReleaseAddress": ("ec2:ReleaseAddress", EC2_ARN + "elastic-ip/{AllocationId}"),
        "DeleteSnapshot": ("ec2:DeleteSnapshot", EC2_ARN + "snapshot/{SnapshotId}"),
        "DeregisterImage": ("ec2:DeregisterImage", "arn:{partition}:ec2:{region}::image/{ImageId}"),
        "DeleteLaunchTemplate": ("ec2:DeleteLaunchTemplate", EC2_ARN + "launch-template/{LaunchTemplateId}"),
    },
    "elb": {
        op: (f"elasticloadbalancing:{op}", CLASSIC_ELB)
        for op in (
            "ApplySecurityGroupsToLoadBalancer",
            "AttachLoadBalancerToSubnets",
            "ConfigureHealthCheck",
            "CreateAppCookieStickinessPolicy",
            "CreateLBCookieStickinessPolicy",
            "CreateLoadBalancer",
            "CreateLoadBalancerListeners",
            "CreateLoadBalancerPolicy",
            "DeleteLoadBalancer",
            "DeleteLoadBalancerListeners",
            "DeleteLoadBalancerPolicy",
            "DeregisterInstancesFromLoadBalancer",
            "DetachLoadBalancerFromSubnets",
            "DisableAvailabilityZonesForLoadBalancer",
            "EnableAvailabilityZonesForLoadBalancer",
            "ModifyLoadBalancerAttributes",
            "RegisterInstancesWithLoadBalancer",
            "SetLoadBalancerListenerSSLCertificate",
            "SetLoadBalancerPoliciesForBackendServer",
            "SetLoadBalancerPoliciesOfListener",
        )
    },
    "elbv2": {
        **{
            op: (f"elasticloadbalancing:{op}", "{LoadBalancerArn}")
            for op in (
                "CreateListener",
                "DeleteLoadBalancer",
                "ModifyCapacityReservation",
                "ModifyIpPools",
                "ModifyLoadBalancerAttributes",
                "SetIpAddressType",
                "SetSecurityGroups",
                "SetSubnets",
            )
        },
        **{
            op: (f"elasticloadbalancing:{op}", "{ListenerArn}")
            for op in (
                "AddListenerCertificates",
                "CreateRule",
                "DeleteListener",
                "ModifyListener",
                "ModifyListenerAttributes",
                "RemoveListenerCertificates",
            )
        },
        **{op: (f"elasticloadbalancing:{op}", "{RuleArn}") for op in ("DeleteRule", "ModifyRule")},
        **{
            op: (f"elasticloadbalancing:{op}", "{TargetGroupArn}")
            for op in (
                "DeleteTargetGroup",
                "DeregisterTargets",
                "ModifyTargetGroup",
                "ModifyTargetGroupAttributes",
                "RegisterTargets",
            )
        },
        "CreateTargetGroup": (
            "elasticloadbalancing:CreateTargetGroup",
            "arn:{partition}:elasticloadbalancing:{region}:{account}:targetgroup/{Name}/*",
        ),
    },
    "kinesis": {
        **{
            op: (f"kinesis:{op}", KINESIS_STREAM)
            for op in (
                "AddTagsToStream",
                "CreateStream",
                "DecreaseStreamRetentionPeriod",
                "DeleteStream",
                "DescribeStream",
                "DescribeStreamSummary",
                "DisableEnhancedMonitoring",
                "EnableEnhancedMonitoring",
                "GetShardIterator",
                "IncreaseStreamRetentionPeriod",
                "ListShards",
                "ListStreamConsumers",
                "ListTagsForStream",
                "MergeShards",
                "PutRecord",
                "PutRecords",
                "RegisterStreamConsumer",
                "RemoveTagsFromStream",
                "SplitShard",
                "StartStreamEncryption",
                "StopStreamEncryption",
                "UpdateShardCount",
                "UpdateStreamMode",
                "UpdateMaxRecordSize",
                "UpdateStreamWarmThroughput",
                "UpdateStreamRecordDistributionStrategy",
            )
        },
        **{
            op: (f"kinesis:{op}", "{ConsumerARN}")
            for op in ("DescribeStreamConsumer", "DeregisterStreamConsumer", "SubscribeToShard")
        },
        **{
            op: (f"kinesis:{op}", "{QueueARN}")
            for op in (
                "AcknowledgeDeadLetterQueueRecords",
                "AcknowledgeQueueRecords",
                "DeleteQueue",
                "DescribeQueue",
                "ReceiveDeadLetterQueueRecords",
                "ReceiveQueueRecords",
                "RestoreDeadLetterQueueRecords",
                "UpdateDeadLetterQueueRecordsVisibility",
                "UpdateQueue",
                "UpdateQueueRecordsVisibility",
            )
        },
        **{
            op: (f"kinesis:{op}", "{ChannelARN}")
            for op in ("DeleteChannel", "DescribeChannel", "UpdateChannel")
        },
        "CreateQueue": (
            "kinesis:CreateQueue",
            "arn:{partition}:kinesis:{region}:{account}:queue/{QueueName}",
        ),
        "CreateChannel": (
            "kinesis:CreateChannel",
            "arn:{partition}:kinesis:{region}:{account}:channel/{ChannelName}",
        ),
        **{
            op: (f"kinesis:{op}", "{ResourceARN}")
            for op in (
                "TagResource",
                "UntagResource",
                "ListTagsForResource",
                "PutResourcePolicy",
                "GetResourcePolicy",
                "DeleteResourcePolicy",
            )
        },
    },
    "route53": {
        **{
            op: (f"route53:{op}", ROUTE53_ZONE.format(zone="{HostedZoneId}"))
            for op in (
                "AssociateVPCWithHostedZone",
                "ChangeResourceRecordSets",
                "CreateKeySigningKey",
                "CreateQueryLoggingConfig",
                "CreateTrafficPolicyInstance",
                "CreateVPCAssociationAuthorization",
                "DeleteVPCAssociationAuthorization",
                "DisableHostedZoneDNSSEC",
                "DisassociateVPCFromHostedZone",
                "EnableHostedZoneDNSSEC",
                "GetDNSSEC",
                "GetHostedZoneLimit",
                "ListResourceRecordSets",
                "ListTrafficPolicyInstancesByHostedZone",
                "ListVPCAssociationAuthorizations",
                "TestDNSAnswer",
            )
        },
        **{
            op: (f"route53:{op}", ROUTE53_ZONE.format(zone="{Id}"))
            for op in ("DeleteHostedZone", "GetHostedZone", "UpdateHostedZoneComment")
        },
        **{
            op: (f"route53:{op}", ROUTE53_CHECK)
            for op in (
                "DeleteHealthCheck",
                "GetHealthCheck",
                "GetHealthCheckLastFailureReason",
                "GetHealthCheckStatus",
                "UpdateHealthCheck",
            )
        },
        "GetChange": ("route53:GetChange", "arn:{partition}:route53:::change/{Id}"),
    },
    "acm": {
        op: (f"acm:{op}", "{CertificateArn}")
        for op in (
            "AddTagsToCertificate",
            "DeleteCertificate",
            "DescribeCertificate",
            "ExportCertificate",
            "GetCertificate",
            "ListTagsForCertificate",
            "RemoveTagsFromCertificate",
            "RenewCertificate",
            "ResendValidationEmail",
            "RevokeCertificate",
            "UpdateCertificateOptions",
        )
    },
    "rds": {
        **{
            op: (f"rds:{op}", RDS_ARN + "db:{DBInstanceIdentifier}")
            for op in (
                "CreateDBInstance",
                "DeleteDBInstance",
                "DescribeDBInstances",
                "ModifyDBInstance",
                "RebootDBInstance",
                "StartDBInstance",
                "StopDBInstance",
                "PromoteReadReplica",
                "CreateDBInstanceReadReplica",
                "RestoreDBInstanceFromDBSnapshot",
                "DescribeDBLogFiles",
                "DownloadDBLogFilePortion",
                "DescribeValidDBInstanceModifications",
            )
        },
        **{
            op: (f"rds:{op}", RDS_ARN + "snapshot:{DBSnapshotIdentifier}")
            for op in (
                "DeleteDBSnapshot",
                "ModifyDBSnapshot",
                "ModifyDBSnapshotAttribute",
                "DescribeDBSnapshotAttributes",
            )
        },
        "CreateDBSnapshot": [
            ("rds:CreateDBSnapshot", RDS_ARN + "db:{DBInstanceIdentifier}"),
            ("rds:CreateDBSnapshot", RDS_ARN + "snapshot:{DBSnapshotIdentifier}"),
        ],
        **{
            op: (f"rds:{op}", RDS_ARN + "pg:{DBParameterGroupName}")
            for op in (
                "CreateDBParameterGroup",
                "DeleteDBParameterGroup",
                "ModifyDBParameterGroup",
                "ResetDBParameterGroup",
                "DescribeDBParameters",
            )
        },
        **{
            op: (f"rds:{op}", RDS_ARN + "subgrp:{DBSubnetGroupName}")
            for op in ("CreateDBSubnetGroup", "DeleteDBSubnetGroup", "ModifyDBSubnetGroup")
        },
        **{
            op: (f"rds:{op}", RDS_ARN + "og:{OptionGroupName}")
            for op in ("CreateOptionGroup", "DeleteOptionGroup", "ModifyOptionGroup")
        },
        **{
            op: (f"rds:{op}", RDS_ARN + "es:{SubscriptionName}")
            for op in ("CreateEventSubscription", "DeleteEventSubscription", "ModifyEventSubscription")
        },
        **{
            op: (f"rds:{op}", RDS_ARN + "cluster:{DBClusterIdentifier}")
            for op in (
                "CreateDBCluster",
                "DeleteDBCluster",
                "ModifyDBCluster",
                "FailoverDBCluster",
                "RebootDBCluster",
                "StartDBCluster",
                "StopDBCluster",
            )
        },
        **{
            op: (f"rds:{op}", RDS_ARN + "cluster-endpoint:{DBClusterEndpointIdentifier}")
            for op in ("CreateDBClusterEndpoint", "ModifyDBClusterEndpoint", "DeleteDBClusterEndpoint")
        },
        **{
            op: (f"rds:{op}", "{ResourceName}")
            for op in ("AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource")
        },
        **{
            op: (f"rds:{op}", "arn:{partition}:rds::{account}:global-cluster:{GlobalClusterIdentifier}")
            for op in (
                "CreateGlobalCluster",
                "DeleteGlobalCluster",
                "ModifyGlobalCluster",
                "FailoverGlobalCluster",
                "SwitchoverGlobalCluster",
                "RemoveFromGlobalCluster",
            )
        },
    },
    "eks": {
        **{
            op: (f"eks:{op}", EKS_ARN + "cluster/{name}")
            for op in (
                "CreateCluster",
                "DescribeCluster",
                "DeleteCluster",
                "UpdateClusterConfig",
                "UpdateClusterVersion",
                "ListUpdates",
                "DescribeUpdate",
                "RegisterCluster",
                "DeregisterCluster",
            )
        },
        **{
            op: (f"eks:{op}", EKS_ARN + "cluster/{clusterName}")
            for op in (
                "CreateNodegroup",
                "ListNodegroups",
                "CreateFargateProfile",
                "ListFargateProfiles",
                "CreateAddon",
                "ListAddons",
                "CreateAccessEntry",
                "ListAccessEntries",
                "CreatePodIdentityAssociation",
                "ListPodIdentityAssociations",
                "AssociateIdentityProviderConfig",
                "ListIdentityProviderConfigs",
                "AssociateEncryptionConfig",
                "CreateCapability",
                "ListCapabilities",
                "ListInsights",
                "DescribeInsight",
                "StartInsightsRefresh",
                "DescribeInsightsRefresh",
            )
        },
        **{
            op: (f"eks:{op}", "{resourceArn}")
            for op in ("TagResource", "UntagResource", "ListTagsForResource")
        },
    },
    "elasticache": {
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "cluster:{CacheClusterId}")
            for op in ("CreateCacheCluster", "DeleteCacheCluster", "ModifyCacheCluster", "RebootCacheCluster")
        },
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "replicationgroup:{ReplicationGroupId}")
            for op in (
                "CreateReplicationGroup",
                "DeleteReplicationGroup",
                "ModifyReplicationGroup",
                "TestFailover",
                "IncreaseReplicaCount",
                "DecreaseReplicaCount",
                "ModifyReplicationGroupShardConfiguration",
                "TestMigration",
            )
        },
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "snapshot:{SnapshotName}")
            for op in ("CreateSnapshot", "DeleteSnapshot")
        },
        "CopySnapshot": ("elasticache:CopySnapshot", ELASTICACHE_ARN + "snapshot:{SourceSnapshotName}"),
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "parametergroup:{CacheParameterGroupName}")
            for op in (
                "CreateCacheParameterGroup",
                "DeleteCacheParameterGroup",
                "ModifyCacheParameterGroup",
                "ResetCacheParameterGroup",
                "DescribeCacheParameters",
            )
        },
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "subnetgroup:{CacheSubnetGroupName}")
            for op in ("CreateCacheSubnetGroup", "DeleteCacheSubnetGroup", "ModifyCacheSubnetGroup")
        },
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "securitygroup:{CacheSecurityGroupName}")
            for op in (
                "CreateCacheSecurityGroup",
                "DeleteCacheSecurityGroup",
                "AuthorizeCacheSecurityGroupIngress",
                "RevokeCacheSecurityGroupIngress",
            )
        },
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "user:{UserId}")
            for op in ("CreateUser", "DeleteUser", "ModifyUser")
        },
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "usergroup:{UserGroupId}")
            for op in ("CreateUserGroup", "DeleteUserGroup", "ModifyUserGroup")
        },
        **{
            op: (f"elasticache:{op}", ELASTICACHE_ARN + "serverlesscache:{ServerlessCacheName}")
            for op in ("CreateServerlessCache", "DeleteServerlessCache", "ModifyServerlessCache")
        },
        **{
            op: (
                f"elasticache:{op}",
                ELASTICACHE_ARN + "serverlesscachesnapshot:{ServerlessCacheSnapshotName}",
            )
            for op in ("DeleteServerlessCacheSnapshot", "ExportServerlessCacheSnapshot")
        },
        **{
            op: (f"elasticache:{op}", "{ResourceName}")
            for op in ("AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource")
        },
    },
    "rds-data": {
        op: (f"rds-data:{op}", "{resourceArn}")
        for op in (
            "ExecuteStatement",
            "BatchExecuteStatement",
            "BeginTransaction",
            "CommitTransaction",
            "RollbackTransaction",
        )
    }
    | {"ExecuteSql": ("rds-data:ExecuteSql", "{dbClusterOrInstanceArn}")},
    "ec2-instance-connect": {
        op: (f"ec2-instance-connect:{op}", "arn:{partition}:ec2:{region}:{account}:instance/{InstanceId}")
        for op in ("SendSSHPublicKey", "SendSerialConsoleSSHPublicKey")
    },
    "ecs": {
        **{
            op: (f"ecs:{op}", ECS_CLUSTER)
            for op in (
                "CreateCluster",
                "DeleteCluster",
                "UpdateCluster",
                "UpdateClusterSettings",
                "PutClusterCapacityProviders",
                "ListServices",
                "ListContainerInstances",
            )
        },
        **{op: (f"ecs:{op}", ECS_SERVICE) for op in ("CreateService", "UpdateService", "DeleteService")},
        **{op: (f"ecs:{op}", ECS_TASK) for op in ("StopTask", "ExecuteCommand")},
        **{op: (f"ecs:{op}", ECS_TASK_DEFINITION) for op in ("RunTask", "StartTask")},
        **{
            op: (f"ecs:{op}", ECS_CAPACITY_PROVIDER)
            for op in ("CreateCapacityProvider", "UpdateCapacityProvider", "DeleteCapacityProvider")
        },
        **{
            op: (f"ecs:{op}", "{resourceArn}")
            for op in ("TagResource", "UntagResource", "ListTagsForResource")
        },
    },
    "cloudfront": {
        **{
            op: (f"cloudfront:{op}", CLOUDFRONT + "distribution/{Id}")
            for op in ("GetDistribution", "GetDistributionConfig", "UpdateDistribution", "DeleteDistribution")
        },
        **{
            op: (f"cloudfront:{op}", CLOUDFRONT + "distribution/{DistributionId}")
            for op in (
                "CreateInvalidation",
                "GetInvalidation",
                "ListInvalidations",
                "CreateMonitoringSubscription",
                "GetMonitoringSubscription",
                "DeleteMonitoringSubscription",
            )
        },
        **{
            op: (f"cloudfront:{op}", CLOUDFRONT + "function/{Name}")
            for op in (
                "CreateFunction",
                "DescribeFunction",
                "GetFunction",
                "UpdateFunction",
                "PublishFunction",
                "TestFunction",
                "DeleteFunction",
            )
        },
        **{
            f"{verb}{kind}": (f"cloudfront:{verb}{kind}", CLOUDFRONT + path + "/{Id}")
            for kind, path in (
                ("CachePolicy", "cache-policy"),
                ("OriginRequestPolicy", "origin-request-policy"),
                ("ResponseHeadersPolicy", "response-headers-policy"),
                ("OriginAccessControl", "origin-access-control"),
            )
            for verb in ("Get", "Update", "Delete")
        },
        **{
            op: (f"cloudfront:{op}", "{Resource}")
            for op in ("TagResource", "UntagResource", "ListTagsForResource")
        },
    },
}


class _RestVerbs(dict):
    """API Gateway's actions are the HTTP verbs of its control plane (`apigateway:GET`,
    `apigateway:POST`, ...) on the resource the request's path names
    (`arn:aws:apigateway:{region}::/apis/{ApiId}/routes/{RouteId}`): filled from the model's
    request URIs the first time it is asked."""

    def __init__(self, service: str, strip: str) -> None:
        super().__init__()
        self.service, self.strip = service, strip

    def get(self, key: Any, default: Any = None) -> Any:
        if not self:
            from overcast import protocols

            model = protocols.service_model(self.service)
            for name in model.operation_names:
                operation = model.operation_model(name)
                path = operation.http["requestUri"].split("?")[0].removeprefix(self.strip)
                for member, shape in operation.input_shape.members.items() if operation.input_shape else ():
                    if shape.serialization.get("location") == "uri":
                        wire = shape.serialization.get("name", member)
                        path = path.replace("{" + wire + "}", "{" + member + "}")
                verb = operation.http["method"]
                # Tagging is authorized on the tagged resource itself.
                template = (
                    "{ResourceArn}"
                    if path.startswith("/tags/")
                    else "arn:{partition}:apigateway:{region}::" + path
                )
                self[name] = (f"apigateway:{verb}", template)
        return super().get(key, default)


TABLES["apigatewayv2"] = _RestVerbs("apigatewayv2", "/v2")
TABLES["apigatewaymanagementapi"] = {
    op: (
        "execute-api:ManageConnections",
        "arn:{partition}:execute-api:{region}:{account}:*/*/*/@connections/{ConnectionId}",
    )
    for op in ("PostToConnection", "GetConnection", "DeleteConnection")
}

#: IAM's service prefix where it differs from the model's signing name.
PREFIXES = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "execute-api": "execute-api",
    "iotdata": "iot",
    "apigateway": "apigateway",
    "cognito-idp": "cognito-idp",
    "es": "es",
    "runtime.sagemaker": "sagemaker",
}


def _queue(params: dict, context: Any) -> dict:
    url = params.get("QueueUrl")
    if url:
        path = urlparse(url).path.strip("/").split("/")
        if len(path) >= 2:
            return {"queue": path[-1], "queue_account": path[-2] if path[-2].isdigit() else context.account}
        return {"queue": path[-1] if path else "", "queue_account": context.account}
    name = params.get("QueueName")
    if name:
        return {"queue": name, "queue_account": params.get("QueueOwnerAWSAccountId") or context.account}
    return {}


def _function(params: dict, context: Any) -> dict:
    name = params.get("FunctionName")
    if not name:
        return {}
    if name.startswith("arn:"):
        parts = name.split(":")
        return {"function": ":".join(parts[6:]) if len(parts) > 6 else "", "function_account": parts[4]}
    parts = name.split(":")
    if len(parts) >= 3 and parts[0].isdigit():  # 123456789012:function:name
        return {"function": ":".join(parts[2:]), "function_account": parts[0]}
    return {"function": name, "function_account": context.account}


def _subscription(params: dict, context: Any) -> dict:
    arn = params.get("SubscriptionArn") or ""
    return {"subscription_topic": arn.rsplit(":", 1)[0] if arn.count(":") >= 6 else arn}


def _table(params: dict, context: Any) -> dict:
    """A TableName given as the table's ARN: the table's own name, account and region."""
    name = params.get("TableName")
    if isinstance(name, str) and name.startswith("arn:"):
        parts = name.split(":", 5)
        if len(parts) == 6 and parts[5].startswith("table/"):
            return {"TableName": parts[5][6:].split("/", 1)[0], "account": parts[4], "region": parts[3]}
    return {}


def _schedule(params: dict, context: Any) -> dict:
    """A schedule's group (default unless named) and the role its target is invoked as."""
    role = (params.get("Target") or {}).get("RoleArn")
    return {"group": params.get("GroupName") or "default", **({"role": role} if role else {})}


def _stream(params: dict, context: Any) -> dict:
    """The stream a Kinesis request names, by StreamName or StreamARN (another account's then)."""
    arn = params.get("StreamARN")
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[5].startswith("stream/"):
            return {"stream": parts[5][7:].split("/", 1)[0], "account": parts[4], "region": parts[3]}
    name = params.get("StreamName")
    return {"stream": name} if isinstance(name, str) else {}


def _registry(params: dict, context: Any) -> dict:
    """An ECR request naming another account's registry (registryId) acts on its repositories."""
    registry = params.get("registryId")
    return {"account": registry} if isinstance(registry, str) and registry else {}


def _ecs(params: dict, context: Any) -> dict:
    """The cluster (by name or ARN; "default" unless named), service, task, task definition and
    capacity provider an ECS request names."""

    def last(value: Any) -> str:
        text = str(value or "")
        return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text

    definition = str(params.get("taskDefinition") or "")
    if definition.startswith("arn:"):
        definition = definition.split("task-definition/", 1)[-1]
    elif definition and ":" not in definition:
        definition += ":*"
    return {
        "ecs_cluster": last(params.get("cluster") or params.get("clusterName")) or "default",
        "ecs_service": last(params.get("service") or params.get("serviceName")),
        "ecs_task": last(params.get("task")),
        "ecs_task_definition": definition,
        "ecs_capacity_provider": last(params.get("capacityProvider") or params.get("name")),
    }


def _auto_scaling_group(params: dict, context: Any) -> dict:
    """The group an Auto Scaling request names; "*" when it names none (ExecutePolicy by ARN)."""
    name = params.get("AutoScalingGroupName")
    return {"asg_group": name} if isinstance(name, str) and name else {"asg_group": "*"}


def _instance(params: dict, context: Any) -> dict:
    """The instance an EC2 request acts on, when it names exactly one."""
    ids = params.get("InstanceIds")
    return {"instance": ids[0]} if isinstance(ids, list) and len(ids) == 1 else {}


DERIVE: dict[str, Callable[[dict, Any], dict]] = {
    "autoscaling": _auto_scaling_group,
    "ec2": _instance,
    "ecr": _registry,
    "ecs": _ecs,
    "kinesis": _stream,
    "sqs": _queue,
    "lambda": _function,
    "sns": _subscription,
    "dynamodb": _table,
    "scheduler": _schedule,
}


#: For a service with no table: the request members that may name the resource acted on by its
#: ARN (a secret of another account, which only its resource policy opens to the caller), and
#: the action each item is checked for when it is not the operation's own (a batch's items are
#: checked for the single-item action, the batch's own action on "*").
ARN_MEMBERS: dict[str, dict[str, str | None]] = {
    "secretsmanager": {"SecretId": None, "SecretIdList": "secretsmanager:GetSecretValue"},
}


def _named_arns(service: str, action: str, params: dict) -> list[tuple[str, str]]:
    """(action, ARN) for each ARN the members ARN_MEMBERS lists name."""
    found = []
    for member, item_action in ARN_MEMBERS.get(service, {}).items():
        value = params.get(member)
        if item_action is not None and value:
            found.append((action, "*"))
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("arn:") and item.count(":") >= 6:
                found.append((item_action or action, item))
    return found


class _Values(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def resolve(
    service: str, prefix: str, operation: str, params: dict, context: Any, partition: str
) -> list[tuple[str, str]] | None:
    """[(action, resource ARN)] to authorize; None when the operation decides for itself."""
    table = TABLES.get(service, {})
    entry = table.get(operation, ...)
    if entry is None:
        return None
    if entry is ...:
        action = f"{PREFIXES.get(prefix, prefix)}:{operation}"
        return _named_arns(service, action, params) or [(action, "*")]
    values = _Values(params)
    values.update(partition=partition, region=context.region, account=context.account)
    derive = DERIVE.get(service)
    if derive is not None:
        values.update(derive(params, context))
    if isinstance(params.get("Path"), str) and operation == "CreatePolicy":
        values["Path"] = params["Path"]
    elif operation == "CreatePolicy":
        values["Path"] = "/"
    entries = entry if isinstance(entry, list) else [entry]
    found = []
    for action, template in entries:
        if "{item}" in template:  # one check per table a batch names
            for item in params.get("RequestItems") or {}:
                if item.startswith("arn:"):  # a table named by its ARN
                    found.append((action, item))
                    continue
                found.append((action, template.replace("{item}", item).format_map(values)))
            continue
        try:
            resource = template.format_map(values)
        except (KeyError, ValueError, IndexError):
            if action == "iam:PassRole":
                continue  # no role handed over in this request
            resource = "*"
        if service == "s3" and params.get("VersionId") and action in _S3_VERSIONED:
            action = _S3_VERSIONED[action]
        found.append((action, resource))
    if service == "s3" and operation in ("CopyObject", "UploadPartCopy"):
        source = params.get("CopySource")
        if isinstance(source, str):
            source = source.lstrip("/").split("?versionId=")[0]
            found.append(("s3:GetObject", f"arn:{partition}:s3:::{source}"))
    return found

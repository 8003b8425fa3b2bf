"""CloudTrail Lake's sample queries, as data for SearchSampleQueries: (name, description, SQL).
Like the console's samples, the SQL names its event data store as $EDS_ID."""

from __future__ import annotations

SAMPLE_QUERIES: tuple[tuple[str, str, str], ...] = (
    (
        "Top APIs by request count",
        "Find the 10 most called APIs, with the number of calls of each.",
        "SELECT eventSource, eventName, COUNT(*) AS apiCount FROM $EDS_ID "
        "GROUP BY eventSource, eventName ORDER BY apiCount DESC LIMIT 10",
    ),
    (
        "Failed API calls by error code",
        "Find API calls that failed, grouped by their error code.",
        "SELECT errorCode, eventSource, eventName, COUNT(*) AS failures FROM $EDS_ID "
        "WHERE errorCode IS NOT NULL GROUP BY errorCode, eventSource, eventName ORDER BY failures DESC",
    ),
    (
        "Access denied events",
        "Find API calls that were denied access, with the identity that made them.",
        "SELECT eventTime, userIdentity.arn, eventSource, eventName, errorMessage FROM $EDS_ID "
        "WHERE errorCode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation') "
        "ORDER BY eventTime DESC",
    ),
    (
        "Activity of a user",
        "Find all API calls made by one IAM user, newest first.",
        "SELECT eventTime, eventSource, eventName, sourceIPAddress FROM $EDS_ID "
        "WHERE userIdentity.userName = 'EXAMPLE_USER' ORDER BY eventTime DESC",
    ),
    (
        "Root user activity",
        "Find API calls made with the account's root user credentials.",
        "SELECT eventTime, eventSource, eventName, sourceIPAddress, userAgent FROM $EDS_ID "
        "WHERE userIdentity.type = 'Root' ORDER BY eventTime DESC",
    ),
    (
        "Console sign-in events",
        "Find AWS Management Console sign-in events and whether they succeeded.",
        "SELECT eventTime, userIdentity.arn, sourceIPAddress, responseElements FROM $EDS_ID "
        "WHERE eventName = 'ConsoleLogin' ORDER BY eventTime DESC",
    ),
    (
        "S3 bucket changes",
        "Find calls that created, deleted or changed the policy of an S3 bucket.",
        "SELECT eventTime, eventName, element_at(requestParameters, 'bucketName') AS bucketName, "
        "userIdentity.arn FROM $EDS_ID WHERE eventSource = 's3.amazonaws.com' AND eventName IN "
        "('CreateBucket', 'DeleteBucket', 'PutBucketPolicy', 'DeleteBucketPolicy') ORDER BY eventTime DESC",
    ),
    (
        "IAM changes",
        "Find write calls to IAM: users, roles, policies and access keys created, changed or deleted.",
        "SELECT eventTime, eventName, userIdentity.arn, requestParameters FROM $EDS_ID "
        "WHERE eventSource = 'iam.amazonaws.com' AND readOnly = false ORDER BY eventTime DESC",
    ),
    (
        "Security group changes",
        "Find calls that opened or changed EC2 security group rules.",
        "SELECT eventTime, eventName, userIdentity.arn, requestParameters FROM $EDS_ID "
        "WHERE eventSource = 'ec2.amazonaws.com' AND eventName LIKE '%SecurityGroup%' ORDER BY eventTime DESC",
    ),
    (
        "CloudTrail configuration changes",
        "Find calls that stopped logging, deleted or changed a trail or event data store.",
        "SELECT eventTime, eventName, userIdentity.arn, requestParameters FROM $EDS_ID "
        "WHERE eventSource = 'cloudtrail.amazonaws.com' AND eventName IN ('StopLogging', 'DeleteTrail', "
        "'UpdateTrail', 'DeleteEventDataStore', 'UpdateEventDataStore', 'StopEventDataStoreIngestion') "
        "ORDER BY eventTime DESC",
    ),
    (
        "API calls by source IP address",
        "Count API calls per source IP address, to find unexpected callers.",
        "SELECT sourceIPAddress, COUNT(*) AS calls FROM $EDS_ID GROUP BY sourceIPAddress ORDER BY calls DESC",
    ),
    (
        "Activity by AWS Region",
        "Count API calls per AWS Region.",
        "SELECT awsRegion, COUNT(*) AS calls FROM $EDS_ID GROUP BY awsRegion ORDER BY calls DESC",
    ),
    (
        "KMS key deletions",
        "Find calls that scheduled the deletion of or disabled a KMS key.",
        "SELECT eventTime, eventName, userIdentity.arn, requestParameters FROM $EDS_ID "
        "WHERE eventSource = 'kms.amazonaws.com' AND eventName IN ('ScheduleKeyDeletion', 'DisableKey') "
        "ORDER BY eventTime DESC",
    ),
    (
        "Role assumptions",
        "Find AssumeRole calls, with the role assumed and the identity that assumed it.",
        "SELECT eventTime, userIdentity.arn, element_at(requestParameters, 'roleArn') AS roleArn FROM $EDS_ID "
        "WHERE eventSource = 'sts.amazonaws.com' AND eventName = 'AssumeRole' ORDER BY eventTime DESC",
    ),
)

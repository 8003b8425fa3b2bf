"""The bucket and topic policies AWS's CloudTrail guide gives: CloudTrail refuses a trail whose
bucket (or SNS topic) does not let cloudtrail.amazonaws.com write to it."""

from __future__ import annotations

import json


def trail_bucket_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AWSCloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": f"arn:aws:s3:::{bucket}",
                },
                {
                    "Sid": "AWSCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                },
            ],
        }
    )


def trail_bucket(s3, bucket: str, **create) -> str:
    """Create `bucket` with the policy a trail needs."""
    s3.create_bucket(Bucket=bucket, **create)
    s3.put_bucket_policy(Bucket=bucket, Policy=trail_bucket_policy(bucket))
    return bucket


def allow_trail_topic(sns, topic_arn: str) -> str:
    """Let CloudTrail publish to the topic (its guide's statement)."""
    sns.set_topic_attributes(
        TopicArn=topic_arn,
        AttributeName="Policy",
        AttributeValue=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AWSCloudTrailSNSPolicy",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "SNS:Publish",
                        "Resource": topic_arn,
                    }
                ],
            }
        ),
    )
    return topic_arn

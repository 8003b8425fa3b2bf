"""The action/resource table enforcement authorizes with, and the enforcement setting."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from overcast.config import from_environment
from overcast.policy import actions

CONTEXT = SimpleNamespace(region="eu-west-1", account="111122223333")


@pytest.mark.parametrize(
    "service, operation, params, expected",
    [
        ("s3", "ListObjectsV2", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("s3", "HeadBucket", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("s3", "GetObject", {"Bucket": "b", "Key": "a/b.txt"}, [("s3:GetObject", "arn:aws:s3:::b/a/b.txt")]),
        (
            "s3",
            "GetObject",
            {"Bucket": "b", "Key": "k", "VersionId": "v1"},
            [("s3:GetObjectVersion", "arn:aws:s3:::b/k")],
        ),
        ("s3", "ListBuckets", {}, [("s3:ListAllMyBuckets", "*")]),
        (
            "dynamodb",
            "GetItem",
            {"TableName": "arn:aws:dynamodb:us-east-1:444455556666:table/orders"},
            [("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:444455556666:table/orders")],
        ),
        (
            "dynamodb",
            "BatchGetItem",
            {"RequestItems": {"arn:aws:dynamodb:us-east-1:444455556666:table/orders": {}, "mine": {}}},
            [
                ("dynamodb:BatchGetItem", "arn:aws:dynamodb:us-east-1:444455556666:table/orders"),
                ("dynamodb:BatchGetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/mine"),
            ],
        ),
        (
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": "arn:aws:secretsmanager:us-east-1:444455556666:secret:db-AbCdEf"},
            [
                (
                    "secretsmanager:GetSecretValue",
                    "arn:aws:secretsmanager:us-east-1:444455556666:secret:db-AbCdEf",
                )
            ],
        ),
        ("secretsmanager", "GetSecretValue", {"SecretId": "db"}, [("secretsmanager:GetSecretValue", "*")]),
        (
            "secretsmanager",
            "BatchGetSecretValue",
            {"SecretIdList": ["arn:aws:secretsmanager:us-east-1:444455556666:secret:db-AbCdEf"]},
            [
                ("secretsmanager:BatchGetSecretValue", "*"),
                (
                    "secretsmanager:GetSecretValue",
                    "arn:aws:secretsmanager:us-east-1:444455556666:secret:db-AbCdEf",
                ),
            ],
        ),
        (
            "s3",
            "CopyObject",
            {"Bucket": "d", "Key": "k", "CopySource": "src/key?versionId=1"},
            [("s3:PutObject", "arn:aws:s3:::d/k"), ("s3:GetObject", "arn:aws:s3:::src/key")],
        ),
        ("s3", "ListObjectVersions", {"Bucket": "b"}, [("s3:ListBucketVersions", "arn:aws:s3:::b")]),
        (
            "sqs",
            "SendMessage",
            {"QueueUrl": "http://localhost:4566/444455556666/q"},
            [("sqs:SendMessage", "arn:aws:sqs:eu-west-1:444455556666:q")],
        ),
        (
            "sqs",
            "SendMessageBatch",
            {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/q"},
            [("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q")],
        ),
        (
            "sqs",
            "CreateQueue",
            {"QueueName": "new"},
            [("sqs:CreateQueue", "arn:aws:sqs:eu-west-1:111122223333:new")],
        ),
        ("sqs", "ListQueues", {}, [("sqs:ListQueues", "*")]),
        (
            "sns",
            "Publish",
            {"TopicArn": "arn:aws:sns:eu-west-1:1:t"},
            [("sns:Publish", "arn:aws:sns:eu-west-1:1:t")],
        ),
        (
            "sns",
            "Unsubscribe",
            {"SubscriptionArn": "arn:aws:sns:eu-west-1:1:t:abc-123"},
            [("sns:Unsubscribe", "arn:aws:sns:eu-west-1:1:t")],
        ),
        (
            "dynamodb",
            "PutItem",
            {"TableName": "t"},
            [("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/t")],
        ),
        (
            "dynamodb",
            "BatchGetItem",
            {"RequestItems": {"a": {}, "b": {}}},
            [
                ("dynamodb:BatchGetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/a"),
                ("dynamodb:BatchGetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/b"),
            ],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "f"},
            [("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:f")],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "arn:aws:lambda:eu-west-1:999988887777:function:f:live"},
            [("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:999988887777:function:f:live")],
        ),
        (
            "lambda",
            "GetFunction",
            {"FunctionName": "999988887777:function:f"},
            [("lambda:GetFunction", "arn:aws:lambda:eu-west-1:999988887777:function:f")],
        ),
        (
            "logs",
            "PutLogEvents",
            {"logGroupName": "/g", "logStreamName": "s"},
            [("logs:PutLogEvents", "arn:aws:logs:eu-west-1:111122223333:log-group:/g:log-stream:s")],
        ),
        (
            "iam",
            "CreateUser",
            {"UserName": "bob"},
            [("iam:CreateUser", "arn:aws:iam::111122223333:user/bob")],
        ),
        (
            "iam",
            "AttachRolePolicy",
            {"RoleName": "r", "PolicyArn": "p"},
            [("iam:AttachRolePolicy", "arn:aws:iam::111122223333:role/r")],
        ),
        ("iam", "ListUsers", {}, [("iam:ListUsers", "*")]),
        ("ec2", "DescribeInstances", {}, [("ec2:DescribeInstances", "*")]),
        ("monitoring", "PutMetricData", {}, [("cloudwatch:PutMetricData", "*")]),
    ],
)
def test_resolve(service, operation, params, expected):
    prefix = "monitoring" if service == "monitoring" else service
    assert actions.resolve(service, prefix, operation, params, CONTEXT, "aws") == expected


def test_operations_that_decide_for_themselves():
    for operation in ("AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetCallerIdentity"):
        assert actions.resolve("sts", "sts", operation, {}, CONTEXT, "aws") is None


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, False),
        ({"ENFORCE_IAM": "1"}, True),
        ({"OVERCAST_ENFORCE_IAM": "true"}, True),
        ({"ENFORCE_IAM": "0"}, False),
    ],
)
def test_enforcement_setting(environ, expected):
    assert from_environment(environ).enforce_iam is expected


def test_cli_flag():
    from overcast.cli import build_parser

    assert build_parser().parse_args(["start", "--enforce-iam"]).enforce_iam is True

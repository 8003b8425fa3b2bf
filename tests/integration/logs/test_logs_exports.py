"""Export tasks through boto3: a group's events land in S3 as AWS lays them out."""

from __future__ import annotations

import gzip
import json
import time
import uuid

import pytest


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def logs(client):
    return client("logs")


@pytest.fixture
def s3(client):
    return client("s3")


def export_bucket(s3, name: str) -> str:
    """A bucket whose policy lets CloudWatch Logs export to it, as AWS's guide sets it up."""
    s3.create_bucket(Bucket=name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{name}",
                "Condition": {"StringEquals": {"aws:SourceAccount": ["000000000000"]}},
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{name}/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            },
        ],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name


def finished(logs, task_id):
    for _ in range(50):
        [task] = logs.describe_export_tasks(taskId=task_id)["exportTasks"]
        if task["status"]["code"] not in ("PENDING", "RUNNING"):
            return task
        time.sleep(0.1)
    raise AssertionError("export never finished")


def test_export_writes_streams_in_range(logs, s3):
    group, bucket = f"/export/{unique('g')}", export_bucket(s3, unique("export-bucket"))
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    for stream in ("app-1", "app-2", "other"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[
                {"timestamp": now - 5000, "message": f"{stream} early"},
                {"timestamp": now - 1000, "message": f"{stream} late"},
            ],
        )
    task_id = logs.create_export_task(
        taskName="nightly", logGroupName=group, fromTime=now - 2000, to=now, destination=bucket,
        destinationPrefix="out", logStreamNamePrefix="app-",
    )["taskId"]  # fmt: skip
    task = finished(logs, task_id)
    assert task["status"] == {"code": "COMPLETED", "message": "Completed successfully"}
    assert task["destinationPrefix"] == "out" and task["taskName"] == "nightly"
    assert task["executionInfo"]["completionTime"] >= task["executionInfo"]["creationTime"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {
        "out/aws-logs-write-test",
        f"out/{task_id}/app-1/000000.gz",
        f"out/{task_id}/app-2/000000.gz",
    }
    body = gzip.decompress(s3.get_object(Bucket=bucket, Key=f"out/{task_id}/app-1/000000.gz")["Body"].read())
    [line] = body.decode().splitlines()
    assert line.endswith("Z app-1 late") and line[:4].isdigit() and line[10] == "T"
    assert logs.describe_export_tasks(statusCode="COMPLETED")["exportTasks"]
    with pytest.raises(logs.exceptions.InvalidOperationException) as error:
        logs.cancel_export_task(taskId=task_id)
    assert error.value.response["Error"]["Message"] == "The specified export task has already finished"
    # Without a prefix the permission check lands at the bucket's root, the events under exportedlogs/.
    second = logs.create_export_task(logGroupName=group, fromTime=now - 2000, to=now, destination=bucket)[
        "taskId"
    ]
    assert (
        s3.get_object(Bucket=bucket, Key="aws-logs-write-test")["Body"].read()
        == b"Permission Check Successful"
    )
    assert finished(logs, second)["destinationPrefix"] == "exportedlogs"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="exportedlogs/")["Contents"]}
    assert keys == {f"exportedlogs/{second}/{name}/000000.gz" for name in ("app-1", "app-2", "other")}


def test_export_errors(logs, s3):
    group = f"/export/{unique('g')}"
    logs.create_log_group(logGroupName=group)
    with pytest.raises(logs.exceptions.InvalidParameterException) as error:
        logs.create_export_task(logGroupName=group, fromTime=0, to=1, destination=unique("no-such-bucket"))
    assert error.value.response["Error"]["Message"] == (
        "The given bucket does not exist. Please make sure the bucket is valid."
    )
    private = unique("private-bucket")
    s3.create_bucket(Bucket=private)
    with pytest.raises(logs.exceptions.InvalidParameterException) as error:
        logs.create_export_task(logGroupName=group, fromTime=0, to=1, destination=private)
    assert error.value.response["Error"]["Message"].startswith(
        "GetBucketAcl call on the given bucket failed."
    )
    bucket = export_bucket(s3, unique("export-bucket"))
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.create_export_task(logGroupName=unique("/missing"), fromTime=0, to=1, destination=bucket)
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_export_task(logGroupName=group, fromTime=10, to=1, destination=bucket)
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as error:
        logs.cancel_export_task(taskId=str(uuid.uuid4()))
    assert error.value.response["Error"]["Message"] == "The specified export task does not exist."
    assert logs.describe_export_tasks(taskId=str(uuid.uuid4()))["exportTasks"] == []

"""Bulk operations through boto3: items read from S3 are put into an existing table in the
background, failures counted and reported to the output bucket."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table, unique


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def settle(ddb, arn: str) -> dict:
    for _ in range(200):
        found = ddb.describe_bulk_operation(BulkOperationArn=arn)["BulkOperationDescription"]
        if found["BulkOperationStatus"] not in ("IN_PROGRESS", "CANCELLING"):
            return found
        time.sleep(0.05)
    raise AssertionError("still in progress")


def test_bulk_put_items(client, ddb):
    s3 = client("s3")
    bucket = unique("bulk")
    s3.create_bucket(Bucket=bucket)
    lines = [json.dumps({"Item": {"pk": {"S": f"k{i}"}, "n": {"N": str(i)}}}) for i in range(7)]
    lines.append(json.dumps({"Item": {"n": {"N": "1"}}}))  # no key: fails
    s3.put_object(Bucket=bucket, Key="in/part1.json.gz", Body=gzip.compress("\n".join(lines).encode()))
    table = make_table(ddb, range_key=None)
    started = ddb.start_bulk_put_items(
        TableName=table,
        InputS3Configuration={
            "S3Bucket": bucket, "S3KeyPrefix": "in/", "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"
        },
        OutputS3Configuration={"S3Bucket": bucket, "S3KeyPrefix": "out", "OutputType": ["ERROR"]},
    )["BulkOperationDescription"]  # fmt: skip
    assert started["BulkOperationStatus"] == "IN_PROGRESS"
    assert started["TableDetails"][0]["TableName"] == table
    done = settle(ddb, started["BulkOperationArn"])
    assert done["BulkOperationStatus"] == "COMPLETED_WITH_ERRORS"
    assert (done["ProcessedItemCount"], done["FailedItemCount"]) == (8, 1)
    assert done["BulkOperationUsage"][0]["BulkPutBytes"] > 0
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 7
    operation_id = started["BulkOperationArn"].rsplit("/", 1)[1]
    report = s3.get_object(Bucket=bucket, Key=f"out/{operation_id}/errors.json")["Body"].read().decode()
    assert json.loads(report.splitlines()[0])["ErrorCode"] == "ValidationException"
    listed = ddb.list_bulk_operations()["BulkOperationsSummaryList"]
    assert started["BulkOperationArn"] in [o["BulkOperationArn"] for o in listed]
    # Cancelling a finished operation changes nothing.
    cancelled = ddb.cancel_bulk_operation(BulkOperationArn=started["BulkOperationArn"])
    assert cancelled["BulkOperationStatus"] == "COMPLETED_WITH_ERRORS"


def test_bulk_errors(ddb):
    table = make_table(ddb, range_key=None)
    config = {"S3Bucket": unique("nobucket"), "InputFormat": "DYNAMODB_JSON"}
    started = ddb.start_bulk_put_items(
        TableName=table,
        InputS3Configuration=config,
        OutputS3Configuration={"S3Bucket": config["S3Bucket"], "OutputType": ["ERROR"]},
    )["BulkOperationDescription"]
    failed = settle(ddb, started["BulkOperationArn"])
    assert failed["BulkOperationStatus"] == "FAILED" and failed["FailureCode"] == "S3NoSuchBucket"
    assert (
        error_of(
            ddb.start_bulk_put_items,
            TableName=table + "-missing",
            InputS3Configuration=config,
            OutputS3Configuration={"S3Bucket": config["S3Bucket"], "OutputType": ["ERROR"]},
        )[0]
        == "ResourceNotFoundException"
    )
    arn = started["BulkOperationArn"] + "0"
    assert error_of(ddb.describe_bulk_operation, BulkOperationArn=arn)[0] == "ResourceNotFoundException"


def test_listing_pages(ddb):
    table = make_table(ddb, range_key=None)
    config = {"S3Bucket": unique("nobucket"), "InputFormat": "DYNAMODB_JSON"}
    for _ in range(3):
        arn = ddb.start_bulk_put_items(
            TableName=table,
            InputS3Configuration=config,
            OutputS3Configuration={"S3Bucket": config["S3Bucket"], "OutputType": ["ERROR"]},
        )["BulkOperationDescription"]["BulkOperationArn"]
        settle(ddb, arn)
    first = ddb.list_bulk_operations(MaxResults=2)
    assert len(first["BulkOperationsSummaryList"]) == 2
    rest = ddb.list_bulk_operations(MaxResults=25, NextToken=first["NextToken"])
    assert rest["BulkOperationsSummaryList"]
    assert error_of(ddb.list_bulk_operations, NextToken="00" * 16)[0] == "ValidationException"

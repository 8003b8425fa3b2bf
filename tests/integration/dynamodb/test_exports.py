"""Exports to S3 and imports from S3 through boto3: the files land in the bucket laid out as
AWS lays them out, and an import of them (DynamoDB JSON, Ion, CSV; plain or compressed) makes a
real table of their items."""

from __future__ import annotations

import gzip
import json
import time

import pytest
import zstandard
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table, unique


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def s3(client):
    return client("s3")


def wait(describe, key: str, **kwargs) -> dict:
    for _ in range(200):
        found = describe(**kwargs)[key]
        status = found.get("ExportStatus") or found.get("ImportStatus")
        if status != "IN_PROGRESS":
            return found
        time.sleep(0.05)
    raise AssertionError("still in progress")


def creation(name: str) -> dict:
    return {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def items_of(ddb, name: str) -> dict:
    return {i["pk"]["S"]: i for i in ddb.scan(TableName=name)["Items"]}


@pytest.mark.parametrize("fmt", ["DYNAMODB_JSON", "ION"])
def test_export_then_import_round_trip(ddb, s3, fmt):
    table = make_table(ddb, range_key=None)
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    written = {
        f"k{i}": {"pk": {"S": f"k{i}"}, "n": {"N": str(i)}, "b": {"B": b"\x00\x01"}, "ss": {"SS": ["a", "b"]},
                  "m": {"M": {"l": {"L": [{"BOOL": True}, {"NULL": True}]}}}}
        for i in range(5)
    }  # fmt: skip
    for item in written.values():
        ddb.put_item(TableName=table, Item=item)
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    started = ddb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, S3Prefix="exports", ExportFormat=fmt
    )["ExportDescription"]
    assert started["ExportStatus"] == "IN_PROGRESS" and started["ExportArn"].startswith(arn + "/export/")
    done = wait(ddb.describe_export, "ExportDescription", ExportArn=started["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == 5
    export_id = started["ExportArn"].rsplit("/", 1)[1]
    base = f"exports/AWSDynamoDB/{export_id}"
    assert done["ExportManifest"] == f"{base}/manifest-summary.json"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert {f"{base}/manifest-summary.json", f"{base}/manifest-files.json", f"{base}/_started"} <= set(keys)
    summary = json.loads(s3.get_object(Bucket=bucket, Key=done["ExportManifest"])["Body"].read())
    assert (
        summary["itemCount"] == 5
        and summary["outputFormat"] == fmt
        and summary["exportArn"] == started["ExportArn"]
    )
    files = [
        json.loads(line)
        for line in s3.get_object(Bucket=bucket, Key=summary["manifestFilesS3Key"])["Body"]
        .read()
        .splitlines()
    ]
    data_key = files[0]["dataFileS3Key"]
    assert data_key.startswith(f"{base}/data/") and data_key.endswith(
        ".ion.gz" if fmt == "ION" else ".json.gz"
    )
    text = gzip.decompress(s3.get_object(Bucket=bucket, Key=data_key)["Body"].read()).decode()
    assert len(text.splitlines()) == 5
    if fmt == "DYNAMODB_JSON":
        assert json.loads(text.splitlines()[0])["Item"]["pk"]["S"].startswith("k")
    else:
        assert text.startswith("$ion_1_0 {Item:{")
    assert ddb.list_exports(TableArn=arn)["ExportSummaries"] == [
        {"ExportArn": started["ExportArn"], "ExportStatus": "COMPLETED", "ExportType": "FULL_EXPORT"}
    ]

    target = unique()
    imported = ddb.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": f"{base}/data/"},
        InputFormat=fmt,
        InputCompressionType="GZIP",
        TableCreationParameters=creation(target),
    )["ImportTableDescription"]
    assert imported["ImportStatus"] == "IN_PROGRESS"
    finished = wait(ddb.describe_import, "ImportTableDescription", ImportArn=imported["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED"
    assert finished["ImportedItemCount"] == 5 and finished["ErrorCount"] == 0
    assert items_of(ddb, target) == written
    assert ddb.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE"
    listed = ddb.list_imports(TableArn=finished["TableArn"])["ImportSummaryList"]
    assert [i["ImportArn"] for i in listed] == [imported["ImportArn"]]


def test_export_errors(ddb, s3):
    table = make_table(ddb, range_key=None)
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    assert error_of(ddb.export_table_to_point_in_time, TableArn=arn, S3Bucket="b") == (
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{table}'",
    )
    missing = arn + "-missing"
    assert error_of(ddb.export_table_to_point_in_time, TableArn=missing, S3Bucket="b") == (
        "TableNotFoundException",
        f"Table not found: {missing}",
    )
    ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=unique("no-such"))["ExportDescription"]
    failed = wait(ddb.describe_export, "ExportDescription", ExportArn=started["ExportArn"])
    assert failed["ExportStatus"] == "FAILED" and failed["FailureCode"] == "S3NoSuchBucket"
    assert "The specified bucket does not exist" in failed["FailureMessage"]
    assert error_of(ddb.describe_export, ExportArn=started["ExportArn"] + "x")[0] == "ExportNotFoundException"


def test_imports_of_csv_zstd_and_bad_lines(ddb, s3):
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="csv/one.csv", Body=b"pk,colour,size\nk1,red,3\nk2,,4\n")
    csv_table = unique()
    started = ddb.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "csv/"},
        InputFormat="CSV",
        TableCreationParameters=creation(csv_table),
    )["ImportTableDescription"]
    done = wait(ddb.describe_import, "ImportTableDescription", ImportArn=started["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED" and done["ImportedItemCount"] == 2
    assert items_of(ddb, csv_table) == {
        "k1": {"pk": {"S": "k1"}, "colour": {"S": "red"}, "size": {"S": "3"}},
        "k2": {"pk": {"S": "k2"}, "size": {"S": "4"}},
    }

    lines = json.dumps({"Item": {"pk": {"S": "z1"}}}) + "\n" + json.dumps({"pk": {"S": "bad"}}) + "\n"
    s3.put_object(
        Bucket=bucket, Key="zstd/data.json.zst", Body=zstandard.ZstdCompressor().compress(lines.encode())
    )
    mixed = unique()
    started = ddb.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "zstd/"},
        InputFormat="DYNAMODB_JSON",
        InputCompressionType="ZSTD",
        TableCreationParameters=creation(mixed),
    )["ImportTableDescription"]
    done = wait(ddb.describe_import, "ImportTableDescription", ImportArn=started["ImportArn"])
    assert done["ImportStatus"] == "FAILED"
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (2, 1, 1)
    assert list(items_of(ddb, mixed)) == ["z1"]

    gone = unique()
    started = ddb.import_table(
        S3BucketSource={"S3Bucket": unique("no-such")},
        InputFormat="DYNAMODB_JSON",
        TableCreationParameters=creation(gone),
    )["ImportTableDescription"]
    done = wait(ddb.describe_import, "ImportTableDescription", ImportArn=started["ImportArn"])
    assert done["ImportStatus"] == "FAILED" and done["FailureCode"] == "S3NoSuchBucket"
    assert gone not in ddb.list_tables()["TableNames"]
    assert error_of(
        ddb.import_table,
        S3BucketSource={"S3Bucket": bucket},
        InputFormat="DYNAMODB_JSON",
        TableCreationParameters={**creation(unique()), "BillingMode": "PROVISIONED"},
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be"
        " specified when BillingMode is PROVISIONED",
    )

"""Snapshot exports to S3: the snapshot's tables as Parquet files in the bucket."""

from __future__ import annotations

import io
import time

import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from tests.integration.rds.conftest import pg, unique

ROLE = "arn:aws:iam::123456789012:role/export"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def wait_export(rds, identifier: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        task = rds.describe_export_tasks(ExportTaskIdentifier=identifier)["ExportTasks"][0]
        if task["Status"] in ("COMPLETE", "FAILED", "CANCELED"):
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.2)


def code(error: pytest.ExceptionInfo) -> str:
    return str(error.value.response["Error"]["Code"])


def test_a_snapshot_exports_its_tables_as_parquet(rds, client, postgres):
    s3 = client("s3")
    bucket = unique("exports")
    s3.create_bucket(Bucket=bucket)
    conn = pg(postgres)
    conn.run("CREATE SCHEMA IF NOT EXISTS sales")
    conn.run("DROP TABLE IF EXISTS sales.orders")
    conn.run("CREATE TABLE sales.orders (id bigint, item text, price double precision, paid boolean)")
    conn.run(
        "INSERT INTO sales.orders VALUES (1, 'lamp', 19.5, true), (2, NULL, 3.25, false), (3, 'desk', NULL, NULL)"
    )
    conn.run("CREATE TABLE IF NOT EXISTS public.notes (body text)")
    conn.close()
    snapshot = unique("snap")
    arn = rds.create_db_snapshot(
        DBSnapshotIdentifier=snapshot, DBInstanceIdentifier=postgres["DBInstanceIdentifier"]
    )["DBSnapshot"]["DBSnapshotArn"]
    rds.get_waiter("db_snapshot_available").wait(
        DBSnapshotIdentifier=snapshot, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    task_id = unique("export")
    started = rds.start_export_task(
        ExportTaskIdentifier=task_id, SourceArn=arn, S3BucketName=bucket, S3Prefix="out",
        IamRoleArn=ROLE, KmsKeyId=KEY, ExportOnly=["myapp.sales"],
    )  # fmt: skip
    assert started["Status"] == "STARTING" and started["SourceType"] == "SNAPSHOT"
    with pytest.raises(ClientError) as error:
        rds.start_export_task(
            ExportTaskIdentifier=task_id, SourceArn=arn, S3BucketName=bucket, IamRoleArn=ROLE, KmsKeyId=KEY
        )
    assert code(error) == "ExportTaskAlreadyExists"
    task = wait_export(rds, task_id)
    assert task["Status"] == "COMPLETE" and task["PercentProgress"] == 100, task
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"out/{task_id}/")["Contents"]]
    parts = [k for k in keys if k.endswith(".parquet")]
    assert len(parts) == 1 and parts[0].startswith(f"out/{task_id}/myapp/sales.orders/1/part-00000-")
    assert f"out/{task_id}/export_info_{task_id}.json" in keys
    body = s3.get_object(Bucket=bucket, Key=parts[0])["Body"].read()
    table = pq.read_table(io.BytesIO(body))
    assert table.to_pylist() == [
        {"id": 1, "item": "lamp", "price": 19.5, "paid": True},
        {"id": 2, "item": None, "price": 3.25, "paid": False},
        {"id": 3, "item": "desk", "price": None, "paid": None},
    ]
    with pytest.raises(ClientError) as error:
        rds.cancel_export_task(ExportTaskIdentifier=task_id)
    assert code(error) == "InvalidExportTaskStateFault"
    listed = rds.describe_export_tasks(Filters=[{"Name": "status", "Values": ["complete"]}])["ExportTasks"]
    assert task_id in [t["ExportTaskIdentifier"] for t in listed]


def test_an_export_is_refused_without_a_bucket_or_a_snapshot(rds):
    arn = "arn:aws:rds:us-east-1:000000000000:snapshot:no-such-snapshot"
    with pytest.raises(ClientError) as error:
        rds.start_export_task(
            ExportTaskIdentifier=unique("export"),
            SourceArn=arn,
            S3BucketName="b",
            IamRoleArn=ROLE,
            KmsKeyId=KEY,
        )
    assert code(error) == "DBSnapshotNotFound"
    with pytest.raises(ClientError) as error:
        rds.describe_export_tasks(ExportTaskIdentifier="no-such-export")
    assert code(error) == "ExportTaskNotFound"
    with pytest.raises(ClientError) as error:
        rds.cancel_export_task(ExportTaskIdentifier="no-such-export")
    assert code(error) == "ExportTaskNotFound"


def test_an_export_to_a_missing_bucket_is_refused(rds, postgres):
    snapshot = unique("snap")
    arn = rds.create_db_snapshot(
        DBSnapshotIdentifier=snapshot, DBInstanceIdentifier=postgres["DBInstanceIdentifier"]
    )["DBSnapshot"]["DBSnapshotArn"]
    rds.get_waiter("db_snapshot_available").wait(
        DBSnapshotIdentifier=snapshot, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    with pytest.raises(ClientError) as error:
        rds.start_export_task(
            ExportTaskIdentifier=unique("export"), SourceArn=arn, S3BucketName=unique("missing"),
            IamRoleArn=ROLE, KmsKeyId=KEY,
        )  # fmt: skip
    assert code(error) == "InvalidS3BucketFault"


def test_a_mysql_snapshot_exports_database_dot_table(rds, client):
    import pymysql

    s3 = client("s3")
    bucket = unique("exports")
    s3.create_bucket(Bucket=bucket)
    identifier = unique("shop")
    rds.create_db_instance(
        DBInstanceIdentifier=identifier, DBInstanceClass="db.t3.micro", Engine="mysql", EngineVersion="8.0",
        MasterUsername="admin", MasterUserPassword="supersecret", DBName="shop", BackupRetentionPeriod=0,
    )  # fmt: skip
    try:
        from tests.integration.rds.conftest import wait_status

        instance = wait_status(rds, identifier)
        with (
            pymysql.connect(
                host=instance["Endpoint"]["Address"], port=instance["Endpoint"]["Port"], user="admin",
                password="supersecret", database="shop", autocommit=True,
            ) as db,
            db.cursor() as cursor,
        ):  # fmt: skip
            cursor.execute("CREATE TABLE items (id int, name varchar(20), photo blob)")
            cursor.execute("INSERT INTO items VALUES (1, 'lamp', x'0102'), (2, NULL, NULL)")
        snapshot = unique("snap")
        arn = rds.create_db_snapshot(DBSnapshotIdentifier=snapshot, DBInstanceIdentifier=identifier)[
            "DBSnapshot"
        ]["DBSnapshotArn"]
        rds.get_waiter("db_snapshot_available").wait(
            DBSnapshotIdentifier=snapshot, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        task_id = unique("export")
        rds.start_export_task(
            ExportTaskIdentifier=task_id, SourceArn=arn, S3BucketName=bucket, IamRoleArn=ROLE, KmsKeyId=KEY
        )
        task = wait_export(rds, task_id)
        assert task["Status"] == "COMPLETE", task
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{task_id}/shop/")["Contents"]]
        assert len(keys) == 1 and keys[0].startswith(f"{task_id}/shop/shop.items/1/part-00000-")
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()))
        assert table.to_pylist() == [
            {"id": 1, "name": "lamp", "photo": b"\x01\x02"},
            {"id": 2, "name": None, "photo": None},
        ]
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)

"""On-demand backups and point-in-time recovery through boto3: backups hold the items of the
moment they were taken, restores make real tables (with their indexes) from them, and a
point-in-time restore gives the table as it was at the requested time."""

from __future__ import annotations

import datetime
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.integration.dynamodb.helpers import make_table, unique


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def put(ddb, table: str, pk: str, value: str = "v", **extra) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "s"}, "v": {"S": value}, **extra})


def keys_of(ddb, table: str) -> list[str]:
    return sorted(i["pk"]["S"] for i in ddb.scan(TableName=table)["Items"])


def test_backup_lifecycle_and_restore(ddb):
    gsi = {
        "IndexName": "byV",
        "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    table = make_table(
        ddb, ExtraAttributes=[{"AttributeName": "v", "AttributeType": "S"}], GlobalSecondaryIndexes=[gsi]
    )
    for i in range(5):
        put(ddb, table, f"k{i}", "even" if i % 2 == 0 else "odd")
    details = ddb.create_backup(TableName=table, BackupName="first")["BackupDetails"]
    assert details["BackupName"] == "first" and details["BackupType"] == "USER"
    assert details["BackupStatus"] == "CREATING"
    arn = details["BackupArn"]
    assert arn.startswith(ddb.describe_table(TableName=table)["Table"]["TableArn"] + "/backup/")
    put(ddb, table, "later")  # after the backup: not in it
    described = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert described["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert described["SourceTableDetails"]["TableName"] == table
    assert described["SourceTableDetails"]["ItemCount"] == 5
    assert described["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"][0]["IndexName"] == "byV"
    listed = ddb.list_backups(TableName=table)["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [arn]
    assert listed[0]["TableName"] == table and listed[0]["BackupStatus"] == "AVAILABLE"

    target = unique()
    restored = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)["TableDescription"]
    assert restored["TableName"] == target and restored["ItemCount"] == 5
    assert restored["RestoreSummary"]["SourceBackupArn"] == arn
    assert restored["RestoreSummary"]["RestoreInProgress"] is False
    assert keys_of(ddb, target) == [f"k{i}" for i in range(5)]
    evens = ddb.query(
        TableName=target,
        IndexName="byV",
        KeyConditionExpression="v = :v",
        ExpressionAttributeValues={":v": {"S": "even"}},
    )["Items"]
    assert sorted(i["pk"]["S"] for i in evens) == ["k0", "k2", "k4"]
    # The copies are independent.
    put(ddb, target, "only-in-target")
    assert "only-in-target" not in keys_of(ddb, table)

    assert error_of(ddb.restore_table_from_backup, TargetTableName=target, BackupArn=arn) == (
        "TableAlreadyExistsException",
        f"Table already exists: {target}",
    )
    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    assert error_of(ddb.describe_backup, BackupArn=arn) == (
        "BackupNotFoundException",
        f"Backup not found: {arn}",
    )
    assert ddb.list_backups(TableName=table)["BackupSummaries"] == []


def test_backup_errors_and_listing_pages(ddb):
    missing = unique()
    assert error_of(ddb.create_backup, TableName=missing, BackupName="bkp") == (
        "TableNotFoundException",
        f"Table not found: {missing}",
    )
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/x/backup/01234567890123-abcdef12"
    assert error_of(ddb.delete_backup, BackupArn=arn)[0] == "BackupNotFoundException"
    assert error_of(ddb.restore_table_from_backup, TargetTableName=unique(), BackupArn=arn)[0] == (
        "BackupNotFoundException"
    )
    table = make_table(ddb)
    arns = [
        ddb.create_backup(TableName=table, BackupName=f"bkp{i}")["BackupDetails"]["BackupArn"]
        for i in range(3)
    ]
    page = ddb.list_backups(TableName=table, Limit=2)
    assert len(page["BackupSummaries"]) == 2
    rest = ddb.list_backups(TableName=table, ExclusiveStartBackupArn=page["LastEvaluatedBackupArn"])
    assert sorted(b["BackupArn"] for b in page["BackupSummaries"] + rest["BackupSummaries"]) == sorted(arns)
    assert ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"] == []


def test_point_in_time_restore(ddb):
    table = make_table(ddb)
    target = unique()
    assert error_of(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target) == (
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{table}'",
    )
    missing = unique()
    assert error_of(ddb.restore_table_to_point_in_time, SourceTableName=missing, TargetTableName=target) == (
        "SourceTableNotFoundException",
        f"Source table not found: {missing}",
    )
    put(ddb, table, "before-pitr")
    ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    put(ddb, table, "a", "old")
    put(ddb, table, "b")
    time.sleep(0.05)
    moment = datetime.datetime.now(datetime.UTC)
    time.sleep(0.05)
    put(ddb, table, "a", "new")
    ddb.delete_item(TableName=table, Key={"pk": {"S": "b"}, "sk": {"S": "s"}})
    put(ddb, table, "c")
    window = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    earliest = window["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
    assert earliest <= moment
    # AWS restores up to about five minutes before now: a just-written change is after the latest time.
    code, message = error_of(
        ddb.restore_table_to_point_in_time,
        SourceTableName=table,
        TargetTableName=target,
        RestoreDateTime=moment + datetime.timedelta(hours=1),
    )
    assert code == "InvalidRestoreTimeException"
    assert message == (
        "Only RestoreDateTime between EarliestRestorableDateTime and LatestRestorableDateTime is allowed"
    )
    restored = ddb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=target, UseLatestRestorableTime=True
    )["TableDescription"]
    assert restored["RestoreSummary"]["SourceTableArn"].endswith(f":table/{table}")
    # The latest restorable time is when recovery began here (under five minutes ago).
    assert keys_of(ddb, target) == ["before-pitr"]
    assert error_of(
        ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=target,
        UseLatestRestorableTime=True,
    ) == ("TableAlreadyExistsException", f"Table already exists: {target}")  # fmt: skip


def test_point_in_time_restore_rewinds_each_change():
    """With no lag on the latest restorable time, a restore to a moment between writes."""
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_DYNAMODB_PITR_LAG_SECONDS": "0"})
    try:
        ddb = boto3.client(
            "dynamodb",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        table = make_table(ddb)
        ddb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        put(ddb, table, "a", "old")
        put(ddb, table, "b")
        time.sleep(0.05)
        moment = datetime.datetime.now(datetime.UTC)
        time.sleep(0.05)
        put(ddb, table, "a", "new")
        ddb.delete_item(TableName=table, Key={"pk": {"S": "b"}, "sk": {"S": "s"}})
        put(ddb, table, "c")
        target = unique()
        ddb.restore_table_to_point_in_time(
            SourceTableName=table, TargetTableName=target, RestoreDateTime=moment
        )
        items = {i["pk"]["S"]: i["v"]["S"] for i in ddb.scan(TableName=target)["Items"]}
        assert items == {"a": "old", "b": "v"}
        latest = unique()
        ddb.restore_table_to_point_in_time(
            SourceTableName=table, TargetTableName=latest, UseLatestRestorableTime=True
        )
        assert {i["pk"]["S"]: i["v"]["S"] for i in ddb.scan(TableName=latest)["Items"]} == {
            "a": "new",
            "c": "v",
        }
        # Turning recovery off forgets the history: the earliest time moves up to the next enabling.
        ddb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
        )
        code, _ = error_of(
            ddb.restore_table_to_point_in_time,
            SourceTableName=table,
            TargetTableName=unique(),
            RestoreDateTime=moment,
        )
        assert code == "PointInTimeRecoveryUnavailableException"
    finally:
        server.stop()


def test_a_table_deleted_with_recovery_on_leaves_a_system_backup(ddb):
    table = make_table(ddb)
    ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    put(ddb, table, "kept")
    ddb.delete_table(TableName=table)
    system = ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"]
    assert [b["BackupName"] for b in system] == [f"{table}$DeletedTableBackup"]
    assert system[0]["BackupType"] == "SYSTEM"
    assert (system[0]["BackupExpiryDateTime"] - system[0]["BackupCreationDateTime"]).days == 35
    assert ddb.list_backups(TableName=table, BackupType="USER")["BackupSummaries"] == []
    target = unique()
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=system[0]["BackupArn"])
    assert keys_of(ddb, target) == ["kept"]
    # Without recovery, a deleted table leaves nothing behind.
    plain = make_table(ddb)
    ddb.delete_table(TableName=plain)
    assert ddb.list_backups(TableName=plain)["BackupSummaries"] == []

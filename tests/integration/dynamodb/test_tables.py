"""DynamoDB's control plane through boto3: tables, indexes, settings, tags, limits."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table, unique


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_create_describe_wait_delete(ddb):
    name = unique()
    created = ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        Tags=[{"Key": "env", "Value": "test"}],
    )["TableDescription"]
    assert created["TableStatus"] == "CREATING"
    assert created["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    # AWS omits the billing and class summaries of a provisioned table of the default class,
    # and reports its capacity as its warm throughput.
    assert "BillingModeSummary" not in table
    assert table["ItemCount"] == 0
    assert "TableClassSummary" not in table
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 7, "Status": "ACTIVE"}
    assert "WarmThroughput" not in created
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [
        {"Key": "env", "Value": "test"}
    ]
    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING" and "WarmThroughput" not in deleted
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    code, message = error_of(ddb.describe_table, TableName=name)
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Table: {name} not found",
    )


def test_create_errors(ddb):
    name = make_table(ddb)
    base = {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    assert error_of(ddb.create_table, TableName=name, **base) == (
        "ResourceInUseException",
        f"Table already exists: {name}",
    )
    assert error_of(ddb.create_table, TableName=unique(), **{**base, "BillingMode": "PROVISIONED"}) == (
        "ValidationException",
        "No provisioned throughput specified for the table",
    )
    assert error_of(
        ddb.create_table,
        TableName=unique(),
        **base,
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor"
        " WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    )
    assert error_of(
        ddb.create_table,
        TableName=unique(),
        **{
            **base,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "x", "AttributeType": "S"},
            ],
        },
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: Some AttributeDefinitions are not used."
        " AttributeDefinitions: [pk, x], keys used: [pk]",
    )
    assert error_of(
        ddb.create_table,
        TableName=unique(),
        **{**base, "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]},
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: Some index key attributes are not defined"
        " in AttributeDefinitions. Keys: [id], AttributeDefinitions: [pk]",
    )
    assert error_of(
        ddb.create_table,
        TableName=unique(),
        **{**base, "KeySchema": [{"AttributeName": "pk", "KeyType": "RANGE"}]},
    ) == ("ValidationException", "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    code, message = error_of(ddb.create_table, TableName="bad name!", **base)
    assert code == "ValidationException" and "failed to satisfy constraint" in message
    code, message = error_of(ddb.create_table, TableName="ab", **base)
    assert message == (
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint:"
        " Member must have length greater than or equal to 3"
    )


def test_list_tables_pagination(ddb):
    names = sorted(make_table(ddb, TableName=f"page-{i}-{unique()}") for i in range(5))
    seen = []
    start = None
    while True:
        kwargs = {"Limit": 2}
        if start:
            kwargs["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**kwargs)
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
    assert seen == sorted(seen)
    assert set(names) <= set(seen)
    assert set(names) <= set(n for p in ddb.get_paginator("list_tables").paginate() for n in p["TableNames"])


def test_indexes_and_projections(ddb):
    name = make_table(
        ddb,
        ExtraAttributes=[
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "l", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["keep"]},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "byL",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["keep"],
    }
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    # An on-demand index warms to AWS's initial 12,000 reads and 4,000 writes a second.
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12000,
        "WriteUnitsPerSecond": 4000,
        "Status": "ACTIVE",
    }
    assert table["LocalSecondaryIndexes"][0]["IndexArn"].endswith(f"table/{name}/index/byL")
    ddb.put_item(
        TableName=name,
        Item={
            "pk": {"S": "a"},
            "sk": {"S": "1"},
            "g": {"S": "x"},
            "l": {"N": "5"},
            "keep": {"S": "k"},
            "drop": {"S": "d"},
        },
    )
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "2"}, "drop": {"S": "d"}})  # sparse
    gsi = ddb.query(
        TableName=name,
        IndexName="byG",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
    )
    assert gsi["Items"] == [{"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "x"}, "keep": {"S": "k"}}]
    lsi = ddb.query(
        TableName=name,
        IndexName="byL",
        KeyConditionExpression="pk = :p AND l > :l",
        ExpressionAttributeValues={":p": {"S": "a"}, ":l": {"N": "1"}},
    )
    assert lsi["Items"] == [{"pk": {"S": "a"}, "sk": {"S": "1"}, "l": {"N": "5"}}]
    full = ddb.query(
        TableName=name,
        IndexName="byL",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "a"}},
        Select="ALL_ATTRIBUTES",
    )
    assert full["Items"][0]["drop"] == {"S": "d"}
    _code, message = error_of(
        ddb.query,
        TableName=name,
        IndexName="byG",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
        Select="ALL_ATTRIBUTES",
    )
    assert message == (
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for"
        " global secondary index byG because its projection type is not ALL"
    )
    _code, message = error_of(
        ddb.put_item, TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "3"}, "g": {"N": "1"}}
    )
    assert message == (
        "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N"
        " IndexName: byG"
    )


def test_update_table_adds_gsi_with_backfill_and_removes_it(ddb):
    name = make_table(ddb)
    for i in range(30):
        ddb.put_item(
            TableName=name,
            Item={"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "color": {"S": "red" if i % 2 else "blue"}},
        )
    updated = ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "color", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "byColor",
                    "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )["TableDescription"]
    index = updated["GlobalSecondaryIndexes"][0]
    assert index["IndexStatus"] == "CREATING" and index["Backfilling"] is True
    assert updated["TableStatus"] == "UPDATING"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        table = ddb.describe_table(TableName=name)["Table"]
        if table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE":
            break
        time.sleep(0.05)
    assert table["TableStatus"] == "ACTIVE"
    assert "Backfilling" not in table["GlobalSecondaryIndexes"][0]
    red = ddb.query(
        TableName=name,
        IndexName="byColor",
        KeyConditionExpression="color = :c",
        ExpressionAttributeValues={":c": {"S": "red"}},
    )
    assert red["Count"] == 15
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byColor"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]
    _code, message = error_of(
        ddb.query,
        TableName=name,
        IndexName="byColor",
        KeyConditionExpression="color = :c",
        ExpressionAttributeValues={":c": {"S": "red"}},
    )
    assert message == "The table does not have the specified index: byColor"


def test_update_billing_class_protection(ddb):
    name = make_table(ddb)
    table = ddb.update_table(
        TableName=name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
    )["TableDescription"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    ddb.update_table(TableName=name, TableClass="STANDARD_INFREQUENT_ACCESS", DeletionProtectionEnabled=True)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert table["DeletionProtectionEnabled"] is True
    assert error_of(ddb.delete_table, TableName=name) == (
        "ResourceInUseException",
        "Resource cannot be deleted as it is currently protected against deletion. Disable"
        " deletion protection first.",
    )
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)


def test_ttl_pitr_tags_limits_endpoints(ddb, endpoint):
    name = make_table(ddb)
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"
    }
    spec = {"Enabled": True, "AttributeName": "expires"}
    assert (
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)["TimeToLiveSpecification"]
        == spec
    )
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires",
    }
    assert error_of(ddb.update_time_to_live, TableName=name, TimeToLiveSpecification=spec) == (
        "ValidationException",
        "TimeToLive is already enabled",
    )

    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    backups = ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert error_of(ddb.describe_continuous_backups, TableName="missing-table") == (
        "TableNotFoundException",
        "Table not found: missing-table",
    )

    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]

    limits = ddb.describe_limits()
    assert limits["TableMaxReadCapacityUnits"] == 40000
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints[0]["Address"] == endpoint.split("//")[1]


def test_streams_settings(ddb):
    name = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert table["LatestStreamArn"].startswith(table["TableArn"] + "/stream/")
    _code, message = error_of(
        ddb.update_table,
        TableName=name,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    assert message == f"Table already has an enabled stream: {table['LatestStreamArn']}"
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    table = ddb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in table
    assert table["LatestStreamArn"]


def test_missing_table_on_item_calls(ddb):
    assert error_of(ddb.get_item, TableName="no-such-table", Key={"pk": {"S": "a"}}) == (
        "ResourceNotFoundException",
        "Requested resource not found",
    )

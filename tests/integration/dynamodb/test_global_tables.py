"""Global tables through boto3: replicas are real tables in other regions that receive every
write, with their own streams; both the current version (UpdateTable ReplicaUpdates) and the
legacy one (CreateGlobalTable and friends)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table, unique


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def regional(client):
    return lambda region: client("dynamodb", region_name=region)


@pytest.fixture(scope="module")
def regional_streams(client):
    return lambda region: client("dynamodbstreams", region_name=region)


def key(pk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": "s"}}


def stream_records(streams, arn: str) -> list:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    return streams.get_records(ShardIterator=iterator)["Records"]


def test_replicas_receive_writes_and_have_their_own_streams(regional, regional_streams, client):
    east, west, europe = regional("us-east-1"), regional("us-west-2"), regional("eu-west-1")
    # The replica's key lives in the replica's region; KMS resolves it there.
    west_kms = client("kms", region_name="us-west-2")
    if "alias/k" not in [a["AliasName"] for a in west_kms.list_aliases()["Aliases"]]:
        west_kms.create_alias(AliasName="alias/k", TargetKeyId=west_kms.create_key()["KeyMetadata"]["KeyId"])
    gsi = {
        "IndexName": "byV",
        "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    name = make_table(
        east, ExtraAttributes=[{"AttributeName": "v", "AttributeType": "S"}], GlobalSecondaryIndexes=[gsi]
    )
    east.put_item(TableName=name, Item={**key("before"), "v": {"S": "x"}})
    described = east.update_table(
        TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "us-west-2", "KMSMasterKeyId": "alias/k"}}]
    )["TableDescription"]
    assert described["GlobalTableVersion"] == "2019.11.21"
    assert [r["RegionName"] for r in described["Replicas"]] == ["us-west-2"]
    assert described["Replicas"][0]["KMSMasterKeyId"] == "alias/k"
    east.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    replica = west.describe_table(TableName=name)["Table"]
    assert replica["TableArn"] == f"arn:aws:dynamodb:us-west-2:000000000000:table/{name}"
    assert sorted(r["RegionName"] for r in replica["Replicas"]) == ["eu-west-1", "us-east-1"]
    # Items written before the replica was made are copied, with their index entries.
    assert west.get_item(TableName=name, Key=key("before"))["Item"]["v"] == {"S": "x"}
    by_index = west.query(
        TableName=name,
        IndexName="byV",
        KeyConditionExpression="v = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
    )["Items"]
    assert [i["pk"]["S"] for i in by_index] == ["before"]
    # A write anywhere reaches every replica, deletions included.
    west.put_item(TableName=name, Item={**key("from-west"), "v": {"S": "y"}})
    east.put_item(TableName=name, Item={**key("from-east"), "v": {"S": "z"}})
    for client in (east, west, europe):
        assert sorted(i["pk"]["S"] for i in client.scan(TableName=name)["Items"]) == [
            "before",
            "from-east",
            "from-west",
        ]
    europe.delete_item(TableName=name, Key=key("before"))
    assert "Item" not in east.get_item(TableName=name, Key=key("before"))
    # Each replica has its own stream, in its region, with the changes it received.
    east_arn = east.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    west_arn = replica["LatestStreamArn"]
    assert ":us-east-1:" in east_arn and ":us-west-2:" in west_arn
    west_keys = [
        r["dynamodb"]["Keys"]["pk"]["S"] for r in stream_records(regional_streams("us-west-2"), west_arn)
    ]
    assert west_keys == ["from-west", "from-east", "before"]
    east_keys = [
        r["dynamodb"]["Keys"]["pk"]["S"] for r in stream_records(regional_streams("us-east-1"), east_arn)
    ]
    assert east_keys == ["from-west", "from-east", "before"]

    assert error_of(
        east.update_table, TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}]
    )[1] == (
        f"Failed to create a the new replica of table with name: '{name}' because one or more replicas already"
        " existed as tables."
    )
    east.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert error_of(europe.describe_table, TableName=name)[0] == "ResourceNotFoundException"
    assert error_of(
        east.update_table, TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}]
    ) == (
        "ValidationException",
        "Update global table operation failed because one or more replicas were not part of the global table.",
    )
    assert [r["RegionName"] for r in west.describe_table(TableName=name)["Table"]["Replicas"]] == [
        "us-east-1"
    ]
    # Deleting a member leaves the other on its own: no longer a global table.
    west.delete_table(TableName=name)
    alone = east.describe_table(TableName=name)["Table"]
    assert "Replicas" not in alone and "GlobalTableVersion" not in alone
    east.put_item(TableName=name, Item=key("after"))
    assert east.get_item(TableName=name, Key=key("after"))["Item"]


def test_replica_auto_scaling(regional):
    east = regional("us-east-1")
    name = unique()
    east.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    east.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "us-west-1"}}])
    described = east.describe_table_replica_auto_scaling(TableName=name)["TableAutoScalingDescription"]
    assert [r["RegionName"] for r in described["Replicas"]] == ["us-east-1", "us-west-1"]
    assert described["Replicas"][0]["ReplicaProvisionedReadCapacityAutoScalingSettings"] == {
        "AutoScalingDisabled": True
    }
    updated = east.update_table_replica_auto_scaling(
        TableName=name,
        ProvisionedWriteCapacityAutoScalingUpdate={
            "MinimumUnits": 5,
            "MaximumUnits": 50,
            "ScalingPolicyUpdate": {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70.0}},
        },
        ReplicaUpdates=[
            {
                "RegionName": "us-west-1",
                "ReplicaProvisionedReadCapacityAutoScalingUpdate": {"MinimumUnits": 1, "MaximumUnits": 10},
            }
        ],
    )["TableAutoScalingDescription"]
    west = next(r for r in updated["Replicas"] if r["RegionName"] == "us-west-1")
    assert west["ReplicaProvisionedReadCapacityAutoScalingSettings"]["MaximumUnits"] == 10
    assert west["ReplicaProvisionedWriteCapacityAutoScalingSettings"]["MaximumUnits"] == 50
    seen_from_west = regional("us-west-1").describe_table_replica_auto_scaling(TableName=name)
    assert seen_from_west["TableAutoScalingDescription"]["Replicas"] == updated["Replicas"]
    assert (
        error_of(
            east.update_table_replica_auto_scaling,
            TableName=name,
            ReplicaUpdates=[
                {"RegionName": "eu-north-1", "ReplicaProvisionedReadCapacityAutoScalingUpdate": {}}
            ],
        )[0]
        == "ValidationException"
    )


def test_legacy_global_tables(regional):
    east, west = regional("us-east-1"), regional("us-west-2")
    name = unique()
    streamed = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}
    make_table(east, TableName=name, **streamed)
    code, _ = error_of(
        east.create_global_table,
        GlobalTableName=name,
        ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "us-west-2"}],
    )
    assert code == "TableNotFoundException"
    make_table(west, TableName=name, **streamed)
    created = east.create_global_table(
        GlobalTableName=name, ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "us-west-2"}]
    )["GlobalTableDescription"]
    assert created["GlobalTableStatus"] == "ACTIVE"
    assert created["GlobalTableArn"] == f"arn:aws:dynamodb::000000000000:global-table/{name}"
    assert [r["RegionName"] for r in created["ReplicationGroup"]] == ["us-east-1", "us-west-2"]
    assert (
        error_of(
            east.create_global_table, GlobalTableName=name, ReplicationGroup=[{"RegionName": "us-east-1"}]
        )[0]
        == "GlobalTableAlreadyExistsException"
    )
    east.put_item(TableName=name, Item=key("k"))
    assert west.get_item(TableName=name, Key=key("k"))["Item"] == key("k")
    listed = west.list_global_tables(RegionName="us-west-2")["GlobalTables"]
    assert {
        "GlobalTableName": name,
        "ReplicationGroup": [{"RegionName": "us-east-1"}, {"RegionName": "us-west-2"}],
    } in (listed)
    settings = east.describe_global_table_settings(GlobalTableName=name)["ReplicaSettings"]
    assert [s["ReplicaBillingModeSummary"]["BillingMode"] for s in settings] == ["PAY_PER_REQUEST"] * 2
    updated = east.update_global_table_settings(
        GlobalTableName=name,
        GlobalTableBillingMode="PROVISIONED",
        GlobalTableProvisionedWriteCapacityUnits=7,
        ReplicaSettingsUpdate=[{"RegionName": "us-west-2", "ReplicaProvisionedReadCapacityUnits": 3}],
    )["ReplicaSettings"]
    west_settings = next(s for s in updated if s["RegionName"] == "us-west-2")
    assert west_settings["ReplicaProvisionedWriteCapacityUnits"] == 7
    assert west_settings["ReplicaProvisionedReadCapacityUnits"] == 3
    assert west.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 7

    code, _ = error_of(
        east.update_global_table,
        GlobalTableName=name,
        ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}],
    )
    assert code == "ReplicaAlreadyExistsException"
    after = east.update_global_table(
        GlobalTableName=name, ReplicaUpdates=[{"Delete": {"RegionName": "us-west-2"}}]
    )["GlobalTableDescription"]
    assert [r["RegionName"] for r in after["ReplicationGroup"]] == ["us-east-1"]
    east.put_item(TableName=name, Item=key("not-replicated"))
    assert "Item" not in west.get_item(TableName=name, Key=key("not-replicated"))
    assert (
        error_of(east.describe_global_table, GlobalTableName="nope-" + name)[0]
        == "GlobalTableNotFoundException"
    )


def test_a_legacy_replica_needs_a_region(regional):
    east = regional("us-east-1")
    code, _ = error_of(east.create_global_table, GlobalTableName=unique(), ReplicationGroup=[{}])
    assert code == "ValidationException"


def test_index_and_billing_changes_reach_every_replica(regional):
    east, west = regional("us-east-1"), regional("us-west-2")
    name = make_table(east, range_key=None)
    east.put_item(TableName=name, Item={"pk": {"S": "a"}, "colour": {"S": "red"}})
    east.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}])
    west.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "byColour",
                    "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    for client in (east, west):
        for _ in range(100):
            index = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
            if index["IndexStatus"] == "ACTIVE":
                break
        found = client.query(
            TableName=name,
            IndexName="byColour",
            KeyConditionExpression="colour = :c",
            ExpressionAttributeValues={":c": {"S": "red"}},
        )["Items"]
        assert [i["pk"]["S"] for i in found] == ["a"]
    east.update_table(
        TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "byColour", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}
        ],
    )  # fmt: skip
    assert west.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 4

"""Behaviours checked against AWS (moto's AWS-verified tests and AWS's documentation): the order
of validation errors, error wording and shape, multi-attribute index keys, scan order."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table, unique


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


OVERLAP = "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths;"


def test_overlapping_paths_through_attribute_names(ddb):
    table = make_table(ddb, range_key=None)
    key = {"pk": {"S": "a"}}
    values = {":h": {"S": "H"}}
    assert error_of(
        ddb.update_item, TableName=table, Key=key, UpdateExpression="SET #s = :h, #s = :h",
        ExpressionAttributeNames={"#s": "string_set"}, ExpressionAttributeValues=values,
    ) == ("ValidationException", OVERLAP + " path one: [string_set], path two: [string_set]")  # fmt: skip
    assert error_of(
        ddb.update_item, TableName=table, Key=key, UpdateExpression="SET #a = :h, #b = :h",
        ExpressionAttributeNames={"#a": "string_set", "#b": "string_set"}, ExpressionAttributeValues=values,
    )[1].startswith(OVERLAP)  # fmt: skip
    # A name holding a dot is one attribute: no overlap with the attribute before the dot.
    ddb.update_item(
        TableName=table, Key=key, UpdateExpression="SET string_set = :h, #n = :h",
        ExpressionAttributeNames={"#n": "string_set.nested"}, ExpressionAttributeValues=values,
    )  # fmt: skip


def test_unused_names_are_reported_before_tables_and_keys(ddb):
    unused = (
        "ValidationException",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}",
    )
    names = {"#rl": "pk", "#count": "count"}
    request = {
        "Keys": [{"nope": {"S": "x"}}],
        "ProjectionExpression": "#rl",
        "ExpressionAttributeNames": names,
    }
    assert error_of(ddb.batch_get_item, RequestItems={unique(): request}) == unused
    table = make_table(ddb, range_key=None)
    assert error_of(
        ddb.transact_write_items,
        TransactItems=[
            {
                "ConditionCheck": {
                    "Key": {"wrong": {"S": "x"}}, "TableName": table, "ConditionExpression": "attribute_exists(#e)",
                    "ExpressionAttributeNames": {"#e": "email", "#count": "count"},
                }
            }
        ],
    ) == unused  # fmt: skip


def test_a_returned_old_item_comes_with_message_spelled_as_aws_does(ddb):
    table = make_table(ddb, range_key=None)
    item = {"pk": {"S": "a"}, "v": {"S": "1"}}
    ddb.put_item(TableName=table, Item=item)
    with pytest.raises(ClientError) as info:
        ddb.put_item(
            TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )  # fmt: skip
    response = info.value.response
    assert response["Error"] == {
        "Message": "The conditional request failed",
        "Code": "ConditionalCheckFailedException",
    }
    assert "message" not in response and response["Item"] == item
    with pytest.raises(ClientError) as info:
        ddb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    assert info.value.response["message"] == "The conditional request failed"


def test_partiql_names_no_missing_index(ddb):
    table = make_table(ddb, range_key=None)
    assert error_of(ddb.execute_statement, Statement=f'SELECT * FROM "{table}"."nope"') == (
        "ValidationException",
        "The table does not have the specified index",
    )


def test_multi_attribute_index_keys(ddb):
    name = unique()
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "s1", "AttributeType": "S"},
            {"AttributeName": "s2", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "multi",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "s1", "KeyType": "RANGE"},
                    {"AttributeName": "s2", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    rows = [("1", "A", 300), ("2", "A", 100), ("3", "A", 200), ("4", "B", 150), ("5", None, 50)]
    for pk, s1, s2 in rows:
        item = {"pk": {"S": pk}, "g": {"S": "p"}, "s2": {"N": str(s2)}}
        if s1:
            item["s1"] = {"S": s1}
        ddb.put_item(TableName=name, Item=item)

    def query(expression: str, **values) -> list[str]:
        out = ddb.query(
            TableName=name, IndexName="multi", KeyConditionExpression=expression,
            ExpressionAttributeValues={f":{k}": v for k, v in values.items()},
        )  # fmt: skip
        return [i["pk"]["S"] for i in out["Items"]]

    # Sorted by (s1, s2); the item lacking s1 is not in the index.
    assert query("g = :g", g={"S": "p"}) == ["2", "3", "1", "4"]
    assert query("g = :g AND s1 = :a", g={"S": "p"}, a={"S": "A"}) == ["2", "3", "1"]
    assert query("g = :g AND s1 = :a AND s2 > :n", g={"S": "p"}, a={"S": "A"}, n={"N": "100"}) == ["3", "1"]
    assert query(
        "g = :g AND s1 = :a AND s2 BETWEEN :lo AND :hi",
        g={"S": "p"},
        a={"S": "A"},
        lo={"N": "150"},
        hi={"N": "250"},
    ) == ["3"]
    assert query("g = :g AND s1 > :a", g={"S": "p"}, a={"S": "A"}) == ["4"]
    code, message = error_of(
        ddb.query, TableName=name, IndexName="multi", KeyConditionExpression="g = :g AND s2 > :n",
        ExpressionAttributeValues={":g": {"S": "p"}, ":n": {"N": "1"}},
    )  # fmt: skip
    assert code == "ValidationException" and "s1" in message
    assert error_of(
        ddb.query, TableName=name, IndexName="multi", KeyConditionExpression="g = :g AND s1 > :a AND s2 = :n",
        ExpressionAttributeValues={":g": {"S": "p"}, ":a": {"S": "A"}, ":n": {"N": "1"}},
    )[0] == "ValidationException"  # fmt: skip
    legacy = ddb.query(
        TableName=name,
        IndexName="multi",
        KeyConditions={
            "g": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "s1": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]},
            "s2": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "100"}]},
        },
    )
    assert [i["pk"]["S"] for i in legacy["Items"]] == ["3", "1"]


def test_scan_visits_partitions_in_aws_order(ddb):
    table = make_table(ddb, range_key=None)
    for pk in ("B", "msg2", "A", "msg1"):
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}})
    # AWS returns these partitions in this order (moto's AWS-verified scan and import tests).
    assert [i["pk"]["S"] for i in ddb.scan(TableName=table)["Items"]] == ["msg1", "msg2", "A", "B"]


def test_documented_limits(ddb):
    base = {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
    }  # fmt: skip
    assert error_of(ddb.create_table, TableName=unique(), LocalSecondaryIndexes=[], **base) == (
        "ValidationException",
        "One or more parameter values were invalid: List of LocalSecondaryIndexes is empty",
    )
    table = make_table(ddb)
    code, message = error_of(
        ddb.query,
        TableName=table,
        KeyConditionExpression="pk = :v",
        ExpressionAttributeValues={":v": {"S": ""}},
    )
    assert code == "ValidationException" and "cannot contain an empty string value. Key: pk" in message
    condition = " AND ".join(["attribute_exists(pk)"] * 250)
    assert error_of(
        ddb.put_item,
        TableName=table,
        Item={"pk": {"S": "a"}, "sk": {"S": "b"}},
        ConditionExpression=condition,
    ) == (
        "ValidationException",
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size:"
        f" {len(condition)}",
    )
    assert error_of(
        ddb.put_item,
        TableName=table,
        Item={"pk": {"S": "a"}, "sk": {"S": "b"}},
        ConditionExpression="((pk = sk))",
    ) == ("ValidationException", "Invalid ConditionExpression: The expression has redundant parentheses;")
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "a"}, "sk": {"S": "b"}},
        ConditionExpression="(attribute_not_exists(pk)) AND ((pk <> sk) AND (sk <> pk))",
    )


def test_index_key_sizes_are_limited(ddb):
    gsi = {
        "IndexName": "byV",
        "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}, {"AttributeName": "w", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }
    table = make_table(
        ddb,
        range_key=None,
        ExtraAttributes=[
            {"AttributeName": "v", "AttributeType": "S"},
            {"AttributeName": "w", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[gsi],
    )
    code, message = error_of(
        ddb.put_item, TableName=table, Item={"pk": {"S": "a"}, "v": {"S": "x" * 2049}, "w": {"S": "y"}}
    )
    assert code == "ValidationException" and "2048 bytes" in message
    code, message = error_of(
        ddb.put_item, TableName=table, Item={"pk": {"S": "a"}, "v": {"S": "x"}, "w": {"S": "y" * 1025}}
    )
    assert code == "ValidationException" and "1024 bytes" in message
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"S": "x" * 2048}, "w": {"S": "y" * 1024}})


def test_batch_get_stops_at_16_mb(ddb):
    table = make_table(ddb, range_key=None)
    big = "x" * (390 * 1024)
    keys = [{"pk": {"S": f"k{i:02d}"}} for i in range(45)]
    for key in keys:
        ddb.put_item(TableName=table, Item={**key, "blob": {"S": big}})
    out = ddb.batch_get_item(RequestItems={table: {"Keys": keys, "ProjectionExpression": "pk"}})
    returned = len(out["Responses"][table])
    left = out["UnprocessedKeys"][table]
    assert 0 < returned < 45 and returned + len(left["Keys"]) == 45
    assert left["ProjectionExpression"] == "pk"
    again = ddb.batch_get_item(RequestItems=out["UnprocessedKeys"])
    assert len(again["Responses"][table]) == len(left["Keys"]) and again["UnprocessedKeys"] == {}


def test_warm_throughput_of_on_demand_tables_and_indexes(ddb):
    base = {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }  # fmt: skip
    gsi = {
        "IndexName": "byG",
        "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    assert error_of(
        ddb.create_table, TableName=unique(), GlobalSecondaryIndexes=[gsi], **base,
        WarmThroughput={"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 3000},
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: Requested WriteUnitsPerSecond for WarmThroughput for table is"
        " lower than initial throughput for OnDemand",
    )  # fmt: skip
    _code, message = error_of(
        ddb.create_table, TableName=unique(), **base,
        GlobalSecondaryIndexes=[{**gsi, "WarmThroughput": {"ReadUnitsPerSecond": 10000, "WriteUnitsPerSecond": 5000}}],
    )  # fmt: skip
    assert message == (
        "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for index byG is"
        " lower than initial throughput for OnDemand"
    )
    name = unique()
    ddb.create_table(
        TableName=name, **base,
        GlobalSecondaryIndexes=[{**gsi, "WarmThroughput": {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000}}],
    )  # fmt: skip
    index = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["WarmThroughput"] == {
        "ReadUnitsPerSecond": 15000,
        "WriteUnitsPerSecond": 5000,
        "Status": "ACTIVE",
    }


def test_a_key_condition_between_two_attributes(ddb):
    table = make_table(ddb, range_key=None)
    assert error_of(
        ddb.query,
        TableName=table,
        KeyConditionExpression="#k=some_value",
        ExpressionAttributeNames={"#k": "pk"},
    ) == (
        "ValidationException",
        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
    )

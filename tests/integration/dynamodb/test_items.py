"""Item operations through boto3: writes, conditions, return values, numbers, sizes, batches,
transactions, and DynamoDB's exact error texts."""

from __future__ import annotations

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def key(pk: str, sk: str = "s") -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_put_get_delete_and_return_values(ddb, table):
    item = {
        **key("a"),
        "n": {"N": "1"},
        "bin": {"B": b"\x00\xff"},
        "ss": {"SS": ["x", "y"]},
        "m": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": False}]}}},
    }
    assert "Attributes" not in ddb.put_item(TableName=table, Item=item, ReturnValues="ALL_OLD")
    assert ddb.get_item(TableName=table, Key=key("a"), ConsistentRead=True)["Item"] == item
    replaced = ddb.put_item(TableName=table, Item={**key("a"), "n": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert replaced["Attributes"] == item
    assert ddb.get_item(TableName=table, Key=key("missing")).get("Item") is None
    deleted = ddb.delete_item(TableName=table, Key=key("a"), ReturnValues="ALL_OLD")
    assert deleted["Attributes"] == {**key("a"), "n": {"N": "2"}}
    assert error_of(ddb.put_item, TableName=table, Item=item, ReturnValues="ALL_NEW") == (
        "ValidationException",
        "Return values set to invalid value",
    )


def test_update_return_values(ddb, table):
    ddb.put_item(TableName=table, Item={**key("u"), "a": {"N": "1"}, "b": {"S": "keep"}})
    common = dict(
        TableName=table,
        Key=key("u"),
        UpdateExpression="SET a = a + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    assert ddb.update_item(**common, ReturnValues="UPDATED_OLD")["Attributes"] == {"a": {"N": "1"}}
    assert ddb.update_item(**common, ReturnValues="UPDATED_NEW")["Attributes"] == {"a": {"N": "3"}}
    assert ddb.update_item(**common, ReturnValues="ALL_NEW")["Attributes"] == {
        **key("u"),
        "a": {"N": "4"},
        "b": {"S": "keep"},
    }
    assert ddb.update_item(**common, ReturnValues="ALL_OLD")["Attributes"]["a"] == {"N": "4"}
    assert "Attributes" not in ddb.update_item(**common, ReturnValues="NONE")
    assert "Attributes" not in ddb.update_item(**common)


def test_update_expression_semantics(ddb, table):
    ddb.put_item(
        TableName=table,
        Item={
            **key("x"),
            "lst": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]},
            "map": {"M": {"inner": {"S": "v"}}},
            "set": {"SS": ["a", "b"]},
        },
    )
    result = ddb.update_item(
        TableName=table,
        Key=key("x"),
        UpdateExpression="SET #m.#i = :new, #m.added = :n, lst[5] = :n, cnt = if_not_exists(cnt, :zero) + :n"
        " REMOVE lst[0], lst[1] ADD #s :more, tot :n DELETE oth :gone",
        ExpressionAttributeNames={"#m": "map", "#s": "set", "#i": "inner"},
        ExpressionAttributeValues={
            ":new": {"S": "w"},
            ":n": {"N": "10"},
            ":zero": {"N": "0"},
            ":more": {"SS": ["c"]},
            ":gone": {"SS": ["zz"]},
        },
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert result["map"] == {"M": {"inner": {"S": "w"}, "added": {"N": "10"}}}
    assert result["lst"] == {"L": [{"N": "3"}, {"N": "10"}]}
    assert result["cnt"] == {"N": "10"} and result["tot"] == {"N": "10"}
    assert sorted(result["set"]["SS"]) == ["a", "b", "c"]
    result = ddb.update_item(
        TableName=table,
        Key=key("x"),
        UpdateExpression="DELETE #s :all",
        ExpressionAttributeNames={"#s": "set"},
        ExpressionAttributeValues={":all": {"SS": ["a", "b", "c"]}},
        ReturnValues="ALL_NEW",
    )
    assert "set" not in result["Attributes"]
    # An update creates the item it names.
    created = ddb.update_item(
        TableName=table,
        Key=key("new"),
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"BOOL": True}},
        ReturnValues="ALL_NEW",
    )
    assert created["Attributes"] == {**key("new"), "v": {"BOOL": True}}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(UpdateExpression="SET a = = :v"),
            'Invalid UpdateExpression: Syntax error; token: "=", near: "= = :v"',
        ),
        (
            dict(UpdateExpression="SET a = :v,"),
            'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","',
        ),
        (
            dict(UpdateExpression="SET name = :v"),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name",
        ),
        (
            dict(UpdateExpression="SET a = :v, a = :v"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths;"
            " path one: [a], path two: [a]",
        ),
        (
            dict(UpdateExpression="SET a = :missing"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing",
        ),
        (
            dict(UpdateExpression="SET #a = :v"),
            "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a",
        ),
        (
            dict(
                UpdateExpression="SET a = :v",
                ExpressionAttributeValues={":v": {"S": "x"}, ":extra": {"S": "y"}},
            ),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}",
        ),
        (
            dict(UpdateExpression="SET a = :v", ExpressionAttributeNames={"#unused": "x"}),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
        ),
        (
            dict(UpdateExpression="ADD a :v"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING",
        ),
        (
            dict(UpdateExpression="SET a = :v REMOVE b SET c = :v"),
            'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
        ),
        (
            dict(UpdateExpression="SET sk = :v"),
            "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key",
        ),
        (
            dict(UpdateExpression="SET a = size(b)"),
            "Invalid UpdateExpression: The function is not allowed in an update expression; function: size",
        ),
        (
            dict(UpdateExpression="SET a = b + :v"),
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            dict(UpdateExpression="SET a.b.c = :v"),
            "The document path provided in the update expression is invalid for update",
        ),
    ],
)
def test_update_errors(ddb, table, kwargs, message):
    kwargs.setdefault(
        "ExpressionAttributeValues", {":v": {"S": "x"}} if ":v" in kwargs["UpdateExpression"] else None
    )
    if kwargs["ExpressionAttributeValues"] is None:
        del kwargs["ExpressionAttributeValues"]
    if "SET a = b + :v" in kwargs["UpdateExpression"]:
        kwargs["ExpressionAttributeValues"] = {":v": {"N": "1"}}
    assert error_of(ddb.update_item, TableName=table, Key=key("e"), **kwargs) == (
        "ValidationException",
        message,
    )


def test_conditions(ddb, table):
    ddb.put_item(TableName=table, Item={**key("c"), "v": {"N": "5"}, "s": {"S": "hello"}})
    ok = dict(TableName=table, Key=key("c"))
    ddb.update_item(
        **ok,
        UpdateExpression="SET v = :n",
        ConditionExpression="v BETWEEN :lo AND :hi AND begins_with(s, :p)",
        ExpressionAttributeValues={":n": {"N": "6"}, ":lo": {"N": "1"}, ":hi": {"N": "9"}, ":p": {"S": "he"}},
    )
    code, message = error_of(
        ddb.delete_item, **ok, ConditionExpression="v = :x", ExpressionAttributeValues={":x": {"N": "5"}}
    )
    assert (code, message) == ("ConditionalCheckFailedException", "The conditional request failed")
    with pytest.raises(ClientError) as info:
        ddb.delete_item(
            **ok, ConditionExpression="attribute_not_exists(v)", ReturnValuesOnConditionCheckFailure="ALL_OLD"
        )
    assert info.value.response["Item"]["v"] == {"N": "6"}
    ddb.delete_item(
        **ok,
        ConditionExpression="contains(s, :ell) AND attribute_type(v, :n) AND size(s) = :five",
        ExpressionAttributeValues={":ell": {"S": "ell"}, ":n": {"S": "N"}, ":five": {"N": "5"}},
    )
    assert "Item" not in ddb.get_item(**ok)
    # Legacy Expected.
    ddb.put_item(TableName=table, Item={**key("c"), "v": {"N": "1"}}, Expected={"pk": {"Exists": False}})
    code, _ = error_of(ddb.put_item, TableName=table, Item=key("c"), Expected={"v": {"Value": {"N": "2"}}})
    assert code == "ConditionalCheckFailedException"
    ddb.put_item(
        TableName=table,
        Item=key("c"),
        Expected={"v": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "2"}]}},
    )
    assert error_of(
        ddb.put_item,
        TableName=table,
        Item=key("c"),
        Expected={"v": {"Exists": False}},
        ConditionExpression="attribute_exists(v)",
    ) == (
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request:"
        " Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    )
    assert error_of(
        ddb.put_item,
        TableName=table,
        Item=key("c"),
        ConditionExpression="v BETWEEN :hi AND :lo",
        ExpressionAttributeValues={":lo": {"N": "1"}, ":hi": {"N": "9"}},
    ) == (
        "ValidationException",
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater"
        " than or equal to lower bound; lower bound operand: AttributeValue: {N:9}, upper bound operand:"
        " AttributeValue: {N:1}",
    )


def test_numbers(ddb, table):
    values = {
        "a": "1.50",
        "b": "-0",
        "c": "1E+3",
        "d": "0.000100",
        "e": "12345678901234567890123456789012345678",
        "f": "9.9999999999999999999999999999999999999E+125",
        "g": "1E-130",
    }
    ddb.put_item(TableName=table, Item={**key("n"), **{k: {"N": v} for k, v in values.items()}})
    item = ddb.get_item(TableName=table, Key=key("n"))["Item"]
    assert item["a"] == {"N": "1.5"} and item["b"] == {"N": "0"} and item["c"] == {"N": "1000"}
    assert item["d"] == {"N": "0.0001"}
    assert item["e"] == {"N": values["e"]}
    assert item["f"]["N"] == "99999999999999999999999999999999999999" + "0" * 88
    assert item["g"]["N"] == "0." + "0" * 129 + "1"
    for bad, message in [
        (
            "123456789012345678901234567890123456789",
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            "1E+126",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "1E-131",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
        ("abc", "A value provided cannot be converted into a number"),
        ("NaN", "A value provided cannot be converted into a number"),
    ]:
        assert error_of(ddb.put_item, TableName=table, Item={**key("bad"), "x": {"N": bad}}) == (
            "ValidationException",
            message,
        )
    added = ddb.update_item(
        TableName=table,
        Key=key("n"),
        UpdateExpression="SET a = a + :x",
        ExpressionAttributeValues={":x": {"N": "0.000000000000000000000000000000000001"}},
        ReturnValues="UPDATED_NEW",
    )
    assert added["Attributes"]["a"] == {"N": "1.500000000000000000000000000000000001"}


def test_item_validation(ddb, table):
    assert error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Missing the key sk in the item",
    )
    assert error_of(ddb.put_item, TableName=table, Item={"pk": {"N": "1"}, "sk": {"S": "a"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
    )
    assert error_of(ddb.put_item, TableName=table, Item={"pk": {"S": ""}, "sk": {"S": "a"}}) == (
        "ValidationException",
        "One or more parameter values are not valid. The AttributeValue for a key attribute"
        " cannot contain an empty string value. Key: pk",
    )
    assert error_of(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}}) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )
    assert error_of(ddb.get_item, TableName=table, Key={**key("a"), "extra": {"S": "x"}}) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )
    assert error_of(ddb.put_item, TableName=table, Item={**key("a"), "s": {"SS": []}}) == (
        "ValidationException",
        # AWS words it without the "1 validation error detected:" prefix (moto's AWS-verified tests).
        "One or more parameter values were invalid: An string set  may not be empty",
    )
    assert error_of(ddb.put_item, TableName=table, Item={**key("a"), "s": {"SS": ["x", "x"]}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Input collection [x, x] contains duplicates.",
    )
    assert error_of(ddb.put_item, TableName=table, Item={**key("a"), "s": {"S": "x", "N": "1"}}) == (
        "ValidationException",
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of"
        " the supported datatypes",
    )


def test_item_size_limit(ddb, table):
    # 400 KB counts names and values: key names (2+2) + key values (1+1) + "big" (3) + body.
    body = 400 * 1024 - (2 + 1 + 2 + 1 + 3)
    ddb.put_item(TableName=table, Item={**key("a"), "big": {"S": "x" * body}})
    assert error_of(ddb.put_item, TableName=table, Item={**key("a"), "big": {"S": "x" * (body + 1)}}) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )


def test_consumed_capacity_and_collection_metrics(ddb):
    name = make_table(
        ddb,
        ExtraAttributes=[{"AttributeName": "l", "AttributeType": "S"}],
        LocalSecondaryIndexes=[
            {
                "IndexName": "lsi",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    out = ddb.put_item(
        TableName=name,
        Item={**key("a"), "l": {"S": "x"}, "body": {"S": "y" * 3000}},
        ReturnConsumedCapacity="INDEXES",
        ReturnItemCollectionMetrics="SIZE",
    )
    assert out["ConsumedCapacity"]["TableName"] == name
    assert out["ConsumedCapacity"]["Table"]["CapacityUnits"] == 3.0
    assert out["ConsumedCapacity"]["LocalSecondaryIndexes"]["lsi"]["CapacityUnits"] == 3.0
    assert out["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "a"}}
    read = ddb.get_item(TableName=name, Key=key("a"), ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
    assert read["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_batch_get_and_write(ddb, table):
    ddb.batch_write_item(
        RequestItems={
            table: [{"PutRequest": {"Item": {**key(f"b{i}"), "i": {"N": str(i)}}}} for i in range(25)]
        }
    )
    got = ddb.batch_get_item(
        RequestItems={table: {"Keys": [key(f"b{i}") for i in range(10)], "ProjectionExpression": "i"}}
    )
    assert sorted(int(i["i"]["N"]) for i in got["Responses"][table]) == list(range(10))
    assert got["UnprocessedKeys"] == {}
    out = ddb.batch_write_item(
        RequestItems={table: [{"DeleteRequest": {"Key": key(f"b{i}")}} for i in range(5)]}
    )
    assert out["UnprocessedItems"] == {}
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 20
    assert error_of(ddb.batch_get_item, RequestItems={table: {"Keys": [key("b1"), key("b1")]}}) == (
        "ValidationException",
        "Provided list of item keys contains duplicates",
    )
    assert error_of(
        ddb.batch_write_item, RequestItems={table: [{"DeleteRequest": {"Key": key("b1")}}] * 2}
    ) == ("ValidationException", "Provided list of item keys contains duplicates")
    # A put missing a key attribute is worded as a bad key in a batch (AWS).
    assert error_of(
        ddb.batch_write_item, RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "only"}}}}]}
    ) == ("ValidationException", "The provided key element does not match the schema")
    code, message = error_of(
        ddb.batch_get_item, RequestItems={table: {"Keys": [key(f"k{i}") for i in range(101)]}}
    )
    assert code == "ValidationException" and "Member must have length less than or equal to 100" in message
    other = make_table(ddb)
    assert error_of(
        ddb.batch_get_item,
        RequestItems={
            table: {"Keys": [key(f"k{i}") for i in range(60)]},
            other: {"Keys": [key(f"k{i}") for i in range(41)]},
        },
    )[1] == ("Too many items requested for the BatchGetItem call")
    code, message = error_of(
        ddb.batch_write_item,
        RequestItems={table: [{"DeleteRequest": {"Key": key(f"k{i}")}} for i in range(26)]},
    )
    assert code == "ValidationException" and "Member must have length less than or equal to 25" in message


def test_transactions(ddb, table):
    ddb.put_item(TableName=table, Item={**key("t1"), "v": {"N": "1"}})
    ddb.transact_write_items(
        TransactItems=[
            *[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {**key("t2"), "v": {"N": "2"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": key("t1"),
                        "UpdateExpression": "SET v = v + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("t1"),
                        "ConditionExpression": "attribute_exists(v)",
                    }
                },
            ][:2]
        ]
    )
    assert ddb.get_item(TableName=table, Key=key("t1"))["Item"]["v"] == {"N": "2"}
    with pytest.raises(ClientError) as info:
        ddb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": table, "Key": key("t2")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("t1"),
                        "ConditionExpression": "v = :nine",
                        "ExpressionAttributeValues": {":nine": {"N": "9"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    response = info.value.response
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific"
        " reasons [None, ConditionalCheckFailed]"
    )
    assert response["CancellationReasons"][0] == {"Code": "None"}
    assert response["CancellationReasons"][1]["Code"] == "ConditionalCheckFailed"
    assert response["CancellationReasons"][1]["Item"]["v"] == {"N": "2"}
    assert "Item" in ddb.get_item(TableName=table, Key=key("t2"))  # all or nothing
    assert error_of(
        ddb.transact_write_items,
        TransactItems=[
            {"Delete": {"TableName": table, "Key": key("t2")}},
            {"Delete": {"TableName": table, "Key": key("t2")}},
        ],
    ) == ("ValidationException", "Transaction request cannot include multiple operations on one item")
    got = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": table, "Key": key("t1")}},
            {"Get": {"TableName": table, "Key": key("none")}},
        ]
    )
    assert got["Responses"][0]["Item"]["v"] == {"N": "2"} and got["Responses"][1] == {}


def test_transaction_idempotency(ddb, table):
    items = [
        {
            "Update": {
                "TableName": table,
                "Key": key("idem"),
                "UpdateExpression": "ADD c :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
    ]
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")
    assert ddb.get_item(TableName=table, Key=key("idem"))["Item"]["c"] == {"N": "1"}
    items[0]["Update"]["ExpressionAttributeValues"][":one"] = {"N": "2"}
    code, _ = error_of(ddb.transact_write_items, TransactItems=items, ClientRequestToken="token-1")
    assert code == "IdempotentParameterMismatchException"


def test_resource_api(endpoint, ddb):
    name = make_table(ddb, range_key="orderId")
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    table = resource.Table(name)
    with table.batch_writer() as batch:
        for i in range(12):
            batch.put_item(Item={"pk": "user", "orderId": f"o{i:02d}", "total": i * 10, "tags": {"x", "y"}})
    table.put_item(Item={"pk": "other", "orderId": "o00", "total": 1})
    result = table.query(
        KeyConditionExpression=Key("pk").eq("user") & Key("orderId").begins_with("o0"),
        FilterExpression=Attr("total").gte(30) & Attr("tags").contains("x"),
    )
    assert [i["orderId"] for i in result["Items"]] == ["o03", "o04", "o05", "o06", "o07", "o08", "o09"]
    assert result["Items"][0]["total"] == 30
    got = table.get_item(Key={"pk": "user", "orderId": "o01"})["Item"]
    assert got["tags"] == {"x", "y"}
    table.update_item(
        Key={"pk": "user", "orderId": "o01"},
        UpdateExpression="SET #t = #t + :d",
        ExpressionAttributeNames={"#t": "total"},
        ExpressionAttributeValues={":d": 5},
    )
    assert table.get_item(Key={"pk": "user", "orderId": "o01"})["Item"]["total"] == 15
    scanned = table.scan(FilterExpression=Attr("total").lt(15))
    assert sorted((i["pk"], i["orderId"]) for i in scanned["Items"]) == [("other", "o00"), ("user", "o00")]


def test_key_numbers_are_normalised_and_checked(ddb):
    name = make_table(ddb, range_type="N")
    ddb.put_item(TableName=name, Item={"pk": {"S": "n"}, "sk": {"N": "1.50"}})
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "n"}, "sk": {"N": "1.5000"}})["Item"]["sk"] == {
        "N": "1.5"
    }
    assert error_of(ddb.get_item, TableName=name, Key={"pk": {"S": "n"}, "sk": {"N": "one"}}) == (
        "ValidationException",
        "A value provided cannot be converted into a number",
    )
    assert error_of(
        ddb.query,
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "n"}},
        ExclusiveStartKey={"pk": {"S": "n"}, "sk": {"N": "x"}},
    ) == ("ValidationException", "A value provided cannot be converted into a number")


def test_key_size_limits(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "p" * 2048}, "sk": {"S": "s" * 1024}})
    assert error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "p" * 2049}, "sk": {"S": "s"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum"
        " size limit of2048 bytes",
    )
    assert error_of(ddb.get_item, TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "é" * 513}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Aggregated size of all range keys has"
        " exceeded the size limit of 1024 bytes",
    )

"""Query and Scan through boto3: key conditions, order, pagination, Select, segments, legacy
parameters, and their validation errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def numbers(ddb):
    """pk "p" with numeric sort keys -20..20 step 0.5 and a few other partitions."""
    name = make_table(ddb, range_type="N")
    values = [x / 2 for x in range(-40, 41)]
    for start in range(0, len(values), 25):
        ddb.batch_write_item(
            RequestItems={
                name: [
                    {
                        "PutRequest": {
                            "Item": {
                                "pk": {"S": "p"},
                                "sk": {"N": repr(v)},
                                "odd": {"BOOL": int(v * 2) % 2 == 1},
                            }
                        }
                    }
                    for v in values[start : start + 25]
                ]
            }
        )
    for other in ("o", "q", "p2"):
        ddb.put_item(TableName=name, Item={"pk": {"S": other}, "sk": {"N": "0"}})
    return name, values


def sort_keys(items):
    return [float(i["sk"]["N"]) for i in items]


@pytest.mark.parametrize(
    "condition, values, expected",
    [
        ("sk = :a", {":a": "1.5"}, lambda v: v == 1.5),
        ("sk < :a", {":a": "-3"}, lambda v: v < -3),
        ("sk <= :a", {":a": "-3"}, lambda v: v <= -3),
        ("sk > :a", {":a": "7.5"}, lambda v: v > 7.5),
        ("sk >= :a", {":a": "7.5"}, lambda v: v >= 7.5),
        ("sk BETWEEN :a AND :b", {":a": "-1", ":b": "2.5"}, lambda v: -1 <= v <= 2.5),
        (":a > sk", {":a": "-19"}, lambda v: v < -19),
    ],
)
def test_numeric_key_conditions(ddb, numbers, condition, values, expected):
    name, all_values = numbers
    attribute_values = {":p": {"S": "p"}, **{k: {"N": v} for k, v in values.items()}}
    result = ddb.query(
        TableName=name,
        KeyConditionExpression=f"pk = :p AND {condition}",
        ExpressionAttributeValues=attribute_values,
    )
    assert sort_keys(result["Items"]) == [v for v in all_values if expected(v)]
    backwards = ddb.query(
        TableName=name,
        KeyConditionExpression=f"pk = :p AND {condition}",
        ExpressionAttributeValues=attribute_values,
        ScanIndexForward=False,
    )
    assert sort_keys(backwards["Items"]) == [v for v in reversed(all_values) if expected(v)]


@pytest.mark.parametrize("forward", [True, False])
def test_query_pagination_with_filter(ddb, numbers, forward):
    name, values = numbers
    seen, pages, start = [], 0, None
    while True:
        kwargs = dict(
            TableName=name,
            KeyConditionExpression="pk = :p",
            FilterExpression="odd = :t",
            ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}},
            Limit=7,
            ScanIndexForward=forward,
        )
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.query(**kwargs)
        assert page["ScannedCount"] <= 7
        seen += sort_keys(page["Items"])
        pages += 1
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    expected = [v for v in values if int(v * 2) % 2 == 1]
    assert seen == (expected if forward else expected[::-1])
    assert pages == len(values) // 7 + 1


def test_select_count_and_projection(ddb, numbers):
    name, values = numbers
    count = ddb.query(
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        Select="COUNT",
    )
    assert count["Count"] == len(values) and "Items" not in count
    projected = ddb.query(
        TableName=name,
        KeyConditionExpression="pk = :p AND sk = :z",
        ProjectionExpression="odd",
        ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}},
    )
    assert projected["Items"] == [{"odd": {"BOOL": False}}]
    legacy = ddb.query(
        TableName=name,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]},
        },
        QueryFilter={"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}},
        AttributesToGet=["sk"],
    )
    assert legacy["Items"] == [{"sk": {"N": "1.5"}}]


def test_scan_segments_and_pages(ddb, numbers):
    name, values = numbers
    total = len(values) + 3
    gathered = []
    for segment in range(3):
        start = None
        while True:
            kwargs = dict(TableName=name, Segment=segment, TotalSegments=3, Limit=10)
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = ddb.scan(**kwargs)
            gathered += [(i["pk"]["S"], i["sk"]["N"]) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    assert len(gathered) == total == len(set(gathered))
    filtered = ddb.scan(
        TableName=name,
        ScanFilter={"pk": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "o"}, {"S": "q"}]}},
    )
    assert sorted(i["pk"]["S"] for i in filtered["Items"]) == ["o", "q"]
    assert filtered["ScannedCount"] == total
    assert error_of(ddb.scan, TableName=name, TotalSegments=2) == (
        "ValidationException",
        "The Segment parameter is required but was not present in the request when parameter"
        " TotalSegments is present",
    )
    assert error_of(ddb.scan, TableName=name, Segment=2, TotalSegments=2) == (
        "ValidationException",
        "The Segment parameter is zero-based and must be less than parameter TotalSegments:"
        " Segment: 2 is not less than TotalSegments: 2",
    )


def test_one_megabyte_pages(ddb):
    name = make_table(ddb)
    body = "x" * 100_000
    for start in range(0, 25, 5):
        ddb.batch_write_item(
            RequestItems={
                name: [
                    {
                        "PutRequest": {
                            "Item": {"pk": {"S": "big"}, "sk": {"S": f"{i:02d}"}, "body": {"S": body}}
                        }
                    }
                    for i in range(start, start + 5)
                ]
            }
        )
    first = ddb.query(
        TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "big"}}
    )
    assert first["Count"] == 10 and first["LastEvaluatedKey"] == {"pk": {"S": "big"}, "sk": {"S": "09"}}
    scanned = ddb.scan(TableName=name)
    assert scanned["Count"] == 10 and "LastEvaluatedKey" in scanned


def test_string_and_binary_order(ddb):
    name = make_table(ddb)
    keys = ["", "a", "a\x00", "a\x00b", "ab", "b", "é", "z", "\U0001f600", "ａ"][1:]
    for k in keys:
        ddb.put_item(TableName=name, Item={"pk": {"S": "s"}, "sk": {"S": k}})
    result = ddb.query(
        TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "s"}}
    )
    assert [i["sk"]["S"] for i in result["Items"]] == sorted(keys, key=lambda s: s.encode("utf-8"))
    prefixed = ddb.query(
        TableName=name,
        KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
        ExpressionAttributeValues={":p": {"S": "s"}, ":a": {"S": "a"}},
    )
    assert [i["sk"]["S"] for i in prefixed["Items"]] == ["a", "a\x00", "a\x00b", "ab"]
    binary = make_table(ddb, range_type="B")
    blobs = [b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]
    for blob in blobs:
        ddb.put_item(TableName=binary, Item={"pk": {"S": "b"}, "sk": {"B": blob}})
    result = ddb.query(
        TableName=binary,
        KeyConditionExpression="pk = :p AND sk > :x",
        ExpressionAttributeValues={":p": {"S": "b"}, ":x": {"B": b"\x00\x00"}},
    )
    assert [i["sk"]["B"] for i in result["Items"]] == blobs[2:]


@pytest.mark.parametrize(
    "expression, values, message",
    [
        ("sk = :a", {":a": {"N": "1"}}, "Query condition missed key schema element: pk"),
        (
            "pk = :p OR sk = :a",
            {":p": {"S": "p"}, ":a": {"N": "1"}},
            "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR",
        ),
        ("pk < :p", {":p": {"S": "p"}}, "Query key condition not supported"),
        (
            "pk = :p AND flavor = :a",
            {":p": {"S": "p"}, ":a": {"N": "1"}},
            "Query condition missed key schema element: sk",
        ),
        (
            "pk = :p AND sk = :a",
            {":p": {"S": "p"}, ":a": {"S": "1"}},
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            "pk = :p AND begins_with(sk, :a)",
            {":p": {"S": "p"}, ":a": {"N": "1"}},
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function:"
            " begins_with, operand type: N",
        ),
        (
            "pk = :p AND sk > :a AND sk < :a",
            {":p": {"S": "p"}, ":a": {"N": "1"}},
            "KeyConditionExpressions must only contain one condition per key",
        ),
        (
            "pk = :p AND",
            {":p": {"S": "p"}},
            'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"',
        ),
    ],
)
def test_key_condition_errors(ddb, numbers, expression, values, message):
    name, _ = numbers
    assert error_of(
        ddb.query, TableName=name, KeyConditionExpression=expression, ExpressionAttributeValues=values
    ) == ("ValidationException", message)


def test_query_errors(ddb, numbers):
    name, _ = numbers
    assert error_of(
        ddb.query,
        TableName=name,
        KeyConditionExpression="pk = :p",
        FilterExpression="sk > :a",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "1"}},
    ) == (
        "ValidationException",
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
    )
    assert error_of(
        ddb.query,
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ExclusiveStartKey={"pk": {"S": "p"}},
    ) == (
        "ValidationException",
        "The provided starting key is invalid: The provided key element does not match the schema",
    )
    assert error_of(
        ddb.query,
        TableName=name,
        KeyConditionExpression="pk = :p",
        ProjectionExpression="odd",
        ExpressionAttributeValues={":p": {"S": "p"}},
        Select="ALL_ATTRIBUTES",
    ) == (
        "ValidationException",
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to"
        " get ALL_ATTRIBUTES",
    )
    assert error_of(ddb.scan, TableName=name, Select="SPECIFIC_ATTRIBUTES") == (
        "ValidationException",
        "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
    )
    assert error_of(
        ddb.scan,
        TableName=name,
        FilterExpression="attribute_type(odd, :t)",
        ExpressionAttributeValues={":t": {"S": "XX"}},
    ) == (
        "ValidationException",
        "Invalid FilterExpression: Invalid attribute type name found; type: XX, valid types:"
        " { B,BOOL,BS,L,M,N,NS,NULL,S,SS }",
    )
    assert error_of(ddb.scan, TableName=name, ExpressionAttributeValues={":t": {"S": "XX"}}) == (
        "ValidationException",
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null",
    )

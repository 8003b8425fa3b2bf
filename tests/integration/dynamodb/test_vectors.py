"""Vector indexes and SearchVectors through boto3: an exact nearest-neighbour search over the
table's vectors, by each distance function, filtered by the search schema's attributes."""

from __future__ import annotations

import math

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import unique


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def vector(*numbers: float) -> dict:
    return {"L": [{"N": str(n)} for n in numbers]}


def index(name: str, function: str, schema: list | None = None) -> dict:
    spec = {
        "IndexName": name,
        "VectorAttribute": {"AttributeName": "embedding"},
        "Dimensions": 2,
        "DistanceFunction": function,
        "Projection": {"ProjectionType": "ALL"},
    }
    if schema:
        spec["SearchSchema"] = schema
    return spec


@pytest.fixture
def table(ddb):
    name = unique()
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        VectorIndexes=[
            index("by-cosine", "COSINE"),
            index(
                "by-distance", "EUCLIDEAN", [{"AttributeName": "tenant", "SearchSchemaElementType": "HASH"}]
            ),
        ],
    )
    rows = {"east": (1, 0), "north": (0, 1), "northeast": (1, 1), "far-east": (10, 0), "west": (-1, 0)}
    for pk, (x, y) in rows.items():
        ddb.put_item(
            TableName=name,
            Item={"pk": {"S": pk}, "embedding": vector(x, y), "tenant": {"S": "a" if x >= 0 else "b"}},
        )
    ddb.put_item(TableName=name, Item={"pk": {"S": "no-vector"}, "tenant": {"S": "a"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "wrong-size"}, "embedding": vector(1, 2, 3)})
    return name


def test_search_by_each_distance(ddb, table):
    described = {i["IndexName"]: i for i in ddb.describe_table(TableName=table)["Table"]["VectorIndexes"]}
    assert described["by-cosine"]["IndexStatus"] == "ACTIVE" and described["by-cosine"]["ItemCount"] == 5
    found = ddb.search_vectors(
        TableName=table,
        IndexName="by-cosine",
        SearchVector=vector(1, 0)["L"],
        TopK=3,
        ReturnConsumedCapacity="TOTAL",
    )
    # Five vectors of two 32-bit numbers were read.
    assert found["ConsumedCapacity"] == {"VectorSearchRequestBytes": 40.0}
    results = found["SearchResults"]
    assert [r["Item"]["pk"]["S"] for r in results][:2] in (["east", "far-east"], ["far-east", "east"])
    assert results[0]["Score"] == pytest.approx(0.0)
    assert results[2]["Item"]["pk"]["S"] == "northeast"
    assert results[2]["Score"] == pytest.approx(1 - 1 / math.sqrt(2))
    near = ddb.search_vectors(
        TableName=table,
        IndexName="by-distance",
        SearchVector=vector(0, 0)["L"],
        TopK=2,
        SearchConditionExpression="tenant = :t",
        ExpressionAttributeValues={":t": {"S": "a"}},
        ProjectionExpression="pk",
    )["SearchResults"]
    assert sorted((r["Item"]["pk"]["S"], r["Score"]) for r in near) == [("east", 1.0), ("north", 1.0)]
    ddb.update_table(TableName=table, VectorIndexUpdates=[{"Create": index("by-dot", "DOT_PRODUCT")}])
    top = ddb.search_vectors(TableName=table, IndexName="by-dot", SearchVector=vector(1, 0)["L"], TopK=1)
    assert top["SearchResults"] == [
        {"Item": {"pk": {"S": "far-east"}, "embedding": vector(10, 0), "tenant": {"S": "a"}}, "Score": 10.0}
    ]


def test_search_errors(ddb, table):
    assert (
        error_of(
            ddb.search_vectors, TableName=table, IndexName="nope", SearchVector=vector(1, 0)["L"], TopK=1
        )[0]
        == "ResourceNotFoundException"
    )
    code, message = error_of(
        ddb.search_vectors, TableName=table, IndexName="by-cosine", SearchVector=vector(1, 0, 0)["L"], TopK=1
    )
    assert code == "ValidationException" and "2 numbers" in message
    code, message = error_of(
        ddb.search_vectors, TableName=table, IndexName="by-distance", SearchVector=vector(1, 0)["L"], TopK=1
    )
    assert code == "ValidationException" and "tenant" in message
    ddb.update_table(TableName=table, VectorIndexUpdates=[{"Delete": {"IndexName": "by-cosine"}}])
    assert [i["IndexName"] for i in ddb.describe_table(TableName=table)["Table"]["VectorIndexes"]] == [
        "by-distance"
    ]
    assert (
        error_of(
            ddb.update_table, TableName=table, VectorIndexUpdates=[{"Delete": {"IndexName": "by-cosine"}}]
        )[0]
        == "ResourceNotFoundException"
    )


def test_create_table_with_a_resource_policy(ddb):
    name = unique()
    document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}]}'
    arn = ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        ResourcePolicy=document,
    )["TableDescription"]["TableArn"]
    assert ddb.get_resource_policy(ResourceArn=arn)["Policy"] == document

"""DynamoDB: item writes and reads, a 10-item Query from 10,000 and from 1,000,000 items, and a
full Scan over 10,000 items."""

from concurrent.futures import ThreadPoolExecutor

from scenarios import AwsCall, Scenario

ITEMS = 10_000
PER_PARTITION = 10


def _table(make_client, name: str) -> None:
    ddb = make_client("dynamodb")
    try:
        ddb.delete_table(TableName=name)
    except ddb.exceptions.ResourceNotFoundException:
        pass
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _item(i: int) -> dict:
    return {
        "pk": {"S": f"user#{i // PER_PARTITION:05d}"},
        "sk": {"N": str(i % PER_PARTITION)},
        "name": {"S": f"name {i}"},
        "total": {"N": f"{i}.99"},
        "status": {"S": "pending"},
    }


def _fill(make_client, name: str, count: int = ITEMS, workers: int = 1) -> None:
    """Fill a table with BatchWriteItem calls, from several threads for big tables (the 1M-item
    table takes about a minute on a quiet machine)."""
    _table(make_client, name)

    def write(starts: range) -> None:
        ddb = make_client("dynamodb")
        for start in starts:
            ddb.batch_write_item(
                RequestItems={
                    name: [{"PutRequest": {"Item": _item(i)}} for i in range(start, min(start + 25, count))]
                }
            )

    starts = range(0, count, 25)
    if workers == 1:
        write(starts)
        return
    with ThreadPoolExecutor(workers) as pool:
        for _done in pool.map(write, [starts[w::workers] for w in range(workers)]):
            pass


SCENARIOS = (
    Scenario(
        name="dynamodb-put-item",
        summary="DynamoDB PutItem of a 5-attribute item (JSON in, empty JSON out)",
        requests=(AwsCall("dynamodb", "PutItem", {"TableName": "bench-put", "Item": _item(1)}),),
        setup=lambda make_client: _table(make_client, "bench-put"),
    ),
    Scenario(
        name="dynamodb-get-item",
        summary="DynamoDB GetItem of a 5-attribute item from a 10,000-item table",
        requests=(
            AwsCall(
                "dynamodb",
                "GetItem",
                {"TableName": "bench-items", "Key": {"pk": {"S": "user#00420"}, "sk": {"N": "3"}}},
            ),
        ),
        setup=lambda make_client: _fill(make_client, "bench-items"),
    ),
    Scenario(
        name="dynamodb-query-10",
        summary="DynamoDB Query returning 10 items (one partition) from a 10,000-item table",
        requests=(
            AwsCall(
                "dynamodb",
                "Query",
                {
                    "TableName": "bench-query",
                    "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": "user#00420"}},
                },
            ),
        ),
        setup=lambda make_client: _fill(make_client, "bench-query"),
    ),
    Scenario(
        name="dynamodb-query-10-1m",
        summary="DynamoDB Query returning 10 items (one partition) from a 1,000,000-item table",
        requests=(
            AwsCall(
                "dynamodb",
                "Query",
                {
                    "TableName": "bench-query-1m",
                    "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": "user#42420"}},
                },
            ),
        ),
        setup=lambda make_client: _fill(make_client, "bench-query-1m", 1_000_000, workers=8),
    ),
    Scenario(
        name="dynamodb-scan-10k",
        summary="DynamoDB Scan of a 10,000-item table: each request is one full 1 MB page (all items)",
        requests=(AwsCall("dynamodb", "Scan", {"TableName": "bench-scan"}),),
        setup=lambda make_client: _fill(make_client, "bench-scan"),
    ),
)

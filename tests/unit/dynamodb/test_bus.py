"""Stream records are announced on the bus (for Lambda's event source mappings) and readable
through the dynamodbstreams handlers with an internal context."""

from __future__ import annotations

import asyncio

from overcast.config import Config
from overcast.context import RequestContext
from overcast.runtime import Runtime


def test_stream_records_are_published_and_readable_internally():
    async def scenario():
        runtime = Runtime(Config(data_dir=None))
        runtime.attach_loop(asyncio.get_running_loop())
        seen = []
        runtime.bus.subscribe("dynamodb:stream", seen.append)
        ddb = runtime.provider("dynamodb")
        context = RequestContext.internal("dynamodb", "123456789012", "eu-west-1")
        created = ddb.create_table(
            context,
            {
                "TableName": "bus-table",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            },
        )
        arn = created["TableDescription"]["LatestStreamArn"]
        ddb.put_item(context, {"TableName": "bus-table", "Item": {"id": {"S": "1"}}})
        ddb.delete_item(context, {"TableName": "bus-table", "Key": {"id": {"S": "1"}}})
        for _ in range(500):  # the bus delivers on the loop; a busy machine may take a while
            if len(seen) == 2:
                break
            await asyncio.sleep(0.01)
        assert [event["stream_arn"] for event in seen] == [arn, arn]
        assert [event["records"][0]["eventName"] for event in seen] == ["INSERT", "REMOVE"]
        assert seen[0]["records"][0]["dynamodb"]["NewImage"] == {"id": {"S": "1"}}

        streams = runtime.provider("dynamodbstreams")
        internal = RequestContext.internal("dynamodbstreams", "123456789012", "eu-west-1")
        shard = streams.describe_stream(internal, {"StreamArn": arn})["StreamDescription"]["Shards"][0][
            "ShardId"
        ]
        iterator = streams.get_shard_iterator(
            internal, {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}
        )["ShardIterator"]
        records = streams.get_records(internal, {"ShardIterator": iterator})["Records"]
        assert records == [event["records"][0] for event in seen]
        runtime.close()

    asyncio.run(scenario())

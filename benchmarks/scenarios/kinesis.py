"""Kinesis: PutRecord of a small record to a stream of four shards (one row written), and
GetRecords of 100 records (one range scan). GetRecords needs a shard iterator, which only the
server can give: the setup fetches one (TRIM_HORIZON, valid five minutes, longer than a run)
and writes it into the request, so every request reads the same first 100 records. ReceiveQueueRecords takes 10 records of a
queue over a stream of 100 with a visibility timeout of 0 (and no dead-lettering), so every
request receives records again instead of draining the queue."""

import time

from scenarios import AwsCall, ClientFactory, Scenario

STREAM = "bench-stream"
_GET_RECORDS: dict = {"Limit": 100}
_RECEIVE: dict = {"Limit": 10, "VisibilityTimeoutSeconds": 0}


def _put_setup(client: ClientFactory) -> None:
    kinesis = client("kinesis")
    kinesis.create_stream(StreamName=STREAM, ShardCount=4)


def _get_setup(client: ClientFactory) -> None:
    kinesis = client("kinesis")
    name = STREAM + "-read"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    for start in range(0, 200, 100):
        kinesis.put_records(
            StreamName=name,
            Records=[
                {"Data": b'{"sensor": "s-%d", "value": 21.5}' % (start + i), "PartitionKey": f"k{start + i}"}
                for i in range(100)
            ],
        )
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    _GET_RECORDS["ShardIterator"] = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]


def _queue_setup(client: ClientFactory) -> None:
    kinesis = client("kinesis")
    name = STREAM + "-queue"
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    queue = kinesis.create_queue(
        QueueName="bench-queue",
        StreamConfigurationList=[{"StreamARN": arn, "StartingPosition": {"Type": "TRIM_HORIZON"}}],
        QueueAttributes={"DeadLetterConfiguration": {"TargetType": "NONE"}},
    )["QueueDescription"]["QueueARN"]
    kinesis.put_records(
        StreamName=name,
        Records=[{"Data": b'{"order": %d, "total": 21.5}' % i, "PartitionKey": f"k{i}"} for i in range(100)],
    )
    while kinesis.describe_queue(QueueARN=queue)["QueueDescription"]["QueueStatus"] != "ACTIVE":
        time.sleep(0.1)
    _RECEIVE["QueueARN"] = queue


SCENARIOS = (
    Scenario(
        name="kinesis-put-record",
        summary="Kinesis PutRecord of a 40-byte record to a four-shard stream (JSON protocol, one write)",
        setup=_put_setup,
        requests=(
            AwsCall(
                "kinesis",
                "PutRecord",
                {
                    "StreamName": STREAM,
                    "Data": b'{"sensor": "s-1", "value": 21.5}',
                    "PartitionKey": "sensor-1",
                },
            ),
        ),
    ),
    Scenario(
        name="kinesis-get-records-100",
        summary="Kinesis GetRecords of 100 records (~40 bytes each) from one shard",
        setup=_get_setup,
        requests=(AwsCall("kinesis", "GetRecords", _GET_RECORDS),),
    ),
    Scenario(
        name="kinesis-receive-queue-records-10",
        summary="Kinesis ReceiveQueueRecords of 10 records from a queue over an on-demand stream",
        setup=_queue_setup,
        requests=(AwsCall("kinesis", "ReceiveQueueRecords", _RECEIVE),),
    ),
)

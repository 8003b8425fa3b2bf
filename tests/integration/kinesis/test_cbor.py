"""The JSON protocol's CBOR variant (application/x-amz-cbor-1.1), which the Java SDKs speak to
Kinesis by default: CBOR maps in and out, blobs as byte strings, timestamps in epoch
milliseconds, errors named by __type and x-amzn-ErrorType."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid

import cbor2
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def call(endpoint: str, operation: str, body: dict) -> tuple[int, dict, dict]:
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=cbor2.dumps(body),
        headers={
            "Content-Type": "application/x-amz-cbor-1.1",
            "X-Amz-Target": f"Kinesis_20131202.{operation}",
        },
    )
    SigV4Auth(Credentials("test", "test"), "kinesis", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(
        endpoint + "/", data=request.body, headers=dict(request.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                cbor2.loads(response.read()),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, cbor2.loads(error.read())


def test_cbor_put_and_get(endpoint):
    name = f"cbor-{uuid.uuid4().hex[:8]}"
    status, headers, _ = call(endpoint, "CreateStream", {"StreamName": name, "ShardCount": 1})
    assert status == 200 and headers["content-type"] == "application/x-amz-cbor-1.1"
    before = int(time.time() * 1000) - 1000
    status, _, put = call(
        endpoint, "PutRecord", {"StreamName": name, "Data": b"\x00bytes\xff", "PartitionKey": "k"}
    )
    assert status == 200 and put["ShardId"] == "shardId-000000000000"
    _, _, iterator = call(
        endpoint, "GetShardIterator",
        {"StreamName": name, "ShardId": put["ShardId"], "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": before},
    )  # fmt: skip
    status, _, answer = call(endpoint, "GetRecords", {"ShardIterator": iterator["ShardIterator"]})
    assert status == 200
    (record,) = answer["Records"]
    assert record["Data"] == b"\x00bytes\xff" and record["SequenceNumber"] == put["SequenceNumber"]
    assert abs(record["ApproximateArrivalTimestamp"] - time.time() * 1000) < 60_000
    _, _, summary = call(endpoint, "DescribeStreamSummary", {"StreamName": name})
    assert isinstance(summary["StreamDescriptionSummary"]["StreamCreationTimestamp"], int)


def test_cbor_errors(endpoint):
    status, headers, body = call(endpoint, "DescribeStream", {"StreamName": "no-such-stream"})
    assert status == 400
    assert body["__type"] == "ResourceNotFoundException" and "no-such-stream" in body["message"]
    assert headers["x-amzn-errortype"].endswith("ResourceNotFoundException")


def test_cbor_receive_queue_records(endpoint):
    name = f"cbq-{uuid.uuid4().hex[:8]}"
    call(endpoint, "CreateStream", {"StreamName": name, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}})
    _, _, summary = call(endpoint, "DescribeStreamSummary", {"StreamName": name})
    stream_arn = summary["StreamDescriptionSummary"]["StreamARN"]
    status, _, made = call(
        endpoint,
        "CreateQueue",
        {
            "QueueName": name,
            "StreamConfigurationList": [
                {"StreamARN": stream_arn, "StartingPosition": {"Type": "TRIM_HORIZON"}}
            ],
        },
    )
    assert status == 200
    arn = made["QueueDescription"]["QueueARN"]
    call(endpoint, "PutRecord", {"StreamName": name, "Data": b"\x00q\xff", "PartitionKey": "k"})
    time.sleep(0.6)
    status, _, answer = call(endpoint, "ReceiveQueueRecords", {"QueueARN": arn})
    assert status == 200
    (record,) = answer["QueueRecords"]
    assert record["Data"] == b"\x00q\xff"
    assert abs(record["ApproximateArrivalTimestamp"] - time.time() * 1000) < 60_000
    assert abs(record["FirstReceiveTimestamp"] - time.time() * 1000) < 60_000

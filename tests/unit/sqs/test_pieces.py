"""SQS's small parts: message MD5s against AWS's recorded values, queue URL parsing and
building, and the in-memory index."""

from __future__ import annotations

import hashlib

from overcast.services.sqs import urls
from overcast.services.sqs.checksums import md5_of_attributes, md5_of_body
from overcast.services.sqs.queue import INFLIGHT, READY, Msg, Queue


def test_md5_of_attributes_matches_aws():
    # Values SQS returned for these attributes.
    assert (
        md5_of_attributes({"Foo": {"DataType": "String", "StringValue": "Bar"}})
        == "ae7155c6026991b6d54b11589678bf9c"
    )
    binary = b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"
    assert (
        md5_of_attributes({"attr1": {"DataType": "Binary", "BinaryValue": binary}})
        == "8cbe4db156db8a94db8b801b7addb984"
    )
    # Order does not matter: attributes are digested sorted by name.
    a = {"b": {"DataType": "Number", "StringValue": "1"}, "a": {"DataType": "String", "StringValue": "x"}}
    assert md5_of_attributes(a) == md5_of_attributes(dict(reversed(list(a.items()))))
    assert md5_of_body("test") == hashlib.md5(b"test").hexdigest() == "098f6bcd4621d373cade4e832627b4f6"


def test_parse_queue_urls():
    assert urls.parse("http://localhost:4566/000000000000/q") == ("000000000000", "q", "")
    assert urls.parse("https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo") == (
        "123456789012",
        "q.fifo",
        "eu-west-1",
    )
    assert urls.parse("https://eu-west-1.queue.amazonaws.com/123456789012/q") == (
        "123456789012",
        "q",
        "eu-west-1",
    )
    assert urls.parse("http://sqs.ap-south-1.localhost.localstack.cloud:4566/123456789012/q") == (
        "123456789012", "q", "ap-south-1")  # fmt: skip
    assert urls.parse("http://localhost:4566/queue/us-west-2/123456789012/q") == (
        "123456789012",
        "q",
        "us-west-2",
    )
    assert urls.parse("http://localhost:4566/q") is None
    assert urls.parse("http://localhost:4566/12345/q") is None


def test_build_queue_urls():
    assert urls.build("localhost:4566", "http", 4566, "1", "q", "us-east-1") == "http://localhost:4566/1/q"
    assert urls.build("127.0.0.1:9000", "http", 4566, "1", "q", "us-east-1") == "http://127.0.0.1:9000/1/q"
    assert urls.build("sqs.eu-west-1.localhost.localstack.cloud:4566", "http", 4566, "1", "q", "eu-west-1") == (
        "http://sqs.eu-west-1.localhost.localstack.cloud:4566/1/q")  # fmt: skip
    assert urls.build("", "http", 4510, "1", "q", "us-east-1") == "http://localhost:4510/1/q"


def record(**attributes):
    return {"attributes": attributes, "tags": {}, "created": 0, "modified": 0, "purged": 0.0}


def test_standard_index_takes_in_order_and_skips_removed():
    queue = Queue("1", "r", "q", "arn", record())
    msgs = [Msg(i, str(i), None, 0.0, 0.0) for i in range(100_000)]
    for msg in msgs:
        queue.add(msg, 1.0)
    queue.remove(msgs[0])
    taken = queue.take(10)
    assert [m.seq for m in taken] == list(range(1, 11))
    for msg in taken:
        queue.set_inflight(msg, 5.0)
    assert (queue.n_ready, queue.n_inflight) == (99_989, 10)
    assert queue.promote(6.0) == 10
    assert [m.seq for m in queue.take(3)] == [1, 2, 3]  # back first


def test_fifo_index_one_batch_per_group():
    queue = Queue("1", "r", "q.fifo", "arn", record(FifoQueue="true"))
    for i, group in enumerate("aabab"):
        queue.add(Msg(i, str(i), group, 0.0, 0.0), 1.0)
    batch = queue.take(10)
    assert [(m.seq, m.group) for m in batch] == [(0, "a"), (1, "a"), (3, "a"), (2, "b"), (4, "b")]
    for msg in batch[:2]:
        queue.set_inflight(msg, 5.0)
    queue.put_back(batch[2:])
    # Group a is in flight: only b's messages; a's third waits for the first two.
    second = queue.take(10)
    assert [m.seq for m in second] == [2, 4]
    queue.remove(batch[0])
    queue.remove(batch[1])
    assert [m.seq for m in queue.take(10)] == [3]
    assert batch[0].state != READY and second[0].state == READY and INFLIGHT


def test_heap_does_not_keep_deleted_messages():
    queue = Queue("1", "r", "q", "arn", record())
    for i in range(10_000):
        msg = Msg(i, str(i), None, 0.0, 0.0)
        queue.add(msg, 1.0)
        (taken,) = queue.take(1)
        queue.set_inflight(taken, 43_200.0)
        queue.remove(taken)
    assert len(queue.timed) <= 1025 and queue.n_inflight == 0

"""What other services rely on: Provider.deliver (through the bus), the handlers Lambda's event
source mapping calls from Python with an internal context, and resource_policy. Plus the
retention sweep, with the clock moved forward."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from overcast.bus import DeliveryError
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.sqs import messages as messages_module

ACCOUNT, REGION = "000000000000", "us-east-1"


@pytest.fixture
def sqs(runtime):
    return runtime.provider("sqs")


@pytest.fixture
def context():
    return RequestContext.internal("sqs", ACCOUNT, REGION)


def run(runtime, coroutine_fn):
    async def main():
        runtime.attach_loop(asyncio.get_running_loop())
        return await coroutine_fn()

    return asyncio.run(main())


def make_queue(sqs, context, name, **attributes):
    url = sqs.create_queue(context, {"QueueName": name, "Attributes": attributes})["QueueUrl"]
    arn = sqs.get_queue_attributes(context, {"QueueUrl": url, "AttributeNames": ["QueueArn"]})["Attributes"][
        "QueueArn"
    ]
    return url, arn


def test_internal_context_urls_name_the_listening_port(sqs, context):
    url, arn = make_queue(sqs, context, "internal")
    assert url == "http://localhost:4566/000000000000/internal"
    assert arn == "arn:aws:sqs:us-east-1:000000000000:internal"


def test_deliver_enqueues_like_send_message(runtime, sqs, context):
    url, arn = make_queue(sqs, context, "target")
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}}
    attributes = {"Foo": {"DataType": "String", "StringValue": "Bar"}}
    result = sqs.deliver(arn, "from sns", attributes=attributes, system_attributes=trace)
    assert result["MD5OfMessageAttributes"] == "ae7155c6026991b6d54b11589678bf9c"

    async def scenario():
        await runtime.bus.deliver_now(arn, "via bus")
        return await sqs.receive_message(context, {
            "QueueUrl": url, "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"],
            "MessageSystemAttributeNames": ["All"],
        })  # fmt: skip

    received = run(runtime, scenario)["Messages"]
    assert [m["Body"] for m in received] == ["from sns", "via bus"]
    assert received[0]["MessageAttributes"] == attributes
    assert received[0]["Attributes"]["AWSTraceHeader"] == "Root=1-abc"
    assert received[0]["MessageId"] == result["MessageId"]


def test_deliver_refusals_are_not_retryable(sqs, context):
    _, fifo_arn = make_queue(sqs, context, "t.fifo", FifoQueue="true")
    with pytest.raises(DeliveryError) as excinfo:
        sqs.deliver("arn:aws:sqs:us-east-1:000000000000:missing", "x")
    assert excinfo.value.retryable is False
    with pytest.raises(DeliveryError) as excinfo:
        sqs.deliver(fifo_arn, "x")  # no group id
    assert excinfo.value.retryable is False
    first = sqs.deliver(fifo_arn, "x", group_id="g", deduplication_id="d")
    again = sqs.deliver(fifo_arn, "x", group_id="g", deduplication_id="d")
    assert first["MessageId"] == again["MessageId"] and first["SequenceNumber"]
    delayed_url, delayed_arn = make_queue(sqs, context, "delayed")
    sqs.deliver(delayed_arn, "later", delay_seconds=60)
    counts = sqs.get_queue_attributes(context, {"QueueUrl": delayed_url, "AttributeNames": ["All"]})[
        "Attributes"
    ]
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"


def test_event_source_mapping_calls(runtime, sqs, context):
    url, arn = make_queue(sqs, context, "esm")

    async def scenario():
        poll = asyncio.ensure_future(sqs.receive_message(context, {"QueueUrl": url, "WaitTimeSeconds": 20,
                                                                   "MaxNumberOfMessages": 10}))  # fmt: skip
        await asyncio.sleep(0.05)
        assert not poll.done()
        started = time.monotonic()
        sqs.deliver(arn, "one")
        sqs.deliver(arn, "two")
        first = await asyncio.wait_for(poll, 5)
        assert time.monotonic() - started < 1
        rest = await sqs.receive_message(context, {"QueueUrl": url, "MaxNumberOfMessages": 10})
        return first["Messages"] + rest.get("Messages", [])

    received = run(runtime, scenario)
    assert sorted(m["Body"] for m in received) == ["one", "two"]
    changed = sqs.change_message_visibility_batch(context, {"QueueUrl": url, "Entries": [
        {"Id": "a", "ReceiptHandle": received[0]["ReceiptHandle"], "VisibilityTimeout": 0},
    ]})  # fmt: skip
    assert changed == {"Successful": [{"Id": "a"}]}  # no failures: no Failed, as AWS answers
    deleted = sqs.delete_message_batch(context, {"QueueUrl": url, "Entries": [
        {"Id": "b", "ReceiptHandle": received[1]["ReceiptHandle"]},
        {"Id": "c", "ReceiptHandle": "bogus"},
    ]})  # fmt: skip
    assert deleted["Successful"] == [{"Id": "b"}] and deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    counts = sqs.get_queue_attributes(context, {"QueueUrl": url, "AttributeNames": ["All"]})["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == (
        "1",
        "0",
    )


def test_resource_policy(sqs, context):
    url, arn = make_queue(sqs, context, "with-policy")
    assert sqs.resource_policy(arn) is None
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}]})  # fmt: skip
    sqs.set_queue_attributes(context, {"QueueUrl": url, "Attributes": {"Policy": policy}})
    assert sqs.resource_policy(arn) == policy
    assert sqs.resource_policy("arn:aws:sqs:us-east-1:000000000000:nope") is None


def test_retention_expires_messages(sqs, context, monkeypatch):
    url, arn = make_queue(sqs, context, "short", MessageRetentionPeriod="60")
    sqs.deliver(arn, "old")
    assert sqs.t_messages.count(f"{ACCOUNT}/{REGION}") == 1
    sqs.sweep()
    assert sqs.t_messages.count(f"{ACCOUNT}/{REGION}") == 1

    class Later:
        @staticmethod
        def time():
            return time.time() + 61

    monkeypatch.setattr(messages_module, "time", Later)
    sqs.sweep()
    assert sqs.t_messages.count(f"{ACCOUNT}/{REGION}") == 0
    counts = sqs.get_queue_attributes(
        context, {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]}
    )
    assert counts["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_missing_queue_error(sqs, context):
    with pytest.raises(ServiceError) as excinfo:
        sqs.get_queue_attributes(
            context, {"QueueUrl": "http://localhost:4566/000000000000/none", "AttributeNames": ["All"]}
        )
    assert excinfo.value.code == "QueueDoesNotExist"


def test_reset_and_import_reload_the_index(runtime, sqs, context, tmp_path):
    url, arn = make_queue(sqs, context, "kept")
    sqs.deliver(arn, "one")
    exported = tmp_path / "state.tar.gz"
    runtime.store.export_to(exported)
    runtime.reset()
    with pytest.raises(ServiceError):
        sqs.get_queue_attributes(context, {"QueueUrl": url, "AttributeNames": ["All"]})
    runtime.store.import_from(exported)
    counts = sqs.get_queue_attributes(
        context, {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]}
    )
    assert counts["Attributes"]["ApproximateNumberOfMessages"] == "1"
    # Unreadable imported rows are skipped, not fatal.
    sqs.t_queues.put(f"{ACCOUNT}/{REGION}", "broken", {"n": 1})
    runtime.store.export_to(exported)
    runtime.store.import_from(exported)
    assert sqs.get_queue_url(context, {"QueueName": "kept"})["QueueUrl"] == url

"""SQS: SendMessage on an empty queue and on one 100k messages deep (the cost must not grow
with the queue), a FIFO send answered from the deduplication window, and a receive on a queue
that always has messages. The full
send → receive → delete cycle needs each answer's receipt handle, so it is measured by
benchmarks/sqs_cycle.py instead."""

from scenarios import AwsCall, ClientFactory, Scenario

QUEUE_URL = "http://127.0.0.1/000000000000/{}"
DEEP = 100_000


def _queue(name: str, depth: int = 0):
    def setup(client: ClientFactory) -> None:
        sqs = client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        for start in range(0, depth, 10):
            sqs.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "MessageBody": f"message {start + i}"} for i in range(10)],
            )

    return setup


def _send(name: str) -> AwsCall:
    return AwsCall(
        "sqs", "SendMessage", {"QueueUrl": QUEUE_URL.format(name), "MessageBody": '{"orderId": "abc123"}'}
    )


def _fifo_queue(name: str):
    def setup(client: ClientFactory) -> None:
        client("sqs").create_queue(QueueName=name, Attributes={"FifoQueue": "true"})

    return setup


SCENARIOS = (
    Scenario(
        name="sqs-send-message",
        summary="SQS SendMessage (JSON protocol) to a standard queue that starts empty",
        setup=_queue("bench-send"),
        requests=(_send("bench-send"),),
    ),
    Scenario(
        name="sqs-send-message-100k",
        summary=f"SQS SendMessage to a standard queue already {DEEP:,} messages deep",
        setup=_queue("bench-deep", DEEP),
        requests=(_send("bench-deep"),),
    ),
    Scenario(
        name="sqs-send-message-fifo-dedup",
        summary="SQS SendMessage to a FIFO queue, each a duplicate answered from the deduplication window",
        setup=_fifo_queue("bench-fifo.fifo"),
        requests=(
            AwsCall(
                "sqs",
                "SendMessage",
                {
                    "QueueUrl": QUEUE_URL.format("bench-fifo.fifo"),
                    "MessageBody": '{"orderId": "abc123"}',
                    "MessageGroupId": "orders",
                    "MessageDeduplicationId": "abc123",
                },
            ),
        ),
    ),
    Scenario(
        name="sqs-send-receive",
        summary="SQS SendMessage and ReceiveMessage (VisibilityTimeout 0) alternating on one queue",
        setup=_queue("bench-receive", 1000),
        requests=(
            _send("bench-receive"),
            AwsCall(
                "sqs",
                "ReceiveMessage",
                {"QueueUrl": QUEUE_URL.format("bench-receive"), "VisibilityTimeout": 0},
            ),
        ),
    ),
)

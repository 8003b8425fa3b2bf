"""The guide's messaging section (spec/aws-guide.txt, "SQS — Simple Queue Service"), command for
command with the real aws CLI, in the guide's account 123456789012. Where the guide writes
`--queue-url ...` or an elided receipt handle, the value the previous command printed is used."""

from __future__ import annotations

import json

GUIDE_ACCOUNT = {"AWS_ACCESS_KEY_ID": "123456789012"}
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/my-queue"


def test_guide_dead_letter_queue_visibility_and_long_polling(aws):
    def cli(*args):
        return aws(*args, env=GUIDE_ACCOUNT)

    # Create a queue with dead-letter queue
    dlq_url = cli("sqs", "create-queue", "--queue-name", "my-dlq")["QueueUrl"]
    assert dlq_url.endswith("/123456789012/my-dlq")
    arn = cli("sqs", "get-queue-attributes", "--queue-url", dlq_url, "--attribute-names", "QueueArn")
    assert arn == {"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:my-dlq"}}

    created = cli(
        "sqs", "create-queue",
        "--queue-name", "my-queue",
        "--attributes", """{
    "VisibilityTimeout": "30",
    "MessageRetentionPeriod": "86400",
    "RedrivePolicy": "{\\"deadLetterTargetArn\\":\\"arn:aws:sqs:us-east-1:123456789012:my-dlq\\",\\"maxReceiveCount\\":\\"3\\"}"
  }""",
    )  # fmt: skip
    assert created["QueueUrl"].endswith("/123456789012/my-queue")

    # Send a message
    sent = cli("sqs", "send-message", "--queue-url", QUEUE_URL,
               "--message-body", '{"orderId": "abc123", "action": "process"}')  # fmt: skip
    assert sent["MD5OfMessageBody"] and sent["MessageId"]

    # Receive and process messages (long polling)
    received = cli("sqs", "receive-message", "--queue-url", QUEUE_URL,
                   "--max-number-of-messages", "10", "--wait-time-seconds", "20")  # fmt: skip
    (message,) = received["Messages"]
    assert json.loads(message["Body"]) == {"orderId": "abc123", "action": "process"}

    # Visibility timeout: the received message is invisible to other consumers (30 s here).
    assert cli("sqs", "receive-message", "--queue-url", QUEUE_URL) is None

    # Delete after processing
    assert cli("sqs", "delete-message", "--queue-url", created["QueueUrl"],
               "--receipt-handle", message["ReceiptHandle"]) is None  # fmt: skip
    attributes = cli("sqs", "get-queue-attributes", "--queue-url", QUEUE_URL, "--attribute-names", "All")[
        "Attributes"
    ]
    assert (
        attributes["ApproximateNumberOfMessages"]
        == attributes["ApproximateNumberOfMessagesNotVisible"]
        == "0"
    )
    assert attributes["VisibilityTimeout"] == "30" and attributes["MessageRetentionPeriod"] == "86400"

    # A message not deleted comes back when its visibility timeout ends; after maxReceiveCount
    # (3) receives it is quarantined in the dead-letter queue.
    cli("sqs", "send-message", "--queue-url", QUEUE_URL, "--message-body", "poison")
    for attempt in range(1, 4):
        again = cli("sqs", "receive-message", "--queue-url", QUEUE_URL, "--visibility-timeout", "1",
                    "--wait-time-seconds", "5", "--attribute-names", "ApproximateReceiveCount")  # fmt: skip
        assert again["Messages"][0]["Body"] == "poison"
        assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == str(attempt)
    assert cli("sqs", "receive-message", "--queue-url", QUEUE_URL, "--wait-time-seconds", "2") is None
    dead = cli("sqs", "receive-message", "--queue-url", dlq_url, "--wait-time-seconds", "20",
               "--message-system-attribute-names", "DeadLetterQueueSourceArn")  # fmt: skip
    assert dead["Messages"][0]["Body"] == "poison"
    assert dead["Messages"][0]["Attributes"] == {
        "DeadLetterQueueSourceArn": "arn:aws:sqs:us-east-1:123456789012:my-queue"
    }


def test_awslocal_alias_creates_a_queue(aws):
    # `alias awslocal='aws --endpoint-url=http://localhost:4566'` then `awslocal sqs create-queue ...`
    url = aws("sqs", "create-queue", "--queue-name", "my-queue")["QueueUrl"]
    assert url.endswith("/000000000000/my-queue")
    assert aws("sqs", "list-queues", "--queue-name-prefix", "my-queue")["QueueUrls"] == [url]

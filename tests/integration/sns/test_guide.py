"""The guide's messaging section (spec/aws-guide.txt): "SNS — Simple Notification Service" and
"Event-Driven Fan-Out (SNS + SQS)", command for command with the real aws CLI, in the guide's
account 123456789012. The queues the guide's topic fans out to are created first (the guide
assumes them)."""

from __future__ import annotations

import json

GUIDE_ACCOUNT = {"AWS_ACCESS_KEY_ID": "123456789012"}
TOPIC = "arn:aws:sns:us-east-1:123456789012:order-events"
FAN_OUT = ("order-fulfillment", "order-email", "order-analytics")


def test_guide_sns_and_fan_out_to_three_queues(aws):
    def cli(*args):
        return aws(*args, env=GUIDE_ACCOUNT)

    urls = {}
    for name in ("order-processing", *FAN_OUT):
        urls[name] = cli("sqs", "create-queue", "--queue-name", name)["QueueUrl"]

    # Create a topic
    assert cli("sns", "create-topic", "--name", "order-events") == {"TopicArn": TOPIC}

    # Subscribe an SQS queue to the topic
    processing = cli("sns", "subscribe",
                     "--topic-arn", "arn:aws:sns:us-east-1:123456789012:order-events",
                     "--protocol", "sqs",
                     "--notification-endpoint", "arn:aws:sqs:us-east-1:123456789012:order-processing")  # fmt: skip
    assert processing["SubscriptionArn"].startswith(TOPIC + ":")

    # Subscribe a Lambda function (delivered once Lambda runs it; the subscription is confirmed now)
    function = cli("sns", "subscribe",
                   "--topic-arn", "arn:aws:sns:us-east-1:123456789012:order-events",
                   "--protocol", "lambda",
                   "--notification-endpoint", "arn:aws:lambda:us-east-1:123456789012:function:send-email")  # fmt: skip
    assert function["SubscriptionArn"].startswith(TOPIC + ":")

    # Publish a message
    published = cli("sns", "publish",
                    "--topic-arn", "arn:aws:sns:us-east-1:123456789012:order-events",
                    "--message", '{"orderId": "abc123", "status": "placed"}',
                    "--subject", "Order Placed")  # fmt: skip
    assert published["MessageId"]
    received = receive(cli, urls["order-processing"])
    assert received["Message"] == '{"orderId": "abc123", "status": "placed"}'
    assert received["Subject"] == "Order Placed"
    assert received["MessageId"] == published["MessageId"]

    # Event-Driven Fan-Out: the three consumer queues subscribe to order-events
    for name in FAN_OUT:
        cli("sns", "subscribe", "--topic-arn", TOPIC, "--protocol", "sqs",
            "--notification-endpoint", f"arn:aws:sqs:us-east-1:123456789012:{name}")  # fmt: skip

    # Producer publishes ONE message to SNS
    fanned = cli("sns", "publish",
                 "--topic-arn", "arn:aws:sns:us-east-1:123456789012:order-events",
                 "--message", '{"orderId":"abc123","userId":"user456","total":99.99}')  # fmt: skip

    # All three SQS queues receive a copy simultaneously
    for name in FAN_OUT:
        copy = receive(cli, urls[name])
        assert copy["MessageId"] == fanned["MessageId"]
        assert json.loads(copy["Message"]) == {"orderId": "abc123", "userId": "user456", "total": 99.99}
        assert copy["TopicArn"] == TOPIC


def receive(cli, url: str) -> dict:
    answer = cli("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "5")
    (message,) = answer["Messages"]
    cli("sqs", "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    return json.loads(message["Body"])

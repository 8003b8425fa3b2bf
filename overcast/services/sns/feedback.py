"""Delivery status logging (https://docs.aws.amazon.com/sns/latest/dg/sns-topic-attributes.html):
a topic with `<Protocol>SuccessFeedbackRoleArn` (and a `<Protocol>SuccessFeedbackSampleRate`
percentage) logs that share of its successful deliveries to CloudWatch Logs group
`sns/<region>/<account>/<topic>`; with `<Protocol>FailureFeedbackRoleArn`, every failed one to
`sns/<region>/<account>/<topic>/Failure`. Each event is AWS's JSON record of the delivery.

Overcast logs the deliveries it makes synchronously (SQS, Lambda and Firehose subscriptions);
an HTTP/S delivery, made later by the outbox, is not logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from overcast.services.sns.models import Subscription, Topic

log = logging.getLogger(__name__)

#: The attribute prefix of each protocol whose deliveries can be logged.
PROTOCOL_PREFIX = {"sqs": "SQS", "lambda": "Lambda", "firehose": "Firehose", "http": "HTTP", "https": "HTTP",
                   "application": "Application"}  # fmt: skip


def wanted(topic: Topic, protocol: str) -> tuple[bool, bool]:
    """(log a success, log a failure) of a delivery over `protocol` from `topic`."""
    prefix = PROTOCOL_PREFIX.get(protocol)
    if prefix is None:
        return False, False
    attributes = topic.attributes
    success = bool(attributes.get(f"{prefix}SuccessFeedbackRoleArn"))
    if success:
        rate = int(attributes.get(f"{prefix}SuccessFeedbackSampleRate") or 0)
        success = rate >= 100 or random.randrange(100) < rate
    return success, bool(attributes.get(f"{prefix}FailureFeedbackRoleArn"))


def record(
    topic: Topic, subscription: Subscription, message_id: str, message: str, published: float, status_code: int,
    provider_response: dict, ok: bool,
) -> str:  # fmt: skip
    now = time.time()
    return json.dumps({
        "notification": {
            "messageMD5Sum": hashlib.md5(message.encode()).hexdigest(),
            "messageId": message_id,
            "topicArn": topic.arn,
            "timestamp": _log_time(published),
        },
        "delivery": {
            "deliveryId": str(uuid.uuid4()),
            "destination": subscription.endpoint,
            "providerResponse": json.dumps(provider_response, separators=(",", ":")),
            "dwellTimeMs": max(0, int((now - published) * 1000)),
            "statusCode": status_code,
        },
        "status": "SUCCESS" if ok else "FAILURE",
    })  # fmt: skip


def provider_response(protocol: str, result: Any) -> tuple[int, dict]:
    """(status code, provider response) of a delivery the target took, from what it answered."""
    result = result if isinstance(result, dict) else {}
    if protocol == "lambda":
        return 202, {"lambdaRequestId": result.get("RequestId", "")}
    if protocol == "sqs":
        return 200, {"sqsRequestId": "Unrecoverable", "sqsMessageId": result.get("MessageId", "")}
    return 200, {}


def group_name(topic: Topic, ok: bool) -> str:
    name = f"sns/{topic.region}/{topic.account}/{topic.name}"
    return name if ok else f"{name}/Failure"


def _log_time(epoch: float) -> str:
    """AWS's timestamp in these records: "2016-12-07 22:14:27.474"."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}"

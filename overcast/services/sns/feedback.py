"""Delivery status logging (https://docs.aws.amazon.com/sns/latest/dg/sns-topic-attributes.html):
a topic with `<Protocol>SuccessFeedbackRoleArn` (and a `<Protocol>SuccessFeedbackSampleRate`
percentage) logs that share of its successful deliveries to CloudWatch Logs group
`sns/<region>/<account>/<topic>`; with `<Protocol>FailureFeedbackRoleArn`, every failed one to
`sns/<region>/<account>/<topic>/Failure`. Each event is AWS's JSON record of the delivery.

Deliveries SNS makes at once (SQS, Lambda, Firehose) are logged as they are made; one the
outbox retries (its target refused it for now, or takes it asynchronously) is relayed through
SNS's own deliver, logged when the target takes it or when its retries are used up; an HTTP/S
delivery when its POST is answered, or when its retries are used up.
"""

from __future__ import annotations

import datetime
import hashlib
import inspect
import json
import logging
import random
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.sns.models import Subscription, Topic
    from overcast.services.sns.provider import Provider
    from overcast.services.sns.publish import Notification

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


def md5(message: str) -> str:
    return hashlib.md5(message.encode()).hexdigest()


def record(
    topic: Topic, destination: str, message_id: str, message_md5: str, published: float, status_code: int,
    provider_response: dict, ok: bool,
) -> str:  # fmt: skip
    now = time.time()
    return json.dumps({
        "notification": {
            "messageMD5Sum": message_md5,
            "messageId": message_id,
            "topicArn": topic.arn,
            "timestamp": _log_time(published),
        },
        "delivery": {
            "deliveryId": str(uuid.uuid4()),
            "destination": destination,
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


def epoch(timestamp: str) -> float:
    """Seconds since the epoch of an ISO 8601 timestamp (a notification's)."""
    return datetime.datetime.fromisoformat(timestamp).timestamp()


class StatusLogOperations:
    """Writing the records: mixed into the Provider."""

    def init_status_logs(self: Provider) -> None:  # type: ignore[misc]
        #: (account, region, log group) → the log stream delivery status records go to.
        self._feedback_streams: dict[tuple[str, str, str], str] = {}

    def log_delivery(self: Provider, note: Notification, subscription: Subscription, ok: bool,  # type: ignore[misc]
                      outcome: Any) -> None:  # fmt: skip
        """Write the delivery's status record to the topic's CloudWatch Logs group."""
        if not self.runtime.config.service_enabled("logs"):
            return
        if ok:
            status_code, response = provider_response(subscription.protocol, outcome)
        else:
            status_code, response = 400, {"ErrorMessage": str(outcome)}
        self.write_status(note.topic, subscription.endpoint, note.message_id,
                           md5(note.text_for(subscription.protocol)), epoch(note.timestamp),
                           status_code, response, ok)  # fmt: skip

    def write_status(self: Provider, topic: Topic, destination: str, message_id: str, message_md5: str,  # type: ignore[misc]
                      published: float, status_code: int, response: dict, ok: bool) -> None:  # fmt: skip
        if not self.runtime.config.service_enabled("logs"):
            return
        event = record(topic, destination, message_id, message_md5, published, status_code, response, ok)
        group = group_name(topic, ok)
        stream = self._feedback_streams.setdefault((topic.account, topic.region, group), str(uuid.uuid4()))
        try:
            self.runtime.provider("logs").append(topic.account, topic.region, group, stream,
                                                 [(int(time.time() * 1000), event)])  # fmt: skip
        except Exception:  # a status log that cannot be written must not fail the delivery
            log.exception("writing the delivery status of a message to %s failed", destination)

    @staticmethod
    def status_log_args(note: Notification, subscription: Subscription) -> dict | None:
        log_success, log_failure = wanted(note.topic, subscription.protocol)
        if not (log_success or log_failure):
            return None
        return {
            "topic": note.topic.arn, "destination": subscription.endpoint, "message_id": note.message_id,
            "md5": md5(note.text_for(subscription.protocol)), "published": epoch(note.timestamp),
            "success": log_success, "failure": log_failure, "protocol": subscription.protocol,
        }  # fmt: skip

    def log_status(self: Provider, status_log: dict, ok: bool, status_code: int, response: dict) -> None:  # type: ignore[misc]
        topic = self.topics.get(status_log["topic"])
        if topic is None or not status_log["success" if ok else "failure"]:
            return
        self.write_status(topic, status_log["destination"], status_log["message_id"], status_log["md5"],
                           status_log["published"], status_code, response, ok)  # fmt: skip

    def relay_logged(self: Provider, target: str, body: Any, options: dict, status_log: dict) -> Any:  # type: ignore[misc]
        """Hand a retried delivery to its target and log its success (DeliveryError, for the
        outbox to retry or give up, when the target refuses)."""
        protocol = status_log.get("protocol", "")
        result = self.runtime.bus.hand_over(target, body, **options)
        if not inspect.isawaitable(result):
            self.log_status(status_log, True, *provider_response(protocol, result))
            return result

        async def settle() -> Any:
            outcome = await result
            self.log_status(status_log, True, *provider_response(protocol, outcome))
            return outcome

        return settle()

    async def post_logged(self: Provider, url: str, body: str, headers: dict, status_log: dict) -> None:  # type: ignore[misc]
        status = await self._post_once(url, body, headers)
        self.log_status(status_log, True, status, {})

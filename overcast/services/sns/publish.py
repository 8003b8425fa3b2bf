"""Publish, PublishBatch and deliver(): validate the message as AWS does, then fan it out to
the topic's confirmed subscriptions whose filter policy it passes, in the background.

Per protocol: SQS and Lambda (and Firehose) through runtime.bus.deliver, HTTP/S by a real POST
retried on the delivery policy's schedule, email/SMS/mobile push recorded in the "messages"
table for GET /_overcast/sns/messages. A delivery that fails for good goes to the
subscription's dead-letter queue (RedrivePolicy), or is logged when there is none.

The JSON envelope is AWS's, byte for byte in layout, signed once per message text with the
key in signing.py (SignatureVersion 1: SHA1, 2: SHA256, per the topic).
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import itertools
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from overcast.bus import DeliveryError
from overcast.common import jsontext
from overcast.common.ids import fast_uuid
from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudwatch.publish import publish_metric
from overcast.services.sns import delivery, feedback
from overcast.services.sns.encryption import MessageCipher
from overcast.services.sns.models import (
    PHONE_NUMBER,
    Subscription,
    Topic,
    invalid,
    invalid_value,
    parse_arn,
)
from overcast.services.sns.signing import string_to_sign
from overcast.services.sns.sms import OPTED_OUT_RESPONSE
from overcast.store import scope

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.sns.provider import Provider

log = logging.getLogger(__name__)

#: The name of SNS's failure handler for deliveries (Provider.dead_letter).
DEAD_LETTER = "sns.dead_letter"
#: Why a delivery to another account's queue that its policy does not open to SNS fails.
_NOT_PERMITTED = (
    "AccessDenied: the queue's policy does not allow sns.amazonaws.com to send messages for this topic"
)

MAX_MESSAGE_BYTES = 262144
MAX_BATCH = 10
DEDUP_WINDOW = 300.0
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_ATTRIBUTE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
_SUBJECT = re.compile(r"[\x20-\x7e]{1,100}")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_dumps = json.JSONEncoder(ensure_ascii=False).encode
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def check_message_attributes(attributes: dict) -> None:
    for name, value in attributes.items():
        if not _ATTRIBUTE_NAME.fullmatch(name):
            if len(name) > 256:
                raise invalid_value("Length of message attribute name must be less than 256 bytes.")
            for char in name:
                if char not in _ATTRIBUTE_CHARS:
                    raise invalid_value(
                        f"Invalid non-alphanumeric character '#x{ord(char):X}' was found in the message attribute"
                        " name. Can only include alphanumeric characters, hyphens, underscores, or dots."
                    )
        if name.startswith("."):
            raise invalid_value("Invalid message attribute name starting with character '.' was found.")
        if name.endswith("."):
            raise invalid_value("Invalid message attribute name ending with character '.' was found.")
        if ".." in name:
            raise invalid_value("Message attribute name can not have successive '.' character.")
        if name.lower().startswith(("aws.", "amazon.")):
            raise invalid_value(f"The message attribute name '{name}' is reserved: names beginning with 'AWS.' or"
                                " 'Amazon.' are reserved for use by AWS.")  # fmt: skip
        data_type = value.get("DataType") or ""
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary") or (
            data_type != base and len(data_type) == len(base) + 1
        ):
            raise invalid_value(
                f"The message attribute '{name}' has an invalid message attribute type, the set of supported"
                " type prefixes is Binary, Number, and String."
            )
        field = "BinaryValue" if base == "Binary" else "StringValue"
        if value.get(field) is None:
            other = "StringValue" if field == "BinaryValue" else "BinaryValue"
            if value.get(other) is not None:
                raise invalid_value(
                    f"The message attribute '{name}' with type '{data_type}' must use field '{field[:-5]}'."
                )
            raise invalid_value(
                f"The message attribute '{name}' must contain non-empty message attribute value for message"
                f" attribute type '{data_type}'."
            )
        if not value[field]:
            raise invalid_value(
                f"The message attribute '{name}' must contain non-empty message attribute value for message"
                f" attribute type '{data_type}'."
            )
        if base == "Number" and not _NUMBER.fullmatch(value[field].strip()):
            raise invalid_value(f"Could not cast message attribute '{name}' value to number.")


def _attributes_size(attributes: dict | None) -> int:
    total = 0
    for name, value in (attributes or {}).items():
        total += len(name.encode()) + len((value.get("DataType") or "").encode())
        if value.get("BinaryValue") is not None:
            total += len(value["BinaryValue"])
        elif value.get("StringValue") is not None:
            total += len(value["StringValue"].encode())
    return total


def check_message(entry: dict) -> dict | None:
    """Validate a Publish (or batch entry) message; the per-protocol texts of a
    MessageStructure=json message, else None."""
    message = entry.get("Message")
    if not message:
        raise invalid("Invalid parameter: Empty message")
    subject = entry.get("Subject")
    if subject is not None and (not _SUBJECT.fullmatch(subject) or subject[0] == " "):
        raise invalid("Invalid parameter: Subject")
    attributes = entry.get("MessageAttributes")
    if attributes:
        check_message_attributes(attributes)
    if len(message.encode()) + _attributes_size(attributes) > MAX_MESSAGE_BYTES:
        raise invalid("Invalid parameter: Message too long")
    structure = entry.get("MessageStructure")
    if structure is None:
        return None
    if structure != "json":
        raise invalid("Invalid parameter: MessageStructure")
    try:
        texts = jsontext.loads(message)
    except ValueError:
        texts = None
    if not isinstance(texts, dict):
        raise invalid("Invalid parameter: Message Structure - JSON message body failed to parse")
    if not isinstance(texts.get("default"), str):
        raise invalid("Invalid parameter: Message Structure - No default entry in JSON message body")
    return {key: value for key, value in texts.items() if isinstance(value, str)}


class Notification:
    """One published message on its way to the subscriptions."""

    __slots__ = (
        "_envelopes",
        "_signatures",
        "attributes",
        "base_url",
        "data_key",
        "dedup_id",
        "group_id",
        "message",
        "message_id",
        "sequence",
        "subject",
        "texts",
        "timestamp",
        "topic",
        "trace",
    )  # fmt: skip

    def __init__(self, topic: Topic, message: str, texts: dict | None, entry: dict, base_url: str) -> None:
        self.topic = topic
        self.message_id = fast_uuid()
        self.message = message
        self.texts = texts
        self.subject = entry.get("Subject")
        self.attributes = entry.get("MessageAttributes") or None
        self.timestamp = iso_millis()
        self.group_id: str | None = None
        self.dedup_id: str | None = None
        self.sequence: str | None = None
        self.base_url = base_url
        #: The publisher's X-Ray trace header: SQS deliveries carry it as AWSTraceHeader.
        self.trace: str | None = None
        self._signatures: dict[str, str] = {}
        self._envelopes: dict[str, tuple[str, str]] = {}
        #: The topic's data key (SSE): the outbox keeps the notification sealed under it.
        self.data_key: tuple[bytes, Any] | None = None

    def record(self) -> dict:
        """What the outbox keeps of the notification until it is fanned out."""
        return {
            "message_id": self.message_id, "message": self.message, "texts": self.texts,
            "subject": self.subject, "attributes": self.attributes, "timestamp": self.timestamp,
            "group_id": self.group_id, "dedup_id": self.dedup_id, "sequence": self.sequence,
            "base_url": self.base_url, "trace": self.trace,
        }  # fmt: skip

    @classmethod
    def restore(cls, topic: Topic, record: dict) -> Notification:
        note = cls.__new__(cls)
        note.topic = topic
        note.trace = None  # absent from records written before it was kept
        note.data_key = None
        for name, value in record.items():
            setattr(note, name, value)
        note._signatures = {}
        note._envelopes = {}
        return note

    def text_for(self, protocol: str) -> str:
        texts = self.texts
        return self.message if texts is None else texts.get(protocol, texts["default"])

    def signature(self, signer, text: str) -> str:
        signature = self._signatures.get(text)
        if signature is None:
            fields = {"Type": "Notification", "Message": text, "MessageId": self.message_id, "Subject": self.subject,
                      "Timestamp": self.timestamp, "TopicArn": self.topic.arn}  # fmt: skip
            signature = self._signatures[text] = signer.sign(
                string_to_sign(fields), self.topic.signature_version
            )
        return signature

    def attribute_values(self) -> dict:
        return {
            name: {
                "Type": value["DataType"],
                "Value": base64.b64encode(value["BinaryValue"]).decode()
                if value.get("BinaryValue") is not None else value["StringValue"],
            }
            for name, value in (self.attributes or {}).items()
        }  # fmt: skip

    def envelope(self, signer, text: str, subscription_arn: str) -> str:
        """The notification as AWS delivers it to SQS, HTTP/S and email-json endpoints. Only
        the UnsubscribeURL differs between subscriptions: the rest is built once per text."""
        parts = self._envelopes.get(text)
        if parts is None:
            parts = self._envelopes[text] = self._envelope_parts(signer, text)
        return f"{parts[0]}{_dumps(unsubscribe_url(self.base_url, subscription_arn))}{parts[1]}"

    def _envelope_parts(self, signer, text: str) -> tuple[str, str]:
        head = ['{\n  "Type" : "Notification",\n  "MessageId" : "', self.message_id, '",\n']
        if self.sequence is not None:
            head += ['  "SequenceNumber" : "', self.sequence, '",\n']
        head += ['  "TopicArn" : ', _dumps(self.topic.arn), ",\n"]
        if self.subject is not None:
            head += ['  "Subject" : ', _dumps(self.subject), ",\n"]
        head += ['  "Message" : ', _dumps(text), ',\n  "Timestamp" : "', self.timestamp, '",\n']
        if not self.topic.fifo:  # AWS signs the notifications of standard topics only
            head += [
                '  "SignatureVersion" : "', self.topic.signature_version,
                '",\n  "Signature" : "', self.signature(signer, text),
                '",\n  "SigningCertURL" : ', _dumps(f"{self.base_url}/_overcast/sns/{signer.file_name}"), ",\n",
            ]  # fmt: skip
        head.append('  "UnsubscribeURL" : ')
        tail = "\n}"
        if self.attributes:
            tail = (
                ',\n  "MessageAttributes" : {\n'
                + ",\n".join(
                    f"    {_dumps(name)} : {_compact(value)}"
                    for name, value in self.attribute_values().items()
                )
                + "\n  }\n}"
            )
        return "".join(head), tail

    def lambda_event(self, signer, subscription_arn: str) -> str:
        text = self.text_for("lambda")
        record = {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription_arn,
            "Sns": {
                "Type": "Notification",
                "MessageId": self.message_id,
                "TopicArn": self.topic.arn,
                "Subject": self.subject,
                "Message": text,
                "Timestamp": self.timestamp,
                # AWS's Lambda events say "1" whatever the topic's version (the signature
                # itself uses the topic's): recorded behaviour, kept for clients that check it.
                "SignatureVersion": "1",
                "Signature": self.signature(signer, text),
                "SigningCertUrl": f"{self.base_url}/_overcast/sns/{signer.file_name}",
                "UnsubscribeUrl": unsubscribe_url(self.base_url, subscription_arn),
                "MessageAttributes": self.attribute_values(),
            },
        }
        return json.dumps({"Records": [record]})

    def sqs_attributes(self) -> dict | None:
        """Raw delivery carries the SNS message attributes over as SQS message attributes."""
        if not self.attributes:
            return None
        return {
            name: {"DataType": value["DataType"], "BinaryValue": value["BinaryValue"]}
            if value.get("BinaryValue") is not None
            else {"DataType": value["DataType"], "StringValue": value["StringValue"]}
            for name, value in self.attributes.items()
        }


def unsubscribe_url(base_url: str, subscription_arn: str) -> str:
    return f"{base_url}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"


def subscribe_url(base_url: str, topic_arn: str, token: str) -> str:
    return f"{base_url}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}"


class PublishOperations:
    topics: dict

    def init_publishing(self: Provider) -> None:  # type: ignore[misc]
        self._sequence = time.time_ns() // 1000
        self._record_counter = itertools.count()
        config = self.runtime.config
        host = config.host if config.host not in ("0.0.0.0", "::", "127.0.0.1", "") else "localhost"
        self.default_base_url = f"http://{host}:{config.port}"

    def base_url(self: Provider, context: RequestContext) -> str:  # type: ignore[misc]
        """Where subscribers reach Overcast back (certificate, confirmation, unsubscribe links):
        the address the client that caused the message used, else the configured one."""
        host = context.request.headers.get("host")
        if not host or context.extra.get("internal"):
            return self.default_base_url
        return f"{context.request.scheme}://{host}"

    def topic_metrics(self: Provider, topic: Any, published: list[dict]) -> None:  # type: ignore[misc]
        """AWS/SNS NumberOfMessagesPublished and PublishSize of messages a topic accepted."""
        dims = {"TopicName": topic.name}
        for params in published:
            size = len((params.get("Message") or "").encode()) + _attributes_size(
                params.get("MessageAttributes")
            )
            publish_metric(
                self.runtime,
                topic.account,
                topic.region,
                "AWS/SNS",
                "NumberOfMessagesPublished",
                dims,
                1,
                "Count",
            )
            publish_metric(
                self.runtime, topic.account, topic.region, "AWS/SNS", "PublishSize", dims, size, "Bytes"
            )

    # -- operations ---------------------------------------------------------------------------

    def publish(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        phone = params.get("PhoneNumber")
        # An empty TopicArn is one, and a malformed one (AWS: "not 1" element), not a missing one.
        arn = params.get("TopicArn") if params.get("TopicArn") is not None else params.get("TargetArn")
        if phone is not None:
            if arn:
                raise invalid("Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or"
                              " PhoneNumber may be specified")  # fmt: skip
            if not PHONE_NUMBER.fullmatch(phone):
                raise invalid(f"Invalid parameter: PhoneNumber Reason: {phone} is not valid to publish to")
            texts = check_message(params)
            message_id = fast_uuid()
            self.record_sms(context.account, context.region, {
                "Type": "Notification", "MessageId": message_id, "PhoneNumber": phone,
                "Message": params["Message"] if texts is None else texts.get("sms", texts["default"]),
                "MessageAttributes": _attribute_record(params.get("MessageAttributes")),
                "Timestamp": iso_millis(), "Protocol": "sms",
            })  # fmt: skip
            return {"MessageId": message_id}
        if arn is None:
            raise invalid("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
        name = "TopicArn" if params.get("TopicArn") is not None else "TargetArn"
        parts = parse_arn(arn, name)
        if name == "TargetArn" and parts[5].startswith("endpoint/"):
            return self.publish_to_endpoint(context, arn, params)
        texts = check_message(params)
        topic = self.topic_for(context, arn, name)
        output, note = self._prepare(topic, params, texts, self.base_url(context))
        self.topic_metrics(topic, [params])
        if note is not None and topic.subscriptions:
            note.trace = context.request.headers.get("x-amzn-trace-id")
            self.fan_out_later(note)
        return output

    def publish_batch(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        entries = params["PublishBatchRequestEntries"]
        topic = self.topic_for(context, params["TopicArn"])
        if not entries:
            raise ServiceError("EmptyBatchRequest", "The batch request doesn't contain any entries.")
        if len(entries) > MAX_BATCH:
            raise ServiceError(
                "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible."
            )
        ids = [entry["Id"] for entry in entries]
        if len(set(ids)) != len(ids):
            raise ServiceError(
                "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."
            )
        for entry_id in ids:
            if len(entry_id) > 80:
                raise ServiceError(
                    "InvalidBatchEntryId",
                    f"The Id of a batch entry in the batch request is too long: {entry_id}",
                )
            if not _BATCH_ID.fullmatch(entry_id):
                raise ServiceError(
                    "InvalidBatchEntryId",
                    f"The Id of a batch entry in the batch request contains an impermissible character: {entry_id}",
                )  # fmt: skip
        total = sum(
            len(e.get("Message", "").encode()) + _attributes_size(e.get("MessageAttributes")) for e in entries
        )
        if total > MAX_MESSAGE_BYTES:
            raise ServiceError(
                "BatchRequestTooLong", "The length of all the messages put together is more than the limit."
            )
        # A message AWS would refuse fails the whole batch, before the FIFO checks.
        all_texts = [check_message(entry) for entry in entries]
        if topic.fifo:
            if not all(entry.get("MessageGroupId") for entry in entries):
                raise invalid("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
            if not topic.content_based_dedup and not all(
                entry.get("MessageDeduplicationId") for entry in entries
            ):
                raise invalid("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or"
                              " MessageDeduplicationId provided explicitly")  # fmt: skip
        base_url = self.base_url(context)
        successful, failed, notes = [], [], []
        for entry, texts in zip(entries, all_texts, strict=True):
            try:
                output, note = self._prepare(topic, entry, texts, base_url)
            except ServiceError as error:
                failed.append(
                    {"Id": entry["Id"], "Code": error.code, "Message": error.message, "SenderFault": True}
                )
                continue
            successful.append({"Id": entry["Id"], **output})
            self.topic_metrics(topic, [entry])
            if note is not None:
                notes.append(note)
        if notes and topic.subscriptions:
            with self.store.transaction():
                for note in notes:
                    self.fan_out_later(note)
        return {"Successful": successful, "Failed": failed}

    def deliver(  # type: ignore[misc]
        self: Provider,
        target_arn: str,
        message: Any,
        *,
        subject: str | None = None,
        attributes: dict | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
        fan_out: bool = False,
        endpoint: str | None = None,
        headers: dict | None = None,
        status_log: dict | None = None,
        relay: str | None = None,
        relay_options: dict | None = None,
        **_: Any,
    ) -> Any:
        """Publish on behalf of another service (S3 notifications, Lambda destinations, alarms)
        exactly as Publish would; DeliveryError(retryable=False) when SNS refuses it.

        SNS's own outbox entries come back here too: `fan_out` carries an accepted
        notification (its record) to the topic's subscriptions; a subscription ARN with an
        `endpoint` is one HTTP/S POST of a notification or confirmation."""
        if fan_out:
            return self._fan_out_recorded(target_arn, message)  # synchronous: one transaction
        if relay is not None and status_log is not None:
            # A retried delivery to SQS/Lambda/Firehose whose status the topic logs.
            return self.relay_logged(relay, message, relay_options or {}, status_log)
        if endpoint is not None:
            if status_log:
                return self.post_logged(endpoint, message, headers or {}, status_log)
            return self._post_once(endpoint, message, headers or {})
        topic = self.topics.get(target_arn)
        if topic is None:
            raise DeliveryError(f"Topic does not exist: {target_arn}", retryable=False)
        entry = {"Message": message, "Subject": subject, "MessageAttributes": attributes,
                 "MessageGroupId": group_id, "MessageDeduplicationId": deduplication_id,
                 "MessageStructure": message_structure}  # fmt: skip
        try:
            if not isinstance(message, str):
                raise invalid("Invalid parameter: Message")
            texts = check_message(entry)
            output, note = self._prepare(topic, entry, texts, self.default_base_url)
        except ServiceError as error:
            raise DeliveryError(f"{error.code}: {error.message}", retryable=False) from None
        if note is not None and topic.subscriptions:
            self.fan_out_later(note)
        return output

    def _prepare(self: Provider, topic: Topic, entry: dict, texts: dict | None, base_url: str):  # type: ignore[misc]
        """(Publish output, the notification to fan out — None for a FIFO duplicate)."""
        note = Notification(topic, entry["Message"], texts, entry, base_url)
        note.data_key = self.cipher.data_key(topic, time.monotonic())  # KMS's refusal refuses it
        group_id = entry.get("MessageGroupId")
        dedup_id = entry.get("MessageDeduplicationId")
        if not topic.fifo:
            if dedup_id:
                raise invalid(
                    "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId"
                    " parameter that is not valid for this topic type"
                )
            # A standard topic's message group reaches standard queues (SQS fair queues).
            note.group_id = group_id or None
            return {"MessageId": note.message_id}, note
        if not group_id:
            raise invalid("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        if not dedup_id:
            if not topic.content_based_dedup:
                raise invalid("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or"
                              " MessageDeduplicationId provided explicitly")  # fmt: skip
            dedup_id = hashlib.sha256(entry["Message"].encode()).hexdigest()
        now = time.monotonic()
        seen = topic.dedup
        while seen:
            oldest = next(iter(seen))
            if seen[oldest][0] > now:
                break
            del seen[oldest]
        previous = seen.get(dedup_id)
        if previous is not None:
            return {"MessageId": previous[1], "SequenceNumber": previous[2]}, None
        self._sequence = max(self._sequence + 1, time.time_ns() // 1000)
        note.sequence = f"{self._sequence:020d}"
        note.group_id = group_id
        note.dedup_id = dedup_id
        seen[dedup_id] = (now + DEDUP_WINDOW, note.message_id, note.sequence)
        return {"MessageId": note.message_id, "SequenceNumber": note.sequence}, note

    # -- fan-out ------------------------------------------------------------------------------

    def fan_out_later(self: Provider, note: Notification) -> None:  # type: ignore[misc]
        """Hand the accepted notification to the outbox: it reaches the subscriptions even if
        Overcast stops before it is fanned out."""
        record = note.record()
        if note.data_key is not None:
            record = MessageCipher.seal(record, note.data_key)
        self.runtime.bus.deliver(note.topic.arn, record, attempts=1, fan_out=True)

    def _fan_out_recorded(self: Provider, topic_arn: str, record: dict) -> None:  # type: ignore[misc]
        topic = self.topics.get(topic_arn)
        if topic is None:
            raise DeliveryError(f"Topic does not exist: {topic_arn}", retryable=False)
        try:
            record = self.cipher.open(topic, record, time.monotonic())
        except ServiceError as error:
            raise DeliveryError(f"{error.code}: {error.message}", retryable=False) from None
        self._fan_out((Notification.restore(topic, record),))

    def _fan_out(self: Provider, notes: tuple[Notification, ...]) -> None:  # type: ignore[misc]
        """Deliver each notification to the subscriptions it passes the filter of. It runs in
        the outbox's transaction: what SQS and Lambda take at once commits with the removal of
        the fan-out's entry; HTTP/S deliveries and retries become outbox entries of their own."""
        for note in notes:
            for subscription in list(note.topic.subscriptions.values()):
                if subscription.pending:
                    continue
                policy = subscription.policy
                if policy is not None and not policy.matches(
                    note.attributes, note.text_for(subscription.protocol)
                ):
                    continue
                try:
                    self._deliver_one(note, subscription)
                except Exception:  # one subscription's failure must not starve the others
                    log.exception("delivery to %s failed", subscription.arn)

    def _deliver_one(self: Provider, note: Notification, subscription: Subscription) -> None:  # type: ignore[misc]
        protocol = subscription.protocol
        if protocol == "sqs":
            options: dict = {}
            if subscription.raw:
                body = note.text_for("sqs")
                attributes = note.sqs_attributes()
                if attributes:
                    options["attributes"] = attributes
            else:
                body = note.envelope(self.signer, note.text_for("sqs"), subscription.arn)
            if note.group_id is not None and subscription.endpoint.endswith(".fifo"):
                options["group_id"] = note.group_id
                options["deduplication_id"] = note.dedup_id
            elif note.group_id is not None and not note.topic.fifo:
                options["group_id"] = note.group_id
            if note.trace:
                options["system_attributes"] = {
                    "AWSTraceHeader": {"DataType": "String", "StringValue": note.trace}
                }
            self._send(subscription, body, options, note=note)
        elif protocol == "lambda":
            dead_body = note.envelope(self.signer, note.text_for("lambda"), subscription.arn)
            self._send(subscription, note.lambda_event(self.signer, subscription.arn),
                       {"invocation_type": "Event"}, dead_body, note=note)  # fmt: skip
        elif protocol in ("http", "https"):
            text = note.text_for(protocol)
            headers = {
                "x-amz-sns-message-type": "Notification",
                "x-amz-sns-message-id": note.message_id,
                "x-amz-sns-topic-arn": note.topic.arn,
                "x-amz-sns-subscription-arn": subscription.arn,
            }
            if subscription.raw:
                headers["x-amz-sns-rawdelivery"] = "true"
                body = text
            else:
                body = note.envelope(self.signer, text, subscription.arn)
            self._post_later(note.topic, subscription, body, headers, dead_letter=True, note=note)
        elif protocol == "firehose":
            body = note.text_for("firehose") if subscription.raw else note.envelope(
                self.signer, note.text_for("firehose"), subscription.arn)  # fmt: skip
            self._send(subscription, body, {}, note=note)
        else:  # email, email-json, sms, application: recorded, not sent
            text = note.text_for(protocol)
            if protocol == "application":
                endpoint = self.platform_endpoint(subscription.endpoint)
                if endpoint is None or endpoint.get("Enabled") == "false":
                    log.warning(
                        "SNS message to %s dropped: the endpoint is gone or disabled", subscription.endpoint
                    )
                    return
                text = note.text_for(subscription.endpoint.split(":", 5)[5].split("/")[1])
            record = {
                "Type": "Notification", "MessageId": note.message_id, "TopicArn": note.topic.arn,
                "SubscriptionArn": subscription.arn, "Protocol": protocol, "Endpoint": subscription.endpoint,
                "Subject": note.subject, "Message": text, "Timestamp": note.timestamp,
                "MessageAttributes": note.attribute_values(),
            }  # fmt: skip
            if protocol == "email-json":
                record["Message"] = note.envelope(self.signer, text, subscription.arn)
            if protocol == "sms":
                record["PhoneNumber"] = subscription.endpoint
                self.record_sms(note.topic.account, note.topic.region, record)
                return
            self.record(note.topic.account, note.topic.region, record)

    def _send(self: Provider, subscription: Subscription, body: str, options: dict,  # type: ignore[misc]
              dead_body: str | None = None, note: Notification | None = None) -> None:  # fmt: skip
        """Deliver through the bus: at once when the target takes it synchronously (no outbox
        row of its own), else by a durable delivery retried three times, then dead-lettered.
        A delivery made at once is logged when the topic asks for delivery status logs."""
        bus = self.runtime.bus
        # A dead-lettered Lambda event goes to the queue as the SNS envelope (dead_body).
        failure_args = self._dead_letter_args(subscription, options if dead_body is None else {}, dead_body)
        if self.runtime.config.enforce_iam and not self._may_deliver(subscription):
            if note is not None and feedback.wanted(note.topic, subscription.protocol)[1]:
                self.log_delivery(note, subscription, False, DeliveryError(_NOT_PERMITTED, False))
            self.dead_letter(body, _NOT_PERMITTED, failure_args)
            return
        log_success, log_failure = (
            (False, False) if note is None else feedback.wanted(note.topic, subscription.protocol)
        )
        try:
            if log_success and note is not None:
                result = bus.hand_over(subscription.endpoint, body, **options)
                if not inspect.iscoroutine(result):
                    if inspect.isawaitable(result):
                        self.runtime.spawn(_settle(result), f"deliver {subscription.endpoint}")
                    self.log_delivery(note, subscription, True, result)
                    return
                result.close()  # an asynchronous target: the durable delivery below makes it
            elif bus.try_deliver(subscription.endpoint, body, **options):
                return
        except DeliveryError as error:
            if not error.retryable:
                if log_failure and note is not None:
                    self.log_delivery(note, subscription, False, error)
                self.dead_letter(body, str(error), failure_args)
                return
        if note is not None and (log_success or log_failure):
            # Retried through SNS itself, so the delivery's status is logged when it is made
            # (or, by the dead-letter handler, when the retries are used up).
            status_log = self.status_log_args(note, subscription)
            failure_args["status_log"] = status_log
            bus.deliver(subscription.arn, body, attempts=3, backoff=1.0, on_failure=DEAD_LETTER,
                        failure_args=failure_args, relay=subscription.endpoint, relay_options=options,
                        status_log=status_log)  # fmt: skip
            return
        bus.deliver(subscription.endpoint, body, attempts=3, backoff=1.0, on_failure=DEAD_LETTER,
                    failure_args=failure_args, **options)  # fmt: skip

    def _may_deliver(self: Provider, subscription: Subscription) -> bool:  # type: ignore[misc]
        """Under --enforce-iam, a queue of another account takes a topic's messages only where
        its policy lets sns.amazonaws.com send them for that topic (AWS drops them otherwise)."""
        endpoint = subscription.endpoint
        if subscription.protocol != "sqs" or endpoint.count(":") < 5:
            return True
        topic_arn = subscription.arn.rsplit(":", 1)[0]
        topic_account = topic_arn.split(":", 5)[4]
        if endpoint.split(":", 5)[4] == topic_account:
            return True
        iam = self.runtime.provider("iam")
        return bool(
            iam.service_may_deliver(
                "sns.amazonaws.com", "sqs:SendMessage", endpoint, topic_arn, topic_account
            )
        )

    @staticmethod
    def _dead_letter_args(subscription: Subscription, options: dict, body: str | None = None) -> dict:
        args: dict = {"subscription": subscription.arn, "dead_letter": subscription.dead_letter_arn}
        if options:
            args["options"] = options
        if body is not None:
            args["body"] = body
        return args

    def dead_letter(self: Provider, message: Any, reason: str, args: dict) -> None:  # type: ignore[misc]
        """The failure handler "sns.dead_letter": a delivery that failed for good goes to the
        subscription's dead-letter queue (as it was when the delivery was made), or is logged
        as lost when it has none."""
        if args.get("status_log"):
            self.log_status(args["status_log"], False, 0, {"ErrorMessage": reason})
        target = args.get("dead_letter")
        if target is None:
            log.warning(
                "SNS message to %s dropped (no dead-letter queue): %s", args.get("subscription"), reason
            )
            return
        dead_options = dict(args.get("options") or {})
        if not target.endswith(".fifo"):
            dead_options.pop("group_id", None)
            dead_options.pop("deduplication_id", None)
        payload = args.get("body", message)
        self.runtime.bus.deliver(target, payload, attempts=3, backoff=1.0, **dead_options)

    def _post_later(self: Provider, topic: Topic, subscription: Subscription, body: str, headers: dict,  # type: ignore[misc]
                    dead_letter: bool, note: Notification | None = None) -> None:  # fmt: skip
        """POST to an HTTP/S endpoint through the outbox, retried on the delivery policy's
        schedule (scaled by OVERCAST_SNS_RETRY_DELAY_SCALE); a POST counts as delivered when
        the endpoint answers below 500."""
        policy = delivery.effective_subscription_policy(
            topic.attributes.get("DeliveryPolicy"), subscription.attributes.get("DeliveryPolicy")
        )
        content_type = (policy.get("requestPolicy") or {}).get(
            "headerContentType"
        ) or "text/plain; charset=UTF-8"
        headers = {"Content-Type": content_type, "User-Agent": delivery.USER_AGENT, **headers}
        delays = [delay * self.retry_scale for delay in delivery.retry_delays(policy["healthyRetryPolicy"])]
        options: dict = {"endpoint": subscription.endpoint, "headers": headers}
        failure_args = self._dead_letter_args(subscription, {}) if dead_letter else None
        status_log = self.status_log_args(note, subscription) if note is not None else None
        if status_log is not None:
            # Where the delivery status goes when the POST is answered, or fails for good.
            options["status_log"] = status_log
            if failure_args is not None:
                failure_args["status_log"] = status_log
        self.runtime.bus.deliver(
            subscription.arn, body, delays=delays, on_failure=DEAD_LETTER if dead_letter else None,
            failure_args=failure_args, **options,
        )  # fmt: skip

    @staticmethod
    async def _post_once(url: str, body: str, headers: dict) -> int:
        try:
            status = await delivery.post(url, body.encode(), headers)
        except (TimeoutError, OSError, ValueError) as error:
            raise DeliveryError(f"SNS could not reach {url}: {type(error).__name__}: {error}") from None
        if status >= 500:
            raise DeliveryError(f"SNS could not deliver to {url}: HTTP {status}")
        return status

    # -- confirmations and records ------------------------------------------------------------

    def send_confirmation(self: Provider, context: RequestContext, topic: Topic, subscription: Subscription,  # type: ignore[misc]
                          kind: str) -> None:  # fmt: skip
        base_url = self.base_url(context)
        if kind == "SubscriptionConfirmation":
            text = (f"You have chosen to subscribe to the topic {topic.arn}.\n"
                    "To confirm the subscription, visit the SubscribeURL included in this message.")  # fmt: skip
        else:
            text = (f"You have chosen to deactivate subscription {subscription.arn}.\n"
                    "To cancel this operation and restore the subscription, visit the SubscribeURL included in this"
                    " message.")  # fmt: skip
        fields = {
            "Type": kind,
            "MessageId": fast_uuid(),
            "Token": subscription.token,
            "TopicArn": topic.arn,
            "Message": text,
            "SubscribeURL": subscribe_url(base_url, topic.arn, subscription.token),
            "Timestamp": iso_millis(),
            "SignatureVersion": topic.signature_version,
        }
        fields["Signature"] = self.signer.sign(string_to_sign(fields), topic.signature_version)
        fields["SigningCertURL"] = f"{base_url}/_overcast/sns/{self.signer.file_name}"
        if subscription.protocol in ("http", "https"):
            body = json.dumps(fields, indent=2, separators=(",", " : "), ensure_ascii=False)
            headers = {"x-amz-sns-message-type": kind, "x-amz-sns-message-id": fields["MessageId"],
                       "x-amz-sns-topic-arn": topic.arn}  # fmt: skip
            if kind == "UnsubscribeConfirmation":
                headers["x-amz-sns-subscription-arn"] = subscription.arn  # it still names one (AWS recorded)
            self._post_later(topic, subscription, body, headers, dead_letter=False)
        elif subscription.protocol == "sqs":
            if self.runtime.config.enforce_iam and not self._may_deliver(subscription):
                return  # the queue's owner has not let SNS in: the confirmation is lost, as on AWS
            body = json.dumps(fields, indent=2, separators=(",", " : "), ensure_ascii=False)
            self.runtime.bus.deliver(subscription.endpoint, body, attempts=3, backoff=1.0)
        else:
            self.record(topic.account, topic.region, {
                **fields, "SubscriptionArn": subscription.arn, "Protocol": subscription.protocol,
                "Endpoint": subscription.endpoint,
            })  # fmt: skip

    def record_sms(self: Provider, account: str, region: str, record: dict) -> None:  # type: ignore[misc]
        """Record an SMS; one to a number on the opt-out list is recorded as AWS's delivery
        status logs show it: not delivered."""
        if self.is_opted_out(account, region, record["PhoneNumber"]):
            record["DeliveryStatus"] = "FAILURE"
            record["ProviderResponse"] = OPTED_OUT_RESPONSE
        self.record(account, region, record)

    def record(self: Provider, account: str, region: str, record: dict) -> None:  # type: ignore[misc]
        record["Account"] = account
        record["Region"] = region
        key = f"{time.time_ns():020d}-{next(self._record_counter):08d}"
        self.t_messages.put(scope(account, region), key, record)


async def _settle(outcome: Any) -> None:
    await outcome


def _attribute_record(attributes: dict | None) -> dict:
    return {
        name: {"Type": value["DataType"],
               "Value": base64.b64encode(value["BinaryValue"]).decode()
               if value.get("BinaryValue") is not None else value["StringValue"]}
        for name, value in (attributes or {}).items()
    }  # fmt: skip

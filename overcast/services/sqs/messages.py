"""SQS message operations: send, receive (with long polling), delete, visibility, dead
letters, and delivery from other services. Mixed into the Provider (provider.py).

Durability: a message is one row of `sqs/messages` (key "<queue>/<seq>"), written before
SendMessage answers; its receive state (count, first receive, end of visibility) is one small
row of `sqs/receipts` under the same key, written before ReceiveMessage answers. Deleting a
message deletes both. The in-memory index (queue.py) is rebuilt from these rows at start.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import os
import time
from typing import TYPE_CHECKING, Any

from overcast.bus import DeliveryError
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.sqs import errors
from overcast.services.sqs.checksums import md5_of_attributes, md5_of_body
from overcast.services.sqs.encryption import BodyCipher
from overcast.services.sqs.move_tasks import MoveTaskOperations
from overcast.services.sqs.queue import INFLIGHT, READY, Msg, Queue
from overcast.services.sqs.validation import (
    BATCH_ID,
    BODY,
    FIFO_ID,
    SYSTEM_NAMES,
    attributes_size,
    check_message_attributes,
    check_system_attributes,
    size,
)
from overcast.services.sqs.wire import KMS_QUERY_CODES

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.sqs.provider import Provider

DEDUP_WINDOW = 300.0
MAX_BATCH = 10
MAX_BATCH_BYTES = 1_048_576
MAX_VISIBILITY = 43_200


class MessageOperations(MoveTaskOperations):
    """Send, receive, delete and change visibility; see the module docstring."""

    queues: dict
    by_arn: dict

    def init_messages(self: Provider) -> None:  # type: ignore[misc]
        store = self.store
        self.t_messages = store.table("sqs", "messages")
        self.t_receipts = store.table("sqs", "receipts")
        self.t_dedup = store.table("sqs", "dedup")
        self.cipher = BodyCipher(self.runtime, store.table("sqs", "keys"))
        self._last_seq = 0
        self.init_move_tasks()

    # -- loading ------------------------------------------------------------------------

    def load_messages(self: Provider) -> None:  # type: ignore[misc]
        now = time.time()
        for sc in self.t_messages.scopes():
            account, _, region = sc.partition("/")
            receipts = dict(self.t_receipts.scan(sc))
            for key, record in self.t_messages.scan(sc):
                name, _, digits = key.rpartition("/")
                queue = self.queues.get((account, region, name))
                if queue is None:
                    continue
                seq = int(digits)
                msg = Msg(seq, record["id"], record.get("group"), record["sent"], record["vis"])
                receipt = receipts.get(key)
                if receipt is not None:
                    msg.receive_count = receipt["n"]
                    msg.first_receive = receipt["first"]
                    msg.visible_at = receipt["until"]
                queue.add(msg, now)
                if seq > self._last_seq:
                    self._last_seq = seq
        for sc in self.t_dedup.scopes():
            account, _, region = sc.partition("/")
            for key, (expires, message_id, seq) in self.t_dedup.scan(sc):
                name, _, dedup_key = key.partition("/")
                queue = self.queues.get((account, region, name))
                if queue is not None and expires > now:
                    queue.dedup[dedup_key] = (expires, message_id, seq)
        self.load_move_tasks()

    def forget_messages(self: Provider) -> None:  # type: ignore[misc]
        self._last_seq = 0
        self.cipher.forget()
        self.forget_move_tasks()

    def _next_seq(self, now: float) -> int:
        # Microseconds since the epoch, kept strictly increasing: sequence numbers grow across
        # restarts without a counter written on every send.
        seq = int(now * 1_000_000)
        if seq <= self._last_seq:
            seq = self._last_seq + 1
        self._last_seq = seq
        return seq

    @staticmethod
    def _key(queue: Queue, seq: int) -> str:
        return f"{queue.name}/{seq:020d}"

    # -- sending ------------------------------------------------------------------------

    def send_message(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        queue = self.queue_for(context, params["QueueUrl"])
        body = params["MessageBody"]
        if not body:
            raise errors.missing_parameter("MessageBody")
        if queue.fifo:
            self._check_fifo_send(queue, params, batch=False)
        system = params.get("MessageSystemAttributes")
        trace = context.request.headers.get("x-amzn-trace-id")
        if trace and not (system and "AWSTraceHeader" in system):
            # An X-Ray traced sender's header becomes the message's AWSTraceHeader, as on AWS.
            system = {**(system or {}), "AWSTraceHeader": {"DataType": "String", "StringValue": trace}}
        return self._enqueue(
            queue, body, params.get("MessageAttributes"), system,
            params.get("DelaySeconds"), params.get("MessageGroupId"), params.get("MessageDeduplicationId"),
            context.principal_id, time.time(),
        )  # fmt: skip

    def _check_fifo_send(self, queue: Queue, entry: dict, batch: bool) -> None:
        if not entry.get("MessageGroupId"):
            if batch:
                raise errors.invalid_parameter("The request must contain the parameter MessageGroupId.")
            raise errors.missing_parameter("MessageGroupId")
        if entry.get("MessageDeduplicationId") is None and not queue.content_dedup:
            raise errors.invalid_parameter(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId"
                " provided explicitly"
            )

    def _enqueue(  # type: ignore[misc]
        self: Provider,
        queue: Queue,
        body: str,
        attributes: dict | None,
        system: dict | None,
        delay: int | None,
        group: str | None,
        dedup_id: str | None,
        sender: str,
        now: float,
        extra: dict | None = None,
        in_transaction: bool = False,
        digest: bool = True,
    ) -> dict:
        """Validate and store one message exactly as SendMessage does; its SendMessage output.
        `in_transaction`: a SendMessageBatch entry, inside the batch's one store transaction.
        `digest=False`: without MD5OfMessageBody, for a delivery whose sender never sees it."""
        if not BODY.match(body):
            raise ServiceError(
                "InvalidMessageContents",
                "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF |"
                " #xE000 to #xFFFD | #x10000 to #x10FFFF",
            )
        if attributes:
            check_message_attributes(attributes)
        if size(body) + attributes_size(attributes) > queue.max_size:
            # A batch entry's wording differs from SendMessage's (as AWS answers it).
            verdict = "cannot be validated" if in_transaction else "are invalid"
            raise errors.invalid_parameter(
                f"One or more parameters {verdict}. Reason: Message must be shorter than {queue.max_size} bytes."
            )
        if system:
            check_system_attributes(system)
        if delay is not None:
            if queue.fifo and delay:
                raise errors.invalid_value(
                    delay,
                    "DelaySeconds",
                    "The request include parameter that is not valid for this queue type.",
                )
            if not 0 <= delay <= 900:
                raise errors.invalid_value(delay, "DelaySeconds", "DelaySeconds must be >= 0 and <= 900.")
        if delay is None or queue.fifo:
            delay = queue.delay
        if group is not None and not FIFO_ID.match(group):
            raise errors.invalid_value(
                group, "MessageGroupId",
                "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
            )  # fmt: skip
        if dedup_id is not None:
            if not queue.fifo:
                raise errors.invalid_value(
                    dedup_id, "MessageDeduplicationId",
                    "The request includes a parameter that is not valid for this queue type.",
                )  # fmt: skip
            if not FIFO_ID.match(dedup_id):
                raise errors.invalid_value(
                    dedup_id, "MessageDeduplicationId",
                    "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128"
                    " in length.",
                )  # fmt: skip
        output = {"MD5OfMessageBody": md5_of_body(body)} if digest else {}
        md5_attributes = md5_of_attributes(attributes) if attributes else None
        md5_system = md5_of_attributes(system) if system else None
        if md5_attributes:
            output["MD5OfMessageAttributes"] = md5_attributes
        if md5_system:
            output["MD5OfMessageSystemAttributes"] = md5_system
        dedup_key = None
        if queue.fifo:
            if dedup_id is None:
                dedup_id = hashlib.sha256(body.encode("utf-8")).hexdigest()
            dedup_key = f"{group}/{dedup_id}" if queue.dedup_per_group else dedup_id
            seen = queue.dedup.get(dedup_key)
            if seen is not None and seen[0] > now:
                output["MessageId"] = seen[1]
                output["SequenceNumber"] = _sequence_number(seen[2])
                return output
        sealed = self.cipher.seal(queue, body, now)  # KMS's refusal, if any, refuses the send
        seq = self._next_seq(now)
        message_id = fast_uuid()
        record = {"id": message_id, "sent": now, "vis": now + delay, "sender": sender}
        if sealed is None:
            record["body"] = body
        else:
            record.update(sealed)
        # Only what is there: most messages have no attributes, group or deduplication id.
        if attributes:
            record["attrs"] = attributes
            record["md5a"] = md5_attributes
        if system:
            record["sys"] = system
        if group is not None:
            record["group"] = group
        if dedup_id is not None:
            record["dedup"] = dedup_id
        if extra:
            record.update(extra)
        key = self._key(queue, seq)
        if dedup_key is None:
            self.t_messages.put(queue.scope, key, record)
        else:
            expires = now + DEDUP_WINDOW
            if in_transaction:
                self.t_messages.put(queue.scope, key, record)
                self.t_dedup.put(queue.scope, f"{queue.name}/{dedup_key}", [expires, message_id, seq])
            else:
                with self.store.transaction():
                    self.t_messages.put(queue.scope, key, record)
                    self.t_dedup.put(queue.scope, f"{queue.name}/{dedup_key}", [expires, message_id, seq])
            queue.dedup.pop(dedup_key, None)  # re-inserted last: the dict stays ordered by expiry
            queue.dedup[dedup_key] = (expires, message_id, seq)
        msg = Msg(seq, message_id, group if queue.fifo else None, now, now + delay)
        queue.add(msg, now)
        self.queue_metric(queue, "NumberOfMessagesSent", 1)
        self.queue_metric(queue, "SentMessageSize", size(body), "Bytes")
        if msg.state == READY and queue.waiters:
            queue.wake(1)
        output["MessageId"] = message_id
        if queue.fifo:
            output["SequenceNumber"] = _sequence_number(seq)
        return output

    def send_message_batch(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        queue = self.queue_for(context, params["QueueUrl"])
        entries = params.get("Entries") or []
        self._check_batch(entries, "SendMessageBatchRequestEntry")
        total = sum(
            size(e.get("MessageBody") or "") + attributes_size(e.get("MessageAttributes")) for e in entries
        )
        if total > MAX_BATCH_BYTES:
            raise ServiceError(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes.",
            )
        if queue.fifo:
            for entry in entries:
                self._check_fifo_send(queue, entry, batch=True)
        successful, failed = [], []
        now = time.time()
        with self.store.transaction():
            for entry in entries:
                try:
                    body = entry.get("MessageBody")
                    if not body:
                        raise errors.missing_parameter("MessageBody")
                    result = self._enqueue(
                        queue, body, entry.get("MessageAttributes"), entry.get("MessageSystemAttributes"),
                        entry.get("DelaySeconds"), entry.get("MessageGroupId"), entry.get("MessageDeduplicationId"),
                        context.principal_id, now, in_transaction=True,
                    )  # fmt: skip
                except ServiceError as error:
                    failed.append(_failure(entry["Id"], error))
                else:
                    result["Id"] = entry["Id"]
                    successful.append(result)
        return _batch_result(successful, failed)

    @staticmethod
    def _check_batch(entries: list, entry_name: str) -> None:
        if not entries:
            raise ServiceError(
                "EmptyBatchRequest", f"There should be at least one {entry_name} in the request."
            )
        if len(entries) > MAX_BATCH:
            raise ServiceError(
                "TooManyEntriesInBatchRequest",
                f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.",
            )
        seen = set()
        for entry in entries:
            entry_id = entry.get("Id") or ""
            if not BATCH_ID.match(entry_id):
                raise ServiceError(
                    "InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can"
                    " be at most 80 letters long.",
                )
            if entry_id in seen:
                raise ServiceError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
            seen.add(entry_id)

    def deliver(  # type: ignore[misc]
        self: Provider,
        target_arn: str,
        message: Any,
        *,
        attributes: dict | None = None,
        system_attributes: dict | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        delay_seconds: int | None = None,
        sender_id: str | None = None,
        **_: Any,
    ) -> dict:
        """Enqueue a message from another service (SNS, S3 notifications, Lambda destinations)
        exactly as SendMessage would; DeliveryError(retryable=False) when SQS refuses it. The
        answer is SendMessage's without the body's MD5, which no sending service reads."""
        queue = self.by_arn.get(target_arn)
        if queue is None:
            raise DeliveryError(f"The queue {target_arn} does not exist.", retryable=False)
        if not isinstance(message, str):
            raise DeliveryError("an SQS message body is a string", retryable=False)
        try:
            if not message:
                raise errors.missing_parameter("MessageBody")
            if queue.fifo:
                self._check_fifo_send(queue, {"MessageGroupId": group_id, "MessageDeduplicationId": deduplication_id},
                                      batch=False)  # fmt: skip
            return self._enqueue(
                queue, message, attributes, system_attributes, delay_seconds, group_id, deduplication_id,
                sender_id or queue.account, time.time(), digest=False,
            )  # fmt: skip
        except ServiceError as error:
            raise DeliveryError(f"{error.code}: {error.message}", retryable=False) from None

    # -- receiving ----------------------------------------------------------------------

    async def receive_message(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        queue = self.queue_for(context, params["QueueUrl"])
        count = params.get("MaxNumberOfMessages")
        if count is None:
            count = 1
        elif not 1 <= count <= MAX_BATCH:
            raise errors.invalid_value(count, "MaxNumberOfMessages", "Must be between 1 and 10, if provided.")
        visibility = params.get("VisibilityTimeout")
        if visibility is None:
            visibility = queue.visibility_timeout
        elif not 0 <= visibility <= MAX_VISIBILITY:
            raise errors.invalid_value(
                visibility, "VisibilityTimeout", f"Must be >= 0 and <= {MAX_VISIBILITY}, if provided."
            )
        wait = params.get("WaitTimeSeconds")
        if wait is None:
            wait = queue.wait_time
        elif not 0 <= wait <= 20:
            raise errors.invalid_value(wait, "WaitTimeSeconds", "Must be >= 0 and <= 20, if provided.")
        names = set(params.get("AttributeNames") or ())
        names.update(params.get("MessageSystemAttributeNames") or ())
        if "All" in names:
            names = set(SYSTEM_NAMES)
        else:
            for name in names:
                if name not in SYSTEM_NAMES:
                    raise errors.unknown_attribute(name)
        options = (count, visibility, names, params.get("MessageAttributeNames") or (),
                   params.get("ReceiveRequestAttemptId") if queue.fifo else None)  # fmt: skip
        messages = self._receive(queue, *options)
        if not messages and wait and not self.stopping:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + wait
            while not messages and not queue.deleted and not self.stopping:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                change = queue.next_change()
                if change is not None:
                    remaining = min(remaining, max(0.0, change - time.time()) + 0.001)
                future = loop.create_future()
                queue.waiters[future] = None
                timer = loop.call_later(remaining, _release, future)
                try:
                    await future
                finally:
                    timer.cancel()
                    queue.waiters.pop(future, None)
                if not queue.deleted:
                    messages = self._receive(queue, *options)
        return {"Messages": messages} if messages else {}

    def _receive(self: Provider, queue: Queue, count: int, visibility: int, names: set, wanted: Any,  # type: ignore[misc]
                 attempt: str | None) -> list[dict]:  # fmt: skip
        now = time.time()
        if queue.timed and queue.timed[0][0] <= now:
            queue.promote(now)
        if attempt is not None:
            cached = queue.attempts.get(attempt)
            if cached is not None:
                expires, held, answer = cached
                if expires > now and all(m.state == INFLIGHT and m.receive_count == n for m, n in held):
                    return answer
                del queue.attempts[attempt]
        chosen: list[Msg] = []
        until = now + visibility
        while len(chosen) < count:
            batch = queue.take(count - len(chosen))
            if not batch:
                break
            for msg in batch:
                if queue.redrive is not None and msg.receive_count >= queue.redrive[1]:
                    if self._dead_letter(queue, queue.redrive[0], msg, now):
                        continue
                msg.receive_count += 1
                if not msg.first_receive:
                    msg.first_receive = now
                # In flight at once: a FIFO group must not hand these out again in this loop.
                queue.set_inflight(msg, until)
                chosen.append(msg)
        if not chosen:
            self.queue_metric(queue, "NumberOfEmptyReceives", 1)
            return []
        self.queue_metric(queue, "NumberOfMessagesReceived", len(chosen))
        scope = queue.scope
        get, put = self.t_messages.get, self.t_receipts.put
        out = []
        with self.store.transaction():
            for msg in chosen:
                key = self._key(queue, msg.seq)
                put(scope, key, {"n": msg.receive_count, "first": msg.first_receive, "until": until})
                out.append(self._render(queue, msg, get(scope, key), names, wanted))
        if attempt is not None:
            queue.attempts[attempt] = (now + DEDUP_WINDOW, [(m, m.receive_count) for m in chosen], out)
        return out

    def _render(self, queue: Queue, msg: Msg, record: dict, names: set, wanted: Any) -> dict:
        body = self.cipher.open(queue.scope, record, time.time())
        token = base64.b64encode(os.urandom(48)).decode()
        handle = base64.b64encode(
            f"{queue.account} {queue.region} {queue.name} {msg.seq} {msg.receive_count} {token}".encode()
        ).decode()
        out = {
            "MessageId": record["id"],
            "ReceiptHandle": handle,
            "MD5OfBody": md5_of_body(body),
            "Body": body,
        }
        if names:
            out["Attributes"] = _system_attributes(msg, record, names)
        attributes = record.get("attrs")
        if attributes and wanted:
            chosen = _select_attributes(attributes, wanted)
            if chosen:
                out["MessageAttributes"] = chosen
                out["MD5OfMessageAttributes"] = (
                    record["md5a"] if len(chosen) == len(attributes) else md5_of_attributes(chosen)
                )
        return out

    def _dead_letter(self: Provider, queue: Queue, target_arn: str, msg: Msg, now: float) -> bool:  # type: ignore[misc]
        """Move a message received maxReceiveCount times to the queue's dead-letter queue;
        False (the message stays) if that queue no longer exists."""
        target = self.by_arn.get(target_arn)
        if target is None or target is queue:
            return False
        self.move_message(queue, msg, target, now, {"dlq_src": queue.arn}, keep_receives=True)
        return True

    def move_message(self: Provider, source: Queue, msg: Msg, target: Queue, now: float, extra: dict,  # type: ignore[misc]
                     keep_receives: bool = False) -> None:  # fmt: skip
        """Move a message to another queue as one transaction, keeping its id, body and
        attributes (and, for standard queues, its original sent time). A dead-lettered
        message keeps its receive count and first receive time too, as on AWS (its first
        receive from the dead-letter queue counts on from there)."""
        old_key = self._key(source, msg.seq)
        record = self.t_messages.get(source.scope, old_key)
        seq = self._next_seq(now)
        record = dict(record, **extra)
        if target.fifo:
            record["sent"] = now
        record["vis"] = now
        with self.store.transaction():
            self.t_messages.delete(source.scope, old_key)
            if msg.receive_count:
                self.t_receipts.delete(source.scope, old_key)
            self.t_messages.put(target.scope, self._key(target, seq), record)
            if keep_receives and msg.receive_count:
                self.t_receipts.put(target.scope, self._key(target, seq),
                                    {"n": msg.receive_count, "first": msg.first_receive, "until": now})  # fmt: skip
        source.remove(msg)
        moved = Msg(seq, record["id"], record.get("group") if target.fifo else None, record["sent"], now)
        if keep_receives:
            moved.receive_count = msg.receive_count
            moved.first_receive = msg.first_receive
        target.add(moved, now)
        if target.waiters:
            target.wake(1)

    # -- deleting and visibility --------------------------------------------------------

    def _handle(self, queue: Queue, handle: str) -> tuple[int, int]:
        """(sequence, receive count) a receipt handle of this queue names."""
        try:
            parts = base64.b64decode(handle, validate=True).decode().split(" ")
            account, region, name, seq, count, _ = parts
            if (account, region, name) != (queue.account, queue.region, queue.name):
                raise ValueError(handle)
            return int(seq), int(count)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise errors.receipt_handle_invalid(handle) from None

    def _delete(self: Provider, queue: Queue, handle: str, now: float) -> None:  # type: ignore[misc]
        """Delete the message a receipt handle names; call inside a store transaction."""
        seq, count = self._handle(queue, handle)
        if queue.timed and queue.timed[0][0] <= now:
            queue.promote(now)
        msg = queue.msgs.get(seq)
        if msg is None:
            return  # already deleted: SQS answers success
        if queue.fifo and (msg.state != INFLIGHT or msg.receive_count != count):
            raise errors.receipt_handle_expired(handle)
        key = self._key(queue, seq)
        self.t_messages.delete(queue.scope, key)
        if msg.receive_count:
            self.t_receipts.delete(queue.scope, key)
        queue.remove(msg)
        self.queue_metric(queue, "NumberOfMessagesDeleted", 1)
        if queue.fifo and queue.waiters and queue.available:
            queue.wake(1)

    def delete_message(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        queue = self.queue_for(context, params["QueueUrl"])
        with self.store.transaction():
            self._delete(queue, params["ReceiptHandle"], time.time())
        return {}

    def delete_message_batch(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        queue = self.queue_for(context, params["QueueUrl"])
        entries = params.get("Entries") or []
        self._check_batch(entries, "DeleteMessageBatchRequestEntry")
        successful, failed = [], []
        now = time.time()
        with self.store.transaction():
            for entry in entries:
                try:
                    self._delete(queue, entry["ReceiptHandle"], now)
                except ServiceError as error:
                    failed.append(_failure(entry["Id"], error))
                else:
                    successful.append({"Id": entry["Id"]})
        return _batch_result(successful, failed)

    def _change_visibility(self: Provider, queue: Queue, handle: str, timeout: int, now: float) -> None:  # type: ignore[misc]
        seq, count = self._handle(queue, handle)
        if not 0 <= timeout <= MAX_VISIBILITY:
            raise errors.invalid_value(
                timeout, "VisibilityTimeout", f"Must be >= 0 and <= {MAX_VISIBILITY}, if provided."
            )
        if queue.timed and queue.timed[0][0] <= now:
            queue.promote(now)
        msg = queue.msgs.get(seq)
        # A standard queue honours an earlier receive's handle too (AWS does); FIFO only the latest.
        if msg is None or msg.receive_count < count or (queue.fifo and msg.receive_count != count):
            raise errors.not_available_for_visibility(handle)
        if msg.state != INFLIGHT:
            if queue.fifo:
                raise errors.receipt_handle_expired(handle)
            return  # its visibility timeout already ended: nothing to change
        if now + timeout - msg.first_receive > MAX_VISIBILITY + 1:
            raise errors.invalid_value(
                timeout, "VisibilityTimeout",
                "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
            )  # fmt: skip
        until = now + timeout
        self.t_receipts.put(queue.scope, self._key(queue, seq),
                            {"n": msg.receive_count, "first": msg.first_receive, "until": until})  # fmt: skip
        queue.change_visibility(msg, until, now)
        if until <= now and queue.waiters:
            queue.wake(1)

    def change_message_visibility(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        queue = self.queue_for(context, params["QueueUrl"])
        self._change_visibility(queue, params["ReceiptHandle"], params["VisibilityTimeout"], time.time())
        return {}

    def change_message_visibility_batch(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        queue = self.queue_for(context, params["QueueUrl"])
        entries = params.get("Entries") or []
        self._check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        successful, failed = [], []
        now = time.time()
        for entry in entries:
            try:
                timeout = entry.get("VisibilityTimeout")
                if timeout is None:
                    raise errors.missing_parameter("VisibilityTimeout")
                self._change_visibility(queue, entry["ReceiptHandle"], timeout, now)
            except ServiceError as error:
                failed.append(_failure(entry["Id"], error))
            else:
                successful.append({"Id": entry["Id"]})
        return _batch_result(successful, failed)

    # -- whole-queue work ---------------------------------------------------------------

    def drop_messages(self: Provider, queue: Queue, dedup: bool = False) -> None:  # type: ignore[misc]
        """Delete every message of a queue (purge; with its deduplication window, when the
        queue itself is deleted), store rows included."""
        gone = queue.clear()
        scope = queue.scope
        with self.store.transaction():
            for msg in gone:
                key = self._key(queue, msg.seq)
                self.t_messages.delete(scope, key)
                if msg.receive_count:
                    self.t_receipts.delete(scope, key)
            if dedup:
                for dedup_key in queue.dedup:
                    self.t_dedup.delete(scope, f"{queue.name}/{dedup_key}")
        if dedup:
            queue.dedup.clear()

    def sweep(self: Provider) -> None:  # type: ignore[misc]
        """Retention expiry and the end of deduplication windows, every second."""
        now = time.time()
        for queue in list(self.queues.values()):
            expired = queue.expired(now)
            if expired:
                with self.store.transaction():
                    for msg in expired:
                        key = self._key(queue, msg.seq)
                        self.t_messages.delete(queue.scope, key)
                        if msg.receive_count:
                            self.t_receipts.delete(queue.scope, key)
                for msg in expired:
                    queue.remove(msg)
            if queue.dedup:
                stale = []
                for dedup_key, (expires, _, _) in queue.dedup.items():
                    if expires > now:
                        break
                    stale.append(dedup_key)
                if stale:
                    with self.store.transaction():
                        for dedup_key in stale:
                            self.t_dedup.delete(queue.scope, f"{queue.name}/{dedup_key}")
                            del queue.dedup[dedup_key]
            if queue.attempts:
                for attempt in [a for a, (expires, _, _) in queue.attempts.items() if expires <= now]:
                    del queue.attempts[attempt]
            if queue.timed and queue.waiters and queue.timed[0][0] <= now:
                woken = queue.promote(now)
                if woken:
                    queue.wake(woken)


def _release(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _sequence_number(seq: int) -> str:
    # 20 digits like AWS's, increasing with every message.
    return str(seq * 10_000)


def _failure(entry_id: str, error: ServiceError) -> dict:
    # A batch entry names KMS's refusal by its query code (KMS.NotFoundException), not its shape.
    code = KMS_QUERY_CODES.get(error.code, error.code)
    return {"Id": entry_id, "SenderFault": error.sender_fault, "Code": code, "Message": error.message}


def _system_attributes(msg: Msg, record: dict, names: set) -> dict:
    values: dict[str, str] = {}
    if "SenderId" in names:
        values["SenderId"] = record.get("sender") or ""
    if "SentTimestamp" in names:
        values["SentTimestamp"] = str(int(record["sent"] * 1000))
    if "ApproximateReceiveCount" in names:
        values["ApproximateReceiveCount"] = str(msg.receive_count)
    if "ApproximateFirstReceiveTimestamp" in names:
        values["ApproximateFirstReceiveTimestamp"] = str(int(msg.first_receive * 1000))
    if record.get("group") is not None:
        if "MessageGroupId" in names:
            values["MessageGroupId"] = record["group"]
    if record.get("dedup") is not None:
        if "SequenceNumber" in names:
            values["SequenceNumber"] = _sequence_number(msg.seq)
        if "MessageDeduplicationId" in names:
            values["MessageDeduplicationId"] = record["dedup"]
    system = record.get("sys")
    if system and "AWSTraceHeader" in names and "AWSTraceHeader" in system:
        values["AWSTraceHeader"] = system["AWSTraceHeader"]["StringValue"]
    if record.get("dlq_src") and "DeadLetterQueueSourceArn" in names:
        values["DeadLetterQueueSourceArn"] = record["dlq_src"]
    return values


def _select_attributes(attributes: dict, wanted: Any) -> dict:
    """The attributes MessageAttributeNames asks for: by name, all ("All", "*", ".*"), or
    every name that starts with a prefix ("Hel.*" → "Hello", "Help.Me")."""
    if "All" in wanted or ".*" in wanted or "*" in wanted:
        return attributes
    chosen = {}
    prefixes = tuple(name[:-2] for name in wanted if name.endswith(".*"))
    for name, value in attributes.items():
        if name in wanted or (prefixes and name.startswith(prefixes)):
            chosen[name] = value
    return chosen


def _batch_result(successful: list, failed: list) -> dict:
    """A batch's output: AWS leaves an empty list out (a batch with no failures has no Failed)."""
    result: dict = {}
    if successful:
        result["Successful"] = successful
    if failed:
        result["Failed"] = failed
    return result

"""DynamoDB Streams, the writing side: each table change appends a record to the table's stream
in the same store transaction as the change itself, so a crash keeps both or neither. The
dynamodbstreams service reads them back (services/dynamodbstreams)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from overcast.services.dynamodb.values import item_size
from overcast.store import scope as store_scope

RETENTION_SECONDS = 24 * 3600
# The API shape (botocore "Identity"); Lambda event payloads spell these principalId/type.
SERVICE_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def sequence_text(number: int) -> str:
    return f"{number:021d}"


class Streams:
    def __init__(self, store) -> None:
        self.store = store
        #: stream ARN -> {"arn", "id", "table", "KeySchema", "view", "status", "created", "shard", ...}
        self.meta = store.table("dynamodb", "streams")
        #: "<stream id>|<sequence>" -> record
        self.records = store.table("dynamodb", "stream_records")
        self._last: dict[str, int] = {}
        #: (scope, stream ARN) -> stream id: an ARN names one stream for good.
        self._ids: dict[tuple[str, str], str] = {}

    def forget_cached(self) -> None:
        """The store was reset or replaced: what is cached from it is stale."""
        self._last.clear()
        self._ids.clear()

    # -- lifecycle ------------------------------------------------------------------------------

    def open_stream(self, scope: str, table: dict, stream: dict) -> None:
        created = time.time()
        stream_id = uuid.uuid4().hex
        self.meta.put(
            scope,
            stream["arn"],
            {
                "arn": stream["arn"],
                "label": stream["label"],
                "id": stream_id,
                "table": table["TableName"],
                "KeySchema": table["KeySchema"],
                "view": stream["view"],
                "status": "ENABLED",
                "created": created,
                "shard": f"shardId-{int(created * 1000):020d}-{stream_id[:8]}",
            },
        )

    def close_stream(self, scope: str, arn: str) -> None:
        meta = self.meta.get(scope, arn)
        if meta is None:
            return
        meta = dict(meta)
        meta["status"] = "DISABLED"
        meta["closed"] = time.time()
        meta["last"] = self.last_sequence(scope, meta["id"])
        self.meta.put(scope, arn, meta)

    def last_sequence(self, scope: str, stream_id: str) -> int:
        last = self._last.get(stream_id)
        if last is None:
            last = 0
            for key, _ in self.records.scan(scope, prefix=stream_id + "|", reverse=True, limit=1):
                last = int(key.rpartition("|")[2])
            self._last[stream_id] = last
        return last

    # -- records --------------------------------------------------------------------------------

    def append(
        self,
        scope: str,
        region: str,
        arn: str,
        view: str,
        keys: dict,
        old: dict | None,
        new: dict | None,
        identity: dict | None = None,
    ) -> dict | None:
        """Write the record of one item change (call inside the change's transaction)."""
        stream_id = self._ids.get((scope, arn))
        if stream_id is None:
            meta = self.meta.get(scope, arn)
            if meta is None:
                return None
            stream_id = self._ids[(scope, arn)] = meta["id"]
        number = self.last_sequence(scope, stream_id) + 1
        self._last[stream_id] = number
        sequence = sequence_text(number)
        body: dict = {"ApproximateCreationDateTime": float(int(time.time())), "Keys": keys}
        if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
            body["NewImage"] = new
        if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            body["OldImage"] = old
        body["SequenceNumber"] = sequence
        body["SizeBytes"] = (
            item_size(keys)
            + (item_size(body["NewImage"]) if "NewImage" in body else 0)
            + (item_size(body["OldImage"]) if "OldImage" in body else 0)
        )
        body["StreamViewType"] = view
        record = {
            "eventID": uuid.uuid4().hex,
            "eventName": "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY"),
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": body,
        }
        if identity is not None:
            record["userIdentity"] = identity
        self.records.put(scope, f"{stream_id}|{sequence}", record)
        return record

    def trim(self, scope: str, now: float) -> None:
        """Drop records past the 24-hour retention, and streams with none left that are closed."""
        for arn, meta in list(self.meta.scan(scope)):
            cutoff = now - RETENTION_SECONDS
            doomed = []
            for key, record in self.records.scan(scope, prefix=meta["id"] + "|", limit=1000):
                if record["dynamodb"]["ApproximateCreationDateTime"] >= cutoff:
                    break
                doomed.append(key)
            if doomed:
                with self.store.transaction():
                    for key in doomed:
                        self.records.delete(scope, key)
            if meta["status"] == "DISABLED" and meta.get("closed", now) < cutoff:
                if not any(True for _ in self.records.scan(scope, prefix=meta["id"] + "|", limit=1)):
                    self.meta.delete(scope, arn)
                    self._ids.pop((scope, arn), None)


class StreamReadsMixin:
    """What DynamoDB offers other services of the streams it keeps: DynamoDB Streams (the
    service) answers its API from these, Lambda's event source mappings find where a stream
    ends. They never read the stream tables themselves.

    A stream is described by its record: arn, label, id, table, KeySchema, view (the view
    type), status (ENABLED or DISABLED), created, shard, and once disabled last (the sequence
    number of its final record). Sequence numbers are integers; records carry them as text."""

    streams: Streams

    def stream(self, account: str, region: str, arn: str) -> dict[str, Any] | None:
        """The stream's description, or None if the account has no such stream in the region."""
        meta = self.streams.meta.get(store_scope(account, region), arn)
        return dict(meta) if meta is not None else None

    def stream_list(
        self, account: str, region: str, start_after: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """The region's streams, in ARN order, from the one after `start_after`."""
        for _arn, meta in self.streams.meta.scan(store_scope(account, region), start_after=start_after):
            yield dict(meta)

    def stream_bounds(self, account: str, region: str, arn: str) -> tuple[int | None, int]:
        """(sequence number of the oldest record kept, None when none is; sequence number of
        the newest record ever written, 0 before the first). (None, 0) for no such stream."""
        where = store_scope(account, region)
        meta = self.streams.meta.get(where, arn)
        if meta is None:
            return None, 0
        first = next(iter(self.streams.records.scan(where, prefix=meta["id"] + "|", limit=1)), None)
        oldest = int(first[0].rpartition("|")[2]) if first is not None else None
        return oldest, self.streams.last_sequence(where, meta["id"])

    def stream_records(
        self, account: str, region: str, arn: str, after: int, limit: int
    ) -> list[dict[str, Any]]:
        """Up to `limit` records of the stream with a sequence number above `after`, oldest
        first (none for no stream)."""
        where = store_scope(account, region)
        meta = self.streams.meta.get(where, arn)
        if meta is None:
            return []
        stream_id = meta["id"]
        return [
            record
            for _key, record in self.streams.records.scan(
                where, prefix=stream_id + "|", start_after=f"{stream_id}|{sequence_text(after)}", limit=limit
            )
        ]

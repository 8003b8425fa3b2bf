"""Recording every served API call, durably, at almost no cost to the request path.

The request observer only appends (time, context, params, output, error) to a list. Every
FLUSH_SECONDS a background pass turns the pending calls into compact records and writes them
as one store row per (scope, pass): a "chunk" keyed by the times of its oldest and newest
event, so reads walk chunks newest first by an index range and stop at the time range's start.
Beside each chunk a small summary row lists the attribute values its events have, so an
attribute lookup skips chunks without decoding them. A clean shutdown flushes; a kill -9
loses at most the calls served in the last FLUSH_SECONDS.

An event id is a UUID (version 7 layout) carrying its event's millisecond, so a lookup by
EventId reads just the chunks of that millisecond.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections import defaultdict
from typing import Callable, Iterator

from overcast.errors import ServiceError
from overcast.services.cloudtrail import events
from overcast.services.cloudtrail.events import Record
from overcast.store import Store, scope as store_scope

log = logging.getLogger("overcast")

FLUSH_SECONDS = float(os.environ.get("OVERCAST_CLOUDTRAIL_FLUSH_SECONDS", "0.25"))
RETENTION_US = 90 * 24 * 3600 * 1_000_000
#: A string longer than this in a request is a body (a message, a document), never recorded.
MAX_STRING = 16_384

#: LookupAttribute key → the summary field a chunk lists its values under.
SUMMARY_FIELDS = ("EventName", "Username", "EventSource", "AccessKeyId", "ResourceName", "ResourceType", "ReadOnly")


def _storable(value, depth: int = 0):
    """A request/response value reduced to what an event may hold: no bodies, no streams."""
    kind = type(value)
    if kind is str:
        return value if len(value) <= MAX_STRING else None
    if kind is dict:
        return {k: v for k, v in ((k, _storable(v, depth + 1)) for k, v in value.items()) if v is not None}
    if kind is list:
        return [_storable(v, depth + 1) for v in value]
    if kind in (int, float, bool) or value is None:
        return value
    if hasattr(value, "tzinfo"):  # a datetime: stored as the event will show it
        return events.java_time(value)
    if kind.__name__ == "Decimal":
        return float(value)
    return None  # bytes, streams: AWS leaves binary payloads out of events


class Recorder:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.chunks = store.table("cloudtrail", "events")
        self.summaries = store.table("cloudtrail", "event-index")
        self.data_chunks = store.table("cloudtrail", "data-events")
        self.pending: list[tuple] = []
        #: Data events are kept only while a logging trail selects some (as on AWS).
        self.keep_data_events = False
        self._lock = threading.Lock()
        self._last_key: dict[str, str] = {}

    # -- the request path ------------------------------------------------------------------

    def observe(self, context, params, output, error) -> None:
        self.pending.append((time.time_ns() // 1000, context, params, output, error))

    # -- background --------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every pending call to the store (one transaction)."""
        with self._lock:
            batch, self.pending = self.pending, []
            if not batch:
                return
            management: dict[str, list[list]] = defaultdict(list)
            data: dict[str, list[list]] = defaultdict(list)
            keep_data = self.keep_data_events
            for item in batch:
                try:
                    record = self._record(item, keep_data)
                except Exception:  # one odd request must not lose the batch
                    log.exception("cloudtrail could not record a call")
                    continue
                if record is not None:
                    target = management if record[5] is None else data
                    target[store_scope(record[7], record[6])].append(record)
            with self.store.transaction():
                for scope, records in management.items():
                    self._write(self.chunks, scope, records, True)
                for scope, records in data.items():
                    self._write(self.data_chunks, scope, records, False)

    def _record(self, item: tuple, keep_data: bool) -> list | None:
        ts, context, params, output, error = item
        model = context.operation
        if model is None or context.service_model is None:
            return None  # never reached an operation: nothing AWS would name
        op = events.operation(context.service, model.name, context.service_model.endpoint_prefix)
        if op.data_type is not None and not keep_data:
            return None
        region = events.global_region(context.region) if op.global_region else context.region
        params = _storable(params) if params else None
        response = None
        if error is None:
            if output and not op.read_only and op.data_type is None:
                response = _storable(output)
            code = message = None
        elif isinstance(error, ServiceError):
            code, message = error.code, error.message
        else:
            code, message = "InternalFailure", "An internal error occurred."
        request = context.request
        found = events.resources(op, params, context.account, region) if params and op.resources else []
        return [
            ts, None, op.name, op.event_source, op.read_only, op.data_type, region,
            context.account, context.principal_arn, context.principal_id, context.access_key_id,
            request.client_ip, request.headers.get("user-agent", ""), context.request_id,
            params, response, code, message, found,
        ]

    def _write(self, table, scope: str, records: list[list], summarize: bool) -> None:
        records.sort(key=lambda r: r[0])
        key = f"{records[0][0]:016d}-{records[-1][0]:016d}"
        if key <= self._last_key.get(scope, ""):
            key = f"{self._last_key[scope]}+"  # two passes in one microsecond: keep both, in order
        self._last_key[scope] = key
        # One JSON text per chunk: a single C call, where the store's codec would walk every record.
        table.put(scope, key, json.dumps(records, separators=(",", ":")))
        if summarize:
            summary: dict[str, set] = {name: set() for name in SUMMARY_FIELDS}
            for r in records:
                summary["EventName"].add(r[2])
                summary["EventSource"].add(r[3])
                summary["ReadOnly"].add("true" if r[4] else "false")
                summary["Username"].add(events.username(r[8]))
                if r[10]:
                    summary["AccessKeyId"].add(r[10])
                for rtype, name, _arn in r[18]:
                    summary["ResourceType"].add(rtype)
                    summary["ResourceName"].add(name)
            self.summaries.put(scope, key, {k: sorted(v) for k, v in summary.items()})

    def expire(self, now_us: int | None = None) -> int:
        """Drop events older than the 90 days CloudTrail keeps. Returns how many chunks went."""
        cutoff = f"{(now_us or time.time_ns() // 1000) - RETENTION_US:016d}"
        dropped = 0
        for table in (self.chunks, self.data_chunks):
            for scope in table.scopes():
                while True:
                    old = [key for key, _ in table.scan(scope, end_before=cutoff, limit=500)]
                    for key in old:
                        # A chunk whose newest event is still young stays whole.
                        if key.split("-")[1][:16] >= cutoff:
                            continue
                        with self.store.transaction():
                            table.delete(scope, key)
                            self.summaries.delete(scope, key)
                        dropped += 1
                    if len(old) < 500:
                        break
        return dropped

    # -- reading --------------------------------------------------------------------------------

    def records(
        self, scope: str, start_us: int, end_us: int, *, data: bool = False,
        attribute: tuple[str, str] | None = None, after: tuple[str, int] | None = None,
    ) -> Iterator[tuple[str, int, Record]]:
        """(chunk key, index, record) newest first within [start_us, end_us], continuing
        strictly after position `after` (a chunk key and index already returned)."""
        table = self.data_chunks if data else self.chunks
        high = f"{end_us + 1:016d}"
        if after is not None:
            high = min(high, after[0] + "\x00")
        source = self.summaries if attribute is not None and not data else table
        for key, value in source.scan(scope, end_before=high, reverse=True):
            newest = int(key[17:33])
            if newest < start_us:
                return
            if source is self.summaries:
                if attribute[1] not in value.get(attribute[0], ()):
                    continue
                value = table.get(scope, key)
                if value is None:
                    continue
            value = json.loads(value)
            top = len(value) - 1
            if after is not None and key == after[0]:
                top = after[1] - 1
            for index in range(top, -1, -1):
                raw = value[index]
                if start_us <= raw[0] <= end_us:
                    yield key, index, Record(raw)

    def records_since(self, scope: str, after_us: int, until_us: int, data: bool) -> list[Record]:
        """Records with after_us < time <= until_us, oldest first (for delivery)."""
        table = self.data_chunks if data else self.chunks
        # A chunk starting before after_us may still hold later events: start one chunk early.
        found = []
        for key, value in table.scan(scope, start_after=f"{max(after_us - 60_000_000, 0):016d}"):
            if int(key[:16]) > until_us:
                break
            found.extend(Record(raw) for raw in json.loads(value) if after_us < raw[0] <= until_us)
        found.sort(key=lambda r: r.ts_us)
        return found


def encode_token(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_token(token: str) -> dict | None:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


Match = Callable[[Record], bool]

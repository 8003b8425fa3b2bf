"""Recording every served API call, durably, at almost no cost to the request path.

The request observer only appends a tuple of atoms (time, operation, caller, client, input,
output, error) to a list. Every FLUSH_SECONDS a background pass turns the pending calls into
compact records and writes them to "chunks": one store row per (account, region) holding up to
about CHUNK_EVENTS calls of at most CHUNK_SPAN_US, keyed by the time of its oldest call, with what
calls share (operation, caller, client) written once. Chunks never overlap in time, so reads
walk them newest first by an index range and stop at the time range's start. Beside each chunk
a summary row lists the attribute values its calls have, so an attribute lookup skips chunks
without decoding them. A clean shutdown flushes; a kill -9 loses at most the calls served in
the last FLUSH_SECONDS.

An event id is a UUID (version 7 layout) carrying its event's millisecond, so a lookup by
EventId reads just the chunks of that millisecond.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterator

from overcast.config import tuning
from overcast.errors import ServiceError
from overcast.services.cloudtrail import events
from overcast.services.cloudtrail.events import Record
from overcast.store import Store
from overcast.store import scope as store_scope

log = logging.getLogger(__name__)
_operation = events.operation

FLUSH_SECONDS = tuning("OVERCAST_CLOUDTRAIL_FLUSH_SECONDS")
#: Calls written per turn of the event loop by the periodic flush (a few milliseconds' work).
FLUSH_SLICE = 256
RETENTION_US = 90 * 24 * 3600 * 1_000_000
#: A chunk takes calls from further flushes until it holds this many or is this old (one flush
#: may add more: extending a chunk rewrites it, so only small chunks are extended).
CHUNK_EVENTS = 256
CHUNK_SPAN_US = 5_000_000
#: A string longer than this in a request is a body (a message, a document), never recorded.
MAX_STRING = 16_384

#: LookupAttribute key → the summary field a chunk lists its values under.
SUMMARY_FIELDS = (
    "EventName",
    "Username",
    "EventSource",
    "AccessKeyId",
    "ResourceName",
    "ResourceType",
    "ReadOnly",
)


#: Members whose values are never stored (RESPONSE_SHOWN ones are shown in responses).
_HIDDEN_MEMBERS = events.SECRET_MEMBERS - events.RESPONSE_SHOWN


def _storable(value, depth: int = 0):
    """A request/response value reduced to what an event may hold: no bodies, no streams, and
    no secret (a secret member is stored as the placeholder its event shows, so secret values
    never reach the store)."""
    kind = type(value)
    if kind is str:
        return value if len(value) <= MAX_STRING else None
    if kind is dict:
        # A plain loop: every recorded call's input passes here, and most members are strings.
        kept = {}
        for k, v in value.items():
            if k in _HIDDEN_MEMBERS:
                kept[k] = events.HIDDEN
            elif type(v) is str:
                if len(v) <= MAX_STRING:
                    kept[k] = v
            else:
                v = _storable(v, depth + 1)
                if v is not None:
                    kept[k] = v
        return kept
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
        #: The newest chunk of each (account, region, data?), still taking calls while it is
        #: small and young, so frequent flushes (every LookupEvents flushes) make few rows.
        self._open: dict[tuple, _Chunk] = {}
        #: botocore OperationModel (one object per operation) → its classification.
        self._operations: dict = {}

    # -- the request path ------------------------------------------------------------------

    def observe(self, context, params, output, error) -> None:
        # Only atoms and the parsed input/output are kept, never the context and its request:
        # holding those object trees until the flush made them survive into the collector's
        # older generations, and the extra full collections cost more than the recording.
        model = context.operation
        if model is None:
            return  # never reached an operation: nothing AWS would name
        op = self._operations.get(model)
        if op is None:
            op = self._operations[model] = _operation(
                context.service, model.name, context.service_model.endpoint_prefix
            )
        if op.data_type is not None and not self.keep_data_events:
            return
        if error is None and (op.read_only or op.data_type is not None):
            output = None  # AWS records no response for reads and data events
        request = context.request
        identity = context.extra.get("identity")  # IAM's record of an issued key, if any
        self.pending.append(
            (
                time.time_ns() // 1000,
                op,
                context.region,
                context.account,
                context.principal_arn,
                context.principal_id,
                context.access_key_id,
                request.client_ip,
                request.headers.get("user-agent", ""),
                bool(identity and identity.get("MFA")),
                context.request_id,
                params or None,
                output,
                error,  # an empty dict need not outlive the request
            )
        )

    def event_now(self, context, params, output, error) -> dict | None:
        """The CloudTrail event of a call just answered, rendered at once (EventBridge's "AWS
        API Call via CloudTrail"); None for calls CloudTrail does not record as management
        events."""
        model = context.operation
        if model is None:
            return None
        op = self._operations.get(model)
        if op is None:
            op = self._operations[model] = _operation(
                context.service, model.name, context.service_model.endpoint_prefix
            )
        if op.data_type is not None:
            return None
        if error is None and op.read_only:
            output = None
        region = events.global_region(context.region) if op.global_region else context.region
        request = context.request
        identity = context.extra.get("identity")
        details = self._details(op, context.account, region, params, output, error)
        values = [time.time_ns() // 1000, None, op.name, op.event_source, op.read_only, None, region,
                  context.account, context.principal_arn, context.principal_id, context.access_key_id,
                  request.client_ip, request.headers.get("user-agent", ""), bool(identity and identity.get("MFA")),
                  context.request_id, *details]  # fmt: skip
        return Record(values).event()

    # -- background --------------------------------------------------------------------------

    def flush(self, limit: int | None = None) -> bool:
        """Write the pending calls to the store (one transaction): all of them, or the `limit`
        oldest. True if calls remain pending."""
        with self._lock:
            pending = self.pending
            if limit is None or len(pending) <= limit:
                batch, self.pending = pending, []
            else:
                batch, self.pending = pending[:limit], pending[limit:]
            if not batch:
                return False
            keep_data = self.keep_data_events
            now = time.time_ns() // 1000
            chunks: dict[tuple, _Chunk] = {}
            for where, open_chunk in list(self._open.items()):
                if len(open_chunk.times) >= CHUNK_EVENTS or now - open_chunk.times[0] >= CHUNK_SPAN_US:
                    del self._open[where]  # full or old: later calls start a new chunk
            for item in batch:
                (
                    ts,
                    op,
                    region,
                    account,
                    principal_arn,
                    principal_id,
                    access_key_id,
                    source_ip,
                    user_agent,
                    mfa,
                    request_id,
                    params,
                    output,
                    error,
                ) = item
                if op.data_type is not None and not keep_data:
                    continue
                if op.global_region:
                    region = events.global_region(region)
                where = (account, region, op.data_type is not None)
                chunk = chunks.get(where)
                if chunk is None:
                    chunk = self._open.get(where)
                    if chunk is None:
                        chunk = self._open[where] = _Chunk()
                    chunks[where] = chunk
                caller = (
                    op,
                    region,
                    account,
                    principal_arn,
                    principal_id,
                    access_key_id,
                    source_ip,
                    user_agent,
                    mfa,
                )
                index = chunk.callers.get(caller)
                if index is None:
                    index = chunk.callers[caller] = len(chunk.callers)
                if params or output or error:
                    try:
                        details = self._details(op, account, region, params, output, error)
                    except Exception:  # one odd request must not lose the batch
                        log.exception("cloudtrail could not record a call")
                        continue
                    chunk.details[str(len(chunk.times))] = details
                times = chunk.times
                if times and ts < times[-1]:
                    chunk.unordered = True
                times.append(ts)
                chunk.callers_of.append(index)
                chunk.request_ids.append(request_id)
            with self.store.transaction():
                for (account, region, data), chunk in chunks.items():
                    if chunk.times:
                        self._write(
                            self.data_chunks if data else self.chunks,
                            store_scope(account, region),
                            chunk,
                            not data,
                        )
            return bool(self.pending)

    async def flush_in_slices(self) -> None:
        """Write every pending call, FLUSH_SLICE at a time, letting the event loop serve
        requests between slices: a quarter second of a busy server's calls written at once
        held every request that arrived meanwhile for as long (the slowest 1% of answers)."""
        while self.flush(FLUSH_SLICE):
            await asyncio.sleep(0)

    @staticmethod
    def _details(op, account: str, region: str, params, output, error) -> list:
        """[params, response, error code, error message, resources] of a call."""
        params = _storable(params) if params else None
        response = _storable(output) if output else None
        if error is None:
            code = message = None
        elif isinstance(error, ServiceError):
            code, message = error.code, error.message
        else:
            code, message = "InternalFailure", "An internal error occurred."
        found = events.resources(op, params, account, region) if params and op.resources else []
        return [params, response, code, message, found]

    def _write(self, table, scope: str, chunk: _Chunk, summarize: bool) -> None:
        if chunk.unordered:
            chunk.reorder()
        key = chunk.key
        if key is None:
            # Keyed by its oldest call: chunks never overlap in time, so key order is time order.
            key = f"{chunk.times[0]:016d}"
            if key <= self._last_key.get(scope, ""):
                key = f"{self._last_key[scope]}+"  # two chunks in one microsecond: keep both, in order
            chunk.key = self._last_key[scope] = key
        callers = [
            [
                op.name,
                op.event_source,
                op.read_only,
                op.data_type,
                region,
                account,
                principal_arn,
                principal_id,
                access_key_id,
                source_ip,
                user_agent,
                mfa,
            ]
            for (
                op,
                region,
                account,
                principal_arn,
                principal_id,
                access_key_id,
                source_ip,
                user_agent,
                mfa,
            ) in chunk.callers
        ]
        # Columns: times and caller numbers as packed integers, request ids as one string, and
        # the few calls with parameters, responses or errors by position. Writing a call then
        # costs a fraction of a microsecond, where a list per call costs several.
        table.put(
            scope,
            key,
            {
                "callers": callers,
                "times": _pack("q", chunk.times),
                "caller": _pack("i", chunk.callers_of),
                "requests": "\n".join(chunk.request_ids),
                "details": chunk.details,
            },
        )
        if summarize:
            summary: dict[str, set] = {name: set() for name in SUMMARY_FIELDS}
            for c in callers:
                summary["EventName"].add(c[0])
                summary["EventSource"].add(c[1])
                summary["ReadOnly"].add("true" if c[2] else "false")
                summary["Username"].add(events.username(c[6]))
                if c[8]:
                    summary["AccessKeyId"].add(c[8])
            for details in chunk.details.values():
                for rtype, name, _arn in details[4]:
                    summary["ResourceType"].add(rtype)
                    summary["ResourceName"].add(name)
            self.summaries.put(scope, key, {k: sorted(v) for k, v in summary.items()})

    def expire(self, now_us: int | None = None) -> int:
        """Drop events older than the 90 days CloudTrail keeps. Returns how many chunks went."""
        # A chunk goes when its newest call is past retention: it started at most CHUNK_SPAN_US
        # before that call.
        cutoff = f"{(now_us or time.time_ns() // 1000) - RETENTION_US - CHUNK_SPAN_US:016d}"
        dropped = 0
        for table in (self.chunks, self.data_chunks):
            for scope in table.scopes():
                while True:
                    old = [key for key, _ in table.scan(scope, end_before=cutoff, limit=500)]
                    for key in old:
                        with self.store.transaction():
                            table.delete(scope, key)
                            self.summaries.delete(scope, key)
                        dropped += 1
                    if len(old) < 500:
                        break
        return dropped

    # -- reading --------------------------------------------------------------------------------

    def records(
        self,
        scope: str,
        start_us: int,
        end_us: int,
        *,
        data: bool = False,
        attribute: tuple[str, str] | None = None,
        after: tuple[str, int] | None = None,
    ) -> Iterator[tuple[str, int, Record]]:
        """(chunk key, index, record) newest first within [start_us, end_us], continuing
        strictly after position `after` (a chunk key and index already returned)."""
        table = self.data_chunks if data else self.chunks
        high = f"{end_us + 1:016d}"
        if after is not None:
            high = min(high, after[0] + "\x00")
        summarized = attribute if not data else None  # data events have no summaries
        source = table if summarized is None else self.summaries
        for key, value in source.scan(scope, end_before=high, reverse=True):
            if summarized is not None:
                if summarized[1] not in value.get(summarized[0], ()):
                    continue
                value = table.get(scope, key)
                if value is None:
                    continue
            stored = _Stored(value)
            times = stored.times
            top = len(times) - 1
            if after is not None and key == after[0]:
                top = after[1] - 1
            for index in range(top, -1, -1):
                if start_us <= times[index] <= end_us:
                    yield key, index, stored.record(index)
            if int(key[:16]) < start_us:
                return  # every older chunk holds only calls before this one's first

    def records_since(self, scope: str, after_us: int, until_us: int, data: bool) -> list[Record]:
        """Records with after_us < time <= until_us, oldest first (for delivery)."""
        table = self.data_chunks if data else self.chunks
        # A chunk starting before after_us may still hold later calls, but spans at most CHUNK_SPAN_US.
        found: list[Record] = []
        for key, value in table.scan(scope, start_after=f"{max(after_us - 2 * CHUNK_SPAN_US, 0):016d}"):
            if int(key[:16]) > until_us:
                break
            stored = _Stored(value)
            found.extend(stored.record(i) for i, ts in enumerate(stored.times) if after_us < ts <= until_us)
        found.sort(key=lambda r: r.ts_us)
        return found


class _Chunk:
    """A chunk being filled, in memory, as columns."""

    __slots__ = ("callers", "callers_of", "details", "key", "request_ids", "times", "unordered")

    def __init__(self) -> None:
        self.callers: dict[tuple, int] = {}
        self.times: list[int] = []
        self.callers_of: list[int] = []
        self.request_ids: list[str] = []
        #: str(position) → [params, response, error code, error message, resources]
        self.details: dict[str, list] = {}
        self.key: str | None = None
        self.unordered = False

    def reorder(self) -> None:
        """Put calls in time order (a clock stepped back while they were served)."""
        order = sorted(range(len(self.times)), key=self.times.__getitem__)
        self.times = [self.times[i] for i in order]
        self.callers_of = [self.callers_of[i] for i in order]
        self.request_ids = [self.request_ids[i] for i in order]
        new_position = {str(old): str(new) for new, old in enumerate(order)}
        self.details = {new_position[k]: v for k, v in self.details.items()}
        self.unordered = False


class _Stored:
    """A chunk read back from the store."""

    __slots__ = ("caller", "callers", "details", "requests", "times")

    def __init__(self, value: dict) -> None:
        self.callers = value["callers"]
        self.times = _unpack("q", value["times"])
        self.caller = _unpack("i", value["caller"])
        self.requests = value["requests"].split("\n")
        self.details = value["details"]

    def record(self, index: int) -> Record:
        details = self.details.get(str(index)) or _NO_DETAILS
        return Record(
            [self.times[index], None, *self.callers[self.caller[index]], self.requests[index], *details]
        )


#: [params, response, error code, error message, resources] of a call recorded without any.
_NO_DETAILS: list = [None, None, None, None, []]


def _pack(code: str, values: list[int]) -> bytes:
    packed = array(code, values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def _unpack(code: str, data: bytes) -> array:
    values = array(code)
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


Match = Callable[[Record], bool]

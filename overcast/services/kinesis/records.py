"""The data plane: PutRecord/PutRecords, shard iterators and GetRecords, retention.

A record is one row of table "records", keyed "<stream uid>/<shard index>/<counter>" so that a
shard's records are a key range in arrival order: a read is one indexed range scan from the
iterator's counter. The row (pack_rendered / pack_sealed) holds the arrival and the record
rendered as GetRecords writes it; sealed records (written while the stream was encrypted) hold
AES-GCM ciphertext under the stream's data key, itself encrypted by the stream's KMS key.

The next counter of each open shard is kept in memory (found again from the last record
after a restart), so a put is one row written; the latest records of each shard are kept in
memory too, rendered (tails.py), so a read at a shard's tip reads no row."""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
import time
from binascii import b2a_base64
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from overcast.errors import ServiceError
from overcast.protocols.serializers.json import RawJson, Spliced

from . import shards as sh
from .errors import invalid, not_found, stream_missing, validation
from .tails import Tails

if TYPE_CHECKING:
    from overcast.context import RequestContext

    from .provider import Provider

ITERATOR_SECONDS = 300
MAX_GET_BYTES = 10 * 1024 * 1024
MAX_PUT_RECORDS = 500
MAX_PUTS_BYTES = 10 * 1024 * 1024
_KMS_ERRORS = {
    "DisabledException": "KMSDisabledException",
    "NotFoundException": "KMSNotFoundException",
    "KMSInvalidStateException": "KMSInvalidStateException",
    "AccessDeniedException": "KMSAccessDeniedException",
}


def record_key(uid: str, index: int, counter: int) -> str:
    return f"{uid}/{index:06d}/{counter:012d}"


def shard_prefix(uid: str, index: int) -> str:
    return f"{uid}/{index:06d}/"


def counter_of(key: str) -> int:
    return int(key[-12:])


#: A record's row: its arrival (epoch seconds) and whether it is sealed, then either its
#: rendered JSON or (sealed) its partition key's length (2 bytes), the key and the ciphertext.
#: One byte string rather than a list: a read of 100 records decodes 100 plain strings.
_HEAD = struct.Struct("<d?")


def pack_rendered(arrival: float, rendered: bytes) -> bytes:
    return _HEAD.pack(arrival, False) + rendered


def pack_sealed(arrival: float, partition_key: str, ciphertext: bytes) -> bytes:
    key = partition_key.encode()
    return _HEAD.pack(arrival, True) + len(key).to_bytes(2, "big") + key + ciphertext


def unpack_sealed(value: bytes) -> tuple[str, bytes]:
    at = _HEAD.size
    length = int.from_bytes(value[at : at + 2], "big")
    return value[at + 2 : at + 2 + length].decode(), value[at + 2 + length :]


def arrival_of(value: bytes) -> float:
    return float(_HEAD.unpack_from(value)[0])


def render(
    sequence: str, arrival: float, data: bytes, partition_key: str, encryption: str | None = None
) -> bytes:
    """A record as GetRecords writes it (`data` already base64)."""
    text = b'{"SequenceNumber":"%s","ApproximateArrivalTimestamp":%s,"Data":"%s","PartitionKey":%s' % (
        sequence.encode(), repr(round(arrival, 3)).encode(), data, json.dumps(partition_key).encode(),
    )  # fmt: skip
    return text + (b',"EncryptionType":"%s"}' % encryption.encode() if encryption else b"}")


#: A record written, for its shard's tail: (shard index, counter, arrival, rendered text or
#: None when it is sealed).
Written = tuple[int, int, float, bytes | None]


def kms_error(error: ServiceError) -> ServiceError:
    return ServiceError(_KMS_ERRORS.get(error.code, "KMSInvalidStateException"), error.message)


class RecordsMixin:
    def init_records(self: Provider) -> None:  # type: ignore[misc]
        self._stream_cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._routers: dict[tuple[str, str], sh.Router] = {}
        self._heads: dict[tuple[str, str, int], int] = {}
        self._data_keys: dict[bytes, AESGCM] = {}
        self._key_checked: dict[str, float] = {}
        # Another process sharing the state (PostgreSQL) may write records: then no copies.
        self._tails: Tails | None = Tails() if self.store.state_url is None else None

    def forget_cached(self: Provider) -> None:  # type: ignore[misc]
        self._stream_cache.clear()
        self._routers.clear()
        self._heads.clear()
        self._key_checked.clear()
        if self._tails is not None:
            self._tails.clear()

    # -- the stream cache ----------------------------------------------------------------------

    def cached_stream(self: Provider, scope: str, name: str) -> dict[str, Any] | None:  # type: ignore[misc]
        """The stream as stored, shared: callers only read it."""
        row = self._stream_cache.get((scope, name))
        if row is None:
            row = self.streams.get(scope, name)
            if row is not None:
                self._stream_cache[(scope, name)] = row
        return row

    def stream_changed(self: Provider, scope: str, row: dict[str, Any], gone: bool = False) -> None:  # type: ignore[misc]
        """Forget the cached stream once the change is committed (at once outside a transaction)."""

        def forget() -> None:
            self._stream_cache.pop((scope, row["StreamName"]), None)
            self._routers.pop((scope, row["StreamName"]), None)
            self._key_checked.pop(row["StreamARN"], None)
            if gone:
                for key in [k for k in self._heads if k[0] == scope and k[1] == row["uid"]]:
                    del self._heads[key]
                if self._tails is not None:
                    self._tails.forget_stream(scope, row["uid"])

        self.store.after_commit(forget)
        self.notify(row["StreamARN"])

    def router(self: Provider, scope: str, row: dict[str, Any]) -> sh.Router:  # type: ignore[misc]
        router = self._routers.get((scope, row["StreamName"]))
        if router is None:
            router = self._routers[(scope, row["StreamName"])] = sh.Router(row["shards"])
        return router

    def head_of(self: Provider, scope: str, row: dict[str, Any], shard: dict[str, Any]) -> int:  # type: ignore[misc]
        """The counter the shard's next record gets (for a closed shard: one past its last)."""
        if shard["closed"] is not None:
            return int(shard["head"])
        key = (scope, row["uid"], shard["index"])
        head = self._heads.get(key)
        if head is None:
            head = max(shard["head"], shard["floor"])
            for found, _ in self.records.scan(
                scope, prefix=shard_prefix(row["uid"], shard["index"]), limit=1, reverse=True
            ):
                head = max(head, counter_of(found) + 1)
            self._heads[key] = head
        return head

    def drop_records(self: Provider, scope: str, row: dict[str, Any]) -> None:  # type: ignore[misc]
        prefix = row["uid"] + "/"
        while True:
            keys = [key for key, _ in self.records.scan(scope, prefix=prefix, limit=1000)]
            if not keys:
                return
            for key in keys:
                self.records.delete(scope, key)

    # -- encryption ----------------------------------------------------------------------------

    def new_stream_key(self: Provider, account: str, region: str, key_id: str) -> tuple[str, bytes]:  # type: ignore[misc]
        """(KMS key ARN, encrypted data key) for a stream encrypted under `key_id`."""
        try:
            arn, _plain, blob = self.runtime.provider("kms").new_data_key(account, region, key_id)
        except ServiceError as error:
            raise kms_error(error) from None
        return arn, blob

    def _cipher(self: Provider, scope: str, blob: bytes) -> AESGCM:  # type: ignore[misc]
        cipher = self._data_keys.get(blob)
        if cipher is None:
            account, region = scope.split("/")
            try:
                _arn, plain = self.runtime.provider("kms").decrypt_data(account, region, blob)
            except ServiceError as error:
                raise kms_error(error) from None
            cipher = self._data_keys[blob] = AESGCM(plain)
        return cipher

    def _check_key(self: Provider, scope: str, row: dict[str, Any]) -> None:  # type: ignore[misc]
        """Refuse writes once the stream's key is disabled or gone (checked once a second)."""
        now = time.monotonic()
        if now - self._key_checked.get(row["StreamARN"], -10.0) < 1.0:
            return
        account, region = scope.split("/")
        try:
            self.runtime.provider("kms").key_arn_for(account, region, row["key_arn"])
        except ServiceError as error:
            raise kms_error(error) from None
        self._key_checked[row["StreamARN"]] = now

    def _seal(self: Provider, scope: str, row: dict[str, Any], data: bytes) -> bytes:  # type: ignore[misc]
        nonce = os.urandom(12)
        return nonce + self._cipher(scope, row["data_key"]).encrypt(nonce, data, row["uid"].encode())

    def _open(self: Provider, scope: str, row: dict[str, Any], sealed: bytes) -> bytes:  # type: ignore[misc]
        return self._cipher(scope, row["data_key"]).decrypt(sealed[:12], sealed[12:], row["uid"].encode())

    # -- writing -------------------------------------------------------------------------------

    def _check_entry(  # type: ignore[misc]
        self: Provider, row: dict[str, Any], data: bytes, key: str | None, where: str = ""
    ) -> None:
        if not key:
            raise validation(
                f"1 validation error detected: Value null at '{where}partitionKey' failed to satisfy constraint: "
                "Member must not be null"
            )
        if len(key) > 256:
            raise validation(
                f"1 validation error detected: Value '{key}' at '{where}partitionKey' failed to satisfy constraint: "
                "Member must have length less than or equal to 256"
            )
        if len(data) + len(key.encode()) > row["MaxRecordSizeInKiB"] * 1024:
            raise validation(
                f"1 validation error detected: Value at '{where}data' failed to satisfy constraint: Member must have "
                f"length less than or equal to {row['MaxRecordSizeInKiB'] * 1024}"
            )

    def _append(  # type: ignore[misc]
        self: Provider, scope: str, row: dict[str, Any], data: bytes, key: str, explicit: str | None,
        ordering: str | None, now: float,
    ) -> tuple[str, str, Written]:  # fmt: skip
        """Write one record; (sequence number, shard id, what its shard's tail learns once the
        write is committed)."""
        shard = self.router(scope, row).route(sh.hash_key(key, explicit))
        index = shard["index"]
        head = self.head_of(scope, row, shard)
        if ordering is not None:
            parsed = sh.parse_sequence(ordering)
            if parsed is None:
                raise invalid(f"ExclusiveMinimumSequenceNumber {ordering} used in PutRecord is not valid.")
            if parsed[0] == row["stamp"] and parsed[1] == index and parsed[2] >= head:
                head = parsed[2] + 1
        sequence = sh.sequence_number(row["stamp"], index, head)
        text: bytes | None = None
        if row["EncryptionType"] == "KMS":
            stored = pack_sealed(now, key, self._seal(scope, row, data))
        else:
            text = render(sequence, now, b2a_base64(data, newline=False), key)
            stored = pack_rendered(now, text)
        self.records.put(scope, record_key(row["uid"], index, head), stored)
        self._heads[(scope, row["uid"], index)] = head + 1
        return sequence, shard["ShardId"], (index, head, now, text)

    def remember(self: Provider, scope: str, uid: str, written: list[Written]) -> None:  # type: ignore[misc]
        """Records just written join their shards' tails once they are committed."""
        tails = self._tails
        if tails is None:
            return

        def committed() -> None:
            if len(written) == 1:
                index, counter, arrival, text = written[0]
                tails.append((scope, uid, index), [(counter, arrival, text)])
                return
            by_shard: dict[int, list[tuple[int, float, bytes | None]]] = {}
            for index, counter, arrival, text in written:
                by_shard.setdefault(index, []).append((counter, arrival, text))
            for index, records in by_shard.items():
                tails.append((scope, uid, index), records)

        self.store.after_commit(committed)

    def put_record(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, row = self.stream(context, params)
        self.check_active_for_data(row)
        data, key = params["Data"], params["PartitionKey"]
        self._check_entry(row, data, key)
        if row["EncryptionType"] == "KMS":
            self._check_key(scope, row)
        self.check_dry_run(params)
        sequence, shard, written = self._append(
            scope,
            row,
            data,
            key,
            params.get("ExplicitHashKey"),
            params.get("SequenceNumberForOrdering"),
            time.time(),
        )
        self.remember(scope, row["uid"], [written])
        self.notify(row["StreamARN"])
        return {"ShardId": shard, "SequenceNumber": sequence, "EncryptionType": row["EncryptionType"]}

    def put_records(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, row = self.stream(context, params)
        self.check_active_for_data(row)
        entries = params["Records"]
        if not 1 <= len(entries) <= MAX_PUT_RECORDS:
            raise validation(
                "1 validation error detected: Value at 'records' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_PUT_RECORDS}"
            )
        total = 0
        for number, entry in enumerate(entries, 1):
            self._check_entry(row, entry["Data"], entry.get("PartitionKey"), f"records.{number}.member.")
            if entry.get("ExplicitHashKey") is not None:
                sh.hash_key("", entry["ExplicitHashKey"])
            total += len(entry["Data"]) + len(entry["PartitionKey"].encode())
        if total > MAX_PUTS_BYTES:
            raise invalid(f"Records size exceeds {MAX_PUTS_BYTES // (1024 * 1024)} MB limit")
        if row["EncryptionType"] == "KMS":
            self._check_key(scope, row)
        self.check_dry_run(params)
        now = time.time()
        results = []
        written = []
        with self.store.transaction():
            for entry in entries:
                sequence, shard, record = self._append(
                    scope, row, entry["Data"], entry["PartitionKey"], entry.get("ExplicitHashKey"), None, now
                )
                results.append({"SequenceNumber": sequence, "ShardId": shard})
                written.append(record)
            self.remember(scope, row["uid"], written)
        self.notify(row["StreamARN"])
        return {"FailedRecordCount": 0, "Records": results, "EncryptionType": row["EncryptionType"]}

    @staticmethod
    def check_active_for_data(row: dict[str, Any]) -> None:
        if row["StreamStatus"] not in ("ACTIVE", "UPDATING"):
            raise not_found(
                f"Stream {row['StreamName']} under account {row['StreamARN'].split(':')[4]} not found."
            )

    # -- iterators -----------------------------------------------------------------------------

    def _iterator(  # type: ignore[misc]
        self: Provider, scope: str, row: dict[str, Any], shard: dict[str, Any], counter: int
    ) -> str:
        text = f"{scope}|{row['StreamName']}|{row['uid']}|{shard['index']}|{counter}|{time.time():.3f}"
        return base64.urlsafe_b64encode(text.encode()).decode()

    def _read_iterator(self: Provider, token: str) -> tuple[str, dict[str, Any], dict[str, Any], int]:  # type: ignore[misc]
        try:
            scope, name, uid, index, counter, issued = (
                base64.urlsafe_b64decode(token.encode()).decode().split("|")
            )
            index_number, position, issued_at = int(index), int(counter), float(issued)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid(f"Invalid ShardIterator: {token}") from None
        row = self.cached_stream(scope, name)
        if row is None or row["uid"] != uid:
            raise stream_missing(name, scope.split("/")[0])
        now = time.time()
        if now - issued_at > ITERATOR_SECONDS:
            raise ServiceError(
                "ExpiredIteratorException",
                f"Iterator expired. The iterator was created at time {_text_time(issued_at)} while right now "
                f"it is {_text_time(now)} which is further in the future than the tolerated delay of "
                f"{ITERATOR_SECONDS * 1000} milliseconds.",
            )
        shard = next((s for s in row["shards"] if s["index"] == index_number), None)
        if shard is None:
            raise invalid(f"Invalid ShardIterator: {token}")
        return scope, row, shard, position

    def get_shard_iterator(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, row = self.stream(context, params)
        shard = sh.find_shard(row, params["ShardId"])
        if shard is None:
            raise not_found(
                f"Shard {params['ShardId']} in stream {row['StreamName']} under account "
                f"{scope.split('/')[0]} does not exist"
            )
        counter = self.start_counter(
            scope, row, shard, params["ShardIteratorType"], params.get("StartingSequenceNumber"),
            params.get("Timestamp"),
        )  # fmt: skip
        self.check_dry_run(params)
        return {"ShardIterator": self._iterator(scope, row, shard, counter)}

    def start_counter(  # type: ignore[misc]
        self: Provider, scope: str, row: dict[str, Any], shard: dict[str, Any], kind: str,
        sequence: str | None, timestamp: Any,
    ) -> int:  # fmt: skip
        """The counter a read of `kind` (one of the five iterator types) starts at."""
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if not sequence:
                raise invalid(f"StartingSequenceNumber must be given for {kind}.")
            parsed = sh.parse_sequence(sequence)
            if parsed is None or parsed[0] != row["stamp"]:
                raise invalid(f"StartingSequenceNumber {sequence} used in GetShardIterator on shard "
                              f"{shard['ShardId']} in stream {row['StreamName']} is invalid.")  # fmt: skip
            if parsed[1] != shard["index"]:
                raise invalid(
                    f"Invalid StartingSequenceNumber. It encodes {sh.shard_id(parsed[1])}, while it was used in "
                    f"a call to a shard with {shard['ShardId']}"
                )
            return parsed[2] + (1 if kind == "AFTER_SEQUENCE_NUMBER" else 0)
        if kind == "TRIM_HORIZON":
            return int(shard["floor"])
        if kind == "LATEST":
            return self.head_of(scope, row, shard)
        if kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise invalid("Timestamp must be given for AT_TIMESTAMP.")
            moment = timestamp.timestamp() if isinstance(timestamp, datetime) else float(timestamp)
            for key, value in self.records.scan(scope, prefix=shard_prefix(row["uid"], shard["index"])):
                if arrival_of(value) >= moment:
                    return counter_of(key)
            return self.head_of(scope, row, shard)
        raise invalid(f"Invalid ShardIteratorType {kind}.")

    # -- reading -------------------------------------------------------------------------------

    def read_shard(  # type: ignore[misc]
        self: Provider, scope: str, row: dict[str, Any], shard: dict[str, Any], counter: int, count: int
    ) -> tuple[list[dict[str, Any]], int, int, bool]:
        """(records from `counter` on, at most `count`, in their wire form (data base64, arrival
        epoch seconds); the counter to go on from; millis behind the tip; whether the shard is
        closed and read to its end)."""
        fragments, counter, behind, ended = self.read_rendered(scope, row, shard, counter, count)
        return [json.loads(fragment) for fragment in fragments], counter, behind, ended

    def read_rendered(  # type: ignore[misc]
        self: Provider, scope: str, row: dict[str, Any], shard: dict[str, Any], counter: int, count: int
    ) -> tuple[list[bytes], int, int, bool]:
        """read_shard's records as JSON texts: a record is rendered once, when it is written
        (unless it is sealed), so answering GetRecords is a range scan and a join."""
        from .provider import hour_seconds

        horizon = time.time() - row["RetentionPeriodHours"] * hour_seconds()
        index = shard["index"]
        if self._tails is not None:
            found = self._tails.read((scope, row["uid"], index), counter, count, horizon)
            if found is not None:
                texts, counter, last_arrival = found
                return texts, counter, *self._position(scope, row, shard, counter, last_arrival)
        out: list[bytes] = []
        size = 0
        prefix = sh.sequence_prefix(row["stamp"], index)
        last_arrival = None
        start = record_key(row["uid"], index, counter - 1) if counter > 0 else None
        for key, value in self.records.scan(
            scope, prefix=shard_prefix(row["uid"], index), start_after=start, limit=count
        ):
            position = int(key[-12:])
            counter = position + 1
            arrival, sealed = _HEAD.unpack_from(value)
            if arrival < horizon:
                continue
            if sealed:
                partition_key, ciphertext = unpack_sealed(value)
                data = b2a_base64(self._open(scope, row, ciphertext), newline=False)
                stored = render(f"{prefix}{position:032d}", arrival, data, partition_key, "KMS")
            else:
                stored = value[_HEAD.size :]
            size += len(stored)
            out.append(stored)
            last_arrival = arrival
            if size >= MAX_GET_BYTES:
                break
        return out, counter, *self._position(scope, row, shard, counter, last_arrival)

    def _position(  # type: ignore[misc]
        self: Provider, scope: str, row: dict[str, Any], shard: dict[str, Any], counter: int,
        last_arrival: float | None,
    ) -> tuple[int, bool]:  # fmt: skip
        """(MillisBehindLatest of a read that stopped before `counter`, whose last record
        arrived at `last_arrival`; whether it read a closed shard to its end)."""
        head = self.head_of(scope, row, shard)
        behind = 0 if counter >= head or last_arrival is None else int((time.time() - last_arrival) * 1000)
        ended = shard["closed"] is not None and counter >= head
        return max(behind, 0), ended

    def get_records(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if context.protocol != "json-cbor":
            return self._get_records(params, rendered=True)
        # CBOR carries data as bytes and instants as numbers: the values as botocore gives them.
        answer = self._get_records(params, rendered=False)
        for record in answer["Records"]:
            record["Data"] = base64.b64decode(record["Data"])
            record["ApproximateArrivalTimestamp"] = datetime.fromtimestamp(
                record["ApproximateArrivalTimestamp"], UTC
            )
        return answer

    def read_records(self: Provider, iterator: str, limit: int) -> dict[str, Any]:  # type: ignore[misc]
        """GetRecords for another service (Lambda's poller): the same answer, its records as
        dicts in their wire form (Data base64 text, ApproximateArrivalTimestamp epoch seconds)."""
        return self._get_records({"ShardIterator": iterator, "Limit": limit}, rendered=False)

    def _get_records(self: Provider, params: dict, rendered: bool) -> dict:  # type: ignore[misc]
        count = params.get("Limit", 10000)
        if not 1 <= count <= 10000:
            raise invalid(f"Limit {count} is not valid: it must be between 1 and 10000.")
        scope, row, shard, counter = self._read_iterator(params["ShardIterator"])
        if params.get("StreamARN") and params["StreamARN"] != row["StreamARN"]:
            raise invalid("StreamARN does not match the stream of the ShardIterator.")
        self.check_dry_run(params)
        out: dict[str, Any]
        if rendered:
            texts, counter, behind, ended = self.read_rendered(scope, row, shard, counter, count)
            out = Spliced(Records=RawJson(b"[" + b",".join(texts) + b"]"), MillisBehindLatest=behind)
        else:
            records, counter, behind, ended = self.read_shard(scope, row, shard, counter, count)
            out = {"Records": records, "MillisBehindLatest": behind}
        if ended:
            out["ChildShards"] = sh.children_of(row, shard)
        else:
            out["NextShardIterator"] = self._iterator(scope, row, shard, counter)
        return out

    # -- retention -----------------------------------------------------------------------------

    def sweep(self: Provider) -> None:  # type: ignore[misc]
        """Delete the records older than their stream's retention period."""
        from .provider import hour_seconds

        now = time.time()
        for scope in self.streams.scopes():
            for name, row in list(self.streams.scan(scope)):
                horizon = now - row["RetentionPeriodHours"] * hour_seconds()
                changed = False
                for shard in row["shards"]:
                    prefix = shard_prefix(row["uid"], shard["index"])
                    oldest = next(iter(self.records.scan(scope, prefix=prefix, limit=1)), None)
                    if oldest is None or arrival_of(oldest[1]) >= horizon:
                        continue  # the common case: one row read, nothing to trim
                    trimmed = None
                    for key, value in self.records.scan(scope, prefix=prefix, limit=500):
                        if arrival_of(value) >= horizon:
                            break
                        trimmed = key
                    if trimmed is None:
                        continue
                    with self.store.transaction():
                        for key, _ in list(self.records.scan(scope, prefix=prefix, end_before=trimmed + "~")):
                            self.records.delete(scope, key)
                    floor = counter_of(trimmed) + 1
                    if self._tails is not None:
                        self._tails.trim((scope, row["uid"], shard["index"]), floor)
                    if floor > shard["floor"]:
                        shard["floor"] = floor
                        changed = True
                if changed:
                    with self.store.transaction():
                        current = self.streams.get(scope, name)
                        if current is not None and current["uid"] == row["uid"]:
                            for shard, fresh in zip(current["shards"], row["shards"], strict=False):
                                shard["floor"] = max(shard["floor"], fresh["floor"])
                            self.streams.put(scope, name, current)
                            self.stream_changed(scope, current)


def _text_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")

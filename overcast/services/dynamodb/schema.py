"""A table's key schema and indexes as the data plane uses them, built once from the stored
table record and cached: which attributes form keys, how an item's store key is encoded, and
what each secondary index projects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from overcast.errors import ServiceError
from overcast.services.dynamodb.values import encode_key_value, invalid, normalize_number, validation
from overcast.store import scope as store_scope

SEPARATOR = "|"
#: Every table keys its items (and index entries) by a hash bucket of the partition key first,
#: as DynamoDB spreads partitions: a Scan returns partitions in that order, and a parallel Scan
#: segment is one contiguous range of buckets. Its record says so with this `key_layout`; tables
#: from before it (no buckets; or layout 2's CRC-32 buckets, which ordered partitions unlike
#: AWS) are rekeyed when DynamoDB loads (layouts.py).
HASHED_LAYOUT = 3
BUCKETS = 1 << 32


def bucket(encoded_hash: str) -> str:
    """The 8 hex digits that order a partition key's items (and place them in a scan segment):
    the head of the MD5 digest of the key's value, the order AWS's scans show partitions in."""
    kind = encoded_hash[:1]
    if kind == "s":
        raw = encoded_hash[1:-2].replace("\x00\xff", "\x00").encode("utf-8", "surrogatepass")
    elif kind == "b":
        raw = encoded_hash[1:-2].replace("\x00\xff", "\x00").encode("latin-1")
    else:  # a number: its order-preserving encoding, the same for every spelling of the number
        raw = encoded_hash.encode("latin-1", "surrogatepass")
    return hashlib.md5(raw, usedforsecurity=False).hexdigest()[:8]


def segment_bounds(storage: str, segment: int, total: int) -> tuple[str, str | None]:
    """(start_after, end_before) of one parallel Scan segment."""
    low = segment * BUCKETS // total
    high = (segment + 1) * BUCKETS // total
    return storage + "%08x" % low, (storage + "%08x" % high) if high < BUCKETS else None


@dataclass
class Index:
    name: str
    storage: str  # the store key prefix of the index's entries
    hash: str
    range: str | None
    projection: str  # ALL, KEYS_ONLY, INCLUDE
    include: frozenset[str]
    local: bool
    status: str = "ACTIVE"
    arn: str = ""
    #: A global index's key may have up to four partition and four sort key attributes (AWS,
    #: November 2025); `hash` and `range` are the first of each.
    hash_names: tuple[str, ...] = ()
    range_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.hash_names:
            self.hash_names = (self.hash,)
        if not self.range_names and self.range is not None:
            self.range_names = (self.range,)

    def partition(self, encoded_hash: str) -> str:
        return bucket(encoded_hash) + encoded_hash

    def entry_key(self, item: dict, table: Schema) -> str | None:
        """The store key of an item's entry in this index, or None when the item lacks any of
        the index's key attributes (indexes are sparse). Composite keys are their attributes'
        encodings one after the other, which orders them attribute by attribute."""
        encoded = ""
        for name in self.hash_names:
            value = item.get(name)
            if value is None:
                return None
            encoded += encode_key_value(value)
        key = self.storage + self.partition(encoded)
        for name in self.range_names:
            value = item.get(name)
            if value is None:
                return None
            key += encode_key_value(value)
        return key + table.encoded_key(item)

    def project(self, item: dict, table: Schema) -> dict:
        if self.projection == "ALL":
            return item
        keep = table.key_names | set(self.key_names)
        if self.projection == "INCLUDE":
            keep = keep | self.include
        return {k: v for k, v in item.items() if k in keep}

    @property
    def key_names(self) -> tuple[str, ...]:
        return self.hash_names + self.range_names


@dataclass
class Schema:
    name: str
    arn: str
    storage: str
    hash: str
    range: str | None
    types: dict[str, str]
    indexes: dict[str, Index] = field(default_factory=dict)
    stream_arn: str | None = None
    stream_view: str | None = None
    has_lsi: bool = False
    #: Point-in-time recovery is on: every change records the row it replaces (backups.py).
    history: bool = False
    #: The scopes of the table's replicas in other regions (a global table's other members).
    replicas: tuple[str, ...] = ()
    #: The Kinesis data streams item changes go to: (stream ARN, timestamp precision) each.
    kinesis: tuple[tuple[str, str], ...] = ()
    #: No index, stream, history or replica to maintain: a write is the item's row alone.
    plain: bool = True
    key_tuple: tuple[str, ...] = ()
    key_names: frozenset[str] = frozenset()

    def partition(self, encoded_hash: str) -> str:
        return bucket(encoded_hash) + encoded_hash

    def __post_init__(self) -> None:
        self.key_tuple = (self.hash, self.range) if self.range else (self.hash,)
        self.key_names = frozenset(self.key_tuple)

    def encoded_key(self, item: dict) -> str:
        key = encode_key_value(item[self.hash])
        if self.range is not None:
            key += encode_key_value(item[self.range])
        return key

    def item_key(self, item: dict) -> str:
        encoded = encode_key_value(item[self.hash])
        key = self.storage + bucket(encoded) + encoded
        if self.range is not None:
            key += encode_key_value(item[self.range])
        return key

    def key_of(self, item: dict) -> dict:
        if self.range is None:
            return {self.hash: item[self.hash]}
        return {self.hash: item[self.hash], self.range: item[self.range]}

    def check_key(self, key: dict) -> str:
        """Validate a Key parameter (exactly the key attributes, of the right types); its store key."""
        names = self.key_tuple
        if len(key) != len(names):
            raise validation("The provided key element does not match the schema")
        encoded = ""
        for name in names:
            value = key.get(name)
            if value is None or len(value) != 1:
                raise validation("The provided key element does not match the schema")
            kind = self.types[name]
            inner = value.get(kind)
            if inner is None:
                raise validation("The provided key element does not match the schema")
            if kind == "N":
                value["N"] = normalize_number(inner)
            elif not inner:
                raise validation(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot"
                    f" contain an empty {'string' if kind == 'S' else 'binary'} value. Key: {name}"
                )
            else:
                _check_key_size(name == self.hash, kind, inner)
            part = encode_key_value(value)
            if name == self.hash:
                part = bucket(part) + part
            encoded += part
        return self.storage + encoded

    def check_item_keys(self, item: dict) -> str:
        """Validate a whole item's key attributes and index keys; its store key."""
        for name in self.key_tuple:
            value = item.get(name)
            if value is None:
                raise invalid(f"Missing the key {name} in the item")
            kind = next(iter(value))
            if kind != self.types[name]:
                raise invalid(f"Type mismatch for key {name} expected: {self.types[name]} actual: {kind}")
            if kind in ("S", "B") and not value[kind]:
                raise validation(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot"
                    f" contain an empty {'string' if kind == 'S' else 'binary'} value. Key: {name}"
                )
            _check_key_size(name == self.hash, kind, value[kind])
        for index in self.indexes.values():
            for name in index.key_names:
                value = item.get(name)
                if value is None:
                    continue
                kind = next(iter(value))
                if kind != self.types[name]:
                    raise invalid(
                        f"Type mismatch for Index Key {name} Expected: {self.types[name]} Actual: {kind}"
                        f" IndexName: {index.name}"
                    )
                if kind in ("S", "B") and not value[kind]:
                    raise validation(
                        "One or more parameter values are not valid. A value specified for a secondary index key is"
                        " not supported. The AttributeValue for a key attribute cannot contain an empty"
                        f" {'string' if kind == 'S' else 'binary'} value. IndexName: {index.name}, IndexKey: {name}"
                    )
                _check_key_size(name in index.hash_names, kind, value[kind])
        return self.item_key(item)


#: Partition keys hold at most 2048 bytes, sort keys 1024 (S as UTF-8, B as is).
HASH_KEY_LIMIT = 2048
RANGE_KEY_LIMIT = 1024


def _check_key_size(is_hash: bool, kind: str, inner) -> None:
    if kind == "N" or len(inner) <= RANGE_KEY_LIMIT // 4:
        return
    size = len(inner.encode("utf-8")) if kind == "S" else len(inner)
    if is_hash and size > HASH_KEY_LIMIT:
        raise invalid(f"Size of hashkey has exceeded the maximum size limit of{HASH_KEY_LIMIT} bytes")
    if not is_hash and size > RANGE_KEY_LIMIT:
        raise invalid(
            f"Aggregated size of all range keys has exceeded the size limit of {RANGE_KEY_LIMIT} bytes"
        )


def not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "Requested resource not found", 400)


def build(record: dict) -> Schema:
    key_schema = record["KeySchema"]
    hash_name = key_schema[0]["AttributeName"]
    range_name = key_schema[1]["AttributeName"] if len(key_schema) > 1 else None
    types = {a["AttributeName"]: a["AttributeType"] for a in record["AttributeDefinitions"]}
    schema = Schema(
        name=record["TableName"],
        arn=record["TableArn"],
        storage=record["storage"] + SEPARATOR,
        hash=hash_name,
        range=range_name,
        types=types,
    )
    for local, specs in (
        (True, record.get("LocalSecondaryIndexes") or ()),
        (False, record.get("GlobalSecondaryIndexes") or ()),
    ):
        for spec in specs:
            ks = spec["KeySchema"]
            projection = spec.get("Projection") or {}
            hashes = tuple(k["AttributeName"] for k in ks if k["KeyType"] == "HASH")
            ranges = tuple(k["AttributeName"] for k in ks if k["KeyType"] == "RANGE")
            schema.indexes[spec["IndexName"]] = Index(
                name=spec["IndexName"],
                storage=spec["storage"] + SEPARATOR,
                hash=hashes[0],
                range=ranges[0] if ranges else None,
                hash_names=hashes,
                range_names=ranges,
                projection=projection.get("ProjectionType", "ALL"),
                include=frozenset(projection.get("NonKeyAttributes") or ()),
                local=local,
                status=spec.get("IndexStatus", "ACTIVE"),
                arn=spec["IndexArn"],
            )
            if local:
                schema.has_lsi = True
    stream = record.get("stream")
    if stream and stream.get("enabled"):
        schema.stream_arn = stream["arn"]
        schema.stream_view = stream["view"]
    schema.history = bool(record.get("pitr"))
    group = record.get("replica_group")
    if group:
        _, _, _, region, account, _ = (record["TableArn"] + ":").split(":", 5)
        schema.replicas = tuple(store_scope(account, other) for other in sorted(group) if other != region)
    schema.kinesis = tuple(
        (d["StreamArn"], d["ApproximateCreationDateTimePrecision"])
        for d in record.get("kinesis_destinations") or ()
        if d["DestinationStatus"] == "ACTIVE"
    )
    schema.plain = (
        not schema.indexes
        and schema.stream_arn is None
        and not schema.history
        and not schema.replicas
        and not schema.kinesis
    )
    return schema

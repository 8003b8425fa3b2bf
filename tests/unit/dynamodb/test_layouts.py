"""State written before items were kept as JSON text and keyed by hash bucket: tables without
the hashed key layout are rekeyed when DynamoDB loads, and rows holding the item itself (as
binary items still are) are served."""

from __future__ import annotations

import json
import zlib

import pytest

from overcast.config import Config
from overcast.context import RequestContext
from overcast.protocols.serializers.json import RawJson, Spliced
from overcast.runtime import Runtime
from overcast.services.dynamodb.schema import HASHED_LAYOUT
from overcast.services.dynamodb.values import encode_key_value, item_size
from overcast.store import Store

INTERNAL = RequestContext.internal("dynamodb", "000000000000", "us-east-1")


@pytest.fixture()
def provider():
    runtime = Runtime(Config(data_dir=None))
    yield runtime.provider("dynamodb")
    runtime.close()


def wire_context():
    context = RequestContext.internal("dynamodb", "000000000000", "us-east-1")
    context.extra = {}
    return context


def create(provider, name: str) -> None:
    provider.create_table(
        INTERNAL,
        {
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )


SCOPE = "000000000000/us-east-1"


def unhash(store: Store, name: str) -> None:
    """Rewrite table `name` as a release before the hashed layout kept it: items and index
    entries keyed by the encoded key alone, no key_layout in the record."""
    tables, items = store.table("dynamodb", "tables"), store.table("dynamodb", "items")
    record = tables.get(SCOPE, name)
    del record["key_layout"]
    tables.put(SCOPE, name, record)

    def plain(item: dict, hash_name: str, range_name: str | None) -> str:
        return encode_key_value(item[hash_name]) + (encode_key_value(item[range_name]) if range_name else "")

    def rekey(prefix: str, key_of) -> None:
        rows = list(items.scan(SCOPE, prefix=prefix))
        for key, _ in rows:
            items.delete(SCOPE, key)
        for _, row in rows:
            item = row[1] if type(row[1]) is dict else json.loads(row[1])
            items.put(SCOPE, prefix + key_of(item), row)

    rekey(record["storage"] + "|", lambda item: plain(item, "pk", "sk"))
    for index in record["GlobalSecondaryIndexes"]:
        rekey(index["storage"] + "|", lambda item: plain(item, "colour", None) + plain(item, "pk", "sk"))
    store._backend.set_layout("dynamodb/tables", 1, None)


def test_a_plain_layout_table_is_rekeyed_when_dynamodb_loads(tmp_path):
    runtime = Runtime(Config(data_dir=tmp_path))
    try:
        provider = runtime.provider("dynamodb")
        provider.create_table(
            INTERNAL,
            {
                "TableName": "old-layout",
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "N"},
                    {"AttributeName": "colour", "AttributeType": "S"},
                ],
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by-colour",
                        "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }
                ],
                "BillingMode": "PAY_PER_REQUEST",
            },
        )
        for i in range(40):
            item = {
                "pk": {"S": f"k{i % 10}"},
                "sk": {"N": str(i)},
                "colour": {"S": "red" if i % 2 else "blue"},
            }
            provider.put_item(INTERNAL, {"TableName": "old-layout", "Item": item})
    finally:
        runtime.close()
    with Store.open(tmp_path) as store:
        unhash(store, "old-layout")
    runtime = Runtime(Config(data_dir=tmp_path))
    try:
        provider = runtime.provider("dynamodb")
        assert provider._tables.get(SCOPE, "old-layout")["key_layout"] == HASHED_LAYOUT
        schema = provider.schema(SCOPE, "old-layout")
        key = {"pk": {"S": "k7"}, "sk": {"N": "17"}}
        assert provider._items.get(SCOPE, schema.check_key(key)) is not None  # at its hashed key
        assert provider.get_item(INTERNAL, {"TableName": "old-layout", "Key": key})["Item"]["colour"] == {
            "S": "red"
        }
        page = provider.query(
            INTERNAL,
            {
                "TableName": "old-layout",
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": "k3"}},
            },
        )
        assert [i["sk"]["N"] for i in page["Items"]] == ["3", "13", "23", "33"]
        red = provider.query(
            INTERNAL,
            {
                "TableName": "old-layout",
                "IndexName": "by-colour",
                "KeyConditionExpression": "colour = :c",
                "ExpressionAttributeValues": {":c": {"S": "red"}},
            },
        )
        assert sorted(int(i["sk"]["N"]) for i in red["Items"]) == list(range(1, 40, 2))
        seen = []
        for segment in range(3):
            page = provider.scan(
                INTERNAL, {"TableName": "old-layout", "Segment": segment, "TotalSegments": 3}
            )
            seen += [int(i["sk"]["N"]) for i in page["Items"]]
        assert sorted(seen) == list(range(40))
        provider.delete_item(INTERNAL, {"TableName": "old-layout", "Key": key})
        assert provider.scan(INTERNAL, {"TableName": "old-layout", "Select": "COUNT"})["Count"] == 39
        assert provider.scan(INTERNAL, {"TableName": "old-layout", "IndexName": "by-colour"})["Count"] == 39
    finally:
        runtime.close()


def test_rows_holding_the_item_itself_are_served(provider):
    create(provider, "dict-rows")
    scope = "000000000000/us-east-1"
    schema = provider.schema(scope, "dict-rows")
    item = {"pk": {"S": "a"}, "blob": {"B": b"\x00\xff"}, "n": {"N": "1"}}
    key = schema.check_key({"pk": {"S": "a"}})
    provider._items.put(scope, key, [item_size(item), item])
    out = provider.get_item(wire_context(), {"TableName": "dict-rows", "Key": {"pk": {"S": "a"}}})
    assert type(out) is Spliced and type(out["Item"]) is RawJson
    assert bytes(out["Item"]) == b'{"pk":{"S":"a"},"blob":{"B":"AP8="},"n":{"N":"1"}}'
    assert provider.get_item(INTERNAL, {"TableName": "dict-rows", "Key": {"pk": {"S": "a"}}})["Item"] == item
    page = provider.scan(wire_context(), {"TableName": "dict-rows"})
    assert bytes(page["Items"]) == b'[{"pk":{"S":"a"},"blob":{"B":"AP8="},"n":{"N":"1"}}]'
    # A binary item written now keeps the dict form too.
    provider.put_item(
        INTERNAL, {"TableName": "dict-rows", "Item": {"pk": {"S": "b"}, "blob": {"B": b"\x01"}}}
    )
    assert provider.get_item(INTERNAL, {"TableName": "dict-rows", "Key": {"pk": {"S": "b"}}})["Item"][
        "blob"
    ] == {"B": b"\x01"}


def test_a_crc_bucketed_table_is_rekeyed_into_aws_partition_order(tmp_path):
    """Layout 2 keyed partitions by a CRC-32 bucket; layout 3 by MD5, the order AWS scans in."""
    runtime = Runtime(Config(data_dir=tmp_path))
    try:
        provider = runtime.provider("dynamodb")
        create(provider, "crc-layout")
        for pk in ("A", "B", "msg1", "msg2"):
            provider.put_item(INTERNAL, {"TableName": "crc-layout", "Item": {"pk": {"S": pk}}})
    finally:
        runtime.close()
    with Store.open(tmp_path) as store:
        tables, items = store.table("dynamodb", "tables"), store.table("dynamodb", "items")
        record = tables.get(SCOPE, "crc-layout")
        prefix = record["storage"] + "|"
        rows = list(items.scan(SCOPE, prefix=prefix))
        for key, _ in rows:
            items.delete(SCOPE, key)
        for _, row in rows:
            encoded = encode_key_value(json.loads(row[1])["pk"])
            crc = "%08x" % zlib.crc32(encoded.encode("utf-8", "surrogatepass"))
            items.put(SCOPE, prefix + crc + encoded, row)
        tables.put(SCOPE, "crc-layout", {**record, "key_layout": 2})
        store._backend.set_layout("dynamodb/tables", 2, None)
    runtime = Runtime(Config(data_dir=tmp_path))
    try:
        provider = runtime.provider("dynamodb")
        assert provider._tables.get(SCOPE, "crc-layout")["key_layout"] == HASHED_LAYOUT
        scanned = [i["pk"]["S"] for i in provider.scan(INTERNAL, {"TableName": "crc-layout"})["Items"]]
        assert scanned == ["msg1", "msg2", "A", "B"]  # by the MD5 of each key, as AWS scans
        assert provider.get_item(INTERNAL, {"TableName": "crc-layout", "Key": {"pk": {"S": "B"}}})["Item"]
    finally:
        runtime.close()

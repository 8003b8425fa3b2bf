"""State written before items were kept as JSON text and keyed by hash bucket still reads:
tables without the hashed key layout, and rows holding the item itself."""

from __future__ import annotations

import pytest

from overcast.config import Config
from overcast.context import RequestContext
from overcast.protocols.serializers.json import RawJson, Spliced
from overcast.runtime import Runtime
from overcast.services.dynamodb.values import item_size

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


def test_plain_layout_table_reads_writes_and_segments(provider):
    create(provider, "old-layout")
    scope = "000000000000/us-east-1"
    record = dict(provider._tables.get(scope, "old-layout"))
    record.pop("key_layout")
    provider._save(scope, record)
    for i in range(40):
        provider.put_item(
            INTERNAL, {"TableName": "old-layout", "Item": {"pk": {"S": f"k{i}"}, "v": {"N": str(i)}}}
        )
    schema = provider.schema(scope, "old-layout")
    assert not schema.hashed
    assert provider.get_item(INTERNAL, {"TableName": "old-layout", "Key": {"pk": {"S": "k7"}}})["Item"][
        "v"
    ] == {"N": "7"}
    seen = []
    for segment in range(3):
        page = provider.scan(INTERNAL, {"TableName": "old-layout", "Segment": segment, "TotalSegments": 3})
        seen += [i["pk"]["S"] for i in page["Items"]]
    assert sorted(seen) == sorted(f"k{i}" for i in range(40))


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

"""Table helpers shared by the DynamoDB tests."""

from __future__ import annotations

import uuid


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_table(
    ddb, *, range_key: str | None = "sk", range_type: str = "S", hash_type: str = "S", **extra
) -> str:
    name = extra.pop("TableName", None) or unique()
    attributes = [{"AttributeName": "pk", "AttributeType": hash_type}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if range_key:
        attributes.append({"AttributeName": range_key, "AttributeType": range_type})
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
    attributes += extra.pop("ExtraAttributes", [])
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=attributes,
        KeySchema=keys,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return name

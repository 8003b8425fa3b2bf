"""GetLogFields discovers a data source's fields from the JSON events of its groups, after
their transformers."""

from __future__ import annotations

import json

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import scope

ACCOUNT, REGION = "000000000000", "us-east-1"


def _classify(logs, name: str, source: str, kind: str) -> None:
    """What AWS does for a vended source's group: mark it with its data source."""
    group = logs.groups.get(scope(ACCOUNT, REGION), name)
    logs.groups.put(scope(ACCOUNT, REGION), name, {**group, "dataSourceName": source, "dataSourceType": kind})


def test_fields_of_a_data_source(runtime):
    logs = runtime.provider("logs")
    context = RequestContext.internal("logs", ACCOUNT, REGION)
    for name in ("/flow/a", "/flow/b", "/other"):
        logs.create_log_group(context, {"logGroupName": name})
    _classify(logs, "/flow/a", "amazon_vpc", "flow")
    _classify(logs, "/flow/b", "amazon_vpc", "flow")
    _classify(logs, "/other", "amazon_vpc", "other")
    # A pipeline (transformer) on one group adds a field its events are stored with.
    logs.put_transformer(context, {
        "logGroupIdentifier": "/flow/b",
        "transformerConfig": [{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "env", "value": "prod"}]}}],
    })  # fmt: skip
    logs.write(ACCOUNT, REGION, "/flow/a", "s", [
        (1, json.dumps({"srcaddr": "10.0.0.1", "bytes": 10, "ok": True, "tags": ["a"], "meta": {"az": "a", "rate": 1.5}})),
        (2, json.dumps({"srcaddr": "10.0.0.2", "bytes": "unknown"})),
        (3, "not json"),
    ])  # fmt: skip
    logs.write(ACCOUNT, REGION, "/flow/b", "s", [(4, json.dumps({"dstport": 443}))])
    logs.write(ACCOUNT, REGION, "/other", "s", [(5, json.dumps({"ignored": 1}))])
    fields = logs.get_log_fields(context, {"dataSourceName": "amazon_vpc", "dataSourceType": "flow"})[
        "logFields"
    ]
    assert fields == [
        {"logFieldName": "bytes", "logFieldType": {"type": "string"}},  # a number and a string
        {"logFieldName": "dstport", "logFieldType": {"type": "long"}},
        {"logFieldName": "env", "logFieldType": {"type": "string"}},
        {"logFieldName": "meta", "logFieldType": {"type": "struct", "fields": [
            {"logFieldName": "az", "logFieldType": {"type": "string"}},
            {"logFieldName": "rate", "logFieldType": {"type": "double"}},
        ]}},
        {"logFieldName": "ok", "logFieldType": {"type": "boolean"}},
        {"logFieldName": "srcaddr", "logFieldType": {"type": "string"}},
        {"logFieldName": "tags", "logFieldType": {"type": "array", "element": {"type": "string"}}},
    ]  # fmt: skip
    with pytest.raises(ServiceError) as missing:
        logs.get_log_fields(context, {"dataSourceName": "amazon_vpc", "dataSourceType": "nope"})
    assert missing.value.code == "ResourceNotFoundException"

"""X-Ray: PutTraceSegments of one segment with a DynamoDB subsegment, the shape an SDK's
daemon sends in batches. Each request stores into the same trace (a fixed id), so the row
grows to one segment per distinct id: the benchmark measures the checking and the write."""

import json
import time

from scenarios import AwsCall, Scenario

_NOW = time.time()
_TRACE = f"1-{int(_NOW):08x}-{'ab' * 12}"
_SEGMENT = {
    "id": "0123456789abcdef",
    "trace_id": _TRACE,
    "name": "bench-api",
    "start_time": _NOW,
    "end_time": _NOW + 0.05,
    "http": {"request": {"method": "GET", "url": "https://bench.example/items"}, "response": {"status": 200}},
    "annotations": {"route": "items"},
    "subsegments": [
        {
            "id": "fedcba9876543210",
            "name": "DynamoDB",
            "namespace": "aws",
            "start_time": _NOW + 0.01,
            "end_time": _NOW + 0.04,
            "aws": {"operation": "GetItem", "table_name": "items"},
        }
    ],
}

SCENARIOS = (
    Scenario(
        name="xray-put-trace-segments",
        summary="X-Ray PutTraceSegments of one segment with a subsegment (rest-json, one write)",
        requests=(AwsCall("xray", "PutTraceSegments", {"TraceSegmentDocuments": [json.dumps(_SEGMENT)]}),),
    ),
)

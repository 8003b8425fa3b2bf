"""Segment documents X-Ray leaves unprocessed: each is refused with a SegmentProblem, never
an exception of another kind (a 500)."""

from __future__ import annotations

import json

import pytest

from overcast.services.xray.segments import SegmentProblem, parse_document

GOOD = {
    "id": "0123456789abcdef",
    "trace_id": "1-5759e988-bd862e3fe1be46a994272793",
    "name": "app",
    "start_time": 1.0,
}


def document(**changes) -> str:
    return json.dumps({**GOOD, "end_time": 2.0, **changes})


def nested(depth: int) -> dict:
    sub: dict = {"id": "fedcba9876543210", "name": "s", "start_time": 1.0, "end_time": 2.0}
    for _ in range(depth):
        sub = {
            "id": "fedcba9876543210",
            "name": "s",
            "start_time": 1.0,
            "end_time": 2.0,
            "subsegments": [sub],
        }
    return sub


def test_a_good_document():
    assert parse_document(document(subsegments=[nested(3)]))["name"] == "app"
    assert parse_document(json.dumps({**GOOD, "in_progress": True}))["in_progress"] is True


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        "[" * 100_000 + "]" * 100_000,
        document(id="xyz"),
        document(trace_id="1-123-abc"),
        document(name=""),
        document(end_time="soon"),
        document(start_time=float("inf")),
        document(in_progress=True),
        json.dumps(GOOD),  # neither end_time nor in_progress
        document(subsegments=5),
        document(subsegments=["x"]),
        document(subsegments=[{"id": "0123456789abcdef", "name": "s", "start_time": 1}]),
        document(subsegments=[nested(100)]),
        document(http="GET"),
        document(http={"request": "GET /"}),
        document(annotations=["a"]),
        document(fault="yes"),
        document(type="subsegment"),  # an independent subsegment without its parent
        "x" * 70_000,
    ],
)
def test_refused(text):
    with pytest.raises(SegmentProblem):
        parse_document(text)

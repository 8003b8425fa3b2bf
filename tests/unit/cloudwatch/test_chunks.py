"""The points table's rows: packed chunks (chunk.py), their migration from the layout of five
lists, and the chunk a write keeps in memory staying true to the table."""

from __future__ import annotations

import time

import pytest

from overcast.context import RequestContext
from overcast.services.cloudwatch.chunk import Chunk
from overcast.services.cloudwatch.datastore import chunk_key, metric_id, upgrade_chunk
from overcast.store import scope as store_scope

ACCOUNT, REGION = "111122223333", "eu-west-1"


@pytest.fixture
def cw(runtime):
    return runtime.provider("cloudwatch")


def bucket(*values: float) -> dict:
    from overcast.services.cloudwatch import stats

    out = stats.empty()
    for value in values:
        stats.add_value(out, value)
    return out


def test_a_chunk_round_trips_its_columns_and_distributions():
    chunk = Chunk()
    chunk.merge(0, bucket(5.0, 5.0))  # all the same: no distribution stored
    chunk.merge(7, bucket(1.0, 3.0, 3.0))
    chunk.merge(59, {"n": 4.0, "s": 10.0, "lo": 1.0, "hi": 4.0, "v": None})  # unknown
    again = Chunk.from_bytes(chunk.to_bytes())
    assert again.bucket(0) == {"n": 2.0, "s": 10.0, "lo": 5.0, "hi": 5.0, "v": [[5.0, 2.0]]}
    assert again.bucket(7) == {"n": 3.0, "s": 7.0, "lo": 1.0, "hi": 3.0, "v": [[1.0, 1.0], [3.0, 2.0]]}
    assert again.bucket(59)["v"] is None
    assert [again.n[i] for i in (0, 1, 7, 59)] == [2.0, 0.0, 3.0, 4.0]
    # Merging into a filled slot keeps the distribution exact.
    again.merge(7, bucket(2.0))
    assert Chunk.from_bytes(again.to_bytes()).bucket(7)["v"] == [[1.0, 1.0], [2.0, 1.0], [3.0, 2.0]]


def test_a_row_of_the_old_layout_converts_to_the_same_chunk():
    old = {
        "n": [0.0] * 60,
        "s": [0.0] * 60,
        "lo": [0.0] * 60,
        "hi": [0.0] * 60,
        "v": [None] * 60,
    }
    old["n"][3], old["s"][3], old["lo"][3], old["hi"][3], old["v"][3] = 2, 4, 2, 2, 0
    old["n"][4], old["s"][4], old["lo"][4], old["hi"][4], old["v"][4] = 2, 5, 1, 4, [[1, 1], [4, 1]]
    packed = upgrade_chunk(None, "scope", "key", old)
    assert isinstance(packed, bytes) and upgrade_chunk(None, "scope", "key", packed) is packed
    chunk = Chunk.from_bytes(packed)
    assert chunk.bucket(3) == {"n": 2.0, "s": 4.0, "lo": 2.0, "hi": 2.0, "v": [[2.0, 2.0]]}
    assert chunk.bucket(4)["v"] == [[1.0, 1.0], [4.0, 1.0]]


def test_the_chunk_kept_for_writes_follows_roll_up_and_a_failed_write(cw):
    scope = store_scope(ACCOUNT, REGION)
    context = RequestContext.internal("cloudwatch", ACCOUNT, REGION)
    cw.put_metric_data(context, {"Namespace": "Keep", "MetricData": [{"MetricName": "M", "Value": 1.0}]})
    # A write undone with the transaction around it leaves nothing, in the table or in memory.
    with pytest.raises(RuntimeError), cw.store.transaction():
        cw.put_metric_data(context, {"Namespace": "Keep", "MetricData": [{"MetricName": "M", "Value": 50.0}]})
        raise RuntimeError("undone")
    cw.put_metric_data(context, {"Namespace": "Keep", "MetricData": [{"MetricName": "M", "Value": 2.0}]})
    now = time.time()
    out = cw.get_metric_statistics(
        context,
        {"Namespace": "Keep", "MetricName": "M", "Period": 60, "Statistics": ["Sum", "SampleCount"],
         "StartTime": now - 120, "EndTime": now + 60},
    )  # fmt: skip
    assert [(p["Sum"], p["SampleCount"]) for p in out["Datapoints"]] == [(3.0, 2.0)]
    # Roll-up replaces rows beneath the kept chunks: a later write merges into the new row.
    mid = metric_id("Keep", "M", [])
    minute = int(now) - int(now) % 60
    assert cw.data.points.get(scope, chunk_key(mid, minute - minute % 3600, 60, "None")) is not None
    with cw.store.transaction():
        cw.data.roll_up(scope, now + 16 * 86400)
    assert cw.data.points.get(scope, chunk_key(mid, minute - minute % 3600, 60, "None")) is None


def test_a_store_written_with_lists_is_migrated_when_cloudwatch_starts(tmp_path):
    from overcast.services.cloudwatch.datastore import LAYOUTS
    from overcast.store import Store

    old = {"n": [0.0] * 60, "s": [0.0] * 60, "lo": [0.0] * 60, "hi": [0.0] * 60, "v": [None] * 60}
    old["n"][5], old["s"][5], old["lo"][5], old["hi"][5], old["v"][5] = (
        2.0,
        3.0,
        1.0,
        2.0,
        [[1.0, 1.0], [2.0, 1.0]],
    )
    key = chunk_key(metric_id("Old", "M", []), 1_700_000_000 - 1_700_000_000 % 3600, 60, "None")
    with Store.open(tmp_path / "data") as store:
        store.table("cloudwatch", "points").put("1/r", key, old)
    with Store.open(tmp_path / "data") as store:
        store.upgrade("cloudwatch", LAYOUTS)
        row = store.table("cloudwatch", "points").get("1/r", key)
    assert isinstance(row, bytes)
    assert Chunk.from_bytes(row).bucket(5) == {
        "n": 2.0,
        "s": 3.0,
        "lo": 1.0,
        "hi": 2.0,
        "v": [[1.0, 1.0], [2.0, 1.0]],
    }

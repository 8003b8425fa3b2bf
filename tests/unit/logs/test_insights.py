"""The Logs Insights engine: parsing and running queries over records."""

from __future__ import annotations

import copy

import pytest

from overcast.services.logs.insights import Millis, discovered_fields, run
from overcast.services.logs.insights_parser import QueryError, parse_query

MESSAGES = [
    '{"level":"ERROR","latency":120,"user":{"id":"u1"}}',
    '{"level":"INFO","latency":30,"user":{"id":"u2"}}',
    "plain text 10.0.0.1 GET /index 200",
    '{"level":"ERROR","latency":80,"user":{"id":"u1"}}',
]
BASE = 1_700_000_000_000


def records():
    out = []
    for index, message in enumerate(MESSAGES):
        record = discovered_fields(message)
        record.update({"@timestamp": Millis(BASE + index * 60_000), "@message": message, "@ptr": f"p{index}"})
        out.append(record)
    return out


def query(text: str, limit: int = 100):
    outcome = run(parse_query(text), copy.deepcopy(records()), limit)
    return [{cell["field"]: cell["value"] for cell in row} for row in outcome.render()], outcome


def test_default_fields_newest_first_with_ptr():
    rows, outcome = query("fields @message | limit 2")
    assert [row["@ptr"] for row in rows] == ["p3", "p2"]
    assert set(rows[0]) == {"@message", "@ptr"}
    assert outcome.matched == 4
    rows, _ = query("filter latency > 100")
    assert rows == [{"@timestamp": "2023-11-14 22:13:20.000", "@message": MESSAGES[0], "@ptr": "p0"}]


def test_json_fields_filters_and_sort():
    rows, outcome = query(
        "fields level, user.id | filter latency >= 80 and level = 'ERROR' | sort latency asc"
    )
    assert [(r["level"], r["user.id"]) for r in rows] == [("ERROR", "u1"), ("ERROR", "u1")]
    assert [r["@ptr"] for r in rows] == ["p3", "p0"] and outcome.matched == 2
    rows, _ = query('filter level in ["INFO"] or @message like /GET/ | display @ptr')
    assert sorted(r["@ptr"] for r in rows) == ["p1", "p2"]
    rows, _ = query("filter not ispresent(level) | fields strlen(@message) as size")
    assert rows == [{"size": "34", "@ptr": "p2"}]


def test_stats_by_field_and_bin():
    rows, outcome = query("stats count(*) as n, avg(latency) as mean by level | sort n desc")
    assert rows[0] == {"level": "ERROR", "n": "2", "mean": "100"}
    assert outcome.matched == 4 and not outcome.events and all("@ptr" not in r for r in rows)
    rows, _ = query("stats count(*) by bin(2m)")
    assert rows == [
        {"bin(2m)": "2023-11-14 22:16:00.000", "count(*)": "1"},
        {"bin(2m)": "2023-11-14 22:14:00.000", "count(*)": "2"},
        {"bin(2m)": "2023-11-14 22:12:00.000", "count(*)": "1"},
    ]
    rows, _ = query(
        "stats sum(latency) / count(latency) as mean, max(latency), min(latency), pct(latency, 50)"
    )
    assert rows == [{"mean": rows[0]["mean"], "max(latency)": "120",
                     "min(latency)": "30", "pct(latency, 50)": "80"}]  # fmt: skip
    assert float(rows[0]["mean"]) == pytest.approx(230 / 3)


def test_parse_glob_and_regex_and_dedup():
    rows, _ = query(
        'parse @message "plain text * * * *" as ip, verb, path, status | filter ispresent(ip) | display ip, status'
    )
    assert rows == [{"ip": "10.0.0.1", "status": "200", "@ptr": "p2"}]
    rows, _ = query(
        r"parse @message /(?<verb>GET|POST) (?<path>\S+)/ | filter ispresent(path) | display verb, path"
    )
    assert rows == [{"verb": "GET", "path": "/index", "@ptr": "p2"}]
    rows, _ = query("filter ispresent(level) | dedup level | display level")
    assert [r["level"] for r in rows] == ["ERROR", "INFO"]


def test_lambda_report_fields():
    fields = discovered_fields(
        "REPORT RequestId: abc\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t"
    )
    assert fields["@type"] == "REPORT" and fields["@requestId"] == "abc"
    assert fields["@duration"] == 1.5 and fields["@maxMemoryUsed"] == 40_000_000


@pytest.mark.parametrize(
    "text", ["fields", "stats latency", "filter (a", "limit x", "bogus x", "fields a |", 'parse "* *" as one']
)
def test_malformed_queries(text):
    with pytest.raises(QueryError):
        parse_query(text)


def test_filter_index_filters_and_unmask_parses():
    rows, _ = query("filterIndex level = 'INFO' | unmask | display @ptr")
    assert rows == [{"@ptr": "p1"}]


def test_values_beyond_range_give_null_or_the_number():
    rows, _ = query("filter latency = 120 | fields frommillis(latency * 1e308) as t, frommillis(1e18) as far")
    assert rows == [{"far": "1000000000000000000", "@ptr": "p0"}]

"""Leading filters on the system fields run on the stored events before records are built:
which filters qualify, and that the rest of the query sees the same records either way."""

from __future__ import annotations

from overcast.services.logs.insights import Millis, raw_filters, run
from overcast.services.logs.insights_parser import parse_query


def record(message: str, at: int) -> dict:
    return {"@message": message, "@timestamp": Millis(at), "@logStream": "s", "@log": "1:g", "@ingestionTime": Millis(at)}  # fmt: skip


def test_only_leading_filters_on_system_fields_run_on_raw_events():
    test, rest, needed = raw_filters(parse_query("filter @message like /ERROR/ | stats count(*) by bin(5m)"))
    assert test is not None and [c.kind for c in rest] == ["stats"] and needed == {"@message"}
    assert test({"@message": "an ERROR here"}) and not test({"@message": "fine"})
    both, rest, needed = raw_filters(
        parse_query('filter @logStream = "s" | filter @message like "x" and @timestamp > 5 | fields @message')
    )
    assert both is not None and [c.kind for c in rest] == ["fields"]
    assert needed == {"@logStream", "@message", "@timestamp"}
    # A discovered field, or a filter after another command, stays with the records.
    test, rest, _ = raw_filters(parse_query("filter level = 'ERROR' | stats count(*)"))
    assert test is None and [c.kind for c in rest] == ["filter", "stats"]
    test, rest, _ = raw_filters(parse_query("fields @message | filter @message like /x/"))
    assert test is None and len(rest) == 2


def test_a_query_counts_the_same_with_its_filters_run_early():
    records = [
        record("ERROR boom" if i % 3 == 0 else "INFO ok", 1_700_000_000_000 + i * 60_000) for i in range(30)
    ]
    query = parse_query("filter @message like /ERROR/ | stats count(*) as n by bin(5m)")
    whole = run(query, [dict(r) for r in records], 100)
    test, rest, _ = raw_filters(query)
    assert test is not None
    early = run(rest, [dict(r) for r in records if test(r)], 100)
    assert early.render() == whole.render() and early.matched == whole.matched == 10


def test_a_lone_message_filter_becomes_a_search_of_the_message():
    from overcast.services.logs.insights import message_test

    search = message_test(parse_query("filter @message like /ERR(OR)?/ | stats count(*)"))
    assert search is not None and search("an ERROR") and not search("fine")
    contains = message_test(parse_query('filter @message like "timeout" | limit 5'))
    assert contains is not None and contains("a timeout") and not contains("ok")
    # Two leading filters, or one on another field, are tested on records.
    assert message_test(parse_query("filter @message like /a/ | filter @message like /b/")) is None
    assert message_test(parse_query('filter @logStream like "x"')) is None


def test_run_insights_query_reads_the_groups_through_the_same_plan(runtime):
    import time

    from overcast.context import RequestContext

    logs = runtime.provider("logs")
    context = RequestContext.internal("logs", "111122223333", "eu-west-1")
    logs.create_log_group(context, {"logGroupName": "app"})
    logs.create_log_stream(context, {"logGroupName": "app", "logStreamName": "s"})
    now = int(time.time() * 1000)
    events = [{"timestamp": now - 60_000 + i, "message": "ERROR x" if i % 4 == 0 else '{"level": "info"}'} for i in range(40)]  # fmt: skip
    logs.put_log_events(context, {"logGroupName": "app", "logStreamName": "s", "logEvents": events})
    start, end = now // 1000 - 120, now // 1000 + 1
    rows = logs.run_insights_query(
        "111122223333", "eu-west-1", "filter @message like /ERROR/ | stats count(*) as n", ["app"], start, end
    )
    assert rows == [[{"field": "n", "value": "10"}]]
    # A filter on a discovered field runs on the records.
    rows = logs.run_insights_query(
        "111122223333", "eu-west-1", "filter level = 'info' | stats count(*) as n", ["app"], start, end
    )
    assert rows == [[{"field": "n", "value": "30"}]]

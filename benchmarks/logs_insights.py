"""Logs Insights over a large log group: `filter ... | stats count(*) by bin(5m)` over N events
(a million by default), and the same query over a tenth of the time range, on a server of its
own. The target: the whole group in at most 2 s, and a query's cost growing with the events in
its time range, not with the group.

    .venv/bin/python benchmarks/logs_insights.py [--events 1000000] [--rounds 3]

The events (one in ten an ERROR line) are spread evenly over the last two hours and put with
PutLogEvents, 10,000 a call; a query's figure is the time from sending StartQuery until
GetQueryResults first says Complete (polled every 20 ms), with the server's CPU time for it
(what to compare on a machine others load too) and the query's statistics beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port, wait_healthy  # noqa: E402

GROUP = "/bench/insights"
QUERY = "filter @message like /ERROR/ | stats count(*) by bin(5m)"
SPAN_MS = 2 * 3600 * 1000
BATCH = 10_000


def _ingest(logs, events: int) -> tuple[int, int]:
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="app")
    end = int(time.time() * 1000) - 60_000
    start = end - SPAN_MS
    step = SPAN_MS / events
    began = time.monotonic()
    for first in range(0, events, BATCH):
        batch = [
            {
                "timestamp": start + int(i * step),
                "message": (
                    f"ERROR request {i} failed path=/api/item/{i % 977} status=500"
                    if i % 10 == 0
                    else f"INFO request {i} path=/api/item/{i % 977} status=200 latency={i % 250}"
                ),
            }
            for i in range(first, min(first + BATCH, events))
        ]
        logs.put_log_events(logGroupName=GROUP, logStreamName="app", logEvents=batch)
    spent = time.monotonic() - began
    print(f"ingested {events:,} events in {spent:.1f} s ({events / spent:,.0f} events/s)", file=sys.stderr)
    return start, end


def _cpu_seconds(pid: int) -> float:
    """The server's CPU time so far (user + system): on a shared machine the wall clock also
    counts the neighbours' work."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _query(logs, start_ms: int, end_ms: int) -> tuple[float, dict]:
    sent = time.monotonic()
    query_id = logs.start_query(
        logGroupName=GROUP, startTime=start_ms // 1000, endTime=end_ms // 1000, queryString=QUERY, limit=10000
    )["queryId"]
    while True:
        answer = logs.get_query_results(queryId=query_id)
        if answer["status"] in ("Complete", "Failed", "Cancelled", "Timeout"):
            break
        time.sleep(0.02)
    waited = time.monotonic() - sent
    if answer["status"] != "Complete":
        raise SystemExit(f"query ended {answer['status']}")
    return waited, answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "overcast", "start", "--ephemeral", "--quiet", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(endpoint, server)
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        logs = session.client("logs", endpoint_url=endpoint)
        start, end = _ingest(logs, args.events)
        tenth = end - SPAN_MS // 10
        for label, low in (("whole group", start), ("last tenth", tenth)):
            waits, cpu = [], []
            for _ in range(args.rounds):
                before = _cpu_seconds(server.pid)
                waited, answer = _query(logs, low, end)
                cpu.append(_cpu_seconds(server.pid) - before)
                waits.append(waited)
            stats = answer["statistics"]
            bins = len(answer["results"])
            print(
                f"{label}: median {statistics.median(waits):.2f} s, max {max(waits):.2f} s "
                f"(server CPU {statistics.median(cpu):.2f} s) — "
                f"{stats['recordsScanned']:,.0f} scanned, {stats['recordsMatched']:,.0f} matched, {bins} bins"
            )
        print("target: the whole group within 2 s; the tenth about a tenth of that")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""EventBridge Scheduler firing jitter, end to end: how late schedules' SQS targets receive their
invocations with N schedules active, on a server of its own at the real clock.

    .venv/bin/python benchmarks/scheduler_firing.py [--schedules 1000] [--rounds 1] [--burst] [--durable]

Each schedule is `rate(1 minute)` from a StartDate on a whole second; the StartDates are spread
evenly over one minute (so about N/60 fire each second, as schedules created at different
times do), or all on the same second with --burst (N at once, the worst case). Its SQS message
carries <aws.scheduler.scheduled-time>; "late" is the message's SentTimestamp (when SQS stored
it) minus that time, so it counts the timer, the store write, the outbox and SendMessage.
Beside it, the same N timers on the bare runtime scheduler, in-process (the floor: what the
shared scheduler adds alone, benchmarks/scheduler_jitter.py's figure).
The issue's target: p99 ≤ 1 s at 1,000 active schedules.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from overcast.config import Config  # noqa: E402
from overcast.runtime import Runtime  # noqa: E402
from tests.conftest import free_port, wait_healthy  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/bench"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def end_to_end(count: int, rounds: int, burst: bool, data_dir: str | None) -> list[float]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    state = ["--data-dir", data_dir] if data_dir else ["--ephemeral"]
    server = subprocess.Popen(
        [sys.executable, "-m", "overcast", "start", *state, "--quiet", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(endpoint, server)
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        scheduler, sqs = (
            session.client("scheduler", endpoint_url=endpoint),
            session.client("sqs", endpoint_url=endpoint),
        )
        url = sqs.create_queue(QueueName="fired")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        # Creating them takes a while: the first StartDate comes after the last is created.
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=max(15, count // 40))
        for index in range(count):
            offset = 0 if burst else (index * 60) // count
            scheduler.create_schedule(
                Name=f"s{index}", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow={"Mode": "OFF"},
                StartDate=first + timedelta(seconds=offset),
                Target={"Arn": arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"},
            )  # fmt: skip
        assert datetime.now(UTC) < first, "creating the schedules took longer than planned"
        expected = count * rounds
        end = first + timedelta(seconds=60 * rounds - 1)
        time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds()) + 3)
        late: list[float] = []
        while len(late) < expected:
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageSystemAttributeNames=["SentTimestamp"],
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                due = datetime.fromisoformat(message["Body"].replace("Z", "+00:00")).timestamp()
                if due <= end.timestamp():
                    late.append(int(message["Attributes"]["SentTimestamp"]) / 1000 - due)
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            )  # fmt: skip
        if len(late) < expected:
            print(f"WARNING: {expected - len(late)} of {expected} invocations did not arrive")
        return late
    finally:
        server.terminate()
        server.wait(timeout=30)


def bare_timers(count: int, burst: bool) -> list[float]:
    runtime = Runtime(Config(data_dir=None))
    lateness: list[float] = []

    def fire(key: str, due: float) -> None:
        lateness.append(time.time() - due)

    async def run() -> None:
        runtime.attach_loop(asyncio.get_running_loop())
        try:
            start = runtime.scheduler.now() + 0.5
            for index in range(count):
                offset = 0 if burst else 10 * index / count
                runtime.scheduler.at(f"timer-{index}", start + offset, fire)
            await asyncio.sleep(11)
        finally:
            runtime.close()  # while the loop runs: what it closes (a UDP listener) needs it

    asyncio.run(run())
    return lateness


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--burst", action="store_true", help="every schedule due on the same second")
    parser.add_argument(
        "--durable", action="store_true", help="state in a data directory (default: --ephemeral)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        figures = {
            "bare runtime timers (floor)": bare_timers(args.schedules, args.burst),
            "schedule -> SQS message stored": end_to_end(
                args.schedules, args.rounds, args.burst, scratch if args.durable else None
            ),
        }
    load = os.getloadavg()
    shape = "all due on one second" if args.burst else "spread over each minute"
    shape += ", durable" if args.durable else ", ephemeral"
    print(
        f"{args.schedules} active schedules ({shape}), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    for label, values in figures.items():
        print(f"{label:32} n={len(values):5}  p50 {percentile(values, 0.5):8.2f} ms  "
              f"p99 {percentile(values, 0.99):8.2f} ms  max {max(values) * 1000:8.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

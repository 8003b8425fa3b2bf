"""EventBridge delivery latency: from PutEvents' answer to the matched event being received
from its SQS target, with 100 rules on the bus (one matching), on a server of its own.

    .venv/bin/python benchmarks/events_delivery.py [--events N]

Each round sends one event and long-polls the queue; "delivery" is the time from PutEvents'
answer to ReceiveMessage's answer carrying it. A ReceiveMessage of a message already waiting is
measured the same way as the floor of that figure (the client's own round trip), so the
delivery itself is about the difference of the two p50s.
"""

from __future__ import annotations

import argparse
import json
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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
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
        events, sqs = (
            session.client("events", endpoint_url=endpoint),
            session.client("sqs", endpoint_url=endpoint),
        )
        url = sqs.create_queue(QueueName="delivery")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for index in range(99):
            events.put_rule(Name=f"other-{index}", EventPattern=json.dumps({"source": [f"other.app{index}"]}))
        events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["orders.app"]}))
        events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": arn}])
        entry = {"Source": "orders.app", "DetailType": "Order Placed", "Detail": '{"orderId": "abc123"}'}
        put, delivered, floor = [], [], []
        for _ in range(args.events):
            started = time.perf_counter()
            events.put_events(Entries=[entry])
            answered = time.perf_counter()
            messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
            received = time.perf_counter()
            assert messages, "the event was not delivered within 5 s"
            put.append(answered - started)
            delivered.append(received - answered)
            sqs.send_message(QueueUrl=url, MessageBody="x")
            started = time.perf_counter()
            waiting = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]
            floor.append(time.perf_counter() - started)
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages + waiting)
                ],
            )
        load = os.getloadavg()
        print(f"{args.events} events, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        for label, values in (("PutEvents", put), ("PutEvents answer -> received", delivered),
                              ("ReceiveMessage of a waiting message", floor)):  # fmt: skip
            print(f"{label:40} p50 {percentile(values, 0.5):7.2f} ms  p99 {percentile(values, 0.99):7.2f} ms"
                  f"  mean {statistics.mean(values) * 1000:7.2f} ms")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

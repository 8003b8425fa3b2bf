"""CloudWatch alarm reaction time: a metric crosses its alarm's threshold → the alarm fires →
SNS → the SQS queue subscribed to the topic has the alarm message. On a server of its own at
the real clock (no sped-up schedule).

    .venv/bin/python benchmarks/cloudwatch_alarm.py [--rounds N] [--period 10]

Each round sets the alarm back to OK, puts one breaching datapoint, and long-polls the queue;
the figure is the time from PutMetricData's answer to ReceiveMessage's answer carrying the
ALARM message. The target is one evaluation period plus one second: an alarm is evaluated
every period (every minute at most), so the wait for its next evaluation is at most a period.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port, wait_healthy  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--period", type=int, default=10, choices=(10, 20, 30, 60))
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
        cw, sns, sqs = (session.client(s, endpoint_url=endpoint) for s in ("cloudwatch", "sns", "sqs"))
        topic = sns.create_topic(Name="ops-alerts")["TopicArn"]
        url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        waits = []
        for round_ in range(args.rounds):
            name = f"bench-{round_}"
            cw.put_metric_alarm(
                AlarmName=name, Namespace="Bench", MetricName=f"Errors{round_}", Statistic="Sum",
                Period=args.period, EvaluationPeriods=1, Threshold=5, ComparisonOperator="GreaterThanThreshold",
                AlarmActions=[topic], TreatMissingData="notBreaching",
            )  # fmt: skip
            time.sleep(0.5)  # its first evaluation (no data: OK) comes at once
            cw.put_metric_data(
                Namespace="Bench",
                MetricData=[
                    {
                        "MetricName": f"Errors{round_}",
                        "Value": 9,
                        "StorageResolution": 1 if args.period < 60 else 60,
                    }
                ],
            )
            sent = time.monotonic()
            while True:
                messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", [])
                alarm = [m for m in messages if json.loads(m["Body"]).get("AlarmName") == name]
                for m in messages:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                if alarm:
                    waits.append(time.monotonic() - sent)
                    break
                if time.monotonic() - sent > args.period + 30:
                    raise SystemExit(f"round {round_}: no alarm message within {args.period + 30} s")
            print(f"round {round_}: {waits[-1]:.2f} s", file=sys.stderr)
        print(f"alarm period {args.period} s, {args.rounds} rounds: metric → alarm → SNS → SQS")
        print(f"  median {statistics.median(waits):.2f} s, max {max(waits):.2f} s "
              f"(target: within one period + 1 s = {args.period + 1} s)")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

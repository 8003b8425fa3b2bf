"""CloudFormation: how long a stack of N resources (queues, topics and tables in turn) takes
to reach CREATE_COMPLETE and DELETE_COMPLETE, beside the floor of the same resources created
and deleted by the client itself, one API call after another, on a server of its own.

    .venv/bin/python benchmarks/cloudformation_stack.py [--resources 10] [--rounds 5]

"create" is from CreateStack's request to the DescribeStacks that first shows
CREATE_COMPLETE (polled every 20 ms), "delete" likewise for DeleteStack. The engine creates
independent resources concurrently; the floor calls CreateQueue / CreateTopic / CreateTable
(and waits for ACTIVE) in sequence, as a script without CloudFormation would.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scenarios.cloudformation import template  # noqa: E402

from tests.conftest import free_port, wait_healthy  # noqa: E402


def wait(cfn, stack: str, poll: float = 0.02) -> str:
    while True:
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            return status
        time.sleep(poll)


def by_hand(session, endpoint: str, count: int, tag: str) -> tuple[float, float]:
    sqs, sns, dynamodb = (session.client(name, endpoint_url=endpoint) for name in ("sqs", "sns", "dynamodb"))
    started = time.perf_counter()
    made = []
    for index in range(count):
        name = f"{tag}-{index}"
        kind = index % 3
        if kind == 0:
            made.append((0, sqs.create_queue(QueueName=name)["QueueUrl"]))
        elif kind == 1:
            made.append((1, sns.create_topic(Name=name)["TopicArn"]))
        else:
            dynamodb.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            )
            while dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
                time.sleep(0.02)
            made.append((2, name))
    created = time.perf_counter() - started
    started = time.perf_counter()
    for kind, ident in made:
        if kind == 0:
            sqs.delete_queue(QueueUrl=ident)
        elif kind == 1:
            sns.delete_topic(TopicArn=ident)
        else:
            dynamodb.delete_table(TableName=ident)
    return created, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
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
        cfn = session.client("cloudformation", endpoint_url=endpoint)
        body = template(args.resources)
        by_hand(session, endpoint, args.resources, "warm")  # load the providers first
        stack_create, stack_delete, hand_create, hand_delete = [], [], [], []
        for round_number in range(args.rounds):
            name = f"bench-{round_number}"
            started = time.perf_counter()
            cfn.create_stack(StackName=name, TemplateBody=body)
            status = wait(cfn, name)
            stack_create.append(time.perf_counter() - started)
            assert status == "CREATE_COMPLETE", status
            stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
            started = time.perf_counter()
            cfn.delete_stack(StackName=name)
            status = wait(cfn, stack_id)
            stack_delete.append(time.perf_counter() - started)
            assert status == "DELETE_COMPLETE", status
            created, deleted = by_hand(session, endpoint, args.resources, f"hand-{round_number}")
            hand_create.append(created)
            hand_delete.append(deleted)
        print(f"{args.resources} resources, median of {args.rounds} rounds")
        print(f"{'':24}{'create':>10}{'delete':>10}")
        print(
            f"{'stack (CloudFormation)':24}{statistics.median(stack_create):>9.3f}s{statistics.median(stack_delete):>9.3f}s"
        )
        print(
            f"{'by hand (API calls)':24}{statistics.median(hand_create):>9.3f}s{statistics.median(hand_delete):>9.3f}s"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

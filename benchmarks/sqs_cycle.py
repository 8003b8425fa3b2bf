"""The SQS message cycle: send → receive → delete, in messages per second, next to the same
request loop against the reference server (benchmarks/reference_server.py) in the same run.

    .venv/bin/python benchmarks/sqs_cycle.py [--duration S] [--rounds N] [--workers N]

A cycle needs each ReceiveMessage answer's receipt handles, so wrk's replay of fixed requests
cannot drive it; this script's workers (asyncio, raw keep-alive HTTP/1.1, pinned to the client
CPU like run.py's generator) do. Two modes:

* batch:  SendMessageBatch (10) → ReceiveMessage (MaxNumberOfMessages 10) → DeleteMessageBatch
* single: SendMessage → ReceiveMessage → DeleteMessage

The reference server answers every request with a fixed 200, so against it the loop sends
the same three requests (deletes with dummy handles): the ratio compares Overcast's cycles
per second to the most a server on this stack could do for the same requests. The Python
client may saturate before either server does; the figures are then a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402
from loadgen import pin_to  # noqa: E402

AUTH = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"


def request(port: int, operation: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"X-Amz-Target: AmazonSQS.{operation}\r\nAuthorization: {AUTH}\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def exchange(reader, writer, raw: bytes) -> tuple[int, bytes]:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, (await reader.readexactly(length)) if length else b""


async def worker(port: int, url: str, batch: bool, deadline: float, tally: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if batch:
        send = request(
            port,
            "SendMessageBatch",
            {"QueueUrl": url, "Entries": [{"Id": str(i), "MessageBody": f"message {i}"} for i in range(10)]},
        )
    else:
        send = request(port, "SendMessage", {"QueueUrl": url, "MessageBody": "message"})
    receive = request(port, "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10 if batch else 1})
    while time.perf_counter() < deadline:
        status, _ = await exchange(reader, writer, send)
        tally["errors"] += status >= 400
        status, body = await exchange(reader, writer, receive)
        tally["errors"] += status >= 400
        try:
            handles = [m["ReceiptHandle"] for m in json.loads(body).get("Messages", [])]
        except ValueError:  # the reference server's fixed answer
            handles = ["dummy-receipt-handle"] * (10 if batch else 1)
        if not handles:
            continue
        if batch:
            delete = request(
                port,
                "DeleteMessageBatch",
                {
                    "QueueUrl": url,
                    "Entries": [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)],
                },
            )
        else:
            delete = request(port, "DeleteMessage", {"QueueUrl": url, "ReceiptHandle": handles[0]})
        status, _ = await exchange(reader, writer, delete)
        tally["errors"] += status >= 400
        tally["messages"] += len(handles)
        tally["cycles"] += 1
    writer.close()


async def measure(port: int, url: str, batch: bool, duration: float, workers: int) -> dict:
    tally = {"messages": 0, "cycles": 0, "errors": 0}
    started = time.perf_counter()
    await asyncio.gather(*(worker(port, url, batch, started + duration, tally) for _ in range(workers)))
    elapsed = time.perf_counter() - started
    return {
        "messages_per_s": tally["messages"] / elapsed,
        "cycles_per_s": tally["cycles"] / elapsed,
        "errors": tally["errors"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    args = parser.parse_args(argv)
    pin = pin_to(args.client_cpu)
    if pin is not None:
        pin()
    rows = []
    with (
        harness.running_server("reference", harness.REFERENCE_CMD, args.server_cpu, 60) as reference,
        harness.running_server("overcast", harness.OVERCAST_CMD, args.server_cpu, 60) as overcast,
    ):
        import scenarios

        sqs = scenarios.client_factory(f"http://127.0.0.1:{overcast.port}")("sqs")
        url = sqs.create_queue(QueueName="bench-cycle")["QueueUrl"]
        for mode in ("batch", "single"):
            batch = mode == "batch"
            results: dict[str, list[dict]] = {"reference": [], "overcast": []}
            for server in (reference, overcast):  # warm-up
                asyncio.run(measure(server.port, url, batch, 1.0, args.workers))
            for number in range(1, args.rounds + 1):
                for server in (reference, overcast):
                    result = asyncio.run(measure(server.port, url, batch, args.duration, args.workers))
                    results[server.label].append(result)
                    print(
                        f"  sqs-cycle-{mode} round {number} {server.label:>9}: {result['messages_per_s']:8.0f} msg/s"
                        f" {result['cycles_per_s']:7.0f} cycles/s errors {result['errors']}",
                        file=sys.stderr,
                    )
            ratios = [
                o["cycles_per_s"] / r["cycles_per_s"]
                for r, o in zip(results["reference"], results["overcast"], strict=False)
            ]
            rows.append(
                (
                    mode,
                    statistics.median(r["messages_per_s"] for r in results["reference"]),
                    statistics.median(o["messages_per_s"] for o in results["overcast"]),
                    statistics.median(ratios),
                )
            )
    print(f"\n{'scenario':<18} {'ref msg/s':>10} {'overcast msg/s':>15} {'ratio':>6}")
    for mode, ref, oc, ratio in rows:
        print(f"{'sqs-cycle-' + mode:<18} {ref:>10.0f} {oc:>15.0f} {ratio:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The fallback load generator, for machines without wrk: asyncio (uvloop when installed),
N keep-alive HTTP/1.1 connections, each sending the next request as soon as the previous
answer is read. One Python process on one core saturates long before wrk does, so its
figures are a floor for the server, not a measurement of it; run.py says which was used.

    pyload.py HOST PORT DURATION CONNECTIONS REQUEST_FILE [REQUEST_FILE ...]

Each REQUEST_FILE holds one complete raw request (request line, headers, body); a file whose
name ends in `.head` is a HEAD request (its answer has no body). Prints one line:
`BENCH_RESULT {json}` with the same fields as the wrk script in loadgen.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    http_errors: int = 0
    socket_errors: int = 0


async def read_response(reader: asyncio.StreamReader, head_only: bool) -> tuple[int, bool]:
    """Reads one response; returns its status and whether the server will close."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        if status >= 200:
            break  # 1xx answers are interim: the real one follows
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    if head_only or status in (204, 304):
        return status, close
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                break
            await reader.readexactly(size + 2)
    elif length:
        await reader.readexactly(length)
    return status, close


async def connection(
    host: str,
    port: int,
    requests: list[tuple[bytes, bool]],
    offset: int,
    deadline: float,
    tally: Tally,
) -> None:
    writer: asyncio.StreamWriter | None = None
    index = offset
    while time.perf_counter() < deadline:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                tally.socket_errors += 1
                await asyncio.sleep(0.01)
                continue
        raw, head_only = requests[index % len(requests)]
        index += 1
        started = time.perf_counter()
        try:
            writer.write(raw)
            status, close = await read_response(reader, head_only)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            tally.socket_errors += 1
            writer.close()
            writer = None
            continue
        tally.latencies.append(time.perf_counter() - started)
        if status >= 400:
            tally.http_errors += 1
        if close:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


async def run(
    host: str, port: int, duration: float, connections: int, requests: list[tuple[bytes, bool]]
) -> dict[str, float]:
    tally = Tally()
    started = time.perf_counter()
    deadline = started + duration
    tasks = [
        asyncio.create_task(connection(host, port, requests, n, deadline, tally)) for n in range(connections)
    ]
    # A request still unanswered a few seconds past the deadline is abandoned, not awaited.
    _, pending = await asyncio.wait(tasks, timeout=duration + 5)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - started
    latencies = sorted(tally.latencies)
    return {
        "requests": len(latencies),
        "duration_us": elapsed * 1e6,
        "p50_us": percentile(latencies, 0.50) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "http_errors": tally.http_errors,
        "socket_errors": tally.socket_errors + len(pending),
    }


def main(argv: list[str]) -> None:
    host, port, duration, connections, *files = argv
    requests = [(Path(name).read_bytes(), name.endswith(".head")) for name in files]
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    result = run_loop(run(host, int(port), float(duration), int(connections), requests))
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

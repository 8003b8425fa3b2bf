"""CPU per request through the dispatcher, in-process: what a scenario's requests cost Overcast
itself, without a socket, a load generator or another process's noise.

    .venv/bin/python benchmarks/inproc.py s3-put-object-1k                 # durable
    .venv/bin/python benchmarks/inproc.py dynamodb-put-item --ephemeral
    .venv/bin/python benchmarks/inproc.py s3-put-object-1k --profile      # a cProfile of it

On a loaded machine requests/s swing with the neighbours; process CPU time per request
moves far less, so compare versions by this figure while working and by run.py at the end.
It counts every thread's CPU, so work moved to a background thread still shows. The
scenario's setup runs over HTTP against the same app (a server on a free port, stopped
before the measurement); the measured requests go straight to Dispatcher.dispatch.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scenarios
import uvicorn

from overcast.config import Config
from overcast.http import Request
from overcast.server import App


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _set_up(app: App, scenario: scenarios.Scenario) -> tuple[str, list]:
    """Run the scenario's setup over HTTP; the signed requests it then sends."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        if scenario.setup:
            scenario.setup(scenarios.client_factory(endpoint))
        return f"127.0.0.1:{port}", scenarios.build_requests(scenario, endpoint)
    finally:
        server.should_exit = True
        thread.join()


def _makers(host: str, requests: list) -> list[Callable[[], Request]]:
    def maker(raw) -> Callable[[], Request]:
        path, _, query = raw.path.partition("?")
        headers = {name.lower(): value for name, value in raw.headers}
        headers.setdefault("host", host)
        body = raw.body or b""
        return lambda: Request(raw.method, path, query, headers, body)

    return [maker(raw) for raw in requests]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", choices=sorted(scenarios.by_name()))
    parser.add_argument("--requests", type=int, default=3000, help="measured requests (default 3000)")
    parser.add_argument(
        "--ephemeral", action="store_true", help="in-memory state (default: a fresh data dir)"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the requests instead")
    args = parser.parse_args()

    data_dir = None if args.ephemeral else Path(tempfile.mkdtemp(prefix="overcast-inproc-"))
    app = App(Config(data_dir=data_dir, log_requests=False))
    runtime = app.start()
    app.prepare()
    if runtime.serves("cloudwatch"):
        # Loaded as in a warm server, where the first metric a service publishes loads it.
        runtime.provider("cloudwatch")
    try:
        host, requests = _set_up(app, scenarios.by_name()[args.scenario])
        makers = _makers(host, requests)
        dispatcher = app.dispatcher
        assert dispatcher is not None

        async def send(count: int) -> None:
            for i in range(count):
                response, _ = await dispatcher.dispatch(makers[i % len(makers)]())
                if response.status >= 300:
                    raise SystemExit(f"request {i} answered {response.status}: {response.body!r:.300}")

        asyncio.run(send(200))  # warm-up: caches, statement cache, first-request loading
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(asyncio.run, send(args.requests))
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            return
        started = time.process_time()
        asyncio.run(send(args.requests))
        spent = time.process_time() - started
        kind = "ephemeral" if data_dir is None else "durable"
        print(f"{args.scenario} {kind}: {spent / args.requests * 1e6:.1f} us CPU per request")
    finally:
        app.stop()
        if data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""CPU per request through the whole server layer, in-process: the HTTP protocol (uvicorn's
way, or the short way of overcast/exchange.py) over a transport that only collects what is
written, then the app. Alternating the two ways in one process makes an A/B that the load
of other processes on the machine barely moves.

    .venv/bin/python benchmarks/protocol.py sts-get-caller-identity ssm-get-parameter
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import inproc
import scenarios
import uvicorn
from loadgen import raw_request
from uvicorn.server import ServerState

from overcast.config import Config
from overcast.server import App, http_protocol


class Sink:
    """A transport that keeps nothing: it counts the responses written."""

    def __init__(self) -> None:
        self.writes = 0
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes += 1

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default=None):
        return {"sockname": ("127.0.0.1", 4566), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, *args, **kwargs) -> None:
        pass


async def per_request(app: App, raw: list[bytes], direct: bool, count: int) -> float:
    config = uvicorn.Config(app, lifespan="off", log_level="error")
    config.load()
    protocol_class = http_protocol(direct=app.direct if direct else None)
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    sink = Sink()
    protocol.connection_made(sink)
    started = time.process_time()
    for i in range(count):
        protocol.data_received(raw[i % len(raw)])
        # uvicorn's way answers in a task: let it run (the short way has answered already).
        while protocol.cycle is not None and not protocol.cycle.response_complete:
            await asyncio.sleep(0)
    await asyncio.sleep(0)
    spent = time.process_time() - started
    protocol.connection_lost(None)
    return spent / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="+", choices=sorted(scenarios.by_name()))
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import uvloop

    for name in args.scenario:
        app = App(Config(data_dir=None, log_requests=True))
        app.start()
        app.prepare()
        host, requests = inproc._set_up(app, scenarios.by_name()[name])
        hostname, _, port = host.partition(":")
        raw = [raw_request(request, hostname, int(port)) for request in requests]
        figures: dict[bool, list[float]] = {False: [], True: []}
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.get_loop().call_soon(lambda: None)
            app.runtime.attach_loop(runner.get_loop(), resume=False)
            for direct in (False, True):
                runner.run(per_request(app, raw, direct, 300))  # warm-up
            for _ in range(args.rounds):
                for direct in (False, True):
                    figures[direct].append(runner.run(per_request(app, raw, direct, args.requests)))
        app.stop()
        uvicorn_way, short_way = (sorted(figures[d])[len(figures[d]) // 2] for d in (False, True))
        print(f"{name}: uvicorn's way {uvicorn_way:.1f} us/request, short way {short_way:.1f} us/request")


if __name__ == "__main__":
    main()

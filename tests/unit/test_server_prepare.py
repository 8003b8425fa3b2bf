"""The server answers health while it prepares the request path (modules, the service catalog,
the services with work to resume) off the event loop; AWS requests wait for that, and a
preparation that fails stops the server with its reason."""

from __future__ import annotations

import asyncio
import json
import threading

from overcast.config import Config
from overcast.server import App


def _call(app: App, path: str) -> asyncio.Future:
    """One GET through the ASGI app; the future holds (status, body)."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:4566")],
        "client": ("127.0.0.1", 5000),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    async def run() -> tuple[int, bytes]:
        await app(scope, receive, send)
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return sent[0]["status"], body

    return asyncio.ensure_future(run())


async def _start(app: App) -> None:
    messages = iter([{"type": "lifespan.startup"}])
    started: list[dict] = []

    async def receive() -> dict:
        try:
            return next(messages)
        except StopIteration:
            await asyncio.Event().wait()  # the lifespan stays open, as under the server
            raise AssertionError("unreachable") from None

    async def send(message: dict) -> None:
        started.append(message)

    lifespan = asyncio.ensure_future(app({"type": "lifespan"}, receive, send))
    while not started:
        await asyncio.sleep(0)
    assert started[0]["type"] == "lifespan.startup.complete", lifespan


def test_health_answers_while_preparing_and_requests_wait(monkeypatch) -> None:
    release = threading.Event()
    app = App(Config(data_dir=None, log_requests=False))
    real_prepare = App.prepare

    def slow_prepare(self: App):
        assert release.wait(10)
        return real_prepare(self)

    monkeypatch.setattr(App, "prepare", slow_prepare)

    async def scenario() -> None:
        await _start(app)
        try:
            await steps()
        finally:
            app.stop()  # on the loop, as the server's lifespan shutdown does

    async def steps() -> None:
        status, body = await asyncio.wait_for(_call(app, "/_overcast/health"), 5)
        assert status == 200 and json.loads(body)["status"] == "running"
        waiting = _call(app, "/_overcast/state/export")  # not health: waits for preparing
        await asyncio.sleep(0.2)
        assert not waiting.done()
        release.set()
        status, _ = await asyncio.wait_for(waiting, 10)
        assert status == 200
        assert app.dispatcher is not None and "cloudtrail" in app.runtime.providers  # resumed

    asyncio.run(scenario())


def test_a_failed_preparation_stops_the_server_and_says_why(monkeypatch) -> None:
    app = App(Config(data_dir=None, log_requests=False))
    stopped = threading.Event()
    app.on_failure = stopped.set

    def failing_prepare(self: App):
        raise RuntimeError("s3/objects holds rows of a newer layout")

    monkeypatch.setattr(App, "prepare", failing_prepare)

    async def scenario() -> None:
        await _start(app)
        try:
            await steps()
        finally:
            app.stop()

    async def steps() -> None:
        assert await asyncio.to_thread(stopped.wait, 5)
        assert "newer layout" in str(app.failure)
        status, _ = await asyncio.wait_for(_call(app, "/_overcast/health"), 5)
        assert status == 200  # health still answers until the server has stopped

    asyncio.run(scenario())

"""The ASGI application and the server around it (uvicorn with httptools and uvloop)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterable, Callable
from typing import TYPE_CHECKING, cast
from urllib.parse import unquote

from overcast import exchange, requestlog, terminal
from overcast.config import Config, tuning
from overcast.faults import DISK_FULL_MESSAGE, is_disk_full
from overcast.gateway import Gateway
from overcast.http import BODY_STALLED, BodyStream, Readable, Request, Response
from overcast.runtime import Runtime

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.dispatch import Dispatcher

log = logging.getLogger(__name__)

#: What answers while the server is still preparing (see App.prepare).
_HEALTH_PATHS = frozenset(("/_overcast/health", "/_localstack/health"))


def _request_log_stream():
    """Standard output, buffered by Overcast itself even under PYTHONUNBUFFERED (common in
    containers), where each line would otherwise cost a write call on the request path."""
    try:
        return open(sys.stdout.fileno(), "w", buffering=1 << 16, encoding="utf-8", closefd=False)
    except (AttributeError, OSError, ValueError):  # stdout replaced by something with no file
        return sys.stdout


_DASHBOARD_AGENT = requestlog.DASHBOARD_AGENT
#: Internal paths whose requests get no terminal line: the dashboard's assets and polling.
_QUIET_PATHS = ("/_overcast/ui/", "/_overcast/api/", "/_overcast/health")


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class App:
    """A bare ASGI app: the request path is hot, so no framework sits between uvicorn and it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.runtime: Runtime | None = None
        self.gateway: Gateway | None = None
        self.dispatcher: Dispatcher | None = None
        self._flush_pending = False
        self._log = _request_log_stream()
        self._prepared: asyncio.Future[None] | None = None
        #: Why preparing the services failed, and what stops the server then.
        self.failure: BaseException | None = None
        self.on_failure: Callable[[], None] | None = None
        self._colour = config.color if config.color is not None else _is_terminal(self._log)
        self._json_lines = config.log_format == "json"

    def start(self) -> Runtime:
        runtime = self.runtime = Runtime(self.config)
        self.gateway = Gateway(runtime)
        return runtime

    def prepare(self) -> Dispatcher:
        """What the first AWS request needs and health does not: the request path's modules,
        the service catalog (seconds to build the first time on a machine) and the services
        with work to resume (CloudTrail records every call from the first). The server runs
        this off the event loop, so health answers while it runs; requests wait for it."""
        from overcast.dispatch import Dispatcher

        runtime = self.runtime
        if runtime is None:
            raise RuntimeError("the app was not started")
        dispatcher = Dispatcher(runtime)
        dispatcher.router  # noqa: B018 - built now, not on the first request
        runtime.resume()
        # What start-up built (modules, the catalog, models) lives as long as the process: the
        # collector's full passes need not walk it again on every request burst.
        gc.freeze()
        self.dispatcher = dispatcher
        return dispatcher

    def _prepare_in_background(self, loop: asyncio.AbstractEventLoop) -> None:
        prepared: asyncio.Future[None] = loop.create_future()
        self._prepared = prepared

        def settle() -> None:
            if not prepared.done():
                prepared.set_result(None)

        def run() -> None:
            try:
                self.prepare()
            except BaseException as error:  # e.g. a table at a newer layout: the server stops
                log.debug("preparing failed", exc_info=True)
                self.failure = error
                if self.on_failure is not None:
                    self.on_failure()
            with contextlib.suppress(RuntimeError):  # the loop closed: nothing waits any more
                loop.call_soon_threadsafe(settle)

        threading.Thread(target=run, name="prepare", daemon=True).start()

    def stop(self) -> None:
        self._log.flush()
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            await self.websocket(scope, receive, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    runtime = self.runtime if self.runtime is not None else self.start()
                    loop = asyncio.get_running_loop()
                    runtime.attach_loop(loop, resume=False)
                    if self.dispatcher is None:
                        self._prepare_in_background(loop)
                    else:
                        runtime.resume()
                except Exception as error:  # e.g. a data dir that cannot be opened
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def websocket(self, scope, receive, send) -> None:
        """A WebSocket upgrade: only API Gateway's WebSocket APIs speak WebSocket on this port;
        any other upgrade is refused (403) before it is accepted."""
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key, text = name.decode("latin-1"), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        raw_path = scope.get("raw_path")
        client = scope.get("client") or ("127.0.0.1", 0)
        request = Request(
            method="GET",
            raw_path=raw_path.decode("latin-1") if raw_path else scope["path"],
            query_string=scope["query_string"].decode("latin-1"),
            headers=headers,
            client_ip=client[0],
            client_port=client[1],
        )
        runtime = self.runtime
        if runtime is not None and runtime.serves("apigatewayv2"):
            try:
                await runtime.provider("apigatewayv2").serve_websocket(request, receive, send)
            except Exception:
                log.exception("WebSocket %s failed", request.raw_path)
            return
        if (await receive())["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": 1008})

    async def http(self, scope, receive, send) -> None:
        """A request uvicorn's way (exchange.py says which requests go the short way)."""
        started = time.perf_counter()
        message = await receive()
        body = message.get("body", b"")
        if message.get("more_body", False):
            # A body larger than one read: the dispatcher either reads it whole or, for an
            # operation that takes a stream (S3 uploads), hands it over still arriving.
            body = BodyStream(body, receive, scope)
        raw_path = scope.get("raw_path")
        client = scope.get("client") or ("127.0.0.1", 0)
        request = Request(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1") if raw_path else scope["path"],
            query_string=scope["query_string"].decode("latin-1"),
            headers=exchange.headers_of(scope["headers"]),
            body=body,
            client_ip=client[0],
            client_port=client[1],
        )
        response, context = await self._answer(request)
        await self.send_response(send, response, head=request.method == "HEAD", receive=receive)
        self._record(request, response, context, started)

    async def direct(self, request: Request) -> Response:
        """A request the short way: its response, which the protocol writes."""
        started = time.perf_counter()
        response, context = await self._answer(request)
        self._record(request, response, context, started)
        return response

    async def _answer(self, request: Request) -> tuple[Response, RequestContext | None]:
        """The response to a request, and its context (None for Overcast's own endpoints)."""
        gateway, dispatcher = self.gateway, self.dispatcher
        if dispatcher is None and request.raw_path not in _HEALTH_PATHS:
            if self._prepared is None:
                raise RuntimeError("a request arrived before the app started")
            await asyncio.shield(self._prepared)
            dispatcher = self.dispatcher
            if dispatcher is None:
                raise RuntimeError(f"Overcast could not prepare its services: {self.failure}")
        if gateway is None:
            raise RuntimeError("a request arrived before the app started")
        if not gateway.handles(request.raw_path):
            assert dispatcher is not None  # prepared above
            return await dispatcher.dispatch(request)
        try:
            if type(request.body) is BodyStream:
                request.body = await request.body.read()
            response = gateway.route(request)
            if not isinstance(response, Response):
                response = await response
        except Exception as error:  # e.g. the disk filled during an export
            if is_disk_full(error):
                log.warning("%s %s: the disk is full", request.method, request.raw_path)
                said = DISK_FULL_MESSAGE
            else:
                log.exception("%s %s failed", request.method, request.raw_path)
                said = str(error)
            response = Response(
                500, {"Content-Type": "application/json"}, json.dumps({"error": said}).encode()
            )
        return response, None

    def _record(
        self, request: Request, response: Response, context: RequestContext | None, started: float
    ) -> None:
        """The request in the request log (the dashboard's) and on the terminal."""
        elapsed = (time.perf_counter() - started) * 1000
        dispatcher = self.dispatcher
        if context is not None and dispatcher is not None:
            dispatcher.runtime.requests.add(
                context.service,
                context.operation_name,
                response.status,
                elapsed,
                context.account,
                context.region,
                context.error,
                context.params,
                context.request_id,
                _DASHBOARD_AGENT in request.headers.get("user-agent", ""),
            )
        if not self.config.log_requests:
            return
        if context is None:
            if request.raw_path.startswith(_QUIET_PATHS):
                return  # the dashboard's own page loads and polls
            label = f"overcast {request.method} {request.raw_path}"
            line = terminal.request_line(label, response.status, elapsed, "", None, self._colour)
        elif self._json_lines:
            line = terminal.json_line(
                context.service,
                context.operation_name,
                response.status,
                elapsed,
                context.account,
                context.region,
                context.error,
                context.request_id,
            )
        else:
            label = f"{context.service or '-'}.{context.operation_name or '-'}"
            line = terminal.request_line(
                label, response.status, elapsed, context.account, context.error, self._colour
            )
        self._log.write(line)
        if not self._flush_pending:
            # One flush for a burst of requests: a line per request reaches a pipe or a
            # terminal within a tenth of a second without a write call per request.
            self._flush_pending = True
            asyncio.get_running_loop().call_later(0.1, self._flush_log)

    def _flush_log(self) -> None:
        self._flush_pending = False
        self._log.flush()

    @staticmethod
    async def send_response(send, response: Response, head: bool = False, receive=None) -> None:
        body = response.body
        headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers.items()]
        if isinstance(body, (bytes, bytearray)):
            # A 204 carries no Content-Length (RFC 9110 8.6), as AWS's answers do not.
            if "Content-Length" not in response.headers and response.status != 204:
                headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if head else bytes(body)})
            return
        # A streamed body: an iterator of chunks, async or not, or a file object.
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if not head:
            # Not isinstance(body, Readable): a runtime-checked Protocol costs about 20 µs a check.
            if hasattr(body, "read"):
                readable = cast(Readable, body)
                try:
                    while chunk := readable.read(1 << 20):
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                finally:
                    readable.close()
            elif isinstance(body, AsyncIterable):
                await _send_until_gone(send, receive, body)
            else:
                for chunk in body:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


async def _disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_until_gone(send, receive, body: AsyncIterable[bytes]) -> None:
    """Send an async body's chunks until it ends or the client goes away (the server drops
    writes to a closed connection silently): an endless stream, such as a live tail, stops
    with its reader, and closing it lets its producer clean up."""
    iterator = aiter(body)
    gone = asyncio.ensure_future(_disconnected(receive)) if receive is not None else None
    try:
        while True:
            following = asyncio.ensure_future(anext(iterator))
            if gone is not None:
                await asyncio.wait((following, gone), return_when=asyncio.FIRST_COMPLETED)
                if not following.done():
                    following.cancel()
                    with contextlib.suppress(BaseException):
                        await following  # the producer must stop before it can be closed
                    break
            try:
                chunk = await following
            except StopAsyncIteration:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        if gone is not None:
            gone.cancel()
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


#: A write this large (a streamed body's chunk) goes to the socket at once, not joined.
_DIRECT_WRITE = 64 << 10


class OneWritePerTurn:
    """A connection's transport that hands the socket one write per event-loop turn.

    uvicorn writes a response's status line and headers, then its body, as two writes: two
    send() calls and two TCP segments, which cost a small request more than its handling does.
    Small writes wait for the end of the turn and go out joined; a large one goes at once
    (after whatever waits), so a streamed body is never held in memory. Everything else is the
    transport's own."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport, loop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data) -> None:
        pending = self._pending
        if len(data) >= _DIRECT_WRITE:
            self.flush()
            self._transport.write(data)
            return
        if not pending:
            self._loop.call_soon(self.flush)
        pending.append(data)

    def flush(self) -> None:
        pending = self._pending
        if pending:
            data = pending[0] if len(pending) == 1 else b"".join(pending)
            pending.clear()
            if not self._transport.is_closing():  # the client may have gone since the write
                self._transport.write(data)

    def write_now(self, data: bytes) -> None:
        """A whole response, written at once (after whatever waits)."""
        self.flush()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


_UNPARSABLE_BODY = (
    b"<Error><Code>BadRequest</Code><Message>An error occurred when parsing the HTTP request."
    b"</Message></Error>"
)
_UNPARSABLE = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/xml\r\ncontent-length: %d\r\n"
    b"connection: close\r\n\r\n%s" % (len(_UNPARSABLE_BODY), _UNPARSABLE_BODY)
)


def http_protocol(
    header_timeout: float = 10.0, body_idle: float = 20.0, direct: exchange.DirectHandler | None = None
):
    """uvicorn's httptools protocol, on a OneWritePerTurn transport, that bounds slow clients
    (uvicorn times out only idle keep-alive connections: a thousand half-sent requests were
    held indefinitely). A connection whose request headers take longer than `header_timeout`
    seconds is closed; a request whose body sends nothing for `body_idle` seconds (while the
    server is reading it) is marked stalled in its scope and its reader woken, to answer it.
    One sweep per process checks every connection, so a request costs no timer of its own.
    With a `direct` handler, ordinary requests go the short way (exchange.py)."""
    import httptools
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

    sweep_every = max(0.05, min(1.0, header_timeout / 4, body_idle / 4))
    open_connections: set[Protocol] = set()
    sweeping: list[asyncio.TimerHandle] = []

    def sweep(loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for connection in list(open_connections):
            connection.check(now)
        if open_connections:
            sweeping[0] = loop.call_later(sweep_every, sweep, loop)
        else:
            sweeping.clear()

    class Protocol(HttpToolsProtocol):
        #: When the headers of the request being received began (None once they are complete).
        _headers_since: float | None = None
        #: When a byte last arrived while a request's body is expected (None otherwise).
        _body_seen: float | None = None

        def connection_made(self, transport) -> None:
            # It behaves as the transport it wraps (it hands over every other attribute).
            super().connection_made(cast(asyncio.Transport, OneWritePerTurn(transport, self.loop)))
            self._headers_since = self.loop.time()
            open_connections.add(self)
            if not sweeping:
                sweeping.append(self.loop.call_later(sweep_every, sweep, self.loop))

        def connection_lost(self, exc) -> None:
            open_connections.discard(self)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._body_seen is not None:
                self._body_seen = self.loop.time()
            super().data_received(data)

        def send_400_response(self, msg: str) -> None:
            """A request HTTP itself cannot parse (bytes no request line holds, a URL past the
            parser's 64 KiB): refused with an XML error that names its code, as AWS's front
            end answers a malformed request, then the connection closed."""
            self.transport.write(_UNPARSABLE)
            self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._headers_since is None:
                self._headers_since = self.loop.time()

        def on_headers_complete(self) -> None:
            self._headers_since = None
            self._body_seen = self.loop.time()
            if direct is None or not self._goes_direct():
                super().on_headers_complete()
                return
            parser = self.parser
            scope = self.scope
            scope["method"] = parser.get_method().decode("ascii")
            version = parser.get_http_version()
            if version != "1.1":
                scope["http_version"] = version
            url = httptools.parse_url(self.url)
            scope["raw_path"] = url.path
            scope["query_string"] = url.query or b""
            self.cycle = exchange.Exchange(  # type: ignore[assignment]
                scope, version != "1.0" and parser.should_keep_alive()
            )

        def _goes_direct(self) -> bool:
            cycle = self.cycle
            if (cycle is not None and not cycle.response_complete) or self.expect_100_continue:
                return False  # a request in flight before it (pipelined), or a client waiting
            if self.parser.should_upgrade():
                return False
            for name, value in self.headers:
                if name == b"content-length":
                    if not value.isdigit() or len(value) > 9 or int(value) > exchange.DIRECT_BODY:
                        return False
                elif name == b"transfer-encoding":
                    return False
            return True

        def on_body(self, body: bytes) -> None:
            cycle = self.cycle
            if type(cycle) is exchange.Exchange:
                cycle.body += body
            else:
                super().on_body(body)

        def on_message_complete(self) -> None:
            self._body_seen = None
            cycle = self.cycle
            if type(cycle) is not exchange.Exchange:
                super().on_message_complete()
                return
            assert direct is not None  # only then an exchange
            scope = cycle.scope
            client = self.client or ("127.0.0.1", 0)
            request = Request(
                method=scope["method"],
                raw_path=scope["raw_path"].decode("latin-1"),
                query_string=scope["query_string"].decode("latin-1"),
                headers=exchange.headers_of(self.headers),
                body=bytes(cycle.body),
                client_ip=client[0],
                client_port=client[1],
            )
            cycle.body = bytearray()
            task = exchange.run_now(
                direct(request), lambda response, error: self._answered(cycle, response, error)
            )
            if task is not None:
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

        def _answered(self, done: exchange.Exchange, response: Response | None, error) -> None:
            """Write a direct request's response (or uvicorn's 500 for a handler that failed)."""
            if error is not None or response is None:
                log.error("Exception in the request's handling", exc_info=error)
                response = Response(
                    500, {"content-type": "text/plain; charset=utf-8"}, b"Internal Server Error"
                )
                done.keep_alive = False
            head = done.scope["method"] == "HEAD"
            transport = cast(OneWritePerTurn, self.transport)
            if transport.is_closing():
                close = getattr(response.body, "close", None)
                if close is not None:
                    close()  # an open file nobody will read
                return
            if exchange.streams(response):
                self._stream(done, response, head)
                return
            try:
                data = exchange.encode(
                    response, head, done.keep_alive, STATUS_LINE, self.server_state.default_headers
                )
            except ValueError:
                log.exception(
                    "a response to %s %s cannot be sent", done.scope["method"], done.scope["raw_path"]
                )
                done.keep_alive = False
                data = exchange.encode(
                    Response(500, {}, b"Internal Server Error"), head, False, STATUS_LINE, []
                )
            transport.write_now(data)
            done.response_complete = True
            if not done.keep_alive:
                transport.close()
            self.on_response_complete()

        def _stream(self, done: exchange.Exchange, response: Response, head: bool) -> None:
            """A streamed body goes uvicorn's way (chunked encoding, flow control)."""
            cycle = self._cycle_for(done)
            cycle.more_body = False
            task = self.loop.create_task(
                App.send_response(cycle.send, response, head=head, receive=cycle.receive)
            )
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

        def _cycle_for(self, done: exchange.Exchange) -> RequestResponseCycle:
            """uvicorn's cycle for a request begun the short way, in its place."""
            scope = done.scope
            scope["path"] = unquote(scope["raw_path"].decode("latin-1"))
            cycle = RequestResponseCycle(
                scope=scope,
                transport=self.transport,
                flow=self.flow,
                logger=self.logger,
                access_logger=self.access_logger,
                access_log=self.access_log,
                default_headers=self.server_state.default_headers,
                message_event=asyncio.Event(),
                expect_100_continue=False,
                keep_alive=done.keep_alive,
                on_response=self.on_response_complete,
            )
            cycle.body = done.body
            if self.cycle is done:
                self.cycle = cycle
            return cycle

        def check(self, now: float) -> None:
            if self.transport.is_closing():
                return
            if self._headers_since is not None and now - self._headers_since > header_timeout:
                log.debug("closing a connection whose request headers took over %gs", header_timeout)
                self.transport.close()
                return
            cycle = self.cycle
            if (
                type(cycle) is exchange.Exchange
                and self._body_seen is not None
                and now - self._body_seen > body_idle
            ):
                # A short-way request whose body stalled: uvicorn's way answers it, as any other.
                cycle = self._cycle_for(cycle)
                self._start_asgi_task(cycle, self.app)
            if (
                self._body_seen is not None
                and now - self._body_seen > body_idle
                and cycle is not None
                and not cycle.response_complete
                and not self.flow.read_paused  # not waiting on the client, then
            ):
                self._body_seen = None
                self.scope[BODY_STALLED] = True  # type: ignore[literal-required]
                cycle.message_event.set()  # the reader wakes, sees the mark and answers

    return Protocol


class LazyWebSocket(asyncio.Protocol):
    """uvicorn's wsproto protocol, imported by the first WebSocket upgrade (only API Gateway's
    WebSocket APIs use one) rather than at start: it holds 1.6 MB an idle server never needs."""

    def __new__(cls, *args, **kwargs):
        from uvicorn.protocols.websockets.wsproto_impl import WSProtocol

        return WSProtocol(*args, **kwargs)


class StartupError(Exception):
    """Overcast cannot start (port taken, data dir in use or unreadable): said in one line."""


def configure_logging(config: Config) -> None:
    """Overcast's loggers (named after their modules, under `overcast`) write to stderr: what
    happens once (a service starting, a migration's progress, an npm install) at INFO, and
    everything at DEBUG with OVERCAST_DEBUG. Per-request lines are written separately."""
    logger = logging.getLogger("overcast")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.DEBUG if config.debug else logging.INFO)


def _print_banner(config: Config) -> None:
    from overcast import services

    if config.log_format == "json":
        return
    enabled = [name for name in sorted(services.implemented()) if config.service_enabled(name)]
    colour = config.color if config.color is not None else _is_terminal(sys.stdout)
    print(terminal.banner(config, enabled, colour), flush=True)


def serve(config: Config) -> None:
    import uvicorn

    from overcast.store.private import UMASK

    # Everything the server writes (state, S3 bodies, unpacked code, exports) is owner-only.
    os.umask(UMASK)
    try:
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        listener = socket.create_server((config.host, config.port), family=family)
        # Large responses (S3 GetObject) go out in few writes; accepted sockets inherit this.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    except OSError as error:
        if (error.errno or 0) < 0:  # getaddrinfo's codes (socket.gaierror, or re-raised as OSError)
            reason = f"the host name {config.host} does not resolve to an address of this machine"
        else:
            reason = os.strerror(error.errno) if error.errno else str(error)
        raise StartupError(f"cannot listen on {config.host}:{config.port}: {reason}") from None
    # Port 0 asks for any free port: the one the system picked is the one Overcast serves on
    # (and names to the functions and URLs it hands out).
    config.port = listener.getsockname()[1]
    configure_logging(config)
    app = App(config)
    try:
        app.start()
    except Exception as error:  # the store refused the data dir: say why, no traceback
        listener.close()
        raise StartupError(str(error)) from None
    where = "memory (ephemeral)" if config.data_dir is None else str(config.data_dir.resolve())
    print(f"Overcast listening on http://{config.host}:{config.port}  state: {where}", flush=True)
    _print_banner(config)
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    uvicorn_config = uvicorn.Config(
        app,
        loop=loop,
        ws=LazyWebSocket,
        http=http_protocol(
            tuning("OVERCAST_HEADER_TIMEOUT_SECONDS"), tuning("OVERCAST_BODY_IDLE_SECONDS"), app.direct
        ),
        lifespan="on",
        access_log=False,
        log_level="info" if config.debug else "warning",
        server_header=False,
        proxy_headers=False,  # Overcast is reached directly; X-Forwarded-For is not trusted
    )
    # uvicorn re-raises the stop signal once it has shut down; with these handlers underneath,
    # that re-raise is a no-op and a Ctrl-C or SIGTERM ends the process cleanly with status 0.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: None)

    class StoppingServer(uvicorn.Server):
        """Tells the runtime as soon as a stop signal arrives, before uvicorn waits for the
        requests in flight: long polls end then, instead of holding the stop for up to 20 s."""

        def handle_exit(self, sig, frame) -> None:
            runtime = app.runtime
            if runtime is not None and runtime.loop is not None and not runtime.loop.is_closed():
                runtime.loop.call_soon_threadsafe(runtime.stopping)
            super().handle_exit(sig, frame)

    server = StoppingServer(uvicorn_config)

    def stop_on_failure() -> None:
        server.should_exit = True

    app.on_failure = stop_on_failure
    server.run(sockets=[listener])
    if app.failure is not None:
        raise StartupError(str(app.failure))
    print("Overcast stopped", flush=True)

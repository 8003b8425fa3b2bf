"""Overcast inside a Python process: a server on a free loopback port in a thread of its own, for
the pytest plugin and `mock_aws`.

    from overcast import mock_aws

    @mock_aws
    def test_upload():
        s3 = boto3.client("s3", region_name="us-east-1")
        ...

`mock_aws` has the shape of moto's: a decorator (of functions, coroutines and classes) and a
context manager. While it is active, AWS_ENDPOINT_URL points the AWS SDKs at an in-process
Overcast (started on first use, shared by the process) with fake credentials for account
123456789012 (moto's default account); the environment is restored after. Each outermost
activation starts from empty state, as moto's does.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import functools
import inspect
import json
import socket
import threading
import time
import unittest
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from overcast.config import Config, patch_environment, restore_environment, tuning

#: The account mock_aws's credentials act as: moto's default account, so ARNs read the same.
MOCK_ACCOUNT = "123456789012"

T = TypeVar("T")


class InProcessServer:
    """Overcast on 127.0.0.1 and a free port, served by uvicorn on a thread of its own."""

    def __init__(self, data_dir=None, services: frozenset[str] = frozenset()) -> None:
        self.config = Config(host="127.0.0.1", port=0, data_dir=data_dir, services=services)
        self.config.log_requests = False
        self.config.xray_daemon = None  # the SDKs' UDP port belongs to whoever else runs
        self.endpoint = ""
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self.app: Any = None

    @property
    def port(self) -> int:
        return self.config.port

    def start(self, timeout: float = 60) -> InProcessServer:
        import uvicorn

        from overcast.server import App, http_protocol

        listener = socket.create_server(("127.0.0.1", 0))
        self.config.port = listener.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.config.port}"
        # Its log records go where the host process sends them (pytest captures them), not to
        # a handler of its own.
        app = self.app = App(self.config)
        app.start()
        config = uvicorn.Config(
            app,
            loop="asyncio",
            http=http_protocol(
                tuning("OVERCAST_HEADER_TIMEOUT_SECONDS"), tuning("OVERCAST_BODY_IDLE_SECONDS")
            ),
            lifespan="on",
            access_log=False,
            log_level="warning",
            server_header=False,
        )
        server = self._server = uvicorn.Server(config)
        thread = self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [listener]}, name="overcast", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process Overcast did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            runtime = self.app.runtime if self.app is not None else None
            if runtime is not None and runtime.loop is not None and not runtime.loop.is_closed():
                runtime.loop.call_soon_threadsafe(runtime.stopping)
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(30)
        self._server = self._thread = None

    def on_loop(self, work: Callable[[], T]) -> T:
        """Run `work()` on the server's event loop (where requests run) and wait for it."""
        runtime = self.app.runtime
        loop = runtime.loop if runtime is not None else None
        if loop is None or loop.is_closed():
            return work()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(work())
            except BaseException as error:
                future.set_exception(error)

        loop.call_soon_threadsafe(run)
        return future.result(60)

    def reset(self) -> None:
        """Forget all state, as POST /_overcast/state/reset does."""
        self.on_loop(self.app.runtime.reset)

    def requests(self, account: str = "", errors: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        """The request log's newest entries (see overcast/requestlog.py)."""
        return self.on_loop(
            lambda: self.app.runtime.requests.query(account=account, errors=errors, limit=limit)
        )


class RemoteServer:
    """An Overcast already running elsewhere (the plugin's --overcast-endpoint)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def start(self) -> RemoteServer:
        return self

    def stop(self) -> None:
        pass

    def reset(self) -> None:
        from overcast import internal_client

        internal_client.request(
            f"{self.endpoint}/_overcast/state/reset", b"{}", "POST", content_type="application/json"
        )

    def requests(self, account: str = "", errors: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        query = f"account={account}&errors={int(errors)}&limit={limit}"
        with urllib.request.urlopen(f"{self.endpoint}/_overcast/requests?{query}", timeout=10) as response:
            entries: list[dict[str, Any]] = json.loads(response.read())["requests"]
            return entries


_shared: InProcessServer | None = None
_shared_lock = threading.Lock()


def shared_server() -> InProcessServer:
    """The process's in-process Overcast, started on first use and kept until exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = InProcessServer().start()
            # Its children (Lambda environments, engines) end with the process, not after it.
            atexit.register(_shared.stop)
        return _shared


class MockAWS:
    """Point the AWS SDKs at an in-process Overcast for a block, a function or a class."""

    _active = 0
    _lock = threading.Lock()
    _saved: dict[str, str | None] = {}

    def __init__(self, region: str = "us-east-1", account: str = MOCK_ACCOUNT, reset: bool = True) -> None:
        self.region = region
        self.account = account
        self.reset_state = reset
        self.server: InProcessServer | None = None

    # -- start and stop --------------------------------------------------------------------

    def start(self) -> None:
        server = self.server = shared_server()
        cls = type(self)
        with cls._lock:
            outermost = cls._active == 0
            cls._active += 1
            if not outermost:
                return
            if self.reset_state:
                server.reset()
            cls._saved = patch_environment(
                {
                    "AWS_ENDPOINT_URL": server.endpoint,
                    "AWS_ACCESS_KEY_ID": self.account,
                    "AWS_SECRET_ACCESS_KEY": "overcast",
                    "AWS_SESSION_TOKEN": None,
                    "AWS_SECURITY_TOKEN": None,
                    "AWS_PROFILE": None,
                    "AWS_DEFAULT_PROFILE": None,
                    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": None,
                    "AWS_DEFAULT_REGION": self.region,
                }
            )

    def stop(self) -> None:
        cls = type(self)
        with cls._lock:
            if cls._active == 0:
                return
            cls._active -= 1
            if cls._active == 0:
                restore_environment(cls._saved)
                cls._saved = {}

    def __enter__(self) -> MockAWS:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- decorating ------------------------------------------------------------------------

    def __call__(self, target: Any) -> Any:
        if inspect.isclass(target):
            return self._decorate_class(target)
        return self._decorate_callable(target)

    def _fresh(self) -> MockAWS:
        return type(self)(self.region, self.account, self.reset_state)

    def _decorate_callable(self, function: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await function(*args, **kwargs)

            return run_async

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return function(*args, **kwargs)

        return run

    def _decorate_class(self, cls: type) -> type:
        """Each test method runs in a mock of its own; a unittest.TestCase's setUp and
        tearDown (or a pytest class's setup_method and teardown_method) run inside it too."""
        names = [name for name, value in vars(cls).items() if name.startswith("test") and callable(value)]
        for name in names:
            setattr(cls, name, self._decorate_callable(vars(cls)[name]))
        if issubclass(cls, unittest.TestCase) and "setUp" in vars(cls):
            set_up = vars(cls)["setUp"]
            mock = self

            @functools.wraps(set_up)
            def wrapped_set_up(test: unittest.TestCase, *args: Any, **kwargs: Any) -> Any:
                active = mock._fresh()
                active.start()
                test.addCleanup(active.stop)  # after tearDown, or after a failed setUp
                return set_up(test, *args, **kwargs)

            cls.setUp = wrapped_set_up  # type: ignore[method-assign,assignment]
        elif "setup_method" in vars(cls):
            setup_method = vars(cls)["setup_method"]
            teardown_method = vars(cls).get("teardown_method")
            mock = self

            def wrapped_setup(test: Any, method: Any = None) -> Any:
                test._overcast_mock = mock._fresh()
                test._overcast_mock.start()
                try:
                    return _call_optional(setup_method, test, method)
                except BaseException:
                    test._overcast_mock.stop()  # pytest runs no teardown after a failed setup
                    raise

            def wrapped_teardown(test: Any, method: Any = None) -> Any:
                try:
                    if teardown_method is not None:
                        return _call_optional(teardown_method, test, method)
                    return None
                finally:
                    active = getattr(test, "_overcast_mock", None)
                    if active is not None:
                        active.stop()

            cls.setup_method = wrapped_setup  # type: ignore[attr-defined]
            cls.teardown_method = wrapped_teardown  # type: ignore[attr-defined]
        return cls


def _call_optional(function: Callable[..., Any], test: Any, method: Any) -> Any:
    """setup_method(self, method) or setup_method(self): pytest passes the method when asked."""
    if function.__code__.co_argcount >= 2:
        return function(test, method)
    return function(test)


def mock_aws(
    func: Any = None, *, region: str = "us-east-1", account: str = MOCK_ACCOUNT, reset: bool = True
) -> Any:
    """`@mock_aws`, `@mock_aws()`, `with mock_aws():` — as moto's mock_aws is used."""
    mock = MockAWS(region=region, account=account, reset=reset)
    return mock(func) if func is not None else mock

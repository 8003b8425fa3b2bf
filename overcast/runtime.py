"""One running Overcast: its configuration, its store, and the service providers it has loaded."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from overcast import services
from overcast.bus import Bus
from overcast.config import Config
from overcast.store import Store

log = logging.getLogger("overcast")


class Runtime:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store.open(config.data_dir)
        self.providers: dict[str, services.base.BaseProvider] = {}
        self._lock = threading.RLock()  # a provider's start() may load another provider
        #: (service, operation) → bound handler, or None when the provider has none.
        self._handlers: dict[tuple[str, str], Callable | None] = {}
        self.bus = Bus(self)
        #: Called as check(context, params) after a request is parsed and before its handler
        #: runs; raising a ServiceError refuses the request (IAM enforcement).
        self.request_checks: list[Callable[[Any, dict], Awaitable[None] | None]] = []
        #: Called as observe(context, params, output, error) after every AWS request (output is
        #: None when it failed, error None when it succeeded). Must be quick: defer real work.
        self.observers: list[Callable[[Any, dict | None, dict | None, Exception | None], None]] = []
        #: Each maps an access key id to its secret key, or None if it does not know the key
        #: (IAM and STS add theirs). Signature checks use runtime.secret_for().
        self.secret_lookups: list[Callable[[str], str | None]] = []
        #: Called (on the loop) when the server begins to stop, before it waits for requests in
        #: flight: end long waits (SQS long polls) so that stopping does not wait for them.
        self.stop_hooks: list[Callable[[], None]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future] = set()
        self._pending: list[tuple[Coroutine, str]] = []

    def provider(self, service: str):
        provider = self.providers.get(service)
        if provider is None:
            with self._lock:
                provider = self.providers.get(service)
                if provider is None:
                    provider = services.provider_class(service)(self)
                    self.providers[service] = provider
                    provider.start()
                    log.info("service %s started", service)
        return provider

    def secret_for(self, access_key_id: str) -> str | None:
        """The secret key behind an access key id, where Overcast knows it: keys IAM or STS
        issued, and the conventional local credentials test/test. None means unknown, so a
        signature made with that key cannot be checked."""
        for lookup in self.secret_lookups:
            secret = lookup(access_key_id)
            if secret is not None:
                return secret
        return "test" if access_key_id == "test" else None

    # -- background work ---------------------------------------------------------------------

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run background work on `loop` (the server's), and start the services that have work
        to resume: those with state in the store, those that always run (AUTOSTART), and the
        owners of pending deliveries (whose schedules resume)."""
        self.loop = loop
        pending, self._pending = self._pending, []
        for coroutine, name in pending:
            self.spawn(coroutine, name)
        wanted = (self.store.services_with_state() | services.AUTOSTART) & services.implemented()
        for service in sorted(wanted):
            if self.config.service_enabled(service):
                self.provider(service)
        self.bus.resume()  # deliveries a previous run left pending, with their owners started
        if self.config.enforce_iam:
            # IAM's request check authorizes every request from the first one, whichever
            # services are enabled.
            self.provider("iam")

    def spawn(self, coroutine: Coroutine, name: str = "") -> None:
        """Run a coroutine in the background on the server's loop, from any thread. Its
        exception, if any, is logged; close() cancels what is still running."""
        loop = self.loop
        if loop is None or loop.is_closed():
            self._pending.append((coroutine, name))  # started once a loop is attached
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task = loop.create_task(coroutine, name=name or None)
        else:
            task = asyncio.run_coroutine_threadsafe(coroutine, loop)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    def every(self, seconds: float, work: Callable[[], Any], name: str = "") -> None:
        """Call `work()` (sync or async) every `seconds`, until close(). A failing call is
        logged and the next one still runs."""

        async def repeat() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    result = work()
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("periodic %s failed", name or work)

        self.spawn(repeat(), name or getattr(work, "__qualname__", "periodic"))

    def handler(self, service: str, operation: str) -> Callable | None:
        key = (service, operation)
        try:
            return self._handlers[key]
        except KeyError:
            pass
        handler = None
        if service in services.implemented() and self.config.service_enabled(service):
            from botocore import xform_name

            handler = getattr(self.provider(service), xform_name(operation), None)
        self._handlers[key] = handler
        return handler

    def service_states(self) -> dict[str, str]:
        """Every implemented service: running (loaded), available (loads on first request) or
        disabled (left out by the SERVICES setting)."""
        states = {}
        for name in sorted(services.implemented()):
            if not self.config.service_enabled(name):
                states[name] = "disabled"
            elif name in self.providers:
                states[name] = "running"
            else:
                states[name] = "available"
        return states

    def reset(self) -> None:
        """Forget all state: every provider's runtime state, then the store."""
        for provider in list(self.providers.values()):
            provider.reset()
        self.store.reset()

    def stopping(self) -> None:
        for hook in list(self.stop_hooks):
            try:
                hook()
            except Exception:
                log.exception("stop hook %r failed", hook)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for coroutine, _ in self._pending:
            coroutine.close()
        self._pending.clear()
        for provider in list(self.providers.values()):
            try:
                provider.close()
            except Exception:  # one service failing to stop must not keep the others running
                log.exception("stopping %s failed", provider.service)
        self.store.close()

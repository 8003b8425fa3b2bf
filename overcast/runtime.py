"""One running Overcast: its configuration, its store, and the service providers it has loaded."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from overcast import services
from overcast.config import Config
from overcast.store import Store

log = logging.getLogger("overcast")


class Runtime:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store.open(config.data_dir)
        self.providers: dict[str, services.base.BaseProvider] = {}
        self._lock = threading.Lock()
        #: (service, operation) → bound handler, or None when the provider has none.
        self._handlers: dict[tuple[str, str], Callable | None] = {}

    def provider(self, service: str):
        provider = self.providers.get(service)
        if provider is None:
            with self._lock:
                provider = self.providers.get(service)
                if provider is None:
                    provider = services.provider_class(service)(self)
                    self.providers[service] = provider
                    log.info("service %s started", service)
        return provider

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

    def close(self) -> None:
        for provider in list(self.providers.values()):
            try:
                provider.close()
            except Exception:  # one service failing to stop must not keep the others running
                log.exception("stopping %s failed", provider.service)
        self.store.close()

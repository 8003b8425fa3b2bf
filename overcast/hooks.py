"""Which provider hooks (services/base.py) run around a request, worked out once per service.

The dispatcher must not ask every loaded provider on every request whether it has something to
do. So when a provider is loaded the runtime collects, once, the hooks that providers override:
those that apply to every request (`GlobalHooks`) and, on a service's first request, those of
that service (`ServiceHooks`). Loading another provider starts the collection over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.services.base import BaseProvider, overrides

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.errors import ServiceError
    from overcast.http import Request, Response

log = logging.getLogger(__name__)

RequestCheck = Callable[["RequestContext", dict[str, Any]], Awaitable[None] | None]
RequestObserver = Callable[
    ["RequestContext", dict[str, Any] | None, dict[str, Any] | None, Exception | None], None
]
KeyResolver = Callable[[str], dict[str, Any] | None]
FormPost = Callable[["Request", "RequestContext"], Awaitable["Response | None"]]
RefusedInput = Callable[["RequestContext", Any, dict[str, str], "ServiceError"], "ServiceError"]
#: (host pattern, service, the provider's bound method that serves the host)
HostServer = tuple[re.Pattern[str], str, Callable[..., Any]]


@dataclass(frozen=True, slots=True)
class GlobalHooks:
    """The hooks of the loaded providers that concern every request."""

    checks: tuple[RequestCheck, ...] = ()
    observers: tuple[RequestObserver, ...] = ()
    key_resolvers: tuple[KeyResolver, ...] = ()
    host_routes: tuple[HostServer, ...] = ()
    #: Like host_routes, matched against the raw path (services/base.py path_routes).
    path_routes: tuple[HostServer, ...] = ()

    @classmethod
    def collect(cls, providers: Iterable[BaseProvider]) -> GlobalHooks:
        checks: list[RequestCheck] = []
        observers: list[RequestObserver] = []
        resolvers: list[KeyResolver] = []
        routes: list[HostServer] = []
        paths: list[HostServer] = []
        for provider in providers:
            if overrides(provider, "check_any_request"):
                checks.append(provider.check_any_request)
            if overrides(provider, "observe_any_request"):
                observers.append(provider.observe_any_request)
            if overrides(provider, "resolve_key"):
                resolvers.append(provider.resolve_key)
            for route in provider.host_routes:
                routes.append((route.pattern, provider.service, getattr(provider, route.method)))
            for route in provider.path_routes:
                paths.append((route.pattern, provider.service, getattr(provider, route.method)))
        return cls(tuple(checks), tuple(observers), tuple(resolvers), tuple(routes), tuple(paths))


@dataclass(frozen=True, slots=True)
class ServiceHooks:
    """What the dispatcher calls around one service's requests."""

    #: The service's provider; None when the service is not implemented or not enabled.
    provider: BaseProvider | None
    #: Every request's checks, then the service's own.
    checks: tuple[RequestCheck, ...]
    #: The service's own observer, then every request's.
    observers: tuple[RequestObserver, ...]
    #: The provider, if it answers CORS preflights and decorates responses.
    cors: BaseProvider | None
    form_post: FormPost | None
    #: The provider's say on input the protocol layer refused (services/base.py).
    refused_input: RefusedInput | None = None

    @classmethod
    def collect(cls, provider: BaseProvider | None, every: GlobalHooks) -> ServiceHooks:
        if provider is None:
            return cls(None, every.checks, every.observers, None, None)
        own_check = (provider.check_request,) if overrides(provider, "check_request") else ()
        own_observer = (provider.after_request,) if overrides(provider, "after_request") else ()
        return cls(
            provider,
            every.checks + own_check,
            own_observer + every.observers,
            provider if overrides(provider, "cors_preflight") else None,
            provider.form_post if overrides(provider, "form_post") else None,
            provider.refused_input if overrides(provider, "refused_input") else None,
        )

    async def check(self, context: RequestContext, params: dict[str, Any]) -> None:
        """Run the checks in order; the first to raise refuses the request."""
        for check in self.checks:
            checked = check(context, params)
            if checked is not None:
                await checked

    def observe(
        self,
        context: RequestContext,
        params: dict[str, Any] | None,
        output: dict[str, Any] | None,
        error: Exception | None,
    ) -> None:
        for observe in self.observers:
            try:
                observe(context, params, output, error)
            except Exception:  # an observer's bug must not turn a served request into a 500
                log.exception("request observer %r failed", observe)

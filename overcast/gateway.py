"""Overcast's own HTTP routes: health, state reset/export/import (and the LocalStack and moto
aliases that existing tools call). Those that reveal or change state are guarded
(gatekeeper.py): no cross-site callers, and a signed admin under --enforce-iam."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from overcast import __version__, gatekeeper
from overcast.dataplanes import for_request as data_planes
from overcast.http import Request, Response
from overcast.runtime import Runtime

log = logging.getLogger(__name__)

INTERNAL_PREFIXES = ("/_overcast/", "/_localstack/", "/moto-api/")

#: What each state route needs (routes not listed, such as health, are open).
GUARDS: dict[tuple[str, str], gatekeeper.Guard] = {
    ("POST", "/_overcast/state/reset"): gatekeeper.Guard(gatekeeper.RESET, changes=True),
    ("POST", "/_localstack/state/reset"): gatekeeper.Guard(gatekeeper.RESET, changes=True),
    ("POST", "/moto-api/reset"): gatekeeper.Guard(gatekeeper.RESET, changes=True),
    ("GET", "/_overcast/state/export"): gatekeeper.Guard(gatekeeper.EXPORT, changes=False),
    ("POST", "/_overcast/state/import"): gatekeeper.Guard(gatekeeper.IMPORT, changes=True),
    ("GET", "/_overcast/requests"): gatekeeper.Guard(gatekeeper.READ_SERVICE, changes=False),
    ("GET", "/_overcast/ps"): gatekeeper.Guard(gatekeeper.READ_SERVICE, changes=False),
}
#: The dashboard's page, its assets and its API (overcast/dashboard, loaded on first use).
DASHBOARD_PATHS = ("/_overcast/ui/", "/_overcast/api/")
#: A service's internal routes that are public: SNS's signing certificate (subscribers fetch it
#: to check a message's signature) and Lambda's code downloads (GetFunction's Code.Location,
#: which carries its own expiring signature, as AWS's presigned URL does).
PUBLIC_SERVICE_ROUTES: dict[str, re.Pattern[str]] = {
    "sns": re.compile(r"SimpleNotificationService-[0-9a-f]{32}\.pem"),
    "lambda": re.compile(r"code/[0-9a-f]{64}\.zip"),
}
_READ_ONLY = gatekeeper.Guard(gatekeeper.READ_SERVICE, changes=False)
_CHANGING = gatekeeper.Guard(gatekeeper.CHANGE_SERVICE, changes=True)


def _json(status: int, payload: dict) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())


class Gateway:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.routes: dict[tuple[str, str], Callable[[Request], Response | Awaitable[Response]]] = {
            ("GET", "/_overcast/health"): self.health,
            ("GET", "/_localstack/health"): self.localstack_health,
            ("POST", "/_overcast/state/reset"): self.reset,
            ("POST", "/_localstack/state/reset"): self.reset,
            ("POST", "/moto-api/reset"): self.reset,
            ("GET", "/_overcast/state/export"): self.export_state,
            ("POST", "/_overcast/state/import"): self.import_state,
            ("GET", "/_overcast/requests"): self.recent_requests,
            ("GET", "/_overcast/ps"): self.engines,
        }
        self._dashboard: Any = None

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith(INTERNAL_PREFIXES)

    def route(self, request: Request):
        method = "GET" if request.method == "HEAD" else request.method
        key = (method, request.path.rstrip("/") or "/")
        if key[1] in ("/_overcast", "/_overcast/index.html") or request.path.startswith(DASHBOARD_PATHS):
            return self.dashboard(request)
        route = self.routes.get(key)
        guard = GUARDS.get(key) if route is not None else self.service_guard(request)
        if guard is not None:
            refusal = gatekeeper.check(self.runtime, request, guard)
            if refusal is not None:
                return refusal
        if route is None:
            response = self.service_route(request)
            if response is None:
                return _json(404, {"error": f"no internal route {request.method} {request.path}"})
            return response
        return route(request)

    @staticmethod
    def service_guard(request: Request) -> gatekeeper.Guard | None:
        """What a service's internal route needs: reading its data (GET, HEAD) or changing it."""
        if not request.path.startswith("/_overcast/"):
            return None
        service, _, subpath = request.path[len("/_overcast/") :].partition("/")
        public = PUBLIC_SERVICE_ROUTES.get(service)
        if public is not None and request.method in ("GET", "HEAD") and public.fullmatch(subpath):
            return None
        return _READ_ONLY if request.method in ("GET", "HEAD") else _CHANGING

    def service_route(self, request: Request):
        """/_overcast/<service>/<subpath>: the service's own internal routes, if it runs."""
        if not request.path.startswith("/_overcast/"):
            return None
        service, _, subpath = request.path[len("/_overcast/") :].partition("/")
        if not self.runtime.serves(service):
            return None
        return self.runtime.provider(service).internal_request(request, subpath)

    def dashboard(self, request: Request):
        if self._dashboard is None:
            from overcast.dashboard import Dashboard

            self._dashboard = Dashboard(self.runtime)
        response = self._dashboard.handle(request)
        return (
            response if response is not None else _json(404, {"error": f"no dashboard route {request.path}"})
        )

    def recent_requests(self, request: Request) -> Response:
        """The request log (`overcast logs`): ?since=SEQ&service=s3&account=...&errors=1&limit=N."""
        query = request.query

        def first(name: str) -> str:
            return (query.get(name) or [""])[0]

        since, limit = first("since"), first("limit")
        entries = self.runtime.requests.query(
            since=int(since) if since.isdigit() else 0,
            service=first("service"),
            account=first("account"),
            errors=first("errors") in ("1", "true", "yes"),
            status=first("status"),
            limit=min(int(limit), 5000) if limit.isdigit() else 200,
        )
        return _json(200, {"requests": entries, "last": self.runtime.requests.last_seq})

    def engines(self, request: Request) -> Response:
        from overcast.dashboard.api import engines

        return _json(200, {"engines": engines(self.runtime)})

    def health(self, request: Request) -> Response:
        config = self.runtime.config
        return _json(
            200,
            {
                "status": "running",
                "version": __version__,
                "data_dir": None if config.ephemeral else str(config.data_dir),
                "services": self.runtime.service_states(),
                "data_planes": data_planes(self.runtime, request),
            },
        )

    def localstack_health(self, request: Request) -> Response:
        return _json(
            200,
            {"services": self.runtime.service_states(), "edition": "community", "version": __version__},
        )

    def reset(self, request: Request) -> Response:
        self.runtime.reset()
        return _json(200, {"reset": True})

    def export_state(self, request: Request) -> Response:
        fd, path = tempfile.mkstemp(prefix="overcast-export-")
        os.close(fd)
        started = time.monotonic()
        log.info("exporting the state ...")
        try:
            self.runtime.store.export_to(path)
            body = open(path, "rb")  # streamed out by the server, which closes it
            size = os.fstat(body.fileno()).st_size
        finally:
            os.unlink(path)  # the open file lives on until the server has sent it
        log.info("exported the state: %.1f MB in %.1fs", size / 1e6, time.monotonic() - started)
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        return Response(200, headers, body)

    def import_state(self, request: Request) -> Response:
        fd, path = tempfile.mkstemp(prefix="overcast-import-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(request.body)
            log.info("importing a state of %.1f MB ...", len(request.body) / 1e6)
            started = time.monotonic()
            try:
                self.runtime.import_state(path)
                log.info("imported the state in %.1fs", time.monotonic() - started)
            except ValueError as error:
                # The file is the client's upload: its server-side temporary name means nothing to them.
                return _json(400, {"error": str(error).replace(path, "the uploaded file")})
        finally:
            os.unlink(path)
        return _json(200, {"imported": True})

"""Overcast's own HTTP routes: health, state reset/export/import (and the LocalStack and moto
aliases that existing tools call)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Awaitable, Callable

from overcast import __version__
from overcast.http import Request, Response
from overcast.runtime import Runtime

INTERNAL_PREFIXES = ("/_overcast/", "/_localstack/", "/moto-api/")


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
        }

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith(INTERNAL_PREFIXES)

    def route(self, request: Request):
        method = "GET" if request.method == "HEAD" else request.method
        route = self.routes.get((method, request.path.rstrip("/") or "/"))
        if route is None:
            response = self.service_route(request)
            if response is None:
                return _json(404, {"error": f"no internal route {request.method} {request.path}"})
            return response
        return route(request)

    def service_route(self, request: Request):
        """/_overcast/<service>/<subpath>: the service's own internal routes, if it runs."""
        if not request.path.startswith("/_overcast/"):
            return None
        service, _, subpath = request.path[len("/_overcast/") :].partition("/")
        if not self.runtime.serves(service):
            return None
        return self.runtime.provider(service).internal_request(request, subpath)

    def health(self, request: Request) -> Response:
        config = self.runtime.config
        return _json(
            200,
            {
                "status": "running",
                "version": __version__,
                "data_dir": None if config.ephemeral else str(config.data_dir),
                "services": self.runtime.service_states(),
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
        try:
            self.runtime.store.export_to(path)
            body = open(path, "rb")  # streamed out by the server, which closes it
            size = os.fstat(body.fileno()).st_size
        finally:
            os.unlink(path)  # the open file lives on until the server has sent it
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        return Response(200, headers, body)

    def import_state(self, request: Request) -> Response:
        fd, path = tempfile.mkstemp(prefix="overcast-import-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(request.body)
            try:
                self.runtime.import_state(path)
            except ValueError as error:
                # The file is the client's upload: its server-side temporary name means nothing to them.
                return _json(400, {"error": str(error).replace(path, "the uploaded file")})
        finally:
            os.unlink(path)
        return _json(200, {"imported": True})

"""Building HTTP and WebSocket APIs for the API Gateway v2 tests, and what they call: Python
functions and small HTTP servers on loopback."""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lambda = importlib.import_module("tests.integration.lambda.helpers")
unique = _lambda.unique


def function(lam, source: str, **extra) -> str:
    """A Python function's ARN, created from `source` (handler.handler)."""
    name = _lambda.create(lam, source, **extra)
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def url(endpoint: str, api_id: str, stage: str, path: str) -> str:
    """The path form of an API's URL (the machine resolves no *.localhost names)."""
    middle = "" if stage == "$default" else f"/{stage}"
    return f"{endpoint}/_aws/execute-api/{api_id}{middle}{path}"


class LocalServer:
    """An HTTP server on loopback that answers with `answer(handler)` -> (status, headers, body)
    and keeps what it received."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, bytes], tuple[int, dict, bytes]]) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                received.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                status, headers, data = answer(self, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def echo(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict, bytes]:
    """What a backend saw of the request, as JSON."""
    seen = {
        "method": handler.command,
        "path": handler.path,
        "headers": {k.lower(): v for k, v in handler.headers.items()},
        "body": body.decode(),
    }
    return 200, {"Content-Type": "application/json", "X-Backend": "yes"}, json.dumps(seen).encode()

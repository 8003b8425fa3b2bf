"""The Lambda Runtime API an execution environment's runtime talks to: one loopback listener
per environment (AWS_LAMBDA_RUNTIME_API is that listener's host:port), a minimal keep-alive
HTTP/1.1 server, and the four routes of the API:

    GET  /2018-06-01/runtime/invocation/next            (long-polls for the next event)
    POST /2018-06-01/runtime/invocation/{id}/response
    POST /2018-06-01/runtime/invocation/{id}/error
    POST /2018-06-01/runtime/init/error
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from overcast.common import jsontext

if TYPE_CHECKING:
    from .environment import Environment

_PREFIX = "/2018-06-01/runtime/"
_MAX_BODY = 16 << 20
_ACCEPTED = b'{"status":"OK"}'


def _response(status: int, reason: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    if headers:
        head.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _error(status: int, error_type: str, message: str) -> bytes:
    body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
    return _response(status, "Error", body)


async def serve(environment: Environment) -> asyncio.Server:
    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, _, rest = lines[0].partition(" ")
                path = rest.partition(" ")[0]
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length > _MAX_BODY:
                    writer.write(_error(413, "RequestEntityTooLarge", "body too large"))
                    return
                body = await reader.readexactly(length) if length else b""
                writer.write(await _route(environment, method, path, headers, body))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the environment was killed, or Overcast is stopping
        finally:
            writer.close()

    return await asyncio.start_server(connection, "127.0.0.1", 0, limit=1 << 16)


async def _route(env: Environment, method: str, path: str, headers: dict, body: bytes) -> bytes:
    if not path.startswith(_PREFIX):
        return _error(404, "NotFound", f"no route {path}")
    route = path[len(_PREFIX) :]
    if route == "invocation/next" and method == "GET":
        invocation = await env.next_invocation()
        out = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.invoked_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
        }
        if invocation.client_context:
            out["Lambda-Runtime-Client-Context"] = invocation.client_context
        return _response(200, "OK", invocation.payload, out)
    if method != "POST":
        return _error(405, "MethodNotAllowed", f"{method} {path}")
    if route == "init/error":
        env.init_error(_error_body(body, headers))
        return _response(202, "Accepted", _ACCEPTED)
    if route.startswith("invocation/"):
        request_id, _, outcome = route[len("invocation/") :].partition("/")
        if outcome == "response":
            accepted = env.complete(request_id, body, None)
        elif outcome == "error":
            accepted = env.complete(request_id, None, _error_body(body, headers))
        else:
            return _error(404, "NotFound", f"no route {path}")
        if not accepted:
            return _error(400, "InvalidRequestID", f"unknown or finished request {request_id}")
        return _response(202, "Accepted", _ACCEPTED)
    return _error(404, "NotFound", f"no route {path}")


def _error_body(body: bytes, headers: dict) -> dict:
    """The error a runtime reported, in the shape Invoke returns it."""
    try:
        report = jsontext.loads(body, jsontext.MAX_PAYLOAD_DEPTH) if body else {}
    except ValueError:
        report = {}
    if not isinstance(report, dict):
        report = {"errorMessage": str(report)}
    error_type = report.get("errorType") or headers.get("lambda-runtime-function-error-type") or "Unhandled"
    shaped = {"errorMessage": report.get("errorMessage", ""), "errorType": error_type}
    if "requestId" in report:
        shaped["requestId"] = report["requestId"]
    if "stackTrace" in report:
        shaped["stackTrace"] = report["stackTrace"]
    elif "trace" in report:
        shaped["trace"] = report["trace"]
    return shaped

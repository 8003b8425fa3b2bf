"""What `overcast start` writes to its terminal: a short table once it listens, then one line per
request (coloured by status on a terminal, plain otherwise, or JSON for machines)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overcast.config import Config

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
#: The colour of a status, by its hundreds: successes green, redirects cyan, client errors
#: yellow, server errors red.
_COLOURS = {2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m"}

#: The URL forms of the data planes answering on the port (DESIGN §7): host form, path form.
ENDPOINT_FORMS = (
    (
        "API Gateway",
        "{id}.execute-api.localhost.localstack.cloud:{port}/{stage}/",
        "/_aws/execute-api/{id}/{stage}/",
    ),
    ("S3 website", "{bucket}.s3-website.localhost.localstack.cloud:{port}/", "/_aws/s3-website/{bucket}/"),
    (
        "Lambda URL",
        "{url-id}.lambda-url.{region}.localhost.localstack.cloud:{port}/",
        "/_aws/lambda-url/{url-id}/",
    ),
    ("Load balancer", "{name}-{id}.{region}.elb.localhost.localstack.cloud:{port}/", "/_aws/elb/{name}/"),
)


def request_line(
    label: str,
    status: int,
    ms: float,
    account: str,
    error: BaseException | None,
    colour: bool,
) -> str:
    """`s3.PutObject 200 1.3ms`, with the account when it is not the default and the error's
    code and message on a failure."""
    text = f"{label} {status} {ms:.1f}ms"
    if account and account != "000000000000":
        text += f" {account}"
    if error is not None:
        code = getattr(error, "code", "") or type(error).__name__
        message = getattr(error, "message", "") or str(error)
        text += f" {code}: {message}" if message else f" {code}"
    if colour:
        return f"{_COLOURS.get(status // 100, '')}{text}{_RESET}\n"
    return text + "\n"


def json_line(
    service: str,
    operation: str,
    status: int,
    ms: float,
    account: str,
    region: str,
    error: BaseException | None,
    request_id: str,
) -> str:
    record = {
        "time": round(time.time(), 3),
        "service": service,
        "operation": operation,
        "status": status,
        "ms": round(ms, 2),
        "account": account,
        "region": region,
        "request_id": request_id,
    }
    if error is not None:
        record["error_code"] = getattr(error, "code", "") or type(error).__name__
        record["error_message"] = getattr(error, "message", "") or str(error)
    return json.dumps(record) + "\n"


def banner(config: Config, services: list[str], colour: bool) -> str:
    """The table `overcast start` prints once it listens."""
    host = "localhost" if config.host in ("0.0.0.0", "::", "127.0.0.1") else config.host
    base = f"http://{host}:{config.port}"
    dim, reset = (_DIM, _RESET) if colour else ("", "")
    lines = [
        f"  Dashboard      {base}/_overcast/",
        f"  AWS endpoint   {base}  (any region; credentials pick the account)",
    ]
    for name, host_form, path_form in ENDPOINT_FORMS:
        lines.append(f"  {name:<14} http://{host_form.replace('{port}', str(config.port))}")
        lines.append(f"  {'':<14} {dim}{base}{path_form}{reset}")
    lines.append("  Services       " + _wrapped(services, 17, 100))
    return "\n".join(lines) + "\n"


def _wrapped(words: list[str], indent: int, width: int) -> str:
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and indent + len(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return ("\n" + " " * indent).join(lines)


def progress(what: str, done: int, total: int | None = None) -> str:
    """One progress line: `migrating s3: 2000/5000 rows (40%)`."""
    if total:
        return f"{what}: {done}/{total} ({done * 100 // total}%)"
    return f"{what}: {done}"

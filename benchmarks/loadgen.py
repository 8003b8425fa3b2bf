"""Drives a load generator (wrk, or pyload.py where wrk is missing) for a fixed time and
returns what it measured. Both run as child processes pinned to their own CPU and report
through one `BENCH_RESULT {json}` line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scenarios import HttpRequest

HERE = Path(__file__).resolve().parent
RESULT_MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    #: Answers with status >= 400: a run with any is measuring the error path.
    http_errors: int
    #: Connect/read/write failures and timeouts.
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def pin_to(cpu: int | None) -> Callable[[], None] | None:
    """A preexec_fn that pins the child (and whatever it starts) to one CPU."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def generator_name(prefer_python: bool) -> str:
    return "python" if prefer_python or shutil.which("wrk") is None else "wrk"


def measure(
    generator: str,
    requests: list[HttpRequest],
    host: str,
    port: int,
    duration: float,
    connections: int,
    cpu: int | None,
) -> Measurement:
    with tempfile.TemporaryDirectory(prefix="overcast-bench-") as scratch:
        workdir = Path(scratch)
        if generator == "wrk":
            command = _wrk_command(requests, host, port, duration, connections, workdir)
        else:
            command = _pyload_command(requests, host, port, duration, connections, workdir)
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=duration + 30,
            preexec_fn=pin_to(cpu),
        )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            raw = json.loads(line[len(RESULT_MARKER) :])
            return Measurement(
                requests=int(raw["requests"]),
                seconds=raw["duration_us"] / 1e6,
                p50_ms=raw["p50_us"] / 1e3,
                p99_ms=raw["p99_us"] / 1e3,
                http_errors=int(raw["http_errors"]),
                socket_errors=int(raw["socket_errors"]),
            )
    raise RuntimeError(
        f"{generator} gave no result (exit {completed.returncode}):\n"
        f"{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
    )


# --- wrk -------------------------------------------------------------------------------

# wrk formats the request itself (adding Host and Content-Length). Bodies are read from
# files so a 1 MiB body does not become a 4 MiB Lua literal.
_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, '
    .. '"http_errors": %d, "socket_errors": %d}\\n',
    "BENCH_RESULT ", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def lua_string(value: bytes) -> str:
    """A Lua string literal for any bytes (decimal escapes for all but plain ASCII)."""
    out = []
    for byte in value:
        char = chr(byte)
        if char in '\\"' or not 0x20 <= byte < 0x7F:
            out.append(f"\\{byte:03d}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _lua_request(request: HttpRequest, body_file: Path) -> str:
    headers = ", ".join(
        f"[{lua_string(name.encode())}] = {lua_string(value.encode('latin-1'))}"
        for name, value in request.headers
    )
    return (
        f"wrk.format({lua_string(request.method.encode())}, "
        f"{lua_string(request.path.encode('latin-1'))}, {{{headers}}}, "
        f"slurp({lua_string(str(body_file).encode())}))"
    )


def wrk_script(requests: list[HttpRequest], workdir: Path) -> str:
    lines = [
        "local function slurp(path)",
        '  local f = assert(io.open(path, "rb"))',
        '  local s = f:read("*a")',
        "  f:close()",
        '  if s == "" then return nil end',
        "  return s",
        "end",
    ]
    bodies = []
    for index, request in enumerate(requests):
        body_file = workdir / f"body{index}"
        body_file.write_bytes(request.body)
        bodies.append(body_file)
    if len(requests) == 1:
        # No request() function: wrk formats the request once and sends the same bytes.
        (request,) = requests
        lines += [
            f"wrk.method = {lua_string(request.method.encode())}",
            f"wrk.path = {lua_string(request.path.encode('latin-1'))}",
            f"wrk.body = slurp({lua_string(str(bodies[0]).encode())})",
        ]
        lines += [
            f"wrk.headers[{lua_string(name.encode())}] = {lua_string(value.encode('latin-1'))}"
            for name, value in request.headers
        ]
    else:
        lines += ["local requests = {}", "local next_index = 0", "init = function(args)"]
        lines += [
            f"  requests[{n + 1}] = {_lua_request(request, bodies[n])}" for n, request in enumerate(requests)
        ]
        lines += [
            "  next_index = 0",
            "end",
            "request = function()",
            "  next_index = next_index % #requests + 1",
            "  return requests[next_index]",
            "end",
        ]
    return "\n".join(lines) + "\n" + _WRK_DONE


def _wrk_command(
    requests: list[HttpRequest],
    host: str,
    port: int,
    duration: float,
    connections: int,
    workdir: Path,
) -> list[str]:
    script = workdir / "scenario.lua"
    script.write_text(wrk_script(requests, workdir))
    return [
        "wrk",
        "--threads", "1",  # one client core
        "--connections", str(connections),
        "--duration", f"{max(1, round(duration))}s",
        "--timeout", "5s",
        "--script", str(script),
        f"http://{host}:{port}/",
    ]  # fmt: skip


# --- Python fallback -------------------------------------------------------------------


def raw_request(request: HttpRequest, host: str, port: int) -> bytes:
    names = {name.lower() for name, _ in request.headers}
    lines = [f"{request.method} {request.path} HTTP/1.1"]
    if "host" not in names:
        lines.append(f"Host: {host}:{port}")
    lines += [f"{name}: {value}" for name, value in request.headers]
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(request.body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + request.body


def _pyload_command(
    requests: list[HttpRequest],
    host: str,
    port: int,
    duration: float,
    connections: int,
    workdir: Path,
) -> list[str]:
    files = []
    for index, request in enumerate(requests):
        suffix = ".head" if request.method == "HEAD" else ".req"
        path = workdir / f"request{index}{suffix}"
        path.write_bytes(raw_request(request, host, port))
        files.append(str(path))
    return [
        sys.executable, str(HERE / "pyload.py"), host, str(port), str(duration), str(connections),
        *files,
    ]  # fmt: skip

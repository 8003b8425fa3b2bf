"""Overcast's requests/s and latency next to the ceiling measured in the same run.

    .venv/bin/python benchmarks/run.py [scenario ...] [--duration S] [--connections N]

Starts the reference server (benchmarks/reference_server.py) and Overcast, both pinned to
one CPU, and a load generator pinned to another; for each scenario alternates runs
(reference, overcast, reference, overcast, ...) and prints the medians and the ratio
overcast/reference of requests/s. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import scenarios
from loadgen import Measurement, generator_name, measure, pin_to

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
HEALTH_PATH = "/_overcast/health"
OVERCAST_CMD = "{python} -m overcast start --ephemeral --port {port} --host {host}"
# --durable: state in a fresh data dir ({data_dir}, removed afterwards), as a user runs it.
DURABLE_CMD = "{python} -m overcast start --data-dir {data_dir} --port {port} --host {host}"
REFERENCE_CMD = "{python} " + shlex.quote(str(HERE / "reference_server.py")) + " --port {port} --host {host}"
WARMUP_SECONDS = 1.0


@dataclass
class Server:
    label: str
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def log_tail(self) -> str:
        # Read through a fresh handle: seeking the shared one would move the child's offset.
        return Path(self.log.name).read_bytes()[-3000:].decode("utf-8", "replace")


@dataclass
class Summary:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    http_errors: int
    socket_errors: int
    #: The server process's CPU time per request (every thread's), in microseconds: on a
    #: machine others load too, requests/s swing with the neighbours, this far less.
    cpu_us: float | None = None


@dataclass
class ScenarioResult:
    scenario: str
    reference: Summary
    overcast: Summary
    #: Median over rounds of overcast req/s / the reference req/s of the same round.
    ratio: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def answers_health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{HEALTH_PATH}", timeout=1) as reply:
            return bool(reply.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@contextmanager
def running_server(label: str, template: str, cpu: int | None, timeout: float) -> Iterator[Server]:
    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix=f"overcast-bench-{label}-data-") as data_dir,
        tempfile.NamedTemporaryFile(prefix=f"overcast-bench-{label}-", suffix=".log") as log,
    ):
        command = shlex.split(
            template.format(python=sys.executable, port=port, host=HOST, data_dir=shlex.quote(data_dir))
        )
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=pin_to(cpu),
            # Run from the repository root so `-m overcast` finds the working copy.
            cwd=HERE.parent,
        )
        server = Server(label, port, process, log)
        try:
            deadline = time.monotonic() + timeout
            while not answers_health(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"{label} did not answer {HEALTH_PATH} on port {port} "
                        f"(command: {shlex.join(command)}):\n{server.log_tail()}"
                    )
                time.sleep(0.05)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def preflight(server: Server, requests: list[scenarios.HttpRequest]) -> list[str]:
    """Sends each request once; describes every answer that is not a success, so a
    benchmark of the error path says why it is one."""
    problems = []
    for number, request in enumerate(requests, 1):
        connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
        try:
            connection.request(request.method, request.path, request.body, dict(request.headers))
            reply = connection.getresponse()
            body = reply.read()
            if reply.status >= 400:
                snippet = body[:300].decode("utf-8", "replace").replace("\n", " ")
                problems.append(f"request {number} -> {reply.status}: {snippet}")
        except OSError as error:
            problems.append(f"request {number} -> {error!r}")
        finally:
            connection.close()
    return problems


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, all its threads (None where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summarize(label: str, runs: list[Measurement], cpu_us: list[float]) -> Summary:
    return Summary(
        label=label,
        rps=statistics.median(run.rps for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        http_errors=sum(run.http_errors for run in runs),
        socket_errors=sum(run.socket_errors for run in runs),
        cpu_us=statistics.median(cpu_us) if cpu_us else None,
    )


def bench_scenario(
    scenario: scenarios.Scenario,
    reference: Server,
    overcast: Server,
    args: argparse.Namespace,
    generator: str,
) -> ScenarioResult:
    if scenario.setup is not None and not args.no_setup:
        scenario.setup(scenarios.client_factory(f"http://{HOST}:{overcast.port}"))
    runs: dict[str, list[Measurement]] = {reference.label: [], overcast.label: []}
    cpu: dict[str, list[float]] = {reference.label: [], overcast.label: []}
    requests = {
        server.label: scenarios.build_requests(scenario, f"http://{HOST}:{server.port}")
        for server in (reference, overcast)
    }

    def one_run(server: Server, duration: float) -> tuple[Measurement, float | None]:
        before = cpu_seconds(server.process.pid)
        result = measure(
            generator, requests[server.label], HOST, server.port, duration,
            args.connections, args.client_cpu,
        )  # fmt: skip
        after = cpu_seconds(server.process.pid)
        if server.process.poll() is not None:
            raise SystemExit(f"{server.label} exited during {scenario.name}:\n{server.log_tail()}")
        if before is None or after is None or not result.requests:
            return result, None
        return result, (after - before) / result.requests * 1e6

    for server in (reference, overcast):
        for problem in preflight(server, requests[server.label]):
            print(f"  {scenario.name} {server.label}: {problem}", file=sys.stderr, flush=True)
        one_run(server, WARMUP_SECONDS)
    for round_number in range(1, args.rounds + 1):
        for server in (reference, overcast):
            result, used = one_run(server, args.duration)
            runs[server.label].append(result)
            if used is not None:
                cpu[server.label].append(used)
            print(
                f"  {scenario.name} round {round_number} {server.label:>9}: "
                f"{result.rps:9.0f} req/s  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
                + ("" if used is None else f"  cpu {used:6.1f} us/req")
                + (f"  errors {result.http_errors}+{result.socket_errors}"
                   if result.http_errors or result.socket_errors else ""),
                file=sys.stderr,
                flush=True,
            )  # fmt: skip
    # Pairing each overcast run with the reference run just before it cancels slow drift
    # in the machine's speed better than dividing the two medians would.
    ratios = [
        oc.rps / ref.rps if ref.rps else 0.0
        for ref, oc in zip(runs[reference.label], runs[overcast.label], strict=False)
    ]
    return ScenarioResult(
        scenario=scenario.name,
        reference=summarize(reference.label, runs[reference.label], cpu[reference.label]),
        overcast=summarize(overcast.label, runs[overcast.label], cpu[overcast.label]),
        ratio=statistics.median(ratios),
    )


def print_table(rows: list[ScenarioResult]) -> None:
    header = (
        f"{'scenario':<28} {'ref req/s':>10} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'overcast req/s':>15} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}"
        f" {'cpu us/req ref':>15} {'overcast':>9} {'cpu ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ref, oc = row.reference, row.overcast
        print(
            f"{row.scenario:<28} {ref.rps:>10.0f} {ref.p50_ms:>7.2f} {ref.p99_ms:>7.2f}"
            f" {oc.rps:>15.0f} {oc.p50_ms:>7.2f} {oc.p99_ms:>7.2f} {row.ratio:>6.2f}"
            + (
                f" {ref.cpu_us:>15.1f} {oc.cpu_us:>9.1f} {ref.cpu_us / oc.cpu_us:>9.2f}"
                if ref.cpu_us and oc.cpu_us
                else ""
            )
        )
    for row in rows:
        for summary in (row.reference, row.overcast):
            if summary.http_errors or summary.socket_errors:
                print(
                    f"WARNING {row.scenario} {summary.label}: {summary.http_errors} answers >= 400, "
                    f"{summary.socket_errors} socket errors/timeouts; its figures measure failures"
                )


def choose_cpus(args: argparse.Namespace) -> str:
    available = sorted(os.sched_getaffinity(0))
    if args.no_pin or len(available) < 2:
        args.server_cpu = args.client_cpu = None
        return f"not pinned ({len(available)} CPU(s) available)"
    for cpu in (args.server_cpu, args.client_cpu):
        if cpu not in available:
            raise SystemExit(f"CPU {cpu} is not available (available: {available})")
    return f"servers on CPU {args.server_cpu}, load generator on CPU {args.client_cpu}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    known = scenarios.by_name()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="*", help=f"scenarios to run (default all): {', '.join(known)}")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--rounds", type=int, default=3, help="runs per server per scenario")
    parser.add_argument(
        "--overcast-cmd",
        default=OVERCAST_CMD,
        help="server under test; {python}, {port}, {host} and {data_dir} (a fresh temporary folder)"
        f" are filled in (default: {OVERCAST_CMD!r})",
    )
    parser.add_argument(
        "--durable",
        action="store_true",
        help=f"Overcast keeps its state in a fresh data dir, not in memory ({DURABLE_CMD!r})",
    )
    parser.add_argument("--reference-cmd", default=REFERENCE_CMD, help=argparse.SUPPRESS)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    parser.add_argument(
        "--python-generator", action="store_true", help="use the Python generator even if wrk exists"
    )
    parser.add_argument(
        "--no-setup", action="store_true", help="skip scenario setup (server under test is not Overcast)"
    )
    parser.add_argument("--startup-timeout", type=float, default=60.0)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.durable:
        if args.overcast_cmd != OVERCAST_CMD:
            parser.error("--durable starts Overcast itself: leave out --overcast-cmd")
        args.overcast_cmd = DURABLE_CMD
    unknown = [name for name in args.scenario if name not in known]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if args.duration <= 0 or args.rounds < 1 or args.connections < 1:
        parser.error("--duration, --rounds and --connections must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    selected = [scenarios.by_name()[name] for name in args.scenario] or list(scenarios.SCENARIOS)
    pinning = choose_cpus(args)
    generator = generator_name(args.python_generator)
    print(
        f"load generator: {generator}"
        + ("" if generator == "wrk" else " (Python; may saturate before the server does)")
        + f"; {args.connections} connections, {args.duration:g} s x {args.rounds} rounds each;"
        f" {pinning}; {platform.python_implementation()} {platform.python_version()}",
        flush=True,
    )
    print(f"server under test: {args.overcast_cmd}", flush=True)
    rows: list[ScenarioResult] = []
    with ExitStack() as stack:
        reference = stack.enter_context(
            running_server("reference", args.reference_cmd, args.server_cpu, args.startup_timeout)
        )
        overcast = stack.enter_context(
            running_server("overcast", args.overcast_cmd, args.server_cpu, args.startup_timeout)
        )
        for scenario in selected:
            rows.append(bench_scenario(scenario, reference, overcast, args, generator))
    print()
    print_table(rows)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "generator": generator,
                    "connections": args.connections,
                    "duration": args.duration,
                    "rounds": args.rounds,
                    "overcast_cmd": args.overcast_cmd,
                    "results": [asdict(row) for row in rows],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

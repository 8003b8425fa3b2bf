"""`overcast start | status | state export FILE | state import FILE`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from overcast import __version__, internal_client
from overcast.config import check_tunings, from_environment


def _endpoint(args) -> str:
    return args.endpoint.rstrip("/")


def _request(url: str, data: bytes | None = None, method: str = "GET", timeout: float = 300) -> bytes:
    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _write_private(path: Path, data: bytes) -> None:
    """Write an export readable by its owner only: it holds every secret key of the state."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(data)


def cmd_start(args) -> int:
    problems = check_tunings()
    if problems:
        for problem in problems:
            print(f"overcast: {problem}", file=sys.stderr)
        return 2
    config = from_environment()
    if args.host:
        config.host = args.host
    if args.port:
        config.port = args.port
    if args.data_dir:
        config.data_dir = Path(args.data_dir)
    if args.ephemeral:
        config.data_dir = None
    if args.services is not None:
        from overcast.config import parse_services

        config.services = parse_services(args.services)
    if args.quiet:
        config.log_requests = False
    if args.enforce_iam:
        config.enforce_iam = True
    from overcast.server import StartupError, serve

    try:
        serve(config)
    except StartupError as error:
        print(f"overcast: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_status(args) -> int:
    try:
        health = json.loads(_request(f"{_endpoint(args)}/_overcast/health", timeout=5))
    except (urllib.error.URLError, OSError) as error:
        print(f"Overcast is not answering at {_endpoint(args)}: {error}", file=sys.stderr)
        return 1
    print(
        f"Overcast {health['version']} at {_endpoint(args)}, state: {health['data_dir'] or 'memory (ephemeral)'}"
    )
    services = health["services"]
    width = max((len(name) for name in services), default=7)
    print(f"{'SERVICE':<{width}}  STATE")
    for name, state in services.items():
        print(f"{name:<{width}}  {state}")
    return 0


def cmd_state(args) -> int:
    if args.data_dir:
        # Work on a data dir directly (no server running on it).
        from overcast.store import Store

        store = Store.open(Path(args.data_dir))
        try:
            if args.action == "export":
                store.export_to(args.file)
            else:
                store.import_from(args.file)
        finally:
            store.close()
        print(
            f"{args.action}ed {args.file} ({'from' if args.action == 'export' else 'into'} {args.data_dir})"
        )
        return 0
    try:
        if args.action == "export":
            # Signed when there are credentials: a server under --enforce-iam wants an admin.
            exported = internal_client.request(f"{_endpoint(args)}/_overcast/state/export")
            _write_private(Path(args.file), exported)
        else:
            body = Path(args.file).read_bytes()
            internal_client.request(f"{_endpoint(args)}/_overcast/state/import", body, "POST")
    except urllib.error.HTTPError as error:
        print(f"{args.action} failed: {error.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as error:
        print(f"{args.action} failed: {error}", file=sys.stderr)
        return 1
    print(f"{args.action}ed {args.file}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="overcast", description="A local AWS cloud on one port.")
    parser.add_argument("--version", action="version", version=f"overcast {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="run Overcast in the foreground")
    start.add_argument(
        "--host", help="address to bind (default 127.0.0.1; env OVERCAST_HOST, GATEWAY_LISTEN)"
    )
    start.add_argument("--port", type=int, help="port (default 4566; env OVERCAST_PORT, GATEWAY_LISTEN)")
    where = start.add_mutually_exclusive_group()
    where.add_argument("--data-dir", help="durable state folder (default ./.overcast; env OVERCAST_DATA_DIR)")
    where.add_argument(
        "--ephemeral",
        action="store_true",
        help="keep all state in memory (env OVERCAST_EPHEMERAL=1, PERSISTENCE=0)",
    )
    start.add_argument("--services", help="comma-separated services to enable (default all; env SERVICES)")
    start.add_argument("--quiet", action="store_true", help="no per-request log lines")
    start.add_argument(
        "--enforce-iam",
        action="store_true",
        help="authorize every request with IAM policies and verify signatures (env ENFORCE_IAM=1)",
    )
    start.set_defaults(func=cmd_start)

    endpoint_help = "a running Overcast (default http://localhost:4566)"
    status = commands.add_parser("status", help="services and their state, from a running Overcast")
    status.add_argument("--endpoint", default="http://localhost:4566", help=endpoint_help)
    status.set_defaults(func=cmd_status)

    state = commands.add_parser("state", help="export or import the whole state as one file")
    state.add_argument("action", choices=("export", "import"))
    state.add_argument("file")
    state.add_argument("--endpoint", default="http://localhost:4566", help=endpoint_help)
    state.add_argument("--data-dir", help="work on this data dir directly instead of a running server")
    state.set_defaults(func=cmd_state)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130

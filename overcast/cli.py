"""`overcast start | status | state export FILE | state import FILE | state reset | logs | ps |
completion | imds --instance ID`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from overcast import __version__
from overcast.config import (
    DEFAULT_HOST,
    ConfigError,
    check_tunings,
    from_environment,
    parse_log_format,
    parse_port,
    parse_services,
)
from overcast.faults import in_words

if TYPE_CHECKING:
    import urllib.error

#: What `overcast state --help` says about the two directions and the file.
STATE_HELP = """\
export FILE   write the whole state (every service's resources, S3 object bodies) to FILE
import FILE   replace the whole state with FILE's (everything there now is dropped)
reset         forget the whole state of a running Overcast

By default both go through the Overcast answering at --endpoint (default
http://localhost:$OVERCAST_PORT, 4566 when unset). With --data-dir they work on a stopped
Overcast's data dir directly: export refuses a folder that is not a data dir; import fills a
new or empty folder, or replaces an existing data dir's state.

FILE is a gzip-compressed tar archive (.tar.gz): overcast-export.json (format and version),
state.sqlite (the state database) and files/ (object bodies). An older Overcast refuses an
export made by a newer one; importing runs no code from the file.
"""


class CommandError(Exception):
    """What a command could not do, in one line for stderr."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors said in one line."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _endpoint(args) -> str:
    if args.endpoint:
        return args.endpoint.rstrip("/")
    config = from_environment()
    # A server bound to every address is reached on localhost; one bound to an address, there.
    host = "localhost" if config.host in ("", "0.0.0.0", "::", DEFAULT_HOST) else config.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.port}"


def _request(url: str, data: bytes | None = None, method: str = "GET", timeout: float = 300) -> bytes:
    import urllib.request  # not on `start`'s path: the server starts without it

    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _not_answering(endpoint: str, error: urllib.error.URLError | OSError) -> CommandError:
    import urllib.error

    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    said = in_words(reason) if isinstance(reason, OSError) else str(reason)
    return CommandError(f"Overcast is not answering at {endpoint}: {said}")


def _server_said(error: urllib.error.HTTPError) -> str:
    body = error.read().decode(errors="replace")
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body.strip().splitlines()[0] if body.strip() else f"HTTP {error.code}"


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
    if args.port is not None:
        config.port = parse_port(args.port, "--port")
    if args.data_dir:
        config.data_dir = Path(args.data_dir)
    if args.ephemeral:
        config.data_dir = None
    if args.state:
        config.state_url = args.state
    if args.services is not None:
        config.services = parse_services(args.services, "--services")
    if args.quiet:
        config.log_requests = False
    if args.enforce_iam:
        config.enforce_iam = True
    if args.log_format:
        config.log_format = parse_log_format(args.log_format, "--log-format")
    from overcast.server import StartupError, serve

    try:
        serve(config)
    except StartupError as error:
        print(f"overcast: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_status(args) -> int:
    import urllib.error

    endpoint = _endpoint(args)
    try:
        health = json.loads(_request(f"{endpoint}/_overcast/health", timeout=5))
    except (urllib.error.URLError, OSError) as error:
        raise _not_answering(endpoint, error) from None
    print(f"Overcast {health['version']} at {endpoint}, state: {health['data_dir'] or 'memory (ephemeral)'}")
    services = health["services"]
    width = max((len(name) for name in services), default=7)
    print(f"{'SERVICE':<{width}}  STATE")
    for name, state in services.items():
        print(f"{name:<{width}}  {state}")
    planes = health.get("data_planes") or []
    if planes:
        print("\nDATA PLANES (by Host header, then by path for clients that cannot set a Host)")
    for plane in planes:
        print(f"{plane['name']}")
        for form in [plane.get("host_form"), *plane.get("path_forms", [])]:
            if form:
                print(f"  {form}")
        if plane.get("note"):
            print(f"  ({plane['note']})")
    return 0


def _export_target(file: str) -> Path:
    target = Path(file)
    if target.is_dir():
        raise CommandError(f"cannot export to {file}: it is a folder; name the file to write")
    if not target.parent.is_dir():
        raise CommandError(f"cannot export to {file}: the folder {target.parent} does not exist")
    return target


def _import_source(file: str) -> Path:
    source = Path(file)
    if not source.exists():
        raise CommandError(f"cannot import {file}: there is no such file")
    if not source.is_file():
        raise CommandError(f"cannot import {file}: it is not a file")
    return source


def _check_data_dir(data_dir: Path, action: str) -> None:
    """A folder export reads must be a data dir; one import writes must be a data dir, new or
    empty (so a mistyped name never passes for a data dir)."""
    from overcast.store import DATABASE_FILE

    if (data_dir / DATABASE_FILE).is_file():
        return
    if action == "export":
        if not data_dir.exists():
            raise CommandError(f"cannot export from {data_dir}: there is no such folder")
        raise CommandError(
            f"cannot export from {data_dir}: it is not an Overcast data dir (it has no {DATABASE_FILE})"
        )
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise CommandError(
            f"cannot import into {data_dir}: it is not an Overcast data dir, and not an empty folder to make one in"
        )


def _state_on_data_dir(args) -> int:
    from overcast.store import Store, StoreError

    data_dir = Path(args.data_dir)
    _check_data_dir(data_dir, args.action)
    try:
        store = Store.open(data_dir)
    except StoreError as error:
        raise CommandError(
            f"{error}; stop that Overcast first, or leave out --data-dir to {args.action} through it"
            if "in use by another Overcast" in str(error)
            else str(error)
        ) from None
    try:
        if args.action == "export":
            store.export_to(_export_target(args.file))
        else:
            store.import_from(_import_source(args.file))
    except ValueError as error:
        raise CommandError(str(error)) from None
    finally:
        store.close()
    print(f"{args.action}ed {args.file} ({'from' if args.action == 'export' else 'into'} {data_dir})")
    return 0


def cmd_state(args) -> int:
    if args.action == "reset":
        return _reset_state(args)
    if args.file is None:
        raise CommandError(
            f"state {args.action} needs the FILE to {'write' if args.action == 'export' else 'read'}"
        )
    if args.data_dir:
        return _state_on_data_dir(args)
    import urllib.error

    from overcast import internal_client

    endpoint = _endpoint(args)
    started = time.monotonic()
    _progress(f"{args.action}ing the state of {endpoint} ...")
    try:
        if args.action == "export":
            target = _export_target(args.file)
            # Signed when there are credentials: a server under --enforce-iam wants an admin.
            _write_private(target, internal_client.request(f"{endpoint}/_overcast/state/export"))
        else:
            body = _import_source(args.file).read_bytes()
            internal_client.request(f"{endpoint}/_overcast/state/import", body, "POST")
    except urllib.error.HTTPError as error:
        # The server names the file it was sent "the uploaded file": the user knows it by name.
        said = _server_said(error).replace("the uploaded file", args.file)
        raise CommandError(f"{args.action} failed: {said}") from None
    except urllib.error.URLError as error:
        raise _not_answering(endpoint, error) from None
    except ConnectionError as error:
        raise _not_answering(endpoint, error) from None
    size = os.path.getsize(args.file) / 1e6
    print(f"{args.action}ed {args.file} ({size:.1f} MB in {time.monotonic() - started:.1f}s)")
    return 0


def _progress(line: str) -> None:
    """A line on a terminal's stderr saying what a long command is doing (stdout says what it
    did); nothing when stderr is a pipe, where a mistake is the one line said there."""
    if sys.stderr.isatty():
        print(line, file=sys.stderr, flush=True)


def _reset_state(args) -> int:
    """`overcast state reset`: forget every resource of a running Overcast."""
    if args.data_dir:
        raise CommandError("state reset works on a running Overcast; leave out --data-dir")
    import urllib.error

    from overcast import internal_client

    endpoint = _endpoint(args)
    try:
        internal_client.request(
            f"{endpoint}/_overcast/state/reset", b"{}", "POST", content_type="application/json"
        )
    except urllib.error.HTTPError as error:
        raise CommandError(f"reset failed: {_server_said(error)}") from None
    except (urllib.error.URLError, ConnectionError) as error:
        raise _not_answering(endpoint, error) from None
    print(f"reset the state of {endpoint}")
    return 0


def cmd_imds(args) -> int:
    from overcast.imds_proxy import serve

    if not args.instance.startswith("i-"):
        raise CommandError(f"{args.instance} is not an instance id (i-...)")
    serve(_endpoint(args), args.instance, "127.0.0.1", parse_port(args.port, "--port"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="overcast", description="A local AWS cloud on one port.")
    parser.add_argument("--version", action="version", version=f"overcast {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="run Overcast in the foreground")
    start.add_argument(
        "--host", help="address to bind (default 127.0.0.1; env OVERCAST_HOST, GATEWAY_LISTEN)"
    )
    start.add_argument(
        "--port",
        help="port (default 4566; 0 picks a free port and prints it; env OVERCAST_PORT, GATEWAY_LISTEN)",
    )
    where = start.add_mutually_exclusive_group()
    where.add_argument("--data-dir", help="durable state folder (default ./.overcast; env OVERCAST_DATA_DIR)")
    where.add_argument(
        "--ephemeral",
        action="store_true",
        help="keep all state in memory (env OVERCAST_EPHEMERAL=1, PERSISTENCE=0)",
    )
    start.add_argument(
        "--state",
        help="keep the state's rows in PostgreSQL, shared by every Overcast started with it: "
        "postgresql://user:password@host:port/database (env OVERCAST_STATE_URL)",
    )
    start.add_argument(
        "--services", help="comma-separated services to enable (default all; env OVERCAST_SERVICES, SERVICES)"
    )
    start.add_argument("--quiet", action="store_true", help="no per-request log lines")
    start.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="per-request lines: text (coloured on a terminal) or json (env OVERCAST_LOG_FORMAT)",
    )
    start.add_argument(
        "--enforce-iam",
        action="store_true",
        help="authorize every request with IAM policies and verify signatures (env ENFORCE_IAM=1)",
    )
    start.set_defaults(func=cmd_start)

    endpoint_help = "a running Overcast (default http://localhost:4566, or the port OVERCAST_PORT names)"
    status = commands.add_parser("status", help="services and their state, from a running Overcast")
    status.add_argument("--endpoint", help=endpoint_help)
    status.set_defaults(func=cmd_status)

    state = commands.add_parser(
        "state",
        help="export or import the whole state as one file",
        description="Export or import the whole state of an Overcast as one file.",
        epilog=STATE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    state.add_argument(
        "action",
        choices=("export", "import", "reset"),
        help="export: state to FILE; import: FILE to state; reset: forget all state",
    )
    state.add_argument("file", metavar="FILE", nargs="?", help="the export file (.tar.gz) to write or read")
    state.add_argument("--endpoint", help=endpoint_help)
    state.add_argument(
        "--data-dir", help="work on this stopped Overcast's data dir instead of a running server"
    )
    state.set_defaults(func=cmd_state)
    from overcast import cli_observe

    cli_observe.add_commands(commands, endpoint_help)

    imds = commands.add_parser(
        "imds", help="serve one instance's metadata service (IMDS) on a port of its own"
    )
    imds.add_argument("--instance", required=True, help="the instance id (i-...)")
    imds.add_argument("--port", default="1338", help="port (default 1338; 0 picks a free port)")
    imds.add_argument("--endpoint", help=endpoint_help)
    imds.set_defaults(func=cmd_imds)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the output was piped into a reader that stopped (`| head`)
        sys.stdout = open(os.devnull, "w")
        return 1
    except ConfigError as error:
        print(f"overcast: {error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"overcast: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        # A file or folder the command was given cannot be used (full disk, permissions).
        where = f" {error.filename}" if error.filename else ""
        print(f"overcast: cannot {args.command}{where}: {in_words(error)}", file=sys.stderr)
        return 1

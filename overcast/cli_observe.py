"""`overcast logs`, `overcast ps` and `overcast completion`: what a running Overcast is doing,
from another terminal (its request log and engines, through its own endpoints)."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
from typing import Any

from overcast import internal_client, terminal


def add_commands(commands, endpoint_help: str) -> None:
    logs = commands.add_parser(
        "logs",
        help="the requests a running Overcast answered (its in-memory request log)",
        description="The requests a running Overcast answered, oldest first: one line each, as "
        "`overcast start` prints them, with the error of each failure.",
    )
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing requests as they come")
    logs.add_argument("--service", help="only this service's requests (s3, sqs, ...)")
    logs.add_argument("--account", help="only this account's requests")
    logs.add_argument("--errors", action="store_true", help="only failed requests (status 400 and up)")
    logs.add_argument("--limit", type=int, default=100, help="at most this many past requests (default 100)")
    logs.add_argument("--json", action="store_true", help="one JSON object a line, failures with their input")
    logs.add_argument(
        "--hide-dashboard", action="store_true", help="leave out the calls the dashboard page makes itself"
    )
    logs.add_argument("--endpoint", help=endpoint_help)
    logs.set_defaults(func=cmd_logs)

    ps = commands.add_parser(
        "ps", help="the engines a running Overcast runs: Lambda environments, databases, containers"
    )
    ps.add_argument("--json", action="store_true", help="as JSON")
    ps.add_argument("--endpoint", help=endpoint_help)
    ps.set_defaults(func=cmd_ps)

    completion = commands.add_parser(
        "completion",
        help='a shell completion script: eval "$(overcast completion bash)" (or zsh)',
    )
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.set_defaults(func=cmd_completion)


def _get(url: str) -> Any:
    return json.loads(internal_client.request(url, timeout=30))


def _line(entry: dict[str, Any], colour: bool) -> str:
    error = _Said(entry["error_code"], entry["error_message"]) if entry["error_code"] else None
    stamp = time.strftime("%H:%M:%S", time.localtime(entry["time"]))
    label = f"{entry['service'] or '-'}.{entry['operation'] or '-'}"
    return f"{stamp} " + terminal.request_line(
        label, entry["status"], entry["ms"], entry["account"], error, colour
    )


class _Said(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def cmd_logs(args) -> int:
    from overcast.cli import _endpoint, _not_answering

    endpoint = _endpoint(args)
    query = {"limit": str(max(1, args.limit))}
    for name in ("service", "account"):
        if getattr(args, name):
            query[name] = getattr(args, name)
    if args.errors:
        query["errors"] = "1"
    colour = sys.stdout.isatty()
    since = 0
    first = True
    while True:
        url = f"{endpoint}/_overcast/requests?{urllib.parse.urlencode({**query, 'since': str(since)})}"
        try:
            answer = _get(url)
        except urllib.error.HTTPError as error:
            from overcast.cli import CommandError, _server_said

            raise CommandError(f"logs: {_server_said(error)}") from None
        except (urllib.error.URLError, OSError) as error:
            raise _not_answering(endpoint, error) from None
        for entry in answer["requests"]:
            if args.hide_dashboard and entry.get("dashboard"):
                continue
            if args.json:
                sys.stdout.write(json.dumps(entry) + "\n")
            else:
                sys.stdout.write(_line(entry, colour))
        sys.stdout.flush()
        if first and not args.follow:
            return 0
        first = False
        # From now on every request since the last one seen, not only the newest `limit`.
        since = max(since, answer["last"])
        query["limit"] = "1000"
        time.sleep(0.5)


def cmd_ps(args) -> int:
    from overcast.cli import CommandError, _endpoint, _not_answering, _server_said

    endpoint = _endpoint(args)
    try:
        engines = _get(f"{endpoint}/_overcast/ps")["engines"]
    except urllib.error.HTTPError as error:
        raise CommandError(f"ps: {_server_said(error)}") from None
    except (urllib.error.URLError, OSError) as error:
        raise _not_answering(endpoint, error) from None
    if args.json:
        print(json.dumps(engines, indent=2))
        return 0
    if not engines:
        print("no engines running (Lambda environments, databases and containers are listed while they run)")
        return 0
    columns = ("service", "kind", "name", "state", "pid", "account")
    rows = [
        [str(engine.get(column) if engine.get(column) is not None else "-") for column in columns]
        for engine in engines
    ]
    widths = [max(len(column), *(len(row[i]) for row in rows)) for i, column in enumerate(columns)]
    print(
        "  ".join(column.upper().ljust(width) for column, width in zip(columns, widths, strict=True)).rstrip()
    )
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_completion(args) -> int:
    from overcast.cli import build_parser

    print(completion_script(build_parser(), args.shell))
    return 0


def _commands(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Each subcommand's words: its options and the choices of its positional arguments."""
    found: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                words: list[str] = []
                for option in sub._actions:
                    words.extend(option.option_strings)
                    if not option.option_strings and option.choices:
                        words.extend(str(choice) for choice in option.choices)
                found[name] = [word for word in words if word not in ("-h",)]
    return found


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """A bash completion function for `overcast` (zsh runs it through bashcompinit)."""
    commands = _commands(parser)
    cases = "\n".join(
        f'        {name}) words="{" ".join(words)}" ;;' for name, words in sorted(commands.items())
    )
    bash = f"""_overcast() {{
    local current="${{COMP_WORDS[COMP_CWORD]}}" previous="${{COMP_WORDS[COMP_CWORD-1]}}" words
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{" ".join(sorted(commands))} --help --version" -- "$current"))
        return
    fi
    case "$previous" in
        --data-dir) COMPREPLY=($(compgen -d -- "$current")); return ;;
        --service|--services) COMPREPLY=($(compgen -W "{" ".join(_service_names())}" -- "$current")); return ;;
        --log-format) COMPREPLY=($(compgen -W "text json" -- "$current")); return ;;
    esac
    case "${{COMP_WORDS[1]}}" in
{cases}
        *) words="" ;;
    esac
    COMPREPLY=($(compgen -W "$words --help" -- "$current"))
    if [ "${{COMP_WORDS[1]}}" = state ]; then COMPREPLY+=($(compgen -f -- "$current")); fi
}}
complete -F _overcast overcast"""
    if shell == "zsh":
        return "#compdef overcast\nautoload -U +X bashcompinit && bashcompinit\n" + bash
    return bash


def _service_names() -> list[str]:
    from overcast.services import implemented

    return sorted(implemented())

"""The recent requests, in memory: what the dashboard's live log, `overcast logs` and the pytest
plugin's failure report show.

A bounded ring (the oldest entries fall out), written on the request path: appending one tuple
is all a request pays. Everything else (dicts, JSON, filters) is done when someone reads it.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections import deque
from typing import Any

#: How many requests the ring keeps.
DEFAULT_SIZE = 2000
#: How much of a failed request's input is kept (characters of its JSON).
INPUT_LIMIT = 4000

# One entry: (seq, time, service, operation, status, milliseconds, account, region,
# error code, error message, input of a failure, request id, made by the dashboard)
Entry = tuple[int, float, str, str, int, float, str, str, str, str, Any, str, bool]
FIELDS = (
    "seq",
    "time",
    "service",
    "operation",
    "status",
    "ms",
    "account",
    "region",
    "error_code",
    "error_message",
    "input",
    "request_id",
    "dashboard",
)
#: What the dashboard's own AWS calls add to their User-Agent (dashboard/api.py).
DASHBOARD_AGENT = "overcast-dashboard"


class RequestLog:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.entries: deque[Entry] = deque(maxlen=size)
        self._seq = itertools.count(1)

    def add(
        self,
        service: str,
        operation: str,
        status: int,
        ms: float,
        account: str,
        region: str,
        error: BaseException | None,
        params: Any,
        request_id: str,
        dashboard: bool = False,
    ) -> Entry:
        if error is None:
            entry = (
                next(self._seq),
                time.time(),
                service,
                operation,
                status,
                ms,
                account,
                region,
                "",
                "",
                None,
                request_id,
                dashboard,
            )
        else:
            code = getattr(error, "code", "") or type(error).__name__
            message = getattr(error, "message", "") or str(error)
            entry = (
                next(self._seq),
                time.time(),
                service,
                operation,
                status,
                ms,
                account,
                region,
                str(code),
                str(message),
                params,
                request_id,
                dashboard,
            )
        self.entries.append(entry)
        return entry

    def clear(self) -> None:
        self.entries.clear()

    def query(
        self,
        since: int = 0,
        service: str = "",
        account: str = "",
        errors: bool = False,
        status: str = "",
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """The newest `limit` entries after `since` that pass the filters, oldest first."""
        found: list[dict[str, Any]] = []
        for entry in reversed(self.entries):
            if entry[0] <= since:
                break
            if service and entry[2] != service:
                continue
            if account and entry[6] != account:
                continue
            if errors and entry[4] < 400:
                continue
            if status and not str(entry[4]).startswith(status.rstrip("x")):
                continue
            found.append(as_dict(entry))
            if len(found) >= limit:
                break
        found.reverse()
        return found

    @property
    def last_seq(self) -> int:
        return self.entries[-1][0] if self.entries else 0


def as_dict(entry: Entry) -> dict[str, Any]:
    record = dict(zip(FIELDS, entry, strict=True))
    record["ms"] = round(record["ms"], 2)
    if record["input"] is not None:
        record["input"] = printable(record["input"])
    return record


def printable(value: Any) -> Any:
    """A request's parsed input as JSON can carry it: bytes as text (or base64), streams named,
    and the whole cut at INPUT_LIMIT characters."""
    text = json.dumps(_plain(value), default=str)
    if len(text) <= INPUT_LIMIT:
        return json.loads(text)
    return {"truncated": text[:INPUT_LIMIT]}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value[:1024])
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(raw).decode()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "read"):
        return "<stream>"
    return str(value)

"""The `awslogs` log driver, emulated: a container's stdout and stderr, read from the engine as
they are written, become CloudWatch Logs events of the stream `prefix/container/task-id`.

As Docker's driver, `awslogs-multiline-pattern` (a regular expression) or
`awslogs-datetime-format` (strftime codes; it wins when both are set) says which lines begin
an event: the lines after one, up to the next, join it (a stack trace stays one event). An
event still gathering lines goes out once its container has been quiet for a second."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterable

#: How long lines gather before they are appended in one write.
BATCH_SECONDS = 0.2
#: How long a multi-line event waits for more lines once its container is quiet.
MULTILINE_QUIET_SECONDS = 1.0

_STRFTIME = {
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%m": r"\d{2}",
    "%d": r"\d{2}",
    "%e": r"[ \d]\d",
    "%H": r"\d{2}",
    "%I": r"\d{2}",
    "%M": r"\d{2}",
    "%S": r"\d{2}",
    "%L": r"\d{3}",
    "%f": r"\d{1,9}",
    "%j": r"\d{3}",
    "%b": r"[A-Za-z]{3}",
    "%a": r"[A-Za-z]{3}",
    "%B": r"[A-Za-z]+",
    "%A": r"[A-Za-z]+",
    "%p": r"[AP]M",
    "%Z": r"[A-Za-z_]+",
    "%z": r"[+-]\d{4}",
    "%%": "%",
}


def event_start(options: dict[str, str]) -> re.Pattern[str] | None:
    """The pattern a line that begins an event matches, or None: every line is an event."""
    layout = options.get("awslogs-datetime-format")
    if layout:
        parts = re.split(r"(%.)", layout)
        return re.compile("^" + "".join(_STRFTIME.get(p, re.escape(p)) for p in parts))
    pattern = options.get("awslogs-multiline-pattern")
    return re.compile("^(?:" + pattern + ")") if pattern else None


class Pump:
    """Reads one container's lines (in its own thread) and hands events to `deliver` on the
    event loop."""

    def __init__(
        self,
        lines: Iterable[bytes],
        deliver: Callable[[list[tuple[int, str]]], None],
        loop: asyncio.AbstractEventLoop | None,
        start: re.Pattern[str] | None,
    ) -> None:
        self.lines, self.deliver, self.loop, self.start = lines, deliver, loop, start
        self.lock = threading.Lock()
        self.ready: list[tuple[int, str]] = []
        self.current: tuple[int, list[str]] | None = None
        self.last_line = 0.0
        self.scheduled = False
        self.ended = False

    def run(self) -> None:
        try:
            for raw in self.lines:
                self._take(raw.decode(errors="replace"))
        finally:
            with self.lock:
                self.ended = True
            self._call(self.flush)

    def _take(self, line: str) -> None:
        stamp = int(time.time() * 1000)
        with self.lock:
            self.last_line = time.monotonic()
            if self.start is None:
                self.ready.append((stamp, line))
            elif self.current is None or self.start.match(line):
                if self.current is not None:
                    self.ready.append((self.current[0], "\n".join(self.current[1])))
                self.current = (stamp, [line])
            else:
                self.current[1].append(line)
            schedule = not self.scheduled
            self.scheduled = True
        if schedule:
            self._call(lambda: self._later(BATCH_SECONDS))

    def _call(self, work: Callable[[], None]) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(work)

    def _later(self, delay: float) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_later(delay, self.flush)

    def flush(self) -> None:
        """On the loop: deliver what is ready, and a gathering event once it is quiet."""
        with self.lock:
            quiet = self.ended or time.monotonic() - self.last_line >= MULTILINE_QUIET_SECONDS
            if self.current is not None and quiet:
                self.ready.append((self.current[0], "\n".join(self.current[1])))
                self.current = None
            events, self.ready = self.ready, []
            waiting = self.current is not None
            self.scheduled = waiting
        if events:
            self.deliver(events)
        if waiting:
            self._later(MULTILINE_QUIET_SECONDS / 2)

"""Live Tail: StartLiveTail streams the events newly written to up to ten log groups.

The answer is an event stream: one sessionStart, then every second a sessionUpdate with the
events written since the last one that match the session's stream and pattern filters
(sampled down to 500 when there were more; up to 5000 waiting for a slow reader, the oldest
dropped first). The session ends with a SessionTimeoutException after three hours
(OVERCAST_LOGS_LIVE_TAIL_SECONDS), when the client closes the connection, or with a
SessionStreamingException when the server stops. Sessions live in
memory only: a restart ends them, as a dropped connection would.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from overcast.common.arns import build_arn
from overcast.common.ids import fast_uuid
from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from .patterns import PatternError, compile_pattern

if TYPE_CHECKING:
    from .provider import Provider

#: Concurrent sessions an account may have open (AWS's quota).
MAX_SESSIONS = 15
UPDATE_SECONDS = 1.0
MAX_EVENTS_PER_UPDATE = 500
MAX_WAITING_EVENTS = 5000


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


@dataclass
class Session:
    account: str
    scope: str
    #: group name → the identifier the client gave for it
    groups: dict[str, str]
    streams: frozenset[str]
    prefixes: tuple[str, ...]
    matches: Callable[[str], bool]
    waiting: deque = field(default_factory=lambda: deque(maxlen=MAX_WAITING_EVENTS))
    #: Set when the server stops: the session ends at once rather than holding the stop.
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, stream: str) -> bool:
        if self.streams:
            return stream in self.streams
        if self.prefixes:
            return stream.startswith(self.prefixes)
        return True


class LiveTailMixin:
    @property
    def _live_tails(self) -> list[Session]:
        sessions = self.__dict__.get("_live_tail_sessions")
        if sessions is None:
            sessions = self.__dict__["_live_tail_sessions"] = []
        return sessions

    def start_live_tail(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        identifiers = params["logGroupIdentifiers"]
        streams = params.get("logStreamNames")
        prefixes = params.get("logStreamNamePrefixes")
        if streams and prefixes:
            raise _invalid("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
        if (streams or prefixes) and len(identifiers) > 1:
            raise _invalid(
                "Only one log group can be specified in logGroupIdentifiers when logStreamNames or "
                "logStreamNamePrefixes is specified."
            )
        pattern = params.get("logEventFilterPattern")
        try:
            matches = compile_pattern(pattern)
        except PatternError as error:
            raise _invalid(str(error) or "Invalid filter pattern") from None
        groups = {}
        for identifier in identifiers:
            name = identifier.split(":log-group:", 1)[1] if identifier.startswith("arn:") else identifier
            name = name.removesuffix(":*")
            if self.groups.get(scope, name) is None:
                raise ServiceError(
                    "ResourceNotFoundException", f"Log group {identifier} does not exist.", 400
                )
            groups[name] = build_arn("logs", context.region, context.account, f"log-group:{name}")
        if sum(s.account == context.account for s in self._live_tails) >= MAX_SESSIONS:
            raise ServiceError(
                "LimitExceededException",
                f"You have reached the maximum number of concurrent Live Tail sessions ({MAX_SESSIONS}).",
                400,
            )
        session = Session(
            context.account, scope, groups, frozenset(streams or ()), tuple(prefixes or ()), matches
        )
        start: dict = {
            "requestId": context.request_id,
            "sessionId": fast_uuid(),
            "logGroupIdentifiers": list(identifiers),
        }
        if streams:
            start["logStreamNames"] = list(streams)
        if prefixes:
            start["logStreamNamePrefixes"] = list(prefixes)
        if pattern is not None:
            start["logEventFilterPattern"] = pattern
        self._live_tails.append(session)
        return {"responseStream": self._tail(session, start)}

    async def _tail(self, session: Session, start: dict) -> AsyncIterator[dict]:
        """The session's events; it is registered until this ends or is closed."""
        try:
            yield {"sessionStart": start}
            loop = asyncio.get_running_loop()
            deadline = loop.time() + tuning("OVERCAST_LOGS_LIVE_TAIL_SECONDS")
            while (remaining := deadline - loop.time()) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(session.ended.wait(), min(UPDATE_SECONDS, remaining))
                if session.ended.is_set():
                    yield {"SessionStreamingException": {"message": "The server is stopping."}}
                    return
                yield {"sessionUpdate": _update(session)}
            yield {"SessionTimeoutException": {"message": "Live Tail session has timed out."}}
        finally:
            if session in self._live_tails:
                self._live_tails.remove(session)

    def stop(self) -> None:
        """The server is stopping: end every session, so that no open stream holds the stop."""
        for session in self._live_tails:
            session.ended.set()

    def publish_to_live_tails(
        self, account: str, region: str, group: str, stream: str, written: list, ingested: int
    ) -> None:
        """Hand events just written to a stream to the sessions tailing its group."""
        sessions = self._live_tails
        if not sessions:
            return
        scope = store_scope(account, region)
        for session in sessions:
            identifier = session.groups.get(group) if session.scope == scope else None
            if identifier is None or not session.wants(stream):
                continue
            for _key, stamp, message in written:
                if session.matches(message):
                    session.waiting.append(
                        {
                            "logStreamName": stream,
                            "logGroupIdentifier": identifier,
                            "message": message,
                            "timestamp": stamp,
                            "ingestionTime": ingested,
                        }
                    )


def _update(session: Session) -> dict:
    events = list(session.waiting)
    session.waiting.clear()
    sampled = len(events) > MAX_EVENTS_PER_UPDATE
    if sampled:
        kept = sorted(random.sample(range(len(events)), MAX_EVENTS_PER_UPDATE))
        events = [events[i] for i in kept]
    return {"sessionMetadata": {"sampled": sampled}, "sessionResults": events}

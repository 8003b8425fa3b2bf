"""Archives and replays. An archive keeps the events of its bus that match its pattern (all of
them without one), each in the "archived" table under "<archive> <event time in ms> <id>", so a
replay reads its window as one key range. A replay sends the window's events back to the bus's
rules (those its FilterArns name, if any) with `replay-name` set, in the background, and reports
its progress: STARTING, RUNNING, then COMPLETED (or CANCELLED)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.services.events import errors, patterns
from overcast.services.events.paging import page_items
from overcast.services.events.rules import parse_pattern
from overcast.services.events.transform import compact_json
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.events.provider import Provider

_ARCHIVE_OUT = ("ArchiveArn", "ArchiveName", "EventSourceArn", "Description", "EventPattern", "State",
                "StateReason", "KmsKeyIdentifier", "RetentionDays", "SizeBytes", "EventCount", "CreationTime")  # fmt: skip
_LIST_ARCHIVE = ("ArchiveName", "EventSourceArn", "State", "StateReason", "RetentionDays", "SizeBytes",
                 "EventCount", "CreationTime")  # fmt: skip
_REPLAY_OUT = ("ReplayName", "ReplayArn", "Description", "State", "StateReason", "EventSourceArn", "Destination",
               "EventStartTime", "EventEndTime", "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime")  # fmt: skip
_LIST_REPLAY = ("ReplayName", "EventSourceArn", "State", "StateReason", "EventStartTime", "EventEndTime",
                "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime")  # fmt: skip


def _pick(record: dict, members: tuple[str, ...]) -> dict:
    return {member: record[member] for member in members if record.get(member) is not None}


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _event_millis(event: dict) -> int:
    try:
        return int(datetime.fromisoformat(str(event.get("time")).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return int(time.time() * 1000)


def _bus_of(arn: str) -> tuple[str, str] | None:
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "events" or not parsed.resource.startswith("event-bus/"):
        return None
    return store_scope(parsed.account, parsed.region), parsed.resource[len("event-bus/") :]


class ArchivesMixin:
    # -- archives ------------------------------------------------------------------------------

    def archive(self: Provider, scope: str, name: str) -> dict:  # type: ignore[misc]
        record = self.archives.get(scope, name)
        if record is None:
            raise errors.not_found(f"Archive {name} does not exist.")
        return record

    def create_archive(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["ArchiveName"]
        bus = _bus_of(params["EventSourceArn"])
        if bus is None or self.bus_record(*bus) is None:
            raise errors.not_found(f"Event bus {params['EventSourceArn'].rpartition('/')[2]} does not exist.")
        if params.get("EventPattern"):
            parse_pattern(params["EventPattern"])
        with self.store.transaction():
            if self.archives.get(scope, name) is not None:
                raise errors.exists(f"Archive {name} already exists.")
            record = {
                "ArchiveName": name,
                "ArchiveArn": build_arn("events", context.region, context.account, f"archive/{name}"),
                "EventSourceArn": params["EventSourceArn"],
                "Description": params.get("Description"),
                "EventPattern": params.get("EventPattern"),
                "KmsKeyIdentifier": params.get("KmsKeyIdentifier"),
                "State": "ENABLED",
                "RetentionDays": params.get("RetentionDays", 0),
                "SizeBytes": 0,
                "EventCount": 0,
                "CreationTime": time.time(),
            }
            self.archives.put(scope, name, {k: v for k, v in record.items() if v is not None})
            self._archive_index.clear()
        return {
            "ArchiveArn": record["ArchiveArn"],
            "State": "ENABLED",
            "CreationTime": record["CreationTime"],
        }

    def describe_archive(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return _pick(self.archive(self.scope_of(context), params["ArchiveName"]), _ARCHIVE_OUT)

    def update_archive(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        if params.get("EventPattern"):
            parse_pattern(params["EventPattern"])
        with self.store.transaction():
            record = self.archive(scope, params["ArchiveName"])
            for member in ("Description", "EventPattern", "RetentionDays", "KmsKeyIdentifier"):
                if member in params:
                    record[member] = params[member]
            self.archives.put(scope, params["ArchiveName"], record)
            self._archive_index.clear()
        return {
            "ArchiveArn": record["ArchiveArn"],
            "State": record["State"],
            "CreationTime": record["CreationTime"],
        }

    def delete_archive(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["ArchiveName"]
        with self.store.transaction():
            self.archive(scope, name)
            self.archives.delete(scope, name)
            for key, _ in list(self.archived.scan(scope, prefix=name + " ")):
                self.archived.delete(scope, key)
            self._archive_index.clear()
        return {}

    def list_archives(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        prefix = params.get("NamePrefix") or ""
        source, state = params.get("EventSourceArn"), params.get("State")
        if source is not None:
            bus = _bus_of(source)
            if bus is None or self.bus_record(*bus) is None:
                raise errors.bus_not_found(source.rpartition("/")[2])

        def scan(after: str | None) -> Any:
            for key, record in self.archives.scan(scope, prefix=prefix, start_after=after):
                if (source is None or record["EventSourceArn"] == source) and (
                    state is None or record["State"] == state
                ):
                    yield key, record

        return page_items(
            self.store,
            "ListArchives",
            params,
            [_pick(record, _LIST_ARCHIVE) for _, record in scan(None)],
            "Archives",
            bind=f"{prefix} {source} {state}",
            limit_key="Limit",
        )

    def archive_event(self: Provider, scope: str, bus: str, event: dict) -> None:  # type: ignore[misc]
        """Keep an event in each archive of its bus whose pattern it matches."""
        index = self._archive_index
        archives = index.get(scope)
        if archives is None:
            archives = index[scope] = []
            for name, record in self.archives.scan(scope):
                node = (
                    patterns.compile_pattern(json.loads(record["EventPattern"]))
                    if record.get("EventPattern")
                    else None
                )
                archives.append((name, record["EventSourceArn"], node))
        if not archives:
            return
        account, region = scope.split("/")
        bus_arn = self.bus_arn(account, region, bus)
        text = None
        for name, source, node in archives:
            if source != bus_arn or (node is not None and not node.matches(event)):
                continue
            text = text or compact_json(event)
            self.archived.put(scope, f"{name} {_event_millis(event):015d} {event['id']}", text)
            record = self.archives.get(scope, name)
            if record is not None:
                record["EventCount"] = record.get("EventCount", 0) + 1
                record["SizeBytes"] = record.get("SizeBytes", 0) + len(text.encode())
                self.archives.put(scope, name, record)

    # -- replays -------------------------------------------------------------------------------

    def start_replay(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["ReplayName"]
        source = parse_arn(params["EventSourceArn"])
        archive_name = (
            source.resource.partition("/")[2] if source and source.resource.startswith("archive/") else ""
        )
        archive = self.archives.get(scope, archive_name) if archive_name else None
        if archive is None:
            raise errors.validation(
                f"Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist."
            )
        start, end = _epoch(params["EventStartTime"]), _epoch(params["EventEndTime"])
        if start >= end:
            raise errors.validation(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        destination = _bus_of(params["Destination"]["Arn"])
        if destination is None or self.bus_record(*destination) is None:
            raise errors.bus_not_found(params["Destination"]["Arn"].rpartition("/")[2])
        if params["Destination"]["Arn"] != archive["EventSourceArn"]:
            raise errors.validation(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
            )
        now = time.time()
        with self.store.transaction():
            if self.replays.get(scope, name) is not None:
                raise errors.exists(f"Replay {name} already exists.")
            record = {
                "ReplayName": name,
                "ReplayArn": build_arn("events", context.region, context.account, f"replay/{name}"),
                "Description": params.get("Description"),
                "State": "STARTING",
                "EventSourceArn": params["EventSourceArn"],
                "Destination": params["Destination"],
                "EventStartTime": start,
                "EventEndTime": end,
                "ReplayStartTime": now,
                "Archive": archive_name,
            }
            self.replays.put(scope, name, {k: v for k, v in record.items() if v is not None})
        self.runtime.spawn(self._replay(scope, name), name=f"events replay {name}")
        return {"ReplayArn": record["ReplayArn"], "State": "STARTING", "ReplayStartTime": now}

    async def _replay(self: Provider, scope: str, name: str) -> None:  # type: ignore[misc]
        record = self.replays.get(scope, name)
        if record is None:
            return
        record["State"] = "RUNNING"
        self.replays.put(scope, name, record)
        bus = _bus_of(record["Destination"]["Arn"])
        low = f"{record['Archive']} {int(record['EventStartTime'] * 1000):015d}"
        high = f"{record['Archive']} {int(record['EventEndTime'] * 1000):015d}"
        last = None
        for key, text in list(self.archived.scan(scope, start_after=low, end_before=high)):
            current = self.replays.get(scope, name)
            if current is None or current["State"] == "CANCELLING":
                break
            event = json.loads(text)
            if bus is not None:
                with self.store.transaction():
                    self.route(bus[0], bus[1], event, replay=record)
            last = _event_millis(event) / 1000
            await asyncio.sleep(0)
        with self.store.transaction():
            record = self.replays.get(scope, name) or record
            record["State"] = "CANCELLED" if record["State"] == "CANCELLING" else "COMPLETED"
            if last is not None:
                record["EventLastReplayedTime"] = last
            record["ReplayEndTime"] = time.time()
            self.replays.put(scope, name, record)

    def replay(self: Provider, scope: str, name: str) -> dict:  # type: ignore[misc]
        record = self.replays.get(scope, name)
        if record is None:
            raise errors.not_found(f"Replay {name} does not exist.")
        return record

    def describe_replay(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return _pick(self.replay(self.scope_of(context), params["ReplayName"]), _REPLAY_OUT)

    def cancel_replay(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            record = self.replay(scope, params["ReplayName"])
            if record["State"] not in ("STARTING", "RUNNING"):
                raise errors.illegal_status(
                    f"Replay {params['ReplayName']} is not in a valid state for this operation."
                )
            record["State"] = "CANCELLING"
            self.replays.put(scope, params["ReplayName"], record)
        return {"ReplayArn": record["ReplayArn"], "State": "CANCELLING"}

    def list_replays(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        prefix = params.get("NamePrefix") or ""
        source, state = params.get("EventSourceArn"), params.get("State")

        def scan(after: str | None) -> Any:
            for key, record in self.replays.scan(scope, prefix=prefix, start_after=after):
                if (source is None or record["EventSourceArn"] == source) and (
                    state is None or record["State"] == state
                ):
                    yield key, record

        return page_items(
            self.store,
            "ListReplays",
            params,
            [_pick(record, _LIST_REPLAY) for _, record in scan(None)],
            "Replays",
            bind=f"{prefix} {source} {state}",
            limit_key="Limit",
        )

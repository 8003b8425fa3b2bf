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

from overcast.common import jsontext
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.services.events import errors
from overcast.services.events.paging import page_items
from overcast.services.events.rules import parse_pattern, rule_key
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


ARCHIVE_RULE_PREFIX = "Events-Archive-"
#: Who AWS says manages an archive's rule.
ARCHIVE_MANAGER = "prod.vhs.events.aws.internal"


def archive_target(region: str) -> str:
    """The ARN of the target through which an archive rule keeps events (AWS's own)."""
    return f"arn:aws:events:{region}:::"


def _one_filter(operation: str, params: dict) -> None:
    if sum(1 for member in ("NamePrefix", "EventSourceArn", "State") if params.get(member)) > 1:
        raise errors.validation(
            f"At most one filter is allowed for {operation}. Use either : State, EventSourceArn, or NamePrefix."
        )


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
            self._put_archive_rule(bus[0], bus[1], record)
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
            bus = _bus_of(record["EventSourceArn"])
            if bus is not None:
                self._put_archive_rule(bus[0], bus[1], record)
        return {
            "ArchiveArn": record["ArchiveArn"],
            "State": record["State"],
            "CreationTime": record["CreationTime"],
        }

    def delete_archive(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["ArchiveName"]
        with self.store.transaction():
            record = self.archive(scope, name)
            self.archives.delete(scope, name)
            for key, _ in list(self.archived.scan(scope, prefix=name + " ")):
                self.archived.delete(scope, key)
            bus = _bus_of(record["EventSourceArn"])
            if bus is not None:
                self.rules.delete(bus[0], rule_key(bus[1], ARCHIVE_RULE_PREFIX + name))
                self.rules_changed(bus[0], bus[1])
        return {}

    def _put_archive_rule(self: Provider, scope: str, bus: str, archive: dict) -> None:  # type: ignore[misc]
        """AWS archives through a rule of its own on the bus, "Events-Archive-<name>": the
        archive's pattern, never a replayed event, and one target that keeps the event."""
        pattern = jsontext.loads(archive["EventPattern"]) if archive.get("EventPattern") else {}
        pattern["replay-name"] = [{"exists": False}]
        account, region = scope.split("/")
        name = ARCHIVE_RULE_PREFIX + archive["ArchiveName"]
        template = (
            f'{{"archive-arn": "{archive["ArchiveArn"]}", "event": <aws.events.event.json>, '
            '"ingestion-time": <aws.events.event.ingestion-time>}'
        )
        resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
        rule = {
            "Name": name,
            "Arn": build_arn("events", region, account, resource),
            "EventBusName": bus,
            "EventPattern": json.dumps(pattern, separators=(",", ":"), sort_keys=True),
            "State": "ENABLED",
            "ManagedBy": ARCHIVE_MANAGER,
            "CreatedBy": account,
            "Targets": [{
                "Id": name,
                "Arn": archive_target(region),
                "InputTransformer": {"InputPathsMap": {}, "InputTemplate": template},
            }],
            "Tags": {},
        }  # fmt: skip
        self.rules.put(scope, rule_key(bus, name), rule)
        self.rules_changed(scope, bus)

    def keep_archived(self: Provider, scope: str, text: str) -> None:  # type: ignore[misc]
        """The archive rule's target: keep the event in the archive its ARN names."""
        document = jsontext.loads(text)
        arn = parse_arn(document.get("archive-arn", ""))
        if arn is None:
            return
        archive_scope = store_scope(arn.account, arn.region)
        name = arn.resource.partition("/")[2]
        record = self.archives.get(archive_scope, name)
        if record is None:
            return
        event = document["event"]
        event_text = compact_json(event)
        self.archived.put(archive_scope, f"{name} {_event_millis(event):015d} {event['id']}", event_text)
        record["EventCount"] = record.get("EventCount", 0) + 1
        record["SizeBytes"] = record.get("SizeBytes", 0) + len(event_text.encode())
        self._expire_archived(archive_scope, record)
        self.archives.put(archive_scope, name, record)

    def _expire_archived(self: Provider, scope: str, record: dict) -> None:  # type: ignore[misc]
        """Drop the archive's events older than its RetentionDays (0 keeps them for ever): the
        oldest come first in key order, so this reads only what it removes."""
        days = record.get("RetentionDays") or 0
        if days <= 0:
            return
        name = record["ArchiveName"]
        cutoff = f"{name} {int((time.time() - days * 86400) * 1000):015d}"
        for key, text in list(self.archived.scan(scope, prefix=name + " ", end_before=cutoff)):
            self.archived.delete(scope, key)
            record["EventCount"] = max(0, record.get("EventCount", 0) - 1)
            record["SizeBytes"] = max(0, record.get("SizeBytes", 0) - len(text.encode()))

    def list_archives(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        _one_filter("ListArchives", params)
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
        if destination is None:
            raise errors.validation(
                "Parameter Destination.Arn is not valid. Reason: Must contain an event bus ARN."
            )
        if self.bus_record(*destination) is None:
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
            event = jsontext.loads(text)
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
        _one_filter("ListReplays", params)
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

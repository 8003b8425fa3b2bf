"""CloudWatch Logs: log groups, streams and events on the durable store, indexed by time, with
filter patterns, retention, tags and subscription filters (Lambda destinations).

Tables (scope = account/region):
  groups          name → group record
  streams         group SEP stream → stream record
  events          group SEP stream SEP eventkey → event   (GetLogEvents: one stream by time)
  group_events    group SEP eventkey → event with stream  (FilterLogEvents: a group by time)
  subscriptions   group SEP filter → subscription filter
An event key is the timestamp (15 digits) then a sequence number, so key order is time order.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import itertools
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from overcast.common.arns import build_arn
from overcast.common.pagination import decode_token, encode_token, paginate_keys
from overcast.common.tagging import TagProblem, TagRules, add_tags, refusals, remove_tags, tag_map
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.store import Store
from overcast.store import scope as store_scope

from .anomalies import AnomaliesMixin
from .deliveries import DeliveriesMixin
from .destinations import Destinations
from .exports import Exports
from .fields import FieldsMixin
from .groups import GroupSettings
from .imports import ImportsMixin
from .integrations import IntegrationsMixin
from .kmskeys import check_log_key
from .livetail import LiveTailMixin
from .lookuptables import LookupTablesMixin
from .metric_filters import MetricFilters
from .patterns import PatternError, compile_pattern, extracted_values
from .policies import Policies
from .queries import Queries
from .scheduledqueries import ScheduledQueriesMixin
from .syslog import SyslogMixin
from .tagged import TaggedResourcesMixin
from .transformers import Transformers

SEP = "\x01"
_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_RETENTION_DAYS = {
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
}
_DAY_MS = 86_400_000
_PATTERN_LISTING_FIELDS = frozenset(
    {"arn", "creationTime", "logGroupName", "logGroupArn", "logGroupClass", "metricFilterCount"}
)
_MAX_BATCH_SPAN = _DAY_MS
_TOO_OLD_MS = 14 * _DAY_MS
_TOO_NEW_MS = 2 * 3_600_000
_EVENT_OVERHEAD = 26
#: Appended events wait this long so that a burst is written in one transaction; any read of
#: this service writes them first, so no reader ever misses one.
_FLUSH_DELAY = 0.05
_sequence = itertools.count(int(time.time() * 1000) % 10**9 * 1000)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _event_key(timestamp: int) -> str:
    return f"{timestamp:015d}{next(_sequence):014d}"


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


#: TagLogGroup, the older API, words every tag problem as InvalidParameterException;
#: TagResource answers too many tags with TooManyTagsException.
_GROUP_TAGS = TagRules(
    refuse=refusals(
        "InvalidParameterException", {TagProblem.TOO_MANY: "A resource can have no more than 50 tags."}
    )
)
_RESOURCE_TAGS = TagRules(
    refuse=refusals(
        "InvalidParameterException",
        {TagProblem.TOO_MANY: ("TooManyTagsException", "A resource can have no more than 50 tags.")},
    )
)


def _not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def _bad_token() -> ServiceError:
    return _invalid("The specified nextToken is invalid.")


def _read_token(store: Store, operation: str, params: dict, bind: str) -> Any:
    """The position a nextToken of ours holds (None without one)."""
    if not params.get("nextToken"):
        return None
    try:
        return decode_token(store, operation, params["nextToken"], bind)
    except ValueError:
        raise _bad_token() from None


def _token(kind: str, key: str) -> str:
    return f"{kind}/{key}"


def _parse_token(token: str | None, kinds: str) -> tuple[str, str] | None:
    if token is None:
        return None
    kind, _, key = token.partition("/")
    if kind not in kinds or not key.isdigit():
        raise _invalid("The specified nextToken is invalid.")
    return kind, key


class Provider(
    GroupSettings,
    MetricFilters,
    Destinations,
    Policies,
    Queries,
    Transformers,
    Exports,
    DeliveriesMixin,
    LiveTailMixin,
    LookupTablesMixin,
    ScheduledQueriesMixin,
    SyslogMixin,
    AnomaliesMixin,
    IntegrationsMixin,
    ImportsMixin,
    FieldsMixin,
    TaggedResourcesMixin,
    BaseProvider,
):
    service = "logs"

    def start(self) -> None:
        self.groups = self.store.table("logs", "groups")
        self.streams = self.store.table("logs", "streams")
        self.events = self.store.table("logs", "events")
        self.group_events = self.store.table("logs", "group_events")
        self.subscriptions = self.store.table("logs", "subscriptions")
        self.runtime.every(60, self.expire, "logs retention")
        #: Events other services appended, written in one transaction soon after (and before
        #: any read of this service), so logging costs no write on their request path.
        self._pending: list[tuple] = []
        self._flush_scheduled = False

    # -- for other services -------------------------------------------------------------------

    def group_exists(self, account: str, region: str, name: str) -> bool:
        """Whether the account has a log group of that name in the region."""
        if self._pending:  # a group another service's append creates counts already
            self.flush()
        return self.groups.get(store_scope(account, region), name) is not None

    def events_between(
        self, account: str, region: str, patterns: list[str], start_ms: int, end_ms: int
    ) -> Iterator[tuple[str, int, str]]:
        """(group, timestamp, message) of the events of the groups `patterns` name (a name, or
        a prefix ending in "*") with start_ms <= timestamp < end_ms: CloudWatch's Contributor
        Insights rules read them."""
        if self._pending:
            self.flush()
        scope = store_scope(account, region)
        names: list[str] = []
        for pattern in patterns:
            if pattern.endswith("*"):
                names.extend(name for name, _ in self.groups.scan(scope, prefix=pattern[:-1]))
            elif self.groups.get(scope, pattern) is not None:
                names.append(pattern)
        for name in dict.fromkeys(names):
            low = f"{name}{SEP}{max(start_ms, 0):015d}"
            high = f"{name}{SEP}{max(end_ms, 0):015d}"
            for _, event in self.group_events.scan(
                scope, prefix=name + SEP, start_after=low, end_before=high
            ):
                yield name, event["t"], event["m"]

    def append(
        self, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]]
    ) -> None:
        self._pending.append((account, region, group, stream, events))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            try:
                asyncio.get_running_loop().call_later(_FLUSH_DELAY, self.flush)
            except RuntimeError:
                self.flush()

    def flush(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        if not pending:
            return
        # By group, then stream: what a group's events need (its transformer, policies, filters,
        # subscriptions) is looked up once for all of its streams.
        merged: dict[tuple, dict[str, list]] = {}
        for account, region, group, stream, events in pending:
            merged.setdefault((account, region, group), {}).setdefault(stream, []).extend(events)
        with self.store.transaction():
            for (account, region, group), streams in merged.items():
                self.write_streams(account, region, group, streams)

    def _scope(self, context: RequestContext) -> str:
        if self._pending:
            self.flush()
        return store_scope(context.account, context.region)

    # -- helpers ---------------------------------------------------------------------------

    def _group_arn(self, account: str, region: str, name: str) -> str:
        return build_arn("logs", region, account, f"log-group:{name}")

    def _group_name(self, params: dict) -> str:
        name = params.get("logGroupName")
        identifier = params.get("logGroupIdentifier")
        if name and identifier:
            raise ServiceError(
                "ValidationException",
                "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
                400,
            )
        if identifier:
            if "*" in identifier:
                # The group's `arn` (ending ":*") is not an identifier: only its logGroupArn is.
                raise _invalid(
                    f"1 validation error detected: Value '{identifier}' at 'logGroupIdentifier' failed "
                    "to satisfy constraint: Member must satisfy regular expression pattern: "
                    "[\\w#+=/:,.@-]*"
                )
            if identifier.startswith("arn:"):
                name = identifier.split(":log-group:", 1)[-1]
            else:
                name = identifier
        if not name:
            raise _invalid("Should provide either name or identifier")
        return name

    def _group(self, scope: str, name: str) -> dict:
        group = self.groups.get(scope, name)
        if group is None:
            raise _not_found("The specified log group does not exist.")
        return group

    def _stream(self, scope: str, group: str, name: str) -> dict:
        stream = self.streams.get(scope, group + SEP + name)
        if stream is None:
            raise _not_found("The specified log stream does not exist.")
        return stream

    # -- groups ----------------------------------------------------------------------------

    def create_log_group(self, context: RequestContext, params: dict) -> dict:
        name = params["logGroupName"]
        if not _GROUP_NAME.match(name):
            raise _invalid(
                f"1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
            )
        scope = self._scope(context)
        if self.groups.get(scope, name) is not None:
            raise ServiceError(
                "ResourceAlreadyExistsException", "The specified log group already exists", 400
            )
        if params.get("kmsKeyId"):
            group_arn = self._group_arn(context.account, context.region, name)
            check_log_key(self.runtime, context.account, context.region, params["kmsKeyId"], group_arn)
        self.create_group(
            context.account,
            context.region,
            name,
            tag_map(params.get("tags"), _GROUP_TAGS),
            params.get("logGroupClass") or "STANDARD",
            params.get("kmsKeyId"),
            bool(params.get("deletionProtectionEnabled")),
        )
        return {}

    def create_group(
        self,
        account: str,
        region: str,
        name: str,
        tags: dict | None = None,
        group_class: str = "STANDARD",
        kms_key: str | None = None,
        deletion_protection: bool = False,
    ) -> dict:
        scope = store_scope(account, region)
        group = {
            "logGroupName": name,
            "creationTime": _now_ms(),
            "metricFilterCount": 0,
            "arn": self._group_arn(account, region, name) + ":*",
            "logGroupArn": self._group_arn(account, region, name),
            "storedBytes": 0,
            "logGroupClass": group_class,
            "tags": dict(tags or {}),
        }
        if kms_key:
            group["kmsKeyId"] = kms_key
        if deletion_protection:
            group["deletionProtectionEnabled"] = True
        self.groups.put(scope, name, group)
        return group

    def delete_log_group(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        name = params["logGroupName"]
        self.check_group_deletable(self._group(scope, name))
        with self.store.transaction():
            per_group = (
                self.events,
                self.group_events,
                self.streams,
                self.subscriptions,
                self.metric_filters,
            )
            for table in per_group:
                for key, _ in list(table.scan(scope, prefix=name + SEP)):
                    table.delete(scope, key)
            self.drop_group_policies(scope, name)
            self.transformers.delete(scope, name)
            self.groups.delete(scope, name)
        return {}

    def describe_log_groups(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        prefix = params.get("logGroupNamePrefix") or ""
        pattern = params.get("logGroupNamePattern")
        if prefix and pattern:
            raise _invalid(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        limit = params.get("limit") or 50
        if not 1 <= limit <= 50:
            raise _invalid(
                "1 validation error detected: Value at 'limit' failed to satisfy constraint: "
                "Member must have value less than or equal to 50"
            )
        identifiers = params.get("logGroupIdentifiers")
        group_class = params.get("logGroupClass")

        def groups_after(after: str | None) -> Iterator[tuple[str, dict]]:
            for name, group in self.groups.scan(scope, prefix=prefix, start_after=after):
                if pattern and pattern not in name:  # case-sensitive, as AWS documents
                    continue
                if identifiers and name not in identifiers and group["logGroupArn"] not in identifiers:
                    continue
                if group_class and group.get("logGroupClass") != group_class:
                    continue
                yield name, group

        return paginate_keys(
            self.store, "logs", "DescribeLogGroups", params, groups_after, bad_token=_bad_token,
            default_limit=50, render=lambda _, group: self._group_shape(group, listed_by_pattern=bool(pattern)),
            bind=f"{prefix}{SEP}{pattern}{SEP}{identifiers}{SEP}{group_class}",
        )  # fmt: skip

    @staticmethod
    def _group_shape(group: dict, listed_by_pattern: bool = False) -> dict:
        if listed_by_pattern:
            # A listing by name pattern carries only these (AWS's documentation and recordings).
            return {k: v for k, v in group.items() if k in _PATTERN_LISTING_FIELDS}
        shape = {k: v for k, v in group.items() if k != "tags"}
        shape.setdefault("deletionProtectionEnabled", False)  # AWS shows the setting off explicitly
        return shape

    def put_retention_policy(self, context: RequestContext, params: dict) -> dict:
        days = params["retentionInDays"]
        if days not in _RETENTION_DAYS:
            raise _invalid(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
                "Member must satisfy enum value set: [" + ", ".join(map(str, sorted(_RETENTION_DAYS))) + "]"
            )
        scope = self._scope(context)
        group = self._group(scope, params["logGroupName"])
        group["retentionInDays"] = days
        self.groups.put(scope, group["logGroupName"], group)
        return {}

    def delete_retention_policy(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group = self._group(scope, params["logGroupName"])
        group.pop("retentionInDays", None)
        self.groups.put(scope, group["logGroupName"], group)
        return {}

    # -- tags ------------------------------------------------------------------------------

    def _group_by_arn(self, context: RequestContext, arn: str) -> tuple[str, dict]:
        scope = self._scope(context)
        if ":log-group:" not in arn:
            raise _invalid(f"Invalid resource ARN: {arn}")
        name = arn.split(":log-group:", 1)[1]
        if name.endswith(":*"):
            name = name[:-2]
        return scope, self._group(scope, name)

    def _set_tags(
        self,
        scope: str,
        group: dict,
        add: dict | None = None,
        remove: list | None = None,
        rules: TagRules = _GROUP_TAGS,
    ) -> None:
        group["tags"] = remove_tags(add_tags(group.get("tags"), add, rules), remove)
        self.groups.put(scope, group["logGroupName"], group)

    def tag_log_group(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        self._set_tags(scope, self._group(scope, params["logGroupName"]), add=params["tags"])
        return {}

    def untag_log_group(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        self._set_tags(scope, self._group(scope, params["logGroupName"]), remove=params["tags"])
        return {}

    def list_tags_log_group(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        return {"tags": self._group(scope, params["logGroupName"]).get("tags", {})}

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        if other := self.tagged_resource(context, params["resourceArn"]):
            other.retag(_RESOURCE_TAGS, add=params["tags"])
            return {}
        arn = params["resourceArn"]
        if ":destination:" in arn:
            scope, destination = self.destination_by_arn(context, arn)
            self.set_destination_tags(scope, destination, add=params["tags"])
            return {}
        scope, group = self._group_by_arn(context, arn)
        self._set_tags(scope, group, add=params["tags"], rules=_RESOURCE_TAGS)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        if other := self.tagged_resource(context, params["resourceArn"]):
            other.retag(_RESOURCE_TAGS, remove=params["tagKeys"])
            return {}
        arn = params["resourceArn"]
        if ":destination:" in arn:
            scope, destination = self.destination_by_arn(context, arn)
            self.set_destination_tags(scope, destination, remove=params["tagKeys"])
            return {}
        scope, group = self._group_by_arn(context, arn)
        self._set_tags(scope, group, remove=params["tagKeys"])
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        if other := self.tagged_resource(context, params["resourceArn"]):
            return {"tags": other.record.get("tags", {})}
        arn = params["resourceArn"]
        if ":destination:" in arn:
            return {"tags": self.destination_by_arn(context, arn)[1].get("tags", {})}
        _, group = self._group_by_arn(context, arn)
        return {"tags": group.get("tags", {})}

    # -- streams -----------------------------------------------------------------------------

    def create_log_stream(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group, name = params["logGroupName"], params["logStreamName"]
        if ":" in name or "*" in name:
            raise _invalid(
                f"1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [^:*]*"
            )
        self._group(scope, group)
        if self.streams.get(scope, group + SEP + name) is not None:
            raise ServiceError(
                "ResourceAlreadyExistsException", "The specified log stream already exists", 400
            )
        self._new_stream(context.account, context.region, group, name)
        return {}

    def _new_stream(self, account: str, region: str, group: str, name: str) -> dict:
        stream = {
            "logStreamName": name,
            "creationTime": _now_ms(),
            "arn": f"{self._group_arn(account, region, group)}:log-stream:{name}",
            "storedBytes": 0,
        }
        self.streams.put(store_scope(account, region), group + SEP + name, stream)
        return stream

    def delete_log_stream(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group, name = params["logGroupName"], params["logStreamName"]
        self._group(scope, group)
        self._stream(scope, group, name)
        with self.store.transaction():
            prefix = group + SEP + name + SEP
            for key, _ in list(self.events.scan(scope, prefix=prefix)):
                self.events.delete(scope, key)
                self.group_events.delete(scope, group + SEP + key[len(prefix) :])
            self.streams.delete(scope, group + SEP + name)
        return {}

    def describe_log_streams(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group = self._group_name(params)
        self._group(scope, group)
        prefix = params.get("logStreamNamePrefix") or ""
        order = params.get("orderBy") or "LogStreamName"
        descending = bool(params.get("descending"))
        if prefix and order == "LastEventTime":
            raise _invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        limit = params.get("limit") or 50
        bind = f"{group}{SEP}{prefix}{SEP}{order}{SEP}{descending}"
        token = _read_token(self.store, "DescribeLogStreams", params, bind)
        found: list[dict] = []
        next_token: str | None = None
        if order == "LogStreamName":
            if token is not None and not isinstance(token, str):
                raise _bad_token()
            bound = group + SEP + token if token else None
            for _key, stream in self.streams.scan(
                scope,
                prefix=group + SEP + prefix,
                reverse=descending,
                start_after=None if descending else bound,
                end_before=bound if descending else None,
            ):
                if len(found) == limit:
                    next_token = encode_token(
                        self.store, "DescribeLogStreams", found[-1]["logStreamName"], bind
                    )
                    break
                found.append(stream)
        else:
            streams = [s for _, s in self.streams.scan(scope, prefix=group + SEP)]
            streams.sort(
                key=lambda s: (s.get("lastEventTimestamp", 0), s["logStreamName"]), reverse=descending
            )
            if token is not None and not isinstance(token, int):
                raise _bad_token()
            start = token or 0
            found = streams[start : start + limit]
            more = start + limit < len(streams)
            next_token = encode_token(self.store, "DescribeLogStreams", start + limit, bind) if more else None
        out: dict[str, Any] = {"logStreams": found}
        if next_token:
            out["nextToken"] = next_token
        return out

    # -- events ------------------------------------------------------------------------------

    def put_log_events(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group_name, stream_name = params["logGroupName"], params["logStreamName"]
        group = self._group(scope, group_name)
        self._stream(scope, group_name, stream_name)
        events = params["logEvents"]
        timestamps = [event["timestamp"] for event in events]
        if any(b < a for a, b in itertools.pairwise(timestamps)):
            raise _invalid("Log events in a single PutLogEvents request must be in chronological order.")
        if timestamps and timestamps[-1] - timestamps[0] > _MAX_BATCH_SPAN:
            raise _invalid(
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
            )
        now = _now_ms()
        rejected: dict[str, int] = {}
        retention = group.get("retentionInDays")
        accepted = []
        for index, event in enumerate(events):
            stamp = event["timestamp"]
            if stamp < now - _TOO_OLD_MS:
                rejected["tooOldLogEventEndIndex"] = index + 1
            elif retention and stamp < now - retention * _DAY_MS:
                rejected["expiredLogEventEndIndex"] = index + 1
            elif stamp > now + _TOO_NEW_MS:
                rejected.setdefault("tooNewLogEventStartIndex", index)
            else:
                accepted.append((stamp, event["message"]))
        self.write(context.account, context.region, group_name, stream_name, accepted, create=False)
        out: dict[str, Any] = {"nextSequenceToken": f"{next(_sequence):056d}"}
        if rejected:
            out["rejectedLogEventsInfo"] = rejected
        return out

    def write(
        self,
        account: str,
        region: str,
        group_name: str,
        stream_name: str,
        events: Sequence[tuple[int, str] | tuple[int, str, str]],
        create: bool = True,
    ) -> None:
        """Append events to a stream (creating the group and stream when `create`): the Python
        interface other services log through (Lambda's function logs)."""
        self.write_streams(account, region, group_name, {stream_name: events}, create)

    def write_streams(
        self,
        account: str,
        region: str,
        group_name: str,
        streams: Mapping[str, Sequence[tuple[int, str] | tuple[int, str, str]]],
        create: bool = True,
    ) -> None:
        """`write` for several streams of one group at once."""
        streams = {name: events for name, events in streams.items() if events}
        if not streams:
            return
        scope = store_scope(account, region)
        # Every ingestion path (PutLogEvents, other services' logs) goes through the group's
        # transformer and data protection policy.
        rules = self.ingestion_rules(scope, group_name)
        now = _now_ms()
        written_to: dict[str, list] = {}
        with self.store.transaction():
            if create:
                if self.groups.get(scope, group_name) is None:
                    self.create_group(account, region, group_name)
            for stream_name, given in streams.items():
                events = self.apply_ingestion_rules(rules, given)
                stream_key = group_name + SEP + stream_name
                stream = self.streams.get(scope, stream_key)
                if stream is None:
                    stream = self._new_stream(account, region, group_name, stream_name)
                size = 0
                written = written_to[stream_name] = []
                for event in events:
                    stamp, message = event[0], event[1]
                    key = _event_key(stamp)
                    record = {"t": stamp, "m": message, "i": now}
                    if len(event) > 2:  # masked by a data protection policy: the original
                        record["u"] = event[2]
                    self.events.put(scope, stream_key + SEP + key, record)
                    self.group_events.put(scope, group_name + SEP + key, {**record, "s": stream_name})
                    size += len(message.encode()) + _EVENT_OVERHEAD
                    written.append((key, stamp, message))
                first = min(event[0] for event in events)
                last = max(event[0] for event in events)
                stream["firstEventTimestamp"] = min(stream.get("firstEventTimestamp", first), first)
                stream["lastEventTimestamp"] = max(stream.get("lastEventTimestamp", last), last)
                stream["lastIngestionTime"] = now
                stream["storedBytes"] = stream.get("storedBytes", 0) + size
                self.streams.put(scope, stream_key, stream)
        subscriptions = self._subscriptions_of(scope, group_name)
        for stream_name, written in written_to.items():
            self._forward(account, region, group_name, stream_name, written, subscriptions)
        if len(written_to) == 1:
            everything = next(iter(written_to.values()))
        else:
            everything = [event for written in written_to.values() for event in written]
        self.metrics_of_events(account, region, group_name, everything)
        for stream_name, written in written_to.items():
            self.publish_to_live_tails(account, region, group_name, stream_name, written, now)

    def get_log_events(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group = self._group_name(params)
        self._group(scope, group)
        stream = params["logStreamName"]
        self._stream(scope, group, stream)
        limit = params.get("limit") or 10000
        prefix = group + SEP + stream + SEP
        low = prefix + (f"{params['startTime']:015d}" if params.get("startTime") is not None else "")
        high = prefix + f"{params['endTime']:015d}" if params.get("endTime") is not None else None
        token = _parse_token(params.get("nextToken"), "fb")
        if token is None:
            forward = bool(params.get("startFromHead"))
            cursor = None
        else:
            forward = token[0] == "f"
            cursor = prefix + token[1]
        bounds: dict[str, Any] = {"prefix": prefix}
        if forward:
            start_after = cursor if cursor is not None else (low if low != prefix else None)
            rows = list(
                self.events.scan(scope, start_after=start_after, end_before=high, limit=limit, **bounds)
            )
            if cursor is None and low != prefix:
                rows = [r for r in rows if r[0] >= low]
        else:
            end_before = cursor if cursor is not None else high
            rows = list(self.events.scan(scope, end_before=end_before, limit=limit, reverse=True, **bounds))
            rows = [r for r in rows if r[0] >= low][::-1]
        text = "u" if params.get("unmask") else "m"
        events = [
            {"timestamp": e["t"], "message": e.get(text, e["m"]), "ingestionTime": e["i"]} for _, e in rows
        ]
        if rows:
            first, last = rows[0][0][len(prefix) :], rows[-1][0][len(prefix) :]
        else:
            edge = token[1] if token else f"{0:029d}"
            first = last = edge
        return {
            "events": events,
            "nextForwardToken": _token("f", last),
            "nextBackwardToken": _token("b", first),
        }

    def filter_log_events(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group = self._group_name(params)
        self._group(scope, group)
        names = params.get("logStreamNames")
        name_prefix = params.get("logStreamNamePrefix")
        if names and name_prefix:
            raise _invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        try:
            matches = compile_pattern(params.get("filterPattern"))
        except PatternError as error:
            raise _invalid(str(error) or "Invalid filter pattern") from None
        limit = params.get("limit") or 10000
        prefix = group + SEP
        start_after = None
        if params.get("nextToken"):
            token = _read_token(self.store, "FilterLogEvents", params, group)
            if not isinstance(token, str):
                raise _bad_token()
            start_after = prefix + token
        elif params.get("startTime") is not None:
            start_after = prefix + f"{params['startTime']:015d}"
            # keys at exactly startTime sort after the bare timestamp: keep them
        high = prefix + f"{params['endTime'] + 1:015d}" if params.get("endTime") is not None else None
        wanted = set(names or ())
        events, next_token, examined = [], None, 0
        for key, event in self.group_events.scan(
            scope, prefix=prefix, start_after=start_after, end_before=high
        ):
            examined += 1
            stream = event["s"]
            if wanted and stream not in wanted:
                continue
            if name_prefix and not stream.startswith(name_prefix):
                continue
            if not matches(event["m"]):
                continue
            events.append(
                {
                    "logStreamName": stream,
                    "timestamp": event["t"],
                    "message": event.get("u", event["m"]) if params.get("unmask") else event["m"],
                    "ingestionTime": event["i"],
                    "eventId": key[len(prefix) :],
                }
            )
            if len(events) == limit:
                next_token = encode_token(self.store, "FilterLogEvents", key[len(prefix) :], group)
                break
        out: dict[str, Any] = {"events": events}
        if next_token:
            out["nextToken"] = next_token
        return out

    def test_metric_filter(self, context: RequestContext, params: dict) -> dict:
        try:
            matches = compile_pattern(params["filterPattern"])
        except PatternError as error:
            raise _invalid(str(error) or "Invalid filter pattern") from None
        found = []
        for number, message in enumerate(params["logEventMessages"], 1):
            if matches(message):
                extracted = extracted_values(params["filterPattern"], message)
                found.append({"eventNumber": number, "eventMessage": message, "extractedValues": extracted})
        return {"matches": found}

    def expire(self) -> None:
        """Delete events older than their group's retention (and Insights results past theirs)."""
        self.expire_queries()
        now = _now_ms()
        for scope in self.groups.scopes():
            for name, group in list(self.groups.scan(scope)):
                days = group.get("retentionInDays")
                if not days:
                    continue
                cutoff = f"{name}{SEP}{now - days * _DAY_MS:015d}"
                old = list(self.group_events.scan(scope, prefix=name + SEP, end_before=cutoff, limit=5000))
                with self.store.transaction():
                    for key, event in old:
                        self.group_events.delete(scope, key)
                        self.events.delete(scope, f"{name}{SEP}{event['s']}{SEP}{key[len(name) + 1 :]}")

    # -- subscription filters ------------------------------------------------------------------

    def put_subscription_filter(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group = params["logGroupName"]
        destination = params["destinationArn"]
        parts = destination.split(":")
        service = parts[2] if len(parts) >= 6 else ""
        # AWS checks the destination before the group: another account's function needs a
        # destination, and a stream or delivery stream a role Logs can assume.
        if service == "lambda" and parts[4] != context.account:
            raise ServiceError(
                "AccessDeniedException",
                "Cross-account lambda invocation passing is not allowed. You must use DestinationPolicies "
                "to create cross account lambda triggers.",
                400,
            )
        if service in ("kinesis", "firehose") and not params.get("roleArn"):
            raise _invalid(f"destinationArn for vendor {service} cannot be used without roleArn")
        if service == "logs":
            self.authorize_destination(context, destination)
        self._group(scope, group)
        try:
            compile_pattern(params["filterPattern"])
        except PatternError as error:
            raise _invalid(str(error) or "Invalid filter pattern") from None
        if service == "lambda":
            lam = self.runtime.provider("lambda")
            if not lam.function_exists(destination):
                raise _invalid(
                    "Could not execute the lambda function. Make sure you have given CloudWatch "
                    "Logs permission to execute your function."
                )
        elif service == "kinesis":
            found = (
                self.runtime.provider("kinesis").stream_by_arn(destination)
                if self.runtime.serves("kinesis")
                else None
            )
            if found is None:
                raise _invalid(
                    "Could not deliver test message to specified destination. Check if the destination is valid."
                )
        elif service not in ("firehose", "logs"):
            raise _invalid(f"Invalid destination ARN: {destination}")
        key = group + SEP + params["filterName"]
        existing = [k for k, _ in self.subscriptions.scan(scope, prefix=group + SEP)]
        if key not in existing and len(existing) >= 2:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.", 400)
        record = {
            "filterName": params["filterName"],
            "logGroupName": group,
            "filterPattern": params["filterPattern"],
            "destinationArn": destination,
            "distribution": params.get("distribution") or "ByLogStream",
            "creationTime": _now_ms(),
        }
        if params.get("roleArn"):
            record["roleArn"] = params["roleArn"]
        self.subscriptions.put(scope, key, record)
        if service == "kinesis" and key not in existing:
            # Logs checks a new stream destination with a control message, its first record.
            control = {
                "messageType": "CONTROL_MESSAGE",
                "owner": "CloudwatchLogs",
                "logGroup": "",
                "logStream": "",
                "subscriptionFilters": [],
                "logEvents": [
                    {
                        "id": "",
                        "timestamp": _now_ms(),
                        "message": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.",
                    }
                ],
            }
            self.runtime.bus.deliver(destination, gzip.compress(json.dumps(control).encode()), source="logs")
        return {}

    def describe_subscription_filters(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group = params["logGroupName"]
        self._group(scope, group)
        prefix = group + SEP + (params.get("filterNamePrefix") or "")
        return {"subscriptionFilters": [f for _, f in self.subscriptions.scan(scope, prefix=prefix)]}

    def delete_subscription_filter(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        group = params["logGroupName"]
        self._group(scope, group)
        if not self.subscriptions.delete(scope, group + SEP + params["filterName"]):
            raise _not_found("The specified subscription filter does not exist.")
        return {}

    def _destination_target(self, arn: str) -> str | None:
        """The targetArn of the Logs destination `arn` names, or None when there is none."""
        parts = arn.split(":", 6)
        if len(parts) < 7 or parts[5] != "destination":
            return None
        record = self.destinations.get(store_scope(parts[4], parts[3]), parts[6])
        return record.get("targetArn") if record is not None else None

    def _subscriptions_of(self, scope: str, group: str) -> list[dict]:
        """The subscription filters events written to a group go through: its own, then the
        account's policies that select it."""
        filters = [f for _, f in self.subscriptions.scan(scope, prefix=group + SEP)]
        return filters + self.account_subscriptions(scope, group)

    def _forward(
        self,
        account: str,
        region: str,
        group: str,
        stream: str,
        written: list,
        subscriptions: list[dict] | None = None,
    ) -> None:
        if subscriptions is None:
            subscriptions = self._subscriptions_of(store_scope(account, region), group)
        for subscription in subscriptions:
            destination = subscription["destinationArn"]
            target = destination.split(":")[2]
            if target == "logs":
                # A (cross-account) destination: its stream takes the documents.
                destination = self._destination_target(destination) or ""
                target = destination.split(":")[2] if destination.count(":") >= 5 else ""
            if target not in ("lambda", "kinesis"):
                continue
            matches = compile_pattern(subscription["filterPattern"])
            chosen = [
                {"id": key, "timestamp": stamp, "message": message}
                for key, stamp, message in written
                if matches(message)
            ]
            if not chosen:
                continue
            document = {
                "messageType": "DATA_MESSAGE",
                "owner": account,
                "logGroup": group,
                "logStream": stream,
                "subscriptionFilters": [subscription["filterName"]],
                "logEvents": chosen,
            }
            packed = gzip.compress(json.dumps(document).encode())
            if target == "kinesis":
                # A stream's record is the gzip'd document itself, keyed by the log stream.
                self.runtime.bus.deliver(
                    destination, packed, attempts=3, backoff=1.0, source="logs", partition_key=stream,
                )  # fmt: skip
                continue
            data = base64.b64encode(packed).decode()
            self.runtime.bus.deliver(
                subscription["destinationArn"],
                {"awslogs": {"data": data}},
                attempts=3,
                backoff=1.0,
                source="logs",
            )

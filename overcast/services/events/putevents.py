"""PutEvents and PutPartnerEvents: each entry checked as AWS checks it (an error per entry, the
others still sent), built into the event shape targets receive, matched against its bus's
rules and handed to their targets, and kept by the bus's archives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.ids import fast_uuid
from overcast.common.times import iso_seconds
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.events import errors, metrics
from overcast.services.events.transform import compact_json
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.events.provider import Provider

#: The most a PutEvents request's entries may weigh, as AWS counts them.
MAX_REQUEST_BYTES = 256 * 1024
#: What AWS counts for an entry's Time.
_TIME_BYTES = 14


def entry_size(entry: dict) -> int:
    """An entry's size as AWS documents it: Time, Source, DetailType, Detail and Resources."""
    size = _TIME_BYTES if entry.get("Time") is not None else 0
    for member in ("Source", "DetailType", "Detail"):
        value = entry.get(member)
        if isinstance(value, str):
            size += len(value.encode())
    for resource in entry.get("Resources") or ():
        size += len(resource.encode())
    return size


def _entry_error(entry: dict) -> dict | None:
    for member in ("Source", "DetailType", "Detail"):
        if not entry.get(member):
            return {
                "ErrorCode": "InvalidArgument",
                "ErrorMessage": f"Parameter {member} is not valid. Reason: {member} is a required argument.",
            }
    return None


def _event_time(given: Any) -> str:
    if isinstance(given, datetime):
        return iso_seconds(given.astimezone(UTC).timestamp())
    if isinstance(given, (int, float)):
        return iso_seconds(float(given))
    return iso_seconds()


def build_event(account: str, region: str, entry: dict, detail: dict) -> dict:
    return {
        "version": "0",
        "id": fast_uuid(),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": _event_time(entry.get("Time")),
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": detail,
    }


class PutEventsMixin:
    def put_events(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        entries = params["Entries"]
        if sum(entry_size(entry) for entry in entries) > MAX_REQUEST_BYTES:
            raise errors.validation("Total size of the entries in the request is over the limit.")
        results: list[dict] = []
        accepted: list[tuple[str, str, dict]] = []
        for entry in entries:
            problem = _entry_error(entry)
            detail = None
            if problem is None:
                try:
                    detail = jsontext.loads(entry["Detail"])
                except ValueError:
                    detail = None
                if not isinstance(detail, dict):
                    problem = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
            if problem is None:
                try:
                    scope, bus = self.bus_ref(context, entry.get("EventBusName"))
                except ServiceError as error:
                    problem = {"ErrorCode": error.code, "ErrorMessage": error.message}
            if problem is not None or detail is None:
                results.append(problem or {})
                continue
            event = build_event(context.account, scope.split("/")[1], entry, detail)
            accepted.append((scope, bus, event))
            results.append({"EventId": event["id"]})
        if accepted:
            routed = [
                (scope, bus, event, self.rules_for(scope, bus, event)) for scope, bus, event in accepted
            ]
            if sum(len(rule.get("Targets", ())) for *_, rules in routed for rule in rules) > 1:
                # Several deliveries: written together or not at all.
                with self.store.transaction():
                    for scope, bus, event, rules in routed:
                        self.hand_to_rules(scope, bus, event, rules)
            else:
                # One delivery at most is one write, committed on its own: no transaction to open.
                for scope, bus, event, rules in routed:
                    self.hand_to_rules(scope, bus, event, rules)
        failed = sum(1 for result in results if "ErrorCode" in result)
        return {"FailedEntryCount": failed, "Entries": results}

    def put_partner_events(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """A SaaS partner's events reach the partner event bus of each account its source is
        shared with; here, the buses named like the source in the caller's region."""
        results: list[dict] = []
        with self.store.transaction():
            for entry in params["Entries"]:
                problem = _entry_error(entry)
                detail: Any = None
                if problem is None:
                    try:
                        detail = jsontext.loads(entry["Detail"])
                    except ValueError:
                        detail = None
                    if not isinstance(detail, dict):
                        problem = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
                if problem is not None:
                    results.append(problem)
                    continue
                event = build_event(context.account, context.region, entry, detail)
                source = entry["Source"]
                for scope in self.sources.scopes():
                    record = self.sources.get(scope, source)
                    if record is not None and self.buses.get(scope, source) is not None:
                        account, region = scope.split("/")
                        self.route(scope, source, {**event, "account": account, "region": region})
                results.append({"EventId": event["id"]})
        failed = sum(1 for result in results if "ErrorCode" in result)
        return {"FailedEntryCount": failed, "Entries": results}

    def route(  # type: ignore[misc]
        self: Provider,
        scope: str,
        bus: str,
        event: dict,
        replay: dict | None = None,
        only_states: tuple[str, ...] | None = None,
    ) -> int:
        """Hand an event to the targets of the bus's rules it matches (inside the caller's store
        transaction); a replayed event goes only to the rules its replay names (archives keep
        events through rules of their own, archives.py). Returns how
        many rules matched. `only_states` limits the rules to those states (read-only API calls
        reach only rules that ask for all management events)."""
        if replay is not None:
            # Set before matching, so that archive rules (replay-name must not exist) skip it.
            event = {**event, "replay-name": replay["ReplayName"]}
        rules = self.rules_for(scope, bus, event, replay, only_states)
        self.hand_to_rules(scope, bus, event, rules)
        return len(rules)

    def rules_for(  # type: ignore[misc]
        self: Provider,
        scope: str,
        bus: str,
        event: dict,
        replay: dict | None = None,
        only_states: tuple[str, ...] | None = None,
    ) -> list[dict]:
        """The rules of the bus an event goes to (route's first half: nothing written)."""
        if bus != "default" and self.buses.get(scope, bus) is None:
            return []  # AWS accepts an event for a bus that does not exist, and drops it
        rules = self.matching_rules(scope, bus, event)
        if only_states is not None:
            rules = [rule for rule in rules if rule.get("State") in only_states]
        if replay is not None:
            wanted = replay.get("Destination", {}).get("FilterArns")
            if wanted:
                rules = [rule for rule in rules if rule["Arn"] in wanted]
        return rules

    def hand_to_rules(self: Provider, scope: str, bus: str, event: dict, rules: list[dict]) -> None:  # type: ignore[misc]
        """Hand an event to the targets of the rules it matched (route's second half)."""
        if rules:
            text = compact_json(event)
            metrics.count(self.runtime, scope, "MatchedEvents", {})
            for rule in rules:
                dimensions = metrics.rule_dimensions(bus, rule["Name"])
                metrics.count(self.runtime, scope, "MatchedEvents", dimensions)
                metrics.count(self.runtime, scope, "TriggeredRules", dimensions)
                for target in rule.get("Targets", ()):
                    self.dispatch(scope, rule, target, event, text)

    def put_service_event(self: Provider, event: dict) -> None:  # type: ignore[misc]
        """An event another Overcast service announces on "events:put" (S3's EventBridge
        notifications, CloudTrail's API calls) in AWS's event shape: onto the account's default
        bus in its region."""
        scope = store_scope(event["account"], event["region"])
        with self.store.transaction():
            self.route(scope, "default", event)

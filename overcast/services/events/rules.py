"""Rules and their targets, and the index that finds the rules an event may match.

Each bus's enabled pattern rules are indexed by the exact values their patterns require of
`source` (patterns.fixed_values): an event is tested only against the rules keyed by its
source plus those that name no fixed source, so rules for other sources cost nothing. The
index is built from the rules table on first use and dropped when a rule of the bus changes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext, schedules, tagging
from overcast.common.arns import build_arn
from overcast.common.pagination import paginate_keys, paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.events import errors, patterns
from overcast.services.events.transform import check_target_input

if TYPE_CHECKING:
    from overcast.services.events.provider import Provider

MAX_TARGETS = 5
#: States in which a rule matches events (CloudTrail management events are events too here).
ENABLED_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
_RULE_MEMBERS = ("Name", "Arn", "EventPattern", "ScheduleExpression", "State", "Description", "RoleArn",
                 "ManagedBy", "EventBusName")  # fmt: skip


@dataclass
class RuleIndex:
    by_source: dict[str, list[tuple[dict, patterns.Node]]] = field(default_factory=dict)
    anywhere: list[tuple[dict, patterns.Node]] = field(default_factory=list)

    def candidates(self, source: Any) -> Iterator[tuple[dict, patterns.Node]]:
        if isinstance(source, str):
            yield from self.by_source.get(source, ())
        yield from self.anywhere


def rule_key(bus: str, name: str) -> str:
    return f"{bus} {name}"


def parse_pattern(text: str) -> dict:
    try:
        return patterns.parse(text)
    except patterns.PatternError as error:
        raise errors.invalid_pattern(str(error)) from None


def check_schedule(expression: str) -> schedules.Schedule:
    try:
        return schedules.parse(expression)
    except schedules.ScheduleError:
        raise errors.validation("Parameter ScheduleExpression is not valid.") from None


class RulesMixin:
    def init_rules(self: Provider) -> None:  # type: ignore[misc]
        self._indexes: dict[tuple[str, str], RuleIndex] = {}
        #: Per scope, the aws.* sources its default bus has rules for (apicalls.py).
        self._api_call_scopes: dict[str, frozenset[str]] = {}

    def rules_changed(self: Provider, scope: str, bus: str) -> None:  # type: ignore[misc]
        self._indexes.pop((scope, bus), None)
        if bus == "default":
            self.refresh_api_call_scope(scope)

    def rule_index(self: Provider, scope: str, bus: str) -> RuleIndex:  # type: ignore[misc]
        index = self._indexes.get((scope, bus))
        if index is None:
            index = RuleIndex()
            for _, rule in self.rules.scan(scope, prefix=bus + " "):
                if rule.get("State") not in ENABLED_STATES or not rule.get("EventPattern"):
                    continue
                pattern = jsontext.loads(rule["EventPattern"])
                entry = (rule, patterns.compile_pattern(pattern))
                sources = patterns.fixed_values(pattern, "source")
                if sources is None:
                    index.anywhere.append(entry)
                else:
                    for source in sources:
                        index.by_source.setdefault(source, []).append(entry)
            self._indexes[(scope, bus)] = index
        return index

    def matching_rules(self: Provider, scope: str, bus: str, event: dict) -> list[dict]:  # type: ignore[misc]
        return [
            rule
            for rule, node in self.rule_index(scope, bus).candidates(event.get("source"))
            if node.matches(event)
        ]

    # -- rules ---------------------------------------------------------------------------------

    def rule(self: Provider, scope: str, bus: str, name: str) -> dict:  # type: ignore[misc]
        record = self.rules.get(scope, rule_key(bus, name))
        if record is None:
            raise errors.rule_not_found(name, bus)
        return record

    def put_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        name = params["Name"]
        pattern_text = params.get("EventPattern")
        expression = params.get("ScheduleExpression")
        if not pattern_text and not expression:
            raise errors.validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if expression:
            if bus != "default":
                raise errors.validation("ScheduleExpression is supported only on the default event bus.")
            check_schedule(expression)
        if pattern_text:
            parse_pattern(pattern_text)
        account, region = scope.split("/")
        resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
        with self.store.transaction():
            self.bus(scope, bus)
            key = rule_key(bus, name)
            record = self.rules.get(scope, key)
            if record is None:
                record = {
                    "Name": name,
                    "Arn": build_arn("events", region, account, resource),
                    "EventBusName": bus,
                    "CreatedBy": context.account,
                    "Targets": [],
                    "Tags": tagging.tag_map(params.get("Tags"), _tag_rules()),
                    "CreationTime": time.time(),
                }
            for member in ("EventPattern", "ScheduleExpression", "Description", "RoleArn"):
                if params.get(member) is not None:
                    record[member] = params[member]
                else:
                    record.pop(member, None)
            record["State"] = params.get("State") or "ENABLED"
            self.rules.put(scope, key, record)
            self.rules_changed(scope, bus)
        self.schedule_rule(scope, key, record)
        return {"RuleArn": record["Arn"]}

    def describe_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        record = self.rule(scope, bus, params["Name"])
        out = render_rule(record)
        out["CreatedBy"] = record.get("CreatedBy", scope.split("/")[0])
        return out

    def delete_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        key = rule_key(bus, params["Name"])
        with self.store.transaction():
            record = self.rules.get(scope, key)
            if record is None:
                return {}
            if record.get("ManagedBy") and not params.get("Force"):
                raise ServiceError(
                    "ManagedRuleException", f"Rule {params['Name']} is managed by {record['ManagedBy']}."
                )
            if record.get("Targets") and not record.get("ManagedBy"):
                raise errors.validation("Rule can't be deleted since it has targets.")
            self.rules.delete(scope, key)
            self.rules_changed(scope, bus)
        self.unschedule_rule(scope, key)
        return {}

    def _set_state(self: Provider, context: RequestContext, params: dict, state: str) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        with self.store.transaction():
            record = self.rule(scope, bus, params["Name"])
            record["State"] = state
            key = rule_key(bus, params["Name"])
            self.rules.put(scope, key, record)
            self.rules_changed(scope, bus)
        self.schedule_rule(scope, key, record)
        return {}

    def enable_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_state(context, params, "ENABLED")

    def disable_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_state(context, params, "DISABLED")

    def list_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        self.bus(scope, bus)
        prefix = rule_key(bus, params.get("NamePrefix") or "")
        return paginate_keys(
            self.store, "events", "ListRules", params,
            lambda after: self.rules.scan(scope, prefix=prefix, start_after=after),
            bad_token=lambda: errors.validation("The provided NextToken is not valid."),
            default_limit=100, bind=prefix, render=lambda key, record: render_rule(record),
        )  # fmt: skip

    # -- targets -------------------------------------------------------------------------------

    def put_targets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        with self.store.transaction():
            record = self.rule(scope, bus, params["Rule"])
            targets = {target["Id"]: target for target in record.get("Targets", [])}
            for target in params["Targets"]:
                check_target(target)
                check_target_input(target)
                targets[target["Id"]] = target
            if len(targets) > MAX_TARGETS:
                raise errors.limit()
            record["Targets"] = list(targets.values())
            self.rules.put(scope, rule_key(bus, params["Rule"]), record)
            self.rules_changed(scope, bus)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        with self.store.transaction():
            record = self.rule(scope, bus, params["Rule"])
            ids = set(params["Ids"])
            record["Targets"] = [t for t in record.get("Targets", []) if t["Id"] not in ids]
            self.rules.put(scope, rule_key(bus, params["Rule"]), record)
            self.rules_changed(scope, bus)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets_by_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        record = self.rule(scope, bus, params["Rule"])
        return paginate_list(
            self.store, "events", "ListTargetsByRule", params, record.get("Targets", []),
            bad_token=lambda: errors.validation("The provided NextToken is not valid."),
            default_limit=100, bind=record["Arn"],
        )  # fmt: skip

    def list_rule_names_by_target(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, bus = self.bus_ref(context, params.get("EventBusName"))
        self.bus(scope, bus)
        arn = params["TargetArn"]
        names = [
            rule["Name"]
            for _, rule in self.rules.scan(scope, prefix=bus + " ")
            if any(target["Arn"] == arn for target in rule.get("Targets", []))
        ]
        return paginate_list(
            self.store, "events", "ListRuleNamesByTarget", params, names,
            bad_token=lambda: errors.validation("The provided NextToken is not valid."),
            default_limit=100, bind=bus + " " + arn,
        )  # fmt: skip

    # -- TestEventPattern ----------------------------------------------------------------------

    def test_event_pattern(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        pattern = parse_pattern(params["EventPattern"])
        try:
            event = jsontext.loads(params["Event"])
        except ValueError:
            raise errors.validation("Parameter Event is not valid.") from None
        if not isinstance(event, dict) or any(member not in event for member in _EVENT_MEMBERS):
            raise errors.validation("Parameter Event is not valid.")
        return {"Result": patterns.compile_pattern(pattern).matches(event)}


#: What TestEventPattern requires of an event, as AWS checks it.
_EVENT_MEMBERS = ("id", "account", "source", "time", "region", "detail-type")


def _tag_rules() -> tagging.TagRules:
    from overcast.services.events.provider import TAG_RULES

    return TAG_RULES


def render_rule(record: dict) -> dict:
    return {member: record[member] for member in _RULE_MEMBERS if record.get(member) is not None}


def check_target(target: dict) -> None:
    """Refuse a target AWS refuses: an ARN that is none, a FIFO queue without a message group."""
    arn = target.get("Arn", "")
    if not arn.startswith("arn:"):
        raise errors.validation(
            f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
        )
    parts = arn.split(":")
    fifo_queue = len(parts) > 5 and parts[2] == "sqs" and parts[5].endswith(".fifo")
    if fifo_queue and not (target.get("SqsParameters") or {}).get("MessageGroupId"):
        raise errors.validation(f"Parameter(s) SqsParameters must be specified for target: {target['Id']}.")

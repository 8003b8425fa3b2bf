"""Amazon EventBridge: event buses (default, custom, partner), rules with event patterns
(patterns.py) or schedules (schedules.py), targets that really deliver (delivery.py, through
the durable outbox), archives and replays (archives.py), connections and API destinations
(connections.py), global endpoints and partner event sources (endpoints.py).

Tables, each scoped by account and region: "buses" (by name), "rules" (by "<bus> <rule>": a
space sorts before every character a name may hold, so one bus's rules are one prefix),
"archives", "archived" (an archive's events, by "<archive> <time> <id>"), "replays",
"connections", "destinations", "endpoints" and "sources" (partner event sources)."""

from __future__ import annotations

import json
import time
from typing import Any

from overcast.common import jsontext, tagging
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.events import errors
from overcast.services.events.apicalls import ApiCallsMixin
from overcast.services.events.archives import ArchivesMixin
from overcast.services.events.connections import ConnectionsMixin
from overcast.services.events.delivery import DeliveryMixin
from overcast.services.events.endpoints import EndpointsMixin
from overcast.services.events.paging import page_items
from overcast.services.events.putevents import PutEventsMixin
from overcast.services.events.rules import RulesMixin
from overcast.services.events.schedules import SchedulesMixin
from overcast.store import scope as store_scope

DEFAULT_BUS = "default"
TAG_RULES = tagging.TagRules(refuse=tagging.refusals("ValidationException"), max_tags=50)


def compact(out: dict[str, Any]) -> dict[str, Any]:
    """AWS returns only the members that have a value."""
    return {key: value for key, value in out.items() if value is not None}


class Provider(
    ApiCallsMixin,
    PutEventsMixin,
    DeliveryMixin,
    RulesMixin,
    SchedulesMixin,
    ArchivesMixin,
    ConnectionsMixin,
    EndpointsMixin,
    BaseProvider,
):
    service = "events"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.buses = self.store.table("events", "buses")
        self.rules = self.store.table("events", "rules")
        self.archives = self.store.table("events", "archives")
        self.archived = self.store.table("events", "archived")
        self.replays = self.store.table("events", "replays")
        self.connections = self.store.table("events", "connections")
        self.destinations = self.store.table("events", "destinations")
        self.endpoints = self.store.table("events", "endpoints")
        self.sources = self.store.table("events", "sources")
        self.init_rules()

    def start(self) -> None:
        self.start_delivery()
        self.start_schedules()
        self.refresh_api_call_scopes()
        self.runtime.bus.subscribe("events:put", self.put_service_event)

    def state_replaced(self) -> None:
        self.init_rules()
        self.restart_schedules()
        self.refresh_api_call_scopes()

    def reset(self) -> None:
        self.runtime.scheduler.cancel_prefix("events:")

    # -- buses ---------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def bus_arn(self, account: str, region: str, name: str) -> str:
        return build_arn("events", region, account, f"event-bus/{name}")

    def bus_ref(self, context: RequestContext, given: str | None) -> tuple[str, str]:
        """(scope, bus name) a request's EventBusName means: a name of the caller's, or an ARN
        (of another account's bus, which its policy may open to the caller)."""
        if not given:
            return self.scope_of(context), DEFAULT_BUS
        if given.startswith("arn:"):
            arn = parse_arn(given)
            if arn is None or not arn.resource.startswith("event-bus/") or arn.service != "events":
                raise errors.validation(
                    f"Parameter {given} is not valid. Reason: Provided Arn is not in correct format."
                )
            account = arn.account if arn.account.isdigit() else context.account
            return store_scope(account, arn.region or context.region), arn.resource[len("event-bus/") :]
        return self.scope_of(context), given

    def bus_record(self, scope: str, name: str) -> dict | None:
        record = self.buses.get(scope, name)
        if record is None and name == DEFAULT_BUS:
            # Every account has its default bus; its record is written the first time it is
            # seen, so its creation time stays put.
            account, region = scope.split("/")
            now = time.time()
            record = {"Name": DEFAULT_BUS, "Arn": self.bus_arn(account, region, DEFAULT_BUS), "CreationTime": now,
                      "LastModifiedTime": now, "Tags": {}}  # fmt: skip
            with self.store.transaction():
                self.buses.put(scope, name, record)
        return record

    def bus(self, scope: str, name: str) -> dict:
        record = self.bus_record(scope, name)
        if record is None:
            raise errors.bus_not_found(name)
        return record

    def create_event_bus(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["Name"]
        source_name = params.get("EventSourceName")
        if name == DEFAULT_BUS:
            raise errors.exists(f"Event bus {name} already exists.")
        if "/" in name and not name.startswith("aws.partner/"):
            raise errors.validation("Event bus name must not contain '/'.")
        if name.startswith("aws.partner/"):
            if source_name != name:
                raise errors.validation(
                    "Event source name must match event bus name for partner event buses."
                )
            source = self.sources.get(scope, name)
            if source is None:
                raise errors.not_found(f"Event source {name} does not exist.")
        elif source_name:
            raise errors.validation("EventSourceName is only allowed for partner event buses.")
        if self.buses.get(scope, name) is not None:
            raise errors.exists(f"Event bus {name} already exists.")
        tags = tagging.tag_map(params.get("Tags"), TAG_RULES)
        now = time.time()
        record = compact({
            "Name": name,
            "Arn": self.bus_arn(context.account, context.region, name),
            "Description": params.get("Description"),
            "KmsKeyIdentifier": params.get("KmsKeyIdentifier"),
            "DeadLetterConfig": params.get("DeadLetterConfig"),
            "LogConfig": params.get("LogConfig"),
            "CreationTime": now,
            "LastModifiedTime": now,
            "Tags": tags,
        })  # fmt: skip
        with self.store.transaction():
            self.buses.put(scope, name, record)
        return compact({
            "EventBusArn": record["Arn"],
            "Description": record.get("Description"),
            "KmsKeyIdentifier": record.get("KmsKeyIdentifier"),
            "DeadLetterConfig": record.get("DeadLetterConfig"),
            "LogConfig": record.get("LogConfig"),
        })  # fmt: skip

    def update_event_bus(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.bus_ref(context, params.get("Name"))
        with self.store.transaction():
            record = self.bus(scope, name)
            for member in ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"):
                if member in params:
                    record[member] = params[member]
            record["LastModifiedTime"] = time.time()
            self.buses.put(scope, name, record)
        return compact({
            "Arn": record["Arn"],
            "Name": name,
            "KmsKeyIdentifier": record.get("KmsKeyIdentifier"),
            "Description": record.get("Description"),
            "DeadLetterConfig": record.get("DeadLetterConfig"),
            "LogConfig": record.get("LogConfig"),
        })  # fmt: skip

    def delete_event_bus(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.bus_ref(context, params["Name"])
        if name == DEFAULT_BUS:
            raise errors.validation("Cannot delete event bus default.")
        with self.store.transaction():
            if self.buses.delete(scope, name):
                for key, _ in list(self.rules.scan(scope, prefix=name + " ")):
                    self.rules.delete(scope, key)
                    self.runtime.scheduler.cancel(f"events:{scope}:{key}")
                self.rules_changed(scope, name)
        return {}

    def describe_event_bus(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.bus_ref(context, params.get("Name"))
        record = self.bus(scope, name)
        return self.render_bus(record, full=True)

    @staticmethod
    def render_bus(record: dict, full: bool = False) -> dict:
        out = {key: value for key, value in record.items() if key != "Tags"}
        if not full:
            for member in ("KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"):
                out.pop(member, None)
        return out

    def list_event_buses(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        prefix = params.get("NamePrefix") or ""

        rows = dict(self.buses.scan(scope, prefix=prefix))
        if DEFAULT_BUS.startswith(prefix) and DEFAULT_BUS not in rows:
            rows[DEFAULT_BUS] = self.bus(scope, DEFAULT_BUS)
        buses = [self.render_bus(rows[name]) for name in sorted(rows)]
        return page_items(self.store, "ListEventBuses", params, buses, "EventBuses", bind=prefix)

    # -- bus policies (PutPermission / RemovePermission) ----------------------------------------

    def put_permission(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.bus_ref(context, params.get("EventBusName"))
        with self.store.transaction():
            record = self.bus(scope, name)
            if params.get("Policy"):
                try:
                    policy = jsontext.loads(params["Policy"])
                except ValueError:
                    raise ServiceError(
                        "MalformedPolicyDocumentException", "Policy is not valid JSON."
                    ) from None
                if not isinstance(policy, dict):
                    raise ServiceError("MalformedPolicyDocumentException", "Policy is not valid JSON.")
            else:
                policy = self._statement_added(record, params)
            record["Policy"] = json.dumps(policy)
            self.buses.put(scope, name, record)
        return {}

    def _statement_added(self, record: dict, params: dict) -> dict:
        for member in ("Action", "Principal", "StatementId"):
            if not params.get(member):
                raise errors.validation(f"Parameter {member} must be specified.")
        if params["Action"] != "events:PutEvents":
            raise errors.validation("Provided value in parameter 'action' is not supported.")
        principal = params["Principal"]
        condition = params.get("Condition")
        if principal == "*" and not condition:
            pass
        elif principal != "*" and not (principal.isdigit() and len(principal) == 12):
            raise errors.validation(
                "Value of the parameter 'principal' must be '*' or a 12-digit AWS account id."
            )
        policy: dict[str, Any] = (
            jsontext.loads(record["Policy"])
            if record.get("Policy")
            else {"Version": "2012-10-17", "Statement": []}
        )
        statements = [s for s in policy.get("Statement", []) if s.get("Sid") != params["StatementId"]]
        account = record["Arn"].split(":")[4]
        statement: dict[str, Any] = {
            "Sid": params["StatementId"],
            "Effect": "Allow",
            "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
            "Action": "events:PutEvents",
            "Resource": record["Arn"],
        }
        if condition:
            statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
        elif principal == "*" and account:
            pass
        statements.append(statement)
        policy["Statement"] = statements
        return policy

    def remove_permission(self, context: RequestContext, params: dict) -> dict:
        scope, name = self.bus_ref(context, params.get("EventBusName"))
        with self.store.transaction():
            record = self.bus(scope, name)
            if params.get("RemoveAllPermissions"):
                record.pop("Policy", None)
            else:
                sid = params.get("StatementId")
                if not sid:
                    raise errors.validation("Parameter StatementId must be specified.")
                policy = jsontext.loads(record["Policy"]) if record.get("Policy") else {"Statement": []}
                statements = policy.get("Statement", [])
                kept = [s for s in statements if s.get("Sid") != sid]
                if len(kept) == len(statements):
                    raise errors.not_found("Statement with the provided id does not exist.")
                if kept:
                    policy["Statement"] = kept
                    record["Policy"] = json.dumps(policy)
                else:
                    record.pop("Policy", None)
            self.buses.put(scope, name, record)
        return {}

    def resource_policy(self, arn: str) -> str | None:
        parsed = parse_arn(arn)
        if parsed is None or not parsed.resource.startswith("event-bus/"):
            return None
        record = self.bus_record(
            store_scope(parsed.account, parsed.region), parsed.resource[len("event-bus/") :]
        )
        return record.get("Policy") if record else None

    # -- tags ----------------------------------------------------------------------------------

    def tagged(self, context: RequestContext, arn: str) -> tuple[Any, str, str, dict]:
        """(table, scope, key, record) of a taggable resource: a bus or a rule."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "events":
            raise errors.validation(
                "Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format."
            )
        scope = store_scope(parsed.account or context.account, parsed.region or context.region)
        kind, _, rest = parsed.resource.partition("/")
        if kind == "event-bus":
            record = self.bus_record(scope, rest)
            if record is None:
                raise errors.bus_not_found(rest)
            return self.buses, scope, rest, record
        if kind == "rule":
            bus, _, rule = rest.rpartition("/")
            bus = bus or DEFAULT_BUS
            record = self.rules.get(scope, f"{bus} {rule}")
            if record is None:
                raise errors.rule_not_found(rule, bus)
            return self.rules, scope, f"{bus} {rule}", record
        raise errors.not_found(f"Resource {arn} does not exist.")

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            table, scope, key, record = self.tagged(context, params["ResourceARN"])
            record["Tags"] = tagging.add_tags(record.get("Tags"), params["Tags"], TAG_RULES)
            table.put(scope, key, record)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            table, scope, key, record = self.tagged(context, params["ResourceARN"])
            record["Tags"] = tagging.remove_tags(record.get("Tags"), params["TagKeys"])
            table.put(scope, key, record)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        _, _, _, record = self.tagged(context, params["ResourceARN"])
        return {"Tags": tagging.tag_list(record.get("Tags"))}

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        parsed = parse_arn(arn)
        if parsed is None:
            return None
        try:
            _, _, _, record = self.tagged(
                RequestContext.internal("events", parsed.account, parsed.region), arn
            )
        except ServiceError:
            return None
        return record.get("Tags") or None

"""Global endpoints (stored, validated and returned as AWS gives them; events sent through
one reach the named bus of the caller's region) and partner event sources: a SaaS partner
account creates a source for a customer account (CreatePartnerEventSource), the customer sees
it (ListEventSources), activates it and creates the partner event bus of the same name, which
receives PutPartnerEvents.

A source is kept twice in the "sources" table: under its name in the customer's scope, and
under "@<name> <account>" in the partner's."""

from __future__ import annotations

import re
import secrets
import string
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.services.events import errors
from overcast.services.events.paging import page_items
from overcast.store import scope as store_scope

#: DescribeEndpoint's HomeRegion, as the model constrains it.
_REGION = re.compile(r"[\-a-z0-9]{9,20}")

if TYPE_CHECKING:
    from overcast.services.events.provider import Provider

_ENDPOINT_OUT = ("Name", "Description", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn",
                 "EndpointId", "EndpointUrl", "State", "StateReason", "CreationTime", "LastModifiedTime")  # fmt: skip
_PARTNER_PREFIX = "aws.partner/"


def _pick(record: dict, members: tuple[str, ...]) -> dict:
    return {member: record[member] for member in members if record.get(member) is not None}


def _endpoint_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return (
        "".join(secrets.choice(alphabet) for _ in range(5))
        + "."
        + "".join(secrets.choice(alphabet) for _ in range(4))
    )


def _check_buses(buses: list[dict]) -> None:
    if len(buses) != 2:
        raise errors.validation(
            "Parameter EventBuses is not valid. Reason: Exactly two event buses are required."
        )
    arns = [str(bus.get("EventBusArn", "")) for bus in buses]
    for arn in arns:
        parts = arn.split(":")
        if len(parts) != 6 or parts[2] != "events" or not parts[5].startswith("event-bus/"):
            raise errors.validation(
                f"Parameter EventBuses is not valid. Reason: {arn} is not an event bus ARN."
            )
    regions = {arn.split(":")[3] for arn in arns}
    if len(regions) != 2:
        raise errors.validation(
            "Parameter EventBuses is not valid. Reason: The event buses must be in different regions."
        )


class EndpointsMixin:
    # -- global endpoints ----------------------------------------------------------------------

    def endpoint(self: Provider, scope: str, name: str) -> dict:  # type: ignore[misc]
        record = self.endpoints.get(scope, name)
        if record is None:
            raise errors.not_found(f"Endpoint {name} does not exist.")
        return record

    def create_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["Name"]
        _check_buses(params["EventBuses"])
        now = time.time()
        endpoint_id = _endpoint_id()
        with self.store.transaction():
            if self.endpoints.get(scope, name) is not None:
                raise errors.exists(f"Endpoint {name} already exists.")
            record = {
                "Name": name,
                "Description": params.get("Description"),
                "Arn": build_arn("events", context.region, context.account, f"endpoint/{name}"),
                "RoutingConfig": params["RoutingConfig"],
                "ReplicationConfig": params.get("ReplicationConfig") or {"State": "ENABLED"},
                "EventBuses": params["EventBuses"],
                "RoleArn": params.get("RoleArn"),
                "EndpointId": endpoint_id,
                "EndpointUrl": f"https://{endpoint_id}.endpoint.events.amazonaws.com",
                "State": "ACTIVE",
                "CreationTime": now,
                "LastModifiedTime": now,
            }
            self.endpoints.put(scope, name, {k: v for k, v in record.items() if v is not None})
        return _pick(
            record, ("Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn", "State")
        )

    def describe_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        home = params.get("HomeRegion")
        if home is not None and not _REGION.fullmatch(home):
            raise errors.validation(
                f"1 validation error detected: Value '{home}' at 'homeRegion' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: ^[\\-a-z0-9]+$"
            )
        scope = store_scope(context.account, home or context.region)
        return _pick(self.endpoint(scope, params["Name"]), _ENDPOINT_OUT)

    def update_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        if params.get("EventBuses") is not None:
            _check_buses(params["EventBuses"])
        with self.store.transaction():
            record = self.endpoint(scope, params["Name"])
            for member in ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn"):
                if params.get(member) is not None:
                    record[member] = params[member]
            record["LastModifiedTime"] = time.time()
            self.endpoints.put(scope, params["Name"], record)
        return _pick(record, ("Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn",
                              "EndpointId", "EndpointUrl", "State"))  # fmt: skip

    def delete_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            self.endpoint(scope, params["Name"])
            self.endpoints.delete(scope, params["Name"])
        return {}

    def list_endpoints(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = store_scope(context.account, params.get("HomeRegion") or context.region)
        prefix = params.get("NamePrefix") or ""
        rows = [_pick(record, _ENDPOINT_OUT) for _, record in self.endpoints.scan(scope, prefix=prefix)]
        return page_items(
            self.store, "ListEndpoints", params, rows, "Endpoints", bind=prefix, limit_key="MaxResults"
        )

    # -- partner event sources -----------------------------------------------------------------

    def create_partner_event_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, account = params["Name"], params["Account"]
        if not name.startswith(_PARTNER_PREFIX):
            raise errors.validation(f"Event source name must start with {_PARTNER_PREFIX}.")
        customer = store_scope(account, context.region)
        partner = self.scope_of(context)
        arn = build_arn("events", context.region, "", f"event-source/{name}")
        with self.store.transaction():
            if self.sources.get(customer, name) is not None:
                raise errors.exists(f"Event source {name} already exists.")
            now = time.time()
            self.sources.put(customer, name, {
                "Name": name, "Arn": arn, "CreatedBy": name[len(_PARTNER_PREFIX):].split("/")[0],
                "CreationTime": now, "State": "PENDING", "Partner": context.account,
            })  # fmt: skip
            self.sources.put(partner, f"@{name} {account}", {"Name": name, "Arn": arn, "Account": account,
                                                            "CreationTime": now})  # fmt: skip
        return {"EventSourceArn": arn}

    def delete_partner_event_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, account = params["Name"], params["Account"]
        with self.store.transaction():
            self.sources.delete(self.scope_of(context), f"@{name} {account}")
            customer = store_scope(account, context.region)
            record = self.sources.get(customer, name)
            if record is not None and record.get("Partner") == context.account:
                self.sources.delete(customer, name)
        return {}

    def _partner_rows(self: Provider, scope: str, name: str) -> list[dict]:  # type: ignore[misc]
        return [record for _, record in self.sources.scan(scope, prefix=f"@{name} ")]

    def describe_partner_event_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = self._partner_rows(self.scope_of(context), params["Name"])
        if not rows:
            raise errors.not_found(f"Event source {params['Name']} does not exist.")
        return {"Arn": rows[0]["Arn"], "Name": rows[0]["Name"]}

    def list_partner_event_sources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        prefix = params["NamePrefix"]
        names: dict[str, dict] = {}
        for _, record in self.sources.scan(scope, prefix="@" + prefix):
            names.setdefault(record["Name"], {"Arn": record["Arn"], "Name": record["Name"]})
        return _page(self, "ListPartnerEventSources", params, list(names.values()), prefix)

    def list_partner_event_source_accounts(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["EventSourceName"]
        rows = self._partner_rows(scope, name)
        if not rows:
            raise errors.not_found(f"Event source {name} does not exist.")
        accounts = []
        for row in rows:
            customer = self.sources.get(store_scope(row["Account"], context.region), name) or {}
            accounts.append({"Account": row["Account"], "CreationTime": row["CreationTime"],
                             "State": customer.get("State", "DELETED")})  # fmt: skip
        return _page(self, "ListPartnerEventSourceAccounts", params, accounts, name)

    def event_source(self: Provider, context: RequestContext, name: str) -> dict:  # type: ignore[misc]
        record = self.sources.get(self.scope_of(context), name)
        if record is None or name.startswith("@"):
            raise errors.not_found(f"Event source {name} does not exist.")
        return record

    def _set_source_state(self: Provider, context: RequestContext, name: str, state: str) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            record = self.event_source(context, name)
            record["State"] = state
            self.sources.put(self.scope_of(context), name, record)
        return {}

    def activate_event_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_source_state(context, params["Name"], "ACTIVE")

    def deactivate_event_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_source_state(context, params["Name"], "PENDING")

    def describe_event_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.event_source(context, params["Name"])
        return {
            key: record[key] for key in ("Arn", "CreatedBy", "CreationTime", "Name", "State") if key in record
        }

    def list_event_sources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        prefix = params.get("NamePrefix") or ""
        rows = [
            {
                key: record[key]
                for key in ("Arn", "CreatedBy", "CreationTime", "Name", "State")
                if key in record
            }
            for key, record in self.sources.scan(scope, prefix=prefix)
            if not key.startswith("@")
        ]
        return _page(self, "ListEventSources", params, rows, prefix)


_RESULT_KEYS = {
    "ListPartnerEventSources": "PartnerEventSources",
    "ListPartnerEventSourceAccounts": "PartnerEventSourceAccounts",
    "ListEventSources": "EventSources",
}


def _page(provider: Any, operation: str, params: dict, items: list, bind: str) -> dict:
    return page_items(provider.store, operation, params, items, _RESULT_KEYS[operation], bind=bind)

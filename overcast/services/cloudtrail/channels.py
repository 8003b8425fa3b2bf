"""CloudTrail Lake channels (a source of events outside AWS feeding event data stores),
dashboards (widgets of Lake queries, refreshed on demand), and the resource-based policies
trails, event data stores, channels and dashboards carry."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.arns import build_arn
from overcast.common.tagging import tag_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudtrail import lakesql
from overcast.services.cloudtrail import trails as rules
from overcast.services.cloudtrail.lake import STORE_ARN, inactive
from overcast.services.cloudtrail.paging import page
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.cloudtrail.provider import Provider

CHANNEL_ARN = re.compile(r"arn:[\w-]+:cloudtrail:([a-z0-9-]+):(\d{12}):channel/([\w-]+)")
DASHBOARD_ARN = re.compile(r"arn:[\w-]+:cloudtrail:([a-z0-9-]+):(\d{12}):dashboard/([\w-]+)")
MAX_CHANNELS_PER_REGION = 25
MAX_DASHBOARDS_PER_REGION = 100
MAX_WIDGETS = 10
#: Event data store categories a channel may send to: events from outside AWS.
_CHANNEL_CATEGORY = "ActivityAuditLog"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: The placeholders a dashboard widget's QueryParameters may hold, and their default values.
_DEFAULT_PERIOD = timedelta(days=1)


def refresh_due(dashboard: dict, now: datetime) -> bool:
    """Whether a dashboard's refresh schedule (enabled, every 1/6/12 hours or daily at a time
    of day) calls for a refresh at `now`."""
    schedule = dashboard.get("RefreshSchedule") or {}
    frequency = schedule.get("Frequency") or {}
    if schedule.get("Status") != "ENABLED" or not frequency.get("Value"):
        return False
    last = dashboard.get("LastRefreshAt") or dashboard["CreatedTimestamp"]
    if frequency.get("Unit") == "HOURS":
        return now - last >= timedelta(hours=frequency["Value"])
    hour, _, minute = (schedule.get("TimeOfDay") or "00:00").partition(":")
    due = now.replace(hour=int(hour) % 24, minute=int(minute or 0) % 60, second=0, microsecond=0)
    if due > now:
        due -= timedelta(days=1)
    return last < due


def _channel_not_found(reference: str) -> ServiceError:
    return rules.error("ChannelNotFoundException", f"Channel {reference} does not exist.")


def _dashboard_not_found(reference: str) -> ServiceError:
    return rules.error("ResourceNotFoundException", f"Dashboard {reference} does not exist.")


class ChannelMixin:
    # -- channels ------------------------------------------------------------------------------

    def channel_list(self: Provider, context: RequestContext) -> list[dict]:  # type: ignore[misc]
        return [c for _k, c in self.channels.scan(store_scope(context.account, context.region))]

    def _channel(self: Provider, context: RequestContext, reference: str) -> dict:  # type: ignore[misc]
        channel_id = reference
        if reference.startswith("arn:"):
            match = CHANNEL_ARN.fullmatch(reference)
            if match is None:
                raise rules.error("ChannelARNInvalidException", f"The channel ARN {reference} is not valid.")
            region, account, channel_id = match.groups()
            if (region, account) != (context.region, context.account):
                raise _channel_not_found(reference)
        found = self.channels.get(store_scope(context.account, context.region), channel_id)
        if found is None:
            raise _channel_not_found(reference)
        return found

    def _check_destinations(self: Provider, context: RequestContext, destinations: list) -> None:  # type: ignore[misc]
        if not destinations:
            raise rules.error("InvalidParameterException", "A channel needs at least one destination.")
        for destination in destinations:
            if destination["Type"] != "EVENT_DATA_STORE":
                continue
            store = self.lake_store(context, destination["Location"])
            if store["Status"] == "PENDING_DELETION":
                raise inactive(store)
            categories = {
                value
                for selector in store.get("AdvancedEventSelectors") or ()
                for field in selector["FieldSelectors"]
                if field["Field"] == "eventCategory"
                for value in field.get("Equals") or ()
            }
            if _CHANNEL_CATEGORY not in categories:
                raise rules.error(
                    "InvalidEventDataStoreCategoryException",
                    f"Event data store {store['EventDataStoreArn']} does not collect events from outside AWS "
                    f"(eventCategory {_CHANNEL_CATEGORY}).",
                )
            destination["Location"] = store["EventDataStoreArn"]

    def create_channel(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        source = params["Source"]
        if source != "Custom" and not _UUID.fullmatch(source) and not source.startswith("arn:"):
            raise rules.error("InvalidSourceException", f"The source {source} is not valid.")
        existing = self.channel_list(context)
        if any(c["Name"] == params["Name"] for c in existing):
            raise rules.error(
                "ChannelAlreadyExistsException", f"A channel named {params['Name']} already exists."
            )
        if len(existing) >= MAX_CHANNELS_PER_REGION:
            raise rules.error(
                "ChannelMaxLimitExceededException",
                f"Your account has the maximum number of channels ({MAX_CHANNELS_PER_REGION}) in this Region.",
            )
        destinations = [dict(d) for d in params["Destinations"]]
        self._check_destinations(context, destinations)
        tags = params.get("Tags") or []
        self._check_tags(tags, 0)
        channel_id = str(uuid.uuid4())
        channel = {
            "Id": channel_id,
            "ChannelArn": build_arn("cloudtrail", context.region, context.account, f"channel/{channel_id}"),
            "Name": params["Name"],
            "Source": source,
            "Destinations": destinations,
            "Tags": {t["Key"]: t.get("Value") for t in tags},
        }
        with self.store.transaction():
            self.channels.put(store_scope(context.account, context.region), channel_id, channel)
        out = {k: channel[k] for k in ("ChannelArn", "Name", "Source", "Destinations")}
        if tags:
            out["Tags"] = tag_list(channel["Tags"])
        return out

    def get_channel(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        channel = self._channel(context, params["Channel"])
        return {
            "ChannelArn": channel["ChannelArn"],
            "Name": channel["Name"],
            "Source": channel["Source"],
            "SourceConfig": {"ApplyToAllRegions": False, "AdvancedEventSelectors": []},
            "Destinations": channel["Destinations"],
            "IngestionStatus": channel.get("IngestionStatus") or {},
        }

    def update_channel(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        channel = self._channel(context, params["Channel"])
        name = params.get("Name")
        if name and name != channel["Name"] and any(c["Name"] == name for c in self.channel_list(context)):
            raise rules.error("ChannelAlreadyExistsException", f"A channel named {name} already exists.")
        if "Destinations" in params:
            destinations = [dict(d) for d in params["Destinations"]]
            self._check_destinations(context, destinations)
            channel["Destinations"] = destinations
        if name:
            channel["Name"] = name
        with self.store.transaction():
            self.channels.put(store_scope(context.account, context.region), channel["Id"], channel)
        return {k: channel[k] for k in ("ChannelArn", "Name", "Source", "Destinations")}

    def delete_channel(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        channel = self._channel(context, params["Channel"])
        with self.store.transaction():
            self.channels.delete(store_scope(context.account, context.region), channel["Id"])
            self.policies.delete(context.account, channel["ChannelArn"])
        return {}

    def list_channels(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found = [{"ChannelArn": c["ChannelArn"], "Name": c["Name"]} for c in self.channel_list(context)]
        return page(self.store, "ListChannels", params, found, "Channels", default_limit=1000)

    # -- dashboards ------------------------------------------------------------------------------------

    def _dashboard(self: Provider, context: RequestContext, reference: str) -> dict:  # type: ignore[misc]
        name = reference
        if reference.startswith("arn:"):
            match = DASHBOARD_ARN.fullmatch(reference)
            if match is None or match.group(1, 2) != (context.region, context.account):
                raise _dashboard_not_found(reference)
            name = match.group(3)
        found = self.dashboards.get(store_scope(context.account, context.region), name)
        if found is None:
            raise _dashboard_not_found(reference)
        return found

    def _widgets(self: Provider, context: RequestContext, widgets: list, name: str) -> list[dict]:  # type: ignore[misc]
        if len(widgets) > MAX_WIDGETS:
            raise rules.error(
                "InvalidParameterException", f"A dashboard can have at most {MAX_WIDGETS} widgets."
            )
        out = []
        for position, widget in enumerate(widgets):
            parameters = widget.get("QueryParameters") or []
            # The placeholders are filled in at refresh time; any value checks the statement.
            lakesql.check(
                lakesql.prepare(
                    widget["QueryStatement"],
                    ["x"] * len(parameters),
                    lambda ref: self._resolve_store(context, ref),
                )
            )
            entry: dict[str, Any] = {
                "QueryAlias": f"{name}-widget-{position + 1}",
                "QueryStatement": widget["QueryStatement"],
                "ViewProperties": widget["ViewProperties"],
            }
            if parameters:
                entry["QueryParameters"] = parameters
            out.append(entry)
        return out

    @staticmethod
    def _check_schedule(schedule: dict | None) -> None:
        if not schedule:
            return
        frequency = schedule.get("Frequency") or {}
        unit, value = frequency.get("Unit"), frequency.get("Value")
        allowed = {"HOURS": (1, 6, 12), "DAYS": (1,)}
        if unit is not None and value not in allowed.get(unit, ()):
            raise rules.error(
                "InvalidParameterException",
                "The refresh frequency must be 1, 6 or 12 hours, or 1 day.",
            )

    def create_dashboard(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, scope = params["Name"], store_scope(context.account, context.region)
        if self.dashboards.get(scope, name) is not None:
            raise rules.error("ConflictException", f"A dashboard named {name} already exists.")
        if self.dashboards.count(scope) >= MAX_DASHBOARDS_PER_REGION:
            raise rules.error(
                "ServiceQuotaExceededException",
                f"Your account has the maximum number of dashboards ({MAX_DASHBOARDS_PER_REGION}) in this Region.",
            )
        self._check_schedule(params.get("RefreshSchedule"))
        tags = params.get("TagsList") or []
        self._check_tags(tags, 0)
        now = datetime.now(UTC)
        dashboard: dict[str, Any] = {
            "DashboardArn": build_arn("cloudtrail", context.region, context.account, f"dashboard/{name}"),
            "Name": name,
            "Type": "CUSTOM",
            "Status": "CREATED",
            "Widgets": self._widgets(context, params.get("Widgets") or [], name),
            "TerminationProtectionEnabled": params.get("TerminationProtectionEnabled", False),
            "CreatedTimestamp": now,
            "UpdatedTimestamp": now,
            "Tags": {t["Key"]: t.get("Value") for t in tags},
        }
        if params.get("RefreshSchedule"):
            dashboard["RefreshSchedule"] = params["RefreshSchedule"]
        with self.store.transaction():
            self.dashboards.put(scope, name, dashboard)
        out: dict[str, Any] = {
            k: dashboard[k]
            for k in (
                "DashboardArn",
                "Name",
                "Type",
                "Widgets",
                "RefreshSchedule",
                "TerminationProtectionEnabled",
            )
            if k in dashboard
        }
        if tags:
            out["TagsList"] = tag_list(dashboard["Tags"])
        return out

    def get_dashboard(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        dashboard = self._dashboard(context, params["DashboardId"])
        return {
            k: dashboard[k]
            for k in (
                "DashboardArn",
                "Type",
                "Status",
                "Widgets",
                "RefreshSchedule",
                "CreatedTimestamp",
                "UpdatedTimestamp",
                "LastRefreshId",
                "LastRefreshFailureReason",
                "TerminationProtectionEnabled",
            )
            if dashboard.get(k) is not None
        }

    def update_dashboard(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        dashboard = self._dashboard(context, params["DashboardId"])
        if "Widgets" in params:
            dashboard["Widgets"] = self._widgets(context, params["Widgets"], dashboard["Name"])
        if "RefreshSchedule" in params:
            self._check_schedule(params["RefreshSchedule"])
            dashboard["RefreshSchedule"] = params["RefreshSchedule"]
        if "TerminationProtectionEnabled" in params:
            dashboard["TerminationProtectionEnabled"] = params["TerminationProtectionEnabled"]
        dashboard["Status"] = "UPDATED"
        dashboard["UpdatedTimestamp"] = datetime.now(UTC)
        with self.store.transaction():
            self.dashboards.put(store_scope(context.account, context.region), dashboard["Name"], dashboard)
        return {
            k: dashboard[k]
            for k in (
                "DashboardArn",
                "Name",
                "Type",
                "Widgets",
                "RefreshSchedule",
                "TerminationProtectionEnabled",
                "CreatedTimestamp",
                "UpdatedTimestamp",
            )
            if k in dashboard
        }

    def delete_dashboard(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        dashboard = self._dashboard(context, params["DashboardId"])
        if dashboard.get("TerminationProtectionEnabled"):
            raise rules.error(
                "ConflictException",
                f"Dashboard {dashboard['Name']} has termination protection enabled; disable it before deleting.",
            )
        with self.store.transaction():
            self.dashboards.delete(store_scope(context.account, context.region), dashboard["Name"])
            self.policies.delete(context.account, dashboard["DashboardArn"])
        return {}

    def list_dashboards(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        prefix, kind = params.get("NamePrefix") or "", params.get("Type")
        found = [
            {"DashboardArn": d["DashboardArn"], "Type": d["Type"]}
            for _k, d in self.dashboards.scan(store_scope(context.account, context.region), prefix=prefix)
            if kind is None or d["Type"] == kind
        ]
        return page(self.store, "ListDashboards", params, found, "Dashboards", default_limit=1000)

    def start_dashboard_refresh(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        dashboard = self._dashboard(context, params["DashboardId"])
        return {"RefreshId": self._refresh(context, dashboard, params.get("QueryParameterValues") or {})}

    def _refresh(self: Provider, context: RequestContext, dashboard: dict, given: dict) -> str:  # type: ignore[misc]
        """Start the query of each widget, its placeholders filled; returns the refresh id."""
        now = datetime.now(UTC)
        values = {
            "$StartTime$": lakesql.lake_time(now - _DEFAULT_PERIOD),
            "$EndTime$": lakesql.lake_time(now),
            "$Period$": "1d",
            **{(key if key.startswith("$") else f"${key}$"): value for key, value in given.items()},
        }
        refresh_id = str(time.time_ns() // 1_000_000)
        for widget in dashboard["Widgets"]:
            parameters = [values.get(p, p) for p in widget.get("QueryParameters") or []]
            prepared = lakesql.prepare(
                widget["QueryStatement"], parameters, lambda ref: self._resolve_store(context, ref)
            )
            self.launch_query(
                context, widget["QueryStatement"], prepared, {"QueryAlias": widget["QueryAlias"]}, refresh_id
            )
        dashboard["LastRefreshId"] = refresh_id
        dashboard["LastRefreshAt"] = now
        dashboard.pop("LastRefreshFailureReason", None)
        with self.store.transaction():
            self.dashboards.put(store_scope(context.account, context.region), dashboard["Name"], dashboard)
        return refresh_id

    def refresh_due_dashboards(self: Provider, now: datetime | None = None) -> int:  # type: ignore[misc]
        """Refresh every dashboard whose enabled schedule says it is time (run every minute).
        Returns how many were refreshed or failed to."""
        now = now or datetime.now(UTC)
        handled = 0
        for scope in self.dashboards.scopes():
            account, _, region = scope.partition("/")
            for _key, dashboard in list(self.dashboards.scan(scope)):
                if not refresh_due(dashboard, now):
                    continue
                handled += 1
                try:
                    self._refresh(RequestContext.internal("cloudtrail", account, region), dashboard, {})
                except ServiceError as error:
                    # A widget's store was deleted meanwhile, say: the dashboard says why.
                    dashboard["LastRefreshAt"] = now
                    dashboard["LastRefreshFailureReason"] = error.message
                    with self.store.transaction():
                        self.dashboards.put(scope, dashboard["Name"], dashboard)
        return handled

    # -- resource policies ---------------------------------------------------------------------------

    def _policy_target(self: Provider, context: RequestContext, arn: str) -> str:  # type: ignore[misc]
        """The ARN of the trail, event data store, channel or dashboard a policy is for."""
        if not arn.startswith("arn:") or arn.count(":") < 5:
            raise rules.error("ResourceARNNotValidException", f"Resource ARN {arn} is not valid.")
        # Each kind of resource a policy may be on, and how to look one up.
        lookups = (
            (STORE_ARN, self.lake_store),
            (CHANNEL_ARN, self._channel),
            (DASHBOARD_ARN, self._dashboard),
        )
        for pattern, lookup in lookups:
            if pattern.fullmatch(arn):
                try:
                    lookup(context, arn)
                except ServiceError:
                    raise rules.error("ResourceNotFoundException", f"Resource not found: {arn}") from None
                return arn
        if rules.TRAIL_ARN.fullmatch(arn):
            self._tagged(context, arn)
            return arn
        raise rules.error(
            "ResourceTypeNotSupportedException",
            "Resource policies are supported on trails, event data stores, channels and dashboards only.",
        )

    def put_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._policy_target(context, params["ResourceArn"])
        policy = params["ResourcePolicy"]
        try:
            document = jsontext.loads(policy)
        except ValueError:
            document = None
        statements = document.get("Statement") if isinstance(document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        if (
            not isinstance(statements, list)
            or not statements
            or not all(
                isinstance(s, dict)
                and s.get("Effect") in ("Allow", "Deny")
                and ("Principal" in s)
                and "Action" in s
                for s in statements
            )
        ):
            raise rules.error(
                "ResourcePolicyNotValidException",
                "The resource policy is not valid: it must be a JSON policy document whose statements "
                "each name an Effect, a Principal and an Action.",
            )
        with self.store.transaction():
            self.policies.put(context.account, arn, policy)
        return {"ResourceArn": arn, "ResourcePolicy": policy}

    def get_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._policy_target(context, params["ResourceArn"])
        policy = self.policies.get(context.account, arn)
        if policy is None:
            raise rules.error("ResourcePolicyNotFoundException", f"No resource policy is attached to {arn}.")
        return {"ResourceArn": arn, "ResourcePolicy": policy}

    def delete_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._policy_target(context, params["ResourceArn"])
        with self.store.transaction():
            if not self.policies.delete(context.account, arn):
                raise rules.error(
                    "ResourcePolicyNotFoundException", f"No resource policy is attached to {arn}."
                )
        return {}

    def resource_policy(self: Provider, resource_arn: str) -> str | None:  # type: ignore[misc]
        """The policy on a trail, event data store, channel or dashboard, for IAM's enforcement."""
        parts = resource_arn.split(":")
        return self.policies.get(parts[4], resource_arn) if len(parts) > 5 and parts[4] else None

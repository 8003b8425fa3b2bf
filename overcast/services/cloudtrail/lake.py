"""CloudTrail Lake event data stores: their lifecycle (created, ingesting or stopped, pending
deletion for seven days, restored) and the events each holds.

An event data store holds the events the recorder captured while its ingestion was on (each
ingestion period is kept), that its advanced event selectors select, within its retention, in
its region or, multi-Region, in every region; plus the events imported into it (imports.py)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.common.tagging import tag_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudtrail import trails as rules
from overcast.services.cloudtrail.paging import page
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.cloudtrail.provider import Provider

STORE_ARN = re.compile(r"arn:[\w-]+:cloudtrail:([a-z0-9-]+):(\d{12}):eventdatastore/([\w-]+)")
MAX_STORES_PER_REGION = 10
#: Days a deleted event data store waits in PENDING_DELETION before it is gone.
DELETION_WAIT_DAYS = 7
DAY_US = 86_400 * 1_000_000
MAX_RETENTION = {"EXTENDABLE_RETENTION_PRICING": 3653, "FIXED_RETENTION_PRICING": 2557}
DEFAULT_RETENTION = {"EXTENDABLE_RETENTION_PRICING": 366, "FIXED_RETENTION_PRICING": 2557}
DEFAULT_SELECTORS = [
    {
        "Name": "Default management events",
        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
    }
]
_SUMMARY = (
    "EventDataStoreArn",
    "Name",
    "TerminationProtectionEnabled",
    "Status",
    "AdvancedEventSelectors",
    "MultiRegionEnabled",
    "OrganizationEnabled",
    "RetentionPeriod",
    "CreatedTimestamp",
    "UpdatedTimestamp",
)
_DETAIL = (*_SUMMARY, "KmsKeyId", "BillingMode")


def _now_us() -> int:
    return time.time_ns() // 1000


def _utc(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1e6, UTC)


def not_found(reference: str) -> Exception:
    return rules.error(
        "EventDataStoreNotFoundException", f"The specified event data store {reference} was not found."
    )


def inactive(store: dict) -> Exception:
    return rules.error(
        "InactiveEventDataStoreException",
        f"The event data store {store['EventDataStoreArn']} is inactive: it is pending deletion.",
    )


def lake_gone(store: dict) -> bool:
    """Whether a store pending deletion is past its wait (and so no longer exists)."""
    deleted = store.get("DeletedAt")
    return deleted is not None and _now_us() - deleted >= DELETION_WAIT_DAYS * DAY_US


def ingesting(store: dict) -> bool:
    return bool(store["Ingestion"]) and store["Ingestion"][-1][1] is None


class LakeMixin:
    # -- storage --------------------------------------------------------------------------------

    def lake_store(self: Provider, context: RequestContext, reference: str | None) -> dict:  # type: ignore[misc]
        """The event data store an EventDataStore parameter (ARN or id) names, in the caller's
        account and region; one past its deletion wait is gone."""
        if not reference:
            raise rules.error("InvalidParameterException", "EventDataStore is required.")
        store_id = reference
        if reference.startswith("arn:"):
            match = STORE_ARN.fullmatch(reference)
            if match is None:
                raise rules.error(
                    "EventDataStoreARNInvalidException",
                    f"The specified event data store ARN {reference} is not valid or does not map to an event data store in your account.",
                )
            region, account, store_id = match.groups()
            if (region, account) != (context.region, context.account):
                raise not_found(reference)
        found = self.data_stores.get(store_scope(context.account, context.region), store_id)
        if found is None or self._lake_purged(context, found):
            raise not_found(reference)
        return found

    def _lake_purged(self: Provider, context: RequestContext, store: dict) -> bool:  # type: ignore[misc]
        if not lake_gone(store):
            return False
        with self.store.transaction():
            self.data_stores.delete(store_scope(context.account, context.region), store["Id"])
        return True

    def lake_stores(self: Provider, context: RequestContext) -> list[dict]:  # type: ignore[misc]
        scope = store_scope(context.account, context.region)
        return [s for _k, s in self.data_stores.scan(scope) if not self._lake_purged(context, s)]

    def _lake_save(self: Provider, store: dict) -> None:  # type: ignore[misc]
        self.data_stores.put(store_scope(store["Account"], store["Region"]), store["Id"], store)

    @staticmethod
    def _lake_output(store: dict, names: tuple = _DETAIL) -> dict:
        out: dict[str, Any] = {}
        for name in names:
            if name in ("CreatedTimestamp", "UpdatedTimestamp"):
                out[name] = _utc(store[name])
            elif store.get(name) is not None:
                out[name] = store[name]
        return out

    def _lake_check(self: Provider, context: RequestContext, store: dict, params: dict) -> None:  # type: ignore[misc]
        if params.get("OrganizationEnabled"):
            raise rules.error(
                "OrganizationsNotInUseException", "This account is not a member of an organization."
            )
        billing = params.get("BillingMode", store["BillingMode"])
        if store["BillingMode"] == "EXTENDABLE_RETENTION_PRICING" and billing == "FIXED_RETENTION_PRICING":
            raise rules.error(
                "InvalidParameterException",
                "You cannot change the billing mode from extendable retention pricing to fixed retention pricing.",
            )
        retention = params.get("RetentionPeriod", store.get("RetentionPeriod") or DEFAULT_RETENTION[billing])
        if retention > MAX_RETENTION[billing]:
            raise rules.error(
                "InvalidParameterException",
                f"The retention period for the {billing} billing mode must be between 7 and {MAX_RETENTION[billing]} days.",
            )
        if "AdvancedEventSelectors" in params:
            selectors = params["AdvancedEventSelectors"]
            if len(selectors) > 5:
                raise rules.error(
                    "InvalidEventSelectorsException",
                    "An event data store can have at most 5 advanced event selectors.",
                )
            rules.validate_selectors(None, selectors)
        name = params.get("Name")
        if name and name != store.get("Name"):
            if any(other["Name"] == name for other in self.lake_stores(context)):
                raise rules.error(
                    "EventDataStoreAlreadyExistsException",
                    f"An event data store with the name {name} already exists.",
                )
        store["BillingMode"] = billing
        store["RetentionPeriod"] = retention
        for member in (
            "Name",
            "AdvancedEventSelectors",
            "MultiRegionEnabled",
            "TerminationProtectionEnabled",
        ):
            if member in params:
                store[member] = params[member]
        if params.get("KmsKeyId"):
            store["KmsKeyId"] = self.kms_key_arn(context, params["KmsKeyId"])

    # -- operations ----------------------------------------------------------------------------------

    def create_event_data_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        existing = self.lake_stores(context)
        if any(other["Name"] == params["Name"] for other in existing):
            raise rules.error(
                "EventDataStoreAlreadyExistsException",
                f"An event data store with the name {params['Name']} already exists.",
            )
        if len(existing) >= MAX_STORES_PER_REGION:
            raise rules.error(
                "EventDataStoreMaxLimitExceededException",
                f"Your account has the maximum number of event data stores ({MAX_STORES_PER_REGION}) in this Region.",
            )
        store_id = str(uuid.uuid4())
        now = _now_us()
        store: dict[str, Any] = {
            "Id": store_id,
            "Account": context.account,
            "Region": context.region,
            "EventDataStoreArn": build_arn(
                "cloudtrail", context.region, context.account, f"eventdatastore/{store_id}"
            ),
            "Name": params["Name"],
            "AdvancedEventSelectors": DEFAULT_SELECTORS,
            "MultiRegionEnabled": True,
            "OrganizationEnabled": False,
            "TerminationProtectionEnabled": True,
            "BillingMode": "EXTENDABLE_RETENTION_PRICING",
            "CreatedTimestamp": now,
            "UpdatedTimestamp": now,
            "Ingestion": [],
            "Tags": {},
            "FederationStatus": "DISABLED",
        }
        self._lake_check(context, store, params)
        tags = params.get("TagsList") or []
        self._check_tags(tags, 0)
        store["Tags"] = {tag["Key"]: tag.get("Value") for tag in tags}
        start = params.get("StartIngestion", True)
        if start:
            store["Ingestion"] = [[now, None]]
        store["Status"] = "ENABLED" if start else "STOPPED_INGESTION"
        with self.store.transaction():
            self._lake_save(store)
        self.refresh_data_selection()
        out = self._lake_output(store)
        out["Status"] = "CREATED"  # what AWS answers while it sets the store up
        if tags:
            out["TagsList"] = tag_list(store["Tags"])
        return out

    def get_event_data_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        store = self.lake_store(context, params["EventDataStore"])
        out = self._lake_output(store)
        out["FederationStatus"] = store.get("FederationStatus", "DISABLED")
        if store.get("FederationRoleArn"):
            out["FederationRoleArn"] = store["FederationRoleArn"]
        return out

    def update_event_data_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        store = self.lake_store(context, params["EventDataStore"])
        if store["Status"] == "PENDING_DELETION":
            raise inactive(store)
        if params.get("KmsKeyId") and store.get("KmsKeyId"):
            if self.kms_key_arn(context, params["KmsKeyId"]) != store["KmsKeyId"]:
                raise rules.error(
                    "InvalidParameterException",
                    "The KMS key of an event data store cannot be changed once it is set.",
                )
        self._lake_check(context, store, params)
        store["UpdatedTimestamp"] = _now_us()
        with self.store.transaction():
            self._lake_save(store)
        self.refresh_data_selection()
        return self.get_event_data_store(context, {"EventDataStore": store["Id"]})

    def delete_event_data_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        store = self.lake_store(context, params["EventDataStore"])
        if store["Status"] == "PENDING_DELETION":
            raise inactive(store)
        if store.get("TerminationProtectionEnabled"):
            raise rules.error(
                "EventDataStoreTerminationProtectedException",
                f"Event data store {store['EventDataStoreArn']} cannot be deleted because termination protection is enabled.",
            )
        if store.get("FederationStatus") == "ENABLED":
            raise rules.error(
                "EventDataStoreFederationEnabledException",
                "You cannot delete an event data store that has Lake query federation enabled.",
            )
        if any(channel_uses(store["EventDataStoreArn"], c) for c in self.channel_list(context)):
            raise rules.error(
                "ChannelExistsForEDSException",
                f"A channel sends events to event data store {store['EventDataStoreArn']}; delete the channel first.",
            )
        now = _now_us()
        store["WasIngesting"] = ingesting(store)
        if ingesting(store):
            store["Ingestion"][-1][1] = now
        store["Status"] = "PENDING_DELETION"
        store["DeletedAt"] = now
        store["UpdatedTimestamp"] = now
        with self.store.transaction():
            self._lake_save(store)
        self.refresh_data_selection()
        return {}

    def restore_event_data_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        store = self.lake_store(context, params["EventDataStore"])
        if store["Status"] != "PENDING_DELETION":
            raise rules.error(
                "InvalidEventDataStoreStatusException",
                f"Event data store {store['EventDataStoreArn']} is not pending deletion; its status is {store['Status']}.",
            )
        active = [s for s in self.lake_stores(context) if s["Status"] != "PENDING_DELETION"]
        if len(active) >= MAX_STORES_PER_REGION:
            raise rules.error(
                "EventDataStoreMaxLimitExceededException",
                f"Your account has the maximum number of event data stores ({MAX_STORES_PER_REGION}) in this Region.",
            )
        now = _now_us()
        if store.pop("WasIngesting", False):
            store["Ingestion"].append([now, None])
        store["Status"] = "ENABLED" if ingesting(store) else "STOPPED_INGESTION"
        store.pop("DeletedAt", None)
        store["UpdatedTimestamp"] = now
        with self.store.transaction():
            self._lake_save(store)
        self.refresh_data_selection()
        return self._lake_output(store)

    def list_event_data_stores(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found = [self._lake_output(s, _SUMMARY) for s in self.lake_stores(context)]
        return page(self.store, "ListEventDataStores", params, found, "EventDataStores", default_limit=1000)

    def _ingestion(self: Provider, context: RequestContext, params: dict, start: bool) -> dict:  # type: ignore[misc]
        store = self.lake_store(context, params["EventDataStore"])
        if not _holds_cloudtrail_events(store):
            raise rules.error(
                "InvalidEventDataStoreCategoryException",
                "Ingestion can be started or stopped only on event data stores of CloudTrail events.",
            )
        wanted = "STOPPED_INGESTION" if start else "ENABLED"
        if store["Status"] != wanted:
            raise rules.error(
                "InvalidEventDataStoreStatusException",
                f"Event data store {store['EventDataStoreArn']} has status {store['Status']}; "
                f"{'StartEventDataStoreIngestion' if start else 'StopEventDataStoreIngestion'} needs {wanted}.",
            )
        now = _now_us()
        if start:
            store["Ingestion"].append([now, None])
        else:
            store["Ingestion"][-1][1] = now
        store["Status"] = "ENABLED" if start else "STOPPED_INGESTION"
        store["UpdatedTimestamp"] = now
        with self.store.transaction():
            self._lake_save(store)
        self.refresh_data_selection()
        return {}

    def start_event_data_store_ingestion(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._ingestion(context, params, True)

    def stop_event_data_store_ingestion(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._ingestion(context, params, False)

    # -- the events a store holds --------------------------------------------------------------------

    def event_data_store_events(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        store_arn: str,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> tuple[str, list[tuple[int, dict]]] | None:
        """(status, [(event time in ms, event)] oldest first) of the account's event data
        store `store_arn`, within [start_ms, end_ms] and its retention; None when the account
        has no store of that ARN in `region`. What Logs' import tasks read (CreateImportTask)."""
        context = RequestContext.internal("cloudtrail", account, region)
        try:
            store = self.lake_store(context, store_arn)
        except ServiceError:
            return None
        since = None if start_ms is None else start_ms * 1000
        until = None if end_ms is None else end_ms * 1000
        events = [
            (int(moment.timestamp() * 1000), event) for event, moment in self.lake_events(store, since, until)
        ]
        events.sort(key=lambda pair: pair[0])
        return str(store["Status"]), events

    def lake_wants_data_events(self: Provider) -> bool:  # type: ignore[misc]
        for scope in self.data_stores.scopes():
            for _key, store in self.data_stores.scan(scope):
                if ingesting(store) and rules.wants_data_events(store):
                    return True
        return False

    def lake_events(  # type: ignore[misc]
        self: Provider, store: dict, since_us: int | None = None, until_us: int | None = None
    ) -> Iterator[tuple[dict, datetime]]:
        """(event, time) of every event the store holds (within [since_us, until_us] when
        given), newest recorded first, then imported."""
        self.recorder.flush()
        now = _now_us()
        oldest = max(now - store["RetentionPeriod"] * DAY_US, since_us or 0)
        if until_us is not None:
            now = min(now, until_us)
        account = store["Account"]
        regions = {store["Region"]}
        if store.get("MultiRegionEnabled"):
            for table in (self.recorder.chunks, self.recorder.data_chunks):
                for scope in table.scopes():
                    owner, _, region = scope.partition("/")
                    if owner == account and region:
                        regions.add(region)
        wants_data = rules.wants_data_events(store)
        for start, end in store["Ingestion"]:
            low, high = max(start, oldest), min(end, now) if end is not None else now
            if low > high:
                continue
            for region in sorted(regions):
                scope = store_scope(account, region)
                for data in (False, True) if wants_data else (False,):
                    for _chunk, _index, record in self.recorder.records(scope, low, high, data=data):
                        if rules.selects(store, record):
                            yield record.event(), _utc(record.ts_us)
        for _key, event in self.lake_imported.scan(
            store_scope(account, store["Region"]), prefix=store["Id"] + "/"
        ):
            moment = _parse_event_time(event.get("eventTime"))
            if moment is not None and oldest <= moment.timestamp() * 1e6 <= now:
                yield event, moment


def _holds_cloudtrail_events(store: dict) -> bool:
    return not any(
        field.get("Field") == "eventCategory"
        and set(field.get("Equals") or ()) & {"ConfigurationItem", "ActivityAuditLog", "Insight"}
        for selector in store.get("AdvancedEventSelectors") or ()
        for field in selector.get("FieldSelectors") or ()
    )


def channel_uses(store_arn: str, channel: dict) -> bool:
    return any(d.get("Location") == store_arn for d in channel.get("Destinations") or ())


def _parse_event_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None

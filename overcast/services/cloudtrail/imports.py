"""Imports of CloudTrail log files from S3 into event data stores, and the smaller Lake and
trail settings: Lake query federation, event configuration, Insights data, and organization
delegated administrators.

An import reads every CloudTrail log file (gzipped JSON {"Records": [...]}, the files trails
write) under its S3 location, keeps the events within its time range and adds them to each
destination event data store; a file that is not a log file is a failure ListImportFailures
names."""

from __future__ import annotations

import gzip
import inspect
import logging
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from overcast.common import jsontext
from overcast.common.arns import build_arn
from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudtrail import trails as rules
from overcast.services.cloudtrail.lake import _holds_cloudtrail_events, inactive
from overcast.services.cloudtrail.paging import page
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.cloudtrail.provider import Provider

_IMPORT_OUTPUT = (
    "ImportId",
    "Destinations",
    "ImportSource",
    "StartEventTime",
    "EndEventTime",
    "ImportStatus",
    "CreatedTimestamp",
    "UpdatedTimestamp",
)
_STATISTICS = ("PrefixesFound", "PrefixesCompleted", "FilesCompleted", "EventsCompleted", "FailedEntries")
log = logging.getLogger(__name__)
_ROLE_ARN = r"arn:[\w-]+:iam::\d{12}:role/[\w+=,.@/-]+"


def _import_not_found(import_id: str) -> ServiceError:
    return rules.error("ImportNotFoundException", f"The import {import_id} was not found.")


def _event_time(event: dict) -> datetime | None:
    try:
        return datetime.strptime(event["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (KeyError, TypeError, ValueError):
        return None


def _listed_keys(contents: object) -> list[str]:
    """The keys of a ListObjectsV2 page's Contents: S3 hands its entries on as their XML."""
    if isinstance(contents, str):
        root = ElementTree.fromstring(f"<Contents>{contents}</Contents>")
        return [element.text or "" for element in root.iter("Key")]
    return [entry["Key"] for entry in contents or ()]  # type: ignore[attr-defined]


class ImportMixin:
    # -- imports ----------------------------------------------------------------------------------

    def _import(self: Provider, context: RequestContext, import_id: str) -> dict:  # type: ignore[misc]
        found = self.lake_imports.get(context.account, import_id)
        if found is None:
            raise _import_not_found(import_id)
        return found

    @staticmethod
    def _import_output(record: dict, statistics: bool = False) -> dict:
        out = {k: record[k] for k in _IMPORT_OUTPUT if record.get(k) is not None}
        if statistics:
            out["ImportStatistics"] = {k: record["Statistics"].get(k, 0) for k in _STATISTICS}
        return out

    def start_import(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params.get("ImportId"):
            record = self._import(context, params["ImportId"])
            if record["ImportStatus"] not in ("STOPPED", "FAILED"):
                raise rules.error(
                    "InvalidParameterException", "Only a stopped or failed import can be started again."
                )
        else:
            if not params.get("Destinations") or not params.get("ImportSource"):
                raise rules.error(
                    "InvalidParameterException",
                    "Destinations and ImportSource are required for a new import.",
                )
            record = {
                "ImportId": str(uuid.uuid4()),
                "Region": context.region,
                "Destinations": [],
                "ImportSource": params["ImportSource"],
                "StartEventTime": params.get("StartEventTime"),
                "EndEventTime": params.get("EndEventTime"),
                "CreatedTimestamp": datetime.now(UTC),
                "Statistics": {},
                "Failures": [],
            }
            start, end = record["StartEventTime"], record["EndEventTime"]
            if start and end and start > end:
                raise rules.error("InvalidParameterException", "StartEventTime must be before EndEventTime.")
            for reference in params["Destinations"]:
                store = self.lake_store(context, reference)
                if store["Status"] == "PENDING_DELETION":
                    raise inactive(store)
                if not _holds_cloudtrail_events(store):
                    raise rules.error(
                        "InvalidEventDataStoreCategoryException",
                        f"Event data store {store['EventDataStoreArn']} does not hold CloudTrail events.",
                    )
                record["Destinations"].append(store["EventDataStoreArn"])
            source = record["ImportSource"]["S3"]
            uri = source["S3LocationUri"]
            if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
                raise rules.error(
                    "InvalidImportSourceException", f"The import source {uri} is not an S3 URI."
                )
            if not re.fullmatch(_ROLE_ARN, source["S3BucketAccessRoleArn"]):
                raise rules.error(
                    "InvalidImportSourceException",
                    f"The role {source['S3BucketAccessRoleArn']} is not a valid IAM role ARN.",
                )
        if any(
            other["ImportStatus"] in ("INITIALIZING", "IN_PROGRESS")
            and other["ImportId"] != record["ImportId"]
            for _k, other in self.lake_imports.scan(context.account)
        ):
            raise rules.error(
                "AccountHasOngoingImportException", "Your account already has an import in progress."
            )
        record["ImportStatus"] = "INITIALIZING"
        record["UpdatedTimestamp"] = datetime.now(UTC)
        with self.store.transaction():
            self.lake_imports.put(context.account, record["ImportId"], record)
        self.runtime.spawn(self._run_import(context.account, record["ImportId"]), "cloudtrail-lake-import")
        return self._import_output(record)

    async def _run_import(self: Provider, account: str, import_id: str) -> None:  # type: ignore[misc]
        try:
            await self._import_files(account, import_id)
        except Exception:
            # An import never stays IN_PROGRESS: what went wrong is logged, the import FAILED.
            log.exception("cloudtrail import %s failed", import_id)
            self._finish_import(account, import_id, "FAILED", Counter(), [])

    async def _import_files(self: Provider, account: str, import_id: str) -> None:  # type: ignore[misc]
        record = self.lake_imports.get(account, import_id)
        if record is None or record["ImportStatus"] != "INITIALIZING":
            return
        source = record["ImportSource"]["S3"]
        bucket, _, prefix = source["S3LocationUri"][5:].partition("/")
        region = source["S3BucketRegion"]
        record["ImportStatus"] = "IN_PROGRESS"
        self.lake_imports.put(account, import_id, record)
        stats: Counter = Counter()
        failures: list[dict] = []
        try:
            keys = await self._s3_keys(account, region, bucket, prefix)
        except ServiceError as error:
            self._finish_import(
                account, import_id, "FAILED", stats, [self._failure(source["S3LocationUri"], error)]
            )
            return
        stats["PrefixesFound"] = len({key.rsplit("/", 1)[0] for key in keys}) if keys else 0
        start, end = record.get("StartEventTime"), record.get("EndEventTime")
        for key in keys:
            current = self.lake_imports.get(account, import_id)
            if current is None or current["ImportStatus"] == "STOPPED":
                return
            location = f"s3://{bucket}/{key}"
            try:
                events = jsontext.loads(gzip.decompress(await self._s3_read(account, region, bucket, key)))[
                    "Records"
                ]
                if not isinstance(events, list):
                    raise ValueError("Records is not a list")
            except ServiceError as error:
                failures.append(self._failure(location, error))
                stats["FailedEntries"] += 1
                continue
            except (OSError, ValueError, KeyError, TypeError):
                failures.append(
                    self._failure(
                        location, rules.error("InvalidLogFile", "The file is not a CloudTrail log file.")
                    )
                )
                stats["FailedEntries"] += 1
                continue
            with self.store.transaction():
                for event in events:
                    moment = _event_time(event) if isinstance(event, dict) else None
                    if moment is None or not event.get("eventID"):
                        stats["FailedEntries"] += 1
                        continue
                    if (start and moment < start) or (end and moment > end):
                        continue
                    for arn in record["Destinations"]:
                        store_id = arn.rsplit("/", 1)[1]
                        self.lake_imported.put(
                            store_scope(account, arn.split(":")[3]),
                            f"{store_id}/{event['eventTime']}/{event['eventID']}",
                            event,
                        )
                    stats["EventsCompleted"] += 1
            stats["FilesCompleted"] += 1
        stats["PrefixesCompleted"] = stats["PrefixesFound"]
        self._finish_import(account, import_id, "COMPLETED", stats, failures)

    def _finish_import(  # type: ignore[misc]
        self: Provider, account: str, import_id: str, status: str, stats: Counter, failures: list
    ) -> None:
        record = self.lake_imports.get(account, import_id)
        if record is None or record["ImportStatus"] == "STOPPED":
            return
        record["ImportStatus"] = status
        record["Statistics"] = dict(stats)
        record["Failures"] = failures
        record["UpdatedTimestamp"] = datetime.now(UTC)
        with self.store.transaction():
            self.lake_imports.put(account, import_id, record)

    @staticmethod
    def _failure(location: str, error: ServiceError) -> dict:
        return {
            "Location": location,
            "Status": "FAILED",
            "ErrorType": error.code,
            "ErrorMessage": error.message,
            "LastUpdatedTime": datetime.now(UTC),
        }

    async def _s3_call(self: Provider, operation: str, account: str, region: str, params: dict) -> dict:  # type: ignore[misc]
        s3 = self.delivery._s3()
        handler = getattr(s3, operation, None)
        if handler is None:
            raise ServiceError("NoSuchBucket", "The specified bucket does not exist", 404)
        context = RequestContext.internal(
            "s3",
            account,
            region,
            principal_arn=build_arn("iam", region, account, "root", global_service=True),
        )
        result = handler(context, params)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _s3_keys(self: Provider, account: str, region: str, bucket: str, prefix: str) -> list[str]:  # type: ignore[misc]
        keys: list[str] = []
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        while True:
            listing = await self._s3_call("list_objects_v2", account, region, params)
            keys += [key for key in _listed_keys(listing.get("Contents")) if key.endswith(".json.gz")]
            if not listing.get("NextContinuationToken"):
                return keys
            params["ContinuationToken"] = listing["NextContinuationToken"]

    async def _s3_read(self: Provider, account: str, region: str, bucket: str, key: str) -> bytes:  # type: ignore[misc]
        body = (await self._s3_call("get_object", account, region, {"Bucket": bucket, "Key": key}))["Body"]
        if isinstance(body, bytes | bytearray):
            return bytes(body)
        try:
            return body.read()
        finally:
            body.close()

    def get_import(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._import_output(self._import(context, params["ImportId"]), statistics=True)

    def stop_import(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._import(context, params["ImportId"])
        if record["ImportStatus"] in ("INITIALIZING", "IN_PROGRESS"):
            record["ImportStatus"] = "STOPPED"
            record["UpdatedTimestamp"] = datetime.now(UTC)
            with self.store.transaction():
                self.lake_imports.put(context.account, record["ImportId"], record)
        return self._import_output(record, statistics=True)

    def list_imports(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        destination = params.get("Destination")
        if destination:
            destination = self.lake_store(context, destination)["EventDataStoreArn"]
        status = params.get("ImportStatus")
        found = [
            {
                k: r[k]
                for k in ("ImportId", "ImportStatus", "Destinations", "CreatedTimestamp", "UpdatedTimestamp")
            }
            for _k, r in sorted(
                self.lake_imports.scan(context.account), key=lambda kv: kv[1]["CreatedTimestamp"]
            )
            if (status is None or r["ImportStatus"] == status)
            and (destination is None or destination in r["Destinations"])
        ]
        return page(self.store, "ListImports", params, found, "Imports", default_limit=1000)

    def list_import_failures(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._import(context, params["ImportId"])
        return page(
            self.store,
            "ListImportFailures",
            params,
            record["Failures"],
            "Failures",
            default_limit=1000,
            bind=record["ImportId"],
        )

    # -- Lake query federation --------------------------------------------------------------------

    def enable_federation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        store = self.lake_store(context, params["EventDataStore"])
        if store["Status"] == "PENDING_DELETION":
            raise inactive(store)
        if store.get("FederationStatus") == "ENABLED":
            raise rules.error(
                "EventDataStoreFederationEnabledException",
                f"Lake query federation is already enabled for {store['EventDataStoreArn']}.",
            )
        if not re.fullmatch(_ROLE_ARN, params["FederationRoleArn"]):
            raise rules.error(
                "InvalidParameterException", f"{params['FederationRoleArn']} is not an IAM role ARN."
            )
        # Federation registers the store's events as a table in the AWS Glue Data Catalog under
        # AWS Lake Formation. Overcast has neither service, so CloudTrail cannot reach the
        # dependency, which AWS reports with this error.
        raise rules.error(
            "InsufficientDependencyServiceAccessPermissionException",
            "CloudTrail cannot create the AWS Glue Data Catalog resources for Lake query federation: "
            "AWS Glue and AWS Lake Formation are not available.",
        )

    def disable_federation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        store = self.lake_store(context, params["EventDataStore"])
        if store["Status"] == "PENDING_DELETION":
            raise inactive(store)
        return {"EventDataStoreArn": store["EventDataStoreArn"], "FederationStatus": "DISABLED"}

    # -- event configuration -----------------------------------------------------------------------

    def _configured(self: Provider, context: RequestContext, params: dict, *, home: bool) -> tuple[str, dict]:  # type: ignore[misc]
        trail_name, store_ref = params.get("TrailName"), params.get("EventDataStore")
        if bool(trail_name) == bool(store_ref):
            raise rules.error(
                "InvalidParameterCombinationException",
                "You must specify either TrailName or EventDataStore, not both.",
            )
        if trail_name:
            _key, trail = self._find(context, trail_name, home=home)
            return "TrailARN", trail
        store = self.lake_store(context, store_ref)
        if store["Status"] == "PENDING_DELETION" and home:
            raise inactive(store)
        return "EventDataStoreArn", store

    def put_event_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        member, resource = self._configured(context, params, home=True)
        arn = resource[member]
        configuration = self.event_configurations.get(context.account, arn) or {"MaxEventSize": "Standard"}
        for name in ("MaxEventSize", "ContextKeySelectors", "AggregationConfigurations"):
            if name in params:
                configuration[name] = params[name]
        if len(configuration.get("ContextKeySelectors") or ()) > 2:
            raise rules.error("InvalidParameterException", "You can specify at most 2 context key selectors.")
        if configuration.get("ContextKeySelectors") and configuration["MaxEventSize"] != "Large":
            raise rules.error("InvalidParameterException", "Context key selectors need MaxEventSize Large.")
        with self.store.transaction():
            self.event_configurations.put(context.account, arn, configuration)
        return {member: arn, **configuration}

    def get_event_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        member, resource = self._configured(context, params, home=False)
        arn = resource[member]
        configuration = self.event_configurations.get(context.account, arn) or {"MaxEventSize": "Standard"}
        return {member: arn, **configuration}

    # -- Insights ------------------------------------------------------------------------------------

    def list_insights_data(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        source = params["InsightSource"]
        if rules.TRAIL_ARN.fullmatch(source):
            self._find(context, source)
        else:
            try:
                self.lake_store(context, source)
            except ServiceError:
                raise rules.error(
                    "InvalidParameterException", f"InsightSource {source} is not valid."
                ) from None
        start, end = params.get("StartTime"), params.get("EndTime")
        if start and end and start > end:
            raise rules.error("InvalidParameterException", "StartTime must be before EndTime.")
        # Insights events come from anomaly detection over weeks of baseline, which Overcast
        # does not run: the source has none, as a new trail on AWS has none.
        return {"Events": []}

    def list_insights_metric_data(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """The call (or error) counts of one API per period, from the recorded events."""
        trail = None
        if params.get("TrailName"):
            _key, trail = self._find(context, params["TrailName"])
        period = params.get("Period") or 3600
        if period not in (60, 300, 3600):
            raise rules.error("InvalidParameterException", "Period must be 60, 300 or 3600 seconds.")
        now = datetime.now(UTC)
        end = params.get("EndTime") or now
        start = params.get("StartTime") or end - timedelta(days=90)
        if start > end:
            raise rules.error("InvalidParameterException", "StartTime must be before EndTime.")
        errors = params["InsightType"] == "ApiErrorRateInsight"
        wanted_error = params.get("ErrorCode")
        if wanted_error and not errors:
            raise rules.error("InvalidParameterException", "ErrorCode applies to ApiErrorRateInsight only.")
        self.recorder.flush()
        counts: Counter = Counter()
        start_us, end_us = int(start.timestamp() * 1e6), int(end.timestamp() * 1e6)
        for _chunk, _index, record in self.recorder.records(
            store_scope(context.account, context.region),
            start_us,
            end_us,
            attribute=("EventName", params["EventName"]),
        ):
            if record.event_name != params["EventName"] or record.event_source != params["EventSource"]:
                continue
            if errors and (not record.error_code or (wanted_error and record.error_code != wanted_error)):
                continue
            counts[record.ts_us // 1_000_000 // period * period] += 1
        first = int(start.timestamp()) // period * period
        limit = params.get("MaxResults") or 21600
        offset = 0
        if params.get("NextToken"):
            try:
                offset = int(
                    decode_token(
                        self.store, "ListInsightsMetricData", params["NextToken"], params["EventName"]
                    )
                )
            except (ValueError, TypeError):
                raise rules.error("InvalidParameterException", "Invalid NextToken.") from None
        buckets: range | list[int]
        if params.get("DataType") == "FillWithZeros":
            # Only the page's periods are made: from 1970 by the minute is 29 million of them.
            last = int(end.timestamp())
            total = max(0, (last - first) // period + 1)
            buckets = range(first + offset * period, min(last + 1, first + (offset + limit) * period), period)
        else:
            counted = sorted(counts)
            total = len(counted)
            buckets = counted[offset : offset + limit]
        chosen = [(datetime.fromtimestamp(b, UTC), float(counts.get(b, 0))) for b in buckets]
        out: dict[str, Any] = {
            "EventSource": params["EventSource"],
            "EventName": params["EventName"],
            "InsightType": params["InsightType"],
            "Timestamps": [t for t, _v in chosen],
            "Values": [v for _t, v in chosen],
        }
        if trail is not None:
            out["TrailARN"] = trail["TrailARN"]
        if wanted_error:
            out["ErrorCode"] = wanted_error
        if offset + limit < total:
            out["NextToken"] = encode_token(
                self.store, "ListInsightsMetricData", offset + limit, params["EventName"]
            )
        return out

    # -- organizations ------------------------------------------------------------------------------

    def register_organization_delegated_admin(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise rules.error(
            "OrganizationsNotInUseException", "This account is not a member of an organization."
        )

    def deregister_organization_delegated_admin(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        raise rules.error(
            "OrganizationsNotInUseException", "This account is not a member of an organization."
        )

"""CloudWatch Contributor Insights settings of tables and indexes, and Kinesis Data Streams
destinations of tables. Mixed into the Provider.

Contributor Insights is a setting with AWS's state machine (ENABLING → ENABLED, DISABLING →
DISABLED) and its rule names; the rules' figures live in CloudWatch, which Overcast does not run.
A Kinesis streaming destination names a stream of Overcast's Kinesis (one that does not exist is
refused as AWS refuses it); item changes are delivered to the active ones (kinesis.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb.values import validation
from overcast.store import scope as make_scope

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider

#: The rules CloudWatch keeps per mode: partition and sort keys, by accesses (C) or throttles (T).
RULE_KINDS = {"ACCESSED_AND_THROTTLED_KEYS": ("PKC", "PKT", "SKC", "SKT"), "THROTTLED_KEYS": ("PKT", "SKT")}
#: A status being entered settles on the next read (AWS takes seconds).
SETTLES = {"ENABLING": "ENABLED", "DISABLING": "DISABLED"}


def _rules(record: dict, index: str | None, mode: str, created: float) -> list[str]:
    has_range = len(record["KeySchema"]) > 1
    if index is not None:
        spec = next(
            i
            for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
            for i in record.get(kind) or ()
            if i["IndexName"] == index
        )
        has_range = len(spec["KeySchema"]) > 1
    target = record["TableName"] if index is None else f"{record['TableName']}-{index}"
    return [
        f"DynamoDBContributorInsights-{kind}-{target}-{int(created * 1000)}"
        for kind in RULE_KINDS[mode]
        if has_range or kind.startswith("PK")
    ]


class InsightsMixin:
    # -- contributor insights -------------------------------------------------------------------

    def _insights_target(self: Provider, context: RequestContext, params: dict) -> tuple[str, dict, str]:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._require(scope, params["TableName"])
        index = params.get("IndexName")
        if index is not None and not any(
            i["IndexName"] == index
            for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
            for i in record.get(kind) or ()
        ):
            raise ServiceError(
                "ResourceNotFoundException",
                f"Requested resource not found: Index: {index} not found for table: {record['TableName']}",
                400,
            )
        return scope, record, index or ""

    def _insights(self: Provider, record: dict, index: str) -> dict | None:  # type: ignore[misc]
        entry = (record.get("insights") or {}).get(index)
        if entry is not None and entry["status"] in SETTLES:
            entry = {**entry, "status": SETTLES[entry["status"]]}
        return entry

    def describe_contributor_insights(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, record, index = self._insights_target(context, params)
        out: dict = {"TableName": record["TableName"]}
        if index:
            out["IndexName"] = index
        entry = self._insights(record, index)
        if entry is None:
            out["ContributorInsightsStatus"] = "DISABLED"
            return out
        out["ContributorInsightsStatus"] = entry["status"]
        out["LastUpdateDateTime"] = entry["updated"]
        if entry["status"] == "ENABLED":
            out["ContributorInsightsRuleList"] = _rules(
                record, index or None, entry["mode"], entry["updated"]
            )
            out["ContributorInsightsMode"] = entry["mode"]
        return out

    def update_contributor_insights(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, record, index = self._insights_target(context, params)
        action = params["ContributorInsightsAction"]
        current = self._insights(record, index)
        mode = (
            params.get("ContributorInsightsMode")
            or (current or {}).get("mode")
            or "ACCESSED_AND_THROTTLED_KEYS"
        )
        status = "ENABLING" if action == "ENABLE" else "DISABLING"
        insights = dict(record.get("insights") or {})
        insights[index] = {"status": status, "mode": mode, "updated": time.time()}
        self._save(scope, {**record, "insights": insights})
        out: dict = {"TableName": record["TableName"], "ContributorInsightsStatus": status}
        if index:
            out["IndexName"] = index
        if action == "ENABLE":
            out["ContributorInsightsMode"] = mode
        return out

    def list_contributor_insights(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        if params.get("TableName"):
            records = [self._require(scope, params["TableName"])]
        else:
            records = [record for _name, record in self._tables.scan(scope)]
        summaries = []
        for record in records:
            for index in sorted(record.get("insights") or {}):
                entry = self._insights(record, index)
                if entry is None:
                    continue
                summary = {"TableName": record["TableName"], "ContributorInsightsStatus": entry["status"]}
                if index:
                    summary["IndexName"] = index
                if entry["status"] == "ENABLED":
                    summary["ContributorInsightsMode"] = entry["mode"]
                summaries.append(summary)
        # botocore has no paginator for this operation: the token holds an offset, tamper-checked.
        start = 0
        if params.get("NextToken"):
            try:
                start = int(decode_token(self.store, "ListContributorInsights", params["NextToken"]))
            except (ValueError, TypeError):
                raise validation("Invalid NextToken") from None
        end = start + (params.get("MaxResults") or 100)
        out: dict = {"ContributorInsightsSummaries": summaries[start:end]}
        if end < len(summaries):
            out["NextToken"] = encode_token(self.store, "ListContributorInsights", end)
        return out

    # -- Kinesis Data Streams destinations --------------------------------------------------------
    # A table's destinations live in its record ("kinesis_destinations"); the active ones are in
    # its schema, and every item change is delivered to them (kinesis.py).

    def _no_destination(self: Provider, record: dict, arn: str) -> ServiceError:  # type: ignore[misc]
        return validation(
            "Table is not in a valid state to enable Kinesis Streaming Destination: No streaming destination with"
            f" streamArn: {arn} found for table with tableName: {record['TableName']}"
        )

    def _destination(self: Provider, record: dict, arn: str) -> dict:  # type: ignore[misc]
        for destination in record.get("kinesis_destinations") or ():
            if destination["StreamArn"] == arn and destination["DestinationStatus"] == "ACTIVE":
                return destination
        raise self._no_destination(record, arn)

    def enable_kinesis_streaming_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        arn = params["StreamArn"]
        precision = (params.get("EnableKinesisStreamingConfiguration") or {}).get(
            "ApproximateCreationDateTimePrecision", "MILLISECOND"
        )
        with self.store.transaction():
            record = self._require(scope, params["TableName"])
            if (
                not self.runtime.serves("kinesis")
                or self.runtime.provider("kinesis").stream_by_arn(arn) is None
            ):
                # AWS answers a stream it cannot use (one that does not exist included) so.
                raise validation("User does not have a permission to use kinesis stream")
            destinations = [d for d in record.get("kinesis_destinations") or () if d["StreamArn"] != arn]
            if any(
                d["StreamArn"] == arn and d["DestinationStatus"] == "ACTIVE"
                for d in record.get("kinesis_destinations") or ()
            ):
                raise validation("Table is already streaming to the given Kinesis Data Stream destination.")
            if sum(d["DestinationStatus"] == "ACTIVE" for d in destinations) >= 2:
                raise ServiceError(
                    "LimitExceededException", "A table can have at most 2 Kinesis streaming destinations."
                )
            destinations.append(
                {
                    "StreamArn": arn,
                    "DestinationStatus": "ACTIVE",
                    "ApproximateCreationDateTimePrecision": precision,
                }
            )
            record["kinesis_destinations"] = destinations
            self._save(scope, record)
        return {
            "TableName": record["TableName"],
            "StreamArn": arn,
            "DestinationStatus": "ENABLING",
            "EnableKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision},
        }

    def describe_kinesis_streaming_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._require(scope, params["TableName"])
        return {
            "TableName": record["TableName"],
            "KinesisDataStreamDestinations": [dict(d) for d in record.get("kinesis_destinations") or ()],
        }

    def disable_kinesis_streaming_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        with self.store.transaction():
            record = self._require(scope, params["TableName"])
            destination = self._destination(record, params["StreamArn"])
            destination["DestinationStatus"] = "DISABLED"
            self._save(scope, record)
        return {
            "TableName": record["TableName"],
            "StreamArn": params["StreamArn"],
            "DestinationStatus": "DISABLING",
            "EnableKinesisStreamingConfiguration": {
                "ApproximateCreationDateTimePrecision": destination["ApproximateCreationDateTimePrecision"]
            },
        }

    def update_kinesis_streaming_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        configuration = params.get("UpdateKinesisStreamingConfiguration") or {}
        with self.store.transaction():
            record = self._require(scope, params["TableName"])
            if not any(value is not None for value in configuration.values()):
                raise validation(
                    "Streaming destination cannot be updated with given parameters: UpdateKinesisStreamingConfiguration"
                    " cannot be null or contain only null values"
                )
            destination = self._destination(record, params["StreamArn"])
            precision = configuration["ApproximateCreationDateTimePrecision"]
            if destination["ApproximateCreationDateTimePrecision"] == precision:
                raise validation(
                    "Invalid Request: Precision is already set to the desired value of "
                    f"{precision} for this Kinesis data stream destination."
                )
            destination["ApproximateCreationDateTimePrecision"] = precision
            self._save(scope, record)
        return {
            "TableName": record["TableName"],
            "StreamArn": params["StreamArn"],
            "DestinationStatus": "UPDATING",
            "UpdateKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision},
        }

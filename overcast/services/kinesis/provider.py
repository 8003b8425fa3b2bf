"""Amazon Kinesis Data Streams: streams (provisioned and on-demand) of shards over the MD5
hash key space, records with ordered sequence numbers that survive restarts and age out after
the retention period, shard iterators, resharding, enhanced fan-out consumers with
SubscribeToShard over the event stream, encryption through KMS, tags and resource policies.

Tables (scope = account/region):
  streams    stream name → the stream (its shards with their hash key ranges, settings, tags)
  records    "<stream uid>/<shard index>/<counter>" → the record (arrival, rendered; records.py)
  consumers  "<stream name>/<consumer name>" → the consumer
  policies   resource ARN → policy text
  account    "settings" → DescribeAccountSettings' answer
  queues, queue_records, channels: see queues.py and channels.py
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from overcast.bus import DeliveryError
from overcast.common import tagging
from overcast.common.arns import parse_arn
from overcast.common.ids import fast_uuid
from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.store import scope as store_scope

from . import shards as sh
from .channels import ChannelsMixin
from .consumers import ConsumersMixin
from .errors import dry_run, in_use, invalid, limit, not_found, stream_missing, validation
from .queues import RESOURCE_TAG_RULES, QueuesMixin
from .records import RecordsMixin

STREAM_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
SHARD_ID = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
HASH_KEY = re.compile(r"^(0|[1-9]\d{0,38})$")
SHARD_LIMIT = 500
ON_DEMAND_LIMIT = 50
ON_DEMAND_SHARDS = 4
MIN_RETENTION, MAX_RETENTION = 24, 8760
METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)
TAG_RULES = tagging.TagRules(
    refuse=tagging.refusals(
        "InvalidArgumentException",
        {
            tagging.TagProblem.TOO_MANY: (
                "InvalidArgumentException",
                "A stream cannot have more than 50 tags.",
            )
        },
        limit=50,
    ),
    max_tags=50,
)


def check_shard_id(value: str, field: str) -> None:
    if not SHARD_ID.match(value):
        raise validation(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )


def hour_seconds() -> float:
    """The length of a retention hour (tests shorten it to see records age out)."""
    return tuning("OVERCAST_KINESIS_HOUR_SECONDS")


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Provider(QueuesMixin, ChannelsMixin, ConsumersMixin, RecordsMixin, BaseProvider):
    service = "kinesis"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.streams = self.store.table("kinesis", "streams")
        self.records = self.store.table("kinesis", "records")
        self.consumers = self.store.table("kinesis", "consumers")
        self.policies = self.store.table("kinesis", "policies")
        self.account_settings = self.store.table("kinesis", "account")
        self.init_records()
        self.init_queues()
        self.init_channels()

    def start(self) -> None:
        self.runtime.every(1.0, self.sweep, name="kinesis retention")
        self.start_consumers()

    def state_replaced(self) -> None:
        self.forget_cached()

    def stop(self) -> None:
        self.end_subscriptions()

    # -- finding streams ------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def locate(self, context: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
        """(scope, name) of the stream a request names by StreamName or StreamARN."""
        name, arn = params.get("StreamName"), params.get("StreamARN")
        if arn:
            parsed = parse_arn(arn)
            if parsed is None or parsed.service != "kinesis" or not parsed.resource.startswith("stream/"):
                raise invalid(f"Invalid StreamARN: {arn}")
            arn_name = parsed.resource.split("/")[1]
            if name and name != arn_name:
                raise invalid("StreamARN and StreamName do not refer to the same stream.")
            return store_scope(parsed.account, parsed.region), arn_name
        if not name:
            raise invalid("Either StreamName or StreamARN should be provided.")
        if not STREAM_NAME.match(name):
            raise validation(
                f"1 validation error detected: Value '{name}' at 'streamName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            )
        return self.scope_of(context), name

    def stream(self, context: RequestContext, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        scope, name = self.locate(context, params)
        row = self.cached_stream(scope, name)
        if row is None:
            raise stream_missing(params.get("StreamARN") or name, scope.split("/")[0])
        return scope, row

    def edit_stream(self, context: RequestContext, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Like stream(), a copy of its own to change and save (stream() answers the cached one)."""
        scope, name = self.locate(context, params)
        row = self.streams.get(scope, name)
        if row is None:
            raise stream_missing(params.get("StreamARN") or name, scope.split("/")[0])
        return scope, row

    def stream_by_arn(self, arn: str) -> tuple[str, dict[str, Any]] | None:
        parsed = parse_arn(arn)
        if parsed is None or not parsed.resource.startswith("stream/"):
            return None
        scope = store_scope(parsed.account, parsed.region)
        row = self.cached_stream(scope, parsed.resource.split("/")[1])
        return None if row is None else (scope, row)

    def save_stream(self, scope: str, row: dict[str, Any]) -> None:
        self.streams.put(scope, row["StreamName"], row)
        self.stream_changed(scope, row)

    @staticmethod
    def check_active(row: dict[str, Any]) -> None:
        if row["StreamStatus"] != "ACTIVE":
            raise in_use(
                f"Stream {row['StreamName']} under account {row['StreamARN'].split(':')[4]} not ACTIVE, "
                f"instead in state {row['StreamStatus']}"
            )

    # -- streams --------------------------------------------------------------------------------

    def create_stream(self, context: RequestContext, params: dict) -> dict:
        name = params["StreamName"]
        if not STREAM_NAME.match(name):
            raise validation(
                f"1 validation error detected: Value '{name}' at 'streamName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            )
        mode = (params.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
        count = params.get("ShardCount")
        if mode == "PROVISIONED":
            if count is None:
                raise invalid("ShardCount is required for a stream in PROVISIONED mode.")
            if count < 1:
                raise validation(
                    f"1 validation error detected: Value '{count}' at 'shardCount' failed to satisfy "
                    "constraint: Member must have value greater than or equal to 1"
                )
        else:
            count = count or ON_DEMAND_SHARDS
        max_record = params.get("MaxRecordSizeInKiB", 1024)
        if not 1024 <= max_record <= 10240:
            raise validation("MaxRecordSizeInKiB must be between 1024 and 10240.")
        tags = tagging.tag_map(params.get("Tags"), TAG_RULES)
        scope = self.scope_of(context)
        with self.store.transaction():
            if self.streams.get(scope, name) is not None:
                raise in_use(f"Stream {name} under account {context.account} already exists.")
            rows = [row for _, row in self.streams.scan(scope)]
            open_count = sum(len(sh.open_shards(r)) for r in rows)
            if open_count + count > SHARD_LIMIT:
                raise limit(
                    f"This request would exceed the shard limit for the account {context.account} in "
                    f"{context.region}. Current shard count for the account: {open_count}. Limit: "
                    f"{SHARD_LIMIT}. Number of additional shards that would have resulted from this "
                    f"request: {count}. Refer to the AWS Service Limits page "
                    "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
                    "limits and how to request higher limits."
                )
            if mode == "ON_DEMAND" and sum(r["mode"] == "ON_DEMAND" for r in rows) >= ON_DEMAND_LIMIT:
                raise limit(f"You have reached the limit of {ON_DEMAND_LIMIT} on-demand streams.")
            now = time.time()
            row = {
                "StreamName": name,
                "StreamARN": f"arn:aws:kinesis:{context.region}:{context.account}:stream/{name}",
                "StreamId": secrets.token_hex(10) + "-" + secrets.token_hex(2)[:3],
                "StreamStatus": "ACTIVE",
                "mode": mode,
                "RetentionPeriodHours": MIN_RETENTION,
                "created": now,
                "stamp": int(now * 1_000_000),
                "uid": secrets.token_hex(8),
                "EncryptionType": "NONE",
                "KeyId": None,
                "metrics": [],
                "tags": tags,
                "MaxRecordSizeInKiB": max_record,
                "RecordDistributionStrategy": params.get("RecordDistributionStrategy"),
                "WarmThroughputMiBps": params.get("WarmThroughputMiBps"),
                "next_index": count,
                "shards": [
                    sh.new_shard(i, start, end, now)
                    for i, (start, end) in enumerate(sh.uniform_ranges(count))
                ],
            }
            self.save_stream(scope, row)
        return {}

    def delete_stream(self, context: RequestContext, params: dict) -> dict:
        scope, row = self.stream(context, params)
        name = row["StreamName"]
        with self.store.transaction():
            consumers = [key for key, _ in self.consumers.scan(scope, prefix=name + "/")]
            if consumers and not params.get("EnforceConsumerDeletion"):
                raise in_use(
                    f"Stream {name} under account {scope.split('/')[0]} has registered consumers. "
                    "Deregister them first or set EnforceConsumerDeletion."
                )
            for key in consumers:
                self.consumers.delete(scope, key)
            self.streams.delete(scope, name)
            self.policies.delete(scope, row["StreamARN"])
            self.drop_records(scope, row)
        self.stream_changed(scope, row, gone=True)
        return {}

    def _enhanced(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"ShardLevelMetrics": list(row["metrics"])}]

    def _summary_fields(self, row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "StreamName": row["StreamName"],
            "StreamARN": row["StreamARN"],
            "StreamStatus": row["StreamStatus"],
            "StreamModeDetails": {"StreamMode": row["mode"]},
            "RetentionPeriodHours": row["RetentionPeriodHours"],
            "StreamCreationTimestamp": _when(row["created"]),
            "EnhancedMonitoring": self._enhanced(row),
            "EncryptionType": row["EncryptionType"],
        }
        if row.get("KeyId"):
            out["KeyId"] = row["KeyId"]
        return out

    def retained_shards(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """The stream's shards, less the closed ones whose records have all aged out."""
        horizon = time.time() - row["RetentionPeriodHours"] * hour_seconds()
        return [s for s in row["shards"] if s["closed"] is None or s["closed"] >= horizon]

    def describe_stream(self, context: RequestContext, params: dict) -> dict:
        _, row = self.stream(context, params)
        count = params.get("Limit", 100)
        if not 1 <= count <= 10000:
            raise invalid("Limit must be between 1 and 10000.")
        listed = self.retained_shards(row)
        after = params.get("ExclusiveStartShardId")
        if after:
            listed = [s for s in listed if s["ShardId"] > after]
        page = listed[:count]
        description = self._summary_fields(row)
        description["Shards"] = [sh.shard_output(row, s) for s in page]
        description["HasMoreShards"] = len(listed) > count
        return {"StreamDescription": description}

    def describe_stream_summary(self, context: RequestContext, params: dict) -> dict:
        scope, row = self.stream(context, params)
        summary = self._summary_fields(row)
        summary["StreamId"] = row["StreamId"]
        summary["OpenShardCount"] = len(sh.open_shards(row))
        summary["ConsumerCount"] = self.consumers.count(scope, row["StreamName"] + "/")
        summary["MaxRecordSizeInKiB"] = row["MaxRecordSizeInKiB"]
        if row.get("RecordDistributionStrategy"):
            summary["RecordDistributionStrategy"] = row["RecordDistributionStrategy"]
        if row.get("WarmThroughputMiBps") is not None:
            summary["WarmThroughput"] = {
                "TargetMiBps": row["WarmThroughputMiBps"],
                "CurrentMiBps": row["WarmThroughputMiBps"],
            }
        return {"StreamDescriptionSummary": summary}

    def list_streams(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        count = params.get("Limit", 100)
        if not 1 <= count <= 10000:
            raise invalid("Limit must be between 1 and 10000.")
        after = params.get("ExclusiveStartStreamName")
        token = params.get("NextToken")
        if token:
            if after:
                raise invalid("NextToken and ExclusiveStartStreamName cannot be provided together.")
            after = self._token_position("ListStreams", token, scope)
        rows = [row for _, row in self.streams.scan(scope, start_after=after, limit=count + 1)]
        page = rows[:count]
        out: dict[str, Any] = {
            "StreamNames": [r["StreamName"] for r in page],
            "HasMoreStreams": len(rows) > count,
            "StreamSummaries": [
                {
                    "StreamName": r["StreamName"],
                    "StreamARN": r["StreamARN"],
                    "StreamStatus": r["StreamStatus"],
                    "StreamModeDetails": {"StreamMode": r["mode"]},
                    "StreamCreationTimestamp": _when(r["created"]),
                }
                for r in page
            ],
        }
        if len(rows) > count:
            out["NextToken"] = self._token("ListStreams", page[-1]["StreamName"], scope)
        return out

    def _token(self, operation: str, position: Any, bind: str) -> str:
        from overcast.common.pagination import encode_token

        return encode_token(self.store, operation, [position, time.time()], bind)

    def _token_position(self, operation: str, token: str, bind: str) -> Any:
        from overcast.common.pagination import decode_token

        try:
            position, issued = decode_token(self.store, operation, token, bind)
        except Exception:
            raise invalid(f"Invalid NextToken: {token}") from None
        if time.time() - issued > 300:
            raise ServiceError("ExpiredNextTokenException", "The NextToken has expired.")
        return position

    # -- retention, monitoring, mode, settings ----------------------------------------------------

    def _retention(self, context: RequestContext, params: dict, longer: bool) -> dict:
        hours = params["RetentionPeriodHours"]
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            self.check_active(row)
            name, current = row["StreamName"], row["RetentionPeriodHours"]
            if hours < MIN_RETENTION:
                raise invalid(
                    f"Minimum allowed retention period is {MIN_RETENTION} hours. Requested retention period "
                    f"({hours} hours) is too short."
                )
            if hours > MAX_RETENTION:
                raise invalid(
                    f"Maximum allowed retention period is {MAX_RETENTION} hours. Requested retention period "
                    f"({hours} hours) is too long."
                )
            if longer and hours < current:
                raise invalid(
                    f"Requested retention period ({hours} hours) for stream {name} can not be shorter than "
                    f"existing retention period ({current} hours). Use DecreaseRetentionPeriod API."
                )
            if not longer and hours > current:
                raise invalid(
                    f"Requested retention period ({hours} hours) for stream {name} can not be longer than "
                    f"existing retention period ({current} hours). Use IncreaseRetentionPeriod API."
                )
            row["RetentionPeriodHours"] = hours
            self.save_stream(scope, row)
        return {}

    def increase_stream_retention_period(self, context: RequestContext, params: dict) -> dict:
        return self._retention(context, params, longer=True)

    def decrease_stream_retention_period(self, context: RequestContext, params: dict) -> dict:
        return self._retention(context, params, longer=False)

    def _monitoring(self, context: RequestContext, params: dict, enable: bool) -> dict:
        given = params["ShardLevelMetrics"]
        if not given:
            raise validation(
                "1 validation error detected: Value '[]' at 'shardLevelMetrics' failed to satisfy "
                "constraint: Member must have length greater than or equal to 1"
            )
        chosen = set(METRICS) if "ALL" in given else set(given)
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            current = list(row["metrics"])
            desired = set(current) | chosen if enable else set(current) - chosen
            row["metrics"] = [m for m in METRICS if m in desired]
            self.save_stream(scope, row)
        return {
            "StreamName": row["StreamName"],
            "StreamARN": row["StreamARN"],
            "CurrentShardLevelMetrics": current,
            "DesiredShardLevelMetrics": list(row["metrics"]),
        }

    def enable_enhanced_monitoring(self, context: RequestContext, params: dict) -> dict:
        return self._monitoring(context, params, enable=True)

    def disable_enhanced_monitoring(self, context: RequestContext, params: dict) -> dict:
        return self._monitoring(context, params, enable=False)

    def update_stream_mode(self, context: RequestContext, params: dict) -> dict:
        mode = params["StreamModeDetails"]["StreamMode"]
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            self.check_active(row)
            if row["mode"] == mode:
                raise invalid(f"Stream {row['StreamName']} is already in {mode} mode.")
            row["mode"] = mode
            if params.get("WarmThroughputMiBps") is not None:
                row["WarmThroughputMiBps"] = params["WarmThroughputMiBps"]
            self.save_stream(scope, row)
        return {}

    def update_stream_warm_throughput(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            if row["mode"] != "ON_DEMAND":
                raise invalid("Warm throughput can only be set on a stream in ON_DEMAND mode.")
            row["WarmThroughputMiBps"] = params["WarmThroughputMiBps"]
            self.save_stream(scope, row)
        target = params["WarmThroughputMiBps"]
        return {
            "StreamARN": row["StreamARN"],
            "StreamName": row["StreamName"],
            "WarmThroughput": {"TargetMiBps": target, "CurrentMiBps": target},
        }

    def update_max_record_size(self, context: RequestContext, params: dict) -> dict:
        size = params["MaxRecordSizeInKiB"]
        if not 1024 <= size <= 10240:
            raise validation("MaxRecordSizeInKiB must be between 1024 and 10240.")
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            row["MaxRecordSizeInKiB"] = size
            self.save_stream(scope, row)
        return {}

    def update_stream_record_distribution_strategy(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            row["RecordDistributionStrategy"] = params["RecordDistributionStrategy"]
            self.save_stream(scope, row)
        return {}

    def describe_limits(self, context: RequestContext, params: dict) -> dict:
        rows = [row for _, row in self.streams.scan(self.scope_of(context))]
        return {
            "ShardLimit": SHARD_LIMIT,
            "OpenShardCount": sum(len(sh.open_shards(r)) for r in rows),
            "OnDemandStreamCount": sum(r["mode"] == "ON_DEMAND" for r in rows),
            "OnDemandStreamCountLimit": ON_DEMAND_LIMIT,
        }

    def describe_account_settings(self, context: RequestContext, params: dict) -> dict:
        settings = self.account_settings.get(self.scope_of(context), "settings")
        if settings is None:
            return {"MinimumThroughputBillingCommitment": {"Status": "DISABLED"}}
        return self._commitment(settings)

    @staticmethod
    def _commitment(settings: dict[str, Any]) -> dict:
        out: dict[str, Any] = {"Status": settings["Status"]}
        for key in ("StartedAt", "EndedAt", "EarliestAllowedEndAt"):
            if settings.get(key) is not None:
                out[key] = _when(settings[key])
        return {"MinimumThroughputBillingCommitment": out}

    def update_account_settings(self, context: RequestContext, params: dict) -> dict:
        wanted = params["MinimumThroughputBillingCommitment"]["Status"]
        scope = self.scope_of(context)
        now = time.time()
        with self.store.transaction():
            settings = self.account_settings.get(scope, "settings") or {"Status": "DISABLED"}
            if wanted == "ENABLED" and settings["Status"] != "ENABLED":
                settings = {"Status": "ENABLED", "StartedAt": now, "EarliestAllowedEndAt": now + 24 * 3600}
            elif wanted == "DISABLED" and settings["Status"] == "ENABLED":
                if now < settings["EarliestAllowedEndAt"]:
                    settings["Status"] = "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
                    settings["EndedAt"] = settings["EarliestAllowedEndAt"]
                else:
                    settings = {"Status": "DISABLED", "StartedAt": settings["StartedAt"], "EndedAt": now}
            self.account_settings.put(scope, "settings", settings)
        return self._commitment(settings)

    # -- encryption ------------------------------------------------------------------------------

    def start_stream_encryption(self, context: RequestContext, params: dict) -> dict:
        if params["EncryptionType"] != "KMS":
            raise invalid("EncryptionType must be KMS to start encryption.")
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            self.check_active(row)
            account, region = scope.split("/")
            key_arn, blob = self.new_stream_key(account, region, params["KeyId"])
            row["EncryptionType"] = "KMS"
            row["KeyId"] = params["KeyId"]
            row["key_arn"] = key_arn
            row["data_key"] = blob
            self.save_stream(scope, row)
        return {}

    def stop_stream_encryption(self, context: RequestContext, params: dict) -> dict:
        if params["EncryptionType"] != "KMS":
            raise invalid("EncryptionType must be KMS to stop encryption.")
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            self.check_active(row)
            if row["EncryptionType"] != "KMS":
                raise invalid(f"Stream {row['StreamName']} is not encrypted.")
            if row.get("KeyId") != params["KeyId"]:
                raise invalid(f"KeyId {params['KeyId']} does not match the key the stream is encrypted with.")
            row["EncryptionType"] = "NONE"
            row["KeyId"] = None
            # The data key stays: records written while the stream was encrypted still open.
            self.save_stream(scope, row)
        return {}

    # -- tags ------------------------------------------------------------------------------------

    def add_tags_to_stream(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            row["tags"] = tagging.add_tags(row["tags"], params["Tags"], TAG_RULES)
            self.save_stream(scope, row)
        return {}

    def remove_tags_from_stream(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            row["tags"] = tagging.remove_tags(row["tags"], params["TagKeys"])
            self.save_stream(scope, row)
        return {}

    def list_tags_for_stream(self, context: RequestContext, params: dict) -> dict:
        _, row = self.stream(context, params)
        count = params.get("Limit", 50)
        after = params.get("ExclusiveStartTagKey")
        keys = sorted(k for k in row["tags"] if after is None or k > after)
        return {
            "Tags": [{"Key": k, "Value": row["tags"][k]} for k in keys[:count]],
            "HasMoreTags": len(keys) > count,
        }

    def _tagged(self, arn: str) -> tuple[str, dict[str, Any], Any]:
        """(scope, the row holding the tags, the table it lives in) of a stream or consumer ARN."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "kinesis":
            raise invalid(f"Invalid ResourceARN: {arn}")
        scope = store_scope(parsed.account, parsed.region)
        parts = parsed.resource.split("/")
        if parts[0] == "queue":
            return (*self._queue(arn), self.queues)
        if parts[0] == "channel":
            return (*self._channel(arn), self.channels)
        if parts[0] != "stream" or len(parts) < 2:
            raise invalid(f"Invalid ResourceARN: {arn}")
        if len(parts) >= 4 and parts[2] == "consumer":
            key = f"{parts[1]}/{parts[3].split(':')[0]}"
            consumer = self.consumers.get(scope, key)
            if consumer is None or consumer["ConsumerARN"] != arn:
                raise not_found(f"Consumer {arn}, account {parsed.account} not found.")
            return scope, consumer, self.consumers
        row = self.streams.get(scope, parts[1])
        if row is None:
            raise stream_missing(arn, parsed.account)
        return scope, row, self.streams

    def _save_tagged(self, scope: str, row: dict[str, Any], table: Any) -> None:
        if table is self.streams:
            self.save_stream(scope, row)
        elif table is self.queues:
            table.put(scope, row["id"], row)
        elif table is self.channels:
            table.put(scope, row["ChannelName"], row)
        else:
            table.put(scope, f"{row['stream']}/{row['ConsumerName']}", row)

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            scope, row, table = self._tagged(params["ResourceARN"])
            rules = RESOURCE_TAG_RULES if table is self.queues or table is self.channels else TAG_RULES
            row["tags"] = tagging.add_tags(row.get("tags"), params["Tags"], rules)
            self._save_tagged(scope, row, table)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            scope, row, table = self._tagged(params["ResourceARN"])
            row["tags"] = tagging.remove_tags(row.get("tags"), params["TagKeys"])
            self._save_tagged(scope, row, table)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        _, row, _ = self._tagged(params["ResourceARN"])
        return {"Tags": tagging.tag_list(row.get("tags") or {})}

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        try:
            return dict(self._tagged(arn)[1].get("tags") or {})
        except ServiceError:
            return None

    # -- resource policies -----------------------------------------------------------------------

    def put_resource_policy(self, context: RequestContext, params: dict) -> dict:
        arn = params["ResourceARN"]
        try:
            document = json.loads(params["Policy"])
        except ValueError:
            raise invalid("Policy is not valid JSON.") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise invalid("Policy must be a JSON object with a Statement.")
        with self.store.transaction():
            scope, _, _ = self._tagged(arn)
            self.policies.put(scope, arn, params["Policy"])
        return {}

    def get_resource_policy(self, context: RequestContext, params: dict) -> dict:
        arn = params["ResourceARN"]
        scope, _, _ = self._tagged(arn)
        return {"Policy": self.policies.get(scope, arn) or "{}"}

    def delete_resource_policy(self, context: RequestContext, params: dict) -> dict:
        arn = params["ResourceARN"]
        with self.store.transaction():
            scope, _, _ = self._tagged(arn)
            if not self.policies.delete(scope, arn):
                raise not_found(f"No resource policy found for resource ARN {arn}.")
        return {}

    def resource_policy(self, arn: str) -> str | None:
        parsed = parse_arn(arn)
        if parsed is None:
            return None
        return self.policies.get(store_scope(parsed.account, parsed.region), arn)

    # -- resharding ------------------------------------------------------------------------------

    def _check_shard_budget(self, scope: str, added: int) -> None:
        account = scope.split("/")[0]
        open_count = sum(len(sh.open_shards(r)) for _, r in self.streams.scan(scope))
        if open_count + added > SHARD_LIMIT:
            raise limit(
                f"This request would exceed the shard limit for the account {account}. Current shard "
                f"count for the account: {open_count}. Limit: {SHARD_LIMIT}."
            )

    def split_shard(self, context: RequestContext, params: dict) -> dict:
        new_start = params["NewStartingHashKey"]
        check_shard_id(params["ShardToSplit"], "shardToSplit")
        if not HASH_KEY.match(new_start):
            raise validation(
                f"1 validation error detected: Value '{new_start}' at 'newStartingHashKey' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"
            )
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            self.check_active(row)
            shard = sh.find_shard(row, params["ShardToSplit"])
            if shard is None:
                raise not_found(
                    f"Could not find shard {params['ShardToSplit']} in stream {row['StreamName']} under "
                    f"account {scope.split('/')[0]}."
                )
            account = scope.split("/")[0]
            if shard["closed"] is not None:
                raise invalid(
                    f"Shard {shard['ShardId']} in stream {row['StreamName']} under account {account} has "
                    "already been merged or split, and thus is not eligible for merging or splitting."
                )
            start, end = int(shard["start"]), int(shard["end"])
            if not start < int(new_start) <= end:
                raise invalid(
                    f"NewStartingHashKey {new_start} used in SplitShard() on shard {shard['ShardId']} in "
                    f"stream {row['StreamName']} under account {account} is not both greater than one plus "
                    f"the shard's StartingHashKey {start} and less than the shard's EndingHashKey {end - 1}."
                )
            self._check_shard_budget(scope, 1)
            now = time.time()
            sh.close(shard, self.head_of(scope, row, shard), now)
            first = row["next_index"]
            row["shards"].append(
                sh.new_shard(first, start, int(new_start) - 1, now, ParentShardId=shard["ShardId"])
            )
            row["shards"].append(
                sh.new_shard(first + 1, int(new_start), end, now, ParentShardId=shard["ShardId"])
            )
            row["next_index"] = first + 2
            self.save_stream(scope, row)
        return {}

    def merge_shards(self, context: RequestContext, params: dict) -> dict:
        check_shard_id(params["ShardToMerge"], "shardToMerge")
        check_shard_id(params["AdjacentShardToMerge"], "adjacentShardToMerge")
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            self.check_active(row)
            found = []
            for given in (params["ShardToMerge"], params["AdjacentShardToMerge"]):
                shard = sh.find_shard(row, given)
                if shard is None:
                    raise not_found(
                        f"Could not find shard {given} in stream {row['StreamName']} under account "
                        f"{scope.split('/')[0]}."
                    )
                if shard["closed"] is not None:
                    raise invalid(f"Shard {given} is already closed and cannot be merged.")
                found.append(shard)
            first, second = found
            low, high = sorted(found, key=lambda s: int(s["start"]))
            if first is second or int(low["end"]) + 1 != int(high["start"]):
                raise invalid(
                    f"Shards {first['ShardId']} and {second['ShardId']} in stream {row['StreamName']} under "
                    f"account {scope.split('/')[0]} are not an adjacent pair of shards eligible for merging"
                )
            now = time.time()
            for shard in found:
                sh.close(shard, self.head_of(scope, row, shard), now)
            index = row["next_index"]
            row["shards"].append(
                sh.new_shard(
                    index,
                    int(low["start"]),
                    int(high["end"]),
                    now,
                    ParentShardId=first["ShardId"],
                    AdjacentParentShardId=second["ShardId"],
                )
            )
            row["next_index"] = index + 1
            self.save_stream(scope, row)
        return {}

    def update_shard_count(self, context: RequestContext, params: dict) -> dict:
        target = params["TargetShardCount"]
        if params["ScalingType"] != "UNIFORM_SCALING":
            raise validation("ScalingType must be UNIFORM_SCALING.")
        with self.store.transaction():
            scope, row = self.edit_stream(context, params)
            self.check_active(row)
            if row["mode"] == "ON_DEMAND":
                raise validation(
                    f"Request is invalid. Stream {row['StreamName']} under account {scope.split('/')[0]} is in "
                    "On-Demand mode."
                )
            current = sh.open_shards(row)
            count = len(current)
            if target < 1 or target > 2 * count or target * 2 < count:
                raise invalid(
                    f"TargetShardCount {target} is not valid for stream {row['StreamName']}: it must be at "
                    f"least half ({(count + 1) // 2}) and at most double ({2 * count}) the current open "
                    f"shard count ({count})."
                )
            self._check_shard_budget(scope, target - count)
            now = time.time()
            old = sorted(current, key=lambda s: int(s["start"]))
            for shard in old:
                sh.close(shard, self.head_of(scope, row, shard), now)
            index = row["next_index"]
            for start, end in sh.uniform_ranges(target):
                # Each new shard descends from the old shards its range overlaps (at most two
                # of them when the count changes by at most a factor of two, as the API allows).
                parents = [s["ShardId"] for s in old if int(s["start"]) <= end and int(s["end"]) >= start]
                row["shards"].append(
                    sh.new_shard(
                        index,
                        start,
                        end,
                        now,
                        ParentShardId=parents[0],
                        AdjacentParentShardId=parents[1] if len(parents) > 1 else "",
                    )
                )
                index += 1
            row["next_index"] = index
            self.save_stream(scope, row)
        return {
            "StreamName": row["StreamName"],
            "StreamARN": row["StreamARN"],
            "CurrentShardCount": count,
            "TargetShardCount": target,
        }

    def list_shards(self, context: RequestContext, params: dict) -> dict:
        token = params.get("NextToken")
        count = params.get("MaxResults", 1000)
        if not 1 <= count <= 10000:
            raise invalid("MaxResults must be between 1 and 10000.")
        if token:
            if params.get("ExclusiveStartShardId") or params.get("ShardFilter"):
                raise invalid(
                    "NextToken cannot be provided together with ExclusiveStartShardId or ShardFilter."
                )
            state = self._token_position("ListShards", token, "")
            scope, name, after, filter_ = state
            # botocore's paginator sends the StreamName again with each token: the same one is fine.
            named = params.get("StreamName") or params.get("StreamARN")
            if named and self.locate(context, params) != (scope, name):
                raise invalid("NextToken and StreamName cannot be provided together.")
            row = self.cached_stream(scope, name)
            if row is None:
                raise stream_missing(name, scope.split("/")[0])
        else:
            scope, row = self.stream(context, params)
            after = params.get("ExclusiveStartShardId")
            filter_ = params.get("ShardFilter")
            if filter_ and filter_.get("Timestamp") is not None:
                filter_ = dict(filter_, Timestamp=_epoch(filter_["Timestamp"]))
        listed = self._filtered_shards(row, filter_)
        if after:
            listed = [s for s in listed if s["ShardId"] > after]
        page = listed[:count]
        out: dict[str, Any] = {"Shards": [sh.shard_output(row, s) for s in page]}
        if len(listed) > count:
            out["NextToken"] = self._token(
                "ListShards", [scope, row["StreamName"], page[-1]["ShardId"], filter_], ""
            )
        return out

    def _filtered_shards(self, row: dict[str, Any], filter_: dict[str, Any] | None) -> list[dict[str, Any]]:
        retained = self.retained_shards(row)
        if not filter_:
            return retained
        kind = filter_["Type"]
        if kind == "AFTER_SHARD_ID":
            if not filter_.get("ShardId"):
                raise invalid("ShardId must be given with the AFTER_SHARD_ID filter.")
            return [s for s in retained if s["ShardId"] > filter_["ShardId"]]
        if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            if filter_.get("Timestamp") is None:
                raise invalid(f"Timestamp must be given with the {kind} filter.")
            moment = max(filter_["Timestamp"], row["created"])
            alive = [s for s in retained if s["closed"] is None or s["closed"] > moment]
            if kind == "FROM_TIMESTAMP":
                return alive
            return [s for s in alive if s["opened"] <= moment]
        if kind == "AT_LATEST":
            return sh.open_shards(row)
        if kind == "FROM_TRIM_HORIZON":
            return retained
        if kind == "AT_TRIM_HORIZON":
            ids = {s["ShardId"] for s in retained}
            return [
                s
                for s in retained
                if s.get("ParentShardId") not in ids and s.get("AdjacentParentShardId") not in ids
            ]
        raise invalid(f"Unknown ShardFilter type {kind}.")

    # -- deliveries from other services ------------------------------------------------------------

    def deliver(self, target_arn: str, message: Any, **options: Any) -> dict:
        """A record another service writes to a stream (EventBridge targets, Logs subscription
        filters, DynamoDB's streaming destination): `message` is the record's data (bytes, text,
        or a JSON value), `partition_key` its partition key (a fresh one when none is given)."""
        found = self.stream_by_arn(target_arn)
        if found is None:
            raise DeliveryError(f"Stream {target_arn} not found.", retryable=False)
        scope, row = found
        if isinstance(message, (bytes, bytearray)):
            data = bytes(message)
        elif isinstance(message, str):
            data = message.encode()
        else:
            data = json.dumps(message, separators=(",", ":")).encode()
        key = options.get("partition_key") or fast_uuid()
        try:
            self._check_entry(row, data, key)
            if row["EncryptionType"] == "KMS":
                self._check_key(scope, row)
            sequence, shard, written = self._append(
                scope, row, data, key, options.get("explicit_hash_key"), None, time.time()
            )
            self.remember(scope, row["uid"], [written])
        except ServiceError as error:
            raise DeliveryError(
                f"{error.code}: {error.message}", retryable=error.code.startswith("KMS")
            ) from None
        self.notify(row["StreamARN"])
        return {"SequenceNumber": sequence, "ShardId": shard}

    def check_dry_run(self, params: dict[str, Any]) -> None:
        if params.get("DryRun"):
            raise dry_run()

"""Trails delivering to S3: every DELIVERY_SECONDS each logging trail writes the events since
its last delivery as one gzip log file per region, and, with log file validation on, every
DIGEST_SECONDS a digest file per region, chained to the previous one and signed.

AWS delivers about every 5 minutes and digests hourly; OVERCAST_CLOUDTRAIL_DELIVERY_SECONDS and
OVERCAST_CLOUDTRAIL_DIGEST_SECONDS shorten that (tests use a second or two)."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import inspect
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from overcast.common.arns import build_arn
from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudtrail import events, logfiles
from overcast.services.cloudtrail import trails as rules

if TYPE_CHECKING:
    from overcast.services.cloudtrail.provider import Provider

log = logging.getLogger(__name__)

DELIVERY_SECONDS = tuning("OVERCAST_CLOUDTRAIL_DELIVERY_SECONDS")
DIGEST_SECONDS = tuning("OVERCAST_CLOUDTRAIL_DIGEST_SECONDS")
#: One log file holds at most this many events (AWS splits large periods over several files).
MAX_EVENTS_PER_FILE = 5000
_GLOBAL_SOURCES = frozenset(f"{service}.amazonaws.com" for service in events.GLOBAL_SERVICES)


def _utc(ts_us: int) -> datetime:
    return datetime.fromtimestamp(ts_us / 1e6, UTC)


class Delivery:
    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.runtime = provider.runtime
        self.store = provider.store
        #: Per trail (scope account, key region/name): cursor, status times, digest chain.
        self.state = self.store.table("cloudtrail", "delivery")
        self.keys = self.store.table("cloudtrail", "signing-keys")
        self._running = False

    def start(self) -> None:
        self.runtime.every(DELIVERY_SECONDS, self.deliver_all, "cloudtrail-delivery")

    # -- state ----------------------------------------------------------------------------------

    def started(self, account: str, key: str) -> None:
        """A trail started logging: it delivers what happens from now on."""
        state = self.state.get(account, key) or {}
        state["Cursor"] = time.time_ns() // 1000
        state.setdefault("DigestStart", state["Cursor"])
        self.state.put(account, key, state)

    def forget(self, account: str, key: str) -> None:
        self.state.delete(account, key)

    def status(self, account: str, key: str) -> dict:
        state = self.state.get(account, key) or {}
        out = {}
        for name in (
            "LatestDeliveryTime",
            "LatestDigestDeliveryTime",
            "LatestDeliveryError",
            "LatestDigestDeliveryError",
            "LatestNotificationTime",
            "LatestNotificationError",
            "LatestCloudWatchLogsDeliveryTime",
            "LatestCloudWatchLogsDeliveryError",
        ):
            if state.get(name):
                out[name] = state[name]
        if state.get("LatestDeliveryAttemptTime"):
            out["LatestDeliveryAttemptTime"] = state["LatestDeliveryAttemptTime"]
            out["LatestDeliveryAttemptSucceeded"] = state.get("LatestDeliveryAttemptSucceeded", "")
        out["LatestNotificationAttemptTime"] = state.get("LatestNotificationAttemptTime", "")
        out["LatestNotificationAttemptSucceeded"] = state.get("LatestNotificationAttemptSucceeded", "")
        return out

    # -- S3 --------------------------------------------------------------------------------------

    def _s3(self):
        if not self.runtime.config.service_enabled("s3"):
            return None
        try:
            return self.runtime.provider("s3")
        except Exception:
            return None

    async def bucket_exists(self, account: str, region: str, bucket: str) -> bool:
        s3 = self._s3()
        head = getattr(s3, "head_bucket", None)
        if head is None:
            return False
        try:
            result = head(RequestContext.internal("s3", account, region), {"Bucket": bucket})
            if inspect.isawaitable(result):
                await result
        except ServiceError as error:
            return error.status == 403  # someone else's bucket exists; S3 decides access on write
        return True

    async def _put(
        self,
        account: str,
        region: str,
        bucket: str,
        key: str,
        body: bytes,
        metadata: dict | None = None,
        kms_key: str | None = None,
    ) -> None:
        s3 = self._s3()
        put = getattr(s3, "put_object", None)
        if put is None:
            raise ServiceError("NoSuchBucket", "The specified bucket does not exist", 404)
        params = {
            "Bucket": bucket,
            "Key": key,
            "Body": body,
            "ContentLength": len(body),
            "ContentType": "application/json",
        }
        if metadata:
            params["Metadata"] = metadata
        if kms_key:  # a trail's KmsKeyId: its log files are written with SSE-KMS under it
            params["ServerSideEncryption"] = "aws:kms"
            params["SSEKMSKeyId"] = kms_key
        context = RequestContext.internal(
            "s3",
            account,
            region,
            principal_arn=build_arn("iam", region, account, "root", global_service=True),
        )
        result = put(context, params)
        if inspect.isawaitable(result):
            await result

    # -- the worker ---------------------------------------------------------------------------------

    async def deliver_all(self) -> None:
        if self._running:
            return
        self._running = True
        try:
            self.provider.recorder.flush()
            until = time.time_ns() // 1000
            for account, key, trail in list(self.provider.all_trails()):
                if trail.get("Logging") and trail.get("S3BucketName"):
                    try:
                        await self.deliver(account, key, trail, until)
                    except Exception:
                        log.exception("cloudtrail delivery for %s failed", trail.get("TrailARN"))
        finally:
            self._running = False

    def _regions(self, account: str, trail: dict) -> list[str]:
        if not trail["IsMultiRegionTrail"]:
            # Global services (IAM ...) are recorded in the partition's first region; a trail
            # elsewhere that includes them gets those events from there.
            home, global_region = trail["HomeRegion"], events.global_region(trail["HomeRegion"])
            if trail["IncludeGlobalServiceEvents"] and global_region != home:
                return [home, global_region]
            return [home]
        found = set()
        for table in (self.provider.recorder.chunks, self.provider.recorder.data_chunks):
            for scope in table.scopes():
                owner, _, region = scope.partition("/")
                if owner == account and region:
                    found.add(region)
        found.add(trail["HomeRegion"])
        return sorted(found)

    async def deliver(self, account: str, key: str, trail: dict, until: int) -> None:
        state = self.state.get(account, key) or {}
        cursor = state.get("Cursor", until)
        bucket, home = trail["S3BucketName"], trail["HomeRegion"]
        now = datetime.now(UTC)
        delivered: dict[str, list[dict]] = {}
        selected: list = []
        error = None
        recorder = self.provider.recorder
        wants_data = rules.wants_data_events(trail)
        for region in self._regions(account, trail):
            scope = f"{account}/{region}"
            records = recorder.records_since(scope, cursor, until, data=False)
            if wants_data:
                records = sorted(
                    records + recorder.records_since(scope, cursor, until, data=True), key=lambda r: r.ts_us
                )
            foreign = region != home and not trail["IsMultiRegionTrail"]
            records = [
                r
                for r in records
                if rules.selects(trail, r)
                and (trail["IncludeGlobalServiceEvents"] or r.event_source not in _GLOBAL_SOURCES)
                and (not foreign or r.event_source in _GLOBAL_SOURCES)
            ]
            selected += [(region, r) for r in records]
            for start in range(0, len(records), MAX_EVENTS_PER_FILE):
                batch = records[start : start + MAX_EVENTS_PER_FILE]
                raw, gz = logfiles.log_file([r.json() for r in batch])
                object_key = logfiles.log_file_key(trail.get("S3KeyPrefix"), account, region, now)
                try:
                    await self._put(account, home, bucket, object_key, gz, kms_key=trail.get("KmsKeyId"))
                except ServiceError as exc:
                    error = exc.code
                    break
                delivered.setdefault(region, []).append(
                    {
                        "s3Bucket": bucket,
                        "s3Object": object_key,
                        "hashValue": hashlib.sha256(raw).hexdigest(),
                        "newestEventTime": events.iso_time(batch[-1].ts_us),
                        "oldestEventTime": events.iso_time(batch[0].ts_us),
                    }
                )
            if error:
                break
        state = self.state.get(account, key) or state
        state["LatestDeliveryAttemptTime"] = logfiles.iso(now)
        if error:
            state["LatestDeliveryError"] = error
            state["LatestDeliveryAttemptSucceeded"] = ""
        else:
            state["Cursor"] = until
            state["LatestDeliveryAttemptSucceeded"] = logfiles.iso(now)
            state.pop("LatestDeliveryError", None)
            if delivered:
                state["LatestDeliveryTime"] = now
        pending = state.setdefault("DigestLogs", {})
        for region, files in delivered.items():
            pending.setdefault(region, []).extend(files)
        if trail.get("SnsTopicARN") and delivered:
            await self.notify(
                account,
                trail["SnsTopicARN"],
                bucket,
                [f["s3Object"] for files in delivered.values() for f in files],
                state,
                now,
            )
        if trail.get("CloudWatchLogsLogGroupArn") and selected:
            self.to_log_group(account, trail["CloudWatchLogsLogGroupArn"], selected, state, now)
        self.state.put(account, key, state)
        if trail.get("LogFileValidationEnabled"):
            start = state.get("DigestStart") or cursor
            if (until - start) / 1e6 >= DIGEST_SECONDS:
                await self.deliver_digests(account, key, trail, until)

    async def notify(
        self, account: str, topic_arn: str, bucket: str, object_keys: list[str], state: dict, now: datetime
    ) -> None:
        """One SNS notification per delivered log file, in the shape AWS publishes."""
        state["LatestNotificationAttemptTime"] = logfiles.iso(now)
        parts = topic_arn.split(":")
        try:
            sns = self.runtime.provider("sns")
            context = RequestContext.internal(
                "sns",
                parts[4],
                parts[3],
                principal_arn=build_arn("iam", parts[3], account, "root", global_service=True),
            )
            for object_key in object_keys:
                result = sns.publish(
                    context,
                    {
                        "TopicArn": topic_arn,
                        "Message": json.dumps({"s3Bucket": bucket, "s3ObjectKey": [object_key]}),
                    },
                )
                if inspect.isawaitable(result):
                    await result
        except ServiceError as exc:
            state["LatestNotificationError"] = exc.code
            state["LatestNotificationAttemptSucceeded"] = ""
            return
        except Exception:
            log.exception("cloudtrail notification to %s failed", topic_arn)
            state["LatestNotificationError"] = "InternalFailure"
            state["LatestNotificationAttemptSucceeded"] = ""
            return
        state.pop("LatestNotificationError", None)
        state["LatestNotificationTime"] = now
        state["LatestNotificationAttemptSucceeded"] = logfiles.iso(now)

    def to_log_group(self, account: str, group_arn: str, records: list, state: dict, now: datetime) -> None:
        """The trail's events into its CloudWatch Logs group, one stream per region the events
        came from (<account>_CloudTrail_<region>), each event's JSON as a log event."""
        parts = group_arn.split(":")
        if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
            state["LatestCloudWatchLogsDeliveryError"] = "InvalidCloudWatchLogsLogGroupArnException"
            return
        region, owner, group = parts[3], parts[4], parts[6]
        logs = self.runtime.provider("logs") if self.runtime.config.service_enabled("logs") else None
        if logs is None or not logs.group_exists(owner, region, group):
            state["LatestCloudWatchLogsDeliveryError"] = "ResourceNotFoundException"
            return
        streams: dict[str, list[tuple[int, str]]] = {}
        for event_region, record in records:
            streams.setdefault(f"{account}_CloudTrail_{event_region}", []).append(
                (record.ts_us // 1000, record.json())
            )
        for stream, events_of_stream in streams.items():
            logs.write(owner, region, group, stream, events_of_stream, create=False)
        state.pop("LatestCloudWatchLogsDeliveryError", None)
        state["LatestCloudWatchLogsDeliveryTime"] = now

    async def deliver_digests(self, account: str, key: str, trail: dict, until: int) -> None:
        state = self.state.get(account, key) or {}
        start, end = _utc(state.get("DigestStart") or until), _utc(until)
        bucket, home = trail["S3BucketName"], trail["HomeRegion"]
        pending: dict = state.get("DigestLogs") or {}
        chain: dict = state.get("DigestChain") or {}
        regions = sorted(set(pending) | {home} | set(chain))
        signing_key = await self.signing_key(account, home)
        fingerprint = logfiles.fingerprint(signing_key)
        try:
            for region in regions:
                object_key = logfiles.digest_file_key(
                    trail.get("S3KeyPrefix"), account, region, trail["Name"], home, end
                )
                previous = chain.get(region)
                body = logfiles.digest_file(
                    account=account,
                    start=start,
                    end=end,
                    bucket=bucket,
                    key=object_key,
                    fingerprint=fingerprint,
                    previous=previous,
                    logs=pending.get(region, []),
                )
                signature = logfiles.sign(
                    signing_key,
                    logfiles.signing_string(
                        end, bucket, object_key, body, previous["signature"] if previous else None
                    ),
                )
                await self._put(
                    account,
                    home,
                    bucket,
                    object_key,
                    gzip.compress(body, mtime=0),
                    {"signature": signature, "signature-algorithm": "SHA256withRSA"},
                )
                chain[region] = {
                    "bucket": bucket,
                    "key": object_key,
                    "signature": signature,
                    "hash": hashlib.sha256(body).hexdigest(),
                }
        except ServiceError as exc:
            state["LatestDigestDeliveryError"] = exc.code
            self.state.put(account, key, state)
            return
        state = self.state.get(account, key) or state
        state.pop("LatestDigestDeliveryError", None)
        state["DigestChain"] = chain
        state["DigestLogs"] = {}
        state["DigestStart"] = until
        state["LatestDigestDeliveryTime"] = datetime.now(UTC)
        self.state.put(account, key, state)

    # -- signing keys ------------------------------------------------------------------------------------

    async def signing_key(self, account: str, region: str) -> dict:
        scope = f"{account}/{region}"
        current = self.keys.get(scope, "current")
        if current is None:
            generated = await asyncio.to_thread(logfiles.generate_key)
            current = self.keys.get(scope, "current")  # another delivery may have made one meanwhile
            if current is None:
                current = {**generated, "created": datetime.now(UTC)}
                self.keys.put(scope, "current", current)
        return current

    def public_keys(
        self, account: str, region: str, start: datetime | None, end: datetime | None
    ) -> list[dict]:
        key = self.keys.get(f"{account}/{region}", "current")
        if key is None:
            return []
        valid_from = key["created"]
        valid_to = valid_from + timedelta(days=365)
        if (end is not None and end < valid_from) or (start is not None and start > valid_to):
            return []
        return [
            {
                "Value": logfiles.public_key_der(key),
                "ValidityStartTime": valid_from,
                "ValidityEndTime": valid_to,
                "Fingerprint": logfiles.fingerprint(key),
            }
        ]

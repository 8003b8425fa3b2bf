"""Lifecycle: the bucket's rules, validated as S3 does, and the worker that applies them —
expiring current and noncurrent versions and expired delete markers, transitioning storage
classes, aborting incomplete multipart uploads.

AWS evaluates rules once a day and counts in days (rounded up to the next midnight UTC).
OVERCAST_S3_LIFECYCLE_DAY_SECONDS makes a lifecycle "day" that many seconds long, so tests
see rules applied in seconds; the worker then runs several times per such day."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.s3.configstore import invalid_argument, malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

log = logging.getLogger(__name__)

DAY_SECONDS_SETTING = "OVERCAST_S3_LIFECYCLE_DAY_SECONDS"
TRANSITION_CLASSES = (
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "GLACIER_IR",
    "DEEP_ARCHIVE",
)
#: Storage classes in the order lifecycle may move objects down (never back up).
_CLASS_ORDER = {
    name: rank
    for rank, name in enumerate(
        (
            "STANDARD",
            "REDUCED_REDUNDANCY",
            "STANDARD_IA",
            "INTELLIGENT_TIERING",
            "ONEZONE_IA",
            "GLACIER_IR",
            "GLACIER",
            "DEEP_ARCHIVE",
        )
    )
}
_MIN_DAYS = {"STANDARD_IA": 30, "ONEZONE_IA": 30}
SIZE_DEFAULTS = ("all_storage_classes_128K", "varies_by_storage_class")
_INDEX_SCOPE = "global"


def day_seconds() -> float:
    return tuning(DAY_SECONDS_SETTING)


def due(start: datetime, days: int, day: float) -> datetime:
    moment = start + timedelta(seconds=days * day)
    if day == 86400:
        # AWS counts whole days: the action is due at the midnight (UTC) after the count.
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        moment = midnight if midnight == moment else midnight + timedelta(days=1)
    return moment


def _positive(value: Any) -> bool:
    return isinstance(value, int) and value > 0


def _filter_of(rule: dict) -> dict:
    """The rule's filter as {Prefix, Tags, ObjectSizeGreaterThan, ObjectSizeLessThan}."""
    flt = rule.get("Filter")
    if flt is None:
        return {"Prefix": rule.get("Prefix") or ""}
    conditions = flt.get("And") or flt
    tags = list(conditions.get("Tags") or [])
    if flt.get("Tag"):
        tags.append(flt["Tag"])
    return {
        "Prefix": conditions.get("Prefix") or "",
        "Tags": tags,
        "ObjectSizeGreaterThan": conditions.get("ObjectSizeGreaterThan"),
        "ObjectSizeLessThan": conditions.get("ObjectSizeLessThan"),
    }


def _describe(rule: dict) -> str:
    return f"(prefix={_filter_of(rule)['Prefix']})"


def validate(configuration: dict) -> list[dict]:
    rules = configuration.get("Rules") or []
    if not rules or len(rules) > 1000:
        raise malformed_xml()
    ids = set()
    for rule in rules:
        rule_id = rule.get("ID")
        if rule_id is not None:
            if len(rule_id) > 255:
                raise invalid_argument("ID length should not exceed allowed limit of 255", "ID", rule_id)
            if rule_id in ids:
                raise invalid_argument(
                    "Rule ID must be unique. Found same ID for more than one rule", "ID", rule_id
                )
            ids.add(rule_id)
        if rule.get("Status") not in ("Enabled", "Disabled"):
            raise malformed_xml()
        _validate_filter(rule)
        _validate_actions(rule)
    return rules


def _validate_filter(rule: dict) -> None:
    flt = rule.get("Filter")
    if (flt is None) == (rule.get("Prefix") is None):
        raise malformed_xml()  # exactly one of Filter and the legacy Prefix
    if flt is not None:
        given = [
            name
            for name in ("Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan")
            if flt.get(name) is not None
        ]
        if len(given) > 1:
            raise malformed_xml()
        tags = list((flt.get("And") or {}).get("Tags") or []) + ([flt["Tag"]] if flt.get("Tag") else [])
        if len({tag.get("Key") for tag in tags}) != len(tags):
            raise s3_error("InvalidRequest", "Duplicate Tag Keys are not allowed.")
        sizes = flt.get("And") or flt
        low, high = sizes.get("ObjectSizeGreaterThan"), sizes.get("ObjectSizeLessThan")
        if low is not None and high is not None and low >= high:
            raise invalid_argument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan")


def _validate_actions(rule: dict) -> None:
    expiration = rule.get("Expiration")
    transitions = rule.get("Transitions") or []
    noncurrent = rule.get("NoncurrentVersionExpiration")
    noncurrent_transitions = rule.get("NoncurrentVersionTransitions") or []
    abort = rule.get("AbortIncompleteMultipartUpload")
    if not (expiration or transitions or noncurrent or noncurrent_transitions or abort):
        raise s3_error("InvalidRequest", "At least one action needs to be specified in a rule")
    has_tags = bool(_filter_of(rule).get("Tags"))
    if expiration is not None:
        given = [
            name for name in ("Date", "Days", "ExpiredObjectDeleteMarker") if expiration.get(name) is not None
        ]
        if len(given) != 1:
            raise malformed_xml()
        if "Days" in given and not _positive(expiration["Days"]):
            raise invalid_argument(
                "'Days' for Expiration action must be a positive integer", "Days", expiration["Days"]
            )
        if "Date" in given and _not_midnight(expiration["Date"]):
            raise invalid_argument("'Date' must be at midnight GMT", "Date", expiration["Date"])
        if "ExpiredObjectDeleteMarker" in given and has_tags:
            raise s3_error(
                "InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with object tag filters."
            )
    for transition in transitions:
        storage_class = transition.get("StorageClass")
        if storage_class not in TRANSITION_CLASSES:
            raise malformed_xml()
        if (transition.get("Days") is None) == (transition.get("Date") is None):
            raise malformed_xml()
        days = transition.get("Days")
        if days is not None:
            if days < 0:
                raise invalid_argument("'Days' in Transition action must be nonnegative", "Days", days)
            if days < _MIN_DAYS.get(storage_class, 0):
                raise invalid_argument(
                    f"'Days' in Transition action must be greater than or equal to 30 for storageClass "
                    f"'{storage_class}'",
                    "Days",
                    days,
                )
            if expiration and expiration.get("Days") is not None and expiration["Days"] <= days:
                raise invalid_argument(
                    f"'Days' in the Expiration action for filter '{_describe(rule)}' must be greater than "
                    f"'Days' in the Transition action",
                    "Days",
                    expiration["Days"],
                )
        elif _not_midnight(transition["Date"]):
            raise invalid_argument("'Date' must be at midnight GMT", "Date", transition["Date"])
    if noncurrent is not None:
        if noncurrent.get("NoncurrentDays") is None:
            raise malformed_xml()
        if not _positive(noncurrent.get("NoncurrentDays")):
            raise invalid_argument(
                "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
                "NoncurrentDays",
                noncurrent.get("NoncurrentDays"),
            )
        newer = noncurrent.get("NewerNoncurrentVersions")
        if newer is not None and not (1 <= newer <= 100):
            raise invalid_argument(
                "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a "
                "positive integer between 1 and 100",
                "NewerNoncurrentVersions",
                newer,
            )
    for transition in noncurrent_transitions:
        if (
            transition.get("StorageClass") not in TRANSITION_CLASSES
            or transition.get("NoncurrentDays") is None
        ):
            raise malformed_xml()
        if transition["NoncurrentDays"] < _MIN_DAYS.get(transition["StorageClass"], 0):
            raise invalid_argument(
                f"'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for "
                f"storageClass '{transition['StorageClass']}'",
                "NoncurrentDays",
                transition["NoncurrentDays"],
            )
    if abort is not None:
        if has_tags:
            raise s3_error("InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags.")
        if not _positive(abort.get("DaysAfterInitiation")):
            raise invalid_argument(
                "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
                "DaysAfterInitiation",
                abort.get("DaysAfterInitiation"),
            )


def _not_midnight(moment: datetime) -> bool:
    moment = moment.astimezone(UTC)
    return (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0)


async def _call(result):
    return (await result) if inspect.isawaitable(result) else result


class LifecycleOperations:
    def put_bucket_lifecycle_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        rules = validate(params.get("LifecycleConfiguration") or {})
        size = params.get("TransitionDefaultMinimumObjectSize") or "all_storage_classes_128K"
        if size not in SIZE_DEFAULTS:
            raise s3_error("InvalidRequest", f"Invalid TransitionDefaultMinimumObjectSize found: {size}")
        self.configs.put(bucket, "lifecycle", {"Rules": rules, "TransitionDefaultMinimumObjectSize": size})
        self.configs.lifecycle_index.put(_INDEX_SCOPE, bucket["Name"], bucket["Account"])
        return {"TransitionDefaultMinimumObjectSize": size}

    def get_bucket_lifecycle_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        stored = self.configs.get(bucket, "lifecycle")
        if stored is None:
            raise s3_error(
                "NoSuchLifecycleConfiguration",
                "The lifecycle configuration does not exist",
                404,
                BucketName=bucket["Name"],
            )
        return stored

    def delete_bucket_lifecycle(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.delete(bucket, "lifecycle")
        self.configs.lifecycle_index.delete(_INDEX_SCOPE, bucket["Name"])
        return {}

    # -- the worker ------------------------------------------------------------------------------

    def start_lifecycle(self: Provider) -> None:  # type: ignore[misc]
        interval = min(3600.0, max(0.2, day_seconds() / 4))
        self.runtime.every(interval, self.apply_lifecycle, name="s3 lifecycle")

    async def apply_lifecycle(self: Provider, now: datetime | None = None) -> None:  # type: ignore[misc]
        """One pass over every bucket that has lifecycle rules."""
        now = now or datetime.now(UTC)
        day = day_seconds()
        for name, account in list(self.configs.lifecycle_index.scan(_INDEX_SCOPE)):
            bucket = self.find_bucket(name)
            if bucket is None or bucket["Account"] != account:
                self.configs.lifecycle_index.delete(_INDEX_SCOPE, name)
                continue
            stored = self.configs.get(bucket, "lifecycle")
            if stored is None:
                continue
            context = RequestContext.internal("s3", bucket["Account"], bucket["Region"])
            context.extra["lifecycle"] = True
            for rule in stored["Rules"]:
                if rule.get("Status") != "Enabled":
                    continue
                try:
                    await self._apply_rule(context, bucket, rule, now, day)
                except Exception:
                    log.exception("lifecycle rule %r of bucket %s failed", rule.get("ID"), name)

    async def _apply_rule(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, rule: dict, now: datetime, day: float
    ) -> None:
        flt = _filter_of(rule)
        if (
            rule.get("Expiration")
            or rule.get("Transitions")
            or rule.get("NoncurrentVersionExpiration")
            or rule.get("NoncurrentVersionTransitions")
        ):
            async for versions in self._keys_with_versions(context, bucket, flt["Prefix"]):
                await self._apply_to_key(context, bucket, rule, flt, versions, now, day)
        abort = rule.get("AbortIncompleteMultipartUpload")
        if abort:
            await self._abort_uploads(context, bucket, flt["Prefix"], abort["DaysAfterInitiation"], now, day)

    async def _keys_with_versions(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, prefix: str
    ) -> AsyncIterator[list[dict]]:
        """Each key's versions and delete markers, newest first."""
        params: dict[str, Any] = {"Bucket": bucket["Name"], "Prefix": prefix, "MaxKeys": 1000}
        pending_key: str | None = None
        pending: list[dict] = []
        while True:
            page = await _call(self.list_object_versions(context, params))
            entries = [dict(item, Marker=False) for item in page.get("Versions") or []]
            entries += [dict(item, Marker=True) for item in page.get("DeleteMarkers") or []]
            entries.sort(key=lambda item: (item["Key"], -item["LastModified"].timestamp()))
            for entry in entries:
                if entry["Key"] != pending_key:
                    if pending:
                        yield pending
                    pending_key, pending = entry["Key"], []
                pending.append(entry)
            if not page.get("IsTruncated"):
                break
            params = {
                **params,
                "KeyMarker": page.get("NextKeyMarker"),
                "VersionIdMarker": page.get("NextVersionIdMarker"),
            }
        if pending:
            yield pending

    def _matches(self: Provider, bucket: dict, flt: dict, entry: dict) -> bool:  # type: ignore[misc]
        size = entry.get("Size") or 0
        if flt.get("ObjectSizeGreaterThan") is not None and not size > flt["ObjectSizeGreaterThan"]:
            return False
        if flt.get("ObjectSizeLessThan") is not None and not size < flt["ObjectSizeLessThan"]:
            return False
        if flt.get("Tags"):
            tags = {
                tag["Key"]: tag["Value"]
                for tag in self.configs.get_object(bucket, "tags", entry["Key"], entry.get("VersionId")) or []
            }
            if any(tags.get(tag["Key"]) != tag["Value"] for tag in flt["Tags"]):
                return False
        return True

    def expiration_header(  # type: ignore[misc]
        self: Provider, bucket: dict, record: dict, tags: list[dict] | None = None
    ) -> str | None:
        """x-amz-expiration for the current version `record`: when the bucket's lifecycle
        expires it and by which rule (the earliest; the first listed among equals). `tags`:
        the object's tags where they are not stored yet (the write that sets them)."""
        stored = self.configs.get(bucket, "lifecycle")
        if not stored or record.get("DeleteMarker"):
            return None
        found: tuple[datetime, str] | None = None
        for rule in stored["Rules"]:
            expiration = rule.get("Expiration") or {}
            if rule.get("Status") != "Enabled" or (
                expiration.get("Days") is None and expiration.get("Date") is None
            ):
                continue
            flt = _filter_of(rule)
            if not record["Key"].startswith(flt["Prefix"]):
                continue
            if tags is not None and flt.get("Tags"):
                given = {tag["Key"]: tag["Value"] for tag in tags}
                if any(given.get(tag["Key"]) != tag["Value"] for tag in flt["Tags"]):
                    continue
                flt = {**flt, "Tags": []}
            if not self._matches(bucket, flt, record):
                continue
            if expiration.get("Days") is not None:
                moment = due(record["LastModified"], expiration["Days"], 86400)
            else:
                moment = expiration["Date"].astimezone(UTC)
            if found is None or moment < found[0]:
                found = (moment, rule.get("ID") or "")
        if found is None:
            return None
        return f'expiry-date="{format_datetime(found[0], usegmt=True)}", rule-id="{found[1]}"'

    async def _apply_to_key(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        bucket: dict,
        rule: dict,
        flt: dict,
        versions: list[dict],
        now: datetime,
        day: float,
    ) -> None:
        current = versions[0] if versions[0].get("IsLatest") else None
        expiration = rule.get("Expiration") or {}
        if current is not None and not current["Marker"] and self._matches(bucket, flt, current):
            expired = (
                expiration.get("Days") and due(current["LastModified"], expiration["Days"], day) <= now
            ) or (expiration.get("Date") and expiration["Date"] <= now)
            if expired:
                await self._delete(context, bucket, current["Key"], None)
                return
            await self._transition(
                context,
                bucket,
                current,
                rule.get("Transitions") or [],
                "Days",
                current["LastModified"],
                now,
                day,
            )
        # A version becomes noncurrent when the next newer one is written.
        noncurrent = rule.get("NoncurrentVersionExpiration")
        keep = (noncurrent or {}).get("NewerNoncurrentVersions") or 0
        for position, entry in enumerate(versions[1:], start=1):
            if entry["Marker"] or not self._matches(bucket, flt, entry):
                continue
            since = versions[position - 1]["LastModified"]
            if noncurrent and position > keep and due(since, noncurrent["NoncurrentDays"], day) <= now:
                await self._delete(context, bucket, entry["Key"], entry["VersionId"])
                continue
            await self._transition(
                context,
                bucket,
                entry,
                rule.get("NoncurrentVersionTransitions") or [],
                "NoncurrentDays",
                since,
                now,
                day,
            )
        # A delete marker with no versions left behind it is removed (ExpiredObjectDeleteMarker,
        # or implied by an Expiration in days).
        if (
            len(versions) == 1
            and versions[0]["Marker"]
            and versions[0].get("IsLatest")
            and (expiration.get("ExpiredObjectDeleteMarker") or expiration.get("Days"))
        ):
            await self._delete(context, bucket, versions[0]["Key"], versions[0]["VersionId"])

    async def _transition(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        bucket: dict,
        entry: dict,
        transitions: list[dict],
        days_field: str,
        since: datetime,
        now: datetime,
        day: float,
    ) -> None:
        target = None
        for transition in transitions:
            if transition.get(days_field) is not None:
                reached = due(since, transition[days_field], day) <= now
            else:
                reached = transition.get("Date") is not None and transition["Date"] <= now
            if reached and (
                target is None or _CLASS_ORDER[transition["StorageClass"]] > _CLASS_ORDER[target]
            ):
                target = transition["StorageClass"]
        current = entry.get("StorageClass") or "STANDARD"
        if target is None or _CLASS_ORDER.get(current, 0) >= _CLASS_ORDER[target]:
            return
        try:
            with self.store.transaction():  # the event commits with the transition
                self.transition_object(context, bucket, entry["Key"], entry.get("VersionId"), target)
                self.object_event(context, bucket, "LifecycleTransition", {**entry, "StorageClass": target})
        except ServiceError as error:
            log.info("lifecycle left %s/%s in %s: %s", bucket["Name"], entry["Key"], current, error.message)

    async def _delete(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, key: str, version_id: str | None
    ) -> None:
        params = {"Bucket": bucket["Name"], "Key": key}
        if version_id is not None:
            params["VersionId"] = version_id
        try:
            output = await _call(self.delete_object(context, params))
        except ServiceError as error:  # object lock protects it, or it went away meanwhile
            log.info("lifecycle did not delete %s/%s: %s", bucket["Name"], key, error.message)
            return
        self._forget_deleted(bucket, key, version_id, (output or {}).get("VersionId"))

    async def _abort_uploads(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        bucket: dict,
        prefix: str,
        days: int,
        now: datetime,
        day: float,
    ) -> None:
        params: dict[str, Any] = {"Bucket": bucket["Name"], "Prefix": prefix}
        while True:
            page = await _call(self.list_multipart_uploads(context, params))
            for upload in page.get("Uploads") or []:
                if due(upload["Initiated"], days, day) <= now:
                    try:
                        await _call(
                            self.abort_multipart_upload(
                                context,
                                {
                                    "Bucket": bucket["Name"],
                                    "Key": upload["Key"],
                                    "UploadId": upload["UploadId"],
                                },
                            )
                        )
                    except ServiceError:
                        pass
                    self.configs.delete(bucket, f"upload/{upload['UploadId']}")
            if not page.get("IsTruncated"):
                return
            params = {
                **params,
                "KeyMarker": page.get("NextKeyMarker"),
                "UploadIdMarker": page.get("NextUploadIdMarker"),
            }

"""Object lock: the bucket's configuration and default retention, each version's retention
and legal hold, and the refusal to delete what they protect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.services.s3.configstore import invalid_argument, malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

MODES = ("GOVERNANCE", "COMPLIANCE")


def _java_date(moment: datetime) -> str:
    """A date as S3 echoes it in this error: Java's Date.toString() in US Pacific time
    ("Tue Dec 31 16:00:00 PST 2019")."""
    try:
        from zoneinfo import ZoneInfo

        local = moment.astimezone(ZoneInfo("America/Los_Angeles"))
    except Exception:  # no time zone database on this machine: UTC, named as such
        local = moment.astimezone(UTC)
    return local.strftime("%a %b %d %H:%M:%S %Z %Y")


def _missing_lock():
    return s3_error("InvalidRequest", "Bucket is missing Object Lock Configuration")


def _locked():
    return s3_error("AccessDenied", "Access Denied because object protected by object lock.", 403)


def _now() -> datetime:
    return datetime.now(UTC)


class ObjectLockOperations:
    def lock_configuration(self: Provider, bucket: dict) -> dict | None:  # type: ignore[misc]
        return self.configs.get(bucket, "object_lock")

    def put_object_lock_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        given = params.get("ObjectLockConfiguration")
        if given is None:
            raise s3_error("MissingRequestBodyError", "Request Body is empty")
        if given.get("ObjectLockEnabled") != "Enabled":
            raise malformed_xml()
        if self.lock_configuration(bucket) is None:
            # A bucket created without object lock may turn it on only once versioning is on.
            if bucket.get("Versioning") != "Enabled":
                raise s3_error(
                    "InvalidBucketState",
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
                    409,
                )
        stored: dict = {"ObjectLockEnabled": "Enabled"}
        rule = given.get("Rule")
        if rule is not None:
            retention = rule.get("DefaultRetention") or {}
            if retention.get("Mode") not in MODES:
                raise malformed_xml()
            periods = {unit: retention[unit] for unit in ("Days", "Years") if retention.get(unit) is not None}
            if len(periods) != 1:
                raise malformed_xml()
            ((unit, period),) = periods.items()
            if period <= 0:
                raise invalid_argument(
                    "Default retention period must be a positive integer value", unit, period
                )
            stored["Rule"] = {"DefaultRetention": {k: v for k, v in retention.items() if v is not None}}
        self.configs.put(bucket, "object_lock", stored)
        return {}

    def get_object_lock_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        stored = self.lock_configuration(bucket)
        if stored is None:
            raise s3_error(
                "ObjectLockConfigurationNotFoundError",
                "Object Lock configuration does not exist for this bucket",
                404,
                BucketName=bucket["Name"],
            )
        return {"ObjectLockConfiguration": stored}

    # -- per version ----------------------------------------------------------------------------

    def _retention(self: Provider, bucket: dict, obj: dict) -> dict | None:  # type: ignore[misc]
        stored = self.configs.get_object(bucket, "retention", obj["Key"], obj.get("VersionId"))
        if stored is not None:
            return stored or None  # {} records a removed retention
        if obj.get("ObjectLockMode") and obj.get("ObjectLockRetainUntilDate"):
            return {"Mode": obj["ObjectLockMode"], "RetainUntilDate": obj["ObjectLockRetainUntilDate"]}
        return None

    def _legal_hold(self: Provider, bucket: dict, obj: dict) -> str | None:  # type: ignore[misc]
        stored = self.configs.get_object(bucket, "legal_hold", obj["Key"], obj.get("VersionId"))
        return stored if stored is not None else obj.get("ObjectLockLegalHoldStatus")

    def object_lock_fields(self: Provider, bucket: dict, obj: dict) -> dict:  # type: ignore[misc]
        fields = {}
        retention = self._retention(bucket, obj)
        if retention:
            fields["ObjectLockMode"] = retention["Mode"]
            fields["ObjectLockRetainUntilDate"] = retention["RetainUntilDate"]
        hold = self._legal_hold(bucket, obj)
        if hold:
            fields["ObjectLockLegalHoldStatus"] = hold
        return fields

    async def put_object_retention(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        if self.lock_configuration(bucket) is None:
            raise _missing_lock()
        obj = await self.config_object(context, bucket, params)
        given = params.get("Retention") or {}
        mode, until = given.get("Mode"), given.get("RetainUntilDate")
        if (mode is None) != (until is None):
            raise malformed_xml()
        if mode is not None and mode not in MODES:
            raise malformed_xml()
        if until is not None and until <= _now():
            raise invalid_argument(
                "The retain until date must be in the future!", "RetainUntilDate", _java_date(until)
            )
        current = self._retention(bucket, obj)
        if current and current["RetainUntilDate"] > _now():
            weaker = mode is None or until < current["RetainUntilDate"] or mode != current["Mode"]
            if weaker and (current["Mode"] == "COMPLIANCE" or not params.get("BypassGovernanceRetention")):
                raise _locked()
        value = {"Mode": mode, "RetainUntilDate": until} if mode else {}
        self.configs.put_object(bucket, "retention", obj["Key"], obj.get("VersionId"), value)
        return {}

    async def get_object_retention(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        if self.lock_configuration(bucket) is None:
            raise _missing_lock()
        obj = await self.config_object(context, bucket, params)
        retention = self._retention(bucket, obj)
        if not retention:
            raise s3_error(
                "NoSuchObjectLockConfiguration",
                "The specified object does not have a ObjectLock configuration",
                404,
            )
        return {"Retention": retention}

    async def put_object_legal_hold(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        if not params.get("LegalHold"):
            raise malformed_xml()  # no document at all: refused before the bucket's lock (AWS recorded)
        if self.lock_configuration(bucket) is None:
            raise _missing_lock()
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in ("ON", "OFF"):
            raise malformed_xml()
        obj = await self.config_object(context, bucket, params)
        self.configs.put_object(bucket, "legal_hold", obj["Key"], obj.get("VersionId"), status)
        return {}

    async def get_object_legal_hold(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        if self.lock_configuration(bucket) is None:
            raise _missing_lock()
        obj = await self.config_object(context, bucket, params)
        hold = self._legal_hold(bucket, obj)
        if hold is None:
            raise s3_error(
                "NoSuchObjectLockConfiguration",
                "The specified object does not have a ObjectLock configuration",
                404,
            )
        return {"LegalHold": {"Status": hold}}

    # -- hooks ----------------------------------------------------------------------------------

    def object_lock_defaults(self: Provider, context: RequestContext, bucket: dict, params: dict) -> dict:  # type: ignore[misc]
        mode, until = params.get("ObjectLockMode"), params.get("ObjectLockRetainUntilDate")
        hold = params.get("ObjectLockLegalHoldStatus")
        configuration = self.lock_configuration(bucket)
        if configuration is None:
            if mode or until or hold:
                raise _missing_lock()
            return {}
        if (mode is None) != (until is None):
            raise s3_error(
                "InvalidArgument",
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
                400,
                ArgumentName="x-amz-object-lock-retain-until-date"
                if until is None
                else "x-amz-object-lock-mode",
            )
        if mode is not None and mode not in MODES:
            raise s3_error(
                "InvalidArgument",
                "Unknown wormMode directive.",
                400,
                ArgumentName="x-amz-object-lock-mode",
                ArgumentValue=mode,
            )
        if until is not None and until <= _now():
            raise invalid_argument("The retain until date must be in the future!")
        fields = {}
        if mode is None:
            default = (configuration.get("Rule") or {}).get("DefaultRetention")
            if default:
                days = default.get("Days") or 365 * default.get("Years", 0)
                mode, until = default["Mode"], _now() + timedelta(days=days)
        if mode:
            fields["ObjectLockMode"], fields["ObjectLockRetainUntilDate"] = mode, until
        if hold:
            fields["ObjectLockLegalHoldStatus"] = hold
        return fields

    def after_object_lock_write(  # type: ignore[misc]
        self: Provider, bucket: dict, params: dict, key: str, version: str | None
    ) -> None:
        """A multipart upload's lock settings, given when it was created, apply on completion."""
        if params.get("ObjectLockMode") and params.get("ObjectLockRetainUntilDate"):
            self.configs.put_object(
                bucket,
                "retention",
                key,
                version,
                {"Mode": params["ObjectLockMode"], "RetainUntilDate": params["ObjectLockRetainUntilDate"]},
            )
        if params.get("ObjectLockLegalHoldStatus"):
            self.configs.put_object(bucket, "legal_hold", key, version, params["ObjectLockLegalHoldStatus"])

    def check_object_lock(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, obj: dict, bypass_governance: bool
    ) -> None:
        """Raise AccessDenied if the version's retention or legal hold forbids deleting or
        overwriting it."""
        if self.lock_configuration(bucket) is None:
            return
        if self._legal_hold(bucket, obj) == "ON":
            raise _locked()
        retention = self._retention(bucket, obj)
        if retention and retention["RetainUntilDate"] > _now():
            if retention["Mode"] == "COMPLIANCE" or not bypass_governance:
                raise _locked()

"""Bucket settings kept by id (request metrics, S3 Intelligent-Tiering archive
configurations, inventory reports, storage class analysis): Put/Get/Delete by id and a
paginated List, validated as S3 does. (Inventory reports and analysis exports are configured,
not produced.)"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.services.s3.configstore import invalid_argument, malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

MAX_CONFIGURATIONS = 1000
PAGE = 100
_TIER_DAYS = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}


def _no_configuration():
    return s3_error("NoSuchConfiguration", "The specified configuration does not exist.", 404)


def _check_id(given_id: str, document: dict, kind: str) -> None:
    if not given_id or len(given_id) > 64:
        raise invalid_argument("Invalid id", "id", given_id)
    if document.get("Id") != given_id:
        if kind == "inventory":
            raise s3_error("IdMismatch", "Document ID does not match the specified configuration ID.")
        if kind in ("analytics", "tiering"):
            raise malformed_xml()
        raise invalid_argument("Document ID does not match the specified configuration ID.", "id", given_id)


def _check_filter(document: dict) -> None:
    flt = document.get("Filter")
    if flt is None:
        return
    given = [name for name in ("Prefix", "Tag", "AccessPointArn", "And") if flt.get(name) is not None]
    if len(given) > 1:
        raise malformed_xml()


def _validate_tiering(document: dict) -> None:
    if document.get("Status") not in ("Enabled", "Disabled"):
        raise malformed_xml()
    tierings = document.get("Tierings") or []
    if not tierings:
        raise malformed_xml()
    seen = set()
    for tiering in tierings:
        tier, days = tiering.get("AccessTier"), tiering.get("Days")
        if tier not in _TIER_DAYS or days is None:
            raise malformed_xml()
        if tier in seen:
            raise invalid_argument("Duplicate access tier is not allowed", "AccessTier", tier)
        seen.add(tier)
        low, high = _TIER_DAYS[tier]
        if not low <= days <= high:
            raise invalid_argument(
                f"A {tier} configuration must have a Days value between {low} and {high}", "Days", days
            )


_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@functools.cache
def _inventory_fields() -> frozenset[str]:
    """The optional fields an inventory may list: the model's enum, so new ones are taken as
    the SDKs learn them."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    return frozenset(model.shape_for("InventoryOptionalField").enum)


def _validate_inventory(document: dict) -> None:
    destination = (document.get("Destination") or {}).get("S3BucketDestination")
    if not destination or document.get("IsEnabled") is None:
        raise malformed_xml()
    if not _BUCKET_ARN.match(destination.get("Bucket") or ""):
        raise s3_error("InvalidS3DestinationBucket", "Invalid bucket ARN.")
    if destination.get("Format") not in ("CSV", "ORC", "Parquet"):
        raise malformed_xml()
    encryption = destination.get("Encryption")
    if encryption is not None:
        given = [name for name in ("SSES3", "SSEKMS") if encryption.get(name) is not None]
        if len(given) != 1 or ("SSEKMS" in given and not encryption["SSEKMS"].get("KeyId")):
            raise malformed_xml()
    if (document.get("Schedule") or {}).get("Frequency") not in ("Daily", "Weekly"):
        raise malformed_xml()
    if document.get("IncludedObjectVersions") not in ("All", "Current"):
        raise malformed_xml()
    if any(field not in _inventory_fields() for field in document.get("OptionalFields") or []):
        raise malformed_xml()


def _validate_analytics(document: dict) -> None:
    export = (document.get("StorageClassAnalysis") or {}).get("DataExport")
    if export is None:
        return
    destination = (export.get("Destination") or {}).get("S3BucketDestination") or {}
    if export.get("OutputSchemaVersion") != "V_1" or destination.get("Format") != "CSV":
        raise malformed_xml()
    if not _BUCKET_ARN.match(destination.get("Bucket") or ""):
        raise s3_error("InvalidS3DestinationBucket", "Invalid bucket ARN.")


#: kind → (document member, list output member, extra validation)
_KINDS = {
    "analytics": ("AnalyticsConfiguration", "AnalyticsConfigurationList", _validate_analytics),
    "metrics": ("MetricsConfiguration", "MetricsConfigurationList", None),
    "tiering": ("IntelligentTieringConfiguration", "IntelligentTieringConfigurationList", _validate_tiering),
    "inventory": ("InventoryConfiguration", "InventoryConfigurationList", _validate_inventory),
}


class IdConfigurationOperations:
    def _put_by_id(self: Provider, context: RequestContext, params: dict, kind: str) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        member, _, validate = _KINDS[kind]
        document = params.get(member) or {}
        _check_id(params["Id"], document, kind)
        _check_filter(document)
        if validate is not None:
            validate(document)
        if self.configs.get(bucket, f"{kind}/{params['Id']}") is None:
            if sum(1 for _ in self.configs.scan(bucket, f"{kind}/")) >= MAX_CONFIGURATIONS:
                raise s3_error(
                    "TooManyConfigurations",
                    "You are attempting to create a new configuration but "
                    "have already reached the 1,000-configuration limit.",
                )
        self.configs.put(
            bucket, f"{kind}/{params['Id']}", {k: v for k, v in document.items() if v is not None}
        )
        return {}

    def _get_by_id(self: Provider, context: RequestContext, params: dict, kind: str) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        document = self.configs.get(bucket, f"{kind}/{params['Id']}")
        if document is None:
            raise _no_configuration()
        return {_KINDS[kind][0]: document}

    def _delete_by_id(self: Provider, context: RequestContext, params: dict, kind: str) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        if self.configs.get(bucket, f"{kind}/{params['Id']}") is None:
            raise _no_configuration()
        self.configs.delete(bucket, f"{kind}/{params['Id']}")
        return {}

    def _list_by_id(self: Provider, context: RequestContext, params: dict, kind: str) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        token = params.get("ContinuationToken")
        after = None
        if token:
            try:
                position = decode_token(self.store, f"s3:{kind}", token, bind=bucket["Name"])
            except ValueError:
                position = None
            if not isinstance(position, str):
                raise invalid_argument(
                    "The continuation token provided is incorrect", "continuation-token", token
                )
            after = f"{kind}/{position}"
        page = [
            (name, value)
            for name, value in self.configs.scan(bucket, f"{kind}/", after, PAGE + 1)
            if value is not None
        ]
        output: dict = {"IsTruncated": len(page) > PAGE}
        if token:
            output["ContinuationToken"] = token
        if page[:PAGE]:
            output[_KINDS[kind][1]] = [value for _, value in page[:PAGE]]
        if len(page) > PAGE:
            last = page[PAGE - 1][0].split("/", 1)[1]
            output["NextContinuationToken"] = encode_token(
                self.store, f"s3:{kind}", last, bind=bucket["Name"]
            )
        return output

    def put_bucket_metrics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._put_by_id(context, params, "metrics")

    def get_bucket_metrics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._get_by_id(context, params, "metrics")

    def delete_bucket_metrics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._delete_by_id(context, params, "metrics")

    def list_bucket_metrics_configurations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._list_by_id(context, params, "metrics")

    def put_bucket_intelligent_tiering_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        output = self._put_by_id(context, params, "tiering")
        context.status = 204  # what S3 answers, though its model says 200
        return output

    def get_bucket_intelligent_tiering_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return self._get_by_id(context, params, "tiering")

    def delete_bucket_intelligent_tiering_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return self._delete_by_id(context, params, "tiering")

    def list_bucket_intelligent_tiering_configurations(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return self._list_by_id(context, params, "tiering")

    def put_bucket_inventory_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        output = self._put_by_id(context, params, "inventory")
        context.status = 204  # what S3 answers, though its model says 200
        return output

    def get_bucket_inventory_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._get_by_id(context, params, "inventory")

    def delete_bucket_inventory_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._delete_by_id(context, params, "inventory")

    def list_bucket_inventory_configurations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._list_by_id(context, params, "inventory")

    def put_bucket_analytics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        output = self._put_by_id(context, params, "analytics")
        context.status = 204  # what S3 answers, though its model says 200
        return output

    def get_bucket_analytics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._get_by_id(context, params, "analytics")

    def delete_bucket_analytics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._delete_by_id(context, params, "analytics")

    def list_bucket_analytics_configurations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._list_by_id(context, params, "analytics")

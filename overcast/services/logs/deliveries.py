"""Vended log deliveries: a delivery source (an AWS resource's logs of one type), a delivery
destination (an S3 bucket, a log group, a Firehose stream or X-Ray) with its policy, and the
delivery that pairs them.

Tables (scope = account/region), each record with when it was created ("_order"), since AWS
lists them in that order:
  delivery_sources       name → DeliverySource
  delivery_destinations  name → DeliveryDestination (+ "policy")
  deliveries             id → Delivery
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from overcast import policy
from overcast.common.arns import build_arn, parse_arn
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import Table
from overcast.store import scope as store_scope

from . import vended

if TYPE_CHECKING:
    from .provider import Provider

_ID_ALPHABET = string.ascii_letters + string.digits
#: The destination type an ARN's service implies.
_DESTINATION_TYPES = {"s3": "S3", "logs": "CWL", "firehose": "FH"}
_NO_SOURCE = "Requested Delivery Source does not exist in this account."
_NO_DESTINATION = "Requested Delivery Destination does not exist in this account."
_NO_DELIVERY = "Requested Delivery does not exist in this account."
#: The order AWS lists them in when it refuses another.
_OUTPUT_FORMATS = ("w3c", "raw", "json", "plain", "parquet")
_TAGS_ON_UPDATE = "Tags can only be provided when a resource is being created, not updated."


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 400)


def _not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def _bad_token() -> ServiceError:
    return _validation("The specified nextToken is invalid.")


#: Records keep when they were created (ORDER), which AWS lists them by, and a destination keeps
#: its policy: neither is part of the resource as the API shows it.
ORDER = "_order"


def public(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != ORDER and k != "policy"}


def _listing(store: Any, operation: str, params: dict, rows: Iterator[dict], bind: str) -> dict:
    """A page of `rows` in the order they were created."""
    ordered = sorted(rows, key=lambda record: record.get(ORDER, 0))
    return paginate_list(
        store,
        "logs",
        operation,
        params,
        ordered,
        bad_token=_bad_token,
        default_limit=50,
        render=public,
        bind=bind,
    )


def _policy_allows(document: str | None, context: RequestContext, destination_arn: str) -> bool:
    if not document:
        return False
    principal_arn = context.principal_arn or f"arn:aws:iam::{context.account}:root"
    kind = policy.ROOT if principal_arn.endswith(":root") else policy.USER
    decision = policy.evaluate(
        policy.AuthorizationRequest(
            policy.Principal(principal_arn, context.account, kind),
            "logs:CreateDelivery",
            destination_arn,
            resource_account=parse_arn(destination_arn).account,  # type: ignore[union-attr]
            region=context.region,
        ),
        resource_policy=policy.parse(document, policy.RESOURCE),
    )
    return decision.allowed or decision.allowed_by_resource_policy


class DeliveriesMixin:
    @property
    def _delivery_sources(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "delivery_sources")

    @property
    def _delivery_destinations(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "delivery_destinations")

    @property
    def _deliveries(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "deliveries")

    # -- sources -------------------------------------------------------------------------------

    def put_delivery_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name, resource_arn, log_type = params["name"], params["resourceArn"], params["logType"]
        arn = parse_arn(resource_arn)
        by_type = vended.BY_SERVICE.get(arn.service if arn else "")
        if by_type is None:
            raise _not_found("Cannot access provided service.")
        if log_type not in by_type:
            raise _validation("This service is not allowed for this LogSource.")
        tags = params.get("tags")
        existing = self._delivery_sources.get(scope, name)
        if existing is not None:
            if tags:
                raise _conflict(_TAGS_ON_UPDATE)
            if resource_arn not in existing["resourceArns"]:
                raise _conflict(
                    "Update to existing Delivery Source with new ResourceId is not allowed. "
                    "Please create a new Delivery Source instead."
                )
            if log_type != existing["logType"]:
                raise _conflict(
                    "Update to existing Delivery Source with new LogType is not allowed. "
                    "Please create a new Delivery Source instead."
                )
            tags = existing.get("tags")
        source: dict[str, Any] = {
            ORDER: existing[ORDER] if existing else time.time_ns(),
            "name": name,
            "arn": build_arn("logs", context.region, context.account, f"delivery-source:{name}"),
            "resourceArns": [resource_arn],
            "service": by_type[log_type].service,
            "logType": log_type,
        }
        if tags:
            source["tags"] = dict(tags)
        if params.get("deliverySourceConfiguration"):
            source["deliverySourceConfiguration"] = dict(params["deliverySourceConfiguration"])
        self._delivery_sources.put(scope, name, source)
        return {"deliverySource": public(source)}

    def _delivery_source(self: Provider, scope: str, name: str) -> dict:  # type: ignore[misc]
        source = self._delivery_sources.get(scope, name)
        if source is None:
            raise _not_found(_NO_SOURCE)
        return source

    def get_delivery_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"deliverySource": public(self._delivery_source(self._scope(context), params["name"]))}

    def describe_delivery_sources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        wanted = set(params.get("resourceArns") or ())

        sources = (
            source
            for _, source in self._delivery_sources.scan(scope)
            if not wanted or wanted & set(source["resourceArns"])
        )
        return _listing(self.store, "DescribeDeliverySources", params, sources, ",".join(sorted(wanted)))

    def delete_delivery_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name = params["name"]
        self._delivery_source(scope, name)
        if any(d["deliverySourceName"] == name for _, d in self._deliveries.scan(scope)):
            raise _conflict("The Delivery Source is in use by one or more Deliveries. Delete them first.")
        self._delivery_sources.delete(scope, name)
        return {}

    # -- destinations --------------------------------------------------------------------------

    def put_delivery_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name = params["name"]
        output_format = params.get("outputFormat")
        if output_format is not None and output_format not in _OUTPUT_FORMATS:
            raise _validation(
                f"1 validation error detected: Value '{output_format}' at 'outputFormat' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{', '.join(_OUTPUT_FORMATS)}]"
            )
        configuration = params.get("deliveryDestinationConfiguration")
        kind = params.get("deliveryDestinationType")
        if configuration:
            arn = parse_arn(configuration["destinationResourceArn"])
            implied = _DESTINATION_TYPES.get(arn.service if arn else "")
            if implied is None:
                raise _validation("The destinationResourceArn is not a supported destination.")
            if kind and kind != implied:
                raise _validation(
                    f"The deliveryDestinationType {kind} does not match the destinationResourceArn."
                )
            kind = implied
        elif kind != "XRAY":
            raise _validation(
                "deliveryDestinationConfiguration is required unless the deliveryDestinationType is XRAY."
            )
        tags = params.get("tags")
        existing = self._delivery_destinations.get(scope, name)
        if existing is not None:
            if tags:
                raise _conflict(_TAGS_ON_UPDATE)
            if output_format and existing.get("outputFormat") != output_format:
                raise _validation(
                    "Update to existing Delivery Destination with new Output Format is not allowed. "
                    "Please create a new Delivery Destination instead."
                )
            output_format = existing.get("outputFormat")
            tags = existing.get("tags")
        destination: dict[str, Any] = {
            "name": name,
            "arn": build_arn("logs", context.region, context.account, f"delivery-destination:{name}"),
            "deliveryDestinationType": kind,
        }
        if output_format:
            destination["outputFormat"] = output_format
        if configuration:
            destination["deliveryDestinationConfiguration"] = dict(configuration)
        if params.get("roleArn"):
            destination["roleArn"] = params["roleArn"]
        if tags:
            destination["tags"] = dict(tags)
        stored = {**destination, ORDER: existing[ORDER] if existing else time.time_ns()}
        if existing is not None and "policy" in existing:
            stored["policy"] = existing["policy"]
        self._delivery_destinations.put(scope, name, stored)
        return {"deliveryDestination": destination}

    def _delivery_destination(self: Provider, scope: str, name: str) -> dict:  # type: ignore[misc]
        destination = self._delivery_destinations.get(scope, name)
        if destination is None:
            raise _not_found(_NO_DESTINATION)
        return destination

    def get_delivery_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        destination = self._delivery_destination(self._scope(context), params["name"])
        return {"deliveryDestination": public(destination)}

    def describe_delivery_destinations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        wanted = set(params.get("names") or ())

        destinations = (
            d for name, d in self._delivery_destinations.scan(scope) if not wanted or name in wanted
        )
        return _listing(
            self.store, "DescribeDeliveryDestinations", params, destinations, ",".join(sorted(wanted))
        )

    def delete_delivery_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        destination = self._delivery_destination(scope, params["name"])
        # Deliveries live with their source, which may be in another account (cross-account).
        used = (
            d["deliveryDestinationArn"] == destination["arn"]
            for other in self._deliveries.scopes()
            for _, d in self._deliveries.scan(other)
        )
        if any(used):
            raise _conflict(
                "The Delivery Destination is in use by one or more Deliveries. Delete them first."
            )
        self._delivery_destinations.delete(scope, params["name"])
        return {}

    # -- destination policies ------------------------------------------------------------------

    def put_delivery_destination_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        destination = self._delivery_destination(scope, params["deliveryDestinationName"])
        document = params["deliveryDestinationPolicy"]
        try:
            policy.parse(document, policy.RESOURCE)
        except policy.MalformedPolicy as error:
            raise _validation(
                f"The deliveryDestinationPolicy is not a valid policy document: {error}"
            ) from None
        destination["policy"] = document
        self._delivery_destinations.put(scope, destination["name"], destination)
        return {"policy": {"deliveryDestinationPolicy": document}}

    def get_delivery_destination_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        destination = self._delivery_destination(self._scope(context), params["deliveryDestinationName"])
        policy = destination.get("policy")
        return {"policy": {"deliveryDestinationPolicy": policy} if policy else {}}

    def delete_delivery_destination_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        destination = self._delivery_destination(scope, params["deliveryDestinationName"])
        if destination.pop("policy", None) is None:
            raise _not_found("Requested Delivery Destination Policy does not exist in this account.")
        self._delivery_destinations.put(scope, destination["name"], destination)
        return {}

    # -- deliveries ----------------------------------------------------------------------------

    def create_delivery(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        source = self._delivery_source(scope, params["deliverySourceName"])
        destination = self._destination_for_delivery(context, params["deliveryDestinationArn"])
        kind = destination["deliveryDestinationType"]
        logs = vended.BY_SERVICE[source["service"]][source["logType"]]
        formats = logs.outputs.get(kind)
        if formats is None:
            raise _validation(f"Delivery Destination type {kind} is not supported by this Delivery Source.")
        if destination.get("outputFormat") and destination["outputFormat"] not in formats:
            raise _validation(
                f"Output format {destination['outputFormat']} is not supported by this Delivery Source."
            )
        for _, other in self._deliveries.scan(scope):
            if other["deliverySourceName"] != source["name"]:
                continue
            if other["deliveryDestinationArn"] == destination["arn"]:
                raise _conflict("The specified Delivery already exists")
            if other["deliveryDestinationType"] == kind:
                raise _conflict(
                    "Delivery already exists for this Delivery Source with the same Delivery Destination Type."
                )
        delivery_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))
        delivery: dict[str, Any] = {
            ORDER: time.time_ns(),
            "id": delivery_id,
            "arn": build_arn("logs", context.region, context.account, f"delivery:{delivery_id}"),
            "deliverySourceName": source["name"],
            "deliveryDestinationArn": destination["arn"],
            "deliveryDestinationType": kind,
        }
        if logs.fields:
            delivery["recordFields"] = list(logs.fields)
        if kind == "S3":
            delivery["s3DeliveryConfiguration"] = vended.default_s3_configuration(logs)
        self._configure_delivery(delivery, logs, params)
        if params.get("tags"):
            delivery["tags"] = dict(params["tags"])
        self._deliveries.put(scope, delivery_id, delivery)
        return {"delivery": public(delivery)}

    def _destination_for_delivery(self: Provider, context: RequestContext, destination_arn: str) -> dict:  # type: ignore[misc]
        """The delivery destination an ARN names: in the caller's account, or in another account
        whose destination policy lets the caller create deliveries to it."""
        arn = parse_arn(destination_arn)
        name = arn.resource.partition("delivery-destination:")[2] if arn else ""
        if arn is None or arn.service != "logs" or arn.region != context.region or not name:
            raise _not_found(_NO_DESTINATION)
        destination = self._delivery_destinations.get(store_scope(arn.account, arn.region), name)
        if destination is None:
            raise _not_found(_NO_DESTINATION)
        if arn.account != context.account and not _policy_allows(
            destination.get("policy"), context, destination_arn
        ):
            raise ServiceError(
                "AccessDeniedException",
                f"The delivery destination policy of {destination_arn} does not allow this account to "
                "create deliveries to it.",
                400,
            )
        return destination

    @staticmethod
    def _configure_delivery(delivery: dict, logs: vended.VendedLogs, params: dict) -> None:
        """Apply the configuration `params` give, checked against what the source allows."""
        fields = params.get("recordFields")
        if fields is not None:
            allowed = set(logs.fields + logs.extra_fields)
            unknown = [name for name in fields if name not in allowed]
            if unknown:
                raise _validation(f"Record field {unknown[0]} is not allowed for this Delivery Source.")
            delivery["recordFields"] = list(fields)
        delimiter = params.get("fieldDelimiter")
        if delimiter is not None:
            if delimiter and delimiter not in logs.delimiters:
                raise _validation(f"Field delimiter '{delimiter}' is not allowed for this Delivery Source.")
            delivery["fieldDelimiter"] = delimiter
        s3 = params.get("s3DeliveryConfiguration")
        if s3 is not None:
            if delivery["deliveryDestinationType"] != "S3":
                raise _validation("s3DeliveryConfiguration is only allowed for S3 Delivery Destinations.")
            delivery["s3DeliveryConfiguration"] = {**delivery["s3DeliveryConfiguration"], **s3}

    def _delivery(self: Provider, scope: str, delivery_id: str) -> dict:  # type: ignore[misc]
        delivery = self._deliveries.get(scope, delivery_id)
        if delivery is None:
            raise _not_found(_NO_DELIVERY)
        return delivery

    def get_delivery(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"delivery": public(self._delivery(self._scope(context), params["id"]))}

    def describe_deliveries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        wanted = set(params.get("deliverySourceNames") or ())

        deliveries = (
            d for _, d in self._deliveries.scan(scope) if not wanted or d["deliverySourceName"] in wanted
        )
        return _listing(self.store, "DescribeDeliveries", params, deliveries, ",".join(sorted(wanted)))

    def delete_delivery(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        self._delivery(scope, params["id"])
        self._deliveries.delete(scope, params["id"])
        return {}

    def update_delivery_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        delivery = self._delivery(scope, params["id"])
        source = self._delivery_source(scope, delivery["deliverySourceName"])
        self._configure_delivery(delivery, vended.BY_SERVICE[source["service"]][source["logType"]], params)
        self._deliveries.put(scope, delivery["id"], delivery)
        return {}

    # -- templates -----------------------------------------------------------------------------

    def describe_configuration_templates(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        filters = {
            "service": {params["service"]} if params.get("service") else None,
            "logType": set(params.get("logTypes") or ()) or None,
            "resourceType": set(params.get("resourceTypes") or ()) or None,
            "deliveryDestinationType": set(params.get("deliveryDestinationTypes") or ()) or None,
        }
        found = [
            template
            for template in vended.templates()
            if all(wanted is None or template[key] in wanted for key, wanted in filters.items())
        ]
        return paginate_list(
            self.store, "logs", "DescribeConfigurationTemplates", params, found,
            bad_token=_bad_token, default_limit=50, bind=repr(sorted((k, sorted(v or ())) for k, v in filters.items())),
        )  # fmt: skip

"""Mobile push: platform applications and their endpoints (device tokens). Overcast talks to no
push service: a message published to an endpoint, directly or through an "application"
subscription, is recorded for GET /_overcast/sns/messages like email and SMS are.

State: "applications" keyed "<platform>/<name>", "endpoints" keyed "<platform>/<name>/<id>",
so an application's endpoints are one prefix scan."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from overcast.common.arns import partition
from overcast.common.ids import fast_uuid
from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.sns.models import bad_token, invalid, not_found, parse_arn
from overcast.services.sns.publish import _attribute_record, check_message
from overcast.store import scope

from .pages import paginate_keys

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.sns.provider import Provider

PLATFORMS = frozenset(
    {"ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "BAIDU", "GCM", "MPNS", "WNS"}
)
_APPLICATION_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
#: Platforms whose credential comes with a principal (client id, certificate, API key).
_NEEDS_PRINCIPAL = frozenset({"ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "BAIDU"})
_ENDPOINT_ATTRIBUTES = frozenset({"Enabled", "Token", "CustomUserData"})
#: Credentials are write-only: AWS never returns them.
_SECRET_ATTRIBUTES = frozenset({"PlatformCredential", "PlatformPrincipal"})
PAGE_SIZE = 100


def _resource(arn: str, name: str, kind: str) -> tuple[str, str, str]:
    """(account, region, key) of an app/... or endpoint/... ARN."""
    parts = parse_arn(arn, name)
    resource = parts[5]
    slashes = 2 if kind == "app" else 3
    if not resource.startswith(f"{kind}/") or resource.count("/") != slashes:
        raise invalid(
            f"Invalid parameter: {name} Reason: Wrong number of slashes in relative portion of the ARN."
        )
    return parts[4], parts[3], resource.split("/", 1)[1]


def _check_endpoint_attributes(attributes: dict) -> None:
    for name, value in attributes.items():
        if name not in _ENDPOINT_ATTRIBUTES:
            raise invalid(f"Invalid parameter: Attributes Reason: Invalid attribute name: {name}")
        if name == "Enabled" and value not in ("true", "false"):
            raise invalid("Invalid parameter: Attributes Reason: Invalid value for attribute: Enabled")
        if name == "CustomUserData" and len(value.encode()) > 2048:
            raise invalid(
                "Invalid parameter: Attributes Reason: Invalid value for attribute: CustomUserData: must be at most"
                " 2048 bytes long in UTF-8 encoding"
            )


class PlatformOperations:
    def init_platform(self: Provider) -> None:  # type: ignore[misc]
        self.t_applications = self.store.table("sns", "applications")
        self.t_endpoints = self.store.table("sns", "endpoints")

    # -- applications -------------------------------------------------------------------------

    def create_platform_application(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, platform = params["Name"], params["Platform"]
        attributes = params["Attributes"]
        if not name:
            raise invalid("Invalid parameter:  Reason: cannot be empty")
        if len(name) > 256:
            raise invalid(f"Invalid parameter: {name} Reason: must be at most 256 characters long")
        if not _APPLICATION_NAME.fullmatch(name):
            raise invalid(f"Invalid parameter: {name} Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9',"
                          " '_', '-', and '.'")  # fmt: skip
        if not attributes:
            raise ServiceError("ValidationError", "1 validation error detected: Value null at 'attributes' failed to"
                               " satisfy constraint: Member must not be null")  # fmt: skip
        if platform not in PLATFORMS:
            raise invalid(f"Invalid parameter: Platform Reason: {platform} is not supported")
        if "PlatformCredential" not in attributes:
            if "PlatformPrincipal" in attributes:
                raise invalid("Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without"
                              " PlatformCredential")  # fmt: skip
            raise invalid("Invalid parameter: Attributes Reason: PlatformCredential attribute required")
        if platform in _NEEDS_PRINCIPAL and "PlatformPrincipal" not in attributes:
            raise invalid("Invalid parameter: Attributes Reason: PlatformCredential attribute provided without"
                          " PlatformPrincipal")  # fmt: skip
        sc = scope(context.account, context.region)
        key = f"{platform}/{name}"
        record = self.t_applications.get(sc, key) or {"Enabled": "true"}
        record.update(attributes)
        self.t_applications.put(sc, key, record)
        return {
            "PlatformApplicationArn": f"arn:{partition(context.region)}:sns:{context.region}:{context.account}:app/{key}"
        }

    def _application(self: Provider, arn: str) -> tuple[str, str, dict]:  # type: ignore[misc]
        account, region, key = _resource(arn, "PlatformApplicationArn", "app")
        record = self.t_applications.get(scope(account, region), key)
        if record is None:
            raise not_found("PlatformApplication does not exist")
        return scope(account, region), key, record

    def get_platform_application_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, record = self._application(params["PlatformApplicationArn"])
        return {"Attributes": {k: v for k, v in record.items() if k not in _SECRET_ATTRIBUTES}}

    def set_platform_application_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["PlatformApplicationArn"]
        _resource(arn, "PlatformApplicationArn", "app")  # the ARN is read first (wire.py)
        attributes = params.get("Attributes")
        if not attributes:
            raise ServiceError("ValidationError", "1 validation error detected: Value null at 'attributes' failed to"
                               " satisfy constraint: Member must not be null")  # fmt: skip
        sc, key, record = self._application(arn)
        record.update(attributes)
        self.t_applications.put(sc, key, record)
        return {}

    def delete_platform_application(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = _resource(params["PlatformApplicationArn"], "PlatformApplicationArn", "app")
        sc = scope(account, region)
        with self.store.transaction():
            for endpoint_key, _ in list(self.t_endpoints.scan(sc, prefix=f"{key}/")):
                self.t_endpoints.delete(sc, endpoint_key)
            self.t_applications.delete(sc, key)
        return {}

    def list_platform_applications(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        sc = scope(context.account, context.region)
        prefix = f"arn:{partition(context.region)}:sns:{context.region}:{context.account}:app/"
        return paginate_keys(
            self.store, "sns", "ListPlatformApplications", params,
            lambda after: self.t_applications.scan(sc, start_after=after),
            bad_token=bad_token, default_limit=PAGE_SIZE,
            render=lambda key, record: {
                "PlatformApplicationArn": prefix + key,
                "Attributes": {k: v for k, v in record.items() if k not in _SECRET_ATTRIBUTES},
            },
        )  # fmt: skip

    # -- endpoints ----------------------------------------------------------------------------

    def create_platform_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        sc, key, _ = self._application(params["PlatformApplicationArn"])
        attributes = dict(params.get("Attributes") or {})
        _check_endpoint_attributes(attributes)
        token = params["Token"]
        wanted = {"Enabled": "true", **attributes, "Token": token}
        if params.get("CustomUserData") is not None:
            wanted.setdefault("CustomUserData", params["CustomUserData"])
        application_arn = params["PlatformApplicationArn"]
        base = application_arn.replace(":app/", ":endpoint/", 1)
        for endpoint_key, record in self.t_endpoints.scan(sc, prefix=f"{key}/"):
            if record.get("Token") == token:
                arn = f"{base}/{endpoint_key.rsplit('/', 1)[1]}"
                if record != wanted:
                    raise invalid(f"Invalid parameter: Token Reason: Endpoint {arn} already exists with the same"
                                  " Token, but different attributes.")  # fmt: skip
                return {"EndpointArn": arn}
        endpoint_id = str(uuid.uuid4())
        self.t_endpoints.put(sc, f"{key}/{endpoint_id}", wanted)
        return {"EndpointArn": f"{base}/{endpoint_id}"}

    def platform_endpoint(self: Provider, arn: str, name: str = "EndpointArn") -> dict | None:  # type: ignore[misc]
        account, region, key = _resource(arn, name, "endpoint")
        return self.t_endpoints.get(scope(account, region), key)

    def get_endpoint_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.platform_endpoint(params["EndpointArn"])
        if record is None:
            raise not_found("Endpoint does not exist")
        return {"Attributes": record}

    def set_endpoint_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["EndpointArn"]
        account, region, key = _resource(arn, "EndpointArn", "endpoint")
        _check_endpoint_attributes(params["Attributes"])
        sc = scope(account, region)
        record = self.t_endpoints.get(sc, key)
        if record is None:
            raise not_found("Endpoint does not exist")
        record.update(params["Attributes"])
        self.t_endpoints.put(sc, key, record)
        return {}

    def delete_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = _resource(params["EndpointArn"], "EndpointArn", "endpoint")
        self.t_endpoints.delete(scope(account, region), key)
        return {}

    def list_endpoints_by_platform_application(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        application_arn = params["PlatformApplicationArn"]
        sc, key, _ = self._application(application_arn)
        base = application_arn.replace(":app/", ":endpoint/", 1)
        return paginate_keys(
            self.store, "sns", "ListEndpointsByPlatformApplication", params,
            lambda after: self.t_endpoints.scan(sc, prefix=f"{key}/", start_after=after),
            bad_token=bad_token, default_limit=PAGE_SIZE, bind=key,
            render=lambda endpoint_key, record: {
                "EndpointArn": f"{base}/{endpoint_key.rsplit('/', 1)[1]}", "Attributes": record
            },
        )  # fmt: skip

    def publish_to_endpoint(self: Provider, context: RequestContext, arn: str, params: dict) -> dict:  # type: ignore[misc]
        record = self.platform_endpoint(arn, "TargetArn")
        if record is None:
            raise invalid(
                "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"
            )
        if record.get("Enabled") == "false":
            # Checked before the message itself, as AWS does.
            raise ServiceError("EndpointDisabled", "Endpoint is disabled")
        texts = check_message(params)
        platform = arn.split(":", 5)[5].split("/")[1]
        message = params["Message"] if texts is None else texts.get(platform, texts["default"])
        message_id = fast_uuid()
        account, region, _ = _resource(arn, "TargetArn", "endpoint")
        self.record(account, region, {
            "Type": "Notification", "MessageId": message_id, "TargetArn": arn, "Protocol": "application",
            "Endpoint": arn, "Token": record.get("Token"), "Message": message, "Subject": params.get("Subject"),
            "MessageAttributes": _attribute_record(params.get("MessageAttributes")), "Timestamp": iso_millis(),
        })  # fmt: skip
        return {"MessageId": message_id}

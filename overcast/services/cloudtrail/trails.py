"""Trail rules: names, ARNs, the errors AWS answers, and which events a trail's (basic or
advanced) event selectors let through."""

from __future__ import annotations

import re

from overcast.common.arns import build_arn
from overcast.errors import ServiceError
from overcast.services.cloudtrail.events import Record

_NAME_CHARS = re.compile(r"[A-Za-z0-9._-]+")
_ADJACENT = re.compile(r"[._-]{2}")
_IP = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
TRAIL_ARN = re.compile(r"arn:[\w-]+:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)")
MAX_TRAILS_PER_REGION = 5


def error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, 400)


def check_name(name: str) -> None:
    if len(name) < 3:
        raise error(
            "InvalidTrailNameException",
            f"Trail name too short. Minimum allowed length: 3 characters. Specified name length: {len(name)} characters.",
        )
    if len(name) > 128:
        raise error(
            "InvalidTrailNameException",
            f"Trail name too long. Maximum allowed length: 128 characters. Specified name length: {len(name)} characters.",
        )
    if not name[0].isascii() or not name[0].isalnum():
        raise error("InvalidTrailNameException", "Trail name must starts with a letter or number.")
    if not name[-1].isascii() or not name[-1].isalnum():
        raise error("InvalidTrailNameException", "Trail name must ends with a letter or number.")
    if not _NAME_CHARS.fullmatch(name):
        raise error(
            "InvalidTrailNameException",
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).",
        )
    if _ADJACENT.search(name):
        raise error(
            "InvalidTrailNameException",
            "Trail name cannot have adjacent periods (.), underscores (_) or dashes (-).",
        )
    if _IP.fullmatch(name):
        raise error("InvalidTrailNameException", "Trail name cannot be formatted as an IP address.")


def trail_arn(region: str, account: str, name: str) -> str:
    return build_arn("cloudtrail", region, account, f"trail/{name}")


def not_found(region: str, account: str, name_or_arn: str) -> ServiceError:
    arn = name_or_arn if name_or_arn.startswith("arn:") else trail_arn(region, account, name_or_arn)
    return error("TrailNotFoundException", f"Unknown trail: {arn} for the user: {account}")


def check_key_prefix(prefix: str | None) -> None:
    if prefix is not None and len(prefix) > 200:
        raise error("InvalidS3PrefixException", "S3 prefix is longer than 200 characters.")


def sns_topic_arn(region: str, account: str, topic: str | None) -> str | None:
    if not topic:
        return None
    return topic if topic.startswith("arn:") else build_arn("sns", region, account, topic)


# -- event selectors ------------------------------------------------------------------------------

DEFAULT_SELECTORS = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }
]

_BASIC_DATA_TYPES = {"AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"}
_ADVANCED_FIELDS = {
    "eventCategory",
    "eventSource",
    "eventName",
    "eventType",
    "readOnly",
    "resources.type",
    "resources.ARN",
    "userIdentity.arn",
    "sessionCredentialFromConsole",
    "errorCode",
    "vpcEndpointId",
    "eventTypeName",
}
_OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")


def validate_selectors(basic: list | None, advanced: list | None) -> None:
    if (basic is None and advanced is None) or (basic is not None and advanced is not None):
        raise error(
            "InvalidParameterCombinationException",
            "You must specify either EventSelectors or AdvancedEventSelectors, but not both.",
        )
    if basic is not None:
        if len(basic) > 5:
            raise error("InvalidEventSelectorsException", "A trail can have at most 5 event selectors.")
        for selector in basic:
            if selector.get("ReadWriteType", "All") not in ("All", "ReadOnly", "WriteOnly"):
                raise error("InvalidEventSelectorsException", "Invalid ReadWriteType.")
            for resource in selector.get("DataResources") or ():
                rtype = resource.get("Type")
                if rtype not in _BASIC_DATA_TYPES:
                    raise error(
                        "InvalidEventSelectorsException",
                        f"Value {rtype} for parameter DataResources.Type is invalid.",
                    )
    elif advanced is not None:
        for selector in advanced:
            fields = selector.get("FieldSelectors") or []
            names = [f.get("Field") for f in fields]
            if "eventCategory" not in names:
                raise error(
                    "InvalidEventSelectorsException",
                    "You must specify the eventCategory field in advanced event selectors.",
                )
            for field in fields:
                if field.get("Field") not in _ADVANCED_FIELDS:
                    raise error(
                        "InvalidEventSelectorsException",
                        f"Invalid field {field.get('Field')} in advanced event selectors.",
                    )
                if not any(field.get(op) for op in _OPERATORS):
                    raise error(
                        "InvalidEventSelectorsException",
                        f"Field {field['Field']} must specify at least one operator.",
                    )


def wants_data_events(trail: dict) -> bool:
    if trail.get("AdvancedEventSelectors"):
        return any(
            "Data" in (f.get("Equals") or ())
            for s in trail["AdvancedEventSelectors"]
            for f in s["FieldSelectors"]
            if f["Field"] == "eventCategory"
        )
    return any(s.get("DataResources") for s in trail.get("EventSelectors") or ())


def selects(trail: dict, record: Record) -> bool:
    """Whether the trail's selectors let this event through (AWS's defaults: every
    management event, no data events)."""
    advanced = trail.get("AdvancedEventSelectors")
    if advanced:
        return any(_advanced_match(s["FieldSelectors"], record) for s in advanced)
    return any(_basic_match(s, record) for s in trail.get("EventSelectors") or DEFAULT_SELECTORS)


def _basic_match(selector: dict, record: Record) -> bool:
    rw = selector.get("ReadWriteType", "All")
    if (rw == "ReadOnly" and not record.read_only) or (rw == "WriteOnly" and record.read_only):
        return False
    if record.data_type is None:
        return selector.get("IncludeManagementEvents", True) and record.event_source not in (
            selector.get("ExcludeManagementEventSources") or ()
        )
    for resource in selector.get("DataResources") or ():
        if resource.get("Type") != record.data_type:
            continue
        for value in resource.get("Values") or ():
            if any(_basic_value_match(value, arn) for _t, _n, arn in record.resources or ()):
                return True
    return False


def _basic_value_match(value: str, arn: str) -> bool:
    # "arn:aws:s3" (all buckets), "arn:aws:s3:::bucket/" (a bucket), "arn:aws:s3:::bucket/prefix",
    # "arn:aws:lambda" (all functions), or one function's ARN.
    if value.count(":") <= 2:
        return arn.startswith(value + ":")
    return arn.startswith(value) if value.endswith("/") or ":s3:::" in value else arn == value


def _advanced_match(fields: list, record: Record) -> bool:
    values = {
        "eventCategory": ["Data" if record.data_type else "Management"],
        "eventSource": [record.event_source],
        "eventName": [record.event_name],
        "eventType": ["AwsApiCall"],
        "readOnly": ["true" if record.read_only else "false"],
        "resources.type": [record.data_type]
        if record.data_type
        else [t for t, _n, _a in record.resources or ()],
        "resources.ARN": [a for _t, _n, a in record.resources or ()],
        "userIdentity.arn": [record.principal_arn],
        "errorCode": [record.error_code] if record.error_code else [],
    }
    for field in fields:
        candidates = values.get(field["Field"])
        if candidates is None:
            continue
        if not all(_field_ok(field, value) for value in candidates or [""]):
            return False
    return True


def _field_ok(field: dict, value: str) -> bool:
    checks = (
        ("Equals", lambda v: value == v, True),
        ("StartsWith", lambda v: value.startswith(v), True),
        ("EndsWith", lambda v: value.endswith(v), True),
        ("NotEquals", lambda v: value == v, False),
        ("NotStartsWith", lambda v: value.startswith(v), False),
        ("NotEndsWith", lambda v: value.endswith(v), False),
    )
    for op, test, positive in checks:
        wanted = field.get(op)
        if not wanted:
            continue
        hit = any(test(v) for v in wanted)
        if hit != positive:
            return False
    return True

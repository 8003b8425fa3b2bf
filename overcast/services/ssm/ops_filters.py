"""DescribeOpsItems' filters: each key with the operators AWS documents for it, and how an
OpsItem matches one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from overcast.common import jsontext
from overcast.errors import ServiceError

_TIME = ("GreaterThan", "LessThan")
#: Filter key → (the operators it takes, the OpsItem field it reads).
KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "Status": (("Equal",), "Status"),
    "CreatedBy": (("Equal",), "CreatedBy"),
    "LastModifiedBy": (("Equal", "Contains"), "LastModifiedBy"),
    "Source": (("Equal", "Contains"), "Source"),
    "Priority": (("Equal",), "Priority"),
    "Title": (("Equal", "Contains"), "Title"),
    "OpsItemId": (("Equal",), "OpsItemId"),
    "CreatedTime": (_TIME, "CreatedTime"),
    "LastModifiedTime": (_TIME, "LastModifiedTime"),
    "ActualStartTime": (_TIME, "ActualStartTime"),
    "ActualEndTime": (_TIME, "ActualEndTime"),
    "PlannedStartTime": (_TIME, "PlannedStartTime"),
    "PlannedEndTime": (_TIME, "PlannedEndTime"),
    "OperationalData": (("Equal",), ""),
    "OperationalDataKey": (("Equal",), ""),
    "OperationalDataValue": (("Equal", "Contains"), ""),
    "ResourceId": (("Contains",), ""),
    "AutomationId": (("Equal",), ""),
    "Category": (("Equal",), "Category"),
    "Severity": (("Equal",), "Severity"),
    "OpsItemType": (("Equal",), "OpsItemType"),
    "AccountId": (("Equal",), "AccountId"),
}
#: Keys for the OpsItems Change Manager, access requests and insights create: read from the
#: OperationalData entry of the same name, the only place such an OpsItem carries them.
_FEATURE_PREFIXES = ("AccessRequestBy", "ChangeRequestBy", "InsightBy")


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _time(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Invalid time value {text}: expected an ISO-8601 time.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _searchable(item: dict[str, Any]) -> dict[str, str]:
    return {
        key: entry.get("Value", "")
        for key, entry in (item.get("OperationalData") or {}).items()
        if entry.get("Type") == "SearchableString"
    }


def _json_list(text: str) -> list[dict[str, Any]]:
    try:
        found = jsontext.loads(text)
    except ValueError:
        return []
    return [entry for entry in found if isinstance(entry, dict)] if isinstance(found, list) else []


def _values_of(item: dict[str, Any], key: str) -> list[str]:
    """The texts a filter key compares, for keys that read more than one field."""
    data = item.get("OperationalData") or {}
    if key == "ResourceId":
        return [
            str(e.get("arn", "")) for e in _json_list((data.get("/aws/resources") or {}).get("Value", "[]"))
        ]
    if key == "AutomationId":
        return [
            str(e.get("automationId", ""))
            for e in _json_list((data.get("/aws/automations") or {}).get("Value", "[]"))
        ]
    if key.startswith(_FEATURE_PREFIXES):
        entry = data.get(key)
        return [entry.get("Value", "")] if entry else []
    return []


def check(filters: list[dict[str, Any]]) -> None:
    for given in filters:
        key, operator = given["Key"], given["Operator"]
        operators = KEYS[key][0] if key in KEYS else ("Equal",)
        if operator not in operators:
            raise _invalid(
                f"Operator {operator} is not supported for filter key {key}. Use: {', '.join(operators)}."
            )
        if operators is _TIME:
            for value in given["Values"]:
                _time(value)


def _one(item: dict[str, Any], key: str, operator: str, value: str) -> bool:
    if key == "OperationalData":
        try:
            wanted = jsontext.loads(value)
        except ValueError:
            raise _invalid(
                f'Invalid OperationalData filter value {value}: expected {{"key":..,"value":..}}.'
            ) from None
        return isinstance(wanted, dict) and _searchable(item).get(str(wanted.get("key"))) == wanted.get(
            "value"
        )
    if key == "OperationalDataKey":
        return value in _searchable(item)
    if key == "OperationalDataValue":
        texts = list(_searchable(item).values())
        return any(value in t if operator == "Contains" else value == t for t in texts)
    field = KEYS[key][1] if key in KEYS else ""
    if not field:
        texts = _values_of(item, key)
        return any(value in t if operator == "Contains" else value == t for t in texts)
    actual = item.get(field)
    if actual is None:
        return False
    if KEYS[key][0] is _TIME:
        return actual > _time(value) if operator == "GreaterThan" else actual < _time(value)
    if key == "Title" and operator == "Equal":
        return str(actual)[:100] == value[:100]
    text = str(actual)
    return value in text if operator == "Contains" else text == value


def matches(item: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    """Every filter holds (one of its values matches)."""
    return all(
        any(_one(item, given["Key"], given["Operator"], value) for value in given["Values"])
        for given in filters
    )

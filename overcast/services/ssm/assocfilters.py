"""ListAssociations' and DescribeAssociationExecutions' filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from overcast.errors import ServiceError

Test = Callable[[dict], bool]


def _moment(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ServiceError("ValidationException", f"The value {text} is not a valid date.") from None


def association_test(entry: dict) -> Test:
    key, value = entry["key"], entry["value"]
    if key == "LastExecutedBefore":
        moment = _moment(value)
        return lambda r: r.get("LastExecutionDate", float("inf")) < moment
    if key == "LastExecutedAfter":
        moment = _moment(value)
        return lambda r: r.get("LastExecutionDate", float("-inf")) > moment
    if key == "AssociationStatusName":
        return lambda r: r["Overview"]["Status"] == value
    if key == "ResourceGroupName":
        return lambda r: any(
            t["Key"] == "resource-groups:Name" and value in t["Values"] for t in r.get("Targets") or []
        )
    if key == "CloudConnectorId":
        return lambda r: False
    return lambda r: str(r.get(key)) == value


def execution_test(entry: dict) -> Test:
    key, value, kind = entry["Key"], entry["Value"], entry["Type"]
    if key == "CreatedTime":
        moment = _moment(value)
        compare = {
            "EQUAL": lambda t: t == moment,
            "LESS_THAN": lambda t: t < moment,
            "GREATER_THAN": lambda t: t > moment,
        }
        return lambda e: compare[kind](e["CreatedTime"])
    if kind != "EQUAL":
        raise ServiceError("ValidationException", f"Filter {key} supports only the EQUAL type.")
    return lambda e: e.get(key) == value

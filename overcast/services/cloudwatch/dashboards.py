"""Dashboards: Put/Get/List/Delete, with the body checked as AWS checks it. Dashboards are
global to an account (their ARNs name no region).

Table (scope = account): dashboards   name → {DashboardName, DashboardArn, DashboardBody, LastModified}
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.errors import ServiceError
from overcast.services.cloudwatch.errors import invalid
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.provider import Provider

NAME = re.compile(r"^[A-Za-z0-9_\-]{1,255}$")
WIDGET_TYPES = frozenset({"metric", "text", "log", "alarm", "explorer", "custom"})
MAX_BODY = 1024 * 1024


def _message(path: str, text: str) -> dict[str, str]:
    return {"DataPath": path, "Message": text}


def validate_body(body: str) -> list[dict[str, str]]:
    """The validation errors of a dashboard body (empty when AWS takes it)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return [_message("", "The field DashboardBody must be a valid JSON object")]
    if not isinstance(parsed, dict):
        return [_message("", "The field DashboardBody must be a valid JSON object")]
    problems: list[dict[str, str]] = []
    widgets = parsed.get("widgets")
    if widgets is None:
        return [_message("", "Should have required property 'widgets'")]
    if not isinstance(widgets, list):
        return [_message("/widgets", "Should be array")]
    for member in ("start", "end", "periodOverride"):
        if member in parsed and not isinstance(parsed[member], str):
            problems.append(_message(f"/{member}", "Should be string"))
    if parsed.get("periodOverride") not in (None, "auto", "inherit"):
        problems.append(_message("/periodOverride", "Should be equal to one of the allowed values"))
    for index, widget in enumerate(widgets):
        path = f"/widgets/{index}"
        if not isinstance(widget, dict):
            problems.append(_message(path, "Should be object"))
            continue
        kind = widget.get("type")
        if kind is None:
            problems.append(_message(path, "Should have required property 'type'"))
            continue
        if kind not in WIDGET_TYPES:
            problems.append(_message(f"{path}/type", "Should be equal to one of the allowed values"))
            continue
        for member, low, high in (("x", 0, 23), ("y", 0, None), ("width", 1, 24), ("height", 1, 1000)):
            if member not in widget:
                continue
            value = widget[member]
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(_message(f"{path}/{member}", "Should be integer"))
            elif value < low:
                problems.append(_message(f"{path}/{member}", f"Should be >= {low}"))
            elif high is not None and value > high:
                problems.append(_message(f"{path}/{member}", f"Should be <= {high}"))
        properties = widget.get("properties")
        if properties is None:
            problems.append(_message(path, "Should have required property 'properties'"))
            continue
        if not isinstance(properties, dict):
            problems.append(_message(f"{path}/properties", "Should be object"))
            continue
        if kind == "text" and "markdown" not in properties:
            problems.append(_message(f"{path}/properties", "Should have required property 'markdown'"))
        if kind == "metric":
            problems.extend(_metric_widget(properties, f"{path}/properties"))
        if kind == "alarm" and not isinstance(properties.get("alarms"), list):
            problems.append(_message(f"{path}/properties", "Should have required property 'alarms'"))
        if kind == "log" and not isinstance(properties.get("query"), str):
            problems.append(_message(f"{path}/properties", "Should have required property 'query'"))
    return problems


def _metric_widget(properties: dict[str, Any], path: str) -> list[dict[str, str]]:
    problems = []
    metrics = properties.get("metrics")
    if metrics is None and "annotations" not in properties and "query" not in properties:
        problems.append(_message(path, "Should have required property 'metrics'"))
    elif metrics is not None:
        if not isinstance(metrics, list):
            problems.append(_message(f"{path}/metrics", "Should be array"))
        else:
            for index, entry in enumerate(metrics):
                if not isinstance(entry, list) or not entry:
                    problems.append(_message(f"{path}/metrics/{index}", "Should be array"))
                    continue
                for position, item in enumerate(entry):
                    if not isinstance(item, str | dict):
                        problems.append(_message(f"{path}/metrics/{index}/{position}", "Should be string"))
                    elif isinstance(item, dict) and position != len(entry) - 1:
                        problems.append(
                            _message(
                                f"{path}/metrics/{index}/{position}",
                                "The rendering properties object must be last",
                            )
                        )
    if "stat" in properties and not isinstance(properties["stat"], str):
        problems.append(_message(f"{path}/stat", "Should be string"))
    if "period" in properties and (not isinstance(properties["period"], int) or properties["period"] < 1):
        problems.append(_message(f"{path}/period", "Should be integer >= 1"))
    if "view" in properties and properties["view"] not in (
        "timeSeries",
        "singleValue",
        "gauge",
        "bar",
        "pie",
        "table",
    ):
        problems.append(_message(f"{path}/view", "Should be equal to one of the allowed values"))
    return problems


def _invalid_body(problems: list[dict[str, str]]) -> ServiceError:
    count = len(problems)
    listed = ", ".join(f'{{ "dataPath": "{p["DataPath"]}", "message": "{p["Message"]}" }}' for p in problems)
    return ServiceError(
        "InvalidParameterInput",
        f"The dashboard body is invalid, there are {count} validation errors: [ {listed} ]",
        dashboardValidationMessages=problems,
    )


class DashboardsMixin:
    def put_dashboard(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, body = params["DashboardName"], params["DashboardBody"]
        if not NAME.match(name):
            raise ServiceError(
                "InvalidParameterInput",
                "The value for field DashboardName contains invalid characters. It can only contain "
                "alphanumerics, dash (-) and underscore (_).",
            )
        if len(body.encode()) > MAX_BODY:
            raise ServiceError("InvalidParameterInput", "The dashboard body exceeds the maximum size of 1MB.")
        problems = validate_body(body)
        if problems:
            raise _invalid_body(problems)
        self.check_tags(params.get("Tags"))
        scope = store_scope(context.account)
        arn = build_arn("cloudwatch", "", context.account, f"dashboard/{name}")
        with self.store.transaction():
            self.dashboards.put(
                scope,
                name,
                {
                    "DashboardName": name,
                    "DashboardArn": arn,
                    "DashboardBody": body,
                    "LastModified": time.time(),
                },
            )
            if params.get("Tags"):
                self.set_tags(scope, arn, params["Tags"])
        return {"DashboardValidationMessages": []}

    def get_dashboard(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.dashboards.get(store_scope(context.account), params["DashboardName"])
        if record is None:
            raise ServiceError("ResourceNotFound", "Dashboard does not exist", 404)
        return {k: record[k] for k in ("DashboardArn", "DashboardBody", "DashboardName")}

    def list_dashboards(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        prefix = params.get("DashboardNamePrefix") or ""
        if prefix and not NAME.match(prefix):
            raise invalid(f"The value {prefix} for parameter DashboardNamePrefix is invalid.")
        scope = store_scope(context.account)

        def render(key: str, record: dict[str, Any]) -> dict[str, Any]:
            return {
                "DashboardName": record["DashboardName"],
                "DashboardArn": record["DashboardArn"],
                "LastModified": record["LastModified"],
                "Size": len(record["DashboardBody"].encode()),
            }

        return self.page_keys(
            "ListDashboards",
            params,
            lambda after: self.dashboards.scan(scope, prefix=prefix, start_after=after),
            render,
            default_limit=1000,
        )

    def delete_dashboards(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = store_scope(context.account)
        names = params.get("DashboardNames") or []
        with self.store.transaction():
            absent = [n for n in names if self.dashboards.get(scope, n) is None]
            if absent:
                raise ServiceError(
                    "ResourceNotFound", f"The specified dashboard does not exist. [{', '.join(absent)}]", 404
                )
            for name in names:
                record = self.dashboards.get(scope, name)
                self.dashboards.delete(scope, name)
                self.drop_tags(scope, record["DashboardArn"])
        return {}

"""Groups: a name and a filter expression (checked by the filter language) selecting the
traces GetServiceGraph and GetTimeSeriesServiceStatistics look at; the Default group holds
every trace."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.common import tagging
from overcast.common.arns import build_arn
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.services.xray.filters import FilterError, compile_filter
from overcast.services.xray.sampling import invalid

if TYPE_CHECKING:
    from overcast.services.xray.provider import Provider

DEFAULT = "Default"
GROUP_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_GROUPS = 25


def check_expression(expression: str) -> None:
    try:
        compile_filter(expression)
    except FilterError as error:
        raise invalid(f"Invalid filter expression: {error}") from None


def _insights(given: dict[str, Any] | None, old: dict[str, Any] | None = None) -> dict[str, bool]:
    out = dict(old or {"InsightsEnabled": False, "NotificationsEnabled": False})
    out.update(given or {})
    if out["NotificationsEnabled"] and not out["InsightsEnabled"]:
        raise invalid("Notifications can only be enabled when insights are enabled.")
    return out


def group_output(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("GroupName", "GroupARN", "InsightsConfiguration")}
    if row.get("FilterExpression"):
        out["FilterExpression"] = row["FilterExpression"]
    return out


class GroupMixin:
    def _default_group(self: Provider, context: RequestContext) -> dict[str, Any]:  # type: ignore[misc]
        return {
            "GroupName": DEFAULT,
            "GroupARN": build_arn("xray", context.region, context.account, f"group/{DEFAULT}"),
            "InsightsConfiguration": {"InsightsEnabled": False, "NotificationsEnabled": False},
            "Tags": {},
        }

    def find_group(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        name, arn = params.get("GroupName"), params.get("GroupARN")
        if name is None and arn is None:
            raise invalid("Either GroupName or GroupARN must be specified.")
        if name is None:
            parts = str(arn).split(":", 5)[-1].split("/")
            name = parts[1] if len(parts) > 1 else ""
        if name == DEFAULT:
            return self._default_group(context)
        row = self.groups.get(self.scope_of(context), name)
        if row is None or (arn is not None and row["GroupARN"] != arn):
            raise invalid("Group not found")
        return row

    def create_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["GroupName"]
        if not GROUP_NAME.match(name):
            raise invalid("Group name must be 1 to 32 letters, digits, hyphens or underscores.")
        expression = params.get("FilterExpression")
        if expression is not None:
            check_expression(expression)
        insights = _insights(params.get("InsightsConfiguration"))
        tags = tagging.tag_map(params.get("Tags"), self.tag_rules)
        scope = self.scope_of(context)
        with self.store.transaction():
            if name == DEFAULT or self.groups.get(scope, name) is not None:
                raise invalid("Group already exists")
            if sum(1 for _ in self.groups.scan(scope)) >= MAX_GROUPS:
                raise invalid("You have reached the maximum number of groups.")
            row = {
                "GroupName": name,
                "GroupARN": build_arn(
                    "xray", context.region, context.account, f"group/{name}/{fast_uuid()[:26]}"
                ),
                "FilterExpression": expression,
                "InsightsConfiguration": insights,
                "Tags": tags,
            }
            self.groups.put(scope, name, row)
        return {"Group": group_output(row)}

    def get_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"Group": group_output(self.find_group(context, params))}

    def get_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = [self._default_group(context)] + [row for _, row in self.groups.scan(self.scope_of(context))]
        return self.page(context, "GetGroups", params, [group_output(r) for r in rows])

    def update_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = dict(self.find_group(context, params))
            if row["GroupName"] == DEFAULT:
                raise invalid("The Default group cannot be updated.")
            if params.get("FilterExpression") is not None:
                check_expression(params["FilterExpression"])
                row["FilterExpression"] = params["FilterExpression"]
            row["InsightsConfiguration"] = _insights(
                params.get("InsightsConfiguration"), row["InsightsConfiguration"]
            )
            self.groups.put(self.scope_of(context), row["GroupName"], row)
        return {"Group": group_output(row)}

    def delete_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_group(context, params)
            if row["GroupName"] == DEFAULT:
                raise invalid("The Default group cannot be deleted.")
            self.groups.delete(self.scope_of(context), row["GroupName"])
        return {}

"""API keys, usage plans and their keys, and usage: quotas counted per key and day in table
"usage" (key `{plan}/{key}/{YYYY-MM-DD}`), as GetUsage reports them and the data plane
enforces them."""

from __future__ import annotations

import csv
import io
import secrets
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.apigateway.common import (
    apply_patch,
    bad_request,
    conflict,
    new_id,
    not_found,
    now,
    public,
)

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider

_KEY_ALPHABET = string.ascii_letters + string.digits
PERIODS = ("DAY", "WEEK", "MONTH")


def new_key_value() -> str:
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(40))


def period_start(period: str, offset: int, moment: datetime) -> datetime:
    """The start of the quota period `moment` falls in (UTC days; weeks from Monday)."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "DAY":
        return day - timedelta(days=offset) if offset else day
    if period == "WEEK":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


class KeysMixin:
    # -- API keys --------------------------------------------------------------------------------

    def index_keys(self: Provider) -> None:  # type: ignore[misc]
        self.key_values = {}
        for scope in self.keys.scopes():
            for key_id, record in self.keys.scan(scope):
                self.key_values[record["value"]] = (scope, key_id)

    def key_by_value(self: Provider, value: str) -> tuple[str, dict[str, Any]] | None:  # type: ignore[misc]
        found = self.key_values.get(value)
        if found is None:
            return None
        record = self.keys.get(found[0], found[1])
        return None if record is None else (found[0], record)

    def _key_out(self, record: dict[str, Any], include_value: bool) -> dict[str, Any]:
        out = public(record)
        if not include_value:
            out.pop("value", None)
        return out

    def create_api_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        value = params.get("value") or new_key_value()
        if len(value) < 20:
            raise bad_request("API Key value should be at least 20 characters")
        if len(value) > MAX_KEY_VALUE:
            raise bad_request(f"API Key value exceeds maximum size of {MAX_KEY_VALUE} characters")
        if len(params.get("name") or "") > MAX_KEY_NAME:
            raise bad_request(f"Invalid API Key name, can be at most {MAX_KEY_NAME} characters.")
        _check_key_description(params.get("description"))
        if value in self.key_values:
            raise conflict("API Key already exists")
        record: dict[str, Any] = {
            "id": new_id(10),
            "value": value,
            "enabled": bool(params.get("enabled", False)),
            "createdDate": now(),
            "lastUpdatedDate": now(),
            "stageKeys": [],
            "tags": dict(params.get("tags") or {}),
        }
        for key in ("name", "description", "customerId"):
            if params.get(key) is not None:
                record[key] = params[key]
        for stage_key in params.get("stageKeys") or []:
            self.load(context, stage_key.get("restApiId") or "")
            record["stageKeys"].append(f"{stage_key['restApiId']}/{stage_key.get('stageName', '')}")
        self.keys.put(scope, record["id"], record)
        self.key_values[value] = (scope, record["id"])
        return self._key_out(record, True)

    def api_key(self: Provider, context: RequestContext, key_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.keys.get(self.scope_of(context), key_id)
        if record is None:
            raise not_found("Invalid API Key identifier specified")
        return record

    def get_api_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._key_out(self.api_key(context, params["apiKey"]), bool(params.get("includeValue")))

    def get_api_keys(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        records = sorted(
            (record for _, record in self.keys.scan(self.scope_of(context))), key=lambda r: r["createdDate"]
        )
        items = [
            self._key_out(record, bool(params.get("includeValues")))
            for record in records
            if (not params.get("nameQuery") or (record.get("name") or "").startswith(params["nameQuery"]))
            and (not params.get("customerId") or record.get("customerId") == params["customerId"])
        ]
        return self.page("GetApiKeys", params, items)

    def update_api_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.api_key(context, params["apiKey"])

        def stage_keys(out: dict, operation: dict, segments: list[str]) -> None:
            value = operation.get("value") or ""
            keys = list(out.get("stageKeys") or [])
            if operation.get("op") == "add":
                if value not in keys:
                    keys.append(value)
            elif operation.get("op") == "remove":
                keys = [k for k in keys if k != value]
            else:
                raise bad_request(f"Invalid patch path {operation.get('path')}")
            out["stageKeys"] = keys

        patched = apply_patch(
            record,
            params.get("patchOperations"),
            "ApiKey",
            readonly=("id", "value", "createdDate", "lastUpdatedDate", "tags"),
            special={"stageKeys": stage_keys},
        )
        _check_key_description(patched.get("description"))
        patched["lastUpdatedDate"] = now()
        self.keys.put(self.scope_of(context), record["id"], patched)
        return self._key_out(patched, False)

    def delete_api_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.api_key(context, params["apiKey"])
        scope = self.scope_of(context)
        self.keys.delete(scope, record["id"])
        self.key_values.pop(record["value"], None)
        for plan_id, plan in list(self.plans.scan(scope)):
            if record["id"] in (plan.get("_keys") or {}):
                del plan["_keys"][record["id"]]
                self.plans.put(scope, plan_id, plan)
        return {}

    def import_api_keys(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params["format"] != "csv":
            raise bad_request("Invalid format specified; only 'csv' is supported")
        body = params["body"]
        try:
            text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else str(body)
        except UnicodeDecodeError:
            raise bad_request("Invalid API keys CSV: the body is not UTF-8 text") from None
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            raise bad_request("Invalid API keys CSV: no header")
        header = [column.strip().lower() for column in rows[0]]
        if "key" not in header:
            raise bad_request("Invalid API keys CSV: the header needs a 'key' column")
        ids, warnings = [], []
        scope = self.scope_of(context)
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            fields = dict(zip(header, (cell.strip() for cell in row), strict=False))
            enabled = fields.get("enabled", "false").lower() == "true"
            try:
                created = self.create_api_key(
                    context,
                    {
                        "value": fields.get("key"),
                        "name": fields.get("name") or None,
                        "description": fields.get("description") or None,
                        "customerId": fields.get("customerid") or None,
                        "enabled": enabled,
                    },
                )
            except Exception as error:
                if params.get("failOnWarnings"):
                    raise bad_request(f"Line {number}: {getattr(error, 'message', error)}") from None
                warnings.append(f"Line {number}: {getattr(error, 'message', error)}")
                continue
            ids.append(created["id"])
            for plan_id in filter(None, (fields.get("usageplanids") or "").split(":")):
                plan = self.plans.get(scope, plan_id)
                if plan is not None:
                    plan.setdefault("_keys", {})[created["id"]] = "API_KEY"
                    self.plans.put(scope, plan_id, plan)
        return {"ids": ids, "warnings": warnings}

    # -- usage plans -----------------------------------------------------------------------------

    def _check_stages(self: Provider, context: RequestContext, stages: list[dict[str, Any]]) -> None:  # type: ignore[misc]
        for api_stage in stages:
            doc = self.apis.get(self.scope_of(context), api_stage.get("apiId") or "")
            if doc is None and self.runtime.serves("apigatewayv2"):
                # A WebSocket API's stages take usage plans too.
                stages_of = self.runtime.provider("apigatewayv2").websocket_stages(
                    context.account, context.region, api_stage.get("apiId") or ""
                )
                if stages_of is not None:
                    if api_stage.get("stage") not in stages_of:
                        raise not_found(f"Invalid stage identifier specified {api_stage.get('stage')}")
                    continue
            if doc is None:
                raise not_found(
                    f"Invalid API identifier specified {context.account}:{api_stage.get('apiId')}"
                )
            if api_stage.get("stage") not in doc["stages"]:
                raise not_found(f"Invalid stage identifier specified {api_stage.get('stage')}")

    def create_usage_plan(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stages = params.get("apiStages") or []
        self._check_stages(context, stages)
        plan: dict[str, Any] = {
            "id": new_id(6),
            "name": params["name"],
            "apiStages": stages,
            "tags": dict(params.get("tags") or {}),
            "_keys": {},
        }
        for key in ("description", "throttle", "quota"):
            if params.get(key) is not None:
                plan[key] = params[key]
        quota = plan.get("quota")
        if quota is not None and quota.get("period") not in PERIODS:
            raise bad_request("Invalid quota period specified. Valid options are DAY,WEEK,MONTH")
        self.plans.put(self.scope_of(context), plan["id"], plan)
        return public(plan)

    def usage_plan(self: Provider, context: RequestContext, plan_id: str) -> dict[str, Any]:  # type: ignore[misc]
        plan = self.plans.get(self.scope_of(context), plan_id)
        if plan is None:
            raise not_found("Invalid Usage Plan ID specified")
        return plan

    def plans_using(self: Provider, context: RequestContext, api_id: str) -> Iterator[tuple[str, str, dict]]:  # type: ignore[misc]
        scope = self.scope_of(context)
        for plan_id, plan in list(self.plans.scan(scope)):
            if any(s.get("apiId") == api_id for s in plan.get("apiStages") or []):
                yield scope, plan_id, plan

    def get_usage_plan(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return public(self.usage_plan(context, params["usagePlanId"]))

    def get_usage_plans(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key_id = params.get("keyId")
        items = [
            public(plan)
            for _, plan in self.plans.scan(self.scope_of(context))
            if key_id is None or key_id in (plan.get("_keys") or {})
        ]
        return self.page("GetUsagePlans", params, items)

    def update_usage_plan(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        plan = self.usage_plan(context, params["usagePlanId"])

        def api_stages(out: dict, operation: dict, segments: list[str]) -> None:
            stages = list(out.get("apiStages") or [])
            value = operation.get("value") or ""
            if len(segments) == 1:
                api_id, _, stage = value.partition(":")
                if operation.get("op") == "add":
                    self._check_stages(context, [{"apiId": api_id, "stage": stage}])
                    if not any(s["apiId"] == api_id and s["stage"] == stage for s in stages):
                        stages.append({"apiId": api_id, "stage": stage})
                elif operation.get("op") == "remove":
                    stages = [s for s in stages if not (s["apiId"] == api_id and s["stage"] == stage)]
                else:
                    raise bad_request(f"Invalid patch path {operation.get('path')}")
            else:
                # /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{method}/{rateLimit|burstLimit}
                api_id, _, stage = segments[1].partition(":")
                entry = next((s for s in stages if s["apiId"] == api_id and s["stage"] == stage), None)
                if entry is None or len(segments) < 3 or segments[2] != "throttle":
                    raise bad_request(f"Invalid patch path {operation.get('path')}")
                throttle = dict(entry.get("throttle") or {})
                if len(segments) >= 5:
                    method_key = f"{segments[3]}/{segments[4]}"
                    if operation.get("op") == "remove":
                        throttle.pop(method_key, None)
                    elif len(segments) == 6:
                        settings = dict(throttle.get(method_key) or {})
                        settings[segments[5]] = float(value) if segments[5] == "rateLimit" else int(value)
                        throttle[method_key] = settings
                    else:
                        import json

                        throttle[method_key] = json.loads(value or "{}")
                entry["throttle"] = throttle
            out["apiStages"] = stages

        def limits(out: dict, operation: dict, segments: list[str]) -> None:
            name = segments[0]
            if operation.get("op") == "remove":
                if len(segments) == 1:
                    out.pop(name, None)
                else:
                    (out.get(name) or {}).pop(segments[1], None)
                return
            if len(segments) != 2:
                raise bad_request(f"Invalid patch path {operation.get('path')}")
            settings = dict(out.get(name) or {})
            value = operation.get("value")
            member = segments[1]
            if member in ("rateLimit",):
                settings[member] = float(value or 0)
            elif member in ("burstLimit", "limit", "offset"):
                settings[member] = int(value or 0)
            elif member == "period":
                if value not in PERIODS:
                    raise bad_request("Invalid quota period specified. Valid options are DAY,WEEK,MONTH")
                settings[member] = value
            else:
                raise bad_request(f"Invalid patch path {operation.get('path')}")
            out[name] = settings

        patched = apply_patch(
            plan,
            params.get("patchOperations"),
            "UsagePlan",
            readonly=("id", "tags"),
            special={"apiStages": api_stages, "throttle": limits, "quota": limits},
        )
        self.plans.put(self.scope_of(context), plan["id"], patched)
        self.forget_plan_buckets(plan["id"])
        return public(patched)

    def delete_usage_plan(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        plan = self.usage_plan(context, params["usagePlanId"])
        self.plans.delete(self.scope_of(context), plan["id"])
        return {}

    # -- usage plan keys -------------------------------------------------------------------------

    def _plan_key_out(self: Provider, context: RequestContext, key_id: str, kind: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.keys.get(self.scope_of(context), key_id) or {}
        out = {"id": key_id, "type": kind, "value": record.get("value")}
        if record.get("name") is not None:
            out["name"] = record["name"]
        return out

    def create_usage_plan_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params["keyType"] != "API_KEY":
            raise bad_request("Invalid key type specified. Valid options are API_KEY")
        key = self.api_key(context, params["keyId"])
        plan = self.usage_plan(context, params["usagePlanId"])
        if key["id"] in plan.get("_keys", {}):
            raise conflict(
                f"Usage Plan {plan['id']} cannot be added because API Key {key['id']} cannot reference "
                "multiple Usage Plans with the same API Stage"
            )
        plan.setdefault("_keys", {})[key["id"]] = "API_KEY"
        self.plans.put(self.scope_of(context), plan["id"], plan)
        return self._plan_key_out(context, key["id"], "API_KEY")

    def get_usage_plan_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        plan = self.usage_plan(context, params["usagePlanId"])
        kind = (plan.get("_keys") or {}).get(params["keyId"])
        if kind is None:
            raise not_found("Invalid Usage Plan Key identifier specified")
        return self._plan_key_out(context, params["keyId"], kind)

    def get_usage_plan_keys(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        plan = self.usage_plan(context, params["usagePlanId"])
        items = [
            self._plan_key_out(context, key_id, kind) for key_id, kind in (plan.get("_keys") or {}).items()
        ]
        if params.get("nameQuery"):
            items = [item for item in items if (item.get("name") or "").startswith(params["nameQuery"])]
        return self.page("GetUsagePlanKeys", params, items)

    def delete_usage_plan_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        plan = self.usage_plan(context, params["usagePlanId"])
        if (plan.get("_keys") or {}).pop(params["keyId"], None) is None:
            raise not_found("Invalid Usage Plan Key identifier specified")
        self.plans.put(self.scope_of(context), plan["id"], plan)
        return {}

    # -- usage -----------------------------------------------------------------------------------

    def check_websocket_key(self: Provider, scope: str, api_id: str, stage: str, value: str | None) -> bool:  # type: ignore[misc]
        """Whether an API key value may call a WebSocket API's stage: an enabled key of the
        account, in a usage plan of that stage, within its quota (this request counted)."""
        found = self.key_by_value(value) if value else None
        if found is None or found[0] != scope or not found[1].get("enabled"):
            return False
        key_id = found[1]["id"]
        for _, plan in self.plans.scan(scope):
            if key_id not in (plan.get("_keys") or {}):
                continue
            if any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.get("apiStages") or []):
                return self.count_request(scope, plan, key_id)
        return False

    def count_request(self: Provider, scope: str, plan: dict[str, Any], key_id: str) -> bool:  # type: ignore[misc]
        """Count one request of a key under a plan; False when its quota is used up."""
        quota = plan.get("quota")
        today = datetime.now(UTC)
        prefix = f"{plan['id']}/{key_id}/"
        with self.store.transaction():
            if quota:
                start = period_start(quota["period"], int(quota.get("offset") or 0), today)
                first = f"{prefix}{start:%Y-%m-%d}"
                used = sum(
                    row.get("used", 0) for day, row in self.usage.scan(scope, prefix=prefix) if day >= first
                )
                if used >= int(quota.get("limit") or 0):
                    return False
            day_key = f"{prefix}{today:%Y-%m-%d}"
            row = self.usage.get(scope, day_key) or {"used": 0}
            row["used"] += 1
            self.usage.put(scope, day_key, row)
        return True

    def get_usage(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        plan = self.usage_plan(context, params["usagePlanId"])
        try:
            start = datetime.strptime(params["startDate"], "%Y-%m-%d").replace(tzinfo=UTC)
            end = datetime.strptime(params["endDate"], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise bad_request("Invalid date format: dates are YYYY-MM-DD") from None
        if end < start:
            raise bad_request("The end date must not be before the start date")
        if (end - start).days > 90:
            raise bad_request("The usage data can be retrieved for at most 90 days")
        scope = self.scope_of(context)
        keys = [params["keyId"]] if params.get("keyId") else list((plan.get("_keys") or {}).keys())
        quota = plan.get("quota")
        items: dict[str, list[list[int]]] = {}
        for key_id in keys:
            days = []
            day = start
            while day <= end:
                row = self.usage.get(scope, f"{plan['id']}/{key_id}/{day:%Y-%m-%d}") or {}
                used = int(row.get("used", 0))
                remaining = max(int(quota.get("limit") or 0) - used, 0) if quota else 0
                days.append([used, remaining])
                day += timedelta(days=1)
            items[key_id] = days
        return {
            "usagePlanId": plan["id"],
            "startDate": params["startDate"],
            "endDate": params["endDate"],
            "items": items,
        }

    def update_usage(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Grant extra requests to a key's quota for the current period: `/remaining` replace
        sets the remaining count."""
        plan = self.usage_plan(context, params["usagePlanId"])
        key_id = params["keyId"]
        if key_id not in (plan.get("_keys") or {}):
            raise not_found("Invalid Usage Plan Key identifier specified")
        quota = plan.get("quota")
        scope = self.scope_of(context)
        today = datetime.now(UTC)
        for operation in params.get("patchOperations") or []:
            if operation.get("path") != "/remaining" or operation.get("op") != "replace":
                raise bad_request(f"Invalid patch path {operation.get('path')}")
            if not quota:
                raise bad_request("The usage plan has no quota")
            try:
                remaining = int(operation.get("value") or 0)
            except ValueError:
                raise bad_request("Invalid remaining value") from None
            start = period_start(quota["period"], int(quota.get("offset") or 0), today)
            with self.store.transaction():
                for day_key, _ in list(self.usage.scan(scope, prefix=f"{plan['id']}/{key_id}/")):
                    if day_key >= f"{plan['id']}/{key_id}/{start:%Y-%m-%d}":
                        self.usage.delete(scope, day_key)
                used = max(int(quota.get("limit") or 0) - remaining, 0)
                self.usage.put(scope, f"{plan['id']}/{key_id}/{today:%Y-%m-%d}", {"used": used})
        end = f"{today:%Y-%m-%d}"
        return self.get_usage(
            context, {"usagePlanId": plan["id"], "keyId": key_id, "startDate": end, "endDate": end}
        )


#: API key limits, as API Gateway words its refusals.
MAX_KEY_VALUE = 128
MAX_KEY_NAME = 1024
MAX_KEY_DESCRIPTION = 125000


def _check_key_description(description: str | None) -> None:
    if description is not None and len(description) > MAX_KEY_DESCRIPTION:
        raise bad_request("Invalid API Key description specified.")

"""CloudWatch's newer account-level resources: alarm mute rules (recurring or one-time
windows in which the targeted alarms' actions are muted — honoured by the alarm actions),
saved metric data query definitions, vended-metric OTel enrichment, resource metrics
configurations and the `default` dataset's KMS key.

Tables (scope = account/region):
  mute_rules      name → rule as GetAlarmMuteRule renders it (Status computed on read)
  query_defs      id → definition
  resource_cfgs   resource ARN → configuration
  settings        "otel" → enrichment state; "dataset" → {KmsKeyArn}
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from overcast.common import schedules
from overcast.common.arns import build_arn, parse_arn
from overcast.errors import ServiceError
from overcast.services.cloudwatch.errors import resource_not_found

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.provider import Provider

MAX_MUTE_TARGETS = 100
MAX_DEFINITIONS = 1000
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")
DATASET = "default"


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


def duration_seconds(text: str) -> int:
    match = _DURATION.match(text)
    if not match or text in ("P", "PT"):
        raise validation(f"Invalid duration {text}: use ISO 8601, for example PT2H.")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    seconds = ((days * 24 + hours) * 60 + minutes) * 60
    if seconds <= 0:
        raise validation(f"Invalid duration {text}: it must be longer than zero.")
    return seconds


def _seconds(moment: Any) -> float | None:
    if moment is None:
        return None
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def mute_status(rule: dict[str, Any], now: float) -> str:
    """SCHEDULED, ACTIVE or EXPIRED at `now`, from the rule's schedule and dates."""
    spec = rule["Rule"]["Schedule"]
    expire = _seconds(rule.get("ExpireDate"))
    start = _seconds(rule.get("StartDate"))
    if expire is not None and now >= expire:
        return "EXPIRED"
    if start is not None and now < start:
        return "SCHEDULED"
    length = duration_seconds(spec["Duration"])
    schedule = schedules.parse(spec["Expression"], allow_at=True)
    zone = spec.get("Timezone")
    moment = datetime.fromtimestamp(now, UTC)
    if isinstance(schedule, schedules.At):
        begins = schedule.moment.replace(tzinfo=schedules.zone_of(zone)).timestamp()
        if now >= begins + length:
            return "EXPIRED"
        return "ACTIVE" if now >= begins else "SCHEDULED"
    # The last window that began within one duration of now is open.
    fire = schedules.next_fire(schedule, moment - timedelta(seconds=length), moment, zone)
    if fire is not None and fire <= moment:
        return "ACTIVE"
    return "SCHEDULED" if fire is not None else "EXPIRED"


class DefinitionsMixin:
    # -- alarm mute rules ------------------------------------------------------------------------

    def muted(self: Provider, scope: str, alarm_name: str) -> bool:  # type: ignore[misc]
        """Whether an active mute rule targets the alarm (its actions are then not taken)."""
        now = time.time()
        for _, rule in self.mute_rules.scan(scope):
            if alarm_name in (rule.get("MuteTargets") or {}).get("AlarmNames", []):
                try:
                    if mute_status(rule, now) == "ACTIVE":
                        return True
                except (ServiceError, schedules.ScheduleError):
                    continue
        return False

    def put_alarm_mute_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["Name"]
        spec = params["Rule"]["Schedule"]
        try:
            schedule = schedules.parse(spec["Expression"], allow_at=True)
            schedules.zone_of(spec.get("Timezone"))
        except schedules.ScheduleError as error:
            raise validation(str(error)) from None
        if isinstance(schedule, schedules.Rate):
            raise validation("A mute rule's schedule is a cron or at expression.")
        duration_seconds(spec["Duration"])
        targets = (params.get("MuteTargets") or {}).get("AlarmNames") or []
        if len(targets) > MAX_MUTE_TARGETS:
            raise validation(f"A mute rule can target at most {MAX_MUTE_TARGETS} alarms.")
        start, expire = _seconds(params.get("StartDate")), _seconds(params.get("ExpireDate"))
        if start is not None and expire is not None and start >= expire:
            raise validation("StartDate must be before ExpireDate.")
        self.check_tags(params.get("Tags"))
        scope = self.scope_of(context)
        arn = build_arn("cloudwatch", context.region, context.account, f"alarm-mute-rule:{name}")
        rule: dict[str, Any] = {
            "Name": name,
            "AlarmMuteRuleArn": arn,
            "Rule": params["Rule"],
            "MuteType": "ONE_TIME" if isinstance(schedule, schedules.At) else "RECURRING",
            "LastUpdatedTimestamp": time.time(),
        }
        for member in ("Description", "MuteTargets", "StartDate", "ExpireDate"):
            if params.get(member) is not None:
                rule[member] = params[member]
        with self.store.transaction():
            self.mute_rules.put(scope, name, rule)
            if params.get("Tags"):
                self.set_tags(scope, arn, params["Tags"])
        return {}

    def get_alarm_mute_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["AlarmMuteRuleName"]
        rule = self.mute_rules.get(self.scope_of(context), name)
        if rule is None:
            raise resource_not_found("AlarmMuteRule", name, f"Alarm mute rule {name} does not exist.")
        return {**rule, "Status": mute_status(rule, time.time())}

    def list_alarm_mute_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        alarm = params.get("AlarmName")
        statuses = params.get("Statuses")
        now = time.time()
        rows = []
        for _, rule in self.mute_rules.scan(scope):
            if alarm and alarm not in (rule.get("MuteTargets") or {}).get("AlarmNames", []):
                continue
            status = mute_status(rule, now)
            if statuses and status not in statuses:
                continue
            summary = {
                "AlarmMuteRuleArn": rule["AlarmMuteRuleArn"],
                "Status": status,
                "MuteType": rule["MuteType"],
                "LastUpdatedTimestamp": rule["LastUpdatedTimestamp"],
            }
            if rule.get("ExpireDate") is not None:
                summary["ExpireDate"] = rule["ExpireDate"]
            rows.append(summary)
        return self.page_list("ListAlarmMuteRules", params, rows, default_limit=100)

    def delete_alarm_mute_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["AlarmMuteRuleName"]
        with self.store.transaction():
            rule = self.mute_rules.get(scope, name)
            if rule is None:
                raise resource_not_found("AlarmMuteRule", name, f"Alarm mute rule {name} does not exist.")
            self.mute_rules.delete(scope, name)
            self.drop_tags(scope, rule["AlarmMuteRuleArn"])
        return {}

    # -- metric data query definitions -----------------------------------------------------------

    def put_metric_data_query_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        ident = params.get("Id")
        now = time.time()
        self.check_tags(params.get("Tags"))
        with self.store.transaction():
            old = None
            if ident is not None:
                old = self.query_defs.get(scope, ident)
                if old is None:
                    raise resource_not_found(
                        "MetricDataQueryDefinition", ident, f"Definition {ident} does not exist."
                    )
            for key, other in self.query_defs.scan(scope):
                if other["Path"] == params["Path"] and key != ident:
                    raise ServiceError(
                        "ConflictException", f"The path {params['Path']} is already used.", 409
                    )
            if old is None and self.query_defs.count(scope) >= MAX_DEFINITIONS:
                raise ServiceError(
                    "LimitExceededException", "The account has 1000 metric data query definitions."
                )
            ident = ident or uuid.uuid4().hex
            definition = {
                "Id": ident,
                "Arn": build_arn(
                    "cloudwatch", context.region, context.account, f"metric-query-definition/{ident}"
                ),
                "Path": params["Path"],
                "Expression": params["Expression"],
                "Type": params["Type"],
                "CreatedAt": old["CreatedAt"] if old else now,
                "UpdatedAt": now,
            }
            self.query_defs.put(scope, ident, definition)
            if params.get("Tags"):
                self.set_tags(scope, definition["Arn"], params["Tags"])
        return definition

    def get_metric_data_query_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        definition = self.query_defs.get(self.scope_of(context), params["Id"])
        if definition is None:
            raise resource_not_found(
                "MetricDataQueryDefinition", params["Id"], f"Definition {params['Id']} does not exist."
            )
        return definition

    def list_metric_data_query_definitions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = sorted(
            (
                {k: d[k] for k in ("Id", "Path", "Type", "UpdatedAt")}
                for _, d in self.query_defs.scan(self.scope_of(context))
            ),
            key=lambda d: d["Path"],
        )
        return self.page_list("ListMetricDataQueryDefinitions", params, rows, default_limit=100)

    def delete_metric_data_query_definition(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            definition = self.query_defs.get(scope, params["Id"])
            if definition is not None:  # idempotent, as documented
                self.query_defs.delete(scope, params["Id"])
                self.drop_tags(scope, definition["Arn"])
        return {}

    # -- OTel enrichment -------------------------------------------------------------------------

    def _otel(self: Provider, params: dict, old: dict | None) -> dict:  # type: ignore[misc]
        if params.get("IncludeFilters") and params.get("ExcludeFilters"):
            raise ServiceError(
                "ValidationException", "IncludeFilters and ExcludeFilters are mutually exclusive."
            )
        now = time.time()
        state = {
            "Status": "Running",
            "IncludeFilters": params.get("IncludeFilters") or [],
            "ExcludeFilters": params.get("ExcludeFilters") or [],
            "EnableTagEnrichment": bool(params.get("EnableTagEnrichment")),
            "CreatedAt": old["CreatedAt"] if old else now,
            "UpdatedAt": now,
        }
        return state

    def start_otel_enrichment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            state = self._otel(params, self.cw_settings.get(scope, "otel"))
            self.cw_settings.put(scope, "otel", state)
        return {k: v for k, v in state.items() if k != "Status"}

    def update_otel_enrichment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            old = self.cw_settings.get(scope, "otel")
            if old is None or old["Status"] != "Running":
                raise ServiceError("ResourceNotFoundException", "OTel enrichment is not running.", 404)
            state = self._otel(params, old)
            self.cw_settings.put(scope, "otel", state)
        return {k: v for k, v in state.items() if k != "Status"}

    def stop_otel_enrichment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            old = self.cw_settings.get(scope, "otel")
            if old is not None:
                self.cw_settings.put(scope, "otel", {**old, "Status": "Stopped", "UpdatedAt": time.time()})
        return {}

    def get_otel_enrichment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.cw_settings.get(self.scope_of(context), "otel") or {"Status": "Stopped"}

    # -- resource metrics configurations ---------------------------------------------------------

    def _resource(self: Provider, arn: str) -> str:  # type: ignore[misc]
        if parse_arn(arn) is None:
            raise ServiceError("ValidationError", f"The value {arn} for parameter ResourceArn is invalid.")
        return arn

    def create_resource_metrics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        arn = self._resource(params["ResourceArn"])
        now = time.time()
        with self.store.transaction():
            if self.resource_cfgs.get(scope, arn) is not None:
                raise ServiceError("ConflictException", f"A configuration for {arn} already exists.", 409)
            config = {
                "ResourceArn": arn,
                "CreatedAt": now,
                "UpdatedAt": now,
                "MetricSelections": params.get("MetricSelections") or [],
            }
            self.resource_cfgs.put(scope, arn, config)
        return {"ResourceMetricsConfiguration": config}

    def _config(self: Provider, scope: str, arn: str) -> dict:  # type: ignore[misc]
        config = self.resource_cfgs.get(scope, arn)
        if config is None:
            raise resource_not_found("ResourceMetricsConfiguration", arn, f"No configuration for {arn}.")
        return config

    def get_resource_metrics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"ResourceMetricsConfiguration": self._config(self.scope_of(context), params["ResourceArn"])}

    def update_resource_metrics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            config = self._config(scope, params["ResourceArn"])
            config = {
                **config,
                "MetricSelections": params.get("MetricSelections") or [],
                "UpdatedAt": time.time(),
            }
            self.resource_cfgs.put(scope, params["ResourceArn"], config)
        return {"ResourceMetricsConfiguration": config}

    def delete_resource_metrics_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            self._config(scope, params["ResourceArn"])
            self.resource_cfgs.delete(scope, params["ResourceArn"])
        return {}

    # -- the default dataset's KMS key -----------------------------------------------------------

    def _dataset(self: Provider, context: RequestContext, ident: str) -> str:  # type: ignore[misc]
        arn = build_arn("cloudwatch", context.region, context.account, f"dataset/{DATASET}")
        if ident not in (DATASET, arn):
            raise resource_not_found(
                "Dataset", ident, f"Dataset {ident} does not exist. Only the default dataset is supported."
            )
        return arn

    def get_dataset(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._dataset(context, params["DatasetIdentifier"])
        out = {"DatasetId": DATASET, "Arn": arn}
        held = self.cw_settings.get(self.scope_of(context), "dataset") or {}
        if held.get("KmsKeyArn"):
            out["KmsKeyArn"] = held["KmsKeyArn"]
        return out

    def associate_dataset_kms_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._dataset(context, params["DatasetIdentifier"])
        try:
            key_arn = self.runtime.provider("kms").key_arn_for(
                context.account, context.region, params["KmsKeyArn"]
            )
        except ServiceError as error:
            raise ServiceError(
                "KmsKeyNotFoundException", error.message or "The KMS key was not found."
            ) from None
        with self.store.transaction():
            self.cw_settings.put(self.scope_of(context), "dataset", {"KmsKeyArn": key_arn})
        return {}

    def disassociate_dataset_kms_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._dataset(context, params["DatasetIdentifier"])
        with self.store.transaction():
            self.cw_settings.delete(self.scope_of(context), "dataset")
        return {}

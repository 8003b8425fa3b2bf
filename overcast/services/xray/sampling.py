"""Sampling rules (with the Default rule every account has), the targets X-Ray hands the
SDKs (each rule's fixed rate, and its reservoir shared among the clients that reported in
the last interval) and the statistics they report."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from overcast.common import tagging
from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.services.xray.provider import Provider

DEFAULT = "Default"
RULE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_RULES = 25
#: Seconds a target holds, and between an SDK's reports.
INTERVAL = 10
STRING_LIMITS = {"ServiceName": 64, "ServiceType": 64, "Host": 64, "HTTPMethod": 10, "URLPath": 128}


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message, 400)


def _default_rule(context: RequestContext) -> dict[str, Any]:
    return {
        "SamplingRule": {
            "RuleName": DEFAULT,
            "RuleARN": build_arn("xray", context.region, context.account, f"sampling-rule/{DEFAULT}"),
            "ResourceARN": "*",
            "Priority": 10000,
            "FixedRate": 0.05,
            "ReservoirSize": 1,
            "ServiceName": "*",
            "ServiceType": "*",
            "Host": "*",
            "HTTPMethod": "*",
            "URLPath": "*",
            "Version": 1,
            "Attributes": {},
        },
        "CreatedAt": 0.0,
        "ModifiedAt": 0.0,
        "Tags": {},
    }


def _check(rule: dict[str, Any]) -> None:
    if not 0 <= rule["FixedRate"] <= 1:
        raise invalid("FixedRate must be between 0 and 1.")
    if rule["ReservoirSize"] < 0:
        raise invalid("ReservoirSize must not be negative.")
    if rule["RuleName"] != DEFAULT and not 1 <= rule["Priority"] <= 9999:
        raise invalid("Priority must be between 1 and 9999.")
    for key, limit in STRING_LIMITS.items():
        if len(rule[key]) > limit:
            raise invalid(f"{key} must be at most {limit} characters.")
    if rule["ResourceARN"] != "*" and len(rule["ResourceARN"]) > 500:
        raise invalid("ResourceARN must be at most 500 characters.")


class SamplingMixin:
    def rule_scope(self: Provider, context: RequestContext) -> str:  # type: ignore[misc]
        return self.scope_of(context)

    def load_rule(self: Provider, context: RequestContext, name: str) -> dict[str, Any] | None:  # type: ignore[misc]
        stored = self.rules.get(self.scope_of(context), name)
        if stored is None and name == DEFAULT:
            return _default_rule(context)
        return stored

    def all_rules(self: Provider, context: RequestContext) -> list[dict[str, Any]]:  # type: ignore[misc]
        rows = {name: row for name, row in self.rules.scan(self.scope_of(context))}
        rows.setdefault(DEFAULT, _default_rule(context))
        return sorted(
            rows.values(), key=lambda r: (r["SamplingRule"]["Priority"], r["SamplingRule"]["RuleName"])
        )

    def _rule_named(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        name = params.get("RuleName")
        arn = params.get("RuleARN")
        if name is None and arn is None:
            raise invalid("Either RuleName or RuleARN must be specified.")
        if name is None:
            name = str(arn).rsplit("/", 1)[-1]
        row = self.load_rule(context, name)
        if row is None or (arn is not None and row["SamplingRule"]["RuleARN"] != arn):
            raise invalid("Sampling rule does not exist")
        return row

    def create_sampling_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rule = dict(params["SamplingRule"])
        name = rule.get("RuleName")
        if not isinstance(name, str) or not RULE_NAME.match(name):
            raise invalid("RuleName must be 1 to 32 letters, digits, hyphens or underscores.")
        if rule["Version"] != 1:
            raise invalid("Version must be 1.")
        rule.pop("RuleARN", None)
        rule.setdefault("Attributes", {})
        _check(rule)
        tags = tagging.tag_map(params.get("Tags"), self.tag_rules)
        scope = self.scope_of(context)
        with self.store.transaction():
            if name == DEFAULT or self.rules.get(scope, name) is not None:
                raise invalid("A sampling rule with the name already exists.")
            if sum(1 for _ in self.rules.scan(scope)) >= MAX_RULES - 1:
                raise ServiceError(
                    "RuleLimitExceededException",
                    "You have reached the maximum number of sampling rules.",
                    400,
                )
            rule["RuleARN"] = build_arn("xray", context.region, context.account, f"sampling-rule/{name}")
            now = time.time()
            row = {"SamplingRule": rule, "CreatedAt": now, "ModifiedAt": now, "Tags": tags}
            self.rules.put(scope, name, row)
        return {"SamplingRuleRecord": _record(row)}

    def update_sampling_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        update = params["SamplingRuleUpdate"]
        with self.store.transaction():
            row = self._rule_named(context, update)
            rule = dict(row["SamplingRule"])
            changes = {k: v for k, v in update.items() if k not in ("RuleName", "RuleARN")}
            if rule["RuleName"] == DEFAULT and set(changes) - {"FixedRate", "ReservoirSize"}:
                raise invalid("Only FixedRate and ReservoirSize can be changed on the default rule.")
            rule.update(changes)
            _check(rule)
            row = {**row, "SamplingRule": rule, "ModifiedAt": time.time()}
            if row["CreatedAt"] == 0.0:
                row["CreatedAt"] = row["ModifiedAt"]
            self.rules.put(self.scope_of(context), rule["RuleName"], row)
        return {"SamplingRuleRecord": _record(row)}

    def delete_sampling_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._rule_named(context, params)
            if row["SamplingRule"]["RuleName"] == DEFAULT:
                raise invalid("Cannot delete the default sampling rule.")
            self.rules.delete(self.scope_of(context), row["SamplingRule"]["RuleName"])
        return {"SamplingRuleRecord": _record(row)}

    def get_sampling_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.page(context, "GetSamplingRules", params, [_record(r) for r in self.all_rules(context)])

    def get_sampling_targets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        now = time.time()
        scope = self.scope_of(context)
        targets, unprocessed = [], []
        with self.store.transaction():
            unprocessed_boosts = self._record_anomalies(
                context, params.get("SamplingBoostStatisticsDocuments") or (), now
            )
            for report in params["SamplingStatisticsDocuments"]:
                name = report["RuleName"]
                row = self.load_rule(context, name)
                if row is None:
                    unprocessed.append({"RuleName": name, "ErrorCode": "400", "Message": "Unknown rule"})
                    continue
                stats = self.sampling_stats.get(scope, name) or {"clients": {}, "windows": []}
                stats["clients"][report["ClientID"]] = now
                stats["clients"] = {c: t for c, t in stats["clients"].items() if now - t <= INTERVAL}
                window = {
                    "Timestamp": _seconds(report["Timestamp"]),
                    "RequestCount": report["RequestCount"],
                    "SampledCount": report["SampledCount"],
                    "BorrowCount": report.get("BorrowCount", 0),
                }
                stats["windows"] = [*stats["windows"], window][-60:]
                self.sampling_stats.put(scope, name, stats)
                rule = row["SamplingRule"]
                # The reservoir is a per-second quota shared by the clients using the rule.
                quota = rule["ReservoirSize"] // max(len(stats["clients"]), 1)
                target: dict[str, Any] = {
                    "RuleName": name,
                    "FixedRate": rule["FixedRate"],
                    "ReservoirQuota": quota,
                    "ReservoirQuotaTTL": now + INTERVAL,
                    "Interval": INTERVAL,
                }
                boost = rule.get("SamplingRateBoost")
                boosted_until = stats.get("boosted_until", 0.0)
                if boost is not None and boosted_until > now:
                    target["SamplingBoost"] = {"BoostRate": boost["MaxRate"], "BoostRateTTL": boosted_until}
                targets.append(target)
        last = max((r["ModifiedAt"] for r in self.all_rules(context)), default=0.0)
        out: dict[str, Any] = {
            "SamplingTargetDocuments": targets,
            "LastRuleModification": last,
            "UnprocessedStatistics": unprocessed,
        }
        if unprocessed_boosts:
            out["UnprocessedBoostStatistics"] = unprocessed_boosts
        return out

    def _record_anomalies(  # type: ignore[misc]
        self: Provider, context: RequestContext, reports: Any, now: float
    ) -> list[dict[str, str]]:
        """Anomalies the SDKs saw under rules with a SamplingRateBoost: one boost to the
        rule's MaxRate per cooldown window, lasting to that window's end."""
        scope = self.scope_of(context)
        unprocessed = []
        for report in reports:
            name = report["RuleName"]
            row = self.load_rule(context, name)
            boost = row["SamplingRule"].get("SamplingRateBoost") if row is not None else None
            if boost is None:
                message = "Unknown rule" if row is None else "The rule has no SamplingRateBoost"
                unprocessed.append({"RuleName": name, "ErrorCode": "400", "Message": message})
                continue
            stats = self.sampling_stats.get(scope, name) or {"clients": {}, "windows": []}
            if report["AnomalyCount"] > 0 and stats.get("boosted_until", 0.0) <= now:
                stats["boosted_until"] = now + boost["CooldownWindowMinutes"] * 60
                self.sampling_stats.put(scope, name, stats)
        return unprocessed

    def get_sampling_statistic_summaries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        summaries = []
        for name, stats in self.sampling_stats.scan(self.scope_of(context)):
            windows = stats["windows"]
            if windows:
                summaries.append(
                    {
                        "RuleName": name,
                        "Timestamp": max(w["Timestamp"] for w in windows),
                        "RequestCount": sum(w["RequestCount"] for w in windows),
                        "BorrowCount": sum(w["BorrowCount"] for w in windows),
                        "SampledCount": sum(w["SampledCount"] for w in windows),
                    }
                )
        return self.page(context, "GetSamplingStatisticSummaries", params, summaries)


def _seconds(moment: Any) -> float:
    return moment.timestamp() if hasattr(moment, "timestamp") else float(moment)


def _record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "SamplingRule": row["SamplingRule"],
        "CreatedAt": row["CreatedAt"],
        "ModifiedAt": row["ModifiedAt"],
    }

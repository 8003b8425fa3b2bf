"""The rest of CloudWatch's resources: metric streams, anomaly detectors, Contributor Insights
rules (custom and managed), and the tags of alarms, dashboards, rules and streams.

Tables:
  streams      (account/region) name → metric stream
  detectors    (account/region) detector id → anomaly detector
  insight      (account/region) rule name → insight rule
  managed      (account/region) resource ARN SEP template → managed rule
  tags         (account) ARN → {key: value}
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common import tagging
from overcast.common.arns import build_arn, parse_arn
from overcast.errors import ServiceError
from overcast.services.cloudwatch import stats
from overcast.services.cloudwatch.errors import combination, invalid, missing, resource_not_found
from overcast.services.cloudwatch.metrics import check_dimensions, metric_id
from overcast.services.cloudwatch.querydata import check_queries

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.provider import Provider

STREAM_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,255}$")
RULE_NAME = re.compile(r"^[\x20-\x7E]{1,128}$")
OUTPUT_FORMATS = ("json", "opentelemetry0.7", "opentelemetry1.0")
SEP = "\x1f"
TAG_RULES = tagging.TagRules(
    refuse=tagging.refusals(
        "InvalidParameterValue",
        {
            tagging.TagProblem.TOO_MANY: (
                "LimitExceededException",
                "The number of tags exceeds the limit of 50.",
            )
        },
        limit=50,
    ),
    max_tags=50,
)
#: Managed rule templates AWS offers, by the resource type they watch.
MANAGED_TEMPLATES = {
    "DynamoDBContributorInsights-PartitionKey": "dynamodb",
    "DynamoDBContributorInsights-ThrottledKeys": "dynamodb",
    "VpcEndpointService-NewConnectionsByEndpointId-v1": "ec2",
    "VpcEndpointService-BytesByEndpointId-v1": "ec2",
}


def _account(scope: str) -> str:
    return scope.split("/")[0]


def check_filters(params: dict[str, Any]) -> None:
    if params.get("IncludeFilters") and params.get("ExcludeFilters"):
        raise combination("You cannot specify both IncludeFilters and ExcludeFilters.")
    for member in ("IncludeFilters", "ExcludeFilters"):
        for item in params.get(member) or []:
            if item.get("MetricNames") and not item.get("Namespace"):
                raise invalid(f"{member}: MetricNames can only be specified together with a Namespace.")


def _check_rule_definition(text: str) -> dict[str, Any]:
    try:
        definition = json.loads(text)
    except ValueError:
        raise invalid("The rule definition is not valid JSON.") from None
    if not isinstance(definition, dict):
        raise invalid("The rule definition must be a JSON object.")
    schema = definition.get("Schema") or {}
    if schema.get("Name") != "CloudWatchLogRule" or schema.get("Version") != 1:
        raise invalid('Schema must be {"Name": "CloudWatchLogRule", "Version": 1}.')
    if not definition.get("LogGroupNames") and not definition.get("LogGroupARNs"):
        raise invalid("LogGroupNames or LogGroupARNs must be specified.")
    if definition.get("LogFormat") not in ("JSON", "CLF"):
        raise invalid("LogFormat must be JSON or CLF.")
    contribution = definition.get("Contribution")
    if not isinstance(contribution, dict):
        raise invalid("Contribution must be specified.")
    keys = contribution.get("Keys")
    if not isinstance(keys, list) or not 1 <= len(keys) <= 4:
        raise invalid("Contribution.Keys must have between 1 and 4 keys.")
    if definition.get("AggregateOn") not in ("Count", "Sum"):
        raise invalid("AggregateOn must be Count or Sum.")
    if definition["AggregateOn"] == "Sum" and not contribution.get("ValueOf"):
        raise invalid("Contribution.ValueOf must be specified when AggregateOn is Sum.")
    return definition


class FeaturesMixin:
    # -- tags ------------------------------------------------------------------------------------

    def check_tags(self: Provider, tags: list[dict[str, str]] | None) -> None:  # type: ignore[misc]
        if tags:
            tagging.tag_map(tags, TAG_RULES)

    def set_tags(self: Provider, scope: str, arn: str, tags: list[dict[str, str]]) -> None:  # type: ignore[misc]
        account = _account(scope)
        existing = self.tags.get(account, arn) or {}
        self.tags.put(account, arn, tagging.add_tags(existing, tags, TAG_RULES))

    def drop_tags(self: Provider, scope: str, arn: str) -> None:  # type: ignore[misc]
        self.tags.delete(_account(scope), arn)

    def _tagged_exists(self: Provider, context: RequestContext, arn: str) -> bool:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "cloudwatch" or parsed.account != context.account:
            raise invalid(f"The value {arn} for parameter ResourceARN is invalid.")
        kind, _, name = parsed.resource.partition(":" if parsed.resource.startswith("alarm:") else "/")
        region_scope = f"{context.account}/{parsed.region or context.region}"
        if kind == "alarm":
            return self.alarms.get(region_scope, name) is not None
        if kind == "dashboard":
            return self.dashboards.get(context.account, name) is not None
        if kind == "insight-rule":
            return self.insight.get(region_scope, name) is not None
        if kind == "metric-stream":
            return self.streams.get(region_scope, name) is not None
        raise invalid(f"The value {arn} for parameter ResourceARN is invalid.")

    def _tag_target(self: Provider, context: RequestContext, arn: str) -> None:  # type: ignore[misc]
        if not self._tagged_exists(context, arn):
            parsed = parse_arn(arn)
            kind = parsed.resource.split(":")[0].split("/")[0] if parsed else "resource"
            name = parsed.resource.split(":", 1)[-1].split("/", 1)[-1] if parsed else arn
            raise resource_not_found(kind, name, f"{kind.capitalize()} {name} does not exist.")

    def list_tags_for_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["ResourceARN"]
        self._tag_target(context, arn)
        return {"Tags": tagging.tag_list(self.tags.get(context.account, arn) or {})}

    def tag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["ResourceARN"]
        self._tag_target(context, arn)
        with self.store.transaction():
            self.set_tags(context.account, arn, params["Tags"])
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["ResourceARN"]
        self._tag_target(context, arn)
        with self.store.transaction():
            existing = self.tags.get(context.account, arn) or {}
            self.tags.put(context.account, arn, tagging.remove_tags(existing, params["TagKeys"]))
        return {}

    # -- metric streams --------------------------------------------------------------------------

    def put_metric_stream(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["Name"]
        if not STREAM_NAME.match(name):
            raise invalid(f"The value {name} for parameter Name is invalid.")
        for member in ("FirehoseArn", "RoleArn"):
            parsed = parse_arn(params[member])
            wanted = "firehose" if member == "FirehoseArn" else "iam"
            if parsed is None or parsed.service != wanted:
                raise invalid(f"The value {params[member]} for parameter {member} is invalid.")
        if params["OutputFormat"] not in OUTPUT_FORMATS:
            raise invalid(f"The value {params['OutputFormat']} for parameter OutputFormat is invalid.")
        check_filters(params)
        for config in params.get("StatisticsConfigurations") or []:
            for stat in config.get("AdditionalStatistics") or []:
                if not stats.valid_extended(stat):
                    raise invalid(f"The value {stat} for parameter AdditionalStatistics is invalid.")
        self.check_tags(params.get("Tags"))
        scope = self.scope_of(context)
        arn = build_arn("cloudwatch", context.region, context.account, f"metric-stream/{name}")
        now = time.time()
        with self.store.transaction():
            old = self.streams.get(scope, name)
            stream = {
                "Arn": arn,
                "Name": name,
                "IncludeFilters": params.get("IncludeFilters") or [],
                "ExcludeFilters": params.get("ExcludeFilters") or [],
                "FirehoseArn": params["FirehoseArn"],
                "RoleArn": params["RoleArn"],
                "State": old["State"] if old else "running",
                "CreationDate": old["CreationDate"] if old else now,
                "LastUpdateDate": now,
                "OutputFormat": params["OutputFormat"],
                "StatisticsConfigurations": params.get("StatisticsConfigurations") or [],
                "IncludeLinkedAccountsMetrics": bool(params.get("IncludeLinkedAccountsMetrics")),
            }
            self.streams.put(scope, name, stream)
            if params.get("Tags"):
                self.set_tags(scope, arn, params["Tags"])
        return {"Arn": arn}

    def get_metric_stream(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stream = self.streams.get(self.scope_of(context), params["Name"])
        if stream is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Metric stream {params['Name']} does not exist.", 404
            )
        return stream

    def list_metric_streams(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        fields = ("Arn", "CreationDate", "LastUpdateDate", "Name", "FirehoseArn", "State", "OutputFormat")
        rows = [{f: s[f] for f in fields} for _, s in self.streams.scan(scope)]
        return self.page_offset("ListMetricStreams", params, rows, "Entries", default_limit=500)

    def delete_metric_stream(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            stream = self.streams.get(scope, params["Name"])
            if stream is not None:
                self.streams.delete(scope, params["Name"])
                self.drop_tags(scope, stream["Arn"])
        return {}

    def _stream_state(self: Provider, context: RequestContext, params: dict, state: str) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        names = params.get("Names") or []
        with self.store.transaction():
            for name in names:
                stream = self.streams.get(scope, name)
                if stream is None:
                    raise ServiceError(
                        "ResourceNotFoundException", f"Metric stream {name} does not exist.", 404
                    )
            for name in names:
                stream = self.streams.get(scope, name)
                stream["State"] = state
                stream["LastUpdateDate"] = time.time()
                self.streams.put(scope, name, stream)
        return {}

    def start_metric_streams(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._stream_state(context, params, "running")

    def stop_metric_streams(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._stream_state(context, params, "stopped")

    # -- anomaly detectors -----------------------------------------------------------------------

    def _detector(self: Provider, params: dict) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        """(key, detector fields) of the detector the parameters name, validated."""
        single = params.get("SingleMetricAnomalyDetector")
        math = params.get("MetricMathAnomalyDetector")
        legacy = any(params.get(m) for m in ("Namespace", "MetricName", "Dimensions", "Stat"))
        if (single or legacy) and math:
            raise combination(
                "SingleMetricAnomalyDetector and MetricMathAnomalyDetector are mutually exclusive."
            )
        if single and legacy:
            raise combination(
                "The parameters Namespace, MetricName, Dimensions and Stat are mutually exclusive with SingleMetricAnomalyDetector."
            )
        if math:
            queries = math.get("MetricDataQueries") or []
            check_queries(queries, alarm=True)
            key = "math" + SEP + json.dumps(queries, sort_keys=True, default=str)
            return key, {"MetricMathAnomalyDetector": {"MetricDataQueries": queries}}
        spec = single or {k: params.get(k) for k in ("Namespace", "MetricName", "Dimensions", "Stat")}
        for member in ("Namespace", "MetricName", "Stat"):
            if not spec.get(member):
                raise missing(member)
        if spec["Stat"] not in stats.PLAIN and not stats.valid_extended(spec["Stat"]):
            raise invalid(f"The value {spec['Stat']} for parameter Stat is invalid.")
        dims = spec.get("Dimensions") or []
        check_dimensions(dims, "Dimensions")
        key = "metric" + SEP + metric_id(spec["Namespace"], spec["MetricName"], dims) + SEP + spec["Stat"]
        detector = {
            "Namespace": spec["Namespace"],
            "MetricName": spec["MetricName"],
            "Dimensions": dims,
            "Stat": spec["Stat"],
            "SingleMetricAnomalyDetector": {
                k: v for k, v in {**spec, "Dimensions": dims}.items() if v is not None
            },
        }
        return key, detector

    def put_anomaly_detector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, detector = self._detector(params)
        config = params.get("Configuration") or {}
        for window in config.get("ExcludedTimeRanges") or []:
            if window["StartTime"] >= window["EndTime"]:
                raise invalid("The start time of an excluded time range must be before its end time.")
        scope = self.scope_of(context)
        with self.store.transaction():
            old = self.detectors.get(scope, key)
            detector["AnomalyDetectorId"] = old["AnomalyDetectorId"] if old else str(uuid.uuid4())
            detector["Configuration"] = config
            if params.get("MetricCharacteristics") is not None:
                detector["MetricCharacteristics"] = params["MetricCharacteristics"]
            self.detectors.put(scope, key, detector)
        return {"AnomalyDetectorId": detector["AnomalyDetectorId"]}

    def _detector_state(self: Provider, scope: str, detector: dict[str, Any]) -> str:  # type: ignore[misc]
        if "MetricName" not in detector:
            return "TRAINED"
        mid = metric_id(detector["Namespace"], detector["MetricName"], detector["Dimensions"])
        now = time.time()
        seen = sum(1 for _ in self.data.buckets(scope, mid, now - 14 * 86400, now + 1))
        return "TRAINED" if seen >= 3 else "PENDING_TRAINING" if seen == 0 else "TRAINED_INSUFFICIENT_DATA"

    def describe_anomaly_detectors(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        types = params.get("AnomalyDetectorTypes") or ["SINGLE_METRIC", "METRIC_MATH"]
        ids = params.get("AnomalyDetectorIds")
        rows = []
        for key, detector in self.detectors.scan(scope):
            kind = "METRIC_MATH" if key.startswith("math") else "SINGLE_METRIC"
            if kind not in types or (ids and detector["AnomalyDetectorId"] not in ids):
                continue
            if params.get("Namespace") and detector.get("Namespace") != params["Namespace"]:
                continue
            if params.get("MetricName") and detector.get("MetricName") != params["MetricName"]:
                continue
            if params.get("Dimensions") and sorted(
                (d["Name"], d["Value"]) for d in params["Dimensions"]
            ) != sorted((d["Name"], d["Value"]) for d in detector.get("Dimensions") or []):
                continue
            rows.append({**detector, "StateValue": self._detector_state(scope, detector)})
        return self.page_list("DescribeAnomalyDetectors", params, rows, default_limit=100)

    def delete_anomaly_detector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, _ = self._detector(params)
        scope = self.scope_of(context)
        with self.store.transaction():
            if not self.detectors.delete(scope, key):
                raise ServiceError("ResourceNotFoundException", "No anomaly detection model found.", 404)
        return {}

    # -- Contributor Insights rules --------------------------------------------------------------

    def put_insight_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["RuleName"]
        if not RULE_NAME.match(name):
            raise invalid(f"The value {name} for parameter RuleName is invalid.")
        state = params.get("RuleState", "ENABLED")
        if state not in ("ENABLED", "DISABLED"):
            raise invalid(f"The value {state} for parameter RuleState is invalid.")
        _check_rule_definition(params["RuleDefinition"])
        self.check_tags(params.get("Tags"))
        scope = self.scope_of(context)
        with self.store.transaction():
            self.insight.put(
                scope,
                name,
                {
                    "Name": name,
                    "State": state,
                    "Schema": "CloudWatchLogRule/1",
                    "Definition": params["RuleDefinition"],
                    "ManagedRule": False,
                    "ApplyOnTransformedLogs": bool(params.get("ApplyOnTransformedLogs")),
                },
            )
            if params.get("Tags"):
                arn = build_arn("cloudwatch", context.region, context.account, f"insight-rule/{name}")
                self.set_tags(scope, arn, params["Tags"])
        return {}

    def describe_insight_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        rows = [rule for _, rule in self.insight.scan(scope)]
        return self.page_offset("DescribeInsightRules", params, rows, "InsightRules", default_limit=500)

    def _rules_each(self: Provider, context: RequestContext, params: dict, change: Any) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        failures = []
        with self.store.transaction():
            for name in params.get("RuleNames") or []:
                rule = self.insight.get(scope, name)
                if rule is None:
                    failures.append(
                        {
                            "FailureResource": name,
                            "ExceptionType": "ResourceNotFoundException",
                            "FailureCode": "404",
                            "FailureDescription": f"Rule {name} does not exist.",
                        }
                    )
                    continue
                change(scope, name, rule)
        return {"Failures": failures}

    def delete_insight_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        def drop(scope: str, name: str, rule: dict) -> None:
            self.insight.delete(scope, name)
            self.drop_tags(
                scope, build_arn("cloudwatch", context.region, context.account, f"insight-rule/{name}")
            )

        return self._rules_each(context, params, drop)

    def enable_insight_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._rules_each(
            context,
            params,
            lambda scope, name, rule: self.insight.put(scope, name, {**rule, "State": "ENABLED"}),
        )

    def disable_insight_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._rules_each(
            context,
            params,
            lambda scope, name, rule: self.insight.put(scope, name, {**rule, "State": "DISABLED"}),
        )

    def put_managed_insight_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        failures = []
        with self.store.transaction():
            for rule in params["ManagedRules"]:
                template, resource = rule["TemplateName"], rule["ResourceARN"]
                parsed = parse_arn(resource)
                wanted = MANAGED_TEMPLATES.get(template)
                if wanted is None or parsed is None or parsed.service != wanted:
                    failures.append(
                        {
                            "FailureResource": resource,
                            "ExceptionType": "InvalidParameterValueException",
                            "FailureCode": "400",
                            "FailureDescription": f"Template {template} does not apply to {resource}.",
                        }
                    )
                    continue
                name = f"{template}-{parsed.resource.split('/')[-1]}"
                self.managed.put(
                    scope,
                    resource + SEP + template,
                    {
                        "TemplateName": template,
                        "ResourceARN": resource,
                        "RuleState": {"RuleName": name, "State": "ENABLED"},
                    },
                )
                self.insight.put(
                    scope,
                    name,
                    {
                        "Name": name,
                        "State": "ENABLED",
                        "Schema": "CloudWatchLogRule/1",
                        "Definition": json.dumps({"Template": template, "ResourceARN": resource}),
                        "ManagedRule": True,
                        "ApplyOnTransformedLogs": False,
                    },
                )
        return {"Failures": failures}

    def list_managed_insight_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        resource = params["ResourceARN"]
        if parse_arn(resource) is None:
            raise invalid(f"The value {resource} for parameter ResourceARN is invalid.")
        rows = [rule for _, rule in self.managed.scan(scope, prefix=resource + SEP)]
        return self.page_offset("ListManagedInsightRules", params, rows, "ManagedRules", default_limit=100)

"""Scaling policies (simple, step, target tracking) and how they change a group's desired
capacity: ExecutePolicy, and CloudWatch alarms whose actions name a policy's ARN. A target
tracking policy creates the two alarms AWS creates (TargetTracking-<group>-AlarmHigh-<uuid>,
...-AlarmLow-<uuid>) and deletes them with itself."""

from __future__ import annotations

import itertools
import math
import uuid
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.autoscaling.common import SEP, arn, now, stamp, validation

if TYPE_CHECKING:
    from overcast.services.autoscaling.provider import Provider

POLICY_TYPES = ("SimpleScaling", "StepScaling", "TargetTrackingScaling", "PredictiveScaling")
ADJUSTMENT_TYPES = ("ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity")

#: Predefined target tracking metrics: (namespace, metric, statistic).
PREDEFINED = {
    "ASGAverageCPUUtilization": ("AWS/EC2", "CPUUtilization", "Average"),
    "ASGAverageNetworkIn": ("AWS/EC2", "NetworkIn", "Average"),
    "ASGAverageNetworkOut": ("AWS/EC2", "NetworkOut", "Average"),
    "ALBRequestCountPerTarget": ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"),
}

PUBLIC = (
    "AutoScalingGroupName",
    "PolicyName",
    "PolicyARN",
    "PolicyType",
    "AdjustmentType",
    "MinAdjustmentStep",
    "MinAdjustmentMagnitude",
    "ScalingAdjustment",
    "Cooldown",
    "StepAdjustments",
    "MetricAggregationType",
    "EstimatedInstanceWarmup",
    "Alarms",
    "TargetTrackingConfiguration",
    "Enabled",
    "PredictiveScalingConfiguration",
)


def adjusted(current: int, kind: str, adjustment: float, magnitude: int | None = None) -> int:
    """The capacity an adjustment asks for (before the group's bounds)."""
    if kind == "ExactCapacity":
        return int(adjustment)
    if kind == "PercentChangeInCapacity":
        change = current * adjustment / 100.0
        step = int(change) if abs(change) >= 1 else (1 if change > 0 else -1 if change < 0 else 0)
        if magnitude and abs(step) < magnitude:
            step = magnitude if step > 0 else -magnitude
        return current + step
    return current + int(adjustment)


def step_for(steps: list[dict[str, Any]], difference: float) -> dict[str, Any] | None:
    """The step adjustment whose interval holds the metric's distance from the threshold."""
    for step in steps:
        low = step.get("MetricIntervalLowerBound")
        high = step.get("MetricIntervalUpperBound")
        if (low is None or difference >= low) and (high is None or difference < high):
            return step
    return None


def check_steps(steps: list[dict[str, Any]]) -> None:
    if not steps:
        raise validation("StepAdjustments is required for policy type StepScaling.")
    unbounded_low = [s for s in steps if s.get("MetricIntervalLowerBound") is None]
    unbounded_high = [s for s in steps if s.get("MetricIntervalUpperBound") is None]
    if len(unbounded_low) > 1 or len(unbounded_high) > 1:
        raise validation("Only one StepAdjustment may have an unbounded interval on each side.")
    ordered = sorted(
        steps,
        key=lambda s: (
            -math.inf if s.get("MetricIntervalLowerBound") is None else s["MetricIntervalLowerBound"]
        ),
    )
    for before, after in itertools.pairwise(ordered):
        if before.get("MetricIntervalUpperBound") != after.get("MetricIntervalLowerBound"):
            raise validation("There are gaps or overlaps between the intervals of StepAdjustments.")
    for s in steps:
        low, high = s.get("MetricIntervalLowerBound"), s.get("MetricIntervalUpperBound")
        if low is not None and high is not None and high <= low:
            raise validation("MetricIntervalUpperBound must be greater than MetricIntervalLowerBound.")


class PoliciesMixin:
    def put_scaling_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        group = self.group(scope, params["AutoScalingGroupName"])
        name = params["PolicyName"]
        key = f"{group['AutoScalingGroupName']}{SEP}{name}"
        existing = self.policies.get(scope, key)
        kind = params.get("PolicyType") or "SimpleScaling"
        if kind not in POLICY_TYPES:
            raise validation(f"Invalid policy type: {kind}")
        policy: dict[str, Any] = {
            "AutoScalingGroupName": group["AutoScalingGroupName"],
            "PolicyName": name,
            "PolicyARN": (existing or {}).get("PolicyARN")
            or arn(
                context.region,
                context.account,
                "scalingPolicy",
                f"autoScalingGroupName/{group['AutoScalingGroupName']}:policyName/{name}",
            ),
            "PolicyType": kind,
            "Enabled": params.get("Enabled", True),
            "Alarms": [],
        }
        if kind in ("SimpleScaling", "StepScaling"):
            adjustment_type = params.get("AdjustmentType")
            if not adjustment_type:
                raise validation(f"AdjustmentType is required for policy type {kind}.")
            if adjustment_type not in ADJUSTMENT_TYPES:
                raise validation(f"Invalid adjustment type: {adjustment_type}")
            policy["AdjustmentType"] = adjustment_type
            if params.get("MinAdjustmentMagnitude") is not None:
                if adjustment_type != "PercentChangeInCapacity":
                    raise validation(
                        "MinAdjustmentMagnitude is only supported with adjustment type PercentChangeInCapacity."
                    )
                policy["MinAdjustmentMagnitude"] = params["MinAdjustmentMagnitude"]
        if kind == "SimpleScaling":
            if params.get("ScalingAdjustment") is None:
                raise validation("ScalingAdjustment is required for policy type SimpleScaling.")
            if params.get("StepAdjustments"):
                raise validation("StepAdjustments are not supported for policy type SimpleScaling.")
            policy["ScalingAdjustment"] = params["ScalingAdjustment"]
            if params.get("Cooldown") is not None:
                policy["Cooldown"] = params["Cooldown"]
        elif kind == "StepScaling":
            if params.get("ScalingAdjustment") is not None:
                raise validation("ScalingAdjustment is not supported for policy type StepScaling.")
            check_steps(params.get("StepAdjustments") or [])
            policy["StepAdjustments"] = params["StepAdjustments"]
            policy["MetricAggregationType"] = params.get("MetricAggregationType") or "Average"
            if params.get("EstimatedInstanceWarmup") is not None:
                policy["EstimatedInstanceWarmup"] = params["EstimatedInstanceWarmup"]
        elif kind == "TargetTrackingScaling":
            config = params.get("TargetTrackingConfiguration")
            if not config:
                raise validation(
                    "TargetTrackingConfiguration is required for policy type TargetTrackingScaling."
                )
            self._check_target_config(config)
            policy["TargetTrackingConfiguration"] = config
            if params.get("EstimatedInstanceWarmup") is not None:
                policy["EstimatedInstanceWarmup"] = params["EstimatedInstanceWarmup"]
        else:
            config = params.get("PredictiveScalingConfiguration")
            if not config:
                raise validation(
                    "PredictiveScalingConfiguration is required for policy type PredictiveScaling."
                )
            config.setdefault("Mode", "ForecastOnly")
            policy["PredictiveScalingConfiguration"] = config
        if existing:
            self._drop_policy_alarms(context, existing)
        if kind == "TargetTrackingScaling":
            policy["Alarms"] = self._target_alarms(context, group, policy)
        self.policies.put(scope, key, policy)
        out: dict[str, Any] = {"PolicyARN": policy["PolicyARN"]}
        if kind == "TargetTrackingScaling":
            out["Alarms"] = policy["Alarms"]
        return out

    @staticmethod
    def _check_target_config(config: dict[str, Any]) -> None:
        predefined = config.get("PredefinedMetricSpecification")
        custom = config.get("CustomizedMetricSpecification")
        if bool(predefined) == bool(custom):
            raise validation(
                "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be given."
            )
        if predefined:
            kind = predefined["PredefinedMetricType"]
            if kind not in PREDEFINED:
                raise validation(f"Invalid predefined metric type: {kind}")
            if kind == "ALBRequestCountPerTarget" and not predefined.get("ResourceLabel"):
                raise validation(
                    "ResourceLabel is required for predefined metric type ALBRequestCountPerTarget."
                )

    def _target_alarms(  # type: ignore[misc]
        self: Provider, context: RequestContext, group: dict[str, Any], policy: dict[str, Any]
    ) -> list[dict[str, str]]:
        config = policy["TargetTrackingConfiguration"]
        target = float(config["TargetValue"])
        base: dict[str, Any] = {}
        predefined = config.get("PredefinedMetricSpecification")
        if predefined:
            namespace, metric, statistic = PREDEFINED[predefined["PredefinedMetricType"]]
            dimensions = [{"Name": "AutoScalingGroupName", "Value": group["AutoScalingGroupName"]}]
            if predefined["PredefinedMetricType"] == "ALBRequestCountPerTarget":
                dimensions = [{"Name": "TargetGroup", "Value": predefined["ResourceLabel"].split("/", 3)[-1]}]
            base = {
                "Namespace": namespace,
                "MetricName": metric,
                "Statistic": statistic,
                "Dimensions": dimensions,
                "Period": 60,
            }
        else:
            custom = config["CustomizedMetricSpecification"]
            if custom.get("Metrics"):
                base = {"Metrics": custom["Metrics"]}
            else:
                base = {
                    "Namespace": custom["Namespace"],
                    "MetricName": custom["MetricName"],
                    "Statistic": custom.get("Statistic") or "Average",
                    "Dimensions": custom.get("Dimensions") or [],
                    "Period": 60,
                }
                if custom.get("Unit"):
                    base["Unit"] = custom["Unit"]
        cloudwatch = self.runtime.provider("cloudwatch")
        internal = RequestContext.internal("autoscaling", context.account, context.region)
        description = f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy['PolicyARN']}."
        alarms = []
        shapes = [("AlarmHigh", "GreaterThanThreshold", target, 3)]
        if not config.get("DisableScaleIn"):
            shapes.append(("AlarmLow", "LessThanThreshold", target * 0.9, 15))
        for suffix, operator, threshold, periods in shapes:
            name = f"TargetTracking-{group['AutoScalingGroupName']}-{suffix}-{uuid.uuid4()}"
            cloudwatch.put_metric_alarm(
                internal,
                {
                    "AlarmName": name,
                    "AlarmDescription": description,
                    "ActionsEnabled": True,
                    "AlarmActions": [policy["PolicyARN"]],
                    "ComparisonOperator": operator,
                    "Threshold": threshold,
                    "EvaluationPeriods": periods,
                    "DatapointsToAlarm": periods,
                    **base,
                },
            )
            found = cloudwatch.describe_alarms(internal, {"AlarmNames": [name]})["MetricAlarms"]
            alarms.append({"AlarmName": name, "AlarmARN": found[0]["AlarmArn"] if found else ""})
        return alarms

    def _drop_policy_alarms(self: Provider, context: RequestContext, policy: dict[str, Any]) -> None:  # type: ignore[misc]
        if policy.get("PolicyType") != "TargetTrackingScaling" or not policy.get("Alarms"):
            return
        cloudwatch = self.runtime.provider("cloudwatch")
        internal = RequestContext.internal("autoscaling", context.account, context.region)
        cloudwatch.delete_alarms(internal, {"AlarmNames": [a["AlarmName"] for a in policy["Alarms"]]})

    def _policy(self: Provider, scope: str, group_name: str | None, name: str) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        if name.startswith("arn:"):
            for key, policy in self.policies.scan(scope):
                if policy["PolicyARN"] == name:
                    return key, policy
        elif group_name:
            key = f"{group_name}{SEP}{name}"
            policy = self.policies.get(scope, key)
            if policy is not None:
                return key, policy
        raise validation(f"Policy {name} not found")

    def delete_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        key, policy = self._policy(scope, params.get("AutoScalingGroupName"), params["PolicyName"])
        self._drop_policy_alarms(context, policy)
        self.policies.delete(scope, key)
        return {}

    def describe_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        group_name = params.get("AutoScalingGroupName")
        if group_name:
            self.group(scope, group_name)
        names = params.get("PolicyNames") or []
        types = params.get("PolicyTypes") or []
        prefix = f"{group_name}{SEP}" if group_name else ""
        found = [
            {k: p[k] for k in PUBLIC if k in p}
            for _, p in self.policies.scan(scope, prefix=prefix)
            if (not names or p["PolicyName"] in names or p["PolicyARN"] in names)
            and (not types or p["PolicyType"] in types)
        ]
        return self.page("DescribePolicies", params, found)

    def execute_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        _, policy = self._policy(scope, params.get("AutoScalingGroupName"), params["PolicyName"])
        if (
            params.get("AutoScalingGroupName")
            and params["AutoScalingGroupName"] != policy["AutoScalingGroupName"]
        ):
            raise validation(f"Policy {params['PolicyName']} not found")
        kind = policy["PolicyType"]
        if kind in ("TargetTrackingScaling", "PredictiveScaling"):
            raise validation(f"ExecutePolicy is not supported for policy type {kind}.")
        if kind == "StepScaling":
            if params.get("MetricValue") is None or params.get("BreachThreshold") is None:
                raise validation("MetricValue and BreachThreshold are required for policy type StepScaling.")
            if params.get("HonorCooldown"):
                raise validation("HonorCooldown is not supported for policy type StepScaling.")
        elif params.get("MetricValue") is not None or params.get("BreachThreshold") is not None:
            raise validation(
                "MetricValue and BreachThreshold are only supported for policy type StepScaling."
            )
        cause = f"At {stamp(now())} a user request executed policy {policy['PolicyName']}"
        self.apply_policy(
            scope,
            policy,
            cause,
            metric=params.get("MetricValue"),
            threshold=params.get("BreachThreshold"),
            honor_cooldown=bool(params.get("HonorCooldown")),
        )
        return {}

    def apply_policy(  # type: ignore[misc]
        self: Provider,
        scope: str,
        policy: dict[str, Any],
        cause: str,
        metric: float | None = None,
        threshold: float | None = None,
        honor_cooldown: bool = False,
        alarm_name: str = "",
    ) -> None:
        with self.lock:
            group = self.groups.get(scope, policy["AutoScalingGroupName"])
            if group is None:
                return
            current = group["DesiredCapacity"]
            kind = policy["PolicyType"]
            if honor_cooldown and group.get("_cooldown_until", 0) > now():
                raise ServiceError(
                    "ScalingActivityInProgress",
                    "Scaling activity cannot be performed while the group is in its cooldown period.",
                )
            if kind == "SimpleScaling":
                wanted = adjusted(
                    current,
                    policy["AdjustmentType"],
                    policy["ScalingAdjustment"],
                    policy.get("MinAdjustmentMagnitude"),
                )
            elif kind == "StepScaling":
                difference = (metric - threshold) if metric is not None and threshold is not None else 0.0
                step = step_for(policy["StepAdjustments"], difference)
                if step is None:
                    return
                wanted = adjusted(
                    current,
                    policy["AdjustmentType"],
                    step["ScalingAdjustment"],
                    policy.get("MinAdjustmentMagnitude"),
                )
            else:
                config = policy["TargetTrackingConfiguration"]
                target = float(config["TargetValue"])
                high = "AlarmHigh" in alarm_name
                if metric is not None and target > 0 and current > 0:
                    ratio = metric / target
                    wanted = math.ceil(current * ratio) if high else math.floor(current * ratio)
                    if high and wanted <= current:
                        wanted = current + 1
                    if not high and wanted >= current:
                        wanted = current - 1
                else:
                    wanted = current + 1 if high else current - 1
                if not high and config.get("DisableScaleIn"):
                    return
            wanted = max(group["MinSize"], min(group["MaxSize"], wanted))
            if wanted == current:
                return
            group["DesiredCapacity"] = wanted
            group["_cause"] = f"{cause} changing the desired capacity from {current} to {wanted}."
            if kind == "SimpleScaling":
                cooldown = policy.get("Cooldown", group.get("DefaultCooldown", 300))
                group["_cooldown_until"] = now() + cooldown
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])

    def alarm_fired(self: Provider, policy_arn: str, alarm: dict[str, Any]) -> bool:  # type: ignore[misc]
        """A CloudWatch alarm whose actions name one of this service's policies changed state:
        run the policy. False when the policy does not exist (any more)."""
        parts = policy_arn.split(":")
        account, region = parts[4], parts[3]
        from overcast.store import scope as store_scope

        scope = store_scope(account, region)
        try:
            _, policy = self._policy(scope, None, policy_arn)
        except ServiceError:
            return False
        if not policy.get("Enabled", True):
            return True
        if "AlarmNotification" in self.suspended(
            self.groups.get(scope, policy["AutoScalingGroupName"]) or {}
        ):
            return True
        cause = (
            f"At {stamp(now())} a monitor alarm {alarm['AlarmName']} in state {alarm['StateValue']} "
            f"triggered policy {policy['PolicyName']}"
        )
        # Run after the alarm's own change is done, outside CloudWatch's transaction.
        scheduler = self.runtime.scheduler
        scheduler.at(
            f"autoscaling/alarm/{uuid.uuid4()}",
            scheduler.now(),
            lambda key, due: self._run_alarm_policy(scope, policy, cause, dict(alarm)),
        )
        return True

    def _run_alarm_policy(  # type: ignore[misc]
        self: Provider, scope: str, policy: dict[str, Any], cause: str, alarm: dict[str, Any]
    ) -> None:
        try:
            self.apply_policy(
                scope,
                policy,
                cause,
                metric=alarm_value(alarm),
                threshold=alarm.get("Threshold"),
                honor_cooldown=policy["PolicyType"] == "SimpleScaling",
                alarm_name=alarm["AlarmName"],
            )
        except ServiceError:
            pass  # in cooldown: AWS skips the alarm's action


def alarm_value(alarm: dict[str, Any]) -> float | None:
    """The metric value behind an alarm's state, when its reason data carries it; else the
    threshold (a step whose interval starts at the threshold applies)."""
    import json

    try:
        data = json.loads(alarm.get("StateReasonData") or "{}")
    except ValueError:
        data = {}
    points = data.get("recentDatapoints") or []
    if points and isinstance(points[0], int | float):
        return float(points[0])
    threshold = alarm.get("Threshold")
    return float(threshold) if threshold is not None else None

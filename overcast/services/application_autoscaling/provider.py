"""Application Auto Scaling: scalable targets whose capacity really changes (targets.py: ECS
desired count, DynamoDB provisioned throughput, Lambda provisioned concurrency), step and
target tracking policies run by CloudWatch alarms (a target tracking policy creates its
alarms), scheduled actions that fire on the scheduler, the activity history, tags.

Tables, by account/region: "targets" (namespace\\x1fresource\\x1fdimension), "policies" and
"scheduled" (the target's key\\x1fname), "activities" (the target's key, newest first)."""

from __future__ import annotations

import math
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from overcast.common import pagination, schedules, tagging
from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.application_autoscaling import targets as resources
from overcast.services.autoscaling.policies import adjusted, alarm_value, check_steps, step_for
from overcast.services.base import BaseProvider
from overcast.store import scope as store_scope

SEP = "\x1f"
MAX_TARGETS_TAGS = 50

#: Predefined target tracking metrics: namespace, metric, statistic, dimensions from the resource.
PREDEFINED: dict[str, tuple[str, str, str]] = {
    "ECSServiceAverageCPUUtilization": ("AWS/ECS", "CPUUtilization", "Average"),
    "ECSServiceAverageMemoryUtilization": ("AWS/ECS", "MemoryUtilization", "Average"),
    "DynamoDBReadCapacityUtilization": ("AWS/DynamoDB", "ConsumedReadCapacityUnits", "Sum"),
    "DynamoDBWriteCapacityUtilization": ("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "Sum"),
    "LambdaProvisionedConcurrencyUtilization": ("AWS/Lambda", "ProvisionedConcurrencyUtilization", "Maximum"),
    "ALBRequestCountPerTarget": ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"),
}


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _describe(namespace: str, resource_id: str, dimension: str) -> str:
    return f"service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}"


def _metric_dimensions(target: dict[str, Any], label: str | None) -> list[dict[str, str]]:
    namespace, resource_id = target["ServiceNamespace"], target["ResourceId"]
    if namespace == "ecs":
        _, cluster, service = resource_id.split("/", 2)
        return [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
    if namespace == "dynamodb":
        parts = resource_id.split("/")
        dims = [{"Name": "TableName", "Value": parts[1]}]
        if len(parts) == 4:
            dims.append({"Name": "GlobalSecondaryIndexName", "Value": parts[3]})
        return dims
    if namespace == "lambda":
        _, function, qualifier = resource_id.split(":", 2)
        return [
            {"Name": "FunctionName", "Value": function},
            {"Name": "Resource", "Value": f"{function}:{qualifier}"},
        ]
    if label:
        return [{"Name": "TargetGroup", "Value": label.split("/", 3)[-1]}]
    return []


class Provider(BaseProvider):
    service = "application-autoscaling"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.targets = self.store.table("application-autoscaling", "targets")
        self.policies = self.store.table("application-autoscaling", "policies")
        self.scheduled = self.store.table("application-autoscaling", "scheduled")
        self.activities = self.store.table("application-autoscaling", "activities")
        self.lock = threading.RLock()
        self.tag_rules = tagging.TagRules(
            refuse=tagging.refusals(
                "ValidationException",
                {
                    tagging.TagProblem.TOO_MANY: (
                        "TooManyTagsException",
                        "The number of tags exceeds the limit of 50.",
                    )
                },
                limit=MAX_TARGETS_TAGS,
            ),
            max_tags=MAX_TARGETS_TAGS,
        )

    def start(self) -> None:
        self.arm_all()

    def state_replaced(self) -> None:
        self.runtime.scheduler.cancel_prefix("application-autoscaling/")
        self.arm_all()

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def page(self, operation: str, params: dict[str, Any], items: list[Any]) -> dict:
        return pagination.paginate_list(
            self.store,
            "application-autoscaling",
            operation,
            params,
            items,
            bad_token=lambda: ServiceError("InvalidNextTokenException", "Invalid NextToken"),
            default_limit=50,
        )

    @staticmethod
    def target_key(namespace: str, resource_id: str, dimension: str) -> str:
        return f"{namespace}{SEP}{resource_id}{SEP}{dimension}"

    def target(self, scope: str, namespace: str, resource_id: str, dimension: str) -> dict[str, Any]:
        found = self.targets.get(scope, self.target_key(namespace, resource_id, dimension))
        if found is None:
            raise ServiceError(
                "ObjectNotFoundException",
                f"No scalable target registered for {_describe(namespace, resource_id, dimension)}",
            )
        return found

    # -- activities -------------------------------------------------------------------------------

    def activity(
        self, scope: str, target: dict[str, Any], description: str, cause: str, status: str, message: str
    ) -> None:
        moment = datetime.now(UTC).timestamp()
        record = {
            "ActivityId": str(uuid.uuid4()),
            "ServiceNamespace": target["ServiceNamespace"],
            "ResourceId": target["ResourceId"],
            "ScalableDimension": target["ScalableDimension"],
            "Description": description,
            "Cause": cause,
            "StartTime": moment,
            "EndTime": moment,
            "StatusCode": status,
            "StatusMessage": message,
        }
        key = self.target_key(target["ServiceNamespace"], target["ResourceId"], target["ScalableDimension"])
        self.activities.put(
            scope, f"{key}{SEP}{10**13 - int(moment * 1000):014d}{record['ActivityId']}", record
        )

    def scale_to(self, scope: str, target: dict[str, Any], capacity: int, cause: str) -> None:
        """Set the resource's capacity (within the target's bounds) and record the activity."""
        account, region = scope.split("/")
        capacity = max(target["MinCapacity"], min(target["MaxCapacity"], capacity))
        current = resources.current_capacity(self.runtime, account, region, target)
        if current is None or current == capacity:
            return
        noun = resources.words(target["ScalableDimension"])
        try:
            fulfilled = resources.set_capacity(self.runtime, account, region, target, capacity)
        except ServiceError as error:
            self.activity(
                scope,
                target,
                f"Setting {noun} to {capacity}.",
                cause,
                "Failed",
                f"Failed to set {noun} to {capacity}. Reason: {error.message}",
            )
            return
        self.activity(
            scope,
            target,
            f"Setting {noun} to {capacity}.",
            cause,
            "Successful",
            f"Successfully set {noun} to {capacity}. Change successfully fulfilled by {fulfilled}.",
        )
        self.targets.put(
            scope,
            self.target_key(target["ServiceNamespace"], target["ResourceId"], target["ScalableDimension"]),
            target,
        )

    # -- scalable targets ---------------------------------------------------------------------------

    def register_scalable_target(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace, resource_id, dimension = (
            params["ServiceNamespace"],
            params["ResourceId"],
            params["ScalableDimension"],
        )
        resources.check_resource(namespace, resource_id, dimension)
        key = self.target_key(namespace, resource_id, dimension)
        with self.lock:
            existing = self.targets.get(scope, key)
            if existing is None:
                if params.get("MinCapacity") is None or params.get("MaxCapacity") is None:
                    raise validation(
                        "MinCapacity and MaxCapacity are required for registering a new scalable target."
                    )
                probe = {
                    "ServiceNamespace": namespace,
                    "ResourceId": resource_id,
                    "ScalableDimension": dimension,
                    "MinCapacity": params["MinCapacity"],
                }
                if resources.current_capacity(self.runtime, context.account, context.region, probe) is None:
                    raise validation(f"{_resource_kind(namespace)} doesn't exist: {resource_id}")
            target = dict(existing or {})
            target.update(
                {
                    "ServiceNamespace": namespace,
                    "ResourceId": resource_id,
                    "ScalableDimension": dimension,
                }
            )
            for member in ("MinCapacity", "MaxCapacity"):
                if params.get(member) is not None:
                    target[member] = params[member]
            if target["MinCapacity"] < 0:
                raise validation("Minimum capacity cannot be less than 0")
            if target["MaxCapacity"] < target["MinCapacity"]:
                raise validation("Maximum capacity cannot be less than minimum capacity")
            suspended = {
                "DynamicScalingInSuspended": False,
                "DynamicScalingOutSuspended": False,
                "ScheduledScalingSuspended": False,
                **(target.get("SuspendedState") or {}),
                **(params.get("SuspendedState") or {}),
            }
            target["SuspendedState"] = suspended
            target.setdefault("CreationTime", datetime.now(UTC).timestamp())
            target.setdefault(
                "ScalableTargetARN",
                f"arn:{partition(context.region)}:application-autoscaling:{context.region}:{context.account}:"
                f"scalable-target/{uuid.uuid4().hex[:4]}{uuid.uuid4().hex}",
            )
            target["RoleARN"] = (
                params.get("RoleARN")
                or target.get("RoleARN")
                or (
                    f"arn:aws:iam::{context.account}:role/aws-service-role/"
                    f"{_role_service(namespace)}/AWSServiceRoleForApplicationAutoScaling_{_role_suffix(namespace)}"
                )
            )
            if existing is None and params.get("Tags"):
                target["_tags"] = tagging.tag_map(params["Tags"], self.tag_rules)
            self.targets.put(scope, key, target)
            current = resources.current_capacity(self.runtime, context.account, context.region, target)
            if current is not None and not target["MinCapacity"] <= current <= target["MaxCapacity"]:
                bound = "minimum" if current < target["MinCapacity"] else "maximum"
                value = target["MinCapacity"] if current < target["MinCapacity"] else target["MaxCapacity"]
                self.scale_to(scope, target, value, f"{bound} capacity was set to {value}")
        return {"ScalableTargetARN": target["ScalableTargetARN"]}

    def describe_scalable_targets(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace = params["ServiceNamespace"]
        ids = params.get("ResourceIds") or []
        dimension = params.get("ScalableDimension")
        found = [
            {k: v for k, v in t.items() if not k.startswith("_")}
            for _, t in self.targets.scan(scope, prefix=f"{namespace}{SEP}")
            if (not ids or t["ResourceId"] in ids) and (not dimension or t["ScalableDimension"] == dimension)
        ]
        return self.page("DescribeScalableTargets", params, found)

    def deregister_scalable_target(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace, resource_id, dimension = (
            params["ServiceNamespace"],
            params["ResourceId"],
            params["ScalableDimension"],
        )
        with self.lock:
            self.target(scope, namespace, resource_id, dimension)
            key = self.target_key(namespace, resource_id, dimension)
            for policy_key, policy in list(self.policies.scan(scope, prefix=f"{key}{SEP}")):
                self._drop_alarms(context, policy)
                self.policies.delete(scope, policy_key)
            for action_key, _ in list(self.scheduled.scan(scope, prefix=f"{key}{SEP}")):
                self.scheduled.delete(scope, action_key)
                self.runtime.scheduler.cancel(f"application-autoscaling/{scope}/{action_key}")
            self.targets.delete(scope, key)
        return {}

    # -- scaling policies -----------------------------------------------------------------------------

    def put_scaling_policy(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace, resource_id, dimension = (
            params["ServiceNamespace"],
            params["ResourceId"],
            params["ScalableDimension"],
        )
        resources.check_resource(namespace, resource_id, dimension)
        target = self.target(scope, namespace, resource_id, dimension)
        kind = params.get("PolicyType") or "StepScaling"
        name = params["PolicyName"]
        key = f"{self.target_key(namespace, resource_id, dimension)}{SEP}{name}"
        existing = self.policies.get(scope, key)
        policy: dict[str, Any] = {
            "PolicyARN": (existing or {}).get("PolicyARN")
            or (
                f"arn:{partition(context.region)}:autoscaling:{context.region}:{context.account}:scalingPolicy:"
                f"{uuid.uuid4()}:resource/{namespace}/{resource_id}:policyName/{name}"
            ),
            "PolicyName": name,
            "ServiceNamespace": namespace,
            "ResourceId": resource_id,
            "ScalableDimension": dimension,
            "PolicyType": kind,
            "Alarms": [],
            "CreationTime": (existing or {}).get("CreationTime") or datetime.now(UTC).timestamp(),
        }
        if kind == "StepScaling":
            config = params.get("StepScalingPolicyConfiguration")
            if not config:
                raise validation("StepScalingPolicyConfiguration is required for policy type StepScaling.")
            if config.get("AdjustmentType") not in (
                "ChangeInCapacity",
                "ExactCapacity",
                "PercentChangeInCapacity",
            ):
                raise validation(
                    "AdjustmentType is required and must be one of ChangeInCapacity, ExactCapacity, PercentChangeInCapacity."
                )
            check_steps(config.get("StepAdjustments") or [])
            policy["StepScalingPolicyConfiguration"] = config
        elif kind == "TargetTrackingScaling":
            config = params.get("TargetTrackingScalingPolicyConfiguration")
            if not config:
                raise validation(
                    "TargetTrackingScalingPolicyConfiguration is required for policy type TargetTrackingScaling."
                )
            predefined, custom = (
                config.get("PredefinedMetricSpecification"),
                config.get("CustomizedMetricSpecification"),
            )
            if bool(predefined) == bool(custom):
                raise validation(
                    "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be given."
                )
            if (
                predefined
                and predefined["PredefinedMetricType"] == "ALBRequestCountPerTarget"
                and not predefined.get("ResourceLabel")
            ):
                raise validation(
                    "ResourceLabel is required for predefined metric type ALBRequestCountPerTarget."
                )
            policy["TargetTrackingScalingPolicyConfiguration"] = config
        elif kind == "PredictiveScaling":
            config = params.get("PredictiveScalingPolicyConfiguration")
            if not config:
                raise validation(
                    "PredictiveScalingPolicyConfiguration is required for policy type PredictiveScaling."
                )
            policy["PredictiveScalingPolicyConfiguration"] = config
        else:
            raise validation(f"Unsupported policy type: {kind}")
        if existing:
            self._drop_alarms(context, existing)
        if kind == "TargetTrackingScaling":
            policy["Alarms"] = self._target_alarms(context, target, policy)
        self.policies.put(scope, key, policy)
        out: dict[str, Any] = {"PolicyARN": policy["PolicyARN"]}
        if kind == "TargetTrackingScaling":
            out["Alarms"] = policy["Alarms"]
        return out

    def _target_alarms(
        self, context: RequestContext, target: dict[str, Any], policy: dict[str, Any]
    ) -> list[dict[str, str]]:
        config = policy["TargetTrackingScalingPolicyConfiguration"]
        value = float(config["TargetValue"])
        predefined = config.get("PredefinedMetricSpecification")
        if predefined:
            namespace, metric, statistic = PREDEFINED.get(
                predefined["PredefinedMetricType"],
                ("AWS/" + target["ServiceNamespace"], predefined["PredefinedMetricType"], "Average"),
            )
            base: dict[str, Any] = {
                "Namespace": namespace,
                "MetricName": metric,
                "Statistic": statistic,
                "Dimensions": _metric_dimensions(target, predefined.get("ResourceLabel")),
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
        internal = RequestContext.internal("application-autoscaling", context.account, context.region)
        shapes: list[tuple[str, str, float, int, dict[str, Any]]] = [
            ("AlarmHigh", "GreaterThanThreshold", value, 3, base)
        ]
        if not config.get("DisableScaleIn"):
            shapes.append(("AlarmLow", "LessThanThreshold", value * 0.9, 15, base))
        if target["ServiceNamespace"] == "dynamodb" and predefined:
            shapes = self._dynamodb_alarms(context, target, value, base, bool(config.get("DisableScaleIn")))
        alarms = []
        for suffix, operator, threshold, periods, shape in shapes:
            base = shape
            name = f"TargetTracking-{target['ResourceId']}-{suffix}-{uuid.uuid4()}"
            cloudwatch.put_metric_alarm(
                internal,
                {
                    "AlarmName": name,
                    "AlarmDescription": f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy['PolicyARN']}.",
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

    def _dynamodb_alarms(
        self,
        context: RequestContext,
        target: dict[str, Any],
        value: float,
        base: dict[str, Any],
        no_scale_in: bool,
    ) -> list[tuple[str, str, float, int, dict[str, Any]]]:
        """DynamoDB's four alarms: consumed capacity (a per-minute Sum) against the target share
        of what is provisioned, and provisioned capacity against what it is now, so that a
        change of capacity outside the policy is noticed."""
        provisioned = resources.current_capacity(self.runtime, context.account, context.region, target) or 1
        consumed_per_minute = provisioned * 60
        kind = "Read" if target["ScalableDimension"].endswith("ReadCapacityUnits") else "Write"
        provisioned_metric = {
            **base,
            "MetricName": f"Provisioned{kind}CapacityUnits",
            "Statistic": "Average",
            "Period": 300,
        }
        shapes = [("AlarmHigh", "GreaterThanThreshold", consumed_per_minute * value / 100, 2, base)]
        if not no_scale_in:
            shapes.append(
                ("AlarmLow", "LessThanThreshold", consumed_per_minute * max(value - 20, 0) / 100, 15, base)
            )
        shapes.append(
            ("ProvisionedCapacityHigh", "GreaterThanThreshold", float(provisioned), 2, provisioned_metric)
        )
        shapes.append(
            ("ProvisionedCapacityLow", "LessThanThreshold", float(provisioned), 3, provisioned_metric)
        )
        return shapes

    def _drop_alarms(self, context: RequestContext, policy: dict[str, Any]) -> None:
        if policy.get("PolicyType") == "TargetTrackingScaling" and policy.get("Alarms"):
            internal = RequestContext.internal("application-autoscaling", context.account, context.region)
            self.runtime.provider("cloudwatch").delete_alarms(
                internal, {"AlarmNames": [a["AlarmName"] for a in policy["Alarms"]]}
            )

    def delete_scaling_policy(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace, resource_id, dimension = (
            params["ServiceNamespace"],
            params["ResourceId"],
            params["ScalableDimension"],
        )
        key = f"{self.target_key(namespace, resource_id, dimension)}{SEP}{params['PolicyName']}"
        policy = self.policies.get(scope, key)
        if policy is None:
            raise ServiceError(
                "ObjectNotFoundException",
                f"No scaling policy found for {_describe(namespace, resource_id, dimension)}, policy name: {params['PolicyName']}",
            )
        self._drop_alarms(context, policy)
        self.policies.delete(scope, key)
        return {}

    def describe_scaling_policies(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace = params["ServiceNamespace"]
        names = params.get("PolicyNames") or []
        resource_id, dimension = params.get("ResourceId"), params.get("ScalableDimension")
        found = [
            {k: v for k, v in p.items() if not k.startswith("_")}
            for _, p in self.policies.scan(scope, prefix=f"{namespace}{SEP}")
            if (not names or p["PolicyName"] in names)
            and (not resource_id or p["ResourceId"] == resource_id)
            and (not dimension or p["ScalableDimension"] == dimension)
        ]
        return self.page("DescribeScalingPolicies", params, found)

    def alarm_fired(self, policy_arn: str, alarm: dict[str, Any]) -> bool:
        """A CloudWatch alarm whose actions name one of this service's policies changed state."""
        parts = policy_arn.split(":")
        scope = store_scope(parts[4], parts[3])
        found = [p for _, p in self.policies.scan(scope) if p["PolicyARN"] == policy_arn]
        if not found:
            return False
        policy = found[0]
        cause = f"monitor alarm {alarm['AlarmName']} in state {alarm['StateValue']} triggered policy {policy['PolicyName']}"
        scheduler = self.runtime.scheduler
        scheduler.at(
            f"application-autoscaling/alarm/{uuid.uuid4()}",
            scheduler.now(),
            lambda key, due: self.apply_policy(scope, policy, cause, dict(alarm)),
        )
        return True

    def apply_policy(self, scope: str, policy: dict[str, Any], cause: str, alarm: dict[str, Any]) -> None:
        with self.lock:
            target = self.targets.get(
                scope,
                self.target_key(
                    policy["ServiceNamespace"], policy["ResourceId"], policy["ScalableDimension"]
                ),
            )
            if target is None:
                return
            account, region = scope.split("/")
            current = resources.current_capacity(self.runtime, account, region, target)
            if current is None:
                return
            metric = alarm_value(alarm)
            suspended = target.get("SuspendedState") or {}
            if policy["PolicyType"] == "StepScaling":
                config = policy["StepScalingPolicyConfiguration"]
                threshold = alarm.get("Threshold")
                difference = (metric - threshold) if metric is not None and threshold is not None else 0.0
                step = step_for(config["StepAdjustments"], difference)
                if step is None:
                    return
                wanted = adjusted(
                    current,
                    config["AdjustmentType"],
                    step["ScalingAdjustment"],
                    config.get("MinAdjustmentMagnitude"),
                )
            elif policy["PolicyType"] == "TargetTrackingScaling":
                config = policy["TargetTrackingScalingPolicyConfiguration"]
                if "-Alarm" not in alarm["AlarmName"]:
                    return  # DynamoDB's ProvisionedCapacity alarms watch, they do not scale
                high = "AlarmHigh" in alarm["AlarmName"]
                if not high and config.get("DisableScaleIn"):
                    return
                target_value = float(config["TargetValue"])
                if metric is not None and target["ServiceNamespace"] == "dynamodb" and current > 0:
                    metric = metric / (60 * current) * 100  # consumed per minute → utilization %
                if (
                    metric is not None
                    and target_value > 0
                    and current > 0
                    and alarm_value(alarm) != alarm.get("Threshold")
                ):
                    ratio = metric / target_value
                    wanted = math.ceil(current * ratio) if high else math.floor(current * ratio)
                else:
                    wanted = current + 1 if high else current - 1
                if high and wanted <= current:
                    wanted = current + 1
                if not high and wanted >= current:
                    wanted = current - 1
            else:
                return
            if wanted > current and suspended.get("DynamicScalingOutSuspended"):
                return
            if wanted < current and suspended.get("DynamicScalingInSuspended"):
                return
            bounded = max(target["MinCapacity"], min(target["MaxCapacity"], wanted))
            direction = "out" if bounded > current else "in"
            cooldowns = policy.setdefault("_cooldown_until", {})
            moment = datetime.now(UTC).timestamp()
            if bounded == current or cooldowns.get(direction, 0) > moment:
                return  # inside the policy's cooldown for this direction: AWS waits it out
            self.scale_to(
                scope,
                target,
                bounded,
                f"{cause} changing the {resources.words(target['ScalableDimension'])} from {current} to {bounded}.",
            )
            cooldowns[direction] = moment + _cooldown(policy, direction)
            key = self.target_key(
                policy["ServiceNamespace"], policy["ResourceId"], policy["ScalableDimension"]
            )
            stored = self.policies.get(scope, f"{key}{SEP}{policy['PolicyName']}")
            if stored is not None and stored["PolicyARN"] == policy["PolicyARN"]:
                stored["_cooldown_until"] = cooldowns
                self.policies.put(scope, f"{key}{SEP}{policy['PolicyName']}", stored)

    # -- scheduled actions ----------------------------------------------------------------------------

    def arm(self, scope: str, key: str, action: dict[str, Any]) -> None:
        scheduler = self.runtime.scheduler
        timer = f"application-autoscaling/{scope}/{key}"
        due = self.next_due(action, max(scheduler.now(), action.get("_last", 0) + 1))
        if due is None:
            scheduler.cancel(timer)
        else:
            scheduler.at(timer, due, self._fire)

    def arm_all(self) -> None:
        for scope in self.scheduled.scopes():
            for key, action in self.scheduled.scan(scope):
                self.arm(scope, key, action)

    @staticmethod
    def next_due(action: dict[str, Any], after: float) -> float | None:
        schedule = schedules.parse(action["Schedule"], allow_at=True)
        start = action.get("StartTime")
        end = action.get("EndTime")
        moment = max(after, start or after)
        start_dt = datetime.fromtimestamp(start or action["CreationTime"], UTC)
        fire = schedules.next_fire(
            schedule, datetime.fromtimestamp(moment - 0.001, UTC), start_dt, action.get("Timezone")
        )
        if fire is None:
            return None
        due = fire.timestamp()
        return None if end is not None and due > end else due

    def _fire(self, timer: str, due: float) -> None:
        _, account, region, key = timer.split("/", 3)
        scope = f"{account}/{region}"
        with self.lock:
            action = self.scheduled.get(scope, key)
            if action is None:
                return
            action["_last"] = due
            self.scheduled.put(scope, key, action)
            self.arm(scope, key, action)
            target = self.targets.get(
                scope,
                self.target_key(
                    action["ServiceNamespace"], action["ResourceId"], action["ScalableDimension"]
                ),
            )
            if target is None or (target.get("SuspendedState") or {}).get("ScheduledScalingSuspended"):
                return
            change = action.get("ScalableTargetAction") or {}
            parts = []
            if change.get("MinCapacity") is not None:
                target["MinCapacity"] = change["MinCapacity"]
                parts.append(f"min capacity to {change['MinCapacity']}")
            if change.get("MaxCapacity") is not None:
                target["MaxCapacity"] = change["MaxCapacity"]
                parts.append(f"max capacity to {change['MaxCapacity']}")
            target["MinCapacity"] = min(target["MinCapacity"], target["MaxCapacity"])
            self.targets.put(
                scope,
                self.target_key(
                    target["ServiceNamespace"], target["ResourceId"], target["ScalableDimension"]
                ),
                target,
            )
            cause = f"scheduled action name {action['ScheduledActionName']} was triggered"
            self.activity(
                scope,
                target,
                f"Setting {' and '.join(parts)}",
                cause,
                "Successful",
                f"Successfully set {' and '.join(parts)}. Change successfully fulfilled by application-autoscaling.",
            )
            current = resources.current_capacity(self.runtime, account, region, target)
            if current is not None and current < target["MinCapacity"]:
                self.scale_to(
                    scope,
                    target,
                    target["MinCapacity"],
                    f"minimum capacity was set to {target['MinCapacity']}",
                )
            elif current is not None and current > target["MaxCapacity"]:
                self.scale_to(
                    scope,
                    target,
                    target["MaxCapacity"],
                    f"maximum capacity was set to {target['MaxCapacity']}",
                )

    def put_scheduled_action(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace, resource_id, dimension = (
            params["ServiceNamespace"],
            params["ResourceId"],
            params["ScalableDimension"],
        )
        resources.check_resource(namespace, resource_id, dimension)
        self.target(scope, namespace, resource_id, dimension)
        name = params["ScheduledActionName"]
        key = f"{self.target_key(namespace, resource_id, dimension)}{SEP}{name}"
        existing = self.scheduled.get(scope, key)
        schedule = params.get("Schedule") or (existing or {}).get("Schedule")
        if not schedule:
            raise validation("Schedule is required when creating a scheduled action.")
        try:
            schedules.parse(schedule, allow_at=True)
        except schedules.ScheduleError:
            raise validation(f"Unsupported schedule format: {schedule}") from None
        if params.get("Timezone"):
            try:
                schedules.zone_of(params["Timezone"])
            except schedules.ScheduleError:
                raise validation(f"Invalid timezone: {params['Timezone']}") from None
        action: dict[str, Any] = {
            **(existing or {}),
            "ScheduledActionName": name,
            "ScheduledActionARN": (existing or {}).get("ScheduledActionARN")
            or (
                f"arn:{partition(context.region)}:autoscaling:{context.region}:{context.account}:scheduledAction:"
                f"{uuid.uuid4()}:resource/{namespace}/{resource_id}:scheduledActionName/{name}"
            ),
            "ServiceNamespace": namespace,
            "ResourceId": resource_id,
            "ScalableDimension": dimension,
            "Schedule": schedule,
            "CreationTime": (existing or {}).get("CreationTime") or datetime.now(UTC).timestamp(),
        }
        action.pop("_last", None)
        for member in ("StartTime", "EndTime"):
            if params.get(member) is not None:
                value = params[member]
                action[member] = value.timestamp() if isinstance(value, datetime) else float(value)
        if params.get("Timezone"):
            action["Timezone"] = params["Timezone"]
        if params.get("ScalableTargetAction") is not None:
            change = params["ScalableTargetAction"]
            if (
                change.get("MinCapacity") is not None
                and change.get("MaxCapacity") is not None
                and change["MaxCapacity"] < change["MinCapacity"]
            ):
                raise validation("Maximum capacity cannot be less than minimum capacity")
            action["ScalableTargetAction"] = change
        self.scheduled.put(scope, key, action)
        self.arm(scope, key, action)
        return {}

    def delete_scheduled_action(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace, resource_id, dimension = (
            params["ServiceNamespace"],
            params["ResourceId"],
            params["ScalableDimension"],
        )
        key = f"{self.target_key(namespace, resource_id, dimension)}{SEP}{params['ScheduledActionName']}"
        if self.scheduled.get(scope, key) is None:
            raise ServiceError(
                "ObjectNotFoundException",
                f"No scheduled action found for {_describe(namespace, resource_id, dimension)}, scheduled action name: {params['ScheduledActionName']}",
            )
        self.scheduled.delete(scope, key)
        self.runtime.scheduler.cancel(f"application-autoscaling/{scope}/{key}")
        return {}

    def describe_scheduled_actions(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace = params["ServiceNamespace"]
        names = params.get("ScheduledActionNames") or []
        resource_id, dimension = params.get("ResourceId"), params.get("ScalableDimension")
        found = [
            {k: v for k, v in a.items() if not k.startswith("_")}
            for _, a in self.scheduled.scan(scope, prefix=f"{namespace}{SEP}")
            if (not names or a["ScheduledActionName"] in names)
            and (not resource_id or a["ResourceId"] == resource_id)
            and (not dimension or a["ScalableDimension"] == dimension)
        ]
        return self.page("DescribeScheduledActions", params, found)

    def describe_scaling_activities(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        namespace = params["ServiceNamespace"]
        resource_id, dimension = params.get("ResourceId"), params.get("ScalableDimension")
        prefix = f"{namespace}{SEP}"
        if resource_id:
            prefix += f"{resource_id}{SEP}"
            if dimension:
                prefix += f"{dimension}{SEP}"
        found = [
            a
            for _, a in self.activities.scan(scope, prefix=prefix)
            if not dimension or a["ScalableDimension"] == dimension
        ]
        found.sort(key=lambda a: -a["StartTime"])
        return self.page("DescribeScalingActivities", params, found)

    # -- tags ----------------------------------------------------------------------------------------

    def _by_arn(self, scope: str, arn: str) -> tuple[str, dict[str, Any]]:
        for key, target in self.targets.scan(scope):
            if target["ScalableTargetARN"] == arn:
                return key, target
        raise ServiceError(
            "ResourceNotFoundException", f"No scalable target found for ARN {arn}", ResourceName=arn
        )

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.lock:
            key, target = self._by_arn(scope, params["ResourceARN"])
            target["_tags"] = tagging.add_tags(target.get("_tags"), params["Tags"], self.tag_rules)
            self.targets.put(scope, key, target)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.lock:
            key, target = self._by_arn(scope, params["ResourceARN"])
            target["_tags"] = tagging.remove_tags(target.get("_tags"), params["TagKeys"])
            self.targets.put(scope, key, target)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        _, target = self._by_arn(self.scope_of(context), params["ResourceARN"])
        return {"Tags": dict(target.get("_tags") or {})}

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        parts = arn.split(":")
        if len(parts) < 6:
            return None
        try:
            _, target = self._by_arn(store_scope(parts[4], parts[3]), arn)
        except ServiceError:
            return None
        return dict(target.get("_tags") or {})


def _cooldown(policy: dict[str, Any], direction: str) -> float:
    """Seconds after a scaling activity before the policy scales the same way again: a step
    policy's Cooldown, a target tracking policy's ScaleOutCooldown / ScaleInCooldown (300 for
    most resources when unset)."""
    if policy["PolicyType"] == "StepScaling":
        return float(policy["StepScalingPolicyConfiguration"].get("Cooldown") or 0)
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    value = config.get("ScaleOutCooldown" if direction == "out" else "ScaleInCooldown")
    return float(300 if value is None else value)


def _resource_kind(namespace: str) -> str:
    return {"ecs": "ECS service", "dynamodb": "DynamoDB table", "lambda": "Lambda function"}.get(
        namespace, "Resource"
    )


def _role_service(namespace: str) -> str:
    return {
        "ecs": "ecs.application-autoscaling.amazonaws.com",
        "dynamodb": "dynamodb.application-autoscaling.amazonaws.com",
        "lambda": "lambda.application-autoscaling.amazonaws.com",
    }.get(namespace, f"{namespace}.application-autoscaling.amazonaws.com")


def _role_suffix(namespace: str) -> str:
    return {
        "ecs": "ECSService",
        "dynamodb": "DynamoDBTable",
        "lambda": "LambdaConcurrency",
        "ec2": "EC2SpotFleetRequest",
        "rds": "RDSCluster",
    }.get(namespace, namespace.capitalize())

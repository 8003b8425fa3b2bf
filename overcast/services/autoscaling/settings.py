"""A group's settings beside its capacity: tags, suspended processes, metrics collection,
notification configurations, and the account's limits and settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.autoscaling.common import PROCESSES, TERMINATION_POLICIES, now, stamp, validation

if TYPE_CHECKING:
    from overcast.services.autoscaling.provider import Provider

MAX_GROUPS = 500
MAX_CONFIGS = 200
METRICS = (
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
    "GroupInServiceCapacity",
    "GroupPendingCapacity",
    "GroupStandbyCapacity",
    "GroupTerminatingCapacity",
    "GroupTotalCapacity",
    "WarmPoolDesiredCapacity",
    "WarmPoolWarmedCapacity",
    "WarmPoolPendingCapacity",
    "WarmPoolTerminatingCapacity",
    "WarmPoolTotalCapacity",
    "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
)
NOTIFICATION_TYPES = (
    "autoscaling:EC2_INSTANCE_LAUNCH",
    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE",
    "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    "autoscaling:TEST_NOTIFICATION",
)


class SettingsMixin:
    # -- tags -----------------------------------------------------------------------------------

    def create_or_update_tags(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            touched: dict[str, dict[str, Any]] = {}
            for tag in params["Tags"]:
                if tag.get("ResourceType", "auto-scaling-group") != "auto-scaling-group":
                    raise validation(f"Invalid resource type: {tag.get('ResourceType')}")
                if tag["Key"].startswith("aws:"):
                    raise validation("Tag keys starting with 'aws:' are reserved for internal use")
                name = tag.get("ResourceId") or ""
                group = touched.get(name) or self.group(scope, name)
                touched[name] = group
                group["Tags"] = [t for t in group["Tags"] if t["Key"] != tag["Key"]] + [self._tag(name, tag)]
                if len(group["Tags"]) > 50:
                    raise ServiceError("LimitExceeded", "Number of tags exceeds the limit of 50")
            for name, group in touched.items():
                group["Tags"].sort(key=lambda t: t["Key"])
                self.groups.put(scope, name, group)
        return {}

    def delete_tags(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            for tag in params["Tags"]:
                group = self.group(scope, tag.get("ResourceId") or "")
                group["Tags"] = [
                    t
                    for t in group["Tags"]
                    if not (t["Key"] == tag["Key"] and (tag.get("Value") in (None, t["Value"])))
                ]
                self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def describe_tags(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        filters = params.get("Filters") or []
        tags = []
        for _, group in self.groups.scan(scope):
            for tag in group["Tags"]:
                ok = True
                for f in filters:
                    values = f.get("Values") or []
                    field = {
                        "auto-scaling-group": tag["ResourceId"],
                        "key": tag["Key"],
                        "value": tag["Value"],
                        "propagate-at-launch": str(tag["PropagateAtLaunch"]).lower(),
                    }.get(f["Name"])
                    if field is None:
                        raise validation(
                            f"Filter type {f['Name']} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch"
                        )
                    if field not in values:
                        ok = False
                if ok:
                    tags.append(tag)
        return self.page("DescribeTags", params, tags)

    # -- processes, metrics, notifications -------------------------------------------------------

    def suspend_processes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._processes(context, params, suspend=True)

    def resume_processes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._processes(context, params, suspend=False)

    def _processes(self: Provider, context: RequestContext, params: dict, suspend: bool) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        names = params.get("ScalingProcesses") or list(PROCESSES)
        for process in names:
            if process not in PROCESSES:
                raise validation(f"Process {process} is not a valid scaling process")
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            current = {p["ProcessName"]: p for p in group["SuspendedProcesses"]}
            for process in names:
                if suspend:
                    current.setdefault(
                        process,
                        {"ProcessName": process, "SuspensionReason": f"User suspended at {stamp(now())}"},
                    )
                else:
                    current.pop(process, None)
            group["SuspendedProcesses"] = list(current.values())
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        if not suspend:
            self.reconcile(scope, group["AutoScalingGroupName"])
        return {}

    def describe_scaling_process_types(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"Processes": [{"ProcessName": p} for p in PROCESSES]}

    def describe_adjustment_types(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "AdjustmentTypes": [
                {"AdjustmentType": t}
                for t in ("ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity")
            ]
        }

    def describe_termination_policy_types(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"TerminationPolicyTypes": list(TERMINATION_POLICIES)}

    def describe_metric_collection_types(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"Metrics": [{"Metric": m} for m in METRICS], "Granularities": [{"Granularity": "1Minute"}]}

    def enable_metrics_collection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params["Granularity"] != "1Minute":
            raise validation(f"Invalid granularity: {params['Granularity']}")
        scope = self.scope_of(context)
        metrics = params.get("Metrics") or list(METRICS)
        for metric in metrics:
            if metric not in METRICS:
                raise validation(f"Invalid metric: {metric}")
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            enabled = {m["Metric"] for m in group["EnabledMetrics"]} | set(metrics)
            group["EnabledMetrics"] = [
                {"Metric": m, "Granularity": "1Minute"} for m in METRICS if m in enabled
            ]
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def disable_metrics_collection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            dropped = set(params.get("Metrics") or METRICS)
            group["EnabledMetrics"] = [m for m in group["EnabledMetrics"] if m["Metric"] not in dropped]
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def describe_auto_scaling_notification_types(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return {"AutoScalingNotificationTypes": list(NOTIFICATION_TYPES)}

    def put_notification_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        for kind in params["NotificationTypes"]:
            if kind not in NOTIFICATION_TYPES:
                raise validation(f"Invalid notification type: {kind}")
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            group.setdefault("_notifications", {})[params["TopicARN"]] = sorted(
                set(params["NotificationTypes"])
            )
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def delete_notification_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            if (group.get("_notifications") or {}).pop(params["TopicARN"], None) is None:
                raise validation("No notification configuration found for this topic")
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def describe_notification_configurations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        names = params.get("AutoScalingGroupNames") or []
        found: list[dict[str, Any]] = []
        for name, group in self.groups.scan(scope):
            if names and name not in names:
                continue
            for topic, kinds in (group.get("_notifications") or {}).items():
                found.extend(
                    {"AutoScalingGroupName": name, "TopicARN": topic, "NotificationType": kind}
                    for kind in kinds
                )
        return self.page("DescribeNotificationConfigurations", params, found)

    # -- account ----------------------------------------------------------------------------------

    def describe_account_limits(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        return {
            "MaxNumberOfAutoScalingGroups": MAX_GROUPS,
            "MaxNumberOfLaunchConfigurations": MAX_CONFIGS,
            "NumberOfAutoScalingGroups": self.groups.count(scope),
            "NumberOfLaunchConfigurations": self.configs.count(scope),
        }

    def put_account_setting(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.settings.put(
            self.scope_of(context), params["Name"], {"Name": params["Name"], "Value": params["Value"]}
        )
        return {}

    def describe_account_settings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params.get("Name")
        settings = [s for n, s in self.settings.scan(scope) if not name or n == name]
        return {"Settings": settings}

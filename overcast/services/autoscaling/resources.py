"""Auto Scaling's CloudFormation resource types: AWS::AutoScaling::AutoScalingGroup,
LaunchConfiguration, ScalingPolicy, ScheduledAction and LifecycleHook, through the provider's
own operations."""

from __future__ import annotations

import asyncio
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    read_or_gone,
)

#: How long a stack waits for a deleted group's instances to terminate.
DELETE_WAIT_SECONDS = 120.0


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _group_params(properties: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for member in (
        "MinSize",
        "MaxSize",
        "DesiredCapacity",
        "HealthCheckGracePeriod",
        "MaxInstanceLifetime",
        "DefaultInstanceWarmup",
    ):
        if properties.get(member) is not None:
            params[member] = int(properties[member])
    if properties.get("Cooldown") is not None:
        params["DefaultCooldown"] = int(properties["Cooldown"])
    for member in (
        "LaunchConfigurationName",
        "MixedInstancesPolicy",
        "AvailabilityZones",
        "HealthCheckType",
        "TerminationPolicies",
        "PlacementGroup",
        "ServiceLinkedRoleARN",
        "Context",
        "DesiredCapacityType",
        "InstanceMaintenancePolicy",
    ):
        if properties.get(member) is not None:
            params[member] = properties[member]
    for member in ("NewInstancesProtectedFromScaleIn", "CapacityRebalance"):
        if properties.get(member) is not None:
            params[member] = _bool(properties[member])
    template = properties.get("LaunchTemplate") or properties.get("LaunchTemplateSpecification")
    if template:
        spec = {k: template[k] for k in ("LaunchTemplateId", "LaunchTemplateName") if template.get(k)}
        if template.get("Version") is not None:
            spec["Version"] = str(template["Version"])
        params["LaunchTemplate"] = spec
    subnets = properties.get("VPCZoneIdentifier")
    if subnets:
        params["VPCZoneIdentifier"] = ",".join(subnets) if isinstance(subnets, list) else str(subnets)
    return params


class AutoScalingGroup(ResourceHandler):
    identifier = "AutoScalingGroupName"
    name_property = "AutoScalingGroupName"
    replace_on = frozenset({"AutoScalingGroupName", "InstanceId"})
    required = ("MinSize", "MaxSize")
    attributes = frozenset({"LaunchConfigurationName", "LaunchTemplateSpecification", "VPCZoneIdentifier"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("AutoScalingGroupName") or request.physical_name(255)
        params = _group_params(properties)
        params["AutoScalingGroupName"] = name
        if properties.get("InstanceId"):
            params["InstanceId"] = properties["InstanceId"]
        for member in ("TargetGroupARNs", "LoadBalancerNames"):
            if properties.get(member):
                params[member] = list(properties[member])
        tags = [
            {
                "Key": t["Key"],
                "Value": str(t.get("Value", "")),
                "PropagateAtLaunch": _bool(t.get("PropagateAtLaunch")),
            }
            for t in properties.get("Tags") or []
        ]
        if tags:
            params["Tags"] = tags
        hooks = properties.get("LifecycleHookSpecificationList")
        if hooks:
            params["LifecycleHookSpecificationList"] = [
                {
                    **h,
                    **({"HeartbeatTimeout": int(h["HeartbeatTimeout"])} if h.get("HeartbeatTimeout") else {}),
                }
                for h in hooks
            ]
        await request.call("autoscaling", "CreateAutoScalingGroup", params)
        await self._extras(request, name, properties, {})
        return name, await self._attributes(request, name)

    @staticmethod
    async def _extras(
        request: ResourceRequest, name: str, properties: dict[str, Any], old: dict[str, Any]
    ) -> None:
        for config in properties.get("NotificationConfigurations") or []:
            await request.call(
                "autoscaling",
                "PutNotificationConfiguration",
                {
                    "AutoScalingGroupName": name,
                    "TopicARN": config["TopicARN"],
                    "NotificationTypes": config["NotificationTypes"],
                },
            )
        for config in properties.get("MetricsCollection") or []:
            params = {"AutoScalingGroupName": name, "Granularity": config.get("Granularity", "1Minute")}
            if config.get("Metrics"):
                params["Metrics"] = config["Metrics"]
            await request.call("autoscaling", "EnableMetricsCollection", params)

    @staticmethod
    async def _attributes(request: ResourceRequest, name: str) -> dict[str, Any]:
        found = await request.call(
            "autoscaling", "DescribeAutoScalingGroups", {"AutoScalingGroupNames": [name]}
        )
        group = found["AutoScalingGroups"][0]
        out: dict[str, Any] = {
            "VPCZoneIdentifier": [s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s]
        }
        if group.get("LaunchConfigurationName"):
            out["LaunchConfigurationName"] = group["LaunchConfigurationName"]
        if group.get("LaunchTemplate"):
            out["LaunchTemplateSpecification"] = group["LaunchTemplate"]
        return out

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id
        params = _group_params(request.properties)
        params["AutoScalingGroupName"] = name
        await request.call("autoscaling", "UpdateAutoScalingGroup", params)
        old, new = request.old_properties, request.properties
        for member, attach, detach in (
            ("TargetGroupARNs", "AttachLoadBalancerTargetGroups", "DetachLoadBalancerTargetGroups"),
            ("LoadBalancerNames", "AttachLoadBalancers", "DetachLoadBalancers"),
        ):
            before, after = set(old.get(member) or []), set(new.get(member) or [])
            if before - after:
                await request.call(
                    "autoscaling", detach, {"AutoScalingGroupName": name, member: sorted(before - after)}
                )
            if after - before:
                await request.call(
                    "autoscaling", attach, {"AutoScalingGroupName": name, member: sorted(after - before)}
                )
        old_tags = {t["Key"] for t in old.get("Tags") or []}
        new_tags = [
            {
                "ResourceId": name,
                "ResourceType": "auto-scaling-group",
                "Key": t["Key"],
                "Value": str(t.get("Value", "")),
                "PropagateAtLaunch": _bool(t.get("PropagateAtLaunch")),
            }
            for t in new.get("Tags") or []
        ]
        gone = old_tags - {t["Key"] for t in new_tags}
        if gone:
            await request.call(
                "autoscaling",
                "DeleteTags",
                {
                    "Tags": [
                        {"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k}
                        for k in sorted(gone)
                    ]
                },
            )
        if new_tags:
            await request.call("autoscaling", "CreateOrUpdateTags", {"Tags": new_tags})
        await self._extras(request, name, new, old)
        return await self._attributes(request, name)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request,
            "autoscaling",
            "DescribeAutoScalingGroups",
            {"AutoScalingGroupNames": [request.physical_id]},
        )
        if not found["AutoScalingGroups"]:
            from overcast.services.cloudformation.handlers import ResourceGone

            raise ResourceGone
        group = found["AutoScalingGroups"][0]
        return {
            "MinSize": str(group["MinSize"]),
            "MaxSize": str(group["MaxSize"]),
            "DesiredCapacity": str(group["DesiredCapacity"]),
        }

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call(
            "autoscaling", "DescribeAutoScalingGroups", {"AutoScalingGroupNames": [request.physical_id]}
        )
        if not found["AutoScalingGroups"]:
            raise ResourceFailed(f"AutoScalingGroup {request.physical_id} not found")
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        name = request.physical_id
        try:
            await request.call(
                "autoscaling", "DeleteAutoScalingGroup", {"AutoScalingGroupName": name, "ForceDelete": True}
            )
        except ResourceFailed as error:
            if "not found" in str(error):
                return
            if error.code != "ScalingActivityInProgress":
                raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DELETE_WAIT_SECONDS
        while loop.time() < deadline:
            found = await request.call(
                "autoscaling", "DescribeAutoScalingGroups", {"AutoScalingGroupNames": [name]}
            )
            if not found["AutoScalingGroups"]:
                return
            await asyncio.sleep(0.5)
        raise ResourceFailed(f"AutoScalingGroup {name} did not finish deleting its instances")


class LaunchConfiguration(ResourceHandler):
    identifier = "LaunchConfigurationName"
    name_property = "LaunchConfigurationName"
    updatable = False
    required = ("ImageId", "InstanceType")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("LaunchConfigurationName") or request.physical_name(255)
        params: dict[str, Any] = {"LaunchConfigurationName": name}
        for member in (
            "ImageId",
            "InstanceType",
            "KeyName",
            "SecurityGroups",
            "UserData",
            "IamInstanceProfile",
            "BlockDeviceMappings",
            "SpotPrice",
            "KernelId",
            "RamdiskId",
            "PlacementTenancy",
            "MetadataOptions",
            "InstanceId",
            "ClassicLinkVPCId",
            "ClassicLinkVPCSecurityGroups",
        ):
            if properties.get(member) is not None:
                params[member] = properties[member]
        for member in ("EbsOptimized", "AssociatePublicIpAddress"):
            if properties.get(member) is not None:
                params[member] = _bool(properties[member])
        if properties.get("InstanceMonitoring") is not None:
            params["InstanceMonitoring"] = {"Enabled": _bool(properties["InstanceMonitoring"])}
        await request.call("autoscaling", "CreateLaunchConfiguration", params)
        return name, {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "autoscaling", "DeleteLaunchConfiguration", {"LaunchConfigurationName": request.physical_id}
            )
        except ResourceFailed as error:
            if "not found" not in str(error):
                raise


class ScalingPolicy(ResourceHandler):
    replace_on = frozenset({"AutoScalingGroupName"})
    required = ("AutoScalingGroupName",)
    attributes = frozenset({"Arn", "PolicyName"})

    @staticmethod
    def _params(request: ResourceRequest, name: str) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            "AutoScalingGroupName": properties["AutoScalingGroupName"],
            "PolicyName": name,
        }
        for member in (
            "PolicyType",
            "AdjustmentType",
            "MetricAggregationType",
            "TargetTrackingConfiguration",
            "PredictiveScalingConfiguration",
        ):
            if properties.get(member) is not None:
                params[member] = properties[member]
        for member in ("ScalingAdjustment", "Cooldown", "EstimatedInstanceWarmup", "MinAdjustmentMagnitude"):
            if properties.get(member) is not None:
                params[member] = int(properties[member])
        if properties.get("StepAdjustments"):
            params["StepAdjustments"] = [
                {
                    **{k: float(v) for k, v in step.items() if k.startswith("MetricInterval")},
                    "ScalingAdjustment": int(step["ScalingAdjustment"]),
                }
                for step in properties["StepAdjustments"]
            ]
        config = params.get("TargetTrackingConfiguration")
        if config and config.get("TargetValue") is not None:
            config["TargetValue"] = float(config["TargetValue"])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.physical_name(255)
        out = await request.call("autoscaling", "PutScalingPolicy", self._params(request, name))
        return out["PolicyARN"], {"Arn": out["PolicyARN"], "PolicyName": name}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.attributes.get("PolicyName") or request.physical_id.rsplit("policyName/", 1)[-1]
        out = await request.call("autoscaling", "PutScalingPolicy", self._params(request, name))
        return {"Arn": out["PolicyARN"], "PolicyName": name}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("autoscaling", "DeletePolicy", {"PolicyName": request.physical_id})
        except ResourceFailed as error:
            if "not found" not in str(error):
                raise


class ScheduledAction(ResourceHandler):
    replace_on = frozenset({"AutoScalingGroupName"})
    required = ("AutoScalingGroupName",)

    @staticmethod
    def _params(request: ResourceRequest, name: str) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            "AutoScalingGroupName": properties["AutoScalingGroupName"],
            "ScheduledActionName": name,
        }
        for member in ("MinSize", "MaxSize", "DesiredCapacity"):
            if properties.get(member) is not None:
                params[member] = int(properties[member])
        for member in ("Recurrence", "StartTime", "EndTime", "TimeZone"):
            if properties.get(member) is not None:
                params[member] = properties[member]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.physical_name(255)
        await request.call("autoscaling", "PutScheduledUpdateGroupAction", self._params(request, name))
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "autoscaling", "PutScheduledUpdateGroupAction", self._params(request, request.physical_id)
        )
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "autoscaling",
                "DeleteScheduledAction",
                {
                    "AutoScalingGroupName": request.properties["AutoScalingGroupName"],
                    "ScheduledActionName": request.physical_id,
                },
            )
        except ResourceFailed as error:
            if "not found" not in str(error):
                raise


class LifecycleHook(ResourceHandler):
    replace_on = frozenset({"AutoScalingGroupName", "LifecycleHookName"})
    required = ("AutoScalingGroupName", "LifecycleTransition")
    name_property = "LifecycleHookName"

    @staticmethod
    def _params(request: ResourceRequest, name: str) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            "AutoScalingGroupName": properties["AutoScalingGroupName"],
            "LifecycleHookName": name,
        }
        for member in (
            "LifecycleTransition",
            "DefaultResult",
            "NotificationMetadata",
            "NotificationTargetARN",
            "RoleARN",
        ):
            if properties.get(member) is not None:
                params[member] = properties[member]
        if properties.get("HeartbeatTimeout") is not None:
            params["HeartbeatTimeout"] = int(properties["HeartbeatTimeout"])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("LifecycleHookName") or request.physical_name(255)
        await request.call("autoscaling", "PutLifecycleHook", self._params(request, name))
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("autoscaling", "PutLifecycleHook", self._params(request, request.physical_id))
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "autoscaling",
                "DeleteLifecycleHook",
                {
                    "AutoScalingGroupName": request.properties["AutoScalingGroupName"],
                    "LifecycleHookName": request.physical_id,
                },
            )
        except ResourceFailed as error:
            if "not found" not in str(error) and "No Lifecycle Hook" not in str(error):
                raise


class WarmPool(ResourceHandler):
    """An Auto Scaling group's warm pool, through PutWarmPool/DeleteWarmPool."""

    required = ("AutoScalingGroupName",)
    replace_on = frozenset({"AutoScalingGroupName"})

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"AutoScalingGroupName": properties["AutoScalingGroupName"]}
        for key in ("MinSize", "MaxGroupPreparedCapacity"):
            if properties.get(key) not in (None, ""):
                params[key] = int(properties[key])
        if properties.get("PoolState"):
            params["PoolState"] = properties["PoolState"]
        reuse = properties.get("InstanceReusePolicy")
        if reuse:
            params["InstanceReusePolicy"] = {"ReuseOnScaleIn": _bool(reuse.get("ReuseOnScaleIn", False))}
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = self._params(request.properties)
        await request.call("autoscaling", "PutWarmPool", params)
        return params["AutoScalingGroupName"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("autoscaling", "PutWarmPool", self._params(request.properties))
        return {}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        from overcast.services.cloudformation.handlers import ResourceGone

        try:
            found = await request.call(
                "autoscaling", "DescribeWarmPool", {"AutoScalingGroupName": request.physical_id}
            )
        except ResourceFailed as error:
            raise ResourceGone from error
        config = found.get("WarmPoolConfiguration")
        if not config:
            raise ResourceGone
        return {k: v for k, v in config.items() if k in ("MinSize", "MaxGroupPreparedCapacity", "PoolState")}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("autoscaling", "DeleteWarmPool", {"AutoScalingGroupName": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ValidationError":
                raise


HANDLERS = {
    "AWS::AutoScaling::AutoScalingGroup": AutoScalingGroup,
    "AWS::AutoScaling::LaunchConfiguration": LaunchConfiguration,
    "AWS::AutoScaling::ScalingPolicy": ScalingPolicy,
    "AWS::AutoScaling::ScheduledAction": ScheduledAction,
    "AWS::AutoScaling::LifecycleHook": LifecycleHook,
    "AWS::AutoScaling::WarmPool": WarmPool,
}

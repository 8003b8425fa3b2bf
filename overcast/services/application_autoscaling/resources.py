"""Application Auto Scaling's CloudFormation resource types:
AWS::ApplicationAutoScaling::ScalableTarget (its Ref is resourceId|scalableDimension|
serviceNamespace, as AWS's is) and AWS::ApplicationAutoScaling::ScalingPolicy."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import ResourceFailed, ResourceHandler, ResourceRequest

SERVICE = "application-autoscaling"


def _target_of(request: ResourceRequest, properties: dict[str, Any]) -> dict[str, str]:
    if properties.get("ScalingTargetId"):
        resource_id, dimension, namespace = str(properties["ScalingTargetId"]).split("|")
        return {"ResourceId": resource_id, "ScalableDimension": dimension, "ServiceNamespace": namespace}
    missing = [m for m in ("ResourceId", "ScalableDimension", "ServiceNamespace") if not properties.get(m)]
    if missing:
        raise ResourceFailed(
            "Either ScalingTargetId or ResourceId, ScalableDimension and ServiceNamespace are required"
        )
    return {m: properties[m] for m in ("ResourceId", "ScalableDimension", "ServiceNamespace")}


class ScalableTarget(ResourceHandler):
    replace_on = frozenset({"ResourceId", "ScalableDimension", "ServiceNamespace"})
    required = ("MaxCapacity", "MinCapacity", "ResourceId", "ScalableDimension", "ServiceNamespace")
    attributes = frozenset({"Id"})

    @staticmethod
    def _key(properties: dict[str, Any]) -> dict[str, str]:
        return {m: properties[m] for m in ("ResourceId", "ScalableDimension", "ServiceNamespace")}

    async def _put(self, request: ResourceRequest) -> None:
        properties = request.properties
        params: dict[str, Any] = {
            **self._key(properties),
            "MinCapacity": int(properties["MinCapacity"]),
            "MaxCapacity": int(properties["MaxCapacity"]),
        }
        if properties.get("RoleARN"):
            params["RoleARN"] = properties["RoleARN"]
        if properties.get("SuspendedState"):
            params["SuspendedState"] = {
                k: v is True or str(v).lower() == "true" for k, v in properties["SuspendedState"].items()
            }
        await request.call(SERVICE, "RegisterScalableTarget", params)
        old_names = {a["ScheduledActionName"] for a in request.old_properties.get("ScheduledActions") or []}
        new = properties.get("ScheduledActions") or []
        for name in old_names - {a["ScheduledActionName"] for a in new}:
            await request.call(
                SERVICE, "DeleteScheduledAction", {**self._key(properties), "ScheduledActionName": name}
            )
        for action in new:
            change = {
                k: int(v) for k, v in (action.get("ScalableTargetAction") or {}).items() if v is not None
            }
            spec: dict[str, Any] = {
                **self._key(properties),
                "ScheduledActionName": action["ScheduledActionName"],
                "Schedule": action["Schedule"],
                "ScalableTargetAction": change,
            }
            for member in ("StartTime", "EndTime", "Timezone"):
                if action.get(member):
                    spec[member] = action[member]
            await request.call(SERVICE, "PutScheduledAction", spec)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        key = self._key(request.properties)
        physical = f"{key['ResourceId']}|{key['ScalableDimension']}|{key['ServiceNamespace']}"
        return physical, {"Id": physical}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        resource_id, dimension, namespace = request.physical_id.split("|")
        try:
            await request.call(
                SERVICE,
                "DeregisterScalableTarget",
                {"ResourceId": resource_id, "ScalableDimension": dimension, "ServiceNamespace": namespace},
            )
        except ResourceFailed as error:
            if error.code != "ObjectNotFoundException":
                raise


class ScalingPolicy(ResourceHandler):
    replace_on = frozenset(
        {"PolicyName", "ResourceId", "ScalableDimension", "ServiceNamespace", "ScalingTargetId"}
    )
    required = ("PolicyName", "PolicyType")
    attributes = frozenset({"Arn"})

    @staticmethod
    def _params(request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            **_target_of(request, properties),
            "PolicyName": properties["PolicyName"],
            "PolicyType": properties["PolicyType"],
        }
        step = properties.get("StepScalingPolicyConfiguration")
        if step:
            step = dict(step)
            for member in ("Cooldown", "MinAdjustmentMagnitude"):
                if step.get(member) is not None:
                    step[member] = int(step[member])
            step["StepAdjustments"] = [
                {
                    **{k: float(v) for k, v in s.items() if k.startswith("MetricInterval")},
                    "ScalingAdjustment": int(s["ScalingAdjustment"]),
                }
                for s in step.get("StepAdjustments") or []
            ]
            params["StepScalingPolicyConfiguration"] = step
        tracking = properties.get("TargetTrackingScalingPolicyConfiguration")
        if tracking:
            tracking = dict(tracking)
            tracking["TargetValue"] = float(tracking["TargetValue"])
            for member in ("ScaleInCooldown", "ScaleOutCooldown"):
                if tracking.get(member) is not None:
                    tracking[member] = int(tracking[member])
            if tracking.get("DisableScaleIn") is not None:
                tracking["DisableScaleIn"] = str(tracking["DisableScaleIn"]).lower() == "true"
            params["TargetTrackingScalingPolicyConfiguration"] = tracking
        if properties.get("PredictiveScalingPolicyConfiguration"):
            params["PredictiveScalingPolicyConfiguration"] = properties[
                "PredictiveScalingPolicyConfiguration"
            ]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        out = await request.call(SERVICE, "PutScalingPolicy", self._params(request))
        return out["PolicyARN"], {"Arn": out["PolicyARN"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        out = await request.call(SERVICE, "PutScalingPolicy", self._params(request))
        return {"Arn": out["PolicyARN"]}

    async def delete(self, request: ResourceRequest) -> None:
        params = self._params(request)
        try:
            await request.call(
                SERVICE,
                "DeleteScalingPolicy",
                {k: params[k] for k in ("PolicyName", "ResourceId", "ScalableDimension", "ServiceNamespace")},
            )
        except ResourceFailed as error:
            if error.code != "ObjectNotFoundException":
                raise


HANDLERS = {
    "AWS::ApplicationAutoScaling::ScalableTarget": ScalableTarget,
    "AWS::ApplicationAutoScaling::ScalingPolicy": ScalingPolicy,
}

"""Operations on a group's instances (standby, detach, attach, health, protection, terminate),
its load balancer and traffic source attachments (stored: Elastic Load Balancing registers
the targets through Provider.group_targets), warm pools (stored) and instance refresh, which
replaces the instances that do not run the group's current launch template or configuration."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.autoscaling.common import COUNTED, now, stamp, validation

if TYPE_CHECKING:
    from overcast.services.autoscaling.provider import Provider

REFRESH_ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
REFRESH_FIELDS = (
    "InstanceRefreshId",
    "AutoScalingGroupName",
    "Status",
    "StatusReason",
    "StartTime",
    "EndTime",
    "PercentageComplete",
    "InstancesToUpdate",
    "ProgressDetails",
    "Preferences",
    "DesiredConfiguration",
    "RollbackDetails",
    "Strategy",
)


class InstancesMixin:
    def _members(self: Provider, group: dict[str, Any], ids: list[str]) -> list[dict[str, Any]]:  # type: ignore[misc]
        by_id = {
            m["InstanceId"]: m
            for m in group["Instances"]
            if m["LifecycleState"] not in ("Terminated", "Detached")
        }
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise validation(
                f"The instance {missing[0]} is not part of Auto Scaling group {group['AutoScalingGroupName']}."
            )
        return [by_id[i] for i in ids]

    def _find_member(self: Provider, scope: str, instance_id: str) -> tuple[dict[str, Any], dict[str, Any]]:  # type: ignore[misc]
        for _, group in self.groups.scan(scope):
            for member in group["Instances"]:
                if member["InstanceId"] == instance_id and member["LifecycleState"] not in (
                    "Terminated",
                    "Detached",
                ):
                    return group, member
        raise validation("The instance ID is invalid.")

    def enter_standby(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        activities = []
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            members = self._members(group, params.get("InstanceIds") or [])
            for member in members:
                if member["LifecycleState"] != "InService":
                    raise validation(f"The instance {member['InstanceId']} is not in InService state.")
            decrement = params["ShouldDecrementDesiredCapacity"]
            if decrement and group["DesiredCapacity"] - len(members) < group["MinSize"]:
                raise validation(
                    "Cannot move instances into standby: the desired capacity would fall below the group's min size."
                )
            old = group["DesiredCapacity"]
            for member in members:
                member["LifecycleState"] = "Standby"
                cause = f"At {stamp(now())} User moved instance {member['InstanceId']} to Standby"
                if decrement:
                    group["DesiredCapacity"] -= 1
                    cause += (
                        f" and the desired capacity was decreased, changing the desired capacity from "
                        f"{old} to {group['DesiredCapacity']}."
                    )
                    old = group["DesiredCapacity"]
                else:
                    cause += "."
                activities.append(
                    self.activity(
                        scope,
                        group,
                        f"Moving EC2 instance to Standby: {member['InstanceId']}",
                        cause,
                        status="Successful",
                    )
                )
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {"Activities": activities}

    def exit_standby(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        activities = []
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            members = self._members(group, params.get("InstanceIds") or [])
            for member in members:
                if member["LifecycleState"] != "Standby":
                    raise validation(f"The instance {member['InstanceId']} is not in Standby.")
            if group["DesiredCapacity"] + len(members) > group["MaxSize"]:
                raise validation(
                    "Cannot move instances out of standby: the desired capacity would exceed the group's max size."
                )
            for member in members:
                old = group["DesiredCapacity"]
                group["DesiredCapacity"] += 1
                member["LifecycleState"] = "InService"
                activities.append(
                    self.activity(
                        scope,
                        group,
                        f"Moving EC2 instance out of Standby: {member['InstanceId']}",
                        f"At {stamp(now())} User moved instance {member['InstanceId']} out of Standby and the "
                        f"desired capacity was increased, changing the desired capacity from {old} to "
                        f"{group['DesiredCapacity']}.",
                    )
                )
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {"Activities": activities}

    def detach_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        activities = []
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            members = self._members(group, params.get("InstanceIds") or [])
            decrement = params["ShouldDecrementDesiredCapacity"]
            if decrement and group["DesiredCapacity"] - len(members) < group["MinSize"]:
                raise validation(
                    f"Cannot decrement desired capacity below the group's min size of {group['MinSize']}."
                )
            for member in members:
                old = group["DesiredCapacity"]
                cause = f"At {stamp(now())} an instance was detached in response to a user request"
                if decrement:
                    group["DesiredCapacity"] -= 1
                    cause += f", shrinking the capacity from {old} to {group['DesiredCapacity']}."
                else:
                    cause += f", keeping the capacity at the new {old}."
                member["LifecycleState"] = "Detached"
                activities.append(
                    self.activity(scope, group, f"Detaching EC2 instance: {member['InstanceId']}", cause)
                )
            group["Instances"] = [m for m in group["Instances"] if m["LifecycleState"] != "Detached"]
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {"Activities": activities}

    def attach_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        ids = params.get("InstanceIds") or []
        ec2 = self.runtime.provider("ec2")
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            if group["DesiredCapacity"] + len(ids) > group["MaxSize"]:
                raise validation(
                    f"Desired capacity:{group['DesiredCapacity'] + len(ids)} must be between the specified min "
                    f"size:{group['MinSize']} and max size:{group['MaxSize']}"
                )
            for instance_id in ids:
                for _, other in self.groups.scan(scope):
                    if any(m["InstanceId"] == instance_id for m in other["Instances"]):
                        raise validation(
                            f"The instance {instance_id} is already part of the Auto Scaling group {other['AutoScalingGroupName']}."
                        )
                instance = ec2.find_instance(context.account, context.region, instance_id)
                if instance is None or instance["State"]["Name"] != "running":
                    raise validation(
                        f"Instance {instance_id} is not in correct state. Instance should be in running state."
                    )
                zone = instance["Placement"]["AvailabilityZone"]
                if zone not in group["AvailabilityZones"]:
                    raise validation(
                        f"Instance {instance_id} is in availability zone {zone}, which is not among the group's zones."
                    )
                group["DesiredCapacity"] += 1
                member = {
                    "InstanceId": instance_id,
                    "InstanceType": instance["InstanceType"],
                    "AvailabilityZone": zone,
                    "LifecycleState": "InService",
                    "HealthStatus": "Healthy",
                    "ProtectedFromScaleIn": bool(group.get("NewInstancesProtectedFromScaleIn")),
                    "_launched": now(),
                }
                group["Instances"].append(member)
                ec2.tag_as_system(
                    context.account,
                    context.region,
                    instance_id,
                    [{"Key": "aws:autoscaling:groupName", "Value": group["AutoScalingGroupName"]}],
                )
                self.activity(
                    scope,
                    group,
                    f"Attaching an existing EC2 instance: {instance_id}",
                    f"At {stamp(now())} an instance was added in response to user request. Keeping the capacity "
                    f"at the new {group['DesiredCapacity']}.",
                )
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def set_instance_health(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        status = params["HealthStatus"]
        if status not in ("Healthy", "Unhealthy"):
            raise validation(
                f"Valid instance health states are: [Healthy, Unhealthy]. {status} is not valid."
            )
        with self.lock:
            group, member = self._find_member(scope, params["InstanceId"])
            if (
                status == "Unhealthy"
                and params.get("ShouldRespectGracePeriod", True)
                and now() - member.get("_launched", 0) < (group.get("HealthCheckGracePeriod") or 0)
            ):
                return {}  # inside the grace period: Auto Scaling ignores the report
            member["HealthStatus"] = status
            if status == "Unhealthy":
                member["_unhealthy_cause"] = (
                    "an instance was taken out of service in response to a user health-check."
                )
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {}

    def set_instance_protection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            for member in self._members(group, params["InstanceIds"]):
                member["ProtectedFromScaleIn"] = bool(params["ProtectedFromScaleIn"])
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def terminate_instance_in_auto_scaling_group(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        scope = self.scope_of(context)
        single = params.get("InstanceId")
        many = params.get("InstanceIds") or []
        if bool(single) == bool(many):
            raise validation("Specify either InstanceId, or InstanceIds with AutoScalingGroupName.")
        if many and not params.get("AutoScalingGroupName"):
            raise validation("AutoScalingGroupName is required with InstanceIds.")
        activities = []
        with self.lock:
            if single:
                group, member = self._find_member(scope, single)
                members = [member]
            else:
                group = self.group(scope, params["AutoScalingGroupName"])
                members = self._members(group, many)
            decrement = params["ShouldDecrementDesiredCapacity"]
            if decrement and group["DesiredCapacity"] - len(members) < group["MinSize"]:
                raise validation(
                    f"Currently, desiredSize equals minSize ({group['MinSize']}). Terminating instance without "
                    "replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity "
                    "flag to false or lower group's min size."
                )
            account, region = scope.split("/")
            for member in members:
                old = group["DesiredCapacity"]
                cause = (
                    f"At {stamp(now())} instance {member['InstanceId']} was taken out of service in response "
                    "to a user request"
                )
                if decrement:
                    group["DesiredCapacity"] -= 1
                    cause += f", shrinking the capacity from {old} to {group['DesiredCapacity']}."
                else:
                    cause += "."
                self.begin_termination(scope, account, region, group, member, cause)
                latest = next(
                    self.activities.scan(scope, prefix=f"{group['AutoScalingGroupName']}\x1f", limit=1), None
                )
                if member.get("_wait") or latest is None:
                    activities.append(
                        self.activity(
                            scope,
                            group,
                            f"Terminating EC2 instance: {member['InstanceId']}",
                            cause,
                            status="InProgress",
                        )
                    )
                else:
                    activities.append(latest[1])
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {"Activity": activities[0]} if single else {"Activities": activities}

    # -- load balancers and traffic sources --------------------------------------------------------

    def _attach(  # type: ignore[misc]
        self: Provider, context: RequestContext, name: str, member: str, values: list[Any], attach: bool
    ) -> None:
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, name)
            current = list(group.get(member) or [])
            for value in values:
                if attach and value not in current:
                    current.append(value)
                elif not attach and value in current:
                    current.remove(value)
            group[member] = current
            self.groups.put(scope, name, group)

    def attach_load_balancer_target_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._attach(
            context, params["AutoScalingGroupName"], "TargetGroupARNs", params["TargetGroupARNs"], True
        )
        return {}

    def detach_load_balancer_target_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._attach(
            context, params["AutoScalingGroupName"], "TargetGroupARNs", params["TargetGroupARNs"], False
        )
        return {}

    def describe_load_balancer_target_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        group = self.group(self.scope_of(context), params["AutoScalingGroupName"])
        found = [
            {"LoadBalancerTargetGroupARN": a, "State": "Added"} for a in group.get("TargetGroupARNs") or []
        ]
        return self.page("DescribeLoadBalancerTargetGroups", params, found, limit=100)

    def attach_load_balancers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._attach(
            context, params["AutoScalingGroupName"], "LoadBalancerNames", params["LoadBalancerNames"], True
        )
        return {}

    def detach_load_balancers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._attach(
            context, params["AutoScalingGroupName"], "LoadBalancerNames", params["LoadBalancerNames"], False
        )
        return {}

    def describe_load_balancers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        group = self.group(self.scope_of(context), params["AutoScalingGroupName"])
        found = [{"LoadBalancerName": n, "State": "Added"} for n in group.get("LoadBalancerNames") or []]
        return self.page("DescribeLoadBalancers", params, found, limit=100)

    def attach_traffic_sources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._attach(
            context, params["AutoScalingGroupName"], "TrafficSources", params["TrafficSources"], True
        )
        return {}

    def detach_traffic_sources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._attach(
            context, params["AutoScalingGroupName"], "TrafficSources", params["TrafficSources"], False
        )
        return {}

    def describe_traffic_sources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        group = self.group(self.scope_of(context), params["AutoScalingGroupName"])
        kind = params.get("TrafficSourceType")
        found = [
            {
                "TrafficSource": s["Identifier"],
                "State": "Added",
                "Identifier": s["Identifier"],
                **({"Type": s["Type"]} if s.get("Type") else {}),
            }
            for s in group.get("TrafficSources") or []
            if not kind or s.get("Type") == kind
        ]
        items = (
            found[int(params.get("NextToken") or 0) :] if params.get("NextToken", "0").isdigit() else found
        )
        limit = params.get("MaxRecords") or 50
        out: dict[str, Any] = {"TrafficSources": items[:limit]}
        if len(items) > limit:
            out["NextToken"] = str(int(params.get("NextToken") or 0) + limit)
        return out

    # -- warm pools ----------------------------------------------------------------------------------

    def put_warm_pool(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        state = params.get("PoolState") or "Stopped"
        if state not in ("Stopped", "Running", "Hibernated"):
            raise validation(f"Invalid pool state: {state}")
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            config: dict[str, Any] = {"PoolState": state, "MinSize": params.get("MinSize") or 0}
            if params.get("MaxGroupPreparedCapacity") is not None:
                config["MaxGroupPreparedCapacity"] = params["MaxGroupPreparedCapacity"]
            if params.get("InstanceReusePolicy") is not None:
                config["InstanceReusePolicy"] = params["InstanceReusePolicy"]
            group["WarmPoolConfiguration"] = config
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def describe_warm_pool(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        group = self.group(self.scope_of(context), params["AutoScalingGroupName"])
        out = self.page("DescribeWarmPool", params, [])
        if group.get("WarmPoolConfiguration"):
            out["WarmPoolConfiguration"] = group["WarmPoolConfiguration"]
        return out

    def delete_warm_pool(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            if not group.get("WarmPoolConfiguration"):
                raise validation(
                    f"No warm pool found for Auto Scaling group {group['AutoScalingGroupName']}."
                )
            del group["WarmPoolConfiguration"]
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    # -- instance refresh ----------------------------------------------------------------------------

    def start_instance_refresh(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            refreshes = group.setdefault("_refreshes", [])
            if any(r["Status"] in REFRESH_ACTIVE for r in refreshes):
                raise ServiceError(
                    "InstanceRefreshInProgress",
                    "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.",
                )
            desired = params.get("DesiredConfiguration") or {}
            previous = {
                k: group[k]
                for k in ("LaunchTemplate", "LaunchConfigurationName", "MixedInstancesPolicy")
                if k in group
            }
            if desired.get("LaunchTemplate"):
                group.pop("LaunchConfigurationName", None)
                group["LaunchTemplate"] = self.resolve_template(context, desired["LaunchTemplate"])
            preferences = {
                "MinHealthyPercentage": 90,
                "InstanceWarmup": group.get("DefaultInstanceWarmup") or 0,
                "SkipMatching": False,
                "AutoRollback": False,
                "ScaleInProtectedInstances": "Ignore",
                "StandbyInstances": "Ignore",
                **(params.get("Preferences") or {}),
            }
            stale = [
                m["InstanceId"]
                for m in group["Instances"]
                if m["LifecycleState"] in COUNTED
                and not (preferences["SkipMatching"] and self.current_launch(group, m))
            ]
            refresh = {
                "InstanceRefreshId": str(uuid.uuid4()),
                "AutoScalingGroupName": group["AutoScalingGroupName"],
                "Status": "InProgress",
                "StatusReason": "Waiting for instances to warm up before continuing.",
                "StartTime": now(),
                "PercentageComplete": 0,
                "InstancesToUpdate": len(stale),
                "Preferences": preferences,
                "Strategy": params.get("Strategy") or "Rolling",
                "_stale": stale,
                "_total": len(stale),
                "_previous": previous,
            }
            if desired:
                refresh["DesiredConfiguration"] = desired
            refreshes.insert(0, refresh)
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {"InstanceRefreshId": refresh["InstanceRefreshId"]}

    def advance_refresh(self: Provider, scope: str, account: str, region: str, group: dict[str, Any]) -> None:  # type: ignore[misc]
        """One step of a group's active refresh: once every instance is in service, replace the
        next stale one (AWS replaces a batch bounded by MinHealthyPercentage)."""
        refreshes = group.get("_refreshes") or []
        refresh = next((r for r in refreshes if r["Status"] in ("InProgress", "RollbackInProgress")), None)
        if refresh is None:
            return
        members = {m["InstanceId"]: m for m in group["Instances"]}
        refresh["_stale"] = [
            i for i in refresh["_stale"] if i in members and members[i]["LifecycleState"] in COUNTED
        ]
        settled = all(
            m["LifecycleState"] == "InService" for m in group["Instances"] if m["LifecycleState"] in COUNTED
        )
        done = refresh["_total"] - len(refresh["_stale"])
        refresh["PercentageComplete"] = int(100 * done / refresh["_total"]) if refresh["_total"] else 100
        refresh["InstancesToUpdate"] = len(refresh["_stale"])
        if (
            not settled
            or len([m for m in group["Instances"] if m["LifecycleState"] in COUNTED])
            < group["DesiredCapacity"]
        ):
            return
        if not refresh["_stale"]:
            refresh["Status"] = "Successful" if refresh["Status"] == "InProgress" else "RollbackSuccessful"
            refresh["StatusReason"] = ""
            refresh["EndTime"] = now()
            refresh["PercentageComplete"] = 100
            return
        healthy_floor = (
            group["DesiredCapacity"] * refresh["Preferences"].get("MinHealthyPercentage", 90) / 100
        )
        batch = max(1, int(group["DesiredCapacity"] - healthy_floor))
        for instance_id in refresh["_stale"][:batch]:
            member = members[instance_id]
            self.begin_termination(
                scope,
                account,
                region,
                group,
                member,
                f"At {stamp(now())} an instance was taken out of service in response to an instance refresh.  "
                f"At {stamp(now())} instance {instance_id} was selected for termination.",
            )

    def cancel_instance_refresh(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            refresh = next((r for r in group.get("_refreshes") or [] if r["Status"] in REFRESH_ACTIVE), None)
            if refresh is None:
                raise ServiceError(
                    "ActiveInstanceRefreshNotFound",
                    "No in progress or pending Instance Refresh found for Auto Scaling group "
                    + group["AutoScalingGroupName"],
                )
            refresh["Status"] = "Cancelled"
            refresh["EndTime"] = now()
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {"InstanceRefreshId": refresh["InstanceRefreshId"]}

    def rollback_instance_refresh(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            refresh = next((r for r in group.get("_refreshes") or [] if r["Status"] in REFRESH_ACTIVE), None)
            if refresh is None:
                raise ServiceError(
                    "ActiveInstanceRefreshNotFound",
                    "No in progress or pending Instance Refresh found for Auto Scaling group "
                    + group["AutoScalingGroupName"],
                )
            if not refresh.get("DesiredConfiguration"):
                raise ServiceError(
                    "IrreversibleInstanceRefresh",
                    "The instance refresh cannot be rolled back because it was started without a desired configuration.",
                )
            for key in ("LaunchTemplate", "LaunchConfigurationName", "MixedInstancesPolicy"):
                group.pop(key, None)
            group.update(refresh["_previous"])
            refresh["Status"] = "RollbackInProgress"
            refresh["RollbackDetails"] = {
                "RollbackReason": "Rollback requested by user.",
                "RollbackStartTime": now(),
                "PercentageCompleteOnRollback": refresh["PercentageComplete"],
                "InstancesToUpdateOnRollback": refresh["_total"] - len(refresh["_stale"]),
            }
            replaced = [
                m["InstanceId"]
                for m in group["Instances"]
                if m["LifecycleState"] in COUNTED and not self.current_launch(group, m)
            ]
            refresh["_stale"], refresh["_total"] = replaced, len(replaced)
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {"InstanceRefreshId": refresh["InstanceRefreshId"]}

    def describe_instance_refreshes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        group = self.group(self.scope_of(context), params["AutoScalingGroupName"])
        ids = params.get("InstanceRefreshIds") or []
        found = [
            {k: r[k] for k in REFRESH_FIELDS if k in r}
            for r in group.get("_refreshes") or []
            if not ids or r["InstanceRefreshId"] in ids
        ]
        start = int(params["NextToken"]) if (params.get("NextToken") or "").isdigit() else 0
        limit = params.get("MaxRecords") or 50
        out: dict[str, Any] = {"InstanceRefreshes": found[start : start + limit]}
        if len(found) > start + limit:
            out["NextToken"] = str(start + limit)
        return out

    def launch_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Launch RequestedCapacity instances now, raising the desired capacity by as many."""
        scope = self.scope_of(context)
        requested = params["RequestedCapacity"]
        if requested < 1:
            raise validation("RequestedCapacity must be at least 1.")
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            tokens = group.setdefault("_launch_tokens", {})
            if params["ClientToken"] in tokens:
                return tokens[params["ClientToken"]]
            if group["DesiredCapacity"] + requested > group["MaxSize"]:
                raise validation(
                    f"Desired capacity:{group['DesiredCapacity'] + requested} must be between the specified min "
                    f"size:{group['MinSize']} and max size:{group['MaxSize']}"
                )
            old = group["DesiredCapacity"]
            before = {m["InstanceId"] for m in group["Instances"]}
            errors: list[dict[str, Any]] = []
            cause = (
                f"At {stamp(now())} a user request launched instances changing the desired capacity from "
                f"{old} to {old + requested}."
            )
            account, region = scope.split("/")
            for _ in range(requested):
                if not self.launch_one(scope, account, region, group, cause):
                    latest = next(
                        self.activities.scan(scope, prefix=f"{group['AutoScalingGroupName']}\x1f", limit=1)
                    )
                    errors.append(
                        {"ErrorCode": "LaunchFailed", "ErrorMessage": latest[1].get("StatusMessage", "")}
                    )
                    break
                group["DesiredCapacity"] += 1
            launched: dict[tuple[str, str], list[str]] = {}
            subnet_of = {zone: subnet for subnet, zone in (group.get("_subnet_zones") or {}).items()}
            for member in group["Instances"]:
                if member["InstanceId"] not in before:
                    launched.setdefault((member["InstanceType"], member["AvailabilityZone"]), []).append(
                        member["InstanceId"]
                    )
            out = {
                "AutoScalingGroupName": group["AutoScalingGroupName"],
                "ClientToken": params["ClientToken"],
                "Instances": [
                    {
                        "InstanceType": kind,
                        "MarketType": "on-demand",
                        "AvailabilityZone": zone,
                        **({"SubnetId": subnet_of[zone]} if zone in subnet_of else {}),
                        "InstanceIds": ids,
                    }
                    for (kind, zone), ids in launched.items()
                ],
                "Errors": errors,
            }
            tokens[params["ClientToken"]] = out
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return out

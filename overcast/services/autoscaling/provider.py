"""Amazon EC2 Auto Scaling: launch configurations, groups over launch templates or launch
configurations that keep their desired capacity by launching and terminating EC2 instances
(fleet.py), scaling policies run by ExecutePolicy and CloudWatch alarms (policies.py),
scheduled actions that fire (scheduled.py), lifecycle hooks (hooks.py), instance refresh,
warm pools, standby / detach / attach, suspended processes, tags, activity history.

Tables, by account/region: "groups" (by name; a group holds its instances, hooks,
notification configurations, warm pool and instance refreshes), "launch_configurations",
"policies" and "scheduled" (by group\\x1fname), "activities" (by group, newest first),
"settings"."""

from __future__ import annotations

import threading
from typing import Any

from overcast.common import pagination
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.autoscaling.common import (
    COUNTED,
    SEP,
    TERMINATION_POLICIES,
    already_exists,
    arn,
    group_not_found,
    in_use,
    now,
    stamp,
    validation,
)
from overcast.services.autoscaling.fleet import FleetMixin, capacity
from overcast.services.autoscaling.hooks import HooksMixin
from overcast.services.autoscaling.instances import InstancesMixin
from overcast.services.autoscaling.policies import PoliciesMixin
from overcast.services.autoscaling.scheduled import ScheduledMixin
from overcast.services.autoscaling.settings import MAX_CONFIGS, MAX_GROUPS, SettingsMixin
from overcast.services.base import BaseProvider
from overcast.store import scope as store_scope

GROUP_FIELDS = (
    "AutoScalingGroupName",
    "AutoScalingGroupARN",
    "LaunchConfigurationName",
    "LaunchTemplate",
    "MixedInstancesPolicy",
    "MinSize",
    "MaxSize",
    "DesiredCapacity",
    "DefaultCooldown",
    "AvailabilityZones",
    "LoadBalancerNames",
    "TargetGroupARNs",
    "HealthCheckType",
    "HealthCheckGracePeriod",
    "CreatedTime",
    "SuspendedProcesses",
    "PlacementGroup",
    "VPCZoneIdentifier",
    "EnabledMetrics",
    "Status",
    "Tags",
    "TerminationPolicies",
    "NewInstancesProtectedFromScaleIn",
    "ServiceLinkedRoleARN",
    "MaxInstanceLifetime",
    "CapacityRebalance",
    "WarmPoolConfiguration",
    "Context",
    "DesiredCapacityType",
    "DefaultInstanceWarmup",
    "TrafficSources",
    "InstanceMaintenancePolicy",
    "DeletionProtection",
    "AvailabilityZoneDistribution",
    "AvailabilityZoneImpairmentPolicy",
    "CapacityReservationSpecification",
    "InstanceLifecyclePolicy",
)
#: CreateAutoScalingGroup / UpdateAutoScalingGroup members stored as given.
PLAIN = (
    "MixedInstancesPolicy",
    "DefaultCooldown",
    "HealthCheckType",
    "HealthCheckGracePeriod",
    "PlacementGroup",
    "TerminationPolicies",
    "NewInstancesProtectedFromScaleIn",
    "ServiceLinkedRoleARN",
    "MaxInstanceLifetime",
    "CapacityRebalance",
    "Context",
    "DesiredCapacityType",
    "DefaultInstanceWarmup",
    "InstanceMaintenancePolicy",
    "DeletionProtection",
    "AvailabilityZoneDistribution",
    "AvailabilityZoneImpairmentPolicy",
    "CapacityReservationSpecification",
    "InstanceLifecyclePolicy",
)
MEMBER_FIELDS = (
    "InstanceId",
    "InstanceType",
    "AvailabilityZone",
    "LifecycleState",
    "HealthStatus",
    "LaunchConfigurationName",
    "LaunchTemplate",
    "ProtectedFromScaleIn",
    "WeightedCapacity",
)
CONFIG_FIELDS = (
    "LaunchConfigurationName",
    "LaunchConfigurationARN",
    "ImageId",
    "KeyName",
    "SecurityGroups",
    "ClassicLinkVPCId",
    "ClassicLinkVPCSecurityGroups",
    "UserData",
    "InstanceType",
    "KernelId",
    "RamdiskId",
    "BlockDeviceMappings",
    "InstanceMonitoring",
    "SpotPrice",
    "IamInstanceProfile",
    "CreatedTime",
    "EbsOptimized",
    "AssociatePublicIpAddress",
    "PlacementTenancy",
    "MetadataOptions",
)


class Provider(
    SettingsMixin, InstancesMixin, HooksMixin, ScheduledMixin, PoliciesMixin, FleetMixin, BaseProvider
):
    service = "autoscaling"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.groups = self.store.table("autoscaling", "groups")
        self.configs = self.store.table("autoscaling", "launch_configurations")
        self.policies = self.store.table("autoscaling", "policies")
        self.scheduled = self.store.table("autoscaling", "scheduled")
        self.activities = self.store.table("autoscaling", "activities")
        self.settings = self.store.table("autoscaling", "settings")
        self.lock = threading.RLock()

    def start(self) -> None:
        self.arm_all()
        if any(True for scope in self.groups.scopes() for _ in self.groups.scan(scope, limit=1)):
            self.schedule_reconcile()

    def state_replaced(self) -> None:
        self.runtime.scheduler.cancel_prefix("autoscaling/")
        self.arm_all()
        self.schedule_reconcile()

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def page(self, operation: str, params: dict[str, Any], items: list[Any], limit: int = 50) -> dict:
        return pagination.paginate_list(
            self.store,
            "autoscaling",
            operation,
            params,
            items,
            bad_token=lambda: ServiceError("InvalidNextToken", "The token provided is not valid."),
            default_limit=limit,
        )

    def group(self, scope: str, name: str) -> dict[str, Any]:
        group = self.groups.get(scope, name) if name and not name.startswith("arn:") else None
        if group is None and name.startswith("arn:"):
            found = [g for _, g in self.groups.scan(scope) if g["AutoScalingGroupARN"] == name]
            group = found[0] if found else None
        if group is None:
            raise group_not_found(name)
        return group

    @staticmethod
    def suspended(group: dict[str, Any]) -> set[str]:
        return {p["ProcessName"] for p in group.get("SuspendedProcesses") or []}

    def show_group(self, group: dict[str, Any]) -> dict[str, Any]:
        out = {k: group[k] for k in GROUP_FIELDS if k in group}
        out["Instances"] = [
            {k: m[k] for k in MEMBER_FIELDS if k in m}
            for m in group["Instances"]
            if m["LifecycleState"] not in ("Detached", "Terminated")
        ]
        if group.get("WarmPoolConfiguration"):
            out["WarmPoolSize"] = 0
        return out

    # -- for other services ---------------------------------------------------------------------

    def group_targets(self, account: str, region: str, name: str) -> dict[str, Any] | None:
        """A group's load balancer attachments and in-service instances, for Elastic Load
        Balancing to register as targets: TargetGroupARNs, LoadBalancerNames, InstanceIds."""
        group = self.groups.get(store_scope(account, region), name)
        if group is None:
            return None
        return {
            "TargetGroupARNs": list(group.get("TargetGroupARNs") or []),
            "LoadBalancerNames": list(group.get("LoadBalancerNames") or []),
            "InstanceIds": [
                m["InstanceId"] for m in group["Instances"] if m["LifecycleState"] == "InService"
            ],
        }

    # -- launch configurations ------------------------------------------------------------------

    def create_launch_configuration(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["LaunchConfigurationName"]
        if self.configs.get(scope, name) is not None:
            raise already_exists(
                f"Launch Configuration by this name already exists - A launch configuration already exists with the name {name}"
            )
        if self.configs.count(scope) >= MAX_CONFIGS:
            raise ServiceError(
                "LimitExceeded", f"Max number of launch configurations reached ({MAX_CONFIGS})"
            )
        config: dict[str, Any] = {k: params[k] for k in CONFIG_FIELDS if params.get(k) is not None}
        ec2 = self.runtime.provider("ec2")
        internal = RequestContext.internal("autoscaling", context.account, context.region)
        if params.get("InstanceId"):
            instance = ec2.find_instance(context.account, context.region, params["InstanceId"])
            if instance is None:
                raise validation(f"Invalid instance id: {params['InstanceId']}")
            config.setdefault("ImageId", instance["ImageId"])
            config.setdefault("InstanceType", instance["InstanceType"])
            if instance.get("KeyName"):
                config.setdefault("KeyName", instance["KeyName"])
            config.setdefault("SecurityGroups", [g["GroupId"] for g in instance.get("SecurityGroups") or []])
        if not config.get("ImageId"):
            raise validation("ImageId is required when InstanceId is not specified.")
        if not config.get("InstanceType"):
            raise validation("InstanceType is required when InstanceId is not specified.")
        try:
            ec2.describe_images(internal, {"ImageIds": [config["ImageId"]]})
        except ServiceError:
            raise validation(
                f"AMI {config['ImageId']} is invalid: The image id '[{config['ImageId']}]' does not exist"
            ) from None
        config.setdefault("SecurityGroups", [])
        config.setdefault("ClassicLinkVPCSecurityGroups", [])
        config.setdefault("BlockDeviceMappings", [])
        config.setdefault("KeyName", "")
        config.setdefault("UserData", "")
        config.setdefault("KernelId", "")
        config.setdefault("RamdiskId", "")
        config.setdefault("InstanceMonitoring", {"Enabled": True})
        config.setdefault("EbsOptimized", False)
        config["LaunchConfigurationName"] = name
        config["LaunchConfigurationARN"] = arn(
            context.region, context.account, "launchConfiguration", f"launchConfigurationName/{name}"
        )
        config["CreatedTime"] = now()
        self.configs.put(scope, name, config)
        return {}

    def describe_launch_configurations(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        names = params.get("LaunchConfigurationNames") or []
        found = [
            {k: c[k] for k in CONFIG_FIELDS if k in c}
            for n, c in self.configs.scan(scope)
            if not names or n in names
        ]
        return self.page("DescribeLaunchConfigurations", params, found)

    def delete_launch_configuration(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["LaunchConfigurationName"]
        if self.configs.get(scope, name) is None:
            raise validation(f"Launch configuration name not found - Launch configuration {name} not found")
        for group_name, group in self.groups.scan(scope):
            if group.get("LaunchConfigurationName") == name:
                raise in_use(
                    f"Cannot delete launch configuration {name} because it is attached to AutoScalingGroup {group_name}"
                )
        self.configs.delete(scope, name)
        return {}

    # -- groups ---------------------------------------------------------------------------------

    def _launch_source(self, context: RequestContext, params: dict, group: dict[str, Any]) -> None:
        """Check and take the group's LaunchConfigurationName / LaunchTemplate / MixedInstancesPolicy."""
        scope = self.scope_of(context)
        given = [
            m for m in ("LaunchConfigurationName", "LaunchTemplate", "MixedInstancesPolicy") if params.get(m)
        ]
        if len(given) > 1:
            raise validation(
                "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter."
            )
        if not given:
            return
        source = given[0]
        if source == "LaunchConfigurationName":
            name = params["LaunchConfigurationName"]
            if self.configs.get(scope, name) is None:
                raise validation(
                    f"Launch configuration name not found - Launch configuration {name} not found"
                )
            group.pop("LaunchTemplate", None)
            group.pop("MixedInstancesPolicy", None)
            group["LaunchConfigurationName"] = name
            return
        spec = (
            params["LaunchTemplate"]
            if source == "LaunchTemplate"
            else (params["MixedInstancesPolicy"].get("LaunchTemplate") or {}).get(
                "LaunchTemplateSpecification"
            )
        )
        if not spec:
            raise validation("A launch template specification is required in MixedInstancesPolicy.")
        resolved = self.resolve_template(context, spec)
        group.pop("LaunchConfigurationName", None)
        if source == "LaunchTemplate":
            group.pop("MixedInstancesPolicy", None)
            group["LaunchTemplate"] = resolved
        else:
            group.pop("LaunchTemplate", None)
            policy = params["MixedInstancesPolicy"]
            policy["LaunchTemplate"]["LaunchTemplateSpecification"] = resolved
            policy["LaunchTemplate"].setdefault("Overrides", [])
            policy.setdefault(
                "InstancesDistribution",
                {
                    "OnDemandAllocationStrategy": "prioritized",
                    "OnDemandBaseCapacity": 0,
                    "OnDemandPercentageAboveBaseCapacity": 100,
                    "SpotAllocationStrategy": "lowest-price",
                    "SpotInstancePools": 2,
                },
            )
            group["MixedInstancesPolicy"] = policy

    def resolve_template(self, context: RequestContext, spec: dict[str, Any]) -> dict[str, Any]:
        template_id, name = spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName")
        if bool(template_id) == bool(name):
            raise validation("Valid requests must contain either launchTemplateId or LaunchTemplateName")
        ec2 = self.runtime.provider("ec2")
        internal = RequestContext.internal("autoscaling", context.account, context.region)
        try:
            found = ec2.describe_launch_templates(
                internal,
                {"LaunchTemplateIds": [template_id]} if template_id else {"LaunchTemplateNames": [name]},
            )["LaunchTemplates"]
        except ServiceError:
            found = []
        if not found:
            raise validation(
                "You must use a valid fully-formed launch template. The specified launch template, with "
                + (f"template ID {template_id}" if template_id else f"template name {name}")
                + ", does not exist."
            )
        template = found[0]
        version = str(spec.get("Version") or "$Default")
        if version not in ("$Latest", "$Default"):
            try:
                ec2.describe_launch_template_versions(
                    internal, {"LaunchTemplateId": template["LaunchTemplateId"], "Versions": [version]}
                )
            except ServiceError:
                raise validation(
                    "You must use a valid fully-formed launch template. The specified launch template version "
                    f"{version} does not exist."
                ) from None
        resolved = {
            "LaunchTemplateId": template["LaunchTemplateId"],
            "LaunchTemplateName": template["LaunchTemplateName"],
        }
        if spec.get("Version"):  # a group given no version shows none (and launches $Default)
            resolved["Version"] = version
        return resolved

    def _zones(self, context: RequestContext, params: dict, group: dict[str, Any]) -> None:
        subnets_text = params.get("VPCZoneIdentifier")
        if subnets_text:
            ec2 = self.runtime.provider("ec2")
            zones: dict[str, str] = {}
            vpcs = set()
            for subnet_id in [s.strip() for s in subnets_text.split(",") if s.strip()]:
                subnet = ec2.find_subnet(context.account, context.region, subnet_id)
                if subnet is None:
                    raise validation(f"The subnet ID '{subnet_id}' does not exist")
                zones[subnet_id] = subnet["AvailabilityZone"]
                vpcs.add(subnet["VpcId"])
            if len(vpcs) > 1:
                raise validation("The subnets specified must all belong to the same VPC.")
            group["VPCZoneIdentifier"] = ",".join(zones)
            group["_subnet_zones"] = zones
            group["AvailabilityZones"] = sorted(set(zones.values()))
        elif params.get("AvailabilityZones"):
            valid = self.region_zones(context)
            for zone in params["AvailabilityZones"]:
                if zone not in valid:
                    raise validation(f"The availability zone {zone} is not legally formatted")
            group["AvailabilityZones"] = list(params["AvailabilityZones"])
            group["VPCZoneIdentifier"] = ""
            group.pop("_subnet_zones", None)

    def region_zones(self, context: RequestContext) -> set[str]:
        ec2 = self.runtime.provider("ec2")
        internal = RequestContext.internal("autoscaling", context.account, context.region)
        zones = ec2.describe_availability_zones(internal, {})["AvailabilityZones"]
        return {z["ZoneName"] for z in zones}

    @staticmethod
    def _bounds(group: dict[str, Any]) -> None:
        low, high, desired = group["MinSize"], group["MaxSize"], group["DesiredCapacity"]
        if high < low:
            raise validation(f"Max bound, {high}, must be greater than or equal to min bound, {low}")
        if not low <= desired <= high:
            raise validation(
                f"Desired capacity:{desired} must be between the specified min size:{low} and max size:{high}"
            )

    def create_auto_scaling_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["AutoScalingGroupName"]
        with self.lock:
            if self.groups.get(scope, name) is not None:
                raise already_exists(
                    f"AutoScalingGroup by this name already exists - A group with the name {name} already exists"
                )
            if self.groups.count(scope) >= MAX_GROUPS:
                raise ServiceError(
                    "LimitExceeded", f"Max number of Auto Scaling groups reached ({MAX_GROUPS})"
                )
            group: dict[str, Any] = {
                "AutoScalingGroupName": name,
                "AutoScalingGroupARN": arn(
                    context.region, context.account, "autoScalingGroup", f"autoScalingGroupName/{name}"
                ),
                "MinSize": params["MinSize"],
                "MaxSize": params["MaxSize"],
                "DesiredCapacity": params.get("DesiredCapacity", params["MinSize"]),
                "DefaultCooldown": 300,
                "AvailabilityZones": [],
                "LoadBalancerNames": list(params.get("LoadBalancerNames") or []),
                "TargetGroupARNs": list(params.get("TargetGroupARNs") or []),
                "TrafficSources": list(params.get("TrafficSources") or []),
                "HealthCheckType": "EC2",
                "HealthCheckGracePeriod": 0,
                "CreatedTime": now(),
                "SuspendedProcesses": [],
                "VPCZoneIdentifier": "",
                "EnabledMetrics": [],
                "Tags": [],
                "TerminationPolicies": ["Default"],
                "NewInstancesProtectedFromScaleIn": False,
                "ServiceLinkedRoleARN": (
                    f"arn:aws:iam::{context.account}:role/aws-service-role/autoscaling.amazonaws.com/"
                    "AWSServiceRoleForAutoScaling"
                ),
                "CapacityRebalance": False,
                "Instances": [],
            }
            for member in PLAIN:
                if params.get(member) is not None:
                    group[member] = params[member]
            for policy in group["TerminationPolicies"]:
                if policy not in TERMINATION_POLICIES and not policy.startswith("arn:"):
                    raise validation(f"Invalid termination policy: {policy}")
            if params.get("InstanceId"):
                if any(
                    params.get(m)
                    for m in ("LaunchConfigurationName", "LaunchTemplate", "MixedInstancesPolicy")
                ):
                    raise validation(
                        "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter."
                    )
                self._from_instance(context, params, group)
            else:
                self._launch_source(context, params, group)
            if not any(
                group.get(m) for m in ("LaunchConfigurationName", "LaunchTemplate", "MixedInstancesPolicy")
            ):
                raise validation(
                    "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter."
                )
            self._zones(context, params, group)
            if not group["AvailabilityZones"]:
                raise validation("At least one Availability Zone or VPC Subnet is required.")
            self._bounds(group)
            group["Tags"] = [self._tag(name, t) for t in params.get("Tags") or []]
            if params.get("LifecycleHookSpecificationList"):
                group["_hooks"] = {}
            if group["DesiredCapacity"]:
                group["_cause"] = (
                    f"At {stamp(now())} a user request created an AutoScalingGroup changing the desired "
                    f"capacity from 0 to {group['DesiredCapacity']}."
                )
            self.groups.put(scope, name, group)
        for spec in params.get("LifecycleHookSpecificationList") or []:
            self.put_lifecycle_hook(context, {**spec, "AutoScalingGroupName": name})
        self.reconcile(scope, name)
        return {}

    def _from_instance(self, context: RequestContext, params: dict, group: dict[str, Any]) -> None:
        """A group created from an instance: a launch configuration of the same name made from it."""
        scope = self.scope_of(context)
        name = group["AutoScalingGroupName"]
        if self.configs.get(scope, name) is None:
            self.create_launch_configuration(
                context, {"LaunchConfigurationName": name, "InstanceId": params["InstanceId"]}
            )
        group["LaunchConfigurationName"] = name
        if not params.get("VPCZoneIdentifier") and not params.get("AvailabilityZones"):
            ec2 = self.runtime.provider("ec2")
            instance = ec2.find_instance(context.account, context.region, params["InstanceId"])
            if instance and instance.get("SubnetId"):
                params["VPCZoneIdentifier"] = instance["SubnetId"]

    @staticmethod
    def _tag(group_name: str, tag: dict[str, Any]) -> dict[str, Any]:
        return {
            "ResourceId": group_name,
            "ResourceType": "auto-scaling-group",
            "Key": tag["Key"],
            "Value": tag.get("Value", ""),
            "PropagateAtLaunch": bool(tag.get("PropagateAtLaunch", False)),
        }

    def update_auto_scaling_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.lock:
            group = self.groups.get(scope, params["AutoScalingGroupName"])
            if group is None:
                raise validation("AutoScalingGroup name not found - null")
            old = group["DesiredCapacity"]
            updated = dict(group)
            for member in ("MinSize", "MaxSize", "DesiredCapacity"):
                if params.get(member) is not None:
                    updated[member] = params[member]
            if params.get("MinSize") is not None and params.get("DesiredCapacity") is None:
                updated["DesiredCapacity"] = max(updated["DesiredCapacity"], updated["MinSize"])
            if params.get("MaxSize") is not None and params.get("DesiredCapacity") is None:
                updated["DesiredCapacity"] = min(updated["DesiredCapacity"], updated["MaxSize"])
            self._bounds(updated)
            for member in PLAIN:
                if params.get(member) is not None:
                    updated[member] = params[member]
            self._launch_source(context, params, updated)
            self._zones(context, params, updated)
            if updated["DesiredCapacity"] != old:
                parts = ", ".join(
                    f"{label}: {params[member]}"
                    for label, member in (
                        ("min", "MinSize"),
                        ("max", "MaxSize"),
                        ("desired", "DesiredCapacity"),
                    )
                    if params.get(member) is not None
                )
                updated["_cause"] = (
                    f"At {stamp(now())} a user request update of AutoScalingGroup constraints to {parts} "
                    f"changing the desired capacity from {old} to {updated['DesiredCapacity']}."
                )
            self.groups.put(scope, group["AutoScalingGroupName"], updated)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {}

    def set_desired_capacity(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            desired = params["DesiredCapacity"]
            if desired > group["MaxSize"]:
                raise validation(
                    f"New SetDesiredCapacity value {desired} is above max value {group['MaxSize']} for the AutoScalingGroup."
                )
            if desired < group["MinSize"]:
                raise validation(
                    f"New SetDesiredCapacity value {desired} is below min value {group['MinSize']} for the AutoScalingGroup."
                )
            if params.get("HonorCooldown") and group.get("_cooldown_until", 0) > now():
                raise ServiceError(
                    "ScalingActivityInProgress",
                    "Scaling activity cannot be performed while the group is in its cooldown period.",
                )
            old = group["DesiredCapacity"]
            group["DesiredCapacity"] = desired
            if desired != old:
                group["_cause"] = (
                    f"At {stamp(now())} a user request explicitly set group desired capacity changing the "
                    f"desired capacity from {old} to {desired}."
                )
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {}

    def delete_auto_scaling_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            protection = group.get("DeletionProtection") or "none"
            force = bool(params.get("ForceDelete"))
            if protection == "prevent-all-deletion" or (protection == "prevent-force-deletion" and force):
                raise validation(
                    f"Deletion protection is enabled for AutoScalingGroup {group['AutoScalingGroupName']}"
                )
            live = [m for m in group["Instances"] if m["LifecycleState"] not in ("Terminated", "Detached")]
            if group.get("Status") == "Delete in progress":
                raise ServiceError(
                    "ScalingActivityInProgress",
                    "An AutoScalingGroup deletion is already in progress.",
                )
            if (live or group["DesiredCapacity"]) and not force:
                raise in_use(
                    "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group."
                )
            group["Status"] = "Delete in progress"
            group["DesiredCapacity"] = group["MinSize"] = 0
            cause = f"At {stamp(now())} a user request deleted the AutoScalingGroup."
            for member in live:
                member["_cause"] = cause
            if not live:
                self.drop_group(scope, group)
                return {}
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {}

    def drop_group(self, scope: str, group: dict[str, Any]) -> None:
        """Delete a group and what belongs to it: policies (and their alarms), scheduled actions."""
        name = group["AutoScalingGroupName"]
        account, region = scope.split("/")
        context = RequestContext.internal("autoscaling", account, region)
        for key, policy in list(self.policies.scan(scope, prefix=f"{name}{SEP}")):
            self._drop_policy_alarms(context, policy)
            self.policies.delete(scope, key)
        for key, _ in list(self.scheduled.scan(scope, prefix=f"{name}{SEP}")):
            self.scheduled.delete(scope, key)
            self.runtime.scheduler.cancel(self._timer_key(scope, key))
        self.groups.delete(scope, name)

    def describe_auto_scaling_groups(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        names = params.get("AutoScalingGroupNames") or []
        filters = params.get("Filters") or []
        if names:
            rows = [(n, self.groups.get(scope, n)) for n in dict.fromkeys(names)]
            groups = [g for _, g in rows if g is not None]
        else:
            groups = [g for _, g in self.groups.scan(scope)]
        groups = [g for g in groups if _matches(g, filters)]
        return self.page("DescribeAutoScalingGroups", params, [self.show_group(g) for g in groups])

    def describe_auto_scaling_instances(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        wanted = set(params.get("InstanceIds") or [])
        found = []
        for _, group in self.groups.scan(scope):
            for member in group["Instances"]:
                if member["LifecycleState"] in ("Terminated", "Detached"):
                    continue
                if wanted and member["InstanceId"] not in wanted:
                    continue
                shown = {k: member[k] for k in MEMBER_FIELDS if k in member}
                shown["HealthStatus"] = member["HealthStatus"].upper()
                shown["AutoScalingGroupName"] = group["AutoScalingGroupName"]
                found.append(shown)
        return self.page("DescribeAutoScalingInstances", params, found)

    def describe_scaling_activities(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params.get("AutoScalingGroupName")
        ids = set(params.get("ActivityIds") or [])
        rows = self.activities.scan(scope, prefix=f"{name}{SEP}" if name else "")
        found = [a for _, a in rows if not ids or a["ActivityId"] in ids]
        if not name:
            found.sort(key=lambda a: -a["StartTime"])
        include_deleted = params.get("IncludeDeletedGroups")
        if not include_deleted:
            live = {n for n, _ in self.groups.scan(scope)}
            found = [a for a in found if a["AutoScalingGroupName"] in live]
        return self.page("DescribeScalingActivities", params, found, limit=100)


def _matches(group: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    for f in filters:
        name, values = f.get("Name", ""), f.get("Values") or []
        tags = {t["Key"]: t["Value"] for t in group["Tags"]}
        if name == "tag-key":
            ok = any(k in values for k in tags)
        elif name == "tag-value":
            ok = any(v in values for v in tags.values())
        elif name.startswith("tag:"):
            ok = tags.get(name[4:]) in values
        else:
            raise validation(
                f"Filter type {name} is not correct. Allowed Filter types are: tag-key tag-value tag:<key>"
            )
        if not ok:
            return False
    return True


__all__ = ["COUNTED", "Provider", "capacity"]

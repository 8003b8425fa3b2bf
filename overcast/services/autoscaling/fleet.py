"""How a group keeps its capacity: the reconciliation pass that launches and terminates EC2
instances through the EC2 provider, replaces the ones EC2 reports terminated or stopped (or a
caller set Unhealthy), walks lifecycle hooks' wait states, and records each step as a scaling
activity with AWS's wording.

The pass runs for every group after each change a caller makes, and on the scheduler every
RECONCILE_SECONDS while any group exists (EC2's state changes come in between)."""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.autoscaling.common import COUNTED, SEP, now, stamp
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.autoscaling.provider import Provider

log = logging.getLogger(__name__)

RECONCILE_KEY = "autoscaling/reconcile"
RECONCILE_SECONDS = 2.0
#: EC2 runs a launched instance about this long after RunInstances: the group looks again then,
#: rather than at its next periodic pass, to put the instance in service.
RUNNING_AFTER_SECONDS = 1.05
#: How long after a failed launch the group tries again.
LAUNCH_RETRY_SECONDS = 10.0
GONE_STATES = frozenset({"shutting-down", "terminated", "stopping", "stopped"})
LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"


def capacity(group: dict[str, Any]) -> int:
    return sum(1 for i in group["Instances"] if i["LifecycleState"] in COUNTED)


class FleetMixin:
    # -- activities -------------------------------------------------------------------------

    def activity(  # type: ignore[misc]
        self: Provider,
        scope: str,
        group: dict[str, Any],
        description: str,
        cause: str,
        status: str = "Successful",
        details: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> dict[str, Any]:
        moment = now()
        record: dict[str, Any] = {
            "ActivityId": str(uuid.uuid4()),
            "AutoScalingGroupName": group["AutoScalingGroupName"],
            "AutoScalingGroupARN": group["AutoScalingGroupARN"],
            "Description": description,
            "Cause": cause,
            "StartTime": moment,
            "StatusCode": status,
            "Progress": 100 if status in ("Successful", "Failed", "Cancelled") else 50,
            "Details": json.dumps(details or {}),
        }
        if status in ("Successful", "Failed", "Cancelled"):
            record["EndTime"] = moment
        if message:
            record["StatusMessage"] = message
        # Newest first within a group: the key counts down.
        key = f"{group['AutoScalingGroupName']}{SEP}{10**13 - int(moment * 1000):014d}{record['ActivityId']}"
        self.activities.put(scope, key, record)
        return record

    # -- reconciliation -----------------------------------------------------------------------

    def schedule_reconcile(self: Provider) -> None:  # type: ignore[misc]
        scheduler = self.runtime.scheduler
        if scheduler.pending(RECONCILE_KEY) is None:
            scheduler.at(RECONCILE_KEY, scheduler.now() + RECONCILE_SECONDS, self._reconcile_all)

    def _reconcile_all(self: Provider, key: str, due: float) -> None:  # type: ignore[misc]
        any_group = False
        for scope in self.groups.scopes():
            for name, _ in list(self.groups.scan(scope)):
                any_group = True
                try:
                    self.reconcile(scope, name)
                except Exception:
                    log.exception("Auto Scaling group %s could not be reconciled", name)
        if any_group:
            self.schedule_reconcile()

    def _look_again(self: Provider, key: str, due: float) -> None:  # type: ignore[misc]
        _, _, account, region, name = key.split("/", 4)
        self.reconcile(f"{account}/{region}", name)

    def reconcile(self: Provider, scope: str, name: str) -> None:  # type: ignore[misc]
        with self.lock:
            group = self.groups.get(scope, name)
            if group is None:
                return
            account, region = scope.split("/")
            self._observe(scope, account, region, group)
            self._walk_hooks(scope, account, region, group)
            self.sync_load_balancers(account, region, group)
            if group.get("Status") == "Delete in progress":
                self._drain_for_delete(scope, account, region, group)
                return
            self._adjust(scope, account, region, group)
            self.advance_refresh(scope, account, region, group)
            self.groups.put(scope, name, group)
        self.schedule_reconcile()

    def _observe(self: Provider, scope: str, account: str, region: str, group: dict[str, Any]) -> None:  # type: ignore[misc]
        """Take in what EC2 says of each instance: running ones go in service, ones gone or
        stopped are unhealthy, and unhealthy ones are replaced."""
        ec2 = self.runtime.provider("ec2")
        suspended = self.suspended(group)
        for member in list(group["Instances"]):
            found = ec2.find_instance(account, region, member["InstanceId"])
            state = (found or {}).get("State", {}).get("Name", "terminated")
            lifecycle = member["LifecycleState"]
            if lifecycle in ("Terminating:Proceed", "Terminating") and state in (
                "terminated",
                "shutting-down",
            ):
                if state == "terminated" or found is None:
                    member["LifecycleState"] = "Terminated"
                    self._instance_event(account, region, group, member, "EC2 Instance Terminate Successful")
                continue
            if lifecycle == "Terminated":
                continue
            if lifecycle in ("Detached", "Detaching"):
                continue
            if state in GONE_STATES and member["HealthStatus"] == "Healthy":
                member["HealthStatus"] = "Unhealthy"
                member["_unhealthy_cause"] = (
                    "an instance was taken out of service in response to an EC2 health check "
                    "indicating it has been terminated or stopped."
                )
            if lifecycle == "Pending" and state == "running":
                if self.hooks_for(group, LAUNCHING):
                    self.enter_wait(scope, account, region, group, member, LAUNCHING)
                else:
                    self._in_service(account, region, group, member)
            elif lifecycle == "Pending:Proceed" and state == "running":
                self._in_service(account, region, group, member)
            if (
                member["HealthStatus"] == "Unhealthy"
                and member["LifecycleState"] in ("InService", "Pending", "Standby")
                and "ReplaceUnhealthy" not in suspended
            ):
                cause = member.pop("_unhealthy_cause", None) or (
                    "an instance was taken out of service in response to a user health-check."
                )
                self.begin_termination(scope, account, region, group, member, f"At {stamp(now())} {cause}")
        group["Instances"] = [m for m in group["Instances"] if m["LifecycleState"] != "Terminated"]

    def sync_load_balancers(self: Provider, account: str, region: str, group: dict[str, Any]) -> None:  # type: ignore[misc]
        """Register the group's in-service instances with its target groups (ELBv2) and
        classic load balancers, and deregister those that left service or whose attachment was
        detached, as Auto Scaling does. What is registered is kept in the group's record."""
        in_service = sorted(m["InstanceId"] for m in group["Instances"] if m["LifecycleState"] == "InService")
        if group.get("Status") == "Delete in progress":
            in_service = []
        registered: dict[str, list[str]] = group.setdefault("_registered", {})
        attached = {f"elbv2 {arn}" for arn in group.get("TargetGroupARNs") or []} | {
            f"elb {name}" for name in group.get("LoadBalancerNames") or []
        }
        for attachment in sorted(attached | set(registered)):
            want = in_service if attachment in attached else []
            have = registered.get(attachment, [])
            joining, leaving = sorted(set(want) - set(have)), sorted(set(have) - set(want))
            if not joining and not leaving:
                continue
            service, target = attachment.split(" ", 1)
            try:
                balancer: Any = self.runtime.provider(service)
                if service == "elbv2":
                    if joining:
                        balancer.register_instances(account, region, target, [{"Id": i} for i in joining])
                    if leaving:
                        balancer.deregister_instances(account, region, target, [{"Id": i} for i in leaving])
                else:
                    if joining:
                        balancer.register_instances(account, region, target, joining)
                    if leaving:
                        balancer.deregister_instances(account, region, target, leaving)
            except ServiceError as error:
                log.warning("Auto Scaling group %s: %s %s: %s", group["AutoScalingGroupName"], service, target,
                            error.message)  # fmt: skip
                continue
            if want:
                registered[attachment] = want
            else:
                registered.pop(attachment, None)

    def _in_service(  # type: ignore[misc]
        self: Provider, account: str, region: str, group: dict[str, Any], member: dict[str, Any]
    ) -> None:
        member["LifecycleState"] = "InService"
        self._instance_event(account, region, group, member, "EC2 Instance Launch Successful")
        self.notify(account, region, group, "autoscaling:EC2_INSTANCE_LAUNCH", member)

    def _adjust(self: Provider, scope: str, account: str, region: str, group: dict[str, Any]) -> None:  # type: ignore[misc]
        suspended = self.suspended(group)
        have = capacity(group)
        want = group["DesiredCapacity"]
        cause = group.pop("_cause", None)
        if have < want and "Launch" not in suspended:
            if group.get("_retry_at", 0) > now():
                group["_cause"] = cause
                return
            head = f"{cause}  " if cause else ""
            for _ in range(want - have):
                why = (
                    f"{head}At {stamp(now())} an instance was started in response to a difference between "
                    f"desired and actual capacity, increasing the capacity from {have} to {want}."
                )
                if not self.launch_one(scope, account, region, group, why):
                    break
        elif have > want and "Terminate" not in suspended:
            head = f"{cause}  " if cause else ""
            for member in self.choose_victims(group, have - want):
                why = (
                    f"{head}At {stamp(now())} an instance was taken out of service in response to a "
                    f"difference between desired and actual capacity, shrinking the capacity from {have} "
                    f"to {want}.  At {stamp(now())} instance {member['InstanceId']} was selected for termination."
                )
                self.begin_termination(scope, account, region, group, member, why)

    # -- launching ----------------------------------------------------------------------------

    def launch_one(  # type: ignore[misc]
        self: Provider, scope: str, account: str, region: str, group: dict[str, Any], cause: str
    ) -> bool:
        ec2 = self.runtime.provider("ec2")
        context = RequestContext.internal("autoscaling", account, region)
        subnet, zone = self.place(account, region, group)
        try:
            params = self.launch_params(account, region, group)
            if subnet:
                if params.get("NetworkInterfaces"):
                    params["NetworkInterfaces"][0]["SubnetId"] = subnet
                else:
                    params["SubnetId"] = subnet
            elif zone:
                params["Placement"] = {**(params.get("Placement") or {}), "AvailabilityZone": zone}
            tags = [
                {"Key": t["Key"], "Value": t.get("Value", "")}
                for t in group.get("Tags") or []
                if t.get("PropagateAtLaunch") and not t["Key"].startswith("aws:")
            ]
            if tags:
                params.setdefault("TagSpecifications", []).append({"ResourceType": "instance", "Tags": tags})
            output = ec2.run_instances(context, params)
        except ServiceError as error:
            reason = error.message.rstrip(".")
            self.activity(
                scope,
                group,
                f"Launching a new EC2 instance.  Status Reason: {reason}. Launching EC2 instance failed.",
                cause,
                status="Failed",
                details={"Subnet ID": subnet or "", "Availability Zone": zone or ""},
                message=f"{reason}. Launching EC2 instance failed.",
            )
            group["_retry_at"] = now() + LAUNCH_RETRY_SECONDS
            self._group_event(
                account, region, group, "EC2 Instance Launch Unsuccessful", error.message, cause
            )
            self.notify(account, region, group, "autoscaling:EC2_INSTANCE_LAUNCH_ERROR", None)
            return False
        instance = output["Instances"][0]
        instance_id = instance["InstanceId"]
        ec2.tag_as_system(
            account,
            region,
            instance_id,
            [{"Key": "aws:autoscaling:groupName", "Value": group["AutoScalingGroupName"]}],
        )
        member: dict[str, Any] = {
            "InstanceId": instance_id,
            "InstanceType": instance.get("InstanceType", ""),
            "AvailabilityZone": instance.get("Placement", {}).get("AvailabilityZone", zone or ""),
            "LifecycleState": "Pending",
            "HealthStatus": "Healthy",
            "ProtectedFromScaleIn": bool(group.get("NewInstancesProtectedFromScaleIn")),
            "_launched": now(),
        }
        if group.get("LaunchConfigurationName"):
            member["LaunchConfigurationName"] = group["LaunchConfigurationName"]
        spec = group.get("LaunchTemplate") or (
            ((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get(
                "LaunchTemplateSpecification"
            )
        )
        if spec:
            # The instance shows the version it was launched from, by number.
            versions = [
                t["Value"] for t in instance.get("Tags") or [] if t["Key"] == "aws:ec2launchtemplate:version"
            ]
            member["LaunchTemplate"] = {
                "LaunchTemplateId": spec["LaunchTemplateId"],
                "LaunchTemplateName": spec["LaunchTemplateName"],
                **({"Version": versions[0]} if versions else {}),
            }
        group["Instances"].append(member)
        scheduler = self.runtime.scheduler
        scheduler.at(
            f"autoscaling/launched/{scope}/{group['AutoScalingGroupName']}",
            scheduler.now() + RUNNING_AFTER_SECONDS,
            self._look_again,
        )
        self.activity(
            scope,
            group,
            f"Launching a new EC2 instance: {instance_id}",
            cause,
            details={"Subnet ID": subnet or "", "Availability Zone": member["AvailabilityZone"]},
        )
        return True

    def launch_params(self: Provider, account: str, region: str, group: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        params: dict[str, Any] = {"MinCount": 1, "MaxCount": 1}
        mixed = (group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
        template = group.get("LaunchTemplate") or mixed.get("LaunchTemplateSpecification")
        # A mixed instances policy launches its first override's type (the "prioritized" order).
        override = next((o for o in mixed.get("Overrides") or [] if o.get("InstanceType")), None)
        if override:
            params["InstanceType"] = override["InstanceType"]
        if template:
            spec = {k: template[k] for k in ("LaunchTemplateId", "LaunchTemplateName") if template.get(k)}
            spec["Version"] = str(template.get("Version") or "$Default")
            if spec.get("LaunchTemplateId"):
                spec.pop("LaunchTemplateName", None)
            params["LaunchTemplate"] = spec
            return params
        config = self.configs.get(store_scope(account, region), group["LaunchConfigurationName"])
        if config is None:
            raise ServiceError(
                "ValidationError", f"Launch configuration {group['LaunchConfigurationName']} does not exist"
            )
        params["ImageId"] = config["ImageId"]
        params["InstanceType"] = config["InstanceType"]
        for member in ("KeyName", "UserData", "KernelId", "RamdiskId", "EbsOptimized", "MetadataOptions"):
            if config.get(member) not in (None, ""):
                params[member] = config[member]
        groups = config.get("SecurityGroups") or []
        ids = [g for g in groups if g.startswith("sg-")]
        names = [g for g in groups if not g.startswith("sg-")]
        profile = config.get("IamInstanceProfile")
        if profile:
            params["IamInstanceProfile"] = (
                {"Arn": profile} if profile.startswith("arn:") else {"Name": profile}
            )
        if config.get("BlockDeviceMappings"):
            params["BlockDeviceMappings"] = [
                {k: v for k, v in m.items() if k != "NoDevice" or v} for m in config["BlockDeviceMappings"]
            ]
        if config.get("InstanceMonitoring", {}).get("Enabled") is not None:
            params["Monitoring"] = {"Enabled": bool(config["InstanceMonitoring"]["Enabled"])}
        if config.get("PlacementTenancy"):
            params["Placement"] = {"Tenancy": config["PlacementTenancy"]}
        if config.get("AssociatePublicIpAddress") is not None:
            params["NetworkInterfaces"] = [
                {
                    "DeviceIndex": 0,
                    "AssociatePublicIpAddress": bool(config["AssociatePublicIpAddress"]),
                    **({"Groups": ids} if ids else {}),
                }
            ]
        else:
            if ids:
                params["SecurityGroupIds"] = ids
            if names:
                params["SecurityGroups"] = names
        return params

    def place(  # type: ignore[misc]
        self: Provider, account: str, region: str, group: dict[str, Any]
    ) -> tuple[str | None, str | None]:
        """The subnet (or zone) of the next instance: the zone the group has fewest in."""
        counts = Counter(m["AvailabilityZone"] for m in group["Instances"] if m["LifecycleState"] in COUNTED)
        subnets = [s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s]
        if subnets:
            zones = group.get("_subnet_zones") or {}
            subnet = min(subnets, key=lambda s: (counts.get(zones.get(s, ""), 0), subnets.index(s)))
            return subnet, zones.get(subnet)
        zones_list = group.get("AvailabilityZones") or []
        if not zones_list:
            return None, None
        zone = min(zones_list, key=lambda z: (counts.get(z, 0), zones_list.index(z)))
        return None, zone

    # -- terminating --------------------------------------------------------------------------

    def choose_victims(self: Provider, group: dict[str, Any], count: int) -> list[dict[str, Any]]:  # type: ignore[misc]
        """Instances to take out by the group's termination policies (Default: the zone with
        most instances, then those on an older launch configuration or template, then the
        oldest)."""
        chosen: list[dict[str, Any]] = []
        policies = group.get("TerminationPolicies") or ["Default"]
        for _ in range(count):
            candidates = [
                m
                for m in group["Instances"]
                if m["LifecycleState"] in COUNTED and not m.get("ProtectedFromScaleIn") and m not in chosen
            ]
            if not candidates:
                break
            zones = Counter(
                m["AvailabilityZone"]
                for m in group["Instances"]
                if m["LifecycleState"] in COUNTED and m not in chosen
            )
            biggest = max(zones.values())
            candidates = [m for m in candidates if zones[m["AvailabilityZone"]] == biggest] or candidates
            for policy in policies:
                if policy == "NewestInstance":
                    candidates.sort(key=lambda m: -m.get("_launched", 0))
                    break
                if policy in ("OldestInstance", "ClosestToNextInstanceHour", "Default", "AllocationStrategy"):
                    stale = [m for m in candidates if not self.current_launch(group, m)]
                    if policy == "Default" and stale:
                        candidates = stale
                    candidates.sort(key=lambda m: m.get("_launched", 0))
                    break
                if policy in ("OldestLaunchConfiguration", "OldestLaunchTemplate"):
                    stale = [m for m in candidates if not self.current_launch(group, m)]
                    candidates = stale or candidates
            chosen.append(candidates[0])
        return chosen

    @staticmethod
    def current_launch(group: dict[str, Any], member: dict[str, Any]) -> bool:
        if group.get("LaunchConfigurationName"):
            return member.get("LaunchConfigurationName") == group["LaunchConfigurationName"]
        mixed = (group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
        mine = member.get("LaunchTemplate") or {}
        theirs = group.get("LaunchTemplate") or mixed.get("LaunchTemplateSpecification") or {}
        if mine.get("LaunchTemplateId") != theirs.get("LaunchTemplateId"):
            return False
        wanted = str(theirs.get("Version") or "$Default")
        return wanted.startswith("$") or wanted == str(mine.get("Version"))

    def begin_termination(  # type: ignore[misc]
        self: Provider,
        scope: str,
        account: str,
        region: str,
        group: dict[str, Any],
        member: dict[str, Any],
        cause: str,
    ) -> None:
        member["_cause"] = cause
        if self.hooks_for(group, TERMINATING):
            self.enter_wait(scope, account, region, group, member, TERMINATING)
            return
        self.terminate_now(scope, account, region, group, member)

    def terminate_now(  # type: ignore[misc]
        self: Provider, scope: str, account: str, region: str, group: dict[str, Any], member: dict[str, Any]
    ) -> None:
        ec2 = self.runtime.provider("ec2")
        context = RequestContext.internal("autoscaling", account, region)
        member["LifecycleState"] = "Terminating"
        try:
            ec2.terminate_instances(context, {"InstanceIds": [member["InstanceId"]]})
        except ServiceError as error:
            if "does not exist" not in error.message and error.code != "InvalidInstanceID.NotFound":
                log.warning("Auto Scaling could not terminate %s: %s", member["InstanceId"], error.message)
            member["LifecycleState"] = "Terminated"
        self.activity(
            scope,
            group,
            f"Terminating EC2 instance: {member['InstanceId']}",
            member.pop("_cause", ""),
            details={"Subnet ID": "", "Availability Zone": member["AvailabilityZone"]},
        )
        self.notify(account, region, group, "autoscaling:EC2_INSTANCE_TERMINATE", member)

    def _drain_for_delete(  # type: ignore[misc]
        self: Provider, scope: str, account: str, region: str, group: dict[str, Any]
    ) -> None:
        for member in group["Instances"]:
            if member["LifecycleState"] in COUNTED or member["LifecycleState"] in ("Standby",):
                self.terminate_now(scope, account, region, group, member)
        if not group["Instances"]:
            self.drop_group(scope, group)
        else:
            self.groups.put(scope, group["AutoScalingGroupName"], group)

    # -- events ------------------------------------------------------------------------------

    def _instance_event(  # type: ignore[misc]
        self: Provider, account: str, region: str, group: dict[str, Any], member: dict[str, Any], kind: str
    ) -> None:
        self.publish_event(
            account,
            region,
            kind,
            [group["AutoScalingGroupARN"], f"arn:aws:ec2:{region}:{account}:instance/{member['InstanceId']}"],
            {
                "StatusCode": "InProgress",
                "AutoScalingGroupName": group["AutoScalingGroupName"],
                "ActivityId": str(uuid.uuid4()),
                "Details": {"Availability Zone": member["AvailabilityZone"], "Subnet ID": ""},
                "RequestId": str(uuid.uuid4()),
                "EndTime": stamp(now()),
                "EC2InstanceId": member["InstanceId"],
                "StartTime": stamp(now()),
                "Cause": member.get("_cause", ""),
            },
        )

    def _group_event(  # type: ignore[misc]
        self: Provider, account: str, region: str, group: dict[str, Any], kind: str, message: str, cause: str
    ) -> None:
        self.publish_event(
            account,
            region,
            kind,
            [group["AutoScalingGroupARN"]],
            {
                "StatusCode": "Failed",
                "AutoScalingGroupName": group["AutoScalingGroupName"],
                "ActivityId": str(uuid.uuid4()),
                "Details": {},
                "RequestId": str(uuid.uuid4()),
                "StatusMessage": message,
                "EndTime": stamp(now()),
                "EC2InstanceId": "",
                "StartTime": stamp(now()),
                "Cause": cause,
            },
        )

    def publish_event(  # type: ignore[misc]
        self: Provider, account: str, region: str, kind: str, resources: list[str], detail: dict[str, Any]
    ) -> None:
        bus = self.runtime.bus
        if not bus.has_subscribers("events:put"):
            return
        bus.publish(
            "events:put",
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": kind,
                "source": "aws.autoscaling",
                "account": account,
                "time": stamp(now()),
                "region": region,
                "resources": resources,
                "detail": detail,
            },
        )

    def notify(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        group: dict[str, Any],
        event: str,
        member: dict[str, Any] | None,
    ) -> None:
        """SNS notifications PutNotificationConfiguration asked for."""
        for topic, types in (group.get("_notifications") or {}).items():
            if event not in types:
                continue
            verb = {
                "autoscaling:EC2_INSTANCE_LAUNCH": "launch",
                "autoscaling:EC2_INSTANCE_TERMINATE": "termination",
                "autoscaling:EC2_INSTANCE_LAUNCH_ERROR": "failed launch",
                "autoscaling:EC2_INSTANCE_TERMINATE_ERROR": "failed termination",
            }.get(event, event)
            body = {
                "Origin": "AutoScalingGroup" if "TERMINATE" in event else "EC2",
                "Destination": "EC2" if "TERMINATE" in event else "AutoScalingGroup",
                "Progress": 50,
                "AccountId": account,
                "Description": (
                    f"{'Terminating' if 'TERMINATE' in event else 'Launching a new'} EC2 instance: {member['InstanceId']}"
                    if member
                    else "Launching a new EC2 instance"
                ),
                "RequestId": str(uuid.uuid4()),
                "EndTime": stamp(now()),
                "AutoScalingGroupARN": group["AutoScalingGroupARN"],
                "ActivityId": str(uuid.uuid4()),
                "StartTime": stamp(now()),
                "Service": "AWS Auto Scaling",
                "Time": stamp(now()),
                "EC2InstanceId": member["InstanceId"] if member else "",
                "StatusCode": "InProgress" if member else "Failed",
                "StatusMessage": "",
                "Details": {"Availability Zone": member["AvailabilityZone"] if member else ""},
                "AutoScalingGroupName": group["AutoScalingGroupName"],
                "Cause": (member or {}).get("_cause", ""),
                "Event": event,
            }
            subject = f'Auto Scaling: {verb} for group "{group["AutoScalingGroupName"]}"'
            self.runtime.bus.deliver(topic, json.dumps(body), subject=subject, attempts=3)

"""Instances: RunInstances (image, type, key, security groups by id or name, subnet, user data,
instance profile, tags, counts, launch templates), the state machine pending → running →
stopping → stopped → shutting-down → terminated on the scheduler's clock, with an EventBridge
"EC2 Instance State-change Notification" on every transition, and launch templates."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ec2 import catalog, core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import FILTERS, Record
from overcast.services.ec2.network import public_dns
from overcast.services.ec2.storage import StorageMixin

PENDING_SECONDS = 1.0
STOPPING_SECONDS = 1.0
SHUTTING_DOWN_SECONDS = 1.0
#: How long AWS keeps describing a terminated instance.
TERMINATED_VISIBLE_SECONDS = 3600.0
CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}


def _bdm(key: str) -> Any:
    return lambda r: [m["Ebs"].get(key) for m in r["BlockDeviceMappings"]]


def _eni(key: str) -> Any:
    return lambda r: [n.get(key) for n in r["NetworkInterfaces"]]


FILTERS["i"] = {
    "affinity": lambda r: r["Placement"].get("Affinity"),
    "architecture": lambda r: r["Architecture"],
    "availability-zone": lambda r: r["Placement"]["AvailabilityZone"],
    "availability-zone-id": lambda r: r["Placement"].get("AvailabilityZoneId"),
    "block-device-mapping.attach-time": _bdm("AttachTime"),
    "block-device-mapping.delete-on-termination": _bdm("DeleteOnTermination"),
    "block-device-mapping.device-name": lambda r: [m["DeviceName"] for m in r["BlockDeviceMappings"]],
    "block-device-mapping.status": _bdm("Status"),
    "block-device-mapping.volume-id": _bdm("VolumeId"),
    "client-token": lambda r: r.get("ClientToken"),
    "dns-name": lambda r: r.get("PublicDnsName"),
    "private-dns-name": lambda r: r.get("PrivateDnsName"),
    "group-id": lambda r: [g["GroupId"] for g in r["SecurityGroups"]],
    "group-name": lambda r: [g["GroupName"] for g in r["SecurityGroups"]],
    "instance.group-id": lambda r: [g["GroupId"] for g in r["SecurityGroups"]],
    "instance.group-name": lambda r: [g["GroupName"] for g in r["SecurityGroups"]],
    "hibernation-options.configured": lambda r: r["HibernationOptions"]["Configured"],
    "host-id": lambda r: r["Placement"].get("HostId"),
    "hypervisor": lambda r: r["Hypervisor"],
    "iam-instance-profile.arn": lambda r: (r.get("IamInstanceProfile") or {}).get("Arn"),
    "iam-instance-profile.id": lambda r: (r.get("IamInstanceProfile") or {}).get("Id"),
    "image-id": lambda r: r["ImageId"],
    "instance-id": lambda r: r["InstanceId"],
    "instance-lifecycle": lambda r: r.get("InstanceLifecycle"),
    "instance-state-code": lambda r: r["State"]["Code"],
    "instance-state-name": lambda r: r["State"]["Name"],
    "instance-type": lambda r: r["InstanceType"],
    "ip-address": lambda r: r.get("PublicIpAddress"),
    "kernel-id": lambda r: r.get("KernelId"),
    "key-name": lambda r: r.get("KeyName"),
    "launch-index": lambda r: r["AmiLaunchIndex"],
    "launch-time": lambda r: r["LaunchTime"],
    "metadata-options.http-tokens": lambda r: r["MetadataOptions"]["HttpTokens"],
    "metadata-options.http-put-response-hop-limit": lambda r: r["MetadataOptions"]["HttpPutResponseHopLimit"],
    "metadata-options.http-endpoint": lambda r: r["MetadataOptions"]["HttpEndpoint"],
    "metadata-options.instance-metadata-tags": lambda r: r["MetadataOptions"]["InstanceMetadataTags"],
    "monitoring-state": lambda r: r["Monitoring"]["State"],
    "network-interface.network-interface-id": _eni("NetworkInterfaceId"),
    "network-interface.subnet-id": _eni("SubnetId"),
    "network-interface.vpc-id": _eni("VpcId"),
    "network-interface.mac-address": _eni("MacAddress"),
    "network-interface.private-dns-name": _eni("PrivateDnsName"),
    "network-interface.status": _eni("Status"),
    "network-interface.source-dest-check": _eni("SourceDestCheck"),
    "network-interface.description": _eni("Description"),
    "network-interface.addresses.private-ip-address": lambda r: [
        p["PrivateIpAddress"] for n in r["NetworkInterfaces"] for p in n["PrivateIpAddresses"]
    ],
    "network-interface.group-id": lambda r: [
        g["GroupId"] for n in r["NetworkInterfaces"] for g in n["Groups"]
    ],
    "network-interface.attachment.attachment-id": lambda r: [
        n["Attachment"]["AttachmentId"] for n in r["NetworkInterfaces"]
    ],
    "network-interface.attachment.device-index": lambda r: [
        n["Attachment"]["DeviceIndex"] for n in r["NetworkInterfaces"]
    ],
    "owner-id": lambda r: r["_owner"],
    "placement-group-name": lambda r: r["Placement"].get("GroupName"),
    "placement-partition-number": lambda r: r["Placement"].get("PartitionNumber"),
    "platform": lambda r: r.get("Platform"),
    "platform-details": lambda r: r.get("PlatformDetails"),
    "private-ip-address": lambda r: r.get("PrivateIpAddress"),
    "product-code": lambda r: [p["ProductCodeId"] for p in r["ProductCodes"]],
    "reason": lambda r: r.get("StateTransitionReason"),
    "requester-id": lambda r: None,
    "reservation-id": lambda r: r["_reservation"],
    "root-device-name": lambda r: r["RootDeviceName"],
    "root-device-type": lambda r: r["RootDeviceType"],
    "source-dest-check": lambda r: r["SourceDestCheck"],
    "state-reason-code": lambda r: (r.get("StateReason") or {}).get("Code"),
    "state-reason-message": lambda r: (r.get("StateReason") or {}).get("Message"),
    "subnet-id": lambda r: r.get("SubnetId"),
    "tenancy": lambda r: r["Placement"]["Tenancy"],
    "virtualization-type": lambda r: r["VirtualizationType"],
    "vpc-id": lambda r: r.get("VpcId"),
    "boot-mode": lambda r: r.get("BootMode"),
    "current-instance-boot-mode": lambda r: r.get("CurrentInstanceBootMode"),
    "ebs-optimized": lambda r: r["EbsOptimized"],
    "ena-support": lambda r: r.get("EnaSupport"),
}
FILTERS["lt"] = {
    "create-time": lambda r: r["CreateTime"],
    "launch-template-name": lambda r: r["LaunchTemplateName"],
    "launch-template-id": lambda r: r["LaunchTemplateId"],
}
#: DescribeInstanceStatus's filters, on the status it shows.
STATUS_FILTERS = {
    "availability-zone": lambda s: s["AvailabilityZone"],
    "instance-state-code": lambda s: s["InstanceState"]["Code"],
    "instance-state-name": lambda s: s["InstanceState"]["Name"],
    "instance-status.status": lambda s: s["InstanceStatus"]["Status"],
    "instance-status.reachability": lambda s: [d["Status"] for d in s["InstanceStatus"].get("Details", ())],
    "system-status.status": lambda s: s["SystemStatus"]["Status"],
    "system-status.reachability": lambda s: [d["Status"] for d in s["SystemStatus"].get("Details", ())],
    "attached-ebs-status.status": lambda s: s["AttachedEbsStatus"]["Status"],
    "event.code": lambda s: [],
}
FILTERS["_status"] = STATUS_FILTERS


def _state(name: str) -> dict[str, Any]:
    return {"Code": CODES[name], "Name": name}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S %Z")


class InstanceMixin(StorageMixin):
    # -- launch ----------------------------------------------------------------------------------

    def _template_data(self, ctx: Ctx, spec: dict[str, Any] | None) -> dict[str, Any]:
        if not spec:
            return {}
        template = self.launch_template(ctx, spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName"))
        version = self.template_version(template, spec.get("Version"))
        # EC2 tags what it launches from a template with the template and the version it used.
        return {
            **version["LaunchTemplateData"],
            "_from_template": [
                {"Key": "aws:ec2launchtemplate:id", "Value": template["LaunchTemplateId"]},
                {"Key": "aws:ec2launchtemplate:version", "Value": str(version["VersionNumber"])},
            ],
        }

    def _profile(
        self, ctx: Ctx, context: RequestContext, spec: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        if not spec:
            return None
        name = spec.get("Name")
        if not name and spec.get("Arn"):
            name = spec["Arn"].rsplit("/", 1)[-1]
        iam = self.runtime.provider("iam")
        try:
            profile = iam.get_instance_profile(context, {"InstanceProfileName": name})["InstanceProfile"]
        except ServiceError:
            member = "iamInstanceProfile.name" if spec.get("Name") else "iamInstanceProfile.arn"
            raise core.invalid(
                f"Value ({spec.get('Name') or spec.get('Arn')}) for parameter {member} is invalid. Invalid IAM Instance Profile {'name' if spec.get('Name') else 'ARN'}"
            ) from None
        return {
            "Arn": profile["Arn"],
            "Id": profile["InstanceProfileId"],
            "_name": profile["InstanceProfileName"],
        }

    def run_instances(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        template = self._template_data(ctx, params.get("LaunchTemplate"))
        merged = {**template, **{k: v for k, v in params.items() if v is not None}}
        low, high = params.get("MinCount"), params.get("MaxCount")
        if low is None or high is None:
            raise core.missing("MinCount" if low is None else "MaxCount")
        if low < 1 or high < low:
            raise core.invalid(
                f"Value ({low}) for parameter minCount is invalid. Expected a value greater than zero"
                if low < 1
                else "MaxCount must be greater than or equal to MinCount",
                "InvalidParameterValue",
            )
        image = self.image(ctx, merged.get("ImageId"))
        if image["State"] != "available":
            raise core.invalid(f"Image {image['ImageId']} is not available", "InvalidAMIID.Unavailable")
        instance_type = merged.get("InstanceType") or "m1.small"
        info = catalog.instance_types().get(instance_type)
        if info is None:
            raise core.invalid(f"Invalid value '{instance_type}' for InstanceType.")
        if image["Architecture"] not in info["ProcessorInfo"]["SupportedArchitectures"]:
            raise core.invalid(
                f"The architecture '{info['ProcessorInfo']['SupportedArchitectures'][-1]}' of the specified instance type does not match the architecture '{image['Architecture']}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI."
            )
        key_name = merged.get("KeyName")
        if key_name and self.key_by_name(ctx, key_name) is None:
            raise core.error("InvalidKeyPair.NotFound", f"The key pair '{key_name}' does not exist")
        interfaces_spec = merged.get("NetworkInterfaces") or []
        primary_spec = next((n for n in interfaces_spec if (n.get("DeviceIndex") or 0) == 0), None)
        subnet_id = merged.get("SubnetId") or (primary_spec or {}).get("SubnetId")
        if subnet_id:
            subnet = self.get(ctx, "subnet", subnet_id, "SubnetId")
        else:
            vpc = self.default_vpc(ctx)
            if vpc is None:
                raise core.error(
                    "VPCIdNotSpecified",
                    "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.",
                )
            zone = (merged.get("Placement") or {}).get("AvailabilityZone")
            subnets = [
                s
                for s in ctx.state.kind("subnet").values()
                if s["VpcId"] == vpc["VpcId"] and s["DefaultForAz"]
            ]
            if zone:
                subnets = [s for s in subnets if s["AvailabilityZone"] == zone]
                if not subnets:
                    raise core.invalid(f"Invalid availability zone: [{zone}]", "InvalidParameterValue")
            # EC2 picks the zone: the default subnet with the most free addresses.
            subnet = max(subnets, key=lambda s: (s["AvailableIpAddressCount"], s["AvailabilityZone"]))
        group_ids = list(merged.get("SecurityGroupIds") or []) + list(
            (primary_spec or {}).get("Groups") or []
        )
        for name in merged.get("SecurityGroups") or ():
            group = next(
                (
                    g
                    for g in ctx.state.kind("sg").values()
                    if g["GroupName"] == name and g["VpcId"] == subnet["VpcId"]
                ),
                None,
            )
            if group is None:
                raise core.error(
                    "InvalidGroup.NotFound",
                    f"The security group '{name}' does not exist in VPC '{subnet['VpcId']}'",
                )
            group_ids.append(group["GroupId"])
        groups = self._groups(ctx, subnet, list(dict.fromkeys(group_ids)) or None)
        profile = self._profile(ctx, context, merged.get("IamInstanceProfile"))
        user_data = merged.get("UserData")
        if user_data:
            try:
                base64.b64decode(user_data, validate=True)
            except ValueError:
                raise core.invalid(
                    "Invalid BASE64 encoding of user data.", "InvalidUserData.Malformed"
                ) from None
        placement_group = (merged.get("Placement") or {}).get("GroupName")
        if placement_group:
            self.placement_group(ctx, placement_group)
        tag_sources = list(template.get("TagSpecifications") or []) + list(
            params.get("TagSpecifications") or []
        )
        spec_params = {"TagSpecifications": tag_sources}
        instance_tags = self.tag_specs(spec_params, "instance") + list(template.get("_from_template", []))
        volume_tags = self.tag_specs(spec_params, "volume")
        eni_tags = self.tag_specs(spec_params, "network-interface")
        count = high
        available = subnet["AvailableIpAddressCount"]
        if available < low:
            raise core.error(
                "InsufficientFreeAddressesInSubnet",
                f"There are not enough free addresses in subnet '{subnet['SubnetId']}' to satisfy the requested number of instances.",
            )
        count = min(count, available)
        if merged.get("PrivateIpAddress") and count > 1:
            raise core.invalid(
                "Cannot specify a private IP address when launching more than one instance",
                "InvalidParameterCombination",
            )
        reservation = core.new_id("r")
        launched = []
        with self.store.transaction():
            for index in range(count):
                launched.append(
                    self._launch(
                        ctx,
                        merged,
                        image,
                        info,
                        subnet,
                        groups,
                        profile,
                        reservation,
                        index,
                        instance_tags,
                        volume_tags,
                        eni_tags,
                        primary_spec,
                    )
                )
        for instance in launched:
            self.announce(ctx, instance)
        return {
            "ReservationId": reservation,
            "OwnerId": ctx.account,
            "Groups": [],
            "Instances": [self.show_instance(i) for i in launched],
        }

    def _launch(
        self,
        ctx: Ctx,
        spec: dict[str, Any],
        image: Record,
        info: dict[str, Any],
        subnet: Record,
        groups: list[str],
        profile: dict[str, Any] | None,
        reservation: str,
        index: int,
        tags: list,
        volume_tags: list,
        eni_tags: list,
        primary_spec: dict[str, Any] | None,
    ) -> Record:
        instance_id = core.new_id("i")
        now = core.now()
        eni = self.create_interface(
            ctx,
            subnet,
            groups,
            (primary_spec or {}).get("Description") or "",
            "interface",
            private_ip=spec.get("PrivateIpAddress") or (primary_spec or {}).get("PrivateIpAddress"),
            tags=list(eni_tags),
            persist=False,  # saved once attached, below
        )
        metadata = {**self.metadata_defaults(ctx), **(spec.get("MetadataOptions") or {})}
        cpus = info["VCpuInfo"]
        record: Record = {
            "Architecture": image["Architecture"],
            "BlockDeviceMappings": [],
            "ClientToken": spec.get("ClientToken") or "",
            "EbsOptimized": bool(spec.get("EbsOptimized")),
            "EnaSupport": True,
            "Hypervisor": "xen",
            "NetworkInterfaces": [],
            "RootDeviceName": image.get("RootDeviceName") or "/dev/xvda",
            "RootDeviceType": "ebs",
            "SecurityGroups": [
                {"GroupId": g, "GroupName": ctx.state.kind("sg")[g]["GroupName"]} for g in groups
            ],
            "SourceDestCheck": True,
            "VirtualizationType": "hvm",
            "CpuOptions": {
                "CoreCount": cpus["DefaultCores"],
                "ThreadsPerCore": cpus["DefaultThreadsPerCore"],
            },
            "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
            "HibernationOptions": {
                "Configured": bool((spec.get("HibernationOptions") or {}).get("Configured"))
            },
            "MetadataOptions": {
                "State": "pending",
                "HttpTokens": metadata.get("HttpTokens") or "required",
                "HttpPutResponseHopLimit": metadata.get("HttpPutResponseHopLimit") or 2,
                "HttpEndpoint": metadata.get("HttpEndpoint") or "enabled",
                "HttpProtocolIpv6": metadata.get("HttpProtocolIpv6") or "disabled",
                "InstanceMetadataTags": metadata.get("InstanceMetadataTags") or "disabled",
            },
            "EnclaveOptions": {"Enabled": bool((spec.get("EnclaveOptions") or {}).get("Enabled"))},
            "BootMode": image.get("BootMode") or "uefi-preferred",
            "PlatformDetails": image.get("PlatformDetails") or "Linux/UNIX",
            "UsageOperation": image.get("UsageOperation") or "RunInstances",
            "UsageOperationUpdateTime": now,
            "PrivateDnsNameOptions": {
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": False,
                "EnableResourceNameDnsAAAARecord": False,
            },
            "MaintenanceOptions": {"AutoRecovery": "default", "RebootMigration": "default"},
            "CurrentInstanceBootMode": "uefi" if image["Architecture"] == "arm64" else "legacy-bios",
            "InstanceId": instance_id,
            "ImageId": image["ImageId"],
            "State": _state("pending"),
            "PrivateDnsName": eni["PrivateDnsName"],
            "PublicDnsName": "",
            "StateTransitionReason": "",
            "AmiLaunchIndex": index,
            "ProductCodes": [],
            "InstanceType": info["InstanceType"],
            "LaunchTime": now,
            "Placement": {
                "AvailabilityZone": subnet["AvailabilityZone"],
                "AvailabilityZoneId": subnet["AvailabilityZoneId"],
                "GroupName": (spec.get("Placement") or {}).get("GroupName") or "",
                "Tenancy": (spec.get("Placement") or {}).get("Tenancy") or "default",
            },
            "Monitoring": {
                "State": "enabled" if (spec.get("Monitoring") or {}).get("Enabled") else "disabled"
            },
            "SubnetId": subnet["SubnetId"],
            "VpcId": subnet["VpcId"],
            "PrivateIpAddress": eni["PrivateIpAddress"],
            "_reservation": reservation,
            "_owner": ctx.account,
            "_user_data": spec.get("UserData") or "",
            "_attrs": {
                "disableApiTermination": bool(spec.get("DisableApiTermination")),
                "disableApiStop": bool(spec.get("DisableApiStop")),
                "instanceInitiatedShutdownBehavior": spec.get("InstanceInitiatedShutdownBehavior") or "stop",
            },
            "_credit": (spec.get("CreditSpecification") or {}).get("CpuCredits")
            or (
                "unlimited"
                if info["BurstablePerformanceSupported"] and not info["InstanceType"].startswith("t2")
                else "standard"
            ),
            "_kind": "i",
            "_id": instance_id,
        }
        if spec.get("KeyName"):
            record["KeyName"] = spec["KeyName"]
        if image.get("Platform"):
            record["Platform"] = image["Platform"]
        if profile:
            record["IamInstanceProfile"] = {"Arn": profile["Arn"], "Id": profile["Id"]}
            record["_profile"] = profile["_name"]
            record["_profile_association"] = {"AssociationId": core.new_id("iip-assoc"), "Timestamp": now}
        if spec.get("Placement", {}).get("PartitionNumber"):
            record["Placement"]["PartitionNumber"] = spec["Placement"]["PartitionNumber"]
        public_ip = (primary_spec or {}).get("AssociatePublicIpAddress")
        if public_ip is None:
            public_ip = subnet["MapPublicIpOnLaunch"]
        if public_ip:
            address = self.new_public_ip(ctx)
            eni["Association"] = {
                "IpOwnerId": "amazon",
                "PublicDnsName": public_dns(ctx.region, address),
                "PublicIp": address,
            }
        record["_seq"] = 0
        self.attach_interface(ctx, eni, record, 0, True)
        self.instance_addresses_changed(ctx, record)
        # The root volume, from the image's block device mappings (and the request's overrides).
        overrides = {m.get("DeviceName"): m for m in spec.get("BlockDeviceMappings") or ()}
        for mapping in image.get("BlockDeviceMappings") or [
            {
                "DeviceName": record["RootDeviceName"],
                "Ebs": {"VolumeSize": 8, "VolumeType": "gp2", "DeleteOnTermination": True},
            }
        ]:
            ebs = {
                **(mapping.get("Ebs") or {}),
                **((overrides.pop(mapping.get("DeviceName"), None) or {}).get("Ebs") or {}),
            }
            self._attach_new_volume(ctx, record, mapping["DeviceName"], ebs, volume_tags, now)
        for device, mapping in overrides.items():
            if mapping.get("Ebs"):
                self._attach_new_volume(ctx, record, device, mapping["Ebs"], volume_tags, now)
        self.later(ctx, record, PENDING_SECONDS)
        self.new(ctx, "i", instance_id, record, list(tags))
        return record

    def _attach_new_volume(
        self, ctx: Ctx, instance: Record, device: str, ebs: dict[str, Any], tags: list, now: datetime
    ) -> None:
        volume_type = ebs.get("VolumeType") or "gp2"
        volume = self.new_volume(
            ctx,
            instance["Placement"]["AvailabilityZone"],
            int(ebs.get("VolumeSize") or 8),
            volume_type,
            list(tags),
            snapshot=ebs.get("SnapshotId"),
            encrypted=bool(ebs.get("Encrypted")),
            iops=ebs.get("Iops"),
            throughput=ebs.get("Throughput"),
            state="in-use",
            attachment={
                "AttachTime": now,
                "Device": device,
                "InstanceId": instance["InstanceId"],
                "State": "attached",
                "DeleteOnTermination": bool(ebs.get("DeleteOnTermination", True)),
            },
        )
        delete = volume["Attachments"][0]["DeleteOnTermination"]
        instance["BlockDeviceMappings"].append(
            {
                "DeviceName": device,
                "Ebs": {
                    "AttachTime": now,
                    "DeleteOnTermination": bool(delete),
                    "Status": "attached",
                    "VolumeId": volume["VolumeId"],
                },
            }
        )

    def instance_addresses_changed(self, ctx: Ctx, instance: Record) -> None:
        primary = next(
            (n for n in instance["NetworkInterfaces"] if n["Attachment"].get("DeviceIndex") == 0), None
        )
        association = (primary or {}).get("Association")
        running = instance["State"]["Name"] in ("pending", "running")
        if association and (
            running
            or "AllocationId"
            in (self.find(ctx, "eni", (primary or {}).get("NetworkInterfaceId")) or {}).get("Association", {})
        ):
            instance["PublicIpAddress"] = association["PublicIp"]
            instance["PublicDnsName"] = association["PublicDnsName"]
        else:
            instance.pop("PublicIpAddress", None)
            instance["PublicDnsName"] = ""

    def show_instance(self, record: Record) -> dict[str, Any]:
        shown = core.public(record)
        if shown["State"]["Name"] == "terminated":
            for key in ("PrivateIpAddress", "PublicIpAddress", "SubnetId", "VpcId"):
                shown.pop(key, None)
            shown["PrivateDnsName"] = ""
        return shown

    def metadata_defaults(self, ctx: Ctx) -> dict[str, Any]:
        """The account's instance metadata defaults, which new instances take (account.py)."""
        return {}

    def imds_credentials_forget(self, instance_id: str) -> None:
        """Drop the IMDS credentials cached for an instance whose profile changed (imds.py)."""

    # -- state machine ---------------------------------------------------------------------------

    def announce(self, ctx: Ctx, instance: Record) -> None:
        bus = self.runtime.bus
        if not bus.has_subscribers("events:put"):
            return
        bus.publish(
            "events:put",
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "EC2 Instance State-change Notification",
                "source": "aws.ec2",
                "account": ctx.account,
                "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": ctx.region,
                "resources": [f"arn:aws:ec2:{ctx.region}:{ctx.account}:instance/{instance['InstanceId']}"],
                "detail": {"instance-id": instance["InstanceId"], "state": instance["State"]["Name"]},
            },
        )

    def _move(self, ctx: Ctx, instance: Record, state: str, reason: str | None = None) -> dict[str, Any]:
        previous = dict(instance["State"])
        instance["State"] = _state(state)
        if reason is not None:
            instance["StateTransitionReason"] = reason
        self.announce(ctx, instance)
        return previous

    def advance_i(self, ctx: Ctx, instance: Record) -> None:
        state = instance["State"]["Name"]
        if state == "pending":
            self._move(ctx, instance, "running")
            instance["MetadataOptions"]["State"] = "applied"
            self.revive_routes(ctx, "InstanceId", instance["InstanceId"], instance.get("VpcId") or "")
        elif state == "stopping":
            self._move(ctx, instance, "stopped")
            instance["StateReason"] = {
                "Code": "Client.UserInitiatedShutdown",
                "Message": "Client.UserInitiatedShutdown: User initiated shutdown",
            }
        elif state == "shutting-down":
            self._move(ctx, instance, "terminated")
            self._release(ctx, instance)
            self.later(ctx, instance, TERMINATED_VISIBLE_SECONDS)
        elif state == "terminated":
            self.drop(ctx, instance)
            return
        self.save(ctx, instance)

    def _release(self, ctx: Ctx, instance: Record) -> None:
        """What a terminated instance lets go: its interfaces and the volumes set to go with it."""
        for item in list(instance["NetworkInterfaces"]):
            eni = self.find(ctx, "eni", item["NetworkInterfaceId"])
            if eni is None:
                continue
            if (eni.get("Attachment") or {}).get("DeleteOnTermination"):
                eni.pop("Attachment", None)
                self.delete_interface(ctx, eni)
            else:
                eni.pop("Attachment", None)
                eni["Status"] = "available"
                self.save(ctx, eni)
        for item in instance["NetworkInterfaces"]:
            item["Status"] = "detached"
        instance["NetworkInterfaces"] = []
        for mapping in instance["BlockDeviceMappings"]:
            volume = self.find(ctx, "vol", mapping["Ebs"]["VolumeId"])
            if volume is None:
                continue
            if mapping["Ebs"]["DeleteOnTermination"]:
                self.drop(ctx, volume)
            else:
                volume["Attachments"] = []
                volume["State"] = "available"
                self.save(ctx, volume)
        instance["BlockDeviceMappings"] = []
        instance.pop("PublicIpAddress", None)
        instance["PublicDnsName"] = ""
        self.blackhole(ctx, "InstanceId", instance["InstanceId"])

    def _instances(self, ctx: Ctx, params: dict) -> list[Record]:
        ids = params.get("InstanceIds")
        if not ids:
            raise core.missing("InstanceId")
        return [self.get(ctx, "i", i, "InstanceId") for i in dict.fromkeys(ids)]

    def _changes(self, changes: list[tuple[Record, dict[str, Any]]]) -> list[dict[str, Any]]:
        return [
            {"CurrentState": dict(i["State"]), "InstanceId": i["InstanceId"], "PreviousState": previous}
            for i, previous in changes
        ]

    def start_instances(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instances = self._instances(ctx, params)
        for instance in instances:
            if instance["State"]["Name"] not in ("stopped", "running", "pending"):
                raise core.error(
                    "IncorrectInstanceState",
                    f"The instance '{instance['InstanceId']}' is not in a state from which it can be started.",
                )
        changes = []
        with self.store.transaction():
            for instance in instances:
                if instance["State"]["Name"] != "stopped":
                    changes.append((instance, dict(instance["State"])))
                    continue
                previous = self._move(ctx, instance, "pending", "")
                instance.pop("StateReason", None)
                if instance["NetworkInterfaces"]:
                    self._public_ip_on_start(ctx, instance)
                self.later(ctx, instance, PENDING_SECONDS)
                self.save(ctx, instance)
                changes.append((instance, previous))
        return {"StartingInstances": self._changes(changes)}

    def _public_ip_on_start(self, ctx: Ctx, instance: Record) -> None:
        primary = instance["NetworkInterfaces"][0]
        eni = self.find(ctx, "eni", primary["NetworkInterfaceId"])
        subnet = self.find(ctx, "subnet", instance.get("SubnetId"))
        if (
            eni is not None
            and not eni.get("Association")
            and instance.get("_had_public")
            and subnet is not None
        ):
            address = self.new_public_ip(ctx)
            eni["Association"] = {
                "IpOwnerId": "amazon",
                "PublicDnsName": public_dns(ctx.region, address),
                "PublicIp": address,
            }
            self.save(ctx, eni)
            self.refresh_instance_interfaces(ctx, instance["InstanceId"])

    def stop_instances(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instances = self._instances(ctx, params)
        for instance in instances:
            if instance["_attrs"]["disableApiStop"]:
                raise core.error(
                    "OperationNotPermitted",
                    f"The instance '{instance['InstanceId']}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.",
                )
            if instance["State"]["Name"] in ("shutting-down", "terminated"):
                raise core.error(
                    "IncorrectInstanceState",
                    f"This instance '{instance['InstanceId']}' is not in a state from which it can be stopped.",
                )
        changes = []
        with self.store.transaction():
            for instance in instances:
                if instance["State"]["Name"] in ("stopping", "stopped"):
                    changes.append((instance, dict(instance["State"])))
                    continue
                previous = self._move(ctx, instance, "stopping", f"User initiated ({_stamp(core.now())})")
                instance["StateReason"] = {
                    "Code": "Client.UserInitiatedShutdown",
                    "Message": "Client.UserInitiatedShutdown: User initiated shutdown",
                }
                self._drop_public_ip(ctx, instance)
                self.blackhole(ctx, "InstanceId", instance["InstanceId"])
                self.later(ctx, instance, STOPPING_SECONDS)
                self.save(ctx, instance)
                changes.append((instance, previous))
        return {"StoppingInstances": self._changes(changes)}

    def _drop_public_ip(self, ctx: Ctx, instance: Record) -> None:
        """A stopped instance loses its automatic public address (not an Elastic IP)."""
        if not instance["NetworkInterfaces"]:
            return
        eni = self.find(ctx, "eni", instance["NetworkInterfaces"][0]["NetworkInterfaceId"])
        if eni is not None and eni.get("Association") and "AllocationId" not in eni["Association"]:
            eni.pop("Association")
            instance["_had_public"] = True
            self.save(ctx, eni)
            self.refresh_instance_interfaces(ctx, instance["InstanceId"])

    def terminate_instances(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instances = self._instances(ctx, params)
        for instance in instances:
            if instance["_attrs"]["disableApiTermination"]:
                raise core.error(
                    "OperationNotPermitted",
                    f"The instance '{instance['InstanceId']}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.",
                )
        changes = []
        with self.store.transaction():
            for instance in instances:
                if instance["State"]["Name"] in ("shutting-down", "terminated"):
                    changes.append((instance, dict(instance["State"])))
                    continue
                previous = self._move(
                    ctx, instance, "shutting-down", f"User initiated ({_stamp(core.now())})"
                )
                instance["StateReason"] = {
                    "Code": "Client.UserInitiatedShutdown",
                    "Message": "Client.UserInitiatedShutdown: User initiated shutdown",
                }
                self.later(ctx, instance, SHUTTING_DOWN_SECONDS)
                self.save(ctx, instance)
                changes.append((instance, previous))
        return {"TerminatingInstances": self._changes(changes)}

    def reboot_instances(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        for instance in self._instances(ctx, params):
            if instance["State"]["Name"] == "terminated":
                raise core.error(
                    "IncorrectInstanceState",
                    f"The instance '{instance['InstanceId']}' is not in a state from which it can be rebooted.",
                )
            instance["_boots"] = instance.get("_boots", 0) + 1
            self.save(ctx, instance)
        return {}

    # -- describe --------------------------------------------------------------------------------

    def describe_instances(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        if params.get("InstanceIds") and params.get("MaxResults") is not None:
            raise core.invalid(
                "The parameter instancesSet cannot be used with the parameter maxResults",
                "InvalidParameterCombination",
            )
        found = self.select(ctx, "i", params, params.get("InstanceIds"))
        found, token = core.page(found, params, "i", 5, 1000)
        reservations: dict[str, dict[str, Any]] = {}
        for instance in found:
            reservation = reservations.get(instance["_reservation"])
            if reservation is None:
                reservation = reservations[instance["_reservation"]] = {
                    "ReservationId": instance["_reservation"],
                    "OwnerId": instance["_owner"],
                    "Groups": [],
                    "Instances": [],
                }
            reservation["Instances"].append(self.show_instance(instance))
        out: dict[str, Any] = {"Reservations": list(reservations.values())}
        if token:
            out["NextToken"] = token
        return out

    def describe_instance_status(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = self.select(ctx, "i", {}, params.get("InstanceIds"))
        if not params.get("IncludeAllInstances"):
            found = [i for i in found if i["State"]["Name"] == "running"]
        statuses = []
        for instance in found:
            running = instance["State"]["Name"] == "running"
            status = "ok" if running else "not-applicable"
            reach = [{"Name": "reachability", "Status": "passed"}] if running else []
            statuses.append(
                {
                    "AvailabilityZone": instance["Placement"]["AvailabilityZone"],
                    "AvailabilityZoneId": instance["Placement"].get("AvailabilityZoneId"),
                    "InstanceId": instance["InstanceId"],
                    "InstanceState": dict(instance["State"]),
                    "InstanceStatus": {"Status": status, "Details": reach},
                    "SystemStatus": {"Status": status, "Details": reach},
                    "AttachedEbsStatus": {"Status": status, "Details": reach},
                }
            )
        filters = core.compile_filters("_status", params.get("Filters"))
        statuses = [s for s in statuses if all(f(s) for f in filters)]
        statuses, token = core.page(statuses, params, "status", 5, 1000)
        out: dict[str, Any] = {"InstanceStatuses": statuses}
        if token:
            out["NextToken"] = token
        return out

    def get_console_output(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        out: dict[str, Any] = {"InstanceId": instance["InstanceId"], "Timestamp": core.now()}
        if instance["State"]["Name"] in ("running", "stopping", "stopped"):
            launched = instance["LaunchTime"].strftime("%a %b %d %H:%M:%S UTC %Y")
            lines = [
                f"[    0.000000] Linux version 6.1 (mockbuild@ip-10-0-0-1) {launched}",
                f"[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz root=UUID={instance['InstanceId']} ro console=ttyS0",
                f"[    1.200000] cloud-init[1]: Cloud-init v. 22.2.2 running 'init' at {launched}.",
                f"[    1.300000] cloud-init[1]: ci-info: | eth0 | True | {instance.get('PrivateIpAddress', '')} | {instance['NetworkInterfaces'][0]['MacAddress'] if instance['NetworkInterfaces'] else ''} |",
                "[    2.000000] cloud-init[1]: Cloud-init v. 22.2.2 finished. Datasource DataSourceEc2.",
                f"{instance['PrivateDnsName'].split('.')[0]} login: ",
            ]
            out["Output"] = base64.b64encode(("\n".join(lines) + "\n").encode()).decode()
        return out

    def get_console_screenshot(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        raise core.error(
            "UnsupportedOperation",
            f"The instance {instance['InstanceId']} has no graphics console to capture.",
        )

    # -- attributes ------------------------------------------------------------------------------

    ATTRIBUTES = (
        "instanceType",
        "kernel",
        "ramdisk",
        "userData",
        "disableApiTermination",
        "instanceInitiatedShutdownBehavior",
        "rootDeviceName",
        "blockDeviceMapping",
        "productCodes",
        "sourceDestCheck",
        "groupSet",
        "ebsOptimized",
        "sriovNetSupport",
        "enaSupport",
        "enclaveOptions",
        "disableApiStop",
    )

    def describe_instance_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        attribute = params.get("Attribute")
        if attribute not in self.ATTRIBUTES:
            raise core.invalid(
                f"Value ({attribute}) for parameter attribute is invalid. {attribute} is not a valid attribute."
            )
        out: dict[str, Any] = {"InstanceId": instance["InstanceId"]}
        attrs = instance["_attrs"]
        if attribute == "instanceType":
            out["InstanceType"] = {"Value": instance["InstanceType"]}
        elif attribute == "userData":
            out["UserData"] = {"Value": instance["_user_data"]} if instance["_user_data"] else {}
        elif attribute == "disableApiTermination":
            out["DisableApiTermination"] = {"Value": attrs["disableApiTermination"]}
        elif attribute == "disableApiStop":
            out["DisableApiStop"] = {"Value": attrs["disableApiStop"]}
        elif attribute == "instanceInitiatedShutdownBehavior":
            out["InstanceInitiatedShutdownBehavior"] = {"Value": attrs["instanceInitiatedShutdownBehavior"]}
        elif attribute == "rootDeviceName":
            out["RootDeviceName"] = {"Value": instance["RootDeviceName"]}
        elif attribute == "blockDeviceMapping":
            out["BlockDeviceMappings"] = instance["BlockDeviceMappings"]
        elif attribute == "productCodes":
            out["ProductCodes"] = []
        elif attribute == "sourceDestCheck":
            out["SourceDestCheck"] = {"Value": instance["SourceDestCheck"]}
        elif attribute == "groupSet":
            out["Groups"] = instance["SecurityGroups"]
        elif attribute == "ebsOptimized":
            out["EbsOptimized"] = {"Value": instance["EbsOptimized"]}
        elif attribute == "sriovNetSupport":
            out["SriovNetSupport"] = {}
        elif attribute == "enaSupport":
            out["EnaSupport"] = {"Value": instance["EnaSupport"]}
        elif attribute == "enclaveOptions":
            out["EnclaveOptions"] = instance["EnclaveOptions"]
        elif attribute in ("kernel", "ramdisk"):
            out["KernelId" if attribute == "kernel" else "RamdiskId"] = {}
        return out

    def modify_instance_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        attrs = instance["_attrs"]
        value = params.get("Value")
        attribute = params.get("Attribute")

        def given(member: str, name: str) -> Any:
            item = params.get(member)
            if isinstance(item, dict) and "Value" in item:
                return item["Value"]
            if attribute == name and value is not None:
                return value
            return None

        stopped = instance["State"]["Name"] == "stopped"
        changed = False
        for member, name in (
            ("DisableApiTermination", "disableApiTermination"),
            ("DisableApiStop", "disableApiStop"),
        ):
            found = given(member, name)
            if found is not None:
                attrs[name] = found in (True, "true", "True")
                changed = True
        behaviour = given("InstanceInitiatedShutdownBehavior", "instanceInitiatedShutdownBehavior")
        if behaviour is not None:
            if behaviour not in ("stop", "terminate"):
                raise core.invalid(
                    f"Value ({behaviour}) for parameter instanceInitiatedShutdownBehavior is invalid."
                )
            attrs["instanceInitiatedShutdownBehavior"] = behaviour
            changed = True
        new_type = given("InstanceType", "instanceType")
        if new_type is not None:
            if not stopped:
                raise core.error(
                    "IncorrectInstanceState",
                    f"The instance '{instance['InstanceId']}' is not in the 'stopped' state.",
                )
            if new_type not in catalog.instance_types():
                raise core.invalid(
                    f"The instance type '{new_type}' does not exist", "InvalidInstanceAttributeValue"
                )
            instance["InstanceType"] = new_type
            changed = True
        user_data = given("UserData", "userData")
        if user_data is not None:
            if not stopped:
                raise core.error(
                    "IncorrectInstanceState",
                    f"The instance '{instance['InstanceId']}' is not in the 'stopped' state.",
                )
            instance["_user_data"] = (
                base64.b64encode(user_data).decode() if isinstance(user_data, bytes) else user_data
            )
            changed = True
        for member, name, field in (
            ("SourceDestCheck", "sourceDestCheck", "SourceDestCheck"),
            ("EbsOptimized", "ebsOptimized", "EbsOptimized"),
            ("EnaSupport", "enaSupport", "EnaSupport"),
        ):
            found = given(member, name)
            if found is not None:
                instance[field] = found in (True, "true", "True")
                changed = True
        if params.get("Groups"):
            subnet = ctx.state.kind("subnet").get(instance.get("SubnetId") or "")
            if subnet is not None:
                groups = self._groups(ctx, subnet, params["Groups"])
                instance["SecurityGroups"] = [
                    {"GroupId": g, "GroupName": ctx.state.kind("sg")[g]["GroupName"]} for g in groups
                ]
                eni = (
                    self.find(ctx, "eni", instance["NetworkInterfaces"][0]["NetworkInterfaceId"])
                    if instance["NetworkInterfaces"]
                    else None
                )
                if eni is not None:
                    eni["Groups"] = instance["SecurityGroups"]
                    self.save(ctx, eni)
                    self.refresh_instance_interfaces(ctx, instance["InstanceId"])
                changed = True
        for mapping in params.get("BlockDeviceMappings") or ():
            for existing in instance["BlockDeviceMappings"]:
                if existing["DeviceName"] == mapping.get("DeviceName") and "DeleteOnTermination" in (
                    mapping.get("Ebs") or {}
                ):
                    existing["Ebs"]["DeleteOnTermination"] = bool(mapping["Ebs"]["DeleteOnTermination"])
                    changed = True
        if not changed:
            raise core.missing("Attribute")
        self.save(ctx, instance)
        return {}

    def reset_instance_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        if params.get("Attribute") == "sourceDestCheck":
            instance["SourceDestCheck"] = True
        self.save(ctx, instance)
        return {}

    def modify_instance_metadata_options(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        options = instance["MetadataOptions"]
        for key in (
            "HttpTokens",
            "HttpPutResponseHopLimit",
            "HttpEndpoint",
            "HttpProtocolIpv6",
            "InstanceMetadataTags",
        ):
            if params.get(key) is not None:
                options[key] = params[key]
        if options["HttpTokens"] not in ("optional", "required"):
            raise core.invalid(f"Value ({options['HttpTokens']}) for parameter httpTokens is invalid.")
        self.save(ctx, instance)
        return {
            "InstanceId": instance["InstanceId"],
            "InstanceMetadataOptions": {**options, "State": "pending"},
        }

    def describe_instance_credit_specifications(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = self.select(ctx, "i", {}, params.get("InstanceIds"))
        found = [
            i
            for i in found
            if catalog.instance_types()[i["InstanceType"]]["BurstablePerformanceSupported"]
            and i["State"]["Name"] != "terminated"
        ]
        found, token = core.page(found, params, "credit", 5, 1000)
        out: dict[str, Any] = {
            "InstanceCreditSpecifications": [
                {"InstanceId": i["InstanceId"], "CpuCredits": i["_credit"]} for i in found
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    def modify_instance_credit_specification(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        done, failed = [], []
        for item in params.get("InstanceCreditSpecifications") or ():
            instance = self.find(ctx, "i", item.get("InstanceId"))
            if instance is None:
                code, message = core.NOT_FOUND["i"]
                failed.append(
                    {
                        "InstanceId": item.get("InstanceId"),
                        "Error": {"Code": code, "Message": message.format(item.get("InstanceId"))},
                    }
                )
                continue
            instance["_credit"] = item.get("CpuCredits") or "standard"
            self.save(ctx, instance)
            done.append({"InstanceId": instance["InstanceId"]})
        return {
            "SuccessfulInstanceCreditSpecifications": done,
            "UnsuccessfulInstanceCreditSpecifications": failed,
        }

    def monitor_instances(self, context: RequestContext, params: dict) -> dict:
        return self._monitoring(context, params, "enabled")

    def unmonitor_instances(self, context: RequestContext, params: dict) -> dict:
        return self._monitoring(context, params, "disabled")

    def _monitoring(self, context: RequestContext, params: dict, state: str) -> dict:
        ctx = self.ctx(context)
        out = []
        for instance in self._instances(ctx, params):
            instance["Monitoring"] = {"State": state}
            self.save(ctx, instance)
            out.append(
                {
                    "InstanceId": instance["InstanceId"],
                    "Monitoring": {"State": "pending" if state == "enabled" else "disabling"},
                }
            )
        return {"InstanceMonitorings": out}

    def get_launch_template_data(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        data: dict[str, Any] = {
            "ImageId": instance["ImageId"],
            "InstanceType": instance["InstanceType"],
            "SecurityGroupIds": [g["GroupId"] for g in instance["SecurityGroups"]],
            "Monitoring": {"Enabled": instance["Monitoring"]["State"] == "enabled"},
            "Placement": {
                "AvailabilityZone": instance["Placement"]["AvailabilityZone"],
                "Tenancy": instance["Placement"]["Tenancy"],
            },
            "DisableApiTermination": instance["_attrs"]["disableApiTermination"],
            "InstanceInitiatedShutdownBehavior": instance["_attrs"]["instanceInitiatedShutdownBehavior"],
            "EbsOptimized": instance["EbsOptimized"],
            "MetadataOptions": {k: v for k, v in instance["MetadataOptions"].items()},
        }
        if instance.get("KeyName"):
            data["KeyName"] = instance["KeyName"]
        if instance["_user_data"]:
            data["UserData"] = instance["_user_data"]
        if instance.get("IamInstanceProfile"):
            data["IamInstanceProfile"] = {"Arn": instance["IamInstanceProfile"]["Arn"]}
        return {"LaunchTemplateData": data}

    # -- launch templates ------------------------------------------------------------------------

    def launch_template(self, ctx: Ctx, template_id: str | None, name: str | None) -> Record:
        if template_id:
            return self.get(ctx, "lt", template_id, "LaunchTemplateId")
        if name:
            for template in ctx.state.kind("lt").values():
                if template["LaunchTemplateName"] == name:
                    return template
            raise core.invalid(
                f"The specified launch template, with template name {name}, does not exist.",
                "InvalidLaunchTemplateName.NotFoundException",
            )
        raise core.missing("LaunchTemplateId")

    @staticmethod
    def template_version(template: Record, version: Any) -> dict[str, Any]:
        if version in (None, "", "$Default"):
            number = template["DefaultVersionNumber"]
        elif version == "$Latest":
            number = template["LatestVersionNumber"]
        else:
            try:
                number = int(version)
            except (TypeError, ValueError):
                raise core.invalid(
                    f"Invalid launch template version: {version}", "InvalidLaunchTemplateVersion"
                ) from None
        found = template["_versions"].get(str(number))
        if found is None:
            raise core.error(
                "InvalidLaunchTemplateId.VersionNotFound",
                f"Could not find launch template version {version} for launch template {template['LaunchTemplateId']}",
            )
        return found

    def _show_version(self, template: Record, version: dict[str, Any]) -> dict[str, Any]:
        return {**version, "DefaultVersion": version["VersionNumber"] == template["DefaultVersionNumber"]}

    def create_launch_template(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        name = params.get("LaunchTemplateName")
        if not name:
            raise core.missing("LaunchTemplateName")
        if any(t["LaunchTemplateName"] == name for t in ctx.state.kind("lt").values()):
            raise core.invalid(
                "Launch template name already in use.", "InvalidLaunchTemplateName.AlreadyExistsException"
            )
        template_id = core.new_id("lt")
        now = core.now()
        creator = context.principal_arn or f"arn:aws:iam::{ctx.account}:root"
        version = {
            "LaunchTemplateId": template_id,
            "LaunchTemplateName": name,
            "VersionNumber": 1,
            "CreateTime": now,
            "CreatedBy": creator,
            "LaunchTemplateData": params.get("LaunchTemplateData") or {},
        }
        if params.get("VersionDescription"):
            version["VersionDescription"] = params["VersionDescription"]
        record: Record = {
            "LaunchTemplateId": template_id,
            "LaunchTemplateName": name,
            "CreateTime": now,
            "CreatedBy": creator,
            "DefaultVersionNumber": 1,
            "LatestVersionNumber": 1,
            "_versions": {"1": version},
        }
        self.new(ctx, "lt", template_id, record, self.tag_specs(params, "launch-template"))
        return {"LaunchTemplate": core.public(record)}

    def create_launch_template_version(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        template = self.launch_template(ctx, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        data = dict(params.get("LaunchTemplateData") or {})
        if params.get("SourceVersion"):
            data = {**self.template_version(template, params["SourceVersion"])["LaunchTemplateData"], **data}
        number = template["LatestVersionNumber"] + 1
        version = {
            "LaunchTemplateId": template["LaunchTemplateId"],
            "LaunchTemplateName": template["LaunchTemplateName"],
            "VersionNumber": number,
            "CreateTime": core.now(),
            "CreatedBy": context.principal_arn or f"arn:aws:iam::{ctx.account}:root",
            "LaunchTemplateData": data,
        }
        if params.get("VersionDescription"):
            version["VersionDescription"] = params["VersionDescription"]
        template["_versions"][str(number)] = version
        template["LatestVersionNumber"] = number
        self.save(ctx, template)
        return {"LaunchTemplateVersion": self._show_version(template, version)}

    def describe_launch_templates(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        ids = list(params.get("LaunchTemplateIds") or [])
        for name in params.get("LaunchTemplateNames") or ():
            ids.append(self.launch_template(ctx, None, name)["LaunchTemplateId"])
        found = self.select(ctx, "lt", params, ids)
        found, token = core.page(found, params, "lt", 1, 200)
        out: dict[str, Any] = {"LaunchTemplates": [core.public(t) for t in found]}
        if token:
            out["NextToken"] = token
        return out

    def describe_launch_template_versions(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        if params.get("LaunchTemplateId") or params.get("LaunchTemplateName"):
            templates = [
                self.launch_template(ctx, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
            ]
        else:
            templates = list(ctx.state.kind("lt").values())
        versions: list[dict[str, Any]] = []
        for template in templates:
            wanted = params.get("Versions")
            if wanted:
                chosen = [self.template_version(template, v) for v in wanted]
            else:
                chosen = sorted(template["_versions"].values(), key=lambda v: -v["VersionNumber"])
            low, high = params.get("MinVersion"), params.get("MaxVersion")
            chosen = [
                v
                for v in chosen
                if (low is None or v["VersionNumber"] >= int(low))
                and (high is None or v["VersionNumber"] <= int(high))
            ]
            versions.extend(self._show_version(template, v) for v in chosen)
        for flt in params.get("Filters") or ():
            values = flt.get("Values") or []
            if flt.get("Name") == "is-default-version":
                versions = [v for v in versions if ("true" if v["DefaultVersion"] else "false") in values]
        versions, token = core.page(versions, params, "ltv", 1, 200)
        out: dict[str, Any] = {"LaunchTemplateVersions": versions}
        if token:
            out["NextToken"] = token
        return out

    def modify_launch_template(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        template = self.launch_template(ctx, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        default = params.get("DefaultVersion")
        if default is not None:
            version = self.template_version(template, default)
            template["DefaultVersionNumber"] = version["VersionNumber"]
        self.save(ctx, template)
        return {"LaunchTemplate": core.public(template)}

    def delete_launch_template(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        template = self.launch_template(ctx, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        self.drop(ctx, template)
        return {"LaunchTemplate": core.public(template)}

    def delete_launch_template_versions(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        template = self.launch_template(ctx, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        done, failed = [], []
        for version in params.get("Versions") or ():
            number = str(version)
            base = {
                "LaunchTemplateId": template["LaunchTemplateId"],
                "LaunchTemplateName": template["LaunchTemplateName"],
            }
            if number == str(template["DefaultVersionNumber"]):
                failed.append(
                    {
                        **base,
                        "VersionNumber": int(number) if number.isdigit() else 0,
                        "ResponseError": {
                            "Code": "launchTemplateVersionIsDefault",
                            "Message": "Cannot delete the default version of a launch template",
                        },
                    }
                )
            elif number in template["_versions"]:
                del template["_versions"][number]
                done.append({**base, "VersionNumber": int(number)})
            else:
                failed.append(
                    {
                        **base,
                        "VersionNumber": int(number) if number.isdigit() else 0,
                        "ResponseError": {
                            "Code": "launchTemplateVersionDoesNotExist",
                            "Message": f"Version {number} does not exist",
                        },
                    }
                )
        self.save(ctx, template)
        return {
            "SuccessfullyDeletedLaunchTemplateVersions": done,
            "UnsuccessfullyDeletedLaunchTemplateVersions": failed,
        }

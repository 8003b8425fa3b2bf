"""EBS volumes (creating → available → in-use, attaching/detaching), snapshots (pending →
completed) and placement groups."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.services.ec2 import catalog, core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import FILTERS, Record
from overcast.services.ec2.images import ImageMixin

VOLUME_CREATING_SECONDS = 1.0
ATTACH_SECONDS = 0.5
SNAPSHOT_SECONDS = 1.0
DEFAULT_SIZES = {"gp2": 8, "gp3": 8, "io1": 4, "io2": 4, "st1": 125, "sc1": 125, "standard": 1}
IOPS = {"gp3": 3000, "io1": 100, "io2": 100}


def _attachments(key: str) -> Any:
    return lambda r: [a.get(key) for a in r["Attachments"]]


FILTERS["vol"] = {
    "attachment.attach-time": _attachments("AttachTime"),
    "attachment.delete-on-termination": _attachments("DeleteOnTermination"),
    "attachment.device": _attachments("Device"),
    "attachment.instance-id": _attachments("InstanceId"),
    "attachment.status": _attachments("State"),
    "availability-zone": lambda r: r["AvailabilityZone"],
    "availability-zone-id": lambda r: r.get("AvailabilityZoneId"),
    "create-time": lambda r: r["CreateTime"],
    "encrypted": lambda r: r["Encrypted"],
    "multi-attach-enabled": lambda r: r["MultiAttachEnabled"],
    "fast-restored": lambda r: r.get("FastRestored", False),
    "size": lambda r: r["Size"],
    "snapshot-id": lambda r: r.get("SnapshotId"),
    "status": lambda r: r["State"],
    "volume-id": lambda r: r["VolumeId"],
    "volume-type": lambda r: r["VolumeType"],
}
FILTERS["snap"] = {
    "description": lambda r: r.get("Description"),
    "encrypted": lambda r: r["Encrypted"],
    "owner-alias": lambda r: r.get("OwnerAlias"),
    "owner-id": lambda r: r["OwnerId"],
    "progress": lambda r: r["Progress"],
    "snapshot-id": lambda r: r["SnapshotId"],
    "start-time": lambda r: r["StartTime"],
    "status": lambda r: r["State"],
    "storage-tier": lambda r: r.get("StorageTier"),
    "volume-id": lambda r: r["VolumeId"],
    "volume-size": lambda r: r["VolumeSize"],
}
FILTERS["pg"] = {
    "group-name": lambda r: r["GroupName"],
    "group-arn": lambda r: r["GroupArn"],
    "state": lambda r: r["State"],
    "strategy": lambda r: r["Strategy"],
    "spread-level": lambda r: r.get("SpreadLevel"),
}


class StorageMixin(ImageMixin):
    # -- volumes ---------------------------------------------------------------------------------

    def new_volume(
        self,
        ctx: Ctx,
        zone: str,
        size: int,
        volume_type: str,
        tags: list,
        snapshot: str | None = None,
        encrypted: bool = False,
        iops: int | None = None,
        throughput: int | None = None,
        kms_key: str | None = None,
        state: str = "creating",
        attachment: dict[str, Any] | None = None,
    ) -> Record:
        volume_id = core.new_id("vol")
        if not encrypted:
            default_key = self.default_encryption(ctx)
            if default_key is not None:
                encrypted, kms_key = True, kms_key or default_key
        record: Record = {
            "AvailabilityZoneId": catalog.zone_id(ctx.region, zone),
            "VolumeType": volume_type,
            "MultiAttachEnabled": False,
            "VolumeId": volume_id,
            "Size": size,
            "SnapshotId": snapshot or "",
            "AvailabilityZone": zone,
            "State": state,
            "CreateTime": core.now(),
            "Attachments": [],
            "Encrypted": encrypted,
            "VolumeArn": f"arn:aws:ec2:{ctx.region}:{ctx.account}:volume/{volume_id}",
        }
        if iops or volume_type in IOPS:
            record["Iops"] = iops or (IOPS[volume_type] if volume_type != "gp2" else max(100, size * 3))
        elif volume_type == "gp2":
            record["Iops"] = max(100, min(16000, size * 3))
        if volume_type == "gp3":
            record["Throughput"] = throughput or 125
        if encrypted:
            record["KmsKeyId"] = kms_key or f"arn:aws:kms:{ctx.region}:{ctx.account}:alias/aws/ebs"
        record["_kind"], record["_id"] = "vol", volume_id
        if attachment is not None:
            record["Attachments"] = [{**attachment, "VolumeId": volume_id}]
        if state == "creating":
            self.later(ctx, record, VOLUME_CREATING_SECONDS)
        return self.new(ctx, "vol", volume_id, record, tags)

    def default_encryption(self, ctx: Ctx) -> str | None:
        """The KMS key new volumes are encrypted with by default, or None (account.py)."""
        return None

    def advance_vol(self, ctx: Ctx, record: Record) -> None:
        if record["State"] == "creating":
            record["State"] = "available"
        for attachment in record["Attachments"]:
            if attachment["State"] == "attaching":
                attachment["State"] = "attached"
        detaching = [a for a in record["Attachments"] if a["State"] == "detaching"]
        for attachment in detaching:
            record["Attachments"].remove(attachment)
            self._forget_mapping(ctx, attachment["InstanceId"], record["VolumeId"])
        if record["State"] in ("in-use", "available"):
            record["State"] = "in-use" if record["Attachments"] else "available"
        self.save(ctx, record)

    def create_volume(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        zone = params.get("AvailabilityZone")
        if params.get("AvailabilityZoneId"):
            zone = catalog.zone_name(ctx.region, params["AvailabilityZoneId"])
        if not zone:
            raise core.missing("AvailabilityZone")
        if catalog.zone_id(ctx.region, zone) is None:
            raise core.invalid(
                f"Value ({zone}) for parameter availabilityZone is invalid. {zone} is not a valid availability zone.",
                "InvalidParameterValue",
            )
        volume_type = params.get("VolumeType") or "gp2"
        if volume_type not in DEFAULT_SIZES:
            raise core.invalid(f"Value ({volume_type}) for parameter volumeType is invalid.")
        size = params.get("Size")
        snapshot_id = params.get("SnapshotId")
        if snapshot_id:
            snapshot = self.get(ctx, "snap", snapshot_id, "SnapshotId")
            size = size or snapshot["VolumeSize"]
            if size < snapshot["VolumeSize"]:
                raise core.invalid(
                    f"Volume of {size}GiB is too small; minimum is {snapshot['VolumeSize']}GiB."
                )
        if size is None:
            raise core.missing("size")
        if volume_type in ("io1", "io2") and not params.get("Iops"):
            raise core.missing("iops")
        limits = {
            "gp2": (1, 16384),
            "gp3": (1, 16384),
            "io1": (4, 16384),
            "io2": (4, 65536),
            "st1": (125, 16384),
            "sc1": (125, 16384),
            "standard": (1, 1024),
        }
        low, high = limits[volume_type]
        if not low <= size <= high:
            raise core.invalid(
                f"Volume of size {size}GB is too {'small' if size < low else 'large'}; {'minimum' if size < low else 'maximum'} is {low if size < low else high}GB",
                "InvalidParameterValue",
            )
        volume = self.new_volume(
            ctx,
            zone,
            size,
            volume_type,
            self.tag_specs(params, "volume"),
            snapshot=snapshot_id,
            encrypted=bool(params.get("Encrypted")),
            iops=params.get("Iops"),
            throughput=params.get("Throughput"),
            kms_key=params.get("KmsKeyId"),
        )
        return core.public(volume)

    def describe_volumes(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "vol", params, "VolumeIds", "Volumes")

    def delete_volume(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        volume = self.get(ctx, "vol", params.get("VolumeId"), "VolumeId")
        if volume["Attachments"] or volume["State"] not in ("available", "error", "creating"):
            raise core.error(
                "VolumeInUse",
                f"Volume {volume['VolumeId']} is currently attached to {volume['Attachments'][0]['InstanceId'] if volume['Attachments'] else 'an instance'}",
            )
        self.drop(ctx, volume)
        return {}

    def attach_volume(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        volume = self.get(ctx, "vol", params.get("VolumeId"), "VolumeId")
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        device = params.get("Device")
        if not device:
            raise core.missing("Device")
        if volume["State"] != "available":
            raise core.error("IncorrectState", f"vol '{volume['VolumeId']}' is not 'available'.")
        if volume["AvailabilityZone"] != instance["Placement"]["AvailabilityZone"]:
            raise core.invalid(
                f"Volume '{volume['VolumeId']}' is in the '{volume['AvailabilityZone']}' availability zone, but the instance is in '{instance['Placement']['AvailabilityZone']}'",
                "InvalidVolume.ZoneMismatch",
            )
        if instance["State"]["Name"] not in ("running", "stopped"):
            raise core.error("IncorrectState", f"Instance '{instance['InstanceId']}' is not 'running'.")
        if any(m["DeviceName"] == device for m in instance["BlockDeviceMappings"]):
            raise core.invalid(
                f"Invalid value '{device}' for unixDevice. Attachment point {device} is already in use",
                "InvalidParameterValue",
            )
        attachment = {
            "AttachTime": core.now(),
            "Device": device,
            "InstanceId": instance["InstanceId"],
            "State": "attaching",
            "VolumeId": volume["VolumeId"],
            "DeleteOnTermination": False,
        }
        with self.store.transaction():
            volume["Attachments"].append(attachment)
            volume["State"] = "in-use"
            self.later(ctx, volume, ATTACH_SECONDS)
            self.save(ctx, volume)
            instance["BlockDeviceMappings"].append(
                {
                    "DeviceName": device,
                    "Ebs": {
                        "AttachTime": attachment["AttachTime"],
                        "DeleteOnTermination": False,
                        "Status": "attached",
                        "VolumeId": volume["VolumeId"],
                    },
                }
            )
            self.save(ctx, instance)
        return {
            k: attachment[k]
            for k in ("AttachTime", "Device", "InstanceId", "State", "VolumeId", "DeleteOnTermination")
        }

    def detach_volume(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        volume = self.get(ctx, "vol", params.get("VolumeId"), "VolumeId")
        attachment = next(
            (
                a
                for a in volume["Attachments"]
                if not params.get("InstanceId") or a["InstanceId"] == params["InstanceId"]
            ),
            None,
        )
        if attachment is None:
            raise core.error("IncorrectState", f"Volume '{volume['VolumeId']}' is in the 'available' state.")
        instance = self.find(ctx, "i", attachment["InstanceId"])
        if (
            instance is not None
            and instance.get("RootDeviceName") == attachment["Device"]
            and instance["State"]["Name"] == "running"
        ):
            raise core.error(
                "OperationNotPermitted",
                f"Unable to detach root volume '{volume['VolumeId']}' from instance '{instance['InstanceId']}'",
            )
        attachment["State"] = "detaching"
        self.later(ctx, volume, ATTACH_SECONDS)
        self.save(ctx, volume)
        return {
            k: attachment[k]
            for k in ("AttachTime", "Device", "InstanceId", "State", "VolumeId", "DeleteOnTermination")
        }

    def _forget_mapping(self, ctx: Ctx, instance_id: str, volume_id: str) -> None:
        instance = self.find(ctx, "i", instance_id)
        if instance is not None:
            instance["BlockDeviceMappings"] = [
                m for m in instance["BlockDeviceMappings"] if m["Ebs"]["VolumeId"] != volume_id
            ]
            self.save(ctx, instance)

    def modify_volume(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        volume = self.get(ctx, "vol", params.get("VolumeId"), "VolumeId")
        original = {
            k: volume.get(k) for k in ("Size", "VolumeType", "Iops", "Throughput", "MultiAttachEnabled")
        }
        if params.get("Size") is not None:
            if params["Size"] < volume["Size"]:
                raise core.invalid("New size cannot be smaller than existing size", "InvalidParameterValue")
            volume["Size"] = params["Size"]
        for key in ("VolumeType", "Iops", "Throughput", "MultiAttachEnabled"):
            if params.get(key) is not None:
                volume[key] = params[key]
        modification = {
            "VolumeId": volume["VolumeId"],
            "ModificationState": "completed",
            "TargetSize": volume["Size"],
            "TargetVolumeType": volume["VolumeType"],
            "OriginalSize": original["Size"],
            "OriginalVolumeType": original["VolumeType"],
            "Progress": 100,
            "StartTime": core.now(),
            "EndTime": core.now(),
        }
        for key in ("Iops", "Throughput"):
            if volume.get(key) is not None:
                modification[f"Target{key}"] = volume[key]
            if original.get(key) is not None:
                modification[f"Original{key}"] = original[key]
        volume["_modification"] = modification
        self.save(ctx, volume)
        return {"VolumeModification": modification}

    def describe_volumes_modifications(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = self.select(ctx, "vol", {}, params.get("VolumeIds"))
        return {"VolumesModifications": [v["_modification"] for v in found if v.get("_modification")]}

    def describe_volume_status(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = self.select(ctx, "vol", {}, params.get("VolumeIds"))
        found, token = core.page(found, params, "volstatus")
        out: dict[str, Any] = {
            "VolumeStatuses": [
                {
                    "Actions": [],
                    "AvailabilityZone": v["AvailabilityZone"],
                    "AvailabilityZoneId": v.get("AvailabilityZoneId"),
                    "Events": [],
                    "VolumeId": v["VolumeId"],
                    "VolumeStatus": {
                        "Details": [
                            {"Name": "io-enabled", "Status": "passed"},
                            {"Name": "io-performance", "Status": "not-applicable"},
                        ],
                        "Status": "ok",
                    },
                }
                for v in found
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    def describe_volume_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        volume = self.get(ctx, "vol", params.get("VolumeId"), "VolumeId")
        attribute = params.get("Attribute")
        out: dict[str, Any] = {"VolumeId": volume["VolumeId"]}
        if attribute == "autoEnableIO":
            out["AutoEnableIO"] = {"Value": volume.get("_auto_enable_io", False)}
        elif attribute == "productCodes":
            out["ProductCodes"] = []
        else:
            raise core.invalid(f"Value ({attribute}) for parameter attribute is invalid.")
        return out

    def modify_volume_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        volume = self.get(ctx, "vol", params.get("VolumeId"), "VolumeId")
        if isinstance(params.get("AutoEnableIO"), dict):
            volume["_auto_enable_io"] = bool(params["AutoEnableIO"].get("Value"))
        self.save(ctx, volume)
        return {}

    # -- snapshots -------------------------------------------------------------------------------

    def snapshot_volume(self, ctx: Ctx, volume: Record, description: str, tags: list) -> Record:
        snapshot_id = core.new_id("snap")
        record: Record = {
            "SnapshotId": snapshot_id,
            "VolumeId": volume["VolumeId"],
            "State": "pending",
            "StartTime": core.now(),
            "Progress": "0%",
            "OwnerId": ctx.account,
            "Description": description,
            "VolumeSize": volume["Size"],
            "Encrypted": volume["Encrypted"],
            "StorageTier": "standard",
            "_kind": "snap",
            "_id": snapshot_id,
        }
        if volume.get("KmsKeyId"):
            record["KmsKeyId"] = volume["KmsKeyId"]
        self.later(ctx, record, SNAPSHOT_SECONDS)
        return self.new(ctx, "snap", snapshot_id, record, tags)

    def advance_snap(self, ctx: Ctx, record: Record) -> None:
        record["State"] = "completed"
        record["Progress"] = "100%"
        record["CompletionTime"] = core.now()
        self.save(ctx, record)

    def create_snapshot(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        volume = self.get(ctx, "vol", params.get("VolumeId"), "VolumeId")
        snapshot = self.snapshot_volume(
            ctx, volume, params.get("Description") or "", self.tag_specs(params, "snapshot")
        )
        return core.public(snapshot)

    def copy_snapshot(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        region = params.get("SourceRegion") or ctx.region
        source_ctx = ctx if region == ctx.region else self.ctx_of(ctx.account, region)
        source = self.get(source_ctx, "snap", params.get("SourceSnapshotId"), "SourceSnapshotId")
        volume = {
            "VolumeId": "vol-ffffffff",
            "Size": source["VolumeSize"],
            "Encrypted": bool(params.get("Encrypted")) or source["Encrypted"],
            "KmsKeyId": params.get("KmsKeyId") or source.get("KmsKeyId"),
        }
        snapshot = self.snapshot_volume(
            ctx,
            volume,
            params.get("Description") or source.get("Description") or "",
            self.tag_specs(params, "snapshot"),
        )
        return {
            "SnapshotId": snapshot["SnapshotId"],
            **({"Tags": snapshot["Tags"]} if snapshot.get("Tags") else {}),
        }

    def describe_snapshots(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = self.select(ctx, "snap", params, params.get("SnapshotIds"))
        owners = params.get("OwnerIds")
        if owners:
            wanted = {ctx.account if o == "self" else o for o in owners}
            found = [s for s in found if s["OwnerId"] in wanted]
        found, token = core.page(found, params, "snap")
        out: dict[str, Any] = {"Snapshots": [core.public(s) for s in found]}
        if token:
            out["NextToken"] = token
        return out

    def delete_snapshot(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        snapshot = self.get(ctx, "snap", params.get("SnapshotId"), "SnapshotId")
        for image in ctx.state.kind("ami").values():
            if any(
                (m.get("Ebs") or {}).get("SnapshotId") == snapshot["SnapshotId"]
                for m in image.get("BlockDeviceMappings", ())
            ):
                raise core.error(
                    "InvalidSnapshot.InUse",
                    f"The snapshot {snapshot['SnapshotId']} is currently in use by {image['ImageId']}",
                )
        self.drop(ctx, snapshot)
        return {}

    def describe_snapshot_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        snapshot = self.get(ctx, "snap", params.get("SnapshotId"), "SnapshotId")
        attribute = params.get("Attribute")
        out: dict[str, Any] = {"SnapshotId": snapshot["SnapshotId"]}
        if attribute == "createVolumePermission":
            out["CreateVolumePermissions"] = snapshot.get("_permissions", [])
        elif attribute == "productCodes":
            out["ProductCodes"] = []
        else:
            raise core.invalid(f"Value ({attribute}) for parameter attribute is invalid.")
        return out

    def modify_snapshot_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        snapshot = self.get(ctx, "snap", params.get("SnapshotId"), "SnapshotId")
        permissions = [dict(p) for p in snapshot.get("_permissions", [])]
        change = params.get("CreateVolumePermission") or {}
        for item in change.get("Add") or ():
            if item not in permissions:
                permissions.append(dict(item))
        for item in change.get("Remove") or ():
            if item in permissions:
                permissions.remove(item)
        for user in params.get("UserIds") or ():
            entry = {"UserId": user}
            if params.get("OperationType") == "remove":
                if entry in permissions:
                    permissions.remove(entry)
            elif entry not in permissions:
                permissions.append(entry)
        snapshot["_permissions"] = permissions
        self.save(ctx, snapshot)
        return {}

    def reset_snapshot_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        snapshot = self.get(ctx, "snap", params.get("SnapshotId"), "SnapshotId")
        snapshot["_permissions"] = []
        self.save(ctx, snapshot)
        return {}

    # -- placement groups ------------------------------------------------------------------------

    def create_placement_group(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        name = params.get("GroupName")
        if not name:
            raise core.missing("GroupName")
        strategy = params.get("Strategy")
        if strategy not in ("cluster", "spread", "partition"):
            raise core.invalid(f"Value ({strategy}) for parameter strategy is invalid.")
        if any(g["GroupName"] == name for g in ctx.state.kind("pg").values()):
            raise core.error(
                "InvalidPlacementGroup.Duplicate", f"The Placement Group '{name}' already exists."
            )
        group_id = core.new_id("pg")
        record: Record = {
            "GroupName": name,
            "State": "available",
            "Strategy": strategy,
            "GroupId": group_id,
            "GroupArn": f"arn:aws:ec2:{ctx.region}:{ctx.account}:placement-group/{name}",
        }
        if strategy == "partition":
            count = params.get("PartitionCount") or 2
            if not 1 <= count <= 7:
                raise core.invalid(f"Value ({count}) for parameter partitionCount is invalid.")
            record["PartitionCount"] = count
        if strategy == "spread":
            record["SpreadLevel"] = params.get("SpreadLevel") or "rack"
        self.new(ctx, "pg", group_id, record, self.tag_specs(params, "placement-group"))
        return {"PlacementGroup": core.public(record)}

    def placement_group(self, ctx: Ctx, name: str) -> Record:
        for group in ctx.state.kind("pg").values():
            if group["GroupName"] == name:
                return group
        raise core.not_found("pg", name)

    def describe_placement_groups(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        ids = list(params.get("GroupIds") or [])
        for name in params.get("GroupNames") or ():
            ids.append(self.placement_group(ctx, name)["GroupId"])
        return {"PlacementGroups": [core.public(g) for g in self.select(ctx, "pg", params, ids)]}

    def delete_placement_group(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        group = self.placement_group(ctx, params.get("GroupName") or "")
        if any(
            i["Placement"].get("GroupName") == group["GroupName"] and i["State"]["Name"] != "terminated"
            for i in ctx.state.kind("i").values()
        ):
            raise core.error(
                "InvalidPlacementGroup.InUse",
                f"The placement group '{group['GroupName']}' is in use and may not be deleted.",
            )
        self.drop(ctx, group)
        return {}

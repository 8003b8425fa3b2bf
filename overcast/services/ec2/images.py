"""AMIs: the public catalogue (catalog.py) and the account's own images (CreateImage from an
instance, RegisterImage, CopyImage), DescribeImages with owners, executable-by and filters."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.services.ec2 import catalog, core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import FILTERS, Record
from overcast.services.ec2.keys import KeyMixin

IMAGE_PENDING_SECONDS = 2.0


def _bdm(key: str) -> Any:
    return lambda r: [(m.get("Ebs") or {}).get(key) for m in r.get("BlockDeviceMappings", ())]


FILTERS["ami"] = {
    "architecture": lambda r: r["Architecture"],
    "block-device-mapping.delete-on-termination": _bdm("DeleteOnTermination"),
    "block-device-mapping.device-name": lambda r: [
        m.get("DeviceName") for m in r.get("BlockDeviceMappings", ())
    ],
    "block-device-mapping.snapshot-id": _bdm("SnapshotId"),
    "block-device-mapping.volume-size": _bdm("VolumeSize"),
    "block-device-mapping.volume-type": _bdm("VolumeType"),
    "block-device-mapping.encrypted": _bdm("Encrypted"),
    "creation-date": lambda r: r["CreationDate"],
    "description": lambda r: r.get("Description"),
    "ena-support": lambda r: r.get("EnaSupport"),
    "hypervisor": lambda r: r.get("Hypervisor"),
    "image-id": lambda r: r["ImageId"],
    "image-type": lambda r: r["ImageType"],
    "imds-support": lambda r: r.get("ImdsSupport"),
    "is-public": lambda r: r["Public"],
    "kernel-id": lambda r: r.get("KernelId"),
    "manifest-location": lambda r: r.get("ImageLocation"),
    "name": lambda r: r.get("Name"),
    "owner-alias": lambda r: r.get("ImageOwnerAlias"),
    "owner-id": lambda r: r["OwnerId"],
    "platform": lambda r: r.get("Platform"),
    "platform-details": lambda r: r.get("PlatformDetails"),
    "product-code": lambda r: [p.get("ProductCodeId") for p in r.get("ProductCodes", ())],
    "ramdisk-id": lambda r: r.get("RamdiskId"),
    "root-device-name": lambda r: r.get("RootDeviceName"),
    "root-device-type": lambda r: r.get("RootDeviceType"),
    "state": lambda r: r["State"],
    "sriov-net-support": lambda r: r.get("SriovNetSupport"),
    "usage-operation": lambda r: r.get("UsageOperation"),
    "virtualization-type": lambda r: r.get("VirtualizationType"),
    "source-instance-id": lambda r: r.get("SourceInstanceId"),
}


class ImageMixin(KeyMixin):
    def image(self, ctx: Ctx, image_id: str | None) -> Record:
        if not image_id:
            raise core.missing("ImageId")
        core.check_format("ami", image_id)
        found = ctx.state.kind("ami").get(image_id) or catalog.public_images(ctx.region).get(image_id)
        if found is None or found["State"] == "deregistered":
            raise core.not_found("ami", image_id)
        return found

    def describe_images(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        owners = params.get("Owners") or []
        own = list(ctx.state.kind("ami").values())
        public = list(catalog.public_images(ctx.region).values())
        ids = params.get("ImageIds")
        if ids:
            pool = {}
            for image_id in ids:
                pool[image_id] = self.image(ctx, image_id)
            candidates = list(pool.values())
        else:
            candidates = own + public
        if owners:
            accepted: set[str] = set()
            for owner in owners:
                if owner == "self":
                    accepted.add(ctx.account)
                elif owner in catalog.OWNER_ALIASES:
                    accepted.update(catalog.OWNER_ALIASES[owner])
                else:
                    accepted.add(owner)
            candidates = [i for i in candidates if i["OwnerId"] in accepted]
        if params.get("ExecutableUsers"):
            users = params["ExecutableUsers"]
            candidates = [
                i
                for i in candidates
                if i["Public"]
                or ("self" in users and i["OwnerId"] == ctx.account)
                or set(users) & set(i.get("_launch_users", ()))
            ]
        if not params.get("IncludeDeprecated", True) or params.get("IncludeDeprecated") is False:
            pass
        found = self.select(ctx, "ami", params, visible=candidates)
        if not params.get("IncludeDisabled"):
            found = [i for i in found if i["State"] != "disabled"]
        found, token = core.page(found, params, "ami", 1, 1000)
        out: dict[str, Any] = {"Images": [core.public(i) for i in found]}
        if token:
            out["NextToken"] = token
        return out

    def _own_image(self, ctx: Ctx, name: str, source: dict[str, Any], tags: list, **extra: Any) -> Record:
        if not name or len(name) < 3 or len(name) > 128:
            raise core.invalid(
                "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'",
                "InvalidAMIName.Malformed",
            )
        for image in ctx.state.kind("ami").values():
            if image.get("Name") == name and image["State"] != "deregistered":
                raise core.invalid(
                    f"AMI name {name} is already in use by AMI {image['ImageId']}", "InvalidAMIName.Duplicate"
                )
        image_id = core.new_id("ami")
        record: Record = {
            key: source[key]
            for key in (
                "Architecture",
                "EnaSupport",
                "Hypervisor",
                "RootDeviceName",
                "RootDeviceType",
                "SriovNetSupport",
                "VirtualizationType",
                "BootMode",
                "PlatformDetails",
                "UsageOperation",
                "Platform",
                "ImdsSupport",
            )
            if source.get(key) is not None
        }
        record.update(
            ImageId=image_id,
            ImageLocation=f"{ctx.account}/{name}",
            State="pending",
            OwnerId=ctx.account,
            CreationDate=core.now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            Public=False,
            ImageType="machine",
            Name=name,
            BlockDeviceMappings=source.get("BlockDeviceMappings") or [],
            **extra,
        )
        record["_kind"], record["_id"] = "ami", image_id
        self.later(ctx, record, IMAGE_PENDING_SECONDS)
        return self.new(ctx, "ami", image_id, record, tags)

    def advance_ami(self, ctx: Ctx, record: Record) -> None:
        if record["State"] == "pending":
            record["State"] = "available"
        self.save(ctx, record)

    def create_image(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        if instance["State"]["Name"] not in ("running", "stopped"):
            raise core.error(
                "IncorrectInstanceState",
                f"The instance '{instance['InstanceId']}' is not in a state from which it can be imaged.",
            )
        source = (
            self.image(ctx, instance["ImageId"])
            if instance["ImageId"] in ctx.state.kind("ami")
            or instance["ImageId"] in catalog.public_images(ctx.region)
            else {}
        )
        mappings = []
        with self.store.transaction():
            for mapping in instance.get("BlockDeviceMappings") or ():
                volume = self.find(ctx, "vol", mapping["Ebs"]["VolumeId"])
                if volume is None:
                    continue
                snapshot = self.snapshot_volume(
                    ctx, volume, f"Created by CreateImage({instance['InstanceId']})", []
                )
                mappings.append(
                    {
                        "DeviceName": mapping["DeviceName"],
                        "Ebs": {
                            "DeleteOnTermination": mapping["Ebs"]["DeleteOnTermination"],
                            "SnapshotId": snapshot["SnapshotId"],
                            "VolumeSize": volume["Size"],
                            "VolumeType": volume["VolumeType"],
                            "Encrypted": volume["Encrypted"],
                        },
                    }
                )
            merged = {
                **source,
                "Architecture": instance["Architecture"],
                "RootDeviceName": instance["RootDeviceName"],
                "BlockDeviceMappings": mappings,
            }
            extra: dict[str, Any] = {"SourceInstanceId": instance["InstanceId"]}
            if params.get("Description"):
                extra["Description"] = params["Description"]
            image = self._own_image(
                ctx, params.get("Name") or "", merged, self.tag_specs(params, "image"), **extra
            )
        return {"ImageId": image["ImageId"]}

    def register_image(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        root = params.get("RootDeviceName") or "/dev/xvda"
        mappings = []
        for mapping in params.get("BlockDeviceMappings") or ():
            ebs = dict(mapping.get("Ebs") or {})
            if ebs.get("SnapshotId"):
                snapshot = self.get(ctx, "snap", ebs["SnapshotId"], "SnapshotId")
                ebs.setdefault("VolumeSize", snapshot["VolumeSize"])
            ebs.setdefault("DeleteOnTermination", True)
            ebs.setdefault("VolumeType", "gp2")
            ebs.setdefault("Encrypted", False)
            mappings.append({"DeviceName": mapping.get("DeviceName"), "Ebs": ebs})
        source = {
            "Architecture": params.get("Architecture") or "x86_64",
            "EnaSupport": bool(params.get("EnaSupport")),
            "Hypervisor": "xen",
            "RootDeviceName": root,
            "RootDeviceType": "ebs",
            "VirtualizationType": params.get("VirtualizationType") or "hvm",
            "SriovNetSupport": params.get("SriovNetSupport"),
            "BootMode": params.get("BootMode"),
            "ImdsSupport": params.get("ImdsSupport"),
            "PlatformDetails": "Linux/UNIX",
            "UsageOperation": "RunInstances",
            "BlockDeviceMappings": mappings,
        }
        extra = {"Description": params["Description"]} if params.get("Description") else {}
        image = self._own_image(
            ctx, params.get("Name") or "", source, self.tag_specs(params, "image"), **extra
        )
        return {"ImageId": image["ImageId"]}

    def copy_image(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        source_region = params.get("SourceRegion") or ctx.region
        source_ctx = ctx if source_region == ctx.region else self.ctx_of(ctx.account, source_region)
        source = self.image(source_ctx, params.get("SourceImageId"))
        extra: dict[str, Any] = {"SourceImageId": source["ImageId"], "SourceImageRegion": source_region}
        if params.get("Description"):
            extra["Description"] = params["Description"]
        tags = self.tag_specs(params, "image")
        if params.get("CopyImageTags"):
            tags = (source.get("Tags") or []) + tags
        image = self._own_image(ctx, params.get("Name") or "", source, tags, **extra)
        return {"ImageId": image["ImageId"]}

    def deregister_image(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        image_id = params.get("ImageId") or ""
        core.check_format("ami", image_id)
        image = ctx.state.kind("ami").get(image_id)
        if image is None:
            if image_id in catalog.public_images(ctx.region):
                raise core.error("AuthFailure", f"Not authorized for image:{image_id}")
            raise core.not_found("ami", image_id)
        if image.get("DeregistrationProtection", "disabled").startswith("enabled"):
            raise core.error(
                "InvalidParameterValue", f"Image {image_id} has deregistration protection enabled."
            )
        with self.store.transaction():
            if params.get("DeleteAssociatedSnapshots"):
                for mapping in image.get("BlockDeviceMappings") or ():
                    snapshot = self.find(ctx, "snap", (mapping.get("Ebs") or {}).get("SnapshotId"))
                    if snapshot is not None:
                        self.drop(ctx, snapshot)
            self.drop(ctx, image)
        return {"Return": True}

    def describe_image_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        image = self.image(ctx, params.get("ImageId"))
        attribute = params.get("Attribute")
        out: dict[str, Any] = {"ImageId": image["ImageId"]}
        if attribute == "launchPermission":
            out["LaunchPermissions"] = [{"UserId": u} for u in image.get("_launch_users", ())] + (
                [{"Group": "all"}] if image["Public"] and image["OwnerId"] == ctx.account else []
            )
        elif attribute == "description":
            out["Description"] = {"Value": image["Description"]} if image.get("Description") else {}
        elif attribute == "blockDeviceMapping":
            out["BlockDeviceMappings"] = image.get("BlockDeviceMappings") or []
        elif attribute == "productCodes":
            out["ProductCodes"] = image.get("ProductCodes") or []
        elif attribute == "bootMode":
            out["BootMode"] = {"Value": image["BootMode"]} if image.get("BootMode") else {}
        elif attribute == "imdsSupport":
            out["ImdsSupport"] = {"Value": image["ImdsSupport"]} if image.get("ImdsSupport") else {}
        elif attribute == "sriovNetSupport":
            out["SriovNetSupport"] = (
                {"Value": image["SriovNetSupport"]} if image.get("SriovNetSupport") else {}
            )
        elif attribute == "deregistrationProtection":
            out["DeregistrationProtection"] = {"Value": image.get("DeregistrationProtection", "disabled")}
        elif attribute in ("kernel", "ramdisk", "tpmSupport", "uefiData", "lastLaunchedTime"):
            pass
        else:
            raise core.invalid(f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute.")
        return out

    def modify_image_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        image = self.get(ctx, "ami", params.get("ImageId"), "ImageId")
        permission = params.get("LaunchPermission") or {}
        users = set(image.get("_launch_users", ()))
        for item in permission.get("Add") or ():
            if item.get("Group") == "all":
                image["Public"] = True
            if item.get("UserId"):
                users.add(item["UserId"])
        for item in permission.get("Remove") or ():
            if item.get("Group") == "all":
                image["Public"] = False
            users.discard(item.get("UserId") or "")
        if params.get("OperationType") and params.get("UserIds"):
            for user in params["UserIds"]:
                (users.add if params["OperationType"] == "add" else users.discard)(user)
        image["_launch_users"] = sorted(users)
        if isinstance(params.get("Description"), dict):
            image["Description"] = params["Description"].get("Value", "")
        self.save(ctx, image)
        return {}

    def reset_image_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        image = self.get(ctx, "ami", params.get("ImageId"), "ImageId")
        image["_launch_users"] = []
        image["Public"] = False
        self.save(ctx, image)
        return {}

    def enable_image_deregistration_protection(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        image = self.get(ctx, "ami", params.get("ImageId"), "ImageId")
        image["DeregistrationProtection"] = (
            "enabled-with-cooldown" if params.get("WithCooldown") else "enabled"
        )
        self.save(ctx, image)
        return {"Return": "true"}

    def disable_image_deregistration_protection(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        image = self.get(ctx, "ami", params.get("ImageId"), "ImageId")
        image["DeregistrationProtection"] = "disabled"
        self.save(ctx, image)
        return {"Return": "true"}

    def snapshot_volume(self, ctx: Ctx, volume: Record, description: str, tags: list) -> Record:
        raise NotImplementedError

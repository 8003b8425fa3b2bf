"""Account-level EC2 settings (EBS encryption by default and its KMS key, instance metadata
defaults that new instances take), instance profile associations, and the smaller instance
operations: password data, maintenance, placement and DNS name options."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ec2 import catalog, core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import FILTERS, Record
from overcast.services.ec2.imds import MANAGED_KEYS
from overcast.services.ec2.instances import InstanceMixin

SETTINGS = "_settings"
FILTERS["_iip"] = {
    "instance-id": lambda a: a["InstanceId"],
    "state": lambda a: a["State"],
}


class AccountMixin(InstanceMixin):
    def settings(self, ctx: Ctx) -> dict[str, Any]:
        return self.resources.get(ctx.scope, SETTINGS) or {}

    def _set(self, ctx: Ctx, **changes: Any) -> dict[str, Any]:
        current = {**self.settings(ctx), **changes}
        self.resources.put(ctx.scope, SETTINGS, current)
        return current

    # -- serial console and keys pushed by EC2 Instance Connect -----------------------------------

    def get_serial_console_access_status(self, context: RequestContext, params: dict) -> dict:
        enabled = bool(self.settings(self.ctx(context)).get("serial_console"))
        return {"SerialConsoleAccessEnabled": enabled, "ManagedBy": "account"}

    def enable_serial_console_access(self, context: RequestContext, params: dict) -> dict:
        self._set(self.ctx(context), serial_console=True)
        return {"SerialConsoleAccessEnabled": True}

    def disable_serial_console_access(self, context: RequestContext, params: dict) -> dict:
        self._set(self.ctx(context), serial_console=False)
        return {"SerialConsoleAccessEnabled": False}

    def serial_console_enabled(self, account: str, region: str) -> bool:
        return bool(self.settings(self.ctx_of(account, region)).get("serial_console"))

    def push_ssh_key(
        self, account: str, region: str, instance_id: str, slot: str, key: str, expires: float
    ) -> None:
        """Keep a public key EC2 Instance Connect pushed for an OS user (`slot`) until it
        expires; the instance metadata lists the live ones under managed-ssh-keys."""
        ctx = self.ctx_of(account, region)
        row = MANAGED_KEYS + instance_id
        now = time.time()
        keys = [k for k in (self.resources.get(ctx.scope, row) or []) if k["expires"] > now]
        keys.append({"slot": slot, "key": key, "expires": expires})
        self.resources.put(ctx.scope, row, keys)

    # -- EBS defaults ----------------------------------------------------------------------------

    def default_kms_key(self, ctx: Ctx) -> str:
        return self.settings(ctx).get("kms_key") or "alias/aws/ebs"

    def get_ebs_encryption_by_default(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        return {
            "EbsEncryptionByDefault": bool(self.settings(ctx).get("encrypt")),
            "SseType": "sse-ebs" if self.settings(ctx).get("encrypt") else "none",
        }

    def enable_ebs_encryption_by_default(self, context: RequestContext, params: dict) -> dict:
        self._set(self.ctx(context), encrypt=True)
        return {"EbsEncryptionByDefault": True}

    def disable_ebs_encryption_by_default(self, context: RequestContext, params: dict) -> dict:
        self._set(self.ctx(context), encrypt=False)
        return {"EbsEncryptionByDefault": False}

    def _key_arn(self, ctx: Ctx, key: str) -> str:
        if key.startswith("arn:"):
            return key
        return f"arn:aws:kms:{ctx.region}:{ctx.account}:{key if key.startswith('alias/') else 'key/' + key}"

    def get_ebs_default_kms_key_id(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        return {"KmsKeyId": self._key_arn(ctx, self.default_kms_key(ctx))}

    def modify_ebs_default_kms_key_id(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        key = params.get("KmsKeyId")
        if not key:
            raise core.missing("KmsKeyId")
        self._set(ctx, kms_key=self._key_arn(ctx, key))
        return {"KmsKeyId": self._key_arn(ctx, key)}

    def reset_ebs_default_kms_key_id(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        self._set(ctx, kms_key=None)
        return {"KmsKeyId": self._key_arn(ctx, "alias/aws/ebs")}

    def default_encryption(self, ctx: Ctx) -> str | None:
        if not self.settings(ctx).get("encrypt"):
            return None
        return self._key_arn(ctx, self.default_kms_key(ctx))

    # -- instance metadata defaults --------------------------------------------------------------

    def get_instance_metadata_defaults(self, context: RequestContext, params: dict) -> dict:
        defaults = self.settings(self.ctx(context)).get("metadata") or {}
        return {"AccountLevel": dict(defaults)}

    def modify_instance_metadata_defaults(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        defaults = dict(self.settings(ctx).get("metadata") or {})
        for key in (
            "HttpTokens",
            "HttpPutResponseHopLimit",
            "HttpEndpoint",
            "InstanceMetadataTags",
            "HttpTokensEnforced",
        ):
            value = params.get(key)
            if value is None:
                continue
            if value in ("no-preference", -1):
                defaults.pop(key, None)
            else:
                defaults[key] = value
        self._set(ctx, metadata=defaults)
        return {"Return": True}

    def metadata_defaults(self, ctx: Ctx) -> dict[str, Any]:
        return self.settings(ctx).get("metadata") or {}

    # -- instance profile associations -----------------------------------------------------------

    def _profile_shown(self, instance: Record) -> dict[str, Any] | None:
        association = instance.get("_profile_association")
        if not association or not instance.get("IamInstanceProfile"):
            return None
        return {
            "AssociationId": association["AssociationId"],
            "InstanceId": instance["InstanceId"],
            "IamInstanceProfile": dict(instance["IamInstanceProfile"]),
            "State": association.get("State", "associated"),
            "Timestamp": association["Timestamp"],
        }

    def associate_iam_instance_profile(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        if instance.get("IamInstanceProfile"):
            raise core.error(
                "IncorrectState",
                f"There is an existing association for instance {instance['InstanceId']}",
            )
        return {
            "IamInstanceProfileAssociation": self._attach_profile(
                ctx, context, instance, params.get("IamInstanceProfile")
            )
        }

    def _attach_profile(
        self, ctx: Ctx, context: RequestContext, instance: Record, spec: dict[str, Any] | None
    ) -> dict[str, Any]:
        profile = self._profile(ctx, context, spec)
        if profile is None:
            raise core.missing("IamInstanceProfile")
        instance["IamInstanceProfile"] = {"Arn": profile["Arn"], "Id": profile["Id"]}
        instance["_profile"] = profile["_name"]
        instance["_profile_association"] = {
            "AssociationId": core.new_id("iip-assoc"),
            "Timestamp": core.now(),
        }
        self.save(ctx, instance)
        shown = self._profile_shown(instance) or {}
        return {**shown, "State": "associating"}

    def _by_association(self, ctx: Ctx, association_id: str | None) -> Record:
        for instance in ctx.state.kind("i").values():
            if (instance.get("_profile_association") or {}).get(
                "AssociationId"
            ) == association_id and instance.get("IamInstanceProfile"):
                return instance
        raise core.error(
            "InvalidAssociationID.NotFound", f"An association with ID {association_id} does not exist."
        )

    def replace_iam_instance_profile_association(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self._by_association(ctx, params.get("AssociationId"))
        return {
            "IamInstanceProfileAssociation": self._attach_profile(
                ctx, context, instance, params.get("IamInstanceProfile")
            )
        }

    def disassociate_iam_instance_profile(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self._by_association(ctx, params.get("AssociationId"))
        shown = self._profile_shown(instance) or {}
        for key in ("IamInstanceProfile", "_profile", "_profile_association"):
            instance.pop(key, None)
        self.save(ctx, instance)
        self.imds_credentials_forget(instance["InstanceId"])
        return {"IamInstanceProfileAssociation": {**shown, "State": "disassociating"}}

    def describe_iam_instance_profile_associations(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = [
            a
            for i in ctx.state.kind("i").values()
            if i["State"]["Name"] != "terminated" and (a := self._profile_shown(i))
        ]
        wanted = params.get("AssociationIds")
        if wanted:
            known = {a["AssociationId"] for a in found}
            for association_id in wanted:
                if association_id not in known:
                    raise core.error(
                        "InvalidAssociationID.NotFound",
                        f"An association with ID {association_id} does not exist.",
                    )
            found = [a for a in found if a["AssociationId"] in wanted]
        filters = core.compile_filters("_iip", params.get("Filters"))
        found = [a for a in found if all(f(a) for f in filters)]
        found, token = core.page(found, params, "iip", 5, 1000)
        out: dict[str, Any] = {"IamInstanceProfileAssociations": found}
        if token:
            out["NextToken"] = token
        return out

    # -- smaller instance operations -------------------------------------------------------------

    def get_password_data(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        # Only Windows instances generate an administrator password; for the others it is empty.
        return {"InstanceId": instance["InstanceId"], "Timestamp": instance["LaunchTime"], "PasswordData": ""}

    def modify_instance_maintenance_options(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        options = instance["MaintenanceOptions"]
        for key in ("AutoRecovery", "RebootMigration"):
            if params.get(key):
                options[key] = params[key]
        self.save(ctx, instance)
        return {"InstanceId": instance["InstanceId"], **options}

    def modify_private_dns_name_options(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        if instance["State"]["Name"] != "stopped":
            raise core.error(
                "IncorrectInstanceState",
                f"The instance '{instance['InstanceId']}' is not in the 'stopped' state.",
            )
        options = instance["PrivateDnsNameOptions"]
        if params.get("PrivateDnsHostnameType"):
            options["HostnameType"] = params["PrivateDnsHostnameType"]
        for key, field in (
            ("EnableResourceNameDnsARecord", "EnableResourceNameDnsARecord"),
            ("EnableResourceNameDnsAAAARecord", "EnableResourceNameDnsAAAARecord"),
        ):
            if params.get(key) is not None:
                options[field] = bool(params[key])
        self.save(ctx, instance)
        return {"Return": True}

    def modify_instance_placement(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        if instance["State"]["Name"] != "stopped":
            raise core.error(
                "IncorrectInstanceState",
                f"The instance '{instance['InstanceId']}' is not in the 'stopped' state.",
            )
        placement = instance["Placement"]
        if params.get("GroupName") is not None:
            if params["GroupName"]:
                self.placement_group(ctx, params["GroupName"])
            placement["GroupName"] = params["GroupName"]
        if params.get("PartitionNumber"):
            placement["PartitionNumber"] = params["PartitionNumber"]
        if params.get("Tenancy"):
            placement["Tenancy"] = params["Tenancy"]
        self.save(ctx, instance)
        return {"Return": True}

    def describe_instance_image_metadata(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = self.select(ctx, "i", {}, params.get("InstanceIds"))
        items = []
        for instance in found:
            try:
                image = self.image(ctx, instance["ImageId"])
            except ServiceError:
                image = None
            item: dict[str, Any] = {
                "InstanceId": instance["InstanceId"],
                "InstanceType": instance["InstanceType"],
                "LaunchTime": instance["LaunchTime"],
                "AvailabilityZone": instance["Placement"]["AvailabilityZone"],
                "ZoneId": instance["Placement"].get("AvailabilityZoneId"),
                "State": dict(instance["State"]),
                "OwnerId": ctx.account,
                "Tags": instance.get("Tags") or [],
                "ImageMetadata": {"ImageId": instance["ImageId"]},
            }
            if image is not None:
                item["ImageMetadata"].update(
                    Name=image.get("Name"),
                    OwnerId=image["OwnerId"],
                    State=image["State"],
                    ImageOwnerAlias=image.get("ImageOwnerAlias"),
                    CreationDate=image["CreationDate"],
                    IsPublic=image["Public"],
                )
                item["ImageMetadata"] = {k: v for k, v in item["ImageMetadata"].items() if v is not None}
            items.append(item)
        items, token = core.page(items, params, "iim", 1, 1000)
        out: dict[str, Any] = {"InstanceImageMetadata": items}
        if token:
            out["NextToken"] = token
        return out

    # -- VPC odds and ends -----------------------------------------------------------------------

    def modify_vpc_tenancy(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        if params.get("InstanceTenancy") != "default":
            raise core.invalid(
                f"Value ({params.get('InstanceTenancy')}) for parameter instanceTenancy is invalid."
            )
        vpc["InstanceTenancy"] = "default"
        self.save(ctx, vpc)
        return {"ReturnValue": True}

    def create_default_subnet(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.default_vpc(ctx)
        if vpc is None:
            raise core.error(
                "DefaultVpcDoesNotExist", "No default VPC exists for this account in this region."
            )
        zone = params.get("AvailabilityZone")
        if params.get("AvailabilityZoneId"):
            zone = catalog.zone_name(ctx.region, params["AvailabilityZoneId"])
        if not zone or catalog.zone_id(ctx.region, zone) is None:
            raise core.invalid(f"Value ({zone}) for parameter availabilityZone is invalid.")
        subnets = [s for s in ctx.state.kind("subnet").values() if s["VpcId"] == vpc["VpcId"]]
        if any(s["DefaultForAz"] and s["AvailabilityZone"] == zone for s in subnets):
            raise core.error(
                "DefaultSubnetAlreadyExistsInAvailabilityZone", f"A default subnet already exists in {zone}."
            )
        taken = [ipaddress.ip_network(s["CidrBlock"]) for s in subnets]
        for block in ipaddress.ip_network(vpc["CidrBlock"]).subnets(new_prefix=20):
            if not any(block.overlaps(t) for t in taken):
                with self.store.transaction():
                    subnet = self._new_subnet(
                        ctx, vpc, str(block), zone, [], default_for_az=True, public_ip=True
                    )
                return {"Subnet": core.public(subnet)}
        raise core.error(
            "InsufficientFreeAddressesInVpc",
            f"The default VPC {vpc['VpcId']} has no room for another /20 subnet.",
        )

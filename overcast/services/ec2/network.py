"""Network interfaces (with private addresses from their subnet), Elastic IPs, VPC endpoints
(gateway endpoints add their prefix-list route; interface endpoints get interfaces and DNS
names) and the endpoint services, and VPC peering connections."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets
from typing import Any

from overcast.context import RequestContext
from overcast.services.ec2 import core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import FILTERS, Record
from overcast.services.ec2.security import SecurityMixin

ENDPOINT_PENDING_SECONDS = 1.0
#: Services whose endpoints a VPC can have: (service, gateway type too).
ENDPOINT_SERVICES = (
    ("s3", True),
    ("dynamodb", True),
    ("sqs", False),
    ("sns", False),
    ("ssm", False),
    ("ssmmessages", False),
    ("ec2messages", False),
    ("ec2", False),
    ("sts", False),
    ("kms", False),
    ("secretsmanager", False),
    ("logs", False),
    ("monitoring", False),
    ("events", False),
    ("lambda", False),
    ("execute-api", False),
    ("ecr.api", False),
    ("ecr.dkr", False),
    ("elasticloadbalancing", False),
    ("kinesis-streams", False),
    ("xray", False),
    ("ecs", False),
    ("rds", False),
    ("elasticache", False),
    ("apigateway", False),
    ("cloudformation", False),
    ("states", False),
)
FULL_ACCESS = json.dumps(
    {
        "Version": "2008-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
)


def _private_dns(region: str, address: str) -> str:
    domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-{address.replace('.', '-')}.{domain}"


def public_dns(region: str, address: str) -> str:
    suffix = "compute-1.amazonaws.com" if region == "us-east-1" else f"{region}.compute.amazonaws.com"
    return f"ec2-{address.replace('.', '-')}.{suffix}"


def _mac() -> str:
    return "0e:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(5))


FILTERS["eni"] = {
    "addresses.private-ip-address": lambda r: [p["PrivateIpAddress"] for p in r["PrivateIpAddresses"]],
    "addresses.primary": lambda r: [p["Primary"] for p in r["PrivateIpAddresses"]],
    "association.public-ip": lambda r: (r.get("Association") or {}).get("PublicIp"),
    "association.allocation-id": lambda r: (r.get("Association") or {}).get("AllocationId"),
    "association.association-id": lambda r: (r.get("Association") or {}).get("AssociationId"),
    "attachment.attachment-id": lambda r: (r.get("Attachment") or {}).get("AttachmentId"),
    "attachment.instance-id": lambda r: (r.get("Attachment") or {}).get("InstanceId"),
    "attachment.device-index": lambda r: (r.get("Attachment") or {}).get("DeviceIndex"),
    "attachment.status": lambda r: (r.get("Attachment") or {}).get("Status"),
    "attachment.delete-on-termination": lambda r: (r.get("Attachment") or {}).get("DeleteOnTermination"),
    "availability-zone": lambda r: r["AvailabilityZone"],
    "description": lambda r: r["Description"],
    "group-id": lambda r: [g["GroupId"] for g in r["Groups"]],
    "group-name": lambda r: [g["GroupName"] for g in r["Groups"]],
    "interface-type": lambda r: r["InterfaceType"],
    "mac-address": lambda r: r["MacAddress"],
    "network-interface-id": lambda r: r["NetworkInterfaceId"],
    "owner-id": lambda r: r["OwnerId"],
    "private-ip-address": lambda r: [p["PrivateIpAddress"] for p in r["PrivateIpAddresses"]],
    "private-dns-name": lambda r: r["PrivateDnsName"],
    "requester-id": lambda r: r.get("RequesterId"),
    "requester-managed": lambda r: r["RequesterManaged"],
    "source-dest-check": lambda r: r["SourceDestCheck"],
    "status": lambda r: r["Status"],
    "subnet-id": lambda r: r["SubnetId"],
    "vpc-id": lambda r: r["VpcId"],
}
FILTERS["eip"] = {
    "allocation-id": lambda r: r["AllocationId"],
    "association-id": lambda r: r.get("AssociationId"),
    "domain": lambda r: r["Domain"],
    "instance-id": lambda r: r.get("InstanceId"),
    "network-border-group": lambda r: r["NetworkBorderGroup"],
    "network-interface-id": lambda r: r.get("NetworkInterfaceId"),
    "network-interface-owner-id": lambda r: r.get("NetworkInterfaceOwnerId"),
    "private-ip-address": lambda r: r.get("PrivateIpAddress"),
    "public-ip": lambda r: r["PublicIp"],
}
FILTERS["vpce"] = {
    "ip-address-type": lambda r: r.get("IpAddressType"),
    "service-name": lambda r: r["ServiceName"],
    "vpc-id": lambda r: r["VpcId"],
    "vpc-endpoint-id": lambda r: r["VpcEndpointId"],
    "vpc-endpoint-state": lambda r: r["State"],
    "vpc-endpoint-type": lambda r: r["VpcEndpointType"],
}
FILTERS["pcx"] = {
    "accepter-vpc-info.cidr-block": lambda r: r["AccepterVpcInfo"].get("CidrBlock"),
    "accepter-vpc-info.owner-id": lambda r: r["AccepterVpcInfo"].get("OwnerId"),
    "accepter-vpc-info.vpc-id": lambda r: r["AccepterVpcInfo"].get("VpcId"),
    "expiration-time": lambda r: r.get("ExpirationTime"),
    "requester-vpc-info.cidr-block": lambda r: r["RequesterVpcInfo"].get("CidrBlock"),
    "requester-vpc-info.owner-id": lambda r: r["RequesterVpcInfo"].get("OwnerId"),
    "requester-vpc-info.vpc-id": lambda r: r["RequesterVpcInfo"].get("VpcId"),
    "status-code": lambda r: r["Status"]["Code"],
    "status-message": lambda r: r["Status"].get("Message"),
    "vpc-peering-connection-id": lambda r: r["VpcPeeringConnectionId"],
}


class NetworkMixin(SecurityMixin):
    # -- network interfaces ----------------------------------------------------------------------

    def create_interface(
        self,
        ctx: Ctx,
        subnet: Record,
        groups: list[str],
        description: str,
        interface_type: str,
        requester: str | None = None,
        private_ip: str | None = None,
        tags: list | None = None,
        secondary: int = 0,
        persist: bool = True,
    ) -> Record:
        eni_id = core.new_id("eni")
        address = self.allocate_ip(ctx, subnet, private_ip)
        addresses = [
            {
                "Primary": True,
                "PrivateIpAddress": address,
                "PrivateDnsName": _private_dns(ctx.region, address),
            }
        ]
        for _ in range(secondary):
            extra = self.allocate_ip(ctx, subnet)
            addresses.append(
                {
                    "Primary": False,
                    "PrivateIpAddress": extra,
                    "PrivateDnsName": _private_dns(ctx.region, extra),
                }
            )
        record: Record = {
            "AvailabilityZone": subnet["AvailabilityZone"],
            "AvailabilityZoneId": subnet["AvailabilityZoneId"],
            "Description": description,
            "Groups": [{"GroupId": g, "GroupName": ctx.state.kind("sg")[g]["GroupName"]} for g in groups],
            "InterfaceType": interface_type,
            "Ipv6Addresses": [],
            "MacAddress": _mac(),
            "NetworkInterfaceId": eni_id,
            "OwnerId": ctx.account,
            "PrivateDnsName": _private_dns(ctx.region, address),
            "PrivateIpAddress": address,
            "PrivateIpAddresses": addresses,
            "RequesterManaged": requester is not None,
            "SourceDestCheck": True,
            "Status": "available",
            "SubnetId": subnet["SubnetId"],
            "TagSet": tags or [],
            "VpcId": subnet["VpcId"],
        }
        if requester:
            record["RequesterId"] = requester
        return self.new(ctx, "eni", eni_id, record, persist=persist)

    def delete_interface(self, ctx: Ctx, eni: Record) -> None:
        for address in eni["PrivateIpAddresses"]:
            self.release_ip(ctx, eni["SubnetId"], address["PrivateIpAddress"])
        association = eni.get("Association") or {}
        eip = self.find(ctx, "eip", association.get("AllocationId"))
        if eip is not None:
            self.disassociate_eip(ctx, eip)
        self.drop(ctx, eni)

    def _groups(self, ctx: Ctx, subnet: Record, given: list[str] | None) -> list[str]:
        if given:
            for group_id in given:
                group = self.get(ctx, "sg", group_id, "SecurityGroupId")
                if group["VpcId"] != subnet["VpcId"]:
                    raise core.invalid(
                        f"The security group '{group_id}' does not exist in VPC '{subnet['VpcId']}'",
                        "InvalidGroup.NotFound",
                    )
            return list(given)
        default = next(
            g
            for g in ctx.state.kind("sg").values()
            if g["VpcId"] == subnet["VpcId"] and g["GroupName"] == "default"
        )
        return [default["GroupId"]]

    def create_network_interface(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        subnet = self.get(ctx, "subnet", params.get("SubnetId"), "SubnetId")
        groups = self._groups(ctx, subnet, params.get("Groups"))
        wanted = params.get("PrivateIpAddress")
        for item in params.get("PrivateIpAddresses") or ():
            if item.get("Primary"):
                wanted = item.get("PrivateIpAddress")
        with self.store.transaction():
            eni = self.create_interface(
                ctx,
                subnet,
                groups,
                params.get("Description") or "",
                params.get("InterfaceType") or "interface",
                private_ip=wanted,
                tags=self.tag_specs(params, "network-interface"),
                secondary=params.get("SecondaryPrivateIpAddressCount") or 0,
            )
        shown = core.public(eni)
        shown["Status"] = "pending"
        out: dict[str, Any] = {"NetworkInterface": shown}
        if params.get("ClientToken"):
            out["ClientToken"] = params["ClientToken"]
        return out

    def describe_network_interfaces(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "eni", params, "NetworkInterfaceIds", "NetworkInterfaces")

    def delete_network_interface(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        if eni.get("Attachment"):
            raise core.error(
                "InvalidNetworkInterface.InUse",
                f"Network interface '{eni['NetworkInterfaceId']}' is currently in use.",
            )
        with self.store.transaction():
            self.delete_interface(ctx, eni)
        return {}

    def attach_network_interface(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        instance = self.get(ctx, "i", params.get("InstanceId"), "InstanceId")
        if eni.get("Attachment"):
            raise core.error(
                "InvalidNetworkInterface.InUse", f"Interface: [{eni['NetworkInterfaceId']}] in use."
            )
        index = params.get("DeviceIndex")
        if any(n["Attachment"]["DeviceIndex"] == index for n in instance["NetworkInterfaces"]):
            raise core.invalid(
                f"Instance '{instance['InstanceId']}' already has an interface attached at device index '{index}'.",
                "InvalidParameterValue",
            )
        with self.store.transaction():
            attachment = self.attach_interface(ctx, eni, instance, index or 0, False)
            self.save(ctx, instance)
        return {"AttachmentId": attachment["AttachmentId"], "NetworkCardIndex": 0}

    def attach_interface(
        self, ctx: Ctx, eni: Record, instance: Record, index: int, delete_on_termination: bool
    ) -> dict[str, Any]:
        attachment = {
            "AttachTime": core.now(),
            "AttachmentId": core.new_id("eni-attach"),
            "DeleteOnTermination": delete_on_termination,
            "DeviceIndex": index,
            "NetworkCardIndex": 0,
            "InstanceId": instance["InstanceId"],
            "InstanceOwnerId": ctx.account,
            "Status": "attached",
        }
        eni["Attachment"] = attachment
        eni["Status"] = "in-use"
        self.save(ctx, eni)
        instance["NetworkInterfaces"].append(self.instance_interface(ctx, eni))
        return attachment

    def instance_interface(self, ctx: Ctx, eni: Record) -> dict[str, Any]:
        """The interface as DescribeInstances shows it inside an instance."""
        shown = {
            key: eni[key]
            for key in (
                "Description",
                "Groups",
                "Ipv6Addresses",
                "MacAddress",
                "NetworkInterfaceId",
                "OwnerId",
                "PrivateDnsName",
                "PrivateIpAddress",
                "SourceDestCheck",
                "Status",
                "SubnetId",
                "VpcId",
                "InterfaceType",
            )
        }
        attachment = eni.get("Attachment") or {}
        shown["Attachment"] = {
            k: attachment[k]
            for k in (
                "AttachTime",
                "AttachmentId",
                "DeleteOnTermination",
                "DeviceIndex",
                "Status",
                "NetworkCardIndex",
            )
            if k in attachment
        }
        shown["PrivateIpAddresses"] = [dict(p) for p in eni["PrivateIpAddresses"]]
        if eni.get("Association"):
            association = {
                k: eni["Association"][k]
                for k in ("IpOwnerId", "PublicDnsName", "PublicIp")
                if k in eni["Association"]
            }
            shown["Association"] = association
            shown["PrivateIpAddresses"][0]["Association"] = association
        return shown

    def detach_network_interface(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        wanted = params.get("AttachmentId")
        for eni in ctx.state.kind("eni").values():
            attachment = eni.get("Attachment")
            if attachment and attachment["AttachmentId"] == wanted:
                if attachment["DeviceIndex"] == 0 and not params.get("Force"):
                    raise core.error(
                        "OperationNotPermitted",
                        "The network interface at device index 0 cannot be detached.",
                    )
                with self.store.transaction():
                    self.detach_interface(ctx, eni)
                return {}
        raise core.error(
            "InvalidAttachmentID.NotFound", f"The network interface attachment ID '{wanted}' does not exist"
        )

    def detach_interface(self, ctx: Ctx, eni: Record) -> None:
        attachment = eni.pop("Attachment")
        eni["Status"] = "available"
        self.save(ctx, eni)
        instance = self.find(ctx, "i", attachment["InstanceId"])
        if instance is not None:
            instance["NetworkInterfaces"] = [
                n
                for n in instance["NetworkInterfaces"]
                if n["NetworkInterfaceId"] != eni["NetworkInterfaceId"]
            ]
            self.save(ctx, instance)

    def refresh_instance_interfaces(self, ctx: Ctx, instance_id: str | None) -> None:
        instance = self.find(ctx, "i", instance_id)
        if instance is None:
            return
        shown = []
        for item in instance["NetworkInterfaces"]:
            eni = self.find(ctx, "eni", item["NetworkInterfaceId"])
            shown.append(self.instance_interface(ctx, eni) if eni else item)
        instance["NetworkInterfaces"] = shown
        self.instance_addresses_changed(ctx, instance)
        self.save(ctx, instance)

    def instance_addresses_changed(self, ctx: Ctx, instance: Record) -> None:
        """Recompute the instance's public address from its primary interface (compute.py)."""

    def describe_network_interface_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        attribute = params.get("Attribute")
        out: dict[str, Any] = {"NetworkInterfaceId": eni["NetworkInterfaceId"]}
        if attribute == "description":
            out["Description"] = {"Value": eni["Description"]}
        elif attribute == "groupSet":
            out["Groups"] = eni["Groups"]
        elif attribute == "sourceDestCheck":
            out["SourceDestCheck"] = {"Value": eni["SourceDestCheck"]}
        elif attribute == "attachment":
            if eni.get("Attachment"):
                out["Attachment"] = eni["Attachment"]
        elif attribute == "associatePublicIpAddress":
            out["AssociatePublicIpAddress"] = bool(eni.get("Association"))
        else:
            raise core.invalid(f"Value ({attribute}) for parameter attribute is invalid.")
        return out

    def modify_network_interface_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        if isinstance(params.get("Description"), dict):
            eni["Description"] = params["Description"].get("Value", "")
        if isinstance(params.get("SourceDestCheck"), dict):
            eni["SourceDestCheck"] = bool(params["SourceDestCheck"].get("Value"))
        if params.get("Groups"):
            subnet = ctx.state.kind("subnet")[eni["SubnetId"]]
            groups = self._groups(ctx, subnet, params["Groups"])
            eni["Groups"] = [
                {"GroupId": g, "GroupName": ctx.state.kind("sg")[g]["GroupName"]} for g in groups
            ]
        if isinstance(params.get("Attachment"), dict) and eni.get("Attachment"):
            if "DeleteOnTermination" in params["Attachment"]:
                eni["Attachment"]["DeleteOnTermination"] = bool(params["Attachment"]["DeleteOnTermination"])
        with self.store.transaction():
            self.save(ctx, eni)
            if eni.get("Attachment"):
                self.refresh_instance_interfaces(ctx, eni["Attachment"]["InstanceId"])
        return {}

    def reset_network_interface_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        if params.get("SourceDestCheck") is not None:
            eni["SourceDestCheck"] = True
        self.save(ctx, eni)
        return {}

    def assign_private_ip_addresses(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        subnet = ctx.state.kind("subnet")[eni["SubnetId"]]
        wanted = list(params.get("PrivateIpAddresses") or [])
        count = params.get("SecondaryPrivateIpAddressCount") or 0
        assigned = []
        with self.store.transaction():
            for address in wanted + [None] * count:
                ip = self.allocate_ip(ctx, subnet, address)
                eni["PrivateIpAddresses"].append(
                    {"Primary": False, "PrivateIpAddress": ip, "PrivateDnsName": _private_dns(ctx.region, ip)}
                )
                assigned.append({"PrivateIpAddress": ip})
            self.save(ctx, eni)
            if eni.get("Attachment"):
                self.refresh_instance_interfaces(ctx, eni["Attachment"]["InstanceId"])
        return {"NetworkInterfaceId": eni["NetworkInterfaceId"], "AssignedPrivateIpAddresses": assigned}

    def unassign_private_ip_addresses(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        with self.store.transaction():
            for address in params.get("PrivateIpAddresses") or ():
                match = next(
                    (
                        p
                        for p in eni["PrivateIpAddresses"]
                        if p["PrivateIpAddress"] == address and not p["Primary"]
                    ),
                    None,
                )
                if match is None:
                    raise core.error(
                        "InvalidParameterValue",
                        f"Some of the specified addresses are not assigned to interface {eni['NetworkInterfaceId']}",
                    )
                eni["PrivateIpAddresses"].remove(match)
                self.release_ip(ctx, eni["SubnetId"], address)
            self.save(ctx, eni)
            if eni.get("Attachment"):
                self.refresh_instance_interfaces(ctx, eni["Attachment"]["InstanceId"])
        return {}

    # -- Elastic IPs -----------------------------------------------------------------------------

    def new_public_ip(self, ctx: Ctx) -> str:
        taken = {e["PublicIp"] for e in ctx.state.kind("eip").values()}
        while True:
            address = str(
                ipaddress.ip_address(int(ipaddress.ip_address("54.160.0.0")) + secrets.randbelow(1 << 19))
            )
            if address not in taken:
                return address

    def allocate_address(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        if params.get("Address"):
            raise core.invalid(
                f"The address '{params['Address']}' is not available for allocation",
                "InvalidAddress.NotFound",
            )
        if len(ctx.state.kind("eip")) >= 5 * 1000:
            raise core.error("AddressLimitExceeded", "The maximum number of addresses has been reached.")
        allocation_id = core.new_id("eipalloc")
        record = {
            "AllocationId": allocation_id,
            "Domain": "vpc",
            "PublicIpv4Pool": "amazon",
            "NetworkBorderGroup": params.get("NetworkBorderGroup") or ctx.region,
            "PublicIp": self.new_public_ip(ctx),
        }
        self.new(ctx, "eip", allocation_id, record, self.tag_specs(params, "elastic-ip"))
        return {
            key: record[key]
            for key in ("AllocationId", "Domain", "PublicIpv4Pool", "NetworkBorderGroup", "PublicIp")
        }

    def describe_addresses(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        ids = list(params.get("AllocationIds") or [])
        for address in params.get("PublicIps") or ():
            match = next((e for e in ctx.state.kind("eip").values() if e["PublicIp"] == address), None)
            if match is None:
                raise core.error("InvalidAddress.NotFound", f"Address '{address}' not found.")
            ids.append(match["AllocationId"])
        return {"Addresses": [core.public(e) for e in self.select(ctx, "eip", params, ids)]}

    def describe_addresses_attribute(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = self.select(ctx, "eip", {}, params.get("AllocationIds"))
        found, token = core.page(found, params, "eipattr")
        out: dict[str, Any] = {
            "Addresses": [{"PublicIp": e["PublicIp"], "AllocationId": e["AllocationId"]} for e in found]
        }
        if token:
            out["NextToken"] = token
        return out

    def associate_eip(self, ctx: Ctx, eip: Record, eni: Record, private_ip: str) -> str:
        association_id = core.new_id("eipassoc")
        eip.update(
            AssociationId=association_id,
            NetworkInterfaceId=eni["NetworkInterfaceId"],
            NetworkInterfaceOwnerId=ctx.account,
            PrivateIpAddress=private_ip,
        )
        attachment = eni.get("Attachment") or {}
        if attachment.get("InstanceId"):
            eip["InstanceId"] = attachment["InstanceId"]
        self.save(ctx, eip)
        eni["Association"] = {
            "IpOwnerId": ctx.account,
            "PublicDnsName": public_dns(ctx.region, eip["PublicIp"]),
            "PublicIp": eip["PublicIp"],
            "AllocationId": eip["AllocationId"],
            "AssociationId": association_id,
        }
        self.save(ctx, eni)
        if attachment.get("InstanceId"):
            self.refresh_instance_interfaces(ctx, attachment["InstanceId"])
        return association_id

    def disassociate_eip(self, ctx: Ctx, eip: Record) -> None:
        eni = self.find(ctx, "eni", eip.get("NetworkInterfaceId"))
        for key in (
            "AssociationId",
            "NetworkInterfaceId",
            "NetworkInterfaceOwnerId",
            "PrivateIpAddress",
            "InstanceId",
        ):
            eip.pop(key, None)
        self.save(ctx, eip)
        if eni is not None:
            eni.pop("Association", None)
            self.save(ctx, eni)
            if eni.get("Attachment"):
                self.refresh_instance_interfaces(ctx, eni["Attachment"]["InstanceId"])

    def associate_address(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        if params.get("AllocationId"):
            eip = self.get(ctx, "eip", params["AllocationId"], "AllocationId")
        elif params.get("PublicIp"):
            found = next(
                (e for e in ctx.state.kind("eip").values() if e["PublicIp"] == params["PublicIp"]), None
            )
            if found is None:
                raise core.error("InvalidAddress.NotFound", f"Address '{params['PublicIp']}' not found.")
            eip = found
        else:
            raise core.missing("AllocationId")
        if params.get("InstanceId"):
            instance = self.get(ctx, "i", params["InstanceId"], "InstanceId")
            primary = next(
                (n for n in instance["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0), None
            )
            if primary is None:
                raise core.error(
                    "InvalidInstanceID", f"The instance '{instance['InstanceId']}' has no network interface"
                )
            if instance["State"]["Name"] not in ("running", "stopped", "pending", "stopping"):
                raise core.error(
                    "InvalidInstanceID",
                    f"The pending instance '{instance['InstanceId']}' is not in a valid state for this operation.",
                )
            eni = ctx.state.kind("eni")[primary["NetworkInterfaceId"]]
        elif params.get("NetworkInterfaceId"):
            eni = self.get(ctx, "eni", params["NetworkInterfaceId"], "NetworkInterfaceId")
        else:
            raise core.missing("InstanceId")
        if (
            eip.get("AssociationId")
            and not params.get("AllowReassociation")
            and eip.get("NetworkInterfaceId") != eni["NetworkInterfaceId"]
        ):
            raise core.error(
                "Resource.AlreadyAssociated",
                f"resource {eip['AllocationId']} is already associated with associate-id {eip['AssociationId']}",
            )
        private_ip = params.get("PrivateIpAddress") or eni["PrivateIpAddress"]
        with self.store.transaction():
            if eip.get("AssociationId"):
                self.disassociate_eip(ctx, eip)
            previous = (eni.get("Association") or {}).get("AllocationId")
            if previous and previous != eip["AllocationId"]:
                old = self.find(ctx, "eip", previous)
                if old is not None:
                    self.disassociate_eip(ctx, old)
            eni.pop("Association", None)
            association = self.associate_eip(ctx, eip, eni, private_ip)
        return {"AssociationId": association}

    def disassociate_address(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        wanted = params.get("AssociationId")
        public = params.get("PublicIp")
        for eip in ctx.state.kind("eip").values():
            if (wanted and eip.get("AssociationId") == wanted) or (
                public and eip["PublicIp"] == public and eip.get("AssociationId")
            ):
                with self.store.transaction():
                    self.disassociate_eip(ctx, eip)
                return {}
        raise core.error(
            "InvalidAssociationID.NotFound", f"The association ID '{wanted or public}' does not exist"
        )

    def release_address(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        if params.get("AllocationId"):
            eip = self.get(ctx, "eip", params["AllocationId"], "AllocationId")
        else:
            found = next(
                (e for e in ctx.state.kind("eip").values() if e["PublicIp"] == params.get("PublicIp")), None
            )
            if found is None:
                raise core.error("InvalidAddress.NotFound", f"Address '{params.get('PublicIp')}' not found.")
            eip = found
        if eip.get("AssociationId"):
            raise core.error("InvalidIPAddress.InUse", "Address is in use.")
        self.drop(ctx, eip)
        return {}

    # -- VPC endpoints ---------------------------------------------------------------------------

    def endpoint_services(self, ctx: Ctx) -> list[dict[str, Any]]:
        found = []
        for service, gateway in ENDPOINT_SERVICES:
            name = f"com.amazonaws.{ctx.region}.{service}"
            zones = [z["ZoneName"] for z in self.zones(ctx)]
            found.append(
                {
                    "ServiceName": name,
                    "ServiceId": "vpce-svc-" + hashlib.sha256(name.encode()).hexdigest()[:17],
                    "ServiceType": [{"ServiceType": "Interface"}]
                    + ([{"ServiceType": "Gateway"}] if gateway else []),
                    "AvailabilityZones": zones,
                    "Owner": "amazon",
                    "BaseEndpointDnsNames": [f"{service}.{ctx.region}.vpce.amazonaws.com"],
                    "PrivateDnsName": f"{service}.{ctx.region}.amazonaws.com",
                    "PrivateDnsNames": [{"PrivateDnsName": f"{service}.{ctx.region}.amazonaws.com"}],
                    "VpcEndpointPolicySupported": True,
                    "AcceptanceRequired": False,
                    "ManagesVpcEndpoints": False,
                    "Tags": [],
                    "PrivateDnsNameVerificationState": "verified",
                    "SupportedIpAddressTypes": ["ipv4"],
                    "_gateway": gateway,
                }
            )
        return found

    def zones(self, ctx: Ctx) -> list[dict[str, Any]]:
        from overcast.services.ec2 import catalog

        return catalog.zones(ctx.region)

    def describe_vpc_endpoint_services(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        services = self.endpoint_services(ctx)
        wanted = params.get("ServiceNames")
        if wanted:
            known = {s["ServiceName"] for s in services}
            for name in wanted:
                if name not in known:
                    raise core.error(
                        "InvalidServiceName", f"The Vpc Endpoint Service '{name}' does not exist"
                    )
            services = [s for s in services if s["ServiceName"] in wanted]
        filters = params.get("Filters") or []
        for flt in filters:
            values = set(flt.get("Values") or [])
            if flt.get("Name") == "service-name":
                services = [s for s in services if s["ServiceName"] in values]
            elif flt.get("Name") == "service-type":
                services = [s for s in services if values & {t["ServiceType"] for t in s["ServiceType"]}]
            elif flt.get("Name") not in ("owner", "service-region"):
                raise core.invalid(f"The filter '{flt.get('Name')}' is invalid")
        details = [{k: v for k, v in s.items() if not k.startswith("_")} for s in services]
        return {"ServiceNames": [s["ServiceName"] for s in services], "ServiceDetails": details}

    def create_vpc_endpoint(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        name = params.get("ServiceName")
        service = next((s for s in self.endpoint_services(ctx) if s["ServiceName"] == name), None)
        if service is None:
            raise core.error("InvalidServiceName", f"The Vpc Endpoint Service '{name}' does not exist")
        kind = params.get("VpcEndpointType") or "Gateway"
        if kind == "Gateway" and not service["_gateway"]:
            raise core.invalid(
                f"The Vpc Endpoint Service '{name}' does not support endpoint type Gateway.",
                "InvalidParameter",
            )
        endpoint_id = core.new_id("vpce")
        record: Record = {
            "VpcEndpointId": endpoint_id,
            "VpcEndpointType": kind,
            "VpcId": vpc["VpcId"],
            "ServiceName": name,
            "State": "available" if kind == "Gateway" else "pending",
            "PolicyDocument": params.get("PolicyDocument") or FULL_ACCESS,
            "RouteTableIds": [],
            "SubnetIds": [],
            "Groups": [],
            "PrivateDnsEnabled": bool(params.get("PrivateDnsEnabled", kind == "Interface"))
            if kind == "Interface"
            else False,
            "RequesterManaged": False,
            "NetworkInterfaceIds": [],
            "DnsEntries": [],
            "CreationTimestamp": core.now(),
            "OwnerId": ctx.account,
            "_kind": "vpce",
            "_id": endpoint_id,
        }
        if kind == "Interface":
            record["IpAddressType"] = "ipv4"
            record["DnsOptions"] = {"DnsRecordIpType": "ipv4"}
        with self.store.transaction():
            if kind == "Gateway":
                self._endpoint_routes(ctx, record, params.get("RouteTableIds") or [], [])
            else:
                self._endpoint_subnets(
                    ctx, record, params.get("SubnetIds") or [], [], params.get("SecurityGroupIds") or []
                )
                self.later(ctx, record, ENDPOINT_PENDING_SECONDS)
            self.new(ctx, "vpce", endpoint_id, record, self.tag_specs(params, "vpc-endpoint"))
        out: dict[str, Any] = {"VpcEndpoint": core.public(record)}
        if params.get("ClientToken"):
            out["ClientToken"] = params["ClientToken"]
        return out

    def advance_vpce(self, ctx: Ctx, record: Record) -> None:
        if record["State"] == "pending":
            record["State"] = "available"
            self.save(ctx, record)
        elif record["State"] == "deleting":
            self.drop(ctx, record)

    def _endpoint_routes(self, ctx: Ctx, record: Record, add: list[str], remove: list[str]) -> None:
        service = record["ServiceName"].rsplit(".", 1)[-1]
        prefix_list = next(
            (
                p["PrefixListId"]
                for p in self.prefix_lists(ctx).values()
                if p["PrefixListName"].endswith("." + service)
            ),
            None,
        )
        for table_id in add:
            table = self.get(ctx, "rtb", table_id, "RouteTableId")
            if table_id not in record["RouteTableIds"]:
                record["RouteTableIds"].append(table_id)
                table["Routes"].append(
                    {
                        "DestinationPrefixListId": prefix_list,
                        "GatewayId": record["VpcEndpointId"],
                        "Origin": "CreateRoute",
                        "State": "active",
                    }
                )
                self.save(ctx, table)
        for table_id in remove:
            found = self.find(ctx, "rtb", table_id)
            if table_id in record["RouteTableIds"]:
                record["RouteTableIds"].remove(table_id)
            if found is not None:
                found["Routes"] = [
                    r for r in found["Routes"] if r.get("GatewayId") != record["VpcEndpointId"]
                ]
                self.save(ctx, found)

    def _endpoint_subnets(
        self, ctx: Ctx, record: Record, add: list[str], remove: list[str], groups: list[str]
    ) -> None:
        service = record["ServiceName"].rsplit(".", 1)[-1]
        endpoint_id = record["VpcEndpointId"]
        suffix = secrets.token_hex(4)
        for subnet_id in add:
            subnet = self.get(ctx, "subnet", subnet_id, "SubnetId")
            if subnet["VpcId"] != record["VpcId"]:
                raise core.invalid(f"The subnet ID '{subnet_id}' does not belong to {record['VpcId']}")
            if any(
                ctx.state.kind("subnet")[s]["AvailabilityZone"] == subnet["AvailabilityZone"]
                for s in record["SubnetIds"]
            ):
                raise core.error(
                    "DuplicateSubnetsInSameZone",
                    "Found another VPC endpoint subnet in the availability zone.",
                )
            chosen = self._groups(ctx, subnet, groups or [g["GroupId"] for g in record["Groups"]] or None)
            record["Groups"] = [
                {"GroupId": g, "GroupName": ctx.state.kind("sg")[g]["GroupName"]} for g in chosen
            ]
            eni = self.create_interface(
                ctx,
                subnet,
                chosen,
                f"VPC Endpoint Interface {endpoint_id}",
                "vpc_endpoint",
                requester="727180483921",
            )
            record["SubnetIds"].append(subnet_id)
            record["NetworkInterfaceIds"].append(eni["NetworkInterfaceId"])
        for subnet_id in remove:
            if subnet_id in record["SubnetIds"]:
                record["SubnetIds"].remove(subnet_id)
                for eni_id in list(record["NetworkInterfaceIds"]):
                    held = self.find(ctx, "eni", eni_id)
                    if held is not None and held["SubnetId"] == subnet_id:
                        self.delete_interface(ctx, held)
                        record["NetworkInterfaceIds"].remove(eni_id)
        base = f"{endpoint_id}-{suffix}.{service}.{ctx.region}.vpce.amazonaws.com"
        entries = [{"DnsName": base, "HostedZoneId": "Z7HUB22UULQXV"}]
        for subnet_id in record["SubnetIds"]:
            zone = ctx.state.kind("subnet")[subnet_id]["AvailabilityZone"]
            entries.append(
                {
                    "DnsName": f"{endpoint_id}-{suffix}-{zone}.{service}.{ctx.region}.vpce.amazonaws.com",
                    "HostedZoneId": "Z7HUB22UULQXV",
                }
            )
        if record.get("PrivateDnsEnabled"):
            entries.append(
                {"DnsName": f"{service}.{ctx.region}.amazonaws.com", "HostedZoneId": "ZONEIDPENDING"}
            )
        record["DnsEntries"] = entries if record["SubnetIds"] else []

    def describe_vpc_endpoints(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "vpce", params, "VpcEndpointIds", "VpcEndpoints")

    def modify_vpc_endpoint(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "vpce", params.get("VpcEndpointId"), "VpcEndpointId")
        with self.store.transaction():
            if record["VpcEndpointType"] == "Gateway":
                self._endpoint_routes(
                    ctx, record, params.get("AddRouteTableIds") or [], params.get("RemoveRouteTableIds") or []
                )
            else:
                groups = [g["GroupId"] for g in record["Groups"]]
                groups = [g for g in groups if g not in (params.get("RemoveSecurityGroupIds") or [])]
                for group_id in params.get("AddSecurityGroupIds") or ():
                    self.get(ctx, "sg", group_id, "SecurityGroupId")
                    if group_id not in groups:
                        groups.append(group_id)
                record["Groups"] = [
                    {"GroupId": g, "GroupName": ctx.state.kind("sg")[g]["GroupName"]} for g in groups
                ]
                if "PrivateDnsEnabled" in params:
                    record["PrivateDnsEnabled"] = bool(params["PrivateDnsEnabled"])
                self._endpoint_subnets(
                    ctx, record, params.get("AddSubnetIds") or [], params.get("RemoveSubnetIds") or [], groups
                )
            if params.get("ResetPolicy"):
                record["PolicyDocument"] = FULL_ACCESS
            elif params.get("PolicyDocument"):
                record["PolicyDocument"] = params["PolicyDocument"]
            self.save(ctx, record)
        return {"Return": True}

    def delete_vpc_endpoints(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        failed = []
        with self.store.transaction():
            for endpoint_id in params.get("VpcEndpointIds") or ():
                record = self.find(ctx, "vpce", endpoint_id)
                if record is None:
                    code, message = core.NOT_FOUND["vpce"]
                    failed.append(
                        {
                            "Error": {"Code": code, "Message": message.format(endpoint_id)},
                            "ResourceId": endpoint_id,
                        }
                    )
                    continue
                self._endpoint_routes(ctx, record, [], list(record["RouteTableIds"]))
                for eni_id in record["NetworkInterfaceIds"]:
                    eni = self.find(ctx, "eni", eni_id)
                    if eni is not None:
                        self.delete_interface(ctx, eni)
                record["NetworkInterfaceIds"] = []
                record["State"] = "deleting"
                self.later(ctx, record, ENDPOINT_PENDING_SECONDS)
                self.save(ctx, record)
        return {"Unsuccessful": failed}

    # -- VPC peering -----------------------------------------------------------------------------

    def create_vpc_peering_connection(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        peer_account = params.get("PeerOwnerId") or ctx.account
        peer_region = params.get("PeerRegion") or ctx.region
        if not params.get("PeerVpcId"):
            raise core.missing("PeerVpcId")
        peer_ctx = (
            ctx
            if (peer_account, peer_region) == (ctx.account, ctx.region)
            else self.ctx_of(peer_account, peer_region)
        )
        peer = self.get(peer_ctx, "vpc", params["PeerVpcId"], "PeerVpcId")
        pcx_id = core.new_id("pcx")

        def info(owner: Ctx, v: Record) -> dict[str, Any]:
            return {
                "CidrBlock": v["CidrBlock"],
                "CidrBlockSet": [{"CidrBlock": c["CidrBlock"]} for c in v["CidrBlockAssociationSet"]],
                "OwnerId": owner.account,
                "PeeringOptions": {
                    "AllowDnsResolutionFromRemoteVpc": False,
                    "AllowEgressFromLocalClassicLinkToRemoteVpc": False,
                    "AllowEgressFromLocalVpcToRemoteClassicLink": False,
                },
                "VpcId": v["VpcId"],
                "Region": owner.region,
            }

        record = {
            "AccepterVpcInfo": info(peer_ctx, peer),
            "RequesterVpcInfo": info(ctx, vpc),
            "Status": {"Code": "pending-acceptance", "Message": f"Pending Acceptance by {peer_account}"},
            "VpcPeeringConnectionId": pcx_id,
            "ExpirationTime": core.now().replace(microsecond=0) + __import__("datetime").timedelta(days=7),
        }
        tags = self.tag_specs(params, "vpc-peering-connection")
        with self.store.transaction():
            self.new(ctx, "pcx", pcx_id, record, tags)
            if peer_ctx is not ctx:
                self.new(peer_ctx, "pcx", pcx_id, dict(record), tags)
        shown = core.public(record)
        shown["Status"] = {"Code": "initiating-request", "Message": f"Initiating Request to {peer_account}"}
        return {"VpcPeeringConnection": shown}

    def _peering_sides(self, ctx: Ctx, record: Record) -> list[tuple[Ctx, Record]]:
        sides = [(ctx, record)]
        for info in (record["AccepterVpcInfo"], record["RequesterVpcInfo"]):
            if (info["OwnerId"], info.get("Region")) != (ctx.account, ctx.region):
                other = self.ctx_of(info["OwnerId"], info.get("Region") or ctx.region)
                found = self.find(other, "pcx", record["VpcPeeringConnectionId"])
                if found is not None:
                    sides.append((other, found))
        return sides

    def _set_peering_status(self, ctx: Ctx, record: Record, code: str, message: str) -> None:
        for side_ctx, side in self._peering_sides(ctx, record):
            side["Status"] = {"Code": code, "Message": message}
            side.pop("ExpirationTime", None) if code != "pending-acceptance" else None
            self.save(side_ctx, side)
            if code in ("deleted", "rejected"):
                self.blackhole(side_ctx, "VpcPeeringConnectionId", side["VpcPeeringConnectionId"])

    def accept_vpc_peering_connection(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "pcx", params.get("VpcPeeringConnectionId"), "VpcPeeringConnectionId")
        if record["Status"]["Code"] != "pending-acceptance":
            raise core.error(
                "InvalidStateTransition",
                f"Invalid state transition for {record['VpcPeeringConnectionId']}, attempted to transition from {record['Status']['Code']} to active",
            )
        with self.store.transaction():
            self._set_peering_status(ctx, record, "active", "Active")
        return {"VpcPeeringConnection": core.public(record)}

    def reject_vpc_peering_connection(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "pcx", params.get("VpcPeeringConnectionId"), "VpcPeeringConnectionId")
        if record["Status"]["Code"] != "pending-acceptance":
            raise core.error(
                "InvalidStateTransition",
                f"Invalid state transition for {record['VpcPeeringConnectionId']}, attempted to transition from {record['Status']['Code']} to rejected",
            )
        with self.store.transaction():
            self._set_peering_status(ctx, record, "rejected", f"Rejected by {ctx.account}")
        return {"Return": True}

    def delete_vpc_peering_connection(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "pcx", params.get("VpcPeeringConnectionId"), "VpcPeeringConnectionId")
        if record["Status"]["Code"] in ("deleted", "rejected", "failed"):
            raise core.error(
                "InvalidStateTransition",
                f"Invalid state transition for {record['VpcPeeringConnectionId']}, attempted to transition from {record['Status']['Code']} to deleted",
            )
        with self.store.transaction():
            self._set_peering_status(ctx, record, "deleted", f"Deleted by {ctx.account}")
        return {"Return": True}

    def describe_vpc_peering_connections(self, context: RequestContext, params: dict) -> dict:
        return self.listing(
            self.ctx(context), "pcx", params, "VpcPeeringConnectionIds", "VpcPeeringConnections"
        )

    def modify_vpc_peering_connection_options(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "pcx", params.get("VpcPeeringConnectionId"), "VpcPeeringConnectionId")
        if record["Status"]["Code"] != "active":
            raise core.error(
                "OperationNotPermitted",
                f"Peering connection {record['VpcPeeringConnectionId']} is not active.",
            )
        out: dict[str, Any] = {}
        for member, side in (
            ("AccepterPeeringConnectionOptions", "AccepterVpcInfo"),
            ("RequesterPeeringConnectionOptions", "RequesterVpcInfo"),
        ):
            given = params.get(member)
            if given:
                options = record[side]["PeeringOptions"]
                for key, value in given.items():
                    options[key] = bool(value)
                out[member] = dict(options)
        with self.store.transaction():
            for side_ctx, side_record in self._peering_sides(ctx, record):
                if side_record is not record:
                    side_record["AccepterVpcInfo"] = record["AccepterVpcInfo"]
                    side_record["RequesterVpcInfo"] = record["RequesterVpcInfo"]
                self.save(side_ctx, side_record)
        return out

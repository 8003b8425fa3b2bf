"""VPC flow logs (a control plane: Overcast carries no packets, so no records are delivered) and
IPv6 addresses of network interfaces, from their subnet's IPv6 block."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any

from overcast.context import RequestContext
from overcast.services.ec2 import core
from overcast.services.ec2.account import AccountMixin
from overcast.services.ec2.core import FILTERS

DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
    "${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
#: ResourceType → the kind of resource its ids name.
FLOW_LOG_RESOURCES = {"VPC": "vpc", "Subnet": "subnet", "NetworkInterface": "eni"}

core.KIND_OF_PREFIX["fl"] = "fl"
core.RESOURCE_TYPES["fl"] = "vpc-flow-log"
core.NOT_FOUND["fl"] = (
    "InvalidFlowLogId.NotFound",
    "These flow log ids in the input list are not found: [TotalCount: 1] {}",
)
FILTERS["fl"] = {
    "deliver-log-status": lambda r: r["DeliverLogsStatus"],
    "log-destination-type": lambda r: r["LogDestinationType"],
    "flow-log-id": lambda r: r["FlowLogId"],
    "log-group-name": lambda r: r.get("LogGroupName"),
    "resource-id": lambda r: r["ResourceId"],
    "traffic-type": lambda r: r["TrafficType"],
}


class FlowLogMixin(AccountMixin):
    def create_flow_logs(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        kind = FLOW_LOG_RESOURCES.get(params.get("ResourceType") or "")
        if kind is None:
            raise core.invalid(f"Value ({params.get('ResourceType')}) for parameter resourceType is invalid.")
        destination_type = params.get("LogDestinationType") or "cloud-watch-logs"
        destination = params.get("LogDestination")
        group = params.get("LogGroupName")
        if destination_type == "cloud-watch-logs":
            if not group and destination:
                group = destination.split(":log-group:", 1)[-1].split(":", 1)[0]
            if not group:
                raise core.missing("LogGroupName")
            if not params.get("DeliverLogsPermissionArn"):
                raise core.invalid(
                    "DeliverLogsPermissionArn is required for a flow log that delivers to CloudWatch Logs",
                    "InvalidParameter",
                )
            destination = destination or f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{group}"
        elif not destination:
            raise core.missing("LogDestination")
        traffic = params.get("TrafficType") or "ALL"
        interval = params.get("MaxAggregationInterval") or 600
        if interval not in (60, 600):
            raise core.invalid(f"Value ({interval}) for parameter maxAggregationInterval is invalid.")
        created, failed = [], []
        tags = self.tag_specs(params, "vpc-flow-log")
        with self.store.transaction():
            for resource_id in params.get("ResourceIds") or ():
                if self.find(ctx, kind, resource_id) is None:
                    code, message = core.NOT_FOUND[kind]
                    failed.append(
                        {
                            "Error": {"Code": code, "Message": message.format(resource_id)},
                            "ResourceId": resource_id,
                        }
                    )
                    continue
                flow_id = core.new_id("fl")
                record: dict[str, Any] = {
                    "CreationTime": core.now(),
                    "DeliverLogsStatus": "SUCCESS",
                    "FlowLogId": flow_id,
                    "FlowLogStatus": "ACTIVE",
                    "ResourceId": resource_id,
                    "TrafficType": traffic,
                    "LogDestinationType": destination_type,
                    "LogDestination": destination,
                    "LogFormat": params.get("LogFormat") or DEFAULT_FORMAT,
                    "MaxAggregationInterval": interval,
                }
                if group:
                    record["LogGroupName"] = group
                if params.get("DeliverLogsPermissionArn"):
                    record["DeliverLogsPermissionArn"] = params["DeliverLogsPermissionArn"]
                if params.get("DestinationOptions"):
                    record["DestinationOptions"] = {
                        "FileFormat": params["DestinationOptions"].get("FileFormat", "plain-text"),
                        "HiveCompatiblePartitions": bool(
                            params["DestinationOptions"].get("HiveCompatiblePartitions")
                        ),
                        "PerHourPartition": bool(params["DestinationOptions"].get("PerHourPartition")),
                    }
                self.new(ctx, "fl", flow_id, record, list(tags))
                created.append(flow_id)
        out: dict[str, Any] = {"FlowLogIds": created, "Unsuccessful": failed}
        if params.get("ClientToken"):
            out["ClientToken"] = params["ClientToken"]
        return out

    def describe_flow_logs(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        params = dict(params)
        if params.get("Filter"):
            params["Filters"] = params["Filter"]
        wanted = params.get("FlowLogIds")
        found = self.select(
            ctx,
            "fl",
            params,
            visible=[r for r in self.all(ctx, "fl") if not wanted or r["FlowLogId"] in wanted],
        )
        found, token = core.page(found, params, "fl", 1, 1000)
        out: dict[str, Any] = {"FlowLogs": [core.public(r) for r in found]}
        if token:
            out["NextToken"] = token
        return out

    def delete_flow_logs(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        failed = []
        with self.store.transaction():
            for flow_id in params.get("FlowLogIds") or ():
                record = self.find(ctx, "fl", flow_id)
                if record is None:
                    failed.append(
                        {
                            "Error": {
                                "Code": "InvalidFlowLogId.NotFound",
                                "Message": "flow log does not exist",
                            },
                            "ResourceId": flow_id,
                        }
                    )
                    continue
                self.drop(ctx, record)
        return {"Unsuccessful": failed}

    # -- IPv6 addresses of interfaces ------------------------------------------------------------

    def assign_ipv6_addresses(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        subnet = ctx.state.kind("subnet")[eni["SubnetId"]]
        blocks = [a["Ipv6CidrBlock"] for a in subnet.get("Ipv6CidrBlockAssociationSet", ())]
        if not blocks:
            raise core.invalid(
                f"The subnet {subnet['SubnetId']} has no IPv6 CIDR block", "InvalidParameterValue"
            )
        block = ipaddress.ip_network(blocks[0])
        taken = {a["Ipv6Address"] for n in ctx.state.kind("eni").values() for a in n.get("Ipv6Addresses", ())}
        wanted = list(params.get("Ipv6Addresses") or [])
        for address in wanted:
            if ipaddress.ip_address(address) not in block:
                raise core.invalid(f"Address {address} is not in the subnet's IPv6 range")
            if address in taken:
                raise core.invalid(f"Address {address} is in use.", "InvalidIPAddress.InUse")
        for _ in range(params.get("Ipv6AddressCount") or 0):
            while True:
                address = str(block.network_address + 4 + secrets.randbelow(block.num_addresses - 8))
                if address not in taken and address not in wanted:
                    wanted.append(address)
                    break
        eni.setdefault("Ipv6Addresses", []).extend({"Ipv6Address": a, "IsPrimaryIpv6": False} for a in wanted)
        with self.store.transaction():
            self.save(ctx, eni)
            if eni.get("Attachment"):
                self.refresh_instance_interfaces(ctx, eni["Attachment"]["InstanceId"])
        return {"NetworkInterfaceId": eni["NetworkInterfaceId"], "AssignedIpv6Addresses": wanted}

    def unassign_ipv6_addresses(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        eni = self.get(ctx, "eni", params.get("NetworkInterfaceId"), "NetworkInterfaceId")
        wanted = set(params.get("Ipv6Addresses") or ())
        held = {a["Ipv6Address"] for a in eni.get("Ipv6Addresses", ())}
        if not wanted <= held:
            raise core.invalid(
                f"Some of the specified addresses are not assigned to interface {eni['NetworkInterfaceId']}",
                "InvalidParameterValue",
            )
        eni["Ipv6Addresses"] = [a for a in eni.get("Ipv6Addresses", ()) if a["Ipv6Address"] not in wanted]
        with self.store.transaction():
            self.save(ctx, eni)
            if eni.get("Attachment"):
                self.refresh_instance_interfaces(ctx, eni["Attachment"]["InstanceId"])
        return {"NetworkInterfaceId": eni["NetworkInterfaceId"], "UnassignedIpv6Addresses": sorted(wanted)}

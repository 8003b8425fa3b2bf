"""Internet gateways, egress-only internet gateways, NAT gateways (pending → available,
deleting → deleted), route tables, their routes and associations. A route whose target goes
away turns into a blackhole, as on AWS."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.services.ec2 import core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import FILTERS, Record
from overcast.services.ec2.vpc import VpcMixin, network

NAT_PENDING_SECONDS = 2.0
NAT_DELETING_SECONDS = 2.0
#: How long AWS keeps showing a deleted NAT gateway.
NAT_DELETED_VISIBLE_SECONDS = 3600.0

#: A route's target members: the one a route names says what kind of target it is.
TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "InstanceId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "TransitGatewayId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
    "VpcEndpointId",
)
DESTINATIONS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")

FILTERS["igw"] = {
    "attachment.state": lambda r: [a["State"] for a in r["Attachments"]],
    "attachment.vpc-id": lambda r: [a["VpcId"] for a in r["Attachments"]],
    "internet-gateway-id": lambda r: r["InternetGatewayId"],
    "owner-id": lambda r: r["OwnerId"],
}
FILTERS["eigw"] = {
    "egress-only-internet-gateway-id": lambda r: r["EgressOnlyInternetGatewayId"],
    "attachment.state": lambda r: [a["State"] for a in r["Attachments"]],
    "attachment.vpc-id": lambda r: [a["VpcId"] for a in r["Attachments"]],
}
FILTERS["nat"] = {
    "nat-gateway-id": lambda r: r["NatGatewayId"],
    "state": lambda r: r["State"],
    "subnet-id": lambda r: r["SubnetId"],
    "vpc-id": lambda r: r["VpcId"],
}


def _routes(key: str) -> Any:
    return lambda r: [route.get(key) for route in r["Routes"]]


def _assocs(key: str) -> Any:
    return lambda r: [a.get(key) for a in r["Associations"]]


FILTERS["rtb"] = {
    "association.route-table-association-id": _assocs("RouteTableAssociationId"),
    "association.route-table-id": _assocs("RouteTableId"),
    "association.subnet-id": _assocs("SubnetId"),
    "association.gateway-id": _assocs("GatewayId"),
    "association.main": _assocs("Main"),
    "owner-id": lambda r: r["OwnerId"],
    "route-table-id": lambda r: r["RouteTableId"],
    "route.destination-cidr-block": _routes("DestinationCidrBlock"),
    "route.destination-ipv6-cidr-block": _routes("DestinationIpv6CidrBlock"),
    "route.destination-prefix-list-id": _routes("DestinationPrefixListId"),
    "route.egress-only-internet-gateway-id": _routes("EgressOnlyInternetGatewayId"),
    "route.gateway-id": _routes("GatewayId"),
    "route.instance-id": _routes("InstanceId"),
    "route.nat-gateway-id": _routes("NatGatewayId"),
    "route.transit-gateway-id": _routes("TransitGatewayId"),
    "route.origin": _routes("Origin"),
    "route.state": _routes("State"),
    "route.vpc-peering-connection-id": _routes("VpcPeeringConnectionId"),
    "vpc-id": lambda r: r["VpcId"],
}


class RoutingMixin(VpcMixin):
    # -- internet gateways -----------------------------------------------------------------------

    def _new_igw(self, ctx: Ctx, tags: list) -> Record:
        igw_id = core.new_id("igw")
        return self.new(
            ctx, "igw", igw_id, {"Attachments": [], "InternetGatewayId": igw_id, "OwnerId": ctx.account}, tags
        )

    def create_default_igw(self, ctx: Ctx, vpc: Record) -> None:
        igw = self._new_igw(ctx, [])
        igw["Attachments"] = [{"State": "available", "VpcId": vpc["VpcId"]}]
        self.save(ctx, igw)
        main = self.main_route_table(ctx, vpc["VpcId"])
        if main is not None:
            main["Routes"].append(
                {
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "GatewayId": igw["InternetGatewayId"],
                    "Origin": "CreateRoute",
                    "State": "active",
                }
            )
            self.save(ctx, main)

    def create_internet_gateway(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        self.check_tag_types(params, ["internet-gateway"])
        igw = self._new_igw(ctx, self.tag_specs(params, "internet-gateway"))
        return {"InternetGateway": core.public(igw)}

    def describe_internet_gateways(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "igw", params, "InternetGatewayIds", "InternetGateways")

    def attach_internet_gateway(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        igw = self.get(ctx, "igw", params.get("InternetGatewayId"), "InternetGatewayId")
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        if igw["Attachments"]:
            raise core.error(
                "Resource.AlreadyAssociated",
                f"resource {igw['InternetGatewayId']} is already attached to network {igw['Attachments'][0]['VpcId']}",
            )
        for other in ctx.state.kind("igw").values():
            if any(a["VpcId"] == vpc["VpcId"] for a in other["Attachments"]):
                raise core.invalid(
                    f"Network {vpc['VpcId']} already has an internet gateway attached",
                    "InvalidParameterValue",
                )
        igw["Attachments"] = [{"State": "available", "VpcId": vpc["VpcId"]}]
        with self.store.transaction():
            self.save(ctx, igw)
            self.revive_routes(ctx, "GatewayId", igw["InternetGatewayId"], vpc["VpcId"])
        return {}

    def detach_internet_gateway(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        igw = self.get(ctx, "igw", params.get("InternetGatewayId"), "InternetGatewayId")
        vpc_id = params.get("VpcId")
        if not any(a["VpcId"] == vpc_id for a in igw["Attachments"]):
            raise core.error(
                "Gateway.NotAttached",
                f"resource {igw['InternetGatewayId']} is not attached to network {vpc_id}",
            )
        igw["Attachments"] = []
        with self.store.transaction():
            self.save(ctx, igw)
            self.blackhole(ctx, "GatewayId", igw["InternetGatewayId"])
        return {}

    def delete_internet_gateway(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        igw = self.get(ctx, "igw", params.get("InternetGatewayId"), "InternetGatewayId")
        if igw["Attachments"]:
            raise core.error(
                "DependencyViolation",
                f"The internetGateway '{igw['InternetGatewayId']}' has dependencies and cannot be deleted.",
            )
        self.drop(ctx, igw)
        return {}

    # -- egress-only internet gateways -----------------------------------------------------------

    def create_egress_only_internet_gateway(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        eigw_id = core.new_id("eigw")
        record = self.new(
            ctx,
            "eigw",
            eigw_id,
            {
                "Attachments": [{"State": "attached", "VpcId": vpc["VpcId"]}],
                "EgressOnlyInternetGatewayId": eigw_id,
            },
            self.tag_specs(params, "egress-only-internet-gateway"),
        )
        out: dict[str, Any] = {"EgressOnlyInternetGateway": core.public(record)}
        if params.get("ClientToken"):
            out["ClientToken"] = params["ClientToken"]
        return out

    def describe_egress_only_internet_gateways(self, context: RequestContext, params: dict) -> dict:
        return self.listing(
            self.ctx(context), "eigw", params, "EgressOnlyInternetGatewayIds", "EgressOnlyInternetGateways"
        )

    def delete_egress_only_internet_gateway(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(
            ctx, "eigw", params.get("EgressOnlyInternetGatewayId"), "EgressOnlyInternetGatewayId"
        )
        with self.store.transaction():
            self.drop(ctx, record)
            self.blackhole(ctx, "EgressOnlyInternetGatewayId", record["EgressOnlyInternetGatewayId"])
        return {"ReturnCode": True}

    # -- NAT gateways ----------------------------------------------------------------------------

    def create_nat_gateway(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        subnet = self.get(ctx, "subnet", params.get("SubnetId"), "SubnetId")
        connectivity = params.get("ConnectivityType") or "public"
        allocation = params.get("AllocationId")
        eip = None
        if connectivity == "public":
            if not allocation:
                raise core.invalid("AllocationId is required for a public NAT gateway", "MissingParameter")
            eip = self.get(ctx, "eip", allocation, "AllocationId")
            if eip.get("AssociationId"):
                raise core.error(
                    "Resource.AlreadyAssociated", f"Elastic IP address [{allocation}] is already associated"
                )
        nat_id = core.new_id("nat")
        with self.store.transaction():
            eni = self.create_interface(
                ctx, subnet, [], f"Interface for NAT Gateway {nat_id}", "nat_gateway", requester="AWS"
            )
            address: dict[str, Any] = {
                "NetworkInterfaceId": eni["NetworkInterfaceId"],
                "PrivateIp": eni["PrivateIpAddress"],
                "IsPrimary": True,
                "Status": "associating" if eip else "succeeded",
            }
            if eip is not None:
                association = self.associate_eip(ctx, eip, eni, eni["PrivateIpAddress"])
                address.update(
                    AllocationId=eip["AllocationId"], PublicIp=eip["PublicIp"], AssociationId=association
                )
            record: Record = {
                "CreateTime": core.now(),
                "NatGatewayAddresses": [address],
                "NatGatewayId": nat_id,
                "State": "pending",
                "SubnetId": subnet["SubnetId"],
                "VpcId": subnet["VpcId"],
                "ConnectivityType": connectivity,
                "AvailabilityMode": "zonal",
            }
            record["_kind"], record["_id"] = "nat", nat_id
            self.later(ctx, record, NAT_PENDING_SECONDS)
            self.new(ctx, "nat", nat_id, record, self.tag_specs(params, "natgateway"))
        out: dict[str, Any] = {"NatGateway": core.public(record)}
        if params.get("ClientToken"):
            out["ClientToken"] = params["ClientToken"]
        return out

    def advance_nat(self, ctx: Ctx, record: Record) -> None:
        state = record["State"]
        if state == "pending":
            record["State"] = "available"
            for address in record["NatGatewayAddresses"]:
                address["Status"] = "succeeded"
            self.save(ctx, record)
            self.revive_routes(ctx, "NatGatewayId", record["NatGatewayId"], record["VpcId"])
        elif state == "deleting":
            record["State"] = "deleted"
            record["DeleteTime"] = core.now()
            for address in record["NatGatewayAddresses"]:
                address["Status"] = "succeeded"
                eip = self.find(ctx, "eip", address.get("AllocationId"))
                if eip is not None:
                    self.disassociate_eip(ctx, eip)
                address.pop("AssociationId", None)
                eni = self.find(ctx, "eni", address.get("NetworkInterfaceId"))
                if eni is not None:
                    self.delete_interface(ctx, eni)
            self.later(ctx, record, NAT_DELETED_VISIBLE_SECONDS)
            self.save(ctx, record)
        elif state == "deleted":
            self.drop(ctx, record)

    def describe_nat_gateways(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        params = dict(params)
        if params.get("Filter"):
            params["Filters"] = params["Filter"]
        return self.listing(ctx, "nat", params, "NatGatewayIds", "NatGateways")

    def delete_nat_gateway(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "nat", params.get("NatGatewayId"), "NatGatewayId")
        if record["State"] in ("pending", "available"):
            record["State"] = "deleting"
            for address in record["NatGatewayAddresses"]:
                address["Status"] = "disassociating"
            with self.store.transaction():
                self.later(ctx, record, NAT_DELETING_SECONDS)
                self.save(ctx, record)
                self.blackhole(ctx, "NatGatewayId", record["NatGatewayId"])
        return {"NatGatewayId": record["NatGatewayId"]}

    # -- route tables ----------------------------------------------------------------------------

    def _new_route_table(self, ctx: Ctx, vpc: Record, tags: list, main: bool = False) -> Record:
        rtb_id = core.new_id("rtb")
        routes = [
            {
                "DestinationCidrBlock": c["CidrBlock"],
                "GatewayId": "local",
                "Origin": "CreateRouteTable",
                "State": "active",
            }
            for c in vpc["CidrBlockAssociationSet"]
        ] + [
            {
                "DestinationIpv6CidrBlock": c["Ipv6CidrBlock"],
                "GatewayId": "local",
                "Origin": "CreateRouteTable",
                "State": "active",
            }
            for c in vpc.get("Ipv6CidrBlockAssociationSet", ())
        ]
        associations = []
        if main:
            associations.append(
                {
                    "Main": True,
                    "RouteTableAssociationId": core.new_id("rtbassoc"),
                    "RouteTableId": rtb_id,
                    "AssociationState": {"State": "associated"},
                }
            )
        record = {
            "Associations": associations,
            "PropagatingVgws": [],
            "RouteTableId": rtb_id,
            "Routes": routes,
            "VpcId": vpc["VpcId"],
            "OwnerId": ctx.account,
        }
        return self.new(ctx, "rtb", rtb_id, record, tags)

    def main_route_table(self, ctx: Ctx, vpc_id: str) -> Record | None:
        for table in ctx.state.kind("rtb").values():
            if table["VpcId"] == vpc_id and any(a.get("Main") for a in table["Associations"]):
                return table
        return None

    def route_table_of_subnet(self, ctx: Ctx, subnet: Record) -> Record | None:
        """The route table a subnet uses: its explicit association, else its VPC's main table."""
        for table in ctx.state.kind("rtb").values():
            if any(a.get("SubnetId") == subnet["SubnetId"] for a in table["Associations"]):
                return table
        return self.main_route_table(ctx, subnet["VpcId"])

    def create_route_table(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        table = self._new_route_table(ctx, vpc, self.tag_specs(params, "route-table"))
        out: dict[str, Any] = {"RouteTable": core.public(table)}
        if params.get("ClientToken"):
            out["ClientToken"] = params["ClientToken"]
        return out

    def describe_route_tables(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "rtb", params, "RouteTableIds", "RouteTables")

    def delete_route_table(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        table = self.get(ctx, "rtb", params.get("RouteTableId"), "RouteTableId")
        if table["Associations"]:
            raise core.error(
                "DependencyViolation",
                f"The routeTable '{table['RouteTableId']}' has dependencies and cannot be deleted.",
            )
        self.drop(ctx, table)
        return {}

    def _route_target(self, ctx: Ctx, table: Record, params: dict) -> dict[str, Any]:
        given = {key: params[key] for key in TARGETS if params.get(key)}
        if len(given) != 1:
            raise core.invalid(
                "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, "
                "vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, "
                "carrierGatewayId, coreNetworkArn or instanceId",
                "InvalidParameterCombination" if given else "MissingParameter",
            )
        key, value = next(iter(given.items()))
        state = "active"
        if key == "GatewayId":
            if value.startswith("vpce-"):
                self.get(ctx, "vpce", value)
            else:
                igw = self.get(ctx, "igw", value, "GatewayId")
                if not any(a["VpcId"] == table["VpcId"] for a in igw["Attachments"]):
                    raise core.invalid(
                        f"route table {table['RouteTableId']} and network gateway {value} belong to different networks"
                    )
        elif key == "NatGatewayId":
            nat = self.get(ctx, "nat", value, "NatGatewayId")
            if nat["State"] in ("deleting", "deleted", "failed"):
                raise core.not_found("nat", value)
            state = "active" if nat["State"] == "available" else "blackhole"
            if nat["State"] == "pending":
                state = "active"
        elif key == "InstanceId":
            instance = self.get(ctx, "i", value, "InstanceId")
            interfaces = instance.get("NetworkInterfaces") or []
            result: dict[str, Any] = {"InstanceId": value, "InstanceOwnerId": ctx.account}
            if interfaces:
                result["NetworkInterfaceId"] = interfaces[0]["NetworkInterfaceId"]
            result["State"] = "active" if instance["State"]["Name"] == "running" else "blackhole"
            return result
        elif key == "NetworkInterfaceId":
            self.get(ctx, "eni", value, "NetworkInterfaceId")
        elif key == "VpcPeeringConnectionId":
            self.get(ctx, "pcx", value, "VpcPeeringConnectionId")
        elif key == "EgressOnlyInternetGatewayId":
            self.get(ctx, "eigw", value, "EgressOnlyInternetGatewayId")
        return {key: value, "State": state}

    def _destination(self, params: dict) -> tuple[str, str]:
        given = [(key, params[key]) for key in DESTINATIONS if params.get(key)]
        if len(given) != 1:
            raise core.invalid(
                "The request must contain exactly one of destinationCidrBlock, destinationIpv6CidrBlock "
                "or destinationPrefixListId",
                "InvalidParameterCombination" if given else "MissingParameter",
            )
        key, value = given[0]
        if key != "DestinationPrefixListId":
            value = str(network(value, key[0].lower() + key[1:]))
        return key, value

    def _route_index(self, table: Record, key: str, value: str) -> int | None:
        for index, route in enumerate(table["Routes"]):
            if route.get(key) == value:
                return index
        return None

    def create_route(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        table = self.get(ctx, "rtb", params.get("RouteTableId"), "RouteTableId")
        key, value = self._destination(params)
        if self._route_index(table, key, value) is not None:
            raise core.error(
                "RouteAlreadyExists",
                f"The route identified by {value} already exists.",
            )
        if key == "DestinationPrefixListId":
            self.get(ctx, "pl", value, "DestinationPrefixListId") if value.startswith("pl-") else None
        target = self._route_target(ctx, table, params)
        table["Routes"].append({key: value, **target, "Origin": "CreateRoute"})
        self.save(ctx, table)
        return {"Return": True}

    def replace_route(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        table = self.get(ctx, "rtb", params.get("RouteTableId"), "RouteTableId")
        key, value = self._destination(params)
        index = self._route_index(table, key, value)
        if index is None:
            raise core.error(
                "InvalidRoute.NotFound",
                f"There is no route defined for '{value}' in the route table. Use CreateRoute instead.",
            )
        if params.get("LocalTarget"):
            target: dict[str, Any] = {"GatewayId": "local", "State": "active"}
        else:
            target = self._route_target(ctx, table, params)
        table["Routes"][index] = {key: value, **target, "Origin": "CreateRoute"}
        self.save(ctx, table)
        return {}

    def delete_route(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        table = self.get(ctx, "rtb", params.get("RouteTableId"), "RouteTableId")
        key, value = self._destination(params)
        index = self._route_index(table, key, value)
        if index is None:
            field = {
                "DestinationCidrBlock": "destination-cidr-block",
                "DestinationIpv6CidrBlock": "destination-ipv6-cidr-block",
            }.get(key, "destination-prefix-list-id")
            raise core.error(
                "InvalidRoute.NotFound",
                f"no route with {field} {value} in route table {table['RouteTableId']}",
            )
        if table["Routes"][index].get("GatewayId") == "local":
            raise core.invalid(f"cannot remove local route {value} in route table {table['RouteTableId']}")
        del table["Routes"][index]
        self.save(ctx, table)
        return {}

    def associate_route_table(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        table = self.get(ctx, "rtb", params.get("RouteTableId"), "RouteTableId")
        association: dict[str, Any] = {
            "Main": False,
            "RouteTableAssociationId": core.new_id("rtbassoc"),
            "RouteTableId": table["RouteTableId"],
            "AssociationState": {"State": "associated"},
        }
        if params.get("SubnetId"):
            subnet = self.get(ctx, "subnet", params["SubnetId"], "SubnetId")
            if subnet["VpcId"] != table["VpcId"]:
                raise core.invalid(
                    f"Route table {table['RouteTableId']} and subnet {subnet['SubnetId']} belong to different networks"
                )
            for other in ctx.state.kind("rtb").values():
                for existing in other["Associations"]:
                    if existing.get("SubnetId") == subnet["SubnetId"]:
                        raise core.error(
                            "Resource.AlreadyAssociated",
                            f"the specified association for route table {other['RouteTableId']} conflicts with an existing association",
                        )
            association["SubnetId"] = subnet["SubnetId"]
        elif params.get("GatewayId"):
            association["GatewayId"] = params["GatewayId"]
        else:
            raise core.missing("SubnetId")
        table["Associations"].append(association)
        self.save(ctx, table)
        return {
            "AssociationId": association["RouteTableAssociationId"],
            "AssociationState": {"State": "associated"},
        }

    def _association(self, ctx: Ctx, association_id: str | None) -> tuple[Record, dict[str, Any]]:
        for table in ctx.state.kind("rtb").values():
            for association in table["Associations"]:
                if association["RouteTableAssociationId"] == association_id:
                    return table, association
        raise core.error(
            "InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist"
        )

    def disassociate_route_table(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        table, association = self._association(ctx, params.get("AssociationId"))
        if association.get("Main"):
            raise core.invalid(
                f"cannot disassociate the main route table association {association['RouteTableAssociationId']}"
            )
        table["Associations"].remove(association)
        self.save(ctx, table)
        return {}

    def replace_route_table_association(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        old_table, association = self._association(ctx, params.get("AssociationId"))
        table = self.get(ctx, "rtb", params.get("RouteTableId"), "RouteTableId")
        with self.store.transaction():
            old_table["Associations"].remove(association)
            self.save(ctx, old_table)
            new = {
                **association,
                "RouteTableAssociationId": core.new_id("rtbassoc"),
                "RouteTableId": table["RouteTableId"],
            }
            table["Associations"].append(new)
            self.save(ctx, table)
        return {
            "NewAssociationId": new["RouteTableAssociationId"],
            "AssociationState": {"State": "associated"},
        }

    def subnet_deleted(self, ctx: Ctx, subnet: Record) -> None:
        super().subnet_deleted(ctx, subnet)
        for table in ctx.state.kind("rtb").values():
            kept = [a for a in table["Associations"] if a.get("SubnetId") != subnet["SubnetId"]]
            if len(kept) != len(table["Associations"]):
                table["Associations"] = kept
                self.save(ctx, table)

    # -- blackholes ------------------------------------------------------------------------------

    def blackhole(self, ctx: Ctx, key: str, target: str) -> None:
        """Routes to a target that went away (or detached) become blackholes."""
        for table in ctx.state.kind("rtb").values():
            changed = False
            for route in table["Routes"]:
                if route.get(key) == target and route.get("State") != "blackhole":
                    route["State"] = "blackhole"
                    changed = True
            if changed:
                self.save(ctx, table)

    def revive_routes(self, ctx: Ctx, key: str, target: str, vpc_id: str) -> None:
        for table in ctx.state.kind("rtb").values():
            if table["VpcId"] != vpc_id:
                continue
            changed = False
            for route in table["Routes"]:
                if route.get(key) == target and route.get("State") == "blackhole":
                    route["State"] = "active"
                    changed = True
            if changed:
                self.save(ctx, table)

    # -- hooks for other modules -----------------------------------------------------------------

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
        raise NotImplementedError

    def delete_interface(self, ctx: Ctx, eni: Record) -> None:
        raise NotImplementedError

    def associate_eip(self, ctx: Ctx, eip: Record, eni: Record, private_ip: str) -> str:
        raise NotImplementedError

    def disassociate_eip(self, ctx: Ctx, eip: Record) -> None:
        raise NotImplementedError

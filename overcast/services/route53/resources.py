"""Route 53's CloudFormation resource types: AWS::Route53::HostedZone, RecordSet,
RecordSetGroup and HealthCheck, through the Route 53 provider's own operations."""

from __future__ import annotations

import uuid
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceGone,
    ResourceHandler,
    ResourceRequest,
    read_or_gone,
)
from overcast.services.route53.records import canonical_name

_RECORD_KEYS = (
    "SetIdentifier", "Weight", "Region", "Failover", "MultiValueAnswer", "HealthCheckId",
    "CidrRoutingConfig", "GeoProximityLocation",
)  # fmt: skip


def _bare(zone_id: str) -> str:
    return zone_id.rsplit("/", 1)[-1]


async def _zone_id(request: ResourceRequest, properties: dict[str, Any]) -> str:
    if properties.get("HostedZoneId"):
        return _bare(str(properties["HostedZoneId"]))
    name = properties.get("HostedZoneName")
    if not name:
        raise ResourceFailed("Exactly one of [HostedZoneId, HostedZoneName] must be specified")
    found = await request.call("route53", "ListHostedZonesByName", {"DNSName": name, "MaxItems": "1"})
    zones = [z for z in found["HostedZones"] if z["Name"] == canonical_name(name)]
    if not zones:
        raise ResourceFailed(f"No hosted zone found with name {name}")
    return _bare(zones[0]["Id"])


def record_set(given: dict[str, Any]) -> dict[str, Any]:
    """A template's record set in the API's ResourceRecordSet shape."""
    record: dict[str, Any] = {"Name": given["Name"], "Type": given["Type"]}
    for key in _RECORD_KEYS:
        if given.get(key) is not None:
            record[key] = given[key]
    if record.get("Weight") is not None:
        record["Weight"] = int(record["Weight"])
    if isinstance(record.get("MultiValueAnswer"), str):
        record["MultiValueAnswer"] = record["MultiValueAnswer"].lower() == "true"
    if given.get("GeoLocation"):
        record["GeoLocation"] = given["GeoLocation"]
    alias = given.get("AliasTarget")
    if alias:
        evaluate = alias.get("EvaluateTargetHealth", False)
        record["AliasTarget"] = {
            "HostedZoneId": _bare(alias["HostedZoneId"]),
            "DNSName": alias["DNSName"],
            "EvaluateTargetHealth": evaluate
            if isinstance(evaluate, bool)
            else str(evaluate).lower() == "true",
        }
    else:
        record["TTL"] = int(given.get("TTL", 300))
        record["ResourceRecords"] = [{"Value": str(value)} for value in given.get("ResourceRecords") or []]
    return record


async def _change(request: ResourceRequest, zone_id: str, changes: list[tuple[str, dict[str, Any]]]) -> None:
    if changes:
        await request.call(
            "route53",
            "ChangeResourceRecordSets",
            {
                "HostedZoneId": zone_id,
                "ChangeBatch": {"Changes": [{"Action": a, "ResourceRecordSet": r} for a, r in changes]},
            },
        )


async def _current(request: ResourceRequest, zone_id: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """The zone's record set of the record's name, type and set identifier, as it is now."""
    params = {"HostedZoneId": zone_id, "StartRecordName": record["Name"], "StartRecordType": record["Type"]}
    if record.get("SetIdentifier"):
        params["StartRecordIdentifier"] = record["SetIdentifier"]
    try:
        found = await request.call("route53", "ListResourceRecordSets", {**params, "MaxItems": "1"})
    except ResourceFailed as error:
        if error.code == "NoSuchHostedZone":
            return None
        raise
    for candidate in found["ResourceRecordSets"]:
        if (
            canonical_name(candidate["Name"]) == canonical_name(record["Name"])
            and candidate["Type"] == record["Type"]
            and candidate.get("SetIdentifier") == record.get("SetIdentifier")
        ):
            return candidate
    return None


async def _delete_records(request: ResourceRequest, zone_id: str, records: list[dict[str, Any]]) -> None:
    changes = []
    for record in records:
        current = await _current(request, zone_id, record)
        if current is not None:
            changes.append(("DELETE", current))
    await _change(request, zone_id, changes)


class HostedZone(ResourceHandler):
    identifier = "Id"
    attributes = frozenset({"Id", "NameServers"})
    replace_on = frozenset({"Name"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"Name": properties["Name"], "CallerReference": str(uuid.uuid4())}
        comment = (properties.get("HostedZoneConfig") or {}).get("Comment")
        vpcs = properties.get("VPCs") or []
        config: dict[str, Any] = {}
        if comment:
            config["Comment"] = comment
        if vpcs:
            params["VPC"] = {"VPCId": vpcs[0]["VPCId"], "VPCRegion": vpcs[0]["VPCRegion"]}
            config["PrivateZone"] = True
        if config:
            params["HostedZoneConfig"] = config
        created = await request.call("route53", "CreateHostedZone", params)
        zone_id = _bare(created["HostedZone"]["Id"])
        for vpc in vpcs[1:]:
            await request.call(
                "route53",
                "AssociateVPCWithHostedZone",
                {"HostedZoneId": zone_id, "VPC": {"VPCId": vpc["VPCId"], "VPCRegion": vpc["VPCRegion"]}},
            )
        tags = request.user_tags(properties.get("HostedZoneTags"))
        if tags:
            await request.call(
                "route53",
                "ChangeTagsForResource",
                {"ResourceType": "hostedzone", "ResourceId": zone_id, "AddTags": tags},
            )
        logging = properties.get("QueryLoggingConfig")
        if logging:
            await request.call(
                "route53",
                "CreateQueryLoggingConfig",
                {"HostedZoneId": zone_id, "CloudWatchLogsLogGroupArn": logging["CloudWatchLogsLogGroupArn"]},
            )
        return zone_id, await self._attributes(request, zone_id)

    @staticmethod
    async def _attributes(request: ResourceRequest, zone_id: str) -> dict[str, Any]:
        zone = await request.call("route53", "GetHostedZone", {"Id": zone_id})
        servers = (zone.get("DelegationSet") or {}).get("NameServers") or []
        return {"Id": zone_id, "NameServers": servers}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        zone_id = request.physical_id
        properties, old = request.properties, request.old_properties
        comment = (properties.get("HostedZoneConfig") or {}).get("Comment")
        if comment != (old.get("HostedZoneConfig") or {}).get("Comment"):
            await request.call(
                "route53", "UpdateHostedZoneComment", {"Id": zone_id, "Comment": comment or ""}
            )
        new_vpcs = {(v["VPCId"], v["VPCRegion"]) for v in properties.get("VPCs") or []}
        old_vpcs = {(v["VPCId"], v["VPCRegion"]) for v in old.get("VPCs") or []}
        for vpc_id, region in sorted(new_vpcs - old_vpcs):
            await request.call(
                "route53",
                "AssociateVPCWithHostedZone",
                {"HostedZoneId": zone_id, "VPC": {"VPCId": vpc_id, "VPCRegion": region}},
            )
        for vpc_id, region in sorted(old_vpcs - new_vpcs):
            await request.call(
                "route53",
                "DisassociateVPCFromHostedZone",
                {"HostedZoneId": zone_id, "VPC": {"VPCId": vpc_id, "VPCRegion": region}},
            )
        new_tags = {t["Key"]: str(t["Value"]) for t in properties.get("HostedZoneTags") or []}
        old_tags = {t["Key"] for t in old.get("HostedZoneTags") or []}
        params: dict[str, Any] = {"ResourceType": "hostedzone", "ResourceId": zone_id}
        if old_tags - set(new_tags):
            params["RemoveTagKeys"] = sorted(old_tags - set(new_tags))
        if new_tags:
            params["AddTags"] = [{"Key": k, "Value": v} for k, v in new_tags.items()]
        if len(params) > 2:
            await request.call("route53", "ChangeTagsForResource", params)
        return await self._attributes(request, zone_id)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        try:
            zone = await request.call("route53", "GetHostedZone", {"Id": request.physical_id})
        except ResourceFailed as error:
            if error.code == "NoSuchHostedZone":
                raise ResourceGone(request.physical_id) from None
            raise
        current: dict[str, Any] = {"Name": zone["HostedZone"]["Name"]}
        comment = zone["HostedZone"].get("Config", {}).get("Comment")
        if comment:
            current["HostedZoneConfig"] = {"Comment": comment}
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("route53", "DeleteHostedZone", {"Id": request.physical_id})
        except ResourceFailed as error:
            if error.code != "NoSuchHostedZone":
                raise


class RecordSet(ResourceHandler):
    replace_on = frozenset({"HostedZoneId", "HostedZoneName", "Name", "Type", "SetIdentifier"})
    required = ("Name", "Type")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        zone_id = await _zone_id(request, properties)
        await _change(request, zone_id, [("CREATE", record_set(properties))])
        return canonical_name(properties["Name"]).rstrip("."), {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        zone_id = await _zone_id(request, request.properties)
        await _change(request, zone_id, [("UPSERT", record_set(request.properties))])
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            zone_id = await _zone_id(request, request.properties)
        except ResourceFailed:
            return
        await _delete_records(request, zone_id, [record_set(request.properties)])


class RecordSetGroup(ResourceHandler):
    replace_on = frozenset({"HostedZoneId", "HostedZoneName"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        zone_id = await _zone_id(request, properties)
        records = [record_set(r) for r in properties.get("RecordSets") or []]
        await _change(request, zone_id, [("CREATE", r) for r in records])
        return request.physical_name(128), {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        zone_id = await _zone_id(request, request.properties)
        new = [record_set(r) for r in request.properties.get("RecordSets") or []]
        old = [record_set(r) for r in request.old_properties.get("RecordSets") or []]

        def key(r: dict[str, Any]) -> tuple[str, str, str]:
            return canonical_name(r["Name"]), r["Type"], r.get("SetIdentifier") or ""

        kept = {key(r) for r in new}
        await _delete_records(request, zone_id, [r for r in old if key(r) not in kept])
        await _change(request, zone_id, [("UPSERT", r) for r in new])
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            zone_id = await _zone_id(request, request.properties)
        except ResourceFailed:
            return
        await _delete_records(
            request, zone_id, [record_set(r) for r in request.properties.get("RecordSets") or []]
        )


_UPDATABLE_CHECK = (
    "IPAddress", "Port", "ResourcePath", "FullyQualifiedDomainName", "SearchString", "FailureThreshold",
    "Inverted", "Disabled", "HealthThreshold", "ChildHealthChecks", "EnableSNI", "Regions", "AlarmIdentifier",
    "InsufficientDataHealthStatus",
)  # fmt: skip


def _health_config(given: dict[str, Any]) -> dict[str, Any]:
    config = dict(given)
    for key in ("Port", "RequestInterval", "FailureThreshold", "HealthThreshold"):
        if config.get(key) is not None:
            config[key] = int(config[key])
    for key in ("Inverted", "Disabled", "EnableSNI", "MeasureLatency"):
        if isinstance(config.get(key), str):
            config[key] = config[key].lower() == "true"
    return config


class HealthCheck(ResourceHandler):
    identifier = "HealthCheckId"
    attributes = frozenset({"HealthCheckId"})
    required = ("HealthCheckConfig",)

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        old_config, new_config = old.get("HealthCheckConfig") or {}, new.get("HealthCheckConfig") or {}
        fixed = ("Type", "RequestInterval", "MeasureLatency")
        return ["HealthCheckConfig"] if any(old_config.get(k) != new_config.get(k) for k in fixed) else []

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        created = await request.call(
            "route53",
            "CreateHealthCheck",
            {
                "CallerReference": str(uuid.uuid4()),
                "HealthCheckConfig": _health_config(properties["HealthCheckConfig"]),
            },
        )
        check_id = created["HealthCheck"]["Id"]
        tags = request.user_tags(properties.get("HealthCheckTags"))
        if tags:
            await request.call(
                "route53",
                "ChangeTagsForResource",
                {"ResourceType": "healthcheck", "ResourceId": check_id, "AddTags": tags},
            )
        return check_id, {"HealthCheckId": check_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        config = _health_config(request.properties["HealthCheckConfig"])
        params: dict[str, Any] = {"HealthCheckId": request.physical_id}
        for key in _UPDATABLE_CHECK:
            if config.get(key) is not None:
                params[key] = config[key]
        await request.call("route53", "UpdateHealthCheck", params)
        return {"HealthCheckId": request.physical_id}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        try:
            found = await request.call("route53", "GetHealthCheck", {"HealthCheckId": request.physical_id})
        except ResourceFailed as error:
            if error.code == "NoSuchHealthCheck":
                raise ResourceGone(request.physical_id) from None
            raise
        return {"HealthCheckConfig": found["HealthCheck"]["HealthCheckConfig"]}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("route53", "GetHealthCheck", {"HealthCheckId": request.physical_id})
        return {"HealthCheckId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("route53", "DeleteHealthCheck", {"HealthCheckId": request.physical_id})
        except ResourceFailed as error:
            if error.code != "NoSuchHealthCheck":
                raise


def _cidr_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ChangeCidrCollection's changes that turn the `old` Locations into the `new`."""
    before = {loc["LocationName"]: set(loc.get("CidrList") or []) for loc in old}
    after = {loc["LocationName"]: set(loc.get("CidrList") or []) for loc in new}
    changes: list[dict[str, Any]] = []
    for name, blocks in after.items():
        added = sorted(blocks - before.get(name, set()))
        if added:
            changes.append({"LocationName": name, "Action": "PUT", "CidrList": added})
    for name, blocks in before.items():
        dropped = sorted(blocks - after.get(name, set()))
        if dropped:
            changes.append({"LocationName": name, "Action": "DELETE_IF_EXISTS", "CidrList": dropped})
    return changes


class CidrCollection(ResourceHandler):
    identifier = "Id"
    required = ("Name",)
    replace_on = frozenset({"Name"})
    name_property = "Name"
    attributes = frozenset({"Id", "Arn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        output = await request.call(
            "route53",
            "CreateCidrCollection",
            {"Name": request.properties["Name"], "CallerReference": str(uuid.uuid4())},
        )
        collection = output["Collection"]
        changes = _cidr_changes([], request.properties.get("Locations") or [])
        if changes:
            try:
                await request.call(
                    "route53", "ChangeCidrCollection", {"Id": collection["Id"], "Changes": changes}
                )
            except ResourceFailed:
                await request.call("route53", "DeleteCidrCollection", {"Id": collection["Id"]})
                raise
        return collection["Id"], {"Id": collection["Id"], "Arn": collection["Arn"]}

    async def _arn(self, request: ResourceRequest) -> str:
        output = await request.call("route53", "ListCidrCollections", {})
        for collection in output["CidrCollections"]:
            if collection["Id"] == request.physical_id:
                return str(collection["Arn"])
        raise ResourceFailed(
            f"The CIDR collection {request.physical_id} does not exist.", "NoSuchCidrCollectionException"
        )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        changes = _cidr_changes(
            request.old_properties.get("Locations") or [], request.properties.get("Locations") or []
        )
        if changes:
            await request.call(
                "route53", "ChangeCidrCollection", {"Id": request.physical_id, "Changes": changes}
            )
        return {"Id": request.physical_id, "Arn": await self._arn(request)}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return {"Id": request.physical_id, "Arn": await self._arn(request)}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            locations = await request.call(
                "route53", "ListCidrLocations", {"CollectionId": request.physical_id}
            )
        except ResourceFailed as error:
            if error.code == "NoSuchCidrCollectionException":
                return
            raise
        # A collection must be empty before it goes: CloudFormation empties it first.
        for location in locations.get("CidrLocations") or []:
            name = location["LocationName"]
            blocks = await request.call(
                "route53", "ListCidrBlocks", {"CollectionId": request.physical_id, "LocationName": name}
            )
            cidrs = [b["CidrBlock"] for b in blocks.get("CidrBlocks") or []]
            if cidrs:
                await request.call(
                    "route53",
                    "ChangeCidrCollection",
                    {
                        "Id": request.physical_id,
                        "Changes": [{"LocationName": name, "Action": "DELETE_IF_EXISTS", "CidrList": cidrs}],
                    },
                )
        await request.call("route53", "DeleteCidrCollection", {"Id": request.physical_id})


class KeySigningKey(ResourceHandler):
    """A hosted zone's DNSSEC key-signing key; its physical id is "{HostedZoneId}|{Name}"."""

    required = ("HostedZoneId", "Status", "Name", "KeyManagementServiceArn")
    replace_on = frozenset({"HostedZoneId", "Name", "KeyManagementServiceArn"})
    name_property = "Name"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        p = request.properties
        zone = _bare(p["HostedZoneId"])
        await request.call(
            "route53",
            "CreateKeySigningKey",
            {
                "CallerReference": str(uuid.uuid4()),
                "HostedZoneId": zone,
                "KeyManagementServiceArn": p["KeyManagementServiceArn"],
                "Name": p["Name"],
                "Status": p["Status"],
            },
        )
        return f"{zone}|{p['Name']}", {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        zone, name = request.physical_id.split("|", 1)
        if request.properties.get("Status") != request.old_properties.get("Status"):
            operation = (
                "ActivateKeySigningKey"
                if request.properties["Status"] == "ACTIVE"
                else "DeactivateKeySigningKey"
            )
            await request.call("route53", operation, {"HostedZoneId": zone, "Name": name})
        return {}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        zone, name = request.physical_id.split("|", 1)
        found = await read_or_gone(
            request, "route53", "GetDNSSEC", {"HostedZoneId": zone}, "NoSuchHostedZone"
        )
        for key in found.get("KeySigningKeys") or []:
            if key["Name"] == name:
                return {"Name": name, "Status": key["Status"], "KeyManagementServiceArn": key["KmsArn"]}
        raise ResourceGone

    async def delete(self, request: ResourceRequest) -> None:
        zone, name = request.physical_id.split("|", 1)
        params = {"HostedZoneId": zone, "Name": name}
        try:
            # A key must be inactive before it goes: CloudFormation deactivates it first.
            await request.call("route53", "DeactivateKeySigningKey", params)
            await request.call("route53", "DeleteKeySigningKey", params)
        except ResourceFailed as error:
            if error.code not in ("NoSuchKeySigningKey", "NoSuchHostedZone"):
                raise


class DNSSEC(ResourceHandler):
    """DNSSEC signing of a hosted zone; its physical id is the zone's id."""

    required = ("HostedZoneId",)
    updatable = False

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        zone = _bare(request.properties["HostedZoneId"])
        await request.call("route53", "EnableHostedZoneDNSSEC", {"HostedZoneId": zone})
        return zone, {}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request, "route53", "GetDNSSEC", {"HostedZoneId": request.physical_id}, "NoSuchHostedZone"
        )
        if found["Status"]["ServeSignature"] != "SIGNING":
            raise ResourceGone
        return {"HostedZoneId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("route53", "DisableHostedZoneDNSSEC", {"HostedZoneId": request.physical_id})
        except ResourceFailed as error:
            if error.code != "NoSuchHostedZone":
                raise


HANDLERS = {
    "AWS::Route53::HostedZone": HostedZone,
    "AWS::Route53::RecordSet": RecordSet,
    "AWS::Route53::RecordSetGroup": RecordSetGroup,
    "AWS::Route53::HealthCheck": HealthCheck,
    "AWS::Route53::CidrCollection": CidrCollection,
    "AWS::Route53::KeySigningKey": KeySigningKey,
    "AWS::Route53::DNSSEC": DNSSEC,
}

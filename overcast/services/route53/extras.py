"""The rest of Route 53's control plane: reusable delegation sets, query logging configs,
traffic policies and their instances, CIDR collections (IP-based routing's CIDR blocks),
DNSSEC key-signing keys, VPC association authorizations and the geolocation catalogue."""

from __future__ import annotations

import ipaddress
import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.services.route53.errors import error, invalid

if TYPE_CHECKING:
    from overcast.services.route53.provider import Provider

CONTINENTS = {
    "AF": "Africa",
    "AN": "Antarctica",
    "AS": "Asia",
    "EU": "Europe",
    "OC": "Oceania",
    "NA": "North America",
    "SA": "South America",
}
COUNTRIES = {
    "US": "United States",
    "CA": "Canada",
    "MX": "Mexico",
    "BR": "Brazil",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "IE": "Ireland",
    "IN": "India",
    "JP": "Japan",
    "AU": "Australia",
    "SG": "Singapore",
    "CN": "China",
    "ZA": "South Africa",
    "UA": "Ukraine",
}
US_STATES = {
    "CA": "California",
    "NY": "New York",
    "TX": "Texas",
    "WA": "Washington",
    "VA": "Virginia",
    "OR": "Oregon",
}
KSK_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _page(
    rows: list[Any], params: dict[str, Any], token_key: str = "NextToken"
) -> tuple[list[Any], str | None]:
    from overcast.services.route53.provider import max_items

    limit = max_items(params)
    raw = str(params.get(token_key) or params.get("Marker") or "0")
    start = int(raw) if raw.isdigit() else 0
    following = str(start + limit) if start + limit < len(rows) else None
    return rows[start : start + limit], following


class ExtrasMixin:
    # -- reusable delegation sets -------------------------------------------------------------

    def create_reusable_delegation_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import bare_id, name_servers, new_id

        scope = self.scope_of(context)
        reference = params["CallerReference"]
        with self.store.transaction():
            for _, other in self.delegation_sets.scan(scope):
                if other["CallerReference"] == reference:
                    raise error(
                        "DelegationSetAlreadyCreated",
                        "A delegation set with the same owner and caller reference combination has already been created.",
                    )
            zone_id = params.get("HostedZoneId")
            if zone_id:
                zone = self.zone(context, zone_id)
                if zone.get("DelegationSetId"):
                    raise error(
                        "DelegationSetAlreadyReusable",
                        "The specified delegation set has already been marked as reusable.",
                    )
                servers = zone["NameServers"]
            set_id = new_id("N")
            if not zone_id:
                servers = name_servers(set_id)
            row = {"Id": set_id, "CallerReference": reference, "NameServers": servers}
            self.delegation_sets.put(scope, set_id, row)
            if zone_id:
                zone["DelegationSetId"] = set_id
                self.zones.put(scope, bare_id(zone_id), zone)
        context.status = 201
        return {
            "DelegationSet": self._delegation_output(row),
            "Location": f"https://route53.amazonaws.com/2013-04-01/delegationset/{set_id}",
        }

    @staticmethod
    def _delegation_output(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "Id": f"/delegationset/{row['Id']}",
            "CallerReference": row["CallerReference"],
            "NameServers": row["NameServers"],
        }

    def _delegation(self: Provider, context: RequestContext, set_id: str) -> dict[str, Any]:  # type: ignore[misc]
        from overcast.services.route53.provider import bare_id

        row = self.delegation_sets.get(self.scope_of(context), bare_id(set_id))
        if row is None:
            raise error(
                "NoSuchDelegationSet",
                f"A reusable delegation set with the specified ID does not exist: {bare_id(set_id)}",
            )
        return row

    def get_reusable_delegation_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"DelegationSet": self._delegation_output(self._delegation(context, params["Id"]))}

    def delete_reusable_delegation_set(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._delegation(context, params["Id"])
            if any(z.get("DelegationSetId") == row["Id"] for _, z in self.zones.scan(scope)):
                raise error(
                    "DelegationSetInUse",
                    "The specified delegation contains associated hosted zones which must be deleted before the reusable delegation set can be deleted.",
                )
            self.delegation_sets.delete(scope, row["Id"])
        return {}

    def list_reusable_delegation_sets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import max_items

        rows = [r for _, r in self.delegation_sets.scan(self.scope_of(context))]
        limit = max_items(params)
        marker = params.get("Marker")
        if marker:
            rows = [r for r in rows if r["Id"] >= marker]
        out: dict[str, Any] = {
            "DelegationSets": [self._delegation_output(r) for r in rows[:limit]],
            "Marker": marker or "",
            "IsTruncated": len(rows) > limit,
            "MaxItems": str(limit),
        }
        if len(rows) > limit:
            out["NextMarker"] = rows[limit]["Id"]
        return out

    def get_reusable_delegation_set_limit(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._delegation(context, params["DelegationSetId"])
        count = sum(
            1 for _, z in self.zones.scan(self.scope_of(context)) if z.get("DelegationSetId") == row["Id"]
        )
        return {"Limit": {"Type": params["Type"], "Value": 100}, "Count": count}

    # -- query logging ------------------------------------------------------------------------

    def create_query_logging_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        arn = params["CloudWatchLogsLogGroupArn"]
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "logs":
            raise invalid(f"Invalid CloudWatch Logs log group ARN: {arn}")
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            if zone["Config"]["PrivateZone"]:
                raise invalid("Query logging is not supported for private hosted zones.")
            if any(q["HostedZoneId"] == zone["Id"] for _, q in self.query_logging.scan(scope)):
                raise error(
                    "QueryLoggingConfigAlreadyExists",
                    "The hosted zone already has a query logging configuration.",
                )
            if parsed.region != "us-east-1":
                raise invalid("The CloudWatch Logs log group must be in the us-east-1 Region.")
            self._check_log_group(context, arn)
            config_id = str(uuid.uuid4())
            row = {"Id": config_id, "HostedZoneId": zone["Id"], "CloudWatchLogsLogGroupArn": arn}
            self.query_logging.put(scope, config_id, row)
        self.refresh_query_log()
        context.status = 201
        return {
            "QueryLoggingConfig": row,
            "Location": f"https://route53.amazonaws.com/2013-04-01/queryloggingconfig/{config_id}",
        }

    def _query_logging(self: Provider, context: RequestContext, config_id: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.query_logging.get(self.scope_of(context), config_id)
        if row is None:
            raise error(
                "NoSuchQueryLoggingConfig",
                f"There is no query logging configuration with the ID {config_id}.",
            )
        return row

    def get_query_logging_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"QueryLoggingConfig": self._query_logging(context, params["Id"])}

    def delete_query_logging_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._query_logging(context, params["Id"])
        self.query_logging.delete(self.scope_of(context), params["Id"])
        self.refresh_query_log()
        return {}

    def _check_log_group(self: Provider, context: RequestContext, arn: str) -> None:  # type: ignore[misc]
        """The log group exists, and a resource policy lets Route 53 write to it, as AWS checks."""
        from overcast.services.route53.querylog import LOGS_REGION, group_name

        logs = self.runtime.provider("logs")
        logs_context = RequestContext.internal("logs", context.account, LOGS_REGION)
        name = group_name(arn)
        groups = logs.describe_log_groups(logs_context, {"logGroupNamePrefix": name}).get("logGroups") or []
        if not any(group["logGroupName"] == name for group in groups):
            raise error(
                "NoSuchCloudWatchLogsLogGroup", "The specified CloudWatch Logs log group doesn't exist."
            )
        policies = logs.describe_resource_policies(logs_context, {}).get("resourcePolicies") or []
        if not any("route53.amazonaws.com" in (policy.get("policyDocument") or "") for policy in policies):
            raise error(
                "InsufficientCloudWatchLogsResourcePolicy",
                "Amazon Route 53 does not have permission to create log streams and put log events in the "
                "specified CloudWatch Logs log group: add a resource policy that grants it to route53.amazonaws.com.",
            )

    def list_query_logging_configs(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import bare_id

        rows = [r for _, r in self.query_logging.scan(self.scope_of(context))]
        if params.get("HostedZoneId"):
            self.zone(context, params["HostedZoneId"])
            rows = [r for r in rows if r["HostedZoneId"] == bare_id(params["HostedZoneId"])]
        page, following = _page(rows, params)
        out: dict[str, Any] = {"QueryLoggingConfigs": page}
        if following:
            out["NextToken"] = following
        return out

    # -- traffic policies ---------------------------------------------------------------------

    @staticmethod
    def _check_document(document: str) -> None:
        try:
            parsed = json.loads(document)
        except ValueError:
            raise error(
                "InvalidTrafficPolicyDocument", "Invalid JSON in the traffic policy document."
            ) from None
        if not isinstance(parsed, dict) or parsed.get("AWSPolicyFormatVersion") != "2015-10-01":
            raise error("InvalidTrafficPolicyDocument", "The AWSPolicyFormatVersion must be 2015-10-01.")
        if parsed.get("RecordType") is None or ("StartRule" not in parsed and "StartEndpoint" not in parsed):
            raise error(
                "InvalidTrafficPolicyDocument",
                "The document must name a RecordType and a StartRule or StartEndpoint.",
            )

    def _policy_versions(self: Provider, scope: str, policy_id: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        return [r for _, r in self.traffic_policies.scan(scope, policy_id + "|")]

    def create_traffic_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        self._check_document(params["Document"])
        with self.store.transaction():
            if any(r["Name"] == params["Name"] for _, r in self.traffic_policies.scan(scope)):
                raise error(
                    "TrafficPolicyAlreadyExists",
                    f"A traffic policy with the name {params['Name']} already exists.",
                )
            policy_id = str(uuid.uuid4())
            row = {
                "Id": policy_id,
                "Version": 1,
                "Name": params["Name"],
                "Type": json.loads(params["Document"])["RecordType"],
                "Document": params["Document"],
            }
            if params.get("Comment"):
                row["Comment"] = params["Comment"]
            self.traffic_policies.put(scope, f"{policy_id}|{1:06d}", row)
        context.status = 201
        return {
            "TrafficPolicy": row,
            "Location": f"https://route53.amazonaws.com/2013-04-01/trafficpolicy/{policy_id}/1",
        }

    def _policy(self: Provider, context: RequestContext, policy_id: str, version: int) -> dict[str, Any]:  # type: ignore[misc]
        row = self.traffic_policies.get(self.scope_of(context), f"{policy_id}|{int(version):06d}")
        if row is None:
            raise error(
                "NoSuchTrafficPolicy", f"No traffic policy found with ID {policy_id} and version {version}."
            )
        return row

    def create_traffic_policy_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        self._check_document(params["Document"])
        with self.store.transaction():
            versions = self._policy_versions(scope, params["Id"])
            if not versions:
                raise error("NoSuchTrafficPolicy", f"No traffic policy found with ID {params['Id']}.")
            version = versions[-1]["Version"] + 1
            row = {
                "Id": params["Id"],
                "Version": version,
                "Name": versions[0]["Name"],
                "Type": json.loads(params["Document"])["RecordType"],
                "Document": params["Document"],
            }
            if params.get("Comment"):
                row["Comment"] = params["Comment"]
            self.traffic_policies.put(scope, f"{params['Id']}|{version:06d}", row)
        context.status = 201
        return {
            "TrafficPolicy": row,
            "Location": f"https://route53.amazonaws.com/2013-04-01/trafficpolicy/{params['Id']}/{version}",
        }

    def get_traffic_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"TrafficPolicy": self._policy(context, params["Id"], params["Version"])}

    def delete_traffic_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._policy(context, params["Id"], params["Version"])
            if any(
                i["TrafficPolicyId"] == row["Id"] and i["TrafficPolicyVersion"] == row["Version"]
                for _, i in self.traffic_instances.scan(scope)
            ):
                raise error(
                    "TrafficPolicyInUse",
                    "One or more traffic policy instances were created by using the specified traffic policy.",
                )
            self.traffic_policies.delete(scope, f"{row['Id']}|{row['Version']:06d}")
        return {}

    def update_traffic_policy_comment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._policy(context, params["Id"], params["Version"])
            row["Comment"] = params["Comment"]
            self.traffic_policies.put(scope, f"{row['Id']}|{row['Version']:06d}", row)
        return {"TrafficPolicy": row}

    def list_traffic_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import max_items

        scope = self.scope_of(context)
        latest: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = {}
        for _, row in self.traffic_policies.scan(scope):
            latest[row["Id"]] = row
            counts[row["Id"]] = counts.get(row["Id"], 0) + 1
        rows = sorted(latest.values(), key=lambda r: r["Id"])
        marker = params.get("TrafficPolicyIdMarker")
        if marker:
            rows = [r for r in rows if r["Id"] >= marker]
        limit = max_items(params)
        out: dict[str, Any] = {
            "TrafficPolicySummaries": [
                {
                    "Id": r["Id"],
                    "Name": r["Name"],
                    "Type": r["Type"],
                    "LatestVersion": r["Version"],
                    "TrafficPolicyCount": counts[r["Id"]],
                }
                for r in rows[:limit]
            ],
            "IsTruncated": len(rows) > limit,
            "TrafficPolicyIdMarker": rows[limit]["Id"] if len(rows) > limit else (marker or ""),
            "MaxItems": str(limit),
        }
        return out

    def list_traffic_policy_versions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import max_items

        rows = self._policy_versions(self.scope_of(context), params["Id"])
        if not rows:
            raise error("NoSuchTrafficPolicy", f"No traffic policy found with ID {params['Id']}.")
        marker = params.get("TrafficPolicyVersionMarker")
        if marker and str(marker).isdigit():
            rows = [r for r in rows if r["Version"] >= int(marker)]
        limit = max_items(params)
        return {
            "TrafficPolicies": rows[:limit],
            "IsTruncated": len(rows) > limit,
            "TrafficPolicyVersionMarker": str(rows[limit]["Version"]) if len(rows) > limit else "",
            "MaxItems": str(limit),
        }

    def create_traffic_policy_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53 import records as rr

        scope = self.scope_of(context)
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            policy = self._policy(context, params["TrafficPolicyId"], params["TrafficPolicyVersion"])
            name = rr.canonical_name(params["Name"])
            if not rr.in_zone(name, zone["Name"]):
                raise invalid(f"The name {name} is not in the hosted zone {zone['Name']}.")
            for _, other in self.traffic_instances.scan(scope):
                if other["HostedZoneId"] == zone["Id"] and other["Name"] == name:
                    raise error(
                        "TrafficPolicyInstanceAlreadyExists",
                        f"A traffic policy instance already exists for {name}.",
                    )
            instance_id = str(uuid.uuid4())
            row = {
                "Id": instance_id,
                "HostedZoneId": zone["Id"],
                "Name": name,
                "TTL": params["TTL"],
                "State": "Applied",
                "Message": "",
                "TrafficPolicyId": policy["Id"],
                "TrafficPolicyVersion": policy["Version"],
                "TrafficPolicyType": policy["Type"],
            }
            self.traffic_instances.put(scope, instance_id, row)
        context.status = 201
        return {
            "TrafficPolicyInstance": row,
            "Location": f"https://route53.amazonaws.com/2013-04-01/trafficpolicyinstance/{instance_id}",
        }

    def _instance(self: Provider, context: RequestContext, instance_id: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.traffic_instances.get(self.scope_of(context), instance_id)
        if row is None:
            raise error(
                "NoSuchTrafficPolicyInstance", f"No traffic policy instance found with ID {instance_id}."
            )
        return row

    def get_traffic_policy_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"TrafficPolicyInstance": self._instance(context, params["Id"])}

    def delete_traffic_policy_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._instance(context, params["Id"])
        self.traffic_instances.delete(self.scope_of(context), params["Id"])
        return {}

    def update_traffic_policy_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._instance(context, params["Id"])
            policy = self._policy(context, params["TrafficPolicyId"], params["TrafficPolicyVersion"])
            row.update(
                TTL=params["TTL"],
                TrafficPolicyId=policy["Id"],
                TrafficPolicyVersion=policy["Version"],
                TrafficPolicyType=policy["Type"],
            )
            self.traffic_instances.put(scope, row["Id"], row)
        return {"TrafficPolicyInstance": row}

    def get_traffic_policy_instance_count(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"TrafficPolicyInstanceCount": self.traffic_instances.count(self.scope_of(context))}

    def _instances(self: Provider, context: RequestContext, params: dict, keep: Any) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import max_items

        rows = [r for _, r in self.traffic_instances.scan(self.scope_of(context)) if keep(r)]
        rows.sort(key=lambda r: (r["HostedZoneId"], r["Name"]))
        limit = max_items(params)
        out: dict[str, Any] = {
            "TrafficPolicyInstances": rows[:limit],
            "IsTruncated": len(rows) > limit,
            "MaxItems": str(limit),
        }
        if len(rows) > limit:
            out["HostedZoneIdMarker"] = rows[limit]["HostedZoneId"]
            out["TrafficPolicyInstanceNameMarker"] = rows[limit]["Name"]
            out["TrafficPolicyInstanceTypeMarker"] = rows[limit]["TrafficPolicyType"]
        return out

    def list_traffic_policy_instances(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._instances(context, params, lambda r: True)

    # -- CIDR collections ---------------------------------------------------------------------

    def create_cidr_collection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            for _, other in self.cidr_collections.scan(scope):
                if other["Name"] == params["Name"]:
                    raise error(
                        "CidrCollectionAlreadyExistsException",
                        f"A CIDR collection with the name {params['Name']} already exists.",
                    )
            collection_id = str(uuid.uuid4())
            row = {
                "Id": collection_id,
                "Name": params["Name"],
                "Version": 1,
                "Locations": {},
                "Arn": f"arn:aws:route53:::cidrcollection/{collection_id}",
            }
            self.cidr_collections.put(scope, collection_id, row)
        context.status = 201
        return {
            "Collection": self._collection_output(row),
            "Location": f"https://route53.amazonaws.com/2013-04-01/cidrcollection/{collection_id}",
        }

    @staticmethod
    def _collection_output(row: dict[str, Any]) -> dict[str, Any]:
        return {k: row[k] for k in ("Arn", "Id", "Name", "Version")}

    def _collection(self: Provider, context: RequestContext, collection_id: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.cidr_collections.get(self.scope_of(context), collection_id)
        if row is None:
            raise error(
                "NoSuchCidrCollectionException", f"The CIDR collection {collection_id} does not exist."
            )
        return row

    def change_cidr_collection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._collection(context, params["Id"])
            version = params.get("CollectionVersion")
            if version is not None and int(version) != row["Version"]:
                raise error(
                    "CidrCollectionVersionMismatchException",
                    "The CIDR collection version you provided doesn't match the one in the ListCidrCollections operation.",
                )
            locations = {k: list(v) for k, v in row["Locations"].items()}
            for change in params["Changes"]:
                name = change["LocationName"]
                blocks = []
                for block in change["CidrList"]:
                    try:
                        blocks.append(str(ipaddress.ip_network(block, strict=True)))
                    except ValueError:
                        raise invalid(f"Invalid CIDR block: {block}") from None
                if change["Action"] == "PUT":
                    locations[name] = sorted(set(locations.get(name, [])) | set(blocks))
                else:
                    if name not in locations:
                        raise error(
                            "NoSuchCidrLocationException",
                            f"The CIDR collection location {name} does not exist.",
                        )
                    remaining = [b for b in locations[name] if b not in blocks]
                    if remaining:
                        locations[name] = remaining
                    else:
                        if self._location_in_use(scope, row["Id"], name):
                            raise error(
                                "CidrBlockInUseException",
                                f"The CIDR location {name} is in use by a record set.",
                            )
                        del locations[name]
            row["Locations"] = locations
            row["Version"] += 1
            self.cidr_collections.put(scope, row["Id"], row)
        return {"Id": row["Id"]}

    def _location_in_use(self: Provider, scope: str, collection_id: str, location: str | None) -> bool:  # type: ignore[misc]
        for _, record in self.records.scan(scope):
            config = record.get("CidrRoutingConfig")
            if (
                config
                and config["CollectionId"] == collection_id
                and (location is None or config["LocationName"] == location)
            ):
                return True
        return False

    def delete_cidr_collection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._collection(context, params["Id"])
            if row["Locations"]:
                raise error(
                    "CidrCollectionInUseException", "This CIDR collection is in use, and isn't empty."
                )
            self.cidr_collections.delete(scope, row["Id"])
        return {}

    def list_cidr_collections(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = [self._collection_output(r) for _, r in self.cidr_collections.scan(self.scope_of(context))]
        page, following = _page(rows, params)
        out: dict[str, Any] = {"CidrCollections": page}
        if following:
            out["NextToken"] = following
        return out

    def list_cidr_locations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._collection(context, params["CollectionId"])
        page, following = _page([{"LocationName": name} for name in sorted(row["Locations"])], params)
        out: dict[str, Any] = {"CidrLocations": page}
        if following:
            out["NextToken"] = following
        return out

    def list_cidr_blocks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._collection(context, params["CollectionId"])
        location = params.get("LocationName")
        if location and location not in row["Locations"]:
            raise error(
                "NoSuchCidrLocationException", f"The CIDR collection location {location} does not exist."
            )
        blocks = [
            {"CidrBlock": block, "LocationName": name}
            for name, cidrs in sorted(row["Locations"].items())
            if not location or name == location
            for block in cidrs
        ]
        page, following = _page(blocks, params)
        out: dict[str, Any] = {"CidrBlocks": page}
        if following:
            out["NextToken"] = following
        return out

    def check_cidr_location(self: Provider, scope: str, config: dict[str, Any]) -> str | None:  # type: ignore[misc]
        row = self.cidr_collections.get(scope, config["CollectionId"])
        if row is None:
            return f"The CIDR collection {config['CollectionId']} does not exist."
        if config["LocationName"] != "*" and config["LocationName"] not in row["Locations"]:
            return f"The CIDR location {config['LocationName']} does not exist in collection {config['CollectionId']}."
        return None

    def cidr_matches(self: Provider, record: dict[str, Any], client: str) -> bool:  # type: ignore[misc]
        config = record["CidrRoutingConfig"]
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        for scope in self.cidr_collections.scopes():
            row = self.cidr_collections.get(scope, config["CollectionId"])
            if row is not None:
                return any(
                    address in ipaddress.ip_network(block)
                    for block in row["Locations"].get(config["LocationName"], [])
                )
        return False

    # -- DNSSEC key-signing keys --------------------------------------------------------------

    @staticmethod
    def ksk_output(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k != "HostedZoneId"}

    def create_key_signing_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        import base64
        import hashlib

        scope = self.scope_of(context)
        name = params["Name"]
        if not 3 <= len(name) <= 128 or not set(name) <= KSK_NAME_CHARS:
            raise error(
                "InvalidKeySigningKeyName",
                "The key-signing key (KSK) name doesn't match the accepted pattern.",
            )
        status = params["Status"]
        if status not in ("ACTIVE", "INACTIVE"):
            raise error(
                "InvalidKeySigningKeyStatus", f"The key-signing key (KSK) status {status} isn't valid."
            )
        kms_arn = params["KeyManagementServiceArn"]
        if not kms_arn.startswith("arn:") or ":kms:" not in kms_arn:
            raise error(
                "InvalidKMSArn",
                "The KeyManagementServiceArn that you specified isn't valid to use with DNSSEC signing.",
            )
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            key = f"{zone['Id']}|{name}"
            if self.signing_keys.get(scope, key) is not None:
                raise error(
                    "KeySigningKeyAlreadyExists", f"A key-signing key with the name {name} already exists."
                )
            if self.signing_keys.count(scope, zone["Id"] + "|") >= 2:
                raise error(
                    "TooManyKeySigningKeys",
                    "You've reached the limit for the number of key-signing keys (KSKs).",
                )
            public = base64.b64encode(hashlib.sha512(key.encode()).digest()).decode()
            tag = int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big")
            digest = hashlib.sha256(public.encode()).hexdigest().upper()
            now = datetime.now(UTC)
            row = {
                "HostedZoneId": zone["Id"],
                "Name": name,
                "KmsArn": kms_arn,
                "Flag": 257,
                "SigningAlgorithmMnemonic": "ECDSAP256SHA256",
                "SigningAlgorithmType": 13,
                "DigestAlgorithmMnemonic": "SHA-256",
                "DigestAlgorithmType": 2,
                "KeyTag": tag,
                "DigestValue": digest,
                "PublicKey": public,
                "DSRecord": f"{tag} 13 2 {digest}",
                "DNSKEYRecord": f"257 3 13 {public}",
                "Status": status,
                "CreatedDate": now,
                "LastModifiedDate": now,
            }
            self.signing_keys.put(scope, key, row)
            change = self.new_change(context)
        context.status = 201
        return {
            "ChangeInfo": change,
            "KeySigningKey": self.ksk_output(row),
            "Location": f"https://route53.amazonaws.com/2013-04-01/keysigningkey/{zone['Id']}/{name}",
        }

    def _ksk(self: Provider, context: RequestContext, zone_id: str, name: str) -> dict[str, Any]:  # type: ignore[misc]
        zone = self.zone(context, zone_id)
        row = self.signing_keys.get(self.scope_of(context), f"{zone['Id']}|{name}")
        if row is None:
            raise error("NoSuchKeySigningKey", f"The specified key-signing key ({name}) doesn't exist.")
        return row

    def _set_ksk_status(self: Provider, context: RequestContext, params: dict, status: str) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._ksk(context, params["HostedZoneId"], params["Name"])
            if status == "INACTIVE":
                zone = self.zone(context, params["HostedZoneId"])
                others = [
                    r
                    for _, r in self.signing_keys.scan(scope, zone["Id"] + "|")
                    if r["Status"] == "ACTIVE" and r["Name"] != row["Name"]
                ]
                if zone.get("DNSSEC") == "SIGNING" and not others:
                    raise error(
                        "KeySigningKeyInUse",
                        "The key-signing key (KSK) that you specified can't be deactivated because it's the only KSK for a currently-enabled DNSSEC.",
                    )
            row["Status"] = status
            row["LastModifiedDate"] = datetime.now(UTC)
            self.signing_keys.put(scope, f"{row['HostedZoneId']}|{row['Name']}", row)
            change = self.new_change(context)
        return {"ChangeInfo": change}

    def activate_key_signing_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_ksk_status(context, params, "ACTIVE")

    def deactivate_key_signing_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_ksk_status(context, params, "INACTIVE")

    def delete_key_signing_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._ksk(context, params["HostedZoneId"], params["Name"])
            if row["Status"] == "ACTIVE":
                raise error(
                    "InvalidKeySigningKeyStatus",
                    "The key-signing key (KSK) must be INACTIVE before it can be deleted.",
                )
            self.signing_keys.delete(scope, f"{row['HostedZoneId']}|{row['Name']}")
            change = self.new_change(context)
        return {"ChangeInfo": change}

    # -- VPC association authorizations -------------------------------------------------------

    def create_vpc_association_authorization(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        zone = self.zone(context, params["HostedZoneId"])
        if not zone["Config"]["PrivateZone"]:
            raise error("PublicZoneVPCAssociation", "Public hosted zones cannot be associated with VPCs.")
        vpc = params["VPC"]
        if not vpc.get("VPCId") or not vpc.get("VPCRegion"):
            raise error("InvalidVPCId", "The VPC ID and VPC region must both be specified.")
        self.vpc_authorizations.put(
            self.scope_of(context), f"{zone['Id']}|{vpc['VPCRegion']}|{vpc['VPCId']}", vpc
        )
        return {"HostedZoneId": zone["Id"], "VPC": vpc}

    def delete_vpc_association_authorization(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        zone = self.zone(context, params["HostedZoneId"])
        vpc = params["VPC"]
        if not self.vpc_authorizations.delete(
            self.scope_of(context), f"{zone['Id']}|{vpc.get('VPCRegion')}|{vpc.get('VPCId')}"
        ):
            raise error(
                "VPCAssociationAuthorizationNotFound",
                "The VPC you specified is not authorized to be associated with the hosted zone.",
            )
        return {}

    def list_vpc_association_authorizations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        zone = self.zone(context, params["HostedZoneId"])
        vpcs = [v for _, v in self.vpc_authorizations.scan(self.scope_of(context), zone["Id"] + "|")]
        page, following = _page(vpcs, params)
        out: dict[str, Any] = {"HostedZoneId": zone["Id"], "VPCs": page}
        if following:
            out["NextToken"] = following
        return out

    # -- geolocations -------------------------------------------------------------------------

    @staticmethod
    def _geo_details() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{"CountryCode": "*", "CountryName": "Default"}]
        out += [{"ContinentCode": code, "ContinentName": name} for code, name in sorted(CONTINENTS.items())]
        for code, name in sorted(COUNTRIES.items()):
            out.append({"CountryCode": code, "CountryName": name})
            if code == "US":
                out += [
                    {"CountryCode": "US", "CountryName": name, "SubdivisionCode": s, "SubdivisionName": n}
                    for s, n in sorted(US_STATES.items())
                ]
        return out

    def get_geo_location(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        want = {k: params.get(k) for k in ("ContinentCode", "CountryCode", "SubdivisionCode")}
        for detail in self._geo_details():
            if all(detail.get(k) == v for k, v in want.items()):
                return {"GeoLocationDetails": detail}
        raise error("NoSuchGeoLocation", "The specified geographic location doesn't exist.")

    def list_geo_locations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import max_items

        details = self._geo_details()
        keys = [
            (d.get("ContinentCode", ""), d.get("CountryCode", ""), d.get("SubdivisionCode", ""))
            for d in details
        ]
        start = (
            params.get("StartContinentCode") or "",
            params.get("StartCountryCode") or "",
            params.get("StartSubdivisionCode") or "",
        )
        index = keys.index(start) if start in keys else 0
        limit = max_items(params)
        page = details[index : index + limit]
        out: dict[str, Any] = {
            "GeoLocationDetailsList": page,
            "IsTruncated": index + limit < len(details),
            "MaxItems": str(limit),
        }
        if index + limit < len(details):
            following = details[index + limit]
            for key, name in (
                ("ContinentCode", "NextContinentCode"),
                ("CountryCode", "NextCountryCode"),
                ("SubdivisionCode", "NextSubdivisionCode"),
            ):
                if following.get(key):
                    out[name] = following[key]
        return out

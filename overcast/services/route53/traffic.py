"""Route 53's traffic policies (documents stored and versioned, instances that apply one to a
name in a hosted zone) and CIDR collections (the CIDR blocks of IP-based routing, which the
DNS engine matches a client's address against)."""

from __future__ import annotations

import ipaddress
import json
import uuid
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.route53.errors import error, invalid
from overcast.services.route53.extras import _page

if TYPE_CHECKING:
    from overcast.services.route53.provider import Provider


#: Alias targets' hosted zone ids by endpoint type (us-east-1's, where a region varies).
_ALIAS_ZONES = {
    "cloudfront": "Z2FDTNDATAQYW2",
    "s3-website": "Z3AQBSTGFYJSTF",
    "elastic-load-balancer": "Z35SXDOTRQ7X7K",
    "application-load-balancer": "Z35SXDOTRQ7X7K",
    "network-load-balancer": "Z26RNL4JYFTOTI",
}


class PolicyProblem(ValueError):
    """A traffic policy document Overcast cannot apply, in words for the instance's Message."""


def policy_records(document: dict[str, Any], name: str, ttl: int, instance_id: str) -> list[dict[str, Any]]:
    """The record sets a traffic policy instance puts at `name`: one for a document that starts
    at an endpoint; one per item of a failover, weighted or multivalue start rule."""
    rtype = document["RecordType"]
    endpoints = document.get("Endpoints") or {}

    def endpoint(reference: str) -> dict[str, Any]:
        found = endpoints.get(reference)
        if not isinstance(found, dict):
            raise PolicyProblem(f"The document names no endpoint {reference}.")
        record: dict[str, Any] = {"Name": name, "Type": rtype, "TrafficPolicyInstanceId": instance_id}
        kind = found.get("Type")
        if kind == "value":
            record.update(TTL=ttl, ResourceRecords=[{"Value": str(found["Value"])}])
        elif kind in _ALIAS_ZONES:
            record["AliasTarget"] = {
                "HostedZoneId": _ALIAS_ZONES[kind],
                "DNSName": found["Value"],
                "EvaluateTargetHealth": False,
            }
        else:
            raise PolicyProblem(f"Endpoints of type {kind} are not applied by Overcast.")
        return record

    def item(entry: dict[str, Any], set_id: str, **policy: Any) -> dict[str, Any]:
        if "RuleReference" in entry:
            raise PolicyProblem("Nested rules are not applied by Overcast; start rules name endpoints.")
        record = endpoint(entry["EndpointReference"])
        record.update(SetIdentifier=set_id, **policy)
        if entry.get("HealthCheck"):
            record["HealthCheckId"] = entry["HealthCheck"]
        if record.get("AliasTarget") and entry.get("EvaluateTargetHealth") is not None:
            record["AliasTarget"]["EvaluateTargetHealth"] = bool(entry["EvaluateTargetHealth"])
        return record

    if document.get("StartEndpoint"):
        return [endpoint(document["StartEndpoint"])]
    rule = (document.get("Rules") or {}).get(document.get("StartRule"))
    if not isinstance(rule, dict):
        raise PolicyProblem(f"The document names no rule {document.get('StartRule')}.")
    kind = rule.get("RuleType")
    prefix = instance_id[:8]
    if kind == "failover":
        return [
            item(rule["Primary"], f"{prefix}-primary", Failover="PRIMARY"),
            item(rule["Secondary"], f"{prefix}-secondary", Failover="SECONDARY"),
        ]
    if kind == "weighted":
        return [
            item(entry, f"{prefix}-{n}", Weight=int(entry.get("Weight", 1)))
            for n, entry in enumerate(rule["Items"])
        ]
    if kind == "multivalue":
        return [item(entry, f"{prefix}-{n}", MultiValueAnswer=True) for n, entry in enumerate(rule["Items"])]
    raise PolicyProblem(f"Rules of type {kind} are not applied by Overcast.")


class TrafficMixin:
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
            self._apply_instance(context, row, policy, [])
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

    def _instance_records(self: Provider, context: RequestContext, row: dict) -> list:  # type: ignore[misc]
        """The record sets an instance put in its zone (as they are now)."""
        prefix = f"{row['HostedZoneId']}|"
        return [
            record
            for _, record in self.records.scan(self.scope_of(context), prefix)
            if record.get("TrafficPolicyInstanceId") == row["Id"]
        ]

    def _apply_instance(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        row: dict[str, Any],
        policy: dict[str, Any],
        old: list[dict[str, Any]],
    ) -> None:
        """Replace the instance's record sets with those its policy makes; a policy that cannot
        be applied leaves the instance Failed with why, and its old record sets in place."""
        try:
            records = policy_records(json.loads(policy["Document"]), row["Name"], int(row["TTL"]), row["Id"])
            changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in old]
            changes += [{"Action": "CREATE", "ResourceRecordSet": r} for r in records]
            self.change_resource_record_sets(
                context,
                {
                    "HostedZoneId": row["HostedZoneId"],
                    "ChangeBatch": {"Changes": changes, "Comment": f"traffic policy instance {row['Id']}"},
                },
            )
        except (PolicyProblem, KeyError, TypeError, ValueError) as problem:
            row.update(State="Failed", Message=str(problem))
        except ServiceError as problem:
            row.update(State="Failed", Message=problem.message)
        else:
            row.update(State="Applied", Message="")

    def delete_traffic_policy_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._instance(context, params["Id"])
            old = self._instance_records(context, row)
            if old:
                self.change_resource_record_sets(
                    context,
                    {
                        "HostedZoneId": row["HostedZoneId"],
                        "ChangeBatch": {
                            "Changes": [{"Action": "DELETE", "ResourceRecordSet": r} for r in old]
                        },
                    },
                )
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
            self._apply_instance(context, row, policy, self._instance_records(context, row))
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

    def list_traffic_policy_instances_by_hosted_zone(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        zone = self.zone(context, params["HostedZoneId"])
        out = self._instances(context, params, lambda r: r["HostedZoneId"] == zone["Id"])
        out.pop("HostedZoneIdMarker", None)
        return out

    def list_traffic_policy_instances_by_policy(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        self._policy(context, params["TrafficPolicyId"], params["TrafficPolicyVersion"])
        return self._instances(
            context,
            params,
            lambda r: (
                r["TrafficPolicyId"] == params["TrafficPolicyId"]
                and r["TrafficPolicyVersion"] == int(params["TrafficPolicyVersion"])
            ),
        )

"""The rest of Route 53's control plane: reusable delegation sets, query logging configs,
traffic policies and their instances, CIDR collections (IP-based routing's CIDR blocks),
DNSSEC key-signing keys, VPC association authorizations and the geolocation catalogue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.services.route53.errors import PUBLIC_ZONE_VPC, error, invalid, no_zone
from overcast.services.route53.records import bare_id

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
        # A log group's ARN (`...:log-group:NAME`, optionally `:*`), in us-east-1, where Route 53
        # publishes query logs from.
        if (
            parsed is None
            or parsed.service != "logs"
            or parsed.region != "us-east-1"
            or not parsed.resource.startswith("log-group:")
        ):
            raise invalid("The ARN for the CloudWatch Logs log group is invalid")
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            if zone["Config"]["PrivateZone"]:
                raise invalid("Query logging is not supported for private hosted zones.")
            if any(q["HostedZoneId"] == zone["Id"] for _, q in self.query_logging.scan(scope)):
                raise error(
                    "QueryLoggingConfigAlreadyExists",
                    "The hosted zone already has a query logging configuration.",
                )
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
            raise error("PublicZoneVPCAssociation", PUBLIC_ZONE_VPC)
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

    # -- tags ---------------------------------------------------------------------------------

    def _tagged(self: Provider, context: RequestContext, kind: str, resource_id: str) -> tuple:  # type: ignore[misc]
        scope = self.scope_of(context)
        if kind == "hostedzone":
            if len(resource_id) > 32:  # a zone's id, not its `/hostedzone/` path
                raise invalid(
                    f"1 validation error detected: Value '{resource_id}' at 'resourceId' failed to satisfy "
                    "constraint: Member must have length less than or equal to 32"
                )
            table, key = self.zones, bare_id(resource_id)
            row = table.get(scope, key)
            if row is None:
                raise no_zone(key)
        elif kind == "healthcheck":
            table, key = self.health_checks, resource_id
            row = table.get(scope, key)
            if row is None:
                from overcast.services.route53.errors import no_health_check

                raise no_health_check(key)
        else:
            raise invalid(f"Invalid resource type: {kind}")
        return table, key, row

    def change_tags_for_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        add = params.get("AddTags") or []
        remove = params.get("RemoveTagKeys") or []
        if len(add) > 10:
            raise invalid("Number of tags added exceeds the limit of 10.")
        with self.store.transaction():
            table, key, row = self._tagged(context, params["ResourceType"], params["ResourceId"])
            tags = dict(row.get("Tags") or {})
            for tag in add:
                tags[tag["Key"]] = tag.get("Value", "")
            for name in remove:
                tags.pop(name, None)
            if len(tags) > 50:
                raise error("ThrottlingException", "The number of tags exceeds the limit of 50.")
            row["Tags"] = tags
            table.put(self.scope_of(context), key, row)
        return {}

    def _tag_set(self: Provider, kind: str, resource_id: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return {
            "ResourceType": kind,
            "ResourceId": resource_id,
            "Tags": [{"Key": k, "Value": v} for k, v in (row.get("Tags") or {}).items()],
        }

    def list_tags_for_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        kind = params["ResourceType"]
        _, _, row = self._tagged(context, kind, params["ResourceId"])
        resource_id = bare_id(params["ResourceId"])
        return {"ResourceTagSet": self._tag_set(kind, resource_id, row)}

    def list_tags_for_resources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        kind = params["ResourceType"]
        ids = params["ResourceIds"]
        if len(ids) > 10:
            raise invalid("A maximum of 10 resource IDs can be specified.")
        sets = []
        for resource_id in ids:
            _, _, row = self._tagged(context, kind, bare_id(resource_id))
            sets.append(self._tag_set(kind, bare_id(resource_id), row))
        return {"ResourceTagSets": sets}

    # -- DNSSEC -------------------------------------------------------------------------------

    def get_dnssec(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        zone = self.zone(context, params["HostedZoneId"])
        keys = [
            self.ksk_output(row)
            for _, row in self.signing_keys.scan(self.scope_of(context), zone["Id"] + "|")
        ]
        return {"Status": {"ServeSignature": zone.get("DNSSEC", "NOT_SIGNING")}, "KeySigningKeys": keys}

    def enable_hosted_zone_dnssec(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            if zone["Config"]["PrivateZone"]:
                raise error("DNSSECNotFound", "DNSSEC signing is not supported for private hosted zones.")
            active = [
                r for _, r in self.signing_keys.scan(scope, zone["Id"] + "|") if r["Status"] == "ACTIVE"
            ]
            if not active:
                raise error(
                    "KeySigningKeyWithActiveStatusNotFound",
                    "The hosted zone doesn't have any key-signing keys (KSKs) with ACTIVE status.",
                )
            zone["DNSSEC"] = "SIGNING"
            self.zones.put(scope, zone["Id"], zone)
            change = self.new_change(context)
        return {"ChangeInfo": change}

    def disable_hosted_zone_dnssec(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            zone["DNSSEC"] = "NOT_SIGNING"
            self.zones.put(scope, zone["Id"], zone)
            change = self.new_change(context)
        return {"ChangeInfo": change}

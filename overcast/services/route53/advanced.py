"""Route 53's newer zone features: resource record set protections (ChangeResourceRecordSets
refuses to touch a protected name and type), hosted zone tiers and features (accelerated
recovery, public DNS fallback, change guardrails), Change History (the zone's change batches,
kept while the zone is on the ADVANCED tier, which includes it), and health check sources
(the VPC and subnets private endpoint health checks come from; VPC ids are accepted as given).

Statuses that AWS moves asynchronously (ENABLING, CREATE_PENDING, DELETE_PENDING) settle
after SETTLE_SECONDS on the scheduler's clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.route53 import records as rr
from overcast.services.route53.errors import error, invalid

if TYPE_CHECKING:
    from overcast.services.route53.provider import Provider

SETTLE_SECONDS = 1.0
MAX_PROTECTIONS = 100
HISTORY_TIER = "ADVANCED"


def _page_of(rows: list[Any], params: dict[str, Any], default: int = 100) -> tuple[list[Any], str | None]:
    raw = params.get("MaxResults")
    try:
        limit = int(raw) if raw is not None else default
    except ValueError:
        raise invalid(f"Invalid MaxResults: {raw}") from None
    if limit < 1:
        raise invalid("MaxResults must be greater than 0")
    token = params.get("NextToken")
    if token is not None and not str(token).isdigit():
        raise error("InvalidPaginationToken", "The pagination token is not valid.")
    start = int(token or 0)
    following = str(start + limit) if start + limit < len(rows) else None
    return rows[start : start + limit], following


def _moment(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"Invalid {name}: {text}") from None


class AdvancedMixin:
    # -- protections ----------------------------------------------------------------------------

    @staticmethod
    def _protection_key(zone_id: str, name: str, rtype: str) -> str:
        return f"{zone_id}|{rr.sort_key(rr.canonical_name(name))}\x01{rtype}"

    def protected(self: Provider, scope: str, zone_id: str, record: dict[str, Any]) -> bool:  # type: ignore[misc]
        return (
            self.protections.get(scope, self._protection_key(zone_id, record["Name"], record["Type"]))
            is not None
        )

    def create_resource_record_set_protections(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        entries = params["Protections"]
        if len(entries) > MAX_PROTECTIONS:
            raise error(
                "LimitsExceeded", f"You can specify up to {MAX_PROTECTIONS} protections in a request."
            )
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            invalid_entries = []
            for entry in entries:
                name = rr.canonical_name(entry["RecordName"])
                if not rr.in_zone(name, zone["Name"]):
                    invalid_entries.append(
                        {
                            **self._entry(entry),
                            "Code": "InvalidInput",
                            "Message": f"{name} is not in the hosted zone {zone['Name']}",
                        }
                    )
            if invalid_entries:
                raise error(
                    "InvalidResourceRecordSetProtectionBatch",
                    "One or more protections could not be created.",
                    Errors=invalid_entries,
                )
            existing = [
                e
                for e in entries
                if self.protections.get(
                    scope, self._protection_key(zone["Id"], e["RecordName"], e["RecordType"])
                )
            ]
            if existing and len(existing) == len(entries):
                raise error("ProtectionAlreadyExists", "Every protection in the request already exists.", Errors=[
                    {**self._entry(e), "Code": "ProtectionAlreadyExists", "Message": "The protection already exists."} for e in existing
                ])  # fmt: skip
            if existing:
                raise error(
                    "InvalidResourceRecordSetProtectionBatch",
                    "One or more protections could not be created.",
                    Errors=[
                        {
                            **self._entry(e),
                            "Code": "ProtectionAlreadyExists",
                            "Message": "The protection already exists.",
                        }
                        for e in existing
                    ],
                )
            for entry in entries:
                row = {
                    "RecordName": rr.canonical_name(entry["RecordName"]),
                    "RecordType": entry["RecordType"],
                }
                if entry.get("Comment"):
                    row["Comment"] = entry["Comment"]
                self.protections.put(
                    scope, self._protection_key(zone["Id"], entry["RecordName"], entry["RecordType"]), row
                )
        return {}

    @staticmethod
    def _entry(entry: dict[str, Any]) -> dict[str, str]:
        return {"RecordName": entry["RecordName"], "RecordType": entry["RecordType"]}

    def delete_resource_record_set_protections(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            keys = [
                self._protection_key(zone["Id"], e["RecordName"], e["RecordType"])
                for e in params["Protections"]
            ]
            missing = [
                e
                for e, key in zip(params["Protections"], keys, strict=True)
                if self.protections.get(scope, key) is None
            ]
            if missing:
                raise error(
                    "InvalidResourceRecordSetProtectionBatch",
                    "One or more protections could not be deleted.",
                    Errors=[
                        {
                            **self._entry(e),
                            "Code": "NoSuchProtection",
                            "Message": "The protection does not exist.",
                        }
                        for e in missing
                    ],
                )
            for key in keys:
                self.protections.delete(scope, key)
        return {}

    def list_resource_record_set_protections(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        zone = self.zone(context, params["HostedZoneId"])
        prefix = zone["Id"] + "|"
        rows = [row for _, row in self.protections.scan(self.scope_of(context), prefix)]
        if params.get("StartRecordName"):
            start = (
                rr.sort_key(rr.canonical_name(params["StartRecordName"])),
                params.get("StartRecordType") or "",
            )
            rows = [r for r in rows if (rr.sort_key(r["RecordName"]), r["RecordType"]) >= start]
        page, following = _page_of(rows, params)
        out: dict[str, Any] = {"ResourceRecordSetProtections": page}
        if following:
            out["NextToken"] = following
        return out

    # -- tiers and features ---------------------------------------------------------------------

    def zone_features(self: Provider, zone: dict[str, Any]) -> dict[str, Any] | None:  # type: ignore[misc]
        """The HostedZone's Features member, with statuses settled by now (None: no features)."""
        features = zone.get("Features")
        if not features:
            return None
        now = self.runtime.scheduler.now()
        out: dict[str, Any] = {}
        for key in ("AcceleratedRecoveryStatus", "PublicDNSFallbackStatus"):
            state = features.get(key)
            if state:
                status, since = state
                if status in ("ENABLING", "DISABLING") and now - since >= SETTLE_SECONDS:
                    status = "ENABLED" if status == "ENABLING" else "DISABLED"
                out[key] = status
        if features.get("ChangeHistory"):
            out["ChangeHistory"] = features["ChangeHistory"]
        if features.get("ChangeGuardrails"):
            out["ChangeGuardrails"] = features["ChangeGuardrails"]
        return out or None

    def update_hosted_zone_tier(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        tier = params["HostedZoneTier"]
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            features = dict(zone.get("Features") or {})
            accelerated = (features.get("AcceleratedRecoveryStatus") or ("DISABLED", 0))[0]
            if tier != HISTORY_TIER and accelerated in ("ENABLED", "ENABLING"):
                raise invalid(
                    "Turn off accelerated recovery before you move the hosted zone to a tier that doesn't offer it."
                )
            if params.get("DryRun"):
                return {}
            zone["Config"]["HostedZoneTier"] = tier
            if tier == HISTORY_TIER and (features.get("ChangeHistory") or {}).get("Status") != "ENABLED":
                features["ChangeHistory"] = {"Status": "ENABLED", "RetentionStartsAt": datetime.now(UTC)}
            elif tier != HISTORY_TIER and features.get("ChangeHistory"):
                features["ChangeHistory"] = {"Status": "DISABLED"}
            zone["Features"] = features
            self.zones.put(scope, zone["Id"], zone)
        return {}

    def update_hosted_zone_features(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        now = self.runtime.scheduler.now()
        with self.store.transaction():
            zone = self.zone(context, params["HostedZoneId"])
            features = dict(zone.get("Features") or {})
            private = zone["Config"]["PrivateZone"]
            if params.get("EnableAcceleratedRecovery") is not None:
                if private:
                    raise invalid("Accelerated recovery is supported only for public hosted zones.")
                if (
                    params["EnableAcceleratedRecovery"]
                    and zone["Config"].get("HostedZoneTier") != HISTORY_TIER
                ):
                    raise invalid("Accelerated recovery is not available on the hosted zone's tier.")
                features["AcceleratedRecoveryStatus"] = (
                    "ENABLING" if params["EnableAcceleratedRecovery"] else "DISABLING",
                    now,
                )
            if params.get("EnablePublicDNSFallback") is not None:
                if not private:
                    raise invalid("Public DNS fallback is supported only for private hosted zones.")
                features["PublicDNSFallbackStatus"] = (
                    "ENABLING" if params["EnablePublicDNSFallback"] else "DISABLING",
                    now,
                )
            if params.get("ChangeGuardrails") is not None:
                guardrails = {g["Name"]: g["Status"] for g in features.get("ChangeGuardrails") or []}
                for given in params["ChangeGuardrails"]:
                    guardrails[given["Name"]] = given["Status"]
                features["ChangeGuardrails"] = [
                    {"Name": k, "Status": v} for k, v in sorted(guardrails.items())
                ]
            if params.get("DryRun"):
                return {}
            zone["Features"] = features
            self.zones.put(scope, zone["Id"], zone)
        return {}

    # -- Change History -------------------------------------------------------------------------

    def record_batch(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        zone: dict[str, Any],
        info: dict[str, Any],
        operation: str,
        changes: list[dict[str, Any]],
    ) -> None:
        """Keep a change batch in the zone's history, when the zone has Change History."""
        if ((zone.get("Features") or {}).get("ChangeHistory") or {}).get("Status") != "ENABLED":
            return
        change_id = info["Id"].rsplit("/", 1)[-1]
        submitted: datetime = info["SubmittedAt"]
        row = {
            "ChangeId": change_id,
            "Operation": operation,
            "SubmittedAt": submitted,
            "SubmittedBy": context.principal_arn,
            "RequestId": context.request_id,
            "ChangeCount": len(changes),
            "Changes": changes,
        }
        if info.get("Comment"):
            row["Comment"] = info["Comment"]
        key = f"{zone['Id']}|{submitted.strftime('%Y%m%d%H%M%S%f')}|{change_id}"
        self.change_batches.put(self.scope_of(context), key, row)

    def _history(self: Provider, context: RequestContext, params: dict) -> tuple[dict, list]:  # type: ignore[misc]
        zone = self.zone(context, params["HostedZoneId"])
        history = (zone.get("Features") or {}).get("ChangeHistory") or {}
        if history.get("Status") != "ENABLED":
            raise error("FeatureNotEnabled", "Change History is not turned on for the hosted zone.")
        after = _moment(params.get("SubmittedAfter"), "SubmittedAfter")
        before = _moment(params.get("SubmittedBefore"), "SubmittedBefore")
        rows = [row for _, row in self.change_batches.scan(self.scope_of(context), zone["Id"] + "|")]
        rows = [
            r for r in rows
            if (after is None or r["SubmittedAt"] > after) and (before is None or r["SubmittedAt"] < before)
        ]  # fmt: skip
        if params.get("SortOrder") == "DESCENDING":
            rows.reverse()
        return zone, rows

    @staticmethod
    def _summary(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k != "Changes"}

    def list_hosted_zone_change_batches(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, rows = self._history(context, params)
        if params.get("StartAfterChangeId"):
            ids = [r["ChangeId"] for r in rows]
            if params["StartAfterChangeId"] in ids:
                rows = rows[ids.index(params["StartAfterChangeId"]) + 1 :]
        page, following = _page_of(rows, params)
        out: dict[str, Any] = {"ChangeBatchSummaries": [self._summary(r) for r in page]}
        if following:
            out["NextToken"] = following
        return out

    def get_hosted_zone_change_batch(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, rows = self._history(context, {"HostedZoneId": params["HostedZoneId"]})
        from overcast.services.route53.provider import bare_id

        change_id = bare_id(params["ChangeId"])
        for row in rows:
            if row["ChangeId"] == change_id:
                batch: dict[str, Any] = {"Changes": row["Changes"]}
                if row.get("Comment"):
                    batch["Comment"] = row["Comment"]
                return {"ChangeBatchSummary": self._summary(row), "ChangeBatch": batch}
        raise error("NoSuchChange", f"A change with the specified change ID does not exist: {change_id}")

    def list_resource_record_set_changes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, rows = self._history(context, params)
        name = rr.canonical_name(params["RecordName"]) if params.get("RecordName") else None
        rtype = params.get("RecordType")
        changes = []
        for row in rows:
            for change in row["Changes"]:
                record = change["ResourceRecordSet"]
                if name is not None and rr.canonical_name(record["Name"]) != name:
                    continue
                if rtype is not None and record["Type"] != rtype:
                    continue
                summary = {
                    k: row[k] for k in ("ChangeId", "Operation", "SubmittedAt", "SubmittedBy", "RequestId")
                }
                changes.append({**summary, "Action": change["Action"], "ResourceRecordSet": record})
        page, following = _page_of(changes, params)
        out: dict[str, Any] = {"ResourceRecordSetChanges": page}
        if following:
            out["NextToken"] = following
        return out

    # -- health check sources -------------------------------------------------------------------

    def _source(self: Provider, context: RequestContext, source_id: str) -> dict[str, Any]:  # type: ignore[misc]
        scope = self.scope_of(context)
        row = self.health_check_sources.get(scope, source_id)
        if (
            row is not None
            and row["Status"] == "DELETE_PENDING"
            and self.runtime.scheduler.now() - row["since"] >= SETTLE_SECONDS
        ):
            self.health_check_sources.delete(scope, source_id)
            row = None
        if row is None:
            raise error("NoSuchHealthCheckSource", f"No health check source exists with the ID {source_id}.")
        return row

    def _source_output(self: Provider, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        status = row["Status"]
        if status == "CREATE_PENDING" and self.runtime.scheduler.now() - row["since"] >= SETTLE_SECONDS:
            status = "CREATE_COMPLETED"
        return {
            "HealthCheckSourceId": row["Id"],
            "HealthCheckSourceStatus": status,
            "HealthCheckSourceConfig": row["Config"],
        }

    def create_health_check_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        config = params["HealthCheckSourceConfig"]
        subnets = config.get("SubnetConfigurationList") or []
        if not config.get("VpcId", "").startswith("vpc-"):
            raise error("InvalidVPCId", f"The VPC ID {config.get('VpcId')} is not valid.")
        if not 2 <= len(subnets) <= 3 or len({s.get("AvailabilityZoneId") for s in subnets}) != len(subnets):
            raise invalid(
                "SubnetConfigurationList must hold two or three subnets, each in a distinct Availability Zone."
            )
        with self.store.transaction():
            for _, other in self.health_check_sources.scan(scope):
                if other["CallerReference"] == params["CallerReference"]:
                    raise error(
                        "HealthCheckSourceAlreadyExists",
                        "A health check source with the specified CallerReference already exists.",
                    )
            source_id = str(uuid.uuid4())
            row = {
                "Id": source_id, "CallerReference": params["CallerReference"], "Config": config,
                "Status": "CREATE_PENDING", "since": self.runtime.scheduler.now(),
                "Tags": {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []},
            }  # fmt: skip
            self.health_check_sources.put(scope, source_id, row)
        context.status = 201
        return {
            "HealthCheckSourceId": source_id,
            "HealthCheckSourceStatus": "CREATE_PENDING",
            "Location": f"https://route53.amazonaws.com/2013-04-01/healthchecksource/{source_id}",
        }

    def get_health_check_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "HealthCheckSource": self._source_output(self._source(context, params["HealthCheckSourceId"]))
        }

    def list_health_check_sources(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        rows = []
        for key, _ in list(self.health_check_sources.scan(scope)):
            try:
                rows.append(self._source_output(self._source(context, key)))
            except Exception:
                continue
        page, following = _page_of(rows, params)
        out: dict[str, Any] = {"HealthCheckSources": page}
        if following:
            out["NextToken"] = following
        return out

    def delete_health_check_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._source(context, params["HealthCheckSourceId"])
            status = self._source_output(row)["HealthCheckSourceStatus"]
            if status in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
                raise invalid(
                    "The health check source is still being created; try again when it is CREATE_COMPLETED."
                )
            if status == "DELETE_PENDING":
                raise error(
                    "NoSuchHealthCheckSource", f"No health check source exists with the ID {row['Id']}."
                )
            if any(
                c["HealthCheckConfig"].get("HealthCheckSourceId") == row["Id"]
                for _, c in self.health_checks.scan(scope)
            ):
                raise invalid(
                    "Health checks still reference the health check source; delete or update them first."
                )
            row.update(Status="DELETE_PENDING", since=self.runtime.scheduler.now())
            self.health_check_sources.put(scope, row["Id"], row)
        return {"HealthCheckSourceId": row["Id"], "HealthCheckSourceStatus": "DELETE_PENDING"}

    def list_health_checks_by_source(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import max_items

        source = self._source(context, params["HealthCheckSourceId"])
        limit = max_items(params)
        rows = [
            row for _, row in self.health_checks.scan(self.scope_of(context))
            if row["HealthCheckConfig"].get("HealthCheckSourceId") == source["Id"]
        ]  # fmt: skip
        marker = params.get("Marker")
        if marker:
            rows = [r for r in rows if r["Id"] >= marker]
        out: dict[str, Any] = {
            "HealthChecks": [self._health_output(r) for r in rows[:limit]],
            "Marker": marker or "",
            "IsTruncated": len(rows) > limit,
            "MaxItems": str(limit),
        }
        if len(rows) > limit:
            out["NextMarker"] = rows[limit]["Id"]
        return out

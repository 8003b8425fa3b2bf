"""Replication to other regions: a replica is a real secret in the other region's store, with
the primary's ARN suffix, read-only there, rewritten from the primary on every change.
Cross-account replicas (AssociateCrossAccountReplica) link to a secret another account made
with CrossAccountPrimaryARN; the link is recorded and returned."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.secretsmanager import errors
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.secretsmanager.provider import Provider

DEFAULT_KEY = "alias/aws/secretsmanager"


def _account_region(scope: str) -> tuple[str, str]:
    account, region = scope.split("/")
    return account, region


#: RegionType's pattern in the model, which the protocol layer leaves to the service.
_REGION = re.compile(r"^([a-z]+-)+\d+$")


def replica_arn(arn: str, region: str) -> str:
    parts = arn.split(":", 5)
    parts[3] = region
    return ":".join(parts)


class ReplicationMixin:
    def replicate(  # type: ignore[misc]
        self: Provider, scope: str, record: dict, regions: list[dict], overwrite: bool
    ) -> list[dict]:
        """Add replicas in `regions` (inside the caller's transaction): their statuses."""
        account, home = _account_region(scope)
        replicas = record.setdefault("Replicas", {})
        for item in regions:
            region = item.get("Region")  # optional in the model: a replica without one is no replica
            if not region or region == home or not _REGION.match(region):
                raise errors.invalid_parameter("Invalid replica region.")
            status: dict[str, Any] = {"KmsKeyId": item.get("KmsKeyId") or DEFAULT_KEY, "Status": "InSync"}
            there = self.secrets.get(store_scope(account, region), record["Name"])
            if there is not None and there.get("Primary") != home and not overwrite:
                status["Status"] = "Failed"
                status["StatusMessage"] = (
                    f"Replication failed: Secret name {record['Name']} already exists in region {region}."
                )
            else:
                status["StatusMessage"] = "Replication succeeded"
            replicas[region] = status
        record["Region"] = home
        self.secrets.put(scope, record["Name"], record)
        self.sync_replicas(scope, record)
        return self.replication_status(record)

    def sync_replicas(self: Provider, scope: str, record: dict) -> None:  # type: ignore[misc]
        account, home = _account_region(scope)
        for region, status in (record.get("Replicas") or {}).items():
            if status["Status"] != "InSync":
                continue
            replica = copy.deepcopy(record)
            for key in ("Replicas", "Region", "Rotation", "Policy"):
                replica.pop(key, None)
            replica["ARN"] = replica_arn(record["ARN"], region)
            replica["Primary"] = home
            if status["KmsKeyId"] != DEFAULT_KEY:
                replica["KmsKeyId"] = status["KmsKeyId"]
            else:
                replica.pop("KmsKeyId", None)
            self.reseal(record, replica)  # KMS keys are regional: the replica's own key
            self.secrets.put(store_scope(account, region), record["Name"], replica)

    def drop_replicas(self: Provider, scope: str, record: dict, regions: list[str] | None = None) -> None:  # type: ignore[misc]
        account, _ = _account_region(scope)
        replicas = record.get("Replicas") or {}
        for region in list(replicas) if regions is None else regions:
            status = replicas.pop(region, None)
            if status is not None and status["Status"] == "InSync":
                self.secrets.delete(store_scope(account, region), record["Name"])

    @staticmethod
    def replication_status(record: dict) -> list[dict]:
        return [{"Region": region, **status} for region, status in (record.get("Replicas") or {}).items()]

    def replicate_secret_to_regions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            status = self.replicate(
                scope, record, params["AddReplicaRegions"], bool(params.get("ForceOverwriteReplicaSecret"))
            )
            return {"ARN": record["ARN"], "ReplicationStatus": status}

    def remove_regions_from_replication(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            # A region that holds no replica is no error: removing one twice is idempotent.
            regions = [
                region
                for region in params["RemoveReplicaRegions"]
                if region in (record.get("Replicas") or {})
            ]
            self.drop_replicas(scope, record, regions)
            if not record.get("Replicas"):
                record.pop("Replicas", None)
                record.pop("Region", None)
            self.secrets.put(scope, record["Name"], record)
            return {"ARN": record["ARN"], "ReplicationStatus": self.replication_status(record)}

    def stop_replication_to_replica(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Called in the replica's region: the replica becomes a standalone secret."""
        scope = self.scope_of(context)
        with self.store.transaction():
            replica = self.secret(context, params["SecretId"])
            home = replica.get("Primary")
            if not home:
                raise errors.invalid_request("The secret is not a replica secret.")
            primary_scope = store_scope(context.account, home)
            primary = self.secrets.get(primary_scope, replica["Name"])
            if primary is not None:
                (primary.get("Replicas") or {}).pop(context.region, None)
                if not primary.get("Replicas"):
                    primary.pop("Replicas", None)
                    primary.pop("Region", None)
                self.secrets.put(primary_scope, primary["Name"], primary)
            replica.pop("Primary")
            self.secrets.put(scope, replica["Name"], replica)
            return {"ARN": replica["ARN"]}

    def associate_cross_account_replica(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            links = record.setdefault("CrossAccountReplicas", {})
            link = {
                k: params[k]
                for k in ("CrossAccountReplicaARN", "ReplicaRestriction", "ReplicationRoleARN")
                if k in params
            }
            link["ReplicationStatus"] = "InSync"
            links[params["CrossAccountReplicaARN"]] = link
            self.secrets.put(scope, record["Name"], record)
            return {
                "ARN": record["ARN"],
                "CrossAccountReplicaARN": params["CrossAccountReplicaARN"],
                "ReplicationStatus": "InSync",
            }

    def disassociate_cross_account_replica(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            links = record.get("CrossAccountReplicas") or {}
            if params["CrossAccountReplicaARN"] not in links:
                raise errors.not_found("Secrets Manager can't find the specified cross-account replica.")
            del links[params["CrossAccountReplicaARN"]]
            self.secrets.put(scope, record["Name"], record)
            return {"ARN": record["ARN"], "CrossAccountReplicaARN": params["CrossAccountReplicaARN"]}

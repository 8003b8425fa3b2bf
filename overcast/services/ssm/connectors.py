"""Cloud connectors (Create/Get/List/Update/Delete/ValidateCloudConnector): a link from
Systems Manager to an Azure tenant or a GCP organization, through an IAM role and IAM's
outbound web identity federation. Stored and returned as given; validation checks what
Overcast can check (the account's outbound federation and the role, through IAM) and reports
the provider itself as inaccessible, since Overcast has no connection to Azure or GCP."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn, parse_arn
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: Connectors an account may have in a region.
MAX_CONNECTORS = 100
#: Filter key → where its value sits in a connector's configuration.
_FILTERS = {
    "TenantId": ("AzureConfiguration", "TenantId"),
    "SubscriptionId": ("AzureConfiguration", "Targets"),
    "OrganizationId": ("GcpConfiguration", "OrganizationId"),
    "ProjectId": ("GcpConfiguration", "Targets"),
}


def _missing(connector_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Cloud connector {connector_id} was not found.")


def _provider_of(configuration: dict) -> str:
    return "Azure" if "AzureConfiguration" in configuration else "GCP"


def _filter_holds(record: dict, key: str, values: list[str]) -> bool:
    section, member = _FILTERS[key]
    found = (record["Configuration"].get(section) or {}).get(member)
    if isinstance(found, dict):
        return any(
            str(v) in values
            for nested in found.values()
            for v in (nested if isinstance(nested, list) else [nested])
        )
    return found in values


class ConnectorMixin:
    def _connector(self: Provider, context: RequestContext, connector_id: str) -> dict:  # type: ignore[misc]
        record = self.connectors.get(self._scope(context), connector_id)
        if record is None:
            raise _missing(connector_id)
        return record

    def create_cloud_connector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        connector_id = str(uuid.uuid4())
        now = time.time()
        with self.store.transaction():
            existing = [record for _, record in self.connectors.scan(where)]
            if len(existing) >= MAX_CONNECTORS:
                raise ServiceError(
                    "ServiceQuotaExceededException",
                    f"An account can have at most {MAX_CONNECTORS} cloud connectors.",
                )
            if any(record["DisplayName"] == params["DisplayName"] for record in existing):
                raise ServiceError(
                    "ConflictException", f"A cloud connector named {params['DisplayName']} already exists."
                )
            record: dict[str, Any] = {
                "CloudConnectorId": connector_id,
                "CloudConnectorArn": build_arn(
                    "ssm", context.region, context.account, f"cloud-connector/{connector_id}"
                ),
                "DisplayName": params["DisplayName"],
                "RoleArn": params["RoleArn"],
                "Configuration": params["Configuration"],
                "CreatedAt": now,
                "UpdatedAt": now,
                "tags": self._checked_tags(params.get("Tags")),
            }
            for member in ("Description", "ConfigConnectorArn"):
                if params.get(member):
                    record[member] = params[member]
            self.connectors.put(where, connector_id, record)
        return {"CloudConnectorId": connector_id}

    def get_cloud_connector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._connector(context, params["CloudConnectorId"])
        return {key: value for key, value in record.items() if key[0].isupper() and key != "CloudConnectorId"}

    def list_cloud_connectors(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        records = [record for _, record in self.connectors.scan(self._scope(context))]
        for entry in params.get("Filters") or []:
            if entry.get("FilterKey") not in _FILTERS or not entry.get("FilterValues"):
                raise ServiceError("ValidationException", "Each filter needs a FilterKey and FilterValues.")
            records = [r for r in records if _filter_holds(r, entry["FilterKey"], entry["FilterValues"])]
        records.sort(key=lambda r: r["CreatedAt"])

        def render(record: dict) -> dict:
            keys = (
                "CloudConnectorId",
                "DisplayName",
                "Description",
                "RoleArn",
                "CreatedAt",
                "UpdatedAt",
                "ConfigConnectorArn",
            )
            out = {key: record[key] for key in keys if key in record}
            out["Provider"] = _provider_of(record["Configuration"])
            return out

        return paginate_list(
            self.store, "ssm", "ListCloudConnectors", params, records,
            bad_token=lambda: ServiceError("ValidationException", "The specified token isn't valid."),
            default_limit=50, render=render,
        )  # fmt: skip

    def update_cloud_connector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        with self.store.transaction():
            record = self._connector(context, params["CloudConnectorId"])
            configuration = params.get("Configuration")
            if configuration and _provider_of(configuration) != _provider_of(record["Configuration"]):
                raise ServiceError("ConflictException", "A cloud connector can't change its provider.")
            name = params.get("DisplayName")
            if name and name != record["DisplayName"]:
                if any(r["DisplayName"] == name for _, r in self.connectors.scan(where)):
                    raise ServiceError("ConflictException", f"A cloud connector named {name} already exists.")
            for member in ("DisplayName", "Configuration", "Description"):
                if params.get(member) is not None:
                    record[member] = params[member]
            record["UpdatedAt"] = time.time()
            self.connectors.put(where, record["CloudConnectorId"], record)
        return {"CloudConnectorId": record["CloudConnectorId"]}

    def delete_cloud_connector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            if not self.connectors.delete(self._scope(context), params["CloudConnectorId"]):
                raise _missing(params["CloudConnectorId"])
        return {"CloudConnectorId": params["CloudConnectorId"]}

    def validate_cloud_connector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._connector(context, params["CloudConnectorId"])
        iam = self.runtime.provider("iam")
        findings: list[dict] = []
        if iam.outbound_federation(context.account) is None:
            findings.append({
                "Type": "ERROR", "Code": "OutboundWebIdentityFederationDisabled",
                "Message": "Outbound web identity federation is not enabled for the account "
                "(IAM EnableOutboundWebIdentityFederation).",
            })  # fmt: skip
        role = parse_arn(record["RoleArn"])
        role_name = role.resource.split("/")[-1] if role is not None else ""
        if role is None or iam.role(role.account or context.account, role_name) is None:
            findings.append({
                "Type": "ERROR", "Code": "AwsRoleAssumptionFailed",
                "Message": f"The role {record['RoleArn']} can't be assumed: it does not exist.",
            })  # fmt: skip
        configuration = record["Configuration"]
        azure, gcp = configuration.get("AzureConfiguration"), configuration.get("GcpConfiguration")
        scope = (
            {"Type": "azure:tenant", "Id": azure["TenantId"]}
            if azure
            else {"Type": "gcp:organization", "Id": (gcp or {}).get("OrganizationId", "")}
        )
        findings.append({
            "Type": "ERROR", "Code": "TargetInaccessible",
            "Message": f"Overcast has no connection to {_provider_of(configuration)}: the target can't be reached.",
            "Scope": scope,
        })  # fmt: skip
        return paginate_list(
            self.store, "ssm", "ValidateCloudConnector", params, findings,
            bad_token=lambda: ServiceError("ValidationException", "The specified token isn't valid."),
            default_limit=50, bind=record["CloudConnectorId"],
        )  # fmt: skip

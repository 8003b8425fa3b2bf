"""Integrations: Logs with OpenSearch Service (PutIntegration...), and the sources of an S3
Tables integration.

An OpenSearch integration makes AWS create an OpenSearch Serverless collection, its
policies, a data source, a workspace and an application. Overcast has no OpenSearch, so none
of them can be created: the integration is recorded as AWS records one whose provisioning
failed (FAILED, each resource NOT_FOUND with the reason), and can be listed and deleted.

S3 Tables integrations are created outside CloudWatch Logs' API (by the S3 Tables and
observability consoles), and Overcast has no S3 Tables, so no integration ARN names one:
the three source operations answer AWS's error for an integration that does not exist.

Table (scope = account/region): integrations  name → integration
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import Table

if TYPE_CHECKING:
    from .provider import Provider

_NO_OPENSEARCH = "OpenSearch Service is not available in this Overcast; the resource could not be created."
_OPENSEARCH_PARTS = ("dataSource", "application", "collection", "workspace", "encryptionPolicy",
                     "networkPolicy", "accessPolicy", "lifecyclePolicy")  # fmt: skip


def _failed_details() -> dict:
    status = {"status": "NOT_FOUND", "statusMessage": _NO_OPENSEARCH}
    return {"openSearchIntegrationDetails": {part: {"status": dict(status)} for part in _OPENSEARCH_PARTS}}


class IntegrationsMixin:
    @property
    def _integrations(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "integrations")

    def put_integration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name = params["integrationName"]
        config = params["resourceConfig"].get("openSearchResourceConfig")
        if config is None:
            raise ServiceError(
                "InvalidParameterException", "resourceConfig must include openSearchResourceConfig.", 400
            )
        if self._integrations.get(scope, name) is not None:
            raise ServiceError("ValidationException", f"An integration named {name} already exists.", 400)
        integration = {
            "integrationName": name,
            "integrationType": params["integrationType"],
            "integrationStatus": "FAILED",
            "resourceConfig": params["resourceConfig"],
            "integrationDetails": _failed_details(),
        }
        self._integrations.put(scope, name, integration)
        return {"integrationName": name, "integrationStatus": integration["integrationStatus"]}

    def _integration(self: Provider, scope: str, name: str) -> dict:  # type: ignore[misc]
        integration = self._integrations.get(scope, name)
        if integration is None:
            raise ServiceError("ResourceNotFoundException", f"Integration {name} does not exist.", 400)
        return integration

    def get_integration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        integration = self._integration(self._scope(context), params["integrationName"])
        return {k: v for k, v in integration.items() if k != "resourceConfig"}

    def delete_integration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        self._integration(scope, params["integrationName"])
        self._integrations.delete(scope, params["integrationName"])
        return {}

    def list_integrations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        kind, status = params.get("integrationType"), params.get("integrationStatus")
        summaries = [
            {key: integration[key] for key in ("integrationName", "integrationType", "integrationStatus")}
            for _, integration in self._integrations.scan(
                scope, prefix=params.get("integrationNamePrefix") or ""
            )
            if (kind is None or integration["integrationType"] == kind)
            and (status is None or integration["integrationStatus"] == status)
        ]
        return {"integrationSummaries": summaries}

    # -- S3 Tables integrations ----------------------------------------------------------------

    @staticmethod
    def _no_s3_table_integration(arn: str) -> ServiceError:
        return ServiceError("ResourceNotFoundException", f"Integration {arn} does not exist.", 400)

    def associate_source_to_s3_table_integration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        raise self._no_s3_table_integration(params["integrationArn"])

    def list_sources_for_s3_table_integration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise self._no_s3_table_integration(params["integrationArn"])

    def disassociate_source_from_s3_table_integration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        # A source identifier names an association, and none can exist without an integration.
        raise ServiceError("ResourceNotFoundException", f"Source {params['identifier']} does not exist.", 400)

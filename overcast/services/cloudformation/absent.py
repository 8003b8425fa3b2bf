"""Reads of the CloudFormation features whose creation Overcast does not offer yet (IaC
generator templates and resource scans, stack refactors, hooks, private types, organizations
access): an account here has none of them, and these operations say so the way AWS does for
an account without them (an empty list, DISABLED, or the feature's own not-found error).
Creating them is listed in tests/integration/operation_gaps.txt."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError


class AbsentFeatures:
    # -- the IaC generator ----------------------------------------------------------------------------

    def list_generated_templates(self, context: RequestContext, params: dict) -> dict:
        return {"Summaries": []}

    @staticmethod
    def _no_generated_template(params: dict[str, Any]) -> ServiceError:
        return ServiceError(
            "GeneratedTemplateNotFound",
            f"Generated template {params['GeneratedTemplateName']} not found",
            404,
        )

    def describe_generated_template(self, context: RequestContext, params: dict) -> dict:
        raise self._no_generated_template(params)

    def get_generated_template(self, context: RequestContext, params: dict) -> dict:
        raise self._no_generated_template(params)

    def delete_generated_template(self, context: RequestContext, params: dict) -> dict:
        raise self._no_generated_template(params)

    def list_resource_scans(self, context: RequestContext, params: dict) -> dict:
        return {"ResourceScanSummaries": []}

    @staticmethod
    def _no_scan(params: dict[str, Any]) -> ServiceError:
        return ServiceError(
            "ResourceScanNotFound", f"Resource scan {params['ResourceScanId']} not found", 400
        )

    def describe_resource_scan(self, context: RequestContext, params: dict) -> dict:
        raise self._no_scan(params)

    def list_resource_scan_resources(self, context: RequestContext, params: dict) -> dict:
        raise self._no_scan(params)

    def list_resource_scan_related_resources(self, context: RequestContext, params: dict) -> dict:
        raise self._no_scan(params)

    # -- stack refactors ---------------------------------------------------------------------------------

    def list_stack_refactors(self, context: RequestContext, params: dict) -> dict:
        return {"StackRefactorSummaries": []}

    @staticmethod
    def _no_refactor(params: dict[str, Any]) -> ServiceError:
        return ServiceError(
            "StackRefactorNotFoundException", f"Stack refactor {params['StackRefactorId']} not found", 404
        )

    def describe_stack_refactor(self, context: RequestContext, params: dict) -> dict:
        raise self._no_refactor(params)

    def list_stack_refactor_actions(self, context: RequestContext, params: dict) -> dict:
        raise self._no_refactor(params)

    # -- hooks: none can be activated, so none ran ----------------------------------------------------------

    def list_hook_results(self, context: RequestContext, params: dict) -> dict:
        output: dict[str, Any] = {"HookResults": []}
        for key in ("TargetType", "TargetId"):
            if params.get(key):
                output[key] = params[key]
        return output

    def get_hook_result(self, context: RequestContext, params: dict) -> dict:
        raise ServiceError(
            "HookResultNotFound", f"Hook result {params.get('HookResultId', '')} not found", 404
        )

    # -- organizations: access cannot be activated here ------------------------------------------------

    def describe_organizations_access(self, context: RequestContext, params: dict) -> dict:
        return {"Status": "DISABLED"}

    # -- private types and registrations -------------------------------------------------------------------

    def list_type_registrations(self, context: RequestContext, params: dict) -> dict:
        return {"RegistrationTokenList": []}

    def describe_type_registration(self, context: RequestContext, params: dict) -> dict:
        raise ServiceError(
            "CFNRegistryException", f"Registration token {params['RegistrationToken']} was not found", 400
        )

    def batch_describe_type_configurations(self, context: RequestContext, params: dict) -> dict:
        errors = [
            {
                "ErrorCode": "TypeConfigurationNotFoundException",
                "ErrorMessage": "Type configuration not found",
                "TypeConfigurationIdentifier": identifier,
            }
            for identifier in params["TypeConfigurationIdentifiers"]
        ]
        return {"Errors": errors, "UnprocessedTypeConfigurations": [], "TypeConfigurations": []}

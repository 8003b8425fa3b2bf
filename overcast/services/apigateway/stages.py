"""Deployments (a snapshot of the API a stage serves), stages (stage variables, method
settings, canaries, access logs), documentation parts and versions, SDK types and SDKs, and
the stage caches."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.apigateway.common import (
    apply_patch,
    bad_request,
    conflict,
    new_id,
    not_found,
    now,
    public,
    split_path,
)

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider

STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]*$")
DOC_TYPES = (
    "API",
    "AUTHORIZER",
    "MODEL",
    "RESOURCE",
    "METHOD",
    "PATH_PARAMETER",
    "QUERY_PARAMETER",
    "REQUEST_HEADER",
    "REQUEST_BODY",
    "RESPONSE",
    "RESPONSE_HEADER",
    "RESPONSE_BODY",
)
#: Method settings members, as their patch path names them (`/{resource}/{method}/<name>`).
METHOD_SETTINGS = {
    "metrics/enabled": ("metricsEnabled", bool),
    "logging/loglevel": ("loggingLevel", str),
    "logging/dataTrace": ("dataTraceEnabled", bool),
    "throttling/burstLimit": ("throttlingBurstLimit", int),
    "throttling/rateLimit": ("throttlingRateLimit", float),
    "caching/enabled": ("cachingEnabled", bool),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", int),
    "caching/dataEncrypted": ("cacheDataEncrypted", bool),
    "caching/requireAuthorizationForCacheControl": ("requireAuthorizationForCacheControl", bool),
    "caching/unauthorizedCacheControlHeaderStrategy": ("unauthorizedCacheControlHeaderStrategy", str),
}
SDK_TYPES = {
    "android": "Android",
    "javascript": "JavaScript",
    "ios-objective-c": "iOS (Objective-C)",
    "ios-swift": "iOS (Swift)",
    "java": "Java SDK",
    "ruby": "Ruby",
}


def _check_variables(variables: dict[str, str] | None) -> None:
    for name, value in (variables or {}).items():
        if not VARIABLE_NAME.match(name):
            raise bad_request(
                "Stage variable names must only contain alphanumeric characters and underscores"
            )
        if not VARIABLE_VALUE.match(value or ""):
            raise bad_request(
                "Stage variable value " + value + " must only contain alphanumeric characters, hyphens, "
                "periods, underscores, tildes, colons, slashes, question marks, pound signs, ampersands, "
                "equals signs and commas"
            )


def _setting(value: str, kind: type) -> Any:
    if kind is bool:
        if str(value).lower() not in ("true", "false"):
            raise bad_request(f"Invalid value '{value}' for a boolean setting")
        return str(value).lower() == "true"
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid value '{value}' for a numeric setting") from None


def _default_settings() -> dict[str, Any]:
    return {
        "metricsEnabled": False,
        "dataTraceEnabled": False,
        "throttlingBurstLimit": 5000,
        "throttlingRateLimit": 10000.0,
        "cachingEnabled": False,
        "cacheTtlInSeconds": 300,
        "cacheDataEncrypted": False,
        "requireAuthorizationForCacheControl": True,
        "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
    }


def patch_method_settings(stage: dict[str, Any], operation: dict[str, Any], segments: list[str]) -> None:
    """`/{resource path}/{method}/{setting}` (the resource path with `~1` for `/`; `*/*` for all)."""
    if len(segments) < 4:
        raise bad_request(f"Invalid patch path {operation.get('path')}")
    # Stored as GetStage names them: the resource path without its leading slash ("*" for all).
    key = f"{segments[0].lstrip('/') if segments[0] != '*' else '*'}/{segments[1]}"
    name = "/".join(segments[2:])
    if name not in METHOD_SETTINGS:
        raise bad_request(f"Invalid method setting path: {operation.get('path')}")
    member, kind = METHOD_SETTINGS[name]
    settings = stage.setdefault("methodSettings", {})
    entry = settings.setdefault(key, _default_settings())
    if operation.get("op") == "remove":
        settings.pop(key, None)
    else:
        entry[member] = _setting(str(operation.get("value")), kind)


class StagesMixin:
    # -- deployments -----------------------------------------------------------------------------

    def create_deployment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        if not any(r.get("resourceMethods") for r in doc["resources"].values()):
            raise bad_request("The REST API doesn't contain any methods")
        for resource in doc["resources"].values():
            for verb, method in (resource.get("resourceMethods") or {}).items():
                if not method.get("methodIntegration"):
                    raise not_found("No integration defined for method")
        _check_variables(params.get("variables"))
        deployment: dict[str, Any] = {"id": new_id(6), "createdDate": now()}
        if params.get("description") is not None:
            deployment["description"] = params["description"]
        deployment["_snapshot"] = self.snapshot(doc)
        doc["deployments"][deployment["id"]] = deployment
        stage_name = params.get("stageName")
        if stage_name:
            if not STAGE_NAME.match(stage_name):
                raise bad_request("Stage name only allows a-zA-Z0-9_")
            stage = doc["stages"].get(stage_name)
            if stage is None:
                stage = self._new_stage(context, doc, stage_name, deployment["id"], params)
                if params.get("stageDescription") is not None:
                    stage["description"] = params["stageDescription"]
            elif params.get("canarySettings") is not None:
                # A canary deployment: the stage keeps serving its deployment, and the canary
                # its share of the traffic with this one.
                canary = dict(params["canarySettings"])
                canary["deploymentId"] = deployment["id"]
                stage["canarySettings"] = self._canary(doc, canary, stage["deploymentId"])
                stage["lastUpdatedDate"] = now()
            else:
                stage["deploymentId"] = deployment["id"]
                stage["lastUpdatedDate"] = now()
                if params.get("variables"):
                    stage.setdefault("variables", {}).update(params["variables"])
            doc["stages"][stage_name] = stage
        self.save(context, doc)
        return self.deployment_out(deployment, False)

    def deployment_out(self, deployment: dict[str, Any], summary: bool) -> dict[str, Any]:
        out = public(deployment)
        if summary:
            out["apiSummary"] = {
                resource["path"]: {
                    verb: {
                        "authorizationType": method["authorizationType"],
                        "apiKeyRequired": method["apiKeyRequired"],
                    }
                    for verb, method in (resource.get("resourceMethods") or {}).items()
                }
                for resource in deployment["_snapshot"]["resources"].values()
                if resource.get("resourceMethods")
            }
        return out

    def _deployment(self, doc: dict, deployment_id: str) -> dict[str, Any]:
        deployment = doc["deployments"].get(deployment_id)
        if deployment is None:
            raise not_found("Invalid Deployment identifier specified")
        return deployment

    def get_deployment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        deployment = self._deployment(doc, params["deploymentId"])
        return self.deployment_out(deployment, "apisummary" in (params.get("embed") or []))

    def get_deployments(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        items = sorted(doc["deployments"].values(), key=lambda d: d["createdDate"])
        return self.page("GetDeployments", params, [self.deployment_out(d, False) for d in items])

    def update_deployment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        deployment = self._deployment(doc, params["deploymentId"])
        patched = apply_patch(
            deployment,
            params.get("patchOperations"),
            "Deployment",
            readonly=("id", "createdDate", "apiSummary"),
        )
        deployment.update(patched)
        self.save(context, doc)
        return self.deployment_out(deployment, False)

    def delete_deployment(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        deployment_id = params["deploymentId"]
        self._deployment(doc, deployment_id)
        if any(stage["deploymentId"] == deployment_id for stage in doc["stages"].values()):
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
        del doc["deployments"][deployment_id]
        self.save(context, doc)
        return {}

    # -- stages ----------------------------------------------------------------------------------

    def _new_stage(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        doc: dict,
        name: str,
        deployment_id: str,
        params: dict,
    ) -> dict[str, Any]:
        stage: dict[str, Any] = {
            "stageName": name,
            "deploymentId": deployment_id,
            "cacheClusterEnabled": bool(params.get("cacheClusterEnabled", False)),
            "cacheClusterStatus": "AVAILABLE" if params.get("cacheClusterEnabled") else "NOT_AVAILABLE",
            "tracingEnabled": bool(params.get("tracingEnabled", False)),
            "methodSettings": {},
            "variables": dict(params.get("variables") or {}),
            "createdDate": now(),
            "lastUpdatedDate": now(),
            "tags": dict(params.get("tags") or {}),
        }
        for key in ("description", "documentationVersion", "cacheClusterSize"):
            if params.get(key) is not None:
                stage[key] = params[key]
        if stage["cacheClusterEnabled"] and "cacheClusterSize" not in stage:
            stage["cacheClusterSize"] = "0.5"
        canary = params.get("canarySettings")
        if canary:
            stage["canarySettings"] = self._canary(doc, canary, deployment_id)
        return stage

    def _canary(self, doc: dict, canary: dict[str, Any], deployment_id: str) -> dict[str, Any]:
        out = dict(canary)
        out.setdefault("deploymentId", deployment_id)
        if out["deploymentId"] not in doc["deployments"]:
            raise bad_request("Invalid deployment identifier specified for the canary")
        percent = out.get("percentTraffic", 0.0)
        if not 0.0 <= percent <= 100.0:
            raise bad_request("Canary traffic percentage must be between 0.0 and 100.0")
        out.setdefault("percentTraffic", 0.0)
        out.setdefault("useStageCache", False)
        _check_variables(out.get("stageVariableOverrides"))
        return out

    def create_stage(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        name = params["stageName"]
        if not STAGE_NAME.match(name):
            raise bad_request("Stage name only allows a-zA-Z0-9_")
        if name in doc["stages"]:
            raise conflict("Stage already exists")
        self._deployment(doc, params["deploymentId"])
        _check_variables(params.get("variables"))
        stage = self._new_stage(context, doc, name, params["deploymentId"], params)
        doc["stages"][name] = stage
        self.save(context, doc)
        return public(stage)

    def stage_of(self, doc: dict, name: str) -> dict[str, Any]:
        stage = doc["stages"].get(name)
        if stage is None:
            raise not_found("Invalid stage identifier specified")
        return stage

    def get_stage(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return public(self.stage_of(self.load(context, params["restApiId"]), params["stageName"]))

    def get_stages(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        wanted = params.get("deploymentId")
        return {
            "item": [
                public(stage)
                for stage in sorted(doc["stages"].values(), key=lambda s: s["createdDate"])
                if wanted is None or stage["deploymentId"] == wanted
            ]
        }

    def update_stage(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        stage = self.stage_of(doc, params["stageName"])

        def canary(record: dict, operation: dict, segments: list[str]) -> None:
            settings = dict(record.get("canarySettings") or {})
            if len(segments) == 1:
                if operation.get("op") == "remove":
                    record.pop("canarySettings", None)
                    return
                raise bad_request(f"Invalid patch path {operation.get('path')}")
            name = segments[1]
            if name == "stageVariableOverrides" and len(segments) > 2:
                overrides = dict(settings.get("stageVariableOverrides") or {})
                if operation.get("op") == "remove":
                    overrides.pop(segments[2], None)
                else:
                    overrides[segments[2]] = operation.get("value")
                settings["stageVariableOverrides"] = overrides
            elif name == "percentTraffic":
                settings[name] = float(operation.get("value") or 0)
            elif name == "useStageCache":
                settings[name] = str(operation.get("value")).lower() == "true"
            elif name == "deploymentId":
                settings[name] = operation.get("value")
            else:
                raise bad_request(f"Invalid patch path {operation.get('path')}")
            record["canarySettings"] = self._canary(doc, settings, record["deploymentId"])

        def access_log(record: dict, operation: dict, segments: list[str]) -> None:
            if operation.get("op") == "remove" and len(segments) == 1:
                record.pop("accessLogSettings", None)
                return
            settings = dict(record.get("accessLogSettings") or {})
            member = {"destinationArn": "destinationArn", "format": "format"}.get(segments[-1])
            if member is None:
                raise bad_request(f"Invalid patch path {operation.get('path')}")
            settings[member] = operation.get("value")
            record["accessLogSettings"] = settings

        def deployment(record: dict, operation: dict, segments: list[str]) -> None:
            self._deployment(doc, operation.get("value") or "")
            record["deploymentId"] = operation["value"]

        def cache_cluster(record: dict, operation: dict, segments: list[str]) -> None:
            name = segments[0]
            value = operation.get("value")
            if name == "cacheClusterEnabled":
                record[name] = str(value).lower() == "true"
                record["cacheClusterStatus"] = "AVAILABLE" if record[name] else "NOT_AVAILABLE"
                if record[name]:
                    record.setdefault("cacheClusterSize", "0.5")
            else:
                record[name] = value

        special = {
            "canarySettings": canary,
            "accessLogSettings": access_log,
            "deploymentId": deployment,
            "cacheClusterEnabled": cache_cluster,
            "cacheClusterSize": cache_cluster,
        }
        method_ops = []
        other_ops = []
        for operation in params.get("patchOperations") or []:
            segments = split_path(operation.get("path") or "")
            if len(segments) >= 3 and segments[0] not in special and segments[0] not in ("variables",):
                method_ops.append((operation, segments))
            else:
                other_ops.append(operation)
        patched = apply_patch(
            stage,
            other_ops,
            "Stage",
            readonly=(
                "stageName",
                "createdDate",
                "lastUpdatedDate",
                "methodSettings",
                "tags",
                "cacheClusterStatus",
            ),
            special=special,
        )
        for operation, segments in method_ops:
            patch_method_settings(patched, operation, segments)
        _check_variables(patched.get("variables"))
        patched["lastUpdatedDate"] = now()
        stage.clear()
        stage.update(patched)
        self.save(context, doc)
        self.forget_stage_caches(doc["api"]["id"], params["stageName"])
        return public(stage)

    def delete_stage(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self.stage_of(doc, params["stageName"])
        del doc["stages"][params["stageName"]]
        api_id = doc["api"]["id"]
        for plan_scope, plan_id, plan in self.plans_using(context, api_id):
            plan["apiStages"] = [
                s
                for s in plan.get("apiStages") or []
                if not (s.get("apiId") == api_id and s.get("stage") == params["stageName"])
            ]
            self.plans.put(plan_scope, plan_id, plan)
        self.save(context, doc)
        return {}

    def flush_stage_cache(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self.stage_of(doc, params["stageName"])
        self.forget_stage_caches(doc["api"]["id"], params["stageName"], responses=True)
        return {}

    def flush_stage_authorizers_cache(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self.stage_of(doc, params["stageName"])
        self.forget_stage_caches(doc["api"]["id"], params["stageName"])
        return {}

    # -- documentation ---------------------------------------------------------------------------

    def create_documentation_part(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        location = dict(params["location"])
        if location.get("type") not in DOC_TYPES:
            raise bad_request("Invalid documentation location type")
        location.setdefault("path", "/") if location["type"] not in ("API", "AUTHORIZER", "MODEL") else None
        for part in doc["parts"].values():
            if part["location"] == location:
                raise conflict("Documentation part already exists for the given location")
        part = {"id": new_id(6), "location": location, "properties": params["properties"]}
        doc["parts"][part["id"]] = part
        self.save(context, doc)
        return part

    def _part(self, doc: dict, part_id: str) -> dict[str, Any]:
        part = doc["parts"].get(part_id)
        if part is None:
            raise not_found("Invalid Documentation part identifier specified")
        return part

    def get_documentation_part(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return dict(self._part(self.load(context, params["restApiId"]), params["documentationPartId"]))

    def get_documentation_parts(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        items = [
            part
            for part in doc["parts"].values()
            if (not params.get("type") or part["location"].get("type") == params["type"])
            and (not params.get("path") or part["location"].get("path") == params["path"])
            and (not params.get("nameQuery") or params["nameQuery"] in (part["location"].get("name") or ""))
        ]
        return self.page("GetDocumentationParts", params, items)

    def update_documentation_part(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        part = self._part(doc, params["documentationPartId"])
        part.update(
            apply_patch(part, params.get("patchOperations"), "DocumentationPart", readonly=("id", "location"))
        )
        self.save(context, doc)
        return dict(part)

    def delete_documentation_part(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self._part(doc, params["documentationPartId"])
        del doc["parts"][params["documentationPartId"]]
        self.save(context, doc)
        return {}

    def import_documentation_parts(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.apigateway.openapi import parse_document

        doc = self.load(context, params["restApiId"])
        spec = parse_document(params["body"])
        parts = spec.get("x-amazon-apigateway-documentation", {}).get("documentationParts") or []
        if params.get("mode", "merge") == "overwrite":
            doc["parts"] = {}
        ids = []
        for given in parts:
            location = given.get("location") or {}
            if location.get("type") not in DOC_TYPES:
                raise bad_request("Invalid documentation location type")
            properties = given.get("properties")
            text = properties if isinstance(properties, str) else __import__("json").dumps(properties)
            existing = next((p for p in doc["parts"].values() if p["location"] == location), None)
            if existing is not None:
                existing["properties"] = text
                ids.append(existing["id"])
                continue
            part = {"id": new_id(6), "location": location, "properties": text}
            doc["parts"][part["id"]] = part
            ids.append(part["id"])
        self.save(context, doc)
        return {"ids": ids, "warnings": []}

    def create_documentation_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        version = params["documentationVersion"]
        if version in doc["versions"]:
            raise conflict("Documentation version already exists")
        if params.get("stageName"):
            self.stage_of(doc, params["stageName"])["documentationVersion"] = version
        record: dict[str, Any] = {"version": version, "createdDate": now()}
        if params.get("description") is not None:
            record["description"] = params["description"]
        record["_parts"] = list(doc["parts"].values())
        doc["versions"][version] = record
        self.save(context, doc)
        return public(record)

    def _version(self, doc: dict, version: str) -> dict[str, Any]:
        record = doc["versions"].get(version)
        if record is None:
            raise not_found("Invalid Documentation version identifier specified")
        return record

    def get_documentation_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return public(self._version(self.load(context, params["restApiId"]), params["documentationVersion"]))

    def get_documentation_versions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        items = [public(v) for v in sorted(doc["versions"].values(), key=lambda v: v["createdDate"])]
        return self.page("GetDocumentationVersions", params, items)

    def update_documentation_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        record = self._version(doc, params["documentationVersion"])
        record.update(
            apply_patch(
                record,
                params.get("patchOperations"),
                "DocumentationVersion",
                readonly=("version", "createdDate"),
            )
        )
        self.save(context, doc)
        return public(record)

    def delete_documentation_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self._version(doc, params["documentationVersion"])
        del doc["versions"][params["documentationVersion"]]
        self.save(context, doc)
        return {}

    # -- SDKs ------------------------------------------------------------------------------------

    def _sdk_type(self, sdk_id: str) -> dict[str, Any]:
        if sdk_id not in SDK_TYPES:
            raise not_found("Invalid SDK type specified")
        return {
            "id": sdk_id,
            "friendlyName": SDK_TYPES[sdk_id],
            "description": f"API Gateway generated SDK for {SDK_TYPES[sdk_id]}",
            "configurationProperties": [],
        }

    def get_sdk_type(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._sdk_type(params["id"])

    def get_sdk_types(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.page("GetSdkTypes", params, [self._sdk_type(name) for name in SDK_TYPES])

    def get_sdk(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self.stage_of(doc, params["stageName"])
        self._sdk_type(params["sdkType"])
        raise ServiceError(
            "NotImplemented",
            "SDK generation (GetSdk) is not available in Overcast: export the API with GetExport "
            "and generate a client from the OpenAPI document.",
            501,
            sender_fault=False,
        )

    def stage_arn(self, context: RequestContext, api_id: str, stage: str) -> str:
        return (
            f"arn:{partition(context.region)}:apigateway:{context.region}::/restapis/{api_id}/stages/{stage}"
        )

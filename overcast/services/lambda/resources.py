"""Lambda's CloudFormation resource types (Function, Version, Alias, Permission,
EventSourceMapping, LayerVersion, Url), through the Lambda provider's own operations.

A function's inline code (Code.ZipFile) becomes index.py or index.js in the package, with
the cfn-response module beside it, as CloudFormation packages it."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
    as_int,
    read_or_gone,
)

_PYTHON_CFN_RESPONSE = '''"""Send a custom resource's result to CloudFormation's ResponseURL."""
import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False, reason=None):
    body = json.dumps({
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: " + context.log_stream_name,
        "PhysicalResourceId": physicalResourceId or context.log_stream_name,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    try:
        with urllib.request.urlopen(request) as response:
            print("Status code:", response.status)
    except Exception as error:
        print("send(..) failed executing request: " + str(error))
'''

_NODE_CFN_RESPONSE = """exports.SUCCESS = "SUCCESS";
exports.FAILED = "FAILED";
exports.send = function (event, context, responseStatus, responseData, physicalResourceId, noEcho) {
  return new Promise((resolve) => {
    const body = JSON.stringify({
      Status: responseStatus,
      Reason: "See the details in CloudWatch Log Stream: " + context.logStreamName,
      PhysicalResourceId: physicalResourceId || context.logStreamName,
      StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
      NoEcho: noEcho || false, Data: responseData,
    });
    const url = new URL(event.ResponseURL);
    const http = require(url.protocol === "https:" ? "https" : "http");
    const request = http.request(url, { method: "PUT", headers: { "content-type": "", "content-length": Buffer.byteLength(body) } },
      (response) => { response.resume(); response.on("end", () => { resolve(); context.done && context.done(); }); });
    request.on("error", (error) => { console.log("send(..) failed executing https.request(..): " + error); resolve(); });
    request.write(body);
    request.end();
  });
};
"""


def inline_package(runtime: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if runtime.startswith("nodejs"):
            archive.writestr("index.js", source)
            archive.writestr("node_modules/cfn-response/index.js", _NODE_CFN_RESPONSE)
        else:
            archive.writestr("index.py", source)
            archive.writestr("cfnresponse.py", _PYTHON_CFN_RESPONSE)
    return buffer.getvalue()


def _code(properties: dict[str, Any]) -> dict[str, Any]:
    code = properties.get("Code") or {}
    if "ZipFile" in code:
        return {"ZipFile": inline_package(str(properties.get("Runtime", "python")), str(code["ZipFile"]))}
    return {key: code[key] for key in ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri") if key in code}


_CONFIG_KEYS = (
    "Description",
    "Handler",
    "Runtime",
    "Role",
    "KmsKeyArn",
    "Layers",
    "TracingConfig",
    "DeadLetterConfig",
    "VpcConfig",
    "EphemeralStorage",
    "LoggingConfig",
    "ImageConfig",
    "SnapStart",
    "FileSystemConfigs",
)


def _configuration(properties: dict[str, Any]) -> dict[str, Any]:
    params = {key: properties[key] for key in _CONFIG_KEYS if key in properties}
    for key in ("Timeout", "MemorySize"):
        if key in properties:
            params[key] = as_int(properties[key])
    if "EphemeralStorage" in params:
        params["EphemeralStorage"] = {"Size": as_int(params["EphemeralStorage"]["Size"])}
    if "Environment" in properties:
        params["Environment"] = {
            "Variables": {k: str(v) for k, v in (properties["Environment"].get("Variables") or {}).items()}
        }
    return params


async def _wait_ready(request: ResourceRequest, name: str) -> dict[str, Any]:
    for _ in range(1200):
        config = await request.call("lambda", "GetFunctionConfiguration", {"FunctionName": name})
        if config.get("State") == "Failed":
            raise ResourceFailed(
                f'Resource handler returned message: "{config.get("StateReason", "Function failed")}"'
            )
        if (
            config.get("State", "Active") == "Active"
            and config.get("LastUpdateStatus", "Successful") != "InProgress"
        ):
            return config
        await asyncio.sleep(0.05)
    raise ResourceFailed(f"Function {name} did not become Active")


async def _ignore_missing(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    try:
        await request.call("lambda", operation, params)
    except ResourceFailed as error:
        if error.code != "ResourceNotFoundException":
            raise


class Function(ResourceHandler):
    identifier = "FunctionName"
    replace_on = frozenset({"FunctionName", "PackageType"})
    name_property = "FunctionName"
    required = ("Code", "Role")
    attributes = frozenset(
        {"Arn", "SnapStartResponse", "SnapStartResponse.ApplyOn", "SnapStartResponse.OptimizationStatus"}
    )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("FunctionName") or request.physical_name(64)
        params: dict[str, Any] = {
            "FunctionName": name,
            "Code": _code(properties),
            **_configuration(properties),
        }
        for key in ("PackageType", "Architectures", "CodeSigningConfigArn"):
            if key in properties:
                params[key] = properties[key]
        tags = {tag["Key"]: tag["Value"] for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["Tags"] = tags
        await request.call("lambda", "CreateFunction", params)
        try:
            config = await _wait_ready(request, name)
            if properties.get("ReservedConcurrentExecutions") is not None:
                await request.call(
                    "lambda",
                    "PutFunctionConcurrency",
                    {
                        "FunctionName": name,
                        "ReservedConcurrentExecutions": as_int(properties["ReservedConcurrentExecutions"]),
                    },
                )
        except ResourceFailed:
            await _ignore_missing(request, "DeleteFunction", {"FunctionName": name})
            raise
        return name, self._attributes(config)

    @staticmethod
    def _attributes(config: dict[str, Any]) -> dict[str, Any]:
        snap = config.get("SnapStart") or {"ApplyOn": "None", "OptimizationStatus": "Off"}
        return {
            "Arn": config["FunctionArn"],
            "SnapStartResponse": snap,
            "SnapStartResponse.ApplyOn": snap.get("ApplyOn", "None"),
            "SnapStartResponse.OptimizationStatus": snap.get("OptimizationStatus", "Off"),
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name, new, old = request.physical_id, request.properties, request.old_properties
        if new.get("Code") != old.get("Code") or (
            new.get("Runtime") != old.get("Runtime") and "ZipFile" in (new.get("Code") or {})
        ):
            await request.call("lambda", "UpdateFunctionCode", {"FunctionName": name, **_code(new)})
            await _wait_ready(request, name)
        configuration = _configuration(new)
        for key in ("Environment", "Description", "Layers", "KmsKeyArn"):
            if key in old and key not in new:
                configuration[key] = (
                    {"Variables": {}} if key == "Environment" else [] if key == "Layers" else ""
                )
        if configuration != _configuration(old) or configuration.keys() != _configuration(old).keys():
            await request.call(
                "lambda", "UpdateFunctionConfiguration", {"FunctionName": name, **configuration}
            )
        config = await _wait_ready(request, name)
        if new.get("ReservedConcurrentExecutions") != old.get("ReservedConcurrentExecutions"):
            if new.get("ReservedConcurrentExecutions") is None:
                await request.call("lambda", "DeleteFunctionConcurrency", {"FunctionName": name})
            else:
                await request.call(
                    "lambda",
                    "PutFunctionConcurrency",
                    {
                        "FunctionName": name,
                        "ReservedConcurrentExecutions": as_int(new["ReservedConcurrentExecutions"]),
                    },
                )
        if new.get("Tags") != old.get("Tags"):
            arn = config["FunctionArn"]
            removed = sorted(
                {t["Key"] for t in old.get("Tags", [])} - {t["Key"] for t in new.get("Tags", [])}
            )
            if removed:
                await request.call("lambda", "UntagResource", {"Resource": arn, "TagKeys": removed})
            if new.get("Tags"):
                await request.call(
                    "lambda",
                    "TagResource",
                    {"Resource": arn, "Tags": {t["Key"]: t["Value"] for t in new["Tags"]}},
                )
        return self._attributes(config)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        config = await read_or_gone(
            request,
            "lambda",
            "GetFunctionConfiguration",
            {"FunctionName": request.physical_id},
            "ResourceNotFoundException",
        )
        current: dict[str, Any] = {
            key: config[key]
            for key in ("Handler", "Runtime", "Role", "Description", "Timeout", "MemorySize")
            if key in config
        }
        if config.get("Environment"):
            current["Environment"] = {"Variables": config["Environment"].get("Variables", {})}
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        config = await request.call(
            "lambda", "GetFunctionConfiguration", {"FunctionName": request.physical_id}
        )
        return self._attributes(config)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteFunction", {"FunctionName": request.physical_id})


class Version(ResourceHandler):
    updatable = False
    required = ("FunctionName",)
    attributes = frozenset({"Version", "FunctionArn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            key: properties[key] for key in ("FunctionName", "Description", "CodeSha256") if key in properties
        }
        await _wait_ready(request, properties["FunctionName"])
        output = await request.call("lambda", "PublishVersion", params)
        arn = output["FunctionArn"]
        return arn, {"Version": output["Version"], "FunctionArn": arn.rsplit(":", 1)[0]}

    async def delete(self, request: ResourceRequest) -> None:
        arn = request.physical_id
        await _ignore_missing(
            request,
            "DeleteFunction",
            {"FunctionName": arn.rsplit(":", 1)[0], "Qualifier": arn.rsplit(":", 1)[1]},
        )


def _routing(properties: dict[str, Any]) -> dict[str, Any] | None:
    routing = properties.get("RoutingConfig")
    if not routing:
        return None
    weights = {
        item["FunctionVersion"]: float(item["FunctionWeight"])
        for item in routing.get("AdditionalVersionWeights", [])
    }
    return {"AdditionalVersionWeights": weights}


class Alias(ResourceHandler):
    replace_on = frozenset({"FunctionName", "Name"})
    required = ("FunctionName", "FunctionVersion", "Name")
    attributes = frozenset({"AliasArn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "FunctionName": properties["FunctionName"],
            "Name": properties["Name"],
            "FunctionVersion": str(properties["FunctionVersion"]),
        }
        if properties.get("Description"):
            params["Description"] = properties["Description"]
        routing = _routing(properties)
        if routing:
            params["RoutingConfig"] = routing
        arn = (await request.call("lambda", "CreateAlias", params))["AliasArn"]
        return arn, {"AliasArn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            "FunctionName": properties["FunctionName"],
            "Name": properties["Name"],
            "FunctionVersion": str(properties["FunctionVersion"]),
            "Description": properties.get("Description", ""),
            "RoutingConfig": _routing(properties) or {"AdditionalVersionWeights": {}},
        }
        arn = (await request.call("lambda", "UpdateAlias", params))["AliasArn"]
        return {"AliasArn": arn}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteAlias",
            {"FunctionName": request.properties["FunctionName"], "Name": request.properties["Name"]},
        )


class Permission(ResourceHandler):
    updatable = False
    required = ("Action", "FunctionName", "Principal")
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        statement = request.physical_name(100)
        params: dict[str, Any] = {"StatementId": statement}
        for key in (
            "Action",
            "FunctionName",
            "Principal",
            "SourceArn",
            "SourceAccount",
            "EventSourceToken",
            "FunctionUrlAuthType",
            "PrincipalOrgID",
        ):
            if properties.get(key):
                params[key] = properties[key]
        await request.call("lambda", "AddPermission", params)
        return statement, {"Id": statement}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "RemovePermission",
            {"FunctionName": request.properties["FunctionName"], "StatementId": request.physical_id},
        )


def _tag_map(tags: list[dict[str, Any]]) -> dict[str, str]:
    """CloudFormation's tag list as the Lambda API's tag map."""
    return {tag["Key"]: str(tag.get("Value", "")) for tag in tags}


class EventSourceMapping(ResourceHandler):
    replace_on = frozenset(
        {
            "EventSourceArn",
            "StartingPosition",
            "StartingPositionTimestamp",
            "SelfManagedEventSource",
            "Topics",
            "Queues",
        }
    )
    required = ("FunctionName",)
    attributes = frozenset({"Id", "EventSourceMappingArn"})
    _SETTINGS = (
        "BatchSize",
        "Enabled",
        "FilterCriteria",
        "FunctionResponseTypes",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
        "ParallelizationFactor",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "ScalingConfig",
        "TumblingWindowInSeconds",
    )
    _NUMBERS = frozenset(
        {
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "MaximumRecordAgeInSeconds",
            "MaximumRetryAttempts",
            "ParallelizationFactor",
            "TumblingWindowInSeconds",
        }
    )

    def _settings(self, properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key in self._SETTINGS:
            if key in properties:
                value = properties[key]
                if key in self._NUMBERS:
                    value = as_int(value)
                elif key in ("Enabled", "BisectBatchOnFunctionError"):
                    value = as_bool(value)
                params[key] = value
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"FunctionName": properties["FunctionName"], **self._settings(properties)}
        for key in ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp", "Topics", "Queues"):
            if key in properties:
                params[key] = properties[key]
        # The stack's tags, then its own (as for a function: Lambda refuses aws: keys).
        if tags := _tag_map(request.user_tags(properties.get("Tags"))):
            params["Tags"] = tags
        output = await request.call("lambda", "CreateEventSourceMapping", params)
        return output["UUID"], {
            "Id": output["UUID"],
            "EventSourceMappingArn": output.get("EventSourceMappingArn", ""),
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = {
            "UUID": request.physical_id,
            "FunctionName": request.properties["FunctionName"],
            **self._settings(request.properties),
        }
        output = await request.call("lambda", "UpdateEventSourceMapping", params)
        arn = output.get("EventSourceMappingArn", "")
        old = _tag_map(request.old_properties.get("Tags") or [])
        new = _tag_map(request.properties.get("Tags") or [])
        if arn and (gone := sorted(set(old) - set(new))):
            await request.call("lambda", "UntagResource", {"Resource": arn, "TagKeys": gone})
        if arn and (changed := {k: v for k, v in new.items() if old.get(k) != v}):
            await request.call("lambda", "TagResource", {"Resource": arn, "Tags": changed})
        return {"Id": output["UUID"], "EventSourceMappingArn": arn}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteEventSourceMapping", {"UUID": request.physical_id})


class LayerVersion(ResourceHandler):
    updatable = False
    required = ("Content",)
    attributes = frozenset({"LayerVersionArn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        content = properties["Content"]
        params: dict[str, Any] = {
            "LayerName": properties.get("LayerName") or request.physical_name(140),
            "Content": {
                key: content[key] for key in ("S3Bucket", "S3Key", "S3ObjectVersion") if key in content
            },
        }
        for key in ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
            if key in properties:
                params[key] = properties[key]
        arn = (await request.call("lambda", "PublishLayerVersion", params))["LayerVersionArn"]
        return arn, {"LayerVersionArn": arn}

    async def delete(self, request: ResourceRequest) -> None:
        layer, _, number = request.physical_id.rpartition(":")
        await _ignore_missing(
            request, "DeleteLayerVersion", {"LayerName": layer, "VersionNumber": int(number)}
        )


class Url(ResourceHandler):
    replace_on = frozenset({"TargetFunctionArn", "Qualifier"})
    required = ("AuthType", "TargetFunctionArn")
    attributes = frozenset({"FunctionArn", "FunctionUrl"})

    @staticmethod
    def _target(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"FunctionName": properties["TargetFunctionArn"]}
        if properties.get("Qualifier"):
            params["Qualifier"] = properties["Qualifier"]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params = {**self._target(properties), "AuthType": properties["AuthType"]}
        for key in ("Cors", "InvokeMode"):
            if key in properties:
                params[key] = properties[key]
        output = await request.call("lambda", "CreateFunctionUrlConfig", params)
        return output["FunctionArn"], {
            "FunctionArn": output["FunctionArn"],
            "FunctionUrl": output["FunctionUrl"],
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params = {
            **self._target(properties),
            "AuthType": properties["AuthType"],
            "Cors": properties.get("Cors", {}),
        }
        if "InvokeMode" in properties:
            params["InvokeMode"] = properties["InvokeMode"]
        output = await request.call("lambda", "UpdateFunctionUrlConfig", params)
        return {"FunctionArn": output["FunctionArn"], "FunctionUrl": output["FunctionUrl"]}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteFunctionUrlConfig", self._target(request.properties))


class EventInvokeConfig(ResourceHandler):
    replace_on = frozenset({"FunctionName", "Qualifier"})
    required = ("FunctionName", "Qualifier")

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "FunctionName": properties["FunctionName"],
            "Qualifier": str(properties["Qualifier"]),
        }
        for key in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts"):
            if properties.get(key) is not None:
                params[key] = as_int(properties[key])
        if properties.get("DestinationConfig"):
            params["DestinationConfig"] = properties["DestinationConfig"]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = self._params(request.properties)
        await request.call("lambda", "PutFunctionEventInvokeConfig", params)
        return f"{params['FunctionName']}:{params['Qualifier']}", {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("lambda", "PutFunctionEventInvokeConfig", self._params(request.properties))
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        properties = request.properties
        await _ignore_missing(
            request,
            "DeleteFunctionEventInvokeConfig",
            {"FunctionName": properties["FunctionName"], "Qualifier": str(properties["Qualifier"])},
        )


class LayerVersionPermission(ResourceHandler):
    updatable = False
    required = ("Action", "LayerVersionArn", "Principal")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        layer, _, number = properties["LayerVersionArn"].rpartition(":")
        statement = request.physical_name(100)
        params: dict[str, Any] = {
            "LayerName": layer,
            "VersionNumber": int(number),
            "StatementId": statement,
            "Action": properties["Action"],
            "Principal": properties["Principal"],
        }
        if properties.get("OrganizationId"):
            params["OrganizationId"] = properties["OrganizationId"]
        await request.call("lambda", "AddLayerVersionPermission", params)
        return f"{properties['LayerVersionArn']}#{statement}", {}

    async def delete(self, request: ResourceRequest) -> None:
        arn, _, statement = request.physical_id.partition("#")
        layer, _, number = arn.rpartition(":")
        await _ignore_missing(
            request,
            "RemoveLayerVersionPermission",
            {"LayerName": layer, "VersionNumber": int(number), "StatementId": statement},
        )


class CodeSigningConfig(ResourceHandler):
    identifier = "CodeSigningConfigArn"
    required = ("AllowedPublishers",)
    attributes = frozenset({"CodeSigningConfigId", "CodeSigningConfigArn"})

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "AllowedPublishers": {
                "SigningProfileVersionArns": list(
                    properties["AllowedPublishers"]["SigningProfileVersionArns"]
                )
            },
            "Description": properties.get("Description", ""),
        }
        if properties.get("CodeSigningPolicies"):
            params["CodeSigningPolicies"] = properties["CodeSigningPolicies"]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = self._params(request.properties)
        tags = {tag["Key"]: tag["Value"] for tag in request.user_tags(request.properties.get("Tags"))}
        if tags:
            params["Tags"] = tags
        config = (await request.call("lambda", "CreateCodeSigningConfig", params))["CodeSigningConfig"]
        arn = config["CodeSigningConfigArn"]
        return arn, {"CodeSigningConfigArn": arn, "CodeSigningConfigId": config["CodeSigningConfigId"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = self._params(request.properties)
        if not params.get("CodeSigningPolicies"):
            params["CodeSigningPolicies"] = {"UntrustedArtifactOnDeployment": "Warn"}
        config = (
            await request.call(
                "lambda", "UpdateCodeSigningConfig", {"CodeSigningConfigArn": request.physical_id, **params}
            )
        )["CodeSigningConfig"]
        return {
            "CodeSigningConfigArn": request.physical_id,
            "CodeSigningConfigId": config["CodeSigningConfigId"],
        }

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "lambda", "DeleteCodeSigningConfig", {"CodeSigningConfigArn": request.physical_id}
            )
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        config = (
            await read_or_gone(
                request,
                "lambda",
                "GetCodeSigningConfig",
                {"CodeSigningConfigArn": request.physical_id},
                "ResourceNotFoundException",
            )
        )["CodeSigningConfig"]
        return {
            "Description": config.get("Description", ""),
            "AllowedPublishers": config["AllowedPublishers"],
            "CodeSigningPolicies": config["CodeSigningPolicies"],
        }

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        config = (
            await request.call(
                "lambda", "GetCodeSigningConfig", {"CodeSigningConfigArn": request.physical_id}
            )
        )["CodeSigningConfig"]
        return {
            "CodeSigningConfigArn": request.physical_id,
            "CodeSigningConfigId": config["CodeSigningConfigId"],
        }


class CapacityProvider(ResourceHandler):
    """A capacity provider for Lambda Managed Instances; only its scaling, tag propagation and
    telemetry change in place (UpdateCapacityProvider), the rest replaces it."""

    identifier = "CapacityProviderName"
    replace_on = frozenset(
        {"CapacityProviderName", "VpcConfig", "PermissionsConfig", "InstanceRequirements", "KmsKeyArn"}
    )
    name_property = "CapacityProviderName"
    required = ("VpcConfig", "PermissionsConfig")
    attributes = frozenset({"Arn", "State"})
    _UPDATABLE = ("CapacityProviderScalingConfig", "PropagateTags", "TelemetryConfig")

    @staticmethod
    def _scaling(properties: dict[str, Any]) -> dict[str, Any] | None:
        scaling = properties.get("CapacityProviderScalingConfig")
        if not scaling:
            return None
        out = dict(scaling)
        if out.get("MaxVCpuCount") is not None:
            out["MaxVCpuCount"] = as_int(out["MaxVCpuCount"])
        if out.get("ScalingPolicies"):
            out["ScalingPolicies"] = [
                {**policy, "TargetValue": float(policy["TargetValue"])} if "TargetValue" in policy else policy
                for policy in out["ScalingPolicies"]
            ]
        return out

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("CapacityProviderName") or request.physical_name(140)
        params: dict[str, Any] = {
            "CapacityProviderName": name,
            "VpcConfig": properties["VpcConfig"],
            "PermissionsConfig": properties["PermissionsConfig"],
        }
        for key in ("InstanceRequirements", "KmsKeyArn", "PropagateTags", "TelemetryConfig"):
            if properties.get(key) is not None:
                params[key] = properties[key]
        scaling = self._scaling(properties)
        if scaling:
            params["CapacityProviderScalingConfig"] = scaling
        tags = {tag["Key"]: tag["Value"] for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["Tags"] = tags
        await request.call("lambda", "CreateCapacityProvider", params)
        return name, await self._attributes(request, name)

    async def _attributes(self, request: ResourceRequest, name: str) -> dict[str, Any]:
        found = (await request.call("lambda", "GetCapacityProvider", {"CapacityProviderName": name}))[
            "CapacityProvider"
        ]
        return {"Arn": found["CapacityProviderArn"], "State": found["State"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"CapacityProviderName": request.physical_id}
        for key in ("PropagateTags", "TelemetryConfig"):
            if request.properties.get(key) is not None:
                params[key] = request.properties[key]
        params["CapacityProviderScalingConfig"] = self._scaling(request.properties) or {"ScalingMode": "Auto"}
        await request.call("lambda", "UpdateCapacityProvider", params)
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "lambda", "DeleteCapacityProvider", {"CapacityProviderName": request.physical_id}
            )
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._attributes(request, request.physical_id)


HANDLERS = {
    "AWS::Lambda::Function": Function,
    "AWS::Lambda::Version": Version,
    "AWS::Lambda::Alias": Alias,
    "AWS::Lambda::Permission": Permission,
    "AWS::Lambda::EventSourceMapping": EventSourceMapping,
    "AWS::Lambda::LayerVersion": LayerVersion,
    "AWS::Lambda::Url": Url,
    "AWS::Lambda::EventInvokeConfig": EventInvokeConfig,
    "AWS::Lambda::LayerVersionPermission": LayerVersionPermission,
    "AWS::Lambda::CodeSigningConfig": CodeSigningConfig,
    "AWS::Lambda::CapacityProvider": CapacityProvider,
}

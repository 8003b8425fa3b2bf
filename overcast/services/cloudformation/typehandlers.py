"""Resources of registered private types: their handlers, from the schema handler package the
CloudFormation CLI builds, run in Overcast's Lambda runtime as AWS runs them on its side.

The package (a zip) holds schema.json, .rpdk-config (the handler's runtime and entrypoint) and
ResourceProvider.zip (the handler code with its support library, such as
cloudformation-cli-python-lib). Each create, update, delete and read is the resource provider
protocol: a HandlerRequest (action, requestData with the desired and previous properties,
credentials, callbackContext) answered by a ProgressEvent. IN_PROGRESS comes back with a
callbackContext and callbackDelaySeconds: CloudFormation waits that long and calls the handler
again with that context, until SUCCESS (its resourceModel is the resource) or FAILED (its
errorCode and message become the resource's status reason)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import zipfile
from typing import TYPE_CHECKING, Any

from overcast.common.ids import fast_uuid
from overcast.errors import ServiceError
from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceGone,
    ResourceHandler,
    ResourceRequest,
)

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: How long one operation of a handler may take in all, its callbacks included (AWS's default
#: handler timeout for registered types is far longer; a stack's own timeout still applies).
OPERATION_SECONDS = 3600.0
#: The longest wait between callbacks Overcast honours (a handler may ask for up to an hour).
MAX_CALLBACK_DELAY = 60.0
#: The most invocations one operation may take before it is failed as looping.
MAX_CALLBACKS = 1000
HANDLER_TIMEOUT = 60


def read_handler(archive: zipfile.ZipFile) -> dict[str, Any] | None:
    """The handler of a resource package: runtime, entrypoint and the code's zip bytes; None
    when the package holds no handler code (a schema-only package)."""
    names = set(archive.namelist())
    if ".rpdk-config" not in names or "ResourceProvider.zip" not in names:
        return None
    try:
        config = json.loads(archive.read(".rpdk-config"))
    except ValueError:
        return None
    runtime, entrypoint = config.get("runtime"), config.get("entrypoint")
    if not isinstance(runtime, str) or not isinstance(entrypoint, str):
        return None
    return {"Runtime": runtime, "Entrypoint": entrypoint, "Code": archive.read("ResourceProvider.zip")}


def _identifier_paths(schema: dict[str, Any], key: str) -> list[str]:
    return [str(path).removeprefix("/properties/") for path in schema.get(key) or () if isinstance(path, str)]


class RegisteredType(ResourceHandler):
    """A resource of a registered type (one version of it), handled by its package's code."""

    def __init__(self, type_name: str, version_id: str, version: dict[str, Any], configuration: Any) -> None:
        self.type_name = type_name
        self.version_id = version_id
        self.schema: dict[str, Any] = version.get("Schema") or {}
        self.hosted: dict[str, Any] | None = version.get("Handler")
        self.logging = version.get("LoggingConfig") or {}
        self.configuration = configuration
        self.primary = _identifier_paths(self.schema, "primaryIdentifier")
        read_only = _identifier_paths(self.schema, "readOnlyProperties")
        self.read_only = [path for path in read_only if "/" not in path]
        # Instance attributes shadow the class's: GetAtt names the read-only properties.
        self.attributes = frozenset(path.replace("/", ".") for path in read_only)  # type: ignore[misc]
        self.replace_on = frozenset(  # type: ignore[misc]
            path.split("/", 1)[0] for path in _identifier_paths(self.schema, "createOnlyProperties")
        )
        handlers = self.schema.get("handlers") or {}
        self.updatable = "update" in handlers  # type: ignore[misc]

    # -- the protocol -----------------------------------------------------------------------------

    def _function_name(self, request: ResourceRequest) -> str:
        digest = hashlib.sha256(f"{self.type_name}/{self.version_id}".encode()).hexdigest()[:12]
        return f"cfn-type-{self.type_name.replace('::', '-')}-{digest}"[:64]

    def _event(
        self, request: ResourceRequest, action: str, desired: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        credentials = {
            "accessKeyId": request.account,
            "secretAccessKey": "cloudformation",
            "sessionToken": "cloudformation",
        }
        system_tags = {
            "aws:cloudformation:stack-name": request.stack_name,
            "aws:cloudformation:stack-id": request.stack_id,
            "aws:cloudformation:logical-id": request.logical_id,
        }
        stack_tags = {tag["Key"]: tag["Value"] for tag in request.stack_tags}
        data: dict[str, Any] = {
            "callerCredentials": credentials,
            "providerCredentials": credentials,
            "providerLogGroupName": self.logging.get("LogGroupName"),
            "logicalResourceId": request.logical_id,
            "resourceProperties": desired,
            "previousResourceProperties": previous,
            "systemTags": system_tags,
            "stackTags": stack_tags,
            "previousSystemTags": system_tags if previous is not None else None,
            "previousStackTags": stack_tags if previous is not None else None,
            "typeConfiguration": self.configuration,
        }
        return {
            "awsAccountId": request.account,
            "bearerToken": fast_uuid(),
            "region": request.region,
            "action": action,
            "responseEndpoint": None,
            "resourceType": self.type_name,
            "resourceTypeVersion": self.version_id,
            "stackId": request.stack_id,
            "requestData": data,
            "callbackContext": None,
        }

    async def _operate(
        self,
        request: ResourceRequest,
        action: str,
        desired: dict[str, Any],
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run one operation to its end: the final progress event's resource model."""
        hosted = self.hosted
        if not hosted:
            raise ResourceFailed(
                'Resource handler returned message: "The schema handler package of '
                f'{self.type_name} holds no handler code (.rpdk-config and ResourceProvider.zip)" '
                "(HandlerErrorCode: InternalFailure)",
                "InternalFailure",
            )
        if action.lower() not in (self.schema.get("handlers") or {}):
            raise ResourceFailed(
                f'Resource handler returned message: "The type {self.type_name} has no {action.lower()} '
                'handler" (HandlerErrorCode: InvalidRequest)',
                "InvalidRequest",
            )
        lambda_provider = request.runtime.provider("lambda")
        event = self._event(request, action, desired, previous)
        deadline = time.monotonic() + OPERATION_SECONDS
        for _ in range(MAX_CALLBACKS):
            try:
                outcome = await lambda_provider.run_hosted(
                    request.account,
                    request.region,
                    self._function_name(request),
                    hosted["Runtime"],
                    hosted["Entrypoint"],
                    hosted["CodeId"],
                    json.dumps(event).encode(),
                    HANDLER_TIMEOUT,
                )
            except ServiceError as error:
                raise ResourceFailed(
                    f'Resource handler returned message: "{error.message}" (HandlerErrorCode: InternalFailure)',
                    "InternalFailure",
                ) from error
            if outcome.error:
                message = (
                    outcome.error.get("errorMessage") or outcome.error.get("errorType") or "handler error"
                )
                raise ResourceFailed(
                    f'Resource handler returned message: "{message}" (HandlerErrorCode: InternalFailure)',
                    "InternalFailure",
                )
            progress = _progress(outcome.payload)
            status = progress.get("status")
            if status == "SUCCESS":
                model = progress.get("resourceModel")
                return dict(model) if isinstance(model, dict) else {}
            if status == "FAILED":
                code = str(progress.get("errorCode") or "GeneralServiceException")
                message = str(progress.get("message") or "")
                raise ResourceFailed(
                    f'Resource handler returned message: "{message}" (HandlerErrorCode: {code})', code
                )
            if status != "IN_PROGRESS":
                raise ResourceFailed(
                    "Resource handler returned message: \"The handler's response has no valid status: "
                    f'{str(status)[:100]}" (HandlerErrorCode: InternalFailure)',
                    "InternalFailure",
                )
            if time.monotonic() > deadline:
                raise ResourceFailed(f"{self.type_name} {action} did not stabilize in time", "NotStabilized")
            event["callbackContext"] = progress.get("callbackContext") or {}
            model = progress.get("resourceModel")
            if isinstance(model, dict) and model:
                event["requestData"]["resourceProperties"] = model
            delay = progress.get("callbackDelaySeconds") or 0
            await asyncio.sleep(min(max(float(delay), 0.0), MAX_CALLBACK_DELAY))
        raise ResourceFailed(f"{self.type_name} {action} called back more than {MAX_CALLBACKS} times")

    # -- what the engine asks ---------------------------------------------------------------------

    def _physical_id(self, model: dict[str, Any]) -> str:
        values = [model.get(path) for path in self.primary]
        if not self.primary or any(value in (None, "") for value in values):
            raise ResourceFailed(
                f"Resource handler returned message: \"The {self.type_name} handler's model has no primary "
                f'identifier {self.primary}" (HandlerErrorCode: InternalFailure)',
                "InternalFailure",
            )
        return "|".join(str(value) for value in values)

    def _identified(self, request: ResourceRequest, properties: dict[str, Any]) -> dict[str, Any]:
        """The properties with the resource's primary identifier (from its physical id)."""
        model = dict(properties)
        values = request.physical_id.split("|") if request.physical_id else []
        for path, value in zip(self.primary, values, strict=False):
            model[path] = value
        for name in self.read_only:
            if name in request.attributes and name not in model:
                model[name] = request.attributes[name]
        return model

    def _attributes(self, model: dict[str, Any]) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        for name in self.attributes:
            value: Any = model
            for part in name.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                attributes[name] = value
        return attributes

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        model = await self._operate(request, "CREATE", dict(request.properties))
        return self._physical_id(model), self._attributes(model)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        model = await self._operate(
            request,
            "UPDATE",
            self._identified(request, request.properties),
            self._identified(request, request.old_properties),
        )
        return self._attributes({**self._identified(request, {}), **model})

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await self._operate(request, "DELETE", self._identified(request, request.properties))
        except ResourceFailed as error:
            if error.code != "NotFound":  # already gone: the delete has nothing left to do
                raise

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        if "read" not in (self.schema.get("handlers") or {}):
            return None
        try:
            model = await self._operate(request, "READ", self._identified(request, request.properties))
        except ResourceFailed as error:
            if error.code == "NotFound":
                raise ResourceGone from error
            raise
        return {key: value for key, value in model.items() if key not in self.read_only}


def _progress(payload: bytes) -> dict[str, Any]:
    try:
        progress = json.loads(payload or b"null")
    except ValueError:
        progress = None
    if not isinstance(progress, dict):
        raise ResourceFailed(
            'Resource handler returned message: "The handler\'s response is not a progress event" '
            "(HandlerErrorCode: InternalFailure)",
            "InternalFailure",
        )
    return progress


def registered_handler(runtime: Runtime, account: str, region: str, type_name: str) -> RegisteredType | None:
    """The handler of the account's registered resource type of that name (its default
    version), or None when there is none."""
    provider = runtime.provider("cloudformation")
    record = provider.registered_resource_type(account, region, type_name)
    if record is None:
        return None
    version_id = record["DefaultVersionId"]
    configurations = record.get("Configurations") or {}
    configuration = (configurations.get("default") or {}).get("Configuration")
    try:
        configuration = json.loads(configuration) if configuration else None
    except ValueError:
        configuration = None
    return RegisteredType(type_name, version_id, record["Versions"][version_id], configuration)

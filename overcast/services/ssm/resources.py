"""SSM's CloudFormation resource type AWS::SSM::Parameter, through the SSM provider's own
operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    read_or_gone,
)


class Parameter(ResourceHandler):
    identifier = "Name"
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("Type", "Value")
    attributes = frozenset({"Type", "Value"})

    def _params(self, request: ResourceRequest, name: str) -> dict[str, Any]:
        properties = request.properties
        value = properties["Value"]
        params: dict[str, Any] = {
            "Name": name,
            "Type": properties["Type"],
            "Value": ",".join(value) if isinstance(value, list) else str(value),
        }
        for key in ("Description", "AllowedPattern", "Tier", "DataType", "Policies"):
            if properties.get(key):
                params[key] = properties[key]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("Name") or f"CFN-{request.physical_name(2048 - 4)}"
        params = self._params(request, name)
        tags = properties.get("Tags") or {}
        if tags:
            params["Tags"] = [{"Key": key, "Value": str(value)} for key, value in tags.items()]
        await request.call("ssm", "PutParameter", params)
        return name, {"Type": params["Type"], "Value": params["Value"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = self._params(request, request.physical_id)
        await request.call("ssm", "PutParameter", {**params, "Overwrite": True})
        old_tags, new_tags = request.old_properties.get("Tags") or {}, request.properties.get("Tags") or {}
        if old_tags != new_tags:
            removed = sorted(set(old_tags) - set(new_tags))
            if removed:
                await request.call(
                    "ssm",
                    "RemoveTagsFromResource",
                    {"ResourceType": "Parameter", "ResourceId": request.physical_id, "TagKeys": removed},
                )
            if new_tags:
                await request.call(
                    "ssm",
                    "AddTagsToResource",
                    {
                        "ResourceType": "Parameter",
                        "ResourceId": request.physical_id,
                        "Tags": [{"Key": key, "Value": str(value)} for key, value in new_tags.items()],
                    },
                )
        return {"Type": params["Type"], "Value": params["Value"]}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        parameter = (
            await read_or_gone(
                request, "ssm", "GetParameter", {"Name": request.physical_id}, "ParameterNotFound"
            )
        )["Parameter"]
        return {"Name": parameter["Name"], "Type": parameter["Type"], "Value": parameter["Value"]}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        parameter = (await request.call("ssm", "GetParameter", {"Name": request.physical_id}))["Parameter"]
        return {"Type": parameter["Type"], "Value": parameter["Value"]}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ssm", "DeleteParameter", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ParameterNotFound":
                raise


class Document(ResourceHandler):
    updatable = False
    name_property = "Name"
    required = ("Content",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        import json

        properties = request.properties
        content = properties["Content"]
        document_format = properties.get("DocumentFormat", "JSON")
        if not isinstance(content, str):
            if document_format == "YAML":
                import yaml  # type: ignore[import-untyped]

                content = yaml.safe_dump(content)
            else:
                content = json.dumps(content)
        name = properties.get("Name") or request.physical_name(128).replace("-", "_")
        params: dict[str, Any] = {
            "Name": name,
            "Content": content,
            "DocumentType": properties.get("DocumentType", "Command"),
            "DocumentFormat": document_format,
        }
        for key in ("TargetType", "VersionName"):
            if properties.get(key):
                params[key] = properties[key]
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        await request.call("ssm", "CreateDocument", params)
        return name, {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ssm", "DeleteDocument", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "InvalidDocument":
                raise


HANDLERS = {
    "AWS::SSM::Parameter": Parameter,
    "AWS::SSM::Document": Document,
}

"""ECR's CloudFormation resource types: AWS::ECR::Repository, RegistryPolicy,
ReplicationConfiguration, PullThroughCacheRule, RepositoryCreationTemplate and
RegistryScanningConfiguration, through the ECR provider's operations."""

from __future__ import annotations

from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    policy_text,
    read_or_gone,
)


def _lower_keys(value: Any) -> Any:
    """CloudFormation's PascalCase properties as the API's camelCase members."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _lower_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_keys(item) for item in value]
    return value


def _exclusion_filters(given: list[dict[str, Any]]) -> list[dict[str, str]]:
    """CloudFormation's ImageTagMutabilityExclusionFilters (ImageTagMutabilityExclusionFilterType
    and ...Value) as the API's filterType and filter."""
    return [
        {
            "filterType": item.get("ImageTagMutabilityExclusionFilterType", "WILDCARD"),
            "filter": item.get("ImageTagMutabilityExclusionFilterValue", ""),
        }
        for item in given
    ]


class Repository(ResourceHandler):
    identifier = "RepositoryName"
    attributes = frozenset({"Arn", "RepositoryUri"})
    replace_on = frozenset({"RepositoryName", "EncryptionConfiguration"})
    name_property = "RepositoryName"

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("RepositoryName") or request.physical_name(256, lowercase=True)
        params: dict[str, Any] = {"repositoryName": name}
        if properties.get("ImageTagMutability"):
            params["imageTagMutability"] = properties["ImageTagMutability"]
        if properties.get("ImageTagMutabilityExclusionFilters"):
            params["imageTagMutabilityExclusionFilters"] = _exclusion_filters(
                properties["ImageTagMutabilityExclusionFilters"]
            )
        if properties.get("ImageScanningConfiguration"):
            params["imageScanningConfiguration"] = _lower_keys(properties["ImageScanningConfiguration"])
        if properties.get("EncryptionConfiguration"):
            params["encryptionConfiguration"] = _lower_keys(properties["EncryptionConfiguration"])
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["tags"] = tags
        repository = (await request.call("ecr", "CreateRepository", params))["repository"]
        try:
            await self._policies(request, name, properties, {})
        except ResourceFailed:
            await request.call("ecr", "DeleteRepository", {"repositoryName": name, "force": True})
            raise
        return name, {"Arn": repository["repositoryArn"], "RepositoryUri": repository["repositoryUri"]}

    @staticmethod
    async def _policies(
        request: ResourceRequest, name: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        policy, was = new.get("RepositoryPolicyText"), old.get("RepositoryPolicyText")
        if policy and policy != was:
            await request.call(
                "ecr", "SetRepositoryPolicy", {"repositoryName": name, "policyText": policy_text(policy)}
            )
        elif was and not policy:
            await request.call("ecr", "DeleteRepositoryPolicy", {"repositoryName": name})
        lifecycle = (new.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        old_lifecycle = (old.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if lifecycle and lifecycle != old_lifecycle:
            await request.call(
                "ecr",
                "PutLifecyclePolicy",
                {"repositoryName": name, "lifecyclePolicyText": policy_text(lifecycle)},
            )
        elif old_lifecycle and not lifecycle:
            await request.call("ecr", "DeleteLifecyclePolicy", {"repositoryName": name})

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name = request.physical_id
        properties, old = request.properties, request.old_properties
        mutability = properties.get("ImageTagMutability") or "MUTABLE"
        filters = properties.get("ImageTagMutabilityExclusionFilters")
        if mutability != (old.get("ImageTagMutability") or "MUTABLE") or filters != old.get(
            "ImageTagMutabilityExclusionFilters"
        ):
            params: dict[str, Any] = {"repositoryName": name, "imageTagMutability": mutability}
            if filters:
                params["imageTagMutabilityExclusionFilters"] = _exclusion_filters(filters)
            await request.call("ecr", "PutImageTagMutability", params)
        scanning = properties.get("ImageScanningConfiguration") or {"ScanOnPush": False}
        if scanning != (old.get("ImageScanningConfiguration") or {"ScanOnPush": False}):
            await request.call(
                "ecr",
                "PutImageScanningConfiguration",
                {"repositoryName": name, "imageScanningConfiguration": _lower_keys(scanning)},
            )
        await self._policies(request, name, properties, old)
        arn = request.attributes.get("Arn") or (await self._describe(request, name))["repositoryArn"]
        old_keys = {tag["Key"] for tag in request.user_tags(old.get("Tags"))}
        new_tags = request.user_tags(properties.get("Tags"))
        gone = sorted(old_keys - {tag["Key"] for tag in new_tags})
        if gone:
            await request.call("ecr", "UntagResource", {"resourceArn": arn, "tagKeys": gone})
        if new_tags:
            await request.call("ecr", "TagResource", {"resourceArn": arn, "tags": new_tags})
        repository = await self._describe(request, name)
        return {"Arn": repository["repositoryArn"], "RepositoryUri": repository["repositoryUri"]}

    @staticmethod
    async def _describe(request: ResourceRequest, name: str) -> dict[str, Any]:
        found: dict[str, Any] = (
            await request.call("ecr", "DescribeRepositories", {"repositoryNames": [name]})
        )["repositories"][0]
        return found

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        output = await read_or_gone(
            request,
            "ecr",
            "DescribeRepositories",
            {"repositoryNames": [request.physical_id]},
            "RepositoryNotFoundException",
        )
        repository = output["repositories"][0]
        return {
            "RepositoryName": repository["repositoryName"],
            "ImageTagMutability": repository["imageTagMutability"],
            "ImageScanningConfiguration": {
                "ScanOnPush": repository["imageScanningConfiguration"]["scanOnPush"]
            },
        }

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        try:
            repository = await self._describe(request, request.physical_id)
        except ResourceFailed as error:
            raise ResourceFailed(f"Repository {request.physical_id} does not exist", error.code) from error
        return {"Arn": repository["repositoryArn"], "RepositoryUri": repository["repositoryUri"]}

    async def delete(self, request: ResourceRequest) -> None:
        empty = str(request.properties.get("EmptyOnDelete", "false")).lower() == "true"
        try:
            await request.call(
                "ecr", "DeleteRepository", {"repositoryName": request.physical_id, "force": empty}
            )
        except ResourceFailed as error:
            if error.code != "RepositoryNotFoundException":
                raise


class RegistryPolicy(ResourceHandler):
    attributes = frozenset({"RegistryId"})
    required = ("PolicyText",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        output = await request.call(
            "ecr", "PutRegistryPolicy", {"policyText": policy_text(request.properties["PolicyText"])}
        )
        return output["registryId"], {"RegistryId": output["registryId"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return (await self.create(request))[1]

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ecr", "DeleteRegistryPolicy", {})
        except ResourceFailed as error:
            if error.code != "RegistryPolicyNotFoundException":
                raise


class ReplicationConfiguration(ResourceHandler):
    attributes = frozenset({"RegistryId"})
    required = ("ReplicationConfiguration",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        configuration = _lower_keys(request.properties["ReplicationConfiguration"])
        await request.call("ecr", "PutReplicationConfiguration", {"replicationConfiguration": configuration})
        return request.account, {"RegistryId": request.account}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return (await self.create(request))[1]

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("ecr", "PutReplicationConfiguration", {"replicationConfiguration": {"rules": []}})


class PullThroughCacheRule(ResourceHandler):
    replace_on = frozenset(
        {"EcrRepositoryPrefix", "UpstreamRegistryUrl", "UpstreamRegistry", "UpstreamRepositoryPrefix"}
    )
    required = ("UpstreamRegistryUrl",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        prefix = properties.get("EcrRepositoryPrefix") or "ROOT"
        params = {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": properties["UpstreamRegistryUrl"]}
        for source, target in (
            ("UpstreamRegistry", "upstreamRegistry"),
            ("CredentialArn", "credentialArn"),
            ("CustomRoleArn", "customRoleArn"),
            ("UpstreamRepositoryPrefix", "upstreamRepositoryPrefix"),
        ):
            if properties.get(source):
                params[target] = properties[source]
        await request.call("ecr", "CreatePullThroughCacheRule", params)
        return prefix, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = {"ecrRepositoryPrefix": request.physical_id}
        for source, target in (("CredentialArn", "credentialArn"), ("CustomRoleArn", "customRoleArn")):
            if request.properties.get(source):
                params[target] = request.properties[source]
        await request.call("ecr", "UpdatePullThroughCacheRule", params)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "ecr", "DeletePullThroughCacheRule", {"ecrRepositoryPrefix": request.physical_id}
            )
        except ResourceFailed as error:
            if error.code != "PullThroughCacheRuleNotFoundException":
                raise


class RepositoryCreationTemplate(ResourceHandler):
    attributes = frozenset({"CreatedAt", "UpdatedAt"})
    replace_on = frozenset({"Prefix"})
    required = ("Prefix", "AppliedFor")

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "prefix": properties["Prefix"],
            "appliedFor": list(properties["AppliedFor"]),
        }
        for source, target in (
            ("Description", "description"),
            ("ImageTagMutability", "imageTagMutability"),
            ("CustomRoleArn", "customRoleArn"),
        ):
            if properties.get(source):
                params[target] = properties[source]
        if properties.get("ImageTagMutabilityExclusionFilters"):
            params["imageTagMutabilityExclusionFilters"] = _exclusion_filters(
                properties["ImageTagMutabilityExclusionFilters"]
            )
        if properties.get("EncryptionConfiguration"):
            params["encryptionConfiguration"] = _lower_keys(properties["EncryptionConfiguration"])
        if properties.get("RepositoryPolicy"):
            params["repositoryPolicy"] = policy_text(properties["RepositoryPolicy"])
        if properties.get("LifecyclePolicy"):
            params["lifecyclePolicy"] = policy_text(properties["LifecyclePolicy"])
        if properties.get("ResourceTags"):
            params["resourceTags"] = [
                {"Key": t["Key"], "Value": str(t["Value"])} for t in properties["ResourceTags"]
            ]
        return params

    @staticmethod
    def _attributes(template: dict[str, Any]) -> dict[str, Any]:
        return {
            "CreatedAt": template["createdAt"].isoformat()
            if hasattr(template["createdAt"], "isoformat")
            else "",
            "UpdatedAt": template["updatedAt"].isoformat()
            if hasattr(template["updatedAt"], "isoformat")
            else "",
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        output = await request.call(
            "ecr", "CreateRepositoryCreationTemplate", self._params(request.properties)
        )
        template = output["repositoryCreationTemplate"]
        return template["prefix"], self._attributes(template)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        output = await request.call(
            "ecr", "UpdateRepositoryCreationTemplate", self._params(request.properties)
        )
        return self._attributes(output["repositoryCreationTemplate"])

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ecr", "DeleteRepositoryCreationTemplate", {"prefix": request.physical_id})
        except ResourceFailed as error:
            if error.code != "TemplateNotFoundException":
                raise


class RegistryScanningConfiguration(ResourceHandler):
    attributes = frozenset({"RegistryId"})
    required = ("ScanType", "Rules")

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        await request.call(
            "ecr",
            "PutRegistryScanningConfiguration",
            {"scanType": properties["ScanType"], "rules": _lower_keys(list(properties["Rules"]))},
        )
        return request.account, {"RegistryId": request.account}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return (await self.create(request))[1]

    async def delete(self, request: ResourceRequest) -> None:
        await request.call("ecr", "PutRegistryScanningConfiguration", {"scanType": "BASIC", "rules": []})


class SigningConfiguration(ResourceHandler):
    """The registry's image signing rules; one per registry, named by the registry's id."""

    attributes = frozenset({"RegistryId"})
    required = ("Rules",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await request.call(
            "ecr",
            "PutSigningConfiguration",
            {"signingConfiguration": {"rules": _lower_keys(list(request.properties["Rules"]))}},
        )
        return request.account, {"RegistryId": request.account}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return (await self.create(request))[1]

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request, "ecr", "GetSigningConfiguration", {}, "SigningConfigurationNotFoundException"
        )
        return {"Rules": found["signingConfiguration"]["rules"]}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ecr", "DeleteSigningConfiguration", {})
        except ResourceFailed as error:
            if error.code != "SigningConfigurationNotFoundException":
                raise


HANDLERS = {
    "AWS::ECR::RepositoryCreationTemplate": RepositoryCreationTemplate,
    "AWS::ECR::RegistryScanningConfiguration": RegistryScanningConfiguration,
    "AWS::ECR::Repository": Repository,
    "AWS::ECR::RegistryPolicy": RegistryPolicy,
    "AWS::ECR::ReplicationConfiguration": ReplicationConfiguration,
    "AWS::ECR::PullThroughCacheRule": PullThroughCacheRule,
    "AWS::ECR::SigningConfiguration": SigningConfiguration,
}

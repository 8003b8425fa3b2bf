"""Secrets Manager's CloudFormation resource type AWS::SecretsManager::Secret, through the
Secrets Manager provider's own operations. GenerateSecretString asks the service for a
password (GetRandomPassword) as CloudFormation does."""

from __future__ import annotations

import json
from typing import Any

from overcast.common.ids import fast_uuid
from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
    as_int,
)

_PASSWORD_OPTIONS = (
    "ExcludeCharacters",
    "ExcludeLowercase",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "IncludeSpace",
    "PasswordLength",
    "RequireEachIncludedType",
)


class Secret(ResourceHandler):
    replace_on = frozenset({"Name"})
    name_property = "Name"
    attributes = frozenset({"Id"})

    async def _secret_string(self, request: ResourceRequest) -> str | None:
        properties = request.properties
        if properties.get("SecretString") is not None:
            if properties.get("GenerateSecretString"):
                raise ResourceFailed("You can't specify both SecretString and GenerateSecretString")
            return str(properties["SecretString"])
        generate = properties.get("GenerateSecretString")
        if generate is None:
            return None
        options: dict[str, Any] = {}
        for key in _PASSWORD_OPTIONS:
            if key in generate:
                options[key] = (
                    as_int(generate[key])
                    if key == "PasswordLength"
                    else (as_bool(generate[key]) if key != "ExcludeCharacters" else generate[key])
                )
        password = (await request.call("secretsmanager", "GetRandomPassword", options))["RandomPassword"]
        template, key = generate.get("SecretStringTemplate"), generate.get("GenerateStringKey")
        if template is not None or key is not None:
            if template is None or key is None:
                raise ResourceFailed("SecretStringTemplate and GenerateStringKey must be specified together")
            document = json.loads(template)
            document[key] = password
            return json.dumps(document)
        return str(password)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("Name") or request.physical_name(512 - 7)
        params: dict[str, Any] = {"Name": name, "ClientRequestToken": fast_uuid()}
        secret = await self._secret_string(request)
        if secret is not None:
            params["SecretString"] = secret
        for key in ("Description", "KmsKeyId"):
            if properties.get(key):
                params[key] = properties[key]
        if properties.get("ReplicaRegions"):
            params["AddReplicaRegions"] = [
                {key: region[key] for key in ("Region", "KmsKeyId") if key in region}
                for region in properties["ReplicaRegions"]
            ]
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("secretsmanager", "CreateSecret", params))["ARN"]
        return arn, {"Id": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        new, old = request.properties, request.old_properties
        params: dict[str, Any] = {"SecretId": request.physical_id}
        if new.get("Description") != old.get("Description"):
            params["Description"] = new.get("Description", "")
        if new.get("KmsKeyId") != old.get("KmsKeyId") and new.get("KmsKeyId"):
            params["KmsKeyId"] = new["KmsKeyId"]
        if new.get("SecretString") != old.get("SecretString") or new.get("GenerateSecretString") != old.get(
            "GenerateSecretString"
        ):
            secret = await self._secret_string(request)
            if secret is not None:
                params["SecretString"] = secret
                params["ClientRequestToken"] = fast_uuid()
        if len(params) > 1:
            await request.call("secretsmanager", "UpdateSecret", params)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "secretsmanager",
                "DeleteSecret",
                {"SecretId": request.physical_id, "ForceDeleteWithoutRecovery": True},
            )
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class ResourcePolicy(ResourceHandler):
    replace_on = frozenset({"SecretId"})
    required = ("ResourcePolicy", "SecretId")
    attributes = frozenset({"Id"})

    async def _put(self, request: ResourceRequest) -> None:
        properties = request.properties
        policy = properties["ResourcePolicy"]
        params: dict[str, Any] = {
            "SecretId": properties["SecretId"],
            "ResourcePolicy": policy if isinstance(policy, str) else json.dumps(policy),
        }
        if properties.get("BlockPublicPolicy") is not None:
            params["BlockPublicPolicy"] = as_bool(properties["BlockPublicPolicy"])
        await request.call("secretsmanager", "PutResourcePolicy", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        return request.properties["SecretId"], {"Id": request.properties["SecretId"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "secretsmanager", "DeleteResourcePolicy", {"SecretId": request.properties["SecretId"]}
            )
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class RotationSchedule(ResourceHandler):
    replace_on = frozenset({"SecretId"})
    required = ("SecretId",)

    async def _rotate(self, request: ResourceRequest) -> None:
        properties = request.properties
        params: dict[str, Any] = {"SecretId": properties["SecretId"], "ClientRequestToken": fast_uuid()}
        if properties.get("RotationLambdaARN"):
            params["RotationLambdaARN"] = properties["RotationLambdaARN"]
        rules = properties.get("RotationRules")
        if rules:
            shaped: dict[str, Any] = {}
            if rules.get("AutomaticallyAfterDays") is not None:
                shaped["AutomaticallyAfterDays"] = as_int(rules["AutomaticallyAfterDays"])
            for key in ("Duration", "ScheduleExpression"):
                if rules.get(key):
                    shaped[key] = rules[key]
            params["RotationRules"] = shaped
        if properties.get("RotateImmediatelyOnUpdate") is not None:
            params["RotateImmediately"] = as_bool(properties["RotateImmediatelyOnUpdate"])
        await request.call("secretsmanager", "RotateSecret", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._rotate(request)
        return request.properties["SecretId"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._rotate(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call(
                "secretsmanager", "CancelRotateSecret", {"SecretId": request.properties["SecretId"]}
            )
        except ResourceFailed as error:
            if error.code not in ("ResourceNotFoundException", "InvalidRequestException"):
                raise


#: RDS engines as the secret's "engine" key names them (what the rotation functions expect).
_SECRET_ENGINES = (
    ("aurora-postgresql", "postgres"),
    ("aurora-mysql", "mysql"),
    ("aurora", "mysql"),
    ("sqlserver", "sqlserver"),
    ("oracle", "oracle"),
    ("docdb", "mongo"),
)

#: TargetType → (describe operation, its identifier parameter, the list in its answer, the secret's key).
_TARGETS = {
    "AWS::RDS::DBInstance": (
        "rds",
        "DescribeDBInstances",
        "DBInstanceIdentifier",
        "DBInstances",
        "dbInstanceIdentifier",
    ),
    "AWS::RDS::DBCluster": (
        "rds",
        "DescribeDBClusters",
        "DBClusterIdentifier",
        "DBClusters",
        "dbClusterIdentifier",
    ),
}


def _secret_engine(engine: str) -> str:
    for prefix, name in _SECRET_ENGINES:
        if engine.startswith(prefix):
            return name
    return engine


class SecretTargetAttachment(ResourceHandler):
    """Attaches a database to a secret: the secret's JSON value gains the database's engine,
    host, port and identifier (a new version), as CloudFormation does for rotation. Deleting
    the attachment leaves the secret's value as it is."""

    replace_on = frozenset({"SecretId"})
    required = ("SecretId", "TargetId", "TargetType")

    async def _attach(self, request: ResourceRequest) -> str:
        properties = request.properties
        target = _TARGETS.get(properties["TargetType"])
        if target is None:
            raise ResourceFailed(
                f"Unsupported TargetType {properties['TargetType']}: one of {', '.join(sorted(_TARGETS))}",
                "InvalidRequestException",
            )
        service, operation, key, listing, secret_key = target
        found = (await request.call(service, operation, {key: properties["TargetId"]}))[listing][0]
        endpoint = found.get("Endpoint")
        host = endpoint.get("Address") if isinstance(endpoint, dict) else endpoint
        port = (endpoint.get("Port") if isinstance(endpoint, dict) else None) or found.get("Port")
        secret = await request.call("secretsmanager", "GetSecretValue", {"SecretId": properties["SecretId"]})
        try:
            value = json.loads(secret.get("SecretString") or "{}")
        except ValueError:
            raise ResourceFailed(
                "The secret's value must be a JSON object to attach a target to it.",
                "InvalidRequestException",
            ) from None
        if not isinstance(value, dict):
            raise ResourceFailed(
                "The secret's value must be a JSON object to attach a target to it.",
                "InvalidRequestException",
            )
        value.update(engine=_secret_engine(found.get("Engine", "")), host=host, port=port)
        value[secret_key] = properties["TargetId"]
        await request.call(
            "secretsmanager",
            "PutSecretValue",
            {
                "SecretId": properties["SecretId"],
                "SecretString": json.dumps(value),
                "ClientRequestToken": fast_uuid(),
            },
        )
        return str(secret["ARN"])

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        return await self._attach(request), {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._attach(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        return None


HANDLERS = {
    "AWS::SecretsManager::Secret": Secret,
    "AWS::SecretsManager::ResourcePolicy": ResourcePolicy,
    "AWS::SecretsManager::RotationSchedule": RotationSchedule,
    "AWS::SecretsManager::SecretTargetAttachment": SecretTargetAttachment,
}

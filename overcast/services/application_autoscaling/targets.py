"""The resources Application Auto Scaling scales, and how it reads and sets their capacity
through their own services' providers: an ECS service's desired count, a DynamoDB table's or
index's provisioned read/write capacity, a Lambda alias's or version's provisioned
concurrency. Other dimensions keep their capacity here (no local service to change)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: The ResourceId each namespace's resources have, as AWS documents them.
RESOURCE_IDS: dict[str, re.Pattern[str]] = {
    "ecs": re.compile(r"^service/[^/]+/[^/]+$"),
    "dynamodb": re.compile(r"^table/[^/]+(/index/[^/]+)?$"),
    "lambda": re.compile(r"^function:[^:]+:[^:]+$"),
    "ec2": re.compile(r"^spot-fleet-request/sfr-[0-9A-Za-z-]+$"),
    "rds": re.compile(r"^cluster:.+$"),
    "elasticache": re.compile(r"^(replication-group|cache-cluster)/.+$"),
    "neptune": re.compile(r"^cluster:.+$"),
    "sagemaker": re.compile(r"^(endpoint/.+/variant/.+|inference-component/.+)$"),
    "appstream": re.compile(r"^fleet/.+$"),
    "cassandra": re.compile(r"^keyspace/.+/table/.+$"),
    "kafka": re.compile(r"^arn:.+$"),
    "comprehend": re.compile(r"^arn:.+$"),
    "elasticmapreduce": re.compile(r"^instancegroup/.+/.+$"),
    "workspaces": re.compile(r"^workspacespool/.+$"),
    "custom-resource": re.compile(r"^https://.+$"),
}

#: What an activity calls each dimension's capacity ("Setting desired count to 2.").
WORDS = {
    "ecs:service:DesiredCount": "desired count",
    "dynamodb:table:ReadCapacityUnits": "read capacity units",
    "dynamodb:table:WriteCapacityUnits": "write capacity units",
    "dynamodb:index:ReadCapacityUnits": "read capacity units",
    "dynamodb:index:WriteCapacityUnits": "write capacity units",
    "lambda:function:ProvisionedConcurrency": "provisioned concurrency",
}


def words(dimension: str) -> str:
    return WORDS.get(dimension, "desired capacity")


def check_resource(namespace: str, resource_id: str, dimension: str) -> None:
    pattern = RESOURCE_IDS.get(namespace)
    if pattern is not None and not pattern.match(resource_id):
        raise ServiceError(
            "ValidationException", f"Unsupported resource ID: {resource_id} for service namespace {namespace}"
        )
    if dimension.split(":", 1)[0] != namespace:
        raise ServiceError(
            "ValidationException",
            "Unsupported service namespace, resource type or scalable dimension",
        )
    if namespace == "dynamodb" and (":index:" in dimension) != ("/index/" in resource_id):
        raise ServiceError(
            "ValidationException", "Unsupported service namespace, resource type or scalable dimension"
        )


def _lambda(runtime: Runtime, operation: str) -> Any:
    """A Lambda operation's handler (Lambda's provider is typed by its interface only)."""
    handler = runtime.handler("lambda", operation)
    if handler is None:
        raise ServiceError("ValidationException", "Lambda is not available.")
    return handler


def _context(account: str, region: str) -> RequestContext:
    return RequestContext.internal("application-autoscaling", account, region)


def current_capacity(runtime: Runtime, account: str, region: str, target: dict[str, Any]) -> int | None:
    """The resource's capacity now, from its service; None when the resource does not exist.
    Dimensions with no local service answer the capacity kept with the target."""
    namespace, resource_id, dimension = (
        target["ServiceNamespace"],
        target["ResourceId"],
        target["ScalableDimension"],
    )
    context = _context(account, region)
    try:
        if namespace == "ecs" and runtime.serves("ecs"):
            _, cluster, service = resource_id.split("/", 2)
            found = runtime.provider("ecs").describe_services(
                context, {"cluster": cluster, "services": [service]}
            )
            live = [s for s in found.get("services") or [] if s.get("status") != "INACTIVE"]
            return int(live[0]["desiredCount"]) if live else None
        if namespace == "dynamodb" and runtime.serves("dynamodb"):
            parts = resource_id.split("/")
            table = runtime.provider("dynamodb").describe_table(context, {"TableName": parts[1]})["Table"]
            throughput = table.get("ProvisionedThroughput") or {}
            if len(parts) == 4:
                indexes = [i for i in table.get("GlobalSecondaryIndexes") or [] if i["IndexName"] == parts[3]]
                if not indexes:
                    return None
                throughput = indexes[0].get("ProvisionedThroughput") or {}
            member = "ReadCapacityUnits" if dimension.endswith("ReadCapacityUnits") else "WriteCapacityUnits"
            return int(throughput.get(member) or 0)
        if namespace == "lambda" and runtime.serves("lambda"):
            _, function, qualifier = resource_id.split(":", 2)
            runtime.provider("lambda").resolve(account, region, function, qualifier)
            try:
                config = _lambda(runtime, "GetProvisionedConcurrencyConfig")(
                    context, {"FunctionName": function, "Qualifier": qualifier}
                )
                return int(config.get("RequestedProvisionedConcurrentExecutions") or 0)
            except ServiceError as error:
                if error.code == "ProvisionedConcurrencyConfigNotFoundException":
                    return 0
                raise
    except ServiceError:
        return None
    return int(target.get("_capacity", target.get("MinCapacity") or 0))


def set_capacity(runtime: Runtime, account: str, region: str, target: dict[str, Any], capacity: int) -> str:
    """Change the resource's capacity through its service; returns the service that fulfilled
    it. Raises ServiceError with the service's refusal."""
    namespace, resource_id, dimension = (
        target["ServiceNamespace"],
        target["ResourceId"],
        target["ScalableDimension"],
    )
    context = _context(account, region)
    if namespace == "ecs" and runtime.serves("ecs"):
        _, cluster, service = resource_id.split("/", 2)
        runtime.provider("ecs").update_service(
            context, {"cluster": cluster, "service": service, "desiredCount": capacity}
        )
        return "ecs"
    if namespace == "dynamodb" and runtime.serves("dynamodb"):
        parts = resource_id.split("/")
        dynamodb = runtime.provider("dynamodb")
        table = dynamodb.describe_table(context, {"TableName": parts[1]})["Table"]
        throughput = dict(table.get("ProvisionedThroughput") or {})
        if len(parts) == 4:
            index = next(i for i in table.get("GlobalSecondaryIndexes") or [] if i["IndexName"] == parts[3])
            throughput = dict(index.get("ProvisionedThroughput") or {})
        member = "ReadCapacityUnits" if dimension.endswith("ReadCapacityUnits") else "WriteCapacityUnits"
        wanted = {
            "ReadCapacityUnits": int(throughput.get("ReadCapacityUnits") or 1),
            "WriteCapacityUnits": int(throughput.get("WriteCapacityUnits") or 1),
            member: capacity,
        }
        if len(parts) == 4:
            dynamodb.update_table(
                context,
                {
                    "TableName": parts[1],
                    "GlobalSecondaryIndexUpdates": [
                        {"Update": {"IndexName": parts[3], "ProvisionedThroughput": wanted}}
                    ],
                },
            )
        else:
            dynamodb.update_table(context, {"TableName": parts[1], "ProvisionedThroughput": wanted})
        return "dynamodb"
    if namespace == "lambda" and runtime.serves("lambda"):
        _, function, qualifier = resource_id.split(":", 2)
        if capacity == 0:
            try:
                _lambda(runtime, "DeleteProvisionedConcurrencyConfig")(
                    context, {"FunctionName": function, "Qualifier": qualifier}
                )
            except ServiceError as error:
                if error.code != "ProvisionedConcurrencyConfigNotFoundException":
                    raise
        else:
            _lambda(runtime, "PutProvisionedConcurrencyConfig")(
                context,
                {
                    "FunctionName": function,
                    "Qualifier": qualifier,
                    "ProvisionedConcurrentExecutions": capacity,
                },
            )
        return "lambda"
    target["_capacity"] = capacity
    return namespace

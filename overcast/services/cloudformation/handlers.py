"""What a CloudFormation resource type is to the engine: a handler that creates, updates and
deletes one kind of resource through the operations of the service that owns it, and says
which property changes replace the resource.

Each service keeps its types in `overcast/services/<service>/resources.py`, a module with a
`HANDLERS` dict (type name → handler class); MODULES below lists them. A type no module
declares fails its stack with "Unsupported resource type"."""

from __future__ import annotations

import importlib
import inspect
import json
import random
import string
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: The services with resource types, by module.
MODULES = (
    "overcast.services.s3.resources",
    "overcast.services.sqs.resources",
    "overcast.services.sns.resources",
    "overcast.services.dynamodb.resources",
    "overcast.services.lambda.resources",
    "overcast.services.iam.resources",
    "overcast.services.logs.resources",
    "overcast.services.ssm.resources",
    "overcast.services.kms.resources",
    "overcast.services.secretsmanager.resources",
    "overcast.services.events.resources",
    "overcast.services.cloudtrail.resources",
    "overcast.services.xray.resources",
    "overcast.services.apigateway.resources",
    "overcast.services.apigatewayv2.resources",
    "overcast.services.cloudwatch.resources",
    "overcast.services.kinesis.resources",
    "overcast.services.rds.resources",
    "overcast.services.elasticache.resources",
    "overcast.services.ec2.resources",
    "overcast.services.scheduler.resources",
    "overcast.services.ecr.resources",
    "overcast.services.route53.resources",
    "overcast.services.servicediscovery.resources",
    "overcast.services.route53resolver.resources",
    "overcast.services.acm.resources",
    "overcast.services.ecs.resources",
    "overcast.services.cloudfront.resources",
    "overcast.services.eks.resources",
    "overcast.services.autoscaling.resources",
    "overcast.services.application_autoscaling.resources",
    "overcast.services.elbv2.resources",
    "overcast.services.elb.resources",
    "overcast.services.cloudformation.custom",
    "overcast.services.cloudformation.nested",
)


class ResourceFailed(Exception):
    """A resource could not be created, updated or deleted; the message is the stack event's
    ResourceStatusReason, `code` the service's error code when a service refused."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class ResourceGone(Exception):
    """Drift detection found the resource deleted outside CloudFormation."""


@dataclass
class ResourceRequest:
    """One create, update or delete the engine asks of a handler."""

    runtime: Runtime
    account: str
    region: str
    stack_name: str
    stack_id: str
    logical_id: str
    resource_type: str
    properties: dict[str, Any]
    physical_id: str = ""
    old_properties: dict[str, Any] = field(default_factory=dict)
    #: GetAtt attributes recorded when the resource was created or last updated.
    attributes: dict[str, Any] = field(default_factory=dict)
    #: The stack's tags, which CloudFormation propagates to the resources that take tags.
    stack_tags: list[dict[str, str]] = field(default_factory=list)
    #: The resource's CreationPolicy, for the types that wait for signals.
    creation_policy: dict[str, Any] | None = None

    @property
    def context(self) -> RequestContext:
        return RequestContext.internal("cloudformation", self.account, self.region)

    @property
    def partition(self) -> str:
        from overcast.common.arns import partition

        return partition(self.region)

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """One operation of a service's provider, as its handler answers it."""
        return await call(self.runtime, service, operation, self.account, self.region, params)

    def physical_name(self, max_length: int = 255, lowercase: bool = False, separator: str = "-") -> str:
        """The name CloudFormation makes up for a resource the template leaves unnamed:
        {stack}-{logical id}-{random}, cut to fit the service's limit."""
        alphabet = (
            string.ascii_lowercase + string.digits if lowercase else string.ascii_uppercase + string.digits
        )
        suffix = "".join(random.choices(alphabet, k=12 if lowercase else 13))
        stack, logical = self.stack_name, self.logical_id
        if lowercase:
            stack, logical = stack.lower(), logical.lower()
        room = max_length - len(suffix) - 2 * len(separator)
        if len(stack) + len(logical) > room:
            stack = stack[: max(room // 2, 1)]
            logical = logical[: max(room - len(stack), 1)]
        return f"{stack}{separator}{logical}{separator}{suffix}"[:max_length]

    def tags(self, given: list[dict[str, Any]] | None = None) -> list[dict[str, str]]:
        """The resource's tags: the stack's, then aws:cloudformation:*, then its own."""
        merged: dict[str, str] = {tag["Key"]: str(tag["Value"]) for tag in self.stack_tags}
        merged.update(
            {
                "aws:cloudformation:stack-name": self.stack_name,
                "aws:cloudformation:stack-id": self.stack_id,
                "aws:cloudformation:logical-id": self.logical_id,
            }
        )
        merged.update({tag["Key"]: str(tag["Value"]) for tag in given or []})
        return [{"Key": key, "Value": value} for key, value in merged.items()]

    def user_tags(self, given: list[dict[str, Any]] | None = None) -> list[dict[str, str]]:
        """The tags without the aws: prefixed ones, for services that refuse that prefix."""
        return [tag for tag in self.tags(given) if not tag["Key"].startswith("aws:")]


async def read_or_gone(
    request: ResourceRequest, service: str, operation: str, params: dict[str, Any], *missing: str
) -> dict[str, Any]:
    """One read of a service for drift detection; ResourceGone when it answers one of the
    `missing` error codes."""
    try:
        return await request.call(service, operation, params)
    except ResourceFailed as error:
        if error.code in missing:
            raise ResourceGone from error
        raise


async def call(
    runtime: Runtime, service: str, operation: str, account: str, region: str, params: dict[str, Any]
) -> dict[str, Any]:
    handler = runtime.handler(service, operation)
    if handler is None:
        raise ResourceFailed(f"{service} {operation} is not available")
    context = RequestContext.internal("cloudformation", account, region)
    try:
        output = handler(context, params)
        if inspect.isawaitable(output):
            output = await output
    except ServiceError as error:
        raise ResourceFailed(error_text(error, service), error.code) from error
    return output or {}


class ResourceHandler:
    """One resource type. Subclasses say which property changes need a new resource
    (`replace_on`, or every change when `updatable` is empty and update() is not
    overridden) and implement create/delete (and update where AWS updates in place)."""

    #: Properties whose change replaces the resource.
    replace_on: ClassVar[frozenset[str]] = frozenset()
    #: Properties CloudFormation requires, checked before create.
    required: ClassVar[tuple[str, ...]] = ()
    #: The property that names the resource: a replacement of a named resource fails, as AWS's does.
    name_property: ClassVar[str | None] = None
    #: The attributes Fn::GetAtt may ask for (those create/update return).
    attributes: ClassVar[frozenset[str]] = frozenset()
    #: Whether updates happen in place (False: every change replaces).
    updatable: ClassVar[bool] = True
    #: Whether creating it needs CAPABILITY_IAM (IAM resources).
    needs_iam: ClassVar[bool] = False
    #: The ResourceIdentifier key an import names it by (its physical id); None: no import.
    identifier: ClassVar[str | None] = None

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        """(physical id, attributes)."""
        raise NotImplementedError

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        """Change the resource in place (request.physical_id) to request.properties; the new
        attributes."""
        raise NotImplementedError

    async def delete(self, request: ResourceRequest) -> None:
        raise NotImplementedError

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        """An existing resource (request.physical_id) taken into a stack by an import: its
        attributes; ResourceFailed when there is no such resource."""
        raise ResourceFailed(f"ResourceType {request.resource_type} does not support resource import")

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        """The resource's current properties, in template terms, for drift detection: those
        the type can read back (None: the type does not support drift detection). Raises
        ResourceGone when the resource no longer exists."""
        return None

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        """The changed properties that make this update a replacement."""
        changed = changed_properties(old, new)
        if not self.updatable:
            return changed
        return [name for name in changed if name in self.replace_on]


def changed_properties(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(
        name for name in set(old) | set(new) if _canonical(old.get(name)) != _canonical(new.get(name))
    )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@lru_cache(maxsize=1)
def registry() -> dict[str, ResourceHandler]:
    handlers: dict[str, ResourceHandler] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for type_name, handler_class in module.HANDLERS.items():
            handlers[type_name] = handler_class()
    return handlers


def handler_for(type_name: str) -> ResourceHandler | None:
    if type_name.startswith("Custom::"):
        type_name = "AWS::CloudFormation::CustomResource"
    return registry().get(type_name)


def required(request: ResourceRequest, *names: str) -> None:
    """AWS's message for a missing required property."""
    missing = [name for name in names if request.properties.get(name) in (None, "")]
    if missing:
        raise ResourceFailed(
            "Properties validation failed for resource "
            f"{request.logical_id} with message:\n#: required key [{missing[0]}] not found"
        )


def error_text(error: Exception, service: str = "") -> str:
    """A service's error as CloudFormation words a failed resource's reason."""
    if isinstance(error, ServiceError):
        return (
            f'Resource handler returned message: "{error.message}" '
            f"(Service: {service}, Status Code: {error.status}, Error Code: {error.code})"
        )
    return str(error)


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def policy_text(document: Any) -> str:
    """A policy property (CloudFormation takes it as JSON or as an object) as JSON text."""
    return document if isinstance(document, str) else json.dumps(document)

"""AWS service integrations of HTTP APIs (IntegrationSubtype): the integration's request
parameters, once mapped, are the input of one operation of another service, called as the
integration's credentials role; its answer is the service's own response."""

from __future__ import annotations

import json
from typing import Any

from overcast import protocols
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Response

#: Subtype → (service, operation, required parameters, optional parameters), as AWS documents
#: them (the "Integration subtype reference" of HTTP APIs). Region is accepted by all.
SUBTYPES: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "EventBridge-PutEvents": (
        "events",
        "PutEvents",
        ("Detail", "DetailType", "Source"),
        ("Time", "EventBusName", "Resources", "TraceHeader"),
    ),
    "SQS-SendMessage": (
        "sqs",
        "SendMessage",
        ("QueueUrl", "MessageBody"),
        (
            "DelaySeconds",
            "MessageAttributes",
            "MessageDeduplicationId",
            "MessageGroupId",
            "MessageSystemAttributes",
        ),
    ),
    "SQS-ReceiveMessage": (
        "sqs",
        "ReceiveMessage",
        ("QueueUrl",),
        (
            "AttributeNames",
            "MaxNumberOfMessages",
            "MessageAttributeNames",
            "ReceiveRequestAttemptId",
            "VisibilityTimeout",
            "WaitTimeSeconds",
        ),
    ),
    "SQS-DeleteMessage": ("sqs", "DeleteMessage", ("QueueUrl", "ReceiptHandle"), ()),
    "SQS-PurgeQueue": ("sqs", "PurgeQueue", ("QueueUrl",), ()),
    "AppConfig-GetConfiguration": (
        "appconfig",
        "GetConfiguration",
        ("Application", "Environment", "Configuration", "ClientId"),
        ("ClientConfigurationVersion",),
    ),
    "Kinesis-PutRecord": (
        "kinesis",
        "PutRecord",
        ("StreamName", "Data", "PartitionKey"),
        ("SequenceNumberForOrdering", "ExplicitHashKey"),
    ),
    "StepFunctions-StartExecution": (
        "stepfunctions",
        "StartExecution",
        ("StateMachineArn",),
        ("Name", "Input"),
    ),
    "StepFunctions-StartSyncExecution": (
        "stepfunctions",
        "StartSyncExecution",
        ("StateMachineArn",),
        ("Name", "Input", "TraceHeader"),
    ),
    "StepFunctions-StopExecution": ("stepfunctions", "StopExecution", ("ExecutionArn",), ("Cause", "Error")),
}


def check_parameters(subtype: str, parameters: dict[str, str] | None) -> None:
    """The parameters a subtype requires and allows (BadRequestException otherwise)."""
    from overcast.services.apigatewayv2.common import bad_request

    _, _, required, optional = SUBTYPES[subtype]
    given = parameters or {}
    missing = [name for name in required if name not in given]
    if missing:
        raise bad_request(f"Parameter {missing[0]} is required for integration subtype {subtype}")
    unknown = [name for name in given if name not in required + optional + ("Region",)]
    if unknown:
        raise bad_request(f"Parameter {unknown[0]} is not supported for integration subtype {subtype}")


def _typed(shape: Any, value: str) -> Any:
    """A mapped (string) value as the member's type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(value)
    if kind == "boolean":
        return value.lower() == "true"
    if kind == "blob":
        return value.encode()
    if kind in ("list", "map", "structure"):
        parsed = json.loads(value)
        if kind == "list" and not isinstance(parsed, list):
            return [parsed]
        return parsed
    if kind == "timestamp":
        try:
            return float(value)
        except ValueError:
            from datetime import datetime

            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return value


def operation_input(subtype: str, values: dict[str, str]) -> tuple[str, Any, dict[str, Any], str | None]:
    """(service, operation model, input, region) for a subtype's mapped parameter values;
    ValueError when a value does not fit its member."""
    service, operation_name, _, _ = SUBTYPES[subtype]
    model = protocols.service_model(service)
    operation = model.operation_model(operation_name)
    region = values.get("Region")
    if subtype == "EventBridge-PutEvents":
        entry_shape = operation.input_shape.members["Entries"].member
        entry = {
            name: _typed(entry_shape.members[name], value)
            for name, value in values.items()
            if name != "Region"
        }
        return service, operation, {"Entries": [entry]}, region
    members = operation.input_shape.members
    params = {name: _typed(members[name], value) for name, value in values.items() if name in members}
    return service, operation, params, region


def serialize(
    operation: Any,
    service: str,
    output: dict[str, Any] | None,
    error: ServiceError | None,
    context: RequestContext,
) -> Response:
    """The service's answer in its JSON protocol (the one API Gateway's integrations speak)."""
    model = protocols.service_model(service)
    available = protocols.protocols_of(model)
    protocol = next((p for p in ("json", "rest-json") if p in available), available[0])
    context.service_model = model
    context.protocol = protocol
    if error is not None:
        return protocols.serialize_error(model, operation, protocol, error, context)
    return protocols.serialize_response(operation, protocol, output or {}, context)

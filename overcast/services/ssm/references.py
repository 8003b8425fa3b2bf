"""`/aws/reference/secretsmanager/NAME`: a Secrets Manager secret read through Parameter Store,
as AWS serves it (WithDecryption required; `NAME:version-id` or `NAME:staging-label` selects a
version). The secret is read through Secrets Manager's provider, never its tables."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import errors
from overcast.services.ssm.names import REFERENCE_PREFIX, Selector

if TYPE_CHECKING:
    from overcast.runtime import Runtime

_STAGE_PREFIX = "AWS"


def _missing(name: str) -> ServiceError:
    """AWS words this error as the Secrets Manager lookup behind the parameter failed, the
    "An error occurred (...)" part included in the message itself."""
    return ServiceError(
        "ParameterNotFound",
        f"An error occurred (ParameterNotFound) when referencing Secrets Manager: "
        f"Secret {name.lstrip('/')} not found.",
    )


def secret_parameter(
    runtime: Runtime, context: RequestContext, selector: Selector, decrypt: bool
) -> dict[str, Any]:
    """GetParameter's Parameter for a Secrets Manager reference."""
    if not decrypt:
        raise errors.validation("WithDecryption flag must be True for retrieving a Secret Manager secret.")
    secret_id = selector.name[len(REFERENCE_PREFIX) :]
    if not secret_id or not runtime.serves("secretsmanager"):
        raise _missing(selector.name)
    secrets = runtime.provider("secretsmanager")
    inner = RequestContext.internal("secretsmanager", context.account, context.region, context.principal_arn)
    request: dict[str, Any] = {"SecretId": secret_id}
    choice = selector.label if selector.label is not None else selector.version
    if choice is not None:
        # A selector that is not a staging label names a version id.
        text = str(choice)
        request["VersionStage" if text.startswith(_STAGE_PREFIX) else "VersionId"] = text
    try:
        value = secrets.get_secret_value(inner, request)
    except ServiceError as error:
        if error.code == "ResourceNotFoundException":
            raise _missing(selector.name) from None
        raise
    out: dict[str, Any] = {
        "Name": selector.name,
        "Type": "SecureString",
        "Value": value.get("SecretString")
        if "SecretString" in value
        else _binary_text(value["SecretBinary"]),
        "Version": 0,
        "SourceResult": _source_result(value),
        "LastModifiedDate": _epoch(value.get("CreatedDate", 0)),
        "ARN": value["ARN"],
        "DataType": "text",
    }
    if selector.text is not None:
        out["Selector"] = selector.text
    return out


def _source_result(value: dict[str, Any]) -> str:
    """The GetSecretValue result as AWS passes it on: its members in lower camel case (the ARN
    excepted), the creation date in epoch seconds."""
    out: dict[str, Any] = {}
    for member, item in value.items():
        if member == "CreatedDate":
            item = _epoch(item)
        elif member == "SecretBinary":
            item = _binary_text(item)
        out[member if member == "ARN" else member[0].lower() + member[1:]] = item
    return json.dumps(out, default=str)


def _epoch(moment: Any) -> float:
    return moment.timestamp() if hasattr(moment, "timestamp") else float(moment)


def _binary_text(blob: Any) -> str:
    import base64

    return base64.b64encode(blob if isinstance(blob, bytes) else str(blob).encode()).decode()

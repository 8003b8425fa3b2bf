"""What the HTTP and WebSocket API control plane shares: ids, errors in API Gateway's words,
and the stored records' output."""

from __future__ import annotations

import copy
import secrets
import string
import time
from typing import Any

from overcast.errors import ServiceError

_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 7) -> str:
    """An id as API Gateway makes them: lower-case letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now() -> float:
    return time.time()


def not_found(message: str, resource_type: str = "") -> ServiceError:
    if resource_type:
        return ServiceError("NotFoundException", message, 404, ResourceType=resource_type)
    return ServiceError("NotFoundException", message, 404)


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, 400)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 409)


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record as output: a copy without private members (named with a leading `_`)
    and without members that are unset."""
    return {
        key: copy.deepcopy(value)
        for key, value in record.items()
        if not key.startswith("_") and value is not None
    }


def given(params: dict[str, Any], *skip: str) -> dict[str, Any]:
    """The members a request set, less the path members that name the resource."""
    return {key: value for key, value in params.items() if value is not None and key not in skip}


def fit(value: Any, shape: Any) -> Any:
    """`value` with only the members its shape models (and none that is unset): stored
    records keep what the output of another operation does not show."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {
            name: fit(item, members[name])
            for name, item in value.items()
            if name in members and item is not None
        }
    if kind == "list" and isinstance(value, list):
        return [fit(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: fit(item, shape.value) for key, item in value.items()}
    return value


def fitted(cls: type) -> type:
    """Every operation handler of the class answers only what its output shape models."""
    import functools
    import inspect

    from botocore import xform_name

    from overcast import protocols

    model = protocols.service_model("apigatewayv2")
    for name in model.operation_names:
        method = getattr(cls, xform_name(name), None)
        shape = model.operation_model(name).output_shape
        if method is None or shape is None:
            continue

        def wrap(method: Any, shape: Any) -> Any:
            if inspect.iscoroutinefunction(method):

                async def answer_async(self: Any, context: Any, params: dict[str, Any]) -> Any:
                    return fit(await method(self, context, params), shape)

                return functools.wraps(method)(answer_async)

            def answer(self: Any, context: Any, params: dict[str, Any]) -> Any:
                return fit(method(self, context, params), shape)

            return functools.wraps(method)(answer)

        setattr(cls, xform_name(name), wrap(method, shape))
    return cls

"""What SSM's resources beyond Parameter Store share: their ids, one page of a listing,
ClientToken idempotency, and the Key/Values filters of the maintenance-window and patch
listings."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from overcast.common.pagination import paginate_list
from overcast.errors import ServiceError
from overcast.store import Store, Table


def window_id() -> str:
    return "mw-" + secrets.token_hex(9)[:17]


def new_uuid() -> str:
    return str(uuid.uuid4())


def bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The specified token isn't valid.")


def page(
    store: Store, operation: str, params: Mapping[str, Any], items: Sequence[Any], default_limit: int = 50
) -> dict[str, Any]:
    return paginate_list(
        store, "ssm", operation, params, items, bad_token=bad_token, default_limit=default_limit
    )


def does_not_exist(message: str) -> ServiceError:
    return ServiceError("DoesNotExistException", message)


def idempotent(
    tokens: Table, scope: str, operation: str, params: Mapping[str, Any], create: Callable[[], str]
) -> str:
    """The id `create()` makes, or, for a ClientToken seen before with the same request, the
    id that request made; IdempotentParameterMismatch for the token reused with another."""
    token = params.get("ClientToken")
    if not token:
        return create()
    digest = hashlib.sha256(
        json.dumps(
            {k: v for k, v in params.items() if k != "ClientToken"}, sort_keys=True, default=str
        ).encode()
    ).hexdigest()
    seen = tokens.get(scope, f"{operation}/{token}")
    if seen is not None:
        if seen["Digest"] != digest:
            raise ServiceError(
                "IdempotentParameterMismatch",
                "Error: The request includes a ClientToken that was used by a previous request with "
                "different parameters.",
            )
        return str(seen["Id"])
    made = create()
    tokens.put(scope, f"{operation}/{token}", {"Digest": digest, "Id": made})
    return made


def filter_values(
    filters: Sequence[Mapping[str, Any]] | None, allowed: Sequence[str], operation: str
) -> dict[str, list[str]]:
    """Key → values of a Filters list, refusing a key the operation does not filter on."""
    found: dict[str, list[str]] = {}
    for given in filters or ():
        key = str(given.get("Key"))
        if key not in allowed:
            raise ServiceError(
                "ValidationException",
                f"Invalid filter key {key} for {operation}. Valid filter keys: [{', '.join(allowed)}]",
            )
        found.setdefault(key, []).extend(given.get("Values") or [])
    return found


def matches(record: Mapping[str, Any], wanted: Mapping[str, list[str]], fields: Mapping[str, str]) -> bool:
    """Whether a record's fields (filter key → record field) hold one of each filter's values
    (compared as text, so booleans and numbers match "true" and "1")."""
    for key, values in wanted.items():
        value = record.get(fields.get(key, key))
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if values and text not in values:
            return False
    return True

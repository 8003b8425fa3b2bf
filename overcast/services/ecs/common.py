"""What the ECS modules share: errors as ECS answers them, ARNs, names, times."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from overcast.common.arns import build_arn
from overcast.errors import ServiceError

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def client_error(message: str) -> ServiceError:
    return ServiceError("ClientException", message)


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def cluster_not_found() -> ServiceError:
    return ServiceError("ClusterNotFoundException", "Cluster not found.")


def service_not_found() -> ServiceError:
    return ServiceError("ServiceNotFoundException", "Service not found.")


def service_not_active() -> ServiceError:
    return ServiceError("ServiceNotActiveException", "Service was not ACTIVE.")


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def now() -> datetime:
    return datetime.now(UTC)


def epoch() -> float:
    return time.time()


def new_id() -> str:
    return uuid.uuid4().hex


def arn(context_region: str, account: str, resource: str) -> str:
    return build_arn("ecs", context_region, account, resource)


def last_part(value: str) -> str:
    """A name from a name or an ARN (cluster/NAME, task-definition/FAMILY:REV, ...)."""
    if value.startswith("arn:"):
        return value.split(":", 5)[5].split("/", 1)[-1]
    return value


def cluster_name(value: str | None) -> str:
    if not value:
        return "default"
    if value.startswith("arn:"):
        return value.split(":", 5)[5].split("/")[-1]
    return value


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row without Overcast's own fields (those beginning with an underscore)."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def tag_list(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in (tags or {}).items()]


def tag_map(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags or []:
        key = tag.get("key")
        if not key:
            raise invalid("Tag keys must be between 1-128 characters.")
        if len(key) > 128:
            raise invalid("Tag keys must be between 1-128 characters.")
        value = tag.get("value", "")
        if len(value) > 256:
            raise invalid("Tag values must be between 0-256 characters.")
        if key.lower().startswith("aws:"):
            raise invalid("Tag keys prefixed with 'aws:' are reserved.")
        out[key] = value
    if len(out) > 50:
        raise invalid("The maximum number of tags for a resource is 50.")
    return out

"""Route 53's errors, with the HTTP status its model gives each (400 where it gives none)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from overcast.errors import ServiceError


@lru_cache(maxsize=1)
def _statuses() -> dict[str, int]:
    from overcast import protocols

    model = protocols.service_model("route53")
    return {
        shape.name: int(shape.metadata.get("error", {}).get("httpStatusCode") or 400)
        for shape in model.error_shapes
    }


def error(code: str, message: str, **fields: Any) -> ServiceError:
    return ServiceError(code, message, _statuses().get(code, 400), **fields)


def invalid(message: str) -> ServiceError:
    return error("InvalidInput", message)


def no_zone(zone_id: str) -> ServiceError:
    return error("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}")


def no_health_check(check_id: str) -> ServiceError:
    return error("NoSuchHealthCheck", f"A health check with id {check_id} does not exist.")


def change_batch(messages: list[str]) -> ServiceError:
    return error("InvalidChangeBatch", "[" + ", ".join(messages) + "]", messages=messages)


PUBLIC_ZONE_VPC = (
    "You're trying to associate a VPC with a public hosted zone. Amazon Route 53 doesn't support "
    "associating a VPC with a public hosted zone."
)

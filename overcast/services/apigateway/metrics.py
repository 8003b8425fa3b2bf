"""The AWS/ApiGateway metrics of a REST API's requests, as AWS publishes them: Count, 4XXError
and 5XXError (0 or 1 a request, so their Average is the error rate), Latency and
IntegrationLatency (milliseconds), and CacheHitCount / CacheMissCount on a cached method —
by ApiName and by ApiName and Stage, and by ApiName, Method, Resource and Stage where the
stage enables detailed metrics (methodSettings metricsEnabled)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.services.cloudwatch.publish import Dimensions, publish_metrics

if TYPE_CHECKING:
    from overcast.runtime import Runtime
    from overcast.services.apigateway.invoke import Call

NAMESPACE = "AWS/ApiGateway"


def milliseconds(seconds: float) -> float:
    """Three significant digits: the aggregate keeps each distinct value (for percentiles),
    which unrounded timings would make one a request."""
    return float(f"{seconds * 1000:.3g}")


def publish_request(runtime: Runtime, call: Call, status: int) -> None:
    latency = milliseconds(time.time() - call.started)
    values: list[tuple[str, float, str]] = [
        ("Count", 1.0, "Count"),
        ("4XXError", 1.0 if 400 <= status < 500 else 0.0, "Count"),
        ("5XXError", 1.0 if status >= 500 else 0.0, "Count"),
        ("Latency", latency, "Milliseconds"),
    ]
    if call.integration_ms is not None:
        values.append(("IntegrationLatency", float(f"{call.integration_ms:.3g}"), "Milliseconds"))
    if call.cache_hit is not None:
        values.append(("CacheHitCount", 1.0 if call.cache_hit else 0.0, "Count"))
        values.append(("CacheMissCount", 0.0 if call.cache_hit else 1.0, "Count"))
    name = call.doc["api"].get("name") or call.api_id
    detailed = None
    if call.resource is not None and call.method is not None and _detailed(call):
        detailed = (call.method.get("httpMethod") or call.verb, call.resource.get("path") or "/")
    publish_metrics(
        runtime,
        call.account,
        call.region,
        NAMESPACE,
        values,
        _dimension_sets(name, call.stage_name, detailed),
    )


#: The dimension sets of (API name, stage, detailed (method, resource)), built once each.
_SETS: dict[tuple, tuple[Dimensions, ...]] = {}


def _dimension_sets(name: str, stage: str, detailed: tuple[str, str] | None) -> tuple[Dimensions, ...]:
    key = (name, stage, detailed)
    found = _SETS.get(key)
    if found is None:
        found = ((("ApiName", name),), (("ApiName", name), ("Stage", stage)))
        if detailed is not None:
            method, resource = detailed
            found += ((("ApiName", name), ("Method", method), ("Resource", resource), ("Stage", stage)),)
        if len(_SETS) > 10_000:
            _SETS.clear()
        _SETS[key] = found
    return found


def _detailed(call: Call) -> bool:
    settings = call.stage.get("methodSettings") or {}
    if not settings:
        return False
    assert call.resource is not None and call.method is not None
    key = call.resource["path"][1:] + "/" + call.method["httpMethod"]
    chosen = settings.get(key) or settings.get("*/*") or {}
    return bool(chosen.get("metricsEnabled"))

"""The AWS/ApiGateway metrics of an HTTP API's requests, as AWS publishes them: Count, 4xx and
5xx (0 or 1 a request), Latency and IntegrationLatency (milliseconds) and DataProcessed
(bytes in and out) — by ApiId and by ApiId and Stage, and by ApiId, Stage and Route where the
stage enables detailed metrics for the route (DetailedMetricsEnabled)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.services.cloudwatch.publish import Dimensions, publish_metrics

if TYPE_CHECKING:
    from overcast.http import Response
    from overcast.runtime import Runtime
    from overcast.services.apigatewayv2.dataplane import HttpCall

NAMESPACE = "AWS/ApiGateway"


def publish_request(runtime: Runtime, call: HttpCall, response: Response) -> None:
    status = response.status
    body = call.request.body
    size = len(body) if isinstance(body, bytes | bytearray) else 0
    if isinstance(response.body, bytes | bytearray):
        size += len(response.body)
    values: list[tuple[str, float, str]] = [
        ("Count", 1.0, "Count"),
        ("4xx", 1.0 if 400 <= status < 500 else 0.0, "Count"),
        ("5xx", 1.0 if status >= 500 else 0.0, "Count"),
        ("Latency", float(f"{(time.time() - call.started) * 1000:.3g}"), "Milliseconds"),
        ("DataProcessed", float(size), "Bytes"),
    ]
    if call.integration_latency is not None:
        values.append(("IntegrationLatency", float(call.integration_latency), "Milliseconds"))
    route = call.route_key if call.route is not None and _detailed(call) else None
    publish_metrics(
        runtime,
        call.account,
        call.region,
        NAMESPACE,
        values,
        _dimension_sets(call.api_id, call.stage_name, route),
    )


#: The dimension sets of (API id, stage, detailed route), built once each.
_SETS: dict[tuple, tuple[Dimensions, ...]] = {}


def _dimension_sets(api_id: str, stage: str, route: str | None) -> tuple[Dimensions, ...]:
    key = (api_id, stage, route)
    found = _SETS.get(key)
    if found is None:
        found = ((("ApiId", api_id),), (("ApiId", api_id), ("Stage", stage)))
        if route is not None:
            found += ((("ApiId", api_id), ("Route", route), ("Stage", stage)),)
        if len(_SETS) > 10_000:
            _SETS.clear()
        _SETS[key] = found
    return found


def _detailed(call: HttpCall) -> bool:
    stage = call.stage
    own = (stage.get("RouteSettings") or {}).get(call.route_key) or {}
    if "DetailedMetricsEnabled" in own:
        return bool(own["DetailedMetricsEnabled"])
    return bool((stage.get("DefaultRouteSettings") or {}).get("DetailedMetricsEnabled"))

"""How Overcast's services publish their AWS/* metrics: `provider.publish(...)` adds a value to
an in-memory aggregate per (account, region, metric, minute, unit) — a few dict operations,
cheap on a request's hot path — and the aggregates are written to the metric tables in one
transaction every few seconds (and when the server stops), as CloudWatch's own one-minute
datapoints.

Embedded Metric Format (EMF) lines — JSON log events with an "_aws" member — become metrics
through `emf_metrics`, which Lambda's log handling and Logs' PutLogEvents call."""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from overcast.services.cloudwatch import stats
from overcast.services.cloudwatch.metrics import UNITS

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: One aggregate's key: (account, region, namespace, metric name, dimensions, minute, unit).
Key = tuple[str, str, str, str, tuple[tuple[str, str], ...], int, str]


def publish_metric(
    runtime: Runtime,
    account: str,
    region: str,
    namespace: str,
    name: str,
    dimensions: Mapping[str, str],
    value: float,
    unit: str = "None",
    moment: float | None = None,
) -> None:
    """What a service calls to publish one of its AWS/* metrics. CloudWatch's provider takes
    it at once when loaded; otherwise it is loaded off the caller's path (one background task
    on the loop, which then takes the values published meanwhile), so a request — or a
    function's timer — never waits for that."""
    if not runtime.config.service_enabled("cloudwatch"):
        return
    loaded = runtime.providers.get("cloudwatch")
    moment = time.time() if moment is None else moment
    if loaded is not None:
        loaded.publish(account, region, namespace, name, dimensions, value, unit, moment)  # type: ignore[attr-defined]
        return
    with _waiting_lock:
        waiting = _waiting.get(runtime)
        first = waiting is None
        if waiting is None:
            waiting = _waiting[runtime] = []
        waiting.append((account, region, namespace, name, dict(dimensions), value, unit, moment))
    if not first:
        return  # the provider is loading: it takes this value with the others when loaded

    async def load() -> None:
        try:
            provider = runtime.provider("cloudwatch")
        finally:
            with _waiting_lock:
                values = _waiting.pop(runtime, [])
        for each in values:
            provider.publish(*each)

    runtime.spawn(load(), name="cloudwatch load for metrics")


#: A metric's dimensions as the publisher keys them: (name, value) pairs sorted by name.
Dimensions = tuple[tuple[str, str], ...]


def publish_metrics(
    runtime: Runtime,
    account: str,
    region: str,
    namespace: str,
    values: list[tuple[str, float, str]],
    dimension_sets: tuple[Dimensions, ...],
) -> None:
    """The metrics of one event — [(name, value, unit)] — each under every one of the
    dimension sets, as a data plane's request publishes them (API Gateway's Count, Latency,
    ... by API and by API and stage). One append on the caller's path: the values are folded
    once, under the set of dimension sets, and copied to each set only when written."""
    if not runtime.config.service_enabled("cloudwatch"):
        return
    loaded = runtime.providers.get("cloudwatch")
    if loaded is not None:
        loaded.publisher.add_many(account, region, namespace, values, dimension_sets)  # type: ignore[attr-defined]
        return
    for dims in dimension_sets:
        for name, value, unit in values:
            publish_metric(runtime, account, region, namespace, name, dict(dims), value, unit)


#: The values published while CloudWatch's provider loads, by runtime: one load for them all.
_waiting: weakref.WeakKeyDictionary[Runtime, list[tuple]] = weakref.WeakKeyDictionary()
_waiting_lock = threading.Lock()


class Publisher:
    """Values on a request's path are only queued (a deque append, safe across threads without
    a lock); they are folded into per-minute aggregates when taken, or once many wait."""

    #: Values queued before add() folds them itself (bounds memory when nothing takes them).
    FOLD_AT = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: deque[tuple] = deque()
        self._pending: dict[Key, dict[str, Any]] = {}
        #: Aggregates of add_many, keyed by its set of dimension sets instead of one.
        self._fanned: dict[tuple, dict[str, Any]] = {}

    def add(
        self,
        account: str,
        region: str,
        namespace: str,
        name: str,
        dimensions: Mapping[str, str],
        value: float,
        unit: str = "None",
        moment: float | None = None,
    ) -> None:
        queued = self._queued
        queued.append(
            (
                account,
                region,
                namespace,
                name,
                dimensions,
                value,
                unit,
                time.time() if moment is None else moment,
            )
        )
        if len(queued) >= self.FOLD_AT:
            self._fold()

    def add_many(
        self,
        account: str,
        region: str,
        namespace: str,
        values: list[tuple[str, float, str]],
        dimension_sets: tuple[Dimensions, ...],
    ) -> None:
        """Metrics of one moment under several dimension sets (see publish_metrics)."""
        queued = self._queued
        queued.append((account, region, namespace, values, dimension_sets, time.time()))
        if len(queued) >= self.FOLD_AT:
            self._fold()

    def _fold(self) -> None:
        queued, pending, fanned = self._queued, self._pending, self._fanned
        add_value = stats.add_value
        with self._lock:
            while queued:
                item = queued.popleft()
                if len(item) == 6:
                    account, region, namespace, values, dimension_sets, moment = item
                    minute = int(moment) - int(moment) % 60
                    for name, value, unit in values:
                        fan_key = (account, region, namespace, name, dimension_sets, minute, unit)
                        bucket = fanned.get(fan_key)
                        if bucket is None:
                            fanned[fan_key] = bucket = stats.empty()
                        add_value(bucket, float(value))
                    continue
                account, region, namespace, name, dimensions, value, unit, moment = item
                minute = int(moment) - int(moment) % 60
                key: Key = (account, region, namespace, name, tuple(sorted(dimensions.items())), minute, unit)
                bucket = pending.get(key)
                if bucket is None:
                    pending[key] = bucket = stats.empty()
                add_value(bucket, float(value))

    def take(self) -> dict[Key, dict[str, Any]]:
        self._fold()
        with self._lock:
            pending, self._pending = self._pending, {}
            fanned, self._fanned = self._fanned, {}
        for (account, region, namespace, name, dimension_sets, minute, unit), bucket in fanned.items():
            unit = unit if unit in UNITS else "None"
            for dims in dimension_sets:
                key: Key = (account, region, namespace, name, dims, minute, unit)
                copy = {**bucket, "v": None if bucket["v"] is None else [list(pair) for pair in bucket["v"]]}
                into = pending.get(key)
                if into is None:
                    pending[key] = copy
                else:
                    stats.merge(into, copy)
        return pending

    def __len__(self) -> int:
        return len(self._pending) + len(self._fanned) + len(self._queued)


def grouped(
    pending: dict[Key, dict[str, Any]],
) -> dict[tuple[str, str, str], list[tuple[dict[str, Any], dict]]]:
    """Aggregates as put_data's input: {(account, region, namespace): [(metric, buckets)]}."""
    out: dict[tuple[str, str, str], list[tuple[dict[str, Any], dict]]] = {}
    for (account, region, namespace, name, dims, minute, unit), bucket in pending.items():
        metric = {"MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims]}
        out.setdefault((account, region, namespace), []).append((metric, {(minute, 60, unit): bucket}))
    return out


def emf_metrics(message: str) -> list[tuple[str, str, dict[str, str], float, str, float | None]]:
    """The metrics an EMF log line carries: [(namespace, name, dimensions, value, unit, time)]."""
    text = message.strip()
    if not text.startswith("{") or '"_aws"' not in text:
        return []
    try:
        document = json.loads(text)
    except ValueError:
        return []
    meta = document.get("_aws") if isinstance(document, dict) else None
    if not isinstance(meta, dict):
        return []
    moment = meta.get("Timestamp")
    when = float(moment) / 1000 if isinstance(moment, int | float) else None
    out = []
    for directive in meta.get("CloudWatchMetrics") or []:
        if not isinstance(directive, dict):
            continue
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not namespace or namespace.startswith("AWS/"):
            continue
        dimension_sets = directive.get("Dimensions") or [[]]
        for definition in directive.get("Metrics") or []:
            name = definition.get("Name") if isinstance(definition, dict) else None
            if not isinstance(name, str) or name not in document:
                continue
            unit = definition.get("Unit") or "None"
            raw = document[name]
            values = raw if isinstance(raw, list) else [raw]
            for dims in dimension_sets:
                if not isinstance(dims, list):
                    continue
                if not all(isinstance(d, str) and isinstance(document.get(d), str) for d in dims):
                    continue
                dimensions = {d: document[d] for d in dims}
                for value in values:
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        out.append((namespace, name, dimensions, float(value), unit, when))
    return out

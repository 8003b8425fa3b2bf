"""Metric data: PutMetricData, GetMetricStatistics, ListMetrics, and the series queries that
metric math and alarms read (the tables and their layout: datastore.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.errors import ServiceError
from overcast.services.cloudwatch import stats
from overcast.services.cloudwatch.datastore import SEP, Pending, metric_id, place
from overcast.services.cloudwatch.errors import combination, invalid, missing
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.provider import Provider

TWO_WEEKS = 14 * 86400
FUTURE_LIMIT = 2 * 3600
MAX_DIMENSIONS = 30
MAX_VALUES = 150
RECENT = 3 * 3600
UNITS = frozenset(
    [
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ]
)
#: The largest magnitude CloudWatch takes (2^360); smaller ones than 2^-260 are refused too.
_MAX_MAGNITUDE = 2.0**360
_MIN_MAGNITUDE = 2.0**-260


def seconds(moment: datetime | float | int) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def check_value(value: Any, where: str, member: str = "") -> float:
    """The value as a float, if CloudWatch takes it (the parameter is `where` + `member`: the
    name is joined only for the error, not for each of a request's values)."""
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise invalid(f"The value {value} for parameter {where}{member} is invalid.")
    magnitude = abs(number)
    if magnitude and (magnitude > _MAX_MAGNITUDE or magnitude < _MIN_MAGNITUDE):
        raise invalid(f"The value {value} for parameter {where}{member} is invalid.")
    return number


def check_dimensions(dimensions: list[dict[str, Any]], where: str) -> None:
    if len(dimensions) > MAX_DIMENSIONS:
        raise invalid(f"The collection {where} must not have a size greater than {MAX_DIMENSIONS}.")
    seen: set[str] = set()
    for index, dim in enumerate(dimensions, 1):
        if "Name" not in dim:
            raise missing(f"{where}.member.{index}.Name")
        if "Value" not in dim:
            raise missing(f"{where}.member.{index}.Value")
        if dim["Name"] in seen:
            raise invalid(f"No Metric may specify the same dimension name twice ({dim['Name']}).")
        seen.add(dim["Name"])


Merged = dict[str, tuple[dict[str, Any], Pending]]
#: The metric ids of recent (namespace, name, dimensions) as a request gives them: validated,
#: sorted and joined once, not for each datum.
_IDS: dict[tuple, str] = {}
_IDS_HELD = 20_000


def _metric_of(namespace: str, name: Any, dims: list[dict[str, Any]], where: str) -> str:
    """The datum's metric id, its name and dimensions checked (raises as AWS does)."""
    key = (namespace, name, *[(d.get("Name"), d.get("Value")) for d in dims])
    mid = _IDS.get(key)
    if mid is None:
        if not name:
            raise missing(f"{where}.MetricName")
        if dims:
            check_dimensions(dims, f"{where}.Dimensions")
        mid = metric_id(namespace, name, dims)
        if len(_IDS) >= _IDS_HELD:
            _IDS.clear()
        _IDS[key] = mid
    return mid


def _bad_value(value: Any, where: str) -> ServiceError:
    return invalid(f"The value {value} for parameter {where} is invalid.")


def _parse_datum(
    datum: dict[str, Any], index: int, now: float, namespace: str, merged: Merged
) -> dict[str, Any]:
    """Validate a MetricDatum and add its values to its metric's pending bucket in `merged`;
    returns that bucket."""
    name = datum.get("MetricName")
    dims = datum.get("Dimensions") or []
    mid = _metric_of(namespace, name, dims, f"MetricData.member.{index}")
    resolution = datum.get("StorageResolution", 60)
    unit = datum.get("Unit") or "None"
    if (resolution != 60 and resolution != 1) or unit not in UNITS:
        where = f"MetricData.member.{index}"
        if resolution != 60 and resolution != 1:
            raise invalid(f"The value {resolution} for parameter {where}.StorageResolution is invalid.")
        raise invalid(f"The value {unit} for parameter {where}.Unit is invalid.")
    stamp = datum.get("Timestamp")
    moment = now if stamp is None else seconds(stamp)
    if moment < now - TWO_WEEKS or moment > now + FUTURE_LIMIT:
        raise invalid(
            f"The parameter MetricData.member.{index}.Timestamp must specify a time no more than two weeks "
            "in the past and no more than two hours in the future."
        )
    value, statistic_set, values = datum.get("Value"), datum.get("StatisticValues"), datum.get("Values")
    if (value is None) + (statistic_set is None) + (values is None) != 2:
        where = f"MetricData.member.{index}"
        given = [
            key
            for key, item in (("Value", value), ("StatisticValues", statistic_set), ("Values", values))
            if item is not None
        ]
        if not given:
            raise missing(f"{where}.Value")
        raise combination(
            f"The parameters {where}.{given[0]} and {where}.{given[1]} are mutually exclusive "
            "and you have specified both."
        )
    if value is not None:
        number = float(value)
        # Refuses NaN (every comparison is false) and the infinities with the magnitudes.
        if not (_MIN_MAGNITUDE <= abs(number) <= _MAX_MAGNITUDE) and number != 0:
            raise _bad_value(value, f"MetricData.member.{index}.Value")
    elif statistic_set is not None:
        where = f"MetricData.member.{index}"
        for member in ("SampleCount", "Sum", "Minimum", "Maximum"):
            if statistic_set.get(member) is None:
                raise missing(f"{where}.StatisticValues.{member}")
            check_value(statistic_set[member], f"{where}.StatisticValues.{member}")
        if statistic_set["SampleCount"] <= 0:
            raise invalid(f"The parameter {where}.StatisticValues.SampleCount must be greater than 0.")
        if statistic_set["Minimum"] > statistic_set["Maximum"]:
            raise invalid(
                f"The parameter {where}.StatisticValues.Maximum must be greater than "
                f"{where}.StatisticValues.Minimum."
            )
    else:
        assert values is not None
        where = f"MetricData.member.{index}"
        counts = datum.get("Counts")
        if len(values) > MAX_VALUES:
            raise invalid(f"The collection {where}.Values must not have a size greater than {MAX_VALUES}.")
        if counts is not None and len(counts) != len(values):
            raise invalid(f"The parameters {where}.Values and {where}.Counts must be of the same size.")
        if not values or (counts is not None and sum(counts) <= 0):
            raise invalid(f"The parameter {where}.Values must not be empty.")
    held = merged.get(mid)
    if held is None:
        held = merged[mid] = ({"Namespace": namespace, "MetricName": name, "Dimensions": dims}, {})
    ts = int(moment)
    if resolution == 1:
        start = ts - ts % 60
        place_key, slot = (start, 1, unit), ts - start
    else:
        ts -= ts % 60
        start = ts - ts % 3600
        place_key, slot = (start, 60, unit), (ts - start) // 60
    slots = held[1].get(place_key)
    if slots is None:
        slots = held[1][place_key] = {}
    bucket = slots.get(slot)
    if bucket is None:
        bucket = slots[slot] = stats.empty()
    if value is not None:
        stats.add_value(bucket, number)
    elif statistic_set is not None:
        stats.add_set(bucket, statistic_set)
    else:
        for position, item in enumerate(values or ()):
            count = float(counts[position]) if counts is not None else 1.0
            stats.add_value(bucket, check_value(item, f"{where}.Values.member.{position + 1}"), count)
    return bucket


#: The members of a datum of one value at the current time, the usual kind.
_PLAIN_MEMBERS = frozenset(("MetricName", "Dimensions", "Value", "Unit"))


def _parse_data(data: list[dict[str, Any]], now: float, namespace: str) -> Merged:
    merged: Merged = {}
    # The bucket each plain datum's (name, unit, dimensions) went to: a later datum of the same
    # has nothing to check but its value.
    shapes: dict[tuple, dict[str, Any]] = {}
    add_value = stats.add_value
    for index, datum in enumerate(data, 1):
        if "Value" not in datum or not _PLAIN_MEMBERS.issuperset(datum):
            _parse_datum(datum, index, now, namespace, merged)
            continue
        dims = datum.get("Dimensions")
        if dims:
            shape = (
                datum.get("MetricName"),
                datum.get("Unit"),
                *[(d.get("Name"), d.get("Value")) for d in dims],
            )
        else:
            shape = (datum.get("MetricName"), datum.get("Unit"))
        bucket = shapes.get(shape)
        if bucket is None:
            shapes[shape] = _parse_datum(datum, index, now, namespace, merged)
            continue
        value = datum["Value"]
        number = float(value)
        if not (_MIN_MAGNITUDE <= abs(number) <= _MAX_MAGNITUDE) and number != 0:
            raise _bad_value(value, f"MetricData.member.{index}.Value")
        add_value(bucket, number)
    return merged


class MetricsMixin:
    def put_metric_data(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        namespace = params.get("Namespace")
        if not namespace:
            raise missing("Namespace")
        if namespace.startswith("AWS/"):
            raise invalid("The value AWS/ for parameter Namespace is invalid.")
        data = params.get("MetricData")
        if not data:
            if params.get("EntityMetricData"):
                data = [d for entry in params["EntityMetricData"] for d in entry.get("MetricData") or []]
            if not data:
                raise missing("MetricData")
        now = time.time()
        merged = _parse_data(data, now, namespace)
        self.store_merged(store_scope(context.account, context.region), namespace, merged, now)
        return {}

    def put_data(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        namespace: str,
        parsed: list[tuple[dict[str, Any], dict]],
        now: float | None = None,
    ) -> None:
        """Store parsed datapoints [(metric without namespace, {(ts, resolution, unit):
        bucket})] in one transaction."""
        scope = store_scope(account, region)
        now = time.time() if now is None else now
        merged: Merged = {}
        for metric, buckets in parsed:
            mid = metric_id(namespace, metric["MetricName"], metric["Dimensions"])
            held = merged.get(mid)
            if held is None:
                held = merged[mid] = ({"Namespace": namespace, **metric}, {})
            pending = held[1]
            for (ts, resolution, unit), bucket in buckets.items():
                start, slot = place(ts, resolution)
                slots = pending.setdefault((start, resolution, unit), {})
                if slot in slots:
                    stats.merge(slots[slot], bucket)
                else:
                    slots[slot] = bucket
        self.store_merged(scope, namespace, merged, now)

    def store_merged(self: Provider, scope: str, namespace: str, merged: Merged, now: float) -> None:  # type: ignore[misc]
        """One write for a whole call's datapoints."""
        with self.store.transaction():
            for mid, (metric, buckets) in merged.items():
                self.data.record(scope, metric, buckets, now, mid)

    def get_metric_statistics(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        statistics = params.get("Statistics") or []
        extended = params.get("ExtendedStatistics") or []
        if not statistics and not extended:
            raise missing("Statistics")
        if statistics and extended:
            raise combination(
                "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both."
            )
        for name in statistics:
            if name not in stats.PLAIN:
                raise invalid(f"The value {name} for parameter Statistics is invalid.")
        if len(extended) > 10:
            raise invalid("The collection ExtendedStatistics must not have a size greater than 10.")
        for name in extended:
            if not stats.valid_extended(name):
                raise invalid(f"The value {name} for parameter ExtendedStatistics is invalid.")
        period = params["Period"]
        start, end = seconds(params["StartTime"]), seconds(params["EndTime"])
        check_period(period, start)
        if start >= end:
            raise invalid("The parameter StartTime must be less than the parameter EndTime.")
        if (end - start) / period > 1440:
            raise invalid(
                "You have requested up to "
                f"{int((end - start) // period)} datapoints, which exceeds the limit of 1440. "
                "You may reduce the datapoints requested by increasing Period, or decreasing the time range."
            )
        dims = params.get("Dimensions") or []
        check_dimensions(dims, "Dimensions")
        unit = params.get("Unit")
        mid = metric_id(params["Namespace"], params["MetricName"], dims)
        start = align_start(start, period)
        groups = self.data.aggregate(self.scope_of(context), mid, start, end, period, unit, by_unit=True)
        points = []
        for (slot, bucket_unit), bucket in sorted(groups.items()):
            point: dict[str, Any] = {"Timestamp": float(slot), "Unit": bucket_unit}
            for name in statistics:
                point[name] = stats.plain(bucket, name)
            if extended:
                values = {name: stats.compute(bucket, name) for name in extended}
                point["ExtendedStatistics"] = {k: v for k, v in values.items() if v is not None}
            points.append(point)
        return {"Label": params["MetricName"], "Datapoints": points}

    def list_metrics(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        wanted_dims = params.get("Dimensions") or []
        if len(wanted_dims) > 10:
            raise invalid("The collection Dimensions must not have a size greater than 10.")
        recent = params.get("RecentlyActive")
        if recent is not None and recent != "PT3H":
            raise invalid(f"The value {recent} for parameter RecentlyActive is invalid.")
        now = time.time()
        name = params.get("MetricName")
        owner = params.get("OwningAccount")
        accounts_wanted = params.get("IncludeLinkedAccounts")

        def matches(record: dict[str, Any]) -> bool:
            if name is not None and record["MetricName"] != name:
                return False
            if recent and record.get("last", 0) < now - RECENT:
                return False
            have = {d["Name"]: d["Value"] for d in record["Dimensions"]}
            for want in wanted_dims:
                if want["Name"] not in have:
                    return False
                if want.get("Value") is not None and have[want["Name"]] != want["Value"]:
                    return False
            return not (owner and owner != context.account)

        def scan(after: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
            namespace = params.get("Namespace")
            prefix = namespace + SEP if namespace else ""
            for key, record in self.data.metrics.scan(scope, prefix=prefix, start_after=after):
                if matches(record):
                    yield key, record

        def render(key: str, record: dict[str, Any]) -> dict[str, Any]:
            return {
                "Namespace": record["Namespace"],
                "MetricName": record["MetricName"],
                "Dimensions": record["Dimensions"],
            }

        out = self.page_keys("ListMetrics", params, scan, render, default_limit=500)
        if accounts_wanted:
            out["OwningAccounts"] = [context.account] * len(out.get("Metrics", []))
        return out


def check_period(period: int, start: float, now: float | None = None) -> None:
    if period <= 0:
        raise invalid(f"The parameter Period must be greater than 0 (given {period}).")
    if period < 60 and period not in (1, 5, 10, 20, 30):
        raise invalid("The parameter Period must be 1, 5, 10, 20, 30, 60, or any multiple of 60.")
    if period >= 60 and period % 60:
        raise invalid("The parameter Period must be 1, 5, 10, 20, 30, 60, or any multiple of 60.")


def align_start(start: float, period: int, now: float | None = None) -> float:
    """Where AWS begins its periods: StartTime rounded down by its age (to the minute within
    15 days, five minutes within 63 days, the hour beyond), and to the period for short ones."""
    now = time.time() if now is None else now
    age = now - start
    step = 60 if age <= 15 * 86400 else 300 if age <= 63 * 86400 else 3600
    if period < 60:
        step = period
    return float(int(start) - int(start) % step)

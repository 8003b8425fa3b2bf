"""Amazon CloudWatch: metrics (PutMetricData, statistics, metric math, search, widget images),
alarms evaluated on the scheduler with their actions, dashboards, metric streams, anomaly
detectors and Contributor Insights rules — over all three of its protocols
(smithy-rpc-v2-cbor, json, query), which the protocol layer speaks from the model.

Other services publish their AWS/* metrics — and Logs the metrics its metric filters and
Embedded Metric Format lines make — through publish.publish_metric, which hands them to
`publish` here (aggregated in memory per minute, written every few seconds)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from overcast.common import pagination
from overcast.config import tuning
from overcast.context import RequestContext
from overcast.services.base import BaseProvider
from overcast.services.cloudwatch import publish as publishing
from overcast.services.cloudwatch.alarms import AlarmsMixin
from overcast.services.cloudwatch.chart import ChartMixin
from overcast.services.cloudwatch.contributors import ContributorsMixin
from overcast.services.cloudwatch.dashboards import DashboardsMixin
from overcast.services.cloudwatch.datastore import LAYOUTS, MetricStore
from overcast.services.cloudwatch.definitions import DefinitionsMixin
from overcast.services.cloudwatch.errors import bad_token
from overcast.services.cloudwatch.features import FeaturesMixin
from overcast.services.cloudwatch.logalarms import LogAlarmsMixin
from overcast.services.cloudwatch.metrics import UNITS, MetricsMixin
from overcast.services.cloudwatch.querydata import QueryMixin
from overcast.store import scope as store_scope

log = logging.getLogger(__name__)

FLUSH_SETTING = "OVERCAST_CLOUDWATCH_FLUSH_SECONDS"
#: How often old datapoints are rolled up to coarser resolutions (real seconds).
ROLL_UP_SECONDS = 3600.0


class Provider(
    MetricsMixin,
    QueryMixin,
    AlarmsMixin,
    LogAlarmsMixin,
    DashboardsMixin,
    FeaturesMixin,
    DefinitionsMixin,
    ContributorsMixin,
    ChartMixin,
    BaseProvider,
):
    service = "cloudwatch"
    layouts = LAYOUTS

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        table = self.store.table
        self.data = MetricStore(table("cloudwatch", "metrics"), table("cloudwatch", "points"), self.store)
        self.alarms = table("cloudwatch", "alarms")
        self.history = table("cloudwatch", "history")
        self.dashboards = table("cloudwatch", "dashboards")
        self.streams = table("cloudwatch", "streams")
        self.detectors = table("cloudwatch", "detectors")
        self.insight = table("cloudwatch", "insight")
        self.managed = table("cloudwatch", "managed")
        self.tags = table("cloudwatch", "tags")
        self.mute_rules = table("cloudwatch", "mute_rules")
        self.query_defs = table("cloudwatch", "query_defs")
        self.resource_cfgs = table("cloudwatch", "resource_cfgs")
        self.cw_settings = table("cloudwatch", "settings")
        self.publisher = publishing.Publisher()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self.schedule_all()
        self.runtime.every(tuning(FLUSH_SETTING), self.flush, name="cloudwatch metrics flush")
        self.runtime.every(ROLL_UP_SECONDS, self.roll_up, name="cloudwatch roll-up")

    def reset(self) -> None:
        self.publisher.take()
        self.data.forget()
        self.runtime.scheduler.cancel_prefix("cloudwatch/alarm/")

    def state_replaced(self) -> None:
        self.data.forget()
        self.schedule_all()

    def stop(self) -> None:
        self.flush()

    def close(self) -> None:
        self.flush()

    # -- shared helpers --------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def page_keys(
        self,
        operation: str,
        params: Mapping[str, Any],
        scan: Callable[[str | None], Iterable[tuple[str, Any]]],
        render: Callable[[str, Any], Any],
        *,
        default_limit: int,
    ) -> dict[str, Any]:
        return pagination.paginate_keys(
            self.store, "cloudwatch", operation, params, scan, bad_token=bad_token, default_limit=default_limit,
            render=render,
        )  # fmt: skip

    def page_list(
        self, operation: str, params: Mapping[str, Any], items: list[Any], *, default_limit: int
    ) -> dict:
        return pagination.paginate_list(
            self.store,
            "cloudwatch",
            operation,
            params,
            items,
            bad_token=bad_token,
            default_limit=default_limit,
        )

    def page_offset(
        self,
        operation: str,
        params: Mapping[str, Any],
        items: list[Any],
        result_key: str,
        *,
        default_limit: int,
    ) -> dict[str, Any]:
        """A page of `items` for the operations botocore has no paginator for (NextToken and
        MaxResults all the same)."""
        start = self.decode_token(operation, params["NextToken"]) if params.get("NextToken") else 0
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise bad_token()
        end = start + (params.get("MaxResults") or default_limit)
        out: dict[str, Any] = {result_key: items[start:end]}
        if end < len(items):
            out["NextToken"] = self.encode_token(operation, end)
        return out

    def encode_token(self, operation: str, position: Any) -> str:
        return pagination.encode_token(self.store, operation, position)

    def decode_token(self, operation: str, token: str) -> Any:
        try:
            return pagination.decode_token(self.store, operation, token)
        except Exception:
            raise bad_token() from None

    # -- for other services ----------------------------------------------------------------------

    def publish(
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
        """A service's own metric (AWS/Lambda, AWS/SQS, ...): aggregated in memory and written
        within a few seconds as a one-minute datapoint."""
        self.publisher.add(
            account, region, namespace, name, dimensions, value, unit if unit in UNITS else "None", moment
        )

    def flush(self) -> None:
        pending = self.publisher.take()
        if not pending:
            return
        now = time.time()
        for (account, region, namespace), parsed in publishing.grouped(pending).items():
            try:
                self.put_data(account, region, namespace, parsed, now)
            except Exception:
                log.exception("writing %s metrics failed", namespace)

    def roll_up(self) -> None:
        now = time.time()
        for scope in self.data.points.scopes():
            with self.store.transaction():
                self.data.roll_up(scope, now)

    # -- inspection ------------------------------------------------------------------------------

    def datapoint_count(self, account: str, region: str) -> int:
        return self.data.points.count(store_scope(account, region))

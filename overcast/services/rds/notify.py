"""RDS events (DescribeEvents: the last 14 days of what happened to each resource) and event
subscriptions, which publish matching events to an SNS topic as RDS words them."""

from __future__ import annotations

import itertools
import json
import logging
import time
from datetime import datetime
from typing import Any

from overcast.common import tagging
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds.common import MixinBase, arn, check_max_records, invalid, iso, not_found

log = logging.getLogger(__name__)

RETENTION_SECONDS = 14 * 86400
SOURCE_TYPES = (
    "db-instance",
    "db-parameter-group",
    "db-security-group",
    "db-snapshot",
    "db-cluster",
    "db-cluster-snapshot",
    "custom-engine-version",
    "db-proxy",
    "blue-green-deployment",
    "db-shard-group",
    "zero-etl",
)
CATEGORIES: dict[str, list[str]] = {
    "db-instance": [
        "availability",
        "backup",
        "configuration change",
        "creation",
        "deletion",
        "failover",
        "failure",
        "low storage",
        "maintenance",
        "notification",
        "read replica",
        "recovery",
        "restoration",
        "security",
        "security patching",
    ],
    "db-snapshot": ["creation", "deletion", "notification", "restoration"],
    "db-parameter-group": ["configuration change"],
    "db-security-group": ["configuration change", "failure"],
    "db-cluster": [
        "configuration change",
        "creation",
        "deletion",
        "failover",
        "failure",
        "global-failover",
        "maintenance",
        "migration",
        "notification",
        "serverless",
    ],
    "db-cluster-snapshot": ["backup", "creation", "deletion", "notification"],
}
#: RDS's event ids (RDS-EVENT-nnnn) for the messages Overcast records.
EVENT_IDS = {
    "DB instance created": "RDS-EVENT-0005",
    "DB instance deleted": "RDS-EVENT-0003",
    "DB instance restarted": "RDS-EVENT-0006",
    "Backing up DB instance": "RDS-EVENT-0001",
    "Finished DB Instance backup": "RDS-EVENT-0002",
    "DB instance stopped": "RDS-EVENT-0087",
    "DB instance started": "RDS-EVENT-0088",
    "Manual snapshot created": "RDS-EVENT-0042",
    "Automated snapshot created": "RDS-EVENT-0091",
    "Read replica has been promoted to a standalone DB instance": "RDS-EVENT-0045",
    "DB cluster created": "RDS-EVENT-0170",
    "DB cluster deleted": "RDS-EVENT-0171",
}
_sequence = itertools.count()


class EventMixin(MixinBase):
    def record_event(self, scope: str, source_type: str, source: str, message: str, category: str) -> None:
        account, _, region = scope.partition("/")
        context = RequestContext.internal("rds", account, region)
        kind = {
            "db-instance": "db",
            "db-snapshot": "snapshot",
            "db-cluster": "cluster",
            "db-parameter-group": "pg",
            "db-cluster-snapshot": "cluster-snapshot",
        }[source_type]
        moment = time.time()
        event = {
            "SourceIdentifier": source,
            "SourceType": source_type,
            "Message": message,
            "EventCategories": [category],
            "Date": moment,
            "SourceArn": arn(context, kind, source),
        }
        key = f"{moment:017.6f}-{next(_sequence):08d}"
        with self.store.transaction():
            self.events.put(scope, key, event)
        self.notify_subscribers(scope, event)

    def describe_events(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        end = _seconds(params.get("EndTime")) or time.time()
        start = _seconds(params.get("StartTime"))
        if start is None:
            start = end - (params.get("Duration") or 60) * 60
        source = params.get("SourceIdentifier")
        source_type = params.get("SourceType")
        if source and not source_type:
            raise invalid("SourceType must be given with SourceIdentifier.")
        categories = set(params.get("EventCategories") or [])
        events = []
        horizon = time.time() - RETENTION_SECONDS
        for _, event in self.events.scan(
            self.scope_of(context),
            start_after=f"{max(start, horizon) - 0.000001:017.6f}",
            end_before=f"{end:017.6f}~",
        ):
            if source and event["SourceIdentifier"] != source.lower() and event["SourceIdentifier"] != source:
                continue
            if source_type and event["SourceType"] != source_type:
                continue
            if categories and not categories & set(event["EventCategories"]):
                continue
            events.append({**event, "Date": iso(event["Date"])})
        return self.page("DescribeEvents", params, events)

    def describe_event_categories(self, context: RequestContext, params: dict) -> dict:
        source_type = params.get("SourceType")
        if source_type and source_type not in CATEGORIES:
            raise invalid(f"Invalid source type: {source_type}")
        return {
            "EventCategoriesMapList": [
                {"SourceType": kind, "EventCategories": categories}
                for kind, categories in CATEGORIES.items()
                if not source_type or kind == source_type
            ]
        }

    # -- subscriptions --------------------------------------------------------------------------------

    def _subscription(self, scope: str, name: str) -> dict[str, Any]:
        row = self.subscriptions.get(scope, name)
        if row is None:
            raise not_found("SubscriptionNotFound", f"Subscription {name} not found.")
        return row

    def _render_subscription(self, row: dict[str, Any]) -> dict[str, Any]:
        out = {
            "CustomerAwsId": row["account"],
            "CustSubscriptionId": row["name"],
            "SnsTopicArn": row["topic"],
            "Status": "active" if row["enabled"] else "inactive",
            "SubscriptionCreationTime": row["created"],
            "SourceIdsList": row["sources"],
            "EventCategoriesList": row["categories"],
            "Enabled": row["enabled"],
            "EventSubscriptionArn": row["arn"],
        }
        if row.get("type"):
            out["SourceType"] = row["type"]
        return out

    def _check_subscription(
        self,
        context: RequestContext,
        topic: str | None,
        source_type: str | None,
        categories: list[str],
    ) -> None:
        if topic is not None:
            parts = topic.split(":")
            if len(parts) != 6 or parts[2] != "sns":
                raise ServiceError("SNSInvalidTopic", f"The SNS topic {topic} is not valid.")
            if self.runtime.serves("sns"):
                sns = self.runtime.provider("sns")
                internal = RequestContext.internal("rds", parts[4], parts[3])
                try:
                    sns.get_topic_attributes(internal, {"TopicArn": topic})
                except ServiceError:
                    raise ServiceError(
                        "SNSTopicArnNotFound", f"The SNS topic {topic} was not found.", 404
                    ) from None
        if source_type is not None and source_type not in SOURCE_TYPES:
            raise invalid(f"Invalid source type: {source_type}")
        allowed = set(CATEGORIES.get(source_type or "", [])) or {c for v in CATEGORIES.values() for c in v}
        for category in categories:
            if category not in allowed:
                raise ServiceError(
                    "SubscriptionCategoryNotFound", f"Event category {category} not found.", 404
                )

    def create_event_subscription(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["SubscriptionName"]
        categories = params.get("EventCategories") or []
        self._check_subscription(context, params["SnsTopicArn"], params.get("SourceType"), categories)
        if params.get("SourceIds") and not params.get("SourceType"):
            raise invalid("SourceType must be given with SourceIds.")
        with self.store.transaction():
            if self.subscriptions.get(scope, name) is not None:
                raise ServiceError("SubscriptionAlreadyExist", f"Subscription {name} already exists.")
            row = {
                "name": name,
                "account": context.account,
                "topic": params["SnsTopicArn"],
                "type": params.get("SourceType"),
                "sources": list(params.get("SourceIds") or []),
                "categories": list(categories),
                "enabled": params.get("Enabled", True),
                "created": datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                "arn": arn(context, "es", name),
                "tags": tagging.tag_map(params.get("Tags"), self.tag_rules),
            }
            self.subscriptions.put(scope, name, row)
        return {"EventSubscription": self._render_subscription(row)}

    def describe_event_subscriptions(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("SubscriptionName"):
            rows = [self._subscription(scope, params["SubscriptionName"])]
        else:
            rows = [row for _, row in self.subscriptions.scan(scope)]
        return self.page("DescribeEventSubscriptions", params, [self._render_subscription(r) for r in rows])

    def modify_event_subscription(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._subscription(scope, params["SubscriptionName"])
            source_type = params.get("SourceType", row["type"])
            categories = params.get("EventCategories", row["categories"]) or []
            self._check_subscription(context, params.get("SnsTopicArn"), source_type, categories)
            if params.get("SnsTopicArn"):
                row["topic"] = params["SnsTopicArn"]
            row["type"] = source_type
            row["categories"] = list(categories)
            if params.get("Enabled") is not None:
                row["enabled"] = params["Enabled"]
            self.subscriptions.put(scope, row["name"], row)
        return {"EventSubscription": self._render_subscription(row)}

    def delete_event_subscription(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._subscription(scope, params["SubscriptionName"])
            self.subscriptions.delete(scope, row["name"])
        return {"EventSubscription": {**self._render_subscription(row), "Status": "deleting"}}

    def add_source_identifier_to_subscription(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._subscription(scope, params["SubscriptionName"])
            source = params["SourceIdentifier"]
            if not row.get("type"):
                raise invalid("The subscription has no SourceType: set one before adding source identifiers.")
            if not self._source_exists(scope, row["type"], source):
                raise ServiceError("SourceNotFound", f"Source {source} not found.", 404)
            if source not in row["sources"]:
                row["sources"].append(source)
            self.subscriptions.put(scope, row["name"], row)
        return {"EventSubscription": self._render_subscription(row)}

    def remove_source_identifier_from_subscription(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._subscription(scope, params["SubscriptionName"])
            if params["SourceIdentifier"] not in row["sources"]:
                raise ServiceError("SourceNotFound", f"Source {params['SourceIdentifier']} not found.", 404)
            row["sources"].remove(params["SourceIdentifier"])
            self.subscriptions.put(scope, row["name"], row)
        return {"EventSubscription": self._render_subscription(row)}

    def _source_exists(self, scope: str, source_type: str, source: str) -> bool:
        table = {
            "db-instance": self.instances,
            "db-snapshot": self.snapshots,
            "db-cluster": self.clusters,
            "db-parameter-group": self.parameter_groups,
        }.get(source_type)
        return table is not None and table.get(scope, source.lower()) is not None

    def notify_subscribers(self, scope: str, event: dict[str, Any]) -> None:
        subscriptions = [row for _, row in self.subscriptions.scan(scope)]
        if not subscriptions or not self.runtime.serves("sns"):
            return
        region = scope.partition("/")[2]
        for row in subscriptions:
            if not row["enabled"]:
                continue
            if row.get("type") and row["type"] != event["SourceType"]:
                continue
            if row["sources"] and event["SourceIdentifier"] not in row["sources"]:
                continue
            if row["categories"] and not set(row["categories"]) & set(event["EventCategories"]):
                continue
            event_id = EVENT_IDS.get(event["Message"], "RDS-EVENT-0000")
            message = {
                "Event Source": event["SourceType"],
                "Event Time": datetime.fromtimestamp(event["Date"]).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                "Identifier Link": f"https://console.aws.amazon.com/rds/home?region={region}#dbinstance:id={event['SourceIdentifier']}",
                "Source ID": event["SourceIdentifier"],
                "Source ARN": event["SourceArn"],
                "Event ID": f"http://docs.amazonwebservices.com/RDS/latest/UserGuide/USER_Events.html#{event_id}",
                "Event Message": event["Message"],
            }
            topic = row["topic"]
            parts = topic.split(":")
            internal = RequestContext.internal("rds", parts[4], parts[3])
            try:
                self.runtime.provider("sns").publish(
                    internal,
                    {
                        "TopicArn": topic,
                        "Subject": "RDS Notification Message",
                        "Message": json.dumps(message),
                    },
                )
            except ServiceError as error:
                log.info(
                    "rds event subscription %s could not publish to %s: %s", row["name"], topic, error.message
                )


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)

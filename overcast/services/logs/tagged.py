"""Tags on the Logs resources other than log groups that TagResource, UntagResource and
ListTagsForResource address by ARN: delivery sources, delivery destinations, deliveries,
anomaly detectors, lookup tables and scheduled queries. Each keeps its tags in its own record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from overcast.common.arns import parse_arn
from overcast.common.tagging import TagRules, add_tags, remove_tags
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import Table

if TYPE_CHECKING:
    from .provider import Provider

#: ARN resource kind → (the table's property on the provider, the record's ARN member).
_KINDS = {
    "delivery-source": ("_delivery_sources", "arn"),
    "delivery-destination": ("_delivery_destinations", "arn"),
    "delivery": ("_deliveries", "arn"),
    "anomaly-detector": ("_anomaly_detectors", "anomalyDetectorArn"),
    "lookup-table": ("_lookup_tables", "lookupTableArn"),
    "scheduled-query": ("_scheduled_queries", "scheduledQueryArn"),
}


@dataclass
class Tagged:
    table: Table
    scope: str
    key: str
    record: dict

    def retag(self, rules: TagRules, add: dict | None = None, remove: list | None = None) -> None:
        tags = remove_tags(add_tags(self.record.get("tags"), add, rules), remove)
        if tags:
            self.record["tags"] = tags
        else:
            self.record.pop("tags", None)
        self.table.put(self.scope, self.key, self.record)


class TaggedResourcesMixin:
    def tagged_resource(self: Provider, context: RequestContext, arn: str) -> Tagged | None:  # type: ignore[misc]
        """The tagged resource `arn` names, None for an ARN of no such kind (a log group's)."""
        parsed = parse_arn(arn)
        kind, _, identifier = parsed.resource.partition(":") if parsed else ("", "", "")
        entry = _KINDS.get(kind) if parsed is not None and parsed.service == "logs" else None
        if entry is None:
            return None
        table: Table = getattr(self, entry[0])
        scope = self._scope(context)
        if kind == "scheduled-query":  # keyed by name; its ARN carries an id
            found = next(((k, r) for k, r in table.scan(scope) if r[entry[1]] == arn), None)
        else:
            record = table.get(scope, identifier)
            found = (identifier, record) if record is not None and record[entry[1]] == arn else None
        if found is None:
            raise ServiceError("ResourceNotFoundException", "The specified resource does not exist.", 400)
        return Tagged(table, scope, found[0], found[1])

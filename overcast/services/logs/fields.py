"""GetLogFields: the fields of a data source, discovered from its logs.

A data source is the (name, type) AWS classifies a log group's events by (`dataSourceName`,
`dataSourceType` on the group, as ListLogGroups filters on). Its fields are those of the JSON
events its groups hold, as stored, so after each group's transformer: the response "includes
any field modifications introduced through pipelines". A field found with values of several
types is a string. An account with no group of the data source has no such data source.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.context import RequestContext

from .shared import SEP, not_found

if TYPE_CHECKING:
    from .provider import Provider

#: The newest events read per group: enough to see every field a source writes.
SAMPLE_PER_GROUP = 1000

#: The field type of each JSON value's Python type (bool before int: bool is an int).
_SCALAR_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "long"),
    (float, "double"),
    (str, "string"),
)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "struct"
    if isinstance(value, list):
        return "array"
    for python_type, name in _SCALAR_TYPES:
        if isinstance(value, python_type):
            return name
    return "string"  # null: no type of its own


class _Field:
    """What the events say of one field: its type, and its members or elements' shape."""

    def __init__(self) -> None:
        self.kind: str | None = None
        self.members: dict[str, _Field] = {}
        self.element: _Field | None = None

    def see(self, value: Any) -> None:
        kind = _kind(value)
        if value is not None:
            self.kind = kind if self.kind in (None, kind) else "string"
        if kind == "struct":
            for name, member in value.items():
                self.members.setdefault(name, _Field()).see(member)
        elif kind == "array":
            for item in value:
                if self.element is None:
                    self.element = _Field()
                self.element.see(item)

    def shape(self) -> dict:
        kind = self.kind or "string"
        out: dict[str, Any] = {"type": kind}
        if kind == "struct":
            out["fields"] = describe(self.members)
        elif kind == "array" and self.element is not None:
            out["element"] = self.element.shape()
        return out


def describe(fields: dict[str, _Field]) -> list[dict]:
    return [{"logFieldName": name, "logFieldType": fields[name].shape()} for name in sorted(fields)]


def discover(messages: Iterable[str]) -> dict[str, _Field]:
    root = _Field()
    for message in messages:
        try:
            event = jsontext.loads(message)
        except ValueError:
            continue
        if isinstance(event, dict):
            root.see(event)
    return root.members


class FieldsMixin:
    def get_log_fields(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, kind = params["dataSourceName"], params["dataSourceType"]
        scope = self._scope(context)
        groups = [
            group_name
            for group_name, group in self.groups.scan(scope)
            if group.get("dataSourceName") == name and group.get("dataSourceType") == kind
        ]
        if not groups:
            raise not_found(f"The data source {name} of type {kind} does not exist.")

        def messages() -> Iterable[str]:
            for group_name in groups:
                rows = self.group_events.scan(
                    scope, prefix=group_name + SEP, limit=SAMPLE_PER_GROUP, reverse=True
                )
                for _key, record in rows:
                    yield record["m"]

        return {"logFields": describe(discover(messages()))}

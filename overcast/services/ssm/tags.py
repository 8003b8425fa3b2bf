"""Tags on parameters and documents (AddTagsToResource, RemoveTagsFromResource,
ListTagsForResource). Resource types SSM tags that are not emulated here have no resource of
that id: AWS's InvalidResourceId."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.common.tagging import TagProblem, TagRules, add_tags, refusals, remove_tags, tag_list, tag_map
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import names

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

SSM_TAGS = TagRules(
    refuse=refusals(
        "ValidationException",
        {TagProblem.TOO_MANY: ("TooManyTagsError", "The Tags parameter contains more than {limit} tags.")},
    ),
)


def _invalid_resource() -> ServiceError:
    return ServiceError("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.")


class TagMixin:
    def _checked_tags(self, given: Any) -> dict[str, str]:
        return tag_map(given, SSM_TAGS) if given else {}

    def _tagged(self: Provider, context: RequestContext, params: dict) -> tuple[Any, str, str, dict]:  # type: ignore[misc]
        """(table, scope, key, record) of the tagged resource."""
        where = self._scope(context)
        kind = params["ResourceType"]
        # Resources other than parameters are kept by their name or id as given.
        by_id = {"Document": self.documents, "Association": self.associations, "Automation": self.automations}
        if kind in by_id:
            record = by_id[kind].get(where, params["ResourceId"])
            if record is None:
                raise _invalid_resource()
            return by_id[kind], where, params["ResourceId"], record
        if kind != "Parameter":
            raise _invalid_resource()
        key = names.key(names.from_arn(params["ResourceId"]))
        record = self._live(where, key)
        if record is None:
            raise _invalid_resource()
        return self.parameters, where, key, record

    def add_tags_to_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            table, where, key, record = self._tagged(context, params)
            record["tags"] = add_tags(record.get("tags") or {}, params["Tags"], SSM_TAGS)
            table.put(where, key, record)
        return {}

    def remove_tags_from_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            table, where, key, record = self._tagged(context, params)
            record["tags"] = remove_tags(record.get("tags") or {}, params["TagKeys"])
            table.put(where, key, record)
        return {}

    def list_tags_for_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, _, record = self._tagged(context, params)
        return {"TagList": tag_list(record.get("tags") or {})}

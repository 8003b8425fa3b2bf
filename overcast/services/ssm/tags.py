"""Tags on parameters and the other resources SSM tags (AddTagsToResource,
RemoveTagsFromResource, ListTagsForResource). A resource type Overcast does not emulate yet has
no resource to tag: AWS's InvalidResourceId."""

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


#: Resource type → the provider's table holding it, keyed by the ResourceId (its id or name).
TAGGED_TABLES = {
    "MaintenanceWindow": "windows",
    "PatchBaseline": "baselines",
    "OpsItem": "ops_items",
    "OpsMetadata": "ops_metadata",
    "Document": "documents",
    "Association": "associations",
    "Automation": "automations",
}


def _invalid_resource() -> ServiceError:
    return ServiceError("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.")


class TagMixin:
    def _checked_tags(self, given: Any) -> dict[str, str]:
        return tag_map(given, SSM_TAGS) if given else {}

    def _tagged(self: Provider, context: RequestContext, params: dict) -> tuple[Any, str, str, dict]:  # type: ignore[misc]
        """(table, scope, key, record) of the tagged resource."""
        where = self._scope(context)
        table_name = TAGGED_TABLES.get(params["ResourceType"])
        if table_name is not None:
            # Resources other than parameters are kept by their name or id as given.
            key = params["ResourceId"]
            if params["ResourceType"] == "OpsMetadata":
                # Named by what follows "opsmetadata" in its ARN, with or without a leading slash.
                key = key.split(":opsmetadata/", 1)[-1].lstrip("/")
            table = getattr(self, table_name)
            found = table.get(where, key) if key else None
            if found is None:
                raise _invalid_resource()
            return table, where, key, found
        if params["ResourceType"] != "Parameter":
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

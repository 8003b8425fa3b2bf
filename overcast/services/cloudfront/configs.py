"""The resources CloudFront keeps as a versioned config: created from a `<Kind>Config`,
read back whole or as its config, updated and deleted against its ETag (If-Match), listed
in pages. One engine, a table of kinds: cache, origin request and response headers policies,
origin access controls and identities, key groups, public keys, field-level encryption
configs and profiles, continuous deployment policies.

Each row: {"Id", "ETag", "Config", "Time", ...extra members of the resource}."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.cloudfront import common
from overcast.services.cloudfront.common import error

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider


@dataclass(frozen=True)
class Kind:
    #: The resource's shape and output member ("CachePolicy").
    name: str
    #: Its path under /2020-05-31/ (the Location header).
    path: str
    table: str
    new_id: Callable[[], str]
    #: The error codes: no such resource, one by the same name or caller reference, still in use.
    missing: str
    exists: str
    in_use: str
    missing_message: str
    #: The member of the resource that holds its time (None: the resource has none).
    time_member: str | None = "LastModifiedTime"
    #: The config member that must be unique in the account ("Name"), and the CallerReference
    #: idempotency of kinds that take one.
    unique: str | None = "Name"
    caller_reference: bool = False
    #: Extra members of the resource, computed once at creation.
    extra: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
    #: Checks of a config before it is stored (raise a ServiceError).
    check: Callable[[Provider, RequestContext, dict[str, Any]], None] | None = None
    #: For the policy kinds: the managed ones (rows) and the list's Type filter.
    managed: tuple[dict[str, Any], ...] = field(default=())

    @property
    def config(self) -> str:
        return self.name + "Config"


@lru_cache(maxsize=64)
def _shape_members(shape: str) -> frozenset[str]:
    from overcast import protocols

    model = protocols.service_model("cloudfront")
    return frozenset(model.shape_for(shape).members)


def resource_view(kind: Kind, row: dict[str, Any]) -> dict[str, Any]:
    """The resource as its shape has it."""
    view: dict[str, Any] = {"Id": row["Id"]}
    if kind.time_member:
        view[kind.time_member] = row["Time"]
    view.update(row.get("Extra") or {})
    view[kind.config] = row["Config"]
    return view


def summary_view(kind: Kind, row: dict[str, Any]) -> dict[str, Any]:
    """The resource as its list's summary shape has it: the resource whole (with its Type),
    or a flattening of the resource and its config, by the shape's members."""
    members = _shape_members(kind.name + "Summary")
    if kind.name in members:
        summary: dict[str, Any] = {kind.name: resource_view(kind, row)}
        if "Type" in members:
            summary["Type"] = "managed" if row.get("Managed") else "custom"
        return summary
    flat = {**row["Config"], **(row.get("Extra") or {}), "Id": row["Id"]}
    if kind.time_member:
        flat[kind.time_member] = row["Time"]
    return {name: value for name, value in flat.items() if name in members}


class ConfigResources:
    """The operations of every kind, on the provider (mixed in)."""

    def config_rows(self: Provider, kind: Kind, account: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        rows = [value for _, value in self.store.table("cloudfront", kind.table).scan(common.scope(account))]
        rows.sort(key=lambda row: row["Time"])
        return [*kind.managed, *rows]

    def config_row(self: Provider, kind: Kind, account: str, ident: str) -> dict[str, Any]:  # type: ignore[misc]
        for managed in kind.managed:
            if managed["Id"] == ident:
                return managed
        row = self.store.table("cloudfront", kind.table).get(common.scope(account), ident or "-")
        if row is None:
            raise error(kind.missing, kind.missing_message, 404)
        return dict(row)

    def find_config(self: Provider, kind: Kind, account: str, ident: str) -> dict[str, Any] | None:  # type: ignore[misc]
        try:
            return self.config_row(kind, account, ident)
        except Exception:
            return None

    def create_config(self: Provider, kind: Kind, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = params[kind.config]
        if kind.check is not None:
            kind.check(self, context, config)
        table = self.store.table("cloudfront", kind.table)
        scope = common.scope(context.account)
        with self.store.transaction():
            for row in self.config_rows(kind, context.account):
                if kind.caller_reference and row["Config"].get("CallerReference") == config.get(
                    "CallerReference"
                ):
                    if row["Config"] == config:
                        return self._config_output(kind, row, created=True)
                    raise error(
                        kind.exists,
                        f"The caller reference that you are using to create a {_words(kind)} is "
                        "associated with another resource.",
                        409,
                    )
                if kind.unique and row["Config"].get(kind.unique) == config.get(kind.unique):
                    raise error(kind.exists, f"{_article(kind)} with this name already exists.", 409)
            ident = kind.new_id()
            row = {"Id": ident, "ETag": common.new_etag(), "Config": config, "Time": common.now()}
            if kind.extra is not None:
                row["Extra"] = kind.extra(ident, config)
            table.put(scope, ident, row)
        self.config_changed(kind, context.account)
        return self._config_output(kind, row, created=True)

    def _config_output(self: Provider, kind: Kind, row: dict, created: bool = False) -> dict:  # type: ignore[misc]
        output: dict[str, Any] = {kind.name: resource_view(kind, row), "ETag": row["ETag"]}
        if created:
            output["Location"] = f"https://cloudfront.amazonaws.com/2020-05-31/{kind.path}/{row['Id']}"
        return output

    def get_config_resource(self: Provider, kind: Kind, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._config_output(kind, self.config_row(kind, context.account, params["Id"]))

    def get_config_only(self: Provider, kind: Kind, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.config_row(kind, context.account, params["Id"])
        return {kind.config: row["Config"], "ETag": row["ETag"]}

    def update_config(self: Provider, kind: Kind, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = params[kind.config]
        table = self.store.table("cloudfront", kind.table)
        scope = common.scope(context.account)
        with self.store.transaction():
            row = self.config_row(kind, context.account, params["Id"])
            if row.get("Managed"):
                raise error("AccessDenied", "You can't update a managed policy.", 403)
            common.check_if_match(params, row["ETag"])
            if kind.caller_reference and config.get("CallerReference") != row["Config"].get(
                "CallerReference"
            ):
                raise error("IllegalUpdate", "The CallerReference of a resource cannot be changed.", 400)
            if kind.check is not None:
                kind.check(self, context, config)
            if kind.unique:
                for other in self.config_rows(kind, context.account):
                    if other["Id"] != row["Id"] and other["Config"].get(kind.unique) == config.get(
                        kind.unique
                    ):
                        raise error(kind.exists, f"{_article(kind)} with this name already exists.", 409)
            row.update(Config=config, ETag=common.new_etag(), Time=common.now())
            table.put(scope, row["Id"], row)
        self.config_changed(kind, context.account)
        return self._config_output(kind, row)

    def delete_config(self: Provider, kind: Kind, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        table = self.store.table("cloudfront", kind.table)
        scope = common.scope(context.account)
        with self.store.transaction():
            row = self.config_row(kind, context.account, params["Id"])
            if row.get("Managed"):
                raise error("AccessDenied", "You can't delete a managed policy.", 403)
            common.check_if_match(params, row["ETag"])
            if self.config_in_use(kind, context.account, row["Id"]):
                raise error(kind.in_use, f"The {_words(kind)} is in use.", 409)
            table.delete(scope, row["Id"])
        self.config_changed(kind, context.account)
        return {}

    def list_configs(self: Provider, kind: Kind, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = self.config_rows(kind, context.account)
        wanted = params.get("Type")
        if wanted:
            rows = [row for row in rows if ("managed" if row.get("Managed") else "custom") == wanted]
        members = _shape_members(kind.name + "List")
        result = common.listing([summary_view(kind, row) for row in rows], params, key=_summary_id(kind))
        return {kind.name + "List": {name: value for name, value in result.items() if name in members}}


def _summary_id(kind: Kind) -> Callable[[dict[str, Any]], str]:
    def key(summary: dict[str, Any]) -> str:
        inner = summary.get(kind.name)
        return str(inner["Id"] if isinstance(inner, dict) else summary["Id"])

    return key


def _words(kind: Kind) -> str:
    """ "CachePolicy" → "cache policy"."""
    out = ""
    for char in kind.name.replace("CloudFront", ""):
        out += (" " + char.lower()) if char.isupper() and out else char.lower()
    return out


def operations(kind: Kind, stem: str | None = None) -> dict[str, Callable[..., dict]]:
    """The handlers of a kind's operations, by method name. `stem` names the operations that
    are not named after the resource (CreateFieldLevelEncryptionConfig makes a
    FieldLevelEncryption)."""
    snake = _snake(kind.name)
    changing = stem or snake
    plural = _plural(changing)

    def create(self: Provider, context: RequestContext, params: dict) -> dict:
        return self.create_config(kind, context, params)

    def get(self: Provider, context: RequestContext, params: dict) -> dict:
        return self.get_config_resource(kind, context, params)

    def get_only(self: Provider, context: RequestContext, params: dict) -> dict:
        return self.get_config_only(kind, context, params)

    def update(self: Provider, context: RequestContext, params: dict) -> dict:
        return self.update_config(kind, context, params)

    def delete(self: Provider, context: RequestContext, params: dict) -> dict:
        return self.delete_config(kind, context, params)

    def listed(self: Provider, context: RequestContext, params: dict) -> dict:
        return self.list_configs(kind, context, params)

    return {
        f"create_{changing}": create,
        f"get_{snake}": get,
        f"get_{snake}_config": get_only,
        f"update_{changing}": update,
        f"delete_{changing}": delete,
        f"list_{plural}": listed,
    }


def _snake(name: str) -> str:
    from botocore import xform_name

    return str(xform_name(name))


def _plural(snake: str) -> str:
    if snake.endswith("policy"):
        return snake[:-1] + "ies"
    if snake.endswith("identity"):
        return snake[:-1] + "ies"
    return snake + "s"


def _article(kind: Kind) -> str:
    words = _words(kind)
    return ("An " if words[0] in "aeiou" else "A ") + words

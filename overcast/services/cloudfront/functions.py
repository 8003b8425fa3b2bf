"""CloudFront Functions (a DEVELOPMENT and a LIVE stage, each with its code, config and ETag;
TestFunction runs the code for real on the Node.js worker) and KeyValueStores (their
key-value data, imported from S3 at creation, read by functions through the cf module)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.services.cloudfront import common
from overcast.services.cloudfront.common import error, invalid
from overcast.services.cloudfront.distributions import behaviours, items
from overcast.services.cloudfront.jsworker import FunctionFailed

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider

_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")
_MAX_CODE = 10 * 1024


def _check_config(config: dict[str, Any]) -> None:
    if config.get("Runtime") not in _RUNTIMES:
        raise invalid(f"The runtime {config.get('Runtime')} is not supported.")
    associations = items(config.get("KeyValueStoreAssociations"))
    if len(associations) > 1:
        raise invalid("A function can be associated with at most one KeyValueStore.")
    if associations and config["Runtime"] != "cloudfront-js-2.0":
        raise invalid("KeyValueStore associations require the cloudfront-js-2.0 runtime.")


class Functions:
    """The function and KeyValueStore operations, on the provider (mixed in)."""

    def function_row(self: Provider, account: str, name: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.functions.get(common.scope(account), name or "-")
        if row is None:
            raise error("NoSuchFunctionExists", "The function does not exist.", 404)
        return dict(row)

    def published_function(self: Provider, account: str, name: str) -> dict[str, Any] | None:  # type: ignore[misc]
        row = self.functions.get(common.scope(account), name or "-")
        return None if row is None else row.get("Live")

    def _stage(self: Provider, row: dict[str, Any], stage: str | None) -> dict[str, Any]:  # type: ignore[misc]
        if (stage or "DEVELOPMENT") == "LIVE":
            if row.get("Live") is None:
                raise error("NoSuchFunctionExists", "The function does not exist in the LIVE stage.", 404)
            return dict(row["Live"])
        return dict(row["Development"])

    def _function_associated(self: Provider, account: str, name: str) -> bool:  # type: ignore[misc]
        suffix = f":function/{name}"
        return any(
            association["FunctionARN"].endswith(suffix)
            for dist in self.distribution_rows(account)
            for behaviour in behaviours(dist["Config"])
            for association in items(behaviour.get("FunctionAssociations"))
        )

    def _function_summary(  # type: ignore[misc]
        self: Provider, account: str, row: dict[str, Any], version: dict[str, Any], stage: str
    ) -> dict[str, Any]:
        if stage == "LIVE":
            status = "DEPLOYED" if self._function_associated(account, row["Name"]) else "UNASSOCIATED"
        else:
            status = (
                "UNPUBLISHED"
                if row.get("Live") is None or row["Live"]["Code"] != version["Code"]
                else "UNASSOCIATED"
            )
        return {
            "Name": row["Name"],
            "Status": status,
            "FunctionConfig": version["Config"],
            "FunctionMetadata": {
                "FunctionARN": common.arn(account, f"function/{row['Name']}"),
                "Stage": stage,
                "CreatedTime": row["Created"],
                "LastModifiedTime": version["Time"],
            },
        }

    async def _compile(self: Provider, code: bytes, runtime: str) -> None:  # type: ignore[misc]
        try:
            text = code.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("The function code must be UTF-8 text.") from None
        if len(code) > _MAX_CODE:
            raise error("FunctionSizeLimitExceeded", "The function code is larger than 10 KB.", 413)
        try:
            await self.node.run(text, runtime, None, check=True)
        except FunctionFailed as failure:
            raise invalid(f"The function code failed to compile: {failure}") from None

    async def create_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["Name"]
        if not _NAME.match(name):
            raise invalid("The function name is not valid.")
        config = params["FunctionConfig"]
        _check_config(config)
        self._check_kvs_associations(context.account, config)
        code = bytes(params["FunctionCode"])
        await self._compile(code, config["Runtime"])
        moment = common.now()
        with self.store.transaction():
            if self.functions.get(common.scope(context.account), name) is not None:
                raise error("FunctionAlreadyExists", "A function with the same name already exists.", 409)
            version = {"Config": config, "Code": code, "ETag": common.new_etag(), "Time": moment}
            row = {"Name": name, "Created": moment, "Development": version, "Live": None}
            self.functions.put(common.scope(context.account), name, row)
            tags = {tag["Key"]: tag.get("Value", "") for tag in items(params.get("Tags"))}
            if tags:
                self.tags.put(
                    common.scope(context.account), common.arn(context.account, f"function/{name}"), tags
                )
        return {
            "FunctionSummary": self._function_summary(context.account, row, version, "DEVELOPMENT"),
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/function/{common.arn(context.account, 'function/' + name)}",
            "ETag": version["ETag"],
        }

    def describe_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.function_row(context.account, params["Name"])
        stage = params.get("Stage") or "DEVELOPMENT"
        version = self._stage(row, stage)
        return {
            "FunctionSummary": self._function_summary(context.account, row, version, stage),
            "ETag": version["ETag"],
        }

    def get_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.function_row(context.account, params["Name"])
        version = self._stage(row, params.get("Stage"))
        return {
            "FunctionCode": version["Code"],
            "ETag": version["ETag"],
            "ContentType": "application/octet-stream",
        }

    async def update_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = params["FunctionConfig"]
        _check_config(config)
        self._check_kvs_associations(context.account, config)
        code = bytes(params["FunctionCode"])
        row = self.function_row(context.account, params["Name"])
        common.check_if_match(params, row["Development"]["ETag"])
        await self._compile(code, config["Runtime"])
        with self.store.transaction():
            row = self.function_row(context.account, params["Name"])
            common.check_if_match(params, row["Development"]["ETag"])
            version = {"Config": config, "Code": code, "ETag": common.new_etag(), "Time": common.now()}
            row["Development"] = version
            self.functions.put(common.scope(context.account), row["Name"], row)
        return {
            "FunctionSummary": self._function_summary(context.account, row, version, "DEVELOPMENT"),
            "ETag": version["ETag"],
        }

    def publish_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.function_row(context.account, params["Name"])
            common.check_if_match(params, row["Development"]["ETag"])
            live = dict(row["Development"], ETag=common.new_etag(), Time=common.now())
            row["Live"] = live
            self.functions.put(common.scope(context.account), row["Name"], row)
        self.distribution_changed(context.account, None)
        return {"FunctionSummary": self._function_summary(context.account, row, live, "LIVE")}

    def delete_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.function_row(context.account, params["Name"])
            common.check_if_match(params, row["Development"]["ETag"])
            if self._function_associated(context.account, row["Name"]):
                raise error(
                    "FunctionInUse", "Cannot delete function, it's in use by one or more distributions.", 409
                )
            self.functions.delete(common.scope(context.account), row["Name"])
            self.tags.delete(
                common.scope(context.account), common.arn(context.account, f"function/{row['Name']}")
            )
        return {}

    def list_functions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stage = params.get("Stage")
        summaries = []
        for _, row in self.functions.scan(common.scope(context.account)):
            for name in ("DEVELOPMENT", "LIVE"):
                if stage and stage != name:
                    continue
                version = row["Development"] if name == "DEVELOPMENT" else row.get("Live")
                if version is not None:
                    summaries.append(self._function_summary(context.account, row, version, name))
        result = common.listing(summaries, params, key=lambda s: s["Name"], with_marker=False)
        return {"FunctionList": result}

    async def test_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.function_row(context.account, params["Name"])
        stage = params.get("Stage") or "DEVELOPMENT"
        version = self._stage(row, stage)
        common.check_if_match(params, version["ETag"])
        try:
            event = json.loads(bytes(params["EventObject"]))
        except ValueError:
            raise invalid("The event object is not valid JSON.") from None
        if not isinstance(event, dict):
            raise invalid("The event object is not valid JSON.")
        summary = self._function_summary(context.account, row, version, stage)
        result: dict[str, Any] = {"FunctionSummary": summary}
        try:
            output, logs, micros = await self.run_function(context.account, version, event)
        except FunctionFailed as failure:
            result.update(
                ComputeUtilization="0",
                FunctionExecutionLogs=failure.logs,
                FunctionErrorMessage=str(failure),
                FunctionOutput="",
            )
            return {"TestResult": result}
        kind = "response" if isinstance(output, dict) and "statusCode" in output else "request"
        result.update(
            ComputeUtilization=str(min(100, max(1, int(micros / 10)))),
            FunctionExecutionLogs=logs,
            FunctionErrorMessage="",
            FunctionOutput=json.dumps({kind: output}),
        )
        return {"TestResult": result}

    async def run_function(  # type: ignore[misc]
        self: Provider, account: str, version: dict[str, Any], event: dict[str, Any]
    ) -> tuple[Any, list[str], float]:
        config = version["Config"]
        kvs = None
        for association in items(config.get("KeyValueStoreAssociations")):
            store = self.kvs_by_arn(account, association["KeyValueStoreARN"])
            if store is not None:
                kvs = (store["Id"], store["DataVersion"], store["Data"])
        code = version["Code"]
        text = code.decode("utf-8") if isinstance(code, bytes | bytearray) else str(code)
        return await self.node.run(text, config["Runtime"], event, kvs=kvs)

    def _check_kvs_associations(self: Provider, account: str, config: dict[str, Any]) -> None:  # type: ignore[misc]
        for association in items(config.get("KeyValueStoreAssociations")):
            if self.kvs_by_arn(account, association["KeyValueStoreARN"]) is None:
                raise error("EntityNotFound", "The KeyValueStore does not exist.", 404)

    # -- KeyValueStores ------------------------------------------------------------------------

    def kvs_by_arn(self: Provider, account: str, arn: str) -> dict[str, Any] | None:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None:
            return None
        ident = parsed.resource.partition("/")[2]
        for _, row in self.kvs.scan(common.scope(account)):
            if row["Id"] == ident:
                return dict(row)
        return None

    def _kvs_row(self: Provider, account: str, name: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.kvs.get(common.scope(account), name or "-")
        if row is None:
            raise error("EntityNotFound", "The specified KeyValueStore does not exist.", 404)
        return dict(row)

    def _kvs_view(self: Provider, account: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return {
            "Name": row["Name"],
            "Id": row["Id"],
            "Comment": row.get("Comment", ""),
            "ARN": common.arn(account, f"key-value-store/{row['Id']}"),
            "Status": "READY",
            "LastModifiedTime": row["Time"],
        }

    async def create_key_value_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["Name"]
        if not _NAME.match(name):
            raise invalid("The KeyValueStore name is not valid.")
        data: dict[str, str] = {}
        source = params.get("ImportSource")
        if source:
            data = self._import_kvs(source)
        with self.store.transaction():
            if self.kvs.get(common.scope(context.account), name) is not None:
                raise error("EntityAlreadyExists", "A KeyValueStore with this name already exists.", 409)
            row = {
                "Name": name,
                "Id": common.new_uuid(),
                "Comment": params.get("Comment") or "",
                "ETag": common.new_etag(),
                "Time": common.now(),
                "Data": data,
                "DataVersion": common.new_etag(),
            }
            self.kvs.put(common.scope(context.account), name, row)
        return {
            "KeyValueStore": self._kvs_view(context.account, row),
            "ETag": row["ETag"],
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/key-value-store/{row['Id']}",
        }

    def _import_kvs(self: Provider, source: dict[str, Any]) -> dict[str, str]:  # type: ignore[misc]
        parsed = parse_arn(source.get("SourceARN") or "")
        if source.get("SourceType") != "S3" or parsed is None or parsed.service != "s3":
            raise invalid("The import source is not valid.")
        bucket, _, key = parsed.resource.partition("/")
        s3 = self.runtime.provider("s3")
        record = s3.find_bucket(bucket)
        if record is None:
            raise error("EntityNotFound", "The import source does not exist.", 404)
        try:
            body = s3.read_object(record["Account"], record["Region"], bucket, key)
            document = json.loads(body)
            return {str(item["key"]): str(item["value"]) for item in document["data"]}
        except Exception:
            raise invalid("The import source is not a valid KeyValueStore import file.") from None

    def describe_key_value_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._kvs_row(context.account, params["Name"])
        return {"KeyValueStore": self._kvs_view(context.account, row), "ETag": row["ETag"]}

    def update_key_value_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._kvs_row(context.account, params["Name"])
            common.check_if_match(params, row["ETag"])
            row.update(Comment=params.get("Comment") or "", ETag=common.new_etag(), Time=common.now())
            self.kvs.put(common.scope(context.account), row["Name"], row)
        return {"KeyValueStore": self._kvs_view(context.account, row), "ETag": row["ETag"]}

    def delete_key_value_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._kvs_row(context.account, params["Name"])
            common.check_if_match(params, row["ETag"])
            arn = common.arn(context.account, f"key-value-store/{row['Id']}")
            for _, function in self.functions.scan(common.scope(context.account)):
                for version in (function["Development"], function.get("Live") or {}):
                    for association in items((version.get("Config") or {}).get("KeyValueStoreAssociations")):
                        if association["KeyValueStoreARN"] == arn:
                            raise error("CannotDeleteEntityWhileInUse", "The KeyValueStore is in use.", 409)
            self.kvs.delete(common.scope(context.account), row["Name"])
        return {}

    def list_key_value_stores(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        views = [
            self._kvs_view(context.account, row) for _, row in self.kvs.scan(common.scope(context.account))
        ]
        if params.get("Status"):
            views = [view for view in views if view["Status"] == params["Status"]]
        return {
            "KeyValueStoreList": common.listing(views, params, key=lambda v: v["Name"], with_marker=False)
        }

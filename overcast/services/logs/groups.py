"""Log group settings beyond the basics: the newer listing, deletion protection, KMS keys,
bearer-token ingestion and the account's storage tier.

Tables (scope = account/region):
  account_settings   "storageTier" → {storageTier, lastUpdatedTime}
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from overcast.common.arns import parse_arn
from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError

from .kmskeys import check_log_key
from .shared import bad_token, group_name_of, invalid, now_ms, validation

if TYPE_CHECKING:
    from overcast.store import Table

    from .provider import Provider


#: The model's shape for a name pattern: up to five alternatives, each an optional ^ and 3-24
#: name characters ('.' matching any character).
_NAME_REGEX_SHAPE = re.compile(r"(\^?[\.\-_\/#A-Za-z0-9]{3,24})(\|\^?[\.\-_\/#A-Za-z0-9]{3,24}){0,4}")


def _pattern(text: str | None) -> re.Pattern[str] | None:
    """ListLogGroups' logGroupNamePattern: a case-sensitive regular expression (`^` for a prefix,
    `|` for alternatives), as AWS documents it."""
    if not text:
        return None
    if not _NAME_REGEX_SHAPE.fullmatch(text):
        raise validation(
            text,
            "logGroupNamePattern",
            f"Member must satisfy regular expression pattern: {_NAME_REGEX_SHAPE.pattern}",
        )
    return re.compile(text)


class GroupSettings:
    @property
    def account_settings(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "account_settings")

    def _group_by_identifier(self: Provider, context: RequestContext, identifier: str) -> tuple[str, dict]:  # type: ignore[misc]
        scope = self._scope(context)
        return scope, self._group(scope, group_name_of(identifier))

    def check_group_deletable(self: Provider, group: dict) -> None:  # type: ignore[misc]
        """DeleteLogGroup's refusal while the group's deletion protection is on."""
        if group.get("deletionProtectionEnabled"):
            raise ServiceError(
                "ValidationException",
                "Cannot delete log group with deletion protection enabled. Disable deletion protection first.",
                400,
            )

    # -- listing ---------------------------------------------------------------------------

    def list_log_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        pattern = _pattern(params.get("logGroupNamePattern"))
        group_class = params.get("logGroupClass")
        sources = {(s["name"], s.get("type")) for s in params.get("dataSources") or ()}
        fields = set(params.get("fieldIndexNames") or ())
        tag_filters = [(t["key"], set(t.get("values") or ())) for t in params.get("logGroupTags") or ()]

        def wanted(group: dict) -> bool:
            if pattern and not pattern.search(group["logGroupName"]):
                return False
            if group_class and group.get("logGroupClass") != group_class:
                return False
            if sources and not any(
                name == group.get("dataSourceName") and kind in (None, group.get("dataSourceType"))
                for name, kind in sources
            ):
                return False
            if fields and not fields & set(self.indexed_fields(scope, group["logGroupName"])):
                return False
            tags = group.get("tags") or {}
            return all(key in tags and (not values or tags[key] in values) for key, values in tag_filters)

        def groups_after(after: str | None) -> Iterator[tuple[str, dict]]:
            for name, group in self.groups.scan(scope, start_after=after):
                if wanted(group):
                    yield name, group

        # ListLogGroups has no botocore paginator: its page is cut here, the token ours.
        bind = repr(sorted((k, v) for k, v in params.items() if k not in ("nextToken", "limit")))
        after = None
        if params.get("nextToken"):
            try:
                after = decode_token(self.store, "ListLogGroups", params["nextToken"], bind)
            except ValueError:
                raise bad_token() from None
            if not isinstance(after, str):
                raise bad_token()
        limit = params.get("limit") or 50
        rows = list(islice(groups_after(after), limit + 1))
        out: dict = {
            "logGroups": [
                {
                    "logGroupName": group["logGroupName"],
                    "logGroupArn": group["logGroupArn"],
                    "logGroupClass": group.get("logGroupClass", "STANDARD"),
                }
                for _, group in rows[:limit]
            ]
        }
        if len(rows) > limit:
            out["nextToken"] = encode_token(self.store, "ListLogGroups", rows[limit - 1][0], bind)
        return out

    def list_aggregate_log_group_summaries(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Groups counted by their data source; a group no AWS service delivers to has none
        and is counted under no grouping, as AWS leaves it out."""
        scope = self._scope(context)
        pattern = _pattern(params.get("logGroupNamePattern"))
        group_class = params.get("logGroupClass")
        sources = {(s["name"], s.get("type")) for s in params.get("dataSources") or ()}
        with_format = params["groupBy"] == "DATA_SOURCE_NAME_TYPE_AND_FORMAT"
        counts: dict[tuple[tuple[str, str], ...], int] = {}
        for name, group in self.groups.scan(scope):
            source = group.get("dataSourceName")
            if not source:
                continue
            if pattern and not pattern.search(name):
                continue
            if group_class and group.get("logGroupClass") != group_class:
                continue
            kind = group.get("dataSourceType", "")
            if sources and not any(source == s and k in (None, kind) for s, k in sources):
                continue
            key = [("DataSourceName", source), ("DataSourceType", kind)]
            if with_format:
                key.append(("DataFormat", group.get("dataFormat", "")))
            counts[tuple(key)] = counts.get(tuple(key), 0) + 1
        summaries = [
            {"logGroupCount": count, "groupingIdentifiers": [{"key": k, "value": v} for k, v in key]}
            for key, count in sorted(counts.items())
        ]
        return {"aggregateLogGroupSummaries": summaries}

    # -- settings on one group ---------------------------------------------------------------

    def put_log_group_deletion_protection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, group = self._group_by_identifier(context, params["logGroupIdentifier"])
        group["deletionProtectionEnabled"] = bool(params["deletionProtectionEnabled"])
        self.groups.put(scope, group["logGroupName"], group)
        return {}

    def put_bearer_token_authentication(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, group = self._group_by_identifier(context, params["logGroupIdentifier"])
        group["bearerTokenAuthenticationEnabled"] = bool(params["bearerTokenAuthenticationEnabled"])
        self.groups.put(scope, group["logGroupName"], group)
        return {}

    def _kms_target(self: Provider, context: RequestContext, params: dict) -> tuple[str, dict]:  # type: ignore[misc]
        name: str = params.get("logGroupName") or ""
        resource: str = params.get("resourceIdentifier") or ""
        if bool(name) == bool(resource):
            raise invalid("Specify either logGroupName or resourceIdentifier, but not both.")
        if resource:
            if ":log-group:" not in resource:
                # Query results (arn:...:query-result:*) are encrypted per account: kept with
                # the account's settings.
                if not re.fullmatch(r"arn:[\w-]+:logs:[\w-]+:\d{12}:query-result:\*", resource):
                    raise invalid(f"Invalid resourceIdentifier: {resource}")
                scope = self._scope(context)
                record = self.account_settings.get(scope, "queryResultKms") or {"setting": "queryResultKms"}
                return scope, record
            name = group_name_of(resource)
        scope = self._scope(context)
        return scope, self._group(scope, name)

    def _save_kms_target(self: Provider, scope: str, record: dict) -> None:  # type: ignore[misc]
        if record.get("setting") == "queryResultKms":
            self.account_settings.put(scope, "queryResultKms", record)
        else:
            self.groups.put(scope, record["logGroupName"], record)

    def associate_kms_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key = params["kmsKeyId"]
        arn = parse_arn(key)
        if arn is None or arn.service != "kms" or not arn.resource.startswith("key/"):
            raise invalid(f"Specified KMS key ARN is invalid: {key}. Provide the full ARN of the KMS key.")
        scope, record = self._kms_target(context, params)
        resource = record.get("logGroupArn") or params.get("resourceIdentifier") or ""
        check_log_key(self.runtime, context.account, context.region, key, resource)
        record["kmsKeyId"] = key
        self._save_kms_target(scope, record)
        return {}

    def disassociate_kms_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, record = self._kms_target(context, params)
        record.pop("kmsKeyId", None)
        self._save_kms_target(scope, record)
        return {}

    # -- account settings ------------------------------------------------------------------

    def put_storage_tier_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = {"storageTier": params["storageTier"], "lastUpdatedTime": now_ms()}
        self.account_settings.put(self._scope(context), "storageTier", record)
        return record

    def get_storage_tier_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.account_settings.get(self._scope(context), "storageTier")
        # An account that never chose keeps the standard tier.
        return record or {"storageTier": "STANDARD"}

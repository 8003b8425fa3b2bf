"""DynamoDB's table settings beside the table itself: TTL, continuous backups (point-in-time
recovery's window), tags, account limits and endpoints. Mixed into the Provider."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.common.arns import partition
from overcast.common.pagination import paginate_list
from overcast.common.tagging import add_tags, remove_tags
from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb.tables import TAG_RULES
from overcast.services.dynamodb.values import validation
from overcast.store import scope as make_scope

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider

#: How far behind now the latest restorable time is (AWS: about five minutes).
PITR_LAG = tuning("OVERCAST_DYNAMODB_PITR_LAG_SECONDS")


class TableSettingsMixin:
    def update_time_to_live(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = dict(self._require(scope, params["TableName"]))
        spec = params["TimeToLiveSpecification"]
        current = record.get("ttl")
        if spec["Enabled"]:
            if current:
                raise validation("TimeToLive is already enabled")
            record["ttl"] = spec["AttributeName"]
        else:
            if not current:
                raise validation("TimeToLive is already disabled")
            if current != spec["AttributeName"]:
                raise validation(
                    f"TimeToLive is active on a different AttributeName: current AttributeName is {current}"
                )
            record["ttl"] = None
        self._save(scope, record)
        return {
            "TimeToLiveSpecification": {"Enabled": spec["Enabled"], "AttributeName": spec["AttributeName"]}
        }

    def describe_time_to_live(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._require(scope, params["TableName"])
        if record.get("ttl"):
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": record["ttl"]}}
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}

    def _continuous_backups(self: Provider, record: dict) -> dict:  # type: ignore[misc]
        pitr: dict = {"PointInTimeRecoveryStatus": "ENABLED" if record.get("pitr") else "DISABLED"}
        if record.get("pitr"):
            now = time.time()
            days = record.get("pitr_days") or 35
            pitr["EarliestRestorableDateTime"] = max(record["pitr_since"], now - days * 86400)
            pitr["LatestRestorableDateTime"] = max(now - PITR_LAG, record["pitr_since"])
            pitr["RecoveryPeriodInDays"] = record.get("pitr_days", 35)
        return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}

    def describe_continuous_backups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._record(scope, params["TableName"])
        if record is None:
            raise ServiceError("TableNotFoundException", f"Table not found: {params['TableName']}", 400)
        return {"ContinuousBackupsDescription": self._continuous_backups(record)}

    def update_continuous_backups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._record(scope, params["TableName"])
        if record is None:
            raise ServiceError("TableNotFoundException", f"Table not found: {params['TableName']}", 400)
        record = dict(record)
        spec = params["PointInTimeRecoverySpecification"]
        enabled = spec["PointInTimeRecoveryEnabled"]
        if enabled and not record.get("pitr"):
            record["pitr_since"] = time.time()
        record["pitr"] = enabled
        if spec.get("RecoveryPeriodInDays") is not None:
            days = spec["RecoveryPeriodInDays"]
            record["pitr_days"] = days
        self._save(scope, record)
        if not enabled:
            # Turning recovery off discards the history it kept.
            self._trim_history(scope, record["storage"] + "|", None)
        return {"ContinuousBackupsDescription": self._continuous_backups(record)}

    def _record_by_arn(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict]:  # type: ignore[misc]
        prefix = f"arn:{partition(context.region)}:dynamodb:{context.region}:{context.account}:table/"
        if not arn.startswith("arn:") or ":table/" not in arn:
            raise validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
        scope = make_scope(context.account, context.region)
        name = arn[len(prefix) :].split("/")[0] if arn.startswith(prefix) else None
        record = self._record(scope, name) if name else None
        if record is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Requested resource not found: ResourcArn: {arn} not found", 400
            )
        return scope, record

    def tag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, record = self._record_by_arn(context, params["ResourceArn"])
        record = dict(record)
        record["tags"] = add_tags(record.get("tags"), params["Tags"], TAG_RULES)
        self._save(scope, record)
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, record = self._record_by_arn(context, params["ResourceArn"])
        record = dict(record)
        record["tags"] = remove_tags(record.get("tags"), params["TagKeys"])
        self._save(scope, record)
        return {}

    def list_tags_of_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, record = self._record_by_arn(context, params["ResourceArn"])
        return paginate_list(
            self.store, "dynamodb", "ListTagsOfResource", params, sorted((record.get("tags") or {}).items()),
            bad_token=lambda: validation("Invalid NextToken"), default_limit=10,
            render=lambda tag: {"Key": tag[0], "Value": tag[1]}, bind=params["ResourceArn"],
        )  # fmt: skip

    def describe_limits(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000,
        }

    def describe_endpoints(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # Endpoint discovery must lead clients back here, not to AWS.
        host = context.request.host or f"dynamodb.{context.region}.amazonaws.com"
        return {"Endpoints": [{"Address": host, "CachePeriodInMinutes": 1440}]}

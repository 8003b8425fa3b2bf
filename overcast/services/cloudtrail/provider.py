"""AWS CloudTrail: every API call Overcast serves becomes an event (recorder.py), LookupEvents
reads them back, and trails deliver them to S3 as log files with signed digests
(delivery.py)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from overcast import policy
from overcast.common.arns import partition
from overcast.common.pagination import decode_token, encode_token, paginate_list
from overcast.common.tagging import TagProblem, TagRules, check_tag, refusals
from overcast.common.times import iso_seconds
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.cloudtrail import trails as rules
from overcast.services.cloudtrail.channels import CHANNEL_ARN, DASHBOARD_ARN, ChannelMixin
from overcast.services.cloudtrail.delivery import Delivery
from overcast.services.cloudtrail.events import Record, event_id_ms
from overcast.services.cloudtrail.imports import ImportMixin
from overcast.services.cloudtrail.lake import STORE_ARN, LakeMixin
from overcast.services.cloudtrail.queries import QueryMixin
from overcast.services.cloudtrail.recorder import (
    FLUSH_SECONDS,
    Recorder,
)
from overcast.store import scope as store_scope

_ATTRIBUTE_TESTS = {
    "EventName": lambda r, v: r.event_name == v,
    "EventSource": lambda r, v: r.event_source == v,
    "Username": lambda r, v: r.username == v,
    "AccessKeyId": lambda r, v: r.access_key_id == v,
    "ReadOnly": lambda r, v: ("true" if r.read_only else "false") == v,
    "ResourceType": lambda r, v: any(t == v for t, _n, _a in r.resources or ()),
    "ResourceName": lambda r, v: any(n == v for _t, n, _a in r.resources or ()),
    "EventId": lambda r, v: r.event_id == v,
}
_TRAIL_OUTPUT = (
    "Name",
    "S3BucketName",
    "S3KeyPrefix",
    "SnsTopicName",
    "SnsTopicARN",
    "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail",
    "TrailARN",
    "LogFileValidationEnabled",
    "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn",
    "KmsKeyId",
    "IsOrganizationTrail",
)
_INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")
#: CloudTrail calls every problem with a tag "Tag key or value is invalid.", but too many.
TAG_RULES = TagRules(
    refuse=refusals(
        "InvalidTagParameterException",
        {
            **dict.fromkeys(TagProblem, "Tag key or value is invalid."),
            TagProblem.TOO_MANY: (
                "TagsLimitExceededException",
                "The number of tags exceeds the limit of 50.",
            ),
        },
    )
)


def _bad_token() -> ServiceError:
    return rules.error("InvalidNextTokenException", "Invalid NextToken.")


def _now() -> datetime:
    return datetime.now(UTC)


def _us(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


class Provider(LakeMixin, QueryMixin, ChannelMixin, ImportMixin, BaseProvider):
    service = "cloudtrail"

    def start(self) -> None:
        self.recorder = Recorder(self.store)
        self.trails = self.store.table("cloudtrail", "trails")
        table = partial(self.store.table, "cloudtrail")
        self.data_stores = table("event-data-stores")
        self.lake_queries = table("lake-queries")
        self.lake_imports = table("lake-imports")
        self.lake_imported = table("lake-imported-events")
        self.channels = table("channels")
        self.dashboards = table("dashboards")
        self.policies = table("resource-policies")
        self.event_configurations = table("event-configurations")
        self.delivery = Delivery(self)
        self.runtime.every(FLUSH_SECONDS, self.recorder.flush_in_slices, "cloudtrail-flush")
        self.runtime.every(3600, self.recorder.expire, "cloudtrail-retention")
        self.runtime.every(60, self.refresh_due_dashboards, "cloudtrail-dashboards")
        self.delivery.start()
        self.refresh_data_selection()

    def close(self) -> None:
        self.recorder.flush()

    def reset(self) -> None:
        self.recorder.pending = []

    def observe_any_request(self, context, params, output, error) -> None:
        self.recorder.observe(context, params, output, error)

    def api_call_event(self, context, params, output, error) -> dict | None:
        """The CloudTrail event (the `detail` of EventBridge's "AWS API Call via CloudTrail")
        of a call just answered; None for a call CloudTrail records as no management event."""
        return self.recorder.event_now(context, params, output, error)

    def state_replaced(self) -> None:
        self.recorder.pending = []
        self.recorder._last_key.clear()
        self.recorder._open.clear()
        self.refresh_data_selection()

    # -- trails: storage -----------------------------------------------------------------------

    def all_trails(self, account: str | None = None):
        scopes = [account] if account else self.trails.scopes()
        for scope in scopes:
            for key, trail in self.trails.scan(scope):
                yield scope, key, trail

    def refresh_data_selection(self) -> None:
        self.recorder.keep_data_events = (
            any(
                trail.get("Logging") and rules.wants_data_events(trail) for _s, _k, trail in self.all_trails()
            )
            or self.lake_wants_data_events()
        )

    @staticmethod
    def kms_key_arn(context: RequestContext, key: str) -> str:
        """A KmsKeyId parameter (an id, alias or ARN) as the ARN CloudTrail reports."""
        if key.startswith("arn:"):
            return key
        region, account = context.region, context.account
        return f"arn:{partition(region)}:kms:{region}:{account}:{key if key.startswith('alias/') else 'key/' + key}"

    def _find(
        self, context: RequestContext, name_or_arn: str | None, *, home: bool = False
    ) -> tuple[str, dict]:
        """The trail a Name/TrailName parameter names: (store key, trail). With home=True the
        call changes the trail, which only its home region may do."""
        if not name_or_arn:
            raise rules.error("TrailNotProvidedException", "Trail name or ARN must be specified.")
        account, region = context.account, context.region
        match = rules.TRAIL_ARN.fullmatch(name_or_arn)
        if name_or_arn.startswith("arn:"):
            if match is None:
                raise rules.error(
                    "CloudTrailARNInvalidException",
                    f"Invalid trail ARN: {name_or_arn}. ARN must be in the format arn:aws:cloudtrail:<region>:<account>:trail/<name>.",
                )
            trail_region, trail_account, name = match.groups()
            trail = self.trails.get(account, f"{trail_region}/{name}") if trail_account == account else None
            if trail is None or (trail_region != region and not trail["IsMultiRegionTrail"]):
                raise rules.not_found(region, account, name_or_arn)
            key = f"{trail_region}/{name}"
        else:
            rules.check_name(name_or_arn)
            key = f"{region}/{name_or_arn}"
            trail = self.trails.get(account, key)
            if trail is None:
                for _s, other_key, other in self.all_trails(account):
                    if other["Name"] == name_or_arn and other["IsMultiRegionTrail"]:
                        key, trail = other_key, other
                        break
            if trail is None:
                raise rules.not_found(region, account, name_or_arn)
        if home and trail["HomeRegion"] != region:
            raise rules.error(
                "InvalidHomeRegionException",
                f"This operation must be called from the trail's home region, {trail['HomeRegion']}.",
            )
        return key, trail

    def _save(self, account: str, key: str, trail: dict) -> None:
        self.trails.put(account, key, trail)

    @staticmethod
    def _output(trail: dict) -> dict:
        return {name: trail[name] for name in _TRAIL_OUTPUT if trail.get(name) is not None}

    @classmethod
    def _described(cls, trail: dict) -> dict:
        out = cls._output(trail)
        out["HomeRegion"] = trail["HomeRegion"]
        out["HasCustomEventSelectors"] = bool(
            trail.get("EventSelectors") or trail.get("AdvancedEventSelectors")
        )
        out["HasInsightSelectors"] = bool(trail.get("InsightSelectors"))
        return out

    def _check_topic(self, context: RequestContext, trail: dict) -> None:
        """AWS refuses a trail whose SNS topic does not exist or whose policy does not let
        cloudtrail.amazonaws.com publish to it."""
        arn = trail.get("SnsTopicARN")
        if not arn:
            return
        sns = self.runtime.provider("sns") if self.runtime.config.service_enabled("sns") else None
        parts = arn.split(":")
        allowed = False
        if sns is not None and len(parts) == 6:
            try:
                sns.topic_for(RequestContext.internal("sns", parts[4], parts[3]), arn)
                allowed = self._service_allowed(
                    sns, context, trail, (("sns:Publish", arn, {}),), parts[4], parts[3]
                )
            except ServiceError:
                allowed = False
        if not allowed:
            raise rules.error(
                "InsufficientSnsTopicPolicyException",
                "SNS Topic does not exist or the topic policy is incorrect!",
            )

    @staticmethod
    def _service_allowed(
        provider: BaseProvider,
        context: RequestContext,
        trail: dict,
        checks: tuple[tuple[str, str, dict[str, str]], ...],
        owner: str | None,
        region: str,
    ) -> bool:
        """Whether the resource's policy lets cloudtrail.amazonaws.com do each (action, resource)
        for this trail: CloudTrail checks the policy of its bucket and topic when a trail names
        them, and refuses the trail when it could not deliver."""
        text = provider.resource_policy(checks[0][1])
        if isinstance(text, dict):
            text = json.dumps(text)
        if not text:
            return False
        try:
            document = policy.parse(text, policy.RESOURCE)
        except policy.MalformedPolicy:
            return False
        source = {"aws:SourceArn": trail["TrailARN"], "aws:SourceAccount": context.account}
        return all(
            policy.evaluate(
                policy.AuthorizationRequest(
                    policy.Principal.service("cloudtrail.amazonaws.com"),
                    action,
                    resource,
                    owner,
                    {**source, **extra},
                    region,
                ),
                (),
                document,
            ).allowed
            for action, resource, extra in checks
        )

    async def _check_bucket(self, context: RequestContext, trail: dict) -> None:
        bucket = trail["S3BucketName"]
        if not await self.delivery.bucket_exists(context.account, context.region, bucket):
            raise rules.error("S3BucketDoesNotExistException", f"S3 bucket {bucket} does not exist.")
        if not self.runtime.serves("s3"):
            return
        s3 = self.runtime.provider("s3")
        prefix = trail.get("S3KeyPrefix")
        logs = f"arn:aws:s3:::{bucket}/{prefix + '/' if prefix else ''}AWSLogs/{context.account}/*"
        checks: tuple[tuple[str, str, dict[str, str]], ...] = (
            ("s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", {}),
            ("s3:PutObject", logs, {"s3:x-amz-acl": "bucket-owner-full-control"}),
        )
        if not self._service_allowed(
            s3, context, trail, checks, s3.resource_owner(checks[0][1]), context.region
        ):
            raise rules.error(
                "InsufficientS3BucketPolicyException",
                f"Incorrect S3 bucket policy is detected for bucket: {bucket}",
            )

    def _check_kms_key(self, context: RequestContext, key_id: str) -> None:
        """A trail's KmsKeyId must name a key KMS can use: its log files are written with SSE-KMS
        under it."""
        if not self.runtime.serves("kms"):
            return
        try:
            self.runtime.provider("kms").key_arn_for(context.account, context.region, key_id)
        except ServiceError as error:
            if error.code == "NotFoundException":
                raise rules.error(
                    "KmsKeyNotFoundException",
                    f"KMS key {self.kms_key_arn(context, key_id)} does not exist, or is not in the same "
                    "region as the trail.",
                ) from None
            raise rules.error("KmsException", f"{error.code}: {error.message}") from None

    def _apply_settings(self, context: RequestContext, trail: dict, params: dict) -> None:
        region, account = context.region, context.account
        for member in ("S3BucketName", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn"):
            if member in params:
                trail[member] = params[member] or None
        if "S3KeyPrefix" in params:
            rules.check_key_prefix(params["S3KeyPrefix"])
            trail["S3KeyPrefix"] = params["S3KeyPrefix"] or None
        if "SnsTopicName" in params:
            trail["SnsTopicName"] = params["SnsTopicName"] or None
            trail["SnsTopicARN"] = rules.sns_topic_arn(region, account, params["SnsTopicName"])
        if "KmsKeyId" in params:
            if params["KmsKeyId"]:
                self._check_kms_key(context, params["KmsKeyId"])
            trail["KmsKeyId"] = self.kms_key_arn(context, params["KmsKeyId"]) if params["KmsKeyId"] else None
        for member, field in (
            ("IncludeGlobalServiceEvents", "IncludeGlobalServiceEvents"),
            ("IsMultiRegionTrail", "IsMultiRegionTrail"),
            ("EnableLogFileValidation", "LogFileValidationEnabled"),
            ("IsOrganizationTrail", "IsOrganizationTrail"),
        ):
            if member in params:
                trail[field] = bool(params[member])
        if trail.get("IsOrganizationTrail"):
            raise rules.error(
                "OrganizationsNotInUseException", "This account is not a member of an organization."
            )
        if trail["IsMultiRegionTrail"] and not trail["IncludeGlobalServiceEvents"]:
            raise rules.error(
                "InvalidParameterCombinationException",
                "Multi-Region trail must include global service events.",
            )
        if bool(trail.get("CloudWatchLogsLogGroupArn")) != bool(trail.get("CloudWatchLogsRoleArn")):
            raise rules.error(
                "InvalidCloudWatchLogsLogGroupArnException"
                if not trail.get("CloudWatchLogsLogGroupArn")
                else "InvalidCloudWatchLogsRoleArnException",
                "You must specify both a CloudWatch Logs log group ARN and a role ARN.",
            )

    # -- trails: operations -----------------------------------------------------------------------

    async def create_trail(self, context: RequestContext, params: dict) -> dict:
        name, account, region = params["Name"], context.account, context.region
        rules.check_name(name)
        key = f"{region}/{name}"
        existing = [t for _s, _k, t in self.all_trails(account)]
        if any(
            t["Name"] == name and (t["HomeRegion"] == region or t["IsMultiRegionTrail"]) for t in existing
        ):
            raise rules.error(
                "TrailAlreadyExistsException", f"Trail {name} already exists for customer: {account}"
            )
        if sum(1 for t in existing if t["HomeRegion"] == region) >= rules.MAX_TRAILS_PER_REGION:
            raise rules.error(
                "MaximumNumberOfTrailsExceededException",
                f"User: {account} already has {rules.MAX_TRAILS_PER_REGION} trails in {region}.",
            )
        trail = {
            "Name": name,
            "HomeRegion": region,
            "TrailARN": rules.trail_arn(region, account, name),
            "IncludeGlobalServiceEvents": True,
            "IsMultiRegionTrail": False,
            "LogFileValidationEnabled": False,
            "IsOrganizationTrail": False,
            "Logging": False,
            "Tags": {},
            "Created": _now(),
        }
        self._apply_settings(context, trail, params)
        tags = params.get("TagsList") or []
        self._check_tags(tags, 0)
        trail["Tags"] = {tag["Key"]: tag.get("Value") for tag in tags}
        await self._check_bucket(context, trail)
        self._check_topic(context, trail)
        if self.trails.get(account, key) is not None:  # created while the bucket was checked
            raise rules.error(
                "TrailAlreadyExistsException", f"Trail {name} already exists for customer: {account}"
            )
        self._save(account, key, trail)
        return self._output(trail)

    async def update_trail(self, context: RequestContext, params: dict) -> dict:
        key, trail = self._find(context, params["Name"], home=True)
        self._apply_settings(context, trail, params)
        if params.get("S3BucketName") or "S3KeyPrefix" in params:
            await self._check_bucket(context, trail)
        if params.get("SnsTopicName"):
            self._check_topic(context, trail)
        current = self.trails.get(context.account, key)
        if current is None:
            raise rules.not_found(context.region, context.account, params["Name"])
        for name in (
            "Logging",
            "EventSelectors",
            "AdvancedEventSelectors",
            "InsightSelectors",
            "Tags",
            "StartLoggingTime",
            "StopLoggingTime",
        ):
            if name in current:
                trail[name] = current[name]
        self._save(context.account, key, trail)
        self.refresh_data_selection()
        return self._output(trail)

    def delete_trail(self, context: RequestContext, params: dict) -> dict:
        key, _trail = self._find(context, params["Name"], home=True)
        with self.store.transaction():
            self.trails.delete(context.account, key)
            self.delivery.forget(context.account, key)
        self.refresh_data_selection()
        return {}

    def describe_trails(self, context: RequestContext, params: dict) -> dict:
        names = params.get("trailNameList") or []
        shadows = params.get("includeShadowTrails", True)
        visible = [
            t
            for _s, _k, t in self.all_trails(context.account)
            if t["HomeRegion"] == context.region or (shadows and t["IsMultiRegionTrail"])
        ]
        if names:
            visible = [t for t in visible if t["Name"] in names or t["TrailARN"] in names]
        return {"trailList": [self._described(t) for t in visible]}

    def get_trail(self, context: RequestContext, params: dict) -> dict:
        _key, trail = self._find(context, params["Name"])
        return {"Trail": self._described(trail)}

    def list_trails(self, context: RequestContext, params: dict) -> dict:
        found = [
            {"TrailARN": t["TrailARN"], "Name": t["Name"], "HomeRegion": t["HomeRegion"]}
            for _s, _k, t in self.all_trails(context.account)
        ]
        return paginate_list(
            self.store, "cloudtrail", "ListTrails", params, found, bad_token=_bad_token, default_limit=50
        )

    def start_logging(self, context: RequestContext, params: dict) -> dict:
        key, trail = self._find(context, params["Name"], home=True)
        if not trail.get("Logging"):
            trail["Logging"] = True
            trail["StartLoggingTime"] = _now()
            self._save(context.account, key, trail)
            self.delivery.started(context.account, key)
        self.refresh_data_selection()
        return {}

    def stop_logging(self, context: RequestContext, params: dict) -> dict:
        key, trail = self._find(context, params["Name"], home=True)
        if trail.get("Logging"):
            trail["Logging"] = False
            trail["StopLoggingTime"] = _now()
            self._save(context.account, key, trail)
        self.refresh_data_selection()
        return {}

    def get_trail_status(self, context: RequestContext, params: dict) -> dict:
        key, trail = self._find(context, params["Name"])
        # AWS names every attempt and start/stop member, as "" until it happens.
        out: dict = {
            "IsLogging": bool(trail.get("Logging")),
            "LatestDeliveryAttemptTime": "",
            "LatestDeliveryAttemptSucceeded": "",
            "TimeLoggingStarted": "",
            "TimeLoggingStopped": "",
        }
        for name in ("StartLoggingTime", "StopLoggingTime"):
            if trail.get(name):
                out[name] = trail[name]
        if trail.get("StartLoggingTime"):
            out["TimeLoggingStarted"] = iso_seconds(trail["StartLoggingTime"])
        if trail.get("StopLoggingTime"):
            out["TimeLoggingStopped"] = iso_seconds(trail["StopLoggingTime"])
        out.update(self.delivery.status(context.account, key))
        return out

    # -- selectors ---------------------------------------------------------------------------------

    def put_event_selectors(self, context: RequestContext, params: dict) -> dict:
        key, trail = self._find(context, params["TrailName"], home=True)
        basic, advanced = params.get("EventSelectors"), params.get("AdvancedEventSelectors")
        rules.validate_selectors(basic, advanced)
        if basic is not None:
            trail["EventSelectors"] = [
                {
                    "ReadWriteType": s.get("ReadWriteType", "All"),
                    "IncludeManagementEvents": s.get("IncludeManagementEvents", True),
                    "DataResources": s.get("DataResources") or [],
                    "ExcludeManagementEventSources": s.get("ExcludeManagementEventSources") or [],
                }
                for s in basic
            ]
            trail.pop("AdvancedEventSelectors", None)
        else:
            trail["AdvancedEventSelectors"] = advanced
            trail.pop("EventSelectors", None)
        self._save(context.account, key, trail)
        self.refresh_data_selection()
        out = {"TrailARN": trail["TrailARN"]}
        if basic is not None:
            out["EventSelectors"] = trail["EventSelectors"]
        else:
            out["AdvancedEventSelectors"] = advanced
        return out

    def get_event_selectors(self, context: RequestContext, params: dict) -> dict:
        _key, trail = self._find(context, params["TrailName"])
        out = {"TrailARN": trail["TrailARN"]}
        if trail.get("AdvancedEventSelectors"):
            out["AdvancedEventSelectors"] = trail["AdvancedEventSelectors"]
        else:
            out["EventSelectors"] = trail.get("EventSelectors") or rules.DEFAULT_SELECTORS
        return out

    def put_insight_selectors(self, context: RequestContext, params: dict) -> dict:
        if not params.get("TrailName"):
            raise rules.error("InvalidParameterCombinationException", "You must specify a TrailName.")
        key, trail = self._find(context, params["TrailName"], home=True)
        selectors = params.get("InsightSelectors") or []
        for selector in selectors:
            if selector.get("InsightType") not in _INSIGHT_TYPES:
                raise rules.error(
                    "InvalidInsightSelectorsException",
                    "The InsightType must be ApiCallRateInsight or ApiErrorRateInsight.",
                )
        if len({s["InsightType"] for s in selectors}) != len(selectors):
            raise rules.error(
                "InvalidInsightSelectorsException", "Duplicate InsightType values are not allowed."
            )
        trail["InsightSelectors"] = [{"InsightType": s["InsightType"]} for s in selectors]
        self._save(context.account, key, trail)
        return {"TrailARN": trail["TrailARN"], "InsightSelectors": trail["InsightSelectors"]}

    def get_insight_selectors(self, context: RequestContext, params: dict) -> dict:
        if not params.get("TrailName"):
            raise rules.error("InvalidParameterCombinationException", "You must specify a TrailName.")
        _key, trail = self._find(context, params["TrailName"])
        if not trail.get("InsightSelectors"):
            raise rules.error(
                "InsightNotEnabledException", f"Trail {trail['Name']} does not have Insights enabled."
            )
        return {"TrailARN": trail["TrailARN"], "InsightSelectors": trail["InsightSelectors"]}

    # -- tags -----------------------------------------------------------------------------------------

    def _tagged(self, context: RequestContext, resource_id: str) -> tuple[dict, Callable[[], None]]:
        """The trail, event data store, channel or dashboard an ARN names, and how to save it."""
        resource_id = resource_id or ""
        kinds: tuple[tuple[re.Pattern, Callable[[], tuple[Any, dict]]], ...] = (
            (STORE_ARN, lambda: (self.data_stores, self.lake_store(context, resource_id))),
            (CHANNEL_ARN, lambda: (self.channels, self._channel(context, resource_id))),
            (DASHBOARD_ARN, lambda: (self.dashboards, self._dashboard(context, resource_id))),
        )
        for pattern, find in kinds:
            if pattern.fullmatch(resource_id):
                try:
                    table, found = find()
                except ServiceError:
                    raise rules.error(
                        "ResourceNotFoundException", f"Resource not found: {resource_id}"
                    ) from None
                key = found.get("Id") or found["Name"]
                scope = store_scope(context.account, context.region)
                return found, partial(table.put, scope, key, found)
        match = rules.TRAIL_ARN.fullmatch(resource_id)
        if match is None:
            raise rules.error(
                "CloudTrailARNInvalidException",
                f"Invalid trail ARN: {resource_id}. ARN must be in the format arn:aws:cloudtrail:<region>:<account>:trail/<name>.",
            )
        region, account, name = match.groups()
        trail = self.trails.get(context.account, f"{region}/{name}") if account == context.account else None
        if trail is None:
            raise rules.error("ResourceNotFoundException", f"Resource not found: {resource_id}")
        return trail, lambda: self._save(context.account, f"{region}/{name}", trail)

    @staticmethod
    def _check_tags(tags: list, existing: int) -> None:
        for tag in tags:
            check_tag(tag.get("Key") or "", tag.get("Value"), TAG_RULES)
        if existing + len(tags) > TAG_RULES.max_tags:
            raise TAG_RULES.refuse(TagProblem.TOO_MANY, "")

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        resource, save = self._tagged(context, params["ResourceId"])
        tags = params.get("TagsList") or []
        new_keys = {t.get("Key") for t in tags} - set(resource["Tags"])
        self._check_tags(tags, len(resource["Tags"]) + len(new_keys) - len(tags))
        for tag in tags:
            resource["Tags"][tag["Key"]] = tag.get("Value")
        with self.store.transaction():
            save()
        return {}

    def remove_tags(self, context: RequestContext, params: dict) -> dict:
        resource, save = self._tagged(context, params["ResourceId"])
        for tag in params.get("TagsList") or []:
            if tag.get("Key") in resource["Tags"] and tag.get("Value") in (
                None,
                resource["Tags"][tag["Key"]],
            ):
                del resource["Tags"][tag["Key"]]
        with self.store.transaction():
            save()
        return {}

    def list_tags(self, context: RequestContext, params: dict) -> dict:
        out = []
        for resource_id in params.get("ResourceIdList") or []:
            resource, _save = self._tagged(context, resource_id)
            out.append(
                {
                    "ResourceId": resource_id,
                    "TagsList": [
                        {"Key": k, "Value": v} if v is not None else {"Key": k}
                        for k, v in resource["Tags"].items()
                    ],
                }
            )
        return {"ResourceTagList": out}

    def list_public_keys(self, context: RequestContext, params: dict) -> dict:
        return {
            "PublicKeyList": self.delivery.public_keys(
                context.account, context.region, params.get("StartTime"), params.get("EndTime")
            )
        }

    # -- events ------------------------------------------------------------------------------------------

    def lookup_events(self, context: RequestContext, params: dict) -> dict:
        attributes = params.get("LookupAttributes") or []
        if len(attributes) > 1:
            raise rules.error(
                "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute."
            )
        limit = params.get("MaxResults", 50)
        if not 1 <= limit <= 50:
            raise rules.error("InvalidMaxResultsException", "Value for MaxResults must be between 1 and 50.")
        category = params.get("EventCategory")
        if category is not None and category != "insight":
            raise rules.error("InvalidEventCategoryException", "The EventCategory value is not valid.")
        now_us = time.time_ns() // 1000
        end_us = _us(params["EndTime"]) if params.get("EndTime") else now_us
        start_us = _us(params["StartTime"]) if params.get("StartTime") else now_us - 90 * 86_400_000_000
        if start_us > end_us:
            raise rules.error("InvalidTimeRangeException", "Start time must be before end time.")
        attribute = None
        if attributes:
            key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
            if key not in _ATTRIBUTE_TESTS or value is None:
                raise rules.error(
                    "InvalidLookupAttributesException", f"The lookup attribute {key} is not valid."
                )
            attribute = (key, value)
        query = hashlib.sha256(
            repr(
                (
                    attribute,
                    start_us if params.get("StartTime") else None,
                    end_us if params.get("EndTime") else None,
                    category,
                )
            ).encode()
        ).hexdigest()[:16]
        after = None
        if params.get("NextToken"):
            try:
                token = decode_token(self.store, "LookupEvents", params["NextToken"], bind=query)
            except ValueError:
                raise _bad_token() from None
            if (
                not isinstance(token, dict)
                or not isinstance(token.get("k"), str)
                or not isinstance(token.get("i"), int)
                or not isinstance(token.get("t"), int)
            ):
                raise _bad_token()
            after = (token["k"], token["i"])
            end_us = min(end_us, token["t"])
        if category == "insight":
            return {"Events": []}  # Insights events come from anomaly detection Overcast does not run
        self.recorder.flush()
        scope = store_scope(context.account, context.region)
        summary_attribute = None
        test = None
        if attribute is not None:
            test = partial(_ATTRIBUTE_TESTS[attribute[0]], v=attribute[1])
            if attribute[0] == "EventId":
                ms = event_id_ms(attribute[1])
                if ms is None:
                    return {"Events": []}
                start_us, end_us = max(start_us, ms * 1000), min(end_us, ms * 1000 + 999)
            else:
                summary_attribute = attribute
        found: list[Record] = []
        position = None
        more = False
        for chunk, index, record in self.recorder.records(
            scope, start_us, end_us, attribute=summary_attribute, after=after
        ):
            if test is not None and not test(record):
                continue
            if len(found) == limit:
                more = True
                break
            found.append(record)
            position = (chunk, index)
        out: dict[str, Any] = {"Events": [record.lookup_entry() for record in found]}
        if more and position is not None:
            # The page's upper time bound is kept so that later events never shift the pages.
            token_end = end_us if after is not None else now_us if not params.get("EndTime") else end_us
            position_end = {"k": position[0], "i": position[1], "t": token_end}
            out["NextToken"] = encode_token(self.store, "LookupEvents", position_end, bind=query)
        return out

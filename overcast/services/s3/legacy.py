"""The legacy forms of two bucket configurations, which S3 still answers: PutBucketLifecycle /
GetBucketLifecycle (one Transition per rule, a Prefix instead of a Filter) and
PutBucketNotification / GetBucketNotification (one configuration of each kind, named Topic,
Queue and CloudFunction). Both read and write the very configuration the current operations
keep: a configuration written in one form is read in the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.services.s3.configstore import s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

#: Members a legacy lifecycle rule shares with the current one, unchanged.
_SHARED_RULE_MEMBERS = (
    "ID",
    "Status",
    "Expiration",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
)
#: legacy singular member → current list member.
_LISTED_RULE_MEMBERS = {
    "Transition": "Transitions",
    "NoncurrentVersionTransition": "NoncurrentVersionTransitions",
}
#: legacy notification member → (current list member, legacy ARN member, current ARN member)
_NOTIFICATION_KINDS = {
    "TopicConfiguration": ("TopicConfigurations", "Topic", "TopicArn"),
    "QueueConfiguration": ("QueueConfigurations", "Queue", "QueueArn"),
    "CloudFunctionConfiguration": ("LambdaFunctionConfigurations", "CloudFunction", "LambdaFunctionArn"),
}


def _current_rule(rule: dict) -> dict:
    current = {name: rule[name] for name in _SHARED_RULE_MEMBERS if rule.get(name) is not None}
    current["Prefix"] = rule.get("Prefix") or ""
    for legacy, listed in _LISTED_RULE_MEMBERS.items():
        if rule.get(legacy) is not None:
            current[listed] = [rule[legacy]]
    return current


def _legacy_rule(rule: dict) -> dict:
    flt = rule.get("Filter")
    if flt is not None and any(flt.get(name) is not None for name in flt if name != "Prefix"):
        # A tag or size filter has no legacy form.
        raise s3_error(
            "InvalidRequest",
            "The lifecycle configuration uses filters the deprecated GetBucketLifecycle cannot express; "
            "use GetBucketLifecycleConfiguration",
        )
    legacy = {name: rule[name] for name in _SHARED_RULE_MEMBERS if rule.get(name) is not None}
    legacy["Prefix"] = (flt or {}).get("Prefix") or rule.get("Prefix") or ""
    for singular, listed in _LISTED_RULE_MEMBERS.items():
        entries = rule.get(listed) or []
        if len(entries) > 1:
            raise s3_error(
                "InvalidRequest",
                f"The lifecycle configuration has rules with more than one {singular} the deprecated "
                "GetBucketLifecycle cannot express; use GetBucketLifecycleConfiguration",
            )
        if entries:
            legacy[singular] = entries[0]
    return legacy


class LegacyConfigurationOperations:
    def put_bucket_lifecycle(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rules = (params.get("LifecycleConfiguration") or {}).get("Rules") or []
        current = {
            key: value
            for key, value in params.items()
            if key not in ("LifecycleConfiguration", "ChecksumAlgorithm")
        }
        current["LifecycleConfiguration"] = {"Rules": [_current_rule(rule) for rule in rules]}
        self.put_bucket_lifecycle_configuration(context, current)
        return {}

    def get_bucket_lifecycle(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stored = self.get_bucket_lifecycle_configuration(context, params)
        return {"Rules": [_legacy_rule(rule) for rule in stored["Rules"]]}

    async def put_bucket_notification(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        given = params.get("NotificationConfiguration") or {}
        configuration: dict = {}
        for legacy, (listed, legacy_arn, arn) in _NOTIFICATION_KINDS.items():
            entry = given.get(legacy)
            if entry is None:
                continue
            events = list(entry.get("Events") or [])
            if entry.get("Event") and entry["Event"] not in events:
                events.append(entry["Event"])
            converted = {"Events": events, arn: entry.get(legacy_arn) or ""}
            if entry.get("Id"):
                converted["Id"] = entry["Id"]
            configuration[listed] = [converted]
        current = {key: value for key, value in params.items() if key != "NotificationConfiguration"}
        current["NotificationConfiguration"] = configuration
        await self.put_bucket_notification_configuration(context, current)
        return {}

    def get_bucket_notification(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stored = self.get_bucket_notification_configuration(context, params)
        output = {}
        for legacy, (listed, legacy_arn, arn) in _NOTIFICATION_KINDS.items():
            entries = stored.get(listed) or []
            if entries:
                # The legacy document holds one configuration of each kind: the first.
                entry = entries[0]
                output[legacy] = {"Id": entry["Id"], "Events": entry["Events"], legacy_arn: entry[arn]}
        return output

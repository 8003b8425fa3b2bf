"""Destinations: a named, policy-guarded handle on a Kinesis stream (or Firehose) that other
accounts' subscription filters deliver to.

Tables (scope = account/region):
  destinations   name → destination record (with its tags)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from overcast.common import jsontext
from overcast.common.arns import build_arn, parse_arn
from overcast.common.pagination import paginate_keys
from overcast.common.tagging import TagProblem, TagRules, add_tags, refusals, remove_tags
from overcast.context import RequestContext
from overcast.store import scope as store_scope

from .shared import bad_token, invalid, not_found, now_ms

if TYPE_CHECKING:
    from overcast.store import Table

    from .provider import Provider

#: The services a destination may forward to, as AWS documents.
_TARGET_SERVICES = frozenset({"kinesis", "firehose"})
_TAGS = TagRules(
    refuse=refusals(
        "InvalidParameterException",
        {TagProblem.TOO_MANY: ("TooManyTagsException", "A resource can have no more than 50 tags.")},
    )
)


def _check_arn(value: str, member: str, services: frozenset[str]) -> None:
    arn = parse_arn(value)
    if arn is None or arn.service not in services:
        raise invalid(f"Invalid {member}: {value}")


class Destinations:
    @property
    def destinations(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "destinations")

    def _destination(self: Provider, scope: str, name: str) -> dict:  # type: ignore[misc]
        record = self.destinations.get(scope, name)
        if record is None:
            raise not_found("The specified destination does not exist.")
        return record

    def destination_by_arn(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict]:  # type: ignore[misc]
        """The scope and record of the destination an ARN names (for the tag operations)."""
        scope = self._scope(context)
        return scope, self._destination(scope, arn.split(":destination:", 1)[1])

    def set_destination_tags(  # type: ignore[misc]
        self: Provider, scope: str, record: dict, add: dict | None = None, remove: list | None = None
    ) -> None:
        record["tags"] = remove_tags(add_tags(record.get("tags"), add, _TAGS), remove)
        self.destinations.put(scope, record["destinationName"], record)

    def resource_policy(self: Provider, arn: str) -> str | None:  # type: ignore[misc]
        """A destination's access policy, for IAM's checks (another account's subscription
        filter may deliver to it only where the policy allows logs:PutSubscriptionFilter)."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "logs" or not parsed.resource.startswith("destination:"):
            return None
        record = self.destinations.get(store_scope(parsed.account, parsed.region), parsed.resource[12:])
        return None if record is None else record.get("accessPolicy")

    def authorize_destination(self: Provider, context: RequestContext, arn: str) -> None:  # type: ignore[misc]
        """Under --enforce-iam, a subscription filter delivering to another account's destination
        needs that destination's access policy to allow the caller (and the caller's own
        policies to allow the action on it): AWS's cross-account evaluation."""
        if not self.runtime.config.enforce_iam or context.extra.get("internal"):
            return
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "logs" or parsed.account == context.account:
            return
        self.runtime.provider("iam").authorize(context, None, [("logs:PutSubscriptionFilter", arn)])

    @staticmethod
    def _destination_shape(record: dict) -> dict:
        return {k: v for k, v in record.items() if k != "tags"}

    def put_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["destinationName"]
        _check_arn(params["targetArn"], "targetArn", _TARGET_SERVICES)
        _check_arn(params["roleArn"], "roleArn", frozenset({"iam"}))
        scope = self._scope(context)
        record = self.destinations.get(scope, name) or {
            "destinationName": name,
            "arn": build_arn("logs", context.region, context.account, f"destination:{name}"),
            "creationTime": now_ms(),
            "tags": {},
        }
        record["targetArn"] = params["targetArn"]
        record["roleArn"] = params["roleArn"]
        # Tags are given only when the destination is created; a later put keeps them.
        if params.get("tags") and not record.get("tags"):
            record["tags"] = add_tags({}, params["tags"], _TAGS)
        self.destinations.put(scope, name, record)
        return {"destination": self._destination_shape(record)}

    def put_destination_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        record = self._destination(scope, params["destinationName"])
        try:
            jsontext.loads(params["accessPolicy"])
        except ValueError:
            raise invalid("Access policy is not a valid JSON document.") from None
        record["accessPolicy"] = params["accessPolicy"]
        self.destinations.put(scope, record["destinationName"], record)
        return {}

    def describe_destinations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        prefix = params.get("DestinationNamePrefix") or ""

        def after(key: str | None) -> Iterator[tuple[str, dict]]:
            return self.destinations.scan(scope, prefix=prefix, start_after=key)

        return paginate_keys(
            self.store, "logs", "DescribeDestinations", params, after, bad_token=bad_token,
            default_limit=50, render=lambda _, record: self._destination_shape(record), bind=prefix,
        )  # fmt: skip

    def delete_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        if not self.destinations.delete(scope, params["destinationName"]):
            raise not_found("The specified destination does not exist.")
        return {}

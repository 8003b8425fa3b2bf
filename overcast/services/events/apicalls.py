"""EventBridge's "AWS API Call via CloudTrail" events: every AWS call CloudTrail records as a
management event goes to the default bus of its account and region as an event of source
`aws.<service>` whose detail is the CloudTrail event. Read-only calls reach only rules in the
state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, as on AWS.

This costs a request nothing while no default bus has a rule of a user's (not an archive's)
that could match an `aws.*` source: the observer looks the caller's scope up in `_api_call_scopes` (kept up to date as
rules change) and returns; only a call a rule may want is rendered and routed, after the
response, on the event loop."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.events.provider import Provider

#: A scope whose default bus has a rule on no fixed source: every aws.* source may match.
ANY_SOURCE = "*"
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


class ApiCallsMixin:
    def refresh_api_call_scope(self: Provider, scope: str) -> None:  # type: ignore[misc]
        """Recompute which aws.* sources the scope's default bus has rules for."""
        index = self.rule_index(scope, "default")
        sources = {
            source
            for source, entries in index.by_source.items()
            if source.startswith("aws.") and any(not rule.get("ManagedBy") for rule, _ in entries)
        }
        # An archive's own rule takes any event but asks for none: only users' rules do.
        if any(not rule.get("ManagedBy") for rule, _ in index.anywhere):
            sources.add(ANY_SOURCE)
        if sources:
            self._api_call_scopes[scope] = frozenset(sources)
        else:
            self._api_call_scopes.pop(scope, None)

    def refresh_api_call_scopes(self: Provider) -> None:  # type: ignore[misc]
        self._api_call_scopes.clear()
        for scope in self.rules.scopes():
            self.refresh_api_call_scope(scope)

    def observe_any_request(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        params: dict[str, Any] | None,
        output: dict[str, Any] | None,
        error: Exception | None,
    ) -> None:
        if not self._api_call_scopes or context.extra.get("internal"):
            return
        scope = store_scope(context.account, context.region)
        sources = self._api_call_scopes.get(scope)
        if sources is None:
            return
        model = context.service_model
        prefix = model.endpoint_prefix if model is not None else context.service
        if (
            ANY_SOURCE not in sources
            and f"aws.{prefix}" not in sources
            and f"aws.{context.service}" not in sources
        ):
            return
        if not self.runtime.serves("cloudtrail"):
            return
        detail = self.runtime.provider("cloudtrail").api_call_event(context, params, output, error)
        if detail is None:
            return
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws." + str(detail["eventSource"]).split(".", 1)[0],
            "account": context.account,
            "time": str(detail["eventTime"]),
            "region": context.region,
            "resources": [],
            "detail": detail,
        }
        read_only = bool(detail.get("readOnly"))
        self.runtime.spawn(self._route_api_call(scope, event, read_only), name="events api call")

    async def _route_api_call(self: Provider, scope: str, event: dict, read_only: bool) -> None:  # type: ignore[misc]
        with self.store.transaction():
            self.route(scope, "default", event, only_states=(ALL_MANAGEMENT_EVENTS,) if read_only else None)

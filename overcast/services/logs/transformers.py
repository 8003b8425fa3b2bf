"""Log transformers on groups: stored, tested, and applied to the events PutLogEvents ingests.

Tables (scope = account/region):
  transformers   group → {transformerConfig, creationTime, lastModifiedTime}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from overcast.context import RequestContext

from .policies import selects
from .shared import SEP, group_name_of, invalid, not_found, now_ms
from .transform import ConfigError, check_config, transform

if TYPE_CHECKING:
    from overcast.store import Table

    from .provider import Provider


def _checked(config: list[dict]) -> list[dict]:
    try:
        check_config(config)
    except ConfigError as error:
        raise invalid(str(error)) from None
    return config


class Transformers:
    @property
    def transformers(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "transformers")

    def transformer_for(self: Provider, scope: str, group: str) -> list[dict] | None:  # type: ignore[misc]
        """The processors applied to a group's events: its own transformer, else an account
        transformer policy that selects it."""
        own = self.transformers.get(scope, group)
        if own is not None:
            return own["transformerConfig"]
        for _, policy in self.account_policies.scan(scope, prefix="TRANSFORMER_POLICY" + SEP):
            if selects(policy.get("selectionCriteria"), group):
                try:
                    config = json.loads(policy["policyDocument"]).get("transformerConfig")
                except (ValueError, AttributeError):
                    continue
                if isinstance(config, list):
                    return config
        return None

    def transform_events(self: Provider, scope: str, group: str, events: Sequence) -> list:  # type: ignore[misc]
        """Events as a group's transformer leaves them (an event it cannot transform stays), then
        masked by its data protection policy: (timestamp, message[, unmasked original])."""
        return self.apply_ingestion_rules(self.ingestion_rules(scope, group), events)

    def ingestion_rules(self: Provider, scope: str, group: str) -> tuple:  # type: ignore[misc]
        """(transformer processors, masker) of a group, for apply_ingestion_rules: looked up once
        for a batch of events bound for several of its streams."""
        return self.transformer_for(scope, group), self.masker_for(scope, group)

    def apply_ingestion_rules(self: Provider, rules: tuple, events: Sequence) -> list:  # type: ignore[misc]
        config, mask = rules
        if config:
            events = [(stamp, transform(config, message) or message) for stamp, message, *_ in events]
        if mask is None:
            return list(events)
        # Masked as ingested; the original stays for readers that ask to unmask.
        out = []
        for stamp, message, *_ in events:
            masked = mask(message)
            out.append((stamp, masked) if masked == message else (stamp, masked, message))
        return out

    def put_transformer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        group = self._group(scope, group_name_of(params["logGroupIdentifier"]))
        config = _checked(params["transformerConfig"])
        name = group["logGroupName"]
        existing = self.transformers.get(scope, name)
        now = now_ms()
        self.transformers.put(
            scope,
            name,
            {
                "transformerConfig": config,
                "creationTime": existing["creationTime"] if existing else now,
                "lastModifiedTime": now,
            },
        )
        return {}

    def get_transformer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        identifier = params["logGroupIdentifier"]
        group = self._group(scope, group_name_of(identifier))
        record = self.transformers.get(scope, group["logGroupName"])
        if record is None:
            raise not_found("Transformer does not exist for the log group.")
        return {"logGroupIdentifier": identifier, **record}

    def delete_transformer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        group = self._group(scope, group_name_of(params["logGroupIdentifier"]))
        if not self.transformers.delete(scope, group["logGroupName"]):
            raise not_found("Transformer does not exist for the log group.")
        return {}

    def test_transformer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = _checked(params["transformerConfig"])
        out = []
        for number, message in enumerate(params["logEventMessages"], 1):
            entry = {"eventNumber": number, "eventMessage": message}
            transformed = transform(config, message)
            if transformed is not None:
                entry["transformedEventMessage"] = transformed
            out.append(entry)
        return {"transformedLogs": out}

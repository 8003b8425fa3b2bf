"""X-Ray's account settings: the encryption configuration (keys checked through KMS), the
trace segment destination, indexing rules, resource policies, and the tags of groups and
sampling rules."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext, tagging
from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.xray.sampling import invalid
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.xray.provider import Provider

MAX_POLICIES = 5
MAX_POLICY_BYTES = 5120


class AccountMixin:
    # -- account settings -----------------------------------------------------------------------

    def get_encryption_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = self.settings.get(self.scope_of(context), "encryption") or {
            "Type": "NONE",
            "Status": "ACTIVE",
        }
        return {"EncryptionConfig": config}

    def put_encryption_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        kind = params["Type"]
        config: dict[str, Any] = {"Type": kind, "Status": "ACTIVE"}
        if kind == "KMS":
            key_id = params.get("KeyId")
            if not key_id:
                raise invalid("KeyId is required when Type is KMS.")
            try:
                config["KeyId"] = self.runtime.provider("kms").key_arn_for(
                    context.account, context.region, key_id
                )
            except ServiceError as error:
                raise invalid(f"Invalid KMS key: {error.message}") from None
        elif params.get("KeyId"):
            raise invalid("KeyId must not be given when Type is NONE.")
        with self.store.transaction():
            self.settings.put(self.scope_of(context), "encryption", config)
        return {"EncryptionConfig": config}

    def get_trace_segment_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.settings.get(self.scope_of(context), "destination") or {
            "Destination": "XRay",
            "Status": "ACTIVE",
        }

    def update_trace_segment_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        destination = {"Destination": params.get("Destination", "XRay"), "Status": "ACTIVE"}
        with self.store.transaction():
            self.settings.put(self.scope_of(context), "destination", destination)
        return destination

    def _indexing_rules(self: Provider, context: RequestContext) -> dict[str, Any]:  # type: ignore[misc]
        return self.settings.get(self.scope_of(context), "indexing") or {
            "Default": {
                "Name": "Default",
                "ModifiedAt": 0.0,
                "Rule": {"Probabilistic": {"DesiredSamplingPercentage": 1.0}},
            }
        }

    def get_indexing_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"IndexingRules": list(self._indexing_rules(context).values())}

    def update_indexing_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            rules = self._indexing_rules(context)
            if params["Name"] not in rules:
                raise ServiceError(
                    "ResourceNotFoundException", f"Indexing rule {params['Name']} not found", 404
                )
            percentage = params["Rule"].get("Probabilistic", {}).get("DesiredSamplingPercentage")
            if percentage is None or not 0 <= percentage <= 100:
                raise invalid("DesiredSamplingPercentage must be between 0 and 100.")
            rules[params["Name"]] = {
                "Name": params["Name"],
                "ModifiedAt": time.time(),
                "Rule": {"Probabilistic": {"DesiredSamplingPercentage": percentage}},
            }
            self.settings.put(self.scope_of(context), "indexing", rules)
        return {"IndexingRule": rules[params["Name"]]}

    # -- resource policies ----------------------------------------------------------------------

    def put_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, document = params["PolicyName"], params["PolicyDocument"]
        try:
            parsed = jsontext.loads(document)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or "Statement" not in parsed:
            raise ServiceError("MalformedPolicyDocumentException", "Invalid policy document", 400)
        if len(document.encode()) > MAX_POLICY_BYTES:
            raise ServiceError("PolicySizeLimitExceededException", "Policy document exceeds 5 KB", 400)
        scope = self.scope_of(context)
        with self.store.transaction():
            old = self.policies.get(scope, name)
            given = params.get("PolicyRevisionId")
            if (old is None and given is not None) or (
                old is not None and given is not None and given != old["PolicyRevisionId"]
            ):
                raise ServiceError("InvalidPolicyRevisionIdException", "Invalid policy revision id", 400)
            if old is None and sum(1 for _ in self.policies.scan(scope)) >= MAX_POLICIES:
                raise ServiceError(
                    "PolicyCountLimitExceededException",
                    "Exceeded the maximum number of resource policies",
                    400,
                )
            policy = {
                "PolicyName": name,
                "PolicyDocument": document,
                "PolicyRevisionId": str(int(old["PolicyRevisionId"]) + 1) if old else "1",
                "LastUpdatedTime": time.time(),
            }
            self.policies.put(scope, name, policy)
        return {"ResourcePolicy": policy}

    def delete_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            old = self.policies.get(scope, params["PolicyName"])
            given = params.get("PolicyRevisionId")
            if old is not None and given is not None and given != old["PolicyRevisionId"]:
                raise ServiceError("InvalidPolicyRevisionIdException", "Invalid policy revision id", 400)
            # Deleting a policy that does not exist succeeds, as on X-Ray.
            self.policies.delete(scope, params["PolicyName"])
        return {}

    def list_resource_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = [row for _, row in self.policies.scan(self.scope_of(context))]
        return self.page(context, "ListResourcePolicies", params, rows)

    # -- tags -----------------------------------------------------------------------------------

    def _tagged(self: Provider, context: RequestContext, arn: str) -> tuple[Any, str, dict[str, Any]]:  # type: ignore[misc]
        """(table, key, row) of the group or sampling rule `arn` names."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "xray":
            raise invalid(f"Invalid ARN: {arn}")
        kind, _, rest = parsed.resource.partition("/")
        name = rest.split("/")[0]
        scope = store_scope(parsed.account, parsed.region)
        table = {"group": self.groups, "sampling-rule": self.rules}.get(kind)
        row = table.get(scope, name) if table is not None and name else None
        if row is None or row.get("GroupARN", row.get("SamplingRule", {}).get("RuleARN")) != arn:
            raise ServiceError("ResourceNotFoundException", f"Resource {arn} not found", 404)
        return table, name, row

    def tag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            table, name, row = self._tagged(context, params["ResourceARN"])
            tags = tagging.add_tags(row.get("Tags") or {}, params["Tags"], self.tag_rules)
            table.put(self.scope_of(context), name, {**row, "Tags": tags})
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            table, name, row = self._tagged(context, params["ResourceARN"])
            tags = tagging.remove_tags(row.get("Tags") or {}, params["TagKeys"])
            table.put(self.scope_of(context), name, {**row, "Tags": tags})
        return {}

    def list_tags_for_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _table, _name, row = self._tagged(context, params["ResourceARN"])
        return self.page(context, "ListTagsForResource", params, tagging.tag_list(row.get("Tags")))

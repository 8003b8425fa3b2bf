"""Put/Get/DeleteResourcePolicy: a function's (or version's, or alias's) whole resource-based
policy at once. It is the same policy AddPermission and RemovePermission edit statement by
statement (the `policies` table of settings.py), so both views always agree."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from overcast import policy
from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.errors import ServiceError

from .names import invalid, not_found

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

SEP = "\x01"


class ResourcePoliciesMixin:
    def _resource_policy_target(self: Provider, context: RequestContext, arn: str) -> tuple[str, str]:  # type: ignore[misc]
        """(scope, policies key) of the function, version or alias an ARN names."""
        parts = arn.split(":")
        if len(parts) < 7 or parts[5] != "function":
            # Runtime ARNs name AWS's own resources, which carry no policy of the caller's.
            raise not_found(f"The resource you requested does not exist. Resource: {arn}")
        scope, name, qualifier, _ = self._policy_target(context, {"FunctionName": arn})
        return scope, name + SEP + qualifier

    def put_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key = self._resource_policy_target(context, params["ResourceArn"])
        current = self.policies.get(scope, key)
        revision = params.get("RevisionId")
        if revision is not None and revision != (current or {}).get("RevisionId"):
            raise ServiceError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetResourcePolicy API "
                "to retrieve the latest Revision Id",
                412,
                Type="User",
            )
        try:
            policy.parse(params["Policy"], policy.RESOURCE)
        except policy.MalformedPolicy as error:
            raise invalid(f"The policy is not valid: {error}") from None
        document = jsontext.loads(params["Policy"])
        if not isinstance(document.get("Statement"), list):
            document["Statement"] = [document["Statement"]]
        document["RevisionId"] = str(uuid.uuid4())
        self.policies.put(scope, key, document)
        return {"Policy": params["Policy"], "RevisionId": document["RevisionId"]}

    def get_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key = self._resource_policy_target(context, params["ResourceArn"])
        stored = self.policies.get(scope, key)
        if stored is None:
            raise not_found("The resource you requested does not exist.")
        document = {k: v for k, v in stored.items() if k != "RevisionId"}
        return {"Policy": json.dumps(document), "RevisionId": stored["RevisionId"]}

    def delete_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, key = self._resource_policy_target(context, params["ResourceArn"])
        stored = self.policies.get(scope, key)
        if stored is None:
            raise not_found("The resource you requested does not exist.")
        revision = params.get("RevisionId")
        if revision is not None and revision != stored.get("RevisionId"):
            raise ServiceError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetResourcePolicy API "
                "to retrieve the latest Revision Id",
                412,
                Type="User",
            )
        self.policies.delete(scope, key)
        return {}

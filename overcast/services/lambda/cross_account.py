"""Reaching a function of another account: by its ARN, and only where the function's resource-
based policy (AddPermission / PutResourcePolicy) allows the caller the action, as AWS decides it.
Without such a statement the caller is refused in AWS's words."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from overcast import policy
from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider


#: The IAM action of an operation, where it is not "lambda:" + the operation's name.
ACTIONS = {
    "Invoke": "lambda:InvokeFunction",
    "InvokeWithResponseStream": "lambda:InvokeFunction",
    "ListTags": "lambda:ListTags",
}


class CrossAccountMixin:
    def act_as_owner(self: Provider, context: RequestContext, params: dict) -> None:  # type: ignore[misc]
        """Before any function operation: a FunctionName (or tag Resource) ARN of another
        account switches the request to that account when the function's policy allows it."""
        target = params.get("FunctionName") or params.get("Resource")
        if not isinstance(target, str) or context.operation is None:
            return
        name = context.operation.name
        owner = self.as_owner(context, target, ACTIONS.get(name, f"lambda:{name}"))
        context.account = owner.account

    def as_owner(self: Provider, context: RequestContext, value: str, action: str) -> RequestContext:  # type: ignore[misc]
        """The context to act in for a FunctionName: the caller's own, or, for the ARN of a
        function in another account whose resource policy allows the caller `action`, the
        owner's. AccessDeniedException when no statement allows it."""
        parts = value.split(":")
        if not value.startswith("arn:") or len(parts) < 7 or parts[4] == context.account:
            return context
        owner = parts[4]
        principal = self._caller(context)
        document = self.resource_policy(value) or self.resource_policy(":".join(parts[:7]))
        allowed = False
        if document is not None:
            try:
                parsed = policy.parse(document, policy.RESOURCE, policy_id=value, policy_type="resource")
            except policy.MalformedPolicy:
                parsed = None
            if parsed is not None:
                request = policy.AuthorizationRequest(principal, action, value, owner, {}, context.region)
                allowed = policy.evaluate(request, [], parsed).allowed
        if not allowed:
            raise ServiceError(
                "AccessDeniedException",
                f"User: {principal.arn} is not authorized to perform: {action} on resource: {value} because no "
                f"resource-based policy allows the {action} action",
                403,
            )
        return dataclasses.replace(context, account=owner)

    def _caller(self: Provider, context: RequestContext) -> policy.Principal:  # type: ignore[misc]
        """The calling principal as IAM knows it (the account's root for plain test keys)."""
        identity = None
        if context.access_key_id:
            identity = self.runtime.provider("iam").resolve_key(context.access_key_id)
        if identity is None:
            root = f"arn:{partition(context.region)}:iam::{context.account}:root"
            return policy.Principal(root, context.account, policy.ROOT, context.account)
        return self.runtime.provider("iam").principal_for(identity, context.account, context.region)

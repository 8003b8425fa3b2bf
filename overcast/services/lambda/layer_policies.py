"""Layer version permissions: the resource-based policy that shares one layer version with
other accounts (or everyone), kept in the layer version's record ("policy")."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from overcast import policy
from overcast.context import RequestContext
from overcast.errors import ServiceError

from .names import conflict, not_found

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

SEP = "\x01"
_ACTION = "lambda:GetLayerVersion"
_PRINCIPAL = re.compile(r"^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$")


def _precondition_failed() -> ServiceError:
    return ServiceError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve "
        "the latest Revision Id",
        412,
        Type="User",
    )


class LayerPoliciesMixin:
    def layer_shared_with(self: Provider, context: RequestContext, arn: str, layer: dict) -> bool:  # type: ignore[misc]
        """Whether the caller may use a layer version: its own account's, or one whose layer
        version policy allows the caller lambda:GetLayerVersion."""
        owner = arn.split(":")[4] if arn.count(":") >= 7 else context.account
        if owner == context.account:
            return True
        document = {k: v for k, v in (layer.get("policy") or {}).items() if k != "RevisionId"}
        if not document.get("Statement"):
            return False
        try:
            parsed = policy.parse(document, policy.RESOURCE, policy_id=arn, policy_type="resource")
        except policy.MalformedPolicy:
            return False
        request = policy.AuthorizationRequest(self._caller(context), _ACTION, arn, owner, {}, context.region)
        return policy.evaluate(request, [], parsed).allowed

    def _layer_version_record(self: Provider, context: RequestContext, params: dict) -> tuple[str, dict]:  # type: ignore[misc]
        name = self._layer_name(params["LayerName"])
        number = params["VersionNumber"]
        key = f"{name}{SEP}{number:010d}"
        layer = self.layers.get(self._scope(context), key)
        if layer is None:
            raise not_found(f"Layer version {self._layer_arn(context, name, number)} does not exist.")
        return key, layer

    def add_layer_version_permission(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        action, principal = params["Action"], params["Principal"]
        if action != _ACTION:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{action}' at 'action' failed to satisfy constraint: Member "
                f"must satisfy regular expression pattern: {_ACTION}",
                400,
            )
        if not _PRINCIPAL.match(principal):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{principal}' at 'principal' failed to satisfy constraint: "
                r"Member must satisfy regular expression pattern: \d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root",
                400,
            )
        key, layer = self._layer_version_record(context, params)
        policy = layer.get("policy") or {"Version": "2012-10-17", "Id": "default", "Statement": []}
        sid = params["StatementId"]
        if any(statement["Sid"] == sid for statement in policy["Statement"]):
            raise conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement."
            )
        if params.get("RevisionId") is not None and params["RevisionId"] != policy.get("RevisionId"):
            raise _precondition_failed()
        shaped: Any = principal if principal == "*" else {"AWS": principal}
        if re.fullmatch(r"\d{12}", principal):
            shaped = {"AWS": f"arn:aws:iam::{principal}:root"}
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": shaped,
            "Action": action,
            "Resource": layer["LayerVersionArn"],
        }
        if params.get("OrganizationId"):
            statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
        policy["Statement"].append(statement)
        policy["RevisionId"] = str(uuid.uuid4())
        layer["policy"] = policy
        self.layers.put(self._scope(context), key, layer)
        return {"Statement": json.dumps(statement), "RevisionId": policy["RevisionId"]}

    def get_layer_version_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, layer = self._layer_version_record(context, params)
        policy = layer.get("policy")
        if not policy:
            raise not_found("No policy is associated with the given resource.")
        document = {k: v for k, v in policy.items() if k != "RevisionId"}
        return {"Policy": json.dumps(document), "RevisionId": policy["RevisionId"]}

    def remove_layer_version_permission(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, layer = self._layer_version_record(context, params)
        policy = layer.get("policy") or {"Statement": []}
        sid = params["StatementId"]
        if not any(statement["Sid"] == sid for statement in policy["Statement"]):
            raise not_found(f"Statement {sid} is not found in resource policy.")
        if params.get("RevisionId") is not None and params["RevisionId"] != policy.get("RevisionId"):
            raise _precondition_failed()
        policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != sid]
        policy["RevisionId"] = str(uuid.uuid4())
        if policy["Statement"]:
            layer["policy"] = policy
        else:
            layer.pop("policy", None)
        self.layers.put(self._scope(context), key, layer)
        return {}

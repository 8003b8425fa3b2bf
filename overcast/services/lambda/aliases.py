"""Lambda aliases: a name for a version, optionally splitting traffic with a second version
by weight (RoutingConfig), as canary deployments use them.

Table (scope = account/region): aliases  name SEP alias → AliasConfiguration
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING

from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError

from . import names
from .names import conflict, function_arn, function_not_found, invalid, not_found

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

SEP = "\x01"


def version_key(name: str, version: str) -> str:
    return f"{name}{SEP}{int(version):010d}"


def _check_weight_keys(routing: dict | None) -> None:
    """The model's pattern for the versions an alias routes to ([0-9]+), refused as AWS words
    it (the protocol layer leaves patterns to the services)."""
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    if all(version.isdigit() for version in weights):
        return
    shown = ", ".join(f"{version}={float(weight)!r}" for version, weight in weights.items())
    raise ServiceError(
        "ValidationException",
        f"1 validation error detected: Value '{{{shown}}}' at 'routingConfig.additionalVersionWeights' failed "
        "to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal "
        "to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression "
        "pattern: [0-9]+]",
        400,
    )


class AliasesMixin:
    def _check_routing(  # type: ignore[misc]
        self: Provider, context: RequestContext, name: str, primary: str, routing: dict | None
    ) -> dict | None:
        weights = (routing or {}).get("AdditionalVersionWeights")
        if not weights:
            return None
        if len(weights) > 1:
            raise invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
        if primary == "$LATEST":
            # AWS's answer carries no Type member here (recorded).
            raise ServiceError(
                "InvalidParameterValueException",
                "$LATEST is not supported for an alias pointing to more than 1 version",
                400,
            )
        scope = self._scope(context)
        for version, weight in weights.items():
            if not version.isdigit():
                raise invalid(
                    f"Invalid function version {version}. Function version {version} must be a numeric version."
                )
            if version == primary:
                raise invalid(
                    f"Invalid function version {version}. Function version {version} is already included "
                    "in routing configuration."
                )
            if self.versions.get(scope, version_key(name, version)) is None:
                raise not_found(
                    f"Function not found: {function_arn(context.account, context.region, name, version)}"
                )
            if not 0.0 <= weight <= 1.0:
                raise invalid("Weight must be between 0.0 and 1.0")
        return {"AdditionalVersionWeights": dict(weights)}

    def _check_version_exists(self: Provider, context: RequestContext, name: str, version: str) -> None:  # type: ignore[misc]
        if version == "$LATEST":
            return
        if (
            not version.isdigit()
            or self.versions.get(self._scope(context), version_key(name, version)) is None
        ):
            raise function_not_found(context.account, context.region, name, version)

    def create_alias(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        _check_weight_keys(params.get("RoutingConfig"))
        try:
            record, _ = self._function(context, params["FunctionName"])
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
            # A missing function is named with the version the alias was to point to.
            name, _ = names.parse_function(params["FunctionName"], None, context.account, context.region)
            raise function_not_found(
                context.account, context.region, name, params["FunctionVersion"]
            ) from None
        name = record["config"]["FunctionName"]
        alias_name = params["Name"]
        if not names.ALIAS.match(alias_name) or alias_name == "$LATEST":
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{alias_name}' at 'name' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
                400,
            )
        arn = function_arn(context.account, context.region, name, alias_name)
        if self.aliases.get(scope, name + SEP + alias_name) is not None:
            raise conflict(f"Alias already exists: {arn}")
        version = params["FunctionVersion"]
        self._check_version_exists(context, name, version)
        alias = {
            "AliasArn": arn,
            "Name": alias_name,
            "FunctionVersion": version,
            "Description": params.get("Description") or "",
            "RevisionId": str(uuid.uuid4()),
        }
        routing = self._check_routing(context, name, version, params.get("RoutingConfig"))
        if routing:
            alias["RoutingConfig"] = routing
        self.aliases.put(scope, name + SEP + alias_name, alias)
        return copy.deepcopy(alias)

    def _alias(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, missing: str = "Cannot find alias arn"
    ) -> tuple[str, str, dict]:
        scope = self._scope(context)
        record, _ = self._function(context, params["FunctionName"])
        name = record["config"]["FunctionName"]
        alias = self.aliases.get(scope, name + SEP + params["Name"])
        if alias is None:
            raise not_found(
                f"{missing}: {function_arn(context.account, context.region, name, params['Name'])}"
            )
        return scope, name, alias

    def get_alias(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return copy.deepcopy(self._alias(context, params)[2])

    def update_alias(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _check_weight_keys(params.get("RoutingConfig"))
        scope, name, alias = self._alias(context, params, missing="Alias not found")
        if params.get("RevisionId") is not None and params["RevisionId"] != alias["RevisionId"]:
            raise ServiceError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
                "to retrieve the latest Revision Id",
                412,
                Type="User",
            )
        if params.get("FunctionVersion"):
            self._check_version_exists(context, name, params["FunctionVersion"])
            alias["FunctionVersion"] = params["FunctionVersion"]
        if params.get("Description") is not None:
            alias["Description"] = params["Description"]
        if "RoutingConfig" in params:
            routing = self._check_routing(context, name, alias["FunctionVersion"], params["RoutingConfig"])
            if routing:
                alias["RoutingConfig"] = routing
            else:
                alias.pop("RoutingConfig", None)
        elif alias.get("RoutingConfig"):
            self._check_routing(context, name, alias["FunctionVersion"], alias["RoutingConfig"])
        alias["RevisionId"] = str(uuid.uuid4())
        self.aliases.put(scope, name + SEP + params["Name"], alias)
        return copy.deepcopy(alias)

    def delete_alias(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        record, _ = self._function(context, params["FunctionName"])
        name = record["config"]["FunctionName"]
        self.aliases.delete(scope, name + SEP + params["Name"])
        self.delete_qualifier_settings(scope, name, params["Name"])
        return {}

    def list_aliases(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        record, _ = self._function(context, params["FunctionName"])
        name = record["config"]["FunctionName"]
        version = params.get("FunctionVersion")
        items = [
            copy.deepcopy(a)
            for _, a in self.aliases.scan(scope, prefix=name + SEP)
            if version is None or a["FunctionVersion"] == version
        ]
        return paginate_list(
            self.store, "lambda", "ListAliases", params, items,
            bad_token=names.bad_marker, default_limit=50, bind=f"{name}{SEP}{version or ''}",
        )  # fmt: skip

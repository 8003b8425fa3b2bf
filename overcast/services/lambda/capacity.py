"""Capacity providers (Lambda Managed Instances): the fleets function versions run on when their
configuration names one. Overcast runs every function in its own local processes, so a
capacity provider is a faithful control plane: stored and validated, Pending until it is set up
(at once: there are no instances to launch), Active, and Deleting on its way out.

Tables (scope = account/region):
  capacity_providers  name → {"provider": CapacityProvider, "tags": {...}}
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from overcast.common.arns import build_arn
from overcast.common.pagination import paginate_keys, paginate_list
from overcast.common.tagging import tag_map
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from .names import TAG_RULES, bad_marker, conflict, invalid

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

SEP = "\x01"
#: Capacity providers an account may have in a region (Lambda's documented quota).
MAX_PROVIDERS = 1000


def capacity_provider_not_found(arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Capacity provider not found: {arn}", 404, Type="User")


def capacity_provider_arn_of(config: dict) -> str | None:
    """The capacity provider a function configuration runs on, if any."""
    managed = (config.get("CapacityProviderConfig") or {}).get("LambdaManagedInstancesCapacityProviderConfig")
    return (managed or {}).get("CapacityProviderArn")


class CapacityMixin:
    def start_capacity(self: Provider) -> None:  # type: ignore[misc]
        self.capacity_providers = self.store.table("lambda", "capacity_providers")

    def _capacity_name(self: Provider, context: RequestContext, value: str) -> tuple[str, str]:  # type: ignore[misc]
        """(name, ARN) from a CapacityProviderName parameter: a name or an ARN."""
        name = value.rsplit(":", 1)[-1] if value.startswith("arn:") else value
        return name, build_arn("lambda", context.region, context.account, f"capacity-provider:{name}")

    def _capacity_record(self: Provider, context: RequestContext, value: str) -> tuple[str, dict]:  # type: ignore[misc]
        name, arn = self._capacity_name(context, value)
        record = self.capacity_providers.get(self._scope(context), name)
        if record is None:
            raise capacity_provider_not_found(arn)
        self._settle_capacity(context, name, record)
        return name, record

    def _settle_capacity(self: Provider, context: RequestContext, name: str, record: dict) -> None:  # type: ignore[misc]
        """Pending becomes Active on the next read: nothing is launched locally, so set-up is
        done as soon as the create has been answered."""
        if record["provider"]["State"] == "Pending":
            record["provider"]["State"] = "Active"
            self.capacity_providers.put(self._scope(context), name, record)

    def _check_scaling(self: Provider, scaling: dict | None) -> None:  # type: ignore[misc]
        if not scaling:
            return
        if scaling.get("ScalingMode") == "Manual" and not scaling.get("ScalingPolicies"):
            raise invalid("ScalingPolicies must be specified when ScalingMode is Manual.")
        if scaling.get("ScalingMode") == "Auto" and scaling.get("ScalingPolicies"):
            raise invalid("ScalingPolicies cannot be specified when ScalingMode is Auto.")

    def create_capacity_provider(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name, arn = self._capacity_name(context, params["CapacityProviderName"])
        if self.capacity_providers.get(scope, name) is not None:
            raise conflict(f"Capacity provider already exists: {arn}")
        if sum(1 for _ in self.capacity_providers.scan(scope)) >= MAX_PROVIDERS:
            raise ServiceError(
                "CapacityProviderLimitExceededException",
                "The maximum number of capacity providers for this account has been reached.",
                400,
                Type="User",
            )
        self._check_scaling(params.get("CapacityProviderScalingConfig"))
        provider = {
            "CapacityProviderArn": arn,
            "State": "Pending",
            "VpcConfig": copy.deepcopy(params["VpcConfig"]),
            "PermissionsConfig": copy.deepcopy(params["PermissionsConfig"]),
            "InstanceRequirements": copy.deepcopy(
                params.get("InstanceRequirements") or {"Architectures": ["x86_64"]}
            ),
            "CapacityProviderScalingConfig": copy.deepcopy(
                params.get("CapacityProviderScalingConfig") or {"ScalingMode": "Auto"}
            ),
            "LastModified": self._now(),
        }
        for optional in ("KmsKeyArn", "PropagateTags", "TelemetryConfig"):
            if params.get(optional) is not None:
                provider[optional] = copy.deepcopy(params[optional])
        record = {"provider": provider, "tags": tag_map(params.get("Tags"), TAG_RULES)}
        self.capacity_providers.put(scope, name, record)
        return {"CapacityProvider": copy.deepcopy(provider)}

    def get_capacity_provider(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, record = self._capacity_record(context, params["CapacityProviderName"])
        return {"CapacityProvider": copy.deepcopy(record["provider"])}

    def update_capacity_provider(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, record = self._capacity_record(context, params["CapacityProviderName"])
        provider = record["provider"]
        if provider["State"] != "Active":
            raise conflict(
                f"The capacity provider {provider['CapacityProviderArn']} is in state {provider['State']} "
                "and cannot be updated."
            )
        self._check_scaling(params.get("CapacityProviderScalingConfig"))
        for field in ("CapacityProviderScalingConfig", "PropagateTags", "TelemetryConfig"):
            if params.get(field) is not None:
                provider[field] = copy.deepcopy(params[field])
        provider["LastModified"] = self._now()
        self.capacity_providers.put(self._scope(context), name, record)
        return {"CapacityProvider": copy.deepcopy(provider)}

    def _versions_on(self: Provider, scope: str, arn: str) -> list[dict]:  # type: ignore[misc]
        """The function versions (published ones and $LATEST) configured to run on `arn`."""
        found = []
        for name, record in self.functions.scan(scope):
            if capacity_provider_arn_of(record["config"]) == arn:
                found.append(
                    {
                        "FunctionArn": record["config"]["FunctionArn"] + ":$LATEST",
                        "State": record["config"]["State"],
                    }
                )
            for _, version in self.versions.scan(scope, prefix=name + SEP):
                if capacity_provider_arn_of(version["config"]) == arn:
                    found.append(
                        {"FunctionArn": version["config"]["FunctionArn"], "State": version["config"]["State"]}
                    )
        return found

    def delete_capacity_provider(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name, record = self._capacity_record(context, params["CapacityProviderName"])
        provider = record["provider"]
        if self._versions_on(scope, provider["CapacityProviderArn"]):
            raise conflict(
                f"The capacity provider {provider['CapacityProviderArn']} cannot be deleted because function "
                "versions are still using it."
            )
        self.capacity_providers.delete(scope, name)
        return {"CapacityProvider": {**copy.deepcopy(provider), "State": "Deleting"}}

    def list_capacity_providers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        state = params.get("State")

        def scan(after: str | None):
            for name, record in self.capacity_providers.scan(scope, start_after=after):
                self._settle_capacity(context, name, record)
                if state is None or record["provider"]["State"] == state:
                    yield name, record

        return paginate_keys(
            self.store, "lambda", "ListCapacityProviders", params, scan,
            bad_token=bad_marker, default_limit=50, bind=state or "",
            render=lambda name, record: copy.deepcopy(record["provider"]),
        )  # fmt: skip

    def list_function_versions_by_capacity_provider(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        _, record = self._capacity_record(context, params["CapacityProviderName"])
        arn = record["provider"]["CapacityProviderArn"]
        out = paginate_list(
            self.store, "lambda", "ListFunctionVersionsByCapacityProvider", params,
            self._versions_on(self._scope(context), arn), bad_token=bad_marker, default_limit=50, bind=arn,
        )  # fmt: skip
        return {"CapacityProviderArn": arn, **out}

    def check_capacity_provider(self: Provider, context: RequestContext, config: dict) -> None:  # type: ignore[misc]
        """A function may only name a capacity provider that exists in its account and region."""
        arn = capacity_provider_arn_of(config)
        if arn is None:
            return
        parts = arn.split(":")
        record = self.capacity_providers.get(store_scope(parts[4], parts[3]), parts[-1])
        if parts[4] != context.account or parts[3] != context.region or record is None:
            raise capacity_provider_not_found(arn)

"""A function's smaller settings, kept in its record: recursive loop detection, runtime
management (which runtime version a function runs) and, for functions on a capacity provider,
the scaling of their execution environments."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError

from .names import function_arn, invalid

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider


def runtime_version_arn(region: str, runtime: str) -> str:
    """The ARN of the runtime version a managed runtime runs on: one fixed version per runtime
    here (AWS names each by a hash), so it changes when the runtime does, as AWS's does."""
    digest = hashlib.sha256(f"overcast-runtime:{runtime}".encode()).hexdigest()
    return f"arn:{partition(region)}:lambda:{region}::runtime:{digest}"


class FunctionSettingsMixin:
    # -- recursive loop detection ----------------------------------------------------------------

    def get_function_recursion_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, _ = self._function(context, params["FunctionName"])
        return {"RecursiveLoop": record.get("recursive_loop") or "Terminate"}

    def put_function_recursion_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params["RecursiveLoop"] not in ("Terminate", "Allow"):
            # AWS lists the values in its own order, not the model's.
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{params['RecursiveLoop']}' at 'recursiveLoop' failed to "
                "satisfy constraint: Member must satisfy enum value set: [Terminate, Allow]",
                400,
            )
        record, _ = self._function(context, params["FunctionName"])
        record["recursive_loop"] = params["RecursiveLoop"]
        self.functions.put(self._scope(context), record["config"]["FunctionName"], record)
        return {"RecursiveLoop": params["RecursiveLoop"]}

    # -- runtime management -------------------------------------------------------------------------

    def _runtime_target(self: Provider, context: RequestContext, params: dict) -> tuple[dict, str, str]:  # type: ignore[misc]
        """(function record, qualifier, ARN) of a version: $LATEST or a published number."""
        record, qualifier = self._function(context, params["FunctionName"], params.get("Qualifier"))
        qualifier = qualifier or "$LATEST"
        name = record["config"]["FunctionName"]
        if qualifier != "$LATEST" and not qualifier.isdigit():
            raise invalid("Runtime management configurations can only be applied to a function version.")
        self._version_record(context, record, qualifier)
        arn = function_arn(context.account, context.region, name, qualifier)
        return record, qualifier, arn

    def get_runtime_management_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, qualifier, arn = self._runtime_target(context, params)
        stored = (record.get("runtime_management") or {}).get(qualifier) or {"UpdateRuntimeOn": "Auto"}
        out = {"UpdateRuntimeOn": stored["UpdateRuntimeOn"], "FunctionArn": arn}
        if stored.get("RuntimeVersionArn"):
            out["RuntimeVersionArn"] = stored["RuntimeVersionArn"]
        return out

    def put_runtime_management_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, qualifier, arn = self._runtime_target(context, params)
        mode, version_arn = params["UpdateRuntimeOn"], params.get("RuntimeVersionArn")
        if mode == "Manual" and not version_arn:
            raise invalid("RuntimeVersionArn must be specified when UpdateRuntimeOn is set to Manual.")
        if mode != "Manual" and version_arn:
            raise invalid("RuntimeVersionArn can only be specified when UpdateRuntimeOn is set to Manual.")
        stored = {"UpdateRuntimeOn": mode}
        if version_arn:
            stored["RuntimeVersionArn"] = version_arn
        record.setdefault("runtime_management", {})[qualifier] = stored
        self.functions.put(self._scope(context), record["config"]["FunctionName"], record)
        return {**stored, "FunctionArn": arn}

    # -- scaling on a capacity provider ---------------------------------------------------------------

    def _scaling_target(self: Provider, context: RequestContext, params: dict) -> tuple[dict, dict, str, str]:  # type: ignore[misc]
        record, qualifier = self._function(context, params["FunctionName"], params["Qualifier"])
        qualifier = qualifier or params["Qualifier"]
        version = self._version_record(context, record, qualifier)
        if not version["config"].get("CapacityProviderConfig"):
            raise invalid(
                "Function scaling configuration is only supported for functions that use a capacity provider."
            )
        arn = function_arn(context.account, context.region, record["config"]["FunctionName"], qualifier)
        return record, version, qualifier, arn

    def get_function_scaling_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, _, qualifier, arn = self._scaling_target(context, params)
        stored = (record.get("scaling") or {}).get(qualifier)
        out: dict = {"FunctionArn": arn}
        if stored is not None:
            # No instances exist to scale here: what was asked for applies at once.
            out["RequestedFunctionScalingConfig"] = dict(stored)
            out["AppliedFunctionScalingConfig"] = dict(stored)
        return out

    def put_function_scaling_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, version, qualifier, _ = self._scaling_target(context, params)
        wanted = dict(params.get("FunctionScalingConfig") or {})
        low, high = wanted.get("MinExecutionEnvironments"), wanted.get("MaxExecutionEnvironments")
        if low is not None and high is not None and low > high:
            raise invalid("MinExecutionEnvironments must be less than or equal to MaxExecutionEnvironments.")
        record.setdefault("scaling", {})[qualifier] = wanted
        self.functions.put(self._scope(context), record["config"]["FunctionName"], record)
        return {"FunctionState": version["config"].get("State", "Active")}

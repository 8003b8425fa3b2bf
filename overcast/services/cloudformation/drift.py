"""Drift detection: each resource's properties read back from its service (the handler's
read()) compared with the properties the template gave it. Only the properties a template
sets are compared, as AWS does; a type whose handler cannot read itself is NOT_CHECKED, and
a resource deleted behind CloudFormation's back is DELETED."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation.handlers import ResourceFailed, ResourceGone
from overcast.services.cloudformation.template import validation

if TYPE_CHECKING:
    from overcast.services.cloudformation.provider import Provider

#: Stack statuses drift detection runs in (AWS refuses it while a stack changes).
_DETECTABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "DELETE_FAILED",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)


def _normal(value: Any) -> Any:
    """A property value as compared: numbers and booleans as text, JSON text as its value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return _normal(json.loads(stripped))
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normal(item) for item in value]
    return value


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[dict[str, Any]]:
    """PropertyDifferences between the template's properties and the resource's, for the
    properties the template sets that the resource reads back."""
    found: list[dict[str, Any]] = []

    def walk(path: str, want: Any, have: Any) -> None:
        if isinstance(want, dict) and isinstance(have, dict):
            for key in sorted(set(want) | set(have)):
                if key not in have:
                    found.append(_difference(f"{path}/{key}", want[key], None, "REMOVE"))
                elif key not in want:
                    found.append(_difference(f"{path}/{key}", None, have[key], "ADD"))
                else:
                    walk(f"{path}/{key}", want[key], have[key])
        elif want != have:
            found.append(_difference(path, want, have, "NOT_EQUAL"))

    for name in sorted(expected):
        if name in actual:
            walk(f"/{name}", _normal(expected[name]), _normal(actual[name]))
    return found


def _difference(path: str, expected: Any, actual: Any, kind: str) -> dict[str, Any]:
    def text(value: Any) -> str:
        return "null" if value is None else value if isinstance(value, str) else json.dumps(value)

    return {
        "PropertyPath": path,
        "ExpectedValue": text(expected),
        "ActualValue": text(actual),
        "DifferenceType": kind,
    }


class DriftDetection:
    async def _resource_drift(self: Provider, stack: dict[str, Any], logical_id: str) -> dict[str, Any]:  # type: ignore[misc]
        from overcast.services.cloudformation.engine import Deployment

        state = stack["Resources"][logical_id]
        expected = state.get("Properties", {})
        record: dict[str, Any] = {
            "StackId": stack["StackId"],
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": state.get("PhysicalResourceId", ""),
            "ResourceType": state.get("ResourceType", ""),
            "ExpectedProperties": json.dumps(expected, default=str),
            "Timestamp": time.time(),
        }
        deployment = Deployment(self, stack)
        handler = deployment.known_handler(state.get("ResourceType", ""))
        request = deployment.request(logical_id, state, expected)
        try:
            actual = await handler.read(request) if handler is not None else None
        except ResourceGone:
            return {**record, "StackResourceDriftStatus": "DELETED", "PropertyDifferences": []}
        except ResourceFailed:
            actual = None
        if actual is None:
            return {**record, "StackResourceDriftStatus": "NOT_CHECKED"}
        changed = differences(expected, actual)
        shown = {**expected, **{key: value for key, value in actual.items() if key in expected}}
        return {
            **record,
            "ActualProperties": json.dumps(shown, default=str),
            "PropertyDifferences": changed,
            "StackResourceDriftStatus": "MODIFIED" if changed else "IN_SYNC",
        }

    def _detectable(self: Provider, context: RequestContext, name: str) -> dict[str, Any]:  # type: ignore[misc]
        stack = self.find_stack(context, name, deleted=False)
        if stack["StackStatus"] not in _DETECTABLE:
            raise validation(
                f"Drift detection is not supported for stack {stack['StackName']} in {stack['StackStatus']} state"
            )
        return stack

    async def detect_stack_drift(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stack = self._detectable(context, params["StackName"])
        wanted = params.get("LogicalResourceIds") or [
            name for name, state in stack["Resources"].items() if state.get("PhysicalResourceId")
        ]
        for name in wanted:
            if name not in stack["Resources"]:
                raise validation(f"Resource {name} does not exist for stack {stack['StackName']}")
        drifts = await asyncio.gather(*(self._resource_drift(stack, name) for name in wanted))
        detection_id = fast_uuid()
        drifted = sum(1 for drift in drifts if drift["StackResourceDriftStatus"] in ("MODIFIED", "DELETED"))
        now = time.time()
        stack = self.find_stack(context, stack["StackId"])  # the stack as it is now, to write to
        for drift in drifts:
            state = stack["Resources"].get(drift["LogicalResourceId"])
            if state is not None:
                state["Drift"] = drift
        stack["DriftDetection"] = {
            "StackDriftDetectionId": detection_id,
            "StackDriftStatus": "DRIFTED" if drifted else "IN_SYNC",
            "DetectionStatus": "DETECTION_COMPLETE",
            "DriftedStackResourceCount": drifted,
            "Timestamp": now,
        }
        self.save_stack(stack)
        return {"StackDriftDetectionId": detection_id}

    def describe_stack_drift_detection_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = params["StackDriftDetectionId"]
        for _, stack in self.stacks.scan(self.scope_of(context)):
            detection = stack.get("DriftDetection")
            if detection is not None and detection["StackDriftDetectionId"] == wanted:
                return {
                    **detection,
                    "StackId": stack["StackId"],
                    "Timestamp": _timestamp(detection["Timestamp"]),
                }
        raise validation(f"Could not find the drift detection operation with id {wanted}")

    def describe_stack_resource_drifts(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stack = self.find_stack(context, params["StackName"])
        wanted = set(params.get("StackResourceDriftStatusFilters") or [])
        drifts = [
            _rendered(state["Drift"])
            for state in stack["Resources"].values()
            if state.get("Drift") and (not wanted or state["Drift"]["StackResourceDriftStatus"] in wanted)
        ]
        return {"StackResourceDrifts": drifts}

    async def detect_stack_resource_drift(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stack = self._detectable(context, params["StackName"])
        name = params["LogicalResourceId"]
        if name not in stack["Resources"] or not stack["Resources"][name].get("PhysicalResourceId"):
            raise validation(f"Resource {name} does not exist for stack {stack['StackName']}")
        drift = await self._resource_drift(stack, name)
        stack = self.find_stack(context, stack["StackId"])
        if name in stack["Resources"]:
            stack["Resources"][name]["Drift"] = drift
            self.save_stack(stack)
        return {"StackResourceDrift": _rendered(drift)}


def _timestamp(seconds: float) -> Any:
    from overcast.services.cloudformation.provider import timestamp

    return timestamp(seconds)


def _rendered(drift: dict[str, Any]) -> dict[str, Any]:
    return {**drift, "Timestamp": _timestamp(drift["Timestamp"])}


__all__ = ["DriftDetection", "ServiceError", "differences"]

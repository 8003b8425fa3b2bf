"""Managed nodes: the machines Run Command, associations and sessions reach. A node is managed
once an SSM Agent registers it (an EC2 instance with an instance profile, or a hybrid machine
with an activation). Overcast has neither EC2 instances nor agents yet, so no node is managed:
the functions here are what EC2's work will feed, and until then they find nothing."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError

#: Target keys Run Command and State Manager accept (besides `tag:KEY`).
TARGET_KEYS = frozenset(
    {"InstanceIds", "tag-key", "resource-groups:Name", "resource-groups:ResourceTypeFilters"}
)
MAX_TARGETS = 5


def managed_nodes(context: RequestContext) -> list[dict[str, Any]]:
    """The managed nodes of the caller's account and region (InstanceInformation shapes)."""
    return []


def check_targets(targets: list[dict]) -> None:
    if len(targets) > MAX_TARGETS:
        raise ServiceError(
            "InvalidParameters", f"Specifying more than {MAX_TARGETS} target filters is not supported."
        )
    for target in targets:
        key = target.get("Key") or ""
        if key not in TARGET_KEYS and not (key.startswith("tag:") and len(key) > 4):
            raise ServiceError("InvalidParameters", f"Target key {key} is not valid.")
        if not target.get("Values"):
            raise ServiceError("InvalidParameters", f"Target {key} needs at least one value.")


def _matches(node: dict[str, Any], target: dict) -> bool:
    key, values = target["Key"], target["Values"]
    if key == "InstanceIds":
        return "*" in values or node["InstanceId"] in values
    tags = node.get("tags") or {}
    if key == "tag-key":
        return any(value in tags for value in values)
    if key.startswith("tag:"):
        return tags.get(key[4:]) in values
    return False


def resolve_targets(context: RequestContext, targets: list[dict]) -> list[str]:
    """Ids of the managed nodes every target selects (none match while no node exists)."""
    return [
        node["InstanceId"]
        for node in managed_nodes(context)
        if all(_matches(node, target) for target in targets)
    ]


def require_managed(context: RequestContext, instance_ids: list[str]) -> None:
    """AWS's InvalidInstanceId (with no message, as AWS sends it) for an id that is not a
    managed node of the caller."""
    known = {node["InstanceId"] for node in managed_nodes(context)}
    if any(instance_id not in known for instance_id in instance_ids):
        raise ServiceError("InvalidInstanceId", "")

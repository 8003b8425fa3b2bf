"""What the Auto Scaling modules share: errors worded as AWS words them, ARNs, times."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from overcast.common.arns import partition
from overcast.errors import ServiceError

SEP = "\x1f"

#: The processes SuspendProcesses names (DescribeScalingProcessTypes lists them).
PROCESSES = (
    "Launch",
    "Terminate",
    "AddToLoadBalancer",
    "AlarmNotification",
    "AZRebalance",
    "HealthCheck",
    "InstanceRefresh",
    "ReplaceUnhealthy",
    "ScheduledActions",
)

TERMINATION_POLICIES = (
    "ClosestToNextInstanceHour",
    "Default",
    "NewestInstance",
    "OldestInstance",
    "OldestLaunchConfiguration",
    "OldestLaunchTemplate",
    "AllocationStrategy",
)

#: States whose instances count toward the group's capacity.
COUNTED = frozenset({"Pending", "Pending:Wait", "Pending:Proceed", "InService"})


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


def already_exists(message: str) -> ServiceError:
    return ServiceError("AlreadyExists", message)


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUse", message)


def group_not_found(name: str) -> ServiceError:
    return validation(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")


def arn(region: str, account: str, kind: str, path: str) -> str:
    return f"arn:{partition(region)}:autoscaling:{region}:{account}:{kind}:{uuid.uuid4()}:{path}"


def now() -> float:
    return time.time()


def stamp(moment: float) -> str:
    """AWS's wording of a moment inside activity causes: 2024-05-01T10:00:00Z."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def when(value: Any) -> float:
    """A timestamp member as the protocol layer parsed it (datetime or epoch) → epoch."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)

"""EventBridge Scheduler on the wire: the name and ARN patterns AWS checks with the model's
other constraints (one validation message for all)."""

from __future__ import annotations

from overcast.protocols.wire import Wire

WIRE = Wire(
    checked_patterns=frozenset(
        {
            "Name",
            "ScheduleGroupName",
            "NamePrefix",
            "ScheduleGroupNamePrefix",
            "TagResourceArn",
            "ClientToken",
            "RoleArn",
            "KmsKeyArn",
            "DeadLetterConfigArnString",
        }
    ),
)

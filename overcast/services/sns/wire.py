"""SNS on the wire: how it words a missing required parameter."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    validation=ValidationStyle(
        "ValidationError",
        missing=("InvalidParameter", "Invalid parameter: {name} Reason: no value for required parameter"),
    ),
)

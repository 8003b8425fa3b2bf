"""ElastiCache on the wire: how it words validation errors."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    # "The parameter CacheClusterId must be provided and must not be blank."
    validation=ValidationStyle(
        "ValidationError",
        missing=("InvalidParameterValue", "The parameter {name} must be provided and must not be blank."),
    ),
)

"""CloudFront on the wire: how it words validation errors."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    validation=ValidationStyle("InvalidArgument"),
)

"""IAM on the wire: how it words validation errors."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    # The value is left out: "Value at 'userName' failed to satisfy constraint: ...".
    validation=ValidationStyle("ValidationError", hide_values=True),
)

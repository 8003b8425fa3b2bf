"""API Gateway on the wire: how it words validation errors."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    # Body members are named from the Coral input type: 'createRestApiInput.name'.
    validation=ValidationStyle("ValidationException", prefix_input=True),
)

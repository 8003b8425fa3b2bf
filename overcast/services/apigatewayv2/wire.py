"""API Gateway v2 on the wire: input it cannot accept is a BadRequestException."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(validation=ValidationStyle("BadRequestException"))

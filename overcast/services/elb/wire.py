"""Classic Elastic Load Balancing on the wire: its validation errors are ValidationError."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(validation=ValidationStyle("ValidationError"))

"""Elastic Load Balancing v2 on the wire: its validation errors are ValidationError."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(validation=ValidationStyle("ValidationError"))

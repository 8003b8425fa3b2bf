"""Route 53 on the wire: how it words validation errors and undecodable input."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    validation=ValidationStyle("InvalidInput"),
    malformed_errors=("InvalidInput", "InvalidInput"),
    # A change's Action is checked against the XML schema, in its words (records.py).
    service_checked_enums=frozenset({"ChangeAction"}),
)

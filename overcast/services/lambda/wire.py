"""Lambda on the wire: how it words validation errors."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    # "Member must not be null" is listed among a list/map member's constraints.
    validation=ValidationStyle("ValidationException", member_not_null=True),
    # The order AWS's messages list these enums' values in (its recorded answers).
    enum_orders={"EventSourcePosition": ("LATEST", "AT_TIMESTAMP", "TRIM_HORIZON")},
    # An unknown runtime is InvalidParameterValueException, worded by the provider.
    service_checked_enums=frozenset({"Runtime", "RecursiveLoop", "InvokeMode"}),
)

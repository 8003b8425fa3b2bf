"""CloudWatch on the wire: how it words validation errors, and the order it lists an enum's
values in where that is not the model's (AWS's recorded answers)."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    # All three of its protocols answer the query codes: "The parameter X is required."
    validation=ValidationStyle(
        "ValidationError", missing=("MissingParameter", "The parameter {name} is required.")
    ),
    enum_orders={"StateValue": ("INSUFFICIENT_DATA", "ALARM", "OK")},
)

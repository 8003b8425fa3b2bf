"""CloudWatch Logs on the wire: how it words validation errors. Its older operations answer
InvalidParameterException; the newer ones (deliveries, scheduled queries) model only
ValidationException and answer that."""

from __future__ import annotations

from overcast.protocols.wire import ValidationStyle, Wire

WIRE = Wire(
    validation=ValidationStyle("InvalidParameterException", unmodelled_code_fallback="ValidationException"),
    # AWS lists the output formats in its own order, not the model's (deliveries.py).
    service_checked_enums=frozenset({"OutputFormat"}),
)

"""SSM on the wire: the order its validation messages list an enum's values in, where that is
not the model's (AWS's answer: "... enum value set: [SecureString, StringList, String]")."""

from __future__ import annotations

from overcast.protocols.wire import Wire

WIRE = Wire(enum_orders={"ParameterType": ("SecureString", "StringList", "String")})

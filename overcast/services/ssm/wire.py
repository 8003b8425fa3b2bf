"""SSM on the wire: the order its validation messages list an enum's values in, where that is
not the model's (AWS's answer: "... enum value set: [SecureString, StringList, String]"), and
the enums SSM checks itself, with its own error codes."""

from __future__ import annotations

from overcast.protocols.wire import Wire

WIRE = Wire(
    enum_orders={"ParameterType": ("SecureString", "StringList", "String")},
    # AWS answers a PermissionType outside its enum with InvalidPermissionType (documents.py).
    service_checked_enums=frozenset({"DocumentPermissionType"}),
)

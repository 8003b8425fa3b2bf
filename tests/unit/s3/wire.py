"""S3 output as a client sees it (listings splice pre-rendered XML, so their output dicts are
not the answer)."""

from __future__ import annotations

from tests.unit import wire


def body(operation: str, output: dict) -> bytes:
    return wire.respond("s3", operation, "rest-xml", output).body


def parsed(operation: str, output: dict) -> dict:
    return wire.parsed(wire.respond("s3", operation, "rest-xml", output), "s3", operation, "rest-xml")

"""What SQS accepts in a message: body characters, sizes, message and system attributes."""

from __future__ import annotations

import re

from overcast.services.sqs import errors

BODY = re.compile("^[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")
BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
FIFO_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
#: AWS documents "A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.)", and accepts
#: letters beyond ASCII too ("attr.1øßä" is taken, recorded against AWS), but no other symbol
#: (a space, "/", "×"): see _name_is_valid.
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,256}$")


def _name_is_valid(name: str) -> bool:
    if _ATTRIBUTE_NAME.match(name):
        return True
    if name.isascii() or len(name.encode()) > 256:
        return False
    return all(ch.isalpha() or (ch.isascii() and (ch.isalnum() or ch in "_.-")) for ch in name)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
SYSTEM_NAMES = (
    "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
    "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)  # fmt: skip


def size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def attributes_size(attributes: dict | None) -> int:
    if not attributes:
        return 0
    total = 0
    for name, value in attributes.items():
        total += size(name) + size(value.get("DataType") or "")
        if value.get("StringValue") is not None:
            total += size(value["StringValue"])
        elif value.get("BinaryValue") is not None:
            total += len(value["BinaryValue"])
    return total


def check_message_attributes(attributes: dict) -> None:
    if len(attributes) > 10:
        raise errors.invalid_parameter(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [10]."
        )
    for name, value in attributes.items():
        if not _name_is_valid(name):
            if len(name.encode()) > 256:
                raise errors.invalid_parameter(
                    "Message (user) attribute names must be shorter than 256 Bytes"
                )
            raise errors.invalid_parameter(
                "Message (user) attributes name can only contain upper and lower score characters, digits,"
                " periods, hyphens and underscores. "
            )
        lowered = name.lower()
        if lowered.startswith(("aws.", "amazon.")) or name[0] == "." or name[-1] == "." or ".." in name:
            raise errors.invalid_parameter(
                "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are"
                " reserved for internal use. Additionally, they cannot start or end with '.'."
            )
        data_type = value.get("DataType") or ""
        if not data_type:
            raise errors.invalid_parameter(
                f"Message (user) attribute '{name}' must contain a non-empty message attribute type."
            )
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise errors.invalid_parameter(
                f"The type of message (user) attribute '{name}' is invalid. You must use only the following"
                " supported type prefixes: Binary, Number, String."
            )
        if len(data_type) > 256:
            raise errors.invalid_parameter("Message (user) attribute types must be shorter than 256 Bytes")
        if value.get("StringListValues") or value.get("BinaryListValues"):
            raise errors.invalid_parameter(
                f"Message (user) attribute '{name}' has list values, which SQS reserves for future use."
            )
        if base == "Binary":
            if not value.get("BinaryValue"):
                raise errors.invalid_parameter(
                    f"Message (user) attribute '{name}' must contain a non-empty value of type 'Binary'."
                )
            continue
        text = value.get("StringValue")
        if not text:
            raise errors.invalid_parameter(
                f"Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
            )
        if base == "Number" and not _NUMBER.match(text.strip()):
            raise errors.invalid_parameter(
                f"Can't cast the value of message (user) attribute '{name}' to a number."
            )
        if not BODY.match(text):
            raise errors.invalid_parameter(f"Message (user) attribute '{name}' contains invalid characters.")


def check_system_attributes(attributes: dict) -> None:
    for name, value in attributes.items():
        if name != "AWSTraceHeader":
            raise errors.invalid_parameter(f"Message system attribute name '{name}' is invalid.")
        if value.get("DataType") != "String" or not value.get("StringValue"):
            raise errors.invalid_parameter(
                "Message system attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'."
            )

"""A schedule's KmsKeyArn through this KMS: the target's Input is stored encrypted under the key
(bound to the schedule's ARN), decrypted for GetSchedule and at each invocation. A key that
does not exist or cannot be used is refused when the schedule is written; one disabled or
deleted since fails the invocation (dead-lettered with KMS's error code) as on AWS."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from overcast.bus import DeliveryError
from overcast.errors import ServiceError
from overcast.services.scheduler import errors

if TYPE_CHECKING:
    from overcast.runtime import Runtime

SEALED = "SealedInput"


def _context(schedule_arn: str) -> dict[str, str]:
    return {"aws:scheduler:schedule-arn": schedule_arn}


def check_key(runtime: Runtime, account: str, region: str, key_arn: str) -> None:
    """ValidationException unless the key exists and can encrypt now."""
    if not runtime.serves("kms"):
        return
    try:
        runtime.provider("kms").key_arn_for(account, region, key_arn)
    except ServiceError as error:
        raise errors.validation(
            f"The KMS key {key_arn} cannot be used: {error.code}: {error.message}"
        ) from None


def seal(runtime: Runtime, account: str, region: str, record: dict) -> None:
    """Move the target's Input into the record's sealed copy when the schedule has a key."""
    target = record["Target"]
    record.pop(SEALED, None)
    key_arn = record.get("KmsKeyArn")
    text = target.get("Input")
    if not key_arn or text is None or not runtime.serves("kms"):
        return
    arn, blob = runtime.provider("kms").encrypt_data(
        account, region, key_arn, text.encode(), _context(record["Arn"])
    )
    record["Target"] = {name: value for name, value in target.items() if name != "Input"}
    record[SEALED] = {"Blob": base64.b64encode(blob).decode(), "KeyArn": arn}


def sealed_input(record: dict) -> Any:
    """What an invocation carries as its Input: the text, or the sealed copy to open then."""
    sealed = record.get(SEALED)
    return {"sealed": sealed["Blob"], "key": sealed["KeyArn"]} if sealed else record["Target"].get("Input")


def open_input(runtime: Runtime, schedule_arn: str, message: Any) -> str | None:
    """The Input of an invocation; DeliveryError with KMS's code when it cannot be opened."""
    if not isinstance(message, dict):
        return message
    parts = schedule_arn.split(":")
    try:
        _arn, plaintext = runtime.provider("kms").decrypt_data(
            parts[4], parts[3], base64.b64decode(message["sealed"]), _context(schedule_arn)
        )
    except ServiceError as error:
        raise DeliveryError(f"{error.code}: {error.message}", retryable=False) from None
    return plaintext.decode()


def opened_target(runtime: Runtime, record: dict) -> dict:
    """The record's Target with its Input decrypted (GetSchedule); ValidationException when the
    key can no longer decrypt it."""
    if not record.get(SEALED):
        return record["Target"]
    try:
        text = open_input(runtime, record["Arn"], {"sealed": record[SEALED]["Blob"]})
    except DeliveryError as error:
        raise errors.validation(f"The schedule's input cannot be decrypted: {error}") from None
    return {**record["Target"], "Input": text}

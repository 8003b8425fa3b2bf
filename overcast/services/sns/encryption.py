"""Server-side encryption of a topic's messages (`KmsMasterKeyId`), as SNS does it: Publish
has KMS generate a data key under the topic's key, bound to the topic's ARN (`aws:sns:arn`),
reused for a few minutes before KMS is asked again, so a key missing, disabled or not usable
refuses Publish with SNS's KMS* errors. The notification waits in the outbox for its fan-out
with its message, subject and per-protocol texts sealed (AES-256-GCM) under that data key,
and is opened when it is fanned out."""

from __future__ import annotations

import json
import os
import uuid
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime
    from overcast.services.sns.models import Topic

#: KMS's error → SNS's (the query code of the model's KMS* exception shapes).
KMS_ERRORS = {
    "NotFoundException": ("KMSNotFound", 400),
    "DisabledException": ("KMSDisabled", 400),
    "KMSInvalidStateException": ("KMSInvalidState", 400),
    "AccessDeniedException": ("KMSAccessDenied", 400),
    "InvalidKeyUsageException": ("KMSAccessDenied", 400),
}
#: How long a data key serves before KMS is asked for another (SNS's own choice, unconfigurable).
REUSE_SECONDS = 300.0
#: The notification fields sealed while it waits in the outbox.
SEALED_FIELDS = ("message", "texts", "subject")


def kms_refusal(error: ServiceError) -> ServiceError:
    code, status = KMS_ERRORS.get(error.code, ("KMSAccessDenied", 400))
    return ServiceError(
        code,
        f"{error.message} (Service: AWSKMS; Status Code: 400; Error Code: {error.code}; "
        f"Request ID: {uuid.uuid4()}; Proxy: null)",
        status,
    )


class MessageCipher:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.forget()

    def forget(self) -> None:
        #: topic ARN → (reuse until, KmsMasterKeyId, encrypted data key, cipher)
        self._sealing: dict[str, tuple[float, str, bytes, AESGCM]] = {}
        #: encrypted data key → (reuse until, cipher)
        self._opened: dict[bytes, tuple[float, AESGCM]] = {}

    def data_key(self, topic: Topic, now: float) -> tuple[bytes, AESGCM] | None:
        """The data key a Publish to `topic` seals with (KMS's refusal raised as SNS's), or
        None for a topic without server-side encryption."""
        key_id = topic.attributes.get("KmsMasterKeyId")
        if not key_id:
            return None
        entry = self._sealing.get(topic.arn)
        if entry is None or entry[0] <= now or entry[1] != key_id:
            try:
                _arn, plaintext, blob = self._runtime.provider("kms").new_data_key(
                    topic.account, topic.region, key_id, {"aws:sns:arn": topic.arn}
                )
            except ServiceError as error:
                raise kms_refusal(error) from None
            cipher = AESGCM(plaintext)
            entry = (now + REUSE_SECONDS, key_id, blob, cipher)
            self._sealing[topic.arn] = entry
            self._opened[blob] = (now + REUSE_SECONDS, cipher)
        return entry[2], entry[3]

    @staticmethod
    def seal(record: dict, key: tuple[bytes, AESGCM]) -> dict:
        """A notification's outbox record with its contents sealed under `key`."""
        blob, cipher = key
        clear = json.dumps({name: record[name] for name in SEALED_FIELDS}).encode()
        nonce = os.urandom(12)
        sealed = {name: value for name, value in record.items() if name not in SEALED_FIELDS}
        sealed["sealed"] = nonce + cipher.encrypt(nonce, clear, None)
        sealed["dk"] = blob
        return sealed

    def open(self, topic: Topic, record: dict, now: float) -> dict:
        """The outbox record in clear (as it was before `seal`)."""
        sealed = record.get("sealed")
        if sealed is None:
            return record
        blob = record["dk"]
        entry = self._opened.get(blob)
        if entry is None or entry[0] <= now:
            try:
                _arn, plaintext = self._runtime.provider("kms").decrypt_data(
                    topic.account, topic.region, blob, {"aws:sns:arn": topic.arn}
                )
            except ServiceError as error:
                raise kms_refusal(error) from None
            if len(self._opened) > 4096:
                self._opened = {key: value for key, value in self._opened.items() if value[0] > now}
            entry = self._opened[blob] = (now + REUSE_SECONDS, AESGCM(plaintext))
        opened = {name: value for name, value in record.items() if name not in ("sealed", "dk")}
        opened.update(json.loads(entry[1].decrypt(sealed[:12], sealed[12:], None)))
        return opened

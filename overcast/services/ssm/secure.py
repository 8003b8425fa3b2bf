"""SecureString values through KMS, as Parameter Store uses it: encrypted under the parameter's
key (`alias/aws/ssm` unless the request names one) with the encryption context
`{"PARAMETER_ARN": <the parameter's ARN>}`; reads return the ciphertext, base64-encoded,
unless they ask WithDecryption. KMS's refusals reach the caller as SSM's InvalidKeyId."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: KMS errors that mean "this key cannot be used": SSM answers them as InvalidKeyId.
_KEY_ERRORS = frozenset(
    {"NotFoundException", "DisabledException", "KMSInvalidStateException", "InvalidKeyUsageException"}
)


def _context(arn: str) -> dict[str, str]:
    return {"PARAMETER_ARN": arn}


def _key_error(error: ServiceError) -> ServiceError:
    if error.code in _KEY_ERRORS or error.code == "InvalidCiphertextException":
        return ServiceError("InvalidKeyId", f"{error.message} (Service: AWSKMS; Error Code: {error.code})")
    return error


def available(runtime: Runtime) -> bool:
    return runtime.serves("kms")


def encrypt(runtime: Runtime, account: str, region: str, key_id: str, arn: str, value: str) -> str:
    """The stored form of a SecureString value: its KMS ciphertext blob, base64-encoded."""
    kms = runtime.provider("kms")
    try:
        _, blob = kms.encrypt_data(account, region, key_id, value.encode(), _context(arn))
    except ServiceError as error:
        raise _key_error(error) from None
    return base64.b64encode(blob).decode()


def decrypt(runtime: Runtime, account: str, region: str, arn: str, stored: str) -> str:
    kms = runtime.provider("kms")
    try:
        blob = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError("InvalidKeyId", "The ciphertext of this parameter cannot be read.") from None
    try:
        _, plaintext = kms.decrypt_data(account, region, blob, _context(arn))
    except ServiceError as error:
        raise _key_error(error) from None
    return bytes(plaintext).decode()

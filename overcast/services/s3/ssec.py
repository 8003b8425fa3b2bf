"""Server-side encryption with customer-provided keys (SSE-C): the x-amz-server-side-
encryption-customer-* headers validated as S3 does, and the key a stored version was written
with required to read it. S3 keeps only a digest of the key; so does Overcast (the key MD5)."""

from __future__ import annotations

import base64
import binascii
import hashlib

from overcast.errors import ServiceError

_ARGUMENT = "x-amz-server-side-encryption"
#: (algorithm member, key member, key MD5 member) per header family.
_MEMBERS = {
    "": ("SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5"),
    "CopySource": (
        "CopySourceSSECustomerAlgorithm",
        "CopySourceSSECustomerKey",
        "CopySourceSSECustomerKeyMD5",
    ),
}


def _invalid(message: str, value: str | None = None) -> ServiceError:
    if value is None:
        return ServiceError("InvalidArgument", message, 400, ArgumentName=_ARGUMENT)
    return ServiceError("InvalidArgument", message, 400, ArgumentName=_ARGUMENT, ArgumentValue=value)


def _wrong_key() -> ServiceError:
    return ServiceError(
        "AccessDenied",
        "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.",
        403,
    )


def requested(params: dict, prefix: str = "", reading: bool = False) -> dict[str, str] | None:
    """The SSE-C a request gives ({SSECustomerAlgorithm, SSECustomerKeyMD5}), validated, or
    None. `reading`: a missing key MD5 is a wrong key (reads), not an invalid one (writes)."""
    algorithm_member, key_member, md5_member = _MEMBERS[prefix]
    algorithm, key, md5 = params.get(algorithm_member), params.get(key_member), params.get(md5_member)
    if algorithm is None and key is None and md5 is None:
        return None
    if algorithm is None:
        raise _invalid(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid "
            "encryption algorithm."
        )
    if algorithm != "AES256":
        raise ServiceError(
            "InvalidEncryptionAlgorithmError",
            "The Encryption request you specified is not valid. Supported value: AES256.",
            400,
            ArgumentName=_ARGUMENT,
            ArgumentValue=algorithm,
        )
    if not key:
        raise _invalid(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an "
            "appropriate secret key."
        )
    if reading and not md5:
        raise _wrong_key()
    try:
        secret = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != 32:
        if reading:  # a read names the object's key: any other is the wrong one (recorded against AWS)
            raise _wrong_key()
        raise _invalid("The secret key was invalid for the specified algorithm.")
    digest = base64.b64encode(hashlib.md5(secret).digest()).decode()
    if not md5:
        if reading:
            raise _wrong_key()
        raise _invalid("The secret key was invalid for the specified algorithm.")
    if md5 != digest:
        raise _invalid("The calculated MD5 hash of the key did not match the hash that was provided.")
    return {"SSECustomerAlgorithm": algorithm, "SSECustomerKeyMD5": digest}


def check_write(params: dict) -> dict[str, str] | None:
    """A write's SSE-C, refused alongside another server-side encryption (before anything
    else is checked)."""
    members = _MEMBERS[""]
    if params.get("ServerSideEncryption") and any(params.get(member) is not None for member in members):
        raise _invalid(
            "Server Side Encryption with Customer provided key is incompatible with the encryption method "
            "specified",
            params["ServerSideEncryption"],
        )
    return requested(params)


def check_read(record: dict, params: dict, prefix: str = "") -> None:
    """A read of a version written with SSE-C must give its key."""
    given = requested(params, prefix, reading=True)
    if not record.get("SSECustomerAlgorithm"):
        return
    if given is None:
        raise ServiceError(
            "InvalidRequest",
            "The object was stored using a form of Server Side Encryption. The correct parameters must be "
            "provided to retrieve the object.",
            400,
        )
    if given["SSECustomerKeyMD5"] != record.get("SSECustomerKeyMD5"):
        raise _wrong_key()


def check_part(upload_defaults: dict, params: dict) -> None:
    """An upload's parts give the key its CreateMultipartUpload gave, or none if it gave none."""
    given = requested(params)
    expected = upload_defaults.get("SSECustomerKeyMD5")
    if (given is None) != (expected is None):
        raise ServiceError(
            "InvalidRequest",
            "The multipart upload initiate requested encryption. Subsequent part requests must include the "
            "appropriate encryption parameters.",
            400,
        )
    if given is not None and given["SSECustomerKeyMD5"] != expected:
        raise ServiceError(
            "InvalidRequest",
            "The provided encryption parameters did not match the ones used originally.",
            400,
        )


def customer_key(params: dict, prefix: str = "") -> bytes | None:
    """The customer's 256-bit key a request gives (already validated by `requested`)."""
    given = params.get(_MEMBERS[prefix][1])
    return base64.b64decode(given) if given else None

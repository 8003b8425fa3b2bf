"""Identifiers IAM and STS hand out, in AWS's shapes. Access key ids carry their account the way
AWS's do (GetAccessKeyInfo decodes it), so a key names its account without a lookup."""

from __future__ import annotations

import base64
import os
import secrets
import string

_UPPER_DIGITS = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
_ACCOUNT_MASK = 0x7FFFFFFFFF80

#: Unique id prefixes (IAM user guide, "Unique identifiers").
PREFIXES = {
    "user": "AIDA",
    "group": "AGPA",
    "role": "AROA",
    "policy": "ANPA",
    "instance-profile": "AIPA",
    "access-key": "AKIA",
    "session-key": "ASIA",
    "server-certificate": "ASCA",
    "ssh-key": "APKA",
}


def unique_id(kind: str) -> str:
    return PREFIXES[kind] + "".join(secrets.choice(_UPPER_DIGITS) for _ in range(17))


def access_key_id(account: str, temporary: bool = False) -> str:
    """20 characters: AKIA (ASIA for STS) + base32 of the account in bits 7..46 and random bits."""
    value = (int(account) << 7) | secrets.randbits(7)
    raw = value.to_bytes(6, "big") + os.urandom(4)
    return ("ASIA" if temporary else "AKIA") + base64.b32encode(raw).decode()


def account_of_key(key_id: str) -> str | None:
    """The account an AWS-style access key id encodes, or None if it does not decode."""
    if len(key_id) != 20 or not key_id[:4].isalpha():
        return None
    try:
        raw = base64.b32decode(key_id[4:])
    except ValueError:  # binascii.Error (not base32) is a ValueError
        return None
    account = (int.from_bytes(raw[:6], "big") & _ACCOUNT_MASK) >> 7
    return f"{account:012d}"


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def session_token() -> str:
    # STS tokens are long opaque base64; their length matters to some clients' storage only.
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(os.urandom(180)).decode()

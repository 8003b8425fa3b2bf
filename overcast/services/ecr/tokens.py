"""ECR authorization tokens: what GetAuthorizationToken hands out and the registry checks.

A token is base64 of `AWS:<password>`, as AWS's; the password is Overcast's own: who asked
(access key, account, region) and when it expires, with an HMAC under a secret kept in the
store, so tokens survive a restart and cannot be forged or extended."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overcast.store import Store

_SECRET_SCOPE = "overcast"
_SECRET_KEY = "token-secret"


@dataclass(frozen=True)
class Grant:
    access_key_id: str | None
    account: str
    region: str
    expires: float


class TokenInvalid(ValueError):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _secret(store: Store) -> bytes:
    table = store.table("ecr", "secrets")
    secret = table.get(_SECRET_SCOPE, _SECRET_KEY)
    if secret is None:
        secret = os.urandom(32).hex()
        table.put(_SECRET_SCOPE, _SECRET_KEY, secret)
    return bytes.fromhex(secret)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(store: Store, grant: Grant) -> str:
    """The authorizationToken: base64("AWS:" + password)."""
    payload = _b64(
        json.dumps(
            {"k": grant.access_key_id, "a": grant.account, "r": grant.region, "x": grant.expires},
            separators=(",", ":"),
        ).encode()
    )
    mac = _b64(hmac.new(_secret(store), payload.encode(), hashlib.sha256).digest())
    password = f"{payload}.{mac}"
    return base64.b64encode(f"AWS:{password}".encode()).decode()


def check(store: Store, username: str, password: str, now: float) -> Grant:
    """The grant a Basic credential carries; TokenInvalid when it is not one of Overcast's
    tokens, or has expired."""
    if username != "AWS":
        raise TokenInvalid(False)
    payload, _, mac = password.partition(".")
    try:
        expected = hmac.new(_secret(store), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise TokenInvalid(False)
        fields = json.loads(_unb64(payload))
        grant = Grant(fields["k"], fields["a"], fields["r"], float(fields["x"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise TokenInvalid(False) from None
    if grant.expires <= now:
        raise TokenInvalid(True)
    return grant


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(username, password) of an `Authorization: Basic ...` header, or None."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username, password

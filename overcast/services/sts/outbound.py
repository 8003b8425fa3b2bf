"""Outbound web identity tokens (GetWebIdentityToken): JWTs STS signs for an account that has
enabled IAM's outbound identity federation, with the claims AWS documents
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_outbound_token_claims.html).

Each account has one key per signing algorithm (RS256: RSA 2048, ES384: P-384), made on first
use and kept in the store; `jwks` is the key set AWS publishes at the issuer's
/.well-known/jwks.json, for verifying the tokens.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

#: The namespace AWS nests its own claims under.
NAMESPACE = "https://sts.amazonaws.com/"
DEFAULT_DURATION = 300
_ES384_BYTES = 48


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _new_key(algorithm: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1())


def _sign(algorithm: str, key: Any, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    if algorithm == "RS256":
        return bytes(key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA384())))
    return r.to_bytes(_ES384_BYTES, "big") + s.to_bytes(_ES384_BYTES, "big")


def _public_jwk(algorithm: str, key: Any, kid: str) -> dict[str, str]:
    public = key.public_key()
    if algorithm == "RS256":
        numbers = public.public_numbers()
        return {
            "kty": "RSA",
            "kid": kid,
            "use": "sig",
            "alg": algorithm,
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        }
    numbers = public.public_numbers()
    return {
        "kty": "EC",
        "kid": kid,
        "use": "sig",
        "alg": algorithm,
        "crv": "P-384",
        "x": b64url(numbers.x.to_bytes(_ES384_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(_ES384_BYTES, "big")),
    }


class Keys:
    """The accounts' signing keys, in the store table `table` (one row per account and
    algorithm: its key id and PEM)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def key(self, account: str, algorithm: str) -> tuple[str, Any]:
        from cryptography.hazmat.primitives import serialization

        row = self._table.get(account, algorithm)
        if row is None:
            key = _new_key(algorithm)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            row = {"kid": str(uuid.uuid4()), "pem": pem}
            self._table.put(account, algorithm, row)
        return row["kid"], serialization.load_pem_private_key(row["pem"].encode(), password=None)

    def jwks(self, account: str) -> dict[str, list[dict[str, str]]]:
        keys = []
        for algorithm in ("RS256", "ES384"):
            if self._table.get(account, algorithm) is not None:
                kid, key = self.key(account, algorithm)
                keys.append(_public_jwk(algorithm, key, kid))
        return {"keys": keys}

    def token(self, account: str, algorithm: str, claims: dict[str, Any]) -> str:
        kid, key = self.key(account, algorithm)
        header = {"alg": algorithm, "typ": "JWT", "kid": kid}
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        return f"{signing_input}.{b64url(_sign(algorithm, key, signing_input.encode()))}"


def claims(
    issuer: str,
    audience: list[str],
    subject: str,
    duration: int,
    account: str,
    region: str,
    principal_arn: str,
    principal_tags: dict[str, str],
    request_tags: dict[str, str],
    scope: str | None,
) -> dict[str, Any]:
    issued = int(time.time())
    aws: dict[str, Any] = {"aws_account": account, "source_region": region, "principal_id": principal_arn}
    if principal_tags:
        aws["principal_tags"] = principal_tags
    if request_tags:
        aws["request_tags"] = request_tags
    out: dict[str, Any] = {
        "iss": issuer,
        "aud": audience[0] if len(audience) == 1 else audience,
        "sub": subject,
        "iat": issued,
        "exp": issued + duration,
        "jti": str(uuid.uuid4()),
    }
    if scope:
        out["scope"] = scope
    out[NAMESPACE] = aws
    return out

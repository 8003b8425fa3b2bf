"""JWT verification as JWT authorizers do it, against a key set given in place of the
issuer's: signature (RS256 and ES256), issuer, audience or client_id, expiry, scopes."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from overcast.services.apigatewayv2 import jwt

ISSUER = "https://issuer.example"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def number(value: int, size: int | None = None) -> str:
    return b64(value.to_bytes(size or (value.bit_length() + 7) // 8, "big"))


class Keys(jwt.KeySets):
    def __init__(self, keys: list[dict]) -> None:
        super().__init__()
        self.fetched = 0
        self._keys = keys

    def _fetch(self, issuer: str) -> list[dict]:  # type: ignore[override]
        self.fetched += 1
        return self._keys


RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC = ec.generate_private_key(ec.SECP256R1())
RSA_JWK = {"kty": "RSA", "kid": "r", "n": number(RSA.public_key().public_numbers().n), "e": number(65537)}
EC_NUMBERS = EC.public_key().public_numbers()
EC_JWK = {
    "kty": "EC",
    "kid": "e",
    "crv": "P-256",
    "x": number(EC_NUMBERS.x, 32),
    "y": number(EC_NUMBERS.y, 32),
}


def token(kid: str = "r", alg: str = "RS256", **claims) -> str:
    body = {"iss": ISSUER, "aud": "app", "exp": time.time() + 60, **claims}
    signed = f"{b64(json.dumps({'alg': alg, 'kid': kid}).encode())}.{b64(json.dumps(body).encode())}"
    if alg == "RS256":
        signature = RSA.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(EC.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signed}.{b64(signature)}"


def test_valid_tokens_of_both_families():
    keys = Keys([RSA_JWK, EC_JWK])
    claims, scopes = jwt.verify(token(scope="a b"), ISSUER, ["app"], keys)
    assert claims["aud"] == "app" and scopes == ["a", "b"]
    claims, _ = jwt.verify(token("e", "ES256", aud=["other", "app"]), ISSUER, ["app"], keys)
    assert claims["iss"] == ISSUER
    assert jwt.verify(token(aud=None, client_id="app"), ISSUER, ["app"], keys)[0]["client_id"] == "app"
    assert keys.fetched == 1  # the key set is kept


@pytest.mark.parametrize(
    ("made", "reason"),
    [
        (lambda: token(aud="nobody"), "audience"),
        (lambda: token(iss="https://other"), "issuer"),
        (lambda: token(exp=time.time() - 1), "expired"),
        (lambda: token(nbf=time.time() + 600), "not valid yet"),
        (lambda: token("unknown"), "key id"),
        (lambda: token()[:-3] + "abc", "signature"),
        (lambda: "a.b", "not a JWT"),
    ],
)
def test_refusals(made, reason):
    with pytest.raises(jwt.JwtRefused) as refused:
        jwt.verify(made(), ISSUER, ["app"], Keys([RSA_JWK]))
    assert reason in str(refused.value) and refused.value.status == 401


def test_missing_scope_is_forbidden():
    with pytest.raises(jwt.JwtRefused) as refused:
        jwt.verify(token(scope="read"), ISSUER, ["app"], Keys([RSA_JWK]), scopes=["admin"])
    assert refused.value.status == 403
    assert jwt.verify(token(scp=["admin"]), ISSUER, ["app"], Keys([RSA_JWK]), scopes=["admin"])[1] == [
        "admin"
    ]

"""JWT authorizers: a token verified as API Gateway does — its signature against the issuer's
JSON Web Key Set (found through `{issuer}/.well-known/openid-configuration`, fetched over HTTP
and kept for a while), then `iss`, `aud` (or `client_id`), `exp`, `nbf` and `iat`, and the
route's authorization scopes against `scope`/`scp`."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

#: How long a fetched key set is used before it is fetched again (AWS caches it too).
JWKS_TTL = 120.0
_HASHES: dict[str, Any] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_CURVES: dict[str, Any] = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}


class JwtRefused(Exception):
    """The token is not acceptable: 401 Unauthorized (or 403 Forbidden for missing scopes)."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.status = status


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int(text: str) -> int:
    return int.from_bytes(_b64(text), "big")


class KeySets:
    """The issuers' key sets, fetched on first use and refreshed after JWKS_TTL or when a
    token names a key id the cached set lacks."""

    def __init__(self) -> None:
        self._sets: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._sets.clear()

    def keys(self, issuer: str, refresh: bool = False) -> dict[str, Any]:
        with self._lock:
            cached = self._sets.get(issuer)
        if cached is not None and not refresh and time.monotonic() - cached[0] < JWKS_TTL:
            return cached[1]
        keys = {str(key.get("kid", "")): key for key in self._fetch(issuer)}
        with self._lock:
            self._sets[issuer] = (time.monotonic(), keys)
        return keys

    @staticmethod
    def _fetch(issuer: str) -> list[dict[str, Any]]:
        try:
            discovery = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
            uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
            if not uri:
                raise JwtRefused("the issuer names no jwks_uri")
            found = _get_json(uri)
        except (OSError, ValueError) as error:
            raise JwtRefused(f"the issuer's keys could not be fetched: {error}") from None
        keys = found.get("keys") if isinstance(found, dict) else None
        if not isinstance(keys, list):
            raise JwtRefused("the issuer's key set has no keys")
        return [key for key in keys if isinstance(key, dict)]


def _get_json(url: str) -> Any:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read(1 << 20))


def _verify_signature(key: dict[str, Any], algorithm: str, signed: bytes, signature: bytes) -> None:
    family, size = algorithm[:2], algorithm[2:]
    digest = _HASHES.get(size)
    if digest is None:
        raise JwtRefused(f"unsupported algorithm {algorithm}")
    try:
        if family in ("RS", "PS") and key.get("kty") == "RSA":
            public = rsa.RSAPublicNumbers(_int(key["e"]), _int(key["n"])).public_key()
            pad = (
                padding.PKCS1v15()
                if family == "RS"
                else padding.PSS(mgf=padding.MGF1(digest()), salt_length=padding.PSS.DIGEST_LENGTH)
            )
            public.verify(signature, signed, pad, digest())
        elif family == "ES" and key.get("kty") == "EC":
            curve = _CURVES[key["crv"]]()
            point = ec.EllipticCurvePublicNumbers(_int(key["x"]), _int(key["y"]), curve).public_key()
            half = len(signature) // 2
            der = encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
            point.verify(der, signed, ec.ECDSA(digest()))
        else:
            raise JwtRefused(f"the key does not fit algorithm {algorithm}")
    except (InvalidSignature, KeyError, ValueError):
        raise JwtRefused("the signature does not verify") from None


def verify(
    token: str,
    issuer: str,
    audiences: list[str],
    key_sets: KeySets,
    scopes: list[str] | None = None,
    moment: float | None = None,
) -> tuple[dict[str, Any], list[str] | None]:
    """(claims, scopes) of a valid token; JwtRefused otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtRefused("not a JWT")
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
        signature = _b64(parts[2])
    except ValueError:
        raise JwtRefused("the token does not decode") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JwtRefused("the token does not decode")
    algorithm = str(header.get("alg") or "")
    kid = str(header.get("kid") or "")
    keys = key_sets.keys(issuer)
    key = keys.get(kid)
    if key is None:
        key = key_sets.keys(issuer, refresh=True).get(kid)
    if key is None and not kid and len(keys) == 1:
        key = next(iter(keys.values()))
    if key is None:
        raise JwtRefused("no key of the issuer has this key id")
    _verify_signature(key, algorithm, f"{parts[0]}.{parts[1]}".encode(), signature)
    if claims.get("iss") != issuer:
        raise JwtRefused("the issuer does not match")
    audience = claims["aud"] if claims.get("aud") is not None else claims.get("client_id")
    given = audience if isinstance(audience, list) else [audience]
    if not any(value in audiences for value in given):
        raise JwtRefused("the audience does not match")
    moment = time.time() if moment is None else moment
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= moment:
        raise JwtRefused("the token has expired")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > moment:
        raise JwtRefused("the token is not valid yet")
    if isinstance(claims.get("iat"), (int, float)) and claims["iat"] > moment + 300:
        raise JwtRefused("the token was issued in the future")
    held = claims.get("scope", claims.get("scp"))
    token_scopes = (
        held.split() if isinstance(held, str) else [str(s) for s in held] if isinstance(held, list) else None
    )
    if scopes:
        if not token_scopes or not any(scope in token_scopes for scope in scopes):
            raise JwtRefused("the token lacks the route's scopes", 403)
    return claims, token_scopes

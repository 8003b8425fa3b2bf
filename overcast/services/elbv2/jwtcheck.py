"""The jwt-validation action: a bearer token verified as ALB does — its signature against the
key set at the action's JwksEndpoint (fetched over HTTP and kept for a while), `iss` against
the action's Issuer, `exp` and `nbf`, then the action's additional claims. The signature
check itself is the one API Gateway's JWT authorizers use."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from typing import Any

from overcast.services.apigatewayv2.jwt import JwtRefused, _verify_signature

JWKS_TTL = 120.0
_sets: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _keys(endpoint: str, refresh: bool = False) -> dict[str, Any]:
    with _lock:
        cached = _sets.get(endpoint)
    if cached is not None and not refresh and time.monotonic() - cached[0] < JWKS_TTL:
        return cached[1]
    if not endpoint.startswith(("http://", "https://")):
        raise JwtRefused("the JWKS endpoint is not an HTTP URL")
    try:
        with urllib.request.urlopen(endpoint, timeout=5) as answer:
            found = json.loads(answer.read(1 << 20))
    except (OSError, ValueError):
        raise JwtRefused("the key set could not be fetched") from None
    keys = {str(k.get("kid", "")): k for k in (found.get("keys") or []) if isinstance(k, dict)}
    with _lock:
        _sets[endpoint] = (time.monotonic(), keys)
    return keys


def _claim_matches(claims: dict[str, Any], wanted: dict[str, Any]) -> bool:
    value = claims.get(wanted.get("Name") or "")
    if value is None:
        return False
    kind = wanted.get("Format") or "single-string"
    if kind == "string-array":
        held = [str(v) for v in value] if isinstance(value, list) else []
    elif kind == "space-separated-values":
        held = str(value).split()
    else:
        held = [str(value)]
    return any(v in held for v in wanted.get("Values") or [])


def verify(token: str, config: dict[str, Any], moment: float | None = None) -> dict[str, Any]:
    """The claims of a token the action accepts; JwtRefused otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtRefused("not a JWT")
    try:
        header, claims, signature = json.loads(_b64(parts[0])), json.loads(_b64(parts[1])), _b64(parts[2])
    except ValueError:
        raise JwtRefused("the token does not decode") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JwtRefused("the token does not decode")
    kid = str(header.get("kid") or "")
    keys = _keys(config["JwksEndpoint"])
    key = keys.get(kid) or _keys(config["JwksEndpoint"], refresh=True).get(kid)
    if key is None and not kid and len(keys) == 1:
        key = next(iter(keys.values()))
    if key is None:
        raise JwtRefused("no key has this key id")
    _verify_signature(key, str(header.get("alg") or ""), f"{parts[0]}.{parts[1]}".encode(), signature)
    if claims.get("iss") != config["Issuer"]:
        raise JwtRefused("the issuer does not match")
    moment = time.time() if moment is None else moment
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= moment:
        raise JwtRefused("the token has expired")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > moment:
        raise JwtRefused("the token is not valid yet")
    for wanted in config.get("AdditionalClaims") or []:
        if not _claim_matches(claims, wanted):
            raise JwtRefused(f"the claim {wanted.get('Name')} does not match")
    return claims

"""Signed URLs and signed cookies (trusted key groups): RSA-SHA1 signatures over a canned
policy (Expires) or a custom policy (Policy, with DateLessThan, DateGreaterThan, IpAddress
and a wildcarded Resource), AWS's URL-safe base64 (+ → -, = → _, / → ~)."""

from __future__ import annotations

import base64
import fnmatch
import ipaddress
import json
import time
from functools import lru_cache
from http.cookies import SimpleCookie
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: The query parameters a signed URL adds (left out of the URL the policy names).
SIGNING_PARAMETERS = ("Expires", "Policy", "Signature", "Key-Pair-Id")


class Refused(Exception):
    """Why the request is refused: CloudFront's error code and message (HTTP 403)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _unsafe_b64(text: str) -> bytes:
    cleaned = text.replace("-", "+").replace("_", "=").replace("~", "/")
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))


@lru_cache(maxsize=256)
def _public_key(encoded: str) -> rsa.RSAPublicKey | None:
    try:
        key = serialization.load_pem_public_key(encoded.encode())
    except ValueError:
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def canned_policy(resource: str, expires: int) -> str:
    return json.dumps(
        {"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
        separators=(",", ":"),
    )


def credentials(query: dict[str, list[str]], cookie_header: str) -> dict[str, str]:
    """The signature's parts, from the query string or else the CloudFront-* cookies."""
    found = {name: query[name][0] for name in SIGNING_PARAMETERS if query.get(name)}
    if found:
        return found
    if not cookie_header:
        return {}
    cookies = SimpleCookie()
    try:
        cookies.load(cookie_header)
    except Exception:
        return {}
    return {
        name: cookies["CloudFront-" + name].value
        for name in SIGNING_PARAMETERS
        if "CloudFront-" + name in cookies
    }


def verify(
    parts: dict[str, str],
    resources: list[str],
    keys: dict[str, str],
    client_ip: str,
    moment: float | None = None,
) -> None:
    """Raise Refused unless `parts` carry a valid signature, by one of `keys` (public key id →
    PEM), of a policy that lets one of `resources` (the URL as asked) be read now."""
    moment = time.time() if moment is None else moment
    key_id = parts.get("Key-Pair-Id")
    if not key_id:
        raise Refused("MissingKey", "Missing Key-Pair-Id query parameter or cookie value")
    signature = parts.get("Signature")
    if not signature:
        raise Refused("MissingKey", "Missing Signature query parameter or cookie value")
    encoded = keys.get(key_id)
    if encoded is None:
        raise Refused("InvalidKey", "Unknown Key")
    public_key = _public_key(encoded)
    if public_key is None:
        raise Refused("InvalidKey", "Unknown Key")
    try:
        raw_signature = _unsafe_b64(signature)
    except ValueError:
        raise Refused("MalformedSignature", "Could not unencode Signature") from None
    if "Policy" in parts:
        try:
            policy_text = _unsafe_b64(parts["Policy"]).decode()
            policy = json.loads(policy_text)
        except ValueError:
            raise Refused("MalformedPolicy", "Malformed Policy") from None
        _check_signature(public_key, raw_signature, policy_text.encode())
        _check_custom(policy, resources, client_ip, moment)
        return
    expires = parts.get("Expires", "")
    if not expires.isdigit():
        raise Refused("MissingKey", "Missing Expires query parameter or cookie value")
    for resource in resources:
        try:
            _check_signature(public_key, raw_signature, canned_policy(resource, int(expires)).encode())
        except Refused:
            continue
        if int(expires) <= moment:
            raise Refused("AccessDenied", "Access denied")
        return
    raise Refused("AccessDenied", "Access denied")


def _check_signature(key: rsa.RSAPublicKey, signature: bytes, message: bytes) -> None:
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA1())
    except InvalidSignature:
        raise Refused("AccessDenied", "Access denied") from None


def _check_custom(policy: Any, resources: list[str], client_ip: str, moment: float) -> None:
    try:
        statement = policy["Statement"][0]
        condition = statement.get("Condition") or {}
        before = int(condition["DateLessThan"]["AWS:EpochTime"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise Refused("MalformedPolicy", "Malformed Policy") from None
    pattern = statement.get("Resource", "*")
    if not any(fnmatch.fnmatchcase(resource, pattern) for resource in resources):
        raise Refused("AccessDenied", "Access denied")
    if moment >= before:
        raise Refused("AccessDenied", "Access denied")
    after = (condition.get("DateGreaterThan") or {}).get("AWS:EpochTime")
    if after is not None and moment <= int(after):
        raise Refused("AccessDenied", "Access denied")
    source = (condition.get("IpAddress") or {}).get("AWS:SourceIp")
    if source:
        try:
            if ipaddress.ip_address(client_ip) not in ipaddress.ip_network(source, strict=False):
                raise Refused("AccessDenied", "Access denied")
        except ValueError:
            raise Refused("AccessDenied", "Access denied") from None

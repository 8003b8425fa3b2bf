"""JSON Web Signatures as ACME uses them (RFC 8555 §6.2, RFC 7515): flattened JSON, ES256/
ES384/RS256 with the key in `jwk` or named by `kid`, HS256 for external account binding, and
JWK thumbprints (RFC 7638)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


class JwsError(ValueError):
    """A message that is not a valid JWS: (ACME error type, detail)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_CURVES = {"P-256": (ec.SECP256R1, hashes.SHA256, 32), "P-384": (ec.SECP384R1, hashes.SHA384, 48)}


def public_key(jwk: dict[str, Any]) -> Any:
    try:
        if jwk.get("kty") == "EC" and jwk.get("crv") in _CURVES:
            curve = _CURVES[jwk["crv"]][0]()
            x, y = (int.from_bytes(b64decode(jwk[k]), "big") for k in ("x", "y"))
            return ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
        if jwk.get("kty") == "RSA":
            n, e = (int.from_bytes(b64decode(jwk[k]), "big") for k in ("n", "e"))
            return rsa.RSAPublicNumbers(e, n).public_key()
    except (KeyError, ValueError, TypeError):
        pass
    raise JwsError("badPublicKey", "The JWK is not a supported public key.")


def thumbprint(jwk: dict[str, Any]) -> str:
    members = ("crv", "kty", "x", "y") if jwk.get("kty") == "EC" else ("e", "kty", "n")
    canonical = json.dumps({k: jwk[k] for k in members}, separators=(",", ":"), sort_keys=True)
    return b64encode(hashlib.sha256(canonical.encode()).digest())


def parse(body: bytes) -> tuple[dict[str, Any], bytes, dict[str, Any]]:
    """(protected header, payload bytes, the message) of a flattened JWS."""
    try:
        message = json.loads(body)
        protected = json.loads(b64decode(message["protected"]))
        payload = b64decode(message["payload"]) if message["payload"] else b""
        b64decode(message["signature"])
    except (ValueError, KeyError, TypeError):
        raise JwsError("malformed", "The request is not a flattened JWS.") from None
    if not isinstance(protected, dict):
        raise JwsError("malformed", "The protected header is not an object.")
    return protected, payload, message


def verify(message: dict[str, Any], protected: dict[str, Any], key: Any) -> None:
    signed = f"{message['protected']}.{message['payload']}".encode()
    signature = b64decode(message["signature"])
    alg = protected.get("alg")
    try:
        if alg in ("ES256", "ES384") and isinstance(key, ec.EllipticCurvePublicKey):
            size = 32 if alg == "ES256" else 48
            if len(signature) != 2 * size:
                raise InvalidSignature
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            digest = hashes.SHA256() if alg == "ES256" else hashes.SHA384()
            key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(digest))
            return
        if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
            return
    except InvalidSignature:
        raise JwsError("malformed", "The JWS signature is not valid.") from None
    raise JwsError("badSignatureAlgorithm", f"The signature algorithm {alg} is not supported.")


def verify_hmac(message: dict[str, Any], secret: bytes) -> dict[str, Any]:
    """The protected header of an HS256 JWS signed with `secret` (external account binding)."""
    try:
        protected = json.loads(b64decode(message["protected"]))
        signature = b64decode(message["signature"])
    except (ValueError, KeyError, TypeError):
        raise JwsError("malformed", "The external account binding is not a JWS.") from None
    if protected.get("alg") != "HS256":
        raise JwsError("malformed", "The external account binding must be signed with HS256.")
    expected = hmac.new(
        secret, f"{message['protected']}.{message['payload']}".encode(), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(expected, signature):
        raise JwsError("unauthorized", "The external account binding's MAC is not valid.")
    return dict(protected)

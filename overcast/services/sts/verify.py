"""Signatures of identity-provider tokens, checked when IAM is enforced: an OIDC JWT against the
issuer's JWKS (found through its /.well-known/openid-configuration), a SAML response against
the signing certificate in the SAML provider's metadata document."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import cast
from urllib.parse import urlparse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from overcast.common import jsontext
from overcast.errors import ServiceError

_FETCH_TIMEOUT = 5.0
_KEYS_TTL = 600.0
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_CURVES: dict[str, Callable[[], ec.EllipticCurve]] = {
    "P-256": ec.SECP256R1,
    "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1,
}
#: issuer → (fetched at, JWKS keys)
_jwks_cache: dict[str, tuple[float, list[dict]]] = {}


def _unreachable() -> ServiceError:
    return ServiceError(
        "IDPCommunicationError",
        "Couldn't retrieve verification key from your identity provider,  "
        "please reference AssumeRoleWithWebIdentity documentation for requirements",
        400,
    )


def _bad_signature() -> ServiceError:
    return ServiceError("InvalidIdentityToken", "The web identity token signature could not be verified", 400)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fetch_json(url: str, thumbprints: list[str]) -> dict:
    """GET a JSON document over HTTPS. A certificate no trusted CA vouches for is accepted when
    the SHA-1 thumbprint of the top certificate the server presents is one the IAM OIDC provider
    lists (for a self-signed certificate: the certificate itself), as IAM documents."""
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise _unreachable()
    try:
        with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT) as response:
            return jsontext.loads(response.read())
    except urllib.error.URLError as error:
        if not isinstance(error.reason, ssl.SSLError):
            raise _unreachable() from None
    except (OSError, ValueError):
        raise _unreachable() from None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((parsed.hostname, parsed.port or 443), timeout=_FETCH_TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=parsed.hostname) as tls,
        ):
            certificate = tls.getpeercert(binary_form=True)
    except OSError:
        raise _unreachable() from None
    trusted = {t.lower() for t in thumbprints}
    # A server that shows no certificate matches no thumbprint.
    if certificate is None or hashlib.sha1(certificate).hexdigest().lower() not in trusted:
        raise ServiceError(
            "InvalidIdentityToken",
            "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
            400,
        )
    try:
        with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT, context=context) as response:
            return jsontext.loads(response.read())
    except (OSError, ValueError):
        raise _unreachable() from None


def _issuer_keys(issuer: str, thumbprints: list[str], refresh: bool) -> list[dict]:
    cached = _jwks_cache.get(issuer)
    if cached is not None and not refresh and time.monotonic() - cached[0] < _KEYS_TTL:
        return cached[1]
    discovery = _fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration", thumbprints)
    jwks_uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
    if not isinstance(jwks_uri, str):
        raise _unreachable()
    jwks = _fetch_json(jwks_uri, thumbprints)
    keys = [k for k in (jwks.get("keys") if isinstance(jwks, dict) else None) or [] if isinstance(k, dict)]
    _jwks_cache[issuer] = (time.monotonic(), keys)
    return keys


def _verify_with(key: dict, algorithm: str, signed: bytes, signature: bytes) -> bool:
    family, bits = algorithm[:2], algorithm[2:]
    digest = _HASHES.get(bits)
    if digest is None:
        return False
    try:
        if family in ("RS", "PS") and key.get("kty") == "RSA":
            rsa_key = rsa.RSAPublicNumbers(
                int.from_bytes(_b64(key["e"]), "big"), int.from_bytes(_b64(key["n"]), "big")
            ).public_key()
            pad = (
                padding.PKCS1v15()
                if family == "RS"
                else padding.PSS(padding.MGF1(digest()), digest().digest_size)
            )
            rsa_key.verify(signature, signed, pad, digest())
            return True
        if family == "ES" and key.get("kty") == "EC" and key.get("crv") in _CURVES:
            ec_key = ec.EllipticCurvePublicNumbers(
                int.from_bytes(_b64(key["x"]), "big"),
                int.from_bytes(_b64(key["y"]), "big"),
                _CURVES[key["crv"]](),
            ).public_key()
            half = len(signature) // 2
            der = encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
            ec_key.verify(der, signed, ec.ECDSA(digest()))
            return True
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return False


def _check_jwt(token: str, issuer: str, thumbprints: list[str]) -> None:
    head, body, signature = token.split(".")
    try:
        header = jsontext.loads(_b64(head))
        raw_signature = _b64(signature)
    except ValueError:
        raise _bad_signature() from None
    algorithm = header.get("alg", "") if isinstance(header, dict) else ""
    kid = header.get("kid") if isinstance(header, dict) else None
    signed = f"{head}.{body}".encode()
    for refresh in (False, True):  # a key id not seen yet: the issuer may have rotated its keys
        keys = _issuer_keys(issuer, thumbprints, refresh)
        candidates = [k for k in keys if kid is None or k.get("kid") == kid]
        if candidates or refresh:
            break
    if not any(_verify_with(key, algorithm, signed, raw_signature) for key in candidates):
        raise _bad_signature()


async def check_jwt(token: str, issuer: str, thumbprints: list[str]) -> None:
    """Raise InvalidIdentityToken unless one of the issuer's published keys signed the token
    (IDPCommunicationError when those keys cannot be fetched)."""
    await asyncio.to_thread(_check_jwt, token, issuer, thumbprints)


# -- SAML ---------------------------------------------------------------------------------------

_DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
_MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


def signing_certificates(metadata: str) -> list[str]:
    """PEM certificates a SAML provider's metadata names for signing."""
    import xml.etree.ElementTree as ElementTree

    try:
        root = ElementTree.fromstring(metadata)
    except ElementTree.ParseError:
        return []
    found = []
    for descriptor in root.iter(f"{_MD}KeyDescriptor"):
        if descriptor.get("use", "signing") != "signing":
            continue
        for element in descriptor.iter(f"{_DSIG}X509Certificate"):
            body = "".join((element.text or "").split())
            if body:
                lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
                found.append(f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n")
    return found


def verified_saml(document: bytes, metadata: str) -> bytes:
    """The XML the provider's certificate vouches for (the signed Response or Assertion), or
    InvalidIdentityToken. Only what the signature covers is read afterwards, so an unsigned
    assertion wrapped around a signed one cannot slip through."""
    from lxml import etree
    from signxml import XMLVerifier
    from signxml.exceptions import InvalidInput
    from signxml.exceptions import InvalidSignature as InvalidXmlSignature
    from signxml.verifier import VerifyResult

    problem = ServiceError("InvalidIdentityToken", "Response signature invalid", 400)
    certificates = signing_certificates(metadata)
    if not certificates:
        raise problem
    try:
        tree = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        raise ServiceError("InvalidIdentityToken", "Invalid SAML response", 400) from None
    for certificate in certificates:
        try:
            # One signed reference is expected (the default), so there is one result, not a list.
            result = cast(VerifyResult, XMLVerifier().verify(tree, x509_cert=certificate))
        except (InvalidXmlSignature, InvalidInput, ValueError):
            continue
        return etree.tostring(result.signed_xml)
    raise problem

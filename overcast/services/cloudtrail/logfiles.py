"""The files a trail delivers to S3: gzip JSON log files and signed digest files, named and
shaped as CloudTrail names and shapes them, and the RSA key pair digests are signed with
(SHA256withRSA, PKCS#1 v1.5; pure Python, so no crypto library is needed)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import secrets
import string
from datetime import UTC, datetime

from overcast.common.times import iso_seconds

_ALNUM = string.ascii_letters + string.digits


def _prefix(key_prefix: str | None) -> str:
    return f"{key_prefix.strip('/')}/" if key_prefix and key_prefix.strip("/") else ""


def log_file_key(key_prefix: str | None, account: str, region: str, when: datetime) -> str:
    """AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_RANDOM.json.gz"""
    when = when.astimezone(UTC)
    unique = "".join(secrets.choice(_ALNUM) for _ in range(16))
    return (
        f"{_prefix(key_prefix)}AWSLogs/{account}/CloudTrail/{region}/{when:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{when:%Y%m%dT%H%M}Z_{unique}.json.gz"
    )


def digest_file_key(
    key_prefix: str | None, account: str, region: str, trail_name: str, home_region: str, end: datetime
) -> str:
    """AWSLogs/ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/
    ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHmmssZ.json.gz"""
    end = end.astimezone(UTC)
    return (
        f"{_prefix(key_prefix)}AWSLogs/{account}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
        f"{account}_CloudTrail-Digest_{region}_{trail_name}_{home_region}_{end:%Y%m%dT%H%M%S}Z.json.gz"
    )


def log_file(event_json: list[str]) -> tuple[bytes, bytes]:
    """(uncompressed, gzipped) of a log file holding these events (each already JSON)."""
    raw = ('{"Records":[' + ",".join(event_json) + "]}").encode()
    return raw, gzip.compress(raw, mtime=0)


def iso(when: datetime) -> str:
    return iso_seconds(when)


def digest_file(
    *,
    account: str,
    start: datetime,
    end: datetime,
    bucket: str,
    key: str,
    fingerprint: str,
    previous: dict | None,
    logs: list[dict],
) -> bytes:
    """The digest JSON (uncompressed). `previous` is the last digest's bucket, key, hash and
    signature (None for a trail's first digest); `logs` the log files delivered since."""
    newest = max((entry["newestEventTime"] for entry in logs), default=None)
    oldest = min((entry["oldestEventTime"] for entry in logs), default=None)
    document = {
        "awsAccountId": account,
        "digestStartTime": iso(start),
        "digestEndTime": iso(end),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": fingerprint,
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": newest,
        "oldestEventTime": oldest,
        "previousDigestS3Bucket": previous["bucket"] if previous else None,
        "previousDigestS3Object": previous["key"] if previous else None,
        "previousDigestHashValue": previous["hash"] if previous else None,
        "previousDigestHashAlgorithm": "SHA-256" if previous else None,
        "previousDigestSignature": previous["signature"] if previous else None,
        "logFiles": [
            {
                "s3Bucket": entry["s3Bucket"],
                "s3Object": entry["s3Object"],
                "hashValue": entry["hashValue"],
                "hashAlgorithm": "SHA-256",
                "newestEventTime": entry["newestEventTime"],
                "oldestEventTime": entry["oldestEventTime"],
            }
            for entry in logs
        ],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def signing_string(
    end: datetime, bucket: str, key: str, digest: bytes, previous_signature: str | None
) -> bytes:
    """What CloudTrail signs: end time, the digest's S3 path, the hex SHA-256 of the digest
    content and the previous digest's signature ("null" for the first), one per line."""
    return "\n".join(
        (iso(end), f"{bucket}/{key}", hashlib.sha256(digest).hexdigest(), previous_signature or "null")
    ).encode()


# -- RSA ------------------------------------------------------------------------------------------

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]
# DigestInfo prefix for SHA-256 (RFC 8017 §9.2, note 1).
_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def _probable_prime(n: int) -> bool:
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(40):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = int.from_bytes(os.urandom(bits // 8), "big") | (3 << (bits - 2)) | 1
        if _probable_prime(candidate):
            return candidate


def generate_key(bits: int = 2048) -> dict:
    """A new RSA key: {"n", "e", "d"} as ints."""
    e = 65537
    while True:
        p, q = _prime(bits // 2), _prime(bits // 2)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            n = p * q
            if n.bit_length() == bits:
                return {"n": n, "e": e, "d": pow(e, -1, phi)}


def sign(key: dict, message: bytes) -> str:
    """Hex SHA256withRSA (PKCS#1 v1.5) signature."""
    n, d = key["n"], key["d"]
    size = (n.bit_length() + 7) // 8
    info = _SHA256_PREFIX + hashlib.sha256(message).digest()
    encoded = b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
    return pow(int.from_bytes(encoded, "big"), d, n).to_bytes(size, "big").hex()


def verify(public: dict, message: bytes, signature_hex: str) -> bool:
    n, e = public["n"], public["e"]
    size = (n.bit_length() + 7) // 8
    info = _SHA256_PREFIX + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
    return pow(int(signature_hex, 16), e, n).to_bytes(size, "big") == expected


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + _der_length(len(body)) + body


def public_key_der(key: dict) -> bytes:
    """The public key as DER RSAPublicKey (PKCS#1), as ListPublicKeys returns it."""
    body = _der_integer(key["n"]) + _der_integer(key["e"])
    return b"\x30" + _der_length(len(body)) + body


def fingerprint(key: dict) -> str:
    return hashlib.md5(public_key_der(key)).hexdigest()

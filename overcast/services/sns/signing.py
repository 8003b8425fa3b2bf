"""The key SNS signs its messages with, and the certificate subscribers verify them against.

One RSA key and a self-signed certificate are made the first time SNS runs on a data dir and
kept in the store (an ephemeral Overcast makes a fresh pair each start). The certificate is
served at the SigningCertURL of every message, so the usual verification recipe (fetch the
PEM, rebuild the string to sign, check the signature with SHA1 for SignatureVersion 1 and
SHA256 for 2) succeeds against Overcast's messages.

The key is 1024 bits rather than AWS's 2048: signing is on the path of every Publish, the
smaller key signs three times faster, and it protects nothing here (the certificate is
self-signed, so no one can mistake it for Amazon's).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 1024
_STORE_SCOPE = "signing"
_STORE_KEY = "certificate"


class Signer:
    def __init__(self, table) -> None:
        self._table = table
        self._load()

    def _load(self) -> None:
        saved = self._table.get(_STORE_SCOPE, _STORE_KEY)
        if saved is None:
            saved = _new_pair()
            self._table.put(_STORE_SCOPE, _STORE_KEY, saved)
        # The stored key is the RSA key _new_pair() made.
        self._key = cast(
            rsa.RSAPrivateKey, serialization.load_pem_private_key(saved["key"].encode(), password=None)
        )
        self.certificate_pem: bytes = saved["certificate"].encode()
        self.file_name = f"SimpleNotificationService-{hashlib.md5(self.certificate_pem).hexdigest()}.pem"
        self._padding = padding.PKCS1v15()
        self._hashes = {"1": hashes.SHA1(), "2": hashes.SHA256()}

    def reload(self) -> None:
        """After a state reset or import: the pair of the new state (or a new one)."""
        self._load()

    def sign(self, text: str, version: str) -> str:
        algorithm = self._hashes.get(version) or self._hashes["1"]
        return base64.b64encode(self._key.sign(text.encode(), self._padding, algorithm)).decode()


def _new_pair() -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Overcast"),
        x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com"),
    ])  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("sns.amazonaws.com")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return {
        "key": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
    }


def string_to_sign(message: dict) -> str:
    """The canonical text AWS signs: named fields in order, each "Name\\nvalue\\n"."""
    names: tuple[str, ...]
    if message["Type"] == "Notification":
        names = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    else:
        names = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
    return "".join(f"{name}\n{message[name]}\n" for name in names if message.get(name) is not None)

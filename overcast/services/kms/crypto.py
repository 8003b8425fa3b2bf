"""KMS's cryptography, on the `cryptography` package: key material per key spec, the symmetric
ciphertext blob, asymmetric encryption, signatures, MACs and ECDH.

The symmetric ciphertext blob is Overcast's own format (AWS's is undocumented), laid out so
that Decrypt needs no KeyId, as AWS's does:

    version (1) | key id (36, ASCII) | key material id (32) | nonce (12) | AES-256-GCM output

The header and the canonical encryption context are the GCM associated data, so a changed
byte or another context fails the tag check (InvalidCiphertextException).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_quote = json.encoder.encode_basestring_ascii

BLOB_VERSION = 1
KEY_ID_LENGTH = 36
MATERIAL_ID_LENGTH = 32
NONCE_LENGTH = 12
HEADER_LENGTH = 1 + KEY_ID_LENGTH + MATERIAL_ID_LENGTH + NONCE_LENGTH
TAG_LENGTH = 16


@dataclass(frozen=True)
class Spec:
    """What a key spec can do: its key usages and the algorithms of each."""

    usages: tuple[str, ...]
    encryption: tuple[str, ...] = ()
    signing: tuple[str, ...] = ()
    mac: tuple[str, ...] = ()
    agreement: tuple[str, ...] = ()
    #: RSA modulus bits, EC curve, or HMAC key bytes.
    size: int = 0
    curve: ec.EllipticCurve | None = field(default=None, compare=False)


_RSA_SIGNING = (
    "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
)  # fmt: skip
_RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")


def _rsa(bits: int) -> Spec:
    return Spec(("ENCRYPT_DECRYPT", "SIGN_VERIFY"), _RSA_ENCRYPTION, _RSA_SIGNING, size=bits)


def _ecc(curve: ec.EllipticCurve, algorithm: str, agreement: bool = True) -> Spec:
    usages = ("SIGN_VERIFY", "KEY_AGREEMENT") if agreement else ("SIGN_VERIFY",)
    return Spec(usages, signing=(algorithm,), agreement=("ECDH",) if agreement else (), curve=curve)


SPECS: dict[str, Spec] = {
    "SYMMETRIC_DEFAULT": Spec(("ENCRYPT_DECRYPT",), ("SYMMETRIC_DEFAULT",), size=32),
    "RSA_2048": _rsa(2048),
    "RSA_3072": _rsa(3072),
    "RSA_4096": _rsa(4096),
    "ECC_NIST_P256": _ecc(ec.SECP256R1(), "ECDSA_SHA_256"),
    "ECC_NIST_P384": _ecc(ec.SECP384R1(), "ECDSA_SHA_384"),
    "ECC_NIST_P521": _ecc(ec.SECP521R1(), "ECDSA_SHA_512"),
    "ECC_SECG_P256K1": _ecc(ec.SECP256K1(), "ECDSA_SHA_256", agreement=False),
    "ECC_NIST_EDWARDS25519": Spec(("SIGN_VERIFY",), signing=("ED25519_SHA_512",)),
    "HMAC_224": Spec(("GENERATE_VERIFY_MAC",), mac=("HMAC_SHA_224",), size=28),
    "HMAC_256": Spec(("GENERATE_VERIFY_MAC",), mac=("HMAC_SHA_256",), size=32),
    "HMAC_384": Spec(("GENERATE_VERIFY_MAC",), mac=("HMAC_SHA_384",), size=48),
    "HMAC_512": Spec(("GENERATE_VERIFY_MAC",), mac=("HMAC_SHA_512",), size=64),
}

#: Key specs the model names that this KMS cannot make (no SM2 in `cryptography`; the
#: post-quantum specs are not offered here yet): refused as AWS refuses a spec it lacks.
UNSUPPORTED_SPECS = frozenset(
    {"SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"}
)

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_1": hashes.SHA1,
    "SHA_224": hashes.SHA224,
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}


def _hash_of(algorithm: str) -> hashes.HashAlgorithm:
    return _HASHES["SHA_" + algorithm.rsplit("_", 1)[-1]]()


def new_material(key_spec: str) -> bytes:
    """Fresh key material: raw secret bytes, or the private key as PKCS#8 DER."""
    spec = SPECS[key_spec]
    if key_spec == "SYMMETRIC_DEFAULT" or key_spec.startswith("HMAC_"):
        return os.urandom(spec.size)
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    if key_spec.startswith("RSA_"):
        private = rsa.generate_private_key(65537, spec.size)
    elif spec.curve is not None:
        private = ec.generate_private_key(spec.curve)
    else:
        private = ed25519.Ed25519PrivateKey.generate()
    return private_der(private)


def private_der(private: Any) -> bytes:
    return private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private(material: bytes) -> Any:
    return serialization.load_der_private_key(material, None)


def public_der(material: bytes) -> bytes:
    """The SubjectPublicKeyInfo DER of an asymmetric key, as GetPublicKey returns it."""
    return (
        load_private(material)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def material_id(material: bytes) -> str:
    """The 64-hex-digit KeyMaterialId AWS gives a key material: here a digest of it, so that
    the same material imported twice is recognised."""
    return hashlib.sha256(b"overcast-kms-material" + material).hexdigest()


# -- the symmetric blob ---------------------------------------------------------------------------


class BadCiphertext(Exception):
    """The blob is not one of ours, or fails authentication."""


class BlobHeader(NamedTuple):
    key_id: str
    material_id: str


def canonical_context(context: Mapping[str, str] | None) -> bytes:
    """The context as compact JSON with sorted keys (the bytes bound into every blob: they must
    never change). Built from the string escaper json.dumps itself uses, a few times faster
    than json.dumps on the hot path of every Encrypt and Decrypt."""
    if not context:
        return b"{}"
    items = sorted(context.items())
    if all(type(name) is str and type(value) is str for name, value in items):
        return ("{" + ",".join([_quote(name) + ":" + _quote(value) for name, value in items]) + "}").encode()
    return json.dumps(dict(items), separators=(",", ":")).encode()


def _cipher(material: bytes) -> AESGCM:
    """The AES-GCM cipher of a key material, made once (its key schedule is not free)."""
    cipher = _CIPHERS.get(material)
    if cipher is None:
        if len(_CIPHERS) >= 4096:
            _CIPHERS.clear()
        cipher = _CIPHERS[material] = AESGCM(material)
    return cipher


_CIPHERS: dict[bytes, AESGCM] = {}


def seal(
    key_id: str, material_hex: str, material: bytes, plaintext: bytes, context: Mapping[str, str] | None
) -> bytes:
    header = bytes([BLOB_VERSION]) + key_id.encode() + bytes.fromhex(material_hex) + os.urandom(NONCE_LENGTH)
    sealed = _cipher(material).encrypt(header[-NONCE_LENGTH:], plaintext, header + canonical_context(context))
    return header + sealed


def blob_header(blob: bytes) -> BlobHeader:
    if len(blob) < HEADER_LENGTH + TAG_LENGTH or blob[0] != BLOB_VERSION:
        raise BadCiphertext()
    try:
        key_id = blob[1 : 1 + KEY_ID_LENGTH].decode("ascii")
    except UnicodeDecodeError:
        raise BadCiphertext() from None
    return BlobHeader(key_id, blob[1 + KEY_ID_LENGTH : 1 + KEY_ID_LENGTH + MATERIAL_ID_LENGTH].hex())


def open_blob(blob: bytes, material: bytes, context: Mapping[str, str] | None) -> bytes:
    header = blob[:HEADER_LENGTH]
    try:
        return _cipher(material).decrypt(
            header[-NONCE_LENGTH:], blob[HEADER_LENGTH:], header + canonical_context(context)
        )
    except InvalidTag:
        raise BadCiphertext() from None


# -- asymmetric -----------------------------------------------------------------------------------


def _oaep(algorithm: str) -> padding.OAEP:
    digest = hashes.SHA1() if algorithm == "RSAES_OAEP_SHA_1" else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def rsa_max_plaintext(bits: int, algorithm: str) -> int:
    digest_size = 20 if algorithm == "RSAES_OAEP_SHA_1" else 32
    return bits // 8 - 2 * digest_size - 2


def rsa_encrypt(material: bytes, algorithm: str, plaintext: bytes) -> bytes:
    return load_private(material).public_key().encrypt(plaintext, _oaep(algorithm))


def rsa_decrypt(material: bytes, algorithm: str, ciphertext: bytes) -> bytes:
    try:
        return load_private(material).decrypt(ciphertext, _oaep(algorithm))
    except ValueError:
        raise BadCiphertext() from None


def digest_length(algorithm: str) -> int:
    return _hash_of(algorithm).digest_size


def sign(material: bytes, algorithm: str, message: bytes, is_digest: bool) -> bytes:
    private = load_private(material)
    if algorithm.startswith("ED25519"):
        if algorithm == "ED25519_PH_SHA_512" and not is_digest:
            message = hashlib.sha512(message).digest()
        return private.sign(message)
    digest = _hash_of(algorithm)
    chosen: Any = utils.Prehashed(digest) if is_digest else digest
    if algorithm.startswith("ECDSA"):
        return private.sign(message, ec.ECDSA(chosen))
    return private.sign(message, _rsa_padding(algorithm, digest), chosen)


def verify(material: bytes, algorithm: str, message: bytes, is_digest: bool, signature: bytes) -> bool:
    public = load_private(material).public_key()
    try:
        if algorithm.startswith("ED25519"):
            if algorithm == "ED25519_PH_SHA_512" and not is_digest:
                message = hashlib.sha512(message).digest()
            public.verify(signature, message)
            return True
        digest = _hash_of(algorithm)
        chosen: Any = utils.Prehashed(digest) if is_digest else digest
        if algorithm.startswith("ECDSA"):
            public.verify(signature, message, ec.ECDSA(chosen))
        else:
            public.verify(signature, message, _rsa_padding(algorithm, digest), chosen)
    except (InvalidSignature, ValueError):
        return False
    return True


def _rsa_padding(algorithm: str, digest: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    if algorithm.startswith("RSASSA_PSS"):
        # AWS signs with a salt as long as the digest.
        return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    return padding.PKCS1v15()


def mac(material: bytes, algorithm: str, message: bytes) -> bytes:
    return hmac.new(material, message, algorithm.removeprefix("HMAC_").replace("_", "").lower()).digest()


def derive_shared_secret(material: bytes, peer_public_der: bytes) -> bytes:
    private = load_private(material)
    try:
        peer = serialization.load_der_public_key(peer_public_der)
    except ValueError:
        raise BadCiphertext() from None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != private.curve.name:
        raise BadCiphertext()
    return private.exchange(ec.ECDH(), peer)


def data_key_pair(key_pair_spec: str) -> tuple[bytes, bytes]:
    """(private key PKCS#8 DER, public key DER) of a new data key pair."""
    material = new_material(key_pair_spec)
    return material, public_der(material)

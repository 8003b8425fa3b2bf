"""Key pairs: CreateKeyPair makes a real RSA or ED25519 key and hands back its private half
once; ImportKeyPair takes an OpenSSH (or PEM) public key. Fingerprints as AWS computes them:
a created RSA key's is the SHA-1 of its private key (PKCS#8 DER), an imported RSA key's the MD5
of its public key (DER), an ED25519 key's the base64 SHA-256 of its OpenSSH public key blob."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from overcast.context import RequestContext
from overcast.services.ec2 import core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import FILTERS
from overcast.services.ec2.network import NetworkMixin


def _colons(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def _ed25519_fingerprint(public: ed25519.Ed25519PublicKey) -> str:
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(line.split()[1])
    return base64.b64encode(hashlib.sha256(blob).digest()).decode()


def create_material(key_type: str) -> tuple[str, str, str]:
    """(private key text, public key OpenSSH line, fingerprint) of a new key."""
    if key_type == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
        text = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode()
        public = private.public_key()
        line = public.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ).decode()
        return text, line, _ed25519_fingerprint(public)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    text = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    pkcs8 = rsa_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    line = (
        rsa_key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    return text, line, _colons(hashlib.sha1(pkcs8).digest())


def import_material(material: bytes) -> tuple[str, str, str]:
    """(key type, public key OpenSSH line, fingerprint) of an imported public key."""
    text = material.strip()
    try:
        if text.startswith(b"-----"):
            public: Any = serialization.load_pem_public_key(text)
        else:
            public = serialization.load_ssh_public_key(text.split(b" ", 2)[0] + b" " + text.split(b" ", 2)[1])
    except (ValueError, IndexError, TypeError):
        raise core.invalid("Key is not in valid OpenSSH public key format", "InvalidKey.Format") from None
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "ed25519", line, _ed25519_fingerprint(public)
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size not in (1024, 2048, 4096) and not 1024 <= public.key_size <= 4096:
            raise core.invalid("Key is not in valid OpenSSH public key format", "InvalidKey.Format")
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return "rsa", line, _colons(hashlib.md5(der).digest())
    raise core.invalid("Key is not in valid OpenSSH public key format", "InvalidKey.Format")


FILTERS["key"] = {
    "key-pair-id": lambda r: r["KeyPairId"],
    "fingerprint": lambda r: r["KeyFingerprint"],
    "key-name": lambda r: r["KeyName"],
    "key-type": lambda r: r["KeyType"],
}


class KeyMixin(NetworkMixin):
    def key_by_name(self, ctx: Ctx, name: str | None) -> dict[str, Any] | None:
        for record in ctx.state.kind("key").values():
            if record["KeyName"] == name:
                return record
        return None

    def _check_new_key(self, ctx: Ctx, name: str | None) -> str:
        if not name:
            raise core.missing("KeyName")
        if len(name) > 255:
            raise core.invalid(
                f"Value ({name}) for parameter keyName is invalid. Length exceeds maximum of 255."
            )
        if self.key_by_name(ctx, name) is not None:
            raise core.error("InvalidKeyPair.Duplicate", "The keypair already exists")
        return name

    def create_key_pair(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        name = self._check_new_key(ctx, params.get("KeyName"))
        key_type = params.get("KeyType") or "rsa"
        if key_type not in ("rsa", "ed25519"):
            raise core.invalid(f"Value ({key_type}) for parameter keyType is invalid.")
        key_format = params.get("KeyFormat") or "pem"
        if key_format != "pem":
            raise core.invalid(
                f"Value ({key_format}) for parameter keyFormat is invalid. Overcast writes keys in pem format only."
            )
        private, public, fingerprint = create_material(key_type)
        key_id = core.new_id("key")
        record = {
            "KeyPairId": key_id,
            "KeyType": key_type,
            "PublicKey": public,
            "CreateTime": core.now(),
            "KeyName": name,
            "KeyFingerprint": fingerprint,
        }
        self.new(ctx, "key", key_id, record, self.tag_specs(params, "key-pair"))
        out: dict[str, Any] = {
            "KeyPairId": key_id,
            "KeyName": name,
            "KeyFingerprint": fingerprint,
            "KeyMaterial": private,
        }
        if record.get("Tags"):
            out["Tags"] = record["Tags"]
        return out

    def import_key_pair(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        name = self._check_new_key(ctx, params.get("KeyName"))
        material = params.get("PublicKeyMaterial") or b""
        if isinstance(material, str):
            material = material.encode()
        key_type, public, fingerprint = import_material(material)
        key_id = core.new_id("key")
        record = {
            "KeyPairId": key_id,
            "KeyType": key_type,
            "PublicKey": public,
            "CreateTime": core.now(),
            "KeyName": name,
            "KeyFingerprint": fingerprint,
        }
        self.new(ctx, "key", key_id, record, self.tag_specs(params, "key-pair"))
        out: dict[str, Any] = {"KeyPairId": key_id, "KeyName": name, "KeyFingerprint": fingerprint}
        if record.get("Tags"):
            out["Tags"] = record["Tags"]
        return out

    def describe_key_pairs(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        ids = list(params.get("KeyPairIds") or [])
        for name in params.get("KeyNames") or ():
            record = self.key_by_name(ctx, name)
            if record is None:
                raise core.error("InvalidKeyPair.NotFound", f"The key pair '{name}' does not exist")
            ids.append(record["KeyPairId"])
        found = self.select(ctx, "key", params, ids)
        shown = []
        for record in found:
            item = core.public(record)
            if not params.get("IncludePublicKey"):
                item.pop("PublicKey", None)
            shown.append(item)
        return {"KeyPairs": shown}

    def delete_key_pair(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = None
        if params.get("KeyPairId"):
            record = self.get(ctx, "key", params["KeyPairId"], "KeyPairId")
        elif params.get("KeyName"):
            record = self.key_by_name(ctx, params["KeyName"])
        else:
            raise core.missing("KeyName")
        if record is None:
            return {"Return": True}  # AWS deletes a key that is not there without complaint
        self.drop(ctx, record)
        return {"Return": True, "KeyPairId": record["KeyPairId"]}

"""KMS's cryptographic operations: Encrypt, Decrypt, ReEncrypt, the data keys, Sign/Verify,
GenerateMac/VerifyMac, DeriveSharedSecret, GenerateRandom, GetPublicKey, and the typed
methods other services call (encrypt/decrypt/generate_data_key for SSE and SecureStrings)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.kms import crypto
from overcast.services.kms import keys as k

if TYPE_CHECKING:
    from overcast.services.kms.provider import Provider

MAX_PLAINTEXT = 4096


def invalid_ciphertext() -> ServiceError:
    return ServiceError("InvalidCiphertextException", "")


def _ciphertext(params: dict) -> bytes:
    blob = params.get("CiphertextBlob")
    if not blob:
        # The model no longer marks it required; AWS still refuses a request without one.
        raise ServiceError(
            "ValidationException",
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: "
            "Member must not be null",
        )
    return bytes(blob)


def _dry_run(params: dict) -> None:
    if params.get("DryRun"):
        raise ServiceError(
            "DryRunOperationException", "The request would have succeeded, but the DryRun option is set."
        )


def _data_key_length(params: dict) -> int:
    spec, count = params.get("KeySpec"), params.get("NumberOfBytes")
    if spec and count:
        raise ServiceError("ValidationException", "KeySpec and NumberOfBytes are mutually exclusive.")
    if spec:
        return 32 if spec == "AES_256" else 16
    if not count:
        raise ServiceError("ValidationException", "Please specify either number of bytes or key spec.")
    return int(count)


class CryptoOperations:
    # -- the key an operation uses -------------------------------------------------------------

    def usable_key(  # type: ignore[misc]
        self: Provider, context: RequestContext, given: str, usage: str, operation: str
    ) -> tuple[str, str, dict[str, Any]]:
        account, region, key = self.key_for(context, given)
        self.check_usable(account, region, key)
        if key["KeyUsage"] != usage:
            raise k.usage_error(k.key_arn(region, account, key["KeyId"]), key["KeyUsage"], operation)
        return account, region, key

    def _check_algorithm(  # type: ignore[misc]
        self: Provider, account: str, region: str, key: dict, algorithm: str, kind: str
    ) -> None:
        spec = crypto.SPECS[key["KeySpec"]]
        allowed = {"encryption": spec.encryption, "signing": spec.signing, "mac": spec.mac}[kind]
        if algorithm not in allowed:
            arn = k.key_arn(region, account, key["KeyId"])
            if kind == "mac":
                raise ServiceError(
                    "InvalidKeyUsageException",
                    f"Algorithm {algorithm} is incompatible with key spec {key['KeySpec']}.",
                )
            raise ServiceError(
                "InvalidKeyUsageException", f"Algorithm {algorithm} is not supported for {arn}."
            )

    # -- the public API other services use -----------------------------------------------------

    def encrypt_data(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        key_id: str,
        plaintext: bytes,
        context: Mapping[str, str] | None = None,
    ) -> tuple[str, bytes]:
        """(key ARN, ciphertext blob) of `plaintext` under a symmetric key (id, ARN or alias,
        AWS managed aliases included). Raises KMS's NotFound/Disabled/KMSInvalidState errors."""
        key_account, key_region, key_key = self.locate(account, region, key_id)
        key = self.load(key_account, key_region, key_key)
        if key is None:
            raise k.not_found(k.key_arn(key_region, key_account, key_key))
        self.check_usable(key_account, key_region, key)
        arn = k.key_arn(key_region, key_account, key["KeyId"])
        if key["KeySpec"] != "SYMMETRIC_DEFAULT":
            raise k.usage_error(arn, key["KeyUsage"], "Encrypt")
        current = k.current_material(key)
        return arn, crypto.seal(key["KeyId"], current["Id"], current["Material"], plaintext, context)

    def decrypt_data(  # type: ignore[misc]
        self: Provider, account: str, region: str, blob: bytes, context: Mapping[str, str] | None = None
    ) -> tuple[str, bytes]:
        """(key ARN, plaintext) of a symmetric ciphertext blob made in this account and region."""
        try:
            header = crypto.blob_header(blob)
        except crypto.BadCiphertext:
            raise invalid_ciphertext() from None
        key = self.load(account, region, header.key_id)
        if key is None:
            raise invalid_ciphertext()
        self.check_usable(account, region, key)
        entry = k.material_by_id(key, header.material_id)
        if entry is None:
            raise invalid_ciphertext()
        try:
            plaintext = crypto.open_blob(blob, entry["Material"], context)
        except crypto.BadCiphertext:
            raise invalid_ciphertext() from None
        return k.key_arn(region, account, key["KeyId"]), plaintext

    def new_data_key(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        key_id: str,
        context: Mapping[str, str] | None = None,
        length: int = 32,
    ) -> tuple[str, bytes, bytes]:
        """(key ARN, plaintext data key, its ciphertext blob)."""
        plaintext = os.urandom(length)
        arn, blob = self.encrypt_data(account, region, key_id, plaintext, context)
        return arn, plaintext, blob

    def key_arn_for(self: Provider, account: str, region: str, key_id: str) -> str:  # type: ignore[misc]
        """The ARN of the usable key `key_id` names (id, ARN or alias), or KMS's error."""
        key_account, key_region, key_key = self.locate(account, region, key_id)
        key = self.load(key_account, key_region, key_key)
        if key is None:
            raise k.not_found(k.key_arn(key_region, key_account, key_key))
        self.check_usable(key_account, key_region, key)
        return k.key_arn(key_region, key_account, key["KeyId"])

    # -- Encrypt / Decrypt / ReEncrypt ---------------------------------------------------------

    def _encrypt_with(  # type: ignore[misc]
        self: Provider, account: str, region: str, key: dict, plaintext: bytes, context: Mapping[str, str] | None,
        algorithm: str,
    ) -> bytes:  # fmt: skip
        self._check_algorithm(account, region, key, algorithm, "encryption")
        if key["KeySpec"] == "SYMMETRIC_DEFAULT":
            current = k.current_material(key)
            return crypto.seal(key["KeyId"], current["Id"], current["Material"], plaintext, context)
        if context:
            raise ServiceError(
                "InvalidKeyUsageException", "EncryptionContext is not supported with asymmetric keys."
            )
        spec = crypto.SPECS[key["KeySpec"]]
        limit = crypto.rsa_max_plaintext(spec.size, algorithm)
        if len(plaintext) > limit:
            raise ServiceError(
                "ValidationException",
                f"Algorithm {algorithm} and key spec {key['KeySpec']} cannot encrypt data larger than {limit} bytes.",
            )
        return crypto.rsa_encrypt(k.current_material(key)["Material"], algorithm, plaintext)

    def _decrypt_blob(  # type: ignore[misc]
        self: Provider, context: RequestContext, blob: bytes, key_given: str | None, enc_context: Mapping[str, str] | None,
        algorithm: str,
    ) -> tuple[str, str, dict, bytes, str]:  # fmt: skip
        """(account, region, key, plaintext, material id) of a ciphertext."""
        if algorithm == "SYMMETRIC_DEFAULT":
            try:
                header = crypto.blob_header(blob)
            except crypto.BadCiphertext:
                raise invalid_ciphertext() from None
            if key_given:
                account, region, key = self.key_for(context, key_given)
                if key["KeyId"] != header.key_id:
                    raise ServiceError(
                        "IncorrectKeyException",
                        "The key ID in the request does not identify a CMK that can perform this operation.",
                    )
            else:
                account, region = context.account, context.region
                found = self.load(account, region, header.key_id)
                if found is None:
                    raise invalid_ciphertext()
                key = found
            self.check_usable(account, region, key)
            if key["KeyUsage"] != "ENCRYPT_DECRYPT" or key["KeySpec"] != "SYMMETRIC_DEFAULT":
                raise invalid_ciphertext()
            entry = k.material_by_id(key, header.material_id)
            if entry is None:
                raise invalid_ciphertext()
            try:
                return (
                    account,
                    region,
                    key,
                    crypto.open_blob(blob, entry["Material"], enc_context),
                    entry["Id"],
                )
            except crypto.BadCiphertext:
                raise invalid_ciphertext() from None
        if not key_given:
            raise ServiceError("ValidationException", "KeyId is required for asymmetric decryption.")
        account, region, key = self.usable_key(context, key_given, "ENCRYPT_DECRYPT", "Decrypt")
        self._check_algorithm(account, region, key, algorithm, "encryption")
        entry = k.current_material(key)
        try:
            return account, region, key, crypto.rsa_decrypt(entry["Material"], algorithm, blob), entry["Id"]
        except crypto.BadCiphertext:
            raise invalid_ciphertext() from None

    def encrypt(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        account, region, key = self.usable_key(context, params["KeyId"], "ENCRYPT_DECRYPT", "Encrypt")
        algorithm = params.get("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
        blob = self._encrypt_with(
            account, region, key, params["Plaintext"], params.get("EncryptionContext"), algorithm
        )
        _dry_run(params)
        return {
            "CiphertextBlob": blob,
            "KeyId": k.key_arn(region, account, key["KeyId"]),
            "EncryptionAlgorithm": algorithm,
        }

    def decrypt(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        algorithm = params.get("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
        account, region, key, plaintext, material = self._decrypt_blob(
            context, _ciphertext(params), params.get("KeyId"), params.get("EncryptionContext"), algorithm
        )
        _dry_run(params)
        out: dict[str, Any] = {
            "KeyId": k.key_arn(region, account, key["KeyId"]),
            "EncryptionAlgorithm": algorithm,
        }
        recipient = params.get("Recipient")
        if recipient:
            out["CiphertextForRecipient"] = self._for_recipient(recipient, plaintext)
        else:
            out["Plaintext"] = plaintext
        if key["KeySpec"] == "SYMMETRIC_DEFAULT":
            out["KeyMaterialId"] = material
        return out

    def re_encrypt(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        source_algorithm = params.get("SourceEncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
        s_account, s_region, source, plaintext, source_material = self._decrypt_blob(
            context, _ciphertext(params), params.get("SourceKeyId"), params.get("SourceEncryptionContext"),
            source_algorithm,
        )  # fmt: skip
        d_account, d_region, dest = self.usable_key(
            context, params["DestinationKeyId"], "ENCRYPT_DECRYPT", "ReEncrypt"
        )
        dest_algorithm = params.get("DestinationEncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
        blob = self._encrypt_with(
            d_account, d_region, dest, plaintext, params.get("DestinationEncryptionContext"), dest_algorithm
        )
        _dry_run(params)
        out: dict[str, Any] = {
            "CiphertextBlob": blob,
            "SourceKeyId": k.key_arn(s_region, s_account, source["KeyId"]),
            "KeyId": k.key_arn(d_region, d_account, dest["KeyId"]),
            "SourceEncryptionAlgorithm": source_algorithm,
            "DestinationEncryptionAlgorithm": dest_algorithm,
        }
        if source["KeySpec"] == "SYMMETRIC_DEFAULT":
            out["SourceKeyMaterialId"] = source_material
        if dest["KeySpec"] == "SYMMETRIC_DEFAULT":
            out["DestinationKeyMaterialId"] = dest["Current"]
        return out

    def _for_recipient(self, recipient: dict, plaintext: bytes) -> bytes:
        # A Nitro Enclave's attestation document cannot be made or checked outside one.
        raise ServiceError("ValidationException", "The attestation document in Recipient is not valid.")

    # -- data keys -----------------------------------------------------------------------------

    def _symmetric_key(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, operation: str
    ) -> tuple[str, str, dict]:
        self.check_grant_tokens(params)
        account, region, key = self.usable_key(context, params["KeyId"], "ENCRYPT_DECRYPT", operation)
        if key["KeySpec"] != "SYMMETRIC_DEFAULT":
            raise ServiceError(
                "InvalidKeyUsageException",
                f"{k.key_arn(region, account, key['KeyId'])} key spec is {key['KeySpec']} which is not valid for {operation}.",
            )
        return account, region, key

    def generate_data_key(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, operation: str = "GenerateDataKey"
    ) -> dict:
        account, region, key = self._symmetric_key(context, params, operation)
        plaintext = os.urandom(_data_key_length(params))
        blob = self._encrypt_with(
            account, region, key, plaintext, params.get("EncryptionContext"), "SYMMETRIC_DEFAULT"
        )
        _dry_run(params)
        out: dict[str, Any] = {
            "CiphertextBlob": blob,
            "KeyId": k.key_arn(region, account, key["KeyId"]),
            "KeyMaterialId": key["Current"],
        }
        if operation == "GenerateDataKey":
            if params.get("Recipient"):
                out["CiphertextForRecipient"] = self._for_recipient(params["Recipient"], plaintext)
            else:
                out["Plaintext"] = plaintext
        return out

    def generate_data_key_without_plaintext(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.generate_data_key(context, params, "GenerateDataKeyWithoutPlaintext")

    def generate_data_key_pair(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, operation: str = "GenerateDataKeyPair"
    ) -> dict:
        account, region, key = self._symmetric_key(context, params, operation)
        pair_spec = params["KeyPairSpec"]
        if pair_spec in crypto.UNSUPPORTED_SPECS:
            raise ServiceError(
                "UnsupportedOperationException", f"KeyPairSpec {pair_spec} is not supported in this region."
            )
        private, public = crypto.data_key_pair(pair_spec)
        blob = self._encrypt_with(
            account, region, key, private, params.get("EncryptionContext"), "SYMMETRIC_DEFAULT"
        )
        _dry_run(params)
        out: dict[str, Any] = {
            "PrivateKeyCiphertextBlob": blob,
            "PublicKey": public,
            "KeyId": k.key_arn(region, account, key["KeyId"]),
            "KeyPairSpec": pair_spec,
            "KeyMaterialId": key["Current"],
        }
        if operation == "GenerateDataKeyPair":
            if params.get("Recipient"):
                out["CiphertextForRecipient"] = self._for_recipient(params["Recipient"], private)
            else:
                out["PrivateKeyPlaintext"] = private
        return out

    def generate_data_key_pair_without_plaintext(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return self.generate_data_key_pair(context, params, "GenerateDataKeyPairWithoutPlaintext")

    def generate_random(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        count = params.get("NumberOfBytes")
        if not count:
            raise ServiceError("ValidationException", "NumberOfBytes is required.")
        if params.get("CustomKeyStoreId"):
            raise self.custom_key_store_missing(context, params["CustomKeyStoreId"])
        plaintext = os.urandom(count)
        if params.get("Recipient"):
            return {"CiphertextForRecipient": self._for_recipient(params["Recipient"], plaintext)}
        return {"Plaintext": plaintext}

    # -- signatures ----------------------------------------------------------------------------

    def _message(self: Provider, account: str, region: str, key: dict, params: dict) -> tuple[bytes, bool]:  # type: ignore[misc]
        algorithm = params["SigningAlgorithm"]
        self._check_algorithm(account, region, key, algorithm, "signing")
        message, kind = params["Message"], params.get("MessageType") or "RAW"
        if kind == "EXTERNAL_MU":
            raise ServiceError(
                "ValidationException", "MessageType EXTERNAL_MU is only valid for ML_DSA keys."
            )
        is_digest = kind == "DIGEST"
        if is_digest:
            if algorithm == "ED25519_SHA_512":
                raise ServiceError(
                    "ValidationException", "MessageType DIGEST is not supported for ED25519_SHA_512."
                )
            if len(message) != crypto.digest_length(algorithm):
                raise ServiceError(
                    "ValidationException", f"Digest is invalid length for algorithm {algorithm}."
                )
        return message, is_digest

    def sign(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        account, region, key = self.usable_key(context, params["KeyId"], "SIGN_VERIFY", "Sign")
        message, is_digest = self._message(account, region, key, params)
        signature = crypto.sign(
            k.current_material(key)["Material"], params["SigningAlgorithm"], message, is_digest
        )
        _dry_run(params)
        return {
            "KeyId": k.key_arn(region, account, key["KeyId"]),
            "Signature": signature,
            "SigningAlgorithm": params["SigningAlgorithm"],
        }

    def verify(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        account, region, key = self.usable_key(context, params["KeyId"], "SIGN_VERIFY", "Verify")
        message, is_digest = self._message(account, region, key, params)
        valid = crypto.verify(
            k.current_material(key)["Material"],
            params["SigningAlgorithm"],
            message,
            is_digest,
            params["Signature"],
        )
        _dry_run(params)
        if not valid:
            raise ServiceError("KMSInvalidSignatureException", "")
        return {"KeyId": k.key_arn(region, account, key["KeyId"]), "SignatureValid": True,
                "SigningAlgorithm": params["SigningAlgorithm"]}  # fmt: skip

    def generate_mac(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        account, region, key = self.usable_key(context, params["KeyId"], "GENERATE_VERIFY_MAC", "GenerateMac")
        self._check_algorithm(account, region, key, params["MacAlgorithm"], "mac")
        tag = crypto.mac(k.current_material(key)["Material"], params["MacAlgorithm"], params["Message"])
        _dry_run(params)
        return {
            "Mac": tag,
            "MacAlgorithm": params["MacAlgorithm"],
            "KeyId": k.key_arn(region, account, key["KeyId"]),
        }

    def verify_mac(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        account, region, key = self.usable_key(context, params["KeyId"], "GENERATE_VERIFY_MAC", "VerifyMac")
        self._check_algorithm(account, region, key, params["MacAlgorithm"], "mac")
        expected = crypto.mac(k.current_material(key)["Material"], params["MacAlgorithm"], params["Message"])
        _dry_run(params)
        import hmac

        if not hmac.compare_digest(expected, params["Mac"]):
            raise ServiceError("KMSInvalidMacException", "")
        return {
            "KeyId": k.key_arn(region, account, key["KeyId"]),
            "MacValid": True,
            "MacAlgorithm": params["MacAlgorithm"],
        }

    def derive_shared_secret(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        account, region, key = self.usable_key(
            context, params["KeyId"], "KEY_AGREEMENT", "DeriveSharedSecret"
        )
        try:
            secret = crypto.derive_shared_secret(k.current_material(key)["Material"], params["PublicKey"])
        except crypto.BadCiphertext:
            # AWS answers a public key it cannot use with no message.
            raise ServiceError("ValidationException", "") from None
        _dry_run(params)
        out: dict[str, Any] = {
            "KeyId": k.key_arn(region, account, key["KeyId"]),
            "KeyAgreementAlgorithm": params["KeyAgreementAlgorithm"],
            "KeyOrigin": key["Origin"],
        }
        if params.get("Recipient"):
            out["CiphertextForRecipient"] = self._for_recipient(params["Recipient"], secret)
        else:
            out["SharedSecret"] = secret
        return out

    def encapsulate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        self.usable_key(context, params["KeyId"], "ENCAPSULATE_DECAPSULATE", "Encapsulate")
        raise ServiceError(
            "UnsupportedOperationException", "No key here has key usage ENCAPSULATE_DECAPSULATE."
        )

    def decapsulate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        self.usable_key(context, params["KeyId"], "ENCAPSULATE_DECAPSULATE", "Decapsulate")
        raise ServiceError(
            "UnsupportedOperationException", "No key here has key usage ENCAPSULATE_DECAPSULATE."
        )

    def get_public_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        account, region, key = self.key_for(context, params["KeyId"])
        self.check_usable(account, region, key)
        arn = k.key_arn(region, account, key["KeyId"])
        spec_name = key["KeySpec"]
        if spec_name == "SYMMETRIC_DEFAULT" or spec_name.startswith("HMAC_"):
            raise ServiceError("UnsupportedOperationException", f"{arn} key usage is {key['KeyUsage']} which is not valid "
                               "for GetPublicKey.")  # fmt: skip
        spec = crypto.SPECS[spec_name]
        out: dict[str, Any] = {
            "KeyId": arn,
            "PublicKey": crypto.public_der(k.current_material(key)["Material"]),
            "CustomerMasterKeySpec": spec_name,
            "KeySpec": spec_name,
            "KeyUsage": key["KeyUsage"],
        }
        if key["KeyUsage"] == "ENCRYPT_DECRYPT":
            out["EncryptionAlgorithms"] = list(spec.encryption)
        elif key["KeyUsage"] == "SIGN_VERIFY":
            out["SigningAlgorithms"] = list(spec.signing)
        elif key["KeyUsage"] == "KEY_AGREEMENT":
            out["KeyAgreementAlgorithms"] = list(spec.agreement)
        return out

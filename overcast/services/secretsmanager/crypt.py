"""Secret values encrypted through KMS, as AWS stores them: each version's value under the
secret's KmsKeyId (by default the AWS managed key `alias/aws/secretsmanager`), with the
encryption context AWS uses ({"SecretARN", "SecretVersionId"}). A key KMS refuses fails the
write with EncryptionFailure and the read with DecryptionFailure.

Where KMS is not served (left out of the enabled services, or not built in), values are kept
as given: versions hold "String"/"Binary" then, "Sealed" (+ "Kind") otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

from overcast import services
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.services.secretsmanager.provider import Provider

DEFAULT_KEY = "alias/aws/secretsmanager"
ENCRYPTION_FAILURE = (
    "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS "
    "key is available, enabled, and not in an invalid state."
)
DECRYPTION_FAILURE = "Secrets Manager can't decrypt the protected secret text using the provided KMS key."


class KeyService(Protocol):
    """KMS's public provider methods (tests/unit/kms/test_contracts.py on the kms branch)."""

    def encrypt_data(
        self, account: str, region: str, key_id: str, plaintext: bytes, context: dict[str, str] | None = None
    ) -> tuple[str, bytes]: ...

    def decrypt_data(
        self, account: str, region: str, blob: bytes, context: dict[str, str] | None = None
    ) -> tuple[str, bytes]: ...


def has_value(version: dict) -> bool:
    return "String" in version or "Binary" in version or "Sealed" in version


def _where(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[4], parts[3]


class CryptMixin:
    def key_service(self: Provider) -> KeyService | None:  # type: ignore[misc]
        if "kms" not in services.implemented() or not self.runtime.serves("kms"):
            return None
        return cast(KeyService, self.runtime.provider("kms"))

    def seal(self: Provider, record: dict, version_id: str, value: dict) -> dict[str, Any]:  # type: ignore[misc]
        """What a version stores of `value` ({"String": ...} or {"Binary": ...})."""
        kms = self.key_service()
        if kms is None:
            return dict(value)
        kind = "String" if "String" in value else "Binary"
        plaintext = value[kind].encode() if kind == "String" else value[kind]
        account, region = _where(record["ARN"])
        context = {"SecretARN": record["ARN"], "SecretVersionId": version_id}
        try:
            _, blob = kms.encrypt_data(
                account, region, record.get("KmsKeyId") or DEFAULT_KEY, plaintext, context
            )
        except ServiceError:
            raise ServiceError("EncryptionFailure", ENCRYPTION_FAILURE, 400) from None
        return {"Sealed": blob, "Kind": kind}

    def plain(self: Provider, record: dict, version_id: str, version: dict) -> dict[str, Any]:  # type: ignore[misc]
        """The value a version holds, {"String": ...} or {"Binary": ...}."""
        if "Sealed" not in version:
            return {k: version[k] for k in ("String", "Binary") if k in version}
        kms = self.key_service()
        if kms is None:
            raise ServiceError("DecryptionFailure", DECRYPTION_FAILURE, 400)
        account, region = _where(record["ARN"])
        context = {"SecretARN": record["ARN"], "SecretVersionId": version_id}
        try:
            _, plaintext = kms.decrypt_data(account, region, version["Sealed"], context)
        except ServiceError:
            raise ServiceError("DecryptionFailure", DECRYPTION_FAILURE, 400) from None
        if version.get("Kind") == "String":
            return {"String": plaintext.decode()}
        return {"Binary": plaintext}

    def reseal(self: Provider, source: dict, target: dict) -> None:  # type: ignore[misc]
        """Encrypt `target`'s versions (a copy of `source` under another ARN or key) anew."""
        for version_id, version in target["Versions"].items():
            if "Sealed" in version:
                value = self.plain(source, version_id, source["Versions"][version_id])
                for key in ("Sealed", "Kind"):
                    version.pop(key, None)
                version.update(self.seal(target, version_id, value))

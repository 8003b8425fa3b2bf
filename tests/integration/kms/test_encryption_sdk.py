"""The AWS Encryption SDK for Python encrypts and decrypts through Overcast's KMS: it wraps its
data keys with GenerateDataKey and Encrypt, and unwraps them with Decrypt."""

from __future__ import annotations

import pytest

aws_encryption_sdk = pytest.importorskip("aws_encryption_sdk")


def test_encryption_sdk_round_trip(client, monkeypatch):
    import botocore.session
    from aws_encryption_sdk.identifiers import CommitmentPolicy

    kms = client("kms")
    first = kms.create_key(Description="esdk 1")["KeyMetadata"]["Arn"]
    second = kms.create_key(Description="esdk 2")["KeyMetadata"]["Arn"]
    endpoint = kms.meta.endpoint_url

    # The SDK makes its own KMS clients: the standard variable points them at Overcast.
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    session = botocore.session.Session()
    session.set_credentials("test", "test")
    session.set_config_variable("region", "us-east-1")
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[first, second], botocore_session=session
    )
    sdk = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )

    message = b"a message bigger than one frame " * 500
    ciphertext, header = sdk.encrypt(
        source=message, key_provider=provider, encryption_context={"purpose": "test"}
    )
    assert len(header.encrypted_data_keys) == 2
    plaintext, decrypted_header = sdk.decrypt(source=ciphertext, key_provider=provider)
    assert plaintext == message
    assert decrypted_header.encryption_context["purpose"] == "test"

    # A provider that knows only the second key still decrypts: its wrapped data key is there too.
    only_second = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[second], botocore_session=session)
    assert sdk.decrypt(source=ciphertext, key_provider=only_second)[0] == message


def test_encryption_sdk_streams_and_is_refused_by_a_disabled_key(client, monkeypatch):
    import io

    import botocore.session
    from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError, DecryptKeyError
    from aws_encryption_sdk.identifiers import CommitmentPolicy

    kms = client("kms")
    key = kms.create_key(Description="esdk stream")["KeyMetadata"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", kms.meta.endpoint_url)
    session = botocore.session.Session()
    session.set_credentials("test", "test")
    session.set_config_variable("region", "us-east-1")
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key["Arn"]], botocore_session=session
    )
    sdk = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )

    message = bytes(range(256)) * 4096  # 1 MiB, in the SDK's 4 KiB frames
    sealed = io.BytesIO()
    with sdk.stream(
        mode="e", source=io.BytesIO(message), key_provider=provider, frame_length=4096
    ) as encryptor:
        for chunk in encryptor:
            sealed.write(chunk)
    opened = io.BytesIO()
    with sdk.stream(mode="d", source=io.BytesIO(sealed.getvalue()), key_provider=provider) as decryptor:
        for chunk in decryptor:
            opened.write(chunk)
    assert opened.getvalue() == message

    kms.disable_key(KeyId=key["KeyId"])  # KMS refuses to unwrap the data key: the SDK cannot decrypt
    with pytest.raises((DecryptKeyError, AWSEncryptionSDKClientError)):
        sdk.decrypt(source=sealed.getvalue(), key_provider=provider)

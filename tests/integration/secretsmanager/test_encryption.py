"""Secret values encrypted through KMS under the secret's KmsKeyId: a disabled or missing key
fails writes with EncryptionFailure and reads with DecryptionFailure, as AWS does."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from overcast import services

pytestmark = pytest.mark.skipif("kms" not in services.implemented(), reason="KMS is not built in")


def test_values_live_under_the_secrets_key(client):
    sm, kms = client("secretsmanager"), client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"encrypted-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="under a key", KmsKeyId=key)
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "under a key"
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as error:
        sm.get_secret_value(SecretId=name)
    assert error.value.response["Error"]["Code"] == "DecryptionFailure"
    with pytest.raises(ClientError) as error:
        sm.put_secret_value(SecretId=name, SecretString="new")
    assert error.value.response["Error"]["Code"] == "EncryptionFailure"
    kms.enable_key(KeyId=key)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "under a key"


def test_a_missing_key_cannot_encrypt(client):
    sm = client("secretsmanager")
    with pytest.raises(ClientError) as error:
        sm.create_secret(
            Name=f"nokey-{uuid.uuid4().hex[:8]}", SecretString="x", KmsKeyId="alias/does-not-exist"
        )
    assert error.value.response["Error"]["Code"] == "EncryptionFailure"


def test_default_key_is_the_aws_managed_one(client):
    sm, kms = client("secretsmanager"), client("kms")
    name = f"default-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretBinary=b"\x01\x02")
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == b"\x01\x02"
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert "alias/aws/secretsmanager" in aliases

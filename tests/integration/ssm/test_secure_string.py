"""SecureString parameters through KMS: sealed under alias/aws/ssm or a named key with the
PARAMETER_ARN encryption context, read back as ciphertext unless WithDecryption."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError


def test_default_key_and_decryption(client, ssm, path):
    name = f"{path}/secret"
    ssm.put_parameter(Name=name, Value="hunter2", Type="SecureString")
    sealed = ssm.get_parameter(Name=name)["Parameter"]
    assert sealed["Value"] != "hunter2"
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "hunter2"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/aws/ssm"
    # The ciphertext is KMS's, bound to the parameter's ARN as AWS binds it.
    kms = client("kms")
    opened = kms.decrypt(
        CiphertextBlob=base64.b64decode(sealed["Value"]), EncryptionContext={"PARAMETER_ARN": sealed["ARN"]}
    )
    assert opened["Plaintext"] == b"hunter2"
    with pytest.raises(ClientError) as error:
        kms.decrypt(CiphertextBlob=base64.b64decode(sealed["Value"]))
    assert error.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_named_key_history_and_paths(client, ssm, path):
    key = client("kms").create_key()["KeyMetadata"]
    name = f"{path}/named"
    ssm.put_parameter(Name=name, Value="one", Type="SecureString", KeyId=key["KeyId"])
    ssm.put_parameter(Name=name, Value="two", Overwrite=True)
    history = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [h["Value"] for h in history] == ["one", "two"] and history[1]["KeyId"] == key["KeyId"]
    assert "one" not in [h["Value"] for h in ssm.get_parameter_history(Name=name)["Parameters"]]
    found = ssm.get_parameters_by_path(Path=path, WithDecryption=True)["Parameters"]
    assert [p["Value"] for p in found] == ["two"]
    assert ssm.get_parameters(Names=[f"{name}:1"], WithDecryption=True)["Parameters"][0]["Value"] == "one"
    client("kms").disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name=name, WithDecryption=True)
    assert error.value.response["Error"]["Code"] == "InvalidKeyId"
    client("kms").enable_key(KeyId=key["KeyId"])


def test_a_key_that_does_not_exist(ssm, path):
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(Name=f"{path}/nokey", Value="v", Type="SecureString", KeyId="alias/absent")
    assert error.value.response["Error"]["Code"] == "InvalidKeyId"
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name=f"{path}/nokey")
    assert error.value.response["Error"]["Code"] == "ParameterNotFound"

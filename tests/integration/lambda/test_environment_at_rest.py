"""A function's environment variables are stored encrypted by KMS (its KMSKeyArn, else the AWS
managed key aws/lambda): nothing of them reaches the data directory in clear, the runtime and
GetFunctionConfiguration see them decrypted, and a key no longer usable shows as the
configuration's Environment.Error while the variables are kept."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

from .helpers import create

SOURCE = "import os\ndef handler(event, context):\n    return os.environ['SECRET']\n"


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("lambda-at-rest")
    server = Server("--data-dir", str(data_dir), "--quiet")
    yield server, data_dir
    server.stop()


def _client(server: Server, service: str):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


def _on_disk(data_dir: Path, marker: bytes) -> bool:
    return any(marker in path.read_bytes() for path in data_dir.rglob("*") if path.is_file())


def test_variables_are_stored_encrypted_under_the_managed_key(state):
    server, data_dir = state
    lam = _client(server, "lambda")
    secret = f"value-{uuid.uuid4().hex}"
    name = create(lam, SOURCE, Environment={"Variables": {"SECRET": secret, "PLAIN": "x"}})
    assert lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"] == {
        "SECRET": secret,
        "PLAIN": "x",
    }
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == secret
    version = lam.publish_version(FunctionName=name)["Version"]
    assert lam.get_function(FunctionName=name, Qualifier=version)["Configuration"]["Environment"] == {
        "Variables": {"SECRET": secret, "PLAIN": "x"}
    }
    listed = [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == name]
    assert listed[0]["Environment"]["Variables"]["SECRET"] == secret
    assert not _on_disk(data_dir, secret.encode())
    # The AWS managed key exists now, created on first use as AWS creates it.
    kms = _client(server, "kms")
    assert kms.describe_key(KeyId="alias/aws/lambda")["KeyMetadata"]["KeyManager"] == "AWS"


def test_a_disabled_key_shows_as_the_environment_error(state):
    server, data_dir = state
    lam, kms = _client(server, "lambda"), _client(server, "kms")
    key = kms.create_key()["KeyMetadata"]
    secret = f"value-{uuid.uuid4().hex}"
    name = create(lam, SOURCE, KMSKeyArn=key["Arn"], Environment={"Variables": {"SECRET": secret}})
    assert not _on_disk(data_dir, secret.encode())
    kms.disable_key(KeyId=key["KeyId"])
    environment = lam.get_function_configuration(FunctionName=name)["Environment"]
    assert "Variables" not in environment
    assert environment["Error"]["ErrorCode"] == "KMSDisabledException"
    assert "the KMS key used is disabled" in environment["Error"]["Message"]
    # A change that leaves the variables alone keeps them, sealed as they were.
    lam.update_function_configuration(FunctionName=name, Timeout=7)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    kms.enable_key(KeyId=key["KeyId"])
    assert lam.get_function_configuration(FunctionName=name)["Environment"] == {
        "Variables": {"SECRET": secret}
    }
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == secret


def test_new_variables_under_a_disabled_key_are_refused(state):
    server, _ = state
    lam, kms = _client(server, "lambda"), _client(server, "kms")
    key = kms.create_key()["KeyMetadata"]
    name = create(lam, SOURCE)
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(
            FunctionName=name, KMSKeyArn=key["Arn"], Environment={"Variables": {"SECRET": "x"}}
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert "KMS Exception: DisabledException" in error["Message"]
    assert "Environment" not in lam.get_function_configuration(FunctionName=name)

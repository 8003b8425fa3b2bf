"""A function's KMSKeyArn is resolved through KMS: Lambda refuses a key it could not create a
grant on, and an invoke fails with Lambda's KMS* errors once the key is no longer usable."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .helpers import create

SOURCE = "import os\ndef handler(event, context):\n    return os.environ['SECRET']\n"


def _error(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_invoke_decrypts_with_the_key_while_it_is_usable(client):
    lam, kms = client("lambda"), client("kms")
    key = kms.create_key()["KeyMetadata"]
    name = create(lam, SOURCE, KMSKeyArn=key["Arn"], Environment={"Variables": {"SECRET": "s3cr3t"}})
    assert lam.get_function_configuration(FunctionName=name)["KMSKeyArn"] == key["Arn"]
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "s3cr3t"
    kms.disable_key(KeyId=key["KeyId"])
    code, status, message = _error(lam.invoke, FunctionName=name)
    assert (code, status) == ("KMSDisabledException", 502)
    assert message == (
        "Lambda was unable to decrypt the environment variables because the KMS key used is disabled. "
        "Please check the function's KMS key settings. KMS Exception: DisabledExceptionKMS Message: "
        f"{key['Arn']} is disabled."
    )
    kms.enable_key(KeyId=key["KeyId"])
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "s3cr3t"
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert _error(lam.invoke, FunctionName=name)[:2] == ("KMSInvalidStateException", 502)


def test_key_lambda_cannot_grant_itself_is_refused(client):
    lam, kms = client("lambda"), client("kms")
    account = client("sts").get_caller_identity()["Account"]
    missing = f"arn:aws:kms:us-east-1:{account}:key/134f2428-cec1-4b25-a1ae-9048164dba47"
    code, status, message = _error(create, lam=lam, source=SOURCE, KMSKeyArn=missing)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == (
        "Lambda was unable to configure access to your environment variables because the KMS key is invalid "
        "for CreateGrant. Please check your KMS key settings. KMS Exception: NotFoundException KMS Message: "
        f"Key '{missing}' does not exist"
    )
    alias = f"arn:aws:kms:us-east-1:{account}:alias/aws/lambda"
    assert _error(create, lam=lam, source=SOURCE, KMSKeyArn=alias)[2].endswith(
        "KMS Exception: InvalidArnException KMS Message: Key Aliases are not supported for this operation."
    )
    name = create(lam, SOURCE)
    assert _error(lam.update_function_configuration, FunctionName=name, KMSKeyArn=missing)[0] == (
        "InvalidParameterValueException"
    )
    assert "KMSKeyArn" not in lam.get_function_configuration(FunctionName=name)
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])  # a grant on a disabled key is allowed; invokes then fail
    updated = lam.update_function_configuration(FunctionName=name, KMSKeyArn=key["Arn"])
    assert updated["KMSKeyArn"] == key["Arn"]

"""`/aws/reference/secretsmanager/NAME` through Secrets Manager's provider (its GetSecretValue
and DescribeSecret handlers). Runs once Secrets Manager is part of the build."""

from __future__ import annotations

import json

import pytest

from overcast import services
from overcast.context import RequestContext
from overcast.errors import ServiceError

pytestmark = pytest.mark.skipif(
    "secretsmanager" not in services.implemented(), reason="Secrets Manager is not in this build"
)
ACCOUNT, REGION = "000000000000", "us-east-1"


def test_a_secret_read_through_parameter_store(runtime):
    context = RequestContext.internal("ssm", ACCOUNT, REGION)
    secrets = runtime.provider("secretsmanager")
    secrets.create_secret(  # type: ignore[attr-defined]
        RequestContext.internal("secretsmanager", ACCOUNT, REGION),
        {"Name": "db/password", "SecretString": "s3cr3t", "ClientRequestToken": "a" * 32},
    )
    ssm = runtime.provider("ssm")
    name = "/aws/reference/secretsmanager/db/password"
    got = ssm.get_parameter(context, {"Name": name, "WithDecryption": True})["Parameter"]
    assert got["Value"] == "s3cr3t" and got["Type"] == "SecureString" and got["Name"] == name
    assert ":secretsmanager:" in got["ARN"] and json.loads(got["SourceResult"])["name"] == "db/password"
    with pytest.raises(ServiceError) as error:
        ssm.get_parameter(context, {"Name": name})
    assert error.value.code == "ValidationException"
    with pytest.raises(ServiceError) as error:
        ssm.get_parameter(context, {"Name": name + "-absent", "WithDecryption": True})
    assert error.value.code == "ParameterNotFound"

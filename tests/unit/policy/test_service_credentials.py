"""The Python interface services use to act as a role (Lambda with its execution role)."""

from __future__ import annotations

import json

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError


def test_service_gets_role_credentials_only_if_trusted(runtime):
    iam = runtime.provider("iam")
    root = RequestContext.internal("iam", "123456789012")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(root, {"RoleName": "exec", "AssumeRolePolicyDocument": json.dumps(trust)})
    sts = runtime.provider("sts")
    out = sts.credentials_for_service(
        "arn:aws:iam::123456789012:role/exec", "my-function", "lambda.amazonaws.com"
    )
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/exec/my-function"
    record = iam.resolve_key(out["Credentials"]["AccessKeyId"])
    assert record["Arn"] == out["AssumedRoleUser"]["Arn"] and record["Account"] == "123456789012"
    with pytest.raises(ServiceError) as error:
        sts.credentials_for_service("arn:aws:iam::123456789012:role/exec", "task", "ecs-tasks.amazonaws.com")
    assert error.value.code == "AccessDenied"

"""What SSM's Default Host Management Configuration relies on of IAM: create_role in the
reserved path (EntityAlreadyExists the second time) and get_role's NoSuchEntity, called with
an internal context."""

from __future__ import annotations

import json

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError

TRUST = json.dumps(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)  # fmt: skip


def test_a_service_role_is_created_once_and_found_by_name(runtime):
    iam = runtime.provider("iam")
    context = RequestContext.internal("iam", "123456789012", "us-east-1")
    params = {
        "RoleName": "DhmcRole",
        "Path": "/aws-reserved/ssm.amazonaws.com/",
        "AssumeRolePolicyDocument": TRUST,
    }
    arn = iam.create_role(context, params)["Role"]["Arn"]
    assert arn == "arn:aws:iam::123456789012:role/aws-reserved/ssm.amazonaws.com/DhmcRole"
    with pytest.raises(ServiceError) as info:
        iam.create_role(context, params)
    assert info.value.code == "EntityAlreadyExists"
    assert iam.get_role(context, {"RoleName": "DhmcRole"})["Role"]["Arn"] == arn
    with pytest.raises(ServiceError) as info:
        iam.get_role(context, {"RoleName": "absent"})
    assert info.value.code == "NoSuchEntity"

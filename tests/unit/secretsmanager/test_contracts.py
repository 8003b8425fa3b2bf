"""What Secrets Manager relies on of Lambda's provider to run a rotation: function_exists and
execute, both declared by the typed LambdaProvider interface; execute's outcome carries the
function's error. The rotation integration tests run it for real; this pins that Lambda's
provider implements both with the interface's signature."""

from __future__ import annotations

import inspect

import pytest

from overcast.errors import ServiceError
from overcast.services.lambda_interface import LambdaProvider


def test_lambda_provider_runs_an_invocation_to_its_end(runtime):
    lam = runtime.provider("lambda")
    assert isinstance(lam, LambdaProvider)
    assert not lam.function_exists("arn:aws:lambda:us-east-1:000000000000:function:absent")
    assert type(lam).execute is not LambdaProvider.execute
    assert inspect.iscoroutinefunction(lam.execute)
    declared = inspect.signature(LambdaProvider.execute)
    implemented = inspect.signature(type(lam).execute)
    assert list(implemented.parameters) == list(declared.parameters)
    assert [p.default for p in implemented.parameters.values()] == [
        p.default for p in declared.parameters.values()
    ]


def test_eventbridge_keeps_a_connections_credentials_in_a_secret(runtime):
    """EventBridge creates, updates and force-deletes a connection's secret through the
    provider's own handlers, with an internal context of the connection's account."""
    from overcast.context import RequestContext

    secrets = runtime.provider("secretsmanager")
    context = RequestContext.internal("events", "123456789012", "eu-west-1")
    created = secrets.create_secret(
        context, {"Name": "events!connection/c/1", "SecretString": '{"a": 1}', "ClientRequestToken": "t" * 32}
    )
    assert created["ARN"].startswith(
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:events!connection/c/1-"
    )
    secrets.put_secret_value(
        context, {"SecretId": created["ARN"], "SecretString": '{"a": 2}', "ClientRequestToken": "u" * 32}
    )
    assert secrets.get_secret_value(context, {"SecretId": created["ARN"]})["SecretString"] == '{"a": 2}'
    secrets.delete_secret(context, {"SecretId": created["ARN"], "ForceDeleteWithoutRecovery": True})
    with pytest.raises(ServiceError):
        secrets.get_secret_value(context, {"SecretId": created["ARN"]})

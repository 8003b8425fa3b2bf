"""What Secrets Manager relies on of Lambda's provider to run a rotation: function_exists and
execute, both declared by the typed LambdaProvider interface; execute's outcome carries the
function's error. The rotation integration tests run it for real; this pins that Lambda's
provider implements both with the interface's signature."""

from __future__ import annotations

import inspect

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

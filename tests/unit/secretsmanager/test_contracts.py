"""What Secrets Manager relies on of Lambda's provider to run a rotation: function_exists (the
typed interface) and execute (a public method of Lambda's provider the interface does not yet
declare), whose outcome carries the function's error. The rotation integration tests run it
for real; this pins the signature rotation.SynchronousInvoker expects."""

from __future__ import annotations

import inspect

from overcast.services.lambda_interface import LambdaProvider
from overcast.services.secretsmanager.rotation import SynchronousInvoker


def test_lambda_provider_runs_an_invocation_to_its_end(runtime):
    lam = runtime.provider("lambda")
    assert isinstance(lam, LambdaProvider)
    assert not lam.function_exists("arn:aws:lambda:us-east-1:000000000000:function:absent")
    execute = lam.execute  # type: ignore[attr-defined]
    assert inspect.iscoroutinefunction(execute)
    wanted = list(inspect.signature(SynchronousInvoker.execute).parameters)[1:]
    given = list(inspect.signature(execute).parameters)
    assert given[: len(wanted)] == wanted

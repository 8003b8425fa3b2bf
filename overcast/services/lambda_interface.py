"""What other services may call on Lambda's provider, as a type.

`lambda` is a Python keyword, so no import statement can name `overcast.services.lambda`:
Lambda's Provider derives from this class, and the runtime's typed `provider("lambda")`
returns it. A method another service needs is declared here and implemented there."""

from __future__ import annotations

from typing import Any, Protocol

from overcast.services.base import BaseProvider


class InvocationOutcome(Protocol):
    """What one invocation came to: the function's payload, or its error body (errorMessage,
    errorType) with the payload empty."""

    payload: bytes
    error: dict | None


class LambdaProvider(BaseProvider):
    def function_exists(self, arn: str) -> bool:
        """Whether the function a function ARN names exists."""
        raise NotImplementedError

    def resolve(
        self, account: str, region: str, name: str, qualifier: str | None
    ) -> tuple[dict[str, Any], dict[str, Any], str, str]:
        """(function record, version record, executed version, invoked ARN) for an invocation;
        ServiceError (ResourceNotFoundException) when there is no such function or qualifier."""
        raise NotImplementedError

    async def execute(
        self,
        account: str,
        region: str,
        name: str,
        qualifier: str | None,
        payload: bytes,
        client_context: str = "",
        trace_header: str | None = None,
    ) -> tuple[InvocationOutcome, str]:
        """Run one synchronous invocation to its end: (outcome, request id). ServiceError
        (ResourceNotFoundException) for no such function, TooManyRequestsException when throttled.
        `trace_header` is the caller's X-Amzn-Trace-Id, if any (the invocation joins its trace)."""
        raise NotImplementedError

    def save_hosted_code(self, data: bytes) -> str:
        """Keep a zip of handler code that runs outside any function of the account (a
        CloudFormation extension's handlers, which AWS runs on its side): its code id.
        ServiceError (InvalidParameterValueException) when it is not a usable zip."""
        raise NotImplementedError

    async def run_hosted(
        self,
        account: str,
        region: str,
        name: str,
        runtime: str,
        handler: str,
        code_id: str,
        payload: bytes,
        timeout: int = 60,
    ) -> InvocationOutcome:
        """Run hosted code (save_hosted_code's) once in a Lambda environment of its own, named
        `name` (warm ones reused), on the runtime with the handler given. Its output is not
        written to the account's logs (AWS runs such code on its side)."""
        raise NotImplementedError

"""What every service provider shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overcast.runtime import Runtime


class BaseProvider:
    """A service's operations. Handlers are `def operation_name(self, context, params) -> dict`
    (or `async def`): they get the request context and the parsed input, return the output dict
    or raise the service's modelled error (overcast.errors.ServiceError)."""

    service: str = ""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store

    def reset(self) -> None:
        """Forget any state held outside the store (the store itself is reset by the runtime)."""

    def close(self) -> None:
        """Stop background work and child processes."""

"""What every service provider shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from overcast.bus import DeliveryError

if TYPE_CHECKING:
    from overcast.http import Request, Response
    from overcast.runtime import Runtime
    from overcast.store.layouts import TableLayout


class BaseProvider:
    """A service's operations. Handlers are `def operation_name(self, context, params) -> dict`
    (or `async def`): they get the request context and the parsed input, return the output dict
    or raise the service's modelled error (overcast.errors.ServiceError).

    Hooks a service may override:
      start()                 once, when the provider is loaded: register bus subscriptions,
                              request observers, periodic work (runtime.every / runtime.spawn).
      deliver(arn, message, **options)
                              another service hands a message to one of this service's
                              resources (runtime.bus.deliver); raise DeliveryError to refuse.
      internal_request(request, subpath)
                              Overcast's own HTTP routes for this service, served under
                              /_overcast/<service>/<subpath> (inspection endpoints and the like).
      reset(), close()        forget runtime state; stop background work and child processes.
    """

    service: str = ""
    #: The row layout of each of the service's store tables that has had more than one, with
    #: the steps from the older ones (overcast/store/layouts.py); other tables are at layout 1.
    layouts: ClassVar[tuple[TableLayout, ...]] = ()

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store

    def start(self) -> None:
        """Called once when the provider is loaded."""

    def deliver(self, target_arn: str, message: Any, **options: Any) -> Any:
        raise DeliveryError(f"{self.service or type(self).__module__} takes no deliveries", False)

    def internal_request(self, request: Request, subpath: str) -> Response | None:
        """An internal route of this service, or None for 404."""
        return None

    def reset(self) -> None:
        """Forget any state held outside the store (the store itself is reset by the runtime)."""

    def close(self) -> None:
        """Stop background work and child processes."""

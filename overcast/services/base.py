"""What every service provider shares: the one lifecycle interface the runtime and the
dispatcher call (DESIGN.md §3).

A provider is `services/<name>/provider.py:Provider`, a subclass of BaseProvider. Its
operations are methods named after them in snake_case; everything else it takes part in is
one of the hooks below, which it overrides only where it has something to do. The runtime
finds out once, when a provider is loaded, which hooks it overrides (`overrides()`), and the
dispatcher calls only those: a hook left alone costs nothing per request.

Lifecycle, in order:
    start()            once, when the provider is loaded (its first request, or server start
                       when it has state or is in services.AUTOSTART): bus subscriptions,
                       periodic work (runtime.every / runtime.spawn), caches loaded from the store.
    reset()            before the store is reset or replaced by an import: stop in-flight work
                       and child processes, forget runtime state that is not in the store.
    state_replaced()   after the store was reset or replaced by an import: drop or reload what
                       the provider caches from its tables. Runs under the store's lock: it must
                       not wait for other threads that use the store.
    stop()             the server begins to stop, before it waits for requests in flight (on
                       the event loop): end long waits such as SQS long polls.
    close()            the server has stopped: stop background work and child processes.

This service's own requests (called only for requests routed to this service):
    check_request(context, params)
                       after the request is parsed, before its handler; raise a ServiceError to
                       refuse it. May return an awaitable (a check that must wait).
    after_request(context, params, output, error)
                       after the handler (output None when it failed, error None when it
                       succeeded), before the response is sent.
    cors_preflight(request, context) / cors_response(request, context, response)
                       CORS is HTTP, not an API operation: answer an OPTIONS request, add
                       Access-Control-* headers to a response to a request with an Origin.
    refused_input(context, operation, uri_params, error)
                       the protocol layer refused the request's input with `error` (a
                       ServiceError): return the error to answer, `error` itself or one AWS
                       checks first (S3: NoSuchBucket before a malformed body).
    form_post(request, context)
                       a POST with no query string that may be HTML form handling (S3's
                       browser-based uploads): a Response, or None to go on as an API request.
    host_routes        (class attribute) hosts that are the service's own HTTP surface rather
                       than its API (S3 website endpoints, Lambda function URLs): each a
                       HostRoute(pattern, method name); the method is called as
                       method(request, match, context) and returns a Response (or an
                       awaitable of one), or None when the host is not one of its own after
                       all. Checked before any other routing, for loaded providers.
    path_routes        (class attribute) like host_routes, for paths that are a service's own
                       HTTP surface whatever the Host (`/_aws/execute-api/...`): the pattern
                       matches the raw path; checked before host_routes.
    internal_request(request, subpath)
                       Overcast's own HTTP routes for the service, under
                       /_overcast/<service>/<subpath> (inspection endpoints and the like).

Every request, whichever service it is for (few services have a reason to):
    check_any_request(context, params)
                       like check_request, for every AWS request (IAM enforcement); run before
                       the service's own check.
    observe_any_request(context, params, output, error)
                       like after_request, for every AWS request (CloudTrail's audit). Must be
                       quick: defer real work.
    resolve_key(access_key_id)
                       the credential record behind an access key the service issued (IAM and
                       STS keys): Account, Arn, UserId and Secret, or None if it is not one of
                       its keys. Identifies callers and checks their signatures.

IAM enforcement (--enforce-iam) asks about the service's resources:
    resource_policy(arn)
                       the resource-based policy attached to the resource (a bucket, queue or
                       topic policy; a function's permissions): JSON text or a dict, or None.
    resource_tags(arn)
                       the resource's tags, for aws:ResourceTag/<key> conditions; None when it
                       has none or the service does not say.
    resource_owner(arn)
                       the account that owns the resource: by default the account in its ARN
                       (S3's ARNs name none: S3 answers the bucket's).

Other services:
    deliver(target_arn, message, **options)
                       another service hands a message to one of this service's resources
                       (runtime.bus.deliver); raise DeliveryError to refuse it.
    Anything else another service needs is a public, typed method of the provider (never its
    tables or private attributes), called through runtime.provider("<service>").

A new service adds its overload to Runtime.provider (runtime.py), so that calls other services
make on it are type-checked, and a contract test (tests/unit/<service>/test_contracts.py) for
each method other services call. A service with CORS overrides cors_preflight and cors_response
together.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from overcast.bus import DeliveryError

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.errors import ServiceError
    from overcast.http import Request, Response
    from overcast.runtime import Runtime
    from overcast.store.layouts import TableLayout


class HostRoute(NamedTuple):
    """A host that is a service's own HTTP surface. The pattern may name a `region` group."""

    pattern: re.Pattern[str]
    #: The provider method that serves it: method(request, match, context) -> Response.
    method: str


class BaseProvider:
    service: ClassVar[str] = ""
    host_routes: ClassVar[tuple[HostRoute, ...]] = ()
    path_routes: ClassVar[tuple[HostRoute, ...]] = ()
    #: The row layout of each of the service's store tables that has had more than one, with
    #: the steps from the older ones (overcast/store/layouts.py); other tables are at layout 1.
    layouts: ClassVar[tuple[TableLayout, ...]] = ()

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Called once when the provider is loaded."""

    def reset(self) -> None:
        """Forget any state held outside the store; the store is reset (or imported) next."""

    def state_replaced(self) -> None:
        """The store was reset or replaced by an import: drop or reload what is cached from it."""

    def stop(self) -> None:
        """The server begins to stop: end long waits so that stopping does not wait for them."""

    def close(self) -> None:
        """Stop background work and child processes."""

    # -- this service's requests -----------------------------------------------------------------

    def check_request(self, context: RequestContext, params: dict[str, Any]) -> Awaitable[None] | None:
        """Refuse (raise ServiceError) a request to this service before its handler runs."""
        return None

    def after_request(
        self,
        context: RequestContext,
        params: dict[str, Any] | None,
        output: dict[str, Any] | None,
        error: Exception | None,
    ) -> None:
        """A request to this service was answered (output) or refused (error)."""

    def cors_preflight(self, request: Request, context: RequestContext) -> Response | None:
        """The answer to an OPTIONS request to this service; None: the service has no CORS."""
        return None

    def cors_response(self, request: Request, context: RequestContext, response: Response) -> None:
        """Add Access-Control-* headers to the response to a request that carries an Origin."""

    def refused_input(
        self, context: RequestContext, operation: Any, uri_params: dict[str, str], error: ServiceError
    ) -> ServiceError:
        """The error to answer for input the protocol layer refused with `error`."""
        return error

    async def form_post(self, request: Request, context: RequestContext) -> Response | None:
        """The answer to a POST with no query string, or None when it is an API request."""
        return None

    def internal_request(self, request: Request, subpath: str) -> Response | None:
        """An internal route of this service, or None for 404."""
        return None

    def engines(self) -> list[dict[str, Any]]:
        """The processes and containers this service runs (Lambda environments, databases,
        caches, tasks): kind, name, state, pid, account, region and anything else that helps
        (`overcast ps`, the dashboard's overview)."""
        return []

    # -- every request ---------------------------------------------------------------------------

    def check_any_request(self, context: RequestContext, params: dict[str, Any]) -> Awaitable[None] | None:
        """Refuse (raise ServiceError) any AWS request, of any service, before its handler runs."""
        return None

    def observe_any_request(
        self,
        context: RequestContext,
        params: dict[str, Any] | None,
        output: dict[str, Any] | None,
        error: Exception | None,
    ) -> None:
        """Any AWS request, of any service, was answered (output) or refused (error)."""

    def resolve_key(self, access_key_id: str) -> dict[str, Any] | None:
        """The credential record (Account, Arn, UserId, Secret) of a key this service issued."""
        return None

    # -- IAM enforcement -------------------------------------------------------------------------

    def resource_policy(self, arn: str) -> str | dict[str, Any] | None:
        """The resource-based policy attached to one of this service's resources, or None."""
        return None

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        """The tags of one of this service's resources (aws:ResourceTag/<key>), or None."""
        return None

    def resource_owner(self, arn: str) -> str | None:
        """The account that owns one of this service's resources: the ARN's, by default."""
        return arn_account(arn)

    # -- other services --------------------------------------------------------------------------

    def deliver(self, target_arn: str, message: Any, **options: Any) -> Any:
        raise DeliveryError(f"{self.service or type(self).__module__} takes no deliveries", False)


def arn_account(arn: str) -> str | None:
    """The account an ARN names, or None (S3's ARNs, "*")."""
    parts = arn.split(":", 5)
    return (parts[4] or None) if len(parts) == 6 else None


def overrides(provider: BaseProvider, hook: str) -> bool:
    """Whether the provider's class implements `hook` itself rather than inheriting the no-op."""
    return getattr(type(provider), hook) is not getattr(BaseProvider, hook)

"""The AWS request path: route → parse → provider → serialize (DESIGN.md §1)."""

from __future__ import annotations

import inspect
import logging

from overcast import protocols, services
from overcast.common.ids import fast_uuid
from overcast.context import DEFAULT_REGION, RequestContext
from overcast.errors import ServiceError, internal_error, not_implemented
from overcast.http import BodyStream, Request, Response
from overcast.identity import identify
from overcast.protocols.catalog import load as load_catalog
from overcast.routing import HOST_ROUTES, ServiceRouter, credential_scope, host_region
from overcast.runtime import Runtime

log = logging.getLogger("overcast")

_UNKNOWN_SERVICE_BODY = (
    "<ErrorResponse><Error><Type>Sender</Type><Code>UnknownService</Code>"
    "<Message>Overcast could not tell which AWS service this request is for.</Message>"
    "</Error><RequestId>{}</RequestId></ErrorResponse>"
)


class Dispatcher:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._router: ServiceRouter | None = None

    @property
    def router(self) -> ServiceRouter:
        if self._router is None:
            self._router = ServiceRouter(load_catalog())
        return self._router

    async def dispatch(self, request: Request) -> tuple[Response, RequestContext]:
        context = RequestContext(request=request, request_id=fast_uuid())
        if type(request.body) is BodyStream and request.method != "PUT":
            request.body = await request.body.read()  # only REST PUTs carry streaming payloads
        if HOST_ROUTES:
            served = await self._serve_host(request, context)
            if served is not None:
                return served, context
        scope = credential_scope(request)
        service = self.router.resolve(request, scope)
        if service is None:
            body = _UNKNOWN_SERVICE_BODY.format(context.request_id).encode()
            return Response(400, {"Content-Type": "text/xml"}, body), context
        context.service = service
        context.region = (
            (scope.region if scope is not None else "") or host_region(request.host) or DEFAULT_REGION
        )
        identify(context, scope.access_key_id if scope is not None else None)
        if request.method == "OPTIONS":
            # CORS is HTTP, not an API operation: the service answers preflights itself (and
            # adds Access-Control-* headers to responses below).
            cors = self._cors(service)
            if cors is not None:
                return cors.cors_preflight(request, context), context

        if request.method == "POST" and not request.query_string:
            # A browser-based upload (S3's POST Object) is HTML form handling, not an API
            # operation: the service answers it itself, as it does CORS preflights.
            forms = self._provider_with(service, "form_post")
            if forms is not None:
                response = await forms.form_post(request, context)
                if response is not None:
                    cors = self._cors(service) if "origin" in request.headers else None
                    if cors is not None:
                        cors.cors_response(request, context, response)
                    return response, context

        model = protocols.service_model(service)
        context.service_model = model
        protocol = context.protocol = protocols.detect_protocol(model, request)
        params = None
        try:
            operation, uri_params = protocols.match_operation(model, protocol, request)
            context.operation = operation
            if type(request.body) is BodyStream and not protocols.streams_input(operation):
                request.body = await request.body.read()
            # Input is checked first, as AWS would, even where the operation is not emulated yet.
            params = protocols.parse_request(operation, protocol, request, uri_params)
            handler = self.runtime.handler(service, operation.name)
            if handler is None:
                raise self._unavailable(service, operation.name)
            for check in self.runtime.request_checks:
                checked = check(context, params)
                if checked is not None and inspect.isawaitable(checked):
                    await checked
            output = handler(context, params)
            if output.__class__ is not dict and inspect.isawaitable(output):
                output = await output
            response = protocols.serialize_response(operation, protocol, output or {}, context)
            if context.status is not None:
                response.status = context.status
        except ServiceError as error:
            response = protocols.serialize_error(model, context.operation, protocol, error, context)
            self._observe(context, params, None, error)
        except Exception as error:
            log.exception("%s.%s failed", service, context.operation_name or "?")
            response = protocols.serialize_error(
                model, context.operation, protocol, internal_error(), context
            )
            self._observe(context, params, None, error)
        else:
            self._observe(context, params, output, None)
        if "origin" in request.headers:
            cors = self._cors(service)
            if cors is not None:
                cors.cors_response(request, context, response)
        return response, context

    def _cors(self, service: str):
        """The provider that handles CORS for its service, if it does."""
        return self._provider_with(service, "cors_preflight")

    def _provider_with(self, service: str, hook: str):
        """The service's provider, if the service is enabled and its provider has `hook`."""
        if service not in services.implemented() or not self.runtime.config.service_enabled(service):
            return None
        provider = self.runtime.provider(service)
        return provider if hasattr(provider, hook) else None

    def _observe(self, context, params, output, error) -> None:
        for observe in self.runtime.observers:
            try:
                observe(context, params, output, error)
            except Exception:  # an observer's bug must not turn a served request into a 500
                log.exception("request observer %r failed", observe)

    async def _serve_host(self, request: Request, context: RequestContext) -> Response | None:
        """A service's own HTTP surface on a host of its own (S3 website endpoints, Lambda
        function URLs): the provider method named in HOST_ROUTES serves it."""
        host = request.host
        for pattern, service, method in HOST_ROUTES:
            match = pattern.match(host)
            if match is None or not self.runtime.config.service_enabled(service):
                continue
            context.service = service
            context.region = match.groupdict().get("region") or host_region(host) or DEFAULT_REGION
            response = getattr(self.runtime.provider(service), method)(request, match, context)
            if inspect.isawaitable(response):
                response = await response
            return response
        return None

    def _unavailable(self, service: str, operation: str) -> ServiceError:
        if not self.runtime.config.service_enabled(service):
            return ServiceError(
                "ServiceNotEnabled",
                f"The service {service} is not enabled in this Overcast (see the SERVICES setting).",
                501,
                sender_fault=False,
            )
        return not_implemented(service, operation)

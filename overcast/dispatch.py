"""The AWS request path: route → parse → provider → serialize (DESIGN.md §1)."""

from __future__ import annotations

import inspect
import logging

from overcast import bodylimits, protocols
from overcast.common.ids import fast_uuid
from overcast.context import DEFAULT_REGION, RequestContext
from overcast.errors import ServiceError, internal_error, not_implemented
from overcast.faults import is_disk_full, storage_full_error
from overcast.http import BodyStalled, BodyStream, BodyTooLarge, ClientGone, Request, Response
from overcast.identity import identify
from overcast.protocols.catalog import load as load_catalog
from overcast.routing import ServiceRouter, credential_scope, host_region, registry_request
from overcast.runtime import Runtime
from overcast.store.space import freeing

log = logging.getLogger(__name__)

#: Operations that free space: on a full disk they still run (their writes use the reserve the
#: store keeps, store/space.py), while other writes are refused until there is room.
_FREEING = ("Delete", "Remove", "Purge", "Abort", "Untag", "Cancel", "Deregister", "Detach")
_PLAIN_ERROR_BODY = (
    "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message>"
    "</Error><RequestId>{}</RequestId></ErrorResponse>"
)
#: S3's answer to a client that stops sending its body; no other service documents one.
_STALLED = (
    "RequestTimeout",
    "Your socket connection to the server was not read from or written to within the timeout period."
    " Idle connections will be closed.",
)

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
        if registry_request(request) and self.runtime.serves("ecr"):
            # The ECR registry's own HTTP API: its bodies (image layers) stream to its files.
            context.service = "ecr"
            return await self.runtime.provider("ecr").serve_registry(request, context), context
        if type(request.body) is BodyStream and request.method != "PUT":
            # Only REST PUTs carry streaming payloads: any other body is read whole, capped.
            refused = await self._read_whole(request, context)
            if refused is not None:
                return refused, context
        runtime = self.runtime
        if runtime.every_request.host_routes or runtime.every_request.path_routes:
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
        identify(context, scope.access_key_id if scope is not None else None, runtime.resolve_key)
        model = protocols.service_model(service)
        context.service_model = model
        protocol = context.protocol = protocols.detect_protocol(model, request)
        try:
            hooks = runtime.hooks(service)  # loads the service's provider on its first request
        except Exception:
            log.exception("%s could not start", service)
            return protocols.serialize_error(model, None, protocol, internal_error(), context), context
        cors = hooks.cors
        if request.method == "OPTIONS" and cors is not None:
            # CORS is HTTP, not an API operation: the service answers preflights itself (and
            # adds Access-Control-* headers to responses below).
            preflight = cors.cors_preflight(request, context)
            if preflight is not None:
                return preflight, context

        if hooks.form_post is not None and request.method == "POST" and not request.query_string:
            # A browser-based upload (S3's POST Object) is HTML form handling, not an API
            # operation: the service answers it itself, as it does CORS preflights.
            response = await hooks.form_post(request, context)
            if response is not None:
                if cors is not None and "origin" in request.headers:
                    cors.cors_response(request, context, response)
                return response, context

        params = None
        try:
            operation, uri_params = protocols.match_operation(model, protocol, request)
            context.operation = operation
            if type(request.body) is BodyStream and not protocols.streams_input(operation):
                limit = self._body_limit(request, scope)
                try:
                    request.body = await self._read_capped(request.body, request, limit)
                except BodyTooLarge:
                    raise limit.error(operation.name) from None
                except BodyStalled:
                    raise ServiceError(*_STALLED, 400) from None
            # Input is checked first, as AWS would, even where the operation is not emulated yet.
            try:
                params = protocols.parse_request(operation, protocol, request, uri_params)
            except ServiceError as refused:
                if hooks.refused_input is None:
                    raise
                raise hooks.refused_input(context, operation, uri_params, refused) from None
            handler = runtime.handler(service, operation.name)
            if handler is None:
                raise self._unavailable(service, operation.name)
            if hooks.checks:
                await hooks.check(context, params)
            if operation.name.startswith(_FREEING):
                with freeing():  # writes that free space run even on a full disk
                    output = handler(context, params)
                    if output.__class__ is not dict and inspect.isawaitable(output):
                        output = await output
            else:
                output = handler(context, params)
                if output.__class__ is not dict and inspect.isawaitable(output):
                    output = await output
            response = protocols.serialize_response(operation, protocol, output or {}, context)
            if context.status is not None:
                response.status = context.status
        except ServiceError as error:
            context.error, context.params = error, params
            response = protocols.serialize_error(model, context.operation, protocol, error, context)
            if error.status == 413 or error.code == _STALLED[0]:
                response.headers["Connection"] = "close"  # the rest of the body is never read
            hooks.observe(context, params, None, error)
        except ClientGone:
            log.info(
                "%s.%s: the client went away before sending its whole body", service, context.operation_name
            )
            response = Response(400)  # nobody is left to read it
        except Exception as error:
            context.error, context.params = error, params
            if is_disk_full(error):  # the machine's fault, said as the service's internal error
                log.debug("%s.%s: the disk is full", service, context.operation_name or "?")
                runtime.store.noticed(error)
                full = storage_full_error(service)
                response = protocols.serialize_error(model, context.operation, protocol, full, context)
                hooks.observe(context, params, None, full)
            else:
                log.exception("%s.%s failed", service, context.operation_name or "?")
                response = protocols.serialize_error(
                    model, context.operation, protocol, internal_error(), context
                )
                hooks.observe(context, params, None, error)
        else:
            hooks.observe(context, params, output, None)
        if cors is not None and "origin" in request.headers:
            cors.cors_response(request, context, response)
        return response, context

    def _body_limit(self, request: Request, scope) -> bodylimits.BodyLimit:
        """The limit on this request's body, by the service it is signed for (or targets)."""
        if request.method == "POST" and not request.query_string:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                return bodylimits.FORM_UPLOAD
        if scope is not None and scope.service:
            return bodylimits.limit_for(scope.service)
        target = request.headers.get("x-amz-target")
        if target:
            return bodylimits.limit_for(self.router.by_target_prefix.get(target.rpartition(".")[0]))
        return bodylimits.DEFAULT

    @staticmethod
    async def _read_capped(body: BodyStream, request: Request, limit: bodylimits.BodyLimit) -> bytes:
        """The whole body, refused (BodyTooLarge) on its declared length before any is read."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and (len(length) > 18 or int(length) > limit.size):
            raise BodyTooLarge(f"Content-Length {length} is past {limit.size}")
        return await body.read(limit.size)

    async def _read_whole(self, request: Request, context: RequestContext) -> Response | None:
        """Read a body still arriving; an AWS-shaped refusal if it is too large or stalls."""
        body = request.body
        assert type(body) is BodyStream
        scope = credential_scope(request)
        limit = self._body_limit(request, scope)
        try:
            request.body = await self._read_capped(body, request, limit)
            return None
        except BodyTooLarge:
            error = limit.error(self._operation_name(request, scope))
        except BodyStalled:
            error = ServiceError(*_STALLED, 400)
        except ClientGone:
            log.info(
                "%s %s: the client went away before sending its whole body", request.method, request.raw_path
            )
            return Response(400)  # nobody is left to read it
        request.body = b""
        response = self._early_error(request, context, scope, error)
        response.headers["Connection"] = "close"  # the rest of the body is never read
        return response

    def _service_of(self, request: Request, scope) -> str | None:
        """The service a request is signed for or targets, before it is routed."""
        if scope is not None and scope.service:
            return next(iter(self.router.by_signing_name.get(scope.service) or ()), None)
        if request.headers.get("x-amz-target"):
            return self.router.by_target_prefix.get(request.headers["x-amz-target"].rpartition(".")[0])
        return None

    def _operation_name(self, request: Request, scope) -> str | None:
        """The operation a request whose body is refused names, where its path and headers tell."""
        service = self._service_of(request, scope)
        if service is None:
            return None
        try:
            model = protocols.service_model(service)
            operation, _ = protocols.match_operation(
                model, protocols.detect_protocol(model, request), request
            )
        except Exception:  # unroutable: the refusal is worded without the operation
            return None
        return str(operation.name)

    def _early_error(self, request: Request, context: RequestContext, scope, error: ServiceError) -> Response:
        """`error` in the protocol of the service the request is signed for or targets, before
        it is routed (routing may need the body that was refused)."""
        service = self._service_of(request, scope)
        if service is not None:
            context.service = service
            model = protocols.service_model(service)
            protocol = protocols.detect_protocol(model, request)
            return protocols.serialize_error(model, None, protocol, error, context)
        body = _PLAIN_ERROR_BODY.format(error.code, error.message, context.request_id).encode()
        return Response(error.status, {"Content-Type": "text/xml"}, body)

    async def _serve_host(self, request: Request, context: RequestContext) -> Response | None:
        """A service's own HTTP surface on a host of its own (S3 website endpoints, Lambda
        function URLs) or a path of its own (API Gateway's /_aws/execute-api/...): the loaded
        providers' path_routes, then host_routes (services/base.py). A route whose method
        answers None lets the request go on."""
        host = request.host
        every = self.runtime.every_request
        for subject, routes in ((request.raw_path, every.path_routes), (host, every.host_routes)):
            for pattern, service, serve in routes:
                match = pattern.match(subject)
                if match is None or not self.runtime.config.service_enabled(service):
                    continue
                context.service = service
                context.region = match.groupdict().get("region") or host_region(host) or DEFAULT_REGION
                response = serve(request, match, context)
                if inspect.isawaitable(response):
                    response = await response
                if response is not None:
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

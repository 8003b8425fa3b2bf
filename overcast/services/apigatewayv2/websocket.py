"""WebSocket APIs: a real WebSocket server on port 4566 (the ASGI server upgrades the
connection; this module speaks ASGI's websocket messages) and the `@connections` API.

A client connects to `ws://{api-id}.execute-api.localhost.localstack.cloud:4566/{stage}` (or
`ws://localhost:4566/_aws/execute-api/{api-id}/{stage}`): the `$connect` route's authorizer
and integration decide whether it is accepted. Each message is routed by the API's route
selection expression (`$request.body.action`) to its route, else `$default`; `$disconnect`
runs when the connection closes. A route with a route response sends the integration's
answer back to the client. A backend pushes to a client through the management API
(PostToConnection, GetConnection, DeleteConnection), served at `/{stage}/@connections/{id}`
on the API's endpoint and as the `apigatewaymanagementapi` service."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from overcast.common import jsontext, payload2
from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.services.apigatewayv2.dataplane import HttpCall, HttpError, error_response, evaluate, lookup

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider

log = logging.getLogger(__name__)

#: The largest message a client or a backend may send (128 KB).
MAX_MESSAGE = 128 * 1024
#: AWS closes a connection idle for 10 minutes, and any connection after 2 hours (seconds on
#: the scheduler's clock, which OVERCAST_SCHEDULE_SPEED speeds up for tests).
IDLE_TIMEOUT = 600.0
MAX_DURATION = 7200.0
_TIMER = "apigatewayv2/connection/"
_CONNECTIONS_PATH = re.compile(r"^/@connections/(?P<id>[^/]+)$")


@dataclass
class Connection:
    connection_id: str
    api_id: str
    stage: str
    scope: str
    domain: str
    send: Callable[[dict[str, Any]], Awaitable[None]]
    source_ip: str
    user_agent: str
    connected_at: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.time)
    authorizer: dict[str, Any] | None = None
    closed: bool = False
    #: When the client last sent a message, on the scheduler's clock.
    seen: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def push(self, data: bytes) -> None:
        try:
            message: dict[str, Any] = {"type": "websocket.send", "text": data.decode()}
        except UnicodeDecodeError:
            message = {"type": "websocket.send", "bytes": data}
        async with self.lock:
            await self.send(message)


def _connection_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(10)).decode()[:12] + "cF="


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def gone(connection_id: str) -> ServiceError:
    return ServiceError("GoneException", f"Connection {connection_id} is gone", 410)


class WebSocketMixin:
    def init_websocket(self: Provider) -> None:  # type: ignore[misc]
        #: connection id → the live connection.
        self.connections: dict[str, Connection] = {}

    def reset_websocket(self: Provider) -> None:  # type: ignore[misc]
        for connection in list(self.connections.values()):
            connection.closed = True
            if self.runtime.loop is not None and not self.runtime.loop.is_closed():
                self.runtime.spawn(self._close(connection), "websocket-close")
        self.connections.clear()

    def _idle_check(self: Provider, key: str, due: float) -> None:  # type: ignore[misc]
        connection = self.connections.get(key.rsplit("/", 1)[1])
        if connection is None or connection.closed:
            return
        if connection.seen + IDLE_TIMEOUT > self.runtime.scheduler.now():
            self.runtime.scheduler.at(key, connection.seen + IDLE_TIMEOUT, self._idle_check)
            return
        self._expire(key, due)

    def _expire(self: Provider, key: str, due: float) -> None:  # type: ignore[misc]
        connection = self.connections.pop(key.rsplit("/", 1)[1], None)
        if connection is not None and not connection.closed:
            connection.closed = True
            self.runtime.spawn(self._close(connection), "websocket-close")

    def close_connections(self: Provider, api_id: str, stage: str | None = None) -> None:  # type: ignore[misc]
        """Close the live connections of an API (or one of its stages) that was deleted."""
        for connection in [
            c for c in self.connections.values() if c.api_id == api_id and (stage is None or c.stage == stage)
        ]:
            connection.closed = True
            self.connections.pop(connection.connection_id, None)
            self.runtime.spawn(self._close(connection), "websocket-close")

    async def _close(self, connection: Connection) -> None:
        try:
            async with connection.lock:
                await connection.send({"type": "websocket.close", "code": 1001})
        except Exception:  # the client may be gone already
            log.debug("closing connection %s failed", connection.connection_id)

    # -- the WebSocket server --------------------------------------------------------------------

    def websocket_target(self: Provider, request: Request) -> tuple[str, str, str] | None:  # type: ignore[misc]
        """(api id, stage, domain) of a WebSocket upgrade request, by Host or path."""
        from overcast.services.apigatewayv2.provider import API_HOST, EXECUTE_API_PATH

        path = request.raw_path
        form = EXECUTE_API_PATH.match(path)
        host = request.host
        if form is not None:
            api_id, rest, domain = form.group("api_id"), form.group("path") or "/", ""
        else:
            by_host = API_HOST.match(host)
            if by_host is not None:
                api_id, rest, domain = by_host.group("api_id"), path, host.split(":")[0]
            else:
                name = host.split(":")[0].lower()
                record = self.served_domain(name)
                if record is None:
                    return None
                target = self.domain_target(record, request)
                return (target[0], target[1], name) if target else None
        found = self.served_document(api_id)
        if found is None:
            return None
        stage = rest.strip("/").split("/")[0]
        if stage not in found[1]["Stages"]:
            if "$default" not in found[1]["Stages"]:
                return None
            stage = "$default"
        return api_id, stage, domain

    async def serve_websocket(self: Provider, request: Request, receive: Callable, send: Callable) -> None:  # type: ignore[misc]
        """One WebSocket connection, from the upgrade to its close."""
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        target = self.websocket_target(request)
        found = self.served_document(target[0]) if target else None
        if target is None or found is None or found[1]["Api"]["ProtocolType"] != "WEBSOCKET":
            await send({"type": "websocket.close", "code": 1008})
            return
        api_id, stage, domain = target
        scope, _doc = found
        connection = Connection(
            connection_id=_connection_id(),
            api_id=api_id,
            stage=stage,
            scope=scope,
            domain=domain or f"{api_id}.execute-api.{scope.split('/')[1]}.amazonaws.com",
            send=send,
            source_ip=request.client_ip,
            user_agent=request.headers.get("user-agent", ""),
        )
        accepted = await self.on_connect(connection, request)
        if not accepted:
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.accept"})
        self.connections[connection.connection_id] = connection
        scheduler = self.runtime.scheduler
        connection.seen = scheduler.now()
        scheduler.at(
            f"{_TIMER}idle/{connection.connection_id}", connection.seen + IDLE_TIMEOUT, self._idle_check
        )
        scheduler.at(f"{_TIMER}max/{connection.connection_id}", connection.seen + MAX_DURATION, self._expire)
        tasks: set[asyncio.Task] = set()
        reason = "Client-side close frame status not set"
        status = 1005
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.receive":
                    connection.last_active = time.time()
                    connection.seen = scheduler.now()
                    data = message.get("text")
                    body = data.encode() if data is not None else (message.get("bytes") or b"")
                    if len(body) > MAX_MESSAGE:
                        await connection.push(
                            json.dumps(
                                {"message": "Message too long", "connectionId": connection.connection_id}
                            ).encode()
                        )
                        continue
                    task = asyncio.ensure_future(self.on_message(connection, body, data is None))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                elif kind == "websocket.disconnect":
                    status = int(message.get("code") or 1005)
                    reason = str(message.get("reason") or reason)
                    break
        finally:
            connection.closed = True
            self.connections.pop(connection.connection_id, None)
            scheduler.cancel(f"{_TIMER}idle/{connection.connection_id}")
            scheduler.cancel(f"{_TIMER}max/{connection.connection_id}")
            await self.on_disconnect(connection, status, reason)

    # -- routes ----------------------------------------------------------------------------------

    def _deployed(  # type: ignore[misc]
        self: Provider, connection: Connection
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
        """(document, stage, snapshot) the connection's stage serves now."""
        found = self.served_document(connection.api_id)
        if found is None:
            return None
        doc = found[1]
        stage = doc["Stages"].get(connection.stage)
        deployment = doc["Deployments"].get((stage or {}).get("DeploymentId") or "")
        if stage is None or deployment is None:
            return None
        return doc, stage, deployment["_Snapshot"]

    def _call(  # type: ignore[misc]
        self: Provider,
        connection: Connection,
        request: Request,
        route: dict[str, Any] | None,
        deployed: tuple,
    ) -> HttpCall:
        doc, stage, snapshot = deployed
        call = HttpCall(
            request=request,
            api_id=connection.api_id,
            stage_name=connection.stage,
            path="/",
            scope=connection.scope,
            doc=doc,
            stage=stage,
            snapshot=snapshot,
            domain=connection.domain,
        )
        call.route = route
        call.authorizer = connection.authorizer
        call.connection_id = connection.connection_id
        return call

    def ws_event(
        self,
        call: HttpCall,
        connection: Connection,
        event_type: str,
        body: bytes | None,
        binary: bool = False,
    ) -> dict[str, Any]:
        context: dict[str, Any] = {
            "routeKey": call.route_key,
            "eventType": event_type,
            "extendedRequestId": call.request_id,
            "requestTime": payload2.request_time(call.started),
            "messageDirection": "IN",
            "stage": connection.stage,
            "connectedAt": int(connection.connected_at * 1000),
            "requestTimeEpoch": int(call.started * 1000),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "requestId": call.request_id,
            "domainName": connection.domain,
            "connectionId": connection.connection_id,
            "apiId": connection.api_id,
        }
        if connection.authorizer is not None:
            # As REST APIs show it: the authorizer's context flat, beside principalId.
            given = connection.authorizer
            flat = {k: v for k, v in given.items() if k not in ("lambda", "iam")}
            flat.update(given.get("lambda") or {})
            flat.update(given.get("iam") or {})
            context["authorizer"] = flat
        event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": binary}
        if event_type == "MESSAGE":
            context["messageId"] = base64.b64encode(os.urandom(10)).decode()[:14] + "=="
            event["body"] = (
                base64.b64encode(body or b"").decode() if binary else (body or b"").decode("utf-8", "replace")
            )
        elif event_type == "CONNECT":
            request = call.request
            headers = {
                name.title() if name != "host" else "Host": value for name, value in request.headers.items()
            }
            event["headers"] = headers
            event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
            if request.query_string:
                event["queryStringParameters"] = {k: v[-1] for k, v in request.query.items()}
                event["multiValueQueryStringParameters"] = {k: list(v) for k, v in request.query.items()}
        return event

    async def on_connect(self: Provider, connection: Connection, request: Request) -> bool:  # type: ignore[misc]
        deployed = self._deployed(connection)
        if deployed is None:
            return False
        snapshot = deployed[2]
        route = next((r for r in snapshot["Routes"].values() if r["RouteKey"] == "$connect"), None)
        if route is None:
            return True
        call = self._call(connection, request, route, deployed)
        call.authorizer = None
        try:
            await self.authorize_http(call)
        except HttpError:
            return False
        connection.authorizer = call.authorizer
        if route.get("ApiKeyRequired"):
            selection = deployed[2].get("ApiKeySelectionExpression") or "$request.header.x-api-key"
            if selection == "$context.authorizer.usageIdentifierKey":
                found: dict[str, Any] = call.authorizer or {}
                value = str(found.get("usageIdentifierKey") or "")
            else:
                value = request.headers.get("x-api-key", "")
            if not self.runtime.serves("apigateway") or not self.runtime.provider(
                "apigateway"
            ).check_websocket_key(connection.scope, connection.api_id, connection.stage, value):
                return False
        try:
            status, _ = await self.integrate_ws(call, connection, route, "CONNECT", None)
        except HttpError:
            return False
        return 200 <= status < 300

    async def on_disconnect(self: Provider, connection: Connection, status: int, reason: str) -> None:  # type: ignore[misc]
        deployed = self._deployed(connection)
        if deployed is None:
            return
        route = next((r for r in deployed[2]["Routes"].values() if r["RouteKey"] == "$disconnect"), None)
        if route is None:
            return
        call = self._call(connection, Request("GET", "/", "", {}), route, deployed)
        try:
            event_extra = {"disconnectStatusCode": status, "disconnectReason": reason}
            await self.integrate_ws(call, connection, route, "DISCONNECT", None, event_extra)
        except HttpError:
            pass  # the connection is gone: nobody hears of it
        except Exception:
            log.exception("API %s: $disconnect failed", connection.api_id)

    def select_route(self, snapshot: dict[str, Any], body: bytes, binary: bool) -> dict[str, Any] | None:
        expression = snapshot.get("RouteSelectionExpression") or ""
        key = None
        if not binary and expression.startswith(("$request.body", "${request.body")):
            try:
                document = jsontext.loads(body)
            except ValueError:
                document = None
            path = expression.strip("${}").removeprefix("request.body").lstrip(".")
            value = lookup(document, path) if isinstance(document, dict) else None
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                key = str(value)
        routes = snapshot["Routes"].values()
        if key is not None:
            found = next((r for r in routes if r["RouteKey"] == key), None)
            if found is not None:
                return found
        return next((r for r in routes if r["RouteKey"] == "$default"), None)

    async def on_message(self: Provider, connection: Connection, body: bytes, binary: bool) -> None:  # type: ignore[misc]
        deployed = self._deployed(connection)
        if deployed is None:
            return
        route = self.select_route(deployed[2], body, binary)
        call = self._call(
            connection, Request("POST", "/", "", {"content-type": "application/json"}, body), route, deployed
        )
        if route is None:
            await self._refuse(connection, call, "Forbidden")
            self.access_log(call, Response(403))
            return
        status = 200
        try:
            self.throttle(call)
            self.validate_message(call, route, body, binary)
            status, answer = await self.integrate_ws(call, connection, route, "MESSAGE", body, binary=binary)
        except HttpError as error:
            status = error.status
            await self._refuse(
                connection, call, "Internal server error" if error.status >= 500 else error.message
            )
            return
        except Exception:
            status = 500
            log.exception("API %s: route %s failed", connection.api_id, route.get("RouteKey"))
            await self._refuse(connection, call, "Internal server error")
            return
        finally:
            call.integration_status = status
            self.access_log(call, Response(status))
            self.execution_log(call, route, body, status)
        responses = deployed[2]["RouteResponses"].get(route["RouteId"]) or {}
        if answer is not None and responses and not connection.closed:
            await connection.push(answer)

    def validate_message(self, call: HttpCall, route: dict[str, Any], body: bytes, binary: bool) -> None:
        """A route's request model (chosen by its model selection expression) checks the
        message: a JSON Schema draft 4 that the body must satisfy."""
        models = route.get("RequestModels") or {}
        if not models:
            return
        expression = route.get("ModelSelectionExpression") or "$default"
        key = (
            evaluate(call, expression) if expression.startswith("$request") else expression.replace("\\", "")
        )
        name = models.get(key or "") or models.get("$default")
        model = next((m for m in call.snapshot["Models"].values() if m["Name"] == name), None)
        if model is None:
            return
        import jsonschema

        try:
            document = None if binary else jsontext.loads(body)
            schema = json.loads(model["Schema"])
        except ValueError:
            raise HttpError(400, "Invalid request body") from None
        if document is None or any(True for _ in jsonschema.Draft4Validator(schema).iter_errors(document)):
            raise HttpError(400, "Invalid request body")

    def execution_log(  # type: ignore[misc]
        self: Provider, call: HttpCall, route: dict[str, Any], body: bytes, status: int
    ) -> None:
        """A WebSocket stage's execution log (its route's LoggingLevel, else the stage's: INFO
        every message, ERROR the failed ones; DataTraceEnabled adds the body) in the group
        /aws/apigateway/{api-id}/{stage}."""
        own = (call.stage.get("RouteSettings") or {}).get(route["RouteKey"]) or {}
        defaults = call.stage.get("DefaultRouteSettings") or {}
        level = own.get("LoggingLevel") or defaults.get("LoggingLevel") or "OFF"
        if level == "OFF" or (level == "ERROR" and status < 400) or not self.runtime.serves("logs"):
            return
        rid = call.request_id
        lines = [
            f"({rid}) Extended Request Id: {rid}",
            f"({rid}) Verifying Usage Plan for request: {rid}. API Key:  API Stage: {call.api_id}/{call.stage_name}",
            f"({rid}) Starting execution for request: {rid}",
            f"({rid}) WebSocket Request Route: [{route['RouteKey']}]",
            f"({rid}) Client [Connection Id: {call.connection_id}] Request Method: MESSAGE",
        ]
        if own.get("DataTraceEnabled", defaults.get("DataTraceEnabled")):
            lines.append(
                f"({rid}) Method request body before transformations: {body[:1024].decode('utf-8', 'replace')}"
            )
        lines.append(f"({rid}) Method completed with status: {status}")
        moment = int(time.time() * 1000)
        try:
            self.runtime.provider("logs").append(
                call.account,
                call.region,
                f"/aws/apigateway/{call.api_id}/{call.stage_name}",
                call.request_id.rstrip("="),
                [(moment, line) for line in lines],
            )
        except Exception:  # a log that cannot be written must not fail the message
            log.exception("API %s: the execution log could not be written", call.api_id)

    async def _refuse(self, connection: Connection, call: HttpCall, message: str) -> None:
        if connection.closed:
            return
        await connection.push(
            json.dumps(
                {"message": message, "connectionId": connection.connection_id, "requestId": call.request_id}
            ).encode()
        )

    # -- integrations ----------------------------------------------------------------------------

    async def integrate_ws(  # type: ignore[misc]
        self: Provider,
        call: HttpCall,
        connection: Connection,
        route: dict[str, Any],
        event_type: str,
        body: bytes | None,
        extra: dict[str, Any] | None = None,
        binary: bool = False,
    ) -> tuple[int, bytes | None]:
        """(status, what goes back to the client) of a route's integration."""
        integration = call.snapshot["Integrations"].get((route.get("Target") or "").partition("/")[2])
        if integration is None:
            raise HttpError(500, "Internal server error")
        kind = integration["IntegrationType"]
        timeout = float(integration.get("TimeoutInMillis") or 29000) / 1000
        if kind == "AWS_PROXY":
            event = self.ws_event(call, connection, event_type, body, binary)
            if extra:
                event["requestContext"].update(extra)
            payload, error = await self.invoke_lambda(
                call, integration.get("IntegrationUri") or "", event, timeout
            )
            if error is not None:
                raise HttpError(500, "Internal server error")
            try:
                result = jsontext.loads(payload or b"null")
            except ValueError:
                return 200, payload
            if isinstance(result, dict) and "statusCode" in result:
                try:
                    status = int(result["statusCode"])
                except (TypeError, ValueError):
                    raise HttpError(500, "Internal server error") from None
                answer = result.get("body")
                if answer is None:
                    return status, None
                if result.get("isBase64Encoded"):
                    return status, base64.b64decode(str(answer))
                return status, (answer if isinstance(answer, str) else json.dumps(answer)).encode()
            return 200, payload if result is not None else None
        if kind == "MOCK":
            return self.mock_ws(call, connection, integration, body)
        if kind == "AWS":
            return await self.aws_ws(call, connection, integration, body or b"")
        if kind in ("HTTP", "HTTP_PROXY"):
            call.request.body = body or b""
            if kind == "HTTP":
                template = self.pick_template(
                    integration.get("RequestTemplates") or {},
                    integration.get("TemplateSelectionExpression"),
                    call,
                )
                if template is not None:
                    call.request.body = self.render_ws(template, call, connection, body or b"").encode()
            response = await self.http_proxy(
                call,
                {**integration, "IntegrationMethod": integration.get("IntegrationMethod") or "POST"},
                timeout,
            )
            data = response.body if isinstance(response.body, (bytes, bytearray)) else b""
            if kind == "HTTP":
                selected = self.integration_answer(
                    call, connection, integration, response.status, bytes(data)
                )
                if selected is not None:
                    return response.status, selected
            return response.status, bytes(data)
        raise HttpError(500, "Internal server error")

    async def aws_ws(  # type: ignore[misc]
        self: Provider, call: HttpCall, connection: Connection, integration: dict[str, Any], body: bytes
    ) -> tuple[int, bytes | None]:
        """An AWS service integration (`arn:aws:apigateway:{region}:{service}:action/{Action}`
        or `:path/...`): the request template renders the service's input, which runs through
        the service's own protocol parser and handler as the integration's credentials role,
        as REST APIs' AWS integrations do."""
        if not self.runtime.serves("apigateway"):
            raise HttpError(500, "Internal server error")
        template = self.pick_template(
            integration.get("RequestTemplates") or {}, integration.get("TemplateSelectionExpression"), call
        )
        payload = self.render_ws(template, call, connection, body).encode() if template is not None else body
        rest = self.runtime.provider("apigateway")
        settings = {
            "httpMethod": integration.get("IntegrationMethod") or "POST",
            "credentials": integration.get("CredentialsArn") or "",
            "timeoutInMillis": integration.get("TimeoutInMillis") or 29000,
        }
        try:
            result = await rest.aws_service(
                cast(Any, call), settings, integration.get("IntegrationUri") or "", {}, {}, {}, payload
            )
        except Exception as error:  # the REST data plane's refusal: an integration failure here
            log.info("API %s: AWS integration failed: %s", connection.api_id, error)
            raise HttpError(500, "Internal server error") from None
        answer = self.integration_answer(call, connection, integration, result.status, result.body)
        return result.status, answer if answer is not None else result.body

    def mock_ws(
        self, call: HttpCall, connection: Connection, integration: dict[str, Any], body: bytes | None
    ) -> tuple[int, bytes | None]:
        """A MOCK integration: the request template makes `{"statusCode": N}`; the integration
        response selected by that status renders what goes back."""
        template = self.pick_template(
            integration.get("RequestTemplates") or {}, integration.get("TemplateSelectionExpression"), call
        )
        status = 200
        if template is not None:
            rendered = self.render_ws(template, call, connection, body or b"")
            try:
                status = int((jsontext.loads(rendered) or {}).get("statusCode", 200))
            except (ValueError, AttributeError, TypeError):
                status = 500
        return status, self.integration_answer(call, connection, integration, status, body or b"")

    def integration_answer(
        self, call: HttpCall, connection: Connection, integration: dict[str, Any], status: int, body: bytes
    ) -> bytes | None:
        """The integration response that matches the status (its key a `/regex/` or
        `$default`), rendered by its template; None when none matches."""
        responses = call.snapshot["IntegrationResponses"].get(integration["IntegrationId"]) or {}
        chosen = None
        for response in responses.values():
            key = response["IntegrationResponseKey"]
            if key.startswith("/") and key.endswith("/") and len(key) > 1:
                if re.fullmatch(key[1:-1], str(status)):
                    chosen = response
                    break
        if chosen is None:
            chosen = next((r for r in responses.values() if r["IntegrationResponseKey"] == "$default"), None)
        if chosen is None:
            return None
        templates = chosen.get("ResponseTemplates") or {}
        template = self.pick_template(templates, chosen.get("TemplateSelectionExpression"), call)
        if template is None:
            return body
        return self.render_ws(template, call, connection, body).encode()

    @staticmethod
    def pick_template(templates: dict[str, str], expression: str | None, call: HttpCall) -> str | None:
        if not templates:
            return None
        if expression:
            key = evaluate(call, expression) if "$" in expression else expression
            if key in templates:
                return templates[key]
        return templates.get("$default") or next(iter(templates.values()))

    def render_ws(self, template: str, call: HttpCall, connection: Connection, body: bytes) -> str:
        from overcast.services.apigateway.vtl import TemplateError, render

        context = call.context_variables()
        context.update(connectionId=connection.connection_id, eventType="MESSAGE", routeKey=call.route_key)
        try:
            return render(template, body=body, params={}, context=context, stage_variables=call.variables)
        except TemplateError:
            raise HttpError(500, "Internal server error") from None

    # -- the @connections API --------------------------------------------------------------------

    def connection(self: Provider, connection_id: str, api_id: str | None = None) -> Connection:  # type: ignore[misc]
        found = self.connections.get(connection_id)
        if found is None or found.closed or (api_id is not None and found.api_id != api_id):
            raise gone(connection_id)
        return found

    async def post_to_connection_id(  # type: ignore[misc]
        self: Provider, connection_id: str, data: bytes, api_id: str | None = None
    ) -> None:
        if len(data) > MAX_MESSAGE:
            raise ServiceError("PayloadTooLargeException", "Message too long", 413)
        target = self.connection(connection_id, api_id)
        try:
            await target.push(data)
        except Exception:
            raise gone(connection_id) from None

    def describe_connection(self: Provider, connection_id: str, api_id: str | None = None) -> dict[str, Any]:  # type: ignore[misc]
        target = self.connection(connection_id, api_id)
        return {
            "ConnectedAt": target.connected_at,
            "Identity": {"SourceIp": target.source_ip, "UserAgent": target.user_agent},
            "LastActiveAt": target.last_active,
        }

    async def delete_connection_id(self: Provider, connection_id: str, api_id: str | None = None) -> None:  # type: ignore[misc]
        target = self.connection(connection_id, api_id)
        target.closed = True
        self.connections.pop(connection_id, None)
        await self._close(target)

    async def serve_connections(  # type: ignore[misc]
        self: Provider, request: Request, doc: dict[str, Any], stage: str, path: str
    ) -> Response:
        """`/{stage}/@connections/{id}` on a WebSocket API's endpoint, over plain HTTP."""
        match = _CONNECTIONS_PATH.match(path)
        if match is None:
            return error_response(HttpError(403, "Forbidden"))
        from urllib.parse import unquote

        connection_id = unquote(match.group("id"))
        api_id = doc["Api"]["ApiId"]
        try:
            if request.method == "POST":
                body = request.body
                if not isinstance(body, (bytes, bytearray)):
                    body = await body.read(MAX_MESSAGE + 1)
                await self.post_to_connection_id(connection_id, bytes(body), api_id)
                return Response(200, {"Content-Type": "application/json"}, b"")
            if request.method == "GET":
                described = self.describe_connection(connection_id, api_id)
                out = {
                    "connectedAt": _iso(described["ConnectedAt"]),
                    "identity": {
                        "sourceIp": described["Identity"]["SourceIp"],
                        "userAgent": described["Identity"]["UserAgent"],
                    },
                    "lastActiveAt": _iso(described["LastActiveAt"]),
                }
                return Response(200, {"Content-Type": "application/json"}, json.dumps(out).encode())
            if request.method == "DELETE":
                await self.delete_connection_id(connection_id, api_id)
                return Response(204, {})
        except ServiceError as error:
            return Response(
                error.status,
                {"Content-Type": "application/json", "x-amzn-ErrorType": error.code},
                json.dumps({"message": error.message}).encode(),
            )
        return error_response(HttpError(403, "Forbidden"))

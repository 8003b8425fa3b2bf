"""The application load balancer's data plane. Each ALB answers HTTP on port 4566 by Host
header (its DNS name) and by the path form `/_aws/elb/<name>[:<listener port>]/...`; the
listener's rules are evaluated in priority order and the first that matches acts: forward
(weighted target groups, group and target stickiness) to Lambda functions (ALB's event shape)
or to ip/instance targets over loopback HTTP, redirect, fixed-response, or authenticate.

What it serves is compiled once per change of the configuration (`changed()` drops it), so
a request reads nothing from the store."""

from __future__ import annotations

import asyncio
import base64
import http.client
import ipaddress
import itertools
import json
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import BodyStream, BodyTooLarge, Request, Response
from overcast.services.apigatewayv2.jwt import JwtRefused
from overcast.services.elbv2 import jwtcheck
from overcast.services.elbv2.health import lambda_status
from overcast.services.elbv2.targets import target_key

if TYPE_CHECKING:
    from overcast.services.elbv2.provider import Provider

HOST = re.compile(
    r"^(?P<host>[a-z0-9-]+\.[a-z0-9-]+\.elb\.(?:localhost\.localstack\.cloud|amazonaws\.com))(?::\d+)?$",
    re.IGNORECASE,
)
PATH = re.compile(r"^/_aws/elb/(?P<name>[A-Za-z0-9-]+)(?::(?P<port>\d+))?(?P<path>/.*)?$")
MAX_LAMBDA_BODY = 1024 * 1024
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
    }
)


def _wildcard(values: list[str], flags: int = 0) -> re.Pattern[str]:
    parts = ["".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in v) for v in values]
    return re.compile("^(?:" + "|".join(parts) + ")$", flags | re.DOTALL)


@dataclass
class Hit:
    """One request as the rules see it."""

    method: str
    path: str
    host: str
    headers: dict[str, str]
    query: list[tuple[str, str]]
    client_ip: str


def _compile_condition(condition: dict[str, Any]) -> Any:
    field_name = condition["Field"]
    if field_name in ("host-header", "path-pattern"):
        config = (
            condition.get("HostHeaderConfig" if field_name == "host-header" else "PathPatternConfig") or {}
        )
        flags = re.IGNORECASE if field_name == "host-header" else 0
        values = config.get("Values") or condition.get("Values") or []
        regexes = [re.compile(r, flags) for r in config.get("RegexValues") or []]
        pattern = _wildcard(values, flags) if values else None
        attribute = "host" if field_name == "host-header" else "path"

        def match_text(hit: Hit) -> bool:
            text = getattr(hit, attribute)
            return bool(pattern and pattern.match(text)) or any(r.search(text) for r in regexes)

        return match_text
    if field_name == "http-header":
        config = condition["HttpHeaderConfig"]
        name = config["HttpHeaderName"].lower()
        pattern = _wildcard(config.get("Values") or [], re.IGNORECASE) if config.get("Values") else None
        regexes = [re.compile(r, re.IGNORECASE) for r in config.get("RegexValues") or []]

        def match_header(hit: Hit) -> bool:
            value = hit.headers.get(name)
            if value is None:
                return False
            return bool(pattern and pattern.match(value)) or any(r.search(value) for r in regexes)

        return match_header
    if field_name == "http-request-method":
        methods = set(condition["HttpRequestMethodConfig"]["Values"])
        return lambda hit: hit.method in methods
    if field_name == "query-string":
        pairs = [
            (
                _wildcard([p["Key"]], re.IGNORECASE) if p.get("Key") else None,
                _wildcard([p["Value"]], re.IGNORECASE),
            )
            for p in condition["QueryStringConfig"]["Values"]
        ]

        def match_query(hit: Hit) -> bool:
            return any(
                (key is None or key.match(k)) and value.match(v) for key, value in pairs for k, v in hit.query
            )

        return match_query
    networks = [ipaddress.ip_network(v, strict=False) for v in condition["SourceIpConfig"]["Values"]]

    def match_source(hit: Hit) -> bool:
        try:
            address = ipaddress.ip_address(hit.client_ip)
        except ValueError:
            return False
        return any(address in n for n in networks if n.version == address.version)

    return match_source


@dataclass
class CompiledRule:
    conditions: list[Any]
    actions: list[dict[str, Any]]


@dataclass
class Served:
    """One load balancer as its data plane sees it."""

    scope: str
    lb: dict[str, Any]
    listeners: dict[int, tuple[dict[str, Any], list[CompiledRule]]]
    groups: dict[str, dict[str, Any]]
    counters: dict[str, Any] = field(default_factory=dict)

    def listener(self, port: int | None) -> tuple[dict[str, Any], list[CompiledRule]] | None:
        if port is not None and port in self.listeners:
            return self.listeners[port]
        if 80 in self.listeners:
            return self.listeners[80]
        for _, entry in sorted(self.listeners.items()):
            if entry[0].get("Protocol") == "HTTP":
                return entry
        return next(iter(sorted(self.listeners.items())), (None, None))[1]


def _error_page(status: int, reason: str) -> Response:
    body = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()
    return Response(status, {"Server": "awselb/2.0", "Content-Type": "text/html"}, body)


class DataPlaneMixin:
    served: dict[str, Served]
    dns_index: dict[str, tuple[str, str]] | None
    name_index: dict[str, list[tuple[str, str]]]

    def changed(self: Provider) -> None:  # type: ignore[misc]
        """The configuration changed: what the data plane serves is compiled again."""
        self.served = {}
        self.dns_index = None

    def _indexes(self: Provider) -> dict[str, tuple[str, str]]:  # type: ignore[misc]
        if self.dns_index is not None:
            return self.dns_index
        index: dict[str, tuple[str, str]] = {}
        names: dict[str, list[tuple[str, str]]] = {}
        for scope in self.lbs.scopes():
            for arn, row in self.lbs.scan(scope):
                index[row["DNSName"]] = (scope, arn)
                names.setdefault(row["LoadBalancerName"], []).append((scope, arn))
        self.dns_index, self.name_index = index, names
        return index

    def _served(self: Provider, scope: str, arn: str) -> Served | None:  # type: ignore[misc]
        served = self.served.get(arn)
        if served is not None:
            return served
        lb = self.lbs.get(scope, arn)
        if lb is None:
            return None
        listeners: dict[int, tuple[dict[str, Any], list[CompiledRule]]] = {}
        groups: dict[str, dict[str, Any]] = {}
        for listener in self.listeners_of_scope(scope, arn):
            rules = []
            for rule in self.rules_of(scope, listener["ListenerArn"]):
                rules.append(
                    CompiledRule([_compile_condition(x) for x in rule["Conditions"]], rule["Actions"])
                )
                for action in rule["Actions"]:
                    for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
                        tg = self.tgs.get(scope, group["TargetGroupArn"])
                        if tg is not None:
                            groups[tg["TargetGroupArn"]] = tg
            if listener.get("Port") is not None:
                listeners[listener["Port"]] = (listener, rules)
        served = Served(scope, lb, listeners, groups)
        self.served[arn] = served
        return served

    # -- entry points --------------------------------------------------------------------------

    async def serve_host(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        found = self._indexes().get(match.group("host").lower())
        if found is None:
            return None
        served = self._served(*found)
        if served is None:
            return None
        host_port = request.host.rpartition(":")[2]
        port = int(host_port) if ":" in request.host and host_port.isdigit() else None
        return await self.serve(request, served, port, request.raw_path)

    async def serve_path(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match, context: RequestContext
    ) -> Response | None:
        self._indexes()
        homes = self.name_index.get(match.group("name")) or []
        mine = [h for h in homes if h[0] == f"{context.account}/{context.region}"]
        if not (mine or homes):
            return None
        served = self._served(*(mine or homes)[0])
        if served is None:
            return None
        port = int(match.group("port")) if match.group("port") else None
        return await self.serve(request, served, port, match.group("path") or "/")

    async def serve(  # type: ignore[misc]
        self: Provider, request: Request, served: Served, port: int | None, path: str
    ) -> Response:
        if served.lb["Type"] != "application":
            return _error_page(503, "Service Temporarily Unavailable")
        entry = served.listener(port)
        if entry is None:
            return _error_page(503, "Service Temporarily Unavailable")
        listener, rules = entry
        if type(request.body) is BodyStream:
            try:
                request.body = await request.body.read(MAX_LAMBDA_BODY * 10)
            except BodyTooLarge:
                return _error_page(413, "Request Entity Too Large")
        host = request.host.split(":")[0]
        hit = Hit(
            request.method,
            path,
            host,
            request.headers,
            parse_qsl(request.query_string, keep_blank_values=True),
            request.client_ip,
        )
        for rule in rules:
            if all(condition(hit) for condition in rule.conditions):
                return await self.act(request, served, listener, rule.actions, hit)
        return _error_page(503, "Service Temporarily Unavailable")

    async def act(  # type: ignore[misc]
        self: Provider,
        request: Request,
        served: Served,
        listener: dict[str, Any],
        actions: list[dict],
        hit: Hit,
    ) -> Response:
        for action in actions:
            kind = action["Type"]
            if kind == "fixed-response":
                config = action["FixedResponseConfig"]
                headers = {
                    "Server": "awselb/2.0",
                    "Content-Type": config.get("ContentType") or "text/plain; charset=utf-8",
                }
                return Response(
                    int(config["StatusCode"]), headers, (config.get("MessageBody") or "").encode()
                )
            if kind == "redirect":
                return self.redirect(action["RedirectConfig"], listener, hit, request)
            if kind == "forward":
                return await self.forward(request, served, listener, action, hit)
            if kind == "jwt-validation":
                refused = await self.validate_jwt(action["JwtValidationConfig"], request)
            else:
                refused = self.authenticate(kind, action, request, listener, hit)
            if refused is not None:
                return refused
        return _error_page(500, "Internal Server Error")

    @staticmethod
    def redirect(config: dict[str, str], listener: dict[str, Any], hit: Hit, request: Request) -> Response:
        protocol = listener.get("Protocol") or "HTTP"
        values = {
            "#{protocol}": protocol.lower(),
            "#{host}": hit.host,
            "#{port}": str(listener.get("Port")),
            "#{path}": hit.path.lstrip("/"),
            "#{query}": request.query_string,
        }

        def fill(text: str) -> str:
            for key, value in values.items():
                text = text.replace(key, value)
            return text

        scheme = fill(config["Protocol"]).lower()
        port = fill(config["Port"])
        host = fill(config["Host"])
        path = fill(config["Path"])
        query = fill(config["Query"])
        default_port = {"http": "80", "https": "443"}.get(scheme)
        location = f"{scheme}://{host}{'' if port == default_port else ':' + port}{path}"
        if query:
            location += "?" + query
        status = 301 if config["StatusCode"] == "HTTP_301" else 302
        reason = "Moved Permanently" if status == 301 else "Found"
        page = _error_page(status, reason)
        page.headers["Location"] = location
        return page

    @staticmethod
    async def validate_jwt(config: dict[str, Any], request: Request) -> Response | None:
        """None when the request's bearer token verifies; otherwise ALB's 401."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            page = _error_page(401, "Authorization Required")
            page.headers["WWW-Authenticate"] = 'Bearer error="invalid_request"'
            return page
        try:
            await asyncio.to_thread(jwtcheck.verify, header[7:].strip(), config)
        except JwtRefused:
            page = _error_page(401, "Authorization Required")
            page.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return page
        return None

    @staticmethod
    def authenticate(
        kind: str, action: dict[str, Any], request: Request, listener: dict, hit: Hit
    ) -> Response | None:
        """None when the request may go on to the next action; otherwise the answer."""
        config = action.get("AuthenticateOidcConfig") or action.get("AuthenticateCognitoConfig") or {}
        behaviour = config.get("OnUnauthenticatedRequest", "authenticate")
        if behaviour == "allow":
            return None
        if behaviour == "deny":
            return _error_page(401, "Authorization Required")
        if kind == "authenticate-oidc":
            endpoint, client = config["AuthorizationEndpoint"], config["ClientId"]
        else:
            domain = config["UserPoolDomain"]
            region = config["UserPoolArn"].split(":")[3]
            endpoint = domain if "." in domain else f"https://{domain}.auth.{region}.amazoncognito.com"
            endpoint = endpoint.rstrip("/") + "/oauth2/authorize"
            client = config["UserPoolClientId"]
        port = listener.get("Port")
        query = {
            "client_id": client,
            "redirect_uri": f"https://{hit.host}{'' if port == 443 else f':{port}'}/oauth2/idpresponse",
            "response_type": "code",
            "scope": config.get("Scope") or "openid",
            "state": secrets.token_urlsafe(24),
            **(config.get("AuthenticationRequestExtraParams") or {}),
        }
        page = _error_page(302, "Found")
        page.headers["Location"] = f"{endpoint}?{urlencode(query)}"
        return page

    # -- forward ---------------------------------------------------------------------------------

    async def forward(  # type: ignore[misc]
        self: Provider, request: Request, served: Served, listener: dict, action: dict[str, Any], hit: Hit
    ) -> Response:
        config = action["ForwardConfig"]
        groups = config["TargetGroups"]
        sticky = config.get("TargetGroupStickinessConfig") or {}
        cookies = _cookies(request.headers.get("cookie", ""))
        chosen = None
        set_cookies: list[str] = []
        if sticky.get("Enabled"):
            remembered = _unseal(cookies.get("AWSALBTG"))
            if any(g["TargetGroupArn"] == remembered and g["Weight"] > 0 for g in groups):
                chosen = remembered
        if chosen is None:
            weighted = [g for g in groups if g["Weight"] > 0]
            if not weighted:
                return _error_page(503, "Service Temporarily Unavailable")
            chosen = random.choices(weighted, weights=[g["Weight"] for g in weighted])[0]["TargetGroupArn"]
        if sticky.get("Enabled"):
            age = int(sticky.get("DurationSeconds") or 3600)
            set_cookies.append(f"AWSALBTG={_seal(chosen)}; Expires={_expires(age)}; Path=/")
        tg = served.groups.get(chosen)
        if tg is None or not tg["Targets"]:
            return _error_page(503, "Service Temporarily Unavailable")
        if tg["TargetType"] == "lambda":
            response = await self.forward_to_lambda(request, tg, hit, listener)
        else:
            response = await self.forward_to_target(request, served, tg, hit, listener, cookies, set_cookies)
        if set_cookies:
            existing = response.headers.get("Set-Cookie")
            response.headers["Set-Cookie"] = ", ".join(([existing] if existing else []) + set_cookies)
        return response

    def pick_target(  # type: ignore[misc]
        self: Provider, served: Served, tg: dict[str, Any], cookies: dict[str, str], set_cookies: list[str]
    ) -> dict[str, Any]:
        attributes = tg["Attributes"]
        keys = list(tg["Targets"])
        healthy = [k for k in keys if self.target_is_healthy(tg["TargetGroupArn"], k)]
        candidates = healthy or keys  # no healthy target: ALB routes to all of them (fails open)
        sticky = attributes.get("stickiness.enabled") == "true"
        kind = attributes.get("stickiness.type")
        if sticky:
            name = "AWSALB" if kind == "lb_cookie" else "AWSALBAPP-0"
            remembered = _unseal(cookies.get(name))
            if remembered in candidates:
                return tg["Targets"][remembered]
        counter = served.counters.setdefault(tg["TargetGroupArn"], itertools.count())
        key = candidates[next(counter) % len(candidates)]
        if sticky and kind == "lb_cookie":
            age = int(attributes.get("stickiness.lb_cookie.duration_seconds") or 86400)
            set_cookies.append(f"AWSALB={_seal(key)}; Expires={_expires(age)}; Path=/")
        return tg["Targets"][key]

    async def forward_to_target(  # type: ignore[misc]
        self: Provider,
        request: Request,
        served: Served,
        tg: dict[str, Any],
        hit: Hit,
        listener: dict,
        cookies: dict[str, str],
        set_cookies: list[str],
    ) -> Response:
        target = self.pick_target(served, tg, cookies, set_cookies)
        if tg["TargetType"] == "instance":
            account, region = served.scope.split("/")
            instance = self.runtime.provider("ec2").find_instance(account, region, target["Id"])
            address = (instance or {}).get("PrivateIpAddress")
            if not address:
                return _error_page(502, "Bad Gateway")
        else:
            address = target["Id"]
        headers = {k: v for k, v in request.headers.items() if k not in HOP_HEADERS}
        forwarded = headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = f"{forwarded}, {hit.client_ip}" if forwarded else hit.client_ip
        headers["x-forwarded-proto"] = (listener.get("Protocol") or "HTTP").lower()
        headers["x-forwarded-port"] = str(listener.get("Port"))
        headers.setdefault("x-amzn-trace-id", _trace_id())
        body = bytes(request.body) if request.body else b""
        target_path = hit.path + (f"?{request.query_string}" if request.query_string else "")
        timeout = float(served.lb["Attributes"].get("idle_timeout.timeout_seconds") or 60)
        secure = tg.get("Protocol") == "HTTPS"

        def send() -> tuple[int, list[tuple[str, str]], bytes]:
            if secure:
                import ssl

                connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                    address, int(target["Port"]), timeout=timeout, context=ssl._create_unverified_context()
                )
            else:
                connection = http.client.HTTPConnection(address, int(target["Port"]), timeout=timeout)
            try:
                connection.request(request.method, target_path, body=body or None, headers=headers)
                answer = connection.getresponse()
                return answer.status, answer.getheaders(), answer.read()
            finally:
                connection.close()

        try:
            status, pairs, data = await asyncio.to_thread(send)
        except TimeoutError:
            return _error_page(504, "Gateway Time-out")
        except (OSError, http.client.HTTPException):
            return _error_page(502, "Bad Gateway")
        out: dict[str, str] = {}
        for name, value in pairs:
            if name.lower() in HOP_HEADERS:
                continue
            out[name] = f"{out[name]}, {value}" if name in out else value
        app_cookie = tg["Attributes"].get("stickiness.app_cookie.cookie_name")
        if (
            tg["Attributes"].get("stickiness.enabled") == "true"
            and tg["Attributes"].get("stickiness.type") == "app_cookie"
            and app_cookie
            and any(k.lower() == "set-cookie" and v.startswith(app_cookie + "=") for k, v in pairs)
        ):
            age = int(tg["Attributes"].get("stickiness.app_cookie.duration_seconds") or 86400)
            set_cookies.append(f"AWSALBAPP-0={_seal(target_key(target))}; Expires={_expires(age)}; Path=/")
        return Response(status, out, data)

    async def forward_to_lambda(  # type: ignore[misc]
        self: Provider, request: Request, tg: dict[str, Any], hit: Hit, listener: dict
    ) -> Response:
        body = bytes(request.body) if request.body else b""
        if len(body) > MAX_LAMBDA_BODY:
            return _error_page(413, "Request Entity Too Large")
        multi = tg["Attributes"].get("lambda.multi_value_headers.enabled") == "true"
        headers = dict(request.headers)
        forwarded = headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = f"{forwarded}, {hit.client_ip}" if forwarded else hit.client_ip
        headers["x-forwarded-proto"] = (listener.get("Protocol") or "HTTP").lower()
        headers["x-forwarded-port"] = str(listener.get("Port"))
        headers.setdefault("x-amzn-trace-id", _trace_id())
        content_type = headers.get("content-type", "")
        textual = not body or content_type.startswith(TEXT_TYPES)
        raw_query: list[tuple[str, str]] = []
        for part in request.query_string.split("&"):
            if part:
                key, _, value = part.partition("=")
                raw_query.append((key, value))
        event: dict[str, Any] = {
            "requestContext": {"elb": {"targetGroupArn": tg["TargetGroupArn"]}},
            "httpMethod": request.method,
            "path": hit.path,
        }
        if multi:
            query: dict[str, list[str]] = {}
            for key, value in raw_query:
                query.setdefault(key, []).append(value)
            event["multiValueQueryStringParameters"] = query
            event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        else:
            event["queryStringParameters"] = dict(raw_query)
            event["headers"] = headers
        event["body"] = body.decode("utf-8", "replace") if textual else base64.b64encode(body).decode()
        event["isBase64Encoded"] = not textual
        function = next(iter(tg["Targets"].values()))["Id"]
        status, out_headers, data = await self.call_lambda(tg, function, event, multi)
        if status == 0:
            return _error_page(502, "Bad Gateway")
        return Response(status, out_headers, data)

    async def call_lambda(  # type: ignore[misc]
        self: Provider, tg: dict[str, Any], function_arn: str, event: dict[str, Any], multi: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) of the function's answer to an ALB event; status 0 when the
        function failed or answered something ALB cannot map (ALB's 502)."""
        parts = function_arn.split(":")
        if len(parts) < 7:
            return 0, {}, b""
        region, account, name = parts[3], parts[4], parts[6]
        qualifier = parts[7] if len(parts) > 7 else None
        try:
            outcome, _ = await self.runtime.provider("lambda").execute(
                account, region, name, qualifier, json.dumps(event, separators=(",", ":")).encode()
            )
        except ServiceError:
            return 0, {}, b""
        if outcome.error is not None or len(outcome.payload) > MAX_LAMBDA_BODY:
            return 0, {}, b""
        status = lambda_status(outcome.payload)
        if not status:
            return 0, {}, b""
        result = json.loads(outcome.payload)
        headers: dict[str, str] = {}
        if multi:
            for key, values in (result.get("multiValueHeaders") or {}).items():
                if isinstance(values, list):
                    headers[str(key)] = ", ".join(str(v) for v in values)
        else:
            for key, value in (result.get("headers") or {}).items():
                headers[str(key)] = str(value)
        body = result.get("body")
        if body is None:
            data = b""
        elif not isinstance(body, str):
            return 0, {}, b""
        elif result.get("isBase64Encoded"):
            try:
                data = base64.b64decode(body)
            except ValueError:
                return 0, {}, b""
        else:
            data = body.encode()
        return status, headers, data


def _cookies(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


def _seal(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _unseal(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _expires(seconds: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + seconds))


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"

"""The distributions' data plane: each answers at {id}.cloudfront.localhost.localstack.cloud,
its {domain}.cloudfront.net, its aliases (by Host) and /_aws/cloudfront/{id}/... (any Host).

Per request: the cache behaviour by path pattern (in order, then the default), the viewer
protocol policy, the allowed methods, signed URLs or cookies for trusted key groups, the
viewer-request function and Lambda@Edge, the cache (the cache policy's key and TTLs; hits
answer with `X-Cache: Hit from cloudfront` and `Age`), the origin fetch on a miss (S3 in
process, with its bucket policy deciding what OAC, OAI or an anonymous reader may get; any
other origin over HTTP), custom error responses, the response headers policy and the
viewer-response code."""

from __future__ import annotations

import asyncio
import http.client
import itertools
import logging
import os
import re
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from overcast import policy as iam
from overcast import protocols
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.services.cloudfront import cache as edge_cache
from overcast.services.cloudfront import common, edge, forwarding, signed
from overcast.services.cloudfront.distributions import behaviours, items
from overcast.services.cloudfront.jsworker import FunctionFailed
from overcast.services.cloudfront.tenants import fill_parameters

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider

log = logging.getLogger(__name__)

ID_HOST = re.compile(
    r"^(?P<id>[A-Za-z0-9]{6,20})\.cloudfront\.(?:localhost\.localstack\.cloud|net)(?::\d+)?$"
)
ANY_HOST = re.compile(r"^(?P<host>[^:]+)(?::\d+)?$")
EDGE_PATH = re.compile(r"^/_aws/cloudfront/(?P<id>[A-Za-z0-9]+)(?P<path>/[^?]*)?$")

_S3_REST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3(?:[.-](?P<region>[a-z]{2}-[a-z]+-\d))?\."
    r"(?:amazonaws\.com|localhost\.localstack\.cloud)$"
)
_S3_WEBSITE = re.compile(
    r"^(?P<bucket>.+)\.s3-website(?:[.-](?P<region>[a-z]{2}(?:-[a-z]+)+-\d))?\."
    r"(?:localhost\.localstack\.cloud|amazonaws\.com)$"
)
#: Hosts that are Overcast's own data planes, reached on its own port.
_OWN_HOSTS = (".localhost.localstack.cloud", ".amazonaws.com", ".on.aws", ".localhost")
_POP = "IAD89-C1"
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
        "content-length",
    }
)
_ERROR_TTL = 10
_READ_TIMEOUT = 30.0


#: This edge server's name in Via, as CloudFront's servers name themselves.
_VIA = f"1.1 {secrets.token_hex(16)}.cloudfront.net (CloudFront)"
#: Request ids (X-Amz-Cf-Id): unique, not secret: a random head per process and a counter.
_ID_HEAD = secrets.token_urlsafe(30)[:40]
_id_counter = itertools.count(int.from_bytes(os.urandom(6), "big"))
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


def _via() -> str:
    return _VIA


def _request_id() -> str:
    number = next(_id_counter)
    tail = []
    for _ in range(16):
        number, digit = divmod(number, 64)
        tail.append(_ID_ALPHABET[digit])
    return _ID_HEAD + "".join(tail)


def error_page(status: int, code: str, message: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    ).encode()
    return Response(status, {"Content-Type": "text/xml", "X-Cache": "Error from cloudfront"}, body)


def _html_error(status: int, title: str, detail: str) -> Response:
    body = (
        f'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<HTML><HEAD><TITLE>{title}</TITLE>'
        f"</HEAD><BODY><H1>{status} ERROR</H1><H2>The request could not be satisfied.</H2><HR noshade "
        f'size="1px">{detail}</BODY></HTML>'
    ).encode()
    return Response(status, {"Content-Type": "text/html", "X-Cache": "Error from cloudfront"}, body)


def _pattern(path_pattern: str) -> re.Pattern[str]:
    """A cache behaviour's path pattern: `*` any characters, `?` one; case-sensitive."""
    text = path_pattern if path_pattern.startswith("/") else "/" + path_pattern
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text) + r"\Z", re.S
    )


@dataclass
class Behaviour:
    pattern: re.Pattern[str] | None
    config: dict[str, Any]
    origin: dict[str, Any]
    methods: frozenset[str]
    cached_methods: frozenset[str]
    ttls: tuple[int, int, int]
    key_headers: tuple[str, ...]
    key_cookies: tuple[str, ...] | str
    key_queries: tuple[str, ...] | str
    compress: bool
    forward_headers: tuple[str, ...] | str
    response_policy: dict[str, Any] | None
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)
    lambdas: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_groups: tuple[str, ...] = ()
    #: An origin group's other members, tried in order when an origin fails (the status codes
    #: of its failover criteria, or no answer at all) on a GET, HEAD or OPTIONS.
    fallbacks: tuple[dict[str, Any], ...] = ()
    failover_codes: frozenset[int] = frozenset()
    #: The query strings and cookies forwarded to the origin: "all", names, "!names" (all but),
    #: or none.
    forward_queries: tuple[str, ...] | str = ()
    forward_cookies: tuple[str, ...] | str = ()


@dataclass
class Edge:
    account: str
    id: str
    arn: str
    domain: str
    config: dict[str, Any]
    behaviours: list[Behaviour]
    errors: dict[int, dict[str, Any]]
    #: (key pair id → PEM) of the public keys in the distribution's trusted key groups.
    public_keys: dict[str, str]
    #: What its cached responses are filed under: the distribution's id, or "{id}/{tenant}".
    cache_id: str = ""
    enabled: bool = True

    def __post_init__(self) -> None:
        self.cache_id = self.cache_id or self.id

    def behaviour(self, path: str) -> Behaviour:
        for candidate in self.behaviours:
            if candidate.pattern is None or candidate.pattern.match(path):
                return candidate
        return self.behaviours[-1]


def _names(config: dict[str, Any] | None, member: str) -> tuple[str, ...]:
    return tuple(name.lower() for name in items((config or {}).get(member)))


class DataPlane:
    """The serving half of the provider (mixed in)."""

    # -- compiling a distribution --------------------------------------------------------------

    def edge_for(self: Provider, ident: str) -> Edge | None:  # type: ignore[misc]
        """The compiled distribution by its id, or a tenant's ("{distribution}/{tenant}")."""
        found = self.edges.get(ident)
        if found is not None or ident in self.edges:
            return found
        distribution, _, tenant = ident.partition("/")
        distribution = distribution.upper()
        account = self.distribution_accounts().get(distribution)
        compiled = None
        if account is not None:
            row = self.distributions.get(common.scope(account), distribution)
            tenant_row = self.tenants.get(common.scope(account), tenant) if tenant else None
            if row is not None and tenant_row is not None:
                values = {p["Name"]: p["Value"] for p in tenant_row.get("Parameters") or []}
                for definition in (row["Config"].get("TenantConfig") or {}).get("ParameterDefinitions") or []:
                    default = (definition.get("Definition") or {}).get("StringSchema", {}).get("DefaultValue")
                    if default is not None:
                        values.setdefault(definition["Name"], default)
                row = dict(row, Config=fill_parameters(row["Config"], values))
                compiled = self._compile_edge(account, row)
                compiled.cache_id = f"{distribution}/{tenant}"
                compiled.enabled = bool(tenant_row.get("Enabled", True))
            elif row is not None and not tenant:
                compiled = self._compile_edge(account, row)
        self.edges[ident] = compiled
        return compiled

    def distribution_accounts(self: Provider) -> dict[str, str]:  # type: ignore[misc]
        """Distribution id → its account, and alias → id (built once per change)."""
        if self._accounts is None:
            accounts: dict[str, str] = {}
            aliases: dict[str, str] = {}
            for scope in self.distributions.scopes():
                account = scope.split("/")[0]
                for ident, row in self.distributions.scan(scope):
                    accounts[ident] = account
                    for alias in items(row["Config"].get("Aliases")):
                        aliases[alias.lower()] = ident
                for tenant, row in self.tenants.scan(scope):
                    for domain in row["Domains"]:
                        aliases[domain["Domain"]] = f"{row['DistributionId']}/{tenant}"
            self._accounts, self._aliases = accounts, aliases
            return accounts
        return self._accounts

    def alias_owner(self: Provider, alias: str) -> str | None:  # type: ignore[misc]
        self.distribution_accounts()
        name = alias.lower()
        owner = self._aliases.get(name)
        if owner is None and "." in name:
            owner = self._aliases.get("*." + name.split(".", 1)[1])
        return owner

    def distribution_changed(self: Provider, account: str, ident: str | None) -> None:  # type: ignore[misc]
        self.edges.clear()
        self._accounts = None
        if ident is not None and self.distributions.get(common.scope(account), ident) is None:
            self.edge_cache.forget(ident)

    def config_changed(self: Provider, kind: Any, account: str) -> None:  # type: ignore[misc]
        self.edges.clear()

    def _compile_edge(self: Provider, account: str, row: dict[str, Any]) -> Edge:  # type: ignore[misc]
        config = row["Config"]
        origins = {origin["Id"]: origin for origin in items(config.get("Origins"))}
        groups: dict[str, tuple[list[dict[str, Any]], frozenset[int]]] = {}
        for group in items(config.get("OriginGroups")):
            members = [
                origins[m["OriginId"]] for m in items(group.get("Members")) if m["OriginId"] in origins
            ]
            if members:
                origins[group["Id"]] = members[0]
                codes = frozenset(
                    int(code) for code in items((group.get("FailoverCriteria") or {}).get("StatusCodes"))
                )
                groups[group["Id"]] = (members[1:], codes)
        compiled = []
        group_ids: set[str] = set()
        for behaviour in behaviours(config):
            compiled_behaviour = self._compile_behaviour(account, behaviour, origins)
            fallbacks, codes = groups.get(behaviour["TargetOriginId"], ([], frozenset()))
            compiled_behaviour.fallbacks, compiled_behaviour.failover_codes = tuple(fallbacks), codes
            compiled.append(compiled_behaviour)
            group_ids.update(items(behaviour.get("TrustedKeyGroups")))
        keys: dict[str, str] = {}
        for group in group_ids:
            group_row = self.find_config(self.kinds["KeyGroup"], account, group)
            for key_id in items((group_row or {}).get("Config")):
                key_row = self.find_config(self.kinds["PublicKey"], account, key_id)
                if key_row is not None:
                    keys[key_id] = key_row["Config"]["EncodedKey"]
        errors = {int(entry["ErrorCode"]): entry for entry in items(config.get("CustomErrorResponses"))}
        return Edge(
            account,
            row["Id"],
            common.arn(account, f"distribution/{row['Id']}"),
            row["DomainName"],
            config,
            compiled,
            errors,
            keys,
        )

    def _compile_behaviour(  # type: ignore[misc]
        self: Provider, account: str, config: dict[str, Any], origins: dict[str, dict[str, Any]]
    ) -> Behaviour:
        allowed = config.get("AllowedMethods") or {}
        methods = frozenset(items(allowed)) or frozenset({"GET", "HEAD"})
        cached = frozenset(items(allowed.get("CachedMethods"))) or frozenset({"GET", "HEAD"})
        key_headers: tuple[str, ...] = ()
        key_cookies: tuple[str, ...] | str = ()
        key_queries: tuple[str, ...] | str = ()
        forward: tuple[str, ...] | str = ()
        compress = bool(config.get("Compress"))
        policy_id = config.get("CachePolicyId")
        if policy_id:
            policy = (self.find_config(self.kinds["CachePolicy"], account, policy_id) or {}).get(
                "Config"
            ) or {}
            ttls = (
                int(policy.get("MinTTL", 0)),
                int(policy.get("DefaultTTL", 86400)),
                int(policy.get("MaxTTL", 31536000)),
            )
            parameters = policy.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
            headers = parameters.get("HeadersConfig") or {}
            if headers.get("HeaderBehavior") == "whitelist":
                key_headers = _names(headers, "Headers")
            cookies = parameters.get("CookiesConfig") or {}
            key_cookies = forwarding.behaviour_names(
                cookies.get("CookieBehavior"), _names(cookies, "Cookies")
            )
            queries = parameters.get("QueryStringsConfig") or {}
            key_queries = forwarding.behaviour_names(
                queries.get("QueryStringBehavior"), tuple(items(queries.get("QueryStrings")))
            )
            compress = compress and bool(
                parameters.get("EnableAcceptEncodingGzip") or parameters.get("EnableAcceptEncodingBrotli")
            )
        else:
            forwarded = config.get("ForwardedValues") or {}
            ttls = (
                int(config.get("MinTTL", 0)),
                int(config.get("DefaultTTL", 86400)),
                int(config.get("MaxTTL", 31536000)),
            )
            names = _names(forwarded, "Headers")
            key_headers = names if "*" not in names else ()
            forward = "all" if "*" in names else names
            cookies = forwarded.get("Cookies") or {}
            key_cookies = forwarding.behaviour_names(
                cookies.get("Forward"), _names(cookies.get("WhitelistedNames"), "Items")
            )
            if forwarded.get("QueryString"):
                chosen = tuple(items(forwarded.get("QueryStringCacheKeys")))
                key_queries = chosen if chosen else "all"
        # The query strings sent to the origin: those in the cache key, and those the origin
        # request policy adds.
        forward_queries: tuple[str, ...] | str = key_queries
        forward_cookies: tuple[str, ...] | str = key_cookies
        request_policy_id = config.get("OriginRequestPolicyId")
        if request_policy_id:
            policy = (
                self.find_config(self.kinds["OriginRequestPolicy"], account, request_policy_id) or {}
            ).get("Config") or {}
            cookies_config = policy.get("CookiesConfig") or {}
            cookie_behaviour = cookies_config.get("CookieBehavior")
            if cookie_behaviour == "all":
                forward_cookies = "all"
            elif cookie_behaviour in ("whitelist", "allExcept") and forward_cookies != "all":
                names = _names(cookies_config, "Cookies")
                if cookie_behaviour == "allExcept":
                    forward_cookies = "!" + ",".join(names)
                elif isinstance(forward_cookies, tuple):
                    forward_cookies = tuple(dict.fromkeys((*forward_cookies, *names)))
            query_behaviour = (policy.get("QueryStringsConfig") or {}).get("QueryStringBehavior")
            if query_behaviour == "all":
                forward_queries = "all"
            elif query_behaviour in ("whitelist", "allExcept") and forward_queries != "all":
                names = tuple(items((policy.get("QueryStringsConfig") or {}).get("QueryStrings")))
                if query_behaviour == "allExcept":
                    forward_queries = "!" + ",".join(names)
                elif isinstance(forward_queries, tuple):
                    forward_queries = tuple(dict.fromkeys((*forward_queries, *names)))
            headers = policy.get("HeadersConfig") or {}
            behaviour = headers.get("HeaderBehavior")
            if behaviour in ("allViewer", "allViewerAndWhitelistCloudFront"):
                forward = "all"
            elif behaviour == "allExcept":
                forward = ("!", *_names(headers, "Headers"))
            elif behaviour == "whitelist":
                forward = tuple(set(key_headers) | set(_names(headers, "Headers")))
        response_policy = None
        if config.get("ResponseHeadersPolicyId"):
            found = self.find_config(
                self.kinds["ResponseHeadersPolicy"], account, config["ResponseHeadersPolicyId"]
            )
            response_policy = (found or {}).get("Config")
        functions: dict[str, dict[str, Any]] = {}
        for association in items(config.get("FunctionAssociations")):
            name = association["FunctionARN"].rpartition(":function/")[2]
            live = self.published_function(account, name)
            if live is not None:
                functions[association["EventType"]] = live
        lambdas = {
            association["EventType"]: association
            for association in items(config.get("LambdaFunctionAssociations"))
        }
        path = config.get("PathPattern")
        return Behaviour(
            _pattern(path) if path is not None else None,
            config,
            origins.get(config["TargetOriginId"]) or {},
            methods,
            cached,
            ttls,
            key_headers,
            key_cookies,
            key_queries,
            compress,
            forward,
            response_policy,
            functions,
            lambdas,
            tuple(items(config.get("TrustedKeyGroups")))
            if (config.get("TrustedKeyGroups") or {}).get("Enabled")
            else (),
            forward_queries=forward_queries,
            forward_cookies=forward_cookies,
        )

    # -- routes --------------------------------------------------------------------------------

    async def serve_id_host(self: Provider, request: Request, match: re.Match[str], context: RequestContext):  # type: ignore[misc]
        found = self.edge_for(match.group("id"))
        if found is None:
            return None
        return await self.serve_edge(found, request, request.raw_path, context)

    async def serve_alias(self: Provider, request: Request, match: re.Match[str], context: RequestContext):  # type: ignore[misc]
        if not self.distributions_exist:
            return None
        ident = self.alias_owner(match.group("host"))
        if ident is None:
            return None
        found = self.edge_for(ident)
        if found is None:
            return None
        return await self.serve_edge(found, request, request.raw_path, context)

    async def serve_path(self: Provider, request: Request, match: re.Match[str], context: RequestContext):  # type: ignore[misc]
        found = self.edge_for(match.group("id"))
        if found is None:
            return _html_error(
                404, "ERROR: The request could not be satisfied", "No distribution has this id."
            )
        return await self.serve_edge(found, request, match.group("path") or "/", context)

    # -- one request ---------------------------------------------------------------------------

    async def serve_edge(  # type: ignore[misc]
        self: Provider, found: Edge, request: Request, raw_path: str, context: RequestContext
    ) -> Response:
        request_id = _request_id()
        if found.config.get("ContinuousDeploymentPolicyId"):
            found = self._staging_for(found, request)
        try:
            response = await self._serve(found, request, raw_path, request_id)
        except ServiceError as problem:
            response = error_page(problem.status, problem.code, problem.message)
        except Exception:
            log.exception("CloudFront request for %s failed", found.id)
            response = _html_error(502, "ERROR: The request could not be satisfied", "Bad gateway.")
        headers = response.headers
        headers["Via"] = _via()
        headers["X-Amz-Cf-Pop"] = _POP
        headers["X-Amz-Cf-Id"] = request_id
        return response

    def _staging_for(self: Provider, found: Edge, request: Request) -> Edge:  # type: ignore[misc]
        """Continuous deployment: the staging distribution, for the requests its policy sends
        there (a header with the configured value, or a share of requests by weight)."""
        row = self.find_config(
            self.kinds["ContinuousDeploymentPolicy"],
            found.account,
            found.config["ContinuousDeploymentPolicyId"],
        )
        config = (row or {}).get("Config") or {}
        if not config.get("Enabled"):
            return found
        names = items(config.get("StagingDistributionDnsNames"))
        staging = None
        for name in names:
            ident = name.split(".", 1)[0]
            staging = self.edge_for(ident)
            if staging is not None:
                break
        if staging is None:
            return found
        traffic = config.get("TrafficConfig") or {}
        if traffic.get("Type") == "SingleHeader":
            header = traffic.get("SingleHeaderConfig") or {}
            if request.headers.get(str(header.get("Header", "")).lower()) == header.get("Value"):
                return staging
            return found
        weight = float((traffic.get("SingleWeightConfig") or {}).get("Weight") or 0)
        return staging if secrets.randbelow(10_000) < weight * 10_000 else found

    async def _serve(  # type: ignore[misc]
        self: Provider, found: Edge, request: Request, raw_path: str, request_id: str
    ) -> Response:
        if not found.config.get("Enabled", True) or not found.enabled:
            return _html_error(
                403, "ERROR: The request could not be satisfied", "The distribution is disabled."
            )
        uri = unquote(raw_path)
        if uri == "/" and found.config.get("DefaultRootObject"):
            uri = "/" + found.config["DefaultRootObject"]
        behaviour = found.behaviour(uri)
        headers = request.headers
        https = request.scheme == "https" or headers.get("x-forwarded-proto", "").lower() == "https"
        policy = behaviour.config.get("ViewerProtocolPolicy", "allow-all")
        if not https and policy == "redirect-to-https":
            host = headers.get("host", found.domain)
            target = f"https://{host}{request.raw_path}"
            if request.query_string:
                target += "?" + request.query_string
            return Response(
                301,
                {"Location": target, "Content-Type": "text/html", "X-Cache": "Redirect from cloudfront"},
                b"<html><head><title>301 Moved Permanently</title></head><body><center><h1>301 Moved "
                b"Permanently</h1></center><hr><center>CloudFront</center></body></html>",
            )
        if not https and policy == "https-only":
            return _html_error(
                403, "ERROR: The request could not be satisfied", "This distribution only allows HTTPS."
            )
        method = request.method
        if method not in behaviour.methods:
            return _html_error(
                403,
                "ERROR: The request could not be satisfied",
                "This distribution is not configured to allow the HTTP request method that was used for this request.",
            )
        if behaviour.key_groups:
            refused = self._check_signed(found, behaviour, request)
            if refused is not None:
                return refused
        body = request.body if isinstance(request.body, bytes) else b""
        viewer = edge.EdgeRequest(
            method,
            uri,
            forwarding.strip_signing(request.query_string) if behaviour.key_groups else request.query_string,
            # Code at the edge may change the headers; without any they are only read.
            dict(headers) if behaviour.functions or behaviour.lambdas else headers,
            request.client_ip,
            body,
        )
        event_context = {
            "distributionDomainName": found.domain,
            "distributionId": found.id,
            "requestId": request_id,
        }
        if behaviour.functions or behaviour.lambdas:
            generated = await self._viewer_request(found, behaviour, viewer, event_context)
            if generated is not None:
                return await self._viewer_response(
                    found, behaviour, viewer, generated, event_context, "Function"
                )
        result, cache_state = await self._through_cache(found, behaviour, viewer, event_context)
        if result.status >= 400 and result.status in found.errors:
            result = await self._custom_error(found, viewer, result, event_context)
        return await self._viewer_response(found, behaviour, viewer, result, event_context, cache_state)

    async def _custom_error(  # type: ignore[misc]
        self: Provider,
        found: Edge,
        viewer: edge.EdgeRequest,
        result: edge.EdgeResponse,
        context: dict[str, str],
    ) -> edge.EdgeResponse:
        """The distribution's custom error response: its page (fetched through the behaviour
        of the page's path, and cached like any object) with its response code."""
        custom = found.errors[result.status]
        page = custom.get("ResponsePagePath")
        if not page:
            return result
        page_request = edge.EdgeRequest("GET", page, "", dict(viewer.headers), viewer.client_ip, b"")
        page_behaviour = found.behaviour(page)
        fetched, _ = await self._through_cache(found, page_behaviour, page_request, context)
        if fetched.status >= 400:
            return result
        code = custom.get("ResponseCode")
        headers = {name: value for name, value in fetched.headers.items() if name.lower() != "age"}
        return edge.EdgeResponse(int(code) if code else result.status, headers, fetched.body)

    # -- viewer side ---------------------------------------------------------------------------

    def _check_signed(self: Provider, found: Edge, behaviour: Behaviour, request: Request) -> Response | None:  # type: ignore[misc]
        parts = signed.credentials(request.query, request.headers.get("cookie", ""))
        query = forwarding.strip_signing(request.query_string)
        suffix = request.raw_path + (("?" + query) if query else "")
        resources = [f"{scheme}://{request.host}{suffix}" for scheme in ("https", "http")]
        path = request.raw_path
        if path.startswith("/_aws/cloudfront/"):
            path = "/" + path.split("/", 4)[4] if path.count("/") >= 4 else "/"
        tail = path + (("?" + query) if query else "")
        resources += [f"{scheme}://{found.domain}{tail}" for scheme in ("https", "http")]
        keys = {key: pem for key, pem in found.public_keys.items()}
        try:
            signed.verify(parts, resources, keys, request.client_ip)
        except signed.Refused as refused:
            return error_page(403, refused.code, refused.message)
        return None

    async def _viewer_request(  # type: ignore[misc]
        self: Provider, found: Edge, behaviour: Behaviour, viewer: edge.EdgeRequest, context: dict[str, str]
    ) -> edge.EdgeResponse | None:
        function = behaviour.functions.get("viewer-request")
        if function is not None:
            event = edge.function_event("viewer-request", viewer, None, context)
            try:
                result, _, _ = await self.run_function(found.account, function, event)
            except FunctionFailed as failure:
                log.info("viewer-request function failed: %s", failure)
                raise ServiceError("FunctionExecutionError", "The CloudFront function failed.", 503) from None
            if isinstance(result, dict) and "statusCode" in result:
                return edge.function_response(result)
            if isinstance(result, dict):
                edge.apply_function_request(viewer, result)
        association = behaviour.lambdas.get("viewer-request")
        if association is not None:
            event = edge.lambda_event(
                "viewer-request", viewer, None, context, None, bool(association.get("IncludeBody"))
            )
            result = await self._run_lambda(association, event)
            if "status" in result:
                return edge.lambda_response(result, None)
            edge.apply_lambda_request(viewer, result)
        return None

    async def _viewer_response(  # type: ignore[misc]
        self: Provider,
        found: Edge,
        behaviour: Behaviour,
        viewer: edge.EdgeRequest,
        result: edge.EdgeResponse,
        context: dict[str, str],
        cache_state: str,
        age: int | None = None,
    ) -> Response:
        association = behaviour.lambdas.get("viewer-response")
        if association is not None:
            event = edge.lambda_event("viewer-response", viewer, result, context, None, False)
            result = edge.lambda_response(await self._run_lambda(association, event), result)
        function = behaviour.functions.get("viewer-response")
        if function is not None:
            event = edge.function_event("viewer-response", viewer, result, context)
            try:
                output, _, _ = await self.run_function(found.account, function, event)
            except FunctionFailed as failure:
                log.info("viewer-response function failed: %s", failure)
                raise ServiceError("FunctionExecutionError", "The CloudFront function failed.", 503) from None
            if isinstance(output, dict):
                result = edge.function_response(output, result)
        headers = dict(result.headers)
        if behaviour.response_policy is not None:
            forwarding.apply_response_policy(behaviour.response_policy, viewer, headers)
        headers["X-Cache"] = f"{cache_state} from cloudfront"
        body = b"" if viewer.method == "HEAD" else result.body
        return Response(result.status, headers, body)

    # -- the cache -----------------------------------------------------------------------------

    def _cache_key(self: Provider, found: Edge, behaviour: Behaviour, viewer: edge.EdgeRequest) -> tuple:  # type: ignore[misc]
        headers = viewer.headers
        parts: list[Any] = [found.cache_id, viewer.uri]
        if viewer.method != "GET":
            parts.append(viewer.method)  # a HEAD's answer has no body for a GET to reuse
        queries = behaviour.key_queries
        if queries == "all":
            parts.append(viewer.querystring)
        elif queries:
            pairs = edge.query_dict(viewer.querystring)
            if isinstance(queries, str) and queries.startswith("!"):
                excluded = set(queries[1:].split(","))
                parts.append(tuple(sorted((k, tuple(v)) for k, v in pairs.items() if k not in excluded)))
            else:
                parts.append(tuple((name, tuple(pairs.get(name, ()))) for name in queries))
        if behaviour.key_headers:
            parts.append(tuple(headers.get(name, "") for name in behaviour.key_headers))
        if behaviour.key_cookies:
            parts.append(
                headers.get("cookie", "")
                if behaviour.key_cookies == "all"
                else forwarding.cookie_values(headers, behaviour.key_cookies)
            )
        if behaviour.compress:
            parts.append("gzip" if "gzip" in headers.get("accept-encoding", "") else "")
        return tuple(parts)

    async def _through_cache(  # type: ignore[misc]
        self: Provider, found: Edge, behaviour: Behaviour, viewer: edge.EdgeRequest, context: dict[str, str]
    ) -> tuple[edge.EdgeResponse, str]:
        # A range is fetched as asked and not kept: the cache holds whole objects only.
        cacheable = (
            viewer.method in behaviour.cached_methods
            and behaviour.ttls[2] > 0
            and "range" not in viewer.headers
        )
        if not cacheable:
            return await self._from_origin(found, behaviour, viewer, context), "Miss"
        key = self._cache_key(found, behaviour, viewer)
        entry = self.edge_cache.get(key)
        if entry is not None:
            headers = dict(entry.headers)
            headers["Age"] = str(int(time.monotonic() - entry.stored))
            if entry.status == 200 and forwarding.not_modified(viewer.headers.get("if-none-match"), headers):
                return edge.EdgeResponse(304, forwarding.without_body_headers(headers), b""), "Hit"
            return edge.EdgeResponse(entry.status, headers, entry.body), "Hit"
        waiting = self.inflight.get(key)
        if waiting is not None:
            # Request collapsing: a second viewer asking for what is being fetched waits for it.
            await asyncio.shield(waiting)
            entry = self.edge_cache.get(key)
            if entry is not None:
                headers = dict(entry.headers)
                headers["Age"] = str(int(time.monotonic() - entry.stored))
                return edge.EdgeResponse(entry.status, headers, entry.body), "Hit"
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.inflight[key] = future
        try:
            result = await self._from_origin(found, behaviour, viewer, context)
            ttl = self._ttl(found, behaviour, result)
            if (ttl > 0 and result.status < 500) or (ttl > 0 and result.status in found.errors):
                now = time.monotonic()
                self.edge_cache.put(
                    key,
                    edge_cache.Entry(result.status, result.headers, result.body, now, now + ttl, viewer.uri),
                )
        finally:
            self.inflight.pop(key, None)
            future.set_result(None)
        return result, "Miss"

    def _ttl(self: Provider, found: Edge, behaviour: Behaviour, result: edge.EdgeResponse) -> float:  # type: ignore[misc]
        if result.status >= 400:
            custom = found.errors.get(result.status)
            if custom is not None and custom.get("ErrorCachingMinTTL") is not None:
                return float(custom["ErrorCachingMinTTL"])
            return (
                float(_ERROR_TTL)
                if result.status in (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504)
                else 0.0
            )
        if result.status not in (200, 203, 300, 301, 302, 307, 308, 410):
            return 0.0
        lowered = {name.lower(): value for name, value in result.headers.items()}
        return edge_cache.ttl_for(lowered, *behaviour.ttls)

    # -- the origin ----------------------------------------------------------------------------

    async def _from_origin(  # type: ignore[misc]
        self: Provider, found: Edge, behaviour: Behaviour, viewer: edge.EdgeRequest, context: dict[str, str]
    ) -> edge.EdgeResponse:
        result = await self._from_one_origin(found, behaviour, behaviour.origin, viewer, context)
        if viewer.method in ("GET", "HEAD", "OPTIONS"):
            for fallback in behaviour.fallbacks:
                if result.status not in behaviour.failover_codes and not result.unreachable:
                    break
                result = await self._from_one_origin(found, behaviour, fallback, viewer, context)
        return result

    async def _from_one_origin(  # type: ignore[misc]
        self: Provider,
        found: Edge,
        behaviour: Behaviour,
        origin: dict[str, Any],
        viewer: edge.EdgeRequest,
        context: dict[str, str],
    ) -> edge.EdgeResponse:
        self.origin_fetches += 1
        s3_match = _S3_REST.match(origin.get("DomainName", ""))
        is_s3 = s3_match is not None and origin.get("CustomOriginConfig") is None
        request = edge.EdgeRequest(
            viewer.method, viewer.uri, viewer.querystring, dict(viewer.headers), viewer.client_ip, viewer.body
        )
        association = behaviour.lambdas.get("origin-request")
        if association is not None:
            event = edge.lambda_event(
                "origin-request",
                request,
                None,
                context,
                edge.lambda_origin(origin, is_s3),
                bool(association.get("IncludeBody")),
            )
            output = await self._run_lambda(association, event)
            if "status" in output:
                return edge.lambda_response(output, None)
            edge.apply_lambda_request(request, output)
        if is_s3 and s3_match is not None:
            result = await self._fetch_s3(found, origin, s3_match.group("bucket"), request)
        else:
            result = await self._fetch_http(found, behaviour, origin, request)
        if behaviour.compress and result.status == 200:
            forwarding.compress(viewer, result)
        association = behaviour.lambdas.get("origin-response")
        if association is not None:
            event = edge.lambda_event("origin-response", request, result, context, None, False)
            result = edge.lambda_response(await self._run_lambda(association, event), result)
        return result

    async def _fetch_s3(  # type: ignore[misc]
        self: Provider, found: Edge, origin: dict[str, Any], bucket_name: str, request: edge.EdgeRequest
    ) -> edge.EdgeResponse:
        s3 = self.runtime.provider("s3")
        key = ((origin.get("OriginPath") or "") + request.uri).lstrip("/")
        bucket = s3.find_bucket(bucket_name)
        if bucket is None:
            return forwarding.s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
        action = "s3:GetObject" if request.method in ("GET", "HEAD") else "s3:PutObject"
        if not await self._origin_allowed(found, origin, s3, bucket, action, key):
            return forwarding.s3_error(403, "AccessDenied", "Access Denied")
        context = RequestContext.internal("s3", bucket["Account"], bucket["Region"])
        operation_name = {"GET": "GetObject", "HEAD": "HeadObject"}.get(request.method)
        if operation_name is None:
            return forwarding.s3_error(
                405, "MethodNotAllowed", "The specified method is not allowed against this resource."
            )
        model = protocols.service_model("s3")
        operation = model.operation_model(operation_name)
        params: dict[str, Any] = {"Bucket": bucket_name, "Key": key}
        if not key:
            return forwarding.s3_error(403, "AccessDenied", "Access Denied")
        for header, member in (
            ("range", "Range"),
            ("if-none-match", "IfNoneMatch"),
            ("if-modified-since", "IfModifiedSince"),
        ):
            if header in request.headers and member != "IfModifiedSince":
                params[member] = request.headers[header]
        handler = getattr(s3, "get_object" if operation_name == "GetObject" else "head_object")
        try:
            output = handler(context, params)
            if asyncio.iscoroutine(output):
                output = await output
            response = protocols.serialize_response(operation, "rest-xml", output, context)
        except ServiceError as problem:
            if (
                problem.code == "NoSuchKey"
                and not await s3.anonymous_allowed(context, bucket, "s3:ListBucket", None)
                and not self._listing_allowed(found, origin, bucket)
            ):
                return forwarding.s3_error(403, "AccessDenied", "Access Denied")
            response = protocols.serialize_error(model, operation, "rest-xml", problem, context)
        body = response.body
        if not isinstance(body, bytes | bytearray):
            body = await forwarding.read_body(body)
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() not in _HOP_BY_HOP
            or (request.method == "HEAD" and name.lower() == "content-length")
        }
        headers.pop("x-amz-request-id", None)
        headers.pop("x-amz-id-2", None)
        return edge.EdgeResponse(response.status, headers, bytes(body))

    def _listing_allowed(self: Provider, found: Edge, origin: dict[str, Any], bucket: dict[str, Any]) -> bool:  # type: ignore[misc]
        principal = self._origin_principal(found, origin)
        if principal is None:
            return False
        return self._policy_allows(
            found, principal, bucket, "s3:ListBucket", f"arn:aws:s3:::{bucket['Name']}"
        )

    def _origin_principal(self: Provider, found: Edge, origin: dict[str, Any]) -> iam.Principal | None:  # type: ignore[misc]
        oac = origin.get("OriginAccessControlId")
        if oac:
            row = self.find_config(self.kinds["OriginAccessControl"], found.account, oac)
            if row is not None and row["Config"].get("SigningBehavior") != "never":
                return iam.Principal.service("cloudfront.amazonaws.com")
            return None
        identity = (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or ""
        if identity:
            ident = identity.rpartition("/")[2]
            return iam.Principal(
                arn=f"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity {ident}",
                account="cloudfront",
                kind=iam.USER,
            )
        return None

    def _policy_allows(  # type: ignore[misc]
        self: Provider,
        found: Edge,
        principal: iam.Principal,
        bucket: dict[str, Any],
        action: str,
        resource: str,
    ) -> bool:
        from overcast.services.s3 import policy as s3_policy

        stored = self.runtime.provider("s3").configs.get(bucket, "policy")
        if stored is None:
            return False
        keys = {"aws:SourceArn": found.arn, "aws:SourceAccount": found.account}
        request = iam.AuthorizationRequest(
            principal,
            action,
            resource,
            resource_account=bucket["Account"],
            context=keys,
            region=bucket["Region"],
        )
        decision = iam.evaluate(request, resource_policy=s3_policy.engine_policy(stored["text"]))
        return bool(decision.allowed)

    async def _origin_allowed(  # type: ignore[misc]
        self: Provider,
        found: Edge,
        origin: dict[str, Any],
        s3: Any,
        bucket: dict[str, Any],
        action: str,
        key: str,
    ) -> bool:
        principal = self._origin_principal(found, origin)
        resource = f"arn:aws:s3:::{bucket['Name']}/{key}"
        if principal is not None:
            if self._policy_allows(found, principal, bucket, action, resource):
                return True
        context = RequestContext.internal("s3", bucket["Account"], bucket["Region"])
        return bool(await s3.anonymous_allowed(context, bucket, action, key))

    async def _fetch_http(  # type: ignore[misc]
        self: Provider, found: Edge, behaviour: Behaviour, origin: dict[str, Any], request: edge.EdgeRequest
    ) -> edge.EdgeResponse:
        domain = origin.get("DomainName", "")
        custom = origin.get("CustomOriginConfig") or {}
        own = domain.endswith(_OWN_HOSTS) or domain in ("localhost", "127.0.0.1")
        website = _S3_WEBSITE.match(domain)
        port = int(custom.get("HTTPPort") or 80)
        if website is not None or (own and not domain.startswith(("localhost", "127.0.0.1"))):
            host, port = "127.0.0.1", int(self.runtime.config.port)
        else:
            host = domain
        target = (origin.get("OriginPath") or "") + edge.quote_path(request.uri)
        query = forwarding.forwarded_query(behaviour.forward_queries, request.querystring)
        if query:
            target += "?" + query
        headers = forwarding.forwarded_headers(behaviour, request.headers)
        headers["Host"] = request.headers.get("host", domain) if "host" in headers else domain
        headers.pop("host", None)
        for header in items(origin.get("CustomHeaders")):
            headers[header["HeaderName"]] = header["HeaderValue"]
        headers["Via"] = _via()
        headers["X-Amz-Cf-Id"] = _request_id()
        headers["X-Forwarded-For"] = request.client_ip
        timeout = float(custom.get("OriginReadTimeout") or _READ_TIMEOUT)

        def send() -> tuple[int, list[tuple[str, str]], bytes]:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                connection.request(request.method, target, body=request.body or None, headers=headers)
                answer = connection.getresponse()
                return answer.status, answer.getheaders(), answer.read()
            finally:
                connection.close()

        try:
            status, pairs, body = await asyncio.to_thread(send)
        except TimeoutError:
            return edge.EdgeResponse(504, {"Content-Type": "text/html"}, b"Gateway Timeout", unreachable=True)
        except OSError:
            return edge.EdgeResponse(
                502,
                {"Content-Type": "text/html"},
                b"Bad Gateway: CloudFront could not connect to the origin.",
                unreachable=True,
            )
        out: dict[str, str] = {}
        for name, value in pairs:
            if (
                name.lower() in _HOP_BY_HOP
                and not (request.method == "HEAD" and name.lower() == "content-length")
            ) or name.lower() in (
                "x-amz-cf-id",
                "via",
                "x-cache",
                "x-amz-cf-pop",
            ):
                continue
            out[name] = f"{out[name]}, {value}" if name in out and name.lower() != "set-cookie" else value
        return edge.EdgeResponse(status, out, body)

    async def _run_lambda(  # type: ignore[misc]
        self: Provider, association: dict[str, Any], event: dict[str, Any]
    ) -> dict[str, Any]:
        import json

        arn = association["LambdaFunctionARN"]
        parts = arn.split(":")
        region, account, name, qualifier = parts[3], parts[4], parts[6], parts[7]
        outcome, _ = await self.runtime.provider("lambda").execute(
            account, region, name, qualifier, json.dumps(event).encode()
        )
        if outcome.error is not None:
            raise ServiceError(
                "LambdaExecutionError",
                "The Lambda function associated with the CloudFront distribution "
                "is invalid or doesn't have the required permissions.",
                502,
            )
        try:
            result = json.loads(outcome.payload or b"null")
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise ServiceError(
                "LambdaValidationError", "The Lambda function returned an invalid response.", 502
            )
        return result

"""Static website hosting: the bucket's website configuration and the website endpoint
(BUCKET.s3-website.localhost.localstack.cloud, BUCKET.s3-website[-.]REGION.amazonaws.com),
which serves objects as a web server would: index and error documents, redirects, and S3's
HTML error pages."""

from __future__ import annotations

import html
import inspect
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.protocols.serializers.common import host_id
from overcast.services.s3.configstore import invalid_argument, malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

log = logging.getLogger(__name__)

_STATUS_TEXT = {
    301: "Moved Permanently",
    302: "Found",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


#: Request headers a website GET passes on to GetObject.
_PASSED_HEADERS = (("range", "Range"), ("if-none-match", "IfNoneMatch"), ("if-match", "IfMatch"))


def validate(configuration: dict) -> dict:
    redirect_all = configuration.get("RedirectAllRequestsTo")
    index = configuration.get("IndexDocument")
    if redirect_all is not None:
        if index is not None or configuration.get("ErrorDocument") or configuration.get("RoutingRules"):
            raise invalid_argument(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
                "RedirectAllRequestsTo",
                "not null",
            )
        if not redirect_all.get("HostName"):
            raise malformed_xml()
        if redirect_all.get("Protocol") not in (None, "http", "https"):
            raise invalid_argument(
                "Invalid protocol, protocol can be http or https. If not defined the "
                "protocol will be selected automatically.",
                "Protocol",
                redirect_all["Protocol"],
            )
        return {"RedirectAllRequestsTo": redirect_all}
    # AWS's recorded answers: no IndexDocument at all names its value "null"; an empty or
    # slashed suffix is not well formed.
    if index is None:
        raise invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            "IndexDocument",
            "null",
        )
    if not index.get("Suffix") or "/" in index["Suffix"]:
        raise invalid_argument(
            "The IndexDocument Suffix is not well formed", "IndexDocument", index.get("Suffix")
        )
    stored = {"IndexDocument": {"Suffix": index["Suffix"]}}
    error = configuration.get("ErrorDocument")
    if error is not None:
        if not error.get("Key"):
            raise invalid_argument("The ErrorDocument Key is not well formed", "ErrorDocument")
        stored["ErrorDocument"] = {"Key": error["Key"]}
    rules = configuration.get("RoutingRules")
    if rules is not None and not rules:
        raise malformed_xml()  # an empty <RoutingRules/>
    if rules:
        for rule in rules:
            redirect = rule.get("Redirect")
            if not redirect:
                raise malformed_xml()
            if rule.get("Condition") is not None and not any(
                value is not None for value in rule["Condition"].values()
            ):
                raise s3_error(
                    "InvalidRequest",
                    "Condition cannot be empty. To redirect all requests without a condition, the condition "
                    "element shouldn't be present.",
                )
            if (
                redirect.get("ReplaceKeyPrefixWith") is not None
                and redirect.get("ReplaceKeyWith") is not None
            ):
                raise s3_error(
                    "InvalidRequest", "You can only define ReplaceKeyPrefix or ReplaceKey but not both."
                )
            code = redirect.get("HttpRedirectCode")
            if code is not None and not (code.isdigit() and 300 <= int(code) <= 399):
                raise invalid_argument(
                    "The provided HTTP redirect code (" + code + ") is not valid. Valid codes "
                    "are 3XX except 300.",
                    "HttpRedirectCode",
                    code,
                )
            if redirect.get("Protocol") not in (None, "http", "https"):
                # In a routing rule S3 refuses it as a request error (AWS's recorded answer).
                raise s3_error(
                    "InvalidRequest",
                    "Invalid protocol, protocol can be http or https. If not defined the "
                    "protocol will be selected automatically.",
                )
            condition = rule.get("Condition") or {}
            error_code = condition.get("HttpErrorCodeReturnedEquals")
            if error_code is not None and not (error_code.isdigit() and 400 <= int(error_code) <= 599):
                raise invalid_argument(
                    "The provided HTTP error code (" + error_code + ") is not valid. Valid codes "
                    "are 4XX or 5XX.",
                    "HttpErrorCodeReturnedEquals",
                    error_code,
                )
        stored["RoutingRules"] = rules
    return stored


def error_page(
    status: int,
    code: str,
    message: str,
    context,
    extra: dict | None = None,
    missing_document: str | None = None,
) -> Response:
    """S3's HTML error page; `missing_document`: the bucket's error document, which could not
    be served either (S3 says so in a second list)."""
    title = f"{status} {_STATUS_TEXT.get(status, '')}".strip()
    items = [f"<li>Code: {html.escape(code)}</li>", f"<li>Message: {html.escape(message)}</li>"]
    for name, value in (extra or {}).items():
        items.append(f"<li>{name}: {html.escape(value)}</li>")
    items.append(f"<li>RequestId: {context.request_id}</li>")
    items.append(f"<li>HostId: {host_id(context)}</li>")
    document = ""
    if missing_document is not None:
        document = (
            "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n"
            "<li>Code: NoSuchKey</li>\n<li>Message: The specified key does not exist.</li>\n"
            f"<li>Key: {html.escape(missing_document)}</li>\n</ul>\n"
        )
    body = (
        f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
        + "\n".join(items)
        + "\n</ul>\n"
        + document
        + "<hr/>\n</body>\n</html>\n"
    )
    return Response(
        status,
        {"Content-Type": "text/html; charset=utf-8", "x-amz-request-id": context.request_id},
        body.encode(),
    )


#: Website endpoints, served by Provider.serve_website: BUCKET.s3-website.localhost.localstack.cloud,
#: BUCKET.s3-website-REGION.amazonaws.com and BUCKET.s3-website.REGION.amazonaws.com.
WEBSITE_HOST = re.compile(
    r"^(?P<bucket>.+)\.s3-website(?:[.-](?P<region>[a-z]{2}(?:-[a-z]+)+-\d))?"
    r"\.(?:localhost\.localstack\.cloud|amazonaws\.com)(?::\d+)?$"
)

#: The path form, for clients that cannot set a Host (DESIGN §7): /_aws/s3-website/BUCKET/...
WEBSITE_PATH = re.compile(r"^/_aws/s3-website/(?P<bucket>[A-Za-z0-9.\-_]+)(?P<path>/.*)?$")


def _redirect(location: str, status: int = 301) -> Response:
    return Response(status, {"Location": location, "Content-Length": "0"}, b"")


class WebsiteOperations:
    def put_bucket_website(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.put(bucket, "website", validate(params.get("WebsiteConfiguration") or {}))
        return {}

    def get_bucket_website(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        stored = self.configs.get(bucket, "website")
        if stored is None:
            raise s3_error(
                "NoSuchWebsiteConfiguration",
                "The specified bucket does not have a website configuration",
                404,
                BucketName=bucket["Name"],
            )
        return stored

    def delete_bucket_website(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.delete(bucket, "website")
        return {}

    # -- the website endpoint -----------------------------------------------------------------

    async def serve_website(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match[str], context: RequestContext
    ) -> Response:
        try:
            return await self._serve_website(request, match.group("bucket"), context)
        except ServiceError as error:
            return error_page(error.status, error.code, error.message, context)
        except Exception:  # a bug here must still answer like a web server, not drop the connection
            log.exception("website request for %s failed", request.host)
            return error_page(
                500, "InternalError", "We encountered an internal error. Please try again.", context
            )

    async def serve_website_path(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match[str], context: RequestContext
    ) -> Response:
        """The path form of a website endpoint: the path after the bucket is the request's;
        a redirect within the site stays under the form's prefix."""
        prefix = request.raw_path[: match.start("path")] if match.group("path") else request.raw_path
        seen = Request(
            method=request.method,
            raw_path=match.group("path") or "/",
            query_string=request.query_string,
            headers=request.headers,
            body=request.body,
            client_ip=request.client_ip,
            scheme=request.scheme,
            client_port=request.client_port,
        )
        response = await self.serve_website(seen, match, context)
        location = response.headers.get("Location")
        if location is not None and location.startswith("/") and not location.startswith("//"):
            response.headers["Location"] = prefix + location
        return response

    async def _serve_website(  # type: ignore[misc]
        self: Provider, request: Request, name: str, context: RequestContext
    ) -> Response:
        if request.method not in ("GET", "HEAD"):
            return error_page(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                context,
                {"Method": request.method, "ResourceType": "OBJECT"},
            )
        bucket = self.find_bucket(name)
        if bucket is None:
            return error_page(
                404, "NoSuchBucket", "The specified bucket does not exist", context, {"BucketName": name}
            )
        config = self.configs.get(bucket, "website")
        if config is None:
            return error_page(
                404,
                "NoSuchWebsiteConfiguration",
                "The specified bucket does not have a website configuration",
                context,
                {"BucketName": name},
            )
        scheme = request.scheme
        redirect_all = config.get("RedirectAllRequestsTo")
        if redirect_all is not None:
            protocol = redirect_all.get("Protocol") or scheme
            return _redirect(f"{protocol}://{redirect_all['HostName']}{request.raw_path.split('?')[0]}")
        path = unquote(request.raw_path.split("?", 1)[0])
        key = path.lstrip("/")
        rules = config.get("RoutingRules") or []
        redirect = self._routing_redirect(rules, key, None, request)
        if redirect is not None:
            return redirect
        suffix = config["IndexDocument"]["Suffix"]
        wanted = key + suffix if key == "" or key.endswith("/") else key
        response = await self._serve_key(context, request, bucket, wanted, 200)
        if response is not None:
            return response
        if not key.endswith("/") and key and await self._readable(context, bucket, f"{key}/{suffix}"):
            return _redirect(f"/{quote(key)}/", 302)
        # S3 tells a missing key (404) only to whom may list the bucket, else 403.
        if not await self.anonymous_allowed(context, bucket, "s3:ListBucket", None):
            status, code, message = 403, "AccessDenied", "Access Denied"
        else:
            status, code, message = 404, "NoSuchKey", "The specified key does not exist."
        redirect = self._routing_redirect(rules, key, str(status), request)
        if redirect is not None:
            return redirect
        error_document = (config.get("ErrorDocument") or {}).get("Key")
        if error_document:
            response = await self._serve_key(context, request, bucket, error_document, status)
            if response is not None:
                return response
        return error_page(
            status, code, message, context, {"Key": wanted} if status == 404 else None, error_document or None
        )

    async def _readable(self: Provider, context: RequestContext, bucket: dict, key: str) -> bool:  # type: ignore[misc]
        return await self.find_object(
            context, bucket, key, None
        ) is not None and await self.anonymous_allowed(context, bucket, "s3:GetObject", key)

    async def _serve_key(  # type: ignore[misc]
        self: Provider, context: RequestContext, request: Request, bucket: dict, key: str, status: int
    ) -> Response | None:
        if not await self.anonymous_allowed(context, bucket, "s3:GetObject", key):
            return None
        found = await self.website_object(context, bucket, key, request.method == "HEAD")
        if found is None:
            return None
        obj, response = found
        location = obj.get("WebsiteRedirectLocation")
        if location:
            return _redirect(location)
        if response.status == 200:
            # The error document is served with the error's status; a 304 stays a 304.
            response.status = status
        return response

    async def website_object(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, key: str, head: bool
    ) -> tuple[dict, Response] | None:
        """(object fields, Response) for a website GET/HEAD of `key`, or None if there is no
        such object. The body and its headers are GetObject's, served through the object
        operations' own handler and serializer."""
        from overcast import protocols

        operation = "HeadObject" if head else "GetObject"
        params = {"Bucket": bucket["Name"], "Key": key}
        headers = context.request.headers
        for header, member in _PASSED_HEADERS:
            if headers.get(header):
                params[member] = headers[header]
        handler = getattr(self, "head_object" if head else "get_object")
        try:
            output = handler(self.internal_context(bucket), params)
            if inspect.isawaitable(output):
                output = await output
        except ServiceError as error:
            if error.code in ("NoSuchKey", "NoSuchVersion", "MethodNotAllowed") or error.status == 404:
                return None
            if error.status == 304:
                return {}, Response(304, {}, b"")
            return {}, error_page(error.status, error.code, error.message, context, {"Key": key})
        model = protocols.service_model("s3")
        response = protocols.serialize_response(model.operation_model(operation), "rest-xml", output, context)
        return {"WebsiteRedirectLocation": output.get("WebsiteRedirectLocation")}, response

    @staticmethod
    def _routing_redirect(
        rules: list[dict], key: str, error_code: str | None, request: Request
    ) -> Response | None:
        for rule in rules:
            condition = rule.get("Condition") or {}
            prefix = condition.get("KeyPrefixEquals")
            wanted_error = condition.get("HttpErrorCodeReturnedEquals")
            # A rule with an error condition applies to that error; one without, to every request.
            if wanted_error != error_code:
                continue
            if prefix is not None and not key.startswith(prefix):
                continue
            redirect = rule["Redirect"]
            if redirect.get("ReplaceKeyWith") is not None:
                new_key = redirect["ReplaceKeyWith"]
            elif redirect.get("ReplaceKeyPrefixWith") is not None:
                new_key = redirect["ReplaceKeyPrefixWith"] + key[len(prefix or "") :]
            else:
                new_key = key
            protocol = redirect.get("Protocol") or request.scheme
            host = redirect.get("HostName") or request.host
            return _redirect(
                f"{protocol}://{host}/{quote(new_key)}", int(redirect.get("HttpRedirectCode") or 301)
            )
        return None

"""The dashboard at `/_overcast/`: a page of static ES modules (static/) and a small JSON API the
page calls (`/_overcast/api/...`).

What the page shows comes from Overcast's own AWS API: `api/call` makes the AWS call the page
asks for with boto3, over HTTP to this server, as the account and region the page selects (or,
under --enforce-iam, with the credentials the user typed in), so the answer is the API's.
Only the request log and the running engines, which no AWS API describes, are read directly.

Every API route is a POST of JSON carrying the page's token (X-Overcast-Token, handed to the
page in its HTML and a SameSite=Strict cookie): a page on another site can neither read the
token nor send JSON here without a CORS preflight, and the gatekeeper's Host, Origin and
Sec-Fetch-Site checks apply on top.

This package is imported on the first request to `/_overcast/`, never at start.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from overcast import gatekeeper
from overcast.http import Request, Response

if TYPE_CHECKING:
    from overcast.runtime import Runtime

STATIC = Path(__file__).resolve().parent / "static"
TOKEN_HEADER = "x-overcast-token"
COOKIE = "overcast-dashboard"
_GUARD = gatekeeper.Guard(gatekeeper.CHANGE_SERVICE, changes=True)
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
#: Sent with every page and asset: nothing is fetched from anywhere else, nothing framed.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _json(status: int, payload: Any) -> Response:
    body = json.dumps(payload, default=str).encode()
    return Response(status, {"Content-Type": "application/json", **_SECURITY_HEADERS}, body)


class Dashboard:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.token = secrets.token_urlsafe(32)
        from overcast.dashboard.api import Api

        self.api = Api(runtime)

    def handle(self, request: Request):
        path = request.path
        if path in ("/_overcast", "/_overcast/", "/_overcast/index.html"):
            return self.index(request)
        if path.startswith("/_overcast/ui/"):
            return self.asset(path[len("/_overcast/ui/") :])
        if path.startswith("/_overcast/api/"):
            return self.call_api(request, path[len("/_overcast/api/") :])
        return None

    def index(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _json(405, {"error": "the dashboard page answers GET"})
        reason = gatekeeper.cross_site_refusal(request, self.runtime.config.host, changes=False)
        if reason is not None:
            return _json(403, {"error": reason})
        if gatekeeper._from_a_function(request):  # the page hands out the API's token
            return _json(403, {"error": "a Lambda function may not open the dashboard"})
        html = (STATIC / "index.html").read_text()
        html = html.replace("{{token}}", self.token).replace(
            "{{enforce_iam}}", "true" if self.runtime.config.enforce_iam else "false"
        )
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": f"{COOKIE}={self.token}; Path=/_overcast/; SameSite=Strict; HttpOnly",
            **_SECURITY_HEADERS,
        }
        return Response(200, headers, html.encode())

    def asset(self, name: str) -> Response:
        target = (STATIC / name).resolve()
        if STATIC not in target.parents or not target.is_file():
            return _json(404, {"error": f"no dashboard file {name}"})
        media = (
            _MEDIA_TYPES.get(target.suffix)
            or mimetypes.guess_type(target.name)[0]
            or "application/octet-stream"
        )
        return Response(200, {"Content-Type": media, **_SECURITY_HEADERS}, target.read_bytes())

    async def call_api(self, request: Request, route: str) -> Response:
        refusal = self.refusal(request)
        if refusal is not None:
            return refusal
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return _json(400, {"error": "the body must be a JSON object"})
        if not isinstance(payload, dict):
            return _json(400, {"error": "the body must be a JSON object"})
        return await self.api.answer(route, payload)

    def refusal(self, request: Request) -> Response | None:
        """Why the page's API refuses this request: not a JSON POST from this page."""
        if request.method != "POST":
            return _json(405, {"error": "the dashboard's API answers POST"})
        reason = gatekeeper.cross_site_refusal(request, self.runtime.config.host, changes=True)
        if reason is not None:
            return _json(403, {"error": reason})
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _json(415, {"error": "the dashboard's API takes application/json"})
        token = request.headers.get(TOKEN_HEADER, "")
        if not token or not hmac.compare_digest(token, self.token):
            return _json(403, {"error": "the dashboard token is missing or stale: reload the page"})
        cookie = _cookie(request.headers.get("cookie", ""), COOKIE)
        if cookie is not None and not hmac.compare_digest(cookie, self.token):
            return _json(403, {"error": "the dashboard cookie does not match its token: reload the page"})
        return None


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None

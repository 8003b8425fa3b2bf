"""The dashboard page's JSON API: AWS calls made through Overcast's own API, the request log and
the running engines."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import datetime
import json
import re
import threading
from typing import TYPE_CHECKING, Any

from overcast import __version__, dataplanes, gatekeeper
from overcast.context import DEFAULT_REGION
from overcast.http import Request, Response
from overcast.requestlog import DASHBOARD_AGENT

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: The most of a streamed output (S3 GetObject's Body) the page is sent.
BODY_LIMIT = 8 << 20
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_NAME = re.compile(r"[a-z0-9-]{1,40}")
_OPERATION = re.compile(r"[A-Z][A-Za-z0-9]{1,80}")


def _local_host(host: str) -> str:
    """The name a browser on this machine reaches a server bound to `host` by."""
    return "localhost" if host in ("", "0.0.0.0", "::", "127.0.0.1") else host


def _json(status: int, payload: Any) -> Response:
    from overcast.dashboard import _SECURITY_HEADERS

    body = json.dumps(payload, default=str).encode()
    return Response(status, {"Content-Type": "application/json", **_SECURITY_HEADERS}, body)


class Api:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._clients: dict[tuple, Any] = {}
        self._lock = threading.Lock()
        # The page's calls wait on this same server: on threads of their own, never the loop's
        # default executor, which the services' handlers use (they would wait on each other).
        self._threads = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="dashboard")

    async def answer(self, route: str, payload: dict[str, Any]) -> Response:
        handler = {
            "call": self.call,
            "requests": self.requests,
            "overview": self.overview,
            "engines": self.engines,
            "service-data": self.service_data,
            "operations": self.operations,
        }.get(route)
        if handler is None:
            return _json(404, {"error": f"no dashboard API route {route}"})
        if route != "call" and self.runtime.config.enforce_iam:
            loop = asyncio.get_running_loop()
            refusal = await loop.run_in_executor(
                self._threads, self._admin_refusal, payload.get("credentials")
            )
            if refusal is not None:
                return refusal
        return await handler(payload)

    # -- AWS calls ---------------------------------------------------------------------------

    async def call(self, payload: dict[str, Any]) -> Response:
        service = payload.get("service")
        operation = payload.get("operation")
        params = payload.get("params") or {}
        region = payload.get("region") or DEFAULT_REGION
        if not isinstance(service, str) or not _NAME.fullmatch(service):
            return _json(400, {"error": "service must name an AWS service (s3, sqs, ...)"})
        if not isinstance(operation, str) or not _OPERATION.fullmatch(operation):
            return _json(400, {"error": "operation must name an operation (ListBuckets, ...)"})
        if not isinstance(params, dict):
            return _json(400, {"error": "params must be a JSON object"})
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            return _json(400, {"error": f"{region!r} is not a region name"})
        credentials = self._credentials(payload)
        if isinstance(credentials, Response):
            return credentials
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self._threads, self._call, service, operation, _inputs(params), region, credentials
        )
        return _json(200, result)

    def _credentials(self, payload: dict[str, Any]) -> tuple[str, str, str | None] | Response:
        """The keys the call is signed with: the user's under --enforce-iam, else the selected
        account's (a 12-digit access key is that account)."""
        given = payload.get("credentials")
        if self.runtime.config.enforce_iam or (isinstance(given, dict) and given.get("accessKeyId")):
            if (
                not isinstance(given, dict)
                or not given.get("accessKeyId")
                or not given.get("secretAccessKey")
            ):
                return _json(401, {"error": "IAM enforcement is on: sign in with an access key and secret"})
            return str(given["accessKeyId"]), str(given["secretAccessKey"]), given.get("sessionToken") or None
        account = payload.get("account") or "000000000000"
        if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
            return _json(400, {"error": "account must be a 12-digit account id"})
        return account, "test", None

    def _client(self, service: str, region: str, credentials: tuple[str, str, str | None]):
        key = (service, region, *credentials)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                import boto3
                from botocore.config import Config

                session = boto3.session.Session(
                    aws_access_key_id=credentials[0],
                    aws_secret_access_key=credentials[1],
                    aws_session_token=credentials[2],
                    region_name=region,
                )
                config = Config(
                    user_agent_extra=DASHBOARD_AGENT,  # the request log tells the page's calls
                    retries={"total_max_attempts": 1},
                    connect_timeout=5,
                    read_timeout=120,
                    s3={"addressing_style": "path"},
                )
                client = session.client(service, endpoint_url=self.endpoint, config=config)
                if len(self._clients) > 200:
                    self._clients.clear()
                self._clients[key] = client
            return client

    @property
    def endpoint(self) -> str:
        config = self.runtime.config
        host = "127.0.0.1" if config.host in ("", "0.0.0.0") else config.host
        if host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{config.port}"

    def _call(
        self,
        service: str,
        operation: str,
        params: dict,
        region: str,
        credentials: tuple[str, str, str | None],
    ) -> dict[str, Any]:
        from botocore import xform_name
        from botocore.exceptions import BotoCoreError, ClientError, UnknownServiceError

        try:
            client = self._client(service, region, credentials)
        except UnknownServiceError:
            return {"error": {"code": "UnknownService", "message": f"no AWS service is called {service}"}}
        method_name = xform_name(operation)
        if operation not in client.meta.service_model.operation_names:
            message = f"{service} has no operation {operation}"
            return {"error": {"code": "UnknownOperation", "message": message}}
        try:
            output = getattr(client, method_name)(**params)
        except ClientError as error:
            detail = error.response.get("Error", {})
            return {
                "error": {
                    "code": detail.get("Code", ""),
                    "message": detail.get("Message", "") or str(error),
                    "status": error.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                }
            }
        except BotoCoreError as error:  # the input did not pass the model's checks
            return {"error": {"code": type(error).__name__, "message": str(error)}}
        output.pop("ResponseMetadata", None)
        return {"output": _outputs(output)}

    # -- what no AWS API describes -------------------------------------------------------------

    async def requests(self, payload: dict[str, Any]) -> Response:
        def number(name: str, default: int) -> int:
            value = payload.get(name, default)
            return value if isinstance(value, int) and value >= 0 else default

        entries = self.runtime.requests.query(
            since=number("since", 0),
            service=str(payload.get("service") or ""),
            account=str(payload.get("account") or ""),
            errors=bool(payload.get("errors")),
            status=str(payload.get("status") or ""),
            limit=min(number("limit", 200), 1000),
        )
        return _json(200, {"requests": entries, "last": self.runtime.requests.last_seq})

    async def overview(self, payload: dict[str, Any]) -> Response:
        config = self.runtime.config
        seen: dict[str, set[str]] = {}
        for entry in list(self.runtime.requests.entries):
            seen.setdefault(entry[6], set()).add(entry[7])
        return _json(
            200,
            {
                "version": __version__,
                "data_dir": None if config.ephemeral else str(config.data_dir),
                "enforce_iam": config.enforce_iam,
                "services": self.runtime.service_states(),
                "accounts": {
                    account: sorted(regions) for account, regions in sorted(seen.items()) if account
                },
                "engines": engines(self.runtime),
                "data_planes": dataplanes.listing(
                    f"http://{_local_host(config.host)}:{config.port}",
                    config.port,
                    {name for name in self.runtime.service_states() if config.service_enabled(name)},
                ),
            },
        )

    async def engines(self, payload: dict[str, Any]) -> Response:
        return _json(200, {"engines": engines(self.runtime)})

    async def service_data(self, payload: dict[str, Any]) -> Response:
        """A read of a service's own internal route (`/_overcast/<service>/<path>`: SNS's recorded
        email and SMS messages, Lambda's environments), as a GET to it would answer."""
        from urllib.parse import urlencode

        service, path = payload.get("service"), payload.get("path")
        query = payload.get("query") or {}
        if not isinstance(service, str) or not isinstance(path, str) or not isinstance(query, dict):
            return _json(400, {"error": "service and path must be strings, query an object"})
        if not self.runtime.serves(service):
            return _json(404, {"error": f"{service} is not a service this Overcast runs"})
        request = Request("GET", f"/_overcast/{service}/{path}", urlencode(query), {"host": "localhost"})
        answer = self.runtime.provider(service).internal_request(request, path)
        if answer is None:
            return _json(404, {"error": f"{service} has no internal route {path}"})
        body = answer.body if isinstance(answer.body, (bytes, bytearray)) else b""
        return Response(answer.status, {"Content-Type": "application/json"}, bytes(body))

    async def operations(self, payload: dict[str, Any]) -> Response:
        """The operations of a service's model and the input members of each (the API console)."""
        service = payload.get("service")
        if not isinstance(service, str) or not _NAME.fullmatch(service):
            return _json(400, {"error": "service must name an AWS service"})
        from overcast import protocols, services

        try:
            model = protocols.service_model(service)
        except Exception:
            return _json(404, {"error": f"no AWS service is called {service}"})
        operations = {}
        for name in model.operation_names:
            shape = model.operation_model(name).input_shape
            members = (
                {}
                if shape is None
                else {
                    member: {"type": member_shape.type_name, "required": member in shape.required_members}
                    for member, member_shape in shape.members.items()
                }
            )
            operations[name] = members
        return _json(200, {"operations": operations, "emulated": service in services.implemented()})

    def _admin_refusal(self, credentials: Any) -> Response | None:
        """Under --enforce-iam the page's own reads need an admin: the typed-in keys, checked as
        a signed request to an internal endpoint would be (gatekeeper.py)."""
        if not isinstance(credentials, dict) or not credentials.get("accessKeyId"):
            return _json(401, {"error": "IAM enforcement is on: sign in with an access key and secret"})
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        url = f"{self.endpoint}/_overcast/requests"
        signed = AWSRequest(method="GET", url=url, data=b"")
        keys = Credentials(
            str(credentials["accessKeyId"]),
            str(credentials.get("secretAccessKey") or ""),
            credentials.get("sessionToken") or None,
        )
        SigV4Auth(keys, "overcast", DEFAULT_REGION).add_auth(signed)
        host = url.split("/")[2]
        headers = {name.lower(): value for name, value in signed.headers.items()}
        headers["host"] = host
        request = Request("GET", "/_overcast/requests", "", headers)
        refusal: Response | None = gatekeeper._admin_refusal(self.runtime, request, gatekeeper.READ_SERVICE)
        return refusal


def engines(runtime: Runtime) -> list[dict[str, Any]]:
    """What the loaded services run: Lambda environments, database and cache processes,
    containers."""
    from overcast.services.base import overrides

    rows: list[dict[str, Any]] = []
    for name, provider in sorted(runtime.providers.items()):
        if overrides(provider, "engines"):
            for row in provider.engines():
                rows.append({"service": name, **row})
    return rows


def _inputs(value: Any) -> Any:
    """The page's JSON as boto3 input: {"$base64": ...} is bytes (an upload's body)."""
    if isinstance(value, dict):
        if set(value) == {"$base64"} and isinstance(value["$base64"], str):
            return base64.b64decode(value["$base64"])
        return {key: _inputs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_inputs(item) for item in value]
    return value


def _outputs(value: Any) -> Any:
    """boto3's output as JSON: times in ISO 8601, bytes and streamed bodies as
    {"$text": ..., "$base64": ...}."""
    if isinstance(value, dict):
        return {key: _outputs(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_outputs(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return _blob(bytes(value))
    if hasattr(value, "read"):
        data = value.read(BODY_LIMIT + 1)
        close = getattr(value, "close", None)
        if close is not None:
            close()
        blob = _blob(data[:BODY_LIMIT])
        if len(data) > BODY_LIMIT:
            blob["truncated"] = True
        return blob
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "__iter__"):  # an event stream: not shown
        return "<event stream>"
    return str(value)


def _blob(data: bytes) -> dict[str, Any]:
    blob: dict[str, Any] = {"$base64": base64.b64encode(data).decode(), "size": len(data)}
    try:
        blob["$text"] = data.decode()
    except UnicodeDecodeError:
        pass
    return blob

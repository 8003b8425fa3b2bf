"""Connections and API destinations: HTTP endpoints EventBridge calls for real, with the
connection's authorization (API key header, basic auth, or an OAuth client-credentials token
fetched from its authorization endpoint and reused until it expires), the connection's and
target's extra headers, query strings and body parameters, and the destination's invocation
rate limit (calls beyond it wait for their turn).

A 2xx answer delivers the event; 429 and 5xx answers (and no answer) are retried on the
target's retry policy; other 4xx answers fail for good, to the dead-letter queue if any."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

from overcast.bus import DeliveryError
from overcast.common import jsontext
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.events import errors
from overcast.services.events.paging import page_items
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.events.provider import Provider

DEFAULT_RATE = 300
_TIMEOUT = 5.0
#: Which AuthParameters member each AuthorizationType needs.
_AUTH_MEMBER = {
    "BASIC": "BasicAuthParameters",
    "API_KEY": "ApiKeyAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}
_OAUTH_METHODS = ("GET", "POST", "PUT")
#: Secret members a Describe never shows.
_SECRETS = {"Password", "ApiKeyValue", "ClientSecret"}
_CONNECTION_LIST = ("ConnectionArn", "Name", "ConnectionState", "StateReason", "AuthorizationType",
                    "CreationTime", "LastModifiedTime", "LastAuthorizedTime")  # fmt: skip
_DESTINATION_OUT = ("ApiDestinationArn", "Name", "Description", "ApiDestinationState", "ConnectionArn",
                    "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond", "CreationTime",
                    "LastModifiedTime")  # fmt: skip


def _hide_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _hide_secrets(item) for key, item in value.items() if key not in _SECRETS}
    if isinstance(value, list):
        return [_hide_secrets(item) for item in value]
    return value


def _public_parameters(value: Any) -> Any:
    """Connection HTTP parameters as Describe shows them: secret values left out."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, list):
                out[key] = [
                    {k: v for k, v in entry.items() if not (k == "Value" and entry.get("IsValueSecret"))}
                    if isinstance(entry, dict)
                    else entry
                    for entry in item
                ]
            else:
                out[key] = _public_parameters(item)
        return out
    return value


def _pick(record: dict, members: tuple[str, ...]) -> dict:
    return {member: record[member] for member in members if record.get(member) is not None}


class _Limiter:
    """Calls per second of one API destination: each call takes the next free slot."""

    def __init__(self) -> None:
        self.next_free = 0.0

    async def wait(self, rate: int) -> None:
        now = time.monotonic()
        slot = max(now, self.next_free)
        self.next_free = slot + 1.0 / max(rate, 1)
        if slot > now:
            await asyncio.sleep(slot - now)


def _snake(value: Any) -> Any:
    """InvocationHttpParameters as AWS writes them into the connection's secret."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): _snake(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snake(item) for item in value]
    return value


def secret_value(kind: str, auth: dict, updated: bool = False) -> dict:
    """What AWS keeps in the connection's Secrets Manager secret."""
    if kind == "BASIC":
        basic = auth["BasicAuthParameters"]
        value = {"username": basic.get("Username"), "password": basic.get("Password")}
    elif kind == "API_KEY":
        key = auth["ApiKeyAuthParameters"]
        value = {"api_key_name": key.get("ApiKeyName"), "api_key_value": key.get("ApiKeyValue")}
    else:
        oauth = auth["OAuthParameters"]
        client = oauth.get("ClientParameters") or {}
        value = {"client_id": client.get("ClientID"), "client_secret": client.get("ClientSecret"),
                 "authorization_endpoint": oauth.get("AuthorizationEndpoint"), "http_method": oauth.get("HttpMethod")}  # fmt: skip
        if oauth.get("OAuthHttpParameters"):
            value["oauth_http_parameters"] = _snake(oauth["OAuthHttpParameters"])
    if updated or "InvocationHttpParameters" in auth:
        value["invocation_http_parameters"] = _snake(auth.get("InvocationHttpParameters") or {})
    return value


class ConnectionsMixin:
    # -- the connection's secret, kept in Secrets Manager as AWS keeps it ----------------------

    def _store_secret(self: Provider, context: RequestContext, record: dict, updated: bool) -> None:  # type: ignore[misc]
        if not self.runtime.serves("secretsmanager"):
            return
        secrets = self.runtime.provider("secretsmanager")
        internal = RequestContext.internal("events", context.account, context.region)
        text = json.dumps(secret_value(record["AuthorizationType"], record["AuthParameters"], updated))
        if record.get("SecretArn"):
            secrets.put_secret_value(internal, {"SecretId": record["SecretArn"], "SecretString": text,
                                                "ClientRequestToken": str(uuid.uuid4())})  # fmt: skip
            return
        name = f"events!connection/{record['Name']}/{uuid.uuid4()}"
        record["SecretArn"] = secrets.create_managed_secret(
            context.account, context.region, name, text, "events"
        )

    def _delete_secret(self: Provider, context: RequestContext, record: dict) -> None:  # type: ignore[misc]
        if record.get("SecretArn") and self.runtime.serves("secretsmanager"):
            internal = RequestContext.internal("events", context.account, context.region)
            try:
                self.runtime.provider("secretsmanager").delete_secret(
                    internal, {"SecretId": record["SecretArn"], "ForceDeleteWithoutRecovery": True}
                )
            except ServiceError:
                pass  # already gone: a user deleted it

    # -- connections ---------------------------------------------------------------------------

    def connection(self: Provider, scope: str, name: str, describing: bool = False) -> dict:  # type: ignore[misc]
        """The connection, or AWS's error (which a Describe words as a failure to describe)."""
        record = self.connections.get(scope, name)
        if record is None:
            message = f"Connection '{name}' does not exist."
            raise errors.not_found(
                f"Failed to describe the connection(s). {message}" if describing else message
            )
        return record

    def _check_auth(self: Provider, kind: str, auth: dict) -> None:  # type: ignore[misc]
        member = _AUTH_MEMBER[kind]
        if not auth.get(member):
            raise errors.validation(f"Parameter(s) {member} must be specified for authorization type {kind}.")
        method = (auth.get("OAuthParameters") or {}).get("HttpMethod")
        if method is not None and method.upper() not in _OAUTH_METHODS:
            raise errors.validation(
                f"1 validation error detected: Value '{method}' at 'authParameters.oAuthParameters.httpMethod' "
                "failed to satisfy constraint: Member must satisfy enum value set: [GET, POST, PUT]"
            )

    def create_connection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["Name"]
        self._check_auth(params["AuthorizationType"], params["AuthParameters"])
        now = time.time()
        with self.store.transaction():
            if self.connections.get(scope, name) is not None:
                raise errors.exists(f"Connection {name} already exists.")
            record = {
                "Name": name,
                "ConnectionArn": build_arn(
                    "events", context.region, context.account, f"connection/{name}/{uuid.uuid4()}"
                ),
                "Description": params.get("Description"),
                "AuthorizationType": params["AuthorizationType"],
                "AuthParameters": params["AuthParameters"],
                "InvocationConnectivityParameters": params.get("InvocationConnectivityParameters"),
                "KmsKeyIdentifier": params.get("KmsKeyIdentifier"),
                # An OAuth connection is authorized once its first token is fetched.
                "ConnectionState": "AUTHORIZING"
                if params["AuthorizationType"] == "OAUTH_CLIENT_CREDENTIALS"
                else "AUTHORIZED",
                "CreationTime": now,
                "LastModifiedTime": now,
                "LastAuthorizedTime": now,
            }
            record = {k: v for k, v in record.items() if v is not None}
            self._store_secret(context, record, updated=False)
            self.connections.put(scope, name, record)
        return _pick(record, ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime"))

    def describe_connection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.connection(self.scope_of(context), params["Name"], describing=True)
        out = _pick(record, ("ConnectionArn", "Name", "Description", "ConnectionState", "StateReason",
                             "AuthorizationType", "SecretArn", "KmsKeyIdentifier", "CreationTime",
                             "LastModifiedTime", "LastAuthorizedTime"))  # fmt: skip
        out["AuthParameters"] = _public_parameters(_hide_secrets(record["AuthParameters"]))
        if record.get("InvocationConnectivityParameters"):
            out["InvocationConnectivityParameters"] = record["InvocationConnectivityParameters"]
        return out

    def update_connection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            record = self.connection(scope, params["Name"])
            for member in (
                "Description",
                "AuthorizationType",
                "InvocationConnectivityParameters",
                "KmsKeyIdentifier",
            ):
                if member in params:
                    record[member] = params[member]
            if params.get("AuthParameters"):
                merged = dict(record["AuthParameters"])
                for key, value in params["AuthParameters"].items():
                    merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
                record["AuthParameters"] = merged
            self._check_auth(record["AuthorizationType"], record["AuthParameters"])
            oauth = record["AuthorizationType"] == "OAUTH_CLIENT_CREDENTIALS"
            record["ConnectionState"] = "AUTHORIZING" if oauth else "AUTHORIZED"
            record["LastModifiedTime"] = record["LastAuthorizedTime"] = time.time()
            record.pop("Token", None)
            self._store_secret(context, record, updated=True)
            self.connections.put(scope, params["Name"], record)
        return _pick(
            record,
            ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime", "LastAuthorizedTime"),
        )

    def deauthorize_connection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            record = self.connection(scope, params["Name"])
            record["ConnectionState"] = "DEAUTHORIZED"
            record["LastModifiedTime"] = time.time()
            record.pop("Token", None)
            self.connections.put(scope, params["Name"], record)
        out = _pick(record, ("ConnectionArn", "CreationTime", "LastModifiedTime", "LastAuthorizedTime"))
        out["ConnectionState"] = "DEAUTHORIZING"
        return out

    def delete_connection(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            record = self.connection(scope, params["Name"])
            self.connections.delete(scope, params["Name"])
            self._delete_secret(context, record)
        out = _pick(record, ("ConnectionArn", "CreationTime", "LastModifiedTime", "LastAuthorizedTime"))
        out["ConnectionState"] = "DELETING"
        return out

    def list_connections(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        prefix = params.get("NamePrefix") or ""
        state = params.get("ConnectionState")

        def scan(after: str | None) -> Any:
            for key, record in self.connections.scan(scope, prefix=prefix, start_after=after):
                if state is None or record["ConnectionState"] == state:
                    yield key, record

        return page_items(
            self.store,
            "ListConnections",
            params,
            [_pick(record, _CONNECTION_LIST) for _, record in scan(None)],
            "Connections",
            bind=f"{prefix} {state}",
            limit_key="Limit",
        )

    # -- API destinations ----------------------------------------------------------------------

    def destination(self: Provider, scope: str, name: str, describing: bool = False) -> dict:  # type: ignore[misc]
        """The API destination, or AWS's error (a Describe words it as a failure to describe)."""
        record = self.destinations.get(scope, name)
        if record is None:
            message = f"An api-destination '{name}' does not exist."
            raise errors.not_found(
                f"Failed to describe the api-destination(s). {message}" if describing else message
            )
        return record

    def _connection_by_arn(self: Provider, arn: str) -> tuple[str, dict] | None:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None or not parsed.resource.startswith("connection/"):
            return None
        scope = store_scope(parsed.account, parsed.region)
        name = parsed.resource.split("/")[1]
        record = self.connections.get(scope, name)
        return (scope, record) if record is not None and record["ConnectionArn"] == arn else None

    def create_api_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["Name"]
        if self._connection_by_arn(params["ConnectionArn"]) is None:
            raise errors.not_found(
                f"Connection '{_connection_name(params['ConnectionArn'])}' does not exist."
            )
        now = time.time()
        with self.store.transaction():
            if self.destinations.get(scope, name) is not None:
                raise errors.exists(f"An api-destination '{name}' already exists.")
            record = {
                "Name": name,
                "ApiDestinationArn": build_arn(
                    "events", context.region, context.account, f"api-destination/{name}/{uuid.uuid4()}"
                ),
                "Description": params.get("Description"),
                "ConnectionArn": params["ConnectionArn"],
                "InvocationEndpoint": params["InvocationEndpoint"],
                "HttpMethod": params["HttpMethod"],
                "InvocationRateLimitPerSecond": params.get("InvocationRateLimitPerSecond") or DEFAULT_RATE,
                "ApiDestinationState": "ACTIVE",
                "CreationTime": now,
                "LastModifiedTime": now,
            }
            self.destinations.put(scope, name, {k: v for k, v in record.items() if v is not None})
        return _pick(
            self._with_state(record),
            ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime"),
        )

    def describe_api_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return _pick(
            self._with_state(self.destination(self.scope_of(context), params["Name"], describing=True)),
            _DESTINATION_OUT,
        )

    def _with_state(self: Provider, record: dict) -> dict:  # type: ignore[misc]
        """A destination is ACTIVE while its connection is authorized, INACTIVE otherwise."""
        found = self._connection_by_arn(record["ConnectionArn"])
        active = found is not None and found[1]["ConnectionState"] == "AUTHORIZED"
        return {**record, "ApiDestinationState": "ACTIVE" if active else "INACTIVE"}

    def update_api_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        if params.get("ConnectionArn") and self._connection_by_arn(params["ConnectionArn"]) is None:
            raise errors.not_found(
                f"Connection '{_connection_name(params['ConnectionArn'])}' does not exist."
            )
        with self.store.transaction():
            record = self.destination(scope, params["Name"])
            for member in ("Description", "ConnectionArn", "InvocationEndpoint", "HttpMethod",
                           "InvocationRateLimitPerSecond"):  # fmt: skip
                if params.get(member) is not None:
                    record[member] = params[member]
            record["LastModifiedTime"] = time.time()
            self.destinations.put(scope, params["Name"], record)
        return _pick(
            self._with_state(record),
            ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime"),
        )

    def delete_api_destination(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            self.destination(scope, params["Name"])
            self.destinations.delete(scope, params["Name"])
        return {}

    def list_api_destinations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        prefix = params.get("NamePrefix") or ""
        connection = params.get("ConnectionArn")

        def scan(after: str | None) -> Any:
            for key, record in self.destinations.scan(scope, prefix=prefix, start_after=after):
                if connection is None or record["ConnectionArn"] == connection:
                    yield key, record

        return page_items(
            self.store,
            "ListApiDestinations",
            params,
            [
                _pick(self._with_state(record), _DESTINATION_OUT[:2] + _DESTINATION_OUT[3:])
                for _, record in scan(None)
            ],
            "ApiDestinations",
            bind=f"{prefix} {connection}",
            limit_key="Limit",
        )

    # -- invocation ----------------------------------------------------------------------------

    async def invoke_api_destination(self: Provider, arn: str, body: str, http: dict) -> dict:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None:
            raise DeliveryError(f"not an API destination: {arn}", retryable=False)
        scope = store_scope(parsed.account, parsed.region)
        name = parsed.resource.split("/")[1]
        destination = self.destinations.get(scope, name)
        if destination is None or destination["ApiDestinationArn"] != arn:
            raise DeliveryError(f"An api-destination '{name}' does not exist.", retryable=False)
        found = self._connection_by_arn(destination["ConnectionArn"])
        if found is None:
            raise DeliveryError("The connection of the api-destination does not exist.", retryable=False)
        connection_scope, connection = found
        if connection["ConnectionState"] not in ("AUTHORIZED", "AUTHORIZING"):
            raise DeliveryError("The connection is not authorized.", retryable=False)
        limiters = self.__dict__.setdefault("_limiters", {})
        await limiters.setdefault(arn, _Limiter()).wait(destination["InvocationRateLimitPerSecond"])
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Amazon/EventBridge/ApiDestinations",
        }
        query: dict[str, str] = {}
        auth = connection["AuthParameters"]
        extra = auth.get("InvocationHttpParameters") or {}
        kind = connection["AuthorizationType"]
        if kind == "BASIC":
            basic = auth["BasicAuthParameters"]
            token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        elif kind == "API_KEY":
            key = auth["ApiKeyAuthParameters"]
            headers[key["ApiKeyName"]] = key["ApiKeyValue"]
        else:
            headers["Authorization"] = f"Bearer {await self._oauth_token(connection_scope, connection)}"
        body_text = _merge_parameters(extra, headers, query, body)
        for key, value in (http.get("HeaderParameters") or {}).items():
            headers[key] = value
        query.update(http.get("QueryStringParameters") or {})
        url = destination["InvocationEndpoint"]
        for value in http.get("PathParameterValues") or ():
            url = url.replace("*", urllib.parse.quote(value, safe=""), 1)
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        method = destination["HttpMethod"]
        data = body_text.encode() if method not in ("GET", "HEAD") else None
        status, _ = await asyncio.to_thread(_request, method, url, headers, data)
        if status == 429 or status >= 500 or status == 0:
            raise DeliveryError(f"The API destination answered HTTP {status}.")
        if status >= 400:
            raise DeliveryError(f"The API destination answered HTTP {status}.", retryable=False)
        return {"status": status}

    async def _oauth_token(self: Provider, scope: str, connection: dict) -> str:  # type: ignore[misc]
        token = connection.get("Token")
        if token and token["Expires"] > time.time():
            return str(token["Value"])
        oauth = connection["AuthParameters"]["OAuthParameters"]
        client = oauth["ClientParameters"]
        credentials = base64.b64encode(f"{client['ClientID']}:{client['ClientSecret']}".encode()).decode()
        headers = {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        query: dict[str, str] = {}
        form: dict[str, str] = {}
        parameters = oauth.get("OAuthHttpParameters") or {}
        for entry in parameters.get("HeaderParameters") or ():
            headers[entry["Key"]] = entry["Value"]
        for entry in parameters.get("QueryStringParameters") or ():
            query[entry["Key"]] = entry["Value"]
        for entry in parameters.get("BodyParameters") or ():
            form[entry["Key"]] = entry["Value"]
        url = oauth["AuthorizationEndpoint"]
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        method = str(oauth.get("HttpMethod", "POST")).upper()
        data = urllib.parse.urlencode(form).encode() if method != "GET" else None
        status, answer = await asyncio.to_thread(_request, method, url, headers, data)
        if status != 200:
            raise DeliveryError(f"The OAuth authorization endpoint answered HTTP {status}.")
        try:
            document = jsontext.loads(answer)
            value = str(document["access_token"])
        except (ValueError, KeyError, TypeError):
            raise DeliveryError("The OAuth authorization endpoint gave no access_token.") from None
        expires = time.time() + float(document.get("expires_in") or 3600)
        connection["Token"] = {"Value": value, "Expires": expires}
        with self.store.transaction():
            current = self.connections.get(scope, connection["Name"])
            if current is not None:
                current["Token"] = connection["Token"]
                current["ConnectionState"] = "AUTHORIZED"
                current["LastAuthorizedTime"] = time.time()
                self.connections.put(scope, connection["Name"], current)
        return value


def _connection_name(arn: str) -> str:
    resource = arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) > 1 else resource


def _merge_parameters(extra: dict, headers: dict, query: dict, body: str) -> str:
    """The connection's InvocationHttpParameters: headers, query strings, and body members
    added to a JSON object body."""
    for entry in extra.get("HeaderParameters") or ():
        headers[entry["Key"]] = entry["Value"]
    for entry in extra.get("QueryStringParameters") or ():
        query[entry["Key"]] = entry["Value"]
    members = extra.get("BodyParameters") or ()
    if members:
        try:
            document = jsontext.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict):
            for entry in members:
                document[entry["Key"]] = entry["Value"]
            body = json.dumps(document)
    return body


def _request(method: str, url: str, headers: dict, data: bytes | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (OSError, ValueError):
        return 0, b""

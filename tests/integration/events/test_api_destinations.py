"""Connections and API destinations: the credentials kept in a Secrets Manager secret as AWS
keeps them, and events delivered by real HTTP calls with the connection's authorization."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """A local HTTP endpoint that records what it is sent; /token answers OAuth token requests."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                headers = {key.lower(): value for key, value in self.headers.items()}
                receiver.calls.append({"path": self.path, "headers": headers, "body": body})
                if self.path.startswith("/token"):
                    answer = json.dumps({"access_token": "tok-123", "expires_in": 3600}).encode()
                else:
                    answer = b"{}"
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, path: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [call for call in self.calls if call["path"].startswith(path)]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return [call for call in self.calls if call["path"].startswith(path)]


@pytest.fixture
def receiver():
    instance = Receiver()
    yield instance
    instance.server.shutdown()


def test_connection_credentials_live_in_a_secret(events, client, name):
    created = events.create_connection(
        Name=name,
        AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "user", "Password": "pass"}},
    )
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name=name)
    assert described["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}}
    secret_arn = described["SecretArn"]
    assert f":secret:events!connection/{name}/" in secret_arn
    secrets = client("secretsmanager")
    assert json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"]) == {
        "username": "user",
        "password": "pass",
    }
    events.update_connection(
        Name=name, AuthParameters={"BasicAuthParameters": {"Username": "new", "Password": "new-pass"}}
    )
    assert json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"]) == {
        "username": "new",
        "password": "new-pass",
        "invocation_http_parameters": {},
    }
    assert events.delete_connection(Name=name)["ConnectionState"] == "DELETING"
    with pytest.raises(secrets.exceptions.ResourceNotFoundException):
        secrets.get_secret_value(SecretId=secret_arn)


def destination_rule(events, name: str, connection_arn: str, url: str, **target) -> None:
    destination = events.create_api_destination(
        Name=name, ConnectionArn=connection_arn, InvocationEndpoint=url, HttpMethod="POST"
    )["ApiDestinationArn"]
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=name, Targets=[{"Id": "api", "Arn": destination, **target}])


def send(events, name: str, detail: dict) -> str:
    entry = {"Source": name, "DetailType": "call", "Detail": json.dumps(detail)}
    return events.put_events(Entries=[entry])["Entries"][0]["EventId"]


def test_api_key_destination_is_called_with_its_header(events, name, receiver):
    connection = events.create_connection(
        Name=name,
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"},
            "InvocationHttpParameters": {"HeaderParameters": [{"Key": "x-extra", "Value": "1"}]},
        },
    )["ConnectionArn"]
    destination_rule(
        events, name, connection, f"{receiver.url}/hook/*",
        HttpParameters={"PathParameterValues": ["orders"], "QueryStringParameters": {"q": "v"}},
    )  # fmt: skip
    event_id = send(events, name, {"n": 1})
    [call] = receiver.wait("/hook/")
    assert call["path"] == "/hook/orders?q=v"
    assert call["headers"]["x-api-key"] == "s3cret" and call["headers"]["x-extra"] == "1"
    assert json.loads(call["body"])["id"] == event_id


def test_basic_auth_destination(events, name, receiver):
    connection = events.create_connection(
        Name=name,
        AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}},
    )["ConnectionArn"]
    destination_rule(events, name, connection, f"{receiver.url}/basic", InputPath="$.detail")
    send(events, name, {"n": 2})
    [call] = receiver.wait("/basic")
    assert call["headers"]["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
    assert json.loads(call["body"]) == {"n": 2}


def test_oauth_destination_fetches_a_token_first(events, name, receiver):
    connection = events.create_connection(
        Name=name,
        AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={
            "OAuthParameters": {
                "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
                "AuthorizationEndpoint": f"{receiver.url}/token",
                "HttpMethod": "POST",
                "OAuthHttpParameters": {
                    "BodyParameters": [{"Key": "grant_type", "Value": "client_credentials"}]
                },
            }
        },
    )
    assert connection["ConnectionState"] == "AUTHORIZING"
    destination_rule(events, name, connection["ConnectionArn"], f"{receiver.url}/oauth")
    assert events.describe_api_destination(Name=name)["ApiDestinationState"] == "INACTIVE"
    send(events, name, {"n": 3})
    [call] = receiver.wait("/oauth")
    assert call["headers"]["authorization"] == "Bearer tok-123"
    [token_call] = receiver.wait("/token")
    assert token_call["headers"]["authorization"] == "Basic " + base64.b64encode(b"id:secret").decode()
    assert token_call["body"] == "grant_type=client_credentials"
    assert events.describe_connection(Name=name)["ConnectionState"] == "AUTHORIZED"
    assert events.describe_api_destination(Name=name)["ApiDestinationState"] == "ACTIVE"


def test_invocation_rate_limit_spaces_the_calls(events, name, receiver):
    connection = events.create_connection(
        Name=name,
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
    )["ConnectionArn"]
    destination = events.create_api_destination(
        Name=name, ConnectionArn=connection, InvocationEndpoint=f"{receiver.url}/slow", HttpMethod="POST",
        InvocationRateLimitPerSecond=2,
    )["ApiDestinationArn"]  # fmt: skip
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=name, Targets=[{"Id": "api", "Arn": destination}])
    started = time.monotonic()
    for index in range(4):
        send(events, name, {"n": index})
    calls = receiver.wait("/slow", 4, timeout=10)
    assert len(calls) == 4
    assert time.monotonic() - started >= 1.4  # four calls at two a second take at least 1.5 s

"""What other services rely on: the WebSocket connections' methods the management API
(apigatewaymanagementapi) calls, and knows_api, which the REST API data plane asks before it
answers an execute-api host or path."""

from __future__ import annotations

import asyncio

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.apigatewayv2.websocket import Connection


@pytest.fixture
def v2(runtime):
    return runtime.provider("apigatewayv2")


def test_knows_api_only_its_own_ids(v2):
    context = RequestContext.internal("apigatewayv2", "000000000000", "us-east-1")
    api_id = v2.create_api(context, {"Name": "a", "ProtocolType": "HTTP"})["ApiId"]
    assert v2.knows_api(api_id)
    assert not v2.knows_api("abcdefghij")


def test_connections_take_pushes_describe_themselves_and_close(v2):
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def scenario() -> None:
        connection = Connection(
            "c1=", "api", "prod", "000000000000/us-east-1", "d", send, "10.0.0.1", "agent"
        )
        v2.connections[connection.connection_id] = connection
        await v2.post_to_connection_id("c1=", b"hello")
        await v2.post_to_connection_id("c1=", b"\xff\x00")
        described = v2.describe_connection("c1=")
        assert described["Identity"] == {"SourceIp": "10.0.0.1", "UserAgent": "agent"}
        with pytest.raises(ServiceError) as too_long:
            await v2.post_to_connection_id("c1=", b"x" * (128 * 1024 + 1))
        assert too_long.value.code == "PayloadTooLargeException"
        await v2.delete_connection_id("c1=")
        with pytest.raises(ServiceError) as gone:
            await v2.post_to_connection_id("c1=", b"late")
        assert gone.value.code == "GoneException" and gone.value.status == 410
        with pytest.raises(ServiceError):
            v2.describe_connection("c1=")

    asyncio.run(scenario())
    assert sent == [
        {"type": "websocket.send", "text": "hello"},
        {"type": "websocket.send", "bytes": b"\xff\x00"},
        {"type": "websocket.close", "code": 1001},
    ]


def test_websocket_stages_for_usage_plans(v2):
    context = RequestContext.internal("apigatewayv2", "000000000000", "us-east-1")
    ws = v2.create_api(
        context, {"Name": "w", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.a"}
    )
    v2.create_stage(context, {"ApiId": ws["ApiId"], "StageName": "dev"})
    http = v2.create_api(context, {"Name": "h", "ProtocolType": "HTTP"})
    assert v2.websocket_stages("000000000000", "us-east-1", ws["ApiId"]) == ["dev"]
    assert v2.websocket_stages("000000000000", "us-east-1", http["ApiId"]) is None
    assert v2.websocket_stages("111111111111", "us-east-1", ws["ApiId"]) is None


def test_rest_api_keys_admit_websocket_connections(runtime, v2):
    rest = runtime.provider("apigateway")
    context = RequestContext.internal("apigateway", "000000000000", "us-east-1")
    ws = v2.create_api(
        context, {"Name": "w", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.a"}
    )
    v2.create_stage(context, {"ApiId": ws["ApiId"], "StageName": "dev"})
    key = rest.create_api_key(context, {"name": "k", "enabled": True})
    plan = rest.create_usage_plan(
        context, {"name": "p", "apiStages": [{"apiId": ws["ApiId"], "stage": "dev"}]}
    )
    scope = "000000000000/us-east-1"
    assert not rest.check_websocket_key(scope, ws["ApiId"], "dev", key["value"])  # not in the plan yet
    rest.create_usage_plan_key(context, {"usagePlanId": plan["id"], "keyId": key["id"], "keyType": "API_KEY"})
    assert rest.check_websocket_key(scope, ws["ApiId"], "dev", key["value"])
    assert not rest.check_websocket_key(scope, ws["ApiId"], "other", key["value"])
    assert not rest.check_websocket_key(scope, ws["ApiId"], "dev", "not-a-key")

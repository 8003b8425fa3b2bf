"""WebSocket APIs over a real WebSocket: $connect/$disconnect/$default and custom routes chosen
by the route selection expression, route responses, MOCK integrations, and a chat round trip
where the function pushes to the clients through the @connections management API."""

from __future__ import annotations

import json
import time

import boto3
import pytest
import websocket
from botocore.exceptions import ClientError

from tests.integration.apigateway.helpers import call

from .helpers import function, unique

#: The chat function: connections kept in DynamoDB, messages pushed to every one of them
#: through the management API (boto3 reaches it through AWS_ENDPOINT_URL).
CHAT = """
import json, os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])

def handler(event, context):
    ctx = event["requestContext"]
    route, connection = ctx["routeKey"], ctx["connectionId"]
    if route == "$connect":
        if event.get("queryStringParameters", {}).get("name") == "intruder":
            return {"statusCode": 403}
        TABLE.put_item(Item={"id": connection, "name": event["queryStringParameters"]["name"]})
        return {"statusCode": 200}
    if route == "$disconnect":
        TABLE.delete_item(Key={"id": connection})
        return {"statusCode": 200}
    if route == "sendmessage":
        sender = TABLE.get_item(Key={"id": connection})["Item"]["name"]
        text = json.loads(event["body"])["text"]
        api = boto3.client("apigatewaymanagementapi")
        for item in TABLE.scan()["Items"]:
            api.post_to_connection(ConnectionId=item["id"], Data=f"{sender}: {text}".encode())
        return {"statusCode": 200}
    return {"statusCode": 200, "body": json.dumps({"echo": event["body"], "route": route})}
"""


def ws_url(endpoint: str, api_id: str, stage: str, query: str = "") -> str:
    return (
        endpoint.replace("http://", "ws://")
        + f"/_aws/execute-api/{api_id}/{stage}"
        + (f"?{query}" if query else "")
    )


def connect(address: str) -> websocket.WebSocket:
    return websocket.create_connection(address, timeout=30)


@pytest.fixture(scope="module")
def chat(client):
    lam, dynamodb, apigw = client("lambda"), client("dynamodb"), client("apigatewayv2")
    table = unique("connections")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    arn = function(lam, CHAT, Environment={"Variables": {"TABLE": table}}, Timeout=30)
    api = apigw.create_api(
        Name=unique("chat"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    api_id = api["ApiId"]
    assert api["ApiEndpoint"].startswith("ws://")
    integration = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn)[
        "IntegrationId"
    ]
    routes = {}
    for key in ("$connect", "$disconnect", "sendmessage", "$default"):
        routes[key] = apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")[
            "RouteId"
        ]
    apigw.create_route_response(ApiId=api_id, RouteId=routes["$default"], RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="production", AutoDeploy=True)
    return {"api_id": api_id, "table": table}


def test_chat_round_trip(chat, client, endpoint):
    api_id = chat["api_id"]
    ada = connect(ws_url(endpoint, api_id, "production", "name=ada"))
    bob = connect(ws_url(endpoint, api_id, "production", "name=bob"))
    try:
        ada.send(json.dumps({"action": "sendmessage", "text": "hello"}))
        assert ada.recv() == "ada: hello"
        assert bob.recv() == "ada: hello"
        stored = client("dynamodb").scan(TableName=chat["table"])["Items"]
        assert sorted(item["name"]["S"] for item in stored) == ["ada", "bob"]
    finally:
        ada.close()
        bob.close()
    deadline = time.monotonic() + 10
    while client("dynamodb").scan(TableName=chat["table"])["Items"] and time.monotonic() < deadline:
        time.sleep(0.1)  # $disconnect runs once the close reaches the server
    assert client("dynamodb").scan(TableName=chat["table"])["Items"] == []


def test_default_route_answers_through_its_route_response(chat, endpoint):
    socket = connect(ws_url(endpoint, chat["api_id"], "production", "name=carol"))
    try:
        socket.send("not json at all")
        assert json.loads(socket.recv()) == {"echo": "not json at all", "route": "$default"}
        socket.send(json.dumps({"action": "unknown"}))
        assert json.loads(socket.recv())["route"] == "$default"
    finally:
        socket.close()


def test_connect_route_can_refuse(chat, endpoint):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connect(ws_url(endpoint, chat["api_id"], "production", "name=intruder"))
    assert refused.value.status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException):
        connect(ws_url(endpoint, chat["api_id"], "nosuchstage", "name=x"))


def test_management_api_from_the_client_side(chat, client, endpoint):
    socket = connect(ws_url(endpoint, chat["api_id"], "production", "name=dave"))
    try:
        stored = client("dynamodb").scan(TableName=chat["table"])["Items"]
        connection_id = next(item["id"]["S"] for item in stored if item["name"]["S"] == "dave")
        management = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=f"{endpoint}/_aws/execute-api/{chat['api_id']}/production",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        management.post_to_connection(ConnectionId=connection_id, Data=b"pushed")
        assert socket.recv() == "pushed"
        described = management.get_connection(ConnectionId=connection_id)
        assert described["Identity"]["SourceIp"] == "127.0.0.1"
        assert described["ConnectedAt"] <= described["LastActiveAt"]
        # The service form, signed for execute-api at /@connections/{id}.
        client("apigatewaymanagementapi").post_to_connection(ConnectionId=connection_id, Data=b"again")
        assert socket.recv() == "again"
        management.delete_connection(ConnectionId=connection_id)
        with pytest.raises(management.exceptions.GoneException):
            management.post_to_connection(ConnectionId=connection_id, Data=b"late")
        gone = call(f"{endpoint}/_aws/execute-api/{chat['api_id']}/production/@connections/{connection_id}")
        assert gone.status == 410
    finally:
        socket.close()


def test_mock_integration_with_integration_response(client, endpoint):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(
        Name=unique("mock"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="MOCK",
        RequestTemplates={"$default": '{"statusCode": 200}'},
        TemplateSelectionExpression="\\$default",
    )["IntegrationId"]
    apigw.create_integration_response(
        ApiId=api_id,
        IntegrationId=integration,
        IntegrationResponseKey="/200/",
        ResponseTemplates={"$default": '{"pong": "$context.connectionId", "said": $input.json(\'$.text\')}'},
        TemplateSelectionExpression="\\$default",
    )
    route = apigw.create_route(
        ApiId=api_id,
        RouteKey="ping",
        Target=f"integrations/{integration}",
        RouteResponseSelectionExpression="$default",
    )["RouteId"]
    apigw.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    socket = connect(ws_url(endpoint, api_id, "dev"))
    try:
        socket.send(json.dumps({"action": "ping", "text": "hi"}))
        answer = json.loads(socket.recv())
        assert answer["said"] == "hi" and answer["pong"]
        socket.send(json.dumps({"action": "nothing"}))
        refused = json.loads(socket.recv())
        assert refused["message"] == "Forbidden" and refused["connectionId"] == answer["pong"]
    finally:
        socket.close()


WS_AUTHORIZER = """
def handler(event, context):
    token = event["queryStringParameters"].get("token")
    effect = "Allow" if token == "good" else "Deny"
    return {
        "principalId": "user-7",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
        ]},
        "context": {"tier": "gold"},
    }
"""

WS_ECHO_CONTEXT = """
import json
def handler(event, context):
    if event["requestContext"]["eventType"] != "MESSAGE":
        return {"statusCode": 200}
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""


def test_connect_authorizer_guards_the_connection(client, endpoint):
    apigw, lam = client("apigatewayv2"), client("lambda")
    authorizer_arn = function(lam, WS_AUTHORIZER)
    echo_arn = function(lam, WS_ECHO_CONTEXT)
    api_id = apigw.create_api(
        Name=unique("wsauth"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="token",
        AuthorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
        IdentitySource=["route.request.querystring.token"],
    )["AuthorizerId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo_arn
    )["IntegrationId"]
    apigw.create_route(
        ApiId=api_id,
        RouteKey="$connect",
        Target=f"integrations/{integration}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer,
    )
    default = apigw.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")[
        "RouteId"
    ]
    apigw.create_route_response(ApiId=api_id, RouteId=default, RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    for query in ("token=bad", ""):
        with pytest.raises(websocket.WebSocketBadStatusException):
            connect(ws_url(endpoint, api_id, "prod", query))
    socket = connect(ws_url(endpoint, api_id, "prod", "token=good"))
    try:
        socket.send("hello")
        authorizer_context = json.loads(socket.recv())
        assert authorizer_context["principalId"] == "user-7" and authorizer_context["tier"] == "gold"
    finally:
        socket.close()


def test_aws_integration_writes_to_dynamodb(client, endpoint):
    apigw, dynamodb = client("apigatewayv2"), client("dynamodb")
    table = unique("messages")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    api_id = apigw.create_api(
        Name=unique("wsaws"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    template = (
        '{"TableName": "' + table + '", "Item": {"id": {"S": "$context.connectionId"}, '
        '"text": {"S": $input.json(\'$.text\')}}}'
    )
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS",
        IntegrationMethod="POST",
        IntegrationUri="arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        CredentialsArn="arn:aws:iam::000000000000:role/apigw-dynamodb",
        RequestTemplates={"$default": template},
        TemplateSelectionExpression="\\$default",
    )["IntegrationId"]
    apigw.create_integration_response(
        ApiId=api_id,
        IntegrationId=integration,
        IntegrationResponseKey="/200/",
        ResponseTemplates={"$default": '{"stored": true}'},
    )
    route = apigw.create_route(ApiId=api_id, RouteKey="store", Target=f"integrations/{integration}")[
        "RouteId"
    ]
    apigw.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    socket = connect(ws_url(endpoint, api_id, "dev"))
    try:
        socket.send(json.dumps({"action": "store", "text": "kept"}))
        assert json.loads(socket.recv()) == {"stored": True}
    finally:
        socket.close()
    items = dynamodb.scan(TableName=table)["Items"]
    assert [item["text"]["S"] for item in items] == ["kept"]


def test_route_throttling_and_access_logs(client, endpoint):
    apigw, logs = client("apigatewayv2"), client("logs")
    group = unique("/ws/access")
    logs.create_log_group(logGroupName=group)
    api_id = apigw.create_api(
        Name=unique("wsthrottle"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="MOCK", RequestTemplates={"$default": '{"statusCode": 200}'}
    )["IntegrationId"]
    apigw.create_integration_response(
        ApiId=api_id,
        IntegrationId=integration,
        IntegrationResponseKey="$default",
        ResponseTemplates={"$default": "ok"},
    )
    route = apigw.create_route(ApiId=api_id, RouteKey="ping", Target=f"integrations/{integration}")["RouteId"]
    apigw.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    apigw.create_stage(
        ApiId=api_id,
        StageName="dev",
        AutoDeploy=True,
        RouteSettings={"ping": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.01}},
        DefaultRouteSettings={"LoggingLevel": "ERROR"},
        AccessLogSettings={
            "DestinationArn": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}",
            "Format": "$context.connectionId $context.routeKey $context.status",
        },
    )
    socket = connect(ws_url(endpoint, api_id, "dev"))
    try:
        socket.send(json.dumps({"action": "ping"}))
        assert socket.recv() == "ok"
        socket.send(json.dumps({"action": "ping"}))
        throttled = json.loads(socket.recv())
        assert throttled["message"] == "Too Many Requests"
    finally:
        socket.close()
    connection = throttled["connectionId"]
    lines = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
    assert lines == [f"{connection} ping 200", f"{connection} ping 429"]
    execution = [
        e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/apigateway/{api_id}/dev")["events"]
    ]
    assert any("WebSocket Request Route: [ping]" in line for line in execution)
    assert execution[-1].endswith("Method completed with status: 429")  # ERROR: only the failed message


def test_connect_with_an_api_key_of_a_usage_plan(client, endpoint):
    apigw, rest = client("apigatewayv2"), client("apigateway")
    api_id = apigw.create_api(
        Name=unique("wskey"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="MOCK", RequestTemplates={"$default": '{"statusCode": 200}'}
    )["IntegrationId"]
    apigw.create_route(
        ApiId=api_id, RouteKey="$connect", Target=f"integrations/{integration}", ApiKeyRequired=True
    )
    apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    key = rest.create_api_key(name=unique("k"), enabled=True)
    plan = rest.create_usage_plan(
        name=unique("p"), apiStages=[{"apiId": api_id, "stage": "dev"}], quota={"limit": 1, "period": "DAY"}
    )
    rest.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    with pytest.raises(websocket.WebSocketBadStatusException):
        connect(ws_url(endpoint, api_id, "dev"))
    socket = websocket.create_connection(
        ws_url(endpoint, api_id, "dev"), timeout=30, header=[f"x-api-key: {key['value']}"]
    )
    socket.close()
    with pytest.raises(websocket.WebSocketBadStatusException):  # the day's quota of one is spent
        websocket.create_connection(
            ws_url(endpoint, api_id, "dev"), timeout=30, header=[f"x-api-key: {key['value']}"]
        )
    with pytest.raises(ClientError):
        rest.create_usage_plan(name=unique("p"), apiStages=[{"apiId": api_id, "stage": "nostage"}])


def test_deleting_the_stage_closes_its_connections(client, endpoint):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(
        Name=unique("wsdel"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="MOCK", RequestTemplates={"$default": '{"statusCode": 200}'}
    )["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    socket = connect(ws_url(endpoint, api_id, "dev"))
    try:
        apigw.delete_stage(ApiId=api_id, StageName="dev")
        socket.settimeout(10)
        opcode, _ = socket.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
    finally:
        socket.close()


def test_request_models_check_messages(client, endpoint):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(
        Name=unique("wsmodel"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    apigw.create_model(
        ApiId=api_id,
        Name="Message",
        Schema=json.dumps(
            {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
        ),
    )
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="MOCK", RequestTemplates={"$default": '{"statusCode": 200}'}
    )["IntegrationId"]
    apigw.create_integration_response(
        ApiId=api_id,
        IntegrationId=integration,
        IntegrationResponseKey="$default",
        ResponseTemplates={"$default": "ok"},
    )
    route = apigw.create_route(
        ApiId=api_id,
        RouteKey="say",
        Target=f"integrations/{integration}",
        ModelSelectionExpression="$default",
        RequestModels={"$default": "Message"},
    )["RouteId"]
    apigw.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    socket = connect(ws_url(endpoint, api_id, "dev"))
    try:
        socket.send(json.dumps({"action": "say", "text": "fine"}))
        assert socket.recv() == "ok"
        socket.send(json.dumps({"action": "say", "text": 7}))
        assert json.loads(socket.recv())["message"] == "Invalid request body"
    finally:
        socket.close()


def test_idle_connections_are_closed():
    """AWS closes a connection idle for ten minutes: on a clock sped up 600 times, a second."""
    from tests.conftest import Server

    server = Server("--ephemeral", "--quiet", env={"OVERCAST_SCHEDULE_SPEED": "600"})
    try:
        apigw = boto3.client(
            "apigatewayv2",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        api_id = apigw.create_api(
            Name=unique("idle"), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
        )["ApiId"]
        integration = apigw.create_integration(
            ApiId=api_id, IntegrationType="MOCK", RequestTemplates={"$default": '{"statusCode": 200}'}
        )["IntegrationId"]
        apigw.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")
        apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
        socket = connect(ws_url(server.endpoint, api_id, "dev"))
        try:
            started = time.monotonic()
            socket.settimeout(20)
            opcode, _ = socket.recv_data(control_frame=True)
            assert opcode == websocket.ABNF.OPCODE_CLOSE
            assert 0.5 < time.monotonic() - started < 10
        finally:
            socket.close()
    finally:
        server.stop()

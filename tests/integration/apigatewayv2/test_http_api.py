"""HTTP APIs answering for real: Lambda proxy (payload 2.0 and 1.0), route selection, the
guide's pattern (client → HTTP API → Lambda → DynamoDB), HTTP proxy with parameter mapping,
AWS service integrations, CORS, throttling, access logs, custom domains — called with a
plain HTTP client."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.integration.apigateway.helpers import call

from .helpers import LocalServer, echo, function, unique, url

#: A function that answers with the event it received (payload 2.0: the body is inferred).
ECHO_EVENT = """
def handler(event, context):
    return event
"""
#: The guide's Python handler example, verbatim (payload format 1.0: it reads httpMethod).
GUIDE_HANDLER = Path(__file__).parent.parent / "apigateway" / "guide_handler.txt"


@pytest.fixture(scope="module")
def echo_function(client):
    return function(client("lambda"), ECHO_EVENT)


def quick_api(apigw, target: str, **extra) -> str:
    return apigw.create_api(Name=unique("http"), ProtocolType="HTTP", Target=target, **extra)["ApiId"]


def test_quick_create_serves_the_payload_2_event(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id = quick_api(apigw, echo_function)
    stages = apigw.get_stages(ApiId=api_id)["Items"]
    assert [s["StageName"] for s in stages] == ["$default"] and stages[0]["AutoDeploy"] is True
    answer = call(
        url(endpoint, api_id, "$default", "/pets/dog?a=1&a=2&b=x"),
        method="POST",
        body='{"hello": "world"}',
        headers={"Content-Type": "application/json", "Cookie": "c1=v1; c2=v2", "X-Custom": "yes"},
    )
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["apigw-requestid"]
    event = answer.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/pets/dog"
    assert event["rawQueryString"] == "a=1&a=2&b=x"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "yes" and "cookie" not in event["headers"]
    assert event["body"] == '{"hello": "world"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["apiId"] == api_id and context["stage"] == "$default"
    assert context["http"]["method"] == "POST" and context["http"]["path"] == "/pets/dog"
    assert context["accountId"] == "000000000000"
    assert isinstance(context["timeEpoch"], int)


def test_binary_bodies_reach_the_function_in_base64(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id = quick_api(apigw, echo_function)
    answer = call(
        url(endpoint, api_id, "$default", "/upload"),
        method="PUT",
        body=b"\x00\x01\xff",
        headers={"Content-Type": "application/octet-stream"},
    )
    event = answer.json()
    assert event["isBase64Encoded"] is True and event["body"] == "AAH/"


def test_structured_and_inferred_responses(client, endpoint):
    lam, apigw = client("lambda"), client("apigatewayv2")
    source = """
import json
def handler(event, context):
    path = event["rawPath"]
    if path == "/structured":
        return {"statusCode": 201, "headers": {"X-Made": "here"}, "body": "made", "cookies": ["a=1"]}
    if path == "/string":
        return "just text"
    if path == "/fail":
        raise ValueError("boom")
    return {"inferred": True}
"""
    api_id = quick_api(apigw, function(lam, source))
    made = call(url(endpoint, api_id, "$default", "/structured"))
    assert (made.status, made.body, made.headers["x-made"]) == (201, b"made", "here")
    assert made.headers["set-cookie"] == "a=1"
    inferred = call(url(endpoint, api_id, "$default", "/other"))
    assert inferred.status == 200 and inferred.json() == {"inferred": True}
    assert call(url(endpoint, api_id, "$default", "/string")).body == b"just text"
    failed = call(url(endpoint, api_id, "$default", "/fail"))
    assert failed.status == 500 and failed.json() == {"message": "Internal Server Error"}


def test_routes_are_chosen_most_specific_first(client, endpoint):
    lam, apigw = client("lambda"), client("apigatewayv2")
    source = """
def handler(event, context):
    return {"route": event["routeKey"], "params": event.get("pathParameters")}
"""
    arn = function(lam, source)
    api_id = apigw.create_api(Name=unique("routes"), ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    for key in (
        "GET /pets",
        "GET /pets/{id}",
        "GET /pets/dog",
        "ANY /pets/{proxy+}",
        "GET /pets/{proxy+}",
        "$default",
    ):
        apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)

    def route(path: str, method: str = "GET") -> dict:
        answer = call(url(endpoint, api_id, "prod", path), method=method)
        assert answer.status == 200, answer.body
        return answer.json()

    assert route("/pets") == {"route": "GET /pets", "params": None}
    assert route("/pets/dog")["route"] == "GET /pets/dog"
    assert route("/pets/cat") == {"route": "GET /pets/{id}", "params": {"id": "cat"}}
    assert route("/pets/cat/toys/1") == {"route": "GET /pets/{proxy+}", "params": {"proxy": "cat/toys/1"}}
    assert route("/pets/cat/toys", "DELETE")["route"] == "ANY /pets/{proxy+}"
    assert route("/elsewhere")["route"] == "$default"
    # A named stage's path keeps its segment in rawPath, as on AWS.
    assert call(url(endpoint, api_id, "prod", "/nowhere/at/all")).json()["route"] == "$default"
    assert call(f"{endpoint}/_aws/execute-api/{api_id}/nostage/x").status == 404


def test_routes_without_default_answer_404(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id = quick_api(apigw, echo_function, RouteKey="GET /only")
    assert call(url(endpoint, api_id, "$default", "/only")).status == 200
    missing = call(url(endpoint, api_id, "$default", "/other"))
    assert missing.status == 404 and missing.json() == {"message": "Not Found"}
    assert call(url(endpoint, api_id, "$default", "/only"), method="POST").status == 404


def test_manual_deployments_freeze_what_a_stage_serves(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id = apigw.create_api(Name=unique("deploy"), ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo_function, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /one", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="v1")
    assert call(url(endpoint, api_id, "v1", "/one")).status == 404  # nothing deployed yet
    deployment = apigw.create_deployment(ApiId=api_id, StageName="v1")
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    assert call(url(endpoint, api_id, "v1", "/one")).status == 200
    apigw.create_route(ApiId=api_id, RouteKey="GET /two", Target=f"integrations/{integration}")
    assert call(url(endpoint, api_id, "v1", "/two")).status == 404  # not deployed
    apigw.create_deployment(ApiId=api_id, StageName="v1")
    assert call(url(endpoint, api_id, "v1", "/two")).status == 200


def test_guide_pattern_through_an_http_api(client, endpoint):
    """Client → HTTP API → Lambda (the guide's handler, payload 1.0) → DynamoDB."""
    apigw, lam, dynamodb = client("apigatewayv2"), client("lambda"), client("dynamodb")
    table = unique("Users")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=table, Item={"userId": {"S": "u1"}, "name": {"S": "Ada"}})
    source = GUIDE_HANDLER.read_text().replace("Table('Users')", f"Table('{table}')")
    arn = function(lam, source, handler="handler.lambda_handler")
    api_id = apigw.create_api(Name="users-api", ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="1.0"
    )["IntegrationId"]
    for verb in ("GET", "PUT", "DELETE"):
        apigw.create_route(
            ApiId=api_id, RouteKey=f"{verb} /users/{{userId}}", Target=f"integrations/{integration}"
        )
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    user = url(endpoint, api_id, "prod", "/users/u1")
    found = call(user)
    assert found.status == 200, found.body
    assert found.json() == {"userId": "u1", "name": "Ada"}
    assert call(url(endpoint, api_id, "prod", "/users/nobody")).status == 404
    assert call(user, method="PUT", body="{}").json() == {"error": "Method PUT not allowed"}
    assert call(user, method="DELETE").status == 204
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"userId": {"S": "u1"}})


def test_http_proxy_with_parameter_mapping(client, endpoint):
    apigw = client("apigatewayv2")
    backend = LocalServer(echo)
    try:
        api_id = apigw.create_api(Name=unique("proxy"), ProtocolType="HTTP")["ApiId"]
        integration = apigw.create_integration(
            ApiId=api_id,
            IntegrationType="HTTP_PROXY",
            IntegrationMethod="ANY",
            IntegrationUri=backend.url + "/backend/{proxy}",
            PayloadFormatVersion="1.0",
            RequestParameters={
                "append:header.x-added": "$request.querystring.who",
                "overwrite:header.x-stage": "$context.stage",
                "remove:querystring.secret": "''",
                "overwrite:querystring.fixed": "static",
            },
            ResponseParameters={
                "200": {
                    "overwrite:statuscode": "202",
                    "append:header.x-mapped": "$response.header.X-Backend",
                    "remove:header.x-backend": "''",
                }
            },
        )["IntegrationId"]
        apigw.create_route(ApiId=api_id, RouteKey="ANY /svc/{proxy+}", Target=f"integrations/{integration}")
        apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        answer = call(
            url(endpoint, api_id, "$default", "/svc/a/b?who=me&secret=s"), method="POST", body="payload"
        )
        assert answer.status == 202, answer.body
        assert answer.headers["x-mapped"] == "yes" and "x-backend" not in answer.headers
        seen = answer.json()
        assert seen["method"] == "POST" and seen["body"] == "payload"
        assert seen["path"].startswith("/backend/a/b?")
        assert "who=me" in seen["path"] and "fixed=static" in seen["path"] and "secret" not in seen["path"]
        assert seen["headers"]["x-added"] == "me" and seen["headers"]["x-stage"] == "$default"
    finally:
        backend.close()


def test_sqs_send_message_integration(client, endpoint):
    apigw, sqs = client("apigatewayv2"), client("sqs")
    queue_url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    api_id = apigw.create_api(Name=unique("sqs"), ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationSubtype="SQS-SendMessage",
        PayloadFormatVersion="1.0",
        CredentialsArn="arn:aws:iam::000000000000:role/apigw-sqs",
        RequestParameters={"QueueUrl": queue_url, "MessageBody": "$request.body.message"},
    )["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="POST /send", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    answer = call(url(endpoint, api_id, "$default", "/send"), method="POST", body='{"message": "hi there"}')
    assert answer.status == 200, answer.body
    assert answer.json()["MessageId"]
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in received] == ["hi there"]


def test_eventbridge_put_events_integration(client, endpoint):
    apigw, events, sqs = client("apigatewayv2"), client("events"), client("sqs")
    queue_url = sqs.create_queue(QueueName=unique("ebq"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["my.api"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    api_id = apigw.create_api(Name=unique("eb"), ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationSubtype="EventBridge-PutEvents",
        PayloadFormatVersion="1.0",
        CredentialsArn="arn:aws:iam::000000000000:role/apigw-events",
        RequestParameters={"Source": "my.api", "DetailType": "order", "Detail": "$request.body"},
    )["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="POST /events", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    answer = call(url(endpoint, api_id, "$default", "/events"), method="POST", body='{"order": 7}')
    assert answer.status == 200, answer.body
    assert answer.json()["FailedEntryCount"] == 0
    deadline = time.monotonic() + 10
    messages: list = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages") or []
    delivered = json.loads(messages[0]["Body"])
    assert delivered["source"] == "my.api" and delivered["detail"] == {"order": 7}


def test_cors_preflight_and_headers_come_from_the_gateway(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id = quick_api(
        apigw,
        echo_function,
        CorsConfiguration={
            "AllowOrigins": ["https://app.example.com"],
            "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["content-type", "x-token"],
            "ExposeHeaders": ["x-made"],
            "MaxAge": 300,
            "AllowCredentials": True,
        },
    )
    preflight = call(
        url(endpoint, api_id, "$default", "/anything"),
        method="OPTIONS",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-allow-headers"] == "content-type,x-token"
    assert preflight.headers["access-control-max-age"] == "300"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    actual = call(url(endpoint, api_id, "$default", "/x"), headers={"Origin": "https://app.example.com"})
    assert actual.status == 200
    assert actual.headers["access-control-allow-origin"] == "https://app.example.com"
    assert actual.headers["access-control-expose-headers"] == "x-made"
    stranger = call(url(endpoint, api_id, "$default", "/x"), headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers


def test_route_throttling_answers_429(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id = quick_api(apigw, echo_function, RouteKey="GET /limited")
    apigw.update_stage(
        ApiId=api_id,
        StageName="$default",
        RouteSettings={"GET /limited": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.01}},
    )
    statuses = [call(url(endpoint, api_id, "$default", "/limited")).status for _ in range(4)]
    assert statuses[:2] == [200, 200]
    assert statuses[2:] == [429, 429]
    throttled = call(url(endpoint, api_id, "$default", "/limited"))
    assert throttled.json() == {"message": "Too Many Requests"}


def test_access_logs_reach_cloudwatch_logs(client, endpoint, echo_function):
    apigw, logs = client("apigatewayv2"), client("logs")
    group = unique("/apigw/access")
    logs.create_log_group(logGroupName=group)
    group_arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    api_id = quick_api(apigw, echo_function)
    apigw.update_stage(
        ApiId=api_id,
        StageName="$default",
        AccessLogSettings={
            "DestinationArn": group_arn,
            "Format": "$context.requestId $context.routeKey $context.status",
        },
    )
    answer = call(url(endpoint, api_id, "$default", "/logged"))
    events = logs.filter_log_events(logGroupName=group)["events"]
    assert [e["message"] for e in events] == [f"{answer.headers['apigw-requestid']} $default 200"]


def test_custom_domain_with_api_mappings(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id = quick_api(apigw, echo_function)
    domain = f"{unique('api')}.example.com"
    apigw.create_domain_name(DomainName=domain, DomainNameConfigurations=[{"EndpointType": "REGIONAL"}])
    apigw.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="$default", ApiMappingKey="orders/v1")
    answer = call(f"{endpoint}/orders/v1/list?x=1", headers={"Host": domain})
    assert answer.status == 200, answer.body
    assert answer.json()["rawPath"] == "/list"
    assert call(f"{endpoint}/other", headers={"Host": domain}).status == 404


def test_host_header_form(client, endpoint, echo_function):
    apigw = client("apigatewayv2")
    api_id = quick_api(apigw, echo_function)
    for host in (
        f"{api_id}.execute-api.localhost.localstack.cloud",
        f"{api_id}.execute-api.us-east-1.amazonaws.com",
    ):
        answer = call(f"{endpoint}/by/host", headers={"Host": host})
        assert answer.status == 200, answer.body
        assert answer.json()["requestContext"]["domainName"] == host


def test_integration_timeout_answers_503(client, endpoint):
    lam, apigw = client("lambda"), client("apigatewayv2")
    slow = function(
        lam, "import time\ndef handler(event, context):\n    time.sleep(3)\n    return 'late'\n", Timeout=10
    )
    api_id = apigw.create_api(Name=unique("slow"), ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=slow,
        PayloadFormatVersion="2.0",
        TimeoutInMillis=500,
    )["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    started = time.monotonic()
    answer = call(url(endpoint, api_id, "$default", "/"))
    assert answer.status == 503 and answer.json() == {"message": "Service Unavailable"}
    assert time.monotonic() - started < 2.5

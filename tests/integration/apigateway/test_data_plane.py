"""Deployed stages answering plain HTTP: MOCK with mapping templates, CORS preflight, the
Lambda proxy event, Lambda non-proxy with error selection, HTTP and HTTP_PROXY to a loopback
server, AWS service actions (SQS, DynamoDB), request validation, gateway responses, the URL
forms, stage variables and canaries."""

from __future__ import annotations

import importlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .helpers import Api, call, lambda_uri, unique

_lambda = importlib.import_module("tests.integration.lambda.helpers")

ECHO_EVENT = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
            "body": json.dumps(event)}
"""

NON_PROXY = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("BadInput: " + event["fail"])
    return {"doubled": event["n"] * 2, "who": event.get("who")}
"""


@pytest.fixture(scope="module")
def apigw(client):
    return client("apigateway")


@pytest.fixture(scope="module")
def echo_function(client):
    lam = client("lambda")
    name = _lambda.create(lam, ECHO_EVENT)
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


@pytest.fixture(scope="module")
def backend():
    """A loopback HTTP server that answers with what it received."""

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status = 404 if self.path.startswith("/missing") else 200
            payload = json.dumps(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode(),
                }
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Backend", "loopback")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_mock_with_templates_on_every_url_form(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/pets/{petId}",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={
            "200": {
                "responseTemplates": {
                    "application/json": '{"pet": "$input.params(\'petId\')", "q": "$input.params(\'q\')", '
                    '"stage": "$context.stage", "color": "$stageVariables.color", '
                    '"path": "$context.resourcePath"}'
                },
                "responseParameters": {"method.response.header.X-Mocked": "'yes'"},
            }
        },
    )
    api.deploy("dev", variables={"color": "blue"})
    expected = {"pet": "7", "q": "x", "stage": "dev", "color": "blue", "path": "/pets/{petId}"}
    for url in (
        f"{endpoint}/_aws/execute-api/{api.id}/dev/pets/7?q=x",
        f"{endpoint}/restapis/{api.id}/dev/_user_request_/pets/7?q=x",
    ):
        answer = call(url)
        assert answer.status == 200, answer.body
        assert answer.json() == expected
        assert answer.headers["x-mocked"] == "yes"
        assert answer.headers["x-amzn-requestid"]
        assert answer.headers["x-amz-apigw-id"]
    port = endpoint.rsplit(":", 1)[1]
    for host in (
        f"{api.id}.execute-api.localhost.localstack.cloud:{port}",
        f"{api.id}.execute-api.us-east-1.amazonaws.com:{port}",
    ):
        answer = call(f"{endpoint}/dev/pets/7?q=x", headers={"Host": host})
        assert answer.status == 200, answer.body
        assert answer.json() == expected


def test_unknown_paths_and_stages_answer_api_gateway_errors(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/only",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {}},
    )
    api.deploy("v1")
    missing = call(api.url(endpoint, "v1", "/other"))
    assert missing.status == 403
    assert missing.json() == {"message": "Missing Authentication Token"}
    assert missing.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    wrong_verb = call(api.url(endpoint, "v1", "/only"), method="POST", body=b"{}")
    assert wrong_verb.status == 403
    no_stage = call(api.url(endpoint, "nostage", "/only"))
    assert no_stage.status == 403
    assert no_stage.json() == {"message": "Forbidden"}


def test_changes_need_a_new_deployment(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/a",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"responseTemplates": {"application/json": '{"v": 1}'}}},
    )
    api.deploy("s")
    api.method(
        "/b",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"responseTemplates": {"application/json": '{"v": 2}'}}},
    )
    assert call(api.url(endpoint, "s", "/b")).status == 403
    api.deploy("s")
    assert call(api.url(endpoint, "s", "/b")).json() == {"v": 2}


def test_cors_preflight_through_a_mock_options_method(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/items",
        "OPTIONS",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={
            "200": {
                "responseParameters": {
                    "method.response.header.Access-Control-Allow-Origin": "'*'",
                    "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
                    "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Api-Key'",
                },
                "responseTemplates": {"application/json": ""},
            }
        },
    )
    api.deploy("prod")
    answer = call(
        api.url(endpoint, "prod", "/items"),
        method="OPTIONS",
        headers={
            "Origin": "http://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert answer.status == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-methods"] == "GET,POST,OPTIONS"
    assert answer.body == b""


def test_lambda_proxy_event_is_shaped_as_aws_builds_it(apigw, endpoint, echo_function):
    api = Api(apigw)
    api.method(
        "/users/{userId}",
        "POST",
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(echo_function)},
    )
    api.deploy("prod", variables={"env": "test"})
    answer = call(
        api.url(endpoint, "prod", "/users/42?tag=a&tag=b&one=1"),
        method="POST",
        body='{"name": "ada"}',
        headers={"Content-Type": "application/json", "X-Custom": "c"},
    )
    assert answer.status == 200, answer.body
    assert answer.headers["x-echo"] == "yes"
    event = answer.json()
    assert event["resource"] == "/users/{userId}"
    assert event["path"] == "/users/42"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"userId": "42"}
    assert event["queryStringParameters"] == {"tag": "b", "one": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "one": ["1"]}
    assert event["stageVariables"] == {"env": "test"}
    assert event["headers"]["x-custom"] == "c"
    assert event["multiValueHeaders"]["x-custom"] == ["c"]
    assert event["body"] == '{"name": "ada"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "prod"
    assert context["resourcePath"] == "/users/{userId}"
    assert context["httpMethod"] == "POST"
    assert context["apiId"] == api.id
    assert context["accountId"] == "000000000000"
    assert context["path"] == "/prod/users/42"
    assert context["requestId"] == answer.headers["x-amzn-requestid"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"


def test_lambda_proxy_malformed_answer_is_a_502(apigw, client, endpoint):
    lam = client("lambda")
    name = _lambda.create(lam, "def handler(event, context):\n    return {'statusCode': 200, 'bogus': 1}\n")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api = Api(apigw)
    api.method("/x", "GET", {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(arn)})
    api.deploy("p")
    answer = call(api.url(endpoint, "p", "/x"))
    assert answer.status == 502
    assert answer.json() == {"message": "Internal server error"}


def test_lambda_non_proxy_with_templates_and_error_selection(apigw, client, endpoint):
    lam = client("lambda")
    name = _lambda.create(lam, NON_PROXY)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api = Api(apigw)
    resource = api.method(
        "/double",
        "POST",
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": lambda_uri(arn),
            "requestTemplates": {
                "application/json": '{"n": $input.json(\'$.value\'), "who": "$input.params(\'who\')"'
                '#if($input.path(\'$.fail\') != ""), "fail": "$util.escapeJavaScript($input.path(\'$.fail\'))"#end}'
            },
        },
        responses={
            "200": {"responseTemplates": {"application/json": "{\"result\": $input.json('$.doubled')}"}}
        },
    )
    apigw.put_method_response(restApiId=api.id, resourceId=resource, httpMethod="POST", statusCode="400")
    apigw.put_integration_response(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="POST",
        statusCode="400",
        selectionPattern="BadInput.*",
        responseTemplates={"application/json": "{\"error\": $input.json('$.errorMessage')}"},
    )
    api.deploy("p")
    ok = call(
        api.url(endpoint, "p", "/double?who=me"),
        method="POST",
        body='{"value": 21, "fail": ""}',
        headers={"Content-Type": "application/json"},
    )
    assert ok.status == 200, ok.body
    assert ok.json() == {"result": 42}
    bad = call(
        api.url(endpoint, "p", "/double"),
        method="POST",
        body='{"value": 1, "fail": "nope"}',
        headers={"Content-Type": "application/json"},
    )
    assert bad.status == 400, bad.body
    assert bad.json() == {"error": "BadInput: nope"}


def test_http_and_http_proxy_integrations_reach_a_real_server(apigw, endpoint, backend):
    api = Api(apigw)
    api.method(
        "/proxy/{proxy+}",
        "ANY",
        {
            "type": "HTTP_PROXY",
            "integrationHttpMethod": "ANY",
            "uri": backend + "/upstream/{proxy}",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
        },
        requestParameters={"method.request.path.proxy": True},
    )
    api.method(
        "/mapped",
        "GET",
        {
            "type": "HTTP",
            "integrationHttpMethod": "POST",
            "uri": backend + "/mapped",
            "requestParameters": {
                "integration.request.header.X-From": "method.request.querystring.from",
                "integration.request.querystring.fixed": "'v'",
            },
            "requestTemplates": {"application/json": '{"asked": "$input.params(\'from\')"}'},
        },
        responses={
            "200": {
                "responseTemplates": {
                    "application/json": '{"upstreamMethod": "$input.path(\'$.method\')", '
                    '"upstreamPath": "$input.path(\'$.path\')", "sent": $input.path(\'$.body\')}'
                },
                "responseParameters": {
                    "method.response.header.X-Backend": "integration.response.header.X-Backend"
                },
            }
        },
        requestParameters={"method.request.querystring.from": False},
    )
    api.deploy("p")
    proxied = call(
        api.url(endpoint, "p", "/proxy/a/b?x=1"),
        method="PUT",
        body="hello",
        headers={"X-Thing": "t", "Content-Type": "text/plain"},
    )
    assert proxied.status == 200, proxied.body
    seen = proxied.json()
    assert seen["method"] == "PUT"
    assert seen["path"] == "/upstream/a/b?x=1"
    assert seen["body"] == "hello"
    assert seen["headers"]["x-thing"] == "t"
    assert proxied.headers["x-backend"] == "loopback"
    mapped = call(api.url(endpoint, "p", "/mapped?from=here"))
    assert mapped.status == 200, mapped.body
    assert mapped.json() == {
        "upstreamMethod": "POST",
        "upstreamPath": "/mapped?fixed=v",
        "sent": {"asked": "here"},
    }
    assert mapped.headers["x-backend"] == "loopback"


def test_aws_integrations_send_to_sqs_and_put_into_dynamodb(apigw, client, endpoint):
    sqs, dynamodb = client("sqs"), client("dynamodb")
    queue_url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    table = unique("t")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    queue_path = queue_url.split("://", 1)[1].split("/", 1)[1]
    role = "arn:aws:iam::000000000000:role/apigw-role"
    api = Api(apigw)
    api.method(
        "/enqueue",
        "POST",
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": f"arn:aws:apigateway:us-east-1:sqs:path/{queue_path}",
            "credentials": role,
            "requestParameters": {
                "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
            },
            "requestTemplates": {
                "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
            },
        },
        responses={"200": {}},
    )
    api.method(
        "/items",
        "POST",
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
            "credentials": role,
            "requestTemplates": {
                "application/json": '{"TableName": "'
                + table
                + '", "Item": {"id": {"S": "$input.path(\'$.id\')"}, '
                '"name": {"S": "$input.path(\'$.name\')"}}}'
            },
        },
        responses={"200": {"responseTemplates": {"application/json": '{"stored": true}'}}},
    )
    api.deploy("p")
    sent = call(
        api.url(endpoint, "p", "/enqueue"),
        method="POST",
        body='{"order": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert sent.status == 200, sent.body
    assert b"MessageId" in sent.body
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(messages[0]["Body"]) == {"order": 1}
    stored = call(
        api.url(endpoint, "p", "/items"),
        method="POST",
        body='{"id": "u1", "name": "Ada"}',
        headers={"Content-Type": "application/json"},
    )
    assert stored.status == 200, stored.body
    assert stored.json() == {"stored": True}
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": "u1"}})["Item"]
    assert item["name"] == {"S": "Ada"}


def test_request_validation_against_models_and_parameters(apigw, endpoint):
    api = Api(apigw)
    apigw.create_model(
        restApiId=api.id,
        name="Pet",
        contentType="application/json",
        schema=json.dumps(
            {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
            }
        ),
    )
    validator = apigw.create_request_validator(
        restApiId=api.id, name="all", validateRequestBody=True, validateRequestParameters=True
    )
    api.method(
        "/pets",
        "POST",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"responseTemplates": {"application/json": '{"ok": true}'}}},
        requestValidatorId=validator["id"],
        requestModels={"application/json": "Pet"},
        requestParameters={"method.request.header.X-Tenant": True},
    )
    api.deploy("p")
    url = api.url(endpoint, "p", "/pets")
    good = call(
        url,
        method="POST",
        body='{"name": "rex", "age": 3}',
        headers={"Content-Type": "application/json", "X-Tenant": "t1"},
    )
    assert good.status == 200, good.body
    no_header = call(url, method="POST", body='{"name": "rex"}', headers={"Content-Type": "application/json"})
    assert no_header.status == 400
    assert no_header.json() == {"message": "Missing required request parameters: [X-Tenant]"}
    bad_body = call(
        url, method="POST", body='{"age": -1}', headers={"Content-Type": "application/json", "X-Tenant": "t1"}
    )
    assert bad_body.status == 400
    assert bad_body.json()["message"].startswith("Invalid request body")
    assert bad_body.headers["x-amzn-errortype"] == "BadRequestException"


def test_gateway_responses_customise_errors(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/x",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {}},
    )
    apigw.put_gateway_response(
        restApiId=api.id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
        responseTemplates={
            "application/json": '{"error": $context.error.messageString, "type": '
            '"$context.error.responseType"}'
        },
    )
    api.deploy("p")
    answer = call(api.url(endpoint, "p", "/nowhere"))
    assert answer.status == 404
    assert answer.json() == {"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN"}
    assert answer.headers["access-control-allow-origin"] == "*"


def test_canary_sends_its_share_to_the_canary_deployment(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/v",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"responseTemplates": {"application/json": '{"v": "$stageVariables.v"}'}}},
    )
    api.deploy("live", variables={"v": "stable"})
    deployment = apigw.create_deployment(restApiId=api.id)
    apigw.update_stage(
        restApiId=api.id,
        stageName="live",
        patchOperations=[
            {"op": "replace", "path": "/canarySettings/deploymentId", "value": deployment["id"]},
            {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "100"},
            {"op": "replace", "path": "/canarySettings/stageVariableOverrides/v", "value": "canary"},
        ],
    )
    assert call(api.url(endpoint, "live", "/v")).json() == {"v": "canary"}
    apigw.update_stage(
        restApiId=api.id,
        stageName="live",
        patchOperations=[{"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"}],
    )
    assert call(api.url(endpoint, "live", "/v")).json() == {"v": "stable"}


def test_custom_domain_with_base_path_mapping(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/hello",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"responseTemplates": {"application/json": '{"hi": "$context.stage"}'}}},
    )
    api.deploy("prod")
    domain = f"{unique('api')}.example.com"
    apigw.create_domain_name(
        domainName=domain,
        regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/x",
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    apigw.create_base_path_mapping(domainName=domain, basePath="v1", restApiId=api.id, stage="prod")
    port = endpoint.rsplit(":", 1)[1]
    answer = call(f"{endpoint}/v1/hello", headers={"Host": f"{domain}:{port}"})
    assert answer.status == 200, answer.body
    assert answer.json() == {"hi": "prod"}


def test_response_override_from_a_template(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/teapot",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={
            "200": {
                "responseTemplates": {
                    "application/json": "#set($context.responseOverride.status = 418)"
                    '#set($context.responseOverride.header.Brewer = "me"){"tea": true}'
                }
            }
        },
    )
    api.deploy("p")
    answer = call(api.url(endpoint, "p", "/teapot"))
    assert answer.status == 418
    assert answer.headers["brewer"] == "me"
    assert answer.json() == {"tea": True}


def test_http_integration_timeout_is_a_504(apigw, endpoint):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        api = Api(apigw)
        api.method(
            "/slow",
            "GET",
            {
                "type": "HTTP_PROXY",
                "integrationHttpMethod": "GET",
                "uri": f"http://127.0.0.1:{listener.getsockname()[1]}/",
                "timeoutInMillis": 200,
            },
        )
        api.deploy("p")
        answer = call(api.url(endpoint, "p", "/slow"))
        assert answer.status == 504
        assert answer.json() == {"message": "Endpoint request timed out"}
    finally:
        listener.close()


def test_access_logs_reach_cloudwatch_logs_in_the_stage_format(apigw, client, endpoint):
    import time

    logs = client("logs")
    group = unique("/apigw/access")
    logs.create_log_group(logGroupName=group)
    api = Api(apigw)
    api.method(
        "/logged",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {}},
    )
    api.deploy("p")
    apigw.update_stage(
        restApiId=api.id,
        stageName="p",
        patchOperations=[
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}",
            },
            {
                "op": "replace",
                "path": "/accessLogSettings/format",
                "value": '{"requestId":"$context.requestId","status":"$context.status","path":"$context.resourcePath"}',
            },
        ],
    )
    answer = call(api.url(endpoint, "p", "/logged"))
    expected = {"requestId": answer.headers["x-amzn-requestid"], "status": "200", "path": "/logged"}
    deadline = time.monotonic() + 10
    lines: list = []
    while time.monotonic() < deadline and not lines:
        lines = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]]
        time.sleep(0.1)
    assert lines == [expected]


def test_binary_payloads_and_content_handling(apigw, endpoint, backend):
    api = Api(apigw, binaryMediaTypes=["application/octet-stream"])
    api.method(
        "/upload",
        "POST",
        {
            "type": "HTTP",
            "integrationHttpMethod": "POST",
            "uri": backend + "/upload",
            "contentHandling": "CONVERT_TO_TEXT",
        },
        responses={
            "200": {"responseTemplates": {"application/json": "{\"received\": $input.json('$.body')}"}}
        },
    )
    api.deploy("p")
    answer = call(
        api.url(endpoint, "p", "/upload"),
        method="POST",
        body=b"\x00\x01\xff",
        headers={"Content-Type": "application/octet-stream", "Accept": "application/json"},
    )
    assert answer.status == 200, answer.body
    assert answer.json() == {"received": "AAH/"}


def test_canary_deployment_from_create_deployment(apigw, endpoint):
    api = Api(apigw)
    integration = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    api.method(
        "/c", "GET", integration, responses={"200": {"responseTemplates": {"application/json": '{"v": 1}'}}}
    )
    api.deploy("live")
    api.method(
        "/c", "GET", integration, responses={"200": {"responseTemplates": {"application/json": '{"v": 2}'}}}
    )
    apigw.create_deployment(restApiId=api.id, stageName="live", canarySettings={"percentTraffic": 100.0})
    stage = apigw.get_stage(restApiId=api.id, stageName="live")
    assert stage["canarySettings"]["percentTraffic"] == 100.0
    assert stage["canarySettings"]["deploymentId"] != stage["deploymentId"]
    assert call(api.url(endpoint, "live", "/c")).json() == {"v": 2}


def test_deeply_nested_bodies_are_refused_not_crashed_on(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/deep",
        "POST",
        {
            "type": "MOCK",
            "requestTemplates": {"application/json": '{"statusCode": 200, "a": $input.json(\'$.a\')}'},
        },
        responses={"200": {}},
    )
    api.deploy("p")
    answer = call(
        api.url(endpoint, "p", "/deep"),
        method="POST",
        body='{"a": ' + "[" * 10_000 + "]" * 10_000 + "}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 400
    assert answer.json() == {"message": "Unable to parse the request body as JSON"}
    assert answer.headers["x-amzn-errortype"] == "BadRequestException"


def test_stage_cache_answers_repeated_gets_until_flushed(apigw, endpoint):
    api = Api(apigw)
    api.method(
        "/cached",
        "GET",
        {
            "type": "MOCK",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "cacheKeyParameters": ["method.request.querystring.q"],
        },
        responses={"200": {"responseTemplates": {"application/json": '{"id": "$context.requestId"}'}}},
        requestParameters={"method.request.querystring.q": False},
    )
    api.deploy("p")
    url = api.url(endpoint, "p", "/cached")
    assert call(url).json() != call(url).json()  # no cache yet
    apigw.update_stage(
        restApiId=api.id,
        stageName="p",
        patchOperations=[
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "300"},
        ],
    )
    first = call(url + "?q=1").json()
    assert call(url + "?q=1").json() == first
    assert call(url + "?q=2").json() != first  # a cache key parameter tells them apart
    apigw.flush_stage_cache(restApiId=api.id, stageName="p")
    assert call(url + "?q=1").json() != first


def test_lambda_event_invocation_through_the_invocation_type_header(apigw, client, endpoint):
    import time

    sqs, lam = client("sqs"), client("lambda")
    queue_url = sqs.create_queue(QueueName=unique("async"))["QueueUrl"]
    source = (
        "import boto3, json\n"
        "def handler(event, context):\n"
        f"    boto3.client('sqs').send_message(QueueUrl={queue_url!r}, MessageBody=json.dumps(event))\n"
    )
    name = _lambda.create(lam, source)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api = Api(apigw)
    api.method(
        "/later",
        "POST",
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": lambda_uri(arn),
            "requestParameters": {"integration.request.header.X-Amz-Invocation-Type": "'Event'"},
        },
        responses={"202": {"responseTemplates": {"application/json": '{"queued": true}'}}},
    )
    api.deploy("p")
    answer = call(
        api.url(endpoint, "p", "/later"),
        method="POST",
        body='{"job": 7}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 202, answer.body
    assert answer.json() == {"queued": True}
    deadline = time.monotonic() + 30
    messages: list = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
    assert json.loads(messages[0]["Body"]) == {"job": 7}


def test_traced_stage_records_its_segment_and_traces_the_function(apigw, client, endpoint, echo_function):
    import time

    xray = client("xray")
    api = Api(apigw)
    api.method(
        "/t", "GET", {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(echo_function)}
    )
    api.deploy("p", tracingEnabled=True)
    answer = call(api.url(endpoint, "p", "/t"))
    assert answer.status == 200, answer.body
    root = answer.headers["x-amzn-trace-id"].split(";")[0].removeprefix("Root=")
    origins: set = set()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not {"AWS::ApiGateway::Stage", "AWS::Lambda"} <= origins:
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        segments = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
        origins = {s.get("origin") for s in segments}
        time.sleep(0.2)
    stage = next(s for s in segments if s.get("origin") == "AWS::ApiGateway::Stage")
    assert stage["name"] == f"{api.id}/p"
    assert stage["http"]["response"]["status"] == 200
    assert "AWS::Lambda" in origins


def test_lambda_proxy_binary_answer_needs_a_binary_media_type(apigw, client, endpoint):
    lam = client("lambda")
    source = (
        "import base64\n"
        "def handler(event, context):\n"
        "    return {'statusCode': 200, 'headers': {'Content-Type': 'image/png'}, 'isBase64Encoded': True,\n"
        "            'body': base64.b64encode(b'\\x89PNG').decode()}\n"
    )
    name = _lambda.create(lam, source)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    plain = Api(apigw)
    plain.method(
        "/img", "GET", {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(arn)}
    )
    plain.deploy("p")
    assert call(plain.url(endpoint, "p", "/img"), headers={"Accept": "image/png"}).body == b"iVBORw=="
    binary = Api(apigw, binaryMediaTypes=["image/png"])
    binary.method(
        "/img", "GET", {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(arn)}
    )
    binary.deploy("p")
    assert call(binary.url(endpoint, "p", "/img"), headers={"Accept": "image/png"}).body == b"\x89PNG"


def test_lambda_running_past_the_integration_timeout_is_a_504(apigw, client, endpoint):
    lam = client("lambda")
    name = _lambda.create(
        lam, "import time\ndef handler(event, context):\n    time.sleep(2)\n    return {}\n", Timeout=10
    )
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api = Api(apigw)
    api.method(
        "/slow",
        "GET",
        {
            "type": "AWS_PROXY",
            "integrationHttpMethod": "POST",
            "uri": lambda_uri(arn),
            "timeoutInMillis": 500,
        },
    )
    api.deploy("p")
    answer = call(api.url(endpoint, "p", "/slow"))
    assert answer.status == 504
    assert answer.json() == {"message": "Endpoint request timed out"}


def test_execution_logs_follow_the_method_logging_level(apigw, client, endpoint):
    import time

    logs = client("logs")
    api = Api(apigw)
    integration = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    api.method("/ok", "GET", integration, responses={"200": {}})
    api.deploy("p")
    apigw.update_stage(
        restApiId=api.id,
        stageName="p",
        patchOperations=[{"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}],
    )
    answer = call(api.url(endpoint, "p", "/ok?x=1"))
    group = f"API-Gateway-Execution-Logs_{api.id}/p"
    request_id = answer.headers["x-amzn-requestid"]
    messages: list = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("Method completed" in m for m in messages):
        try:
            messages = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
        except logs.exceptions.ResourceNotFoundException:
            pass
        time.sleep(0.1)
    assert f"({request_id}) Starting execution for request: {request_id}" in messages
    assert f"({request_id}) Method completed with status: 200" in messages


def test_aws_integration_past_its_timeout_is_a_504(apigw, client, endpoint):
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=unique("empty"))["QueueUrl"]
    queue_path = queue_url.split("://", 1)[1].split("/", 1)[1]
    api = Api(apigw)
    api.method(
        "/poll",
        "GET",
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": f"arn:aws:apigateway:us-east-1:sqs:path/{queue_path}",
            "credentials": "arn:aws:iam::000000000000:role/apigw-role",
            "timeoutInMillis": 500,
            "requestParameters": {
                "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
            },
            "requestTemplates": {"application/json": "Action=ReceiveMessage&WaitTimeSeconds=5"},
        },
        responses={"200": {}},
    )
    api.deploy("p")
    answer = call(api.url(endpoint, "p", "/poll"))
    assert answer.status == 504
    assert answer.json() == {"message": "Endpoint request timed out"}


def test_disabled_default_endpoint_answers_only_on_custom_domains(apigw, endpoint):
    api = Api(apigw, disableExecuteApiEndpoint=True)
    api.method(
        "/d",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"responseTemplates": {"application/json": '{"ok": true}'}}},
    )
    api.deploy("p")
    refused = call(api.url(endpoint, "p", "/d"))
    assert (refused.status, refused.json()) == (403, {"message": "Forbidden"})
    domain = f"{unique('only')}.example.com"
    apigw.create_domain_name(domainName=domain, endpointConfiguration={"types": ["REGIONAL"]})
    apigw.create_base_path_mapping(domainName=domain, basePath="(none)", restApiId=api.id, stage="p")
    port = endpoint.rsplit(":", 1)[1]
    assert call(f"{endpoint}/d", headers={"Host": f"{domain}:{port}"}).json() == {"ok": True}

"""API Gateway's data plane: a GET through a deployed REST API stage, to a MOCK integration
(routing, the stage's snapshot, a response mapping template) and to a Lambda proxy
integration of a trivial warm Python handler (plus the proxy event and response).

An invoke URL names the API's id, which exists only after setup; the stage is reached
through a custom domain name with a base path mapping instead (Host `mock.apigw-bench.example`, `proxy.apigw-bench.example`),
which is the same pipeline with a fixed address."""

import io
import time
import zipfile

from scenarios import ClientFactory, HttpRequest, Scenario

MOCK_DOMAIN = "mock.apigw-bench.example"
PROXY_DOMAIN = "proxy.apigw-bench.example"
FUNCTION = "bench-apigw-proxy"
HANDLER = (
    "def handler(event, context):\n"
    "    return {'statusCode': 200, 'headers': {'Content-Type': 'application/json'}, 'body': '{\"ok\": true}'}\n"
)


def _function(client: ClientFactory) -> str:
    lam = client("lambda")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", HANDLER)
    arn: str = lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Handler="handler.handler",
        Role="arn:aws:iam::000000000000:role/bench",
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]
    for _ in range(200):
        if lam.get_function(FunctionName=FUNCTION)["Configuration"]["State"] == "Active":
            break
        time.sleep(0.05)
    lam.invoke(FunctionName=FUNCTION, Payload=b"{}")
    return arn


def _api(client: ClientFactory, domain: str, integration: dict, response: dict | None) -> None:
    """A REST API whose GET /item has the integration, deployed and mapped to `domain`."""
    apigw = client("apigateway")
    api = apigw.create_rest_api(name=domain)
    item = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="item")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=item, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=item, httpMethod="GET", **integration)
    if response is not None:
        apigw.put_method_response(restApiId=api["id"], resourceId=item, httpMethod="GET", statusCode="200")
        apigw.put_integration_response(
            restApiId=api["id"], resourceId=item, httpMethod="GET", statusCode="200", **response
        )
    apigw.create_deployment(restApiId=api["id"], stageName="bench")
    apigw.create_domain_name(domainName=domain, endpointConfiguration={"types": ["REGIONAL"]})
    apigw.create_base_path_mapping(domainName=domain, basePath="(none)", restApiId=api["id"], stage="bench")


def _mock(client: ClientFactory) -> None:
    _api(
        client,
        MOCK_DOMAIN,
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        {"responseTemplates": {"application/json": '{"ok": true, "id": "$context.requestId"}'}},
    )


def _proxy(client: ClientFactory) -> None:
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{_function(client)}/invocations"
    _api(client, PROXY_DOMAIN, {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": uri}, None)


def _get(domain: str) -> HttpRequest:
    return HttpRequest("GET", "/item", (("Host", domain), ("Accept", "application/json")))


SCENARIOS = (
    Scenario(
        name="apigateway-mock",
        summary="API Gateway REST API GET to a MOCK integration with a response template",
        setup=_mock,
        requests=(_get(MOCK_DOMAIN),),
    ),
    Scenario(
        name="apigateway-lambda-proxy",
        summary="API Gateway REST API GET through a Lambda proxy integration (warm Python handler)",
        setup=_proxy,
        requests=(_get(PROXY_DOMAIN),),
    ),
)

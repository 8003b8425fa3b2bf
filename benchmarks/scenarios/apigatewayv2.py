"""API Gateway HTTP APIs' data plane: a GET through a `$default` stage to a Lambda proxy
integration (payload format 2.0) of a trivial warm Python handler — route matching, the 2.0
event and the response.

An invoke URL names the API's id, which exists only after setup; the stage is reached through
a custom domain name with an API mapping instead (Host `http.apigwv2-bench.example`), which is
the same pipeline with a fixed address."""

import io
import time
import zipfile

from scenarios import ClientFactory, HttpRequest, Scenario

DOMAIN = "http.apigwv2-bench.example"
FUNCTION = "bench-apigwv2-proxy"
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


def _proxy(client: ClientFactory) -> None:
    apigw = client("apigatewayv2")
    api = apigw.create_api(Name="bench", ProtocolType="HTTP", Target=_function(client), RouteKey="GET /item")
    apigw.create_domain_name(DomainName=DOMAIN)
    apigw.create_api_mapping(DomainName=DOMAIN, ApiId=api["ApiId"], Stage="$default")


SCENARIOS = (
    Scenario(
        name="apigatewayv2-lambda-proxy",
        summary="API Gateway HTTP API GET through a Lambda proxy integration, payload 2.0 (warm Python handler)",
        setup=_proxy,
        requests=(HttpRequest("GET", "/item", (("Host", DOMAIN), ("Accept", "application/json"))),),
    ),
)

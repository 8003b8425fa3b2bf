"""API Gateway HTTP APIs' data plane: a GET through a `$default` stage to a Lambda proxy
integration (payload format 2.0) of a trivial warm Python handler — route matching, the 2.0
event and the response — and to an HTTP proxy integration of a backend on loopback (the
outbound request, kept-alive connections, the response passed back).

An invoke URL names the API's id, which exists only after setup; the stage is reached through
a custom domain name with an API mapping instead (Host `http.apigwv2-bench.example`), which is
the same pipeline with a fixed address.

The HTTP proxy's backend is the reference server (benchmarks/reference_server.py), started by
the setup on a free port and pinned, where there are two CPUs or more, to the last one (the
load generator's side): its work is the network's, not Overcast's."""

import atexit
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from scenarios import ClientFactory, HttpRequest, Scenario

DOMAIN = "http.apigwv2-bench.example"
PROXY_DOMAIN = "proxy.apigwv2-bench.example"
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


def _backend() -> int:
    """Start the reference server as the integration's backend; its port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    cpus = sorted(os.sched_getaffinity(0))
    last = cpus[-1]
    script = Path(__file__).resolve().parents[1] / "reference_server.py"
    process = subprocess.Popen(
        [sys.executable, str(script), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=(lambda: os.sched_setaffinity(0, {last})) if len(cpus) > 1 else None,
    )
    atexit.register(process.kill)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the backend for the HTTP proxy scenario did not start")


def _http_proxy(client: ClientFactory) -> None:
    apigw = client("apigatewayv2")
    api = apigw.create_api(Name="bench-http", ProtocolType="HTTP")
    integration = apigw.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri=f"http://127.0.0.1:{_backend()}/item",
        PayloadFormatVersion="1.0",
    )
    apigw.create_route(
        ApiId=api["ApiId"], RouteKey="GET /item", Target=f"integrations/{integration['IntegrationId']}"
    )
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    apigw.create_domain_name(DomainName=PROXY_DOMAIN)
    apigw.create_api_mapping(DomainName=PROXY_DOMAIN, ApiId=api["ApiId"], Stage="$default")


SCENARIOS = (
    Scenario(
        name="apigatewayv2-lambda-proxy",
        summary="API Gateway HTTP API GET through a Lambda proxy integration, payload 2.0 (warm Python handler)",
        setup=_proxy,
        requests=(HttpRequest("GET", "/item", (("Host", DOMAIN), ("Accept", "application/json"))),),
    ),
    Scenario(
        name="apigatewayv2-http-proxy",
        summary="API Gateway HTTP API GET through an HTTP proxy integration to a backend on loopback",
        setup=_http_proxy,
        requests=(HttpRequest("GET", "/item", (("Host", PROXY_DOMAIN), ("Accept", "application/json"))),),
    ),
)

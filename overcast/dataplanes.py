"""Where the data planes answer on Overcast's port (DESIGN §7): each by Host header, and by a
path for clients that cannot set a Host (this machine resolves no `*.localhost` names). One
table, read by the start banner, the health JSON (`overcast status`) and the dashboard, so
they all name the same URLs, and every URL named is one a route of the service answers:

    API Gateway REST    apigateway/provider.py    API_HOST, USER_REQUEST_PATH, EXECUTE_API_PATH
    HTTP and WebSocket  apigatewayv2/provider.py  API_HOST, EXECUTE_API_PATH (websocket.py)
    function URLs       lambda/urls.py            URL_HOST, URL_PATH
    S3 websites         s3/website.py             WEBSITE_HOST, WEBSITE_PATH
    CloudFront          cloudfront/dataplane.py   ID_HOST, EDGE_PATH
    load balancers      elbv2/dataplane.py        HOST, PATH
    EKS cluster API     eks/kube.py               KUBE_PATH
    instance metadata   ec2/provider.py           IMDS_PATH
    custom domains      apigateway*/domains.py    any Host naming a domain name
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overcast.http import Request
    from overcast.runtime import Runtime

#: The suffix AWS-style host names take here: it resolves to 127.0.0.1 under public DNS, and
#: Route 53's DNS server answers it too.
LOCAL_SUFFIX = "localhost.localstack.cloud"


@dataclass(frozen=True)
class DataPlane:
    name: str
    #: The service whose provider answers (a data plane is listed while it is enabled).
    service: str
    #: The URL by Host header ("" for none); `{port}` is Overcast's port, other `{...}` are
    #: placeholders.
    host_form: str
    #: URLs on Overcast's own address for the same thing; `{base}` is that address.
    path_forms: tuple[str, ...] = ()
    note: str = ""


DATA_PLANES = (
    DataPlane(
        "API Gateway REST API",
        "apigateway",
        "http://{api-id}.execute-api." + LOCAL_SUFFIX + ":{port}/{stage}/{path}",
        (
            "{base}/restapis/{api-id}/{stage}/_user_request_/{path}",
            "{base}/_aws/execute-api/{api-id}/{stage}/{path}",
        ),
    ),
    DataPlane(
        "API Gateway HTTP API",
        "apigatewayv2",
        "http://{api-id}.execute-api." + LOCAL_SUFFIX + ":{port}/{path}",
        ("{base}/_aws/execute-api/{api-id}/{path}",),
        "the $default stage; another stage's name comes first in the path",
    ),
    DataPlane(
        "API Gateway WebSocket API",
        "apigatewayv2",
        "ws://{api-id}.execute-api." + LOCAL_SUFFIX + ":{port}/{stage}",
        ("{ws-base}/_aws/execute-api/{api-id}/{stage}",),
        "the @connections API answers on either form's /{stage}/@connections/{connection-id} over http",
    ),
    DataPlane(
        "API Gateway custom domain",
        "apigateway",
        "http://{domain-name}:{port}/{base-path}/{path}",
        (),
        "by Host only: the domain name must resolve to Overcast (Route 53 can answer it)",
    ),
    DataPlane(
        "Lambda function URL",
        "lambda",
        "http://{url-id}.lambda-url.{region}." + LOCAL_SUFFIX + ":{port}/{path}",
        ("{base}/_aws/lambda-url/{url-id}/{path}",),
    ),
    DataPlane(
        "S3 website",
        "s3",
        "http://{bucket}.s3-website." + LOCAL_SUFFIX + ":{port}/{key}",
        ("{base}/_aws/s3-website/{bucket}/{key}",),
    ),
    DataPlane(
        "CloudFront distribution",
        "cloudfront",
        "http://{distribution-id}.cloudfront." + LOCAL_SUFFIX + ":{port}/{path}",
        ("{base}/_aws/cloudfront/{distribution-id}/{path}",),
    ),
    DataPlane(
        "Application Load Balancer",
        "elbv2",
        "http://{name}-{id}.{region}.elb." + LOCAL_SUFFIX + ":{port}/{path}",
        ("{base}/_aws/elb/{name}/{path}", "{base}/_aws/elb/{name}:{listener-port}/{path}"),
        "the host form is the load balancer's DNSName; without a port the path form uses the port 80 listener",
    ),
    DataPlane(
        "EKS cluster endpoint",
        "eks",
        "",
        ("{base}/_aws/eks/{account}/{region}/{cluster-name}/",),
        "the cluster's `endpoint`: it authenticates `aws eks get-token` tokens; no Kubernetes API server runs behind it",
    ),
    DataPlane(
        "EC2 instance metadata",
        "ec2",
        "",
        ("{base}/_aws/imds/{instance-id}/latest/meta-data/",),
        "`overcast imds --instance {instance-id}` serves it at the root of a port of its own",
    ),
)


def listing(base: str, port: int, enabled: set[str] | None = None) -> list[dict[str, object]]:
    """The data planes as the health JSON gives them: each with its URL forms filled in with
    Overcast's address (`base`, such as http://localhost:4566) and port; only the enabled
    services' when `enabled` is given."""
    ws_base = "ws" + base[len("http") :] if base.startswith("http") else base
    out: list[dict[str, object]] = []
    for plane in DATA_PLANES:
        if enabled is not None and plane.service not in enabled:
            continue
        entry: dict[str, object] = {
            "name": plane.name,
            "service": plane.service,
            "host_form": plane.host_form.replace("{port}", str(port)) or None,
            "path_forms": [_fill(form, base, ws_base) for form in plane.path_forms],
        }
        if plane.note:
            entry["note"] = _fill(plane.note, base, ws_base)
        out.append(entry)
    return out


def _fill(form: str, base: str, ws_base: str) -> str:
    return form.replace("{ws-base}", ws_base).replace("{base}", base)


def for_request(runtime: Runtime, request: Request) -> list[dict[str, object]]:
    """The listing for a client of the health endpoint: path forms on the address it used."""
    config = runtime.config
    host = request.host or f"localhost:{config.port}"
    enabled = {plane.service for plane in DATA_PLANES if config.service_enabled(plane.service)}
    return listing(f"{request.scheme}://{host}", config.port, enabled)

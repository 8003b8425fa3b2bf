"""The data plane caches each deployment's routes: a redeployment, a stage moved back to an
older deployment, and an HTTP API's auto-deployed route change are served at once."""

from __future__ import annotations

from .helpers import Api, call, unique

MOCK = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}


def _answers(text: str) -> dict:
    return {"200": {"responseTemplates": {"application/json": text}}}


def test_a_redeployed_or_rolled_back_stage_serves_its_deployments_routes(endpoint, client):
    apigw = client("apigateway")
    api = Api(apigw)
    api.method("/one", "GET", MOCK, responses=_answers('{"route": "one"}'))
    api.deploy("live")
    first = apigw.get_stages(restApiId=api.id)["item"][0]["deploymentId"]
    assert call(api.url(endpoint, "live", "/one")).json() == {"route": "one"}
    assert call(api.url(endpoint, "live", "/two")).status == 403

    api.method("/two", "GET", MOCK, responses=_answers('{"route": "two"}'))
    assert call(api.url(endpoint, "live", "/two")).status == 403  # not deployed yet
    api.deploy("live")
    assert call(api.url(endpoint, "live", "/two")).json() == {"route": "two"}

    apigw.update_stage(
        restApiId=api.id,
        stageName="live",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": first}],
    )
    assert call(api.url(endpoint, "live", "/two")).status == 403
    assert call(api.url(endpoint, "live", "/one")).json() == {"route": "one"}


def test_an_auto_deployed_http_api_serves_a_route_as_soon_as_it_changes(endpoint, client):
    v2 = client("apigatewayv2")
    api = v2.create_api(Name=unique("routes"), ProtocolType="HTTP")
    api_id = api["ApiId"]
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri=f"{endpoint}/_overcast/health",
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    url = f"{endpoint}/_aws/execute-api/{api_id}"
    assert call(f"{url}/status").status == 404
    route = v2.create_route(ApiId=api_id, RouteKey="GET /status", Target=f"integrations/{integration}")
    answer = call(f"{url}/status")
    assert answer.status == 200 and answer.json()["status"] == "running"
    v2.update_route(ApiId=api_id, RouteId=route["RouteId"], RouteKey="GET /health")
    assert call(f"{url}/status").status == 404
    assert call(f"{url}/health").status == 200
    # (An API left with no route cannot deploy: another route keeps it deployable.)
    v2.create_route(ApiId=api_id, RouteKey="GET /other", Target=f"integrations/{integration}")
    v2.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    assert call(f"{url}/health").status == 404
    assert call(f"{url}/other").status == 200

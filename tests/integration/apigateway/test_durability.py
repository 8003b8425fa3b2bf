"""A deployed stage, its API keys and domains survive a restart (a durable data dir), and
the data plane finds them by id and host again."""

from __future__ import annotations

import boto3

from tests.conftest import Server

from .helpers import Api, call, unique


def test_deployed_api_answers_after_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        apigw = boto3.client(
            "apigateway",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        api = Api(apigw)
        api.method(
            "/ping",
            "GET",
            {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
            responses={"200": {"responseTemplates": {"application/json": '{"pong": "$stageVariables.v"}'}}},
            apiKeyRequired=True,
        )
        api.deploy("live", variables={"v": "1"})
        key = apigw.create_api_key(name="k", enabled=True)
        plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api.id, "stage": "live"}])
        apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        domain = f"{unique('d')}.example.net"
        apigw.create_domain_name(domainName=domain, endpointConfiguration={"types": ["REGIONAL"]})
        apigw.create_base_path_mapping(domainName=domain, basePath="(none)", restApiId=api.id, stage="live")
        assert (
            call(api.url(server.endpoint, "live", "/ping"), headers={"x-api-key": key["value"]}).status == 200
        )
    finally:
        server.stop()
    again = Server("--data-dir", str(data_dir), "--quiet")
    try:
        answer = call(
            f"{again.endpoint}/_aws/execute-api/{api.id}/live/ping", headers={"x-api-key": key["value"]}
        )
        assert answer.status == 200, answer.body
        assert answer.json() == {"pong": "1"}
        port = again.endpoint.rsplit(":", 1)[1]
        by_domain = call(
            f"{again.endpoint}/ping", headers={"Host": f"{domain}:{port}", "x-api-key": key["value"]}
        )
        assert by_domain.json() == {"pong": "1"}
        assert call(f"{again.endpoint}/_aws/execute-api/{api.id}/live/ping").status == 403
    finally:
        again.stop()

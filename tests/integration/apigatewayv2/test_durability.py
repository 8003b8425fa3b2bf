"""HTTP APIs, their stages and custom domains survive a restart (a durable data dir): the data
plane finds them by id and host again."""

from __future__ import annotations

import boto3

from tests.conftest import Server
from tests.integration.apigateway.helpers import call

from .helpers import LocalServer, echo, unique


def test_http_api_answers_after_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    backend = LocalServer(echo)
    server = Server("--data-dir", str(data_dir), "--quiet")
    try:
        apigw = boto3.client(
            "apigatewayv2",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        api_id = apigw.create_api(Name=unique("api"), ProtocolType="HTTP", Target=backend.url)["ApiId"]
        domain = f"{unique('d')}.example.net"
        apigw.create_domain_name(DomainName=domain)
        apigw.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="$default")
        assert call(f"{server.endpoint}/_aws/execute-api/{api_id}/before").status == 200
    finally:
        server.stop()
    again = Server("--data-dir", str(data_dir), "--quiet")
    try:
        answer = call(f"{again.endpoint}/_aws/execute-api/{api_id}/after?n=1", method="POST", body="again")
        assert answer.status == 200, answer.body
        assert answer.json()["path"] == "/?n=1" and answer.json()["body"] == "again"
        by_host = call(f"{again.endpoint}/hosted?n=2", headers={"Host": domain})
        assert by_host.json()["path"] == "/?n=2"
    finally:
        again.stop()
        backend.close()

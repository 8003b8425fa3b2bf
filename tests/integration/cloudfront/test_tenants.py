"""Multi-tenant distributions: a tenant's domain is served by its distribution with the
tenant's parameters filled into the origin, through its connection group; its invalidations
purge its own cached copies; web ACLs attach to distributions and tenants."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudfront.helpers import custom_origin, distribution_config

WEB_ACL = "arn:aws:wafv2:us-east-1:000000000000:global/webacl/site/11111111-2222-3333-4444-555555555555"


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "max-age=300")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def echo_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def _by_host(endpoint: str, host: str, path: str):
    address, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(address, int(port), timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_tenant_serves_its_domain_with_its_parameters(client, endpoint, echo_port):
    cloudfront = client("cloudfront")
    origin = custom_origin("127.0.0.1", echo_port, path="/sites/{{site}}")
    config = distribution_config(
        [origin],
        ConnectionMode="tenant-only",
        TenantConfig={
            "ParameterDefinitions": [
                {"Name": "site", "Definition": {"StringSchema": {"Required": True, "Comment": "the site"}}}
            ]
        },
    )
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    domain = f"shop-{uuid.uuid4().hex[:8]}.example.com"
    with pytest.raises(ClientError) as failure:
        cloudfront.create_distribution_tenant(
            DistributionId=distribution["Id"], Name=f"t-{uuid.uuid4().hex[:8]}", Domains=[{"Domain": domain}]
        )
    assert failure.value.response["Error"]["Code"] == "InvalidArgument"  # the required parameter
    created = cloudfront.create_distribution_tenant(
        DistributionId=distribution["Id"],
        Name=f"t-{uuid.uuid4().hex[:8]}",
        Domains=[{"Domain": domain}],
        Parameters=[{"Name": "site", "Value": "shop"}],
    )
    tenant = created["DistributionTenant"]
    assert tenant["Domains"] == [{"Domain": domain, "Status": "active"}]
    group = cloudfront.get_connection_group(Identifier=tenant["ConnectionGroupId"])["ConnectionGroup"]
    assert group["IsDefault"] is True and group["RoutingEndpoint"].endswith(".cloudfront.net")
    assert (
        cloudfront.get_distribution_tenant_by_domain(Domain=domain)["DistributionTenant"]["Id"]
        == tenant["Id"]
    )

    status, _, body = _by_host(endpoint, domain, "/index.html")
    assert status == 200 and json.loads(body) == {"path": "/sites/shop/index.html"}
    assert _by_host(endpoint, domain, "/index.html")[1]["X-Cache"] == "Hit from cloudfront"
    cloudfront.create_invalidation_for_distribution_tenant(
        Id=tenant["Id"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": "t1"},
    )
    assert _by_host(endpoint, domain, "/index.html")[1]["X-Cache"] == "Miss from cloudfront"
    listed = cloudfront.list_invalidations_for_distribution_tenant(Id=tenant["Id"])["InvalidationList"]
    assert listed["Quantity"] == 1

    associated = cloudfront.associate_distribution_tenant_web_acl(Id=tenant["Id"], WebACLArn=WEB_ACL)
    by_acl = cloudfront.list_distribution_tenants_by_customization(WebACLArn=WEB_ACL)[
        "DistributionTenantList"
    ]
    assert [item["Id"] for item in by_acl] == [tenant["Id"]]
    with pytest.raises(ClientError) as failure:
        cloudfront.delete_distribution_tenant(Id=tenant["Id"], IfMatch=associated["ETag"])
    assert failure.value.response["Error"]["Code"] == "ResourceNotDisabled"
    disabled = cloudfront.update_distribution_tenant(
        Id=tenant["Id"], IfMatch=associated["ETag"], Enabled=False
    )
    assert _by_host(endpoint, domain, "/index.html")[0] == 403
    cloudfront.delete_distribution_tenant(Id=tenant["Id"], IfMatch=disabled["ETag"])
    tenants = cloudfront.list_distribution_tenants(AssociationFilter={"DistributionId": distribution["Id"]})
    assert tenants["DistributionTenantList"] == []


def test_web_acl_on_a_distribution(client):
    cloudfront = client("cloudfront")
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    origin = {
        "Id": "s3",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    created = cloudfront.create_distribution(DistributionConfig=distribution_config([origin]))
    answer = cloudfront.associate_distribution_web_acl(
        Id=created["Distribution"]["Id"], WebACLArn=WEB_ACL, IfMatch=created["ETag"]
    )
    assert answer["WebACLArn"] == WEB_ACL
    config = cloudfront.get_distribution_config(Id=created["Distribution"]["Id"])
    assert config["DistributionConfig"]["WebACLId"] == WEB_ACL
    listed = cloudfront.list_distributions_by_web_acl_id(WebACLId=WEB_ACL)["DistributionList"]["Items"]
    assert created["Distribution"]["Id"] in [item["Id"] for item in listed]
    cloudfront.disassociate_distribution_web_acl(Id=created["Distribution"]["Id"], IfMatch=config["ETag"])
    assert (
        cloudfront.get_distribution_config(Id=created["Distribution"]["Id"])["DistributionConfig"]["WebACLId"]
        == ""
    )


def test_connection_groups(client):
    cloudfront = client("cloudfront")
    name = f"cg-{uuid.uuid4().hex[:8]}"
    created = cloudfront.create_connection_group(Name=name, Ipv6Enabled=False)
    group = created["ConnectionGroup"]
    by_endpoint = cloudfront.get_connection_group_by_routing_endpoint(
        RoutingEndpoint=group["RoutingEndpoint"]
    )
    assert by_endpoint["ConnectionGroup"]["Id"] == group["Id"]
    assert group["Id"] in [item["Id"] for item in cloudfront.list_connection_groups()["ConnectionGroups"]]
    with pytest.raises(ClientError) as failure:
        cloudfront.delete_connection_group(Id=group["Id"], IfMatch=created["ETag"])
    assert failure.value.response["Error"]["Code"] == "ResourceNotDisabled"
    disabled = cloudfront.update_connection_group(Id=group["Id"], IfMatch=created["ETag"], Enabled=False)
    cloudfront.delete_connection_group(Id=group["Id"], IfMatch=disabled["ETag"])
    with pytest.raises(ClientError):
        cloudfront.get_connection_group(Identifier=name)


def test_domain_moves_between_distributions(client, endpoint, echo_port):
    cloudfront = client("cloudfront")
    certificate = {
        "ACMCertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555",
        "SSLSupportMethod": "sni-only",
    }
    domain = f"move-{uuid.uuid4().hex[:8]}.example.com"
    old = cloudfront.create_distribution(
        DistributionConfig=distribution_config(
            [custom_origin("127.0.0.1", echo_port, path="/old")],
            Aliases={"Quantity": 1, "Items": [domain]},
            ViewerCertificate=certificate,
        )
    )["Distribution"]
    new = cloudfront.create_distribution(
        DistributionConfig=distribution_config(
            [custom_origin("127.0.0.1", echo_port, path="/new")], ViewerCertificate=certificate
        )
    )
    conflicts = cloudfront.list_domain_conflicts(
        Domain=domain, DomainControlValidationResource={"DistributionId": new["Distribution"]["Id"]}
    )["DomainConflicts"]
    assert conflicts == [
        {
            "Domain": domain,
            "ResourceType": "distribution",
            "ResourceId": old["Id"],
            "AccountId": "000000000000",
        }
    ]
    assert json.loads(_by_host(endpoint, domain, "/x")[2])["path"] == "/old/x"
    moved = cloudfront.update_domain_association(
        Domain=domain, TargetResource={"DistributionId": new["Distribution"]["Id"]}, IfMatch=new["ETag"]
    )
    assert moved["ResourceId"] == new["Distribution"]["Id"]
    assert json.loads(_by_host(endpoint, domain, "/x")[2])["path"] == "/new/x"
    aliases = cloudfront.get_distribution_config(Id=old["Id"])["DistributionConfig"]["Aliases"]
    assert aliases["Quantity"] == 0

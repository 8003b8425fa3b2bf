"""The edge beyond S3: a custom origin (a loopback HTTP server: its path, headers and
Cache-Control), Lambda@Edge on the origin response, signed URLs for trusted key groups,
the viewer protocol policy and allowed methods."""

from __future__ import annotations

import base64
import importlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.integration.cloudfront.helpers import (
    CACHING_DISABLED,
    custom_origin,
    distribution_config,
    get,
    stats,
)

#: `lambda` is a keyword: its test helpers are imported by name.
create_function = importlib.import_module("tests.integration.lambda.helpers").create


class _Origin(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_GET(self) -> None:
        _Origin.seen.append({"path": self.path, "headers": dict(self.headers)})
        body = json.dumps({"path": self.path, "secret": self.headers.get("X-Origin-Secret")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "max-age=60" if "cacheable" in self.path else "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def origin_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def _custom(port: int, **behaviour) -> dict:
    origin = custom_origin("127.0.0.1", port, path="/base")
    origin["CustomHeaders"] = {
        "Quantity": 1,
        "Items": [{"HeaderName": "X-Origin-Secret", "HeaderValue": "s3cr3t"}],
    }
    return distribution_config([origin], behaviour=behaviour)


def test_custom_origin_path_headers_and_cache_control(client, endpoint, origin_server):
    cloudfront = client("cloudfront")
    distribution = cloudfront.create_distribution(DistributionConfig=_custom(origin_server))["Distribution"]
    status, headers, body = get(endpoint, distribution["Id"], "/cacheable/a")
    assert status == 200
    assert json.loads(body) == {"path": "/base/cacheable/a", "secret": "s3cr3t"}
    assert headers["X-Cache"] == "Miss from cloudfront"
    assert get(endpoint, distribution["Id"], "/cacheable/a")[1]["X-Cache"] == "Hit from cloudfront"
    # no-store with MinTTL 1 (CachingOptimized): kept for the minimum TTL.
    before = stats(endpoint)["origin_fetches"]
    get(endpoint, distribution["Id"], "/private")
    get(endpoint, distribution["Id"], "/private")
    assert stats(endpoint)["origin_fetches"] == before + 1


def test_caching_disabled_fetches_every_time(client, endpoint, origin_server):
    cloudfront = client("cloudfront")
    config = _custom(origin_server, CachePolicyId=CACHING_DISABLED)
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    before = stats(endpoint)["origin_fetches"]
    for _ in range(3):
        assert get(endpoint, distribution["Id"], "/cacheable/b")[1]["X-Cache"] == "Miss from cloudfront"
    assert stats(endpoint)["origin_fetches"] == before + 3


def test_viewer_protocol_policy_and_methods(client, endpoint, origin_server):
    cloudfront = client("cloudfront")
    config = _custom(origin_server, ViewerProtocolPolicy="redirect-to-https")
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    status, headers, _ = get(endpoint, distribution["Id"], "/x?q=1")
    assert status == 301
    assert headers["Location"].startswith("https://") and headers["Location"].endswith("/x?q=1")
    status, _, _ = get(endpoint, distribution["Id"], "/x", headers={"X-Forwarded-Proto": "https"})
    assert status == 200
    status, _, _ = get(
        endpoint, distribution["Id"], "/x", headers={"X-Forwarded-Proto": "https"}, method="POST"
    )
    assert status == 403


def test_lambda_at_edge_origin_response_adds_a_header(client, endpoint, origin_server):
    lam = client("lambda")
    cloudfront = client("cloudfront")
    source = (
        "def handler(event, context):\n"
        "    cf = event['Records'][0]['cf']\n"
        "    response = cf['response']\n"
        "    response['headers']['x-edge'] = [{'key': 'X-Edge', 'value': cf['config']['eventType']}]\n"
        "    return response\n"
    )
    name = create_function(lam, source)
    version = lam.publish_version(FunctionName=name)["FunctionArn"]
    association = {"LambdaFunctionARN": version, "EventType": "origin-response"}
    config = _custom(origin_server, LambdaFunctionAssociations={"Quantity": 1, "Items": [association]})
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    status, headers, body = get(endpoint, distribution["Id"], "/cacheable/edge")
    assert status == 200 and headers["X-Edge"] == "origin-response"
    assert json.loads(body)["path"] == "/base/cacheable/edge"


def test_unversioned_lambda_arn_is_refused(client, origin_server):
    cloudfront = client("cloudfront")
    association = {
        "LambdaFunctionARN": "arn:aws:lambda:us-east-1:000000000000:function:nope",
        "EventType": "origin-request",
    }
    config = _custom(origin_server, LambdaFunctionAssociations={"Quantity": 1, "Items": [association]})
    with pytest.raises(cloudfront.exceptions.InvalidLambdaFunctionAssociation):
        cloudfront.create_distribution(DistributionConfig=config)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().replace("+", "-").replace("=", "_").replace("/", "~")


def test_signed_urls(client, endpoint, origin_server):
    cloudfront = client("cloudfront")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_id = cloudfront.create_public_key(
        PublicKeyConfig={
            "CallerReference": str(uuid.uuid4()),
            "Name": f"k-{uuid.uuid4().hex[:8]}",
            "EncodedKey": pem,
        }
    )["PublicKey"]["Id"]
    group = cloudfront.create_key_group(
        KeyGroupConfig={"Name": f"g-{uuid.uuid4().hex[:8]}", "Items": [key_id]}
    )
    group_id = group["KeyGroup"]["Id"]
    config = _custom(origin_server, TrustedKeyGroups={"Enabled": True, "Quantity": 1, "Items": [group_id]})
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    status, _, body = get(endpoint, distribution["Id"], "/cacheable/secret")
    assert status == 403 and b"MissingKey" in body

    url = f"https://{distribution['DomainName']}/cacheable/secret"
    expires = int(time.time()) + 300
    policy = json.dumps(
        {"Statement": [{"Resource": url, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
        separators=(",", ":"),
    ).encode()
    signature = _b64(private.sign(policy, padding.PKCS1v15(), hashes.SHA1()))
    query = f"?Expires={expires}&Signature={signature}&Key-Pair-Id={key_id}"
    status, _, body = get(endpoint, distribution["Id"], "/cacheable/secret" + query)
    assert status == 200 and json.loads(body)["path"] == "/base/cacheable/secret"
    # The same signature for another path, or tampered, is refused.
    assert get(endpoint, distribution["Id"], "/cacheable/other" + query)[0] == 403
    tampered = f"?Expires={expires + 1}&Signature={signature}&Key-Pair-Id={key_id}"
    assert get(endpoint, distribution["Id"], "/cacheable/secret" + tampered)[0] == 403
    # A custom policy with a wildcard, in signed cookies.
    custom = json.dumps(
        {
            "Statement": [
                {
                    "Resource": f"https://{distribution['DomainName']}/cacheable/*",
                    "Condition": {"DateLessThan": {"AWS:EpochTime": expires}},
                }
            ]
        }
    ).encode()
    cookie = (
        f"CloudFront-Policy={_b64(custom)}; "
        f"CloudFront-Signature={_b64(private.sign(custom, padding.PKCS1v15(), hashes.SHA1()))}; "
        f"CloudFront-Key-Pair-Id={key_id}"
    )
    assert get(endpoint, distribution["Id"], "/cacheable/any", headers={"Cookie": cookie})[0] == 200
    assert get(endpoint, distribution["Id"], "/elsewhere", headers={"Cookie": cookie})[0] == 403


def test_origin_group_fails_over(client, endpoint, origin_server):
    from tests.conftest import free_port

    cloudfront = client("cloudfront")
    dead = custom_origin("127.0.0.1", free_port(), origin_id="dead")  # nothing listens there
    alive = custom_origin("127.0.0.1", origin_server, origin_id="alive", path="/spare")
    group = {
        "Id": "group",
        "FailoverCriteria": {"StatusCodes": {"Quantity": 2, "Items": [500, 503]}},
        "Members": {"Quantity": 2, "Items": [{"OriginId": "dead"}, {"OriginId": "alive"}]},
    }
    config = distribution_config([dead, alive], OriginGroups={"Quantity": 1, "Items": [group]})
    config["DefaultCacheBehavior"]["TargetOriginId"] = "group"
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    status, _, body = get(endpoint, distribution["Id"], "/cacheable/f")
    assert status == 200 and json.loads(body)["path"] == "/spare/cacheable/f"


def test_continuous_deployment_staging_and_promotion(client, endpoint, origin_server):
    cloudfront = client("cloudfront")
    config = _custom(origin_server, CachePolicyId=CACHING_DISABLED)
    primary = cloudfront.create_distribution(DistributionConfig=config)
    staging = cloudfront.copy_distribution(
        PrimaryDistributionId=primary["Distribution"]["Id"],
        Staging=True,
        IfMatch=primary["ETag"],
        CallerReference=str(uuid.uuid4()),
    )
    staging_id = staging["Distribution"]["Id"]
    assert staging["Distribution"]["DistributionConfig"]["Staging"] is True
    green = staging["Distribution"]["DistributionConfig"]
    green["Origins"]["Items"][0]["OriginPath"] = "/green"
    staging = cloudfront.update_distribution(Id=staging_id, IfMatch=staging["ETag"], DistributionConfig=green)
    policy = cloudfront.create_continuous_deployment_policy(
        ContinuousDeploymentPolicyConfig={
            "StagingDistributionDnsNames": {"Quantity": 1, "Items": [staging["Distribution"]["DomainName"]]},
            "Enabled": True,
            "TrafficConfig": {
                "Type": "SingleHeader",
                "SingleHeaderConfig": {"Header": "aws-cf-cd-canary", "Value": "yes"},
            },
        }
    )["ContinuousDeploymentPolicy"]
    current = cloudfront.get_distribution_config(Id=primary["Distribution"]["Id"])
    with_policy = dict(current["DistributionConfig"], ContinuousDeploymentPolicyId=policy["Id"])
    primary = cloudfront.update_distribution(
        Id=primary["Distribution"]["Id"], IfMatch=current["ETag"], DistributionConfig=with_policy
    )
    dist_id = primary["Distribution"]["Id"]
    assert json.loads(get(endpoint, dist_id, "/p")[2])["path"] == "/base/p"
    canary = get(endpoint, dist_id, "/p", headers={"aws-cf-cd-canary": "yes"})
    assert json.loads(canary[2])["path"] == "/green/p"

    promoted = cloudfront.update_distribution_with_staging_config(
        Id=dist_id, StagingDistributionId=staging_id, IfMatch=f"{primary['ETag']}, {staging['ETag']}"
    )
    assert promoted["Distribution"]["DistributionConfig"]["Staging"] is False
    assert promoted["Distribution"]["DistributionConfig"]["ContinuousDeploymentPolicyId"] == policy["Id"]
    assert json.loads(get(endpoint, dist_id, "/p")[2])["path"] == "/green/p"


def test_anycast_lists_vpc_origins_and_resource_policies(client):
    cloudfront = client("cloudfront")
    created = cloudfront.create_anycast_ip_list(Name=f"ips-{uuid.uuid4().hex[:6]}", IpCount=3)
    anycast = created["AnycastIpList"]
    assert len(anycast["AnycastIps"]) == 3 and anycast["Status"] == "Deployed"
    listed = cloudfront.list_anycast_ip_lists()["AnycastIpLists"]["Items"]
    assert anycast["Id"] in [item["Id"] for item in listed]
    with pytest.raises(cloudfront.exceptions.InvalidArgument):
        cloudfront.create_anycast_ip_list(Name="bad", IpCount=5)
    cloudfront.delete_anycast_ip_list(Id=anycast["Id"], IfMatch=created["ETag"])
    with pytest.raises(cloudfront.exceptions.EntityNotFound):
        cloudfront.get_anycast_ip_list(Id=anycast["Id"])

    endpoint_config = {
        "Name": "internal-alb",
        "Arn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/internal/0123456789abcdef",
        "HTTPPort": 80,
        "HTTPSPort": 443,
        "OriginProtocolPolicy": "http-only",
    }
    vpc = cloudfront.create_vpc_origin(VpcOriginEndpointConfig=endpoint_config)
    origin = vpc["VpcOrigin"]
    cloudfront.put_resource_policy(
        ResourceArn=origin["Arn"],
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "cloudfront:CreateDistribution",
                        "Resource": origin["Arn"],
                    }
                ],
            }
        ),
    )
    assert cloudfront.get_resource_policy(ResourceArn=origin["Arn"])["ResourceArn"] == origin["Arn"]
    cloudfront.delete_resource_policy(ResourceArn=origin["Arn"])
    with pytest.raises(cloudfront.exceptions.EntityNotFound):
        cloudfront.get_resource_policy(ResourceArn=origin["Arn"])
    summaries = cloudfront.list_vpc_origins()["VpcOriginList"]["Items"]
    assert [s["OriginEndpointArn"] for s in summaries if s["Id"] == origin["Id"]] == [endpoint_config["Arn"]]
    deleted = cloudfront.delete_vpc_origin(Id=origin["Id"], IfMatch=vpc["ETag"])
    assert deleted["VpcOrigin"]["Status"] == "Deleting"


def test_viewer_request_lambda_answers_and_viewer_response_function(client, endpoint, origin_server):
    lam = client("lambda")
    cloudfront = client("cloudfront")
    source = (
        "def handler(event, context):\n"
        "    request = event['Records'][0]['cf']['request']\n"
        "    if request['uri'] == '/blocked':\n"
        "        return {'status': '403', 'statusDescription': 'Forbidden', 'body': 'no entry',\n"
        "                'headers': {'content-type': [{'key': 'Content-Type', 'value': 'text/plain'}]}}\n"
        "    request['headers']['x-viewer'] = [{'key': 'X-Viewer', 'value': request['clientIp']}]\n"
        "    return request\n"
    )
    version = lam.publish_version(FunctionName=create_function(lam, source))["FunctionArn"]
    name = f"stamp-{uuid.uuid4().hex[:8]}"
    code = (
        b"function handler(event) { var r = event.response;"
        b" r.headers['x-stamped'] = {value: event.request.uri}; return r; }"
    )
    etag = cloudfront.create_function(
        Name=name, FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"}, FunctionCode=code
    )["ETag"]
    function_arn = cloudfront.publish_function(Name=name, IfMatch=etag)["FunctionSummary"][
        "FunctionMetadata"
    ]["FunctionARN"]
    config = _custom(
        origin_server,
        CachePolicyId=CACHING_DISABLED,
        OriginRequestPolicyId="216adef6-5c7f-47e4-b989-5492eafa07d3",  # AllViewer: forward the header
        LambdaFunctionAssociations={
            "Quantity": 1,
            "Items": [{"LambdaFunctionARN": version, "EventType": "viewer-request"}],
        },
        FunctionAssociations={
            "Quantity": 1,
            "Items": [{"FunctionARN": function_arn, "EventType": "viewer-response"}],
        },
    )
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    status, headers, body = get(endpoint, distribution["Id"], "/blocked")
    assert (status, body) == (403, b"no entry") and headers["X-Stamped"] == "/blocked"
    before = len(_Origin.seen)
    status, headers, body = get(endpoint, distribution["Id"], "/open")
    assert status == 200 and headers["X-Stamped"] == "/open"
    forwarded = {name.lower(): value for name, value in _Origin.seen[before]["headers"].items()}
    assert forwarded["x-viewer"] == "127.0.0.1"


def test_query_strings_by_policy(client, endpoint, origin_server):
    cloudfront = client("cloudfront")
    plain = cloudfront.create_distribution(DistributionConfig=_custom(origin_server))["Distribution"]
    # CachingOptimized keys on no query string or cookie, and forwards none.
    before = len(_Origin.seen)
    answer = get(endpoint, plain["Id"], "/cacheable/q?a=1", headers={"Cookie": "session=s1"})
    assert json.loads(answer[2])["path"] == "/base/cacheable/q"
    assert "cookie" not in {name.lower() for name in _Origin.seen[before]["headers"]}
    forwarding = cloudfront.create_distribution(
        DistributionConfig=_custom(
            origin_server, OriginRequestPolicyId="b689b0a8-53d0-40ab-baf2-68738e2966ac"
        )
    )["Distribution"]
    # AllViewerExceptHostHeader forwards them, still out of the cache key.
    before = len(_Origin.seen)
    first = get(endpoint, forwarding["Id"], "/cacheable/q?a=1", headers={"Cookie": "session=s1"})
    assert json.loads(first[2])["path"] == "/base/cacheable/q?a=1"
    sent = {name.lower(): value for name, value in _Origin.seen[before]["headers"].items()}
    assert sent["cookie"] == "session=s1"
    second = get(endpoint, forwarding["Id"], "/cacheable/q?a=2")
    assert second[1]["X-Cache"] == "Hit from cloudfront" and second[2] == first[2]

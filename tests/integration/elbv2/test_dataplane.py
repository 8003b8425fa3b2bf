"""The ALB data plane: rules evaluated in priority order over every condition type; fixed
responses and redirects; forwarding to a real Lambda function (ALB's event shape, multi-value
headers when enabled) and to HTTP servers on loopback with real health checks."""

from __future__ import annotations

import importlib
import json
import time

import pytest
import requests

from tests.integration.elbv2.helpers import default_network, unique, url

_lambda = importlib.import_module("tests.integration.lambda.helpers")
_servers = importlib.import_module("tests.integration.apigatewayv2.helpers")

ECHO = """
import json

def handler(event, context):
    return {
        "statusCode": 201,
        "statusDescription": "201 Created",
        "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "body": json.dumps(event),
        "isBase64Encoded": False,
    }
"""


@pytest.fixture(scope="module")
def elb(client):
    return client("elbv2")


@pytest.fixture(scope="module")
def network(client):
    return default_network(client("ec2"))


@pytest.fixture(scope="module")
def alb(elb, network):
    _, subnets = network
    lb = elb.create_load_balancer(Name=unique("dp"), Subnets=subnets)["LoadBalancers"][0]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "404",
                    "ContentType": "text/plain",
                    "MessageBody": "no route",
                },
            }
        ],
    )["Listeners"][0]
    yield lb, listener
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])


def _rule(elb, listener, priority, conditions, actions):
    return elb.create_rule(
        ListenerArn=listener["ListenerArn"], Priority=priority, Conditions=conditions, Actions=actions
    )["Rules"][0]


def _fixed(body: str, status: str = "200") -> list[dict]:
    return [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": status, "MessageBody": body}}]


def test_fixed_response_by_path_form_and_host(endpoint, alb):
    lb, _ = alb
    answer = requests.get(url(endpoint, lb["LoadBalancerName"], "/nothing"))
    assert (answer.status_code, answer.text) == (404, "no route")
    assert answer.headers["Content-Type"] == "text/plain"
    by_host = requests.get(f"{endpoint}/nothing", headers={"Host": lb["DNSName"]})
    assert (by_host.status_code, by_host.text) == (404, "no route")


def test_every_condition_type(endpoint, elb, alb):
    lb, listener = alb
    base = url(endpoint, lb["LoadBalancerName"])
    _rule(elb, listener, 11, [{"Field": "path-pattern", "Values": ["/img/*.png"]}], _fixed("path"))
    _rule(
        elb,
        listener,
        12,
        [
            {
                "Field": "http-header",
                "HttpHeaderConfig": {"HttpHeaderName": "X-Client", "Values": ["mobile-*"]},
            }
        ],
        _fixed("header"),
    )
    _rule(
        elb,
        listener,
        13,
        [{"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "version", "Value": "v2"}]}}],
        _fixed("query"),
    )
    _rule(
        elb,
        listener,
        14,
        [{"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["DELETE"]}}],
        _fixed("method"),
    )
    _rule(
        elb,
        listener,
        15,
        [{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}}],
        _fixed("host"),
    )
    _rule(
        elb,
        listener,
        16,
        [{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}],
        _fixed("source"),
    )
    assert requests.get(base + "img/logo.png").text == "path"
    assert requests.get(base + "img/logo.gif").text == "no route"
    assert requests.get(base + "x", headers={"X-Client": "Mobile-iOS"}).text == "header"
    assert requests.get(base + "x?version=V2").text == "query"
    assert requests.delete(base + "x").text == "method"
    # The host-header rule is seen through the Host the client sends with the ALB's name:
    assert requests.get(base + "x", headers={"Host": "api.example.com"}).text == "host"
    assert requests.get(base + "x").text == "no route"  # 127.0.0.1 is not in 10.0.0.0/8


def test_redirect(endpoint, elb, alb):
    lb, listener = alb
    _rule(
        elb,
        listener,
        20,
        [{"Field": "path-pattern", "Values": ["/old/*"]}],
        [
            {
                "Type": "redirect",
                "RedirectConfig": {
                    "Protocol": "HTTPS",
                    "Port": "443",
                    "Path": "/new/#{path}",
                    "StatusCode": "HTTP_301",
                },
            }
        ],
    )
    answer = requests.get(url(endpoint, lb["LoadBalancerName"], "/old/page?a=1"), allow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["Location"] == "https://127.0.0.1/new/old/page?a=1"


def test_forward_to_lambda(endpoint, elb, alb, client):
    lb, listener = alb
    lam = client("lambda")
    name = _lambda.create(lam, ECHO)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    tg = elb.create_target_group(Name=unique("fn"), TargetType="lambda")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": arn}])
    _rule(
        elb,
        listener,
        30,
        [{"Field": "path-pattern", "Values": ["/fn/*"]}],
        [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
    )
    answer = requests.post(
        url(endpoint, lb["LoadBalancerName"], "/fn/call?a=1&a=2&b=x"),
        data="hello",
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status_code == 201
    assert answer.headers["X-Echo"] == "yes"
    assert "X-Multi" not in answer.headers  # multi-value headers are off
    event = answer.json()
    assert event["requestContext"] == {"elb": {"targetGroupArn": tg["TargetGroupArn"]}}
    assert (event["httpMethod"], event["path"], event["body"], event["isBase64Encoded"]) == (
        "POST",
        "/fn/call",
        "hello",
        False,
    )
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert "multiValueHeaders" not in event
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert health[0]["TargetHealth"]["State"] == "unavailable"
    assert health[0]["TargetHealth"]["Reason"] == "Target.HealthCheckDisabled"

    elb.modify_target_group_attributes(
        TargetGroupArn=tg["TargetGroupArn"],
        Attributes=[{"Key": "lambda.multi_value_headers.enabled", "Value": "true"}],
    )
    answer = requests.get(url(endpoint, lb["LoadBalancerName"], "/fn/call?a=1&a=2"))
    event = answer.json()
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert "headers" not in event and event["multiValueHeaders"]["x-forwarded-port"] == ["80"]
    assert answer.headers["X-Multi"] == "a, b"

    binary = requests.post(
        url(endpoint, lb["LoadBalancerName"], "/fn/bin"),
        data=b"\x00\x01",
        headers={"Content-Type": "application/octet-stream"},
    ).json()
    assert binary["isBase64Encoded"] is True and binary["body"] == "AAE="


def test_lambda_failure_is_502(endpoint, elb, alb, client):
    lb, listener = alb
    lam = client("lambda")
    name = _lambda.create(lam, "def handler(event, context):\n    raise RuntimeError('boom')\n")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    tg = elb.create_target_group(Name=unique("bad"), TargetType="lambda")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": arn}])
    _rule(
        elb,
        listener,
        31,
        [{"Field": "path-pattern", "Values": ["/boom"]}],
        [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
    )
    assert requests.get(url(endpoint, lb["LoadBalancerName"], "/boom")).status_code == 502


def _wait_for_state(elb, tg_arn, wanted: dict[str, str], timeout: float = 30) -> dict[str, str]:
    deadline = time.time() + timeout
    states: dict[str, str] = {}
    while time.time() < deadline:
        states = {
            f"{d['Target']['Id']}:{d['Target']['Port']}": d["TargetHealth"]["State"]
            for d in elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        }
        if all(states.get(k) == v for k, v in wanted.items()):
            return states
        time.sleep(0.3)
    raise AssertionError(f"target health never became {wanted}: {states}")


def test_forward_to_local_servers_with_health_checks(endpoint, elb, alb, network):
    lb, listener = alb
    vpc, _ = network
    served = []

    def answer(handler, body):
        if handler.path == "/health":
            return 200, {}, b"ok"
        served.append(handler.path)
        return (
            200,
            {"Content-Type": "text/plain"},
            json.dumps({"path": handler.path, "xff": handler.headers.get("X-Forwarded-For")}).encode(),
        )

    good = _servers.LocalServer(answer)
    sick = _servers.LocalServer(lambda handler, body: (500, {}, b"sick"))
    try:
        good_port = int(good.url.rsplit(":", 1)[1])
        sick_port = int(sick.url.rsplit(":", 1)[1])
        tg = elb.create_target_group(
            Name=unique("ip"),
            Protocol="HTTP",
            Port=80,
            VpcId=vpc,
            TargetType="ip",
            HealthCheckPath="/health",
            HealthCheckIntervalSeconds=5,
            HealthCheckTimeoutSeconds=2,
            UnhealthyThresholdCount=2,
        )["TargetGroups"][0]
        arn = tg["TargetGroupArn"]
        elb.register_targets(
            TargetGroupArn=arn,
            Targets=[
                {"Id": "127.0.0.1", "Port": good_port, "AvailabilityZone": "all"},
                {"Id": "127.0.0.1", "Port": sick_port, "AvailabilityZone": "all"},
            ],
        )
        # Not yet used by a load balancer: no health checks, the targets are unused.
        states = _wait_for_state(elb, arn, {f"127.0.0.1:{good_port}": "unused"}, timeout=2)
        assert states[f"127.0.0.1:{sick_port}"] == "unused"
        _rule(
            elb,
            listener,
            40,
            [{"Field": "path-pattern", "Values": ["/svc/*"]}],
            [{"Type": "forward", "TargetGroupArn": arn}],
        )
        _wait_for_state(
            elb, arn, {f"127.0.0.1:{good_port}": "healthy", f"127.0.0.1:{sick_port}": "unhealthy"}
        )
        described = {
            d["Target"]["Port"]: d
            for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        }
        assert described[sick_port]["TargetHealth"]["Reason"] == "Target.ResponseCodeMismatch"
        for _ in range(4):
            answer_ = requests.get(url(endpoint, lb["LoadBalancerName"], "/svc/item?x=1"))
            assert answer_.status_code == 200
            assert answer_.json() == {"path": "/svc/item?x=1", "xff": "127.0.0.1"}
        # Stop the good server: its target turns unhealthy; with none healthy ALB fails open.
        good.close()
        good.server.server_close()
        _wait_for_state(elb, arn, {f"127.0.0.1:{good_port}": "unhealthy"})
        codes = {requests.get(url(endpoint, lb["LoadBalancerName"], "/svc/x")).status_code for _ in range(4)}
        assert codes <= {500, 502} and codes
        elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": good_port}])
        states = _wait_for_state(elb, arn, {f"127.0.0.1:{good_port}": "draining"}, timeout=2)
    finally:
        sick.close()


def test_weighted_forward_and_group_stickiness(endpoint, elb, alb, client):
    lb, listener = alb
    lam = client("lambda")
    groups = []
    for label in ("blue", "green"):
        name = _lambda.create(
            lam, f"def handler(event, context):\n    return {{'statusCode': 200, 'body': '{label}'}}\n"
        )
        arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        tg = elb.create_target_group(Name=unique(label), TargetType="lambda")["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": arn}])
        groups.append(tg["TargetGroupArn"])
    _rule(
        elb,
        listener,
        50,
        [{"Field": "path-pattern", "Values": ["/canary"]}],
        [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": groups[0], "Weight": 1},
                        {"TargetGroupArn": groups[1], "Weight": 0},
                    ]
                },
            }
        ],
    )
    seen = {requests.get(url(endpoint, lb["LoadBalancerName"], "/canary")).text for _ in range(5)}
    assert seen == {"blue"}
    _rule(
        elb,
        listener,
        51,
        [{"Field": "path-pattern", "Values": ["/sticky"]}],
        [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": g, "Weight": 50} for g in groups],
                    "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 60},
                },
            }
        ],
    )
    session = requests.Session()
    first = session.get(url(endpoint, lb["LoadBalancerName"], "/sticky"))
    assert "AWSALBTG" in session.cookies
    assert {session.get(url(endpoint, lb["LoadBalancerName"], "/sticky")).text for _ in range(6)} == {
        first.text
    }


def test_no_targets_is_503(endpoint, elb, alb, network):
    lb, listener = alb
    vpc, _ = network
    tg = elb.create_target_group(Name=unique("empty"), Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]
    _rule(
        elb,
        listener,
        60,
        [{"Field": "path-pattern", "Values": ["/empty"]}],
        [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
    )
    assert requests.get(url(endpoint, lb["LoadBalancerName"], "/empty")).status_code == 503

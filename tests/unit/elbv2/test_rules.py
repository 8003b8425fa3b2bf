"""How rules are checked and matched: condition values and wildcards, actions in order, and
the URL a redirect builds from its placeholders."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.http import Request
from overcast.services.elbv2 import checks
from overcast.services.elbv2.dataplane import DataPlaneMixin, Hit, _compile_condition


def hit(**fields) -> Hit:
    base = {
        "method": "GET",
        "path": "/",
        "host": "example.com",
        "headers": {},
        "query": [],
        "client_ip": "127.0.0.1",
    }
    return Hit(**{**base, **fields})


def matches(condition: dict, request: Hit) -> bool:
    return _compile_condition(checks.check_conditions([condition])[0])(request)


def test_path_wildcards_are_case_sensitive_hosts_are_not():
    assert matches({"Field": "path-pattern", "Values": ["/img/*.png"]}, hit(path="/img/a/b.png"))
    assert not matches({"Field": "path-pattern", "Values": ["/img/*.png"]}, hit(path="/IMG/a.png"))
    assert matches({"Field": "path-pattern", "Values": ["/v?/x"]}, hit(path="/v2/x"))
    assert matches({"Field": "host-header", "Values": ["*.Example.com"]}, hit(host="api.example.COM"))
    assert not matches({"Field": "host-header", "Values": ["*.example.com"]}, hit(host="example.com"))


def test_header_query_method_and_source_conditions():
    header = {
        "Field": "http-header",
        "HttpHeaderConfig": {"HttpHeaderName": "User-Agent", "Values": ["*Mobile*"]},
    }
    assert matches(header, hit(headers={"user-agent": "x mobile y"}))
    assert not matches(header, hit(headers={}))
    query = {
        "Field": "query-string",
        "QueryStringConfig": {"Values": [{"Value": "on"}, {"Key": "v", "Value": "2"}]},
    }
    assert matches(query, hit(query=[("flag", "ON")]))
    assert matches(query, hit(query=[("v", "2")]))
    assert not matches(query, hit(query=[("v", "3")]))
    method = {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST"]}}
    assert matches(method, hit(method="POST")) and not matches(method, hit(method="post"))
    source = {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8", "::1/128"]}}
    assert matches(source, hit(client_ip="10.1.2.3")) and matches(source, hit(client_ip="::1"))
    assert not matches(source, hit(client_ip="127.0.0.1"))


def test_condition_checks():
    with pytest.raises(ServiceError) as error:
        checks.check_conditions(
            [{"Field": "path-pattern", "Values": ["/a"]}, {"Field": "path-pattern", "Values": ["/b"]}]
        )
    assert error.value.code == "ValidationError"
    with pytest.raises(ServiceError) as error:
        checks.check_conditions([{"Field": "path-pattern", "Values": [f"/{i}" for i in range(6)]}])
    assert error.value.code == "TooManyConditionValues"
    shaped = checks.check_conditions(
        [{"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example.com"]}}]
    )
    assert shaped == [{"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example.com"]}}]
    legacy = checks.check_conditions([{"Field": "path-pattern", "Values": ["/a"]}])
    assert legacy == [{"Field": "path-pattern", "Values": ["/a"], "PathPatternConfig": {"Values": ["/a"]}}]


def test_actions_are_ordered_and_end_in_one_terminal_action():
    fixed = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}
    assert "Order" not in checks.check_actions([fixed], "HTTP", lambda arn: None)[0]
    ordered = checks.check_actions(
        [
            {**fixed, "Order": 2},
            {
                "Type": "authenticate-oidc",
                "Order": 1,
                "AuthenticateOidcConfig": {
                    "Issuer": "i",
                    "AuthorizationEndpoint": "a",
                    "TokenEndpoint": "t",
                    "UserInfoEndpoint": "u",
                    "ClientId": "c",
                    "ClientSecret": "s",
                },
            },
        ],
        "HTTPS",
        lambda arn: None,
    )
    assert [a["Type"] for a in ordered] == ["authenticate-oidc", "fixed-response"]
    with pytest.raises(ServiceError):
        checks.check_actions([fixed, {**fixed}], "HTTP", lambda arn: None)
    with pytest.raises(ServiceError):
        checks.check_actions(
            [{"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_307"}}], "HTTP", lambda a: None
        )
    forward = checks.check_actions(
        [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "a", "Weight": 3}]}}],
        "HTTP",
        lambda arn: None,
    )[0]
    assert forward["TargetGroupArn"] == "a"
    assert forward["ForwardConfig"]["TargetGroupStickinessConfig"] == {"Enabled": False}


def test_redirect_placeholders():
    config = checks.check_actions(
        [
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
            }
        ],
        "HTTP",
        lambda arn: None,
    )[0]["RedirectConfig"]
    request = Request("GET", "/a/b", "x=1", {"host": "shop.example.com"})
    answer = DataPlaneMixin.redirect(
        config, {"Protocol": "HTTP", "Port": 80}, hit(path="/a/b", host="shop.example.com"), request
    )
    assert answer.status == 301
    assert answer.headers["Location"] == "https://shop.example.com/a/b?x=1"
    config = {
        **config,
        "Protocol": "#{protocol}",
        "Port": "8080",
        "Host": "#{host}",
        "Path": "/new/#{path}",
        "Query": "",
    }
    answer = DataPlaneMixin.redirect(
        config, {"Protocol": "HTTP", "Port": 80}, hit(path="/a", host="h"), request
    )
    assert answer.headers["Location"] == "http://h:8080/new/a"

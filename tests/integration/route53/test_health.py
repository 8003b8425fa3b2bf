"""Health checks really probe their endpoints (HTTP, string matching, TCP), turn unhealthy
after FailureThreshold failures, combine in calculated checks, and steer failover and
multivalue answers of the DNS server."""

from __future__ import annotations

import http.server
import socket
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.conftest import free_port
from tests.integration.route53.conftest import a_record, answers, change


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path.startswith("/ok") else 503
        body = b"all systems go" if status == 200 else b"down"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def closed_port() -> int:
    return free_port()


def create(route53, **config) -> str:
    config.setdefault("RequestInterval", 10)
    config.setdefault("FailureThreshold", 1)
    return route53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig=config)[
        "HealthCheck"
    ]["Id"]


def wait_status(route53, check_id: str, prefix: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while True:
        observations = route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"]
        if observations and observations[0]["StatusReport"]["Status"].startswith(prefix):
            return observations[0]["StatusReport"]["Status"]
        assert time.monotonic() < deadline, observations
        time.sleep(0.2)


def test_http_probe(route53, web):
    healthy = create(route53, Type="HTTP", IPAddress="127.0.0.1", Port=web, ResourcePath="/ok")
    assert wait_status(route53, healthy, "Success").startswith("Success: HTTP Status Code 200")
    failing = create(route53, Type="HTTP", IPAddress="127.0.0.1", Port=web, ResourcePath="/down")
    assert "HTTP Status Code 503" in wait_status(route53, failing, "Failure")
    reason = route53.get_health_check_last_failure_reason(HealthCheckId=failing)["HealthCheckObservations"]
    assert reason and "503" in reason[0]["StatusReport"]["Status"]


def test_string_match_and_tcp(route53, web):
    found = create(
        route53,
        Type="HTTP_STR_MATCH",
        IPAddress="127.0.0.1",
        Port=web,
        ResourcePath="/ok",
        SearchString="systems go",
    )
    wait_status(route53, found, "Success")
    missing = create(
        route53,
        Type="HTTP_STR_MATCH",
        IPAddress="127.0.0.1",
        Port=web,
        ResourcePath="/ok",
        SearchString="nope",
    )
    assert "Search string not found" in wait_status(route53, missing, "Failure")
    tcp = create(route53, Type="TCP", IPAddress="127.0.0.1", Port=web)
    wait_status(route53, tcp, "Success: TCP")
    refused = create(route53, Type="TCP", IPAddress="127.0.0.1", Port=closed_port())
    wait_status(route53, refused, "Failure")


def test_crud_and_versions(route53, web):
    check_id = create(route53, Type="HTTP", IPAddress="127.0.0.1", Port=web, ResourcePath="/ok")
    got = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]
    assert got["HealthCheckVersion"] == 1 and got["HealthCheckConfig"]["Port"] == web
    updated = route53.update_health_check(HealthCheckId=check_id, HealthCheckVersion=1, FailureThreshold=2)[
        "HealthCheck"
    ]
    assert updated["HealthCheckVersion"] == 2 and updated["HealthCheckConfig"]["FailureThreshold"] == 2
    with pytest.raises(ClientError) as caught:
        route53.update_health_check(HealthCheckId=check_id, HealthCheckVersion=1, FailureThreshold=3)
    assert caught.value.response["Error"]["Code"] == "HealthCheckVersionMismatch"
    assert route53.get_health_check_count()["HealthCheckCount"] >= 1
    ids = [c["Id"] for p in route53.get_paginator("list_health_checks").paginate() for c in p["HealthChecks"]]
    assert check_id in ids
    route53.delete_health_check(HealthCheckId=check_id)
    with pytest.raises(ClientError) as caught:
        route53.get_health_check(HealthCheckId=check_id)
    assert caught.value.response["Error"]["Code"] == "NoSuchHealthCheck"


def test_failover_follows_health(route53, zone, dns_port, web):
    port = closed_port()
    primary_check = create(route53, Type="TCP", IPAddress="127.0.0.1", Port=port)
    name = "app." + zone["Name"]
    change(
        route53,
        zone["Id"],
        (
            "CREATE",
            a_record(
                name, "192.0.2.1", SetIdentifier="p", Failover="PRIMARY", HealthCheckId=primary_check, ttl=0
            ),
        ),
        ("CREATE", a_record(name, "192.0.2.2", SetIdentifier="s", Failover="SECONDARY", ttl=0)),
    )
    wait_status(route53, primary_check, "Failure")
    assert answers(dns_port, name) == ["192.0.2.2"]
    # The endpoint comes up: the primary answers again once its check succeeds.
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen(8)
    try:
        route53.update_health_check(HealthCheckId=primary_check, Port=port)  # probe again at once
        wait_status(route53, primary_check, "Success")
        assert answers(dns_port, name) == ["192.0.2.1"]
    finally:
        listener.close()
    with pytest.raises(ClientError) as caught:
        route53.delete_health_check(HealthCheckId=primary_check)
    assert caught.value.response["Error"]["Code"] == "HealthCheckInUse"


def test_multivalue_returns_healthy_only(route53, zone, dns_port, web):
    up = create(route53, Type="HTTP", IPAddress="127.0.0.1", Port=web, ResourcePath="/ok")
    down = create(route53, Type="HTTP", IPAddress="127.0.0.1", Port=web, ResourcePath="/down")
    name = "mvh." + zone["Name"]
    change(
        route53,
        zone["Id"],
        ("CREATE", a_record(name, "192.0.2.10", SetIdentifier="up", MultiValueAnswer=True, HealthCheckId=up)),
        (
            "CREATE",
            a_record(name, "192.0.2.11", SetIdentifier="down", MultiValueAnswer=True, HealthCheckId=down),
        ),
    )
    wait_status(route53, down, "Failure")
    wait_status(route53, up, "Success")
    assert answers(dns_port, name) == ["192.0.2.10"]


def test_calculated(route53, web):
    up = create(route53, Type="HTTP", IPAddress="127.0.0.1", Port=web, ResourcePath="/ok")
    down = create(route53, Type="HTTP", IPAddress="127.0.0.1", Port=web, ResourcePath="/down")
    wait_status(route53, down, "Failure")
    wait_status(route53, up, "Success")
    both = create(route53, Type="CALCULATED", ChildHealthChecks=[up, down], HealthThreshold=2)
    one = create(route53, Type="CALCULATED", ChildHealthChecks=[up, down], HealthThreshold=1)
    deadline = time.monotonic() + 10
    while True:
        failures = route53.get_health_check_last_failure_reason(HealthCheckId=both)["HealthCheckObservations"]
        if failures:
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert "1 of 2 child health checks are healthy" in failures[0]["StatusReport"]["Status"]
    assert route53.get_health_check_last_failure_reason(HealthCheckId=one)["HealthCheckObservations"] == []
    with pytest.raises(ClientError) as caught:
        route53.get_health_check_status(HealthCheckId=both)
    assert caught.value.response["Error"]["Code"] == "InvalidInput"


def test_cloudwatch_alarm_check_follows_the_alarm(route53, r53_client):
    cloudwatch = r53_client("cloudwatch")
    name = f"r53-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="Bench", MetricName="Errors", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test")
    check = create(
        route53,
        Type="CLOUDWATCH_METRIC",
        AlarmIdentifier={"Region": "us-east-1", "Name": name},
        InsufficientDataHealthStatus="Unhealthy",
    )
    assert (
        route53.get_health_check(HealthCheckId=check)["HealthCheck"]["CloudWatchAlarmConfiguration"][
            "MetricName"
        ]
        == name
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
    deadline = time.monotonic() + 10
    while True:
        failures = route53.get_health_check_last_failure_reason(HealthCheckId=check)[
            "HealthCheckObservations"
        ]
        # CloudWatch's own evaluation may replace the state set by hand with INSUFFICIENT_DATA
        # (the alarm has no data), which this check also counts as unhealthy.
        status = failures[0]["StatusReport"]["Status"] if failures else ""
        if "ALARM" in status or "insufficient data" in status:
            break
        assert time.monotonic() < deadline, failures
        time.sleep(0.2)


@pytest.fixture(scope="module")
def tls_web(tmp_path_factory):
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "health.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_https_probe(route53, tls_web):
    check = create(route53, Type="HTTPS_STR_MATCH", IPAddress="127.0.0.1", Port=tls_web, ResourcePath="/ok",
                   SearchString="systems go", FullyQualifiedDomainName="health.test")  # fmt: skip
    assert wait_status(route53, check, "Success").startswith("Success: HTTP Status Code 200")
    down = create(route53, Type="HTTPS", IPAddress="127.0.0.1", Port=tls_web, ResourcePath="/down")
    assert "503" in wait_status(route53, down, "Failure")

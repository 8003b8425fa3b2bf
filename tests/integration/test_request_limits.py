"""Request bodies past a service's limit are refused without being read, requests that stall
are timed out, and a client that leaves mid-body costs one log line (issue 15)."""

from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import Server

AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=x"


@pytest.fixture(scope="module")
def impatient():
    """A server that waits one second for headers and for a stalled body."""
    instance = Server(
        "--ephemeral", env={"OVERCAST_HEADER_TIMEOUT_SECONDS": "1", "OVERCAST_BODY_IDLE_SECONDS": "1"}
    )
    yield instance
    instance.stop()


def connect(server: Server) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", server.port))
    connection.settimeout(15)
    return connection


def answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    connection.close()
    return received


def head(
    service: str, target: str | None, length: str, content_type: str = "application/x-amz-json-1.0"
) -> bytes:
    lines = [
        "POST / HTTP/1.1",
        "Host: localhost",
        f"Content-Type: {content_type}",
        f"Authorization: {AUTH.format(service)}",
        length,
    ]
    if target:
        lines.append(f"X-Amz-Target: {target}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_declared_512_mib_dynamodb_body_is_refused_before_it_is_read(impatient) -> None:
    connection = connect(impatient)
    started = time.monotonic()
    connection.sendall(
        head("dynamodb", "DynamoDB_20120810.PutItem", f"Content-Length: {512 << 20}") + b"{" * 1000
    )
    received = answer(connection)
    assert received.startswith(b"HTTP/1.1 413 ")
    assert b'"__type":"RequestEntityTooLarge"' in received
    assert b"connection: close" in received.lower()
    assert time.monotonic() - started < 10


def test_a_chunked_body_is_cut_off_at_the_limit(impatient) -> None:
    connection = connect(impatient)
    connection.sendall(head("dynamodb", "DynamoDB_20120810.PutItem", "Transfer-Encoding: chunked"))
    chunk = b" " * (1 << 20)
    sent = 0
    try:
        for _ in range(64):  # 64 MiB, four times DynamoDB's limit
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += 1
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed the connection
    assert sent < 64
    received = answer(connection)
    assert received.startswith(b"HTTP/1.1 413 ")
    assert b"RequestEntityTooLarge" in received


def test_sqs_refuses_in_its_own_protocol(impatient) -> None:
    connection = connect(impatient)
    connection.sendall(
        head("sqs", None, f"Content-Length: {64 << 20}", "application/x-www-form-urlencoded")
        + b"Action=SendMessage"
    )
    received = answer(connection)
    assert received.startswith(b"HTTP/1.1 413 ")
    assert b"<Code>RequestEntityTooLarge</Code>" in received


def test_s3_refuses_a_large_xml_body_as_s3_does(impatient) -> None:
    connection = connect(impatient)
    lines = (
        "POST /bucket?delete HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n"
    )
    connection.sendall(lines.format(AUTH.format("s3"), 64 << 20).encode() + b"<Delete>")
    received = answer(connection)
    assert received.startswith(b"HTTP/1.1 400 ")
    assert b"<Code>MaxMessageLengthExceeded</Code>" in received


def test_half_sent_headers_are_closed_after_the_header_timeout(impatient) -> None:
    connections = [connect(impatient) for _ in range(50)]
    for connection in connections:
        connection.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\n")
    started = time.monotonic()
    for connection in connections:
        assert answer(connection) == b""  # closed, unanswered
    assert time.monotonic() - started < 8
    # The server still answers.
    assert impatient.health()["status"] == "running"


def test_a_stalled_body_is_refused_after_the_idle_timeout(impatient) -> None:
    for body in (b"{", b""):  # part of the body, or none of it
        connection = connect(impatient)
        started = time.monotonic()
        connection.sendall(head("dynamodb", "DynamoDB_20120810.ListTables", "Content-Length: 100") + body)
        received = answer(connection)
        assert received.startswith(b"HTTP/1.1 400 ")
        assert b'"__type":"RequestTimeout"' in received
        assert time.monotonic() - started < 8


def test_a_client_leaving_mid_body_is_one_log_line() -> None:
    server = Server("--ephemeral")
    try:
        connection = connect(server)
        connection.sendall(
            head("dynamodb", "DynamoDB_20120810.ListTables", "Content-Length: 100000") + b"{" * 70000
        )
        time.sleep(0.5)
        connection.close()
        time.sleep(0.5)
        assert server.health()["status"] == "running"
    finally:
        output = server.stop()
    assert "the client went away before sending its whole body" in output
    assert "Traceback" not in output


def test_an_s3_upload_that_stalls_is_a_request_timeout(impatient) -> None:
    import boto3

    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{impatient.port}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket="stalled-upload")
    connection = connect(impatient)
    lines = (
        "PUT /stalled-upload/key HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\n"
        "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: 1000000\r\n\r\n"
    )
    connection.sendall(lines.format(AUTH.format("s3")).encode() + b"x" * 100_000)
    received = answer(connection)
    assert received.startswith(b"HTTP/1.1 400 ")
    assert b"<Code>RequestTimeout</Code>" in received


def test_lambda_refuses_a_body_past_its_largest_request_as_lambda_does(impatient) -> None:
    connection = connect(impatient)
    lines = "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n"
    connection.sendall(lines.format(AUTH.format("lambda"), 100 << 20).encode() + b"{")
    received = answer(connection)
    assert received.startswith(b"HTTP/1.1 413 ")
    assert b"RequestTooLargeException" in received
    assert b"Request must be smaller than 70167211 bytes" in received


def test_lambda_names_the_operation_a_body_is_too_large_for(impatient) -> None:
    connection = connect(impatient)
    lines = "POST /2015-03-31/functions HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n"
    connection.sendall(lines.format(AUTH.format("lambda"), 100 << 20).encode() + b"{")
    received = answer(connection)
    # AWS recorded: CreateFunction refuses with RequestEntityTooLargeException, naming itself.
    assert received.startswith(b"HTTP/1.1 413 ")
    assert b"RequestEntityTooLargeException" in received
    assert b"Request must be smaller than 70167211 bytes for the CreateFunction operation" in received

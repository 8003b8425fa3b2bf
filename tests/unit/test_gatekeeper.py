"""Which Host headers name this server in a way no other site can (DNS rebinding protection)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from overcast.gatekeeper import (
    _socket_row,
    cross_site_refusal,
    host_allowed,
    in_another_pid_namespace,
    socket_owner,
)
from overcast.http import Request


@pytest.mark.parametrize(
    "host",
    [
        "localhost", "LOCALHOST:4566", "127.0.0.1:4566", "127.5.6.7", "[::1]:4566", "::1",
        "10.0.0.5:4566", "localhost.localstack.cloud:4566", "s3.localhost.localstack.cloud",
        "api.localhost", "myhost.internal:4566", "localhost.",
    ],
)  # fmt: skip
def test_loopback_names_addresses_and_the_bind_host_are_allowed(host):
    assert host_allowed(host, "myhost.internal")


@pytest.mark.parametrize(
    "host",
    ["", "evil.example", "evil.example:4566", "localhost.evil.example", "notlocalhost", "127.0.0.1.nip.io"],
)
def test_other_names_are_refused(host):
    assert not host_allowed(host, "127.0.0.1")


def request(method: str, headers: dict[str, str]) -> Request:
    return Request(
        method=method, raw_path="/_overcast/state/reset", query_string="", headers=headers, body=b""
    )


def test_the_servers_own_origin_passes_and_others_do_not():
    own = {"host": "localhost:4566", "origin": "http://localhost:4566"}
    assert cross_site_refusal(request("GET", own), "127.0.0.1", changes=False) is None
    for origin in ("http://localhost:4567", "http://evil", "null", "file://", "https://localhost:4566.evil"):
        refusal = cross_site_refusal(request("GET", {**own, "origin": origin}), "127.0.0.1", changes=False)
        assert refusal is not None and "Origin" in refusal


def test_simple_content_types_are_refused_only_where_state_changes():
    headers = {"host": "127.0.0.1:4566", "content-type": "text/plain;charset=UTF-8"}
    assert cross_site_refusal(request("POST", headers), "127.0.0.1", changes=True) is not None
    assert cross_site_refusal(request("GET", headers), "127.0.0.1", changes=False) is None
    json_body = {**headers, "content-type": "application/json"}
    assert cross_site_refusal(request("POST", json_body), "127.0.0.1", changes=True) is None


@pytest.mark.parametrize("family, address", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_a_client_sockets_owner_is_found(family, address):
    with socket.create_server((address, 0), family=family) as server:
        client = socket.create_connection(server.getsockname()[:2])
        try:
            ip, port = client.getsockname()[:2]
            assert socket_owner(ip, port) == os.getuid()
            assert socket_owner(ip, 1) is None or port == 1
        finally:
            client.close()


def _connect_from(prefix: list[str], server: socket.socket) -> tuple[subprocess.Popen, tuple]:
    """A child (run through `prefix`) that connects to `server` and holds the connection."""
    host, port = server.getsockname()[:2]
    code = f"import socket, sys, time; s = socket.create_connection(('{host}', {port})); print('up', flush=True); time.sleep(30)"
    child = subprocess.Popen([*prefix, sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    connection, peer = server.accept()
    connection.close()
    assert child.stdout is not None and child.stdout.readline().strip() == "up"
    return child, peer


def test_a_socket_held_in_another_pid_namespace_is_told_apart():
    own = ["unshare", "--pid", "--fork"] if os.getuid() == 0 else ["unshare", "-Urpf"]
    with socket.create_server(("127.0.0.1", 0)) as server:
        outside, outside_peer = _connect_from([], server)
        try:
            inside, inside_peer = _connect_from(own, server)
        except (OSError, AssertionError):
            outside.kill()
            pytest.skip("PID namespaces are not available here")
        try:
            for child, peer, expected in ((outside, outside_peer, False), (inside, inside_peer, True)):
                row = _socket_row(*peer[:2])
                assert row is not None
                assert in_another_pid_namespace(row[1]) is expected
        finally:
            for child in (outside, inside):
                child.kill()
                child.wait()
